#!/usr/bin/env bash
# ksub --ordered stopped (SIGTERM) while its cooperative group is rebalancing
# for a member that joins. ksub finishes: it closes stdout and leaves the
# group, and the rebalance takes one partition away meanwhile. That revoke
# lets go the records that were waiting for the partition, in the partition
# ksub keeps until it leaves. Its stdout is closed by then: they must be
# neither written nor marked (ksub.c, `finishing`), so that nothing is
# committed past them and the member that takes the kept partition over
# delivers them. Without that guard ksub put them in its output buffer,
# flushed that to /dev/null when it gave up the kept partition, and committed
# past them: no member ever wrote them. (With --ack only what is acked is
# committed; there the guard spares a wait for acks that cannot come.)
#
# Which partition moves is the assignor's choice. Each partition holds
# records of a stream of its own, which wait in the first member for the
# other partition (it has shown nothing of that stream), so whichever moves,
# the one kept holds records waiting for it. The brokers answer 500 ms late
# during the rebalance, so that it is still under way when ksub has stopped
# reading and gives up its subscription: librdkafka completes the rebalance
# (the partial revoke) before it revokes the rest. The test checks that this
# is what happened, so it cannot pass without testing the guard.
set -u
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/kafka.sh"
needs ksub kcat jq

T=ks.finish
kafka_start -n 3 $T:2:3
cd "$TEST_TMP"
KX=(-b "$KAFKA_BROKERS" -X session.timeout.ms=6000 -X heartbeat.interval.ms=500
	-X partition.assignment.strategy=cooperative-sticky --no-progress)
within() { # within SECONDS COMMAND... : COMMAND succeeds within SECONDS
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		"${@:2}" && return 0
		sleep 0.05
	done
	return 1
}
has() { grep -Eq "$2" "$1" 2>/dev/null; } # has FILE REGEX

kafka_gen_records 3 1 50 pg/d/s0 >s0.ndjson
kafka_gen_records 3 1 50 pg/d/s1 >s1.ndjson
kcat -P -b "$KAFKA_BROKERS" -t $T -p 0 -l s0.ndjson || fail "kcat -P (partition 0)"
kcat -P -b "$KAFKA_BROKERS" -t $T -p 1 -l s1.ndjson || fail "kcat -P (partition 1)"
kcat -C -b "$KAFKA_BROKERS" -t $T -e -q -f 'kafka/%t/%p %o\n' | sort >all.txt
[ "$(wc -l <all.txt)" = 6 ] || fail "topic holds $(wc -l <all.txt) messages, want 6"

# The first member; -v -v with debug=cgrp shows librdkafka's join states.
"$BIN/ksub" "${KX[@]}" --ordered -G gf -v -v -X debug=cgrp $T >a.ndjson 2>a.err &
a=$!
on_exit "kill -9 $a 2>/dev/null"
within 20 eval '[ "$(grep -c "^ksub: end of kafka/$T/[01] at offset 3" a.err 2>/dev/null)" = 2 ]' ||
	fail "the first member did not read both partitions ($(grep -v '^ksub: kafka' a.err))"
sleep 0.5
[ ! -s a.ndjson ] || fail "the records did not wait for each other's partition: $(cat a.ndjson)"

kafka_cmd "rtt -1 500" >/dev/null || fail "rtt"
mark=$(wc -l <a.err)
"$BIN/ksub" "${KX[@]}" -G gf -v $T >b.ndjson 2>b.err &
b=$!
on_exit "kill -9 $b 2>/dev/null"
# Rejoining: the partial revoke is at least a JoinGroup and a SyncGroup away.
rejoining() { tail -n +$((mark + 1)) a.err | grep -Eq 'changed join state init -> wait-(metadata|join)'; }
within 20 rejoining || fail "the first member did not rejoin for the second ($(grep -v '^ksub: kafka' a.err))"
kill -TERM $a
within 20 eval "! kill -0 $a 2>/dev/null" || fail "the first member did not exit within 20 s of SIGTERM"
wait $a || fail "the first member exited $? on SIGTERM ($(grep -v '^ksub: kafka' a.err | tail -n 5))"
kafka_cmd "rtt -1 0" >/dev/null || fail "rtt 0"

# What happened: after the signal, a revoke of one partition by the
# rebalance, then of the other.
sed -n '/^ksub: signal received/,$p' a.err >finish.err
has finish.err 'incremental revoke of 1 partition\(s\) .*: sync group revoke' ||
	fail "the rebalance did not revoke a partition while the first member finished ($(grep -v '^ksub: kafka' a.err))"
moved=$(sed -n "s|^ksub: revoked kafka/$T/||p" finish.err | head -n 1)
[ -n "$moved" ] || fail "nothing revoked after the signal ($(grep -v '^ksub: kafka' a.err))"
kept=$((1 - moved))
note "partition $moved moved while the first member finished; it kept partition $kept until it left"

# The second member now has both, each from the offset the group committed.
within 20 eval '[ "$(grep -c "^ksub: end of kafka/$T/[01] at offset 3" b.err 2>/dev/null)" = 2 ]' ||
	fail "the second member did not get both partitions ($(cat b.err))"
sleep 0.5
kill -TERM $b
wait $b || fail "the second member exited $? on SIGTERM ($(tail -n 5 b.err))"

[ ! -s a.ndjson ] || fail "the first member wrote records: $(cat a.ndjson)"
jq -r '"\(.pos.stream) \(.pos.offset)"' b.ndjson | sort >got.txt
if ! cmp -s all.txt got.txt; then
	comm -23 all.txt got.txt | sed 's/^/never delivered: /'
	comm -13 all.txt got.txt | sed 's/^/not in the topic: /'
	sort got.txt | uniq -d | sed 's/^/delivered twice: /'
	fail "not every record went out once (those of partition $kept waited in the first member when it stopped)"
fi
note "the records of partition $kept that waited in the first member went out from the second"
echo "ksub-ordered-finish: ok"
