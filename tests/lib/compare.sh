# tests/lib/compare.sh — compares tables of two PostgreSQL databases value for
# value: the source, and the database behind the TDS test server (the SQL
# Server stand-in). Each side is read with COPY in the source's column order,
# sorted by every column, and the two texts are compared by md5; on a mismatch
# the differing lines are shown.

# table_digest CONNINFO SCHEMA.TABLE "col1, col2, ..." -> prints "rows md5"
table_digest() {
	local conn=$1 tbl=$2 cols=$3 f
	f=$(mktemp)
	if ! psql -X -q -At -v ON_ERROR_STOP=1 -d "$conn" \
		-c "\\copy (SELECT $cols FROM $tbl ORDER BY $cols) TO STDOUT" >"$f" 2>/dev/null; then
		rm -f "$f"
		echo "missing -"
		return 1
	fi
	echo "$(wc -l <"$f") $(md5sum <"$f" | cut -d' ' -f1)"
	rm -f "$f"
}

# source_columns CONNINFO SCHEMA TABLE -> quoted column list in attnum order
source_columns() {
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "
		SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum)
		FROM pg_attribute
		WHERE attrelid = (quote_ident('$2') || '.' || quote_ident('$3'))::regclass
		  AND attnum > 0 AND NOT attisdropped"
}

# compare_table SRC DST SCHEMA TABLE -> 0 when equal; prints "schema.table src_rows dst_rows ok|DIFF"
compare_table() {
	local src=$1 dst=$2 s=$3 t=$4 cols a b
	cols=$(source_columns "$src" "$s" "$t")
	local tbl="$(printf '%s.%s' "\"$s\"" "\"$t\"")"
	a=$(table_digest "$src" "$tbl" "$cols")
	b=$(table_digest "$dst" "$tbl" "$cols")
	local an=${a%% *} bn=${b%% *}
	if [ "${a#* }" = "${b#* }" ]; then
		printf '%-45s %9s %9s  ok\n' "$s.$t" "$an" "$bn"
		return 0
	fi
	printf '%-45s %9s %9s  DIFF\n' "$s.$t" "$an" "$bn"
	return 1
}

# show_table_diff SRC DST SCHEMA TABLE: the first differing rows, for failures.
show_table_diff() {
	local src=$1 dst=$2 s=$3 t=$4 cols
	cols=$(source_columns "$src" "$s" "$t")
	local tbl="\"$s\".\"$t\""
	diff <(psql -X -q -At -d "$src" -c "\\copy (SELECT $cols FROM $tbl ORDER BY $cols) TO STDOUT") \
		<(psql -X -q -At -d "$dst" -c "\\copy (SELECT $cols FROM $tbl ORDER BY $cols) TO STDOUT" 2>&1) |
		head -n 20
}

# compare_table_eventually SRC DST SCHEMA TABLE SECONDS: compare_table once
# the target has caught up (within SECONDS), else the first differing rows
# too; 0 when equal.
compare_table_eventually() {
	local end=$(($(date +%s) + $5))
	while [ "$(date +%s)" -lt $end ]; do
		compare_table "$@" >/dev/null 2>&1 && break
		sleep 0.2
	done
	compare_table "$1" "$2" "$3" "$4" && return 0
	show_table_diff "$1" "$2" "$3" "$4"
	return 1
}

# user_tables CONNINFO [schema-regex] -> "schema table" lines
user_tables() {
	psql -X -q -At -F' ' -v ON_ERROR_STOP=1 -d "$1" -c "
		SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r','p') AND n.nspname !~ '^(pg_|information_schema$|dbo$)'
		  AND n.nspname ~ '${2:-.}' ORDER BY 1, 2"
}

# table_digests CONNINFO < "schema table cols" lines -> "schema.table rows md5"
# lines, all tables in one psql session; a table that cannot be read is left out.
table_digests() {
	local s t cols
	while read -r s t cols; do
		printf "SELECT '%s.%s', count(*), md5(coalesce(string_agg(x, E'\\\\n' ORDER BY x), '')) FROM (SELECT ROW(%s)::text AS x FROM \"%s\".\"%s\") r;\n" \
			"$s" "$t" "$cols" "$s" "$t"
	done | psql -X -q -At -F' ' -v ON_ERROR_STOP=0 -d "$1" 2>/dev/null
}

# compare_all SRC DST [schema-regex] -> 0 when every table matches; prints a
# line per table: "schema.table source_rows target_rows ok|DIFF"
compare_all() {
	local spec a b rc=0 name an ad bn bd
	spec=$(psql -X -q -At -F' ' -v ON_ERROR_STOP=1 -d "$1" -c "
		SELECT n.nspname, c.relname, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE c.relkind IN ('r','p') AND n.nspname !~ '^(pg_|information_schema$|dbo$)'
		  AND n.nspname ~ '${3:-.}'
		GROUP BY 1, 2 ORDER BY 1, 2") || return 1
	a=$(table_digests "$1" <<<"$spec")
	b=$(table_digests "$2" <<<"$spec")
	while read -r name an ad; do
		read -r bn bd < <(awk -v n="$name" '$1 == n { print $2, $3 }' <<<"$b")
		if [ -n "${bd:-}" ] && [ "$ad" = "$bd" ]; then
			printf '%-45s %9s %9s  ok\n' "$name" "$an" "$bn"
		else
			printf '%-45s %9s %9s  DIFF\n' "$name" "$an" "${bn:-missing}"
			rc=1
		fi
		bn= bd=
	done <<<"$a"
	[ -n "$a" ] || rc=1
	return $rc
}
