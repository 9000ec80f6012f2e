#!/usr/bin/env bash
# stream.sh — streaming replication PostgreSQL → Kafka → SQL Server, with acks
# flowing back through FIFOs, as one script to copy and adapt.
#
#   PGCONN="host=db dbname=wwi user=repl" KAFKA_BROKERS=kafka:9092 \
#   MSSQL_SERVER=mssql:1433 MSSQL_USER=dbrepl MSSQL_DB=wwi examples/stream.sh
#
# The password of SQL Server comes from MSSQL_PASSWORD (or a file: MSSQL_OPTS=
# "--password-file F"), that of PostgreSQL from ~/.pgpass; none is ever on a
# command line.
# On first start (no slot yet) it copies the publication's tables inside the
# snapshot exported by a new slot, so streaming goes on with no gap and no
# duplicate. Stop it with SIGTERM or Ctrl-C: every stage drains and acks.
#
# Settings (environment): SLOT=dbrepl PUBLICATION=dbrepl GROUP=dbrepl-mssql
# TOPIC_REGEX='^DB\.' RUN_DIR=/tmp/dbrepl-run LOG_DIR= (stage stderr to
# files there instead of the terminal) PROGRESS=1 BIN= (where the programs are)
# KAFKA_OPTS="-X k=v ..." MSSQL_OPTS="--batch-rows 5000 ..."
# METRICS_DIR= (each stage writes Prometheus metrics to STAGE.prom there, for
# node_exporter's textfile collector; see dbrepl(7)) METRICS_INTERVAL=5
set -euo pipefail

: "${PGCONN:?set PGCONN to a libpq connection string}"
: "${KAFKA_BROKERS:?set KAFKA_BROKERS}"
: "${MSSQL_SERVER:?set MSSQL_SERVER (host:port or a freetds.conf name)}"
: "${MSSQL_USER:?set MSSQL_USER}"
: "${MSSQL_DB:?set MSSQL_DB}"
SLOT=${SLOT:-dbrepl}
PUBLICATION=${PUBLICATION:-dbrepl}
GROUP=${GROUP:-dbrepl-mssql}
RUN_DIR=${RUN_DIR:-/tmp/dbrepl-run}
KAFKA_OPTS=${KAFKA_OPTS:-}
MSSQL_OPTS=${MSSQL_OPTS:-}
if [ -n "${BIN:-}" ]; then PATH="$BIN:$PATH"; fi
progress=()
[ "${PROGRESS:-1}" = 1 ] && progress=(--progress)

db=$(psql -X -At -d "$PGCONN" -c "SELECT current_database()")
TOPIC_REGEX=${TOPIC_REGEX:-"^${db//./\\.}\\."}
mkdir -p "$RUN_DIR"
log() { # stage name -> where its stderr goes
	if [ -n "${LOG_DIR:-}" ]; then echo "$LOG_DIR/$1.log"; else echo /dev/stderr; fi
}
[ -n "${LOG_DIR:-}" ] && mkdir -p "$LOG_DIR"
metrics() { # stage name -> its --metrics options, one a line (none without METRICS_DIR)
	[ -n "${METRICS_DIR:-}" ] || return 0
	printf '%s\n' "--metrics=$METRICS_DIR/$1.prom" "--metrics-interval=${METRICS_INTERVAL:-5}" "--metrics-label=stage=$1"
}
# Each stage's options as an array, so that a METRICS_DIR with blanks stays
# one word.
mapfile -t mx_snapshot < <(metrics snapshot)
mapfile -t mx_kpub_snapshot < <(metrics kpub-snapshot)
mapfile -t mx_pgcdc_read < <(metrics pgcdc-read)
mapfile -t mx_kpub < <(metrics kpub)
mapfile -t mx_ksub < <(metrics ksub)
mapfile -t mx_mssql_apply < <(metrics mssql-apply)
[ -n "${METRICS_DIR:-}" ] && mkdir -p "$METRICS_DIR"

# shellcheck disable=SC2086
kafka_args=(-b "$KAFKA_BROKERS" $KAFKA_OPTS)

# The publication: every table of the database, unless the operator made one.
if [ "$(psql -X -At -d "$PGCONN" -c "SELECT count(*) FROM pg_publication WHERE pubname = '$PUBLICATION'")" = 0 ]; then
	psql -X -q -d "$PGCONN" -c "CREATE PUBLICATION \"$PUBLICATION\" FOR ALL TABLES"
fi

# First start: the initial copy, inside the snapshot of the new slot.
if [ "$(psql -X -At -d "$PGCONN" -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$SLOT'")" = 0 ]; then
	snapshot -d "$PGCONN" -P "$PUBLICATION" --slot "$SLOT" --create-slot "${progress[@]}" "${mx_snapshot[@]}" \
		2>>"$(log snapshot)" |
		kpub "${kafka_args[@]}" "${progress[@]}" "${mx_kpub_snapshot[@]}" 2>>"$(log kpub-snapshot)"
fi

pids=()
stop() {
	trap - INT TERM
	kill -TERM "${pids[@]}" 2>/dev/null || true
	wait
	exit 0
}
trap stop INT TERM

# Source half: the slot into Kafka; kpub acks what the brokers hold.
( pgcdc-read -d "$PGCONN" -S "$SLOT" -P "$PUBLICATION" --ack "$RUN_DIR/pg.ack" "${progress[@]}" \
	"${mx_pgcdc_read[@]}" 2>>"$(log pgcdc-read)" |
	kpub "${kafka_args[@]}" --ack "$RUN_DIR/pg.ack" "${progress[@]}" "${mx_kpub[@]}" 2>>"$(log kpub)" ) &
pids+=($!)

# Sink half: Kafka into SQL Server; mssql-apply acks what it committed.
# shellcheck disable=SC2086
( ksub "${kafka_args[@]}" -G "$GROUP" -o beginning --ack "$RUN_DIR/kafka.ack" "${progress[@]}" "${mx_ksub[@]}" \
	"$TOPIC_REGEX" 2>>"$(log ksub)" |
	mssql-apply -S "$MSSQL_SERVER" -U "$MSSQL_USER" -D "$MSSQL_DB" --create-tables --evolve \
		--ack "$RUN_DIR/kafka.ack" "${progress[@]}" "${mx_mssql_apply[@]}" $MSSQL_OPTS 2>>"$(log mssql-apply)" ) &
pids+=($!)

wait
