#!/usr/bin/env bash
# pipeline.sh — end-to-end latency and sustained throughput of the whole
# pipeline, every service on this machine:
#
#   wwi-gen → PostgreSQL → pgcdc-read → kpub → Kafka mock cluster (3 brokers)
#           → ksub → mssql-apply → TDS test peer → PostgreSQL ("target")
#
# 1. latency: wwi-gen paced at BENCH_LAT_RATE changed rows/s (default 1000)
#    for BENCH_SECONDS (default 60); mssql-apply measures, for every record,
#    source commit time → target commit; p50/p99/max of that phase.
#    Goals: p50 < 100 ms, p99 < 500 ms.
# 2. ramp: the same at each rate of BENCH_RATES (default "2000 4000 6000
#    8000"); a rate is sustained when the generator reaches it (>= 95%) and
#    the lag does not grow: once the load stops the target catches up within
#    max(5 s, a tenth of the phase), and ksub's lag (messages in Kafka not
#    yet consumed) is not still climbing over the second half of the phase
#    (slope under 5% of the rate, or under 3 s of input at the end: the lag
#    saws up and down by a batch).
#    Goal: sustained >= 5000 changes/s.
# Both, for each mode of BENCH_MODES (default "plain txn"), side by side:
#   plain  today's default: kpub --watermark-ms 0, ksub, mssql-apply;
#   txn    source transactions applied whole: kpub with its watermarks
#          (--watermark-ms BENCH_WATERMARK_MS, default kpub's), ksub
#          --ordered, mssql-apply --transactions.
# The goals above (issue #5's) are mode plain's; mode txn holds each change
# until its source transaction is whole, and is measured beside it with no
# goal of its own. Phases of mode txn are named NAME/txn. The modes take turns at each rate
# (latency plain, latency/txn, ramp-2000, ramp-2000/txn, ...), the source
# half started anew at each turn; a mode's higher rates are skipped after
# one that did not drain. At the end: both modes' latency and sustained
# rate, and the ratios txn / plain.
#
# Each phase starts a fresh sink half (ksub | mssql-apply, same consumer
# group), so its latency figures cover that phase only; it ends when the
# target has applied every row the generator committed (or BENCH_DRAIN
# seconds passed), then prints per-process CPU (percent of one core) taken
# from /proc, and the WAL the slot held and the ksub lag at their highest.
#
# Settings (environment):
#   BENCH_SECONDS=60  BENCH_LAT_RATE=1000  BENCH_RATES="2000 4000 6000 8000" ("" = none)
#   BENCH_DRAIN=60    BENCH_FORMAT=json|msgpack (pgcdc-read and ksub output)
#   BENCH_BATCH_MS=25 BENCH_BATCH_ROWS=10000 (mssql-apply --batch-ms/-rows)
#   BENCH_KPUB_OPTS="-X linger.ms=5"  BENCH_KSUB_OPTS="-X fetch.wait.max.ms=10"
#   BENCH_APPLY_OPTS= (more mssql-apply options)  BENCH_MODES="plain txn"
#   BENCH_WATERMARK_MS= (kpub --watermark-ms for mode txn)  BENCH_PG_OPTS= (more
#   postgresql.conf lines, ';'-separated)  BENCH_LOGS=DIR (keep the logs)
#   BENCH_PERF=1 (perf record -a -g for a while in the latency phase, into
#   BENCH_LOGS/perf.latency.data)  BENCH_PGSS=1 (pg_stat_statements: the
#   statements of the target database by time, per phase, in BENCH_LOGS)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/pg.sh"
. "$here/../lib/compare.sh"

SECS=${BENCH_SECONDS:-60}
LAT_RATE=${BENCH_LAT_RATE:-1000}
RATES=${BENCH_RATES-"2000 4000 6000 8000"}
DRAIN=${BENCH_DRAIN:-60}
FORMAT=${BENCH_FORMAT:-json}
BATCH_MS=${BENCH_BATCH_MS:-25}
BATCH_ROWS=${BENCH_BATCH_ROWS:-10000}
KPUB_OPTS=${BENCH_KPUB_OPTS:-}
KSUB_OPTS=${BENCH_KSUB_OPTS:--X fetch.wait.max.ms=10}
APPLY_OPTS=${BENCH_APPLY_OPTS:-}
PERF=${BENCH_PERF:-}
PGSS=${BENCH_PGSS:-}
MODES=${BENCH_MODES:-plain txn}
WATERMARK_MS=${BENCH_WATERMARK_MS:-}

