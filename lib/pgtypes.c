/* pgtypes.c — see pgtypes.h. */
#include "pgtypes.h"

#include "log.h"

#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Entries are allocated one by one so that pointers handed out stay valid
 * while the index array grows. Columns of distinct types are few, so a
 * linear scan is enough: it runs per Relation message, not per row. */
struct pgtypes {
	PGconn *conn;
	pgtype_info **ent;
	size_t n, cap;
};

/* A domain is described by its base type (as Debezium does): a sink knows
 * what "numeric(10,2)" is, not what the source's "price" is. The typmod of
 * the base comes from the domain (CREATE DOMAIN price AS numeric(10,2)). */
static const char TYPE_SQL[] =
	"WITH RECURSIVE b(oid, typtype, typbasetype, typtypmod, mod, depth) AS ("
	" SELECT oid, typtype, typbasetype, typtypmod, $2::int4, 0"
	" FROM pg_catalog.pg_type WHERE oid = $1::oid"
	" UNION ALL"
	" SELECT t.oid, t.typtype, t.typbasetype, t.typtypmod,"
	"  CASE WHEN b.typtypmod <> -1 THEN b.typtypmod ELSE b.mod END, b.depth + 1"
	" FROM pg_catalog.pg_type t JOIN b ON t.oid = b.typbasetype"
	" WHERE b.typtype = 'd' AND b.depth < 100)"
	" SELECT (SELECT pg_catalog.format_type(oid, mod) FROM b ORDER BY depth DESC LIMIT 1),"
	" (SELECT oid FROM b ORDER BY depth DESC LIMIT 1)";

static const char PKEY_SQL[] =
	"SELECT a.attname FROM pg_catalog.pg_index i"
	" JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)"
	" WHERE i.indrelid = $1::oid AND i.indisprimary"
	" ORDER BY pg_catalog.array_position(i.indkey::int2[], a.attnum)";

pgtypes *pgtypes_new(PGconn *conn)
{
	pgtypes *t = calloc(1, sizeof *t);
	if (t)
		t->conn = conn;
	return t;
}

void pgtypes_set_conn(pgtypes *t, PGconn *conn)
{
	t->conn = conn;
}

void pgtypes_free(pgtypes *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->ent[i]->name);
		free(t->ent[i]);
	}
	free(t->ent);
	free(t);
}

static void set_err(char *err, size_t errlen, const char *what, PGconn *conn)
{
	const char *m = conn ? PQerrorMessage(conn) : "no connection";
	size_t n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	snprintf(err, errlen, "%s: %.*s", what, (int)n, m);
}

const pgtype_info *pgtypes_lookup(pgtypes *t, uint32_t oid, int32_t typmod, char *err, size_t errlen)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ent[i]->oid == oid && t->ent[i]->typmod == typmod)
			return t->ent[i];

	char a[16], b[16];
	snprintf(a, sizeof a, "%" PRIu32, oid);
	snprintf(b, sizeof b, "%" PRId32, typmod);
	const char *params[2] = {a, b};
	PGresult *res = PQexecParams(t->conn, TYPE_SQL, 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		set_err(err, errlen, "looking up a column type", t->conn);
		PQclear(res);
		return NULL;
	}
	if (PQgetisnull(res, 0, 1)) {
		snprintf(err, errlen, "type OID %" PRIu32 " does not exist", oid);
		PQclear(res);
		return NULL;
	}
	pgtype_info *e = calloc(1, sizeof *e);
	if (e)
		e->name = strdup(PQgetvalue(res, 0, 0));
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		pgtype_info **ne = realloc(t->ent, cap * sizeof *ne);
		if (ne) {
			t->ent = ne;
			t->cap = cap;
		}
	}
	if (!e || !e->name || t->n == t->cap) {
		if (e)
			free(e->name);
		free(e);
		PQclear(res);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->oid = oid;
	e->typmod = typmod;
	e->base_oid = (uint32_t)strtoul(PQgetvalue(res, 0, 1), NULL, 10);
	e->norm = pgvalue_norm_for_type(e->base_oid);
	PQclear(res);
	t->ent[t->n++] = e;
	return e;
}

