/* bfwindow.c — see bfwindow.h. */
#include "bfwindow.h"

#include "arena.h"
#include "buf.h"
#include "strv.h"

#include <stdlib.h>
#include <string.h>

/* One key the stream changed in a window. */
typedef struct bf_entry {
	uint64_t hash;
	uint32_t klen;
	bool deleted;            /* the last change deleted the row */
	unsigned char *key;      /* klen bytes (key_bytes) */
	unsigned char *written;  /* one bit per column of the window: written in it */
} bf_entry;

struct bf_window {
	char *schema, *table, *id;
	uint64_t chunk;
	uint64_t lw_lsn, max_wal;
	size_t nkeys, ncols;
	char **keys, **cols, **types;
	size_t *keyidx;   /* the column of each key column */
	bool truncated;
	arena mem;        /* entries and their bytes */
	bf_entry **slots; /* open addressing on hash */
	size_t nslots, nentries;
	/* column of the window for each column of the record last noted */
	size_t *map;
	size_t mapcap;
};

struct bf_set {
	char *slot;
	bf_window **w;
	size_t n, cap;
	buf key; /* scratch */
};

static void window_free(bf_window *w)
{
	if (!w)
		return;
	free(w->schema);
	free(w->table);
	free(w->id);
	strv_free(w->keys, w->nkeys);
	strv_free(w->cols, w->ncols);
	strv_free(w->types, w->ncols);
	free(w->keyidx);
	arena_free(&w->mem);
	free(w->slots);
	free(w->map);
	free(w);
}

bf_set *bf_new(const char *slot)
{
	bf_set *s = calloc(1, sizeof *s);
	if (!s || !(s->slot = strdup(slot))) {
		free(s);
		return NULL;
	}
	buf_init(&s->key, 0);
	return s;
}

void bf_reset(bf_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		window_free(s->w[i]);
	s->n = 0;
}

void bf_free(bf_set *s)
{
	if (!s)
		return;
	bf_reset(s);
	free(s->w);
	free(s->slot);
	buf_free(&s->key);
	free(s);
}

bool bf_ours(const bf_set *s, const bfmsg *m)
{
	return strcmp(m->slot, s->slot) == 0;
}

static long find_table(const bf_set *s, const char *schema, const char *table)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->w[i]->table, table) && !strcmp(s->w[i]->schema, schema))
			return (long)i;
	return -1;
}

static void remove_at(bf_set *s, size_t i)
{
	window_free(s->w[i]);
	memmove(&s->w[i], &s->w[i + 1], (s->n - i - 1) * sizeof *s->w);
	s->n--;
}

int bf_open(bf_set *s, const bfmsg *m, uint64_t commit_lsn)
{
	bf_window *w = calloc(1, sizeof *w);
	if (!w)
		return -1;
	w->chunk = m->chunk;
	w->lw_lsn = commit_lsn;
	w->max_wal = m->max_wal;
	w->nkeys = m->nkeys;
	w->ncols = m->ncols;
	w->schema = strdup(m->schema);
	w->table = strdup(m->table);
	w->id = strdup(m->id);
	w->keys = strv_dup((const char *const *)m->keys, m->nkeys);
	w->cols = strv_dup((const char *const *)m->cols, m->ncols);
	w->types = strv_dup((const char *const *)m->types, m->ncols);
	w->keyidx = calloc(m->nkeys ? m->nkeys : 1, sizeof *w->keyidx);
	if (!w->schema || !w->table || !w->id || !w->keys || !w->cols || !w->types || !w->keyidx) {
		window_free(w);
		return -1;
	}
	for (size_t k = 0; k < w->nkeys; k++) {
		w->keyidx[k] = SIZE_MAX;
		for (size_t c = 0; c < w->ncols; c++)
			if (!strcmp(w->keys[k], w->cols[c]))
				w->keyidx[k] = c;
		if (w->keyidx[k] == SIZE_MAX) { /* a key outside the columns: no window */
			window_free(w);
			return 0;
		}
	}
	int replaced = 0;
	long i = find_table(s, m->schema, m->table);
	if (i >= 0) {
		remove_at(s, (size_t)i);
		replaced = 1;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4;
		bf_window **n = realloc(s->w, cap * sizeof *n);
		if (!n) {
			window_free(w);
			return -1;
		}
		s->w = n;
		s->cap = cap;
	}
	s->w[s->n++] = w;
	return replaced;
}

