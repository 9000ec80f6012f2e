#!/usr/bin/env bash
# backfill.sh — copies one table (or the rows of it that match a condition)
# into SQL Server again, while the streaming pipeline runs.
#
# With SLOT set (the slot the running pgcdc-read streams), the rows go into
# that stream between watermarks and reach SQL Server through the pipeline,
# in order with the table's changes: nothing needs to stop. TRUNCATE=1
# empties the target table first (for a table that is damaged or has rows
# the source no longer has), and then takes no CONDITION.
#
#   PGCONN="dbname=wwi" SLOT=dbrepl examples/backfill.sh sales.orders
#   PGCONN="dbname=wwi" SLOT=dbrepl TRUNCATE=1 examples/backfill.sh sales.orders
#
# Without SLOT, the rows are merged by key straight into SQL Server; run it
# only while no streaming sink writes the table (a copied row older than a
# change the sink applied would overwrite it).
#
#   PGCONN="dbname=wwi" MSSQL_SERVER=mssql MSSQL_USER=dbrepl MSSQL_DB=wwi \
#     examples/backfill.sh sales.orders "order_date >= '2026-01-01'"
#
# With SLOT, pgcdc-read masks the rows (--exclude-column, --hash-column ...)
# as it masks the stream's changes; snapshot --online takes no masks.
#
# Either way the copy keeps its progress in STATE_DIR (default
# /var/tmp/dbrepl-backfill): run the same command again after an
# interruption and it goes on where it stopped.
set -euo pipefail
: "${PGCONN:?}"
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: backfill.sh SCHEMA.TABLE [CONDITION]" >&2; exit 64; }
if [ -n "${BIN:-}" ]; then PATH="$BIN:$PATH"; fi
STATE_DIR=${STATE_DIR:-/var/tmp/dbrepl-backfill}
mkdir -p "$STATE_DIR"
state="$STATE_DIR/$1.state"
where=()
[ $# = 2 ] && where=(--where "$2")
trunc=()
[ "${TRUNCATE:-0}" = 1 ] && trunc=(--truncate)
# snapshot refuses the two together (a truncate would drop the rows the
# condition leaves out): say so here, before anything starts
[ ${#where[@]} = 0 ] || [ ${#trunc[@]} = 0 ] ||
	{ echo "backfill.sh: TRUNCATE=1 copies the whole table: give no CONDITION with it" >&2; exit 64; }

if [ -n "${SLOT:-}" ]; then
	exec snapshot -d "$PGCONN" --online --slot "$SLOT" -t "$1" "${where[@]}" "${trunc[@]}" --state "$state"
fi
: "${MSSQL_SERVER:?}" "${MSSQL_USER:?}" "${MSSQL_DB:?}"
ack="$STATE_DIR/$1.ack"
snapshot -d "$PGCONN" -t "$1" "${where[@]}" "${trunc[@]}" --state "$state" --ack "$ack" |
	mssql-apply -S "$MSSQL_SERVER" -U "$MSSQL_USER" -D "$MSSQL_DB" --create-tables --ack "$ack"
