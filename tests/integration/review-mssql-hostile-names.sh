#!/usr/bin/env bash
# mssql-apply quotes every identifier and literal: a schema, table and
# columns named with ], ', [ and spaces go through insert, update (key
# change), delete and truncate-free replay, compared value for value.
set -u
source "$(dirname "$0")/../lib/pg.sh"
needs pgcdc-read mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused

q 'CREATE SCHEMA "s]c"'
q 'CREATE TABLE "s]c"."a]b" ("x''y" integer PRIMARY KEY, "[" text, "c]]d e" text)'
q 'CREATE PUBLICATION pub FOR TABLE "s]c"."a]b"'
q "SELECT 1 FROM pg_create_logical_replication_slot('hn', 'pgoutput')" >/dev/null
q "INSERT INTO \"s]c\".\"a]b\" VALUES (1, 'it''s', ']]'), (2, 'N''x''', '['), (3, 'gone', NULL)"
q "UPDATE \"s]c\".\"a]b\" SET \"x'y\" = 4 WHERE \"x'y\" = 2"
q "DELETE FROM \"s]c\".\"a]b\" WHERE \"x'y\" = 3"
lsn=$(q "SELECT pg_current_wal_lsn()")
timeout 30 "$BIN/pgcdc-read" -d "$PGCONN" -S hn -P pub -E "$lsn" --no-progress >"$TEST_TMP/in.json" ||
	fail "pgcdc-read"
for rows in 1 1000; do
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress \
		--batch-rows $rows <"$TEST_TMP/in.json" || fail "mssql-apply (batch-rows $rows) exited $?"
	src=$(q "SELECT * FROM \"s]c\".\"a]b\" ORDER BY 1")
	dst=$(tq "SELECT * FROM \"s]c\".\"a]b\" ORDER BY 1")
	[ "$src" = "$dst" ] || fail "target differs: source [$src] target [$dst]"
	tq "DROP TABLE \"s]c\".\"a]b\"; DELETE FROM dbo.dbrepl_checkpoint"
done
echo "review-mssql-hostile-names: hostile identifiers and literals applied value for value"
