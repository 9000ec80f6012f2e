#!/usr/bin/env bash
# An idle slot does not hold WAL back: while another database generates WAL
# and the slot's publication gets no change, pgcdc-read confirms the
# server's WAL end from its keepalives, with --ack (nothing outstanding) and
# without. Also --create-publication and --create-slot --if-not-exists.
set -eu
source "$(dirname "$0")/../lib/pg.sh"
pg_start

q "CREATE TABLE quiet (id integer PRIMARY KEY)"
q "CREATE DATABASE other"
q "CREATE TABLE noise (id integer, pad text)" other

start_reader() { # start_reader SLOT OUT [extra options]
	local slot=$1 out=$2
	shift 2
	"$BIN/pgcdc-read" -d "$PGCONN" -S "$slot" -P quietpub --create-slot --if-not-exists \
		-s 1 --no-progress "$@" >"$out" 2>"$out.err" &
}
"$BIN/pgcdc-read" -d "$PGCONN" -S idle_ack -P quietpub --create-publication quiet \
	--create-slot -E 0/1 --no-progress >/dev/null || fail "creating publication and slot"
[ "$(q "SELECT string_agg(tablename, ',') FROM pg_publication_tables WHERE pubname = 'quietpub'")" = quiet ] ||
	fail "--create-publication did not publish table quiet"
start_reader idle_ack "$TEST_TMP/a.out" --ack "$TEST_TMP/ack"
ra=$!
on_exit "kill -9 $ra"
start_reader idle_noack "$TEST_TMP/b.out"
rb=$!
on_exit "kill -9 $rb"
for _ in $(seq 1 100); do
	[ "$(q "SELECT count(*) FROM pg_replication_slots WHERE active")" = 2 ] && break
	sleep 0.1
done
[ "$(q "SELECT count(*) FROM pg_replication_slots WHERE active")" = 2 ] || fail "readers did not start"

before=$(q "SELECT pg_current_wal_lsn()")
for i in 1 2 3; do
	q "INSERT INTO noise SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g" other
done
target=$(q "SELECT pg_current_wal_lsn()")
note "WAL from $before to $target in database other"

ok=
for _ in $(seq 1 300); do
	got=$(q "SELECT count(*) FROM pg_replication_slots
		WHERE slot_name IN ('idle_ack', 'idle_noack') AND confirmed_flush_lsn >= '$target'")
	[ "$got" = 2 ] && { ok=1; break; }
	sleep 0.1
done
q "SELECT slot_name, confirmed_flush_lsn, restart_lsn FROM pg_replication_slots" >&2
[ -n "$ok" ] || fail "an idle slot did not advance to $target"
[ ! -s "$TEST_TMP/a.out" ] && [ ! -s "$TEST_TMP/b.out" ] || fail "records for changes nobody published"

# Still idle, still alive; SIGTERM ends both cleanly.
kill -0 $ra && kill -0 $rb || fail "a reader died: $(cat "$TEST_TMP"/*.err)"
kill -TERM $ra $rb
wait $ra || fail "pgcdc-read --ack exited $? on SIGTERM"
wait $rb || fail "pgcdc-read exited $? on SIGTERM"
echo "pgcdc-read-idle: idle slots advance with the server's WAL"
