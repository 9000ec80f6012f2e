#!/usr/bin/env bash
# kpub against kcat -P: both publish the same 1,000,000 NDJSON change records
# to the same 3-broker mock cluster, into topics with the same partitions.
# Prints each one's rate, the ratio (goal >= 0.8, aim >= 1.0) and kpub's peak
# RSS (goal <= 64 MiB). The mock keeps ~5 MiB per partition and deletes the
# rest as retention would: this measures producing only.
# Two more sides show where the difference lies: kpub --no-headers, and
# kcat -P -K -H sending the very messages kpub sends (the same keys, the op
# and lsn headers, kpub's producer settings) without parsing anything.
# The sides run in turn BENCH_RUNS times (default 3) and the medians count,
# so that a burst of load elsewhere on the machine does not decide the
# ratio; kpub's peak RSS is the largest of its runs.
#   BENCH_RECORDS=N to change the count, BENCH_RUNS=N the rounds.
set -u
. "$(dirname "$0")/../lib/pg.sh"
N=${BENCH_RECORDS:-1000000}
RUNS=${BENCH_RUNS:-3}
P=6
needs kpub kcat

kafka_start -n 3 bench.kpub:$P:3 bench.kcat:$P:3 bench.kpubnh:$P:3 bench.kcatkh:$P:3
cd "$TEST_TMP" || exit 1
kafka_gen_records "$N" 10 100000 >in.ndjson
# kcat -K reads "key<TAB>value": the key kpub makes of these records.
awk '{ if (match($0, /"id":[0-9]+/)) k = "{" substr($0, RSTART, RLENGTH) "}"; print k "\t" $0 }' \
	in.ndjson >keyed.txt
echo "input: $N records, $(($(stat -c %s in.ndjson) / 1048576)) MiB, $P partitions, 3 brokers"

# run NAME INPUT CMD... : prints "seconds peak-kib cpu-seconds" of the command.
run() {
	local name=$1 input=$2
	shift 2
	/usr/bin/time -f '%e %M %U %S' -o "time.$name" "$@" <"$input" >/dev/null 2>"err.$name" ||
		{ echo "$name failed:" >&2; tail -n 5 "err.$name" >&2; return 1; }
	awk '{ print $1, $2, $3 + $4 }' "time.$name"
}
# Warm-up so that both start with connections and metadata paths hot.
head -n 1000 in.ndjson | kcat -b "$KAFKA_BROKERS" -P -t bench.warm 2>/dev/null

for i in $(seq 1 "$RUNS"); do
	run kpub in.ndjson "$BIN/kpub" -b "$KAFKA_BROKERS" -t bench.kpub --no-progress >>res.kpub || exit 1
	run kcat in.ndjson kcat -b "$KAFKA_BROKERS" -P -t bench.kcat >>res.kcat || exit 1
	run kpubnh in.ndjson "$BIN/kpub" -b "$KAFKA_BROKERS" -t bench.kpubnh --no-progress --no-headers \
		>>res.kpubnh || exit 1
	run kcatkh keyed.txt kcat -b "$KAFKA_BROKERS" -P -t bench.kcatkh -K "$(printf '\t')" \
		-H op=c -H lsn=0/1000000 -X enable.idempotence=true -X acks=all -X compression.type=lz4 \
		-X linger.ms=5 -X partitioner=murmur2_random >>res.kcatkh || exit 1
done
# median of column 1 (seconds) with that run's CPU; the largest RSS
summary() { sort -n "$1" | awk -v n="$RUNS" 'NR == int((n + 1) / 2) { s = $1; c = $3 } { if ($2 > m) m = $2 } END { print s, m, c }'; }
read -r ks km kc < <(summary res.kpub)
read -r cs cm cc < <(summary res.kcat)
read -r ns nm nc < <(summary res.kpubnh)
read -r hs hm hc < <(summary res.kcatkh)
[ -n "$ks" ] && [ -n "$cs" ] && [ -n "$ns" ] && [ -n "$hs" ] || exit 1
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (the mock cluster shares them)"
for r in kpub kcat kpubnh kcatkh; do
	echo "runs (s) $r: $(cut -d' ' -f1 res.$r | tr '\n' ' ')"
done
awk -v n="$N" -v ks="$ks" -v cs="$cs" -v km="$km" -v cm="$cm" -v kc="$kc" -v cc="$cc" \
	-v ns="$ns" -v nm="$nm" -v nc="$nc" -v hs="$hs" -v hm="$hm" -v hc="$hc" 'BEGIN {
	f = "%-22s %6.2f s  %9.0f records/s  cpu %5.2f s  peak RSS %6.1f MiB\n"
	printf f, "kpub:", ks, n / ks, kc, km / 1024
	printf f, "kcat -P:", cs, n / cs, cc, cm / 1024
	printf f, "kpub --no-headers:", ns, n / ns, nc, nm / 1024
	printf f, "kcat -P -K -H (same):", hs, n / hs, hc, hm / 1024
	printf "ratio kpub/kcat -P: %.2f (goal >= 0.8)   kpub RSS %s 64 MiB\n", cs / ks, km <= 65536 ? "<=" : "> (OVER)"
	printf "ratio kpub --no-headers/kcat -P: %.2f\n", cs / ns
	printf "ratio kpub/kcat sending the same messages: %.2f\n", hs / ks
}'
