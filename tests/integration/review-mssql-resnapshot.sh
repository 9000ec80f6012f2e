#!/usr/bin/env bash
# mssql-apply, re-snapshotting one table while streaming goes on (a plain
# snapshot merged into the target): the snapshot's first batch finds the target
# empty and INSERTs; a streaming mssql-apply then writes a key the snapshot
# has not reached yet. The snapshot's next batch must not fail on that key
# (duplicate key 2627) but merge it, and go on: exit 0, every row there.
set -u
source "$(dirname "$0")/../lib/pg.sh"
needs mssql-apply peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused

rec() { # op stream offset id name
	printf '{"v": 1, "op": "%s", "db": "shop", "schema": "public", "table": "rs", "cols": [{"name": "id", "type": "integer"}, {"name": "name", "type": "text"}], "key": ["id"], "after": {"id": %s, "name": "%s"}, "src": {"lsn": "0/16B37D0", "xid": 756, "ts": "2026-11-25T10:00:00.000000Z", "seq": 1}, "pos": {"stream": "%s", "offset": "%s"}}\n' \
		"$1" "$4" "$5" "$2" "$3"
}
apply() {
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress "$@"
}
tq "CREATE TABLE public.rs (id integer PRIMARY KEY, name text)"

mkfifo "$TEST_TMP/snap"
apply --batch-rows 2 --batch-ms 60000 <"$TEST_TMP/snap" 2>"$TEST_TMP/snap.err" &
snap_pid=$!
on_exit "kill $snap_pid 2>/dev/null"
exec 3>"$TEST_TMP/snap"
{ rec r snap/shop/1 1 1 s1; rec r snap/shop/1 2 2 s2; } >&3
for ((i = 0; i < 100; i++)); do
	[ "$(tq "SELECT count(*) FROM public.rs")" = 2 ] && break
	sleep 0.1
done
[ "$(tq "SELECT count(*) FROM public.rs")" = 2 ] || fail "the snapshot's first batch did not commit"

# Streaming writes key 3 meanwhile.
rec c pg/shop/slot 0/16B3800:1 3 streamed | apply || fail "streaming mssql-apply exited $?"

{ rec r snap/shop/1 3 3 s3; rec r snap/shop/1 4 4 s4; } >&3
exec 3>&-
wait $snap_pid
rc=$?
[ $rc = 0 ] || { cat "$TEST_TMP/snap.err" >&2; fail "snapshot mssql-apply exited $rc"; }
got=$(tq "SELECT id, name FROM public.rs ORDER BY id" | tr '\n' ' ')
[ "$got" = "1|s1 2|s2 3|s3 4|s4 " ] || fail "target holds: $got"
echo "review-mssql-resnapshot: a snapshot merges a key streaming wrote after its first INSERT batch"
