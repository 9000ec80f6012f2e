# tests/lib/torture.sh — the torture table of every type (issue #4) at the
# source, and its value-for-value comparison with a copy behind the TDS
# peer. Sourced after pg.sh, with pg_start and tds_start done.

# torture_create: the enum, the domain and table "tor" (its big text column
# stored out of line, so that updates leave it as unchanged TOAST).
torture_create() {
	q "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy ☺')"
	q "CREATE DOMAIN posint AS integer CHECK (VALUE > 0)"
	q "CREATE TABLE tor (
		id integer PRIMARY KEY,
		c_small smallint, c_int integer, c_big bigint, c_num numeric, c_num2 numeric(12,3),
		c_real real, c_dbl double precision, c_bool boolean, c_text text, c_vc varchar(20),
		c_ch char(5), c_bytea bytea, c_date date, c_time time, c_timetz timetz, c_ts timestamp, c_ts3 timestamp(3),
		c_tstz timestamptz, c_iv interval, c_uuid uuid, c_json json, c_jsonb jsonb, c_arr integer[],
		c_tarr text[], c_mood mood, c_dom posint, c_money money, c_inet inet, c_big_text text)"
	q "ALTER TABLE tor ALTER COLUMN c_big_text SET STORAGE EXTERNAL"
}

# torture_changes: a truncate, inserts of every kind of value (extremes,
# ±infinity, Unicode, NUL bytes, empty strings, big TOASTed text), updates
# that leave the TOASTed value unchanged and that change it, a key change
# and a delete.
torture_changes() {
	big() { echo "(SELECT string_agg(md5('$1' || i), '') FROM generate_series(1, 300) i)"; }
	psql -X -q -v ON_ERROR_STOP=1 <<SQL || fail "source changes"
INSERT INTO tor (id, c_text) VALUES (100, 'gone with the truncate');
TRUNCATE tor;
INSERT INTO tor VALUES (1, 1, 2, 3, 4.5, 6.789, 1.5, 2.25, true, 'plain', 'vc', 'ab',
	'\x0001ff', '2026-11-25', '13:58:45.123456', '13:58:45.5+02', '2026-11-25 13:58:45.123456',
	'2026-01-02 03:04:05.678', '2026-11-25 13:58:45.123456+05:30', '1 year 2 mons 3 days 04:05:06.5',
	'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.50, "x"]}', '{"b": {"c": null}}',
	'{1,2,NULL,4}', '{"with space","q\"uote",NULL}', 'happy ☺', 7, '1234.56', '192.168.0.1/24',
	$(big one));
INSERT INTO tor (id) VALUES (2);
INSERT INTO tor VALUES (3, -32768, -2147483648, 9223372036854775807, '-123456789.0123456789',
	-123456789.123, '-3.4e38', '1e-300', false,
	E'Unicode 日本語 ☺ \U0001F600, quote '' " backslash \\\\ newline\n tab\t end', 'ünïcödé', 'x',
	'\x00', '0001-01-01', '00:00:00', '23:59:59.999999-14:59', '-infinity', 'infinity', '9999-12-31 23:59:59.999999+00',
	'-1 years -2 mons +3 days -04:05:06.000001', '00000000-0000-0000-0000-000000000000', '[]', '"s"',
	'{}', '{}', 'sad', 2147483647, '-92233720368547.58', '::1', 'short');
INSERT INTO tor (id, c_num, c_text, c_vc, c_bytea, c_tstz, c_date, c_big_text)
	VALUES (4, '0.0000000001', '', '', '\x', '1970-01-01 00:00:00+00', '1999-12-31', $(big four));
INSERT INTO tor (id, c_real, c_dbl, c_tstz, c_ts) VALUES (5, 3.4028235e38, 1.7976931348623157e308,
	'2026-06-30 23:59:59.999999-07', '2000-02-29 00:00:00.000001');
-- TOASTed value not changed, then changed
UPDATE tor SET c_int = c_int + 1, c_text = 'updated' WHERE id = 1;
UPDATE tor SET c_big_text = $(big changed) WHERE id = 4;
UPDATE tor SET c_text = 'toast absent before' WHERE id = 2;
-- the key changes; a delete
UPDATE tor SET id = 30 WHERE id = 3;
DELETE FROM tor WHERE id = 5;
SQL
}

# ±infinity timestamps become the ends of datetime2's range (mssql-apply(1)).
torture_clamp() {
	echo "CASE WHEN $1 IS NULL THEN NULL WHEN isfinite($1) THEN $1::text WHEN $1 > now() THEN '9999-12-31 23:59:59.$2'
		ELSE '0001-01-01 00:00:00' END AS $1"
}

# torture_compare TARGET_TABLE [FILTER]: fails unless every row of tor
# (matching FILTER on both sides) equals its copy at the target, each column
# as text, the target's value first brought back to the source type (the
# type map makes nvarchar(max) of json, interval, arrays …; money becomes
# decimal with 4 places; unconstrained numeric decimal(38,10)).
torture_compare() {
	local cols tcols src dst
	cols="id, c_small, c_int, c_big, round(c_num, 10) AS c_num, c_num2, c_real, c_dbl, c_bool, c_text,
		c_vc, c_ch, c_bytea, c_date, c_time, c_timetz, $(torture_clamp c_ts 999999), $(torture_clamp c_ts3 999),
		c_tstz, c_iv::text, c_uuid, c_json::text, c_jsonb::text, c_arr::text, c_tarr::text, c_mood::text, c_dom,
		round(c_money::numeric, 4), c_inet, md5(c_big_text)"
	tcols="id, c_small, c_int, c_big, c_num, c_num2, c_real, c_dbl, c_bool, c_text,
		c_vc, c_ch, c_bytea, c_date, c_time, c_timetz::timetz, c_ts::text, c_ts3::text, c_tstz, c_iv, c_uuid, c_json,
		c_jsonb, c_arr, c_tarr, c_mood, c_dom, c_money, c_inet, md5(c_big_text)"
	src=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$PGCONN" \
		-c "COPY (SELECT $cols FROM tor WHERE ${2:-true} ORDER BY id) TO STDOUT") || fail "reading the source"
	dst=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$TDS_PGCONN" \
		-c "COPY (SELECT $tcols FROM $1 WHERE ${2:-true} ORDER BY id) TO STDOUT") || fail "reading $1"
	if [ "$src" != "$dst" ]; then
		diff <(echo "$src" | tr '\t' '\n') <(echo "$dst" | tr '\t' '\n') | head -40 >&2
		fail "$1 differs from the source"
	fi
}
