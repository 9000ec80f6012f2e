#!/usr/bin/env bash
# pgcdc-read, value for value: a table with every common type (NaN,
# ±Infinity, ±infinity, microseconds, Unicode, bytea with NUL bytes, enums,
# domains, arrays, money, TOASTed text) goes through insert, update (TOASTed
# value unchanged and changed, key changed), delete, truncate, REPLICA
# IDENTITY DEFAULT / FULL (with and without primary key) / USING INDEX and
# ALTER TABLE ADD COLUMN in the middle of the stream. The records are then
# applied to copies of the tables in PostgreSQL itself, every value cast back
# from its normalised text with the type the record names, and the copies
# must equal the sources row for row (EXCEPT ALL both ways). Keys, before
# images, unchanged markers, column types and positions are checked too.
set -eu
source "$(dirname "$0")/../lib/pg.sh"
needs python3
pg_start

q "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy ☺')"
q "CREATE DOMAIN posint AS integer CHECK (VALUE > 0)"
q "CREATE DOMAIN stamp AS timestamptz"
q "CREATE TABLE tor (
	id integer PRIMARY KEY,
	c_small smallint, c_int integer, c_big bigint,
	c_num numeric, c_num2 numeric(12,3),
	c_real real, c_dbl double precision,
	c_bool boolean, c_text text, c_vc varchar(20), c_ch char(5),
	c_bytea bytea, c_date date, c_time time, c_timetz timetz,
	c_ts timestamp, c_tstz timestamptz, c_ts3 timestamp(3), c_iv interval, c_uuid uuid,
	c_json json, c_jsonb jsonb, c_arr integer[], c_tarr text[], c_tsarr timestamptz[],
	c_mood mood, c_dom posint, c_stamp stamp, c_money money, c_inet inet,
	c_big_text text)"
q "ALTER TABLE tor ALTER COLUMN c_big_text SET STORAGE EXTERNAL"
q "CREATE TABLE fullpk (id integer PRIMARY KEY, a text, b numeric(8,2))"
q "ALTER TABLE fullpk REPLICA IDENTITY FULL"
q "CREATE TABLE fullnopk (a integer, b text)"
q "ALTER TABLE fullnopk REPLICA IDENTITY FULL"
q "CREATE TABLE idx_t (id integer PRIMARY KEY, code text NOT NULL, v integer)"
q "CREATE UNIQUE INDEX idx_t_code ON idx_t (code)"
q "ALTER TABLE idx_t REPLICA IDENTITY USING INDEX idx_t_code"
q "CREATE TABLE trunc_t (id integer PRIMARY KEY, v text)"
q "CREATE PUBLICATION pub FOR TABLE tor, fullpk, fullnopk, idx_t, trunc_t"
q "CREATE PUBLICATION pubsimple FOR TABLE fullpk, fullnopk, idx_t, trunc_t"
q "SELECT 1 FROM pg_create_logical_replication_slot('torture', 'pgoutput')" >/dev/null
q "SELECT 1 FROM pg_create_logical_replication_slot('torturemp', 'pgoutput')" >/dev/null

# An incompressible value over 8 kB: a chain of md5 sums.
big() { echo "(SELECT string_agg(md5('$1' || i), '') FROM generate_series(1, 300) i)"; }

psql -X -q -v ON_ERROR_STOP=1 <<SQL
INSERT INTO tor VALUES (1, 1, 2, 3, 4.5, 6.789, 1.5, 2.25, true, 'plain', 'vc', 'ab',
	'\x0001ff', '2026-11-25', '13:58:45.123456', '13:58:45.5+02', '2026-11-25 13:58:45.123456',
	'2026-11-25 13:58:45.123456+05:30', '2026-01-02 03:04:05.678', '1 year 2 mons 3 days 04:05:06.5',
	'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.50, "x"]}', '{"b": {"c": null}}',
	'{1,2,NULL,4}', '{"with space","q\"uote",NULL,"back\\\\slash"}',
	'{"2026-11-25 13:58:45+01","infinity"}', 'happy ☺', 7, '2001-02-03 04:05:06.000007+00',
	'1234.56', '192.168.0.1/24', $(big one));
