#!/usr/bin/env bash
# --exclude-column, --mask-column and --hash-column in snapshot and
# pgcdc-read, through a real PostgreSQL and into the TDS peer: every value
# of the records and of the target is the one SQL computes from the source
# (sha256() of the salt and the value's record text, the fixed text); an
# excluded column is in no image and no target table, and its values and
# the salt appear in no output; the salt is never on a command line; the
# snapshot (salt from the environment) and the stream (salt from a file)
# hash alike, so updates and deletes of the copied rows find them by their
# hashed key; the full before images of REPLICA IDENTITY FULL are masked;
# partitions (nested) and inheritance children take the rules of their
# parents, in snapshot -P and pgcdc-read alike; a RENAME of a masked
# column or of its table stops pgcdc-read (78) before a value leaves; usage
# and configuration errors exit 64 and 78.
set -u
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/metrics.sh"
needs jq
pg_start
tds_start
cd "$TEST_TMP" || exit 1
export MSSQL_PASSWORD=unused
SALT='pepper-$ "salt"'
printf '%s\n' "$SALT" >salt.txt
SECRET=123-45-6789

q "CREATE SCHEMA hr"
q "CREATE TABLE hr.people (id integer PRIMARY KEY, email text, name text, ssn text, born timestamptz, n integer)"
q "CREATE TABLE hr.codes (code text PRIMARY KEY, ssn text, v integer)"
q "INSERT INTO hr.people SELECT g, 'user' || g || '@example.com', 'Name ' || g, '$SECRET-' || g,
	'2000-01-01 00:00:00+02'::timestamptz + g * interval '1 day 1.5 second', g * 10 FROM generate_series(1, 50) g"
q "UPDATE hr.people SET email = NULL, name = NULL WHERE id = 7"
q "INSERT INTO hr.codes SELECT 'c' || g, '$SECRET', g FROM generate_series(1, 20) g"
# codes with its full old row in every update and delete: the before images
# are masked too
q "ALTER TABLE hr.codes REPLICA IDENTITY FULL"
q "CREATE PUBLICATION pub FOR TABLE hr.people, hr.codes"
MASKS=(--hash-column hr.people.id --hash-column people.email --mask-column hr.people.name --mask-text '[gone]'
	--exclude-column hr.people.ssn --hash-column HR.PEOPLE.BORN --hash-column codes.code --exclude-column codes.ssn)

expect_rc() { # expect_rc WANT what command...
	local want=$1 what=$2 rc=0
	shift 2
	"$@" >/dev/null 2>err.txt || rc=$?
	[ "$rc" = "$want" ] || fail "$what: exit $rc, want $want ($(cat err.txt))"
	grep -q . err.txt || fail "$what: no message"
	! grep -qF "$SALT" err.txt || fail "$what: the salt is in the message"
}

# ---- usage and configuration ----
expect_rc 64 "snapshot: bad column name" "$BIN/snapshot" -d "$PGCONN" -t hr.people --exclude-column people
expect_rc 64 "pgcdc-read: a column named twice" "$BIN/pgcdc-read" -d "$PGCONN" -S s -P pub \
	--exclude-column people.ssn --hash-column PEOPLE.ssn
expect_rc 78 "snapshot: no salt" env -u DBREPL_HASH_SALT "$BIN/snapshot" -d "$PGCONN" -t hr.people --hash-column people.email
expect_rc 78 "pgcdc-read: no salt" env -u DBREPL_HASH_SALT "$BIN/pgcdc-read" -d "$PGCONN" -S s -P pub --hash-column people.email
expect_rc 78 "snapshot: empty salt" env DBREPL_HASH_SALT= "$BIN/snapshot" -d "$PGCONN" -t hr.people --hash-column people.email
expect_rc 78 "snapshot: no such column" "$BIN/snapshot" -d "$PGCONN" -t hr.people --exclude-column people.sssn
expect_rc 78 "pgcdc-read: no such table" "$BIN/pgcdc-read" -d "$PGCONN" -S s -P pub --exclude-column persons.ssn
expect_rc 78 "snapshot: excluded key" "$BIN/snapshot" -d "$PGCONN" -t hr.people --exclude-column people.id
expect_rc 78 "snapshot: fixed key" "$BIN/snapshot" -d "$PGCONN" -t hr.codes --mask-column codes.code
grep -q "a key column cannot be masked with a fixed text" err.txt || fail "fixed key: $(cat err.txt)"

