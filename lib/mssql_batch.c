/* mssql_batch.c — see mssql_batch.h. */
#include "mssql_batch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mssql_tables_init(mssql_tables *ts)
{
	memset(ts, 0, sizeof *ts);
	ts->next_staging = 1;
}

static void free_strv(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void slots_clear(mssql_slot *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s[i].idx = -1;
}

static void table_clear(mssql_table *t)
{
	arena_reset(&t->mem);
	t->n = 0;
	t->unhashed = 0;
	t->truncate = false;
	t->order = 0;
	if (t->slots)
		slots_clear(t->slots, t->nslots);
}

static void table_free(mssql_table *t)
{
	table_clear(t);
	arena_free(&t->mem);
	buf_free(&t->keybuf);
	free(t->ch);
	free(t->slots);
	free(t->src_db);
	free(t->src_schema);
	free(t->src_table);
	free(t->schema);
	free(t->table);
	free_strv(t->names, t->ncols);
	free_strv(t->pgtypes, t->ncols);
	free_strv(t->tcols, t->ntcols);
	free_strv(t->ttypes, t->ntcols);
	free(t->types);
	free(t->keys);
	free(t->masks);
	free(t->ttarget);
	free(t);
}

void mssql_tables_free(mssql_tables *ts)
{
	for (size_t i = 0; i < ts->n; i++)
		table_free(ts->t[i]);
	free(ts->t);
	memset(ts, 0, sizeof *ts);
}

mssql_table *mssql_tables_get(mssql_tables *ts, const char *db, const char *schema,
			      const char *table, const char *dst_schema)
{
	for (size_t i = 0; i < ts->n; i++)
		if (!strcmp(ts->t[i]->src_schema, schema) && !strcmp(ts->t[i]->src_table, table))
			return ts->t[i];
	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 16;
		mssql_table **p = realloc(ts->t, cap * sizeof *p);
		if (!p)
			return NULL;
		ts->t = p;
		ts->cap = cap;
	}
	mssql_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->case_twin[0] = t->case_twin[1] = -1;
	t->src_db = strdup(db ? db : "");
	t->src_schema = strdup(schema);
	t->src_table = strdup(table);
	t->schema = strdup(dst_schema);
	t->table = strdup(table);
	if (!t->src_db || !t->src_schema || !t->src_table || !t->schema || !t->table) {
		table_free(t);
		return NULL;
	}
	snprintf(t->staging, sizeof t->staging, "#dbrepl_s%zu", ts->next_staging++);
	t->view.schema = t->schema;
	t->view.table = t->table;
	t->view.staging = t->staging;
	ts->t[ts->n++] = t;
	return t;
}

static int by_order(const void *a, const void *b)
{
	const mssql_table *x = *(mssql_table *const *)a, *y = *(mssql_table *const *)b;
	return (x->order > y->order) - (x->order < y->order);
}

size_t mssql_tables_batch(const mssql_tables *ts, mssql_table **out)
{
	size_t n = 0;
	for (size_t i = 0; i < ts->n; i++)
		if (ts->t[i]->order)
			out[n++] = ts->t[i];
	qsort(out, n, sizeof *out, by_order);
	return n;
}

void mssql_tables_clear_batch(mssql_tables *ts)
{
	for (size_t i = 0; i < ts->n; i++)
		table_clear(ts->t[i]);
	ts->bytes = 0;
	ts->touched = 0;
}

bool mssql_table_shape_differs(mssql_table *t, const record *r)
{
	if (r->shape_id && r->shape_id == t->shape_id)
		return false;
	if (r->ncols != t->ncols || r->nkeys != t->nkeys)
		return true;
	for (size_t i = 0; i < r->ncols; i++)
		if (strcmp(r->cols[i].name, t->names[i]) || strcmp(r->cols[i].type, t->pgtypes[i]))
			return true;
	for (size_t k = 0; k < r->nkeys; k++)
		if (r->keys[k] != t->keys[k])
			return true;
	for (size_t i = 0; i < r->ncols; i++)
		if (record_column_mask(r, i) != (t->masks ? (record_mask)t->masks[i] : RECORD_MASK_NONE))
			return true;
	t->shape_id = r->shape_id;
	return false;
}

