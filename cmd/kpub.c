/* kpub — publishes change records to Kafka: one topic per table (a template),
 * the row's key as message key so every change of a row lands in one
 * partition in order, the record's own bytes as value.
 *
 * Acks: a record is durable once the broker acknowledged it (acks=all,
 * idempotent producer). Delivery reports arrive out of input order, so per
 * input stream kpub keeps the records in flight in input order and acks the
 * newest offset of the contiguous delivered prefix. A record that failed is
 * never acked, nor is anything after it: kpub stops, and the upstream stage
 * sends it again.
 *
 * Watermarks (watermark.h): at most every --watermark-ms, when a stream's
 * delivered prefix has grown, a message to every partition of every topic
 * of kpub's topic family saying how far that prefix reaches. Those records
 * are in the brokers' logs already, so each partition has them before the
 * watermark, whatever the producer does meanwhile. ksub --ordered needs
 * them to release a record once no partition can still bring an earlier
 * one, also from partitions that get no records. */
#include "ack.h"
#include "kafka_topic.h"
#include "kconf.h"
#include "kpub_feed.h"
#include "log.h"
#include "metrics.h"
#include "monoclock.h"
#include "pos.h"
#include "record.h"
#include "watermark.h"

#include <librdkafka/rdkafka.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

/* ---- options ---- */

static struct {
	const char *topic_tmpl;
	const char *prefix;
	const char *ack_path;
	bool create_topics;
	int partitions;
	int replication;
	bool tombstones;
	bool no_headers;
	int watermark_ms; /* 0: no watermarks; -1: not given */
	bool debezium;        /* --envelope debezium */
	bool envelope_schema; /* --envelope-schema */
	int progress; /* -1: default (stderr is a tty) */
	int flush_timeout_ms;
	metrics_config metrics;
} opt = {
	.topic_tmpl = KAFKA_TOPIC_DEFAULT_TEMPLATE,
	.partitions = 6,
	.replication = -1,
	.watermark_ms = -1,
	.progress = -1,
	.flush_timeout_ms = 30000,
};

static volatile sig_atomic_t got_signal;

/* The first signal stops reading; a second one also ends the flush wait. */
static void on_signal(int sig)
{
	(void)sig;
	if (got_signal < 2)
		got_signal = got_signal + 1;
}

/* ---- in-flight records per input stream ----
 *
 * A ring of the stream's records in input order, from the oldest not yet
 * acked (seq base) to the newest (seq next - 1). Each entry counts the
 * messages still awaiting a delivery report (1, or 2 with a tombstone); -1
 * marks a record that failed and blocks the prefix for good. The ring grows
 * only to the number of messages librdkafka holds, which
 * queue.buffering.max.messages bounds. */

typedef struct inflight {
	pos_offset off;
	int64_t commit_us;
	int pending;
} inflight;

typedef struct stream_track {
	char name[POS_STREAM_MAX + 1];
	inflight *ring;
	size_t cap; /* a power of two */
	uint64_t base, next;
	pos_offset acked;
	bool have_acked, dirty;
	pos_offset watermark; /* what the last watermarks said of it */
	bool have_watermark;
	/* --envelope debezium: the stream its events are of for their readers
	 * ("debezium/NAME"); "" for a snapshot's (no watermarks: its rows
	 * are in no order that ksub --ordered keeps) */
	char dbz[POS_STREAM_MAX + 1];
	metric *m_out; /* its records delivered (--metrics) */
} stream_track;

#define MAX_STREAMS 4096
#define SEQ_BITS 48
#define SEQ_MASK (((uint64_t)1 << SEQ_BITS) - 1)
#define OPAQUE_UNTRACKED ((uint64_t)0xffff << SEQ_BITS)
#define OPAQUE_WATERMARK ((uint64_t)0xfffe << SEQ_BITS)

static stream_track **streams;
static size_t nstreams;
static size_t last_stream; /* index of the stream of the previous record */

static struct {
	uint64_t read, produced, delivered, acked_records, queue_full, watermarks;
	uint64_t bytes_read, bytes_delivered;
} stats;

/* --metrics (all NULL without) */
static metrics *mx;
static struct {
	metrics_stage io;
	metric_family *delivery_errors;
	metric *errors, *batches, *in_flight;
} mm;

/* The first delivery failure decides the exit code. */
static rd_kafka_resp_err_t first_err;
static char first_err_text[512];
static bool shutting_down; /* purged messages are expected then */

static stream_track *stream_get(const char *name, size_t *idx)
{
	if (last_stream < nstreams && strcmp(streams[last_stream]->name, name) == 0) {
		*idx = last_stream;
		return streams[last_stream];
	}
	for (size_t i = 0; i < nstreams; i++)
		if (strcmp(streams[i]->name, name) == 0) {
			*idx = last_stream = i;
			return streams[i];
		}
	if (nstreams == MAX_STREAMS)
		return NULL;
	stream_track **ns = realloc(streams, (nstreams + 1) * sizeof *ns);
	if (!ns)
		return NULL;
	streams = ns;
	stream_track *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	snprintf(s->name, sizeof s->name, "%s", name);
	s->m_out = metric_get(mm.io.out, s->name);
	s->cap = 1024;
	s->ring = malloc(s->cap * sizeof *s->ring);
	if (!s->ring) {
		free(s);
		return NULL;
	}
	streams[nstreams] = s;
	*idx = last_stream = nstreams++;
	return s;
}

static inflight *stream_entry(stream_track *s, uint64_t seq)
{
	return &s->ring[seq & (s->cap - 1)];
}

/* Appends a record; returns its seq, or UINT64_MAX when out of memory. */
static uint64_t stream_push(stream_track *s, pos_offset off, int64_t commit_us, int pending)
{
	if (s->next - s->base == s->cap) {
		size_t ncap = s->cap * 2;
		inflight *nr = malloc(ncap * sizeof *nr);
		if (!nr)
			return UINT64_MAX;
		for (uint64_t q = s->base; q < s->next; q++)
			nr[q & (ncap - 1)] = *stream_entry(s, q);
		free(s->ring);
		s->ring = nr;
		s->cap = ncap;
	}
	uint64_t seq = s->next++;
	inflight *e = stream_entry(s, seq);
	e->off = off;
	e->commit_us = commit_us;
	e->pending = pending;
	return seq;
}

/* Moves the acked position over the delivered prefix. */
static void stream_advance(stream_track *s)
{
	while (s->base < s->next) {
		inflight *e = stream_entry(s, s->base);
		if (e->pending != 0)
			break;
		s->acked = e->off;
		s->have_acked = s->dirty = true;
		s->base++;
		stats.acked_records++;
		metric_add(s->m_out, 1);
		metrics_commit_done(mm.io.last, mm.io.lag, &mm.io.newest_us, e->commit_us);
	}
}

static void send_acks(ack_writer *aw)
{
	if (!aw)
		return;
	for (size_t i = 0; i < nstreams; i++) {
		stream_track *s = streams[i];
		if (!s->dirty)
			continue;
		s->dirty = false;
		/* -1 only means no reader yet; the writer keeps the newest. */
		(void)ack_writer_send(aw, s->name, s->acked);
	}
}

