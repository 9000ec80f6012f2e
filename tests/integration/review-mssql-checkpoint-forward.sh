#!/usr/bin/env bash
# The checkpoint only moves forward, and a batch a stream's checkpoint
# already covers changes no data. Two mssql-apply on one partition (after a
# Kafka rebalance, the old owner still running): A reads the checkpoint and
# waits for input; B applies a stream to its end; then A gets an older part
# of it. A must neither move the checkpoint back nor write its older values:
# its transaction's checkpoint MERGE (offsets compared as numbers: "9" is
# below "10", "0/FFFFFF:10" below "0/1000000:1", ":9" below ":10") finds the
# streams further on and THROWs before any data statement, A reads the
# checkpoint again and drops what it covers, and still applies the records
# of a third stream that no one applied before.
set -u
source "$(dirname "$0")/../lib/pg.sh"
needs mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused

rec() { # stream offset id value
	printf '{"v":1,"op":"c","db":"d","schema":"s","table":"t","cols":[{"name":"id","type":"integer"},{"name":"v","type":"text"}],"key":["id"],"after":{"id":%s,"v":"%s"},"src":{"lsn":"0/1","xid":1,"ts":"2026-11-25T00:00:00.000000Z","seq":1},"pos":{"stream":"%s","offset":"%s"}}\n' \
		"$3" "$4" "$1" "$2"
}
apply() {
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D "$TDS_DB" --create-tables --no-progress \
		--batch-ms 60000 "$@"
}
ckpt_selects() { grep -c 'batch: SELECT \[stream\], \[offset\] FROM \[dbo\].\[dbrepl_checkpoint\]' "$TDS_LOG"; }

# The whole of both streams, as B applies it: the last values win.
{
	for o in 1 2 3 4 5 6 7 8 9 10; do rec kafka/t/0 $o 1 "k$o"; done
	rec pg/d/s 0/FFFFFF:1 2 p1
	rec pg/d/s 0/1000000:1 2 p2
	for m in 2 3 4 5 6 7 8 9 10; do rec pg/d/s 0/1000000:$m 3 "q$m"; done
	rec pg/d/s2 0/FFFFFF:9 5 r1
	rec pg/d/s2 0/1000000:1 5 r2
} >"$TEST_TMP/all.json"
# The older part A gets late, with values that must not come back.
{
	rec kafka/t/0 9 1 stale
	rec pg/d/s 0/FFFFFF:1 2 stale
	rec pg/d/s 0/1000000:9 3 stale
	rec pg/d/s2 0/FFFFFF:10 5 stale
	rec kafka/t/1 5 4 fresh
} >"$TEST_TMP/old.json"

# A connects and reads the (empty) checkpoint, then waits for input.
mkfifo "$TEST_TMP/a.in"
exec 3<>"$TEST_TMP/a.in"
apply <"$TEST_TMP/a.in" 3>&- 2>"$TEST_TMP/a.err" &
apid=$!
on_exit "kill $apid"
for ((i = 0; i < 200; i++)); do
	[ "$(ckpt_selects)" -ge 1 ] && break
	sleep 0.05
done
[ "$(ckpt_selects)" -ge 1 ] || fail "mssql-apply A did not read the checkpoint"

apply <"$TEST_TMP/all.json" || fail "mssql-apply B exited $?"
want_ckpt=$'kafka/t/0 10\npg/d/s 0/1000000:10\npg/d/s2 0/1000000:1'
[ "$(tq "SELECT stream COLLATE \"C\" || ' ' || \"offset\" COLLATE \"C\" FROM dbo.dbrepl_checkpoint ORDER BY 1")" = "$want_ckpt" ] ||
	fail "B left the checkpoint at $(tq "SELECT string_agg(stream COLLATE \"C\" || ' ' || \"offset\" COLLATE \"C\", ', ') FROM dbo.dbrepl_checkpoint")"
[ "$(tq "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM s.t")" = "1=k10,2=p2,3=q10,5=r2" ] ||
	fail "B left the target at $(tq "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM s.t")"

cat "$TEST_TMP/old.json" >&3
exec 3>&-
rc=0
wait $apid || rc=$?
cat "$TEST_TMP/a.err" >&2
[ $rc = 0 ] || fail "mssql-apply A exited $rc"

got=$(tq "SELECT stream COLLATE \"C\" || ' ' || \"offset\" COLLATE \"C\" FROM dbo.dbrepl_checkpoint ORDER BY 1")
[ "$got" = $'kafka/t/0 10\nkafka/t/1 5\npg/d/s 0/1000000:10\npg/d/s2 0/1000000:1' ] ||
	fail "checkpoint after the older batch: $(tr '\n' ',' <<<"$got")"
got=$(tq "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM s.t")
[ "$got" = "1=k10,2=p2,3=q10,4=fresh,5=r2" ] || fail "target after the older batch: $got"

# The comparison itself, one stored offset against one new offset at a time:
# the checkpoint MERGE mssql-apply prints, run as it is: out of the batch's
# EXEC sp_executesql, the MERGE with the declarations and values.
ckpt_merge() { # stream offset -> the MERGE statement of a batch with one record
	rec "$1" "$2" 1 x | "$BIN/mssql-apply" --print-sql --no-progress |
		awk '/^MERGE INTO \[dbo\]\.\[dbrepl_checkpoint\]/ { p = 1; printf "EXEC sp_executesql N%c", 39 }
			p { print } p && /SYSUTCDATETIME\(\)\);$/ { p = 0; printf "%c,\n", 39 }
			/^  N.@s1 / { q = 1 } q { sub(/;$/, ""); print } q && !/,$/ { print ";"; exit }'
}
while read -r stored new want; do
	tq "DELETE FROM dbo.dbrepl_checkpoint; INSERT INTO dbo.dbrepl_checkpoint VALUES ('x/s', '$stored', now())"
	sql=$(ckpt_merge x/s "$new")
	[ -n "$sql" ] || fail "no checkpoint MERGE printed for $new"
	tds_sql "$sql" >/dev/null || fail "the checkpoint MERGE failed (stored $stored, new $new)"
	got=$(tq "SELECT \"offset\" FROM dbo.dbrepl_checkpoint")
	[ "$got" = "$want" ] || fail "stored $stored, new $new: the checkpoint holds $got, want $want"
done <<'PAIRS'
10 9 10
9 10 10
99 100 100
0/1000000:1 0/FFFFFF:10 0/1000000:1
0/FFFFFF:10 0/1000000:1 0/1000000:1
0/1000000:10 0/1000000:9 0/1000000:10
0/1000000:9 0/1000000:10 0/1000000:10
1A/B374D848:3 1A/B374D848:3 1A/B374D848:3
1A/B374D848:3 1B/0:1 1B/0:1
FFFFFFF/0:1 1/FFFFFFFF:99 FFFFFFF/0:1
1/FFFFFFFF:99 FFFFFFF/0:1 FFFFFFF/0:1
PAIRS
echo "review-mssql-checkpoint-forward: an older batch moved neither the checkpoint nor the data back"
