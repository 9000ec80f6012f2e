/* snapshot — copies PostgreSQL tables as change records of op 'r', all in
 * one consistent snapshot, through COPY.
 *
 * The leader connection opens a REPEATABLE READ transaction and exports its
 * snapshot (or, with --slot --create-slot, imports the one a new logical
 * slot exported, so that streaming that slot resumes exactly where the copy
 * ends). Every worker connection imports the same snapshot. Workers are
 * driven from one thread: each runs one COPY (SELECT …) TO STDOUT at a time
 * in libpq's asynchronous mode and the main loop polls their sockets, so the
 * records leave on stdout as one stream, one whole record at a time, and the
 * ordinal of each record (its offset) grows along stdout. A large table is
 * split into ranges of pages (ctid TID range scans) so that several workers
 * can copy it at once. Rows are streamed: memory does not grow with a table.
 *
 * With --state FILE the copy can be resumed: tables with a key are read in
 * key order, in chunks (keyset queries), and the state file (snapstate.h)
 * keeps, per table, the key up to which the records are durable downstream
 * (acked on --ack FIFO, or else written and flushed). A rerun copies only
 * what is missing. With --online the chunks go into the WAL instead, between
 * a low and a high watermark, for pgcdc-read to merge into the slot's stream
 * at the right place (bfmsg.h, bfwindow.h): a backfill while streaming.
 */
#include "ack.h"
#include "bfmsg.h"
#include "buf.h"
#include "cli.h"
#include "colmask.h"
#include "copytext.h"
#include "log.h"
#include "metrics.h"
#include "pgcancel.h"
#include "pgvalue.h"
#include "pos.h"
#include "record.h"
#include "replconn.h"
#include "snapstate.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 64
/* Without --split-pages, a table is never cut into ranges smaller than
 * this many pages (8 MiB of 8 kB pages): below it a range costs more in
 * query start-up than it gains in parallelism. */
#define SPLIT_MIN_PAGES 1024
/* Rows per chunk of a keyed table with --state (key order, one keyset
 * query each): large enough that a query's start costs nothing, small
 * enough that a resume repeats little. */
#define CHUNK_ROWS_COPY 20000
/* Online: rows per chunk, and the size of a chunk's records in its high
 * watermark (the last row may pass it). */
#define CHUNK_ROWS_ONLINE 1000
#define CHUNK_BYTES_ONLINE ((size_t)1 << 20)
/* Online: the WAL a window may span besides its chunk. The window of a
 * chunk lasts from the low watermark's commit to the high watermark's;
 * pgcdc-read keeps the keys the stream changed in it, so its WAL bounds
 * pgcdc-read's memory; past it pgcdc-read forgets the window and snapshot
 * reads the chunk again. */
#define WINDOW_WAL_BASE ((uint64_t)64 << 20)
/* Online: do not run further ahead of the slot's confirmed position than
 * this, so that a stalled pgcdc-read does not make the slot hold the WAL
 * of a whole table. */
#define ONLINE_MAX_LAG ((int64_t)512 << 20)
/* How long a copy with --ack waits, at the end, for the last acks. */
#define ACK_WAIT_MS 60000
/* The state file is saved at most this often while copying. */
#define STATE_SAVE_MS 1000
/* PostgreSQL's INDEX_MAX_KEYS: the most columns a key can have. */
#define KEY_MAX 32

/* ---- options ---- */

typedef struct name_arg {
	char *schema; /* NULL: resolved through search_path */
	char *name;
} name_arg;

static struct {
	const char *conninfo;
	name_arg *tables;
	size_t ntables;
	char **schemas;
	size_t nschemas;
	const char *publication;
	const char *where;
	record_format format;
	bool progress;
	int jobs;
	const char *slot;
	bool create_slot;
	const char *lsn_file;
	int64_t split_pages; /* 0: automatic */
	bool truncate;
	const char *state_path;
	const char *ack_path;
	bool online;
	int64_t chunk_rows; /* 0: the mode's default */
	metrics_config metrics;
	colmask *masks; /* --exclude-column, --mask-column, --hash-column */
} opt = {.jobs = 1};

/* ---- the tables and the work ---- */

typedef struct table {
	uint32_t oid;
	char relkind;
	char *schema, *name;
	char *from;   /* "ONLY "schema"."name"" or without ONLY */
	char *select; /* the quoted column list */
	char *filter; /* the publication's row filter, or NULL */
	char *attnames; /* the publication's column list (array text), or NULL */
	size_t ncols;
	record_column *cols;
	pgvalue_norm *norm;
	size_t nkeys;
	uint16_t *keys;
	int64_t pages;
	int units_left;
	uint64_t rows;
	struct timespec started;
	bool begun;
	/* --state and --online */
	long st;          /* the table in the state */
	char *keylist;    /* the quoted key columns, "a, b" */
	buf *cur;         /* nkeys: key (server text) of the last row read */
	bool has_cur;
	bool skip;        /* done in an earlier run */
	bool truncate_first; /* a truncate record before its rows */
	int64_t chunk_read;  /* rows of the current chunk */
	uint64_t rows_before; /* rows durable in earlier runs */
	metric *m_out; /* its records written (--metrics) */
	unsigned char *plan; /* record_mask of each column, or NULL: none masked */
} table;

typedef struct unit {
	table *t;
	int64_t from_page, to_page; /* -1: open; both -1: the whole table */
} unit;

enum wstate { W_IDLE, W_STARTING, W_COPYING };

typedef struct worker {
	PGconn *conn;
	enum wstate state;
	unit *u;
	record rec;
	record_value *vals;
	copytext_field *fields;
	buf *nbufs; /* one normalisation buffer per column */
	size_t cap;
} worker;

static table *tables;
static size_t ntables;
static unit *units;
static size_t nunits, next_unit;
static worker workers[MAX_JOBS];
static int nworkers;

static PGconn *repl;  /* the replication connection that holds the slot's snapshot */
static bool slot_created;
static record_writer *writer;
static uint64_t nrecords;
static char dbname[RECORD_NAME_MAX];
static char stream[POS_STREAM_MAX + 1];
static uint64_t snap_lsn;
static int64_t snap_us;
static int server_version;
static volatile sig_atomic_t stop_signal;
/* A statement failed as cancelled (57014) after a signal had the waits
 * cancelled (pgcancel): fail() says the run was interrupted. */
static bool cancel_hit;
static struct timespec t_start;

/* --state: the copy's progress (snapstate.h); chunked: keyed tables are
 * read in key order, a chunk at a time. */
static snapstate state;
static bool use_state, chunked, resumed;
static int64_t chunk_rows;
static ack_reader *acks;
static struct timespec state_saved;
/* --online, or resuming a handover copy: the slot whose stream carries the
 * chunks. */
static bool online;
static const char *online_slot;
/* The chunk whose low watermark is committed and high watermark is not. */
static struct {
	const table *t;
	char id[48];
	uint64_t chunk;
} open_window;
/* --metrics (all NULL without) */
static metrics *mx;
static struct {
	metric_family *out;
	metric *bytes, *tables, *done;
} mm;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTION]... (-t TABLE... | -n SCHEMA... | -P PUBLICATION)\n"
		"Copy PostgreSQL tables as change records (op \"r\") in one consistent snapshot.\n"
		"\n"
		"  -d, --dbname=CONNINFO     libpq connection string or database name\n"
		"  -t, --table=[SCHEMA.]TABLE  a table to copy (repeatable; SQL identifier rules)\n"
		"  -n, --schema=SCHEMA       every ordinary table of a schema (repeatable)\n"
		"  -P, --publication=NAME    the tables of a publication (with its column lists\n"
		"                            and row filters)\n"
		"      --where=SQL           copy only rows matching SQL, for every table\n"
		"      --truncate            first a truncate record (op \"t\") for every table,\n"
		"                            so that the target ends up equal to the copy\n"
		COLMASK_HELP
		"  -f, --format=FORMAT       json (default) or msgpack\n"
		"  -j, --jobs=N              copy with N connections at once (default 1)\n"
		"      --split-pages=N       cut tables larger than N pages into ranges of N\n"
		"                            pages when -j > 1 (default: automatic)\n"
		"  -S, --slot=NAME           with --create-slot: create logical slot NAME\n"
		"                            (pgoutput) and copy in the snapshot it exports;\n"
		"                            with --online: the slot to backfill into\n"
		"      --create-slot         create the slot named by --slot\n"
		"      --lsn-file=FILE       write the snapshot's LSN to FILE when done\n"
		"      --state=FILE          resumable: keep in FILE how far each table is\n"
		"                            durable downstream; a rerun copies what is missing\n"
		"      --ack=FIFO            with --state: durable means acked on FIFO (as\n"
		"                            mssql-apply and kpub write acks), not just written\n"
		"      --online              backfill into the stream of --slot NAME (an existing\n"
		"                            slot that pgcdc-read streams) while it runs: chunks\n"
		"                            between watermarks in the WAL; nothing on stdout\n"
		"      --chunk-rows=N        rows per chunk with --state or --online\n"
		"      --progress            progress and throughput on stderr\n"
		"      --no-progress         no progress, even on a terminal\n"
		METRICS_HELP
		"  -v, --verbose             more messages (repeatable)\n"
		"  -h, --help                this help\n"
		"  -V, --version             the version\n"
		"\n"
		"Exit status: 0 done; 64 usage; 65 bad --where or data; 66 table, schema or\n"
		"publication not found; 69 PostgreSQL unavailable; 70 internal error;\n"
		"73 --lsn-file or --state not written; 75 interrupted, output closed or not\n"
		"all acked (the copy is partial; with --state, rerun to finish it); 77\n"
		"permission denied; 78 server configuration.\n",
		progname);
}

/* ---- failure: the slot we created is useless without its complete copy ---- */

