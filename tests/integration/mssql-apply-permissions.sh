#!/usr/bin/env bash
# mssql-apply with a login that lacks a permission on the target, and the
# TDS peer answering as SQL Server answers such a login. The peer runs a
# login that has a PostgreSQL role of its name (here "app") as that role,
# so GRANT and REVOKE behind the peer are the login's permissions, and
# PostgreSQL's insufficient_privilege (42501) comes back as SQL Server's
# number and text by statement:
#   - INSERT/UPDATE/DELETE/MERGE/SELECT and the bulk load (INSERT BULK):
#     229 "The INSERT permission was denied on the object 'good', database
#     'target', schema 'public'." (severity 14);
#   - CREATE TABLE, CREATE SCHEMA: 262 "CREATE TABLE permission denied in
#     database 'target'." (severity 14);
#   - SET IDENTITY_INSERT and TRUNCATE TABLE of a table the login may not
#     alter (not its owner): 1088 "Cannot find the object "public.ids"
#     because it does not exist or you do not have permissions.";
#   - ALTER TABLE: 4902, the same text.
# mssql-apply (mssql-apply(1), Permissions): a batch refused with 229 (the
# MERGE's INSERT, and the bulk load's), 262 (--create-tables), 1088 (SET
# IDENTITY_INSERT) or 4902 (ALTER TABLE ADD, --evolve) stops the run with
# exit 78, naming the table and the server's error; no record is blamed
# or dead-lettered, the batch is not
# split to look for one (one refusal in the peer's log), nothing of it is
# applied, the checkpoint stays; once the permission is granted the same
# records apply whole. A TRUNCATE refused with 1088 is done by DELETE, as
# before.
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/tds.sh"
source "$(dirname "$0")/../lib/compare.sh"
needs snapshot pgcdc-read mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused PGTZ=UTC

# refused_app NUMBER SEVERITY TEXT "T-SQL": login app gets SQL Server's
# NUMBER, SEVERITY and TEXT for the batch
refused_app() {
	local out
	out=$(tds_sql_as app "$4") && fail "login app: no error from: $4"
	grep -qF "Msg $1 (severity $2," <<<"$out" || fail "login app: want Msg $1 (severity $2) from: $4; got: $out"
	grep -qF "$3" <<<"$out" || fail "login app: want '$3' from: $4; got: $out"
}

q "CREATE TABLE good (id integer PRIMARY KEY, v text)" >/dev/null
q "CREATE TABLE trunc (id integer PRIMARY KEY, v text)" >/dev/null
q "CREATE TABLE ids (id integer PRIMARY KEY, name text)" >/dev/null
q "CREATE TABLE fresh (id integer PRIMARY KEY, v text)" >/dev/null
q "CREATE TABLE big (id integer PRIMARY KEY, v text)" >/dev/null
q "CREATE PUBLICATION pub FOR TABLE good, trunc, ids, fresh" >/dev/null
q "SELECT 1 FROM pg_create_logical_replication_slot('perm', 'pgoutput')" >/dev/null
read_wal() { pg_read_slot perm pub "$TEST_TMP/$1.json"; }

# apply NAME LOGIN: NAME.json in one batch as LOGIN; sets rc
apply() {
	rc=0
	rm -f "$TEST_TMP/$1.dead"
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U "$2" -D target --create-tables --evolve --no-progress \
		--batch-rows 100000 --batch-ms 60000 --retries 2 --dead-letter "$TEST_TMP/$1.dead" \
		<"$TEST_TMP/$1.json" 2>"$TEST_TMP/$1.err" || rc=$?
}
# errors NUMBER: how many times the peer has answered with NUMBER so far
errors() { grep -c "error $1: " "$TDS_LOG"; }
# refused NAME TABLE NUMBER TEXT: NAME.json refused whole as login app,
# exit 78, for the server's NUMBER and TEXT, naming TABLE, once (no
# record looked for), nothing blamed or dead-lettered
refused() {
	local n0
	n0=$(errors "$3")
	apply "$1" app
	[ $rc = 78 ] || { cat "$TEST_TMP/$1.err" >&2; fail "$1: exit $rc, want 78"; }
	grep -F "[public].[$2]" "$TEST_TMP/$1.err" | grep -F "$3" | grep -qF "$4" ||
		fail "$1: want [public].[$2] named with '$3 $4': $(head -c 800 "$TEST_TMP/$1.err")"
	[ ! -e "$TEST_TMP/$1.dead" ] || fail "$1: dead-letter file written: $(head -c 400 "$TEST_TMP/$1.dead")"
	! grep -q "record refused" "$TEST_TMP/$1.err" || fail "$1: a record blamed: $(grep "record refused" "$TEST_TMP/$1.err")"
	[ "$(($(errors "$3") - n0))" = 1 ] ||
		fail "$1: the server refused $(($(errors "$3") - n0)) times, want once (the batch split to find a record?)"
}

