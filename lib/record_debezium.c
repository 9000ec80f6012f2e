/* record_debezium.c — see record_debezium.h. The layout follows the
 * Debezium PostgreSQL connector of release 3.6.1.Final (Envelope,
 * TableSchemaBuilder, SchemaFactory, PostgresSourceInfoStructMaker) as
 * Kafka's JsonConverter writes it: a struct's fields in schema order, each
 * field schema {"type",…,"optional","name","version","doc","parameters",
 * "default","field"}. */
#include "record_debezium.h"

#include "dbz_value.h"
#include "jtree.h"
#include "kafka_topic.h"
#include "record_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENVELOPE_VERSION 2 /* io.debezium.data.Envelope.SCHEMA_VERSION */
#ifndef DBREPL_VERSION /* the Makefile sets it; builds outside it (make fuzz) may not */
#define DBREPL_VERSION "0.0.0"
#endif

static inline int put(buf *out, const void *s, size_t n)
{
	return rec_put(out, s, n);
}

static inline int put_s(buf *out, const char *s)
{
	return put(out, s, strlen(s));
}

static int put_jstr(buf *out, const char *s)
{
	return record_json_put_str(out, s, strlen(s));
}

static int put_u64(buf *out, uint64_t v)
{
	char tmp[24];
	return put(out, tmp, record_fmt_u64(tmp, v));
}


/* ---- encoding ---- */

/* What the encoder keeps of a table: its shape, to tell when a record's
 * differs, each column's Debezium type, and the JSON that only the shape
 * decides (the schemas, the column names as keys, the source block's
 * start). */
typedef struct dbz_table {
	char *ident; /* db\0schema\0table */
	size_t identlen;
	uint64_t shape_id;
	size_t ncols, nkeys;
	char **names, **types;
	uint16_t *keys;
	int16_t *key_of; /* ncols: the column's place in the key, or -1 */
	bool *excluded;  /* ncols: a column the producer excluded (record.h masks) */
	dbz_type *t;
	uint32_t *name_off; /* column i's key "name": is names_json[off[i]..off[i+1]) */
	buf names_json;
	buf key_head;   /* {"schema":…,"payload": or nothing (plain) */
	buf value_head; /* likewise for the value */
	buf source_head; /* "source":{"version":…,"name":… up to "ts_ms": */
	buf source_mid;  /* ,"db":…: between snapshot and sequence */
	buf source_tail; /* ,"schema":…,"table":…,"txId": */
	/* the transaction of the last record: data_collection_order counts
	 * this table's records in it */
	uint64_t tx_lsn;
	uint32_t tx_xid;
	uint64_t tx_count;
} dbz_table;

/* A number's text (record_fmt_u64 and a sign). */
typedef struct num_text {
	size_t len;
	char s[24];
} num_text;

struct dbz_encoder {
	dbz_encoder_opts o;
	dbz_table **slots;
	size_t cap, n;
	dbz_table *last;
	buf scratch;
	/* tables by the shape ids of the decoders' records (record.h), which
	 * are unique in the process: most records find theirs here */
	dbz_table *by_shape[64];
	/* the last record's transaction as text: every record of it (all of a
	 * snapshot) has the same LSN, xid and commit time. ms: source.ts_ms;
	 * seq: from ,"sequence": to ts_ns's value; lsn: from ,"lsn": to
	 * "total_order": (null for a snapshot's: snap_lsn); xid: the xid */
	bool tx_valid;
	uint64_t tx_lsn;
	uint32_t tx_xid;
	int64_t tx_us;
	num_text ms, xid;
	buf seq, lsn, snap_lsn;
	/* the processing time's whole seconds as text */
	int64_t now_sec;
	num_text now;
};

static void table_free(dbz_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ncols; i++) {
		free(t->names[i]);
		free(t->types[i]);
	}
	free(t->names);
	free(t->types);
	free(t->keys);
	free(t->key_of);
	free(t->excluded);
	free(t->t);
	free(t->name_off);
	free(t->ident);
	buf_free(&t->names_json);
	buf_free(&t->key_head);
	buf_free(&t->value_head);
	buf_free(&t->source_head);
	buf_free(&t->source_mid);
	buf_free(&t->source_tail);
	free(t);
}

dbz_encoder *dbz_encoder_new(const dbz_encoder_opts *o)
{
	dbz_encoder *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->o = *o;
	if (!e->o.topic_tmpl)
		e->o.topic_tmpl = KAFKA_TOPIC_DEFAULT_TEMPLATE;
	e->cap = 64;
	e->slots = calloc(e->cap, sizeof *e->slots);
	if (!e->slots) {
		free(e);
		return NULL;
	}
	buf_init(&e->scratch, 0);
	buf_init(&e->seq, 0);
	buf_init(&e->lsn, 0);
	buf_init(&e->snap_lsn, 0);
	return e;
}

void dbz_encoder_free(dbz_encoder *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->cap; i++)
		table_free(e->slots[i]);
	free(e->slots);
	buf_free(&e->scratch);
	buf_free(&e->seq);
	buf_free(&e->lsn);
	buf_free(&e->snap_lsn);
	free(e);
}

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static size_t ident(const record *r, char *out)
{
	size_t a = strlen(r->db), b = strlen(r->schema), c = strlen(r->table);
	memcpy(out, r->db, a + 1);
	memcpy(out + a + 1, r->schema, b + 1);
	memcpy(out + a + b + 2, r->table, c);
	return a + b + c + 2;
}

static dbz_table **slot_for(dbz_encoder *e, const char *id, size_t n)
{
	for (size_t i = hash_bytes(id, n) & (e->cap - 1);; i = (i + 1) & (e->cap - 1))
		if (!e->slots[i] || (e->slots[i]->identlen == n && !memcmp(e->slots[i]->ident, id, n)))
			return &e->slots[i];
}

static int grow(dbz_encoder *e)
{
	if ((e->n + 1) * 2 <= e->cap)
		return 0;
	dbz_table **old = e->slots;
	size_t ocap = e->cap;
	e->slots = calloc(ocap * 2, sizeof *e->slots);
	if (!e->slots) {
		e->slots = old;
		return -1;
	}
	e->cap = ocap * 2;
	for (size_t i = 0; i < ocap; i++)
		if (old[i])
			*slot_for(e, old[i]->ident, old[i]->identlen) = old[i];
	free(old);
	return 0;
}

