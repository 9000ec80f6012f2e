/* front.c — see front.h. One thread, one poll() loop over the listeners
 * and every relayed connection.
 *
 * The wire format (Kafka protocol guide): every request and response is a
 * frame, an INT32 size then that many bytes. A request starts with ApiKey
 * INT16, ApiVersion INT16, CorrelationId INT32 and (header v1, every
 * non-flexible version) ClientId as a nullable STRING; a response starts
 * with the CorrelationId. Integers are big-endian; STRING is an INT16
 * length (-1: null) and bytes; ARRAY an INT32 count (-1: null) and items.
 * Only non-flexible versions are parsed: the mock serves no flexible
 * version of any API the front looks into. */
#include "front.h"

#include <librdkafka/rdkafka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FRONT_MAX 100
#define FRAME_MAX ((size_t)100 << 20) /* Kafka's socket.request.max.bytes */
#define OUT_HIGH ((size_t)4 << 20)    /* do not read the other side above this */
#define READ_CHUNK ((size_t)256 << 10)
#define PENDING_MAX 1024              /* requests awaiting their response */
#define CONN_MAX 512

#define API_PRODUCE 0
#define API_METADATA 3
#define API_FIND_COORDINATOR 10
#define API_API_VERSIONS 18
#define API_CREATE_TOPICS 19
#define CREATE_TOPICS_MAX_VERSION 4
#define TOPIC_NAME_MAX 249       /* Kafka's limit on topic names */
#define PARTITIONS_MAX 10000     /* what the peer's -t accepts */

/* ---- buffers ---- */

typedef struct bytes {
	unsigned char *p;
	size_t off, len, cap; /* data is p[off .. len) */
} bytes;

static size_t bytes_avail(const bytes *b)
{
	return b->len - b->off;
}

static int bytes_reserve(bytes *b, size_t more)
{
	if (b->off > 0 && b->off == b->len)
		b->off = b->len = 0;
	if (b->len + more <= b->cap)
		return 0;
	if (b->off > 0) { /* compact first */
		memmove(b->p, b->p + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->len + more <= b->cap)
			return 0;
	}
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more)
		cap *= 2;
	unsigned char *p = realloc(b->p, cap);
	if (!p)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int put(bytes *b, const void *src, size_t n)
{
	if (bytes_reserve(b, n) < 0)
		return -1;
	memcpy(b->p + b->len, src, n);
	b->len += n;
	return 0;
}

static int put_i16(bytes *b, int16_t v)
{
	uint16_t u = htons((uint16_t)v);
	return put(b, &u, 2);
}

static int put_i32(bytes *b, int32_t v)
{
	uint32_t u = htonl((uint32_t)v);
	return put(b, &u, 4);
}

/* A STRING, or a null one when s is NULL. */
static int put_str(bytes *b, const char *s, int len)
{
	if (!s)
		return put_i16(b, -1);
	return put_i16(b, (int16_t)len) < 0 ? -1 : put(b, s, (size_t)len);
}

