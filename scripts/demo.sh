#!/usr/bin/env bash
# The main job: install what is missing, build, and run a container on a busybox root
# whose `ps` shows its own shell as PID 1 and whose hostname is its own.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
arca=$PWD/${ARCA_BUILD:-build}/arca

work=$(mktemp -d /tmp/arca-demo.XXXXXX)
state=$work/state
cleanup() {
  "$arca" --root "$state" delete --force demo >/dev/null 2>&1 || true
  rm -rf "$work"  # nothing is mounted here: the container's mounts died with it
}
trap cleanup EXIT

mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/"
for applet in sh ps hostname cat echo ls mount id; do
  ln -s busybox "$work/bundle/rootfs/bin/$applet"
done
mkdir -p "$work/bundle/rootfs/"{proc,dev,sys,tmp,etc}
echo 'root:x:0:0:root:/root:/bin/sh' >"$work/bundle/rootfs/etc/passwd"
cd "$work/bundle"
"$arca" spec
# Not a terminal, a shell script as the process, and our own hostname; no cgroup
# limits yet (the control groups work applies them).
sed -i -e 's/"terminal": true/"terminal": false/' \
       -e 's/"hostname": "runc"/"hostname": "arca-demo"/' config.json
/usr/bin/python3 - <<'PY'
import json
c = json.load(open("config.json"))
c["process"]["args"] = ["sh", "-c", "echo \"hostname: $(hostname)\"; ps"]
c["linux"].pop("resources", None)
json.dump(c, open("config.json", "w"), indent=2)
PY
"$arca" --root "$state" run demo
