#!/usr/bin/env bash
# snapshot --online that fails inside a window (after its low watermark,
# before the high one) must say so in the stream: an abort message for
# that window, so that pgcdc-read closes it at once instead of holding
# its changes until the window's WAL bound expires. Here the chunk's COPY
# waits on a lock another session took inside the window and is
# cancelled, as a DBA's pg_cancel_backend would: snapshot exits 69
# (EX_UNAVAILABLE), and the WAL, read through a test_decoding slot, holds
# the low watermark and then the abort of the same window.
set -u
source "$(dirname "$0")/../lib/pg.sh"
needs snapshot
# No commit waits for a standby unless its session asks (synchronous_commit on).
pg_start "synchronous_commit = local" "synchronous_standby_names = 'nobody'"
T=$TEST_TMP

q "CREATE TABLE t (id int PRIMARY KEY, v text);
   INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 300) i;
   CREATE PUBLICATION pub FOR TABLE t;"
q "SELECT 1 FROM pg_create_logical_replication_slot('s', 'pgoutput')" >/dev/null
q "SELECT 1 FROM pg_create_logical_replication_slot('peek', 'test_decoding')" >/dev/null

# The window stays open while a transaction that was in progress at the
# low watermark is not yet visible: an update whose commit waits for a
# standby that does not exist (as in snapshot-online-windows.sh).
psql -X -q -v ON_ERROR_STOP=1 -c "SET synchronous_commit = on; UPDATE t SET v = 'new' WHERE id = 1" 2>"$T/sync.err" &
sync=$!
on_exit "kill $sync 2>/dev/null"
q_until "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'" 1 ||
	fail "the update does not wait for the standby"
"$BIN/snapshot" -d "$PGCONN" --online --slot s -t t --chunk-rows 100 --no-progress >"$T/snap.out" 2>"$T/snap.err" &
snap=$!
on_exit "kill $snap 2>/dev/null"
# kinds: the kinds of snapshot's messages so far, in WAL order
kinds() {
	q "SELECT coalesce(string_agg(substring(data from '\"kind\":\"([a-z]+)\"'), ',' ORDER BY lsn), '')
		FROM pg_logical_slot_peek_changes('peek', NULL, NULL)
		WHERE data LIKE 'message: transactional: 1 prefix: dbrepl,%'"
}
for ((i = 0; i < 100; i++)); do
	[ "$(kinds)" = low ] && break
	sleep 0.1
done
[ "$(kinds)" = low ] || { cat "$T/snap.err" >&2; fail "no window opened: [$(kinds)]"; }
# Inside the window, a session asks for the table whole: it waits for the
# update, and once the update commits it holds the table, so that the
# chunk's COPY waits on it.
mkfifo "$T/lock.in"
psql -X -q -v ON_ERROR_STOP=1 <"$T/lock.in" >/dev/null 2>"$T/lock.err" &
locker=$!
exec 3>"$T/lock.in"
on_exit "exec 3>&-; kill $locker 2>/dev/null"
echo "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(0);" >&3
for ((i = 0; i < 100; i++)); do
	[ "$(q "SELECT count(*) FROM pg_locks WHERE relation = 't'::regclass AND mode = 'AccessExclusiveLock'")" = 1 ] && break
	sleep 0.1
done
q "ALTER SYSTEM SET synchronous_standby_names = ''" && q "SELECT pg_reload_conf()" >/dev/null || fail "releasing the update"
wait $sync || { cat "$T/sync.err" >&2; fail "the update failed"; }
# its chunk's COPY waits on the lock, inside the window
pid=
for ((i = 0; i < 100; i++)); do
	pid=$(q "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'COPY%'")
	[ -n "$pid" ] && break
	sleep 0.1
done
[ -n "$pid" ] || { cat "$T/snap.err" >&2; q "SELECT wait_event_type, wait_event, left(query, 120) FROM pg_stat_activity WHERE backend_type = 'client backend'" >&2; fail "the chunk's COPY does not wait on the lock"; }
[ "$(q "SELECT pg_cancel_backend($pid)")" = t ] || fail "cancelling the COPY"
rc=0
wait $snap || rc=$?
[ $rc = 69 ] || { cat "$T/snap.err" >&2; fail "snapshot exited $rc, want 69 (the COPY failed)"; }
grep -q 'cancel' "$T/snap.err" || fail "no word of the cancel: $(cat "$T/snap.err")"
echo "ROLLBACK;" >&3
# the low watermark, then the abort of the same window
[ "$(kinds)" = "low,abort" ] || fail "the window's messages: [$(kinds)], want [low,abort]"
exit 0
