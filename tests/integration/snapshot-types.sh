#!/usr/bin/env bash
# snapshot: every value survives the trip PostgreSQL -> op "r" records ->
# PostgreSQL, value for value (many types, NULLs, text with tabs, newlines,
# backslashes and Unicode). -j 2 with a table cut into ctid ranges gives the
# same rows as -j 1, each once; --where filters; positions grow along stdout;
# the exit codes of the documented failures.
set -u
. "$(dirname "$0")/../lib/pg.sh"
needs snapshot jq
pg_start
T=$TEST_TMP

q "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
   CREATE DOMAIN price AS numeric(10,2) CHECK (VALUE >= 0);
   CREATE DOMAIN stamp AS timestamptz;
   CREATE DOMAIN stamp2 AS stamp;
   CREATE SCHEMA \"Odd Schema\";
   CREATE TABLE \"Odd Schema\".\"Types\" (
     id int PRIMARY KEY,
     s smallint, i integer, b bigint,
     n numeric, n2 numeric(18,2), r real, d double precision,
     bo boolean, by bytea,
     tz timestamptz, ts timestamp, dt date, tm time, ttz timetz, iv interval,
     u uuid, j json, jb jsonb, ia int[], ta text[], e mood, pr price, st stamp2,
     m money, ip inet, cn cidr, t text, \"Mixed Case\" varchar(20), ch char(5),
     bits bit varying(8), pt point, gone text,
     gen bigint GENERATED ALWAYS AS (i::bigint * 2) STORED);
   ALTER TABLE \"Odd Schema\".\"Types\" DROP COLUMN gone;"

# Inserted in another time zone: the records must say UTC all the same.
psql -X -q -v ON_ERROR_STOP=1 <<'SQL' || fail "inserting the rows"
SET timezone = 'America/New_York';
INSERT INTO "Odd Schema"."Types" (id, s, i, b, n, n2, r, d, bo, by, tz, ts, dt, tm, ttz, iv,
  u, j, jb, ia, ta, e, pr, st, m, ip, cn, t, "Mixed Case", ch, bits, pt) VALUES
 (1, -32768, -2147483648, -9223372036854775808, 'NaN', -0.01, 'Infinity', '-Infinity',
  true, '\x00010209ff'::bytea, '2026-11-25 08:58:45.123456-05', '2026-11-25 13:58:45',
  '2026-02-28', '23:59:59.999999', '13:58:45+02', '1 year 2 mons 3 days 04:05:06.5',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.50, null],  "b": "x\ty"}',
  '{"z": {"y": "\u00e9\\n"}}', '{1,NULL,3}', '{"a b","c,d","e\"f","back\\slash",NULL,"NULL"}',
  'happy', 12.5, '2000-01-01 00:00:00+00', 1234.56, '192.168.0.1/24', '10.0.0.0/8',
  E'tab\there\nnewline\r\\back\\slash \\N \\t é € 😀 "quoted" \x01\x7f end',
  'Ünïcödé', 'ab', B'1010', '(1.5,-2)'),
 (2, 32767, 2147483647, 9223372036854775807,
  '123456789012345678901234567890.000000000000000000001',
  999999999999999.99, 'NaN', 1.0000000000000002, false, '', 'infinity', '-infinity',
  '4713-01-01 BC', '00:00:00', '00:00:00-12:30', '-1 days -00:00:01', NULL, '""', 'null',
  '{}', '{}', 'sad', 0, '-infinity', -0.99, '::1', '2001:db8::/32', '', '', '',
  B'', '(0,0)'),
 (3, 0, 0, 0, '-0.000', 0, '-0', '1e-300', NULL, NULL, '1970-01-01 00:00:00.000001+00',
  '0001-01-01 00:00:00', 'infinity', '24:00:00', '23:59:59.999999+14', '0', NULL, '[]', '[]',
  '{{1,2},{3,4}}', '{"\\N"}', 'ok', NULL, NULL, 0, NULL, NULL, '\N', NULL, NULL, NULL, NULL),
 (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO "Odd Schema"."Types" (id, t, by, n, tz)
  SELECT g, repeat(chr(g % 1000 + 32), g % 7) || E'\t' || g, decode(md5(g::text), 'hex'),
         g * 1.5, '2026-01-01'::timestamptz + g * interval '1.000001 s'
  FROM generate_series(10, 500) g;
SQL

# Loads NDJSON records into an empty copy of the source table: every value
# goes through the column type's own input function, as an applier would.
load_back() { # records-file target-table
	q "SET client_min_messages = warning; DROP TABLE IF EXISTS stage; CREATE TABLE stage (line serial, j jsonb);"
	psql -X -q -v ON_ERROR_STOP=1 -c "\\copy stage (j) FROM '$1' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')" || fail "staging $1"
	psql -X -q -At -v ON_ERROR_STOP=1 <<SQL || fail "loading $1 into $2"
SELECT format('INSERT INTO $2 (%s) SELECT %s FROM stage ORDER BY line',
  string_agg(quote_ident(attname), ', ' ORDER BY attnum),
  string_agg(format('(j->''after''->>%L)::%s', attname, format_type(atttypid, atttypmod)), ', ' ORDER BY attnum))
FROM pg_attribute WHERE attrelid = '$2'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
\\gexec
SQL
}

# Both directions of EXCEPT ALL on the text of whole rows (json has no
# equality operator; the text form is stricter anyway).
same_rows() { # table-a table-b [where]
	local diff
	diff=$(q "SELECT count(*) FROM ((SELECT row_a::text FROM $1 row_a WHERE ${3:-true}
	                                EXCEPT ALL SELECT row_b::text FROM $2 row_b)
	           UNION ALL (SELECT row_b::text FROM $2 row_b
	                      EXCEPT ALL SELECT row_a::text FROM $1 row_a WHERE ${3:-true})) x")
	[ "$diff" = 0 ] || {
		q "SELECT 'src', row_a::text FROM $1 row_a WHERE ${3:-true} EXCEPT ALL SELECT 'src', row_b::text FROM $2 row_b" >&2
		q "SELECT 'dst', row_b::text FROM $2 row_b EXCEPT ALL SELECT 'dst', row_a::text FROM $1 row_a WHERE ${3:-true}" >&2
		fail "$1 and $2 differ in $diff rows"
	}
}

