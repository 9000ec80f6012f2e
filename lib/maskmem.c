/* maskmem.c — see maskmem.h. */
#include "maskmem.h"

#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* A column masked in a relation as the stream last sent it. */
typedef struct masked_col {
	char *name;
	int16_t attnum; /* the catalog's when it was seen (0: not found) */
	unsigned char mask;
} masked_col;

/* What the stream last said of a masked relation (or, before it said
 * anything, the catalog at start): kept through reconnects, which empty
 * the relation cache, so that a relation sent again is held to what was
 * masked before. */
typedef struct maskmem {
	uint32_t oid;
	char **names;     /* every column of the relation as last sent */
	int16_t *attnums; /* theirs in the catalog then (0: not found) */
	size_t nnames;
	masked_col *masked; /* its masked columns, and those gone from it since */
	size_t nmasked;
} maskmem;

struct maskmem_set {
	maskmem *v;
	size_t n, cap;
};

maskmem_set *maskmem_new(void)
{
	return calloc(1, sizeof(maskmem_set));
}

static maskmem *maskmem_find(const maskmem_set *ms, uint32_t oid)
{
	for (size_t i = 0; ms && i < ms->n; i++)
		if (ms->v[i].oid == oid)
			return &ms->v[i];
	return NULL;
}

static void maskmem_clear(maskmem *m)
{
	for (size_t i = 0; i < m->nnames; i++)
		free(m->names[i]);
	for (size_t i = 0; i < m->nmasked; i++)
		free(m->masked[i].name);
	free(m->names);
	free(m->attnums);
	free(m->masked);
	m->names = NULL;
	m->attnums = NULL;
	m->masked = NULL;
	m->nnames = m->nmasked = 0;
}

void maskmem_free(maskmem_set *ms)
{
	if (!ms)
		return;
	for (size_t i = 0; i < ms->n; i++)
		maskmem_clear(&ms->v[i]);
	free(ms->v);
	free(ms);
}

static int col_index(const record_column *cols, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cols[i].name, name))
			return (int)i;
	return -1;
}

/* The attnum of a live column now (0: none), and the name of a live
 * attnum now (NULL: none). */
static int16_t attnum_now(const colmask_relcols *now, const char *name)
{
	for (size_t j = 0; j < now->n; j++)
		if (!strcmp(now->names[j], name))
			return now->attnums[j];
	return 0;
}

static const char *name_now(const colmask_relcols *now, int16_t attnum)
{
	for (size_t j = 0; attnum && j < now->n; j++)
		if (now->attnums[j] == attnum)
			return now->names[j];
	return NULL;
}

static const char *mask_word(const unsigned char *plan, int i)
{
	record_mask m = i >= 0 && plan ? (record_mask)plan[i] : RECORD_MASK_NONE;
	return m == RECORD_MASK_NONE ? "unmasked" : record_mask_name(m);
}

/* Whether the columns cols[n] of relation oid, masked by plan (NULL: none),
 * keep masked as it was every column masked before (maskmem). For each:
 *   one of the same name must have the same mask (a RENAME of the table or
 *   its schema leaves the rules behind);
 *   its attnum, when the catalog has it now under a name in cols, must
 *   have the same mask there (a column renamed, to a new name, to the name
 *   of one dropped with it, or swapping names), even when a column of its
 *   old name is there too (renamed, then added again);
 *   when it is no longer there it may have been renamed: it is taken for
 *   renamed when cols has a name the relation did not have, or a name
 *   whose column is not the one it was (the catalog has that name under
 *   another attnum, or not at all: DDL ran ahead of the stream);
 *   else it was dropped, or left out of the publication, and is kept in
 *   mind, in case it comes back renamed.
 * The catalog only adds reasons to stop. 1 and said when one is not masked
 * as before; 0; -1 with err (the catalog). */
