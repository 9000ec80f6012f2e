#!/usr/bin/env bash
# wwi-gen-load — wwi-gen on a real PostgreSQL 15:
#  * the same seed loads the same data, value for value (md5 of every table),
#    and another seed other data;
#  * a run of a few seconds inserts into every live table, updates, deletes
#    order lines and old readings, makes one bulk transaction (every holding
#    and thousands of readings) and one TOASTed delivery record;
#  * SIGTERM ends a run with exit 0 and no half transaction.
set -euo pipefail
source "$(dirname "$0")/../lib/pg.sh"

needs wwi-gen
pg_start

conn() { echo "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$1"; }
for db in wwi_a wwi_b; do q "CREATE DATABASE $db"; done

# --- options ----------------------------------------------------------------
"$BIN/wwi-gen" --help >/dev/null || fail "--help"
"$BIN/wwi-gen" --version | grep -q '^wwi-gen ' || fail "--version"
rc=0; "$BIN/wwi-gen" --no-such-option 2>/dev/null || rc=$?
[ "$rc" = 64 ] || fail "unknown option exited $rc, not 64"
rc=0; "$BIN/wwi-gen" -d "host=127.0.0.1 port=$(free_port) user=postgres connect_timeout=3" --no-live 2>/dev/null || rc=$?
[ "$rc" = 69 ] || fail "no server exited $rc, not 69"

# --- determinism --------------------------------------------------------------
# (That another seed gives other data is checked by tests/unit/test_wwi_gen.c.)
"$BIN/wwi-gen" -d "$(conn wwi_a)" --schema-load --seed 7 --no-live --no-progress
"$BIN/wwi-gen" -d "$(conn wwi_b)" --schema-load --seed 7 --no-live --no-progress

