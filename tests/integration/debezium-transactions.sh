#!/usr/bin/env bash
# debezium-transactions — source transactions applied whole when the
# records cross Kafka as Debezium's change events (kpub --envelope
# debezium), which carry no src.last and no dbrepl position.
#
# The source: heads s.h (n: how many lines it has) and their lines s.l; 40
# transactions each insert a head and 3 to 6 lines, 10 more change a line's
# key (Debezium: a delete and a create) and touch its head. The same
# changes are published twice:
#  A. to one topic of one partition (events with their schemas, which
#     C needs) without --watermark-ms: no watermark
#     message (they are off by default with --envelope debezium); the
#     message of each transaction's last change, and only it, has the
#     header dbrepl-last (the create, for a key change);
#  B. to a topic per table of 6 partitions, with their schemas (so that
#     mssql-apply can create the tables) and --watermark-ms: watermarks
#     of the stream debezium/NAME in every partition.
# Topics B go through ksub | mssql-apply --transactions --batch-rows 3
# (most transactions applied in pieces), while a reader on the target
# checks in a loop, in one snapshot each time, that every visible head has
# all its lines:
#  1. control: ksub without --ordered; mssql-apply sees transactions out of
#     source commit order (so the order can be seen);
#  2. ksub --ordered: in source order (no such report), no head ever seen
#     without all its lines, and every table equal to the source, value
#     for value: the last transaction too, which only dbrepl-last, read
#     back by ksub into src.last, shows whole at the end of the input.
# C. The events of topic A as a file (no message keys, no headers) into
#    mssql-apply --transactions --batch-rows 3: the key columns come from
#    the target's primary keys, also for records read again from the
#    transactions applied in pieces; a last transaction (of a third table)
#    whose end never shows is left out; the rest equals the source. The
#    same file applied again changes nothing (rows changed at the target
#    meanwhile stay changed): the offsets of records read again are those
#    they had.
set -u
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/compare.sh"
needs pgcdc-read kpub ksub mssql-apply peers/kafka-cluster peers/tds-server kcat jq
pg_start
kafka_start -n 3 one.postgres:1 w.s.h:6 w.s.l:6
tds_start
export MSSQL_PASSWORD=test
cd "$TEST_TMP" || exit 1
# the stages' logs outlive the test
keep=${TEST_LOGS:-$(dirname "$0")/../../build/test-logs}/debezium-transactions.run
case $keep in /*) ;; *) keep=$OLDPWD/$keep ;; esac
on_exit "rm -rf '$keep'; mkdir -p '$keep'; cp '$TEST_TMP'/*.log '$keep/'"

q "CREATE SCHEMA s;
   CREATE TABLE s.h (id int PRIMARY KEY, n int NOT NULL, note text);
   CREATE TABLE s.l (h int NOT NULL, k int NOT NULL, v text NOT NULL, PRIMARY KEY (h, k));
   CREATE TABLE s.x (id int PRIMARY KEY);
   CREATE PUBLICATION p FOR TABLE s.h, s.l, s.x"
# a slot for each publication of the changes
q "SELECT pg_create_logical_replication_slot('a', 'pgoutput'), pg_create_logical_replication_slot('b', 'pgoutput')" >/dev/null
for i in $(seq 1 40); do
	n=$((3 + i % 4))
	echo "BEGIN; INSERT INTO s.h VALUES ($i, $n, NULL);
	      INSERT INTO s.l SELECT $i, g, md5('$i/' || g) FROM generate_series(1, $n) g; COMMIT;"
done | psql -X -q -v ON_ERROR_STOP=1 -d "$PGCONN" || fail "load"
for i in $(seq 1 10); do
	echo "BEGIN; UPDATE s.l SET k = k + 100 WHERE h = $((i * 4)) AND k = 1;
	      UPDATE s.h SET note = 'moved' WHERE id = $((i * 4)); COMMIT;"
done | psql -X -q -v ON_ERROR_STOP=1 -d "$PGCONN" || fail "key changes"
end1=$(q "SELECT pg_current_wal_lsn()")
q "INSERT INTO s.x VALUES (1)"
end2=$(q "SELECT pg_current_wal_lsn()")
ntx=50

# ---- A: one partition, default watermarks (none) ----
"$BIN/pgcdc-read" -d "$PGCONN" -S a -P p -E "$end1" --no-progress 2>read-a.log |
	"$BIN/kpub" -b "$KAFKA_BROKERS" --envelope debezium --envelope-schema -t 'one.{db}' --no-progress 2>kpub-a.log ||
	{ cat read-a.log kpub-a.log >&2; fail "pgcdc-read | kpub --envelope debezium exited $?"; }
kcat -b "$KAFKA_BROKERS" -C -e -q -t one.postgres -J >a.json || fail "kcat"
jq -e -s 'map(select(.key == "dbrepl-watermark")) | length == 0' a.json >/dev/null ||
	fail "A: watermarks with --envelope debezium though --watermark-ms was not given"
# per transaction: its messages in order, and which have dbrepl-last
jq -r -s '.[] | select(.payload != null) | (.payload | fromjson | .payload.source.txId | tostring) + " " +
	(if .headers == null then "-" else (.headers as $h | [range(0; $h | length; 2) | $h[.]] |
		if index("dbrepl-last") == null then "-" else "last" end) end) + " " + (.payload | fromjson | .payload.op)' a.json |
	awk '{ n[$1]++; last[$1] = $2; op[$1] = $3; if ($2 == "last") { m[$1]++ } }
	     END { for (t in n) if (m[t] != 1 || last[t] != "last") { print "transaction " t ": " m[t] + 0 " marked, its last message " last[t]; bad++ }
		   print length(n); exit bad > 0 }' >marks || { head marks >&2; fail "A: dbrepl-last not exactly on each transaction's last message"; }
[ "$(tail -n 1 marks)" = $ntx ] || fail "A: $(tail -n 1 marks) transactions in the topic, want $ntx"
note "A: no watermarks; dbrepl-last on the last message of each of the $ntx transactions"

# ---- B: six partitions a table, watermarks ----
"$BIN/pgcdc-read" -d "$PGCONN" -S b -P p -E "$end2" --no-progress 2>read-b.log |
	"$BIN/kpub" -b "$KAFKA_BROKERS" --envelope debezium --envelope-schema --prefix w --watermark-ms 20 --no-progress 2>kpub-b.log ||
	{ cat read-b.log kpub-b.log >&2; fail "pgcdc-read | kpub --envelope debezium --watermark-ms exited $?"; }
kcat -b "$KAFKA_BROKERS" -C -e -q -t w.s.l -f '%p %k %s\n' >b.txt || fail "kcat"
for p in 0 1 2 3 4 5; do
	grep -q "^$p dbrepl-watermark {\"watermark\":{\"stream\":\"debezium/w\",\"offset\":\"" b.txt ||
		fail "B: no watermark of stream debezium/w in w.s.l [$p]"
done

# the reader: "head lines-visible" per visible head, one statement a look
reader() {
	while [ ! -e "$1.stop" ]; do
		echo "SELECT h.id, h.n, count(l.k) FROM s.h h LEFT JOIN s.l l ON l.h = h.id GROUP BY h.id, h.n;"
		echo '\echo --'
		sleep 0.02
	done | psql -X -q -At -F' ' -d "$TDS_PGCONN" >"$1" 2>/dev/null
}
reset_target() {
	tq "DROP TABLE IF EXISTS s.h, s.l, s.x; DROP SCHEMA IF EXISTS s; DELETE FROM dbo.dbrepl_checkpoint" \
		>/dev/null 2>&1 || true
}
# phase NAME [ksub options]: prints how many looks saw a head without all its lines
phase() {
	local name=$1
	shift
	reset_target
	touch "$name.looks"
	reader "$name.looks" &
	local rpid=$!
	"$BIN/ksub" -b "$KAFKA_BROKERS" -X session.timeout.ms=5000 -X heartbeat.interval.ms=500 -G "$name" -o beginning \
		-e "$@" --no-progress '^w\.' 2>"ksub.$name.log" |
		"$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D "$TDS_DB" --create-tables --transactions \
			--batch-rows 3 --stats 2>"apply.$name.log"
	local rc=("${PIPESTATUS[@]}")
	touch "$name.looks.stop"
	wait $rpid
	[ "${rc[0]}" = 0 ] || { tail -n 5 "ksub.$name.log" >&2; fail "$name: ksub exited ${rc[0]}"; }
	[ "${rc[1]}" = 0 ] || { tail -n 5 "apply.$name.log" >&2; fail "$name: mssql-apply exited ${rc[1]}"; }
	! grep -l 'Sanitizer\|runtime error' ./*."$name".log >&2 || fail "$name: a sanitizer report"
	note "$name: $(grep -c -- '^--$' "$name.looks") looks; $(tail -n 1 "apply.$name.log")"
	awk -v name="$name" '$0 != "--" && $2 != $3 { if (bad++ < 3) print name ": head " $1 " visible with " $3 " of its " $2 " lines" > "/dev/stderr" }
		END { print bad + 0 }' "$name.looks"
}

phase control >/dev/null
grep -q 'out of source commit order' apply.control.log ||
	fail "control: without --ordered mssql-apply saw the transactions in source order (the test cannot tell?)"
note "control: out of source commit order without --ordered"

bad=$(phase ordered --ordered)
[ "$bad" = 0 ] || fail "ordered: $bad looks saw a head without all its lines"
grep 'out of source commit order' apply.ordered.log >&2 && fail "ordered: records out of source commit order"
grep -q 'applying it in pieces' apply.ordered.log || fail "ordered: no transaction was applied in pieces"
for t in h l x; do
	compare_table "$PGCONN" "$TDS_PGCONN" s $t >&2 || fail "ordered: s.$t differs from the source"
done
note "ordered: source order, no head without all its lines, every table equal (the last transaction too)"

# ---- C: the events as a file: no keys, no dbrepl-last ----
kcat -b "$KAFKA_BROKERS" -C -e -q -t one.postgres -f '%s\n' | grep -v '^$' >events.json || fail "kcat"
[ "$(wc -l <events.json)" -gt 200 ] || fail "C: only $(wc -l <events.json) events"
# the third table's transaction, whose end never shows: from topic w
kcat -b "$KAFKA_BROKERS" -C -e -q -t w.s.x -f '%s\n' | grep -v '^$' | grep -v '^{"watermark"' >>events.json
tq "TRUNCATE s.h, s.l, s.x; DELETE FROM dbo.dbrepl_checkpoint" >/dev/null || fail "emptying the target"
apply=("$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D "$TDS_DB" --transactions --batch-rows 3 --stats)
"${apply[@]}" <events.json 2>apply.file.log || { rc=$?; tail -n 5 apply.file.log >&2; fail "C: mssql-apply exited $rc"; }
grep -q 'applying it in pieces' apply.file.log || fail "C: no transaction was applied in pieces"
grep -q 'input ended inside a transaction' apply.file.log || fail "C: the unfinished transaction was not left out"
for t in h l; do
	compare_table "$PGCONN" "$TDS_PGCONN" s $t >&2 || fail "C: s.$t differs from the source"
done
[ "$(tq "SELECT count(*) FROM s.x")" = 0 ] || fail "C: the unfinished transaction was applied"
tq "UPDATE s.h SET note = 'target'; UPDATE s.l SET v = 'target'" >/dev/null || fail "changing the target"
"${apply[@]}" <events.json 2>apply.again.log || { rc=$?; tail -n 5 apply.again.log >&2; fail "C: mssql-apply (again) exited $rc"; }
[ "$(tq "SELECT count(*) FROM s.h WHERE note IS DISTINCT FROM 'target'") $(tq "SELECT count(*) FROM s.l WHERE v <> 'target'")" = "0 0" ] ||
	fail "C: the same file applied again changed rows ($(tail -n 1 apply.again.log))"
! grep -l 'Sanitizer\|runtime error' apply.file.log apply.again.log >&2 || fail "C: a sanitizer report"
note "C: keys from the target, the unfinished transaction left out, nothing applied twice"
echo "debezium-transactions: ok"
