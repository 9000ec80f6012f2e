/* record.c — the change record in memory: lifetime and its arena, the
 * builders producers use, deep copy, column lookup, the timestamp and
 * type-class helpers the codecs share. The encodings live in
 * record_json.c and record_msgpack.c, the stream reader/writer in
 * record_io.c. */
#include "arena.h"
#include "civil.h"
#include "record_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* r's storage, made on first use; NULL when out of memory. */
static record_arena *record_arena_get(record *r)
{
	if (!r->arena)
		r->arena = calloc(1, sizeof *r->arena);
	return r->arena;
}

void *record_alloc_first(record *r, size_t n, size_t align)
{
	record_arena *a = record_arena_get(r);
	return a ? arena_alloc(&a->mem, n, align) : NULL;
}

static void record_arena_reset(record_arena *a)
{
	if (a) {
		arena_reset(&a->mem);
		a->borrowed = false;
	}
}

static void record_arena_free(record_arena *a)
{
	if (!a)
		return;
	record_shape_cache_free(a->shapes);
	arena_free(&a->mem);
	free(a);
}

const unsigned record_field_order[FK_NONE + 1] = {
	F_V, F_OP, F_DB, F_SCHEMA, F_TABLE, F_COLS, F_KEY, F_BEFORE, F_AFTER, F_UNCHANGED, F_SRC, F_POS, 0,
};

const unsigned char record_plain_byte[256] = {
	[0x20 ... 0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0x7f] = 1,
};

record_memo *record_memos(record *r)
{
	record_arena *a = record_arena_get(r);
	return a ? &a->memo : NULL;
}

record_shape_cache *record_shapes(record *r, bool create)
{
	record_arena *a = create ? record_arena_get(r) : r->arena;
	if (!a)
		return NULL;
	if (!a->shapes && create)
		a->shapes = record_shape_cache_new();
	return a->shapes;
}

int record_verrf(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	return -1;
}

int record_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	record_verrf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- lifetime ---- */

/* All zeros, copied rather than memset: GCC makes the memset of this
 * size "rep stos", whose start-up cost was 2% of mssql-apply's cycles
 * (perf), where the copy is a few vector moves. */
static const record zero_record;

static void record_reset_fields(record *r)
{
	record_arena *a = r->arena;
	memcpy(r, &zero_record, offsetof(record, stream));
	r->version = RECORD_FORMAT_VERSION;
	r->stream[0] = '\0';
	memset(&r->offset, 0, sizeof r->offset);
	r->arena = a;
}

void record_init(record *r)
{
	r->arena = NULL;
	record_reset_fields(r);
}

void record_clear(record *r)
{
	record_arena_reset(r->arena);
	record_reset_fields(r);
}

void record_free(record *r)
{
	record_arena_free(r->arena);
	r->arena = NULL;
	record_reset_fields(r);
}

/* ---- building ---- */