int pgtypes_primary_key(pgtypes *t, uint32_t relid, char *names, size_t size, char *err, size_t errlen)
{
	char a[16];
	snprintf(a, sizeof a, "%" PRIu32, relid);
	const char *params[1] = {a};
	PGresult *res = PQexecParams(t->conn, PKEY_SQL, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		set_err(err, errlen, "looking up a primary key", t->conn);
		PQclear(res);
		return -1;
	}
	int n = PQntuples(res);
	size_t off = 0;
	for (int i = 0; i < n; i++) {
		const char *s = PQgetvalue(res, i, 0);
		size_t l = strlen(s) + 1;
		if (off + l > size) {
			snprintf(err, errlen, "primary key of table OID %" PRIu32 " too long", relid);
			PQclear(res);
			return -1;
		}
		memcpy(names + off, s, l);
		off += l;
	}
	PQclear(res);
	return n;
}

/* The 32-bit xid is placed in the epoch of the snapshot's xmax (a
 * transaction being decoded is less than 2^31 transactions old: the slot
 * holds back wraparound). */
static const char SEE_XACT_SQL[] =
	"SELECT pg_catalog.pg_visible_in_snapshot((q.x - ((q.x - $1::pg_catalog.int8) % 4294967296 + 4294967296) "
	"% 4294967296)::pg_catalog.text::pg_catalog.xid8, q.s) "
	"FROM (SELECT s, pg_catalog.pg_snapshot_xmax(s)::pg_catalog.text::pg_catalog.int8 AS x "
	"FROM pg_catalog.pg_current_snapshot() AS s) AS q";

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether the walsender is a synchronous standby: then a commit waits for
 * its confirmation, which waits for the commit to be seen. */
static const char SYNC_STANDBY_SQL[] =
	"SELECT count(*) FROM pg_catalog.pg_stat_replication "
	"WHERE pid = $1::pg_catalog.int4 AND sync_state IN ('sync', 'quorum')";

int pgtypes_see_xact(pgtypes *t, uint32_t xid, int walsender_pid, const volatile sig_atomic_t *stop, char *err,
		     size_t errlen)
{
	char a[16], w[16];
	snprintf(a, sizeof a, "%" PRIu32, xid);
	snprintf(w, sizeof w, "%d", walsender_pid);
	const char *params[1] = {a}, *wparams[1] = {w};
	int64_t start = now_ms(), next_sync_check = start + 1000;
	bool said = false;
	for (int nap = 1;; nap = nap < 50 ? nap * 2 : 50) {
		PGresult *res = PQexecParams(t->conn, SEE_XACT_SQL, 1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
			set_err(err, errlen, "waiting for a transaction to be visible", t->conn);
			PQclear(res);
			return -1;
		}
		bool seen = PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
		if (seen)
			return 0;
		if (stop && *stop)
			return 1;
		int64_t now = now_ms();
		if (walsender_pid > 0 && now >= next_sync_check) {
			res = PQexecParams(t->conn, SYNC_STANDBY_SQL, 1, NULL, wparams, NULL, NULL, 0);
			if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
				set_err(err, errlen, "looking up the walsender's synchronous state", t->conn);
				PQclear(res);
				return -1;
			}
			bool sync = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
			PQclear(res);
			if (sync)
				return 2;
			next_sync_check = now + 1000;
		}
		if (!said && now - start >= 5000) {
			log_info("the catalog does not yet see transaction %" PRIu32 ", whose commit was streamed: "
				 "waiting (a commit waiting for a synchronous standby is seen only after it)",
				 xid);
			said = true;
		}
		poll(NULL, 0, nap);
	}
}
