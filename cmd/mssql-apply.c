/* mssql-apply — applies change records from stdin to Microsoft SQL Server
 * with FreeTDS db-lib (TDS 7.4), in batched transactions, exactly once.
 *
 * This file holds the options, the read loop (a batch closes after
 * --batch-rows records (--bulk-rows while a snapshot streams by bulk copy
 * into an empty table), --batch-ms after its first record, a memory bound,
 * end of input or a signal) and the acks; lib/mssql_apply.c does the work,
 * and lib/mssql_txn.c keeps batches to whole source transactions
 * (--transactions). */
#include "ack.h"
#include "log.h"
#include "metrics.h"
#include "monoclock.h"
#include "mssql_apply.h"
#include "mssql_conn.h"
#include "mssql_txn.h"
#include "pos.h"
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define MAX_SCHEMA_MAPS 64
#define MAX_TYPE_MAPS 64
/* A batch also closes when its net change holds this much; while a
 * snapshot streams into an empty table (by bulk copy, rows sent as they
 * come) it may hold twice as much, so that a table's initial load goes in
 * half as many transactions (the batch keeps its rows until the commit, in
 * case it must be applied again). */
#define BATCH_MAX_BYTES ((size_t)24 << 20)
#define BULK_MAX_BYTES ((size_t)48 << 20)

/* After a signal, a batch may wait this long more for the server (a
 * lock held on the target, a server gone silent), or be retried, before it
 * is given up: cancelled, not acknowledged, so that its records come
 * again. A second signal gives it up at once. */
#define STOP_GRACE_MS 10000

static volatile sig_atomic_t got_signal;
static volatile int64_t signal_ms; /* when the first came (written before got_signal) */

/* A login waits for the server up to --login-timeout, and db-lib asks
 * no check meanwhile (mssql_login_waiting): when the stop is due (the
 * grace over, or a second signal) in such a wait, leave from here. No
 * transaction is open during a login, and whatever was not acknowledged
 * comes again, so nothing is lost; acknowledgements not yet written
 * (--ack) come again too, and the checkpoint skips their records. */
static void leave_login(void)
{
	if (!mssql_login_waiting())
		return;
	static const char msg[] = "mssql-apply: stopped by a signal while the server had not answered the login; "
				  "records not acknowledged come again\n";
	mssql_login_abandon();
	ssize_t w = write(2, msg, sizeof msg - 1);
	(void)w;
	_exit(0);
}

static void on_signal(int sig)
{
	(void)sig;
	if (!got_signal) {
		signal_ms = mono_ms(); /* clock_gettime: async-signal-safe */
		alarm((STOP_GRACE_MS + 999) / 1000);
	}
	if (got_signal < 2)
		got_signal++;
	if (got_signal >= 2)
		leave_login();
}

/* the grace is over (armed by the first signal) */
static void on_alarm(int sig)
{
	(void)sig;
	leave_login();
}

