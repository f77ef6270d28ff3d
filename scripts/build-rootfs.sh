#!/usr/bin/env bash
# Builds the built-in root filesystem of `arca shell` from Debian's busybox-static:
#   scripts/build-rootfs.sh DEST
# DEST gets busybox with a link for every applet, /etc/passwd, /etc/group, /etc/hosts and
# the usual empty directories. The tree is built beside DEST and renamed into place, so a
# shell starting meanwhile sees the old root or the new one, never half of one.
# The build (CMake target arca-rootfs) puts it in <build>/share/arca/rootfs, `cmake
# --install` in <prefix>/share/arca/rootfs; arca looks for either beside its binary.
set -euo pipefail
dest=${1:?usage: build-rootfs.sh DEST}
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "build-rootfs: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }
case $dest in /*) ;; *) dest=$PWD/$dest ;; esac
parent=$(dirname "$dest")
mkdir -p "$parent"
tmp=$(mktemp -d "$parent/.rootfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
umask 022

mkdir -p "$tmp"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,dev,proc,sys,run,mnt,home}
mkdir -p "$tmp"/{tmp,var/tmp,var/log,root}
chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
chmod 0700 "$tmp/root"
cp "$busybox" "$tmp/bin/busybox"
chmod 0755 "$tmp/bin/busybox"
# Applet paths as busybox knows them ("usr/bin/env"); links are absolute, as Alpine's are:
# they resolve inside the container.
"$busybox" --list-full | while read -r applet; do
  [ "$applet" = linuxrc ] && continue  # an initrd's init, not a command
  [ -e "$tmp/$applet" ] || ln -s /bin/busybox "$tmp/$applet"
done

cat >"$tmp/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$tmp/etc/group" <<'EOF'
root:x:0:
tty:x:5:
nogroup:x:65534:
EOF
cat >"$tmp/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
EOF
echo /bin/sh >"$tmp/etc/shells"
version=$("$busybox" 2>/dev/null | head -1 | sed -n 's/^BusyBox \(v[^ ]*\).*/\1/p')
cat >"$tmp/etc/os-release" <<EOF
NAME="arca built-in root"
ID=arca
PRETTY_NAME="arca built-in root (BusyBox ${version:-unknown})"
EOF
chmod 0755 "$tmp"

# Replace the old tree (if any) by renaming, then remove it: nothing is mounted in there
# on the host (a shell's overlay lives in the shell's own mount namespace).
if [ -e "$dest" ]; then
  old=$(mktemp -d "$parent/.rootfs-old.XXXXXX")
  mv "$dest" "$old/rootfs"
  mv "$tmp" "$dest"
  rm -rf "$old"
else
  mv "$tmp" "$dest"
fi
trap - EXIT
