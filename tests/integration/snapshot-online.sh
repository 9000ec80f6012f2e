#!/usr/bin/env bash
# snapshot --online backfills tables into a running pipeline, through Kafka
# and with two appliers: WWI under wwi-gen load streams through pgcdc-read |
# kpub into the mock cluster (4 partitions a topic), and two ksub |
# mssql-apply of one consumer group apply it to the TDS peer (no initial
# copy: the target holds only what the stream touched). The target's stock
# holdings are damaged (rows deleted, values changed). Then, with the load
# and the stream going on,
# `snapshot --online` backfills sales.orders and sales.order_lines (updated,
# and lines deleted, all the time) while pgcdc-read is killed -9 and
# restarted, and the holdings (every row updated again and again). (Not
# --truncate: a truncate record goes to one partition, and another applier
# may apply its partitions' rows before it; snapshot-online-windows tests
# --truncate through one applier.) A second writer changes order lines and holdings as fast as it can
# meanwhile. Afterwards these tables equal the source value for value;
# nothing was stopped, and the slot's position moved on past the backfill
# (no window holds it).
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/compare.sh"
source "$(dirname "$0")/../lib/pipeline.sh"
needs snapshot pgcdc-read kpub ksub mssql-apply wwi-gen peers/tds-server peers/kafka-cluster
pg_start
pipeline_load_wwi
kafka_start -n 3
tds_start
export MSSQL_PASSWORD=unused
T=$TEST_TMP
psql -X -q -d "$SRC" -c "CREATE TABLE public.ctl (id int PRIMARY KEY, stop boolean); INSERT INTO public.ctl VALUES (1, false)" ||
	fail ctl
psql -X -q -d "$SRC" -c "SELECT pg_create_logical_replication_slot('dbrepl', 'pgoutput')" >/dev/null ||
	fail "slot"
# The target's tables, made empty by one applier, so that the two do not
# both create them: a snapshot's truncate records carry the columns.
ntables=$(psql -X -At -d "$SRC" -c "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'dbrepl'")
"$BIN/snapshot" -d "$SRC" -P dbrepl --truncate --no-progress 2>/dev/null | head -n "$ntables" |
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress ||
	fail "creating the target tables"

# The source half and two sinks, with acks, restarted when they die.
kx=(-b "$KAFKA_BROKERS" -X topic.metadata.refresh.interval.ms=500)
cat >"$T/source.sh" <<SH
while [ ! -e "$T/stop" ]; do
	"$BIN/pgcdc-read" -d "$SRC" -S dbrepl -P dbrepl -s 1 --ack "$T/pg.ack" --no-progress -v 2>>"$T/read.err" |
		"$BIN/kpub" ${kx[*]} --ack "$T/pg.ack" --no-progress 2>>"$T/kpub.err"
	sleep 0.2
done
SH
for n in 1 2; do
	cat >"$T/sink$n.sh" <<SH
while [ ! -e "$T/stop" ]; do
	"$BIN/ksub" ${kx[*]} -X session.timeout.ms=5000 -X heartbeat.interval.ms=500 -G backfill -o beginning \
		--ack "$T/k$n.ack" --no-progress '^wwi\.' 2>>"$T/ksub$n.err" |
		"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --ack "$T/k$n.ack" --no-progress \
			2>>"$T/apply$n.err"
	sleep 0.2
done
SH
done
pids=()
for half in source sink1 sink2; do
	setsid bash "$T/$half.sh" &
	pids+=($!)
done
on_exit "touch '$T/stop'; for p in ${pids[*]}; do kill -TERM -- -\$p; done 2>/dev/null; sleep 1; for p in ${pids[*]}; do kill -KILL -- -\$p; done 2>/dev/null"
stream=${pids[0]}
# The load lasts until the backfill is over (stopped by SIGTERM, after
# which wwi-gen exits 0), however slow the machine.
"$BIN/wwi-gen" -d "$SRC" --seed 5 --rate 150 --duration 300 --no-progress 2>"$T/gen.log" &
gen=$!
on_exit "kill $gen 2>/dev/null"

# Wait until the stream has made the holdings table at the target, then
# damage it.
for ((i = 0; i < 100; i++)); do
	[ "$(tq "SELECT count(*) FROM warehouse.stock_item_holdings" 2>/dev/null)" -gt 20 ] 2>/dev/null && break
	sleep 0.3
done
tq "DELETE FROM warehouse.stock_item_holdings WHERE stock_item_id % 3 = 0;
    UPDATE warehouse.stock_item_holdings SET bin_location = 'damaged', quantity_on_hand = -1 WHERE stock_item_id % 5 = 0" ||
	fail "damaging the target"
