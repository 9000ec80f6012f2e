#!/usr/bin/env bash
# kpub --create-topics through the Admin API's CreateTopics, which the
# cluster's fronts serve (librdkafka 2.0.2's mock has no CreateTopics;
# tests/peers/kafka-cluster/front.h): a topic is created with the partitions
# asked for (checked in the cluster's metadata, before anything could have
# created it on demand with the mock's 4), per template and with kpub's
# defaults; a topic that exists is used as it is; a replication factor above
# the broker count fails with exit 69 and a message naming topic and reason,
# and creates and publishes nothing. Every record published is the input's.
# (The 2.0.2 mock places every partition on min(3, brokers) replicas
# whatever the factor, so the factor is checked only where it is refused.)
set -u
. "$(dirname "$0")/../lib/pg.sh"
needs kpub kcat jq

kafka_start -n 3 --front
cd "$TEST_TMP" || exit 1

# partitions TOPIC: the partition count the cluster's metadata gives, or
# "none" when the topic does not exist. kcat -L without -t lists every
# topic without asking for one (asking would create it on demand).
partitions() {
	kcat -b "$KAFKA_BROKERS" -L -J | jq -r --arg t "$1" \
		'[.topics[] | select(.topic == $t) | .partitions | length] | if length == 0 then "none" else .[0] end'
}
[ "$(partitions ct.fixed)" = none ] || fail "ct.fixed exists before the test"

kafka_gen_records 600 3 40 >in.ndjson

# A fixed topic, 5 partitions, replication factor 2.
"$BIN/kpub" -b "$KAFKA_BROKERS" --watermark-ms 0 -t ct.fixed --create-topics --partitions 5 --replication-factor 2 \
	<in.ndjson 2>err.txt || { rc=$?; cat err.txt; fail "kpub --create-topics exited $rc"; }
[ "$(partitions ct.fixed)" = 5 ] || fail "ct.fixed has $(partitions ct.fixed) partitions, want 5"
kcat -b "$KAFKA_BROKERS" -C -e -q -t ct.fixed -f '%s\n' | sort >got.txt
sort in.ndjson >want.txt
cmp -s want.txt got.txt || fail "ct.fixed does not hold the input's records"
used=$(kcat -b "$KAFKA_BROKERS" -C -e -q -t ct.fixed -f '%p\n' | sort -u | wc -l)
[ "$used" -ge 3 ] || fail "the records of ct.fixed use $used of its partitions"

# Per-table topics by template, kpub's defaults (6 partitions, the
# cluster's replication factor).
"$BIN/kpub" -b "$KAFKA_BROKERS" --watermark-ms 0 -t 'ct.{table}' --create-topics <in.ndjson 2>err.txt ||
	{ rc=$?; cat err.txt; fail "kpub --create-topics (template) exited $rc"; }
for t in 0 1 2; do
	[ "$(partitions ct.t$t)" = 6 ] || fail "ct.t$t has $(partitions ct.t$t) partitions, want 6"
	kcat -b "$KAFKA_BROKERS" -C -e -q -t ct.t$t -f '%s\n' | sort >got.txt
	grep "\"table\":\"t$t\"" in.ndjson | sort >want.txt
	cmp -s want.txt got.txt || fail "ct.t$t does not hold the records of table t$t"
done

# An existing topic is not an error: used as it is, its partitions kept.
"$BIN/kpub" -b "$KAFKA_BROKERS" --watermark-ms 0 -t ct.fixed --create-topics --partitions 9 <in.ndjson 2>err.txt ||
	{ rc=$?; cat err.txt; fail "kpub --create-topics on an existing topic exited $rc"; }
[ "$(partitions ct.fixed)" = 5 ] || fail "ct.fixed now has $(partitions ct.fixed) partitions, want 5"
[ "$(kcat -b "$KAFKA_BROKERS" -C -e -q -t ct.fixed | wc -l)" = 1200 ] ||
	fail "ct.fixed holds $(kcat -b "$KAFKA_BROKERS" -C -e -q -t ct.fixed | wc -l) records, want 1200"

# A replication factor above the 3 brokers: refused, exit 69, nothing
# created or published.
"$BIN/kpub" -b "$KAFKA_BROKERS" -t ct.bad --create-topics --partitions 2 --replication-factor 4 \
	<in.ndjson 2>err.txt
rc=$?
[ $rc = 69 ] || { cat err.txt; fail "replication factor 4 on 3 brokers: exit $rc, want 69"; }
grep -q '^kpub: cannot create topic ct.bad (replication factor 4 .*3 brokers' err.txt ||
	{ cat err.txt; fail "no clear message for the refused topic"; }
[ "$(partitions ct.bad)" = none ] || fail "ct.bad exists after a refused creation"
echo "ok"
