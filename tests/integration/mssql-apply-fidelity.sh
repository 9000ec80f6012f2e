#!/usr/bin/env bash
# mssql-apply where SQL Server is stricter than PostgreSQL (issue #14), each
# case first refused by the TDS peer as SQL Server refuses it:
#   - keys: two text key columns of 400 characters make a 1,600-byte index
#     entry, more than a clustered key holds (900, error 1946): the table
#     --create-tables makes has PRIMARY KEY NONCLUSTERED (1,700 bytes); into a
#     target made beforehand with a clustered key, the row is refused by name
#     (1946 is a data error: --dead-letter takes it, the rest is applied);
#   - TRUNCATE TABLE refused for a CDC-enabled table (4711), a temporal one
#     (13545), one in an indexed view (3729) and one the login may not
#     ALTER (1088), as for a referenced one (4712): mssql-apply empties it
#     with DELETE;
#   - no value changes silently: numeric by --type-map, target columns
#     narrower than the type map's, and snapshot rows bulk-copied into an
#     empty table (a fraction finer than the column's, money beyond 4
#     decimals, a real below its range are refused, not rounded).
# Records are written here (NDJSON), and every target compared row for row.
set -u
source "$(dirname "$0")/../lib/pg.sh"
needs mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused

# rec OP TABLE COLS KEY [IMAGES]: one record of stream pg/src/fid, offsets
# growing with each call (IMAGES: "after":{…} and/or "before":{…}).
nrec=0
rec() {
	nrec=$((nrec + 1))
	printf '{"v":1,"op":"%s","db":"src","schema":"public","table":"%s","cols":%s,"key":%s,%s"src":{"lsn":"0/%X","xid":%d,"ts":"2026-11-25T10:00:00.000000Z","seq":1},"pos":{"stream":"pg/src/fid","offset":"0/%X:1"}}\n' \
		"$1" "$2" "$3" "$4" "${5:+$5,}" $((4096 + nrec)) "$nrec" $((4096 + nrec))
}
apply() { "$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --no-progress "$@"; }
rep() { printf "%${2}s" '' | tr ' ' "$1"; }

note "keys longer than 900 bytes: PRIMARY KEY NONCLUSTERED, 1946 a data error"
KC='[{"name":"a","type":"text"},{"name":"b","type":"text"},{"name":"v","type":"integer"}]'
A=$(rep a 400) B=$(rep b 400)
{
	rec c wide "$KC" '["a","b"]' "\"after\":{\"a\":\"$A\",\"b\":\"$B\",\"v\":1}"
	rec c wide "$KC" '["a","b"]' '"after":{"a":"x","b":"y","v":2}'
} >"$TEST_TMP/wide.json"
apply --create-tables <"$TEST_TMP/wide.json" 2>"$TEST_TMP/wide.err" || { cat "$TEST_TMP/wide.err" >&2; fail "a 1,600-byte key"; }
[ "$(tq "SELECT string_agg(length(a) || ':' || length(b) || ':' || v, ',' ORDER BY v) FROM public.wide")" = "400:400:1,1:1:2" ] ||
	fail "public.wide: $(tq "SELECT length(a), length(b), v FROM public.wide")"
# the peer refuses the same row in a clustered key (1946, a data error)
tds_sql "CREATE TABLE [public].[narrow] ([a] nvarchar(450) NOT NULL, [b] nvarchar(450) NOT NULL, [v] int NULL,
	CONSTRAINT [PK_narrow] PRIMARY KEY ([a], [b]))" >/dev/null || fail "creating public.narrow"
{
	rec c narrow "$KC" '["a","b"]' '"after":{"a":"x","b":"y","v":2}'
	rec c narrow "$KC" '["a","b"]' "\"after\":{\"a\":\"$A\",\"b\":\"$B\",\"v\":1}"
} >"$TEST_TMP/narrow.json"
apply <"$TEST_TMP/narrow.json" 2>"$TEST_TMP/narrow.err"
rc=$?
[ $rc = 65 ] || { cat "$TEST_TMP/narrow.err" >&2; fail "a 1,600-byte clustered key entry: exit $rc, want 65"; }
for w in "[public].[narrow]" "a='aaaa" "1946"; do
	grep -qF -- "$w" "$TEST_TMP/narrow.err" || fail "the refusal does not name $w: $(cat "$TEST_TMP/narrow.err")"
done
apply --dead-letter "$TEST_TMP/dead.json" <"$TEST_TMP/narrow.json" 2>"$TEST_TMP/narrow2.err" ||
	{ cat "$TEST_TMP/narrow2.err" >&2; fail "--dead-letter with a 1946"; }
[ "$(grep -c '"table":"narrow"' "$TEST_TMP/dead.json")" = 1 ] || fail "dead letters: $(cat "$TEST_TMP/dead.json")"
[ "$(tq "SELECT string_agg(a || b || v, ',') FROM public.narrow")" = "xy2" ] || fail "public.narrow: $(tq "TABLE public.narrow")"

note "TRUNCATE refused (4711 CDC, 13545 temporal, 3729 indexed view, 1088 no ALTER permission): DELETE instead"
TC='[{"name":"id","type":"integer"},{"name":"v","type":"text"}]'
for t in cdc temporal inview noalter; do
	tds_sql "CREATE TABLE [public].[$t] ([id] int NOT NULL, [v] nvarchar(max) NULL, CONSTRAINT [PK_$t] PRIMARY KEY ([id]));
		INSERT INTO [public].[$t] ([id], [v]) VALUES (1, N'old'), (2, N'old')" >/dev/null || fail "creating $t"
done
tq "SELECT tds_catalog.refuse_truncate('public.cdc', 4711), tds_catalog.refuse_truncate('public.temporal', 13545),
	tds_catalog.refuse_truncate('public.inview', 3729, 'dbo.v_inview'), tds_catalog.refuse_truncate('public.noalter', 1088)" >/dev/null
