/* record_priv.h — what the record modules (record.c, record_json.c,
 * record_msgpack.c, record_io.c) share and programs do not use: the arena
 * allocator, validation of names and value texts, and the column lookup the
 * decoders use for before/after keys. */
#ifndef DBREPL_RECORD_PRIV_H
#define DBREPL_RECORD_PRIV_H

#include "arena.h"
#include "record.h"

#include <stdarg.h>
#include <string.h>

typedef struct record_shape_cache record_shape_cache;

/* What the decoders remember of the position texts of the records they
 * read last: the records of a transaction (all of a snapshot's) carry the
 * same LSN, time and stream, and offsets that differ only after their
 * ':'. A text is kept only when JSON writes every byte of it as it is, so
 * that the very bytes "text" in a record are read as that text, and then
 * mean what it meant (record_json.c); a msgpack str of those bytes is read
 * as that text too, so either decoder may use what the other kept. */
typedef struct record_memo_text {
	size_t len; /* 0: nothing kept */
	char text[POS_STREAM_MAX + 1];
	uint64_t u; /* what it meant: an LSN */
	int64_t i;  /* or a time */
} record_memo_text;
typedef struct record_memo {
	record_memo_text lsn;    /* src.lsn and its LSN (u) */
	record_memo_text ts;     /* src.ts and its µs (i) */
	record_memo_text stream; /* pos.stream, a valid one */
	record_memo_text offset; /* pos.offset up to its ':', and its major (u) */
} record_memo;

/* The record's storage: an arena (arena.h) and, beside it, what the
 * decoders remember across records (the cache of table shapes, the
 * position texts), which survives record_clear. */
struct record_arena {
	arena mem;
	record_shape_cache *shapes; /* the decoders' (record_cache.c); kept by record_clear */
	record_memo memo;           /* the decoders'; kept by record_clear */
	/* The record's cols, cls, keys and names are an entry's of the cache
	 * (record_shape_apply), not the arena's: record_set_column copies
	 * cols before it changes one. record_clear and the builders that
	 * make new arrays end it. */
	bool borrowed;
};

/* The bytes a JSON string holds as they are: ASCII from 0x20 except '"'
 * (0x22) and '\\' (0x5c). 1 for those, 0 for the others. */
extern const unsigned char record_plain_byte[256];

/* The first byte in [p, e) that is not plain (or e). Most bytes of keys
 * and values are plain: eight at a time where the machine is
 * little-endian. A byte is flagged in m when it is below 0x20 (x - 0x20
 * borrows), '"' or '\\' (x ^ c is 0, so x ^ c - 1 borrows) or not ASCII
 * (x has its high bit). A borrow also flags the bytes above a flagged
 * one, and x ^ c - 1 flags non-ASCII bytes that are flagged anyway, so
 * the lowest flagged byte is exactly the first one that is not plain;
 * on a little-endian machine the lowest byte comes first. */
static inline const char *record_skip_plain(const char *p, const char *e)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	while (e - p >= 8) {
		uint64_t x;
		memcpy(&x, p, 8);
		uint64_t m = ((x - ones * 0x20) | ((x ^ (ones * '"')) - ones) |
			      ((x ^ (ones * '\\')) - ones) | x) & high;
		if (m)
			return p + (size_t)__builtin_ctzll(m) / 8;
		p += 8;
	}
#endif
	while (p < e && record_plain_byte[(unsigned char)*p])
		p++;
	return p;
}

/* Where the JSON string whose bytes begin at p (after its opening quote)
 * ends: 0 with *q at its closing quote and *plain when it holds no escape
 * and no byte beyond ASCII; 1 when e comes first (*q = e), 2 at a control
 * character (*q at it). Escapes are stepped over, not checked. */
static inline int record_json_string_end(const char *p, const char *e, const char **q, bool *plain)
{
	*plain = true;
	for (;;) {
		p = record_skip_plain(p, e);
		if (p >= e) {
			*q = e;
			return 1;
		}
		unsigned char c = (unsigned char)*p;
		if (c == '"') {
			*q = p;
			return 0;
		}
		if (c == '\\') {
			*plain = false;
			if (e - p <= 2) {
				*q = e;
				return 1;
			}
			p += 2;
		} else if (c < 0x20) {
			*q = p;
			return 2;
		} else {
			/* c >= 0x80: the whole run of non-ASCII bytes, checked later */
			*plain = false;
			while (p < e && (unsigned char)*p >= 0x80)
				p++;
		}
	}
}

