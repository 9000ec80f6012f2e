/* libFuzzer target: the streaming record reader (lib/record_io.c), as a
 * differential test. From the input it builds a byte stream (valid NDJSON
 * and msgpack records made with record_encode, blank lines, Debezium
 * transaction boundaries and change events, cut and mutated records,
 * garbage, big records, runs of one piece) and a schedule of chunks, and
 * reads the stream
 *
 *   - as the reference: written whole to a file, with record_reader_next;
 *   - on one thread, through a pipe whose write end is O_NONBLOCK, writing
 *     the next chunk whenever record_reader_next_nowait says -3 (with
 *     record_reader_wait(rd, 0) between, which may measure a msgpack
 *     record ahead), blocking reads only once the write end is closed;
 *   - as mssql-apply's main loop does, a second thread writing the chunks:
 *     record_reader_next_nowait, and on -3 record_reader_wait, then
 *     record_reader_next;
 *   - through kpub's reading thread (lib/kpub_feed.c), its batches taken
 *     as kpub's main thread takes them.
 *
 * Every way must give the reference's outcomes in order: each record (by
 * its encodings in both formats and its key), its raw bytes, the count
 * after it, the format, each error word for word, the end of input, and
 * the same answer again when asked after the end. A divergence aborts
 * with both sides printed; a wait longer than a few seconds is a hang.
 * File descriptors must not leak from one input to the next.
 *
 * The input: its first byte picks the ways besides the first two (bit 0
 * mssql-apply's loop, bit 1 kpub's thread, bit 2 with bits 3-5 stop kpub
 * after that many batches, bits 6 and 7 an O_NONBLOCK read end for
 * either); the last quarter is the chunk schedule, read from the end; the
 * rest, the stream's pieces (build_stream). FUZZ_READER_DUMP=path writes
 * the stream there and prints the schedule and the reference's outcomes;
 * -DMODES_MASK=n masks the first byte. An input runs several readers and
 * threads, and libFuzzer's entropic schedule costs more than they do
 * here: -entropic=0 runs it about four times as fast.
 *
 * Findings: none in 33 minutes (about 120,000 inputs; see the commit). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kpub_feed.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STREAM ((size_t)256 << 10) /* pieces are added while below */
#define MAX_BIG ((size_t)1 << 20 << 1)  /* one big record may go past it */
#define MAX_CHUNKS 256
#define HANG_MS 5000

/* ---- the input ---- */

typedef struct in {
	const uint8_t *p;
	size_t n;    /* bytes left at the front, for the stream */
	size_t tail; /* the schedule takes bytes from the end */
} in;

static bool in_more(const in *x)
{
	return x->n > 0;
}

static unsigned u8(in *x)
{
	if (!x->n)
		return 0;
	x->n--;
	return *x->p++;
}

static unsigned u16(in *x)
{
	unsigned a = u8(x);
	return a | u8(x) << 8;
}