static void bytes_free(bytes *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

/* ---- reading a frame ---- */

typedef struct reader {
	const unsigned char *p;
	size_t len, off;
	bool bad; /* ran past the end, or a negative length where none may be */
} reader;

static bool need(reader *r, size_t n)
{
	if (r->bad || r->len - r->off < n) {
		r->bad = true;
		return false;
	}
	return true;
}

static int8_t get_i8(reader *r)
{
	if (!need(r, 1))
		return 0;
	return (int8_t)r->p[r->off++];
}

static int16_t get_i16(reader *r)
{
	if (!need(r, 2))
		return 0;
	uint16_t u = (uint16_t)(r->p[r->off] << 8 | r->p[r->off + 1]);
	r->off += 2;
	return (int16_t)u;
}

static int32_t get_i32(reader *r)
{
	if (!need(r, 4))
		return 0;
	uint32_t u = (uint32_t)r->p[r->off] << 24 | (uint32_t)r->p[r->off + 1] << 16 |
		     (uint32_t)r->p[r->off + 2] << 8 | r->p[r->off + 3];
	r->off += 4;
	return (int32_t)u;
}

/* A (nullable when nullable) STRING: *len -1 for null. */
static const char *get_str(reader *r, int *len, bool nullable)
{
	int16_t n = get_i16(r);
	*len = n;
	if (n < 0) {
		if (n != -1 || !nullable)
			r->bad = true;
		return NULL;
	}
	if (!need(r, (size_t)n))
		return NULL;
	const char *s = (const char *)r->p + r->off;
	r->off += (size_t)n;
	return s;
}

/* An ARRAY count: at least min_item bytes each must follow. */
static int32_t get_count(reader *r, size_t min_item)
{
	int32_t n = get_i32(r);
	if (n < 0 || (min_item && (size_t)n > (r->len - r->off) / min_item)) {
		r->bad = true;
		return 0;
	}
	return n;
}

/* ---- state ---- */

typedef struct pending {
	int32_t corr;
	int16_t key, ver;
	bytes local; /* a response frame made here; empty: the broker answers */
	bool is_local;
} pending;

typedef struct conn {
	int cfd, ufd; /* client, upstream (the mock broker) */
	int fi;       /* which front */
	bytes cin, cout, uin, uout;
	pending pend[PENDING_MAX];
	size_t phead, pcount;
	bool dead;
} conn;

struct front {
	rd_kafka_mock_cluster_t *mc;
	int n, nbrokers;
	int lfd[FRONT_MAX];
	int uport[FRONT_MAX];    /* the mock broker's port */
	int fport[FRONT_MAX];    /* this front's port */
	int32_t node[FRONT_MAX]; /* its broker id, learned from Metadata; -1 */
	int32_t controller;      /* lowest broker id seen; -1 */
	char bootstraps[FRONT_MAX * 24];
	char mock_bootstraps[FRONT_MAX * 64];
	conn *conns[CONN_MAX];
	rd_kafka_t *meta;        /* a client of the mock itself, for existence */
	int stop_pipe[2];
	pthread_t thr;
};

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("kafka-cluster front: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- responses rewritten on the way back ---- */

static int front_of_uport(const front *f, int port)
{
	for (int i = 0; i < f->n; i++)
		if (f->uport[i] == port)
			return i;
	return -1;
}

/* Copies the rest of the frame and fixes the size prefix at start. */
static int finish_frame(bytes *out, size_t start, reader *r)
{
	if (put(out, r->p + r->off, r->len - r->off) < 0)
		return -1;
	uint32_t sz = htonl((uint32_t)(out->len - start - 4));
	memcpy(out->p + start, &sz, 4);
	return 0;
}

/* Metadata v0-v2: brokers' ports -> the fronts', ControllerId -> a broker. */
static int rewrite_metadata(front *f, int16_t ver, reader *r, bytes *out)
{
	size_t start = out->len;
	int32_t corr = get_i32(r);
	int32_t nb = get_count(r, 10);
	if (r->bad || put_i32(out, 0) < 0 || put_i32(out, corr) < 0 || put_i32(out, nb) < 0)
		return -1;
	int32_t lowest = -1;
	bool controller_known = false;
	int32_t ids[FRONT_MAX];
	int nids = 0;
	for (int32_t i = 0; i < nb; i++) {
		int32_t node = get_i32(r);
		int hl, rl = -1;
		const char *host = get_str(r, &hl, false);
		int32_t port = get_i32(r);
		const char *rack = ver >= 1 ? get_str(r, &rl, true) : NULL;
		if (r->bad)
			return -1;
		int fi = front_of_uport(f, port);
		if (fi >= 0) {
			f->node[fi] = node;
			port = f->fport[fi];
		}
		if (lowest < 0 || node < lowest)
			lowest = node;
		if (nids < FRONT_MAX)
			ids[nids++] = node;
		if (put_i32(out, node) < 0 || put_str(out, host, hl) < 0 || put_i32(out, port) < 0 ||
		    (ver >= 1 && put_str(out, rack, rl) < 0))
			return -1;
	}
	if (ver >= 2) {
		int cl;
		const char *cid = get_str(r, &cl, true);
		if (r->bad || put_str(out, cid, cl) < 0)
			return -1;
	}
	if (ver >= 1) {
		int32_t ctl = get_i32(r);
		for (int i = 0; i < nids; i++)
			if (ids[i] == ctl)
				controller_known = true;
		if (!controller_known)
			ctl = lowest;
		f->controller = ctl;
		if (r->bad || put_i32(out, ctl) < 0)
			return -1;
	} else if (lowest >= 0) {
		f->controller = lowest;
	}
	return finish_frame(out, start, r);
}

/* FindCoordinator v0-v2: the coordinator's port -> its front's. */
static int rewrite_find_coordinator(front *f, int16_t ver, reader *r, bytes *out)
{
	size_t start = out->len;
	int32_t corr = get_i32(r);
	if (put_i32(out, 0) < 0 || put_i32(out, corr) < 0)
		return -1;
	if (ver >= 1 && put_i32(out, get_i32(r)) < 0) /* ThrottleTimeMs */
		return -1;
	if (put_i16(out, get_i16(r)) < 0) /* ErrorCode */
		return -1;
	if (ver >= 1) {
		int ml;
		const char *msg = get_str(r, &ml, true);
		if (r->bad || put_str(out, msg, ml) < 0)
			return -1;
	}
	int32_t node = get_i32(r);
	int hl;
	const char *host = get_str(r, &hl, false);
	int32_t port = get_i32(r);
	if (r->bad)
		return -1;
	int fi = front_of_uport(f, port);
	if (fi >= 0)
		port = f->fport[fi];
	if (put_i32(out, node) < 0 || put_str(out, host, hl) < 0 || put_i32(out, port) < 0)
		return -1;
	return finish_frame(out, start, r);
}

/* ApiVersions v0-v2: CreateTopics 0-4 joins the list. */
static int rewrite_api_versions(reader *r, bytes *out)
{
	size_t start = out->len;
	int32_t corr = get_i32(r);
	int16_t err = get_i16(r);
	int32_t n = get_count(r, 6);
	if (r->bad)
		return -1;
	size_t entries = r->off;
	bool has = false;
	for (int32_t i = 0; i < n; i++) {
		if (get_i16(r) == API_CREATE_TOPICS)
			has = true;
		get_i16(r);
		get_i16(r);
	}
	if (r->bad)
		return -1;
	bool add = err == 0 && !has;
	if (put_i32(out, 0) < 0 || put_i32(out, corr) < 0 || put_i16(out, err) < 0 ||
	    put_i32(out, n + (add ? 1 : 0)) < 0 || put(out, r->p + entries, r->off - entries) < 0)
		return -1;
	if (add && (put_i16(out, API_CREATE_TOPICS) < 0 || put_i16(out, 0) < 0 ||
		    put_i16(out, CREATE_TOPICS_MAX_VERSION) < 0))
		return -1;
	return finish_frame(out, start, r);
}

/* ---- CreateTopics ---- */

typedef struct new_topic {
	const char *name;
	int nlen;
	int32_t partitions;
	int16_t replication;
	int32_t nassign, nconfig;
} new_topic;

static bool legal_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '_' || c == '-';
}

/* Whether the mock has the topic: a Metadata request for all topics
 * (asking for one topic by name would make the mock create it). 1, 0, or
 * -1 when the mock could not be asked. */
static int topic_exists(front *f, const char *name, char *why, size_t whylen)
{
	if (!f->meta) {
		char err[256];
		rd_kafka_conf_t *conf = rd_kafka_conf_new();
		if (rd_kafka_conf_set(conf, "bootstrap.servers", f->mock_bootstraps, err, sizeof err) ||
		    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err) ||
		    !(f->meta = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err))) {
			snprintf(why, whylen, "cannot ask the mock cluster (%s)", err);
			return -1;
		}
	}
	const rd_kafka_metadata_t *md;
	rd_kafka_resp_err_t err = rd_kafka_metadata(f->meta, 1, NULL, &md, 5000);
	if (err) {
		snprintf(why, whylen, "cannot ask the mock cluster (%s)", rd_kafka_err2str(err));
		return -1;
	}
	int found = 0;
	for (int i = 0; i < md->topic_cnt && !found; i++)
		found = strcmp(md->topics[i].topic, name) == 0;
	rd_kafka_metadata_destroy(md);
	return found;
}

