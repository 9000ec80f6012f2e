/* ksub — consumes Kafka topics as a consumer group and writes the change
 * records it finds there on stdout, each with its pos replaced by its Kafka
 * position: stream "kafka/TOPIC/PARTITION", offset = the Kafka offset.
 *
 * Offsets are committed by ksub itself, never automatically: with --ack
 * only what came back acked on the FIFO (asynchronously about once a
 * second, synchronously before partitions are revoked and at exit);
 * without --ack whatever has been written to stdout and flushed.
 * Without -G it joins no group: it assigns itself every partition of the
 * topics named (as kcat -C does), starts at -o and commits nothing.
 * A message that is not a record stops ksub (exit 65) before anything
 * after it is written or committed, unless --skip-invalid sends it to a
 * file; tombstones (null values) and kpub's watermarks are skipped.
 * Skipped messages are committed together with the records before them
 * (ksub_offsets.h). With --ordered the messages of all assigned partitions
 * wait in queues until they may go in source order (ksub_merge.h). */
#include "ack.h"
#include "buf.h"
#include "cli.h"
#include "kconf.h"
#include "ksub_merge.h"
#include "ksub_offsets.h"
#include "ksub_splice.h"
#include "monoclock.h"
#include "record_debezium.h"
#include "log.h"
#include "metrics.h"
#include "pos.h"
#include "record.h"
#include "watermark.h"

#include <librdkafka/rdkafka.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

/* Output is written in chunks of about this size, and whenever librdkafka
 * has nothing more queued, so a trickle of changes is not held back. */
#define OUT_CHUNK (256 * 1024)
#define COMMIT_INTERVAL_MS 1000
#define SERVICE_INTERVAL_MS 20
#define PROGRESS_INTERVAL_MS 2000
/* librdkafka 2.0.2 stops fetching for a partition whose prefetch queue is
 * over queued.min.messages or queued.max.messages.kbytes, and nothing wakes
 * the broker thread when ksub has drained the queue: it sleeps until its
 * next 1 s tick (fetch.queue.backoff.ms, which bounds this, came in 2.3.0).
 * Any request to that broker wakes it, and it decides again to fetch. So
 * when ksub has run dry for a while although partitions have data it has
 * not read (their high watermark, as of the last fetch, is beyond what it
 * consumed), it asks their leaders for their offsets: one ListOffsets per
 * leader, answered in a round trip, that restarts the fetches. A fetcher
 * that is merely slow gets a request it can answer at once; the wait
 * before asking grows with the round trip, so a distant cluster is not
 * asked all the time. */
#define NUDGE_IDLE_MS 5
/* A nudge blocks the main loop: when a leader does not answer (a broker
 * down), ksub waits this long, then leaves the fetchers alone for 1 s. */
#define NUDGE_TIMEOUT_MS 200
/* --ordered: what the queues may hold before partitions that run ahead
 * are held back (librdkafka's prefetch comes on top). */
#define ORDERED_MAX_BYTES ((size_t)16 << 20)
/* --ordered: each partition is read from a queue of its own (see
 * split_queue), so librdkafka's queued.max.messages.kbytes bounds each
 * partition's prefetch instead of the one consumer queue's: 1 MiB is some
 * seconds of a busy partition. -X wins. */
#define ORDERED_QUEUE_KBYTES "1024"
/* --ordered: the partitions' queues wake nothing up; while ksub has
 * nothing to do it looks at them this often. */
#define ORDERED_POLL_MS 5
/* --ordered: what a fetch asks of each partition (librdkafka's default is
 * 1 MiB; it grows the ask by itself for a larger message). A fetch brings
 * up to this much of every partition at once, so partitions with few
 * messages run seconds ahead of busy ones in what was fetched, and the
 * queues must hold that difference: with 1 MiB and some 20 busy partitions
 * of 124 they filled ORDERED_MAX_BYTES, partitions were paused and resumed
 * some 80 times a second (a resume drops what was prefetched), and the
 * pipeline bench's --ordered phase at 6,000 changes/s fell to 500-4,000
 * records/s. With 64 KiB a 30 s phase kept up with no partition paused;
 * a 60 s one still filled the queues after 45 s, and pausing kept them
 * full, until partitions were held back rather than paused (set_paused).
 * -X wins. */
#define ORDERED_PARTITION_FETCH_BYTES "65536"
/* --ordered: a wait this long for a partition that has shown nothing of a
 * stream is reported. */
#define ORDERED_WARN_MS 10000
/* How long finish() waits for a cooperative group's first assignment, and
 * then for its revocation, before it closes the consumer anyway (see
 * leave_group). */
#define LEAVE_WAIT_MS 10000
/* How long a commit that must be confirmed (at a revocation, at the end)
 * is waited for. With the group coordinator out of reach librdkafka
 * retries it for minutes (a SIGTERM left ksub in its last commit for over
 * two minutes); what no commit covers is delivered again, so ksub goes on,
 * and ends, without the confirmation. */
#define COMMIT_WAIT_MS 10000
/* The same for the consumer's close (close_consumer). */
#define CLOSE_WAIT_MS 10000

/* ---- options ---- */

static struct {
	const char *group;
	bool direct;              /* no group: partitions assigned by ksub itself */
	const char *offset;       /* -o as given; NULL: not given */
	const char *offset_reset; /* NULL: the default, or what -X set */
	bool exit_eof;
	uint64_t count;           /* 0: no limit */
	record_format format;
	const char *ack_path;
	int ack_wait_ms;
	const char *skip_path;
	bool ordered;
	int progress;             /* -1: default (stderr is a tty) */
	char **topics;
	int ntopics;
	metrics_config metrics;
} opt = {
	.format = RECORD_FORMAT_JSON,
	.ack_wait_ms = 10000,
	.progress = -1,
};

/* ---- state ---- */

static volatile sig_atomic_t got_signal;
static rd_kafka_t *rk;
static ksub_parts parts;
static ack_reader *acks;
static FILE *skipf;
static buf out;
static buf one; /* --ordered: one record's output, before it is queued */
static ksub_merge *merge;
static bool count_done; /* -c reached: nothing more goes out */
/* finish() has begun: standard output is being closed, so a release (a
 * rebalance while it waits for acks or leaves the group) writes nothing */
static bool finishing;
static record rec;
static bool stopping;     /* stop consuming: end reached, -c, signal, error */
static int exit_code = EX_OK;
static bool out_failed;   /* stdout is gone; nothing more can be written */
static bool assigned_once; /* a rebalance has assigned partitions at least once */
static int64_t empty_since_ms = -1;
static int64_t last_message_ms; /* when the last message (not an event) came */

static struct {
	uint64_t records, tombstones, invalid, bytes, watermarks, copies;
	uint64_t last_records;
	int64_t last_ms;
	uint64_t messages, bytes_in, errors;
} stats;

/* --metrics (all NULL without) */
static metrics *mx;
static struct {
	metrics_stage io;
	metric_family *lag_msgs;
	metric *errors, *dead;
} mm;

static void on_signal(int sig)
{
	(void)sig;
	got_signal++;
}

static void stop_with(int code)
{
	stopping = true;
	if (exit_code == EX_OK)
		exit_code = code;
}

/* ---- output ---- */

static bool out_nonblock; /* stdout is a pipe we made non-blocking */

static void commit(bool sync, const rd_kafka_topic_partition_list_t *only);
static void read_acks(void);
static void write_metrics(bool now);

/* Waits until stdout can take more. A slow next stage must not stop
 * ksub from reading its acks and committing them, so those go on here. */
static void wait_out(void)
{
	static int64_t last_commit;
	struct pollfd pfd[2] = {{.fd = STDOUT_FILENO, .events = POLLOUT}, {.fd = -1, .events = POLLIN}};
	if (acks)
		pfd[1].fd = ack_reader_fd(acks);
	if (poll(pfd, 2, 100) > 0 && pfd[1].revents)
		read_acks();
	write_metrics(false);
	int64_t now = mono_ms_coarse();
	if (now - last_commit >= COMMIT_INTERVAL_MS) {
		commit(false, NULL);
		last_commit = now;
	}
}

