/* pgcdc-read — stream a PostgreSQL logical replication slot (pgoutput) as
 * change records on standard output.
 *
 * One replication connection streams the slot; an ordinary connection looks
 * up type names and primary keys (cached). Each change is written as soon as
 * it is decoded, so memory stays flat whatever the size of a transaction.
 * The position confirmed to the server (the slot's confirmed_flush_lsn) is:
 *   with --ack:    the end LSN of the newest transaction all of whose
 *                  records downstream acknowledged;
 *   without --ack: the end LSN of the newest transaction written and flushed
 *                  to standard output;
 * and, when nothing is outstanding, the server's WAL end from its keepalive,
 * so that an idle slot does not hold WAL back; never past the low
 * watermark of an online backfill's open window (bfwindow.h).
 *
 * The chunks of an online backfill (snapshot --online) arrive as
 * pg_logical_emit_message messages in the WAL; their rows are written at
 * the high watermark's position, among the stream's changes. */
#include "ack.h"
#include "bfmsg.h"
#include "bfwindow.h"
#include "cli.h"
#include "colmask.h"
#include "log.h"
#include "maskmem.h"
#include "metrics.h"
#include "monoclock.h"
#include "pgcancel.h"
#include "pgoutput.h"
#include "pgtypes.h"
#include "pgvalue.h"
#include "pos.h"
#include "record.h"
#include "replconn.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define APPNAME "pgcdc-read"
/* Transactions written but not acked; past this, the newest entries merge
 * (confirming a little later, never too early). */
#define TXQ_MAX 65536
#define BACKOFF_MAX_S 30
/* How long a clean exit with --ack waits for the last acks. */
#define FINAL_ACK_WAIT_MS 5000
/* How long an exit waits for the server to take the last confirmation
 * (settle), and then at most for the end of the COPY. */
#define END_COPY_WAIT_MS 5000
#define END_COPY_TAIL_MS 500
/* New progress is confirmed at most this often besides the status interval. */
#define FEEDBACK_MIN_MS 200

/* ---- options ---- */

static struct {
	const char *conninfo;
	const char *slot;
	const char *publications;
	bool create_slot, if_not_exists, drop_slot;
	const char *create_publication;
	uint64_t startpos, endpos;
	int status_interval; /* seconds, 0 = only when asked */
	record_format format;
	const char *ack_path;
	bool progress;
	metrics_config metrics;
	colmask *masks; /* --exclude-column, --mask-column, --hash-column */
} opt = {.status_interval = 10, .format = RECORD_FORMAT_JSON};

/* ---- state ---- */

typedef struct relinfo {
	uint32_t oid;
	pgo_relation *rel;
	const pgtype_info **types; /* rel->natts */
	uint16_t *keys;
	size_t nkeys;
	metric *m_out; /* its records written (--metrics) */
	unsigned char *plan; /* record_mask of each column, or NULL: none masked */
} relinfo;

typedef struct txn_entry {
	uint64_t commit_lsn, end_lsn, nrecords;
} txn_entry;

static struct {
	maskmem_set *masks_seen; /* what was masked, through DDL (maskmem.h) */
	PGconn *repl, *cat;
	pgtypes *types;
	pgo_decoder *dec;
	record_writer *out;
	ack_reader *acks;
	char db[RECORD_NAME_MAX + 1];
	char stream[POS_STREAM_MAX + 1];

	/* relation cache: open addressing on the OID */
	relinfo **rels;
	size_t nrels, relcap;

	record rec;
	/* The change before rec, written once the next change or the commit
	 * shows whether it was its transaction's last (src.last): one record
	 * held back, whatever the size of the transaction. */
	record held;
	bool have_held;
	buf scratch;

	/* the transaction being decoded */
	bool in_txn;
	uint64_t txn_commit_lsn;
	uint32_t txn_xid;
	bool sync_standby; /* commits waited for it at the last look (wait_for_txn) */
	int64_t txn_commit_us;
	uint64_t txn_seq;

	/* online backfills: their open windows */
	bf_set *bf;
	record chunk_row, partial;
	uint64_t bf_rows, bf_dropped, bf_partial;
	/* the masks of the table backfilled last (chunk_masks) */
	buf bf_shape;            /* "schema\0table\0column\0…" they are for */
	unsigned char *bf_plan;  /* NULL: none masked */
	bool bf_planned;

	/* feedback */
	uint64_t safe;          /* what is done downstream */
	uint64_t confirmed;     /* what we report to the server: safe, held by open windows */
	uint64_t sent;          /* what we last reported */
	int64_t sent_ms;
	bool pinged;            /* a keepalive waits for news (see its handling) */
	uint64_t committed_end; /* end LSN of the newest transaction written */
	uint64_t idle_lsn;      /* keepalive WAL end seen outside a transaction */
	bool have_ack;
	pos_offset last_ack;
	txn_entry *txq; /* ring */
	size_t txq_head, txq_len, txq_cap;

	/* statistics */
	uint64_t nrecords, ntxns;
	struct timespec started;

	/* --metrics (all NULL without) */
	metrics *mx;
	struct {
		metric_family *out;
		metric *txns, *bytes, *reconnects, *last, *lag, *retained, *unconfirmed;
		int64_t newest_us;
	} m;
} st;

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t nsignals; /* a second one cuts the waits on exit short */

/* Before it streams (creating the slot while transactions are open, a
 * catalog query waiting for a lock), a statement still waiting
 * PGCANCEL_GRACE_S after a signal is cancelled, at once after a second
 * signal; streaming, the stop has waits of its own (finish). */
static void on_signal(int sig)
{
	stop_signal = sig;
	if (nsignals < 2)
		nsignals++;
	pgcancel_on_stop_signal(nsignals);
}

static bool second_signal(void)
{
	return nsignals >= 2;
}

/* ---- helpers ---- */

static void lsn_str(uint64_t lsn, char *buf, size_t len)
{
	pos_lsn_format(lsn, buf, len);
}

/* The stream name must be printable ASCII without spaces: other bytes of
 * database and slot names are written as %XX. */
static void build_stream_name(void)
{
	char *o = st.stream;
	char *end = st.stream + sizeof st.stream - 1;
	const char *parts[3] = {"pg/", st.db, opt.slot};
	for (int k = 0; k < 3; k++) {
		for (const unsigned char *p = (const unsigned char *)parts[k]; *p && o < end - 3; p++) {
			if (k > 0 && (*p <= ' ' || *p > '~' || *p == '%' || *p == '/'))
				o += sprintf(o, "%%%02X", *p);
			else
				*o++ = (char)*p;
		}
		if (k == 1 && o < end)
			*o++ = '/';
	}
	*o = '\0';
}

/* The position to confirm: what is safe, but not past the low watermark
 * of an open backfill window, which a restart must decode again. */
static void settle_confirmed(void)
{
	uint64_t hold = bf_hold(st.bf);
	uint64_t c = st.safe < hold ? st.safe : hold;
	if (c > st.confirmed)
		st.confirmed = c;
}

static void set_confirmed(uint64_t lsn)
{
	if (lsn > st.safe)
		st.safe = lsn;
	settle_confirmed();
}

/* ---- the queue of transactions awaiting acks ---- */

static txn_entry *txq_at(size_t i)
{
	return &st.txq[(st.txq_head + i) % st.txq_cap];
}

static bool txq_done(const txn_entry *e)
{
	if (e->nrecords == 0)
		return true;
	if (!st.have_ack)
		return false;
	pos_offset need = {.major = e->commit_lsn, .minor = e->nrecords, .lsn = true};
	return pos_offset_cmp(st.last_ack, need) >= 0;
}

/* Pops every transaction completely acked; when nothing is left and no
 * transaction is being decoded, the server's idle WAL end is safe too. */
static void txq_settle(void)
{
	while (st.txq_len && txq_done(txq_at(0))) {
		set_confirmed(txq_at(0)->end_lsn);
		st.txq_head = (st.txq_head + 1) % st.txq_cap;
		st.txq_len--;
	}
	if (st.txq_len == 0 && !st.in_txn)
		set_confirmed(st.idle_lsn);
}

static void txq_push(uint64_t commit_lsn, uint64_t end_lsn, uint64_t nrecords)
{
	/* After a reconnect the server resends what was not confirmed; it may
	 * still be queued from the first time. */
	if (st.txq_len && txq_at(st.txq_len - 1)->commit_lsn >= commit_lsn)
		return;
	if (end_lsn <= st.confirmed)
		return;
	if (st.txq_len == st.txq_cap && st.txq_cap < TXQ_MAX) {
		size_t cap = st.txq_cap ? st.txq_cap * 2 : 256;
		txn_entry *q = malloc(cap * sizeof *q);
		if (!q)
			die(EX_OSERR, "out of memory (ack queue)");
		for (size_t i = 0; i < st.txq_len; i++)
			q[i] = *txq_at(i);
		free(st.txq);
		st.txq = q;
		st.txq_cap = cap;
		st.txq_head = 0;
	}
	txn_entry e = {commit_lsn, end_lsn, nrecords};
	if (st.txq_len == st.txq_cap) {
		/* Full: the newest entry now stands for both transactions. Its
		 * completion needs the later ack, which covers the earlier one;
		 * a transaction without records brings no ack, so it waits for
		 * the earlier one's. */
		if (e.nrecords == 0)
			txq_at(st.txq_len - 1)->end_lsn = end_lsn;
		else
			*txq_at(st.txq_len - 1) = e;
	} else {
		*txq_at(st.txq_len) = e;
		st.txq_len++;
	}
	txq_settle();
}

