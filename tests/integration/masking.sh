#!/usr/bin/env bash
# --exclude-column, --mask-column and --hash-column in snapshot and
# pgcdc-read, through a real PostgreSQL and into the TDS peer: every value
# of the records and of the target is the one SQL computes from the source
# (sha256() of the salt and the value's record text, the fixed text); an
# excluded column is in no image and no target table, and its values and
# the salt appear in no output; the salt is never on a command line; the
# snapshot (salt from the environment) and the stream (salt from a file)
# hash alike, so updates and deletes of the copied rows find them by their
# hashed key; usage and configuration errors exit 64 and 78.
set -u
. "$(dirname "$0")/../lib/pg.sh"
command -v jq >/dev/null || { echo "skip: jq missing"; exit 77; }
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

# ---- the salt never on a command line ----
DBREPL_HASH_SALT=$SALT "$BIN/pgcdc-read" -d "$PGCONN" -S s -P pub "${MASKS[@]}" >/dev/null 2>live.err &
pid=$!
on_exit "kill $pid"
sleep 1
kill -0 $pid || fail "pgcdc-read did not keep running ($(cat live.err))"
! tr '\0' ' ' </proc/$pid/cmdline | grep -qF "pepper" || fail "the salt is in pgcdc-read's command line"
kill -TERM $pid
wait $pid || fail "pgcdc-read exited $? on SIGTERM"
echo "masking: ok"
