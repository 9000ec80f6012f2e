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
# Each member then exits 0 on SIGTERM within 20 s, the group perhaps still
# rebalancing: librdkafka 2.0 aborts closing a cooperative consumer that has
# not had its first assignment yet, and may hang closing one mid-rebalance
# (ksub waits for the one and leaves the group before it closes).
set -u
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/kafka.sh"
needs ksub kcat jq

T=ks.revoke
kafka_start -n 3 $T:2:3 ks.revoke2:6:3
cd "$TEST_TMP"
KX=(-b "$KAFKA_BROKERS" -X session.timeout.ms=6000 -X heartbeat.interval.ms=500
	-X partition.assignment.strategy=cooperative-sticky --no-progress --ordered)
member() { # member NAME GROUP TOPIC : a ksub in the background ($member), writing NAME.ndjson and NAME.err
	"$BIN/ksub" "${KX[@]}" -G "$2" -v "$3" >"$1.ndjson" 2>"$1.err" &
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

# One record of stream pg/d/slot, in partition 1 alone. (The sticky
# assignor takes partition 0 from the first member for the second.)
kafka_gen_records 1 1 1 >one.ndjson
kcat -P -b "$KAFKA_BROKERS" -t $T -p 1 one.ndjson || fail "kcat -P"

member m1 g1 $T
m1=$member
# m1 has both partitions; partition 0 has shown nothing of the stream, so
# the record waits.
logged m1.err "assigned kafka/$T/0" || fail "the first member was not given partition 0 ($(cat m1.err))"
sleep 2
[ ! -s m1.ndjson ] || fail "the record did not wait for partition 0: $(cat m1.ndjson)"

member m2 g1 $T
m2=$member
logged m1.err "revoked kafka/$T/"
revoked=$(sed -n "s|^ksub: revoked kafka/$T/||p" m1.err | head -n 1)
[ -n "$revoked" ] || fail "no partition was revoked from the first member ($(cat m1.err))"
# The sticky assignor moves partition 0, which the record waited for: the
# first member lets it go. (Were it partition 1, the second reads it.)
holder=m1
[ "$revoked" = 1 ] && holder=m2
for ((i = 0; i < 400; i++)); do
	[ -s $holder.ndjson ] && break
	sleep 0.05
done
[ "$(jq -c '[.op, .after.id, .pos.stream]' $holder.ndjson)" = '["c",1,"kafka/'$T'/1"]' ] ||
	fail "the record did not go after partition $revoked was revoked: $(cat m1.ndjson m2.ndjson)"
[ "$(cat m1.ndjson m2.ndjson | wc -l)" = 1 ] || fail "the record went twice: $(cat m1.ndjson m2.ndjson)"
note "1: the waiting record went once partition $revoked was revoked"
stop_members $m1 $m2

# 2. More waiting than the queues for order hold (the mock keeps 5 MB a
# partition, so 4 MB in each of partitions 1-5).
T2=ks.revoke2
# 5 records of 850 kB a partition, one stream, in source order in each
awk 'BEGIN {
	v = "x"; while (length(v) < 850000) v = v v; v = substr(v, 1, 850000)
	for (i = 1; i <= 25; i++) {
		part = (i - 1) % 5 + 1
		printf "%d\t{\"v\":1,\"op\":\"c\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"big\",\"cols\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"v\",\"type\":\"text\"}],\"key\":[\"id\"],\"after\":{\"id\":%d,\"v\":\"%s\"},\"src\":{\"lsn\":\"0/%X\",\"xid\":%d,\"ts\":\"2026-11-25T13:58:45.123456Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/d/slot\",\"offset\":\"0/%X:1\"}}\n", part, i, v, 16777216 + i * 256, 700 + i, 16777216 + i * 256
	}
}' >big.tsv
produce() { # produce PART FIRST LAST : records FIRST..LAST of partition PART (1-based among its own)
	awk -F '\t' -v p="$1" -v a="$2" -v b="$3" '$1 == p { n++; if (n >= a && n <= b) print $2 }' big.tsv >part.ndjson
	kcat -P -b "$KAFKA_BROKERS" -t $T2 -p "$1" -l part.ndjson || fail "kcat -P (partition $1)"
}
# The first record of each takes it to a queue of its own, which ksub can
# stop reading; the others then come into it.
for p in 1 2 3 4 5; do produce $p 1 1; done
member b1 g2 $T2
m1=$member
for ((i = 0; i < 400; i++)); do
	[ "$(grep -c "reading kafka/$T2/[1-5] from a queue of its own" b1.err 2>/dev/null)" = 5 ] && break
	sleep 0.05
done
[ "$(grep -c "reading kafka/$T2/[1-5] from a queue of its own" b1.err)" = 5 ] ||
	fail "partitions without a queue of their own ($(cat b1.err))"
for p in 1 2 3 4 5; do produce $p 2 5; done
logged b1.err "held kafka/$T2/" || fail "the first member did not stop reading a partition ($(cat b1.err))"
sleep 1
[ ! -s b1.ndjson ] || fail "records did not wait for partition 0"
member b2 g2 $T2
m2=$member
logged b1.err "revoked kafka/$T2/" && grep -q "revoked kafka/$T2/0" b1.err || fail "partition 0 was not revoked from the first member ($(cat b1.err))"
kept=$(sed -n "s|^ksub: assigned kafka/$T2/||p" b1.err | sort -u | grep -vxF -f <(sed -n "s|^ksub: revoked kafka/$T2/||p" b1.err) | tr '\n' ' ')
# What the kept partitions hold goes in source order, each record once the
# others have shown they are past it: all but the last of them, which waits
# for a watermark (kpub writes those; none here).
for ((i = 0; i < 200; i++)); do
	[ -s b1.ndjson ] && break
	sleep 0.05
done
[ -s b1.ndjson ] || fail "after partition 0 was revoked, the first member (partitions $kept) wrote nothing ($(grep -v nudged b1.err | tail -n 20))"
sleep 1
got=$(jq -c '.after.id' b1.ndjson | tr '\n' ' ')
[ "$(jq -c '.after.id' b1.ndjson | sort -n | tr '\n' ' ')" = "$got" ] || fail "the first member wrote them out of source order: $got"
for id in $got; do
	case " $kept" in *" $(((id - 1) % 5 + 1)) "*) ;; *) fail "record $id is of a partition the first member did not keep ($kept): $got" ;; esac
done
note "2: once partition 0 was revoked, the first member let go of records held past the queues' bound: $got"
stop_members $m1 $m2
echo "ksub-ordered-revoke: ok"
