#!/usr/bin/env bash
# The Debezium envelope through Kafka: the torture table's changes (every
# type, unchanged TOAST, key change, delete, truncate) go
#   pgcdc-read | kpub --envelope debezium --envelope-schema --tombstones
# into the mock cluster and come back through ksub | mssql-apply
# --create-tables (the column types from the events' schemas) into the TDS
# peer, where every row equals the source, value for value. kcat shows the
# messages in Debezium's layout: the key and value schemas and their names,
# the envelope and source fields, the logical types and values of the
# connector's default modes, a null key for the truncate, a tombstone after
# each delete, no placeholder for the unchanged TOAST value.
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/torture.sh"
needs pgcdc-read kpub ksub mssql-apply peers/tds-server kcat jq
pg_start
tds_start
# One partition: the truncate has no key, so only one partition orders it
# with the rows (see kpub(1)).
kafka_start -n 3 postgres.public.tor:1:3
cd "$TEST_TMP" || exit 1
export MSSQL_PASSWORD=unused PGTZ=UTC PGOPTIONS="-c intervalstyle=iso_8601 -c extra_float_digits=3"

torture_create
q "CREATE PUBLICATION pub FOR TABLE tor"
q "SELECT 1 FROM pg_create_logical_replication_slot('dbz', 'pgoutput')" >/dev/null
torture_changes
lsn=$(q "SELECT pg_current_wal_lsn()")

mkfifo ack
timeout 60 "$BIN/pgcdc-read" -d "$PGCONN" -S dbz -P pub -E "$lsn" --ack ack --no-progress |
	timeout 60 "$BIN/kpub" -b "$KAFKA_BROKERS" --envelope debezium --envelope-schema --tombstones --ack ack \
		--no-progress || fail "pgcdc-read | kpub --envelope debezium exited $?"
[ "$(q "SELECT confirmed_flush_lsn >= '$lsn' FROM pg_replication_slots WHERE slot_name = 'dbz'")" = t ] ||
	fail "kpub did not ack every event"

KX=(-b "$KAFKA_BROKERS" -X session.timeout.ms=5000 -X heartbeat.interval.ms=500 --no-progress)
timeout 60 "$BIN/ksub" "${KX[@]}" -G g1 -e '^postgres\.' 2>ksub.err |
	timeout 60 "$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --clamp-infinity --no-progress \
		--batch-rows 1 2>apply.err
rc=("${PIPESTATUS[@]}")
[ "${rc[0]}" = 0 ] || { cat ksub.err; fail "ksub exited ${rc[0]}"; }
[ "${rc[1]}" = 0 ] || { cat apply.err; fail "mssql-apply exited ${rc[1]}"; }

torture_compare public.tor
[ "$(q "SELECT count(*) FROM tor")" = 4 ] || fail "expected 4 rows at the source"
# The column types came from the events' schemas (DBZ_TYPE_PARAM): decimal
# with its scale, datetime2 with its precision, the domain as int.
types=$(tq "SELECT string_agg(column_name || ' ' || data_type || coalesce('(' || numeric_precision || ',' || numeric_scale || ')', ''), ', ' ORDER BY ordinal_position)
	FROM information_schema.columns WHERE table_name = 'tor' AND column_name IN ('c_num2', 'c_dom', 'c_vc', 'c_ts3')")
[ "$types" = "c_num2 numeric(12,3), c_vc character, c_ts3 timestamp without time zone, c_dom integer(32,0)" ] ||
	fail "target column types not those of the schemas: $types"
# varchar(20) as nvarchar(40) (the peer's text columns are all bpchar: its
# catalog tells the length)
vc=$(tds_sql "SELECT [DATA_TYPE], [CHARACTER_MAXIMUM_LENGTH] FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_NAME] = N'tor' AND [COLUMN_NAME] = N'c_vc'")
[ "$vc" = "nvarchar	40" ] || fail "c_vc at the target: $vc"

# ---- the layout, as kcat shows it ----
kcat -b "$KAFKA_BROKERS" -C -e -q -t postgres.public.tor -J >msgs.json || fail "kcat"
jq -c '{key: (.key | if . == null then null else fromjson end), value: (.payload | if . == null then null else fromjson end)}' \
	msgs.json >events.json || fail "a message is not JSON"
check() { # jq filter that must hold for the events file as a whole
	jq -e -s "$1" events.json >/dev/null || fail "layout: $2"
}
nrec=$(grep -c . <(jq -c 'select(.value != null)' events.json))
[ "$nrec" = 13 ] || fail "expected 13 change events (the key change as a delete and a create), got $nrec"
check '[.[] | select(.value != null) | .value | keys] | unique == [["payload", "schema"]]' \
	"values in JsonConverter form {schema, payload}"
check '[.[] | select(.value != null) | .value.payload | keys_unsorted] | unique ==
	[["before", "after", "source", "transaction", "op", "ts_ms", "ts_us", "ts_ns"]]' \
	"envelope fields and their order"
check '[.[] | select(.value != null) | .value.schema | {name, version, optional}] | unique ==
	[{name: "postgres.public.tor.Envelope", version: 2, optional: false}]' "envelope schema name and version"
check '[.[] | select(.value != null) | .value.schema.fields | map(.field)] | unique ==
	[["before", "after", "source", "transaction", "op", "ts_ms", "ts_us", "ts_ns"]]' "envelope schema fields"
check '[.[] | select(.value != null) | .value.payload.source | keys_unsorted] | unique ==
	[["version", "connector", "name", "ts_ms", "snapshot", "db", "sequence", "ts_us", "ts_ns", "schema", "table",
	  "txId", "lsn", "xmin", "origin", "origin_lsn"]]' "source fields and their order"
check '[.[] | select(.value != null) | .value.payload.source | {connector, name, db, schema, table, snapshot}] | unique ==
	[{connector: "postgresql", name: "postgres", db: "postgres", schema: "public", table: "tor", snapshot: "false"}]' \
	"source values"
check 'map(select(.value != null) | .value.payload.source.sequence | fromjson | length == 2 and all(type == "string")) | all' \
	"source.sequence as a JSON string array of two LSNs"
check 'map(select(.value != null) | .value.schema.fields[0] | .name == "postgres.public.tor.Value" and .optional) | all' \
	"before's schema: the table's Value struct"
fields='.value.schema.fields[1].fields | map({(.field): .}) | add'
check "map(select(.value != null) | $fields | .c_num2.name == \"org.apache.kafka.connect.data.Decimal\" and
	.c_num2.parameters.scale == \"3\" and .c_num2.type == \"bytes\" and
	.c_num.name == \"io.debezium.data.VariableScaleDecimal\" and
	.c_ts.name == \"io.debezium.time.MicroTimestamp\" and .c_ts3.name == \"io.debezium.time.Timestamp\" and
	.c_tstz.name == \"io.debezium.time.ZonedTimestamp\" and .c_timetz.name == \"io.debezium.time.ZonedTime\" and
	.c_date.name == \"io.debezium.time.Date\" and .c_time.name == \"io.debezium.time.MicroTime\" and
	.c_uuid.name == \"io.debezium.data.Uuid\" and .c_json.name == \"io.debezium.data.Json\" and
	.c_iv.name == \"io.debezium.time.Interval\" and .c_bytea.type == \"bytes\" and
	.c_arr.type == \"array\" and .c_arr.items.type == \"int32\" and .c_small.type == \"int16\" and
	.id.optional == false and .c_text.optional == true) | all" "the connector's logical types"
