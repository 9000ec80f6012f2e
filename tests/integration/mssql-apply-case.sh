#!/usr/bin/env bash
# Names that PostgreSQL keeps apart (quoted, differing only in case) and
# SQL Server, under its default case-insensitive collation, does not:
#   1. the peer refuses as SQL Server does: two columns of one table whose
#      names differ only in case (2705, at CREATE TABLE and at ALTER
#      TABLE ADD), a second table of such a name (2714), 'Ä' and 'ä'
#      alike; a #temp table too; in a database of a case-sensitive
#      collation all of them are taken;
#   2. mssql-apply refuses, by name, the records of a source table whose
#      name differs only in case from one it met first ("Orders", then
#      "orders"; "Äpfel", then "äpfel"), instead of writing them into the
#      first one's table, which on SQL Server is the same; with
#      --dead-letter they go there, and the first tables' rows are applied,
#      compared value for value; without, exit 65 and no row of the batch
#      applied;
#   3. a table with columns "Name" and "name": refused by name (exit 65),
#      not created.
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/tds.sh"
needs mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused
T=$TEST_TMP

note "the peer: 2705 and 2714 under a case-insensitive collation"
expect_err() { # NUMBER SQL: the peer refuses SQL with NUMBER
	tds_sql "$2" >"$T/err.out" 2>&1 && fail "the peer took: $2"
	grep -q "$1" "$T/err.out" || fail "want $1 for [$2]: $(head -c 300 "$T/err.out")"
}
expect_err 2705 "CREATE TABLE [dbo].[c1] ([id] int NOT NULL PRIMARY KEY, [Name] nvarchar(10) NULL, [name] nvarchar(10) NULL)"
expect_err 2705 "CREATE TABLE [dbo].[c2] ([id] int NOT NULL PRIMARY KEY, [Äpfel] int NULL, [äpfel] int NULL)"
expect_err 2705 "CREATE TABLE #c3 ([id] int NOT NULL, [X] int NULL, [x] int NULL)"
tds_sql "CREATE TABLE [dbo].[Orders] ([id] int NOT NULL PRIMARY KEY, [v] nvarchar(10) NULL)" >/dev/null ||
	fail "creating [dbo].[Orders]"
expect_err 2714 "CREATE TABLE [dbo].[orders] ([id] int NOT NULL PRIMARY KEY)"
expect_err 2714 "CREATE TABLE [dbo].[ORDERS] ([id] int NOT NULL PRIMARY KEY)"
expect_err 2705 "ALTER TABLE [dbo].[Orders] ADD [V] int NULL"
[ "$(tq "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'dbo.\"Orders\"'::regclass
	AND attnum > 0 AND NOT attisdropped")" = "id,v" ] || fail "a refused ALTER TABLE left its column"
[ "$(tq "SELECT count(*) FROM pg_class WHERE relname IN ('orders', 'ORDERS', 'c1', 'c2')")" = 0 ] ||
	fail "a refused CREATE TABLE left its table"
tds_sql "DROP TABLE [dbo].[Orders]" >/dev/null || fail "dropping [dbo].[Orders]"

# rec SCHEMA TABLE STREAM OFFSET ID VALUE: one insert record
rec() {
	local cols='{"name":"id","type":"integer"},{"name":"v","type":"text"}'
	printf '{"v":1,"op":"c","db":"d","schema":"%s","table":"%s","cols":[%s],"key":["id"],"after":{"id":%s,"v":"%s"},"src":{"lsn":"0/1","xid":1,"ts":"2026-11-25T00:00:00.000000Z","seq":1},"pos":{"stream":"%s","offset":"%s"}}\n' \
		"$1" "$2" "$cols" "$5" "$6" "$3" "$4"
}
{
	rec s Orders k/a/0 1 1 first
	rec s Äpfel k/b/0 1 1 apple
	rec s orders k/c/0 1 1 second
	rec s Orders k/a/0 2 2 first-again
	rec s äpfel k/d/0 1 7 pear
	rec s orders k/c/0 2 3 second-again
} >"$T/two.json"