int mssql_table_set_shape(mssql_table *t, const record *r, const tsql_type_map *map, bool clamp)
{
	char **names = calloc(r->ncols + 1, sizeof *names);
	char **pgtypes = calloc(r->ncols + 1, sizeof *pgtypes);
	tsql_type *types = calloc(r->ncols + 1, sizeof *types);
	uint16_t *keys = calloc(r->nkeys + 1, sizeof *keys);
	unsigned char *masks = NULL;
	if (!names || !pgtypes || !types || !keys)
		goto fail;
	for (size_t i = 0; i < r->ncols && !masks; i++)
		if (record_column_mask(r, i) != RECORD_MASK_NONE && !(masks = malloc(r->ncols)))
			goto fail;
	if (masks)
		memcpy(masks, r->masks, r->ncols);
	for (size_t i = 0; i < r->ncols; i++) {
		names[i] = strdup(r->cols[i].name);
		pgtypes[i] = strdup(r->cols[i].type);
		if (!names[i] || !pgtypes[i])
			goto fail;
		tsql_map_type_with(pgtypes[i], map, &types[i]);
		types[i].clamp = clamp;
	}
	for (size_t k = 0; k < r->nkeys; k++)
		keys[k] = r->keys[k];
	/* A key column must be indexable, and the key fit SQL Server's limits. */
	bool nonclustered = tsql_size_key(types, keys, r->nkeys);
	free_strv(t->names, t->ncols);
	free_strv(t->pgtypes, t->ncols);
	free(t->types);
	free(t->keys);
	free(t->masks);
	free(t->ttarget);
	t->ttarget = NULL;
	t->view.targets = NULL;
	t->view.staging_layout = TSQL_STAGING_UNPLANNED;
	t->names = names;
	t->pgtypes = pgtypes;
	t->types = types;
	t->keys = keys;
	t->masks = masks;
	t->ncols = r->ncols;
	t->nkeys = r->nkeys;
	t->shape_id = r->shape_id;
	t->view.ncols = t->ncols;
	t->view.names = (const char *const *)t->names;
	t->view.types = t->types;
	t->view.nkeys = t->nkeys;
	t->view.keys = t->keys;
	t->view.nonclustered = nonclustered;
	/* once per shape: with every batch it would cost a wide table's
	 * columns squared */
	t->case_twin[0] = t->case_twin[1] = -1;
	for (size_t i = 0; i < t->ncols && t->case_twin[0] < 0; i++)
		for (size_t j = i + 1; j < t->ncols; j++)
			if (tsql_name_eq_ci(t->names[i], t->names[j])) {
				t->case_twin[0] = (int)i;
				t->case_twin[1] = (int)j;
				break;
			}
	if (t->staging_ready)
		t->staging_shape_old = true;
	t->staging_ready = false;
	return 0;
fail:
	free_strv(names, r->ncols);
	free_strv(pgtypes, r->ncols);
	free(types);
	free(keys);
	free(masks);
	return -1;
}

/* The key values of an image, length-prefixed, for the hash. 0; -1 when
 * a key value is missing; -2 when the key so far passes out's ceiling
 * (as buf_append would refuse it) or malloc fails. One reservation for
 * the whole key, then plain stores: two buf_appends per key value were
 * an eighth of what keeping a snapshot row took. */
