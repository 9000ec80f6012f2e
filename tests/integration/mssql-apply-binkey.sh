#!/usr/bin/env bash
# bytea keys that PostgreSQL keeps apart and SQL Server does not: its = on
# varbinary pads the shorter value with zero bytes (0x01 = 0x0100), and so
# does the peer (tds-peer-basic.sh), in the primary key too. A source key
# '\x0100' beside '\x01' (either first) must be refused by name (exit 65;
# --dead-letter takes it), never merged into the other's row; an update
# and a delete of '\x01' touch no row but its own. Each match of a
# varbinary key compares DATALENGTH besides (lib/tsql.c, key_eq): without
# it, the update of '\x01' would rewrite the row of '\x0100' and its
# delete remove it. Every target compared value for value.
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/tds.sh"
needs mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused
T=$TEST_TMP

# rec OP TABLE KEY V [BEFORE-KEY]: one record of stream pg/src/bk, offsets
# growing with each call; KEY and BEFORE-KEY as bytea's text ("\\x01")
nrec=0
rec() {
	nrec=$((nrec + 1))
	local cols='[{"name":"k","type":"bytea"},{"name":"v","type":"integer"}]' img
	if [ "$1" = d ]; then
		img="\"before\":{\"k\":\"$3\"}"
	else
		img="\"after\":{\"k\":\"$3\",\"v\":$4}"
		[ -z "${5:-}" ] || img="\"before\":{\"k\":\"$5\"},$img"
	fi
	printf '{"v":1,"op":"%s","db":"src","schema":"public","table":"%s","cols":%s,"key":["k"],%s,"src":{"lsn":"0/%X","xid":%d,"ts":"2026-11-25T10:00:00.000000Z","seq":1},"pos":{"stream":"pg/src/bk","offset":"0/%X:1"}}\n' \
		"$1" "$2" "$cols" "$img" $((4096 + nrec)) "$nrec" $((4096 + nrec))
}
apply() { "$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --no-progress "$@"; }
# rows TABLE: the target's rows as key (hex, every byte) = v, by key
rows() { tq "SELECT string_agg(encode(k, 'hex') || '=' || coalesce(v::text, 'NULL'), ',' ORDER BY k::bytea) FROM public.$1"; }

note "created table: '\\x0100' beside '\\x01' refused by name, exit 65, nothing merged"
{
	rec c bk '\\x01' 1
	rec c bk '\\x02' 2
} >"$T/bk1.json"
apply --create-tables <"$T/bk1.json" 2>"$T/bk1.err" || { cat "$T/bk1.err" >&2; fail "keys 01 and 02"; }
[ "$(rows bk)" = "01=1,02=2" ] || fail "public.bk: $(rows bk)"
[ "$(tds_sql "SELECT [DATA_TYPE] FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_NAME] = N'bk' AND [COLUMN_NAME] = N'k'")" = varbinary ] ||
	fail "the key is not varbinary"
rec c bk '\\x0100' 3 >"$T/bk2.json"
apply <"$T/bk2.json" 2>"$T/bk2.err"
rc=$?
[ $rc = 65 ] || { cat "$T/bk2.err" >&2; fail "key 0100 beside 01: exit $rc, want 65"; }
grep -qF "2627" "$T/bk2.err" || fail "key 0100 not refused by 2627: $(cat "$T/bk2.err")"
# SQL Server writes a binary key's value as 0x… (PostgreSQL's \x… must not show)
grep -qF "Violation of PRIMARY KEY constraint 'PK_bk'. Cannot insert duplicate key in object 'public.bk'. The duplicate key value is (0x0100)." "$T/bk2.err" ||
	fail "2627's text for key 0100: $(cat "$T/bk2.err")"
grep -qF 'key k=' "$T/bk2.err" || fail "key 0100 not named: $(cat "$T/bk2.err")"
[ "$(rows bk)" = "01=1,02=2" ] || fail "key 0100 changed row 01: $(rows bk)"

note "an update and a delete of a key SQL Server calls equal to another's touch neither"
# (the target holds 0100, not 01: an update of 01 is an upsert that meets
# 0100 in the primary key; a delete of 01 finds nothing)
{
	rec c bk0 '\\x0100' 1
	rec c bk0 '\\x02' 2
} >"$T/bk3.json"
apply --create-tables <"$T/bk3.json" 2>"$T/bk3.err" || { cat "$T/bk3.err" >&2; fail "keys 0100 and 02"; }
[ "$(rows bk0)" = "0100=1,02=2" ] || fail "public.bk0: $(rows bk0)"
rec u bk0 '\\x01' 5 >"$T/bk4.json"
apply <"$T/bk4.json" 2>"$T/bk4.err"
rc=$?
[ $rc = 65 ] || { cat "$T/bk4.err" >&2; fail "an update of 01 beside 0100: exit $rc, want 65"; }
[ "$(rows bk0)" = "0100=1,02=2" ] || fail "an update of 01 changed row 0100: $(rows bk0)"
rec d bk0 '\\x01' >"$T/bk5.json"
apply <"$T/bk5.json" 2>"$T/bk5.err" || { cat "$T/bk5.err" >&2; fail "a delete of 01"; }
[ "$(rows bk0)" = "0100=1,02=2" ] || fail "a delete of 01 removed row 0100: $(rows bk0)"

note "one batch, --dead-letter: the refused record dead-lettered, the others applied, each to its own row"
# 01 and 0100 created in one batch; 0100's update and 01's delete after
{
	rec c bk9 '\\x01' 1
	rec c bk9 '\\x0100' 2
	rec c bk9 '\\x0101' 3
	rec u bk9 '\\x0100' 4
	rec u bk9 '\\x01' 5
	rec d bk9 '\\x0101'
	rec c bk9 '\\x' 6
	rec c bk9 '\\x00' 7
} >"$T/bk9.json"
apply --create-tables --dead-letter "$T/dead.json" <"$T/bk9.json" 2>"$T/bk9.err" ||
	{ cat "$T/bk9.err" >&2; fail "--dead-letter with keys SQL Server calls equal"; }
[ "$(rows bk9)" = "=6,01=5" ] || fail "public.bk9: $(rows bk9)"
# (0100's create and update are one change in a batch: its last record
# stands for it)
[ "$(jq -r '"\(.op):\(.after.k)=\(.after.v)"' "$T/dead.json" | paste -sd, -)" = 'u:\x0100=4,c:\x00=7' ] ||
	fail "dead letters: $(cat "$T/dead.json")"
exit 0
