#!/usr/bin/env bash
# demo.sh — `make demo`: the whole pipeline on embedded defaults.
#
# Starts a throw-away PostgreSQL with the WideWorldImporters example, the
# 3-broker Kafka mock cluster and the TDS test server of the tests, runs
# examples/stream.sh (initial snapshot, then streaming through Kafka into the
# SQL Server stand-in) while wwi-gen generates live load for DEMO_SECONDS
# (default 60), shows a live view made from the stages' --metrics files
# (Prometheus text, as node_exporter would read them), then stops the load, waits for catch-up,
# compares every table and cleans up everything it started, also on Ctrl-C.
# Exits non-zero when any table differs.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export BIN=${BIN:-$top/bin}
DEMO_SECONDS=${DEMO_SECONDS:-60}
DEMO_RATE=${DEMO_RATE:-100}         # wwi-gen business transactions per second
CATCHUP_SECONDS=${CATCHUP_SECONDS:-120}
. "$top/tests/lib/pg.sh"
. "$top/tests/lib/compare.sh"
. "$top/tests/lib/metrics.sh"

tty=0
[ -t 1 ] && tty=1
say() { printf '%s\n' "$*"; }

say "dbrepl demo: PostgreSQL → pgcdc-read/snapshot → kpub → Kafka → ksub → mssql-apply → SQL Server"
say "Note: Kafka is librdkafka's mock cluster (3 brokers) and SQL Server is dbrepl's TDS test server,"
say "      which runs the T-SQL it receives on a PostgreSQL database: local stand-ins for this demo only."
say ""

say "· starting PostgreSQL 15 …"
pg_start
SRC="$PGCONN dbname=wwi"
q "CREATE DATABASE wwi"
psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" -f "$top/examples/wwi/schema.sql" >/dev/null || fail "loading the schema"
say "· loading WideWorldImporters reference and seed data …"
"$BIN/wwi-gen" -d "$SRC" --seed 1 --scale 1 --no-live 2>"$TEST_TMP/wwi-load.log" ||
	{ cat "$TEST_TMP/wwi-load.log"; fail "wwi-gen load"; }

say "· starting the Kafka mock cluster and the TDS server …"
kafka_start -n 3
tds_start
DST=$TDS_PGCONN

# Logs outlive the demo, for a look afterwards.
LOGS=${DEMO_LOGS:-$top/build/demo-logs}
MX="$LOGS/metrics"
rm -rf "$LOGS"
mkdir -p "$LOGS" "$MX"
say "· starting the pipeline (logs in $LOGS, metrics in $MX) …"
PGCONN="$SRC" KAFKA_BROKERS="$KAFKA_BROKERS" MSSQL_SERVER="$TDS_HOST:$TDS_PORT" \
	MSSQL_USER=sa MSSQL_PASSWORD=demo MSSQL_DB="$TDS_DB" \
	RUN_DIR="$TEST_TMP/run" LOG_DIR="$LOGS" PROGRESS=1 METRICS_DIR="$MX" METRICS_INTERVAL=1 \
	KAFKA_OPTS="-X topic.metadata.refresh.interval.ms=1000" \
	setsid "$top/examples/stream.sh" &
stream_pid=$!
on_exit "kill -TERM -$stream_pid; sleep 2; kill -KILL -$stream_pid"

say "· generating live load for ${DEMO_SECONDS}s at $DEMO_RATE transactions/s …"
"$BIN/wwi-gen" -d "$SRC" --seed 2 --rate "$DEMO_RATE" --duration "$DEMO_SECONDS" --progress \
	--metrics "$MX/wwi-gen.prom" --metrics-interval 1 2>"$LOGS/wwi-gen.log" &
gen_pid=$!
on_exit "kill -TERM $gen_pid"

