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
	int prec;     /* fractional-second digits of time/datetime2/datetimeoffset;
		       * a decimal's precision */
	int scale;    /* a decimal's scale */
	bool clamp;   /* --clamp-infinity: ±infinity dates become the type's ends */
	bool padded;  /* char(n): the value comes padded with blanks that mean
		       * nothing (dropped before it goes into a number or date) */
	/* Set by tsql_parse_sqltype for a target column: */
	bool ansi;    /* char/varchar (a code page), not nchar/nvarchar */
	int codepage; /* of an ansi column: 1252, 65001 (UTF-8), 0 (ASCII only) */
	int legacy;   /* datetime (1) or smalldatetime (2), kind TSQL_DATETIME2 */
	bool unknown; /* a type mssql-apply does not know (xml, sql_variant …) */
	/* A text column's collation ("" unknown: the database's default);
	 * tsql_parse_sqltype reads it from a " COLLATE name" suffix. */
	char collation[64];
} tsql_type;

/* The collation of the text key columns of the tables mssql-apply creates:
 * binary, so keys that differ in case (or accents) stay apart, as they do
 * in PostgreSQL. */
#define TSQL_KEY_COLLATION "Latin1_General_100_BIN2"
/* Whether a collation compares code points (BIN, BIN2). */
bool tsql_collation_is_binary(const char *collation);
/* Whether identifiers a and b name one object on a SQL Server whose
 * collation ignores case, as its default does (names follow the
 * database's collation): code point by code point after simple
 * lowercasing (towlower in the C.UTF-8 locale: 'Ä' is 'ä'; no full case
 * folding, so 'ß' is not "ss", which some Windows collations equate).
 * Bytes that are not UTF-8 compare as they are. */
bool tsql_name_eq_ci(const char *a, const char *b);
/* "nvarchar(450) COLLATE Latin1_General_100_BIN2": t's name and collation. */
void tsql_type_spec(const tsql_type *t, char *out, size_t len);

/* Maps a PostgreSQL format_type() name (the type map of mssql-apply(1)). */
void tsql_map_type(const char *pgtype, tsql_type *out);

/* --type-map: a PostgreSQL type, as records spell it, to a SQL Server type
 * other than the type map's: n pairs. */
typedef struct tsql_type_map {
	size_t n;
	const char *const *pg, *const *sql;
} tsql_type_map;
/* tsql_map_type, unless m maps pgtype (m may be NULL). */
void tsql_map_type_with(const char *pgtype, const tsql_type_map *m, tsql_type *out);
/* Whether --type-map PGTYPE=SQLTYPE can be honoured: decimal(p,s) or
 * numeric(p,s) for a numeric type, nvarchar(max) for any. 0, or -1 with
 * the reason in err. */
int tsql_type_map_check(const char *pgtype, const char *sqltype, char *err, size_t errlen);

/* A SQL Server type as the catalog spells it ("decimal(10,2)", "int",
 * "nvarchar(20)", "datetime2(3)", "varchar(max)") as the column's type;
 * kind TSQL_STRING with unknown set for a type mssql-apply does not
 * know. */
void tsql_parse_sqltype(const char *sqltype, tsql_type *out);

/* SQL Server's index key limits: 900 bytes for a clustered index, 1,700
 * for a nonclustered one (a longer entry is refused when written, 1946). */
#define TSQL_KEY_CLUSTERED_MAX 900
#define TSQL_KEY_NONCLUSTERED_MAX 1700
/* Sizes the key columns (keys[] index types[]) of a table to be created:
 * nvarchar(max) becomes nvarchar(450) and varbinary(max) varbinary(900)
 * (no max type can be a key column); a key of at most 900 bytes stays
 * clustered; a longer one is nonclustered (returns true), its nvarchar and
 * varbinary columns cut, evenly, so that it holds in 1,700 bytes. */
bool tsql_size_key(tsql_type *types, const uint16_t *keys, size_t nkeys);

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

/* Whether a staged value (tsql_stage_value's output for type src) goes into
 * a target column of type dst unchanged. SQL Server converts without a
 * word where it can (decimal(12,3) to decimal(10,2) or to int rounds,
 * datetime2(6) to datetime2(3) rounds, datetime2 to date drops the time,
 * 5 to bit is 1, float to real rounds, float and money to nvarchar keep a
 * few digits): such a value is refused here, by name, instead. 0, or -1
 * with the reason in err. So is a text or varbinary value longer than its
 * column, which the server refuses (2628) but a bulk copy into a typed
 * staging column would cut. Conversions the server refuses itself (out of
 * range, not a number) are left to it. */
int tsql_value_fits(const tsql_type *src, const tsql_type *dst, const char *v, size_t len, char *err,
		    size_t errlen);

/* How much of a staged value that tsql_value_fits let into dst to send:
 * len, but for a string into datetime or smalldatetime, which read at most
 * three fractional-second digits from a string (more is 241, zeros too):
 * then what ends after the third, the rest being zeros (all a value that
 * fits has there) and char(n)'s padding. */
size_t tsql_value_sent_len(const tsql_type *src, const tsql_type *dst, const char *v, size_t len);