/* Unescapes a JSON string's bytes raw[0..n) (between its quotes, as
 * they stand) into dst (room for n + 1, NUL-terminated): every escape and
 * the UTF-8 checked, U+0000 refused. 0, or -1 with a message in err. */
int record_json_unescape(const char *raw, size_t n, char *dst, size_t *outlen, char *err, size_t errlen);

/* Appends s[0..n) as a JSON string, escaped as the record encoder escapes
 * it; -1 with errno EINVAL on invalid UTF-8 (or when the buf is full). */
int record_json_put_str(buf *out, const char *s, size_t n);

/* The memo that goes with r's storage, or NULL when out of memory. */
record_memo *record_memos(record *r);
/* Keeps t[0..n) (a text a decoder read the general way) in m when JSON
 * writes every byte of it as it is, else forgets what m held; the caller
 * sets what it means. Whether it kept it. Inline: it runs whenever a
 * position text changes, for most records. */
static inline bool record_memo_keep(record_memo_text *m, const char *t, size_t n)
{
	m->len = 0;
	if (n == 0 || n >= sizeof m->text)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!record_plain_byte[(unsigned char)t[i]])
			return false;
	memcpy(m->text, t, n);
	m->len = n;
	return true;
}

/* record_alloc of a record without storage yet. */
void *record_alloc_first(record *r, size_t n, size_t align);

/* memcmp(a, b, n) == 0 for the short member names and memo texts of
 * every record, JSON and msgpack: inline, where a call to memcmp cost a
 * twentieth of decoding a snapshot row (perf, mssql-apply on 1M rows);
 * two loads of each side that overlap, where a loop over the bytes took
 * 3% of mssql-apply's instructions (callgrind), this 2%. Only bytes of
 * [a, a + n) and [b, b + n) are read. */
