#!/bin/sh
# Runs every test binary of a build and ends with one summary line
# "N passed, N failed" counting the Criterion tests of all binaries.
# Usage: tests/run.sh BUILD_TEST_DIR   (env: CELLVM, PROBE, BUILD)
set -u
dir=${1:?usage: tests/run.sh BUILD_TEST_DIR}
passed=0
failed=0
status=0
log=$(mktemp)
# Criterion itself leaks a few bytes at exit; nothing of ours is suppressed.
LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
# Criterion (BoxFort) starts every test by re-executing its own binary by
# path. If that path is relinked meanwhile (another make in this tree), a
# spawn finds no file, or one still being written, and the whole run aborts
# with "criterion: Could not spawn test instance: Protocol error" (or, once
# the link is done, runs tests of another build). So run private copies
# (next to the originals: a noexec /tmp would not do).
bindir=""
trap 'rm -f "$log"; [ -z "$bindir" ] || rm -rf "$bindir"' EXIT
bindir=$(mktemp -d "$dir/.run.XXXXXX") || exit 1
trap 'exit 130' INT
trap 'exit 143' TERM
for bin in "$dir/unit-tests" "$dir/integration-tests"; do
	[ -x "$bin" ] || { echo "run.sh: missing $bin"; failed=$((failed + 1)); status=1; continue; }
	echo "== $(basename "$bin")"
	copy="$bindir/$(basename "$bin")"
	cp "$bin" "$copy" || { echo "run.sh: cannot copy $bin"; failed=$((failed + 1)); status=1; continue; }
	# Integration tests boot VMs; two at a time suits a 2-core machine.
	"$copy" --jobs 2 --verbose=0 2>&1 | tee "$log"
	rc=$?
	# Criterion's last line: "[====] Synthesis: Tested: T | Passing: P | Failing: F | Crashing: C"
	line=$(grep 'Synthesis:' "$log" | tail -n 1)
	p=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
	f=$(echo "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
	c=$(echo "$line" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
	if [ -z "$p" ]; then
		echo "run.sh: $(basename "$bin") printed no Criterion summary"
		failed=$((failed + 1))
		status=1
		continue
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$rc" -eq 0 ] && [ "${f:-0}" -eq 0 ] && [ "${c:-0}" -eq 0 ] || status=1
done
echo "$passed passed, $failed failed"
exit $status
