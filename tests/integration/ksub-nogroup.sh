#!/usr/bin/env bash
# ksub without -G: it assigns itself every partition of the topics named
# (as kcat -C does), joins no group and commits nothing. Every record comes
# out once with its Kafka position; every run starts again at -o (beginning
# by default, end with -o end), whatever any group has committed; -c;
# several topics; what needs a group is a usage error (--ack, ^regex,
# -o stored); a topic the cluster does not have is exit 69.
set -u
. "$(dirname "$0")/../lib/pg.sh"
needs ksub kcat jq

T=ks.nogroup
kafka_start -n 3 $T:6:3 ks.other:2:3
cd "$TEST_TMP" || exit 1
KX=(-b "$KAFKA_BROKERS" --no-progress)

kafka_gen_records 2000 3 60 >in.ndjson
jq -r -c '"\(.table).\(.after.id // .before.id):" + tojson' in.ndjson >in.kv
kcat -P -b "$KAFKA_BROKERS" -t $T -K: -l in.kv || fail "kcat -P"

# Every record once, pos = its Kafka position, the rest as it came.
"$BIN/ksub" "${KX[@]}" -e $T >out.ndjson 2>err.txt || { rc=$?; cat err.txt; fail "ksub -e exited $rc"; }
kcat -C -b "$KAFKA_BROKERS" -t $T -e -q -f '%p\t%o\t%s\n' |
	jq -R -r -c 'split("\t") as $f | ($f[2] | fromjson | del(.pos)) as $r |
		"kafka/'$T'/\($f[0]) \($f[1]) \($r | tojson)"' | sort >want.txt
jq -r -c '"\(.pos.stream) \(.pos.offset) \(del(.pos) | tojson)"' out.ndjson | sort >got.txt
diff want.txt got.txt >diff.txt || { head -n 6 diff.txt; fail "records or positions differ from Kafka"; }
[ "$(wc -l <got.txt)" = 2000 ] || fail "ksub wrote $(wc -l <got.txt) records, want 2000"
[ "$(jq -r '.pos.stream' out.ndjson | sort -u | wc -l)" = 6 ] || fail "records did not come from all 6 partitions"

# Nothing was committed: the next run reads everything again, and so
# does a group of the name ksub uses internally for assign().
"$BIN/ksub" "${KX[@]}" -e $T >again.ndjson 2>err.txt || { rc=$?; cat err.txt; fail "ksub -e (2) exited $rc"; }
jq -r -c '"\(.pos.stream) \(.pos.offset) \(del(.pos) | tojson)"' again.ndjson | sort | cmp -s - got.txt ||
	fail "a second run without -G did not read the same records"
"$BIN/ksub" "${KX[@]}" -X session.timeout.ms=5000 -G ksub-no-group -e $T >grp.ndjson 2>err.txt ||
	{ rc=$?; cat err.txt; fail "ksub -G ksub-no-group exited $rc"; }
[ "$(wc -l <grp.ndjson)" = 2000 ] || fail "offsets were committed without -G: the group read $(wc -l <grp.ndjson)"
# ... and what that group committed does not move a run without -G.
"$BIN/ksub" "${KX[@]}" -e $T >third.ndjson 2>err.txt || { rc=$?; cat err.txt; fail "ksub -e (3) exited $rc"; }
[ "$(wc -l <third.ndjson)" = 2000 ] || fail "a run without -G after a group's commit read $(wc -l <third.ndjson)"

# -o end: nothing old; -c N: N records.
"$BIN/ksub" "${KX[@]}" -e -o end $T >end.ndjson 2>err.txt || { rc=$?; cat err.txt; fail "ksub -o end exited $rc"; }
[ -s end.ndjson ] && fail "-o end read $(wc -l <end.ndjson) records"
"$BIN/ksub" "${KX[@]}" -c 100 $T >c.ndjson 2>err.txt || { rc=$?; cat err.txt; fail "ksub -c exited $rc"; }
[ "$(wc -l <c.ndjson)" = 100 ] || fail "-c 100 wrote $(wc -l <c.ndjson)"

# Two topics: every partition of both.
head -n 50 in.kv | kcat -P -b "$KAFKA_BROKERS" -t ks.other -K: || fail "kcat -P (ks.other)"
"$BIN/ksub" "${KX[@]}" -e $T ks.other >two.ndjson 2>err.txt || { rc=$?; cat err.txt; fail "ksub (two topics) exited $rc"; }
[ "$(grep -c '"stream":"kafka/ks.other/' two.ndjson)" = 50 ] || fail "ks.other: want 50 records"
[ "$(wc -l <two.ndjson)" = 2050 ] || fail "two topics: $(wc -l <two.ndjson) records, want 2050"

# What needs a group.
for args in "--ack $TEST_TMP/ack.fifo $T" "^ks\\." "-o stored $T"; do
	# shellcheck disable=SC2086
	"$BIN/ksub" "${KX[@]}" -e $args >/dev/null 2>err.txt
	rc=$?
	[ $rc = 64 ] || fail "ksub $args without -G: exit $rc, want 64"
	grep -q 'needs a group' err.txt || { cat err.txt; fail "ksub $args: no clear message"; }
done

# A topic the cluster does not have (the mock would create it on demand,
# so its metadata is made to say so).
kafka_cmd "topic-error ks.nosuch 3" >/dev/null || fail "topic-error"
"$BIN/ksub" "${KX[@]}" -e ks.nosuch >/dev/null 2>err.txt
rc=$?
[ $rc = 69 ] || { cat err.txt; fail "unknown topic: exit $rc, want 69"; }
grep -q 'ks.nosuch' err.txt || fail "the error does not name the topic"
echo "ksub-nogroup: ok"