/* Writes everything buffered; then (without --ack) what was consumed may be
 * committed. 0, or -1 when stdout is gone. */
static int flush_out(void)
{
	if (out_failed)
		return -1;
	size_t off = 0;
	int64_t signalled_at = -1;
	while (off < out.len) {
		ssize_t n = write(STDOUT_FILENO, out.data + off, out.len - off);
		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			/* After a signal the next stage gets a while to take the
			 * rest; what it never takes is not committed. */
			if (got_signal && signalled_at < 0)
				signalled_at = mono_ms_coarse();
			if (signalled_at >= 0 && mono_ms_coarse() - signalled_at > opt.ack_wait_ms) {
				log_error("the next stage does not read stdout; giving up on %zu bytes", out.len - off);
				out_failed = true;
				return -1;
			}
			wait_out();
			continue;
		}
		if (errno == EPIPE)
			log_error("stdout closed by the next stage; stopping (unacked records will be delivered again)");
		else
			log_error("write failed (stdout: %s)", strerror(errno));
		out_failed = true;
		stop_with(errno == EPIPE ? EX_TEMPFAIL : EX_IOERR);
		return -1;
	}
	stats.bytes += out.len;
	buf_reset(&out);
	ksub_parts_flushed(&parts);
	return 0;
}

/* Closes stdout so the next stage sees end of input (and can finish and
 * ack its last batch) while ksub waits for the acks. */
static void close_out(void)
{
	if (out_nonblock)
		fcntl(STDOUT_FILENO, F_SETFL, fcntl(STDOUT_FILENO, F_GETFL) & ~O_NONBLOCK);
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	} else {
		close(STDOUT_FILENO);
	}
}

/* ---- commits ---- */

static void commit_result(rd_kafka_t *k, rd_kafka_resp_err_t err,
			  rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
	(void)k;
	(void)opaque;
	if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
		return;
	for (int i = 0; offsets && i < offsets->cnt; i++) {
		rd_kafka_topic_partition_t *tp = &offsets->elems[i];
		rd_kafka_resp_err_t e = tp->err ? tp->err : err;
		if (!e) {
			log_debug("committed %s [%" PRId32 "] offset %" PRId64, tp->topic, tp->partition, tp->offset);
			continue;
		}
		log_error("commit failed (topic %s partition %" PRId32 " offset %" PRId64 ": %s); "
			  "it is tried again, and what it covers is delivered again if ksub stops first",
			  tp->topic, tp->partition, tp->offset, rd_kafka_err2str(e));
		ksub_part *p = ksub_parts_get(&parts, tp->topic, tp->partition);
		if (p && p->committed == tp->offset)
			p->committed = -1;
	}
	if (err && (!offsets || offsets->cnt == 0))
		log_error("commit failed (%s)", rd_kafka_err2str(err));
}

static bool in_list(const rd_kafka_topic_partition_list_t *l, const ksub_part *p)
{
	if (!l)
		return true;
	for (int i = 0; i < l->cnt; i++)
		if (l->elems[i].partition == p->partition && strcmp(l->elems[i].topic, p->topic) == 0)
			return true;
	return false;
}

/* The last synchronous commit whose result came (commit_wait): a number,
 * not a flag on the waiter's stack, because a result that comes after the
 * wait gave up must find nothing to write to. */
static uintptr_t commit_asked, commit_answered;

static void commit_done(rd_kafka_t *k, rd_kafka_resp_err_t err,
			rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
	commit_answered = (uintptr_t)opaque;
	commit_result(k, err, offsets, NULL);
}

/* Commits l and waits for the result, COMMIT_WAIT_MS at most (a second
 * signal ends the wait too). */
static void commit_wait(rd_kafka_topic_partition_list_t *l)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	uintptr_t id = ++commit_asked;
	rd_kafka_resp_err_t err = rd_kafka_commit_queue(rk, l, q, commit_done, (void *)id);
	if (err) {
		if (err != RD_KAFKA_RESP_ERR__NO_OFFSET)
			commit_result(rk, err, l, NULL);
	} else {
		int64_t until = mono_ms_coarse() + COMMIT_WAIT_MS;
		while (commit_answered != id && got_signal < 2 && mono_ms_coarse() < until)
			rd_kafka_queue_poll_callback(q, 100);
		if (commit_answered != id) {
			if (got_signal < 2)
				log_error("commit not confirmed within %d ms; what it covers is delivered again "
					  "unless it went through", COMMIT_WAIT_MS);
			for (int i = 0; i < l->cnt; i++) {
				ksub_part *p = ksub_parts_get(&parts, l->elems[i].topic, l->elems[i].partition);
				if (p && p->committed == l->elems[i].offset)
					p->committed = -1;
			}
		}
	}
	rd_kafka_queue_destroy(q);
}

/* Commits what is due, of the partitions in only (NULL: all assigned). */
static void commit(bool sync, const rd_kafka_topic_partition_list_t *only)
{
	if (opt.direct)
		return; /* no group, nothing to commit to */
	rd_kafka_topic_partition_list_t *l = NULL;
	for (size_t i = 0; i < parts.n; i++) {
		ksub_part *p = parts.all[i];
		if (!ksub_part_commit_due(p) || !in_list(only, p))
			continue;
		if (!l)
			l = rd_kafka_topic_partition_list_new(8);
		rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = p->want;
		p->committed = p->want;
	}
	if (!l)
		return;
	if (sync) {
		commit_wait(l);
	} else {
		rd_kafka_resp_err_t err = rd_kafka_commit(rk, l, 1);
		if (err)
			commit_result(rk, err, l, NULL);
	}
	rd_kafka_topic_partition_list_destroy(l);
}

/* ---- acks ---- */

static void on_ack(void *ctx, const char *stream, pos_offset off)
{
	(void)ctx;
	ksub_part *p = ksub_parts_find_stream(&parts, stream);
	if (!p || !p->assigned || off.lsn || off.minor != 0 || off.major > INT64_MAX) {
		log_debug("ignoring ack for %s (not a partition assigned here)", stream);
		return;
	}
	ksub_part_acked(p, (int64_t)off.major);
}

static void read_acks(void)
{
	if (acks && ack_reader_poll(acks, on_ack, NULL) < 0)
		log_error("reading acks failed (%s: %s)", opt.ack_path, strerror(errno));
}

/* ---- --ordered ---- */

/* The partition's queue, made on first use; NULL on ENOMEM. */
static ksub_merge_part *merge_part(ksub_part *p)
{
	if (!p->merge)
		p->merge = ksub_merge_part_new(merge, p);
	return p->merge;
}

/* Holds p back (its queue is not read) or lets it be read again. Not
 * rd_kafka_pause_partitions: a resume drops what was prefetched and
 * fetches it again, and with the queues full every resume was a wait for
 * that fetch while everything else waited for p (the pipeline bench's
 * --ordered phase fell from 6,000 to a few hundred records/s, and did not
 * recover). Held, p's own queue fills to queued.max.messages.kbytes and
 * librdkafka stops fetching it; what it holds is read when p is let go. */
static void set_paused(ksub_part *p, bool pause)
{
	p->paused = pause;
	log_debug("%s %s (%zu bytes queued for order)", pause ? "held" : "let go", p->stream,
		  ksub_merge_bytes(merge));
}

static int nsplit; /* partitions read from queues of their own */

/* From now on p's messages wait in its own queue rather than the consumer
 * queue, to be read when the merge may take them. This is done after p's
 * first message, once its fetching has started (librdkafka sets up the
 * forwarding then, unless the application changed it before: it keeps
 * ours from then on, over reassignments too); again whenever a message of
 * p comes through the consumer queue, which costs nothing. The messages of
 * p forwarded before come ahead of those in its own queue: p stays gated
 * (also after each assignment) until the consumer queue has been found
 * empty. Without its queue (ENOMEM) p stays forwarded, as without
 * --ordered. */