/* Decides one topic: its error code, and a message when not 0. */
static int16_t create_one(front *f, int fi, const new_topic *t, bool duplicate, bool validate_only, char *msg,
			  size_t msglen)
{
	char name[TOPIC_NAME_MAX + 1];
	if (duplicate) {
		snprintf(msg, msglen, "topic %.*s is named more than once in the request", t->nlen, t->name);
		return RD_KAFKA_RESP_ERR_INVALID_REQUEST;
	}
	if (f->node[fi] < 0 || f->node[fi] != f->controller) {
		snprintf(msg, msglen, "this broker is not the controller");
		return RD_KAFKA_RESP_ERR_NOT_CONTROLLER;
	}
	bool legal = t->nlen > 0 && t->nlen <= TOPIC_NAME_MAX && !(t->nlen == 1 && t->name[0] == '.') &&
		     !(t->nlen == 2 && t->name[0] == '.' && t->name[1] == '.');
	for (int i = 0; legal && i < t->nlen; i++)
		legal = legal_char(t->name[i]);
	if (!legal) {
		snprintf(msg, msglen,
			 "topic name \"%.*s\" is not legal: 1 to %d characters of a-z, A-Z, 0-9, '.', '_', '-', "
			 "not \".\" or \"..\"",
			 t->nlen > 300 ? 300 : t->nlen, t->name, TOPIC_NAME_MAX);
		return RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION;
	}
	memcpy(name, t->name, (size_t)t->nlen);
	name[t->nlen] = '\0';
	char why[300];
	int exists = topic_exists(f, name, why, sizeof why);
	if (exists < 0) {
		snprintf(msg, msglen, "%s", why);
		return RD_KAFKA_RESP_ERR_UNKNOWN;
	}
	if (exists) {
		snprintf(msg, msglen, "topic %s already exists", name);
		return RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS;
	}
	if (t->nassign > 0) {
		snprintf(msg, msglen, "replica assignments are not supported by this test cluster");
		return RD_KAFKA_RESP_ERR_INVALID_REPLICA_ASSIGNMENT;
	}
	if (t->nconfig > 0) {
		snprintf(msg, msglen, "topic configs are not supported by this test cluster");
		return RD_KAFKA_RESP_ERR_INVALID_CONFIG;
	}
	/* -1: the cluster's defaults, those of the mock's auto-creation */
	int32_t parts = t->partitions == -1 ? 4 : t->partitions;
	int rf = t->replication == -1 ? (f->nbrokers < 3 ? f->nbrokers : 3) : t->replication;
	if (parts < 1 || parts > PARTITIONS_MAX) {
		snprintf(msg, msglen, "number of partitions must be 1 to %d, not %d", PARTITIONS_MAX,
			 (int)t->partitions);
		return RD_KAFKA_RESP_ERR_INVALID_PARTITIONS;
	}
	if (rf < 1) {
		snprintf(msg, msglen, "replication factor must be at least 1, not %d", rf);
		return RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR;
	}
	if (rf > f->nbrokers) {
		snprintf(msg, msglen, "replication factor %d is larger than the %d brokers available", rf,
			 f->nbrokers);
		return RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR;
	}
	if (validate_only)
		return 0;
	rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(f->mc, name, (int)parts, rf);
	if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
		snprintf(msg, msglen, "topic %s already exists", name);
		return RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS;
	}
	if (err) {
		snprintf(msg, msglen, "the mock cluster cannot create it (%s)", rd_kafka_err2str(err));
		return RD_KAFKA_RESP_ERR_UNKNOWN;
	}
	logf_("created topic %s: %d partitions, replication factor %d", name, (int)parts, rf);
	return 0;
}

