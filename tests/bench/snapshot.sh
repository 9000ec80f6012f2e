#!/usr/bin/env bash
# snapshot against psql \copy: both read the same 1,000,000-row table of 11
# columns (integers, numeric, text, timestamptz, boolean, uuid, jsonb, date)
# from the same server into /dev/null. psql writes COPY text; snapshot writes
# NDJSON change records with every value normalised. Prints seconds, rows/s,
# the ratio (goals: >= 0.8 with -j 1, > 1.0 with -j 2) and snapshot's peak
# RSS (goal <= 32 MiB); also a resumable copy (--state: key order, a keyset
# query per chunk), for its cost against the plain one.
#   BENCH_ROWS=N to change the count.
set -u
. "$(dirname "$0")/../lib/pg.sh"
N=${BENCH_ROWS:-1000000}
needs snapshot
[ -x /usr/bin/time ] || { echo "skip: /usr/bin/time missing (make deps)"; exit 77; }

pg_start "shared_buffers = 512MB"
cd "$TEST_TMP"
q "CREATE TABLE bench (id bigint PRIMARY KEY, a integer, b smallint, n numeric(18,2),
     t text, ts timestamptz, ok boolean, u uuid, j jsonb, d date, v varchar(40));
   INSERT INTO bench SELECT g, g % 100000, (g % 32000)::smallint, g * 1.25, 'name ' || md5(g::text),
     '2026-01-01'::timestamptz + g * interval '1.5 s', g % 3 = 0,
     md5(g::text)::uuid, jsonb_build_object('k', g, 's', 'x'), '2020-01-01'::date + g % 3000,
     'v' || g
   FROM generate_series(1, $N) g;"
q "VACUUM ANALYZE bench"
echo "table: $N rows, $(q "SELECT pg_size_pretty(pg_relation_size('bench'))")"

# run NAME CMD... : prints "seconds peak-kib" of the command.
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M' -o "time.$name" "$@" >/dev/null 2>"err.$name" ||
		{ echo "$name failed:"; tail -n 5 "err.$name"; exit 1; }
	cat "time.$name"
}
# Warm-up: the table in shared buffers for both.
psql -X -q -c "\\copy (SELECT * FROM bench) TO STDOUT" >/dev/null

read -r ps pm < <(run psql psql -X -q -c "\\copy (SELECT * FROM bench) TO STDOUT")
read -r s1 m1 < <(run snap1 "$BIN/snapshot" -d "$PGCONN" -t bench -j 1 --no-progress)
read -r s2 m2 < <(run snap2 "$BIN/snapshot" -d "$PGCONN" -t bench -j 2 --no-progress)
read -r s3 m3 < <(run snapst "$BIN/snapshot" -d "$PGCONN" -t bench --state "$TEST_TMP/bench.state" --no-progress)
out=$("$BIN/snapshot" -d "$PGCONN" -t bench -j 2 --no-progress | wc -l)
[ "$out" = "$N" ] || { echo "snapshot -j 2 wrote $out records, want $N"; exit 1; }
awk -v n="$N" -v ps="$ps" -v s1="$s1" -v s2="$s2" -v s3="$s3" -v pm="$pm" -v m1="$m1" -v m2="$m2" -v m3="$m3" 'BEGIN {
	pr = n / ps; r1 = n / s1; r2 = n / s2; r3 = n / s3
	printf "psql \\copy:      %6.2f s  %9.0f rows/s  peak RSS %6.1f MiB\n", ps, pr, pm / 1024
	printf "snapshot -j 1:   %6.2f s  %9.0f rows/s  peak RSS %6.1f MiB  ratio %.2f (goal >= 0.8)\n", s1, r1, m1 / 1024, r1 / pr
	printf "snapshot -j 2:   %6.2f s  %9.0f rows/s  peak RSS %6.1f MiB  ratio %.2f (goal > 1.0)\n", s2, r2, m2 / 1024, r2 / pr
	printf "snapshot --state:%6.2f s  %9.0f rows/s  peak RSS %6.1f MiB  ratio %.2f (%.2f of -j 1)\n", s3, r3, m3 / 1024, r3 / pr, r3 / r1
	m = m1 > m2 ? m1 : m2
	m = m > m3 ? m : m3
	printf "snapshot RSS %s 32 MiB\n", m <= 32768 ? "<=" : "> (OVER)"
}'
