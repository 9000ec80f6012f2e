#!/usr/bin/env bash
# Benchmark: pgcdc-read against pg_recvlogical. One transaction inserts
# 1,000,000 rows of an 11-column table; then four slots created before it
# are drained up to the same endpos: pgoutput by pgcdc-read (--format json,
# then msgpack), wal2json (format-version 2) and test_decoding by
# pg_recvlogical, every output to /dev/null. Prints seconds, rows/s, the
# ratio of pgcdc-read's rate to each pg_recvlogical run, the client's CPU
# seconds (the rest is the server decoding) and its peak RSS.
# Goals: 1.5x pg_recvlogical's rate, peak RSS at most 32 MiB.
set -eu
source "$(dirname "$0")/../lib/pg.sh"
ROWS=${BENCH_ROWS:-1000000}
# Output plugins load by name when a slot is created (wal2json from
# postgresql-15-wal2json, make deps): no setting is needed.
pg_start "max_wal_size = 8GB" "checkpoint_timeout = 1h"
[ -f "$("$PG_BINDIR/pg_config" --pkglibdir)/wal2json.so" ] ||
	fail "wal2json is not installed (postgresql-15-wal2json, make deps)"
RECV="$PG_BINDIR/pg_recvlogical"

q "CREATE TABLE bench (id bigint PRIMARY KEY, a integer, b bigint, c numeric(12,2), d text,
	e varchar(40), f timestamptz, g date, h boolean, i double precision, j uuid)"
q "CREATE PUBLICATION benchpub FOR TABLE bench"
for s in p_json:pgoutput p_msgpack:pgoutput w2j:wal2json td:test_decoding; do
	q "SELECT 1 FROM pg_create_logical_replication_slot('${s%%:*}', '${s#*:}')" >/dev/null
done
note "inserting $ROWS rows in one transaction"
q "INSERT INTO bench SELECT g, g % 100000, g::bigint * 7919, (g % 1000000) / 100.0, md5(g::text),
	'customer ' || g, '2026-01-01 00:00:00+00'::timestamptz + g * interval '1 second',
	'2026-01-01'::date + g % 3650, g % 2 = 0, g / 7.0, md5(g::text)::uuid
	FROM generate_series(1, $ROWS) g"
end=$(q "SELECT pg_current_wal_lsn()")

declare -A secs rss cpu
run() { # run NAME command...
	local name=$1 t0 t1 u s
	shift
	t0=$(date +%s.%N)
	/usr/bin/time -f "%M %U %S" -o "$TEST_TMP/$name.rss" "$@" >/dev/null || fail "$name: exit $?"
	t1=$(date +%s.%N)
	secs[$name]=$(echo "$t1 - $t0" | bc -l)
	read -r rss[$name] u s < <(tail -n 1 "$TEST_TMP/$name.rss")
	cpu[$name]=$(echo "$u + $s" | bc -l)
}
run test_decoding "$RECV" -d "$PGCONN" -S td --start -E "$end" -f /dev/null
run wal2json "$RECV" -d "$PGCONN" -S w2j --start -E "$end" -o format-version=2 -f /dev/null
run pgcdc-read-json "$BIN/pgcdc-read" -d "$PGCONN" -S p_json -P benchpub -E "$end" --no-progress --format json
run pgcdc-read-msgpack "$BIN/pgcdc-read" -d "$PGCONN" -S p_msgpack -P benchpub -E "$end" --no-progress --format msgpack

printf '%-20s %8s %12s %10s %10s %8s %12s\n' tool seconds rows/s "vs td" "vs w2j" "CPU s" "peak RSS"
for n in test_decoding wal2json pgcdc-read-json pgcdc-read-msgpack; do
	s=${secs[$n]}
	printf '%-20s %8.2f %12.0f %9.2fx %9.2fx %8.2f %8d KiB\n' "$n" "$s" "$(echo "$ROWS / $s" | bc -l)" \
		"$(echo "${secs[test_decoding]} / $s" | bc -l)" "$(echo "${secs[wal2json]} / $s" | bc -l)" \
		"${cpu[$n]}" "${rss[$n]}"
done
for n in pgcdc-read-json pgcdc-read-msgpack; do
	[ "${rss[$n]}" -le $((32 * 1024)) ] || echo "note: $n peak RSS ${rss[$n]} KiB is above the 32 MiB goal"
done