static bool lost_with(const maskmem *mm, const colmask_relcols *now, uint32_t oid, const char *schema,
		      const char *table, const record_column *cols, size_t n, const unsigned char *plan, bool rows_sent)
{
	if (!mm || !mm->nmasked)
		return false;
	/* a name it did not have; a name whose column is not the one it was */
	const char *added = NULL, *moved = NULL;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < mm->nnames && strcmp(mm->names[k], cols[i].name))
			k++;
		if (k == mm->nnames) {
			if (!added)
				added = cols[i].name;
		} else if (!moved && mm->attnums[k] && attnum_now(now, cols[i].name) != mm->attnums[k]) {
			moved = cols[i].name;
		}
	}
	char what[1024] = "";
	for (size_t k = 0; k < mm->nmasked && !what[0]; k++) {
		const masked_col *e = &mm->masked[k];
		int i = col_index(cols, n, e->name);
		const char *was = record_mask_name((record_mask)e->mask);
		if (i >= 0 && (!plan || plan[i] != e->mask)) {
			snprintf(what, sizeof what, "its column %s was %s, and would now go %s", e->name, was,
				 mask_word(plan, i));
			continue;
		}
		const char *x = name_now(now, e->attnum);
		int j = x && strcmp(x, e->name) ? col_index(cols, n, x) : -1;
		if (j >= 0 && (!plan || plan[j] != e->mask)) {
			snprintf(what, sizeof what, "its column %s, %s before, is %s now, and would go %s", e->name, was,
				 x, mask_word(plan, j));
			continue;
		}
		/* there by name, but the name is another column's now: the one
		 * masked was renamed or dropped, maybe while the stream was
		 * behind, and may be in cols under a name it had then */
		if (i >= 0 && e->attnum && attnum_now(now, e->name) != e->attnum) {
			snprintf(what, sizeof what, "its column %s, %s before, is no longer the column it was", e->name,
				 was);
			continue;
		}
		if (i >= 0)
			continue;
		if (added)
			snprintf(what, sizeof what, "its column %s, %s before, is not in it, and %s, which it did not "
				 "have, is", e->name, was, added);
		else if (moved)
			snprintf(what, sizeof what, "its column %s, %s before, is not in it, and its column %s is not "
				 "the one it was", e->name, was, moved);
	}
	if (!what[0])
		return false;
	if (rows_sent)
		log_error("relation %s.%s (OID %" PRIu32 "): %s. Stopping before a record of it, so that no value "
			  "leaves unmasked. The transaction at hand has sent rows already, and a restart sends them "
			  "again as they were, which no rule may name: move the slot past this transaction and copy "
			  "the table again (pgcdc-read(1), \"Masking and renames\")",
			  schema, table, oid, what);
	else
		log_error("relation %s.%s (OID %" PRIu32 "): %s. Stopping before a record of it, so that no value "
			  "leaves unmasked (the records before are confirmed). If a masked column was renamed, name "
			  "it as it is now; if it was dropped, remove its rule; and start again. If that stops here "
			  "again, the stream is sending rows from before the change, which no rule may name: move the "
			  "slot past this transaction and copy the table again (pgcdc-read(1), \"Masking and "
			  "renames\")",
			  schema, table, oid, what);
	return true;
}

/* Remembers relation oid as sent, cols[n] masked by plan: its names and
 * their attnums in now, its masked columns, and those masked before that it
 * no longer has. */
static void note_with(maskmem_set *ms, const colmask_relcols *now, uint32_t oid, const record_column *cols,
		      size_t n, const unsigned char *plan)
{
	maskmem *mm = maskmem_find(ms, oid);
	bool any = false;
	for (size_t i = 0; plan && i < n; i++)
		any |= plan[i] != RECORD_MASK_NONE;
	if (!mm && !any)
		return;
	maskmem next = {.oid = oid};
	next.names = calloc(n + 1, sizeof *next.names);
	next.attnums = calloc(n + 1, sizeof *next.attnums);
	next.masked = calloc(n + (mm ? mm->nmasked : 0) + 1, sizeof *next.masked);
	if (!next.names || !next.attnums || !next.masked)
		die(EX_OSERR, "out of memory (masks)");
	for (size_t i = 0; i < n; i++) {
		if (!(next.names[i] = strdup(cols[i].name)))
			die(EX_OSERR, "out of memory (masks)");
		next.attnums[i] = attnum_now(now, cols[i].name);
		next.nnames++;
		if (!plan || plan[i] == RECORD_MASK_NONE)
			continue;
		masked_col *e = &next.masked[next.nmasked++];
		if (!(e->name = strdup(cols[i].name)))
			die(EX_OSERR, "out of memory (masks)");
		e->mask = plan[i];
		e->attnum = next.attnums[i];
	}
	/* gone from it, kept in mind (maskmem_lost) */
	for (size_t k = 0; mm && k < mm->nmasked; k++) {
		if (col_index(cols, n, mm->masked[k].name) >= 0)
			continue;
		next.masked[next.nmasked] = mm->masked[k];
		if (!(next.masked[next.nmasked++].name = strdup(mm->masked[k].name)))
			die(EX_OSERR, "out of memory (masks)");
	}
	if (!mm) {
		if (ms->n == ms->cap) {
			size_t cap = ms->cap ? ms->cap * 2 : 16;
			maskmem *p = realloc(ms->v, cap * sizeof *p);
			if (!p)
				die(EX_OSERR, "out of memory (masks)");
			ms->v = p;
			ms->cap = cap;
		}
		mm = &ms->v[ms->n++];
	} else {
		maskmem_clear(mm);
	}
	*mm = next;
}