static void streams_free(void)
{
	for (size_t i = 0; i < nstreams; i++) {
		free(streams[i]->ring);
		free(streams[i]);
	}
	free(streams);
	streams = NULL;
	nstreams = 0;
}

/* ---- errors ---- */

/* Whether sending again later could succeed: the broker or network was
 * unavailable for a while, as opposed to a message or configuration the
 * cluster refuses. */
static bool err_retriable(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
	case RD_KAFKA_RESP_ERR__TRANSPORT:
	case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
	case RD_KAFKA_RESP_ERR__RESOLVE:
	case RD_KAFKA_RESP_ERR__QUEUE_FULL:
	case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
	case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
	case RD_KAFKA_RESP_ERR__WAIT_COORD:
	case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
	case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
	case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
	case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
	case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
	case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
	case RD_KAFKA_RESP_ERR_NOT_CONTROLLER:
	case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
	case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED:
		return true;
	default:
		return false;
	}
}

static void set_failure(rd_kafka_resp_err_t err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_failure(rd_kafka_resp_err_t err, const char *fmt, ...)
{
	if (first_err)
		return;
	first_err = err;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(first_err_text, sizeof first_err_text, fmt, ap);
	va_end(ap);
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *ctx)
{
	(void)rk;
	(void)ctx;
	uint64_t op = (uint64_t)(uintptr_t)m->_private;
	stream_track *s = NULL;
	inflight *e = NULL;
	if (op == OPAQUE_WATERMARK) {
		/* not a record: a lost one only delays ksub --ordered until the next */
		if (m->err)
			log_debug("a watermark to %s [%" PRId32 "] failed (%s)", rd_kafka_topic_name(m->rkt),
				  m->partition, rd_kafka_err2str(m->err));
		else
			stats.watermarks++;
		return;
	}
	if (op != OPAQUE_UNTRACKED) {
		size_t idx = (size_t)(op >> SEQ_BITS);
		uint64_t seq = op & SEQ_MASK;
		s = streams[idx];
		/* The ring holds full seqs; recover the high bits from base. */
		seq |= s->base & ~SEQ_MASK;
		if (seq < s->base)
			seq += (uint64_t)1 << SEQ_BITS;
		e = stream_entry(s, seq);
	}
	if (m->err) {
		if (e)
			e->pending = -1;
		bool purged = m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
			      m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT;
		if (!(shutting_down && purged)) {
			set_failure(m->err, "delivery to %s [%" PRId32 "] failed (%s)",
				    rd_kafka_topic_name(m->rkt), m->partition, rd_kafka_err2str(m->err));
			metric_add(metric_get(mm.delivery_errors, rd_kafka_err2name(m->err)), 1);
			metric_add(mm.errors, 1);
		}
		return;
	}
	stats.delivered++;
	stats.bytes_delivered += m->len + m->key_len;
	if (e && e->pending > 0 && --e->pending == 0)
		stream_advance(s);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *ctx)
{
	(void)ctx;
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char buf[512];
		rd_kafka_resp_err_t ferr = rd_kafka_fatal_error(rk, buf, sizeof buf);
		set_failure(ferr ? ferr : RD_KAFKA_RESP_ERR__FATAL, "fatal producer error (%s)", buf);
		return;
	}
	/* Everything else is transient: librdkafka retries until
	 * message.timeout.ms, whose expiry the delivery report tells. */
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
		log_info("all brokers are down, retrying (%s)", reason);
	else
		log_debug("kafka: %s (%s)", rd_kafka_err2str((rd_kafka_resp_err_t)err), reason);
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	if (level <= 2 || log_verbosity >= 2)
		log_error("librdkafka %s: %s", fac, buf);
}

/* ---- topics ----
 *
 * Two maps: topic name -> topic (so each topic is created and opened
 * once), and table (db, schema, table) -> topic, so that a record costs one
 * hash lookup and no template expansion. Both grow with the number of
 * tables, which the source schema bounds. */

typedef struct topic {
	rd_kafka_topic_t *rkt;
	/* The partition count the partitioner was last called with (0: not
	 * yet, or not the partitioner kpub wraps). The partitioner may run on
	 * librdkafka's threads, hence atomic. */
	atomic_int partitions;
	/* partitions as publish_batch read it once for batch number batch */
	int batch_partitions;
	uint64_t batch;
} topic;

typedef struct map_slot {
	char *key; /* NUL-terminated name, or db\0schema\0table */
	size_t klen;
	topic *t;
} map_slot;

typedef struct map {
	map_slot *slots;
	size_t cap, n;
} map;

static map topic_map, table_map;

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static map_slot *map_find(map *m, const char *key, size_t klen)
{
	for (size_t i = hash_bytes(key, klen) & (m->cap - 1);; i = (i + 1) & (m->cap - 1))
		if (!m->slots[i].key || (m->slots[i].klen == klen && memcmp(m->slots[i].key, key, klen) == 0))
			return &m->slots[i];
}

/* Makes room for one more entry; 0 or -1. */
static int map_reserve(map *m)
{
	if ((m->n + 1) * 2 <= m->cap)
		return 0;
	map old = *m;
	m->cap = old.cap ? old.cap * 2 : 64;
	m->slots = calloc(m->cap, sizeof *m->slots);
	if (!m->slots) {
		*m = old;
		return -1;
	}
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			*map_find(m, old.slots[i].key, old.slots[i].klen) = old.slots[i];
	free(old.slots);
	return 0;
}

/* Adds key (copied); the slot must come from map_find and be empty. */
static int map_put(map *m, map_slot *slot, const char *key, size_t klen, topic *t)
{
	slot->key = malloc(klen + 1);
	if (!slot->key)
		return -1;
	memcpy(slot->key, key, klen);
	slot->key[klen] = '\0';
	slot->klen = klen;
	slot->t = t;
	m->n++;
	return 0;
}

static void map_free(map *m, bool free_topics)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key) {
			if (free_topics)
				free(m->slots[i].t);
			free(m->slots[i].key);
		}
	free(m->slots);
	memset(m, 0, sizeof *m);
}

