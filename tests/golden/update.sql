SET XACT_ABORT ON; SET NOCOUNT ON; SET ANSI_NULLS ON; SET QUOTED_IDENTIFIER ON; SET ANSI_WARNINGS ON; SET ARITHABORT ON; SET CONCAT_NULL_YIELDS_NULL ON; SET ANSI_PADDING ON; SET TEXTSIZE 2147483647; SET DATEFORMAT ymd;
GO
SELECT [collation_name] FROM sys.databases WHERE [name] = DB_NAME();
GO
SELECT [COLUMN_NAME], [DATA_TYPE] FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_SCHEMA] = N'dbo' AND [TABLE_NAME] = N'dbrepl_checkpoint' ORDER BY [ORDINAL_POSITION];
GO
CREATE TABLE [dbo].[dbrepl_checkpoint] ([stream] nvarchar(450) COLLATE Latin1_General_BIN2 NOT NULL, [offset] nvarchar(100) NOT NULL, [updated_at] datetime2(6) NOT NULL, CONSTRAINT [PK_dbrepl_checkpoint] PRIMARY KEY ([stream]));
GO
SELECT [stream], [offset] FROM [dbo].[dbrepl_checkpoint];
GO
SELECT [COLUMN_NAME], [DATA_TYPE], [CHARACTER_MAXIMUM_LENGTH], [NUMERIC_PRECISION], [NUMERIC_SCALE], COLUMNPROPERTY(OBJECT_ID(N'[dbo].[customer]'), [COLUMN_NAME], N'IsIdentity'), [DATETIME_PRECISION], [COLLATION_NAME], [TABLE_SCHEMA], [TABLE_NAME] FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_SCHEMA] = N'dbo' AND [TABLE_NAME] = N'customer' ORDER BY [ORDINAL_POSITION];
GO
CREATE TABLE #dbrepl_s1 ([__seq] bigint NOT NULL, [__op] nchar(1) NOT NULL, [c1] int NULL, [c2] nvarchar(80) COLLATE DATABASE_DEFAULT NULL, [u2] tinyint NULL, [c3] nvarchar(max) COLLATE DATABASE_DEFAULT NULL, [u3] tinyint NULL, [c4] decimal(12,2) NULL, [u4] tinyint NULL, [c5] bit NULL, [c6] datetimeoffset(6) NULL, INDEX [k] CLUSTERED ([c1]));
GO
INSERT INTO #dbrepl_s1 ([__seq], [__op], [c1], [c2], [u2], [c3], [u3], [c4], [u4], [c5], [c6]) VALUES (1, N'u', N'1', N'O''Brien', NULL, N'changed', NULL, N'11.00', NULL, N'1', N'2026-11-25T09:59:00.123456Z'), (2, N'd', N'2', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), (2, N'u', N'3', N'renumbered', NULL, N'x', NULL, N'0.00', NULL, N'1', N'2026-01-01T00:00:00.000000Z');
GO
EXEC sp_executesql N'BEGIN TRANSACTION;
MERGE INTO [dbo].[dbrepl_checkpoint] WITH (HOLDLOCK) AS t
USING (VALUES (@s1, @o1, @major1, @minor1)) AS s ([stream], [offset], [major], [minor])
ON t.[stream] = s.[stream]
WHEN MATCHED AND SIGN(s.[major] - CASE WHEN CHARINDEX(N''/'', t.[offset]) = 0 THEN CAST(t.[offset] AS decimal(20,0)) ELSE CONVERT(bigint, CONVERT(binary(8), CAST(CONCAT(RIGHT(CONCAT(N''0000000'', LEFT(t.[offset], CHARINDEX(N''/'', t.[offset]) - 1)), 8), RIGHT(CONCAT(N''0000000'', SUBSTRING(t.[offset], CHARINDEX(N''/'', t.[offset]) + 1, CHARINDEX(N'':'', t.[offset]) - CHARINDEX(N''/'', t.[offset]) - 1)), 8)) AS varchar(16)), 2)) END) * 2 + SIGN(s.[minor] - CASE WHEN CHARINDEX(N'':'', t.[offset]) = 0 THEN 0 ELSE CAST(SUBSTRING(t.[offset], CHARINDEX(N'':'', t.[offset]) + 1, 20) AS decimal(20,0)) END) > 0 THEN UPDATE SET [offset] = s.[offset], [updated_at] = SYSUTCDATETIME()
WHEN NOT MATCHED THEN INSERT ([stream], [offset], [updated_at]) VALUES (s.[stream], s.[offset], SYSUTCDATETIME());
IF @@ROWCOUNT <> 1 THROW 50001, N''dbrepl: a stream of this batch is already applied this far or further (by another mssql-apply)'', 1;
DELETE FROM [dbo].[customer] WHERE EXISTS (SELECT 1 FROM #dbrepl_s1 AS s WHERE s.[__op] = N''d'' AND [dbo].[customer].[id] = s.[c1]);
MERGE INTO [dbo].[customer] WITH (HOLDLOCK) AS t
USING (SELECT s.[c1] AS [c1], CASE WHEN s.[u2] = 2 THEN N'''' ELSE s.[c2] END AS [c2], s.[u2] AS [u2], CASE WHEN s.[u3] = 2 THEN N'''' ELSE s.[c3] END AS [c3], s.[u3] AS [u3], s.[c4] AS [c4], s.[u4] AS [u4], s.[c5] AS [c5], s.[c6] AS [c6] FROM #dbrepl_s1 AS s WHERE s.[__op] <> N''d'') AS s
ON t.[id] = s.[c1]
WHEN MATCHED THEN UPDATE SET [name] = CASE WHEN s.[u2] = 1 THEN t.[name] ELSE s.[c2] END, [note] = CASE WHEN s.[u3] = 1 THEN t.[note] ELSE s.[c3] END, [balance] = CASE WHEN s.[u4] = 1 THEN t.[balance] ELSE s.[c4] END, [active] = s.[c5], [since] = s.[c6]
WHEN NOT MATCHED THEN INSERT ([id], [name], [note], [balance], [active], [since]) VALUES (s.[c1], s.[c2], s.[c3], s.[c4], s.[c5], s.[c6]);
COMMIT TRANSACTION;
TRUNCATE TABLE #dbrepl_s1;',
  N'@s1 nvarchar(450), @o1 nvarchar(100), @major1 bigint, @minor1 bigint',
  @s1 = N'pg/shop/dbrepl',
  @o1 = N'0/16B3740:1',
  @major1 = 23803712,
  @minor1 = 1;
GO