/* Answers a CreateTopics request frame (after its size) into out, a whole
 * response frame. -1 on a malformed request (the connection is closed). */
static int create_topics(front *f, int fi, const unsigned char *frame, size_t size, bytes *out)
{
	reader r = {.p = frame, .len = size};
	get_i16(&r); /* ApiKey */
	int16_t ver = get_i16(&r);
	int32_t corr = get_i32(&r);
	int cl;
	get_str(&r, &cl, true); /* ClientId */
	if (r.bad || ver < 0 || ver > CREATE_TOPICS_MAX_VERSION)
		return -1;
	/* smallest topic: name "" (2), partitions (4), replication (2), two
	 * empty arrays (8) */
	int32_t n = get_count(&r, 16);
	if (r.bad)
		return -1;
	new_topic *topics = calloc(n ? (size_t)n : 1, sizeof *topics);
	if (!topics)
		return -1;
	for (int32_t i = 0; i < n && !r.bad; i++) {
		new_topic *t = &topics[i];
		t->name = get_str(&r, &t->nlen, false);
		t->partitions = get_i32(&r);
		t->replication = get_i16(&r);
		t->nassign = get_count(&r, 8);
		for (int32_t a = 0; a < t->nassign && !r.bad; a++) {
			get_i32(&r); /* PartitionIndex */
			int32_t nb = get_count(&r, 4);
			for (int32_t b = 0; b < nb && !r.bad; b++)
				get_i32(&r); /* BrokerIds */
		}
		t->nconfig = get_count(&r, 4);
		for (int32_t c = 0; c < t->nconfig && !r.bad; c++) {
			int l;
			get_str(&r, &l, false); /* Name */
			get_str(&r, &l, true);  /* Value */
		}
	}
	get_i32(&r); /* TimeoutMs: creation here is immediate */
	bool validate_only = ver >= 1 && get_i8(&r) != 0;
	if (r.bad || r.off != r.len) {
		free(topics);
		return -1;
	}

	size_t start = out->len;
	int rc = put_i32(out, 0) < 0 || put_i32(out, corr) < 0 || (ver >= 2 && put_i32(out, 0) < 0) ||
		 put_i32(out, n) < 0;
	for (int32_t i = 0; i < n && !rc; i++) {
		const new_topic *t = &topics[i];
		bool dup = false;
		for (int32_t j = 0; j < n && !dup; j++)
			dup = j != i && topics[j].nlen == t->nlen && memcmp(topics[j].name, t->name, (size_t)t->nlen) == 0;
		char msg[512] = "";
		int16_t err = create_one(f, fi, t, dup, validate_only, msg, sizeof msg);
		rc = put_str(out, t->name, t->nlen) < 0 || put_i16(out, err) < 0 ||
		     (ver >= 1 && put_str(out, err ? msg : NULL, (int)strlen(msg)) < 0);
	}
	free(topics);
	if (rc)
		return -1;
	uint32_t sz = htonl((uint32_t)(out->len - start - 4));
	memcpy(out->p + start, &sz, 4);
	return 0;
}

