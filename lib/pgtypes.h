/* pgtypes.h — catalog facts a producer needs about the columns it decodes,
 * looked up on an ordinary libpq connection and cached for the life of the
 * process: for a (type OID, typmod) the base type after resolving domains,
 * the name format_type() prints for it and the pgvalue normalisation that
 * follows from it; and the primary key of a table (for REPLICA IDENTITY FULL).
 * Type OIDs never change meaning, so the cache is never invalidated. And
 * what a lookup made for a decoded transaction depends on: whether the
 * connection sees that transaction yet, and whether the server's commits
 * wait for the stream's own walsender (a synchronous standby). */
#ifndef DBREPL_PGTYPES_H
#define DBREPL_PGTYPES_H

#include "pgvalue.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pgtype_info {
	uint32_t oid;
	int32_t typmod;
	char *name;        /* format_type of the base type (domains resolved) */
	uint32_t base_oid; /* oid itself unless a domain */
	pgvalue_norm norm;
} pgtype_info;

typedef struct pgtypes pgtypes;

/* conn is borrowed; it may be replaced after a reconnect with pgtypes_set_conn. */
pgtypes *pgtypes_new(PGconn *conn);
void pgtypes_set_conn(pgtypes *t, PGconn *conn);
void pgtypes_free(pgtypes *t);

/* The cached entry, looked up on first use. NULL with a message in err when
 * the query fails (the connection may be gone: the caller checks PQstatus). */
const pgtype_info *pgtypes_lookup(pgtypes *t, uint32_t oid, int32_t typmod, char *err, size_t errlen);

/* Names of the primary key columns of table relid, in key order, written as
 * consecutive NUL-terminated strings into names (at most size bytes).
 * Returns the number of columns (0: no primary key), or -1 with err set. */
int pgtypes_primary_key(pgtypes *t, uint32_t relid, char *names, size_t size, char *err, size_t errlen);

/* Types with OIDs below this were made by initdb and never change. */
#define PGTYPES_FIRST_NORMAL_OID 16384

/* Whether pgtypes_lookup answers the same whatever the transaction: a type
 * made by initdb, or one already cached. Else the answer depends on the
 * catalog the connection sees (a type may be made in the transaction being
 * decoded). */
bool pgtypes_fixed(const pgtypes *t, uint32_t oid, int32_t typmod);

/* Whether a snapshot of the connection sees transaction xid (the top-level
 * xid of a transaction being decoded) as committed: 1 yes, 0 not yet, -1
 * with err. A walsender sends a transaction once its commit record is
 * flushed, which is before the transaction ends in the server's process
 * array (a commit waiting for a synchronous standby waits in between): a
 * catalog query in that moment sees the catalog as it was before the
 * transaction's DDL, while the relation message describes it after. */
int pgtypes_xact_visible(pgtypes *t, uint32_t xid, char *err, size_t errlen);

/* Whether a commit cannot end without the walsender of pid walsender_pid
 * (syncrep_commits_wait_for, from what any role may read of the server's
 * walsenders and synchronous_standby_names): 1 yes, 0 no or not known, -2
 * when there is no such walsender (its connection is gone), -1 with err. */
int pgtypes_commits_wait_for(pgtypes *t, int walsender_pid, char *err, size_t errlen);

#endif
