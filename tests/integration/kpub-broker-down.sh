#!/usr/bin/env bash
# A broker goes down while kpub produces and comes back: kpub waits and
# retries, nothing is lost, and the idempotent producer writes no duplicate.
# The topic's content must equal the input, per key in input order.
set -u
. "$(dirname "$0")/../lib/pg.sh"
needs kpub kcat

kafka_start -n 3 d.s.t0:6:3 d.s.t1:6:3
cd "$TEST_TMP" || exit 1
kafka_gen_records 24000 2 400 >in.ndjson
mkfifo ack
cat <>ack >>acks.log &
on_exit "kill $!"

# Slow input, so that the outage falls in the middle of the stream.
( for i in $(seq 0 47); do sed -n "$((i * 500 + 1)),$((i * 500 + 500))p" in.ndjson; sleep 0.1; done ) |
	"$BIN/kpub" -b "$KAFKA_BROKERS" --ack ack 2>kpub.err &
kp=$!
sleep 1
# Broker 1 leads a third of the partitions; the mock does not move
# leadership, so those partitions wait for it. A delay on broker 2 at the
# same time makes requests time out and be retried.
kafka_cmd "down 1" >/dev/null || fail "down 1"
kafka_cmd "rtt 2 300" >/dev/null || fail "rtt"
sleep 3
kafka_cmd "up 1" >/dev/null || fail "up 1"
kafka_cmd "rtt 2 0" >/dev/null || fail "rtt 0"
wait $kp
rc=$?
[ $rc = 0 ] || { cat kpub.err; fail "kpub exited $rc"; }

kafka_dump d.s.t0 d.s.t1 >out.tsv
n=$(wc -l <out.tsv)
dups=$(cut -f6 out.tsv | sort | uniq -d | wc -l)
[ "$dups" = 0 ] || fail "$dups duplicate messages in the topics"
[ "$n" = 24000 ] || fail "$n messages in the topics, want 24000"
kafka_expect in.ndjson | sort -s -t"$(printf '\t')" -k1,2 >want
cut -f1,4- out.tsv | sort -s -t"$(printf '\t')" -k1,2 >got
diff want got >diff.txt || { head -n 5 diff.txt; fail "topic content differs from the input"; }
last=$(tail -n 1 in.ndjson | jq -r .pos.offset)
sleep 0.2
[ "$(tail -n 1 acks.log)" = "pg/d/slot $last" ] || fail "final ack $(tail -n 1 acks.log), want $last"
echo "kpub-broker-down: ok"