static void on_ack(void *ctx, const char *stream, pos_offset off)
{
	(void)ctx;
	if (strcmp(stream, st.stream) != 0)
		return;
	if (!st.have_ack || pos_offset_cmp(off, st.last_ack) > 0) {
		st.last_ack = off;
		st.have_ack = true;
	}
}

static void read_acks(void)
{
	if (!st.acks)
		return;
	if (ack_reader_poll(st.acks, on_ack, NULL) < 0)
		log_error("reading acks failed (%s: %s)", opt.ack_path, strerror(errno));
	txq_settle();
}

/* ---- output ---- */

static int slot_confirmed_lsn_by(int64_t deadline, uint64_t *lsn, char *err, size_t errlen);

/* After the last status update, before the connection closes: waits until
 * the server has taken that update. Closing at once can lose it: a
 * walsender that is still sending reads what we send only between its
 * transactions or when its socket is full, and one whose next send finds
 * the connection reset (closed with data unread) exits without reading
 * what waits for it; the next run then delivers again what this one
 * confirmed. So after CopyDone nothing is read while the slot (asked on
 * the catalog connection) does not show the update: what the walsender
 * sends meanwhile fills the sockets, and it reads. Then the end of the
 * COPY is read, if it comes soon, so that closing resets nothing. Without
 * the catalog connection only the end of the COPY can tell. */
static void settle(void)
{
	int64_t start = mono_ms();
	if (replconn_copy_done(st.repl) < 0)
		return;
	int64_t deadline = start + END_COPY_WAIT_MS;
	int taken = -1; /* 1 yes, 0 no, -1 the slot could not be asked */
	uint64_t slot = 0;
	char err[300];
	for (int delay = 1; st.cat && PQstatus(st.cat) == CONNECTION_OK; delay = delay < 50 ? delay * 2 : 50) {
		int rc = slot_confirmed_lsn_by(deadline, &slot, err, sizeof err);
		if (rc < 0)
			log_debug("%s", err);
		if (rc <= 0) {
			taken = -1;
			break;
		}
		taken = slot >= st.confirmed;
		if (taken || second_signal() || mono_ms() >= deadline)
			break;
		poll(NULL, 0, delay);
	}
	int64_t left = deadline - mono_ms();
	if (taken == 1 && left > END_COPY_TAIL_MS)
		left = END_COPY_TAIL_MS;
	int ended = taken == 0 || left <= 0 || second_signal() ? 0 : replconn_drain(st.repl, (int)left, second_signal);
	if (taken == 1 || ended == 1)
		return;
	char l[32];
	lsn_str(st.confirmed, l, sizeof l);
	if (second_signal())
		log_info("a second signal: not waiting for the server to take the last confirmation (%s)", l);
	else
		log_info("the server did not take the last confirmation (%s) within %d s: the next run may deliver "
			 "again what this one confirmed last",
			 l, END_COPY_WAIT_MS / 1000);
}

static void writer_failed(void)
{
	int e = errno;
	if (e == EPIPE)
		log_error("standard output closed (downstream went away); unacknowledged changes were not confirmed");
	else
		log_error("writing standard output failed (%s)", strerror(e));
	/* What was confirmed is safe; tell the server so, then leave once it
	 * has taken it (settle). */
	if (st.repl && PQstatus(st.repl) == CONNECTION_OK && replconn_send_status(st.repl, st.confirmed, false) == 0)
		settle();
	exit(EX_TEMPFAIL);
}

static void flush_output(void)
{
	if (!st.out)
		return;
	if (record_writer_buffered(st.out) && record_writer_flush(st.out) < 0)
		writer_failed();
	if (!st.acks) {
		/* Without acks, written and flushed counts as done. */
		set_confirmed(st.committed_end);
		if (!st.in_txn)
			set_confirmed(st.idle_lsn);
	}
}

/* ---- relation cache ---- */

static void relinfo_free(relinfo *ri)
{
	if (!ri)
		return;
	pgo_relation_free(ri->rel);
	free(ri->types);
	free(ri->keys);
	free(ri->plan);
	free(ri);
}

static relinfo *rel_find(uint32_t oid)
{
	if (!st.relcap)
		return NULL;
	size_t mask = st.relcap - 1;
	for (size_t i = (oid * 2654435761u) & mask;; i = (i + 1) & mask) {
		if (!st.rels[i])
			return NULL;
		if (st.rels[i]->oid == oid)
			return st.rels[i];
	}
}

static void rel_put(relinfo *ri)
{
	if ((st.nrels + 1) * 2 > st.relcap) {
		size_t cap = st.relcap ? st.relcap * 2 : 64;
		relinfo **n = calloc(cap, sizeof *n);
		if (!n)
			die(EX_OSERR, "out of memory (relation cache)");
		relinfo **old = st.rels;
		size_t oldcap = st.relcap;
		st.rels = n;
		st.relcap = cap;
		st.nrels = 0;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i])
				rel_put(old[i]);
		free(old);
	}
	size_t mask = st.relcap - 1;
	for (size_t i = (ri->oid * 2654435761u) & mask;; i = (i + 1) & mask) {
		if (!st.rels[i]) {
			st.rels[i] = ri;
			st.nrels++;
			return;
		}
		if (st.rels[i]->oid == ri->oid) {
			relinfo_free(st.rels[i]);
			st.rels[i] = ri;
			return;
		}
	}
}

static void rel_clear(void)
{
	for (size_t i = 0; i < st.relcap; i++)
		relinfo_free(st.rels[i]);
	free(st.rels);
	st.rels = NULL;
	st.relcap = st.nrels = 0;
}

/* Catalog failures: a lost connection is worth a reconnect, anything else
 * is fatal. Returns -1 for the caller to propagate as "reconnect". */
static int catalog_failed(const char *err)
{
	if (PQstatus(st.cat) != CONNECTION_OK) {
		log_error("catalog connection lost (%s)", err);
		return -1;
	}
	die(EX_SOFTWARE, "catalog lookup failed (%s)", err);
}

/* What --exclude-column, --mask-column and --hash-column do to the
 * relation's columns, by its own rules and those of the tables it is a
 * partition of or inherits from; a key column excluded or masked with a
 * fixed text stops the program (exit 78): a key must stay a key. -1 with
 * err when the catalog lookup failed. */
static int plan_masks(relinfo *ri, char *err, size_t errlen)
{
	const pgo_relation *r = ri->rel;
	char **parents;
	size_t nparents;
	if (colmask_parents(st.cat, r->oid, &parents, &nparents, err, errlen) < 0)
		return -1;
	record_column *cols = calloc(r->natts ? r->natts : 1, sizeof *cols);
	ri->plan = malloc(r->natts ? r->natts : 1);
	if (!cols || !ri->plan)
		die(EX_OSERR, "out of memory (relation %s.%s)", r->nspname, r->relname);
	for (uint16_t i = 0; i < r->natts; i++) {
		cols[i].name = r->cols[i].name;
		cols[i].type = ri->types[i]->name;
	}
	char e[512];
	int rc = colmask_plan(opt.masks, r->nspname, r->relname, parents, nparents, cols, r->natts, ri->keys,
			      ri->nkeys, ri->plan, e, sizeof e);
	free(cols);
	free(parents);
	if (rc < 0)
		die(EX_CONFIG, "%s", e);
	if (rc == 0) {
		free(ri->plan);
		ri->plan = NULL;
	}
	return 0;
}

static void finish(void);

/* Stops cleanly: what came before written, acked and confirmed, so that a
 * restart begins after it. */
static _Noreturn void stop_for_masks(void)
{
	finish();
	if (st.txq_len)
		log_error("%zu transactions written before were not acked within %d s: a restart replays them, with "
			  "the names they had then", st.txq_len, FINAL_ACK_WAIT_MS / 1000);
	exit(EX_CONFIG);
}

/* Whether the lookups for a relation message depend on the catalog its
 * transaction left: masks read column names (a rename), FULL reads the
 * primary key, a type made after initdb may be made in that transaction.
 * Types made by initdb and those already looked up do not. */
static bool needs_txn_catalog(const pgo_relation *r)
{
	if (colmask_any(opt.masks) || r->replident == PGO_REPLIDENT_FULL)
		return true;
	for (uint16_t i = 0; i < r->natts; i++)
		if (!pgtypes_fixed(st.types, r->cols[i].type_oid, r->cols[i].typmod))
			return true;
	return false;
}

enum { TXN_SEEN = 0, TXN_STOPPED = 1, TXN_WAITS_FOR_US = 2, TXN_LOST = 3 };

static int send_feedback(bool reply);
static void nap(int64_t ms);

/* Waits until the catalog connection sees the transaction being decoded.
 * After a second of waiting (a fifth of one when the last look found so)
 * it looks each second whether the commit waits for this stream (its
 * walsender a synchronous standby): then the wait would never end.
 * TXN_LOST when the replication connection is gone; -1 with err. */
