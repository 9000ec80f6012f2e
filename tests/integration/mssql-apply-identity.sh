#!/usr/bin/env bash
# mssql-apply into a target created beforehand with an IDENTITY key
# (mssql-apply(1), "IDENTITY columns"): the source's ids, which start at
# 1001 and have gaps, must arrive as they are, by every path.
#   - snapshot rows into the empty table in batches of 600: never by
#     typed bulk copy straight into the target (that needs the KEEPIDENTITY
#     hint, which db-lib cannot send; without it SQL Server, and the peer
#     after it, number the rows anew) but by bulk copy into the staging
#     table and INSERT … SELECT from it (which needs SET IDENTITY_INSERT
#     ON: error 544 without it);
#   - then inserts with explicit ids, updates and deletes from the WAL
#     (pgcdc-read), applied by the staged MERGE and DELETE.
# Source and target are compared value for value (tests/lib/compare.sh).
# The peer's own side is checked too: an explicit value without
# IDENTITY_INSERT is refused with 544, a second table's ON with 8107, and
# an explicit value moves the current identity value (the next generated
# one follows it); after the stream, another client's plain INSERT gets the
# next value above the replicated ids.
# Last, a target with a surrogate IDENTITY column ([row_id]) the source
# lacks, snapshot and WAL: the server numbers its rows, so no
# IDENTITY_INSERT may be sent for it (545 with it ON, peer checked too).
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/tds.sh"
source "$(dirname "$0")/../lib/compare.sh"
needs snapshot pgcdc-read mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused PGTZ=UTC

q "CREATE TABLE items (id int PRIMARY KEY, name text, qty int)" >/dev/null
q "CREATE PUBLICATION pub FOR TABLE items" >/dev/null
# ids 1001, 1008, 1015, …: not from 1, with gaps
q "INSERT INTO items SELECT 994 + 7 * g, 'item ' || g, g % 13 FROM generate_series(1, 1500) g" >/dev/null
nsrc=$(q "SELECT count(*) FROM items")
"$BIN/snapshot" -d "$PGCONN" -t items --no-progress >"$TEST_TMP/snap.json" || fail "snapshot"
q "SELECT 1 FROM pg_create_logical_replication_slot('ident', 'pgoutput')" >/dev/null

tds_sql "CREATE TABLE [public].[items] ([id] int IDENTITY(1,1) NOT NULL, [name] nvarchar(max) NULL,
	[qty] int NULL, CONSTRAINT [PK_items] PRIMARY KEY ([id]))" >/dev/null || fail "creating the target"

note "the peer: IsIdentity, 544 without IDENTITY_INSERT, 8107 for a second table"
[ "$(tds_sql "SELECT [COLUMN_NAME], COLUMNPROPERTY(OBJECT_ID(N'[public].[items]'), [COLUMN_NAME], N'IsIdentity')
	FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_SCHEMA] = N'public' AND [TABLE_NAME] = N'items'
	ORDER BY [ORDINAL_POSITION]" | tr '\t\n' ':,')" = "id:1,name:0,qty:0," ] || fail "IsIdentity of the target's columns"
tds_sql "INSERT INTO [public].[items] ([id], [name]) VALUES (5, N'x')" >"$TEST_TMP/544.out" 2>&1 &&
	fail "an explicit identity value without IDENTITY_INSERT was taken"
grep -q "544" "$TEST_TMP/544.out" || fail "want 544: $(cat "$TEST_TMP/544.out")"
tds_sql "CREATE TABLE [public].[other] ([k] int IDENTITY(1,1) NOT NULL, CONSTRAINT [PK_other] PRIMARY KEY ([k]))" \
	>/dev/null || fail "creating another identity table"
tds_sql "SET IDENTITY_INSERT [public].[items] ON; SET IDENTITY_INSERT [public].[other] ON;" \
	>"$TEST_TMP/8107.out" 2>&1 && fail "IDENTITY_INSERT ON for two tables at once"
