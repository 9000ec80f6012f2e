#!/usr/bin/env bash
# Runs tests/integration/*.sh (or the ones named), TEST_JOBS at a time
# (default 3: most tests spend their time waiting on servers; with 2, a
# make check kept 2 cores 46% busy), each with a
# time limit, and prints "integration: N passed, N failed, N skipped".
# A test exits 0 to pass, 77 to skip, anything else to fail. Its output goes
# to build/test-logs/NAME.log and is shown when it fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
: "${BIN:=$top/bin}"
export BIN
limit=${TEST_TIMEOUT:-300}
jobs=${TEST_JOBS:-3}
logs=${TEST_LOGS:-$top/build/test-logs}
export TEST_LOGS=$logs
mkdir -p "$logs"
if [ $# -gt 0 ]; then tests=("$@"); else tests=("$here"/integration/*.sh); fi

# One initdb for all: each test's pg_start copies it (tests/lib/pg.sh).
# Under /tmp, as the tests' own clusters: the server's user must reach it.
template_dir=$(mktemp -d /tmp/dbrepl-pg-template.XXXXXX)
chmod 755 "$template_dir"
trap 'rm -rf "$template_dir"' EXIT
PG_TEMPLATE=$template_dir/data
export PG_TEMPLATE
[ "$(id -u)" = 0 ] && chown postgres: "$template_dir"
( . "$here/lib/pg.sh" && pg_initdb "$PG_TEMPLATE" ) || {
	echo "run-integration: initdb of the template cluster failed; each test runs its own" >&2
	unset PG_TEMPLATE
}

# The longest tests first (these took 30 s and more on 2 cores), so the
# lanes end together.
slow=(snapshot-online e2e-chaos metrics ksub-basic snapshot-resume-handover ksub-ordered ksub-kill
	snapshot-resume zz-demo ksub-invalid mssql-apply-bulk mssql-apply-transactions kpub-acks pgcdc-read-kill)
declare -A taken=()
ordered=()
for s in "${slow[@]}"; do
	for t in "${tests[@]}"; do
		[ "$(basename "$t" .sh)" = "$s" ] && { ordered+=("$t"); taken[$t]=1; }
	done
done
for t in "${tests[@]}"; do [ -n "${taken[$t]:-}" ] || ordered+=("$t"); done

run_one() { # test -> writes NAME.rc and NAME.secs
	local t=$1 name start rc
	name=$(basename "$t" .sh)
	start=$(date +%s)
	timeout -k 10 "$limit" bash "$t" >"$logs/$name.log" 2>&1 </dev/null
	rc=$?
	echo $(($(date +%s) - start)) >"$logs/$name.secs"
	echo $rc >"$logs/$name.rc"
}

report() { # name -> prints the result line, counts it
	local name=$1 rc secs
	rc=$(cat "$logs/$name.rc")
	secs=$(cat "$logs/$name.secs")
	case $rc in
	0) pass=$((pass + 1)); echo "ok   $name (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "skip $name: $(grep -m1 -i 'skip' "$logs/$name.log" || true)" ;;
	*) failn=$((failn + 1))
	   echo "FAIL $name (exit $rc, ${secs}s) — last lines of $logs/$name.log:"
	   tail -n 40 "$logs/$name.log" | sed 's/^/    /' ;;
	esac
}

pass=0 failn=0 skip=0
declare -A running=()
for t in "${ordered[@]}"; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	rm -f "$logs/$name.rc"
	while [ ${#running[@]} -ge "$jobs" ]; do
		sleep 0.5
		for n in "${!running[@]}"; do
			if [ -f "$logs/$n.rc" ]; then report "$n"; unset "running[$n]"; fi
		done
	done
	run_one "$t" &
	running[$name]=$!
done
while [ ${#running[@]} -gt 0 ]; do
	sleep 0.5
	for n in "${!running[@]}"; do
		if [ -f "$logs/$n.rc" ]; then report "$n"; unset "running[$n]"; fi
	done
done
echo "integration: $pass passed, $failn failed, $skip skipped"
[ "$failn" = 0 ]
