#!/usr/bin/env bash
# kpub --envelope debezium against kpub publishing the records as they are:
# the same 1,000,000 NDJSON change records into topics of the same 6
# partitions of a 3-broker mock cluster. Native kpub sends each record's own
# bytes; with --envelope debezium it encodes every record anew as Debezium's
# change event (a longer message: source block, transaction block), and with
# --envelope-schema also JsonConverter's schema (several times longer).
# Prints each side's rate, the ratios to native (goal for --envelope
# debezium: >= 0.8) and the peak RSS. The sides run in turn BENCH_RUNS times
# (default 5); each side's fastest run counts (the one other load on the
# machine disturbed least: on 2 shared CPUs the medians swing by 2x), and
# the ratio of the medians and of the CPU times are printed too.
#   BENCH_RECORDS=N to change the count, BENCH_RUNS=N the rounds.
set -u
. "$(dirname "$0")/../lib/pg.sh"
N=${BENCH_RECORDS:-1000000}
RUNS=${BENCH_RUNS:-5}
P=6
needs kpub

kafka_start -n 3 d.s.t0:$P:3 d.s.t1:$P:3 d.s.t2:$P:3 dbz.s.t0:$P:3 dbz.s.t1:$P:3 dbz.s.t2:$P:3 \
	sch.s.t0:$P:3 sch.s.t1:$P:3 sch.s.t2:$P:3
cd "$TEST_TMP" || exit 1
kafka_gen_records "$N" 3 100000 >in.ndjson
echo "input: $N records, $(($(stat -c %s in.ndjson) / 1048576)) MiB, 3 tables, $P partitions, 3 brokers"

# run NAME CMD... : prints "seconds peak-kib cpu-seconds" of the command.
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "time.$name" "$@" <in.ndjson >/dev/null 2>"err.$name" ||
		{ echo "$name failed:" >&2; tail -n 5 "err.$name" >&2; return 1; }
	awk '{ print $1, $2, $3 + $4 }' "time.$name"
}
# Warm-up so that every side starts with connections and metadata paths hot.
head -n 3000 in.ndjson | "$BIN/kpub" -b "$KAFKA_BROKERS" --no-progress -t warm >/dev/null 2>&1

for i in $(seq 1 "$RUNS"); do
	run native "$BIN/kpub" -b "$KAFKA_BROKERS" --no-progress >>res.native || exit 1
	run dbz "$BIN/kpub" -b "$KAFKA_BROKERS" --no-progress --prefix dbz --envelope debezium >>res.dbz || exit 1
	run sch "$BIN/kpub" -b "$KAFKA_BROKERS" --no-progress --prefix sch --envelope debezium --envelope-schema \
		>>res.sch || exit 1
done
# The messages are what they claim: one of each side, as kcat reads it.
if command -v kcat >/dev/null && command -v jq >/dev/null; then
	kcat -b "$KAFKA_BROKERS" -C -q -t dbz.s.t1 -p 0 -o beginning -c 1 -f '%s\n' |
		jq -e '.source.connector == "postgresql" and (.op | test("^[cud]$"))' >/dev/null ||
		{ echo "bench: the --envelope debezium messages are not Debezium events" >&2; exit 1; }
	kcat -b "$KAFKA_BROKERS" -C -q -t sch.s.t1 -p 0 -o beginning -c 1 -f '%s\n' |
		jq -e '.schema.name == "sch.s.t1.Envelope" and .payload.source.connector == "postgresql"' >/dev/null ||
		{ echo "bench: the --envelope-schema messages are not in JsonConverter's form" >&2; exit 1; }
fi
# fastest run: seconds, the largest RSS of all runs, that run's CPU; and the median seconds
summary() {
	sort -n "$1" | awk -v n="$RUNS" 'NR == 1 { s = $1; c = $3 } NR == int((n + 1) / 2) { med = $1 }
		{ if ($2 > m) m = $2 } END { print s, m, c, med }'
}
read -r ns nm nc nmed < <(summary res.native)
read -r ds dm dc dmed < <(summary res.dbz)
read -r ss sm sc smed < <(summary res.sch)
[ -n "$ns" ] && [ -n "$ds" ] && [ -n "$ss" ] || exit 1
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (the mock cluster shares them)"
for r in native dbz sch; do
	echo "runs (s) $r: $(cut -d' ' -f1 res.$r | tr '\n' ' ')"
done
awk -v n="$N" -v ns="$ns" -v nm="$nm" -v nc="$nc" -v ds="$ds" -v dm="$dm" -v dc="$dc" \
	-v ss="$ss" -v sm="$sm" -v sc="$sc" -v nmed="$nmed" -v dmed="$dmed" -v smed="$smed" 'BEGIN {
	f = "%-44s %6.2f s  %9.0f records/s  cpu %5.2f s  peak RSS %6.1f MiB\n"
	printf f, "kpub (the records as they are):", ns, n / ns, nc, nm / 1024
	printf f, "kpub --envelope debezium:", ds, n / ds, dc, dm / 1024
	printf f, "kpub --envelope debezium --envelope-schema:", ss, n / ss, sc, sm / 1024
	printf "ratio --envelope debezium/native: %.2f (goal >= 0.8); medians %.2f, cpu %.2f\n", ns / ds, nmed / dmed, nc / dc
	printf "ratio --envelope debezium --envelope-schema/native: %.2f; medians %.2f, cpu %.2f\n", ns / ss, nmed / smed, nc / sc
}'
