#!/bin/sh
# Installs the Debian packages cellvm builds, tests and benchmarks with.
# Quiet and quick when everything is already there.
set -eu
PKGS="gcc make pkg-config libc6-dev libseccomp-dev libcap-dev liburing-dev libprotobuf-c-dev
protobuf-c-compiler libjson-c-dev libcriterion-dev qemu-system-x86 qemu-utils busybox-static cpio xz-utils
binutils acpica-tools"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