/* Creates the topic through the Admin API; an existing topic is fine. */
static int create_topic(rd_kafka_t *rk, const char *name)
{
	char errstr[512];
	rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(name, opt.partitions, opt.replication,
							errstr, sizeof errstr);
	if (!nt) {
		set_failure(RD_KAFKA_RESP_ERR__INVALID_ARG, "cannot create topic %s (%s)", name, errstr);
		return -1;
	}
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_operation_timeout(ao, 30000, errstr, sizeof errstr);
	rd_kafka_AdminOptions_set_request_timeout(ao, 30000, errstr, sizeof errstr);
	rd_kafka_CreateTopics(rk, &nt, 1, ao, q);
	rd_kafka_event_t *ev = NULL;
	/* The main queue must keep being served: delivery reports meanwhile. */
	for (int waited = 0; !ev && waited < 35000; waited += 100) {
		ev = rd_kafka_queue_poll(q, 100);
		rd_kafka_poll(rk, 0);
	}
	int rc = 0;
	if (!ev) {
		set_failure(RD_KAFKA_RESP_ERR__TIMED_OUT, "cannot create topic %s (timed out)", name);
		rc = -1;
	} else if (rd_kafka_event_error(ev)) {
		set_failure(rd_kafka_event_error(ev), "cannot create topic %s (%s)", name,
			    rd_kafka_event_error_string(ev));
		rc = -1;
	} else {
		size_t n;
		const rd_kafka_topic_result_t **res =
			rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
		for (size_t i = 0; i < n; i++) {
			rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
			if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
				log_debug("topic %s exists", name);
			} else if (err) {
				const char *es = rd_kafka_topic_result_error_string(res[i]);
				set_failure(err, "cannot create topic %s (%s)", name,
					    es ? es : rd_kafka_err2str(err));
				rc = -1;
			} else {
				log_debug("created topic %s (%d partitions)", name, opt.partitions);
			}
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(ao);
	rd_kafka_queue_destroy(q);
	rd_kafka_NewTopic_destroy(nt);
	return rc;
}

/* kpub's default partitioner, murmur2_random, as librdkafka runs it, noting
 * the partition count on the way: with it kpub predicts each record's
 * partition and hands librdkafka a batch's records partition by partition
 * (publish_batch). */
static int32_t partition_seen(const rd_kafka_topic_t *rkt, const void *key, size_t keylen,
			      int32_t partition_cnt, void *rkt_opaque, void *msg_opaque)
{
	topic *t = rkt_opaque;
	if (t)
		atomic_store_explicit(&t->partitions, partition_cnt, memory_order_relaxed);
	return rd_kafka_msg_partitioner_murmur2_random(rkt, key, keylen, partition_cnt, NULL, msg_opaque);
}

static void watermark_family(const char *db);

/* The topic for the record's table; NULL after set_failure or with *bad set
 * when the record yields no legal topic name. */
static topic *topic_for(rd_kafka_t *rk, const char *db, const char *schema, const char *table,
			bool *bad)
{
	*bad = false;
	char tkey[3 * (RECORD_NAME_MAX + 1)];
	size_t dl = strlen(db), sl = strlen(schema), tl = strlen(table);
	if (dl > RECORD_NAME_MAX || sl > RECORD_NAME_MAX || tl > RECORD_NAME_MAX) {
		*bad = true;
		return NULL;
	}
	memcpy(tkey, db, dl + 1);
	memcpy(tkey + dl + 1, schema, sl + 1);
	memcpy(tkey + dl + sl + 2, table, tl);
	size_t tklen = dl + sl + 2 + tl;
	if (map_reserve(&table_map) < 0 || map_reserve(&topic_map) < 0) {
		set_failure(RD_KAFKA_RESP_ERR__FAIL, "out of memory");
		return NULL;
	}
	map_slot *ts = map_find(&table_map, tkey, tklen);
	if (ts->key)
		return ts->t;

	char name[KAFKA_TOPIC_MAX + 1];
	int nlen = kafka_topic_expand(opt.topic_tmpl, opt.prefix, db, schema, table, name, sizeof name);
	if (nlen < 0) {
		*bad = true;
		return NULL;
	}
	map_slot *slot = map_find(&topic_map, name, (size_t)nlen);
	if (!slot->key) {
		if (opt.create_topics && create_topic(rk, name) < 0)
			return NULL;
		topic *t = calloc(1, sizeof *t);
		rd_kafka_topic_conf_t *tc = rd_kafka_default_topic_conf_dup(rk);
		if (!t || !tc) {
			free(t);
			if (tc)
				rd_kafka_topic_conf_destroy(tc);
			set_failure(RD_KAFKA_RESP_ERR__FAIL, "out of memory");
			return NULL;
		}
		atomic_init(&t->partitions, 0);
		rd_kafka_topic_conf_set_opaque(tc, t);
		t->rkt = rd_kafka_topic_new(rk, name, tc); /* takes tc */
		if (!t->rkt) {
			free(t);
			set_failure(rd_kafka_last_error(), "cannot use topic %s (%s)", name,
				    rd_kafka_err2str(rd_kafka_last_error()));
			return NULL;
		}
		if (map_put(&topic_map, slot, name, (size_t)nlen, t) < 0) {
			rd_kafka_topic_destroy(t->rkt);
			free(t);
			set_failure(RD_KAFKA_RESP_ERR__FAIL, "out of memory");
			return NULL;
		}
	}
	if (map_put(&table_map, ts, tkey, tklen, slot->t) < 0) {
		set_failure(RD_KAFKA_RESP_ERR__FAIL, "out of memory");
		return NULL;
	}
	log_debug("publishing %s.%s.%s to topic %s", db, schema, table, name);
	watermark_family(db);
	return slot->t;
}

static void watermark_topics_release(void);

/* Gives back kpub's handles; librdkafka's own topics live on until
 * rd_kafka_destroy. */
static void topics_release(void)
{
	for (size_t i = 0; i < topic_map.cap; i++)
		if (topic_map.slots[i].key)
			rd_kafka_topic_destroy(topic_map.slots[i].t->rkt);
	watermark_topics_release();
}

/* After rd_kafka_destroy: librdkafka may call the partitioner with a
 * topic's opaque as long as it keeps the topic. */
static void topics_free(void)
{
	map_free(&table_map, false);
	map_free(&topic_map, true);
}

/* ---- producing ---- */

static void print_progress(int64_t start, bool final)
{
	double secs = (double)(mono_ms() - start) / 1000.0;
	fprintf(stderr, "%s: %s%" PRIu64 " records read, %" PRIu64 " messages delivered, %" PRIu64
			" records acked, %.0f records/s\n",
		progname, final ? "done: " : "", stats.read, stats.delivered, stats.acked_records,
		secs > 0 ? (double)stats.read / secs : 0.0);
}

/* Refreshes what is kept as plain counts and writes the file when due. */
static void write_metrics(rd_kafka_t *rk, bool now)
{
	if (!mx || (!now && !metrics_due(mx)))
		return;
	metric_set_total(mm.io.in, stats.read);
	metric_set_total(mm.io.bytes_in, stats.bytes_read);
	metric_set_total(mm.io.bytes_out, stats.bytes_delivered);
	metric_set(mm.in_flight, rk ? (double)rd_kafka_outq_len(rk) : 0);
	(void)metrics_write(mx);
}

static void open_metrics(void)
{
	mx = metrics_start(&opt.metrics);
	if (!mx)
		return;
	metrics_stage_init(mx, &mm.io, "stream");
	mm.batches = metric_get(metrics_family(mx, "dbrepl_batches_total", NULL));
	mm.errors = metric_get(metrics_family(mx, "dbrepl_errors_total", "kind"), "delivery");
	mm.delivery_errors = metrics_family(mx, "dbrepl_kafka_delivery_errors_total", "error");
	mm.in_flight = metric_get(metrics_family(mx, "dbrepl_kafka_messages_in_flight", NULL));
}

/* "X/Y" as pos_lsn_format prints it, without printf: it runs per message. */
static size_t lsn_text(uint64_t lsn, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (int half = 1; half >= 0; half--) {
		uint32_t v = (uint32_t)(lsn >> (32 * half));
		int shift = 28;
		while (shift > 0 && !(v >> shift & 0xf))
			shift -= 4;
		for (; shift >= 0; shift -= 4)
			out[n++] = hex[v >> shift & 0xf];
		if (half)
			out[n++] = '/';
	}
	out[n] = '\0';
	return n;
}

/* Produces one message, waiting while the local queue is full (and acking
 * what is delivered meanwhile). 0, 1 when a signal interrupted the wait, -1
 * after set_failure. */
static int produce(rd_kafka_t *rk, ack_writer *aw, rd_kafka_topic_t *rkt, int32_t part, const void *key,
		   size_t klen, const void *val, size_t vlen, rd_kafka_headers_t *hdrs, uint64_t opaque)
{
	for (;;) {
		rd_kafka_resp_err_t err;
		if (hdrs)
			err = rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(part),
						RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
						RD_KAFKA_V_KEY(key, klen), RD_KAFKA_V_VALUE((void *)val, vlen),
						RD_KAFKA_V_HEADERS(hdrs),
						RD_KAFKA_V_OPAQUE((void *)(uintptr_t)opaque), RD_KAFKA_V_END);
		else
			err = rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(part),
						RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
						RD_KAFKA_V_KEY(key, klen), RD_KAFKA_V_VALUE((void *)val, vlen),
						RD_KAFKA_V_OPAQUE((void *)(uintptr_t)opaque), RD_KAFKA_V_END);
		if (!err) {
			stats.produced++;
			return 0;
		}
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			if (hdrs)
				rd_kafka_headers_destroy(hdrs);
			if (opaque == OPAQUE_WATERMARK) {
				/* a topic gone meanwhile, say: not kpub's records */
				log_debug("cannot produce a watermark to %s [%" PRId32 "] (%s)", rd_kafka_topic_name(rkt),
					  part, rd_kafka_err2str(err));
				return 0;
			}
			set_failure(err, "cannot produce to %s (%s)", rd_kafka_topic_name(rkt),
				    rd_kafka_err2str(err));
			return -1;
		}
		/* Full: wait for deliveries to make room, never drop. */
		stats.queue_full++;
		rd_kafka_poll(rk, 50);
		send_acks(aw);
		write_metrics(rk, false);
		if (got_signal || first_err) {
			if (hdrs)
				rd_kafka_headers_destroy(hdrs);
			return 1;
		}
	}
}

