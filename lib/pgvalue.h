/* pgvalue.h — from PostgreSQL's text output to the record's normalised value
 * text (record.h lists the rules). Producers (pgcdc-read, snapshot) connect
 * with PGVALUE_SESSION_OPTIONS so the server prints values in the forms this
 * module expects, look up each column's base type OID (domains resolved),
 * and pass every non-NULL value through pgvalue_normalize. */
#ifndef DBREPL_PGVALUE_H
#define DBREPL_PGVALUE_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>

/* For the libpq "options" connection parameter. */
#define PGVALUE_SESSION_OPTIONS \
	"-c datestyle=ISO,YMD -c timezone=UTC -c intervalstyle=iso_8601 " \
	"-c extra_float_digits=3 -c bytea_output=hex -c lc_monetary=C " \
	"-c client_encoding=UTF8"

typedef enum pgvalue_norm {
	PGVALUE_AS_IS = 0,
	PGVALUE_TIMESTAMPTZ, /* "2026-11-25 13:58:45.1+00" -> "2026-11-25T13:58:45.100000Z" */
	PGVALUE_TIMESTAMP,   /* "2026-11-25 13:58:45.1"    -> "2026-11-25T13:58:45.100000" */
	PGVALUE_TIME,        /* "13:58:45.1"   -> "13:58:45.100000" */
	PGVALUE_TIMETZ,      /* "13:58:45+02"  -> "13:58:45.000000+02:00" */
} pgvalue_norm;

/* By the base type's OID (after resolving domains). */
pgvalue_norm pgvalue_norm_for_type(uint32_t base_type_oid);

/* Normalises in[0..len). *res and *reslen point either at in itself or at out's
 * data (out is reset first). 0, or -1 when the text is not what the type
 * prints (the caller reports it). */
int pgvalue_normalize(pgvalue_norm n, const char *in, size_t len, buf *out,
		      const char **res, size_t *reslen);

#endif
