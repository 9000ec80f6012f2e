#!/usr/bin/env bash
# ksub --ordered in a group with cooperative rebalancing (cooperative-sticky:
# a member keeps the partitions not taken away): records that wait for a
# partition of the same consumer that has shown nothing of their stream go
# out once that partition is revoked to a member that joins.
#   1. One record, once only. librdkafka's end-of-partition event after the
#      rebalance would let it go too: this is the behaviour, whoever did it.
#   2. 20 MB waiting, past the 16 MiB the queues for order hold: ksub stops
#      reading those partitions, no event of theirs comes, and only the
#      release in the revoke itself lets them go (without it, nothing is
#      written).
# Which partition moves is the assignor's choice, and must not decide what
# is tested: in 1 each of the two partitions holds a record that waits for
# the other, so whichever moves, the one kept has a record to let go; in 2
# the partition that the records wait for is in a topic of its own, the only
# one the joining member subscribes to. The members' logs tell which
# partitions moved, and the checks follow them.
# The members commit nothing (--ack, and no stage acks): in the mock cluster
# a commit while the group rebalances fails (illegal generation), librdkafka
# 2.0 then takes the member's whole assignment for lost, and partitions move
# again, some records with them to be delivered twice.
# Each member then exits 0 on SIGTERM within 20 s, the group perhaps still
# rebalancing: librdkafka 2.0 aborts closing a cooperative consumer that has
# not had its first assignment yet, and may hang closing one mid-rebalance
# (ksub waits for the one and leaves the group before it closes).
set -u
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/kafka.sh"
needs ksub kcat jq

T=ks.revoke
T2=ks.revoke2
Z=ks.revoke2z
kafka_start -n 3 $T:2:3 $T2:5:3 $Z:1:3
cd "$TEST_TMP"
mkfifo none.ack
KX=(-b "$KAFKA_BROKERS" -X session.timeout.ms=6000 -X heartbeat.interval.ms=500
	-X partition.assignment.strategy=cooperative-sticky --no-progress --ordered
	--ack none.ack --ack-wait 0)
member() { # member NAME GROUP TOPIC... : a ksub in the background ($member), writing NAME.ndjson and NAME.err
	"$BIN/ksub" "${KX[@]}" -G "$2" -v "${@:3}" >"$1.ndjson" 2>"$1.err" &
	member=$!
	on_exit "kill $member 2>/dev/null"
}
logged() { # logged FILE PATTERN : FILE has a line matching PATTERN within 20 s
	local i
	for ((i = 0; i < 400; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
parts() { # parts FILE WHAT TOPIC : the partitions of TOPIC that FILE says were WHAT (assigned, revoked), sorted
	sed -n "s|^ksub: $2 kafka/$3/||p" "$1" | sort -n | tr '\n' ' '
}
stop_members() { # stop_members PID... : each exits 0 on SIGTERM, in time
	local p i
	kill -TERM "$@" 2>/dev/null
	for p in "$@"; do
		for ((i = 0; i < 400; i++)); do
			kill -0 $p 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 $p 2>/dev/null; then
			kill -9 $p
			fail "ksub $p did not exit within 20 s of SIGTERM"
		fi
		wait $p || fail "ksub $p exited $? on SIGTERM ($(tail -n 5 ./*.err))"
	done
}

# 1. A record of stream pg/d/s0 in partition 0, one of pg/d/s1 in
# partition 1: in the member that has both, each waits for the other
# partition, which has shown nothing of its stream.
kafka_gen_records 1 1 1 pg/d/s0 >s0.ndjson
kafka_gen_records 1 1 1 pg/d/s1 >s1.ndjson
kcat -P -b "$KAFKA_BROKERS" -t $T -p 0 s0.ndjson || fail "kcat -P (partition 0)"
kcat -P -b "$KAFKA_BROKERS" -t $T -p 1 s1.ndjson || fail "kcat -P (partition 1)"

member m1 g1 $T
m1=$member
logged m1.err "end of kafka/$T/0 at offset 1" && logged m1.err "end of kafka/$T/1 at offset 1" ||
	fail "the first member did not read both partitions ($(cat m1.err))"
sleep 1
[ ! -s m1.ndjson ] || fail "the records did not wait for each other's partition: $(cat m1.ndjson)"

member m2 g1 $T
m2=$member
logged m1.err "revoked kafka/$T/" || fail "no partition was revoked from the first member ($(cat m1.err))"
moved=$(parts m1.err revoked $T)
moved=${moved% }
case $moved in 0 | 1) ;; *) fail "the first member gave up partitions $moved, want one of the two" ;; esac
kept=$((1 - moved))
# The first member lets go of the record of the partition it kept; the
# second member gets the other partition and writes its record.
logged m2.err "assigned kafka/$T/" || fail "the second member was given nothing ($(cat m2.err))"
for ((i = 0; i < 400; i++)); do
	[ -s m1.ndjson ] && [ -s m2.ndjson ] && break
	sleep 0.05
done
sleep 0.5
[ "$(parts m1.err revoked $T)" = "$moved " ] && [ "$(parts m1.err assigned $T)" = "0 1 " ] ||
	fail "the first member's partitions changed again: $(grep -E 'assigned|revoked' m1.err)"
[ "$(parts m2.err assigned $T)" = "$moved " ] ||
	fail "the second member has partitions $(parts m2.err assigned $T), want $moved, which the first gave up"
[ "$(jq -c '[.op, .after.id, .pos.stream]' m1.ndjson)" = '["c",1,"kafka/'$T/$kept'"]' ] ||
	fail "the record of partition $kept did not go out once after partition $moved was revoked: $(cat m1.ndjson)"
[ "$(jq -c '[.op, .after.id, .pos.stream]' m2.ndjson)" = '["c",1,"kafka/'$T/$moved'"]' ] ||
	fail "the second member did not write the record of partition $moved once: $(cat m2.ndjson)"
note "1: the record of partition $kept went once partition $moved was revoked (and that of $moved from the second member)"
stop_members $m1 $m2

# 2. More waiting than the queues for order hold (the mock keeps 5 MB a
# partition, so 4 MB in each of T2's 5 partitions), all of it waiting for
# Z's one partition, which shows nothing.
# 5 records of 850 kB a partition, one stream, in source order in each
awk 'BEGIN {
	v = "x"; while (length(v) < 850000) v = v v; v = substr(v, 1, 850000)
	for (i = 1; i <= 25; i++) {
		part = (i - 1) % 5
		printf "%d\t{\"v\":1,\"op\":\"c\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"big\",\"cols\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"v\",\"type\":\"text\"}],\"key\":[\"id\"],\"after\":{\"id\":%d,\"v\":\"%s\"},\"src\":{\"lsn\":\"0/%X\",\"xid\":%d,\"ts\":\"2026-11-25T13:58:45.123456Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/d/slot\",\"offset\":\"0/%X:1\"}}\n", part, i, v, 16777216 + i * 256, 700 + i, 16777216 + i * 256
	}
}' >big.tsv
produce() { # produce PART FIRST LAST : records FIRST..LAST of partition PART (1-based among its own)
	awk -F '\t' -v p="$1" -v a="$2" -v b="$3" '$1 == p { n++; if (n >= a && n <= b) print $2 }' big.tsv >part.ndjson
	kcat -P -b "$KAFKA_BROKERS" -t $T2 -p "$1" -l part.ndjson || fail "kcat -P (partition $1)"
}
# The first record of each takes it to a queue of its own, which ksub can
# stop reading; the others then come into it.
for p in 0 1 2 3 4; do produce $p 1 1; done
member b1 g2 $T2 $Z
m1=$member
for ((i = 0; i < 400; i++)); do
	[ "$(grep -c "reading kafka/$T2/[0-4] from a queue of its own" b1.err 2>/dev/null)" = 5 ] && break
	sleep 0.05
