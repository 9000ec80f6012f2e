#!/usr/bin/env bash
# Common behaviour of every program: --help and --version exit 0 and print
# what they should, an unknown option exits 64 (EX_USAGE) with a message on
# stderr; every man page renders without a groff warning.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${BIN:=$top/bin}"
progs=(pgcdc-read snapshot kpub ksub mssql-apply wwi-gen)
failures=0
bad() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

for p in "${progs[@]}"; do
	exe="$BIN/$p"
	if [ ! -x "$exe" ]; then
		bad "$p: not built"
		continue
	fi
	out=$("$exe" --help 2>&1); rc=$?
	[ $rc = 0 ] || bad "$p --help exited $rc"
	grep -qi "usage" <<<"$out" || bad "$p --help prints no usage"
	out=$("$exe" --version 2>&1); rc=$?
	[ $rc = 0 ] || bad "$p --version exited $rc"
	grep -q "^$p [0-9]" <<<"$out" || bad "$p --version printed '$out'"
	err=$("$exe" --no-such-option 2>&1 >/dev/null); rc=$?
	[ $rc = 64 ] || bad "$p --no-such-option exited $rc, want 64"
	[ -n "$err" ] || bad "$p --no-such-option said nothing on stderr"
	[ -f "$top/man/$p.1" ] || bad "$p has no man page man/$p.1"
done

# SIGTERM while a record is half read must end the program at once (a
# signal ends the wait for the rest of the line), not when more input comes.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
half='{"op":"c","schema":"s","table":"t","pos":{"stream":"x","offset":"1"},"cols":[{"name":"a"'
for p in "mssql-apply --print-sql" "kpub -b 127.0.0.1:1 -t t"; do
	mkfifo "$tmp/in"
	$BIN/$p <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	exec 9>"$tmp/in"
	printf '%s' "$half" >&9
	sleep 1
	kill -TERM $pid
	for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	if kill -0 $pid 2>/dev/null; then
		bad "${p%% *}: still running 5 s after SIGTERM with a half-read record"
		kill -9 $pid
	fi
	wait $pid; rc=$?
	[ $rc = 0 ] || bad "${p%% *}: exit $rc after SIGTERM, want 0: $(cat "$tmp/err")"
	exec 9>&-
	rm -f "$tmp/in"
done

for m in "$top"/man/*.[157]; do
	[ -f "$m" ] || continue
	w=$(groff -man -ww -z -Tutf8 "$m" 2>&1)
	[ -z "$w" ] || bad "$(basename "$m") renders with warnings: $w"
	grep -q '^\.SH EXAMPLES' "$m" || bad "$(basename "$m") has no EXAMPLES section"
done
for m in pgcdc-record.5 dbrepl.7; do
	[ -f "$top/man/$m" ] || bad "man/$m missing"
done

[ $failures = 0 ] && echo "cli-common: all programs and man pages conform"
exit $((failures > 0))
