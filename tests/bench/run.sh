#!/usr/bin/env bash
# make bench: every benchmark of tests/bench/, one after another. Each prints
# its own figures and the ratio to the peer tool, and exits non-zero when it
# could not measure (77 when something it needs is missing). At the end the
# ones that did not measure are named, and make bench fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
failed=()
for b in "$here"/*.sh; do
	name=$(basename "$b" .sh)
	[ "$name" = run ] && continue
	echo "=== $name"
	start=$(date +%s)
	bash "$b"
	rc=$?
	echo "=== $name: exit $rc after $(($(date +%s) - start)) s"
	[ $rc = 0 ] || failed+=("$name (exit $rc)")
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "make bench: these benchmarks could not measure: ${failed[*]}"
	exit 1
fi
echo "make bench: every benchmark measured"
