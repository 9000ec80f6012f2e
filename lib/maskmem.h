/* maskmem.h — what pgcdc-read masked, held against DDL. Masking rules
 * (colmask.h) name columns, and pgoutput names a relation's columns anew
 * after DDL and after a reconnect: a RENAME of a masked column, of its
 * table or of its schema would make a rule miss the column, and its
 * values would leave unmasked. This module remembers, per relation OID,
 * the columns the stream last sent, their attnums in the catalog (a
 * rename keeps an attnum), and which were masked (those gone since
 * included), from the catalog at start and then as the stream sends
 * each relation; and says when a relation sent again, or a backfill chunk,
 * would not mask a column as before (pgcdc-read(1), "Masking and
 * renames"). pgoutput sends no attnums, so the catalog, which may be ahead
 * of the stream, is only ever a reason to stop, never to let a column
 * through. */
#ifndef DBREPL_MASKMEM_H
#define DBREPL_MASKMEM_H

#include "colmask.h"
#include "record.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct maskmem_set maskmem_set;

maskmem_set *maskmem_new(void);
void maskmem_free(maskmem_set *ms);

/* At start, before the stream says anything: the tables of the
 * publications (comma-separated) that have a masked column, as the
 * catalog has them, so that the first relation the stream sends of each
 * (from before a rename made while the program was down, say) is held to
 * them too. 0, or -1 with err. */
int maskmem_prefill(maskmem_set *ms, PGconn *cat, const colmask *rules, const char *publications, char *err,
		    size_t errlen);
/* Whether cols[n] of relation oid, masked by plan (NULL: none), keep
 * masked as before every column masked before: 1 when not (said on
 * stderr, with what to do; rows_sent: the transaction at hand has sent
 * rows already, which a restart sends again as they were), 0, -1 with
 * err (the catalog). */
int maskmem_lost(const maskmem_set *ms, PGconn *cat, uint32_t oid, const char *schema, const char *table,
		 const record_column *cols, size_t n, const unsigned char *plan, bool rows_sent, char *err, size_t errlen);
/* maskmem_lost for a relation the stream sent, then, when nothing is
 * lost, remembers it as sent: one catalog query for both. */
int maskmem_relation(maskmem_set *ms, PGconn *cat, uint32_t oid, const char *schema, const char *table,
		     const record_column *cols, size_t n, const unsigned char *plan, bool rows_sent, char *err,
		     size_t errlen);

#endif
