#!/usr/bin/env bash
# mssql-apply with rows near SQL Server's 8,060 bytes (error 1701):
#   1. the peer refuses a table whose minimum row size would exceed
#      8,060 bytes as SQL Server does, at CREATE TABLE (#temp tables too)
#      and at ALTER TABLE ADD: fixed-length columns, bit columns eight to
#      a byte, a null bitmap of 2 + (columns + 7) / 8 and a row header of
#      4 bytes, variable-length columns nothing; a non-unique clustered
#      index's uniqueifier one more column;
#   2. a source table of exactly 8,060 bytes is created and its snapshot
#      bulk-copied into it, value for value; its changes, whose staging
#      table would be over the limit, are refused by name;
#   3. a table near the limit with text columns: one [uN] tinyint flag
#      per text column would take a row of its staging table over 8,060
#      bytes once its text values were pushed off the row (511), so
#      the flags are packed into one [__u]; snapshot and changes that
#      carry every flag, compared value for value;
#   4. a wide table (300 varchar(100), nvarchar(200) at the target) whose
#      rows of 50-character values fit the target once pushed off the row
#      but not a staging row with a tinyint flag per column (the peer's
#      511): its flags packed into [__u], every row arriving value for
#      value; a row the target cannot hold (511) refused by name, by the
#      staging path and the bulk load alike, or dead-lettered;
#   5. a source table of 1,000 bigint columns (PostgreSQL holds it, SQL
#      Server does not) is refused by name (--create-tables): exit 65,
#      or its records in the dead-letter file and the others applied.
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/tds.sh"
source "$(dirname "$0")/../lib/compare.sh"
needs snapshot pgcdc-read mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused PGTZ=UTC

# refused NAME "T-SQL" "MESSAGE": the peer answers the batch with 1701
# and exactly this message
refused() {
	tds_sql "$2" >"$TEST_TMP/$1.out" 2>&1 && fail "$1: the peer took it: $2"
	grep -q 'Msg 1701 (severity 16' "$TEST_TMP/$1.out" || fail "$1: want 1701: $(head -c 400 "$TEST_TMP/$1.out")"
	grep -qF "$3" "$TEST_TMP/$1.out" || fail "$1: want '$3': $(head -c 400 "$TEST_TMP/$1.out")"
}
# msg TABLE SIZE OVERHEAD: SQL Server's text of 1701
msg() {
	echo "Creating or altering table '$1' failed because the minimum row size would be $2, including $3 bytes of internal overhead. This exceeds the maximum allowable table row size of 8060 bytes."
}
# seqcols PREFIX TYPE FROM TO: "[p1] type NULL, …" for the peer
seqcols() { seq "$3" "$4" | sed "s/.*/[$1&] $2 NULL/" | paste -sd, -; }

note "the peer: 1701 at CREATE TABLE, #temp tables and ALTER TABLE ADD"
refused r8061 "CREATE TABLE [dbo].[r8061] ([a] char(8000) NULL, [b] char(54) NULL)" "$(msg r8061 8061 7)"
tds_sql "CREATE TABLE [dbo].[r8060] ([a] char(8000) NULL, [b] char(53) NULL)" >/dev/null ||
	fail "the peer refused a table of 8,060 bytes"
refused alter "ALTER TABLE [dbo].[r8060] ADD [c] bit NULL" "$(msg r8060 8061 7)"
[ "$(tq "SELECT count(*) FROM pg_attribute WHERE attrelid = 'dbo.r8060'::regclass AND attnum > 0 AND NOT attisdropped")" = 2 ] ||
	fail "the refused ALTER TABLE left a column"
tds_sql "ALTER TABLE [dbo].[r8060] ADD [v] nvarchar(4000) NULL, [w] varbinary(max) NULL" >/dev/null ||
	fail "the peer refused variable-length columns, which count nothing"
