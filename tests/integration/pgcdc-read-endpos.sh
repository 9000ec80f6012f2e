#!/usr/bin/env bash
# pgcdc-read: -E/--endpos stops after exactly the transactions committed up
# to it and confirms them (a second run reads only what follows); SIGTERM
# exits 0 after a final feedback that confirms what downstream acked and
# nothing it did not, and holds though the walsender is still sending; a
# reader that goes away means exit 75, after a final feedback that holds
# the same way; slot management and the exit codes of wrong input.
set -eu
source "$(dirname "$0")/../lib/pg.sh"
pg_start
R="$BIN/pgcdc-read"
slot_lsn() { q "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$1'"; }
wait_inactive() {
	for _ in $(seq 1 100); do
		[ "$(q "SELECT active FROM pg_replication_slots WHERE slot_name = '$1'")" = f ] && return
		sleep 0.1
	done
	fail "slot $1 stays active"
}
terminated() { # SIGTERM to $pid; sets rc to its exit status and ms to how long it took
	local t0
	t0=$(date +%s%N)
	kill -TERM $pid
	rc=0
	wait $pid || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
}
expect_rc() { # expect_rc WANT what command...
	local want=$1 what=$2 rc=0
	shift 2
	"$@" >/dev/null 2>"$TEST_TMP/err" || rc=$?
	[ "$rc" = "$want" ] || fail "$what: exit $rc, want $want ($(cat "$TEST_TMP/err"))"
	[ "$want" = 0 ] || [ -s "$TEST_TMP/err" ] || fail "$what: no message"
}

q "CREATE TABLE e (id integer PRIMARY KEY, v text)"
q "CREATE PUBLICATION epub FOR TABLE e"

# ---- usage and configuration errors ----
expect_rc 64 "no slot" "$R" -d "$PGCONN" -P epub
expect_rc 64 "bad slot name" "$R" -d "$PGCONN" -S 'Bad"Slot' -P epub
expect_rc 64 "bad endpos" "$R" -d "$PGCONN" -S s -P epub -E nonsense
expect_rc 69 "server unreachable" "$R" -d "host=127.0.0.1 port=$(free_port) user=postgres connect_timeout=5" -S s -P epub
expect_rc 78 "slot does not exist" "$R" -d "$PGCONN" -S nosuchslot -P epub

# ---- slot creation ----
expect_rc 0 "--create-slot" "$R" -d "$PGCONN" -S eslot -P epub --create-slot -E 0/1
expect_rc 78 "--create-slot of an existing slot" "$R" -d "$PGCONN" -S eslot -P epub --create-slot -E 0/1
expect_rc 0 "--create-slot --if-not-exists" "$R" -d "$PGCONN" -S eslot -P epub --create-slot --if-not-exists -E 0/1
q "SELECT 1 FROM pg_create_logical_replication_slot('spare', 'pgoutput')" >/dev/null

# ---- endpos ----
q "INSERT INTO e VALUES (1, 'a'), (2, 'b'), (3, 'c')"
l1=$(q "SELECT pg_current_wal_lsn()")
q "INSERT INTO e VALUES (4, 'd'), (5, 'e')"
l2=$(q "SELECT pg_current_wal_lsn()")
q "INSERT INTO e VALUES (6, 'f')"
timeout 30 "$R" -d "$PGCONN" -S eslot -P epub -E "$l1" --no-progress >"$TEST_TMP/e1" || fail "-E $l1 exited $?"
ids() { grep -o '"after":{"id":[0-9]*' "$1" | grep -o '[0-9]*$' | tr '\n' ' '; }
[ "$(ids "$TEST_TMP/e1")" = "1 2 3 " ] || fail "-E $l1 gave ids '$(ids "$TEST_TMP/e1")', want 1 2 3"
wait_inactive eslot
timeout 30 "$R" -d "$PGCONN" -S eslot -P epub -E "$l2" --no-progress >"$TEST_TMP/e2" || fail "-E $l2 exited $?"
[ "$(ids "$TEST_TMP/e2")" = "4 5 " ] || fail "second -E $l2 gave ids '$(ids "$TEST_TMP/e2")', want 4 5"
wait_inactive eslot

