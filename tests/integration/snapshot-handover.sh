#!/usr/bin/env bash
# snapshot hands over to streaming: while a writer keeps inserting, updating
# and deleting, `snapshot --slot s --create-slot` copies the table in the
# snapshot the new slot exported; then pgcdc-read streams the slot from there.
# Applying the snapshot records and then the streamed ones to an empty copy,
# strictly (an insert of a present key, or an update or delete that finds no
# row, fails), gives exactly the source rows: nothing is lost and nothing is
# applied twice. Every snapshot position sorts before every streamed one.
set -u
. "$(dirname "$0")/../lib/pg.sh"
needs snapshot pgcdc-read jq
pg_start
T=$TEST_TMP

q "CREATE TABLE h (id int PRIMARY KEY, v text, n bigint, ts timestamptz);
   INSERT INTO h SELECT g, 'v' || g, g, now() FROM generate_series(1, 20000) g;
   CREATE PUBLICATION pub FOR TABLE h;"

# The writer: small transactions until told to stop, so that it overlaps the
# whole snapshot however slow the machine is.
q "CREATE TABLE ctl (stop boolean); INSERT INTO ctl VALUES (false)"
psql -X -q -v ON_ERROR_STOP=1 >"$T/writer.log" 2>&1 <<'SQL' &
DO $$
DECLARE k int := 20000;
BEGIN
  FOR i IN 1..100000 LOOP
    EXIT WHEN (SELECT stop FROM ctl);
    INSERT INTO h SELECT k + g, 'new' || (k + g), i, clock_timestamp() FROM generate_series(1, 5) g;
    k := k + 5;
    UPDATE h SET v = v || '+', n = n + 1, ts = clock_timestamp() WHERE id % 600 = i % 600;
    DELETE FROM h WHERE id IN (SELECT id FROM h WHERE id % 997 = i % 997 LIMIT 3);
    COMMIT;
    PERFORM pg_sleep(0.01);
  END LOOP;
END $$;
SQL
writer=$!
on_exit "kill $writer"
sleep 1

"$BIN/snapshot" -d "$PGCONN" -t h --slot s --create-slot --lsn-file "$T/lsn" -j 2 --split-pages 20 \
	>"$T/snap.ndjson" 2>"$T/snap.err" || { rc=$?; cat "$T/snap.err"; fail "snapshot exited $rc"; }
kill -0 $writer 2>/dev/null || { cat "$T/writer.log"; fail "the writer stopped before the snapshot ended"; }
sleep 1
q "UPDATE ctl SET stop = true"
wait $writer || { cat "$T/writer.log"; fail "the writer failed"; }
end=$(q "SELECT pg_current_wal_lsn()")

cp_lsn=$(cat "$T/lsn")
[ "$(q "SELECT confirmed_flush_lsn = '$cp_lsn' FROM pg_replication_slots WHERE slot_name = 's'")" = t ] ||
	fail "--lsn-file $cp_lsn is not the slot's consistent point"
grep -q "$cp_lsn" "$T/snap.err" || fail "the consistent point is not reported on stderr"
timeout 60 "$BIN/pgcdc-read" -d "$PGCONN" -S s -P pub -E "$end" --no-progress >"$T/stream.ndjson" 2>"$T/stream.err" ||
	{ rc=$?; cat "$T/stream.err"; fail "pgcdc-read exited $rc"; }
note "$(wc -l <"$T/snap.ndjson") snapshot records, $(wc -l <"$T/stream.ndjson") streamed"
[ "$(wc -l <"$T/stream.ndjson")" -gt 100 ] || fail "too few streamed changes: the writer did not overlap"

