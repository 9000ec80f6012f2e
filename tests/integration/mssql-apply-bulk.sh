#!/usr/bin/env bash
# mssql-apply, snapshot rows into an empty table: the typed bulk copy
# straight into the target (mssql-apply(1), "Snapshot rows"), value for value.
# A table with every type of the torture test (integers at their limits,
# numeric with and without typmod, real/double extremes, boolean, text with
# Unicode beyond the BMP, '' next to NULL, varchar(n), char(n), bytea with
# NUL and empty, dates and timestamps at SQL Server's ends and ±infinity,
# timestamptz given in other zones, time, timetz, interval, uuid, json,
# jsonb, arrays, an enum, a domain, money at its limits, inet, a TOASTed
# text) and 3,000 more generated rows goes snapshot -> mssql-apply
# --create-tables in batches of 700: the first batch after the emptiness
# test, the next ones streamed as they are read. The peer (which refuses
# what SQL Server would) must see the rows arrive by bulk copy into the
# table itself, and every value must equal the source's, read back in the
# source type's text form. Then:
#   - the same with the TDS server answering 1205 at one commit and
#     dropping the connection after another: nothing lost or doubled;
#   - a key twice in a streamed batch: the later image wins;
#   - a target created beforehand with the columns in another order is
#     bulk-copied too; one with a column of another type is not (INSERT …
#     SELECT), and is equal all the same; a value longer than its column
#     is refused (exit 65), never cut (db-lib's bcp cuts it without a word;
#     a varchar(20) of 11 characters beyond the BMP needs 22 UTF-16 units);
#   - a target with an int column of a PostgreSQL domain (a type the peer
#     has no binary COPY form for): loaded as COPY text, equal all the same;
#   - a bulk copy refused by PostgreSQL (NULL into NOT NULL, a duplicate
#     key) answers SQL Server's 515 / 2627, binary COPY or text alike, and
#     leaves nothing in the target;
#   - a target that is not empty is merged, not bulk-copied: its own rows
#     stay, the snapshot's win on common keys.
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/torture.sh"
needs snapshot mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused PGTZ=UTC PGOPTIONS="-c intervalstyle=iso_8601 -c extra_float_digits=3"

torture_create

big() { echo "(SELECT string_agg(md5('$1' || i), '') FROM generate_series(1, 300) i)"; }
# Special rows, spread so that each batch of 700 holds some (ids sort as
# the snapshot reads them: in insertion order).
special() { # first id
	local b=$1
	cat <<SQL
INSERT INTO tor VALUES ($((b + 1)), 1, 2, 3, 4.5, 6.789, 1.5, 2.25, true, 'plain', 'vc', 'ab',
	'\x0001ff', '2026-11-25', '13:58:45.123456', '13:58:45.5+02', '2026-11-25 13:58:45.123456',
	'2026-01-02 03:04:05.678', '2026-11-25 13:58:45.123456+05:30', '1 year 2 mons 3 days 04:05:06.5',
	'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.50, "x"]}', '{"b": {"c": null}}',
	'{1,2,NULL,4}', '{"with space","q\"uote",NULL}', 'happy ☺', 7, '1234.56', '192.168.0.1/24',
	$(big "one$b"));
INSERT INTO tor (id) VALUES ($((b + 2)));
INSERT INTO tor VALUES ($((b + 3)), -32768, -2147483648, 9223372036854775807, '-123456789.0123456789',
	-123456789.123, '-3.4e38', '1e-300', false,
	E'Unicode 日本語 ☺ \U0001F600, quote '' " backslash \\\\ newline\n tab\t end', 'ünïcödé', 'x',
	'\x00', '0001-01-01', '00:00:00', '23:59:59.999999-14:59', '-infinity', 'infinity', '9999-12-31 23:59:59.999999+00',
	'-1 years -2 mons +3 days -04:05:06.000001', '00000000-0000-0000-0000-000000000000', '[]', '"s"',
	'{}', '{}', 'sad', 2147483647, '-92233720368547.58', '::1', 'short');
INSERT INTO tor (id, c_num, c_text, c_vc, c_bytea, c_tstz, c_date, c_ch, c_big_text)
	VALUES ($((b + 4)), '0.0000000001', '', '', '\x', '1970-01-01 00:00:00+00', '1999-12-31', '', $(big "four$b"));
INSERT INTO tor (id, c_real, c_dbl, c_tstz, c_ts, c_time, c_num, c_num2, c_money, c_big, c_vc) VALUES ($((b + 5)),
	3.4028235e38, 1.7976931348623157e308, '2026-06-30 23:59:59.999999-07', '2000-02-29 00:00:00.000001',
	'23:59:59.999999', '99999999999999999999999999.9999999999', '-999999999.999', '92233720368547.58',
	-9223372036854775808, repeat('😀', 11));
INSERT INTO tor (id, c_real, c_dbl, c_num, c_text, c_vc, c_ts3) VALUES ($((b + 6)), '-0', '2.2250738585072014e-308',
	'0.00000000005', '𝄞 outside the BMP 𝄞', repeat('é', 20), '0001-01-01 00:00:00.001');
SQL
}
{
	special 0
	echo "INSERT INTO tor (id, c_small, c_int, c_big, c_num, c_num2, c_real, c_dbl, c_bool, c_text, c_vc,
		c_ch, c_bytea, c_date, c_time, c_ts, c_ts3, c_tstz, c_uuid, c_money, c_inet, c_mood)
	SELECT g, g % 32767, g * 7919, g::bigint * 1000000007, g / 7.0, g / 3.0, g / 9.0, g / 11.0, g % 2 = 0,
		'row ' || g || repeat(' ✓', g % 5), 'v' || g, chr(65 + g % 26), decode(md5(g::text), 'hex'),
		'2000-01-01'::date + g, '00:00:00'::time + g * interval '13.000001 s',
		'2000-01-01'::timestamp + g * interval '1.000001 s', '2000-01-01'::timestamp + g * interval '1.5 s',
		'2026-01-01 00:00:00+00'::timestamptz - g * interval '1 h 0.000003 s', md5(g::text)::uuid,
		g * 1.01, ('10.0.' || g % 256 || '.1')::inet, (ARRAY['sad', 'ok'])[1 + g % 2]::mood
	FROM generate_series(7, 1400) g;"
	special 1400
	echo "INSERT INTO tor (id, c_int, c_text, c_tstz) SELECT g, g, CASE WHEN g % 97 = 0 THEN '' ELSE 't' || g END,
		'2026-01-01 12:00:00+00'::timestamptz + g * interval '1 s' FROM generate_series(1407, 3000) g;"
	special 3000
} | psql -X -q -v ON_ERROR_STOP=1 || fail "source rows"
nsrc=$(q "SELECT count(*) FROM tor")

