#!/usr/bin/env bash
# pgcdc-read --ack F | kpub --ack F, and kpub is killed with SIGKILL in the
# middle of a stream of changes; the pair is restarted. Every change must be
# in Kafka; a change is there twice only if the slot had not confirmed it
# (kpub had not acked its whole transaction); each row's changes keep their
# order; and replaying the topic in partition order gives the source table.
set -u
. "$(dirname "$0")/../lib/pg.sh"
needs kpub pgcdc-read kcat jq
pg_start
T=postgres.public.k
kafka_start -n 3 $T:4:3
cd "$TEST_TMP" || exit 1

q "CREATE TABLE k (id integer PRIMARY KEY, v text)"
q "CREATE PUBLICATION pk FOR TABLE k"
q "SELECT 1 FROM pg_create_logical_replication_slot('ks', 'pgoutput')" >/dev/null
q "SELECT 1 FROM pg_create_logical_replication_slot('kref', 'pgoutput')" >/dev/null
start=$(q "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'ks'")

# 60 transactions of 300 inserts; every 5th also updates and deletes rows of
# the one before. Spread over a few seconds so the kill lands in the middle.
{
	for i in $(seq 1 60); do
		a=$(((i - 1) * 300 + 1)) b=$((i * 300))
		echo "BEGIN;"
		echo "INSERT INTO k SELECT g, md5(g::text) FROM generate_series($a, $b) g;"
		if [ $((i % 5)) = 0 ]; then
			echo "UPDATE k SET v = v || '-u' WHERE id BETWEEN $((a - 300)) AND $((a - 201));"
			echo "DELETE FROM k WHERE id BETWEEN $((a - 200)) AND $((a - 171));"
		fi
		echo "COMMIT;"
		echo "SELECT pg_sleep(0.1);"
	done
} >load.sql
psql -X -q -v ON_ERROR_STOP=1 -f load.sql >/dev/null &
load=$!
on_exit "kill $load"

mkfifo ack data1
# A slow network keeps records in flight, so that the kill loses some.
kafka_cmd "rtt -1 200" >/dev/null || fail "rtt"
"$BIN/pgcdc-read" -d "$PGCONN" -S ks -P pk --ack ack -s 1 --no-progress >data1 2>pg1.err &
reader=$!
on_exit "kill -9 $reader"
"$BIN/kpub" -b "$KAFKA_BROKERS" --ack ack <data1 2>kpub1.err &
kp=$!
on_exit "kill -9 $kp"
# Kill once something is confirmed and a sixth of the load is done.
for _ in $(seq 1 300); do
	[ "$(q "SELECT (SELECT confirmed_flush_lsn > '$start' FROM pg_replication_slots
		WHERE slot_name = 'ks') AND (SELECT count(*) >= 3000 FROM k)")" = t ] && break
	sleep 0.05
done
kill -0 $load 2>/dev/null || fail "the load finished before the kill: not a kill during the run"
kill -9 $kp
wait $kp 2>/dev/null
kafka_cmd "rtt -1 0" >/dev/null || fail "rtt 0"
# pgcdc-read stops on the broken pipe; if it waits for input, stop it.
for _ in $(seq 1 40); do kill -0 $reader 2>/dev/null || break; sleep 0.1; done
kill -TERM $reader 2>/dev/null
wait $reader 2>/dev/null
for _ in $(seq 1 100); do
	[ "$(q "SELECT active FROM pg_replication_slots WHERE slot_name = 'ks'")" = f ] && break
	sleep 0.1
done
confirmed=$(q "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'ks'")
note "killed kpub; slot confirmed at $confirmed"

wait $load || fail "load failed"
end=$(q "SELECT pg_current_wal_lsn()")
"$BIN/pgcdc-read" -d "$PGCONN" -S ks -P pk --ack ack -s 1 -E "$end" --no-progress 2>pg2.err |
	"$BIN/kpub" -b "$KAFKA_BROKERS" --ack ack 2>kpub2.err || { cat pg2.err kpub2.err; fail "restarted pair failed"; }
"$BIN/pgcdc-read" -d "$PGCONN" -S kref -P pk -E "$end" --no-progress >ref.ndjson || fail "reference read failed"

# Kafka's content, in partition/offset order, into PostgreSQL for checking.
kcat -b "$KAFKA_BROKERS" -C -e -q -t $T -J | jq -r '(.payload | fromjson) as $r |
	[.partition, .offset, ($r.pos.offset | split(":") | .[0]), ($r.pos.offset | split(":") | .[1]),
	 $r.op, ((.key | fromjson).id), ($r.after.v // "\\N")] | @tsv' >kafka.tsv
jq -r '[.pos.offset | split(":") | .[0], .[1]] + [.op, (.after // .before).id, (.after.v // "\\N")] | @tsv' \
	ref.ndjson >ref.tsv
q "CREATE TABLE kt (part int, off bigint, lsn pg_lsn, seq int, op text, id int, v text)"
q "CREATE TABLE rt (lsn pg_lsn, seq int, op text, id int, v text)"
psql -X -q -v ON_ERROR_STOP=1 -c "\\copy kt FROM 'kafka.tsv'" -c "\\copy rt FROM 'ref.tsv'"
check() { # check "what must hold" "SQL returning 0 when it holds"
	local got
	got=$(q "$2")
	[ "$got" = 0 ] || fail "$1 (got $got)"
}
check "the reference read has every change" "SELECT 18000 + 12 * 100 + 12 * 30 - count(*) FROM rt"
check "every change is in Kafka" "SELECT count(*) FROM (SELECT lsn, seq FROM rt EXCEPT SELECT lsn, seq FROM kt) x"
check "nothing but changes in Kafka" "SELECT count(*) FROM (SELECT lsn, seq FROM kt EXCEPT SELECT lsn, seq FROM rt) x"
check "same position, same change" "SELECT count(*) FROM kt JOIN rt USING (lsn, seq)
	WHERE (kt.op, kt.id, kt.v) IS DISTINCT FROM (rt.op, rt.id, rt.v)"
check "twice only what the slot had not confirmed" "SELECT count(*) FROM (SELECT lsn, seq FROM kt
	GROUP BY 1, 2 HAVING count(*) > 1) d WHERE lsn < '$confirmed'"
check "one partition per row" "SELECT count(*) FROM (SELECT id FROM kt GROUP BY id HAVING count(DISTINCT part) > 1) x"
check "each row's changes in order (first copies)" "SELECT count(*) FROM (
	SELECT lsn, seq, lag(lsn) OVER w AS pl, lag(seq) OVER w AS ps FROM (
		SELECT DISTINCT ON (lsn, seq) * FROM kt ORDER BY lsn, seq, off) f
	WINDOW w AS (PARTITION BY id ORDER BY off)) x WHERE (lsn, seq) < (pl, ps)"
check "replaying Kafka gives the table" "
	WITH last AS (SELECT DISTINCT ON (id) id, op, v FROM kt ORDER BY id, off DESC),
	replay AS (SELECT id, v FROM last WHERE op <> 'd')
	SELECT count(*) FROM ((SELECT * FROM replay EXCEPT SELECT * FROM k) UNION ALL
		(SELECT * FROM k EXCEPT SELECT * FROM replay)) d"
note "$(q "SELECT count(*) FROM kt") messages for $(q "SELECT count(*) FROM rt") changes" \
	"($(q "SELECT count(*) FROM (SELECT 1 FROM kt GROUP BY lsn, seq HAVING count(*) > 1) d") twice)"
echo "kpub-kill: every change in Kafka, duplicates only of unconfirmed transactions"