note "target before the backfill: $(tq "SELECT count(*) FROM sales.order_lines") order lines, $(tq "SELECT count(*) FROM warehouse.stock_item_holdings") holdings"

# Besides wwi-gen, a writer updates order lines and holdings as fast as
# it can, a row a transaction, so that the chunks' windows see changes; it
# stops with the backfill, so a row the backfill left stale would stay so.
psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" >"$T/writer.log" 2>&1 <<'SQL' &
DO $$
BEGIN
  FOR i IN 1..10000000 LOOP
    EXIT WHEN i % 50 = 0 AND (SELECT stop FROM public.ctl);
    IF i % 2 = 0 THEN
      UPDATE warehouse.stock_item_holdings SET quantity_on_hand = quantity_on_hand + 1, bin_location = 'W' || i
        WHERE stock_item_id = (SELECT stock_item_id FROM warehouse.stock_item_holdings OFFSET (i * 7919) % 200 LIMIT 1);
    ELSE
      UPDATE sales.order_lines SET description = 'changed ' || i
        WHERE order_line_id = (SELECT order_line_id FROM sales.order_lines OFFSET (i * 7919) % 2000 LIMIT 1);
    END IF;
    COMMIT;
  END LOOP;
END $$;
SQL
writer=$!
on_exit "kill $writer 2>/dev/null"
sleep 0.5
# pgcdc-read is killed -9 while it merges these chunks: its restart
# decodes the open window again from its low watermark.
"$BIN/snapshot" -d "$SRC" --online --slot dbrepl -t sales.orders -t sales.order_lines --chunk-rows 500 \
	--no-progress 2>"$T/snap.err" &
snap=$!
sleep 0.$((3 + RANDOM % 5))
pkill -KILL -s "$stream" -f "^$BIN/pgcdc-read " && note "killed -9 pgcdc-read"
wait $snap || { cat "$T/snap.err" >&2; fail "snapshot --online exited $?"; }
"$BIN/snapshot" -d "$SRC" --online --slot dbrepl -t warehouse.stock_item_holdings --chunk-rows 10 \
	--no-progress 2>>"$T/snap.err" || { cat "$T/snap.err" >&2; fail "snapshot --online exited $?"; }
psql -X -q -d "$SRC" -c "UPDATE public.ctl SET stop = true" || fail ctl
wait $writer || { cat "$T/writer.log" >&2; fail "the writer failed"; }
kill -TERM $gen 2>/dev/null || fail "the load ended before the backfill did: the test proves nothing"
wait $gen || fail "wwi-gen failed: $(tail -n 3 "$T/gen.log")"
end=$(psql -X -At -d "$SRC" -c "SELECT pg_current_wal_lsn()")
note "load done at $end"

check() {
	local t rc=0
	for t in sales.orders sales.order_lines warehouse.stock_item_holdings; do
		compare_table "$SRC" "$TDS_PGCONN" "${t%%.*}" "${t#*.}" || rc=1
	done
	return $rc
}
deadline=$(($(date +%s) + 40))
while [ "$(date +%s)" -lt $deadline ]; do
	check >/dev/null 2>&1 && break
	sleep 1
done
if ! check >&2; then
	for t in sales.order_lines warehouse.stock_item_holdings; do
		show_table_diff "$SRC" "$TDS_PGCONN" "${t%%.*}" "${t#*.}" >&2
	done
	grep -v confirming "$T/read.err" | tail -n 5 >&2
	tail -n 5 "$T/apply1.err" "$T/apply2.err" "$T/ksub1.err" >&2
	fail "the backfilled tables differ from the source"
fi

# The chunks went through pgcdc-read, some rows the stream changed in
# their windows were left out, and the slot moved past it all.
chunks=$(grep -c "backfill of .*: chunk .* rows" "$T/read.err")
changed=$(sed -n 's/.*, \([0-9]*\) changed in the window/\1/p' "$T/read.err" | awk '{ s += $1 } END { print s + 0 }')
partial=$(sed -n 's/.* \([0-9]*\) in part,.*/\1/p' "$T/read.err" | awk '{ s += $1 } END { print s + 0 }')
note "$chunks chunks; $changed rows changed in their windows, $partial written in part"
[ "$chunks" -gt 10 ] || fail "only $chunks chunks came through pgcdc-read"
for ((i = 0; i < 30; i++)); do
	ok=$(psql -X -At -d "$SRC" -c "SELECT confirmed_flush_lsn >= '$end' FROM pg_replication_slots WHERE slot_name = 'dbrepl'")
	[ "$ok" = t ] && break
	sleep 1
done
[ "$ok" = t ] || fail "the slot did not move past $end"
grep -q "ended without its high watermark" "$T/read.err" && fail "a window expired"
echo "snapshot-online: backfilled under load, equal; $changed rows left to the stream"
