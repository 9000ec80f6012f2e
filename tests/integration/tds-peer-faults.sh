#!/bin/bash
# tds-peer-faults.sh — the TDS test peer's faults: deadlock-at and
# drop-after count commit batches over all connections and fire once
# (1205 and rollback; commit then a lost connection), delay-ms delays every
# answer, and an ATTENTION (db-lib dbcancel) during the delay is
# acknowledged at once with the connection still usable.
set -u
. "$(dirname "$0")/../lib/pg.sh"

needs tsql
[ -x "$BIN/peers/tds-server" ] || fail "$BIN/peers/tds-server not built"
[ -x "$BIN/peers/bcp-probe" ] || fail "$BIN/peers/bcp-probe not built"

pg_start

# --- faults: counted over commit batches of all connections, once each ---
tds_start --fault deadlock-at=2 --fault drop-after=3
tds_sql "CREATE SCHEMA [app]" >/dev/null || fail "CREATE SCHEMA"
tds_sql "CREATE TABLE [app].[item] ([id] int NOT NULL, [name] nvarchar(50) NULL, CONSTRAINT [PK_item] PRIMARY KEY ([id]))" >/dev/null ||
	fail "CREATE TABLE"
commit_row() {
	tds_sql "SET XACT_ABORT ON
BEGIN TRANSACTION
INSERT INTO [app].[item] ([id], [name]) VALUES ($1, N'r$1')
COMMIT TRANSACTION"
}
commit_row 100 >/dev/null 2>&1 || fail "commit batch 1 failed"
err=$(commit_row 101 2>&1 >/dev/null) && fail "commit batch 2: no deadlock"
grep -q '^Msg 1205 ' <<<"$err" || fail "commit batch 2: want 1205, got: $err"
commit_row 102 >/dev/null 2>&1 && fail "commit batch 3: the connection was not dropped"
commit_row 103 >/dev/null 2>&1 || fail "commit batch 4 failed"
got=$(tq "SELECT string_agg(id::text, ',' ORDER BY id) FROM app.item WHERE id >= 100")
[ "$got" = "100,102,103" ] || fail "after faults PostgreSQL has rows $got, want 100,102,103"

tds_stop
tds_start --fault delay-ms=400
start=$(date +%s%N)
[ "$(tds_sql "SELECT 7")" = 7 ] || fail "SELECT with delay"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -ge 400 ] || fail "delay-ms=400 answered in ${ms} ms"
# ATTENTION: db-lib's dbcancel() during the delay is acknowledged at once
out=$("$BIN/peers/bcp-probe" --server "$TDS_HOST:$TDS_PORT" --database "$TDS_DB" --cancel) ||
	fail "cancel: $out"
[[ "$out" =~ ^cancelled\ in\ ([0-9]+)\ ms,\ then\ 42$ ]] || fail "cancel: $out"
[ "${BASH_REMATCH[1]}" -lt 400 ] || fail "ATTENTION acknowledged only after ${BASH_REMATCH[1]} ms"

tds_stop
echo "ok"
