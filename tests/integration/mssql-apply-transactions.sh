#!/usr/bin/env bash
# mssql-apply-transactions — pgcdc-read | mssql-apply --transactions keeps
# wwi-gen's source transactions whole at the target.
#
# wwi-gen writes an order and its lines in one transaction, picks an order
# and all its lines in another, and amends an order by deleting a line.
# Lines are never added to an order later, so a target that lags the source
# holds, for every order, at least as many lines as the source does at the
# end. A reader on the target (the database behind the TDS peer) checks in
# a loop, each time in one snapshot, that no order of the run is visible
# with fewer lines than that, nor picked while one of its lines is not.
# Batches of 3 records cut nearly every transaction, so:
#  1. control: without --transactions the reader must catch a half order
#     (so the check can see one);
#  2. with --transactions it must catch none; transactions of more than 3
#     records, and wwi-gen's bulk stock-take (thousands of rows), are
#     applied in pieces in one target transaction each; pgcdc-read's output
#     marks exactly the last change of each transaction (src.last).
# At the end of each phase every table equals the source, value for value.
set -u
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/compare.sh"
. "$(dirname "$0")/../lib/orders.sh"
. "$(dirname "$0")/../lib/pipeline.sh"
needs pgcdc-read snapshot mssql-apply wwi-gen peers/tds-server jq
pg_start
pipeline_load_wwi
tds_start
export MSSQL_PASSWORD=test
apply=("$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D "$TDS_DB" --create-tables --evolve --batch-rows 3)
# Seconds of load per phase. Under the sanitizers every stage is several
# times slower and the target lags far behind (the reader gets more chances
# at a half order, not fewer): half the load keeps the run near a minute and
# still holds wwi-gen's bulk stock-take (its 100th transaction).
secs=6
[ -n "${DBREPL_SANITIZED:-}" ] && secs=3

# The initial copy, handed over to the slot.
"$BIN/snapshot" -d "$SRC" -P dbrepl --slot dbrepl --create-slot 2>"$TEST_TMP/snapshot.log" |
	"${apply[@]}" --batch-rows 10000 2>"$TEST_TMP/apply-snapshot.log" ||
	{ tail "$TEST_TMP"/*.log >&2; fail "initial copy"; }
start=$(q "SELECT max(order_id) FROM sales.orders" wwi)
note "initial copy applied; orders above $start are the runs'"

# run NAME [mssql-apply options]: one phase of load, the stream applied
# while the reader looks; prints the number of bad looks at orders.
run() {
	local name=$1
	shift
	orders_reader "$TEST_TMP/$name.looks" "$start" &
	local rpid=$!
	"$BIN/wwi-gen" -d "$SRC" --seed "$((RANDOM + 2))" --rate 60 --duration "$secs" 2>"$TEST_TMP/gen.$name.log" &
	local gen=$!
	"$BIN/pgcdc-read" -d "$SRC" -S dbrepl -P dbrepl 2>"$TEST_TMP/read.$name.log" |
		tee "$TEST_TMP/$name.ndjson" | "${apply[@]}" "$@" --stats 2>"$TEST_TMP/apply.$name.log" &
	local pipe=$!
	wait $gen || fail "wwi-gen failed: $(tail -n 3 "$TEST_TMP/gen.$name.log")"
	local until=$((SECONDS + 45))
	while [ $SECONDS -lt $until ]; do
		compare_all "$SRC" "$TDS_PGCONN" >"$TEST_TMP/compare.$name" 2>&1 && break
		sleep 1
	done
	touch "$TEST_TMP/$name.looks.stop"
	wait $rpid
	pkill -TERM -f "^$BIN/pgcdc-read -d $SRC -S dbrepl" || true
	wait $pipe || fail "$name: mssql-apply exited $?: $(tail -n 5 "$TEST_TMP/apply.$name.log")"
	! grep -l 'Sanitizer\|runtime error' "$TEST_TMP"/*.$name.log >&2 || fail "$name: a sanitizer report"
	grep DIFF "$TEST_TMP/compare.$name" >&2 && { tail -n 20 "$TEST_TMP/apply.$name.log" >&2; fail "$name: the target differs from the source"; }
	note "$name: every table equal ($(grep -c ' ok$' "$TEST_TMP/compare.$name") tables); $(grep -c -- '^--$' "$TEST_TMP/$name.looks") looks; $(tail -n 1 "$TEST_TMP/apply.$name.log")"
	orders_bad "$name" "$TEST_TMP/$name.looks" "$start"
}

bad=$(run control)
[ "$bad" -gt 0 ] || fail "control: without --transactions the reader saw no half order (it cannot see one?)"
note "control: the reader caught $bad looks at half orders without --transactions"

bad=$(run whole --transactions)
[ "$bad" = 0 ] || fail "with --transactions the reader saw $bad looks at half orders"
grep -q 'applying it in pieces' "$TEST_TMP/apply.whole.log" || fail "no transaction was applied in pieces"
note "with --transactions: no half order in any look; $(grep -c 'applying it in pieces' "$TEST_TMP/apply.whole.log") transactions in pieces"

# src.last marks each transaction's last change, and only it.
jq -r '[.src.lsn, .src.xid, .src.seq, (.src.last // false)] | @tsv' "$TEST_TMP/whole.ndjson" |
	awk '{ k = $1 " " $2; if (!(k in max) || $3 > max[k]) max[k] = $3; if ($4 == "true") { last[k] = $3; n[k]++ } }
		END { for (k in max) if (n[k] != 1 || last[k] != max[k]) { print "transaction " k ": " n[k] + 0 " marked, at " last[k] " of " max[k]; bad++ }
		      print length(max) " transactions"; exit bad > 0 }' >"$TEST_TMP/marks" ||
	{ head "$TEST_TMP/marks" >&2; fail "src.last is not exactly on each transaction's last change"; }
note "src.last: $(tail -n 1 "$TEST_TMP/marks"), each marked once, at its last change"
echo "mssql-apply-transactions: ok"
