#!/usr/bin/env bash
# Many streams in one batch. SQL Server takes at most 2,100 parameters in a
# request, @stmt and @params of sp_executesql counted, and refuses more
# with 8003 (not a data error: the same batch would be retried for ever).
# mssql-apply's RPC carries four per stream of the batch (the checkpoint's
# rows), so a batch holds 524 streams at most. First the peer is shown to
# refuse 2,101 parameters and take 2,100 (so this test can fail), then 600
# records of 600 streams ("kafka/t/N", as ksub reads 600 one-partition
# topics) go through mssql-apply: every row arrives value for value, the
# checkpoint holds every stream's offset, and no RPC had more than 2,100
# parameters; the same with --transactions, each record a transaction of
# its own, and one source transaction over all 600 streams (applied in
# pieces of one target transaction). Applying the input again changes
# nothing.
set -u
source "$(dirname "$0")/../lib/pg.sh"
needs mssql-apply peers/tds-server peers/bcp-probe
pg_start
tds_start
export MSSQL_PASSWORD=unused

# ---- the peer: 2,100 parameters in all are taken, 2,101 are 8003
out=$("$BIN/peers/bcp-probe" --server "$TDS_HOST:$TDS_PORT" --database "$TDS_DB" --rpc 2100 2>&1) ||
	fail "peer: an RPC of 2,100 parameters refused: $out"
[ "$out" = "rpc of 2100 parameters: 2099" ] || fail "peer: an RPC of 2,100 parameters gave '$out'"
out=$("$BIN/peers/bcp-probe" --server "$TDS_HOST:$TDS_PORT" --database "$TDS_DB" --rpc 2101 2>&1) &&
	fail "peer: an RPC of 2,101 parameters was taken: $out"
grep -q "Msg 8003 (severity 16): The incoming request has too many parameters. The server supports a maximum of 2100 parameters." <<<"$out" ||
	fail "peer: an RPC of 2,101 parameters: want Msg 8003, got: $out"

# ---- mssql-apply: 600 streams
N=600
# rec i xid last: stream kafka/t/i at offset 1000 + 7 i, row id i
rec() {
	printf '{"v":1,"op":"c","db":"d","schema":"public","table":"many","cols":[{"name":"id","type":"integer"},{"name":"v","type":"text"}],"key":["id"],"after":{"id":%d,"v":"row %d of kafka/t/%d"},"src":{"lsn":"0/%X","xid":%d,"ts":"2026-11-25T10:00:00.000000Z","seq":%d%s},"pos":{"stream":"kafka/t/%d","offset":"%d"}}\n' \
		"$1" "$1" "$1" "$((0x1000 + $2))" "$2" "$1" "$3" "$1" "$((1000 + 7 * $1))"
}
for ((i = 0; i < N; i++)); do rec $i $((i + 1)) ',"last":true'; done >"$TEST_TMP/each.json"
for ((i = 0; i < N; i++)); do rec $i 1 "$([ $i = $((N - 1)) ] && echo ',"last":true')"; done >"$TEST_TMP/one.json"
for ((i = 0; i < N; i++)); do
	echo "$i|row $i of kafka/t/$i"
done >"$TEST_TMP/rows.want"
for ((i = 0; i < N; i++)); do
	echo "kafka/t/$i $((1000 + 7 * i))"
done | LC_ALL=C sort >"$TEST_TMP/ckpt.want"

apply() {
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress "$@"
}
# check NAME: the target's rows and the checkpoint, value for value, and
# the most parameters an RPC of the run had (the peer's log counts those
# after @stmt and @params)
check() {
	tq "SELECT id || '|' || v FROM public.many ORDER BY id" >"$TEST_TMP/rows.got"
	cmp -s "$TEST_TMP/rows.want" "$TEST_TMP/rows.got" ||
		fail "$1: the target differs: $(diff "$TEST_TMP/rows.want" "$TEST_TMP/rows.got" | head -5 | tr '\n' ' ')"
	tq "SELECT stream || ' ' || \"offset\" FROM dbo.dbrepl_checkpoint" | LC_ALL=C sort >"$TEST_TMP/ckpt.got"
	cmp -s "$TEST_TMP/ckpt.want" "$TEST_TMP/ckpt.got" ||
		fail "$1: the checkpoint differs ($(wc -l <"$TEST_TMP/ckpt.got") rows): $(diff "$TEST_TMP/ckpt.want" "$TEST_TMP/ckpt.got" | head -5 | tr '\n' ' ')"
	local most
	most=$(sed -n 's/.*rpc: sp_executesql text [0-9a-f]* with \([0-9]*\) parameters.*/\1/p' "$TDS_LOG" |
		sort -n | tail -1)
	[ "${most:-0}" -le 2098 ] || fail "$1: an RPC had $most parameters besides @stmt and @params"
	# as many streams as fit went together: 524, 4 parameters each
	[ "${most:-0}" = 2096 ] || fail "$1: the largest RPC had $most parameters besides @stmt and @params, want 2096"
}
fresh() {
	tds_stop
	tq "DROP TABLE IF EXISTS public.many; DELETE FROM dbo.dbrepl_checkpoint" >/dev/null 2>&1
	tds_start
}

fresh # a log of mssql-apply's RPCs alone
apply <"$TEST_TMP/each.json" 2>"$TEST_TMP/each.err"
rc=$?
[ $rc = 0 ] || { tail -c 600 "$TEST_TMP/each.err" >&2; fail "600 streams: exit $rc"; }
check "600 streams"
tq "SELECT id, xmin FROM public.many ORDER BY id" >"$TEST_TMP/xmin1"
apply <"$TEST_TMP/each.json" 2>"$TEST_TMP/again.err"
rc=$?
[ $rc = 0 ] || { tail -c 600 "$TEST_TMP/again.err" >&2; fail "600 streams again: exit $rc"; }
tq "SELECT id, xmin FROM public.many ORDER BY id" >"$TEST_TMP/xmin2"
cmp -s "$TEST_TMP/xmin1" "$TEST_TMP/xmin2" || fail "600 streams again: rows were written again"

fresh
apply --transactions <"$TEST_TMP/each.json" 2>"$TEST_TMP/txn.err"
rc=$?
[ $rc = 0 ] || { tail -c 600 "$TEST_TMP/txn.err" >&2; fail "--transactions, a transaction per stream: exit $rc"; }
check "--transactions, a transaction per stream"

fresh
apply --transactions <"$TEST_TMP/one.json" 2>"$TEST_TMP/one.err"
rc=$?
[ $rc = 0 ] || { tail -c 600 "$TEST_TMP/one.err" >&2; fail "--transactions, one transaction over 600 streams: exit $rc"; }
check "--transactions, one transaction over 600 streams"
echo "mssql-apply-streams: 600 streams in batches of 524 at most, each row and offset once"