for n in 4711:cdc 13545:temporal 3729:inview 1088:noalter; do
	tds_sql "TRUNCATE TABLE [public].[${n#*:}]" >"$TEST_TMP/trunc.out" 2>&1 && fail "TRUNCATE of ${n#*:} was taken"
	grep -qF "Msg ${n%:*} (severity 16, state 1)" "$TEST_TMP/trunc.out" || fail "want ${n%:*}: $(cat "$TEST_TMP/trunc.out")"
done
{
	for t in cdc temporal inview noalter; do
		rec t "$t" '[]' '[]'
		rec c "$t" "$TC" '["id"]' "\"after\":{\"id\":3,\"v\":\"new $t\"}"
	done
} >"$TEST_TMP/trunc.json"
apply --batch-rows 2 <"$TEST_TMP/trunc.json" 2>"$TEST_TMP/trunc.err" || { cat "$TEST_TMP/trunc.err" >&2; fail "truncates"; }
for t in cdc temporal inview noalter; do
	[ "$(tq "SELECT string_agg(id || ' ' || v, ',') FROM public.$t")" = "3 new $t" ] ||
		fail "public.$t after its truncate: $(tq "TABLE public.$t")"
done
[ "$(grep -c "TRUNCATE TABLE refused" "$TEST_TMP/trunc.err")" = 4 ] || fail "fallbacks: $(cat "$TEST_TMP/trunc.err")"
note "no value changes silently: --type-map numeric=decimal(p,s), narrower target columns"
RC='[{"name":"id","type":"integer"},{"name":"r","type":"numeric"}]'
{
	rec c ratio "$RC" '["id"]' '"after":{"id":1,"r":"0.5"}'
	rec c ratio "$RC" '["id"]' '"after":{"id":2,"r":"0.28571428571428571429"}'
	rec c ratio "$RC" '["id"]' '"after":{"id":3,"r":"-1234567890123456789012345678.1234567890"}'
} >"$TEST_TMP/ratio.json"
apply --create-tables --type-map numeric=decimal\(38,10\) --dead-letter "$TEST_TMP/dead2.json" <"$TEST_TMP/ratio.json" \
	2>"$TEST_TMP/ratio.err" || { cat "$TEST_TMP/ratio.err" >&2; fail "--type-map numeric=decimal(38,10)"; }
[ "$(tq "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.ratio'::regclass
	AND attname = 'r'")" = "numeric(38,10)" ] || fail "ratio.r is not decimal(38,10)"
[ "$(tq "SELECT string_agg(id || '=' || r, ',' ORDER BY id) FROM public.ratio")" = \
	"1=0.5000000000,3=-1234567890123456789012345678.1234567890" ] || fail "public.ratio: $(tq "TABLE public.ratio")"
grep -q '"id":2,' "$TEST_TMP/dead2.json" && [ "$(grep -c . "$TEST_TMP/dead2.json")" = 1 ] ||
	fail "dead letters: $(cat "$TEST_TMP/dead2.json")"
grep -qF "id='2'): column r: \"0.28571428571428571429\" does not go into decimal(38,10) unchanged" "$TEST_TMP/ratio.err" ||
	fail "2/7 not refused by name: $(cat "$TEST_TMP/ratio.err")"
apply --type-map numeric=float </dev/null 2>"$TEST_TMP/map.err"
[ $? = 64 ] || fail "--type-map numeric=float was taken"
# a target made beforehand with narrower types than the type map's: a value
# SQL Server would round or cut on the way in is refused instead
tds_sql "CREATE TABLE [public].[narrowtypes] ([id] int NOT NULL, [d] decimal(10,2) NULL, [ts] datetime2(3) NULL,
	[b] bit NULL, CONSTRAINT [PK_narrowtypes] PRIMARY KEY ([id]))" >/dev/null || fail "creating narrowtypes"
NC='[{"name":"id","type":"integer"},{"name":"d","type":"numeric(12,3)"},{"name":"ts","type":"timestamp without time zone"},{"name":"b","type":"integer"}]'
{
	rec c narrowtypes "$NC" '["id"]' '"after":{"id":1,"d":"1.250","ts":"2026-11-25T13:58:45.123000","b":1}'
	rec c narrowtypes "$NC" '["id"]' '"after":{"id":2,"d":"1.255","ts":null,"b":null}'
	rec c narrowtypes "$NC" '["id"]' '"after":{"id":3,"d":null,"ts":"2026-11-25T13:58:45.123400","b":null}'
	rec c narrowtypes "$NC" '["id"]' '"after":{"id":4,"d":null,"ts":null,"b":5}'
} >"$TEST_TMP/narrowtypes.json"
apply --dead-letter "$TEST_TMP/dead3.json" <"$TEST_TMP/narrowtypes.json" 2>"$TEST_TMP/narrowtypes.err" ||
	{ cat "$TEST_TMP/narrowtypes.err" >&2; fail "narrower target types"; }
[ "$(tq "SELECT string_agg(concat_ws(' ', id, d, ts, b), ',' ORDER BY id) FROM public.narrowtypes")" = \
	"1 1.25 2026-11-25 13:58:45.123 t" ] || fail "public.narrowtypes: $(tq "TABLE public.narrowtypes")"
[ "$(grep -o '"id":[0-9]*' "$TEST_TMP/dead3.json" | tr '\n' ' ')" = '"id":2 "id":3 "id":4 ' ] ||
	fail "dead letters: $(cat "$TEST_TMP/dead3.json")"
for w in "decimal(10,2) unchanged (more decimals" "datetime2(3) unchanged (more fractional-second" "bit unchanged (only 0 and 1"; do
	grep -qF "$w" "$TEST_TMP/narrowtypes.err" || fail "no refusal says $w: $(cat "$TEST_TMP/narrowtypes.err")"