needs wwi-gen snapshot pgcdc-read kpub ksub mssql-apply peers/kafka-cluster peers/tds-server

pgopts=()
IFS=';' read -r -a pgopts <<<"${BENCH_PG_OPTS:-}"
[ -n "$PGSS" ] && pgopts+=("shared_preload_libraries = 'pg_stat_statements'" "pg_stat_statements.track = all")
pg_start "${pgopts[@]}"
[ -n "$PGSS" ] && { q "CREATE EXTENSION pg_stat_statements" || fail "pg_stat_statements"; }
LOGS=${BENCH_LOGS:-$TEST_TMP/logs}
mkdir -p "$LOGS"
RUN=$TEST_TMP/run
mkdir -p "$RUN"

# The example database, its publication, and the initial copy in Kafka.
q "CREATE DATABASE wwi"
SRC="$PGCONN dbname=wwi"
psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" -f "$here/../../examples/wwi/schema.sql" >/dev/null || fail "schema"
"$BIN/wwi-gen" -d "$SRC" --seed 1 --scale "${WWI_SCALE:-1}" --no-live 2>"$LOGS/wwi-load.log" ||
	{ tail "$LOGS/wwi-load.log" >&2; fail "wwi-gen load"; }
psql -X -q -d "$SRC" -c "CREATE PUBLICATION dbrepl FOR ALL TABLES" || fail "publication"
kafka_start -n 3
tds_start
export MSSQL_PASSWORD=unused
# shellcheck disable=SC2206
kx=(-b "$KAFKA_BROKERS" -X topic.metadata.refresh.interval.ms=500)
# shellcheck disable=SC2086
"$BIN/snapshot" -d "$SRC" -P dbrepl --slot dbrepl --create-slot --no-progress 2>"$LOGS/snapshot.log" |
	"$BIN/kpub" "${kx[@]}" $KPUB_OPTS 2>"$LOGS/kpub-snapshot.log" ||
	{ tail "$LOGS"/*.log >&2; fail "initial snapshot"; }

# Stages talk through FIFOs rather than shell pipes, so that each one's pid
# is known (for /proc CPU figures, perf, and a clean stop of one half).
mkfifo "$RUN/src.pipe" "$RUN/sink.pipe"
# The options of each mode's stages.
MODE=${MODES%% *} # (the source half starts in the first mode)
mode_kpub() { [ "$MODE" = txn ] && echo "${WATERMARK_MS:+--watermark-ms $WATERMARK_MS}" || echo "--watermark-ms 0"; }
mode_ksub() { [ "$MODE" = txn ] && echo "--ordered"; }
mode_apply() { [ "$MODE" = txn ] && echo "--transactions"; }
# shellcheck disable=SC2086
start_source() {
	"$BIN/pgcdc-read" -d "$SRC" -S dbrepl -P dbrepl -s 1 --format "$FORMAT" --ack "$RUN/pg.ack" --progress \
		>"$RUN/src.pipe" 2>>"$LOGS/pgcdc-read.log" &
	PID_READ=$!
	"$BIN/kpub" "${kx[@]}" $KPUB_OPTS $(mode_kpub) --ack "$RUN/pg.ack" --progress <"$RUN/src.pipe" \
		2>>"$LOGS/kpub.log" &
	PID_KPUB=$!
}
# stop_source: pgcdc-read stops, kpub delivers, acks and exits.
stop_source() {
	kill -TERM "$PID_READ" 2>/dev/null
	wait "$PID_READ" "$PID_KPUB" 2>/dev/null
	PID_READ='' PID_KPUB=''
}
# shellcheck disable=SC2086
start_sink() { # log suffix
	"$BIN/ksub" "${kx[@]}" $KSUB_OPTS $(mode_ksub) -G dbrepl-bench -o beginning --format "$FORMAT" \
		--ack "$RUN/kafka.ack" --progress '^wwi\.' >"$RUN/sink.pipe" 2>"$LOGS/ksub.$1.log" &
	PID_KSUB=$!
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D "$TDS_DB" --create-tables --evolve \
		--batch-ms "$BATCH_MS" --batch-rows "$BATCH_ROWS" $APPLY_OPTS $(mode_apply) --ack "$RUN/kafka.ack" \
		--progress <"$RUN/sink.pipe" 2>"$LOGS/mssql-apply.$1.log" &
	PID_APPLY=$!
}
# stop_sink: ksub drains, mssql-apply commits and acks, both exit.
stop_sink() {
	kill -TERM "$PID_KSUB" 2>/dev/null
	local i
	for i in $(seq 1 150); do
		kill -0 "$PID_KSUB" 2>/dev/null || kill -0 "$PID_APPLY" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL "$PID_KSUB" "$PID_APPLY" 2>/dev/null
	wait "$PID_KSUB" "$PID_APPLY" 2>/dev/null
	PID_KSUB=''
	PID_APPLY=''
}
# On exit: the stages still running (only pids not yet waited for, which
# cannot have been reused).
PID_READ='' PID_KPUB='' PID_KSUB='' PID_APPLY='' PROBE_PID='' GEN_PID='' PERF_PID=''
stop_stages() {
	local p live=()
	# perf runs under a subshell of ours: stop it only while that still is
	if [ -n "$PERF_PID" ] && [ "$(ps -o ppid= -p "$PERF_PID" 2>/dev/null | tr -d ' ')" = "$$" ]; then
		pkill -INT -P "$PERF_PID"
	fi
	for p in $GEN_PID $PROBE_PID $PID_KSUB $PID_APPLY $PID_READ $PID_KPUB; do
		kill -TERM "$p" 2>/dev/null && live+=("$p")
	done
	[ ${#live[@]} -gt 0 ] || return 0
	sleep 1
	kill -KILL "${live[@]}" 2>/dev/null
	wait "${live[@]}" 2>/dev/null
}
on_exit stop_stages

applied() { sed -n 's/^mssql-apply: \(done: \)\{0,1\}\([0-9]*\) records .*/\2/p' "$1" | tail -n 1; }
latency() { sed -n 's/.*latency p50 \([0-9]*\) ms p99 \([0-9]*\) ms max \([0-9]*\) ms.*/\1 \2 \3/p' "$1" | tail -n 1; }
genrows() { sed -n 's/.*(\([0-9]*\) tx, \([0-9]*\) rows).*/\2/p' "$1" | tail -n 1; }
ksublag() { sed -n 's/.*partitions assigned, lag \([0-9]*\).*/\1/p' "$1" | tail -n 1; }
assigned() { sed -n 's/.* \([0-9]*\) partitions assigned.*/\1/p' "$1" | tail -n 1; }
walheld() {
	psql -X -At -d "$SRC" -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)
		FROM pg_replication_slots WHERE slot_name = 'dbrepl'" 2>/dev/null
}

