/* record_cache.c — the decoders' memory of table shapes. A record names its
 * database, schema, table, columns and key columns in every copy, and a
 * stream holds runs of records of the same few tables, so these fields
 * come again and again as the same bytes. The decoders (record_json.c,
 * record_msgpack.c) remember, per table, the bytes of the run of such
 * fields as it appeared and what decoding it gave; when the same bytes
 * come again at the same place in a record they take the result instead of
 * parsing them again. The result is the same by construction: the parse
 * of those fields depends only on their bytes, given that none of them was
 * seen earlier in the record (the decoders check that) and that the key
 * list was read after the columns (only such runs are kept).
 *
 * The cache belongs to the record the decoder fills (it lives beside the
 * record's arena and survives record_clear), so a program that decodes
 * into one record over and over, as all of ours do, gets it without asking.
 * A record decoded by an entry points at the entry's arrays and names
 * rather than copying them into its arena (that copy was 2.5% of
 * mssql-apply's instructions per snapshot row): an entry leaves the cache
 * only while the decoder fills that same record anew, and the record
 * copies cols before record_set_column changes one (record_priv.h,
 * borrowed); nothing writes the others in place. It is
 * bounded: SHAPE_ENTRIES tables, SHAPE_BYTES bytes; the least recently
 * used table leaves first. */
#include "record_priv.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define SHAPE_ENTRIES 64
#define SHAPE_BYTES ((size_t)4 << 20)
/* Runs shorter than this are cheap to parse; they are also what the
 * lookup hashes, so every entry has at least these bytes. */
#define SHAPE_MIN_RUN 64
#define SHAPE_MAX_RUN ((size_t)256 << 10)

struct record_shape_entry {
	record_shape pub;
	uint64_t id;        /* unique in the process (record.h: shape_id) */
	uint64_t used;      /* tick of the last hit, for eviction */
	size_t size;        /* bytes this entry holds, for the budget */
	size_t textlen;     /* the names: db, schema, table (those in the run),
			     * then name and type of each column, NUL-terminated */
	uint32_t ncols, nkeys, nstr;
	size_t nslots;      /* the column map's hash slots (0: none) */
	const unsigned char *bytes;
	const char *text;
	const uint32_t *off; /* nstr offsets into text */
	record_column *cols; /* ncols, their names and types in text */
	uint16_t *keys;
	uint16_t *slots;
	const unsigned char *cls; /* ncols: the value_class of each column */
	const unsigned char *masks; /* ncols: the record_mask of each column, or NULL */
	uint16_t *plain_len; /* ncols: the column map's (record_priv.h) */
};

/* Entries get ids from here, so that no two entries anywhere in the
 * process, even of different records' caches, share one. */
static _Atomic uint64_t next_shape_id = 1;

struct record_shape_cache {
	uint64_t hash[SHAPE_ENTRIES]; /* of each entry's first SHAPE_MIN_RUN bytes */
	struct record_shape_entry *e[SHAPE_ENTRIES];
	size_t n, bytes, last;
	uint64_t tick;
};

static uint64_t head_hash(const unsigned char *p)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < SHAPE_MIN_RUN / 8; i++) {
		uint64_t w;
		memcpy(&w, p + 8 * i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h;
}

record_shape_cache *record_shape_cache_new(void)
{
	return calloc(1, sizeof(record_shape_cache));
}

void record_shape_cache_free(record_shape_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->e[i]);
	free(c);
}

/* The index of the entry whose run begins p[0..avail), or c->n, without
 * a trace: the table of the previous record first, without the hash (runs
 * of one table are usual), then the others in order. */
static inline size_t lookup(const record_shape_cache *c, const void *p, size_t avail)
{
	if (avail < SHAPE_MIN_RUN)
		return c->n;
	const struct record_shape_entry *last = c->last < c->n ? c->e[c->last] : NULL;
	if (last && last->pub.len <= avail && memcmp(last->bytes, p, last->pub.len) == 0)
		return c->last;
	uint64_t h = head_hash(p);
	for (size_t i = 0; i < c->n; i++) {
		if (c->hash[i] != h || i == c->last)
			continue;
		const struct record_shape_entry *e = c->e[i];
		if (e->pub.len <= avail && memcmp(e->bytes, p, e->pub.len) == 0)
			return i;
	}
	return c->n;
}

