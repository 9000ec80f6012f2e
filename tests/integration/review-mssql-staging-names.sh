#!/usr/bin/env bash
# mssql-apply names its #temp staging columns by position ([c1], [u1], …),
# so source columns named like the staging bookkeeping (__seq, __op, x with
# __u_x, c1, u1) go through insert (multi-row INSERT and bcp), update (incl.
# an unchanged TOAST value and an empty string) and delete, compared value
# for value with the target.
set -u
source "$(dirname "$0")/../lib/pg.sh"
needs pgcdc-read mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused

q 'CREATE TABLE sn ("__seq" integer PRIMARY KEY, "__op" text, x text, "__u_x" text, c1 text, u1 integer)'
# x stored out of line uncompressed, so an update of another column leaves
# it as an unchanged TOAST value in the WAL.
q 'ALTER TABLE sn ALTER COLUMN x SET STORAGE EXTERNAL'
q 'CREATE PUBLICATION pub FOR TABLE sn'
q "SELECT 1 FROM pg_create_logical_replication_slot('sn', 'pgoutput')" >/dev/null
q "INSERT INTO sn VALUES (1, 'a', repeat('x', 9000), '', 'c', 10),
	(2, 'b', 'short', 'ux', '', NULL), (3, 'gone', NULL, NULL, NULL, 3)"
q "UPDATE sn SET \"__op\" = 'a2', u1 = 11 WHERE \"__seq\" = 1"
q "UPDATE sn SET \"__u_x\" = '', x = '', c1 = 'c2' WHERE \"__seq\" = 2"
q "DELETE FROM sn WHERE \"__seq\" = 3"
# enough rows in one batch for the bcp path (500 or more a table)
q "INSERT INTO sn SELECT g, 'op' || g, 'x' || g, CASE WHEN g % 2 = 0 THEN '' END, 'c' || g, g
	FROM generate_series(100, 699) g"
q "UPDATE sn SET c1 = 'z' WHERE \"__seq\" = 1"
q "DELETE FROM sn WHERE \"__seq\" BETWEEN 100 AND 109"
lsn=$(q "SELECT pg_current_wal_lsn()")
timeout 30 "$BIN/pgcdc-read" -d "$PGCONN" -S sn -P pub -E "$lsn" --no-progress >"$TEST_TMP/in.json" ||
	fail "pgcdc-read"
grep -q '"unchanged":\["x"\]' "$TEST_TMP/in.json" ||
	fail "no unchanged-TOAST record for x"
sql="SELECT \"__seq\", \"__op\", md5(x), length(x), coalesce(x, '<null>') = '', \"__u_x\", c1, u1 FROM sn ORDER BY 1"
src=$(q "$sql")
for rows in 1 1000; do
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress \
		--batch-rows $rows <"$TEST_TMP/in.json" || fail "mssql-apply (batch-rows $rows) exited $?"
	dst=$(tq "$sql")
	[ "$src" = "$dst" ] || fail "target differs (batch-rows $rows): source [$src] target [$dst]"
	tq "DROP TABLE sn; DELETE FROM dbo.dbrepl_checkpoint"
done
echo "review-mssql-staging-names: columns named __seq, __op, x/__u_x, c1, u1 applied value for value"
