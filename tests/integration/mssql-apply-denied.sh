#!/usr/bin/env bash
# mssql-apply with a login that lacks a permission mssql-apply(1)
# (Permissions) says it needs, beyond the target tables' own
# (mssql-apply-permissions.sh):
#   1. on the checkpoint table [dbo].[dbrepl_checkpoint]: the login may
#      write the data tables but not the checkpoint (229 from the
#      checkpoint's MERGE, first in the batch), or not even read it (229
#      from reading it at start);
#   2. inside --transactions pieces (a source transaction of more than
#      --batch-rows records, applied in one target transaction that stays
#      open): 229 on a table the transaction reaches in a later piece, and
#      229 on the checkpoint (whose MERGE goes with its pieces);
#   3. on a schema (no USAGE): PostgreSQL says "permission denied for
#      schema s", and the peer answers as SQL Server does, 229 naming the
#      table the statement touched and its schema (its own catalog lookups
#      must not abort the transaction before: they read the catalog by
#      name, not by to_regclass, which raises for such a schema);
#   4. on the catalog: records that name no key columns take the target's
#      primary key from INFORMATION_SCHEMA, which the login may not read
#      (229 from reading it).
# Each stops the run with exit 78 naming what was refused (the table, or
# the checkpoint table) and the server's error; nothing of the batch is
# applied (the target's rows compared with what was there before), the
# checkpoint does not move, nothing is acknowledged (--ack), no record is
# blamed or dead-lettered; once the permission is granted the same records
# apply whole and are acknowledged.
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/tds.sh"
source "$(dirname "$0")/../lib/compare.sh"
needs pgcdc-read mssql-apply peers/tds-server jq
pg_start
tds_start
export MSSQL_PASSWORD=unused PGTZ=UTC


q "CREATE SCHEMA s" >/dev/null
q "CREATE TABLE good (id integer PRIMARY KEY, v text)" >/dev/null
q "CREATE TABLE locked (id integer PRIMARY KEY, v text)" >/dev/null
q "CREATE TABLE s.inner (id integer PRIMARY KEY, v text)" >/dev/null
q "CREATE PUBLICATION pub FOR TABLE good, locked, s.inner" >/dev/null
q "SELECT 1 FROM pg_create_logical_replication_slot('deny', 'pgoutput')" >/dev/null
read_wal() { pg_read_slot deny pub "$TEST_TMP/$1.json"; }

# apply NAME LOGIN [ARGS…]: NAME.json as LOGIN, acks to NAME.acks; sets rc
apply() {
	local name=$1 login=$2 cat_pid
	shift 2
	rc=0
	rm -f "$TEST_TMP/$name.dead" "$TEST_TMP/$name.fifo"
	mkfifo "$TEST_TMP/$name.fifo"
	cat "$TEST_TMP/$name.fifo" >"$TEST_TMP/$name.acks" &
	cat_pid=$!
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U "$login" -D target --create-tables --no-progress \
		--batch-rows 100000 --batch-ms 60000 --retries 2 --dead-letter "$TEST_TMP/$name.dead" \
		--ack "$TEST_TMP/$name.fifo" "$@" <"$TEST_TMP/$name.json" 2>"$TEST_TMP/$name.err" || rc=$?
	# a writer, opened and closed, ends cat when mssql-apply never opened it
	exec 8<>"$TEST_TMP/$name.fifo"
	exec 8>&-
	wait "$cat_pid"
}
# errors NUMBER: how many times the peer has answered with NUMBER so far
errors() { grep -c "error $1: " "$TDS_LOG"; }
# refused NAME WHAT NUMBER TEXT [ARGS…]: NAME.json refused whole as login
# app, exit 78, for the server's NUMBER and TEXT, on a line naming WHAT;
# nothing acknowledged, blamed or dead-lettered
refused() {
	local name=$1 what=$2 number=$3 text=$4
	shift 4
	apply "$name" app "$@"
	[ $rc = 78 ] || { cat "$TEST_TMP/$name.err" >&2; fail "$name: exit $rc, want 78"; }
	grep -F "$what" "$TEST_TMP/$name.err" | grep -F "$number" | grep -qF "$text" ||
		fail "$name: want '$what' named with '$number $text': $(head -c 800 "$TEST_TMP/$name.err")"
	grep -F "$text" "$TEST_TMP/$name.err" | head -1 >&2
	[ ! -e "$TEST_TMP/$name.dead" ] || fail "$name: dead-letter file written: $(head -c 400 "$TEST_TMP/$name.dead")"
	! grep -q "record refused" "$TEST_TMP/$name.err" || fail "$name: a record blamed: $(grep "record refused" "$TEST_TMP/$name.err")"
	[ ! -s "$TEST_TMP/$name.acks" ] || fail "$name: acknowledged: $(head -c 400 "$TEST_TMP/$name.acks")"
}
# applied NAME [ARGS…]: NAME.json applies as login app, and is acknowledged
applied() {
	local name=$1
	shift
	apply "$name" app "$@"
	[ $rc = 0 ] || { cat "$TEST_TMP/$name.err" >&2; fail "$name: exit $rc once granted"; }
	[ -s "$TEST_TMP/$name.acks" ] || fail "$name: applied but not acknowledged"
}
# before: the target as it is (rows of every table, the checkpoint);
# unchanged NAME: still so
before() { snap0="$(tds_rows public.good)|$(tds_rows public.locked)|$(tds_rows s.inner)|$(tds_checkpoint)"; }
unchanged() {
	local now="$(tds_rows public.good)|$(tds_rows public.locked)|$(tds_rows s.inner)|$(tds_checkpoint)"
	[ "$now" = "$snap0" ] || fail "$1: the refused batch changed the target: $(head -c 300 <<<"$now") (was $(head -c 300 <<<"$snap0"))"
}