# ---- the snapshot, salt from the environment, into the target ----
q "SELECT 1 FROM pg_create_logical_replication_slot('s', 'pgoutput')" >/dev/null
DBREPL_HASH_SALT=$SALT "$BIN/snapshot" -d "$PGCONN" -t hr.people -t hr.codes "${MASKS[@]}" >snap.ndjson 2>snap.err ||
	fail "snapshot exited $? ($(cat snap.err))"
[ "$(wc -l <snap.ndjson)" = 70 ] || fail "snapshot wrote $(wc -l <snap.ndjson) records"
jq -c 'select(.table == "people") | .cols' snap.ndjson | sort -u >cols.txt
[ "$(cat cols.txt)" = '[{"name":"id","type":"character(64)","mask":"sha256"},{"name":"email","type":"character(64)","mask":"sha256"},{"name":"name","type":"text","mask":"fixed"},{"name":"ssn","type":"text","mask":"excluded"},{"name":"born","type":"character(64)","mask":"sha256"},{"name":"n","type":"integer"}]' ] ||
	fail "people's cols: $(cat cols.txt)"

# What every image must hold, computed in SQL: the record text of each value
# (born: UTC, six fractional digits), hashed with the salt.
h() { echo "encode(sha256(convert_to(\$salt\$$SALT\$salt\$ || $1, 'UTF8')), 'hex')"; }
born_text="to_char(born AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
people_want() {
	q "SELECT json_build_object('id', $(h 'id::text'), 'email', $(h email), 'name', CASE WHEN name IS NULL THEN NULL ELSE '[gone]' END,
		'born', $(h "$born_text"), 'n', n)::text FROM hr.people" | jq -c -S . | sort
}
people_want >people.want
jq -c -S 'select(.table == "people") | .after' snap.ndjson | sort >people.got
diff people.want people.got >d.txt || { head d.txt; fail "snapshot: people's values differ from SQL's"; }
q "SELECT json_build_object('code', $(h code), 'v', v)::text FROM hr.codes" | jq -c -S . | sort >codes.want
jq -c -S 'select(.table == "codes") | .after' snap.ndjson | sort >codes.got
diff codes.want codes.got >d.txt || { head d.txt; fail "snapshot: codes' values differ"; }
! grep -qF "$SECRET" snap.ndjson || fail "snapshot: an excluded value is in the output"
! grep -qF "pepper" snap.ndjson snap.err || fail "snapshot: the salt is in the output"
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D "$TDS_DB" --create-tables <snap.ndjson 2>apply.err ||
	fail "mssql-apply (snapshot) exited $? ($(cat apply.err))"

# ---- then the stream, salt from a file: inserts, updates, deletes ----
q "INSERT INTO hr.people VALUES (51, 'new@example.com', 'New', '$SECRET-51', now(), 510)"
q "UPDATE hr.people SET ssn = 'changed $SECRET' WHERE id = 3"     # only the excluded column
q "UPDATE hr.people SET name = 'Renamed', n = n + 1 WHERE id <= 5"
q "UPDATE hr.people SET id = 1000 WHERE id = 6"                    # a hashed key changes
q "DELETE FROM hr.people WHERE id IN (8, 9)"
q "UPDATE hr.codes SET v = v * 2 WHERE code IN ('c1', 'c2')"
q "DELETE FROM hr.codes WHERE code = 'c3'"
end=$(q "SELECT pg_current_wal_lsn()")
"$BIN/pgcdc-read" -d "$PGCONN" -S s -P pub -E "$end" --hash-salt-file salt.txt "${MASKS[@]}" >stream.ndjson 2>stream.err ||
	fail "pgcdc-read exited $? ($(cat stream.err))"
