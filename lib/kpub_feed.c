/* kpub_feed.c — see kpub_feed.h. One reading thread, one consumer (kpub's
 * main thread); the batches go round between a free list and a ready
 * queue under one mutex. The reader waits on a condition variable for a
 * free batch, the consumer on a pipe the reader writes to when the ready
 * queue gets its first batch (so that the consumer can poll it along with
 * librdkafka's queue), and a second pipe ends the reader's wait for input. */
#include "kpub_feed.h"

#include "record_debezium.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A batch that held a big record gives its memory back above this. */
#define BATCH_KEEP_BYTES ((size_t)1 << 20)

struct kpub_feed {
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a batch became free, or stop */
	kpub_batch batches[KPUB_FEED_BATCHES];
	kpub_batch *free_list[KPUB_FEED_BATCHES];
	size_t nfree;
	kpub_batch *ready[KPUB_FEED_BATCHES]; /* FIFO */
	size_t ready_head, nready;
	bool stop;
	int notify[2]; /* reader -> consumer: a batch is ready */
	int cancel[2]; /* consumer -> reader: stop waiting for input */
	int fd;
	dbz_encoder *dbz; /* --envelope debezium: messages are its events */
};

int kpub_feed_fd(const kpub_feed *f)
{
	return f->notify[0];
}

/* ---- the reading thread ---- */

/* A free batch, emptied; NULL when stopping. */
static kpub_batch *get_free(kpub_feed *f)
{
	pthread_mutex_lock(&f->mu);
	while (!f->stop && f->nfree == 0)
		pthread_cond_wait(&f->cv, &f->mu);
	kpub_batch *b = f->stop ? NULL : f->free_list[--f->nfree];
	pthread_mutex_unlock(&f->mu);
	if (b) {
		b->n = 0;
		b->end = KPUB_FEED_MORE;
		b->err[0] = '\0';
		b->err_errno = 0;
		buf_reset(&b->data);
	}
	return b;
}

static void ship(kpub_feed *f, kpub_batch *b)
{
	pthread_mutex_lock(&f->mu);
	f->ready[(f->ready_head + f->nready) % KPUB_FEED_BATCHES] = b;
	bool wake = f->nready++ == 0;
	pthread_mutex_unlock(&f->mu);
	if (wake) {
		/* a full pipe already says the same */
		ssize_t w = write(f->notify[1], "b", 1);
		(void)w;
	}
}

/* Whether b can take a record needing need more bytes without moving the
 * messages already in it (it grows only while empty). buf_reserve keeps a
 * byte for a NUL: the same rule here, or it would move them. */
static bool fits(const kpub_batch *b, size_t need, size_t nmsgs)
{
	if (b->n + nmsgs > KPUB_FEED_BATCH_RECORDS)
		return false;
	return b->n == 0 || need < b->data.cap - b->data.len;
}

/* Copies s with its NUL into b's reserved room. */
static const char *put_str(kpub_batch *b, const char *s)
{
	char *at = b->data.data + b->data.len;
	size_t n = strlen(s) + 1;
	memcpy(at, s, n);
	b->data.len += n;
	return at;
}

/* Appends r (its bytes raw[0..rawlen), its key) to b, which has room. */
static kpub_msg *append(kpub_batch *b, const record *r, const void *raw, size_t rawlen, const buf *key,
			uint64_t recno)
{
	kpub_msg *m = &b->msgs[b->n++];
	memset(m, 0, sizeof *m);
	char *at = b->data.data + b->data.len;
	memcpy(at, raw, rawlen);
	b->data.len += rawlen;
	m->value = at;
	m->value_len = rawlen;
	at = b->data.data + b->data.len;
	memcpy(at, key->data, key->len);
	b->data.len += key->len;
	/* an event without a key (record_debezium.h) has a null one */
	m->key = key->len ? at : NULL;
	m->key_len = key->len;
	m->db = put_str(b, r->db);
	m->schema = put_str(b, r->schema);
	m->table = put_str(b, r->table);
	m->stream = put_str(b, r->stream);
	m->offset = r->offset;
	m->lsn = r->lsn;
	m->commit_us = r->commit_us;
	m->recno = recno;
	m->op = r->op;
	m->last = r->last;
	return m;
}

/* Ends the stream of batches with b, holding what went wrong. */
static void finish(kpub_feed *f, kpub_batch *b, enum kpub_feed_end end, int err_errno)
{
	b->end = end;
	b->err_errno = err_errno;
	ship(f, b);
}

