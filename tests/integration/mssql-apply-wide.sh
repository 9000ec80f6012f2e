#!/usr/bin/env bash
# mssql-apply with tables near SQL Server's 1,024 columns per table, which
# a #temp table has too (error 1702; PostgreSQL allows 1,600):
#   1. the peer refuses a 1,025th column as SQL Server does, at CREATE
#      TABLE and at ALTER TABLE ADD;
#   2. a 600-column table: its staging table with one flag column per text
#      column would need 1,202 columns, so the flags are packed into one
#      ([__u], tsql_staging_packed). Snapshot, then changes from the WAL
#      that carry every flag: unchanged TOAST values (1), empty strings
#      (2), and a key change of a row whose TOAST value is unchanged (the
#      old key's row staged and read back), applied once by bulk copy
#      into the staging table (over 500 rows) and once by INSERT … VALUES;
#   3. 1,021 columns, the most a staging table holds beside [__seq],
#      [__op] and [__u]: the same, in brief;
#   4. 1,022 columns: a snapshot of 600 rows goes by bulk copy into the
#      empty target; a change, which needs staging, is refused by name
#      (exit 65), the target untouched; a source table of 1,025 columns
#      cannot be created (--create-tables, 1702, exit 65).
# Source and target are compared value for value (tests/lib/compare.sh).
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/tds.sh"
source "$(dirname "$0")/../lib/compare.sh"
needs snapshot pgcdc-read mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused PGTZ=UTC

# cols N: "c1 text, …, cN text"
cols() { seq 1 "$1" | sed 's/.*/c& text/' | paste -sd, -; }
# tcols FROM TO: "[c1] nvarchar(10), …" for the peer
tcols() { seq "$1" "$2" | sed 's/.*/[c&] nvarchar(10)/' | paste -sd, -; }

note "the peer: 1,025 columns are refused with 1702, at CREATE TABLE and ALTER TABLE ADD"
tds_sql "CREATE TABLE [dbo].[w1025] ([id] int NOT NULL PRIMARY KEY, $(tcols 1 1024))" >"$TEST_TMP/1702a.out" 2>&1 &&
	fail "the peer created a table of 1,025 columns"
grep -q "1702" "$TEST_TMP/1702a.out" || fail "want 1702: $(head -c 300 "$TEST_TMP/1702a.out")"
tds_sql "CREATE TABLE [dbo].[w1024] ([id] int NOT NULL PRIMARY KEY, $(tcols 1 1023))" >/dev/null ||
	fail "the peer refused a table of 1,024 columns"
tds_sql "ALTER TABLE [dbo].[w1024] ADD [extra] int NULL" >"$TEST_TMP/1702b.out" 2>&1 &&
	fail "the peer added a 1,025th column"
grep -q "1702" "$TEST_TMP/1702b.out" || fail "want 1702: $(head -c 300 "$TEST_TMP/1702b.out")"
[ "$(tq "SELECT count(*) FROM pg_attribute WHERE attrelid = 'dbo.w1024'::regclass AND attnum > 0 AND NOT attisdropped")" = 1024 ] ||
	fail "the refused ALTER TABLE left a column"

q "CREATE PUBLICATION pub FOR ALL TABLES" >/dev/null
q "SELECT 1 FROM pg_create_logical_replication_slot('wide', 'pgoutput')" >/dev/null
# read_wal NAME: the changes since the last read, up to now, into NAME.json
read_wal() { pg_read_slot wide pub "$TEST_TMP/$1.json"; }
# apply NAME TABLE: NAME.json in one batch, then TABLE compared
apply() {
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress \
		--batch-rows 100000 --batch-ms 60000 <"$TEST_TMP/$1.json" 2>"$TEST_TMP/$1.err" ||
		{ cat "$TEST_TMP/$1.err" >&2; fail "mssql-apply ($1)"; }
	compare_table "$PGCONN" "$TDS_PGCONN" public "$2" || { show_table_diff "$PGCONN" "$TDS_PGCONN" public "$2"; fail "$2 after $1"; }
}
big() { echo "(SELECT string_agg(md5('$1' || i), '') FROM generate_series(1, 100) i)"; }

note "600 text columns: snapshot, then every flag from the WAL, by bulk copy and by INSERT … VALUES"
q "CREATE TABLE w600 (id int PRIMARY KEY, $(cols 600))" >/dev/null
q "ALTER TABLE w600 ALTER COLUMN c1 SET STORAGE EXTERNAL" >/dev/null
q "INSERT INTO w600 (id, c1, c2, c3, c300, c600) SELECT g, $(big x), 'two ' || g, 'three', 'mid ' || g, 'last ' || g
	FROM generate_series(1, 700) g" >/dev/null