/* ---- connections ---- */

static void conn_close(front *f, size_t ci)
{
	conn *c = f->conns[ci];
	close(c->cfd);
	if (c->ufd >= 0)
		close(c->ufd);
	bytes_free(&c->cin);
	bytes_free(&c->cout);
	bytes_free(&c->uin);
	bytes_free(&c->uout);
	for (size_t i = 0; i < c->pcount; i++)
		bytes_free(&c->pend[(c->phead + i) % PENDING_MAX].local);
	free(c);
	f->conns[ci] = NULL;
}

/* Sends the answers made here that are next in line. */
static int flush_locals(conn *c)
{
	while (c->pcount > 0 && c->pend[c->phead].is_local) {
		pending *p = &c->pend[c->phead];
		if (put(&c->cout, p->local.p, p->local.len) < 0)
			return -1;
		bytes_free(&p->local);
		c->phead = (c->phead + 1) % PENDING_MAX;
		c->pcount--;
	}
	return 0;
}

/* Whether a Produce request expects no response (Acks 0). */
static bool produce_acks0(const unsigned char *frame, size_t size)
{
	reader r = {.p = frame, .len = size};
	get_i16(&r);
	int16_t ver = get_i16(&r);
	get_i32(&r);
	int l;
	get_str(&r, &l, true); /* ClientId */
	if (ver >= 3)
		get_str(&r, &l, true); /* TransactionalId */
	int16_t acks = get_i16(&r);
	return !r.bad && acks == 0;
}