char *record_strdup(record *r, const char *s, size_t n)
{
	if (n == SIZE_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	return record_text_copy(r, s, n);
}

int record_set_table(record *r, const char *db, const char *schema, const char *table)
{
	r->checked = false; /* the caller's record now: record.h */
	const char *d = record_strdup(r, db, strlen(db));
	const char *s = record_strdup(r, schema, strlen(schema));
	const char *t = record_strdup(r, table, strlen(table));
	if (!d || !s || !t)
		return -1;
	r->db = d;
	r->schema = s;
	r->table = t;
	return 0;
}

int record_set_shape(record *r, size_t ncols, bool before, bool after)
{
	r->shape_id = 0; /* the shape is the caller's now */
	r->checked = false;
	if (ncols > RECORD_MAX_COLUMNS) {
		errno = EINVAL;
		return -1;
	}
	record_column *cols = NULL;
	record_value *b = NULL, *a = NULL;
	if (ncols) {
		cols = record_alloc(r, ncols * sizeof *cols, 8);
		if (!cols)
			return -1;
		memset(cols, 0, ncols * sizeof *cols);
	}
	if (before && ncols) {
		b = record_alloc(r, ncols * sizeof *b, 8);
		if (!b)
			return -1;
		memset(b, 0, ncols * sizeof *b);
	}
	if (after && ncols) {
		a = record_alloc(r, ncols * sizeof *a, 8);
		if (!a)
			return -1;
		memset(a, 0, ncols * sizeof *a);
	}
	r->ncols = ncols;
	r->cols = cols;
	if (r->arena)
		r->arena->borrowed = false;
	r->masks = NULL;
	r->has_before = before;
	r->has_after = after;
	r->before = b;
	r->after = a;
	r->nkeys = 0;
	r->keys = NULL;
	return 0;
}

int record_set_column(record *r, size_t i, const char *name, const char *type)
{
	r->shape_id = 0; /* the shape is the caller's now */
	r->checked = false;
	if (i >= r->ncols) {
		errno = EINVAL;
		return -1;
	}
	if (r->arena && r->arena->borrowed) {
		/* the cache's array: the record gets its own before it differs */
		record_column *cols = record_alloc(r, r->ncols * sizeof *cols, 8);
		if (!cols)
			return -1;
		memcpy(cols, r->cols, r->ncols * sizeof *cols);
		r->cols = cols;
		r->arena->borrowed = false;
	}
	const char *n = record_strdup(r, name, strlen(name));
	const char *t = record_strdup(r, type, strlen(type));
	if (!n || !t)
		return -1;
	r->cols[i].name = n;
	r->cols[i].type = t;
	return 0;
}

int record_set_column_mask(record *r, size_t i, record_mask m)
{
	r->shape_id = 0;
	r->checked = false;
	if (i >= r->ncols || (unsigned)m > RECORD_MASK_LAST) {
		errno = EINVAL;
		return -1;
	}
	if (!r->masks) {
		if (m == RECORD_MASK_NONE)
			return 0;
		if (!(r->masks = record_alloc(r, r->ncols, 1)))
			return -1;
		memset(r->masks, 0, r->ncols);
	}
	r->masks[i] = (unsigned char)m;
	return 0;
}

static const char *const mask_names[] = {NULL, "excluded", "fixed", "sha256"};

const char *record_mask_name(record_mask m)
{
	return (unsigned)m <= RECORD_MASK_LAST ? mask_names[m] : NULL;
}

record_mask record_mask_parse(const char *s, size_t n)
{
	for (unsigned m = 1; m <= RECORD_MASK_LAST; m++)
		if (strlen(mask_names[m]) == n && memcmp(mask_names[m], s, n) == 0)
			return (record_mask)m;
	return RECORD_MASK_NONE;
}

int record_drop_excluded(record *r)
{
	if (!r->masks)
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < r->ncols; i++)
		n += r->masks[i] != RECORD_MASK_EXCLUDED;
	if (n == r->ncols)
		return 0;
	/* New arrays in the arena: cols may be shared with the decoders'
	 * cache of shapes, and the key indexes move. */
	uint16_t *map = record_alloc(r, r->ncols * sizeof *map, 8);
	record_column *cols = record_alloc(r, (n ? n : 1) * sizeof *cols, 8);
	unsigned char *masks = record_alloc(r, n ? n : 1, 1);
	unsigned char *cls = r->cls ? record_alloc(r, n ? n : 1, 1) : NULL;
	uint16_t *keys = r->nkeys ? record_alloc(r, r->nkeys * sizeof *keys, 8) : NULL;
	record_value *before = r->has_before && r->before ? record_alloc(r, (n ? n : 1) * sizeof *before, 8) : NULL;
	record_value *after = r->has_after && r->after ? record_alloc(r, (n ? n : 1) * sizeof *after, 8) : NULL;
	if (!map || !cols || !masks || (r->cls && !cls) || (r->nkeys && !keys) || (r->has_before && r->before && !before) ||
	    (r->has_after && r->after && !after)) {
		errno = ENOMEM;
		return -1;
	}
	for (size_t i = 0, k = 0; i < r->ncols; i++) {
		if (r->masks[i] == RECORD_MASK_EXCLUDED) {
			map[i] = UINT16_MAX;
			continue;
		}
		map[i] = (uint16_t)k;
		cols[k] = r->cols[i];
		masks[k] = r->masks[i];
		if (cls)
			cls[k] = r->cls[i];
		if (before)
			before[k] = r->before[i];
		if (after)
			after[k] = r->after[i];
		k++;
	}
	for (size_t k = 0; k < r->nkeys; k++) {
		if (map[r->keys[k]] == UINT16_MAX) {
			errno = EINVAL;
			return -1;
		}
		keys[k] = map[r->keys[k]];
	}
	r->ncols = n;
	r->cols = cols;
	r->arena->borrowed = false; /* its arrays were allocated above */
	r->masks = masks;
	r->cls = cls;
	r->keys = keys;
	if (before)
		r->before = before;
	if (after)
		r->after = after;
	/* shape_id stays: every record of that shape loses the same columns. */
	return 0;
}

