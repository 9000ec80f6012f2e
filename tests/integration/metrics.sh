#!/usr/bin/env bash
# --metrics of the four streaming stages, pgcdc-read | kpub, ksub |
# mssql-apply: every file passes promtool and the histogram rules; the
# counts are the records that went through (and the rows at the target);
# every stage's newest source commit time is the newest src.ts of the
# records; lag grows while a stage upstream is stopped and drops again once
# the pipeline caught up; a stage blocked on a full pipe still writes its
# file, its lag growing; the file is replaced by rename, so a reader never
# sees half of one; every metric name is documented in dbrepl(7).
set -u
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/metrics.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
needs python3
pg_start
kafka_start -n 1 postgres.public.m:2:1
tds_start
cd "$TEST_TMP" || exit 1

# Every name metrics.c defines is in dbrepl(7).
for name in $(grep -o '{"dbrepl_[a-z_]*"' "$top/lib/metrics.c" | tr -d '{"'); do
	grep -q "^\\.B $name\$" "$top/man/dbrepl.7" || fail "$name is not documented in man/dbrepl.7"
done

q "CREATE TABLE m (id integer PRIMARY KEY, v text)"
q "CREATE PUBLICATION pub FOR TABLE m"
q "SELECT 1 FROM pg_create_logical_replication_slot('s', 'pgoutput')" >/dev/null
mkfifo pg.ack k.ack p1 p2 p3
MX=(--metrics-interval 0.2)
KX=(-b "$KAFKA_BROKERS" -X topic.metadata.refresh.interval.ms=500)
"$BIN/pgcdc-read" -d "$PGCONN" -S s -P pub -s 1 --ack pg.ack --no-progress --metrics pg.prom "${MX[@]}" >p1 2>pg.err &
pg_pid=$!
tee src.ndjson <p1 >p2 &
"$BIN/kpub" "${KX[@]}" --ack pg.ack --no-progress --metrics kpub.prom "${MX[@]}" --metrics-label stage=stream <p2 2>kpub.err &
kpub_pid=$!
"$BIN/ksub" "${KX[@]}" -X session.timeout.ms=5000 -X heartbeat.interval.ms=500 -G g --ack k.ack --no-progress \
	--metrics ksub.prom "${MX[@]}" '^postgres\.' >p3 2>ksub.err &
ksub_pid=$!
MSSQL_PASSWORD=x "$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D "$TDS_DB" --create-tables --batch-ms 50 \
	--ack k.ack --no-progress --metrics ms.prom "${MX[@]}" <p3 2>ms.err &
ms_pid=$!
pids="$pg_pid $kpub_pid $ksub_pid $ms_pid"
on_exit "kill -CONT $kpub_pid; kill -TERM $pids; sleep 1; kill -KILL $pids"

# A reader that keeps reading the file while it is rewritten five times a
# second: each read must be a whole file.
python3 - ms.prom >reader.out 2>&1 <<'PY' &
import os, sys, time
path, end = sys.argv[1], time.time() + 6
reads = bad = 0
inodes = set()
while time.time() < end:
    try:
        with open(path, 'rb') as f:
            inodes.add(os.fstat(f.fileno()).st_ino)
            data = f.read()
    except FileNotFoundError:
        bad += 1
        continue
    reads += 1
    text = data.decode()
    helps = [l for l in text.split('\n') if l.startswith('# HELP ')]
    types = [l for l in text.split('\n') if l.startswith('# TYPE ')]
    if not text.endswith('\n') or not helps or len(helps) != len(types) or 'dbrepl_start_time_seconds{' not in text:
        bad += 1
print(reads, bad, len(inodes))
PY
reader_pid=$!

# 3 inserts of 100 rows, an update of 10, a delete of 5: 315 records in 5 transactions.
for k in 0 1 2; do
	q "INSERT INTO m SELECT g, 'v' || g FROM generate_series($((k * 100 + 1)), $((k * 100 + 100))) g"
done
q "UPDATE m SET v = v || '!' WHERE id <= 10"
q "DELETE FROM m WHERE id > 295"
mwait ms.prom dbrepl_records_out_total 'table="public.m"' 315 30
mwait pg.prom dbrepl_records_out_total 'table="public.m"' 315 5
mwait kpub.prom dbrepl_records_out_total 'stream="pg/postgres/s"' 315 5
mwait ksub.prom dbrepl_records_out_total '' 315 5
wait $reader_pid
read -r reads bad inodes <reader.out || fail "reader: $(cat reader.out)"
[ "$bad" = 0 ] || fail "a reader saw $bad partial or missing metrics files in $reads reads"
[ "$reads" -gt 100 ] && [ "$inodes" -gt 5 ] ||
	fail "the reader read $reads times and saw $inodes files: the file is not replaced by rename"
[ ! -e ms.prom.tmp ] || fail "the temporary file was left behind"

