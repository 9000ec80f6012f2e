# tests/lib/pipeline.sh — the whole pipeline for end-to-end tests, each half
# under a supervisor that restarts it when a stage dies (as systemd would),
# so tests can kill -9 any stage and watch the pipeline recover.
# Needs pg.sh (pg_start), kafka.sh (kafka_start) and tds.sh (tds_start) first.

# pipeline_load_wwi -> creates database wwi with the example and seed data; sets SRC
pipeline_load_wwi() {
	local top
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	q "CREATE DATABASE wwi"
	SRC="$PGCONN dbname=wwi"
	psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" -f "$top/examples/wwi/schema.sql" >/dev/null || fail "schema"
	"$BIN/wwi-gen" -d "$SRC" --seed 1 --scale "${WWI_SCALE:-1}" --no-live 2>"$TEST_TMP/wwi-load.log" ||
		{ cat "$TEST_TMP/wwi-load.log" >&2; fail "wwi-gen load"; }
	psql -X -q -d "$SRC" -c "CREATE PUBLICATION dbrepl FOR ALL TABLES" || fail "publication"
	export SRC
}

PIPE_RUN=
# pipeline_start: initial snapshot with handover, then both halves supervised.
pipeline_start() {
	PIPE_RUN=$TEST_TMP/pipe
	mkdir -p "$PIPE_RUN/logs"
	local kx=(-b "$KAFKA_BROKERS" -X topic.metadata.refresh.interval.ms=500)
	"$BIN/snapshot" -d "$SRC" -P dbrepl --slot dbrepl --create-slot 2>"$PIPE_RUN/logs/snapshot.log" |
		"$BIN/kpub" "${kx[@]}" 2>"$PIPE_RUN/logs/kpub-snapshot.log" ||
		{ tail "$PIPE_RUN/logs/"*.log >&2; fail "initial snapshot"; }
	cat >"$PIPE_RUN/source.sh" <<SH
while [ ! -e "$PIPE_RUN/stop" ]; do
	"$BIN/pgcdc-read" -d "$SRC" -S dbrepl -P dbrepl -s 1 --progress --ack "$PIPE_RUN/pg.ack" 2>>"$PIPE_RUN/logs/pgcdc-read.log" |
		"$BIN/kpub" ${kx[*]} --ack "$PIPE_RUN/pg.ack" --progress 2>>"$PIPE_RUN/logs/kpub.log"
	echo "source half exited: \${PIPESTATUS[*]}" >>"$PIPE_RUN/logs/supervisor.log"
	[ -e "$PIPE_RUN/stop" ] || sleep 1
done
SH
	cat >"$PIPE_RUN/sink.sh" <<SH
while [ ! -e "$PIPE_RUN/stop" ]; do
	"$BIN/ksub" ${kx[*]} -X session.timeout.ms=5000 -X heartbeat.interval.ms=500 -G dbrepl-mssql -o beginning --progress --ack "$PIPE_RUN/kafka.ack" '^wwi\\.' 2>>"$PIPE_RUN/logs/ksub.log" |
		MSSQL_PASSWORD=test "$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D "$TDS_DB" --create-tables --evolve \\
			--batch-ms 100 --progress --ack "$PIPE_RUN/kafka.ack" 2>>"$PIPE_RUN/logs/mssql-apply.log"
	echo "sink half exited: \${PIPESTATUS[*]}" >>"$PIPE_RUN/logs/supervisor.log"
	[ -e "$PIPE_RUN/stop" ] || sleep 1
done
SH
	setsid bash "$PIPE_RUN/source.sh" &
	PIPE_SOURCE_PID=$!
	setsid bash "$PIPE_RUN/sink.sh" &
	PIPE_SINK_PID=$!
	on_exit "pipeline_stop"
}

pipeline_stop() {
	[ -n "$PIPE_RUN" ] || return 0
	touch "$PIPE_RUN/stop"
	kill -TERM -- "-$PIPE_SOURCE_PID" "-$PIPE_SINK_PID" 2>/dev/null
	local i
	for i in $(seq 1 50); do
		kill -0 "$PIPE_SOURCE_PID" 2>/dev/null || kill -0 "$PIPE_SINK_PID" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL -- "-$PIPE_SOURCE_PID" "-$PIPE_SINK_PID" 2>/dev/null
	pipeline_keep_logs
	return 0
}

# The stages' logs outlive the test, for a look after a failure.
pipeline_keep_logs() {
	local top keep
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	keep=${TEST_LOGS:-$top/build/test-logs}/$(basename "$0" .sh).pipeline
	rm -rf "$keep" && mkdir -p "$keep" && cp "$PIPE_RUN"/logs/*.log "$keep/" 2>/dev/null
}

# pipeline_kill9 STAGE: kill -9 the running instance of one stage.
pipeline_kill9() {
	pkill -KILL -s "$PIPE_SOURCE_PID,$PIPE_SINK_PID" -f "^$BIN/$1 " && note "killed -9 $1" || note "$1 was not running"
}

# pipeline_catch_up SECONDS: waits until every table matches; 0 when it did.
pipeline_catch_up() {
	local deadline=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		compare_all "$SRC" "$TDS_PGCONN" >/dev/null 2>&1 && return 0
		sleep 2
	done
	return 1
}

pipeline_logs() {
	local f
	for f in "$PIPE_RUN"/logs/*.log; do
		echo "--- $(basename "$f") (last lines)"
		tail -n 15 "$f"
	done >&2
}