done
# snapshot rows into an empty table go by typed bulk copy (500 rows or
# more), whose values the server rounds to the column as a CAST would: a
# value with more than its type holds (from a producer other than
# PostgreSQL, whose text never has them) is refused there too, by name,
# and the batch holds none of it (the first, as its 500th row closes it)
awk 'BEGIN {
	for (i = 1; i <= 600; i++) {
		ts = sprintf("\"2026-01-01T%02d:%02d:%02d.000\"", int(i / 3600), int(i / 60) % 60, i % 60)
		t = sprintf("\"10:00:00.%03d0\"", i); m = sprintf("\"$%d.2300\"", i); r = "\"" i ".5\""
		if (i == 120) ts = "\"2026-01-01T23:59:59.5\""
		if (i == 130) t = "\"10:00:00.1235\""
		if (i == 140) m = "\"$0.00005\""
		if (i == 150) r = "\"1e-46\""
		printf "{\"v\":1,\"op\":\"r\",\"db\":\"src\",\"schema\":\"public\",\"table\":\"bulkexact\",\"cols\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"ts\",\"type\":\"timestamp(0) without time zone\"},{\"name\":\"t\",\"type\":\"time(3) without time zone\"},{\"name\":\"m\",\"type\":\"money\"},{\"name\":\"r\",\"type\":\"real\"}],\"key\":[\"id\"],\"after\":{\"id\":%d,\"ts\":%s,\"t\":%s,\"m\":%s,\"r\":%s},\"src\":{\"lsn\":\"0/5000\",\"xid\":0,\"ts\":\"2026-11-25T10:00:00.000000Z\",\"seq\":%d},\"pos\":{\"stream\":\"snap/src/20261125T100000Z\",\"offset\":\"%d\"}}\n", i, ts, t, m, r, i, i
	}
}' >"$TEST_TMP/bulkexact.json"
bulks() { grep -c '] bulk: COPY "public"."bulkexact"' "$TDS_LOG"; }
apply --create-tables <"$TEST_TMP/bulkexact.json" 2>"$TEST_TMP/bulkexact.err"
rc=$?
[ $rc = 65 ] || { cat "$TEST_TMP/bulkexact.err" >&2; fail "a snapshot value the column would round: exit $rc, want 65"; }
grep -qF "key id='120'): column ts: \"2026-01-01T23:59:59.5\" does not go into datetime2(0) unchanged" \
	"$TEST_TMP/bulkexact.err" || fail "the rounded timestamp not refused by name: $(cat "$TEST_TMP/bulkexact.err")"
[ "$(tq "SELECT count(*) FROM public.bulkexact")" = 0 ] || fail "half a batch applied: $(tq "SELECT count(*) FROM public.bulkexact")"
b0=$(bulks)
apply --dead-letter "$TEST_TMP/deadbulk.json" <"$TEST_TMP/bulkexact.json" 2>"$TEST_TMP/bulkexact2.err" ||
	{ cat "$TEST_TMP/bulkexact2.err" >&2; fail "--dead-letter with values the columns would round"; }
[ "$(bulks)" -gt "$b0" ] || fail "the rows did not go by bulk copy"
[ "$(grep -o '"id":[0-9]*' "$TEST_TMP/deadbulk.json" | tr '\n' ' ')" = '"id":120 "id":130 "id":140 "id":150 ' ] ||
	fail "dead letters: $(cat "$TEST_TMP/deadbulk.json")"
for w in "datetime2(0) unchanged (more fractional-second" "time(3) unchanged (more fractional-second" \
	"money unchanged (more than 4 decimals" "real unchanged (below real's smallest"; do
	grep -qF "$w" "$TEST_TMP/bulkexact2.err" || fail "no refusal says $w: $(cat "$TEST_TMP/bulkexact2.err")"
done
# the other 596 rows, value for value
want=$(awk 'BEGIN { for (i = 1; i <= 600; i++) if (i != 120 && i != 130 && i != 140 && i != 150) {
	f = sprintf("%03d", i); sub(/0+$/, "", f) # PostgreSQL prints no trailing zeros
	printf "%d|2026-01-01 %02d:%02d:%02d|10:00:00.%s|%d.2300|%d.5\n", i, int(i / 3600), int(i / 60) % 60, i % 60, f, i, i } }')
[ "$(tq "SELECT id, ts, t, m, r FROM public.bulkexact ORDER BY id")" = "$want" ] ||
	fail "public.bulkexact differs: $(diff <(echo "$want") <(tq "SELECT id, ts, t, m, r FROM public.bulkexact ORDER BY id") | head -5)"
note "statement order: a table's DELETE before its MERGE; parents' upserts first, children's deletes first"
# a key change keeping an email that another unique constraint holds, its
# TOASTed bio unchanged: the old row must be gone before the new one goes
# in (2627/2601 otherwise), and the bio comes from the old row at the target
tds_sql "CREATE TABLE [public].[acct] ([id] int NOT NULL, [email] nvarchar(100) NOT NULL, [bio] nvarchar(max) NULL,
	CONSTRAINT [PK_acct] PRIMARY KEY ([id]), CONSTRAINT [UQ_acct_email] UNIQUE ([email]))" >/dev/null || fail "creating acct"
AC='[{"name":"id","type":"integer"},{"name":"email","type":"text"},{"name":"bio","type":"text"}]'
{
	rec c acct "$AC" '["id"]' '"after":{"id":1,"email":"ann@example.com","bio":"a long bio"}'
	rec c acct "$AC" '["id"]' '"after":{"id":5,"email":"bob@example.com","bio":"bob"}'
} >"$TEST_TMP/acct1.json"
apply <"$TEST_TMP/acct1.json" 2>"$TEST_TMP/acct1.err" || { cat "$TEST_TMP/acct1.err" >&2; fail "acct"; }
{
	rec u acct "$AC" '["id"]' '"before":{"id":1},"after":{"id":2,"email":"ann@example.com"},"unchanged":["bio"]'
	rec u acct "$AC" '["id"]' '"before":{"id":5},"after":{"id":6,"email":"bob@example.com","bio":"bob, again"}'
} >"$TEST_TMP/acct2.json"
apply <"$TEST_TMP/acct2.json" 2>"$TEST_TMP/acct2.err" || { cat "$TEST_TMP/acct2.err" >&2; fail "key changes with a unique email"; }
[ "$(tq "SELECT string_agg(id || ' ' || email || ' ' || bio, ',' ORDER BY id) FROM public.acct")" = \
	"2 ann@example.com a long bio,6 bob@example.com bob, again" ] || fail "public.acct: $(tq "TABLE public.acct")"
