#!/usr/bin/env bash
# Change events written by hand in the layout of the Debezium PostgreSQL
# connector's documentation (connectors/postgresql.adoc: the customers
# table, JsonConverter's {"schema","payload"}, its source block) — a
# snapshot read, a truncate, inserts, an update under REPLICA IDENTITY
# DEFAULT (before: the key), one whose unchanged TOAST value is Debezium's
# placeholder, deletes under DEFAULT (before: the key) and FULL (before:
# every column), a transaction BEGIN/END pair; and a second table with a
# Decimal, a MicroTimestamp and a ZonedTimestamp — are applied by
# mssql-apply through the TDS peer, and the target compared in SQL:
#   1. through Kafka: kcat -P with the message keys, ksub | mssql-apply
#      --create-tables (key columns from the message key, types from the
#      schemas);
#   2. on stdin without keys: mssql-apply takes the key from the target
#      table's primary key;
#   3. a schemaless event's Decimal bytes cannot be read: refused by name
#      (exit 65), nothing applied from it.
set -u
source "$(dirname "$0")/../lib/pg.sh"
needs ksub mssql-apply peers/tds-server kcat jq
pg_start
tds_start
kafka_start -n 1 dbserver1.inventory.customers:1:1 dbserver1.inventory.orders:1:1 dbserver1.transaction:1:1 \
	plain.orders:1:1
cd "$TEST_TMP" || exit 1
export MSSQL_PASSWORD=unused

# ---- the events ----
# The value schema of the documentation's create event (customers).
CUST_SCHEMA='{"type":"struct","fields":[
 {"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"first_name"},{"type":"string","optional":false,"field":"last_name"},{"type":"string","optional":false,"field":"email"}],"optional":true,"name":"dbserver1.inventory.customers.Value","field":"before"},
 {"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"first_name"},{"type":"string","optional":false,"field":"last_name"},{"type":"string","optional":false,"field":"email"}],"optional":true,"name":"dbserver1.inventory.customers.Value","field":"after"},
 {"type":"struct","fields":[{"type":"string","optional":false,"field":"version"},{"type":"string","optional":false,"field":"connector"},{"type":"string","optional":false,"field":"name"},{"type":"int64","optional":false,"field":"ts_ms"},{"type":"int64","optional":false,"field":"ts_us"},{"type":"int64","optional":false,"field":"ts_ns"},{"type":"boolean","optional":true,"default":false,"field":"snapshot"},{"type":"string","optional":false,"field":"db"},{"type":"string","optional":false,"field":"schema"},{"type":"string","optional":false,"field":"table"},{"type":"int64","optional":true,"field":"txId"},{"type":"int64","optional":true,"field":"lsn"},{"type":"int64","optional":true,"field":"xmin"}],"optional":false,"name":"io.debezium.connector.postgresql.Source","field":"source"},
 {"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"},{"type":"int64","optional":true,"field":"ts_us"},{"type":"int64","optional":true,"field":"ts_ns"}],
 "optional":false,"name":"dbserver1.inventory.customers.Envelope"}'
