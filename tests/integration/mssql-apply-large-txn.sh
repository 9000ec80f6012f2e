#!/usr/bin/env bash
# mssql-apply-large-txn — mssql-apply --transactions commits a source
# transaction far larger than a batch alone and whole, with memory flat,
# also when its target transaction is lost on the way.
#
# Two source transactions of 40,000 rows each (32 MB of records each):
# T1 inserts a head row and the rows, T2 updates every row and the head.
# pgcdc-read | mssql-apply --transactions --batch-rows 2000 applies each in
# 20 pieces of one target transaction. The TDS peer answers T1's commit
# with a deadlock (1205): the transaction is applied again from its spill
# file; it drops the connection right after T2's commit: the checkpoint
# shows it committed. A reader on the target checks in a loop, in one
# snapshot each time, that it sees all of T1 or none, and all of T2 or none.
# At the end the tables equal the source, value for value, and
# mssql-apply's peak RSS stayed far below the size of one transaction.
set -u
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/compare.sh"
needs pgcdc-read mssql-apply peers/tds-server
N=40000
pg_start
q "CREATE SCHEMA s; CREATE TABLE s.head (id int PRIMARY KEY, n int NOT NULL);
   CREATE TABLE s.big (id int PRIMARY KEY, pad text NOT NULL);
   CREATE PUBLICATION p FOR TABLE s.head, s.big"
q "SELECT pg_create_logical_replication_slot('slot', 'pgoutput')" >/dev/null
tds_start --fault deadlock-at=1 --fault drop-after=2
export MSSQL_PASSWORD=test

q "BEGIN; INSERT INTO s.head VALUES (1, 1);
   INSERT INTO s.big SELECT g, 'v1 ' || repeat(md5(g::text), 18) FROM generate_series(1, $N) g; COMMIT"
q "BEGIN; UPDATE s.big SET pad = 'v2 ' || substr(pad, 4); UPDATE s.head SET n = 2; COMMIT"
end=$(q "SELECT pg_current_wal_lsn()")

# The reader: of the first, middle and last row (pieces go in source
# order), "how many are there, how many are T2's, the head's n" per look,
# each one statement.
while [ ! -e "$TEST_TMP/stop" ]; do
	echo "SELECT count(*), count(*) FILTER (WHERE pad::text COLLATE \"C\" LIKE 'v2 %'), (SELECT coalesce(max(n), 0) FROM s.head)
	      FROM s.big WHERE id IN (1, $((N / 2)), $N);"
	sleep 0.02
done | psql -X -q -At -F' ' -d "$TDS_PGCONN" >"$TEST_TMP/looks" 2>/dev/null &
reader=$!

mkfifo "$TEST_TMP/pipe"
"$BIN/pgcdc-read" -d "$PGCONN" -S slot -P p --endpos "$end" --no-progress >"$TEST_TMP/pipe" 2>"$TEST_TMP/read.log" &
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D "$TDS_DB" --create-tables --transactions --batch-rows 2000 \
	--stats <"$TEST_TMP/pipe" 2>"$TEST_TMP/apply.log" &
apply=$!
peak=0
while kill -0 $apply 2>/dev/null; do
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$apply/status" 2>/dev/null)
	[ -n "$hwm" ] && peak=$hwm
	sleep 0.2
done
wait $apply
rc=$?
touch "$TEST_TMP/stop"
wait $reader
cat "$TEST_TMP/apply.log" >&2
[ "$rc" = 0 ] || fail "mssql-apply exited $rc"
! grep -l 'Sanitizer\|runtime error' "$TEST_TMP"/*.log >&2 || fail "a sanitizer report"

compare_table "$PGCONN" "$TDS_PGCONN" s big >&2 || fail "s.big differs"
compare_table "$PGCONN" "$TDS_PGCONN" s head >&2 || fail "s.head differs"
grep -q 'applying the transaction again from its start' "$TEST_TMP/apply.log" ||
	fail "the deadlock at the first commit did not make mssql-apply apply the transaction again"
grep -q 'the checkpoint holds the whole transaction already' "$TEST_TMP/apply.log" ||
	fail "the connection dropped after the second commit was not recognised as committed"
[ "$(grep -c 'applying it in pieces' "$TEST_TMP/apply.log")" = 2 ] || fail "not two transactions in pieces"

# Every look: T1 all or nothing (head with it), T2 all or nothing.
bad=$(awk '!(($1 == 0 && $3 == 0) || ($1 == 3 && ($3 == 1 && $2 == 0 || $3 == 2 && $2 == 3))) {
		if (shown++ < 3) print "look " NR ": " $0 > "/dev/stderr"; bad++ }
	END { print bad + 0 }' "$TEST_TMP/looks")
looks=$(wc -l <"$TEST_TMP/looks")
note "$looks looks; states seen: $(sort -u "$TEST_TMP/looks" | tr '\n' ';')"
[ "$bad" = 0 ] || fail "$bad looks saw part of a transaction"
[ "$(sort -u "$TEST_TMP/looks" | wc -l)" -ge 2 ] || fail "the reader saw only one state (too slow to look?)"

note "mssql-apply peak RSS $((peak / 1024)) MiB"
# (ASan's shadow memory and quarantine make RSS meaningless there)
[ -n "${DBREPL_SANITIZED:-}" ] || [ "$peak" -lt $((20 * 1024)) ] ||
	fail "peak RSS $((peak / 1024)) MiB: a transaction was held in memory"
echo "mssql-apply-large-txn: ok"
