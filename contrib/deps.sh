#!/bin/sh
# Installs what building and testing minirun needs (Debian/Ubuntu, as root).
# Usage: contrib/deps.sh [build|test|bench]
set -e
build="gcc make autoconf automake libtool pkg-config libcap-ng-dev libseccomp-dev
  libjansson-dev libnl-3-dev libnl-route-3-dev libmicrohttpd-dev libpcre2-dev libnftables-dev nftables check busybox-static"
test="$build curl jq python3 python3-docker chromium chromium-driver openssl iproute2 procps util-linux groff-base podman conmon containerd umoci runc"
bench="$test runc crun hyperfine time wrk"
case "${1:-build}" in
  build) pkgs=$build ;;
  test) pkgs=$test ;;
  bench) pkgs=$bench ;;
  *) echo "usage: $0 [build|test|bench]" >&2; exit 1 ;;
esac
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