/* A record of the batch being published, between taking its place in the
 * ack order and being handed to librdkafka. */
typedef struct planned {
	const kpub_msg *m;
	topic *t;
	stream_track *s; /* NULL: the record has no stream position */
	uint64_t seq, opaque;
} planned;

static planned plan[KPUB_FEED_BATCH_RECORDS];
/* plan indexes in publishing order */
static size_t order[KPUB_FEED_BATCH_RECORDS];

/* A batch's (topic, partition) groups, in order of first appearance. Past
 * MAX_GROUPS of them, the rest share one last group in input order. */
#define MAX_GROUPS 64
typedef struct group_table {
	const topic *t[MAX_GROUPS];
	int32_t part[MAX_GROUPS];
	size_t n, last;
	size_t start[MAX_GROUPS + 1]; /* counts, then where each group starts */
} group_table;

static unsigned short group_of[KPUB_FEED_BATCH_RECORDS];
_Static_assert(MAX_GROUPS < 65535, "group numbers must fit group_of");

static size_t group_find(group_table *g, const topic *t, int32_t part)
{
	if (g->n && g->t[g->last] == t && g->part[g->last] == part)
		return g->last;
	for (size_t i = 0; i < g->n; i++)
		if (g->t[i] == t && g->part[i] == part)
			return g->last = i;
	if (g->n == MAX_GROUPS)
		return MAX_GROUPS;
	g->t[g->n] = t;
	g->part[g->n] = part;
	return g->last = g->n++;
}

/* Finds m's topic and takes its place in its stream's ack order. 0, or 1 to
 * stop: after set_failure, or on bad input (*exit_code set). */
static int plan_record(rd_kafka_t *rk, const kpub_msg *m, planned *p, int *exit_code)
{
	bool bad;
	p->m = m;
	p->t = topic_for(rk, m->db, m->schema, m->table, &bad);
	if (!p->t) {
		if (bad) {
			log_error("bad input (record %" PRIu64 ": no legal topic name from "
				  "template \"%s\" for %s.%s.%s)",
				  m->recno, opt.topic_tmpl, m->db, m->schema, m->table);
			*exit_code = EX_DATAERR;
		}
		return 1;
	}
	bool tomb = opt.tombstones && m->op == RECORD_OP_DELETE;
	if (m->same_record) {
		/* the second message of the previous one's record: the
		 * record is durable once both are */
		*p = p[-1];
		p->m = m;
		if (p->s)
			stream_entry(p->s, p->seq)->pending += tomb ? 2 : 1;
		return 0;
	}
	p->opaque = OPAQUE_UNTRACKED;
	p->s = NULL;
	p->seq = 0;
	if (m->stream[0]) {
		size_t idx;
		p->s = stream_get(m->stream, &idx);
		if (!p->s || (p->seq = stream_push(p->s, m->offset, m->commit_us, tomb ? 2 : 1)) == UINT64_MAX) {
			p->s = NULL;
			set_failure(RD_KAFKA_RESP_ERR__FAIL, "out of memory");
			return 1;
		}
		p->opaque = ((uint64_t)idx << SEQ_BITS) | (p->seq & SEQ_MASK);
		if (opt.debezium && !p->s->dbz[0] && m->op != RECORD_OP_READ)
			record_debezium_stream(p->s->dbz, opt.prefix ? opt.prefix : m->db);
	}
	return 0;
}

/* Hands one planned record (and its tombstone) to librdkafka. 0, or 1 to
 * stop: after set_failure, or on a signal. */
static int publish(rd_kafka_t *rk, ack_writer *aw, const planned *p)
{
	const kpub_msg *m = p->m;
	/* librdkafka allocates the header list and each header apart from
	 * the message and frees them one by one after delivery: with them
	 * kpub takes about 1.25 times the CPU time (tests/bench/kpub.sh), hence
	 * --no-headers. */
	rd_kafka_headers_t *hdrs = NULL;
	if (!opt.no_headers) {
		char lsn[32];
		char opstr[2] = {m->op, '\0'};
		hdrs = rd_kafka_headers_new(3);
		rd_kafka_header_add(hdrs, "op", 2, opstr, 1);
		rd_kafka_header_add(hdrs, "lsn", 3, lsn, (ssize_t)lsn_text(m->lsn, lsn));
		/* a Debezium event has no src.last (watermark.h) */
		if (opt.debezium && m->last)
			rd_kafka_header_add(hdrs, TXN_LAST_HEADER, -1, NULL, 0);
	}
	if (m->hdr_name) {
		if (!hdrs)
			hdrs = rd_kafka_headers_new(1);
		rd_kafka_header_add(hdrs, m->hdr_name, -1, m->hdr_value, (ssize_t)m->hdr_len);
	}
	int prc = produce(rk, aw, p->t->rkt, RD_KAFKA_PARTITION_UA, m->key, m->key_len, m->value, m->value_len,
			  hdrs, p->opaque);
	if (prc == 0 && opt.tombstones && m->op == RECORD_OP_DELETE)
		prc = produce(rk, aw, p->t->rkt, RD_KAFKA_PARTITION_UA, m->key, m->key_len, NULL, 0, NULL, p->opaque);
	return prc != 0;
}

