/* tsql.h — the T-SQL text mssql-apply sends to SQL Server: identifier
 * quoting, N'' literals, the PostgreSQL → SQL Server type map, value
 * conversion to the staged text form, and every statement of
 * tests/peers/tds-server/SUBSET.md. Pure functions over buf: no I/O, no
 * connection, so the unit and golden tests cover all of it.
 *
 * Staging: a change of table T is staged as one row of a #temp table whose
 * columns are [__seq] bigint, [__op] nchar(1), then per column C of T (the
 * n-th, from 1): [cn] nvarchar(max) and, when C's type is variable-length in
 * PostgreSQL (so it may be TOASTed or empty), a flag [un] tinyint: NULL =
 * take [cn], 1 = unchanged TOAST (keep the target's value), 2 = empty string.
 * Named by position, not after C, so no source name can collide.
 * The flag for '' exists because db-lib's bcp cannot send an empty string
 * distinct from NULL (a bound length of 0 means NULL). */
#ifndef DBREPL_TSQL_H
#define DBREPL_TSQL_H

#include "buf.h"
#include "pos.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TSQL_FLAG_NONE 0
#define TSQL_FLAG_UNCHANGED 1
#define TSQL_FLAG_EMPTY 2

/* How a staged nvarchar value becomes the target type. */
typedef enum tsql_kind {
	TSQL_STRING = 0, /* nvarchar/nchar targets: no CAST (CAST would truncate silently) */
	TSQL_INT,
	TSQL_BIT,
	TSQL_DECIMAL,
	TSQL_FLOAT,
	TSQL_MONEY,
	TSQL_DATE,
	TSQL_TIME,
	TSQL_DATETIME2,
	TSQL_DTO, /* datetimeoffset */
	TSQL_UUID,
	TSQL_BINARY, /* varbinary(max), via CONVERT(varbinary(max), N'0x..', 1) */
} tsql_kind;

typedef struct tsql_type {
	char name[48]; /* SQL Server type, e.g. "decimal(18,2)", "nvarchar(max)" */
	tsql_kind kind;
	bool flagged; /* variable-length in PostgreSQL: has an [un] flag column */
	int prec;     /* fractional-second digits of time/datetime2/datetimeoffset */
} tsql_type;

/* Maps a PostgreSQL format_type() name (the type map of mssql-apply(1)). */
void tsql_map_type(const char *pgtype, tsql_type *out);

/* ---- quoting ---- */
/* [name] with ']' doubled. */
int tsql_ident(buf *b, const char *name);
/* [schema].[table] */
int tsql_qname(buf *b, const char *schema, const char *table);
/* N'...' with '\'' doubled. */
int tsql_nstr(buf *b, const char *s, size_t len);

/* ---- values ----
 * Converts a record value (record.h's text form) to the text staged for a
 * column of this kind, e.g. boolean "t" -> "1", bytea "\x0a" -> "0x0a",
 * money "-$1,234.56" -> "-1234.56", timestamp "infinity" -> the largest
 * datetime2 of the type's precision (9999-12-31 23:59:59.999999 for 6). *out points into in or into scratch. Returns 0, or -1 with the
 * reason in err when the value has no SQL Server equivalent (NaN, BC dates,
 * 24:00:00). */
int tsql_stage_value(const tsql_type *type, const char *in, size_t len, buf *scratch,
		     const char **out, size_t *outlen, char *err, size_t errlen);

/* ---- a target table as the statements see it ---- */
typedef struct tsql_table {
	const char *schema, *table; /* target names */
	const char *staging;        /* "#dbrepl_s1" */
	size_t ncols;
	const char *const *names;   /* column names */
	const tsql_type *types;
	size_t nkeys;
	const uint16_t *keys; /* indexes into names, key order */
	/* The target has an IDENTITY column: its MERGE and INSERT … SELECT
	 * run between SET IDENTITY_INSERT … ON and OFF (error 544 without). */
	bool identity;
} tsql_table;

bool tsql_is_key(const tsql_table *t, size_t col);

/* Each function appends one complete statement (with its ';'), no newline
 * after it; 0 or -1 (buffer ceiling). */