# a parent and a child table linked by a foreign key at the target; in
# the batch the child table comes first
for t in parent child; do
	tds_sql "CREATE TABLE [public].[$t] ([id] int NOT NULL, [pid] int NULL, CONSTRAINT [PK_$t] PRIMARY KEY ([id]))" \
		>/dev/null || fail "creating $t"
done
tq "ALTER TABLE public.child ADD CONSTRAINT fk_child_parent FOREIGN KEY (pid) REFERENCES public.parent (id)"
tds_sql "INSERT INTO [public].[parent] ([id]) VALUES (1), (3);
	INSERT INTO [public].[child] ([id], [pid]) VALUES (10, 1), (12, 3)" >/dev/null || fail "parents and children"
PC='[{"name":"id","type":"integer"},{"name":"pid","type":"integer"}]'
# parent ids / child id>pid at the target
pc() { echo "$(tq "SELECT string_agg(id::text, ',' ORDER BY id) FROM public.parent")/$(tq "SELECT string_agg(id || '>' || pid, ',' ORDER BY id) FROM public.child")"; }
{
	rec u child "$PC" '["id"]' '"after":{"id":10,"pid":1}'
	rec c parent "$PC" '["id"]' '"after":{"id":2,"pid":null}'
	rec c child "$PC" '["id"]' '"after":{"id":11,"pid":2}'
	rec d child "$PC" '["id"]' '"before":{"id":12}'
	rec d parent "$PC" '["id"]' '"before":{"id":3}'
} >"$TEST_TMP/fk1.json"
apply <"$TEST_TMP/fk1.json" 2>"$TEST_TMP/fk1.err" || { cat "$TEST_TMP/fk1.err" >&2; fail "parents and children in one batch"; }
[ "$(pc)" = "1,2/10>1,11>2" ] || fail "after the batch: $(pc)"
# a child moved to a new parent, its old parent deleted: deletes first meet
# the child (547), upserts first do not
{
	rec c parent "$PC" '["id"]' '"after":{"id":4,"pid":null}'
	rec u child "$PC" '["id"]' '"after":{"id":10,"pid":4}'
	rec d parent "$PC" '["id"]' '"before":{"id":1}'
} >"$TEST_TMP/fk2.json"
apply <"$TEST_TMP/fk2.json" 2>"$TEST_TMP/fk2.err" || { cat "$TEST_TMP/fk2.err" >&2; fail "a child moved, its parent deleted"; }
[ "$(pc)" = "2,4/10>4,11>2" ] || fail "after the move: $(pc)"
grep -q "trying upserts first" "$TEST_TMP/fk2.err" || fail "no second order tried: $(cat "$TEST_TMP/fk2.err")"
# a parent's key changed (ON UPDATE CASCADE at the source moves its child
# along) while a unique constraint holds its email: deletes first meet the
# child (547), upserts first the email (2627); SQL Server defers neither to
# the commit, so the batch is refused by name and the target left as it was
tds_sql "CREATE TABLE [public].[owner] ([id] int NOT NULL, [email] nvarchar(100) NOT NULL,
	CONSTRAINT [PK_owner] PRIMARY KEY ([id]), CONSTRAINT [UQ_owner_email] UNIQUE ([email]));
CREATE TABLE [public].[pet] ([id] int NOT NULL, [pid] int NULL, CONSTRAINT [PK_pet] PRIMARY KEY ([id]))" >/dev/null ||
	fail "creating owner, pet"
tq "ALTER TABLE public.pet ADD CONSTRAINT fk_pet_owner FOREIGN KEY (pid) REFERENCES public.owner (id)"
tds_sql "INSERT INTO [public].[owner] VALUES (1, N'ann@example.com'); INSERT INTO [public].[pet] VALUES (10, 1)" >/dev/null ||
	fail "owner and pet"
OWC='[{"name":"id","type":"integer"},{"name":"email","type":"text"}]'
{
	rec u owner "$OWC" '["id"]' '"before":{"id":1},"after":{"id":2,"email":"ann@example.com"}'
	rec u pet "$PC" '["id"]' '"after":{"id":10,"pid":2}'
} >"$TEST_TMP/fk3.json"
apply <"$TEST_TMP/fk3.json" 2>"$TEST_TMP/fk3.err"
rc=$?
[ $rc = 65 ] || { cat "$TEST_TMP/fk3.err" >&2; fail "a parent's key change neither order applies: exit $rc, want 65"; }
grep -qE "547|2627|2601" "$TEST_TMP/fk3.err" || fail "not refused by SQL Server's number: $(cat "$TEST_TMP/fk3.err")"
[ "$(tq "SELECT string_agg(id || ' ' || email, ',') FROM public.owner")/$(tq "SELECT string_agg(id || '>' || pid, ',') FROM public.pet")" = \
	"1 ann@example.com/10>1" ] || fail "owner and pet changed: $(tq "TABLE public.owner") $(tq "TABLE public.pet")"