INSERT INTO tor (id) VALUES (2);
INSERT INTO tor VALUES (3, -32768, -2147483648, 9223372036854775807, 'NaN',
	-123456789.123, 'NaN', 'Infinity', false,
	E'Unicode 日本語 ☺ \U0001F600, quote '' " backslash \\\\ newline\n tab\t end', 'ünïcödé', 'x',
	'\x00', 'infinity', '00:00:00', '23:59:59.999999-14:59', '-infinity', 'infinity',
	'0044-03-15 12:00:00 BC', '-1 years -2 mons +3 days -04:05:06.000001',
	'00000000-0000-0000-0000-000000000000', '[]', '"s"', '{}', '{}', NULL,
	'sad', 2147483647, 'infinity', '-92233720368547758.08', '::1', 'short');
INSERT INTO tor (id, c_num, c_real, c_dbl, c_text, c_bytea, c_tstz, c_date, c_big_text)
	VALUES (4, '123456789012345678901234567890.123456789012345678901234567890', '-Infinity',
	'-Infinity', '', '\x', '1970-01-01 00:00:00+00', '1999-12-31', $(big four));
INSERT INTO tor (id, c_num, c_real, c_dbl, c_tstz, c_ts) VALUES (5, '-0.000000001', 3.4028235e38,
	1.7976931348623157e308, '2026-06-30 23:59:59.999999-07', '2000-02-29 00:00:00.000001');
INSERT INTO fullpk VALUES (1, 'one', 1.5), (2, 'two', 2.5), (3, NULL, NULL);
INSERT INTO fullnopk VALUES (1, 'a'), (2, NULL), (3, 'c');
INSERT INTO idx_t VALUES (1, 'A', 10), (2, 'B', 20);
INSERT INTO trunc_t SELECT g, 'v' || g FROM generate_series(1, 5) g;
-- TOASTed value not changed, then changed.
UPDATE tor SET c_int = c_int + 1, c_text = 'updated' WHERE id = 1;
UPDATE tor SET c_big_text = $(big changed) WHERE id = 4;
UPDATE tor SET c_text = 'toast absent before' WHERE id = 2;
-- The key changes.
UPDATE tor SET id = 30 WHERE id = 3;
DELETE FROM tor WHERE id = 5;
UPDATE fullpk SET a = 'ONE', b = NULL WHERE id = 1;
UPDATE fullpk SET a = 'three' WHERE id = 3;
DELETE FROM fullpk WHERE id = 2;
UPDATE fullnopk SET b = 'b' WHERE a = 2;
DELETE FROM fullnopk WHERE a = 3;
UPDATE idx_t SET code = 'AA' WHERE id = 1;
UPDATE idx_t SET v = 21 WHERE id = 2;
DELETE FROM idx_t WHERE code = 'B';
BEGIN;
INSERT INTO idx_t VALUES (3, 'C', 30);
TRUNCATE trunc_t;
INSERT INTO trunc_t VALUES (6, 'after truncate');
COMMIT;
-- The shape changes in the middle of the stream.
ALTER TABLE tor ADD COLUMN c_added numeric(5,1);
INSERT INTO tor (id, c_added, c_text) VALUES (6, 1234.5, 'after alter');
UPDATE tor SET c_added = -0.5 WHERE id = 1;
UPDATE tor SET c_added = 9.9, c_big_text = NULL WHERE id = 4;
SQL
end=$(q "SELECT pg_current_wal_lsn()")

out="$TEST_TMP/out.json"
timeout 60 "$BIN/pgcdc-read" -d "$PGCONN" -S torture -P pub -E "$end" --no-progress >"$out" ||
	fail "pgcdc-read exited $?"
note "$(wc -l <"$out") records"

# The types as PostgreSQL prints them, per table: "table|column|type"; a
# domain (one level here) as its base type.
q "SELECT c.relname, a.attname,
	CASE WHEN ty.typtype = 'd' THEN format_type(ty.typbasetype, ty.typtypmod)
	ELSE format_type(a.atttypid, a.atttypmod) END
	FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
	JOIN pg_class c ON c.oid = a.attrelid
	WHERE c.relname IN ('tor', 'fullpk', 'fullnopk', 'idx_t', 'trunc_t') AND a.attnum > 0
	AND NOT a.attisdropped ORDER BY c.relname, a.attnum" >"$TEST_TMP/types.txt"

