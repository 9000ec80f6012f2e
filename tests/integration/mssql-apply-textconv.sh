#!/usr/bin/env bash
# A text source column into an existing target column of another type
# (a user-created target: PostgreSQL text, SQL Server int, float, money,
# bit, datetime, datetime2(0)). SQL Server converts a string assigned to
# such a column silently where it can: '' is 0 (1900-01-01 for the dates),
# blanks around a number are ignored, money rounds to 4 decimals, bit takes
# any number as 1, datetime rounds to 1/300 s and datetime2(0) to the
# second (tests/golden/README.md cites the pages). First the peer is shown
# to convert as SQL Server does (so this test can fail), in MERGE and in
# INSERT … VALUES (as many values as mssql-apply stages), then mssql-apply
# must refuse each such record by name (exit 65; with --dead-letter, the
# record dead-lettered) leaving the target unchanged, while texts in the
# column type's exact form arrive value for value. Strings into text and
# varchar columns of such a target keep their trailing blanks, as nvarchar
# keeps them. datetime and smalldatetime read at most three
# fractional-second digits from a string (the peer refuses a fourth, as
# SQL Server does, 241): a text with zeros beyond the third arrives, by
# every path. Last, a session whose language orders dates day first
# (British): mssql-apply's dates still arrive as they left.
set -u
source "$(dirname "$0")/../lib/pg.sh"
needs peers/tds-server
pg_start
tds_start
export MSSQL_PASSWORD=unused

# ---- the peer converts a string as SQL Server does: in a CASE with a
# column of another type (data type precedence) and on assignment
tds_sql "CREATE TABLE [public].[pc] ([id] int NOT NULL, [i] int NULL, [f] float NULL, [m] money NULL,
  [b] bit NULL, [dt] datetime NULL, [sd] smalldatetime NULL, [d2] datetime2(0) NULL, [n] decimal(10,2) NULL,
  CONSTRAINT [PK_pc] PRIMARY KEY ([id]))" >/dev/null || fail "CREATE TABLE pc"
peer_merge() { # id i f m b dt sd d2 n (T-SQL literals)
	tds_sql "CREATE TABLE #s ([id] int NOT NULL, [u] tinyint NULL, [i] nvarchar(max) NULL, [f] nvarchar(max) NULL,
  [m] nvarchar(max) NULL, [b] nvarchar(max) NULL, [dt] nvarchar(max) NULL, [sd] nvarchar(max) NULL,
  [d2] nvarchar(max) NULL, [n] nvarchar(max) NULL);
INSERT INTO #s ([id], [u], [i], [f], [m], [b], [dt], [sd], [d2], [n]) VALUES ($1, NULL, $2, $3, $4, $5, $6, $7, $8, $9);
MERGE INTO [public].[pc] WITH (HOLDLOCK) AS t USING (SELECT s.[id] AS [id], s.[u] AS [u], s.[i] AS [i], s.[f] AS [f],
  s.[m] AS [m], s.[b] AS [b], s.[dt] AS [dt], s.[sd] AS [sd], s.[d2] AS [d2], s.[n] AS [n] FROM #s AS s) AS s
ON t.[id] = s.[id]
WHEN MATCHED THEN UPDATE SET [i] = CASE WHEN s.[u] = 1 THEN t.[i] ELSE s.[i] END,
  [f] = CASE WHEN s.[u] = 1 THEN t.[f] ELSE s.[f] END, [m] = CASE WHEN s.[u] = 1 THEN t.[m] ELSE s.[m] END,
  [b] = CASE WHEN s.[u] = 1 THEN t.[b] ELSE s.[b] END, [dt] = CASE WHEN s.[u] = 1 THEN t.[dt] ELSE s.[dt] END,
  [sd] = CASE WHEN s.[u] = 1 THEN t.[sd] ELSE s.[sd] END, [d2] = CASE WHEN s.[u] = 1 THEN t.[d2] ELSE s.[d2] END,
  [n] = CASE WHEN s.[u] = 1 THEN t.[n] ELSE s.[n] END
WHEN NOT MATCHED THEN INSERT ([id], [i], [f], [m], [b], [dt], [sd], [d2], [n])
  VALUES (s.[id], s.[i], s.[f], s.[m], s.[b], s.[dt], s.[sd], s.[d2], s.[n]);
DROP TABLE #s;"
}
prow() { tq "SELECT concat_ws('|', i, f, m, b, dt, sd, d2, n) FROM public.pc WHERE id = $1"; }
# inserted (MERGE's INSERT VALUES), then updated (UPDATE SET … CASE)
for id in 1 1; do
	peer_merge $id "N''" "N''" "N''" "N''" "N''" "N''" "N''" NULL >/dev/null || fail "peer: empty strings refused"
	got=$(prow 1)
	[ "$got" = "0|0|0.0000|f|1900-01-01 00:00:00|1900-01-01 00:00:00|1900-01-01 00:00:00" ] ||
		fail "peer: empty strings became '$got', want SQL Server's 0, 0, 0.0000, 0, 1900-01-01 three times"