note "text keys: binary collation when created; no key merged into another that SQL Server calls equal"
# PostgreSQL's distinct keys 'a', 'A' and 'a ': the default collation
# ignores case, and every collation trailing spaces
TK='[{"name":"k","type":"text"},{"name":"v","type":"integer"}]'
{
	rec c tkeys "$TK" '["k"]' '"after":{"k":"a","v":1}'
	rec c tkeys "$TK" '["k"]' '"after":{"k":"A","v":2}'
} >"$TEST_TMP/tk1.json"
apply --create-tables <"$TEST_TMP/tk1.json" 2>"$TEST_TMP/tk1.err" || { cat "$TEST_TMP/tk1.err" >&2; fail "keys a and A"; }
[ "$(tq "SELECT string_agg(k || '=' || v, ',' ORDER BY v) FROM public.tkeys")" = "a=1,A=2" ] ||
	fail "public.tkeys: $(tq "TABLE public.tkeys")"
[ "$(tds_sql "SELECT [COLLATION_NAME] FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_NAME] = N'tkeys' AND [COLUMN_NAME] = N'k'")" = \
	Latin1_General_100_BIN2 ] || fail "the text key's collation is not binary"
rec c tkeys "$TK" '["k"]' '"after":{"k":"a ","v":3}' >"$TEST_TMP/tk2.json"
apply <"$TEST_TMP/tk2.json" 2>"$TEST_TMP/tk2.err"
rc=$?
[ $rc = 65 ] || { cat "$TEST_TMP/tk2.err" >&2; fail "key 'a ' beside 'a': exit $rc, want 65"; }
grep -qF "key k='a '" "$TEST_TMP/tk2.err" || fail "key 'a ' not named: $(cat "$TEST_TMP/tk2.err")"
[ "$(tq "SELECT string_agg(k || '=' || v, ',' ORDER BY v) FROM public.tkeys")" = "a=1,A=2" ] ||
	fail "key 'a ' changed row 'a': $(tq "TABLE public.tkeys")"
# a target made beforehand, its key in the database's collation (CI): one
# warning; a key changed only in case keeps its row; a key equal to
# another but for case is refused, not merged into it
tds_sql "CREATE TABLE [public].[cikeys] ([k] nvarchar(20) NOT NULL, [v] int NULL, CONSTRAINT [PK_cikeys] PRIMARY KEY ([k]));
	INSERT INTO [public].[cikeys] ([k], [v]) VALUES (N'abd', 1), (N'xyz', 2)" >/dev/null || fail "creating cikeys"
CK='[{"name":"k","type":"character varying(10)"},{"name":"v","type":"integer"}]'
{
	rec u cikeys "$CK" '["k"]' '"before":{"k":"abd"},"after":{"k":"ABD","v":1}'
	rec c cikeys "$CK" '["k"]' '"after":{"k":"XYZ","v":3}'
	rec u cikeys "$CK" '["k"]' '"after":{"k":"xyz","v":4}'
} >"$TEST_TMP/ck.json"
apply --dead-letter "$TEST_TMP/dead4.json" <"$TEST_TMP/ck.json" 2>"$TEST_TMP/ck.err" ||
	{ cat "$TEST_TMP/ck.err" >&2; fail "keys of a CI target"; }
[ "$(tq "SELECT string_agg(k || '=' || v, ',' ORDER BY v) FROM public.cikeys")" = "ABD=1,xyz=4" ] ||
	fail "public.cikeys: $(tq "TABLE public.cikeys")"
grep -q '"k":"XYZ"' "$TEST_TMP/dead4.json" && [ "$(grep -c . "$TEST_TMP/dead4.json")" = 1 ] ||
	fail "dead letters: $(cat "$TEST_TMP/dead4.json")"
[ "$(grep -c "key column k compares by its collation (SQL_Latin1_General_CP1_CI_AS)" "$TEST_TMP/ck.err")" = 1 ] ||
	fail "want one warning: $(cat "$TEST_TMP/ck.err")"

note "nchar keys and columns: only values of the column's length go in; a key equal but for case stays apart"
# nchar(n) pads a shorter value with blanks (SQL Server and the peer):
# 'ab' would read back 'ab ', and 'ab' and 'ab ' would be one key; and the
# database's collation ignores case, so 'ABC' must not update 'abc'
tds_sql "CREATE TABLE [public].[fxkeys] ([k] nchar(3) NOT NULL, [v] int NULL, [c] nchar(4) NULL,
	CONSTRAINT [PK_fxkeys] PRIMARY KEY ([k]))" >/dev/null || fail "creating fxkeys"
FK='[{"name":"k","type":"character varying(3)"},{"name":"v","type":"integer"},{"name":"c","type":"text"}]'
# (ABC in the batch of abc, then in a later one: refused either way, the
# later of the two, never merged into abc)
{
	rec c fxkeys "$FK" '["k"]' '"after":{"k":"abc","v":1,"c":"wxyz"}'
	rec c fxkeys "$FK" '["k"]' '"after":{"k":"ab","v":3,"c":"wxyz"}'
	rec c fxkeys "$FK" '["k"]' '"after":{"k":"ABC","v":2,"c":"WXYZ"}'
	rec c fxkeys "$FK" '["k"]' '"after":{"k":"xyz","v":4,"c":"wx"}'
	rec c fxkeys "$FK" '["k"]' '"after":{"k":"ab ","v":6,"c":"ab c"}'
} >"$TEST_TMP/fx1.json"
{
	rec c fxkeys "$FK" '["k"]' '"after":{"k":"ABC","v":7,"c":"WXYZ"}'
	rec u fxkeys "$FK" '["k"]' '"after":{"k":"abc","v":5,"c":"stuv"}'
} >"$TEST_TMP/fx2.json"
for f in fx1 fx2; do
	apply --dead-letter "$TEST_TMP/dead5.json" <"$TEST_TMP/$f.json" 2>>"$TEST_TMP/fx.err" ||
		{ cat "$TEST_TMP/fx.err" >&2; fail "nchar keys ($f)"; }