static int wait_for_txn(bool found_before, char *err, size_t errlen)
{
	int64_t start = mono_ms(), next_look = start + (found_before ? 200 : 1000);
	bool said = false;
	for (int delay = 1;; delay = delay < 50 ? delay * 2 : 50) {
		int rc = pgtypes_xact_visible(st.types, st.txn_xid, err, errlen);
		if (rc != 0)
			return rc < 0 ? -1 : TXN_SEEN;
		if (stop_signal)
			return TXN_STOPPED;
		int64_t now = mono_ms();
		if (now >= next_look) {
			/* Nothing is read from the walsender meanwhile; without
			 * word from us it ends the connection after
			 * wal_sender_timeout. */
			if (PQstatus(st.repl) != CONNECTION_OK || send_feedback(false) < 0)
				return TXN_LOST;
			rc = pgtypes_commits_wait_for(st.types, PQbackendPID(st.repl), err, errlen);
			if (rc == -2)
				return TXN_LOST;
			if (rc != 0)
				return rc < 0 ? -1 : TXN_WAITS_FOR_US;
			next_look = now + 1000;
		}
		if (!said && now - start >= 5000) {
			log_info("the catalog does not yet see transaction %" PRIu32 ", whose commit was streamed: "
				 "waiting (a commit waiting for a synchronous standby is seen only after it)",
				 st.txn_xid);
			said = true;
		}
		nap(delay);
	}
}

static int on_relation(const pgo_relation *r)
{
	char err[512];
	/* The lookups below must see the catalog as this transaction left it:
	 * the message describes the relation after its DDL (a rename of a
	 * masked column, a type created with its column). */
	if (st.in_txn && needs_txn_catalog(r)) {
		int rc = wait_for_txn(st.sync_standby, err, sizeof err);
		if (rc == TXN_STOPPED)
			return -1;
		if (rc == TXN_LOST) {
			log_error("the replication connection was lost while waiting for transaction %" PRIu32,
				  st.txn_xid);
			return -1;
		}
		if (rc < 0)
			return catalog_failed(err);
		if (rc == TXN_WAITS_FOR_US && colmask_any(opt.masks))
			die(EX_CONFIG, "the server waits for pgcdc-read to confirm transaction %" PRIu32 " (its "
			    "walsender is a synchronous standby: synchronous_standby_names names it) before other "
			    "sessions see it, and the masking rules need the catalog as that transaction left it: "
			    "take pgcdc-read out of synchronous_standby_names",
			    st.txn_xid);
		if (rc == TXN_WAITS_FOR_US && !st.sync_standby)
			/* Without masks a lookup of before is what it was: a
			 * type made in the transaction is not found. */
			log_error("warning: its walsender is a synchronous standby (synchronous_standby_names names "
				  "it), so commits wait for it and it cannot wait for them: relations are looked up "
				  "in the catalog as it was before their transaction");
		st.sync_standby = rc == TXN_WAITS_FOR_US;
	}
	relinfo *ri = calloc(1, sizeof *ri);
	if (!ri || !(ri->rel = pgo_relation_copy(r)) ||
	    !(ri->types = calloc(r->natts ? r->natts : 1, sizeof *ri->types)) ||
	    !(ri->keys = calloc(r->natts ? r->natts : 1, sizeof *ri->keys)))
		die(EX_OSERR, "out of memory (relation %s.%s)", r->nspname, r->relname);
	ri->oid = r->oid;
	if (st.m.out) {
		char name[2 * RECORD_NAME_MAX + 2];
		snprintf(name, sizeof name, "%s.%s", r->nspname, r->relname);
		ri->m_out = metric_get(st.m.out, name);
	}
	for (uint16_t i = 0; i < r->natts; i++) {
		ri->types[i] = pgtypes_lookup(st.types, r->cols[i].type_oid, r->cols[i].typmod, err, sizeof err);
		if (!ri->types[i]) {
			relinfo_free(ri);
			return catalog_failed(err);
		}
		if (r->cols[i].flags & PGO_COLUMN_KEY)
			ri->keys[ri->nkeys++] = i;
	}
	if (r->replident == PGO_REPLIDENT_FULL) {
		/* Every column is "key" then; a primary key says more. */
		char names[RECORD_MAX_COLUMNS * 64];
		int n = pgtypes_primary_key(st.types, r->oid, names, sizeof names, err, sizeof err);
		if (n < 0) {
			relinfo_free(ri);
			return catalog_failed(err);
		}
		if (n > 0) {
			size_t nk = 0;
			const char *s = names;
			for (int k = 0; k < n; k++, s += strlen(s) + 1)
				for (uint16_t i = 0; i < r->natts; i++)
					if (strcmp(ri->rel->cols[i].name, s) == 0)
						ri->keys[nk++] = i;
			/* A key column outside a column list leaves the flags as they are. */
			if (nk == (size_t)n)
				ri->nkeys = nk;
		}
	}
	if (colmask_any(opt.masks) && plan_masks(ri, err, sizeof err) < 0) {
		relinfo_free(ri);
		return catalog_failed(err);
	}
	if (colmask_any(opt.masks)) {
		record_column *cols = calloc(r->natts + 1, sizeof *cols);
		if (!cols)
			die(EX_OSERR, "out of memory (relation %s.%s)", r->nspname, r->relname);
		for (uint16_t i = 0; i < r->natts; i++)
			cols[i].name = ri->rel->cols[i].name;
		int lost = maskmem_relation(st.masks_seen, st.cat, r->oid, r->nspname, r->relname, cols, r->natts,
					    ri->plan, st.in_txn && st.txn_seq > 0, err, sizeof err);
		free(cols);
		if (lost < 0) {
			relinfo_free(ri);
			return catalog_failed(err);
		}
		if (lost > 0) {
			relinfo_free(ri);
			stop_for_masks();
		}
	}
	rel_put(ri);
	log_debug("relation %s.%s (OID %" PRIu32 "): %u columns, %zu key columns, replica identity %c",
		  r->nspname, r->relname, r->oid, (unsigned)r->natts, ri->nkeys, r->replident);
	return 0;
}

/* ---- records ---- */

/* The source and stream position of the next record of the transaction. */
static void stamp_record(record *rec)
{
	st.txn_seq++;
	rec->lsn = st.txn_commit_lsn;
	rec->xid = st.txn_xid;
	rec->commit_us = st.txn_commit_us;
	rec->seq = st.txn_seq;
	memcpy(rec->stream, st.stream, sizeof rec->stream);
	rec->offset.major = st.txn_commit_lsn;
	rec->offset.minor = st.txn_seq;
	rec->offset.lsn = true;
}

static void start_record(relinfo *ri, char op, bool before, bool after)
{
	record *rec = &st.rec;
	record_clear(rec);
	rec->version = RECORD_FORMAT_VERSION;
	rec->op = op;
	if (record_set_table(rec, st.db, ri->rel->nspname, ri->rel->relname) < 0 ||
	    record_set_shape(rec, ri->rel->natts, before, after) < 0)
		die(EX_OSERR, "out of memory (record)");
	for (uint16_t i = 0; i < ri->rel->natts; i++) {
		record_mask mk = ri->plan ? (record_mask)ri->plan[i] : RECORD_MASK_NONE;
		if (record_set_column(rec, i, ri->rel->cols[i].name, colmask_type(mk, ri->types[i]->name)) < 0 ||
		    (mk && record_set_column_mask(rec, i, mk) < 0))
			die(EX_OSERR, "out of memory (record)");
	}
	if (record_set_keys(rec, ri->keys, ri->nkeys) < 0)
		die(EX_OSERR, "out of memory (record)");
	stamp_record(rec);
}

static void put_value(relinfo *ri, record_value *img, uint16_t i, const pgo_value *v)
{
	record *rec = &st.rec;
	int rc = 0;
	record_mask mk = ri->plan ? (record_mask)ri->plan[i] : RECORD_MASK_NONE;
	if (mk == RECORD_MASK_EXCLUDED)
		return; /* never sent: the slot stays absent */
	if (mk == RECORD_MASK_FIXED && v->kind == PGO_VALUE_TEXT) {
		size_t len;
		const char *text = colmask_text(opt.masks, &len);
		if (record_set_value(rec, img, i, VALUE_TEXT, text, len) < 0)
			die(EX_OSERR, "out of memory (value of %s.%s.%s)", ri->rel->nspname, ri->rel->relname,
			    ri->rel->cols[i].name);
		return;
	}
	switch (v->kind) {
	case PGO_VALUE_NULL:
		rc = record_set_value(rec, img, i, VALUE_NULL, NULL, 0);
		break;
	case PGO_VALUE_UNCHANGED:
		rc = record_set_value(rec, img, i, VALUE_UNCHANGED, NULL, 0);
		break;
	case PGO_VALUE_TEXT: {
		const char *res;
		size_t reslen;
		if (pgvalue_normalize(ri->types[i]->norm, v->data, v->len, &st.scratch, &res, &reslen) < 0)
			die(EX_DATAERR, "unexpected value for column %s of %s.%s (type %s)%s%.*s",
			    ri->rel->cols[i].name, ri->rel->nspname, ri->rel->relname, ri->types[i]->name,
			    mk ? "" : ": ", mk ? 0 : (int)(v->len > 80 ? 80 : v->len), v->data);
		if (mk == RECORD_MASK_SHA256) {
			/* the hash of the text the record would have carried */
			char hex[COLMASK_HEX_LEN + 1];
			if (colmask_hash(opt.masks, res, reslen, hex) < 0)
				die(EX_SOFTWARE, "hashing a value of %s.%s.%s failed", ri->rel->nspname,
				    ri->rel->relname, ri->rel->cols[i].name);
			rc = record_set_value(rec, img, i, VALUE_TEXT, hex, COLMASK_HEX_LEN);
			break;
		}
		rc = record_set_value(rec, img, i, VALUE_TEXT, res, reslen);
		break;
	}
	default:
		die(EX_DATAERR, "binary value for column %s of %s.%s (not requested)", ri->rel->cols[i].name,
		    ri->rel->nspname, ri->rel->relname);
	}
	if (rc < 0)
		die(EX_OSERR, "out of memory (value of %s.%s.%s)", ri->rel->nspname, ri->rel->relname,
		    ri->rel->cols[i].name);
}