static int encode_key(const mssql_table *t, const record_value *img, buf *out)
{
	size_t need = 0, max = out->max ? out->max : BUF_DEFAULT_MAX;
	for (size_t k = 0; k < t->nkeys; k++) {
		const record_value *v = &img[t->keys[k]];
		if (v->kind != VALUE_TEXT && v->kind != VALUE_NULL)
			return need > max ? -2 : -1;
		need += sizeof(uint64_t) + (v->kind == VALUE_TEXT ? v->len : 0);
	}
	/* buf_reserve's test, whose call cost as much as the rest */
	if ((need > max || out->len > max - need || out->len + need >= out->cap) && buf_reserve(out, need) < 0)
		return -2;
	char *p = out->data + out->len;
	for (size_t k = 0; k < t->nkeys; k++) {
		const record_value *v = &img[t->keys[k]];
		uint64_t n = v->kind == VALUE_TEXT ? v->len : UINT64_MAX;
		memcpy(p, &n, sizeof n);
		p += sizeof n;
		if (v->kind == VALUE_TEXT) {
			memcpy(p, v->data, v->len);
			p += v->len;
		}
	}
	out->len += need;
	return 0;
}

/* 8 bytes at a time, then a full avalanche: lookup masks the low bits
 * and compares the high 32 as a tag, so both must depend on every byte
 * (byte-wise FNV-1a cost a tenth of a 1M-row snapshot's CPU). */
static uint64_t hash(const char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
		p += 8;
		n -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0x94d049bb133111ebull;
	h ^= h >> 32;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return h;
}

static uint32_t slot_tag(uint64_t h)
{
	return (uint32_t)(h >> 32);
}

static int rehash(mssql_table *t, size_t nslots)
{
	mssql_slot *s = malloc(nslots * sizeof *s);
	if (!s)
		return -1;
	slots_clear(s, nslots);
	for (size_t i = 0; i < t->n; i++) {
		uint64_t h = hash(t->ch[i]->key, t->ch[i]->keylen);
		size_t j = h & (nslots - 1);
		while (s[j].idx >= 0)
			j = (j + 1) & (nslots - 1);
		s[j].idx = (int32_t)i;
		s[j].tag = slot_tag(h);
	}
	free(t->slots);
	t->slots = s;
	t->nslots = nslots;
	return 0;
}

/* The slot of key, holding its change index or -1 (then, with the tag
 * set, where to put it). The tag spares a visit to the change of every
 * slot probed past: with 50,000 changes of a batch spread over megabytes
 * of arena, each such visit was a cache miss. */
static size_t lookup_hashed(mssql_table *t, uint64_t h, const char *key, size_t keylen)
{
	uint32_t tag = slot_tag(h);
	size_t j = h & (t->nslots - 1);
	while (t->slots[j].idx >= 0) {
		if (t->slots[j].tag == tag) {
			const mssql_change *c = t->ch[t->slots[j].idx];
			if (c->keylen == keylen && memcmp(c->key, key, keylen) == 0)
				return j;
		}
		j = (j + 1) & (t->nslots - 1);
	}
	t->slots[j].tag = tag;
	return j;
}

static size_t lookup(mssql_table *t, const char *key, size_t keylen)
{
	return lookup_hashed(t, hash(key, keylen), key, keylen);
}

/* Whether key b comes after key a in the order of the unhashed run: by
 * length, then byte by byte. Any strict order would do (keys in it are
 * distinct); this one is PostgreSQL's for a single key column holding
 * non-negative integers or uuids (an encoded key is its values' lengths
 * and texts), so a snapshot of such a table, read in key order, is one
 * run. Other keys end the run at their first step down: slower, the same
 * result. */
static bool key_after(const char *a, size_t alen, const char *b, size_t blen)
{
	return blen != alen ? blen > alen : memcmp(b, a, alen) > 0;
}

/* Ends the unhashed run: its changes go into the slots. 0, or -1 (ENOMEM). */
static int hash_run(mssql_table *t)
{
	if (!t->unhashed)
		return 0;
	size_t nslots = t->nslots ? t->nslots : 64;
	while (nslots < 2 * (t->n + 1))
		nslots *= 2;
	if (rehash(t, nslots) < 0)
		return -1;
	t->unhashed = 0;
	return 0;
}

/* The bytes the text values of img take with their NULs, or false when
 * one is an unchanged TOAST value. */