static bool shape_same(const dbz_table *t, const record *r)
{
	if (r->shape_id && r->shape_id == t->shape_id)
		return true;
	if (r->ncols != t->ncols || r->nkeys != t->nkeys)
		return false;
	for (size_t i = 0; i < r->ncols; i++)
		if (strcmp(r->cols[i].name, t->names[i]) || strcmp(r->cols[i].type, t->types[i]))
			return false;
	for (size_t k = 0; k < r->nkeys; k++)
		if (r->keys[k] != t->keys[k])
			return false;
	for (size_t i = 0; i < r->ncols; i++)
		if ((record_column_mask(r, i) == RECORD_MASK_EXCLUDED) != t->excluded[i])
			return false;
	return true;
}

static const char source_schema[] =
	"{\"type\":\"struct\",\"fields\":["
	"{\"type\":\"string\",\"optional\":false,\"field\":\"version\"},"
	"{\"type\":\"string\",\"optional\":false,\"field\":\"connector\"},"
	"{\"type\":\"string\",\"optional\":false,\"field\":\"name\"},"
	"{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"},"
	"{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.data.Enum\",\"version\":1,"
	"\"parameters\":{\"allowed\":\"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental\"},"
	"\"default\":\"false\",\"field\":\"snapshot\"},"
	"{\"type\":\"string\",\"optional\":false,\"field\":\"db\"},"
	"{\"type\":\"string\",\"optional\":true,\"field\":\"sequence\"},"
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_us\"},"
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ns\"},"
	"{\"type\":\"string\",\"optional\":false,\"field\":\"schema\"},"
	"{\"type\":\"string\",\"optional\":false,\"field\":\"table\"},"
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"txId\"},"
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"lsn\"},"
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"xmin\"},"
	"{\"type\":\"string\",\"optional\":true,\"field\":\"origin\"},"
	"{\"type\":\"int64\",\"optional\":true,\"field\":\"origin_lsn\"}"
	"],\"optional\":false,\"name\":\"io.debezium.connector.postgresql.Source\",\"version\":1,\"field\":\"source\"}";

static const char tx_schema[] =
	"{\"type\":\"struct\",\"fields\":["
	"{\"type\":\"string\",\"optional\":false,\"field\":\"id\"},"
	"{\"type\":\"int64\",\"optional\":false,\"field\":\"total_order\"},"
	"{\"type\":\"int64\",\"optional\":false,\"field\":\"data_collection_order\"}"
	"],\"optional\":true,\"name\":\"event.block\",\"version\":1,\"field\":\"transaction\"}";

/* The fields of the table's Value (or Key) struct. */
static int put_fields(buf *out, const dbz_table *t, bool key_only)
{
	if (put_s(out, "[") < 0)
		return -1;
	size_t n = key_only ? t->nkeys : t->ncols;
	bool first = true;
	for (size_t j = 0; j < n; j++) {
		size_t i = key_only ? t->keys[j] : j;
		/* an excluded column is not in the events, as with Debezium's
		 * column.exclude.list */
		if (t->excluded[i])
			continue;
		bool is_key = false;
		for (size_t k = 0; k < t->nkeys && !is_key; k++)
			is_key = t->keys[k] == i;
		/* records do not say which columns are NOT NULL: all but the
		 * key's are optional */
		if ((!first && put(out, ",", 1) < 0) ||
		    dbz_schema_put(out, &t->t[i], t->types[i], !is_key, t->names[i]) < 0)
			return -1;
		first = false;
	}
	return put_s(out, "]");
}

/* Fills t's JSON fragments for table r (shape copied already). */
static int table_build(dbz_encoder *e, dbz_table *t, const record *r)
{
	char topic[KAFKA_TOPIC_MAX + 1];
	if (kafka_topic_expand(e->o.topic_tmpl, e->o.prefix, r->db, r->schema, r->table, topic, sizeof topic) < 0)
		snprintf(topic, sizeof topic, "%s", "_"); /* kpub refuses such a record before it gets here */
	const char *name = e->o.prefix ? e->o.prefix : r->db;
	buf_reset(&t->names_json);
	for (size_t i = 0; i < t->ncols; i++) {
		t->name_off[i] = (uint32_t)t->names_json.len;
		if (put_jstr(&t->names_json, t->names[i]) < 0 || put(&t->names_json, ":", 1) < 0)
			return -1;
	}
	t->name_off[t->ncols] = (uint32_t)t->names_json.len;
	buf_reset(&t->key_head);
	buf_reset(&t->value_head);
	if (e->o.schema) {
		buf *k = &t->key_head, *v = &t->value_head;
		char sname[KAFKA_TOPIC_MAX + 16];
		if (put_s(k, "{\"schema\":{\"type\":\"struct\",\"fields\":") < 0 || put_fields(k, t, true) < 0 ||
		    put_s(k, ",\"optional\":false,\"name\":") < 0)
			return -1;
		snprintf(sname, sizeof sname, "%s.Key", topic);
		if (put_jstr(k, sname) < 0 || put_s(k, "},\"payload\":") < 0)
			return -1;
		snprintf(sname, sizeof sname, "%s.Value", topic);
		if (put_s(v, "{\"schema\":{\"type\":\"struct\",\"fields\":[") < 0)
			return -1;
		for (int img = 0; img < 2; img++) {
			if (put_s(v, "{\"type\":\"struct\",\"fields\":") < 0 || put_fields(v, t, false) < 0 ||
			    put_s(v, ",\"optional\":true,\"name\":") < 0 || put_jstr(v, sname) < 0 ||
			    put_s(v, img ? ",\"field\":\"after\"}," : ",\"field\":\"before\"},") < 0)
				return -1;
		}
		snprintf(sname, sizeof sname, "%s.Envelope", topic);
		if (put_s(v, source_schema) < 0 || put(v, ",", 1) < 0 || put_s(v, tx_schema) < 0 ||
		    put_s(v, ",{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},"
			     "{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"},"
			     "{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_us\"},"
			     "{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ns\"}],\"optional\":false,\"name\":") < 0 ||
		    put_jstr(v, sname) < 0 || buf_printf(v, ",\"version\":%d},\"payload\":", ENVELOPE_VERSION) < 0)
			return -1;
	}
	buf_reset(&t->source_head);
	buf_reset(&t->source_mid);
	buf_reset(&t->source_tail);
	if (put_s(&t->source_head, "\"source\":{\"version\":\"dbrepl-" DBREPL_VERSION "\",\"connector\":\"postgresql\",\"name\":") < 0 ||
	    put_jstr(&t->source_head, name) < 0 || put_s(&t->source_head, ",\"ts_ms\":") < 0 ||
	    put_s(&t->source_mid, ",\"db\":") < 0 || put_jstr(&t->source_mid, r->db) < 0 ||
	    put_s(&t->source_tail, ",\"schema\":") < 0 || put_jstr(&t->source_tail, r->schema) < 0 ||
	    put_s(&t->source_tail, ",\"table\":") < 0 || put_jstr(&t->source_tail, r->table) < 0 ||
	    put_s(&t->source_tail, ",\"txId\":") < 0)
		return -1;
	return 0;
}

