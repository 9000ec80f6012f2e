# shellcheck shell=bash
# tests/lib/orders.sh — a reader of the target that looks, in a loop, for
# wwi-gen orders visible in part (mssql-apply-transactions, ksub-ordered).
#
# wwi-gen writes an order and its lines in one transaction, picks an order
# and all its lines in another, and amends an order by deleting a line;
# lines are never added to an order later. So a target that lags the source
# holds, for every order, at least as many lines as the source does at the
# end, and no picked order with a line not picked, unless it shows part of
# a transaction.
#
#   orders_reader FILE START   (in the background) until FILE.stop exists,
#       looks at the target (TDS_PGCONN) about 50 times a second, each time
#       in one statement (one snapshot; one session for all): a line
#       "order_id lines picked-with-an-unpicked-line" per visible order
#       above START, then "--"
#   orders_bad NAME FILE START  prints how many lines of FILE show an order
#       in part against the source's (SRC) line counts now; the first three
#       on stderr

orders_reader() {
	while [ ! -e "$1.stop" ]; do
		echo "SELECT o.order_id, count(l.order_line_id),
			     o.picking_completed_when IS NOT NULL AND
			     coalesce(bool_or(l.order_line_id IS NOT NULL AND l.picking_completed_when IS NULL), false)
		      FROM sales.orders o LEFT JOIN sales.order_lines l ON l.order_id = o.order_id
		      WHERE o.order_id > $2 GROUP BY o.order_id, o.picking_completed_when;"
		echo '\echo --'
		sleep 0.02
	done | psql -X -q -At -F' ' -d "$TDS_PGCONN" >"$1" 2>/dev/null
}

orders_bad() {
	psql -X -q -At -F' ' -d "$SRC" -c "SELECT o.order_id, count(l.order_line_id) FROM sales.orders o
		LEFT JOIN sales.order_lines l ON l.order_id = o.order_id WHERE o.order_id > $3 GROUP BY 1" >"$2.final" ||
		fail "cannot read the source's orders"
	awk -v name="$1" 'NR == FNR { want[$1] = $2; next }
		$0 == "--" { next }
		($1 in want) && ($2 < want[$1] || $3 == "t") {
			bad++
			if (shown++ < 3) printf "%s: order %s visible with %s lines of %s%s\n", name, $1, $2, want[$1],
				$3 == "t" ? ", picked while a line is not" : "" > "/dev/stderr"
		}
		END { print bad + 0 }' "$2.final" "$2"
}