int record_set_keys(record *r, const uint16_t *keys, size_t nkeys)
{
	r->shape_id = 0; /* the shape is the caller's now */
	r->checked = false;
	if (nkeys > r->ncols) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < nkeys; i++)
		if (keys[i] >= r->ncols) {
			errno = EINVAL;
			return -1;
		}
	uint16_t *k = NULL;
	if (nkeys) {
		k = record_alloc(r, nkeys * sizeof *k, 8);
		if (!k)
			return -1;
		memcpy(k, keys, nkeys * sizeof *k);
	}
	r->keys = k;
	r->nkeys = nkeys;
	return 0;
}

int record_set_value(record *r, record_value *img, size_t i, value_kind kind,
		     const char *data, size_t len)
{
	r->checked = false; /* the caller's values now: record.h */
	if (!img || i >= r->ncols) {
		errno = EINVAL;
		return -1;
	}
	if (kind != VALUE_TEXT) {
		img[i].kind = kind;
		img[i].data = NULL;
		img[i].len = 0;
		return 0;
	}
	const char *p = record_strdup(r, data, len);
	if (!p)
		return -1;
	img[i].kind = VALUE_TEXT;
	img[i].data = p;
	img[i].len = len;
	return 0;
}

static const char *dup_or_null(record *dst, const char *s, bool *fail)
{
	if (!s)
		return NULL;
	const char *p = record_strdup(dst, s, strlen(s));
	if (!p)
		*fail = true;
	return p;
}

static int copy_image(record *dst, record_value *img, const record_value *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (record_set_value(dst, img, i, src[i].kind, src[i].data, src[i].len) < 0)
			return -1;
	return 0;
}

int record_copy(record *dst, const record *src)
{
	record_clear(dst);
	bool fail = false;
	dst->version = src->version;
	dst->op = src->op;
	dst->db = dup_or_null(dst, src->db, &fail);
	dst->schema = dup_or_null(dst, src->schema, &fail);
	dst->table = dup_or_null(dst, src->table, &fail);
	if (fail)
		return -1;
	if (record_set_shape(dst, src->ncols, src->has_before, src->has_after) < 0)
		return -1;
	for (size_t i = 0; i < src->ncols; i++) {
		dst->cols[i].name = dup_or_null(dst, src->cols[i].name, &fail);
		dst->cols[i].type = dup_or_null(dst, src->cols[i].type, &fail);
		if (src->masks && record_set_column_mask(dst, i, (record_mask)src->masks[i]) < 0)
			return -1;
	}
	if (fail)
		return -1;
	if (record_set_keys(dst, src->keys, src->nkeys) < 0)
		return -1;
	if (src->has_before && src->before && copy_image(dst, dst->before, src->before, src->ncols) < 0)
		return -1;
	if (src->has_after && src->after && copy_image(dst, dst->after, src->after, src->ncols) < 0)
		return -1;
	dst->lsn = src->lsn;
	dst->xid = src->xid;
	dst->commit_us = src->commit_us;
	dst->seq = src->seq;
	dst->last = src->last;
	memcpy(dst->stream, src->stream, sizeof dst->stream);
	dst->offset = src->offset;
	return 0;
}

int record_decode(record *r, const void *data, size_t len, char *err, size_t errlen)
{
	const unsigned char *p = data;
	size_t i = 0;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	if (i < len && p[i] == '{')
		return record_decode_json(r, data, len, err, errlen);
	if (len && ((p[0] >= 0x80 && p[0] <= 0x8f) || p[0] == 0xde || p[0] == 0xdf))
		return record_decode_msgpack(r, data, len, err, errlen);
	record_clear(r);
	if (i == len)
		return record_errf(err, errlen, "empty record");
	return record_errf(err, errlen, "neither a JSON object nor a msgpack map (first byte 0x%02x)", p[i]);
}