note "first load as sa: the tables, the checkpoint"
q "INSERT INTO good SELECT g, 'g' || g FROM generate_series(1, 5) g" >/dev/null
q "INSERT INTO locked SELECT g, 'l' || g FROM generate_series(1, 3) g" >/dev/null
q "INSERT INTO s.inner SELECT g, 'i' || g FROM generate_series(1, 3) g" >/dev/null
read_wal a
apply a sa
[ $rc = 0 ] || { cat "$TEST_TMP/a.err" >&2; fail "first load as sa: exit $rc"; }
tds_same public good
tds_same public locked
tds_same s inner

# login app: writes good and locked; reads the checkpoint, but may not
# write it; no INSERT on locked; no USAGE on schema s
tq "CREATE ROLE app" >/dev/null
tq "GRANT USAGE ON SCHEMA dbo TO app" >/dev/null
tq "GRANT SELECT, INSERT, UPDATE, DELETE ON public.good, public.locked, s.inner TO app" >/dev/null
tq "GRANT SELECT ON dbo.dbrepl_checkpoint TO app" >/dev/null
tq "REVOKE INSERT ON public.locked FROM app" >/dev/null

note "1. the checkpoint not writable: 229 from its MERGE, exit 78, nothing applied or acknowledged"
q "INSERT INTO good SELECT g, 'g' || g FROM generate_series(6, 8) g" >/dev/null
q "UPDATE good SET v = 'changed' WHERE id = 2" >/dev/null
read_wal b
before
n0=$(errors 229)
refused b "the checkpoint table [dbo].[dbrepl_checkpoint]" 229 \
	"permission was denied on the object 'dbrepl_checkpoint', database 'target', schema 'dbo'."
[ "$(($(errors 229) - n0))" = 1 ] || fail "b: refused $(($(errors 229) - n0)) times, want once (a record looked for?)"
unchanged b

note "1. the checkpoint not readable: 229 from reading it, exit 78"
tq "REVOKE SELECT ON dbo.dbrepl_checkpoint FROM app" >/dev/null
refused b "reading the checkpoint table [dbo].[dbrepl_checkpoint]" 229 \
	"The SELECT permission was denied on the object 'dbrepl_checkpoint', database 'target', schema 'dbo'."
unchanged b
note "the checkpoint granted: the same records apply whole"
tq "GRANT SELECT, INSERT, UPDATE ON dbo.dbrepl_checkpoint TO app" >/dev/null
applied b
tds_same public good

