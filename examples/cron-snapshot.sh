#!/usr/bin/env bash
# cron-snapshot.sh — a full copy of some tables into SQL Server, no Kafka, for
# cron. Each table is truncated at the target, then loaded (snapshot
# --truncate), so rows deleted at the source since the last run go too. Each
# run is a stream of its own, so it never disturbs the checkpoint of a
# streaming pipeline (but do not run it on tables a pipeline streams into:
# the truncate would race the stream).
#
#   # m h dom mon dow  command
#   15 2 * * *  PGCONN="dbname=wwi" MSSQL_SERVER=mssql MSSQL_USER=dbrepl MSSQL_DB=wwi /opt/dbrepl/examples/cron-snapshot.sh -n sales
#
# Arguments are snapshot's table selection: -n SCHEMA, -t SCHEMA.TABLE, -P PUBLICATION.
set -euo pipefail
: "${PGCONN:?}" "${MSSQL_SERVER:?}" "${MSSQL_USER:?}" "${MSSQL_DB:?}"
if [ -n "${BIN:-}" ]; then PATH="$BIN:$PATH"; fi
snapshot -d "$PGCONN" --truncate "$@" |
	mssql-apply -S "$MSSQL_SERVER" -U "$MSSQL_USER" -D "$MSSQL_DB" --create-tables
