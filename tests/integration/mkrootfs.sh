#!/bin/sh
# mkrootfs.sh DIR: builds a minimal root filesystem in DIR from a statically
# linked busybox: every applet as a symlink, /etc/passwd and /etc/group with
# root and an unprivileged "user" (uid/gid 1000), /etc/hostname, and the
# empty directories a container runtime mounts over.
#
#   sh tests/integration/mkrootfs.sh ./rootfs
#
# BUSYBOX names the binary to use (default: the first static busybox found).
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1

is_static ()
{
  [ -x "$1" ] || return 1
  # A static binary has no program interpreter.
  if command -v readelf >/dev/null 2>&1; then
    if readelf -l "$1" 2>/dev/null | grep -q 'program interpreter'; then
      return 1
    fi
  else
    ldd "$1" 2>&1 | grep -q 'not a dynamic executable'
  fi
}

busybox=${BUSYBOX:-}
if [ -z "$busybox" ]; then
  for b in /bin/busybox /usr/bin/busybox /usr/lib/busybox/busybox-static; do
    if is_static "$b"; then
      busybox=$b
      break
    fi
  done
fi
if [ -z "$busybox" ] || ! is_static "$busybox"; then
  echo "$0: no statically linked busybox found (install busybox-static)" >&2
  exit 1
fi

mkdir -p "$dir"
cd "$dir"
mkdir -p bin sbin usr/bin usr/sbin etc dev proc sys tmp root home/user var/tmp run mnt
chmod 1777 tmp var/tmp
chmod 700 root
cp "$busybox" bin/busybox
chmod 755 bin/busybox

# --list-full prints each applet with its install directory, e.g. "usr/bin/id".
"$busybox" --list-full | while read -r applet; do
  case $applet in
    bin/busybox | "") continue ;;
  esac
  [ -e "$applet" ] || [ -L "$applet" ] || ln -s /bin/busybox "$applet"
done

cat >etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >etc/group <<'EOF'
root:x:0:
users:x:100:user
user:x:1000:
nogroup:x:65534:
EOF
echo minirun >etc/hostname
cat >etc/hosts <<'EOF'
127.0.0.1	localhost
::1	localhost
EOF
: >etc/resolv.conf
chown 1000:1000 home/user
