SET XACT_ABORT ON; SET NOCOUNT ON; SET ANSI_NULLS ON; SET QUOTED_IDENTIFIER ON; SET ANSI_WARNINGS ON; SET ARITHABORT ON; SET CONCAT_NULL_YIELDS_NULL ON; SET ANSI_PADDING ON; SET TEXTSIZE 2147483647;
GO
SELECT [COLUMN_NAME], [DATA_TYPE] FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_SCHEMA] = N'dbo' AND [TABLE_NAME] = N'dbrepl_checkpoint' ORDER BY [ORDINAL_POSITION];
GO
CREATE TABLE [dbo].[dbrepl_checkpoint] ([stream] nvarchar(450) NOT NULL, [offset] nvarchar(100) NOT NULL, [updated_at] datetime2(6) NOT NULL, CONSTRAINT [PK_dbrepl_checkpoint] PRIMARY KEY ([stream]));
GO
SELECT [stream], [offset] FROM [dbo].[dbrepl_checkpoint];
GO
SELECT [COLUMN_NAME], [DATA_TYPE] FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_SCHEMA] = N'dbo' AND [TABLE_NAME] = N'customer' ORDER BY [ORDINAL_POSITION];
GO
CREATE TABLE #dbrepl_s1 ([__seq] bigint NOT NULL, [__op] nchar(1) NOT NULL, [id] nvarchar(max) NULL, [name] nvarchar(max) NULL, [__u_name] tinyint NULL, [note] nvarchar(max) NULL, [__u_note] tinyint NULL, [balance] nvarchar(max) NULL, [__u_balance] tinyint NULL, [active] nvarchar(max) NULL, [since] nvarchar(max) NULL);
GO
BEGIN TRANSACTION;
INSERT INTO #dbrepl_s1 ([__seq], [__op], [id], [name], [__u_name], [note], [__u_note], [balance], [__u_balance], [active], [since]) VALUES (1, N'c', N'1', N'O''Brien', NULL, N'first ✓', NULL, N'10.50', NULL, N'1', N'2026-11-25T09:59:00.123456Z'), (2, N'c', N'2', NULL, 2, NULL, NULL, N'-0.01', NULL, N'0', N'9999-12-31T23:59:59.999999Z');
MERGE INTO [dbo].[customer] WITH (HOLDLOCK) AS t
USING (SELECT CAST(s.[id] AS int) AS [id], CASE WHEN s.[__u_name] = 2 THEN N'' ELSE s.[name] END AS [name], s.[__u_name] AS [__u_name], CASE WHEN s.[__u_note] = 2 THEN N'' ELSE s.[note] END AS [note], s.[__u_note] AS [__u_note], CAST(s.[balance] AS decimal(12,2)) AS [balance], s.[__u_balance] AS [__u_balance], CAST(s.[active] AS bit) AS [active], CAST(s.[since] AS datetimeoffset(6)) AS [since] FROM #dbrepl_s1 AS s WHERE s.[__op] <> N'd') AS s
ON t.[id] = s.[id]
WHEN MATCHED THEN UPDATE SET [name] = CASE WHEN s.[__u_name] = 1 THEN t.[name] ELSE s.[name] END, [note] = CASE WHEN s.[__u_note] = 1 THEN t.[note] ELSE s.[note] END, [balance] = CASE WHEN s.[__u_balance] = 1 THEN t.[balance] ELSE s.[balance] END, [active] = s.[active], [since] = s.[since]
WHEN NOT MATCHED THEN INSERT ([id], [name], [note], [balance], [active], [since]) VALUES (s.[id], s.[name], s.[note], s.[balance], s.[active], s.[since]);
MERGE INTO [dbo].[dbrepl_checkpoint] AS t USING (VALUES (N'pg/shop/dbrepl', N'0/16B3720:1')) AS s ([stream], [offset]) ON t.[stream] = s.[stream] WHEN MATCHED THEN UPDATE SET [offset] = s.[offset], [updated_at] = SYSUTCDATETIME() WHEN NOT MATCHED THEN INSERT ([stream], [offset], [updated_at]) VALUES (s.[stream], s.[offset], SYSUTCDATETIME());
COMMIT TRANSACTION;
TRUNCATE TABLE #dbrepl_s1;
GO
