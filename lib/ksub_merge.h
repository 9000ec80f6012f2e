/* ksub_merge.h — ksub --ordered: the messages of the partitions a consumer
 * is assigned, merged into source order.
 *
 * Each message comes in with its partition, in the partition's order, and
 * waits in that partition's queue until it may go:
 *   - a record of a source transaction (op c, u, d, t) of source stream S
 *     at source offset O (its original pos, which ksub replaces) goes once
 *     it is the first of its partition's queue, has the lowest O among
 *     the first records of S of all partitions, and every other assigned
 *     partition has gone past O in S: its first queued record of S is at
 *     or beyond O, or it has none queued and has shown a record or a
 *     watermark of S at or beyond O, or right before it (the change before
 *     in the same transaction: the next one it brings is after O). A
 *     partition that has shown nothing of S since it was assigned holds S
 *     back. So the records of one stream
 *     come out in source order, transactions whole and one after another;
 *   - a snapshot row (op r, no transaction), a record in no source order
 *     (ksub_merge_pass) and a message that is not a record (a watermark, a
 *     tombstone, an invalid message skipped) go as soon as they are first
 *     in their partition's queue.
 * A partition's messages go in its own order, always: the next stage keeps
 * one checkpoint per partition.
 *
 * Watermarks tell at once how far a partition has gone in a stream. A
 * record of S at or below what its partition showed of S before is a copy
 * that a restarted kpub published again (a partition holds a stream's
 * records in source order otherwise): it is dropped as a skipped message,
 * since the first copy went out already or was consumed before.
 *
 * Records of two streams queued in opposite orders in two partitions would
 * wait for each other for ever; when nothing can go and no message to come
 * could change that, the oldest waiting record goes out of order (and
 * ksub_merge_release says so once).
 *
 * Memory: the queues hold at most about max_bytes; beyond, partitions
 * whose more messages cannot let anything go (every stream waiting has a
 * record queued in them) are to be paused (ksub_merge_pause_wanted) until
 * the queues are down to half. */
#ifndef DBREPL_KSUB_MERGE_H
#define DBREPL_KSUB_MERGE_H

#include "pos.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ksub_merge ksub_merge;
typedef struct ksub_merge_part ksub_merge_part;

ksub_merge *ksub_merge_new(size_t max_bytes);
void ksub_merge_free(ksub_merge *m);

/* A partition, known by the caller's tag; NULL on ENOMEM. It starts
 * revoked. */
ksub_merge_part *ksub_merge_part_new(ksub_merge *m, void *tag);
/* (Re)assigned: empty queue, nothing shown of any stream. */
void ksub_merge_assign(ksub_merge *m, ksub_merge_part *p);
/* Revoked: its queue is dropped (the next owner has those messages) and
 * it holds nothing back any more. */
void ksub_merge_revoke(ksub_merge *m, ksub_merge_part *p);

/* Messages, in their partition's order: a record (waits: of a source
 * transaction) with its output bytes and a stamp of the caller's (handed
 * back with it: its commit time, for ksub's metrics); a watermark;
 * anything else skipped. 0, 1 when the record is a copy (dropped, see
 * above), -1 on ENOMEM. */
int ksub_merge_record(ksub_merge *m, ksub_merge_part *p, int64_t koff, const char *stream, pos_offset off,
		      bool waits, const void *data, size_t len, int64_t stamp);
int ksub_merge_watermark(ksub_merge *m, ksub_merge_part *p, int64_t koff, const char *stream, pos_offset off);
int ksub_merge_skip(ksub_merge *m, ksub_merge_part *p, int64_t koff);
/* A record in no source order (a Debezium event without its transaction
 * block, or a snapshot's): it goes once first in its partition's queue, and
 * is never taken for a copy. 0, -1 on ENOMEM. */
int ksub_merge_pass(ksub_merge *m, ksub_merge_part *p, int64_t koff, const void *data, size_t len, int64_t stamp);

/* Lets go everything that may go, in order: out(ctx, tag, koff, data, len,
 * stamp) for each (data NULL: a message to skip). Returns how many went. *broke
 * (when not NULL) is set when a record went out of order to end a wait
 * that could not end otherwise. */
typedef void (*ksub_merge_out)(void *ctx, void *tag, int64_t koff, const void *data, size_t len, int64_t stamp);
size_t ksub_merge_release(ksub_merge *m, ksub_merge_out out, void *ctx, bool *broke);

/* Whether the partition should be paused now (see above), as the last
 * ksub_merge_release left the queues. */
bool ksub_merge_pause_wanted(const ksub_merge *m, const ksub_merge_part *p);
/* Bytes and messages queued. */
size_t ksub_merge_bytes(const ksub_merge *m);
size_t ksub_merge_queued(const ksub_merge *m);
/* When a stream's first waiting record waits for an assigned partition
 * that has shown nothing of the stream: that partition's tag and the
 * stream (for a diagnostic); NULL otherwise. */
void *ksub_merge_unseen_blocker(const ksub_merge *m, const char **stream);

#endif
