#!/usr/bin/env bash
# kpub publishes every record to the topic of its table, keyed by the row's
# key, with the record's own bytes as value and op/lsn headers; all changes
# of a key land in one partition in input order; kcat reads what kpub wrote.
set -u
. "$(dirname "$0")/../lib/pg.sh"
needs kpub kcat

kafka_start -n 3 d.s.t0:4:3 d.s.t1:4:3 d.s.t2:4:3 java.d.s.t0:4:3 java.d.s.t1:4:3 java.d.s.t2:4:3
cd "$TEST_TMP" || exit 1

kafka_gen_records 3000 3 60 >in.ndjson
"$BIN/kpub" -b "$KAFKA_BROKERS" <in.ndjson || fail "kpub exited $?"

kafka_dump d.s.t0 d.s.t1 d.s.t2 >out.tsv
[ "$(wc -l <out.tsv)" = 3000 ] || fail "$(wc -l <out.tsv) messages in Kafka, want 3000"

# Watermarks (on by default): the last message of every partition of the
# topics is one, written after the records (kpub's last round at the end of
# input), saying the input's stream is published up to its last offset;
# key and header dbrepl-watermark, no record fields.
last=$(tail -n 1 in.ndjson | jq -r .pos.offset)
want_wm="{\"watermark\":{\"stream\":\"pg/d/slot\",\"offset\":\"$last\"}}"
for t in d.s.t0 d.s.t1 d.s.t2; do
	kcat -b "$KAFKA_BROKERS" -C -e -q -t $t -f '%p\t%o\t%k\t%h\t%s\n' | sort -t"$(printf '\t')" -k1,1n -k2,2n |
		awk -F'\t' '{ lastline[$1] = $0 } END { for (p in lastline) print lastline[p] }' >wm.$t
	[ "$(wc -l <wm.$t)" = 4 ] || fail "$t: $(wc -l <wm.$t) partitions"
	awk -F'\t' -v w="$want_wm" '$3 != "dbrepl-watermark" || $4 != "dbrepl-watermark=NULL" || $5 != w { bad++ }
		END { exit bad > 0 }' wm.$t || { cat wm.$t >&2; fail "$t: a partition does not end with the watermark"; }
done

# Every message: value byte for byte a line of the input, the key of its
# row, the headers of its record, on the topic of its table. The stable sort
# by topic and key keeps input order within each key on the left, and
# partition/offset order on the right: equal only if per-key order was kept.
kafka_expect in.ndjson | sort -s -t"$(printf '\t')" -k1,2 >want
cut -f1,4- out.tsv | sort -s -t"$(printf '\t')" -k1,2 >got
diff want got >diff.txt || { head -n 10 diff.txt; fail "Kafka content differs from the input"; }

# One partition per key, and the keys spread over several partitions.
multi=$(cut -f1,2,4 out.tsv | sort -u | cut -f1,3 | sort | uniq -d | wc -l)
[ "$multi" = 0 ] || fail "$multi keys appear in more than one partition"
for t in d.s.t0 d.s.t1 d.s.t2; do
	parts=$(awk -F'\t' -v t="$t" '$1 == t {print $2}' out.tsv | sort -u | wc -l)
	[ "$parts" -ge 3 ] || fail "topic $t uses only $parts partitions"
done

# The partition of every key is the one the Java client's partitioner
# (librdkafka's murmur2_random, sent by kcat) picks for it: kpub learns the
# partition counts from its own partitioner and must not change its result.
tab=$(printf '\t')
cut -f1,2,4 out.tsv | sort -u >placed.tsv
for t in d.s.t0 d.s.t1 d.s.t2; do
	awk -F"$tab" -v t="$t" '$1 == t { print $3 "\t" }' placed.tsv |
		kcat -b "$KAFKA_BROKERS" -P -t "java.$t" -K "$tab" -X partitioner=murmur2_random ||
		fail "kcat -P java.$t"
	kcat -b "$KAFKA_BROKERS" -C -e -q -t "java.$t" -f "$t$tab%p$tab%k\n" | sort -u