/* The table entry of r, made or remade when its shape changed. */
static dbz_table *table_for(dbz_encoder *e, const record *r)
{
	dbz_table **cached = &e->by_shape[r->shape_id & 63];
	if (r->shape_id && *cached && (*cached)->shape_id == r->shape_id)
		return *cached;
	char id[3 * (RECORD_NAME_MAX + 1)];
	if (strlen(r->db) > RECORD_NAME_MAX || strlen(r->schema) > RECORD_NAME_MAX || strlen(r->table) > RECORD_NAME_MAX)
		return NULL;
	size_t n = ident(r, id);
	/* runs of one table's records are the usual */
	if (e->last && e->last->identlen == n && !memcmp(e->last->ident, id, n) && shape_same(e->last, r))
		return e->last;
	if (grow(e) < 0)
		return NULL;
	dbz_table **slot = slot_for(e, id, n);
	dbz_table *t = *slot;
	if (t && shape_same(t, r)) {
		t->shape_id = r->shape_id;
		if (r->shape_id)
			*cached = t;
		return e->last = t;
	}
	dbz_table *nt = calloc(1, sizeof *nt);
	if (!nt)
		return NULL;
	nt->ident = malloc(n);
	nt->names = calloc(r->ncols + 1, sizeof *nt->names);
	nt->types = calloc(r->ncols + 1, sizeof *nt->types);
	nt->keys = calloc(r->nkeys + 1, sizeof *nt->keys);
	nt->t = calloc(r->ncols + 1, sizeof *nt->t);
	nt->name_off = calloc(r->ncols + 1, sizeof *nt->name_off);
	nt->key_of = calloc(r->ncols + 1, sizeof *nt->key_of);
	nt->excluded = calloc(r->ncols + 1, sizeof *nt->excluded);
	bool ok = nt->ident && nt->names && nt->types && nt->keys && nt->t && nt->name_off && nt->key_of &&
		  nt->excluded;
	if (ok) {
		memcpy(nt->ident, id, n);
		nt->identlen = n;
	}
	for (size_t i = 0; ok && i < r->ncols; i++) {
		nt->names[i] = strdup(r->cols[i].name);
		nt->types[i] = strdup(r->cols[i].type);
		ok = nt->names[i] && nt->types[i];
		nt->ncols = i + 1;
		if (ok)
			dbz_type_from_pg(nt->types[i], &nt->t[i]);
		if (ok)
			nt->excluded[i] = record_column_mask(r, i) == RECORD_MASK_EXCLUDED;
	}
	if (ok) {
		if (r->nkeys)
			memcpy(nt->keys, r->keys, r->nkeys * sizeof *nt->keys);
		nt->nkeys = r->nkeys;
		for (size_t i = 0; i < r->ncols; i++)
			nt->key_of[i] = -1;
		for (size_t k = 0; k < r->nkeys && k < INT16_MAX; k++)
			nt->key_of[r->keys[k]] = (int16_t)k;
		nt->shape_id = r->shape_id;
		buf_init(&nt->names_json, 0);
		buf_init(&nt->key_head, 0);
		buf_init(&nt->value_head, 0);
		buf_init(&nt->source_head, 0);
		buf_init(&nt->source_mid, 0);
		buf_init(&nt->source_tail, 0);
		ok = table_build(e, nt, r) == 0;
	}
	if (!ok) {
		table_free(nt);
		return NULL;
	}
	if (t) {
		nt->tx_lsn = t->tx_lsn;
		nt->tx_xid = t->tx_xid;
		nt->tx_count = t->tx_count;
		for (size_t i = 0; i < sizeof e->by_shape / sizeof e->by_shape[0]; i++)
			if (e->by_shape[i] == t)
				e->by_shape[i] = NULL;
		table_free(t);
	} else {
		e->n++;
	}
	*slot = nt;
	if (r->shape_id)
		*cached = nt;
	return e->last = nt;
}

static int value_err(char *err, size_t errlen, const char *col, const char *why)
{
	return record_errf(err, errlen, "column \"%s\": %s", col, why);
}

/* An image as a JSON object: the columns it holds (absent and unchanged
 * ones are left out). */
/* Where a key column's value went in the event's value: the key copies
 * it from there rather than convert it again. */
#define KEY_SPANS 16
typedef struct key_span {
	size_t at, len; /* len 0: not written */
} key_span;

/* An image as a JSON object: the columns it holds (absent and unchanged
 * ones are left out); spans (KEY_SPANS, or NULL) gets where the first
 * key columns' values are in out. */
static int put_image(buf *out, const dbz_table *t, const record_value *img, size_t ncols, bool checked,
		     key_span *spans, char *err, size_t errlen)
{
	if (put(out, "{", 1) < 0)
		return -1;
	bool first = true;
	for (size_t i = 0; i < ncols; i++) {
		const record_value *v = &img[i];
		if (v->kind != VALUE_TEXT && v->kind != VALUE_NULL)
			continue;
		if (!first && put(out, ",", 1) < 0)
			return -1;
		first = false;
		if (put(out, t->names_json.data + t->name_off[i], t->name_off[i + 1] - t->name_off[i]) < 0)
			return -1;
		size_t at = out->len;
		if (v->kind == VALUE_NULL) {
			if (put_s(out, "null") < 0)
				return -1;
		} else {
			char why[300];
			if (dbz_value_put(out, &t->t[i], v->data, v->len, checked, why, sizeof why) < 0)
				return value_err(err, errlen, t->names[i], why[0] ? why : "out of memory");
			if (dbz_value_is_placeholder(&t->t[i], v->data, v->len, out->data + at, out->len - at))
				return value_err(err, errlen, t->names[i],
						 "its Debezium form is the unavailable-value placeholder "
						 "(\"" DBZ_PLACEHOLDER "\"), which a reader takes for an unchanged TOAST value");
		}
		int k = t->key_of[i];
		if (spans && k >= 0 && k < KEY_SPANS)
			spans[k] = (key_span){at, out->len - at};
	}
	return put(out, "}", 1);
}