static void split_queue(ksub_part *p)
{
	if (!p->queue) {
		p->queue = rd_kafka_queue_get_partition(rk, p->topic, p->partition);
		if (!p->queue)
			return;
		nsplit++;
		log_debug("reading %s from a queue of its own", p->stream);
	}
	rd_kafka_queue_forward(p->queue, NULL);
	p->gated = true;
}

static void merge_release(void);
static void handle_message(const rd_kafka_message_t *m);
static bool at_end(int64_t now);

/* Reads the queues of the partitions the merge may take more of, a batch
 * each. consumer_empty: the consumer queue was just found empty, so every
 * gate opens. Returns how many messages were read. */
static size_t read_split(bool consumer_empty)
{
	enum { BATCH = 64 };
	rd_kafka_message_t *ms[BATCH];
	size_t total = 0;
	for (size_t i = 0; i < parts.n && !stopping; i++) {
		ksub_part *p = parts.all[i];
		if (!p->queue)
			continue;
		if (consumer_empty)
			p->gated = false;
		if (!p->assigned || p->gated || p->paused)
			continue;
		ssize_t n = rd_kafka_consume_batch_queue(p->queue, 0, ms, BATCH);
		for (ssize_t k = 0; k < n; k++) {
			/* After a stop (an invalid message without --skip-invalid,
			 * a failed write) nothing after it is handled: it would be
			 * written, and committed past the message that stopped. */
			if (!stopping) {
				bool eof = ms[k]->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
				handle_message(ms[k]);
				if (eof && opt.exit_eof && at_end(mono_ms_coarse()))
					stopping = true;
			}
			rd_kafka_message_destroy(ms[k]);
		}
		if (n > 0) {
			total += (size_t)n;
			merge_release();
			if (out.len >= OUT_CHUNK)
				flush_out();
		}
	}
	return total;
}

static void close_split(void)
{
	for (size_t i = 0; i < parts.n; i++)
		if (parts.all[i]->queue) {
			rd_kafka_queue_destroy(parts.all[i]->queue);
			parts.all[i]->queue = NULL;
		}
}

/* A new assignment of p starts with an empty queue. */
static int merge_assign(ksub_part *p)
{
	if (!merge_part(p)) {
		log_error("out of memory (partition table)");
		return -1;
	}
	ksub_merge_assign(merge, p->merge);
	p->read_next = -1;
	p->gated = true;
	return 0;
}

/* Where p is read to: with --ordered, queued messages count. */
static int64_t read_to(const ksub_part *p)
{
	return merge ? p->read_next : p->next;
}

/* A message the merge lets go: written, or skipped. */
static void merged_out(void *ctx, void *tag, int64_t koff, const void *data, size_t len, int64_t commit_us)
{
	(void)ctx;
	ksub_part *p = tag;
	if (count_done || finishing)
		return; /* neither written nor committed: delivered again */
	/* p->eof tells of the messages consumed, not of those let go */
	bool eof = p->eof;
	if (data) {
		if (buf_append(&out, data, len) < 0) {
			log_error("out of memory (output)");
			stop_with(EX_SOFTWARE);
			count_done = true;
			return;
		}
		ksub_part_written(&parts, p, koff);
		stats.records++;
		if (mx) {
			if (!p->m_out)
				p->m_out = metric_get(mm.io.out, p->stream);
			metric_add(p->m_out, 1);
			metrics_commit_done(mm.io.last, mm.io.lag, &mm.io.newest_us, commit_us);
		}
		if (opt.count && stats.records >= opt.count)
			count_done = stopping = true;
	} else {
		ksub_part_skipped(&parts, p, koff);
	}
	p->eof = eof;
}

/* Lets go what may go; pauses the partitions that run ahead while the
 * queues are full, resumes them when they are not. */
static void merge_release(void)
{
	static bool warned;
	bool broke;
	ksub_merge_release(merge, merged_out, NULL, &broke);
	if (broke && !warned) {
		warned = true;
		log_error("records of several source streams came in opposite orders in two partitions; one went "
			  "out of source order to end the wait");
	}
	for (size_t i = 0; i < parts.n; i++) {
		ksub_part *p = parts.all[i];
		if (!p->assigned || !p->merge)
			continue;
		/* only a partition with a queue of its own can be held */
		bool want = p->queue && ksub_merge_pause_wanted(merge, p->merge);
		if (want != p->paused)
			set_paused(p, want);
	}
}

/* A partition that holds a stream back for long without having shown any
 * of it (no kpub watermarks there, or a topic of another source) is named
 * once. */
static void merge_check_stall(int64_t now)
{
	static void *blocker;
	static int64_t since;
	static bool told;
	const char *stream = NULL;
	void *b = ksub_merge_queued(merge) ? ksub_merge_unseen_blocker(merge, &stream) : NULL;
	if (b != blocker) {
		blocker = b;
		since = now;
		told = false;
	}
	if (b && !told && now - since >= ORDERED_WARN_MS) {
		told = true;
		log_info("records of stream %s have waited %d s for %s, which has shown none of that stream's records "
			 "or watermarks (is kpub writing watermarks there? with --envelope debezium it writes them only "
			 "with --watermark-ms)",
			 stream, ORDERED_WARN_MS / 1000, ((ksub_part *)b)->stream);
	}
}

/* ---- rebalances ---- */

static void rebalance(rd_kafka_t *k, rd_kafka_resp_err_t err,
		      rd_kafka_topic_partition_list_t *pl, void *opaque)
{
	(void)opaque;
	bool coop = strcmp(rd_kafka_rebalance_protocol(k), "COOPERATIVE") == 0;
	rd_kafka_error_t *error = NULL;
	rd_kafka_resp_err_t aerr = RD_KAFKA_RESP_ERR_NO_ERROR;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		for (int i = 0; i < pl->cnt; i++) {
			ksub_part *p = ksub_parts_get(&parts, pl->elems[i].topic, pl->elems[i].partition);
			if (!p) {
				log_error("out of memory (partition table)");
				stop_with(EX_SOFTWARE);
				continue;
			}
			ksub_part_assign(p);
			if (merge && merge_assign(p) < 0) {
				stop_with(EX_SOFTWARE);
				continue;
			}
			log_debug("assigned %s", p->stream);
		}
		assigned_once = true;
		if (coop)
			error = rd_kafka_incremental_assign(k, pl);
		else
			aerr = rd_kafka_assign(k, pl);
	} else {
		if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
			log_error("rebalance failed (%s)", rd_kafka_err2str(err));
		/* Commit what is safe before another member takes these over:
		 * flushed output (without acks), or every ack there is so far. */
		flush_out();
		read_acks();
		if (!rd_kafka_assignment_lost(k))
			commit(true, pl);
		for (int i = 0; i < pl->cnt; i++) {
			ksub_part *p = ksub_parts_get(&parts, pl->elems[i].topic, pl->elems[i].partition);
			if (p) {
				ksub_part_revoke(p);
				if (p->merge)
					ksub_merge_revoke(merge, p->merge);
				if (p->paused)
					set_paused(p, false);
				log_debug("revoked %s", p->stream);
			}
		}
		/* Records that waited for a revoked partition wait no more
		 * (cooperative: the others stay assigned); they must not wait
		 * for the next message to be let go. */
		if (merge)
			merge_release();
		if (coop)
			error = rd_kafka_incremental_unassign(k, pl);
		else
			aerr = rd_kafka_assign(k, NULL);
	}
	if (error) {
		log_error("assignment failed (%s)", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	} else if (aerr) {
		log_error("assignment failed (%s)", rd_kafka_err2str(aerr));
	}
}

/* ---- messages ---- */

static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			k = 1, cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2, cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3, cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		i += k + 1;
	}
	return true;
}

