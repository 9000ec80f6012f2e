#!/usr/bin/env bash
# pgcdc-read stops on SIGTERM while it waits on the server before
# streaming: --create-slot waits for the transactions open when the slot
# is asked for, which held pgcdc-read past any number of signals. Now the
# wait is cancelled 10 s after the signal (at once after a second one):
# pgcdc-read exits saying the slot was not created, and none is left.
set -u
. "$(dirname "$0")/../lib/pg.sh"
needs pgcdc-read
pg_start
cd "$TEST_TMP"
q "CREATE TABLE a (id int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE a"

# a transaction that holds an xid, which a new slot waits for
psql -X -q -d "$PGCONN application_name=holder" -c "BEGIN" -c "INSERT INTO a VALUES (0)" -c "SELECT pg_sleep(600)" \
	>/dev/null 2>&1 &
release() { q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'" >/dev/null; }
on_exit release
for _ in $(seq 1 100); do
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'holder' AND wait_event = 'PgSleep'")" = 1 ] && break
	sleep 0.1
done

# run NAME SECOND-SIGNAL WITHIN MIN: pgcdc-read --create-slot until it
# waits, then SIGTERM (and another a second later); it must end within
# WITHIN seconds of the last signal, not before MIN
run() {
	"$BIN/pgcdc-read" -d "$PGCONN" -S "s_$1" -P p --create-slot --no-progress >"$1.out" 2>"$1.err" &
	local pid=$! i
	for ((i = 0; i < 100; i++)); do
		[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender' AND wait_event_type = 'Lock'")" = 1 ] && break
		sleep 0.1
	done
	[ $i -lt 100 ] || { cat "$1.err" >&2; fail "$1: the slot did not wait"; }
	kill -TERM $pid
	if [ "$2" = yes ]; then
		sleep 1
		kill -TERM $pid
	fi
	local t0=$(date +%s)
	exits_within "$3" $pid || fail "$1: pgcdc-read still running $3 s after the signal"
	wait $pid
	local rc=$? took=$(($(date +%s) - t0))
	[ $took -ge "$4" ] || fail "$1: the wait was cancelled after $took s, before its $4 s"
	note "$1: stopped $took s after the last signal, exit $rc"
	[ $rc != 0 ] || fail "$1: exit 0 without a slot"
	grep -q "creating slot s_$1 failed (ERROR:  canceling statement due to user request)" "$1.err" ||
		{ cat "$1.err" >&2; fail "$1: no word of the cancelled slot"; }
	# (the walsender drops the slot it was making after it sent the error)
	for ((i = 0; i < 20; i++)); do
		[ "$(q "SELECT count(*) FROM pg_replication_slots")" = 0 ] && break
		sleep 0.1
	done
	[ "$(q "SELECT count(*) FROM pg_replication_slots")" = 0 ] ||
		fail "$1: a slot was left: $(q "SELECT slot_name FROM pg_replication_slots")"
}
run one no 20 9
run two yes 3 0

echo "pgcdc-read-stop: a slot waiting for open transactions is given up 10 s after SIGTERM, at once after a second"
