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
SELECT [COLUMN_NAME], [DATA_TYPE], [CHARACTER_MAXIMUM_LENGTH], [NUMERIC_PRECISION], [NUMERIC_SCALE], COLUMNPROPERTY(OBJECT_ID(N'[ops].[orders]'), [COLUMN_NAME], N'IsIdentity'), [DATETIME_PRECISION], [COLLATION_NAME], [TABLE_SCHEMA], [TABLE_NAME] FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_SCHEMA] = N'ops' AND [TABLE_NAME] = N'orders' ORDER BY [ORDINAL_POSITION];
GO
SELECT [SCHEMA_NAME] FROM INFORMATION_SCHEMA.SCHEMATA WHERE [SCHEMA_NAME] = N'ops';
GO
CREATE SCHEMA [ops];
GO
CREATE TABLE [ops].[orders] ([id] int NOT NULL, [a] nvarchar(max) NULL, CONSTRAINT [PK_orders] PRIMARY KEY ([id]));
GO
CREATE TABLE #dbrepl_s1 ([__seq] bigint NOT NULL, [__op] nchar(1) NOT NULL, [c1] int NULL, [c2] nvarchar(max) COLLATE DATABASE_DEFAULT NULL, [u2] tinyint NULL, INDEX [k] CLUSTERED ([c1]));
GO
INSERT INTO #dbrepl_s1 ([__seq], [__op], [c1], [c2], [u2]) VALUES (1, N'c', N'1', N'x', NULL);
GO
EXEC sp_executesql N'BEGIN TRANSACTION;
MERGE INTO [dbo].[dbrepl_checkpoint] WITH (HOLDLOCK) AS t
USING (VALUES (@s1, @o1, @major1, @minor1)) AS s ([stream], [offset], [major], [minor])
ON t.[stream] = s.[stream]
WHEN MATCHED AND SIGN(s.[major] - CASE WHEN CHARINDEX(N''/'', t.[offset]) = 0 THEN CAST(t.[offset] AS decimal(20,0)) ELSE CONVERT(bigint, CONVERT(binary(8), CAST(CONCAT(RIGHT(CONCAT(N''0000000'', LEFT(t.[offset], CHARINDEX(N''/'', t.[offset]) - 1)), 8), RIGHT(CONCAT(N''0000000'', SUBSTRING(t.[offset], CHARINDEX(N''/'', t.[offset]) + 1, CHARINDEX(N'':'', t.[offset]) - CHARINDEX(N''/'', t.[offset]) - 1)), 8)) AS varchar(16)), 2)) END) * 2 + SIGN(s.[minor] - CASE WHEN CHARINDEX(N'':'', t.[offset]) = 0 THEN 0 ELSE CAST(SUBSTRING(t.[offset], CHARINDEX(N'':'', t.[offset]) + 1, 20) AS decimal(20,0)) END) > 0 THEN UPDATE SET [offset] = s.[offset], [updated_at] = SYSUTCDATETIME()
WHEN NOT MATCHED THEN INSERT ([stream], [offset], [updated_at]) VALUES (s.[stream], s.[offset], SYSUTCDATETIME());
IF @@ROWCOUNT <> 1 THROW 50001, N''dbrepl: a stream of this batch is already applied this far or further (by another mssql-apply)'', 1;
MERGE INTO [ops].[orders] WITH (HOLDLOCK) AS t
USING (SELECT s.[c1] AS [c1], CASE WHEN s.[u2] = 2 THEN N'''' ELSE s.[c2] END AS [c2], s.[u2] AS [u2] FROM #dbrepl_s1 AS s WHERE s.[__op] <> N''d'') AS s
ON t.[id] = s.[c1]
WHEN MATCHED THEN UPDATE SET [a] = CASE WHEN s.[u2] = 1 THEN t.[a] ELSE s.[c2] END
WHEN NOT MATCHED THEN INSERT ([id], [a]) VALUES (s.[c1], s.[c2]);
COMMIT TRANSACTION;
TRUNCATE TABLE #dbrepl_s1;',
  N'@s1 nvarchar(450), @o1 nvarchar(100), @major1 bigint, @minor1 bigint',
  @s1 = N'pg/shop/dbrepl',
  @o1 = N'0/16B3800:1',
  @major1 = 23803904,
  @minor1 = 1;
GO
ALTER TABLE [ops].[orders] ADD [b] decimal(5,1) NULL;
GO
DROP TABLE #dbrepl_s1;
CREATE TABLE #dbrepl_s1 ([__seq] bigint NOT NULL, [__op] nchar(1) NOT NULL, [c1] int NULL, [c2] nvarchar(max) COLLATE DATABASE_DEFAULT NULL, [u2] tinyint NULL, [c3] decimal(5,1) NULL, [u3] tinyint NULL, INDEX [k] CLUSTERED ([c1]));
GO
INSERT INTO #dbrepl_s1 ([__seq], [__op], [c1], [c2], [u2], [c3], [u3]) VALUES (1, N'c', N'2', N'y', NULL, N'1.5', NULL);
GO
EXEC sp_executesql N'BEGIN TRANSACTION;
MERGE INTO [dbo].[dbrepl_checkpoint] WITH (HOLDLOCK) AS t
USING (VALUES (@s1, @o1, @major1, @minor1)) AS s ([stream], [offset], [major], [minor])
ON t.[stream] = s.[stream]
WHEN MATCHED AND SIGN(s.[major] - CASE WHEN CHARINDEX(N''/'', t.[offset]) = 0 THEN CAST(t.[offset] AS decimal(20,0)) ELSE CONVERT(bigint, CONVERT(binary(8), CAST(CONCAT(RIGHT(CONCAT(N''0000000'', LEFT(t.[offset], CHARINDEX(N''/'', t.[offset]) - 1)), 8), RIGHT(CONCAT(N''0000000'', SUBSTRING(t.[offset], CHARINDEX(N''/'', t.[offset]) + 1, CHARINDEX(N'':'', t.[offset]) - CHARINDEX(N''/'', t.[offset]) - 1)), 8)) AS varchar(16)), 2)) END) * 2 + SIGN(s.[minor] - CASE WHEN CHARINDEX(N'':'', t.[offset]) = 0 THEN 0 ELSE CAST(SUBSTRING(t.[offset], CHARINDEX(N'':'', t.[offset]) + 1, 20) AS decimal(20,0)) END) > 0 THEN UPDATE SET [offset] = s.[offset], [updated_at] = SYSUTCDATETIME()
WHEN NOT MATCHED THEN INSERT ([stream], [offset], [updated_at]) VALUES (s.[stream], s.[offset], SYSUTCDATETIME());
IF @@ROWCOUNT <> 1 THROW 50001, N''dbrepl: a stream of this batch is already applied this far or further (by another mssql-apply)'', 1;
MERGE INTO [ops].[orders] WITH (HOLDLOCK) AS t
USING (SELECT s.[c1] AS [c1], CASE WHEN s.[u2] = 2 THEN N'''' ELSE s.[c2] END AS [c2], s.[u2] AS [u2], s.[c3] AS [c3], s.[u3] AS [u3] FROM #dbrepl_s1 AS s WHERE s.[__op] <> N''d'') AS s
ON t.[id] = s.[c1]
WHEN MATCHED THEN UPDATE SET [a] = CASE WHEN s.[u2] = 1 THEN t.[a] ELSE s.[c2] END, [b] = CASE WHEN s.[u3] = 1 THEN t.[b] ELSE s.[c3] END
WHEN NOT MATCHED THEN INSERT ([id], [a], [b]) VALUES (s.[c1], s.[c2], s.[c3]);
COMMIT TRANSACTION;
TRUNCATE TABLE #dbrepl_s1;',
  N'@s1 nvarchar(450), @o1 nvarchar(100), @major1 bigint, @minor1 bigint',
  @s1 = N'pg/shop/dbrepl',
  @o1 = N'0/16B3810:1',
  @major1 = 23803920,
  @minor1 = 1;
GO