int record_column_index(const record *r, const char *name)
{
	for (size_t i = 0; i < r->ncols; i++)
		if (r->cols[i].name && strcmp(r->cols[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* ---- column map for the decoders ---- */

static size_t name_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return (size_t)(h ^ (h >> 29));
}

/* Small tables are searched in order; the hash pays from a few dozen columns. */
#define COLMAP_LINEAR 16

/* The length of name when JSON writes every byte of it as it is, else 0. */
static uint16_t plain_name_len(const char *name)
{
	size_t n = 0;
	for (; name[n]; n++) {
		unsigned char c = (unsigned char)name[n];
		if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || n >= RECORD_NAME_MAX)
			return 0;
	}
	return (uint16_t)n;
}

int record_colmap_build(record *r, record_colmap *m, char *err, size_t errlen)
{
	m->slots = NULL;
	m->mask = 0;
	m->hint = 0;
	m->plain_len = NULL;
	for (size_t i = 0; i < r->ncols; i++)
		if (!r->cols[i].name || !r->cols[i].name[0])
			return record_errf(err, errlen, "column %zu has an empty name", i + 1);
	if (r->ncols) {
		m->plain_len = record_alloc(r, r->ncols * sizeof *m->plain_len, 8);
		if (!m->plain_len)
			return record_errf(err, errlen, "out of memory");
		for (size_t i = 0; i < r->ncols; i++)
			m->plain_len[i] = plain_name_len(r->cols[i].name);
	}
	if (r->ncols <= COLMAP_LINEAR) {
		for (size_t i = 0; i < r->ncols; i++)
			for (size_t j = 0; j < i; j++)
				if (strcmp(r->cols[i].name, r->cols[j].name) == 0)
					return record_errf(err, errlen, "column \"%s\" appears twice in cols",
							   r->cols[i].name);
		return 0;
	}
	size_t size = 64;
	while (size < r->ncols * 2)
		size *= 2;
	m->slots = record_alloc(r, size * sizeof *m->slots, 8);
	if (!m->slots)
		return record_errf(err, errlen, "out of memory");
	memset(m->slots, 0, size * sizeof *m->slots);
	m->mask = size - 1;
	for (size_t i = 0; i < r->ncols; i++) {
		const char *name = r->cols[i].name;
		size_t len = strlen(name);
		size_t h = name_hash(name, len) & m->mask;
		while (m->slots[h]) {
			if (strcmp(r->cols[m->slots[h] - 1].name, name) == 0)
				return record_errf(err, errlen, "column \"%s\" appears twice in cols", name);
			h = (h + 1) & m->mask;
		}
		m->slots[h] = (uint16_t)(i + 1);
	}
	return 0;
}

static bool name_eq(const char *colname, const char *name, size_t len)
{
	return strncmp(colname, name, len) == 0 && colname[len] == '\0';
}

int record_colmap_find(const record *r, record_colmap *m, const char *name, size_t len)
{
	if (m->hint < r->ncols && name_eq(r->cols[m->hint].name, name, len))
		return (int)m->hint++;
	if (!m->slots) {
		for (size_t i = 0; i < r->ncols; i++)
			if (name_eq(r->cols[i].name, name, len)) {
				m->hint = i + 1;
				return (int)i;
			}
		return -1;
	}
	size_t h = name_hash(name, len) & m->mask;
	while (m->slots[h]) {
		size_t i = m->slots[h] - 1u;
		if (name_eq(r->cols[i].name, name, len)) {
			m->hint = i + 1;
			return (int)i;
		}
		h = (h + 1) & m->mask;
	}
	return -1;
}

/* ---- checks shared by the decoders ---- */

const char *record_op_name(char op)
{
	switch (op) {
	case RECORD_OP_READ: return "r";
	case RECORD_OP_INSERT: return "c";
	case RECORD_OP_UPDATE: return "u";
	case RECORD_OP_DELETE: return "d";
	case RECORD_OP_TRUNCATE: return "t";
	}
	return NULL;
}

/* The rules of masked columns: an excluded column has no value in any
 * image, and no key column is excluded or masked with a fixed text. Out of
 * line: inlined, it cost record_check_decoded's usual case 13 instructions. */
__attribute__((noinline, cold)) static int check_masks(const record *r, char *err, size_t errlen)
{
	for (size_t k = 0; k < r->nkeys; k++) {
		unsigned m = r->masks[r->keys[k]];
		if (m == RECORD_MASK_EXCLUDED || m == RECORD_MASK_FIXED)
			return record_errf(err, errlen, "key column \"%s\" is %s", r->cols[r->keys[k]].name,
					   record_mask_name((record_mask)m));
	}
	long i = record_excluded_with_value(r);
	if (i >= 0)
		return record_errf(err, errlen, "column \"%s\" is excluded but has a value", r->cols[i].name);
	return 0;
}

long record_excluded_with_value(const record *r)
{
	for (size_t i = 0; r->masks && i < r->ncols; i++)
		if (r->masks[i] == RECORD_MASK_EXCLUDED &&
		    ((r->has_before && r->before && r->before[i].kind != VALUE_ABSENT) ||
		     (r->has_after && r->after && r->after[i].kind != VALUE_ABSENT)))
			return (long)i;
	return -1;
}

int record_check_decoded(const record *r, char *err, size_t errlen)
{
	switch (r->op) {
	case RECORD_OP_READ:
	case RECORD_OP_INSERT:
		if (!r->has_after || r->has_before)
			return record_errf(err, errlen, "op \"%c\" needs \"after\" and no \"before\"", r->op);
		break;
	case RECORD_OP_UPDATE:
		if (!r->has_after)
			return record_errf(err, errlen, "op \"u\" needs \"after\"");
		break;
	case RECORD_OP_DELETE:
		if (!r->has_before || r->has_after)
			return record_errf(err, errlen, "op \"d\" needs \"before\" and no \"after\"");
		break;
	case RECORD_OP_TRUNCATE:
		if (r->has_before || r->has_after)
			return record_errf(err, errlen, "op \"t\" has no \"before\" or \"after\"");
		break;
	default:
		return record_errf(err, errlen, "missing \"op\"");
	}
	if (r->has_before)
		for (size_t i = 0; i < r->ncols; i++)
			if (r->before[i].kind == VALUE_UNCHANGED)
				return record_errf(err, errlen, "\"before\" cannot hold unchanged columns");
	if (r->has_after && r->op != RECORD_OP_UPDATE)
		for (size_t i = 0; i < r->ncols; i++)
			if (r->after[i].kind == VALUE_UNCHANGED)
				return record_errf(err, errlen, "\"unchanged\" is only for op \"u\"");
	return r->masks ? check_masks(r, err, errlen) : 0;
}

/* ---- value texts ---- */

size_t utf8_valid_prefix(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		if (c < 0x80) {
			/* most text is ASCII: eight bytes at a time */
			i++;
			while (n - i >= 8) {
				uint64_t w;
				memcpy(&w, s + i, 8);
				if (w & 0x8080808080808080ull)
					break;
				i += 8;
			}
			continue;
		}
		size_t need;
		uint32_t cp;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return i;
		}
		if (n - i <= need)
			return i;
		for (size_t k = 1; k <= need; k++) {
			unsigned char d = s[i + k];
			if ((d & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (d & 0x3f);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return i;
		i += need + 1;
	}
	return n;
}

bool record_int_text_valid(const char *s, size_t n, int64_t *v)
{
	size_t i = 0;
	bool neg = false;
	if (n && s[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i == n || (s[i] == '0' && n - i > 1))
		return false;
	uint64_t acc = 0;
	uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (acc > (lim - d) / 10)
			return false;
		acc = acc * 10 + d;
	}
	if (v)
		*v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return true;
}

/* Hex digit values + 1 (0: not a hex digit), so bytea of megabytes is
 * checked and converted without a branch per byte. */
static const unsigned char hexval1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
	['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

int record_hex_val(unsigned char c)
{
	return (int)hexval1[c] - 1;
}

bool record_bytea_text_valid(const char *s, size_t n)
{
	if (n < 2 || s[0] != '\\' || s[1] != 'x' || (n & 1))
		return false;
	unsigned char ok = 1;
	for (size_t i = 2; i < n; i++)
		ok &= hexval1[(unsigned char)s[i]] != 0;
	return ok;
}

/* ---- helpers ---- */

/* Two digits of v (0..99). */
static void two(char *o, unsigned v)
{
	o[0] = (char)('0' + v / 10);
	o[1] = (char)('0' + v % 10);
}

size_t record_fmt_ts(char *o, int64_t us)
{
	int64_t days = us / 86400000000LL;
	int64_t rem = us % 86400000000LL;
	if (rem < 0) {
		rem += 86400000000LL;
		days--;
	}
	int64_t y;
	unsigned m, d;
	civil_date(days, &y, &m, &d);
	unsigned secs = (unsigned)(rem / 1000000), frac = (unsigned)(rem % 1000000);
	if (y < 0 || y > 9999) {
		/* years printf pads differently: rare enough for snprintf */
		int n = snprintf(o, 64, "%04lld-%02u-%02uT%02u:%02u:%02u.%06uZ", (long long)y, m, d,
				 secs / 3600, secs / 60 % 60, secs % 60, frac);
		return n < 0 ? 0 : (size_t)n;
	}
	unsigned yy = (unsigned)y;
	two(o, yy / 100);
	two(o + 2, yy % 100);
	o[4] = '-';
	two(o + 5, m);
	o[7] = '-';
	two(o + 8, d);
	o[10] = 'T';
	two(o + 11, secs / 3600);
	o[13] = ':';
	two(o + 14, secs / 60 % 60);
	o[16] = ':';
	two(o + 17, secs % 60);
	o[19] = '.';
	two(o + 20, frac / 10000);
	two(o + 22, frac / 100 % 100);
	two(o + 24, frac % 100);
	o[26] = 'Z';
	return 27;
}

void record_ts_format(int64_t us, char *out, size_t len)
{
	char tmp[64];
	size_t n = record_fmt_ts(tmp, us);
	if (!len)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(out, tmp, n);
	out[n] = '\0';
}

size_t record_fmt_u64(char *o, uint64_t v)
{
	/* two digits a step from the back, once the length is known: the
	 * decoders write every integer value this way */
	static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
				    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
				    "8081828384858687888990919293949596979899";
	size_t n = 1;
	for (uint64_t t = v; t >= 10; t /= 10)
		n++;
	char *e = o + n;
	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;
		v /= 100;
		*--e = pairs[d + 1];
		*--e = pairs[d];
	}
	if (v >= 10) {
		*--e = pairs[v * 2 + 1];
		*--e = pairs[v * 2];
	} else {
		*--e = (char)('0' + v);
	}
	return n;
}

/* Uppercase hex without leading zeros, as %X. */
static size_t fmt_hex32(char *o, uint32_t v)
{
	static const char hex[] = "0123456789ABCDEF";
	char tmp[8];
	size_t n = 0;
	do {
		tmp[sizeof tmp - ++n] = hex[v & 15];
		v >>= 4;
	} while (v);
	memcpy(o, tmp + sizeof tmp - n, n);
	return n;
}

size_t record_fmt_lsn(char *o, uint64_t lsn)
{
	size_t n = fmt_hex32(o, (uint32_t)(lsn >> 32));
	o[n++] = '/';
	return n + fmt_hex32(o + n, (uint32_t)lsn);
}

size_t record_fmt_offset(char *o, pos_offset off)
{
	if (!off.lsn)
		return record_fmt_u64(o, off.major);
	size_t n = record_fmt_lsn(o, off.major);
	o[n++] = ':';
	return n + record_fmt_u64(o + n, off.minor);
}

static bool digits(const char *s, int n, int *v)
{
	int acc = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		acc = acc * 10 + (s[i] - '0');
	}
	*v = acc;
	return true;
}

bool record_ts_writable(int64_t us)
{
	int64_t lo = civil_days(0, 1, 1) * 86400000000LL, hi = civil_days(10000, 1, 1) * 86400000000LL;
	return us >= lo && us < hi;
}

int record_ts_parse_n(const char *s, size_t n, int64_t *us)
{
	int y, mo, d, h, mi, sec;
	if (n < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) || s[10] != 'T' || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return -1;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 59)
		return -1;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo == 2 && d == 29 && !leap)
		return -1;
	const char *p = s + 19, *e = s + n;
	int frac = 0, nfrac = 0;
	if (*p == '.') {
		p++;
		while (p < e && *p >= '0' && *p <= '9') {
			if (++nfrac > 6)
				return -1;
			frac = frac * 10 + (*p++ - '0');
		}
		if (nfrac == 0)
			return -1;
		for (int i = nfrac; i < 6; i++)
			frac *= 10;
	}
	if (e - p != 1 || *p != 'Z')
		return -1;
	int64_t days = civil_days(y, (unsigned)mo, (unsigned)d);
	*us = ((days * 86400 + h * 3600 + mi * 60 + sec) * 1000000LL) + frac;
	return 0;
}