# ---- SIGTERM with acks: what was acked is confirmed, nothing more ----
mkfifo "$TEST_TMP/ack"
"$R" -d "$PGCONN" -S eslot -P epub --ack "$TEST_TMP/ack" -s 3600 --no-progress >"$TEST_TMP/e3" &
pid=$!
on_exit "kill -9 $pid"
for _ in $(seq 1 100); do grep -q '"id":6' "$TEST_TMP/e3" 2>/dev/null && break; sleep 0.1; done
grep -q '"id":6' "$TEST_TMP/e3" || fail "record 6 not streamed"
off6=$(grep -o '"offset":"[^"]*"' "$TEST_TMP/e3" | tail -1 | cut -d'"' -f4)
before=$(slot_lsn eslot)
q "INSERT INTO e VALUES (7, 'g')"
for _ in $(seq 1 100); do grep -q '"id":7' "$TEST_TMP/e3" && break; sleep 0.1; done
grep -q '"id":7' "$TEST_TMP/e3" || fail "record 7 not streamed"
off7=$(grep -o '"offset":"[^"]*"' "$TEST_TMP/e3" | tail -1 | cut -d'"' -f4)
# Ack 6 (its whole transaction) and not 7; acks of another stream change nothing.
printf 'pg/postgres/otherslot %s\npg/postgres/eslot %s\n' "$off7" "$off6" >"$TEST_TMP/ack"
# It waits up to 5 s for the ack of 7, which does not come; a second
# signal ends that wait.
kill -TERM $pid
sleep 0.5
kill -0 $pid 2>/dev/null || fail "SIGTERM with a transaction unacked: no wait for its ack"
terminated
[ $rc = 0 ] || fail "SIGTERM: exit $rc, want 0"
[ $ms -lt 2000 ] || fail "a second SIGTERM: exit after $ms ms"
wait_inactive eslot
after=$(slot_lsn eslot)
lsn6=${off6%:*} lsn7=${off7%:*}
note "slot at $before, acked $off6, not $off7; confirmed $after"
[ "$(q "SELECT '$after'::pg_lsn > '$lsn6' AND '$after'::pg_lsn <= '$lsn7'")" = t ] ||
	fail "after SIGTERM the slot is at $after: want past $lsn6 (acked) and not past $lsn7 (unacked)"
# The unacked transaction comes again, with the same position.
timeout 30 "$R" -d "$PGCONN" -S eslot -P epub -E "$(q "SELECT pg_current_wal_lsn()")" --no-progress >"$TEST_TMP/e4" ||
	fail "rereading exited $?"
[ "$(ids "$TEST_TMP/e4")" = "7 " ] || fail "after restart got ids '$(ids "$TEST_TMP/e4")', want 7"
grep -q "\"offset\":\"$off7\"" "$TEST_TMP/e4" || fail "the resent record has another position"

# ---- SIGTERM without acks: what was written is confirmed ----
"$R" -d "$PGCONN" -S spare -P epub -s 3600 --no-progress >"$TEST_TMP/e5" &
pid=$!
on_exit "kill -9 $pid"
q "INSERT INTO e VALUES (8, 'h')"
for _ in $(seq 1 100); do grep -q '"id":8' "$TEST_TMP/e5" && break; sleep 0.1; done
grep -q '"id":8' "$TEST_TMP/e5" || fail "record 8 not streamed"
lsn8=$(grep -o '"offset":"[^"]*"' "$TEST_TMP/e5" | tail -1 | cut -d'"' -f4)
lsn8=${lsn8%:*}
kill -TERM $pid
rc=0
wait $pid || rc=$?
[ $rc = 0 ] || fail "SIGTERM without --ack: exit $rc, want 0"
wait_inactive spare
[ "$(q "SELECT '$(slot_lsn spare)'::pg_lsn > '$lsn8'")" = t ] || fail "written transaction not confirmed on SIGTERM"

# ---- SIGTERM while the walsender still sends: the final feedback holds ----
# A walsender far behind reads what the client sends only between its own
# sends, and one whose send finds the connection reset (closed with data
# unread) exits without reading what waits in its socket: the last status
# update is lost and a restart delivers again what was confirmed. Here the
# walsender waits on full sockets (pgcdc-read stopped a moment), and is
# stopped itself while pgcdc-read confirms and leaves: pgcdc-read must wait
# for the walsender's CopyDone before it closes. (Closing right after
# sending its own, it lost the feedback in 5 runs of 5.)
q "CREATE TABLE b (id integer PRIMARY KEY, v text)"
q "CREATE PUBLICATION bpub FOR TABLE b"
q "SELECT 1 FROM pg_create_logical_replication_slot('bslot', 'pgoutput')" >/dev/null
q "SELECT 1 FROM pg_create_logical_replication_slot('cslot', 'pgoutput')" >/dev/null
for i in $(seq 1 200); do
	echo "INSERT INTO b SELECT g, repeat('x', 500) FROM generate_series($((i * 500 - 499)), $((i * 500))) g;"
