#!/bin/sh
B=build/test/itest-restart
for f in 'restart/rng*' 'devices/*' 'sandbox/*' 'api/*' 'jailer/*' 'linux_guest/killed*' 'vsock_linux/killing*'; do
  echo "=== $f"
  $B --filter "$f" 2>&1 | grep -E "^\[(FAIL|PASS|====)\]|Assertion|killed .* times" 
done
