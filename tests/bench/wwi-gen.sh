#!/usr/bin/env bash
# Benchmark: wwi-gen against the tools a user would take instead, in one run
# on one throw-away PostgreSQL.
#   load: wwi-gen's initial load (--scale BENCH_SCALE) into database a,
#         against psql restoring pg_dump --data-only of the very same rows
#         into database b (same schema): the same input both ways. The two
#         databases are compared table by table afterwards.
#   live: wwi-gen --rate 0 (as fast as it goes, one session) for
#         BENCH_SECONDS, against pgbench -M prepared with one client running
#         a new-order transaction of the same shape on the same tables (an
#         order, three lines, three stock holdings: 7 rows) for as long.
#         Compared by changed rows per second.
# Prints seconds and rates and the ratio of wwi-gen to each peer (above 1:
# wwi-gen is faster). Exits non-zero when either side could not run.
set -eu
source "$(dirname "$0")/../lib/pg.sh"
SCALE=${BENCH_SCALE:-20}
SECS=${BENCH_SECONDS:-15}
needs wwi-gen
PGBENCH="$PG_BINDIR/pgbench"
[ -x "$PGBENCH" ] || fail "pgbench missing ($PGBENCH)"
top=$(cd "$(dirname "$0")/../.." && pwd)
pg_start "max_wal_size = 8GB" "checkpoint_timeout = 1h"
cd "$TEST_TMP"
q "CREATE DATABASE a"
q "CREATE DATABASE b"
A="$PGCONN dbname=a"
B="$PGCONN dbname=b"
psql -X -q -v ON_ERROR_STOP=1 -d "$A" -f "$top/examples/wwi/schema.sql" >/dev/null || fail "schema a"
psql -X -q -v ON_ERROR_STOP=1 -d "$B" -f "$top/examples/wwi/schema.sql" >/dev/null || fail "schema b"

now() { date +%s.%N; }
t0=$(now)
"$BIN/wwi-gen" -d "$A" --seed 1 --scale "$SCALE" --no-live --no-progress 2>load.err || { cat load.err; fail "wwi-gen load"; }
gen_load=$(echo "$(now) - $t0" | bc -l)
rows=$(psql -X -At -d "$A" -c "SELECT sum((xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', schemaname, relname), false, true, '')))[1]::text::bigint) FROM pg_stat_user_tables")
"$PG_BINDIR/pg_dump" -d "$A" --data-only --disable-triggers -f dump.sql 2>pg_dump.err || { cat pg_dump.err; fail "pg_dump"; }
t0=$(now)
psql -X -q -v ON_ERROR_STOP=1 -d "$B" -f dump.sql >/dev/null || fail "psql restore"
psql_load=$(echo "$(now) - $t0" | bc -l)
# Same rows both ways, or the comparison means nothing.
digest() {
	psql -X -At -d "$1" -c "SELECT string_agg(format('%s.%s %s', schemaname, relname,
		(xpath('/row/m/text()', query_to_xml(format('SELECT md5(string_agg(t::text, ''|'' ORDER BY t::text)) AS m FROM %I.%I t',
		schemaname, relname), false, true, '')))[1]::text), E'\n' ORDER BY schemaname, relname) FROM pg_stat_user_tables"
}
[ "$(digest "$A")" = "$(digest "$B")" ] || fail "database b differs from a after the restore"