# values of row 1 as the connector writes them
check 'map(select(.value.payload.op == "c" and .value.payload.after.id == 1) | .value.payload.after |
	.c_num2 == "GoU=" and .c_num == {scale: 1, value: "LQ=="} and .c_date == 20782 and .c_time == 50325123456 and
	.c_ts3 == 1767323045678 and .c_tstz == "2026-11-25T08:28:45.123456Z" and .c_bytea == "AAH/" and
	.c_arr == [1, 2, null, 4] and .c_bool == true and .c_real == 1.5 and .c_iv == "P1Y2M3DT4H5M6.5S" and
	.c_money == "AeJA") | length == 1 and all' "values of row 1"
check 'map(select(.value.payload.after.id == 3) | .value.payload.after | .c_ts == -9223372036832400000 and
	.c_ts3 == 9223372036825200) | length == 1 and all' "±infinity timestamps"
# keys: the Key struct in JsonConverter form
check 'map(select(.key != null) | .key.schema.name == "postgres.public.tor.Key" and
	(.key.schema.fields | map(.field)) == ["id"] and (.key.payload | keys) == ["id"]) | all' "keys"
# the unchanged TOAST value is left out, not replaced by a placeholder
check 'map(select(.value.payload.op == "u" and .value.payload.after.id == 1) | .value.payload.after |
	has("c_big_text") | not) | length == 1 and all' "unchanged TOAST left out"
grep -q __debezium_unavailable_value events.json && fail "a placeholder was written"
# the truncate: op t, no key; a tombstone with the key after each delete (of
# id 5, and of id 3 by the key change)
check 'map(select(.value.payload.op == "t") | .key == null and .value.payload.before == null) | length == 1 and all' \
	"truncate event"
check '[range(length - 1) as $i | select(.[$i].value.payload.op == "d") | .[$i + 1] |
	select(.value == null)] | length == 2' "tombstones after the deletes"
check '[range(length - 1) as $i | select(.[$i].value.payload.op == "d") | [.[$i].key, .[$i + 1].key] |
	select(.[0] == .[1])] | length == 2' "tombstones keep the delete's key"
# the key change: a delete of the old key (its tombstone) and a create of
# the new one, each naming the other key in a header
jq -e -s '[.[] | select(.headers != null) | {h: (.headers as $h | [range(0; $h | length; 2) | {($h[.]): $h[. + 1]}] | add),
	key: (.key | if . == null then null else fromjson.payload end), op: (.payload | fromjson | .payload.op)}] |
	(map(select(.h["__debezium.newkey"] != null)) | length == 1 and .[0].key == {id: 3} and .[0].op == "d" and
	 (.[0].h["__debezium.newkey"] | fromjson | .payload) == {id: 30}) and
	(map(select(.h["__debezium.oldkey"] != null)) | length == 1 and .[0].key == {id: 30} and .[0].op == "c" and
	 (.[0].h["__debezium.oldkey"] | fromjson | .payload) == {id: 3})' msgs.json >/dev/null ||
	fail "layout: the key change as delete and create with __debezium.newkey/oldkey headers"
# transaction block: the xid and the order in the transaction
check 'map(select(.value != null) | .value.payload | .transaction.id == (.source.txId | tostring) and
	.transaction.total_order >= 1) | all' "transaction block"
echo "debezium-pipeline: torture table equal through kpub --envelope debezium --envelope-schema, ksub, mssql-apply; layout checked"
