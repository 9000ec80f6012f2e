#!/usr/bin/env bash
# pgcdc-read | kpub, then ksub: changes of a PostgreSQL table, of many types,
# go through Kafka in msgpack and come out of ksub as the same records
# (everything but pos, which ksub sets to the Kafka position) that
# pgcdc-read writes; per-row order is kept; replaying ksub's output gives the
# source table. kpub's keys and op/lsn headers are checked with kcat.
set -u
. "$(dirname "$0")/../lib/pg.sh"
needs kpub pgcdc-read ksub kcat jq
pg_start
kafka_start -n 3 postgres.public.items:4:3 postgres.app.notes:3:3
cd "$TEST_TMP" || exit 1

q "CREATE SCHEMA app"
q "CREATE TABLE items (id integer PRIMARY KEY, name text, price numeric(12,2), at timestamptz,
	data bytea, tags text[], doc jsonb, ok boolean)"
q "CREATE TABLE app.notes (a text, b bigint, body text, PRIMARY KEY (a, b))"
q "CREATE PUBLICATION pub FOR ALL TABLES"
q "SELECT 1 FROM pg_create_logical_replication_slot('s1', 'pgoutput')" >/dev/null
q "SELECT 1 FROM pg_create_logical_replication_slot('sref', 'pgoutput')" >/dev/null

q "INSERT INTO items SELECT g, 'item ' || g || ' ☃ \"q\"', g * 1.25, '2026-01-01 00:00:00+02'::timestamptz + g * interval '1 min',
	decode(md5(g::text), 'hex'), ARRAY['a', 'b' || g], jsonb_build_object('n', g), g % 2 = 0
	FROM generate_series(1, 400) g"
q "INSERT INTO app.notes SELECT 'k' || (g % 7), g, repeat('x', g % 50) FROM generate_series(1, 300) g"
for i in 1 2 3; do
	q "UPDATE items SET price = price + $i, name = name || '+' WHERE id % 3 = $((i - 1))"
	q "UPDATE app.notes SET body = body || '$i' WHERE b % 4 = $i"
done
q "DELETE FROM items WHERE id % 10 = 0"
q "DELETE FROM app.notes WHERE b % 9 = 0"
q "UPDATE items SET price = 'NaN', data = NULL WHERE id = 7"
end=$(q "SELECT pg_current_wal_lsn()")

"$BIN/pgcdc-read" -d "$PGCONN" -S sref -P pub -E "$end" --no-progress >ref.ndjson ||
	fail "pgcdc-read (reference) exited $?"
n=$(wc -l <ref.ndjson)
mkfifo ack
"$BIN/pgcdc-read" -d "$PGCONN" -S s1 -P pub -E "$end" --format msgpack --ack ack --no-progress -s 1 |
	"$BIN/kpub" -b "$KAFKA_BROKERS" --watermark-ms 0 --ack ack || fail "pgcdc-read | kpub failed"

KX=(-b "$KAFKA_BROKERS" -X session.timeout.ms=5000 -X heartbeat.interval.ms=500 --no-progress)
"$BIN/ksub" "${KX[@]}" -G g1 -e '^postgres\.' >out.ndjson 2>ksub.err ||
	{ rc=$?; cat ksub.err; fail "ksub exited $rc"; }
[ "$(wc -l <out.ndjson)" = "$n" ] || fail "ksub wrote $(wc -l <out.ndjson) records, pgcdc-read $n"

# The same records, value for value.
jq -c -S 'del(.pos)' ref.ndjson | sort >a.txt
jq -c -S 'del(.pos)' out.ndjson | sort >b.txt
diff a.txt b.txt >diff.txt || { head -n 4 diff.txt; fail "records differ after Kafka"; }
# Per-row order: each key's changes in source order.
keyseq() {
	jq -r '"\(.schema).\(.table)\t\((.after // .before) as $i | [.key[] | $i[.]] | tojson)\t\(.src.lsn):\(.src.seq)"' "$1" |
		sort -s -t"$(printf '\t')" -k1,2
}
keyseq ref.ndjson >order.want
keyseq out.ndjson >order.got
cmp -s order.want order.got || fail "per-row order not kept"

# The slot was confirmed up to the end: kpub acked everything.
[ "$(q "SELECT confirmed_flush_lsn >= '$end' FROM pg_replication_slots WHERE slot_name = 's1'")" = t ] ||
	fail "slot s1 not confirmed to the end: kpub did not ack everything"

# Headers op and lsn of every message, as the record says.
kcat -b "$KAFKA_BROKERS" -C -e -q -t postgres.app.notes -f '%h\n' | sort >h.got
jq -r 'select(.table == "notes") | "op=\(.op),lsn=\(.src.lsn)"' ref.ndjson | sort >h.want
cmp -s h.want h.got || fail "headers differ"

# Replaying ksub's output gives the source tables.
replay() { # table -> "key<TAB>row" of the rows that remain
	jq -r --arg t "$1" 'select(.table == $t) |
		"\((.after // .before) as $i | [.key[] | $i[.]] | tojson)\t\(.op)\t\(.after | tojson)"' out.ndjson |
		awk -F'\t' '{ if ($2 == "d") delete row[$1]; else row[$1] = $3 } END { for (k in row) print row[k] }' |
		jq -c -S . | sort
}
replay items >items.replay
q "SELECT row_to_json(i) FROM (SELECT id, name, price::text AS price,
	to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at,
	CASE WHEN data IS NULL THEN NULL ELSE '\\x' || encode(data, 'hex') END AS data,
	tags::text AS tags, doc::text AS doc, ok FROM items) i" | jq -c -S . | sort >items.src
diff items.src items.replay >items.diff || { head -n 4 items.diff; fail "items: replay differs from the source"; }
replay notes >notes.replay
q "SELECT row_to_json(n) FROM (SELECT a, b, body FROM app.notes) n" | jq -c -S . | sort >notes.src
diff notes.src notes.replay >notes.diff || { head -n 4 notes.diff; fail "notes: replay differs from the source"; }
echo "kpub-pipeline: $n changes through Kafka, records and order intact"
