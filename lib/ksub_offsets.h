/* ksub_offsets.h — what ksub knows about each Kafka partition it consumes:
 * how far it has read, what it has written, what came back acked, and from
 * that the offset it may commit for its consumer group (the offset of the
 * next message to read after a restart).
 *
 * A message is "consumed" when ksub wrote it as a record, or skipped it (a
 * tombstone, or an invalid message sent to --skip-invalid). Kafka commits
 * one offset per partition, so a skipped message can be committed only
 * together with everything before it:
 *   - with acks: the commit offset is the acked offset + 1, and past the
 *     skipped messages that follow the acked record (nobody downstream will
 *     ever ack them) up to the next record written; up to KSUB_SKIP_RUNS
 *     such runs awaiting acks are remembered, any further one is committed
 *     with the first ack beyond it;
 *   - without acks: the commit offset is the consumed offset at the last
 *     time stdout was flushed (ksub_parts_flushed).
 * The commit offset never goes beyond what was consumed since the
 * assignment, and never backwards. */
#ifndef DBREPL_KSUB_OFFSETS_H
#define DBREPL_KSUB_OFFSETS_H

#include "pos.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KSUB_SKIP_RUNS 16

typedef struct ksub_part {
	char *topic;
	int32_t partition;
	char stream[POS_STREAM_MAX + 1]; /* "kafka/TOPIC/PARTITION" */
	bool assigned;
	bool eof;          /* at the end of the partition (enable.partition.eof) */
	int64_t next;      /* offset after the last message consumed; -1 none yet */
	int64_t written;   /* offset of the last record written; -1 none yet */
	int64_t acked;     /* highest offset acked; -1 none yet */
	int64_t want;      /* offset to commit; -1 nothing */
	int64_t committed; /* offset last committed (or being committed); -1 none */
	/* Runs of skipped messages between two written records, oldest
	 * first: once `before` is acked, the commit may go to `resume`. */
	struct {
		int64_t before, resume;
	} runs[KSUB_SKIP_RUNS];
	unsigned run_first, nruns;
	bool skipping; /* the last message consumed was skipped */
	/* ksub --ordered: the partition's queue (ksub_merge.h), and whether
	 * its fetching is paused for memory */
	void *merge;
	bool paused;
	int64_t read_next; /* --ordered: offset after the last message read, queued or not */
	/* --ordered: the partition's own librdkafka queue (rd_kafka_queue_t),
	 * once no longer forwarded to the consumer queue; gated while
	 * messages it had forwarded before may still wait there */
	void *queue;
	bool gated;
	/* ksub's --metrics series of this partition (metrics.h), or NULL */
	struct metric *m_out, *m_lag;
} ksub_part;

typedef struct ksub_parts {
	bool ack_mode;     /* commits follow acks, not flushes */
	ksub_part **all;   /* every partition seen, in order of first sight */
	size_t n, cap;
	ksub_part **slots; /* hash of all[] by (topic, partition) */
	size_t nslots;     /* a power of two */
	ksub_part *last;   /* the last one looked up: messages come in runs */
} ksub_parts;

void ksub_parts_init(ksub_parts *t, bool ack_mode);
void ksub_parts_free(ksub_parts *t);

/* The partition's entry, created on first sight; NULL on ENOMEM or when the
 * stream name would be too long. */
ksub_part *ksub_parts_get(ksub_parts *t, const char *topic, int32_t partition);
/* The entry of an ack's stream "kafka/TOPIC/PARTITION"; NULL if never seen. */
ksub_part *ksub_parts_find_stream(ksub_parts *t, const char *stream);

/* A new assignment of the partition starts from a clean slate. */
void ksub_part_assign(ksub_part *p);
void ksub_part_revoke(ksub_part *p);

/* The message at offset off was written as a record / skipped. */
void ksub_part_written(ksub_parts *t, ksub_part *p, int64_t off);
void ksub_part_skipped(ksub_parts *t, ksub_part *p, int64_t off);
/* Everything of the partition at or below off is durable downstream. */
void ksub_part_acked(ksub_part *p, int64_t off);
/* Without acks: everything consumed so far has reached stdout. */
void ksub_parts_flushed(ksub_parts *t);

/* True when the partition has something to commit. */
bool ksub_part_commit_due(const ksub_part *p);
/* True when every record written to the partition has been acked. */
bool ksub_part_all_acked(const ksub_part *p);

#endif
