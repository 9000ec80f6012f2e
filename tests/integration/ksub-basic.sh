#!/usr/bin/env bash
# ksub reads change records that kcat -P wrote (keyed) into a multi-partition
# topic: every record arrives exactly once, per-key order is kept, pos is the
# Kafka position (checked against kcat's own partition/offset listing) and
# everything else, src included, is kept as it came. Committed offsets:
# -e again reads nothing, -c N commits exactly N, new records are read next
# time; tombstones are skipped; ^regex subscriptions; kpub -> ksub round trip.
set -u
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/kafka.sh"
needs ksub kcat jq

T=ks.basic
kafka_start -n 3 $T:6:3
cd "$TEST_TMP"
# The mock keeps a group "rebalancing" for session.timeout.ms - 1 s after its
# last member left, so a short session keeps reruns of one group quick; it
# must stay above the mock's 3 s initial rebalance delay.
KX=(-b "$KAFKA_BROKERS" -X session.timeout.ms=5000 -X heartbeat.interval.ms=500 --no-progress)

kafka_gen_records 2000 3 60 >in.ndjson
# key "table.id": all changes of a row go to one partition
jq -r -c '"\(.table).\(.after.id // .before.id):" + tojson' in.ndjson >in.kv
kcat -P -b "$KAFKA_BROKERS" -t $T -K: -l in.kv || fail "kcat -P"

"$BIN/ksub" "${KX[@]}" -G g1 -e $T >out.ndjson 2>err.txt || { rc=$?; cat err.txt; fail "ksub -e exited $rc"; }
[ "$(wc -l <out.ndjson)" = 2000 ] || fail "ksub wrote $(wc -l <out.ndjson) records, want 2000"

# Every record: pos = its Kafka position, the rest as kcat reads the value.
kcat -C -b "$KAFKA_BROKERS" -t $T -e -q -f '%p\t%o\t%s\n' |
	jq -R -r -c 'split("\t") as $f | ($f[2] | fromjson | del(.pos)) as $r |
		"kafka/'$T'/\($f[0]) \($f[1]) \($r | tojson)"' | sort >want.txt
jq -r -c '"\(.pos.stream) \(.pos.offset) \(del(.pos) | tojson)"' out.ndjson | sort >got.txt
diff want.txt got.txt >diff.txt || { head -n 6 diff.txt; fail "records or positions differ from Kafka"; }
# src kept, and nothing lost or doubled against the input itself
jq -r -c 'del(.pos) | tojson' in.ndjson | sort >a.txt
jq -r -c 'del(.pos) | tojson' out.ndjson | sort >b.txt
cmp -s a.txt b.txt || fail "records (without pos) differ from the input"
[ "$(jq -r '.pos.offset' out.ndjson | grep -vc '^[0-9][0-9]*$')" = 0 ] || fail "a pos.offset is not a Kafka offset"

# Per-key order: each row's changes in input order (src lsn:seq is unique).
keyseq() { jq -r '"\(.table).\(.after.id // .before.id)\t\(.src.lsn):\(.src.seq)"' "$1" | sort -s -t"$(printf '\t')" -k1,1; }
keyseq in.ndjson >order.want
keyseq out.ndjson >order.got
cmp -s order.want order.got || fail "per-key order not kept"
[ "$(jq -r '.pos.stream' out.ndjson | sort -u | wc -l)" -ge 3 ] || fail "records used fewer than 3 partitions"

# The group's offsets were committed: nothing more to read.
"$BIN/ksub" "${KX[@]}" -G g1 -e $T >again.ndjson 2>err.txt || { rc=$?; cat err.txt; fail "ksub -e (2) exited $rc"; }
[ -s again.ndjson ] && fail "second run of the group read $(wc -l <again.ndjson) records again"

