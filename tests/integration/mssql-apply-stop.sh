#!/usr/bin/env bash
# mssql-apply stops on SIGTERM while its batch waits for the server: a
# session holds a lock on the target table, so the batch's MERGE waits (as
# it would at SQL Server, whose lock timeout is unlimited by default).
# Before, mssql-apply waited as long as the lock was held, whatever the
# signals. Now:
#   1. one SIGTERM: the batch may wait 10 s more, then it is cancelled;
#      mssql-apply exits 0, says the batch was not applied, and acks
#      nothing of it;
#   2. a second SIGTERM cancels it at once;
#   3. the server gone: no retries after the 10 s either;
#   4. nothing lost, nothing doubled: once the lock is gone, the same
#      records applied again give each row once (whether or not the
#      cancelled batch had committed: the checkpoint tells);
#   5. a login the server does not answer: given up 10 s after SIGTERM
#      too (at once after a second), not at --login-timeout.
set -u
source "$(dirname "$0")/../lib/pg.sh"
needs mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused
cd "$TEST_TMP"

rec() { # id offset
	printf '{"v":1,"op":"c","db":"src","schema":"public","table":"st","cols":[{"name":"id","type":"integer"},{"name":"v","type":"text"}],"key":["id"],"after":{"id":%d,"v":"value %d"},"src":{"lsn":"0/%X","xid":%d,"ts":"2026-11-25T10:00:00.000000Z","seq":1},"pos":{"stream":"pg/src/stop","offset":"0/%X:1"}}\n' \
		"$1" "$1" "$2" "$2" "$2"
}
ARGS=(-S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress --batch-ms 50)
apply() { "$BIN/mssql-apply" "${ARGS[@]}" "$@"; }
rows() { tq "SELECT string_agg(id || ':' || v, ' ' ORDER BY id) FROM public.st"; }

rec 1 16 | apply || fail "the first record"
[ "$(rows)" = "1:value 1" ] || fail "target holds '$(rows)'"

# lock: holds an exclusive lock on the target table until killed
lock() {
	psql -X -q -d "$TDS_PGCONN application_name=locker" -c "BEGIN" \
		-c "LOCK TABLE public.st IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
	locker=$!
	on_exit "tq \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'locker'\" >/dev/null"
	for _ in $(seq 1 100); do
		[ "$(tq "SELECT count(*) FROM pg_locks WHERE relation = 'public.st'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ] && return
		sleep 0.1
	done
	fail "no lock taken"
}
# start_apply OUT: mssql-apply in the background (pid in $applier) on a
# FIFO, with acks to OUT.acks; the records of id 2 and 3 go in, and it
# waits until the batch waits for the lock: a statement begun since (the
# peer's session of an earlier run ends with its client, checked below, so
# this is belt and braces)
start_apply() {
	rm -f in.fifo ack.fifo
	mkfifo in.fifo ack.fifo
	cat ack.fifo >"$1.acks" &
	local since
	since=$(tq "SELECT clock_timestamp()")
	"$BIN/mssql-apply" "${ARGS[@]}" --ack ack.fifo <in.fifo 2>"$1.err" &
	applier=$!
	exec {feed}>in.fifo
	{ rec 2 32; rec 3 48; } >&$feed
	for _ in $(seq 1 100); do
		[ "$(tq "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = 'target'
			AND query_start > '$since'")" -ge 1 ] && return
		sleep 0.1
	done
	cat "$1.err" >&2
	fail "the batch did not wait for the lock"
}
# no_stale_wait OUT: as at SQL Server, the server's session of the stopped
# mssql-apply waits no more: its statement was cancelled when the
# connection went
lockwaits() { tq "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = 'target'"; }
no_stale_wait() {
	for _ in $(seq 1 50); do
		[ "$(lockwaits)" = 0 ] && return
		sleep 0.1
	done
	fail "$1: 5 s after mssql-apply stopped, its session at the server still waits on the lock"
}
# stopped_within SECONDS OUT: waits for $applier; fails unless it exited 0
stopped_within() {
	exits_within "$1" "$applier" || fail "mssql-apply still running $1 s after the signal: $(tail -n 3 "$2.err")"
	wait "$applier"
	local rc=$?
	exec {feed}>&-
	[ $rc = 0 ] || { cat "$2.err" >&2; fail "mssql-apply exited $rc, want 0"; }
	grep -q "the batch of 2 records was not applied" "$2.err" || { cat "$2.err" >&2; fail "no word of the batch"; }
	sleep 0.2
	[ ! -s "$2.acks" ] || fail "acks for records not applied: $(cat "$2.acks")"
}

