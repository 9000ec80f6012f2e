/* pgoutput.c — see pgoutput.h. The message layouts are those of
 * PostgreSQL's "Logical Replication Message Formats" (protocol 1). */
#include "pgoutput.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pgo_decoder {
	pgo_value *vals[2]; /* old, new tuple */
	size_t nvals[2];
	uint32_t *relids;
	size_t nrelids;
	pgo_column *cols;
	size_t ncols;
};

typedef struct reader {
	const unsigned char *p, *end;
	char *err;
	size_t errlen;
	int failed;
} reader;

static void fail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(reader *r, const char *fmt, ...)
{
	if (r->failed)
		return;
	r->failed = 1;
	if (r->err && r->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->err, r->errlen, fmt, ap);
		va_end(ap);
	}
}

static int need(reader *r, size_t n, const char *what)
{
	if (r->failed)
		return -1;
	if ((size_t)(r->end - r->p) < n) {
		fail(r, "message truncated in %s", what);
		return -1;
	}
	return 0;
}

static uint8_t get8(reader *r, const char *what)
{
	if (need(r, 1, what) < 0)
		return 0;
	return *r->p++;
}

static uint16_t get16(reader *r, const char *what)
{
	if (need(r, 2, what) < 0)
		return 0;
	uint16_t v = (uint16_t)((r->p[0] << 8) | r->p[1]);
	r->p += 2;
	return v;
}

static uint32_t get32(reader *r, const char *what)
{
	if (need(r, 4, what) < 0)
		return 0;
	uint32_t v = ((uint32_t)r->p[0] << 24) | ((uint32_t)r->p[1] << 16) |
		     ((uint32_t)r->p[2] << 8) | r->p[3];
	r->p += 4;
	return v;
}

static uint64_t get64(reader *r, const char *what)
{
	uint64_t hi = get32(r, what);
	uint64_t lo = get32(r, what);
	return (hi << 32) | lo;
}

/* A NUL-terminated string in place. */
static const char *getstr(reader *r, const char *what)
{
	if (r->failed)
		return "";
	const unsigned char *nul = memchr(r->p, '\0', (size_t)(r->end - r->p));
	if (!nul) {
		fail(r, "unterminated string in %s", what);
		return "";
	}
	const char *s = (const char *)r->p;
	r->p = nul + 1;
	return s;
}

static int grow(void **arr, size_t *cap, size_t want, size_t elsize)
{
	if (*cap >= want)
		return 0;
	size_t n = *cap ? *cap : 16;
	while (n < want)
		n *= 2;
	void *p = realloc(*arr, n * elsize);
	if (!p)
		return -1;
	*arr = p;
	*cap = n;
	return 0;
}

static void get_tuple(reader *r, pgo_decoder *d, int which, pgo_tuple *t)
{
	t->natts = get16(r, "TupleData");
	t->values = NULL;
	if (r->failed)
		return;
	if (grow((void **)&d->vals[which], &d->nvals[which], t->natts ? t->natts : 1,
		 sizeof(pgo_value)) < 0) {
		fail(r, "out of memory");
		return;
	}
	t->values = d->vals[which];
	for (uint16_t i = 0; i < t->natts && !r->failed; i++) {
		pgo_value *v = &t->values[i];
		v->kind = (char)get8(r, "TupleData");
		v->data = NULL;
		v->len = 0;
		switch (v->kind) {
		case PGO_VALUE_NULL:
		case PGO_VALUE_UNCHANGED:
			break;
		case PGO_VALUE_TEXT:
		case PGO_VALUE_BINARY:
			v->len = get32(r, "TupleData value length");
			if (need(r, v->len, "TupleData value") < 0)
				return;
			v->data = (const char *)r->p;
			r->p += v->len;
			break;
		default:
			if (!r->failed)
				fail(r, "unknown TupleData value kind 0x%02x in column %u",
				     (unsigned char)v->kind, (unsigned)i + 1);
			return;
		}
	}
}

