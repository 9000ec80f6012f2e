#!/bin/bash
# tds-peer-rowsize.sh — the TDS test peer refuses a row SQL Server surely
# refuses when it is written (Msg 511, "Cannot create a row of size %d
# which is greater than the allowable maximum of %d."): a lower bound of
# its bytes in the row — the row header of 4, the fixed-length columns,
# the null bitmap of 2 + (columns + 7) / 8, and when a variable-length
# value is not NULL 2 bytes of column count, 2 of offset for each such
# value and its bytes or the 24-byte pointer it leaves when pushed off
# the row (16 for a (max) type), whichever is less — over 8,060. By
# INSERT, UPDATE and MERGE, into a table and a #temp table; a row of
# exactly 8,060 is taken; a table whose rows cannot exceed 8,060 by that
# bound gets no check. (The bulk load: mssql-apply-rowsize.sh.)
set -u
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/tds.sh"

needs tsql
[ -x "$BIN/peers/tds-server" ] || fail "$BIN/peers/tds-server not built"

pg_start
tds_start

# refused NAME SIZE "T-SQL": the batch fails with 511 and SQL Server's text
refused() {
	tds_sql "$3" >"$TEST_TMP/$1.out" 2>&1 && fail "$1: the peer took it"
	grep -q '^Msg 511 (severity 16' "$TEST_TMP/$1.out" || fail "$1: want 511: $(head -c 400 "$TEST_TMP/$1.out")"
	grep -qF "Cannot create a row of size $2 which is greater than the allowable maximum of 8060." "$TEST_TMP/$1.out" ||
		fail "$1: want 511's text with size $2: $(head -c 400 "$TEST_TMP/$1.out")"
}
# cols N: "[c1] nvarchar(100) NULL, …"
cols() { seq 1 "$1" | sed 's/.*/[c&] nvarchar(100) NULL/' | paste -sd, -; }
names() { seq 1 "$1" | sed 's/.*/[c&]/' | paste -sd, -; }
# upd TABLE ID "SET …": an UPDATE of row ID as the peer takes it (a MERGE's
# WHEN MATCHED; its UPDATE statement is not in the subset)
upd() { echo "MERGE INTO [dbo].[$1] AS t USING (SELECT $2 AS [k]) AS s ON t.[id] = s.[k] WHEN MATCHED THEN UPDATE SET $3;"; }
# vals N LEN: N literals of LEN characters
long=$(printf 'x%.0s' $(seq 1 50))
vals() { local v; v=$(printf 'y%.0s' $(seq 1 "$2")); seq 1 "$1" | sed "s/.*/N'$v'/" | paste -sd, -; }

# [id] int, [pad] char(300) and 300 nvarchar(100): 4 + 4 + 300 + 2 + 38 =
# 348 bytes before the variable-length columns; 296 values of 50
# characters (100 bytes, pushed off as 24) take 2 + 296 * 26 = 7,698 more,
# 8,046 in all: a 297th of 6 characters 8,060, of 7 characters 8,062
tds_sql "CREATE TABLE [dbo].[wide] ([id] int NOT NULL PRIMARY KEY, [pad] char(300) NULL, $(cols 300))" >/dev/null ||
	fail "CREATE TABLE wide"
[ "$(tq "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'dbo.wide'::regclass AND tgname = 'tds_row_size'")" = 1 ] ||
	fail "wide has no row size check"
tds_sql "INSERT INTO [dbo].[wide] ([id], [pad], $(names 297)) VALUES (1, 'p', $(vals 296 50), N'abcdef')" >/dev/null ||
	fail "the peer refused a row of 8,060 bytes"
refused ins 8062 "INSERT INTO [dbo].[wide] ([id], [pad], $(names 297)) VALUES (2, 'p', $(vals 296 50), N'abcdefg')"
refused ins2 8072 "INSERT INTO [dbo].[wide] ([id], [pad], $(names 297)) VALUES (2, 'p', $(vals 297 50))"
# NULLs and short values count as they are: 297 values of 11 characters
# (22 bytes) 348 + 2 + 297 * 24 = 7,478
tds_sql "INSERT INTO [dbo].[wide] ([id], [pad], $(names 297)) VALUES (3, 'p', $(vals 297 11))" >/dev/null ||
	fail "the peer refused short values"