# cpu_ticks: "name ticks" for every process of the bench, postgres backends
# named by what they serve (walsender, the wwi-gen session, the TDS peer's
# sessions on database target, the rest).
cpu_ticks() {
	# /proc/PID/stat: "pid (comm) state ppid ..." utime and stime are the
	# 12th and 13th fields after the comm; they include every thread.
	# Only this bench's processes: other tests may run the same programs.
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v pm="$PG_MAIN" -v tds="$TDS_PID" \
		-v mine="$PID_READ $PID_KPUB ${PID_KSUB:-} ${PID_APPLY:-} $KAFKA_PID $TDS_PID $*" '
		BEGIN { n = split(mine, m, " "); for (i = 1; i <= n; i++) own[m[i]] = 1 }
		{ c = $0; sub(/^[^(]*\(/, "", c); comm = c; sub(/\) .*$/, "", comm); sub(/^.*\) /, "", c)
		  split(c, f, " ")
		  if (comm == "postgres") { if (f[2] == pm) print "pg", $1, f[12] + f[13] }
		  else if (($1 in own) || f[2] == tds) print comm, $1, f[12] + f[13] }' |
		while read -r n pid t; do
			if [ "$n" = pg ]; then
				case $({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null) in
				*walsender*) n=pg:walsender ;;
				*" target "*) n=pg:target ;;
				*" wwi "*) n=pg:wwi ;;
				*) n=pg:other ;;
				esac
			fi
			echo "$n $t"
		done | awk '{ t[$1] += $2 } END { for (n in t) print n, t[n] }' | sort
}
PG_MAIN=$(head -n 1 "$PG_DATA/postmaster.pid")
HZ=$(getconf CLK_TCK)