/* The relation's live columns now, when ms holds it (else none, 0): one
 * catalog query serves the check and the note. */
static int fetch(const maskmem_set *ms, PGconn *cat, uint32_t oid, colmask_relcols *now, char *err, size_t errlen)
{
	memset(now, 0, sizeof *now);
	if (!maskmem_find(ms, oid))
		return 0;
	return colmask_relcols_get(cat, oid, now, err, errlen) < 0 ? -1 : 0;
}

int maskmem_lost(const maskmem_set *ms, PGconn *cat, uint32_t oid, const char *schema, const char *table,
		 const record_column *cols, size_t n, const unsigned char *plan, bool rows_sent, char *err, size_t errlen)
{
	colmask_relcols now;
	if (fetch(ms, cat, oid, &now, err, errlen) < 0)
		return -1;
	bool lost = lost_with(maskmem_find(ms, oid), &now, oid, schema, table, cols, n, plan, rows_sent);
	colmask_relcols_free(&now);
	return lost;
}

int maskmem_relation(maskmem_set *ms, PGconn *cat, uint32_t oid, const char *schema, const char *table,
		     const record_column *cols, size_t n, const unsigned char *plan, bool rows_sent, char *err,
		     size_t errlen)
{
	bool any = false;
	for (size_t i = 0; plan && i < n; i++)
		any |= plan[i] != RECORD_MASK_NONE;
	colmask_relcols now;
	memset(&now, 0, sizeof now);
	if ((maskmem_find(ms, oid) || any) && colmask_relcols_get(cat, oid, &now, err, errlen) < 0)
		return -1;
	bool lost = lost_with(maskmem_find(ms, oid), &now, oid, schema, table, cols, n, plan, rows_sent);
	if (!lost)
		note_with(ms, &now, oid, cols, n, plan);
	colmask_relcols_free(&now);
	return lost;
}

int maskmem_prefill(maskmem_set *ms, PGconn *cat, const colmask *rules, const char *publications, char *err,
		    size_t errlen)
{
	const char *params[1] = {publications};
	PGresult *res = PQexecParams(cat,
				     "SELECT DISTINCT c.oid FROM pg_catalog.pg_publication_tables pt "
				     "JOIN pg_catalog.pg_namespace n ON n.nspname = pt.schemaname "
				     "JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename "
				     "WHERE pt.pubname = ANY (pg_catalog.string_to_array($1, ','))",
				     1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "looking up the tables of publication %s failed (%s)", publications,
			 PQerrorMessage(cat));
		err[strcspn(err, "\n")] = '\0';
		PQclear(res);
		return -1;
	}
	int rc = 0;
	for (int r = 0; r < PQntuples(res) && rc == 0; r++) {
		uint32_t oid = (uint32_t)strtoul(PQgetvalue(res, r, 0), NULL, 10);
		colmask_relcols now;
		char **parents = NULL;
		size_t nparents = 0;
		if (colmask_relcols_get(cat, oid, &now, err, errlen) < 0)
			rc = -1;
		else if (colmask_parents(cat, oid, &parents, &nparents, err, errlen) < 0)
			rc = -1;
		record_column *cols = rc ? NULL : calloc(now.n + 1, sizeof *cols);
		unsigned char *plan = rc ? NULL : malloc(now.n + 1);
		if (!rc && (!cols || !plan))
			die(EX_OSERR, "out of memory (masks)");
		for (size_t i = 0; !rc && i < now.n; i++) {
			cols[i].name = now.names[i];
			cols[i].type = "";
		}
		char perr[512];
		int any = rc || !now.n ? 0
				       : colmask_plan(rules, now.schema, now.table, parents, nparents, cols, now.n, NULL,
						      0, plan, perr, sizeof perr);
		if (any > 0)
			note_with(ms, &now, oid, cols, now.n, plan);
		free(cols);
		free(plan);
		free(parents);
		colmask_relcols_free(&now);
	}
	PQclear(res);
	return rc;
}