static void put_json_string(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* "name":"text" when the bytes are UTF-8, else "name_hex":"…". */
static void put_bytes_member(FILE *f, const char *name, const void *data, size_t n)
{
	if (!data) {
		fprintf(f, ",\"%s\":null", name);
	} else if (utf8_valid(data, n)) {
		fprintf(f, ",\"%s\":", name);
		put_json_string(f, data, n);
	} else {
		fprintf(f, ",\"%s_hex\":\"", name);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%02x", ((const unsigned char *)data)[i]);
		fputc('"', f);
	}
}

/* One line of JSON per message that is not a record. */
static int write_skipped(const rd_kafka_message_t *m, const char *topic, const char *why)
{
	fputs("{\"topic\":", skipf);
	put_json_string(skipf, topic, strlen(topic));
	fprintf(skipf, ",\"partition\":%" PRId32 ",\"offset\":%" PRId64 ",\"error\":", m->partition, m->offset);
	put_json_string(skipf, why, strlen(why));
	put_bytes_member(skipf, "key", m->key, m->key_len);
	put_bytes_member(skipf, "value", m->payload, m->len);
	fputs("}\n", skipf);
	/* It is committed as consumed later on, so it must be in the file. */
	if (fflush(skipf) != 0 || ferror(skipf)) {
		log_error("write failed (%s: %s)", opt.skip_path, strerror(errno));
		return -1;
	}
	return 0;
}

static bool looks_like_json(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '{')
			return true;
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	}
	return false;
}

/* Appends the record of message m, with its Kafka position, to dst.
 * spliced: whether the message holds the record's own JSON, whose pos
 * may be replaced in place (not a Debezium event). */
static int emit_record(const rd_kafka_message_t *m, ksub_part *p, buf *dst, bool spliced)
{
	if (spliced && opt.format == RECORD_FORMAT_JSON && m->offset >= 0 && looks_like_json(m->payload, m->len)) {
		/* {"stream":"kafka/T/P","offset":"N"}, by hand: this runs for
		 * every message. Kafka topic names need no JSON escapes, but a
		 * stream that would is encoded the long way. */
		char pj[POS_STREAM_MAX + 64], digits[24];
		size_t sl = strlen(p->stream), nd = 0, n = 0;
		uint64_t v = (uint64_t)m->offset;
		do
			digits[nd++] = (char)('0' + v % 10);
		while ((v /= 10) != 0);
		if (sl + nd + 30 < sizeof pj && !strpbrk(p->stream, "\"\\")) {
			memcpy(pj, "{\"stream\":\"", 11);
			n = 11;
			memcpy(pj + n, p->stream, sl);
			n += sl;
			memcpy(pj + n, "\",\"offset\":\"", 12);
			n += 12;
			while (nd)
				pj[n++] = digits[--nd];
			memcpy(pj + n, "\"}", 2);
			n += 2;
			if (ksub_splice_pos(m->payload, m->len, pj, n, dst) == 0)
				return 0;
		}
	}
	snprintf(rec.stream, sizeof rec.stream, "%s", p->stream);
	rec.offset = (pos_offset){.major = (uint64_t)m->offset, .minor = 0, .lsn = false};
	return record_encode(&rec, opt.format, dst);
}

static void handle_error(const rd_kafka_message_t *m)
{
	const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : NULL;
	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		ksub_part *p = topic ? ksub_parts_get(&parts, topic, m->partition) : NULL;
		if (p && p->assigned) {
			p->eof = true;
			log_debug("end of %s at offset %" PRId64, p->stream, m->offset);
		}
		return;
	}
	stats.errors++;
	if (topic)
		log_error("consume failed (topic %s partition %" PRId32 ": %s)", topic, m->partition,
			  rd_kafka_message_errstr(m));
	else
		log_error("consume failed (%s)", rd_kafka_message_errstr(m));
	if (opt.exit_eof && (m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
			     m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
			     m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED))
		stop_with(EX_UNAVAILABLE);
}

/* A message that is not a record goes (in its partition's order). */
static void skipped(ksub_part *p, int64_t koff)
{
	if (merge && ksub_merge_skip(merge, p->merge, koff) < 0) {
		log_error("out of memory (queue for order)");
		stop_with(EX_SOFTWARE);
	} else if (!merge) {
		ksub_part_skipped(&parts, p, koff);
	}
}

static void handle_message(const rd_kafka_message_t *m)
{
	if (m->err) {
		handle_error(m);
		return;
	}
	const char *topic = rd_kafka_topic_name(m->rkt);
	ksub_part *p = ksub_parts_get(&parts, topic, m->partition);
	if (!p) {
		log_error("out of memory (partition table)");
		stop_with(EX_SOFTWARE);
		return;
	}
	if (!p->assigned)
		return; /* from before a revoke: the new owner delivers it */
	last_message_ms = mono_ms_coarse();
	if (merge) {
		p->eof = false;
		p->read_next = m->offset + 1;
	}
	/* kpub's watermark: no record (nor counted as one); with --ordered
	 * it tells how far the partition has gone in its stream */
	char wstream[POS_STREAM_MAX + 1];
	pos_offset woff;
	if (watermark_key_is(m->key, m->key_len) && watermark_decode(m->payload, m->len, wstream, &woff) == 0) {
		stats.watermarks++;
		if (!merge)
			ksub_part_skipped(&parts, p, m->offset);
		else if (ksub_merge_watermark(merge, p->merge, m->offset, wstream, woff) < 0)
			stop_with(EX_SOFTWARE);
		return;
	}
	stats.messages++;
	stats.bytes_in += m->len;
	if (!m->payload) {
		stats.tombstones++;
		skipped(p, m->offset);
		return;
	}
	char err[512];
	const char *why = NULL;
	/* a Debezium event becomes a record with the help of the message key,
	 * which names the key columns */
	bool dbz = record_is_debezium(m->payload, m->len);
	int rc = dbz ? record_decode_debezium(&rec, m->payload, m->len, m->key, m->key_len, 0, err, sizeof err)
		     : record_decode(&rec, m->payload, m->len, err, sizeof err);
	if (rc == DBZ_NOT_A_CHANGE) {
		/* a transaction boundary: no record, committed with the rest */
		stats.tombstones++;
		skipped(p, m->offset);
		log_debug("skipped %s [%" PRId32 "] offset %" PRId64 ": %s", topic, m->partition, m->offset, err);
		return;
	}
	bool second = false; /* the create after the delete of a Debezium key change */
	if (rc == 0 && dbz) {
		rd_kafka_headers_t *h;
		const void *v;
		size_t vl;
		if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR) {
			rec.last = rd_kafka_header_get_last(h, TXN_LAST_HEADER, &v, &vl) == RD_KAFKA_RESP_ERR_NO_ERROR;
			second = rd_kafka_header_get_last(h, "__debezium.oldkey", &v, &vl) == RD_KAFKA_RESP_ERR_NO_ERROR;
		}
	}
	if (rc < 0) {
		why = err;
	} else if (merge) {
		/* the record's own position, before ksub puts the Kafka one in;
		 * a Debezium event's by its transaction block (watermark.h), and
		 * without one it is in no order */
		char stream[POS_STREAM_MAX + 1];
		pos_offset off = dbz ? watermark_debezium_order(rec.offset.major, rec.seq, second) : rec.offset;
		memcpy(stream, rec.stream, sizeof stream);
		bool waits = rec.op != RECORD_OP_READ;
		bool ordered = !dbz || (waits && rec.seq);
		buf_reset(&one);
		if (emit_record(m, p, &one, !dbz) < 0) {
			snprintf(err, sizeof err, "cannot encode the record (%s)", strerror(errno));
			why = err;
		} else {
			int mrc = ordered ? ksub_merge_record(merge, p->merge, m->offset, stream, off, waits, one.data, one.len,
							      rec.commit_us)
					  : ksub_merge_pass(merge, p->merge, m->offset, one.data, one.len, rec.commit_us);
			if (mrc < 0) {
				log_error("out of memory (queue for order)");
				stop_with(EX_SOFTWARE);
			}
			stats.copies += mrc == 1;
			return;
		}
	} else if (emit_record(m, p, &out, !dbz) < 0) {
		snprintf(err, sizeof err, "cannot encode the record (%s)", strerror(errno));
		why = err;
	}
	if (why) {
		if (skipf) {
			if (write_skipped(m, topic, why) < 0) {
				stop_with(EX_IOERR);
				return;
			}
			stats.invalid++;
			skipped(p, m->offset);
			return;
		}
		log_error("message is not a change record (topic %s partition %" PRId32 " offset %" PRId64 ": %s)",
			  topic, m->partition, m->offset, why);
		stop_with(EX_DATAERR);
		return;
	}
	ksub_part_written(&parts, p, m->offset);
	stats.records++;
	if (mx) {
		if (!p->m_out)
			p->m_out = metric_get(mm.io.out, p->stream);
		metric_add(p->m_out, 1);
		metrics_commit_done(mm.io.last, mm.io.lag, &mm.io.newest_us, rec.commit_us);
	}
	if (opt.count && stats.records >= opt.count)
		stopping = true;
}

