#!/usr/bin/env bash
# A walsender sends a transaction once its commit record is flushed, which
# is before other sessions see it: a commit waiting for a synchronous
# standby is held in between, and the test holds commits there (a standby
# named that never comes). pgcdc-read reads the catalog for each relation
# the stream sends, and must read it as the transaction left it:
#   1. a masked column renamed onto a dropped name, dropped again, in the
#      transaction of an insert: the catalog of before would show the old
#      column where the stream says the new one, and the value left
#      unmasked (masking.sh's case 8, which failed 1 run in 60 by chance);
#      it must wait, then stop (78) with no value out;
#   2. a type created with its column in the transaction of an insert:
#      the catalog of before has no such type; it must wait (longer than
#      wal_sender_timeout, on the same connection), then write the value;
#      a table of built-in types needs no catalog of the transaction and
#      is not held (snapshot-online-windows relies on it);
#   3. SIGTERM while it waits: exit 0, the transaction not confirmed; a
#      restart sends it;
#   4. pgcdc-read itself the synchronous standby: the commit waits for it,
#      so it must not wait for the commit; without masks it goes on with
#      the catalog of before (and says so), with masks it stops (78), and
#      again when restarted while the commit waits; as a role that sees
#      no walsender's state, the same; a type made in such a transaction
#      is exit 70, also after a restart, and the row comes once released;
#   5. as the synchronous standby, a commit waits for its own confirmation
#      only, which goes out as soon as the walsender waits for it, also
#      after a reconnect; 6. and with --ack, for its ack and no longer.
set -u
. "$(dirname "$0")/../lib/pg.sh"
needs jq
# A wait longer than wal_sender_timeout must keep the connection.
pg_start "wal_sender_timeout = 3s"
cd "$TEST_TMP" || exit 1
printf 'pepper\n' >salt.txt
SECRET=123-45-6789

q "CREATE SCHEMA hr"
q "CREATE TABLE hr.t8 (id integer PRIMARY KEY, ssn text, old text)"
q "CREATE TABLE hr.feel (id integer PRIMARY KEY)"
q "CREATE TABLE hr.t9 (id integer PRIMARY KEY, ssn text)"
q "CREATE TABLE hr.plain (id integer PRIMARY KEY, v text)"
q "CREATE PUBLICATION pub FOR TABLE hr.t8, hr.feel, hr.t9, hr.plain"
q "CREATE ROLE rep LOGIN REPLICATION"
q "CREATE TABLE probe (x integer)" # not published
q "SELECT 1 FROM pg_create_logical_replication_slot('s', 'pgoutput')" >/dev/null

