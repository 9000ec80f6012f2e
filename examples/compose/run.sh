#!/usr/bin/env bash
# run.sh — builds dbrepl and runs the streaming pipeline against the real
# services of docker-compose.yml: PostgreSQL 16, a 3-node Kafka cluster in
# KRaft mode and SQL Server 2022. Needs Docker with the compose plugin, which
# the project's CI machines do not have.
#
#   examples/compose/run.sh          # up, load WWI, replicate for DEMO_SECONDS, compare
#   docker compose -f examples/compose/docker-compose.yml down -v   # afterwards
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
DEMO_SECONDS=${DEMO_SECONDS:-60}
export PGPASSWORD=${PG_PASSWORD:-dbrepl-demo}
export MSSQL_PASSWORD=${MSSQL_PASSWORD:-Dbrepl-demo-2026}

make -C "$top" deps all
docker compose -f "$here/docker-compose.yml" up -d --wait postgres
docker compose -f "$here/docker-compose.yml" up -d kafka1 kafka2 kafka3 mssql

export PGCONN="host=127.0.0.1 port=5432 user=postgres dbname=wwi"
until pg_isready -d "$PGCONN" >/dev/null; do sleep 1; done
psql -X -q -v ON_ERROR_STOP=1 -d "$PGCONN" -f "$top/examples/wwi/schema.sql"
"$top/bin/wwi-gen" -d "$PGCONN" --seed 1 --scale 1 --no-live

# SQL Server takes a while to accept logins; tsql is FreeTDS's own client.
until echo "SELECT 1" | TDSVER=7.4 tsql -H 127.0.0.1 -p 1433 -U sa -P "$MSSQL_PASSWORD" >/dev/null 2>&1; do sleep 2; done
echo "IF DB_ID(N'wwi') IS NULL CREATE DATABASE [wwi]" |
	TDSVER=7.4 tsql -H 127.0.0.1 -p 1433 -U sa -P "$MSSQL_PASSWORD" >/dev/null

export KAFKA_BROKERS=localhost:9092,localhost:9094,localhost:9096
export MSSQL_SERVER=127.0.0.1:1433 MSSQL_USER=sa MSSQL_DB=wwi BIN="$top/bin"
"$top/examples/stream.sh" &
pipeline=$!
trap 'kill -TERM $pipeline 2>/dev/null; wait' EXIT
"$top/bin/wwi-gen" -d "$PGCONN" --seed 2 --rate 100 --duration "$DEMO_SECONDS" --progress
sleep 20
echo "Replicated. Compare with: sqlcmd / tsql -H 127.0.0.1 -p 1433 -U sa -D wwi"