/* ---- a target table as the statements see it ---- */
typedef struct tsql_table {
	const char *schema, *table; /* target names */
	const char *staging;        /* "#dbrepl_s1" */
	size_t ncols;
	const char *const *names;   /* column names */
	const tsql_type *types;
	size_t nkeys;
	const uint16_t *keys; /* indexes into names, key order */
	/* The target's IDENTITY column is one of names[]: its MERGE and
	 * INSERT … SELECT run between SET IDENTITY_INSERT … ON and OFF (error
	 * 544 without). Not when names[] lacks it: with IDENTITY_INSERT ON an
	 * INSERT must give it a value (545); without, the server numbers it. */
	bool identity;
	/* That column when it is one of names[] outside the key: its position
	 * from 1 (0: none). SQL Server refuses any SET of it (8102): the MERGE
	 * leaves it out, and tsql_identity_guard refuses a changed value. */
	size_t identity_col;
	/* CREATE TABLE: PRIMARY KEY NONCLUSTERED (tsql_size_key). */
	bool nonclustered;
	/* The target columns' types (tsql_parse_sqltype of the catalog's), or
	 * NULL: the types above. */
	const tsql_type *targets;
	/* The staging table's flags, one tinyint each or packed
	 * (tsql_staging_packed), as tsql_staging_plan found them once the
	 * targets were known: the row size that decides it costs a pass over
	 * the columns, which every staged row would pay otherwise. 0 (not
	 * planned): worked out at every call. */
	int staging_layout;
} tsql_table;
#define TSQL_STAGING_UNPLANNED 0
#define TSQL_STAGING_FLAGS 1
#define TSQL_STAGING_PACKED 2

bool tsql_is_key(const tsql_table *t, size_t col);

/* Each function appends one complete statement (with its ';'), no newline
 * after it; 0 or -1 (buffer ceiling).
 *
 * tsql_session_options: the session's SETs. DATEFORMAT ymd, because a
 * login whose language is dmy (British, German, French …) would read
 * 'YYYY-MM-DD hh:mm:ss' into datetime or smalldatetime as year, day,
 * month. */
int tsql_session_options(buf *b);
int tsql_catalog_schema(buf *b, const char *schema);
/* The database's collation, which the names of its tables and columns
 * follow (sys.databases). */
int tsql_catalog_collation(buf *b);
int tsql_catalog_columns(buf *b, const char *schema, const char *table);
/* Same with [CHARACTER_MAXIMUM_LENGTH], [NUMERIC_PRECISION], [NUMERIC_SCALE],
 * sixth COLUMNPROPERTY(…, 'IsIdentity') (1 for the IDENTITY column), then
 * [DATETIME_PRECISION], [COLLATION_NAME], and [TABLE_SCHEMA] and
 * [TABLE_NAME] as the target spells them (the search ignores case where
 * the database's collation does). */
int tsql_catalog_column_types(buf *b, const char *schema, const char *table);
/* One row, one number: the target's CHECK and FOREIGN KEY constraints and
 * triggers, which a bulk copy without hints skips (sys.check_constraints,
 * sys.foreign_keys, sys.triggers). */
int tsql_catalog_bulk_blockers(buf *b, const char *schema, const char *table);
/* The columns of the table's primary key, in key order (one a row). */
int tsql_catalog_primary_key(buf *b, const char *schema, const char *table);
int tsql_create_schema(buf *b, const char *schema);
int tsql_create_table(buf *b, const tsql_table *t);
int tsql_alter_add(buf *b, const tsql_table *t, size_t col);

/* SQL Server's bytes per row ("Maximum capacity specifications for SQL
 * Server"): a table, #temp tables included, whose minimum row size would
 * exceed it is not created or altered (error 1701). The minimum row has
 * every variable-length column empty: the fixed-length columns (bit
 * columns eight to a byte), a row header of 4 bytes and a null bitmap of
 * 2 + (columns + 7) / 8 ("Estimate the size of a heap"). */
#define TSQL_ROW_BYTES_MAX 8060
typedef struct tsql_row_size {
	long fixed;  /* bytes of the fixed-length columns but bit */
	size_t bits; /* bit columns */
	size_t cols; /* columns (a non-unique clustered index's uniqueifier one) */
} tsql_row_size;
/* Counts a column of type t (a target's, or one to create). */
void tsql_row_add(tsql_row_size *r, const tsql_type *t);
/* The row header and null bitmap; the minimum row size, overhead included. */
long tsql_row_overhead(const tsql_row_size *r);
long tsql_row_min(const tsql_row_size *r);
/* The row of the table tsql_create_table creates (t->types). */
void tsql_create_row(const tsql_table *t, tsql_row_size *r);
/* The row of the staging table tsql_staging_create creates. */
void tsql_staging_row(const tsql_table *t, tsql_row_size *r);

/* Staging: a #temp table per target table, [__seq] bigint, [__op] nchar(1),
 * then per column [cN] (its value) and, for a flagged type, [uN] tinyint
 * (TSQL_FLAG_*). A column is staged in its target column's own type and
 * collation (typed) when the record's value goes into that type unchanged
 * (tsql_stage_typed), so the MERGE reads it as it is, with no CAST, and
 * the staging table has a clustered index on the key when the key is
 * typed and fits an index; otherwise as text, nvarchar(max) in the target
 * column's collation, which the MERGE CASTs to the target's type. */
