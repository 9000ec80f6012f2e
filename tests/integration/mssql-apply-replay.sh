#!/usr/bin/env bash
# Exactly once at the target. A snapshot of 10000 rows plus a pgcdc-read
# stream of updates, deletes and inserts goes through mssql-apply into the
# TDS peer: the target must equal the source value for value. Applying the
# same input again must change nothing (no row rewritten: every row keeps its
# xmin) and must ack what the checkpoint holds. Then, from an empty target,
# mssql-apply is killed with SIGKILL in the middle of the run and started
# again: the target must equal the source, and the rows committed before the
# kill must not have been written again.
set -u
source "$(dirname "$0")/../lib/pg.sh"
source "$(dirname "$0")/../lib/compare.sh"
needs snapshot pgcdc-read peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused PGTZ=UTC

q "CREATE SCHEMA src"
q "CREATE TABLE src.items (id integer PRIMARY KEY, name text, qty integer, price numeric(10,2),
	tags text[], seen timestamptz)"
q "INSERT INTO src.items SELECT g, 'item ' || g, g % 97, (g % 1000) / 7.0, ARRAY['t' || g % 5],
	'2026-01-01 00:00:00+00'::timestamptz + g * interval '1 minute' FROM generate_series(1, 10000) g"
q "CREATE PUBLICATION p1 FOR TABLE src.items"
q "SELECT 1 FROM pg_create_logical_replication_slot('s1', 'pgoutput')" >/dev/null
"$BIN/snapshot" -d "$PGCONN" -t src.items --no-progress >"$TEST_TMP/in.json" || fail "snapshot"
q "UPDATE src.items SET qty = qty + 1000, name = name || ' (changed)' WHERE id BETWEEN 9001 AND 9500"
q "DELETE FROM src.items WHERE id BETWEEN 9501 AND 9600"
q "INSERT INTO src.items SELECT g, 'new ' || g, 1, 1.5, '{}', NULL FROM generate_series(10001, 10500) g"
q "UPDATE src.items SET id = id + 100000 WHERE id BETWEEN 9601 AND 9610"
lsn=$(q "SELECT pg_current_wal_lsn()")
timeout 30 "$BIN/pgcdc-read" -d "$PGCONN" -S s1 -P p1 -E "$lsn" --no-progress >>"$TEST_TMP/in.json" ||
	fail "pgcdc-read"
n=$(wc -l <"$TEST_TMP/in.json")
note "$n records"

apply() {
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress \
		--batch-rows 2000 "$@" <"$TEST_TMP/in.json"
}
xmins() { tq "SELECT id, xmin FROM src.items ORDER BY id"; }

apply || fail "first run exited $?"
compare_table "$PGCONN" "$TDS_PGCONN" src items || fail "target differs from source after the first run"
xmins >"$TEST_TMP/xmin1"
mkfifo "$TEST_TMP/ack"
cat "$TEST_TMP/ack" >"$TEST_TMP/acks" &
catpid=$!
on_exit "kill $catpid"
apply --ack "$TEST_TMP/ack" || fail "second run exited $?"
# Nothing new was applied, but upstream hears where the target stands.
sleep 0.2
tq "SELECT stream COLLATE \"C\" || ' ' || \"offset\" COLLATE \"C\" FROM dbo.dbrepl_checkpoint ORDER BY 1" >"$TEST_TMP/ckpt"
sort "$TEST_TMP/acks" | cmp -s - "$TEST_TMP/ckpt" ||
	fail "replay acked '$(tr '\n' ' ' <"$TEST_TMP/acks")', checkpoint is '$(tr '\n' ' ' <"$TEST_TMP/ckpt")'"
compare_table "$PGCONN" "$TDS_PGCONN" src items || fail "target differs after the replay"
xmins >"$TEST_TMP/xmin2"
cmp -s "$TEST_TMP/xmin1" "$TEST_TMP/xmin2" || fail "the replay rewrote rows ($(diff "$TEST_TMP/xmin1" "$TEST_TMP/xmin2" | grep -c '^>') changed)"

# kill -9 in the middle (a slow peer makes the middle long), then run again
tq "DROP TABLE src.items; DELETE FROM dbo.dbrepl_checkpoint"
tds_stop
tds_start --fault delay-ms=40
# exec: $! must be mssql-apply itself, not a subshell around it
(exec "$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress \
	--batch-rows 200 <"$TEST_TMP/in.json") &
pid=$!
for ((i = 0; i < 300; i++)); do
	c=$(tq "SELECT count(*) FROM dbo.dbrepl_checkpoint" 2>/dev/null || echo 0)
	[ "${c:-0}" -ge 1 ] && [ "$(tq "SELECT count(*) FROM src.items" 2>/dev/null || echo 0)" -ge 1500 ] && break
	sleep 0.05
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
before=$(tq "SELECT count(*) FROM src.items")
note "killed with $before rows committed"
[ "$before" -gt 0 ] && [ "$before" -lt 10000 ] || fail "kill did not land mid-run ($before rows)"
tq "SELECT id, xmin FROM src.items WHERE id <= 9000 ORDER BY id" >"$TEST_TMP/xmin3"
tds_stop
tds_start
apply || fail "rerun after kill exited $?"
compare_table "$PGCONN" "$TDS_PGCONN" src items || fail "target differs from source after kill and rerun"
tq "SELECT id, xmin FROM src.items WHERE id <= 9000 AND id <= (SELECT max(id) FROM src.items) ORDER BY id" |
	head -n "$(wc -l <"$TEST_TMP/xmin3")" >"$TEST_TMP/xmin4"
cmp -s "$TEST_TMP/xmin3" "$TEST_TMP/xmin4" || fail "rows committed before the kill were written again"
echo "mssql-apply-replay: replay changes nothing; kill -9 and rerun converge exactly once"
