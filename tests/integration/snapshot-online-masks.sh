#!/usr/bin/env bash
# The masks of pgcdc-read (--exclude-column, --mask-column, --hash-column)
# hold for the rows of an online backfill as for the stream's changes:
# snapshot --online writes the rows into the WAL as they are, and
# pgcdc-read masks them before they leave.
#
# 1. A window made by hand (as in snapshot-online-windows) on a table whose
#    key is hashed: the stream's changes in the window are noted by their
#    hashed key, so the chunk's rows must be masked before they meet the
#    notes; else the rows the window changed go out whole and stale. The
#    chunk's records carry the same columns, types and masks as the
#    stream's, an excluded value is in no record, and a partial update
#    (a TOASTed column the stream did not send) has no value in the
#    excluded column. A truncate of a backfill carries the masks too.
# 2. snapshot --online itself, into pgcdc-read | mssql-apply, on a table and
#    (through examples/backfill.sh) on a partition whose parent has the rules: the target is the source,
#    masked, value for value; the excluded values are in no output; the
#    chunks count in pgcdc-read's --metrics. snapshot --online refuses
#    masks of its own (64).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/compare.sh"
source "$(dirname "$0")/../lib/metrics.sh"
needs snapshot pgcdc-read mssql-apply peers/tds-server jq
pg_start
tds_start
export MSSQL_PASSWORD=unused
T=$TEST_TMP
cd "$T" || exit 1
SALT='pepper-$ "salt"'
printf '%s\n' "$SALT" >salt.txt
SECRET=987-65-4321
MASKS=(--hash-salt-file salt.txt --hash-column hr.people.id --hash-column people.email --mask-column hr.people.name
	--mask-text '[gone]' --exclude-column hr.people.ssn --exclude-column hr.visits.note)
h() { echo "encode(sha256(convert_to(\$salt\$$SALT\$salt\$ || $1, 'UTF8')), 'hex')"; }

q "CREATE SCHEMA hr;
   CREATE TABLE hr.people (id int PRIMARY KEY, email text, name text, ssn text, big text, n int);
   ALTER TABLE hr.people ALTER big SET STORAGE EXTERNAL;
   INSERT INTO hr.people SELECT i, 'user' || i || '@example.com', 'Name ' || i, '$SECRET-' || i,
          repeat(md5(i::text), 100), i FROM generate_series(1, 6) i;
   CREATE TABLE hr.visits (id int PRIMARY KEY, email text, note text) PARTITION BY RANGE (id);
   CREATE TABLE hr.visits_1 PARTITION OF hr.visits FOR VALUES FROM (0) TO (1000);
   CREATE PUBLICATION pub FOR TABLE hr.people;"
q "SELECT pg_create_logical_replication_slot('s', 'pgoutput')" >/dev/null

# ---- 1. a window by hand ----
# Row 4 has no TOASTed value: an update sends every column but the
# excluded one, and the chunk has nothing to add.
q "UPDATE hr.people SET big = NULL WHERE id = 4"
"$BIN/snapshot" -d "$PGCONN" -t hr.people --no-progress >chunk.ndjson || fail "reading the chunk"
emit() { # emit CONTENT-FILE
	echo "SELECT pg_logical_emit_message(true, 'dbrepl', :'c')" |
		psql -X -q -At -v ON_ERROR_STOP=1 -v c="$(cat "$1")" >/dev/null || fail "emitting a watermark"
}
header() { # header KIND CHUNK [extra JSON members]
	printf '{"v":1,"kind":"%s","slot":"s","id":"by-hand","schema":"hr","table":"people","chunk":%s%s}\n' "$1" "$2" "${3:-}"
}
low=',"key":["id"],"cols":["id","email","name","ssn","big","n"],"types":["integer","text","text","text","text","integer"],"max_wal":100000000'
header low 0 "$low" >low0
emit low0
q "UPDATE hr.people SET name = 'Changed', ssn = 'new $SECRET' WHERE id = 2;
   DELETE FROM hr.people WHERE id = 3;
   UPDATE hr.people SET n = 50 WHERE id = 5;
   UPDATE hr.people SET n = 40 WHERE id = 4;"
{ header high 0 ',"rows":6,"truncate":false'; cat chunk.ndjson; } >high0
emit high0
# a second chunk, with the truncate of a backfill --truncate
header low 1 "$low" >low1
emit low1
{ header high 1 ',"rows":0,"truncate":true'; } >high1
emit high1
end=$(q "SELECT pg_current_wal_insert_lsn()")
"$BIN/pgcdc-read" -d "$PGCONN" -S s -P pub -E "$end" --no-progress "${MASKS[@]}" >out1.ndjson 2>read1.err ||
	fail "pgcdc-read exited $? ($(cat read1.err))"