done
peer_merge 2 "N' 5 '" "N' 1.5 '" "N'\$1,000.00005'" "N'2'" "N'2026-01-01 10:00:00.001'" \
	"N'2026-01-01 10:00:29.999'" "N'2026-01-01 10:00:00.5'" "N' 1.005 '" >/dev/null || fail "peer: conversions refused"
got=$(prow 2)
want="5|1.5|1000.0001|t|2026-01-01 10:00:00|2026-01-01 10:01:00|2026-01-01 10:00:01|1.01"
[ "$got" = "$want" ] || fail "peer: conversions gave '$got', want '$want'"
peer_merge 3 "N'2026-01-01 10:00:00.002'" NULL NULL NULL "N'2026-01-01 10:00:00.002'" NULL NULL NULL \
	>/dev/null 2>&1 && fail "peer: a timestamp into int converted"
for bad in "2|N'x'|245" "3|N'1e400'|8114" "4|N'abc'|235" "5|N't'|245" "6|N'2026-02-30'|242" "8|N'2026-02-30'|241" \
	"8|N'x'|241" "9|N''|8114" "2|N'99999999999'|248" "6|N'2026-01-01 10:00:00.0000'|241" \
	"6|N'2026-01-01T10:00:00.2500'|241" "7|N'2026-01-01 10:00:00.0000'|241"; do
	IFS='|' read -r col lit num <<<"$bad"
	args=(9 NULL NULL NULL NULL NULL NULL NULL NULL)
	args[$((col - 1))]=$lit
	err=$(peer_merge "${args[@]}" 2>&1 >/dev/null) && fail "peer: $lit into column $col was taken"
	grep -q "Msg $num " <<<"$err" || fail "peer: $lit into column $col: want Msg $num, got: $err"
done
got=$(tq "SELECT count(*) FROM public.pc WHERE id = 9")
[ "$got" = 0 ] || fail "peer: a refused row was stored"
dt=$(tq "SELECT dt FROM public.pc WHERE id = 3")
[ -z "$dt" ] || fail "peer: a refused row was stored (id 3)"
# the same in INSERT … VALUES (mssql-apply stages a batch's few rows so):
# each literal converts by SQL Server's rules, not PostgreSQL's input rules
# ('' into int is 0 there, an error here; '2' into bit is 1, '$1,000' money)
tds_sql "CREATE TABLE [public].[pv] ([id] int NOT NULL, [i] int NULL, [m] money NULL, [b] bit NULL,
  [dt] datetime NULL, [n] decimal(10,2) NULL, CONSTRAINT [PK_pv] PRIMARY KEY ([id]))" >/dev/null ||
	fail "CREATE TABLE pv"
tds_sql "INSERT INTO [public].[pv] ([id], [i], [m], [b], [dt], [n]) VALUES (1, N'', N'\$1,000.00005', N'2',
  N'2026-01-01 10:00:00.001', N' 1.005 '), (2, N' 7 ', NULL, N'TRUE', N'', NULL)" >/dev/null ||
	fail "peer: INSERT … VALUES of strings SQL Server converts refused"