static void drop_created_slot(void)
{
	if (!slot_created || !repl)
		return;
	slot_created = false;
	/* The next command on this connection ends the exported snapshot,
	 * which no longer matters. */
	char *id = PQescapeIdentifier(repl, opt.slot, strlen(opt.slot));
	char sql[256];
	snprintf(sql, sizeof sql, "DROP_REPLICATION_SLOT %s", id ? id : opt.slot);
	PQfreemem(id);
	PGresult *res = PQexec(repl, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		log_error("cannot drop replication slot %s (%s)", opt.slot,
			  PQerrorMessage(repl));
	else
		log_error("dropped replication slot %s, created by this run", opt.slot);
	PQclear(res);
}

static void close_all(void)
{
	for (int i = 0; i < nworkers; i++) {
		worker *w = &workers[i];
		if (w->conn)
			PQfinish(w->conn);
		w->conn = NULL;
		free(w->vals);
		free(w->fields);
		for (size_t c = 0; c < w->cap; c++)
			buf_free(&w->nbufs[c]);
		free(w->nbufs);
		w->vals = NULL;
		w->fields = NULL;
		w->nbufs = NULL;
		w->cap = 0;
	}
	nworkers = 0;
	if (repl)
		PQfinish(repl);
	repl = NULL;
	if (writer)
		record_writer_free(writer);
	writer = NULL;
	for (size_t i = 0; i < ntables; i++) {
		table *t = &tables[i];
		free(t->schema);
		free(t->name);
		free(t->from);
		free(t->select);
		free(t->filter);
		free(t->attnames);
		for (size_t c = 0; c < t->ncols; c++) {
			free((char *)t->cols[c].name);
			free((char *)t->cols[c].type);
		}
		free(t->cols);
		free(t->norm);
		free(t->keys);
		free(t->keylist);
		for (size_t k = 0; t->cur && k < t->nkeys; k++)
			buf_free(&t->cur[k]);
		free(t->cur);
		free(t->plan);
	}
	free(tables);
	tables = NULL;
	ntables = 0;
	free(units);
	units = NULL;
	for (size_t i = 0; i < opt.ntables; i++) {
		free(opt.tables[i].schema);
		free(opt.tables[i].name);
	}
	free(opt.tables);
	opt.tables = NULL;
	opt.ntables = 0;
	for (size_t i = 0; i < opt.nschemas; i++)
		free(opt.schemas[i]);
	free(opt.schemas);
	opt.schemas = NULL;
	opt.nschemas = 0;
	snapstate_free(&state);
	ack_reader_close(acks);
	acks = NULL;
	colmask_free(opt.masks);
	opt.masks = NULL;
}

static bool state_save(void);
static void abort_open_window(void);

/* Flushes the whole records written so far, drops a slot this run created,
 * and exits. */
static _Noreturn void fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static _Noreturn void fail(int code, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* libpq messages end in a newline; one line per message on stderr. */
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = *(p + 1) ? ' ' : '\0';
	log_error("%s", msg);
	if (cancel_hit) {
		/* the failure is the cancel a signal asked for: an interruption */
		log_error("interrupted by signal %d: what still waited for PostgreSQL was cancelled; the %s is partial",
			  (int)stop_signal, online ? "backfill" : "snapshot");
		code = EX_TEMPFAIL;
	}
	if (writer)
		record_writer_flush(writer);
	/* While its connection is there: a window left open would hold
	 * pgcdc-read's changes of the table until its WAL bound. */
	abort_open_window();
	/* Close the workers before the slot goes, so that its snapshot is no
	 * longer used. */
	for (int i = 0; i < nworkers; i++) {
		if (workers[i].conn)
			PQfinish(workers[i].conn);
		workers[i].conn = NULL;
	}
	if (use_state) {
		/* What is durable stays so; the slot a resumable handover
		 * created is kept for the rerun, which backfills into it. */
		if (writer && !opt.ack_path && record_writer_flush(writer) == 0)
			snapstate_flushed(&state);
		if (state.dirty)
			state_save();
		slot_created = false;
	}
	drop_created_slot();
	close_all();
	exit(code);
}

/* A statement still running PGCANCEL_GRACE_S after a signal (a lock
 * wait: a table locked by DDL or VACUUM FULL, or a slot waiting for the
 * transactions open when it was asked for) is cancelled; a second signal
 * cancels at once. The copy itself stops at the signal (run). */
static void on_signal(int sig)
{
	pgcancel_on_stop_signal(stop_signal ? 2 : 1);
	stop_signal = sig;
}

static double elapsed(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

/* ---- options ---- */

static void add_table_arg(const char *arg)
{
	const char *p = arg;
	char *a = cli_parse_ident(&p);
	char *b = NULL;
	if (a && *p == '.') {
		p++;
		b = cli_parse_ident(&p);
		if (!b) {
			free(a);
			a = NULL;
		}
	}
	if (!a || *p != '\0') {
		free(a);
		free(b);
		fail(EX_USAGE, "bad table name (%s): want TABLE or SCHEMA.TABLE, quoted as in SQL", arg);
	}
	name_arg *n = realloc(opt.tables, (opt.ntables + 1) * sizeof *n);
	if (!n)
		fail(EX_OSERR, "out of memory");
	opt.tables = n;
	opt.tables[opt.ntables].schema = b ? a : NULL;
	opt.tables[opt.ntables].name = b ? b : a;
	opt.ntables++;
}

static void add_schema_arg(const char *arg)
{
	const char *p = arg;
	char *a = cli_parse_ident(&p);
	if (!a || *p != '\0') {
		free(a);
		fail(EX_USAGE, "bad schema name (%s)", arg);
	}
	char **n = realloc(opt.schemas, (opt.nschemas + 1) * sizeof *n);
	if (!n)
		fail(EX_OSERR, "out of memory");
	opt.schemas = n;
	opt.schemas[opt.nschemas++] = a;
}

static void parse_options(int argc, char **argv)
{
	enum { OPT_WHERE = 256, OPT_CREATE_SLOT, OPT_LSN_FILE, OPT_PROGRESS, OPT_NO_PROGRESS,
	       OPT_SPLIT_PAGES, OPT_TRUNCATE, OPT_STATE, OPT_ACK, OPT_ONLINE, OPT_CHUNK_ROWS, OPT_METRICS,
	       OPT_METRICS_2, OPT_METRICS_3, OPT_MASK, OPT_MASK_2, OPT_MASK_3, OPT_MASK_4, OPT_MASK_5 };
	static const struct option longopts[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"table", required_argument, NULL, 't'},
		{"schema", required_argument, NULL, 'n'},
		{"publication", required_argument, NULL, 'P'},
		{"where", required_argument, NULL, OPT_WHERE},
		{"truncate", no_argument, NULL, OPT_TRUNCATE},
		{"format", required_argument, NULL, 'f'},
		{"jobs", required_argument, NULL, 'j'},
		{"split-pages", required_argument, NULL, OPT_SPLIT_PAGES},
		{"slot", required_argument, NULL, 'S'},
		{"create-slot", no_argument, NULL, OPT_CREATE_SLOT},
		{"lsn-file", required_argument, NULL, OPT_LSN_FILE},
		{"state", required_argument, NULL, OPT_STATE},
		{"ack", required_argument, NULL, OPT_ACK},
		{"online", no_argument, NULL, OPT_ONLINE},
		{"chunk-rows", required_argument, NULL, OPT_CHUNK_ROWS},
		{"progress", no_argument, NULL, OPT_PROGRESS},
		{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
		METRICS_LONGOPTS(OPT_METRICS),
		COLMASK_LONGOPTS(OPT_MASK),
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int progress = -1;
	int c;
	if (!(opt.masks = colmask_new()))
		fail(EX_OSERR, "out of memory");
	while ((c = getopt_long(argc, argv, "d:t:n:P:f:j:S:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': opt.conninfo = optarg; break;
		case 't': add_table_arg(optarg); break;
		case 'n': add_schema_arg(optarg); break;
		case 'P':
			if (opt.publication)
				fail(EX_USAGE, "only one --publication");
			opt.publication = optarg;
			break;
		case OPT_WHERE:
			if (opt.where)
				fail(EX_USAGE, "only one --where (it applies to every table)");
			opt.where = optarg;
			break;
		case 'f':
			if (record_format_parse(optarg, &opt.format) != 0)
				fail(EX_USAGE, "bad --format (%s): json or msgpack", optarg);
			break;
		case 'j': {
			long long v;
			if (cli_parse_int(optarg, 1, MAX_JOBS, &v) < 0)
				fail(EX_USAGE, "bad --jobs (%s): 1 to %d", optarg, MAX_JOBS);
			opt.jobs = (int)v;
			break;
		}
		case OPT_SPLIT_PAGES: {
			long long v;
			if (cli_parse_int(optarg, 1, INT64_MAX, &v) < 0)
				fail(EX_USAGE, "bad --split-pages (%s): a number of pages", optarg);
			opt.split_pages = v;
			break;
		}
		case 'S': opt.slot = optarg; break;
		case OPT_TRUNCATE: opt.truncate = true; break;
		case OPT_CREATE_SLOT: opt.create_slot = true; break;
		case OPT_LSN_FILE: opt.lsn_file = optarg; break;
		case OPT_STATE: opt.state_path = optarg; break;
		case OPT_ACK: opt.ack_path = optarg; break;
		case OPT_ONLINE: opt.online = true; break;
		case OPT_CHUNK_ROWS: {
			long long v;
			if (cli_parse_int(optarg, 1, 100000000, &v) < 0)
				fail(EX_USAGE, "bad --chunk-rows (%s): 1 to 100000000", optarg);
			opt.chunk_rows = v;
			break;
		}
		case OPT_PROGRESS: progress = 1; break;
		case OPT_NO_PROGRESS: progress = 0; break;
		case OPT_METRICS:
		case OPT_METRICS_2:
		case OPT_METRICS_3: {
			char e[256];
			if (metrics_config_option(&opt.metrics, c - OPT_METRICS, optarg, e, sizeof e) < 0)
				fail(EX_USAGE, "%s", e);
			break;
		}
		case OPT_MASK:
		case OPT_MASK_2:
		case OPT_MASK_3:
		case OPT_MASK_4:
		case OPT_MASK_5: {
			char e[512];
			if (colmask_option(opt.masks, c - OPT_MASK, optarg, e, sizeof e) < 0)
				fail(EX_USAGE, "%s", e);
			break;
		}
		case 'v': log_verbosity++; break;
		case 'h': usage(stdout); close_all(); exit(0);
		case 'V': print_version(); close_all(); exit(0);
		default:
			fail(EX_USAGE, "bad usage (see %s --help)", progname);
		}
	}
	if (optind < argc)
		fail(EX_USAGE, "unexpected argument (%s)", argv[optind]);
	if (!opt.ntables && !opt.nschemas && !opt.publication)
		fail(EX_USAGE, "nothing to copy: give -t TABLE, -n SCHEMA or -P PUBLICATION");
	if (opt.truncate && opt.where)
		fail(EX_USAGE, "--truncate empties whole tables and --where copies part of them: "
			       "use one or the other");
	if (opt.create_slot && !opt.slot)
		fail(EX_USAGE, "--create-slot needs --slot NAME");
	if (opt.slot && !opt.create_slot && !opt.online)
		fail(EX_USAGE,
		     "--slot %s without --create-slot: an existing slot cannot export a snapshot, "
		     "so there is no consistent point to copy at; create a new slot with "
		     "--slot NAME --create-slot, backfill into it with --online, or copy without --slot",
		     opt.slot);
	if (opt.online && (!opt.slot || opt.create_slot))
		fail(EX_USAGE, "--online backfills into the stream of an existing slot: give --slot NAME "
			       "(without --create-slot)");
	if (opt.online && (opt.jobs > 1 || opt.split_pages || opt.lsn_file))
		fail(EX_USAGE, "--online reads one chunk at a time: no --jobs, --split-pages or --lsn-file");
	if (opt.online && opt.ack_path)
		fail(EX_USAGE, "--online writes its records into the WAL, not on stdout: the --ack of "
			       "pgcdc-read confirms them");
	if (opt.ack_path && !opt.state_path)
		fail(EX_USAGE, "--ack says when records are durable for --state; give --state FILE too");
	if (opt.slot && !replconn_slot_name_valid(opt.slot))
		fail(EX_USAGE, "bad slot name (%s): lower case letters, digits and _, at most 63",
		     opt.slot);
	opt.progress = progress < 0 ? log_progress_default() : progress == 1;
	char e[512];
	if (colmask_finish(opt.masks, e, sizeof e) < 0)
		fail(EX_CONFIG, "%s", e);
	/* pgcdc-read writes a backfill's rows, as it writes the stream's
	 * changes, and masks both alike: rules here would mask twice. */
	if (opt.online && colmask_any(opt.masks))
		fail(EX_USAGE, "--online: the backfilled rows leave through pgcdc-read, whose --exclude-column, "
			       "--mask-column and --hash-column apply to them as to the stream; give the masks "
			       "to pgcdc-read, not here");
}

/* ---- connections ---- */

static PGconn *connect_pg(bool replication)
{
	PGconn *conn = replconn_connect(opt.conninfo, replication, "snapshot");
	if (!conn)
		fail(EX_OSERR, "out of memory");
	if (PQstatus(conn) != CONNECTION_OK) {
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", PQerrorMessage(conn));
		PQfinish(conn);
		fail(EX_UNAVAILABLE, "cannot connect to PostgreSQL (%s)", msg);
	}
	return conn;
}

/* A statement that failed with state: was it the cancel of a stop? */
static void note_cancel(const char *state)
{
	if (stop_signal && pgcancel_asked() && state && !strcmp(state, "57014"))
		cancel_hit = true;
}

/* Runs a statement that must succeed; params may be NULL. */
static PGresult *exec_ok(PGconn *conn, const char *what, const char *sql, int nparams,
			 const char *const *params)
{
	log_debug("%s: %s", what, sql);
	PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	note_cancel(state);
	int code = PQstatus(conn) != CONNECTION_OK ? EX_UNAVAILABLE
		 : state && !strcmp(state, "42501") ? EX_NOPERM
		 : EX_SOFTWARE;
	char msg[1024];
	snprintf(msg, sizeof msg, "%s", PQerrorMessage(conn));
	PQclear(res);
	fail(code, "%s failed (%s)", what, msg);
}

static void exec_cmd(PGconn *conn, const char *what, const char *sql)
{
	PQclear(exec_ok(conn, what, sql, 0, NULL));
}

/* BEGIN and SET TRANSACTION SNAPSHOT, as every worker does. */
static void import_snapshot(PGconn *conn, const char *snapshot_name)
{
	exec_cmd(conn, "begin", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	char *lit = PQescapeLiteral(conn, snapshot_name, strlen(snapshot_name));
	if (!lit)
		fail(EX_OSERR, "out of memory");
	char sql[256];
	snprintf(sql, sizeof sql, "SET TRANSACTION SNAPSHOT %s", lit);
	PQfreemem(lit);
	exec_cmd(conn, "import of the snapshot", sql);
}

static void create_slot(char *snapshot_name, size_t len)
{
	repl = connect_pg(true);
	char sql[256];
	/* The name was validated: [a-z0-9_] needs no quoting. */
	snprintf(sql, sizeof sql, "CREATE_REPLICATION_SLOT %s LOGICAL pgoutput EXPORT_SNAPSHOT", opt.slot);
	log_debug("slot: %s", sql);
	PGresult *res = PQexec(repl, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		note_cancel(state);
		int code = EX_UNAVAILABLE;
		if (state && !strcmp(state, "42710"))
			code = EX_USAGE; /* the slot exists */
		else if (state && (!strcmp(state, "55000") || !strcmp(state, "53400") ||
				   !strcmp(state, "42501")))
			code = EX_CONFIG; /* wal_level, max_replication_slots, privileges */
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", PQerrorMessage(repl));
		PQclear(res);
		fail(code, "cannot create replication slot %s (%s)", opt.slot, msg);
	}
	slot_created = true;
	if (PQntuples(res) != 1 || PQnfields(res) < 3 ||
	    pos_lsn_parse(PQgetvalue(res, 0, 1), &snap_lsn) != 0) {
		PQclear(res);
		fail(EX_PROTOCOL, "unexpected answer to CREATE_REPLICATION_SLOT");
	}
	snprintf(snapshot_name, len, "%s", PQgetvalue(res, 0, 2));
	PQclear(res);
}

/* ---- catalog ---- */

static table *add_table(uint32_t oid, const char *schema, const char *name, char relkind,
			const char *attnames, const char *filter)
{
	for (size_t i = 0; i < ntables; i++)
		if (tables[i].oid == oid)
			return &tables[i];
	table *n = realloc(tables, (ntables + 1) * sizeof *n);
	if (!n)
		fail(EX_OSERR, "out of memory");
	tables = n;
	table *t = &tables[ntables++];
	memset(t, 0, sizeof *t);
	t->oid = oid;
	t->relkind = relkind;
	t->schema = strdup(schema);
	t->name = strdup(name);
	t->attnames = attnames ? strdup(attnames) : NULL;
	t->filter = filter ? strdup(filter) : NULL;
	if (!t->schema || !t->name || (attnames && !t->attnames) || (filter && !t->filter))
		fail(EX_OSERR, "out of memory");
	return t;
}

static void resolve_tables(PGconn *conn)
{
	static const char by_name[] =
		"SELECT c.oid, n.nspname, c.relname, c.relkind FROM pg_class c "
		"JOIN pg_namespace n ON n.oid = c.relnamespace "
		"WHERE c.oid = to_regclass(CASE WHEN $1::text IS NULL THEN '' ELSE quote_ident($1::text) || '.' END "
		"|| quote_ident($2::text))";
	for (size_t i = 0; i < opt.ntables; i++) {
		const char *p[2] = {opt.tables[i].schema, opt.tables[i].name};
		PGresult *res = exec_ok(conn, "table lookup", by_name, 2, p);
		if (PQntuples(res) != 1) {
			PQclear(res);
			fail(EX_NOINPUT, "table not found (%s%s%s)", p[0] ? p[0] : "", p[0] ? "." : "", p[1]);
		}
		char kind = PQgetvalue(res, 0, 3)[0];
		if (!strchr("rpvmf", kind)) {
			PQclear(res);
			fail(EX_USAGE, "not a table (%s%s%s)", p[0] ? p[0] : "", p[0] ? "." : "", p[1]);
		}
		add_table((uint32_t)strtoul(PQgetvalue(res, 0, 0), NULL, 10), PQgetvalue(res, 0, 1),
			  PQgetvalue(res, 0, 2), kind, NULL, NULL);
		PQclear(res);
	}

	/* Ordinary tables only: partitions are ordinary tables and are copied
	 * one by one, as pgoutput publishes them by default. */
	static const char by_schema[] =
		"SELECT c.oid, n.nspname, c.relname, c.relkind FROM pg_class c "
		"JOIN pg_namespace n ON n.oid = c.relnamespace "
		"WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY c.relname";
	for (size_t i = 0; i < opt.nschemas; i++) {
		const char *p[1] = {opt.schemas[i]};
		PGresult *res = exec_ok(conn, "schema lookup",
					"SELECT 1 FROM pg_namespace WHERE nspname = $1", 1, p);
		int found = PQntuples(res);
		PQclear(res);
		if (!found)
			fail(EX_NOINPUT, "schema not found (%s)", p[0]);
		res = exec_ok(conn, "schema tables", by_schema, 1, p);
		if (PQntuples(res) == 0)
			log_error("warning: schema %s has no tables", p[0]);
		for (int r = 0; r < PQntuples(res); r++)
			add_table((uint32_t)strtoul(PQgetvalue(res, r, 0), NULL, 10), PQgetvalue(res, r, 1),
				  PQgetvalue(res, r, 2), PQgetvalue(res, r, 3)[0], NULL, NULL);
		PQclear(res);
	}

	if (opt.publication) {
		const char *p[1] = {opt.publication};
		PGresult *res = exec_ok(conn, "publication lookup",
					"SELECT 1 FROM pg_publication WHERE pubname = $1", 1, p);
		int found = PQntuples(res);
		PQclear(res);
		if (!found)
			fail(EX_NOINPUT, "publication not found (%s)", p[0]);
		/* PostgreSQL 15 publications may publish some columns and rows only;
		 * copy exactly what the slot will stream. */
		const char *sql = server_version >= 150000
			? "SELECT c.oid, n.nspname, c.relname, c.relkind, pt.attnames::text, pt.rowfilter "
			  "FROM pg_publication_tables pt JOIN pg_namespace n ON n.nspname = pt.schemaname "
			  "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename "
			  "WHERE pt.pubname = $1 ORDER BY 2, 3"
			: "SELECT c.oid, n.nspname, c.relname, c.relkind, NULL, NULL "
			  "FROM pg_publication_tables pt JOIN pg_namespace n ON n.nspname = pt.schemaname "
			  "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename "
			  "WHERE pt.pubname = $1 ORDER BY 2, 3";
		res = exec_ok(conn, "publication tables", sql, 1, p);
		if (PQntuples(res) == 0)
			log_error("warning: publication %s has no tables", p[0]);
		for (int r = 0; r < PQntuples(res); r++)
			add_table((uint32_t)strtoul(PQgetvalue(res, r, 0), NULL, 10), PQgetvalue(res, r, 1),
				  PQgetvalue(res, r, 2), PQgetvalue(res, r, 3)[0],
				  PQgetisnull(res, r, 4) ? NULL : PQgetvalue(res, r, 4),
				  PQgetisnull(res, r, 5) ? NULL : PQgetvalue(res, r, 5));
		PQclear(res);
	}
}

static char *quote_ident(PGconn *conn, const char *s)
{
	char *q = PQescapeIdentifier(conn, s, strlen(s));
	if (!q)
		fail(EX_OSERR, "cannot quote identifier (%s)", s);
	char *r = strdup(q);
	PQfreemem(q);
	if (!r)
		fail(EX_OSERR, "out of memory");
	return r;
}

/* What --exclude-column, --mask-column and --hash-column do to the
 * table's columns: the plan (the records' masks), and the type each column
 * carries in the records. A key column excluded or masked with a fixed text stops
 * the copy (exit 78): a key must stay a key. */
static void plan_masks(PGconn *conn, table *t)
{
	if (!colmask_any(opt.masks))
		return;
	char err[512];
	/* A partition (snapshot -n, -P) takes its parents' rules too. */
	char **parents;
	size_t nparents;
	if (colmask_parents(conn, t->oid, &parents, &nparents, err, sizeof err) < 0)
		fail(EX_UNAVAILABLE, "%s", err);
	t->plan = malloc(t->ncols ? t->ncols : 1);
	if (!t->plan)
		fail(EX_OSERR, "out of memory");
	int rc = colmask_plan(opt.masks, t->schema, t->name, parents, nparents, t->cols, t->ncols, t->keys,
			      t->nkeys, t->plan, err, sizeof err);
	free(parents);
	if (rc < 0)
		fail(EX_CONFIG, "%s", err);
	if (rc == 0) {
		free(t->plan);
		t->plan = NULL;
		return;
	}
	for (size_t i = 0; i < t->ncols; i++) {
		record_mask mk = (record_mask)t->plan[i];
		const char *type = colmask_type(mk, t->cols[i].type);
		if (type != t->cols[i].type) {
			char *nt = strdup(type);
			if (!nt)
				fail(EX_OSERR, "out of memory");
			free((char *)t->cols[i].type);
			t->cols[i].type = nt;
		}
	}
}

/* Columns (attnum order, dropped and generated ones skipped: pgoutput does
 * not publish generated columns), the base type of each (domains resolved,
 * as pgcdc-read names them) as format_type prints it and its OID for
 * normalisation, the key, and the size in pages. */
static void describe_table(PGconn *conn, table *t)
{
	static const char cols_sql[] =
		"WITH RECURSIVE base(attnum, typ, mod) AS ("
		"  SELECT a.attnum, a.atttypid, a.atttypmod FROM pg_attribute a"
		"  WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped"
		"  UNION ALL"
		"  SELECT b.attnum, ty.typbasetype,"
		"    CASE WHEN ty.typtypmod <> -1 THEN ty.typtypmod ELSE b.mod END"
		"  FROM base b JOIN pg_type ty ON ty.oid = b.typ"
		"  WHERE ty.typtype = 'd')"
		"SELECT a.attnum, a.attname, format_type(b.typ, b.mod), b.typ::int8 "
		"FROM pg_attribute a JOIN base b ON b.attnum = a.attnum"
		"  JOIN pg_type ty ON ty.oid = b.typ AND ty.typtype <> 'd' "
		"WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''"
		"  AND ($2::name[] IS NULL OR a.attname = ANY ($2::name[])) "
		"ORDER BY a.attnum";
	/* The primary key, else the replica identity index. */
	static const char key_sql[] =
		"SELECT k.attnum FROM (SELECT indkey FROM pg_index WHERE indrelid = $1::oid"
		"  AND (indisprimary OR indisreplident) ORDER BY indisprimary DESC LIMIT 1) i,"
		"  unnest(i.indkey) WITH ORDINALITY k(attnum, ord) ORDER BY k.ord";
	static const char pages_sql[] =
		"SELECT CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(pg_relation_size(relid)), 0)"
		"  FROM pg_partition_tree(c.oid)) ELSE pg_relation_size(c.oid) END"
		"  / current_setting('block_size')::int8 FROM pg_class c WHERE c.oid = $1::oid";
	char oid[16];
	snprintf(oid, sizeof oid, "%u", t->oid);
	const char *p[2] = {oid, t->attnames};

	PGresult *res = exec_ok(conn, "column lookup", cols_sql, 2, p);
	int n = PQntuples(res);
	if (n > RECORD_MAX_COLUMNS) {
		PQclear(res);
		fail(EX_DATAERR, "too many columns (%s.%s)", t->schema, t->name);
	}
	int16_t *attnums = calloc((size_t)n + 1, sizeof *attnums);
	t->cols = calloc((size_t)n + 1, sizeof *t->cols);
	t->norm = calloc((size_t)n + 1, sizeof *t->norm);
	if (!attnums || !t->cols || !t->norm)
		fail(EX_OSERR, "out of memory");
	for (int i = 0; i < n; i++) {
		attnums[i] = (int16_t)atoi(PQgetvalue(res, i, 0));
		t->cols[i].name = strdup(PQgetvalue(res, i, 1));
		t->cols[i].type = strdup(PQgetvalue(res, i, 2));
		if (!t->cols[i].name || !t->cols[i].type)
			fail(EX_OSERR, "out of memory");
		t->ncols++;
		t->norm[i] = pgvalue_norm_for_type((uint32_t)strtoul(PQgetvalue(res, i, 3), NULL, 10));
	}
	PQclear(res);

	res = exec_ok(conn, "key lookup", key_sql, 1, p);
	int nk = PQntuples(res);
	t->keys = calloc((size_t)nk + 1, sizeof *t->keys);
	if (!t->keys)
		fail(EX_OSERR, "out of memory");
	for (int k = 0; k < nk; k++) {
		int16_t a = (int16_t)atoi(PQgetvalue(res, k, 0));
		int found = -1;
		for (int i = 0; i < n; i++)
			if (attnums[i] == a)
				found = i;
		if (found < 0) {
			/* A key column that is not copied (a publication column list
			 * without it): a partial key would merge wrong rows. */
			log_error("warning: key of %s.%s is not among the copied columns; records carry no key",
				  t->schema, t->name);
			t->nkeys = 0;
			break;
		}
		t->keys[t->nkeys++] = (uint16_t)found;
	}
	PQclear(res);
	free(attnums);
	plan_masks(conn, t);

	/* An excluded column is not even read: NULL in its place. */
	buf sel;
	buf_init(&sel, 0);
	for (size_t i = 0; i < t->ncols; i++) {
		char *q = t->plan && t->plan[i] == RECORD_MASK_EXCLUDED ? strdup("NULL") : quote_ident(conn, t->cols[i].name);
		if (!q || (i && buf_puts(&sel, ", ")) || buf_puts(&sel, q))
			fail(EX_OSERR, "out of memory");
		free(q);
	}
	if (buf_terminate(&sel))
		fail(EX_OSERR, "out of memory");
	t->select = strdup(sel.data ? sel.data : "");
	buf_free(&sel);
	if (!t->select)
		fail(EX_OSERR, "out of memory");

	res = exec_ok(conn, "size lookup", pages_sql, 1, p);
	t->pages = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);

	char *qs = quote_ident(conn, t->schema), *qn = quote_ident(conn, t->name);
	size_t len = strlen(qs) + strlen(qn) + 8;
	t->from = malloc(len);
	if (!t->from)
		fail(EX_OSERR, "out of memory");
	/* ONLY: a parent in table inheritance would otherwise repeat its
	 * children's rows, which are copied as tables of their own. */
	snprintf(t->from, len, "%s%s.%s", t->relkind == 'r' ? "ONLY " : "", qs, qn);
	free(qs);
	free(qn);

	/* Key order, for chunks: "ORDER BY a, b" and "(a, b) > (…)". */
	buf kl;
	buf_init(&kl, 0);
	t->cur = calloc(t->nkeys ? t->nkeys : 1, sizeof *t->cur);
	if (!t->cur)
		fail(EX_OSERR, "out of memory");
	for (size_t k = 0; k < t->nkeys; k++) {
		buf_init(&t->cur[k], 0);
		char *q = quote_ident(conn, t->cols[t->keys[k]].name);
		if ((k && buf_puts(&kl, ", ")) || buf_puts(&kl, q))
			fail(EX_OSERR, "out of memory");
		free(q);
	}
	if (buf_terminate(&kl) || !(t->keylist = strdup(kl.data ? kl.data : "")))
		fail(EX_OSERR, "out of memory");
	buf_free(&kl);
	t->st = -1;
	if (mm.out) {
		char name[2 * RECORD_NAME_MAX + 2];
		snprintf(name, sizeof name, "%s.%s", t->schema, t->name);
		t->m_out = metric_get(mm.out, name);
	}
}

/* ---- planning ---- */

static int cmp_units(const void *a, const void *b)
{
	const unit *x = a, *y = b;
	int64_t px = x->to_page >= 0 ? x->to_page - x->from_page
		   : x->t->pages - (x->from_page > 0 ? x->from_page : 0);
	int64_t py = y->to_page >= 0 ? y->to_page - y->from_page
		   : y->t->pages - (y->from_page > 0 ? y->from_page : 0);
	if (px != py)
		return px > py ? -1 : 1;
	return x < y ? -1 : (x > y);
}

static void plan_units(void)
{
	int64_t total = 0;
	for (size_t i = 0; i < ntables; i++)
		total += ntables ? tables[i].pages : 0;
	/* TID range scans (PostgreSQL 14) make a range cost what it holds. */
	bool can_split = opt.jobs > 1 && server_version >= 140000;
	int64_t chunk = opt.split_pages;
	if (!chunk) {
		chunk = (total + opt.jobs * 2 - 1) / (opt.jobs * 2);
		if (chunk < SPLIT_MIN_PAGES)
			chunk = SPLIT_MIN_PAGES;
	}
	size_t cap = 0;
	for (size_t i = 0; i < ntables; i++) {
		table *t = &tables[i];
		if (t->skip) {
			t->units_left = 0;
			continue;
		}
		int64_t parts = 1;
		/* A keyed table of a resumable copy is read in key order, by one
		 * worker, a chunk at a time. */
		if (can_split && t->relkind == 'r' && t->pages > chunk && !(chunked && t->nkeys))
			parts = (t->pages + chunk - 1) / chunk;
		if (nunits + (size_t)parts > cap) {
			cap = (nunits + (size_t)parts) * 2;
			unit *n = realloc(units, cap * sizeof *n);
			if (!n)
				fail(EX_OSERR, "out of memory");
			units = n;
		}
		for (int64_t k = 0; k < parts; k++) {
			unit *u = &units[nunits++];
			u->t = t;
			if (parts == 1) {
				u->from_page = u->to_page = -1;
			} else {
				u->from_page = k == 0 ? -1 : k * chunk;
				/* The last range is open: pages the table gained since
				 * its size was read hold nothing this snapshot sees,
				 * but an open end costs nothing and is surely right. */
				u->to_page = k == parts - 1 ? -1 : (k + 1) * chunk;
			}
		}
		t->units_left = (int)parts;
	}
	/* Largest first, so that no worker is left with a big table at the end. */
	if (opt.jobs > 1 && nunits > 1)
		qsort(units, nunits, sizeof *units, cmp_units);
	if (log_verbosity >= 2)
		for (size_t i = 0; i < nunits; i++)
			log_debug("unit %zu: %s.%s pages %" PRId64 "..%" PRId64, i, units[i].t->schema,
				  units[i].t->name, units[i].from_page, units[i].to_page);
}

/* ---- copying ---- */

/* ---- metrics ---- */

static void write_metrics(bool now)
{
	if (!mx || (!now && !metrics_due(mx)))
		return;
	size_t done = 0;
	for (size_t i = 0; i < ntables; i++)
		done += tables[i].units_left == 0;
	metric_set(mm.tables, (double)ntables);
	metric_set(mm.done, (double)done);
	if (writer)
		metric_set_total(mm.bytes, record_writer_bytes(writer));
	(void)metrics_write(mx);
}

static void open_metrics(void)
{
	mx = metrics_start(&opt.metrics);
	if (!mx)
		return;
	mm.out = metrics_family(mx, "dbrepl_records_out_total", "table");
	mm.bytes = metric_get(metrics_family(mx, "dbrepl_bytes_out_total", NULL));
	mm.tables = metric_get(metrics_family(mx, "dbrepl_snapshot_tables", NULL));
	mm.done = metric_get(metrics_family(mx, "dbrepl_snapshot_tables_done", NULL));
}

static void progress_line(bool force)
{
	static struct timespec last;
	static uint64_t last_rows;
	if (!opt.progress)
		return;
	if (last.tv_sec == 0 && last.tv_nsec == 0)
		last = t_start;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double dt = (double)(now.tv_sec - last.tv_sec) + (double)(now.tv_nsec - last.tv_nsec) / 1e9;
	if (!force && dt < 1.0)
		return;
	size_t done = 0;
	for (size_t i = 0; i < ntables; i++)
		done += tables[i].units_left == 0;
	fprintf(stderr, "%s: %" PRIu64 " rows, %.0f rows/s, %zu/%zu tables done\n", progname, nrecords,
		dt > 0 ? (double)(nrecords - last_rows) / dt : 0.0, done, ntables);
	last = now;
	last_rows = nrecords;
}

static void worker_prepare(worker *w, table *t)
{
	size_t need = t->ncols ? t->ncols : 1;
	if (need > w->cap) {
		record_value *v = realloc(w->vals, need * sizeof *v);
		if (v)
			w->vals = v;
		copytext_field *f = realloc(w->fields, need * sizeof *f);
		if (f)
			w->fields = f;
		buf *b = realloc(w->nbufs, need * sizeof *b);
		if (b)
			w->nbufs = b;
		if (!v || !f || !b)
			fail(EX_OSERR, "out of memory");
		for (size_t c = w->cap; c < need; c++)
			buf_init(&w->nbufs[c], 0);
		w->cap = need;
	}
	/* The record points at the table's names and at the row's own bytes:
	 * nothing is copied per row. */
	record *r = &w->rec;
	memset(r, 0, sizeof *r);
	r->version = RECORD_FORMAT_VERSION;
	r->op = RECORD_OP_READ;
	r->db = dbname;
	r->schema = t->schema;
	r->table = t->name;
	r->ncols = t->ncols;
	r->cols = t->cols;
	r->masks = t->plan;
	r->nkeys = t->nkeys;
	r->keys = t->keys;
	r->has_after = true;
	r->after = w->vals;
	r->lsn = snap_lsn;
	r->xid = 0;
	r->commit_us = snap_us;
	memcpy(r->stream, stream, sizeof r->stream);
	r->offset.lsn = opt.slot != NULL;
}

/* The conditions every read of t has: --where and the publication's row
 * filter. *sep joins the next condition. */
static int append_filters(buf *q, const table *t, const char **sep)
{
	int rc = 0;
	if (opt.where) {
		rc |= buf_printf(q, "%s(%s)", *sep, opt.where);
		*sep = " AND ";
	}
	if (t->filter) {
		rc |= buf_printf(q, "%s(%s)", *sep, t->filter);
		*sep = " AND ";
	}
	return rc;
}

/* The COPY of t's next chunk in key order: the rows after the last key
 * read, at most limit of them. The key values are literals (COPY takes no
 * parameters), escaped, and of no stated type: the comparison with each
 * key column gives each the column's type, as the server printed it. */
static void chunk_copy_sql(PGconn *conn, const table *t, int64_t limit, buf *q)
{
	buf_reset(q);
	int rc = buf_printf(q, "COPY (SELECT %s FROM %s", t->select, t->from);
	const char *sep = " WHERE ";
	rc |= append_filters(q, t, &sep);
	if (t->has_cur) {
		rc |= buf_printf(q, "%s(%s) > (", sep, t->keylist);
		for (size_t k = 0; k < t->nkeys; k++) {
			char *lit = PQescapeLiteral(conn, t->cur[k].data ? t->cur[k].data : "", t->cur[k].len);
			if (!lit)
				fail(EX_OSERR, "cannot quote a key value of %s.%s (%s)", t->schema, t->name,
				     PQerrorMessage(conn));
			rc |= buf_printf(q, "%s%s", k ? ", " : "", lit);
			PQfreemem(lit);
		}
		rc |= buf_putc(q, ')');
	}
	rc |= buf_printf(q, " ORDER BY %s LIMIT %" PRId64 ") TO STDOUT", t->keylist, limit);
	if (rc || buf_terminate(q))
		fail(EX_OSERR, "out of memory");
}

/* The COPY of one range of pages of a table (or all of it). */
static void unit_copy_sql(const unit *u, buf *q)
{
	const table *t = u->t;
	int rc = buf_printf(q, "COPY (SELECT %s FROM %s", t->select, t->from);
	const char *sep = " WHERE ";
	rc |= append_filters(q, t, &sep);
	if (u->from_page >= 0) {
		rc |= buf_printf(q, "%sctid >= '(%" PRId64 ",0)'::tid", sep, u->from_page);
		sep = " AND ";
	}
	if (u->to_page >= 0)
		rc |= buf_printf(q, "%sctid < '(%" PRId64 ",0)'::tid", sep, u->to_page);
	rc |= buf_puts(q, ") TO STDOUT");
	if (rc || buf_terminate(q))
		fail(EX_OSERR, "out of memory");
}

static void start_unit(worker *w, unit *u)
{
	table *t = u->t;
	worker_prepare(w, t);
	buf q;
	buf_init(&q, 0);
	t->chunk_read = 0;
	if (chunked && t->nkeys)
		chunk_copy_sql(w->conn, t, chunk_rows, &q);
	else
		unit_copy_sql(u, &q);
	log_debug("copy: %s", q.data);
	/* The extended protocol takes one statement only: a --where cannot
	 * smuggle in a second one (and the transaction is read-only anyway). */
	if (!PQsendQueryParams(w->conn, q.data, 0, NULL, NULL, NULL, NULL, 0)) {
		buf_free(&q);
		fail(EX_UNAVAILABLE, "cannot send COPY for %s.%s (%s)", t->schema, t->name,
		     PQerrorMessage(w->conn));
	}
	buf_free(&q);
	w->u = u;
	w->state = W_STARTING;
	if (!t->begun) {
		t->begun = true;
		clock_gettime(CLOCK_MONOTONIC, &t->started);
	}
}

static _Noreturn void copy_failed(worker *w, PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char msg[1024];
	snprintf(msg, sizeof msg, "%s", res ? PQresultErrorMessage(res) : PQerrorMessage(w->conn));
	/* Class 42 (syntax, undefined column…) and 22 (data exception) come
	 * from what the user wrote: --where, or a publication's row filter. */
	int code = EX_UNAVAILABLE;
	if (state && !strcmp(state, "42501"))
		code = EX_NOPERM;
	else if (state && (!strncmp(state, "42", 2) || !strncmp(state, "22", 2)))
		code = EX_DATAERR;
	else if (state && !strncmp(state, "40", 2))
		code = EX_TEMPFAIL;
	PQclear(res);
	fail(code, "cannot copy %s.%s (%s)", w->u->t->schema, w->u->t->name, msg);
}

/* Ordinals follow stdout: this is the one place records are written. */
static void put_record(record *r)
{
	nrecords++;
	r->seq = nrecords;
	if (opt.slot) {
		r->offset.major = snap_lsn - 1;
		r->offset.minor = nrecords;
	} else {
		r->offset.major = nrecords;
		r->offset.minor = 0;
	}
	if (record_writer_put(writer, r) != 0) {
		int e = errno;
		nrecords--;
		fail(EX_TEMPFAIL, "cannot write records (%s); the snapshot is partial", strerror(e));
	}
}

/* The offset of the record written last. */
static pos_offset last_offset(void)
{
	pos_offset o = {.major = nrecords, .minor = 0, .lsn = false};
	if (opt.slot && !online)
		o = (pos_offset){.major = snap_lsn - 1, .minor = nrecords, .lsn = true};
	return o;
}

/* A value of a masked column; false when it goes on as it is (a null). */
static bool put_masked(worker *w, const table *t, size_t i, const copytext_field *f, record_value *v)
{
	record_mask mk = (record_mask)t->plan[i];
	if (mk == RECORD_MASK_EXCLUDED) {
		v->kind = VALUE_ABSENT;
		v->data = NULL;
		v->len = 0;
		return true;
	}
	if (f->null)
		return false;
	v->kind = VALUE_TEXT;
	if (mk == RECORD_MASK_FIXED) {
		v->data = colmask_text(opt.masks, &v->len);
		return true;
	}
	/* SHA-256 of the text the record would have carried */
	const char *res = f->data;
	size_t reslen = f->len;
	buf *b = &w->nbufs[i];
	if (t->norm[i] != PGVALUE_AS_IS &&
	    pgvalue_normalize(t->norm[i], f->data, f->len, b, &res, &reslen) != 0)
		fail(EX_DATAERR, "value of %s.%s.%s not understood", t->schema, t->name, t->cols[i].name);
	char hex[COLMASK_HEX_LEN + 1];
	if (colmask_hash(opt.masks, res, reslen, hex) < 0)
		fail(EX_SOFTWARE, "hashing a value of %s.%s.%s failed", t->schema, t->name, t->cols[i].name);
	buf_reset(b);
	if (buf_append(b, hex, COLMASK_HEX_LEN + 1) != 0)
		fail(EX_OSERR, "out of memory");
	v->data = b->data;
	v->len = COLMASK_HEX_LEN;
	return true;
}

/* Turns one COPY row of t into w->rec's after image, and keeps its key
 * for the next chunk when t is read in chunks. */
static void row_to_record(worker *w, table *t, char *row, int len)
{
	if (t->ncols == 0) {
		if (len > 1 || (len == 1 && row[0] != '\n'))
			fail(EX_PROTOCOL, "COPY row of %s.%s has fields, the table has no columns", t->schema,
			     t->name);
	} else {
		int nf = copytext_split(row, (size_t)len, w->fields, t->ncols);
		if (nf != (int)t->ncols)
			fail(EX_PROTOCOL, "COPY row of %s.%s has %s fields than its %zu columns", t->schema,
			     t->name, nf < 0 ? "more or bad" : "fewer", t->ncols);
		for (size_t i = 0; i < t->ncols; i++) {
			copytext_field *f = &w->fields[i];
			record_value *v = &w->vals[i];
			if (t->plan && t->plan[i] && put_masked(w, t, i, f, v))
				continue;
			if (f->null) {
				v->kind = VALUE_NULL;
				v->data = NULL;
				v->len = 0;
				continue;
			}
			v->kind = VALUE_TEXT;
			if (t->norm[i] == PGVALUE_AS_IS) {
				v->data = f->data;
				v->len = f->len;
				continue;
			}
			const char *res;
			size_t reslen;
			if (pgvalue_normalize(t->norm[i], f->data, f->len, &w->nbufs[i], &res, &reslen) != 0 ||
			    (res != f->data && buf_terminate(&w->nbufs[i]) != 0))
				fail(EX_DATAERR, "value of %s.%s.%s not understood (%.*s)", t->schema, t->name,
				     t->cols[i].name, (int)(f->len > 80 ? 80 : f->len), f->data);
			if (res != f->data)
				res = w->nbufs[i].data;
			v->data = res;
			v->len = reslen;
		}
	}
	if ((chunked || online) && t->nkeys) {
		for (size_t k = 0; k < t->nkeys; k++) {
			const copytext_field *f = &w->fields[t->keys[k]];
			buf_reset(&t->cur[k]);
			if (buf_append(&t->cur[k], f->data, f->len) || buf_terminate(&t->cur[k]))
				fail(EX_OSERR, "out of memory");
		}
		t->has_cur = true;
	}
	t->chunk_read++;
}

static void put_row(worker *w, char *row, int len)
{
	table *t = w->u->t;
	row_to_record(w, t, row, len);
	put_record(&w->rec);
	t->rows++;
	metric_add(t->m_out, 1);
}

/* --truncate: one op "t" per table, all before the first row, so that a
 * sink empties every table (children and parents alike) before loading. */
static void put_truncates(void)
{
	for (size_t i = 0; i < ntables; i++) {
		table *t = &tables[i];
		if (!t->truncate_first)
			continue;
		record r;
		memset(&r, 0, sizeof r);
		r.version = RECORD_FORMAT_VERSION;
		r.op = RECORD_OP_TRUNCATE;
		r.db = dbname;
		r.schema = t->schema;
		r.table = t->name;
		r.ncols = t->ncols;
		r.cols = t->cols;
		r.masks = t->plan;
		r.nkeys = t->nkeys;
		r.keys = t->keys;
		r.lsn = snap_lsn;
		r.commit_us = snap_us;
		memcpy(r.stream, stream, sizeof r.stream);
		r.offset.lsn = opt.slot != NULL;
		put_record(&r);
		if (use_state && snapstate_note(&state, (size_t)t->st, last_offset(), NULL, 0, false) < 0)
			fail(EX_OSERR, "out of memory");
		metric_add(t->m_out, 1);
	}
}

/* Notes in the state that t's records written so far end a range: at its
 * key read last, and complete when done. */
static void note_progress(table *t, bool done)
{
	const char *key[KEY_MAX];
	for (size_t k = 0; k < t->nkeys; k++)
		key[k] = t->cur[k].data ? t->cur[k].data : "";
	if (snapstate_note(&state, (size_t)t->st, last_offset(), t->has_cur && t->nkeys ? key : NULL,
			   t->rows_before + t->rows, done) < 0)
		fail(EX_OSERR, "out of memory");
}

static void unit_done(worker *w)
{
	unit *u = w->u;
	table *t = u->t;
	w->u = NULL;
	w->state = W_IDLE;
	if (chunked && t->nkeys) {
		/* A full chunk: there may be more after its last key. */
		bool more = t->chunk_read == chunk_rows;
		note_progress(t, !more);
		if (more && !stop_signal) {
			start_unit(w, u);
			return;
		}
		if (more)
			return; /* interrupted: the table stays incomplete */
	}
	if (--t->units_left == 0 && use_state && !(chunked && t->nkeys))
		note_progress(t, true);
	if (t->units_left == 0 && opt.progress)
		fprintf(stderr, "%s: %s.%s done: %" PRIu64 " rows in %.1f s\n", progname, t->schema, t->name,
			t->rows, elapsed(&t->started));
}

/* Reads what a worker's socket has and turns every whole row into a record. */
static void service(worker *w)
{
	if (!PQconsumeInput(w->conn))
		fail(EX_UNAVAILABLE, "connection lost while copying %s.%s (%s)", w->u->t->schema,
		     w->u->t->name, PQerrorMessage(w->conn));
	while (w->state == W_STARTING && !PQisBusy(w->conn)) {
		PGresult *res = PQgetResult(w->conn);
		if (!res)
			fail(EX_PROTOCOL, "COPY of %s.%s returned nothing", w->u->t->schema, w->u->t->name);
		if (PQresultStatus(res) != PGRES_COPY_OUT)
			copy_failed(w, res);
		PQclear(res);
		w->state = W_COPYING;
	}
	while (w->state == W_COPYING) {
		char *row = NULL;
		int n = PQgetCopyData(w->conn, &row, 1);
		if (n > 0) {
			put_row(w, row, n);
			PQfreemem(row);
			continue;
		}
		if (n == 0)
			return;
		if (n == -2)
			fail(EX_UNAVAILABLE, "COPY of %s.%s failed (%s)", w->u->t->schema, w->u->t->name,
			     PQerrorMessage(w->conn));
		/* The COPY ended: its status follows (on this socket, at once). */
		PGresult *res = PQgetResult(w->conn);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			copy_failed(w, res);
		PQclear(res);
		while ((res = PQgetResult(w->conn)))
			PQclear(res);
		unit_done(w);
	}
}

/* ---- the state ---- */

static bool state_save(void)
{
	if (!opt.state_path)
		return true; /* an online backfill keeps its progress in memory only */
	char err[512];
	if (snapstate_save(&state, opt.state_path, err, sizeof err) < 0) {
		log_error("cannot save the state (%s)", err);
		return false;
	}
	clock_gettime(CLOCK_MONOTONIC, &state_saved);
	return true;
}

static void on_ack(void *ctx, const char *s, pos_offset off)
{
	(void)ctx;
	if (strcmp(s, stream) == 0)
		snapstate_ack(&state, off);
}

/* Takes the acks that came (when the FIFO is readable, or forced), or
 * (without --ack) flushes standard output, into the state, and saves it
 * now and then (force: now). */
static void state_tick(bool force, bool ack_ready)
{
	if (!use_state)
		return;
	if (acks && (ack_ready || force) && ack_reader_poll(acks, on_ack, NULL) < 0)
		log_error("reading acks failed (%s: %s)", opt.ack_path, strerror(errno));
	if (!force && elapsed(&state_saved) * 1000 < STATE_SAVE_MS)
		return;
	if (!acks && writer && snapstate_pending(&state)) {
		if (record_writer_flush(writer) != 0)
			fail(EX_TEMPFAIL, "cannot write records (%s); the snapshot is partial", strerror(errno));
		snapstate_flushed(&state);
	}
	if (state.dirty && !state_save()) {
		use_state = false; /* nothing more to save: fail() must not try again */
		fail(EX_CANTCREAT, "the copy cannot go on without its state");
	}
}

static void run(void)
{
	struct pollfd fds[MAX_JOBS + 1];
	int idx[MAX_JOBS];
	for (;;) {
		if (stop_signal)
			return;
		int busy = 0;
		for (int i = 0; i < nworkers; i++) {
			worker *w = &workers[i];
			if (w->state == W_IDLE && next_unit < nunits)
				start_unit(w, &units[next_unit++]);
			if (w->state != W_IDLE) {
				fds[busy].fd = PQsocket(w->conn);
				fds[busy].events = POLLIN;
				fds[busy].revents = 0;
				idx[busy++] = i;
			}
		}
		if (busy == 0)
			return;
		int nfds = busy;
		if (acks) {
			fds[nfds].fd = ack_reader_fd(acks);
			fds[nfds].events = POLLIN;
			fds[nfds++].revents = 0;
		}
		int rc = poll(fds, (nfds_t)nfds, metrics_wait_ms(mx, 1000));
		if (rc < 0 && errno != EINTR)
			fail(EX_OSERR, "poll failed (%s)", strerror(errno));
		for (int k = 0; rc > 0 && k < busy; k++)
			if (fds[k].revents)
				service(&workers[idx[k]]);
		state_tick(false, acks && rc > 0 && fds[busy].revents);
		progress_line(false);
		write_metrics(false);
	}
}

/* ---- the snapshot ---- */

/* A database name as part of a stream name, written as pgcdc-read writes it
 * (so that both name the same stream): bytes that are not printable ASCII,
 * spaces, % and / become %XX. */
static void stream_part(char *out, size_t len, const char *name)
{
	char *o = out, *end = out + len - 1;
	for (const unsigned char *p = (const unsigned char *)name; *p && o < end - 3; p++) {
		if (*p <= ' ' || *p > '~' || *p == '%' || *p == '/')
			o += sprintf(o, "%%%02X", *p);
		else
			*o++ = (char)*p;
	}
	*o = '\0';
}

/* Sets t's key cursor to the key the state holds as durable, or to none. */
static void cursor_from_state(table *t)
{
	const snapstate_table *st = &state.tables[t->st];
	t->has_cur = st->last != NULL;
	for (size_t k = 0; st->last && k < t->nkeys; k++) {
		buf_reset(&t->cur[k]);
		if (buf_puts(&t->cur[k], st->last[k]) || buf_terminate(&t->cur[k]))
			fail(EX_OSERR, "out of memory");
	}
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* With --state: a new state for these tables, saved at once (a handover
 * must be found again with its slot however early it dies); or the state
 * of an earlier run of this copy, matched against the tables, which then
 * skip what is durable. Either way each table learns whether a truncate
 * record goes before its rows. */
static void state_prepare(bool loaded)
{
	if (!use_state) {
		for (size_t i = 0; i < ntables; i++)
			tables[i].truncate_first = opt.truncate;
		return;
	}
	/* The state and the chunks hold keys in arrays of KEY_MAX (a server
	 * built with a larger INDEX_MAX_KEYS could have more). */
	for (size_t i = 0; i < ntables; i++)
		if (tables[i].nkeys > KEY_MAX)
			fail(EX_DATAERR, "%s.%s has a key of %zu columns: --state and --online take at most %d",
			     tables[i].schema, tables[i].name, tables[i].nkeys, KEY_MAX);
	if (!loaded) {
		state.mode = online ? SNAPSTATE_ONLINE : opt.create_slot ? SNAPSTATE_HANDOVER : SNAPSTATE_COPY;
		if ((opt.slot && !(state.slot = strdup(opt.slot))) ||
		    (opt.where && !(state.where = strdup(opt.where))))
			fail(EX_OSERR, "out of memory");
		state.truncate = opt.truncate;
		for (size_t i = 0; i < ntables; i++) {
			table *t = &tables[i];
			const char *names[KEY_MAX];
			for (size_t k = 0; k < t->nkeys; k++)
				names[k] = t->cols[t->keys[k]].name;
			if ((t->st = snapstate_add_table(&state, t->schema, t->name, names, t->nkeys)) < 0)
				fail(EX_OSERR, "out of memory");
			t->truncate_first = opt.truncate;
		}
		if (!state_save())
			fail(EX_CANTCREAT, "cannot begin the copy without its state");
		return;
	}
	if (!same_text(state.where, opt.where) || state.truncate != opt.truncate || state.ntables != ntables)
		fail(EX_USAGE, "--state %s is the state of another copy (other tables, --where or --truncate): "
			       "give the same options, or remove the file to begin a new copy", opt.state_path);
	size_t done = 0;
	uint64_t skipped = 0;
	for (size_t i = 0; i < ntables; i++) {
		table *t = &tables[i];
		t->st = snapstate_find(&state, t->schema, t->name);
		if (t->st < 0)
			fail(EX_USAGE, "--state %s is the state of another copy (it has no table %s.%s): "
				       "give the same tables, or remove the file to begin a new copy",
			     opt.state_path, t->schema, t->name);
		const snapstate_table *st = &state.tables[t->st];
		bool same_key = st->nkey == t->nkeys;
		for (size_t k = 0; same_key && k < t->nkeys; k++)
			same_key = !strcmp(st->keycols[k], t->cols[t->keys[k]].name);
		if (!same_key)
			fail(EX_DATAERR, "the key of %s.%s is not the one the copy in %s began with: remove the "
					 "file to begin a new copy", t->schema, t->name, opt.state_path);
		if (st->done) {
			t->skip = true;
			done++;
			skipped += st->rows;
		} else if (t->nkeys) {
			cursor_from_state(t);
			t->rows_before = st->rows;
			skipped += st->rows;
			/* Its truncate is durable once anything of it is. */
			t->truncate_first = opt.truncate && !st->started;
		} else if (online) {
			fail(EX_DATAERR, "%s.%s has no key (primary key or replica identity index), so it cannot "
					 "be backfilled while streaming, and its copy was not complete",
			     t->schema, t->name);
		} else {
			/* Rows of a table without key cannot be found again in
			 * another snapshot: it is copied again whole, after a
			 * truncate of what the first copy left. */
			t->truncate_first = opt.truncate || st->started;
			if (st->started)
				log_info("%s.%s has no key: copied again whole, after a truncate record",
					 t->schema, t->name);
		}
		if (!t->skip && t->has_cur && log_verbosity >= 1)
			log_debug("%s.%s resumes after %" PRIu64 " rows", t->schema, t->name, st->rows);
	}
	resumed = true;
	log_info("resuming the copy in %s: %zu of %zu tables done; %" PRIu64
		 " rows copied before are skipped", opt.state_path, done, ntables, skipped);
}

static void begin_snapshot(bool loaded)
{
	char snapshot_name[128] = "";
	if (opt.create_slot)
		create_slot(snapshot_name, sizeof snapshot_name);

	PGconn *leader = connect_pg(false);
	workers[0].conn = leader;
	nworkers = 1;
	if (opt.create_slot) {
		import_snapshot(leader, snapshot_name);
	} else {
		exec_cmd(leader, "begin", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	}
	/* The first statement takes the transaction's snapshot; now() is its
	 * start. On a standby the WAL position is the replayed one. */
	const char *sql = opt.create_slot
		? "SELECT current_database(), (extract(epoch FROM now()) * 1000000)::int8, "
		  "NULL, current_setting('server_version_num')::int"
		: "SELECT current_database(), (extract(epoch FROM now()) * 1000000)::int8, "
		  "CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
		  "ELSE pg_current_wal_lsn() END::text, current_setting('server_version_num')::int, "
		  "pg_export_snapshot()";
	PGresult *res = exec_ok(leader, "snapshot", sql, 0, NULL);
	snprintf(dbname, sizeof dbname, "%s", PQgetvalue(res, 0, 0));
	snap_us = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	server_version = atoi(PQgetvalue(res, 0, 3));
	if (!opt.create_slot) {
		if (pos_lsn_parse(PQgetvalue(res, 0, 2), &snap_lsn) != 0) {
			PQclear(res);
			fail(EX_PROTOCOL, "unexpected WAL position from the server");
		}
		snprintf(snapshot_name, sizeof snapshot_name, "%s", PQgetvalue(res, 0, 4));
	}
	PQclear(res);

	if (opt.slot) {
		char db[3 * 64 + 1]; /* a name of 63 bytes, each as %XX */
		stream_part(db, sizeof db, dbname);
		snprintf(stream, sizeof stream, "pg/%s/%s", db, opt.slot);
	} else {
		time_t secs = (time_t)(snap_us / 1000000);
		struct tm tm;
		gmtime_r(&secs, &tm);
		char when[32];
		strftime(when, sizeof when, "%Y%m%dT%H%M%S", &tm);
		char db[3 * 64 + 1]; /* a name of 63 bytes, each as %XX */
		stream_part(db, sizeof db, dbname);
		snprintf(stream, sizeof stream, "snap/%s/%s.%06dZ", db, when, (int)(snap_us % 1000000));
	}
	if (!pos_stream_valid(stream))
		fail(EX_CONFIG, "database name %s cannot be part of a stream name (printable ASCII without spaces)",
		     dbname);
	char lsn[32];
	pos_lsn_format(snap_lsn, lsn, sizeof lsn);
	if (opt.slot)
		log_info("slot %s created; consistent point %s: streaming from it continues this copy",
			 opt.slot, lsn);
	else
		log_debug("snapshot %s at LSN %s, stream %s", snapshot_name, lsn, stream);

	{
		char err[1024];
		bool unavailable;
		if (colmask_check_catalog(opt.masks, leader, &unavailable, err, sizeof err) < 0)
			fail(unavailable ? EX_UNAVAILABLE : EX_CONFIG, "%s", err);
	}
	resolve_tables(leader);
	for (size_t i = 0; i < ntables; i++) {
		table *t = &tables[i];
		describe_table(leader, t);
		/* As pg_dump does: a table dropped or altered while we copy it
		 * would fail the copy or change its columns under us. */
		if (t->relkind != 'v') {
			size_t n = strlen(t->from) + 48;
			char *lock = malloc(n);
			if (!lock)
				fail(EX_OSERR, "out of memory");
			snprintf(lock, n, "LOCK TABLE %s IN ACCESS SHARE MODE", t->from);
			PGresult *res = exec_ok(leader, "lock", lock, 0, NULL);
			PQclear(res);
			free(lock);
		}
	}
	state_prepare(loaded);
	plan_units();

	int want = opt.jobs < (int)nunits ? opt.jobs : (int)nunits;
	for (int i = 1; i < want; i++) {
		workers[i].conn = connect_pg(false);
		nworkers = i + 1;
		import_snapshot(workers[i].conn, snapshot_name);
	}
}

/* ---- online: a backfill into a slot's stream ---- */

/* Connects, checks the server and the slot, and describes the tables:
 * no snapshot of our own, each chunk has its own. */
static void begin_online(bool loaded)
{
	PGconn *c = connect_pg(false);
	workers[0].conn = c;
	nworkers = 1;
	PGresult *res = exec_ok(c, "start",
				"SELECT current_database(), (extract(epoch FROM now()) * 1000000)::int8, "
				"current_setting('server_version_num')::int, pg_current_wal_lsn()::text",
				0, NULL);
	snprintf(dbname, sizeof dbname, "%s", PQgetvalue(res, 0, 0));
	snap_us = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	server_version = atoi(PQgetvalue(res, 0, 2));
	pos_lsn_parse(PQgetvalue(res, 0, 3), &snap_lsn);
	PQclear(res);
	if (server_version < 140000)
		fail(EX_CONFIG, "an online backfill needs PostgreSQL 14 or later (pgoutput sends the "
				"watermark messages from 14 on); this server is %d", server_version);
	const char *p[1] = {online_slot};
	res = exec_ok(c, "slot lookup",
		      "SELECT plugin, database = current_database() FROM pg_replication_slots "
		      "WHERE slot_name = $1 AND slot_type = 'logical'", 1, p);
	if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "pgoutput") || strcmp(PQgetvalue(res, 0, 1), "t")) {
		PQclear(res);
		fail(EX_CONFIG, "no logical slot %s with plugin pgoutput in this database: an online "
				"backfill goes into the stream of the slot pgcdc-read streams", online_slot);
	}
	PQclear(res);
	char db[3 * 64 + 1];
	stream_part(db, sizeof db, dbname);
	snprintf(stream, sizeof stream, "pg/%s/%s", db, online_slot);
	if (!pos_stream_valid(stream))
		fail(EX_CONFIG, "database name %s cannot be part of a stream name (printable ASCII without spaces)",
		     dbname);
	resolve_tables(c);
	for (size_t i = 0; i < ntables; i++) {
		table *t = &tables[i];
		describe_table(c, t);
		if (!t->nkeys)
			fail(EX_USAGE, "%s.%s has no key (primary key or replica identity index): an online "
				       "backfill finds the rows the stream changed by their key",
			     t->schema, t->name);
	}
	state_prepare(loaded);
}

/* A window that will not close (a signal, a failure, a chunk too large for
 * it): tells pgcdc-read so, that it need not keep it until it expires.
 * Best effort, and safe to call from fail(): no fail() of its own. */
static void abort_open_window(void)
{
	PGconn *c = workers[0].conn;
	if (!online || !open_window.t || !c || PQstatus(c) != CONNECTION_OK)
		return;
	const table *t = open_window.t;
	open_window.t = NULL;
	if (PQtransactionStatus(c) == PQTRANS_ACTIVE) {
		/* failed while the chunk's COPY still ran: end it first */
		PGcancel *cn = PQgetCancel(c);
		char e[256];
		if (cn) {
			PQcancel(cn, e, sizeof e);
			PQfreeCancel(cn);
		}
		char *row;
		while (PQgetCopyData(c, &row, 0) > 0)
			PQfreemem(row);
		PGresult *r;
		while ((r = PQgetResult(c)))
			PQclear(r);
	}
	buf msg;
	buf_init(&msg, 0);
	if (bfmsg_build_abort(&msg, online_slot, open_window.id, t->schema, t->name, open_window.chunk) == 0 &&
	    buf_terminate(&msg) == 0) {
		if (PQtransactionStatus(c) != PQTRANS_IDLE)
			PQclear(PQexec(c, "ROLLBACK"));
		const char *p[1] = {msg.data};
		PQclear(PQexecParams(c, "SELECT pg_logical_emit_message(true, '" BFMSG_PREFIX "', $1::text)", 1, NULL, p,
				     NULL, NULL, 0));
	}
	buf_free(&msg);
}

/* Emits one watermark message (transactional: it is decoded at its
 * transaction's commit, in commit order) and returns the message's LSN. */
static uint64_t emit_watermark(PGconn *c, buf *content)
{
	if (buf_terminate(content))
		fail(EX_OSERR, "out of memory");
	const char *p[1] = {content->data};
	PGresult *res = exec_ok(c, "watermark", "SELECT pg_logical_emit_message(true, '" BFMSG_PREFIX "', $1::text)::text",
				1, p);
	uint64_t lsn = 0;
	if (pos_lsn_parse(PQgetvalue(res, 0, 0), &lsn) != 0) {
		PQclear(res);
		fail(EX_PROTOCOL, "unexpected LSN from pg_logical_emit_message");
	}
	PQclear(res);
	return lsn;
}

static uint64_t query_lsn(PGconn *c, const char *what, const char *sql)
{
	PGresult *res = exec_ok(c, what, sql, 0, NULL);
	uint64_t lsn = 0;
	if (pos_lsn_parse(PQgetvalue(res, 0, 0), &lsn) != 0) {
		PQclear(res);
		fail(EX_PROTOCOL, "unexpected LSN from the server (%s)", what);
	}
	PQclear(res);
	return lsn;
}

static void nap_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL); /* a signal ends it early, which is what we want */
}

/* Waits while the slot's confirmed position is far behind the WAL. */
static void online_pace(PGconn *c)
{
	const char *p[1] = {online_slot};
	for (int waited = 0; !stop_signal; waited++) {
		PGresult *res = exec_ok(c, "slot lag",
					"SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::int8 "
					"FROM pg_replication_slots WHERE slot_name = $1", 1, p);
		if (PQntuples(res) != 1) {
			PQclear(res);
			fail(EX_CONFIG, "slot %s was dropped during the backfill", online_slot);
		}
		int64_t lag = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
		if (lag <= ONLINE_MAX_LAG)
			return;
		if (waited % 30 == 0)
			log_info("waiting: slot %s is %" PRId64 " MiB behind the WAL (is pgcdc-read streaming it?)",
				 online_slot, lag >> 20);
		nap_ms(1000);
	}
}

/* Opens the transaction a chunk is read and its high watermark written
 * in, once its snapshot sees every transaction that committed before the
 * low watermark.
 *
 * Why the wait: PostgreSQL writes a commit record and only afterwards
 * takes the transaction out of the proc array, which is what snapshots
 * look at. A transaction whose commit record lies before the low
 * watermark's can still be invisible to a snapshot taken after the low
 * watermark committed; the stream has its changes before the window, so
 * the window would not note them, and the chunk would hold rows older than
 * the stream, written after it. Every such transaction was in progress
 * for the snapshot taken just after the low watermark committed
 * (lw_snapshot): the chunk's snapshot must see each of those as finished.
 * Those that finish later commit after the low watermark and fall in the
 * window, or after the high watermark; either way the window handles
 * them. Returns false when a signal came. */
static bool begin_chunk(PGconn *c, const char *lw_snapshot, const table *t)
{
	struct timespec since;
	clock_gettime(CLOCK_MONOTONIC, &since);
	int sleep_ms = 1;
	double told = 0;
	for (;;) {
		exec_cmd(c, "begin", "BEGIN ISOLATION LEVEL REPEATABLE READ");
		/* The first statement takes the transaction's snapshot, and
		 * pg_current_snapshot() is that snapshot. */
		const char *p[1] = {lw_snapshot};
		PGresult *res = exec_ok(c, "visibility check",
					"SELECT coalesce(string_agg(x::text, ' '), '') "
					"FROM pg_snapshot_xip($1::pg_snapshot) AS x "
					"WHERE NOT pg_visible_in_snapshot(x, pg_current_snapshot())",
					1, p);
		bool ok = PQgetvalue(res, 0, 0)[0] == '\0';
		double waited = elapsed(&since);
		if (!ok && waited - told >= 10) {
			log_info("chunk of %s.%s waits for transactions %s (in progress when its low watermark "
				 "committed) for %.0f s", t->schema, t->name, PQgetvalue(res, 0, 0), waited);
			told = waited;
		}
		PQclear(res);
		if (ok)
			return true;
		exec_cmd(c, "rollback", "ROLLBACK");
		if (stop_signal)
			return false;
		nap_ms(sleep_ms);
		if (sleep_ms < 100)
			sleep_ms *= 2;
	}
}

/* Backfills one table, chunk after chunk in key order:
 *   1. the low watermark, committed; then the snapshot of that moment;
 *   2. a transaction whose snapshot sees everything committed before the
 *      low watermark (begin_chunk) reads the chunk: the rows after the last
 *      key, in key order;
 *   3. the same transaction writes the high watermark with the chunk's
 *      records and commits.
 * pgcdc-read decodes the window between the two commits and writes the
 * chunk's rows the stream did not change in it at the high watermark's
 * position (bfwindow.h). A chunk counts as durable once its high watermark
 * committed no further than its max_wal after the low watermark: then
 * pgcdc-read has the whole window (its slot is confirmed only up to the
 * low watermark while the window is open), and will decode it again after
 * any restart. Else the chunk is read again. */
static void online_table(PGconn *c, table *t, const char *id, uint64_t *chunkno)
{
	worker *w = &workers[0];
	unit u = {.t = t, .from_page = -1, .to_page = -1};
	w->u = &u;
	worker_prepare(w, t);
	const char *keys[KEY_MAX], *cols[RECORD_MAX_COLUMNS], *types[RECORD_MAX_COLUMNS];
	for (size_t k = 0; k < t->nkeys; k++)
		keys[k] = t->cols[t->keys[k]].name;
	for (size_t i = 0; i < t->ncols; i++) {
		cols[i] = t->cols[i].name;
		types[i] = t->cols[i].type;
	}
	buf msg, rows, q;
	buf_init(&msg, 0);
	buf_init(&rows, 0);
	buf_init(&q, 0);
	uint64_t max_wal = WINDOW_WAL_BASE + 4 * CHUNK_BYTES_ONLINE;
	bool truncate = t->truncate_first;
	while (!stop_signal) {
		online_pace(c);
		if (stop_signal)
			break;
		uint64_t n = (*chunkno)++;
		buf_reset(&msg);
		if (bfmsg_build_low(&msg, online_slot, id, t->schema, t->name, n, keys, t->nkeys, cols, types,
				 t->ncols, max_wal) < 0)
			fail(EX_OSERR, "out of memory");
		uint64_t lw = emit_watermark(c, &msg);
		open_window.t = t;
		open_window.chunk = n;
		snprintf(open_window.id, sizeof open_window.id, "%s", id);
		PGresult *res = exec_ok(c, "snapshot", "SELECT pg_current_snapshot()::text", 0, NULL);
		bool began = begin_chunk(c, PQgetvalue(res, 0, 0), t);
		PQclear(res);
		if (!began)
			break; /* a signal: abort_open_window below */

		chunk_copy_sql(c, t, chunk_rows, &q);
		log_debug("chunk %" PRIu64 ": %s", n, q.data);
		res = PQexec(c, q.data);
		if (PQresultStatus(res) != PGRES_COPY_OUT)
			copy_failed(w, res);
		PQclear(res);
		buf_reset(&rows);
		t->chunk_read = 0;
		int64_t read = 0;
		char *row;
		int len;
		while ((len = PQgetCopyData(c, &row, 0)) > 0) {
			read++;
			/* Past the size: the rest of the chunk is left for the next. */
			if (rows.len < CHUNK_BYTES_ONLINE) {
				row_to_record(w, t, row, len);
				w->rec.seq = (uint64_t)t->chunk_read;
				w->rec.offset = (pos_offset){.major = lw, .minor = (uint64_t)t->chunk_read, .lsn = true};
				if (record_encode(&w->rec, RECORD_FORMAT_JSON, &rows) != 0)
					fail(EX_DATAERR, "a row of %s.%s cannot be encoded", t->schema, t->name);
			}
			PQfreemem(row);
		}
		if (len == -2)
			fail(EX_UNAVAILABLE, "COPY of %s.%s failed (%s)", t->schema, t->name, PQerrorMessage(c));
		res = PQgetResult(c);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			copy_failed(w, res);
		PQclear(res);
		while ((res = PQgetResult(c)))
			PQclear(res);

		if (rows.len > max_wal / 4) {
			/* A row so large the window would not hold it: close this
			 * window and read the chunk again in a wider one. */
			exec_cmd(c, "rollback", "ROLLBACK");
			abort_open_window();
			max_wal = WINDOW_WAL_BASE + 4 * (uint64_t)rows.len;
			cursor_from_state(t);
			continue;
		}
		buf_reset(&msg);
		if (bfmsg_build_high(&msg, online_slot, id, t->schema, t->name, n, (uint64_t)t->chunk_read, truncate) < 0 ||
		    buf_append(&msg, rows.data, rows.len) < 0)
			fail(EX_OSERR, "out of memory");
		emit_watermark(c, &msg);
		exec_cmd(c, "commit", "COMMIT");
		open_window.t = NULL;
		/* At or past the high watermark's commit: if this is within
		 * the window's bound, so was the commit. */
		uint64_t end = query_lsn(c, "WAL position", "SELECT pg_current_wal_insert_lsn()::text");
		if (end - lw > max_wal) {
			log_info("chunk %" PRIu64 " of %s.%s took more than %" PRIu64 " MiB of WAL: read again", n,
				 t->schema, t->name, max_wal >> 20);
			cursor_from_state(t);
			continue;
		}
		truncate = false;
		t->rows += (uint64_t)t->chunk_read;
		metric_add(t->m_out, (uint64_t)t->chunk_read);
		bool done = read < chunk_rows && t->chunk_read == read;
		nrecords += (uint64_t)t->chunk_read;
		note_progress(t, done);
		snapstate_flushed(&state);
		state_tick(false, false);
		progress_line(false);
		write_metrics(false);
		if (done)
			break;
	}
	abort_open_window();
	buf_free(&msg);
	buf_free(&rows);
	buf_free(&q);
	w->u = NULL;
	if (!stop_signal)
		t->units_left = 0;
}

static void online_run(void)
{
	char id[48];
	snprintf(id, sizeof id, "%" PRIx64 "-%ld", (uint64_t)snap_us, (long)getpid());
	uint64_t chunkno = 0;
	for (size_t i = 0; i < ntables && !stop_signal; i++) {
		table *t = &tables[i];
		t->units_left = t->skip ? 0 : 1;
		if (!t->skip)
			online_table(workers[0].conn, t, id, &chunkno);
		if (t->units_left == 0 && opt.progress)
			fprintf(stderr, "%s: %s.%s done: %" PRIu64 " rows\n", progname, t->schema, t->name, t->rows);
	}
}

/* With --state, at the end: waits for the acks of what was written
 * (closing standard output first, so that the sink commits what it holds),
 * then removes the state of the complete copy, or keeps it and fails. */
static void state_finish(void)
{
	if (!use_state)
		return;
	if (acks && snapstate_pending(&state)) {
		record_writer_free(writer);
		writer = NULL;
		close(STDOUT_FILENO);
		struct timespec since;
		clock_gettime(CLOCK_MONOTONIC, &since);
		while (snapstate_pending(&state) && elapsed(&since) * 1000 < ACK_WAIT_MS && !stop_signal) {
			struct pollfd p = {.fd = ack_reader_fd(acks), .events = POLLIN};
			poll(&p, 1, 200);
			state_tick(false, true);
		}
	}
	state_tick(true, true);
	if (!snapstate_complete(&state))
		fail(EX_TEMPFAIL, "every record is written, but %zu ranges were not acknowledged on %s: run "
				  "again with --state %s to finish the copy",
		     snapstate_pending(&state), opt.ack_path, opt.state_path);
	/* The state exists while a copy is unfinished: the next run with
	 * this file is a new copy. */
	if (opt.state_path && unlink(opt.state_path) < 0 && errno != ENOENT)
		log_error("cannot remove %s (%s)", opt.state_path, strerror(errno));
}

static void write_lsn_file(void)
{
	char lsn[32];
	pos_lsn_format(snap_lsn, lsn, sizeof lsn);
	size_t n = strlen(opt.lsn_file) + 8;
	char *tmp = malloc(n);
	if (!tmp)
		fail(EX_OSERR, "out of memory");
	snprintf(tmp, n, "%s.tmp", opt.lsn_file);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%s\n", lsn) < 0 || fclose(f) != 0 || rename(tmp, opt.lsn_file) != 0) {
		int e = errno;
		free(tmp);
		fail(EX_CANTCREAT, "cannot write %s (%s)", opt.lsn_file, strerror(e));
	}
	free(tmp);
}

int main(int argc, char **argv)
{
	log_init(argv[0]);
	parse_options(argc, argv);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pgcancel_catch_alarm();
	/* A reader that goes away is an error of write(), not a signal. */
	signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &t_start);

	/* The mode: a state of an earlier run decides how this one goes on. */
	bool loaded = false;
	if (opt.state_path) {
		char err[512];
		int rc = snapstate_load(&state, opt.state_path, err, sizeof err);
		if (rc < 0)
			fail(EX_DATAERR, "bad --state (%s)", err);
		loaded = rc == 1;
	}
	online = opt.online;
	online_slot = opt.slot;
	if (loaded) {
		const char *want = state.mode == SNAPSTATE_COPY ? "without --slot and --online"
				 : state.mode == SNAPSTATE_HANDOVER ? "with --slot NAME --create-slot, or --slot NAME --online"
				 : "with --slot NAME --online";
		bool ok = state.mode == SNAPSTATE_COPY ? !opt.slot && !opt.online
			: state.mode == SNAPSTATE_HANDOVER ? same_text(opt.slot, state.slot)
			: opt.online && same_text(opt.slot, state.slot);
		if (!ok)
			fail(EX_USAGE, "--state %s belongs to a copy of mode %s%s%s: run it again %s",
			     opt.state_path, snapstate_mode_name(state.mode), state.slot ? " into slot " : "",
			     state.slot ? state.slot : "", want);
		if (state.mode == SNAPSTATE_HANDOVER) {
			/* The slot's snapshot is gone with the first run; the
			 * stream goes on from its consistent point. What is
			 * missing is backfilled into that stream, so that the
			 * stream's changes and the copy meet in order. */
			online = true;
			online_slot = state.slot;
			log_info("resuming the copy of slot %s's handover: the missing rows are backfilled "
				 "online into the slot's stream (pgcdc-read writes them)", state.slot);
			if (colmask_any(opt.masks)) {
				/* The stream's masks apply (see parse_options). */
				log_info("the masks given here are not applied to the backfilled rows: pgcdc-read "
					 "masks them with its own rules, as it masks the stream");
				colmask_free(opt.masks);
				if (!(opt.masks = colmask_new()))
					fail(EX_OSERR, "out of memory");
			}
		}
	}
	use_state = opt.state_path || online;
	chunked = use_state && !online;
	chunk_rows = opt.chunk_rows ? opt.chunk_rows : online ? CHUNK_ROWS_ONLINE : CHUNK_ROWS_COPY;
	clock_gettime(CLOCK_MONOTONIC, &state_saved);
	if (opt.ack_path && !(acks = ack_reader_open(opt.ack_path)))
		fail(EX_CONFIG, "cannot open the ack FIFO (%s: %s)", opt.ack_path, strerror(errno));

	writer = record_writer_new(STDOUT_FILENO, opt.format);
	if (!writer)
		fail(EX_OSERR, "out of memory");
	open_metrics();
	if (online) {
		begin_online(loaded);
		online_run();
	} else {
		begin_snapshot(loaded);
		put_truncates();
		run();
	}

	if (writer && record_writer_flush(writer) != 0)
		fail(EX_TEMPFAIL, "cannot write records (%s); the snapshot is partial", strerror(errno));
	size_t left = 0;
	for (size_t i = 0; i < ntables; i++)
		left += tables[i].units_left > 0;
	/* A signal after the last row changes nothing: the copy is whole. */
	if (left) {
		fail(EX_TEMPFAIL,
		     "interrupted by signal %d: the %s is partial (%" PRIu64
		     " rows written, %zu of %zu tables incomplete)%s",
		     (int)stop_signal, online ? "backfill" : "snapshot", nrecords, left, ntables,
		     opt.state_path ? "; run again with the same --state to finish it" : "");
	}
	state_finish();
	if (opt.progress) {
		double secs = elapsed(&t_start);
		fprintf(stderr, "%s: done: %" PRIu64 " rows of %zu tables in %.1f s (%.0f rows/s)\n", progname,
			nrecords, ntables, secs, secs > 0 ? (double)nrecords / secs : 0.0);
	}
	if (online)
		log_info("backfilled %" PRIu64 " rows of %zu tables into the stream of slot %s", nrecords, ntables,
			 online_slot);
	/* Closing the workers before the slot's connection: the exported
	 * snapshot must outlive every transaction that imported it. */
	for (int i = 0; i < nworkers; i++) {
		PQfinish(workers[i].conn);
		workers[i].conn = NULL;
	}
	slot_created = false; /* complete: the slot is the user's now */
	if (opt.lsn_file)
		write_lsn_file();
	write_metrics(true);
	close_all();
	metrics_close(mx);
	return 0;
}
