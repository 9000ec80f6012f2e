/* libFuzzer target: the pgoutput decoder (lib/pgoutput.c), which pgcdc-read
 * runs on every XLogData payload. A message is decoded or refused; every
 * string and value a decoded message points to must lie within the
 * message (AddressSanitizer sees any byte read past it: libFuzzer's input
 * is an allocation of exactly its size), and a Relation must copy and
 * free. One decoder serves the whole run, as in pgcdc-read, so arrays it
 * keeps from message to message are exercised too. */
#include "pgoutput.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static pgo_decoder *dec;
static volatile unsigned sink;

static void touch_str(const char *s)
{
	if (s)
		sink += (unsigned)strlen(s);
}

static void touch_bytes(const char *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		sink += (unsigned char)p[i];
}

static void touch_tuple(const pgo_tuple *t)
{
	for (uint16_t i = 0; i < t->natts; i++) {
		const pgo_value *v = &t->values[i];
		if (v->kind == PGO_VALUE_TEXT || v->kind == PGO_VALUE_BINARY)
			touch_bytes(v->data, v->len);
		else if (v->kind != PGO_VALUE_NULL && v->kind != PGO_VALUE_UNCHANGED)
			abort(); /* a kind the decoder should have refused */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dec && !(dec = pgo_decoder_new()))
		abort();
	pgo_msg m;
	char err[256] = "";
	if (pgo_decode(dec, data, size, &m, err, sizeof err) < 0) {
		if (!memchr(err, '\0', sizeof err) || !err[0])
			abort(); /* a refusal says why */
		return 0;
	}
	switch (m.type) {
	case PGO_ORIGIN:
		touch_str(m.u.origin.name);
		break;
	case PGO_RELATION: {
		const pgo_relation *r = &m.u.relation;
		touch_str(r->nspname);
		touch_str(r->relname);
		for (uint16_t i = 0; i < r->natts; i++)
			touch_str(r->cols[i].name);
		pgo_relation *c = pgo_relation_copy(r);
		if (c) {
			if (c->natts != r->natts || c->oid != r->oid || c->replident != r->replident ||
			    strcmp(c->relname, r->relname) || strcmp(c->nspname, r->nspname))
				abort();
			for (uint16_t i = 0; i < r->natts; i++)
				if (strcmp(c->cols[i].name, r->cols[i].name) || c->cols[i].flags != r->cols[i].flags ||
				    c->cols[i].type_oid != r->cols[i].type_oid || c->cols[i].typmod != r->cols[i].typmod)
					abort();
			pgo_relation_free(c);
		}
		break;
	}
	case PGO_TYPE:
		touch_str(m.u.type.nspname);
		touch_str(m.u.type.typname);
		break;
	case PGO_INSERT:
	case PGO_UPDATE:
	case PGO_DELETE:
		if (m.u.change.old_kind)
			touch_tuple(&m.u.change.old_tuple);
		if (m.u.change.has_new)
			touch_tuple(&m.u.change.new_tuple);
		break;
	case PGO_TRUNCATE:
		for (uint32_t i = 0; i < m.u.truncate.nrelids; i++)
			sink += m.u.truncate.relids[i];
		break;
	case PGO_MESSAGE:
		touch_str(m.u.message.prefix);
		touch_bytes(m.u.message.content, m.u.message.len);
		break;
	default:
		break;
	}
	return 0;
}
