/* record_msgpack.c — the msgpack encoding of a record: the same map as the
 * JSON form (man/pgcdc-record.5) with bytea values as bin. Encoding is a
 * hand-written packer into a buf (the same bytes msgpack-c's packer
 * writes, without a callback per item). Decoding is a bounds-checked
 * cursor over the bytes rather than msgpack_unpack: the unpacker allocates
 * what a header claims (an array header of 2^32 elements costs 64 GiB before
 * the first element is checked), which input from a pipe must not be able
 * to do. The same cursor measures records for the stream reader. */
#include "record_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- encoding ---- */

/* A hand-written packer straight into the buf, choosing the same (smallest)
 * encodings msgpack-c's packer does, so the bytes are the same. */

static void be16(unsigned char *o, uint16_t v)
{
	o[0] = (unsigned char)(v >> 8);
	o[1] = (unsigned char)v;
}

static void be32(unsigned char *o, uint32_t v)
{
	for (int k = 3; k >= 0; k--, v >>= 8)
		o[k] = (unsigned char)v;
}

static void be64(unsigned char *o, uint64_t v)
{
	for (int k = 7; k >= 0; k--, v >>= 8)
		o[k] = (unsigned char)v;
}

/* A header whose length field is n: fix (n below fixmax, in the low bits
 * of fixbase), else the 8- (when t8 is not 0), 16- or 32-bit form. 5 bytes
 * at most. */
static size_t hdr(unsigned char *o, size_t n, unsigned fixbase, size_t fixmax, unsigned t8,
		  unsigned t16, unsigned t32)
{
	if (n < fixmax) {
		o[0] = (unsigned char)(fixbase | n);
		return 1;
	}
	if (t8 && n < 256) {
		o[0] = (unsigned char)t8;
		o[1] = (unsigned char)n;
		return 2;
	}
	if (n < 65536) {
		o[0] = (unsigned char)t16;
		be16(o + 1, (uint16_t)n);
		return 3;
	}
	o[0] = (unsigned char)t32;
	be32(o + 1, (uint32_t)n);
	return 5;
}

