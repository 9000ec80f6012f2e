#!/usr/bin/env bash
# make bench: every benchmark of tests/bench/, one after another. Each prints
# its own figures and the ratio to the peer tool; none of them fails a build.
set -u
here=$(cd "$(dirname "$0")" && pwd)
for b in "$here"/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "=== $(basename "$b" .sh)"
	bash "$b" || echo "bench $(basename "$b"): exited $?"
done