int record_ts_parse(const char *s, int64_t *us)
{
	return record_ts_parse_n(s, strlen(s), us);
}

value_class record_type_class(const char *type)
{
	if (!type)
		return VALUE_CLASS_STRING;
	switch (type[0]) {
	case 'b':
		if (strcmp(type, "bigint") == 0)
			return VALUE_CLASS_INTEGER;
		if (strcmp(type, "boolean") == 0)
			return VALUE_CLASS_BOOLEAN;
		if (strcmp(type, "bytea") == 0)
			return VALUE_CLASS_BYTEA;
		break;
	case 'i':
		if (strcmp(type, "integer") == 0)
			return VALUE_CLASS_INTEGER;
		break;
	case 's':
		if (strcmp(type, "smallint") == 0)
			return VALUE_CLASS_INTEGER;
		break;
	}
	return VALUE_CLASS_STRING;
}

int record_format_parse(const char *s, record_format *f)
{
	if (strcmp(s, "json") == 0) {
		*f = RECORD_FORMAT_JSON;
		return 0;
	}
	if (strcmp(s, "msgpack") == 0) {
		*f = RECORD_FORMAT_MSGPACK;
		return 0;
	}
	return -1;
}

/* ---- the encoder's shape cache ---- */

record_encoder *record_encoder_new(void)
{
	record_encoder *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	buf_init(&e->src, 0);
	buf_init(&e->head, 0);
	buf_init(&e->names, 0);
	return e;
}