done | psql -X -q -v ON_ERROR_STOP=1 >/dev/null
bend=$(q "SELECT pg_current_wal_lsn()")
id_of() { grep -o '"after":{"id":[0-9]*' | grep -o '[0-9]*$'; }
# stalled SLOT OUT ACTION...: once pgcdc-read ($pid) has written a few
# transactions to OUT, stops it for 0.5 s (the walsender fills the sockets
# and waits), stops the walsender of SLOT, does ACTION, lets pgcdc-read go
# on (it confirms and leaves), and the walsender 1 s later; sets rc to
# pgcdc-read's exit status
stalled() {
	local slot=$1 out=$2 wsnd
	shift 2
	wsnd=$(q "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '$slot'")
	for _ in $(seq 1 200); do [ "$(wc -l <"$out")" -ge 1500 ] && break; sleep 0.05; done
	[ "$(wc -l <"$out")" -ge 1500 ] || fail "pgcdc-read wrote $(wc -l <"$out") records within 10 s"
	[ -n "$wsnd" ] || wsnd=$(q "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '$slot'")
	[ -n "$wsnd" ] && [ "$wsnd" -gt 0 ] || fail "no walsender of slot $slot ($wsnd)"
	kill -STOP $pid
	sleep 0.5
	kill -STOP "$wsnd"
	on_exit "kill -CONT $wsnd"
	"$@"
	kill -CONT $pid
	sleep 1
	kill -CONT "$wsnd"
	rc=0
	wait $pid || rc=$?
}
# held SLOT FILE LAST WHAT: the slot is past the commit of the last whole
# transaction up to id LAST of FILE (a transaction's last record is
# written at its commit), and that was a few transactions, many to come
held() {
	local whole=$(($3 - $3 % 500)) off
	[ $whole -ge 500 ] && [ $whole -le 80000 ] || fail "$4 after $3 records: want a few transactions, many to come"
	off=$(grep "\"after\":{\"id\":$whole," "$2" | grep -o '"offset":"[^"]*"' | cut -d'"' -f4)
	[ "$(q "SELECT '$(slot_lsn $1)'::pg_lsn > '${off%:*}'")" = t ] ||
		fail "$4: final feedback lost: the slot is at $(slot_lsn $1), not past the commit at ${off%:*} of id $whole, written whole"
}
"$R" -d "$PGCONN" -S bslot -P bpub --no-progress >"$TEST_TMP/b1" &
pid=$!
on_exit "kill -9 $pid"
on_exit "kill -CONT $pid"
stalled bslot "$TEST_TMP/b1" kill -TERM $pid
[ $rc = 0 ] || fail "SIGTERM while the walsender sends: exit $rc, want 0"
wait_inactive bslot
last=$(tail -n 1 "$TEST_TMP/b1" | id_of)
held bslot "$TEST_TMP/b1" "$last" SIGTERM
whole=$((last - last % 500))
timeout 60 "$R" -d "$PGCONN" -S bslot -P bpub -E "$bend" --no-progress >"$TEST_TMP/b2" || fail "rereading exited $?"
[ "$(head -n 1 "$TEST_TMP/b2" | id_of)" = $((whole + 1)) ] && [ "$(tail -n 1 "$TEST_TMP/b2" | id_of)" = 100000 ] ||
	fail "after SIGTERM at id $whole the next run gave ids $(head -n 1 "$TEST_TMP/b2" | id_of)..$(tail -n 1 "$TEST_TMP/b2" | id_of)"

# ---- the reader goes away while the walsender still sends: what it got
# stays confirmed ----
# The same race on exit 75: pgcdc-read confirms what was written (no
# --ack) and leaves; it must not close before the walsender has taken it.
mkfifo "$TEST_TMP/cpipe"
cat "$TEST_TMP/cpipe" >"$TEST_TMP/c1" &
reader=$!
"$R" -d "$PGCONN" -S cslot -P bpub --no-progress >"$TEST_TMP/cpipe" 2>"$TEST_TMP/cerr" &
pid=$!
on_exit "kill -9 $pid $reader"
on_exit "kill -CONT $pid"
reader_gone() {
	kill $reader
	wait $reader || true
}
stalled cslot "$TEST_TMP/c1" reader_gone
[ $rc = 75 ] || fail "reader gone while the walsender sends: exit $rc, want 75 ($(cat "$TEST_TMP/cerr"))"
wait_inactive cslot
held cslot "$TEST_TMP/c1" "$(head -n -1 "$TEST_TMP/c1" | tail -n 1 | id_of)" "reader gone" # the last line may be cut short

