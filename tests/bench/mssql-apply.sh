#!/usr/bin/env bash
# mssql-apply through the TDS peer against psql writing the same rows
# straight into the PostgreSQL database behind the peer (the ceiling: the
# peer runs everything on that database in the end).
#   1. snapshot: 1,000,000 rows (op r) of a 7-column table into an empty
#      table, from snapshot's NDJSON and again from its msgpack (-f
#      msgpack); psql: \copy of the same rows.
#   2. stream: 1,000,000 mixed records (40% inserts, 40% updates, 20%
#      deletes, keys reused); psql: the same changes as INSERT … ON CONFLICT
#      DO UPDATE / DELETE statements, in transactions of 10,000.
# Prints seconds, rows/s, the ratio (goals, issue #14: snapshot >= 1.0,
# stream >= 8, the ceiling's seconds over mssql-apply's), round trips of the last
# batch (they grow with tables, not rows), client CPU seconds per million
# rows and peak RSS (goal <= 64 MiB); for the stream, the RPCs and distinct
# statement texts the peer saw (SQL Server compiles a plan per text). For
# the snapshot also where the CPU goes: each side's processes (mssql-apply,
# the peer and PostgreSQL; psql and PostgreSQL) and the least time their
# total allows on this machine's CPUs (packed perfectly): with the peer
# and PostgreSQL on the same CPUs as mssql-apply, their CPU bounds the
# ratio as much as mssql-apply's own does.
#   BENCH_ROWS=N to change the counts; BENCH_ONLY=snapshot for part 1 alone.
set -u
. "$(dirname "$0")/../lib/pg.sh"
N=${BENCH_ROWS:-1000000}
needs snapshot mssql-apply peers/tds-server
[ -x /usr/bin/time ] || { echo "skip: /usr/bin/time missing (make deps)"; exit 77; }

# autovacuum off: each side's million rows set it off on the table it loaded,
# and it ran on the 2 cores during the other side's next run
pg_start "shared_buffers = 512MB" "synchronous_commit = off" "autovacuum = off"
tds_start
export MSSQL_PASSWORD=unused
cd "$TEST_TMP"

q "CREATE TABLE bench (id bigint PRIMARY KEY, a integer, n numeric(18,2), t text,
     ts timestamptz, ok boolean, v varchar(40));
   INSERT INTO bench SELECT g, g % 100000, g * 1.25, 'name ' || md5(g::text),
     '2026-01-01'::timestamptz + g * interval '1.5 s', g % 3 = 0, 'v' || g
   FROM generate_series(1, $N) g;"
"$BIN/snapshot" -d "$PGCONN" -t bench --no-progress >snap.json || { echo "snapshot failed"; exit 1; }
"$BIN/snapshot" -d "$PGCONN" -t bench --no-progress -f msgpack >snap.mp || { echo "snapshot -f msgpack failed"; exit 1; }
psql -X -q -c "\\copy bench TO 'snap.copy'"
# The 700 MB just written go to disk now, not during the first runs (the
# writeback took CPU from whichever side ran first: 0.3-0.8 s more on
# mssql-apply's first run, which went second).
sync
tq "CREATE TABLE public.ceiling (id bigint PRIMARY KEY, a integer, n numeric(18,2), t text,
     ts timestamptz, ok boolean, v varchar(40))"