/* A byte from the end (the chunk schedule), or -1 when none is left. */
static int tail8(in *x)
{
	if (!x->n)
		return -1;
	x->n--;
	return x->p[x->n];
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "fuzz_record_reader: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

static void put(buf *b, const void *p, size_t n)
{
	if (buf_append(b, p, n) < 0)
		die("out of memory");
}

/* ---- records ---- */

typedef struct tdef {
	const char *table;
	int ncols;
	const char *names[4];
	const char *types[4];
	record_mask masks[4];
	int nkeys;
	uint16_t keys[2];
} tdef;

static const tdef tables[] = {
	{"orders", 3, {"id", "note", "data"}, {"integer", "text", "bytea"}, {0}, 1, {0}},
	{"items", 4, {"k", "flag", "amount", "at"},
	 {"bigint", "boolean", "numeric(18,2)", "timestamp with time zone"}, {0}, 2, {0, 3}},
	{"nokey", 2, {"a", "b"}, {"text", "jsonb"}, {0}, 0, {0}},
	{"masked", 3, {"id", "secret", "h"}, {"integer", "text", "character(64)"},
	 {RECORD_MASK_NONE, RECORD_MASK_FIXED, RECORD_MASK_SHA256}, 1, {0}},
};

static const char *const alphabet[] = {"a", "Z", "0", " ", "\"", "\\", "\n", "\t", "/", "\xc3\xa9",
				       "\xe2\x98\xba", "{", "}", ":", ",", "\x7f"};

/* A value of type t from the input, in v (room for 128). */
static size_t value_for(in *x, const char *t, char *v)
{
	if (!strcmp(t, "integer") || !strcmp(t, "bigint")) {
		unsigned a = u16(x);
		return (size_t)sprintf(v, "%s%u", a & 1 && a > 1 ? "-" : "", a >> 1);
	}
	if (!strcmp(t, "boolean"))
		return (size_t)sprintf(v, "%s", u8(x) & 1 ? "t" : "f");
	if (!strcmp(t, "numeric(18,2)"))
		return (size_t)sprintf(v, "%u.%02u", u8(x), u8(x) % 100);
	if (!strcmp(t, "timestamp with time zone"))
		return (size_t)sprintf(v, "2026-11-25T13:%02u:%02u.%06uZ", u8(x) % 60, u8(x) % 60, u16(x));
	if (!strcmp(t, "bytea")) {
		size_t n = u8(x) % 12, o = (size_t)sprintf(v, "\\x");
		for (size_t i = 0; i < n; i++)
			o += (size_t)sprintf(v + o, "%02x", u8(x));
		return o;
	}
	if (!strcmp(t, "character(64)")) {
		unsigned s = u8(x);
		for (int i = 0; i < 64; i++)
			v[i] = "0123456789abcdef"[(s + (unsigned)i * 7) & 15];
		v[64] = '\0';
		return 64;
	}
	size_t n = u8(x) % 20, o = 0;
	for (size_t i = 0; i < n; i++) {
		const char *c = alphabet[u8(x) % (sizeof alphabet / sizeof *alphabet)];
		o += (size_t)sprintf(v + o, "%s", c);
	}
	return o;
}

/* A record from the input; big > 0 makes the first text value that long. */
static void make_record(in *x, record *r, size_t big)
{
	record_clear(r);
	unsigned a = u8(x), b = u8(x);
	const tdef *t = &tables[a % 4];
	static const char ops[] = "cudrt";
	r->op = ops[(a >> 2) % 5];
	record_set_table(r, (a >> 5) & 1 ? "wwi" : "db2", "sales", t->table);
	if (r->op == 't') {
		record_set_shape(r, 0, false, false);
	} else {
		bool before = r->op == 'd' || (r->op == 'u' && (b & 1));
		bool after = r->op != 'd';
		record_set_shape(r, (size_t)t->ncols, before, after);
		for (int i = 0; i < t->ncols; i++) {
			record_set_column(r, (size_t)i, t->names[i], t->types[i]);
			if (t->masks[i])
				record_set_column_mask(r, (size_t)i, t->masks[i]);
		}
		record_set_keys(r, t->keys, (size_t)t->nkeys);
		char v[128];
		for (int i = 0; i < t->ncols; i++) {
			bool key = false;
			for (int k = 0; k < t->nkeys; k++)
				key |= t->keys[k] == i;
			unsigned kind = u8(x);
			if (after) {
				/* mostly text; now and then null, unchanged or absent */
				value_kind vk = kind < 200 || key ? VALUE_TEXT
					      : kind < 225 ? VALUE_NULL
					      : kind < 245 && r->op == 'u' ? VALUE_UNCHANGED : VALUE_ABSENT;
				if (vk == VALUE_TEXT && big && !strcmp(t->types[i], "text")) {
					char *s = malloc(big);
					if (!s)
						die("out of memory");
					memset(s, 'a' + (char)(kind % 26), big);
					record_set_value(r, r->after, (size_t)i, vk, s, big);
					free(s);
					big = 0;
				} else {
					size_t n = vk == VALUE_TEXT ? value_for(x, t->types[i], v) : 0;
					record_set_value(r, r->after, (size_t)i, vk, v, n);
				}
			}
			if (before && (key || (kind & 1))) {
				size_t n = value_for(x, t->types[i], v);
				record_set_value(r, r->before, (size_t)i, kind & 2 && !key ? VALUE_NULL : VALUE_TEXT, v, n);
			}
		}
	}
	r->lsn = 0x16B3000 + (uint64_t)u16(x);
	r->xid = u8(x);
	r->commit_us = 1795615125123456LL + (int64_t)u16(x) * 1000;
	r->seq = (uint64_t)u8(x) + 1;
	r->last = b & 2;
	snprintf(r->stream, sizeof r->stream, "%s", b & 4 ? "pg/wwi/slot" : "snap/wwi");
	r->offset.lsn = !(b & 8);
	r->offset.major = r->offset.lsn ? r->lsn : 0;
	r->offset.minor = r->seq;
}

/* ---- the stream ---- */

static const char *const boundaries[] = {
	"{\"status\":\"BEGIN\",\"id\":\"571\",\"ts_ms\":1486500577125,\"event_count\":null,\"data_collections\":null}",
	("{\"status\":\"END\",\"id\":\"571\",\"ts_ms\":1486500577691,\"event_count\":1,\"data_collections\":"
	 "[{\"data_collection\":\"s1.a\",\"event_count\":1}]}"),
	"{\"schema\":null,\"payload\":{\"status\":\"END\",\"id\":\"5\",\"event_count\":1,\"data_collections\":[]}}",
	"{\"status\":\"BEGIN\",\"id\":\"5\"}",
};

static void dbz_event(in *x, buf *s)
{
	char line[600];
	unsigned a = u8(x);
	static const char *const ops[] = {"c", "u", "d", "r", "x"};
	const char *op = ops[a % 5];
	unsigned id = u16(x);
	int n;
	if (!strcmp(op, "d"))
		n = snprintf(line, sizeof line,
			     "{\"before\":{\"id\":%u},\"after\":null,\"source\":{\"connector\":\"postgresql\","
			     "\"name\":\"pg%u\",\"db\":\"postgres\",\"schema\":\"public\",\"table\":\"t\","
			     "\"txId\":7,\"lsn\":%u,\"ts_ms\":1796458948488},\"op\":\"d\",\"ts_ms\":1700000000123}",
			     id, a >> 6, 22087168 + id);
	else
		n = snprintf(line, sizeof line,
			     "{\"before\":null,\"after\":{\"id\":%u,\"v\":\"x%u\"},\"source\":{\"connector\":\"postgresql\","
			     "\"name\":\"pg%u\",\"db\":\"postgres\",\"schema\":\"public\",\"table\":\"t\","
			     "\"txId\":7,\"lsn\":%u,\"ts_ms\":1796458948488},\"op\":\"%s\",\"ts_ms\":1700000000123}",
			     id, a, a >> 6, 22087168 + id, op);
	put(s, line, (size_t)n);
}

/* A msgpack record with an unknown top-level field whose value nests
 * depth arrays (the reader must measure those itself). */
static void mp_unknown_field(in *x, record *r, buf *s)
{
	make_record(x, r, 0);
	buf e;
	buf_init(&e, 0);
	unsigned d = u8(x) % 40;
	if (record_encode(r, RECORD_FORMAT_MSGPACK, &e) == 0 && e.len > 0 &&
	    (unsigned char)e.data[0] >= 0x80 && (unsigned char)e.data[0] < 0x8f) {
		e.data[0]++;
		put(&e, "\xa2zz", 3);
		for (unsigned i = 0; i < d; i++)
			put(&e, "\x91", 1);
		put(&e, "\x01", 1);
		put(s, e.data, e.len);
	}
	buf_free(&e);
}

static void build_stream(in *x, buf *s)
{
	record r;
	record_init(&r);
	buf e;
	buf_init(&e, 0);
	size_t last_at = 0, last_len = 0;
	bool big_done = false;
	while (in_more(x) && s->len < MAX_STREAM) {
		unsigned op = u8(x) % 16;
		size_t at = s->len;
		buf_reset(&e);
		switch (op) {
		case 0:
		case 1:
		case 2:
		case 3:
			/* a valid record: JSON (0, 1) or msgpack (2, 3) */
			make_record(x, &r, 0);
			if (record_encode(&r, op < 2 ? RECORD_FORMAT_JSON : RECORD_FORMAT_MSGPACK, &e) == 0)
				put(s, e.data, e.len);
			break;
		case 4: {
			/* a blank line */
			unsigned n = u8(x);
			for (unsigned i = 0; i < (n & 3); i++)
				put(s, &" \t\r "[(n >> (2 + i * 2)) & 3], 1);
			put(s, "\n", 1);
			break;
		}
		case 5: {
			unsigned n = u8(x);
			const char *l = boundaries[n % 4];
			put(s, l, strlen(l));
			if (!(n & 0x80))
				put(s, "\n", 1);
			break;
		}
		case 6:
			dbz_event(x, s);
			put(s, "\n", 1);
			break;
		case 7: {
			/* garbage */
			unsigned n = u8(x) % 48;
			for (unsigned i = 0; i < n && in_more(x); i++) {
				char c = (char)u8(x);
				put(s, &c, 1);
			}
			break;
		}
		case 8: {
			/* a record cut short */
			unsigned f = u8(x);
			make_record(x, &r, 0);
			if (record_encode(&r, f & 1 ? RECORD_FORMAT_MSGPACK : RECORD_FORMAT_JSON, &e) == 0 && e.len)
				put(s, e.data, (f >> 1) % e.len);
			break;
		}
		case 9: {
			/* a record with a few bytes changed */
			unsigned f = u8(x);
			make_record(x, &r, 0);
			if (record_encode(&r, f & 1 ? RECORD_FORMAT_MSGPACK : RECORD_FORMAT_JSON, &e) == 0 && e.len) {
				for (unsigned i = 0; i < 1 + ((f >> 1) & 3); i++) {
					size_t pos = u16(x) % e.len;
					e.data[pos] = (char)u8(x);
				}
				put(s, e.data, e.len);
			}
			break;
		}
		case 10: {
			/* the last piece again, k times */
			unsigned k = u8(x) % 64 + 1;
			for (unsigned i = 0; i < k && last_len && s->len + last_len <= MAX_STREAM; i++) {
				/* (appending the buf's own bytes: room first) */
				if (buf_reserve(s, last_len) < 0)
					die("out of memory");
				put(s, s->data + last_at, last_len);
			}
			at = last_at;
			break;
		}
		case 11: {
			/* a big record: a text value of up to ~128 KiB */
			unsigned f = u8(x);
			size_t big = (size_t)u16(x) * 2 + 1;
			/* now and then past 1 MiB, where the reader's buffer
			 * shrinks back once the record is consumed */
			if ((f & 0x1e) == 0x1e && !big_done) {
				big += (size_t)1 << 20;
				big_done = true;
			}
			make_record(x, &r, big);
			if (record_encode(&r, f & 1 ? RECORD_FORMAT_MSGPACK : RECORD_FORMAT_JSON, &e) == 0 &&
			    s->len + e.len <= MAX_STREAM + MAX_BIG)
				put(s, e.data, e.len);
			break;
		}
		case 12:
			mp_unknown_field(x, &r, s);
			break;
		case 13:
			put(s, "\n", 1);
			break;
		case 14: {
			/* a msgpack map header with a str key, alone: a record
			 * that is not whole until more comes */
			static const char *const heads[] = {"\x81", "\xde\x00\x01", "\x82\xa1v\x01", "\xdf\x00\x00\x00\x02",
							    ("\x8c\xa1v\x01\xa2op\xa1" "c")};
			const char *h = heads[u8(x) % 5];
			put(s, h, strlen(h));
			break;
		}
		default: {
			/* a valid record in the format the stream has (its first byte) */
			make_record(x, &r, 0);
			bool mp = s->len && (((unsigned char)s->data[0] >= 0x80 && (unsigned char)s->data[0] <= 0x8f) ||
					     (unsigned char)s->data[0] == 0xde || (unsigned char)s->data[0] == 0xdf);
			if (record_encode(&r, mp ? RECORD_FORMAT_MSGPACK : RECORD_FORMAT_JSON, &e) == 0)
				put(s, e.data, e.len);
			break;
		}
		}
		if (s->len > at && op != 10) {
			last_at = at;
			last_len = s->len - at;
		}
	}
	record_free(&r);
	buf_free(&e);
}

/* ---- outcomes ---- */

typedef struct outcome {
	int rc;
	uint64_t count;
	record_format fmt;
	char err[600];
	buf json, mp; /* the record's encodings (empty when they fail) */
	int json_rc, mp_rc;
	buf raw;
	buf key; /* record_encode_key in the stream's format */
	int key_rc;
	/* what kpub takes from the record */
	char db[300], schema[300], table[300], stream[POS_STREAM_MAX + 1];
	pos_offset offset;
	uint64_t lsn;
	int64_t commit_us;
	char op;
	bool last;
} outcome;

static void outcome_init(outcome *o)
{
	memset(o, 0, sizeof *o);
	buf_init(&o->json, 0);
	buf_init(&o->mp, 0);
	buf_init(&o->raw, 0);
	buf_init(&o->key, 0);
}

static void outcome_free(outcome *o)
{
	buf_free(&o->json);
	buf_free(&o->mp);
	buf_free(&o->raw);
	buf_free(&o->key);
}

/* What record_reader_* said after a call that returned rc. */
static void outcome_take(outcome *o, record_reader *rd, const record *r, int rc, const char *err)
{
	o->rc = rc;
	o->count = record_reader_count(rd);
	o->fmt = record_reader_format(rd);
	if (rc == -1)
		snprintf(o->err, sizeof o->err, "%s", err);
	if (rc != 1)
		return;
	o->json_rc = record_encode(r, RECORD_FORMAT_JSON, &o->json);
	o->mp_rc = record_encode(r, RECORD_FORMAT_MSGPACK, &o->mp);
	o->key_rc = record_encode_key(r, o->fmt, &o->key);
	const void *raw;
	size_t rawlen;
	record_reader_raw(rd, &raw, &rawlen);
	if (rawlen)
		put(&o->raw, raw, rawlen);
	snprintf(o->db, sizeof o->db, "%s", r->db);
	snprintf(o->schema, sizeof o->schema, "%s", r->schema);
	snprintf(o->table, sizeof o->table, "%s", r->table);
	snprintf(o->stream, sizeof o->stream, "%s", r->stream);
	o->offset = r->offset;
	o->lsn = r->lsn;
	o->commit_us = r->commit_us;
	o->op = r->op;
	o->last = r->last;
}

static bool same_buf(const buf *a, const buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void print_outcome(const char *who, size_t i, const outcome *o)
{
	fprintf(stderr, "  %s #%zu: rc %d count %" PRIu64 " fmt %d", who, i, o->rc, o->count, (int)o->fmt);
	if (o->rc == -1)
		fprintf(stderr, " err \"%s\"", o->err);
	if (o->rc == 1)
		fprintf(stderr, " raw %zu bytes json %d/%zu mp %d/%zu key %d/%zu", o->raw.len, o->json_rc, o->json.len,
			o->mp_rc, o->mp.len, o->key_rc, o->key.len);
	fprintf(stderr, "\n");
}

static void compare(const char *who, size_t i, const outcome *want, size_t nwant, const outcome *got)
{
	if (i >= nwant) {
		print_outcome(who, i, got);
		die("%s: outcome #%zu beyond the reference's %zu", who, i, nwant);
	}
	const outcome *w = &want[i];
	const char *what = NULL;
	if (got->rc != w->rc)
		what = "rc";
	else if (got->count != w->count)
		what = "count";
	else if (w->rc != 0 && got->fmt != w->fmt)
		what = "format";
	else if (w->rc == -1 && strcmp(got->err, w->err))
		what = "error message";
	else if (w->rc == 1 && !same_buf(&got->raw, &w->raw))
		what = "raw bytes";
	else if (w->rc == 1 && (got->json_rc != w->json_rc || !same_buf(&got->json, &w->json)))
		what = "record (JSON encoding)";
	else if (w->rc == 1 && (got->mp_rc != w->mp_rc || !same_buf(&got->mp, &w->mp)))
		what = "record (msgpack encoding)";
	else if (w->rc == 1 && (got->key_rc != w->key_rc || !same_buf(&got->key, &w->key)))
		what = "key";
	if (what) {
		print_outcome("reference", i, w);
		print_outcome(who, i, got);
		if (w->rc == 1 && got->rc == 1) {
			fprintf(stderr, "  reference: %.*s", (int)w->json.len, w->json.data);
			fprintf(stderr, "  %s: %.*s", who, (int)got->json.len, got->json.data);
		}
		die("%s: outcome #%zu differs from the reference's in its %s", who, i, what);
	}
}

typedef struct outcomes {
	outcome *v;
	size_t n, cap;
} outcomes;

static outcome *outcomes_add(outcomes *os)
{
	if (os->n == os->cap) {
		os->cap = os->cap ? os->cap * 2 : 64;
		os->v = realloc(os->v, os->cap * sizeof *os->v);
		if (!os->v)
			die("out of memory");
	}
	outcome_init(&os->v[os->n]);
	return &os->v[os->n++];
}

static void outcomes_free(outcomes *os)
{
	for (size_t i = 0; i < os->n; i++)
		outcome_free(&os->v[i]);
	free(os->v);
	memset(os, 0, sizeof *os);
}

/* ---- the reference: the whole stream in a file ---- */

static void reference(const buf *s, outcomes *os)
{
	int fd = memfd_create("stream", MFD_CLOEXEC);
	if (fd < 0)
		die("memfd_create: %s", strerror(errno));
	for (size_t off = 0; off < s->len;) {
		ssize_t w = write(fd, s->data + off, s->len - off);
		if (w <= 0)
			die("write: %s", strerror(errno));
		off += (size_t)w;
	}
	lseek(fd, 0, SEEK_SET);
	record_reader *rd = record_reader_new(fd);
	record r;
	record_init(&r);
	char err[600];
	for (;;) {
		err[0] = '\0';
		int rc = record_reader_next(rd, &r, err, sizeof err);
		if (rc == -2 || rc == -3 || rc < -3 || rc > 1)
			die("reference: record_reader_next returned %d (%s)", rc, strerror(errno));
		if (rc == -1 && !err[0])
			die("reference: bad input without a message");
		outcome_take(outcomes_add(os), rd, &r, rc, err);
		if (rc <= 0)
			break;
	}
	record_free(&r);
	record_reader_free(rd);
	close(fd);
}

/* ---- chunks ---- */

typedef struct schedule {
	size_t len[MAX_CHUNKS]; /* the last takes the rest */
	bool pause[MAX_CHUNKS];
	bool wait0[MAX_CHUNKS]; /* single thread: record_reader_wait(rd, 0) after writing it */
	size_t n;
} schedule;

static void make_schedule(in *x, size_t total, schedule *sc)
{
	size_t done = 0;
	sc->n = 0;
	while (done < total && sc->n < MAX_CHUNKS - 1) {
		int b = tail8(x);
		if (b < 0)
			break;
		size_t n = b < 192 ? (size_t)(b % 32) + 1 : b < 250 ? (size_t)(b - 191) * 97 : total - done;
		if (n > total - done)
			n = total - done;
		sc->len[sc->n] = n;
		sc->pause[sc->n] = b & 64;
		sc->wait0[sc->n] = b & 1;
		sc->n++;
		done += n;
	}
	if (done < total || sc->n == 0) {
		sc->len[sc->n] = total - done;
		sc->pause[sc->n] = false;
		sc->wait0[sc->n] = true;
		sc->n++;
	}
}

/* ---- a writer thread ---- */

typedef struct writer {
	int fd;
	const buf *s;
	const schedule *sc;
} writer;

static void *writer_main(void *arg)
{
	writer *w = arg;
	size_t off = 0;
	for (size_t c = 0; c < w->sc->n; c++) {
		size_t end = off + w->sc->len[c];
		while (off < end) {
			ssize_t n = write(w->fd, w->s->data + off, end - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				goto out; /* the reader left (EPIPE) */
			off += (size_t)n;
		}
		if (w->sc->pause[c])
			usleep(30);
		else
			sched_yield();
	}
out:
	close(w->fd);
	return NULL;
}

static void start_writer(int p[2], writer *w, pthread_t *t, const buf *s, const schedule *sc, bool nonblock)
{
	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	/* a reader's input may be O_NONBLOCK (shared with a process that set it) */
	if (nonblock)
		fcntl(p[0], F_SETFL, O_NONBLOCK);
	*w = (writer){.fd = p[1], .s = s, .sc = sc};
	if (pthread_create(t, NULL, writer_main, w))
		die("pthread_create");
}

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* After the end (0) or bad input (-1), asking again gives the same. */
static void check_again(const char *who, record_reader *rd, record *r, const outcome *last, bool nowait)
{
	char err[600] = "";
	int rc = nowait ? record_reader_next_nowait(rd, r, err, sizeof err) : record_reader_next(rd, r, err, sizeof err);
	if (rc != last->rc || (rc == -1 && strcmp(err, last->err)))
		die("%s: asked again after %d, got %d (\"%s\" / \"%s\")", who, last->rc, rc, err, last->err);
	if (record_reader_wait(rd, 0) != 1)
		die("%s: record_reader_wait after the end says nothing is there", who);
}

/* ---- one thread, writing between reads ---- */

static void run_stepped(const buf *s, const schedule *sc, const outcomes *ref)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	record_reader *rd = record_reader_new(p[0]);
	record r;
	record_init(&r);
	char err[600];
	size_t c = 0, off = 0, chunk_end = sc->len[0];
	bool closed = false;
	size_t i = 0, stalls = 0;
	for (;;) {
		err[0] = '\0';
		int rc;
		if (closed && (i & 1))
			rc = record_reader_next(rd, &r, err, sizeof err);
		else
			rc = record_reader_next_nowait(rd, &r, err, sizeof err);
		if (rc == -3) {
			if (closed)
				die("stepped: -3 with the write end closed and everything written");
			/* write on: the rest of this chunk, or the next */
			if (off == chunk_end && c + 1 < sc->n)
				chunk_end += sc->len[++c];
			if (off < chunk_end) {
				ssize_t w = write(p[1], s->data + off, chunk_end - off);
				if (w < 0 && errno != EAGAIN)
					die("stepped: write: %s", strerror(errno));
				if (w > 0) {
					off += (size_t)w;
					stalls = 0;
				} else if (++stalls > 2) {
					die("stepped: -3 while the pipe is full");
				}
			}
			if (off == s->len && c + 1 == sc->n) {
				close(p[1]);
				closed = true;
			}
			for (int k = 0; k < (sc->pause[c] ? 2 : 1); k++)
				if (sc->wait0[c] && record_reader_wait(rd, 0) != 1)
					die("stepped: record_reader_wait(0) says nothing is there after a write");
			continue;
		}
		if (rc == -2)
			die("stepped: read error: %s", strerror(errno));
		outcome got;
		outcome_init(&got);
		outcome_take(&got, rd, &r, rc, err);
		compare("stepped", i, ref->v, ref->n, &got);
		outcome_free(&got);
		i++;
		if (rc <= 0) {
			check_again("stepped", rd, &r, &ref->v[i - 1], true);
			break;
		}
		if (sc->wait0[c] && (i & 2))
			record_reader_wait(rd, 0);
	}
	if (!closed)
		close(p[1]);
	record_free(&r);
	record_reader_free(rd);
	close(p[0]);
}

/* ---- mssql-apply's loop, a thread writing ---- */

static void run_apply(const buf *s, const schedule *sc, const outcomes *ref, bool nonblock)
{
	int p[2];
	writer w;
	pthread_t t;
	start_writer(p, &w, &t, s, sc, nonblock);
	record_reader *rd = record_reader_new(p[0]);
	record r;
	record_init(&r);
	char err[600];
	size_t i = 0;
	int64_t idle_since = now_ms();
	for (;;) {
		err[0] = '\0';
		int rc = record_reader_next_nowait(rd, &r, err, sizeof err);
		if (rc == -3) {
			int ready = record_reader_wait(rd, 200);
			if (!ready) {
				if (now_ms() - idle_since > HANG_MS)
					die("apply: no input for %d ms", HANG_MS);
				continue;
			}
			rc = record_reader_next(rd, &r, err, sizeof err);
		}
		idle_since = now_ms();
		if (rc == -2 && errno == EINTR)
			continue;
		if (rc == -2)
			die("apply: read error: %s", strerror(errno));
		outcome got;
		outcome_init(&got);
		outcome_take(&got, rd, &r, rc, err);
		compare("apply", i, ref->v, ref->n, &got);
		outcome_free(&got);
		i++;
		if (rc <= 0) {
			check_again("apply", rd, &r, &ref->v[i - 1], false);
			break;
		}
	}
	record_free(&r);
	record_reader_free(rd);
	close(p[0]); /* a writer still writing gets EPIPE */
	pthread_join(t, NULL);
}

/* ---- kpub's reading thread ---- */

static void same_msg(size_t i, const kpub_msg *m, const outcome *w)
{
	const char *what = NULL;
	if (w->rc != 1)
		what = "kind (a record where the reference has none)";
	else if (m->value_len != w->raw.len || memcmp(m->value, w->raw.data, m->value_len))
		what = "value (raw bytes)";
	else if (w->key_rc != 0 || m->key_len != w->key.len || (m->key_len && memcmp(m->key, w->key.data, m->key_len)) ||
		 (!m->key) != (w->key.len == 0))
		what = "key";
	else if (strcmp(m->db, w->db) || strcmp(m->schema, w->schema) || strcmp(m->table, w->table))
		what = "table";
	else if (strcmp(m->stream, w->stream) || pos_offset_cmp(m->offset, w->offset))
		what = "position";
	else if (m->lsn != w->lsn || m->commit_us != w->commit_us || m->op != w->op || m->last != w->last)
		what = "source";
	else if (m->recno != w->count)
		what = "recno";
	if (what) {
		print_outcome("reference", i, w);
		fprintf(stderr, "  kpub #%zu: value %zu bytes key %zu bytes recno %" PRIu64 "\n", i, m->value_len,
			m->key_len, m->recno);
		die("kpub: message #%zu differs from the reference's record in its %s", i, what);
	}
}

/* stop_after: kpub_feed_stop after that many batches (the reading thread
 * may be waiting for input, or for a free batch), or -1: read to the end. */
static void run_kpub(const buf *s, const schedule *sc, const outcomes *ref, int stop_after, bool nonblock)
{
	int p[2];
	writer w;
	pthread_t t;
	start_writer(p, &w, &t, s, sc, nonblock);
	kpub_feed *f = kpub_feed_start(p[0], NULL);
	if (!f)
		die("kpub_feed_start: %s", strerror(errno));
	size_t i = 0;
	int batches = 0;
	for (bool done = false; !done && batches != stop_after;) {
		kpub_batch *b = kpub_feed_take(f);
		if (!b) {
			struct pollfd pf = {.fd = kpub_feed_fd(f), .events = POLLIN};
			if (poll(&pf, 1, HANG_MS) == 0)
				die("kpub: no batch for %d ms (after %zu messages)", HANG_MS, i);
			continue;
		}
		for (size_t j = 0; j < b->n; j++, i++) {
			if (i >= ref->n)
				die("kpub: message #%zu beyond the reference's %zu outcomes", i, ref->n);
			same_msg(i, &b->msgs[j], &ref->v[i]);
		}
		if (b->end != KPUB_FEED_MORE) {
			if (i >= ref->n)
				die("kpub: the end after %zu messages, beyond the reference's outcomes", i);
			const outcome *w = &ref->v[i];
			char want[700];
			if (w->rc == 1 && w->key_rc != 0)
				snprintf(want, sizeof want, "record %" PRIu64 ": cannot encode its key", w->count);
			else
				snprintf(want, sizeof want, "%s", w->err);
			if (b->end == KPUB_FEED_EOF && w->rc != 0)
				die("kpub: end of input after %zu messages; the reference has rc %d", i, w->rc);
			if (b->end == KPUB_FEED_BAD && (w->rc == 0 || strcmp(b->err, want))) {
				print_outcome("reference", i, w);
				die("kpub: bad input after %zu messages: \"%s\"; the reference: \"%s\"", i, b->err, want);
			}
			if (b->end == KPUB_FEED_IOERR)
				die("kpub: read error %s after %zu messages", b->err, i);
			done = true;
		}
		batches++;
		/* one batch of the last ones is kept: kpub_feed_stop frees it */
		if (stop_after < 0 || batches != stop_after)
			kpub_feed_release(f, b);
	}
	kpub_feed_stop(f);
	close(p[0]);
	pthread_join(t, NULL);
}

/* ---- the target ---- */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool once;
	if (!once) {
		signal(SIGPIPE, SIG_IGN);
		once = true;
	}
	if (size < 2)
		return 0;
	/* counted at each input's start: libFuzzer may start a symbolizer,
	 * with pipes of its own, between inputs */
	int base_fds = count_fds();
	in x = {.p = data + 1, .n = size - 1};
	unsigned modes = data[0];
#ifdef MODES_MASK
	modes &= MODES_MASK;
#endif
	/* the schedule takes the input's last quarter, the stream the rest */
	in sched = {.p = x.p + x.n - x.n / 4, .n = x.n / 4};
	x.n -= x.n / 4;
	buf s;
	buf_init(&s, 0);
	build_stream(&x, &s);
	schedule *sc = malloc(sizeof *sc);
	if (!sc)
		die("out of memory");
	make_schedule(&sched, s.len, sc);
	/* FUZZ_READER_DUMP=path: the stream (the last input's) for a look */
	static const char *dump;
	static bool dump_read;
	if (!dump_read) {
		dump = getenv("FUZZ_READER_DUMP");
		dump_read = true;
	}
	if (dump) {
		FILE *f = fopen(dump, "w");
		if (f) {
			fwrite(s.data, 1, s.len, f);
			for (size_t i = 0; i < sc->n; i++)
				fprintf(stderr, "%zu%s ", sc->len[i], sc->pause[i] ? "p" : "");
			fprintf(stderr, "\n");
			fclose(f);
		}
	}

	outcomes ref = {0};
	reference(&s, &ref);
	if (dump)
		for (size_t i = 0; i < ref.n; i++)
			print_outcome("reference", i, &ref.v[i]);
	run_stepped(&s, sc, &ref);
	if (modes & 1)
		run_apply(&s, sc, &ref, modes & 0x40);
	if (modes & 2)
		run_kpub(&s, sc, &ref, modes & 4 ? (int)(modes >> 3 & 7) : -1, modes & 0x80);

	outcomes_free(&ref);
	free(sc);
	buf_free(&s);
	int n = count_fds();
	if (n != base_fds) {
		char cmd[64];
		snprintf(cmd, sizeof cmd, "ls -l /proc/%d/fd >&2", (int)getpid());
		if (system(cmd)) {
		}
		die("%d file descriptors open, %d before this input", n, base_fds);
	}
	return 0;
}