# The live view reads only the stages' metrics files (see dbrepl(7)).
declare -A prev_v prev_t
rate() { # key value -> R: per second since the last view (in this shell, not a $(…))
	local now
	now=$(date +%s.%N)
	R=$(awk -v v="$2" -v pv="${prev_v[$1]:-}" -v t="$now" -v pt="${prev_t[$1]:-}" \
		'BEGIN { if (pv == "" || t - pt <= 0) print "-"; else printf "%.0f", (v - pv) / (t - pt) }')
	prev_v[$1]=$2
	prev_t[$1]=$now
}
p99() { # histogram file -> the 99th percentile's bucket bound, in ms
	awk '/^dbrepl_apply_latency_seconds_bucket/ { n++; le[n] = $0; sub(/.*le="/, "", le[n]); sub(/".*/, "", le[n]); c[n] = $NF }
		/^dbrepl_apply_latency_seconds_count/ { total = $NF }
		END { if (!total) { print "-"; exit } for (i = 1; i <= n; i++) if (c[i] >= 0.99 * total) {
			if (le[i] == "+Inf") print "> 600000"; else printf "<= %g", le[i] * 1000; exit } }' "$1"
}
num() { awk -v v="${1:-}" 'BEGIN { if (v == "") print "-"; else printf "%.0f", v }'; }
secs() { awk -v v="${1:-}" 'BEGIN { if (v == "") print "-"; else printf "%.1f s", v }'; }
stage() { # name -> one line of what its metrics say
	local f="$MX/$1.prom" out
	if [ ! -s "$f" ]; then
		printf '  %-12s %s\n' "$1" "(no metrics yet)"
		return
	fi
	case $1 in
	wwi-gen) out=$(mval "$f" dbrepl_transactions_total) ;;
	*) out=$(mval "$f" dbrepl_records_out_total) ;;
	esac
	rate "$1" "${out:-0}"
	case $1 in
	wwi-gen)
		printf '  %-12s %8s transactions %6s/s  %9s rows changed\n' "$1" "$(num "$out")" "$R" \
			"$(num "$(mval "$f" dbrepl_rows_changed_total)")" ;;
	pgcdc-read)
		printf '  %-12s %8s records out  %6s/s  lag %7s  WAL held %s kB\n' "$1" "$(num "$out")" "$R" \
			"$(secs "$(mval "$f" dbrepl_lag_seconds)")" "$(num "$(awk -v b="$(mval "$f" dbrepl_slot_unconfirmed_wal_bytes)" 'BEGIN { if (b != "") print b / 1024 }')")" ;;
	kpub)
		printf '  %-12s %8s delivered    %6s/s  lag %7s  in flight %s, delivery errors %s\n' "$1" "$(num "$out")" \
			"$R" "$(secs "$(mval "$f" dbrepl_lag_seconds)")" \
			"$(num "$(mval "$f" dbrepl_kafka_messages_in_flight)")" "$(num "$(mval "$f" dbrepl_errors_total)")" ;;
	ksub)
		printf '  %-12s %8s records out  %6s/s  lag %7s  %s messages not yet consumed\n' "$1" "$(num "$out")" \
			"$R" "$(secs "$(mval "$f" dbrepl_lag_seconds)")" \
			"$(num "$(mval "$f" dbrepl_consumer_lag_messages)")" ;;
	mssql-apply)
		printf '  %-12s %8s applied      %6s/s  lag %7s  p99 latency %s ms, %s batches, %s retries\n' "$1" \
			"$(num "$out")" "$R" "$(secs "$(mval "$f" dbrepl_lag_seconds)")" "$(p99 "$f")" \
			"$(num "$(mval "$f" dbrepl_batches_total)")" "$(num "$(mval "$f" dbrepl_errors_total)")" ;;
	esac
}
counts() { # conninfo -> "schema.table count" lines for the busiest tables ("-" if missing)
	local t sql=""
	for t in sales.orders sales.order_lines sales.invoices sales.customer_transactions \
		warehouse.stock_item_transactions warehouse.cold_room_temperatures; do
		# query_to_xml runs the count only when the table exists yet.
		sql+="${sql:+ UNION ALL }SELECT '$t', CASE WHEN to_regclass('$t') IS NULL THEN '-' ELSE
			(xpath('/row/c/text()', query_to_xml('SELECT count(*) AS c FROM $t', false, true, '')))[1]::text END"
	done
	psql -X -At -F' ' -d "$1" -c "$sql" 2>/dev/null
}
view() {
	local phase=$1 lines
	for s in wwi-gen pgcdc-read kpub ksub mssql-apply; do stage "$s"; done >"$TEST_TMP/view.txt"
	lines=$(cat "$TEST_TMP/view.txt")
	[ $tty = 1 ] && printf '\033[H\033[J'
	say "dbrepl demo — $phase — $(date +%T)    (from the stages' metrics files in $MX)"
	say ""
	say "$lines"
	say ""
	printf '  %-36s %10s %10s\n' table source target
	join <(counts "$SRC" | sort) <(counts "$DST" | sort) -a1 | while read -r t a b; do
		printf '  %-36s %10s %10s\n' "$t" "$a" "${b:--}"
	done
	say ""
}

start=$(date +%s)
while kill -0 $gen_pid 2>/dev/null; do
	if [ $tty = 1 ] || [ $((($(date +%s) - start) % 10)) = 0 ]; then view "load running"; fi
	sleep 1
	kill -0 $stream_pid 2>/dev/null || { view "PIPELINE STOPPED"; tail -n 5 "$LOGS"/*.log; fail "a pipeline stage exited"; }
done
wait $gen_pid || say "wwi-gen exited with $?"

say "· load stopped; waiting for the pipeline to catch up (at most ${CATCHUP_SECONDS}s) …"
deadline=$(($(date +%s) + CATCHUP_SECONDS))
until compare_all "$SRC" "$DST" >/dev/null 2>&1; do
	if [ "$(date +%s)" -ge "$deadline" ]; then break; fi
	[ $tty = 1 ] && view "catching up"
	sleep 2
done

say ""
say "Every replicated table, source vs target (row count, and an md5 over all values):"
printf '%-45s %9s %9s\n' table source target
if compare_all "$SRC" "$DST"; then
	say ""
	say "demo: every table matches."
	rc=0
else
	say ""
	say "demo: some tables differ (see above; logs in $LOGS)."
	rc=1
fi
say "· stopping everything …"
exit $rc