/* ---- waking stalled fetchers (see NUDGE_IDLE_MS) ---- */

static struct {
	int64_t last_ms;  /* when the last nudge was sent */
	int64_t rtt_ms;   /* how long it took */
	bool lagging;     /* some partition had data ksub has not read */
} nudge_state;

/* How long ksub must have had nothing to read before it nudges. */
static int nudge_wait_ms(void)
{
	int64_t w = 2 * nudge_state.rtt_ms;
	return (int)(w > NUDGE_IDLE_MS ? (w < 1000 ? w : 1000) : NUDGE_IDLE_MS);
}

/* Called when the consumer queue is empty. Returns true when some assigned
 * partition is behind its high watermark (so more is coming, or should). */
static bool nudge_fetchers(int64_t now)
{
	int wait = nudge_wait_ms();
	if (now - last_message_ms < wait || now - nudge_state.last_ms < wait)
		return nudge_state.lagging;
	rd_kafka_topic_partition_list_t *l = NULL;
	for (size_t i = 0; i < parts.n; i++) {
		ksub_part *p = parts.all[i];
		int64_t lo, hi;
		/* Before the first message of a partition its fetcher is
		 * starting, not stalled. */
		if (!p->assigned || p->paused || read_to(p) < 0 ||
		    rd_kafka_get_watermark_offsets(rk, p->topic, p->partition, &lo, &hi) != RD_KAFKA_RESP_ERR_NO_ERROR ||
		    hi <= read_to(p))
			continue;
		if (!l && !(l = rd_kafka_topic_partition_list_new(8)))
			return false;
		/* offsets_for_times with timestamp -1 asks for the end offset */
		rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = -1;
	}
	nudge_state.lagging = l != NULL;
	if (!l)
		return false;
	rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, l, NUDGE_TIMEOUT_MS);
	int64_t done = mono_ms_coarse();
	nudge_state.last_ms = done;
	nudge_state.rtt_ms = err ? 500 : done - now;
	log_debug("nudged the fetchers of %d partitions (%s, %" PRId64 " ms)", l->cnt,
		  rd_kafka_err2str(err), nudge_state.rtt_ms);
	rd_kafka_topic_partition_list_destroy(l);
	return true;
}

/* ---- the end of the input (-e) ---- */

static bool at_end(int64_t now)
{
	if (!assigned_once)
		return false;
	size_t n = 0;
	bool all_eof = true;
	for (size_t i = 0; i < parts.n; i++) {
		const ksub_part *p = parts.all[i];
		if (!p->assigned)
			continue;
		n++;
		if (!p->eof)
			all_eof = false;
	}
	if (n > 0) {
		empty_since_ms = -1;
		return all_eof;
	}
	/* Nothing assigned (more members than partitions, or no topic
	 * matched): give the group a moment to settle before calling it done. */
	if (empty_since_ms < 0)
		empty_since_ms = now;
	return now - empty_since_ms >= 2000;
}

/* ---- progress ---- */

static void progress(int64_t now, bool final)
{
	if (!opt.progress)
		return;
	if (!final && now - stats.last_ms < PROGRESS_INTERVAL_MS)
		return;
	double secs = (double)(now - stats.last_ms) / 1000.0;
	size_t nassigned = 0;
	int64_t lag = 0;
	for (size_t i = 0; i < parts.n; i++) {
		ksub_part *p = parts.all[i];
		if (!p->assigned)
			continue;
		nassigned++;
		int64_t lo, hi;
		if (p->next >= 0 &&
		    rd_kafka_get_watermark_offsets(rk, p->topic, p->partition, &lo, &hi) == RD_KAFKA_RESP_ERR_NO_ERROR &&
		    hi > p->next)
			lag += hi - p->next;
	}
	char held[96] = "";
	if (merge)
		snprintf(held, sizeof held, ", %zu queued for order, %" PRIu64 " copies dropped", ksub_merge_queued(merge),
			 stats.copies);
	log_info("%" PRIu64 " records (%.0f/s), %" PRIu64 " tombstones, %" PRIu64 " invalid skipped, %" PRIu64
		 " watermarks, %zu partitions assigned, lag %" PRId64 "%s",
		 stats.records, secs > 0 ? (double)(stats.records - stats.last_records) / secs : 0.0,
		 stats.tombstones, stats.invalid, stats.watermarks, nassigned, lag, held);
	stats.last_ms = now;
	stats.last_records = stats.records;
}

/* ---- metrics ---- */

static void write_metrics(bool now)
{
	if (!mx || (!now && !metrics_due(mx)))
		return;
	metric_set_total(mm.io.in, stats.messages);
	metric_set_total(mm.io.bytes_in, stats.bytes_in);
	metric_set_total(mm.io.bytes_out, stats.bytes);
	metric_set_total(mm.errors, stats.errors);
	metric_set_total(mm.dead, stats.invalid);
	/* The high watermark as of the partition's last fetch, which
	 * librdkafka keeps: no request to the brokers here. */
	for (size_t i = 0; i < parts.n; i++) {
		ksub_part *p = parts.all[i];
		int64_t lo, hi;
		if (!p->m_lag)
			p->m_lag = metric_get(mm.lag_msgs, p->stream);
		if (p->assigned && p->next >= 0 &&
		    rd_kafka_get_watermark_offsets(rk, p->topic, p->partition, &lo, &hi) == RD_KAFKA_RESP_ERR_NO_ERROR)
			metric_set(p->m_lag, hi > p->next ? (double)(hi - p->next) : 0);
		else
			metric_unset(p->m_lag);
	}
	(void)metrics_write(mx);
}

static void open_metrics(void)
{
	mx = metrics_start(&opt.metrics);
	if (!mx)
		return;
	metrics_stage_init(mx, &mm.io, "stream");
	mm.errors = metric_get(metrics_family(mx, "dbrepl_errors_total", "kind"), "consume");
	mm.dead = metric_get(metrics_family(mx, "dbrepl_dead_letters_total", NULL));
	mm.lag_msgs = metrics_family(mx, "dbrepl_consumer_lag_messages", "stream");
}

/* ---- setup ---- */

/* Without a group: every partition of every topic named, from start.
 * Exits 69 when a topic's partitions cannot be had. */