grep -q "8107" "$TEST_TMP/8107.out" || fail "want 8107: $(cat "$TEST_TMP/8107.out")"
tds_sql "SET IDENTITY_INSERT [public].[other] ON; INSERT INTO [public].[other] ([k]) VALUES (42);
	SET IDENTITY_INSERT [public].[other] OFF; INSERT INTO [public].[other] DEFAULT VALUES;" >/dev/null ||
	fail "explicit value with IDENTITY_INSERT ON, then a generated one"
# the explicit 42 moved the current identity value: the generated one is 43
[ "$(tq "SELECT string_agg(k::text, ',' ORDER BY k) FROM public.other")" = "42,43" ] || fail "public.other: $(tq "TABLE public.other")"
[ "$(tq "SELECT count(*) FROM public.items")" = 0 ] || fail "the refused insert left a row"

copies() { grep -c 'bulk: COPY "public"\."items" ' "$TDS_LOG"; }
note "snapshot into the empty IDENTITY table: bulk copy and INSERT … SELECT keep the source's ids"
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --no-progress --batch-rows 600 \
	<"$TEST_TMP/snap.json" 2>"$TEST_TMP/snap.err" || { cat "$TEST_TMP/snap.err" >&2; fail "mssql-apply (snapshot)"; }
compare_table "$PGCONN" "$TDS_PGCONN" public items || { show_table_diff "$PGCONN" "$TDS_PGCONN" public items; fail "after the snapshot"; }
[ "$(tq "SELECT min(id) FROM public.items")" = 1001 ] || fail "target ids renumbered"
# db-lib's bcp cannot send KEEPIDENTITY (FreeTDS keeps one hint), and
# without it the values sent are renumbered (the peer does as SQL Server):
# no bulk copy into the target itself, only into the staging table.
[ "$(copies)" = 0 ] || fail "the snapshot went by $(copies) bulk copies into the IDENTITY table"
grep -q 'bulk: COPY "#dbrepl_s' "$TDS_LOG" || fail "the snapshot rows were not bulk-copied into the staging table"

# read_wal NAME: the changes since the last read, up to now, into NAME.json
read_wal() { pg_read_slot ident pub "$TEST_TMP/$1.json" 30; }
# apply_wal NAME BATCH_ROWS TABLE: read_wal NAME, applied, TABLE compared
apply_wal() {
	read_wal "$1"
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --no-progress --batch-rows "$2" \
		<"$TEST_TMP/$1.json" 2>"$TEST_TMP/$1.err" || { cat "$TEST_TMP/$1.err" >&2; fail "mssql-apply ($1)"; }
	compare_table "$PGCONN" "$TDS_PGCONN" public "$3" || { show_table_diff "$PGCONN" "$TDS_PGCONN" public "$3"; fail "$3 after $1"; }
}

note "inserts, updates, deletes from the WAL: staged MERGE inside IDENTITY_INSERT"
psql -X -q -v ON_ERROR_STOP=1 <<'SQL' || fail "source changes"
INSERT INTO items VALUES (50000, 'new far', 1), (49993, 'new near', 2);
UPDATE items SET qty = qty + 100, name = name || ' upd' WHERE id % 5 = 0;
DELETE FROM items WHERE id % 3 = 0;
INSERT INTO items SELECT 60000 + 11 * g, 'late ' || g, g FROM generate_series(1, 30) g;
UPDATE items SET name = 'renamed' WHERE id = 50000;
SQL
apply_wal stream 200 items
[ "$(tq "SELECT count(*) FROM public.items")" != "$nsrc" ] || fail "the stream changed nothing"
# Another client's plain INSERT into the target: SQL Server gives it the
# next value after the largest id mssql-apply wrote with IDENTITY_INSERT ON
# (SET IDENTITY_INSERT: an inserted value above the current identity value
# becomes it), not one of the replicated ids (2627) nor a low one.
note "another client's INSERT after the replicated ids gets the next value above them"
maxid=$(tq "SELECT max(id) FROM public.items")
tds_sql "INSERT INTO [public].[items] ([name], [qty]) VALUES (N'other client', 1)" >/dev/null 2>"$TEST_TMP/other.err" ||
	fail "a plain INSERT after the replicated ids: $(cat "$TEST_TMP/other.err")"