/* Publishes plan[0..n) partition by partition. The records of a key keep
 * their input order, and so do a partition's records (unless partitions
 * are added meanwhile: librdkafka then places with the new count a batch
 * kpub grouped with the old one); only records of different partitions
 * trade places, which Kafka does not order anyway.
 * Why: librdkafka writes, sends and frees a partition's messages together,
 * and when they were also made together their memory is adjacent.
 * Interleaved across six partitions, the same records cost kpub about 1.3
 * times the CPU time (tests/bench/kpub.sh).
 * 0, or 1 to stop; records not handed over then are never acked. */
static int publish_batch(rd_kafka_t *rk, size_t n, unsigned *since_poll, ack_writer *aw,
			 int64_t start, int64_t *last_progress)
{
	/* A stable counting sort by group. A topic's partition count is read
	 * once per batch: were it read per record and changed meanwhile, two
	 * records of one key could land in two groups and trade places. */
	static group_table g;
	static uint64_t batch;
	batch++;
	metric_add(mm.batches, 1);
	g.n = g.last = 0;
	memset(g.start, 0, sizeof g.start);
	/* A record of two messages (a Debezium key change) has two keys, so
	 * two partitions: no grouping can keep both in order with the rest.
	 * Such a batch is published in input order (they are rare). */
	bool two_keys = false;
	for (size_t i = 0; i < n && !two_keys; i++)
		two_keys = plan[i].m->same_record;
	for (size_t i = 0; i < n && two_keys; i++)
		order[i] = i;
	for (size_t i = 0; i < n && !two_keys; i++) {
		const planned *p = &plan[i];
		topic *t = p->t;
		if (t->batch != batch) {
			t->batch = batch;
			t->batch_partitions = atomic_load_explicit(&t->partitions, memory_order_relaxed);
		}
		int cnt = t->batch_partitions;
		int32_t part = cnt > 0 ? rd_kafka_msg_partitioner_murmur2(t->rkt, p->m->key, p->m->key_len,
									  cnt, NULL, NULL)
				       : 0;
		group_of[i] = (unsigned short)group_find(&g, t, part);
		g.start[group_of[i]]++;
	}
	for (size_t i = 0, at = 0; i <= MAX_GROUPS && !two_keys; i++) {
		size_t c = g.start[i];
		g.start[i] = at;
		at += c;
	}
	for (size_t i = 0; i < n && !two_keys; i++)
		order[g.start[group_of[i]]++] = i;
	for (size_t k = 0; k < n; k++) {
		if (publish(rk, aw, &plan[order[k]]) != 0) {
			/* This record and the ones after it in publishing order
			 * are not (all) in librdkafka's hands: keep them, and
			 * with them everything after them in input order,
			 * unacked. */
			for (; k < n; k++) {
				const planned *p = &plan[order[k]];
				if (p->s)
					stream_entry(p->s, p->seq)->pending = -1;
			}
			return 1;
		}
		if (++*since_poll >= 256) {
			*since_poll = 0;
			rd_kafka_poll(rk, 0);
			send_acks(aw);
			if (opt.progress && mono_ms() - *last_progress >= 1000) {
				*last_progress = mono_ms();
				print_progress(start, false);
			}
			write_metrics(rk, false);
		}
	}
	return 0;
}

/* ---- watermarks ----
 *
 * To which topics: every topic kpub published to, and every topic of the
 * cluster whose name begins as the template makes the names of the
 * databases' tables begin (kafka_topic_family: "wwi." for the default
 * template and database wwi), so that the partitions of tables that had
 * no change since kpub started get them too. The list comes from the
 * cluster's metadata, read again every WATERMARK_META_MS and whenever kpub
 * starts publishing to a new topic. */

#define WATERMARK_META_MS 10000

typedef struct wm_topic {
	char name[KAFKA_TOPIC_MAX + 1];
	rd_kafka_topic_t *rkt;
	int32_t partitions;
} wm_topic;

static struct {
	char (*family)[KAFKA_TOPIC_MAX + 1];
	bool *exact;
	size_t nfamily;
	wm_topic *topics;
	size_t ntopics;
	bool stale; /* a topic or a family came since the metadata was read */
	int64_t meta_ms, round_ms;
} wm;

static void watermark_family(const char *db)
{
	wm.stale = true;
	char f[KAFKA_TOPIC_MAX + 1];
	int exact;
	if (!opt.watermark_ms || kafka_topic_family(opt.topic_tmpl, opt.prefix, db, f, sizeof f, &exact) <= 0)
		return;
	for (size_t i = 0; i < wm.nfamily; i++)
		if (!strcmp(wm.family[i], f) && wm.exact[i] == (bool)exact)
			return;
	char(*nf)[KAFKA_TOPIC_MAX + 1] = realloc(wm.family, (wm.nfamily + 1) * sizeof *nf);
	if (nf)
		wm.family = nf;
	bool *ne = nf ? realloc(wm.exact, (wm.nfamily + 1) * sizeof *ne) : NULL;
	if (!ne)
		return; /* out of memory: its topics get watermarks once published to */
	wm.exact = ne;
	memcpy(wm.family[wm.nfamily], f, sizeof f);
	wm.exact[wm.nfamily++] = exact;
}

static bool watermark_wanted(const char *name)
{
	if (map_find(&topic_map, name, strlen(name))->key)
		return true;
	for (size_t i = 0; i < wm.nfamily; i++)
		if (wm.exact[i] ? !strcmp(name, wm.family[i]) : !strncmp(name, wm.family[i], strlen(wm.family[i])))
			return true;
	return false;
}

static void watermark_topics_release(void)
{
	for (size_t i = 0; i < wm.ntopics; i++)
		rd_kafka_topic_destroy(wm.topics[i].rkt);
	free(wm.topics);
	free(wm.family);
	free(wm.exact);
	memset(&wm, 0, sizeof wm);
}

/* Reads the topics and their partition counts from the cluster. On a
 * failure the list stays as it was. */
