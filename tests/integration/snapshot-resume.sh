#!/usr/bin/env bash
# snapshot --state resumes an interrupted copy: `snapshot --state S --ack F
# | mssql-apply --ack F` into the TDS peer is killed -9 (both stages at once)
# at random moments, again and again; a last run finishes the copy. The
# target then equals the source value for value, every run after the first
# says how many rows it skipped, and the last one reads less than the whole
# table. The tables: one with a one-column key and one with a two-column
# text key (key order is the server's, quoted values and all). A table
# without a key (which mssql-apply refuses) is copied again whole, after a
# truncate record: checked on snapshot's output alone.
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/compare.sh"
needs snapshot mssql-apply peers/tds-server
seed=${RESUME_SEED:-$RANDOM}
note "seed $seed (RESUME_SEED=$seed reproduces the moments)"
RANDOM=$seed
pg_start
# Every answer of the peer waits a little: the copy takes seconds, not one,
# so that the kills fall inside it.
tds_start --fault delay-ms=${RESUME_DELAY_MS:-30}
export MSSQL_PASSWORD=unused
T=$TEST_TMP

rows=200000
q "CREATE SCHEMA shop;
   CREATE TABLE shop.orders (id bigint PRIMARY KEY, note text, amount numeric(14,3), placed timestamptz, raw bytea);
   INSERT INTO shop.orders SELECT i, CASE WHEN i % 5 = 0 THEN E'tab\\there \"q\" ''s''' ELSE 'order ' || i END,
          i * 1.125, '2026-01-01 00:00+00'::timestamptz + i * interval '1 second', decode(md5(i::text), 'hex')
     FROM generate_series(1, $rows) i;
   CREATE TABLE shop.\"Lines\" (\"Code\" text, n int, qty int, PRIMARY KEY (\"Code\", n));
   INSERT INTO shop.\"Lines\" SELECT CASE i % 4 WHEN 0 THEN 'a''b' WHEN 1 THEN 'A b' WHEN 2 THEN 'ä' ELSE 'z\"' END,
          i, i % 17 FROM generate_series(1, 8000) i;
   CREATE TABLE nokey (at int, what text);
   INSERT INTO nokey SELECT i, 'line ' || i FROM generate_series(1, 3000) i;"

copy() { # runs the pipeline in the background: $snap, $feed, $apply
	rm -f "$T/acks"
	# Through a file, not a pipe: snapshot runs far ahead of mssql-apply,
	# so that much is written and not yet durable when the kill comes,
	# which the state must not count.
	: >"$T/out.$round"
	"$BIN/snapshot" -d "$PGCONN" -n shop --state "$T/state" --ack "$T/acks" --chunk-rows 10000 --no-progress \
		2>>"$T/snap.err" >"$T/out.$round" &
	snap=$!
	tail -c +1 -f "$T/out.$round" >"$T/pipe" &
	feed=$!
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables \
		--batch-ms 1500 --batch-rows 15000 --bulk-rows 15000 \
		--ack "$T/acks" --no-progress <"$T/pipe" 2>>"$T/apply.err" &
	apply=$!
}
mkfifo "$T/pipe"

# Kill -9 at random moments once the state shows progress beyond a mark
# a random number of rows past where the round began, so that every round
# adds to the state and leaves the copy unfinished (a finished copy
# removes its state).
orders_done() { jq -r '.tables[] | select(.table == "orders") | .rows' "$T/state" 2>/dev/null || echo 0; }
kills=0
for round in 1 2 3 4; do
	# The state moves by up to a second of copying at a time: stop killing
	# while enough is left for the last run to finish.
	[ "$round" -le 2 ] || [ "$(orders_done)" -le $((rows / 2)) ] || break
	echo "--- round $round" >>"$T/snap.err"
	mark=$(($(orders_done) + 5000 + RANDOM % 10000))
	copy
	for ((i = 0; i < 1200; i++)); do
		[ "$(orders_done)" -ge "$mark" ] && break
		[ "$i" -lt 20 ] || [ -e "$T/state" ] || break
		sleep 0.05
	done
	sleep "0.$((RANDOM % 4))"
	kill -9 $snap $apply $feed 2>/dev/null
	wait $snap $apply $feed 2>/dev/null
	kills=$((kills + 1))
	[ -e "$T/state" ] || { tail -n 5 "$T/snap.err" "$T/apply.err" >&2; fail "the copy ended in round $round, before the kill"; }
	[ "$(orders_done)" -ge "$mark" ] || { tail -n 5 "$T/snap.err" "$T/apply.err" >&2; fail "no progress to $mark rows in round $round"; }
	note "round $round: killed -9 past $mark rows; state: $(jq -c '[.tables[] | [.table, .rows, .done]]' "$T/state")"