refused upd 8062 "$(upd wide 1 "[c297] = N'abcdefg'")"
tds_sql "$(upd wide 1 "[c297] = N'abc'")" >/dev/null || fail "the peer refused a shorter update"
refused upd2 8072 "$(upd wide 3 "$(seq 1 297 | sed "s/.*/[c&] = N'$long'/" | paste -sd, -)")"
[ "$(tq "SELECT c1 FROM dbo.wide WHERE id = 3")" = yyyyyyyyyyy ] || fail "the refused UPDATE changed the row"
refused merge 8072 "MERGE INTO [dbo].[wide] AS t USING (SELECT 4 AS [id], $(seq 1 297 | sed "s/.*/N'$long' AS [c&]/" | paste -sd, -)) AS s
	ON t.[id] = s.[id] WHEN NOT MATCHED THEN INSERT ([id], $(names 297)) VALUES (s.[id], $(seq 1 297 | sed 's/.*/s.[c&]/' | paste -sd, -));"
[ "$(tq "SELECT string_agg(id::text, ',' ORDER BY id) FROM dbo.wide")" = 1,3 ] || fail "wide holds a refused row"
[ "$(tq "SELECT c297 FROM dbo.wide WHERE id = 1")" = abc ] || fail "wide's row 1 is not as updated"

# a #temp table, and a varbinary column counted in bytes
tds_sql "CREATE TABLE #w ([id] int NOT NULL, [pad] char(300) NULL, $(cols 296), [b] varbinary(100) NULL);
INSERT INTO #w ([id], [pad], $(names 296), [b]) VALUES (1, 'p', $(vals 296 50), 0x0102030405060708090a0b0c);" >/dev/null || fail "the peer refused a #temp row of 8,060 bytes"
refused temp 8061 "CREATE TABLE #w ([id] int NOT NULL, [pad] char(300) NULL, $(cols 296), [b] varbinary(100) NULL);
INSERT INTO #w ([id], [pad], $(names 296), [b]) VALUES (1, 'p', $(vals 296 50), 0x0102030405060708090a0b0c0d);"

# nvarchar(max) values leave a pointer of 16: 4 + 4 + 3000 + 2 + 38 = 3,048,
# and 2 + 300 * 18 of values of 50 characters 8,450; of 7 characters (14
# bytes) 2 + 300 * 16, 7,850
tds_sql "CREATE TABLE [dbo].[wmax] ([id] int NOT NULL, [pad] char(3000) NULL, $(seq 1 300 | sed 's/.*/[c&] nvarchar(max) NULL/' | paste -sd, -))" >/dev/null ||
	fail "CREATE TABLE wmax"
refused max 8450 "INSERT INTO [dbo].[wmax] ([id], [pad], $(names 300)) VALUES (1, 'p', $(vals 300 50))"
tds_sql "INSERT INTO [dbo].[wmax] ([id], [pad], $(names 300)) VALUES (1, 'p', $(vals 300 7))" >/dev/null ||
	fail "the peer refused nvarchar(max) values shorter than their pointer"

# no check where no row can exceed 8,060: 300 nvarchar(100) beside an int
# take at most 4 + 4 + 2 + 38 + 2 + 300 * 26 = 7,850 bytes
tds_sql "CREATE TABLE [dbo].[fits] ([id] int NOT NULL, $(cols 300))" >/dev/null || fail "CREATE TABLE fits"
[ "$(tq "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'dbo.fits'::regclass")" = 0 ] ||
	fail "fits has a row size check"
tds_sql "INSERT INTO [dbo].[fits] ([id], $(names 300)) VALUES (1, $(vals 300 100))" >/dev/null ||
	fail "the peer refused a row of 300 nvarchar(100) values"
# … until ALTER TABLE ADD takes its bound over
tds_sql "ALTER TABLE [dbo].[fits] ADD [pad] char(300) NULL" >/dev/null || fail "ALTER TABLE fits"
[ "$(tq "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'dbo.fits'::regclass AND tgname = 'tds_row_size'")" = 1 ] ||
	fail "fits has no row size check after ALTER TABLE ADD"
refused alter 8150 "$(upd fits 1 "[pad] = 'p'")"
# char(300) takes its bytes NULL or not: four values fewer, 8,046
tds_sql "$(upd fits 1 "[pad] = 'p', [c1] = NULL, [c2] = NULL, [c3] = NULL, [c4] = NULL")" >/dev/null ||
	fail "UPDATE of fits, its row shorter"
# and sys.triggers does not show it
[ "$(tds_sql "SELECT count(*) FROM sys.triggers" | tr -d '[:space:]')" = 0 ] || fail "sys.triggers shows the peer's check"
exit 0