note "2. --transactions, a transaction in pieces reaching locked (no INSERT) in a later piece: exit 78, none of it applied"
q "BEGIN; INSERT INTO good SELECT g, 'g' || g FROM generate_series(100, 124) g;
	UPDATE good SET v = 'in-txn' WHERE id <= 3;
	INSERT INTO locked SELECT g, 'l' || g FROM generate_series(100, 104) g; COMMIT" >/dev/null
read_wal c
before
refused c "[public].[locked]" 229 \
	"The INSERT permission was denied on the object 'locked', database 'target', schema 'public'." \
	--transactions --batch-rows 10
unchanged c

note "2. --transactions, the checkpoint not writable (its MERGE in the transaction's pieces): exit 78, none of it applied"
tq "GRANT INSERT ON public.locked TO app" >/dev/null
tq "REVOKE INSERT, UPDATE ON dbo.dbrepl_checkpoint FROM app" >/dev/null
refused c "the checkpoint table [dbo].[dbrepl_checkpoint]" 229 \
	"permission was denied on the object 'dbrepl_checkpoint', database 'target', schema 'dbo'." \
	--transactions --batch-rows 10
unchanged c
note "the checkpoint granted: the transaction applies whole"
tq "GRANT INSERT, UPDATE ON dbo.dbrepl_checkpoint TO app" >/dev/null
applied c --transactions --batch-rows 10
tds_same public good
tds_same public locked

note "3. no USAGE on schema s: the peer's 229 names the table and its schema, and so does mssql-apply"
out=$(tds_sql_as app "INSERT INTO [s].[inner] ([id], [v]) VALUES (99, N'x')") && fail "login app: INSERT into s.inner not refused"
grep -qF "Msg 229 (severity 14," <<<"$out" || fail "want Msg 229 for s.inner: $out"
grep -qF "The INSERT permission was denied on the object 'inner', database 'target', schema 's'." <<<"$out" ||
	fail "the peer's 229 does not name s.inner: $out"
out=$(tds_sql_as app "DELETE FROM [s].[inner] WHERE [id] = 1") && fail "login app: DELETE from s.inner not refused"
grep -qF "The DELETE permission was denied on the object 'inner', database 'target', schema 's'." <<<"$out" ||
	fail "the peer's 229 does not name s.inner: $out"
out=$(tds_sql_as app "SELECT [id] FROM [s].[inner]") && fail "login app: SELECT from s.inner not refused"
grep -qF "The SELECT permission was denied on the object 'inner', database 'target', schema 's'." <<<"$out" ||
	fail "the peer's 229 does not name s.inner: $out"
q "INSERT INTO s.inner SELECT g, 'i' || g FROM generate_series(4, 6) g" >/dev/null
q "UPDATE s.inner SET v = 'changed' WHERE id = 1" >/dev/null
q "INSERT INTO good VALUES (200, 'g200')" >/dev/null
read_wal d
before
refused d "table [s].[inner]" 229 "permission was denied on the object 'inner', database 'target', schema 's'."
unchanged d
note "USAGE granted: the same records apply whole"
tq "GRANT USAGE ON SCHEMA s TO app" >/dev/null
applied d
tds_same s inner
tds_same public good

note "4. records without key columns, the primary key not readable from the catalog: 229, exit 78"
q "INSERT INTO good VALUES (300, 'g300')" >/dev/null
q "UPDATE good SET v = 'nokey' WHERE id = 1" >/dev/null
read_wal e0
jq -c '.key = []' "$TEST_TMP/e0.json" >"$TEST_TMP/e.json" || fail "jq on e0.json"
tq "REVOKE USAGE ON SCHEMA information_schema FROM PUBLIC" >/dev/null
before
refused e "reading the primary key of [public].[good] from the catalog" 229 \
	"The SELECT permission was denied on the object 'TABLE_CONSTRAINTS', database 'target', schema 'INFORMATION_SCHEMA'."
unchanged e
note "the catalog readable again: the records take the primary key and apply whole"
tq "GRANT USAGE ON SCHEMA information_schema TO PUBLIC" >/dev/null
applied e
tds_same public good
exit 0
