/* mssql_typed.h — record values converted client-side to the binary forms a
 * typed bulk copy sends straight into a target table (snapshot rows into an
 * empty table): integers, bit, real/float, decimal, money, date, time,
 * datetime2, datetimeoffset, uniqueidentifier, nvarchar (as UTF-16LE) and
 * varbinary. Pure functions over buf, no db-lib: mssql_conn.c binds these
 * values, --print-sql prints them as T-SQL literals, the unit tests check
 * both.
 *
 * Every value first goes through tsql_stage_value(), so the typed path
 * refuses (NaN, dates before year 1, 24:00:00 …) and clamps (±infinity)
 * exactly what the staging path refuses and clamps; what is then sent is
 * the value SQL Server would get from CAST of the staged text: decimals
 * scaled to the column's scale (a value with more decimals is refused
 * before), times in 100 ns units
 * (FreeTDS declares time, datetime2 and datetimeoffset with scale 7 in its
 * bulk load; the server rounds to the column's scale, as CAST does).
 *
 * db-lib's bcp cannot send an empty string or an empty varbinary (a bound
 * length of 0 means NULL), so such a value is reported as MSSQL_TYPED_EMPTY
 * and its row takes the staging path instead. */
#ifndef DBREPL_MSSQL_TYPED_H
#define DBREPL_MSSQL_TYPED_H

#include "buf.h"
#include "tsql.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum mssql_host {
	MSSQL_HOST_INT2,
	MSSQL_HOST_INT4,
	MSSQL_HOST_INT8,
	MSSQL_HOST_BIT,
	MSSQL_HOST_REAL,
	MSSQL_HOST_FLT8,
	MSSQL_HOST_DECIMAL,
	MSSQL_HOST_MONEY,
	MSSQL_HOST_DATE,
	MSSQL_HOST_TIME,
	MSSQL_HOST_DATETIME2,
	MSSQL_HOST_DTO,
	MSSQL_HOST_GUID,
	MSSQL_HOST_NSTRING, /* UTF-16LE bytes */
	MSSQL_HOST_BINARY,
} mssql_host;

/* The base name of the SQL Server type (INFORMATION_SCHEMA.COLUMNS'
 * DATA_TYPE) each host type goes into without conversion. */
const char *mssql_host_sqltype(mssql_host h);

/* One column's value for a typed bulk copy. */
typedef struct mssql_typed {
	mssql_host host;
	bool null;
	int64_t i;       /* INT*, BIT (0/1), MONEY (in 1/10,000) */
	double f;        /* REAL, FLT8 */
	uint8_t prec, scale; /* DECIMAL: the column's */
	bool neg;            /* DECIMAL */
	unsigned __int128 mag; /* DECIMAL: |value| * 10^scale */
	int32_t days;    /* DATE, DATETIME2, DTO (UTC): days since 0001-01-01 */
	uint64_t ticks;  /* TIME, DATETIME2, DTO (UTC): 100 ns units since midnight */
	int16_t offset;  /* DTO: minutes east of UTC */
	uint8_t guid[16]; /* GUID, in wire order (first three groups little-endian) */
	const uint8_t *data; /* NSTRING, BINARY: bytes (in the caller's scratch) */
	size_t len;
	const char *text; /* NSTRING: the UTF-8 text, for printing */
	size_t textlen;
} mssql_typed;

/* The host type of a column of type t. */
mssql_host mssql_typed_host(const tsql_type *t);

#define MSSQL_TYPED_EMPTY 1
/* Converts a record value (its text form) for a column of type t; scratch
 * holds the bytes of NSTRING/BINARY values. 0; MSSQL_TYPED_EMPTY for an
 * empty string or varbinary (out is not usable); -1 with the reason in err
 * when the value has no SQL Server equivalent or does not fit the type. */
int mssql_typed_value(const tsql_type *t, const char *in, size_t len, buf *scratch, mssql_typed *out,
		      char *err, size_t errlen);

/* What mssql_typed_value works out from a column's type before it looks
 * at the value (the host type, a decimal's precision and scale): worked
 * out once for a bulk copy's columns, not once per value. t must outlive
 * it. */
typedef struct mssql_typed_col {
	const tsql_type *t;
	mssql_host host;
	uint8_t prec, scale; /* DECIMAL */
} mssql_typed_col;
void mssql_typed_col_init(mssql_typed_col *c, const tsql_type *t);
/* mssql_typed_value for a column c describes: the same result. */
int mssql_typed_col_value(const mssql_typed_col *c, const char *in, size_t len, buf *scratch, mssql_typed *out,
			  char *err, size_t errlen);

/* A T-SQL expression of the value as it is sent (for --print-sql), e.g.
 * 1234.50, CAST(N'2026-11-25T13:58:45.1234560+00:00' AS datetimeoffset(7)). */
int mssql_typed_literal(buf *b, const mssql_typed *v);

/* UTF-8 → UTF-16LE appended to out (surrogate pairs beyond the BMP);
 * -1 on invalid UTF-8 or ENOMEM. */
int mssql_utf8_to_utf16le(buf *out, const char *s, size_t n);

#endif
