#!/usr/bin/env bash
# The password reaches SQL Server, from each place mssql-apply takes it, and
# a wrong one ends the run at once. The peer refuses a login whose password
# is not its --password, as SQL Server does (Msg 18456, the connection
# closed), so each case can fail:
#   1. MSSQL_PASSWORD wrong: exit 69 within seconds (no reconnecting), the
#      server's message on stderr, the password nowhere in it;
#   2. MSSQL_PASSWORD right (not ASCII, blanks in it): the rows arrive;
#   3. --password-file (its first line) wins over a wrong MSSQL_PASSWORD;
#   4. examples/cron-snapshot.sh passes MSSQL_PASSWORD_FILE on (cron gives
#      no environment); without it, the login is refused;
#   5. --encrypt against a server that offers no TLS (the peer says
#      ENCRYPT_NOT_SUP in its prelogin answer): no login goes out in clear,
#      exit 69, and the message says TLS may be what is missing.
set -u
. "$(dirname "$0")/../lib/pg.sh"
. "$(dirname "$0")/../lib/compare.sh"
needs snapshot mssql-apply peers/tds-server
top=$(cd "$(dirname "$0")/../.." && pwd)
PW='s3cret pässwörd ✓'
pg_start
tds_start --password "$PW"
cd "$TEST_TMP"

q "CREATE SCHEMA shop;
   CREATE TABLE shop.items (id int PRIMARY KEY, name text);
   INSERT INTO shop.items SELECT i, 'item ' || i FROM generate_series(1, 50) i;"
"$BIN/snapshot" -d "$PGCONN" -n shop --no-progress >snap.ndjson || fail "snapshot exited $?"
apply() { "$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --create-tables --no-progress "$@" <snap.ndjson; }

# 1. a wrong password
start=$(date +%s)
MSSQL_PASSWORD='not it' apply 2>wrong.err
rc=$?
took=$(($(date +%s) - start))
[ "$rc" = 69 ] || fail "a wrong password: exit $rc, want 69 ($(cat wrong.err))"
[ "$took" -le 5 ] || fail "a wrong password took $took s to give up (it is not worth retrying)"
grep -q "Login failed for user 'sa'" wrong.err || fail "no login failure named: $(cat wrong.err)"
! grep -q "retrying" wrong.err || fail "it retried a refused login: $(cat wrong.err)"
! grep -qF 'not it' wrong.err || fail "the password was printed"
grep -q "login user=sa refused" "$TDS_LOG" || fail "the peer saw no refused login"
note "1: wrong password refused, exit 69 after $took s"

# 2. the right one in the environment
MSSQL_PASSWORD="$PW" apply 2>right.err || fail "the right password: exit $? ($(cat right.err))"
compare_all "$PGCONN" "$TDS_PGCONN" '^shop$' || fail "rows differ after a login with MSSQL_PASSWORD"
! grep -qF "$PW" right.err || fail "the password was printed"
note "2: MSSQL_PASSWORD"

# 3. a file (first line only) over a wrong environment variable
printf '%s\nsecond line\n' "$PW" >pw.txt
chmod 600 pw.txt
q "UPDATE shop.items SET name = 'renamed' WHERE id <= 10"
"$BIN/snapshot" -d "$PGCONN" -n shop --no-progress >snap.ndjson || fail "snapshot exited $?"
MSSQL_PASSWORD='not it' apply --password-file pw.txt 2>file.err || fail "--password-file: exit $? ($(cat file.err))"
compare_all "$PGCONN" "$TDS_PGCONN" '^shop$' || fail "rows differ after a login with --password-file"
note "3: --password-file"

# 4. the cron example, with and without MSSQL_PASSWORD_FILE
cron() {
	env -u MSSQL_PASSWORD PGCONN="$PGCONN" MSSQL_SERVER="$TDS_HOST:$TDS_PORT" MSSQL_USER=sa MSSQL_DB=target \
		BIN="$BIN" "$@" "$top/examples/cron-snapshot.sh" -n shop
}
q "DELETE FROM shop.items WHERE id > 40"
cron 2>cron-nopw.err && fail "cron-snapshot.sh logged in with no password"
grep -q "Login failed for user 'sa'" cron-nopw.err || fail "cron-snapshot.sh without a password: $(cat cron-nopw.err)"
cron env MSSQL_PASSWORD_FILE="$TEST_TMP/pw.txt" 2>cron.err || fail "cron-snapshot.sh exited $? ($(cat cron.err))"
compare_all "$PGCONN" "$TDS_PGCONN" '^shop$' || fail "rows differ after cron-snapshot.sh"
note "4: cron-snapshot.sh with MSSQL_PASSWORD_FILE"

# 5. TLS required, not offered
logins=$(grep -c "login user=" "$TDS_LOG")
MSSQL_PASSWORD="$PW" apply --encrypt --retries 1 2>tls.err
rc=$?
[ "$rc" = 69 ] || fail "--encrypt with a server without TLS: exit $rc, want 69 ($(cat tls.err))"
[ "$(grep -c "login user=" "$TDS_LOG")" = "$logins" ] || fail "--encrypt sent a login the peer read in clear"
grep -q "does the server offer TLS" tls.err || fail "--encrypt failed without a hint at TLS: $(cat tls.err)"
! grep -qF "$PW" tls.err || fail "the password was printed"
# a server --encrypt cannot name is a usage error, at once
MSSQL_PASSWORD="$PW" "$BIN/mssql-apply" -S "$TDS_HOST:99999" -U sa -D target --encrypt <snap.ndjson 2>port.err
rc=$?
[ "$rc" = 64 ] && grep -q "bad port in -S" port.err || fail "--encrypt with port 99999: exit $rc ($(cat port.err))"
note "5: --encrypt: no login without TLS"
echo "mssql-apply-login: ok"