void record_encoder_free(record_encoder *e)
{
	if (!e)
		return;
	free(e->lens);
	free(e->name_off);
	free(e->cls);
	free(e->masks);
	buf_free(&e->src);
	buf_free(&e->head);
	buf_free(&e->names);
	free(e);
}

size_t record_encoder_ts(record_encoder *e, char *o, int64_t us)
{
	if (!e)
		return record_fmt_ts(o, us);
	if (!e->ts_valid || e->ts_us != us) {
		e->ts_len = record_fmt_ts(e->ts_text, us);
		e->ts_us = us;
		e->ts_valid = true;
	}
	memcpy(o, e->ts_text, e->ts_len);
	return e->ts_len;
}

static bool same_str(const char **c, const size_t **len, const char *s)
{
	if (!s || strcmp(s, *c) != 0)
		return false;
	*c += **len + 1;
	(*len)++;
	return true;
}

bool record_encoder_match(const record_encoder *e, const record *r, record_format f)
{
	if (!e || !e->valid || e->fmt != f || e->ncols != r->ncols || e->nkeys != r->nkeys)
		return false;
	const char *c = e->src.data;
	const size_t *len = e->lens;
	if (!same_str(&c, &len, r->db) || !same_str(&c, &len, r->schema) ||
	    !same_str(&c, &len, r->table))
		return false;
	for (size_t i = 0; i < r->ncols; i++)
		if (!same_str(&c, &len, r->cols[i].name) || !same_str(&c, &len, r->cols[i].type))
			return false;
	if ((r->masks != NULL) != e->masked || (r->masks && memcmp(r->masks, e->masks, r->ncols) != 0))
		return false;
	return r->nkeys == 0 || memcmp(c, r->keys, r->nkeys * sizeof *r->keys) == 0;
}

