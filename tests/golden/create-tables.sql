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
SELECT [COLUMN_NAME], [DATA_TYPE], [CHARACTER_MAXIMUM_LENGTH], [NUMERIC_PRECISION], [NUMERIC_SCALE], COLUMNPROPERTY(OBJECT_ID(N'[sales].[all]]types]'), [COLUMN_NAME], N'IsIdentity'), [DATETIME_PRECISION], [COLLATION_NAME], [TABLE_SCHEMA], [TABLE_NAME] FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_SCHEMA] = N'sales' AND [TABLE_NAME] = N'all]types' ORDER BY [ORDINAL_POSITION];
GO
SELECT [SCHEMA_NAME] FROM INFORMATION_SCHEMA.SCHEMATA WHERE [SCHEMA_NAME] = N'sales';
GO
CREATE SCHEMA [sales];
GO
CREATE TABLE [sales].[all]]types] ([id] bigint NOT NULL, [s] smallint NULL, [n] nvarchar(max) NULL, [f4] real NULL, [f8] float NULL, [d] date NULL, [t] time(6) NULL, [ts] datetime2(6) NULL, [tstz] datetimeoffset(3) NULL, [j] nvarchar(max) NULL, [iv] nvarchar(max) NULL, [arr] nvarchar(max) NULL, [c] nvarchar(4) COLLATE Latin1_General_100_BIN2 NOT NULL, [tag] nvarchar(20) NULL, [ip] nvarchar(max) NULL, CONSTRAINT [PK_all]]types] PRIMARY KEY ([id], [c]));
GO
SELECT [COLUMN_NAME], [DATA_TYPE], [CHARACTER_MAXIMUM_LENGTH], [NUMERIC_PRECISION], [NUMERIC_SCALE], COLUMNPROPERTY(OBJECT_ID(N'[sales].[tag_link]'), [COLUMN_NAME], N'IsIdentity'), [DATETIME_PRECISION], [COLLATION_NAME], [TABLE_SCHEMA], [TABLE_NAME] FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_SCHEMA] = N'sales' AND [TABLE_NAME] = N'tag_link' ORDER BY [ORDINAL_POSITION];
GO
SELECT [SCHEMA_NAME] FROM INFORMATION_SCHEMA.SCHEMATA WHERE [SCHEMA_NAME] = N'sales';
GO
CREATE SCHEMA [sales];
GO
CREATE TABLE [sales].[tag_link] ([tag] nvarchar(425) COLLATE Latin1_General_100_BIN2 NOT NULL, [target] nvarchar(425) COLLATE Latin1_General_100_BIN2 NOT NULL, [added] date NULL, CONSTRAINT [PK_tag_link] PRIMARY KEY NONCLUSTERED ([tag], [target]));
GO
SELECT p.[n], c.[n] FROM sys.foreign_keys AS fk JOIN (VALUES (0, OBJECT_ID(N'[sales].[all]]types]')), (1, OBJECT_ID(N'[sales].[tag_link]'))) AS p ([n], [id]) ON p.[id] = fk.[referenced_object_id] JOIN (VALUES (0, OBJECT_ID(N'[sales].[all]]types]')), (1, OBJECT_ID(N'[sales].[tag_link]'))) AS c ([n], [id]) ON c.[id] = fk.[parent_object_id] WHERE fk.[parent_object_id] <> fk.[referenced_object_id];
GO
BEGIN TRANSACTION;
SELECT CASE WHEN EXISTS (SELECT 1 FROM [sales].[all]]types] WITH (TABLOCKX, HOLDLOCK)) THEN 1 ELSE 0 END;
GO
CREATE TABLE #dbrepl_s1 ([__seq] bigint NOT NULL, [__op] nchar(1) NOT NULL, [c1] bigint NULL, [c2] smallint NULL, [c3] nvarchar(max) COLLATE DATABASE_DEFAULT NULL, [u3] tinyint NULL, [c4] real NULL, [c5] float NULL, [c6] date NULL, [c7] time(6) NULL, [c8] datetime2(6) NULL, [c9] datetimeoffset(3) NULL, [c10] nvarchar(max) COLLATE DATABASE_DEFAULT NULL, [u10] tinyint NULL, [c11] nvarchar(max) COLLATE DATABASE_DEFAULT NULL, [u11] tinyint NULL, [c12] nvarchar(max) COLLATE DATABASE_DEFAULT NULL, [u12] tinyint NULL, [c13] nvarchar(4) COLLATE Latin1_General_100_BIN2 NULL, [u13] tinyint NULL, [c14] nvarchar(20) COLLATE DATABASE_DEFAULT NULL, [u14] tinyint NULL, [c15] nvarchar(max) COLLATE DATABASE_DEFAULT NULL, [u15] tinyint NULL, INDEX [k] CLUSTERED ([c1], [c13]));
GO
CREATE TABLE #dbrepl_s2 ([__seq] bigint NOT NULL, [__op] nchar(1) NOT NULL, [c1] nvarchar(425) COLLATE Latin1_General_100_BIN2 NULL, [u1] tinyint NULL, [c2] nvarchar(425) COLLATE Latin1_General_100_BIN2 NULL, [u2] tinyint NULL, [c3] date NULL, INDEX [k] NONCLUSTERED ([c1], [c2]));
GO
INSERT INTO #dbrepl_s1 ([__seq], [__op], [c1], [c2], [c3], [u3], [c4], [c5], [c6], [c7], [c8], [c9], [c10], [u10], [c11], [u11], [c12], [u12], [c13], [u13], [c14], [u14], [c15], [u15]) VALUES (1, N'r', N'1', N'-2', N'3.14159', NULL, N'1.5', N'-2.5e-10', N'2026-11-25', N'13:58:45.000000', N'2026-11-25T13:58:45.123456', N'2026-11-25T13:58:45.123000Z', N'{"a": [1, 2]}', NULL, N'P1Y2M3DT4H5M6.5S', NULL, N'{1,2,3}', NULL, N'ab', NULL, N'x', NULL, N'10.0.0.1/32', NULL);
INSERT INTO #dbrepl_s2 ([__seq], [__op], [c1], [u1], [c2], [u2], [c3]) VALUES (2, N'c', N'red', NULL, N'order/17', NULL, N'2026-11-25');
GO
EXEC sp_executesql N'MERGE INTO [dbo].[dbrepl_checkpoint] WITH (HOLDLOCK) AS t
USING (VALUES (@s1, @o1, @major1, @minor1)) AS s ([stream], [offset], [major], [minor])
ON t.[stream] = s.[stream]
WHEN MATCHED AND SIGN(s.[major] - CASE WHEN CHARINDEX(N''/'', t.[offset]) = 0 THEN CAST(t.[offset] AS decimal(20,0)) ELSE CONVERT(bigint, CONVERT(binary(8), CAST(CONCAT(RIGHT(CONCAT(N''0000000'', LEFT(t.[offset], CHARINDEX(N''/'', t.[offset]) - 1)), 8), RIGHT(CONCAT(N''0000000'', SUBSTRING(t.[offset], CHARINDEX(N''/'', t.[offset]) + 1, CHARINDEX(N'':'', t.[offset]) - CHARINDEX(N''/'', t.[offset]) - 1)), 8)) AS varchar(16)), 2)) END) * 2 + SIGN(s.[minor] - CASE WHEN CHARINDEX(N'':'', t.[offset]) = 0 THEN 0 ELSE CAST(SUBSTRING(t.[offset], CHARINDEX(N'':'', t.[offset]) + 1, 20) AS decimal(20,0)) END) > 0 THEN UPDATE SET [offset] = s.[offset], [updated_at] = SYSUTCDATETIME()
WHEN NOT MATCHED THEN INSERT ([stream], [offset], [updated_at]) VALUES (s.[stream], s.[offset], SYSUTCDATETIME());
IF @@ROWCOUNT <> 1 THROW 50001, N''dbrepl: a stream of this batch is already applied this far or further (by another mssql-apply)'', 1;
INSERT INTO [sales].[all]]types] WITH (TABLOCK) ([id], [s], [n], [f4], [f8], [d], [t], [ts], [tstz], [j], [iv], [arr], [c], [tag], [ip])
SELECT s.[c1], s.[c2], CASE WHEN s.[u3] = 2 THEN N'''' ELSE s.[c3] END, s.[c4], s.[c5], s.[c6], s.[c7], s.[c8], s.[c9], CASE WHEN s.[u10] = 2 THEN N'''' ELSE s.[c10] END, CASE WHEN s.[u11] = 2 THEN N'''' ELSE s.[c11] END, CASE WHEN s.[u12] = 2 THEN N'''' ELSE s.[c12] END, CASE WHEN s.[u13] = 2 THEN N'''' ELSE s.[c13] END, CASE WHEN s.[u14] = 2 THEN N'''' ELSE s.[c14] END, CASE WHEN s.[u15] = 2 THEN N'''' ELSE s.[c15] END FROM #dbrepl_s1 AS s;
MERGE INTO [sales].[tag_link] WITH (HOLDLOCK) AS t
USING (SELECT CASE WHEN s.[u1] = 2 THEN N'''' ELSE s.[c1] END AS [c1], CASE WHEN s.[u2] = 2 THEN N'''' ELSE s.[c2] END AS [c2], s.[c3] AS [c3] FROM #dbrepl_s2 AS s WHERE s.[__op] <> N''d'') AS s
ON t.[tag] = s.[c1] AND DATALENGTH(t.[tag]) = DATALENGTH(s.[c1]) AND t.[target] = s.[c2] AND DATALENGTH(t.[target]) = DATALENGTH(s.[c2])
WHEN MATCHED THEN UPDATE SET [added] = s.[c3]
WHEN NOT MATCHED THEN INSERT ([tag], [target], [added]) VALUES (s.[c1], s.[c2], s.[c3]);',
  N'@s1 nvarchar(450), @o1 nvarchar(100), @major1 bigint, @minor1 bigint',
  @s1 = N'snap/shop/2',
  @o1 = N'2',
  @major1 = 2,
  @minor1 = 0;
GO
COMMIT TRANSACTION;
TRUNCATE TABLE #dbrepl_s1;
TRUNCATE TABLE #dbrepl_s2;
GO
