#!/bin/bash
# tds-peer-collation.sh — the TDS peer refuses collation conflicts when SQL
# Server does: at compile time, before a row is read (Collation Precedence,
# https://learn.microsoft.com/en-us/sql/t-sql/statements/collation-precedence-transact-sql).
# A column reference is "Implicit X" (its column's collation), a literal
# or variable "Coercible-default", `x COLLATE c` "Explicit c";
# "Implicit X + Implicit Y = No-collation". Comparison operators are
# collation sensitive ("specifying a No-collation operand is a
# compile-time error": 468); CASE is not, but a No-collation result
# "cannot appear in the select list" (451); assignment is insensitive ("the
# right expression is cast to the left collation"). All on empty tables:
# PostgreSQL, which the peer runs on, would only fail on a row.
set -u
. "$(dirname "$0")/../lib/pg.sh"

needs tsql
[ -x "$BIN/peers/tds-server" ] || fail "$BIN/peers/tds-server not built"

pg_start
# the database's collation is not the server's (tempdb's), as in
# mssql-apply-fidelity.sh's dbcoll section
tds_start --collation Latin1_General_CS_AS

# expect_error NUMBER STATE "T-SQL" [TEXT]: the batch fails with SQL Server's
# error NUMBER and STATE (and message TEXT when given)
expect_error() {
	local err
	if err=$(tds_sql "$3" 2>&1 >/dev/null); then
		fail "no error $1 from: $3"
	fi
	grep -q "^Msg $1 (severity 16, state $2)" <<<"$err" || fail "want Msg $1 state $2 from: $3; got: $err"
	[ -z "${4:-}" ] || grep -qF "$4" <<<"$err" || fail "want \"$4\" from: $3; got: $err"
}
ok() { tds_sql "$1" >/dev/null || fail "refused: $1"; }

ok "CREATE TABLE [dbo].[a] ([id] int NOT NULL, [k] nvarchar(20) COLLATE Latin1_General_100_BIN2 NOT NULL,
  [v] nvarchar(20) NULL, [w] nvarchar(max) COLLATE SQL_Latin1_General_CP1_CI_AS NULL, CONSTRAINT [PK_a] PRIMARY KEY ([k]))"
ok "CREATE TABLE [dbo].[b] ([id] int NOT NULL, [k] nvarchar(20) COLLATE Latin1_General_100_BIN2 NOT NULL,
  [v] nvarchar(20) COLLATE Latin1_General_CS_AS NULL, [x] nvarchar(20) COLLATE SQL_Latin1_General_CP1_CI_AS NULL,
  CONSTRAINT [PK_b] PRIMARY KEY ([k]))"
[ "$(tq "SELECT count(*) FROM dbo.a") $(tq "SELECT count(*) FROM dbo.b")" = "0 0" ] || fail "tables not empty"

note "468: = across two implicit collations, tables empty"
expect_error 468 9 "SELECT a.[id] FROM [dbo].[a] AS a JOIN [dbo].[b] AS b ON a.[v] = b.[x]" \
	'Cannot resolve the collation conflict between "SQL_Latin1_General_CP1_CI_AS" and "Latin1_General_CS_AS" in the equal to operation.'
