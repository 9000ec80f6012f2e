#!/usr/bin/env bash
# The mock Kafka cluster the tests use (bin/peers/kafka-cluster, via
# tests/lib/kafka.sh): it prints its bootstrap servers, creates the topics
# asked for, answers every fault command, and the faults take effect as
# kcat sees them; end of its input does not stop it, SIGTERM does.
set -u
. "$(dirname "$0")/../lib/pg.sh"
needs kcat

kafka_start -n 3 c.one:5:3 c.two:2:1
cd "$TEST_TMP" || exit 1
[ "$(tr ',' '\n' <<<"$KAFKA_BROKERS" | grep -c '^127\.0\.0\.1:[0-9][0-9]*$')" = 3 ] ||
	fail "bootstrap servers '$KAFKA_BROKERS' are not 3 loopback addresses"
meta=$(kcat -b "$KAFKA_BROKERS" -L)
grep -q '3 brokers:' <<<"$meta" || fail "not 3 brokers: $meta"
grep -q 'topic "c.one" with 5 partitions' <<<"$meta" || fail "c.one: $meta"
grep -q 'topic "c.two" with 2 partitions' <<<"$meta" || fail "c.two: $meta"

# Commands and their answers.
kafka_cmd "create c.three 3 2" >/dev/null || fail "create"
kcat -b "$KAFKA_BROKERS" -L -t c.three | grep -q 'with 3 partitions' || fail "c.three not created"
ans=$(kafka_cmd "create c.three 3 2") && fail "creating an existing topic answered ok"
grep -qi "exists" <<<"$ans" || fail "create twice: '$ans'"
ans=$(kafka_cmd "frobnicate 1") && fail "an unknown command answered ok"
[ "${ans#error}" != "$ans" ] || fail "unknown command: '$ans'"
ans=$(kafka_cmd "down x") && fail "a bad number answered ok"

kafka_cmd "leader c.one 0 3" >/dev/null || fail "leader"
kcat -b "$KAFKA_BROKERS" -L -t c.one | grep -q 'partition 0, leader 3,' || fail "partition 0 not led by 3"
kafka_cmd "leader c.one 0 2" >/dev/null || fail "leader"
kcat -b "$KAFKA_BROKERS" -L -t c.one | grep -q 'partition 0, leader 2,' || fail "partition 0 not led by 2"

# down: the broker refuses connections; up: it accepts them again.
b2=$(cut -d, -f2 <<<"$KAFKA_BROKERS")
kafka_cmd "down 2" >/dev/null || fail "down"
(exec 3<>"/dev/tcp/${b2%:*}/${b2#*:}") 2>/dev/null && fail "broker 2 accepts connections while down"
echo x | timeout 10 kcat -b "$KAFKA_BROKERS" -P -t c.one -p 0 -X message.timeout.ms=2000 2>/dev/null &&
	fail "produce to a partition led by a down broker succeeded"
kafka_cmd "up 2" >/dev/null || fail "up"
(exec 3<>"/dev/tcp/${b2%:*}/${b2#*:}") 2>/dev/null || fail "broker 2 refuses connections after up"
echo y | kcat -b "$KAFKA_BROKERS" -P -t c.one -p 0 || fail "produce after up"

# error: the next Produce requests fail with the given error.
kafka_cmd "error 0 29 5" >/dev/null || fail "error"
err=$(echo z | timeout 20 kcat -b "$KAFKA_BROKERS" -P -t c.two -p 0 2>&1)
grep -qi "authorization" <<<"$err" || fail "produce did not fail with the pushed error: $err"
kafka_cmd "clear 0" >/dev/null || fail "clear"

# rtt: requests to the broker take that long.
kafka_cmd "rtt -1 700" >/dev/null || fail "rtt"
t0=$(date +%s%N)
echo w | kcat -b "$KAFKA_BROKERS" -P -t c.two -p 1 || fail "produce with rtt"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -ge 700 ] || fail "a produce with 700 ms rtt took $ms ms"
kafka_cmd "rtt -1 0" >/dev/null || fail "rtt 0"
[ "$(kcat -b "$KAFKA_BROKERS" -C -e -q -t c.one -p 0 -f '%s\n')" = y ] || fail "c.one/0 content"

# End of input does not stop it; SIGTERM does, promptly.
exec {KAFKA_FD}>&-
KAFKA_FD=
sleep 0.5
kill -0 "$KAFKA_PID" 2>/dev/null || fail "the cluster stopped at end of its input"
kcat -b "$KAFKA_BROKERS" -L >/dev/null 2>&1 || fail "the cluster stopped serving at end of its input"
kill -TERM "$KAFKA_PID"
for _ in $(seq 1 50); do kill -0 "$KAFKA_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$KAFKA_PID" 2>/dev/null && fail "SIGTERM did not stop the cluster within 5 s"
wait "$KAFKA_PID"
rc=$?
KAFKA_PID=
[ $rc = 0 ] || fail "the cluster exited $rc on SIGTERM"

# Prompt with many topics, at start and by command: librdkafka 2.0.2's
# mock cluster loses wake-ups of its thread, and without the peer's kicks
# (tests/peers/kafka-cluster/kick.h) one start in five with these 30
# topics took 1 to 11 s instead of under 0.1 s.
many=()
for i in $(seq 1 30); do many+=("p.t$i:6"); done
for round in $(seq 1 12); do
	t0=$(date +%s%N)
	kafka_start -n 3 "${many[@]}"
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -lt 2000 ] || fail "start $round with 30 topics took $ms ms"
	if [ "$round" = 1 ]; then
		t0=$(date +%s%N)
		for i in $(seq 1 30); do kafka_cmd "create q.t$i 6 3" >/dev/null || fail "create q.t$i"; done
		ms=$((($(date +%s%N) - t0) / 1000000))
		[ "$ms" -lt 4000 ] || fail "30 create commands took $ms ms"
		[ "$(kcat -b "$KAFKA_BROKERS" -L | grep -c 'topic "[pq]\.t[0-9]*" with 6 partitions')" = 60 ] ||
			fail "not the 60 topics of 6 partitions"
	fi
	kafka_stop
done

# quit stops it too.
kafka_start -n 1
kafka_cmd quit >/dev/null || fail "quit"
for _ in $(seq 1 50); do kill -0 "$KAFKA_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$KAFKA_PID" 2>/dev/null && fail "quit did not stop the cluster"
echo "kafka-cluster-basic: ok"
