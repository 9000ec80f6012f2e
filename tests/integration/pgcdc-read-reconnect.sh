#!/usr/bin/env bash
# pgcdc-read reconnects when the server goes away while it streams (a
# restart of PostgreSQL, then a forced disconnect of its walsender): it
# resumes from the confirmed position and loses no change: every
# transaction arrives whole (one cut by the disconnect comes again, whole,
# with the same positions).
set -eu
source "$(dirname "$0")/../lib/pg.sh"
pg_start

q "CREATE TABLE r (id integer PRIMARY KEY)"
q "CREATE PUBLICATION rpub FOR TABLE r"
q "SELECT 1 FROM pg_create_logical_replication_slot('rslot', 'pgoutput')" >/dev/null
"$BIN/pgcdc-read" -d "$PGCONN" -S rslot -P rpub -s 1 --no-progress >"$TEST_TMP/out" 2>"$TEST_TMP/err" &
pid=$!
on_exit "kill -9 $pid"

has() { grep -q "\"after\":{\"id\":$1}" "$TEST_TMP/out"; }
wait_for() {
	for _ in $(seq 1 400); do has "$1" && return; sleep 0.1; done
	cat "$TEST_TMP/err" >&2
	fail "id $1 never arrived"
}
q "INSERT INTO r SELECT generate_series(1, 100)"
wait_for 100
pg_restart
q "INSERT INTO r SELECT generate_series(101, 200)"
wait_for 200
q "SELECT pg_terminate_backend(pid) FROM pg_stat_replication" >/dev/null
q "INSERT INTO r SELECT generate_series(201, 300)"
wait_for 300
kill -0 $pid || fail "pgcdc-read died: $(cat "$TEST_TMP/err")"
kill -TERM $pid
rc=0
wait $pid || rc=$?
[ $rc = 0 ] || fail "exit $rc after SIGTERM"
grep -q "reconnect" "$TEST_TMP/err" || fail "no reconnect reported: $(cat "$TEST_TMP/err")"

# Every id present; every transaction whole.
got=$(grep -o '"after":{"id":[0-9]*}' "$TEST_TMP/out" | grep -o '[0-9]*' | sort -n | uniq | wc -l)
[ "$got" = 300 ] || fail "$got distinct ids, want 300"
grep -o '"offset":"[^"]*"' "$TEST_TMP/out" | cut -d'"' -f4 | awk -F: '
	!seen[$0]++ { n[$1]++ }
	END { for (t in n) if (n[t] != 100) { print "transaction " t ": " n[t] " of 100 changes"; bad = 1 }; exit bad }' ||
	fail "a transaction is incomplete"
echo "pgcdc-read-reconnect: resumed after a restart and a disconnect, nothing lost"