bool tsql_stage_typed(const tsql_table *t, size_t i);
int tsql_staging_create(buf *b, const tsql_table *t);
int tsql_staging_truncate(buf *b, const tsql_table *t);
int tsql_staging_drop(buf *b, const tsql_table *t);
/* SQL Server's columns per table (not a wide one, with a column set),
 * #temp tables included: one more is error 1702. */
#define TSQL_TABLE_COLUMNS_MAX 1024
/* Whether the staging table's flags are packed: one [uN] a flagged column
 * would take it past TSQL_TABLE_COLUMNS_MAX (a table of more than 511
 * text columns, say), or its minimum row past TSQL_ROW_BYTES_MAX (a
 * tinyint each), so they are one [__u] nvarchar(ncols) instead, a digit
 * (TSQL_FLAG_*) per column, '0' for a column without, which takes no
 * byte of the minimum row. It still holds [__seq], [__op] and the
 * columns: a table of more than TSQL_STAGING_COLUMNS_MAX columns, or
 * whose fixed-length columns leave no room for [__seq] and [__op], has
 * no staging table (tsql_staging_fits). */
bool tsql_staging_packed(const tsql_table *t);
/* They are packed too when a tinyint each could take a row of the staging
 * table past 8,060 bytes once SQL Server pushed its variable-length values
 * off the row (error 511 at its write): the most bytes a row can keep in
 * it, by the declared sizes ("Row-Overflow Data Exceeding 8 KB"; each
 * variable-length value its bytes, or the 24-byte pointer it leaves when
 * less): of the staging table (its layout as planned) and of the target
 * table (t->targets). */
long tsql_staging_row_max(const tsql_table *t);
long tsql_target_row_max(const tsql_table *t);
/* Sets t->staging_layout: after t->targets, and again whenever they or
 * the columns change (TSQL_STAGING_UNPLANNED until then). */
void tsql_staging_plan(tsql_table *t);
#define TSQL_STAGING_COLUMNS_MAX (TSQL_TABLE_COLUMNS_MAX - 3)
/* Whether SQL Server would create t's staging table: at most
 * TSQL_STAGING_COLUMNS_MAX columns, and a minimum row of at most
 * TSQL_ROW_BYTES_MAX bytes (the flags packed when that takes them
 * there). */
bool tsql_staging_fits(const tsql_table *t);
/* Number of staging columns, and the 1-based staging column of column i
 * and of its flag (0 when none; [__u] for every flagged column when
 * packed): what bcp_bind needs. Each counts the columns: a caller that
 * binds every column works the layout out once. */
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

/* Key changes with unchanged TOAST values: the staging table holds rows of
 * op 'k', the old key of an upsert whose key changed, with that upsert's
 * [__seq]. Before any DELETE of the batch, tsql_stage_old_rows copies the
 * old key's row at the target into the staging table as a row of op 'o'
 * with the same [__seq] (its TOAST-able columns, in their staged text
 * form); the MERGE (old_rows) then takes such an upsert's unchanged TOAST
 * values from it. */
int tsql_stage_old_rows(buf *b, const tsql_table *t);
int tsql_merge(buf *b, const tsql_table *t, bool old_rows);
int tsql_delete(buf *b, const tsql_table *t);
/* Before the MERGE of a table whose IDENTITY column is outside the key
 * (t->identity_col): a SELECT of the staged upserts whose value for it
 * differs from the target row's, then IF @@ROWCOUNT <> 0 THROW
 * TSQL_ERR_IDENTITY_CHANGED (the MERGE cannot SET it). */
int tsql_identity_guard(buf *b, const tsql_table *t);
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
/* The same row as the k-th row's parameters: @sk (stream), @ok (offset
 * text), @majork and @minork (its pair, bigint; SQL Server's variable
 * names ignore case as its collation does): the statement's text is then
 * the same for every batch of as many streams. */
int tsql_checkpoint_merge_row_params(buf *b, bool first, size_t k);
int tsql_checkpoint_merge_end(buf *b, size_t nrows);
int tsql_checkpoint_merge(buf *b, const char *stream, pos_offset off); /* one stream */
#define TSQL_ERR_CHECKPOINT_AHEAD 50001
#define TSQL_ERR_IDENTITY_CHANGED 50002

/* Foreign keys among n tables: rows (referenced, referencing) of indexes
 * into tables, self-references left out. */
int tsql_catalog_foreign_keys(buf *b, const tsql_table *const *tables, size_t n);

/* SQL Server error numbers, by what mssql-apply does about them. */
bool tsql_error_is_transient(int number); /* retry the batch after reconnecting */
bool tsql_error_is_data(int number);      /* a record the target refuses */
bool tsql_error_is_truncate_refused(int number); /* TRUNCATE TABLE refused: DELETE instead */
bool tsql_error_is_permission(int number); /* the login lacks a permission: no record at fault */

#endif