SRC='"Odd Schema"."Types"'
q "CREATE TABLE copy1 (LIKE $SRC INCLUDING GENERATED)"

note "types round trip"
"$BIN/snapshot" -d "$PGCONN" -t "$SRC" >"$T/types.ndjson" 2>"$T/err" || { rc=$?; cat "$T/err"; fail "snapshot exited $rc"; }
n=$(wc -l <"$T/types.ndjson")
[ "$n" = 495 ] || fail "want 495 records, got $n"
load_back "$T/types.ndjson" copy1
same_rows "$SRC" copy1

# The shape of a record: op, names, key, column types from format_type, in
# attnum order without the dropped and the generated column.
first=$(head -n1 "$T/types.ndjson")
jq -e '.op == "r" and .db == "postgres" and .schema == "Odd Schema" and .table == "Types"
       and .key == ["id"] and (.cols | length) == 32 and .cols[0] == {"name":"id","type":"integer"}
       and .cols[5] == {"name":"n2","type":"numeric(18,2)"} and .cols[23].type == "timestamp with time zone"
       and ([.cols[] | select(.name == "pr") | .type] == ["numeric(10,2)"])
       and .cols[28] == {"name":"Mixed Case","type":"character varying(20)"}
       and ([.cols[].name] | index("gen")) == null and ([.cols[].name] | index("gone")) == null
       and .src.xid == 0 and .src.seq == 1' <<<"$first" >/dev/null || fail "record shape: $first"
# Normalised forms (record.h): timestamptz in UTC with 6 digits, also through
# a domain over a domain; bytea hex; integers as JSON numbers.
jq -n -e 'first(inputs | select(.after.id == 1)) | .after.tz == "2026-11-25T13:58:45.123456Z"
       and .after.st == "2000-01-01T00:00:00.000000Z" and .after.by == "\\x00010209ff"
       and .after.b == -9223372036854775808 and .after.bo == true and .after.r == "Infinity"
       and .after.n == "NaN" and .after.ttz == "13:58:45.000000+02:00"' "$T/types.ndjson" >/dev/null ||
	fail "normalised values: $(jq -c 'select(.after.id == 1) | .after' "$T/types.ndjson")"
# Without a slot: stream snap/DB/START, offsets 1, 2, … along stdout, seq too.
jq -r '.pos.stream' "$T/types.ndjson" | sort -u >"$T/streams"
[ "$(wc -l <"$T/streams")" = 1 ] && grep -Eq '^snap/postgres/[0-9]{8}T[0-9]{6}\.[0-9]{6}Z$' "$T/streams" ||
	fail "stream names: $(cat "$T/streams")"
