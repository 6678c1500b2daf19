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

for name in unit-tests integration-tests; do
	bin=$dir/$name
	[ -x "$bin" ] || { echo "run.sh: missing $bin"; failed=$((failed + 1)); status=1; continue; }
	echo "== $name"
	copy="$bindir/$name"
	cp "$bin" "$copy" || { echo "run.sh: cannot copy $bin"; failed=$((failed + 1)); status=1; continue; }
	# Integration tests boot VMs; two at a time suits a 2-core machine.
	# The binary's own exit status (a sanitizer report at exit, or the
	# nested host giving up) counts too: it goes through a file, since a
	# pipeline's status is tee's.
	{
		if [ "$name" = integration-tests ]; then
			"$root/scripts/with-kvm.sh" --label "$name" --timeout "$NESTED_TIMEOUT" -- \
				"$copy" --jobs 2 --verbose=0
		else
			"$copy" --jobs 2 --verbose=0
		fi
		echo $? > "$rcfile"
	} 2>&1 | tee "$log"
	rc=$(cat "$rcfile")
	# Criterion's last line: "[====] Synthesis: Tested: T | Passing: P | Failing: F | Crashing: C"
	line=$(grep 'Synthesis:' "$log" | tail -n 1)
	p=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
	f=$(echo "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
	c=$(echo "$line" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
	grep '^\[SKIP\] ' "$log" | sed 's/^\[SKIP\] /  /' >> "$skips"
	if [ -z "$p" ]; then
		echo "run.sh: $name printed no Criterion summary"
		failed=$((failed + 1))
		status=1
		continue
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$rc" -eq 0 ] && [ "${f:-0}" -eq 0 ] && [ "${c:-0}" -eq 0 ] || {
		status=1
		[ "$rc" -eq 0 ] || [ "${f:-0}" -gt 0 ] || [ "${c:-0}" -gt 0 ] || {
			echo "run.sh: $name exited with status $rc"
			failed=$((failed + 1))
		}
	}
done
skipped=$(wc -l < "$skips")
if [ "$skipped" -gt 0 ]; then
	echo "skipped:"
	cat "$skips"
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
