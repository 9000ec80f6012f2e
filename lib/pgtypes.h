/* pgtypes.h — catalog facts a producer needs about the columns it decodes,
 * looked up on an ordinary libpq connection and cached for the life of the
 * process: for a (type OID, typmod) the base type after resolving domains,
 * the name format_type() prints for it and the pgvalue normalisation that
 * follows from it; and the primary key of a table (for REPLICA IDENTITY FULL).
 * Type OIDs never change meaning, so the cache is never invalidated. And,
 * as the condition of every such lookup made for a decoded transaction,
 * waiting until the connection sees that transaction's catalog changes. */
#ifndef DBREPL_PGTYPES_H
#define DBREPL_PGTYPES_H

#include "pgvalue.h"

#include <libpq-fe.h>
#include <signal.h>
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

/* Waits until a snapshot of the connection sees transaction xid (the
 * top-level xid of a transaction being decoded) as committed. A walsender
 * sends a transaction once its commit record is flushed, which is before
 * the transaction ends in the server's process array (a commit waiting for
 * a synchronous standby waits in between): a catalog query in that moment
 * sees the catalog as it was before the transaction's DDL, while the
 * relation message describes it after. 0 when seen; 1 when *stop was set
 * first; 2 when the walsender of pid walsender_pid (0: none) is a
 * synchronous standby, checked after a second of waiting: the commit then
 * waits for the stream's confirmation, and this wait would never end; -1
 * with err. Says once on stderr when the wait grows long. */
int pgtypes_see_xact(pgtypes *t, uint32_t xid, int walsender_pid, const volatile sig_atomic_t *stop, char *err,
		     size_t errlen);

#endif
