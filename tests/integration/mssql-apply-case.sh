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
#      a later run that finds the first table at the target (the catalog
#      searched ignoring case) refuses the second's records, a truncate of
#      it stops the run; the refused table claims no name;
#   3. a table with columns "Name" and "name": refused by name (exit 65),
#      not created; a column "NAME" that comes later beside "Name"
#      (--evolve): refused by name;
#   4. a database of a case-sensitive collation: all of it taken.
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
# the refused table claims no name: "Orders" after it goes on
{
	rec s orders k/c/0 4 5 fifth
	rec s Orders k/a/0 3 9 ninth
} | "$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress \
	--dead-letter "$T/dead2.json" 2>"$T/later2.err" || { cat "$T/later2.err" >&2; fail "orders, then Orders"; }
[ "$(tq "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM s.\"Orders\"")" = "1=first,2=first-again,9=ninth" ] ||
	fail "after orders, then Orders: [s].[Orders] holds [$(tq "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM s.\"Orders\"")]"
[ "$(jq -r '"\(.table):\(.after.id)"' "$T/dead2.json")" = "orders:5" ] || fail "dead letters: $(cat "$T/dead2.json")"
# a truncate of the other spelling, which no record names: the run stops
# (it would empty [Orders] on SQL Server)
rc=0
printf '%s\n' '{"v":1,"op":"t","db":"d","schema":"s","table":"orders","cols":[{"name":"id","type":"integer"},{"name":"v","type":"text"}],"key":["id"],"src":{"lsn":"0/1","xid":1,"ts":"2026-11-25T00:00:00.000000Z","seq":1},"pos":{"stream":"k/c/0","offset":"5"}}' |
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --no-progress 2>"$T/trunc.err" || rc=$?
[ $rc = 65 ] || { cat "$T/trunc.err" >&2; fail "a truncate of [s].[orders]: exit $rc, want 65"; }
grep -q 'differs from \[s\]\.\[orders\] only in case' "$T/trunc.err" || fail "a truncate of [s].[orders]: $(cat "$T/trunc.err")"
[ "$(tq "SELECT count(*) FROM s.\"Orders\"")" = 3 ] || fail "a truncate of [s].[orders] emptied [s].[Orders]"

note "columns \"Name\" and \"name\": refused by name, the table not created"
rc=0
printf '%s\n' '{"v":1,"op":"c","db":"d","schema":"s","table":"people","cols":[{"name":"id","type":"integer"},{"name":"Name","type":"text"},{"name":"name","type":"text"}],"key":["id"],"after":{"id":1,"Name":"Ann","name":"ann"},"src":{"lsn":"0/1","xid":1,"ts":"2026-11-25T00:00:00.000000Z","seq":1},"pos":{"stream":"k/e/0","offset":"1"}}' |
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress 2>"$T/cols.err" || rc=$?
[ $rc = 65 ] || { cat "$T/cols.err" >&2; fail "columns differing in case: exit $rc, want 65"; }
grep -q 'columns Name and name are one column on SQL Server' "$T/cols.err" || fail "no word of the columns: $(cat "$T/cols.err")"
[ "$(tq "SELECT count(*) FROM pg_class WHERE relname = 'people'")" = 0 ] || fail "the table was created"
# a column that comes later (--evolve) beside one of another case
pe() { # ID COLUMNS AFTER
	printf '{"v":1,"op":"c","db":"d","schema":"s","table":"people2","cols":[%s],"key":["id"],"after":{%s},"src":{"lsn":"0/1","xid":1,"ts":"2026-11-25T00:00:00.000000Z","seq":1},"pos":{"stream":"k/f/0","offset":"%s"}}\n' \
		"$2" "$3" "$1"
}
{
	pe 1 '{"name":"id","type":"integer"},{"name":"Name","type":"text"}' '"id":1,"Name":"Ann"'
	pe 2 '{"name":"id","type":"integer"},{"name":"Name","type":"text"},{"name":"NAME","type":"text"}' '"id":2,"Name":"Bob","NAME":"BOB"'
} | "$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --evolve --batch-rows 1 --no-progress \
	--dead-letter "$T/dead3.json" 2>"$T/evolve.err" || { cat "$T/evolve.err" >&2; fail "--evolve with NAME beside Name"; }
grep -q 'columns Name and NAME are one column on SQL Server' "$T/evolve.err" || fail "--evolve: $(cat "$T/evolve.err")"
[ "$(tq "SELECT string_agg(id || '=' || \"Name\", ',' ORDER BY id) FROM s.people2")" = "1=Ann" ] ||
	fail "--evolve: [s].[people2] holds [$(tq "SELECT string_agg(id || '=' || \"Name\", ',') FROM s.people2")]"
[ "$(jq -r '.after.id' "$T/dead3.json")" = 2 ] || fail "--evolve: dead letters: $(cat "$T/dead3.json")"

note "a database of a case-sensitive collation: the same names are distinct, and all taken"
tds_stop
export TDS_DB=target_cs
unset TDS_PGCONN
tds_start --collation Latin1_General_CS_AS
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target_cs --create-tables --no-progress \
	<"$T/two.json" 2>"$T/cs.err" || { cat "$T/cs.err" >&2; fail "a case-sensitive database: mssql-apply"; }
for tbl in Orders orders Äpfel äpfel; do
	[ "$(tq "SELECT count(*) FROM s.\"$tbl\"")" -ge 1 ] || fail "a case-sensitive database: no rows in [s].[$tbl]"
done
[ "$(tq "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM s.orders")" = "1=second,3=second-again" ] ||
	fail "a case-sensitive database: [s].[orders] holds [$(tq "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM s.orders")]"
exit 0