static void assign_direct(int64_t start)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(32);
	for (int i = 0; i < opt.ntopics; i++) {
		const char *name = opt.topics[i];
		rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, name, NULL);
		if (!rkt)
			die(EX_USAGE, "bad topic \"%s\" (%s)", name, rd_kafka_err2str(rd_kafka_last_error()));
		const rd_kafka_metadata_t *md = NULL;
		rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
		/* A topic just created may have no leaders yet: a few tries. */
		for (int try = 0; try < 20; try++) {
			if (md)
				rd_kafka_metadata_destroy(md);
			md = NULL;
			err = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
			if (!err && md->topic_cnt == 1)
				err = md->topics[0].err;
			if (err != RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE && err != RD_KAFKA_RESP_ERR__TRANSPORT)
				break;
			poll(NULL, 0, 250);
		}
		if (!err && (md->topic_cnt != 1 || md->topics[0].partition_cnt == 0))
			err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
		if (err)
			die(EX_UNAVAILABLE, "cannot read the partitions of topic %s (%s)", name, rd_kafka_err2str(err));
		for (int k = 0; k < md->topics[0].partition_cnt; k++) {
			int32_t part = md->topics[0].partitions[k].id;
			ksub_part *p = ksub_parts_get(&parts, name, part);
			if (!p)
				die(EX_SOFTWARE, "out of memory (partition table)");
			if (p->assigned)
				continue; /* a topic named twice */
			ksub_part_assign(p);
			if (merge && merge_assign(p) < 0)
				exit(EX_SOFTWARE);
			rd_kafka_topic_partition_list_add(l, name, part)->offset = start;
		}
		rd_kafka_metadata_destroy(md);
		rd_kafka_topic_destroy(rkt);
	}
	rd_kafka_resp_err_t err = rd_kafka_assign(rk, l);
	if (err)
		die(EX_UNAVAILABLE, "cannot assign the partitions (%s)", rd_kafka_err2str(err));
	log_debug("assigned %d partitions", l->cnt);
	rd_kafka_topic_partition_list_destroy(l);
	assigned_once = true;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ksub -b BROKERS -G GROUP [options] TOPIC|^REGEX...\n"
		"       ksub -b BROKERS [options] TOPIC...\n"
		"Consumes Kafka topics as a consumer group (or, without -G, every partition\n"
		"of the topics, committing nothing) and writes change records on stdout.\n"
		"\n"
		"  -b, --brokers LIST       bootstrap servers (host:port,...)\n"
		"  -G, --group GROUP        consumer group id\n"
		"  -o, --offset WHERE       where to start when the group has no committed\n"
		"                           offset (without -G: where to start): beginning\n"
		"                           (default), end, stored (-G only)\n"
		"  -e, --exit               exit once every assigned partition is at its end\n"
		"  -c, --count N            exit after writing N records\n"
		"  -X, --property KEY=VAL   librdkafka property (repeatable)\n"
		"  -F, --config-file FILE   librdkafka properties, one KEY=VAL a line\n"
		"      --format FMT         output: json (default) or msgpack\n"
		"      --ack FIFO           commit only what the next stage acks on FIFO\n"
		"      --ack-wait SEC       at exit, wait up to SEC for acks (default 10)\n"
		"      --skip-invalid FILE  write messages that are not records to FILE\n"
		"                           and go on (default: exit 65)\n"
		"      --ordered            merge the assigned partitions into source order\n"
		"                           (needs kpub's watermarks; one member per group)\n"
		"      --progress           progress on stderr (default when a tty)\n"
		"      --no-progress        no progress\n"
		METRICS_HELP
		"  -v, --verbose            more diagnostics;  -q, --quiet  fewer\n"
		"  -h, --help               this help;  -V, --version  the version\n");
}

static void kafka_log(const rd_kafka_t *k, int level, const char *fac, const char *buf)
{
	(void)k;
	if (level <= 4 || log_verbosity >= 2)
		log_error("kafka: %s: %s", fac, buf);
}

static void kafka_error(rd_kafka_t *k, int err, const char *reason, void *opaque)
{
	(void)opaque;
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char why[512];
		rd_kafka_fatal_error(k, why, sizeof why);
		log_error("kafka: fatal error (%s)", why);
		stop_with(EX_UNAVAILABLE);
		return;
	}
	/* transient: librdkafka reconnects by itself */
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || log_verbosity >= 2)
		log_error("kafka: %s (%s)", rd_kafka_err2str((rd_kafka_resp_err_t)err), reason);
}

static void conf_or_die(rd_kafka_conf_t *conf, const char *key, const char *val)
{
	char err[512];
	if (kconf_set(conf, key, val, err, sizeof err) < 0)
		die(EX_CONFIG, "bad configuration (%s=%s: %s)", key, val, err);
}

static bool conf_isset(rd_kafka_conf_t *conf, const char *key)
{
	char v[512];
	size_t n = sizeof v;
	return rd_kafka_conf_get(conf, key, v, &n) == RD_KAFKA_CONF_OK && n > 1;
}

/* Pauses fetching so that nothing more arrives while ksub winds down. */
static void pause_all(void)
{
	rd_kafka_topic_partition_list_t *l = NULL;
	if (rd_kafka_assignment(rk, &l) == RD_KAFKA_RESP_ERR_NO_ERROR && l) {
		if (l->cnt)
			rd_kafka_pause_partitions(rk, l);
		rd_kafka_topic_partition_list_destroy(l);
	}
}

static bool all_acked(void)
{
	for (size_t i = 0; i < parts.n; i++)
		if (parts.all[i]->assigned && !ksub_part_all_acked(parts.all[i]))
			return false;
	return true;
}

/* Serves the consumer's callbacks (rebalances) for up to ms while it is
 * winding down; a message that comes is not consumed: it comes again. */
static void serve_unconsumed(int ms)
{
	rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, ms);
	if (m)
		rd_kafka_message_destroy(m);
}

/* librdkafka before 2.4 (Debian 12 has 2.0) can hang or abort when a
 * cooperative consumer is closed while a rebalance is under way (librdkafka
 * issue 4527), and aborts when it has joined but not yet had its first
 * assignment (issue 4312: "rd_kafka_sticky_assignor_state_destroy:
 * Assertion `assignor_state' failed"), as when a member joins while ksub
 * stops. So a cooperative member waits for its first assignment, gives up
 * its subscription and serves the revocation until nothing is assigned,
 * then closes. */
static void leave_group(void)
{
	if (strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") != 0)
		return;
	/* a second signal stops the waits */
	int64_t until = mono_ms_coarse() + LEAVE_WAIT_MS;
	while (!assigned_once && mono_ms_coarse() < until && got_signal < 2)
		serve_unconsumed(50);
	rd_kafka_unsubscribe(rk);
	until = mono_ms_coarse() + LEAVE_WAIT_MS;
	for (;;) {
		rd_kafka_topic_partition_list_t *a = NULL;
		int n = -1;
		if (rd_kafka_assignment(rk, &a) == RD_KAFKA_RESP_ERR_NO_ERROR) {
			n = a->cnt;
			rd_kafka_topic_partition_list_destroy(a);
		}
		if (n == 0)
			return;
		if (mono_ms_coarse() >= until || got_signal >= 2) {
			if (got_signal < 2)
				log_info("the group did not take back its partitions within %d ms; closing anyway",
					 LEAVE_WAIT_MS);
			return;
		}
		serve_unconsumed(50);
	}
}

/* Revokes the assignment (rebalance commits once more, finding nothing
 * due) and leaves the group, waiting CLOSE_WAIT_MS at most, or until a
 * second signal: a close waits for the commits in flight, which librdkafka
 * retries for minutes when the coordinator does not answer. The close runs
 * in librdkafka's thread and hands its revocation here as an event (the
 * queue carries fetched messages as well, which the callback API cannot
 * serve). close_abandoned: it was still running when the wait ended. */
static bool close_abandoned;

static void close_consumer(void)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_error_t *error = rd_kafka_consumer_close_queue(rk, q);
	if (error) {
		log_error("closing the consumer failed (%s)", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	} else {
		int64_t until = mono_ms_coarse() + CLOSE_WAIT_MS;
		while (!rd_kafka_consumer_closed(rk)) {
			if (got_signal >= 2 || mono_ms_coarse() >= until) {
				if (got_signal < 2)
					log_error("the consumer did not close within %d ms (is the group coordinator "
						  "reachable?); exiting without leaving the group", CLOSE_WAIT_MS);
				close_abandoned = true;
				break;
			}
			rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 100);
			if (ev && rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE)
				rebalance(rk, rd_kafka_event_error(ev), rd_kafka_event_topic_partition_list(ev), NULL);
			else if (ev && rd_kafka_event_type(ev) == RD_KAFKA_EVENT_ERROR)
				log_error("while closing: %s", rd_kafka_event_error_string(ev));
			rd_kafka_event_destroy(ev);
		}
	}
	rd_kafka_queue_destroy(q);
}