done >java.tsv
diff placed.tsv java.tsv >placed.diff || { head -n 10 placed.diff; fail "keys not where murmur2_random puts them"; }

# --tombstones: a null-value message with the key follows each delete.
# -t with placeholders and --prefix; the topics do not exist and the
# cluster creates them on first use (4 partitions). (--create-topics is
# tested in kpub-create-topics.sh, through the cluster's fronts.)
"$BIN/kpub" -b "$KAFKA_BROKERS" -t 'x.{prefix}-{table}' --prefix pfx --tombstones \
	--watermark-ms 0 <in.ndjson || fail "kpub (2) exited $?"
dels=$(grep -c '"op":"d","db":"d","schema":"s","table":"t1"' in.ndjson)
kcat -b "$KAFKA_BROKERS" -C -e -q -t x.pfx-t1 -f '%p %k %S|%s\n' >tomb.txt
total=$(grep -c '"table":"t1"' in.ndjson)
[ "$(wc -l <tomb.txt)" = $((total + dels)) ] || fail "x.pfx-t1 has $(wc -l <tomb.txt) messages, want $((total + dels))"
[ "$(grep -c ' -1|$' tomb.txt)" = "$dels" ] || fail "want $dels tombstones: $(grep -c ' -1|$' tomb.txt)"
# Each tombstone directly follows its delete in the same partition.
awk '{ split($0, a, "|"); split(a[1], h, " ");
	if (h[3] == -1) { if (prev[h[1]] !~ /"op":"d"/ || pkey[h[1]] != h[2]) bad++ }
	prev[h[1]] = a[2]; pkey[h[1]] = h[2] } END { exit bad > 0 }' tomb.txt ||
	fail "a tombstone does not follow its delete"

# --no-headers: the same keys and values, in the same partitions as
# before (one partition per key), and no headers at all.
"$BIN/kpub" -b "$KAFKA_BROKERS" -t 'nh.{table}' --no-headers <in.ndjson || fail "kpub --no-headers exited $?"
kafka_dump nh.t0 nh.t1 nh.t2 >nh.tsv
awk -F"$tab" -v OFS="$tab" '{ $1 = "nh." substr($1, 5); $3 = ""; print }' want >nh.want
cut -f1,4- nh.tsv | sort -s -t"$tab" -k1,2 >nh.got
diff nh.want nh.got >nh.diff || { head -n 10 nh.diff; fail "--no-headers: Kafka content differs from the input"; }

# A fixed topic name; bad input: what came before is published, exit 65.
head -n 10 in.ndjson | "$BIN/kpub" -b "$KAFKA_BROKERS" -t fixed --watermark-ms 0 || fail "kpub -t fixed"
[ "$(kcat -b "$KAFKA_BROKERS" -C -e -q -t fixed | wc -l)" = 10 ] || fail "fixed topic"
{ head -n 2 in.ndjson; echo '{"v":1,"op":'; } | "$BIN/kpub" -b "$KAFKA_BROKERS" -t bad --watermark-ms 0 2>err.txt
rc=$?
[ $rc = 65 ] || fail "bad input: exit $rc, want 65"
grep -q '^kpub: bad input (line 3: ' err.txt || fail "no error message naming line 3: $(cat err.txt)"
[ "$(kcat -b "$KAFKA_BROKERS" -C -e -q -t bad | wc -l)" = 2 ] || fail "records before bad input not published"
"$BIN/kpub" -b "$KAFKA_BROKERS" -t 'a{nope}' </dev/null 2>/dev/null; rc=$?
[ $rc = 64 ] || fail "bad template: exit $rc, want 64"
"$BIN/kpub" -b "$KAFKA_BROKERS" -X no.such.property=1 </dev/null 2>/dev/null; rc=$?
[ $rc = 78 ] || fail "bad -X: exit $rc, want 78"
echo "kpub-basic: ok"