# nine bit columns take two bytes; eleven columns a null bitmap of 4
tds_sql "CREATE TABLE [dbo].[bits] ([a] char(8000) NULL, [b] char(50) NULL, $(seqcols c bit 1 9))" >/dev/null ||
	fail "the peer refused 8,060 bytes with nine bit columns"
refused bits "CREATE TABLE [dbo].[bits2] ([a] char(8000) NULL, [b] char(51) NULL, $(seqcols c bit 1 9))" \
	"$(msg bits2 8061 8)"
# nchar two bytes a character, decimal(38) 17, datetimeoffset 10, uniqueidentifier 16
tds_sql "CREATE TABLE #r ([a] nchar(4000) NULL, [b] decimal(38,0) NULL, [c] datetimeoffset NULL,
	[d] uniqueidentifier NULL, [e] char(10) NULL, [v] nvarchar(4000) NULL)" >/dev/null ||
	fail "the peer refused a #temp table of 8,060 bytes"
refused temp "CREATE TABLE #r ([a] nchar(4000) NULL, [b] decimal(38,0) NULL, [c] datetimeoffset NULL,
	[d] uniqueidentifier NULL, [e] char(11) NULL, [v] nvarchar(4000) NULL)" "$(msg '#r' 8061 7)"
# a non-unique clustered index: its uniqueifier takes the null bitmap to 2 bytes
tds_sql "CREATE TABLE #u ([a] char(8000) NULL, $(seqcols t tinyint 1 6), [b] char(47) NULL, INDEX [k] ([t1]))" >/dev/null ||
	fail "the peer refused 8,060 bytes with a nonclustered index"
refused uniq "CREATE TABLE #u ([a] char(8000) NULL, $(seqcols t tinyint 1 6), [b] char(47) NULL, INDEX [k] CLUSTERED ([t1]))" \
	"$(msg '#u' 8061 8)"

# pcols PREFIX TYPE N: "p1 type, …, pN type" for PostgreSQL
pcols() { seq 1 "$3" | sed "s/.*/$1& $2/" | paste -sd, -; }
q "CREATE PUBLICATION pub FOR ALL TABLES" >/dev/null
q "SELECT 1 FROM pg_create_logical_replication_slot('rowsize', 'pgoutput')" >/dev/null
read_wal() { pg_read_slot rowsize pub "$TEST_TMP/$1.json"; }
# apply NAME TABLE [OPTION…]: NAME.json in one batch, then TABLE compared
apply() {
	local name=$1 table=$2
	shift 2
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress \
		--batch-rows 100000 --batch-ms 60000 "$@" <"$TEST_TMP/$name.json" 2>"$TEST_TMP/$name.err" ||
		{ cat "$TEST_TMP/$name.err" >&2; fail "mssql-apply ($name)"; }
	compare_table "$PGCONN" "$TDS_PGCONN" public "$table" >/dev/null ||
		{ show_table_diff "$PGCONN" "$TDS_PGCONN" public "$table" | cut -c 1-200 >&2; fail "$table after $name"; }
}
# refused_by NAME TABLE WHAT: mssql-apply of NAME.json exits 65, naming
# TABLE and WHAT in its refusal
refused_by() {
	local rc=0
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --evolve --no-progress \
		<"$TEST_TMP/$1.json" 2>"$TEST_TMP/$1.err" || rc=$?
	[ $rc = 65 ] || { cat "$TEST_TMP/$1.err" >&2; fail "$1: exit $rc, want 65"; }
	grep -q "record refused (.*table \[public\]\.\[$2\].*$3" "$TEST_TMP/$1.err" ||
		fail "$1: want [public].[$2] refused for '$3': $(head -c 600 "$TEST_TMP/$1.err")"
}

