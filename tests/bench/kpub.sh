#!/usr/bin/env bash
# kpub against kcat -P: both publish the same 1,000,000 NDJSON change records
# to the same 3-broker mock cluster, into two topics with the same partitions.
# Prints each one's rate, the ratio (goal >= 0.8, aim >= 1.0) and kpub's peak
# RSS (goal <= 64 MiB). The mock keeps ~5 MiB per partition and deletes the
# rest as retention would: this measures producing only.
#   BENCH_RECORDS=N to change the count.
set -u
. "$(dirname "$0")/../lib/pg.sh"
N=${BENCH_RECORDS:-1000000}
P=6
[ -x "$BIN/kpub" ] || { echo "skip: kpub not built"; exit 77; }
command -v kcat >/dev/null || { echo "skip: kcat missing"; exit 77; }

kafka_start -n 3 bench.kpub:$P:3 bench.kcat:$P:3
cd "$TEST_TMP" || exit 1
kafka_gen_records "$N" 10 100000 >in.ndjson
echo "input: $N records, $(($(stat -c %s in.ndjson) / 1048576)) MiB, $P partitions, 3 brokers"

# run NAME CMD... : prints "seconds peak-kib cpu-seconds" of the command.
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "time.$name" "$@" <in.ndjson >/dev/null 2>"err.$name" ||
		{ echo "$name failed:"; tail -n 5 "err.$name"; exit 1; }
	awk '{ print $1, $2, $3 + $4 }' "time.$name"
}
# Warm-up so that both start with connections and metadata paths hot.
head -n 1000 in.ndjson | kcat -b "$KAFKA_BROKERS" -P -t bench.warm 2>/dev/null

read -r ks km kc < <(run kpub "$BIN/kpub" -b "$KAFKA_BROKERS" -t bench.kpub --no-progress)
read -r cs cm cc < <(run kcat kcat -b "$KAFKA_BROKERS" -P -t bench.kcat)
[ -n "$ks" ] && [ -n "$cs" ] || exit 1
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (the mock cluster shares them)"
awk -v n="$N" -v ks="$ks" -v cs="$cs" -v km="$km" -v cm="$cm" -v kc="$kc" -v cc="$cc" 'BEGIN {
	kr = n / ks; cr = n / cs
	printf "kpub:    %6.2f s  %9.0f records/s  cpu %5.2f s  peak RSS %6.1f MiB\n", ks, kr, kc, km / 1024
	printf "kcat -P: %6.2f s  %9.0f records/s  cpu %5.2f s  peak RSS %6.1f MiB\n", cs, cr, cc, cm / 1024
	printf "ratio kpub/kcat: %.2f (goal >= 0.8)   kpub RSS %s 64 MiB\n", kr / cr, km <= 65536 ? "<=" : "> (OVER)"
}'