[ "$(wc -l <stream.ndjson)" = 13 ] || fail "pgcdc-read wrote $(wc -l <stream.ndjson) records, want 13"
! grep -qF "$SECRET" stream.ndjson || fail "pgcdc-read: an excluded value is in the output"
! grep -qF "pepper" stream.ndjson stream.err || fail "pgcdc-read: the salt is in the output"
[ "$(jq -c 'select(.table == "people") | .cols' stream.ndjson | sort -u)" = "$(cat cols.txt)" ] ||
	fail "pgcdc-read: people's cols differ from the snapshot's"
# The full before images of codes: hashed key, no ssn.
[ "$(jq -c 'select(.table == "codes" and .op != "c") | .before | keys' stream.ndjson | sort -u)" = '["code","v"]' ] ||
	fail "pgcdc-read: codes' before images: $(jq -c 'select(.table == "codes") | .before' stream.ndjson)"
# The key of a delete is the hashed key the snapshot wrote.
[ "$(jq -r 'select(.op == "d" and .table == "people") | .before.id' stream.ndjson | sort)" = \
	"$(q "SELECT $(h "'8'") UNION ALL SELECT $(h "'9'") ORDER BY 1")" ] || fail "pgcdc-read: deletes' keys"
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D "$TDS_DB" --create-tables <stream.ndjson 2>apply.err ||
	fail "mssql-apply (stream) exited $? ($(cat apply.err))"

# The target is the source, masked, value for value; ssn was never created.
people_want >people.want
tq "SELECT json_build_object('id', rtrim(id), 'email', rtrim(email), 'name', name, 'born', rtrim(born), 'n', n)::text
	FROM hr.people" | jq -c -S . | sort >people.got
diff people.want people.got >d.txt || { head d.txt; fail "target people differ from the masked source"; }
[ "$(wc -l <people.got)" = 49 ] || fail "target holds $(wc -l <people.got) people"
q "SELECT json_build_object('code', $(h code), 'v', v)::text FROM hr.codes" | jq -c -S . | sort >codes.want
tq "SELECT json_build_object('code', rtrim(code), 'v', v)::text FROM hr.codes" | jq -c -S . | sort >codes.got
diff codes.want codes.got >d.txt || { head d.txt; fail "target codes differ"; }
[ "$(tq "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'hr' AND column_name = 'ssn'")" = 0 ] ||
	fail "the excluded column was created at the target"
[ "$(tq "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns
	WHERE table_schema = 'hr' AND table_name = 'people'")" = "id,email,name,born,n" ] || fail "target columns"

# ---- partitions and inheritance children take their parent's rules ----
# pgoutput (without publish_via_partition_root) and snapshot -P/-n send a
# partition's rows under the partition's own name; a rule on the parent
# must still hold for them.
q "CREATE TABLE hr.visits (id integer, email text, note text, PRIMARY KEY (id)) PARTITION BY RANGE (id)"
q "CREATE TABLE hr.visits_1 PARTITION OF hr.visits FOR VALUES FROM (0) TO (100)"
q "CREATE TABLE hr.visits_2 PARTITION OF hr.visits FOR VALUES FROM (100) TO (200) PARTITION BY RANGE (id)"
q "CREATE TABLE hr.visits_2a PARTITION OF hr.visits_2 FOR VALUES FROM (100) TO (200)"
q "CREATE TABLE hr.base (id integer PRIMARY KEY, ssn text)"
q "CREATE TABLE hr.derived (extra text) INHERITS (hr.base)"
q "INSERT INTO hr.visits VALUES (1, 'v1@example.com', 'note $SECRET'), (150, 'v150@example.com', 'x')"
q "INSERT INTO hr.derived VALUES (1, '$SECRET-d', 'e')"
q "CREATE PUBLICATION pub2 FOR TABLE hr.visits, hr.base"
q "SELECT 1 FROM pg_create_logical_replication_slot('s2', 'pgoutput')" >/dev/null
PMASKS=(--exclude-column hr.visits.note --hash-column visits.email --exclude-column base.ssn)
DBREPL_HASH_SALT=$SALT "$BIN/snapshot" -d "$PGCONN" -P pub2 "${PMASKS[@]}" --metrics psnap.prom >psnap.ndjson \
	2>psnap.err || fail "snapshot (partitions) exited $? ($(cat psnap.err))"