# run NAME CMD... : prints "seconds cpu-seconds peak-kib"; stdin from $IN
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "time.$name" "$@" <"$IN" >/dev/null 2>"err.$name" ||
		{ echo "$name failed:" >&2; tail -n 5 "err.$name" >&2; exit 1; }
	awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "time.$name"
}
# tree_cpu PID: CPU seconds of PID and its children so far, the reaped
# ones included (the postmaster: every PostgreSQL process; the peer: its
# sessions). A run's delta is the server side's CPU for that run.
HZ=$(getconf CLK_TCK)
PG_MAIN=$(head -n 1 "$PG_DATA/postmaster.pid")
tree_cpu() {
	{ cat "/proc/$1/stat"; for c in $(pgrep -P "$1"); do cat "/proc/$c/stat" 2>/dev/null; done; } |
		awk -v hz="$HZ" '{ sub(/^.*\) /, ""); t += $12 + $13; if (NR == 1) t += $14 + $15 } END { printf "%.2f", t / hz }'
}
# run_cpu NAME CMD... : run's line, then the CPU seconds PostgreSQL and the
# peer spent meanwhile, once the sessions of the run have ended
run_cpu() {
	local nb p0 t0 line i
	nb=$(pgrep -c -P "$PG_MAIN")
	p0=$(tree_cpu "$PG_MAIN")
	t0=$(tree_cpu "$TDS_PID")
	line=$(run "$@") || exit 1
	for ((i = 0; i < 100; i++)); do
		[ -z "$(pgrep -P "$TDS_PID")" ] && [ "$(pgrep -c -P "$PG_MAIN")" -le "$nb" ] && break
		sleep 0.05
	done
	echo "$line $(awk -v a="$p0" -v b="$(tree_cpu "$PG_MAIN")" 'BEGIN { printf "%.2f", b - a }') $(awk -v a="$t0" -v b="$(tree_cpu "$TDS_PID")" 'BEGIN { printf "%.2f", b - a }')"
}
rt() { sed -n 's/.* \([0-9]*\) round trips last batch (\([0-9]*\) tables).*/\1 round trips, \2 table(s)/p' "err.$1" | tail -n 1; }
report() { # label n seconds cpu rss ceiling-seconds goal
	awk -v l="$1" -v n="$2" -v s="$3" -v c="$4" -v m="$5" -v cs="$6" -v g="$7" 'BEGIN {
		printf "%-22s %7.2f s %9.0f rows/s  ratio %.2f (goal >= %s%s)  CPU %.2f s/M rows  peak RSS %.1f MiB (%s 64)\n",
			l, s, n / s, cs / s, g, (cs / s >= g) ? "" : ", MISSED", c * 1000000 / n, m / 1024, m <= 65536 ? "<=" : "> OVER"
	}'
}

# 1. snapshot into an empty table, BENCH_RUNS times each (default 5), in
# turn, the medians counting: a single pair swung 0.57-0.75 with what the
# machine did meanwhile, and medians of 3 still moved by 0.1 from one
# bench to the next. mssql-apply's runs fall in two groups (1.5 and 1.9-2.1
# s here, psql's 1.5-1.7): three busy processes on two CPUs (it, the peer,
# the PostgreSQL backend), fast when the scheduler keeps it apart from the
# backend. Before each run the table is emptied (dropped for
# mssql-apply, which creates it), a CHECKPOINT writes out what the last
# run left dirty and sync puts it on disk, so neither side pays for the
# other's writes (a CHECKPOINT alone leaves them to the kernel's writeback,
# which ran during the next run).
RUNS=${BENCH_RUNS:-5}
# idle LOG-LINE START: from the peer's log of a run (its lines after
# LOG-LINE; START: when the run began, in the log's clock), the seconds
# PostgreSQL could not be loading rows: from the start to the first bulk
# copy, and from the end of each bulk copy to the start of the next (the
# commit, the checkpoint, the next copy's metadata query); then the copies.
idle() {
	tail -n +"$(($1 + 1))" "$TDS_LOG" | awk -v t0="$2" '
		/ bulk: COPY / { if (!n++) first = $1 - t0; else gaps += $1 - end }
		/ bulk: [0-9]+ rows$/ { end = $1 }
		END { printf "%.3f %.3f %d\n", first, gaps, n }'
}
fresh() { tq "SET client_min_messages = warning; $1; CHECKPOINT" >/dev/null && sync; }
for i in $(seq 1 "$RUNS"); do
	fresh "TRUNCATE public.ceiling"
	IN=/dev/null
	run_cpu ceil1 psql -X -q -d "$TDS_PGCONN" -c "\\copy public.ceiling FROM 'snap.copy'" >>res.ceil1
	fresh "DROP TABLE IF EXISTS public.bench; DROP TABLE IF EXISTS dbo.dbrepl_checkpoint"
	IN=snap.json
	l0=$(wc -l <"$TDS_LOG")
	t0=$(date +%s.%N)
	run_cpu snap "$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --stats >>res.snap
	idle "$l0" "$t0" >>idle.snap
	got=$(tq "SELECT count(*) FROM public.bench")
	[ "$got" = "$N" ] || { echo "target holds $got rows, want $N"; exit 1; }
	fresh "DROP TABLE IF EXISTS public.bench; DROP TABLE IF EXISTS dbo.dbrepl_checkpoint"
	IN=snap.mp
	run_cpu snapmp "$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --stats >>res.snapmp
	got=$(tq "SELECT count(*) FROM public.bench")
	[ "$got" = "$N" ] || { echo "target holds $got rows from msgpack, want $N"; exit 1; }
