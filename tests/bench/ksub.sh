#!/usr/bin/env bash
# ksub against kcat -C -e: both read the same topic of 1,000,000 NDJSON
# change records (produced with kcat -P, keyed by row id) from the 3-broker
# mock cluster; kcat by partition assignment, ksub as a consumer group.
# Prints each one's rate, the ratio (goal >= 1.0) and ksub's peak RSS
# (goal <= 64 MiB, default settings).
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

# run NAME CMD... : prints "seconds peak-kib" of the command; checks the count.
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M' -o "time.$name" "$@" 2>"err.$name" | wc -l >"count.$name"
	[ "$(cat "count.$name")" = "$N" ] ||
		{ echo "$name wrote $(cat "count.$name") records, want $N:" >&2; tail -n 5 "err.$name" >&2; exit 1; }
	cat "time.$name"
}
read -r ks km < <(run ksub "$BIN/ksub" -b "$KAFKA_BROKERS" -G bench -e --no-progress $T) || exit 1
read -r cs cm < <(run kcat kcat -b "$KAFKA_BROKERS" -C -e -q -t $T -o beginning -f '%s\n') || exit 1
awk -v n="$N" -v ks="$ks" -v cs="$cs" -v km="$km" -v cm="$cm" 'BEGIN {
	kr = n / ks; cr = n / cs
	printf "ksub -e:    %6.2f s  %9.0f records/s  peak RSS %6.1f MiB\n", ks, kr, km / 1024
	printf "kcat -C -e: %6.2f s  %9.0f records/s  peak RSS %6.1f MiB\n", cs, cr, cm / 1024
	printf "ratio ksub/kcat: %.2f (goal >= 1.0)   ksub RSS %s 64 MiB\n", kr / cr, km <= 65536 ? "<=" : "> (OVER)"
}'