static void write_held(void)
{
	if (record_writer_put(st.out, &st.held) < 0)
		writer_failed();
	st.have_held = false;
	st.nrecords++;
}

/* r is complete: the record before it was not its transaction's last. r is
 * held back in its turn (the two records trade storage). It counts as out
 * now (m: its table's series of --metrics, or NULL): its relation may be
 * gone when it is written. */
static void put_held(record *r, metric *m)
{
	metric_add(m, 1);
	if (st.have_held)
		write_held();
	record t = st.held;
	st.held = *r;
	*r = t;
	st.have_held = true;
}

/* A change of the stream: noted by an open backfill window of its table,
 * then written. */
static void put_record(relinfo *ri)
{
	if (bf_note(st.bf, &st.rec) < 0)
		die(EX_OSERR, "out of memory (backfill window)");
	put_held(&st.rec, ri->m_out);
}

static relinfo *change_relation(uint32_t relid, const pgo_tuple *t1, const pgo_tuple *t2)
{
	relinfo *ri = rel_find(relid);
	if (!ri)
		die(EX_DATAERR, "change for relation OID %" PRIu32 " before its Relation message", relid);
	if ((t1 && t1->natts != ri->rel->natts) || (t2 && t2->natts != ri->rel->natts))
		die(EX_DATAERR, "change for %s.%s has %u columns, its Relation message %u", ri->rel->nspname,
		    ri->rel->relname, (unsigned)(t1 && t1->natts != ri->rel->natts ? t1->natts : t2->natts),
		    (unsigned)ri->rel->natts);
	if (!st.in_txn)
		die(EX_DATAERR, "change outside a transaction");
	return ri;
}

/* The before image: the whole old row ('O'), or the key columns of the old
 * key ('K') or, when the key did not change and no old tuple came, of the
 * new row. */
static void put_before(relinfo *ri, char old_kind, const pgo_tuple *old, const pgo_tuple *nw)
{
	record *rec = &st.rec;
	if (old_kind == 'O') {
		for (uint16_t i = 0; i < ri->rel->natts; i++)
			put_value(ri, rec->before, i, &old->values[i]);
		return;
	}
	const pgo_tuple *src = old_kind == 'K' ? old : nw;
	for (size_t k = 0; k < ri->nkeys; k++) {
		uint16_t i = ri->keys[k];
		put_value(ri, rec->before, i, &src->values[i]);
	}
}

static void on_change(const pgo_msg *m)
{
	const pgo_tuple *old = m->u.change.old_kind ? &m->u.change.old_tuple : NULL;
	const pgo_tuple *nw = m->u.change.has_new ? &m->u.change.new_tuple : NULL;
	relinfo *ri = change_relation(m->u.change.relid, old, nw);
	switch (m->type) {
	case PGO_INSERT:
		start_record(ri, RECORD_OP_INSERT, false, true);
		break;
	case PGO_UPDATE:
		start_record(ri, RECORD_OP_UPDATE, old || ri->nkeys > 0, true);
		if (old || ri->nkeys > 0)
			put_before(ri, m->u.change.old_kind, old, nw);
		break;
	default:
		start_record(ri, RECORD_OP_DELETE, true, false);
		put_before(ri, m->u.change.old_kind, old, NULL);
		break;
	}
	if (nw)
		for (uint16_t i = 0; i < ri->rel->natts; i++)
			put_value(ri, st.rec.after, i, &nw->values[i]);
	put_record(ri);
}

static void on_truncate(const pgo_msg *m)
{
	if (!st.in_txn)
		die(EX_DATAERR, "truncate outside a transaction");
	for (uint32_t k = 0; k < m->u.truncate.nrelids; k++) {
		relinfo *ri = rel_find(m->u.truncate.relids[k]);
		if (!ri)
			die(EX_DATAERR, "truncate of relation OID %" PRIu32 " before its Relation message",
			    m->u.truncate.relids[k]);
		start_record(ri, RECORD_OP_TRUNCATE, false, false);
		put_record(ri);
	}
}

/* ---- online backfills ---- */

static void on_window_expired(void *ctx, const char *schema, const char *table, uint64_t chunk)
{
	(void)ctx;
	log_info("backfill of %s.%s: the window of chunk %" PRIu64 " ended without its high watermark "
		 "within its WAL bound; its rows will not be used (snapshot reads such a chunk again)",
		 schema, table, chunk);
}

/* Each line of a high watermark's rows, one record, in turn: 1 with the
 * record in r, 0 at the end, -1 when a line is not a record. */
static int next_chunk_row(const char **p, const char *end, record *r, char *err, size_t errlen)
{
	if (*p >= end)
		return 0;
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	const char *line_end = nl ? nl : end;
	const char *line = *p;
	*p = nl ? nl + 1 : end;
	return record_decode_json(r, line, (size_t)(line_end - line), err, errlen) < 0 ? -1 : 1;
}

/* The masks (a record_mask per column) of a backfilled table's records,
 * by the rules a relation of that table gets (plan_masks), into *plan (NULL:
 * none masked): pgcdc-read masks a chunk's rows as it masks the stream, and
 * snapshot --online does not mask them. A chunk names its table, not its
 * OID, which the catalog gives. The plan of the last table is kept: chunks
 * come table after table. 0, or -1 when the catalog connection is lost. */
static int chunk_masks(const record *r, const unsigned char **plan)
{
	*plan = NULL;
	if (!colmask_any(opt.masks))
		return 0;
	buf *shape = &st.scratch;
	buf_reset(shape);
	int rc = buf_append(shape, r->schema, strlen(r->schema) + 1) | buf_append(shape, r->table, strlen(r->table) + 1);
	for (size_t i = 0; i < r->ncols; i++)
		rc |= buf_append(shape, r->cols[i].name, strlen(r->cols[i].name) + 1);
	if (rc)
		die(EX_OSERR, "out of memory (backfill masks)");
	if (st.bf_planned && st.bf_shape.len == shape->len && !memcmp(st.bf_shape.data, shape->data, shape->len)) {
		*plan = st.bf_plan;
		return 0;
	}
	char err[512];
	const char *params[2] = {r->schema, r->table};
	PGresult *res = PQexecParams(st.cat,
				     "SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
				     "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
				     2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, sizeof err, "looking up table %s.%s failed (%s)", r->schema, r->table,
			 PQerrorMessage(st.cat));
		err[strcspn(err, "\n")] = '\0';
		PQclear(res);
		return catalog_failed(err);
	}
	/* A table dropped since: its own rules still hold, by name. */
	uint32_t oid = PQntuples(res) == 1 ? (uint32_t)strtoul(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	char **parents = NULL;
	size_t nparents = 0;
	if (oid && colmask_parents(st.cat, oid, &parents, &nparents, err, sizeof err) < 0)
		return catalog_failed(err);
	unsigned char *p = realloc(st.bf_plan, r->ncols ? r->ncols : 1);
	if (!p)
		die(EX_OSERR, "out of memory (backfill masks)");
	st.bf_plan = p;
	rc = colmask_plan(opt.masks, r->schema, r->table, parents, nparents, r->cols, r->ncols, r->keys, r->nkeys,
			  p, err, sizeof err);
	free(parents);
	if (rc < 0)
		die(EX_CONFIG, "%s", err);
	/* a chunk names the columns as they are now: held to what the stream
	 * masked before, as a relation sent again is */
	int lost = oid ? maskmem_lost(st.masks_seen, st.cat, oid, r->schema, r->table, r->cols, r->ncols, rc ? p : NULL,
				      st.in_txn && st.txn_seq > 0, err, sizeof err)
		       : 0;
	if (lost < 0)
		return catalog_failed(err);
	if (lost > 0)
		stop_for_masks();
	buf_reset(&st.bf_shape);
	if (buf_append(&st.bf_shape, shape->data, shape->len))
		die(EX_OSERR, "out of memory (backfill masks)");
	if (rc == 0) {
		free(st.bf_plan);
		st.bf_plan = NULL;
	}
	st.bf_planned = true;
	*plan = st.bf_plan;
	return 0;
}

/* Masks a backfilled record (a chunk's row or its truncate) by plan, as
 * put_value masks the stream's values: the same types, texts and hashes. */
