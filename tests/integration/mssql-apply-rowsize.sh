#!/usr/bin/env bash
# The TDS peer and SQL Server's rows of at most 8,060 bytes (error 1701):
# the peer refuses a table whose minimum row size would exceed 8,060
# bytes as SQL Server does, at CREATE TABLE (#temp tables too) and at
# ALTER TABLE ADD: fixed-length columns, bit columns eight to a byte, a
# null bitmap of 2 + (columns + 7) / 8 and a row header of 4 bytes,
# variable-length columns nothing; a non-unique clustered index's
# uniqueifier one more column.
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

exit 0