done
# the median run by seconds, with its CPU; the largest RSS
median() { sort -n "$1" | awk -v n="$RUNS" 'NR == int((n + 1) / 2) { s = $1; c = $2 } { if ($3 > m) m = $3 } END { print s, c, m }'; }
# cpu_line LABEL RESULTS CLIENT: the medians of each process's CPU per
# million rows over the runs. Three busy processes share the CPUs on
# mssql-apply's side, two on psql's: with perfect packing a side takes
# at least its total over the CPUs, and at least its busiest process.
cpu_line() {
	sort -n -k2 "$2" | awk -v n="$N" -v r="$RUNS" 'NR == int((r + 1) / 2) { print $2 * 1000000 / n }' >cpu.c
	sort -n -k4 "$2" | awk -v n="$N" -v r="$RUNS" 'NR == int((r + 1) / 2) { print $4 * 1000000 / n }' >cpu.p
	sort -n -k5 "$2" | awk -v n="$N" -v r="$RUNS" 'NR == int((r + 1) / 2) { print $5 * 1000000 / n }' >cpu.t
	awk -v l="$1" -v cl="$3" -v c="$(cat cpu.c)" -v p="$(cat cpu.p)" -v t="$(cat cpu.t)" -v cpus="$(nproc)" 'BEGIN {
		if (cl == "psql") t = 0
		tot = c + p + t; lo = tot / cpus; if (c > lo) lo = c; if (p > lo) lo = p
		if (cl == "psql") printf "  %-12s CPU s/M rows: psql %.2f, PostgreSQL %.2f: %.2f in all, so at best %.2f s/M rows on %d CPUs\n", l, c, p, tot, lo, cpus
		else printf "  %-12s CPU s/M rows: mssql-apply %.2f, the peer %.2f, PostgreSQL %.2f: %.2f in all, so at best %.2f s/M rows on %d CPUs\n", l, c, t, p, tot, lo, cpus
	}'
}
read -r cs _ _ < <(median res.ceil1)
read -r s c m < <(median res.snap)
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (PostgreSQL and the peer share them)"
echo "runs (s): psql $(cut -d' ' -f1 res.ceil1 | tr '\n' ' ')| mssql-apply $(cut -d' ' -f1 res.snap | tr '\n' ' ')| msgpack in $(cut -d' ' -f1 res.snapmp | tr '\n' ' ')"
printf 'psql \\copy (ceiling)   %7.2f s %9.0f rows/s\n' "$cs" "$(awk -v n="$N" -v s="$cs" 'BEGIN{print n/s}')"
report "mssql-apply snapshot" "$N" "$s" "$c" "$m" "$cs" 1.0
echo "  $(rt snap)"
read -r s c m < <(median res.snapmp)
report "  the same, msgpack in" "$N" "$s" "$c" "$m" "$cs" 1.0
# Each round's own ratio too: its runs go one after the other, so they see
# the same speed of the machine, which drifts (here the same psql \copy took
# 1.8 s, then 3.1 s, within minutes: the PostgreSQL backend's own CPU time,
# user time, varied as much), and the medians of the sides may come from
# different rounds.
paired() {
	paste -d' ' <(cut -d' ' -f1 res.ceil1) <(cut -d' ' -f1 "$1") | awk '{ print $1 / $2 }' | sort -n |
		awk -v n="$RUNS" '{ v[NR] = $1; l = l sprintf(" %.2f", $1) } END { printf "median %.2f (rounds:%s)", v[int((n + 1) / 2)], l }'
}
echo "ratio by round: mssql-apply $(paired res.snap); msgpack in $(paired res.snapmp)"
sort -n -k1 idle.snap | awk -v r="$RUNS" 'NR == int((r + 1) / 2) { a = $1 } END { printf "server idle (the peer'"'"'s log, medians of the NDJSON runs): %.3f s before the first bulk copy, ", a }'
sort -n -k2 idle.snap | awk -v r="$RUNS" 'NR == int((r + 1) / 2) { printf "%.3f s between the %d bulk copies\n", $2, $3 }'
echo "where the CPU goes (medians of the runs; PostgreSQL: every process of the cluster):"
cpu_line "psql \\copy" res.ceil1 psql
cpu_line "mssql-apply" res.snap apply
cpu_line "msgpack in" res.snapmp apply