static void mask_chunk_record(record *r, const unsigned char *plan)
{
	for (size_t i = 0; plan && i < r->ncols; i++) {
		record_mask mk = (record_mask)plan[i];
		if (mk == RECORD_MASK_NONE)
			continue;
		if (record_set_column(r, i, r->cols[i].name, colmask_type(mk, r->cols[i].type)) < 0 ||
		    record_set_column_mask(r, i, mk) < 0)
			die(EX_OSERR, "out of memory (record)");
		record_value *v = r->has_after ? &r->after[i] : NULL;
		int rc = 0;
		if (!v || v->kind == VALUE_NULL || v->kind == VALUE_ABSENT)
			continue;
		if (mk == RECORD_MASK_EXCLUDED) {
			rc = record_set_value(r, r->after, i, VALUE_ABSENT, NULL, 0);
		} else if (mk == RECORD_MASK_FIXED) {
			size_t len;
			const char *text = colmask_text(opt.masks, &len);
			rc = record_set_value(r, r->after, i, VALUE_TEXT, text, len);
		} else if (v->kind == VALUE_TEXT) {
			char hex[COLMASK_HEX_LEN + 1];
			if (colmask_hash(opt.masks, v->data, v->len, hex) < 0)
				die(EX_SOFTWARE, "hashing a value of %s.%s.%s failed", r->schema, r->table, r->cols[i].name);
			rc = record_set_value(r, r->after, i, VALUE_TEXT, hex, COLMASK_HEX_LEN);
		}
		if (rc < 0)
			die(EX_OSERR, "out of memory (record)");
	}
}

/* A high watermark: the chunk's rows that the stream did not change in the
 * window go out now, at this transaction's position (bfwindow.h). The rows
 * are checked all before the first is written: a chunk goes out whole or,
 * when it is bad input, not at all. */
static int on_high_watermark(const bfmsg *wm)
{
	bf_window *w = bf_find(st.bf, wm);
	if (!w) {
		log_info("backfill of %s.%s: chunk %" PRIu64 " came without its window (expired, replaced "
			 "or from before this slot's position); its rows are not used",
			 wm->schema, wm->table, wm->chunk);
		return 0;
	}
	char err[512];
	const char *end = wm->rows + wm->rows_len;
	uint64_t n = 0;
	int rc;
	for (const char *p = wm->rows; (rc = next_chunk_row(&p, end, &st.chunk_row, err, sizeof err)) != 0; n++)
		if (rc < 0 || bf_row(w, &st.chunk_row, &st.partial) < 0)
			die(EX_DATAERR, "bad backfill chunk %" PRIu64 " of %s.%s (row %" PRIu64 ": %s)", wm->chunk,
			    wm->schema, wm->table, n + 1, rc < 0 ? err : "not a row of the table with its key");
	if (n != wm->nrows)
		die(EX_DATAERR, "bad backfill chunk %" PRIu64 " of %s.%s (%" PRIu64 " rows, its header says %" PRIu64 ")",
		    wm->chunk, wm->schema, wm->table, n, wm->nrows);
	metric *m = NULL;
	if (st.m.out) {
		char name[2 * RECORD_NAME_MAX + 2];
		snprintf(name, sizeof name, "%s.%s", wm->schema, wm->table);
		m = metric_get(st.m.out, name);
	}
	const unsigned char *plan;
	if (wm->truncate) {
		if (bf_truncate(w, st.db, &st.rec) < 0)
			die(EX_OSERR, "out of memory (record)");
		if (chunk_masks(&st.rec, &plan) < 0)
			return -1;
		mask_chunk_record(&st.rec, plan);
		stamp_record(&st.rec);
		put_held(&st.rec, m);
	}
	uint64_t as_is = 0, partial = 0;
	for (const char *p = wm->rows; next_chunk_row(&p, end, &st.chunk_row, err, sizeof err) > 0;) {
		/* Masked first: the stream's changes were noted masked. */
		if (chunk_masks(&st.chunk_row, &plan) < 0)
			return -1;
		mask_chunk_record(&st.chunk_row, plan);
		rc = bf_row(w, &st.chunk_row, &st.partial);
		if (rc == BF_ROW_DROP)
			continue;
		record *r = rc == BF_ROW_PARTIAL ? &st.partial : &st.chunk_row;
		stamp_record(r);
		put_held(r, m);
		as_is += rc == BF_ROW_AS_IS;
		partial += rc == BF_ROW_PARTIAL;
	}
	st.bf_rows += as_is + partial;
	st.bf_partial += partial;
	st.bf_dropped += n - as_is - partial;
	log_debug("backfill of %s.%s: chunk %" PRIu64 ": %" PRIu64 " rows, %" PRIu64 " as read, %" PRIu64
		  " in part, %" PRIu64 " changed in the window", wm->schema, wm->table, wm->chunk, n, as_is,
		  partial, n - as_is - partial);
	bf_close(st.bf, w);
	settle_confirmed();
	return 0;
}

/* A message of pg_logical_emit_message: ours have the prefix "dbrepl", are
 * transactional and name our slot. 0, or -1 when the catalog connection is
 * lost. */
static int on_logical_message(const pgo_msg *m)
{
	if (!(m->u.message.flags & 1) || strcmp(m->u.message.prefix, BFMSG_PREFIX) != 0 || !st.in_txn)
		return 0;
	bfmsg wm;
	char err[256];
	if (bfmsg_parse(m->u.message.content, m->u.message.len, &wm, err, sizeof err) < 0) {
		char l[32];
		lsn_str(m->u.message.lsn, l, sizeof l);
		log_error("ignoring a \"" BFMSG_PREFIX "\" message at %s that is no backfill watermark (%s)", l, err);
		return 0;
	}
	int rc = 0;
	if (bf_ours(st.bf, &wm)) {
		switch (wm.kind) {
		case BFMSG_LOW: {
			int opened = bf_open(st.bf, &wm, st.txn_commit_lsn);
			if (opened < 0)
				die(EX_OSERR, "out of memory (backfill window)");
			if (opened > 0)
				log_info("backfill of %s.%s: chunk %" PRIu64 " begins before the last one ended; "
					 "the last one is not used", wm.schema, wm.table, wm.chunk);
			break;
		}
		case BFMSG_HIGH:
			rc = on_high_watermark(&wm);
			break;
		case BFMSG_ABORT:
			bf_abort(st.bf, &wm);
			settle_confirmed();
			break;
		}
	}
	bfmsg_free(&wm);
	return rc;
}

/* ---- feedback and progress ---- */

static int send_feedback(bool reply)
{
	char l[32];
	lsn_str(st.confirmed, l, sizeof l);
	log_debug("confirming %s", l);
	st.sent = st.confirmed;
	st.sent_ms = mono_ms();
	st.pinged = false;
	if (replconn_send_status(st.repl, st.confirmed, reply) < 0) {
		char e[512];
		log_error("sending feedback failed (%s)", replconn_error(st.repl, e, sizeof e));
		return -1;
	}
	return 0;
}

static void print_progress(bool final)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double secs = (double)(now.tv_sec - st.started.tv_sec) + (double)(now.tv_nsec - st.started.tv_nsec) / 1e9;
	char l[32];
	lsn_str(st.confirmed, l, sizeof l);
	/* On a terminal the line is redrawn in place; in a log file each is a line. */
	bool redraw = !final && isatty(STDERR_FILENO);
	fprintf(stderr, "%s%s: %" PRIu64 " records, %" PRIu64 " transactions, %.0f records/s, confirmed %s%s",
		redraw ? "\r" : "", progname, st.nrecords, st.ntxns, secs > 0 ? (double)st.nrecords / secs : 0.0, l,
		redraw ? "   " : "\n");
}

/* ---- metrics ---- */

/* The WAL the slot holds, asked over the catalog connection; left out of
 * the file while that is not possible (reconnecting). */
static void slot_metrics(void)
{
	static const char sql[] =
		"SELECT pg_catalog.pg_wal_lsn_diff(w, restart_lsn)::float8, "
		"pg_catalog.pg_wal_lsn_diff(w, confirmed_flush_lsn)::float8 "
		"FROM pg_catalog.pg_replication_slots, (SELECT CASE WHEN pg_catalog.pg_is_in_recovery() "
		"THEN pg_catalog.pg_last_wal_replay_lsn() ELSE pg_catalog.pg_current_wal_lsn() END AS w) c "
		"WHERE slot_name = $1";
	metric_unset(st.m.retained);
	metric_unset(st.m.unconfirmed);
	if (!st.cat || PQstatus(st.cat) != CONNECTION_OK)
		return;
	const char *params[1] = {opt.slot};
	PGresult *res = PQexecParams(st.cat, sql, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		if (!PQgetisnull(res, 0, 0))
			metric_set(st.m.retained, strtod(PQgetvalue(res, 0, 0), NULL));
		if (!PQgetisnull(res, 0, 1))
			metric_set(st.m.unconfirmed, strtod(PQgetvalue(res, 0, 1), NULL));
	} else {
		char e[512];
		log_debug("reading the slot's WAL for metrics failed (%s)", replconn_error(st.cat, e, sizeof e));
	}
	PQclear(res);
}

static void write_metrics(bool now)
{
	if (!st.mx || (!now && !metrics_due(st.mx)))
		return;
	slot_metrics();
	if (st.out)
		metric_set_total(st.m.bytes, record_writer_bytes(st.out));
	(void)metrics_write(st.mx);
}

static void open_metrics(void)
{
	st.mx = metrics_start(&opt.metrics);
	if (!st.mx)
		return;
	metrics *m = st.mx;
	st.m.out = metrics_family(m, "dbrepl_records_out_total", "table");
	st.m.txns = metric_get(metrics_family(m, "dbrepl_transactions_total", NULL));
	st.m.bytes = metric_get(metrics_family(m, "dbrepl_bytes_out_total", NULL));
	st.m.reconnects = metric_get(metrics_family(m, "dbrepl_errors_total", "kind"), "reconnect");
	st.m.last = metric_get(metrics_family(m, "dbrepl_last_commit_timestamp_seconds", NULL));
	st.m.lag = metric_get(metrics_family(m, "dbrepl_lag_seconds", NULL));
	st.m.retained = metric_get(metrics_family(m, "dbrepl_slot_retained_wal_bytes", "stream"), st.stream);
	st.m.unconfirmed = metric_get(metrics_family(m, "dbrepl_slot_unconfirmed_wal_bytes", "stream"), st.stream);
}