note "two source tables whose names differ only in case, without --dead-letter: exit 65, nothing applied"
rc=0
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress \
	<"$T/two.json" 2>"$T/two.err" || rc=$?
[ $rc = 65 ] || { cat "$T/two.err" >&2; fail "exit $rc, want 65"; }
grep -q '\[s\]\.\[Orders\] and \[s\]\.\[orders\] are one table on SQL Server' "$T/two.err" ||
	fail "no word of the two tables: $(cat "$T/two.err")"
# (the tables met before are created, outside the batch's transaction)
[ "$(tq "SELECT count(*) FROM pg_tables WHERE schemaname = 's' AND tablename NOT IN ('Orders', 'Äpfel')")" = 0 ] ||
	fail "a refused table was created"
[ "$(tq "SELECT (SELECT count(*) FROM s.\"Orders\") + (SELECT count(*) FROM s.\"Äpfel\")")" = 0 ] ||
	fail "rows of the refused batch were applied"

note "the same with --dead-letter: the first tables applied, the others' records dead-lettered"
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress \
	--dead-letter "$T/dead.json" <"$T/two.json" 2>"$T/dl.err" || { cat "$T/dl.err" >&2; fail "mssql-apply --dead-letter"; }
[ "$(tq "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM s.\"Orders\"")" = "1=first,2=first-again" ] ||
	fail "[s].[Orders] holds [$(tq "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM s.\"Orders\"")]"
[ "$(tq "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM s.\"Äpfel\"")" = "1=apple" ] ||
	fail "[s].[Äpfel] holds [$(tq "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM s.\"Äpfel\"")]"
[ "$(tq "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = 's' AND c.relkind = 'r'")" = "Orders,Äpfel" ] || fail "tables of [s]: $(tq "SELECT string_agg(relname, ',') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 's' AND c.relkind = 'r'")"
[ "$(jq -r '"\(.table):\(.after.id)=\(.after.v)"' "$T/dead.json" | LC_ALL=C sort | paste -sd, -)" = "orders:1=second,orders:3=second-again,äpfel:7=pear" ] ||
	fail "dead letters: $(cat "$T/dead.json")"
# a later run, the first table known from the target only (the catalog,
# searched ignoring case as SQL Server's is, answers [Orders] for
# 'orders'): refused still
rec s orders k/c/0 3 4 third | "$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables \
	--no-progress 2>"$T/later.err" && fail "a later run wrote [s].[orders] into [s].[Orders]"
grep -q 'the target has the table as \[s\]\.\[Orders\], which differs from \[s\]\.\[orders\] only in case' "$T/later.err" ||
	fail "a later run: $(cat "$T/later.err")"
[ "$(tq "SELECT count(*) FROM s.\"Orders\"")" = 2 ] || fail "a later run changed [s].[Orders]"

note "columns \"Name\" and \"name\": refused by name, the table not created"
rc=0
printf '%s\n' '{"v":1,"op":"c","db":"d","schema":"s","table":"people","cols":[{"name":"id","type":"integer"},{"name":"Name","type":"text"},{"name":"name","type":"text"}],"key":["id"],"after":{"id":1,"Name":"Ann","name":"ann"},"src":{"lsn":"0/1","xid":1,"ts":"2026-11-25T00:00:00.000000Z","seq":1},"pos":{"stream":"k/e/0","offset":"1"}}' |
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress 2>"$T/cols.err" || rc=$?
[ $rc = 65 ] || { cat "$T/cols.err" >&2; fail "columns differing in case: exit $rc, want 65"; }
grep -q 'columns Name and name are one column on SQL Server' "$T/cols.err" || fail "no word of the columns: $(cat "$T/cols.err")"
[ "$(tq "SELECT count(*) FROM pg_class WHERE relname = 'people'")" = 0 ] || fail "the table was created"
exit 0