got=$(tq "SELECT string_agg(concat_ws('|', id, i, m, b, dt, n), ' ' ORDER BY id) FROM public.pv")
want="1|0|1000.0001|t|2026-01-01 10:00:00|1.01 2|7|t|1900-01-01 00:00:00"
[ "$got" = "$want" ] || fail "peer: INSERT … VALUES gave '$got', want '$want'"
for bad in "i|N'x'|245" "b|N't'|245" "dt|N'2026-02-30'|242" "n|N''|8114" "dt|N'2026-01-01 10:00:00.000000'|241"; do
	IFS='|' read -r col lit num <<<"$bad"
	err=$(tds_sql "INSERT INTO [public].[pv] ([id], [$col]) VALUES (9, $lit)" 2>&1 >/dev/null) &&
		fail "peer: INSERT … VALUES of $lit into $col was taken"
	grep -q "Msg $num " <<<"$err" || fail "peer: INSERT … VALUES of $lit into $col: want Msg $num, got: $err"
done
# a statement of more values than the peer once wrapped (256): every one
# converts, the last row's as the first's
vals=$(seq 10 309 | awk -v q="'" '{ printf "%s(%d, N%s%s)", (NR > 1 ? ", " : ""), $1, q, q }')
tds_sql "INSERT INTO [public].[pv] ([id], [i]) VALUES $vals" >/dev/null ||
	fail "peer: 300 rows of INSERT … VALUES with '' into int refused"
got=$(tq "SELECT count(*) FILTER (WHERE i = 0) || '/' || count(*) FROM public.pv WHERE id >= 10")
[ "$got" = "300/300" ] || fail "peer: 300 rows of '' into int: $got of them 0, want 300/300"
# strings into text and varchar columns of a table made in PostgreSQL (not
# through the peer, whose string columns are bpchar): taken as they are
tq "CREATE TABLE public.pt (id integer PRIMARY KEY, t text, v varchar(10))"
for id in 1 1; do
	tds_sql "CREATE TABLE #s ([id] int NOT NULL, [u] tinyint NULL, [t] nvarchar(max) NULL, [v] nvarchar(max) NULL);
INSERT INTO #s ([id], [u], [t], [v]) VALUES ($id, NULL, N' a b  ', N'');
MERGE INTO [public].[pt] AS t USING (SELECT s.[id] AS [id], s.[u] AS [u], s.[t] AS [t], s.[v] AS [v] FROM #s AS s) AS s
ON t.[id] = s.[id]
WHEN MATCHED THEN UPDATE SET [t] = CASE WHEN s.[u] = 1 THEN t.[t] ELSE s.[t] END,
  [v] = CASE WHEN s.[u] = 2 THEN N'' ELSE s.[v] END
WHEN NOT MATCHED THEN INSERT ([id], [t], [v]) VALUES (s.[id], s.[t], s.[v]);
DROP TABLE #s;" >/dev/null || fail "peer: strings into text and varchar columns refused"
done
# (nvarchar keeps trailing blanks: so must the peer, whose staging columns
# are bpchar, which drops them when cast to text)
got=$(tq "SELECT format('%s|%s|%s', id, t, v) FROM public.pt")
[ "$got" = "1| a b  |" ] || fail "peer: strings into text and varchar columns gave '$got', want '1| a b  |'"

# ---- mssql-apply: the same strings, from text source columns
tds_sql "CREATE TABLE [public].[tx] ([id] int NOT NULL, [c] int NULL, [f] float NULL, [m] money NULL,
  [b] bit NULL, [dt] datetime NULL, [d2] datetime2(0) NULL, CONSTRAINT [PK_tx] PRIMARY KEY ([id]))" >/dev/null ||
	fail "CREATE TABLE tx"