static bool image_bytes(const record_value *img, size_t n, size_t *bytes)
{
	size_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		if (img[i].kind == VALUE_UNCHANGED)
			return false;
		if (img[i].kind == VALUE_TEXT)
			sum += img[i].len + 1;
	}
	*bytes = sum;
	return true;
}

/* Column i's value in a change made of img after old (NULL: none): an
 * UNCHANGED slot takes old's value when old has one. */
static inline const record_value *value_after(const record_value *img, const mssql_change *old, size_t i)
{
	if (old && img[i].kind == VALUE_UNCHANGED && !old->use_before && old->vals[i].kind != VALUE_UNCHANGED)
		return &old->vals[i];
	return &img[i];
}

/* A change holding img's values; UNCHANGED slots take old's values when
 * old has them (value_after). bytes: the text bytes of those values, as image_bytes
 * counts them. key (NULL: none) goes into the same allocation. Sets vals,
 * key, keylen, from and staged; fill_change sets the rest, so nothing is
 * zeroed first. NULL on ENOMEM. */
static inline mssql_change *change_copy(mssql_table *t, size_t n, const record_value *img,
					const mssql_change *old, size_t bytes, const buf *key)
{
	size_t keylen = key ? key->len : 0;
	mssql_change *c = arena_alloc(&t->mem, sizeof *c + n * sizeof(record_value) + bytes + (key ? keylen + 1 : 0), 8);
	if (!c)
		return NULL;
	c->vals = (record_value *)(c + 1);
	char *p = (char *)(c->vals + n);
	for (size_t i = 0; i < n; i++) {
		const record_value *v = value_after(img, old, i);
		if (v->kind == VALUE_TEXT) {
			memcpy(p, v->data, v->len);
			p[v->len] = '\0';
			c->vals[i] = (record_value){VALUE_TEXT, p, v->len};
			p += v->len + 1;
		} else {
			c->vals[i] = (record_value){v->kind, NULL, 0};
		}
	}
	c->key = NULL;
	if (key) {
		if (keylen)
			memcpy(p, key->data, keylen);
		c->key = p;
	}
	c->keylen = keylen;
	c->from = NULL;
	c->staged = false;
	return c;
}

/* change_copy, counting the bytes (*bytes, when given) itself. */
static mssql_change *change_new(mssql_table *t, const record *r, const record_value *img,
				const mssql_change *old, const buf *key, size_t *bytes)
{
	size_t n = r->ncols, sum = 0;
	for (size_t i = 0; i < n; i++) {
		const record_value *v = value_after(img, old, i);
		if (v->kind == VALUE_TEXT)
			sum += v->len + 1;
	}
	if (bytes)
		*bytes = sum;
	return change_copy(t, n, img, old, sum, key);
}

/* Whether an image (of a record, or a change's vals) has an unchanged
 * TOAST value. */
static bool has_unchanged(const record_value *vals, size_t ncols)
{
	for (size_t i = 0; i < ncols; i++)
		if (vals[i].kind == VALUE_UNCHANGED)
			return true;
	return false;
}

/* Sets c->from to nkeys key values: src[k] for each k, or, when keys is
 * given, src[keys[k]] of an image. 0; 1 when a key value is missing (no
 * old key to read from); -1 ENOMEM. */
static int set_from(mssql_table *t, mssql_change *c, size_t nkeys, const record_value *src,
		    const uint16_t *keys)
{
	size_t bytes = 0;
	for (size_t k = 0; k < nkeys; k++) {
		const record_value *v = &src[keys ? keys[k] : k];
		if (v->kind != VALUE_TEXT && v->kind != VALUE_NULL)
			return 1;
		if (v->kind == VALUE_TEXT)
			bytes += v->len + 1;
	}
	record_value *f = arena_alloc(&t->mem, nkeys * sizeof *f + bytes, 8);
	if (!f)
		return -1;
	memset(f, 0, nkeys * sizeof *f);
	char *p = (char *)(f + nkeys);
	for (size_t k = 0; k < nkeys; k++) {
		const record_value *v = &src[keys ? keys[k] : k];
		f[k].kind = v->kind;
		if (v->kind == VALUE_TEXT) {
			memcpy(p, v->data, v->len);
			p[v->len] = '\0';
			f[k].data = p;
			f[k].len = v->len;
			p += v->len + 1;
		}
	}
	c->from = f;
	return 0;
}

