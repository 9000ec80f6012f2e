#!/usr/bin/env bash
# mssql-apply when SQL Server refuses the DDL it sends for a table, not a
# record of it: the server's own error (number and text) and the table are
# named, the run stops with exit 78 (the target's configuration: a login
# without the permission, another object of the name; retrying or
# dead-lettering records would not help), no record is dead-lettered, and
# nothing of the batch is applied (its other tables' rows neither). Once
# the target is put right, the same records apply whole.
#   1. CREATE TABLE (--create-tables) refused with 2714: a sequence of the
#      table's name in the schema (SQL Server's tables, views, sequences
#      and procedures share one namespace);
#   2. CREATE TABLE refused with 262: the login may not create tables;
#   3. ALTER TABLE ADD (--evolve) refused with 4902: the login may not
#      alter the table.
# 2714 at CREATE TABLE and 2705 at ALTER TABLE ADD once only (another
# mssql-apply made the table or column meanwhile) are tried again, and the
# batch applied whole.
# The permission refusals are made by an event trigger behind the peer that
# raises SQL Server's number and text.
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/tds.sh"
source "$(dirname "$0")/../lib/compare.sh"
needs pgcdc-read mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused PGTZ=UTC

q "CREATE TABLE good (id integer PRIMARY KEY, v text)" >/dev/null
q "CREATE TABLE clash (id integer PRIMARY KEY, v text)" >/dev/null
q "CREATE TABLE fresh (id integer PRIMARY KEY, v text)" >/dev/null
q "CREATE PUBLICATION pub FOR ALL TABLES" >/dev/null
q "SELECT 1 FROM pg_create_logical_replication_slot('ddl', 'pgoutput')" >/dev/null
read_wal() { pg_read_slot ddl pub "$TEST_TMP/$1.json"; }

# apply NAME: NAME.json in one batch; sets rc
apply() {
	rc=0
	rm -f "$TEST_TMP/$1.dead"
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --evolve --no-progress \
		--batch-rows 100000 --batch-ms 60000 --retries 2 --dead-letter "$TEST_TMP/$1.dead" \
		<"$TEST_TMP/$1.json" 2>"$TEST_TMP/$1.err" || rc=$?
}
# refused NAME TABLE NUMBER TEXT: NAME.json refused whole, exit 78, for
# the server's NUMBER and TEXT, naming TABLE; nothing dead-lettered
refused() {
	apply "$1"
	[ $rc = 78 ] || { cat "$TEST_TMP/$1.err" >&2; fail "$1: exit $rc, want 78"; }
	grep -F "[public].[$2]" "$TEST_TMP/$1.err" | grep -F "$3" | grep -qF "$4" ||
		fail "$1: want [public].[$2] named with '$3 $4': $(head -c 800 "$TEST_TMP/$1.err")"
	[ ! -s "$TEST_TMP/$1.dead" ] || fail "$1: records dead-lettered: $(head -c 400 "$TEST_TMP/$1.dead")"
	! grep -q "record refused" "$TEST_TMP/$1.err" || fail "$1: a record blamed: $(grep "record refused" "$TEST_TMP/$1.err")"
}

# deny NAME TAG TABLE NUMBER TEXT [once]: event trigger NAME makes TAG of
# public.TABLE fail behind the peer with SQL Server's NUMBER and TEXT (the
# peer answers SQLSTATE TDS02 "number|text" with that error); with once,
# only the first time (sequence NAME_n counts the tries: its nextval is not
# rolled back with the refusal)
deny() {
	local text=${5//\'/\'\'}
	[ -z "${6:-}" ] || tq "CREATE SEQUENCE public.$1_n" >/dev/null
	tq "CREATE FUNCTION public.$1() RETURNS event_trigger LANGUAGE plpgsql AS \$\$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() WHERE command_tag = '$2'
	    AND object_identity = 'public.$3') ${6:+AND nextval('public.$1_n') = 1} THEN
		RAISE EXCEPTION USING ERRCODE = 'TDS02', MESSAGE = '$4|$text';
	END IF;
END \$\$" >/dev/null
	tq "CREATE EVENT TRIGGER $1 ON ddl_command_end WHEN TAG IN ('$2') EXECUTE FUNCTION public.$1()" >/dev/null
}

note "CREATE TABLE refused with 2714 (a sequence of the name): named, exit 78, nothing applied"
tq "CREATE SEQUENCE public.clash" >/dev/null
q "INSERT INTO good SELECT g, 'g' || g FROM generate_series(1, 5) g" >/dev/null
q "INSERT INTO clash SELECT g, 'c' || g FROM generate_series(1, 5) g" >/dev/null
read_wal a
ck0=$(tds_checkpoint)
refused a clash 2714 "There is already an object named 'clash' in the database."
got=$(tds_rows public.good)
[ "$got" = none ] || [ -z "$got" ] || fail "the refused batch applied good's rows: $got"
[ "$(tds_checkpoint)" = "$ck0" ] || fail "the refused batch moved the checkpoint: $(tds_checkpoint)"
note "the sequence dropped: the same records apply whole"
tq "DROP SEQUENCE public.clash" >/dev/null
apply a
[ $rc = 0 ] || { cat "$TEST_TMP/a.err" >&2; fail "after the sequence was dropped: exit $rc"; }
tds_same public good
tds_same public clash