/* ---- streaming ---- */

enum { STREAM_STOP = 0, STREAM_LOST = -1 };

/* Handles one pgoutput message. Returns 1 to go on, STREAM_STOP when endpos
 * is reached, STREAM_LOST for a reconnect. */
static int on_message(const char *data, size_t len)
{
	pgo_msg m;
	char err[256];
	if (pgo_decode(st.dec, data, len, &m, err, sizeof err) < 0)
		die(EX_DATAERR, "bad pgoutput message (%s)", err);
	switch (m.type) {
	case PGO_BEGIN:
		if (opt.endpos && m.u.begin.final_lsn > opt.endpos)
			return STREAM_STOP;
		/* A window that lasted longer than its bound is over. */
		if (bf_expire(st.bf, m.u.begin.final_lsn, on_window_expired, NULL))
			settle_confirmed();
		st.in_txn = true;
		st.txn_commit_lsn = m.u.begin.final_lsn;
		st.txn_xid = m.u.begin.xid;
		st.txn_commit_us = m.u.begin.commit_ts + PGO_EPOCH_OFFSET_US;
		st.txn_seq = 0;
		break;
	case PGO_COMMIT:
		if (!st.in_txn)
			die(EX_DATAERR, "commit outside a transaction");
		st.in_txn = false;
		st.ntxns++;
		if (st.have_held) {
			st.held.last = true;
			write_held();
		}
		metric_add(st.m.txns, 1);
		metrics_commit_done(st.m.last, st.m.lag, &st.m.newest_us, st.txn_commit_us);
		st.committed_end = m.u.commit.end_lsn;
		if (st.acks)
			txq_push(m.u.commit.commit_lsn, m.u.commit.end_lsn, st.txn_seq);
		if (opt.endpos && m.u.commit.end_lsn >= opt.endpos)
			return STREAM_STOP;
		break;
	case PGO_RELATION:
		if (on_relation(&m.u.relation) < 0)
			return stop_signal ? STREAM_STOP : STREAM_LOST;
		break;
	case PGO_INSERT:
	case PGO_UPDATE:
	case PGO_DELETE:
		on_change(&m);
		break;
	case PGO_TRUNCATE:
		on_truncate(&m);
		break;
	case PGO_MESSAGE:
		if (on_logical_message(&m) < 0)
			return STREAM_LOST;
		break;
	default: /* Type (we look types up ourselves), Origin */
		break;
	}
	return 1;
}

static int copy_ended(void)
{
	PGresult *res = PQgetResult(st.repl);
	char e[512];
	const char *ss = replconn_sqlstate(res);
	if (PQresultStatus(res) == PGRES_FATAL_ERROR) {
		snprintf(e, sizeof e, "%s", PQresultErrorMessage(res));
		e[strcspn(e, "\n")] = '\0';
		/* Class 42 (undefined object: publication or slot dropped) does
		 * not go away by reconnecting. */
		if (strncmp(ss, "42", 2) == 0)
			die(EX_CONFIG, "replication stopped (%s)", e);
		log_error("replication stopped (%s)", e);
	} else {
		log_error("server ended replication (%s)", replconn_error(st.repl, e, sizeof e));
	}
	PQclear(res);
	return STREAM_LOST;
}

/* Streams until endpos, a signal (both STREAM_STOP) or a lost connection. */
static int stream(void)
{
	int64_t now = mono_ms();
	int64_t next_status = opt.status_interval ? now + opt.status_interval * 1000 : INT64_MAX;
	int64_t next_progress = now + 1000;
	unsigned since_acks = 0;
	for (;;) {
		if (stop_signal)
			return STREAM_STOP;
		now = mono_ms();
		if (st.acks && ++since_acks >= 4096) {
			since_acks = 0;
			read_acks();
		}
		if (now >= next_status) {
			read_acks();
			if (send_feedback(false) < 0)
				return STREAM_LOST;
			next_status = now + opt.status_interval * 1000;
		} else if (st.confirmed != st.sent && (st.pinged || now - st.sent_ms >= FEEDBACK_MIN_MS)) {
			/* Confirm progress soon: a crash then resends little; at
			 * once when the walsender waits for it. */
			if (send_feedback(false) < 0)
				return STREAM_LOST;
		}
		if (opt.progress && now >= next_progress) {
			print_progress(false);
			next_progress = now + 1000;
		}
		write_metrics(false);

		char *copybuf = NULL;
		int r = PQgetCopyData(st.repl, &copybuf, 1);
		if (r == 0) {
			/* Nothing more for now: a good moment to flush and settle. */
			flush_output();
			read_acks();
			struct pollfd p[2] = {{.fd = PQsocket(st.repl), .events = POLLIN}};
			int np = 1;
			if (st.acks) {
				p[1].fd = ack_reader_fd(st.acks);
				p[1].events = POLLIN;
				np = 2;
			}
			int64_t wait = next_status - now;
			if (opt.progress && next_progress - now < wait)
				wait = next_progress - now;
			if (wait < 0)
				wait = 0;
			if (wait > 1000)
				wait = 1000;
			if (st.confirmed != st.sent && wait > FEEDBACK_MIN_MS)
				wait = FEEDBACK_MIN_MS;
			wait = metrics_wait_ms(st.mx, (int)wait);
			if (poll(p, (nfds_t)np, (int)wait) < 0 && errno != EINTR)
				die(EX_OSERR, "poll failed (%s)", strerror(errno));
			if (np == 2 && (p[1].revents & POLLIN))
				read_acks();
			if (PQconsumeInput(st.repl) == 0) {
				char e[512];
				log_error("connection lost (%s)", replconn_error(st.repl, e, sizeof e));
				return STREAM_LOST;
			}
			continue;
		}
		if (r == -1)
			return copy_ended();
		if (r < -1) {
			char e[512];
			log_error("reading replication data failed (%s)", replconn_error(st.repl, e, sizeof e));
			return STREAM_LOST;
		}

		repl_msg rm;
		if (replconn_parse(copybuf, (size_t)r, &rm) < 0)
			die(EX_DATAERR, "unexpected replication message (type 0x%02x, %d bytes)",
			    (unsigned char)copybuf[0], r);
		int rc = 1;
		if (rm.kind == 'k') {
			if (!st.in_txn)
				st.idle_lsn = rm.wal_end > st.idle_lsn ? rm.wal_end : st.idle_lsn;
			if (opt.endpos && !st.in_txn && rm.wal_end >= opt.endpos)
				rc = STREAM_STOP;
			/* Outside a transaction a keepalive that asks nothing is
			 * sent by a walsender that has sent everything and waits
			 * for WAL while our confirmed position is behind what it
			 * sent: a commit waiting for us as a synchronous standby
			 * waits for the answer. Given at the next update,
			 * FEEDBACK_MIN_MS on, each such commit took that long (20
			 * in a row, 4 s). A walsender catching up does not wait,
			 * so this is no update per transaction. With nothing new
			 * yet (acks to come), the news goes as soon as it comes
			 * (pinged), at most once per keepalive. */
			if (rm.reply_requested || !st.in_txn) {
				flush_output();
				read_acks();
				if (rm.reply_requested || st.confirmed != st.sent) {
					if (send_feedback(false) < 0)
						rc = STREAM_LOST;
				} else {
					st.pinged = true;
				}
			}
		} else {
			rc = on_message(rm.data, rm.len);
		}
		PQfreemem(copybuf);
		if (rc <= 0)
			return rc;
	}
}

/* ---- connections ---- */

static void disconnect(void)
{
	if (st.repl)
		PQfinish(st.repl);
	if (st.cat)
		PQfinish(st.cat);
	st.repl = st.cat = NULL;
}

/* Connects both connections. 0, or the exit code that fits the failure. */
static int connect_all(char *err, size_t errlen)
{
	disconnect();
	st.repl = replconn_connect(opt.conninfo, true, APPNAME);
	if (PQstatus(st.repl) != CONNECTION_OK) {
		replconn_error(st.repl, err, errlen);
		return EX_UNAVAILABLE;
	}
	st.cat = replconn_connect(opt.conninfo, false, APPNAME);
	if (PQstatus(st.cat) != CONNECTION_OK) {
		replconn_error(st.cat, err, errlen);
		return EX_UNAVAILABLE;
	}
	pgtypes_set_conn(st.types, st.cat);
	return 0;
}

#define SLOT_LSN_SQL                                                                                      \
	"SELECT confirmed_flush_lsn::pg_catalog.text FROM pg_catalog.pg_replication_slots WHERE slot_name = $1"

/* *lsn from a result of SLOT_LSN_SQL (0: no such slot); 0, or -1 with err.
 * Clears res. */
static int slot_lsn_result(PGresult *res, uint64_t *lsn, char *err, size_t errlen)
{
	*lsn = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "reading the slot's confirmed position: %s",
			 res ? PQresultErrorMessage(res) : PQerrorMessage(st.cat));
		err[strcspn(err, "\n")] = '\0';
		PQclear(res);
		return -1;
	}
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) && pos_lsn_parse(PQgetvalue(res, 0, 0), lsn) < 0)
		*lsn = 0;
	PQclear(res);
	return 0;
}

