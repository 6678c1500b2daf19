#!/bin/sh
# Runs every test binary of a build and ends with one summary line
# "N passed, N failed, N skipped" counting the Criterion tests of all
# binaries; skipped tests are named above it.
# Usage: tests/run.sh BUILD_TEST_DIR   (env: CELLVM, PROBE, BUILD, CELLVM_KVM)
#
# Unit tests run here. Integration tests boot VMs, so they run where KVM
# works: natively when /dev/kvm does, otherwise inside tests/kvm-host
# (scripts/with-kvm.sh decides and says which in one line).
set -u
dir=${1:?usage: tests/run.sh BUILD_TEST_DIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
passed=0
failed=0
skipped=0
status=0
log=$(mktemp)
skips=$(mktemp)
rcfile=$(mktemp)
# Criterion itself leaks a few bytes at exit; nothing of ours is suppressed.
LSAN_OPTIONS="suppressions=$here/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
# The whole nested run (L1 boot included) must end; a hung L1 is killed.
NESTED_TIMEOUT=${CELLVM_TEST_TIMEOUT:-2400}
NESTED_ATTEMPTS=${CELLVM_TEST_NESTED_ATTEMPTS:-8}
# No new machine once the nested runs have taken this long (s): CI's
# limit is 90 minutes, builds included.
NESTED_BUDGET=${CELLVM_TEST_NESTED_BUDGET:-4200}
# Criterion (BoxFort) starts every test by re-executing its own binary by
# path. If that path is relinked meanwhile (another make in this tree), a
# spawn finds no file, or one still being written, and the whole run aborts
# with "criterion: Could not spawn test instance: Protocol error" (or, once
# the link is done, runs tests of another build). So run private copies
# (next to the originals: a noexec /tmp would not do).
bindir=""
trap 'rm -f "$log" "$skips" "$rcfile"; [ -z "$bindir" ] || rm -rf "$bindir"' EXIT
bindir=$(mktemp -d "$dir/.run.XXXXXX") || exit 1
trap 'exit 130' INT
trap 'exit 143' TERM

# Skip lines of LOG as "  suite::test: why", without the tests a --filter
# left out (Criterion reports those as "Test is disabled").
skip_lines() { # LOG [FILTERED]
	if [ -n "${2:-}" ]; then
		grep '^\[SKIP\] ' "$1" | grep -v ': Test is disabled$'
	else
		grep '^\[SKIP\] ' "$1"
	fi | sed 's/^\[SKIP\] /  /'
}

# Adds one finished Criterion run's summary to the totals; 1 when it has none.
count_run() { # LOG NAME RC [FILTERED]
	line=$(grep 'Synthesis:' "$1" | tail -n 1)
	p=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
	f=$(echo "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
	c=$(echo "$line" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
	skip_lines "$1" "${4:-}" >> "$skips"
	if [ -z "$p" ]; then
		echo "run.sh: $2 printed no Criterion summary"
		failed=$((failed + 1))
		status=1
		return 1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$3" -eq 0 ] && [ "${f:-0}" -eq 0 ] && [ "${c:-0}" -eq 0 ] || {
		status=1
		[ "$3" -eq 0 ] || [ "${f:-0}" -gt 0 ] || [ "${c:-0}" -gt 0 ] || {
			echo "run.sh: $2 exited with status $3"
			failed=$((failed + 1))
		}
	}
	return 0
}

# "suite/test" for every test of a Criterion binary, one per line.
list_tests() {
	"$1" --list 2>/dev/null | awk '
		/^[^ ├└│]/ { sub(/:.*/, ""); suite = $0; next }
		{ sub(/^[│ ]*[├└]── /, ""); if (suite != "" && $0 != "") print suite "/" $0 }'
}

# "suite/test" of every test that ended in LOG with one of the given tags.
ended_tests() { # LOG TAG...
	log_=$1
	shift
	for tag in "$@"; do
		sed -n "s/^\[$tag\] \([^:]*\)::\([^:]*\):.*/\1\/\2/p" "$log_"
	done | LC_ALL=C sort -u
}

# After a run that is to be repeated in part: counts its passes and skips
# and leaves in TODO the tests that neither passed nor skipped.
take_ended() { # LOG TODO FILTERED
	ended=$(mktemp)
	ended_tests "$1" PASS SKIP > "$ended"
	passed=$((passed + $(ended_tests "$1" PASS | wc -l)))
	skip_lines "$1" "$3" >> "$skips"
	LC_ALL=C sort "$2" | LC_ALL=C comm -23 - "$ended" > "$2.next"
	mv "$2.next" "$2"
	rm -f "$ended"
}

# Integration tests in the nested KVM host: QEMU's TCG emulation of SVM
# is not reliable. Seen with QEMU 7.2 and 10.0: the L1 kernel panicking
# right after a VM exit (its per-CPU data read through the L2's GS base),
# the L1 freezing, an L2 triple-faulting in early boot (README, "This
# machine", has the rates measured). So there, and
# only there, the tests that failed or had not ended when the L1 died run
# again in a fresh L1, at most NESTED_ATTEMPTS machines in all; each such
# test is named, a test counts once, and one that fails every time fails.
# On a native host every test runs once.
run_integration() { # COPY
	todo=$(mktemp)
	retried=$(mktemp)
	list_tests "$1" > "$todo"
	attempt=1
	filter=""
	started=$(date +%s)
	while :; do
		{
			"$root/scripts/with-kvm.sh" --label integration-tests --timeout "$NESTED_TIMEOUT" -- \
				"$1" --jobs 2 --verbose=0 ${filter:+--filter "$filter"}
			echo $? > "$rcfile"
		} 2>&1 | tee "$log"
		rc=$(cat "$rcfile")
		# 125 and this message: kvm-host says the L1 machine died under
		# the tests (a native run never says it: Criterion exits 0 or 1).
		died=0
		[ "$rc" -ne 125 ] ||
			! grep -q 'kvm-host: the L1 machine \(ended\|froze\|failed\)' "$log" || died=1
		grep -q 'KVM host: nested' "$log" && [ "$attempt" -lt "$NESTED_ATTEMPTS" ] &&
			[ $(($(date +%s) - started)) -lt "$NESTED_BUDGET" ] &&
			{ [ "$died" -eq 1 ] || grep -q '^\[FAIL\] ' "$log"; } || break
		ended_tests "$log" FAIL >> "$retried"
		take_ended "$log" "$todo" "$filter"
		[ -s "$todo" ] || { died=0; : > "$log"; break; }
		attempt=$((attempt + 1))
		if [ "$died" -eq 1 ]; then
			why="the nested KVM host died under them"
		else
			why="in the nested KVM host"
		fi
		echo "run.sh: $(wc -l < "$todo") integration tests failed or did not end $why;" \
			"running them again in a new one (machine $attempt of at most" \
			"$NESTED_ATTEMPTS): $(tr '\n' ' ' < "$todo")"
		filter="@($(paste -sd'|' "$todo"))"
	done
	if [ "$died" -eq 1 ]; then
		# The last machine died too: what ended counts, the rest fails.
		take_ended "$log" "$todo" "$filter"
		echo "run.sh: the nested KVM host died $attempt times; $(wc -l < "$todo") tests did" \
			"not end: $(tr '\n' ' ' < "$todo")"
		failed=$((failed + $(wc -l < "$todo")))
		status=1
		: > "$log"
	fi
	[ ! -s "$log" ] || count_run "$log" integration-tests "$rc" "$filter"
	# Which repeated tests passed in the end: what a reader must know.
	if [ -s "$retried" ]; then
		LC_ALL=C sort -u "$retried" > "$retried.u"
		ended_tests "$log" FAIL > "$todo"
		again=$(LC_ALL=C comm -23 "$retried.u" "$todo" | tr '\n' ' ')
		[ -z "$again" ] || echo "run.sh: failed in one nested machine, passed in the next: $again"
		rm -f "$retried.u"
	fi
	rm -f "$todo" "$retried"
}

for name in unit-tests integration-tests; do
	bin=$dir/$name
	[ -x "$bin" ] || { echo "run.sh: missing $bin"; failed=$((failed + 1)); status=1; continue; }
	echo "== $name"
	copy="$bindir/$name"
	cp "$bin" "$copy" || { echo "run.sh: cannot copy $bin"; failed=$((failed + 1)); status=1; continue; }
	# Two at a time suits a 2-core machine. The binary's own exit status
	# (a sanitizer report at exit, or the nested host giving up) counts
	# too: it goes through a file, since a pipeline's status is tee's.
	if [ "$name" = integration-tests ]; then
		run_integration "$copy"
		continue
	fi
	{
		"$copy" --jobs 2 --verbose=0
		echo $? > "$rcfile"
	} 2>&1 | tee "$log"
	count_run "$log" "$name" "$(cat "$rcfile")" || :
done
skipped=$(wc -l < "$skips")
if [ "$skipped" -gt 0 ]; then
	echo "skipped:"
	cat "$skips"
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