/* Reads a frame's size at b's start: 1 with *size when the whole frame is
 * there, 0 when more is needed, -1 when it is too large. */
static int whole_frame(const bytes *b, size_t min, size_t *size)
{
	if (bytes_avail(b) < 4)
		return 0;
	const unsigned char *q = b->p + b->off;
	uint32_t sz = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
	if (sz < min || sz > FRAME_MAX)
		return -1;
	*size = sz;
	return bytes_avail(b) - 4 >= sz ? 1 : 0;
}

/* Requests from the client: relayed, or answered here. -1: close. */
static int client_frames(front *f, conn *c)
{
	size_t size;
	int w = 0;
	while (c->pcount < PENDING_MAX && (w = whole_frame(&c->cin, 8, &size)) == 1) {
		const unsigned char *frame = c->cin.p + c->cin.off + 4;
		int16_t key = (int16_t)(frame[0] << 8 | frame[1]);
		int16_t ver = (int16_t)(frame[2] << 8 | frame[3]);
		int32_t corr = (int32_t)((uint32_t)frame[4] << 24 | (uint32_t)frame[5] << 16 |
					 (uint32_t)frame[6] << 8 | frame[7]);
		pending *p = &c->pend[(c->phead + c->pcount) % PENDING_MAX];
		memset(p, 0, sizeof *p);
		p->corr = corr;
		p->key = key;
		p->ver = ver;
		if (key == API_CREATE_TOPICS) {
			if (create_topics(f, c->fi, frame, size, &p->local) < 0) {
				bytes_free(&p->local);
				logf_("malformed or unsupported CreateTopics request (v%d): closing", ver);
				return -1;
			}
			p->is_local = true;
			c->pcount++;
		} else {
			if (!(key == API_PRODUCE && produce_acks0(frame, size)))
				c->pcount++;
			if (put(&c->uout, c->cin.p + c->cin.off, size + 4) < 0)
				return -1;
		}
		c->cin.off += size + 4;
		if (flush_locals(c) < 0)
			return -1;
	}
	return w < 0 ? -1 : 0;
}