static inline bool record_bytes_eq(const char *a, const char *b, size_t n)
{
	if (n >= 8) {
		if (n > 16)
			return memcmp(a, b, n) == 0;
		uint64_t a0, a1, b0, b1;
		memcpy(&a0, a, 8);
		memcpy(&b0, b, 8);
		memcpy(&a1, a + n - 8, 8);
		memcpy(&b1, b + n - 8, 8);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	if (n >= 4) {
		uint32_t a0, a1, b0, b1;
		memcpy(&a0, a, 4);
		memcpy(&b0, b, 4);
		memcpy(&a1, a + n - 4, 4);
		memcpy(&b1, b + n - 4, 4);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	/* 1 to 3 bytes: the first, the middle and the last are all of them */
	return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

/* Whether the member name k[0..klen) is the word w (both decoders). w is
 * a literal at every call: the compiler folds strlen and turns the memcmp
 * into a few compares (callgrind: fewer instructions than record_bytes_eq
 * here, JSON and msgpack alike). */
static inline bool record_key_is(const char *k, size_t klen, const char *w)
{
	size_t n = strlen(w);
	return n == klen && memcmp(k, w, n) == 0;
}

/* Storage from the record's arena; NULL on ENOMEM. align is 1 or 8.
 * Inline: the decoders take several per field. */
static inline void *record_alloc(record *r, size_t n, size_t align)
{
	if (!r->arena)
		return record_alloc_first(r, n, align);
	return arena_alloc(&r->arena->mem, n, align);
}

/* s[0..n) and a NUL in the record's arena; NULL on ENOMEM. record_strdup
 * without its overflow check (n is a length read from the record), inline
 * for the decoders, which copy several texts per record. */
static inline char *record_text_copy(record *r, const void *s, size_t n)
{
	char *d = record_alloc(r, n + 1, 1);
	if (!d)
		return NULL;
	if (n)
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* record_ts_parse of the n bytes at s (not NUL-terminated; a NUL byte
 * among them makes them invalid, as it ends the string for the other). */
int record_ts_parse_n(const char *s, size_t n, int64_t *us);
/* Whether us (µs since 1970) is a time the record format can write: years
 * 0000 to 9999, as record_ts_parse reads them back. */
bool record_ts_writable(int64_t us);

/* Writes a message into err (when errlen > 0); returns -1. */
int record_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int record_verrf(char *err, size_t errlen, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

/* Length of the valid UTF-8 prefix of s[0..n) (n when all of it is valid). */
size_t utf8_valid_prefix(const unsigned char *s, size_t n);
/* The first column excluded by a producer (RECORD_MASK_EXCLUDED) whose
 * slot in an image is not ABSENT, or -1: the decoders refuse such a record
 * and the encoders never write one (an excluded value must not leave). */
long record_excluded_with_value(const record *r);

/* Integer text as JSON prints it ("-?(0|[1-9][0-9]*)") that fits int64. */
bool record_int_text_valid(const char *s, size_t n, int64_t *v);
/* bytea text "\x" + hex digits (even count). */
bool record_bytea_text_valid(const char *s, size_t n);
int record_hex_val(unsigned char c);

/* Column lookup by name for the decoders: a hash over the record's
 * columns, kept in the arena; built once per record after "cols". */
typedef struct record_colmap {
	uint16_t *slots; /* index+1, 0 = empty */
	size_t mask;
	size_t hint; /* the next column in order: most images list columns in cols order */
	/* ncols: the length of each column's name when every byte of it is
	 * one JSON writes as it is (ASCII from 0x20, not '"' or '\\'), else
	 * 0: the JSON decoder then knows the key of the hinted column by
	 * its bytes, without scanning it */
	uint16_t *plain_len;
} record_colmap;
/* Fails (-1, err) on duplicate or empty column names. */
int record_colmap_build(record *r, record_colmap *m, char *err, size_t errlen);
int record_colmap_find(const record *r, record_colmap *m, const char *name, size_t len);

/* ---- the decoders' cache of table shapes (record_cache.c) ---- */

/* A run of consecutive shape fields (db, schema, table, cols, key: what
 * only the table decides) as a record carried it, and what it decoded to. */
typedef struct record_shape {
	unsigned flags;   /* F_* of the fields in the run; always F_COLS */
	size_t len;       /* bytes of the run: from its first field's key to
			   * the end of its last field's value */
	uint32_t members; /* fields in the run */
	/* the run held an item the decoder skipped unread (an unknown key
	 * of a column): how deep it nests was not looked at, which the
	 * msgpack reader must know (record_decode_msgpack_front) */
	bool skipped;
} record_shape;
/* The cache that goes with r's storage; created when create is set (NULL
 * when there is none or no memory). record.c owns the link. */
record_shape_cache *record_shapes(record *r, bool create);
record_shape_cache *record_shape_cache_new(void);
void record_shape_cache_free(record_shape_cache *c);
/* A remembered run whose bytes begin p[0..avail), or NULL. */
const record_shape *record_shape_find(record *r, const void *p, size_t avail);
/* record_shape_find in two halves: which run it finds, leaving the cache
 * as it was, and the trace the find leaves on it (what it keeps longest,
 * what it tries first), so that a decode may use the run at once and
 * leave the trace only if it goes on to keep what it read. */
const record_shape *record_shape_peek(record *r, const void *p, size_t avail);
void record_shape_touch(record *r, const record_shape *s);
/* Sets r's fields and the decoder's column map as decoding the run did,
 * in r's arena. 0, or -1 when out of memory. */
int record_shape_apply(record *r, const record_shape *s, record_colmap *map);
/* Remembers the run p[0..len) holding the fields flags (members of them),
 * just decoded into r and map; the key list, if in the run, must have been
 * read after "cols"; skipped as in record_shape. Does nothing for runs too
 * short or too long to pay. */
void record_shape_save(record *r, const void *p, size_t len, unsigned flags, uint32_t members,
		       bool skipped, const record_colmap *map);

/* The top-level fields of a record, as the decoders track them: one bit
 * each, so a decoder can tell duplicates and missing fields apart. */
enum {
	F_V = 1 << 0, F_OP = 1 << 1, F_DB = 1 << 2, F_SCHEMA = 1 << 3, F_TABLE = 1 << 4,
	F_COLS = 1 << 5, F_KEY = 1 << 6, F_BEFORE = 1 << 7, F_AFTER = 1 << 8,
	F_UNCHANGED = 1 << 9, F_SRC = 1 << 10, F_POS = 1 << 11,
	/* the fields only the table decides (record_cache.c) */
	SHAPE_FIELDS = F_DB | F_SCHEMA | F_TABLE | F_COLS | F_KEY,
};
/* The bit of a field name, or 0 for a field this version does not know. */
unsigned record_field_flag(const char *key, size_t klen);

/* The fields in the order our encoders write them, which the decoders
 * expect (each with its own table of the keys' bytes, in this order):
 * FK_NONE when none is expected. */
enum { FK_V, FK_OP, FK_DB, FK_SCHEMA, FK_TABLE, FK_COLS, FK_KEY, FK_BEFORE, FK_AFTER, FK_UNCHANGED,
       FK_SRC, FK_POS, FK_NONE };
/* The bit of each FK_ field (0 for FK_NONE). */
extern const unsigned record_field_order[FK_NONE + 1];
/* The field expected after the field last (a bit, 0 before the first) in
 * a record of op. */
static inline int record_field_next(unsigned last, char op)
{
	switch (last) {
	case 0: return FK_V;
	case F_V: return FK_OP;
	case F_OP: return FK_DB;
	case F_DB: return FK_SCHEMA;
	case F_SCHEMA: return FK_TABLE;
	case F_TABLE: return FK_COLS;
	case F_COLS: return FK_KEY;
	/* an update has "before" only when its key changed */
	case F_KEY: return op == RECORD_OP_DELETE ? FK_BEFORE : op == RECORD_OP_TRUNCATE ? FK_SRC : FK_AFTER;
	case F_BEFORE: return op == RECORD_OP_DELETE ? FK_SRC : FK_AFTER;
	/* "unchanged" is rare */
	case F_AFTER: return FK_SRC;
	case F_UNCHANGED: return FK_SRC;
	case F_SRC: return FK_POS;
	default: return FK_NONE;
	}
}
/* The first required field missing from seen, or NULL when none is. */
const char *record_field_missing(unsigned seen);

/* record_decode_json, where the record is the ordinal-th of its stream
 * (the reader's line number): an event of another dialect takes it as its
 * offset (record_debezium.h). 0, -1, or DBZ_NOT_A_CHANGE for an event of
 * another dialect that is no change of rows (skipped by the reader). */
int record_decode_json_at(record *r, const void *data, size_t len, uint64_t ordinal, char *err, size_t errlen);

/* Checks what every decoded record must satisfy (op vs images, keys);
 * -1 with err. */
int record_check_decoded(const record *r, char *err, size_t errlen);

/* Producers' records are checked before encoding (names set and within
 * limits, keys in range); -1 with errno EINVAL. */
int record_check_encodable(const record *r);
/* The slot a key column's value comes from (after, or before for 'd'). */
const record_value *record_key_value(const record *r, size_t col);
/* The msgpack encoders (record_msgpack.c); record_encode() dispatches. */
int record_encode_msgpack_impl(record_encoder *e, const record *r, buf *out);
int record_encode_key_msgpack_impl(const record *r, buf *out);

/* The msgpack cursor (record_msgpack.c), shared with the stream reader,
 * which must find where one record ends before decoding it. */
typedef enum mp_type {
	MP_NIL, MP_BOOL, MP_UINT, MP_INT, MP_FLOAT, MP_STR, MP_BIN, MP_ARRAY, MP_MAP, MP_EXT,
} mp_type;
typedef struct mp_item {
	mp_type type;
	uint64_t u;   /* MP_UINT, MP_BOOL (0/1) */
	int64_t i;    /* MP_INT (always negative) */
	uint64_t len; /* STR/BIN/EXT/FLOAT: payload bytes; ARRAY/MAP: elements/pairs */
	size_t hlen;  /* header bytes */
	const unsigned char *data; /* payload */
} mp_item;
/* 1 with *it filled, 0 when avail is too short for the header, -1 on 0xc1. */
int mp_head(const unsigned char *p, size_t avail, mp_item *it);

/* The stream reader's way to skip measuring most records: decodes the
 * record at the front of data[0..avail) (avail may run past its end) into
 * r. 1 with *len its length when the reader may take that as the record it
 * would have measured (mp_scan_step) and decoded (record_decode_msgpack of
 * those len bytes): the decode succeeded, skipped nothing unread (so the
 * record nests no deeper than the fields do) and len is at most
 * RECORD_MAX_BYTES. 0 otherwise (a record not whole in data, bad, or
 * unusual): the reader then measures and decodes as before, so that its
 * result and messages are the same; r holds nothing of use. */
int record_decode_msgpack_front(record *r, const void *data, size_t avail, size_t *len);

#define MP_MAX_DEPTH 32
/* Measures one msgpack object, resumably: call again with more bytes. */
typedef struct mp_scan {
	size_t pos;
	int depth;
	uint64_t remain[MP_MAX_DEPTH];
} mp_scan;
enum { MP_SCAN_DONE = 1, MP_SCAN_MORE = 0, MP_SCAN_BAD = -1, MP_SCAN_DEEP = -2, MP_SCAN_TOO_BIG = -3 };
void mp_scan_init(mp_scan *s);
/* p[0..len) holds the object's bytes so far; max bounds its size. On DONE
 * s->pos is its length. */
int mp_scan_step(mp_scan *s, const unsigned char *p, size_t len, size_t max);

/* The text of a record_op, or NULL when op is not one. */
const char *record_op_name(char op);

/* ---- the encoders' fast paths ---- */

/* buf_reserve without the call when there is room already: the encoders
 * ask for a few bytes dozens of times per record. */
static inline int rec_room(buf *b, size_t n)
{
	if (n < b->cap - b->len && n <= b->max - b->len)
		return 0;
	return buf_reserve(b, n);
}

/* Appends s[0..n) with rec_room's test inline: the Debezium codec writes
 * an event in some forty pieces. An empty piece may have no storage. */
static inline int rec_put(buf *b, const void *s, size_t n)
{
	if (n == 0)
		return 0;
	if (rec_room(b, n) < 0)
		return -1;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	return 0;
}

/* Text forms written into o without printf; each returns the length.
 * Room needed: u64 20, LSN 17, offset 38, timestamp 64. The timestamp is
 * record_ts_format's text. */
size_t record_fmt_u64(char *o, uint64_t v);
size_t record_fmt_lsn(char *o, uint64_t lsn);
size_t record_fmt_offset(char *o, pos_offset off);
size_t record_fmt_ts(char *o, int64_t us);

/* What record_encoder (record.h) remembers: the last table shape it
 * encoded, as the producer's strings, and its encoded fragments. A record
 * uses the fragments only when its db, schema, table, every column name
 * and type, and its keys compare equal to the copy (strcmp, not pointers:
 * producers reuse storage for other tables). */
struct record_encoder {
	bool valid;
	record_format fmt;
	size_t ncols, nkeys;
	size_t cap;          /* columns the arrays below hold */
	size_t *lens;        /* 3 + 2 * ncols: lengths of the strings in src */
	uint32_t *name_off;  /* ncols + 1: column i's image key is names[off[i]..off[i+1]) */
	unsigned char *cls;  /* ncols: value_class of each column */
	bool masked;          /* the shape has masks: */
	unsigned char *masks; /* ncols: record_mask of each column */
	buf src;             /* db, schema, table, name0, type0, …, NUL-separated; then keys */
	buf head;            /* JSON: ,"db":…,"key":[…]  msgpack: "db" … the key array */
	buf names;           /* JSON: "name":  msgpack: the name as str */
	/* the last commit time and its text: every record of a transaction,
	 * and all of a snapshot, carry the same one */
	bool ts_valid;
	int64_t ts_us;
	size_t ts_len;
	char ts_text[64];
};
/* record_fmt_ts through e's one-entry cache (e may be NULL). */
size_t record_encoder_ts(record_encoder *e, char *o, int64_t us);

/* The checks of record_check_encodable in two halves: what every record
 * needs, and its shape (names, types, keys), which a cache hit skips. */
int record_check_basic(const record *r);
int record_check_shape(const record *r);
/* True when e holds the fragments of r's shape in format f. */
bool record_encoder_match(const record_encoder *e, const record *r, record_format f);
/* Copies r's shape into e (cls filled, fragments emptied). 0 or -1. */
int record_encoder_load(record_encoder *e, const record *r, record_format f);
/* Fills the msgpack fragments after record_encoder_load (record_msgpack.c). */
int record_encoder_load_msgpack(record_encoder *e, const record *r);

#endif