int pgo_decode(pgo_decoder *d, const void *data, size_t len, pgo_msg *out,
	       char *err, size_t errlen)
{
	reader r = {.p = data, .end = (const unsigned char *)data + len, .err = err, .errlen = errlen};
	memset(out, 0, sizeof *out);
	out->type = (char)get8(&r, "message type");
	if (r.failed)
		return -1;
	switch (out->type) {
	case PGO_BEGIN:
		out->u.begin.final_lsn = get64(&r, "Begin");
		out->u.begin.commit_ts = (int64_t)get64(&r, "Begin");
		out->u.begin.xid = get32(&r, "Begin");
		break;
	case PGO_COMMIT:
		out->u.commit.flags = get8(&r, "Commit");
		out->u.commit.commit_lsn = get64(&r, "Commit");
		out->u.commit.end_lsn = get64(&r, "Commit");
		out->u.commit.commit_ts = (int64_t)get64(&r, "Commit");
		break;
	case PGO_ORIGIN:
		out->u.origin.lsn = get64(&r, "Origin");
		out->u.origin.name = getstr(&r, "Origin");
		break;
	case PGO_RELATION: {
		pgo_relation *rel = &out->u.relation;
		rel->oid = get32(&r, "Relation");
		rel->nspname = getstr(&r, "Relation");
		rel->relname = getstr(&r, "Relation");
		rel->replident = (char)get8(&r, "Relation");
		rel->natts = get16(&r, "Relation");
		if (r.failed)
			break;
		if (grow((void **)&d->cols, &d->ncols, rel->natts ? rel->natts : 1, sizeof(pgo_column)) < 0) {
			fail(&r, "out of memory");
			break;
		}
		rel->cols = d->cols;
		for (uint16_t i = 0; i < rel->natts && !r.failed; i++) {
			rel->cols[i].flags = get8(&r, "Relation column");
			rel->cols[i].name = getstr(&r, "Relation column");
			rel->cols[i].type_oid = get32(&r, "Relation column");
			rel->cols[i].typmod = (int32_t)get32(&r, "Relation column");
		}
		break;
	}
	case PGO_TYPE:
		out->u.type.oid = get32(&r, "Type");
		out->u.type.nspname = getstr(&r, "Type");
		out->u.type.typname = getstr(&r, "Type");
		break;
	case PGO_INSERT: {
		out->u.change.relid = get32(&r, "Insert");
		uint8_t k = get8(&r, "Insert");
		if (!r.failed && k != 'N')
			fail(&r, "Insert: expected 'N', got 0x%02x", k);
		get_tuple(&r, d, 1, &out->u.change.new_tuple);
		out->u.change.has_new = true;
		break;
	}
	case PGO_UPDATE: {
		out->u.change.relid = get32(&r, "Update");
		uint8_t k = get8(&r, "Update");
		if (!r.failed && (k == 'K' || k == 'O')) {
			out->u.change.old_kind = (char)k;
			get_tuple(&r, d, 0, &out->u.change.old_tuple);
			k = get8(&r, "Update");
		}
		if (!r.failed && k != 'N')
			fail(&r, "Update: expected 'N', got 0x%02x", k);
		get_tuple(&r, d, 1, &out->u.change.new_tuple);
		out->u.change.has_new = true;
		break;
	}
	case PGO_DELETE: {
		out->u.change.relid = get32(&r, "Delete");
		uint8_t k = get8(&r, "Delete");
		if (!r.failed && k != 'K' && k != 'O')
			fail(&r, "Delete: expected 'K' or 'O', got 0x%02x", k);
		out->u.change.old_kind = (char)k;
		get_tuple(&r, d, 0, &out->u.change.old_tuple);
		break;
	}
	case PGO_TRUNCATE: {
		uint32_t n = get32(&r, "Truncate");
		out->u.truncate.options = get8(&r, "Truncate");
		if (r.failed)
			break;
		/* Each relid takes 4 bytes: a bogus count cannot make us allocate much. */
		if (need(&r, (size_t)n * 4, "Truncate relids") < 0)
			break;
		if (grow((void **)&d->relids, &d->nrelids, n ? n : 1, sizeof(uint32_t)) < 0) {
			fail(&r, "out of memory");
			break;
		}
		for (uint32_t i = 0; i < n; i++)
			d->relids[i] = get32(&r, "Truncate");
		out->u.truncate.nrelids = n;
		out->u.truncate.relids = d->relids;
		break;
	}
	case PGO_MESSAGE:
		out->u.message.flags = get8(&r, "Message");
		out->u.message.lsn = get64(&r, "Message");
		out->u.message.prefix = getstr(&r, "Message");
		out->u.message.len = get32(&r, "Message");
		if (need(&r, out->u.message.len, "Message content") == 0) {
			out->u.message.content = (const char *)r.p;
			r.p += out->u.message.len;
		}
		break;
	default:
		fail(&r, "unknown message type 0x%02x", (unsigned char)out->type);
		break;
	}
	if (!r.failed && r.p != r.end)
		fail(&r, "%zu unexpected bytes after '%c' message", (size_t)(r.end - r.p), out->type);
	return r.failed ? -1 : 0;
}

pgo_decoder *pgo_decoder_new(void)
{
	return calloc(1, sizeof(pgo_decoder));
}

void pgo_decoder_free(pgo_decoder *d)
{
	if (!d)
		return;
	free(d->vals[0]);
	free(d->vals[1]);
	free(d->relids);
	free(d->cols);
	free(d);
}

pgo_relation *pgo_relation_copy(const pgo_relation *r)
{
	/* One allocation: the struct, the columns, then every string. */
	size_t size = sizeof *r + (size_t)r->natts * sizeof(pgo_column);
	size += strlen(r->nspname) + 1 + strlen(r->relname) + 1;
	for (uint16_t i = 0; i < r->natts; i++)
		size += strlen(r->cols[i].name) + 1;
	pgo_relation *c = malloc(size);
	if (!c)
		return NULL;
	*c = *r;
	c->cols = (pgo_column *)(c + 1);
	char *s = (char *)(c->cols + r->natts);
	size_t n = strlen(r->nspname) + 1;
	memcpy(s, r->nspname, n);
	c->nspname = s;
	s += n;
	n = strlen(r->relname) + 1;
	memcpy(s, r->relname, n);
	c->relname = s;
	s += n;
	for (uint16_t i = 0; i < r->natts; i++) {
		c->cols[i] = r->cols[i];
		n = strlen(r->cols[i].name) + 1;
		memcpy(s, r->cols[i].name, n);
		c->cols[i].name = s;
		s += n;
	}
	return c;
}

void pgo_relation_free(pgo_relation *r)
{
	free(r);
}