"$BIN/snapshot" -d "$PGCONN" -t tor --no-progress >"$TEST_TMP/tor.json" || fail "snapshot"

# COPY statements the peer ran into a table (bulk loads): its log line;
# binary_copies_into / text_copies_into: those in one COPY format.
copies_into() { grep -c "bulk: COPY \"$1\"\.\"$2\" " "$TDS_LOG"; }
binary_copies_into() { grep -c "bulk: COPY \"$1\"\.\"$2\" (.*) FROM STDIN WITH (FORMAT binary)\$" "$TDS_LOG"; }
text_copies_into() { grep -c "bulk: COPY \"$1\"\.\"$2\" (.*) FROM STDIN\$" "$TDS_LOG"; }
apply() { # log-name args...
	local name=$1
	shift
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress --batch-rows 700 --clamp-infinity \
		"$@" 2>"$TEST_TMP/$name.err"
	local rc=$?
	[ $rc = 0 ] || { cat "$TEST_TMP/$name.err" >&2; fail "mssql-apply ($name) exited $rc"; }
}

note "every type by bulk copy into an empty table, value for value"
apply first <"$TEST_TMP/tor.json"
torture_compare public.tor
[ "$(tq "SELECT count(*) FROM public.tor")" = "$nsrc" ] || fail "row count"
n=$(copies_into public tor)
[ "$n" -ge 5 ] || fail "rows reached public.tor by $n bulk copies, want one per batch of 700 ($nsrc rows)"
# every column has a binary form in the peer (tds-server/README.md)
[ "$(binary_copies_into public tor)" = "$n" ] || fail "not every bulk copy into public.tor went as binary COPY"
[ "$(tq "SELECT count(*) FROM public.tor WHERE c_text = '' AND c_vc = '' AND c_json IS NULL")" = 3 ] ||
	fail "empty strings or NULLs not kept"
[ "$(tq "SELECT count(*) FROM public.tor WHERE c_bytea = ''::bytea")" = 3 ] || fail "empty bytea not kept"

note "1205 at the second commit, connection dropped after the fourth: nothing lost or doubled"
tds_stop
tq "DROP TABLE public.tor; DELETE FROM dbo.dbrepl_checkpoint"
tds_start --fault deadlock-at=2 --fault drop-after=4
apply faults <"$TEST_TMP/tor.json"
torture_compare public.tor
grep -q "1205" "$TEST_TMP/faults.err" || fail "no deadlock was met: $(cat "$TEST_TMP/faults.err")"
tds_stop
tds_start

