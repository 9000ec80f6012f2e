#!/usr/bin/env bash
# A resumable initial copy handed over to streaming: `snapshot --slot s
# --create-slot --state S --ack F | mssql-apply --ack F` is killed -9 in the
# middle while a writer changes the table. The slot stays (its copy can be
# resumed). The stream then runs from the slot's consistent point, and the
# same snapshot command, run again, finds the state, no longer has the
# slot's snapshot, and backfills what is missing online into the slot's
# stream instead. The target ends equal to the source, and the rerun copied
# less than the whole table.
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/compare.sh"
needs snapshot pgcdc-read mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused
T=$TEST_TMP
# Big enough that the copy outlasts the first save of its state (once a
# second): on a fast machine 400,000 rows were copied whole in about one.
rows=1000000
q "CREATE TABLE h (id int PRIMARY KEY, v text, n bigint);
   INSERT INTO h SELECT i, 'v' || i, i FROM generate_series(1, $rows) i;
   CREATE PUBLICATION pub FOR TABLE h;
   CREATE TABLE ctl (id int PRIMARY KEY, stop boolean); INSERT INTO ctl VALUES (1, false);"

# The writer: small transactions all over the table until told to stop.
psql -X -q -v ON_ERROR_STOP=1 >"$T/writer.log" 2>&1 <<SQL &
DO \$\$
DECLARE k int := $rows;
BEGIN
  FOR i IN 1..1000000 LOOP
    EXIT WHEN (SELECT stop FROM ctl);
    INSERT INTO h VALUES (k + 1, 'new', i);
    k := k + 1;
    UPDATE h SET v = v || '+', n = n + 1 WHERE id = 1 + (i * 7919) % $rows;
    DELETE FROM h WHERE id = 1 + (i * 104729) % $rows;
    COMMIT;
    PERFORM pg_sleep(0.002);
  END LOOP;
END \$\$;
SQL
writer=$!
on_exit "kill $writer 2>/dev/null"

# The sink of the copy and of the stream, and the copy (arrays, so that
# background jobs are the programs themselves and kill -9 reaches them).
apply=("$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --batch-ms 300
	--bulk-rows 10000 --no-progress)
copy=("$BIN/snapshot" -d "$PGCONN" -t h --slot s --create-slot --state "$T/state" --ack "$T/copy.ack"
	--chunk-rows 5000 --no-progress)
mkfifo "$T/pipe"
"${copy[@]}" >"$T/pipe" 2>"$T/copy1.err" &
snap=$!
"${apply[@]}" --ack "$T/copy.ack" <"$T/pipe" 2>"$T/apply1.err" &
sink=$!
for ((i = 0; i < 600; i++)); do
	[ "$(jq -r '.tables[0].rows' "$T/state" 2>/dev/null || echo 0)" -gt 0 ] && break
	kill -0 $snap 2>/dev/null || break
	sleep 0.05
done
kill -0 $snap 2>/dev/null || { cat "$T/copy1.err" >&2; fail "the copy ended before the kill"; }
kill -9 $snap $sink
wait $snap $sink 2>/dev/null
[ "$(jq -r '.mode + " " + .slot' "$T/state")" = "handover s" ] || fail "state: $(cat "$T/state")"
[ "$(q "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 's'")" = 1 ] ||
	fail "the slot of a resumable copy was dropped"
done_rows=$(jq -r '.tables[0].rows' "$T/state")
note "killed -9 after $done_rows rows were acked"

# The stream, from the slot's consistent point.
mkfifo "$T/stream"
"$BIN/pgcdc-read" -d "$PGCONN" -S s -P pub -s 1 --ack "$T/pg.ack" --no-progress -v 2>"$T/read.err" >"$T/stream" &
reader=$!
"${apply[@]}" --ack "$T/pg.ack" <"$T/stream" 2>"$T/apply2.err" &
applier=$!
on_exit "kill $reader $applier 2>/dev/null"

# The same command again: it resumes online.
"${copy[@]}" >"$T/copy2.out" 2>"$T/copy2.err" || { cat "$T/copy2.err" >&2; fail "the resumed copy exited $?"; }
grep -q "backfilled online" "$T/copy2.err" || { cat "$T/copy2.err" >&2; fail "the rerun did not resume online"; }
[ ! -s "$T/copy2.out" ] || fail "an online resume wrote records on stdout"
[ ! -e "$T/state" ] || fail "the state of the complete copy was left behind"
skipped=$(sed -n 's/.*; \([0-9]*\) rows copied before are skipped/\1/p' "$T/copy2.err")
backfilled=$(sed -n 's/.*backfilled \([0-9]*\) rows.*/\1/p' "$T/copy2.err")
note "the rerun skipped $skipped rows and backfilled $backfilled"
[ "$skipped" = "$done_rows" ] || fail "the rerun skipped $skipped rows, the state held $done_rows"
[ "$backfilled" -lt "$rows" ] || fail "the rerun backfilled $backfilled rows, the whole table"

kill -0 $writer 2>/dev/null || fail "the writer stopped before the resumed copy ended"
q "UPDATE ctl SET stop = true"
wait $writer || { cat "$T/writer.log" >&2; fail "the writer failed"; }
compare_table_eventually "$PGCONN" "$TDS_PGCONN" public h 60 >&2 ||
	fail "the target differs after the resumed handover"
echo "snapshot-resume-handover: a killed handover copy resumes online into its slot's stream: equal"