# The key as the documentation writes it (its own layout of the fields).
ckey() {
	printf '{"schema":{"type":"struct","name":"dbserver1.inventory.customers.Key","optional":false,"fields":[{"name":"id","index":"0","schema":{"type":"INT32","optional":"false"}}]},"payload":{"id":%s}}' "$1"
}
# source TXID LSN SNAPSHOT [TABLE]
src() {
	printf '{"version":"3.6.1.Final","connector":"postgresql","name":"dbserver1","ts_ms":1559033904863,"ts_us":1559033904863123,"ts_ns":1559033904863123000,"snapshot":%s,"db":"postgres","sequence":"[\\"24023119\\",\\"%s\\"]","schema":"inventory","table":"%s","txId":%s,"lsn":%s,"xmin":null}' \
		"$3" "$2" "${4:-customers}" "$1" "$2"
}
# cust OP BEFORE AFTER SOURCE: a customers value
cust() {
	printf '{"schema":%s,"payload":{"before":%s,"after":%s,"source":%s,"op":"%s","ts_ms":1559033904863,"ts_us":1559033904863841,"ts_ns":1559033904863841257}}' \
		"$(echo "$CUST_SCHEMA" | tr -d '\n')" "$2" "$3" "$4" "$1"
}
row() { printf '{"id":%s,"first_name":"%s","last_name":"%s","email":"%s"}' "$@"; }
PH=__debezium_unavailable_value
# orders: Decimal(10,2), MicroTimestamp, ZonedTimestamp, Uuid; placeholder on note
ORD_FIELDS='[{"type":"int32","optional":false,"field":"id"},{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"amount"},{"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","version":1,"field":"placed_at"},{"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"paid_at"},{"type":"string","optional":true,"name":"io.debezium.data.Uuid","version":1,"field":"ref"},{"type":"string","optional":true,"field":"note"}]'
ord() { # OP BEFORE AFTER SOURCE
	printf '{"schema":{"type":"struct","fields":[{"type":"struct","fields":%s,"optional":true,"name":"dbserver1.inventory.orders.Value","field":"before"},{"type":"struct","fields":%s,"optional":true,"name":"dbserver1.inventory.orders.Value","field":"after"},{"type":"struct","fields":[],"optional":false,"name":"io.debezium.connector.postgresql.Source","field":"source"},{"type":"string","optional":false,"field":"op"}],"optional":false,"name":"dbserver1.inventory.orders.Envelope","version":2},"payload":{"before":%s,"after":%s,"source":%s,"op":"%s","ts_ms":1559033904863}}' \
		"$ORD_FIELDS" "$ORD_FIELDS" "$2" "$3" "$4" "$1"
}
okey() { printf '{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"dbserver1.inventory.orders.Key"},"payload":{"id":%s}}' "$1"; }
T=$'\t'
{
	# snapshot reads, then a truncate (no key)
	echo "$(ckey 1001)$T$(cust r null "$(row 1001 Sally Thomas sally.thomas@acme.com)" "$(src 550 24023100 true)")"
	echo "$(ckey 1002)$T$(cust r null "$(row 1002 George Bailey gbailey@foobar.com)" "$(src 550 24023100 true)")"
	echo "$T$(cust t null null "$(src 551 24023110 false)")"
	# inserts (the documentation's create), a transaction of two
	echo "$(ckey 1)$T$(cust c null "$(row 1 Anne Kretchmar annek@noanswer.org)" "$(src 555 24023128 false)")"
	echo "$(ckey 2)$T$(cust c null "$(row 2 Edward Walker ed@walker.com)" "$(src 556 24023200 false)")"
	echo "$(ckey 3)$T$(cust c null "$(row 3 Jeff Hudson jh@hudson.org)" "$(src 556 24023210 false)")"
	# update, REPLICA IDENTITY DEFAULT: before holds the key
	echo "$(ckey 1)$T$(cust u '{"id":1}' "$(row 1 'Anne Marie' Kretchmar annek@noanswer.org)" "$(src 557 24023300 false)")"
	# update whose email is an unchanged TOAST value: the placeholder
	echo "$(ckey 2)$T$(cust u null "$(row 2 Edward Walker-Smith $PH)" "$(src 558 24023400 false)")"
	# delete, DEFAULT: before the key (the other fields null)
	echo "$(ckey 3)$T$(cust d '{"id":3,"first_name":null,"last_name":null,"email":null}' null "$(src 559 24023500 false)")"
	echo "$(ckey 3)$T"
	# delete, REPLICA IDENTITY FULL: before every column
	echo "$(ckey 1)$T$(cust d "$(row 1 'Anne Marie' Kretchmar annek@noanswer.org)" null "$(src 560 24023600 false)")"
	echo "$(ckey 1)$T"
	echo "$(ckey 4)$T$(cust c null "$(row 4 'Zoë' "O'Brien" 'zo\"e@x.ie')" "$(src 561 24023700 false)")"
	# orders: exact Decimal bytes (12345.67, -0.05, then 551.28), µs timestamps, a zone
	echo "$(okey 10)$T$(ord c null '{"id":10,"amount":"EtaH","placed_at":1559033904863123,"paid_at":"2019-05-28T09:58:24.863123+02:00","ref":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","note":"first"}' "$(src 562 24023800 false orders)")"
	echo "$(okey 11)$T$(ord c null '{"id":11,"amount":"+w==","placed_at":-1000001,"paid_at":"1969-12-31T23:59:59.999999Z","ref":null,"note":"second"}' "$(src 562 24023810 false orders)")"
	echo "$(okey 10)$T$(ord u '{"id":10}' "{\"id\":10,\"amount\":\"ANdY\",\"placed_at\":1559033904863123,\"paid_at\":null,\"ref\":null,\"note\":\"$PH\"}" "$(src 563 24023900 false orders)")"
} >events.tsv
# a transaction boundary topic, as provide.transaction.metadata writes it
printf '%s\t%s\n' '{"id":"556"}' '{"status":"BEGIN","id":"556","ts_ms":1486500577125,"event_count":null,"data_collections":null}' \
	'{"id":"556"}' '{"status":"END","id":"556","ts_ms":1486500577691,"event_count":2,"data_collections":[{"data_collection":"inventory.customers","event_count":2}]}' \
	>tx.tsv