[ "$(tq "SELECT id FROM public.items WHERE name = 'other client'")" = $((maxid + 1)) ] ||
	fail "the plain INSERT got id $(tq "SELECT id FROM public.items WHERE name = 'other client'"), want $((maxid + 1))"
tds_sql "DELETE FROM [public].[items] WHERE [name] = N'other client'" >/dev/null || fail "deleting the other client's row"
note "an IDENTITY column outside the key: never in the MERGE's SET (8102), a changed value refused by name"
# SQL Server refuses any SET of an IDENTITY column (8102), whatever the
# value and even when no row matches; the peer too (not 544).
tds_sql "CREATE TABLE [public].[tags] ([code] nvarchar(450) NOT NULL, [id] int IDENTITY(1,1) NOT NULL,
	[name] nvarchar(max) NULL, CONSTRAINT [PK_tags] PRIMARY KEY ([code]))" >/dev/null || fail "creating tags"
tds_sql "CREATE TABLE #s ([code] nvarchar(450) NULL, [id] int NULL)
MERGE INTO [public].[tags] AS t USING (SELECT [code], [id] FROM #s) AS s ON t.[code] = s.[code]
WHEN MATCHED THEN UPDATE SET [id] = s.[id];" >"$TEST_TMP/8102.out" 2>&1 && fail "a SET of an IDENTITY column was taken"
grep -qF "Msg 8102 (severity 16, state 1)" "$TEST_TMP/8102.out" || fail "want 8102: $(cat "$TEST_TMP/8102.out")"
q "CREATE TABLE tags (code text PRIMARY KEY, id int NOT NULL, name text)" >/dev/null
q "ALTER PUBLICATION pub ADD TABLE tags" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 <<'SQL' || fail "source changes (tags)"
INSERT INTO tags SELECT 'tag' || g, 100 + g, 'name ' || g FROM generate_series(1, 20) g;
UPDATE tags SET name = name || ' upd' WHERE id % 2 = 0;
DELETE FROM tags WHERE id = 103;
SQL
apply_wal tags 7 tags
# A source update that changes the IDENTITY column's value cannot be
# applied: refused by name, with the rest of its batch applied.
psql -X -q -v ON_ERROR_STOP=1 <<'SQL' || fail "source changes (tags id)"
UPDATE tags SET name = 'before' WHERE code = 'tag1';
UPDATE tags SET id = 999, name = 'moved' WHERE code = 'tag2';
UPDATE tags SET name = 'after' WHERE code = 'tag4';
SQL
read_wal tags2
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --no-progress \
	<"$TEST_TMP/tags2.json" 2>"$TEST_TMP/tags2.err"
rc=$?
[ $rc = 65 ] || { cat "$TEST_TMP/tags2.err" >&2; fail "an IDENTITY value change: exit $rc, want 65"; }
for w in "[public].[tags]" "code='tag2'" "IDENTITY column id"; do
	grep -qF -- "$w" "$TEST_TMP/tags2.err" || fail "the refusal does not name $w: $(cat "$TEST_TMP/tags2.err")"
done
[ "$(tq "SELECT id || ' ' || name FROM public.tags WHERE code = 'tag2'")" = "102 name 2 upd" ] ||
	fail "tag2 changed: $(tq "SELECT * FROM public.tags WHERE code = 'tag2'")"
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --no-progress --dead-letter "$TEST_TMP/dead.json" \
	<"$TEST_TMP/tags2.json" 2>"$TEST_TMP/tags3.err" || { cat "$TEST_TMP/tags3.err" >&2; fail "mssql-apply --dead-letter (tags)"; }
[ "$(grep -c . "$TEST_TMP/dead.json")" = 1 ] && grep -q '"code":"tag2"' "$TEST_TMP/dead.json" ||
	fail "dead letters: $(cat "$TEST_TMP/dead.json")"
[ "$(tq "SELECT string_agg(code || '=' || id || ' ' || name, ',' ORDER BY code) FROM public.tags
	WHERE code IN ('tag1', 'tag2', 'tag4')")" = "tag1=101 before,tag2=102 name 2 upd,tag4=104 after" ] ||
	fail "tags after --dead-letter: $(tq "SELECT * FROM public.tags WHERE code IN ('tag1', 'tag2', 'tag4')")"

# A target made by a DBA with a surrogate IDENTITY column the source does
# not have: SQL Server numbers its rows. With IDENTITY_INSERT ON an INSERT
# must give that column a value (545), so none may be sent for this table.
note "the peer: with IDENTITY_INSERT ON, an INSERT that leaves out the IDENTITY column is 545"
tds_sql "CREATE TABLE [public].[scratch] ([row_id] bigint IDENTITY(1,1) NOT NULL, [k] int NOT NULL,
	CONSTRAINT [PK_scratch] PRIMARY KEY ([k]))" >/dev/null || fail "creating scratch"