int bf_abort(bf_set *s, const bfmsg *m)
{
	long i = find_table(s, m->schema, m->table);
	if (i < 0 || strcmp(s->w[i]->id, m->id) || s->w[i]->chunk != m->chunk)
		return 0;
	remove_at(s, (size_t)i);
	return 1;
}

size_t bf_expire(bf_set *s, uint64_t commit_lsn,
		 void (*expired)(void *ctx, const char *schema, const char *table, uint64_t chunk), void *ctx)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n;) {
		bf_window *w = s->w[i];
		if (commit_lsn > w->lw_lsn && commit_lsn - w->lw_lsn > w->max_wal) {
			if (expired)
				expired(ctx, w->schema, w->table, w->chunk);
			remove_at(s, i);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

uint64_t bf_hold(const bf_set *s)
{
	uint64_t h = UINT64_MAX;
	for (size_t i = 0; i < s->n; i++)
		if (s->w[i]->lw_lsn < h)
			h = s->w[i]->lw_lsn;
	return h;
}

size_t bf_open_count(const bf_set *s)
{
	return s->n;
}

size_t bf_bytes(const bf_set *s)
{
	size_t b = 0;
	for (size_t i = 0; i < s->n; i++)
		b += s->w[i]->mem.bytes + s->w[i]->nslots * sizeof(bf_entry *);
	return b;
}

/* ---- keys ---- */

static uint64_t hash_bytes(const unsigned char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

/* The window's key of one image of a record, as bytes (for each key column
 * a kind byte, a length and the text) in out; -1 when the image does not
 * hold every key column. map gives the record column of each window
 * column (SIZE_MAX: none). */
static int key_bytes(const bf_window *w, const record_value *img, const size_t *map, size_t ncols, buf *out)
{
	buf_reset(out);
	for (size_t k = 0; k < w->nkeys; k++) {
		size_t c = map ? map[w->keyidx[k]] : w->keyidx[k];
		if (c >= ncols)
			return -1;
		const record_value *v = &img[c];
		if (v->kind != VALUE_TEXT && v->kind != VALUE_NULL)
			return -1;
		uint32_t len = v->kind == VALUE_TEXT ? (uint32_t)v->len : 0;
		unsigned char hdr[5] = {v->kind == VALUE_TEXT ? 'T' : 'N', (unsigned char)(len >> 24),
					(unsigned char)(len >> 16), (unsigned char)(len >> 8), (unsigned char)len};
		if (buf_append(out, hdr, sizeof hdr) || (len && buf_append(out, v->data, len)))
			return -1;
	}
	return 0;
}

static bf_entry *lookup(const bf_window *w, const buf *key, uint64_t h)
{
	if (!w->nslots)
		return NULL;
	size_t mask = w->nslots - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		bf_entry *e = w->slots[i];
		if (!e)
			return NULL;
		if (e->hash == h && e->klen == key->len && !memcmp(e->key, key->data, key->len))
			return e;
	}
}

static int grow(bf_window *w)
{
	size_t n = w->nslots ? w->nslots * 2 : 64;
	bf_entry **slots = calloc(n, sizeof *slots);
	if (!slots)
		return -1;
	for (size_t i = 0; i < w->nslots; i++) {
		bf_entry *e = w->slots[i];
		if (!e)
			continue;
		size_t j = e->hash & (n - 1);
		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = e;
	}
	free(w->slots);
	w->slots = slots;
	w->nslots = n;
	return 0;
}

static bf_entry *upsert(bf_window *w, const buf *key)
{
	uint64_t h = hash_bytes((const unsigned char *)key->data, key->len);
	bf_entry *e = lookup(w, key, h);
	if (e)
		return e;
	if ((w->nentries + 1) * 2 > w->nslots && grow(w) < 0)
		return NULL;
	size_t bits = (w->ncols + 7) / 8;
	e = arena_alloc(&w->mem, sizeof *e, 8);
	unsigned char *data = arena_alloc(&w->mem, key->len + bits + 1, 1);
	if (!e || !data)
		return NULL;
	e->hash = h;
	e->klen = (uint32_t)key->len;
	e->deleted = false;
	e->key = data;
	memcpy(data, key->data, key->len);
	e->written = data + key->len;
	memset(e->written, 0, bits);
	size_t mask = w->nslots - 1, i = h & mask;
	while (w->slots[i])
		i = (i + 1) & mask;
	w->slots[i] = e;
	w->nentries++;
	return e;
}

/* map[c] = the record column of window column c (SIZE_MAX: none). */
static int map_columns(bf_window *w, const record *r)
{
	if (w->mapcap < w->ncols) {
		size_t *m = realloc(w->map, (w->ncols ? w->ncols : 1) * sizeof *m);
		if (!m)
			return -1;
		w->map = m;
		w->mapcap = w->ncols;
	}
	for (size_t c = 0; c < w->ncols; c++) {
		w->map[c] = SIZE_MAX;
		/* Usually the same position: look there first. */
		if (c < r->ncols && !strcmp(r->cols[c].name, w->cols[c])) {
			w->map[c] = c;
			continue;
		}
		for (size_t i = 0; i < r->ncols; i++)
			if (!strcmp(r->cols[i].name, w->cols[c])) {
				w->map[c] = i;
				break;
			}
	}
	return 0;
}

int bf_note(bf_set *s, const record *r)
{
	if (s->n == 0)
		return 0;
	long wi = find_table(s, r->schema, r->table);
	if (wi < 0)
		return 0;
	bf_window *w = s->w[wi];
	if (r->op == RECORD_OP_TRUNCATE) {
		w->truncated = true;
		return 0;
	}
	if (map_columns(w, r) < 0)
		return -1;
	bf_entry *old = NULL;
	if (r->has_before && key_bytes(w, r->before, w->map, r->ncols, &s->key) == 0 &&
	    !(old = upsert(w, &s->key)))
		return -1;
	if (!r->has_after) { /* a delete */
		if (old) {
			old->deleted = true;
			memset(old->written, 0, (w->ncols + 7) / 8);
		}
		return 0;
	}
	if (key_bytes(w, r->after, w->map, r->ncols, &s->key) < 0) {
		/* An update whose key the after image does not hold: the
		 * before image named the same row. */
		if (!old)
			return 0;
	} else {
		bf_entry *e = upsert(w, &s->key);
		if (!e)
			return -1;
		if (old && old != e) { /* the key changed: the old row is gone */
			old->deleted = true;
			memset(old->written, 0, (w->ncols + 7) / 8);
		}
		old = e;
	}
	old->deleted = false;
	for (size_t c = 0; c < w->ncols; c++) {
		size_t i = w->map[c];
		bool wrote = r->op == RECORD_OP_INSERT ||
			     (i < r->ncols && (r->after[i].kind == VALUE_TEXT || r->after[i].kind == VALUE_NULL));
		if (wrote)
			old->written[c / 8] |= (unsigned char)(1u << (c % 8));
	}
	return 0;
}

bf_window *bf_find(bf_set *s, const bfmsg *m)
{
	long i = find_table(s, m->schema, m->table);
	if (i < 0 || strcmp(s->w[i]->id, m->id) || s->w[i]->chunk != m->chunk)
		return NULL;
	return s->w[i];
}

int bf_truncate(const bf_window *w, const char *db, record *out)
{
	uint16_t keys[32];
	if (w->nkeys > sizeof keys / sizeof *keys)
		return -1;
	for (size_t k = 0; k < w->nkeys; k++)
		keys[k] = (uint16_t)w->keyidx[k];
	record_clear(out);
	out->version = RECORD_FORMAT_VERSION;
	out->op = RECORD_OP_TRUNCATE;
	if (record_set_table(out, db, w->schema, w->table) < 0 || record_set_shape(out, w->ncols, false, false) < 0)
		return -1;
	for (size_t c = 0; c < w->ncols; c++)
		if (record_set_column(out, c, w->cols[c], w->types[c]) < 0)
			return -1;
	return record_set_keys(out, keys, w->nkeys);
}

void bf_close(bf_set *s, bf_window *w)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->w[i] == w) {
			remove_at(s, i);
			return;
		}
}

