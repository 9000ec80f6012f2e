#!/usr/bin/env bash
# kpub's acks: the ack FIFO receives, per stream, the newest offset of the
# contiguous prefix the brokers acknowledged; everything at or below an ack
# is in Kafka. A permanent delivery error stops kpub with exit 69 and nothing
# past the failed record is acked. After kill -9 an upstream that replays
# from the last ack loses nothing, and duplicates only come after that ack.
set -u
. "$(dirname "$0")/../lib/pg.sh"
needs kpub kcat

kafka_start -n 3 d.s.t0:3:3 d.s.t1:3:3 e.s.t0:3:3 k.s.t0:3:3 k.s.t1:3:3
cd "$TEST_TMP" || exit 1
mkfifo ack
cat <>ack >>acks.log &
catpid=$!
on_exit "kill $catpid"
TOPICS1="d.s.t0 d.s.t1"

offset_of() { sed -n "$1p" "$2" | jq -r .pos.offset; }
# Line number of the record with offset $1 in file $2.
line_of() { grep -n -F "\"offset\":\"$1\"}" "$2" | cut -d: -f1; }
wait_ack() { # wait_ack STREAM OFFSET
	local i
	for i in $(seq 1 200); do
		[ "$(tail -n 1 acks.log)" = "$1 $2" ] && return 0
		sleep 0.05
	done
	fail "no ack '$1 $2' (last: $(tail -n 1 acks.log))"
}

# --- 1. acks of a complete run, two streams interleaved
kafka_gen_records 4000 2 40 pg/d/a >a.ndjson
kafka_gen_records 4000 2 40 pg/d/b >b.ndjson
paste -d'\n' a.ndjson b.ndjson >in1.ndjson
"$BIN/kpub" -b "$KAFKA_BROKERS" --ack ack <in1.ndjson || fail "kpub exited $?"
sleep 0.2
for s in a b; do
	last=$(offset_of 4000 $s.ndjson)
	grep -q "^pg/d/$s $last\$" acks.log || fail "no final ack for pg/d/$s ($last)"
	# Acks of a stream only grow, and name offsets of its records.
	grep "^pg/d/$s " acks.log | cut -d' ' -f2 >acked.$s
	while read -r o; do line_of "$o" $s.ndjson; done <acked.$s >lines.$s
	[ "$(wc -l <lines.$s)" = "$(wc -l <acked.$s)" ] || fail "ack of an unknown offset on pg/d/$s"
	sort -n -c lines.$s || fail "acks of pg/d/$s go backwards"
done
[ "$(kafka_dump $TOPICS1 | wc -l)" = 8000 ] || fail "run 1: not 8000 messages"

# --- 2. a permanent error: exit 69, no ack past the failed record
kafka_gen_records 400 1 40 pg/e/s e >e.ndjson
mkfifo in2
exec {w}<>in2
"$BIN/kpub" -b "$KAFKA_BROKERS" --ack ack -X message.timeout.ms=10000 <in2 2>err2.txt &
kp=$!
head -n 200 e.ndjson >&$w
wait_ack pg/e/s "$(offset_of 200 e.ndjson)"
# Produce (ApiKey 0) now fails with TOPIC_AUTHORIZATION_FAILED (29).
kafka_cmd "error 0 29 100000" >/dev/null || fail "kafka_cmd error"
tail -n +201 e.ndjson >&$w
wait $kp
rc=$?
exec {w}>&-
kafka_cmd "clear 0" >/dev/null
[ $rc = 69 ] || { cat err2.txt; fail "permanent error: exit $rc, want 69"; }
grep -qi '^kpub: .*authorization failed' err2.txt || { cat err2.txt; fail "no error message"; }
[ "$(grep '^pg/e/s ' acks.log | tail -n 1)" = "pg/e/s $(offset_of 200 e.ndjson)" ] ||
	fail "acked past the failure: $(grep '^pg/e/s ' acks.log | tail -n 1)"

# --- 3. kill -9 mid-stream; the upstream replays after the last ack
kafka_gen_records 30000 2 500 pg/k/s k >k.ndjson
: >acks.log
( for i in $(seq 0 59); do sed -n "$((i * 500 + 1)),$((i * 500 + 500))p" k.ndjson; sleep 0.05; done ) |
	"$BIN/kpub" -b "$KAFKA_BROKERS" --ack ack &
