#!/usr/bin/env bash
# cron-snapshot.sh — a full copy of some tables into SQL Server, no Kafka, for
# cron. Each run is a stream of its own, so it never disturbs the checkpoint of
# a streaming pipeline.
#
#   # m h dom mon dow  command
#   15 2 * * *  PGCONN="dbname=wwi" MSSQL_SERVER=mssql MSSQL_USER=dbrepl MSSQL_DB=wwi /opt/dbrepl/examples/cron-snapshot.sh -n sales
#
# Arguments are snapshot's table selection: -n SCHEMA, -t SCHEMA.TABLE, -P PUBLICATION.
set -euo pipefail
: "${PGCONN:?}" "${MSSQL_SERVER:?}" "${MSSQL_USER:?}" "${MSSQL_DB:?}"
if [ -n "${BIN:-}" ]; then PATH="$BIN:$PATH"; fi
snapshot -d "$PGCONN" "$@" |
	mssql-apply -S "$MSSQL_SERVER" -U "$MSSQL_USER" -D "$MSSQL_DB" --create-tables