static void num(num_text *t, int64_t v)
{
	t->len = 0;
	if (v < 0)
		t->s[t->len++] = '-';
	t->len += record_fmt_u64(t->s + t->len, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
}

/* The processing time, ns since 1970, as the values of ts_ms, ts_us and
 * ts_ns (the first key written already): the three are prefixes of one
 * number, whose whole seconds change once a second. */
static int put_now(buf *v, dbz_encoder *e, int64_t ns)
{
	if (ns < 1000000000) {
		int64_t us = ns / 1000 - (ns % 1000 < 0), ms = ns / 1000000 - (ns % 1000000 < 0);
		return buf_printf(v, "%" PRId64 ",\"ts_us\":%" PRId64 ",\"ts_ns\":%" PRId64, ms, us, ns);
	}
	int64_t sec = ns / 1000000000;
	if (sec != e->now_sec || !e->now.len) {
		num(&e->now, sec);
		e->now_sec = sec;
	}
	static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
				    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
				    "8081828384858687888990919293949596979899";
	char d[9];
	uint32_t f = (uint32_t)(ns % 1000000000);
	d[8] = (char)('0' + f % 10);
	f /= 10;
	for (int i = 6; i >= 0; i -= 2, f /= 100) {
		d[i] = pairs[f % 100 * 2];
		d[i + 1] = pairs[f % 100 * 2 + 1];
	}
	/* S ddd ,"ts_us": S dddddd ,"ts_ns": S ddddddddd */
	size_t sl = e->now.len, n = 3 * sl + 18 + 18;
	if (rec_room(v, n) < 0)
		return -1;
	char *o = v->data + v->len;
	memcpy(o, e->now.s, sl);
	memcpy(o + sl, d, 3);
	o += sl + 3;
	memcpy(o, ",\"ts_us\":", 9);
	memcpy(o + 9, e->now.s, sl);
	memcpy(o + 9 + sl, d, 6);
	o += 9 + sl + 6;
	memcpy(o, ",\"ts_ns\":", 9);
	memcpy(o + 9, e->now.s, sl);
	memcpy(o + 9 + sl, d, 9);
	v->len += n;
	return 0;
}

/* source.ts_ns of a commit time of us µs (its text u): the µs and three
 * zeros. A time whose ns are beyond int64 (before 1677-09-21T00:12:43.145225Z
 * or after 2262-04-11T23:47:16.854775Z; records allow the years 0000 to
 * 9999) is null: the Source schema has ts_ns an optional int64, and the
 * time is exact in ts_us and ts_ms (Debezium's own epochSecond * 10^9
 * wraps around, a wrong time; refusing the change would stop the stream
 * for a field that only repeats the time). */
static int put_ts_ns(buf *out, int64_t us, const num_text *u)
{
	if (us < INT64_MIN / 1000 || us > INT64_MAX / 1000)
		return put_s(out, "null");
	return put(out, u->s, u->len) < 0 ? -1 : put_s(out, "000");
}

/* "source":{…},"transaction": and then null for a snapshot, else
 * {"id":"XID","total_order": (the orders follow per record). What only
 * the transaction decides is made once per transaction. */
static int put_source(buf *v, dbz_encoder *e, const dbz_table *t, const record *r, bool snap)
{
	if (!e->tx_valid || e->tx_lsn != r->lsn || e->tx_xid != r->xid || e->tx_us != r->commit_us) {
		int64_t us = r->commit_us;
		num_text l, u;
		num(&l, (int64_t)r->lsn);
		num(&u, us);
		if (us >= 1000000) { /* ms: the µs text less its last three digits */
			memcpy(e->ms.s, u.s, u.len - 3);
			e->ms.len = u.len - 3;
		} else {
			num(&e->ms, us / 1000 - (us % 1000 < 0));
		}
		num(&e->xid, r->xid);
		buf_reset(&e->seq);
		buf_reset(&e->lsn);
		buf_reset(&e->snap_lsn);
		if (put_s(&e->seq, ",\"sequence\":\"[\\\"") < 0 || put(&e->seq, l.s, l.len) < 0 ||
		    put_s(&e->seq, "\\\",\\\"") < 0 || put(&e->seq, l.s, l.len) < 0 ||
		    put_s(&e->seq, "\\\"]\",\"ts_us\":") < 0 || put(&e->seq, u.s, u.len) < 0 ||
		    put_s(&e->seq, ",\"ts_ns\":") < 0 || put_ts_ns(&e->seq, us, &u) < 0 ||
		    put_s(&e->lsn, ",\"lsn\":") < 0 || put(&e->lsn, l.s, l.len) < 0 ||
		    put_s(&e->lsn, ",\"xmin\":null,\"origin\":null,\"origin_lsn\":null},\"transaction\":") < 0 ||
		    put(&e->snap_lsn, e->lsn.data, e->lsn.len) < 0 || put_s(&e->snap_lsn, "null") < 0 ||
		    put_s(&e->lsn, "{\"id\":\"") < 0 || put(&e->lsn, e->xid.s, e->xid.len) < 0 ||
		    put_s(&e->lsn, "\",\"total_order\":") < 0)
			return -1;
		/* ns: the µs and three zeros, but for a zero time */
		if (us == 0 && (buf_reset(&e->seq), put_s(&e->seq, ",\"sequence\":\"[\\\"") < 0 ||
				put(&e->seq, l.s, l.len) < 0 || put_s(&e->seq, "\\\",\\\"") < 0 ||
				put(&e->seq, l.s, l.len) < 0 || put_s(&e->seq, "\\\"]\",\"ts_us\":0,\"ts_ns\":0") < 0))
			return -1;
		e->tx_lsn = r->lsn;
		e->tx_xid = r->xid;
		e->tx_us = us;
		e->tx_valid = true;
	}
	const buf *tail = snap ? &e->snap_lsn : &e->lsn;
	if (put(v, t->source_head.data, t->source_head.len) < 0 || put(v, e->ms.s, e->ms.len) < 0 ||
	    put_s(v, snap ? ",\"snapshot\":\"true\"" : ",\"snapshot\":\"false\"") < 0 ||
	    put(v, t->source_mid.data, t->source_mid.len) < 0 || put(v, e->seq.data, e->seq.len) < 0 ||
	    put(v, t->source_tail.data, t->source_tail.len) < 0 || put(v, e->xid.s, e->xid.len) < 0)
		return -1;
	return put(v, tail->data, tail->len);
}

bool dbz_key_changes(const record *r)
{
	if (r->op != RECORD_OP_UPDATE || !r->has_before || !r->before || !r->has_after || !r->after || !r->nkeys)
		return false;
	bool changed = false;
	for (size_t k = 0; k < r->nkeys; k++) {
		const record_value *a = &r->before[r->keys[k]], *b = &r->after[r->keys[k]];
		if (a->kind != b->kind || (a->kind == VALUE_TEXT && (a->len != b->len || memcmp(a->data, b->data, a->len))))
			changed = true;
	}
	if (!changed)
		return false;
	/* a create cannot say that a value is unchanged: such an update stays one */
	for (size_t i = 0; i < r->ncols; i++)
		if (r->after[i].kind == VALUE_UNCHANGED)
			return false;
	return true;
}

int dbz_encode(dbz_encoder *e, const record *r, enum dbz_part part, int64_t now_ns, buf *key, bool *has_key,
	       buf *value, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!r->db || !r->schema || !r->table || !record_op_name(r->op))
		return record_errf(err, errlen, "not a complete record");
	dbz_table *t = table_for(e, r);
	if (!t)
		return record_errf(err, errlen, "out of memory (or a name longer than %d bytes)", RECORD_NAME_MAX);
	/* what the event is: the record, or one half of a key change */
	char op = part == DBZ_PART_OLD ? RECORD_OP_DELETE : part == DBZ_PART_NEW ? RECORD_OP_INSERT : r->op;
	const record_value *before = r->has_before && part != DBZ_PART_NEW ? r->before : NULL;
	const record_value *after = r->has_after && part != DBZ_PART_OLD ? r->after : NULL;

	/* the value */
	buf *v = value;
	key_span bspans[KEY_SPANS], aspans[KEY_SPANS];
	size_t nk = r->nkeys < KEY_SPANS ? r->nkeys : KEY_SPANS;
	for (size_t k = 0; k < nk; k++)
		bspans[k].len = aspans[k].len = 0;
	if (put(v, t->value_head.data, t->value_head.len) < 0 || put_s(v, "{\"before\":") < 0)
		return record_errf(err, errlen, "out of memory");
	if (before ? put_image(v, t, before, r->ncols, r->checked, bspans, err, errlen) < 0 : put_s(v, "null") < 0)
		return -1;
	if (put_s(v, ",\"after\":") < 0)
		return -1;
	if (after ? put_image(v, t, after, r->ncols, r->checked, aspans, err, errlen) < 0 : put_s(v, "null") < 0)
		return -1;
	bool snap = op == RECORD_OP_READ;
	if (put(v, ",", 1) < 0 || put_source(v, e, t, r, snap) < 0)
		return record_errf(err, errlen, "out of memory");
	/* the transaction block of provide.transaction.metadata: the id is
	 * the xid, the orders count from 1; a snapshot has none */
	if (!snap) {
		if (t->tx_lsn != r->lsn || t->tx_xid != r->xid || !t->tx_count) {
			t->tx_lsn = r->lsn;
			t->tx_xid = r->xid;
			t->tx_count = 0;
		}
		t->tx_count++;
		if (put_u64(v, r->seq) < 0 || put_s(v, ",\"data_collection_order\":") < 0 ||
		    put_u64(v, t->tx_count) < 0 || put(v, "}", 1) < 0)
			return record_errf(err, errlen, "out of memory");
	}
	char opf[] = ",\"op\":\"x\",\"ts_ms\":";
	opf[7] = op;
	if (put_s(v, opf) < 0 || put_now(v, e, now_ns) < 0 || put(v, "}", 1) < 0 ||
	    (e->o.schema && put(v, "}", 1) < 0))
		return record_errf(err, errlen, "out of memory");

	/* the key: the key columns' values, null for a truncate; as the value
	 * wrote them, when it did */
	*has_key = r->nkeys > 0 && op != RECORD_OP_TRUNCATE;
	if (!*has_key)
		return 0;
	if (put(key, t->key_head.data, t->key_head.len) < 0 || put(key, "{", 1) < 0)
		return record_errf(err, errlen, "out of memory");
	for (size_t k = 0; k < r->nkeys; k++) {
		size_t c = r->keys[k];
		const record_value *kv = part == DBZ_PART_OLD ? &r->before[c] : record_key_value(r, c);
		const key_span *sp = k >= KEY_SPANS ? NULL
				     : after && kv == &after[c] ? &aspans[k] : before && kv == &before[c] ? &bspans[k] : NULL;
		if ((k && put(key, ",", 1) < 0) ||
		    put(key, t->names_json.data + t->name_off[c], t->name_off[c + 1] - t->name_off[c]) < 0)
			return record_errf(err, errlen, "out of memory");
		char why[300];
		if (sp && sp->len) {
			if (put(key, v->data + sp->at, sp->len) < 0)
				return record_errf(err, errlen, "out of memory");
		} else if (kv->kind == VALUE_TEXT ? dbz_value_put(key, &t->t[c], kv->data, kv->len, r->checked, why,
								   sizeof why) < 0
						   : put_s(key, "null") < 0) {
			return value_err(err, errlen, t->names[c], why);
		}
	}
	if (put(key, "}", 1) < 0 || (e->o.schema && put(key, "}", 1) < 0))
		return record_errf(err, errlen, "out of memory");
	return 0;
}