kp=$!
sleep 1.2
kill -9 $kp
wait $kp 2>/dev/null
sleep 0.3
A=$(grep '^pg/k/s ' acks.log | tail -n 1 | cut -d' ' -f2)
[ -n "$A" ] || fail "no ack before the kill"
n=$(line_of "$A" k.ndjson)
[ "$n" -lt 30000 ] || fail "kpub finished before the kill; make the input slower"
note "killed after ack $A (record $n of 30000)"
# Everything at or below the ack is in Kafka already.
kafka_dump k.s.t0 k.s.t1 | cut -f6 | sort -u >got1
head -n "$n" k.ndjson | sort -u | comm -23 - got1 >missing1
[ ! -s missing1 ] || fail "$(wc -l <missing1) acked records are not in Kafka"
# Restart from after the ack.
tail -n +"$((n + 1))" k.ndjson | "$BIN/kpub" -b "$KAFKA_BROKERS" --ack ack || fail "restart: exit $?"
kafka_dump k.s.t0 k.s.t1 | cut -f6 >got2
sort -u got2 | comm -3 - <(sort -u k.ndjson) >diff2
[ ! -s diff2 ] || fail "after restart, Kafka and input differ in $(wc -l <diff2) records"
# Duplicates are only records after the last ack.
sort got2 | uniq -d >dups
early=$(jq -r .pos.offset dups | awk -v n="$n" 'NR == FNR { line[$0] = FNR; next }
	{ if (line[$0] <= n) print }' <(jq -r .pos.offset k.ndjson) -)
[ -z "$early" ] || fail "records at or before the ack were published twice: $(head -n 3 <<<"$early")"
note "$(wc -l <dups) duplicates, all after the last ack"

# --- 4. SIGTERM: what was read is flushed and acked, exit 0, promptly
kafka_gen_records 2000 1 100 pg/t/s k >t.ndjson
exec {w}<>in2
"$BIN/kpub" -b "$KAFKA_BROKERS" --ack ack <in2 2>err4.txt &
kp=$!
cat t.ndjson >&$w
sleep 1
kill -TERM $kp
t0=$(date +%s)
wait $kp
rc=$?
exec {w}>&-
[ $rc = 0 ] || { cat err4.txt; fail "SIGTERM: exit $rc, want 0"; }
[ $(($(date +%s) - t0)) -le 5 ] || fail "SIGTERM: took more than 5 s"
sleep 0.2
[ "$(grep '^pg/t/s ' acks.log | tail -n 1)" = "pg/t/s $(offset_of 2000 t.ndjson)" ] ||
	fail "SIGTERM: last ack $(grep '^pg/t/s ' acks.log | tail -n 1), want record 2000"

# --- 4b. SIGTERM while kpub waits for room in a tiny queue (slow
# brokers). It publishes a batch's records grouped by topic and partition,
# not in input order (the input's tables alternate); its ack must still
# name only a record below which all input is in Kafka. Acks flow while it
# waits: one is written before the SIGTERM.
kafka_gen_records 5000 2 300 pg/q/s q >q.ndjson
kafka_cmd "rtt -1 100" >/dev/null || fail "rtt"
"$BIN/kpub" -b "$KAFKA_BROKERS" --ack ack -X queue.buffering.max.messages=3 -X linger.ms=0 \
	<q.ndjson 2>err4b.txt &
kp=$!
sleep 2
grep -q '^pg/q/s ' acks.log || fail "no ack while kpub waited for room in its queue"
kill -TERM $kp
wait $kp
rc=$?
kafka_cmd "rtt -1 0" >/dev/null || fail "rtt 0"
[ $rc = 0 ] || { cat err4b.txt; fail "SIGTERM while the queue is full: exit $rc, want 0"; }
sleep 0.2
A=$(grep '^pg/q/s ' acks.log | tail -n 1 | cut -d' ' -f2)
n=$(line_of "$A" q.ndjson)
[ "$n" -lt 5000 ] || fail "kpub finished before the SIGTERM; make the input longer"
kafka_dump q.s.t0 q.s.t1 | cut -f6 | sort -u >got4b
head -n "$n" q.ndjson | sort -u | comm -23 - got4b >missing4b
[ ! -s missing4b ] || fail "$(wc -l <missing4b) records at or below ack $A are not in Kafka"
# Records past the ack went out too, out of input order: the case the ack
# has to get right (else this part tests nothing).
past=$(tail -n +"$((n + 1))" q.ndjson | sort -u | comm -12 - got4b | wc -l)
[ "$past" -gt 0 ] || fail "no record past the ack was published; nothing was reordered"
note "SIGTERM with a full queue: ack $A (record $n of 5000), $past records past it in Kafka"

# --- 5. every broker down at end of input: the flush timeout ends kpub with
# exit 75 (try again later) and nothing unacknowledged is acked
kafka_gen_records 100 1 100 pg/u/s k >u.ndjson
kafka_cmd "down -1" >/dev/null || fail "down -1"
"$BIN/kpub" -b "$KAFKA_BROKERS" --ack ack --flush-timeout 2 <u.ndjson 2>err5.txt
rc=$?
kafka_cmd "up -1" >/dev/null || fail "up -1"
[ $rc = 75 ] || { cat err5.txt; fail "flush timeout: exit $rc, want 75"; }
grep -q '^pg/u/s ' acks.log && fail "acked records no broker acknowledged"
echo "kpub-acks: ok"
