#!/usr/bin/env bash
# ksub against kcat: all read the same topic of 1,000,000 NDJSON change
# records (produced with kcat -P, keyed by row id) from the 3-broker mock
# cluster, like with like:
#   ksub -e (no group: it assigns itself every partition) vs kcat -C -e
#     (partition assignment too): the goal's reference, >= 1.0;
#   ksub -G -e vs kcat -G -e: both join a consumer group first, which costs
#     the mock's 3 s initial rebalance delay.
# Each is run BENCH_RUNS times (default 3), interleaved, and the median
# wall time counts, since the machine is shared. Prints each one's wall
# time, rate, CPU time and peak RSS, and the ratios (ksub's RSS <= 64 MiB
# with default settings).
#
# Where the time went before: librdkafka 2.0.2 stops fetching a partition
# whose prefetch queue is over queued.min.messages or
# queued.max.messages.kbytes and only looks again at its broker thread's
# next 1 s tick (fetch.queue.backoff.ms came in 2.3.0); ksub wakes those
# threads when it runs dry (cmd/ksub.c, NUDGE_IDLE_MS), so its 8 MiB
# queue bound costs no waiting.
#
# The mock keeps only ~5 MiB per partition and deletes older data as
# retention would, so the topic has 32 partitions and the producer
# compresses (lz4): about 20 MiB of compressed data, well inside the
# 160 MiB the topic can hold. Both readers decompress the same batches.
# The script checks that every record is still there before timing.
#   BENCH_RECORDS=N to change the count, BENCH_RUNS=N the repetitions.
set -u
. "$(dirname "$0")/../lib/pg.sh"
N=${BENCH_RECORDS:-1000000}
P=32
T=bench.ksub
needs ksub kcat

kafka_start -n 3 $T:$P:3
cd "$TEST_TMP"
kafka_gen_records "$N" 10 100000 |
	awk '{ match($0, /"(after|before)":\{"id":[0-9]+/); k = substr($0, RSTART, RLENGTH);
	       sub(/.*:/, "", k); print k ":" $0 }' >in.kv
kcat -b "$KAFKA_BROKERS" -P -t $T -K: -X compression.codec=lz4 -X linger.ms=50 -l in.kv ||
	{ echo "kcat -P failed"; exit 1; }
got=$(kcat -b "$KAFKA_BROKERS" -C -e -q -t $T -f '\n' | wc -l)
[ "$got" = "$N" ] || { echo "the topic holds $got of $N records (retention?)"; exit 1; }
echo "topic: $N records, $(($(stat -c %s in.kv) / 1048576)) MiB uncompressed, $P partitions, 3 brokers"

# run NAME CMD... : prints "seconds peak-kib user sys" of the command; checks the count.
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "time.$name" "$@" 2>"err.$name" | wc -l >"count.$name"
	[ "$(cat "count.$name")" = "$N" ] ||
		{ echo "$name wrote $(cat "count.$name") records, want $N:" >&2; tail -n 5 "err.$name" >&2; exit 1; }
	cat "time.$name"
}
RUNS=${BENCH_RUNS:-3}
for r in $(seq 1 "$RUNS"); do
	run ksub "$BIN/ksub" -b "$KAFKA_BROKERS" -e --no-progress $T >>t.ksub || exit 1
	run kcat kcat -b "$KAFKA_BROKERS" -C -e -q -t $T -o beginning -f '%s\n' >>t.kcat || exit 1
	run ksubg "$BIN/ksub" -b "$KAFKA_BROKERS" -G bench.$r -e --no-progress $T >>t.ksubg || exit 1
	run kcatg kcat -b "$KAFKA_BROKERS" -G bench.kcat.$r -e -q -o beginning -f '%s\n' $T >>t.kcatg || exit 1
done
# median NAME: the run of median wall time, "seconds peak-kib user sys";
# peak RSS: the largest of all runs
median() {
	sort -n "t.$1" | awk -v k=$(((RUNS + 1) / 2)) 'NR == k { s = $1; u = $3; y = $4 }
		{ if ($2 > m) m = $2 } END { print s, m, u, y }'
}
awk -v n="$N" -v runs="$RUNS" -v va="$(median ksub)" -v vb="$(median kcat)" \
    -v vc="$(median ksubg)" -v vd="$(median kcatg)" 'BEGIN {
	split(va, k); split(vb, c); split(vc, g); split(vd, h)
	line("ksub -e", k); line("kcat -C -e", c); line("ksub -G -e", g); line("kcat -G -e", h)
	printf "ratio ksub/kcat -C: %.2f (goal >= 1.0)   ksub -G/kcat -G: %.2f   (median of %d runs)\n",
		c[1] / k[1], h[1] / g[1], runs
	printf "ksub peak RSS %.1f MiB, with -G %.1f MiB: %s 64 MiB\n", k[2] / 1024, g[2] / 1024,
		(k[2] <= 65536 && g[2] <= 65536) ? "<=" : "> (OVER)"
}
function line(name, v) {
	printf "%-12s %6.2f s  %9.0f records/s  CPU %5.2f s  peak RSS %6.1f MiB\n",
		name ":", v[1], n / v[1], v[3] + v[4], v[2] / 1024
}'
