#!/usr/bin/env bash
# mssql-apply when SQL Server refuses a statement of its own outside the
# batch's data statements: the checkpoint table's CREATE TABLE, the CREATE
# TABLE of a table's #temp staging table, the catalog reads of a table's
# constraints and triggers (before a bulk copy) and of the foreign keys
# among the batch's tables. Each is said as the server said it (what was
# refused, its number and text) and stops the run with exit 78, no record
# blamed, refused or dead-lettered, nothing of the batch applied and the
# checkpoint unchanged; once the target is put right the same records apply
# whole. A refusal of the staging table's shape (1701) refuses the table's
# records by name instead (dead-lettered with --dead-letter, and so
# acknowledged), as a refused CREATE TABLE of the table itself does.
# 2714 once at the checkpoint table's CREATE TABLE, or at a table's (another
# mssql-apply made it meanwhile; also in a later piece of a --transactions
# transaction applied in pieces), reads the catalog again without taking a
# retry: the batch applies with --retries 0.
# The refusals are made behind the peer: an event trigger raising SQL
# Server's number and text at CREATE TABLE, a catalog view of the peer's
# replaced by one whose function raises them.
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/tds.sh"
source "$(dirname "$0")/../lib/compare.sh"
needs snapshot pgcdc-read mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused PGTZ=UTC

q "CREATE TABLE good (id integer PRIMARY KEY, v text)" >/dev/null
q "CREATE TABLE other (id integer PRIMARY KEY, v text)" >/dev/null
q "CREATE TABLE race (id integer PRIMARY KEY, v text)" >/dev/null
q "CREATE TABLE big (id integer PRIMARY KEY, v text)" >/dev/null
q "CREATE PUBLICATION pub FOR TABLE good, other, race" >/dev/null
q "SELECT 1 FROM pg_create_logical_replication_slot('setup', 'pgoutput')" >/dev/null
read_wal() { pg_read_slot setup pub "$TEST_TMP/$1.json"; }

