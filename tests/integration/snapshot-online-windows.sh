#!/usr/bin/env bash
# The two places where an online backfill is easy to get wrong, made to
# happen on purpose:
#
# 1. With --truncate (the target has a row the source has not).
#    A transaction whose commit record is in the WAL before the low
#    watermark but which snapshots do not see yet. A synchronous commit
#    waiting for a standby that does not exist stays so until the standby
#    list is cleared. `snapshot --online` must wait for it before reading
#    the chunk: else the chunk holds the row from before that update, the
#    stream has the update before the window, and the stale row written at
#    the high watermark would stay at the target.
#
# 2. pgcdc-read killed -9 inside a window (after the low watermark, before
#    the high one): it must not have confirmed the slot past the low
#    watermark, so that after the restart it decodes the window again and
#    writes the chunk's rows, leaving out those the window changed and
#    writing a TOASTed value the stream did not send as an update of that
#    column alone. The watermarks are written by hand here, the rows are
#    snapshot's own records.
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/compare.sh"
needs snapshot pgcdc-read mssql-apply peers/tds-server jq
# No commit waits for a standby unless its session asks (synchronous_commit on).
pg_start "synchronous_commit = local" "synchronous_standby_names = 'nobody'"
tds_start
export MSSQL_PASSWORD=unused
T=$TEST_TMP

# ---- 1. the commit that is in the WAL but not yet visible ----
q "CREATE TABLE t (id int PRIMARY KEY, v text);
   INSERT INTO t SELECT i, 'old ' || i FROM generate_series(1, 500) i;
   CREATE PUBLICATION pub FOR TABLE t;"
q "SELECT pg_create_logical_replication_slot('s', 'pgoutput')" >/dev/null
mkfifo "$T/s1"
"$BIN/pgcdc-read" -d "$PGCONN" -S s -P pub -s 1 --ack "$T/ack1" --no-progress -v 2>"$T/read1.err" >"$T/s1" &
reader=$!
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --ack "$T/ack1" --no-progress \
	<"$T/s1" 2>"$T/apply1.err" &
applier=$!
on_exit "kill $reader $applier 2>/dev/null"

psql -X -q -v ON_ERROR_STOP=1 -c "SET synchronous_commit = on; UPDATE t SET v = 'new' WHERE id = 1" 2>"$T/sync.err" &
sync=$!
q_until "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'" 1 ||
	fail "the update does not wait for the standby"
[ "$(q "SELECT v FROM t WHERE id = 1")" = "old 1" ] || fail "the waiting update is visible already"

# The target has a row the source has not: --truncate removes it.
for ((i = 0; i < 100; i++)); do
	[ "$(tq "SELECT count(*) FROM public.t" 2>/dev/null)" = 1 ] && break
	sleep 0.1
done
tq "INSERT INTO public.t VALUES (100000, 'not at the source')" || fail "damaging the target"
"$BIN/snapshot" -d "$PGCONN" --online --slot s -t t --truncate --chunk-rows 100 --no-progress 2>"$T/snap1.err" &
snap=$!
sleep 2
kill -0 $snap 2>/dev/null || { cat "$T/snap1.err" >&2; fail "snapshot did not wait for the transaction committed before its low watermark"; }
q "ALTER SYSTEM SET synchronous_standby_names = ''" && q "SELECT pg_reload_conf()" >/dev/null ||
	{ kill $sync $snap; fail "releasing the waiting commit"; }
wait $sync || { cat "$T/sync.err" >&2; fail "the update failed"; }
wait $snap || { cat "$T/snap1.err" >&2; fail "snapshot --online exited $?"; }
compare_table_eventually "$PGCONN" "$TDS_PGCONN" public t 20 >&2 ||
	fail "the backfill wrote a row older than the stream's"
note "1: the chunk waited for the commit it could not see yet"

# ---- 2. pgcdc-read killed inside a window ----
q "CREATE TABLE t2 (id int PRIMARY KEY, v text, big text);
   ALTER TABLE t2 ALTER big SET STORAGE EXTERNAL;
   INSERT INTO t2 SELECT i, 'v' || i, repeat(md5(i::text), 200) FROM generate_series(1, 6) i;
   CREATE PUBLICATION pub2 FOR TABLE t2;"