set_standbys() { # set_standbys VALUE
	q "ALTER SYSTEM SET synchronous_standby_names = '$1'"
	q "SELECT pg_reload_conf()" >/dev/null
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(q "SHOW synchronous_standby_names")" = "$1" ] && return 0
		sleep 0.05
	done
	fail "synchronous_standby_names is not $1"
}
commits_wait() { # true when a commit that wrote waits for a standby now (the checkpointer tells committers)
	PGAPPNAME=probe psql -X -q -At -d "$PGDATABASE" -c "INSERT INTO probe VALUES (1)" >/dev/null 2>&1 &
	local p=$! i
	for ((i = 0; i < 20; i++)); do
		if [ -n "$(q "SELECT 1 FROM pg_stat_activity WHERE application_name = 'probe' AND wait_event = 'SyncRep'")" ]; then
			q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'probe'" >/dev/null
			wait $p
			return 0
		fi
		kill -0 $p 2>/dev/null || break
		sleep 0.05
	done
	# Not held (yet): a commit still waiting must not count for the next probe.
	q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'probe'" >/dev/null
	wait $p
	return 1
}
hold_commits() { # hold_commits [STANDBY] : commits wait for STANDBY (one that never comes)
	set_standbys nobody
	local i
	for ((i = 0; i < 50; i++)); do
		commits_wait && break
	done
	[ $i -lt 50 ] || fail "commits do not wait for the standby"
	[ $# = 0 ] && return 0
	# Committers wait already; now for this one, once its walsender knows.
	set_standbys "$1"
	for ((i = 0; i < 200; i++)); do
		[ "$(q "SELECT sync_state IN ('sync', 'quorum') FROM pg_stat_replication")" = t ] && return 0
		sleep 0.05
	done
	fail "pgcdc-read's walsender is not the synchronous standby"
}
release_commits() {
	q "ALTER SYSTEM RESET synchronous_standby_names"
	q "SELECT pg_reload_conf()" >/dev/null
}
on_exit release_commits
held_commit() { # held_commit SQL : runs SQL in the background ($held) until its commit waits; the stream has sent it
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$PGDATABASE" -c "$1" >/dev/null 2>held.err &
	held=$!
	local i
	for ((i = 0; i < 200; i++)); do
		[ -n "$(q "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'SyncRep'")" ] && break
		sleep 0.05
	done
	[ $i -lt 200 ] || fail "the commit did not wait for the standby ($(cat held.err))"
	for ((i = 0; i < 200; i++)); do
		kill -0 $live 2>/dev/null || return 0 # the caller says why
		[ "$(q "SELECT bool_and(sent_lsn >= pg_current_wal_flush_lsn()) FROM pg_stat_replication")" = t ] && break
		sleep 0.05
	done
	[ $i -lt 200 ] || fail "the walsender did not send the held commit"
	sleep 0.5 # pgcdc-read has it, and would act on it now
}
live() { # live OUT ARGS... : pgcdc-read in the background ($live)
	out=$1
	shift
	"$BIN/pgcdc-read" -d "$PGCONN" -S s -P pub --no-progress "$@" >"$out" 2>"$out.err" &
	live=$!
	on_exit "kill $live 2>/dev/null"
}
wait_for() { # wait_for JQ-FILTER
	local i
	for ((i = 0; i < 200; i++)); do
		[ -n "$(jq -c "select($1)" "$out" 2>/dev/null)" ] && return 0
		sleep 0.05
	done
	fail "no record ($1) in $out: $(cat "$out.err")"
}
exited() { # exited WANT WHAT : $live ends by itself with status WANT
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 $live 2>/dev/null || break
		sleep 0.05
	done
	kill -0 $live 2>/dev/null && fail "$2: pgcdc-read went on ($(cat "$out.err"))"
	wait $live
	local rc=$?
	[ $rc = "$1" ] || fail "$2: pgcdc-read exited $rc, want $1 ($(cat "$out.err"))"
}

# 1. the masked rename, held
live r1.ndjson --hash-salt-file salt.txt --exclude-column hr.t8.ssn
q "INSERT INTO hr.t8 VALUES (1, '$SECRET-1', 'x')"
wait_for '.table == "t8" and .after.id == 1'
hold_commits
held_commit "BEGIN; ALTER TABLE hr.t8 DROP COLUMN old; ALTER TABLE hr.t8 RENAME COLUMN ssn TO old;
	INSERT INTO hr.t8 VALUES (2, '$SECRET-2'); ALTER TABLE hr.t8 DROP COLUMN old; COMMIT"
kill -0 $live 2>/dev/null || fail "held: pgcdc-read did not wait ($(cat r1.ndjson.err))"
! grep -qF "$SECRET" r1.ndjson || fail "held: a value left unmasked: $(grep -F "$SECRET" r1.ndjson)"
release_commits
wait $held || fail "the held transaction failed ($(cat held.err))"
exited 78 "a masked rename, held"
grep -qF "its column ssn, excluded before, is not in it, and its column old is not the one it was" r1.ndjson.err ||
	fail "the message: $(cat r1.ndjson.err)"
! grep -qF "$SECRET" r1.ndjson || fail "a value left unmasked: $(grep -F "$SECRET" r1.ndjson)"
[ "$(jq -c '[.table, .after.id]' r1.ndjson | tr '\n' ' ')" = '["t8",1] ' ] || fail "records: $(cat r1.ndjson)"
q "SELECT 1 FROM pg_replication_slot_advance('s', pg_current_wal_lsn())" >/dev/null

# 2. a type made with its column, held; 3. SIGTERM while it waits, and the
# restart
live r2.ndjson
q "INSERT INTO hr.feel VALUES (1)"
wait_for '.table == "feel" and .after.id == 1'
walsender=$(q "SELECT pid FROM pg_stat_replication")
hold_commits
held_commit "INSERT INTO hr.plain VALUES (1, 'held')"
wait_for '.table == "plain" and .after.id == 1'
kill -0 $held 2>/dev/null || fail "the plain insert was not held"
release_commits
wait $held || fail "the held transaction failed ($(cat held.err))"
hold_commits
held_commit "BEGIN; CREATE TYPE hr.mood AS ENUM ('sad', 'happy'); ALTER TABLE hr.feel ADD COLUMN m hr.mood;
	INSERT INTO hr.feel VALUES (2, 'happy'); COMMIT"
sleep 4 # longer than wal_sender_timeout
kill -0 $live 2>/dev/null || fail "held type: pgcdc-read did not wait ($(cat r2.ndjson.err))"
[ "$(jq -c 'select(.table == "feel" and .after.id == 2)' r2.ndjson)" = "" ] ||
	fail "held type: pgcdc-read did not wait: $(cat r2.ndjson)"
[ "$(q "SELECT pid FROM pg_stat_replication")" = "$walsender" ] ||
	fail "held type: the walsender ended while pgcdc-read waited ($(cat r2.ndjson.err))"
release_commits
wait $held || fail "the held transaction failed ($(cat held.err))"
wait_for '.table == "feel" and .after.id == 2'
[ "$(jq -c 'select(.after.id == 2) | [.after.m, (.cols[] | select(.name == "m") | .type)]' r2.ndjson)" = \
	'["happy","hr.mood"]' ] || fail "the held type: $(cat r2.ndjson) $(cat r2.ndjson.err)"
kill -TERM $live
wait $live || fail "pgcdc-read exited $? on SIGTERM ($(cat r2.ndjson.err))"

live r3.ndjson
for ((i = 0; i < 200; i++)); do
	[ "$(q "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ] && break
	sleep 0.05
done
hold_commits
# a new walsender sends the relation again, with the held transaction
held_commit "INSERT INTO hr.feel VALUES (3, 'sad')"
kill -0 $live 2>/dev/null || fail "held insert: pgcdc-read did not wait ($(cat r3.ndjson.err))"
kill -TERM $live
exited 0 "SIGTERM while it waits"
[ ! -s r3.ndjson ] || fail "SIGTERM while it waits: it wrote $(cat r3.ndjson)"
release_commits
wait $held || fail "the held transaction failed ($(cat held.err))"
live r4.ndjson
wait_for '.table == "feel" and .after.id == 3'
[ "$(jq -c 'select(.after.id == 3) | .after.m' r4.ndjson)" = '"sad"' ] || fail "after the restart: $(cat r4.ndjson)"
kill -TERM $live
wait $live || fail "pgcdc-read exited $? on SIGTERM ($(cat r4.ndjson.err))"

# 4. the synchronous standby is pgcdc-read (its application name)
streaming() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(q "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ] && return 0
		sleep 0.05
	done
	fail "pgcdc-read does not stream ($(cat "$out.err"))"
}
goes_on() { # goes_on ID MOOD : the commit waiting for $live ends, its row is written, and it says why
	timeout 30 psql -X -q -At -v ON_ERROR_STOP=1 -d "$PGDATABASE" -c "INSERT INTO hr.feel VALUES ($1, '$2')" ||
		fail "the commit waiting for pgcdc-read did not end ($(cat "$out.err"))"
	wait_for ".table == \"feel\" and .after.id == $1"
	grep -qF "its walsender is a synchronous standby" "$out.err" || fail "no warning: $(cat "$out.err")"
	kill -TERM $live
	wait $live || fail "pgcdc-read exited $? on SIGTERM ($(cat "$out.err"))"
	release_commits
}
live r5.ndjson
streaming
hold_commits '"pgcdc-read"'
goes_on 5 happy
# The same as a role that sees no walsender's state, in a quorum that
# cannot be made without it.
live r5b.ndjson -d "$PGCONN user=rep"
streaming
[ "$(q "SELECT usename FROM pg_stat_replication")" = rep ] || fail "pgcdc-read is not the role rep"
[ "$(PGUSER=rep q "SELECT count(*) FROM pg_stat_replication WHERE sync_state IS NULL")" = 1 ] ||
	fail "the role rep sees the sync_state"
hold_commits 'ANY 1 ("PgCdc-Read", nobody)'
goes_on 6 sad
live r6.ndjson --hash-salt-file salt.txt --exclude-column hr.t9.ssn
streaming
hold_commits '"pgcdc-read"'
psql -X -q -At -v ON_ERROR_STOP=1 -d "$PGDATABASE" -c "INSERT INTO hr.t9 VALUES (1, '$SECRET-9')" 2>held.err &
held=$!
exited 78 "the synchronous standby, with masks"
grep -qF "take pgcdc-read out of synchronous_standby_names" r6.ndjson.err || fail "the message: $(cat r6.ndjson.err)"
[ ! -s r6.ndjson ] || fail "with masks, as the synchronous standby: $(cat r6.ndjson)"
# Restarted while that commit waits for it: the same again, not a wait
# for ever (a walsender that reports no flush position is no candidate).
live r6b.ndjson --hash-salt-file salt.txt --exclude-column hr.t9.ssn
exited 78 "the synchronous standby, with masks, restarted"
[ ! -s r6b.ndjson ] || fail "with masks, restarted: $(cat r6b.ndjson)"
release_commits
wait $held || fail "the held transaction failed ($(cat held.err))"

# Without masks, a type made in a transaction that waits for pgcdc-read
# is not in the catalog it can see: exit 70, and again after a restart,
# until the setting changes; then the row comes with its value.
live r7.ndjson
streaming
hold_commits '"pgcdc-read"'
psql -X -q -At -v ON_ERROR_STOP=1 -d "$PGDATABASE" -c "BEGIN; CREATE TYPE hr.size AS ENUM ('s', 'm');
	ALTER TABLE hr.feel ADD COLUMN sz hr.size; INSERT INTO hr.feel VALUES (7, 'sad', 'm'); COMMIT" 2>held.err &
held=$!
exited 70 "a type made in a transaction that waits for pgcdc-read"
grep -qF "does not exist" r7.ndjson.err || fail "the message: $(cat r7.ndjson.err)"
live r7b.ndjson
exited 70 "a type made in a transaction that waits for pgcdc-read, restarted"
release_commits
wait $held || fail "the held transaction failed ($(cat held.err))"
live r8.ndjson
wait_for '.table == "feel" and .after.id == 7'
[ "$(jq -c 'select(.after.id == 7) | .after.sz' r8.ndjson)" = '"m"' ] || fail "once released: $(cat r8.ndjson)"
kill -TERM $live
wait $live || fail "pgcdc-read exited $? on SIGTERM ($(cat r8.ndjson.err))"

# 5. As the synchronous standby, each commit waits for pgcdc-read to
# confirm it: that goes out as soon as nothing more comes, not at the next
# of its updates five times a second (20 commits took 4 s, 200 ms each).
live r9.ndjson
streaming
q "INSERT INTO hr.plain VALUES (100, 'before')"
wait_for '.table == "plain" and .after.id == 100'
sleep 0.5 # confirmed: nothing new to say
# Reconnected, it says where it is at once, with nothing new to say: a
# walsender that reports no flush position is no candidate (others after
# it in synchronous_standby_names are chosen meanwhile), and it reported
# none until --status-interval, 10 s, or here until the walsender asked,
# at half its wal_sender_timeout (1.5 s).
wsnd=$(q "SELECT pid FROM pg_stat_replication")
q "SELECT pg_terminate_backend($wsnd)" >/dev/null
for ((i = 0; i < 200; i++)); do
	[ "$(q "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND pid <> $wsnd")" = 1 ] && break
	sleep 0.05
done
[ $i -lt 200 ] || fail "pgcdc-read did not reconnect ($(cat r9.ndjson.err))"
t0=$(date +%s%N)
until [ "$(q "SELECT flush_lsn IS NOT NULL FROM pg_stat_replication")" = t ]; do
	[ $(($(date +%s%N) - t0)) -lt 3000000000 ] || break
	sleep 0.02
done
ms=$((($(date +%s%N) - t0) / 1000000))
[ $ms -lt 750 ] || fail "a reconnected pgcdc-read confirmed nothing to its new walsender for $ms ms"
hold_commits '"pgcdc-read"'
t0=$(date +%s%N)
for i in $(seq 1 20); do echo "INSERT INTO hr.plain VALUES ($((100 + i)), 'sync');"; done |
	timeout 30 psql -X -q -v ON_ERROR_STOP=1 -d "$PGDATABASE" || fail "the commits waiting for pgcdc-read failed"
ms=$((($(date +%s%N) - t0) / 1000000))
wait_for '.table == "plain" and .after.id == 120'
[ "$(jq -c 'select(.table == "plain" and .after.v == "sync") | .after.id' r9.ndjson | tr '\n' ' ')" = \
	"$(seq 101 120 | tr '\n' ' ')" ] || fail "the synchronous commits: $(cat r9.ndjson)"
[ $ms -lt 2000 ] || fail "20 commits waiting for pgcdc-read took $ms ms"
note "5: 20 commits waiting for pgcdc-read took $ms ms"
kill -TERM $live
wait $live || fail "pgcdc-read exited $? on SIGTERM ($(cat r9.ndjson.err))"
release_commits

# 6. The same with --ack: each commit waits for its ack, and then for
# nothing more (the update went at the next 200 ms tick).
mkfifo out10 ack10
jq --unbuffered -r '.pos.stream + " " + .pos.offset' <out10 >ack10 &
acker=$!
on_exit "kill $acker 2>/dev/null"
"$BIN/pgcdc-read" -d "$PGCONN" -S s -P pub --no-progress --ack ack10 >out10 2>r10.err &
live=$!
on_exit "kill $live 2>/dev/null"
out=r10
streaming
hold_commits '"pgcdc-read"'
t0=$(date +%s%N)
for i in $(seq 1 20); do echo "INSERT INTO hr.plain VALUES ($((200 + i)), 'acked');"; done |
	timeout 30 psql -X -q -v ON_ERROR_STOP=1 -d "$PGDATABASE" || fail "the commits waiting for acks failed"
ms=$((($(date +%s%N) - t0) / 1000000))
[ $ms -lt 1000 ] || fail "20 commits waiting for pgcdc-read's acks took $ms ms"
note "6: 20 commits waiting for pgcdc-read and its acks took $ms ms"
kill -TERM $live
wait $live || fail "pgcdc-read exited $? on SIGTERM ($(cat r10.err))"
release_commits
echo "pgcdc-read-commit-window: ok"