done

# The last run, to the end; its records are counted on the way.
rm -f "$T/acks"
"$BIN/snapshot" -d "$PGCONN" -n shop --state "$T/state" --ack "$T/acks" --chunk-rows 10000 --no-progress \
	2>"$T/last.err" | tee "$T/last.ndjson" |
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --ack "$T/acks" --no-progress \
		2>>"$T/apply.err"
rc=("${PIPESTATUS[@]}")
[ "${rc[0]}" = 0 ] || { cat "$T/last.err" >&2; fail "the last snapshot exited ${rc[0]}"; }
[ "${rc[2]}" = 0 ] || { tail "$T/apply.err" >&2; fail "the last mssql-apply exited ${rc[2]}"; }
[ ! -e "$T/state" ] || fail "the state of the complete copy was left behind"

for t in orders Lines; do
	compare_table "$PGCONN" "$TDS_PGCONN" shop "$t" >&2 || {
		show_table_diff "$PGCONN" "$TDS_PGCONN" shop "$t" >&2
		fail "shop.$t differs after $kills kills"
	}
done

read_rows=$(jq -r 'select(.op == "r" and .table == "orders") | .after.id' "$T/last.ndjson" | wc -l)
skipped=$(sed -n 's/.*; \([0-9]*\) rows copied before are skipped/\1/p' "$T/last.err")
note "$kills kills; the last run read $read_rows of $rows orders and skipped ${skipped:-?} rows"
[ -n "$skipped" ] || { cat "$T/last.err" >&2; fail "the last run did not say how many rows it skipped"; }
# The state showed at least the last mark when the last kill came.
[ "$skipped" -ge "$mark" ] || fail "the last run skipped $skipped rows, less than the state showed ($mark)"
[ "$read_rows" -le $((rows - mark)) ] || fail "the last run read $read_rows of $rows orders"
# A table without a key, begun but not complete: a rerun truncates it and
# copies it whole; a keyed table resumes after its key; a done one is skipped.
cat >"$T/state" <<'JSON'
{"dbrepl_snapshot_state": 1, "mode": "copy", "slot": null, "where": null, "truncate": false,
 "tables": [{"schema": "public", "table": "nokey", "key": [], "started": true, "done": false, "last": null, "rows": 1200},
            {"schema": "shop", "table": "orders", "key": ["id"], "started": true, "done": false, "last": ["199990"], "rows": 199990},
            {"schema": "shop", "table": "Lines", "key": ["Code", "n"], "started": true, "done": true, "last": ["z\"", "7999"], "rows": 8000}]}
JSON
"$BIN/snapshot" -d "$PGCONN" -t nokey -n shop --state "$T/state" --no-progress >"$T/nokey.ndjson" 2>"$T/nokey.err" ||
	{ cat "$T/nokey.err" >&2; fail "the keyless resume exited $?"; }
got=$(jq -r '[.op, .table] | join(" ")' "$T/nokey.ndjson" | uniq -c | awk '{ print $1, $2, $3 }' | tr '\n' ',')
[ "$got" = "1 t nokey,3000 r nokey,10 r orders," ] || fail "keyless resume wrote: $got"
[ "$(jq -r 'select(.table == "orders") | .after.id' "$T/nokey.ndjson" | head -1)" = 199991 ] ||
	fail "orders did not resume after its key"

echo "snapshot-resume: equal after $kills kills -9; the last run skipped $skipped rows"
