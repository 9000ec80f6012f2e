#!/usr/bin/env bash
# mssql-apply: an update that changes the primary key of a row with an
# unchanged TOASTed value (pgoutput sends it as "unchanged") must keep that
# value at the target when the row was inserted earlier in the same batch
# (mssql_batch.h: unchanged-TOAST columns take the earlier image of the row).
set -u
source "$(dirname "$0")/../lib/pg.sh"
for p in pgcdc-read mssql-apply peers/tds-server; do
	[ -x "$BIN/$p" ] || { echo "skip: $BIN/$p not built"; exit 77; }
done
pg_start
tds_start
export MSSQL_PASSWORD=unused

q "CREATE TABLE tk (id integer PRIMARY KEY, note text, big text)"
q "ALTER TABLE tk ALTER COLUMN big SET STORAGE EXTERNAL"
q "CREATE PUBLICATION pub FOR TABLE tk"
q "SELECT 1 FROM pg_create_logical_replication_slot('tk', 'pgoutput')" >/dev/null
big="(SELECT string_agg(md5('x' || i), '') FROM generate_series(1, 300) i)"
q "INSERT INTO tk VALUES (1, 'a', $big)"
q "UPDATE tk SET id = 2, note = 'moved' WHERE id = 1"
lsn=$(q "SELECT pg_current_wal_lsn()")
timeout 30 "$BIN/pgcdc-read" -d "$PGCONN" -S tk -P pub -E "$lsn" --no-progress >"$TEST_TMP/in.json" ||
	fail "pgcdc-read"
grep -q '"unchanged":\["big"\]' "$TEST_TMP/in.json" || fail "no record with an unchanged TOAST value"

# One batch: the insert and the key change meet in it.
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress \
	--batch-rows 1000 --batch-ms 60000 <"$TEST_TMP/in.json" || fail "mssql-apply exited $?"
src=$(q "SELECT id, note, md5(big) FROM tk ORDER BY id")
dst=$(tq "SELECT id, note, md5(big) FROM public.tk ORDER BY id")
[ "$src" = "$dst" ] || fail "target differs: source [$src] target [$dst]"
echo "review-mssql-toast-keychange: TOASTed value kept through a key change in one batch"