q "CREATE SCHEMA copy"
for t in tor fullpk fullnopk idx_t trunc_t; do
	q "CREATE TABLE copy.$t (LIKE public.$t)"
done

cat >"$TEST_TMP/check.py" <<'PY'
import json, sys

out, types_file, sql_file = sys.argv[1:4]
errors = []
def err(msg):
    errors.append(msg)

types = {}
for line in open(types_file, encoding='utf-8'):
    t, c, ty = line.rstrip('\n').split('|')
    types.setdefault(t, []).append((c, ty))

def lit(v):
    if v is None:
        return 'NULL'
    if v is True: return "'t'"
    if v is False: return "'f'"
    return "'" + str(v).replace("'", "''") + "'"
def ident(s):
    return '"' + s.replace('"', '""') + '"'

recs = [json.loads(l) for l in open(out, encoding='utf-8')]
sql = []
prev = None
seen = {}
for n, r in enumerate(recs, 1):
    t = r['table']
    seen.setdefault(t, []).append(r)
    if r['schema'] != 'public' or r['db'] != 'postgres':
        err(f'record {n}: db/schema {r["db"]}/{r["schema"]}')
    off = r['pos']['offset']
    lsn, seq = off.rsplit(':', 1)
    hi, lo = lsn.split('/')
    key = (int(hi, 16) << 32 | int(lo, 16), int(seq))
    if r['pos']['stream'] != 'pg/postgres/torture':
        err(f'record {n}: stream {r["pos"]["stream"]}')
    if r['src']['lsn'] != lsn or r['src']['seq'] != int(seq):
        err(f'record {n}: src {r["src"]} does not match offset {off}')
    if prev is not None and key <= prev:
        err(f'record {n}: position {off} not after the previous one')
    if prev is None or key[0] != prev[0]:
        if key[1] != 1:
            err(f'record {n}: transaction starts at seq {key[1]}')
    elif key[1] != prev[1] + 1:
        err(f'record {n}: seq {key[1]} after {prev[1]}')
    prev = key
    coltype = {c['name']: c['type'] for c in r['cols']}
    tbl = 'copy.' + ident(t)
    def val(c, v):
        return lit(v) + '::' + coltype[c]
    def where(img):
        return ' AND '.join(f'{ident(c)} IS NOT DISTINCT FROM {val(c, img[c])}' for c in r['key'])
    op = r['op']
    if op == 'c':
        a = r['after']
        sql.append(f'INSERT INTO {tbl} ({", ".join(map(ident, a))}) VALUES ({", ".join(val(c, v) for c, v in a.items())});')
    elif op == 'u':
        a = r['after']
        sets = ', '.join(f'{ident(c)} = {val(c, v)}' for c, v in a.items())
        sql.append(f'UPDATE {tbl} SET {sets} WHERE {where(r["before"])};')
    elif op == 'd':
        sql.append(f'DELETE FROM {tbl} WHERE {where(r["before"])};')
    elif op == 't':
        sql.append(f'TRUNCATE {tbl};')
    else:
        err(f'record {n}: op {op}')
open(sql_file, 'w', encoding='utf-8').write('\n'.join(sql) + '\n')

def check(cond, msg):
    if not cond:
        err(msg)

# Column types as format_type prints them (the newest shape of each table).
for t, cols in types.items():
    last = seen.get(t, [None])[-1]
    if last is None:
        err(f'no record for {t}'); continue
    got = [(c['name'], c['type']) for c in last['cols']]
    check(got == cols, f'{t}: columns {got}, want {cols}')

tor = seen['tor']
check(all(r['key'] == ['id'] for r in tor), 'tor: key is not [id]')
ins = [r for r in tor if r['op'] == 'c']
check([r['after']['id'] for r in ins] == [1, 2, 3, 4, 5, 6], 'tor: inserts')
check(all('c_added' not in r['after'] for r in ins[:5]) and ins[5]['after'].get('c_added') == '1234.5',
      'tor: ALTER TABLE ADD COLUMN not reflected')
check(ins[1]['after']['c_text'] is None and 'c_text' in ins[1]['after'], 'tor: NULL not null')
check(ins[2]['after']['c_big'] == 9223372036854775807 and ins[2]['after']['c_bool'] is False,
      'tor: bigint/boolean as JSON number/boolean')
