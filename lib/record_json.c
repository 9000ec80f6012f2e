/* record_json.c — the NDJSON encoding of a record (man/pgcdc-record.5):
 * a hand-written encoder that appends straight into a buf, and a
 * hand-written validating decoder (strict JSON, UTF-8 checked, duplicate
 * keys refused) that builds the record in its arena without an
 * intermediate tree, because kpub decodes every record it publishes.
 * The decoder expects what our encoders write: each key where they put
 * it (next_member's want), the shape of a table it has seen (the shape
 * cache, record_cache.c), the position texts of the last record (the
 * memo, record_priv.h); when the bytes are exactly those it takes them
 * without the general parse, and anything else goes the general way, so
 * that the result and every message are the same either way. */
#include "record_debezium.h"
#include "record_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- encoding ---- */

static const char hexdig[] = "0123456789abcdef";

/* Length of the prefix of s[0..n) made of plain bytes. Eight bytes at a
 * time: the has-zero-byte/has-less-than tricks are exact about whether any
 * byte of the word matches (only which one is blurred), and then the bytes
 * of that word are looked at one by one. */
static size_t plain_prefix(const unsigned char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	size_t i = 0;
	while (n - i >= 8) {
		uint64_t x, q, b;
		memcpy(&x, s + i, 8);
		q = x ^ (ones * '"');
		b = x ^ (ones * '\\');
		if ((((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b) | x) & high)
			break;
		i += 8;
	}
	while (i < n && record_plain_byte[s[i]])
		i++;
	return i;
}

/* The rest of a string from s[i], a byte that needs a look: escapes and
 * non-ASCII runs (validated: a producer never emits a line its consumers
 * refuse). The caller reserved n + 2 bytes and wrote nothing yet. */
static int put_str_slow(buf *out, const unsigned char *p, size_t n, size_t i)
{
	out->data[out->len++] = '"';
	size_t run = 0;
	while (i < n) {
		unsigned char c = p[i];
		if (c >= 0x80) {
			/* a run of non-ASCII bytes ends on a character boundary */
			size_t j = i;
			while (j < n && p[j] >= 0x80)
				j++;
			if (utf8_valid_prefix(p + i, j - i) != j - i) {
				errno = EINVAL;
				return -1;
			}
			i = j;
		} else {
			if (rec_room(out, (i - run) + 6 + (n - i) + 1) < 0)
				return -1;
			char *o = out->data + out->len;
			memcpy(o, p + run, i - run);
			o += i - run;
			o[0] = '\\';
			if (c == '"' || c == '\\') {
				o[1] = (char)c;
				out->len += (i - run) + 2;
			} else {
				o[1] = 'u';
				o[2] = '0';
				o[3] = '0';
				o[4] = hexdig[c >> 4];
				o[5] = hexdig[c & 15];
				out->len += (i - run) + 6;
			}
			i++;
			run = i;
		}
		i += plain_prefix(p + i, n - i);
	}
	if (rec_room(out, (n - run) + 1) < 0)
		return -1;
	memcpy(out->data + out->len, p + run, n - run);
	out->len += n - run;
	out->data[out->len++] = '"';
	return 0;
}

/* Appends s as a JSON string; EINVAL on invalid UTF-8. */
static int put_str(buf *out, const char *s, size_t n)
{
	if (rec_room(out, n + 2) < 0)
		return -1;
	const unsigned char *p = (const unsigned char *)s;
	size_t i = plain_prefix(p, n);
	if (i < n)
		return put_str_slow(out, p, n, i);
	char *o = out->data + out->len;
	o[0] = '"';
	memcpy(o + 1, s, n);
	o[n + 1] = '"';
	out->len += n + 2;
	return 0;
}

int record_json_put_str(buf *out, const char *s, size_t n)
{
	return put_str(out, s, n);
}

static int put_cstr(buf *out, const char *s)
{
	if (!s) {
		errno = EINVAL;
		return -1;
	}
	return put_str(out, s, strlen(s));
}

static int put_mem(buf *out, const void *s, size_t n)
{
	if (rec_room(out, n) < 0)
		return -1;
	memcpy(out->data + out->len, s, n);
	out->len += n;
	return 0;
}

static int put_lit(buf *out, const char *s)
{
	return put_mem(out, s, strlen(s));
}

static int put_ch(buf *out, char c)
{
	if (rec_room(out, 1) < 0)
		return -1;
	out->data[out->len++] = c;
	return 0;
}

/* One value by its column's class. checked: the value comes from a record
 * a decoder checked (record.h), valid for its class already. */
static int put_value(buf *out, const record_value *v, value_class cls, bool checked)
{
	if (v->kind == VALUE_NULL)
		return put_mem(out, "null", 4);
	if (v->kind != VALUE_TEXT || !v->data) {
		errno = EINVAL;
		return -1;
	}
	switch (cls) {
	case VALUE_CLASS_INTEGER:
		if (!checked && !record_int_text_valid(v->data, v->len, NULL)) {
			errno = EINVAL;
			return -1;
		}
		return put_mem(out, v->data, v->len);
	case VALUE_CLASS_BOOLEAN:
		if (v->len == 1 && v->data[0] == 't')
			return put_mem(out, "true", 4);
		if (v->len == 1 && v->data[0] == 'f')
			return put_mem(out, "false", 5);
		errno = EINVAL;
		return -1;
	case VALUE_CLASS_BYTEA:
		if (!checked && !record_bytea_text_valid(v->data, v->len)) {
			errno = EINVAL;
			return -1;
		}
		/* hex digits never need escaping, except the leading backslash */
		if (rec_room(out, v->len + 3) < 0)
			return -1;
		memcpy(out->data + out->len, "\"\\\\", 3);
		memcpy(out->data + out->len + 3, v->data + 1, v->len - 1);
		out->len += v->len + 2;
		out->data[out->len++] = '"';
		return 0;
	default:
		return put_str(out, v->data, v->len);
	}
}

/* A column's name as an object key ("name":), from the encoder's cache
 * when it holds this shape. */
static int put_name_key(buf *out, const record *r, const record_encoder *e, size_t i)
{
	if (e) {
		uint32_t a = e->name_off[i];
		return put_mem(out, e->names.data + a, e->name_off[i + 1] - a);
	}
	if (put_cstr(out, r->cols[i].name) < 0)
		return -1;
	return put_ch(out, ':');
}

/* An image: the columns whose slot is set (UNCHANGED ones go to "unchanged"). */
static int put_image(buf *out, const record *r, const record_encoder *e, const record_value *img)
{
	if (put_ch(out, '{') < 0)
		return -1;
	bool first = true;
	for (size_t i = 0; i < r->ncols; i++) {
		if (img[i].kind == VALUE_ABSENT || img[i].kind == VALUE_UNCHANGED)
			continue;
		if (!first && put_ch(out, ',') < 0)
			return -1;
		first = false;
		value_class cls = e ? (value_class)e->cls[i] : record_type_class(r->cols[i].type);
		if (put_name_key(out, r, e, i) < 0 || put_value(out, &img[i], cls, false) < 0)
			return -1;
	}
	return put_ch(out, '}');
}

static bool name_ok(const char *s)
{
	return s && s[0] && strlen(s) <= RECORD_NAME_MAX;
}

int record_check_basic(const record *r)
{
	if (!record_op_name(r->op) || !r->db || !r->schema || !r->table ||
	    r->ncols > RECORD_MAX_COLUMNS || (r->ncols && !r->cols) || (r->nkeys && !r->keys) ||
	    (r->has_before && r->ncols && !r->before) || (r->has_after && r->ncols && !r->after)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int record_check_shape(const record *r)
{
	if (!name_ok(r->db) || !name_ok(r->schema) || !name_ok(r->table))
		goto bad;
	for (size_t i = 0; i < r->ncols; i++)
		if (!name_ok(r->cols[i].name) || !name_ok(r->cols[i].type) ||
		    (r->masks && r->masks[i] > RECORD_MASK_LAST))
			goto bad;
	for (size_t i = 0; i < r->nkeys; i++)
		if (r->keys[i] >= r->ncols || (r->masks && (r->masks[r->keys[i]] == RECORD_MASK_EXCLUDED ||
							    r->masks[r->keys[i]] == RECORD_MASK_FIXED)))
			goto bad;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int record_check_encodable(const record *r)
{
	return record_check_basic(r) < 0 ? -1 : record_check_shape(r);
}

/* From "db" to the end of "key": what only the table's shape decides. */
static int put_head(buf *out, const record *r)
{
	if (put_lit(out, ",\"db\":") < 0 || put_cstr(out, r->db) < 0 ||
	    put_lit(out, ",\"schema\":") < 0 || put_cstr(out, r->schema) < 0 ||
	    put_lit(out, ",\"table\":") < 0 || put_cstr(out, r->table) < 0 ||
	    put_lit(out, ",\"cols\":[") < 0)
		return -1;
	for (size_t i = 0; i < r->ncols; i++) {
		if ((i && put_ch(out, ',') < 0) || put_lit(out, "{\"name\":") < 0 ||
		    put_cstr(out, r->cols[i].name) < 0 || put_lit(out, ",\"type\":") < 0 ||
		    put_cstr(out, r->cols[i].type) < 0)
			return -1;
		if (r->masks && r->masks[i] &&
		    (put_lit(out, ",\"mask\":") < 0 ||
		     put_cstr(out, record_mask_name((record_mask)r->masks[i])) < 0))
			return -1;
		if (put_ch(out, '}') < 0)
			return -1;
	}
	if (put_lit(out, "],\"key\":[") < 0)
		return -1;
	for (size_t i = 0; i < r->nkeys; i++)
		if ((i && put_ch(out, ',') < 0) || put_cstr(out, r->cols[r->keys[i]].name) < 0)
			return -1;
	return put_ch(out, ']');
}

/* Fills e's JSON fragments for r (record_encoder_load done). */
static int load_json(record_encoder *e, const record *r)
{
	if (put_head(&e->head, r) < 0)
		return -1;
	for (size_t i = 0; i < r->ncols; i++) {
		e->name_off[i] = (uint32_t)e->names.len;
		if (put_cstr(&e->names, r->cols[i].name) < 0 || put_ch(&e->names, ':') < 0)
			return -1;
	}
	e->name_off[r->ncols] = (uint32_t)e->names.len;
	e->valid = true;
	return 0;
}

/* The encoder e when it holds (or now holds) r's shape in format f; NULL
 * when there is none, or when r's shape is bad (errno EINVAL, -1 in *rc). */
static record_encoder *shape_for(record_encoder *e, const record *r, record_format f, int *rc)
{
	*rc = 0;
	if (record_check_basic(r) < 0) {
		*rc = -1;
		return NULL;
	}
	if (record_encoder_match(e, r, f))
		return e;
	if (record_check_shape(r) < 0) {
		*rc = -1;
		return NULL;
	}
	if (!e)
		return NULL;
	int lr = record_encoder_load(e, r, f);
	if (lr == 0)
		lr = f == RECORD_FORMAT_MSGPACK ? record_encoder_load_msgpack(e, r) : load_json(e, r);
	if (lr < 0) {
		/* a name that does not encode fails the record below, as without a cache */
		e->valid = false;
		return NULL;
	}
	return e;
}

static int encode_json(record_encoder *e, const record *r, buf *out)
{
	int rc;
	e = shape_for(e, r, RECORD_FORMAT_JSON, &rc);
	if (rc < 0)
		return -1;
	/* {"v":N,"op":"X" */
	if (rec_room(out, 40) < 0)
		return -1;
	char *o = out->data + out->len;
	memcpy(o, "{\"v\":", 5);
	size_t n = 5;
	if (r->version < 0) {
		o[n++] = '-';
		n += record_fmt_u64(o + n, 0 - (uint64_t)(int64_t)r->version);
	} else {
		n += record_fmt_u64(o + n, (uint64_t)r->version);
	}
	memcpy(o + n, ",\"op\":\"", 7);
	n += 7;
	o[n++] = r->op;
	o[n++] = '"';
	out->len += n;
	if (e ? put_mem(out, e->head.data, e->head.len) < 0 : put_head(out, r) < 0)
		return -1;
	if (r->has_before && (put_lit(out, ",\"before\":") < 0 || put_image(out, r, e, r->before) < 0))
		return -1;
	if (r->has_after) {
		if (put_lit(out, ",\"after\":") < 0 || put_image(out, r, e, r->after) < 0)
			return -1;
		bool any = false;
		for (size_t i = 0; i < r->ncols; i++) {
			if (r->after[i].kind != VALUE_UNCHANGED)
				continue;
			if (put_lit(out, any ? "," : ",\"unchanged\":[") < 0 ||
			    put_cstr(out, r->cols[i].name) < 0)
				return -1;
			any = true;
		}
		if (any && put_ch(out, ']') < 0)
			return -1;
	}
	/* ,"src":{"lsn":"X/Y","xid":N,"ts":"…","seq":N[,"last":true]},"pos":{"stream": */
	if (rec_room(out, 200) < 0)
		return -1;
	o = out->data + out->len;
	n = 0;
	memcpy(o, ",\"src\":{\"lsn\":\"", 15);
	n = 15;
	n += record_fmt_lsn(o + n, r->lsn);
	memcpy(o + n, "\",\"xid\":", 8);
	n += 8;
	n += record_fmt_u64(o + n, r->xid);
	memcpy(o + n, ",\"ts\":\"", 7);
	n += 7;
	n += record_encoder_ts(e, o + n, r->commit_us);
	memcpy(o + n, "\",\"seq\":", 8);
	n += 8;
	n += record_fmt_u64(o + n, r->seq);
	if (r->last) {
		memcpy(o + n, ",\"last\":true", 12);
		n += 12;
	}
	memcpy(o + n, "},\"pos\":{\"stream\":", 18);
	n += 18;
	out->len += n;
	if (put_cstr(out, r->stream) < 0)
		return -1;
	/* ,"offset":"…"}}\n */
	if (rec_room(out, 64) < 0)
		return -1;
	o = out->data + out->len;
	memcpy(o, ",\"offset\":\"", 11);
	n = 11;
	n += record_fmt_offset(o + n, r->offset);
	memcpy(o + n, "\"}}\n", 4);
	out->len += n + 4;
	return 0;
}

int record_encoder_encode(record_encoder *e, const record *r, record_format f, buf *out)
{
	size_t start = out->len;
	if (r->masks && record_excluded_with_value(r) >= 0) {
		errno = EINVAL;
		return -1;
	}
	int rc = f == RECORD_FORMAT_MSGPACK ? record_encode_msgpack_impl(e, r, out)
					    : encode_json(e, r, out);
	if (rc == 0 && out->len - start > RECORD_MAX_BYTES) {
		errno = EMSGSIZE;
		rc = -1;
	}
	if (rc < 0) {
		int err = errno;
		out->len = start;
		errno = err ? err : ENOMEM;
	}
	return rc;
}

int record_encode(const record *r, record_format f, buf *out)
{
	return record_encoder_encode(NULL, r, f, out);
}

/* The slot a key column takes its value from. */
const record_value *record_key_value(const record *r, size_t col)
{
	static const record_value null_value = {VALUE_NULL, NULL, 0};
	if (r->op != RECORD_OP_DELETE && r->has_after && r->after &&
	    (r->after[col].kind == VALUE_TEXT || r->after[col].kind == VALUE_NULL))
		return &r->after[col];
	if (r->has_before && r->before &&
	    (r->before[col].kind == VALUE_TEXT || r->before[col].kind == VALUE_NULL))
		return &r->before[col];
	if (r->has_after && r->after &&
	    (r->after[col].kind == VALUE_TEXT || r->after[col].kind == VALUE_NULL))
		return &r->after[col];
	return &null_value;
}

static int encode_key_json(const record *r, buf *out)
{
	/* a record a decoder checked needs no second look (record.h) */
	if ((!r->checked && record_check_encodable(r) < 0) || put_ch(out, '{') < 0)
		return -1;
	for (size_t i = 0; i < r->nkeys; i++) {
		size_t c = r->keys[i];
		value_class cls = r->checked ? (value_class)r->cls[c] : record_type_class(r->cols[c].type);
		if ((i && put_ch(out, ',') < 0) || put_name_key(out, r, NULL, c) < 0 ||
		    put_value(out, record_key_value(r, c), cls, r->checked) < 0)
			return -1;
	}
	return put_ch(out, '}');
}

int record_encode_key(const record *r, record_format f, buf *out)
{
	size_t start = out->len;
	int rc = f == RECORD_FORMAT_MSGPACK ? record_encode_key_msgpack_impl(r, out)
					    : encode_key_json(r, out);
	if (rc < 0) {
		int e = errno;
		out->len = start;
		errno = e ? e : ENOMEM;
	}
	return rc;
}

/* ---- decoding ---- */

#define JSON_MAX_DEPTH 32

typedef struct jp {
	const char *p, *end, *start;
	const char *key_at; /* where the key of the last member began */
	record *r;
	record_colmap map;
	bool have_cols;
	record_memo *memo; /* NULL when there is none */
	char *err;
	size_t errlen;
} jp;

/* A key as our encoders write it: what next_member may expect. */
typedef struct jkey {
	const char *name;
	size_t len;
} jkey;

/* The keys of the fields as they are written, in the order FK_
 * (record_priv.h) numbers them. */
static const jkey field_keys[] = {
	{"v", 1}, {"op", 2}, {"db", 2}, {"schema", 6}, {"table", 5}, {"cols", 4}, {"key", 3},
	{"before", 6}, {"after", 5}, {"unchanged", 9}, {"src", 3}, {"pos", 3}, {NULL, 0},
};

static int jerr(jp *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int jerr(jp *j, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	record_verrf(j->err, j->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static void ws_skip(jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* p after any whitespace (at most e). */
static inline const char *skip_ws(const char *p, const char *e)
{
	/* mostly there is none: one test for that, inline */
	while (p < e && (unsigned char)*p <= ' ' &&
	       (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static inline void ws(jp *j)
{
	/* mostly there is none: one test for that, inline */
	if (j->p < j->end && (unsigned char)*j->p > ' ')
		return;
	ws_skip(j);
}

static int eof_err(jp *j)
{
	return jerr(j, "unexpected end of input (truncated record)");
}

static const char *tokname(char c)
{
	switch (c) {
	case '"': return "a string";
	case '{': return "an object";
	case '[': return "an array";
	case 't':
	case 'f': return "a boolean";
	case 'n': return "null";
	default: return (c == '-' || (c >= '0' && c <= '9')) ? "a number" : "an invalid token";
	}
}

static int expect(jp *j, char c)
{
	ws(j);
	if (j->p >= j->end)
		return eof_err(j);
	if (*j->p != c)
		return jerr(j, "expected '%c' at byte %zu", c, (size_t)(j->p - j->start) + 1);
	j->p++;
	return 0;
}

/* Next token's first byte after whitespace, or -1 at the end. */
static int peek(jp *j)
{
	ws(j);
	return j->p < j->end ? (unsigned char)*j->p : -1;
}

static int parse_hex4(const char *p, uint32_t *v)
{
	uint32_t acc = 0;
	for (int i = 0; i < 4; i++) {
		int d = record_hex_val((unsigned char)p[i]);
		if (d < 0)
			return -1;
		acc = acc * 16 + (uint32_t)d;
	}
	*v = acc;
	return 0;
}

/* The rest of scan_string from p, the first byte after the opening quote
 * that is not plain. */
static int scan_string_rest(jp *j, const char *p, const char **raw, size_t *rawlen, bool *simple)
{
	const char *q;
	int rc = record_json_string_end(p, j->end, &q, simple);
	if (rc == 1)
		return eof_err(j);
	if (rc == 2)
		return jerr(j, "control character in string at byte %zu", (size_t)(q - j->start) + 1);
	*raw = j->p + 1;
	*rawlen = (size_t)(q - (j->p + 1));
	j->p = q + 1;
	return 0;
}

/* Parses a string at j->p (the opening quote). *raw and *rawlen are its
 * bytes between the quotes as they stand; *simple tells whether they need
 * no unescaping/validation (plain ASCII without escapes). Inline for the
 * strings that are plain throughout, as most are. */
static inline int scan_string(jp *j, const char **raw, size_t *rawlen, bool *simple)
{
	const char *p = record_skip_plain(j->p + 1, j->end);
	if (p < j->end && *p == '"') {
		*raw = j->p + 1;
		*rawlen = (size_t)(p - (j->p + 1));
		*simple = true;
		j->p = p + 1;
		return 0;
	}
	return scan_string_rest(j, p, raw, rawlen, simple);
}

/* Unescapes raw[0..n) into dst (room for n + 1): record_json_unescape
 * with the parse's message buffer. 0 or -1. */
static int unescape(jp *j, const char *raw, size_t n, char *dst, size_t *outlen)
{
	return record_json_unescape(raw, n, dst, outlen, j->err, j->errlen);
}

/* A string into the record's arena. maxlen 0 = no limit beyond the record's. */
static int get_string(jp *j, const char **out, size_t *outlen, size_t maxlen, const char *what)
{
	if (peek(j) != '"')
		return j->p >= j->end ? eof_err(j)
				      : jerr(j, "%s: expected a string, got %s", what, tokname(*j->p));
	const char *raw;
	size_t n;
	bool simple;
	if (scan_string(j, &raw, &n, &simple) < 0)
		return -1;
	if (maxlen && n > maxlen * 6)
		return jerr(j, "%s longer than %zu bytes", what, maxlen);
	char *dst = record_alloc(j->r, n + 1, 1);
	if (!dst)
		return jerr(j, "out of memory");
	size_t len = n;
	if (simple) {
		memcpy(dst, raw, n);
		dst[n] = '\0';
	} else if (unescape(j, raw, n, dst, &len) < 0) {
		return -1;
	}
	if (maxlen && len > maxlen)
		return jerr(j, "%s longer than %zu bytes", what, maxlen);
	*out = dst;
	if (outlen)
		*outlen = len;
	return 0;
}

/* A short string at j->p: *out is the string as it stands in the input
 * when it needs no unescaping (not NUL-terminated), else its unescaped
 * form in dst (room for cap bytes, NUL-terminated). Either way it holds no
 * NUL byte and is shorter than cap (cap > RECORD_NAME_MAX). */
static int get_short_ref(jp *j, const char **out, char *dst, size_t cap, size_t *outlen,
			 const char *what)
{
	if (peek(j) != '"')
		return j->p >= j->end ? eof_err(j)
				      : jerr(j, "%s: expected a string, got %s", what, tokname(*j->p));
	const char *raw;
	size_t n;
	bool simple;
	if (scan_string(j, &raw, &n, &simple) < 0)
		return -1;
	if (n >= cap * 6)
		return jerr(j, "%s longer than %zu bytes", what, cap - 1);
	size_t len = n;
	if (simple) {
		if (n >= cap)
			return jerr(j, "%s longer than %zu bytes", what, cap - 1);
		*out = raw;
	} else {
		char tmp[6 * (POS_STREAM_MAX + 1) + 1];
		if (n >= sizeof tmp)
			return jerr(j, "%s longer than %zu bytes", what, cap - 1);
		if (unescape(j, raw, n, tmp, &len) < 0)
			return -1;
		if (len >= cap)
			return jerr(j, "%s longer than %zu bytes", what, cap - 1);
		memcpy(dst, tmp, len + 1);
		*out = dst;
	}
	*outlen = len;
	return 0;
}

/* A short string into a caller's buffer (cap > RECORD_NAME_MAX), NUL-terminated. */
static int get_short(jp *j, char *dst, size_t cap, size_t *outlen, const char *what)
{
	const char *s;
	if (get_short_ref(j, &s, dst, cap, outlen, what) < 0)
		return -1;
	if (s != dst) {
		memcpy(dst, s, *outlen);
		dst[*outlen] = '\0';
	}
	return 0;
}

/* Scans a JSON number; *isint when it has no fraction or exponent. */
static int scan_number(jp *j, const char **s, size_t *n, bool *isint)
{
	const char *p = j->p, *e = j->end;
	*s = p;
	*isint = true;
	if (p < e && *p == '-')
		p++;
	if (p >= e)
		return eof_err(j);
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	} else {
		return jerr(j, "invalid number at byte %zu", (size_t)(p - j->start) + 1);
	}
	if (p < e && *p == '.') {
		*isint = false;
		p++;
		if (p >= e || *p < '0' || *p > '9')
			return jerr(j, "invalid number at byte %zu", (size_t)(p - j->start) + 1);
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		*isint = false;
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			return jerr(j, "invalid number at byte %zu", (size_t)(p - j->start) + 1);
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	*n = (size_t)(p - *s);
	j->p = p;
	return 0;
}

static int literal_err(jp *j, const char *word, size_t n)
{
	return (size_t)(j->end - j->p) < n && memcmp(j->p, word, (size_t)(j->end - j->p)) == 0
		       ? eof_err(j)
		       : jerr(j, "invalid token at byte %zu", (size_t)(j->p - j->start) + 1);
}

/* Inline: with a constant word the test is a load and a compare (a null
 * is the most common value of all). */
static inline int literal(jp *j, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return literal_err(j, word, n);
	j->p += n;
	return 0;
}

static int skip_value(jp *j, int depth)
{
	if (depth > JSON_MAX_DEPTH)
		return jerr(j, "nesting deeper than %d levels", JSON_MAX_DEPTH);
	int c = peek(j);
	const char *s;
	size_t n;
	bool b;
	switch (c) {
	case -1:
		return eof_err(j);
	case '"':
		if (scan_string(j, &s, &n, &b) < 0)
			return -1;
		if (!b) {
			/* validate escapes and UTF-8 even of ignored strings */
			char *tmp = malloc(n + 1);
			if (!tmp)
				return jerr(j, "out of memory");
			int rc = unescape(j, s, n, tmp, &n);
			free(tmp);
			return rc;
		}
		return 0;
	case '{':
	case '[': {
		char close = c == '{' ? '}' : ']';
		j->p++;
		if (peek(j) == close) {
			j->p++;
			return 0;
		}
		for (;;) {
			if (c == '{') {
				if (peek(j) != '"')
					return j->p >= j->end ? eof_err(j) : jerr(j, "expected an object key at byte %zu", (size_t)(j->p - j->start) + 1);
				if (skip_value(j, depth + 1) < 0 || expect(j, ':') < 0)
					return -1;
			}
			if (skip_value(j, depth + 1) < 0)
				return -1;
			int d = peek(j);
			if (d == ',') {
				j->p++;
				continue;
			}
			if (d == close) {
				j->p++;
				return 0;
			}
			return d < 0 ? eof_err(j) : jerr(j, "expected ',' or '%c' at byte %zu", close, (size_t)(j->p - j->start) + 1);
		}
	}
	case 't':
		return literal(j, "true");
	case 'f':
		return literal(j, "false");
	case 'n':
		return literal(j, "null");
	default:
		return scan_number(j, &s, &n, &b);
	}
}

/* Iterates the members of an object: call with *first = true; returns 1
 * with the key in *key, *keylen bytes (see get_short_ref; scratch holds
 * RECORD_NAME_MAX + 1 bytes), 0 at the closing brace, -1 on error.
 *
 * want (wlen bytes, each one JSON writes as it is, at most
 * RECORD_NAME_MAX; or NULL) is the key the caller expects, the one our
 * encoders write at this place. When the input holds exactly "want": the
 * key is that, as the scan below would find it, and is taken without the
 * scan; next_member then returns 2. */
static int next_member_any(jp *j, bool *first, const char *want, size_t wlen, const char **key,
			   size_t *keylen, char *scratch, const char *what);

static inline int next_member(jp *j, bool *first, const char *want, size_t wlen, const char **key,
			      size_t *keylen, char *scratch, const char *what)
{
	/* Inline, the usual cases: no whitespace, then the closing brace, or
	 * a comma (or the opening brace) and the key expected. */
	const char *p = j->p;
	if (p < j->end && *p == '}' && !*first) {
		j->p = p + 1;
		return 0;
	}
	if (want && (size_t)(j->end - p) > wlen + 3 && p[0] == (*first ? '{' : ',') && p[1] == '"' &&
	    record_bytes_eq(p + 2, want, wlen) && p[wlen + 2] == '"' && p[wlen + 3] == ':') {
		*first = false;
		j->key_at = p + 1;
		*key = p + 2;
		*keylen = wlen;
		j->p = p + wlen + 4;
		return 2;
	}
	return next_member_any(j, first, want, wlen, key, keylen, scratch, what);
}

static int next_member_any(jp *j, bool *first, const char *want, size_t wlen, const char **key,
			   size_t *keylen, char *scratch, const char *what)
{
	/* j->p and j->end in locals: the compiler cannot keep them in
	 * registers across the stores of a char pointer */
	const char *p = skip_ws(j->p, j->end), *e = j->end;
	if (*first) {
		if (p >= e || *p != '{') {
			j->p = p;
			return p >= e ? eof_err(j) : jerr(j, "\"%s\" is not an object (got %s)", what, tokname(*p));
		}
		*first = false;
		p = skip_ws(p + 1, e);
		if (p < e && *p == '}') {
			j->p = p + 1;
			return 0;
		}
	} else {
		if (p < e && *p == '}') {
			j->p = p + 1;
			return 0;
		}
		if (p >= e || *p != ',') {
			j->p = p;
			return p >= e ? eof_err(j) : jerr(j, "in \"%s\": expected ',' or '}' at byte %zu", what, (size_t)(p - j->start) + 1);
		}
		p = skip_ws(p + 1, e);
	}
	j->key_at = p;
	j->p = p;
	if (want && (size_t)(e - p) > wlen + 2 && p[0] == '"' && record_bytes_eq(p + 1, want, wlen) &&
	    p[wlen + 1] == '"' && p[wlen + 2] == ':') {
		*key = p + 1;
		*keylen = wlen;
		j->p = p + wlen + 3;
		return 2;
	}
	/* Most keys are short plain ASCII right before the ':': take those
	 * here, for what the general path below would make of them. */
	if (p < e && *p == '"') {
		/* byte by byte: most keys are shorter than a word */
		const char *q = p + 1;
		while (q < e && record_plain_byte[(unsigned char)*q])
			q++;
		if (e - q >= 2 && q[0] == '"' && q[1] == ':' && (size_t)(q - p - 1) <= RECORD_NAME_MAX) {
			*key = p + 1;
			*keylen = (size_t)(q - p - 1);
			j->p = q + 2;
			return 1;
		}
	}
	if (get_short_ref(j, key, scratch, RECORD_NAME_MAX + 1, keylen, "key") < 0 || expect(j, ':') < 0)
		return -1;
	return 1;
}

/* Same for arrays: 1 before each element, 0 at the closing bracket. */
static int next_element(jp *j, bool *first, const char *what)
{
	int c = peek(j);
	if (*first) {
		if (c != '[')
			return c < 0 ? eof_err(j) : jerr(j, "\"%s\" is not an array (got %s)", what, tokname((char)c));
		j->p++;
		*first = false;
		if (peek(j) == ']') {
			j->p++;
			return 0;
		}
		return 1;
	}
	if (c == ']') {
		j->p++;
		return 0;
	}
	if (c != ',')
		return c < 0 ? eof_err(j) : jerr(j, "in \"%s\": expected ',' or ']' at byte %zu", what, (size_t)(j->p - j->start) + 1);
	j->p++;
	return 1;
}

static int get_uint_slow(jp *j, uint64_t *v, uint64_t max, const char *what);

/* Inline, the usual: up to 19 digits (no overflow possible), without a
 * leading zero, and then no fraction or exponent. Anything else goes the
 * general way (get_uint_slow), for its message. */
static inline int get_uint(jp *j, uint64_t *v, uint64_t max, const char *what)
{
	const char *p = skip_ws(j->p, j->end), *e = j->end, *q = p;
	const char *lim = e - p > 19 ? p + 19 : e;
	uint64_t acc = 0;
	while (q < lim && (unsigned)(*q - '0') < 10)
		acc = acc * 10 + (uint64_t)(*q++ - '0');
	if (q > p && (*p != '0' || q - p == 1) && acc <= max &&
	    (q == e || ((unsigned)(*q - '0') >= 10 && *q != '.' && *q != 'e' && *q != 'E'))) {
		*v = acc;
		j->p = q;
		return 0;
	}
	return get_uint_slow(j, v, max, what);
}

static int get_uint_slow(jp *j, uint64_t *v, uint64_t max, const char *what)
{
	uint64_t acc;
	int c = peek(j);
	if (c < 0)
		return eof_err(j);
	if (c != '-' && (c < '0' || c > '9'))
		return jerr(j, "\"%s\": expected a number, got %s", what, tokname((char)c));
	const char *s;
	size_t n;
	bool isint;
	if (scan_number(j, &s, &n, &isint) < 0)
		return -1;
	acc = 0;
	if (!isint || s[0] == '-')
		return jerr(j, "\"%s\": expected an unsigned integer", what);
	for (size_t i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');
		if (acc > (UINT64_MAX - d) / 10)
			return jerr(j, "\"%s\": number out of range", what);
		acc = acc * 10 + d;
	}
	if (acc > max)
		return jerr(j, "\"%s\": number out of range", what);
	*v = acc;
	return 0;
}

static int get_value(jp *j, size_t col, record_value *slot, const char *img)
{
	const record_column *cd = &j->r->cols[col];
	value_class cls = (value_class)j->r->cls[col];
	int c = peek(j);
	if (c < 0)
		return eof_err(j);
	if (c == 'n') {
		if (literal(j, "null") < 0)
			return -1;
		slot->kind = VALUE_NULL;
		slot->data = NULL;
		slot->len = 0;
		return 0;
	}
	switch (cls) {
	case VALUE_CLASS_INTEGER: {
		if (c != '-' && (c < '0' || c > '9'))
			return jerr(j, "%s: column \"%s\" (%s): expected an integer, got %s", img,
				    cd->name, cd->type, tokname((char)c));
		const char *s = j->p, *e = j->end;
		size_t n;
		bool isint;
		/* The usual: up to 18 digits (within int64 whatever they are),
		 * no leading zero, then no fraction or exponent: a valid
		 * integer as it stands. Anything else goes the general way. */
		const char *q = s + (*s == '-'), *digits = q;
		const char *lim = e - digits > 19 ? digits + 19 : e;
		while (q < lim && (unsigned)(*q - '0') < 10)
			q++;
		if (q > digits && q - digits <= 18 && (*digits != '0' || q - digits == 1) &&
		    (q == e || (*q != '.' && *q != 'e' && *q != 'E' && (unsigned)(*q - '0') >= 10))) {
			n = (size_t)(q - s);
			j->p = q;
		} else if (scan_number(j, &s, &n, &isint) < 0) {
			return -1;
		} else if (!isint || !record_int_text_valid(s, n, NULL))
			return jerr(j, "%s: column \"%s\" (%s): %.*s is not a 64-bit integer", img,
				    cd->name, cd->type, (int)(n > 40 ? 40 : n), s);
		const char *d = record_strdup(j->r, s, n);
		if (!d)
			return jerr(j, "out of memory");
		slot->kind = VALUE_TEXT;
		slot->data = d;
		slot->len = n;
		return 0;
	}
	case VALUE_CLASS_BOOLEAN:
		if (c == 't' || c == 'f') {
			if (literal(j, c == 't' ? "true" : "false") < 0)
				return -1;
			slot->kind = VALUE_TEXT;
			slot->data = c == 't' ? "t" : "f";
			slot->len = 1;
			return 0;
		}
		return jerr(j, "%s: column \"%s\" (%s): expected true or false, got %s", img,
			    cd->name, cd->type, tokname((char)c));
	default:
		if (c != '"')
			return jerr(j, "%s: column \"%s\" (%s): expected a string, got %s", img,
				    cd->name, cd->type, tokname((char)c));
		if (get_string(j, &slot->data, &slot->len, 0, "value") < 0)
			return -1;
		if (cls == VALUE_CLASS_BYTEA && !record_bytea_text_valid(slot->data, slot->len))
			return jerr(j, "%s: column \"%s\" (bytea): expected \"\\\\x\" and hex digits", img,
				    cd->name);
		slot->kind = VALUE_TEXT;
		return 0;
	}
}

/* The key get_image expects next: the name of the next column in order
 * (the map's hint), when it is one next_member can look for; else NULL. */
static inline const char *hinted_key(const jp *j, size_t *len)
{
	const record_colmap *map = &j->map;
	if (map->hint >= j->r->ncols || !map->plain_len[map->hint])
		return NULL;
	*len = map->plain_len[map->hint];
	return j->r->cols[map->hint].name;
}

static int get_image(jp *j, record_value *img, const char *what)
{
	bool first = true;
	char scratch[RECORD_NAME_MAX + 1];
	const char *key;
	size_t klen, wlen = 0;
	int rc;
	record_colmap *map = &j->map;
	map->hint = 0;
	const char *want = hinted_key(j, &wlen);
	while ((rc = next_member(j, &first, want, wlen, &key, &klen, scratch, what)) > 0) {
		/* the hinted column, as record_colmap_find would find it */
		int col = rc == 2 ? (int)map->hint++ : record_colmap_find(j->r, map, key, klen);
		want = hinted_key(j, &wlen);
		if (col < 0)
			return jerr(j, "\"%s\" names column \"%.*s\" that is not in \"cols\"", what, (int)klen, key);
		if (img[col].kind != VALUE_ABSENT)
			return jerr(j, "\"%s\" names column \"%.*s\" twice", what, (int)klen, key);
		if (get_value(j, (size_t)col, &img[col], what) < 0)
			return -1;
	}
	return rc;
}

static int get_name_list(jp *j, const char *what, bool unchanged)
{
	bool first = true;
	char name[RECORD_NAME_MAX + 1];
	size_t len;
	int rc;
	size_t n = 0;
	uint16_t *keys = NULL;
	if (!unchanged && j->r->ncols) {
		keys = record_alloc(j->r, j->r->ncols * sizeof *keys, 8);
		if (!keys)
			return jerr(j, "out of memory");
	}
	j->map.hint = 0;
	while ((rc = next_element(j, &first, what)) > 0) {
		if (get_short(j, name, sizeof name, &len, what) < 0)
			return -1;
		int col = record_colmap_find(j->r, &j->map, name, len);
		if (col < 0)
			return jerr(j, "\"%s\" names column \"%s\" that is not in \"cols\"", what, name);
		if (unchanged) {
			if (!j->r->has_after)
				return jerr(j, "\"unchanged\" without \"after\"");
			if (j->r->after[col].kind != VALUE_ABSENT)
				return jerr(j, "column \"%s\" is both in \"after\" and in \"unchanged\"", name);
			j->r->after[col].kind = VALUE_UNCHANGED;
			continue;
		}
		for (size_t i = 0; i < n; i++)
			if (keys[i] == col)
				return jerr(j, "\"key\" names column \"%s\" twice", name);
		keys[n++] = (uint16_t)col;
	}
	if (rc < 0)
		return -1;
	if (!unchanged) {
		j->r->keys = keys;
		j->r->nkeys = n;
	}
	return 0;
}

static int get_cols(jp *j)
{
	/* One pass: the array grows in the arena (doubling; what it leaves
	 * behind is at most as much again, freed with the record). */
	record *r = j->r;
	bool first = true;
	size_t n = 0, cap = 0;
	record_column *cols = NULL;
	unsigned char *masks = NULL; /* made at the first "mask", as long as cols */
	int rc;
	while ((rc = next_element(j, &first, "cols")) > 0) {
		if (n == RECORD_MAX_COLUMNS)
			return jerr(j, "more than %d columns", RECORD_MAX_COLUMNS);
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			if (ncap > RECORD_MAX_COLUMNS)
				ncap = RECORD_MAX_COLUMNS;
			record_column *nc = record_alloc(r, ncap * sizeof *nc, 8);
			if (!nc)
				return jerr(j, "out of memory");
			if (n)
				memcpy(nc, cols, n * sizeof *nc);
			cols = nc;
			if (masks) {
				unsigned char *nm = record_alloc(r, ncap, 1);
				if (!nm)
					return jerr(j, "out of memory");
				memcpy(nm, masks, n);
				memset(nm + n, 0, ncap - n);
				masks = nm;
			}
			cap = ncap;
		}
		size_t i = n++;
		cols[i].name = cols[i].type = NULL;
		bool have_mask = false;
		bool mfirst = true;
		char scratch[RECORD_NAME_MAX + 1];
		const char *key;
		size_t klen;
		record_column *cd = &cols[i];
		const char *want = "name"; /* then "type", as the encoders write them */
		while ((rc = next_member(j, &mfirst, want, 4, &key, &klen, scratch, "cols")) > 0) {
			bool is_name = record_key_is(key, klen, "name"), is_type = record_key_is(key, klen, "type");
			want = is_name ? "type" : NULL;
			if (is_name && !cd->name) {
				if (get_string(j, &cd->name, NULL, RECORD_NAME_MAX, "column name") < 0)
					return -1;
			} else if (is_type && !cd->type) {
				if (get_string(j, &cd->type, NULL, RECORD_NAME_MAX, "column type") < 0)
					return -1;
			} else if (is_name || is_type || (have_mask && record_key_is(key, klen, "mask"))) {
				return jerr(j, "column %zu: duplicate \"%.*s\"", i + 1, (int)klen, key);
			} else if (record_key_is(key, klen, "mask")) {
				/* only after "type", and only from a producer that masked */
				const char *m;
				size_t mlen;
				if (get_string(j, &m, &mlen, RECORD_NAME_MAX, "column mask") < 0)
					return -1;
				record_mask mk = record_mask_parse(m, mlen);
				if (!mk)
					return jerr(j, "column %zu: \"mask\": expected one of \"excluded\" \"fixed\" \"sha256\", got \"%s\"",
						    i + 1, m);
				if (!masks) {
					if (!(masks = record_alloc(r, cap, 1)))
						return jerr(j, "out of memory");
					memset(masks, 0, cap);
				}
				masks[i] = (unsigned char)mk;
				have_mask = true;
			} else if (skip_value(j, 2) < 0) {
				return -1;
			}
		}
		if (rc < 0)
			return -1;
		if (!cd->name || !cd->type)
			return jerr(j, "column %zu: missing \"%s\"", i + 1, cd->name ? "type" : "name");
		if (!cd->type[0])
			return jerr(j, "column \"%s\": empty type", cd->name);
	}
	if (rc < 0)
		return -1;
	unsigned char *cls = record_alloc(r, n ? n : 1, 1);
	if (!cls)
		return jerr(j, "out of memory");
	for (size_t i = 0; i < n; i++)
		cls[i] = (unsigned char)record_type_class(cols[i].type);
	r->ncols = n;
	r->cols = cols;
	r->masks = masks;
	r->cls = cls;
	r->before = r->after = NULL;
	r->has_before = r->has_after = false;
	r->keys = NULL;
	r->nkeys = 0;
	if (record_colmap_build(j->r, &j->map, j->err, j->errlen) < 0)
		return -1;
	j->have_cols = true;
	return 0;
}

/* Whether the string at j->p (after whitespace) is "m's text" as it
 * stands; then j->p goes past it. m's bytes are plain, so the string
 * would be read as that text (get_short_ref, with the cap it had). */
static inline bool at_memo(jp *j, const record_memo_text *m)
{
	const char *p = skip_ws(j->p, j->end);
	size_t n = m->len;
	if (!n || (size_t)(j->end - p) < n + 2 || p[0] != '"' || p[n + 1] != '"' ||
	    !record_bytes_eq(p + 1, m->text, n))
		return false;
	j->p = p + n + 2;
	return true;
}

/* Whether the string at j->p (after whitespace) is an offset that begins
 * with m's text (an offset up to its ':', as it stands) followed by up to
 * 19 digits (no overflow) and is shorter than POS_OFFSET_TEXT_MAX: then
 * *out is what pos_offset_parse would make of it and j->p goes past it. */
static bool at_offset_memo(jp *j, const record_memo_text *m, pos_offset *out)
{
	const char *p = skip_ws(j->p, j->end), *e = j->end;
	size_t n = m->len;
	if (!n || (size_t)(e - p) < n + 3 || p[0] != '"' || !record_bytes_eq(p + 1, m->text, n))
		return false;
	const char *d = p + 1 + n, *q = d;
	uint64_t v = 0;
	while (q < e && q - d < 19 && (unsigned)(*q - '0') < 10)
		v = v * 10 + (uint64_t)(*q++ - '0');
	if (q == d || q >= e || *q != '"' || (size_t)(q - (p + 1)) >= POS_OFFSET_TEXT_MAX)
		return false;
	out->major = m->u;
	out->minor = v;
	out->lsn = true;
	j->p = q + 1;
	return true;
}

static int get_src(jp *j)
{
	bool first = true, lsn = false, xid = false, ts = false, seq = false, last = false;
	char scratch[RECORD_NAME_MAX + 1];
	const char *key;
	size_t klen;
	int rc;
	record_memo *memo = j->memo;
	/* the keys in the order the encoders write them ("last" only on the
	 * last change of a transaction: the closing brace is tested first) */
	static const jkey order[] = {{"lsn", 3}, {"xid", 3}, {"ts", 2}, {"seq", 3}, {"last", 4}, {NULL, 0}};
	size_t k = 0;
	while ((rc = next_member(j, &first, order[k].name, order[k].len, &key, &klen, scratch, "src")) > 0) {
		uint64_t v;
		char text[64];
		const char *t;
		size_t tlen;
		k = rc == 2 ? k + 1 : 5;
		/* the texts are parsed where they stand (get_short_ref): they
		 * hold no NUL byte, so "%.*s" prints what "%s" of a copy would */
		if (record_key_is(key, klen, "lsn") && !lsn) {
			if (memo && at_memo(j, &memo->lsn)) {
				j->r->lsn = memo->lsn.u;
			} else {
				if (get_short_ref(j, &t, text, sizeof text, &tlen, "\"src.lsn\"") < 0)
					return -1;
				if (pos_lsn_parse_n(t, tlen, &j->r->lsn) < 0)
					return jerr(j, "\"src.lsn\": \"%.*s\" is not an LSN", (int)tlen, t);
				if (memo && record_memo_keep(&memo->lsn, t, tlen))
					memo->lsn.u = j->r->lsn;
			}
			lsn = true;
		} else if (record_key_is(key, klen, "xid") && !xid) {
			if (get_uint(j, &v, UINT32_MAX, "src.xid") < 0)
				return -1;
			j->r->xid = (uint32_t)v;
			xid = true;
		} else if (record_key_is(key, klen, "ts") && !ts) {
			if (memo && at_memo(j, &memo->ts)) {
				j->r->commit_us = memo->ts.i;
			} else {
				if (get_short_ref(j, &t, text, sizeof text, &tlen, "\"src.ts\"") < 0)
					return -1;
				if (record_ts_parse_n(t, tlen, &j->r->commit_us) < 0)
					return jerr(j, "\"src.ts\": \"%.*s\" is not a UTC timestamp", (int)tlen, t);
				if (memo && record_memo_keep(&memo->ts, t, tlen))
					memo->ts.i = j->r->commit_us;
			}
			ts = true;
		} else if (record_key_is(key, klen, "seq") && !seq) {
			if (get_uint(j, &v, UINT64_MAX, "src.seq") < 0)
				return -1;
			j->r->seq = v;
			seq = true;
		} else if (record_key_is(key, klen, "last") && !last) {
			int c = peek(j);
			if (c == 't' || c == 'f') {
				if (literal(j, c == 't' ? "true" : "false") < 0)
					return -1;
			} else {
				return c < 0 ? eof_err(j)
					     : jerr(j, "\"src.last\": expected true or false, got %s", tokname((char)c));
			}
			j->r->last = c == 't';
			last = true;
		} else if (record_key_is(key, klen, "lsn") || record_key_is(key, klen, "xid") ||
			   record_key_is(key, klen, "ts") || record_key_is(key, klen, "seq") ||
			   record_key_is(key, klen, "last")) {
			return jerr(j, "duplicate key \"src.%.*s\"", (int)klen, key);
		} else if (skip_value(j, 2) < 0) {
			return -1;
		}
	}
	if (rc < 0)
		return -1;
	if (!lsn || !xid || !ts || !seq)
		return jerr(j, "\"src\" lacks \"%s\"", !lsn ? "lsn" : !xid ? "xid" : !ts ? "ts" : "seq");
	return 0;
}

/* An offset that is a plain number, "N" with 1 to 19 digits (a Kafka
 * offset, a snapshot row's ordinal): parsed where it stands, as
 * pos_offset_parse_n would parse it (no digit string of that length
 * overflows 64 bits). The others, the memo's LSN offsets included, take
 * the general way: false, j untouched. A snapshot's rows each have their
 * own number, which the memo cannot hold; this was 2% of mssql-apply's
 * instructions per snapshot row (callgrind). */
static bool plain_offset(jp *j, pos_offset *out)
{
	const char *p = j->p, *e = j->end;
	if (p >= e || *p != '"')
		return false;
	const char *q = p + 1;
	uint64_t v = 0;
	while (q < e && q - (p + 1) < 20 && (unsigned)(*q - '0') < 10)
		v = v * 10 + (uint64_t)(*q++ - '0');
	size_t n = (size_t)(q - (p + 1));
	if (n == 0 || n > 19 || q >= e || *q != '"')
		return false;
	out->major = v;
	out->minor = 0;
	out->lsn = false;
	j->p = q + 1;
	return true;
}

static int get_pos(jp *j)
{
	bool first = true, stream = false, offset = false;
	char scratch[RECORD_NAME_MAX + 1];
	const char *key;
	size_t klen;
	int rc;
	record_memo *memo = j->memo;
	/* the keys in the order the encoders write them */
	static const jkey order[] = {{"stream", 6}, {"offset", 6}, {NULL, 0}};
	size_t k = 0;
	while ((rc = next_member(j, &first, order[k].name, order[k].len, &key, &klen, scratch, "pos")) > 0) {
		char text[POS_STREAM_MAX + 1];
		const char *t;
		size_t tlen;
		k = rc == 2 ? k + 1 : 2;
		/* as in get_src: parsed where they stand, no NUL byte in them */
		if (record_key_is(key, klen, "stream") && !stream) {
			if (memo && at_memo(j, &memo->stream)) {
				t = memo->stream.text;
				tlen = memo->stream.len;
			} else {
				if (get_short_ref(j, &t, text, sizeof text, &tlen, "\"pos.stream\"") < 0)
					return -1;
				if (!pos_stream_valid_n(t, tlen))
					return jerr(j, "\"pos.stream\": \"%.*s\" is not a stream name", (int)tlen, t);
				if (memo)
					record_memo_keep(&memo->stream, t, tlen);
			}
			memcpy(j->r->stream, t, tlen);
			j->r->stream[tlen] = '\0';
			stream = true;
		} else if (record_key_is(key, klen, "offset") && !offset) {
			if (plain_offset(j, &j->r->offset)) {
				/* a Kafka message's or a snapshot row's */
			} else if (!memo || !at_offset_memo(j, &memo->offset, &j->r->offset)) {
				if (get_short_ref(j, &t, text, POS_OFFSET_TEXT_MAX, &tlen, "\"pos.offset\"") < 0)
					return -1;
				if (pos_offset_parse_n(t, tlen, &j->r->offset) < 0)
					return jerr(j, "\"pos.offset\": \"%.*s\" is not an offset", (int)tlen, t);
				/* an LSN's offset: keep it up to its ':' */
				const char *colon = j->r->offset.lsn ? memchr(t, ':', tlen) : NULL;
				if (memo && colon && record_memo_keep(&memo->offset, t, (size_t)(colon - t) + 1))
					memo->offset.u = j->r->offset.major;
			}
			offset = true;
		} else if (record_key_is(key, klen, "stream") || record_key_is(key, klen, "offset")) {
			return jerr(j, "duplicate key \"pos.%.*s\"", (int)klen, key);
		} else if (skip_value(j, 2) < 0) {
			return -1;
		}
	}
	if (rc < 0)
		return -1;
	if (!stream || !offset)
		return jerr(j, "\"pos\" lacks \"%s\"", !stream ? "stream" : "offset");
	return 0;
}

/* Parses a field whose meaning needs "cols" (key, images, unchanged). */
static int get_deferred(jp *j, unsigned flag)
{
	record *r = j->r;
	if (flag == F_KEY)
		return get_name_list(j, "key", false);
	if (flag == F_UNCHANGED)
		return get_name_list(j, "unchanged", true);
	size_t n = r->ncols ? r->ncols : 1;
	record_value *img = record_alloc(r, n * sizeof *img, 8);
	if (!img)
		return jerr(j, "out of memory");
	memset(img, 0, n * sizeof *img);
	if (flag == F_BEFORE) {
		r->before = img;
		r->has_before = true;
		return get_image(j, img, "before");
	}
	r->after = img;
	r->has_after = true;
	return get_image(j, img, "after");
}

int record_decode_json(record *r, const void *data, size_t len, char *err, size_t errlen)
{
	/* a message that is no change is no record either, here */
	return record_decode_json_at(r, data, len, 0, err, errlen) == 0 ? 0 : -1;
}

int record_decode_json_at(record *r, const void *data, size_t len, uint64_t ordinal, char *err, size_t errlen)
{
	/* another dialect at the door (record_debezium.h): a record as our
	 * encoders write it begins {"v":, which one inline test of the first
	 * bytes sees (the native path pays nothing more) */
	if (__builtin_expect(!(len >= 5 && !memcmp(data, "{\"v\":", 5)), 0) && record_is_debezium(data, len))
		return record_decode_debezium(r, data, len, NULL, 0, ordinal, err, errlen);
	record_clear(r);
	if (err && errlen)
		err[0] = '\0';
	if (len > RECORD_MAX_BYTES)
		return record_errf(err, errlen, "record longer than %zu bytes", RECORD_MAX_BYTES);
	jp j = {.p = data, .end = (const char *)data + len, .start = data, .r = r,
		.memo = record_memos(r), .err = err, .errlen = errlen};
	/* Fields that need "cols" and come before it are parsed once it is known. */
	const char *later[4];
	unsigned later_flag[4];
	size_t nlater = 0;
	unsigned seen = 0;
	bool first = true;
	char scratch[RECORD_NAME_MAX + 1];
	const char *key;
	size_t klen;
	int rc;
	/* The run of shape fields being read (see record_cache.c): from the
	 * key of its first field to the end of its last value. */
	const char *run_at = NULL, *run_end = NULL;
	unsigned run_flags = 0;
	uint32_t run_members = 0;
	bool run_keep = false;
	if (peek(&j) != '{')
		return j.p >= j.end ? jerr(&j, "empty record") : jerr(&j, "not a JSON object");
	int want = record_field_next(0, 0);
	while ((rc = next_member(&j, &first, field_keys[want].name, field_keys[want].len, &key, &klen,
				 scratch, "record")) > 0) {
		unsigned flag = rc == 2 ? record_field_order[want] : record_field_flag(key, klen);
		want = record_field_next(flag, r->op);
		if (!(flag & SHAPE_FIELDS)) {
			/* a run's skipped items (record_shape) matter only to
			 * the msgpack reader, which never meets JSON bytes */
			if (run_at && run_keep)
				record_shape_save(r, run_at, (size_t)(run_end - run_at), run_flags, run_members, false, &j.map);
			run_at = NULL;
		} else if (!run_at) {
			const record_shape *sh = record_shape_find(r, j.key_at, (size_t)(j.end - j.key_at));
			if (sh && !(seen & sh->flags)) {
				/* the same bytes as a run read before: the same result */
				if (record_shape_apply(r, sh, &j.map) < 0)
					return jerr(&j, "out of memory");
				seen |= sh->flags;
				j.have_cols = true;
				j.p = j.key_at + sh->len;
				want = record_field_next(sh->flags & F_KEY ? F_KEY : F_COLS, r->op);
				continue;
			}
			run_at = j.key_at;
			run_flags = 0;
			run_members = 0;
			run_keep = true;
		}
		if (!flag) {
			/* unknown fields are ignored: later versions may add some */
			if (skip_value(&j, 1) < 0)
				return -1;
			continue;
		}
		if (seen & flag)
			return jerr(&j, "duplicate key \"%.*s\"", (int)klen, key);
		seen |= flag;
		bool had_cols = j.have_cols;
		uint64_t v;
		switch (flag) {
		case F_V:
			if (get_uint(&j, &v, 1000000, "v") < 0)
				return -1;
			if (v != RECORD_FORMAT_VERSION)
				return jerr(&j, "unsupported format version %" PRIu64 " (this program reads %d)", v,
					    RECORD_FORMAT_VERSION);
			r->version = (int)v;
			break;
		case F_OP: {
			char op[8];
			size_t oplen;
			int c = peek(&j);
			if (c != '"')
				return c < 0 ? eof_err(&j)
					     : jerr(&j, "\"op\": expected one of \"r\" \"c\" \"u\" \"d\" \"t\", got %s",
						    tokname((char)c));
			if (get_short(&j, op, sizeof op, &oplen, "\"op\"") < 0)
				return -1;
			if (oplen != 1 || !record_op_name(op[0]))
				return jerr(&j, "\"op\": expected one of \"r\" \"c\" \"u\" \"d\" \"t\", got \"%s\"", op);
			r->op = op[0];
			break;
		}
		case F_DB:
			if (get_string(&j, &r->db, NULL, RECORD_NAME_MAX, "\"db\"") < 0)
				return -1;
			break;
		case F_SCHEMA:
			if (get_string(&j, &r->schema, NULL, RECORD_NAME_MAX, "\"schema\"") < 0)
				return -1;
			break;
		case F_TABLE:
			if (get_string(&j, &r->table, NULL, RECORD_NAME_MAX, "\"table\"") < 0)
				return -1;
			break;
		case F_COLS:
			if (get_cols(&j) < 0)
				return -1;
			break;
		case F_SRC:
			if (get_src(&j) < 0)
				return -1;
			break;
		case F_POS:
			if (get_pos(&j) < 0)
				return -1;
			break;
		default:
			if (j.have_cols && !(flag == F_UNCHANGED && !(seen & F_AFTER))) {
				if (get_deferred(&j, flag) < 0)
					return -1;
			} else {
				later[nlater] = j.p;
				later_flag[nlater++] = flag;
				if (skip_value(&j, 1) < 0)
					return -1;
			}
		}
		if (flag & SHAPE_FIELDS) {
			run_flags |= flag;
			run_members++;
			run_end = j.p;
			if (flag == F_KEY && !had_cols)
				run_keep = false; /* its meaning came later */
		}
	}
	if (rc < 0)
		return -1;
	if (run_at && run_keep)
		record_shape_save(r, run_at, (size_t)(run_end - run_at), run_flags, run_members, false, &j.map);
	ws(&j);
	if (j.p != j.end)
		return jerr(&j, "trailing data after the record at byte %zu", (size_t)(j.p - j.start) + 1);
	const char *missing = record_field_missing(seen);
	if (missing)
		return jerr(&j, "missing \"%s\"", missing);
	/* deferred fields, "unchanged" last since it marks slots of "after" */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < nlater; i++) {
			if ((later_flag[i] == F_UNCHANGED) != (pass == 1))
				continue;
			j.p = later[i];
			if (get_deferred(&j, later_flag[i]) < 0)
				return -1;
		}
	if (!r->db[0] || !r->schema[0] || !r->table[0])
		return jerr(&j, "empty \"%s\"", !r->db[0] ? "db" : !r->schema[0] ? "schema" : "table");
	if (!r->has_before)
		r->before = NULL;
	if (!r->has_after)
		r->after = NULL;
	if (record_check_decoded(r, err, errlen) < 0)
		return -1;
	r->checked = true;
	return 0;
}

int record_json_unescape(const char *raw, size_t n, char *dst, size_t *outlen, char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)raw, *e = p + n;
	char *o = dst;
	while (p < e) {
		unsigned char c = *p;
		if (c == '\\') {
			if (e - p < 2)
				return record_errf(err, errlen, "bad escape in string");
			char x = (char)p[1];
			p += 2;
			switch (x) {
			case '"': *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			case '/': *o++ = '/'; break;
			case 'b': *o++ = '\b'; break;
			case 'f': *o++ = '\f'; break;
			case 'n': *o++ = '\n'; break;
			case 'r': *o++ = '\r'; break;
			case 't': *o++ = '\t'; break;
			case 'u': {
				uint32_t cp, lo;
				if (e - p < 4 || parse_hex4((const char *)p, &cp) < 0)
					return record_errf(err, errlen, "bad \\u escape in string");
				p += 4;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return record_errf(err, errlen, "lone surrogate \\u%04X in string", (unsigned)cp);
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (e - p < 6 || p[0] != '\\' || p[1] != 'u' ||
					    parse_hex4((const char *)p + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
						return record_errf(err, errlen, "lone surrogate \\u%04X in string", (unsigned)cp);
					p += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				if (cp == 0)
					return record_errf(err, errlen, "string contains U+0000");
				if (cp < 0x80) {
					*o++ = (char)cp;
				} else if (cp < 0x800) {
					*o++ = (char)(0xc0 | (cp >> 6));
					*o++ = (char)(0x80 | (cp & 0x3f));
				} else if (cp < 0x10000) {
					*o++ = (char)(0xe0 | (cp >> 12));
					*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
					*o++ = (char)(0x80 | (cp & 0x3f));
				} else {
					*o++ = (char)(0xf0 | (cp >> 18));
					*o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
					*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
					*o++ = (char)(0x80 | (cp & 0x3f));
				}
				break;
			}
			default:
				return record_errf(err, errlen, "bad escape \\%c in string", x >= 0x20 && x < 0x7f ? x : '?');
			}
			continue;
		}
		if (c < 0x80) {
			/* a run of plain bytes (scan_string let nothing else
			 * below 0x80 through but '\\' and what it escapes) */
			const unsigned char *q = (const unsigned char *)record_skip_plain((const char *)p + 1, (const char *)e);
			memcpy(o, p, (size_t)(q - p));
			o += q - p;
			p = q;
			continue;
		}
		/* a run of non-ASCII bytes: validate then copy */
		const unsigned char *q = p;
		while (q < e && *q >= 0x80)
			q++;
		if (utf8_valid_prefix(p, (size_t)(q - p)) != (size_t)(q - p))
			return record_errf(err, errlen, "invalid UTF-8 in string");
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		p = q;
	}
	*o = '\0';
	*outlen = (size_t)(o - dst);
	return 0;
}