jq -r '"\(.pos.offset) \(.src.seq)"' "$T/types.ndjson" | awk '$1 != NR || $2 != NR { bad = 1 } END { exit bad }' ||
	fail "offsets do not run 1..N along stdout"
# src.lsn: read inside the snapshot, so not after the WAL position now.
lsn=$(jq -r .src.lsn <<<"$first")
[ "$(q "SELECT '$lsn'::pg_lsn <= pg_current_wal_lsn() AND '$lsn'::pg_lsn > '0/0'")" = t ] || fail "src.lsn $lsn"

note "--format msgpack writes msgpack (the codec has its own tests)"
"$BIN/snapshot" -d "$PGCONN" -t "$SRC" --format msgpack >"$T/types.mp" || fail "snapshot --format msgpack"
[ "$(head -c1 "$T/types.mp" | od -An -tx1 | tr -d ' ')" != 7b ] || fail "msgpack output starts like JSON"
[ "$(wc -c <"$T/types.mp")" -gt 10000 ] || fail "msgpack output too short"

note "-j 2 with ctid ranges: the same rows, each once"
q "CREATE TABLE big (id int PRIMARY KEY, pad text, v numeric);
   INSERT INTO big SELECT g, repeat('x', 100), g / 7.0 FROM generate_series(1, 30000) g;
   DELETE FROM big WHERE id % 10 = 3;"
q "VACUUM ANALYZE big"
pages=$(q "SELECT pg_relation_size('big') / 8192")
[ "$pages" -gt 200 ] || fail "big has only $pages pages"
"$BIN/snapshot" -d "$PGCONN" -t big -t "$SRC" -j 2 --split-pages 50 -v >"$T/j2.ndjson" 2>"$T/j2.err" ||
	{ rc=$?; cat "$T/j2.err"; fail "snapshot -j 2 exited $rc"; }
ranges=$(grep -c 'ctid >= ' "$T/j2.err")
[ "$ranges" -ge 4 ] || { cat "$T/j2.err"; fail "big was not split into ctid ranges ($ranges)"; }
q "CREATE TABLE big2 (LIKE big); CREATE TABLE copy2 (LIKE $SRC INCLUDING GENERATED)"
grep -F '"table":"big",' "$T/j2.ndjson" >"$T/j2big.ndjson"  # not jq: jq 1.6 rounds bigints
grep -F '"table":"Types",' "$T/j2.ndjson" >"$T/j2types.ndjson"
load_back "$T/j2big.ndjson" big2
load_back "$T/j2types.ndjson" copy2
[ "$(q "SELECT count(*) FROM big2")" = 27000 ] || fail "-j 2: $(q "SELECT count(*) FROM big2") rows of big, want 27000"
[ "$(q "SELECT count(DISTINCT id) FROM big2")" = 27000 ] || fail "-j 2 copied rows twice"
same_rows big big2
same_rows "$SRC" copy2
jq -r '.pos.offset' "$T/j2.ndjson" | awk '$1 != NR { bad = 1 } END { exit bad }' ||
	fail "-j 2: offsets do not run 1..N along stdout"

note "--where filters every table"
q "CREATE TABLE big3 (LIKE big)"
"$BIN/snapshot" -d "$PGCONN" -t public.big --where "id % 3 = 0 AND pad LIKE 'x%'" -j 2 --split-pages 40 \
	>"$T/where.ndjson" || fail "snapshot --where"
load_back "$T/where.ndjson" big3
same_rows big big3 "id % 3 = 0"

note "-n SCHEMA and -P PUBLICATION (column list and row filter)"
"$BIN/snapshot" -d "$PGCONN" -n '"Odd Schema"' | jq -r .table | sort -u >"$T/tables"
[ "$(cat "$T/tables")" = Types ] || fail "-n: tables $(cat "$T/tables")"
q "CREATE PUBLICATION p FOR TABLE big (id, v) WHERE (id < 100), TABLE \"Odd Schema\".\"Types\""
"$BIN/snapshot" -d "$PGCONN" -P p >"$T/pub.ndjson" || fail "snapshot -P"
[ "$(jq -c 'select(.table == "big") | [.cols[].name]' "$T/pub.ndjson" | sort -u)" = '["id","v"]' ] ||
	fail "-P: column list not honoured"
[ "$(jq -r 'select(.table == "big") | .after.id' "$T/pub.ndjson" | sort -n | tr '\n' ' ')" = \
  "$(q "SELECT id FROM big WHERE id < 100 ORDER BY id" | tr '\n' ' ')" ] || fail "-P: row filter not honoured"
