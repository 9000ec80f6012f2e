#!/usr/bin/env bash
# snapshot stops on SIGTERM while a statement waits on the server. Before,
# a table locked by another session (DDL, VACUUM FULL) or a slot waiting
# for the transactions open when it was asked for held snapshot past any
# number of signals. Now what still waits 10 s after the signal is
# cancelled (a second signal cancels at once) and snapshot exits 75, the
# snapshot partial, leaving no slot of its own behind:
#   1. a lock on the table, one SIGTERM: exit 75 10 s later;
#   2. the same, a second SIGTERM: exit 75 at once;
#   3. --create-slot waiting for an open transaction: exit 75, no slot;
#   4. the lock and the transaction gone: the snapshot is whole.
set -u
. "$(dirname "$0")/../lib/pg.sh"
needs snapshot jq
pg_start
cd "$TEST_TMP"
q "CREATE TABLE a (id int PRIMARY KEY); INSERT INTO a SELECT generate_series(1, 1000)"

# hold SQL...: a session that runs SQL in a transaction and stays in it
hold() {
	psql -X -q -d "$PGCONN application_name=holder" -c "BEGIN" -c "$1" -c "SELECT pg_sleep(600)" \
		>/dev/null 2>&1 &
	for _ in $(seq 1 100); do
		[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'holder' AND wait_event = 'PgSleep'")" = 1 ] && return
		sleep 0.1
	done
	fail "the holding session did not start"
}
# the server's session sleeps on when its client goes: end it there
release() { q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'" >/dev/null; }
on_exit release
# start OUT ARGS...: snapshot in the background (pid in $snap), once it waits
start() {
	local out=$1
	shift
	"$BIN/snapshot" -d "$PGCONN" --no-progress "$@" >"$out" 2>"$out.err" &
	snap=$!
	for _ in $(seq 1 100); do
		[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name <> 'holder' AND wait_event_type = 'Lock'")" -ge 1 ] && return
		sleep 0.1
	done
	cat "$out.err" >&2
	fail "snapshot did not wait for the lock"
}
# stopped_within SECONDS OUT: snapshot exited 75 within SECONDS, saying why
stopped_within() {
	exits_within "$1" "$snap" || fail "snapshot still running $1 s after the signal"
	wait "$snap"
	local rc=$?
	[ $rc = 75 ] || { cat "$2.err" >&2; fail "snapshot exited $rc, want 75"; }
	grep -q "interrupted by signal 15: what still waited for PostgreSQL was cancelled; the snapshot is partial" "$2.err" ||
		{ cat "$2.err" >&2; fail "snapshot did not say it was interrupted"; }
}

# 1. one SIGTERM: 10 s more, then cancelled
hold "LOCK TABLE a IN ACCESS EXCLUSIVE MODE"
start one.ndjson -t a
t0=$(date +%s)
kill -TERM "$snap"
stopped_within 20 one.ndjson
[ $(($(date +%s) - t0)) -ge 9 ] || fail "cancelled before its 10 s"
note "stopped $(($(date +%s) - t0)) s after SIGTERM"

# 2. a second SIGTERM: at once
start two.ndjson -t a
kill -TERM "$snap"
sleep 1
t0=$(date +%s)
kill -TERM "$snap"
stopped_within 3 two.ndjson
note "stopped $(($(date +%s) - t0)) s after the second signal"
release

# 3. the slot waits for a transaction that holds an xid
hold "INSERT INTO a VALUES (0)"
start three.ndjson -t a --slot s3 --create-slot
kill -TERM "$snap"
sleep 1
kill -TERM "$snap"
stopped_within 3 three.ndjson
# (the walsender drops the slot it was making after it sent the error)
for _ in $(seq 1 20); do
	[ "$(q "SELECT count(*) FROM pg_replication_slots")" = 0 ] && break
	sleep 0.1
done
[ "$(q "SELECT count(*) FROM pg_replication_slots")" = 0 ] || fail "a slot was left: $(q "SELECT slot_name FROM pg_replication_slots")"
release

# 4. nothing held: the whole table
"$BIN/snapshot" -d "$PGCONN" --no-progress -t a >all.ndjson || fail "snapshot exited $?"
[ "$(jq -r .after.id all.ndjson | sort -n | tr '\n' ' ')" = "$(seq 1 1000 | tr '\n' ' ')" ] ||
	fail "the snapshot is not rows 1-1000"

echo "snapshot-stop: a statement waiting on a lock or for a slot is cancelled 10 s after SIGTERM (at once after a second); exit 75, no slot left"