int tsql_session_options(buf *b);
int tsql_catalog_schema(buf *b, const char *schema);
int tsql_catalog_columns(buf *b, const char *schema, const char *table);
/* Same with [CHARACTER_MAXIMUM_LENGTH], [NUMERIC_PRECISION], [NUMERIC_SCALE]
 * and, sixth, COLUMNPROPERTY(…, 'IsIdentity') (1 for the IDENTITY column). */
int tsql_catalog_column_types(buf *b, const char *schema, const char *table);
/* The columns of the table's primary key, in key order (one a row). */
int tsql_catalog_primary_key(buf *b, const char *schema, const char *table);
int tsql_create_schema(buf *b, const char *schema);
int tsql_create_table(buf *b, const tsql_table *t);
int tsql_alter_add(buf *b, const tsql_table *t, size_t col);

int tsql_staging_create(buf *b, const tsql_table *t);
int tsql_staging_truncate(buf *b, const tsql_table *t);
int tsql_staging_drop(buf *b, const tsql_table *t);
/* Number of staging columns, and the 1-based staging column of column i
 * and of its flag (0 when none): what bcp_bind needs. */
size_t tsql_staging_ncols(const tsql_table *t);
size_t tsql_staging_col(const tsql_table *t, size_t i);
size_t tsql_staging_flag_col(const tsql_table *t, size_t i);

/* One staged cell: NULL, or text (len may be 0 only with a flag). */
typedef struct tsql_cell {
	bool null;
	const char *data;
	size_t len;
	int flag; /* TSQL_FLAG_* */
} tsql_cell;
/* The INSERT … VALUES equivalent of one bcp row (for --print-sql). */
int tsql_staged_insert(buf *b, const tsql_table *t, int64_t seq, char op, const tsql_cell *cells);
/* Several rows in one INSERT: head, then row per row (first = true once),
 * then ';'. SQL Server takes at most TSQL_INSERT_MAX_ROWS rows a VALUES. */
#define TSQL_INSERT_MAX_ROWS 1000
int tsql_staged_insert_head(buf *b, const tsql_table *t);
int tsql_staged_insert_row(buf *b, const tsql_table *t, bool first, int64_t seq, char op, const tsql_cell *cells);

/* MERGE of the staged upserts. old_rows: the staging table also holds rows
 * of op 'k' — the old key of an upsert whose key changed, with that
 * upsert's [__seq] — and unchanged TOAST values of such an upsert are taken
 * from the old key's row at the target. */
int tsql_merge(buf *b, const tsql_table *t, bool old_rows);
int tsql_delete(buf *b, const tsql_table *t);
int tsql_insert_select(buf *b, const tsql_table *t);
int tsql_emptiness(buf *b, const tsql_table *t);
/* TRUNCATE TABLE, or DELETE FROM when a foreign key forbids it (4712). */
int tsql_truncate(buf *b, const tsql_table *t, bool as_delete);

int tsql_begin(buf *b);
int tsql_commit(buf *b);
int tsql_rollback(buf *b);

int tsql_checkpoint_create(buf *b);
int tsql_checkpoint_select(buf *b);
/* One MERGE for all streams: begin, row per stream (first = true once), end
 * with the number of rows. It only moves a stream's offset forward (offsets
 * compared as the pairs of pos.h, not as text) and is followed by
 * IF @@ROWCOUNT <> nrows THROW TSQL_ERR_CHECKPOINT_AHEAD: a stream already
 * applied this far aborts the transaction, so it goes before the batch's
 * data statements. */
int tsql_checkpoint_merge_begin(buf *b);
int tsql_checkpoint_merge_row(buf *b, bool first, const char *stream, pos_offset off);
int tsql_checkpoint_merge_end(buf *b, size_t nrows);
int tsql_checkpoint_merge(buf *b, const char *stream, pos_offset off); /* one stream */
#define TSQL_ERR_CHECKPOINT_AHEAD 50001

/* Foreign keys among n tables: rows (referenced, referencing) of indexes
 * into tables, self-references left out. */
int tsql_catalog_foreign_keys(buf *b, const tsql_table *const *tables, size_t n);

/* SQL Server error numbers, by what mssql-apply does about them. */
bool tsql_error_is_transient(int number); /* retry the batch after reconnecting */
bool tsql_error_is_data(int number);      /* a record the target refuses */

#endif