/* Sets what c says of r besides its values and key; counts its bytes
 * (bytes: its values' text, as image_bytes counts them). */
static inline void fill_change(mssql_tables *ts, const record *r, mssql_change *c, char op, bool use_before,
			       uint64_t seq, const char *stream, size_t bytes)
{
	c->op = op;
	c->src_op = r->op;
	c->use_before = use_before;
	c->seq = seq;
	c->stream = stream;
	c->offset = r->offset;
	c->lsn = r->lsn;
	c->xid = r->xid;
	c->commit_us = r->commit_us;
	c->src_seq = r->seq;
	/* What the batch holds: a change it replaces stays in the arena
	 * until the commit, so it counts as well. */
	ts->bytes += sizeof *c + r->ncols * sizeof(record_value) + c->keylen + 64 + bytes;
}

/* c after t's changes. 0, or -1 (ENOMEM). */
static int append_change(mssql_table *t, mssql_change *c)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		mssql_change **p = realloc(t->ch, cap * sizeof *p);
		if (!p)
			return -1;
		t->ch = p;
		t->cap = cap;
	}
	t->ch[t->n++] = c;
	return 0;
}

/* Puts one change (op on the key of image before/after of r) into the batch.
 * old_key: for the upsert of a key change, the image holding the old key. */
static int put(mssql_tables *ts, mssql_table *t, const record *r, char op, bool use_before,
	       const mssql_change *toast_src, const record_value *old_key, uint64_t seq, const char *stream,
	       char *err, size_t errlen)
{
	const record_value *img = use_before ? r->before : r->after;
	buf *key = &t->keybuf;
	buf_reset(key);
	int rc = encode_key(t, img, key);
	if (rc < 0) {
		if (rc == -2)
			return -2;
		snprintf(err, errlen, "key column missing from the %s image", use_before ? "before" : "after");
		return -1;
	}
	const char *kd = key->data ? key->data : "";
	size_t bytes;
	if (t->n == t->unhashed && (op == RECORD_OP_READ || op == RECORD_OP_INSERT) && !toast_src && !old_key &&
	    (t->n == 0 || key_after(t->ch[t->n - 1]->key, t->ch[t->n - 1]->keylen, kd, key->len)) &&
	    image_bytes(img, r->ncols, &bytes)) {
		/* the run goes on: a new key, which no change of the batch has */
		mssql_change *c = change_copy(t, r->ncols, img, NULL, bytes, key);
		if (!c)
			return -2;
		fill_change(ts, r, c, op, use_before, seq, stream, bytes);
		if (append_change(t, c) < 0)
			return -2;
		t->unhashed = t->n;
		return 0;
	}
	if (hash_run(t) < 0)
		return -2;
	if (t->nslots < 2 * (t->n + 1) && rehash(t, t->nslots ? t->nslots * 2 : 64) < 0)
		return -2;
	uint64_t h = hash(kd, key->len);
	/* The slot is most likely not in cache (the batch's arena streams
	 * through it): fetch it while the values are copied, which need no
	 * earlier image when none is unchanged. */
	__builtin_prefetch(&t->slots[h & (t->nslots - 1)]);
	mssql_change *c = NULL;
	if (image_bytes(img, r->ncols, &bytes) && !(c = change_copy(t, r->ncols, img, NULL, bytes, key)))
		return -2;
	size_t slot = lookup_hashed(t, h, kd, key->len);
	mssql_change *old = t->slots[slot].idx >= 0 ? t->ch[t->slots[slot].idx] : NULL;

	/* An update's unchanged TOAST columns take the earlier image of the
	 * same key in this batch (or, when the key changed, of the old key):
	 * the target does not have it yet. */
	if (!toast_src)
		toast_src = old;
	const mssql_change *src = op != 'd' && toast_src && toast_src->op != 'd' ? toast_src : NULL;
	if (!c && !(c = change_new(t, r, img, src, key, &bytes)))
		return -2;
	/* Unchanged TOAST values no image of the batch had: they are in the
	 * target's row of the key the earlier image was waiting for, or of
	 * the old key when the key changed (else of this key: no from). */
	if (op != 'd' && has_unchanged(c->vals, r->ncols)) {
		int frc = 0;
		if (src && src->from)
			frc = set_from(t, c, t->nkeys, src->from, NULL);
		else if (old_key)
			frc = set_from(t, c, t->nkeys, old_key, t->keys);
		if (frc < 0)
			return -2;
	}
	fill_change(ts, r, c, op, use_before, seq, stream, bytes);
	if (old) {
		t->ch[t->slots[slot].idx] = c;
		return 0;
	}
	if (append_change(t, c) < 0)
		return -2;
	t->slots[slot].idx = (int32_t)(t->n - 1);
	return 0;
}