# 2. a mixed stream on a table of its own, and the same as SQL for psql
[ "${BENCH_ONLY:-}" = snapshot ] && exit 0
awk -v n="$N" 'BEGIN {
	srand(42); next_id = 1
	for (i = 1; i <= n; i++) {
		r = rand()
		if (r < 0.4 || next_id < 100) { op = "c"; id = next_id++ }
		else { op = (r < 0.8) ? "u" : "d"; id = 1 + int(rand() * (next_id - 1)) }
		off = sprintf("%d", i)
		if (op == "d") {
			printf "{\"v\":1,\"op\":\"d\",\"db\":\"b\",\"schema\":\"public\",\"table\":\"mix\",\"cols\":[{\"name\":\"id\",\"type\":\"bigint\"},{\"name\":\"v\",\"type\":\"text\"},{\"name\":\"n\",\"type\":\"integer\"}],\"key\":[\"id\"],\"before\":{\"id\":%d},\"src\":{\"lsn\":\"0/%X\",\"xid\":1,\"ts\":\"2026-11-25T10:00:00.000000Z\",\"seq\":1},\"pos\":{\"stream\":\"kafka/mix/0\",\"offset\":\"%s\"}}\n", id, i, off > "mix.json"
			printf "DELETE FROM mix_ceiling WHERE id = %d;\n", id > "mix.sql.body"
		} else {
			printf "{\"v\":1,\"op\":\"%s\",\"db\":\"b\",\"schema\":\"public\",\"table\":\"mix\",\"cols\":[{\"name\":\"id\",\"type\":\"bigint\"},{\"name\":\"v\",\"type\":\"text\"},{\"name\":\"n\",\"type\":\"integer\"}],\"key\":[\"id\"],\"after\":{\"id\":%d,\"v\":\"value %d/%d\",\"n\":%d},\"src\":{\"lsn\":\"0/%X\",\"xid\":1,\"ts\":\"2026-11-25T10:00:00.000000Z\",\"seq\":1},\"pos\":{\"stream\":\"kafka/mix/0\",\"offset\":\"%s\"}}\n", op, id, id, i, i % 1000, i, off > "mix.json"
			printf "INSERT INTO mix_ceiling VALUES (%d, %s, %d) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v, n = EXCLUDED.n;\n", id, "'"'"'value " id "/" i "'"'"'", i % 1000 > "mix.sql.body"
		}
	}
}'
awk 'NR % 10000 == 1 { print "BEGIN;" } { print } NR % 10000 == 0 { print "COMMIT;" } END { if (NR % 10000) print "COMMIT;" }' \
	mix.sql.body >mix.sql
tq "CREATE TABLE public.mix_ceiling (id bigint PRIMARY KEY, v text, n integer)"
IN=/dev/null
read -r cs _ _ < <(run ceil2 psql -X -q -v ON_ERROR_STOP=1 -d "$TDS_PGCONN" -f mix.sql)
IN=mix.json
log0=$(wc -l <"$TDS_LOG")
read -r s c m < <(run mix "$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --stats)
diff <(tq "SELECT id, v, n FROM public.mix ORDER BY id") <(tq "SELECT id, v, n FROM public.mix_ceiling ORDER BY id") >/dev/null ||
	{ echo "mix: target differs from the psql-applied table"; exit 1; }
printf 'psql statements        %7.2f s %9.0f rows/s\n' "$cs" "$(awk -v n="$N" -v s="$cs" 'BEGIN{print n/s}')"
report "mssql-apply stream" "$N" "$s" "$c" "$m" "$cs" 8
echo "  $(rt mix)"
# what SQL Server would compile: each distinct text of a batch or an
# sp_executesql statement is a plan of its own (MERGE is never
# auto-parameterized), so a text that carries values is compiled per batch
tail -n +"$((log0 + 1))" "$TDS_LOG" | awk '
	/ rpc: sp_executesql text / { rpc++; if (!($6 in t)) { t[$6] = 1; texts++ } }
	/ batch: / { batches++ }
	END { printf "  %d sp_executesql RPCs of %d distinct statement text(s); %d SQL batches\n", rpc, texts, batches }'