int bf_row(bf_window *w, const record *row, record *partial)
{
	if (w->truncated)
		return BF_ROW_DROP;
	if (row->op != RECORD_OP_READ || !row->has_after || strcmp(row->table, w->table) ||
	    strcmp(row->schema, w->schema))
		return -1;
	if (map_columns(w, row) < 0)
		return -1;
	buf key;
	buf_init(&key, 0);
	if (key_bytes(w, row->after, w->map, row->ncols, &key) < 0) {
		buf_free(&key);
		return -1;
	}
	bf_entry *e = lookup(w, &key, hash_bytes((const unsigned char *)key.data, key.len));
	buf_free(&key);
	if (!e)
		return BF_ROW_AS_IS;
	if (e->deleted)
		return BF_ROW_DROP;
	/* Columns no change of the window wrote, key columns and columns
	 * without a value (excluded by a mask) aside. */
	size_t keep = 0;
	for (size_t c = 0; c < w->ncols; c++) {
		bool is_key = false;
		for (size_t k = 0; k < w->nkeys; k++)
			is_key |= w->keyidx[k] == c;
		if (!is_key && w->map[c] < row->ncols && row->after[w->map[c]].kind != VALUE_ABSENT &&
		    !(e->written[c / 8] & (1u << (c % 8))))
			keep++;
	}
	if (!keep)
		return BF_ROW_DROP;
	/* An update: the key in both images, the columns kept from the row,
	 * the others unchanged. */
	record_clear(partial);
	partial->version = row->version;
	partial->op = RECORD_OP_UPDATE;
	if (record_set_table(partial, row->db, row->schema, row->table) < 0 ||
	    record_set_shape(partial, row->ncols, true, true) < 0 ||
	    record_set_keys(partial, row->keys, row->nkeys) < 0)
		return -1;
	for (size_t i = 0; i < row->ncols; i++)
		if (record_set_column(partial, i, row->cols[i].name, row->cols[i].type) < 0 ||
		    record_set_column_mask(partial, i, record_column_mask(row, i)) < 0)
			return -1;
	for (size_t i = 0; i < row->ncols; i++) {
		size_t c = SIZE_MAX; /* the window's column of record column i */
		for (size_t j = 0; j < w->ncols; j++)
			if (w->map[j] == i)
				c = j;
		bool is_key = false;
		for (size_t k = 0; k < row->nkeys; k++)
			is_key |= row->keys[k] == i;
		const record_value *v = &row->after[i];
		bool written = c != SIZE_MAX && (e->written[c / 8] & (1u << (c % 8)));
		int rc;
		if (is_key)
			rc = record_set_value(partial, partial->before, i, v->kind, v->data, v->len) |
			     record_set_value(partial, partial->after, i, v->kind, v->data, v->len);
		else if (v->kind == VALUE_ABSENT)
			rc = 0; /* excluded: no value in any image */
		else if (written || c == SIZE_MAX)
			rc = record_set_value(partial, partial->after, i, VALUE_UNCHANGED, NULL, 0);
		else
			rc = record_set_value(partial, partial->after, i, v->kind, v->data, v->len);
		if (rc)
			return -1;
	}
	return BF_ROW_PARTIAL;
}