/* mssql_apply_opts.stop and mssql_set_interrupt's check */
static bool stop_now(void)
{
	return got_signal >= 2 || (got_signal && mono_ms() - signal_ms >= STOP_GRACE_MS);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTION]... -S SERVER -U USER -D DATABASE < RECORDS\n"
		"       %s --print-sql [OPTION]... < RECORDS\n"
		"Applies change records (NDJSON or msgpack) to Microsoft SQL Server in batched,\n"
		"exactly-once transactions.\n"
		"\n"
		"Connection (password from MSSQL_PASSWORD or --password-file, never an option):\n"
		"  -S, --server=HOST[:PORT]   server, or a server name of freetds.conf\n"
		"  -U, --user=USER            login name\n"
		"  -D, --database=DB          database\n"
		"      --password-file=FILE   read the password from the first line of FILE\n"
		"      --encrypt              require TLS (FreeTDS encryption = require)\n"
		"      --login-timeout=S      seconds to wait for a login (default 15)\n"
		"      --query-timeout=S      seconds to wait for a batch (default 0 = none)\n"
		"\n"
		"Target:\n"
		"      --schema-map=SRC=DST   write source schema SRC to DST (repeatable)\n"
		"      --create-tables        create missing schemas and tables (type map in the man page)\n"
		"      --evolve               add columns that appear later (ALTER TABLE ADD ... NULL)\n"
		"      --type-map=PG=SQL      create columns of PostgreSQL type PG as SQL (repeatable):\n"
		"                             numeric=decimal(P,S) (values that do not fit are refused),\n"
		"                             TYPE=nvarchar(max) (the text as PostgreSQL prints it)\n"
		"      --clamp-infinity       write ±infinity dates and timestamps as the ends of\n"
		"                             SQL Server's range, counted on stderr (default: refuse)\n"
		"\n"
		"Batches:\n"
		"      --batch-rows=N         records per transaction at most (default 10000)\n"
		"      --bulk-rows=N          the same while a snapshot streams by bulk copy into\n"
		"                             an empty table (default 100000, or --batch-rows\n"
		"                             when that is given)\n"
		"      --batch-ms=MS          commit at most MS after a batch's first record (default 25)\n"
		"      --transactions         commit at source transaction boundaries only: several\n"
		"                             whole ones per target transaction, a large one alone\n"
		"      --retries=N            reconnect-and-retry attempts per batch (default 10)\n"
		"      --dead-letter=FILE     append records the server refuses to FILE and go on\n"
		"      --ack=FIFO             after each commit write \"STREAM OFFSET\" lines to FIFO\n"
		"\n"
		"Output:\n"
		"      --print-sql            write the T-SQL to stdout instead of connecting\n"
		"      --progress             progress on stderr every second (default: if a tty)\n"
		"      --no-progress          no progress lines\n"
		"      --stats                totals on stderr at exit\n"
		METRICS_HELP
		"  -v, --verbose              more messages (twice: every T-SQL batch)\n"
		"  -q, --quiet                errors only\n"
		"  -h, --help                 this help\n"
		"  -V, --version              print the version\n",
		progname, progname);
}

static long parse_num(const char *s, const char *what, long min, long max)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		log_error("invalid %s: %s (want %ld..%ld)", what, s, min, max);
		exit(EX_USAGE);
	}
	return v;
}