/* The orderly end: flush, let the next stage finish, collect its acks,
 * commit, leave the group. */
static void finish(void)
{
	finishing = true;
	if (merge && ksub_merge_queued(merge))
		log_info("%zu messages waiting for their turn in source order are not written; they come again",
			 ksub_merge_queued(merge));
	pause_all();
	if (!out_failed)
		flush_out();
	fflush(stdout);
	close_out();
	if (acks) {
		int64_t start = mono_ms_coarse(), last_commit = start;
		/* with stdout gone no more acks come: read what is there */
		int wait_ms = out_failed ? 200 : opt.ack_wait_ms;
		for (;;) {
			read_acks();
			if (all_acked() || got_signal >= 2) /* a second signal: stop waiting */
				break;
			int64_t now = mono_ms_coarse();
			if (now - start >= wait_ms) {
				log_info("stopped waiting for acks after %d ms; unacked records will be delivered again", wait_ms);
				break;
			}
			if (now - last_commit >= COMMIT_INTERVAL_MS) {
				commit(false, NULL);
				last_commit = now;
			}
			serve_unconsumed(20);
			write_metrics(false);
		}
	}
	commit(true, NULL);
	progress(mono_ms_coarse(), true);
	write_metrics(true);
	leave_group();
	close_consumer();
}

