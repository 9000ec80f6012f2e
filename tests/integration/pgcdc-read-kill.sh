#!/usr/bin/env bash
# pgcdc-read killed with SIGKILL in the middle of a 100,000-change run, with
# acks wired to a consumer that appends records to a file and then acks
# them; restarted, it must deliver every change, in order, none skipped: the
# union of both runs holds every transaction whole (seq 1..n), as many
# changes as the load made, and replaying it gives the source table. The slot
# must never have been confirmed past a transaction not wholly acked, and
# the records delivered twice are only those the slot had not confirmed.
set -eu
source "$(dirname "$0")/../lib/pg.sh"
needs python3
note "$(date +%T) start"; pg_start; note "$(date +%T) started"

q "CREATE TABLE k (id integer PRIMARY KEY, v text)"
q "CREATE PUBLICATION kpub FOR TABLE k"
q "SELECT 1 FROM pg_create_logical_replication_slot('kslot', 'pgoutput')" >/dev/null

# 100 transactions of 1,000 inserts; every 10th also updates and deletes
# rows of the one before. Spread over a few seconds so the kill lands in the middle.
{
	for i in $(seq 1 100); do
		a=$(((i - 1) * 1000 + 1)) b=$((i * 1000))
		echo "BEGIN;"
		echo "INSERT INTO k SELECT g, md5(g::text) FROM generate_series($a, $b) g;"
		if [ $((i % 10)) = 0 ]; then
			echo "UPDATE k SET v = v || '-u' WHERE id BETWEEN $((a - 1000)) AND $((a - 901));"
			echo "DELETE FROM k WHERE id BETWEEN $((a - 900)) AND $((a - 851));"
		fi
		echo "COMMIT;"
		echo "SELECT pg_sleep(0.06);"
	done
} >"$TEST_TMP/load.sql"

# consumer OUT ACKLOG FIFO: appends records, then acks the last one's position the
# way lib/ack.c does: never blocking on the FIFO, newest ack wins.
cat >"$TEST_TMP/consumer.py" <<'PY'
import errno, os, re, sys, time
out, acklog, fifo = sys.argv[1:4]
# Optionally hold back the acks of what it has read once it has this many
# records: the kill then finds records written but not acked.
pause_at = int(sys.argv[4]) if len(sys.argv) > 4 else 0
total = 0
stream = 'pg/postgres/kslot'
o, al = open(out, 'ab'), open(acklog, 'ab')
fd, pending = -1, None
def send():
    global fd, pending
    if pending is None:
        return True
    try:
        if fd < 0:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.write(fd, pending.encode())
        al.write(pending.split()[1].encode() + b'\n'); al.flush()
        pending = None
        return True
    except OSError as e:
        if e.errno in (errno.EPIPE, errno.ENXIO):
            if fd >= 0:
                os.close(fd)
            fd = -1
        return False
pat = re.compile(rb'"offset":"([^"]*)"')
rest = b''
# In batches, as kpub does: what is read is written, then acked.
while True:
    chunk = os.read(0, 1 << 16)
    if not chunk:
        break  # a line cut by the kill was never consumed, never acked
    data = rest + chunk
    cut = data.rfind(b'\n') + 1
    lines, rest = data[:cut], data[cut:]
    if not lines:
        continue
    o.write(lines); o.flush()
    offs = pat.findall(lines)
    total += len(offs)
    if pause_at and total >= pause_at:
        pause_at = 0
        time.sleep(3)
    pending = f'{stream} {offs[-1].decode()}\n'
    send()
end = time.time() + 5
while not send() and time.time() < end:
    time.sleep(0.01)
PY
consumer() { python3 "$TEST_TMP/consumer.py" "$@"; }

psql -X -q -v ON_ERROR_STOP=1 -f "$TEST_TMP/load.sql" >/dev/null &
load=$!
on_exit "kill $load"

mkfifo "$TEST_TMP/data1" "$TEST_TMP/ack1"
consumer "$TEST_TMP/out1" "$TEST_TMP/acks1" "$TEST_TMP/ack1" 30000 <"$TEST_TMP/data1" &
cons=$!
"$BIN/pgcdc-read" -d "$PGCONN" -S kslot -P kpub --ack "$TEST_TMP/ack1" -s 1 --no-progress >"$TEST_TMP/data1" &
reader=$!
on_exit "kill -9 $reader"

for _ in $(seq 1 600); do
	[ -f "$TEST_TMP/out1" ] && [ "$(wc -l <"$TEST_TMP/out1")" -ge 30000 ] && break
	sleep 0.05
done
# The consumer holds its acks now; give pgcdc-read time to confirm
# whatever it (wrongly) would.
sleep 1
kill -0 $load 2>/dev/null || fail "the load finished before the kill: not a kill during the run"
kill -9 $reader
wait $reader 2>/dev/null || true
wait $cons 2>/dev/null || true
note "$(date +%T) killed after $(wc -l <"$TEST_TMP/out1") records consumed, acked up to $(tail -n 1 "$TEST_TMP/acks1")"

# The walsender notices the lost connection; the slot is free again.
for _ in $(seq 1 100); do
	[ "$(q "SELECT active FROM pg_replication_slots WHERE slot_name = 'kslot'")" = f ] && break
	sleep 0.1
done
confirmed=$(q "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'kslot'")
note "$(date +%T) slot confirmed at $confirmed after the kill"

wait $load || fail "load failed"
end=$(q "SELECT pg_current_wal_lsn()")

