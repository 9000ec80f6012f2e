/* wwi-gen — loads the WideWorldImporters example database and then keeps it
 * busy: new customers, orders, invoices, payments, purchase orders, stock
 * movements and temperature readings at a steady rate, with now and then a
 * deleted order line, a bulk stock-take of thousands of rows, and a delivery
 * record large enough to be TOASTed. The rows come from lib/wwi_gen.c; this
 * file owns the options, the connection, COPY for the initial load and a
 * libpq pipeline for the live transactions. One wwi-gen per database: it
 * assigns the keys itself. */
#include <errno.h>
#include <getopt.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "metrics.h"
#include "pgcancel.h"
#include "wwi_gen.h"

#define MAX_INFLIGHT 16     /* live transactions sent but not yet confirmed */
#define LOAD_BATCH 200      /* history transactions per pipeline sync */
#define COPY_CHUNK (256 * 1024)

static volatile sig_atomic_t stop_requested;

/* What is in flight still waiting on the server PGCANCEL_GRACE_S after a
 * signal (a lock held on a table) is cancelled; at once after a second. */
static void on_signal(int sig)
{
	(void)sig;
	pgcancel_on_stop_signal(stop_requested ? 2 : 1);
	stop_requested = 1;
}

/* A failure after the cancel that a signal asked for is the stop. */
static bool cancelled_by_stop(void)
{
	return stop_requested && pgcancel_asked();
}

struct options {
	const char *conninfo;
	bool schema_load;
	uint64_t seed;
	int scale;
	double rate;
	double change_rate; /* rows per second; when set, paces instead of rate */
	double duration;
	bool progress;
	bool live;
	metrics_config metrics;
};

/* The pipeline: transactions sent, results read back in order. */
struct pipe {
	PGconn *conn;
	char names[WWI_NSTMTS][16];
	int inflight;             /* syncs sent and not yet read */
	uint64_t txs, rows;       /* confirmed */
	char err[512];
};

/* --metrics (all NULL without) */
static metrics *mx;
static metric *m_txs, *m_rows, *m_reconnects;

static void write_metrics(const struct pipe *p, bool now)
{
	if (!mx || (!now && !metrics_due(mx)))
		return;
	metric_set_total(m_txs, p->txs);
	metric_set_total(m_rows, p->rows);
	(void)metrics_write(mx);
}

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: %s -d CONNINFO [options]\n"
	        "Loads the WideWorldImporters example schema with deterministic data, then\n"
	        "generates live business activity at a steady rate.\n"
	        "\n"
	        "  -d, --dbname=CONNINFO  libpq connection string or URI (default: PG* environment)\n"
	        "      --schema-load      create the schemas and tables first (idempotent)\n"
	        "  -s, --seed=N           seed of the generated data (default 1)\n"
	        "      --scale=N          multiply the initial data by N (default 1)\n"
	        "  -r, --rate=TPS         live transactions per second, 0 = as fast as possible\n"
	        "                         (default 100)\n"
	        "  -c, --change-rate=ROWS pace by changed rows per second instead (a transaction\n"
	        "                         changes about 7 rows)\n"
	        "  -t, --duration=SECONDS stop after this long, 0 = until SIGINT/SIGTERM (default 0)\n"
	        "      --no-live          stop after the initial load\n"
	        "  -P, --progress         print transactions/s and rows/s every second\n"
	        "      --no-progress      do not (default when stderr is not a terminal)\n"
	        METRICS_HELP
	        "  -q, --quiet            print errors only\n"
	        "  -v, --verbose          print more\n"
	        "  -h, --help             show this help and exit\n"
	        "  -V, --version          show the version and exit\n",
	        progname);
}

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_for(double secs)
{
	if (secs <= 0)
		return;
	struct timespec ts = {.tv_sec = (time_t)secs, .tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9)};
	nanosleep(&ts, NULL); /* a signal cuts it short, which is what we want */
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-')
		return false;
	*out = v;
	return true;
}

static bool parse_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v != v)
		return false;
	*out = v;
	return true;
}

/* ------------------------------------------------------------ connection */

