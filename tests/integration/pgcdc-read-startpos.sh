#!/usr/bin/env bash
# -I/--startpos: streaming starts at the given LSN, as with pg_recvlogical:
# a transaction that committed before it is not delivered, one after it is.
set -u
source "$(dirname "$0")/../lib/pg.sh"
needs pgcdc-read jq
pg_start
q "CREATE TABLE t (id int PRIMARY KEY, v text); CREATE PUBLICATION p FOR TABLE t" >/dev/null
q "SELECT pg_create_logical_replication_slot('s', 'pgoutput')" >/dev/null
q "INSERT INTO t VALUES (1, 'before')"
start=$(q "SELECT pg_current_wal_lsn()")
q "INSERT INTO t VALUES (2, 'after')"
end=$(q "SELECT pg_current_wal_lsn()")
timeout 30 "$BIN/pgcdc-read" -d "$PGCONN" -S s -P p -I "$start" -E "$end" --no-progress >"$TEST_TMP/out.json" ||
	fail "pgcdc-read exited $?"
got=$(jq -r '.after.v' "$TEST_TMP/out.json" | paste -sd,)
[ "$got" = "after" ] || fail "with -I $start got [$got], want only [after]"
echo "pgcdc-read-startpos: -I skipped the transaction before $start"
