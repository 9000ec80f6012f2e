/* mssql_txn.c — see mssql_txn.h. */
#include "mssql_txn.h"

#include "buf.h"
#include "log.h"
#include "pos.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

/* ---- where transactions end ---- */

/* Whether r is of the last transaction seen (a snapshot row is of none).
 * The xid tells (two transactions one after the other never share one);
 * the LSN only without it (0). Debezium's connector puts each change's
 * own LSN in source.lsn, so the xid alone keeps its transactions whole. */
static bool same_txn(const txn_cut *c, const record *r)
{
	return r->op != RECORD_OP_READ && c->any && r->xid == c->xid && (r->xid || r->lsn == c->lsn);
}

bool txn_cut_starts(txn_cut *c, const record *r)
{
	if (r->op == RECORD_OP_READ)
		return true; /* a snapshot row belongs to no transaction */
	bool same = same_txn(c, r);
	if (c->any && !same && r->lsn < c->lsn)
		c->disorder = true;
	return !c->open || !same;
}

void txn_cut_took(txn_cut *c, const record *r)
{
	if (r->op == RECORD_OP_READ) {
		c->open = false;
		return;
	}
	c->any = true;
	c->lsn = r->lsn;
	c->xid = r->xid;
	c->open = !r->last;
}

/* ---- the batch's records as they came ---- */

struct mssql_txn {
	mssql_apply *a;
	size_t rows, bulk_rows, bytes, bulk_bytes;
	txn_cut cut;
	bool warned_disorder;

	/* The records of the batch, each a kept header and its bytes. */
	buf log;
	size_t nlog;
	/* Where the open transaction begins in the log, and the batch's
	 * net change then. */
	size_t mark, mark_n, mark_bytes;

	/* A transaction applied in pieces, and its records so far. */
	bool large;
	FILE *spill;
	uint64_t spill_n;
	int failures; /* lost target transactions in a row */
	bool reread;  /* one was lost to a catalog read again (mssql_apply_reread) */

	record scratch; /* records read back from the log or the file */
	buf rbuf;
};

/* What is kept of a record besides its bytes: their length, and its
 * offset as the reader gave it (a Debezium event's depends on where it
 * stood in its input, which decoding it again does not know). */
typedef struct kept {
	uint32_t len;
	pos_offset offset;
} kept;

static int log_put(buf *b, const record *r, const void *raw, size_t len)
{
	kept h = {.len = (uint32_t)len, .offset = r->offset};
	if (len > UINT32_MAX || buf_append(b, &h, sizeof h) < 0 || buf_append(b, raw, len) < 0) {
		log_error("out of memory (the batch's records)");
		return EX_OSERR;
	}
	return 0;
}

/* The kept record at byte at of the log, and its bytes. */
static const char *log_at(const mssql_txn *x, size_t at, kept *h)
{
	memcpy(h, x->log.data + at, sizeof *h);
	return x->log.data + at + sizeof *h;
}

/* Decodes a record kept as it came into x->scratch, as the reading loop
 * took it (without the columns its producer excluded; with the target's
 * key when it names none, known by now). */
static int decode_again(mssql_txn *x, const kept *h, const void *raw)
{
	char err[512] = "";
	if (record_decode(&x->scratch, raw, h->len, err, sizeof err) < 0 ||
	    (x->scratch.masks && record_drop_excluded(&x->scratch) < 0)) {
		log_error("a record read again does not decode (%s)", err);
		return EX_SOFTWARE;
	}
	x->scratch.offset = h->offset;
	return mssql_apply_key_from_target(x->a, &x->scratch);
}

/* Adds the logged records at [from, to) of the log to the batch again. */
static int replay_log(mssql_txn *x, size_t from, size_t to)
{
	for (size_t at = from; at < to;) {
		kept h;
		const char *raw = log_at(x, at, &h);
		int rc = decode_again(x, &h, raw);
		if (rc == 0)
			rc = mssql_apply_add(x->a, &x->scratch);
		if (rc)
			return rc;
		at += sizeof h + h.len;
	}
	return 0;
}