# ---- SIGTERM in the middle of a large transaction: out at once ----
# A walsender sending one transaction reads nothing until it ends or its
# socket is full: pgcdc-read must not read on while it waits for the server
# to take its last confirmation (reading on to the walsender's CopyDone, it
# waited for the whole transaction, up to its 5 s).
q "CREATE TABLE d (id integer PRIMARY KEY, v text)"
q "CREATE PUBLICATION dpub FOR TABLE d"
q "SELECT 1 FROM pg_create_logical_replication_slot('dslot', 'pgoutput')" >/dev/null
q "INSERT INTO d SELECT g, 'small' FROM generate_series(1, 20) g"
q "INSERT INTO d SELECT g, repeat('y', 100) FROM generate_series(1001, 1000000) g"
# reading OUT ID: pgcdc-read on dslot ($pid), writing OUT and OUT.err, has
# written the row ID (within 30 s)
reading() {
	"$R" -d "$PGCONN" -S dslot -P dpub --no-progress >"$1" 2>"$1.err" &
	pid=$!
	on_exit "kill -9 $pid"
	for _ in $(seq 1 600); do grep -q "\"id\":$2," "$1" && return 0; sleep 0.05; done
	fail "row $2 did not come within 30 s ($(cat "$1.err"))"
}
reading "$TEST_TMP/d1" 1001
terminated
[ $rc = 0 ] || fail "SIGTERM in a large transaction: exit $rc, want 0"
grep -q '"id":1000000,' "$TEST_TMP/d1" && fail "the large transaction went whole before SIGTERM: test it larger"
[ $ms -lt 2000 ] || fail "SIGTERM in a large transaction: exit after $ms ms"
! grep -q "did not take" "$TEST_TMP/d1.err" || fail "SIGTERM in a large transaction: $(cat "$TEST_TMP/d1.err")"
wait_inactive dslot
off=$(grep '"id":20,' "$TEST_TMP/d1" | grep -o '"offset":"[^"]*"' | cut -d'"' -f4)
[ "$(q "SELECT '$(slot_lsn dslot)'::pg_lsn > '${off%:*}'")" = t ] ||
	fail "SIGTERM in a large transaction: the slot is at $(slot_lsn dslot), not past the first transaction"
note "SIGTERM in a large transaction: out after $ms ms"

# ---- SIGTERM while the catalog connection does not answer: out in 5 s ----
# The slot is asked on it; a server that does not answer must not hold the
# exit past its 5 s (a blocking query waited for as long as TCP would).
q "INSERT INTO d VALUES (3000000, 'late')"
reading "$TEST_TMP/d2" 3000000
catpid=$(q "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgcdc-read' AND backend_type = 'client backend'")
[ -n "$catpid" ] || fail "no catalog connection of pgcdc-read"
kill -STOP $catpid
on_exit "kill -CONT $catpid"
t0=$(date +%s%N)
kill -TERM $pid
for _ in $(seq 1 300); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
ms=$((($(date +%s%N) - t0) / 1000000))
kill -CONT $catpid
rc=0
wait $pid || rc=$?
[ $ms -lt 8000 ] || fail "SIGTERM with the catalog connection stuck: still there after $ms ms"
[ $rc = 0 ] || fail "SIGTERM with the catalog connection stuck: exit $rc, want 0"
grep -q "did not take the last confirmation" "$TEST_TMP/d2.err" || fail "no word of the confirmation: $(cat "$TEST_TMP/d2.err")"

# ---- the reader goes away: exit 75, nothing unacked confirmed ----
q "INSERT INTO e SELECT g, repeat('x', 100) FROM generate_series(100, 20099) g"
mkfifo "$TEST_TMP/ack2"
at=$(slot_lsn eslot)
set +e
timeout 30 "$R" -d "$PGCONN" -S eslot -P epub --ack "$TEST_TMP/ack2" --no-progress 2>"$TEST_TMP/err" | head -n 1 >/dev/null
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 75 ] || fail "reader gone: exit $rc, want 75 ($(cat "$TEST_TMP/err"))"
grep -q "downstream" "$TEST_TMP/err" || fail "reader gone: message '$(cat "$TEST_TMP/err")'"
wait_inactive eslot
[ "$(slot_lsn eslot)" = "$at" ] || fail "reader gone: slot moved from $at to $(slot_lsn eslot) without acks"

# ---- --drop-slot ----
expect_rc 0 "--drop-slot" "$R" -d "$PGCONN" -S spare --drop-slot
[ "$(q "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'spare'")" = 0 ] || fail "slot not dropped"
expect_rc 78 "--drop-slot of a missing slot" "$R" -d "$PGCONN" -S spare --drop-slot
echo "pgcdc-read-endpos: endpos, SIGTERM, EPIPE, slot management and exit codes behave"
