#!/bin/sh
# fetch-linux.sh OUTDIR
#
# Fetches the stock Debian 12 kernel (linux-image-6.1.0-*-amd64) and builds
# what cellvm's Linux tests boot:
#   OUTDIR/vmlinuz            the bzImage as Debian ships it (XZ payload)
#   OUTDIR/vmlinux            the ELF inside it (boots far faster here: the
#                             XZ decompressor runs in emulated ring 0)
#   OUTDIR/initramfs.cpio.gz  busybox init + tests/linux/{inittab,sysinit,test,
#                             ctrlaltdel}, blkcheck and vsockcheck (static), the
#                             virtio modules
#   OUTDIR/kernel-version     package name, package version, uname -r
# The .deb is kept in OUTDIR/deb so a rebuild after a script change does not
# download it again. Nothing is done when every output exists and is newer
# than this script, the init and the extract script.
#
# The init prints "cellvm-linux: init ok", runs the test cellvm.test= names
# and reboots (see tests/linux/inittab and tests/linux/test).
set -eu

die() { echo "fetch-linux: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
out=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
tl=$root/tests/linux
init_files="$tl/inittab $tl/sysinit $tl/test $tl/ctrlaltdel"
blkcheck_src=$tl/blkcheck.c
vsockcheck_src=$tl/vsockcheck.c
netcheck_src=$tl/netcheck.c
extract=$here/extract-vmlinux.sh
busybox=/bin/busybox

# Applets the init uses (and a few for debugging with an interactive shell).
APPLETS="init sh ash mount umount echo cat ls mkdir sleep sync uname insmod lsmod
dmesg poweroff reboot halt sed tr tail head grep wc readlink basename"
# Loaded by sysinit unless cellvm.modules=0; each comes with its
# dependencies (from each module's .modinfo).
VIRTIO_MODULES="virtio_mmio virtio_blk virtio_net virtio_rng virtio_console
vmw_vsock_virtio_transport"

outputs="$out/vmlinuz $out/vmlinux $out/initramfs.cpio.gz $out/kernel-version"

up_to_date() {
	for o in $outputs; do
		[ -s "$o" ] || return 1
		for dep in "$0" $init_files "$blkcheck_src" "$root/tests/guest/blk_pattern.h" "$extract" "$here/kmod-collect.sh" \
			"$vsockcheck_src" "$tl/vsock_pattern.h" "$netcheck_src"; do
			[ "$o" -nt "$dep" ] || return 1
		done
	done
	return 0
}

if up_to_date; then
	echo "fetch-linux: $out is up to date ($(cat "$out/kernel-version"))"
	exit 0
fi

for t in apt-cache apt-get dpkg-deb cpio gzip xz; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found (run scripts/install-deps.sh)"
done
[ -x "$busybox" ] || die "$busybox not found (apt-get install busybox-static)"
for f in $init_files "$blkcheck_src" "$vsockcheck_src" "$netcheck_src"; do [ -r "$f" ] || die "missing $f"; done

# The meta package always depends on the current ABI's image package.
resolve_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9][0-9]*-amd64\)$/\1/p' | head -n 1
}
pkg=$(resolve_pkg)
if [ -z "$pkg" ]; then
	echo "fetch-linux: package lists have no linux-image-amd64, running apt-get update" >&2
	apt-get update -qq || die "apt-get update failed (root needed, or no mirror access)"
	pkg=$(resolve_pkg)
fi
[ -n "$pkg" ] || die "cannot resolve linux-image-6.1.0-*-amd64 from linux-image-amd64"

mkdir -p "$out/deb"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fetch-linux.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# The cached .deb is reused only while it is the candidate version (an
# upload can keep the ABI name and change the version); without a
# candidate (stale lists) any cached copy of the package will do.
cand=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
case $cand in
""|"(none)") pattern="${pkg}_*.deb" ;;
*) pattern="${pkg}_$(printf '%s' "$cand" | sed 's/:/%3a/')_*.deb" ;;
esac
deb=$(cd "$out/deb" && ls $pattern 2>/dev/null | head -n 1 || true)
[ -z "$deb" ] || deb=$out/deb/$deb
if [ -z "$deb" ]; then
	echo "fetch-linux: downloading $pkg"
	mkdir "$tmp/dl"
	# apt drops to the _apt user for downloads; let it reach the directory.
	chmod 0755 "$tmp"
	chmod 0777 "$tmp/dl"
	(cd "$tmp/dl" && apt-get download -q "$pkg") || die "apt-get download $pkg failed"
	f=$(ls "$tmp/dl/"*.deb 2>/dev/null | head -n 1) || true
	[ -n "$f" ] || die "apt-get download produced no .deb"
	rm -f "$out/deb/"*.deb
	mv "$f" "$out/deb/"
	deb=$out/deb/$(basename "$f")