static char *read_password_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die(EX_CONFIG, "cannot open the password file (%s): %s", path, strerror(errno));
	char line[1024];
	if (!fgets(line, sizeof line, f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	char *p = strdup(line);
	memset(line, 0, sizeof line);
	if (!p)
		die(EX_OSERR, "out of memory");
	return p;
}

static void on_commit(void *ctx, const char *stream, pos_offset off)
{
	ack_writer *w = ctx;
	if (w)
		ack_writer_send(w, stream, off);
}

static void print_progress(mssql_apply *a, int64_t start_ms, const char *when)
{
	const mssql_apply_stats *st = mssql_apply_get_stats(a);
	double secs = (double)(mono_ms() - start_ms) / 1000.0;
	fprintf(stderr,
		"%s: %s%" PRIu64 " records (%" PRIu64 " skipped, %" PRIu64 " dead-lettered), %" PRIu64
		" batches, %.0f records/s, %" PRIu64 " round trips last batch (%" PRIu64 " tables), %" PRIu64
		" retries, latency p50 %.0f ms p99 %.0f ms max %.0f ms\n",
		progname, when, st->records, st->skipped, st->dead_lettered, st->batches,
		secs > 0 ? (double)st->records / secs : 0.0, st->round_trips_last_batch, st->tables_last_batch,
		st->retries, mssql_apply_latency_ms(a, 50), mssql_apply_latency_ms(a, 99),
		mssql_apply_latency_ms(a, 100));
}

int main(int argc, char **argv)
{
	log_init(argv[0]);
	/* A batch's changes (up to 24 or 48 MiB) are freed at its commit and the
	 * next batch takes the same memory again. By default glibc gives the
	 * heap top back to the kernel in between and takes it again page
	 * fault by page fault, which (perf, 50,000-row batches) cost a fifth
	 * of the run. The batch bound still bounds the heap. */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
	/* First thing: a SIGTERM from a supervisor that comes while we start
	 * must end the run cleanly, not kill us half-way. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: waits must end */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	mssql_apply_opts o = {0};
	const char *map_src[MAX_SCHEMA_MAPS], *map_dst[MAX_SCHEMA_MAPS];
	const char *type_pg[MAX_TYPE_MAPS], *type_sql[MAX_TYPE_MAPS];
	char *password = NULL;
	const char *ack_path = NULL;
	long batch_rows = -1, bulk_rows = -1, batch_ms = 25;
	int progress = -1;
	bool stats = false, print_sql = false, transactions = false;
	metrics_config mconf = {0};
	char err[512];
	o.retries = 10;
	o.login.appname = "mssql-apply";

	enum {
		O_PASSWORD_FILE = 256, O_ENCRYPT, O_LOGIN_TIMEOUT, O_QUERY_TIMEOUT, O_SCHEMA_MAP, O_CREATE,
		O_EVOLVE, O_BATCH_ROWS, O_BULK_ROWS, O_BATCH_MS, O_RETRIES, O_DEAD_LETTER, O_ACK, O_PRINT_SQL,
		O_PROGRESS, O_NO_PROGRESS, O_STATS, O_TYPE_MAP, O_CLAMP_INFINITY, O_METRICS, O_METRICS_2, O_METRICS_3, O_TRANSACTIONS,
	};
	static const struct option longopts[] = {
		{"server", required_argument, NULL, 'S'},
		{"user", required_argument, NULL, 'U'},
		{"database", required_argument, NULL, 'D'},
		{"password-file", required_argument, NULL, O_PASSWORD_FILE},
		{"encrypt", no_argument, NULL, O_ENCRYPT},
		{"login-timeout", required_argument, NULL, O_LOGIN_TIMEOUT},
		{"query-timeout", required_argument, NULL, O_QUERY_TIMEOUT},
		{"schema-map", required_argument, NULL, O_SCHEMA_MAP},
		{"create-tables", no_argument, NULL, O_CREATE},
		{"evolve", no_argument, NULL, O_EVOLVE},
		{"type-map", required_argument, NULL, O_TYPE_MAP},
		{"clamp-infinity", no_argument, NULL, O_CLAMP_INFINITY},
		{"batch-rows", required_argument, NULL, O_BATCH_ROWS},
		{"bulk-rows", required_argument, NULL, O_BULK_ROWS},
		{"batch-ms", required_argument, NULL, O_BATCH_MS},
		{"transactions", no_argument, NULL, O_TRANSACTIONS},
		{"retries", required_argument, NULL, O_RETRIES},
		{"dead-letter", required_argument, NULL, O_DEAD_LETTER},
		{"ack", required_argument, NULL, O_ACK},
		{"print-sql", no_argument, NULL, O_PRINT_SQL},
		{"progress", no_argument, NULL, O_PROGRESS},
		{"no-progress", no_argument, NULL, O_NO_PROGRESS},
		{"stats", no_argument, NULL, O_STATS},
		METRICS_LONGOPTS(O_METRICS),
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "S:U:D:vqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'S': o.login.server = optarg; break;
		case 'U': o.login.user = optarg; break;
		case 'D': o.login.database = optarg; break;
		case O_PASSWORD_FILE:
			free(password);
			password = read_password_file(optarg);
			break;
		case O_ENCRYPT: o.login.encrypt = true; break;
		case O_LOGIN_TIMEOUT:
			o.login.login_timeout_s = (int)parse_num(optarg, "--login-timeout", 1, 3600);
			break;
		case O_QUERY_TIMEOUT:
			o.login.query_timeout_s = (int)parse_num(optarg, "--query-timeout", 0, 86400);
			break;
		case O_SCHEMA_MAP: {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg || !eq[1]) {
				log_error("--schema-map wants SRC=DST, got \"%s\"", optarg);
				return EX_USAGE;
			}
			if (o.nmaps == MAX_SCHEMA_MAPS) {
				log_error("too many --schema-map options (at most %d)", MAX_SCHEMA_MAPS);
				return EX_USAGE;
			}
			*eq = '\0';
			map_src[o.nmaps] = optarg;
			map_dst[o.nmaps] = eq + 1;
			o.nmaps++;
			break;
		}
		case O_TYPE_MAP: {
			char *eq = strrchr(optarg, '='), why[300];
			if (!eq || eq == optarg || !eq[1]) {
				log_error("--type-map wants PGTYPE=SQLTYPE, got \"%s\"", optarg);
				return EX_USAGE;
			}
			if (o.type_map.n == MAX_TYPE_MAPS) {
				log_error("too many --type-map options (at most %d)", MAX_TYPE_MAPS);
				return EX_USAGE;
			}
			*eq = '\0';
			if (tsql_type_map_check(optarg, eq + 1, why, sizeof why) < 0) {
				log_error("%s", why);
				return EX_USAGE;
			}
			type_pg[o.type_map.n] = optarg;
			type_sql[o.type_map.n] = eq + 1;
			o.type_map.n++;
			break;
		}
		case O_CLAMP_INFINITY: o.clamp_infinity = true; break;
		case O_CREATE: o.create_tables = true; break;
		case O_EVOLVE: o.evolve = true; break;
		case O_BATCH_ROWS: batch_rows = parse_num(optarg, "--batch-rows", 1, 1000000); break;
		case O_BULK_ROWS: bulk_rows = parse_num(optarg, "--bulk-rows", 1, 1000000); break;
		case O_BATCH_MS: batch_ms = parse_num(optarg, "--batch-ms", 0, 3600000); break;
		case O_TRANSACTIONS: transactions = true; break;
		case O_RETRIES: o.retries = (int)parse_num(optarg, "--retries", 0, 1000000); break;
		case O_DEAD_LETTER: o.dead_letter = optarg; break;
		case O_ACK: ack_path = optarg; break;
		case O_PRINT_SQL: print_sql = true; break;
		case O_PROGRESS: progress = 1; break;
		case O_NO_PROGRESS: progress = 0; break;
		case O_STATS: stats = true; break;
		case O_METRICS:
		case O_METRICS_2:
		case O_METRICS_3:
			if (metrics_config_option(&mconf, c - O_METRICS, optarg, err, sizeof err) < 0) {
				log_error("%s", err);
				return EX_USAGE;
			}
			break;
		case 'v': log_verbosity++; break;
		case 'q': log_verbosity = 0; break;
		case 'h': usage(stdout); return 0;
		case 'V': print_version(); return 0;
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n", progname);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument \"%s\" (records come on stdin)", argv[optind]);
		return EX_USAGE;
	}
	/* A --batch-rows given says how big a transaction may be, bulk loads
	 * included, unless --bulk-rows says otherwise. */
	if (bulk_rows < 0)
		bulk_rows = batch_rows < 0 ? 100000 : batch_rows;
	if (batch_rows < 0)
		batch_rows = 10000;
	if (!print_sql && !o.login.server) {
		log_error("no server: give -S HOST[:PORT] (or --print-sql)");
		return EX_USAGE;
	}
	if (progress < 0)
		progress = log_progress_default();
	o.map_src = map_src;
	o.map_dst = map_dst;
	o.type_map.pg = type_pg;
	o.type_map.sql = type_sql;
	if (!password) {
		const char *env = getenv("MSSQL_PASSWORD");
		if (env && !(password = strdup(env)))
			die(EX_OSERR, "out of memory");
	}
	o.login.password = password;
	if (print_sql)
		o.print = stdout;

	metrics *mx = metrics_start(&mconf);
	o.metrics = mx;
	metric *m_in = metric_get(metrics_family(mx, "dbrepl_records_in_total", NULL));
	metric *m_bytes = metric_get(metrics_family(mx, "dbrepl_bytes_in_total", NULL));

	ack_writer *acks = NULL;
	if (ack_path && !(acks = ack_writer_open(ack_path)))
		die(EX_CANTCREAT, "cannot open the ack FIFO (%s): %s", ack_path, strerror(errno));
	o.on_commit = on_commit;
	o.ctx = acks;

	if (!print_sql && mssql_global_init() < 0)
		die(EX_SOFTWARE, "cannot initialise db-lib");
	mssql_set_interrupt(stop_now);
	o.stop = stop_now;
	mssql_apply *a = mssql_apply_new(&o);
	record_reader *rd = record_reader_new(STDIN_FILENO);
	mssql_txn *txn = transactions && a ? mssql_txn_new(a, (size_t)batch_rows, (size_t)bulk_rows, BATCH_MAX_BYTES,
									   BULK_MAX_BYTES)
					   : NULL;
	if (!a || !rd || (transactions && !txn))
		die(EX_OSERR, "out of memory");
	/* While a batch is applied the previous stage writes on: a pipe of
	 * 1 MiB rather than 64 KiB holds a second's worth at 1,000 changes/s,
	 * so it is not stopped and woken again every few dozen records. The
	 * system may refuse (fs/pipe-max-size); 64 KiB works too. */
	struct stat st;
	if (fstat(STDIN_FILENO, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(STDIN_FILENO, F_SETPIPE_SZ, 1 << 20);
	int code = mssql_apply_open(a);

	record r;
	record_init(&r);
	int64_t start = mono_ms(), deadline = 0, last_progress = start;
	/* When the input was last seen empty: a record read later arrived
	 * after that. --batch-ms counts from a batch's first record's arrival,
	 * so records that came in while the server applied the last batch
	 * have already waited that long, and a batch closes --batch-ms after
	 * the last one opened at the latest: under a steady flow a batch goes
	 * every --batch-ms, or back to back when applying takes longer. */
	int64_t empty_at = start;
	int64_t opened = 0;
	/* --transactions: the deadline passed with no input waiting while the
	 * batch's last transaction was open: commit at its end. */
	bool due = false;
	/* The clock costs more than the rest of the loop around a record: it
	 * is read whenever the input runs dry or a batch has just gone, and
	 * otherwise at every 64th record, which a progress line a second
	 * does not notice. */
	int64_t now = start;
	unsigned unclocked = 0;
	while (code == 0 && !got_signal) {
		bool pending = mssql_apply_batch_records(a) > 0;
		int rc = record_reader_next_nowait(rd, &r, err, sizeof err);
		bool ready = rc != -3;
		if (!ready || !pending || ++unclocked >= 64) {
			unclocked = 0;
			now = mono_ms();
			if (progress && now - last_progress >= 1000) {
				print_progress(a, start, "");
				last_progress = now;
			}
			metrics_tick(mx);
		}
		if (!ready) {
			empty_at = now;
			/* With nothing waiting at the deadline, apply now. Input
			 * waiting at the deadline means a backlog: keep reading up
			 * to --batch-rows, so the fixed cost of a batch (round
			 * trip, checkpoint) is spread over more rows and the sink
			 * catches up. */
			/* With --transactions, a batch waits for the rest of its
			 * open transaction, which is on its way. */
			bool whole = !txn || mssql_txn_whole(txn);
			if (pending && now >= deadline && !whole)
				due = true;
			if (pending && now >= deadline && whole) {
				size_t n = mssql_apply_batch_records(a);
				code = txn ? mssql_txn_flush(txn) : mssql_apply_flush(a);
				due = false;
				log_debug("batch of %zu records, opened %" PRId64 " ms before it was sent, applied in %" PRId64
					  " ms", n, now - opened, mono_ms() - now);
				continue;
			}
			int wait = pending && whole ? (int)(deadline - now) : 1000;
			if (wait > 1000 || wait < 0)
				wait = 1000;
			wait = metrics_wait_ms(mx, wait);
			ready = record_reader_wait(rd, wait);
			now = mono_ms();
			if (!ready) {
				empty_at = now;
				continue;
			}
			/* It came while we watched: it arrived just now. */
			empty_at = now;
			rc = record_reader_next(rd, &r, err, sizeof err);
		}
		if (rc == 0)
			break;
		if (rc == -2) {
			if (errno == EINTR)
				continue;
			log_error("cannot read stdin: %s", strerror(errno));
			code = EX_IOERR;
			break;
		}
		if (rc < 0) {
			/* What came before the bad record is good: apply it first. */
			int fc = txn ? mssql_txn_finish(txn) : mssql_apply_flush(a);
			log_error("bad input (stdin %s)", err);
			code = fc ? fc : EX_DATAERR;
			break;
		}
		if (!pending) {
			opened = empty_at;
			deadline = opened + batch_ms;
		}
		/* Columns a producer excluded are never created nor written:
		 * they leave the record here. */
		if (r.masks && record_drop_excluded(&r) < 0) {
			int e = errno;
			int fc = txn ? mssql_txn_finish(txn) : mssql_apply_flush(a);
			log_error("bad input (stdin record %" PRIu64 ": %s)", record_reader_count(rd),
				  e == EINVAL ? "a key column is excluded" : strerror(e));
			code = fc ? fc : e == EINVAL ? EX_DATAERR : EX_OSERR;
			break;
		}
		if (mx) {
			const void *raw;
			size_t rawlen;
			record_reader_raw(rd, &raw, &rawlen);
			metric_add(m_in, 1);
			metric_add(m_bytes, rawlen);
		}
		if (txn) {
			const void *raw;
			size_t rawlen;
			record_reader_raw(rd, &raw, &rawlen);
			size_t before = mssql_apply_batch_records(a);
			/* (it gives a record without key columns the target's key) */
			code = mssql_txn_add(txn, &r, raw, rawlen);
			record_clear(&r);
			if (mssql_apply_batch_records(a) < before)
				due = false; /* it closed a batch itself (full) */
			if (code == 0 && due && mssql_txn_whole(txn)) {
				code = mssql_txn_flush(txn);
				due = false;
			}
			continue; /* else it closes batches itself, between transactions */
		}
		code = mssql_apply_key_from_target(a, &r);
		if (code == 0)
			code = mssql_apply_add(a, &r);
		record_clear(&r);
		/* Each transaction of a bulk load costs the server a commit and
		 * a new bulk copy (for PostgreSQL behind the test peer, a new
		 * COPY and its buffers, ~10% of its work at 10,000 rows), so an
		 * initial load goes in bigger ones, as bcp's -b would. */
		bool bulk = mssql_apply_bulk_streaming(a);
		size_t limit = (size_t)(bulk ? bulk_rows : batch_rows);
		if (code == 0 && (mssql_apply_batch_records(a) >= limit ||
				  mssql_apply_batch_bytes(a) >= (bulk ? BULK_MAX_BYTES : BATCH_MAX_BYTES) ||
				  mssql_apply_bulk_soon(a)))
			code = mssql_apply_flush(a);
	}
	/* End of input or a signal: commit what is pending, ack, leave. */
	if (code == 0)
		code = txn ? mssql_txn_finish(txn) : mssql_apply_flush(a);
	/* stopped by a signal before the server answered: nothing is lost
	 * (what was not applied was not acknowledged), as a SIGTERM asks */
	if (code == EX_TEMPFAIL && got_signal && mssql_apply_stopped(a))
		code = 0;
	if (acks)
		ack_writer_flush(acks, 1000);
	if (print_sql && fflush(stdout) != 0 && code == 0) {
		log_error("cannot write stdout: %s", strerror(errno));
		code = EX_IOERR;
	}
	if (progress || stats)
		print_progress(a, start, "done: ");
	/* a value written other than it came is never silent */
	if (mssql_apply_get_stats(a)->clamped)
		log_error("%" PRIu64 " ±infinity dates and timestamps written as the ends of SQL Server's range "
			  "(--clamp-infinity)", mssql_apply_get_stats(a)->clamped);
	record_free(&r);
	record_reader_free(rd);
	mssql_txn_free(txn);
	mssql_apply_free(a);
	metrics_close(mx);
	if (acks)
		ack_writer_close(acks);
	if (!print_sql)
		mssql_global_exit();
	if (password) {
		memset(password, 0, strlen(password));
		free(password);
	}
	return code;
}