done
[ "$(grep -c "reading kafka/$T2/[0-4] from a queue of its own" b1.err)" = 5 ] ||
	fail "partitions without a queue of their own ($(cat b1.err))"
[ "$(parts b1.err assigned $Z)" = "0 " ] || fail "the first member was not given $Z ($(cat b1.err))"
for p in 0 1 2 3 4; do produce $p 2 5; done
logged b1.err "held kafka/$T2/" || fail "the first member did not stop reading a partition ($(cat b1.err))"
sleep 1
[ ! -s b1.ndjson ] || fail "records did not wait for $Z"
member b2 g2 $Z
m2=$member
logged b1.err "revoked kafka/" || fail "no partition was revoked from the first member ($(cat b1.err))"
kept=$(parts b1.err assigned $T2)
# What the kept partitions hold goes in source order, each record once the
# others have shown they are past it: 1-21. The last records of partitions
# 1-4 (22-25) wait for partition 0 to show it is past them, which takes a
# watermark (kpub writes those; none here).
for ((i = 0; i < 200; i++)); do
	[ -s b1.ndjson ] && break
	sleep 0.05
done
[ -s b1.ndjson ] || fail "after $Z was revoked, the first member (partitions $kept) wrote nothing ($(grep -v nudged b1.err | tail -n 20))"
logged b2.err "assigned kafka/$Z/0" || fail "the second member was not given $Z ($(cat b2.err))"
sleep 1
[ "$(parts b1.err revoked $Z)" = "0 " ] && [ -z "$(parts b1.err revoked $T2)" ] && [ "$kept" = "0 1 2 3 4 " ] ||
	fail "the first member gave up $T2 partitions $(parts b1.err revoked $T2) and $Z $(parts b1.err revoked $Z), want $Z alone"
# all of 1-21 (each 850 kB, read again once let go), and nothing else
for ((i = 0; i < 400; i++)); do
	[ "$(wc -l <b1.ndjson)" -ge 21 ] && break
	sleep 0.05
done
sleep 0.5
got=$(jq -c '.after.id' b1.ndjson | tr '\n' ' ')
[ "$got" = "$(seq -s ' ' 1 21) " ] ||
	fail "the first member wrote $got, want 1-21 in source order, once each (22-25 wait for a watermark)"
note "2: once $Z was revoked, the first member let go of records held past the queues' bound: $got"
stop_members $m1 $m2
echo "ksub-ordered-revoke: ok"