static void watermark_refresh(rd_kafka_t *rk)
{
	const rd_kafka_metadata_t *md = NULL;
	rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, 2000);
	wm.meta_ms = mono_ms();
	if (err) {
		log_debug("watermarks: cannot read the cluster's topics (%s)", rd_kafka_err2str(err));
		return;
	}
	wm_topic *nt = calloc((size_t)md->topic_cnt + 1, sizeof *nt);
	if (!nt) {
		rd_kafka_metadata_destroy(md);
		return;
	}
	size_t n = 0;
	for (int i = 0; i < md->topic_cnt; i++) {
		const rd_kafka_metadata_topic_t *t = &md->topics[i];
		if (t->err || t->partition_cnt <= 0 || strlen(t->topic) > KAFKA_TOPIC_MAX || !watermark_wanted(t->topic))
			continue;
		wm_topic *w = &nt[n];
		snprintf(w->name, sizeof w->name, "%s", t->topic);
		w->partitions = t->partition_cnt;
		for (size_t k = 0; k < wm.ntopics && !w->rkt; k++)
			if (wm.topics[k].rkt && !strcmp(wm.topics[k].name, w->name)) {
				w->rkt = wm.topics[k].rkt; /* taken over */
				wm.topics[k].rkt = NULL;
			}
		if (!w->rkt && !(w->rkt = rd_kafka_topic_new(rk, w->name, NULL)))
			continue;
		n++;
	}
	for (size_t k = 0; k < wm.ntopics; k++)
		if (wm.topics[k].rkt)
			rd_kafka_topic_destroy(wm.topics[k].rkt);
	free(wm.topics);
	wm.topics = nt;
	wm.ntopics = n;
	wm.stale = false;
	rd_kafka_metadata_destroy(md);
}

/* A stream whose delivered prefix the last watermarks did not tell. */
static bool watermark_due(const stream_track *s)
{
	return s->have_acked && (!opt.debezium || s->dbz[0]) &&
	       (!s->have_watermark || pos_offset_cmp(s->acked, s->watermark) > 0);
}

/* Milliseconds until a round of watermarks is due (0: now), -1 for none. */
static int watermark_wait(void)
{
	if (!opt.watermark_ms)
		return -1;
	for (size_t i = 0; i < nstreams; i++)
		if (watermark_due(streams[i])) {
			int64_t w = wm.round_ms + opt.watermark_ms - mono_ms();
			return w < 0 ? 0 : (int)w;
		}
	return -1;
}

/* A round of watermarks, when one is due (force: whatever the time). 0,
 * or 1 when a signal or a failure stopped it. */
static int watermark_round(rd_kafka_t *rk, ack_writer *aw, bool force)
{
	int64_t now = mono_ms();
	if (!opt.watermark_ms || (!force && now - wm.round_ms < opt.watermark_ms))
		return 0;
	bool any = false;
	for (size_t i = 0; i < nstreams && !any; i++)
		any = watermark_due(streams[i]);
	if (!any)
		return 0;
	wm.round_ms = now;
	if (wm.stale || now - wm.meta_ms >= WATERMARK_META_MS)
		watermark_refresh(rk);
	buf v;
	buf_init(&v, 0);
	int rc = 0;
	for (size_t i = 0; i < nstreams && rc == 0; i++) {
		stream_track *s = streams[i];
		if (!watermark_due(s))
			continue;
		/* deliveries reported while we produce may move acked on */
		pos_offset at = s->acked;
		buf_reset(&v);
		/* Debezium's events are read in their own stream and order */
		int enc = opt.debezium ? watermark_encode(&v, s->dbz, watermark_debezium_order(at.major, at.minor, true))
				       : watermark_encode(&v, s->name, at);
		if (enc < 0) {
			set_failure(RD_KAFKA_RESP_ERR__FAIL, "out of memory");
			rc = 1;
			break;
		}
		for (size_t t = 0; t < wm.ntopics && rc == 0; t++)
			for (int32_t p = 0; p < wm.topics[t].partitions && rc == 0; p++) {
				rd_kafka_headers_t *h = rd_kafka_headers_new(1);
				rd_kafka_header_add(h, WATERMARK_HEADER, -1, NULL, 0);
				rc = produce(rk, aw, wm.topics[t].rkt, p, WATERMARK_KEY, WATERMARK_KEY_LEN, v.data, v.len, h,
					     OPAQUE_WATERMARK) != 0;
			}
		if (rc == 0) {
			s->watermark = at;
			s->have_watermark = true;
		}
	}
	buf_free(&v);
	return rc;
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kpub -b BROKERS [options] < records\n"
		"Publishes change records (NDJSON or msgpack, auto-detected) to Kafka,\n"
		"one topic per table, the row's key as message key.\n"
		"\n"
		"  -b, --brokers LIST         bootstrap servers (bootstrap.servers)\n"
		"  -t, --topic TEMPLATE       topic name, with {prefix} {db} {schema} {table}\n"
		"                             (default " KAFKA_TOPIC_DEFAULT_TEMPLATE ")\n"
		"      --prefix P             value of {prefix} (default: the record's db)\n"
		"  -X, --property KEY=VALUE   librdkafka property (repeatable)\n"
		"  -F, --config-file FILE     librdkafka properties, KEY=VALUE lines\n"
		"      --create-topics        create each topic on first use (Admin API)\n"
		"      --partitions N         partitions of created topics (default 6)\n"
		"      --replication-factor N replicas of created topics (default: broker's)\n"
		"      --tombstones           after a delete, a null-value message, same key\n"
		"      --no-headers           no op and lsn headers on the messages\n"
		"      --watermark-ms MS      watermarks to every partition at most every MS\n"
		"                             (default 100; 0: none; with --envelope\n"
		"                             debezium 0), for ksub --ordered\n"
		"      --envelope FORMAT      record (default: the record as read) or\n"
		"                             debezium (Debezium's change events)\n"
		"      --envelope-schema      Debezium events in JsonConverter's\n"
		"                             {\"schema\",\"payload\"} form\n"
		"      --ack FIFO             write acks of delivered records to FIFO\n"
		"      --flush-timeout SEC    how long to wait for deliveries at exit (30)\n"
		"      --progress, --no-progress  throughput on stderr (default: if a tty)\n"
		METRICS_HELP
		"  -v, --verbose              more diagnostics (repeatable)\n"
		"  -q, --quiet                errors only\n"
		"  -h, --help                 this help\n"
		"  -V, --version              print the version\n");
}

static int parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Properties kpub sets before -X/-F, so that both can override them. */
static const char *const defaults[][2] = {
	{"enable.idempotence", "true"},
	{"acks", "all"},
	{"compression.type", "lz4"},
	{"linger.ms", "5"},
	/* Java's partitioner: the same key lands where Java producers put it. */
	{"partitioner", "murmur2_random"},
	/* librdkafka's default queue may hold 1 GiB. Each message costs
	 * about 500 bytes beyond its key and value (headers included), so the
	 * count bounds memory as much as the bytes do: 25,000 messages or
	 * 8 MiB keep peak RSS near 45 MiB when the brokers fall behind, and
	 * are still several times what is in flight at full speed (a linger
	 * and a round trip's worth). */
	{"queue.buffering.max.kbytes", "8192"},
	{"queue.buffering.max.messages", "25000"},
	{"client.id", "dbrepl-kpub"},
};

/* Waits, while no input is ready, for input (feed_fd), a delivery report,
 * or the next watermark or --metrics write, whichever comes first.
 * librdkafka writes to evpipe when a report arrives on an empty main queue
 * only while this waits: enabled for good, a broker thread would write to
 * it (holding the queue's lock) and the main thread read it back for many
 * a report also while kpub is busy producing, when rd_kafka_poll serves
 * them anyway. Enabled before the queue is served, so that a report that
 * arrives between the two wakes the poll. */
