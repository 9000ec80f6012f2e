#!/bin/bash
# tds-peer-disconnect.sh — the TDS peer listens to its client while a
# statement runs, as SQL Server does (MS-TDS 3.3.5.9): a client that goes
# away while its statement waits on a lock ends its session (statement
# cancelled, transaction rolled back, PostgreSQL backend gone), and an
# ATTENTION (db-lib dbcancel) cancels the waiting statement, is answered
# with DONE_ATTN at once, rolls the transaction back and leaves the
# connection usable. Before, the session's statement went on waiting
# after its client had gone, and ran once the lock was released.
set -u
. "$(dirname "$0")/../lib/pg.sh"

needs tsql
[ -x "$BIN/peers/tds-server" ] || fail "$BIN/peers/tds-server not built"
[ -x "$BIN/peers/bcp-probe" ] || fail "$BIN/peers/bcp-probe not built"

pg_start
tds_start
cd "$TEST_TMP"

tds_sql "CREATE TABLE [dbo].[acct] ([id] int NOT NULL, [v] nvarchar(20) NULL, CONSTRAINT [PK_acct] PRIMARY KEY ([id]))" \
	>/dev/null || fail "CREATE TABLE"
tds_sql "INSERT INTO [dbo].[acct] ([id], [v]) VALUES (1, N'start')" >/dev/null || fail "INSERT"

rows() { tq "SELECT string_agg(id || ':' || v, ' ' ORDER BY id) FROM dbo.acct"; }
waiting() { tq "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity WHERE datname = 'target' AND wait_event_type = 'Lock'"; }
# tsql as one process (its pid is $!, for kill -9), not a function's subshell
tsql_to_peer=(env LC_ALL=C.UTF-8 TDSVER=7.4 tsql -H "$TDS_HOST" -p "$TDS_PORT" -U sa -P unused -D "$TDS_DB" -o q)

# hold: a TDS session (tsql on a FIFO) whose open transaction has deleted
# every row, so row 1's key stays locked until release
hold() {
	rm -f hold.fifo
	mkfifo hold.fifo
	"${tsql_to_peer[@]}" <hold.fifo >hold.out 2>hold.err &
	holder=$!
	exec {hfd}>hold.fifo
	printf "BEGIN TRANSACTION\nDELETE FROM [dbo].[acct]\ngo\n" >&$hfd
	for _ in $(seq 1 100); do
		[ "$(tq "SELECT count(*) FROM pg_stat_activity WHERE datname = 'target' AND state = 'idle in transaction'")" = 1 ] &&
			return
		sleep 0.1
	done
	cat hold.err >&2
	fail "the holder's transaction did not start"
}
# release: the holder commits and leaves
release() {
	printf "COMMIT TRANSACTION\ngo\nexit\n" >&$hfd
	exec {hfd}>&-
	exits_within 10 "$holder" || fail "the holder did not end"
	wait "$holder"
	grep -E '^(Msg|Error) [0-9]' hold.err && fail "the holder's COMMIT failed: $(cat hold.err)"
	return 0
}
# wait_for_waiter: the PostgreSQL pid of the one statement waiting on the lock
wait_for_waiter() {
	local w
	for _ in $(seq 1 100); do
		w=$(waiting)
		[ -n "$w" ] && { echo "$w"; return; }
		sleep 0.1
	done
}

# --- 1. the client killed while its statement waits on the lock ---
# its batch inserts row 3, then row 1, whose key waits for the holder, and
# commits: the old peer ran it to the end once the holder had committed
hold
"${tsql_to_peer[@]}" <<<$'BEGIN TRANSACTION\nINSERT INTO [dbo].[acct] ([id], [v]) VALUES (3, N\'killed\')\nINSERT INTO [dbo].[acct] ([id], [v]) VALUES (1, N\'killed\')\nCOMMIT TRANSACTION\ngo' \
	>killed.out 2>&1 &
client=$!
waiter=$(wait_for_waiter)
[ -n "$waiter" ] || fail "the second client's INSERT did not wait on the lock"
kill -9 "$client"
wait "$client" 2>/dev/null
gone=
for _ in $(seq 1 50); do
	[ -z "$(waiting)" ] && [ "$(tq "SELECT count(*) FROM pg_stat_activity WHERE pid = $waiter")" = 0 ] &&
		{ gone=1; break; }
	sleep 0.1
done
[ -n "$gone" ] || fail "5 s after its client was killed the peer's session still waits on the lock (waiting: '$(waiting)', backend $waiter: $(tq "SELECT state || '/' || coalesce(wait_event_type, '-') FROM pg_stat_activity WHERE pid = $waiter"))"
release
sleep 0.5
[ -z "$(rows)" ] || fail "after the killed client: target holds '$(rows)', want nothing"
note "a killed client's session ended, its transaction rolled back"

# --- 2. an ATTENTION while the statement waits on the lock ---
tds_sql "INSERT INTO [dbo].[acct] ([id], [v]) VALUES (1, N'again')" >/dev/null || fail "INSERT again"
hold
out=$(timeout 20 "$BIN/peers/bcp-probe" --server "$TDS_HOST:$TDS_PORT" --database "$TDS_DB" --cancel --cancel-after 1000 \
	--cancel-sql "BEGIN TRANSACTION INSERT INTO [dbo].[acct] ([id], [v]) VALUES (3, N'cancelled') INSERT INTO [dbo].[acct] ([id], [v]) VALUES (1, N'cancelled') COMMIT TRANSACTION" \
	2>probe.err)
rc=$?
[ $rc = 0 ] || fail "ATTENTION during a lock wait: bcp-probe exit $rc ($out $(cat probe.err))"
[[ "$out" =~ ^cancelled\ in\ ([0-9]+)\ ms,\ then\ 42$ ]] || fail "ATTENTION during a lock wait: $out $(cat probe.err)"
[ "${BASH_REMATCH[1]}" -lt 3000 ] || fail "ATTENTION during a lock wait acknowledged only after ${BASH_REMATCH[1]} ms"
[ -z "$(waiting)" ] || fail "a statement still waits on the lock after its ATTENTION was acknowledged"
release
sleep 0.5
[ -z "$(rows)" ] || fail "after the ATTENTION: target holds '$(rows)', want nothing"
note "an ATTENTION cancelled the waiting statement in ${BASH_REMATCH[1]} ms and rolled its transaction back"

tds_stop
echo "tds-peer-disconnect: a session whose client is killed or sends an ATTENTION while its statement waits on a lock stops waiting and rolls back"
exit 0
