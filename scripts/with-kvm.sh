#!/bin/sh
# with-kvm.sh [--label TEXT] [--cpus N] [--mem MIB] [--timeout SEC] -- CMD [ARG...]
#
# Runs CMD where KVM works and says where in one line on stderr:
#   natively, when /dev/kvm opens and creates a VM (BUILD/kvm-probe says so);
#   otherwise inside tests/kvm-host (a QEMU TCG machine with kvm-amd).
# CELLVM_KVM=native or CELLVM_KVM=nested forces either; auto is the default.
# The command sees CELLVM_KVM_HOST=native|nested. --cpus, --mem and --timeout
# apply to the nested machine only. Exit status: CMD's (or kvm-host's).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
probe=${KVM_PROBE:-$build/kvm-probe}
label=cellvm
nested_opts=""

while [ $# -gt 0 ]; do
	case $1 in
	--label) label=${2:?}; shift 2 ;;
	--cpus|--mem|--timeout) nested_opts="$nested_opts $1 ${2:?}"; shift 2 ;;
	--) shift; break ;;
	*) echo "with-kvm: unknown option $1" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--label TEXT] [--cpus N] [--mem MIB] [--timeout SEC] -- CMD..." >&2; exit 2; }

mode=${CELLVM_KVM:-auto}
why=""
case $mode in
native|nested) why="CELLVM_KVM=$mode" ;;
auto)
	[ -x "$probe" ] || { echo "with-kvm: $probe missing (make builds it)" >&2; exit 2; }
	if why=$("$probe" 2>&1); then
		mode=native
		why="/dev/kvm works"
	else
		mode=nested
	fi
	;;
*) echo "with-kvm: CELLVM_KVM=$mode: use native, nested or auto" >&2; exit 2 ;;
esac

if [ "$mode" = native ]; then
	echo "$label: KVM host: native ($why)" >&2
	CELLVM_KVM_HOST=native exec "$@"
fi
echo "$label: KVM host: nested, in tests/kvm-host ($why)" >&2
# The nested host boots Debian's kernel package; fetch it on first use.
ls "$build"/linux/deb/linux-image-*.deb > /dev/null 2>&1 ||
	"$here/fetch-linux.sh" "$build/linux" >&2 ||
	{ echo "with-kvm: the nested host needs Debian's kernel package (make linux)" >&2; exit 125; }
# shellcheck disable=SC2086
exec "$root/tests/kvm-host/kvm-host" run $nested_opts -- "$@"