note "first load as sa (every permission): the tables, the checkpoint"
tds_sql "CREATE TABLE [public].[ids] ([id] int IDENTITY(1,1) NOT NULL, [name] nvarchar(max) NULL,
	CONSTRAINT [PK_ids] PRIMARY KEY ([id]))" >/dev/null || fail "creating the IDENTITY target"
q "INSERT INTO good SELECT g, 'g' || g FROM generate_series(1, 5) g" >/dev/null
q "INSERT INTO trunc SELECT g, 't' || g FROM generate_series(1, 5) g" >/dev/null
q "INSERT INTO ids SELECT 100 + g, 'i' || g FROM generate_series(1, 3) g" >/dev/null
read_wal a
apply a sa
[ $rc = 0 ] || { cat "$TEST_TMP/a.err" >&2; fail "first load as sa: exit $rc"; }
tds_same public good
tds_same public trunc
tds_same public ids
tds_sql "CREATE TABLE [public].[big] ([id] int NOT NULL, [v] nvarchar(max) NULL, CONSTRAINT [PK_big] PRIMARY KEY ([id]));
	CREATE TABLE [public].[secret] ([id] int NOT NULL)" >/dev/null || fail "creating big and secret"

# login app: reads and writes the tables, but not good (no INSERT) nor
# big (no INSERT) nor secret (nothing); owns none (no ALTER); may not
# create tables or schemas
tq "CREATE ROLE app" >/dev/null
tq "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public, dbo TO app" >/dev/null
tq "REVOKE INSERT ON public.good, public.big FROM app" >/dev/null
tq "REVOKE ALL ON public.secret FROM app" >/dev/null

note "the peer answers login app as SQL Server answers a login without the permission"
refused_app 229 14 "The INSERT permission was denied on the object 'good', database 'target', schema 'public'." \
	"INSERT INTO [public].[good] ([id], [v]) VALUES (99, N'x')"
refused_app 229 14 "The INSERT permission was denied on the object 'good', database 'target', schema 'public'." \
	"MERGE INTO [public].[good] AS t USING (VALUES (99, N'x')) AS s ([id], [v]) ON t.[id] = s.[id]
	WHEN MATCHED THEN UPDATE SET [v] = s.[v] WHEN NOT MATCHED THEN INSERT ([id], [v]) VALUES (s.[id], s.[v]);"
refused_app 229 14 "The SELECT permission was denied on the object 'secret', database 'target', schema 'public'." \
	"SELECT [id] FROM [public].[secret]"
refused_app 229 14 "The DELETE permission was denied on the object 'secret', database 'target', schema 'public'." \
	"DELETE FROM [public].[secret]"
refused_app 262 14 "CREATE TABLE permission denied in database 'target'." \
	"CREATE TABLE [public].[nope] ([id] int NOT NULL)"
refused_app 262 14 "CREATE SCHEMA permission denied in database 'target'." "CREATE SCHEMA [nope]"
refused_app 1088 16 'Cannot find the object "public.ids" because it does not exist or you do not have permissions.' \
	"SET IDENTITY_INSERT [public].[ids] ON"
refused_app 1088 16 'Cannot find the object "public.trunc" because it does not exist or you do not have permissions.' \
	"TRUNCATE TABLE [public].[trunc]"