note "a table of 8,060 bytes: created, its snapshot bulk-copied; a change, which needs staging, refused"
# SQL Server's minimum row: 4 (id) + 980 * 8 (bigint) + 1 (3 bit) + 6 (2 date) + 16 (uniqueidentifier)
# + 17 (decimal(38,10)) + 10 (datetimeoffset(6)) + 5 (time(6)) + 8 (datetime2(3)) + 4 (real)
# + 2 (smallint) + 8 (float) + 8 (datetime2(6)) of fixed-length columns, 4 of row header, 2 + (995 + 7) / 8 of null bitmap: 8,060
at="id integer PRIMARY KEY, $(pcols b bigint 980), f1 boolean, f2 boolean, f3 boolean, d1 date, d2 date,
	u uuid, n numeric(38,10), tz timestamptz, tm time, m timestamp(3), r real, s smallint, dp double precision,
	ts timestamp"
q "CREATE TABLE at8060 ($at)" >/dev/null
q "INSERT INTO at8060 SELECT g, $(seq 1 980 | sed 's/.*/g * 1000003 + &/' | paste -sd, -), g % 2 = 0, true,
	NULL, date '2026-01-01' + g, NULL, md5(g::text)::uuid, g * 1234567.0123456789, timestamptz '2026-03-04 05:06:07.123456+00' + g * interval '1 min',
	time '01:02:03.456789', timestamp '2026-01-01 00:00:00.123' + g * interval '1 s', g / 3.0, g, g / 7.0, timestamp '1999-12-31 23:59:59.999999' - g * interval '1 day'
	FROM generate_series(1, 500) g" >/dev/null