msg545="Explicit value must be specified for identity column in table 'scratch' either when IDENTITY_INSERT is set to ON or when a replication user is inserting into a NOT FOR REPLICATION identity column."
n=0
for stmt in "INSERT INTO [public].[scratch] ([k]) VALUES (1);" \
	"INSERT INTO [public].[scratch] WITH (TABLOCK) ([k]) SELECT 1;" \
	"CREATE TABLE #s ([k] int NULL); INSERT INTO #s ([k]) VALUES (1);
	MERGE INTO [public].[scratch] WITH (HOLDLOCK) AS t USING (SELECT [k] FROM #s) AS s ON t.[k] = s.[k]
	WHEN NOT MATCHED THEN INSERT ([k]) VALUES (s.[k]);"; do
	n=$((n + 1))
	tds_sql "SET IDENTITY_INSERT [public].[scratch] ON; $stmt SET IDENTITY_INSERT [public].[scratch] OFF;" \
		>"$TEST_TMP/545-$n.out" 2>&1 && fail "IDENTITY_INSERT ON, no identity value, taken: $stmt"
	grep -qF "Msg 545 (severity 16, state 1)" "$TEST_TMP/545-$n.out" && grep -qF "$msg545" "$TEST_TMP/545-$n.out" ||
		fail "want 545 for $stmt: $(cat "$TEST_TMP/545-$n.out")"
done
[ "$(tq "SELECT count(*) FROM public.scratch")" = 0 ] || fail "a refused insert left a row: $(tq "TABLE public.scratch")"
tds_sql "SET IDENTITY_INSERT [public].[scratch] ON; INSERT INTO [public].[scratch] ([row_id], [k]) VALUES (7, 1);
	SET IDENTITY_INSERT [public].[scratch] OFF;" >/dev/null || fail "IDENTITY_INSERT ON with the identity value"
[ "$(tq "SELECT row_id || ':' || k FROM public.scratch")" = "7:1" ] || fail "scratch: $(tq "TABLE public.scratch")"

note "a target with an IDENTITY column the source lacks: snapshot (bulk copy and small batches), then the WAL"
q "CREATE TABLE parts (id int PRIMARY KEY, name text, qty int)" >/dev/null
q "INSERT INTO parts SELECT 3 * g, 'part ' || g, g % 17 FROM generate_series(1, 1300) g" >/dev/null
"$BIN/snapshot" -d "$PGCONN" -t parts --no-progress >"$TEST_TMP/parts-snap.json" || fail "snapshot (parts)"
q "ALTER PUBLICATION pub ADD TABLE parts" >/dev/null
tds_sql "CREATE TABLE [public].[parts] ([row_id] bigint IDENTITY(1,1) NOT NULL, [id] int NOT NULL,
	[name] nvarchar(max) NULL, [qty] int NULL, CONSTRAINT [PK_parts] PRIMARY KEY ([id]))" >/dev/null ||
	fail "creating the target parts"
staged=$(grep -c 'bulk: COPY "#dbrepl_s' "$TDS_LOG")
# 1,300 rows in batches of 600: two of bulk-copy size (500 rows or more),
# one of 100 staged by INSERT … VALUES.
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --no-progress --batch-rows 600 \
	<"$TEST_TMP/parts-snap.json" 2>"$TEST_TMP/parts-snap.err"
