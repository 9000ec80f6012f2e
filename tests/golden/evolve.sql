SET XACT_ABORT ON; SET NOCOUNT ON; SET ANSI_NULLS ON; SET QUOTED_IDENTIFIER ON; SET ANSI_WARNINGS ON; SET ARITHABORT ON; SET CONCAT_NULL_YIELDS_NULL ON; SET ANSI_PADDING ON; SET TEXTSIZE 2147483647;
GO
SELECT [COLUMN_NAME], [DATA_TYPE] FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_SCHEMA] = N'dbo' AND [TABLE_NAME] = N'dbrepl_checkpoint' ORDER BY [ORDINAL_POSITION];
GO
CREATE TABLE [dbo].[dbrepl_checkpoint] ([stream] nvarchar(450) NOT NULL, [offset] nvarchar(100) NOT NULL, [updated_at] datetime2(6) NOT NULL, CONSTRAINT [PK_dbrepl_checkpoint] PRIMARY KEY ([stream]));
GO
SELECT [stream], [offset] FROM [dbo].[dbrepl_checkpoint];
GO
SELECT [COLUMN_NAME], [DATA_TYPE] FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_SCHEMA] = N'ops' AND [TABLE_NAME] = N'orders' ORDER BY [ORDINAL_POSITION];
GO
SELECT [SCHEMA_NAME] FROM INFORMATION_SCHEMA.SCHEMATA WHERE [SCHEMA_NAME] = N'ops';
GO
CREATE SCHEMA [ops];
GO
CREATE TABLE [ops].[orders] ([id] int NOT NULL, [a] nvarchar(max) NULL, CONSTRAINT [PK_orders] PRIMARY KEY ([id]));
GO
CREATE TABLE #dbrepl_s1 ([__seq] bigint NOT NULL, [__op] nchar(1) NOT NULL, [id] nvarchar(max) NULL, [a] nvarchar(max) NULL, [__u_a] tinyint NULL);
GO
BEGIN TRANSACTION;
INSERT INTO #dbrepl_s1 ([__seq], [__op], [id], [a], [__u_a]) VALUES (1, N'c', N'1', N'x', NULL);
MERGE INTO [ops].[orders] WITH (HOLDLOCK) AS t
USING (SELECT CAST(s.[id] AS int) AS [id], CASE WHEN s.[__u_a] = 2 THEN N'' ELSE s.[a] END AS [a], s.[__u_a] AS [__u_a] FROM #dbrepl_s1 AS s WHERE s.[__op] <> N'd') AS s
ON t.[id] = s.[id]
WHEN MATCHED THEN UPDATE SET [a] = CASE WHEN s.[__u_a] = 1 THEN t.[a] ELSE s.[a] END
WHEN NOT MATCHED THEN INSERT ([id], [a]) VALUES (s.[id], s.[a]);
MERGE INTO [dbo].[dbrepl_checkpoint] AS t USING (VALUES (N'pg/shop/dbrepl', N'0/16B3800:1')) AS s ([stream], [offset]) ON t.[stream] = s.[stream] WHEN MATCHED THEN UPDATE SET [offset] = s.[offset], [updated_at] = SYSUTCDATETIME() WHEN NOT MATCHED THEN INSERT ([stream], [offset], [updated_at]) VALUES (s.[stream], s.[offset], SYSUTCDATETIME());
COMMIT TRANSACTION;
TRUNCATE TABLE #dbrepl_s1;
GO
ALTER TABLE [ops].[orders] ADD [b] decimal(5,1) NULL;
GO
DROP TABLE #dbrepl_s1;
CREATE TABLE #dbrepl_s1 ([__seq] bigint NOT NULL, [__op] nchar(1) NOT NULL, [id] nvarchar(max) NULL, [a] nvarchar(max) NULL, [__u_a] tinyint NULL, [b] nvarchar(max) NULL, [__u_b] tinyint NULL);
GO
BEGIN TRANSACTION;
INSERT INTO #dbrepl_s1 ([__seq], [__op], [id], [a], [__u_a], [b], [__u_b]) VALUES (1, N'c', N'2', N'y', NULL, N'1.5', NULL);
MERGE INTO [ops].[orders] WITH (HOLDLOCK) AS t
USING (SELECT CAST(s.[id] AS int) AS [id], CASE WHEN s.[__u_a] = 2 THEN N'' ELSE s.[a] END AS [a], s.[__u_a] AS [__u_a], CAST(s.[b] AS decimal(5,1)) AS [b], s.[__u_b] AS [__u_b] FROM #dbrepl_s1 AS s WHERE s.[__op] <> N'd') AS s
ON t.[id] = s.[id]
WHEN MATCHED THEN UPDATE SET [a] = CASE WHEN s.[__u_a] = 1 THEN t.[a] ELSE s.[a] END, [b] = CASE WHEN s.[__u_b] = 1 THEN t.[b] ELSE s.[b] END
WHEN NOT MATCHED THEN INSERT ([id], [a], [b]) VALUES (s.[id], s.[a], s.[b]);
MERGE INTO [dbo].[dbrepl_checkpoint] AS t USING (VALUES (N'pg/shop/dbrepl', N'0/16B3810:1')) AS s ([stream], [offset]) ON t.[stream] = s.[stream] WHEN MATCHED THEN UPDATE SET [offset] = s.[offset], [updated_at] = SYSUTCDATETIME() WHEN NOT MATCHED THEN INSERT ([stream], [offset], [updated_at]) VALUES (s.[stream], s.[offset], SYSUTCDATETIME());
COMMIT TRANSACTION;
TRUNCATE TABLE #dbrepl_s1;
GO