static int pk_hdr(buf *out, size_t n, unsigned fixbase, size_t fixmax, unsigned t8,
		  unsigned t16, unsigned t32)
{
	if (n > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (rec_room(out, 5) < 0)
		return -1;
	out->len += hdr((unsigned char *)out->data + out->len, n, fixbase, fixmax, t8, t16, t32);
	return 0;
}

static int pk_map(buf *out, size_t n)
{
	return pk_hdr(out, n, 0x80, 16, 0, 0xde, 0xdf);
}

static int pk_array(buf *out, size_t n)
{
	return pk_hdr(out, n, 0x90, 16, 0, 0xdc, 0xdd);
}

static int pk_strn(buf *out, const char *s, size_t n)
{
	if (n > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (rec_room(out, n + 5) < 0)
		return -1;
	unsigned char *o = (unsigned char *)out->data + out->len;
	size_t h = hdr(o, n, 0xa0, 32, 0xd9, 0xda, 0xdb);
	memcpy(o + h, s, n);
	out->len += h + n;
	return 0;
}

/* Names and the stream: refused when not UTF-8, as the JSON encoder does,
 * so that a producer never writes what its consumers refuse. */
static int pk_str(buf *out, const char *s)
{
	if (!s) {
		errno = EINVAL;
		return -1;
	}
	size_t n = strlen(s);
	if (utf8_valid_prefix((const unsigned char *)s, n) != n) {
		errno = EINVAL;
		return -1;
	}
	return pk_strn(out, s, n);
}

/* Unsigned integers, and the 9 bytes they may take. */
static size_t uint_bytes(unsigned char *o, uint64_t v)
{
	if (v < 128) {
		o[0] = (unsigned char)v;
		return 1;
	}
	if (v < 256) {
		o[0] = 0xcc;
		o[1] = (unsigned char)v;
		return 2;
	}
	if (v < 65536) {
		o[0] = 0xcd;
		be16(o + 1, (uint16_t)v);
		return 3;
	}
	if (v <= UINT32_MAX) {
		o[0] = 0xce;
		be32(o + 1, (uint32_t)v);
		return 5;
	}
	o[0] = 0xcf;
	be64(o + 1, v);
	return 9;
}

static size_t int_bytes(unsigned char *o, int64_t v)
{
	if (v >= 0)
		return uint_bytes(o, (uint64_t)v);
	if (v >= -32) {
		o[0] = (unsigned char)(int8_t)v;
		return 1;
	}
	if (v >= INT8_MIN) {
		o[0] = 0xd0;
		o[1] = (unsigned char)(int8_t)v;
		return 2;
	}
	if (v >= INT16_MIN) {
		o[0] = 0xd1;
		be16(o + 1, (uint16_t)(int16_t)v);
		return 3;
	}
	if (v >= INT32_MIN) {
		o[0] = 0xd2;
		be32(o + 1, (uint32_t)(int32_t)v);
		return 5;
	}
	o[0] = 0xd3;
	be64(o + 1, (uint64_t)v);
	return 9;
}

static int pk_int(buf *out, int64_t v)
{
	if (rec_room(out, 9) < 0)
		return -1;
	out->len += int_bytes((unsigned char *)out->data + out->len, v);
	return 0;
}

static int pk_byte(buf *out, unsigned char c)
{
	if (rec_room(out, 1) < 0)
		return -1;
	out->data[out->len++] = (char)c;
	return 0;
}

/* The int64 of an integer text a decoder checked (record.h: checked):
 * "-?[0-9]+" within int64. */
static int64_t checked_int(const char *s, size_t n)
{
	bool neg = n && s[0] == '-';
	uint64_t acc = 0;
	for (size_t i = neg; i < n; i++)
		acc = acc * 10 + (uint64_t)(s[i] - '0');
	return neg ? (int64_t)(0 - acc) : (int64_t)acc;
}

/* One value by its column's class. checked: the value comes from a record
 * a decoder checked (record.h), valid for its class already. */
static int pk_value(buf *out, const record_value *v, value_class cls, bool checked)
{
	if (v->kind == VALUE_NULL)
		return pk_byte(out, 0xc0);
	if (v->kind != VALUE_TEXT || !v->data) {
		errno = EINVAL;
		return -1;
	}
	switch (cls) {
	case VALUE_CLASS_INTEGER: {
		int64_t n;
		if (checked)
			n = checked_int(v->data, v->len);
		else if (!record_int_text_valid(v->data, v->len, &n)) {
			errno = EINVAL;
			return -1;
		}
		return pk_int(out, n);
	}
	case VALUE_CLASS_BOOLEAN:
		if (v->len == 1 && v->data[0] == 't')
			return pk_byte(out, 0xc3);
		if (v->len == 1 && v->data[0] == 'f')
			return pk_byte(out, 0xc2);
		errno = EINVAL;
		return -1;
	case VALUE_CLASS_BYTEA: {
		if (!checked && !record_bytea_text_valid(v->data, v->len)) {
			errno = EINVAL;
			return -1;
		}
		size_t n = (v->len - 2) / 2;
		if (pk_hdr(out, n, 0, 0, 0xc4, 0xc5, 0xc6) < 0 || rec_room(out, n) < 0)
			return -1;
		unsigned char *o = (unsigned char *)out->data + out->len;
		const unsigned char *h = (const unsigned char *)v->data + 2;
		for (size_t i = 0; i < n; i++)
			o[i] = (unsigned char)(record_hex_val(h[2 * i]) << 4 | record_hex_val(h[2 * i + 1]));
		out->len += n;
		return 0;
	}
	default:
		if (!checked && utf8_valid_prefix((const unsigned char *)v->data, v->len) != v->len) {
			errno = EINVAL;
			return -1;
		}
		return pk_strn(out, v->data, v->len);
	}
}

static int pk_name(buf *out, const record *r, const record_encoder *e, size_t i)
{
	if (e) {
		uint32_t a = e->name_off[i], n = e->name_off[i + 1] - a;
		if (rec_room(out, n) < 0)
			return -1;
		memcpy(out->data + out->len, e->names.data + a, n);
		out->len += n;
		return 0;
	}
	return pk_str(out, r->cols[i].name);
}

static int pk_image(buf *out, const record *r, const record_encoder *e, const record_value *img)
{
	size_t n = 0;
	for (size_t i = 0; i < r->ncols; i++)
		if (img[i].kind == VALUE_NULL || img[i].kind == VALUE_TEXT)
			n++;
	if (pk_map(out, n) < 0)
		return -1;
	for (size_t i = 0; i < r->ncols; i++) {
		if (img[i].kind != VALUE_NULL && img[i].kind != VALUE_TEXT)
			continue;
		value_class cls = e ? (value_class)e->cls[i] : record_type_class(r->cols[i].type);
		if (pk_name(out, r, e, i) < 0 || pk_value(out, &img[i], cls, false) < 0)
			return -1;
	}
	return 0;
}

/* From "db" to the end of the key array. */
static int pk_head(buf *out, const record *r)
{
	if (pk_str(out, "db") < 0 || pk_str(out, r->db) < 0 || pk_str(out, "schema") < 0 ||
	    pk_str(out, r->schema) < 0 || pk_str(out, "table") < 0 || pk_str(out, r->table) < 0 ||
	    pk_str(out, "cols") < 0 || pk_array(out, r->ncols) < 0)
		return -1;
	for (size_t i = 0; i < r->ncols; i++) {
		unsigned mask = r->masks ? r->masks[i] : RECORD_MASK_NONE;
		if (pk_map(out, mask ? 3 : 2) < 0 || pk_str(out, "name") < 0 || pk_str(out, r->cols[i].name) < 0 ||
		    pk_str(out, "type") < 0 || pk_str(out, r->cols[i].type) < 0)
			return -1;
		if (mask && (pk_str(out, "mask") < 0 || pk_str(out, record_mask_name((record_mask)mask)) < 0))
			return -1;
	}
	if (pk_str(out, "key") < 0 || pk_array(out, r->nkeys) < 0)
		return -1;
	for (size_t i = 0; i < r->nkeys; i++)
		if (pk_str(out, r->cols[r->keys[i]].name) < 0)
			return -1;
	return 0;
}

int record_encoder_load_msgpack(record_encoder *e, const record *r)
{
	if (pk_head(&e->head, r) < 0)
		return -1;
	for (size_t i = 0; i < r->ncols; i++) {
		e->name_off[i] = (uint32_t)e->names.len;
		if (pk_str(&e->names, r->cols[i].name) < 0)
			return -1;
	}
	e->name_off[r->ncols] = (uint32_t)e->names.len;
	e->valid = true;
	return 0;
}

/* A short str (o has room for it and its header). */
static size_t short_str(unsigned char *o, const char *s, size_t n)
{
	size_t h = hdr(o, n, 0xa0, 32, 0xd9, 0xda, 0xdb);
	memcpy(o + h, s, n);
	return h + n;
}

int record_encode_msgpack_impl(record_encoder *e, const record *r, buf *out)
{
	if (record_check_basic(r) < 0)
		return -1;
	if (!record_encoder_match(e, r, RECORD_FORMAT_MSGPACK)) {
		if (record_check_shape(r) < 0)
			return -1;
		if (e && (record_encoder_load(e, r, RECORD_FORMAT_MSGPACK) < 0 ||
			  record_encoder_load_msgpack(e, r) < 0)) {
			e->valid = false;
			e = NULL;
		}
	}
	size_t nunchanged = 0;
	for (size_t i = 0; r->has_after && i < r->ncols; i++)
		if (r->after[i].kind == VALUE_UNCHANGED)
			nunchanged++;
	size_t nfields = 9 + (r->has_before ? 1 : 0) + (r->has_after ? 1 : 0) + (nunchanged ? 1 : 0);
	/* map, "v", version, "op", op */
	if (rec_room(out, 24) < 0)
		return -1;
	unsigned char *o = (unsigned char *)out->data + out->len;
	size_t n = hdr(o, nfields, 0x80, 16, 0, 0xde, 0xdf);
	memcpy(o + n, "\xa1v", 2);
	n += 2;
	n += int_bytes(o + n, r->version);
	memcpy(o + n, "\xa2op\xa1", 4);
	n += 4;
	o[n++] = (unsigned char)r->op;
	out->len += n;
	if (e) {
		if (rec_room(out, e->head.len) < 0)
			return -1;
		memcpy(out->data + out->len, e->head.data, e->head.len);
		out->len += e->head.len;
	} else if (pk_head(out, r) < 0) {
		return -1;
	}
	if (r->has_before && (pk_str(out, "before") < 0 || pk_image(out, r, e, r->before) < 0))
		return -1;
	if (r->has_after && (pk_str(out, "after") < 0 || pk_image(out, r, e, r->after) < 0))
		return -1;
	if (nunchanged) {
		if (pk_str(out, "unchanged") < 0 || pk_array(out, nunchanged) < 0)
			return -1;
		for (size_t i = 0; i < r->ncols; i++)
			if (r->after[i].kind == VALUE_UNCHANGED && pk_str(out, r->cols[i].name) < 0)
				return -1;
	}
	/* "src" {lsn, xid, ts, seq[, last]} "pos" {"stream" */
	char tmp[64];
	if (rec_room(out, 220) < 0)
		return -1;
	o = (unsigned char *)out->data + out->len;
	memcpy(o, r->last ? "\xa3src\x85\xa3lsn" : "\xa3src\x84\xa3lsn", 9);
	n = 9;
	n += short_str(o + n, tmp, record_fmt_lsn(tmp, r->lsn));
	memcpy(o + n, "\xa3xid", 4);
	n += 4;
	n += uint_bytes(o + n, r->xid);
	memcpy(o + n, "\xa2ts", 3);
	n += 3;
	n += short_str(o + n, tmp, record_encoder_ts(e, tmp, r->commit_us));
	memcpy(o + n, "\xa3seq", 4);
	n += 4;
	n += uint_bytes(o + n, r->seq);
	if (r->last) {
		memcpy(o + n, "\xa4last\xc3", 6);
		n += 6;
	}
	memcpy(o + n, "\xa3pos\x82\xa6stream", 12);
	n += 12;
	out->len += n;
	if (pk_str(out, r->stream) < 0)
		return -1;
	if (rec_room(out, 64) < 0)
		return -1;
	o = (unsigned char *)out->data + out->len;
	memcpy(o, "\xa6offset", 7);
	n = 7;
	n += short_str(o + n, tmp, record_fmt_offset(tmp, r->offset));
	out->len += n;
	return 0;
}

int record_encode_key_msgpack_impl(const record *r, buf *out)
{
	/* a record a decoder checked needs no second look (record.h) */
	if ((!r->checked && record_check_encodable(r) < 0) || pk_map(out, r->nkeys) < 0)
		return -1;
	for (size_t i = 0; i < r->nkeys; i++) {
		size_t c = r->keys[i];
		value_class cls = r->checked ? (value_class)r->cls[c] : record_type_class(r->cols[c].type);
		/* a checked record's names are UTF-8 already (record.h) */
		int rc = r->checked ? pk_strn(out, r->cols[c].name, strlen(r->cols[c].name)) : pk_name(out, r, NULL, c);
		if (rc < 0 || pk_value(out, record_key_value(r, c), cls, r->checked) < 0)
			return -1;
	}
	return 0;
}

/* ---- the cursor ---- */

int mp_head(const unsigned char *p, size_t avail, mp_item *it)
{
	if (avail < 1)
		return 0;
	unsigned char c = p[0];
	size_t need = 1; /* header bytes */
	it->u = 0;
	it->i = 0;
	it->len = 0;
	if (c <= 0x7f) {
		it->type = MP_UINT;
		it->u = c;
	} else if (c >= 0xe0) {
		it->type = MP_INT;
		it->i = (int8_t)c;
	} else if (c <= 0x8f) {
		it->type = MP_MAP;
		it->len = c & 0x0f;
	} else if (c <= 0x9f) {
		it->type = MP_ARRAY;
		it->len = c & 0x0f;
	} else if (c <= 0xbf) {
		it->type = MP_STR;
		it->len = c & 0x1f;
	} else {
		/* length bytes after the type byte; what follows them is payload
		 * (for ext types the payload includes the ext type byte) */
		static const unsigned char extra[32] = {
			/* c0 */ 0, 0, 0, 0, 1, 2, 4, 1, 2, 4, 0, 0, 1, 2, 4, 8,
			/* d0 */ 1, 2, 4, 8, 0, 0, 0, 0, 0, 1, 2, 4, 2, 4, 2, 4,
		};
		if (c == 0xc1)
			return -1;
		need = 1 + (size_t)extra[c - 0xc0];
		if (avail < need)
			return 0;
		const unsigned char *q = p + 1;
		uint64_t be = 0;
		size_t nb = 0;
		switch (c) {
		case 0xc0: it->type = MP_NIL; break;
		case 0xc2: it->type = MP_BOOL; it->u = 0; break;
		case 0xc3: it->type = MP_BOOL; it->u = 1; break;
		case 0xc4: case 0xc5: case 0xc6:
			it->type = MP_BIN; nb = (size_t)1 << (c - 0xc4); break;
		case 0xc7: case 0xc8: case 0xc9:
			it->type = MP_EXT; nb = (size_t)1 << (c - 0xc7); break;
		case 0xca: case 0xcb:
			it->type = MP_FLOAT; break;
		case 0xcc: case 0xcd: case 0xce: case 0xcf:
			it->type = MP_UINT; nb = (size_t)1 << (c - 0xcc); break;
		case 0xd0: case 0xd1: case 0xd2: case 0xd3:
			it->type = MP_INT; nb = (size_t)1 << (c - 0xd0); break;
		case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
			it->type = MP_EXT; it->len = ((uint64_t)1 << (c - 0xd4)) + 1; break;
		case 0xd9: case 0xda: case 0xdb:
			it->type = MP_STR; nb = (size_t)1 << (c - 0xd9); break;
		case 0xdc: case 0xdd:
			it->type = MP_ARRAY; nb = (size_t)2 << (c - 0xdc); break;
		case 0xde: case 0xdf:
			it->type = MP_MAP; nb = (size_t)2 << (c - 0xde); break;
		}
		for (size_t k = 0; k < nb; k++)
			be = be << 8 | q[k];
		switch (it->type) {
		case MP_UINT:
			it->u = be;
			break;
		case MP_INT:
			/* sign-extend from nb bytes */
			it->i = nb == 8 ? (int64_t)be : (int64_t)(be << (64 - 8 * nb)) >> (64 - 8 * nb);
			if (it->i >= 0) {
				it->type = MP_UINT;
				it->u = (uint64_t)it->i;
			}
			break;
		case MP_BIN:
		case MP_STR:
		case MP_ARRAY:
		case MP_MAP:
			it->len = be;
			break;
		case MP_EXT:
			if (nb) /* ext 8/16/32: length then a type byte */
				it->len = be + 1;
			break;
		case MP_FLOAT:
			it->len = c == 0xca ? 4 : 8;
			break;
		default:
			break;
		}
	}
	it->hlen = need;
	it->data = p + need;
	return 1;
}

/* Bytes of payload that follow the header (containers: 0). */
static uint64_t payload(const mp_item *it)
{
	switch (it->type) {
	case MP_STR:
	case MP_BIN:
	case MP_EXT:
	case MP_FLOAT:
		return it->len;
	default:
		return 0;
	}
}

void mp_scan_init(mp_scan *s)
{
	memset(s, 0, sizeof *s);
}

int mp_scan_step(mp_scan *s, const unsigned char *p, size_t len, size_t max)
{
	for (;;) {
		uint64_t size, n;
		unsigned char c = s->pos < len ? p[s->pos] : 0xc1;
		/* the one-byte headers (most items) without mp_head */
		if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
			size = 1;
			n = 0;
		} else if (c >= 0xa0 && c <= 0xbf) {
			size = 1 + (uint64_t)(c & 0x1f);
			n = 0;
		} else if (c <= 0x8f) {
			size = 1;
			n = 2 * (uint64_t)(c & 0x0f);
		} else if (c <= 0x9f) {
			size = 1;
			n = c & 0x0f;
		} else {
			mp_item it;
			int rc = mp_head(p + s->pos, len - s->pos, &it);
			if (rc < 0)
				return MP_SCAN_BAD;
			if (rc == 0)
				return s->pos >= max ? MP_SCAN_TOO_BIG : MP_SCAN_MORE;
			size = it.hlen + payload(&it);
			n = it.type == MP_MAP ? 2 * (uint64_t)it.len : it.type == MP_ARRAY ? it.len : 0;
		}
		uint64_t end = (uint64_t)s->pos + size;
		if (end > max)
			return MP_SCAN_TOO_BIG;
		if (end > len)
			return MP_SCAN_MORE;
		s->pos = (size_t)end;
		if (n) {
			if (s->depth >= MP_MAX_DEPTH)
				return MP_SCAN_DEEP;
			s->remain[s->depth++] = n;
			continue;
		}
		while (s->depth > 0 && --s->remain[s->depth - 1] == 0)
			s->depth--;
		if (s->depth == 0)
			return MP_SCAN_DONE;
	}
}

/* ---- decoding ---- */

/* The decoder expects what record_encode writes: each key where it puts
 * it and in the form it picks (the table below, at_key, at_column), the
 * shape of a table it has seen (the shape cache, record_cache.c), the
 * position texts of the last record (the memo, record_priv.h); when the
 * bytes are exactly those it takes them without the general parse, and
 * anything else goes the general way, so that the result and every
 * message are the same either way. */

typedef struct mpd {
	const unsigned char *p, *end, *start;
	record *r;
	record_colmap map;
	bool have_cols;
	/* record_decode_msgpack_front: the record may end before end, and
	 * the decode gives up at the first item it would skip unread */
	bool front;
	unsigned skips;    /* items skipped unread so far */
	record_memo *memo; /* NULL when there is none */
	char *err;
	size_t errlen;
} mpd;

static int merr(mpd *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int merr(mpd *m, const char *fmt, ...)
{
	if (m->err && m->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(m->err, m->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const char *mp_type_name(mp_type t)
{
	static const char *names[] = {"nil", "boolean", "unsigned integer", "integer", "float",
				      "str", "bin", "array", "map", "ext"};
	return names[t];
}

/* Reads one item header and checks its payload is inside the record. */
static int next_any(mpd *m, mp_item *it)
{
	int rc = mp_head(m->p, (size_t)(m->end - m->p), it);
	if (rc < 0)
		return merr(m, "invalid msgpack byte 0xc1 at byte %zu", (size_t)(m->p - m->start));
	if (rc == 0 || payload(it) > (uint64_t)(m->end - m->p) - it->hlen)
		return merr(m, "truncated record");
	m->p += it->hlen + payload(it);
	return 0;
}

/* next_any, with the items of one-byte headers (most of a record's) read
 * here rather than by mp_head: the same *it, the same checks. */
static inline int next(mpd *m, mp_item *it)
{
	const unsigned char *p = m->p;
	if (p >= m->end)
		return next_any(m, it);
	unsigned c = *p;
	it->u = 0;
	it->i = 0;
	it->len = 0;
	it->hlen = 1;
	it->data = p + 1;
	if (c <= 0x7f) {
		it->type = MP_UINT;
		it->u = c;
	} else if (c <= 0x8f) {
		it->type = MP_MAP;
		it->len = c & 0x0f;
	} else if (c <= 0x9f) {
		it->type = MP_ARRAY;
		it->len = c & 0x0f;
	} else if (c <= 0xbf) {
		size_t n = c & 0x1f;
		if (n >= (size_t)(m->end - p))
			return next_any(m, it); /* truncated */
		it->type = MP_STR;
		it->len = n;
		m->p = p + 1 + n;
		return 0;
	} else if (c == 0xc0) {
		it->type = MP_NIL;
	} else if (c == 0xc2 || c == 0xc3) {
		it->type = MP_BOOL;
		it->u = c & 1;
	} else if (c >= 0xe0) {
		it->type = MP_INT;
		it->i = (int8_t)c;
	} else if (c >= 0xcc && c <= 0xcf && (size_t)(m->end - p) > ((size_t)1 << (c - 0xcc))) {
		/* uint 8 to 64 (xid, seq, integer values) */
		size_t nb = (size_t)1 << (c - 0xcc);
		uint64_t v = 0;
		for (size_t k = 1; k <= nb; k++)
			v = v << 8 | p[k];
		it->type = MP_UINT;
		it->u = v;
		it->hlen = 1 + nb;
		it->data = p + 1 + nb;
		m->p = p + 1 + nb;
		return 0;
	} else if (c == 0xd9 && (size_t)(m->end - p) >= 2 && p[1] <= (size_t)(m->end - p) - 2) {
		/* str 8: texts from 32 bytes */
		it->type = MP_STR;
		it->len = p[1];
		it->hlen = 2;
		it->data = p + 2;
		m->p = p + 2 + p[1];
		return 0;
	} else {
		return next_any(m, it);
	}
	m->p = p + 1;
	return 0;
}

static int skip(mpd *m)
{
	/* the reader's measure looks at how deep what is skipped nests, and
	 * the front decode does not: leave such records to the measure */
	if (m->front)
		return -1;
	m->skips++;
	mp_scan s;
	mp_scan_init(&s);
	size_t avail = (size_t)(m->end - m->p);
	switch (mp_scan_step(&s, m->p, avail, avail)) {
	case MP_SCAN_DONE:
		m->p += s.pos;
		return 0;
	case MP_SCAN_DEEP:
		return merr(m, "nesting deeper than %d levels", MP_MAX_DEPTH);
	case MP_SCAN_BAD:
		return merr(m, "invalid msgpack byte 0xc1");
	default:
		return merr(m, "truncated record");
	}
}

static inline int want(mpd *m, mp_item *it, mp_type t, const char *what)
{
	if (next(m, it) < 0)
		return -1;
	if (it->type != t)
		return merr(m, "%s: expected %s, got %s", what, mp_type_name(t), mp_type_name(it->type));
	return 0;
}

/* A str's bytes must be UTF-8 without NUL. Mostly they are ASCII, which
 * one pass eight bytes at a time settles. */
static int check_text(mpd *m, const unsigned char *p, uint64_t n, const char *what)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t i = 0;
	while (n - i >= 8) {
		uint64_t x;
		memcpy(&x, p + i, 8);
		if ((x | ((x - ones) & ~x)) & high)
			break;
		i += 8;
	}
	while (i < n && p[i] - 1u < 0x7fu)
		i++;
	if (i == n)
		return 0;
	if (utf8_valid_prefix(p, n) != n)
		return merr(m, "%s: invalid UTF-8", what);
	if (memchr(p, '\0', n))
		return merr(m, "%s contains U+0000", what);
	return 0;
}

/* A str into the arena, UTF-8 checked; maxlen 0 = no limit. */
static int get_str(mpd *m, const char **out, size_t *outlen, size_t maxlen, const char *what)
{
	mp_item it;
	if (want(m, &it, MP_STR, what) < 0)
		return -1;
	if (maxlen && it.len > maxlen)
		return merr(m, "%s longer than %zu bytes", what, maxlen);
	if (check_text(m, it.data, it.len, what) < 0)
		return -1;
	const char *s = record_text_copy(m->r, it.data, it.len);
	if (!s)
		return merr(m, "out of memory");
	*out = s;
	if (outlen)
		*outlen = it.len;
	return 0;
}

static int get_short(mpd *m, char *dst, size_t cap, size_t *outlen, const char *what);

/* A name (map key, column name): *key points at its bytes in the record
 * when it is a short ASCII fixstr (most are), else at its copy in scratch
 * (RECORD_NAME_MAX + 1 bytes, NUL-terminated); what get_short(..., what)
 * would make of it either way, and never with a NUL byte inside. */
static int get_name(mpd *m, const char **key, size_t *klen, char *scratch, const char *what)
{
	const unsigned char *p = m->p;
	if (p < m->end && (*p & 0xe0) == 0xa0) {
		size_t n = *p & 0x1f;
		if (n < (size_t)(m->end - p)) {
			size_t i = 0;
			while (i < n && p[1 + i] - 1u < 0x7fu)
				i++;
			if (i == n) {
				*key = (const char *)p + 1;
				*klen = n;
				m->p = p + 1 + n;
				return 0;
			}
		}
	}
	*key = scratch;
	return get_short(m, scratch, RECORD_NAME_MAX + 1, klen, what);
}

/* A short str into a caller's buffer (cap bytes with the NUL). */
static int get_short(mpd *m, char *dst, size_t cap, size_t *outlen, const char *what)
{
	mp_item it;
	if (want(m, &it, MP_STR, what) < 0)
		return -1;
	if (it.len >= cap)
		return merr(m, "%s longer than %zu bytes", what, cap - 1);
	if (check_text(m, it.data, it.len, what) < 0)
		return -1;
	memcpy(dst, it.data, it.len);
	dst[it.len] = '\0';
	*outlen = it.len;
	return 0;
}

/* A key as record_encode writes it, header and bytes ("\xa2op"), ASCII:
 * what the decoder may expect. */
typedef struct mkey {
	const char *bytes;
	size_t len;
} mkey;

/* Whether the bytes at m->p are k; then m->p goes past them, and the key
 * is k.bytes + 1, k.len - 1 bytes: what get_name makes of those bytes. */
static inline bool at_key(mpd *m, mkey k)
{
	/* the header byte first: a key not expected mostly differs there */
	if (!k.bytes || (size_t)(m->end - m->p) < k.len || m->p[0] != (unsigned char)k.bytes[0] ||
	    !record_bytes_eq((const char *)m->p + 1, k.bytes + 1, k.len - 1))
		return false;
	m->p += k.len;
	return true;
}

/* Whether the bytes at m->p are the name of column i (i < ncols) as
 * record_encode writes it, for a name the column map knows is plain
 * ASCII (plain_len); then m->p goes past it. get_name would read those
 * bytes as that name, and record_colmap_find find column i by it. */
static inline bool at_column(mpd *m, size_t i)
{
	size_t n = m->map.plain_len[i];
	const unsigned char *p = m->p;
	size_t h = n < 32 ? 1 : 2; /* fixstr, else str 8: plain names are shorter than 256 */
	if (!n || (size_t)(m->end - p) < h + n)
		return false;
	if (n < 32 ? p[0] != (0xa0 | n) : (p[0] != 0xd9 || p[1] != n))
		return false;
	if (!record_bytes_eq((const char *)p + h, m->r->cols[i].name, n))
		return false;
	m->p = p + h + n;
	return true;
}

/* Whether the item at m->p is a str, in the form record_encode writes,
 * holding exactly t's text; then m->p goes past it. t's text was read from
 * a str the general way (get_short and its parse) and kept plain
 * (record_memo_keep): the same bytes read that way again give that text
 * and what it meant. */
static inline bool at_memo(mpd *m, const record_memo_text *t)
{
	size_t n = t->len;
	unsigned char h[5];
	if (!n)
		return false;
	size_t hl = hdr(h, n, 0xa0, 32, 0xd9, 0xda, 0xdb);
	const unsigned char *p = m->p;
	if ((size_t)(m->end - p) < hl + n)
		return false;
	for (size_t i = 0; i < hl; i++) /* 1 to 3 bytes */
		if (p[i] != h[i])
			return false;
	if (!record_bytes_eq((const char *)p + hl, t->text, n))
		return false;
	m->p = p + hl + n;
	return true;
}

/* Whether the item at m->p is a str (fixstr or str 8) shorter than
 * POS_OFFSET_TEXT_MAX holding an offset that begins with t's text (an LSN
 * offset up to its ':', kept as in at_memo) followed by 1 to 19 digits
 * (no overflow): then *out is what pos_offset_parse would make of it and
 * m->p goes past it. */
static bool at_offset_memo(mpd *m, const record_memo_text *t, pos_offset *out)
{
	const unsigned char *p = m->p;
	size_t avail = (size_t)(m->end - p), pre = t->len, n, h;
	if (!pre || avail < 2)
		return false;
	if ((p[0] & 0xe0) == 0xa0) {
		n = p[0] & 0x1f;
		h = 1;
	} else if (p[0] == 0xd9) {
		n = p[1];
		h = 2;
	} else {
		return false;
	}
	if (n >= POS_OFFSET_TEXT_MAX || n <= pre || n - pre > 19 || avail - h < n ||
	    !record_bytes_eq((const char *)p + h, t->text, pre))
		return false;
	uint64_t v = 0;
	for (size_t i = pre; i < n; i++) {
		unsigned d = p[h + i] - (unsigned)'0';
		if (d > 9)
			return false;
		v = v * 10 + d;
	}
	out->major = t->u;
	out->minor = v;
	out->lsn = true;
	m->p = p + h + n;
	return true;
}

static int get_uint(mpd *m, uint64_t *v, uint64_t max, const char *what)
{
	mp_item it;
	if (next(m, &it) < 0)
		return -1;
	if (it.type != MP_UINT)
		return merr(m, "\"%s\": expected an unsigned integer, got %s", what, mp_type_name(it.type));
	if (it.u > max)
		return merr(m, "\"%s\": number out of range", what);
	*v = it.u;
	return 0;
}

static int get_value(mpd *m, size_t col, record_value *slot, const char *img)
{
	const record_column *cd = &m->r->cols[col];
	value_class cls = (value_class)m->r->cls[col];
	mp_item it;
	if (next(m, &it) < 0)
		return -1;
	if (it.type == MP_NIL) {
		slot->kind = VALUE_NULL;
		slot->data = NULL;
		slot->len = 0;
		return 0;
	}
	switch (cls) {
	case VALUE_CLASS_INTEGER: {
		char text[24];
		size_t n;
		if (it.type == MP_UINT && it.u <= INT64_MAX) {
			n = record_fmt_u64(text, it.u);
		} else if (it.type == MP_INT) {
			/* as %PRId64 prints it: MP_INT is always negative */
			text[0] = '-';
			n = 1 + record_fmt_u64(text + 1, 0 - (uint64_t)it.i);
		} else if (it.type == MP_UINT)
			return merr(m, "%s: column \"%s\" (%s): %" PRIu64 " is not a 64-bit integer", img,
				    cd->name, cd->type, it.u);
		else
			return merr(m, "%s: column \"%s\" (%s): expected an integer, got %s", img,
				    cd->name, cd->type, mp_type_name(it.type));
		const char *d = record_text_copy(m->r, text, n);
		if (!d)
			return merr(m, "out of memory");
		slot->kind = VALUE_TEXT;
		slot->data = d;
		slot->len = n;
		return 0;
	}
	case VALUE_CLASS_BOOLEAN:
		if (it.type != MP_BOOL)
			return merr(m, "%s: column \"%s\" (%s): expected a boolean, got %s", img, cd->name,
				    cd->type, mp_type_name(it.type));
		slot->kind = VALUE_TEXT;
		slot->data = it.u ? "t" : "f";
		slot->len = 1;
		return 0;
	case VALUE_CLASS_BYTEA: {
		if (it.type != MP_BIN)
			return merr(m, "%s: column \"%s\" (bytea): expected bin, got %s", img, cd->name,
				    mp_type_name(it.type));
		size_t n = 2 + 2 * (size_t)it.len;
		char *d = record_alloc(m->r, n + 1, 1);
		if (!d)
			return merr(m, "out of memory");
		static const char hex[] = "0123456789abcdef";
		d[0] = '\\';
		d[1] = 'x';
		for (size_t i = 0; i < it.len; i++) {
			d[2 + 2 * i] = hex[it.data[i] >> 4];
			d[3 + 2 * i] = hex[it.data[i] & 15];
		}
		d[n] = '\0';
		slot->kind = VALUE_TEXT;
		slot->data = d;
		slot->len = n;
		return 0;
	}
	default: {
		if (it.type != MP_STR)
			return merr(m, "%s: column \"%s\" (%s): expected str, got %s", img, cd->name,
				    cd->type, mp_type_name(it.type));
		/* what get_str(..., 0, "value") makes of the str just read */
		if (check_text(m, it.data, it.len, "value") < 0)
			return -1;
		const char *d = record_text_copy(m->r, it.data, it.len);
		if (!d)
			return merr(m, "out of memory");
		slot->kind = VALUE_TEXT;
		slot->data = d;
		slot->len = it.len;
		return 0;
	}
	}
}

static int get_image(mpd *m, record_value *img, const char *what)
{
	mp_item it;
	if (want(m, &it, MP_MAP, what) < 0)
		return -1;
	record *r = m->r;
	record_colmap *map = &m->map;
	map->hint = 0;
	for (uint32_t k = 0; k < it.len; k++) {
		char scratch[RECORD_NAME_MAX + 1];
		const char *name;
		size_t len;
		int col;
		if (map->hint < r->ncols && at_column(m, map->hint)) {
			/* the next column in order, as record_colmap_find would
			 * find it (and move the hint past it) */
			col = (int)map->hint++;
			name = r->cols[col].name;
			len = map->plain_len[col];
		} else {
			if (get_name(m, &name, &len, scratch, "column name") < 0)
				return -1;
			col = record_colmap_find(r, map, name, len);
			if (col < 0)
				return merr(m, "\"%s\" names column \"%.*s\" that is not in \"cols\"", what,
					    (int)len, name);
		}
		if (img[col].kind != VALUE_ABSENT)
			return merr(m, "\"%s\" names column \"%.*s\" twice", what, (int)len, name);
		if (get_value(m, (size_t)col, &img[col], what) < 0)
			return -1;
	}
	return 0;
}

static int get_name_list(mpd *m, const char *what, bool unchanged)
{
	mp_item it;
	if (want(m, &it, MP_ARRAY, what) < 0)
		return -1;
	record *r = m->r;
	if (it.len > r->ncols)
		return merr(m, "\"%s\" names more columns than \"cols\" has", what);
	uint16_t *keys = NULL;
	if (!unchanged && it.len) {
		keys = record_alloc(r, it.len * sizeof *keys, 8);
		if (!keys)
			return merr(m, "out of memory");
	}
	m->map.hint = 0;
	for (uint32_t k = 0; k < it.len; k++) {
		char scratch[RECORD_NAME_MAX + 1];
		const char *name;
		size_t len;
		if (get_name(m, &name, &len, scratch, what) < 0)
			return -1;
		int col = record_colmap_find(r, &m->map, name, len);
		if (col < 0)
			return merr(m, "\"%s\" names column \"%.*s\" that is not in \"cols\"", what, (int)len, name);
		if (unchanged) {
			if (!r->has_after)
				return merr(m, "\"unchanged\" without \"after\"");
			if (r->after[col].kind != VALUE_ABSENT)
				return merr(m, "column \"%.*s\" is both in \"after\" and in \"unchanged\"", (int)len, name);
			r->after[col].kind = VALUE_UNCHANGED;
			continue;
		}
		for (uint32_t i = 0; i < k; i++)
			if (keys[i] == col)
				return merr(m, "\"key\" names column \"%.*s\" twice", (int)len, name);
		keys[k] = (uint16_t)col;
	}
	if (!unchanged) {
		r->keys = keys;
		r->nkeys = it.len;
	}
	return 0;
}

static int get_cols(mpd *m)
{
	mp_item it;
	if (want(m, &it, MP_ARRAY, "\"cols\"") < 0)
		return -1;
	if (it.len > RECORD_MAX_COLUMNS)
		return merr(m, "more than %d columns", RECORD_MAX_COLUMNS);
	/* each column takes at least 3 bytes: refuse a count the bytes cannot hold */
	if ((uint64_t)it.len * 3 > (uint64_t)(m->end - m->p))
		return merr(m, "truncated record");
	if (record_set_shape(m->r, it.len, false, false) < 0)
		return merr(m, "out of memory");
	/* the keys of a column in the order record_encode writes them */
	static const mkey order[] = {{"\xa4name", 5}, {"\xa4type", 5}, {NULL, 0}};
	for (size_t i = 0; i < it.len; i++) {
		mp_item cm;
		if (want(m, &cm, MP_MAP, "column") < 0)
			return -1;
		record_column *cd = &m->r->cols[i];
		size_t o = 0;
		for (uint32_t k = 0; k < cm.len; k++) {
			char scratch[RECORD_NAME_MAX + 1];
			const char *key;
			size_t klen;
			if (at_key(m, order[o])) {
				key = order[o].bytes + 1;
				klen = order[o].len - 1;
				o++;
			} else {
				if (get_name(m, &key, &klen, scratch, "key") < 0)
					return -1;
				o = 2;
			}
			bool is_name = record_key_is(key, klen, "name"), is_type = record_key_is(key, klen, "type");
			if (is_name && !cd->name) {
				if (get_str(m, &cd->name, NULL, RECORD_NAME_MAX, "column name") < 0)
					return -1;
			} else if (is_type && !cd->type) {
				if (get_str(m, &cd->type, NULL, RECORD_NAME_MAX, "column type") < 0)
					return -1;
			} else if (is_name || is_type || (m->r->masks && m->r->masks[i] && record_key_is(key, klen, "mask"))) {
				return merr(m, "column %zu: duplicate \"%.*s\"", i + 1, (int)klen, key);
			} else if (record_key_is(key, klen, "mask")) {
				char text[16];
				size_t tlen;
				if (get_short(m, text, sizeof text, &tlen, "column mask") < 0)
					return -1;
				record_mask mk = record_mask_parse(text, tlen);
				if (!mk)
					return merr(m, "column %zu: \"mask\": expected one of \"excluded\" \"fixed\" \"sha256\", got \"%s\"",
						    i + 1, text);
				if (record_set_column_mask(m->r, i, mk) < 0)
					return merr(m, "out of memory");
			} else if (skip(m) < 0) {
				return -1;
			}
		}
		if (!cd->name || !cd->type)
			return merr(m, "column %zu: missing \"%s\"", i + 1, cd->name ? "type" : "name");
		if (!cd->type[0])
			return merr(m, "column \"%s\": empty type", cd->name);
	}
	unsigned char *cls = record_alloc(m->r, it.len ? it.len : 1, 1);
	if (!cls)
		return merr(m, "out of memory");
	for (size_t i = 0; i < it.len; i++)
		cls[i] = (unsigned char)record_type_class(m->r->cols[i].type);
	m->r->cls = cls;
	if (record_colmap_build(m->r, &m->map, m->err, m->errlen) < 0)
		return -1;
	m->have_cols = true;
	return 0;
}

static int get_src(mpd *m)
{
	mp_item it;
	if (want(m, &it, MP_MAP, "\"src\"") < 0)
		return -1;
	record_memo *memo = m->memo;
	bool lsn = false, xid = false, ts = false, seq = false, last = false;
	/* the keys in the order record_encode writes them */
	static const mkey order[] = {{"\xa3lsn", 4}, {"\xa3xid", 4}, {"\xa2ts", 3}, {"\xa3seq", 4},
				     {"\xa4last", 5}, {NULL, 0}};
	size_t o = 0;
	for (uint32_t k = 0; k < it.len; k++) {
		char scratch[RECORD_NAME_MAX + 1], text[64];
		const char *key;
		size_t klen, tlen;
		uint64_t v;
		if (at_key(m, order[o])) {
			key = order[o].bytes + 1;
			klen = order[o].len - 1;
			o++;
		} else {
			if (get_name(m, &key, &klen, scratch, "key") < 0)
				return -1;
			o = 5;
		}
		/* the texts hold no NUL byte (check_text): the _n parsers
		 * take them as the others take the NUL-terminated copy */
		if (record_key_is(key, klen, "lsn") && !lsn) {
			if (memo && at_memo(m, &memo->lsn)) {
				m->r->lsn = memo->lsn.u;
			} else {
				if (get_short(m, text, sizeof text, &tlen, "\"src.lsn\"") < 0)
					return -1;
				if (pos_lsn_parse_n(text, tlen, &m->r->lsn) < 0)
					return merr(m, "\"src.lsn\": \"%s\" is not an LSN", text);
				if (memo && record_memo_keep(&memo->lsn, text, tlen))
					memo->lsn.u = m->r->lsn;
			}
			lsn = true;
		} else if (record_key_is(key, klen, "xid") && !xid) {
			if (get_uint(m, &v, UINT32_MAX, "src.xid") < 0)
				return -1;
			m->r->xid = (uint32_t)v;
			xid = true;
		} else if (record_key_is(key, klen, "ts") && !ts) {
			if (memo && at_memo(m, &memo->ts)) {
				m->r->commit_us = memo->ts.i;
			} else {
				if (get_short(m, text, sizeof text, &tlen, "\"src.ts\"") < 0)
					return -1;
				if (record_ts_parse_n(text, tlen, &m->r->commit_us) < 0)
					return merr(m, "\"src.ts\": \"%s\" is not a UTC timestamp", text);
				if (memo && record_memo_keep(&memo->ts, text, tlen))
					memo->ts.i = m->r->commit_us;
			}
			ts = true;
		} else if (record_key_is(key, klen, "seq") && !seq) {
			if (get_uint(m, &v, UINT64_MAX, "src.seq") < 0)
				return -1;
			m->r->seq = v;
			seq = true;
		} else if (record_key_is(key, klen, "last") && !last) {
			mp_item b;
			if (next(m, &b) < 0)
				return -1;
			if (b.type != MP_BOOL)
				return merr(m, "\"src.last\": expected a boolean, got %s", mp_type_name(b.type));
			m->r->last = b.u != 0;
			last = true;
		} else if (record_key_is(key, klen, "lsn") || record_key_is(key, klen, "xid") || record_key_is(key, klen, "ts") ||
			   record_key_is(key, klen, "seq") || record_key_is(key, klen, "last")) {
			return merr(m, "duplicate key \"src.%.*s\"", (int)klen, key);
		} else if (skip(m) < 0) {
			return -1;
		}
	}
	if (!lsn || !xid || !ts || !seq)
		return merr(m, "\"src\" lacks \"%s\"", !lsn ? "lsn" : !xid ? "xid" : !ts ? "ts" : "seq");
	return 0;
}

static int get_pos(mpd *m)
{
	mp_item it;
	if (want(m, &it, MP_MAP, "\"pos\"") < 0)
		return -1;
	record_memo *memo = m->memo;
	bool stream = false, offset = false;
	/* the keys in the order record_encode writes them */
	static const mkey order[] = {{"\xa6stream", 7}, {"\xa6offset", 7}, {NULL, 0}};
	size_t o = 0;
	for (uint32_t k = 0; k < it.len; k++) {
		char scratch[RECORD_NAME_MAX + 1], text[POS_STREAM_MAX + 1];
		const char *key;
		size_t klen, tlen;
		if (at_key(m, order[o])) {
			key = order[o].bytes + 1;
			klen = order[o].len - 1;
			o++;
		} else {
			if (get_name(m, &key, &klen, scratch, "key") < 0)
				return -1;
			o = 2;
		}
		/* as in get_src: no NUL byte in the texts */
		if (record_key_is(key, klen, "stream") && !stream) {
			if (memo && at_memo(m, &memo->stream)) {
				memcpy(m->r->stream, memo->stream.text, memo->stream.len);
				m->r->stream[memo->stream.len] = '\0';
			} else {
				if (get_short(m, text, sizeof text, &tlen, "\"pos.stream\"") < 0)
					return -1;
				if (!pos_stream_valid_n(text, tlen))
					return merr(m, "\"pos.stream\": \"%s\" is not a stream name", text);
				memcpy(m->r->stream, text, tlen + 1);
				if (memo)
					record_memo_keep(&memo->stream, text, tlen);
			}
			stream = true;
		} else if (record_key_is(key, klen, "offset") && !offset) {
			if (!memo || !at_offset_memo(m, &memo->offset, &m->r->offset)) {
				if (get_short(m, text, POS_OFFSET_TEXT_MAX, &tlen, "\"pos.offset\"") < 0)
					return -1;
				if (pos_offset_parse_n(text, tlen, &m->r->offset) < 0)
					return merr(m, "\"pos.offset\": \"%s\" is not an offset", text);
				/* an LSN's offset: keep it up to its ':' */
				const char *colon = m->r->offset.lsn ? memchr(text, ':', tlen) : NULL;
				if (memo && colon && record_memo_keep(&memo->offset, text, (size_t)(colon - text) + 1))
					memo->offset.u = m->r->offset.major;
			}
			offset = true;
		} else if (record_key_is(key, klen, "stream") || record_key_is(key, klen, "offset")) {
			return merr(m, "duplicate key \"pos.%.*s\"", (int)klen, key);
		} else if (skip(m) < 0) {
			return -1;
		}
	}
	if (!stream || !offset)
		return merr(m, "\"pos\" lacks \"%s\"", !stream ? "stream" : "offset");
	return 0;
}

static int get_deferred(mpd *m, unsigned flag)
{
	record *r = m->r;
	if (flag == F_KEY)
		return get_name_list(m, "key", false);
	if (flag == F_UNCHANGED)
		return get_name_list(m, "unchanged", true);
	size_t n = r->ncols ? r->ncols : 1;
	record_value *img = record_alloc(r, n * sizeof *img, 8);
	if (!img)
		return merr(m, "out of memory");
	memset(img, 0, n * sizeof *img);
	if (flag == F_BEFORE) {
		r->before = img;
		r->has_before = true;
		return get_image(m, img, "before");
	}
	r->after = img;
	r->has_after = true;
	return get_image(m, img, "after");
}

/* The keys of the fields as they are written, in the order FK_
 * (record_priv.h) numbers them. */
static const mkey field_keys[] = {
	{"\xa1v", 2}, {"\xa2op", 3}, {"\xa2" "db", 3}, {"\xa6schema", 7}, {"\xa5table", 6},
	{"\xa4" "cols", 5}, {"\xa3key", 4}, {"\xa6" "before", 7}, {"\xa5" "after", 6},
	{"\xa9unchanged", 10}, {"\xa3src", 4}, {"\xa3pos", 4}, {NULL, 0},
};

/* A run of shape fields to remember (record_shape_save). */
typedef struct mp_run {
	const unsigned char *at; /* NULL: none */
	size_t len;
	unsigned flags;
	uint32_t members;
	bool skipped;
} mp_run;

/* Remembers the run at[0..end) of m's record now; the front decode only
 * once the record proved good (into *kept: the one run with "cols" a
 * good record has), so that a record the reader then measures and decodes
 * again finds the cache as the reader that measured first did. */
static void keep_run(mpd *m, mp_run *kept, const unsigned char *at, const unsigned char *end,
		     unsigned flags, uint32_t members, bool skipped)
{
	if (!m->front) {
		record_shape_save(m->r, at, (size_t)(end - at), flags, members, skipped, &m->map);
		return;
	}
	if (flags & F_COLS)
		*kept = (mp_run){.at = at, .len = (size_t)(end - at), .flags = flags, .members = members,
				 .skipped = skipped};
}

/* record_decode_msgpack of data[0..len), or, when front is set, of the
 * record at its front (record_decode_msgpack_front: *front its length). */
static int decode(record *r, const void *data, size_t len, size_t *front, char *err, size_t errlen)
{
	record_clear(r);
	if (err && errlen)
		err[0] = '\0';
	mpd m = {.p = data, .end = (const unsigned char *)data + len, .start = data, .r = r,
		 .front = front != NULL, .memo = record_memos(r), .err = err, .errlen = errlen};
	if (!front && len > RECORD_MAX_BYTES)
		return merr(&m, "record longer than %zu bytes", RECORD_MAX_BYTES);
	mp_item top;
	if (len == 0)
		return merr(&m, "empty record");
	if (want(&m, &top, MP_MAP, "record") < 0)
		return -1;
	const unsigned char *later[4];
	unsigned later_flag[4];
	size_t nlater = 0;
	unsigned seen = 0;
	/* The run of shape fields being read (see record_cache.c): from the
	 * key of its first field to the end of its last value. */
	const unsigned char *run_at = NULL, *run_end = NULL;
	unsigned run_flags = 0, run_skips = 0;
	uint32_t run_members = 0;
	bool run_keep = false;
	mp_run kept = {0};
	const record_shape *hit = NULL;
	int expect = record_field_next(0, 0);
	for (uint32_t k = 0; k < top.len; k++) {
		char scratch[RECORD_NAME_MAX + 1];
		const char *key;
		size_t klen;
		unsigned flag;
		const unsigned char *key_at = m.p;
		if (at_key(&m, field_keys[expect])) {
			key = field_keys[expect].bytes + 1;
			klen = field_keys[expect].len - 1;
			flag = record_field_order[expect];
		} else {
			if (get_name(&m, &key, &klen, scratch, "key") < 0)
				return -1;
			flag = record_field_flag(key, klen);
		}
		expect = record_field_next(flag, r->op);
		if (!(flag & SHAPE_FIELDS)) {
			if (run_at && run_keep)
				keep_run(&m, &kept, run_at, run_end, run_flags, run_members, m.skips != run_skips);
			run_at = NULL;
		} else if (!run_at) {
			/* the front decode leaves the cache as it was until the
			 * record proved good (keep_run) */
			const record_shape *sh = m.front ? record_shape_peek(r, key_at, (size_t)(m.end - key_at))
							 : record_shape_find(r, key_at, (size_t)(m.end - key_at));
			if (sh && !(seen & sh->flags) && sh->members <= top.len - k) {
				if (m.front && sh->skipped)
					return -1; /* as skip() */
				hit = sh;
				/* the same bytes as a run read before: the same result */
				if (record_shape_apply(r, sh, &m.map) < 0)
					return merr(&m, "out of memory");
				seen |= sh->flags;
				m.have_cols = true;
				m.p = key_at + sh->len;
				k += sh->members - 1;
				expect = record_field_next(sh->flags & F_KEY ? F_KEY : F_COLS, r->op);
				continue;
			}
			run_at = key_at;
			run_flags = 0;
			run_members = 0;
			run_skips = m.skips;
			run_keep = true;
		}
		if (!flag) {
			if (skip(&m) < 0)
				return -1;
			continue;
		}
		if (seen & flag)
			return merr(&m, "duplicate key \"%.*s\"", (int)klen, key);
		seen |= flag;
		bool had_cols = m.have_cols;
		uint64_t v;
		switch (flag) {
		case F_V:
			if (get_uint(&m, &v, 1000000, "v") < 0)
				return -1;
			if (v != RECORD_FORMAT_VERSION)
				return merr(&m, "unsupported format version %" PRIu64 " (this program reads %d)", v,
					    RECORD_FORMAT_VERSION);
			r->version = (int)v;
			break;
		case F_OP: {
			char op[8];
			size_t oplen;
			mp_item it;
			/* the usual: a fixstr of one of the letters */
			if (m.end - m.p >= 2 && m.p[0] == 0xa1 && record_op_name((char)m.p[1])) {
				r->op = (char)m.p[1];
				m.p += 2;
				break;
			}
			if (mp_head(m.p, (size_t)(m.end - m.p), &it) == 1 && it.type != MP_STR)
				return merr(&m, "\"op\": expected one of \"r\" \"c\" \"u\" \"d\" \"t\", got %s",
					    mp_type_name(it.type));
			if (get_short(&m, op, sizeof op, &oplen, "\"op\"") < 0)
				return -1;
			if (oplen != 1 || !record_op_name(op[0]))
				return merr(&m, "\"op\": expected one of \"r\" \"c\" \"u\" \"d\" \"t\", got \"%s\"", op);
			r->op = op[0];
			break;
		}
		case F_DB:
			if (get_str(&m, &r->db, NULL, RECORD_NAME_MAX, "\"db\"") < 0)
				return -1;
			break;
		case F_SCHEMA:
			if (get_str(&m, &r->schema, NULL, RECORD_NAME_MAX, "\"schema\"") < 0)
				return -1;
			break;
		case F_TABLE:
			if (get_str(&m, &r->table, NULL, RECORD_NAME_MAX, "\"table\"") < 0)
				return -1;
			break;
		case F_COLS:
			if (get_cols(&m) < 0)
				return -1;
			break;
		case F_SRC:
			if (get_src(&m) < 0)
				return -1;
			break;
		case F_POS:
			if (get_pos(&m) < 0)
				return -1;
			break;
		default:
			if (m.have_cols && !(flag == F_UNCHANGED && !(seen & F_AFTER))) {
				if (get_deferred(&m, flag) < 0)
					return -1;
			} else {
				later[nlater] = m.p;
				later_flag[nlater++] = flag;
				if (skip(&m) < 0)
					return -1;
			}
		}
		if (flag & SHAPE_FIELDS) {
			run_flags |= flag;
			run_members++;
			run_end = m.p;
			if (flag == F_KEY && !had_cols)
				run_keep = false; /* its meaning came later */
		}
	}
	if (run_at && run_keep)
		keep_run(&m, &kept, run_at, run_end, run_flags, run_members, m.skips != run_skips);
	if (front) {
		/* the reader's measure refuses a longer record */
		if ((size_t)(m.p - m.start) > RECORD_MAX_BYTES)
			return -1;
		*front = (size_t)(m.p - m.start);
	} else if (m.p != m.end) {
		return merr(&m, "trailing data after the record at byte %zu", (size_t)(m.p - m.start));
	}
	const char *missing = record_field_missing(seen);
	if (missing)
		return merr(&m, "missing \"%s\"", missing);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < nlater; i++) {
			if ((later_flag[i] == F_UNCHANGED) != (pass == 1))
				continue;
			m.p = later[i];
			if (get_deferred(&m, later_flag[i]) < 0)
				return -1;
		}
	if (!r->db[0] || !r->schema[0] || !r->table[0])
		return merr(&m, "empty \"%s\"", !r->db[0] ? "db" : !r->schema[0] ? "schema" : "table");
	if (!r->has_before)
		r->before = NULL;
	if (!r->has_after)
		r->after = NULL;
	if (record_check_decoded(r, err, errlen) < 0)
		return -1;
	/* the front decode's trace on the cache, now that the record is
	 * good: one run with "cols" at most, found or new */
	if (front && hit)
		record_shape_touch(r, hit);
	if (kept.at)
		record_shape_save(r, kept.at, kept.len, kept.flags, kept.members, kept.skipped, &m.map);
	r->checked = true;
	return 0;
}

int record_decode_msgpack(record *r, const void *data, size_t len, char *err, size_t errlen)
{
	return decode(r, data, len, NULL, err, errlen);
}

int record_decode_msgpack_front(record *r, const void *data, size_t avail, size_t *len)
{
	return decode(r, data, avail, len, NULL, 0) == 0 ? 1 : 0;
}
