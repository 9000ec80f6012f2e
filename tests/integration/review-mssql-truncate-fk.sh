#!/usr/bin/env bash
# mssql-apply: a TRUNCATE of a table that a foreign key at the target
# references. SQL Server refuses TRUNCATE TABLE on it (error 4712, which the
# TDS peer maps from PostgreSQL's SQLSTATE 0A000); mssql-apply must empty it
# with DELETE instead, children before parents (SQL Server has no TRUNCATE
# … CASCADE), in the transaction of the rest of the batch. The source
# truncates the parent with CASCADE (pgoutput lists the parent first; an
# update of another table and new rows of both come in the same batch), then
# both tables naming the child first; the target must equal the source after
# each batch. (Rows of a child table ahead of its parent's in one batch are
# another matter: tables are written in the order they first appear.)
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/compare.sh"
needs pgcdc-read mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused

q "CREATE TABLE parent (id integer PRIMARY KEY, name text)"
q "CREATE TABLE child (id integer PRIMARY KEY, parent_id integer NOT NULL REFERENCES parent, note text)"
q "CREATE TABLE other (id integer PRIMARY KEY, v text)"
q "CREATE PUBLICATION pub FOR TABLE parent, child, other"
q "SELECT 1 FROM pg_create_logical_replication_slot('fk', 'pgoutput')" >/dev/null

# Reads the slot up to now and applies it in one batch.
step() {
	local lsn
	lsn=$(q "SELECT pg_current_wal_lsn()")
	timeout 30 "$BIN/pgcdc-read" -d "$PGCONN" -S fk -P pub -E "$lsn" --no-progress >"$TEST_TMP/in.json" ||
		fail "pgcdc-read"
	local rc=0
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress \
		--batch-rows 100000 --batch-ms 60000 <"$TEST_TMP/in.json" 2>"$TEST_TMP/apply.err" || rc=$?
	cat "$TEST_TMP/apply.err" >&2
	[ $rc = 0 ] || fail "mssql-apply exited $rc ($1)"
	for t in parent child other; do
		compare_table "$PGCONN" "$TDS_PGCONN" public $t ||
			{ show_table_diff "$PGCONN" "$TDS_PGCONN" public $t >&2; fail "$t differs ($1)"; }
	done
}

q "INSERT INTO parent SELECT g, 'p' || g FROM generate_series(1, 3) g"
q "INSERT INTO child SELECT g, 1 + g % 3, 'c' || g FROM generate_series(10, 15) g"
q "INSERT INTO other VALUES (1, 'x')"
step "initial rows"
# The target gets the foreign key the source has.
tq "ALTER TABLE public.child ADD CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES public.parent (id)"

q "UPDATE other SET v = 'y' WHERE id = 1"
q "TRUNCATE parent CASCADE"
q "BEGIN; INSERT INTO parent VALUES (4, 'p4'); INSERT INTO child VALUES (20, 4, 'c20'); COMMIT"
step "TRUNCATE parent CASCADE"
grep -q '"op":"t"' "$TEST_TMP/in.json" || fail "no truncate record in the stream"
grep -q 'TRUNCATE TABLE refused (4712)' "$TEST_TMP/apply.err" ||
	fail "the peer did not refuse TRUNCATE TABLE of the referenced table with 4712"

q "INSERT INTO child VALUES (21, 4, 'c21')"
step "a child row"
q "UPDATE other SET v = 'z' WHERE id = 1"
q "TRUNCATE child, parent"
q "INSERT INTO parent VALUES (5, 'p5'), (6, 'p6')"
step "TRUNCATE child, parent"
[ "$(tq "SELECT count(*) FROM public.parent")" = 2 ] || fail "parent does not hold the two new rows"
q "INSERT INTO child VALUES (30, 6, 'c30')"
step "a child of a new parent"
echo "review-mssql-truncate-fk: TRUNCATE of a referenced table emptied by DELETE, children first"