# its metrics at exit (dbrepl(7)): four tables copied (base is empty),
# records by table, bytes
mcheck psnap.prom
for want in "dbrepl_snapshot_tables||4" "dbrepl_snapshot_tables_done||4" \
	'dbrepl_records_out_total|table="hr.visits_1"|1' 'dbrepl_records_out_total|table="hr.visits_2a"|1' \
	'dbrepl_records_out_total|table="hr.derived"|1' 'dbrepl_records_out_total|table="hr.base"|0' \
	"dbrepl_bytes_out_total||$(stat -c %s psnap.ndjson)"; do
	IFS='|' read -r name labels value <<<"$want"
	[ "$(mval psnap.prom "$name" "$labels")" = "$value" ] ||
		fail "snapshot --metrics: $name{$labels} is $(mval psnap.prom "$name" "$labels"), want $value"
done
q "INSERT INTO hr.visits VALUES (2, 'v2@example.com', 'note $SECRET'), (151, 'v151@example.com', 'y')"
q "INSERT INTO hr.derived VALUES (2, '$SECRET-d2', 'f')"
end=$(q "SELECT pg_current_wal_lsn()")
"$BIN/pgcdc-read" -d "$PGCONN" -S s2 -P pub2 -E "$end" --hash-salt-file salt.txt "${PMASKS[@]}" >pstream.ndjson \
	2>pstream.err || fail "pgcdc-read (partitions) exited $? ($(cat pstream.err))"
for f in psnap pstream; do
	[ "$(jq -r .table $f.ndjson | sort | tr '\n' ' ')" = "derived visits_1 visits_2a " ] ||
		fail "$f: tables $(jq -r .table $f.ndjson | sort | tr '\n' ' ')"
	! grep -qF "$SECRET" $f.ndjson || fail "$f: a value excluded on the parent table is in the output"
	# every partition's email is the salted hash of the source's
	ids=$(jq -r 'select(.table != "derived") | .after.id' $f.ndjson | paste -sd,)
	[ "$(jq -r 'select(.table != "derived") | "\(.after.id) \(.after.email)"' $f.ndjson | sort -n)" = \
		"$(q "SELECT id || ' ' || $(h email) FROM hr.visits WHERE id IN ($ids) ORDER BY id")" ] ||
		fail "$f: the partitions' emails are not the hashes of the source's"
	[ "$(jq -c 'select(.table == "derived") | .cols[] | select(.name == "ssn") | .mask' $f.ndjson | sort -u)" = '"excluded"' ] ||
		fail "$f: the inheritance child's ssn is not excluded"
done