grep -v '	$' events.tsv | cut -f2 >values.ndjson
for line in $(seq 1 "$(wc -l <values.ndjson)"); do
	sed -n "${line}p" values.ndjson | jq -e . >/dev/null || fail "event $line is not JSON"
done

expect_customers="2|Edward|Walker-Smith|ed@walker.com
4|Zoë|O'Brien|zo\"e@x.ie"
expect_orders="10|551.28|2019-05-28 08:58:24.863123|||first
11|-0.05|1969-12-31 23:59:58.999999|1969-12-31 23:59:59.999999+00||second"
compare() { # SCHEMA
	local got
	got=$(tq "SELECT id, first_name, last_name, email FROM $1.customers ORDER BY id" | tr '\t' '|')
	[ "$got" = "$expect_customers" ] || { echo "$got" >&2; fail "$1.customers differs from what the events say"; }
	got=$(tq "SET TIME ZONE 'UTC'; SELECT id, amount, placed_at, paid_at, ref, note FROM $1.orders ORDER BY id" | tr '\t' '|')
	[ "$got" = "$expect_orders" ] || { echo "$got" >&2; fail "$1.orders differs from what the events say"; }
}

# ---- 1. through Kafka, with the message keys ----
while IFS= read -r line; do
	# (read with IFS=tab would drop the empty key of the truncate)
	k=${line%%"$T"*} v=${line#*"$T"}
	t=dbserver1.inventory.customers
	case $v in *inventory.orders*) t=dbserver1.inventory.orders ;; esac
	printf '%s\t%s\n' "$k" "$v" | kcat -b "$KAFKA_BROKERS" -P -t "$t" -K "$T" -Z || fail "kcat -P"
done <events.tsv
kcat -b "$KAFKA_BROKERS" -P -t dbserver1.transaction -K "$T" <tx.tsv || fail "kcat -P"
KX=(-b "$KAFKA_BROKERS" -X session.timeout.ms=5000 -X heartbeat.interval.ms=500 --no-progress)
timeout 60 "$BIN/ksub" "${KX[@]}" -G sink -e '^dbserver1\.' 2>ksub.err >records.ndjson ||
	{ rc=$?; cat ksub.err; fail "ksub exited $rc"; }
timeout 60 "$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress --batch-rows 1 \
	<records.ndjson 2>apply.err || { rc=$?; cat apply.err; fail "mssql-apply exited $rc"; }
compare inventory
# the types came from the schemas: the Decimal's precision and scale, …
[ "$(tq "SELECT data_type || ' ' || numeric_precision || ',' || numeric_scale FROM information_schema.columns
	WHERE table_name = 'orders' AND column_name = 'amount'")" = "numeric 10,2" ] || fail "amount is not decimal(10,2)"
[ "$(tq "SELECT data_type FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'ref'")" = uuid ] ||
	fail "ref is not a uniqueidentifier"
# … and the key from the message keys
[ "$(tq "SELECT string_agg(a.attname, ',') FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid
	AND a.attnum = ANY (i.indkey) WHERE i.indrelid = 'inventory.customers'::regclass AND i.indisprimary")" = id ] ||
	fail "the target's primary key is not id"

