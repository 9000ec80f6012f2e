#!/usr/bin/env bash
# ksub against kcat -C -e: all read the same topic of 1,000,000 NDJSON
# change records (produced with kcat -P, keyed by row id) from the 3-broker
# mock cluster: ksub as a consumer group, kcat both by partition assignment
# (-C -t, the goal's reference) and as a group of its own (-G, the same
# protocol as ksub, group join included). Prints each one's wall time, rate,
# CPU time and peak RSS, and the ratios (goal >= 1.0 against kcat -C; ksub's
# RSS <= 64 MiB with default settings).
#
# Where the time goes: the group join costs the mock's 3 s initial
# rebalance delay. librdkafka 2.0.2's high-level consumer stops fetching for
# up to 1 s whenever its one prefetch queue is over queued.max.messages.kbytes
# (fetch.queue.backoff.ms came only in 2.3.0), while kcat -C keeps a queue
# per partition with the 64 MiB default each (and ~100 MiB RSS). ksub's
# 16 MiB bound keeps its memory in budget at that price; -X
# queued.max.messages.kbytes=65536 trades memory for speed.
#
# The mock keeps only ~5 MiB per partition and deletes older data as
# retention would, so the topic has 32 partitions and the producer
# compresses (lz4): about 20 MiB of compressed data, well inside the
# 160 MiB the topic can hold. Both readers decompress the same batches.
# The script checks that every record is still there before timing.
#   BENCH_RECORDS=N to change the count.
set -u
. "$(dirname "$0")/../lib/pg.sh"
N=${BENCH_RECORDS:-1000000}
P=32
T=bench.ksub
[ -x "$BIN/ksub" ] || { echo "skip: ksub not built"; exit 77; }
command -v kcat >/dev/null || { echo "skip: kcat missing"; exit 77; }

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
read -r ks km ku kk < <(run ksub "$BIN/ksub" -b "$KAFKA_BROKERS" -G bench -e --no-progress $T) || exit 1
read -r cs cm cu ck < <(run kcat kcat -b "$KAFKA_BROKERS" -C -e -q -t $T -o beginning -f '%s\n') || exit 1
read -r gs gm gu gk < <(run kcatg kcat -b "$KAFKA_BROKERS" -G bench.kcat -e -q -o beginning -f '%s\n' $T) || exit 1
awk -v n="$N" -v ks="$ks" -v cs="$cs" -v gs="$gs" -v km="$km" -v cm="$cm" -v gm="$gm" \
    -v ku="$ku" -v kk="$kk" -v cu="$cu" -v ck="$ck" -v gu="$gu" -v gk="$gk" 'BEGIN {
	kr = n / ks; cr = n / cs; gr = n / gs
	kc = ku + kk; cc = cu + ck; gc = gu + gk
	printf "ksub -e:       %6.2f s  %9.0f records/s  CPU %5.2f s  peak RSS %6.1f MiB\n", ks, kr, kc, km / 1024
	printf "kcat -C -e:    %6.2f s  %9.0f records/s  CPU %5.2f s  peak RSS %6.1f MiB\n", cs, cr, cc, cm / 1024
	printf "kcat -G -e:    %6.2f s  %9.0f records/s  CPU %5.2f s  peak RSS %6.1f MiB\n", gs, gr, gc, gm / 1024
	printf "ratio ksub/kcat -C: %.2f (goal >= 1.0)   ksub/kcat -G: %.2f   ksub RSS %s 64 MiB\n",
		kr / cr, kr / gr, km <= 65536 ? "<=" : "> (OVER)"
}'