# ---- the salt never on a command line ----
DBREPL_HASH_SALT=$SALT "$BIN/pgcdc-read" -d "$PGCONN" -S s -P pub "${MASKS[@]}" >/dev/null 2>live.err &
pid=$!
on_exit "kill $pid"
sleep 1
kill -0 $pid || fail "pgcdc-read did not keep running ($(cat live.err))"
! tr '\0' ' ' </proc/$pid/cmdline | grep -qF "pepper" || fail "the salt is in pgcdc-read's command line"
kill -TERM $pid
wait $pid || fail "pgcdc-read exited $? on SIGTERM"
# ---- a rename under a rule stops pgcdc-read before a value leaves ----
# pgoutput sends a relation again after DDL and after a reconnect. A RENAME
# of a masked column or of its table makes the options' names miss it:
# pgcdc-read must stop (78) before a record of the new shape, with what came
# before written and confirmed; started again naming the column as it is
# now, it goes on from there. Caught: a column renamed, a table renamed
# across a reconnect, a column renamed to the name of one dropped with it,
# a rename and a drop in the transaction of an insert, a rename seen first
# in a backfill's chunk, a rename with a column of the old name added, a
# rename onto a dropped name dropped in turn, a rename made while it was
# down, a rename with the old name added while it runs behind. A masked
# column dropped goes on; a column added after that stops it once.
q "CREATE TABLE hr.staff (id integer PRIMARY KEY, ssn text, tag text, old_ssn text)"
q "CREATE TABLE hr.badge (id integer PRIMARY KEY, ssn text)"
q "CREATE TABLE hr.card (id integer PRIMARY KEY, ssn text)"
q "CREATE TABLE hr.t7 (id integer PRIMARY KEY, ssn text)"
q "CREATE TABLE hr.t8 (id integer PRIMARY KEY, ssn text, old text)"
q "CREATE TABLE hr.t9 (id integer PRIMARY KEY, ssn text)"
q "CREATE TABLE hr.t10 (id integer PRIMARY KEY, ssn text)"
q "CREATE PUBLICATION pub3 FOR TABLE hr.staff, hr.badge, hr.card, hr.t7, hr.t8, hr.t9, hr.t10"
q "SELECT 1 FROM pg_create_logical_replication_slot('s3', 'pgoutput')" >/dev/null
live3() { # live3 OUT RULES... : pgcdc-read on s3 in the background ($live)
	out=$1
	shift
	local i
	for ((i = 0; i < 100; i++)); do # the last one's walsender lets the slot go
		[ "$(q "SELECT active FROM pg_replication_slots WHERE slot_name = 's3'")" = f ] && break
		sleep 0.1
	done
	"$BIN/pgcdc-read" -d "$PGCONN" -S s3 -P pub3 --no-progress --hash-salt-file salt.txt "$@" >"$out" 2>"$out.err" &
	live=$!
	on_exit "kill $live 2>/dev/null"
}
wait_for() { # wait_for JQ-FILTER : until a record of $out matches
	local i
	for ((i = 0; i < 200; i++)); do
		[ -n "$(jq -c "select($1)" "$out" 2>/dev/null)" ] && return 0
		sleep 0.05
	done
	fail "no record ($1) in $out: $(cat "$out.err")"
}
stopped() { # stopped WHAT MESSAGE : $live exits by itself, 78, saying MESSAGE; no secret left
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 $live 2>/dev/null || break
		sleep 0.05
	done
	kill -0 $live 2>/dev/null && fail "pgcdc-read went on after $1 ($(cat "$out.err"))"
	wait $live
	local rc=$?
	[ $rc = 78 ] || fail "$1: pgcdc-read exited $rc, want 78 ($(cat "$out.err"))"
	grep -qF -- "$2" "$out.err" || fail "$1: the message lacks '$2': $(cat "$out.err")"
	! grep -qF "$SECRET" "$out" || fail "$1: a value left unmasked: $(grep -F "$SECRET" "$out")"
}
ids() { jq -c '[.table, .after.id]' "$out" | tr '\n' ' '; }
goes_on() { # goes_on WHAT : $live still runs; stop it
	kill -0 $live 2>/dev/null || fail "pgcdc-read stopped at $1 ($(cat $out.err))"
	kill -TERM $live
	wait $live || fail "pgcdc-read exited $? on SIGTERM after $1"
	! grep -qF "$SECRET" $out || fail "$1: $(grep -F "$SECRET" $out)"
}

# 1. the column renamed while it runs
live3 r1.ndjson --exclude-column hr.staff.ssn --exclude-column hr.badge.ssn --exclude-column hr.card.ssn
q "INSERT INTO hr.staff VALUES (1, '$SECRET-s1', 'a')"
wait_for '.table == "staff" and .after.id == 1'
q "ALTER TABLE hr.staff RENAME COLUMN ssn TO social"
q "INSERT INTO hr.staff VALUES (2, '$SECRET-s2', 'b')"
stopped "a column renamed" "its column ssn, excluded before, is social now, and would go unmasked"
[ "$(ids)" = '["staff",1] ' ] || fail "before the column rename: $(ids)"

# 2. named as it is now, it goes on from there; then the table renamed
# across a reconnect (the relation cache is emptied, what was masked is not
# forgotten)
live3 r2.ndjson --exclude-column hr.staff.social --exclude-column hr.badge.ssn --exclude-column hr.card.ssn
wait_for '.table == "staff" and .after.id == 2'
q "INSERT INTO hr.badge VALUES (1, '$SECRET-b1')"
wait_for '.table == "badge" and .after.id == 1'
[ -n "$(q "SELECT pid FROM pg_stat_replication")" ] || fail "no walsender of pgcdc-read"
q "SELECT pg_terminate_backend(pid) FROM pg_stat_replication" >/dev/null
q "ALTER TABLE hr.badge RENAME TO pass"
q "INSERT INTO hr.pass VALUES (2, '$SECRET-b2')"
stopped "a table renamed across a reconnect" "its column ssn was excluded, and would now go unmasked"
[ "$(ids)" = '["staff",2] ["badge",1] ' ] || fail "before the table rename: $(ids)"