done
got=$(tq "SELECT string_agg(format('[%s]=%s/[%s]', k, v, c), ',' ORDER BY v) FROM public.fxkeys")
[ "$got" = "[abc]=5/[stuv],[ab ]=6/[ab c]" ] || fail "public.fxkeys: $got, want [abc]=5/[stuv],[ab ]=6/[ab c]"
got=$(sed -n 's/.*"after":{"k":"\([^"]*\)".*/\1/p' "$TEST_TMP/dead5.json" | tr '\n' ,)
[ "$got" = "ab,xyz,ABC,ABC," ] || fail "dead letters of fxkeys: '$got', want ab,xyz,ABC,ABC: $(cat "$TEST_TMP/dead5.json")"
grep -qF "shorter than the column" "$TEST_TMP/fx.err" || fail "no word of the padding: $(cat "$TEST_TMP/fx.err")"

note "a database whose collation is not the server's (tempdb's): staging columns in the target's"
# a restored database, say: its tables' text columns compare in its
# collation, a #temp table's in tempdb's, and the two meet in the MERGE (468)
tds_stop
tds_start --collation Latin1_General_CS_AS
DC='[{"name":"k","type":"text"},{"name":"v","type":"text"},{"name":"w","type":"character varying(5)"}]'
{
	rec c dbcoll "$DC" '["k"]' '"after":{"k":"one","v":"first","w":"a"}'
	rec c dbcoll "$DC" '["k"]' '"after":{"k":"two","v":"second","w":"b"}'
} >"$TEST_TMP/dc1.json"
{
	rec u dbcoll "$DC" '["k"]' '"after":{"k":"one","v":"First","w":"A"}'
	rec u dbcoll "$DC" '["k"]' '"after":{"k":"two","w":"B"},"unchanged":["v"]'
	rec d dbcoll "$DC" '["k"]' '"before":{"k":"one"}'
	rec c dbcoll "$DC" '["k"]' '"after":{"k":"three","v":"third","w":"c"}'
} >"$TEST_TMP/dc2.json"
apply --create-tables <"$TEST_TMP/dc1.json" 2>"$TEST_TMP/dc1.err" || { cat "$TEST_TMP/dc1.err" >&2; fail "dbcoll (create)"; }
apply <"$TEST_TMP/dc2.json" 2>"$TEST_TMP/dc2.err" || { cat "$TEST_TMP/dc2.err" >&2; fail "dbcoll (update, delete)"; }
[ "$(tq "SELECT string_agg(k || '=' || v || '/' || w, ',' ORDER BY k) FROM public.dbcoll")" = "three=third/c,two=second/B" ] ||
	fail "public.dbcoll: $(tq "TABLE public.dbcoll")"
[ "$(tds_sql "SELECT [COLUMN_NAME], [COLLATION_NAME] FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_NAME] = N'dbcoll'
	ORDER BY [ORDINAL_POSITION]" | tr '\t\n' ':,')" = "k:Latin1_General_100_BIN2,v:Latin1_General_CS_AS,w:Latin1_General_CS_AS," ] ||
	fail "dbcoll's collations"

note "bulk copy only into a target without constraints or triggers"
# bcp without CHECK_CONSTRAINTS and FIRE_TRIGGERS skips a table's triggers
# and foreign keys (SQL Server marks them not trusted; the peer does the
# same): 600 snapshot rows into a table with a trigger, into one whose
# rows reference a missing parent and into one with a CHECK constraint
# must go through INSERT … SELECT
tds_sql "CREATE TABLE [public].[audited] ([id] int NOT NULL, [v] int NULL, CONSTRAINT [PK_audited] PRIMARY KEY ([id]));
CREATE TABLE [public].[orphan] ([id] int NOT NULL, [pid] int NULL, CONSTRAINT [PK_orphan] PRIMARY KEY ([id]))" >/dev/null ||
	fail "creating audited, orphan"
tq "CREATE TABLE public.audit (id int);
CREATE FUNCTION public.audit_row() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN INSERT INTO public.audit VALUES (NEW.id); RETURN NEW; END\$\$;
CREATE TRIGGER audit_row AFTER INSERT ON public.audited FOR EACH ROW EXECUTE FUNCTION public.audit_row();
ALTER TABLE public.orphan ADD CONSTRAINT fk_orphan_parent FOREIGN KEY (pid) REFERENCES public.parent (id)" >/dev/null
BC='[{"name":"id","type":"integer"},{"name":"v","type":"integer"}]'
OC='[{"name":"id","type":"integer"},{"name":"pid","type":"integer"}]'
for i in $(seq 1 600); do rec r audited "$BC" '["id"]' "\"after\":{\"id\":$i,\"v\":$i}"; done >"$TEST_TMP/audited.json"
for i in $(seq 1 600); do rec r orphan "$OC" '["id"]' "\"after\":{\"id\":$i,\"pid\":$((i % 7 ? 2 : 999))}"; done >"$TEST_TMP/orphan.json"
apply <"$TEST_TMP/audited.json" 2>"$TEST_TMP/audited.err" || { cat "$TEST_TMP/audited.err" >&2; fail "audited"; }
[ "$(tq "SELECT count(*) FROM public.audited")/$(tq "SELECT count(*) FROM public.audit")" = 600/600 ] ||
	fail "audited: $(tq "SELECT count(*) FROM public.audited") rows, the trigger saw $(tq "SELECT count(*) FROM public.audit")"
apply <"$TEST_TMP/orphan.json" 2>"$TEST_TMP/orphan.err"
rc=$?
[ $rc = 65 ] || { cat "$TEST_TMP/orphan.err" >&2; fail "rows of a missing parent: exit $rc, want 65"; }
grep -qF "547" "$TEST_TMP/orphan.err" || fail "no 547: $(cat "$TEST_TMP/orphan.err")"
[ "$(tq "SELECT count(*) FROM public.orphan")" = 0 ] || fail "orphan rows were loaded"
# and CHECK constraints, which such a load neither checks nor trusts after
# (the peer drops them for the COPY and adds them back NOT VALID): 600
# rows into a table with one must leave it trusted, and rows that break it
# must be refused (547), not loaded
tds_sql "CREATE TABLE [public].[checked] ([id] int NOT NULL, [v] int NULL, CONSTRAINT [PK_checked] PRIMARY KEY ([id]))" \
	>/dev/null || fail "creating checked"
