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
SELECT [COLUMN_NAME], [DATA_TYPE], [CHARACTER_MAXIMUM_LENGTH], [NUMERIC_PRECISION], [NUMERIC_SCALE], COLUMNPROPERTY(OBJECT_ID(N'[dbo].[product]'), [COLUMN_NAME], N'IsIdentity'), [DATETIME_PRECISION], [COLLATION_NAME], [TABLE_SCHEMA], [TABLE_NAME] FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_SCHEMA] = N'dbo' AND [TABLE_NAME] = N'product' ORDER BY [ORDINAL_POSITION];
GO
BEGIN TRANSACTION;
SELECT CASE WHEN EXISTS (SELECT 1 FROM [dbo].[product] WITH (TABLOCKX, HOLDLOCK)) THEN 1 ELSE 0 END;
GO
CREATE TABLE #dbrepl_s1 ([__seq] bigint NOT NULL, [__op] nchar(1) NOT NULL, [c1] nvarchar(450) COLLATE Latin1_General_100_BIN2 NULL, [u1] tinyint NULL, [c2] int NULL, [c3] money NULL, [c4] varbinary(max) NULL, [u4] tinyint NULL, [c5] date NULL, [c6] uniqueidentifier NULL, INDEX [k] CLUSTERED ([c1]));
GO
INSERT INTO #dbrepl_s1 ([__seq], [__op], [c1], [u1], [c2], [c3], [c4], [u4], [c5], [c6]) VALUES (1, N'r', N'A-1', NULL, N'5', N'1234.50', 0x89504e47, NULL, N'2026-11-01', N'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'), (2, N'r', N'B-2', NULL, N'0', N'-0.50', 0x, NULL, N'0001-01-01', N'00000000-0000-0000-0000-000000000000');
GO
EXEC sp_executesql N'MERGE INTO [dbo].[dbrepl_checkpoint] WITH (HOLDLOCK) AS t
USING (VALUES (@s1, @o1, @major1, @minor1)) AS s ([stream], [offset], [major], [minor])
ON t.[stream] = s.[stream]
WHEN MATCHED AND SIGN(s.[major] - CASE WHEN CHARINDEX(N''/'', t.[offset]) = 0 THEN CAST(t.[offset] AS decimal(20,0)) ELSE CONVERT(bigint, CONVERT(binary(8), CAST(CONCAT(RIGHT(CONCAT(N''0000000'', LEFT(t.[offset], CHARINDEX(N''/'', t.[offset]) - 1)), 8), RIGHT(CONCAT(N''0000000'', SUBSTRING(t.[offset], CHARINDEX(N''/'', t.[offset]) + 1, CHARINDEX(N'':'', t.[offset]) - CHARINDEX(N''/'', t.[offset]) - 1)), 8)) AS varchar(16)), 2)) END) * 2 + SIGN(s.[minor] - CASE WHEN CHARINDEX(N'':'', t.[offset]) = 0 THEN 0 ELSE CAST(SUBSTRING(t.[offset], CHARINDEX(N'':'', t.[offset]) + 1, 20) AS decimal(20,0)) END) > 0 THEN UPDATE SET [offset] = s.[offset], [updated_at] = SYSUTCDATETIME()
WHEN NOT MATCHED THEN INSERT ([stream], [offset], [updated_at]) VALUES (s.[stream], s.[offset], SYSUTCDATETIME());
IF @@ROWCOUNT <> 1 THROW 50001, N''dbrepl: a stream of this batch is already applied this far or further (by another mssql-apply)'', 1;
INSERT INTO [dbo].[product] WITH (TABLOCK) ([sku], [qty], [price], [photo], [added], [uid])
SELECT CASE WHEN s.[u1] = 2 THEN N'''' ELSE s.[c1] END, s.[c2], s.[c3], CASE WHEN s.[u4] = 2 THEN 0x ELSE s.[c4] END, s.[c5], s.[c6] FROM #dbrepl_s1 AS s;',
  N'@s1 nvarchar(450), @o1 nvarchar(100), @major1 bigint, @minor1 bigint',
  @s1 = N'snap/shop/1',
  @o1 = N'2',
  @major1 = 2,
  @minor1 = 0;
GO
COMMIT TRANSACTION;
TRUNCATE TABLE #dbrepl_s1;
GO