! grep -qF "$SECRET" out1.ndjson || fail "an excluded value left through pgcdc-read"
! grep -qF "pepper" out1.ndjson read1.err || fail "the salt is in the output"
! grep -q "@example.com" out1.ndjson || fail "an e-mail address left unhashed"
[ "$(jq -c 'select(has("after") and (.after | has("ssn")) or (has("before") and (.before | has("ssn"))))' out1.ndjson)" = "" ] ||
	fail "a record holds a value of the excluded column"
# One shape for all: stream, chunk, partial updates, truncate.
[ "$(jq -c .cols out1.ndjson | sort -u | wc -l)" = 1 ] || fail "records of differing columns: $(jq -c .cols out1.ndjson | sort -u)"
[ "$(jq -c .cols out1.ndjson | head -n 1)" = '[{"name":"id","type":"character(64)","mask":"sha256"},{"name":"email","type":"character(64)","mask":"sha256"},{"name":"name","type":"text","mask":"fixed"},{"name":"ssn","type":"text","mask":"excluded"},{"name":"big","type":"text"},{"name":"n","type":"integer"}]' ] ||
	fail "the columns: $(jq -c .cols out1.ndjson | head -n 1)"
# The window's changes by hashed key: 2 and 5 changed (the chunk sends only
# their TOASTed big), 3 deleted and 4 changed whole (dropped); 1 and 6 as
# read.
hid() { q "SELECT $(h "'$1'")"; }
declare -A name_of
for i in 1 2 3 4 5 6; do name_of[$(hid $i)]=$i; done
got=$(jq -r '[.op, ((.after // .before // {}).id // "-"), (.after.name // "-"), (.after.n // "-"), ((.after.big // "") | length), ((.unchanged // ["-"]) | join(","))] | @tsv' out1.ndjson |
	while IFS=$'\t' read -r op id name n big unch; do echo "$op ${name_of[$id]:-$id} $name $n $big $unch"; done | tr '\n' ';')
want='u 4 [gone] 4 0 -;u 2 [gone] 2 0 big;d 3 - - 0 -;u 5 [gone] 50 0 big;u 4 [gone] 40 0 -;'
want+='r 1 [gone] 1 3200 -;u 2 - - 3200 email,name,n;u 5 - - 3200 email,name,n;r 6 [gone] 6 3200 -;t - - - 0 -;'
[ "$got" = "$want" ] || fail "pgcdc-read wrote: $got
want: $want"
# The chunk's values are SQL's hashes of the source's.
[ "$(jq -r 'select(.op == "r") | "\(.after.id) \(.after.email)"' out1.ndjson | sort)" = \
	"$(q "SELECT $(h 'id::text') || ' ' || $(h email) FROM hr.people WHERE id IN (1, 6) ORDER BY 1")" ] ||
	fail "the chunk's hashes differ from SQL's"
note "1: a hand-made window with a hashed key, masked before it met the stream's notes"

# ---- 2. snapshot --online into pgcdc-read | mssql-apply ----
q "TRUNCATE hr.people;
   INSERT INTO hr.people SELECT i, 'user' || i || '@example.com', CASE WHEN i % 7 = 0 THEN NULL ELSE 'Name ' || i END,
          '$SECRET-' || i, repeat(md5(i::text), 100), i FROM generate_series(1, 300) i;
   INSERT INTO hr.visits SELECT i, 'v' || i || '@example.com', 'note $SECRET' FROM generate_series(1, 120) i;
   ALTER PUBLICATION pub ADD TABLE hr.visits;"
q "SELECT pg_create_logical_replication_slot('s2', 'pgoutput')" >/dev/null
rc=0
DBREPL_HASH_SALT=x "$BIN/snapshot" -d "$PGCONN" --online --slot s2 -t hr.people --hash-column people.email \
	>/dev/null 2>masks.err || rc=$?