tq "ALTER TABLE public.checked ADD CONSTRAINT \"CK_checked_v\" CHECK (v > 0)"
for i in $(seq 1 600); do rec r checked "$BC" '["id"]' "\"after\":{\"id\":$i,\"v\":$i}"; done >"$TEST_TMP/checked1.json"
apply <"$TEST_TMP/checked1.json" 2>"$TEST_TMP/checked1.err" || { cat "$TEST_TMP/checked1.err" >&2; fail "checked"; }
[ "$(tq "SELECT count(*) FROM public.checked")" = 600 ] || fail "checked: $(tq "SELECT count(*) FROM public.checked") rows"
[ "$(tds_sql "SELECT [is_not_trusted] FROM sys.check_constraints WHERE [name] = N'CK_checked_v'")" = 0 ] ||
	fail "CK_checked_v is not trusted after the load: the rows went in unchecked"
for i in $(seq 601 1200); do rec r checked "$BC" '["id"]' "\"after\":{\"id\":$i,\"v\":$((i % 100 ? i : -i))}"; done >"$TEST_TMP/checked2.json"
tq "DELETE FROM public.checked"
apply <"$TEST_TMP/checked2.json" 2>"$TEST_TMP/checked2.err"
rc=$?
[ $rc = 65 ] || { cat "$TEST_TMP/checked2.err" >&2; fail "rows breaking a CHECK constraint: exit $rc, want 65"; }
grep -qF "547" "$TEST_TMP/checked2.err" || fail "no 547: $(cat "$TEST_TMP/checked2.err")"
[ "$(tq "SELECT count(*) FROM public.checked")" = 0 ] || fail "rows breaking CK_checked_v were loaded"

note "every batch's statements as one RPC of sp_executesql, the same text for batches alike"
# SQL Server compiles a MERGE afresh for each new batch text (no simple
# parameterization for MERGE); the statements of a batch go as one
# sp_executesql RPC whose text does not change from batch to batch (the
# staging rows and the checkpoint's values apart)
n0=$(grep -c "rpc: sp_executesql text" "$TDS_LOG")
for i in 1 2 3 4 5 6; do
	rec c plan "$TC" '["id"]' "\"after\":{\"id\":$i,\"v\":\"v$i\"}"
	rec u plan "$TC" '["id"]' "\"after\":{\"id\":$i,\"v\":\"w$i\"}"
	rec d plan "$TC" '["id"]' "\"before\":{\"id\":$((i - 1))}"
done >"$TEST_TMP/plan.json"
apply --create-tables --batch-rows 3 <"$TEST_TMP/plan.json" 2>"$TEST_TMP/plan.err" || { cat "$TEST_TMP/plan.err" >&2; fail "plan"; }
[ "$(tq "SELECT string_agg(id || v, ',') FROM public.plan")" = "6w6" ] || fail "public.plan: $(tq "TABLE public.plan")"
[ "$(grep "rpc: sp_executesql text" "$TDS_LOG" | tail -n +$((n0 + 1)) | wc -l)" = 6 ] || fail "not six RPCs"
[ "$(grep "rpc: sp_executesql text" "$TDS_LOG" | tail -n +$((n0 + 1)) | awk '{print $6}' | sort -u | wc -l)" = 1 ] ||
	fail "the batches' RPC texts differ: $(grep "rpc: sp_executesql text" "$TDS_LOG" | tail -n 6)"
# sp_executesql in T-SQL (what --print-sql writes) runs as the RPC does
[ "$(tds_sql "EXEC sp_executesql N'SELECT [v] FROM [public].[plan] WHERE [id] = @id', N'@id int', @id = 6")" = w6 ] ||
	fail "EXEC sp_executesql"
tds_sql "EXEC sp_executesql N'SELECT @a', N'@a int, @A int', @a = 1, @A = 2" >"$TEST_TMP/134.out" 2>&1 &&
	fail "@a and @A taken as two variables"
grep -qF "Msg 134 " "$TEST_TMP/134.out" || fail "want 134: $(cat "$TEST_TMP/134.out")"

note "typed staging: every type through staging columns of the target's types, by bulk copy and by INSERT … VALUES"
# 600 rows in one batch go into the staging table by typed bulk copy
# (converted client-side), then 20 changed rows by INSERT … VALUES (converted
# by the server); the target must hold exactly the source's values
psql -X -q -v ON_ERROR_STOP=1 <<'SQL' || fail "typed_src"
CREATE TABLE typed_src (id int PRIMARY KEY, i int, big bigint, sm smallint, b boolean, r real, d double precision,
	n numeric(10,3), m money, dt date, tm time, ts timestamp(3), tz timestamptz, u uuid, bin bytea, vc varchar(5),
	tx text, ch char(3), j jsonb);
INSERT INTO typed_src SELECT g, (g * 1000003 % 2147483647) * (1 - 2 * (g % 2)), g::bigint * 9007199254740993,
	g * 37 % 65536 - 32768, CASE WHEN g % 7 = 0 THEN NULL ELSE g % 3 = 0 END,
	CASE g WHEN 1 THEN 3.4028235e38 WHEN 2 THEN -1.17549435e-38 ELSE g / 7.0 END,
	CASE g WHEN 3 THEN 1.7976931348623157e308 WHEN 4 THEN -2.2250738585072014e-308 ELSE g / 3.0 END,
	CASE g WHEN 4 THEN -9999999.999 ELSE round(g * 1.001, 3) END,
	CASE g WHEN 5 THEN '-922337203685477.58' ELSE (g * 12.34)::numeric END::money,
	CASE g WHEN 6 THEN date '0001-01-01' WHEN 7 THEN date '9999-12-31' ELSE date '2000-01-01' + g END,
	CASE g WHEN 8 THEN time '23:59:59.999999' ELSE time '00:00' + g * interval '1 min 1.000001 s' END,
	timestamp '2026-01-01' + g * interval '1.001 s', timestamptz '2026-01-01 00:00:00+00' + g * interval '1.000001 s',
	md5(g::text)::uuid, CASE WHEN g % 11 = 0 THEN NULL WHEN g % 10 = 0 THEN '\x'::bytea ELSE decode(md5(g::text), 'hex') END,
	left('é😀abé😀', g % 6), CASE g WHEN 9 THEN '' WHEN 10 THEN 'x😀' ELSE 'row ' || g || repeat(' ', g % 3) END,
	left('ab', g % 3), jsonb_build_object('g', g)