static int load_str(record_encoder *e, size_t k, const char *s)
{
	size_t n = strlen(s);
	e->lens[k] = n;
	return buf_append(&e->src, s, n + 1);
}

int record_encoder_load(record_encoder *e, const record *r, record_format f)
{
	e->valid = false;
	buf_reset(&e->src);
	buf_reset(&e->head);
	buf_reset(&e->names);
	if (r->ncols + 1 > e->cap) {
		size_t cap = r->ncols + 1;
		size_t *lens = realloc(e->lens, (3 + 2 * cap) * sizeof *lens);
		if (lens)
			e->lens = lens;
		uint32_t *off = realloc(e->name_off, cap * sizeof *off);
		if (off)
			e->name_off = off;
		unsigned char *cls = realloc(e->cls, cap);
		if (cls)
			e->cls = cls;
		unsigned char *masks = realloc(e->masks, cap);
		if (masks)
			e->masks = masks;
		if (!lens || !off || !cls || !masks)
			return -1;
		e->cap = cap;
	}
	if (load_str(e, 0, r->db) < 0 || load_str(e, 1, r->schema) < 0 ||
	    load_str(e, 2, r->table) < 0)
		return -1;
	for (size_t i = 0; i < r->ncols; i++) {
		if (load_str(e, 3 + 2 * i, r->cols[i].name) < 0 ||
		    load_str(e, 4 + 2 * i, r->cols[i].type) < 0)
			return -1;
		e->cls[i] = (unsigned char)record_type_class(r->cols[i].type);
	}
	e->masked = r->masks != NULL;
	if (r->masks)
		memcpy(e->masks, r->masks, r->ncols);
	if (buf_append(&e->src, r->keys, r->nkeys * sizeof *r->keys) < 0)
		return -1;
	e->fmt = f;
	e->ncols = r->ncols;
	e->nkeys = r->nkeys;
	return 0;
}