static const char *first_line(const char *msg)
{
	static char line[512];
	snprintf(line, sizeof line, "%s", msg ? msg : "");
	line[strcspn(line, "\n")] = '\0';
	return line;
}

/* Server notices (a shutdown warning, say) in our own format, when asked. */
static void on_notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("server: %s", first_line(msg));
}

static PGconn *connect_db(const char *conninfo, bool quiet_failure)
{
	const char *keys[] = {"dbname", "fallback_application_name", NULL};
	const char *vals[] = {conninfo, "wwi-gen", NULL};
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(conn) != CONNECTION_OK) {
		if (!quiet_failure)
			log_error("cannot connect (%s)", first_line(PQerrorMessage(conn)));
		PQfinish(conn);
		return NULL;
	}
	pgcancel_register(conn);
	PQsetNoticeProcessor(conn, on_notice, NULL);
	/* Commits are the server's default (synchronous) ones, as an
	 * application's would be: logical decoding sends a transaction only
	 * once its WAL is flushed, and an asynchronous commit waits for the WAL
	 * writer (wal_writer_delay, 200 ms by default), which would count in
	 * every replication latency measured against this load. The pipeline
	 * keeps several commits in flight, so their flushes are shared. */
	return conn;
}

static int exec_ok(PGconn *conn, const char *sql, const char *what)
{
	PGresult *r = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		log_error("%s failed (%s)", what, first_line(PQresultErrorMessage(r)));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

static int prepare_all(struct pipe *p)
{
	buf sql;
	buf_init(&sql, 0);
	int rc = 0;
	for (int k = 0; k < WWI_NSTMTS && !rc; k++) {
		wwi_stmt_name(k, p->names[k]);
		buf_reset(&sql);
		if (wwi_stmt_sql(k, &sql) || buf_terminate(&sql)) {
			rc = -1;
			break;
		}
		PGresult *r = PQprepare(p->conn, p->names[k], sql.data, 0, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			log_error("preparing a statement on %s failed (%s)", wwi_tables[wwi_stmt_table(k)].qname,
			          first_line(PQresultErrorMessage(r)));
			rc = -1;
		}
		PQclear(r);
	}
	buf_free(&sql);
	return rc;
}

/* Reads the highest key of every table and the oldest cold-room reading.
 * Returns 0, or -1 when the tables are not there. */
static int read_max_ids(PGconn *conn, int64_t max_id[WWI_NTABLES], int64_t *min_cold)
{
	buf q;
	buf_init(&q, 0);
	buf_puts(&q, "SELECT ");
	for (int t = 0; t < WWI_NTABLES; t++)
		buf_printf(&q, "(SELECT coalesce(max(%s), 0) FROM %s), ", wwi_tables[t].key, wwi_tables[t].qname);
	buf_puts(&q, "(SELECT coalesce(min(cold_room_temperature_id), 0) FROM warehouse.cold_room_temperatures)");
	buf_terminate(&q);
	PGresult *r = PQexec(conn, q.data);
	buf_free(&q);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		log_error("reading the example tables failed (%s); load the schema with --schema-load "
		          "or psql -f examples/wwi/schema.sql",
		          first_line(PQresultErrorMessage(r)));
		PQclear(r);
		return -1;
	}
	for (int t = 0; t < WWI_NTABLES; t++)
		max_id[t] = strtoll(PQgetvalue(r, 0, t), NULL, 10);
	*min_cold = strtoll(PQgetvalue(r, 0, WWI_NTABLES), NULL, 10);
	PQclear(r);
	return 0;
}

/* -------------------------------------------------------------- pipeline */

static int send_tx(struct pipe *p, const wwi_tx *tx, bool wrap, bool sync)
{
	const char *vals[WWI_MAX_COLS];
	if (wrap && !PQsendQueryParams(p->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0))
		goto fail;
	for (int i = 0; i < tx->nstmts; i++) {
		const wwi_stmt *s = &tx->stmts[i];
		wwi_tx_params(tx, i, vals, NULL);
		if (!PQsendQueryPrepared(p->conn, p->names[s->kind], s->nparams, vals, NULL, NULL, 0))
			goto fail;
	}
	if (wrap && !PQsendQueryParams(p->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0))
		goto fail;
	if (sync) {
		if (!PQpipelineSync(p->conn))
			goto fail;
		p->inflight++;
	}
	return 0;
fail:
	snprintf(p->err, sizeof p->err, "%s", first_line(PQerrorMessage(p->conn)));
	return -1;
}