FROM generate_series(1, 600) g;
SQL
TYC='[{"name":"id","type":"integer"},{"name":"i","type":"integer"},{"name":"big","type":"bigint"},{"name":"sm","type":"smallint"},{"name":"b","type":"boolean"},{"name":"r","type":"real"},{"name":"d","type":"double precision"},{"name":"n","type":"numeric(10,3)"},{"name":"m","type":"money"},{"name":"dt","type":"date"},{"name":"tm","type":"time without time zone"},{"name":"ts","type":"timestamp(3) without time zone"},{"name":"tz","type":"timestamp with time zone"},{"name":"u","type":"uuid"},{"name":"bin","type":"bytea"},{"name":"vc","type":"character varying(5)"},{"name":"tx","type":"text"},{"name":"ch","type":"character(3)"},{"name":"j","type":"jsonb"}]'
# typed_recs OP WHERE: records of typed_src's rows, as pgcdc-read writes them
typed_recs() {
	psql -X -q -At -v ON_ERROR_STOP=1 -c "SET TimeZone = 'UTC'" -c "SELECT format('{\"v\":1,\"op\":\"$1\",\"db\":\"src\",
	\"schema\":\"public\",\"table\":\"typed\",\"cols\":%s,\"key\":[\"id\"],\"after\":%s,\"src\":{\"lsn\":\"0/%s\",\"xid\":1,
	\"ts\":\"2026-11-25T10:00:00.000000Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/src/typ\",\"offset\":\"0/%s:1\"}}',
	'$TYC', json_build_object('id', id, 'i', i, 'big', big, 'sm', sm, 'b', b, 'r', r::text,
	'd', d::text, 'n', n::text, 'm', m::text, 'dt', dt::text, 'tm', to_char(tm::interval, 'HH24:MI:SS.US'),
	'ts', to_char(ts, 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), 'tz', to_char(tz AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), 'u', u::text,
	'bin', bin::text, 'vc', vc::text, 'tx', tx, 'ch', rpad(ch::text, 3), 'j', j::text), to_hex($2 + id), to_hex($2 + id))
	FROM typed_src ${3:-} ORDER BY id" | tr -d '\n\t' | sed 's/}}{/}}\n{/g'
	echo
}
# typed_rows DB: the rows as text, trailing spaces and the time zone aside
typed_rows() {
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "SELECT string_agg(concat_ws('|', id, quote_nullable(i),
	quote_nullable(big), quote_nullable(sm), quote_nullable(b), quote_nullable(r), quote_nullable(d), quote_nullable(n),
	quote_nullable(m::numeric(19,4)), quote_nullable(dt), quote_nullable(tm), quote_nullable(ts),
	quote_nullable(extract(epoch FROM tz)), quote_nullable(u), quote_nullable(encode(bin, 'hex')), quote_nullable(rtrim(vc)),
	octet_length(vc), quote_nullable(rtrim(tx)), octet_length(tx), quote_nullable(rtrim(ch)), octet_length(ch),
	quote_nullable(j::text::jsonb)), E'\n' ORDER BY id) FROM $2"
}
typed_recs c 65536 >"$TEST_TMP/typed1.json"
[ "$(wc -l <"$TEST_TMP/typed1.json")" = 600 ] || fail "typed records: $(head -c 600 "$TEST_TMP/typed1.json")"
n0=$(grep -c "bulk: 600 rows" "$TDS_LOG")
apply --create-tables <"$TEST_TMP/typed1.json" 2>"$TEST_TMP/typed1.err" || { cat "$TEST_TMP/typed1.err" >&2; fail "typed (bulk copy)"; }
[ "$(grep -c "bulk: 600 rows" "$TDS_LOG")" = $((n0 + 1)) ] || fail "the 600 rows were not bulk-copied into the staging table"
q "UPDATE typed_src AS t SET (i, big, sm, b, r, d, n, m, dt, tm, ts, tz, u, bin, vc, tx, ch, j) = (SELECT o.i, o.big, o.sm,
	o.b, o.r, o.d, o.n, o.m, o.dt, o.tm, o.ts, o.tz, o.u, o.bin, o.vc, o.tx, o.ch, o.j FROM typed_src AS o WHERE o.id = 21 - t.id)
	WHERE t.id <= 20" >/dev/null
typed_recs u 131072 "WHERE id <= 20" >"$TEST_TMP/typed2.json"
apply <"$TEST_TMP/typed2.json" 2>"$TEST_TMP/typed2.err" || { cat "$TEST_TMP/typed2.err" >&2; fail "typed (INSERT … VALUES)"; }
typed_rows "$PGDATABASE" typed_src >"$TEST_TMP/typed.want"
typed_rows "$TDS_DB" public.typed >"$TEST_TMP/typed.got"
diff "$TEST_TMP/typed.want" "$TEST_TMP/typed.got" >"$TEST_TMP/typed.diff" ||
	fail "public.typed differs from the source: $(head -c 2000 "$TEST_TMP/typed.diff")"

echo "mssql-apply-fidelity: long keys nonclustered or refused by name; TRUNCATE refusals emptied by DELETE; values refused rather than changed"