for f in pg kpub ksub ms; do mcheck $f.prom; done
[ "$(wc -l <src.ndjson)" = 315 ] || fail "pgcdc-read wrote $(wc -l <src.ndjson) records"
[ "$(tq "SELECT count(*) FROM public.m")" = 295 ] || fail "target holds $(tq "SELECT count(*) FROM public.m") rows"
# Values, stage by stage.
[ "$(mval pg.prom dbrepl_transactions_total)" = 5 ] || fail "pgcdc-read: transactions $(mval pg.prom dbrepl_transactions_total)"
[ "$(mval pg.prom dbrepl_bytes_out_total)" = "$(stat -c %s src.ndjson)" ] ||
	fail "pgcdc-read: bytes out $(mval pg.prom dbrepl_bytes_out_total), wrote $(stat -c %s src.ndjson)"
[ "$(mval pg.prom dbrepl_slot_unconfirmed_wal_bytes 'stream="pg/postgres/s"')" != "" ] || fail "pgcdc-read: no WAL held"
[ "$(mval kpub.prom dbrepl_records_in_total 'stage="stream"')" = 315 ] || fail "kpub: records in"
[ "$(mval kpub.prom dbrepl_kafka_delivery_errors_total)" = "" ] || fail "kpub: delivery errors"
[ "$(mval kpub.prom dbrepl_errors_total 'kind="delivery"')" = 0 ] || fail "kpub: errors"
[ "$(mval ksub.prom dbrepl_records_in_total)" = 315 ] || fail "ksub: records in"
mwait ksub.prom dbrepl_consumer_lag_messages '' 0 5
[ "$(mval ms.prom dbrepl_records_in_total)" = 315 ] || fail "mssql-apply: records in"
[ "$(mval ms.prom dbrepl_apply_latency_seconds_count)" = 315 ] || fail "mssql-apply: latency count"
[ "$(mval ms.prom dbrepl_apply_latency_seconds_bucket 'le="+Inf"')" = 315 ] || fail "mssql-apply: +Inf bucket"
[ "$(mval ms.prom dbrepl_records_skipped_total)" = 0 ] || fail "mssql-apply: skipped"
[ "$(mval ms.prom dbrepl_errors_total 'kind="retry"')" = 0 ] || fail "mssql-apply: retries"

# The newest source commit, to the microsecond, in every stage.
want=$(python3 -c '
import json, sys, datetime
ts = max(json.loads(l)["src"]["ts"] for l in open("src.ndjson"))
d = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
print("%d.%06d" % (int(d.timestamp()), d.microsecond))')
for f in pg kpub ksub ms; do
	got=$(mval $f.prom dbrepl_last_commit_timestamp_seconds)
	python3 -c "import sys; sys.exit(abs($got - $want) > 2e-6)" || fail "$f: newest commit $got, want $want"
	lag=$(mval $f.prom dbrepl_lag_seconds)
	python3 -c "import sys, time; sys.exit(not (0 <= $lag < time.time() - $want + 0.5))" ||
		fail "$f: lag $lag, the newest commit is $want"
done

# Lag: a commit every 0.2 s; kpub stopped for 3 s makes mssql-apply's lag
# grow past 2 s; once kpub goes on it drops under a second (within 8 s:
# the catching up takes its time under the sanitizers on a busy machine;
# the commits go on meanwhile, else the lag would grow again).
( for i in $(seq 1 60); do q "UPDATE m SET v = 'tick $i' WHERE id = 1"; sleep 0.2; done ) &
tick_pid=$!
sleep 1
kill -STOP "$kpub_pid"
sleep 3
high=$(mval ms.prom dbrepl_lag_seconds)
kill -CONT "$kpub_pid"
for i in $(seq 1 40); do
	sleep 0.2
	low=$(mval ms.prom dbrepl_lag_seconds)
	python3 -c "import sys; sys.exit(not ($low < 1.0))" && break
done
wait $tick_pid
python3 -c "import sys; sys.exit(not ($high >= 2.0 and $low < 1.0))" ||
	fail "mssql-apply's lag was $high s while kpub stood still and still $low s 8 s after it went on"

mwait ms.prom dbrepl_records_out_total 'table="public.m"' 375 10
# A stage blocked in a write to a full pipe still writes its file, and its
# lag grows in it: kpub stopped, 3,000 wide rows fill the pipes behind
# pgcdc-read, whose main loop then stands in write().
kill -STOP "$kpub_pid"
q "INSERT INTO m SELECT g, repeat('x', 500) FROM generate_series(1001, 4000) g"
sleep 2
l1=$(mval pg.prom dbrepl_lag_seconds)
sleep 1.5
l2=$(mval pg.prom dbrepl_lag_seconds)
out=$(mval pg.prom dbrepl_records_out_total)
kill -CONT "$kpub_pid"
[ "$out" -lt 3375 ] || fail "pgcdc-read wrote all $out records: it was not blocked, the test says nothing"
python3 -c "import sys; sys.exit(not ($l2 >= $l1 + 1.0))" ||
	fail "pgcdc-read blocked on a full pipe: its lag in the file went from $l1 to $l2 s in 1.5 s"
mwait kpub.prom dbrepl_records_out_total '' 3375 30

# A clean stop writes the files a last time.
kill -TERM $pids
for p in $pids; do wait "$p" || fail "a stage exited $? on SIGTERM ($(cat ./*.err))"; done
for f in pg kpub ksub ms; do mcheck $f.prom; done
[ "$(mval kpub.prom dbrepl_records_out_total)" = 3375 ] || fail "kpub: $(mval kpub.prom dbrepl_records_out_total) at exit"
echo "metrics: ok"
