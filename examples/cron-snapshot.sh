#!/usr/bin/env bash
# cron-snapshot.sh — a full copy of some tables into SQL Server, no Kafka, for
# cron. Each table is truncated at the target, then loaded (snapshot
# --truncate), so rows deleted at the source since the last run go too. Each
# run is a stream of its own, so it never disturbs the checkpoint of a
# streaming pipeline (but do not run it on tables a pipeline streams into:
# the truncate would race the stream).
#
#   # m h dom mon dow  command
#   15 2 * * *  PGCONN="dbname=wwi" MSSQL_SERVER=mssql MSSQL_USER=dbrepl MSSQL_DB=wwi MSSQL_PASSWORD_FILE=/etc/dbrepl/mssql.pw /opt/dbrepl/examples/cron-snapshot.sh -n sales
#
# The password of SQL Server: the first line of MSSQL_PASSWORD_FILE, else
# MSSQL_PASSWORD (cron passes on no environment of its own); PostgreSQL's
# from ~/.pgpass.
# Arguments are snapshot's table selection: -n SCHEMA, -t SCHEMA.TABLE, -P PUBLICATION.
set -euo pipefail
: "${PGCONN:?}" "${MSSQL_SERVER:?}" "${MSSQL_USER:?}" "${MSSQL_DB:?}"
if [ -n "${BIN:-}" ]; then PATH="$BIN:$PATH"; fi
snapshot -d "$PGCONN" --truncate "$@" |
	mssql-apply -S "$MSSQL_SERVER" -U "$MSSQL_USER" -D "$MSSQL_DB" --create-tables \
		${MSSQL_PASSWORD_FILE:+--password-file "$MSSQL_PASSWORD_FILE"}
