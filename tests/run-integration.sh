#!/usr/bin/env bash
# Runs tests/integration/*.sh (or the ones named) one after another, each with
# a time limit, and prints "integration: N passed, N failed, N skipped".
# A test exits 0 to pass, 77 to skip, anything else to fail. Its output goes
# to build/test-logs/NAME.log and is shown when it fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
: "${BIN:=$top/bin}"
export BIN
limit=${TEST_TIMEOUT:-300}
logs=${TEST_LOGS:-$top/build/test-logs}
mkdir -p "$logs"
if [ $# -gt 0 ]; then tests=("$@"); else tests=("$here"/integration/*.sh); fi
pass=0 failn=0 skip=0 failed=()
for t in "${tests[@]}"; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	start=$(date +%s)
	timeout -k 10 "$limit" bash "$t" >"$logs/$name.log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	case $rc in
	0) pass=$((pass + 1)); echo "ok   $name (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "skip $name: $(grep -m1 -i 'skip' "$logs/$name.log" || true)" ;;
	*) failn=$((failn + 1)); failed+=("$name")
	   echo "FAIL $name (exit $rc, ${secs}s) — last lines of $logs/$name.log:"
	   tail -n 40 "$logs/$name.log" | sed 's/^/    /' ;;
	esac
done
echo "integration: $pass passed, $failn failed, $skip skipped"
[ "$failn" = 0 ]