/* The slot's confirmed_flush_lsn, asked over the catalog connection. */
static int slot_confirmed_lsn(uint64_t *lsn, char *err, size_t errlen)
{
	const char *params[1] = {opt.slot};
	return slot_lsn_result(PQexecParams(st.cat, SLOT_LSN_SQL, 1, NULL, params, NULL, NULL, 0), lsn, err,
			       errlen);
}

/* The same, but waiting no later than deadline, nor after a second signal
 * (a server that does not answer would hold an exit for as long as TCP
 * takes to give up): 1 with *lsn; 0 when it did not come in time, and the
 * catalog connection is closed (a query is still out on it); -1 with err. */
static int slot_confirmed_lsn_by(int64_t deadline, uint64_t *lsn, char *err, size_t errlen)
{
	const char *params[1] = {opt.slot};
	if (!PQsendQueryParams(st.cat, SLOT_LSN_SQL, 1, NULL, params, NULL, NULL, 0))
		return slot_lsn_result(NULL, lsn, err, errlen);
	PGresult *res = NULL;
	for (;;) {
		while (PQisBusy(st.cat)) {
			int w = replconn_wait_input(st.cat, deadline, second_signal);
			if (w < 0) {
				PQclear(res);
				return slot_lsn_result(NULL, lsn, err, errlen);
			}
			if (w == 0) {
				PQclear(res);
				pgtypes_set_conn(st.types, NULL);
				PQfinish(st.cat);
				st.cat = NULL;
				return 0;
			}
		}
		PGresult *r = PQgetResult(st.cat);
		if (!r)
			break;
		if (res)
			PQclear(r);
		else
			res = r;
	}
	return slot_lsn_result(res, lsn, err, errlen) < 0 ? -1 : 1;
}

static int start_streaming(char *err, size_t errlen)
{
	char ss[6] = "";
	/* The slot remembers what we confirmed; ours may be newer if the last
	 * feedback was lost. */
	uint64_t from = st.confirmed > opt.startpos ? st.confirmed : opt.startpos;
	/* Backfill watermarks come as messages, which pgoutput sends from 14 on. */
	bool messages = PQserverVersion(st.repl) >= 140000;
	if (replconn_start(st.repl, opt.slot, opt.publications, from, messages, err, errlen, ss) < 0)
		return strncmp(ss, "42", 2) == 0 ? EX_CONFIG : EX_UNAVAILABLE;
	/* streaming: a cancel would end the stream, not a wait */
	pgcancel_arm(false);
	/* Feedback says at least what the slot has confirmed: a walsender
	 * that reports no flush position is no candidate for a synchronous
	 * standby, and others, after it in synchronous_standby_names, are
	 * chosen in its place meanwhile (wait_for_txn could take a commit
	 * waiting for them as one waiting for it). */
	uint64_t slot_confirmed;
	if (slot_confirmed_lsn(&slot_confirmed, err, errlen) < 0)
		return EX_UNAVAILABLE;
	if (slot_confirmed > st.safe)
		set_confirmed(slot_confirmed);
	/* At once, also after a reconnect, when nothing is new: until then
	 * the new walsender is no candidate (a synchronous commit naming
	 * pgcdc-read waited --status-interval after each reconnect). */
	if (send_feedback(false) < 0) {
		replconn_error(st.repl, err, errlen);
		return EX_UNAVAILABLE;
	}
	char l[32];
	lsn_str(from, l, sizeof l);
	log_debug("streaming slot %s from %s", opt.slot, l);
	return 0;
}

static void create_publication(void)
{
	char err[1024], ss[6];
	char *pub = PQescapeIdentifier(st.cat, opt.publications, strlen(opt.publications));
	buf sql;
	buf_init(&sql, 0);
	buf_printf(&sql, "CREATE PUBLICATION %s FOR ", pub);
	PQfreemem(pub);
	if (strcmp(opt.create_publication, "all") == 0) {
		buf_puts(&sql, "ALL TABLES");
	} else {
		buf_puts(&sql, "TABLE ");
		/* Each name is "table" or "schema.table"; quote every part. */
		char *list = strdup(opt.create_publication);
		char *save = NULL;
		int n = 0;
		for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			char *dot = strchr(t, '.');
			if (n++)
				buf_puts(&sql, ", ");
			if (dot) {
				char *s = PQescapeIdentifier(st.cat, t, (size_t)(dot - t));
				buf_printf(&sql, "%s.", s);
				PQfreemem(s);
				t = dot + 1;
			}
			char *s = PQescapeIdentifier(st.cat, t, strlen(t));
			buf_puts(&sql, s);
			PQfreemem(s);
		}
		free(list);
		if (n == 0)
			die(EX_USAGE, "--create-publication: no table named");
	}
	buf_terminate(&sql);
	if (replconn_command(st.cat, sql.data, err, sizeof err, ss) < 0) {
		if (!(opt.if_not_exists && strcmp(ss, "42710") == 0))
			die(strncmp(ss, "42", 2) == 0 ? EX_CONFIG : EX_UNAVAILABLE,
			    "creating publication %s failed (%s)", opt.publications, err);
	} else {
		log_info("created publication %s", opt.publications);
	}
	buf_free(&sql);
}

static void create_slot(void)
{
	char cmd[256], err[1024], ss[6];
	snprintf(cmd, sizeof cmd, "CREATE_REPLICATION_SLOT \"%s\" LOGICAL pgoutput NOEXPORT_SNAPSHOT", opt.slot);
	if (replconn_command(st.repl, cmd, err, sizeof err, ss) < 0) {
		if (!(opt.if_not_exists && strcmp(ss, "42710") == 0))
			die(strncmp(ss, "42", 2) == 0 || strncmp(ss, "55", 2) == 0 ? EX_CONFIG : EX_UNAVAILABLE,
			    "creating slot %s failed (%s)", opt.slot, err);
	} else {
		log_info("created slot %s", opt.slot);
	}
}

static void drop_slot(void)
{
	char cmd[256], err[1024], ss[6];
	snprintf(cmd, sizeof cmd, "DROP_REPLICATION_SLOT \"%s\"", opt.slot);
	if (replconn_command(st.repl, cmd, err, sizeof err, ss) < 0)
		die(strncmp(ss, "42", 2) == 0 || strncmp(ss, "55", 2) == 0 ? EX_CONFIG : EX_UNAVAILABLE,
		    "dropping slot %s failed (%s)", opt.slot, err);
	log_info("dropped slot %s", opt.slot);
}

static void lookup_database(void)
{
	PGresult *res = PQexec(st.cat, "SELECT pg_catalog.current_database()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		char e[512];
		die(EX_UNAVAILABLE, "querying the current database failed (%s)", replconn_error(st.cat, e, sizeof e));
	}
	snprintf(st.db, sizeof st.db, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
}

/* Sleeps up to ms, waking early on a signal. */
static void nap(int64_t ms)
{
	int64_t end = mono_ms() + ms;
	while (!stop_signal) {
		int64_t left = end - mono_ms();
		if (left <= 0)
			break;
		poll(NULL, 0, (int)(left > 200 ? 200 : left));
		write_metrics(false);
	}
}

/* A clean exit: everything written flushed, the last acks read, the final
 * position confirmed. */
static void finish(void)
{
	flush_output();
	if (st.out)
		metric_set_total(st.m.bytes, record_writer_bytes(st.out));
	if (st.acks) {
		read_acks();
		if (st.txq_len) {
			/* Downstream acks what it has made durable once its input
			 * ends: close our end and give it a moment. */
			record_writer_free(st.out);
			st.out = NULL;
			close(STDOUT_FILENO);
			log_debug("waiting for acks of %zu transactions", st.txq_len);
			int64_t end = mono_ms() + FINAL_ACK_WAIT_MS;
			while (st.txq_len && mono_ms() < end && !second_signal()) {
				struct pollfd p = {.fd = ack_reader_fd(st.acks), .events = POLLIN};
				poll(&p, 1, 100);
				read_acks();
			}
		}
	}
	if (st.repl && PQstatus(st.repl) == CONNECTION_OK && send_feedback(false) == 0)
		settle();
	char l[32];
	lsn_str(st.confirmed, l, sizeof l);
	log_debug("exiting; confirmed %s", l);
	if (opt.progress)
		print_progress(true);
	write_metrics(true);
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s -d CONNINFO -S SLOT -P PUBLICATION[,...] [OPTION]...\n"
		"Stream a PostgreSQL logical replication slot (pgoutput) as change records.\n"
		"\n"
		"  -d, --dbname=CONNINFO      database to connect to (libpq conninfo or name)\n"
		"  -S, --slot=SLOT            replication slot\n"
		"  -P, --publication=LIST     publications to stream (comma-separated)\n"
		"      --create-slot          create the slot first (then stream)\n"
		"      --if-not-exists        with --create-slot/--create-publication: existing is fine\n"
		"      --drop-slot            drop the slot and exit\n"
		"      --create-publication=all|TABLE[,...]\n"
		"                             create publication -P for all tables or these\n"
		"  -I, --startpos=LSN         start at LSN (default: where the slot stands)\n"
		"  -E, --endpos=LSN           exit 0 once every transaction up to LSN is written\n"
		"  -s, --status-interval=SECS feedback to the server every SECS (default 10)\n"
		"      --format=json|msgpack  output encoding (default json)\n"
		"      --ack=FIFO             confirm only what downstream acks on FIFO\n"
		COLMASK_HELP
		"      --progress             progress on stderr (default when stderr is a tty)\n"
		"      --no-progress          no progress\n"
		METRICS_HELP
		"  -v, --verbose              more messages (repeat for more)\n"
		"      --help                 this help\n"
		"      --version              version\n",
		progname);
}