# Positions: one stream, the slot's; snapshot offsets below the consistent
# point, ordinals 1..N along stdout; every streamed offset above them all.
jq -r '.pos.stream' "$T/snap.ndjson" "$T/stream.ndjson" | sort -u >"$T/streams"
[ "$(cat "$T/streams")" = pg/postgres/s ] || fail "streams: $(cat "$T/streams")"
jq -r --arg cp "$cp_lsn" 'select(.src.lsn != $cp or .op != "r") | .pos.offset' "$T/snap.ndjson" | head -3 >"$T/bad"
[ ! -s "$T/bad" ] || fail "snapshot records with another LSN or op: $(cat "$T/bad")"
jq -r '.pos.offset' "$T/snap.ndjson" | awk -F: '{ if ($2 != NR) bad = 1; o[$1] = 1 } END { exit bad || length(o) != 1 }' ||
	fail "snapshot offsets are not LSN:1..N"
q "CREATE TABLE pos (src text, off text)"
{ jq -r '"snap\t" + .pos.offset' "$T/snap.ndjson"; jq -r '"stream\t" + .pos.offset' "$T/stream.ndjson"; } >"$T/pos.tsv"
psql -X -q -v ON_ERROR_STOP=1 -c "\\copy pos FROM '$T/pos.tsv'" || fail "loading positions"
ok=$(q "WITH p AS (SELECT src, split_part(off, ':', 1)::pg_lsn AS major, split_part(off, ':', 2)::numeric AS minor FROM pos)
        SELECT (SELECT max(major) FROM p WHERE src = 'snap') < '$cp_lsn'::pg_lsn
           AND (SELECT max(major) FROM p WHERE src = 'snap') < (SELECT min(major) FROM p WHERE src = 'stream')")
[ "$ok" = t ] || fail "a streamed position sorts before a snapshot position"

# Apply, strictly, in order: snapshot then stream.
q "CREATE TABLE dst (LIKE h INCLUDING ALL); CREATE TABLE stage (line serial, j jsonb)"
cat "$T/snap.ndjson" "$T/stream.ndjson" >"$T/all.ndjson"
psql -X -q -v ON_ERROR_STOP=1 -c "\\copy stage (j) FROM '$T/all.ndjson' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')" ||
	fail "staging the records"
psql -X -q -v ON_ERROR_STOP=1 >"$T/apply.log" 2>&1 <<'SQL' || { cat "$T/apply.log"; fail "applying the records"; }
DO $$
DECLARE r record; c int;
BEGIN
  FOR r IN SELECT line, j FROM stage ORDER BY line LOOP
    CASE r.j->>'op'
    WHEN 'r', 'c' THEN
      INSERT INTO dst SELECT * FROM jsonb_populate_record(NULL::dst, r.j->'after');
    WHEN 'u' THEN
      UPDATE dst SET v = a.v, n = a.n, ts = a.ts
        FROM jsonb_populate_record(NULL::dst, r.j->'after') a
        WHERE dst.id = coalesce((r.j->'before'->>'id')::int, a.id);
      GET DIAGNOSTICS c = ROW_COUNT;
      IF c <> 1 THEN RAISE 'line %: update found % rows: %', r.line, c, r.j; END IF;
    WHEN 'd' THEN
      DELETE FROM dst WHERE id = (r.j->'before'->>'id')::int;
      GET DIAGNOSTICS c = ROW_COUNT;
      IF c <> 1 THEN RAISE 'line %: delete found % rows: %', r.line, c, r.j; END IF;
    ELSE RAISE 'line %: unexpected op %', r.line, r.j->>'op';
    END CASE;
  END LOOP;
END $$;
SQL

diff=$(q "SELECT count(*) FROM ((SELECT * FROM h EXCEPT ALL SELECT * FROM dst)
                               UNION ALL (SELECT * FROM dst EXCEPT ALL SELECT * FROM h)) x")
[ "$diff" = 0 ] || fail "the copy differs from the source in $diff rows"
[ "$(q "SELECT count(*) FROM dst")" = "$(q "SELECT count(*) FROM h")" ] || fail "row counts differ"
echo "snapshot-handover: ok ($(q "SELECT count(*) FROM h") rows)"