/* What a find leaves on entry i: it was used now, and is tried first. */
static inline void touch(record_shape_cache *c, size_t i)
{
	c->e[i]->used = ++c->tick;
	c->last = i;
}

const record_shape *record_shape_find(record *r, const void *p, size_t avail)
{
	record_shape_cache *c = r->arena ? r->arena->shapes : NULL;
	if (!c || !c->n)
		return NULL;
	size_t i = lookup(c, p, avail);
	if (i == c->n)
		return NULL;
	touch(c, i);
	return &c->e[i]->pub;
}

const record_shape *record_shape_peek(record *r, const void *p, size_t avail)
{
	record_shape_cache *c = r->arena ? r->arena->shapes : NULL;
	if (!c || !c->n)
		return NULL;
	size_t i = lookup(c, p, avail);
	return i == c->n ? NULL : &c->e[i]->pub;
}

void record_shape_touch(record *r, const record_shape *s)
{
	record_shape_cache *c = r->arena->shapes;
	/* mostly the entry tried first */
	if (c->last < c->n && &c->e[c->last]->pub == s) {
		touch(c, c->last);
		return;
	}
	for (size_t i = 0; i < c->n; i++)
		if (&c->e[i]->pub == s) {
			touch(c, i);
			return;
		}
}

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

int record_shape_apply(record *r, const record_shape *s, record_colmap *map)
{
	const struct record_shape_entry *e = (const struct record_shape_entry *)s;
	size_t ncols = e->ncols, nkeys = s->flags & F_KEY ? e->nkeys : 0;
	size_t k = 0;
	if (s->flags & F_DB)
		r->db = e->text + e->off[k++];
	if (s->flags & F_SCHEMA)
		r->schema = e->text + e->off[k++];
	if (s->flags & F_TABLE)
		r->table = e->text + e->off[k++];
	/* as reading "cols" leaves the record */
	r->ncols = ncols;
	r->cols = ncols ? e->cols : NULL;
	r->masks = NULL;
	if (e->masks) {
		/* record_set_column_mask writes these in place: the record's own */
		if (!(r->masks = record_alloc(r, ncols, 1)))
			return -1;
		memcpy(r->masks, e->masks, ncols);
	}
	r->arena->borrowed = true; /* the entry was found in r->arena's cache */
	r->cls = e->cls;
	r->before = r->after = NULL;
	r->has_before = r->has_after = false;
	r->keys = NULL;
	r->nkeys = 0;
	map->slots = e->nslots ? e->slots : NULL;
	map->mask = e->nslots ? e->nslots - 1 : 0;
	map->hint = 0;
	map->plain_len = ncols ? e->plain_len : NULL;
	if (s->flags & F_KEY) {
		r->keys = nkeys ? e->keys : NULL;
		r->nkeys = nkeys;
		r->shape_id = e->id;
	}
	return 0;
}

/* Makes room for an entry of size bytes: evicts the least recently used. */
static void make_room(record_shape_cache *c, size_t size)
{
	while (c->n && (c->n == SHAPE_ENTRIES || c->bytes + size > SHAPE_BYTES)) {
		size_t old = 0;
		for (size_t i = 1; i < c->n; i++)
			if (c->e[i]->used < c->e[old]->used)
				old = i;
		c->bytes -= c->e[old]->size;
		free(c->e[old]);
		c->n--;
		c->e[old] = c->e[c->n];
		c->hash[old] = c->hash[c->n];
	}
}