/* ---- detection ---- */

/* The index after the JSON value at s[i] (or n when it does not end):
 * enough to step over values whose validity the decoder judges later. */
static size_t skip_json(const char *s, size_t i, size_t n)
{
	int depth = 0;
	while (i < n) {
		char c = s[i];
		if (c == '"') {
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			i++;
			if (depth == 0)
				return i;
			continue;
		}
		if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return i;
			if (--depth == 0)
				return i + 1;
		} else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
			return i;
		}
		i++;
	}
	return n;
}

static size_t skip_ws(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

bool record_is_debezium(const void *data, size_t len)
{
	const char *s = data;
	/* what our encoders write, at once */
	if (len >= 5 && !memcmp(s, "{\"v\":", 5))
		return false;
	size_t i = skip_ws(s, 0, len);
	if (i >= len || s[i] != '{')
		return false;
	enum { K_V = 1, K_OP = 2, K_SOURCE = 4, K_SCHEMA = 8, K_PAYLOAD = 16, K_STATUS = 32, K_COLLECTIONS = 64 };
	unsigned seen = 0;
	i = skip_ws(s, i + 1, len);
	while (i < len && s[i] == '"') {
		size_t k = i + 1, e = k;
		while (e < len && s[e] != '"' && s[e] != '\\')
			e++;
		if (e >= len || s[e] != '"')
			return false; /* a key with escapes: none of ours */
		size_t kl = e - k;
#define KEY(w, bit) \
	if (kl == sizeof w - 1 && !memcmp(s + k, w, kl)) \
		seen |= bit;
		KEY("v", K_V)
		KEY("op", K_OP)
		KEY("source", K_SOURCE)
		KEY("schema", K_SCHEMA)
		KEY("payload", K_PAYLOAD)
		KEY("status", K_STATUS)
		KEY("data_collections", K_COLLECTIONS)
#undef KEY
		i = skip_ws(s, e + 1, len);
		if (i >= len || s[i] != ':')
			return false;
		i = skip_json(s, skip_ws(s, i + 1, len), len);
		i = skip_ws(s, i, len);
		if (i >= len || s[i] != ',')
			break;
		i = skip_ws(s, i + 1, len);
	}
	if (seen & K_V)
		return false;
	return (seen & (K_SCHEMA | K_PAYLOAD)) == (K_SCHEMA | K_PAYLOAD) ||
	       (seen & (K_OP | K_SOURCE)) == (K_OP | K_SOURCE) ||
	       (seen & (K_STATUS | K_COLLECTIONS)) == (K_STATUS | K_COLLECTIONS);
}

/* ---- decoding ---- */

typedef struct dcol {
	const char *name;
	size_t nlen;
	dbz_type t;
	char pgtype[RECORD_NAME_MAX + 1];
	bool typed; /* t and pgtype known */
	bool by_schema; /* typed by a schema: the values need not say more */
	int known;  /* without a schema: what the values said (DBZ_JSON_*) */
} dcol;

typedef struct dctx {
	record *r;
	char *err;
	size_t errlen;
	dcol *cols;
	size_t n, cap;
	buf val;
} dctx;

static void *tree_alloc(void *ctx, size_t n, size_t align)
{
	return record_alloc(ctx, n, align);
}

static int derr(dctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int derr(dctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	record_verrf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int col_find(const dctx *c, const char *name, size_t n)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->cols[i].nlen == n && !memcmp(c->cols[i].name, name, n))
			return (int)i;
	return -1;
}

/* The column named name, added when new. */
static int col_get(dctx *c, const char *name, size_t n)
{
	int i = col_find(c, name, n);
	if (i >= 0)
		return i;
	if (n == 0 || n > RECORD_NAME_MAX || memchr(name, '\0', n))
		return derr(c, "column name \"%.*s\" is empty, longer than %d bytes or holds NUL", (int)(n > 60 ? 60 : n),
			    name, RECORD_NAME_MAX);
	if (c->n == RECORD_MAX_COLUMNS)
		return derr(c, "more than %d columns", RECORD_MAX_COLUMNS);
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 32;
		dcol *p = realloc(c->cols, ncap * sizeof *p);
		if (!p)
			return derr(c, "out of memory");
		c->cols = p;
		c->cap = ncap;
	}
	dcol *d = &c->cols[c->n];
	memset(d, 0, sizeof *d);
	d->name = name;
	d->nlen = n;
	/* a column no value types (only nulls and placeholders): its values
	 * are read as a schemaless event's JSON text */
	d->t.kind = DBZ_JSON_TEXT;
	return (int)c->n++;
}