n=0
rec() { # op id column value: one text column set, the others NULL
	n=$((n + 1))
	local after='"id":'$2 c
	for c in c f m b dt d2; do
		if [ "$c" = "$3" ]; then after+=',"'$c'":'$4; else after+=',"'$c'":null'; fi
	done
	printf '{"v":1,"op":"%s","db":"d","schema":"public","table":"tx","cols":[{"name":"id","type":"integer"},{"name":"c","type":"text"},{"name":"f","type":"text"},{"name":"m","type":"text"},{"name":"b","type":"text"},{"name":"dt","type":"text"},{"name":"d2","type":"text"}],"key":["id"],"after":{%s},"src":{"lsn":"0/%X","xid":%d,"ts":"2026-11-25T10:00:00.000000Z","seq":1},"pos":{"stream":"s/tx","offset":"0/%X:1"}}\n' \
		"$1" "$after" "$n" "$n" "$n"
}
apply() { "$BIN/mssql-apply" -S "$TDS_HOST:$TDS_PORT" -U sa -D target --no-progress "$@"; }
table() { tq "SELECT string_agg(concat_ws('|', id, c, f, m, b, dt, d2), ' ' ORDER BY id) FROM public.tx"; }

# exact forms arrive value for value (ids 1-6), one column each
{
	rec c 1 c '"5"'
	rec c 2 f '"1.5"'
	rec c 3 m '"-12.3400"'
	rec c 4 b '"1"'
	rec c 5 dt '"2026-01-01 10:00:00.25"'
	rec c 6 d2 '"2026-01-01 10:00:00"'
	rec c 7 b '"false"'
} >"$TEST_TMP/good.json"
apply <"$TEST_TMP/good.json" 2>"$TEST_TMP/good.err" || { cat "$TEST_TMP/good.err" >&2; fail "exact texts: exit $?"; }
want="1|5 2|1.5 3|-12.3400 4|t 5|2026-01-01 10:00:00.25 6|2026-01-01 10:00:00 7|f"
got=$(table)
[ "$got" = "$want" ] || fail "exact texts: target holds '$got', want '$want'"