static void idle_wait(rd_kafka_t *rk, ack_writer *aw, rd_kafka_queue_t *mainq, const int evpipe[2], int feed_fd)
{
	rd_kafka_queue_io_event_enable(mainq, evpipe[1], "1", 1);
	rd_kafka_poll(rk, 0);
	send_acks(aw);
	struct pollfd pfd[2] = {{.fd = feed_fd, .events = POLLIN}, {.fd = evpipe[0], .events = POLLIN}};
	int wait = watermark_wait();
	if (poll(pfd, 2, metrics_wait_ms(mx, wait < 0 || wait > 1000 ? 1000 : wait)) > 0 &&
	    (pfd[1].revents & POLLIN)) {
		/* a short read emptied the pipe */
		char drain[64];
		while (read(evpipe[0], drain, sizeof drain) == (ssize_t)sizeof drain)
			;
	}
	rd_kafka_queue_io_event_enable(mainq, -1, NULL, 0);
}

/* Serves librdkafka (delivery reports, acks, metrics) until what it holds
 * is delivered, the deadline, or a second signal. */
static void drain(rd_kafka_t *rk, ack_writer *aw, int64_t deadline)
{
	while (rd_kafka_outq_len(rk) > 0 && mono_ms() < deadline && got_signal < 2) {
		rd_kafka_poll(rk, 100);
		send_acks(aw);
		write_metrics(rk, false);
	}
}

