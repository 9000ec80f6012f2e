#!/usr/bin/env bash
# mssql-apply, value for value: a table with every type of record.h's list
# that SQL Server can hold (integers, numeric with and without typmod, real,
# double, boolean, text, varchar(n), char(n), bytea, date, time, timestamp,
# timestamp(3), timestamptz, timetz, interval, uuid, json, jsonb, arrays, an enum, a
# domain, money, inet, a TOASTed text; ±infinity timestamps, Unicode, bytea
# with NUL bytes, empty strings) goes through insert, update with and without
# an unchanged TOASTed value, a key change, delete and truncate in a real
# PostgreSQL. pgcdc-read turns the WAL into records, mssql-apply (one record
# per batch, so every update meets the target row) applies them through the
# TDS peer, and source and target are compared column by column in SQL, each
# target value read back in the source type's text form.
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/torture.sh"
needs pgcdc-read peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused PGTZ=UTC PGOPTIONS="-c intervalstyle=iso_8601 -c extra_float_digits=3"

torture_create
q "CREATE PUBLICATION pub FOR TABLE tor"
q "SELECT 1 FROM pg_create_logical_replication_slot('torture', 'pgoutput')" >/dev/null

torture_changes
psql -X -q -v ON_ERROR_STOP=1 <<'SQL' || fail "source changes (edges)"
-- varchar(20) and char(5) full of characters beyond the BMP: two UTF-16
-- code units each, so 40 and 10 in SQL Server's nvarchar
INSERT INTO tor (id, c_vc, c_ch) VALUES (6, repeat('😀', 20), repeat('😀', 5));
-- values at the edges of SQL Server's types that it holds exactly: 2/7 in
-- an unconstrained numeric (20 decimals, and 41 digits), the smallest
-- normal real and double, a time's last microsecond, money's extremes
INSERT INTO tor (id, c_num, c_real, c_dbl, c_time, c_money, c_ts, c_date) VALUES (7, 2::numeric / 7, 1.17549435e-38,
	2.2250738585072014e-308, '23:59:59.999999', '-92233720368547.58', '0001-01-01 00:00:00', '9999-12-31');
INSERT INTO tor (id, c_num, c_real, c_dbl, c_money) VALUES (8, '12345678901234567890123456789012345678901.5',
	'-3.4028235e38', '-1.7976931348623157e308', '92233720368547.58');
SQL
lsn=$(q "SELECT pg_current_wal_lsn()")
timeout 30 "$BIN/pgcdc-read" -d "$PGCONN" -S torture -P pub -E "$lsn" --no-progress >"$TEST_TMP/in.json" ||
	fail "pgcdc-read"
grep -q '"unchanged":\["c_big_text"\]' "$TEST_TMP/in.json" || fail "no record with an unchanged TOAST value"
grep -q '"op":"t"' "$TEST_TMP/in.json" || fail "no truncate record"

"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress \
	--clamp-infinity --batch-rows 1 <"$TEST_TMP/in.json" 2>"$TEST_TMP/apply.err" ||
	{ rc=$?; cat "$TEST_TMP/apply.err" >&2; fail "mssql-apply exited $rc"; }
# --clamp-infinity says how many values it changed: c_ts and c_ts3 of row 3,
# in its insert and in its key change
grep -q "^mssql-apply: 4 ±infinity dates and timestamps written as the ends of SQL Server's range" \
	"$TEST_TMP/apply.err" || fail "no count of the clamped values: $(cat "$TEST_TMP/apply.err")"

torture_compare public.tor
n=$(q "SELECT count(*) FROM tor")
[ "$n" = 7 ] || fail "expected 7 rows, source has $n"
# A domain over integer arrives as its base type: an int column, not text.
[ "$(tq "SELECT data_type FROM information_schema.columns WHERE table_name = 'tor' AND column_name = 'c_dom'")" = integer ] ||
	fail "the domain column c_dom is not an integer column at the target"
# '' stayed '' (not NULL), NULL stayed NULL
[ "$(tq "SELECT count(*) FROM public.tor WHERE c_text = '' AND c_vc = '' AND c_json IS NULL")" = 1 ] ||
	fail "empty strings or NULLs not kept"

# Values SQL Server cannot hold exactly are refused by name, never changed:
# each goes to the dead-letter file, the rest of its batch is applied.
# (±infinity without --clamp-infinity; a real and a double below the
# types' smallest normal numbers, which SQL Server's ranges lack; money
# beyond SQL Server's, refused as its typed staging column's value. NaN, 24:00:00, years before 1
# or after 9999: tests/unit.)
psql -X -q -v ON_ERROR_STOP=1 <<'SQL' || fail "source changes (refused values)"
INSERT INTO tor (id, c_ts) VALUES (10, 'infinity');
INSERT INTO tor (id, c_real) VALUES (12, '1e-40');
INSERT INTO tor (id, c_dbl) VALUES (13, '4.9e-324');
INSERT INTO tor (id, c_money) VALUES (19, '92233720368547758.07');
INSERT INTO tor (id, c_text) VALUES (20, 'the good one');
SQL
lsn2=$(q "SELECT pg_current_wal_lsn()")
timeout 30 "$BIN/pgcdc-read" -d "$PGCONN" -S torture -P pub -E "$lsn2" --no-progress >"$TEST_TMP/bad.json" ||
	fail "pgcdc-read (refused values)"
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --no-progress --dead-letter "$TEST_TMP/dead.json" \
	<"$TEST_TMP/bad.json" 2>"$TEST_TMP/bad.err" || { cat "$TEST_TMP/bad.err" >&2; fail "mssql-apply (refused values)"; }
got=$(grep -o '"id":[0-9]*' "$TEST_TMP/dead.json" | cut -d: -f2 | sort -n | tr '\n' ' ')
[ "$got" = "10 12 13 19 " ] || { cat "$TEST_TMP/bad.err" >&2; fail "dead letters: $got"; }
for w in "id='10'): column c_ts: infinity has no SQL Server equivalent" "id='12'): column c_real: \"1e-40\" does not go into real" \
	"id='13'): column c_dbl: \"5e-324\" does not go into float" "id='19'): column c_money: out of range for money"; do
	grep -qF "$w" "$TEST_TMP/bad.err" || fail "no refusal says \"$w\": $(cat "$TEST_TMP/bad.err")"
done
[ "$(tq "SELECT string_agg(id::text, ',' ORDER BY id) FROM public.tor WHERE id BETWEEN 10 AND 20")" = 20 ] ||
	fail "rows at the target: $(tq "SELECT id FROM public.tor WHERE id BETWEEN 10 AND 20")"
echo "mssql-apply-torture: every value equal after insert, update (TOAST kept/changed), key change, delete, truncate; values SQL Server cannot hold refused by name"