rc=$?
[ $rc = 0 ] || { cat "$TEST_TMP/parts-snap.err" >&2; fail "mssql-apply (parts snapshot): exit $rc"; }
compare_table "$PGCONN" "$TDS_PGCONN" public parts || { show_table_diff "$PGCONN" "$TDS_PGCONN" public parts; fail "parts after the snapshot"; }
# numbered by the server: 1 to 1,300, once each (which row gets which
# number is the server's choice)
[ "$(tq "SELECT count(*) || ' ' || count(DISTINCT row_id) || ' ' || min(row_id) || ' ' || max(row_id) FROM public.parts")" = \
	"1300 1300 1 1300" ] || fail "parts.row_id after the snapshot: $(tq "SELECT count(*), count(DISTINCT row_id), min(row_id), max(row_id) FROM public.parts")"
tq "SELECT id || ' ' || row_id FROM public.parts ORDER BY id" >"$TEST_TMP/parts-rowids"
[ "$(grep -c 'bulk: COPY "public"\."parts" ' "$TDS_LOG")" = 0 ] || fail "a bulk copy into parts itself"
[ "$(grep -c 'bulk: COPY "#dbrepl_s' "$TDS_LOG")" -ge $((staged + 2)) ] ||
	fail "the two large snapshot batches were not bulk-copied into the staging table"
! grep -q 'IDENTITY_INSERT \[public\]\.\[parts\]' "$TDS_LOG" || fail "IDENTITY_INSERT sent for parts"

psql -X -q -v ON_ERROR_STOP=1 <<'SQL' || fail "source changes (parts)"
INSERT INTO parts SELECT 5000 + g, 'new ' || g, g FROM generate_series(1, 40) g;
UPDATE parts SET qty = qty + 1000, name = name || ' upd' WHERE id % 7 = 0;
DELETE FROM parts WHERE id % 11 = 0;
UPDATE parts SET name = 'renamed' WHERE id = 5003;
DELETE FROM parts WHERE id = 5010;
SQL
apply_wal parts 200 parts
# Rows that were there keep their numbers (updated or not); each new row
# gets a new one, once each, from 1301 to 1340 (40 rows inserted; those
# deleted by a later batch of the stream leave their numbers unused).
q "SELECT id FROM parts ORDER BY id" >"$TEST_TMP/parts-ids"
awk 'NR == FNR { old[$1] = $2; next } { print $1, ($1 in old ? old[$1] : "new") }' \
	"$TEST_TMP/parts-rowids" "$TEST_TMP/parts-ids" >"$TEST_TMP/parts-want"
tq "SELECT id || ' ' || CASE WHEN row_id <= 1300 THEN row_id::text ELSE 'new' END FROM public.parts ORDER BY id" \
	>"$TEST_TMP/parts-got"
diff "$TEST_TMP/parts-want" "$TEST_TMP/parts-got" >&2 || fail "parts.row_id after the stream (want, got)"
nnew=$(grep -c ' new$' "$TEST_TMP/parts-want")
[ "$nnew" = 35 ] || fail "$nnew new rows in the source, want 35 (40 inserted, 5 of them deleted)"
[ "$(tq "SELECT count(*) || ' ' || count(DISTINCT row_id) FROM public.parts WHERE row_id BETWEEN 1301 AND 1340")" = \
	"$nnew $nnew" ] ||
	fail "new parts' row_id: $(tq "SELECT string_agg(row_id::text, ',' ORDER BY row_id) FROM public.parts WHERE row_id > 1300")"
! grep -q 'IDENTITY_INSERT \[public\]\.\[parts\]' "$TDS_LOG" || fail "IDENTITY_INSERT sent for parts"

tds_stop
echo "mssql-apply-identity: IDENTITY key equal, value for value, by bulk copy, INSERT … SELECT and MERGE; an IDENTITY column outside the key never SET, its change refused; an IDENTITY column the source lacks numbered by the server, no IDENTITY_INSERT for it"