/* The change of this batch for the key of img, or NULL. */
static const mssql_change *find(mssql_table *t, const record_value *img)
{
	if (hash_run(t) < 0)
		return NULL; /* out of memory: the put that follows says so */
	if (!t->nslots)
		return NULL;
	buf *key = &t->keybuf;
	buf_reset(key);
	if (encode_key(t, img, key) != 0)
		return NULL;
	size_t slot = lookup(t, key->data ? key->data : "", key->len);
	return t->slots[slot].idx >= 0 ? t->ch[t->slots[slot].idx] : NULL;
}

static void touch(mssql_tables *ts, mssql_table *t)
{
	if (!t->order)
		t->order = ++ts->touched;
}

static bool same_key(const mssql_table *t, const record *r)
{
	for (size_t k = 0; k < t->nkeys; k++) {
		const record_value *a = &r->before[t->keys[k]], *b = &r->after[t->keys[k]];
		if (a->kind == VALUE_ABSENT || a->kind == VALUE_UNCHANGED)
			return true; /* no old key given: it did not change */
		if (a->kind != b->kind || a->len != b->len ||
		    (a->kind == VALUE_TEXT && memcmp(a->data, b->data, a->len) != 0))
			return false;
	}
	return true;
}

int mssql_table_add(mssql_tables *ts, mssql_table *t, const record *r, uint64_t seq,
		    const char *stream, char *err, size_t errlen)
{
	if (r->op == RECORD_OP_TRUNCATE) {
		table_clear(t);
		t->truncate = true;
		t->trunc_stream = stream;
		t->trunc_offset = r->offset;
		touch(ts, t);
		return 0;
	}
	if (t->nkeys == 0) {
		snprintf(err, errlen, "table has no key columns (give it a primary key or REPLICA IDENTITY)");
		return -1;
	}
	int rc;
	switch (r->op) {
	case RECORD_OP_READ:
	case RECORD_OP_INSERT:
		if (!r->has_after) {
			snprintf(err, errlen, "record has no after image");
			return -1;
		}
		rc = put(ts, t, r, r->op, false, NULL, NULL, seq, stream, err, errlen);
		break;
	case RECORD_OP_UPDATE:
		if (!r->has_after) {
			snprintf(err, errlen, "update has no after image");
			return -1;
		}
		if (r->has_before && !same_key(t, r)) {
			/* The new key's unchanged TOAST values come from the old
			 * key's earlier image, which the delete replaces: keep a
			 * copy of it. */
			const mssql_change *old = find(t, r->before);
			mssql_change *src = old && old->op != 'd' ? change_new(t, r, old->vals, NULL, NULL, NULL) : NULL;
			if (old && old->op != 'd' && !src)
				return -2;
			if (src) {
				/* no fill_change: all but its values and op zero */
				*src = (mssql_change){.op = old->op, .vals = src->vals};
				if (old->from && set_from(t, src, t->nkeys, old->from, NULL) < 0)
					return -2;
			}
			rc = put(ts, t, r, 'd', true, NULL, NULL, seq, stream, err, errlen);
			if (rc == 0)
				rc = put(ts, t, r, 'u', false, src, r->before, seq, stream, err, errlen);
			break;
		}
		rc = put(ts, t, r, 'u', false, NULL, NULL, seq, stream, err, errlen);
		break;
	case RECORD_OP_DELETE:
		if (!r->has_before) {
			snprintf(err, errlen, "delete has no before image");
			return -1;
		}
		rc = put(ts, t, r, 'd', true, NULL, NULL, seq, stream, err, errlen);
		break;
	default:
		snprintf(err, errlen, "unknown op '%c'", r->op);
		return -1;
	}
	if (rc == 0)
		touch(ts, t);
	return rc;
}

