#!/usr/bin/env bash
# kill -9 of ksub mid-stream, with acks: the next stage acks some records
# (cumulative "stream offset" lines on the FIFO), then stops reading, so
# ksub is blocked on a full pipe with more to write; ksub keeps committing
# what was acked while it waits. After kill -9 and a restart of the same
# group, exactly the records after each partition's last ack are delivered:
# nothing acked again, nothing unacked skipped.
set -u
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/kafka.sh"
needs ksub kcat jq

T=ks.kill
kafka_start -n 3 $T:4:3
cd "$TEST_TMP"
KX=(-b "$KAFKA_BROKERS" -X session.timeout.ms=5000 -X heartbeat.interval.ms=500 --no-progress)

kafka_gen_records 4000 3 200 | jq -r -c '"\(.table).\(.after.id // .before.id):" + tojson' >in.kv
kcat -P -b "$KAFKA_BROKERS" -t $T -K: -l in.kv || fail "kcat -P"
kcat -C -b "$KAFKA_BROKERS" -t $T -e -q -f 'kafka/%t/%p %o\n' | sort >all.txt
[ "$(wc -l <all.txt)" = 4000 ] || fail "topic holds $(wc -l <all.txt) messages"

# The next stage: reads 900 records, acks every 7th (its stream and offset,
# cumulative), logs each ack it sent, then stops reading altogether.
mkfifo ack.fifo
cat >stage.sh <<'SH'
n=0
exec 3<>ack.fifo
while IFS= read -r line; do
	n=$((n + 1))
	if [ $((n % 7)) = 0 ]; then
		s=${line##*\"pos\":\{\"stream\":\"}; s=${s%%\"*}
		o=${line##*\"offset\":\"}; o=${o%%\"*}
		echo "$s $o" >&3
		echo "$s $o" >>acked.txt
	fi
	[ $n = 900 ] && { echo $$ >stage.pid; exec sleep 600; }
done
SH
: >acked.txt
sh -c 'echo $$ >ksub.pid; exec "$@"' sh "$BIN/ksub" "${KX[@]}" -G gk --ack ack.fifo $T 2>ksub1.err |
	bash stage.sh &
pipe_pid=$!
# pid files exist only while their process may still run
on_exit "cd '$TEST_TMP' && kill -9 \$(cat ksub.pid stage.pid ksub3.pid 2>/dev/null)"
# wait for the stage to stop reading; then some seconds for ksub to commit
for i in $(seq 1 300); do
	[ "$(wc -l <acked.txt)" -ge $((900 / 7)) ] && break
	sleep 0.1
done
[ "$(wc -l <acked.txt)" = $((900 / 7)) ] || fail "the stage acked $(wc -l <acked.txt) records, want $((900 / 7))"
sleep 3
kill -0 "$(cat ksub.pid)" || { cat ksub1.err; fail "ksub not running before the kill"; }
kill -9 "$(cat ksub.pid)" "$(cat stage.pid)"
wait "$pipe_pid" 2>/dev/null
rm -f ksub.pid stage.pid # gone: their numbers may be reused

# Restart: every record after the last ack of its partition, and no other.
"$BIN/ksub" "${KX[@]}" -G gk -e $T >rest.ndjson 2>ksub2.err || { rc=$?; cat ksub2.err; fail "restarted ksub exited $rc"; }
jq -r '"\(.pos.stream) \(.pos.offset)"' rest.ndjson | sort >got.txt
sort -u got.txt | cmp -s - got.txt || fail "the restart delivered a record twice"
awk 'NR == FNR { if ($2 + 0 > a[$1] + 0 || !($1 in a)) a[$1] = $2; next }
     !($1 in a) || $2 + 0 > a[$1] + 0' acked.txt all.txt | sort >want.txt
[ "$(wc -l <want.txt)" -lt 4000 ] || fail "nothing was acked before the kill"
if ! cmp -s want.txt got.txt; then
	echo "acked (last per stream):"; sort -k1,1 -k2,2n acked.txt | awk '{a[$1]=$2} END {for (s in a) print s, a[s]}'
	echo "want $(wc -l <want.txt), got $(wc -l <got.txt)"
	comm -23 want.txt got.txt | head -n 3 | sed 's/^/unacked but skipped: /'
	comm -13 want.txt got.txt | head -n 3 | sed 's/^/acked but delivered again: /'
	fail "restart after kill -9 does not resume at the acked offsets"
fi
# SIGTERM: ksub drains, waits for the acks of what it wrote, commits them,
# leaves the group and exits 0; the next run finds nothing left.
kafka_gen_records 300 3 200 | jq -r -c '"\(.table).\(.after.id // .before.id):" + tojson' >more.kv
kcat -P -b "$KAFKA_BROKERS" -t $T -K: -l more.kv || fail "kcat -P (more)"
mkfifo ack2.fifo
cat >acker.sh <<'SH'
exec 3<>ack2.fifo
while IFS= read -r line; do
	s=${line##*\"pos\":\{\"stream\":\"}; s=${s%%\"*}
	o=${line##*\"offset\":\"}; o=${o%%\"*}
	echo "$line" >>term.ndjson
	echo "$s $o" >&3
done
SH
: >term.ndjson
{
	sh -c 'echo $$ >ksub3.pid; exec "$@"' sh "$BIN/ksub" "${KX[@]}" -G gk --ack ack2.fifo $T 2>ksub3.err
	echo $? >ksub3.rc
} | bash acker.sh &
term_pid=$!
for i in $(seq 1 300); do
	[ "$(wc -l <term.ndjson)" -ge 300 ] && break
	sleep 0.1
done
[ "$(wc -l <term.ndjson)" = 300 ] || { cat ksub3.err; fail "third run read $(wc -l <term.ndjson) of the 300 new records"; }
kill -TERM "$(cat ksub3.pid)"
wait "$term_pid"
rm -f ksub3.pid
[ "$(cat ksub3.rc)" = 0 ] || { cat ksub3.err; fail "ksub exited $(cat ksub3.rc) on SIGTERM, want 0"; }
"$BIN/ksub" "${KX[@]}" -G gk -e $T >after-term.ndjson 2>ksub4.err || { rc=$?; cat ksub4.err; fail "run after SIGTERM exited $rc"; }
[ -s after-term.ndjson ] && fail "after SIGTERM, $(wc -l <after-term.ndjson) acked records were delivered again"

echo "ksub-kill: ok ($(wc -l <got.txt) of 4000 delivered again after the kill)"
