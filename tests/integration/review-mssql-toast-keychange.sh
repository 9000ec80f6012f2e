#!/usr/bin/env bash
# mssql-apply: an update that changes the primary key of a row with an
# unchanged TOASTed value (pgoutput sends it as "unchanged") must keep that
# value at the target
#  1. when the row was inserted earlier in the same batch (mssql_batch.h:
#     unchanged-TOAST columns take the earlier image of the row), and
#  2. when the row is already at the target from an earlier batch: the old
#     key is staged too and the MERGE reads the value from the old key's row
#     before the DELETE of the old key — also through a chain of key changes
#     in one batch, an update of the moved row in the same batch, a
#     composite key with a text part (an empty string among them), and a key
#     moved onto the key another row just left.
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/compare.sh"
needs pgcdc-read mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused

q "CREATE TABLE tk (id integer PRIMARY KEY, note text, big text)"
q "ALTER TABLE tk ALTER COLUMN big SET STORAGE EXTERNAL"
q "CREATE TABLE tc (a text, b integer, note text, big text, PRIMARY KEY (a, b))"
q "ALTER TABLE tc ALTER COLUMN big SET STORAGE EXTERNAL"
q "CREATE PUBLICATION pub FOR TABLE tk, tc"
q "SELECT 1 FROM pg_create_logical_replication_slot('tk', 'pgoutput')" >/dev/null
big() { echo "(SELECT string_agg(md5('$1' || i), '') FROM generate_series(1, 300) i)"; }

# Reads the slot up to now and applies it in one batch; both tables must
# then equal the source (big compared by md5, and whole rows by compare.sh).
step() {
	local lsn rc=0
	lsn=$(q "SELECT pg_current_wal_lsn()")
	timeout 30 "$BIN/pgcdc-read" -d "$PGCONN" -S tk -P pub -E "$lsn" --no-progress >"$TEST_TMP/in.json" ||
		fail "pgcdc-read"
	[ -z "${2:-}" ] || grep -q "$2" "$TEST_TMP/in.json" || fail "$1: no record with an unchanged TOAST value"
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress \
		--batch-rows 1000 --batch-ms 60000 <"$TEST_TMP/in.json" || rc=$?
	[ $rc = 0 ] || fail "mssql-apply exited $rc ($1)"
	local src dst
	src=$(q "SELECT id, note, md5(big) FROM tk ORDER BY id")
	dst=$(tq "SELECT id, note, md5(big) FROM public.tk ORDER BY id")
	[ "$src" = "$dst" ] || fail "$1: tk differs: source [$src] target [$dst]"
	src=$(q "SELECT a, b, note, md5(big) FROM tc ORDER BY a, b")
	dst=$(tq "SELECT a, b, note, md5(big) FROM public.tc ORDER BY a, b")
	[ "$src" = "$dst" ] || fail "$1: tc differs: source [$src] target [$dst]"
	compare_table "$PGCONN" "$TDS_PGCONN" public tk || fail "$1: tk differs"
	compare_table "$PGCONN" "$TDS_PGCONN" public tc || fail "$1: tc differs"
}

# 1. insert and key change in one batch
q "INSERT INTO tk VALUES (1, 'a', $(big a))"
q "INSERT INTO tc VALUES ('z', 9, 'z', NULL)"
q "UPDATE tk SET id = 2, note = 'moved' WHERE id = 1"
step "insert and key change in one batch" '"unchanged":\["big"\]'

# 2. the rows are at the target; their keys change in a later batch
q "INSERT INTO tk VALUES (10, 'b', $(big b)), (20, 'c', $(big c)), (30, 'd', $(big d)), (40, 'e', $(big e))"
q "INSERT INTO tc VALUES ('x', 1, 'f', $(big f)), ('', 2, 'g', $(big g)), ('y', 3, 'h', NULL)"
step "rows at the target"
q "UPDATE tk SET id = 11, note = 'moved' WHERE id = 10"
q "UPDATE tk SET id = 12 WHERE id = 11"          # a chain: 10 -> 11 -> 12
q "UPDATE tk SET id = 21 WHERE id = 20"
q "UPDATE tk SET note = 'moved, then updated' WHERE id = 21"
q "UPDATE tk SET id = 41 WHERE id = 40"
q "UPDATE tk SET id = 40 WHERE id = 30"          # onto the key 40 just left
q "UPDATE tc SET a = 'x2', note = 'moved' WHERE a = 'x'"
q "UPDATE tc SET a = 'e' WHERE a = ''"            # from an empty-string key
q "UPDATE tc SET b = 30 WHERE a = 'y'"            # a NULL big stays NULL
step "key changes of rows at the target" '"unchanged":\["big"\]'
[ "$(tq "SELECT count(*) FROM public.tk WHERE big IS NULL")" = 0 ] || fail "a TOASTed value became NULL"
echo "review-mssql-toast-keychange: TOASTed values kept through key changes, in one batch and across batches"
