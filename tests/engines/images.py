"""Test images built from busybox-static, written here in Python (no registry, no internet).

busybox_rootfs(): a root directory with busybox and its applet links, /etc/passwd, /etc/group.
rootfs_tar():     that directory as an uncompressed tar (for `podman import`).
oci_archive():    an OCI image layout tar (oci-layout, index.json, blobs: config, manifest,
                  one uncompressed layer), for `ctr image import`.
"""
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile

from arcatest import BUSYBOX, GROUP, PASSWD  # tests/integration (see conftest.py)

PATH_ENV = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"


def busybox_rootfs(path):
    """Writes a busybox root filesystem into path (which must not exist)."""
    os.makedirs(path)
    for d in ["bin", "etc", "proc", "sys", "dev", "tmp", "root", "home/user", "var", "run",
              "mnt"]:
        os.makedirs(os.path.join(path, d), exist_ok=True)
    os.chmod(os.path.join(path, "tmp"), 0o1777)
    os.chown(os.path.join(path, "home/user"), 1000, 1000)
    shutil.copy2(BUSYBOX, os.path.join(path, "bin", "busybox"))
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for a in applets:
        if a != "busybox":
            os.symlink("busybox", os.path.join(path, "bin", a))
    for name, text in (("passwd", PASSWD), ("group", GROUP), ("hostname", "arcatest\n")):
        with open(os.path.join(path, "etc", name), "w") as f:
            f.write(text)
    return path


def _reset(info):
    # Reproducible layers: no host owners or times leak into the image.
    info.mtime = 0
    if info.name not in ("./home/user",):
        info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def rootfs_tar(rootfs):
    """The root filesystem as uncompressed tar bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(rootfs, arcname=".", filter=_reset)
    return buf.getvalue()


def _blob(blobs, media_type, data):
    digest = hashlib.sha256(data).hexdigest()
    blobs[digest] = data
    return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}


def oci_archive(rootfs, out, name):
    """Writes an OCI image layout tar to out, one layer, tagged name (a full reference
    such as localhost/arca-busybox:latest)."""
    blobs = {}
    layer = rootfs_tar(rootfs)
    layer_desc = _blob(blobs, "application/vnd.oci.image.layer.v1.tar", layer)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": [PATH_ENV], "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [layer_desc["digest"]]},
    }
    config_desc = _blob(blobs, "application/vnd.oci.image.config.v1+json",
                        json.dumps(config).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": config_desc, "layers": [layer_desc]}
    manifest_desc = _blob(blobs, "application/vnd.oci.image.manifest.v1+json",
                          json.dumps(manifest).encode())
    tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else "latest"
    manifest_desc["annotations"] = {"io.containerd.image.name": name,
                                    "org.opencontainers.image.ref.name": tag}
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [manifest_desc]}
    files = {"oci-layout": json.dumps({"imageLayoutVersion": "1.0.0"}).encode(),
             "index.json": json.dumps(index).encode()}
    files.update({f"blobs/sha256/{d}": data for d, data in blobs.items()})
    with tarfile.open(out, "w") as tar:
        for d in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
        for fname, data in files.items():
            info = tarfile.TarInfo(fname)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return out
