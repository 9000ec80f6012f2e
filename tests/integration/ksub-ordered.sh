#!/usr/bin/env bash
# ksub-ordered — through Kafka (every topic of 6 partitions, so the records
# of one transaction are spread over several), ksub --ordered merges its
# partitions into source order and mssql-apply --transactions keeps
# wwi-gen's transactions whole at the target.
#
# The source half (pgcdc-read | kpub, acks flowing back) runs throughout;
# the sink half (ksub -G | mssql-apply --transactions --batch-rows 10, acks
# flowing back) runs twice under wwi-gen load, with the reader of
# tests/lib/orders.sh on the target (no order of the run visible with
# fewer lines than the source holds at the end, nor picked while a line of
# it is not):
#  1. control: ksub without --ordered writes each partition in its own
#     order, transactions come apart, and the reader must catch a half
#     order (watermark messages are skipped there too: mssql-apply would
#     stop on one); a transaction may also look unfinished for ever there,
#     so a one-row transaction now and then ends the phase;
#  2. ksub --ordered: the reader must catch none.
# After each phase every table equals the source, value for value. kpub's
# watermarks reach the partitions of tables the load never changes; ksub
# --metrics tells the commit time of the newest record it let go.
set -u
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/compare.sh"
. "$(dirname "$0")/../lib/orders.sh"
. "$(dirname "$0")/../lib/pipeline.sh"
. "$(dirname "$0")/../lib/metrics.sh"
needs pgcdc-read snapshot kpub ksub mssql-apply wwi-gen peers/kafka-cluster peers/tds-server kcat
pg_start
pipeline_load_wwi
# every topic of the pipeline: 6 partitions
topics=$(q "SELECT 'wwi.' || table_schema || '.' || table_name || ':6' FROM information_schema.tables
	    WHERE table_schema IN ('application', 'purchasing', 'sales', 'warehouse')" wwi)
# shellcheck disable=SC2086
kafka_start -n 3 $topics
tds_start
export MSSQL_PASSWORD=test
RUN=$TEST_TMP/run
mkdir -p "$RUN"
# the stages' logs outlive the test
keep=${TEST_LOGS:-$(dirname "$0")/../../build/test-logs}/ksub-ordered.run
on_exit "rm -rf '$keep'; mkdir -p '$keep'; cp '$RUN'/*.log '$keep/'"
kx=(-b "$KAFKA_BROKERS" -X topic.metadata.refresh.interval.ms=500)
# Seconds of load per phase; under the sanitizers (several times slower)
# 3, which still holds wwi-gen's bulk stock-take (its 100th transaction).
secs=4
[ -n "${DBREPL_SANITIZED:-}" ] && secs=3

# The initial copy, straight to the target, handed over to the slot.
"$BIN/snapshot" -d "$SRC" -P dbrepl --slot dbrepl --create-slot 2>"$RUN/snapshot.log" |
	"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D "$TDS_DB" --create-tables 2>"$RUN/apply-snapshot.log" ||
	{ tail "$RUN"/*.log >&2; fail "initial copy"; }
"$BIN/pgcdc-read" -d "$SRC" -S dbrepl -P dbrepl --ack "$RUN/pg.ack" 2>"$RUN/read.log" |
	"$BIN/kpub" "${kx[@]}" --ack "$RUN/pg.ack" 2>"$RUN/kpub.log" &
on_exit "pkill -TERM -f '^$BIN/pgcdc-read -d $SRC'"
start=$(q "SELECT max(order_id) FROM sales.orders" wwi)
t0=$(date +%s)
note "initial copy applied; orders above $start are the runs'"

# run NAME [ksub options]: one phase; prints the number of bad looks.
run() {
	local name=$1
	shift
	"$BIN/ksub" "${kx[@]}" -X session.timeout.ms=5000 -X heartbeat.interval.ms=500 -G dbrepl -o beginning \
		"$@" --ack "$RUN/kafka.ack" --metrics "$RUN/ksub.$name.prom" --progress '^wwi\.' 2>"$RUN/ksub.$name.log" |
		"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D "$TDS_DB" --create-tables --evolve --batch-rows 10 \
			--transactions --ack "$RUN/kafka.ack" --stats 2>"$RUN/apply.$name.log" &
	local sink=$!
	orders_reader "$RUN/$name.looks" "$start" &
	local rpid=$!
	"$BIN/wwi-gen" -d "$SRC" --seed "$((RANDOM + 2))" --rate 40 --duration "$secs" 2>"$RUN/gen.$name.log" ||
		fail "wwi-gen failed: $(tail -n 3 "$RUN/gen.$name.log")"
	note "$name: load done"
	local until=$((SECONDS + 45))
	while [ $SECONDS -lt $until ]; do
		compare_all "$SRC" "$TDS_PGCONN" >"$RUN/compare.$name" 2>&1 && break
		# Out of order, a transaction may look open for ever to
		# mssql-apply --transactions: a transaction after it ends it.
		[ "$name" = control ] && q "UPDATE warehouse.colors SET valid_from = valid_from + interval '1 microsecond'
					    WHERE color_id = 1" wwi >/dev/null
		sleep 1
	done
	note "$name: the target caught up, or the wait ended"
	touch "$RUN/$name.looks.stop"
	wait $rpid
	pkill -TERM -f "^$BIN/ksub .* -G dbrepl" || true
	wait $sink || fail "$name: mssql-apply exited $?: $(tail -n 5 "$RUN/apply.$name.log")"
	! grep -l 'Sanitizer\|runtime error' "$RUN"/*.log >&2 || fail "$name: a sanitizer report"
	if grep DIFF "$RUN/compare.$name" >&2; then
		tail -n 5 "$RUN/ksub.$name.log" "$RUN/apply.$name.log" >&2
		fail "$name: the target differs from the source"
	fi
	note "$name: every table equal; $(grep -c -- '^--$' "$RUN/$name.looks") looks; $(grep "records (" "$RUN/ksub.$name.log" | tail -n 1)"
	orders_bad "$name" "$RUN/$name.looks" "$start"
}

bad=$(run control)
[ "$bad" -gt 0 ] || fail "control: without --ordered the reader saw no half order (it cannot see one?)"
note "control: the reader caught $bad looks at half orders without --ordered"
bad=$(run ordered --ordered -v)
[ "$bad" = 0 ] || fail "with --ordered the reader saw $bad looks at half orders"
# the looks above covered partitions read from queues of their own (what
# --ordered does once a partition's first message came), not only the
# consumer queue
split=$(grep -c 'from a queue of its own' "$RUN/ksub.ordered.log")
[ "$split" -gt 0 ] || fail "ksub --ordered read no partition from a queue of its own"
grep -q 'out of source commit order' "$RUN/apply.ordered.log" &&
	fail "mssql-apply saw records out of source commit order behind ksub --ordered"
note "ordered: no half order in any look ($split partitions read from queues of their own)"
# --metrics: the commit time of the newest record written, also of records
# let go from the queues for order (the load ran after t0)
newest=$(mval "$RUN/ksub.ordered.prom" dbrepl_last_commit_timestamp_seconds)
[ -n "$newest" ] && [ "$(echo "$newest >= $t0" | bc)" = 1 ] ||
	fail "ksub --ordered --metrics: newest commit time '$newest', want one after $t0"

# A table the load never changes: every partition holds kpub's watermarks.
kcat -b "$KAFKA_BROKERS" -C -e -q -t wwi.application.countries -f '%p %k\n' >"$RUN/countries" 2>/dev/null
for p in 0 1 2 3 4 5; do
	grep -q "^$p dbrepl-watermark\$" "$RUN/countries" || fail "no watermark in wwi.application.countries [$p]"
done
note "watermarks in every partition of a quiet topic: $(grep -c dbrepl-watermark "$RUN/countries")"
echo "ksub-ordered: ok"