/* Responses from the broker, in request order; some rewritten. */
static int upstream_frames(front *f, conn *c)
{
	size_t size;
	int w;
	while ((w = whole_frame(&c->uin, 4, &size)) == 1) {
		const unsigned char *frame = c->uin.p + c->uin.off + 4;
		int32_t corr = (int32_t)((uint32_t)frame[0] << 24 | (uint32_t)frame[1] << 16 |
					 (uint32_t)frame[2] << 8 | frame[3]);
		if (c->pcount == 0 || c->pend[c->phead].is_local || c->pend[c->phead].corr != corr) {
			logf_("response %d from the broker answers no request in line: closing", (int)corr);
			return -1;
		}
		pending *p = &c->pend[c->phead];
		reader r = {.p = frame, .len = size};
		size_t before = c->cout.len;
		int rc = 1; /* 1: relay as it is */
		if (p->ver >= 0 && p->ver <= 2) {
			if (p->key == API_METADATA)
				rc = rewrite_metadata(f, p->ver, &r, &c->cout);
			else if (p->key == API_FIND_COORDINATOR)
				rc = rewrite_find_coordinator(f, p->ver, &r, &c->cout);
			else if (p->key == API_API_VERSIONS)
				rc = rewrite_api_versions(&r, &c->cout);
		}
		if (rc < 0) {
			/* not what the protocol says: relay it untouched */
			logf_("cannot parse the response to ApiKey %d v%d: relayed as it is", p->key, p->ver);
			c->cout.len = before;
			rc = 1;
		}
		if (rc == 1 && put(&c->cout, c->uin.p + c->uin.off, size + 4) < 0)
			return -1;
		c->uin.off += size + 4;
		c->phead = (c->phead + 1) % PENDING_MAX;
		c->pcount--;
		if (flush_locals(c) < 0)
			return -1;
	}
	return w < 0 ? -1 : 0;
}

