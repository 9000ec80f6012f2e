/* pgtypes.c — see pgtypes.h. */
#include "pgtypes.h"

#include "syncrep.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const pgtype_info *cached(const pgtypes *t, uint32_t oid, int32_t typmod)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ent[i]->oid == oid && t->ent[i]->typmod == typmod)
			return t->ent[i];
	return NULL;
}

bool pgtypes_fixed(const pgtypes *t, uint32_t oid, int32_t typmod)
{
	return oid < PGTYPES_FIRST_NORMAL_OID || cached(t, oid, typmod);
}

const pgtype_info *pgtypes_lookup(pgtypes *t, uint32_t oid, int32_t typmod, char *err, size_t errlen)
{
	const pgtype_info *hit = cached(t, oid, typmod);
	if (hit)
		return hit;

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

/* The walsenders in slot order with what any role may read of them: the
 * pid, and the application_name in pg_stat_activity. State and flush
 * position are NULL to a role without pg_read_all_stats. */
static const char WALSENDERS_SQL[] =
	"SELECT w.pid, a.application_name, "
	"w.state IS NULL OR (w.state IN ('streaming', 'stopping') AND w.flush_lsn IS NOT NULL), "
	"pg_catalog.current_setting('synchronous_standby_names') "
	"FROM pg_catalog.pg_stat_get_wal_senders() WITH ORDINALITY AS w "
	"LEFT JOIN pg_catalog.pg_stat_activity AS a ON a.pid = w.pid ORDER BY w.ordinality";

int pgtypes_xact_visible(pgtypes *t, uint32_t xid, char *err, size_t errlen)
{
	char a[16];
	snprintf(a, sizeof a, "%" PRIu32, xid);
	const char *params[1] = {a};
	PGresult *res = PQexecParams(t->conn, SEE_XACT_SQL, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		set_err(err, errlen, "asking whether a transaction is visible", t->conn);
		PQclear(res);
		return -1;
	}
	int seen = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return seen;
}

int pgtypes_commits_wait_for(pgtypes *t, int walsender_pid, char *err, size_t errlen)
{
	PGresult *res = PQexec(t->conn, WALSENDERS_SQL);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 4) {
		set_err(err, errlen, "looking up the walsenders", t->conn);
		PQclear(res);
		return -1;
	}
	int n = PQntuples(res);
	syncrep_standby *s = calloc(n ? (size_t)n : 1, sizeof *s);
	if (!s) {
		PQclear(res);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t me = (size_t)n;
	for (int i = 0; i < n; i++) {
		s[i].app = PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1);
		s[i].valid = PQgetvalue(res, i, 2)[0] == 't';
		if (atoi(PQgetvalue(res, i, 0)) == walsender_pid)
			me = (size_t)i;
	}
	int waits = me == (size_t)n ? -2 : syncrep_commits_wait_for(PQgetvalue(res, 0, 3), s, (size_t)n, me);
	free(s);
	PQclear(res);
	return waits;
}
