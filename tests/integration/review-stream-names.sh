#!/usr/bin/env bash
# snapshot --slot and pgcdc-read name the same stream for the same slot
# (pgcdc-record(5): "pg/DB/SLOT"), whatever the database is called: in a
# database named with a space, a non-ASCII letter, % and /, the snapshot works
# and its records carry exactly the stream pgcdc-read's records carry (else
# mssql-apply's skip rule could not join the copy to the streaming).
set -u
source "$(dirname "$0")/../lib/pg.sh"
needs pgcdc-read snapshot jq
pg_start
db='my db é%/x'
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\"" >/dev/null || fail "createdb"
conn="host=$PGHOST port=$PGPORT user=$PGUSER dbname='my db é%/x'"
psql -X -q -v ON_ERROR_STOP=1 -d "$conn" -c "CREATE TABLE t (id int PRIMARY KEY, v text);
	INSERT INTO t VALUES (1, 'a'); CREATE PUBLICATION pub FOR TABLE t" || fail "setup"

timeout 30 "$BIN/snapshot" -d "$conn" -P pub --slot s1 --create-slot >"$TEST_TMP/snap.json" ||
	fail "snapshot exited $?"
psql -X -q -v ON_ERROR_STOP=1 -d "$conn" -c "INSERT INTO t VALUES (2, 'b')" || fail "insert"
lsn=$(psql -X -q -At -d "$conn" -c "SELECT pg_current_wal_lsn()")
timeout 30 "$BIN/pgcdc-read" -d "$conn" -S s1 -P pub -E "$lsn" --no-progress >"$TEST_TMP/cdc.json" ||
	fail "pgcdc-read exited $?"
a=$(jq -r .pos.stream "$TEST_TMP/snap.json" | sort -u)
b=$(jq -r .pos.stream "$TEST_TMP/cdc.json" | sort -u)
[ -n "$a" ] && [ "$a" = "$b" ] || fail "streams differ: snapshot [$a], pgcdc-read [$b]"
echo "review-stream-names: snapshot and pgcdc-read agree on the stream ($a)"
