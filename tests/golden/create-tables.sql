SET XACT_ABORT ON; SET NOCOUNT ON; SET ANSI_NULLS ON; SET QUOTED_IDENTIFIER ON; SET ANSI_WARNINGS ON; SET ARITHABORT ON; SET CONCAT_NULL_YIELDS_NULL ON; SET ANSI_PADDING ON; SET TEXTSIZE 2147483647;
GO
SELECT [COLUMN_NAME], [DATA_TYPE] FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_SCHEMA] = N'dbo' AND [TABLE_NAME] = N'dbrepl_checkpoint' ORDER BY [ORDINAL_POSITION];
GO
CREATE TABLE [dbo].[dbrepl_checkpoint] ([stream] nvarchar(450) NOT NULL, [offset] nvarchar(100) NOT NULL, [updated_at] datetime2(6) NOT NULL, CONSTRAINT [PK_dbrepl_checkpoint] PRIMARY KEY ([stream]));
GO
SELECT [stream], [offset] FROM [dbo].[dbrepl_checkpoint];
GO
SELECT [COLUMN_NAME], [DATA_TYPE] FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_SCHEMA] = N'sales' AND [TABLE_NAME] = N'all]types' ORDER BY [ORDINAL_POSITION];
GO
SELECT [SCHEMA_NAME] FROM INFORMATION_SCHEMA.SCHEMATA WHERE [SCHEMA_NAME] = N'sales';
GO
CREATE SCHEMA [sales];
GO
CREATE TABLE [sales].[all]]types] ([id] bigint NOT NULL, [s] smallint NULL, [n] decimal(38,10) NULL, [f4] real NULL, [f8] float NULL, [d] date NULL, [t] time(6) NULL, [ts] datetime2(6) NULL, [tstz] datetimeoffset(3) NULL, [j] nvarchar(max) NULL, [iv] nvarchar(max) NULL, [arr] nvarchar(max) NULL, [c] nchar(2) NOT NULL, [tag] nvarchar(10) NULL, [ip] nvarchar(max) NULL, CONSTRAINT [PK_all]]types] PRIMARY KEY ([id], [c]));
GO
CREATE TABLE #dbrepl_s1 ([__seq] bigint NOT NULL, [__op] nchar(1) NOT NULL, [id] nvarchar(max) NULL, [s] nvarchar(max) NULL, [n] nvarchar(max) NULL, [__u_n] tinyint NULL, [f4] nvarchar(max) NULL, [f8] nvarchar(max) NULL, [d] nvarchar(max) NULL, [t] nvarchar(max) NULL, [ts] nvarchar(max) NULL, [tstz] nvarchar(max) NULL, [j] nvarchar(max) NULL, [__u_j] tinyint NULL, [iv] nvarchar(max) NULL, [__u_iv] tinyint NULL, [arr] nvarchar(max) NULL, [__u_arr] tinyint NULL, [c] nvarchar(max) NULL, [__u_c] tinyint NULL, [tag] nvarchar(max) NULL, [__u_tag] tinyint NULL, [ip] nvarchar(max) NULL, [__u_ip] tinyint NULL);
GO
BEGIN TRANSACTION;
SELECT CASE WHEN EXISTS (SELECT 1 FROM [sales].[all]]types]) THEN 1 ELSE 0 END;
GO
INSERT INTO #dbrepl_s1 ([__seq], [__op], [id], [s], [n], [__u_n], [f4], [f8], [d], [t], [ts], [tstz], [j], [__u_j], [iv], [__u_iv], [arr], [__u_arr], [c], [__u_c], [tag], [__u_tag], [ip], [__u_ip]) VALUES (1, N'r', N'1', N'-2', N'3.14159', NULL, N'1.5', N'-2.5e-10', N'2026-11-25', N'13:58:45.000000', N'2026-11-25T13:58:45.123456', N'2026-11-25T13:58:45.123000Z', N'{"a": [1, 2]}', NULL, N'P1Y2M3DT4H5M6.5S', NULL, N'{1,2,3}', NULL, N'ab', NULL, N'x', NULL, N'10.0.0.1/32', NULL);
INSERT INTO [sales].[all]]types] WITH (TABLOCK) ([id], [s], [n], [f4], [f8], [d], [t], [ts], [tstz], [j], [iv], [arr], [c], [tag], [ip])
SELECT CAST(s.[id] AS bigint), CAST(s.[s] AS smallint), CAST(s.[n] AS decimal(38,10)), CAST(s.[f4] AS real), CAST(s.[f8] AS float), CAST(s.[d] AS date), CAST(s.[t] AS time(6)), CAST(s.[ts] AS datetime2(6)), CAST(s.[tstz] AS datetimeoffset(3)), CASE WHEN s.[__u_j] = 2 THEN N'' ELSE s.[j] END, CASE WHEN s.[__u_iv] = 2 THEN N'' ELSE s.[iv] END, CASE WHEN s.[__u_arr] = 2 THEN N'' ELSE s.[arr] END, CASE WHEN s.[__u_c] = 2 THEN N'' ELSE s.[c] END, CASE WHEN s.[__u_tag] = 2 THEN N'' ELSE s.[tag] END, CASE WHEN s.[__u_ip] = 2 THEN N'' ELSE s.[ip] END FROM #dbrepl_s1 AS s;
MERGE INTO [dbo].[dbrepl_checkpoint] AS t USING (VALUES (N'snap/shop/2', N'1')) AS s ([stream], [offset]) ON t.[stream] = s.[stream] WHEN MATCHED THEN UPDATE SET [offset] = s.[offset], [updated_at] = SYSUTCDATETIME() WHEN NOT MATCHED THEN INSERT ([stream], [offset], [updated_at]) VALUES (s.[stream], s.[offset], SYSUTCDATETIME());
COMMIT TRANSACTION;
TRUNCATE TABLE #dbrepl_s1;
GO