static void *reader_main(void *arg)
{
	kpub_feed *f = arg;
	record_reader *rd = record_reader_new(f->fd);
	record r;
	record_init(&r);
	buf key, event, key2, event2;
	buf_init(&key, 0);
	buf_init(&event, 0);
	buf_init(&key2, 0);
	buf_init(&event2, 0);
	kpub_batch *b = get_free(f);
	if (b && !rd) {
		snprintf(b->err, sizeof b->err, "out of memory");
		finish(f, b, KPUB_FEED_IOERR, ENOMEM);
		b = NULL;
	}
	if (rd)
		record_reader_set_cancel_fd(rd, f->cancel[0]);
	while (b) {
		/* Ship what there is as soon as the next record would make us
		 * wait: a slow stream must not wait for a batch to fill. */
		char err[sizeof b->err];
		int rc = b->n > 0 ? record_reader_next_nowait(rd, &r, err, sizeof err) : -3;
		if (rc == -3) {
			if (b->n > 0) {
				ship(f, b);
				if (!(b = get_free(f)))
					break;
			}
			rc = record_reader_next(rd, &r, err, sizeof err);
		}
		if (rc == 0) {
			finish(f, b, KPUB_FEED_EOF, 0);
			break;
		}
		if (rc == -1) {
			snprintf(b->err, sizeof b->err, "%s", err);
			finish(f, b, KPUB_FEED_BAD, 0);
			break;
		}
		if (rc == -2) {
			int e = errno;
			pthread_mutex_lock(&f->mu);
			bool stopping = f->stop;
			pthread_mutex_unlock(&f->mu);
			if (stopping)
				break;
			if (e == EINTR)
				continue;
			snprintf(b->err, sizeof b->err, "%s", strerror(e));
			finish(f, b, KPUB_FEED_IOERR, e);
			break;
		}
		uint64_t recno = record_reader_count(rd);
		buf_reset(&key);
		const void *raw;
		size_t rawlen;
		/* a Debezium key change is two messages: the create's */
		bool split = false;
		if (f->dbz) {
			/* the record as a Debezium event: encoded here, on the
			 * reading thread, like the decoding */
			struct timespec now;
			clock_gettime(CLOCK_REALTIME, &now);
			int64_t now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
			split = dbz_key_changes(&r);
			bool has_key, has_key2 = false;
			char why[400];
			buf_reset(&event);
			buf_reset(&key2);
			buf_reset(&event2);
			if (dbz_encode(f->dbz, &r, split ? DBZ_PART_OLD : DBZ_PART_WHOLE, now_ns, &key, &has_key, &event,
				       why, sizeof why) < 0 ||
			    (split && dbz_encode(f->dbz, &r, DBZ_PART_NEW, now_ns, &key2, &has_key2, &event2, why,
						 sizeof why) < 0)) {
				snprintf(b->err, sizeof b->err, "record %" PRIu64 ": %s", recno, why);
				finish(f, b, KPUB_FEED_BAD, 0);
				break;
			}
			if (!has_key)
				buf_reset(&key);
			raw = event.data;
			rawlen = event.len;
		} else {
			if (record_encode_key(&r, record_reader_format(rd), &key) < 0) {
				snprintf(b->err, sizeof b->err, "record %" PRIu64 ": cannot encode its key", recno);
				finish(f, b, KPUB_FEED_BAD, 0);
				break;
			}
			record_reader_raw(rd, &raw, &rawlen);
		}
		size_t names = strlen(r.db) + strlen(r.schema) + strlen(r.table) + strlen(r.stream) + 4;
		size_t need = rawlen + key.len + names + (split ? event2.len + key2.len + names : 0);
		if (!fits(b, need, split ? 2 : 1)) {
			ship(f, b);
			if (!(b = get_free(f)))
				break;
		}
		if (buf_reserve(&b->data, need) < 0) {
			snprintf(b->err, sizeof b->err, "out of memory");
			finish(f, b, KPUB_FEED_IOERR, ENOMEM);
			break;
		}
		kpub_msg *m = append(b, &r, raw, rawlen, &key, recno);
		if (split) {
			/* delete of the old key, then create of the new, each
			 * naming the other key in a header (as Debezium does) */
			kpub_msg *c = append(b, &r, event2.data, event2.len, &key2, recno);
			m->op = RECORD_OP_DELETE;
			c->op = RECORD_OP_INSERT;
			c->same_record = true;
			m->last = false; /* c is the change's last message */
			m->hdr_name = "__debezium.newkey";
			m->hdr_value = c->key;
			m->hdr_len = c->key_len;
			c->hdr_name = "__debezium.oldkey";
			c->hdr_value = m->key;
			c->hdr_len = m->key_len;
		}
		if (b->n == KPUB_FEED_BATCH_RECORDS || b->data.len >= KPUB_FEED_BATCH_BYTES) {
			ship(f, b);
			b = get_free(f);
		}
	}
	record_free(&r);
	buf_free(&key);
	buf_free(&event);
	buf_free(&key2);
	buf_free(&event2);
	record_reader_free(rd);
	return NULL;
}