tables=$(q "SELECT table_schema || '.' || table_name FROM information_schema.tables
            WHERE table_schema IN ('application', 'purchasing', 'sales', 'warehouse')
            ORDER BY 1" wwi_a)
[ "$(echo "$tables" | wc -l)" = 31 ] || fail "expected 31 tables, got: $tables"
# One line per table: name, row count, md5 of the rows in order.
digest() {
	local t sql=""
	for t in $tables; do
		[ -n "$sql" ] && sql="$sql UNION ALL "
		sql="$sql SELECT '$t', count(*), md5(coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '')) FROM $t x"
	done
	q "$sql ORDER BY 1" "$1"
}
digest wwi_a >"$TEST_TMP/a"
digest wwi_b >"$TEST_TMP/b"
[ "$(wc -l <"$TEST_TMP/a")" = 31 ] || fail "digest: $(cat "$TEST_TMP/a")"
diff "$TEST_TMP/a" "$TEST_TMP/b" >&2 || fail "the same seed loaded different data"
grep -q '|0|' "$TEST_TMP/a" && fail "a table was left empty by the load: $(grep '|0|' "$TEST_TMP/a")"
note "same seed, same data: $(wc -l <"$TEST_TMP/a") tables compared"

# --- a live run ---------------------------------------------------------------
# wwi_b runs live for 5 s; wwi_a keeps its state from before.
start=$(q "SELECT now()")
"$BIN/wwi-gen" -d "$(conn wwi_b)" --seed 7 --rate 300 --duration 5 --no-progress
# table:key of every table the live load inserts into
live_tables="application.people:person_id sales.customers:customer_id sales.orders:order_id
	sales.order_lines:order_line_id sales.invoices:invoice_id sales.invoice_lines:invoice_line_id
	sales.customer_transactions:customer_transaction_id sales.special_deals:special_deal_id
	purchasing.purchase_orders:purchase_order_id purchasing.purchase_order_lines:purchase_order_line_id
	purchasing.supplier_transactions:supplier_transaction_id warehouse.stock_items:stock_item_id
	warehouse.stock_item_stock_groups:stock_item_stock_group_id
	warehouse.stock_item_transactions:stock_item_transaction_id
	warehouse.vehicle_temperatures:vehicle_temperature_id
	warehouse.cold_room_temperatures:cold_room_temperature_id"
maxkeys() {
	local tk sql=""
	for tk in $live_tables; do
		[ -n "$sql" ] && sql="$sql UNION ALL "
		sql="$sql SELECT '${tk%:*}', coalesce(max(${tk#*:}), 0) FROM ${tk%:*}"
	done
	q "$sql" "$1"
}
maxkeys wwi_a >"$TEST_TMP/before"
maxkeys wwi_b >"$TEST_TMP/after"
while IFS='|' read -r t before && IFS='|' read -r t2 after <&3; do
	note "$t: $before -> $after"
	[ "$after" -gt "$before" ] || fail "no rows were inserted into $t during the live run"
done <"$TEST_TMP/before" 3<"$TEST_TMP/after"
new_orders=$(($(grep '^sales.orders|' "$TEST_TMP/after" | cut -d'|' -f2) - $(grep '^sales.orders|' "$TEST_TMP/before" | cut -d'|' -f2)))
[ "$new_orders" -gt 50 ] || fail "only $new_orders orders in 5 s at 300 transactions/s"

# Updates: the stock-take touched every holding, invoicing picked orders.
touched=$(q "SELECT count(*) FILTER (WHERE last_edited_when >= '$start'::timestamptz AT TIME ZONE 'UTC') || ' ' || count(*)
             FROM warehouse.stock_item_holdings" wwi_b)
[ "${touched% *}" = "${touched#* }" ] || fail "the stock-take did not update every holding ($touched)"
picked=$(q "SELECT count(*) FROM sales.orders WHERE picking_completed_when >= '$start'::timestamptz AT TIME ZONE 'UTC'" wwi_b)
[ "$picked" -gt 0 ] || fail "no order was picked during the live run"

# Deletes: more order lines missing than after the load, old readings gone.
gap() { q "SELECT max(order_line_id) - count(*) FROM sales.order_lines" "$1"; }
[ "$(gap wwi_b)" -gt "$(gap wwi_a)" ] || fail "no order line was deleted during the live run"
cold_a=$(q "SELECT min(cold_room_temperature_id) FROM warehouse.cold_room_temperatures" wwi_a)
cold_d=$(q "SELECT min(cold_room_temperature_id) || ' ' || (max(cold_room_temperature_id) - $(q "SELECT max(cold_room_temperature_id) FROM warehouse.cold_room_temperatures" wwi_a))
            FROM warehouse.cold_room_temperatures" wwi_b)
[ "${cold_d% *}" -gt "$cold_a" ] || fail "no old cold-room reading was deleted ($cold_a -> $cold_d)"
[ "${cold_d#* }" -ge 2000 ] || fail "no bulk batch of readings (only ${cold_d#* } new)"

# A delivery record over 8 kB, stored out of line.
big=$(q "SELECT count(*) FROM sales.invoices WHERE length(returned_delivery_data) > 8192
         AND returned_delivery_data::jsonb ? 'SignatureImage'" wwi_b)
[ "$big" -gt 0 ] || fail "no large delivery record"
toast=$(q "SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = 'sales.invoices'::regclass" wwi_b)
[ "$toast" -gt 8192 ] || fail "the large delivery record was not TOASTed (toast size $toast)"

# Replication variety the schema promises.
ri=$(q "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class WHERE relreplident = 'f'
        AND relnamespace = 'warehouse'::regnamespace" wwi_b)
[ "$ri" = "cold_room_temperatures stock_item_holdings" ] || fail "REPLICA IDENTITY FULL on: $ri"

# --- SIGTERM ------------------------------------------------------------------
orders=$(q "SELECT max(order_id) FROM sales.orders" wwi_b)
"$BIN/wwi-gen" -d "$(conn wwi_b)" --seed 7 --rate 500 --no-progress &
pid=$!
on_exit "kill $pid"
sleep 2
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" = 0 ] || fail "SIGTERM: exit $rc, not 0"
orphans=$(q "SELECT count(*) FROM sales.invoices i WHERE NOT EXISTS
             (SELECT 1 FROM sales.invoice_lines l WHERE l.invoice_id = i.invoice_id)" wwi_b)
[ "$orphans" = 0 ] || fail "$orphans invoices without lines: a transaction was split"
[ "$(q "SELECT max(order_id) FROM sales.orders" wwi_b)" -gt "$orders" ] || fail "the run stopped by SIGTERM inserted no order"

# SIGTERM while its transactions wait for a lock another session holds:
# cancelled 10 s later, exit 0, no half transaction (before, wwi-gen waited
# as long as the lock was held)
"$BIN/wwi-gen" -d "$(conn wwi_b)" --seed 8 --rate 500 --no-progress 2>"$TEST_TMP/locked.err" &
pid=$!
on_exit "kill $pid 2>/dev/null"
sleep 1
psql -X -q -d "$(conn wwi_b) application_name=holder" -c "BEGIN" -c "LOCK TABLE sales.orders IN ACCESS EXCLUSIVE MODE" \
	-c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
on_exit "psql -X -q -d '$(conn wwi_b)' -c \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'\" >/dev/null"
waiting=
for _ in $(seq 1 100); do
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'wwi-gen' AND wait_event_type = 'Lock'" wwi_b)" -ge 1 ] &&
		{ waiting=yes; break; }
	sleep 0.1
done
[ -n "$waiting" ] || fail "wwi-gen did not wait for the lock"
kill -TERM "$pid"
t0=$(date +%s)
exits_within 20 "$pid" || fail "SIGTERM under a lock: wwi-gen still running 20 s later"
[ $(($(date +%s) - t0)) -ge 9 ] || fail "SIGTERM under a lock: cancelled before its 10 s"
rc=0; wait "$pid" || rc=$?
[ "$rc" = 0 ] || { cat "$TEST_TMP/locked.err" >&2; fail "SIGTERM under a lock: exit $rc, not 0"; }
grep -q "the transactions still in flight were cancelled" "$TEST_TMP/locked.err" || { cat "$TEST_TMP/locked.err" >&2; fail "SIGTERM under a lock: not said"; }
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'" wwi_b >/dev/null
orphans=$(q "SELECT count(*) FROM sales.invoices i WHERE NOT EXISTS
             (SELECT 1 FROM sales.invoice_lines l WHERE l.invoice_id = i.invoice_id)" wwi_b)
[ "$orphans" = 0 ] || fail "$orphans invoices without lines after the cancel: a transaction was split"
note "ok"