expect_error 468 9 "SELECT a.[id] FROM [dbo].[a] AS a, [dbo].[b] AS b WHERE a.[w] = b.[v]"
expect_error 468 9 "SELECT b.[id] FROM [dbo].[b] AS b WHERE b.[v] <> b.[x]" "in the not equal to operation"
expect_error 468 9 "DELETE FROM [dbo].[a] WHERE EXISTS (SELECT 1 FROM [dbo].[b] AS b WHERE b.[x] = [dbo].[a].[v])"
# a #temp table's column without COLLATE is tempdb's (the server's)
expect_error 468 9 "CREATE TABLE #s ([k] nvarchar(20) NOT NULL, [v] nvarchar(20) NULL);
MERGE INTO [dbo].[b] WITH (HOLDLOCK) AS t USING (SELECT s.[k] AS [k], s.[v] AS [v] FROM #s AS s) AS s ON t.[k] = s.[k]
WHEN MATCHED THEN UPDATE SET [v] = s.[v] WHEN NOT MATCHED THEN INSERT ([id], [k], [v]) VALUES (1, s.[k], s.[v]);" \
	'between "SQL_Latin1_General_CP1_CI_AS" and "Latin1_General_100_BIN2"'
# inside a transaction: refused before the statements before it are
# sent together, and the transaction rolled back as for any error
expect_error 468 9 "BEGIN TRANSACTION; INSERT INTO [dbo].[a] ([id], [k]) VALUES (1, N'q');
DELETE FROM [dbo].[a] WHERE [id] = 7; SELECT a.[id] FROM [dbo].[a] AS a JOIN [dbo].[b] AS b ON a.[v] = b.[x]; COMMIT TRANSACTION"
[ "$(tq "SELECT count(*) FROM dbo.a")" = 0 ] || fail "the transaction was not rolled back"

# BEGIN, one MERGE, COMMIT: the MERGE and the COMMIT go to PostgreSQL
# together (README), checked all the same; the first batch into an empty
# table, as mssql-apply's
expect_error 468 9 "CREATE TABLE #t ([k] nvarchar(20) NOT NULL, [v] nvarchar(20) NULL); BEGIN TRANSACTION;
MERGE INTO [dbo].[b] WITH (HOLDLOCK) AS t USING (SELECT s.[k] AS [k], s.[v] AS [v] FROM #t AS s) AS s ON t.[k] = s.[k]
WHEN NOT MATCHED THEN INSERT ([id], [k], [v]) VALUES (1, s.[k], s.[v]); COMMIT TRANSACTION"
# a derived table passes its column's label on: an output column of two
# collations through it is 451
expect_error 451 1 "SELECT d.[c] FROM (SELECT CASE WHEN a.[id] = 1 THEN a.[v] ELSE a.[w] END AS [c] FROM [dbo].[a] AS a) AS d" \
	"in CASE operator occurring in SELECT statement column 1."

note "no conflict: COLLATE on one side, same collation, literals, variables, non-strings"
ok "SELECT a.[id] FROM [dbo].[a] AS a JOIN [dbo].[b] AS b ON a.[v] = b.[x] COLLATE Latin1_General_CS_AS"
ok "SELECT a.[id] FROM [dbo].[a] AS a JOIN [dbo].[b] AS b ON a.[v] COLLATE Latin1_General_100_BIN2 = b.[x]"
ok "SELECT a.[id] FROM [dbo].[a] AS a JOIN [dbo].[b] AS b ON a.[k] = b.[k] AND a.[v] = b.[v] AND a.[w] = b.[x]"
ok "SELECT a.[id] FROM [dbo].[a] AS a WHERE a.[v] = N'x' AND a.[w] = N'y' AND a.[k] <> N'' AND a.[id] = 3"
ok "EXEC sp_executesql N'SELECT a.[id] FROM [dbo].[a] AS a WHERE a.[w] = @p', N'@p nvarchar(10)', @p = N'z'"
ok "SELECT a.[id] FROM [dbo].[a] AS a JOIN [dbo].[b] AS b ON a.[id] = b.[id] AND DATALENGTH(a.[v]) = DATALENGTH(b.[x])"
ok "CREATE TABLE #s ([k] nvarchar(20) COLLATE Latin1_General_100_BIN2 NOT NULL, [v] nvarchar(20) COLLATE DATABASE_DEFAULT NULL);
MERGE INTO [dbo].[b] WITH (HOLDLOCK) AS t USING (SELECT s.[k] AS [k], s.[v] AS [v] FROM #s AS s) AS s ON t.[k] = s.[k]
WHEN MATCHED THEN UPDATE SET [v] = s.[v] WHEN NOT MATCHED THEN INSERT ([id], [k], [v]) VALUES (1, s.[k], s.[v]);"

note "451: a CASE of two collations in the select list; not when COLLATE resolves it, nor assigned"
expect_error 451 1 "SELECT a.[id], CASE WHEN a.[id] > 10 THEN a.[v] ELSE b.[x] END FROM [dbo].[a] AS a JOIN [dbo].[b] AS b ON a.[id] = b.[id]" \
	'Cannot resolve collation conflict between "SQL_Latin1_General_CP1_CI_AS" and "Latin1_General_CS_AS" in CASE operator occurring in SELECT statement column 2.'
# compared (a collation-sensitive operator), a No-collation CASE is the
# page's "Cannot resolve collation conflict for … operation." (446)
expect_error 446 9 "SELECT a.[id] FROM [dbo].[a] AS a JOIN [dbo].[b] AS b ON a.[id] = b.[id] WHERE CASE WHEN a.[id] > 10 THEN a.[v] ELSE b.[x] END = a.[k]"
ok "SELECT (CASE WHEN a.[id] > 10 THEN a.[v] ELSE b.[x] END) COLLATE Latin1_General_CI_AS FROM [dbo].[a] AS a JOIN [dbo].[b] AS b ON a.[id] = b.[id]"
ok "SELECT CASE WHEN a.[id] > 10 THEN a.[v] ELSE b.[x] COLLATE Latin1_General_CS_AS END FROM [dbo].[a] AS a JOIN [dbo].[b] AS b ON a.[id] = b.[id]"
ok "SELECT CASE WHEN a.[id] > 10 THEN a.[v] ELSE b.[v] END, CASE WHEN a.[id] = 2 THEN N'' ELSE a.[w] END FROM [dbo].[a] AS a JOIN [dbo].[b] AS b ON a.[id] = b.[id]"
# "The assignment operator is collation insensitive": mssql-apply's UPDATE SET
ok "MERGE INTO [dbo].[b] WITH (HOLDLOCK) AS t USING (SELECT a.[k] AS [k], a.[w] AS [w] FROM [dbo].[a] AS a) AS s ON t.[k] = s.[k]
WHEN MATCHED THEN UPDATE SET [v] = CASE WHEN t.[id] = 1 THEN t.[v] ELSE s.[w] END;"
# and a derived table's CASE: its No-collation meets = in the ON (446)
expect_error 446 9 "MERGE INTO [dbo].[b] WITH (HOLDLOCK) AS t USING (SELECT a.[k] AS [k], CASE WHEN a.[id] = 1 THEN a.[v] ELSE a.[w] END AS [w] FROM [dbo].[a] AS a) AS s ON t.[k] = s.[k] AND t.[v] = s.[w]
WHEN MATCHED THEN UPDATE SET [x] = s.[w];"

note "the peer still runs what it accepts"
ok "INSERT INTO [dbo].[a] ([id], [k], [v], [w]) VALUES (1, N'one', N'V', N'W')"
ok "INSERT INTO [dbo].[b] ([id], [k], [v], [x]) VALUES (1, N'one', N'V', N'w')"
[ "$(tds_sql "SELECT a.[id] FROM [dbo].[a] AS a JOIN [dbo].[b] AS b ON a.[w] = b.[x] COLLATE SQL_Latin1_General_CP1_CI_AS")" = 1 ] ||
	fail "the CI join found no row"
[ -z "$(tds_sql "SELECT a.[id] FROM [dbo].[a] AS a JOIN [dbo].[b] AS b ON a.[w] COLLATE Latin1_General_CS_AS = b.[x]")" ] ||
	fail "the CS join found a row"
echo "ok"
