#!/bin/bash
# tds-peer-bulk.sh — the TDS test peer takes db-lib's bcp exactly as
# FreeTDS 1.3 sends it (FMTONLY metadata query, insert bulk, BULK_LOAD with
# PLP values) into a #temp table; rows moved to a real table compare value
# for value with what the client sent. Also bigint/tinyint/decimal/float/
# date/time/datetime2/datetimeoffset/uniqueidentifier/varbinary/binary(4)
# (a shorter value padded with zero bytes, as SQL Server pads it, by the
# binary COPY and the text one alike), and the refusal of nvarchar data
# that is not UTF-16LE.
set -u
. "$(dirname "$0")/../lib/pg.sh"

needs tsql
[ -x "$BIN/peers/tds-server" ] || fail "$BIN/peers/tds-server not built"
[ -x "$BIN/peers/bcp-probe" ] || fail "$BIN/peers/bcp-probe not built"

pg_start
tds_start
# --- bcp through db-lib into a #temp table, then moved for comparison ---
tds_sql "CREATE TABLE [dbo].[bcp_dest] ([__seq] bigint NOT NULL, [__op] nchar(1) NOT NULL, [txt] nvarchar(max) NULL, [__u_txt] bit NULL, [n] int NULL, [code] nvarchar(20) NULL)" >/dev/null ||
	fail "CREATE TABLE bcp_dest"
out=$("$BIN/peers/bcp-probe" --server "$TDS_HOST:$TDS_PORT" --database "$TDS_DB" --rows 3000 \
	--expect "$TEST_TMP/bcp.expect" --then "INSERT INTO [dbo].[bcp_dest] SELECT * FROM #dbrepl_s1") ||
	fail "bcp-probe: $out"
[ "$out" = "copied 3000" ] || fail "bcp-probe: $out"
tq "COPY (SELECT * FROM dbo.bcp_dest ORDER BY 1) TO STDOUT" >"$TEST_TMP/bcp.got"
cmp -s "$TEST_TMP/bcp.got" "$TEST_TMP/bcp.expect" || fail "bcp rows differ from what was sent"
# bcp of other types (db-lib converts text to the server's types); #typed's
# [bn] is binary(4), padded by the bulk load itself (dbo.typed's varbinary
# keeps the bytes it is given)
tds_sql "CREATE TABLE [dbo].[typed] ([k] int NOT NULL, [t8] tinyint NULL, [d] decimal(18,4) NULL, [f] float NULL, [dt] datetime2(6) NULL, [dd] date NULL, [g] uniqueidentifier NULL, [tm] time(3) NULL, [dto] datetimeoffset(3) NULL, [big] bigint NULL, [vb] varbinary(max) NULL, [bn] varbinary(max) NULL)" >/dev/null ||
	fail "CREATE TABLE typed"
out=$("$BIN/peers/bcp-probe" --server "$TDS_HOST:$TDS_PORT" --database "$TDS_DB" --typed \
	--then "INSERT INTO [dbo].[typed] SELECT * FROM #typed") || fail "bcp-probe --typed: $out"
got=$(PGTZ=UTC tq "COPY (SELECT k, t8, d, f, dt, dd, g, tm, dto, big, length(vb), md5(vb), encode(bn, 'hex') FROM dbo.typed ORDER BY k) TO STDOUT")
want=$(printf '%s\n' \
	'1	0	0.0001	0.1	2024-02-29 13:14:15.123456	2024-02-29	6f9619ff-8b86-d011-b42d-00c04fc964ff	23:59:59.999	2024-01-01 12:00:00.123+00	-9223372036854775808	256	e2c865db4162bed963bfaa9ef6ac18f0	01000000' \
	'2	255	-12345678901234.5678	-2.5	1900-01-01 00:00:00.000001	2000-02-29	00000000-0000-0000-0000-000000000001	00:00:00	9999-12-31 23:59:59.999+00	9223372036854775807	1	93b885adfe0da089cdf634904fd59f71	01020304' \
	'3	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N')
[ "$got" = "$want" ] || fail "bcp --typed, PostgreSQL has:
$got
want:
$want"
# the same load with an xml column beside (xml has no binary form in the
# peer: the whole load goes as COPY text): binary(4) is padded on that path
# too, 0x01 arriving as 0x01000000
tds_sql "CREATE TABLE [dbo].[typed_t] ([k] int NOT NULL, [bn] varbinary(max) NULL, [x] xml NULL)" >/dev/null ||
	fail "CREATE TABLE typed_t"
out=$("$BIN/peers/bcp-probe" --server "$TDS_HOST:$TDS_PORT" --database "$TDS_DB" --typed --text-copy \
	--then "INSERT INTO [dbo].[typed_t] SELECT [k], [bn], [x] FROM #typed") || fail "bcp-probe --typed --text-copy: $out"
grep -qE 'bulk: COPY "#typed" \(.*"bn", "x"\) FROM STDIN$' "$TDS_LOG" || fail "the --text-copy load did not go as COPY text: $(grep "bulk: COPY" "$TDS_LOG")"
got=$(tq "COPY (SELECT k, encode(bn, 'hex'), x FROM dbo.typed_t ORDER BY k) TO STDOUT")
want=$(printf '%s\n' '1	01000000	<a>1</a>' '2	01020304	<a>1</a>' '3	\N	\N')
[ "$got" = "$want" ] || fail "bcp --typed --text-copy, PostgreSQL has:
$got
want:
$want"
# nvarchar bulk data is UTF-16LE, as SQL Server reads it: FreeTDS passes
# UTF-8 bound with SYBCHAR through unconverted, and an odd length is refused
err=$("$BIN/peers/bcp-probe" --server "$TDS_HOST:$TDS_PORT" --database "$TDS_DB" --rows 5 --utf8 2>&1) &&
	fail "bcp of raw UTF-8 into nchar/nvarchar accepted: $err"
grep -q "Msg 4815 " <<<"$err" || fail "bcp of raw UTF-8: want Msg 4815, got: $err"

# --- a bulk load that keeps the values sent for an IDENTITY column
# (KEEPIDENTITY: the peer's COPY, run with session_replication_role =
# replica when the load checks no constraints) moves the current identity
# value past them, as an INSERT under IDENTITY_INSERT does: the next
# generated value follows the largest. db-lib cannot send the hint
# (FreeTDS 1.3 knows no KEEPIDENTITY among its bcp hints), so the peer's
# COPY is run here as bulk.c runs it. ---
tds_sql "CREATE TABLE [dbo].[bid] ([id] bigint IDENTITY(1,1) NOT NULL, [v] nvarchar(10) NULL,
	CONSTRAINT [PK_bid] PRIMARY KEY ([id]))" >/dev/null || fail "CREATE TABLE bid"
printf '500\ta\n700\tb\n' | psql -X -q -v ON_ERROR_STOP=1 -d "$TDS_DB" \
	-c "SET session_replication_role = replica" -c "COPY dbo.bid (id, v) FROM STDIN" || fail "COPY into bid"
tds_sql "INSERT INTO [dbo].[bid] ([v]) VALUES (N'c')" >/dev/null || fail "a generated value after the kept ones"
[ "$(tq "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM dbo.bid")" = "500=a,700=b,701=c" ] ||
	fail "identity after a bulk load with KEEPIDENTITY: $(tq "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM dbo.bid")"

tds_stop
echo "ok"
