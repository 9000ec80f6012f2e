#!/usr/bin/env bash
# The whole pipeline under wwi-gen load while every stage is killed -9 in
# turn at random moments and restarted, a broker goes down for a while, and
# the TDS server drops a connection and answers 1205 once. At the end every
# table equals the source, value for value, and the slot has advanced.
set -u
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/compare.sh"
. "$(dirname "$0")/../lib/pipeline.sh"
needs pgcdc-read snapshot kpub ksub mssql-apply wwi-gen peers/kafka-cluster peers/tds-server
seed=${CHAOS_SEED:-$RANDOM}
note "chaos seed $seed (CHAOS_SEED=$seed reproduces the moments)"
RANDOM=$seed
pg_start
pipeline_load_wwi
kafka_start -n 3
tds_start --fault drop-after=7 --fault deadlock-at=4
pipeline_start

"$BIN/wwi-gen" -d "$SRC" --seed 3 --rate 40 --duration 30 2>"$TEST_TMP/gen.log" &
gen=$!
pause() { sleep "$((1 + RANDOM % 4)).$((RANDOM % 10))"; }
pause; pipeline_kill9 pgcdc-read
pause; pipeline_kill9 kpub
pause; kafka_cmd "down 2"; note "broker 2 down"
pause; pause; kafka_cmd "up 2"; note "broker 2 up"
pause; pipeline_kill9 ksub
pause; pipeline_kill9 mssql-apply
wait $gen || fail "wwi-gen failed: $(tail -n 3 "$TEST_TMP/gen.log")"
end_lsn=$(psql -X -At -d "$SRC" -c "SELECT pg_current_wal_lsn()")

note "load done at $end_lsn; waiting for catch-up"
if ! pipeline_catch_up 120; then
	compare_all "$SRC" "$TDS_PGCONN" | grep DIFF
	pipeline_logs
	fail "the target does not match the source after the chaos"
fi
note "caught up"
compare_all "$SRC" "$TDS_PGCONN" | tail -n 3
# The slot's confirmed position moved past the end of the load.
for i in $(seq 1 30); do
	ok=$(psql -X -At -d "$SRC" -c "SELECT confirmed_flush_lsn >= '$end_lsn' FROM pg_replication_slots WHERE slot_name = 'dbrepl'")
	[ "$ok" = t ] && break
	sleep 1
done
[ "$ok" = t ] || fail "slot did not advance past $end_lsn"
grep -c "exited" "$PIPE_RUN/logs/supervisor.log" >&2 || true
echo "e2e-chaos: every table matches after the chaos (seed $seed)"