static void log_reset(mssql_txn *x)
{
	buf_reset(&x->log);
	x->nlog = x->mark = x->mark_n = x->mark_bytes = 0;
}

/* The batch is to be committed at the next boundary. */
static bool full(const mssql_txn *x)
{
	bool bulk = mssql_apply_bulk_streaming(x->a);
	return mssql_apply_batch_records(x->a) >= (bulk ? x->bulk_rows : x->rows) ||
	       mssql_apply_batch_bytes(x->a) >= (bulk ? x->bulk_bytes : x->bytes) || mssql_apply_bulk_soon(x->a) ||
	       x->log.len >= x->bytes;
}

/* The open transaction alone fills a batch. */
static bool open_too_big(const mssql_txn *x)
{
	return x->nlog - x->mark_n >= x->rows || x->log.len - x->mark >= x->bytes ||
	       mssql_apply_batch_bytes(x->a) - x->mark_bytes >= x->bytes;
}

/* Commits the whole transactions of the batch, before the open one, whose
 * records so far go again into the (empty) batch. */
static int commit_before_open(mssql_txn *x)
{
	mssql_apply_discard(x->a);
	int rc = replay_log(x, 0, x->mark);
	if (rc || (rc = mssql_apply_flush(x->a)) != 0)
		return rc;
	memmove(x->log.data, x->log.data + x->mark, x->log.len - x->mark);
	x->log.len -= x->mark;
	x->nlog -= x->mark_n;
	x->mark = x->mark_n = x->mark_bytes = 0;
	return replay_log(x, 0, x->log.len);
}

/* A record without key columns takes the target table's (Debezium events
 * read without their message key). Asking the server for it applies the
 * batch first when a bulk copy of it holds the session: then only whole
 * transactions may go. */
static int take_target_key(mssql_txn *x, record *r)
{
	if (mssql_apply_key_unknown(x->a, r) && mssql_apply_session_held(x->a)) {
		int rc = x->cut.open && same_txn(&x->cut, r) && !x->large ? commit_before_open(x) : mssql_txn_flush(x);
		if (rc)
			return rc;
	}
	return mssql_apply_key_from_target(x->a, r);
}

/* ---- a transaction applied in pieces ---- */