"$BIN/snapshot" -d "$PGCONN" -t at8060 --no-progress >"$TEST_TMP/snap8060.json" || fail "snapshot of at8060"
apply snap8060 at8060
[ "$(tq "SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.at8060'::regclass AND attnum > 0 AND NOT attisdropped")" = 995 ] ||
	fail "at8060 was not created with its 995 columns"
q "UPDATE at8060 SET b1 = -1 WHERE id = 1" >/dev/null
read_wal wal8060
refused_by wal8060 at8060 'staging table.*(1701)'
[ "$(tq "SELECT b1 FROM public.at8060 WHERE id = 1")" = 1000004 ] || fail "the refused change reached the target"

note "near the limit with text columns: the staging table's flags packed into [__u], by its row size"
# 4 + 488 * 16 of fixed-length columns, 4 of row header, 2 + 65 of null
# bitmap: the target's minimum row 7,883 bytes, its rows' at most 8,055
# once their values were pushed off it (511: 2 + 30 * 26 more); its
# staging table's minimum with a tinyint flag per text column 7,927, but
# such a row could keep 8,709 bytes in it: the flags packed into [__u]
q "CREATE TABLE near (id integer PRIMARY KEY, $(pcols t text 30), $(pcols g uuid 488))" >/dev/null
q "ALTER TABLE near ALTER COLUMN t1 SET STORAGE EXTERNAL" >/dev/null
q "INSERT INTO near (id, $(seq 1 488 | sed 's/.*/g&/' | paste -sd, -), t1, t2, t3, t30)
	SELECT g, $(seq 1 488 | sed "s/.*/md5(g || '-&')::uuid/" | paste -sd, -),
	(SELECT string_agg(md5('x' || g || i), '') FROM generate_series(1, 100) i), 'two ' || g, 'three', 'last'
	FROM generate_series(1, 100) g" >/dev/null
"$BIN/snapshot" -d "$PGCONN" -t near --no-progress >"$TEST_TMP/snapnear.json" || fail "snapshot of near"
log0=$(wc -l <"$TDS_LOG")
apply snapnear near
# 600 changes with t1 unchanged TOAST (over the 500 that go by INSERT …
# VALUES), '' in t3 of some, deletes, inserts, a key change
q "INSERT INTO near (id, g1, t1) SELECT g, md5(g::text)::uuid, 'new ' || g FROM generate_series(101, 700) g" >/dev/null
read_wal walnear0
apply walnear0 near
q "UPDATE near SET t2 = 'changed ' || id, t3 = CASE WHEN id % 7 = 0 THEN '' ELSE t3 END, g2 = NULL WHERE id <= 600" >/dev/null
q "DELETE FROM near WHERE id BETWEEN 650 AND 660" >/dev/null
q "INSERT INTO near (id, t2, t4) VALUES (1001, '', 'new'), (1002, NULL, '')" >/dev/null
q "UPDATE near SET id = 2001, t5 = 'moved' WHERE id = 5" >/dev/null
read_wal walnear1
grep -q '"unchanged":\["t1"\]' "$TEST_TMP/walnear1.json" || fail "no record with an unchanged TOAST value"
apply walnear1 near
q "UPDATE near SET t30 = 'again', t3 = '' WHERE id IN (1, 2, 3, 14); UPDATE near SET id = 3001 WHERE id = 6" >/dev/null
read_wal walnear2
apply walnear2 near
# (the peer's log keeps the first 2,000 bytes of a statement: the text
# columns come first)
tail -n +"$((log0 + 1))" "$TDS_LOG" | grep -q 'SUBSTRING(s\.\[__u\], 2, 1)' || fail "the MERGE of near read no packed flags"
tail -n +"$((log0 + 1))" "$TDS_LOG" | grep -q '\[u2\]' && fail "the staging table of near has a flag column"

note "300 varchar(100) columns of 50 characters: the staging table's flags packed, its rows never over 511 where the target's are not"
# the target's rows: 4 + 4 + 2 + 38 of row header, int and null bitmap, 2
# + 300 * (2 + 24) of values pushed off the row, 7,850 bytes in it; a
# staging row with [__seq], [__op] and a tinyint flag per column 8,198
# (511), with the flags packed into [__u] 7,886
q "CREATE TABLE wide (id integer PRIMARY KEY, $(pcols c 'varchar(100)' 300))" >/dev/null
# wvals EXPR [N]: N (300) values of 50 characters, each its own (EXPR the row)
wvals() { seq 1 "${2:-300}" | sed "s/.*/left(md5($1 || '-&') || md5($1 || '+&'), 50)/" | paste -sd, -; }
q "INSERT INTO wide SELECT g, $(wvals g) FROM generate_series(1, 20) g" >/dev/null
"$BIN/snapshot" -d "$PGCONN" -t wide --no-progress >"$TEST_TMP/snapwide.json" || fail "snapshot of wide"
apply snapwide wide
# 600 inserts (bulk-copied into the staging table), updates, deletes, a key change
q "INSERT INTO wide SELECT g, $(wvals g) FROM generate_series(21, 620) g" >/dev/null
read_wal walwide0
apply walwide0 wide
# (a few dozen: some hundreds go by INSERT … VALUES, which the peer's
# PostgreSQL runs out of memory on at this width, see widebulk below)
q "UPDATE wide SET c1 = NULL, c2 = '', c300 = left(repeat('u' || id, 50), 50) WHERE id % 30 = 0;
	DELETE FROM wide WHERE id BETWEEN 100 AND 110; UPDATE wide SET id = 5000 WHERE id = 7" >/dev/null
read_wal walwide1
apply walwide1 wide
[ "$(tq "SELECT count(*) FROM public.wide")" = 609 ] || fail "wide has $(tq "SELECT count(*) FROM public.wide") rows, want 609"

note "a row the target cannot hold (511) is refused by name, or dead-lettered while the rest is applied"
# (a varchar(n) column is nvarchar(2n) at the target, its values pushed off
# the row whatever n) 19 uuid columns: 4 + 4 + 19 * 16 + 2 + 40 = 354 bytes
# before the values; 294 values of 50 characters 8,000, a staging row of
# them 8,037; 300 values 8,156
uu() { seq 1 19 | sed "s/.*/md5($1 || '-&')::uuid/" | paste -sd, -; }
q "CREATE TABLE widepad (id integer PRIMARY KEY, $(pcols p uuid 19), $(pcols c 'varchar(100)' 300))" >/dev/null
q "INSERT INTO widepad (id, $(seq 1 19 | sed 's/.*/p&/' | paste -sd, -), $(seq 1 294 | sed 's/.*/c&/' | paste -sd, -))
	SELECT g, $(uu g), $(wvals g 294) FROM generate_series(1, 3) g" >/dev/null
"$BIN/snapshot" -d "$PGCONN" -t widepad --no-progress >"$TEST_TMP/snappad.json" || fail "snapshot of widepad"
apply snappad widepad
q "INSERT INTO widepad SELECT g, $(uu g), $(wvals g) FROM generate_series(4, 4) g;
	INSERT INTO widepad (id, p1, c1) VALUES (5, NULL, 'five'); UPDATE widepad SET c296 = 'x' WHERE id = 2" >/dev/null
read_wal walpad
rc=0
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress \
	<"$TEST_TMP/walpad.json" 2>"$TEST_TMP/walpad.err" || rc=$?
[ $rc = 65 ] || { cat "$TEST_TMP/walpad.err" >&2; fail "walpad: exit $rc, want 65"; }
grep -q "record refused (.*table \[public\]\.\[widepad\].*511.*Cannot create a row of size" "$TEST_TMP/walpad.err" ||
	fail "walpad: want [public].[widepad]'s record refused for 511: $(head -c 600 "$TEST_TMP/walpad.err")"
rc=0
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress \
	--dead-letter "$TEST_TMP/deadpad.json" <"$TEST_TMP/walpad.json" 2>"$TEST_TMP/walpad-dl.err" || rc=$?
[ $rc = 0 ] || { cat "$TEST_TMP/walpad-dl.err" >&2; fail "walpad with --dead-letter: exit $rc, want 0"; }
[ "$(grep -c '"table":"widepad"' "$TEST_TMP/deadpad.json")" = 1 ] ||
	fail "want widepad's one record in the dead-letter file: $(head -c 300 "$TEST_TMP/deadpad.json")"
q "DELETE FROM widepad WHERE id = 4" >/dev/null
compare_table "$PGCONN" "$TDS_PGCONN" public widepad >/dev/null ||
	{ show_table_diff "$PGCONN" "$TDS_PGCONN" public widepad | cut -c 1-200 >&2; fail "widepad, beside the refused row"; }

note "the bulk load: 600 rows bulk-copied into an empty table (the peer's check on COPY), one the target cannot hold"
# (600: the rest of the batch after the refused row is bulk-copied too; the
# peer's INSERT … VALUES of some hundreds of staged rows this wide got
# PostgreSQL's backend killed for memory, signal 9)
q "CREATE TABLE widebulk (LIKE widepad INCLUDING ALL)" >/dev/null
q "INSERT INTO widebulk (id, $(seq 1 19 | sed 's/.*/p&/' | paste -sd, -), $(seq 1 294 | sed 's/.*/c&/' | paste -sd, -))
	SELECT g, $(uu g), $(wvals g 294) FROM generate_series(1, 600) g" >/dev/null
q "UPDATE widebulk SET $(seq 295 300 | awk '{print "c" $1 " = c1"}' | paste -sd, -) WHERE id = 333" >/dev/null
"$BIN/snapshot" -d "$PGCONN" -t widebulk --no-progress >"$TEST_TMP/snapbulk.json" || fail "snapshot of widebulk"
rc=0
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress --batch-rows 100000 \
	--batch-ms 60000 <"$TEST_TMP/snapbulk.json" 2>"$TEST_TMP/snapbulk.err" || rc=$?
[ $rc = 65 ] || { cat "$TEST_TMP/snapbulk.err" >&2; fail "snapbulk: exit $rc, want 65"; }
grep -q "record refused (.*table \[public\]\.\[widebulk\], key id='333'): 511 Cannot create a row of size" "$TEST_TMP/snapbulk.err" ||
	fail "snapbulk: want widebulk's id 333 refused for 511: $(head -c 600 "$TEST_TMP/snapbulk.err")"
grep -q 'bulk: COPY "public"."widebulk"' "$TDS_LOG" || fail "widebulk was not bulk-copied into"
rc=0
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress --batch-rows 100000 \
	--batch-ms 60000 --dead-letter "$TEST_TMP/deadbulk.json" <"$TEST_TMP/snapbulk.json" 2>"$TEST_TMP/snapbulk-dl.err" || rc=$?
[ $rc = 0 ] || { cat "$TEST_TMP/snapbulk-dl.err" >&2; fail "snapbulk with --dead-letter: exit $rc, want 0"; }
[ "$(grep -c '"table":"widebulk"' "$TEST_TMP/deadbulk.json")" = 1 ] ||
	fail "want widebulk's one record in the dead-letter file: $(head -c 300 "$TEST_TMP/deadbulk.json")"
q "DELETE FROM widebulk WHERE id = 333" >/dev/null
compare_table "$PGCONN" "$TDS_PGCONN" public widebulk >/dev/null ||
	{ show_table_diff "$PGCONN" "$TDS_PGCONN" public widebulk | cut -c 1-200 >&2; fail "widebulk, beside the refused row"; }

note "1,000 bigint columns: refused by name at --create-tables, or dead-lettered while the rest is applied"
q "CREATE TABLE too_wide (id integer PRIMARY KEY, $(pcols b bigint 1000))" >/dev/null
q "INSERT INTO too_wide (id, b1, b1000) SELECT g, g, -g FROM generate_series(1, 3) g" >/dev/null
q "CREATE TABLE small (id integer PRIMARY KEY, v text)" >/dev/null
q "INSERT INTO small VALUES (1, 'one'), (2, 'two')" >/dev/null
read_wal walwide
refused_by walwide too_wide 'minimum row size would be 8136 bytes.*(1701): not created'
[ "$(tq "SELECT count(*) FROM pg_class WHERE relname = 'too_wide'")" = 0 ] || fail "too_wide was created"
rc=0
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress \
	--dead-letter "$TEST_TMP/dead.json" <"$TEST_TMP/walwide.json" 2>"$TEST_TMP/walwide-dl.err" || rc=$?
[ $rc = 0 ] || { cat "$TEST_TMP/walwide-dl.err" >&2; fail "too_wide with --dead-letter: exit $rc, want 0"; }
[ "$(grep -c '"table":"too_wide"' "$TEST_TMP/dead.json")" = 3 ] ||
	fail "want too_wide's 3 records in the dead-letter file: $(head -c 300 "$TEST_TMP/dead.json")"
compare_table "$PGCONN" "$TDS_PGCONN" public small >/dev/null || fail "small, beside too_wide"

note "--evolve: columns that would take the target over 8,060 bytes are not added"
# 4 + 987 * 8 + 6 + 124 = 8,030 bytes (its staging table's 8,040); four
# more bigint columns 8,062
q "CREATE TABLE grow (id integer PRIMARY KEY, $(pcols b bigint 987))" >/dev/null
q "INSERT INTO grow (id, b1) SELECT g, g FROM generate_series(1, 3) g" >/dev/null
read_wal walgrow0
apply walgrow0 grow
q "ALTER TABLE grow ADD COLUMN w bigint, ADD COLUMN x bigint, ADD COLUMN y bigint, ADD COLUMN z bigint;
	INSERT INTO grow (id, x) VALUES (4, 4)" >/dev/null
read_wal walgrow1
refused_by walgrow1 grow 'minimum row size would be 8062 bytes.*(1701): column w and the others not added'
[ "$(tq "SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.grow'::regclass AND attnum > 0 AND NOT attisdropped")" = 988 ] ||
	fail "columns were added to grow"
exit 0