void mssql_table_remove(mssql_table *t, size_t i)
{
	/* its memory stays in the arena until the batch ends */
	memmove(&t->ch[i], &t->ch[i + 1], (t->n - i - 1) * sizeof *t->ch);
	t->n--;
	if (t->unhashed) {
		t->unhashed = t->n; /* what is left is in order still */
		return;
	}
	rehash(t, t->nslots ? t->nslots : 64);
}

size_t mssql_table_drop_applied(mssql_table *t, bool (*applied)(void *ctx, const char *stream, pos_offset off),
				void *ctx)
{
	size_t kept = 0, dropped = 0;
	for (size_t i = 0; i < t->n; i++) {
		mssql_change *c = t->ch[i];
		if (c->stream && applied(ctx, c->stream, c->offset))
			dropped++;
		else
			t->ch[kept++] = c;
	}
	t->n = kept;
	if (t->unhashed) {
		t->unhashed = t->n; /* what is left is in order still */
	} else if (dropped && t->nslots) {
		/* Fewer changes than before: the slots are rebuilt in place. */
		slots_clear(t->slots, t->nslots);
		for (size_t i = 0; i < t->n; i++)
			t->slots[lookup(t, t->ch[i]->key, t->ch[i]->keylen)].idx = (int32_t)i;
	}
	if (t->truncate && t->trunc_stream && applied(ctx, t->trunc_stream, t->trunc_offset)) {
		t->truncate = false;
		dropped++;
	}
	return dropped;
}

void mssql_table_counts(const mssql_table *t, size_t *upserts, size_t *deletes, size_t *reads)
{
	size_t u = 0, d = 0, r = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->ch[i]->op == 'd')
			d++;
		else
			u++;
		if (t->ch[i]->op == 'r')
			r++;
	}
	*upserts = u;
	*deletes = d;
	*reads = r;
}

/* Text value v of column i as it is sent, into *cell: staged
 * (tsql_stage_value), checked against the target column (tsql_value_fits),
 * cut to what the column reads (tsql_value_sent_len); an empty one
 * flagged. 0, or -1 with err naming the column ("what name: why"). */
static int text_cell(const mssql_table *t, size_t i, const record_value *v, buf *scratch, tsql_cell *cell,
		     const char *what, char *err, size_t errlen)
{
	char why[300];
	if (tsql_stage_value(&t->types[i], v->data, v->len, scratch, &cell->data, &cell->len, why, sizeof why) < 0 ||
	    (t->ttarget &&
	     tsql_value_fits(&t->types[i], &t->ttarget[i], cell->data, cell->len, why, sizeof why) < 0)) {
		snprintf(err, errlen, "%s %s: %s", what, t->names[i], why);
		return -1;
	}
	if (t->ttarget)
		cell->len = tsql_value_sent_len(&t->types[i], &t->ttarget[i], cell->data, cell->len);
	cell->null = false;
	if (cell->len == 0) {
		if (!t->types[i].flagged) {
			snprintf(err, errlen, "%s %s: empty value for type %s", what, t->names[i], t->pgtypes[i]);
			return -1;
		}
		cell->flag = TSQL_FLAG_EMPTY;
		cell->null = true;
	}
	return 0;
}