note "a key twice in a streamed batch: the later image wins"
tq "DROP TABLE public.tor; DELETE FROM dbo.dbrepl_checkpoint"
# the record of id 1000 again, after id 1100, with another text
dup=$(grep -F '"after":{"id":1000,' "$TEST_TMP/tor.json" | sed 's/"c_text":"[^"]*"/"c_text":"second image"/')
[ -n "$dup" ] || fail "no record of id 1000"
DUP=$dup awk '{ print } /"after":\{"id":1100,/ { print ENVIRON["DUP"] }' "$TEST_TMP/tor.json" |
	awk 'BEGIN { n = 0 } { n++; sub(/"offset":"[0-9]+"/, "\"offset\":\"" n "\""); print }' >"$TEST_TMP/dup.json"
apply dup <"$TEST_TMP/dup.json"
[ "$(tq "SELECT c_text FROM public.tor WHERE id = 1000")" = "second image" ] || fail "the later image of id 1000 lost"
torture_compare public.tor "id <> 1000"

note "a target created beforehand, columns in another order: bulk-copied"
tq "DROP TABLE public.tor; DELETE FROM dbo.dbrepl_checkpoint"
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --print-sql --no-progress --clamp-infinity \
	<"$TEST_TMP/tor.json" 2>/dev/null | grep -m1 '^CREATE TABLE \[public\]\.\[tor\]' >"$TEST_TMP/create.sql"
# move the key to the end
perl -pe 's/\[id\] int NOT NULL, (.*), CONSTRAINT/$1, [id] int NOT NULL, CONSTRAINT/' "$TEST_TMP/create.sql" >"$TEST_TMP/create2.sql"
grep -q 'NULL, \[id\] int NOT NULL, CONSTRAINT' "$TEST_TMP/create2.sql" || fail "could not reorder: $(cat "$TEST_TMP/create2.sql")"
tds_sql "$(cat "$TEST_TMP/create2.sql")" >/dev/null || fail "creating the reordered table"
before=$(copies_into public tor)
apply reordered <"$TEST_TMP/tor.json"
torture_compare public.tor
[ "$(copies_into public tor)" -gt "$before" ] || fail "the reordered target was not bulk-copied into"

note "a target with a column of another type: INSERT … SELECT, equal all the same"
tq "DROP TABLE public.tor; DELETE FROM dbo.dbrepl_checkpoint"
sed 's/\[c_int\] int NULL/[c_int] bigint NULL/' "$TEST_TMP/create.sql" >"$TEST_TMP/create3.sql"
tds_sql "$(cat "$TEST_TMP/create3.sql")" >/dev/null || fail "creating the retyped table"
before=$(copies_into public tor)
apply retyped <"$TEST_TMP/tor.json"
torture_compare public.tor
[ "$(copies_into public tor)" = "$before" ] || fail "a target with a bigint for an int column was bulk-copied into"

note "a target with a narrower column: no value is cut (db-lib's bcp would), the longer one is refused"
tq "DROP TABLE public.tor; DELETE FROM dbo.dbrepl_checkpoint"
sed 's/\[c_vc\] nvarchar(40) NULL/[c_vc] nvarchar(5) NULL/' "$TEST_TMP/create.sql" >"$TEST_TMP/create4.sql"
grep -q 'nvarchar(5)' "$TEST_TMP/create4.sql" || fail "could not narrow c_vc"
tds_sql "$(cat "$TEST_TMP/create4.sql")" >/dev/null || fail "creating the narrow table"
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --no-progress --batch-rows 700 --clamp-infinity \
	<"$TEST_TMP/tor.json" 2>"$TEST_TMP/narrow.err"
rc=$?
[ $rc = 65 ] || { cat "$TEST_TMP/narrow.err" >&2; fail "a value longer than its column: exit $rc, want 65"; }
grep -q "id='3'" "$TEST_TMP/narrow.err" || fail "the refused record is not named: $(cat "$TEST_TMP/narrow.err")"
[ "$(tq "SELECT count(*) FROM public.tor")" = 0 ] || fail "rows of the refused batch are in the target"

note "a column the peer has no binary COPY form for (a domain over int): COPY text, equal all the same"
tq "DROP TABLE public.tor; DELETE FROM dbo.dbrepl_checkpoint"
tds_sql "$(cat "$TEST_TMP/create.sql")" >/dev/null || fail "creating the table"
tq "CREATE DOMAIN public.int_d AS integer; ALTER TABLE public.tor ALTER COLUMN c_int TYPE public.int_d"
before=$(text_copies_into public tor)
apply textcopy <"$TEST_TMP/tor.json"
torture_compare public.tor
[ "$(text_copies_into public tor)" -ge $((before + 5)) ] || fail "the loads into public.tor did not go as COPY text"