# Live load. The pgbench transaction takes its ids from sequences above
# everything wwi-gen made or will make, and existing rows for the rest.
ncust=$(q "SELECT max(customer_id) FROM sales.customers" a)
nitems=$(q "SELECT max(stock_item_id) FROM warehouse.stock_items" a)
npeople=$(q "SELECT max(person_id) FROM application.people" a)
q "CREATE SEQUENCE bench_order_id START 1000000000; CREATE SEQUENCE bench_line_id START 1000000000" a
cat >neworder.sql <<'SQL'
\set cust random(1, :ncust)
\set sp random(1, :npeople)
\set i1 random(1, :nitems)
\set i2 random(1, :nitems)
\set i3 random(1, :nitems)
\set q random(1, 20)
BEGIN;
SELECT nextval('bench_order_id') AS oid \gset
INSERT INTO sales.orders (order_id, customer_id, salesperson_person_id, picked_by_person_id, contact_person_id, backorder_order_id, order_date, expected_delivery_date, customer_purchase_order_number, is_undersupply_backordered, comments, delivery_instructions, internal_comments, picking_completed_when, last_edited_by, last_edited_when) VALUES (:oid, :cust, :sp, NULL, :sp, NULL, current_date, current_date + 1, 'PO' || :oid, true, NULL, 'leave at the door', NULL, NULL, :sp, localtimestamp);
INSERT INTO sales.order_lines (order_line_id, order_id, stock_item_id, description, package_type_id, quantity, unit_price, tax_rate, picked_quantity, picking_completed_when, last_edited_by, last_edited_when) VALUES (nextval('bench_line_id'), :oid, :i1, 'bench item', 7, :q, 12.50, 15.000, 0, NULL, :sp, localtimestamp);
INSERT INTO sales.order_lines (order_line_id, order_id, stock_item_id, description, package_type_id, quantity, unit_price, tax_rate, picked_quantity, picking_completed_when, last_edited_by, last_edited_when) VALUES (nextval('bench_line_id'), :oid, :i2, 'bench item', 7, :q, 8.25, 15.000, 0, NULL, :sp, localtimestamp);
INSERT INTO sales.order_lines (order_line_id, order_id, stock_item_id, description, package_type_id, quantity, unit_price, tax_rate, picked_quantity, picking_completed_when, last_edited_by, last_edited_when) VALUES (nextval('bench_line_id'), :oid, :i3, 'bench item', 7, :q, 99.00, 15.000, 0, NULL, :sp, localtimestamp);
UPDATE warehouse.stock_item_holdings SET quantity_on_hand = quantity_on_hand - :q, last_edited_by = :sp, last_edited_when = localtimestamp WHERE stock_item_id = :i1;
UPDATE warehouse.stock_item_holdings SET quantity_on_hand = quantity_on_hand - :q, last_edited_by = :sp, last_edited_when = localtimestamp WHERE stock_item_id = :i2;
UPDATE warehouse.stock_item_holdings SET quantity_on_hand = quantity_on_hand - :q, last_edited_by = :sp, last_edited_when = localtimestamp WHERE stock_item_id = :i3;
COMMIT;
SQL

"$BIN/wwi-gen" -d "$A" --seed 2 --rate 0 --duration "$SECS" --no-progress 2>live.err || { cat live.err; fail "wwi-gen live"; }
# "wwi-gen: N transactions, M rows changed in S s"
read -r gen_tx gen_rows gen_secs < <(sed -n 's/.*: \([0-9]*\) transactions, \([0-9]*\) rows changed in \([0-9.]*\) s.*/\1 \2 \3/p' live.err | tail -n 1)
[ -n "${gen_rows:-}" ] || { cat live.err; fail "no summary line from wwi-gen"; }
"$PGBENCH" -n -M prepared -c 1 -T "$SECS" -D ncust="$ncust" -D nitems="$nitems" -D npeople="$npeople" \
	-f neworder.sql "$PGCONN dbname=a" >pgbench.out 2>pgbench.err || { cat pgbench.err; fail "pgbench"; }
pb_tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' pgbench.out)
pb_failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' pgbench.out)
[ -n "$pb_tx" ] && [ "$pb_tx" -gt 0 ] && [ "${pb_failed:-0}" = 0 ] || { cat pgbench.out pgbench.err; fail "pgbench did not run its transactions"; }
pb_orders=$(q "SELECT count(*) FROM sales.orders WHERE order_id >= 1000000000" a)
[ "$pb_orders" = "$pb_tx" ] || fail "pgbench reports $pb_tx transactions but $pb_orders orders are there"
pb_rows=$((pb_tx * 7))

gen_rate=$(echo "$gen_rows / $gen_secs" | bc -l)
pb_rate=$(echo "$pb_rows / $SECS" | bc -l)
printf '%-36s %10s %12s\n' side seconds rows/s
printf '%-36s %10.2f %12.0f\n' "load: wwi-gen --scale $SCALE" "$gen_load" "$(echo "$rows / $gen_load" | bc -l)"
printf '%-36s %10.2f %12.0f\n' "load: psql < pg_dump --data-only" "$psql_load" "$(echo "$rows / $psql_load" | bc -l)"
printf '%-36s %10.2f %12.0f   (%s transactions)\n' "live: wwi-gen --rate 0" "$gen_secs" "$gen_rate" "$gen_tx"
printf '%-36s %10.2f %12.0f   (%s transactions)\n' "live: pgbench -M prepared -c 1" "$SECS" "$pb_rate" "$pb_tx"
printf 'load: wwi-gen %.2fx psql restoring the same %s rows\n' "$(echo "$psql_load / $gen_load" | bc -l)" "$rows"
printf 'live: wwi-gen %.2fx pgbench in changed rows/s\n' "$(echo "$gen_rate / $pb_rate" | bc -l)"
