#!/usr/bin/env bash
# A source schema change during streaming (ALTER TABLE ADD COLUMN) reaches
# the target through --evolve, with the new column's values.
set -u
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/compare.sh"
. "$(dirname "$0")/../lib/pipeline.sh"
needs pgcdc-read snapshot kpub ksub mssql-apply wwi-gen peers/kafka-cluster peers/tds-server
pg_start
pipeline_load_wwi
kafka_start -n 3
tds_start
pipeline_start
"$BIN/wwi-gen" -d "$SRC" --seed 4 --rate 20 --duration 6 2>/dev/null &
gen=$!
sleep 2
psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" -c "
	ALTER TABLE sales.customers ADD COLUMN loyalty_tier varchar(20);
	ALTER TABLE warehouse.colors ADD COLUMN hex_code char(7);
	UPDATE sales.customers SET loyalty_tier = CASE WHEN customer_id % 3 = 0 THEN 'gold' ELSE NULL END;
	UPDATE warehouse.colors SET hex_code = '#' || lpad(to_hex(color_id * 4099 % 16777216), 6, '0');" ||
	fail "alter"
wait $gen
pipeline_catch_up 90 || { compare_all "$SRC" "$TDS_PGCONN" | grep DIFF; pipeline_logs; fail "target differs after ALTER TABLE"; }
n=$(psql -X -At -d "$TDS_PGCONN" -c "SELECT count(*) FROM sales.customers WHERE loyalty_tier = 'gold'")
[ "$n" -gt 0 ] || fail "the new column's values did not arrive"
echo "e2e-evolve: the added columns and their values reached the target"