# The normalised forms of man/pgcdc-record.5, independent of session settings.
want = {
    0: {'c_tstz': '2026-11-25T08:28:45.123456Z', 'c_ts': '2026-11-25T13:58:45.123456',
        'c_time': '13:58:45.123456', 'c_timetz': '13:58:45.500000+02:00', 'c_date': '2026-11-25',
        'c_iv': 'P1Y2M3DT4H5M6.5S', 'c_bytea': '\\x0001ff', 'c_money': '$1,234.56',
        'c_stamp': '2001-02-03T04:05:06.000007Z', 'c_ts3': '2026-01-02T03:04:05.678000',
        'c_num2': '6.789', 'c_small': 1, 'c_bool': True, 'c_mood': 'happy ☺',
        # a domain over integer is named by its base type: a JSON number
        'c_dom': 7,
        'c_ch': 'ab   ', 'c_arr': '{1,2,NULL,4}'},
    2: {'c_num': 'NaN', 'c_real': 'NaN', 'c_dbl': 'Infinity', 'c_date': 'infinity',
        'c_ts': '-infinity', 'c_tstz': 'infinity', 'c_bytea': '\\x00', 'c_time': '00:00:00.000000',
        'c_timetz': '23:59:59.999999-14:59', 'c_ts3': '0044-03-15T12:00:00.000000 BC',
        'c_text': 'Unicode 日本語 ☺ \U0001F600, quote \' " backslash \\ newline\n tab\t end'},
    3: {'c_real': '-Infinity', 'c_dbl': '-Infinity', 'c_text': '', 'c_bytea': '\\x',
        'c_tstz': '1970-01-01T00:00:00.000000Z',
        'c_num': '123456789012345678901234567890.123456789012345678901234567890'},
    4: {'c_tstz': '2026-07-01T06:59:59.999999Z', 'c_ts': '2000-02-29T00:00:00.000001',
        'c_num': '-0.000000001'},
}
for i, cols in want.items():
    for c, v in cols.items():
        check(ins[i]['after'].get(c) == v, f'tor id {ins[i]["after"]["id"]} {c}: {ins[i]["after"].get(c)!r}, want {v!r}')
upd = [r for r in tor if r['op'] == 'u']
check(all(set(r['before']) == {'id'} for r in upd), 'tor: update before image is not the key only')
u1 = upd[0]
check(u1['after']['id'] == 1 and u1.get('unchanged') == ['c_big_text'] and 'c_big_text' not in u1['after'],
      f'tor: unchanged TOASTed value not marked: {u1.get("unchanged")}')
u4 = upd[1]
check(u4['after']['id'] == 4 and len(u4['after']['c_big_text']) == 9600 and not u4.get('unchanged'),
      'tor: changed TOASTed value not sent')
u3 = [r for r in upd if r['after']['id'] == 30]
check(len(u3) == 1 and u3[0]['before'] == {'id': 3}, 'tor: key change before image')
d5 = [r for r in tor if r['op'] == 'd']
check(len(d5) == 1 and d5[0]['before'] == {'id': 5} and 'after' not in d5[0], 'tor: delete')

full = seen['fullpk']
check(all(r['key'] == ['id'] for r in full), 'fullpk: key is not the primary key')
for r in full:
    if r['op'] in 'ud':
        check(set(r['before']) == {'id', 'a', 'b'}, f'fullpk: before image not full: {r["before"]}')
fu = [r for r in full if r['op'] == 'u'][0]
check(fu['before'] == {'id': 1, 'a': 'one', 'b': '1.50'} and fu['after'] == {'id': 1, 'a': 'ONE', 'b': None},
      f'fullpk: update images {fu.get("before")} {fu.get("after")}')
nopk = seen['fullnopk']
check(all(r['key'] == ['a', 'b'] for r in nopk), 'fullnopk: key is not every column')
nu = [r for r in nopk if r['op'] == 'u'][0]
check(nu['before'] == {'a': 2, 'b': None}, f'fullnopk: before {nu["before"]}')

