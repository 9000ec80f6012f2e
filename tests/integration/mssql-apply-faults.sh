#!/usr/bin/env bash
# mssql-apply against a failing server: the TDS peer answers the second
# committing batch with error 1205 (deadlock victim), and drops the
# connection right after committing the third (the commit happened, the
# client never hears of it). mssql-apply must retry the deadlocked batch,
# reconnect, see from the checkpoint that the dropped batch committed, and
# finish with every row applied exactly once: the target equals the input,
# PostgreSQL behind the peer counts no row inserted twice or updated, and
# the checkpoint holds the last offset. The acks name that offset too.
set -u
source "$(dirname "$0")/../lib/pg.sh"
needs peers/tds-server
pg_start
tds_start --fault deadlock-at=2 --fault drop-after=3
export MSSQL_PASSWORD=unused

n=5000
for ((i = 1; i <= n; i++)); do
	printf '{"v":1,"op":"c","db":"src","schema":"public","table":"f","cols":[{"name":"id","type":"bigint"},{"name":"v","type":"text"}],"key":["id"],"after":{"id":%d,"v":"value %d"},"src":{"lsn":"0/%X","xid":%d,"ts":"2026-11-25T10:00:00.000000Z","seq":1},"pos":{"stream":"pg/src/faults","offset":"0/%X:1"}}\n' \
		$i $i $((i * 16)) $i $((i * 16))
done >"$TEST_TMP/in.json"
mkfifo "$TEST_TMP/ack"
cat "$TEST_TMP/ack" >"$TEST_TMP/acks" &
catpid=$!
on_exit "kill $catpid"

"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress --stats \
	--batch-rows 1000 --ack "$TEST_TMP/ack" <"$TEST_TMP/in.json" 2>"$TEST_TMP/err"
rc=$?
cat "$TEST_TMP/err" >&2
[ $rc = 0 ] || fail "mssql-apply exited $rc"
grep -q "fault: deadlock at commit batch 2" "$TDS_LOG" || fail "the peer did not inject the deadlock"
grep -q "fault: drop at commit batch 3" "$TDS_LOG" || fail "the peer did not drop the connection"

got=$(tq "SELECT count(*), count(DISTINCT id), min(id), max(id),
	count(*) FILTER (WHERE v = 'value ' || id) FROM public.f")
[ "$got" = "$n|$n|1|$n|$n" ] || fail "target holds count|distinct|min|max|right-values = $got"
last=$(printf '0/%X:1' $((n * 16)))
got=$(tq "SELECT \"offset\" FROM dbo.dbrepl_checkpoint WHERE stream = 'pg/src/faults'")
[ "$got" = "$last" ] || fail "checkpoint $got, want $last"

# Every row inserted once, none updated: a batch applied twice would have
# turned into MERGE updates. (Stats reach the view when the peer's backends
# end; the deadlocked batch never ran a statement.)
sleep 1.5
got=$(tq "SELECT n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables WHERE relname = 'f'")
[ "$got" = "$n|0|0" ] || fail "target table saw inserted|updated|deleted = $got, want $n|0|0"

# Round trips per batch depend on the tables in it, not on its 1000 rows:
# bcp (3) + the transaction (1).
rt=$(sed -n 's/.* \([0-9]*\) round trips last batch (1 tables).*/\1/p' "$TEST_TMP/err" | tail -n 1)
[ -n "$rt" ] && [ "$rt" -le 5 ] || fail "last batch of 1000 rows took '$rt' round trips, want <= 5"

sleep 0.2
grep -qx "pg/src/faults $last" "$TEST_TMP/acks" || fail "no ack for $last (acks: $(tr '\n' ' ' <"$TEST_TMP/acks"))"
echo "mssql-apply-faults: deadlock retried, dropped commit not repeated, nothing lost or doubled"
