#!/usr/bin/env bash
# mssql-apply and a record the target refuses: a value too long for its
# nvarchar(n), or a date that does not convert. mssql-apply must exit 65
# naming stream, offset, table and key with the server's message, and the
# target must hold nothing of that batch (earlier batches stay committed).
# With --dead-letter the refused record goes to the file, the rest of its
# batch is applied, and mssql-apply goes on (exit 0). A table missing on the
# target (no --create-tables) is exit 65 too, naming the table.
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/metrics.sh"
needs peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused

rec() { # id name born offset
	printf '{"v":1,"op":"c","db":"src","schema":"public","table":"people","cols":[{"name":"id","type":"integer"},{"name":"name","type":"character varying(5)"},{"name":"born","type":"date"}],"key":["id"],"after":{"id":%s,"name":"%s","born":"%s"},"src":{"lsn":"0/%X","xid":9,"ts":"2026-11-25T10:00:00.000000Z","seq":1},"pos":{"stream":"pg/src/bad","offset":"0/%X:1"}}\n' \
		"$1" "$2" "$3" "$4" "$4"
}
{
	rec 1 ann 2001-01-01 100
	rec 2 bob 2002-02-02 101
	rec 3 cy 2003-03-03 102
	rec 4 dee 2004-04-04 103
	rec 5 eve 2005-05-05 104
	rec 6 toolongname 2006-06-06 105
	rec 7 gus 2007-07-07 106
} >"$TEST_TMP/long.json"
apply() { "$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress "$@"; }

# batch 1 = records 1-3, batch 2 = 4-6: record 6 is too long
apply --batch-rows 3 <"$TEST_TMP/long.json" 2>"$TEST_TMP/err1"
rc=$?
cat "$TEST_TMP/err1" >&2
[ $rc = 65 ] || fail "too-long value: exit $rc, want 65"
for w in "pg/src/bad" "offset 0/69:1" "[public].[people]" "id='6'" "2628"; do
	grep -qF -- "$w" "$TEST_TMP/err1" || fail "message lacks '$w'"
done
got=$(tq "SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM public.people")
[ "$got" = "1:ann,2:bob,3:cy" ] || fail "target holds '$got', want the first batch only"
got=$(tq "SELECT \"offset\" FROM dbo.dbrepl_checkpoint WHERE stream = 'pg/src/bad'")
[ "$got" = "0/66:1" ] || fail "checkpoint is '$got', want 0/66:1 (end of batch 1)"

# A date that does not convert, in a batch of its own with a good record.
{
	rec 8 hal 2008-08-08 107
	rec 9 ida 2009-02-30 108
} >"$TEST_TMP/date.json"
apply --batch-rows 100 <"$TEST_TMP/date.json" 2>"$TEST_TMP/err2"
rc=$?
cat "$TEST_TMP/err2" >&2
[ $rc = 65 ] || fail "bad date: exit $rc, want 65"
for w in "offset 0/6C:1" "id='9'" "2009-02-30"; do
	grep -qF -- "$w" "$TEST_TMP/err2" || fail "bad-date message lacks '$w'"
done
[ "$(tq "SELECT count(*) FROM public.people WHERE id >= 8")" = 0 ] || fail "bad-date batch partly applied"

# --dead-letter: the refused records go to the file, everything else is applied.
cat "$TEST_TMP/long.json" "$TEST_TMP/date.json" >"$TEST_TMP/all.json"
apply --batch-rows 100 --dead-letter "$TEST_TMP/dead.json" --metrics "$TEST_TMP/m.prom" <"$TEST_TMP/all.json" \
	2>"$TEST_TMP/err3"
rc=$?
cat "$TEST_TMP/err3" >&2
[ $rc = 0 ] || fail "--dead-letter: exit $rc, want 0"
got=$(tq "SELECT string_agg(id::text, ',' ORDER BY id) FROM public.people")
[ "$got" = "1,2,3,4,5,7,8" ] || fail "with --dead-letter target holds ids '$got'"
[ "$(wc -l <"$TEST_TMP/dead.json")" = 2 ] || fail "dead-letter file has $(wc -l <"$TEST_TMP/dead.json") lines, want 2"
grep -q '"toolongname"' "$TEST_TMP/dead.json" || fail "dead-letter file lacks record 6"
grep -q '"2009-02-30"' "$TEST_TMP/dead.json" || fail "dead-letter file lacks record 9"
got=$(tq "SELECT \"offset\" FROM dbo.dbrepl_checkpoint WHERE stream = 'pg/src/bad'")
[ "$got" = "0/6C:1" ] || fail "checkpoint is '$got' after --dead-letter, want 0/6C:1"
# Its metrics at exit: 9 records in, 1-3 skipped (the checkpoint has them),
# 6 and 9 dead-lettered; records out are every record of the committed
# batch, the dead-lettered ones included (dbrepl(7)).
mcheck "$TEST_TMP/m.prom"
for want in "dbrepl_records_in_total|9" "dbrepl_records_skipped_total|3" \
	'dbrepl_dead_letters_total|table="public.people"|2' 'dbrepl_records_out_total|table="public.people"|6' \
	"dbrepl_batches_total|1" "dbrepl_apply_latency_seconds_count|6"; do
	IFS='|' read -r name labels value <<<"$want"
	[ -n "$value" ] || { value=$labels; labels=; }
	got=$(mval "$TEST_TMP/m.prom" "$name" "$labels")
	[ "$got" = "$value" ] || fail "--metrics: $name{$labels} is ${got:-absent}, want $value"
done
# A dead letter says what the producer masked, as its record did: the
# hashed and the fixed column keep their "mask" (an excluded column never
# reaches the target, nor the dead letter). Record 2's name is too long.
H=$(printf 'a%.0s' $(seq 1 64))
mrec() { # id name offset
	printf '{"v":1,"op":"c","db":"src","schema":"public","table":"tagged","cols":[{"name":"id","type":"integer"},{"name":"email","type":"character(64)","mask":"sha256"},{"name":"note","type":"text","mask":"fixed"},{"name":"ssn","type":"text","mask":"excluded"},{"name":"name","type":"character varying(5)"}],"key":["id"],"after":{"id":%s,"email":"%s","note":"****","name":"%s"},"src":{"lsn":"0/%X","xid":9,"ts":"2026-11-25T10:00:00.000000Z","seq":1},"pos":{"stream":"pg/src/masked","offset":"0/%X:1"}}\n' \
		"$1" "$H" "$2" "$3" "$3"
}
{ mrec 1 ann 200; mrec 2 toolongname 201; mrec 3 cy 202; } >"$TEST_TMP/masked.json"
apply --dead-letter "$TEST_TMP/dead2.json" <"$TEST_TMP/masked.json" 2>"$TEST_TMP/err5" ||
	{ cat "$TEST_TMP/err5" >&2; fail "masked records with --dead-letter: exit $?"; }
[ "$(tq "SELECT string_agg(id::text, ',' ORDER BY id) FROM public.tagged")" = "1,3" ] || fail "public.tagged: $(tq "TABLE public.tagged")"
got=$(jq -c '[.after.id, .after.name, [.cols[] | [.name, .type, .mask // "none"]]]' "$TEST_TMP/dead2.json")
want='[2,"toolongname",[["id","integer","none"],["email","character(64)","sha256"],["note","text","fixed"],["name","character varying(5)","none"]]]'
[ "$got" = "$want" ] || fail "dead letter of a masked record: $got, want $want"

# A table missing on the target without --create-tables: exit 65 naming it.
sed 's/"table":"people"/"table":"nobody"/; s#pg/src/bad#pg/src/other#' "$TEST_TMP/date.json" >"$TEST_TMP/missing.json"
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --no-progress <"$TEST_TMP/missing.json" 2>"$TEST_TMP/err4"
rc=$?
cat "$TEST_TMP/err4" >&2
[ $rc = 65 ] || fail "missing table: exit $rc, want 65"
grep -qF "[public].[nobody]" "$TEST_TMP/err4" || fail "missing-table message does not name it"
echo "mssql-apply-bad: refused records named, batches atomic, dead-letter works"