int main(int argc, char **argv)
{
	enum {
		OPT_PREFIX = 256,
		OPT_CREATE,
		OPT_PARTITIONS,
		OPT_RF,
		OPT_TOMBSTONES,
		OPT_NO_HEADERS,
		OPT_WATERMARK_MS,
		OPT_ACK,
		OPT_FLUSH_TIMEOUT,
		OPT_PROGRESS,
		OPT_NO_PROGRESS,
		OPT_ENVELOPE,
		OPT_ENVELOPE_SCHEMA,
		OPT_METRICS,
		OPT_METRICS_2,
		OPT_METRICS_3,
	};
	static const struct option longopts[] = {
		{"brokers", required_argument, NULL, 'b'},
		{"topic", required_argument, NULL, 't'},
		{"property", required_argument, NULL, 'X'},
		{"config-file", required_argument, NULL, 'F'},
		{"prefix", required_argument, NULL, OPT_PREFIX},
		{"create-topics", no_argument, NULL, OPT_CREATE},
		{"partitions", required_argument, NULL, OPT_PARTITIONS},
		{"replication-factor", required_argument, NULL, OPT_RF},
		{"tombstones", no_argument, NULL, OPT_TOMBSTONES},
		{"no-headers", no_argument, NULL, OPT_NO_HEADERS},
		{"watermark-ms", required_argument, NULL, OPT_WATERMARK_MS},
		{"envelope", required_argument, NULL, OPT_ENVELOPE},
		{"envelope-schema", no_argument, NULL, OPT_ENVELOPE_SCHEMA},
		{"ack", required_argument, NULL, OPT_ACK},
		{"flush-timeout", required_argument, NULL, OPT_FLUSH_TIMEOUT},
		{"progress", no_argument, NULL, OPT_PROGRESS},
		{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
		METRICS_LONGOPTS(OPT_METRICS),
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	log_init(argv[0]);

	char err[1024];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		if (kconf_set(conf, defaults[i][0], defaults[i][1], err, sizeof err) < 0)
			die(EX_SOFTWARE, "cannot set default %s (%s)", defaults[i][0], err);

	int c;
	long v;
	while ((c = getopt_long(argc, argv, "b:t:X:F:vqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (kconf_set(conf, "bootstrap.servers", optarg, err, sizeof err) < 0)
				goto config_error;
			break;
		case 't':
			opt.topic_tmpl = optarg;
			break;
		case 'X':
			if (kconf_set_kv(conf, optarg, err, sizeof err) < 0)
				goto config_error;
			break;
		case 'F':
			if (kconf_load_file(conf, optarg, err, sizeof err) < 0)
				goto config_error;
			break;
		case OPT_PREFIX:
			opt.prefix = optarg;
			break;
		case OPT_CREATE:
			opt.create_topics = true;
			break;
		case OPT_PARTITIONS:
			if (parse_int(optarg, 1, 100000, &v) < 0) {
				rd_kafka_conf_destroy(conf);
				die(EX_USAGE, "bad --partitions (%s)", optarg);
			}
			opt.partitions = (int)v;
			break;
		case OPT_RF:
			if (parse_int(optarg, -1, 1000, &v) < 0 || v == 0) {
				rd_kafka_conf_destroy(conf);
				die(EX_USAGE, "bad --replication-factor (%s)", optarg);
			}
			opt.replication = (int)v;
			break;
		case OPT_TOMBSTONES:
			opt.tombstones = true;
			break;
		case OPT_NO_HEADERS:
			opt.no_headers = true;
			break;
		case OPT_WATERMARK_MS:
			if (parse_int(optarg, 0, 3600000, &v) < 0) {
				rd_kafka_conf_destroy(conf);
				die(EX_USAGE, "bad --watermark-ms (%s)", optarg);
			}
			opt.watermark_ms = (int)v;
			break;
		case OPT_ENVELOPE:
			if (strcmp(optarg, "debezium") && strcmp(optarg, "record")) {
				rd_kafka_conf_destroy(conf);
				die(EX_USAGE, "bad --envelope (%s): record or debezium", optarg);
			}
			opt.debezium = !strcmp(optarg, "debezium");
			break;
		case OPT_ENVELOPE_SCHEMA:
			opt.envelope_schema = true;
			break;
		case OPT_ACK:
			opt.ack_path = optarg;
			break;
		case OPT_FLUSH_TIMEOUT:
			if (parse_int(optarg, 0, 86400, &v) < 0) {
				rd_kafka_conf_destroy(conf);
				die(EX_USAGE, "bad --flush-timeout (%s)", optarg);
			}
			opt.flush_timeout_ms = (int)v * 1000;
			break;
		case OPT_PROGRESS:
			opt.progress = 1;
			break;
		case OPT_NO_PROGRESS:
			opt.progress = 0;
			break;
		case OPT_METRICS:
		case OPT_METRICS_2:
		case OPT_METRICS_3:
			if (metrics_config_option(&opt.metrics, c - OPT_METRICS, optarg, err, sizeof err) < 0) {
				rd_kafka_conf_destroy(conf);
				die(EX_USAGE, "%s", err);
			}
			break;
		case 'v':
			log_verbosity++;
			break;
		case 'q':
			log_verbosity = 0;
			break;
		case 'h':
			usage(stdout);
			rd_kafka_conf_destroy(conf);
			return 0;
		case 'V':
			print_version();
			rd_kafka_conf_destroy(conf);
			return 0;
		default:
			usage(stderr);
			rd_kafka_conf_destroy(conf);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		rd_kafka_conf_destroy(conf);
		die(EX_USAGE, "unexpected argument (%s)", argv[optind]);
	}
	if (opt.envelope_schema && !opt.debezium) {
		rd_kafka_conf_destroy(conf);
		die(EX_USAGE, "--envelope-schema needs --envelope debezium");
	}
	/* A consumer of Debezium's events (other than ksub) would take a
	 * watermark for an event: none unless asked for. */
	if (opt.watermark_ms < 0)
		opt.watermark_ms = opt.debezium ? 0 : 100;
	if (kafka_topic_template_check(opt.topic_tmpl, err, sizeof err) < 0) {
		rd_kafka_conf_destroy(conf);
		die(EX_USAGE, "%s", err);
	}
	if (opt.prefix) {
		for (const char *p = opt.prefix; *p; p++)
			if (!kafka_topic_char_ok((unsigned char)*p)) {
				rd_kafka_conf_destroy(conf);
				die(EX_USAGE, "--prefix may hold only A-Z a-z 0-9 . _ - (%s)", opt.prefix);
			}
	}
	char bs[8];
	size_t bslen = sizeof bs;
	if (rd_kafka_conf_get(conf, "bootstrap.servers", bs, &bslen) != RD_KAFKA_CONF_OK || bslen <= 1) {
		rd_kafka_conf_destroy(conf);
		die(EX_USAGE, "no brokers: give -b BROKERS (or -X bootstrap.servers=...)");
	}
	if (opt.progress < 0)
		opt.progress = log_progress_default();

	/* From here on a signal means a clean stop, also while librdkafka
	 * starts (its threads block every signal). */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: waits must end */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_log_cb(conf, log_cb);
	/* The default partitioner, unless -X or -F chose another, runs
	 * through partition_seen so that kpub learns the partition counts. */
	char part[32];
	size_t partlen = sizeof part;
	rd_kafka_topic_conf_t *tconf = rd_kafka_conf_get_default_topic_conf(conf);
	if (tconf && rd_kafka_topic_conf_get(tconf, "partitioner", part, &partlen) == RD_KAFKA_CONF_OK &&
	    strcmp(part, "murmur2_random") == 0)
		rd_kafka_topic_conf_set_partitioner_cb(tconf, partition_seen);

	open_metrics();
	ack_writer *aw = NULL;
	if (opt.ack_path && !(aw = ack_writer_open(opt.ack_path))) {
		rd_kafka_conf_destroy(conf);
		die(EX_CANTCREAT, "cannot open ack FIFO (%s: %s)", opt.ack_path, strerror(errno));
	}

	char rkerr[512];
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, rkerr, sizeof rkerr);
	if (!rk) {
		rd_kafka_conf_destroy(conf);
		ack_writer_close(aw);
		die(EX_CONFIG, "cannot create producer (%s)", rkerr);
	}

	/* Delivery reports wake the main loop through this pipe while it
	 * waits for input (idle_wait). */
	int evpipe[2];
	if (pipe2(evpipe, O_NONBLOCK | O_CLOEXEC) < 0)
		die(EX_OSERR, "pipe: %s", strerror(errno));
	rd_kafka_queue_t *mainq = rd_kafka_queue_get_main(rk);

	/* Records are read and decoded on a thread of their own (kpub_feed.h);
	 * this one produces them and serves the delivery reports. */
	dbz_encoder_opts dbz = {.schema = opt.envelope_schema, .topic_tmpl = opt.topic_tmpl, .prefix = opt.prefix};
	kpub_feed *feed = kpub_feed_start(STDIN_FILENO, opt.debezium ? &dbz : NULL);
	if (!feed)
		die(EX_OSERR, "cannot start the reading thread (%s)", strerror(errno));
	int exit_code = 0;
	bool eof = false;
	int64_t start = mono_ms(), last_progress = start;
	unsigned since_poll = 0;

	while (!got_signal && !first_err) {
		kpub_batch *b = kpub_feed_take(feed);
		if (!b) {
			/* Idle: serve delivery reports and acks until input comes. */
			idle_wait(rk, aw, mainq, evpipe, kpub_feed_fd(feed));
			rd_kafka_poll(rk, 0);
			send_acks(aw);
			if (aw)
				ack_writer_flush(aw, 0);
			if (watermark_round(rk, aw, false) != 0)
				break;
			if (opt.progress && mono_ms() - last_progress >= 1000) {
				last_progress = mono_ms();
				print_progress(start, false);
			}
			write_metrics(rk, false);
			continue;
		}
		/* Every record takes its place in the ack order first, in input
		 * order; a record that cannot stops the batch there, and the
		 * ones before it are still published. */
		bool stop = false;
		size_t n = 0;
		while (n < b->n && !stop) {
			stats.read++;
			stats.bytes_read += b->msgs[n].value_len;
			if (plan_record(rk, &b->msgs[n], &plan[n], &exit_code) != 0)
				stop = true;
			else
				n++;
		}
		if (publish_batch(rk, n, &since_poll, aw, start, &last_progress) != 0 ||
		    watermark_round(rk, aw, false) != 0)
			stop = true;
		if (!stop && b->end == KPUB_FEED_EOF) {
			eof = true;
			stop = true;
		} else if (!stop && b->end == KPUB_FEED_BAD) {
			log_error("bad input (%s)", b->err);
			exit_code = EX_DATAERR;
			stop = true;
		} else if (!stop && b->end == KPUB_FEED_IOERR) {
			log_error("cannot read input (%s)", b->err);
			exit_code = EX_IOERR;
			stop = true;
		}
		kpub_feed_release(feed, b);
		if (stop)
			break;
	}
	kpub_feed_stop(feed);

	/* Drain: wait for what was handed to librdkafka, then ack it. The
	 * last watermarks say where the input ended, for ksub --ordered (they
	 * wait no longer than the flush timeout either). */
	int64_t deadline = mono_ms() + opt.flush_timeout_ms;
	drain(rk, aw, deadline);
	int left = rd_kafka_outq_len(rk);
	if (!first_err && left == 0 && got_signal < 2 && watermark_round(rk, aw, true) == 0)
		drain(rk, aw, deadline);
	shutting_down = true;
	if (rd_kafka_outq_len(rk) > 0) {
		/* Their delivery reports (errors) keep them unacked. */
		rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_flush(rk, 1000);
	}
	send_acks(aw);
	if (aw)
		ack_writer_flush(aw, 2000);

	if (first_err) {
		log_error("%s", first_err_text);
		if (!exit_code)
			exit_code = err_retriable(first_err) ? EX_TEMPFAIL : EX_UNAVAILABLE;
	} else if (left > 0) {
		log_error("%d messages not delivered within --flush-timeout; their records are not acked",
			  left);
		if (!exit_code && !got_signal)
			exit_code = EX_TEMPFAIL;
	}
	if (opt.progress || log_verbosity >= 2)
		print_progress(start, true);
	if (!eof && !exit_code && got_signal)
		log_debug("stopped by signal");
	log_debug("waited %" PRIu64 " times for room in the local queue", stats.queue_full);

	write_metrics(rk, true);
	topics_release();
	rd_kafka_queue_destroy(mainq);
	rd_kafka_destroy(rk);
	topics_free();
	close(evpipe[0]);
	close(evpipe[1]);
	streams_free();
	ack_writer_close(aw);
	metrics_close(mx);
	return exit_code;

config_error:
	rd_kafka_conf_destroy(conf);
	die(EX_CONFIG, "bad Kafka configuration (%s)", err);
}
