/* bfmsg.c — see bfmsg.h. */
#include "bfmsg.h"

#include "strv.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {NULL, "low", "high", "abort"};

static int errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

void bfmsg_free(bfmsg *m)
{
	free(m->slot);
	free(m->id);
	free(m->schema);
	free(m->table);
	strv_free(m->keys, m->nkeys);
	strv_free(m->cols, m->ncols);
	strv_free(m->types, m->ncols);
	memset(m, 0, sizeof *m);
}

static char *get_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static int get_strv(json_t *o, const char *key, char ***out, size_t *n)
{
	json_t *a = json_object_get(o, key);
	if (!json_is_array(a))
		return -1;
	*n = json_array_size(a);
	*out = calloc(*n ? *n : 1, sizeof **out);
	if (!*out)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		json_t *e = json_array_get(a, i);
		if (!json_is_string(e) || !((*out)[i] = strdup(json_string_value(e))))
			return -1;
	}
	return 0;
}

static int get_u64(json_t *o, const char *key, uint64_t *v)
{
	json_t *j = json_object_get(o, key);
	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return -1;
	*v = (uint64_t)json_integer_value(j);
	return 0;
}

int bfmsg_parse(const char *content, size_t len, bfmsg *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof *m);
	const char *nl = memchr(content, '\n', len);
	size_t hlen = nl ? (size_t)(nl - content) : len;
	json_error_t je;
	json_t *h = json_loadb(content, hlen, 0, &je);
	if (!h)
		return errf(err, errlen, "header: %s", je.text);
	int rc = -1;
	json_t *v = json_object_get(h, "v");
	json_t *kind = json_object_get(h, "kind");
	if (!json_is_integer(v) || json_integer_value(v) != BFMSG_VERSION) {
		errf(err, errlen, "header: want \"v\": %d", BFMSG_VERSION);
		goto out;
	}
	for (int k = BFMSG_LOW; k <= BFMSG_ABORT; k++)
		if (json_is_string(kind) && !strcmp(json_string_value(kind), kind_names[k]))
			m->kind = (bfmsg_kind)k;
	m->slot = get_str(h, "slot");
	m->id = get_str(h, "id");
	m->schema = get_str(h, "schema");
	m->table = get_str(h, "table");
	if (!m->kind || !m->slot || !m->id || !m->schema || !m->table || get_u64(h, "chunk", &m->chunk) < 0) {
		errf(err, errlen, "header: want \"kind\" low, high or abort, \"slot\", \"id\", \"schema\", "
				  "\"table\" and \"chunk\"");
		goto out;
	}
	if (m->kind == BFMSG_LOW) {
		size_t ntypes = 0;
		int bad = get_strv(h, "key", &m->keys, &m->nkeys) | get_strv(h, "cols", &m->cols, &m->ncols) |
			  get_strv(h, "types", &m->types, &ntypes);
		if (bad || ntypes != m->ncols || get_u64(h, "max_wal", &m->max_wal) < 0 || m->nkeys == 0) {
			errf(err, errlen, "low watermark: want \"key\" (not empty), \"cols\", \"types\" (as many) "
					  "and \"max_wal\"");
			strv_free(m->types, ntypes);
			m->types = NULL;
			goto out;
		}
	} else if (m->kind == BFMSG_HIGH) {
		json_t *tr = json_object_get(h, "truncate");
		if (get_u64(h, "rows", &m->nrows) < 0 || (tr && !json_is_boolean(tr))) {
			errf(err, errlen, "high watermark: want \"rows\" and a boolean \"truncate\"");
			goto out;
		}
		m->truncate = json_is_true(tr);
		m->rows = nl ? nl + 1 : content + len;
		m->rows_len = len - (size_t)(m->rows - content);
	}
	rc = 0;
out:
	json_decref(h);
	if (rc < 0)
		bfmsg_free(m);
	return rc;
}

static json_t *strv_json(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int put(buf *out, json_t *h)
{
	if (!h)
		return -1;
	char *s = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(h);
	if (!s)
		return -1;
	int rc = buf_puts(out, s) | buf_putc(out, '\n');
	free(s);
	return rc ? -1 : 0;
}

static json_t *header(bfmsg_kind kind, const char *slot, const char *id, const char *schema,
		      const char *table, uint64_t chunk)
{
	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:I}", "v", BFMSG_VERSION, "kind", kind_names[kind],
			 "slot", slot, "id", id, "schema", schema, "table", table, "chunk", (json_int_t)chunk);
}

int bfmsg_build_low(buf *out, const char *slot, const char *id, const char *schema, const char *table,
		 uint64_t chunk, const char *const *keys, size_t nkeys, const char *const *cols,
		 const char *const *types, size_t ncols, uint64_t max_wal)
{
	json_t *h = header(BFMSG_LOW, slot, id, schema, table, chunk);
	/* json_object_set_new takes the value even when it fails. */
	if (!h || json_object_set_new(h, "key", strv_json(keys, nkeys)) < 0 ||
	    json_object_set_new(h, "cols", strv_json(cols, ncols)) < 0 ||
	    json_object_set_new(h, "types", strv_json(types, ncols)) < 0 ||
	    json_object_set_new(h, "max_wal", json_integer((json_int_t)max_wal)) < 0) {
		json_decref(h);
		return -1;
	}
	return put(out, h);
}

int bfmsg_build_high(buf *out, const char *slot, const char *id, const char *schema, const char *table,
		  uint64_t chunk, uint64_t nrows, bool truncate)
{
	json_t *h = header(BFMSG_HIGH, slot, id, schema, table, chunk);
	if (!h || json_object_set_new(h, "rows", json_integer((json_int_t)nrows)) < 0 ||
	    json_object_set_new(h, "truncate", json_boolean(truncate)) < 0) {
		json_decref(h);
		return -1;
	}
	return put(out, h);
}

int bfmsg_build_abort(buf *out, const char *slot, const char *id, const char *schema, const char *table,
		   uint64_t chunk)
{
	return put(out, header(BFMSG_ABORT, slot, id, schema, table, chunk));
}