int mssql_change_cells(const mssql_table *t, const mssql_change *c, tsql_cell *cells, buf *scratch,
		       char *err, size_t errlen)
{
	const record_value *img = c->vals;
	for (size_t i = 0; i < t->ncols; i++) {
		tsql_cell *cell = &cells[i];
		const record_value *v = &img[i];
		memset(cell, 0, sizeof *cell);
		cell->null = true;
		if (c->use_before && !tsql_is_key(&t->view, i))
			continue; /* a delete stages only its key */
		switch (v->kind) {
		case VALUE_ABSENT:
		case VALUE_NULL:
			break;
		case VALUE_UNCHANGED:
			if (!t->types[i].flagged) {
				snprintf(err, errlen, "column %s: unchanged TOAST value of type %s", t->names[i],
					 t->pgtypes[i]);
				return -1;
			}
			cell->flag = TSQL_FLAG_UNCHANGED;
			break;
		case VALUE_TEXT:
			if (text_cell(t, i, v, &scratch[i], cell, "column", err, errlen) < 0)
				return -1;
			break;
		}
	}
	return 0;
}

int mssql_change_from_cells(const mssql_table *t, const mssql_change *c, tsql_cell *cells, buf *scratch,
			    char *err, size_t errlen)
{
	for (size_t i = 0; i < t->ncols; i++) {
		memset(&cells[i], 0, sizeof cells[i]);
		cells[i].null = true;
	}
	for (size_t k = 0; k < t->nkeys && c->from; k++) {
		size_t i = t->keys[k];
		const record_value *v = &c->from[k];
		tsql_cell *cell = &cells[i];
		if (v->kind == VALUE_TEXT && text_cell(t, i, v, &scratch[i], cell, "old key column", err, errlen) < 0)
			return -1;
	}
	return 0;
}

void mssql_change_key_text(const mssql_table *t, const mssql_change *c, char *out, size_t len)
{
	const record_value *img = c->vals;
	size_t n = 0;
	out[0] = '\0';
	for (size_t k = 0; k < t->nkeys && n + 1 < len; k++) {
		const record_value *v = &img[t->keys[k]];
		int w;
		if (v->kind == VALUE_TEXT)
			w = snprintf(out + n, len - n, "%s%s='%.*s'", k ? ", " : "", t->names[t->keys[k]],
				     (int)(v->len > 100 ? 100 : v->len), v->data);
		else
			w = snprintf(out + n, len - n, "%s%s=NULL", k ? ", " : "", t->names[t->keys[k]]);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	if (n >= len && len > 4)
		memcpy(out + len - 4, "...", 4);
}

int mssql_change_record(const mssql_table *t, const mssql_change *c, record *out)
{
	record_clear(out);
	char op = c->src_op == RECORD_OP_UPDATE && c->use_before ? RECORD_OP_DELETE : c->src_op;
	out->version = RECORD_FORMAT_VERSION;
	out->op = op;
	if (record_set_table(out, t->src_db[0] ? t->src_db : "unknown", t->src_schema, t->src_table) < 0 ||
	    record_set_shape(out, t->ncols, c->use_before, !c->use_before) < 0)
		return -1;
	for (size_t i = 0; i < t->ncols; i++)
		if (record_set_column(out, i, t->names[i], t->pgtypes[i]) < 0 ||
		    (t->masks && record_set_column_mask(out, i, (record_mask)t->masks[i]) < 0))
			return -1;
	if (record_set_keys(out, t->keys, t->nkeys) < 0)
		return -1;
	record_value *img = c->use_before ? out->before : out->after;
	for (size_t i = 0; i < t->ncols; i++)
		if (record_set_value(out, img, i, c->vals[i].kind, c->vals[i].data, c->vals[i].len) < 0)
			return -1;
	snprintf(out->stream, sizeof out->stream, "%s", c->stream ? c->stream : "");
	out->offset = c->offset;
	out->lsn = c->lsn;
	out->xid = c->xid;
	out->commit_us = c->commit_us;
	out->seq = c->src_seq;
	return 0;
}