int main(int argc, char **argv)
{
	log_init(argv[0]);
	/* librdkafka's broker threads decompress fetched batches; with an
	 * arena per thread glibc keeps each one's freed buffers, which costs
	 * more memory than the prefetch queue itself. */
	mallopt(M_ARENA_MAX, 1);
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	/* Memory stays flat: librdkafka's prefetch queue and fetch sizes are
	 * bounded well below its defaults (64 MiB queue, 50 MiB fetches). The
	 * queue's bytes count payloads; the decompressed batches they sit in
	 * and librdkafka's per-message structures come on top: with 16 MiB the
	 * bench peaked at 67-80 MiB, with 8 MiB at 50-66 MiB, as fast. The
	 * rest is what a fetch response decompresses to before the bound counts
	 * it (the bench's records compress 14:1), so fetches are 1 MiB, about
	 * the least librdkafka takes (message.max.bytes, 1,000,000): the bench
	 * peaked at 45-53 MiB, against 57-62 MiB with 4 MiB fetches, no
	 * slower. A 4 MiB queue peaked lower still but read a third slower. */
	conf_or_die(conf, "queued.max.messages.kbytes", "8192");
	conf_or_die(conf, "fetch.max.bytes", "1048576");
	conf_or_die(conf, "auto.offset.reset", "earliest");
	/* A member killed without leaving holds its partitions this long;
	 * a supervisor restarting ksub should not wait Kafka's 45 s. */
	conf_or_die(conf, "session.timeout.ms", "10000");

	enum { O_FORMAT = 256, O_ACK, O_ACK_WAIT, O_SKIP, O_ORDERED, O_PROGRESS, O_NO_PROGRESS, O_METRICS,
	       O_METRICS_2, O_METRICS_3 };
	static const struct option longopts[] = {
		{"brokers", required_argument, NULL, 'b'},
		{"group", required_argument, NULL, 'G'},
		{"offset", required_argument, NULL, 'o'},
		{"exit", no_argument, NULL, 'e'},
		{"count", required_argument, NULL, 'c'},
		{"property", required_argument, NULL, 'X'},
		{"config-file", required_argument, NULL, 'F'},
		{"format", required_argument, NULL, O_FORMAT},
		{"ack", required_argument, NULL, O_ACK},
		{"ack-wait", required_argument, NULL, O_ACK_WAIT},
		{"skip-invalid", required_argument, NULL, O_SKIP},
		{"ordered", no_argument, NULL, O_ORDERED},
		{"progress", no_argument, NULL, O_PROGRESS},
		{"no-progress", no_argument, NULL, O_NO_PROGRESS},
		METRICS_LONGOPTS(O_METRICS),
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;
	/* With -e the end of a partition is known from a fetch that finds
	 * nothing, which the broker holds for fetch.wait.max.ms (500 ms by
	 * default): a shorter wait ends the run sooner, at the price of more
	 * empty fetches while the last partitions are read. -X still wins, so
	 * -e is looked for before the options are applied. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "b:G:o:ec:X:F:vqhV", longopts, NULL)) != -1)
		if (c == 'e')
			conf_or_die(conf, "fetch.wait.max.ms", "100");
		else if (c == O_ORDERED) {
			conf_or_die(conf, "max.partition.fetch.bytes", ORDERED_PARTITION_FETCH_BYTES);
			conf_or_die(conf, "queued.max.messages.kbytes", ORDERED_QUEUE_KBYTES);
		}
	opterr = 1;
	optind = 0; /* glibc: start over, and re-read GNU extensions */
	while ((c = getopt_long(argc, argv, "b:G:o:ec:X:F:vqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (kconf_set(conf, "bootstrap.servers", optarg, err, sizeof err) < 0)
				die(EX_CONFIG, "bad -b (%s)", err);
			break;
		case 'G':
			opt.group = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "beginning") == 0 || strcmp(optarg, "stored") == 0)
				opt.offset_reset = "earliest";
			else if (strcmp(optarg, "end") == 0)
				opt.offset_reset = "latest";
			else
				die(EX_USAGE, "bad -o (\"%s\": want beginning, end or stored)", optarg);
			opt.offset = optarg;
			break;
		case 'e':
			opt.exit_eof = true;
			break;
		case 'c':
		{
			long long v;
			if (cli_parse_int(optarg, 1, INT64_MAX, &v) < 0)
				die(EX_USAGE, "bad -c (\"%s\": want a positive number)", optarg);
			opt.count = (uint64_t)v;
			break;
		}
		case 'X':
			if (kconf_set_kv(conf, optarg, err, sizeof err) < 0)
				die(EX_CONFIG, "bad -X (%s)", err);
			break;
		case 'F':
			if (kconf_load_file(conf, optarg, err, sizeof err) < 0)
				die(EX_CONFIG, "bad -F (%s)", err);
			break;
		case O_FORMAT:
			if (record_format_parse(optarg, &opt.format) < 0)
				die(EX_USAGE, "bad --format (\"%s\": want json or msgpack)", optarg);
			break;
		case O_ACK:
			opt.ack_path = optarg;
			break;
		case O_ACK_WAIT: {
			long long v;
			if (cli_parse_int(optarg, 0, 86400, &v) < 0)
				die(EX_USAGE, "bad --ack-wait (\"%s\": want seconds)", optarg);
			opt.ack_wait_ms = (int)v * 1000;
			break;
		}
		case O_SKIP:
			opt.skip_path = optarg;
			break;
		case O_ORDERED:
			opt.ordered = true;
			break;
		case O_PROGRESS:
			opt.progress = 1;
			break;
		case O_NO_PROGRESS:
			opt.progress = 0;
			break;
		case O_METRICS:
		case O_METRICS_2:
		case O_METRICS_3: {
			char e[256];
			if (metrics_config_option(&opt.metrics, c - O_METRICS, optarg, e, sizeof e) < 0) {
				rd_kafka_conf_destroy(conf);
				die(EX_USAGE, "%s", e);
			}
			break;
		}
		case 'v':
			log_verbosity++;
			break;
		case 'q':
			log_verbosity = 0;
			break;
		case 'h':
			usage(stdout);
			rd_kafka_conf_destroy(conf);
			return EX_OK;
		case 'V':
			print_version();
			rd_kafka_conf_destroy(conf);
			return EX_OK;
		default:
			usage(stderr);
			rd_kafka_conf_destroy(conf);
			return EX_USAGE;
		}
	}
	opt.topics = argv + optind;
	opt.ntopics = argc - optind;
	if (opt.ntopics == 0) {
		rd_kafka_conf_destroy(conf);
		die(EX_USAGE, "no topic given (usage: ksub -b BROKERS [-G GROUP] TOPIC|^REGEX...)");
	}
	if (opt.group) {
		conf_or_die(conf, "group.id", opt.group);
	} else if (!conf_isset(conf, "group.id")) {
		const char *why = NULL;
		opt.direct = true;
		if (opt.ack_path)
			why = "--ack needs a group (-G GROUP): without one nothing is committed";
		else if (opt.offset && strcmp(opt.offset, "stored") == 0)
			why = "-o stored needs a group (-G GROUP)";
		for (int i = 0; !why && i < opt.ntopics; i++)
			if (opt.topics[i][0] == '^')
				why = "a ^regex needs a group (-G GROUP)";
		if (why) {
			rd_kafka_conf_destroy(conf);
			die(EX_USAGE, "%s", why);
		}
		/* librdkafka's assign() wants a group id; this one never
		 * joins (no subscribe) and is never committed to. */
		conf_or_die(conf, "group.id", "ksub-no-group");
	}
	if (!conf_isset(conf, "bootstrap.servers") && !conf_isset(conf, "metadata.broker.list")) {
		rd_kafka_conf_destroy(conf);
		die(EX_USAGE, "no brokers given (-b BROKERS)");
	}
	if (opt.offset_reset)
		conf_or_die(conf, "auto.offset.reset", opt.offset_reset);
	/* ksub decides what is committed, and when */
	conf_or_die(conf, "enable.auto.commit", "false");
	conf_or_die(conf, "enable.auto.offset.store", "false");
	conf_or_die(conf, "enable.partition.eof", "true");
	if (opt.progress < 0)
		opt.progress = log_progress_default();

	int64_t direct_start = RD_KAFKA_OFFSET_BEGINNING;
	if (opt.direct) {
		char v[64];
		size_t n = sizeof v;
		if (rd_kafka_conf_get(conf, "auto.offset.reset", v, &n) == RD_KAFKA_CONF_OK &&
		    (strcmp(v, "latest") == 0 || strcmp(v, "largest") == 0 || strcmp(v, "end") == 0))
			direct_start = RD_KAFKA_OFFSET_END;
	}

	rd_kafka_conf_set_log_cb(conf, kafka_log);
	rd_kafka_conf_set_error_cb(conf, kafka_error);
	rd_kafka_conf_set_rebalance_cb(conf, rebalance);
	rd_kafka_conf_set_offset_commit_cb(conf, commit_result);

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (opt.ack_path && !(acks = ack_reader_open(opt.ack_path))) {
		rd_kafka_conf_destroy(conf);
		die(EX_CONFIG, "cannot open the ack FIFO (%s: %s)", opt.ack_path, strerror(errno));
	}
	if (opt.skip_path && !(skipf = fopen(opt.skip_path, "a"))) {
		rd_kafka_conf_destroy(conf);
		die(EX_IOERR, "cannot open (%s: %s)", opt.skip_path, strerror(errno));
	}

	open_metrics();
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
	if (!rk)
		die(EX_CONFIG, "cannot create the Kafka consumer (%s)", err); /* conf is freed */
	rd_kafka_poll_set_consumer(rk);

	ksub_parts_init(&parts, acks != NULL);
	if (opt.ordered && !(merge = ksub_merge_new(ORDERED_MAX_BYTES)))
		die(EX_OSERR, "out of memory");
	buf_init(&one, 0);
	if (opt.direct) {
		assign_direct(direct_start);
	} else {
		rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new(opt.ntopics);
		for (int i = 0; i < opt.ntopics; i++)
			rd_kafka_topic_partition_list_add(subs, opt.topics[i], RD_KAFKA_PARTITION_UA);
		rd_kafka_resp_err_t serr = rd_kafka_subscribe(rk, subs);
		rd_kafka_topic_partition_list_destroy(subs);
		if (serr) {
			rd_kafka_destroy(rk);
			die(EX_USAGE, "cannot subscribe (%s)", rd_kafka_err2str(serr));
		}
	}

	/* Only a pipe of our own is made non-blocking: a terminal or file
	 * may be shared with the shell. */
	struct stat st;
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode)) {
		int fl = fcntl(STDOUT_FILENO, F_GETFL);
		out_nonblock = fl >= 0 && fcntl(STDOUT_FILENO, F_SETFL, fl | O_NONBLOCK) == 0;
		/* A 64 KiB pipe takes a quarter of one output chunk: ksub and
		 * the next stage would wake each other for every few pages
		 * (tens of thousands of context switches per million records).
		 * 1 MiB is the unprivileged maximum; failing is harmless. */
		(void)fcntl(STDOUT_FILENO, F_SETPIPE_SZ, OUT_CHUNK * 4);
	}
	buf_init(&out, 0);
	record_init(&rec);
	int64_t now = mono_ms_coarse(), last_service = now, last_commit = now;
	stats.last_ms = now;

	size_t split_read = 0;
	while (!stopping && !got_signal) {
		int timeout = out.len || split_read ? 0 : nudge_state.lagging ? nudge_wait_ms() : 100;
		if (nsplit && timeout > ORDERED_POLL_MS)
			timeout = ORDERED_POLL_MS;
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, timeout);
		if (m) {
			bool eof = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
			ksub_part *p = merge && m->rkt ? ksub_parts_get(&parts, rd_kafka_topic_name(m->rkt), m->partition)
						       : NULL;
			handle_message(m);
			rd_kafka_message_destroy(m);
			if (p && p->assigned)
				split_queue(p);
			if (merge)
				merge_release();
			if (out.len >= OUT_CHUNK)
				flush_out();
			/* the last partition's end: no need to wait for a poll to
			 * come back empty (finish() flushes what is buffered) */
			if (eof && opt.exit_eof && at_end(mono_ms_coarse()))
				stopping = true;
		}
		split_read = nsplit ? read_split(!m) : 0;
		bool got = m || split_read;
		if (!got && out.len) {
			/* nothing more queued: do not hold records back */
			flush_out();
		}
		now = mono_ms_coarse();
		if (!got && out.len == 0)
			nudge_fetchers(now);
		if (got && now - last_service < SERVICE_INTERVAL_MS)
			continue;
		last_service = now;
		read_acks();
		if (now - last_commit >= COMMIT_INTERVAL_MS) {
			commit(false, NULL);
			last_commit = now;
		}
		if (opt.exit_eof && !got && out.len == 0 && at_end(now))
			stopping = true;
		if (merge)
			merge_check_stall(now);
		progress(now, false);
		write_metrics(false);
	}
	if (got_signal)
		log_info("signal received: finishing");

	finish();
	close_split();
	if (skipf && fclose(skipf) != 0 && exit_code == EX_OK) {
		log_error("write failed (%s: %s)", opt.skip_path, strerror(errno));
		exit_code = EX_IOERR;
	}
	/* Destroying a consumer that did not close waits, as its close did,
	 * for the commits in flight: the process ends without it, and at once
	 * (exit handlers, OpenSSL's among them, must not run under
	 * librdkafka's threads). */
	if (close_abandoned) {
		metrics_close(mx);
		fflush(stderr);
		_exit(exit_code);
	}
	rd_kafka_destroy(rk);
	ack_reader_close(acks);
	record_free(&rec);
	buf_free(&out);
	buf_free(&one);
	ksub_merge_free(merge);
	ksub_parts_free(&parts);
	metrics_close(mx);
	return exit_code;
}
