#!/bin/sh
# kmod-collect.sh MODDIR DESTDIR MODULE...
#
# Copies the named kernel modules and everything they depend on from an
# unpacked Debian kernel package's lib/modules/VERSION (MODDIR) into
# DESTDIR as plain .ko files, and writes DESTDIR/load-order: one file name
# per line, every module after the modules it needs, so a shell loop of
# insmod loads them without modprobe.
#
# The package carries no modules.dep (depmod makes it at install time, and
# depmod may be absent here), so dependencies come from each module's own
# .modinfo "depends=" string. A module that is not in the package (built
# into the kernel, or absent) is noted on stderr and skipped.
set -eu

die() { echo "kmod-collect: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: $0 MODDIR DESTDIR MODULE..."
moddir=$1
dest=$2
shift 2
[ -d "$moddir/kernel" ] || die "$moddir has no kernel/ directory"
mkdir -p "$dest"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kmod-collect.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
order=$dest/load-order
index=$tmp/index
: > "$order"
: > "$tmp/seen"

# Index: "name relative-path" per line, with the dashes of file names
# folded to the underscores of module names.
(cd "$moddir" && find kernel -name '*.ko*') |
	sed 's|^\(.*/\)\{0,1\}\([^/]*\)\.ko[.a-z]*$|\2 &|' |
	awk '{ gsub("-", "_", $1); print }' > "$index"
[ -s "$index" ] || die "no modules under $moddir"

mod_path() {
	awk -v m="$1" '$1 == m { print $2; exit }' "$index"
}
mod_unpacked() { # relative path -> plain .ko in DESTDIR, prints its name
	base=$(basename "$1")
	base=${base%.xz}
	base=${base%.zst}
	case $1 in
	*.ko.xz) xz -dc "$moddir/$1" > "$dest/$base" ;;
	*.ko.zst) zstd -dcq "$moddir/$1" > "$dest/$base" ;;
	*) cp "$moddir/$1" "$dest/$base" ;;
	esac
	echo "$base"
}
mod_deps() { # plain .ko -> module names it depends on
	tr '\0' '\n' < "$1" | sed -n 's/^depends=//p' | tr ',' ' '
}
# Depth first: a module goes into the load order after all it depends on.
# Only positional parameters survive the recursion (sh has no locals).
add_module() { # module name
	grep -qx "$1" "$tmp/seen" && return 0
	echo "$1" >> "$tmp/seen"
	set -- "$1" "$(mod_path "$1")"
	if [ -z "$2" ]; then
		echo "kmod-collect: note: module $1 not in the package (built in or absent)" >&2
		return 0
	fi
	set -- "$1" "$2" "$(mod_unpacked "$2")"
	for d in $(mod_deps "$dest/$3"); do
		add_module "$d"
	done
	echo "$3" >> "$order"
}
for m in "$@"; do
	add_module "$(echo "$m" | tr - _)"
done