/* The columns and types of a struct schema's "fields". */
static int cols_from_schema(dctx *c, const jt_node *st, const char *what)
{
	const jt_node *fields = jt_get(st, "fields");
	if (!fields || fields->type != JT_ARRAY)
		return derr(c, "%s schema has no \"fields\"", what);
	for (const jt_node *f = fields->first; f; f = f->next) {
		const jt_node *fn = jt_get(f, "field");
		if (!fn || fn->type != JT_STRING)
			return derr(c, "a field of the %s schema has no \"field\" name", what);
		int i = col_get(c, fn->s, fn->len);
		if (i < 0)
			return -1;
		dcol *d = &c->cols[i];
		if (d->typed)
			continue;
		char why[300];
		if (dbz_type_from_schema(f, &d->t, d->pgtype, sizeof d->pgtype, why, sizeof why) < 0)
			return derr(c, "column \"%.*s\": %s", (int)d->nlen, d->name, why);
		d->typed = d->by_schema = true;
	}
	return 0;
}

/* The columns an image object names, typed from their values when no
 * schema typed them: each image (and the key) may say more (the elements
 * of an array empty in the other, say), and none may contradict another. */
static int cols_from_image(dctx *c, const jt_node *img)
{
	if (!img || img->type != JT_OBJECT)
		return 0;
	for (const jt_node *m = img->first; m; m = m->next) {
		int i = col_get(c, m->key, m->klen);
		if (i < 0)
			return -1;
		dcol *d = &c->cols[i];
		/* a scalar number or string where one was seen: nothing new
		 * (the common case, said without a call) */
		if (d->by_schema || (d->known == DBZ_JSON_KNOWN && d->t.kind == DBZ_JSON_TEXT && !d->t.array &&
				     (m->type == JT_NUMBER || m->type == JT_STRING)))
			continue;
		if (jt_str_is(m, DBZ_PLACEHOLDER))
			continue;
		char why[300];
		if (dbz_type_refine_json(m, &d->t, d->pgtype, sizeof d->pgtype, &d->known, why, sizeof why) < 0)
			return derr(c, "column \"%.*s\": %s (the event carries no schema)", (int)d->nlen, d->name, why);
		d->typed = d->known != DBZ_JSON_NOTHING;
	}
	return 0;
}

/* The payload of a key or value: JsonConverter's "payload" when the JSON
 * is {"schema","payload"}, else the JSON itself; *schema the schema node
 * (NULL when none or JSON null). */
static const jt_node *unwrap(const jt_node *root, const jt_node **schema)
{
	*schema = NULL;
	if (root->type == JT_OBJECT && root->len == 2) {
		const jt_node *s = jt_get(root, "schema"), *p = jt_get(root, "payload");
		if (s && p) {
			*schema = s->type == JT_OBJECT ? s : NULL;
			return p;
		}
	}
	return root;
}

/* The string member key of o into the record's storage; NULL with err when
 * it is missing, no string, empty or too long. */
static const char *get_name(dctx *c, const jt_node *o, const char *key)
{
	const jt_node *v = jt_get(o, key);
	if (!v || v->type != JT_STRING) {
		derr(c, "\"source\" has no string \"%s\"", key);
		return NULL;
	}
	if (v->len == 0 || v->len > RECORD_NAME_MAX || memchr(v->s, '\0', v->len)) {
		derr(c, "source.%s is empty or longer than %d bytes", key, RECORD_NAME_MAX);
		return NULL;
	}
	const char *s = record_text_copy(c->r, v->s, v->len);
	if (!s)
		derr(c, "out of memory");
	return s;
}