# each silent conversion alone: exit 65 naming the column and the value,
# the target unchanged; as an insert (id 10) and as an update (ids 1-6,
# the MERGE's UPDATE SET … CASE)
bad=(
	'c|""|1' 'c|" 5 "|1' 'c|"5 "|1'
	'f|""|2' 'f|" 1.5"|2' 'f|"1.5 "|2'
	'm|""|3' 'm|"1.00005"|3' 'm|"$1,000.00"|3' 'm|" 12"|3'
	'b|""|4' 'b|"2"|4' 'b|" 1"|4' 'b|"-1"|4'
	'dt|""|5' 'dt|"2026-01-01 10:00:00.001"|5' 'dt|"2026-01-01 10:00:00.123456"|5' 'dt|" 2026-01-01"|5'
	'd2|"2026-01-01 10:00:00.5"|6' 'd2|""|6' 'd2|"2026-01-01 10:00:00 "|6'
)
k=0
for b in "${bad[@]}"; do
	IFS='|' read -r col val upd <<<"$b"
	for op in c u; do
		k=$((k + 1))
		id=$([ $op = c ] && echo 10 || echo "$upd")
		rec $op "$id" "$col" "$val" >"$TEST_TMP/bad$k.json"
		apply <"$TEST_TMP/bad$k.json" 2>"$TEST_TMP/bad$k.err"
		rc=$?
		[ $rc = 65 ] || { cat "$TEST_TMP/bad$k.err" >&2; fail "$col = $val (op $op): exit $rc, want 65"; }
		v=${val#\"}
		v=${v%\"}
		grep -qF "column $col" "$TEST_TMP/bad$k.err" && grep -qF "\"$v\"" "$TEST_TMP/bad$k.err" ||
			{ cat "$TEST_TMP/bad$k.err" >&2; fail "$col = $val (op $op): message does not name the column and value"; }
		got=$(table)
		[ "$got" = "$want" ] || fail "$col = $val (op $op): target now holds '$got', want '$want'"
	done
done

# uniqueidentifier reads the first 36 characters of a longer string: the
# peer does too, and mssql-apply refuses such a text; the 36 alone arrive
G=0e984725-c51c-4bf4-9960-e1c80e27aba0
tds_sql "CREATE TABLE [public].[tu] ([id] int NOT NULL, [g] uniqueidentifier NULL, CONSTRAINT [PK_tu] PRIMARY KEY ([id]));
CREATE TABLE #s ([id] int NOT NULL, [g] nvarchar(max) NULL);
INSERT INTO #s ([id], [g]) VALUES (9, N'${G}wrong');
MERGE INTO [public].[tu] AS t USING (SELECT s.[id] AS [id], s.[g] AS [g] FROM #s AS s) AS s ON t.[id] = s.[id]
WHEN NOT MATCHED THEN INSERT ([id], [g]) VALUES (s.[id], s.[g]);
DROP TABLE #s;" >/dev/null || fail "peer: a uuid text of 41 characters refused"
[ "$(tq "SELECT g FROM public.tu WHERE id = 9")" = "$G" ] || fail "peer: a uuid text of 41 characters was not cut to 36"
tq "DELETE FROM public.tu" >/dev/null
urec() { # op id g (a JSON value)
	printf '{"v":1,"op":"%s","db":"d","schema":"public","table":"tu","cols":[{"name":"id","type":"integer"},{"name":"g","type":"text"}],"key":["id"],"after":{"id":%s,"g":%s},"src":{"lsn":"0/1","xid":1,"ts":"2026-11-25T10:00:00.000000Z","seq":%s},"pos":{"stream":"s/tu","offset":"0/1:%s"}}\n' \
		"$1" "$2" "$3" "$2" "$2"
}
urec c 1 "\"$G\"" | apply 2>"$TEST_TMP/uuid.err" || { cat "$TEST_TMP/uuid.err" >&2; fail "a uuid text: exit $?"; }
urec c 2 "\"${G}wrong\"" | apply 2>"$TEST_TMP/uuidbad.err"
rc=$?
[ $rc = 65 ] && grep -qF "column g" "$TEST_TMP/uuidbad.err" ||
	{ cat "$TEST_TMP/uuidbad.err" >&2; fail "a uuid text of 41 characters: exit $rc, want 65 naming column g"; }
[ "$(tq "SELECT string_agg(id || '|' || g, ' ') FROM public.tu")" = "1|$G" ] ||
	fail "uuid: target holds '$(tq "SELECT string_agg(id || '|' || g, ' ') FROM public.tu")', want '1|$G'"

# snapshot rows into an empty target go by INSERT … SELECT, whose assigned
# values the peer converts as well: exact forms (a string literal such as
# the staging's N'' among them) arrive, '' into bit is refused by name
tds_sql "CREATE TABLE [public].[ts] ([id] int NOT NULL, [b] bit NULL, [c] int NULL, CONSTRAINT [PK_ts] PRIMARY KEY ([id]))" \
	>/dev/null || fail "CREATE TABLE ts"
srec() { # id b c (JSON values)
	printf '{"v":1,"op":"r","db":"d","schema":"public","table":"ts","cols":[{"name":"id","type":"integer"},{"name":"b","type":"text"},{"name":"c","type":"text"}],"key":["id"],"after":{"id":%s,"b":%s,"c":%s},"src":{"lsn":"0/1","xid":1,"ts":"2026-11-25T10:00:00.000000Z","seq":%s},"pos":{"stream":"snap/ts","offset":"%s"}}\n' \
		"$1" "$2" "$3" "$1" "$1"
}
{ srec 1 '"1"' '"5"'; srec 2 '"false"' '"-7"'; srec 3 '"0"' null; } | apply 2>"$TEST_TMP/snap.err"
rc=$?
[ $rc = 0 ] || { cat "$TEST_TMP/snap.err" >&2; fail "snapshot rows of exact texts: exit $rc"; }
got=$(tq "SELECT string_agg(concat_ws('|', id, b, c), ' ' ORDER BY id) FROM public.ts")
[ "$got" = "1|t|5 2|f|-7 3|f" ] || fail "snapshot rows: target holds '$got', want '1|t|5 2|f|-7 3|f'"
tq "DELETE FROM public.ts" >/dev/null
srec 4 '""' '"1"' | apply 2>"$TEST_TMP/snapbad.err"
rc=$?
[ $rc = 65 ] && grep -qF "column b" "$TEST_TMP/snapbad.err" ||
	{ cat "$TEST_TMP/snapbad.err" >&2; fail "snapshot row with '' into bit: exit $rc, want 65 naming column b"; }
[ "$(tq "SELECT count(*) FROM public.ts")" = 0 ] || fail "snapshot row with '' into bit: a row was stored"

# strings into text and varchar columns of a table made in PostgreSQL keep
# their blanks, leading and trailing: by MERGE (insert, update), by a bulk
# copy into the empty table, and through staging (a snapshot row with an
# empty string, which bcp cannot carry)
tq "CREATE TABLE public.tb (id integer PRIMARY KEY, t text, v varchar(10))" >/dev/null
brec() { # op id t v (JSON values) stream offset
	printf '{"v":1,"op":"%s","db":"d","schema":"public","table":"tb","cols":[{"name":"id","type":"integer"},{"name":"t","type":"text"},{"name":"v","type":"character varying(10)"}],"key":["id"],"after":{"id":%s,"t":%s,"v":%s},"src":{"lsn":"0/1","xid":1,"ts":"2026-11-25T10:00:00.000000Z","seq":%s},"pos":{"stream":"%s","offset":"%s"}}\n' \
		"$1" "$2" "$3" "$4" "$6" "$5" "$6"
}
blanks() { tq "SELECT string_agg(format('%s[%s][%s]', id, t, v), ' ' ORDER BY id) FROM public.tb"; }
{ brec r 1 '"a  "' '" b "' snap/tb 1; brec r 2 '""' '"c   "' snap/tb 2; } | apply 2>"$TEST_TMP/blank1.err" ||
	{ cat "$TEST_TMP/blank1.err" >&2; fail "blanks: snapshot rows refused"; }
got=$(blanks)
[ "$got" = "1[a  ][ b ] 2[][c   ]" ] || fail "blanks (snapshot): target holds '$got', want '1[a  ][ b ] 2[][c   ]'"
{ brec c 3 '"d "' '"  "' s/tb 1; brec u 1 '" e  "' '"f  "' s/tb 2; } | apply 2>"$TEST_TMP/blank2.err" ||
	{ cat "$TEST_TMP/blank2.err" >&2; fail "blanks: changes refused"; }
got=$(blanks)
[ "$got" = "1[ e  ][f  ] 2[][c   ] 3[d ][  ]" ] ||
	fail "blanks (MERGE): target holds '$got', want '1[ e  ][f  ] 2[][c   ] 3[d ][  ]'"

# --dead-letter: all of them in one run with good records; the bad ones
# dead-lettered, the good ones applied
{
	k=0
	for b in "${bad[@]}"; do
		IFS='|' read -r col val upd <<<"$b"
		k=$((k + 1))
		rec c $((100 + k)) "$col" "$val"
	done
	rec c 11 c '"-7"'
	rec u 2 f '"0.25"'
} >"$TEST_TMP/mixed.json"
apply --dead-letter "$TEST_TMP/dead.json" <"$TEST_TMP/mixed.json" 2>"$TEST_TMP/mixed.err"
rc=$?
[ $rc = 0 ] || { cat "$TEST_TMP/mixed.err" >&2; fail "--dead-letter: exit $rc, want 0"; }
[ "$(wc -l <"$TEST_TMP/dead.json")" = ${#bad[@]} ] ||
	fail "--dead-letter: $(wc -l <"$TEST_TMP/dead.json") dead letters, want ${#bad[@]}"
want="1|5 2|0.25 3|-12.3400 4|t 5|2026-01-01 10:00:00.25 6|2026-01-01 10:00:00 7|f 11|-7"
got=$(table)
[ "$got" = "$want" ] || fail "--dead-letter: target holds '$got', want '$want'"

# a bytea into an existing text column: SQL Server converts varbinary to
# nvarchar byte for byte (0x41004200 would read 'AB'): refused by name;
# --type-map bytea=nvarchar(max) writes PostgreSQL's text of it
tds_sql "CREATE TABLE [public].[bt] ([id] int NOT NULL, [b] nvarchar(100) NULL, CONSTRAINT [PK_bt] PRIMARY KEY ([id]))" \
	>/dev/null || fail "CREATE TABLE bt"
btrec() { # id b (a JSON string)
	printf '{"v":1,"op":"c","db":"d","schema":"public","table":"bt","cols":[{"name":"id","type":"integer"},{"name":"b","type":"bytea"}],"key":["id"],"after":{"id":%s,"b":%s},"src":{"lsn":"0/1","xid":1,"ts":"2026-11-25T10:00:00.000000Z","seq":%s},"pos":{"stream":"s/bt","offset":"0/1:%s"}}\n' \
		"$1" "$2" "$1" "$1"
}
btrec 1 '"\\x41004200"' | apply 2>"$TEST_TMP/bt.err"
rc=$?
[ $rc = 65 ] && grep -qF "column b" "$TEST_TMP/bt.err" ||
	{ cat "$TEST_TMP/bt.err" >&2; fail "a bytea into an nvarchar column: exit $rc, want 65 naming column b"; }
[ "$(tq "SELECT count(*) FROM public.bt")" = 0 ] || fail "a bytea into an nvarchar column was stored: $(tq "TABLE public.bt")"
btrec 2 '"\\x41004200"' | apply --type-map bytea=nvarchar\(max\) 2>"$TEST_TMP/bt2.err" ||
	{ cat "$TEST_TMP/bt2.err" >&2; fail "a bytea with --type-map bytea=nvarchar(max): exit $?"; }
got=$(tq "SELECT id || '|' || b FROM public.bt")
[ "$got" = '2|\x41004200' ] || fail "a bytea with --type-map bytea=nvarchar(max): target holds '$got', want '2|\x41004200'"

# ---- datetime and smalldatetime read at most three fractional-second
# digits from a string: a fourth, even a zero, is 241 (the peer's checks
# above). A text source's value with zeros beyond the third goes in with
# them left out: by INSERT … SELECT (snapshot rows into the empty table),
# by MERGE (insert, update; the ISO 8601 T form too), and from a staging
# table loaded by bulk copy (600 rows)
tds_sql "CREATE TABLE [public].[tf] ([id] int NOT NULL, [dt] datetime NULL, [sd] smalldatetime NULL,
  CONSTRAINT [PK_tf] PRIMARY KEY ([id]))" >/dev/null || fail "CREATE TABLE tf"
frec() { # op id dt sd (JSON values) stream offset
	printf '{"v":1,"op":"%s","db":"d","schema":"public","table":"tf","cols":[{"name":"id","type":"integer"},{"name":"dt","type":"text"},{"name":"sd","type":"text"}],"key":["id"],"after":{"id":%s,"dt":%s,"sd":%s},"src":{"lsn":"0/1","xid":1,"ts":"2026-11-25T10:00:00.000000Z","seq":%s},"pos":{"stream":"%s","offset":"%s"}}\n' \
		"$1" "$2" "$3" "$4" "$6" "$5" "$6"
}
# fapply WHAT WANT <FILE: applies the records in FILE (not from a pipe:
# fail must end this shell), then wants the table (ids below 1000) to be
# WANT
fapply() {
	apply 2>"$TEST_TMP/frac.err"
	local rc=$? got
	[ $rc = 0 ] || { cat "$TEST_TMP/frac.err" >&2; fail "fractional zeros ($1): exit $rc"; }
	got=$(tq "SELECT string_agg(concat_ws('|', id, dt, sd), ' ' ORDER BY id) FROM public.tf WHERE id < 1000")
	[ "$got" = "$2" ] || fail "fractional zeros ($1): target holds '$got', want '$2'"
}
{
	frec r 1 '"2026-01-01 10:00:00.250000"' '"2026-01-01 10:00:00.000000"' snap/tf 1
	frec r 2 '"2026-01-01 10:00:00.000000"' '"2026-01-01 10:01:00.000"' snap/tf 2
} >"$TEST_TMP/frac1.json"
fapply "snapshot rows" "1|2026-01-01 10:00:00.25|2026-01-01 10:00:00 2|2026-01-01 10:00:00|2026-01-01 10:01:00" <"$TEST_TMP/frac1.json"
{
	frec c 3 '"2026-01-01T10:00:00.500000"' '"2026-01-01 10:02:00.0000"' s/tf 1
	frec u 1 '"2026-01-01 10:00:00.120000"' '"2026-01-01 10:04:00.000000"' s/tf 2
} >"$TEST_TMP/frac2.json"
fapply MERGE "1|2026-01-01 10:00:00.12|2026-01-01 10:04:00 2|2026-01-01 10:00:00|2026-01-01 10:01:00 3|2026-01-01 10:00:00.5|2026-01-01 10:02:00" <"$TEST_TMP/frac2.json"
for ((i = 1000; i < 1600; i++)); do
	frec c $i '"2026-01-01 10:00:00.010000"' '"2026-01-01 10:03:00.000000"' s/tf $((i + 1000))
done | apply 2>"$TEST_TMP/frac3.err"
rc=$?
[ $rc = 0 ] || { cat "$TEST_TMP/frac3.err" >&2; fail "fractional zeros (600 rows by bulk copy): exit $rc"; }
got=$(tq "SELECT count(*) FILTER (WHERE dt = '2026-01-01 10:00:00.01' AND sd = '2026-01-01 10:03:00') || '/' ||
	count(*) FROM public.tf WHERE id >= 1000")
[ "$got" = "600/600" ] || fail "fractional zeros (600 rows by bulk copy): $got rows as sent, want 600/600"

# ---- a session whose language reads dates day first (British, which
# FreeTDS asks for where its locales.conf says so): datetime and
# smalldatetime read 'yyyy-mm-dd hh:mm:ss' as year, day, month. The peer
# shows it; mssql-apply's SET DATEFORMAT ymd keeps 2026-03-04 the 4th of
# March, and 2026-03-25 a date
tds_stop
tds_start --language British
tds_sql "CREATE TABLE [public].[dmy] ([id] int NOT NULL, [dt] datetime NULL, CONSTRAINT [PK_dmy] PRIMARY KEY ([id]));
INSERT INTO [public].[dmy] ([id], [dt]) VALUES (1, N'2026-03-04 10:00:00')" >/dev/null ||
	fail "peer (British): CREATE TABLE and INSERT of dmy"
got=$(tq "SELECT dt FROM public.dmy")
[ "$got" = "2026-04-03 10:00:00" ] || fail "peer (British): '2026-03-04 10:00:00' into datetime gave '$got', want 2026-04-03 (year, day, month)"
tq "DELETE FROM public.dmy" >/dev/null
drec() { # id dt (a JSON string)
	printf '{"v":1,"op":"c","db":"d","schema":"public","table":"dmy","cols":[{"name":"id","type":"integer"},{"name":"dt","type":"text"}],"key":["id"],"after":{"id":%s,"dt":%s},"src":{"lsn":"0/1","xid":1,"ts":"2026-11-25T10:00:00.000000Z","seq":%s},"pos":{"stream":"s/dmy","offset":"0/1:%s"}}\n' \
		"$1" "$2" "$1" "$1"
}
{ drec 1 '"2026-03-04 10:00:00"'; drec 2 '"2026-03-25 10:00:00"'; } | apply 2>"$TEST_TMP/dmy.err"
rc=$?
[ $rc = 0 ] || { cat "$TEST_TMP/dmy.err" >&2; fail "British session: exit $rc"; }
got=$(tq "SELECT string_agg(id || '|' || dt, ' ' ORDER BY id) FROM public.dmy")
[ "$got" = "1|2026-03-04 10:00:00 2|2026-03-25 10:00:00" ] ||
	fail "British session: target holds '$got', want '1|2026-03-04 10:00:00 2|2026-03-25 10:00:00'"
exit 0
