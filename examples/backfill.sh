#!/usr/bin/env bash
# backfill.sh — copies the rows of one table that match a condition into SQL
# Server, merging them by primary key into what is there.
#
#   PGCONN="dbname=wwi" MSSQL_SERVER=mssql MSSQL_USER=dbrepl MSSQL_DB=wwi \
#     examples/backfill.sh sales.orders "order_date >= '2026-01-01'"
set -euo pipefail
: "${PGCONN:?}" "${MSSQL_SERVER:?}" "${MSSQL_USER:?}" "${MSSQL_DB:?}"
[ $# = 2 ] || { echo "usage: backfill.sh SCHEMA.TABLE CONDITION" >&2; exit 64; }
if [ -n "${BIN:-}" ]; then PATH="$BIN:$PATH"; fi
snapshot -d "$PGCONN" -t "$1" --where "$2" |
	mssql-apply -S "$MSSQL_SERVER" -U "$MSSQL_USER" -D "$MSSQL_DB" --create-tables