start_source

SUMMARY=$TEST_TMP/summary
: >"$SUMMARY"
# catch_up TAG NAME SECONDS: waits (at most SECONDS) for the sink just
# started to take its partitions and apply what is left in Kafka (the
# snapshot, or the backlog of a phase that did not drain): ksub sees no lag
# and mssql-apply's count stands still. CAUGHT: how many it applied.
catch_up() {
	local tag=$1 name=$2 i a prev=-1 same=0
	for i in $(seq 1 $(($3 * 2))); do
		sleep 0.5
		a=$(assigned "$LOGS/ksub.$tag.log")
		[ "${a:-0}" -gt 0 ] && [ "$(ksublag "$LOGS/ksub.$tag.log")" = 0 ] || { same=0; continue; }
		a=$(applied "$LOGS/mssql-apply.$tag.log")
		if [ "${a:-0}" = "$prev" ]; then same=$((same + 1)); else same=0; fi
		prev=${a:-0}
		[ "$name" = warmup ] && [ "$prev" = 0 ] && continue
		[ $i -ge 6 ] && [ $same -ge 4 ] && break
	done
	CAUGHT=$(applied "$LOGS/mssql-apply.$tag.log")
	CAUGHT=${CAUGHT:-0}
}
# phase NAME RATE: one measured phase; appends a line to $SUMMARY.
phase() {
	local name=$1 rate=$2 tag=${1//\//.}
	start_sink "$tag"
	# In the latency phase an independent consumer (kcat) notes when kpub
	# produced each message (its CreateTime): commit → produce is the source
	# half's share of the latency.
	PROBE_PID=
	if [ "${name%/*}" = latency ] && [ "$FORMAT" = json ] && command -v kcat >/dev/null; then
		kcat -b "$KAFKA_BROKERS" -G dbrepl-probe -X auto.offset.reset=latest -q -f '%T %s\n' '^wwi\.' \
			>"$LOGS/probe.$tag" 2>/dev/null &
		PROBE_PID=$!
	fi
	catch_up "$tag" "$name" "$DRAIN"
	local i a base_applied=$CAUGHT
	[ "$name" = warmup ] && { stop_sink; note "warmup: $base_applied records of the initial copy applied"; return; }
	[ "$base_applied" = 0 ] || note "$name: $base_applied records left over from before (counted out)"

	[ -n "$PGSS" ] && q "SELECT pg_stat_statements_reset()" >/dev/null
	local cpu0 t0 t_end
	cpu0=$(cpu_ticks)
	t0=$(date +%s.%N)
	local t_cpu1
	"$BIN/wwi-gen" -d "$SRC" --seed "$RANDOM" --change-rate "$rate" --duration "$SECS" --progress \
		2>"$LOGS/wwi-gen.$tag.log" &
	local gen=$!
	GEN_PID=$gen
	# BENCH_PERF=1: the whole machine, call graphs, for the middle of the
	# latency phase (perf report --comm/--pid picks the stage; pids.latency
	# names the PostgreSQL sessions).
	if [ -n "$PERF" ] && [ "$name" = latency ] && command -v perf >/dev/null; then
		(sleep $((SECS / 4)) &&
			ps -eo pid,comm,args >"$LOGS/pids.$tag" &&
			perf record -a -g -o "$LOGS/perf.$tag.data" -- sleep $((SECS / 2 < 20 ? SECS / 2 : 20))) \
			>"$LOGS/perf.log" 2>&1 &
		PERF_PID=$!
	fi
	# One sample a second: seconds, generated rows, applied rows, WAL held, ksub lag.
	local samples=$LOGS/samples.$tag
	: >"$samples"
	local cpu_gen=
	while kill -0 "$gen" 2>/dev/null; do
		sleep 1
		# wwi-gen and its session are gone once it exits: their CPU now.
		a=$(cpu_ticks "$gen" | grep -E '^(wwi-gen|pg:wwi) ')
		[ "$(echo "$a" | wc -l)" = 2 ] && cpu_gen=$a
		echo "$(date +%s.%N) $(genrows "$LOGS/wwi-gen.$tag.log") $(applied "$LOGS/mssql-apply.$tag.log")" \
			"$(walheld) $(ksublag "$LOGS/ksub.$tag.log")" >>"$samples"
	done
	wait "$gen" || note "$name: wwi-gen exited $?"
	GEN_PID=''
	t_end=$(date +%s.%N)
	local total drain_start drained=no
	total=$(genrows "$LOGS/wwi-gen.$tag.log")
	drain_start=$(date +%s.%N)
	for i in $(seq 1 $((DRAIN * 4))); do
		a=$(applied "$LOGS/mssql-apply.$tag.log")
		if [ "$((${a:-0} - base_applied))" -ge "${total:-0}" ]; then drained=yes; break; fi
		sleep 0.25
	done
	local drain_s cpu1
	drain_s=$(echo "$(date +%s.%N) - $drain_start" | bc)
	cpu1=$(cpu_ticks)
	t_cpu1=$(date +%s.%N)
	stop_sink
	# per kind of statement: what the target (and the source) spend, per batch
	local nb
	nb=$(sed -n 's/.* \([0-9]*\) batches,.*/\1/p' "$LOGS/mssql-apply.$tag.log" | tail -n 1)
	[ -n "$PGSS" ] && psql -X -q -d "$PGDATABASE" -c "SELECT d.datname AS db,
		CASE WHEN d.datname <> 'target' THEN 'source: ' || split_part(ltrim(query), ' ', 1)
		     WHEN query LIKE 'TRUNCATE%' THEN 'TRUNCATE staging'
		     WHEN query LIKE 'COPY%' THEN 'COPY into staging (bcp rows)'
		     WHEN query LIKE 'SELECT a.attname%' THEN 'bcp column metadata (FMTONLY)'
		     WHEN query LIKE '%dbrepl_checkpoint%' THEN 'checkpoint MERGE'
		     WHEN query LIKE 'MERGE%' THEN 'data MERGE'
		     WHEN query LIKE 'DELETE%' THEN 'data DELETE'
		     ELSE left(regexp_replace(query, '\s+', ' ', 'g'), 30) END AS kind,
		sum(calls) AS calls, round(sum(total_exec_time)::numeric) AS ms,
		round((sum(total_exec_time) / nullif(${nb:-0}, 0))::numeric, 2) AS ms_per_batch,
		round((sum(total_exec_time) / sum(calls))::numeric, 3) AS ms_per_call
		FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
		GROUP BY 1, 2 ORDER BY 1 DESC, 4 DESC LIMIT 30" >"$LOGS/pgss.$tag.txt" 2>&1
	local src_lat="- - -"
	if [ -n "$PROBE_PID" ]; then
		kill "$PROBE_PID" 2>/dev/null
		wait "$PROBE_PID" 2>/dev/null
		PROBE_PID=
		src_lat=$(jq -R -r 'capture("^(?<t>[0-9]+) (?<j>.*)$") | select(.j | fromjson | .src) |
			(.j | fromjson | .src.ts) as $ts |
			(.t | tonumber) - (($ts[0:19] + "Z" | fromdate) * 1000 + ($ts[20:26] | tonumber) / 1000)' \
			"$LOGS/probe.$tag" 2>/dev/null | sort -n | awk '{ v[NR] = $1 } END {
				if (NR) printf "%.0f %.0f %.0f", v[int(NR * 0.5) + 1], v[int(NR * 0.99) + 1], v[NR]; else print "- - -" }')
	fi
	local lat
	lat=$(latency "$LOGS/mssql-apply.$tag.log")
	a=$(applied "$LOGS/mssql-apply.$tag.log")
	# ksub lag (messages in Kafka not yet consumed; a slow sink shows there
	# first): its slope over the second half (least squares) and last value
	local fit
	fit=$(awk -v t0="$t0" -v b="$base_applied" -v secs="$SECS" '
		NF >= 4 && $4 > wal { wal = $4 }
		NF >= 5 && $5 > lag { lag = $5 }
		NF >= 5 { t = $1 - t0; if (t < secs / 2 || t > secs) next
			y = $5; n++; sx += t; sy += y; sxx += t * t; sxy += t * y; last = y }
		END { s = n > 2 ? (n * sxy - sx * sy) / (n * sxx - sx * sx) : 0
			printf "%.0f %d %d %d\n", s, last, wal, lag }' "$samples")
	# what the generator reached, by its own clock
	local gen_s
	gen_s=$(sed -n 's/.* rows changed in \([0-9.]*\) s.*/\1/p' "$LOGS/wwi-gen.$tag.log")
	[ -n "$gen_s" ] || gen_s=$(echo "$t_end - $t0" | bc)
	local cpu
	# CPU of each process over the phase: percent of one core, and ms per
	# 1000 changes (the figure that does not depend on what else runs here).
	cpu1=$( (echo "$cpu1" | grep -v -E '^(wwi-gen|pg:wwi) '; echo "$cpu_gen") | sort)
	cpu=$(join -a 2 <(echo "$cpu0") <(echo "$cpu1") | awk -v hz="$HZ" -v w="$(echo "$t_cpu1 - $t0" | bc)" -v n="${total:-1}" '
		NF >= 2 { before = NF == 3 ? $2 : 0; now = NF == 3 ? $3 : $2; c = (now - before) / hz
		  sum += c; printf "%s=%.0f%%/%.0fms ", $1, c / w * 100, c * 1e6 / n }
		END { printf "total=%.0fms", sum * 1e6 / n }')
	echo "$name $rate $SECS ${total:-0} $gen_s $((${a:-0} - base_applied)) $fit $drain_s $drained ${lat:-- - -}" \
		"$(cut -d' ' -f1 /proc/loadavg) $src_lat $cpu" >>"$SUMMARY"
	note "$(tail -n 1 "$SUMMARY")"
}

phase warmup 0
# Each rate in every mode before the next rate, so that the modes meet the
# same cluster (it slows as it fills) and the same load from elsewhere; a
# mode's higher rates are skipped once one was not drained (its backlog
# would only slow the phases after it).
SRC_MODE=${MODES%% *}
declare -A failed
for r in latency $RATES; do
	for MODE in $MODES; do
		sfx=
		[ "$MODE" = plain ] || sfx=/$MODE
		if [ "$r" != latency ] && [ -n "${failed[$MODE]:-}" ]; then
			note "ramp-$r$sfx skipped: ${failed[$MODE]} was not drained"
			continue
		fi
		# the source half of this mode (kpub's watermarks)
		[ "$MODE" = "$SRC_MODE" ] || { stop_source; start_source; SRC_MODE=$MODE; }
		if [ "$r" = latency ]; then
			phase "latency$sfx" "$LAT_RATE"
		else
			phase "ramp-$r$sfx" "$r"
			[ "$(tail -n 1 "$SUMMARY" | cut -d' ' -f12)" = yes ] || failed[$MODE]=ramp-$r$sfx
		fi
	done
done

# The target must hold what the source holds, or the figures mean nothing:
# the backlog of a phase that did not drain is applied first.
MODE=$SRC_MODE
start_sink final
catch_up final final 600
stop_sink
if compare_all "$SRC" "$TDS_PGCONN" >"$LOGS/compare.txt" 2>&1; then same=yes; else same=NO; fi

echo
echo "dbrepl pipeline bench: $(nproc) CPUs, every service on this machine; format $FORMAT, mssql-apply" \
	"--batch-ms $BATCH_MS --batch-rows $BATCH_ROWS, kpub [$KPUB_OPTS] ksub [$KSUB_OPTS]; ${SECS}s phases"
printf '%-15s %6s %8s %8s %8s %7s %9s %9s %7s %7s %7s %6s %6s  %s\n' \
	phase target gen/s apply/s klag-end klag/s wal-max klag-max drain-s p50-ms p99-ms max-ms load verdict
declare -A best
while read -r name rate _secs total gen_s appl slope last wal lag drain_s drained p50 p99 max load s50 s99 smax cpu; do
	genr=$(echo "$total / $gen_s" | bc)
	applr=$(echo "$appl / ($gen_s + $drain_s)" | bc)
	verdict=ok
	if [ "$drained" != yes ]; then verdict="not drained"
	elif [ "$genr" -lt $((rate * 95 / 100)) ]; then verdict="generator short"
	# Lag grows when the target needs more than a few seconds to catch up
	# once the load stops, or ksub's lag still climbs at the end.
	elif [ "$(echo "$drain_s > $((SECS / 10 > 5 ? SECS / 10 : 5))" | bc)" = 1 ] ||
		{ [ "$slope" -gt $((rate / 20)) ] && [ "$last" -gt $((rate * 3)) ]; }; then verdict="lag grows"
	fi
	mode=plain
	[ "${name#*/}" = "$name" ] || mode=${name#*/}
	[ "${name%/*}" != latency ] && [ "$verdict" = ok ] && [ "$rate" -gt "${best[$mode]:-0}" ] && best[$mode]=$rate
	printf '%-15s %6s %8s %8s %8s %7s %9s %9s %7.1f %7s %7s %6s %6s  %s\n' "$name" "$rate" "$genr" "$applr" \
		"$last" "$slope" "$wal" "$lag" "$drain_s" "$p50" "$p99" "$max" "$load" "$verdict"
	[ "$s50" != - ] && echo "            commit -> kpub produce (kcat CreateTime): p50 $s50 ms, p99 $s99 ms, max $smax ms"
	echo "            cpu, % of one core / ms per 1000 changes: $cpu"
done <"$SUMMARY"
echo
measured=yes
declare -A p50 p99
for MODE in $MODES; do
	sfx=
	[ "$MODE" = plain ] || sfx=/$MODE
	read -r a b c < <(awk -v n="latency$sfx" '$1 == n { print $13, $14, $15 }' "$SUMMARY")
	p50[$MODE]=${a:--} p99[$MODE]=${b:--}
	case $MODE in
	plain) what="today's mode" ;;
	txn) what="ksub --ordered, mssql-apply --transactions" ;;
	*) what=$MODE ;;
	esac
	# #5's goals are today's mode's; #16 asked of the transactions mode
	# only its figures beside them (it holds each change until its
	# transaction is whole on every partition)
	if [ "$MODE" = plain ]; then
		g50=" (goal < 100)" g99=" (goal < 500)" gr=" (goal >= 5000)"
	else
		g50= g99= gr=
	fi
	echo "$MODE ($what): latency at $LAT_RATE changes/s p50 ${a:-?} ms$g50, p99 ${b:-?} ms$g99," \
		"max ${c:-?} ms; highest sustained rate of the ramp: ${best[$MODE]:-none} changes/s$gr"
	[ "${a:--}" = - ] && measured=no
done
ratio() { [ "$1" != - ] && [ -n "$1" ] && [ "$2" != - ] && [ -n "$2" ] && [ "$1" != 0 ] && echo "scale=2; $2 / $1" | bc || echo "?"; }
if [ -n "${p50[plain]:-}" ] && [ -n "${p50[txn]:-}" ]; then
	echo "txn / plain: p50 latency $(ratio "${p50[plain]}" "${p50[txn]}")x, p99 latency" \
		"$(ratio "${p99[plain]}" "${p99[txn]}")x, sustained rate $(ratio "${best[plain]:--}" "${best[txn]:--}")x"
fi
echo "target equals source after the run: $same"
[ -n "${BENCH_LOGS:-}" ] && echo "logs in $LOGS"
# figures of a pipeline that loses or changes rows mean nothing
[ "$same" = yes ] || { cat "$LOGS/compare.txt"; exit 1; }
[ $measured = yes ] || { echo "a latency phase gave no figures"; exit 1; }
exit 0
