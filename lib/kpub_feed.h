/* kpub_feed.h — kpub's reading thread: reads and decodes records from a
 * file descriptor on a thread of its own and hands over, in batches, what
 * publishing each one needs (the bytes as they came, the message key, the
 * table, the op, the LSN and the stream position). Decoding then runs on
 * one core while kpub's main thread produces and serves delivery reports
 * on another.
 *
 * The queue between them is bounded: KPUB_FEED_BATCHES batches of at most
 * KPUB_FEED_BATCH_RECORDS records or about KPUB_FEED_BATCH_BYTES bytes (a
 * single larger record gets a batch of its own). When the main thread does
 * not keep up, the reading thread waits, and so does its input. A batch is
 * shipped when it is full or as soon as no further record can be read
 * without waiting, so a slow stream is published without delay.
 *
 * Records come in input order; the end of the input, bad input and read
 * errors arrive as the last batch, after every record before them. */
#ifndef DBREPL_KPUB_FEED_H
#define DBREPL_KPUB_FEED_H

#include "pos.h"
#include "record.h"
#include "record_debezium.h"

#include <stddef.h>
#include <stdint.h>

#define KPUB_FEED_BATCHES 4
#define KPUB_FEED_BATCH_RECORDS 1024
#define KPUB_FEED_BATCH_BYTES ((size_t)512 << 10)

typedef struct kpub_msg {
	const void *value; /* the record's encoded bytes (JSON: without '\n') */
	size_t value_len;
	const void *key; /* record_encode_key in the input's format; NULL: none */
	size_t key_len;
	const char *db, *schema, *table; /* NUL-terminated */
	const char *stream;              /* "" when the record has none */
	pos_offset offset;
	uint64_t lsn;
	int64_t commit_us; /* source commit time, µs since 1970 UTC */
	uint64_t recno; /* record_reader_count after it: the N of messages */
	char op;
	/* the second message of one record (a Debezium key change: delete,
	 * then create): it shares the previous message's place in the acks */
	bool same_record;
	/* the last message of its transaction's last change (src.last) */
	bool last;
	/* a header to add (Debezium's __debezium.newkey/oldkey), or NULL */
	const char *hdr_name;
	const void *hdr_value;
	size_t hdr_len;
} kpub_msg;

enum kpub_feed_end {
	KPUB_FEED_MORE = 0, /* more batches follow */
	KPUB_FEED_EOF,      /* end of input */
	KPUB_FEED_BAD,      /* bad input: err says what and where */
	KPUB_FEED_IOERR,    /* read error: err_errno */
};

typedef struct kpub_batch {
	kpub_msg *msgs;
	size_t n;
	enum kpub_feed_end end;
	char err[600];
	int err_errno;
	/* storage of the messages, private to kpub_feed.c */
	buf data;
	size_t cap;
} kpub_batch;

typedef struct kpub_feed kpub_feed;

/* Starts reading fd on a new thread (with SIGINT and SIGTERM blocked: the
 * caller's thread takes them). dbz not NULL: each message is the record's
 * Debezium event (record_debezium.h) instead of its own bytes and key; a
 * record that has none is bad input. NULL with errno on failure. */
kpub_feed *kpub_feed_start(int fd, const dbz_encoder_opts *dbz);
/* Readable when a batch may be ready: poll it with the other fds. */
int kpub_feed_fd(const kpub_feed *f);
/* The next batch in input order, or NULL when none is ready yet. */
kpub_batch *kpub_feed_take(kpub_feed *f);
/* Gives a taken batch back for reuse; its messages are gone. */
void kpub_feed_release(kpub_feed *f, kpub_batch *b);
/* Stops the thread wherever it waits (for input too), joins it and frees
 * everything, batches taken and not given back included. */
void kpub_feed_stop(kpub_feed *f);

#endif