static FILE *spill_open(void)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		/* a file system without O_TMPFILE */
		char path[4096];
		snprintf(path, sizeof path, "%s/mssql-apply.XXXXXX", dir);
		fd = mkstemp(path);
		if (fd >= 0)
			unlink(path);
	}
	FILE *f = fd >= 0 ? fdopen(fd, "w+") : NULL;
	if (!f) {
		log_error("cannot create a file for a large transaction in %s: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return f;
}

static int spill_reset(mssql_txn *x)
{
	x->spill_n = 0;
	if (!x->spill)
		return (x->spill = spill_open()) ? 0 : EX_CANTCREAT;
	if (fflush(x->spill) != 0 || ftruncate(fileno(x->spill), 0) < 0 || fseek(x->spill, 0, SEEK_SET) < 0) {
		log_error("cannot empty the file of a large transaction: %s", strerror(errno));
		return EX_IOERR;
	}
	return 0;
}

static int spill_put(mssql_txn *x, const kept *h, const void *raw)
{
	if (fwrite(h, sizeof *h, 1, x->spill) != 1 || (h->len && fwrite(raw, h->len, 1, x->spill) != 1)) {
		log_error("cannot write the file of a large transaction: %s", strerror(errno));
		return EX_IOERR;
	}
	x->spill_n++;
	return 0;
}

/* Adds r to the open transaction, applying the batch first as a piece when
 * it is full or r brings new columns to a table of it. 0, a sysexits code,
 * or MSSQL_APPLY_AGAIN. */
static int large_put(mssql_txn *x, const record *r)
{
	if (mssql_apply_add_flushes(x->a, r) || mssql_apply_batch_records(x->a) >= x->rows ||
	    mssql_apply_batch_bytes(x->a) >= x->bytes) {
		int rc = mssql_apply_piece(x->a);
		if (rc)
			return rc;
	}
	return mssql_apply_add(x->a, r);
}

/* Applies the transaction's records so far (the file) from the start. */
static int spill_apply(mssql_txn *x)
{
	if (fflush(x->spill) != 0 || fseek(x->spill, 0, SEEK_SET) < 0)
		goto ioerr;
	for (uint64_t i = 0; i < x->spill_n; i++) {
		kept h;
		if (fread(&h, sizeof h, 1, x->spill) != 1 || buf_reserve(&x->rbuf, h.len) < 0 ||
		    (h.len && fread(x->rbuf.data, h.len, 1, x->spill) != 1))
			goto ioerr;
		int rc = decode_again(x, &h, x->rbuf.data);
		if (rc == 0)
			rc = large_put(x, &x->scratch);
		if (rc)
			return rc;
	}
	if (fseek(x->spill, 0, SEEK_END) < 0)
		goto ioerr;
	return 0;
ioerr:
	log_error("cannot read the file of a large transaction: %s", strerror(errno));
	return EX_IOERR;
}

/* The target transaction was lost: apply the source transaction again
 * from its start, with backoff, --retries times in a row at most. */
static int large_again(mssql_txn *x)
{
	for (;;) {
		/* given up for a stop (mssql_apply_opts.stop): not again */
		if (mssql_apply_stopped(x->a))
			return EX_TEMPFAIL;
		x->failures++;
		/* the catalog read again after 2714/2705: no retry, once a
		 * transaction (its earlier pieces, applied again, may meet it
		 * again) */
		if (mssql_apply_reread(x->a) && !x->reread) {
			x->reread = true;
			x->failures--;
		}
		if (x->failures > mssql_apply_retries(x->a)) {
			log_error("giving up after %d attempts at a transaction of %" PRIu64 " records", x->failures,
				  x->spill_n);
			return EX_TEMPFAIL;
		}
		log_info("applying the transaction again from its start (%" PRIu64 " records so far)", x->spill_n);
		mssql_apply_backoff(x->a, x->failures);
		mssql_apply_discard(x->a);
		/* the checkpoint as it is now: what another mssql-apply (or the
		 * commit whose answer was lost) applied is skipped */
		int rc = mssql_apply_open(x->a);
		if (rc == EX_UNAVAILABLE)
			return EX_TEMPFAIL; /* it was there before: a temporary failure */
		if (rc == 0)
			rc = spill_apply(x);
		if (rc != MSSQL_APPLY_AGAIN)
			return rc;
	}
}

static int large_commit(mssql_txn *x)
{
	int rc = mssql_apply_flush(x->a);
	while (rc == MSSQL_APPLY_AGAIN && (rc = large_again(x)) == 0)
		rc = mssql_apply_flush(x->a);
	if (rc)
		return rc;
	log_debug("committed a transaction of %" PRIu64 " records applied in pieces", x->spill_n);
	x->large = false;
	x->failures = 0;
	x->reread = false;
	return spill_reset(x);
}

/* The open transaction (the log from the mark on; r, which continues it,
 * not yet taken) goes in pieces. Whole transactions before it in the batch
 * are committed first, without it. */
static int go_large(mssql_txn *x, const record *r)
{
	int rc;
	log_info("a transaction (commit LSN %" PRIX64 ", xid %" PRIu32 ") fills a batch: applying it in pieces "
		 "in one target transaction",
		 r->lsn, r->xid);
	if (x->mark_n) {
		mssql_apply_discard(x->a);
		if ((rc = replay_log(x, 0, x->mark)) != 0 || (rc = mssql_apply_flush(x->a)) != 0)
			return rc;
	}
	if ((rc = spill_reset(x)) != 0)
		return rc;
	for (size_t at = x->mark; at < x->log.len;) {
		kept h;
		const char *raw = log_at(x, at, &h);
		if ((rc = spill_put(x, &h, raw)) != 0)
			return rc;
		at += sizeof h + h.len;
	}
	bool rebuild = x->mark_n > 0; /* else the batch holds the open transaction alone */
	log_reset(x);
	x->large = true;
	if (rebuild) {
		mssql_apply_discard(x->a);
		rc = spill_apply(x);
		if (rc == MSSQL_APPLY_AGAIN)
			rc = large_again(x);
	}
	return rc;
}

/* ---- the batch ---- */

mssql_txn *mssql_txn_new(mssql_apply *a, size_t rows, size_t bulk_rows, size_t bytes, size_t bulk_bytes)
{
	mssql_txn *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->a = a;
	x->rows = rows;
	x->bulk_rows = bulk_rows;
	x->bytes = bytes;
	x->bulk_bytes = bulk_bytes;
	buf_init(&x->log, 0);
	buf_init(&x->rbuf, 0);
	record_init(&x->scratch);
	return x;
}

void mssql_txn_free(mssql_txn *x)
{
	if (!x)
		return;
	buf_free(&x->log);
	buf_free(&x->rbuf);
	record_free(&x->scratch);
	if (x->spill)
		fclose(x->spill);
	free(x);
}

bool mssql_txn_whole(const mssql_txn *x)
{
	return !x->cut.open && !x->large;
}

int mssql_txn_flush(mssql_txn *x)
{
	int rc = mssql_apply_flush(x->a);
	log_reset(x);
	return rc;
}

int mssql_txn_add(mssql_txn *x, record *r, const void *raw, size_t len)
{
	mssql_apply *a = x->a;
	int rc = take_target_key(x, r);
	if (rc)
		return rc;
	if (txn_cut_starts(&x->cut, r)) {
		/* what came before r is whole */
		if (x->large && (rc = large_commit(x)) != 0)
			return rc;
		if (x->cut.disorder && !x->warned_disorder) {
			x->warned_disorder = true;
			log_info("records out of source commit order (commit LSN %" PRIX64 " after %" PRIX64 "): a "
				 "transaction is whole only when its records come together (through Kafka: ksub --ordered)",
				 r->lsn, x->cut.lsn);
		}
		x->mark = x->log.len;
		x->mark_n = x->nlog;
		x->mark_bytes = mssql_apply_batch_bytes(a);
		if ((full(x) || mssql_apply_add_flushes(a, r)) && (rc = mssql_txn_flush(x)) != 0)
			return rc;
		txn_cut_took(&x->cut, r);
	} else {
		txn_cut_took(&x->cut, r);
		if (!x->large && (mssql_apply_add_flushes(a, r) || open_too_big(x)) && (rc = go_large(x, r)) != 0)
			return rc;
	}
	if (x->large) {
		rc = large_put(x, r);
		while (rc == MSSQL_APPLY_AGAIN && (rc = large_again(x)) == 0)
			rc = large_put(x, r);
		kept h = {.len = (uint32_t)len, .offset = r->offset}; /* len <= RECORD_MAX_BYTES */
		if (rc == 0)
			rc = spill_put(x, &h, raw);
		if (rc == 0 && !x->cut.open)
			rc = large_commit(x);
		return rc;
	}
	if ((rc = log_put(&x->log, r, raw, len)) != 0)
		return rc;
	x->nlog++;
	if ((rc = mssql_apply_add(a, r)) != 0)
		return rc;
	if (!x->cut.open && full(x))
		rc = mssql_txn_flush(x);
	return rc;
}

int mssql_txn_finish(mssql_txn *x)
{
	if (x->large) {
		log_info("input ended inside a transaction being applied in pieces (%" PRIu64 " records of it so "
			 "far): rolled back; it comes again when the pipeline starts again",
			 x->spill_n);
		mssql_apply_discard(x->a);
		x->large = false;
		x->cut.open = false;
		return spill_reset(x);
	}
	if (x->cut.open) {
		log_info("input ended inside a transaction (%zu records of it read, none marked its last): not "
			 "applied; it comes again when the pipeline starts again",
			 x->nlog - x->mark_n);
		mssql_apply_discard(x->a);
		x->cut.open = false;
		int rc = replay_log(x, 0, x->mark);
		if (rc)
			return rc;
	}
	return mssql_txn_flush(x);
}