# New records, and a tombstone (null value): only the records come out.
kafka_gen_records 30 3 60 | jq -r -c '"new.\(.after.id // .before.id):" + tojson' >new.kv
kcat -P -b "$KAFKA_BROKERS" -t $T -K: -l new.kv || fail "kcat -P (new)"
echo "new.1:" | kcat -P -b "$KAFKA_BROKERS" -t $T -K: -Z || fail "kcat -P tombstone"
"$BIN/ksub" "${KX[@]}" -G g1 -e $T >new.ndjson 2>err.txt || { rc=$?; cat err.txt; fail "ksub -e (3) exited $rc"; }
[ "$(wc -l <new.ndjson)" = 30 ] || fail "third run read $(wc -l <new.ndjson) records, want the 30 new ones"
cut -d: -f2- new.kv | jq -c -S 'del(.pos)' | sort >a.txt
jq -c -S 'del(.pos)' new.ndjson | sort >b.txt
cmp -s a.txt b.txt || fail "the new records differ"

# -c N commits exactly the N records written; the next run goes on from there.
"$BIN/ksub" "${KX[@]}" -G g2 -c 700 $T >c1.ndjson 2>err.txt || { rc=$?; cat err.txt; fail "ksub -c exited $rc"; }
[ "$(wc -l <c1.ndjson)" = 700 ] || fail "-c 700 wrote $(wc -l <c1.ndjson)"
"$BIN/ksub" "${KX[@]}" -G g2 -e $T >c2.ndjson 2>err.txt || { rc=$?; cat err.txt; fail "ksub after -c exited $rc"; }
cat c1.ndjson c2.ndjson | jq -r '"\(.pos.stream) \(.pos.offset)"' | sort >c.got
sort -u c.got >c.uniq
cmp -s c.got c.uniq || fail "records delivered twice across -c and the next run"
[ "$(wc -l <c.got)" = 2030 ] || fail "-c run and next run together read $(wc -l <c.got), want 2030"

# A regex subscription, msgpack output (its size differs, its count not).
"$BIN/ksub" "${KX[@]}" -G g3 -e '^ks\.bas' >re.ndjson 2>err.txt || { rc=$?; cat err.txt; fail "ksub ^regex exited $rc"; }
[ "$(wc -l <re.ndjson)" = 2030 ] || fail "^regex read $(wc -l <re.ndjson), want 2030"
"$BIN/ksub" "${KX[@]}" -G g4 -e --format msgpack $T >mp.bin 2>err.txt || { rc=$?; cat err.txt; fail "ksub --format msgpack exited $rc"; }
[ "$(head -c 1 mp.bin | od -An -tx1 | tr -d ' ')" != 7b ] || fail "--format msgpack wrote JSON"
[ -s mp.bin ] || fail "--format msgpack wrote nothing"

# kpub -> ksub round trip, when kpub is there.
if [ -x "$BIN/kpub" ]; then
	"$BIN/kpub" -b "$KAFKA_BROKERS" -t rt.records <in.ndjson 2>err.txt || { rc=$?; cat err.txt; fail "kpub exited $rc"; }
	"$BIN/ksub" "${KX[@]}" -G rt -e rt.records >rt.ndjson 2>err.txt || { rc=$?; cat err.txt; fail "ksub (round trip) exited $rc"; }
	jq -c -S 'del(.pos)' in.ndjson | sort >a.txt
	jq -c -S 'del(.pos)' rt.ndjson | sort >b.txt
	cmp -s a.txt b.txt || fail "kpub -> ksub round trip differs"
	jq -r '.pos.stream' rt.ndjson | grep -qv '^kafka/rt\.records/[0-9]*$' && fail "round trip: bad pos.stream"
	# msgpack both ways: ksub's msgpack output, published by kpub as it
	# came, read back by ksub (decoding msgpack, writing JSON).
	"$BIN/kpub" -b "$KAFKA_BROKERS" -t rt.msgpack <mp.bin 2>err.txt || { rc=$?; cat err.txt; fail "kpub (msgpack) exited $rc"; }
	"$BIN/ksub" "${KX[@]}" -G rtmp -e rt.msgpack >rtmp.ndjson 2>err.txt || { rc=$?; cat err.txt; fail "ksub (msgpack in) exited $rc"; }
	jq -c -S 'del(.pos)' out.ndjson new.ndjson | sort >a.txt
	jq -c -S 'del(.pos)' rtmp.ndjson | sort >b.txt
	cmp -s a.txt b.txt || fail "ksub --format msgpack -> kpub -> ksub differs"
else
	note "kpub not built: round trip skipped"
fi
echo "ksub-basic: ok"