note "a bulk copy PostgreSQL refuses keeps SQL Server's errors, binary COPY or text: NULL 515, duplicate key 2627"
for form in binary text; do
	tq "DROP TABLE public.tor; DROP DOMAIN IF EXISTS public.int_d; DELETE FROM dbo.dbrepl_checkpoint"
	tds_sql "$(cat "$TEST_TMP/create.sql")" >/dev/null || fail "creating the table"
	[ $form = binary ] || tq "CREATE DOMAIN public.int_d AS integer; ALTER TABLE public.tor ALTER COLUMN c_int TYPE public.int_d"
	for c in "ALTER COLUMN c_text SET NOT NULL|ALTER COLUMN c_text DROP NOT NULL|515|Cannot insert the value NULL into column 'c_text', table 'public.tor'" \
		"ADD CONSTRAINT one_mood UNIQUE (c_mood)|DROP CONSTRAINT one_mood|2627|Violation of UNIQUE KEY constraint 'one_mood'. Cannot insert duplicate key in object 'public.tor'"; do
		IFS='|' read -r alter undo num msg <<<"$c"
		tq "ALTER TABLE public.tor $alter"
		before=$(${form}_copies_into public tor)
		"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --no-progress --batch-rows 700 --clamp-infinity \
			<"$TEST_TMP/tor.json" 2>"$TEST_TMP/refused.err"
		rc=$?
		[ $rc = 65 ] || { cat "$TEST_TMP/refused.err" >&2; fail "$form, $alter: exit $rc, want 65"; }
		grep -qF "$num $msg" "$TEST_TMP/refused.err" || fail "$form, $alter: want $num, got: $(cat "$TEST_TMP/refused.err")"
		[ "$(${form}_copies_into public tor)" -gt "$before" ] || fail "$form, $alter: no $form COPY was refused"
		[ "$(tq "SELECT count(*) FROM public.tor")" = 0 ] || fail "$form, $alter: rows of the refused batch are in the target"
		tq "ALTER TABLE public.tor $undo"
	done
done
note "a target that is not empty is merged"
tq "DROP TABLE public.tor; DELETE FROM dbo.dbrepl_checkpoint"
tds_sql "$(cat "$TEST_TMP/create.sql")" >/dev/null || fail "creating the table"
tq "INSERT INTO public.tor (id, c_text) VALUES (5, 'stale'), (999999, 'only in the target')"
before=$(copies_into public tor)
apply merged <"$TEST_TMP/tor.json"
[ "$(copies_into public tor)" = "$before" ] || fail "a non-empty target was bulk-copied into"
[ "$(tq "SELECT c_text FROM public.tor WHERE id = 999999")" = "only in the target" ] || fail "the target's own row is gone"
tq "DELETE FROM public.tor WHERE id = 999999"
torture_compare public.tor

note "--bulk-rows: a streamed snapshot goes in bigger transactions than --batch-rows"
tq "DROP TABLE public.tor; DELETE FROM dbo.dbrepl_checkpoint"
before=$(copies_into public tor)
log0=$(wc -l <"$TDS_LOG")
apply bulkrows --bulk-rows 1500 --stats <"$TEST_TMP/tor.json"
torture_compare public.tor
# 3006 rows: the first batch closes at 500, as soon as it would go by bulk
# copy (it finds the table empty; the server had waited while 700 were
# read), then 1500 streamed and 1006; with --batch-rows alone it took 5
# (first section)
n=$(($(copies_into public tor) - before))
[ "$n" = 3 ] || fail "rows reached public.tor by $n bulk copies with --bulk-rows 1500, want 3"
grep -q "done: $nsrc records (0 skipped, 0 dead-lettered), 3 batches" "$TEST_TMP/bulkrows.err" ||
	fail "want 3 batches: $(tail -n 1 "$TEST_TMP/bulkrows.err")"
# (the rows holding '' or an empty bytea go through the staging table, a
# few of each batch, so the bulk copies hold a little less: 499 1493 995)
rows=$(tail -n +"$((log0 + 1))" "$TDS_LOG" | sed -n 's/.* bulk: \([0-9]*\) rows$/\1/p' | tr '\n' ' ')
read -r first _ <<<"$rows"
[ "${first:-0}" -gt 450 ] && [ "$first" -le 500 ] || fail "bulk copies of $rows rows, want 500 at most in the first"

tds_stop
echo "mssql-apply-bulk: every type equal by typed bulk copy (also streamed, after faults, reordered); merged when not empty"