[ "$(jq -r 'select(.table == "Types")' "$T/pub.ndjson" | jq -s length)" = 495 ] || fail "-P: Types incomplete"

note "exit codes"
"$BIN/snapshot" -d "$PGCONN" -t no_such_table >/dev/null 2>"$T/err"; rc=$?
[ $rc = 66 ] && grep -q 'table not found' "$T/err" || fail "missing table: exit $rc, $(cat "$T/err")"
"$BIN/snapshot" -d "$PGCONN" -t big --where "no_such_column = 1" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 65 ] && grep -q 'no_such_column' "$T/err" || fail "bad --where: exit $rc, $(cat "$T/err")"
"$BIN/snapshot" -d "host=127.0.0.1 port=$(free_port) user=postgres connect_timeout=3" -t big >/dev/null 2>"$T/err"; rc=$?
[ $rc = 69 ] || fail "no server: exit $rc, $(cat "$T/err")"
"$BIN/snapshot" -d "$PGCONN" -t big --slot s >/dev/null 2>"$T/err"; rc=$?
[ $rc = 64 ] && grep -q 'create-slot' "$T/err" || fail "--slot without --create-slot: exit $rc"
"$BIN/snapshot" -d "$PGCONN" -t 'a.b.c' >/dev/null 2>&1; rc=$?
[ $rc = 64 ] || fail "bad table name: exit $rc"

note "SIGTERM: whole records so far, a warning, exit 75"
q "CREATE TABLE slow AS SELECT g AS id, repeat('y', 50) AS pad FROM generate_series(1, 30000) g"
# pg_sleep in the filter makes the copy take seconds, so the signal lands
# in the middle of it.
"$BIN/snapshot" -d "$PGCONN" -t slow --where "pg_sleep(0.0002) IS NOT NULL" \
	>"$T/term.ndjson" 2>"$T/term.err" &
pid=$!
sleep 1.5
kill -TERM $pid
wait $pid; rc=$?
[ $rc = 75 ] && grep -q 'partial' "$T/term.err" || fail "SIGTERM: exit $rc, $(cat "$T/term.err")"
n=$(wc -l <"$T/term.ndjson")
[ "$n" -gt 0 ] && [ "$n" -lt 30000 ] || fail "SIGTERM: $n records written"
jq -c . "$T/term.ndjson" >/dev/null || fail "SIGTERM: the output holds a broken record"
[ "$(tail -c1 "$T/term.ndjson" | od -An -c | tr -d ' ')" = '\n' ] || fail "SIGTERM: last record cut"

note "a slot created by an interrupted run is dropped; an existing slot is refused"
"$BIN/snapshot" -d "$PGCONN" -t slow --where "pg_sleep(0.0002) IS NOT NULL" --slot gone --create-slot \
	>/dev/null 2>"$T/term2.err" &
pid=$!
sleep 1.5
kill -INT $pid
wait $pid; rc=$?
[ $rc = 75 ] || fail "SIGINT with --create-slot: exit $rc, $(cat "$T/term2.err")"
[ "$(q "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'gone'")" = 0 ] ||
	fail "the slot of an interrupted snapshot was left behind"
q "SELECT 1 FROM pg_create_logical_replication_slot('taken', 'pgoutput')" >/dev/null
"$BIN/snapshot" -d "$PGCONN" -t big --slot taken --create-slot >/dev/null 2>"$T/err"; rc=$?
[ $rc = 64 ] && grep -q 'already exists' "$T/err" || fail "existing slot: exit $rc, $(cat "$T/err")"
[ "$(q "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'taken'")" = 1 ] ||
	fail "snapshot dropped a slot it did not create"

note "a table without columns, an empty table"
q "CREATE TABLE nocols (); INSERT INTO nocols DEFAULT VALUES; INSERT INTO nocols DEFAULT VALUES;
   CREATE TABLE empty (id int)"
"$BIN/snapshot" -d "$PGCONN" -t nocols -t empty >"$T/nocols.ndjson" || fail "snapshot of nocols/empty"
[ "$(jq -c '[.table, .cols, .after]' "$T/nocols.ndjson" | sort | uniq -c | awk '{print $1, $2}')" = '2 ["nocols",[],{}]' ] ||
	fail "nocols/empty: $(cat "$T/nocols.ndjson")"

echo "snapshot-types: ok"
