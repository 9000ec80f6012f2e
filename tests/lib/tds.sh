# tests/lib/tds.sh — the TDS test peer (bin/peers/tds-server) for one test.
#
# Sourced by tests/lib/pg.sh when present. After pg_start:
#   tds_start [--fault SPEC]...   creates database "target" (once), starts the
#                                 peer on a free port against it, waits for
#                                 "ready", exports TDS_HOST TDS_PORT TDS_PGCONN
#                                 TDS_PID TDS_LOG; stopped on exit
#   tds_stop                      stops the running peer (and fails on a
#                                 sanitizer report in its log)
#   tds_sql "T-SQL"               runs a batch through FreeTDS tsql; prints
#                                 the rows tab-separated, one per line;
#                                 non-zero exit and the message on stderr
#                                 when SQL Server would report an error or
#                                 the connection is lost
#   tds_sql_as LOGIN "T-SQL"      the batch as LOGIN (a login named as a
#                                 PostgreSQL role runs as it); its rows and
#                                 messages on stdout, 1 when the server
#                                 reported an error
#   tq "SQL"                      psql on the database behind the peer
#   tds_rows SCHEMA.TABLE         the target table's rows, value for value,
#                                 one line ("none" when it is not a table)
#   tds_checkpoint                the target's checkpoint rows, one line (empty
#                                 also before the checkpoint table exists)
#   tds_same SCHEMA TABLE         fails unless the target's table equals the
#                                 source's (PGCONN; needs tests/lib/compare.sh)

TDS_DB=${TDS_DB:-target}

tds_start() {
	if [ -z "${TDS_PGCONN:-}" ]; then
		psql -X -q -d "$PGDATABASE" -c "CREATE DATABASE $TDS_DB" >/dev/null ||
			fail "createdb $TDS_DB"
		export TDS_PGCONN="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$TDS_DB"
	fi
	TDS_LOG="$TEST_TMP/tds-server.$$.$RANDOM.log"
	local out="$TEST_TMP/tds-server.$$.$RANDOM.out"
	"$BIN/peers/tds-server" --listen 127.0.0.1:0 --pg "$TDS_PGCONN" --log "$TDS_LOG" "$@" \
		>"$out" 2>>"$TDS_LOG" &
	TDS_PID=$!
	on_exit "kill $TDS_PID; wait $TDS_PID"
	local i
	for ((i = 0; i < 300; i++)); do
		if grep -q '^ready ' "$out" 2>/dev/null; then
			TDS_PORT=$(awk '/^ready /{print $2; exit}' "$out")
			export TDS_HOST=127.0.0.1 TDS_PORT TDS_PID TDS_LOG
			return 0
		fi
		kill -0 "$TDS_PID" 2>/dev/null || { cat "$TDS_LOG" >&2; fail "tds-server exited"; }
		sleep 0.1
	done
	fail "tds-server not ready"
}

# tds_stop: stops the peer; fails the test if a sanitizer complained in
# any of its processes (their stderr goes to $TDS_LOG).
tds_stop() {
	[ -n "${TDS_PID:-}" ] || return 0
	kill "$TDS_PID" 2>/dev/null
	wait "$TDS_PID" 2>/dev/null
	TDS_PID=
	if grep -q -E 'Sanitizer|runtime error:' "$TDS_LOG" 2>/dev/null; then
		grep -A30 -E 'Sanitizer|runtime error:' "$TDS_LOG" | head -60 >&2
		fail "tds-server: sanitizer report in $TDS_LOG"
	fi
}

# tds_sql "T-SQL": tsql reads the batch from stdin; "go" sends it.
tds_sql() {
	local out err rc
	out=$(mktemp "$TEST_TMP/tsql.XXXXXX")
	err=$(mktemp "$TEST_TMP/tsql.XXXXXX")
	printf '%s\ngo\n' "$1" | LC_ALL=C.UTF-8 TDSVER=7.4 tsql -H "$TDS_HOST" -p "$TDS_PORT" -U sa -P unused \
		-D "$TDS_DB" -o fhq -t '	' >"$out" 2>"$err"
	rc=$?
	# tsql exits 0 even after a server error; the message tells.
	if [ $rc -ne 0 ] || grep -q -E '^(Msg|Error) [0-9]' "$err"; then
		cat "$err" >&2
		cat "$out"
		rm -f "$out" "$err"
		return 1
	fi
	cat "$out"
	rm -f "$out" "$err"
}

tds_sql_as() {
	local out
	out=$(printf '%s\ngo\n' "$2" | LC_ALL=C.UTF-8 TDSVER=7.4 tsql -H "$TDS_HOST" -p "$TDS_PORT" -U "$1" -P unused \
		-D "$TDS_DB" -o fhq -t '	' 2>&1)
	echo "$out"
	! grep -q -E '^(Msg|Error) [0-9]' <<<"$out"
}

tq() {
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$TDS_DB" -c "$1"
}

# A refused batch must leave the target as it was: tests take these before
# and after and compare them.
tds_rows() {
	[ "$(tq "SELECT EXISTS (SELECT 1 FROM pg_class WHERE oid = to_regclass('$1') AND relkind = 'r')")" = t ] ||
		{ echo none; return 0; }
	tq "SELECT coalesce(string_agg(t::text, ',' ORDER BY t), '') FROM $1 AS t"
}

tds_checkpoint() {
	[ "$(tq "SELECT to_regclass('dbo.dbrepl_checkpoint') IS NOT NULL")" = t ] || { echo; return 0; }
	tq "SELECT coalesce(string_agg(stream || ' ' || \"offset\", ',' ORDER BY stream), '') FROM dbo.dbrepl_checkpoint"
}

tds_same() {
	compare_table "$PGCONN" "$TDS_PGCONN" "$1" "$2" >/dev/null ||
		{ show_table_diff "$PGCONN" "$TDS_PGCONN" "$1" "$2" | cut -c 1-200 >&2; fail "$1.$2 differs from the source"; }
}
