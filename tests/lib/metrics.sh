# tests/lib/metrics.sh — reading the --metrics files of the programs.
#
#   mval FILE NAME [LABELS]   the sum of the samples of NAME (a full sample
#                             name: dbrepl_x_total, dbrepl_y_bucket …) whose
#                             labels contain every one of LABELS, a list
#                             like 'table="public.m",kind="retry"'; empty
#                             when there is none
#   mcheck FILE               promtool check metrics, and the histogram rules
#                             promtool leaves out: buckets cumulative, +Inf
#                             equal to _count; fails the test otherwise
#   mwait FILE NAME LABELS WANT SECONDS
#                             waits until mval says WANT; fails otherwise

mval() {
	awk -v name="$2" -v want="${3:-}" '
		/^#/ { next }
		{
			brace = index($0, "{")
			sname = brace ? substr($0, 1, brace - 1) : $1
			if (sname != name) next
			labels = brace ? substr($0, brace + 1, index($0, "} ") - brace - 1) : ""
			ok = 1
			m = split(want, parts, "\",")
			for (i = 1; i <= m; i++) {
				p = parts[i]
				if (i < m) p = p "\""
				if (p != "" && index("," labels ",", "," p ",") == 0) ok = 0
			}
			if (ok) { sum += $NF; found = 1 }
		}
		END { if (found) printf "%.17g\n", sum }' "$1"
}

mcheck() {
	[ -s "$1" ] || fail "metrics file $1 missing or empty"
	local promtool=${PROMTOOL:-}
	[ -x "$promtool" ] || promtool=$(command -v promtool) ||
		fail "promtool missing: 'make build/tools/promtool' fetches it (make check does)"
	"$promtool" check metrics <"$1" >"$TEST_TMP/promtool.out" 2>&1 ||
		{ cat "$TEST_TMP/promtool.out" >&2; fail "promtool check metrics: $1"; }
	awk '
		/^#/ { next }
		/_bucket\{/ {
			series = $0
			sub(/,?le="[^"]*"/, "", series)
			sub(/ [^ ]*$/, "", series)
			sub(/_bucket/, "", series)
			if (series == last && $NF + 0 < prev + 0) { print "not cumulative: " $0; bad = 1 }
			last = series; prev = $NF
			if ($0 ~ /le="\+Inf"/) inf[series] = $NF
			next
		}
		/_count\{/ {
			series = $0
			sub(/ [^ ]*$/, "", series)
			sub(/_count/, "", series)
			if ((series in inf) && inf[series] != $NF) { print "+Inf bucket " inf[series] " != count " $NF; bad = 1 }
		}
		END { exit bad }' "$1" || fail "histogram rules broken in $1"
	[ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ] || fail "$1 does not end with a newline"
}

mwait() {
	local deadline=$(($(date +%s) + $5)) v
	while :; do
		v=$(mval "$1" "$2" "$3" 2>/dev/null)
		[ "$v" = "$4" ] && return 0
		[ "$(date +%s)" -ge "$deadline" ] && fail "$1: $2{$3} is ${v:-absent}, want $4"
		sleep 0.1
	done
}
