/* jtree.c — see jtree.h. Recursive descent over the input; the string
 * scanner and unescaper are the record decoder's (record_priv.h), so both
 * read JSON strings the same way and say the same of bad ones. */
#include "jtree.h"

#include "record_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct jt_parser {
	const char *p, *end, *start;
	jt_alloc_fn alloc;
	void *ctx;
	char *err;
	size_t errlen;
} jt_parser;

static int jt_err(jt_parser *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int jt_err(jt_parser *j, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	record_verrf(j->err, j->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static size_t at(const jt_parser *j)
{
	return (size_t)(j->p - j->start) + 1;
}

static void ws(jt_parser *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int truncated(jt_parser *j)
{
	return jt_err(j, "unexpected end of input (truncated record)");
}

/* A string at j->p (its opening quote) into *s, *len. */
static int get_string(jt_parser *j, const char **s, size_t *len)
{
	const char *q;
	bool plain;
	int rc = record_json_string_end(j->p + 1, j->end, &q, &plain);
	if (rc == 1)
		return truncated(j);
	if (rc == 2) {
		j->p = q;
		return jt_err(j, "control character in string at byte %zu", at(j));
	}
	const char *raw = j->p + 1;
	size_t n = (size_t)(q - raw);
	j->p = q + 1;
	if (plain) {
		*s = raw;
		*len = n;
		return 0;
	}
	char *dst = j->alloc(j->ctx, n + 1, 1);
	if (!dst)
		return jt_err(j, "out of memory");
	if (record_json_unescape(raw, n, dst, len, j->err, j->errlen) < 0)
		return -1;
	*s = dst;
	return 0;
}

static int get_number(jt_parser *j, jt_node *n)
{
	const char *p = j->p, *e = j->end;
	n->is_int = true;
	if (p < e && *p == '-')
		p++;
	if (p < e && *p == '0') {
		p++;
	} else if (p < e && *p >= '1' && *p <= '9') {
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	} else {
		j->p = p;
		return p >= e ? truncated(j) : jt_err(j, "invalid token at byte %zu", at(j));
	}
	if (p < e && *p == '.') {
		n->is_int = false;
		if (++p >= e || *p < '0' || *p > '9')
			goto bad;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		n->is_int = false;
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			goto bad;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	n->type = JT_NUMBER;
	n->s = j->p;
	n->len = (size_t)(p - j->p);
	j->p = p;
	return 0;
bad:
	j->p = p;
	return jt_err(j, "invalid number at byte %zu", at(j));
}

static int literal(jt_parser *j, const char *w, jt_type t, jt_node *n)
{
	size_t len = strlen(w);
	if ((size_t)(j->end - j->p) < len || memcmp(j->p, w, len) != 0) {
		if ((size_t)(j->end - j->p) < len && memcmp(j->p, w, (size_t)(j->end - j->p)) == 0)
			return truncated(j);
		return jt_err(j, "invalid token at byte %zu", at(j));
	}
	j->p += len;
	n->type = t;
	return 0;
}

static int get_value(jt_parser *j, jt_node *n, int depth);

/* The children of an array or object at j->p (its opening bracket). */
static int get_children(jt_parser *j, jt_node *n, int depth)
{
	bool object = *j->p == '{';
	char close = object ? '}' : ']';
	if (depth >= JTREE_MAX_DEPTH)
		return jt_err(j, "nesting deeper than %d levels at byte %zu", JTREE_MAX_DEPTH, at(j));
	n->type = object ? JT_OBJECT : JT_ARRAY;
	j->p++;
	ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	jt_node **tail = &n->first;
	for (;;) {
		jt_node *kid = j->alloc(j->ctx, sizeof *kid, 8);
		if (!kid)
			return jt_err(j, "out of memory");
		memset(kid, 0, sizeof *kid);
		ws(j);
		if (object) {
			if (j->p >= j->end)
				return truncated(j);
			if (*j->p != '"')
				return jt_err(j, "expected an object key at byte %zu", at(j));
			if (get_string(j, &kid->key, &kid->klen) < 0)
				return -1;
			ws(j);
			if (j->p >= j->end)
				return truncated(j);
			if (*j->p != ':')
				return jt_err(j, "expected ':' at byte %zu", at(j));
			j->p++;
		}
		if (get_value(j, kid, depth + 1) < 0)
			return -1;
		*tail = kid;
		tail = &kid->next;
		n->len++;
		ws(j);
		if (j->p >= j->end)
			return truncated(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p == close) {
			j->p++;
			return 0;
		}
		return jt_err(j, "expected ',' or '%c' at byte %zu", close, at(j));
	}
}

static int get_value(jt_parser *j, jt_node *n, int depth)
{
	ws(j);
	if (j->p >= j->end)
		return truncated(j);
	n->at = (size_t)(j->p - j->start);
	switch (*j->p) {
	case '"':
		n->type = JT_STRING;
		return get_string(j, &n->s, &n->len);
	case '{':
	case '[':
		return get_children(j, n, depth);
	case 't':
		return literal(j, "true", JT_TRUE, n);
	case 'f':
		return literal(j, "false", JT_FALSE, n);
	case 'n':
		return literal(j, "null", JT_NULL, n);
	default:
		return get_number(j, n);
	}
}

jt_node *jt_parse(const char *data, size_t len, jt_alloc_fn alloc, void *ctx, char *err, size_t errlen)
{
	jt_parser j = {.p = data, .end = data + len, .start = data, .alloc = alloc, .ctx = ctx,
		       .err = err, .errlen = errlen};
	jt_node *root = alloc(ctx, sizeof *root, 8);
	if (!root) {
		jt_err(&j, "out of memory");
		return NULL;
	}
	memset(root, 0, sizeof *root);
	if (get_value(&j, root, 0) < 0)
		return NULL;
	ws(&j);
	if (j.p != j.end) {
		jt_err(&j, "trailing data after the value at byte %zu", at(&j));
		return NULL;
	}
	return root;
}

const jt_node *jt_get(const jt_node *o, const char *key)
{
	if (!o || o->type != JT_OBJECT)
		return NULL;
	for (const jt_node *k = o->first; k; k = k->next)
		if (jt_key_is(k, key))
			return k;
	return NULL;
}

bool jt_str_is(const jt_node *n, const char *s)
{
	size_t len = strlen(s);
	return n && n->type == JT_STRING && n->len == len && memcmp(n->s, s, len) == 0;
}

bool jt_key_is(const jt_node *n, const char *s)
{
	size_t len = strlen(s);
	return n && n->key && n->klen == len && memcmp(n->key, s, len) == 0;
}
