#!/usr/bin/env bash
# mssql-apply --print-sql against golden files: for each tests/golden/NAME.ndjson
# (records; options in NAME.args) the T-SQL printed must equal NAME.sql byte
# for byte. GOLDEN_UPDATE=1 rewrites the .sql files instead (then review the
# diff against Microsoft's documentation, tests/golden/README.md).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${BIN:=$top/bin}"
golden=$top/tests/golden
exe=$BIN/mssql-apply
[ -x "$exe" ] || { echo "FAIL: $exe not built" >&2; exit 1; }
tmp=$(mktemp -d /tmp/dbrepl-golden.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

failures=0 n=0
for in in "$golden"/*.ndjson; do
	name=$(basename "$in" .ndjson)
	args=()
	[ -f "$golden/$name.args" ] && read -r -a args <"$golden/$name.args"
	if ! "$exe" --print-sql --no-progress "${args[@]}" <"$in" >"$tmp/$name.sql" 2>"$tmp/$name.err"; then
		echo "FAIL: $name: mssql-apply exited $?: $(cat "$tmp/$name.err")" >&2
		failures=$((failures + 1))
		continue
	fi
	n=$((n + 1))
	if [ "${GOLDEN_UPDATE:-0}" = 1 ]; then
		cp "$tmp/$name.sql" "$golden/$name.sql"
		echo "updated $name.sql"
	elif ! diff -u "$golden/$name.sql" "$tmp/$name.sql" >&2; then
		echo "FAIL: $name: output differs from tests/golden/$name.sql" >&2
		failures=$((failures + 1))
	fi
done
[ "$n" -ge 9 ] || { echo "FAIL: only $n golden cases ran" >&2; exit 1; }

# A bad value is refused before anything is printed for its batch: exit 65
# naming stream, offset, table and key.
bad='{"v":1,"op":"c","db":"shop","schema":"public","table":"m","cols":[{"name":"id","type":"integer"},{"name":"x","type":"numeric(10,2)"}],"key":["id"],"after":{"id":5,"x":"NaN"},"src":{"lsn":"0/10","xid":1,"ts":"2026-11-25T10:00:00.000000Z","seq":1},"pos":{"stream":"pg/shop/s","offset":"0/10:1"}}'
err=$(echo "$bad" | "$exe" --print-sql --no-progress 2>&1 >/dev/null); rc=$?
[ $rc = 65 ] || { echo "FAIL: NaN numeric exited $rc, want 65" >&2; failures=$((failures + 1)); }
for w in "pg/shop/s" "0/10:1" "[public].[m]" "id='5'" "NaN"; do
	grep -qF -- "$w" <<<"$err" || { echo "FAIL: bad-value message lacks $w: $err" >&2; failures=$((failures + 1)); }
done

# ±infinity only with --clamp-infinity: otherwise refused like NaN
inf='{"v":1,"op":"c","db":"shop","schema":"public","table":"m","cols":[{"name":"id","type":"integer"},{"name":"at","type":"timestamp without time zone"}],"key":["id"],"after":{"id":5,"at":"infinity"},"src":{"lsn":"0/10","xid":1,"ts":"2026-11-25T10:00:00.000000Z","seq":1},"pos":{"stream":"pg/shop/s","offset":"0/10:1"}}'
err=$(echo "$inf" | "$exe" --print-sql --no-progress 2>&1 >/dev/null); rc=$?
[ $rc = 65 ] || { echo "FAIL: infinity without --clamp-infinity exited $rc, want 65" >&2; failures=$((failures + 1)); }
grep -qF -- "--clamp-infinity" <<<"$err" || { echo "FAIL: the refusal does not name --clamp-infinity: $err" >&2; failures=$((failures + 1)); }

[ $failures = 0 ] && echo "mssql-apply-golden: $n cases match"
exit $((failures > 0))