[ "$rc" = 64 ] || fail "snapshot --online with masks exited $rc, want 64 ($(cat masks.err))"
grep -q "pgcdc-read" masks.err || fail "snapshot --online with masks: $(cat masks.err)"

# The target's tables, made by the stream (the truncate of a backfill
# carries the columns).
mkfifo s2.pipe
"$BIN/pgcdc-read" -d "$PGCONN" -S s2 -P pub -s 1 --ack ack2 --no-progress -v "${MASKS[@]}" \
	--metrics read.prom 2>read2.err | tee out2.ndjson >s2.pipe &
reader=$!
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --ack ack2 --no-progress \
	<s2.pipe 2>apply2.err &
applier=$!
on_exit "kill $applier 2>/dev/null; pkill -TERM -P $$ -f '^$BIN/pgcdc-read ' 2>/dev/null"
"$BIN/snapshot" -d "$PGCONN" --online --slot s2 -t hr.people --truncate --chunk-rows 50 \
	--no-progress 2>snap2.err || fail "snapshot --online exited $? ($(cat snap2.err))"
# The partition through the example script (resumable, with its state).
BIN=$BIN PGCONN=$PGCONN SLOT=s2 TRUNCATE=1 STATE_DIR=$T/bf "$top/examples/backfill.sh" hr.visits_1 2>>snap2.err ||
	fail "examples/backfill.sh exited $? ($(cat snap2.err))"
[ ! -e "$T/bf/hr.visits_1.state" ] || fail "examples/backfill.sh left its state behind"
q "UPDATE hr.people SET n = n + 1000 WHERE id % 10 = 0; DELETE FROM hr.visits WHERE id > 100"
people_want() {
	q "SELECT json_build_object('id', $(h 'id::text'), 'email', $(h email),
		'name', CASE WHEN name IS NULL THEN NULL ELSE '[gone]' END, 'big', big, 'n', n)::text FROM hr.people" | jq -c -S . | sort
}
people_got() {
	tq "SELECT json_build_object('id', rtrim(id), 'email', rtrim(email), 'name', name, 'big', big, 'n', n)::text
		FROM hr.people" 2>/dev/null | jq -c -S . | sort
}
visits_want() { q "SELECT json_build_object('id', id, 'email', email)::text FROM hr.visits_1" | jq -c -S . | sort; }
visits_got() { tq "SELECT json_build_object('id', id, 'email', email)::text FROM hr.visits_1" 2>/dev/null | jq -c -S . | sort; }
people_want >people.want
visits_want >visits.want
for ((i = 0; i < 150; i++)); do
	people_got >people.got
	visits_got >visits.got
	cmp -s people.want people.got && cmp -s visits.want visits.got && break
	sleep 0.2
done
diff people.want people.got >d.txt || { head -n 5 d.txt >&2; tail -n 5 read2.err apply2.err >&2; fail "the target's people differ from the masked source"; }
diff visits.want visits.got >d.txt || { head -n 5 d.txt >&2; fail "the target's visits_1 differs from the source"; }
[ "$(wc -l <people.got)" = 300 ] || fail "the target holds $(wc -l <people.got) people"
[ "$(tq "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'hr' AND column_name IN ('ssn', 'note')")" = 0 ] ||
	fail "an excluded column was created at the target"
pkill -TERM -P $$ -f "^$BIN/pgcdc-read " 2>/dev/null
wait $reader $applier
! grep -qF "$SECRET" out2.ndjson || fail "an excluded value left through pgcdc-read"
! grep -q "user[0-9]*@example.com" out2.ndjson || fail "an e-mail address left unhashed"
chunks=$(grep -c "backfill of .*: chunk .* rows" read2.err)
[ "$chunks" -ge 8 ] || fail "only $chunks chunks came through pgcdc-read"
rows=$(jq -r 'select(.op == "r" and .table == "people") | .after.id' out2.ndjson | wc -l)
[ "$rows" = 300 ] || fail "$rows rows of people backfilled, want 300"
want=$(jq -r 'select(.table == "people") | .op' out2.ndjson | wc -l)
[ "$(mval read.prom dbrepl_records_out_total 'table="hr.people"')" = "$want" ] ||
	fail "pgcdc-read --metrics: $(grep people read.prom), want $want records"
note "2: $chunks chunks through pgcdc-read's masks; the target is the masked source"
echo "snapshot-online-masks: no excluded or unmasked value left through a backfill"