/* Reads results up to the next sync point. Returns 0, or -1 with p->err set
 * when a statement failed or the connection broke. */
static int read_sync(struct pipe *p, uint64_t txs_in_it)
{
	bool failed = false;
	for (;;) {
		PGresult *r = PQgetResult(p->conn);
		if (!r) {
			if (PQstatus(p->conn) == CONNECTION_BAD) {
				snprintf(p->err, sizeof p->err, "%s", first_line(PQerrorMessage(p->conn)));
				return -1;
			}
			continue; /* the end of one statement's results */
		}
		switch (PQresultStatus(r)) {
		case PGRES_PIPELINE_SYNC:
			PQclear(r);
			p->inflight--;
			if (failed)
				return -1;
			p->txs += txs_in_it;
			return 0;
		case PGRES_COMMAND_OK:
			p->rows += strtoull(PQcmdTuples(r), NULL, 10);
			break;
		case PGRES_PIPELINE_ABORTED:
			break;
		default:
			if (!failed)
				snprintf(p->err, sizeof p->err, "%s", first_line(PQresultErrorMessage(r)));
			failed = true;
			if (PQstatus(p->conn) == CONNECTION_BAD) {
				PQclear(r);
				return -1;
			}
		}
		PQclear(r);
	}
}

static int drain(struct pipe *p, uint64_t txs_per_sync)
{
	while (p->inflight)
		if (read_sync(p, txs_per_sync))
			return -1;
	return 0;
}

/* ----------------------------------------------------------------- load */

