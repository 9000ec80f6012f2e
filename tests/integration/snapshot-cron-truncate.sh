#!/usr/bin/env bash
# The cron-driven full copy (examples/cron-snapshot.sh: snapshot --truncate |
# mssql-apply): after rows are deleted, updated and inserted at the source, the
# next run leaves the target equal to the source, value for value — deleted
# rows gone too, which a merge-only copy would leave behind. Run without
# --truncate, the same second copy leaves the deleted rows (the test can tell).
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/compare.sh"
needs snapshot mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused
top=$(cd "$(dirname "$0")/../.." && pwd)

q "CREATE SCHEMA shop;
   CREATE TABLE shop.customers (id int PRIMARY KEY, name text NOT NULL, note text);
   CREATE TABLE shop.orders (id bigint PRIMARY KEY, customer_id int NOT NULL REFERENCES shop.customers,
                             amount numeric(12,2), placed timestamptz);
   INSERT INTO shop.customers SELECT i, 'customer ' || i, CASE WHEN i % 3 = 0 THEN '' END
     FROM generate_series(1, 3000) i;
   INSERT INTO shop.orders SELECT i, 1 + i % 3000, i * 1.25, '2026-01-01 00:00+00'::timestamptz + i * interval '1 minute'
     FROM generate_series(1, 20000) i;"

cron() {
	PGCONN="$PGCONN" MSSQL_SERVER="$TDS_HOST:$TDS_PORT" MSSQL_USER=sa MSSQL_DB=target \
		BIN="$BIN" "$top/examples/cron-snapshot.sh" -n shop 2>"$TEST_TMP/cron.err" ||
		{ rc=$?; cat "$TEST_TMP/cron.err" >&2; fail "cron-snapshot.sh exited $rc"; }
}

cron
compare_all "$PGCONN" "$TDS_PGCONN" '^shop$' || fail "first copy differs"
note "first copy equal"

q "DELETE FROM shop.orders WHERE id % 7 = 0;
   DELETE FROM shop.customers c WHERE id % 10 = 0 AND NOT EXISTS (SELECT FROM shop.orders o WHERE o.customer_id = c.id);
   UPDATE shop.customers SET note = 'changed' WHERE id % 11 = 0;
   INSERT INTO shop.orders SELECT i, 1, 0.5, NULL FROM generate_series(30001, 30500) i;"

# Merge only: deleted rows stay behind, so the tables differ.
"$BIN/snapshot" -d "$PGCONN" -n shop |
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --no-progress ||
	fail "merge-only copy exited $?"
if compare_all "$PGCONN" "$TDS_PGCONN" '^shop$' >/dev/null; then
	fail "a merge-only copy removed deleted rows: the test cannot tell --truncate apart"
fi
stale=$(psql -X -q -At -d "$TDS_PGCONN" -c "SELECT count(*) FROM shop.orders WHERE id % 7 = 0")
[ "$stale" -gt 0 ] || fail "expected deleted orders still at the target after a merge-only copy"

cron
compare_all "$PGCONN" "$TDS_PGCONN" '^shop$' || fail "second cron copy differs"
echo "snapshot-cron-truncate: the nightly copy leaves the target equal to the source, deletes included"