mkfifo "$TEST_TMP/data2" "$TEST_TMP/ack2"
consumer "$TEST_TMP/out2" "$TEST_TMP/acks2" "$TEST_TMP/ack2" <"$TEST_TMP/data2" &
cons=$!
timeout 60 "$BIN/pgcdc-read" -d "$PGCONN" -S kslot -P kpub --ack "$TEST_TMP/ack2" -s 1 -E "$end" \
	--no-progress >"$TEST_TMP/data2" || fail "restarted pgcdc-read exited $?"
wait $cons || fail "consumer 2 failed"
[ "$(q "SELECT confirmed_flush_lsn >= '$end' FROM pg_replication_slots WHERE slot_name = 'kslot'")" = t ] ||
	fail "after a clean exit with everything acked the slot is not confirmed to the end"

q "SELECT id, v FROM k ORDER BY id" >"$TEST_TMP/source"
note "$(date +%T) run 2 done"

# The checks run in PostgreSQL: fast at this size. Each run's records and
# acks are loaded with their line numbers.
load() {
	# offset, op, before, after as text (awk is much faster than parsing
	# JSON here; the images of this table hold no nested braces)
	awk '{
		off = op = b = a = "\\N"
		if (match($0, /"offset":"[^"]*"/)) off = substr($0, RSTART + 10, RLENGTH - 11)
		if (match($0, /"op":"[a-z]"/)) op = substr($0, RSTART + 6, 1)
		if (match($0, /"before":\{[^}]*\}/)) b = substr($0, RSTART + 9, RLENGTH - 9)
		if (match($0, /"after":\{[^}]*\}/)) a = substr($0, RSTART + 8, RLENGTH - 8)
		print NR "\t" off "\t" op "\t" b "\t" a
	}' "$2" >"$2.tsv"
	q "CREATE TABLE $1 (n int, off text, op text, before jsonb, after jsonb)"
	psql -X -q -v ON_ERROR_STOP=1 -c "\\copy $1 FROM '$2.tsv'"
	q "CREATE TABLE ${1}_v AS SELECT n, split_part(off, ':', 1)::pg_lsn AS lsn,
		split_part(off, ':', 2)::bigint AS seq, op, before, after FROM $1; ANALYZE ${1}_v"
}
load r1 "$TEST_TMP/out1"
load r2 "$TEST_TMP/out2"
q "CREATE TABLE a1 (n serial, off text)"
psql -X -q -v ON_ERROR_STOP=1 -c "\\copy a1 (off) FROM '$TEST_TMP/acks1'"
q "CREATE TABLE u AS SELECT lsn, seq FROM r1_v UNION SELECT lsn, seq FROM r2_v"
check() { # check "what must hold" "SQL returning 0 when it holds"
	local got
	got=$(q "$2")
	[ "$got" = 0 ] || fail "$1 (got $got)"
}
for t in r1 r2; do
	check "$t: positions increase" "SELECT count(*) FROM (SELECT lsn, seq, lag(lsn) OVER w AS pl,
		lag(seq) OVER w AS ps FROM ${t}_v WINDOW w AS (ORDER BY n)) x WHERE (lsn, seq) <= (pl, ps)"
done
# 100 x 1,000 inserts, 10 x (100 updates + 50 deletes)
check "every change delivered" "SELECT 101500 - count(*) FROM u"
check "every transaction whole" "SELECT count(*) FROM (SELECT lsn FROM u GROUP BY lsn
	HAVING count(*) <> max(seq) OR min(seq) <> 1) x"
check "same position, same change" "SELECT count(*) FROM r1_v x JOIN r2_v r USING (lsn, seq)
	WHERE (x.op, x.before, x.after) IS DISTINCT FROM (r.op, r.before, r.after)"
check "the restart begins a transaction at the confirmed position" \
	"SELECT count(*) FROM r2_v WHERE n = 1 AND (seq <> 1 OR lsn < '$confirmed')"
check "something was confirmed before the kill" \
	"SELECT count(*) FROM (SELECT 1) x WHERE NOT EXISTS (SELECT 1 FROM r1_v WHERE lsn < '$confirmed')"
check "no transaction confirmed before all of it was acked" "
	WITH maxack AS (SELECT split_part(off, ':', 1)::pg_lsn AS lsn, split_part(off, ':', 2)::bigint AS seq
		FROM a1 ORDER BY 1 DESC, 2 DESC LIMIT 1),
	tx AS (SELECT lsn, max(seq) AS seq FROM u GROUP BY lsn)
	SELECT count(*) FROM tx, maxack m WHERE tx.lsn < '$confirmed' AND (m.lsn, m.seq) < (tx.lsn, tx.seq)"
check "only unconfirmed records delivered twice" "SELECT count(*) FROM r1_v JOIN r2_v USING (lsn, seq)
	WHERE lsn < '$confirmed'"
# Replaying the changes (keys never change here) gives the table.
check "the replay equals the source" "
	WITH last AS (SELECT DISTINCT ON (id) id, op, after->>'v' AS v FROM (
		SELECT coalesce(after->>'id', before->>'id')::int AS id, * FROM r1_v
		UNION ALL SELECT coalesce(after->>'id', before->>'id')::int AS id, * FROM r2_v) x
		ORDER BY id, lsn DESC, seq DESC),
	replay AS (SELECT id, v FROM last WHERE op <> 'd')
	SELECT count(*) FROM ((SELECT * FROM replay EXCEPT SELECT * FROM k) UNION ALL
		(SELECT * FROM k EXCEPT SELECT * FROM replay)) d"
note "run 1: $(q "SELECT count(*) FROM r1") records, run 2: $(q "SELECT count(*) FROM r2"),
	delivered twice: $(q "SELECT count(*) FROM r1_v JOIN r2_v USING (lsn, seq)")"
note "$(date +%T) checked"
echo "pgcdc-read-kill: every change delivered once or, unconfirmed, twice; none lost"