q "SELECT pg_create_logical_replication_slot('s2', 'pgoutput')" >/dev/null
# The chunk as snapshot reads it, before the window's changes.
"$BIN/snapshot" -d "$PGCONN" -t t2 --no-progress >"$T/chunk.ndjson" || fail "reading the chunk"
emit() { # emit CONTENT-FILE
	echo "SELECT pg_logical_emit_message(true, 'dbrepl', :'c')" |
		psql -X -q -At -v ON_ERROR_STOP=1 -v c="$(cat "$1")" >/dev/null || fail "emitting a watermark"
}
header() { # header KIND CHUNK [extra JSON members]
	printf '{"v":1,"kind":"%s","slot":"s2","id":"by-hand","schema":"public","table":"t2","chunk":%s%s}\n' "$1" "$2" "${3:-}"
}
low=',"key":["id"],"cols":["id","v","big"],"types":["integer","text","text"],"max_wal":100000000'

"$BIN/pgcdc-read" -d "$PGCONN" -S s2 -P pub2 -s 1 --no-progress >"$T/out1.ndjson" 2>"$T/read2.err" &
reader2=$!
on_exit "kill $reader2 2>/dev/null"
header low 0 "$low" >"$T/low"
emit "$T/low"
after_low=$(q "SELECT pg_current_wal_insert_lsn()")
q "UPDATE t2 SET v = 'changed' WHERE id = 2;
   DELETE FROM t2 WHERE id = 3;
   UPDATE t2 SET v = 'toast kept' WHERE id = 5;"
# pgcdc-read writes those changes and, without --ack, would confirm them
# once flushed; the open window holds the slot at its low watermark.
for ((i = 0; i < 50; i++)); do
	[ "$(jq -r 'select(.table == "t2") | .op' "$T/out1.ndjson" 2>/dev/null | wc -l)" -ge 3 ] && break
	sleep 0.1
done
sleep 2.5
held=$(q "SELECT confirmed_flush_lsn < '$after_low' FROM pg_replication_slots WHERE slot_name = 's2'")
[ "$held" = t ] || fail "pgcdc-read confirmed past an open window's low watermark"
kill -9 $reader2
wait $reader2 2>/dev/null

{ header high 0 ',"rows":6,"truncate":false'; cat "$T/chunk.ndjson"; } >"$T/high"
emit "$T/high"
# A window that is aborted writes nothing, even when a high watermark follows.
header low 1 "$low" >"$T/low1"
emit "$T/low1"
header abort 1 >"$T/abort1"
emit "$T/abort1"
{ header high 1 ',"rows":6,"truncate":false'; cat "$T/chunk.ndjson"; } >"$T/high1"
emit "$T/high1"
end=$(q "SELECT pg_current_wal_insert_lsn()")
timeout 60 "$BIN/pgcdc-read" -d "$PGCONN" -S s2 -P pub2 -E "$end" --no-progress >"$T/out2.ndjson" 2>"$T/read3.err" ||
	{ cat "$T/read3.err" >&2; fail "pgcdc-read after the restart exited $?"; }

got=$(jq -c 'select(.table == "t2") | [.op, (.after // .before).id, .after.v, (.after.big | length), .unchanged]' \
	"$T/out2.ndjson" | tr '\n' ' ')
# Every big value is TOASTed, so neither update sent it: the chunk does,
# for the rows the window updated (2, 5), as updates of big alone.
want='["u",2,"changed",0,["big"]] ["d",3,null,0,null] ["u",5,"toast kept",0,["big"]] '
want+='["r",1,"v1",6400,null] ["u",2,null,6400,["v"]] ["r",4,"v4",6400,null] ["u",5,null,6400,["v"]] '
want+='["r",6,"v6",6400,null] '
[ "$got" = "$want" ] || fail "after the restart pgcdc-read wrote: $got
want: $want"
# The chunk's records sit at the high watermark: one transaction, in order.
[ "$(jq -r 'select(.table == "t2") | .pos.offset | split(":")[0]' "$T/out2.ndjson" | tail -n 5 | sort -u | wc -l)" = 1 ] ||
	fail "the chunk's records are not in one transaction"
[ "$(q "SELECT confirmed_flush_lsn >= '$end' FROM pg_replication_slots WHERE slot_name = 's2'")" = t ] ||
	fail "the slot did not move on after the window closed"
note "2: the restart decoded the window again"
echo "snapshot-online-windows: the chunk waits for commits it cannot see; a restart inside a window loses nothing"
