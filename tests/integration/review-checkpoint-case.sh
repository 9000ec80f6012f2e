#!/usr/bin/env bash
# Two streams whose names differ only in case (Kafka topics "Orders" and
# "orders") keep separate checkpoints in mssql-apply: neither stream's offset
# makes it skip the other's records. (On SQL Server this also needs the
# checkpoint column's binary collation, which the golden T-SQL shows; the
# test peer compares case-sensitively either way.)
set -u
source "$(dirname "$0")/../lib/pg.sh"
needs mssql-apply peers/tds-server
pg_start
tds_start
rec() { # stream offset id value
	printf '{"v":1,"op":"c","db":"d","schema":"s","table":"t","cols":[{"name":"id","type":"integer"},{"name":"v","type":"text"}],"key":["id"],"after":{"id":%s,"v":"%s"},"src":{"lsn":"0/1","xid":1,"ts":"2026-11-25T00:00:00.000000Z","seq":1},"pos":{"stream":"%s","offset":"%s"}}\n' \
		"$3" "$4" "$1" "$2"
}
{
	rec kafka/Orders/0 10 1 upper
	rec kafka/orders/0 5 2 lower
} | MSSQL_PASSWORD=x "$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D "$TDS_DB" --create-tables --no-progress ||
	fail "mssql-apply exited $?"
got=$(tq "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM s.t")
[ "$got" = "1=upper,2=lower" ] || fail "target holds [$got], want both rows"
n=$(tq "SELECT count(*) FROM dbo.dbrepl_checkpoint")
[ "$n" = 2 ] || fail "$n checkpoint rows, want 2"
echo "review-checkpoint-case: streams differing in case keep separate checkpoints"