# 1. one SIGTERM: 10 s more, then cancelled
lock
start_apply one
t0=$(date +%s)
kill -TERM "$applier"
stopped_within 20 one
note "stopped $(($(date +%s) - t0)) s after SIGTERM"
[ $(($(date +%s) - t0)) -ge 9 ] || fail "the batch was given up before its 10 s"
no_stale_wait one

# 2. a second SIGTERM: at once
start_apply two
kill -TERM "$applier"
sleep 1
t0=$(date +%s)
kill -TERM "$applier"
stopped_within 4 two
note "stopped $(($(date +%s) - t0)) s after the second signal"
no_stale_wait two
# (the server's session sleeps on when its client goes: end it there)
tq "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'locker'" >/dev/null
wait "$locker" 2>/dev/null

# 4. nothing lost, nothing doubled
{ rec 1 16; rec 2 32; rec 3 48; } | apply 2>again.err || { cat again.err >&2; fail "applying again"; }
[ "$(rows)" = "1:value 1 2:value 2 3:value 3" ] || fail "target holds '$(rows)'"

# 3. the server gone: retried for 10 s, not for --retries
{ rec 4 64; } >more.json
mkfifo in3.fifo
"$BIN/mssql-apply" "${ARGS[@]}" --retries 1000 <in3.fifo 2>three.err &
applier=$!
exec {feed}>in3.fifo
cat more.json >&$feed
for _ in $(seq 1 50); do
	[ "$(rows)" = "1:value 1 2:value 2 3:value 3 4:value 4" ] && break
	sleep 0.1
done
tds_stop
rec 5 80 >&$feed
sleep 1
t0=$(date +%s)
kill -TERM "$applier"
exits_within 20 "$applier" || fail "mssql-apply still retrying 20 s after SIGTERM"
wait "$applier"
rc=$?
exec {feed}>&-
[ $rc = 0 ] || { cat three.err >&2; fail "mssql-apply exited $rc with the server gone, want 0"; }
grep -q "the batch of 1 records was not applied" three.err || { cat three.err >&2; fail "no word of the batch"; }
note "stopped $(($(date +%s) - t0)) s after SIGTERM with the server gone"

# 5. a server that takes the connection and does not answer the login:
# db-lib asks no check while a login waits, so mssql-apply leaves by
# itself 10 s after SIGTERM (at once after a second), exit 0, long before
# its --login-timeout
tds_start --fault login-delay-ms=600000
rec 6 96 >six.json
for signals in 1 2; do
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --no-progress --login-timeout 300 \
		<six.json 2>"login$signals.err" &
	applier=$!
	sleep 1
	t0=$(date +%s%N)
	kill -TERM "$applier"
	[ "$signals" = 2 ] && { sleep 0.5; kill -TERM "$applier"; }
	exits_within 20 "$applier" || fail "mssql-apply still waiting for its login 20 s after SIGTERM"
	wait "$applier"
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ $rc = 0 ] || { cat "login$signals.err" >&2; fail "stopped in a login ($signals signals): exit $rc, want 0"; }
	grep -q "had not answered the login" "login$signals.err" ||
		{ cat "login$signals.err" >&2; fail "stopped in a login ($signals signals): no word of it"; }
	if [ "$signals" = 1 ]; then
		[ $ms -ge 9000 ] || fail "stopped in a login $ms ms after one SIGTERM: before the 10 s grace"
	else
		[ $ms -lt 3000 ] || fail "stopped in a login $ms ms after a second SIGTERM, want at once"
	fi
	note "stopped in a login $ms ms after the first of $signals SIGTERM"
done
[ "$(rows)" = "1:value 1 2:value 2 3:value 3 4:value 4" ] || fail "target holds '$(rows)' after the stopped logins"

echo "mssql-apply-stop: a batch waiting for the server is given up 10 s after SIGTERM (at once after a second), not acked, applied once later; so is a login the server does not answer"