"$BIN/snapshot" -d "$PGCONN" -t w600 --no-progress >"$TEST_TMP/snap600.json" || fail "snapshot of w600"
log0=$(wc -l <"$TDS_LOG")
apply snap600 w600
# 600 changes (over the 500 that go by INSERT … VALUES): c1 is unchanged
# TOAST in each, c3 becomes '' in some; deletes, inserts, a key change
q "UPDATE w600 SET c2 = 'changed ' || id, c3 = CASE WHEN id % 7 = 0 THEN '' ELSE c3 END, c599 = 'x'
	WHERE id <= 600" >/dev/null
q "DELETE FROM w600 WHERE id BETWEEN 650 AND 660" >/dev/null
q "INSERT INTO w600 (id, c2, c4) VALUES (1001, '', 'new'), (1002, NULL, '')" >/dev/null
q "UPDATE w600 SET id = 2001, c5 = 'moved' WHERE id = 5" >/dev/null
read_wal wal600a
grep -q '"unchanged":\["c1"\]' "$TEST_TMP/wal600a.json" || fail "no record with an unchanged TOAST value"
apply wal600a w600
# (the peer's log keeps the first 2,000 bytes of a statement)
tail -n +"$((log0 + 1))" "$TDS_LOG" | grep -q 'SUBSTRING(s\.\[__u\], 2, 1)' || fail "the MERGE read no packed flags"
tail -n +"$((log0 + 1))" "$TDS_LOG" | grep -q 'bulk: COPY "#dbrepl_s' || fail "the 600 changes were not bulk-copied into the staging table"
q "UPDATE w600 SET c600 = 'again', c3 = '' WHERE id IN (1, 2, 3, 14)" >/dev/null
q "UPDATE w600 SET id = 3001 WHERE id = 6" >/dev/null
read_wal wal600b
apply wal600b w600

note "1,021 columns, the most a staging table holds: snapshot and changes"
q "CREATE TABLE w1021 (id int PRIMARY KEY, $(cols 1020))" >/dev/null
q "ALTER TABLE w1021 ALTER COLUMN c1 SET STORAGE EXTERNAL" >/dev/null
q "INSERT INTO w1021 (id, c1, c2, c1020) SELECT g, $(big y), 'two', 'last ' || g FROM generate_series(1, 20) g" >/dev/null
"$BIN/snapshot" -d "$PGCONN" -t w1021 --no-progress >"$TEST_TMP/snap1021.json" || fail "snapshot of w1021"
apply snap1021 w1021
q "UPDATE w1021 SET c1019 = 'u', c2 = '' WHERE id <= 10; DELETE FROM w1021 WHERE id = 20;
	UPDATE w1021 SET id = 99 WHERE id = 3" >/dev/null
read_wal wal1021
apply wal1021 w1021

note "1,022 columns: changes refused by name; 1,025 columns: no table"
q "CREATE TABLE w1022 (id int PRIMARY KEY, $(cols 1021))" >/dev/null
q "INSERT INTO w1022 (id, c1) SELECT g, 'one' FROM generate_series(1, 600) g" >/dev/null
"$BIN/snapshot" -d "$PGCONN" -t w1022 --no-progress >"$TEST_TMP/snap1022.json" || fail "snapshot of w1022"
# into the empty table by bulk copy: no staging table needed
apply snap1022 w1022
q "UPDATE w1022 SET c1 = 'changed' WHERE id = 1" >/dev/null
read_wal wal1022
rc=0
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --no-progress <"$TEST_TMP/wal1022.json" \
	2>"$TEST_TMP/wal1022.err" || rc=$?
[ $rc = 65 ] || { cat "$TEST_TMP/wal1022.err" >&2; fail "1,022 columns: exit $rc, want 65"; }
grep -q 'w1022.*1022 columns' "$TEST_TMP/wal1022.err" || fail "1,022 columns: $(cat "$TEST_TMP/wal1022.err")"
[ "$(tq "SELECT c1 FROM public.w1022 WHERE id = 1")" = one ] || fail "the refused change reached the target"
q "CREATE TABLE w1025 (id int PRIMARY KEY, $(cols 1024))" >/dev/null # 1,025 with the key
q "INSERT INTO w1025 (id, c1) VALUES (1, 'one')" >/dev/null
"$BIN/snapshot" -d "$PGCONN" -t w1025 --no-progress >"$TEST_TMP/snap1025.json" || fail "snapshot of w1025"
rc=0
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress \
	<"$TEST_TMP/snap1025.json" 2>"$TEST_TMP/snap1025.err" || rc=$?
[ $rc = 65 ] || { cat "$TEST_TMP/snap1025.err" >&2; fail "1,025 columns: exit $rc, want 65"; }
grep -q '1702' "$TEST_TMP/snap1025.err" || fail "1,025 columns: $(cat "$TEST_TMP/snap1025.err")"
exit 0
