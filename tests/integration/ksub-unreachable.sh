#!/usr/bin/env bash
# ksub stops on SIGTERM when no broker answers any more (every broker's
# round trip made 120 s, the group coordinator's included): the acks of
# every record come just before the signal, so its last commit has all of
# them to commit, and is waited for 10 s, not for as long as librdkafka
# retries it (over two minutes before); the consumer's close is bounded by
# session.timeout.ms. It exits 0 having written every record it read, and
# nothing is lost: once the brokers answer again, the group's next member
# delivers whatever no commit covered. A second signal ends the waits at
# once.
set -u
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/kafka.sh"
needs ksub kcat jq

T=ks.unreach
kafka_start -n 3 $T:3:3
cd "$TEST_TMP"
KX=(-b "$KAFKA_BROKERS" -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 --no-progress)

kafka_gen_records 600 3 100 | jq -r -c '"\(.table).\(.after.id // .before.id):" + tojson' >in.kv
kcat -P -b "$KAFKA_BROKERS" -t $T -K: -l in.kv || fail "kcat -P"
kcat -C -b "$KAFKA_BROKERS" -t $T -e -q -f 'kafka/%t/%p %o\n' | sort >all.txt
[ "$(wc -l <all.txt)" = 600 ] || fail "topic holds $(wc -l <all.txt) messages"

rtt() { for b in 1 2 3; do kafka_cmd "rtt $b $1" >/dev/null || fail "rtt $b $1"; done; }
# positions GROUP-FILE...: the records' "stream offset", sorted
positions() { cat "$@" | jq -r '"\(.pos.stream) \(.pos.offset)"' | sort; }

# start_reader GROUP OUT: ksub in the background (pid in $reader) until it
# has written all 600 records
mkfifo ack.fifo
exec {ackfd}<>ack.fifo
start_reader() {
	"$BIN/ksub" "${KX[@]}" -G "$1" --ack ack.fifo $T >"$2" 2>"$2.err" &
	reader=$!
	for _ in $(seq 1 300); do
		[ "$(wc -l <"$2")" -ge 600 ] && break
		kill -0 "$reader" 2>/dev/null || { cat "$2.err" >&2; fail "ksub ($1) exited early"; }
		sleep 0.1
	done
	[ "$(wc -l <"$2")" = 600 ] || { cat "$2.err" >&2; fail "ksub ($1) wrote $(wc -l <"$2") records, want 600"; }
}
# ack_all OUT: acks each partition's last record in OUT
ack_all() { jq -r '"\(.pos.stream) \(.pos.offset)"' "$1" | sort -k1,1 -k2,2n | awk '{ last[$1] = $2 } END { for (s in last) print s, last[s] }' >&$ackfd; }
# stopped_within SECONDS: waits for $reader; its exit status, or fails
stopped_within() {
	exits_within "$1" "$reader" || fail "ksub still running $1 s after the signal: $(tail -n 3 "$out.err")"
	wait "$reader"
}

# 1. one SIGTERM while nothing answers
out=one.ndjson
start_reader g1 $out
rtt 120000
t0=$(date +%s)
ack_all $out
kill -TERM "$reader"
stopped_within 40
rc=$?
[ $rc = 0 ] || { cat $out.err >&2; fail "ksub exited $rc after SIGTERM, want 0"; }
note "ksub stopped $(($(date +%s) - t0)) s after SIGTERM"
# (a periodic commit may have taken the acks between their reading and
# the signal, rarely: then nothing was left for the last commit)
grep -q "not confirmed within" $out.err || note "the last commit had nothing to commit"
positions $out >one.pos
diff all.txt one.pos >/dev/null || fail "ksub wrote other records than the topic holds: $(diff all.txt one.pos | head -5)"

# nothing lost: with the brokers back, the group's next member delivers
# what no commit covered; with the first run's records that is all of them
rtt 0
"$BIN/ksub" "${KX[@]}" -G g1 -e $T >rest.ndjson 2>rest.err || { cat rest.err >&2; fail "the next member exited $?"; }
positions $out rest.ndjson | sort -u >union.pos
diff all.txt union.pos >/dev/null || fail "records lost: $(comm -23 all.txt union.pos | head -5)"

# 2. a second signal ends the waits
out=two.ndjson
start_reader g2 $out
rtt 120000
ack_all $out
kill -TERM "$reader"
sleep 1
t0=$(date +%s)
kill -TERM "$reader"
stopped_within 5
rc=$?
[ $rc = 0 ] || { cat $out.err >&2; fail "ksub exited $rc after two signals, want 0"; }
note "ksub stopped $(($(date +%s) - t0)) s after the second signal"
rtt 0

echo "ksub-unreachable: stops within its waits when no broker answers; nothing lost"