# ---- 2. on stdin, no keys: the target's primary key ----
tds_sql "CREATE SCHEMA [plain];" >/dev/null || fail "create schema"
tds_sql "CREATE TABLE [plain].[customers] ([id] int NOT NULL, [first_name] nvarchar(255) NULL, [last_name] nvarchar(255) NULL,
	[email] nvarchar(255) NULL, CONSTRAINT [PK_c] PRIMARY KEY ([id]));
	CREATE TABLE [plain].[orders] ([id] int NOT NULL PRIMARY KEY, [amount] decimal(10,2) NULL, [placed_at] datetime2(6) NULL,
	[paid_at] datetimeoffset(6) NULL, [ref] uniqueidentifier NULL, [note] nvarchar(max) NULL);" >/dev/null ||
	fail "create tables"
cut -f2 tx.tsv >>values.ndjson # transaction boundaries are skipped
timeout 60 "$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --schema-map inventory=plain --no-progress \
	--batch-rows 1 <values.ndjson 2>apply2.err || { rc=$?; cat apply2.err; fail "mssql-apply (stdin) exited $rc"; }
compare plain
# The events' position (stream debezium/dbserver1, offset last commit
# LSN:line) is checkpointed: the same input again changes nothing.
tq "UPDATE plain.customers SET email = 'changed since' WHERE id = 2"
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --schema-map inventory=plain --no-progress \
	<values.ndjson 2>apply2b.err || { rc=$?; cat apply2b.err; fail "mssql-apply (again) exited $rc"; }
[ "$(tq "SELECT email FROM plain.customers WHERE id = 2")" = "changed since" ] ||
	fail "events read again were applied again"
tq "SELECT stream FROM dbo.dbrepl_checkpoint" | grep -qx 'debezium/dbserver1' || fail "no checkpoint of stream debezium/dbserver1"
tq "DELETE FROM dbo.dbrepl_checkpoint WHERE stream = 'debezium/dbserver1'"
# without the target's key nothing identifies a row: refused by name
tds_sql "CREATE SCHEMA [nokey]; " >/dev/null
tds_sql "CREATE TABLE [nokey].[customers] ([id] int NOT NULL, [first_name] nvarchar(255) NULL,
	[last_name] nvarchar(255) NULL, [email] nvarchar(255) NULL);" >/dev/null || fail "create table"
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --schema-map inventory=nokey --no-progress \
	<values.ndjson 2>apply3.err
rc=$?
[ $rc = 65 ] || { cat apply3.err; fail "mssql-apply without a key anywhere exited $rc, not 65"; }
grep -q "no key columns" apply3.err || { cat apply3.err; fail "no message naming the missing key"; }

# ---- 3. a schemaless event: Decimal bytes without their scale ----
# Its string goes to a column whose type is not known: the decimal column
# at the target refuses it by name, and --create-tables will not guess.
jq -c '.payload' <(sed -n '/inventory.orders/p' values.ndjson | head -1) >plain.ndjson
tq "DELETE FROM plain.orders"
tq "DELETE FROM dbo.dbrepl_checkpoint WHERE stream = 'debezium/dbserver1'"
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --schema-map inventory=plain --no-progress \
	<plain.ndjson 2>apply4.err
rc=$?
[ $rc = 65 ] || { cat apply4.err; fail "a schemaless Decimal was applied (exit $rc)"; }
grep -q 'offset' apply4.err || { cat apply4.err; fail "the refused record is not named"; }
[ "$(tq "SELECT count(*) FROM plain.orders")" = 0 ] || fail "a refused record was half applied"
# through Kafka with its key, so that only the type is missing
printf '%s\t%s\n' "$(okey 10)" "$(cat plain.ndjson)" | kcat -b "$KAFKA_BROKERS" -P -t plain.orders -K "$T" || fail "kcat -P"
timeout 60 "$BIN/ksub" "${KX[@]}" -e plain.orders 2>ksub5.err >plain-records.ndjson ||
	{ rc=$?; cat ksub5.err; fail "ksub exited $rc"; }
[ "$(jq -r '.cols[] | select(.name == "amount") | .type' plain-records.ndjson)" = unknown ] ||
	fail "a schemaless Decimal column got a type"
"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --schema-map inventory=fresh --create-tables --no-progress \
	<plain-records.ndjson 2>apply5.err
rc=$?
[ $rc = 65 ] && grep -q "its type is not known" apply5.err ||
	{ cat apply5.err; fail "--create-tables guessed the type of a schemaless column (exit $rc)"; }
echo "debezium-docs: events in the documentation's layout applied (through Kafka with keys, and on stdin with the target's key)"
