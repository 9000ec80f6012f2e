# tests/lib/pg.sh — a throw-away PostgreSQL 15 cluster for one test.
#
# Source it, then call pg_start. It initdb's a cluster in a temporary
# directory with wal_level=logical on a free loopback port (as user postgres
# when the tests run as root, since initdb refuses root), exports PGHOST,
# PGPORT, PGUSER, PGDATABASE and PGCONN, and stops and removes everything on
# exit. Other helpers register their own cleanup with on_exit "command".

PG_BINDIR=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null)}
: "${BIN:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/bin}"
# Tests and benches cd into their temporary directory: BIN=bin must still work.
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
export BIN

_on_exit_cmds=()
on_exit() { _on_exit_cmds+=("$1"); }
_run_on_exit() {
	local i rc=$?
	for ((i = ${#_on_exit_cmds[@]} - 1; i >= 0; i--)); do
		eval "${_on_exit_cmds[$i]}" >/dev/null 2>&1 || true
	done
	return $rc
}
trap _run_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A work directory for the test, removed on exit.
TEST_TMP=$(mktemp -d /tmp/dbrepl-test.XXXXXX)
chmod 755 "$TEST_TMP"
on_exit "rm -rf '$TEST_TMP'"

# Prints a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
	local p
	while :; do
		# Below the kernel's ephemeral range (32768-60999 by default), so an
		# outgoing connection's local port cannot take it meanwhile.
		p=$((10000 + RANDOM % 22000))
		if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}

# Runs a command as the cluster owner.
as_pg_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

fail() { echo "FAIL: $*" >&2; exit 1; }

# needs NAME...: skips the test (exit 77, as tests/run-integration.sh
# counts it) unless each is there: one of dbrepl's programs or peers
# (pgcdc-read, peers/tds-server …) built in $BIN, any other name a command
# on the PATH (kcat, jq …, which make deps installs).
needs() {
	local n
	for n in "$@"; do
		case $n in
		*/* | pgcdc-read | snapshot | kpub | ksub | mssql-apply | wwi-gen)
			[ -x "$BIN/$n" ] || { echo "skip: $BIN/$n not built"; exit 77; } ;;
		*)
			command -v "$n" >/dev/null || { echo "skip: $n not installed (make deps)"; exit 77; } ;;
		esac
	done
}

_test_t0=$(date +%s)
# exits_within SECONDS PID: waits up to SECONDS for PID to end: 0 when it
# did (wait for its status), else 1 after kill -9
exits_within() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		kill -0 "$2" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -0 "$2" 2>/dev/null || return 0
	kill -9 "$2" 2>/dev/null
	return 1
}
note() { echo "# [$(($(date +%s) - _test_t0))s] $*" >&2; }

# pg_initdb DIR: a new cluster as every test wants it.
pg_initdb() {
	as_pg_owner "$PG_BINDIR/initdb" -D "$1" -U postgres -A trust \
		--no-sync -E UTF8 --locale=C.UTF-8 >"$1.initdb.log" 2>&1 ||
		{ cat "$1.initdb.log" >&2; fail "initdb"; }
}

# pg_start [extra postgresql.conf lines...]
pg_start() {
	local dir="$TEST_TMP/pg"
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	PGPORT=$(free_port)
	# tests/run-integration.sh initdb's one cluster (PG_TEMPLATE) that every
	# test copies: a copy takes a tenth of initdb's second, times 120 tests.
	if [ -n "${PG_TEMPLATE:-}" ] && [ -f "$PG_TEMPLATE/PG_VERSION" ]; then
		cp -a "$PG_TEMPLATE" "$dir/data" || fail "copy of $PG_TEMPLATE"
	else
		pg_initdb "$dir/data"
	fi
	{
		echo "listen_addresses = '127.0.0.1'"
		echo "port = $PGPORT"
		echo "unix_socket_directories = '$dir'"
		echo "wal_level = logical"
		echo "max_replication_slots = 20"
		echo "max_wal_senders = 20"
		echo "max_connections = 100"
		echo "fsync = off"
		echo "full_page_writes = off"
		echo "shared_buffers = 128MB"
		echo "wal_sender_timeout = 60s"
		echo "log_min_messages = warning"
		local l
		for l in "$@"; do echo "$l"; done
	} | as_pg_owner tee -a "$dir/data/postgresql.conf" >/dev/null
	# Another process may take the port between free_port and the bind: retry.
	local try
	for try in 1 2 3 4 5; do
		as_pg_owner "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null && break
		if [ $try = 5 ] || ! grep -q "could not create any TCP/IP sockets" "$dir/server.log"; then
			cat "$dir/server.log" >&2
			fail "pg_ctl start"
		fi
		PGPORT=$(free_port)
		echo "port = $PGPORT" | as_pg_owner tee -a "$dir/data/postgresql.conf" >/dev/null
	done
	on_exit "as_pg_owner '$PG_BINDIR/pg_ctl' -D '$dir/data' -m immediate -w stop"
	PG_DATA="$dir/data"
	PG_LOG="$dir/server.log"
	export PGHOST=127.0.0.1 PGPORT PGUSER=postgres PGDATABASE=postgres
	export PGCONN="host=127.0.0.1 port=$PGPORT user=postgres dbname=postgres"
	export PG_DATA PG_LOG
}

pg_restart() {
	as_pg_owner "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -m fast -w -t 60 restart >/dev/null
}
pg_stop_server() {
	as_pg_owner "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
}
pg_start_server() {
	as_pg_owner "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null
}

# psql quietly, stopping at the first error: q "SQL" [dbname]
q() {
	psql -X -q -At -v ON_ERROR_STOP=1 -d "${2:-$PGDATABASE}" -c "$1"
}

# q_until "SQL" WANT [TRIES]: polls q SQL every 0.1 s until it prints WANT
# (100 tries unless told); non-zero when it never did.
q_until() {
	local i
	for ((i = 0; i < ${3:-100}; i++)); do
		[ "$(q "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# pg_read_slot SLOT PUBLICATION OUT [SECONDS]: what the logical slot holds
# up to the current WAL position (pgcdc-read -E), into OUT.
pg_read_slot() {
	local lsn
	lsn=$(q "SELECT pg_current_wal_lsn()") || fail "reading the WAL position"
	timeout "${4:-60}" "$BIN/pgcdc-read" -d "$PGCONN" -S "$1" -P "$2" -E "$lsn" --no-progress >"$3" ||
		fail "pgcdc-read of slot $1 up to $lsn"
}

# Source the other peers' helpers when they exist.
_dbrepl_lib=$(dirname "${BASH_SOURCE[0]}")
[ -f "$_dbrepl_lib/kafka.sh" ] && . "$_dbrepl_lib/kafka.sh"
[ -f "$_dbrepl_lib/tds.sh" ] && . "$_dbrepl_lib/tds.sh"
true
