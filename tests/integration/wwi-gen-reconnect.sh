#!/usr/bin/env bash
# wwi-gen-reconnect — when PostgreSQL restarts under a live load, wwi-gen
# connects again with backoff and goes on where the data ends: more orders
# after the restart, no invoice without its lines, exit 0 when the duration
# runs out.
set -euo pipefail
source "$(dirname "$0")/../lib/pg.sh"

needs wwi-gen
pg_start
db="host=$PGHOST port=$PGPORT user=$PGUSER dbname=postgres"

"$BIN/wwi-gen" -d "$db" --schema-load --seed 3 --no-live --no-progress
"$BIN/wwi-gen" -d "$db" --seed 3 --rate 200 --duration 12 --no-progress 2>"$TEST_TMP/gen.log" &
pid=$!
on_exit "kill $pid"
sleep 3
before=$(q "SELECT max(order_id) FROM sales.orders")
pg_restart || fail "pg_restart"
restarted=$(q "SELECT max(order_id) FROM sales.orders")
note "orders: $before before the restart, $restarted just after it"
rc=0; wait "$pid" || rc=$?
cat "$TEST_TMP/gen.log" >&2
[ "$rc" = 0 ] || fail "wwi-gen exited $rc after the server restarted"
after=$(q "SELECT max(order_id) FROM sales.orders")
[ "$after" -gt "$restarted" ] || fail "no order after the restart ($restarted -> $after)"
orphans=$(q "SELECT count(*) FROM sales.invoices i WHERE NOT EXISTS
             (SELECT 1 FROM sales.invoice_lines l WHERE l.invoice_id = i.invoice_id)")
[ "$orphans" = 0 ] || fail "$orphans invoices without lines"
note "ok: $after orders"
