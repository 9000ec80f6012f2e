#!/usr/bin/env bash
# Runs the cmocka unit test binaries given as arguments; prints one line per
# binary and a closing "N passed, N failed" (cmocka prints its own per-test lines).
set -u
pass=0 failn=0
for t in "$@"; do
	[ -x "$t" ] || continue
	if "$t"; then
		pass=$((pass + 1))
	else
		echo "unit: FAILED $t" >&2
		failn=$((failn + 1))
	fi
done
echo "unit: $pass passed, $failn failed"
[ "$failn" = 0 ]