/* An integer member of o (JSON number, or a string of digits as some
 * writers quote int64), or false. */
static bool get_int(const jt_node *o, const char *key, int64_t *out)
{
	const jt_node *v = jt_get(o, key);
	if (!v || (v->type != JT_NUMBER && v->type != JT_STRING) || (v->type == JT_NUMBER && !v->is_int))
		return false;
	return record_int_text_valid(v->s, v->len, out);
}

/* A commit time: 0 when absent or null, 1 with *out, -1 when there but no
 * integer of 64 bits (taking another field then would change the time). */
static int get_time(const jt_node *o, const char *key, int64_t *out)
{
	const jt_node *v = jt_get(o, key);
	if (!v || v->type == JT_NULL)
		return 0;
	return get_int(o, key, out) ? 1 : -1;
}

/* Fills image img from the object o; unchanged: what a column missing
 * from o, or holding the placeholder, is (UNCHANGED in an update's after,
 * else ABSENT). before: the update's before image when there is one. */
static int fill_image(dctx *c, const jt_node *o, record_value *img, bool after_of_update, bool typed_cols,
		      const record_value *before, const char *what)
{
	bool *seen = calloc(c->n + 1, sizeof *seen);
	if (!seen)
		return derr(c, "out of memory");
	int rc = 0;
	for (const jt_node *m = o->first; m && rc == 0; m = m->next) {
		int i = col_find(c, m->key, m->klen);
		if (i < 0) {
			rc = derr(c, "\"%s\" names column \"%.*s\" that the schema does not", what, (int)m->klen, m->key);
			break;
		}
		if (seen[i]) {
			rc = derr(c, "\"%s\" names column \"%.*s\" twice", what, (int)m->klen, m->key);
			break;
		}
		seen[i] = true;
		dcol *d = &c->cols[i];
		if (m->type == JT_NULL) {
			img[i].kind = VALUE_NULL;
			continue;
		}
		char why[300];
		int got = dbz_value_get(&d->t, m, &c->val, why, sizeof why);
		if (got < 0) {
			rc = derr(c, "%s: column \"%.*s\" (%s): %s", what, (int)d->nlen, d->name, d->pgtype, why);
			break;
		}
		if (got == DBZ_GOT_PLACEHOLDER) {
			img[i].kind = after_of_update ? VALUE_UNCHANGED : VALUE_ABSENT;
			continue;
		}
		char *s = record_text_copy(c->r, c->val.data, c->val.len);
		if (!s) {
			rc = derr(c, "out of memory");
			break;
		}
		img[i] = (record_value){VALUE_TEXT, s, c->val.len};
	}
	/* a column the schema has and the update's after leaves out is an
	 * unchanged TOAST value (kpub leaves those out); without a schema, a
	 * column the before image has (REPLICA IDENTITY FULL), not NULL: the
	 * target keeps it */
	for (size_t i = 0; rc == 0 && after_of_update && i < c->n; i++)
		if (!seen[i] && (typed_cols || (before && before[i].kind != VALUE_ABSENT)))
			img[i].kind = VALUE_UNCHANGED;
	free(seen);
	return rc;
}

static record_value *new_image(dctx *c)
{
	size_t n = c->n ? c->n : 1;
	record_value *img = record_alloc(c->r, n * sizeof *img, 8);
	if (img)
		memset(img, 0, n * sizeof *img);
	return img;
}

void record_debezium_stream(char *out, const char *name)
{
	size_t n = (size_t)snprintf(out, POS_STREAM_MAX + 1, "debezium/%s", name);
	if (n > POS_STREAM_MAX)
		n = POS_STREAM_MAX;
	for (size_t i = 9; i < n; i++)
		if ((unsigned char)out[i] <= ' ' || (unsigned char)out[i] >= 0x7f)
			out[i] = '_';
}

/* The first key that object o has twice, or NULL. For the few fields of
 * an envelope or a block: quadratic. */
static const jt_node *dup_key(const jt_node *o)
{
	for (const jt_node *a = o && o->type == JT_OBJECT ? o->first : NULL; a; a = a->next)
		for (const jt_node *b = a->next; b; b = b->next)
			if (a->klen == b->klen && !memcmp(a->key, b->key, a->klen))
				return a;
	return NULL;
}