fi
version=$(dpkg-deb -f "$deb" Version) || die "$deb is not a valid package"
echo "fetch-linux: unpacking $(basename "$deb")"
dpkg-deb -x "$deb" "$tmp/pkg" || die "dpkg-deb -x $deb failed"

vmlinuz=$(ls "$tmp/pkg/boot/"vmlinuz-* 2>/dev/null | head -n 1) || true
[ -n "$vmlinuz" ] || die "no boot/vmlinuz-* in $deb"
kver=${vmlinuz##*/vmlinuz-}

cp "$vmlinuz" "$tmp/vmlinuz"
"$extract" "$tmp/vmlinuz" "$tmp/vmlinux" || die "could not extract vmlinux from $vmlinuz"

# --- initramfs -----------------------------------------------------------
ir=$tmp/initramfs
mkdir -p "$ir/bin" "$ir/sbin" "$ir/proc" "$ir/sys" "$ir/tmp" "$ir/lib/modules" "$ir/etc/cellvm"
cp "$busybox" "$ir/bin/busybox"
for a in $APPLETS; do
	ln -s busybox "$ir/bin/$a"
done
ln -s bin/busybox "$ir/init"
cp "$tl/inittab" "$ir/etc/inittab"
for f in sysinit test ctrlaltdel; do
	cp "$tl/$f" "$ir/etc/cellvm/$f"
	chmod 0755 "$ir/etc/cellvm/$f"
done
${CC:-gcc} -std=gnu11 -O2 -Wall -Wextra -Werror -static -pthread -o "$ir/bin/blkcheck" \
	"$blkcheck_src" || die "could not build $blkcheck_src"
${CC:-gcc} -std=gnu11 -O2 -Wall -Wextra -Werror -static -pthread -o "$ir/bin/vsockcheck" \
	"$vsockcheck_src" || die "could not build $vsockcheck_src"
${CC:-gcc} -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$ir/bin/netcheck" \
	"$netcheck_src" || die "could not build $netcheck_src"

moddir=$tmp/pkg/lib/modules/$kver
order=$ir/lib/modules/load-order
if [ -d "$moddir/kernel" ]; then
	# shellcheck disable=SC2086
	"$here/kmod-collect.sh" "$moddir" "$ir/lib/modules" $VIRTIO_MODULES ||
		die "could not collect the virtio modules"
else
	echo "fetch-linux: warning: no modules for $kver, initramfs has none" >&2
	: > "$order"
fi

# The kernel opens /dev/console for init before devtmpfs is mounted, so the
# archive must carry that node. A hand-written newc prefix supplies it
# (the kernel unpacks concatenated archives) so that no mknod, and no root,
# is needed to build the image.
newc_entry() { # name mode(hex) nlink rdevmajor rdevminor
	namesize=$((${#1} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		0 "0x$2" 0 0 "$3" 0 0 0 0 "$4" "$5" "$namesize" 0
	printf '%s\0' "$1"
	# Header (110 bytes) + name are padded to a multiple of 4.
	pad=$(( (4 - (110 + namesize) % 4) % 4 ))
	[ $pad -eq 0 ] || head -c "$pad" /dev/zero
}
{
	newc_entry dev 41ed 2 0 0
	newc_entry dev/console 2180 1 5 1
	newc_entry 'TRAILER!!!' 0 1 0 0
	(cd "$ir" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet)
} | gzip -9n > "$tmp/initramfs.cpio.gz"

printf '%s %s %s\n' "$pkg" "$version" "$kver" > "$tmp/kernel-version"

mkdir -p "$out"
for f in vmlinuz vmlinux initramfs.cpio.gz kernel-version; do
	mv "$tmp/$f" "$out/$f"
done
echo "fetch-linux: $out ready: $pkg $version ($(wc -l < "$order") modules in initramfs)"
