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

# ±infinity timestamps become the ends of datetime2's range (mssql-apply(1)).
torture_clamp() {
	echo "CASE WHEN $1 IS NULL THEN NULL WHEN isfinite($1) THEN $1::text WHEN $1 > now() THEN '9999-12-31 23:59:59.$2'
		ELSE '0001-01-01 00:00:00' END AS $1"
}

# torture_compare TARGET_TABLE [FILTER]: fails unless every row of tor
# (matching FILTER on both sides) equals its copy at the target, each column
# as text, the target's value first brought back to the source type (the
# type map makes nvarchar(max) of json, interval, arrays and unconstrained
# numeric …; money becomes decimal with 4 places).
torture_compare() {
	local cols tcols src dst
	cols="id, c_small, c_int, c_big, c_num, c_num2, c_real, c_dbl, c_bool, c_text,
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