note "CREATE TABLE refused with 2714 once (another mssql-apply made it meanwhile): tried again, applied"
deny race_once 'CREATE TABLE' race 2714 "There is already an object named 'race' in the database." once
q "CREATE TABLE race (id integer PRIMARY KEY, v text)" >/dev/null
q "INSERT INTO race SELECT g, 'r' || g FROM generate_series(1, 3) g" >/dev/null
q "INSERT INTO good VALUES (100, 'g100')" >/dev/null
read_wal race
apply race
[ $rc = 0 ] || { cat "$TEST_TMP/race.err" >&2; fail "race: exit $rc, want 0 (2714 once, tried again)"; }
[ "$(tq "SELECT last_value FROM public.race_once_n")" = 2 ] || fail "race: CREATE TABLE not tried twice"
grep -q "2714" "$TEST_TMP/race.err" || fail "race: the first 2714 not said: $(head -c 400 "$TEST_TMP/race.err")"
[ ! -s "$TEST_TMP/race.dead" ] || fail "race: records dead-lettered"
tq "DROP EVENT TRIGGER race_once" >/dev/null
tds_same public race
tds_same public good

note "CREATE TABLE refused with 262 (no permission): named, exit 78, nothing applied"
deny deny_create 'CREATE TABLE' fresh 262 "CREATE TABLE permission denied in database 'target'."
q "INSERT INTO good SELECT g, 'g' || g FROM generate_series(6, 8) g" >/dev/null
q "UPDATE clash SET v = 'changed' WHERE id = 2" >/dev/null
q "INSERT INTO fresh SELECT g, 'f' || g FROM generate_series(1, 4) g" >/dev/null
read_wal b
good0=$(tds_rows public.good) clash0=$(tds_rows public.clash) ck0=$(tds_checkpoint)
refused b fresh 262 "CREATE TABLE permission denied in database 'target'."
[ "$(tds_rows public.good)" = "$good0" ] || fail "the refused batch changed good: $(tds_rows public.good)"
[ "$(tds_rows public.clash)" = "$clash0" ] || fail "the refused batch changed clash: $(tds_rows public.clash)"
[ "$(tds_rows public.fresh)" = none ] || fail "fresh was created: $(tds_rows public.fresh)"
[ "$(tds_checkpoint)" = "$ck0" ] || fail "the refused batch moved the checkpoint: $(tds_checkpoint)"

note "the permission granted: the same records apply whole"
tq "DROP EVENT TRIGGER deny_create" >/dev/null
apply b
[ $rc = 0 ] || { cat "$TEST_TMP/b.err" >&2; fail "after the permission was granted: exit $rc"; }
tds_same public good
tds_same public clash
tds_same public fresh

note "ALTER TABLE ADD refused with 4902 (--evolve, no permission): named, exit 78, nothing applied"
q "ALTER TABLE good ADD COLUMN w integer" >/dev/null
q "UPDATE good SET w = id * 10 WHERE id <= 3" >/dev/null
q "INSERT INTO good VALUES (9, 'g9', 90)" >/dev/null
q "INSERT INTO fresh VALUES (5, 'f5')" >/dev/null
read_wal c
deny deny_alter 'ALTER TABLE' good 4902 'Cannot find the object "public.good" because it does not exist or you do not have permissions.'
good0=$(tds_rows public.good) fresh0=$(tds_rows public.fresh) ck0=$(tds_checkpoint)
refused c good 4902 "Cannot find the object \"public.good\" because it does not exist or you do not have permissions."
[ "$(tds_rows public.good)" = "$good0" ] || fail "the refused batch changed good: $(tds_rows public.good)"
[ "$(tds_rows public.fresh)" = "$fresh0" ] || fail "the refused batch changed fresh: $(tds_rows public.fresh)"
[ "$(tq "SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.good'::regclass AND attname = 'w'")" = 0 ] ||
	fail "the refused ALTER TABLE left column w"
[ "$(tds_checkpoint)" = "$ck0" ] || fail "the refused batch moved the checkpoint: $(tds_checkpoint)"

note "the permission granted, and 2705 once (another mssql-apply added the column meanwhile): applied"
tq "DROP EVENT TRIGGER deny_alter" >/dev/null
deny alter_once 'ALTER TABLE' good 2705 "Column names in each table must be unique. Column name 'w' in table 'public.good' is specified more than once." once
apply c
[ $rc = 0 ] || { cat "$TEST_TMP/c.err" >&2; fail "after the permission was granted: exit $rc"; }
[ "$(tq "SELECT last_value FROM public.alter_once_n")" = 2 ] || fail "ALTER TABLE not tried twice"
tq "DROP EVENT TRIGGER alter_once" >/dev/null
tds_same public good
tds_same public fresh
exit 0
