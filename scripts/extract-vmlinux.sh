#!/bin/sh
# extract-vmlinux.sh BZIMAGE OUT
#
# Recovers the uncompressed ELF vmlinux from a bzImage. The payload is a
# compressed stream somewhere inside the image; we do not parse the setup
# header for it because the stream's magic is cheap to find and works for
# any kernel version. Each place a magic occurs is tried in file order, and
# the first one that decompresses to an ELF file wins (magics also occur by
# chance inside code and data, so a hit alone proves nothing).
#
# Supported: XZ (Debian), gzip and zstd (other distros). Needs grep -P, xz,
# and gzip / zstd for those formats.
set -eu

die() { echo "extract-vmlinux: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 BZIMAGE OUT"
img=$1
out=$2
[ -r "$img" ] || die "cannot read $img"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/extract-vmlinux.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

is_elf() {
	[ -s "$1" ] && [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')" = "7f454c46" ]
}

# Byte offsets of a hex-escaped PCRE pattern in the image, one per line.
offsets() {
	LC_ALL=C grep -obaP "$1" "$img" | cut -d: -f1 || true
}

# Decompressors write what they could decode before complaining about the
# data that follows the stream, so their exit status is ignored and only
# the output is judged.
try_format() {
	magic=$1
	tool=$2
	command -v "${tool%% *}" >/dev/null 2>&1 || return 1
	for off in $(offsets "$magic"); do
		tail -c "+$((off + 1))" "$img" | $tool > "$tmp/out" 2>/dev/null || true
		if is_elf "$tmp/out"; then
			echo "extract-vmlinux: ${tool%% *} stream at offset $off" >&2
			return 0
		fi
	done
	return 1
}

if try_format '\xFD\x37\x7A\x58\x5A\x00' 'xz -dc --single-stream' ||
   try_format '\x1F\x8B\x08' 'gzip -dc' ||
   try_format '\x28\xB5\x2F\xFD' 'zstd -dcq'; then
	# Write beside the target and rename so a failed run never leaves a
	# truncated vmlinux that a cache check would take for a good one.
	cp "$tmp/out" "$out.tmp.$$"
	mv "$out.tmp.$$" "$out"
	exit 0
fi
die "no compressed ELF payload found in $img (tried xz, gzip, zstd)"