idx = seen['idx_t']
check(all(r['key'] == ['code'] for r in idx), 'idx_t: key is not the replica identity index')
iu = [r for r in idx if r['op'] == 'u']
check(iu[0]['before'] == {'code': 'A'} and iu[0]['after']['code'] == 'AA', 'idx_t: key change')
check(iu[1]['before'] == {'code': 'B'}, 'idx_t: update without key change has the key as before image')
tr = seen['trunc_t']
check([r['op'] for r in tr] == ['c'] * 5 + ['t', 'c'], f'trunc_t: ops {[r["op"] for r in tr]}')
check('before' not in tr[5] and 'after' not in tr[5], 'trunc_t: truncate carries images')
# The truncate shares its transaction with the idx_t insert.
ti = [r for r in idx if r['op'] == 'c'][-1]
check(ti['src']['lsn'] == tr[5]['src']['lsn'] and ti['src']['xid'] == tr[5]['src']['xid']
      and tr[5]['src']['seq'] == ti['src']['seq'] + 1, 'truncate not in its transaction')

for e in errors:
    print('FAIL:', e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
python3 "$TEST_TMP/check.py" "$out" "$TEST_TMP/types.txt" "$TEST_TMP/apply.sql" || fail "record checks"

# Apply in a session that prints and parses values as the records do.
PGOPTIONS="-c lc_monetary=C -c timezone=UTC" psql -X -q -v ON_ERROR_STOP=1 -f "$TEST_TMP/apply.sql" >/dev/null ||
	fail "applying the records"
for t in tor fullpk fullnopk idx_t trunc_t; do
	d=$(PGOPTIONS="-c lc_monetary=C" q "SELECT count(*) FROM (
		(SELECT x::text FROM public.$t x EXCEPT ALL SELECT x::text FROM copy.$t x)
		UNION ALL (SELECT x::text FROM copy.$t x EXCEPT ALL SELECT x::text FROM public.$t x)) d")
	n=$(q "SELECT count(*) FROM public.$t")
	[ "$d" = 0 ] || {
		PGOPTIONS="-c lc_monetary=C" q "SELECT 'source', x::text FROM public.$t x EXCEPT SELECT 'source', x::text FROM copy.$t x" >&2
		PGOPTIONS="-c lc_monetary=C" q "SELECT 'copy', x::text FROM copy.$t x EXCEPT SELECT 'copy', x::text FROM public.$t x" >&2
		fail "$t: copy differs from source in $d rows"
	}
	[ "$n" -gt 0 ] || fail "$t: empty"
	note "$t: $n rows equal"
done

# msgpack says the same: mssql-apply (when built) reads either encoding and
# must turn both into the same T-SQL, stream name aside. (Only the tables
# whose values SQL Server can hold: not tor, with its NaN and infinities.)
timeout 60 "$BIN/pgcdc-read" -d "$PGCONN" -S torturemp -P pubsimple -E "$end" --no-progress --format msgpack \
	>"$TEST_TMP/out.mp" || fail "pgcdc-read --format msgpack exited $?"
[ -s "$TEST_TMP/out.mp" ] && [ "$(head -c 1 "$TEST_TMP/out.mp" | od -An -tx1 | tr -d ' ')" != 7b ] ||
	fail "--format msgpack wrote no msgpack"
grep -v '"table":"tor"' "$out" >"$TEST_TMP/simple.json"
if [ -x "$BIN/mssql-apply" ] &&
	"$BIN/mssql-apply" --print-sql <"$TEST_TMP/simple.json" >"$TEST_TMP/json.sql" 2>"$TEST_TMP/apply.err"; then
	"$BIN/mssql-apply" --print-sql <"$TEST_TMP/out.mp" 2>/dev/null | sed 's|pg/postgres/torturemp|pg/postgres/torture|g' \
		>"$TEST_TMP/mp.sql" || fail "mssql-apply refused the msgpack stream"
	diff "$TEST_TMP/json.sql" "$TEST_TMP/mp.sql" >&2 || fail "the msgpack stream means something else than the JSON one"
	note "msgpack and JSON streams give the same T-SQL ($(wc -l <"$TEST_TMP/json.sql") lines)"
else
	note "msgpack not compared: mssql-apply --print-sql unavailable ($(head -c 200 "$TEST_TMP/apply.err" 2>/dev/null))"
fi
echo "pgcdc-read-torture: all values, images, keys, types and positions correct"