/* ---- the decoders' field table ---- */

static const struct {
	const char *name;
	size_t len;
	unsigned flag;
} record_fields[] = {
	{"v", 1, F_V}, {"op", 2, F_OP}, {"db", 2, F_DB}, {"schema", 6, F_SCHEMA},
	{"table", 5, F_TABLE}, {"cols", 4, F_COLS}, {"key", 3, F_KEY}, {"before", 6, F_BEFORE},
	{"after", 5, F_AFTER}, {"unchanged", 9, F_UNCHANGED}, {"src", 3, F_SRC}, {"pos", 3, F_POS},
};

static bool word_is(const char *key, const char *w, size_t n)
{
	return memcmp(key, w, n) == 0;
}

unsigned record_field_flag(const char *key, size_t klen)
{
	/* Runs for every field of every record: by length, then at most three
	 * names to compare (the same names as record_fields above). */
	switch (klen) {
	case 1: return key[0] == 'v' ? F_V : 0;
	case 2: return word_is(key, "op", 2) ? F_OP : word_is(key, "db", 2) ? F_DB : 0;
	case 3:
		return word_is(key, "key", 3) ? F_KEY : word_is(key, "src", 3) ? F_SRC
		     : word_is(key, "pos", 3) ? F_POS : 0;
	case 4: return word_is(key, "cols", 4) ? F_COLS : 0;
	case 5: return word_is(key, "table", 5) ? F_TABLE : word_is(key, "after", 5) ? F_AFTER : 0;
	case 6: return word_is(key, "schema", 6) ? F_SCHEMA : word_is(key, "before", 6) ? F_BEFORE : 0;
	case 9: return word_is(key, "unchanged", 9) ? F_UNCHANGED : 0;
	default: return 0;
	}
}

const char *record_field_missing(unsigned seen)
{
	static const unsigned required[] = {F_V, F_OP, F_DB, F_SCHEMA, F_TABLE, F_COLS, F_KEY, F_SRC, F_POS};
	const unsigned all = F_V | F_OP | F_DB | F_SCHEMA | F_TABLE | F_COLS | F_KEY | F_SRC | F_POS;
	if ((seen & all) == all)
		return NULL; /* the usual case, in one test */
	for (size_t i = 0; i < sizeof required / sizeof *required; i++)
		if (!(seen & required[i]))
			for (size_t k = 0; k < sizeof record_fields / sizeof *record_fields; k++)
				if (record_fields[k].flag == required[i])
					return record_fields[k].name;
	return NULL;
}