# 3. a rename onto the name of a column dropped with it; 4. a rename, an
# insert and a drop in one transaction
live3 r3.ndjson --exclude-column hr.staff.social --exclude-column hr.pass.ssn --exclude-column hr.card.ssn \
	--hash-column hr.staff.tag
wait_for '.table == "pass" and .after.id == 2'
q "INSERT INTO hr.staff VALUES (3, '$SECRET-s3', 'c', 'x')"
wait_for '.table == "staff" and .after.id == 3'
q "ALTER TABLE hr.staff DROP COLUMN old_ssn; ALTER TABLE hr.staff RENAME COLUMN social TO old_ssn"
q "INSERT INTO hr.staff VALUES (4, '$SECRET-s4', 'd')"
stopped "a rename onto a dropped column's name" "its column social, excluded before, is old_ssn now"
live3 r4.ndjson --exclude-column hr.staff.old_ssn --exclude-column hr.pass.ssn --exclude-column hr.card.ssn \
	--hash-column hr.staff.tag
wait_for '.table == "staff" and .after.id == 4'
q "INSERT INTO hr.card VALUES (1, '$SECRET-c1')"
wait_for '.table == "card" and .after.id == 1'
q "BEGIN; ALTER TABLE hr.card RENAME COLUMN ssn TO num; INSERT INTO hr.card VALUES (2, '$SECRET-c2');
   ALTER TABLE hr.card DROP COLUMN num; COMMIT"
stopped "a rename and a drop in one transaction" "its column ssn, excluded before, is not in it, and num"
# Started again it would send that transaction again, with the column as it
# was then, which no rule can name now (pgcdc-read(1)): the slot is moved
# past it, as the man page says to.
for ((i = 0; i < 100; i++)); do
	[ "$(q "SELECT active FROM pg_replication_slots WHERE slot_name = 's3'")" = f ] && break
	sleep 0.1
done
q "SELECT 1 FROM pg_replication_slot_advance('s3', pg_current_wal_lsn())" >/dev/null

# 5. a masked column dropped goes on; a column added later stops it once,
# and it goes on when started again
live3 r5.ndjson --exclude-column hr.staff.old_ssn --exclude-column hr.pass.ssn --hash-column hr.staff.tag
q "INSERT INTO hr.staff VALUES (5, '$SECRET-s5', 'e')"
wait_for '.table == "staff" and .after.id == 5'
q "ALTER TABLE hr.staff DROP COLUMN old_ssn"
q "INSERT INTO hr.staff VALUES (6, 'f')"
wait_for '.table == "staff" and .after.id == 6'
q "ALTER TABLE hr.staff ADD COLUMN n integer"
q "INSERT INTO hr.staff VALUES (7, 'g', 7)"
stopped "a column added after a masked one was dropped" "its column old_ssn, excluded before, is not in it, and n, which it did not have, is"
grep -qF "if it was dropped, remove its rule;" $out.err || fail "the advice for a drop: $(cat $out.err)"
live3 r6.ndjson --exclude-column hr.pass.ssn --hash-column hr.staff.tag
wait_for '.table == "staff" and .after.id == 7'
goes_on "a restart after a drop"

# 6. the chunks of an online backfill name the columns as they are now: a
# column renamed on a table that has sent no change since is caught there
live3 r7.ndjson --exclude-column hr.pass.ssn --hash-column hr.staff.tag
q "INSERT INTO hr.pass VALUES (4, '$SECRET-b4')"
wait_for '.table == "pass" and .after.id == 4'
q "ALTER TABLE hr.pass RENAME COLUMN ssn TO code"
timeout 60 "$BIN/snapshot" -d "$PGCONN" --online --slot s3 -t hr.pass --no-progress 2>snap7.err ||
	echo "snapshot --online exited $? ($(cat snap7.err))" >&2