# apply NAME [RETRIES [ARGS…]]: NAME.json in one batch; sets rc
apply() {
	rc=0
	rm -f "$TEST_TMP/$1.dead"
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --evolve --no-progress \
		--batch-rows 100000 --batch-ms 60000 --retries "${2:-2}" --dead-letter "$TEST_TMP/$1.dead" "${@:3}" \
		<"$TEST_TMP/$1.json" 2>"$TEST_TMP/$1.err" || rc=$?
}
# refused NAME WHAT NUMBER TEXT: NAME.json refused whole, exit 78, for the
# server's NUMBER and TEXT, on a line naming WHAT; nothing dead-lettered,
# no record blamed
refused() {
	apply "$1"
	[ $rc = 78 ] || { cat "$TEST_TMP/$1.err" >&2; fail "$1: exit $rc, want 78"; }
	grep -F "$2" "$TEST_TMP/$1.err" | grep -F "$3" | grep -qF "$4" ||
		fail "$1: want '$2' named with '$3 $4': $(head -c 800 "$TEST_TMP/$1.err")"
	[ ! -s "$TEST_TMP/$1.dead" ] || fail "$1: records dead-lettered: $(head -c 400 "$TEST_TMP/$1.dead")"
	! grep -q "record refused" "$TEST_TMP/$1.err" || fail "$1: a record blamed: $(grep "record refused" "$TEST_TMP/$1.err")"
	grep -F "$3" "$TEST_TMP/$1.err" | head -1 >&2
}
# deny NAME IDENTITY NUMBER TEXT [once]: event trigger NAME makes CREATE
# TABLE of the table whose identity is LIKE IDENTITY fail behind the peer
# with SQL Server's NUMBER and TEXT; with once, only the first time
deny() {
	local text=${4//\'/\'\'}
	[ -z "${5:-}" ] || tq "CREATE SEQUENCE public.$1_n" >/dev/null
	tq "CREATE FUNCTION public.$1() RETURNS event_trigger LANGUAGE plpgsql AS \$\$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TABLE'
	    AND object_identity LIKE '$2') ${5:+AND nextval('public.$1_n') = 1} THEN
		RAISE EXCEPTION USING ERRCODE = 'TDS02', MESSAGE = '$3|$text';
	END IF;
END \$\$" >/dev/null
	tq "CREATE EVENT TRIGGER $1 ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION public.$1()" >/dev/null
}
# break_view VIEW NUMBER TEXT: the peer's catalog view tds_catalog.VIEW
# (sys.VIEW) fails with SQL Server's NUMBER and TEXT; mend_view VIEW puts it back
break_view() {
	local text=${3//\'/\'\'} def
	def=$(tq "SELECT rtrim(pg_get_viewdef('tds_catalog.$1'::regclass), ';')")
	printf '%s' "$def" >"$TEST_TMP/$1.viewdef"
	tq "CREATE FUNCTION public.broken_$1() RETURNS boolean LANGUAGE plpgsql STABLE AS \$\$
BEGIN
	RAISE EXCEPTION USING ERRCODE = 'TDS02', MESSAGE = '$2|$text';
END \$\$" >/dev/null
	tq "CREATE OR REPLACE VIEW tds_catalog.$1 AS SELECT * FROM ($def) AS v WHERE public.broken_$1()" >/dev/null
}
mend_view() {
	tq "CREATE OR REPLACE VIEW tds_catalog.$1 AS $(cat "$TEST_TMP/$1.viewdef")" >/dev/null
	tq "DROP FUNCTION public.broken_$1()" >/dev/null
}

note "the checkpoint table's CREATE TABLE refused with 2714 (a sequence of its name): named, exit 78, nothing applied"
tq "CREATE SCHEMA IF NOT EXISTS dbo" >/dev/null
tq "CREATE SEQUENCE dbo.dbrepl_checkpoint" >/dev/null
q "INSERT INTO good SELECT g, 'g' || g FROM generate_series(1, 5) g" >/dev/null
q "INSERT INTO other SELECT g, 'o' || g FROM generate_series(1, 3) g" >/dev/null
read_wal a
refused a "CREATE TABLE [dbo].[dbrepl_checkpoint]" 2714 "There is already an object named 'dbrepl_checkpoint' in the database."
[ "$(tds_rows public.good)" = none ] || fail "the refused run created or wrote good: $(tds_rows public.good)"
[ "$(tds_rows public.other)" = none ] || fail "the refused run created or wrote other: $(tds_rows public.other)"
note "the sequence dropped, and 2714 once at the checkpoint's CREATE TABLE (another mssql-apply made it): applied with --retries 0"
tq "DROP SEQUENCE dbo.dbrepl_checkpoint" >/dev/null
deny ckpt_once 'dbo.dbrepl_checkpoint' 2714 "There is already an object named 'dbrepl_checkpoint' in the database." once
apply a 0
[ $rc = 0 ] || { cat "$TEST_TMP/a.err" >&2; fail "a: exit $rc, want 0 (2714 once, the catalog read again)"; }
[ "$(tq "SELECT last_value FROM public.ckpt_once_n")" = 2 ] || fail "a: the checkpoint's CREATE TABLE not tried twice"
tq "DROP EVENT TRIGGER ckpt_once" >/dev/null
tds_same public good
tds_same public other
[ -n "$(tds_checkpoint)" ] || fail "a: no checkpoint"

note "a table's CREATE TABLE refused with 2714 once: the catalog read again, applied with --retries 0"
deny race_once 'public.race' 2714 "There is already an object named 'race' in the database." once
q "INSERT INTO race SELECT g, 'r' || g FROM generate_series(1, 3) g" >/dev/null
q "INSERT INTO good VALUES (100, 'g100')" >/dev/null
read_wal race
apply race 0
[ $rc = 0 ] || { cat "$TEST_TMP/race.err" >&2; fail "race: exit $rc, want 0 (2714 once, the catalog read again, no retry taken)"; }
[ "$(tq "SELECT last_value FROM public.race_once_n")" = 2 ] || fail "race: CREATE TABLE not tried twice"
[ ! -s "$TEST_TMP/race.dead" ] || fail "race: records dead-lettered"
tq "DROP EVENT TRIGGER race_once" >/dev/null
tds_same public race
tds_same public good

note "the staging table's CREATE TABLE refused with 1105 (tempdb full): named, exit 78, nothing applied"
deny stage_full 'pg_temp%' 1105 "Could not allocate space for object 'dbo.#stage' in database 'tempdb' because the 'PRIMARY' filegroup is full."
q "INSERT INTO good SELECT g, 'g' || g FROM generate_series(6, 9) g" >/dev/null
q "UPDATE other SET v = 'changed' WHERE id = 2" >/dev/null
q "DELETE FROM race WHERE id = 1" >/dev/null
read_wal b
good0=$(tds_rows public.good) other0=$(tds_rows public.other) race0=$(tds_rows public.race) ck0=$(tds_checkpoint)
refused b "CREATE TABLE of its staging table" 1105 "Could not allocate space for object 'dbo.#stage' in database 'tempdb'"
grep "staging table" "$TEST_TMP/b.err" | grep -qF "[public]." || fail "b: the table not named: $(head -c 600 "$TEST_TMP/b.err")"
[ "$(tds_rows public.good)" = "$good0" ] || fail "the refused batch changed good: $(tds_rows public.good)"
[ "$(tds_rows public.other)" = "$other0" ] || fail "the refused batch changed other: $(tds_rows public.other)"
[ "$(tds_rows public.race)" = "$race0" ] || fail "the refused batch changed race: $(tds_rows public.race)"
[ "$(tds_checkpoint)" = "$ck0" ] || fail "the refused batch moved the checkpoint: $(tds_checkpoint)"
note "tempdb has room again: the same records apply whole"
tq "DROP EVENT TRIGGER stage_full" >/dev/null
apply b
[ $rc = 0 ] || { cat "$TEST_TMP/b.err" >&2; fail "b after the trigger was dropped: exit $rc"; }
tds_same public good
tds_same public other
tds_same public race
[ "$(tds_checkpoint)" != "$ck0" ] || fail "b: the checkpoint did not move"

note "the catalog read of the foreign keys refused with 208: named, exit 78, nothing applied"
q "INSERT INTO good SELECT g, 'g' || g FROM generate_series(10, 12) g" >/dev/null
q "UPDATE other SET v = 'again' WHERE id = 3" >/dev/null
read_wal c
break_view foreign_keys 208 "Invalid object name 'sys.foreign_keys'."
good0=$(tds_rows public.good) other0=$(tds_rows public.other) ck0=$(tds_checkpoint)
refused c "reading the foreign keys among the tables" 208 "Invalid object name 'sys.foreign_keys'."
grep "reading the foreign keys" "$TEST_TMP/c.err" | grep -F "[public].[good]" | grep -qF "[public].[other]" ||
	fail "c: the tables not named: $(head -c 600 "$TEST_TMP/c.err")"
[ "$(tds_rows public.good)" = "$good0" ] || fail "the refused batch changed good: $(tds_rows public.good)"
[ "$(tds_rows public.other)" = "$other0" ] || fail "the refused batch changed other: $(tds_rows public.other)"
[ "$(tds_checkpoint)" = "$ck0" ] || fail "the refused batch moved the checkpoint: $(tds_checkpoint)"
note "the catalog view back: the same records apply whole"
mend_view foreign_keys
apply c
[ $rc = 0 ] || { cat "$TEST_TMP/c.err" >&2; fail "c after the view was mended: exit $rc"; }
tds_same public good
tds_same public other

note "the catalog read of a table's constraints and triggers (a snapshot's bulk copy) refused with 208: named, exit 78"
q "INSERT INTO big SELECT g, 'b' || g FROM generate_series(1, 600) g" >/dev/null
"$BIN/snapshot" -d "$PGCONN" -t big --no-progress >"$TEST_TMP/big.json" || fail "snapshot of big"
break_view check_constraints 208 "Invalid object name 'sys.check_constraints'."
ck0=$(tds_checkpoint)
refused big "reading its constraints and triggers" 208 "Invalid object name 'sys.check_constraints'."
grep "reading its constraints" "$TEST_TMP/big.err" | grep -qF "[public].[big]" ||
	fail "big: the table not named: $(head -c 600 "$TEST_TMP/big.err")"
[ "$(tds_rows public.big)" = "" ] || [ "$(tds_rows public.big)" = none ] || fail "the refused load left rows in big: $(tds_rows public.big | head -c 200)"
[ "$(tds_checkpoint)" = "$ck0" ] || fail "the refused load moved the checkpoint: $(tds_checkpoint)"
mend_view check_constraints
apply big
[ $rc = 0 ] || { cat "$TEST_TMP/big.err" >&2; fail "big after the view was mended: exit $rc"; }
tds_same public big

note "the staging table refused with 1701 (its row too wide): the table's records refused by name, the rest applied"
deny stage_wide 'pg_temp%' 1701 "Creating or altering table '#stage' failed because the minimum row size would be 8070, including 7 bytes of internal overhead. This exceeds the maximum allowable table row size of 8060 bytes."
q "INSERT INTO good SELECT g, 'g' || g FROM generate_series(13, 14) g" >/dev/null
read_wal d
good0=$(tds_rows public.good) ck0=$(tds_checkpoint)
apply d
[ $rc = 0 ] || { cat "$TEST_TMP/d.err" >&2; fail "d: exit $rc, want 0 (the records dead-lettered)"; }
[ "$(grep -c . "$TEST_TMP/d.dead")" = 2 ] || fail "d: want good's 2 records dead-lettered: $(head -c 600 "$TEST_TMP/d.dead")"
grep "record refused" "$TEST_TMP/d.err" | grep -F "[public].[good]" | grep -qF 1701 ||
	fail "d: the records not refused by name with 1701: $(head -c 600 "$TEST_TMP/d.err")"
grep -q g13 "$TEST_TMP/d.dead" && grep -q g14 "$TEST_TMP/d.dead" || fail "d: not good's records dead-lettered: $(head -c 600 "$TEST_TMP/d.dead")"
[ "$(tds_rows public.good)" = "$good0" ] || fail "d: good changed: $(tds_rows public.good)"
[ "$(tds_checkpoint)" != "$ck0" ] || fail "d: the checkpoint did not move past the dead-lettered records"
tq "DROP EVENT TRIGGER stage_wide" >/dev/null

note "--transactions: a table's CREATE TABLE in a later piece refused with 2714 once: read again, applied whole with --retries 0"
q "CREATE TABLE late (id integer PRIMARY KEY, v text)" >/dev/null
q "ALTER PUBLICATION pub ADD TABLE late" >/dev/null
deny late_once 'public.late' 2714 "There is already an object named 'late' in the database." once
q "BEGIN; INSERT INTO good SELECT g, 'g' || g FROM generate_series(300, 324) g;
	INSERT INTO late SELECT g, 'l' || g FROM generate_series(1, 5) g; COMMIT" >/dev/null
read_wal e
apply e 0 --transactions --batch-rows 10
[ $rc = 0 ] || { cat "$TEST_TMP/e.err" >&2; fail "e: exit $rc, want 0 (2714 once in a piece, the catalog read again, no retry taken)"; }
grep -q "applying it in pieces" "$TEST_TMP/e.err" || fail "e: the transaction not applied in pieces: $(head -c 600 "$TEST_TMP/e.err")"
[ "$(tq "SELECT last_value FROM public.late_once_n")" = 2 ] || fail "e: CREATE TABLE not tried twice"
tq "DROP EVENT TRIGGER late_once" >/dev/null
tds_same public late
[ "$(tq "SELECT count(*) FROM public.good WHERE id BETWEEN 300 AND 324")" = 25 ] || fail "e: good's rows of the transaction not applied"

note "--transactions: a table's CREATE TABLE in a later piece refused with 2714 each time (a sequence of its name): exit 78, none of it applied"
q "CREATE TABLE taken (id integer PRIMARY KEY, v text)" >/dev/null
q "ALTER PUBLICATION pub ADD TABLE taken" >/dev/null
tq "CREATE SEQUENCE public.taken" >/dev/null
q "BEGIN; INSERT INTO good SELECT g, 'g' || g FROM generate_series(400, 424) g;
	INSERT INTO taken SELECT g, 't' || g FROM generate_series(1, 5) g; COMMIT" >/dev/null
read_wal f
good0=$(tds_rows public.good) ck0=$(tds_checkpoint)
rm -f "$TEST_TMP/f.dead"
rc=0
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress --batch-rows 10 \
	--batch-ms 60000 --retries 2 --transactions --dead-letter "$TEST_TMP/f.dead" <"$TEST_TMP/f.json" \
	2>"$TEST_TMP/f.err" || rc=$?
[ $rc = 78 ] || { cat "$TEST_TMP/f.err" >&2; fail "f: exit $rc, want 78"; }
grep -F "[public].[taken]" "$TEST_TMP/f.err" | grep -F "no record is at fault" | grep -qF "2714" ||
	fail "f: want [public].[taken] named with 2714: $(head -c 800 "$TEST_TMP/f.err")"
[ "$(grep -c "reading the catalog again" "$TEST_TMP/f.err")" = 1 ] ||
	fail "f: want the catalog read again once: $(grep "reading the catalog again" "$TEST_TMP/f.err")"
[ ! -s "$TEST_TMP/f.dead" ] || fail "f: records dead-lettered"
[ "$(tds_rows public.good)" = "$good0" ] || fail "f: the refused transaction changed good"
[ "$(tds_checkpoint)" = "$ck0" ] || fail "f: the refused transaction moved the checkpoint: $(tds_checkpoint)"
exit 0