/* Reads what fd has into b (one chunk). 0, or -1 at end or error. */
static int fill(int fd, bytes *b)
{
	if (bytes_reserve(b, READ_CHUNK) < 0)
		return -1;
	ssize_t n = read(fd, b->p + b->len, READ_CHUNK);
	if (n > 0) {
		b->len += (size_t)n;
		return 0;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return -1;
}

static int drain(int fd, bytes *b)
{
	if (!bytes_avail(b))
		return 0;
	ssize_t n = write(fd, b->p + b->off, bytes_avail(b));
	if (n >= 0) {
		b->off += (size_t)n;
		if (b->off == b->len)
			b->off = b->len = 0;
		return 0;
	}
	return errno == EAGAIN || errno == EINTR ? 0 : -1;
}

static int tcp_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void set_socket(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void accept_one(front *f, int fi)
{
	int cfd = accept4(f->lfd[fi], NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	size_t ci = 0;
	while (ci < CONN_MAX && f->conns[ci])
		ci++;
	int ufd = ci < CONN_MAX ? tcp_connect(f->uport[fi]) : -1;
	conn *c = ufd >= 0 ? calloc(1, sizeof *c) : NULL;
	if (!c) {
		/* no room, or the broker is down: so is its front */
		if (ufd >= 0)
			close(ufd);
		close(cfd);
		return;
	}
	set_socket(cfd);
	set_socket(ufd);
	c->cfd = cfd;
	c->ufd = ufd;
	c->fi = fi;
	f->conns[ci] = c;
}

static void *front_main(void *arg)
{
	front *f = arg;
	struct pollfd *pfd = calloc(1 + FRONT_MAX + 2 * CONN_MAX, sizeof *pfd);
	if (!pfd)
		return NULL;
	for (;;) {
		int np = 0;
		pfd[np++] = (struct pollfd){.fd = f->stop_pipe[0], .events = POLLIN};
		for (int i = 0; i < f->n; i++)
			pfd[np++] = (struct pollfd){.fd = f->lfd[i], .events = POLLIN};
		for (size_t ci = 0; ci < CONN_MAX; ci++) {
			conn *c = f->conns[ci];
			short ce = 0, ue = 0;
			if (c) {
				/* read a side only while the other can take it */
				if (bytes_avail(&c->uout) < OUT_HIGH && c->pcount < PENDING_MAX)
					ce |= POLLIN;
				if (bytes_avail(&c->cout))
					ce |= POLLOUT;
				if (bytes_avail(&c->cout) < OUT_HIGH)
					ue |= POLLIN;
				if (bytes_avail(&c->uout))
					ue |= POLLOUT;
			}
			pfd[np++] = (struct pollfd){.fd = c ? c->cfd : -1, .events = ce};
			pfd[np++] = (struct pollfd){.fd = c ? c->ufd : -1, .events = ue};
		}
		if (poll(pfd, (nfds_t)np, 1000) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		for (int i = 0; i < f->n; i++)
			if (pfd[1 + i].revents & POLLIN)
				accept_one(f, i);
		for (size_t ci = 0; ci < CONN_MAX; ci++) {
			conn *c = f->conns[ci];
			struct pollfd *cp = &pfd[1 + f->n + 2 * ci], *up = cp + 1;
			if (!c || cp->fd != c->cfd)
				continue; /* accepted during this round */
			int bad = 0;
			if (cp->revents & (POLLIN | POLLHUP | POLLERR))
				bad |= fill(c->cfd, &c->cin) < 0 || client_frames(f, c) < 0;
			if (!bad && (up->revents & (POLLIN | POLLHUP | POLLERR)))
				bad |= fill(c->ufd, &c->uin) < 0 || upstream_frames(f, c) < 0;
			/* what a pending-full round left behind */
			if (!bad && c->pcount < PENDING_MAX)
				bad |= client_frames(f, c) < 0;
			if (!bad)
				bad |= drain(c->ufd, &c->uout) < 0 || drain(c->cfd, &c->cout) < 0;
			if (bad)
				conn_close(f, ci);
		}
	}
	for (size_t ci = 0; ci < CONN_MAX; ci++)
		if (f->conns[ci])
			conn_close(f, ci);
	free(pfd);
	return NULL;
}

/* ---- lifetime ---- */

static void front_free(front *f)
{
	for (int i = 0; i < f->n; i++)
		if (f->lfd[i] >= 0)
			close(f->lfd[i]);
	if (f->stop_pipe[0] >= 0) {
		close(f->stop_pipe[0]);
		close(f->stop_pipe[1]);
	}
	if (f->meta)
		rd_kafka_destroy(f->meta);
	free(f);
}

front *front_start(rd_kafka_mock_cluster_t *mc, const char *mock_bootstraps, int nbrokers, char *err,
		   size_t errlen)
{
	front *f = calloc(1, sizeof *f);
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->mc = mc;
	f->nbrokers = nbrokers;
	f->controller = -1;
	f->stop_pipe[0] = f->stop_pipe[1] = -1;
	snprintf(f->mock_bootstraps, sizeof f->mock_bootstraps, "%s", mock_bootstraps);
	/* "host:port,host:port,...": the mock listens on loopback */
	for (const char *s = mock_bootstraps; s && *s;) {
		const char *colon = strchr(s, ':'), *comma = strchr(s, ',');
		if (!colon || (comma && comma < colon) || f->n == FRONT_MAX) {
			snprintf(err, errlen, "cannot read the mock's bootstrap list \"%s\"", mock_bootstraps);
			front_free(f);
			return NULL;
		}
		f->lfd[f->n] = -1;
		f->node[f->n] = -1;
		f->uport[f->n++] = atoi(colon + 1);
		s = comma ? comma + 1 : NULL;
	}
	size_t bl = 0;
	for (int i = 0; i < f->n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET};
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		socklen_t sl = sizeof sa;
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 64) < 0 ||
		    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
			snprintf(err, errlen, "cannot listen (%s)", strerror(errno));
			if (fd >= 0)
				close(fd);
			front_free(f);
			return NULL;
		}
		f->lfd[i] = fd;
		f->fport[i] = ntohs(sa.sin_port);
		bl += (size_t)snprintf(f->bootstraps + bl, sizeof f->bootstraps - bl, "%s127.0.0.1:%d",
				       i ? "," : "", f->fport[i]);
	}
	if (pipe2(f->stop_pipe, O_CLOEXEC) < 0 || pthread_create(&f->thr, NULL, front_main, f) != 0) {
		snprintf(err, errlen, "cannot start (%s)", strerror(errno));
		front_free(f);
		return NULL;
	}
	return f;
}

const char *front_bootstraps(const front *f)
{
	return f->bootstraps;
}

void front_stop(front *f)
{
	if (!f)
		return;
	(void)!write(f->stop_pipe[1], "x", 1);
	pthread_join(f->thr, NULL);
	front_free(f);
}