stopped "a column renamed, then a backfill" "its column ssn, excluded before, is code now, and would go unmasked"
skip_past() { # the slot past what the last run did not confirm
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(q "SELECT active FROM pg_replication_slots WHERE slot_name = 's3'")" = f ] && break
		sleep 0.1
	done
	q "SELECT 1 FROM pg_replication_slot_advance('s3', pg_current_wal_lsn())" >/dev/null
}
skip_past

# 7. renamed, and a column of its old name added (a type changed by hand)
live3 r8.ndjson --exclude-column hr.t7.ssn --exclude-column hr.t8.ssn
q "INSERT INTO hr.t7 VALUES (1, '$SECRET-t1')"
wait_for '.table == "t7" and .after.id == 1'
q "ALTER TABLE hr.t7 RENAME COLUMN ssn TO ssn_old; ALTER TABLE hr.t7 ADD COLUMN ssn bigint"
q "INSERT INTO hr.t7 VALUES (2, '$SECRET-t2', 2)"
stopped "a column renamed and one of its name added" "its column ssn, excluded before, is ssn_old now, and would go unmasked"
skip_past

# 8. renamed to the name of a column dropped with it, then dropped too,
# before the stream gets there: the catalog no longer has either
live3 r9.ndjson --exclude-column hr.t8.ssn
q "INSERT INTO hr.t8 VALUES (1, '$SECRET-u1', 'x')"
wait_for '.table == "t8" and .after.id == 1'
q "BEGIN; ALTER TABLE hr.t8 DROP COLUMN old; ALTER TABLE hr.t8 RENAME COLUMN ssn TO old;
   INSERT INTO hr.t8 VALUES (2, '$SECRET-u2'); ALTER TABLE hr.t8 DROP COLUMN old; COMMIT"
stopped "a rename onto a dropped name, dropped too" "its column old is not the one it was"
skip_past

# 9. renamed while pgcdc-read was down, after a change it had not sent:
# started again with the rule as the column is now, it knows the table
# from the catalog, and the change, sent with the old name, stops it
live3 r10.ndjson --exclude-column hr.t9.ssn
q "INSERT INTO hr.t9 VALUES (1, '$SECRET-v1')"
wait_for '.table == "t9" and .after.id == 1'
kill -TERM $live
wait $live || fail "pgcdc-read exited $? on SIGTERM before the rename"
q "INSERT INTO hr.t9 VALUES (2, '$SECRET-v2')"
q "ALTER TABLE hr.t9 RENAME COLUMN ssn TO social"
live3 r11.ndjson --exclude-column hr.t9.social
stopped "a rename made while it was down" "its column social, excluded before, is not in it, and ssn, which it did not have, is"
skip_past

# 10. the same while it runs behind (stopped): the relation before the
# rename comes after it, when the catalog gives its name to the new column
live3 r12.ndjson --exclude-column hr.t10.ssn
q "INSERT INTO hr.t10 VALUES (1, '$SECRET-w1')"
wait_for '.table == "t10" and .after.id == 1'
kill -STOP $live
q "ALTER TABLE hr.t10 ADD COLUMN note text"
q "INSERT INTO hr.t10 VALUES (2, '$SECRET-w2', 'n')"
q "ALTER TABLE hr.t10 RENAME COLUMN ssn TO ssn_old; ALTER TABLE hr.t10 ADD COLUMN ssn bigint"
q "INSERT INTO hr.t10 VALUES (3, '$SECRET-w3', 'm', 3)"
kill -CONT $live
stopped "a rename and an add while behind" "its column ssn, excluded before, is no longer the column it was"
[ "$(jq -c 'select(.table == "staff") | .cols | map(.name + ":" + (.mask // "none"))' r5.ndjson r6.ndjson | tr '\n' ' ')" = \
	'["id:none","old_ssn:excluded","tag:sha256"] ["id:none","tag:sha256"] ["id:none","tag:sha256","n:none"] ' ] ||
	fail "staff's columns through the drop: $(jq -c 'select(.table == "staff") | .cols' r5.ndjson r6.ndjson)"

echo "masking: ok"