int main(int argc, char **argv)
{
	log_init(argv[0]);
	opt.progress = log_progress_default();
	if (!(opt.masks = colmask_new()))
		die(EX_OSERR, "out of memory");
	enum { O_CREATE_SLOT = 256, O_IF_NOT_EXISTS, O_DROP_SLOT, O_CREATE_PUB, O_FORMAT, O_ACK, O_PROGRESS,
	       O_NO_PROGRESS, O_HELP, O_VERSION, O_METRICS, O_METRICS_2, O_METRICS_3, O_MASK, O_MASK_2, O_MASK_3,
	       O_MASK_4, O_MASK_5 };
	static const struct option longopts[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"slot", required_argument, NULL, 'S'},
		{"publication", required_argument, NULL, 'P'},
		{"create-slot", no_argument, NULL, O_CREATE_SLOT},
		{"if-not-exists", no_argument, NULL, O_IF_NOT_EXISTS},
		{"drop-slot", no_argument, NULL, O_DROP_SLOT},
		{"create-publication", required_argument, NULL, O_CREATE_PUB},
		{"startpos", required_argument, NULL, 'I'},
		{"endpos", required_argument, NULL, 'E'},
		{"status-interval", required_argument, NULL, 's'},
		{"format", required_argument, NULL, O_FORMAT},
		{"ack", required_argument, NULL, O_ACK},
		{"progress", no_argument, NULL, O_PROGRESS},
		{"no-progress", no_argument, NULL, O_NO_PROGRESS},
		METRICS_LONGOPTS(O_METRICS),
		COLMASK_LONGOPTS(O_MASK),
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, O_HELP},
		{"version", no_argument, NULL, O_VERSION},
		{NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "d:S:P:I:E:s:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': opt.conninfo = optarg; break;
		case 'S': opt.slot = optarg; break;
		case 'P': opt.publications = optarg; break;
		case O_CREATE_SLOT: opt.create_slot = true; break;
		case O_IF_NOT_EXISTS: opt.if_not_exists = true; break;
		case O_DROP_SLOT: opt.drop_slot = true; break;
		case O_CREATE_PUB: opt.create_publication = optarg; break;
		case 'I':
			if (pos_lsn_parse(optarg, &opt.startpos) < 0)
				die(EX_USAGE, "invalid --startpos (%s): want an LSN like 16/B374D848", optarg);
			break;
		case 'E':
			if (pos_lsn_parse(optarg, &opt.endpos) < 0)
				die(EX_USAGE, "invalid --endpos (%s): want an LSN like 16/B374D848", optarg);
			break;
		case 's': {
			long long v;
			if (cli_parse_int(optarg, 0, 86400, &v) < 0)
				die(EX_USAGE, "invalid --status-interval (%s): want seconds, 0..86400", optarg);
			opt.status_interval = (int)v;
			break;
		}
		case O_FORMAT:
			if (record_format_parse(optarg, &opt.format) < 0)
				die(EX_USAGE, "invalid --format (%s): want json or msgpack", optarg);
			break;
		case O_ACK: opt.ack_path = optarg; break;
		case O_PROGRESS: opt.progress = true; break;
		case O_NO_PROGRESS: opt.progress = false; break;
		case O_METRICS:
		case O_METRICS_2:
		case O_METRICS_3: {
			char e[256];
			if (metrics_config_option(&opt.metrics, c - O_METRICS, optarg, e, sizeof e) < 0)
				die(EX_USAGE, "%s", e);
			break;
		}
		case O_MASK:
		case O_MASK_2:
		case O_MASK_3:
		case O_MASK_4:
		case O_MASK_5: {
			char e[512];
			if (colmask_option(opt.masks, c - O_MASK, optarg, e, sizeof e) < 0)
				die(EX_USAGE, "%s", e);
			break;
		}
		case 'v': log_verbosity++; break;
		case O_HELP: usage(stdout); return 0;
		case O_VERSION: print_version(); return 0;
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n", progname);
			return EX_USAGE;
		}
	}
	if (optind < argc)
		die(EX_USAGE, "unexpected argument (%s); try --help", argv[optind]);
	if (!opt.slot)
		die(EX_USAGE, "no slot (-S SLOT); try --help");
	if (!replconn_slot_name_valid(opt.slot))
		die(EX_USAGE, "invalid slot name (%s): want lower-case letters, digits and _", opt.slot);
	if (!opt.drop_slot && (!opt.publications || !opt.publications[0]))
		die(EX_USAGE, "no publication (-P PUBLICATION); try --help");
	if (opt.create_publication && strchr(opt.publications, ','))
		die(EX_USAGE, "--create-publication creates one publication; -P names several (%s)", opt.publications);
	if (opt.drop_slot && (opt.create_slot || opt.create_publication))
		die(EX_USAGE, "--drop-slot cannot be combined with --create-slot or --create-publication");
	{
		char e[512];
		if (colmask_finish(opt.masks, e, sizeof e) < 0)
			die(EX_CONFIG, "%s", e);
	}

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pgcancel_catch_alarm();
	signal(SIGPIPE, SIG_IGN);

	st.types = pgtypes_new(NULL);
	st.dec = pgo_decoder_new();
	st.bf = bf_new(opt.slot);
	if (!st.types || !st.dec || !st.bf)
		die(EX_OSERR, "out of memory");
	record_init(&st.rec);
	record_init(&st.chunk_row);
	record_init(&st.partial);
	buf_init(&st.bf_shape, 0);
	record_init(&st.held);
	buf_init(&st.scratch, 0);
	clock_gettime(CLOCK_MONOTONIC, &st.started);

	char err[1024];
	int rc = connect_all(err, sizeof err);
	if (rc)
		die(rc, "connecting to the server failed (%s)", err);
	if (opt.drop_slot) {
		drop_slot();
		disconnect();
		pgtypes_free(st.types);
		pgo_decoder_free(st.dec);
		bf_free(st.bf);
		record_free(&st.rec);
		record_free(&st.chunk_row);
		record_free(&st.partial);
		buf_free(&st.bf_shape);
		free(st.bf_plan);
		record_free(&st.held);
		buf_free(&st.scratch);
		return 0;
	}
	lookup_database();
	build_stream_name();
	open_metrics();
	{
		bool unavailable;
		if (colmask_check_catalog(opt.masks, st.cat, &unavailable, err, sizeof err) < 0)
			die(unavailable ? EX_UNAVAILABLE : EX_CONFIG, "%s", err);
	}
	if (opt.create_publication)
		create_publication();
	if (colmask_any(opt.masks)) {
		if (!(st.masks_seen = maskmem_new()))
			die(EX_OSERR, "out of memory (masks)");
		if (maskmem_prefill(st.masks_seen, st.cat, opt.masks, opt.publications, err, sizeof err) < 0)
			die(EX_UNAVAILABLE, "%s", err);
	}
	if (opt.create_slot)
		create_slot();

	if (opt.ack_path) {
		st.acks = ack_reader_open(opt.ack_path);
		if (!st.acks)
			die(EX_CONFIG, "opening the ack FIFO failed (%s: %s)", opt.ack_path, strerror(errno));
	}
	st.out = record_writer_new(STDOUT_FILENO, opt.format);
	if (!st.out)
		die(EX_OSERR, "out of memory (output buffer)");

	rc = start_streaming(err, sizeof err);
	if (rc)
		die(rc, "starting replication from slot %s failed (%s)", opt.slot, err);

	int backoff = 1;
	for (;;) {
		if (stream() == STREAM_STOP)
			break;
		/* Lost: forget the transaction in flight (it will come again,
		 * whole, with the same positions) and reconnect. */
		flush_output();
		metric_add(st.m.reconnects, 1);
		st.in_txn = false;
		st.txn_seq = 0;
		st.have_held = false;
		rel_clear();
		/* Open windows come again from their low watermarks. */
		bf_reset(st.bf);
		st.bf_planned = false;
		for (;;) {
			log_error("reconnecting in %d s", backoff);
			nap((int64_t)backoff * 1000);
			if (stop_signal)
				break;
			backoff = backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;
			pgcancel_arm(true);
			if (connect_all(err, sizeof err) == 0) {
				rc = start_streaming(err, sizeof err);
				if (rc == 0)
					break;
				if (rc == EX_CONFIG)
					die(rc, "restarting replication from slot %s failed (%s)", opt.slot, err);
			}
			log_error("reconnecting failed (%s)", err);
		}
		if (stop_signal)
			break;
		log_info("reconnected");
		backoff = 1;
	}

	finish();
	disconnect();
	if (st.out)
		record_writer_free(st.out);
	ack_reader_close(st.acks);
	rel_clear();
	maskmem_free(st.masks_seen);
	free(st.txq);
	pgtypes_free(st.types);
	pgo_decoder_free(st.dec);
	bf_free(st.bf);
	record_free(&st.rec);
	record_free(&st.chunk_row);
	record_free(&st.partial);
	buf_free(&st.bf_shape);
	free(st.bf_plan);
	record_free(&st.held);
	buf_free(&st.scratch);
	metrics_close(st.mx);
	colmask_free(opt.masks);
	return 0;
}