void record_shape_save(record *r, const void *p, size_t len, unsigned flags, uint32_t members,
		       bool skipped, const record_colmap *map)
{
	if (len < SHAPE_MIN_RUN || len > SHAPE_MAX_RUN || !(flags & F_COLS))
		return;
	record_shape_cache *c = record_shapes(r, true);
	if (!c)
		return; /* a cache: without memory, decoding goes on without it */
	const char *names[3];
	size_t nnames = 0;
	if (flags & F_DB)
		names[nnames++] = r->db;
	if (flags & F_SCHEMA)
		names[nnames++] = r->schema;
	if (flags & F_TABLE)
		names[nnames++] = r->table;
	size_t nstr = nnames + 2 * r->ncols;
	size_t textlen = 0;
	for (size_t i = 0; i < nnames; i++)
		textlen += strlen(names[i]) + 1;
	for (size_t i = 0; i < r->ncols; i++)
		textlen += strlen(r->cols[i].name) + strlen(r->cols[i].type) + 2;
	size_t nkeys = flags & F_KEY ? r->nkeys : 0;
	size_t nslots = map->slots ? map->mask + 1 : 0;
	size_t size = align8(sizeof(struct record_shape_entry)) + align8(r->ncols * sizeof(record_column)) +
		      align8(nstr * sizeof(uint32_t)) +
		      align8(nkeys * sizeof(uint16_t)) + align8(nslots * sizeof(uint16_t)) +
		      align8(r->ncols * sizeof(uint16_t)) + align8(len) + textlen + r->ncols +
		      (r->masks ? r->ncols : 0);
	if (size > SHAPE_BYTES)
		return;
	make_room(c, size);
	unsigned char *mem = malloc(size);
	if (!mem)
		return;
	struct record_shape_entry *e = (struct record_shape_entry *)mem;
	size_t at = align8(sizeof *e);
	record_column *cols = (record_column *)(mem + at);
	at += align8(r->ncols * sizeof(record_column));
	uint32_t *off = (uint32_t *)(mem + at);
	at += align8(nstr * sizeof(uint32_t));
	uint16_t *keys = (uint16_t *)(mem + at);
	at += align8(nkeys * sizeof(uint16_t));
	uint16_t *slots = (uint16_t *)(mem + at);
	at += align8(nslots * sizeof(uint16_t));
	uint16_t *plain_len = (uint16_t *)(mem + at);
	at += align8(r->ncols * sizeof(uint16_t));
	unsigned char *bytes = mem + at;
	at += align8(len);
	char *text = (char *)(mem + at);

	size_t t = 0, k = 0;
	for (size_t i = 0; i < nnames; i++) {
		size_t n = strlen(names[i]) + 1;
		off[k++] = (uint32_t)t;
		memcpy(text + t, names[i], n);
		t += n;
	}
	for (size_t i = 0; i < r->ncols; i++) {
		cols[i] = r->cols[i];
		for (int f = 0; f < 2; f++) {
			const char *s = f ? r->cols[i].type : r->cols[i].name;
			size_t n = strlen(s) + 1;
			off[k++] = (uint32_t)t;
			memcpy(text + t, s, n);
			if (f)
				cols[i].type = text + t;
			else
				cols[i].name = text + t;
			t += n;
		}
	}
	if (nkeys)
		memcpy(keys, r->keys, nkeys * sizeof *keys);
	if (nslots)
		memcpy(slots, map->slots, nslots * sizeof *slots);
	if (r->ncols)
		memcpy(plain_len, map->plain_len, r->ncols * sizeof *plain_len);
	memcpy(bytes, p, len);
	unsigned char *cls = (unsigned char *)text + textlen;
	memcpy(cls, r->cls, r->ncols);
	unsigned char *masks = r->masks ? cls + r->ncols : NULL;
	if (masks)
		memcpy(masks, r->masks, r->ncols);

	e->pub.flags = flags;
	e->pub.len = len;
	e->pub.members = members;
	e->pub.skipped = skipped;
	e->used = ++c->tick;
	e->id = atomic_fetch_add(&next_shape_id, 1);
	e->size = size;
	e->textlen = textlen;
	e->ncols = (uint32_t)r->ncols;
	e->nkeys = (uint32_t)nkeys;
	e->nstr = (uint32_t)nstr;
	e->nslots = nslots;
	e->bytes = bytes;
	e->text = text;
	e->off = off;
	e->cols = cols;
	e->keys = keys;
	e->slots = slots;
	e->cls = cls;
	e->masks = masks;
	e->plain_len = plain_len;
	c->hash[c->n] = head_hash(bytes);
	c->e[c->n] = e;
	c->last = c->n;
	c->n++;
	c->bytes += size;
}