static int copy_table(PGconn *conn, const wwi_world *w, int t, wwi_tx *tx, buf *out, uint64_t *rows)
{
	const wwi_table_def *td = &wwi_tables[t];
	buf_reset(out);
	buf_printf(out, "COPY %s (", td->qname);
	for (int i = 0; i < td->ncols; i++)
		buf_printf(out, "%s%s", i ? ", " : "", td->cols[i]);
	buf_puts(out, ") FROM STDIN");
	buf_terminate(out);
	PGresult *r = PQexec(conn, out->data);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		log_error("COPY %s failed (%s)", td->qname, first_line(PQresultErrorMessage(r)));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	buf_reset(out);
	int64_t n = wwi_ref_count(w, t);
	for (int64_t i = 1; i <= n; i++) {
		wwi_tx_reset(tx);
		wwi_ref_row(w, t, i, tx);
		if (tx->failed || wwi_tx_copy_line(tx, 0, out)) {
			log_error("generating row %lld of %s failed", (long long)i, td->qname);
			PQputCopyEnd(conn, "generator failure");
			PQclear(PQgetResult(conn));
			return -1;
		}
		if (out->len >= COPY_CHUNK || i == n) {
			if (PQputCopyData(conn, out->data, (int)out->len) != 1)
				break;
			buf_reset(out);
		}
	}
	int ok = PQputCopyEnd(conn, NULL) == 1;
	r = PQgetResult(conn);
	if (!ok || PQresultStatus(r) != PGRES_COMMAND_OK) {
		log_error("COPY %s failed (%s)", td->qname,
		          first_line(ok ? PQresultErrorMessage(r) : PQerrorMessage(conn)));
		PQclear(r);
		return -1;
	}
	*rows += strtoull(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	while ((r = PQgetResult(conn)))
		PQclear(r);
	return 0;
}

/* Reference tables by COPY, then the history as transactions, all in one
 * database transaction: an interrupted load leaves nothing behind. Returns
 * 0, 1 when interrupted, -1 on failure. */
static int initial_load(struct pipe *p, wwi_world *w, wwi_tx *tx)
{
	double t0 = mono_now();
	uint64_t rows = 0;
	buf out;
	buf_init(&out, 0);
	int rc = exec_ok(p->conn, "BEGIN", "starting the load");
	for (int t = 0; t < WWI_NTABLES && !rc; t++)
		if (wwi_tables[t].reference)
			rc = copy_table(p->conn, w, t, tx, &out, &rows);
	buf_free(&out);
	if (rc)
		return -1;

	int64_t n = wwi_history_count(w);
	int64_t step = (int64_t)1247 * 86400 * 1000000 / n; /* 2013-01-01 to 2016-05-31 */
	w->history = true;
	if (!PQenterPipelineMode(p->conn)) {
		log_error("entering pipeline mode failed (%s)", first_line(PQerrorMessage(p->conn)));
		return -1;
	}
	uint64_t base_rows = p->rows;
	bool unsynced = false;
	for (int64_t k = 0; k < n && !rc && !stop_requested; k++) {
		wwi_next_tx(w, WWI_HISTORY_START_US + k * step, tx);
		if (tx->failed) {
			log_error("generating a %s transaction failed", tx->label);
			return -1;
		}
		bool sync = (k + 1) % LOAD_BATCH == 0;
		rc = send_tx(p, tx, false, sync);
		unsynced = !sync;
		if (!rc && p->inflight > 4)
			rc = read_sync(p, LOAD_BATCH);
	}
	if (!rc && unsynced) {
		if (PQpipelineSync(p->conn))
			p->inflight++;
		else
			rc = -1;
	}
	if (!rc)
		rc = drain(p, LOAD_BATCH);
	if (rc && cancelled_by_stop()) {
		log_info("interrupted; what waited on the server was cancelled and the initial load rolled back");
		return 1;
	}
	if (rc) {
		log_error("loading the history failed (%s)", p->err[0] ? p->err : first_line(PQerrorMessage(p->conn)));
		return -1;
	}
	PQexitPipelineMode(p->conn);
	w->history = false;
	if (stop_requested) {
		exec_ok(p->conn, "ROLLBACK", "rolling back the load");
		log_info("interrupted; the initial load was rolled back");
		return 1;
	}
	if (exec_ok(p->conn, "COMMIT", "committing the load"))
		return -1;
	rows += p->rows - base_rows;
	p->rows = base_rows;
	p->txs = 0;
	log_info("loaded %llu rows (%lld history transactions) in %.1f s", (unsigned long long)rows,
	         (long long)n, mono_now() - t0);
	return 0;
}

/* ----------------------------------------------------------------- live */

/* After the server went away: connect again, with backoff, until it answers
 * or we are told to stop. The keys are read back from the database, as the
 * transactions in flight may or may not have committed. */
static int reconnect(struct pipe *p, const struct options *o, wwi_world *w, double deadline)
{
	double backoff = 0.25;
	PQfinish(p->conn);
	p->conn = NULL;
	p->inflight = 0;
	while (!stop_requested && (deadline <= 0 || mono_now() < deadline)) {
		sleep_for(backoff);
		if (backoff < 8)
			backoff *= 2;
		PGconn *c = connect_db(o->conninfo, true);
		if (!c)
			continue;
		p->conn = c;
		int64_t max_id[WWI_NTABLES], min_cold;
		if (prepare_all(p) || read_max_ids(c, max_id, &min_cold) || !PQenterPipelineMode(c)) {
			PQfinish(c);
			p->conn = NULL;
			continue;
		}
		uint64_t ntx = w->ntx;
		wwi_world_resume(w, o->seed, o->scale, max_id, min_cold);
		w->ntx = ntx;
		log_info("reconnected; resuming at order %lld", (long long)max_id[WWI_ORDERS]);
		return 0;
	}
	return -1;
}

static void progress_line(struct pipe *p, double now, double *last_t, uint64_t *last_tx, uint64_t *last_rows)
{
	double dt = now - *last_t;
	if (dt <= 0)
		return;
	fprintf(stderr, "%s: %.0f tx/s, %.0f rows/s (%llu tx, %llu rows)\n", progname,
	        (double)(p->txs - *last_tx) / dt, (double)(p->rows - *last_rows) / dt,
	        (unsigned long long)p->txs, (unsigned long long)p->rows);
	*last_t = now;
	*last_tx = p->txs;
	*last_rows = p->rows;
}

static int live(struct pipe *p, const struct options *o, wwi_world *w, wwi_tx *tx)
{
	w->ntx = 0;
	w->history = false;
	if (!PQenterPipelineMode(p->conn)) {
		log_error("entering pipeline mode failed (%s)", first_line(PQerrorMessage(p->conn)));
		return EX_SOFTWARE;
	}
	double start = mono_now(), deadline = o->duration > 0 ? start + o->duration : 0;
	double last_t = start, next_progress = start + 1;
	uint64_t sent = 0, sent_rows = 0, last_tx = 0, last_rows = 0;
	p->txs = p->rows = 0;
	for (;;) {
		double now = mono_now();
		if (stop_requested || (deadline > 0 && now >= deadline))
			break;
		if (o->progress && now >= next_progress) {
			progress_line(p, now, &last_t, &last_tx, &last_rows);
			next_progress += 1;
			if (next_progress < now)
				next_progress = now + 1;
		}
		write_metrics(p, false);
		double due_at = o->change_rate > 0 ? start + (double)sent_rows / o->change_rate
		                : o->rate > 0        ? start + (double)sent / o->rate
		                                     : now;
		int rc = 0;
		if (due_at <= now) {
			wwi_next_tx(w, wall_now_us(), tx);
			if (tx->failed) {
				log_error("generating a %s transaction failed", tx->label);
				return EX_SOFTWARE;
			}
			rc = send_tx(p, tx, true, true);
			sent++;
			sent_rows += (uint64_t)wwi_tx_rows(w, tx);
			if (!rc && p->inflight >= MAX_INFLIGHT)
				rc = read_sync(p, 1);
		} else {
			rc = drain(p, 1);
			if (!rc) {
				double until = due_at < next_progress || !o->progress ? due_at : next_progress;
				double metrics_at = now + metrics_wait_ms(mx, 1000) / 1000.0;
				if (mx && metrics_at < until)
					until = metrics_at;
				sleep_for(until - mono_now());
			}
		}
		if (rc && cancelled_by_stop())
			break; /* the end below says so */
		if (rc) {
			if (PQstatus(p->conn) != CONNECTION_BAD) {
				log_error("a transaction failed (%s: %s)", tx->label, p->err);
				return EX_SOFTWARE;
			}
			log_error("lost the connection (%s); reconnecting", p->err);
			metric_add(m_reconnects, 1);
			if (reconnect(p, o, w, deadline))
				return stop_requested ? 0 : EX_UNAVAILABLE;
			sent = (uint64_t)((mono_now() - start) * o->rate);
			sent_rows = (uint64_t)((mono_now() - start) * o->change_rate);
		}
	}
	/* Finish what is in flight, then stop (unless the stop cancelled it). */
	if (!cancelled_by_stop() && p->conn && drain(p, 1) && !cancelled_by_stop()) {
		log_error("a transaction failed (%s)", p->err);
		return PQstatus(p->conn) == CONNECTION_BAD ? EX_UNAVAILABLE : EX_SOFTWARE;
	}
	if (cancelled_by_stop())
		log_info("stopped: the transactions still in flight were cancelled");
	if (o->progress)
		progress_line(p, mono_now(), &last_t, &last_tx, &last_rows);
	write_metrics(p, true);
	log_info("%llu transactions, %llu rows changed in %.1f s", (unsigned long long)p->txs,
	         (unsigned long long)p->rows, mono_now() - start);
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_SCHEMA = 256, OPT_SCALE, OPT_NO_LIVE, OPT_NO_PROGRESS, OPT_METRICS, OPT_METRICS_2, OPT_METRICS_3 };
	static const struct option longopts[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"schema-load", no_argument, NULL, OPT_SCHEMA},
		{"seed", required_argument, NULL, 's'},
		{"scale", required_argument, NULL, OPT_SCALE},
		{"rate", required_argument, NULL, 'r'},
		{"change-rate", required_argument, NULL, 'c'},
		{"duration", required_argument, NULL, 't'},
		{"no-live", no_argument, NULL, OPT_NO_LIVE},
		{"progress", no_argument, NULL, 'P'},
		{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
		METRICS_LONGOPTS(OPT_METRICS),
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct options o = {.conninfo = "", .seed = 1, .scale = 1, .rate = 100, .live = true};
	uint64_t u;
	int c;

	log_init(argv[0]);
	o.progress = log_progress_default();
	while ((c = getopt_long(argc, argv, "d:s:r:c:t:PqvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o.conninfo = optarg; break;
		case OPT_SCHEMA: o.schema_load = true; break;
		case 's':
			if (!parse_u64(optarg, &o.seed))
				die(EX_USAGE, "bad --seed (%s): a non-negative integer", optarg);
			break;
		case OPT_SCALE:
			if (!parse_u64(optarg, &u) || u < 1 || u > 10000)
				die(EX_USAGE, "bad --scale (%s): an integer from 1 to 10000", optarg);
			o.scale = (int)u;
			break;
		case 'r':
			if (!parse_double(optarg, &o.rate))
				die(EX_USAGE, "bad --rate (%s): transactions per second, 0 or more", optarg);
			break;
		case 'c':
			if (!parse_double(optarg, &o.change_rate) || o.change_rate <= 0)
				die(EX_USAGE, "bad --change-rate (%s): rows per second, more than 0", optarg);
			break;
		case 't':
			if (!parse_double(optarg, &o.duration))
				die(EX_USAGE, "bad --duration (%s): seconds, 0 or more", optarg);
			break;
		case OPT_NO_LIVE: o.live = false; break;
		case 'P': o.progress = true; break;
		case OPT_NO_PROGRESS: o.progress = false; break;
		case OPT_METRICS:
		case OPT_METRICS_2:
		case OPT_METRICS_3: {
			char e[256];
			if (metrics_config_option(&o.metrics, c - OPT_METRICS, optarg, e, sizeof e) < 0)
				die(EX_USAGE, "%s", e);
			break;
		}
		case 'q': log_verbosity = 0; break;
		case 'v': log_verbosity++; break;
		case 'h': usage(stdout); return 0;
		case 'V': print_version(); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument (%s)", argv[optind]);
		usage(stderr);
		return EX_USAGE;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pgcancel_catch_alarm();

	mx = metrics_start(&o.metrics);
	m_txs = metric_get(metrics_family(mx, "dbrepl_transactions_total", NULL));
	m_rows = metric_get(metrics_family(mx, "dbrepl_rows_changed_total", NULL));
	m_reconnects = metric_get(metrics_family(mx, "dbrepl_errors_total", "kind"), "reconnect");

	struct pipe p;
	memset(&p, 0, sizeof p);
	p.conn = connect_db(o.conninfo, false);
	if (!p.conn)
		return EX_UNAVAILABLE;
	int rc = 0;
	wwi_world *w = malloc(sizeof *w);
	wwi_tx *tx = malloc(sizeof *tx);
	if (!w || !tx)
		die(EX_OSERR, "out of memory");
	wwi_tx_init(tx);

	if (o.schema_load && exec_ok(p.conn, wwi_schema_sql, "loading the schema")) {
		rc = EX_CONFIG;
		goto out;
	}
	if (prepare_all(&p)) {
		rc = EX_CONFIG;
		goto out;
	}
	int64_t max_id[WWI_NTABLES], min_cold;
	if (read_max_ids(p.conn, max_id, &min_cold)) {
		rc = EX_CONFIG;
		goto out;
	}
	if (max_id[WWI_PEOPLE] == 0) {
		wwi_world_init(w, o.seed, o.scale);
		int lr = initial_load(&p, w, tx);
		if (lr) {
			rc = lr > 0 ? 0 : EX_SOFTWARE;
			goto out;
		}
	} else {
		wwi_world_resume(w, o.seed, o.scale, max_id, min_cold);
		log_info("data already loaded; resuming at order %lld", (long long)max_id[WWI_ORDERS]);
	}
	if (o.live && !stop_requested)
		rc = live(&p, &o, w, tx);
out:
	/* cancelled on the way (preparing, the schema, the reference tables) */
	if (rc && cancelled_by_stop()) {
		log_info("stopped: what waited on the server was cancelled");
		rc = 0;
	}
	wwi_tx_free(tx);
	free(tx);
	free(w);
	if (p.conn)
		PQfinish(p.conn);
	metrics_close(mx);
	return rc;
}