static int decode(dctx *c, const void *value, size_t vlen, const void *key, size_t klen, uint64_t ordinal)
{
	record *r = c->r;
	char why[300];
	jt_node *root = jt_parse(value, vlen, tree_alloc, r, why, sizeof why);
	if (!root)
		return derr(c, "%s", why);
	const jt_node *vschema, *p = unwrap(root, &vschema);
	if (p->type != JT_OBJECT)
		return derr(c, "the event's payload is not an object");
	const jt_node *dup = dup_key(root);
	if (!dup && p != root)
		dup = dup_key(p);
	if (!dup)
		dup = dup_key(jt_get(p, "source"));
	if (dup)
		return derr(c, "duplicate key \"%.*s\"", (int)(dup->klen > 60 ? 60 : dup->klen), dup->key);
	const jt_node *opn = jt_get(p, "op"), *src = jt_get(p, "source");
	if (!opn && jt_get(p, "status") && jt_get(p, "data_collections")) {
		const jt_node *st = jt_get(p, "status");
		derr(c, "a transaction %.*s event (provide.transaction.metadata), not a change",
		     st->type == JT_STRING && st->len < 16 ? (int)st->len : 1, st->type == JT_STRING ? st->s : "?");
		return DBZ_NOT_A_CHANGE;
	}
	if (!opn || opn->type != JT_STRING)
		return derr(c, "the event has no \"op\"");
	if (opn->len != 1 || !strchr("crudt", opn->s[0]))
		return derr(c, "op \"%.*s\" is not a change of rows (c, r, u, d or t)", (int)(opn->len > 8 ? 8 : opn->len),
			    opn->s);
	if (!src || src->type != JT_OBJECT)
		return derr(c, "the event has no \"source\" block");
	r->version = RECORD_FORMAT_VERSION;
	r->op = opn->s[0];
	if (!(r->db = get_name(c, src, "db")) || !(r->schema = get_name(c, src, "schema")) ||
	    !(r->table = get_name(c, src, "table")))
		return -1;

	/* columns: the Value struct of the envelope's schema, else the
	 * images' members; then the key's */
	const jt_node *before = jt_get(p, "before"), *after = jt_get(p, "after");
	bool typed_cols = false;
	if (vschema) {
		const jt_node *fields = jt_get(vschema, "fields");
		for (const jt_node *f = fields && fields->type == JT_ARRAY ? fields->first : NULL; f; f = f->next)
			if (jt_str_is(jt_get(f, "field"), "after") || jt_str_is(jt_get(f, "field"), "before")) {
				if (cols_from_schema(c, f, "the Value") < 0)
					return -1;
				typed_cols = true;
				break;
			}
	}
	/* with a schema, the images may name only its fields */
	if (!typed_cols && (cols_from_image(c, after) < 0 || cols_from_image(c, before) < 0))
		return -1;
	size_t nkeys = 0;
	uint16_t keys[RECORD_MAX_COLUMNS];
	if (key && klen) {
		jt_node *kroot = jt_parse(key, klen, tree_alloc, r, why, sizeof why);
		if (!kroot)
			return derr(c, "message key: %s", why);
		const jt_node *kschema, *kp = unwrap(kroot, &kschema);
		if (kp->type != JT_OBJECT && kp->type != JT_NULL)
			return derr(c, "the message key is not an object");
		/* the key's schema adds only types (the value's has them):
		 * one written otherwise than JsonConverter writes it, as in an
		 * example of Debezium's documentation, is not used */
		if (kschema && cols_from_schema(c, kschema, "the Key") < 0 && c->err && c->errlen)
			c->err[0] = '\0';
		if (kp->type == JT_OBJECT && cols_from_image(c, kp) < 0)
			return -1;
		for (const jt_node *m = kp->type == JT_OBJECT ? kp->first : NULL; m; m = m->next) {
			int i = col_find(c, m->key, m->klen);
			for (size_t k = 0; k < nkeys; k++)
				if (keys[k] == i)
					return derr(c, "the message key names \"%.*s\" twice", (int)m->klen, m->key);
			keys[nkeys++] = (uint16_t)i;
		}
	}
	/* a truncate has no key (Debezium's has none) and needs no columns */
	if (r->op == RECORD_OP_TRUNCATE) {
		c->n = 0;
		nkeys = 0;
	}
	if (record_set_shape(r, c->n, false, false) < 0)
		return derr(c, "out of memory");
	for (size_t i = 0; i < c->n; i++) {
		char name[RECORD_NAME_MAX + 1];
		memcpy(name, c->cols[i].name, c->cols[i].nlen);
		name[c->cols[i].nlen] = '\0';
		/* a column only ever null tells nothing of its type */
		if (record_set_column(r, i, name, c->cols[i].typed ? c->cols[i].pgtype : "text") < 0)
			return derr(c, "out of memory");
	}
	if (record_set_keys(r, keys, nkeys) < 0)
		return derr(c, "out of memory");

	/* images */
	if (before && before->type == JT_OBJECT) {
		if (!(r->before = new_image(c)))
			return derr(c, "out of memory");
		r->has_before = true;
		if (fill_image(c, before, r->before, false, typed_cols, NULL, "before") < 0)
			return -1;
	} else if (before && before->type != JT_NULL) {
		return derr(c, "\"before\" is neither an object nor null");
	}
	if (after && after->type == JT_OBJECT) {
		if (!(r->after = new_image(c)))
			return derr(c, "out of memory");
		r->has_after = true;
		if (fill_image(c, after, r->after, r->op == RECORD_OP_UPDATE, typed_cols,
			       r->has_before ? r->before : NULL, "after") < 0)
			return -1;
	} else if (after && after->type != JT_NULL) {
		return derr(c, "\"after\" is neither an object nor null");
	}
	if (r->op == RECORD_OP_DELETE && !r->has_before)
		return derr(c, "a delete without its \"before\" image (a table without a key and REPLICA IDENTITY DEFAULT)");

	/* source position */
	int64_t x;
	r->lsn = get_int(src, "lsn", &x) && x >= 0 ? (uint64_t)x : 0;
	r->xid = get_int(src, "txId", &x) ? (uint32_t)x : 0;
	/* The commit time: one the record format cannot write (a value in µs
	 * where ms belong, say) is refused, not changed. */
	int64_t ms;
	int has_us = get_time(src, "ts_us", &x), has_ms = get_time(src, "ts_ms", &ms);
	if (has_us < 0 || has_ms < 0)
		return derr(c, "\"source.%s\" is not an integer of 64 bits", has_us < 0 ? "ts_us" : "ts_ms");
	if (has_us || has_ms) {
		int64_t us = x;
		if ((!has_us && __builtin_mul_overflow(ms, 1000, &us)) || !record_ts_writable(us))
			return derr(c, "\"source.%s\": %" PRId64 " is no time of the years 0000 to 9999",
				    has_us ? "ts_us" : "ts_ms", has_us ? x : ms);
		r->commit_us = us;
	}
	const jt_node *tx = jt_get(p, "transaction");
	r->seq = tx && get_int(tx, "total_order", &x) && x > 0 ? (uint64_t)x : 0;
	uint64_t major = r->lsn;
	const jt_node *seqn = jt_get(src, "sequence");
	if (seqn && seqn->type == JT_STRING) {
		/* "[\"last commit LSN\",\"LSN\"]" */
		jt_node *sq = jt_parse(seqn->s, seqn->len, tree_alloc, r, why, sizeof why);
		if (sq && sq->type == JT_ARRAY && sq->first && sq->first->type == JT_STRING &&
		    record_int_text_valid(sq->first->s, sq->first->len, &x) && x >= 0)
			major = (uint64_t)x;
	}
	/* the stream's name: refused when there and unusable, not replaced */
	const jt_node *nv = jt_get(src, "name");
	const char *name = NULL;
	if (nv && nv->type != JT_NULL && !(name = get_name(c, src, "name")))
		return -1;
	record_debezium_stream(r->stream, name ? name : r->db);
	r->offset = (pos_offset){.major = major, .minor = ordinal, .lsn = true};
	if (!r->has_before)
		r->before = NULL;
	if (!r->has_after)
		r->after = NULL;
	return record_check_decoded(r, c->err, c->errlen);
}

int record_decode_debezium(record *r, const void *value, size_t vlen, const void *key, size_t klen,
			   uint64_t ordinal, char *err, size_t errlen)
{
	record_clear(r);
	if (err && errlen)
		err[0] = '\0';
	if (vlen > RECORD_MAX_BYTES)
		return record_errf(err, errlen, "record longer than %zu bytes", RECORD_MAX_BYTES);
	dctx c = {.r = r, .err = err, .errlen = errlen};
	buf_init(&c.val, 0);
	int rc = decode(&c, value, vlen, key, klen, ordinal);
	free(c.cols);
	buf_free(&c.val);
	if (rc != 0)
		record_clear(r);
	return rc;
}