/* ---- the consumer's side ---- */

/* The oldest ready batch, or NULL; f->mu held. */
static kpub_batch *take_ready(kpub_feed *f)
{
	if (!f->nready)
		return NULL;
	kpub_batch *b = f->ready[f->ready_head];
	f->ready_head = (f->ready_head + 1) % KPUB_FEED_BATCHES;
	f->nready--;
	return b;
}

kpub_batch *kpub_feed_take(kpub_feed *f)
{
	pthread_mutex_lock(&f->mu);
	kpub_batch *b = take_ready(f);
	pthread_mutex_unlock(&f->mu);
	if (b)
		return b;
	/* Empty: the next ship writes to the pipe again, so what is in it is
	 * stale. Drained without the lock, which the reader would otherwise
	 * wait for (a futex sleep) while it ships; a ship between the look
	 * above and the drain may lose its byte to it, so look again after.
	 * A short read emptied the pipe. */
	char drain[64];
	while (read(f->notify[0], drain, sizeof drain) == (ssize_t)sizeof drain)
		;
	pthread_mutex_lock(&f->mu);
	b = take_ready(f);
	pthread_mutex_unlock(&f->mu);
	return b;
}

void kpub_feed_release(kpub_feed *f, kpub_batch *b)
{
	if (b->data.cap > BATCH_KEEP_BYTES) {
		buf_free(&b->data);
		buf_init(&b->data, RECORD_MAX_BYTES * 2);
		if (buf_reserve(&b->data, KPUB_FEED_BATCH_BYTES) < 0) {
			/* the reader reserves again as it fills */
		}
	}
	pthread_mutex_lock(&f->mu);
	f->free_list[f->nfree++] = b;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

static void feed_free(kpub_feed *f)
{
	for (size_t i = 0; i < KPUB_FEED_BATCHES; i++) {
		free(f->batches[i].msgs);
		buf_free(&f->batches[i].data);
	}
	for (int i = 0; i < 2; i++) {
		if (f->notify[i] >= 0)
			close(f->notify[i]);
		if (f->cancel[i] >= 0)
			close(f->cancel[i]);
	}
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	dbz_encoder_free(f->dbz);
	free(f);
}

kpub_feed *kpub_feed_start(int fd, const dbz_encoder_opts *dbz)
{
	kpub_feed *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->fd = fd;
	if (dbz && !(f->dbz = dbz_encoder_new(dbz))) {
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	f->notify[0] = f->notify[1] = f->cancel[0] = f->cancel[1] = -1;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	int e = 0;
	if (pipe2(f->notify, O_NONBLOCK | O_CLOEXEC) < 0 || pipe2(f->cancel, O_NONBLOCK | O_CLOEXEC) < 0)
		e = errno;
	for (size_t i = 0; !e && i < KPUB_FEED_BATCHES; i++) {
		kpub_batch *b = &f->batches[i];
		/* one record may be as big as the reader allows, plus its key and names */
		buf_init(&b->data, RECORD_MAX_BYTES * 2);
		b->msgs = malloc(KPUB_FEED_BATCH_RECORDS * sizeof *b->msgs);
		b->cap = KPUB_FEED_BATCH_RECORDS;
		if (!b->msgs || buf_reserve(&b->data, KPUB_FEED_BATCH_BYTES) < 0)
			e = ENOMEM;
		f->free_list[f->nfree++] = b;
	}
	if (!e) {
		/* signals are for the caller's thread, which decides to stop */
		sigset_t block, old;
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &block, &old);
		e = pthread_create(&f->thread, NULL, reader_main, f);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (!e)
			pthread_setname_np(f->thread, "kpub:read"); /* for top -H and perf */
		f->started = e == 0;
	}
	if (e) {
		feed_free(f);
		errno = e;
		return NULL;
	}
	return f;
}

void kpub_feed_stop(kpub_feed *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	ssize_t w = write(f->cancel[1], "s", 1);
	(void)w;
	if (f->started)
		pthread_join(f->thread, NULL);
	feed_free(f);
}
