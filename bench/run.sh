#!/bin/sh
# bench/run.sh BUILD GUEST [BENCH ARGS...]: what `make bench` runs.
#
# Each section runs through scripts/with-kvm.sh on its own: natively when
# /dev/kvm works, else in a nested KVM host (tests/kvm-host) of its own.
# QEMU's TCG emulation of SVM sometimes kills or freezes that L1 machine
# (README, "This machine"); a section whose machine died (kvm-host exit
# 125) runs again in a new one, at most 3 times. --only A,B picks sections
# as for build/bench/launch; the other arguments go to every run.
# Exit status: 0 when every section passed, else the last failure's.
set -u
build=${1:?usage: bench/run.sh BUILD GUEST [ARGS...]}
guest=${2:?usage: bench/run.sh BUILD GUEST [ARGS...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
launch="$build/bench/launch --cellvm $build/cellvm --probe $guest"

only=""
n=$#
i=0
while [ $i -lt $n ]; do
	a=$1
	shift
	i=$((i + 1))
	case $a in
	--only) only=$1; shift; i=$((i + 1)) ;;
	--only=*) only=${a#--only=} ;;
	--list|-h|--help) exec $launch "$a" ;;
	*) set -- "$@" "$a" ;;
	esac
done
[ -n "$only" ] || only=$($launch --list | awk '{ printf "%s%s", sep, $1; sep = "," }')

status=0
log=$(mktemp)
rcfile=$(mktemp)
trap 'rm -f "$log" "$rcfile"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
for s in $(echo "$only" | tr ',' ' '); do
	try=1
	while :; do
		# The status goes through a file: a pipeline's is tee's.
		{
			BUILD=$build "$root/scripts/with-kvm.sh" --label "make bench ($s)" \
				--mem 6144 --timeout 3600 -- $launch --only "$s" "$@"
			echo $? > "$rcfile"
		} 2>&1 | tee "$log"
		rc=$(cat "$rcfile")
		[ "$rc" -eq 125 ] && [ "$try" -lt 3 ] &&
			grep -q 'kvm-host: the L1 machine \(ended\|froze\|failed\)' "$log" || break
		try=$((try + 1))
		echo "bench/run.sh: the nested KVM host died under section $s; running it again" \
			"in a new one (machine $try of at most 3)"
	done
	[ "$rc" -eq 0 ] || status=$rc
done
exit $status