refused_app 4902 16 'Cannot find the object "public.good" because it does not exist or you do not have permissions.' \
	"ALTER TABLE [public].[good] ADD [w] int NULL"
tds_sql_as app "DELETE FROM [public].[good] WHERE [id] = 0; SELECT [id] FROM [public].[good]" >"$TEST_TMP/ok.out" ||
	fail "login app: what it may do was refused: $(cat "$TEST_TMP/ok.out")"
[ "$(tds_rows public.good)" = "(1,g1),(2,g2),(3,g3),(4,g4),(5,g5)" ] || fail "the refused statements changed good: $(tds_rows public.good)"
[ "$(tq "SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.good'::regclass AND attname = 'w'")" = 0 ] ||
	fail "the refused ALTER TABLE added a column"
tds_sql "SET IDENTITY_INSERT [public].[ids] ON; SET IDENTITY_INSERT [public].[ids] OFF" >/dev/null ||
	fail "login sa: SET IDENTITY_INSERT refused"

note "no INSERT on good: 229 for the MERGE, exit 78, nothing applied, then applied once granted"
q "INSERT INTO good SELECT g, 'g' || g FROM generate_series(6, 8) g" >/dev/null
q "UPDATE good SET v = 'changed' WHERE id = 2" >/dev/null
q "UPDATE trunc SET v = 'changed' WHERE id = 3" >/dev/null
q "DELETE FROM trunc WHERE id = 4" >/dev/null
read_wal b
good0=$(tds_rows public.good) trunc0=$(tds_rows public.trunc) ids0=$(tds_rows public.ids) ck0=$(tds_checkpoint)
refused b good 229 "The INSERT permission was denied on the object 'good', database 'target', schema 'public'."
[ "$(tds_rows public.good)" = "$good0" ] || fail "the refused batch changed good: $(tds_rows public.good)"
[ "$(tds_rows public.trunc)" = "$trunc0" ] || fail "the refused batch changed trunc: $(tds_rows public.trunc)"
[ "$(tds_rows public.ids)" = "$ids0" ] || fail "the refused batch changed ids: $(tds_rows public.ids)"
[ "$(tds_checkpoint)" = "$ck0" ] || fail "the refused batch moved the checkpoint: $(tds_checkpoint)"
tq "GRANT INSERT ON public.good TO app" >/dev/null
apply b app
[ $rc = 0 ] || { cat "$TEST_TMP/b.err" >&2; fail "after INSERT was granted: exit $rc"; }
tds_same public good
tds_same public trunc

note "no ALTER on ids: 1088 at SET IDENTITY_INSERT, exit 78, nothing applied, then applied as its owner"
q "INSERT INTO ids VALUES (200, 'i200')" >/dev/null
q "UPDATE ids SET name = 'changed' WHERE id = 101" >/dev/null
q "INSERT INTO good VALUES (9, 'g9')" >/dev/null
read_wal c
good0=$(tds_rows public.good) ids0=$(tds_rows public.ids) ck0=$(tds_checkpoint)
refused c ids 1088 'Cannot find the object "public.ids" because it does not exist or you do not have permissions.'
[ "$(tds_rows public.good)" = "$good0" ] || fail "the refused batch changed good: $(tds_rows public.good)"
[ "$(tds_rows public.ids)" = "$ids0" ] || fail "the refused batch changed ids: $(tds_rows public.ids)"
[ "$(tds_checkpoint)" = "$ck0" ] || fail "the refused batch moved the checkpoint: $(tds_checkpoint)"
tq "ALTER TABLE public.ids OWNER TO app" >/dev/null
apply c app
[ $rc = 0 ] || { cat "$TEST_TMP/c.err" >&2; fail "as the owner of ids: exit $rc"; }
tds_same public ids
tds_same public good

note "no ALTER on trunc: TRUNCATE TABLE refused with 1088, emptied by DELETE instead"
q "TRUNCATE trunc" >/dev/null
q "INSERT INTO trunc SELECT g, 'u' || g FROM generate_series(10, 12) g" >/dev/null
read_wal d
n0=$(errors 1088)
apply d app
[ $rc = 0 ] || { cat "$TEST_TMP/d.err" >&2; fail "TRUNCATE without ALTER: exit $rc"; }
[ "$(($(errors 1088) - n0))" -ge 1 ] || fail "TRUNCATE TABLE was not refused with 1088"
grep -q "TRUNCATE TABLE refused (1088); emptying with DELETE instead" "$TEST_TMP/d.err" ||
	fail "the DELETE fallback not said: $(head -c 600 "$TEST_TMP/d.err")"
tds_same public trunc

note "no CREATE TABLE permission: 262 (--create-tables), exit 78, nothing applied, then applied once granted"
q "INSERT INTO fresh SELECT g, 'f' || g FROM generate_series(1, 4) g" >/dev/null
q "INSERT INTO good VALUES (10, 'g10')" >/dev/null
read_wal e
good0=$(tds_rows public.good) ck0=$(tds_checkpoint)
refused e fresh 262 "CREATE TABLE permission denied in database 'target'."
[ "$(tds_rows public.good)" = "$good0" ] || fail "the refused batch changed good: $(tds_rows public.good)"
[ "$(tq "SELECT to_regclass('public.fresh') IS NULL")" = t ] || fail "fresh was created"
[ "$(tds_checkpoint)" = "$ck0" ] || fail "the refused batch moved the checkpoint: $(tds_checkpoint)"
tq "GRANT CREATE ON SCHEMA public TO app" >/dev/null
apply e app
[ $rc = 0 ] || { cat "$TEST_TMP/e.err" >&2; fail "after CREATE was granted: exit $rc"; }
tds_same public fresh
tds_same public good

note "no ALTER on good: 4902 at ALTER TABLE ADD (--evolve), exit 78, nothing applied, then applied as its owner"
q "ALTER TABLE good ADD COLUMN w integer" >/dev/null
q "UPDATE good SET w = id * 10 WHERE id <= 3" >/dev/null
q "INSERT INTO fresh VALUES (5, 'f5')" >/dev/null
read_wal f
good0=$(tds_rows public.good) fresh0=$(tds_rows public.fresh) ck0=$(tds_checkpoint)
refused f good 4902 'Cannot find the object "public.good" because it does not exist or you do not have permissions.'
[ "$(tds_rows public.good)" = "$good0" ] || fail "the refused batch changed good: $(tds_rows public.good)"
[ "$(tds_rows public.fresh)" = "$fresh0" ] || fail "the refused batch changed fresh: $(tds_rows public.fresh)"
[ "$(tq "SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.good'::regclass AND attname = 'w'")" = 0 ] ||
	fail "the refused ALTER TABLE left column w"
[ "$(tds_checkpoint)" = "$ck0" ] || fail "the refused batch moved the checkpoint: $(tds_checkpoint)"
tq "ALTER TABLE public.good OWNER TO app" >/dev/null
apply f app
[ $rc = 0 ] || { cat "$TEST_TMP/f.err" >&2; fail "as the owner of good: exit $rc"; }
tds_same public good
tds_same public fresh

note "no INSERT on big: the bulk load refused with 229, exit 78, nothing applied, then applied once granted"
q "INSERT INTO big SELECT g, 'b' || g FROM generate_series(1, 600) g" >/dev/null
"$BIN/snapshot" -d "$PGCONN" -t big --no-progress >"$TEST_TMP/big.json" || fail "snapshot of big"
ck0=$(tds_checkpoint)
refused big big 229 "The INSERT permission was denied on the object 'big', database 'target', schema 'public'."
grep -q 'bulk: COPY "public"\."big"' "$TDS_LOG" || fail "big: not refused at the bulk load into it"
[ "$(tq "SELECT count(*) FROM public.big")" = 0 ] || fail "the refused load left rows in big"
[ "$(tds_checkpoint)" = "$ck0" ] || fail "the refused load moved the checkpoint: $(tds_checkpoint)"
tq "GRANT INSERT ON public.big TO app" >/dev/null
apply big app
[ $rc = 0 ] || { cat "$TEST_TMP/big.err" >&2; fail "after INSERT on big was granted: exit $rc"; }
tds_same public big
tds_stop
exit 0
