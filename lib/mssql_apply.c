/* mssql_apply.c — see mssql_apply.h. */
#include "mssql_apply.h"

#include "log.h"
#include "metrics.h"
#include "mssql_batch.h"
#include "tsql.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

/* Latency histogram: 1 ms buckets up to 10 s, then 100 ms up to ~15 min. */
#define LAT_FINE 10000
/* A table with fewer staged rows than this in a batch is staged by
 * INSERT … VALUES in the batch that MERGEs it, not by bcp: bcp costs three
 * round trips per table (metadata query, insert bulk, rows), which dwarf a
 * few hundred rows; above it, bcp's compact rows win. */
#define STAGE_INLINE_ROWS 500
#define LAT_BUCKETS (LAT_FINE + 9000)
/* SQL Server refuses a request of more than 2,100 parameters, @stmt and
 * @params of sp_executesql counted (8003: no retry would cure it). The
 * batch's RPC has four per checkpoint row (add_ckpt_params), so a batch
 * holds the rows of this many streams at most; the record of one more
 * closes it first (streams_full). */
#define RPC_PARAMS_MAX 2100
#define CKPT_STREAMS_MAX ((RPC_PARAMS_MAX - 2) / 4)

typedef struct stream_state {
	char *name;
	pos_offset ckpt; /* committed (checkpoint table, or our own commits) */
	bool has_ckpt;
	pos_offset batch_max; /* highest offset taken into the current batch */
	bool in_batch;
	bool acked; /* an ack went upstream in this run */
	/* The checkpoint row as the open transaction of a source transaction
	 * applied in pieces (mssql_apply_piece) has written it so far. */
	pos_offset piece_max;
	bool in_piece;
} stream_state;

/* Commit times of a batch's records, a run of equal ones as one: the
 * records of a source transaction share theirs. */
typedef struct lat_run {
	int64_t us;
	uint64_t n;
} lat_run;

/* An open typed bulk copy into a target table. */
struct direct {
	mssql_table *t;
	size_t n;           /* columns */
	size_t *pos;        /* the target column of each record column */
	long *lim;          /* the most bytes a value of each may bind (-1: any) */
	mssql_host *hosts;  /* the host type of each target column */
	mssql_typed_col *cols; /* how each record column converts */
	mssql_typed *vals;  /* one row, in target column order */
	size_t rows;        /* sent so far */
};

static void direct_free(struct direct *d);
static int refuse_table(mssql_apply *a, mssql_table *t, size_t i);
static int ddl_refused(mssql_apply *a, mssql_table *t, const char *what);

/* A parameter of the batch's RPC: the checkpoint's rows. */
struct rpc_arg {
	char name[16];    /* "@s1" */
	const char *type; /* as declared: "nvarchar(450)", "bigint" */
	bool is_int;
	int64_t i;
	const char *ext;  /* the text, when not in text[] (a stream's name) */
	char text[POS_OFFSET_TEXT_MAX];
};

/* How an attempt to apply a batch ended. */
enum { AT_OK = 0, AT_TRANSIENT, AT_TRUNCATE, AT_STALE, AT_SERVER, AT_BADVALUE, AT_FATAL };

/* A target table's primary key, for records that name no key columns. */
typedef struct target_key {
	char *schema, *table; /* the target's */
	struct rows *cols;    /* its columns in key order (none: no primary key) */
} target_key;

struct mssql_apply {
	mssql_apply_opts o;
	target_key *tkeys;
	size_t ntkeys;
	mssql_conn *conn;
	bool prepared; /* --print-sql: session and checkpoint printed */
	mssql_tables ts;
	stream_state *streams;
	size_t nstreams, capstreams;

	uint64_t nrec; /* records in the current batch, skipped ones included */
	lat_run *lat;  /* their commit times */
	size_t nlat, caplat;
	/* A target transaction stays open after mssql_apply_piece: the
	 * pieces of one source transaction go in it, and the next flush
	 * commits it. */
	bool piece_open;
	uint64_t hist[LAT_BUCKETS];

	buf sql;
	buf stage; /* this batch's INSERT … VALUES into staging tables */
	buf tail;  /* its COMMIT and staging truncates */
	struct rpc_arg *prm; /* the parameters of its RPC */
	size_t nprm, capprm;
	buf rpctext; /* scratch of run_rpc */
	buf *scratch;
	tsql_cell *cells;
	mssql_typed *tvals; /* a staging row of a bulk copy */
	mssql_host *hosts;  /* its columns' host types */
	/* where each column's value [j] and flag [ncols + j] go in it (0:
	 * no flag column), from 1 as tsql_staging_col counts */
	size_t *stage_at;
	buf flags16;        /* a packed flag column's UTF-16 (tsql_staging_packed) */
	size_t ncellcap;
	mssql_table **order;
	size_t ordercap;

	/* This batch MERGEs even snapshot rows into an empty-looking table:
	 * their INSERT met a key another writer put there meanwhile. */
	bool no_insert;
	/* This batch's upserts go before its deletes (a foreign key refused
	 * the other order, 547). */
	bool upserts_first;
	/* Foreign keys among the tables written (referenced, referencing),
	 * from the catalog (ensure_fks). */
	mssql_table *(*fk)[2];
	size_t nfk, capfk;
	mssql_error last; /* of the failed step */
	mssql_table *bad_t; /* AT_BADVALUE / located record */
	/* The table whose CREATE or ALTER met 2714 or 2705 in this batch,
	 * which was then tried once more (ddl_refused). */
	mssql_table *ddl_retried;
	bool ckpt_retried; /* the same of the checkpoint table's CREATE */
	/* The last AT_TRANSIENT is a catalog read again after 2714 or 2705
	 * (ddl_refused, prepare), not a failure: it takes no retry. */
	bool reread;
	bool reread_lost; /* pieces_lost after such a reread (mssql_apply_reread) */
	size_t bad_i;
	char bad_msg[512];
	bool names_ci; /* the database's names ignore case (its collation) */
	int fatal; /* AT_FATAL's exit code */

	/* Snapshot rows into a table the snapshot found empty go to the
	 * server as they are read (live_add): a typed bulk copy opened in the
	 * batch's transaction and ended by the flush, so the server loads one
	 * batch while the next is read. */
	struct direct live; /* live.t: the table, or NULL */
	size_t live_sent;   /* changes of live.t handled (sent or staged) */
	bool live_broken;   /* cannot go on: the flush applies the batch from memory */
	bool stopped;       /* opts.stop ended a retry or a wait (mssql_apply_stopped) */
	uint64_t batch_rt0; /* round trips before the batch's first record */

	uint64_t rt_closed; /* round trips of connections closed since */
	uint64_t rt_print;
	mssql_apply_stats st;

	/* --metrics (all NULL without) */
	struct {
		metric_family *out, *dead;
		metric *skipped, *batches, *retries, *lat, *lag, *last;
		int64_t newest_us;
	} m;
};

/* ---- small helpers ---- */

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t round_trips(const mssql_apply *a)
{
	if (a->o.print)
		return a->rt_print;
	return a->rt_closed + (a->conn ? mssql_round_trips(a->conn) : 0);
}

static void disconnect(mssql_apply *a)
{
	if (!a->conn)
		return;
	a->rt_closed += mssql_round_trips(a->conn);
	mssql_close(a->conn);
	a->conn = NULL;
	/* an open bulk copy and its transaction end with the session */
	if (a->live.t) {
		direct_free(&a->live);
		a->live_broken = true;
	}
	/* #temp tables die with the session. */
	for (size_t i = 0; i < a->ts.n; i++) {
		a->ts.t[i]->staging_ready = false;
		a->ts.t[i]->staging_shape_old = false;
		a->ts.t[i]->staging_dirty = false;
	}
}

static stream_state *stream_find(const mssql_apply *a, const char *name)
{
	for (size_t i = 0; i < a->nstreams; i++)
		if (!strcmp(a->streams[i].name, name))
			return &a->streams[i];
	return NULL;
}

static stream_state *stream_get(mssql_apply *a, const char *name)
{
	stream_state *found = stream_find(a, name);
	if (found)
		return found;
	if (a->nstreams == a->capstreams) {
		size_t cap = a->capstreams ? a->capstreams * 2 : 8;
		stream_state *p = realloc(a->streams, cap * sizeof *p);
		if (!p)
			return NULL;
		a->streams = p;
		a->capstreams = cap;
	}
	stream_state *s = &a->streams[a->nstreams];
	memset(s, 0, sizeof *s);
	if (!(s->name = strdup(name)))
		return NULL;
	a->nstreams++;
	return s;
}

/* Whether s has a row in the batch's checkpoint MERGE: it is in the batch,
 * beyond its checkpoint, and beyond what an earlier piece of the open
 * transaction wrote for it. */
static bool ckpt_row(const stream_state *s)
{
	return s->in_batch && !(s->has_ckpt && pos_offset_cmp(s->batch_max, s->ckpt) <= 0) &&
	       !(s->in_piece && pos_offset_cmp(s->batch_max, s->piece_max) <= 0);
}

/* Whether a record of stream s (NULL: a stream not seen yet) that is not
 * skipped would give the batch's checkpoint MERGE a row beyond
 * CKPT_STREAMS_MAX: the batch must be applied first. */
static bool stream_overflows(const mssql_apply *a, const stream_state *s)
{
	if (s && ckpt_row(s))
		return false; /* its row is there already */
	size_t n = 0;
	for (size_t i = 0; i < a->nstreams; i++)
		n += ckpt_row(&a->streams[i]);
	return n >= CKPT_STREAMS_MAX;
}

/* stream_overflows for r, taken into the batch */
static bool streams_full(const mssql_apply *a, const record *r)
{
	const stream_state *s = stream_find(a, r->stream);
	if (s && ((s->has_ckpt && pos_offset_cmp(r->offset, s->ckpt) <= 0) ||
		  (s->in_batch && pos_offset_cmp(r->offset, s->batch_max) <= 0)))
		return false; /* skipped */
	return stream_overflows(a, s);
}

static const char *map_schema(const mssql_apply *a, const char *schema)
{
	for (size_t i = 0; i < a->o.nmaps; i++)
		if (!strcmp(a->o.map_src[i], schema))
			return a->o.map_dst[i];
	return schema;
}

static int ensure_cells(mssql_apply *a, size_t ncols)
{
	size_t need = 2 * ncols + 2;
	if (need <= a->ncellcap)
		return 0;
	buf *s = realloc(a->scratch, need * sizeof *s);
	if (!s)
		return -1;
	for (size_t i = a->ncellcap; i < need; i++)
		buf_init(&s[i], 0);
	a->scratch = s;
	tsql_cell *c = realloc(a->cells, need * sizeof *c);
	if (!c)
		return -1;
	a->cells = c;
	mssql_typed *v = realloc(a->tvals, need * sizeof *v);
	if (!v)
		return -1;
	a->tvals = v;
	mssql_host *h = realloc(a->hosts, need * sizeof *h);
	if (!h)
		return -1;
	a->hosts = h;
	size_t *at = realloc(a->stage_at, need * sizeof *at);
	if (!at)
		return -1;
	a->stage_at = at;
	a->ncellcap = need;
	return 0;
}

/* ---- running T-SQL (or printing it) ---- */

static int run(mssql_apply *a, const char *sql, mssql_row_cb cb, void *ctx)
{
	if (a->o.print) {
		fputs(sql, a->o.print);
		fputs("\nGO\n", a->o.print);
		a->rt_print++;
		return 0;
	}
	log_debug("T-SQL: %.2000s", sql);
	if (mssql_exec(a->conn, sql, cb, ctx) < 0) {
		a->last = *mssql_last_error(a->conn);
		if (mssql_dead(a->conn))
			a->last.dead = true;
		return -1;
	}
	return 0;
}

static struct rpc_arg *add_arg(mssql_apply *a, const char *prefix, size_t k, const char *type)
{
	if (a->nprm == a->capprm) {
		size_t cap = a->capprm ? 2 * a->capprm : 16;
		struct rpc_arg *p = realloc(a->prm, cap * sizeof *p);
		if (!p)
			return NULL;
		a->prm = p;
		a->capprm = cap;
	}
	struct rpc_arg *g = &a->prm[a->nprm++];
	memset(g, 0, sizeof *g);
	snprintf(g->name, sizeof g->name, "@%s%zu", prefix, k);
	g->type = type;
	return g;
}

/* The k-th checkpoint row's parameters (tsql_checkpoint_merge_row_params):
 * stream, offset, and the offset's pair. -1 on ENOMEM. */
static int add_ckpt_params(mssql_apply *a, size_t k, const stream_state *s)
{
	struct rpc_arg *g;
	if (!(g = add_arg(a, "s", k, "nvarchar(450)")))
		return -1;
	g->ext = s->name;
	if (!(g = add_arg(a, "o", k, "nvarchar(100)")))
		return -1;
	pos_offset_format(s->batch_max, g->text, sizeof g->text);
	if (!(g = add_arg(a, "major", k, "bigint")))
		return -1;
	g->is_int = true;
	g->i = (int64_t)s->batch_max.major;
	if (!(g = add_arg(a, "minor", k, "bigint")))
		return -1;
	g->is_int = true;
	g->i = (int64_t)s->batch_max.minor;
	return 0;
}

/* Runs sql, of constant text, with the batch's parameters (a->prm) as an
 * RPC of sp_executesql; printing, as the EXEC sp_executesql that does the
 * same. */
static int run_rpc(mssql_apply *a, const char *sql)
{
	buf *d = &a->rpctext;
	buf_reset(d);
	for (size_t i = 0; i < a->nprm; i++)
		buf_printf(d, "%s%s %s", i ? ", " : "", a->prm[i].name, a->prm[i].type);
	if (buf_terminate(d) < 0) {
		a->fatal = EX_OSERR;
		return -1;
	}
	if (a->o.print) {
		buf e;
		buf_init(&e, 0);
		int rc = buf_puts(&e, "EXEC sp_executesql ");
		rc |= tsql_nstr(&e, sql, strlen(sql));
		if (a->nprm) {
			rc |= buf_puts(&e, ",\n  ");
			rc |= tsql_nstr(&e, d->data, d->len);
		}
		for (size_t i = 0; i < a->nprm; i++) {
			const struct rpc_arg *g = &a->prm[i];
			rc |= buf_printf(&e, ",\n  %s = ", g->name);
			if (g->is_int)
				rc |= buf_printf(&e, "%lld", (long long)g->i);
			else
				rc |= tsql_nstr(&e, g->ext ? g->ext : g->text, strlen(g->ext ? g->ext : g->text));
		}
		rc |= buf_putc(&e, ';') | buf_terminate(&e);
		if (rc == 0)
			run(a, e.data, NULL, NULL);
		buf_free(&e);
		return rc ? -1 : 0;
	}
	log_debug("T-SQL (sp_executesql): %.2000s", sql);
	mssql_param p[a->nprm ? a->nprm : 1];
	for (size_t i = 0; i < a->nprm; i++) {
		const struct rpc_arg *g = &a->prm[i];
		const char *t = g->ext ? g->ext : g->text;
		p[i] = (mssql_param){g->name, g->is_int, g->i, t, strlen(t)};
	}
	if (mssql_exec_rpc(a->conn, sql, a->nprm ? d->data : NULL, a->nprm, p, NULL, NULL) < 0) {
		a->last = *mssql_last_error(a->conn);
		if (mssql_dead(a->conn))
			a->last.dead = true;
		return -1;
	}
	return 0;
}

/* opts.stop says the caller will wait no longer: no more retries. */
static bool stopping(mssql_apply *a)
{
	if (!a->o.stop || !a->o.stop())
		return false;
	a->stopped = true;
	return true;
}

/* The result of a failed step: what to do next. The connection is closed
 * on every failure: some errors (compile errors among them) leave a
 * transaction open even with XACT_ABORT ON, and a fresh session is the
 * simple way to be sure none is. */
static int failed(mssql_apply *a)
{
	disconnect(a);
	if (a->last.dead || a->last.timeout || tsql_error_is_transient(a->last.number))
		return AT_TRANSIENT;
	if (tsql_error_is_truncate_refused(a->last.number))
		return AT_TRUNCATE;
	if (a->last.number == TSQL_ERR_CHECKPOINT_AHEAD)
		return AT_STALE;
	return AT_SERVER;
}

static int sql_reset(mssql_apply *a)
{
	buf_reset(&a->sql);
	return 0;
}

static int sql_done(mssql_apply *a)
{
	if (buf_terminate(&a->sql) < 0) {
		log_error("T-SQL batch too large");
		a->fatal = EX_SOFTWARE;
		return -1;
	}
	return 0;
}

/* The server refused a statement of the run's own, outside the batch's
 * data statements (what: "CREATE TABLE [dbo].[dbrepl_checkpoint]",
 * "reading its constraints and triggers from the catalog"…), for table t
 * or for none (NULL). Its error is the reason, and says what is wrong
 * with the target, not with a record: the batch is not handed to
 * locate(), whose trials skip the statement (or meet it again, before
 * any record's) and would report what follows from the refusal, or blame
 * a record or table for it. A transient error is retried as any other.
 * SQL Server's refusal of t's shape (1701, 1702: too wide a row, too many
 * columns) refuses t's records by name (refuse_table, from its change
 * first). Any other ends the run with EX_CONFIG, naming what was refused
 * and the server's error: retrying cannot help until the target is put
 * right (the login's permissions, another object of the name), and no
 * record is at fault, nor refused, nor dead-lettered. */
static int refused_at(mssql_apply *a, mssql_table *t, size_t first, const char *what)
{
	if (a->fatal)
		return AT_FATAL;
	if (failed(a) == AT_TRANSIENT)
		return AT_TRANSIENT;
	if (t && (a->last.number == 1701 || a->last.number == 1702)) {
		snprintf(a->bad_msg, sizeof a->bad_msg, "SQL Server refused %.100s: %d %.380s", what, a->last.number,
			 a->last.msg);
		return refuse_table(a, t, first);
	}
	const char *why = "no record is at fault, and none is refused: the target must be put right, the login's "
			  "permissions or another object of the name";
	if (t)
		log_error("table [%s].[%s]: SQL Server refused %s: %d %s (%s)", t->schema, t->table, what,
			  a->last.number, a->last.msg, why);
	else
		log_error("SQL Server refused %s: %d %s (%s)", what, a->last.number, a->last.msg, why);
	a->fatal = EX_CONFIG;
	return AT_FATAL;
}

/* ---- session and checkpoint ---- */

struct rows {
	size_t n;
	char **v; /* first column of each row */
	size_t cap;
};

static int collect_first(void *ctx, int ncols, char **vals)
{
	struct rows *r = ctx;
	if (ncols < 1)
		return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		char **p = realloc(r->v, cap * sizeof *p);
		if (!p)
			return 1;
		r->v = p;
		r->cap = cap;
	}
	r->v[r->n] = strdup(vals[0] ? vals[0] : "");
	if (r->v[r->n])
		r->n++;
	return 0;
}

static void rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i]);
	free(r->v);
	memset(r, 0, sizeof *r);
}

static int load_ckpt_row(void *ctx, int ncols, char **vals)
{
	mssql_apply *a = ctx;
	pos_offset o;
	if (ncols < 2 || !vals[0] || !vals[1] || pos_offset_parse(vals[1], &o) < 0) {
		log_error("ignoring a malformed checkpoint row (stream %s)", ncols > 0 && vals[0] ? vals[0] : "?");
		return 0;
	}
	stream_state *s = stream_get(a, vals[0]);
	if (!s)
		return 1;
	if (!s->has_ckpt || pos_offset_cmp(o, s->ckpt) > 0)
		s->ckpt = o;
	s->has_ckpt = true;
	return 0;
}

/* Connects (or, printing, prints the session prologue once), sets the
 * session options and reads the checkpoint. */
static int prepare(mssql_apply *a)
{
	if (a->o.print) {
		if (a->prepared)
			return AT_OK;
		a->prepared = true;
	} else {
		if (a->conn)
			return AT_OK;
		mssql_error e;
		a->conn = mssql_connect(&a->o.login, &e);
		if (!a->conn) {
			a->last = e;
			/* 18456 login failed, 4060 cannot open database: no point retrying */
			if (e.number == 18456 || e.number == 4060 || e.number == 18452) {
				log_error("cannot log in to %s: %s", a->o.login.server, e.msg);
				a->fatal = EX_UNAVAILABLE;
				return AT_FATAL;
			}
			if (e.number == MSSQL_ERR_CONFIG) {
				log_error("%s", e.msg);
				a->fatal = EX_USAGE;
				return AT_FATAL;
			}
			a->last.dead = true;
			return AT_TRANSIENT;
		}
	}
	struct rows rows = {0};
	sql_reset(a);
	tsql_session_options(&a->sql);
	if (sql_done(a) < 0 || run(a, a->sql.data, NULL, NULL) < 0)
		return refused_at(a, NULL, 0, "the session's SET options");
	/* names ignore case unless the collation says otherwise (_CS, _BIN,
	 * _BIN2); unknown: as SQL Server's default, which ignores it */
	sql_reset(a);
	tsql_catalog_collation(&a->sql);
	if (sql_done(a) < 0 || run(a, a->sql.data, collect_first, &rows) < 0) {
		rows_free(&rows);
		return refused_at(a, NULL, 0, "reading the database's collation from the catalog");
	}
	a->names_ci = !(rows.n && rows.v[0] && (strstr(rows.v[0], "_CS") || tsql_collation_is_binary(rows.v[0])));
	rows_free(&rows);
	sql_reset(a);
	tsql_catalog_columns(&a->sql, "dbo", "dbrepl_checkpoint");
	if (sql_done(a) < 0 || run(a, a->sql.data, collect_first, &rows) < 0) {
		rows_free(&rows);
		return refused_at(a, NULL, 0, "reading the columns of the checkpoint table [dbo].[dbrepl_checkpoint] "
				  "from the catalog");
	}
	size_t have = rows.n;
	rows_free(&rows);
	if (have == 0) {
		sql_reset(a);
		tsql_checkpoint_create(&a->sql);
		if (sql_done(a) < 0 || run(a, a->sql.data, NULL, NULL) < 0)
			return ddl_refused(a, NULL, "CREATE TABLE [dbo].[dbrepl_checkpoint] (the checkpoint table)");
	}
	sql_reset(a);
	tsql_checkpoint_select(&a->sql);
	if (sql_done(a) < 0 || run(a, a->sql.data, load_ckpt_row, a) < 0)
		return refused_at(a, NULL, 0, "reading the checkpoint table [dbo].[dbrepl_checkpoint]");
	return AT_OK;
}

/* ---- target tables ---- */

/* The index of the target's column called name (as SQL Server's default
 * collation compares names), or t->ntcols. */
static size_t tcol_index(const mssql_table *t, const char *name)
{
	size_t j = 0;
	while (j < t->ntcols && !tsql_name_eq_ci(t->tcols[j], name))
		j++;
	return j;
}

static bool has_col(const mssql_table *t, const char *name)
{
	return tcol_index(t, name) < t->ntcols;
}

/* Adds a target column: its name and type as the type map spells it
 * ("int", "nvarchar(20)", "decimal(18,2)", "varbinary(max)"; "" when
 * unknown). */
static int add_tcol(mssql_table *t, const char *name, const char *type)
{
	char **p = realloc(t->tcols, (t->ntcols + 1) * sizeof *p);
	if (!p)
		return -1;
	t->tcols = p;
	char **q = realloc(t->ttypes, (t->ntcols + 1) * sizeof *q);
	if (!q)
		return -1;
	t->ttypes = q;
	char *nm = strdup(name), *ty = strdup(type ? type : "");
	if (!nm || !ty) {
		free(nm);
		free(ty);
		return -1;
	}
	t->tcols[t->ntcols] = nm;
	t->ttypes[t->ntcols] = ty;
	t->ntcols++;
	return 0;
}

/* Adds record column i as a target column of the type (and collation) the
 * type map gives it: a column mssql-apply created. */
static int add_tcol_as(mssql_table *t, size_t i)
{
	char spec[160];
	tsql_type_spec(&t->types[i], spec, sizeof spec);
	return add_tcol(t, t->names[i], spec);
}

/* A row of tsql_catalog_column_types: a target column, its type spelled as
 * the type map spells it. */
struct tcols {
	mssql_table *t;
	bool oom;
	char spelled[2 * 256 + 8]; /* "[schema].[table]" as the target has it, when not as t */
};

static int collect_tcol(void *ctx, int ncols, char **vals)
{
	struct tcols *c = ctx;
	if (ncols < 5 || !vals[0])
		return 0;
	const char *ty = vals[1] ? vals[1] : "";
	char spec[160];
	if (vals[2] && strtol(vals[2], NULL, 10) < 0)
		snprintf(spec, sizeof spec, "%.60s(max)", ty);
	else if (vals[2])
		snprintf(spec, sizeof spec, "%.60s(%ld)", ty, strtol(vals[2], NULL, 10));
	else if ((!strcasecmp(ty, "decimal") || !strcasecmp(ty, "numeric")) && vals[3] && vals[4])
		snprintf(spec, sizeof spec, "decimal(%ld,%ld)", strtol(vals[3], NULL, 10), strtol(vals[4], NULL, 10));
	else if ((!strcasecmp(ty, "time") || !strcasecmp(ty, "datetime2") || !strcasecmp(ty, "datetimeoffset")) &&
		 ncols >= 7 && vals[6])
		snprintf(spec, sizeof spec, "%.60s(%ld)", ty, strtol(vals[6], NULL, 10));
	else
		snprintf(spec, sizeof spec, "%.60s", ty);
	if (ncols >= 8 && vals[7] && vals[7][0]) {
		size_t n = strlen(spec);
		snprintf(spec + n, sizeof spec - n, " COLLATE %.80s", vals[7]);
	}
	if (add_tcol(c->t, vals[0], spec) < 0) {
		c->oom = true;
		return 1;
	}
	if (ncols >= 6 && vals[5] && strtol(vals[5], NULL, 10) == 1)
		c->t->tidentity = c->t->ntcols;
	if (ncols >= 10 && vals[8] && vals[9] && (strcmp(vals[8], c->t->schema) || strcmp(vals[9], c->t->table)))
		snprintf(c->spelled, sizeof c->spelled, "[%.256s].[%.256s]", vals[8], vals[9]);
	return 0;
}

/* Whether a column of t in [lo, hi) has no type to create it with (a
 * Debezium event without its schema says none, record_debezium.h); says
 * so. */
static bool untyped_cols(const mssql_table *t, size_t lo, size_t hi)
{
	for (size_t i = lo; i < hi; i++)
		if (!strcmp(t->pgtypes[i], "unknown")) {
			log_error("cannot create column %s of [%s].[%s]: its type is not known (an event without its "
				  "schema); create the column, or send events with their schemas", t->names[i], t->schema,
				  t->table);
			return true;
		}
	return false;
}

/* Refuses t's records for a->bad_msg's reason: by its change i
 * (AT_BADVALUE, so --dead-letter takes them one by one), or, for a
 * truncate alone, which no record names, the run (AT_FATAL, EX_DATAERR). */
static int refuse_table(mssql_apply *a, mssql_table *t, size_t i)
{
	if (t->n == 0) {
		log_error("table [%s].[%s]: %s", t->schema, t->table, a->bad_msg);
		a->fatal = EX_DATAERR;
		return AT_FATAL;
	}
	a->bad_t = t;
	a->bad_i = i;
	return AT_BADVALUE;
}

/* What makes t one table, or two columns of it one column, on a SQL
 * Server whose names ignore case (a->names_ci: its default collation's
 * do), where PostgreSQL keeps them apart (quoted names): its records
 * would be written over another table's, or refused whole (2705, 264).
 * Another table counts once it has its target table (exists): one
 * refused itself claims no name. AT_OK, or AT_BADVALUE by t's first
 * record (AT_FATAL, EX_DATAERR, for a truncate alone). */
static int name_clash(mssql_apply *a, mssql_table *t)
{
	if (!a->names_ci)
		return AT_OK;
	const mssql_table *other = NULL;
	for (size_t i = 0; i < a->ts.n && !t->exists && !other; i++) {
		const mssql_table *u = a->ts.t[i];
		if (u != t && u->exists && tsql_name_eq_ci(u->schema, t->schema) && tsql_name_eq_ci(u->table, t->table) &&
		    (strcmp(u->schema, t->schema) || strcmp(u->table, t->table)))
			other = u;
	}
	if (!other && t->case_twin[0] < 0)
		return AT_OK;
	if (other)
		snprintf(a->bad_msg, sizeof a->bad_msg,
			 "[%.60s].[%.60s] and [%.60s].[%.60s] are one table on SQL Server, whose names ignore case "
			 "(the database's collation): the source's second table is refused, not written over the "
			 "first", other->schema, other->table, t->schema, t->table);
	else
		snprintf(a->bad_msg, sizeof a->bad_msg,
			 "columns %.100s and %.100s are one column on SQL Server, whose names ignore case (the "
			 "database's collation; 2705)", t->names[t->case_twin[0]], t->names[t->case_twin[1]]);
	return refuse_table(a, t, 0);
}

/* Whether SQL Server would refuse t with ncols columns whose row is r,
 * at CREATE TABLE or ALTER TABLE ADD (what: "not created", "column x not
 * added"): more than 1,024 columns (1702), or a minimum row over 8,060
 * bytes (1701), which PostgreSQL holds (1,600 columns, rows of about
 * 8,160 bytes and more by TOAST). Says why in a->bad_msg; refused here,
 * by name, rather than by the server in the middle of a batch. */
static bool too_wide(mssql_apply *a, size_t ncols, const tsql_row_size *r, const char *what)
{
	if (ncols > TSQL_TABLE_COLUMNS_MAX) {
		snprintf(a->bad_msg, sizeof a->bad_msg,
			 "the table would have %zu columns, and SQL Server holds %d a table (1702): %s", ncols,
			 TSQL_TABLE_COLUMNS_MAX, what);
		return true;
	}
	long min = tsql_row_min(r);
	if (min <= TSQL_ROW_BYTES_MAX)
		return false;
	snprintf(a->bad_msg, sizeof a->bad_msg,
		 "SQL Server would not hold its rows: the table's minimum row size would be %ld bytes (%ld of "
		 "fixed-length columns, %ld of row header and null bitmap), over the %d bytes a row holds (1701): "
		 "%s (--type-map TYPE=nvarchar(max) makes a type's columns variable-length, which take no room "
		 "in the minimum row)", min, min - tsql_row_overhead(r), tsql_row_overhead(r), TSQL_ROW_BYTES_MAX,
		 what);
	return true;
}

/* Forgets t's target columns as read from the catalog: its next
 * ensure_table reads them again. */
static void forget_target(mssql_table *t)
{
	for (size_t i = 0; i < t->ntcols; i++) {
		free(t->tcols[i]);
		free(t->ttypes[i]);
	}
	t->ntcols = 0;
	t->exists = false;
}

/* The server refused a statement ensure_table sent for t (what: "CREATE
 * TABLE", "reading its columns from the catalog"…), or, t NULL, the
 * checkpoint table's CREATE TABLE (prepare). Its error is the
 * reason, and says what is wrong with the target, not with a record: the
 * batch is not handed to locate(), whose trials skip ensure_table and
 * would report what follows from the refusal (208 for the table never
 * created, 207 for the column never added), or blame a record for it.
 * A transient error is retried as any other; 2714 or 2705 (the table or
 * column there already) once, the catalog read again. SQL Server's
 * refusal of the records' shape (1701, 1702: what too_wide foresees)
 * refuses t's records by name, as too_wide does. Any other (262 or 4902:
 * the login may not create or alter it; 2714 again: another object has
 * its name) ends the run with EX_CONFIG, naming t and the server's error:
 * retrying cannot help until the target is put right, and no record is at
 * fault. */
static int ddl_refused(mssql_apply *a, mssql_table *t, const char *what)
{
	if (a->fatal)
		return AT_FATAL;
	if (failed(a) == AT_TRANSIENT)
		return AT_TRANSIENT;
	if ((a->last.number == 2714 || a->last.number == 2705) && (t ? a->ddl_retried != t : !a->ckpt_retried)) {
		/* Another mssql-apply (of another partition, say) may have
		 * made the table or column between our reading the catalog and
		 * our statement: once more, the catalog read again (not a
		 * retry of --retries: nothing failed yet). */
		log_info("table [%s].[%s]: SQL Server refused %s: %d %s; reading the catalog again (another "
			 "mssql-apply may have made it meanwhile)", t ? t->schema : "dbo",
			 t ? t->table : "dbrepl_checkpoint", what, a->last.number, a->last.msg);
		a->reread = true;
		if (!t) {
			a->ckpt_retried = true;
			return AT_TRANSIENT;
		}
		a->ddl_retried = t;
		forget_target(t);
		return AT_TRANSIENT;
	}
	return refused_at(a, t, 0, what);
}

/* Reads the target's columns; creates the table (--create-tables) or adds
 * new columns (--evolve) as needed. */
static int ensure_table(mssql_apply *a, mssql_table *t)
{
	/* nothing to write (its records went to the dead-letter file): not
	 * even a table to make */
	if (t->n == 0 && !t->truncate)
		return AT_OK;
	int rc = name_clash(a, t);
	if (rc != AT_OK)
		return rc;
	if (!t->exists) {
		struct rows rows = {0};
		struct tcols tc = {t, false};
		t->tidentity = 0;
		sql_reset(a);
		tsql_catalog_column_types(&a->sql, t->schema, t->table);
		if (sql_done(a) < 0 || run(a, a->sql.data, collect_tcol, &tc) < 0)
			return ddl_refused(a, t, "reading its columns from the catalog");
		if (tc.oom) {
			a->fatal = EX_OSERR;
			return AT_FATAL;
		}
		if (tc.spelled[0]) {
			/* found ignoring case: maybe another source table's,
			 * written there before (name_clash sees only this run's) */
			snprintf(a->bad_msg, sizeof a->bad_msg,
				 "the target has the table as %.140s, which differs from [%.60s].[%.60s] only in case: one "
				 "table on SQL Server (names ignoring case), maybe another source table's; refused, not "
				 "written into it (if it is this one's, rename it to the source's spelling)",
				 tc.spelled, t->schema, t->table);
			/* looked up again next time */
			forget_target(t);
			return refuse_table(a, t, 0);
		}
		if (t->ntcols == 0 && t->ncols == 0) {
			/* A truncate of a table we never saw columns of, and that
			 * the target does not have: nothing to empty (printing:
			 * assume it is there). */
			if (!a->o.print)
				t->truncate = false;
			return AT_OK;
		}
		if (t->ntcols == 0 && a->o.create_tables) {
			if (strcmp(t->schema, "dbo") != 0) {
				sql_reset(a);
				tsql_catalog_schema(&a->sql, t->schema);
				if (sql_done(a) < 0 || run(a, a->sql.data, collect_first, &rows) < 0) {
					rows_free(&rows);
					return ddl_refused(a, t, "reading its schema from the catalog");
				}
				size_t have = rows.n;
				rows_free(&rows);
				if (!have) {
					sql_reset(a);
					tsql_create_schema(&a->sql, t->schema);
					if (sql_done(a) < 0 || run(a, a->sql.data, NULL, NULL) < 0)
						return ddl_refused(a, t, "CREATE SCHEMA");
				}
			}
			if (untyped_cols(t, 0, t->ncols)) {
				a->fatal = EX_DATAERR;
				return AT_FATAL;
			}
			tsql_row_size row;
			tsql_create_row(&t->view, &row);
			if (too_wide(a, t->ncols, &row, "not created"))
				return refuse_table(a, t, 0);
			sql_reset(a);
			tsql_create_table(&a->sql, &t->view);
			if (sql_done(a) < 0 || run(a, a->sql.data, NULL, NULL) < 0)
				return ddl_refused(a, t, "CREATE TABLE");
			for (size_t i = 0; i < t->ncols; i++)
				if (add_tcol_as(t, i) < 0) {
					a->fatal = EX_OSERR;
					return AT_FATAL;
				}
		} else if (t->ntcols == 0 && a->o.print) {
			/* Printing: assume the table is there as the records say. */
			for (size_t i = 0; i < t->ncols; i++)
				if (add_tcol_as(t, i) < 0) {
					a->fatal = EX_OSERR;
					return AT_FATAL;
				}
		} else if (t->ntcols == 0) {
			log_error("table [%s].[%s] does not exist on the target (use --create-tables)", t->schema,
				  t->table);
			a->fatal = EX_DATAERR;
			return AT_FATAL;
		}
		t->exists = true;
	}
	/* The rest follows from the shape and the target's columns alone,
	 * which change together (mssql_table_set_shape drops ttarget, and the
	 * target gains columns only here): once per shape, not per batch,
	 * where matching every column's name against the target's cost a
	 * wide table its columns squared each time. */
	if (t->ttarget)
		return AT_OK;
	/* The columns to add, and the target's row with them: all of them
	 * refused when SQL Server would refuse one (before any is added). */
	tsql_row_size row = {0};
	size_t nadd = 0, first_add = 0;
	for (size_t i = 0; i < t->ncols && a->o.evolve; i++)
		if (!has_col(t, t->names[i])) {
			if (nadd++ == 0)
				first_add = i;
			tsql_row_add(&row, &t->types[i]);
		}
	if (nadd) {
		for (size_t j = 0; j < t->ntcols; j++) {
			tsql_type tt;
			tsql_parse_sqltype(t->ttypes[j], &tt);
			tsql_row_add(&row, &tt);
		}
		char what[200];
		snprintf(what, sizeof what, "column %.100s%s not added", t->names[first_add],
			 nadd > 1 ? " and the others" : "");
		if (too_wide(a, t->ntcols + nadd, &row, what))
			return refuse_table(a, t, 0);
	}
	for (size_t i = 0; i < t->ncols; i++) {
		if (has_col(t, t->names[i]))
			continue;
		if (!a->o.evolve) {
			log_error("column %s of [%s].[%s] does not exist on the target (use --evolve)", t->names[i],
				  t->schema, t->table);
			a->fatal = EX_DATAERR;
			return AT_FATAL;
		}
		if (untyped_cols(t, i, i + 1)) {
			a->fatal = EX_DATAERR;
			return AT_FATAL;
		}
		sql_reset(a);
		tsql_alter_add(&a->sql, &t->view, i);
		if (sql_done(a) < 0 || run(a, a->sql.data, NULL, NULL) < 0) {
			char what[160];
			snprintf(what, sizeof what, "ALTER TABLE … ADD [%.100s]", t->names[i]);
			return ddl_refused(a, t, what);
		}
		if (add_tcol_as(t, i) < 0) {
			a->fatal = EX_OSERR;
			return AT_FATAL;
		}
	}
	/* The target columns' types: values must go into them unchanged. */
	if (!(t->ttarget = calloc(t->ncols + 1, sizeof *t->ttarget))) {
		a->fatal = EX_OSERR;
		return AT_FATAL;
	}
	for (size_t i = 0; i < t->ncols; i++) {
		size_t j = tcol_index(t, t->names[i]);
		tsql_type *tt = &t->ttarget[i];
		tsql_parse_sqltype(j < t->ntcols ? t->ttypes[j] : t->types[i].name, tt);
		tt->flagged = t->types[i].flagged;
		tt->clamp = t->types[i].clamp;
	}
	t->view.targets = t->ttarget;
	tsql_staging_plan(&t->view);
	/* Keys that SQL Server calls equal but PostgreSQL does not are refused
	 * by name (tsql.c, key_eq); say so once per table. */
	for (size_t k = 0; k < t->nkeys && !t->key_warned; k++) {
		const tsql_type *tt = &t->ttarget[t->keys[k]];
		if (tt->kind == TSQL_STRING && !tt->unknown && !tsql_collation_is_binary(tt->collation)) {
			log_info("warning: [%s].[%s]: key column %s compares by its collation (%s), not by code "
				 "point: a key that differs from another only in case, accents or width is refused, "
				 "never merged into it; a key changed only so keeps its row", t->schema, t->table,
				 t->names[t->keys[k]], tt->collation[0] ? tt->collation : "the database's default");
			t->key_warned = true;
		}
	}
	/* IDENTITY_INSERT only when the records carry the IDENTITY column:
	 * with it ON, SQL Server refuses an INSERT that leaves the column out
	 * (545), and one the records lack (a surrogate key of the target's
	 * own) is the server's to number. An IDENTITY column outside the key
	 * is never SET (8102). Again for every shape: the records' columns
	 * may have changed. */
	t->view.identity = false;
	t->view.identity_col = 0;
	for (size_t i = 0; i < t->ncols && t->tidentity; i++)
		if (tsql_name_eq_ci(t->names[i], t->tcols[t->tidentity - 1])) {
			t->view.identity = true;
			if (!tsql_is_key(&t->view, i))
				t->view.identity_col = i + 1;
		}
	return AT_OK;
}

static int ensure_staging(mssql_apply *a, mssql_table *t)
{
	if (!tsql_staging_fits(&t->view)) {
		/* SQL Server would refuse the #temp table (1702, 1701): said
		 * here, by the table's first record that needs it */
		size_t first = 0;
		for (size_t i = 0; i < t->n; i++)
			if (t->ch[i]->staged || !t->bulk_direct) {
				first = i;
				break;
			}
		tsql_row_size row;
		tsql_staging_row(&t->view, &row);
		if (t->ncols > TSQL_STAGING_COLUMNS_MAX)
			snprintf(a->bad_msg, sizeof a->bad_msg,
				 "the table has %zu columns, and its staging table would need 3 more (SQL Server holds "
				 "%d a table): only snapshot rows bulk-copied into an empty table, %d or more in a "
				 "batch, go without one", t->ncols, TSQL_TABLE_COLUMNS_MAX, STAGE_INLINE_ROWS);
		else
			snprintf(a->bad_msg, sizeof a->bad_msg,
				 "its staging table would have a minimum row size of %ld bytes, the table's "
				 "fixed-length columns and [__seq] bigint and [__op] nchar(1) beside them, and SQL "
				 "Server holds %d a row (1701): only snapshot rows bulk-copied into an empty table, %d "
				 "or more in a batch, go without one", tsql_row_min(&row), TSQL_ROW_BYTES_MAX,
				 STAGE_INLINE_ROWS);
		return refuse_table(a, t, first);
	}
	sql_reset(a);
	if (!t->staging_ready) {
		if (t->staging_shape_old) {
			tsql_staging_drop(&a->sql, &t->view);
			buf_putc(&a->sql, '\n');
		}
		tsql_staging_create(&a->sql, &t->view);
	} else if (t->staging_dirty) {
		tsql_staging_truncate(&a->sql, &t->view);
	} else
		return AT_OK;
	if (sql_done(a) < 0 || run(a, a->sql.data, NULL, NULL) < 0) {
		/* the table's first record that goes through it, should the
		 * server refuse its shape (1701, 1702) */
		size_t first = 0;
		for (size_t i = 0; i < t->n; i++)
			if (t->ch[i]->staged || !t->bulk_direct) {
				first = i;
				break;
			}
		return refused_at(a, t, first,
				  t->staging_ready ? "TRUNCATE TABLE of its staging table (a #temp table)"
						   : "CREATE TABLE of its staging table (a #temp table)");
	}
	t->staging_ready = true;
	t->staging_shape_old = false;
	t->staging_dirty = false;
	return AT_OK;
}

/* Bulk-copies changes [lo, hi) of t into its staging table (with
 * staged_only, only those marked staged): a typed copy, each typed staging
 * column (tsql_stage_typed) bound to its host type and sent converted as
 * the direct path converts it (mssql_typed_value), each text one as
 * UTF-16, __seq and the flags as integers. Every value is first checked
 * as INSERT … VALUES would be (mssql_change_cells: what the target column
 * cannot hold unchanged, longer than the column included, since db-lib
 * would cut it). */
static int load(mssql_apply *a, mssql_table *t, size_t lo, size_t hi, bool staged_only)
{
	const tsql_table *v = &t->view;
	size_t nst = tsql_staging_ncols(v);
	char why[400];
	if (ensure_cells(a, t->ncols) < 0) {
		a->fatal = EX_OSERR;
		return AT_FATAL;
	}
	mssql_host *h = a->hosts;
	size_t *at = a->stage_at;
	bool packed = tsql_staging_packed(v);
	h[0] = MSSQL_HOST_INT8;
	h[1] = MSSQL_HOST_NSTRING;
	/* the staging layout, counted once: tsql_staging_col counts from
	 * the first column at each call */
	for (size_t j = 0, col = 3; j < t->ncols; j++) {
		at[j] = col++;
		at[t->ncols + j] = !t->types[j].flagged ? 0 : packed ? nst : col++;
		h[at[j] - 1] = tsql_stage_typed(v, j) ? mssql_typed_host(&t->types[j]) : MSSQL_HOST_NSTRING;
		if (at[t->ncols + j])
			h[at[t->ncols + j] - 1] = packed ? MSSQL_HOST_NSTRING : MSSQL_HOST_INT8;
	}
	if (a->o.print) {
		fprintf(a->o.print, "-- bcp_init(%s, DB_IN), typed + %zu x bcp_sendrow + bcp_done, shown as INSERT:\n",
			t->staging, staged_only ? t->nstaged : hi - lo);
	} else if (mssql_bcp_begin_typed(a->conn, t->staging, nst, h, NULL) < 0) {
		a->last = *mssql_last_error(a->conn);
		return failed(a);
	}
	t->staging_dirty = true;
	for (size_t i = lo; i < hi; i++) {
		const mssql_change *c = t->ch[i];
		if (staged_only && !c->staged)
			continue;
		if (mssql_change_cells(t, c, a->cells, a->scratch, why, sizeof why) < 0)
			goto bad;
		if (a->o.print) {
			sql_reset(a);
			tsql_staged_insert(&a->sql, v, (int64_t)c->seq, c->op, a->cells);
			if (sql_done(a) < 0)
				return AT_FATAL;
			fputs(a->sql.data, a->o.print);
			fputc('\n', a->o.print);
			continue;
		}
		mssql_typed *b = a->tvals;
		uint8_t op16[2] = {(uint8_t)c->op, 0};
		memset(b, 0, nst * sizeof *b);
		for (size_t k = 0; k < nst; k++)
			b[k].host = h[k];
		b[0].i = (int64_t)c->seq;
		b[1].data = op16;
		b[1].len = 2;
		for (size_t j = 0; j < t->ncols; j++) {
			mssql_typed *out = &b[at[j] - 1];
			tsql_cell *cell = &a->cells[j];
			buf *tmp = &a->scratch[t->ncols + j];
			out->null = cell->null;
			if (cell->null) {
				/* NULL, unchanged or empty (the flag says) */
			} else if (tsql_stage_typed(v, j)) {
				char e[300];
				int rc = mssql_typed_value(&t->types[j], c->vals[j].data, c->vals[j].len, tmp, out, e,
							   sizeof e);
				if (rc < 0) {
					snprintf(why, sizeof why, "column %s: %s", t->names[j], e);
					goto bad;
				}
				if (rc == MSSQL_TYPED_EMPTY) { /* a zero length is NULL to bcp */
					out->host = h[at[j] - 1];
					out->null = true;
					cell->flag = TSQL_FLAG_EMPTY;
				}
			} else {
				buf_reset(tmp);
				if (mssql_utf8_to_utf16le(tmp, cell->data, cell->len) < 0) {
					snprintf(why, sizeof why, "column %s: invalid UTF-8", t->names[j]);
					goto bad;
				}
				out->data = (const uint8_t *)tmp->data;
				out->len = tmp->len;
			}
			size_t fcol = at[t->ncols + j];
			if (fcol && !packed) {
				b[fcol - 1].null = cell->flag == 0;
				b[fcol - 1].i = cell->flag;
			}
		}
		if (packed) {
			/* a digit per column, in UTF-16 */
			buf_reset(&a->flags16);
			if (buf_reserve(&a->flags16, 2 * t->ncols) < 0) {
				a->fatal = EX_OSERR;
				return AT_FATAL;
			}
			for (size_t j = 0; j < t->ncols; j++) {
				char d[2] = {(char)('0' + (t->types[j].flagged ? a->cells[j].flag : 0)), 0};
				buf_append(&a->flags16, d, 2);
			}
			mssql_typed *f = &b[nst - 1];
			f->null = false;
			f->data = (const uint8_t *)a->flags16.data;
			f->len = a->flags16.len;
		}
		if (mssql_bcp_row_typed(a->conn, b) < 0) {
			a->last = *mssql_last_error(a->conn);
			return failed(a);
		}
		continue;
	bad:
		a->bad_t = t;
		a->bad_i = i;
		snprintf(a->bad_msg, sizeof a->bad_msg, "%s", why);
		if (!a->o.print)
			mssql_bcp_end(a->conn);
		return AT_BADVALUE;
	}
	if (a->o.print) {
		fputs("GO\n", a->o.print);
		a->rt_print += 3;
		return AT_OK;
	}
	if (mssql_bcp_end(a->conn) < 0) {
		a->last = *mssql_last_error(a->conn);
		return failed(a);
	}
	return AT_OK;
}

/* Whether the values of typed staging columns in cells (column j's
 * record value from val(c, j)) convert as load() converts them: INSERT …
 * VALUES refuses, by record and column, what a bulk copy refuses, not the
 * server by the staging INSERT (8115, 241). 0, or -1 with why. */
static int typed_ok(mssql_apply *a, const mssql_table *t, const record_value *vals, const uint16_t *cols,
		    size_t n, char *why, size_t whylen)
{
	for (size_t k = 0; k < n; k++) {
		size_t j = cols ? cols[k] : k;
		const record_value *v = &vals[k];
		if (a->cells[j].null || t->types[j].kind == TSQL_STRING || !tsql_stage_typed(&t->view, j))
			continue;
		mssql_typed out;
		char e[300];
		if (mssql_typed_value(&t->types[j], v->data, v->len, &a->scratch[t->ncols + j], &out, e, sizeof e) < 0) {
			snprintf(why, whylen, "%scolumn %s: %s", cols ? "old key " : "", t->names[j], e);
			return -1;
		}
	}
	return 0;
}

/* Appends to a->stage INSERTs staging t's changes [lo, hi) (with
 * staged_only, only those marked staged), at most TSQL_INSERT_MAX_ROWS
 * rows each; sent in the batch that MERGEs them. */
static int stage_inline(mssql_apply *a, mssql_table *t, size_t lo, size_t hi, bool staged_only)
{
	char why[400];
	if (ensure_cells(a, t->ncols) < 0) {
		a->fatal = EX_OSERR;
		return AT_FATAL;
	}
	t->staging_dirty = true;
	int rc = 0;
	size_t k = 0;
	for (size_t i = lo; i < hi; i++) {
		const mssql_change *c = t->ch[i];
		if (staged_only && !c->staged)
			continue;
		if (mssql_change_cells(t, c, a->cells, a->scratch, why, sizeof why) < 0 ||
		    typed_ok(a, t, c->vals, NULL, t->ncols, why, sizeof why) < 0) {
			a->bad_t = t;
			a->bad_i = i;
			snprintf(a->bad_msg, sizeof a->bad_msg, "%s", why);
			return AT_BADVALUE;
		}
		bool first = k % TSQL_INSERT_MAX_ROWS == 0;
		if (first && k > 0)
			rc |= buf_puts(&a->stage, ";\n");
		if (first)
			rc |= tsql_staged_insert_head(&a->stage, &t->view);
		rc |= tsql_staged_insert_row(&a->stage, &t->view, first, (int64_t)c->seq, c->op, a->cells);
		k++;
	}
	if (k)
		rc |= buf_puts(&a->stage, ";\n");
	if (rc) {
		log_error("T-SQL batch too large");
		a->fatal = EX_SOFTWARE;
		return AT_FATAL;
	}
	return AT_OK;
}

/* ---- snapshot rows straight into an empty table ----
 *
 * A typed bulk copy into the target itself: db-lib's bcp binds every
 * column of the table by position and sends it as is, with no CAST and no
 * column list, so it is used only when the target's columns are exactly
 * the records' (any order), each of the SQL Server type the type map gives
 * (or one the value goes into unchanged: nchar for nvarchar, numeric for
 * decimal). Otherwise, and for batches too small for bcp's three round
 * trips, the rows go through the staging table and INSERT … SELECT with
 * casts. The bulk copy runs inside the batch's transaction (after BEGIN
 * TRANSACTION and the emptiness test on the same connection), so the
 * checkpoint commits with it.
 *
 * Hint: KEEP_NULLS, so a NULL stays NULL where the column has a default,
 * as with INSERT. FreeTDS 1.3's bcp_options(BCPHINTS) looks the string up
 * in its list of hints by prefix and sends that one name alone ("KEEP_NULLS,
 * KEEPIDENTITY" arrives as "with (KEEP_NULLS)", seen at the TDS peer), so
 * not TABLOCK (the emptiness test's TABLOCKX, HOLDLOCK already holds the
 * table) nor CHECK_CONSTRAINTS / FIRE_TRIGGERS (mssql-apply(1) says so),
 * and not KEEPIDENTITY either: without it SQL Server drops the values sent
 * for an IDENTITY column and numbers the rows anew, so a table with one is
 * never bulk-copied into (direct_ok); its rows take the staging path,
 * whose INSERT … SELECT runs with IDENTITY_INSERT ON when the records
 * carry that column (ensure_table), and without, the server numbering the
 * rows, when they do not. */
#define BULK_HINT "KEEP_NULLS"

/* The base name of a type ("nvarchar" of "nvarchar(20)"). */
static bool base_is(const char *type, const char *base)
{
	size_t n = strlen(base);
	return !strncasecmp(type, base, n) && (type[n] == '\0' || type[n] == '(');
}

/* The length in a type ("nvarchar(20)": 20; "(max)" or none: -1). */
static long type_len(const char *type)
{
	const char *p = strchr(type, '(');
	return p && p[1] >= '0' && p[1] <= '9' ? strtol(p + 1, NULL, 10) : -1;
}

/* Whether record column i (host h) goes into target column j unchanged;
 * *lim gets the most bytes a value may bind (-1: no limit). db-lib's bcp
 * converts a bound value to the column's type without a word: it cuts
 * strings and varbinary to the column's length (seen against the peer) and
 * rescales decimals. So lengths are checked per value (a longer one takes
 * the staging path, where the server refuses it as SQL Server would) and
 * decimals must have the very precision and scale of the type map. */
static bool col_fits(const mssql_table *t, size_t i, size_t j, long *lim)
{
	mssql_host h = mssql_typed_host(&t->types[i]);
	const char *tt = t->ttypes[j];
	*lim = -1;
	switch (h) {
	case MSSQL_HOST_NSTRING:
		/* nchar pads a shorter value, which only a char(n) source's
		 * values may meet unchecked (tsql_value_fits: the others are
		 * staged, to be refused) */
		if (!base_is(tt, "nvarchar") && !(base_is(tt, "nchar") && t->types[i].padded))
			return false;
		*lim = type_len(tt) >= 0 ? 2 * type_len(tt) : -1; /* UTF-16 bytes */
		return true;
	case MSSQL_HOST_BINARY:
		if (!base_is(tt, "varbinary"))
			return false;
		*lim = type_len(tt);
		return true;
	case MSSQL_HOST_DECIMAL:
	case MSSQL_HOST_TIME:
	case MSSQL_HOST_DATETIME2:
	case MSSQL_HOST_DTO:
		/* the very precision (and scale): the server would round */
		return !strcasecmp(tt, t->types[i].name);
	default:
		return base_is(tt, mssql_host_sqltype(h));
	}
}

static int collect_count(void *ctx, int ncols, char **vals)
{
	if (ncols >= 1 && vals[0])
		*(long *)ctx = strtol(vals[0], NULL, 10);
	return 0;
}

/* Whether t has CHECK or FOREIGN KEY constraints or triggers (read once):
 * a bulk copy without the CHECK_CONSTRAINTS and FIRE_TRIGGERS hints, all
 * FreeTDS can send beside KEEP_NULLS being one, skips them (and leaves the
 * constraints not trusted) and needs ALTER permission on the table. Such a
 * table's snapshot rows go through the staging table and INSERT … SELECT,
 * which checks and fires them. AT_OK with *blocked, or what failed. */
static int bulk_blocked(mssql_apply *a, mssql_table *t, bool *blocked)
{
	if (!t->bulk_checked) {
		long n = 0;
		sql_reset(a);
		tsql_catalog_bulk_blockers(&a->sql, t->schema, t->table);
		if (sql_done(a) < 0 || run(a, a->sql.data, collect_count, &n) < 0)
			return refused_at(a, t, 0, "reading its constraints and triggers from the catalog "
						   "(sys.check_constraints, sys.foreign_keys, sys.triggers)");
		t->bulk_checked = true;
		t->bulk_blocked = n > 0;
		if (t->bulk_blocked)
			log_info("[%s].[%s] has constraints or triggers, which a bulk copy would skip: its snapshot rows "
				 "go through INSERT … SELECT", t->schema, t->table);
	}
	*blocked = t->bulk_blocked;
	return AT_OK;
}

/* Fills pos[i], the target column of record column i, and lim[i] (see
 * col_fits) when t can be bulk-copied into directly. */
static bool direct_ok(const mssql_table *t, size_t *pos, long *lim)
{
	if (t->ntcols != t->ncols || t->ncols == 0 || t->tidentity)
		return false;
	for (size_t i = 0; i < t->ncols; i++) {
		size_t j = tcol_index(t, t->names[i]);
		if (j == t->ntcols || !col_fits(t, i, j, &lim[i]))
			return false;
		for (size_t k = 0; k < i; k++)
			if (pos[k] == j)
				return false;
		pos[i] = j;
	}
	return true;
}

/* UTF-16 bytes of UTF-8 text: two per character, four beyond the BMP. */
static size_t utf16_bytes(const char *s, size_t n)
{
	size_t u = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		u += (c & 0xc0) != 0x80; /* a character starts */
		u += c >= 0xf0;          /* and needs a surrogate pair */
	}
	return 2 * u;
}

/* A row bcp cannot carry as it is: an empty string or varbinary (a bound
 * length of 0 is NULL to db-lib), one longer than its column (db-lib would
 * cut it), or an unchanged-TOAST marker. */
static bool needs_staging(const mssql_table *t, const mssql_change *c, const long *lim)
{
	for (size_t i = 0; i < t->ncols; i++) {
		const record_value *v = &c->vals[i];
		if (v->kind == VALUE_UNCHANGED)
			return true;
		if (v->kind != VALUE_TEXT)
			continue;
		bool bin = t->types[i].kind == TSQL_BINARY;
		size_t bytes = bin ? (v->len >= 2 ? (v->len - 2) / 2 : 0) : v->len;
		if (bytes == 0)
			return true;
		if (lim[i] >= 0 && bytes > (size_t)lim[i] / (bin ? 1 : 2) &&
		    (bin || utf16_bytes(v->data, v->len) > (size_t)lim[i]))
			return true;
	}
	return false;
}

static void direct_free(struct direct *d)
{
	free(d->pos);
	free(d->lim);
	free(d->hosts);
	free(d->cols);
	free(d->vals);
	memset(d, 0, sizeof *d);
}

/* Starts a typed bulk copy into t (bcp_init: its metadata query) on the
 * open transaction. AT_OK, or what failed. */
static int direct_open(mssql_apply *a, mssql_table *t, struct direct *d, size_t nrows)
{
	memset(d, 0, sizeof *d);
	d->t = t;
	d->n = t->ncols;
	d->pos = calloc(d->n, sizeof *d->pos);
	d->lim = calloc(d->n, sizeof *d->lim);
	d->hosts = calloc(d->n, sizeof *d->hosts);
	d->cols = calloc(d->n, sizeof *d->cols);
	d->vals = calloc(d->n, sizeof *d->vals);
	if (!d->pos || !d->lim || !d->hosts || !d->cols || !d->vals || ensure_cells(a, d->n) < 0 ||
	    !direct_ok(t, d->pos, d->lim)) {
		direct_free(d);
		a->fatal = EX_OSERR;
		return AT_FATAL;
	}
	for (size_t i = 0; i < d->n; i++) {
		mssql_typed_col_init(&d->cols[i], &t->types[i]);
		d->hosts[d->pos[i]] = d->cols[i].host;
	}
	sql_reset(a);
	tsql_qname(&a->sql, t->schema, t->table);
	if (sql_done(a) < 0) {
		direct_free(d);
		return AT_FATAL;
	}
	if (a->o.print) {
		fprintf(a->o.print, "-- bcp_init(%s, DB_IN) with (%s), typed + %zu x bcp_sendrow + bcp_done, "
			"shown as INSERT:\n", a->sql.data, BULK_HINT, nrows);
	} else if (mssql_bcp_begin_typed(a->conn, a->sql.data, d->n, d->hosts, BULK_HINT) < 0) {
		a->last = *mssql_last_error(a->conn);
		direct_free(d);
		return failed(a);
	}
	return AT_OK;
}

/* Converts and sends one change. AT_OK; AT_BADVALUE with why; or what
 * failed. */
static int direct_row(mssql_apply *a, struct direct *d, const mssql_change *c, char *why, size_t whylen)
{
	mssql_table *t = d->t;
	for (size_t j = 0; j < d->n; j++) {
		const record_value *v = &c->vals[j];
		mssql_typed *out = &d->vals[d->pos[j]];
		if (v->kind != VALUE_TEXT) {
			memset(out, 0, sizeof *out);
			out->host = d->hosts[d->pos[j]];
			out->null = true;
			continue;
		}
		char e[300];
		if (mssql_typed_col_value(&d->cols[j], v->data, v->len, &a->scratch[j], out, e, sizeof e) != 0) {
			snprintf(why, whylen, "column %s: %s", t->names[j], e);
			return AT_BADVALUE;
		}
	}
	d->rows++;
	if (a->o.print) {
		sql_reset(a);
		buf_puts(&a->sql, "INSERT INTO ");
		tsql_qname(&a->sql, t->schema, t->table);
		buf_puts(&a->sql, " (");
		for (size_t j = 0; j < d->n; j++) {
			if (j)
				buf_puts(&a->sql, ", ");
			tsql_ident(&a->sql, t->tcols[j]);
		}
		buf_puts(&a->sql, ") VALUES (");
		for (size_t j = 0; j < d->n; j++) {
			if (j)
				buf_puts(&a->sql, ", ");
			mssql_typed_literal(&a->sql, &d->vals[j]);
		}
		buf_puts(&a->sql, ");");
		if (sql_done(a) < 0)
			return AT_FATAL;
		fputs(a->sql.data, a->o.print);
		fputc('\n', a->o.print);
		return AT_OK;
	}
	if (mssql_bcp_row_typed(a->conn, d->vals) < 0) {
		a->last = *mssql_last_error(a->conn);
		return failed(a);
	}
	return AT_OK;
}

/* bcp_done: the rows are in the target, inside the transaction. */
static int direct_close(mssql_apply *a, struct direct *d)
{
	int rc = AT_OK;
	if (a->o.print) {
		fputs("GO\n", a->o.print);
		a->rt_print += 3;
	} else if (d->rows == 0) {
		/* nothing sent after the metadata query: bcp_done would fail,
		 * and the next bcp_init drops db-lib's state */
	} else if (mssql_bcp_end(a->conn) < 0) {
		a->last = *mssql_last_error(a->conn);
		rc = failed(a);
	}
	direct_free(d);
	return rc;
}

/* The rows of a bulk-copied table that bcp could not carry go to the
 * staging table; the batch's INSERT … SELECT takes them from there. */
static int load_staged(mssql_apply *a, mssql_table *t)
{
	if (!t->nstaged)
		return AT_OK;
	int rc = ensure_staging(a, t);
	if (rc != AT_OK)
		return rc;
	if (t->nstaged < STAGE_INLINE_ROWS)
		return stage_inline(a, t, 0, t->n, true);
	return load(a, t, 0, t->n, true);
}

/* Loads t's snapshot rows into the target by a typed bulk copy, those
 * with empty values through the staging table. */
static int load_direct(mssql_apply *a, mssql_table *t)
{
	size_t *pos = calloc(t->ncols + 1, sizeof *pos);
	long *lim = calloc(t->ncols + 1, sizeof *lim);
	if (!pos || !lim || !direct_ok(t, pos, lim)) {
		free(pos);
		free(lim);
		a->fatal = EX_OSERR;
		return AT_FATAL;
	}
	t->nstaged = 0;
	for (size_t i = 0; i < t->n; i++) {
		t->ch[i]->staged = needs_staging(t, t->ch[i], lim);
		t->nstaged += t->ch[i]->staged;
	}
	free(pos);
	free(lim);
	if (t->nstaged < t->n) {
		struct direct d;
		int rc = direct_open(a, t, &d, t->n - t->nstaged);
		if (rc != AT_OK)
			return rc;
		for (size_t i = 0; i < t->n; i++) {
			if (t->ch[i]->staged)
				continue;
			rc = direct_row(a, &d, t->ch[i], a->bad_msg, sizeof a->bad_msg);
			if (rc == AT_BADVALUE) {
				a->bad_t = t;
				a->bad_i = i;
			}
			if (rc != AT_OK) {
				direct_free(&d);
				return rc;
			}
		}
		if ((rc = direct_close(a, &d)) != AT_OK)
			return rc;
	}
	return load_staged(a, t);
}

/* After t took record r (its last change, or a replaced one): while t's
 * rows stream, sends r's row at once. Streaming starts at t's first change
 * of a batch when it is a snapshot row of the stream that found t empty and
 * has been its only writer since (committed()); it stops (the flush then
 * rolls back and applies the batch from memory) at anything else for t: a
 * key met twice, another op or stream, a truncate, a bad value, a lost
 * connection. */
static void live_add(mssql_apply *a, mssql_table *t, const record *r)
{
	if (a->o.print || a->live_broken || (a->live.t && a->live.t != t))
		return;
	if (!a->live.t) {
		if (!a->conn || a->no_insert || t->n != 1 || t->truncate || r->op != RECORD_OP_READ ||
		    !t->snap_stream || t->ch[0]->stream != t->snap_stream || t->ncols == 0)
			return;
		size_t *pos = calloc(t->ncols, sizeof *pos);
		long *lim = calloc(t->ncols, sizeof *lim);
		bool ok = pos && lim && direct_ok(t, pos, lim) && t->bulk_checked && !t->bulk_blocked;
		free(pos);
		free(lim);
		if (!ok)
			return;
		sql_reset(a);
		tsql_begin(&a->sql);
		if (sql_done(a) < 0 || run(a, a->sql.data, NULL, NULL) < 0 || direct_open(a, t, &a->live, 0) != AT_OK) {
			/* the flush will find out what is wrong, and say so */
			disconnect(a);
			a->live_broken = true;
			return;
		}
		a->live_sent = 0;
		t->nstaged = 0;
	}
	if (t->n != a->live_sent + 1 || r->op != RECORD_OP_READ || t->truncate ||
	    t->ch[t->n - 1]->stream != t->snap_stream) {
		a->live_broken = true;
		return;
	}
	mssql_change *c = t->ch[t->n - 1];
	a->live_sent++;
	if (needs_staging(t, c, a->live.lim)) {
		c->staged = true;
		t->nstaged++;
		return;
	}
	char why[sizeof a->bad_msg];
	if (direct_row(a, &a->live, c, why, sizeof why) != AT_OK)
		a->live_broken = true;
}

/* Appends to out INSERTs staging, as rows of op 'k', the old keys of t's
 * changes [lo, hi) that have one (mssql_change.from). Few rows (key
 * changes with unchanged TOAST values), so always by INSERT … VALUES, in
 * the batch that MERGEs them. */
static int stage_old_keys(mssql_apply *a, mssql_table *t, size_t lo, size_t hi, buf *out)
{
	char why[400];
	size_t n = 0;
	int rc = 0;
	if (ensure_cells(a, t->ncols) < 0) {
		a->fatal = EX_OSERR;
		return AT_FATAL;
	}
	for (size_t i = lo; i < hi; i++) {
		const mssql_change *c = t->ch[i];
		if (!c->from)
			continue;
		if (mssql_change_from_cells(t, c, a->cells, a->scratch, why, sizeof why) < 0 ||
		    typed_ok(a, t, c->from, t->keys, t->nkeys, why, sizeof why) < 0) {
			a->bad_t = t;
			a->bad_i = i;
			snprintf(a->bad_msg, sizeof a->bad_msg, "%s", why);
			return AT_BADVALUE;
		}
		bool first = n % TSQL_INSERT_MAX_ROWS == 0;
		if (first && n)
			rc |= buf_puts(out, ";\n");
		if (first)
			rc |= tsql_staged_insert_head(out, &t->view);
		rc |= tsql_staged_insert_row(out, &t->view, first, (int64_t)c->seq, 'k', a->cells);
		n++;
	}
	if (n) {
		rc |= buf_puts(out, ";\n");
		t->staging_dirty = true;
	}
	if (rc) {
		log_error("T-SQL batch too large");
		a->fatal = EX_SOFTWARE;
		return AT_FATAL;
	}
	return AT_OK;
}

/* What t's changes [lo, hi) hold: upserts, deletes, upserts whose key
 * changed with unchanged TOAST values (an old key staged). */
static void count_ops(const mssql_table *t, size_t lo, size_t hi, size_t *ups, size_t *dels, size_t *old_keys)
{
	*ups = *dels = *old_keys = 0;
	for (size_t i = lo; i < hi; i++) {
		if (t->ch[i]->op == 'd')
			(*dels)++;
		else
			(*ups)++;
		if (t->ch[i]->from)
			(*old_keys)++;
	}
}

/* The statements of t's changes [lo, hi), by phase: the old keys' rows
 * of key changes staged (before any DELETE of the batch), the DELETE,
 * the MERGE (or INSERT … SELECT into an empty table). */
enum { PH_OLD_ROWS, PH_DELETE, PH_UPSERT };

static void apply_phase(mssql_apply *a, mssql_table *t, size_t lo, size_t hi, int phase)
{
	size_t ups, dels, old_keys;
	count_ops(t, lo, hi, &ups, &dels, &old_keys);
	if (phase == PH_OLD_ROWS && old_keys && ups && !t->use_insert) {
		tsql_stage_old_rows(&a->sql, &t->view);
		buf_putc(&a->sql, '\n');
	} else if (phase == PH_DELETE && dels) {
		tsql_delete(&a->sql, &t->view);
		buf_putc(&a->sql, '\n');
	} else if (phase == PH_UPSERT && ups) {
		if (t->use_insert) {
			tsql_insert_select(&a->sql, &t->view);
		} else {
			if (t->view.identity_col) {
				tsql_identity_guard(&a->sql, &t->view);
				buf_putc(&a->sql, '\n');
			}
			tsql_merge(&a->sql, &t->view, old_keys > 0);
		}
		buf_putc(&a->sql, '\n');
	}
}

struct empties {
	bool *empty;
	size_t n, i;
};

static int collect_empty(void *ctx, int ncols, char **vals)
{
	struct empties *e = ctx;
	if (ncols >= 1 && e->i < e->n)
		e->empty[e->i++] = vals[0] && vals[0][0] == '0';
	return 0;
}

/* The stream all of t's changes in the batch came from, or NULL. Stream
 * names are interned (stream_state), so pointers compare. */
static const char *one_stream(const mssql_table *t)
{
	const char *s = t->n ? t->ch[0]->stream : NULL;
	for (size_t i = 1; i < t->n; i++)
		if (t->ch[i]->stream != s)
			return NULL;
	return s;
}

struct fk_edges {
	size_t (*e)[2]; /* (referenced, referencing) */
	size_t n, cap;
};

static int collect_edge(void *ctx, int ncols, char **vals)
{
	struct fk_edges *f = ctx;
	if (ncols < 2 || !vals[0] || !vals[1])
		return 0;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		size_t(*p)[2] = realloc(f->e, cap * sizeof *p);
		if (!p)
			return 1;
		f->e = p;
		f->cap = cap;
	}
	f->e[f->n][0] = strtoul(vals[0], NULL, 10);
	f->e[f->n][1] = strtoul(vals[1], NULL, 10);
	f->n++;
	return 0;
}

/* The foreign keys among the tables the run has written, from the
 * catalog, read again when a batch of two tables or more has one not seen
 * before (one query for all of them). */
static int ensure_fks(mssql_apply *a, mssql_table **order, size_t nt)
{
	bool need = false;
	for (size_t k = 0; k < nt; k++)
		need |= order[k]->exists && !order[k]->fk_known;
	if (nt < 2 || !need)
		return AT_OK;
	size_t n = 0;
	mssql_table **tabs = calloc(a->ts.n + 1, sizeof *tabs);
	const tsql_table **views = calloc(a->ts.n + 1, sizeof *views);
	if (!tabs || !views) {
		free(tabs);
		free(views);
		a->fatal = EX_OSERR;
		return AT_FATAL;
	}
	for (size_t i = 0; i < a->ts.n; i++)
		if (a->ts.t[i]->exists) {
			tabs[n] = a->ts.t[i];
			views[n++] = &a->ts.t[i]->view;
		}
	struct fk_edges f = {0};
	sql_reset(a);
	tsql_catalog_foreign_keys(&a->sql, views, n);
	int rc = AT_OK;
	if (sql_done(a) < 0 || run(a, a->sql.data, collect_edge, &f) < 0) {
		char what[700];
		size_t w = (size_t)snprintf(what, sizeof what, "reading the foreign keys among the tables");
		for (size_t k = 0; k < nt && w + 140 < sizeof what; k++)
			w += (size_t)snprintf(what + w, sizeof what - w, "%s [%.60s].[%.60s]", k ? "," : "",
					      order[k]->schema, order[k]->table);
		snprintf(what + w, sizeof what - w, " from the catalog (sys.foreign_keys)");
		rc = refused_at(a, NULL, 0, what);
	} else {
		a->nfk = 0;
		for (size_t e = 0; e < f.n; e++) {
			if (f.e[e][0] >= n || f.e[e][1] >= n)
				continue;
			if (a->nfk == a->capfk) {
				size_t cap = a->capfk ? 2 * a->capfk : 16;
				mssql_table *(*p)[2] = realloc(a->fk, cap * sizeof *p);
				if (!p) {
					rc = AT_FATAL;
					a->fatal = EX_OSERR;
					break;
				}
				a->fk = p;
				a->capfk = cap;
			}
			a->fk[a->nfk][0] = tabs[f.e[e][0]];
			a->fk[a->nfk][1] = tabs[f.e[e][1]];
			a->nfk++;
		}
		for (size_t i = 0; i < n && rc == AT_OK; i++)
			tabs[i]->fk_known = true;
	}
	free(f.e);
	free(tabs);
	free(views);
	return rc;
}

/* The batch's tables, each after every table of the batch it references
 * (a foreign key of the target: parent before child), in batch order
 * otherwise and within a cycle. Upserts go in this order, deletes and
 * truncates in the reverse one, so a batch consistent at the source is at
 * the target too. */
static void parents_first(const mssql_apply *a, mssql_table **order, size_t nt, mssql_table **out)
{
	bool done[nt ? nt : 1];
	memset(done, 0, sizeof done);
	for (size_t m = 0; m < nt; m++) {
		size_t pick = SIZE_MAX;
		for (size_t i = 0; i < nt && pick == SIZE_MAX; i++) {
			if (done[i])
				continue;
			bool waits = false;
			for (size_t e = 0; e < a->nfk && !waits; e++) {
				if (a->fk[e][1] != order[i] || a->fk[e][0] == order[i])
					continue;
				for (size_t j = 0; j < nt; j++)
					if (!done[j] && order[j] == a->fk[e][0])
						waits = true;
			}
			if (!waits)
				pick = i;
		}
		for (size_t i = 0; i < nt && pick == SIZE_MAX; i++)
			if (!done[i])
				pick = i; /* a cycle */
		done[pick] = true;
		out[m] = order[pick];
	}
}

/* True when a foreign key links two tables of the batch. */
static bool batch_has_fk(const mssql_apply *a, mssql_table **order, size_t nt)
{
	for (size_t e = 0; e < a->nfk; e++) {
		bool p = false, c = false;
		for (size_t k = 0; k < nt; k++) {
			p |= order[k] == a->fk[e][0];
			c |= order[k] == a->fk[e][1];
		}
		if (p && c)
			return true;
	}
	return false;
}

/* One attempt at the whole batch; without commit, the transaction stays
 * open (a piece of a source transaction, mssql_apply_piece). */
static int attempt(mssql_apply *a, bool commit)
{
	/* Rows that streamed (live_add) are in the target already, inside the
	 * open transaction: end their bulk copy. When streaming broke off,
	 * the transaction is dropped and the batch applied from memory. */
	mssql_table *lt = NULL;
	int rc;
	if (a->live.t && a->live_broken)
		disconnect(a);
	if (a->live.t) {
		lt = a->live.t;
		if ((rc = direct_close(a, &a->live)) != AT_OK) {
			a->live_broken = false;
			return rc;
		}
	}
	a->live_broken = false;
	a->reread = false;
	rc = prepare(a);
	if (rc != AT_OK)
		return rc;
	if (a->ts.n > a->ordercap) {
		mssql_table **p = realloc(a->order, a->ts.n * sizeof *p);
		if (!p) {
			a->fatal = EX_OSERR;
			return AT_FATAL;
		}
		a->order = p;
		a->ordercap = a->ts.n;
	}
	size_t nt = mssql_tables_batch(&a->ts, a->order);
	for (size_t k = 0; k < nt; k++)
		if ((rc = ensure_table(a, a->order[k])) != AT_OK)
			return rc;
	buf_reset(&a->stage);
	if ((rc = ensure_fks(a, a->order, nt)) != AT_OK)
		return rc;
	/* up: parents before children (upserts); truncates and deletes go
	 * the other way, referencing tables first (SQL Server has no TRUNCATE
	 * … CASCADE, and a DELETE after 4712 must find no child left). */
	mssql_table *up[nt ? nt : 1], *trunc[nt ? nt : 1];
	parents_first(a, a->order, nt, up);
	size_t ntrunc = 0;
	for (size_t k = nt; k-- > 0;)
		if (up[k]->truncate)
			trunc[ntrunc++] = up[k];

	/* Snapshot rows into an empty table are inserted, not merged: into a
	 * table this batch truncates, into one a snapshot found empty and has
	 * been the only writer of since, or into one the transaction finds
	 * empty first (the test holds the table until the commit). Big enough
	 * ones go by a typed bulk copy straight into the target, which must
	 * come after BEGIN TRANSACTION, the test and the truncate: those go
	 * first, in one batch. */
	/* Whether a table a snapshot may bulk-copy into has constraints or
	 * triggers: read before the batch below is put together. */
	for (size_t k = 0; k < nt; k++) {
		mssql_table *t = a->order[k];
		size_t u, d, r;
		mssql_table_counts(t, &u, &d, &r);
		bool blocked;
		if (t != lt && t->n >= STAGE_INLINE_ROWS && r == t->n && !a->no_insert && !t->bulk_checked &&
		    (rc = bulk_blocked(a, t, &blocked)) != AT_OK)
			return rc;
	}
	size_t *pos = NULL;
	long *lim = NULL;
	bool empty[nt ? nt : 1];
	size_t ncand = 0;
	bool began = lt != NULL || a->piece_open; /* the transaction is open */
	bool pre = false;        /* statements to send before the loads */
	bool trunc_early = false;
	sql_reset(a);
	/* A transaction that stays open after this piece begins in a batch
	 * of its own: one begun inside sp_executesql must end there (266). */
	if (!commit && !began) {
		tsql_begin(&a->sql);
		began = pre = true;
	}
	for (size_t k = 0; k < nt; k++) {
		mssql_table *t = a->order[k];
		size_t u, d, r;
		if (t == lt) {
			t->use_insert = t->bulk_direct = true;
			t->truncated_early = false;
			continue;
		}
		mssql_table_counts(t, &u, &d, &r);
		t->use_insert = t->bulk_direct = t->truncated_early = false;
		t->nstaged = 0;
		if (!t->n || r != t->n || a->no_insert)
			continue;
		const char *stream = one_stream(t);
		bool known = t->truncate || (stream && t->snap_stream == stream);
		t->use_insert = known;
		if (t->n >= STAGE_INLINE_ROWS) {
			size_t *p = realloc(pos, (t->ncols ? t->ncols : 1) * sizeof *p);
			if (p)
				pos = p;
			long *l = realloc(lim, (t->ncols ? t->ncols : 1) * sizeof *l);
			if (l)
				lim = l;
			if (!p || !l) {
				free(pos);
				free(lim);
				a->fatal = EX_OSERR;
				return AT_FATAL;
			}
			/* bulk_checked: read ahead of this loop */
			t->bulk_direct = direct_ok(t, pos, lim) && t->bulk_checked && !t->bulk_blocked;
		}
		if (!known || t->bulk_direct) {
			if (!began)
				tsql_begin(&a->sql);
			began = true;
		}
		if (t->bulk_direct && t->truncate)
			trunc_early = true;
		if (!known) {
			if (a->sql.len)
				buf_putc(&a->sql, '\n');
			tsql_emptiness(&a->sql, &t->view);
			ncand++;
			pre = true;
		}
		if (t->bulk_direct)
			pre = true; /* at least the BEGIN */
	}
	free(pos);
	free(lim);
	/* A table bulk-copied into must be emptied before its rows go: then
	 * every truncate of the batch goes ahead, in their order (referencing
	 * tables first), so that a DELETE after 4712 still finds no child. */
	if (trunc_early) {
		for (size_t k = 0; k < ntrunc; k++) {
			if (a->sql.len)
				buf_putc(&a->sql, '\n');
			tsql_truncate(&a->sql, &trunc[k]->view, trunc[k]->truncate_as_delete);
			trunc[k]->truncated_early = true;
		}
		ntrunc = 0;
	}
	if (pre) {
		struct empties e = {empty, ncand, 0};
		for (size_t i = 0; i < ncand; i++)
			empty[i] = true; /* printing assumes empty targets */
		if (sql_done(a) < 0 || run(a, a->sql.data, ncand ? collect_empty : NULL, &e) < 0)
			return a->fatal ? AT_FATAL : failed(a);
		size_t i = 0;
		for (size_t k = 0; k < nt && ncand; k++) {
			mssql_table *t = a->order[k];
			size_t u, d, r;
			mssql_table_counts(t, &u, &d, &r);
			if (t == lt)
				continue;
			if (t->n && r == t->n && !t->truncate && !(t->snap_stream && t->snap_stream == one_stream(t))) {
				t->use_insert = empty[i++];
				if (!t->use_insert)
					t->bulk_direct = false;
			}
		}
	}

	for (size_t k = 0; k < nt; k++) {
		mssql_table *t = a->order[k];
		if (t->n == 0)
			continue;
		if (t == lt) {
			rc = load_staged(a, t);
		} else if (t->bulk_direct) {
			rc = load_direct(a, t);
		} else {
			if ((rc = ensure_staging(a, t)) != AT_OK)
				return rc;
			if (t->n < STAGE_INLINE_ROWS)
				rc = stage_inline(a, t, 0, t->n, false);
			else
				rc = load(a, t, 0, t->n, false);
			if (rc == AT_OK)
				rc = stage_old_keys(a, t, 0, t->n, &a->stage);
		}
		if (rc != AT_OK) {
			/* a bad value met in the middle of a bulk copy inside the
			 * transaction: ending the session rolls it back */
			if (rc == AT_BADVALUE && began && !a->o.print)
				disconnect(a);
			return rc;
		}
	}

	/* The staging rows of small tables (INSERT … VALUES, their text new
	 * with every batch) go first, in a batch of their own. */
	if (a->stage.len) {
		sql_reset(a);
		buf_append(&a->sql, a->stage.data, a->stage.len - 1); /* without its last newline */
		if (sql_done(a) < 0 || run(a, a->sql.data, NULL, NULL) < 0)
			return a->fatal ? AT_FATAL : failed(a);
	}
	/* The rest is one statement of constant text (its values are
	 * parameters), sent as an RPC of sp_executesql: SQL Server compiles a
	 * MERGE afresh for every new text (no simple parameterization for
	 * MERGE), and caches the plan of this one. The transaction begins and
	 * commits inside it, unless it began before (a bulk copy, an
	 * emptiness test): then a COMMIT follows. */
	sql_reset(a);
	a->nprm = 0;
	if (!began) {
		tsql_begin(&a->sql);
		buf_putc(&a->sql, '\n');
	}
	/* The checkpoint first: it locks the batch's streams' rows and
	 * aborts the transaction, before any statement of the batch's own,
	 * when another mssql-apply has applied one of them this far already
	 * (rows bulk-copied above go back with it). */
	size_t nck = 0;
	for (size_t i = 0; i < a->nstreams; i++) {
		stream_state *s = &a->streams[i];
		if (!ckpt_row(s))
			continue;
		if (nck == 0)
			tsql_checkpoint_merge_begin(&a->sql);
		tsql_checkpoint_merge_row_params(&a->sql, nck == 0, nck + 1);
		if (add_ckpt_params(a, nck + 1, s) < 0) {
			a->fatal = EX_OSERR;
			return AT_FATAL;
		}
		nck++;
	}
	if (nck) {
		tsql_checkpoint_merge_end(&a->sql, nck);
		buf_putc(&a->sql, '\n');
	}
	/* Truncates first, referencing tables before referenced ones: each
	 * drops only its own table's earlier changes (mssql_batch.h), so
	 * moving it ahead of other tables' statements changes nothing else. */
	for (size_t k = 0; k < ntrunc; k++) {
		tsql_truncate(&a->sql, &trunc[k]->view, trunc[k]->truncate_as_delete);
		buf_putc(&a->sql, '\n');
	}
	/* Then, a table's DELETE before its MERGE (a unique index other
	 * than the key must not see an old row beside its new one, 2601; a
	 * key that changes only in case keeps its row where the key compares
	 * without case); deletes children first, upserts parents first. When
	 * that met a foreign key (547) in a batch that writes tables linked
	 * by one (a child moved to another parent, the old parent deleted),
	 * it is tried once more with upserts first. The old rows of key
	 * changes are staged before any DELETE. */
	for (size_t k = 0; k < nt; k++)
		if (!up[k]->bulk_direct)
			apply_phase(a, up[k], 0, up[k]->n, PH_OLD_ROWS);
	for (int pass = 0; pass < 2; pass++) {
		bool deletes = (pass == 0) != a->upserts_first;
		for (size_t k = 0; k < nt; k++) {
			mssql_table *t = deletes ? up[nt - 1 - k] : up[k];
			if (!t->bulk_direct) {
				apply_phase(a, t, 0, t->n, deletes ? PH_DELETE : PH_UPSERT);
			} else if (!deletes && t->nstaged) {
				/* the rows bcp could not carry, from the staging table */
				tsql_insert_select(&a->sql, &t->view);
				buf_putc(&a->sql, '\n');
			}
		}
	}
	/* The COMMIT, unless this is a piece of a source transaction that
	 * goes on, and the staging tables emptied for the next batch */
	buf_reset(&a->tail);
	if (commit)
		tsql_commit(&a->tail);
	for (size_t k = 0; k < nt; k++) {
		if (a->order[k]->n == 0 || (a->order[k]->bulk_direct && !a->order[k]->nstaged))
			continue;
		buf_putc(&a->tail, '\n');
		tsql_staging_truncate(&a->tail, &a->order[k]->view);
	}
	if (!commit)
		a->piece_open = true;
	if (!began && buf_append(&a->sql, a->tail.data, a->tail.len) < 0) {
		log_error("T-SQL batch too large");
		a->fatal = EX_SOFTWARE;
		return AT_FATAL;
	}
	if (a->sql.len && a->sql.data[a->sql.len - 1] == '\n')
		a->sql.len--;
	if (sql_done(a) < 0 || run_rpc(a, a->sql.data) < 0)
		return a->fatal ? AT_FATAL : failed(a);
	if (began && a->tail.len && (buf_terminate(&a->tail) < 0 || run(a, a->tail.data, NULL, NULL) < 0))
		return a->fatal ? AT_FATAL : failed(a);
	for (size_t k = 0; k < nt; k++)
		a->order[k]->staging_dirty = false;
	a->st.tables_last_batch = nt;
	return AT_OK;
}

/* Applies t's changes [lo, hi) alone in a transaction that is rolled back:
 * 0 when the server takes them, 1 when it refuses (a->last), -1 when the
 * trial itself failed (connection). */
static int trial(mssql_apply *a, mssql_table *t, size_t lo, size_t hi)
{
	int rc = prepare(a);
	if (rc == AT_OK)
		rc = ensure_staging(a, t);
	if (rc == AT_OK)
		rc = load(a, t, lo, hi, false);
	if (rc == AT_SERVER)
		return 1;
	if (rc != AT_OK)
		return -1;
	sql_reset(a);
	tsql_begin(&a->sql);
	buf_putc(&a->sql, '\n');
	if (stage_old_keys(a, t, lo, hi, &a->sql) != AT_OK)
		return -1;
	/* the truncate goes with the rows from the first on only */
	if (t->truncate && lo == 0) {
		tsql_truncate(&a->sql, &t->view, t->truncate_as_delete);
		buf_putc(&a->sql, '\n');
	}
	apply_phase(a, t, lo, hi, PH_OLD_ROWS);
	apply_phase(a, t, lo, hi, PH_DELETE);
	apply_phase(a, t, lo, hi, PH_UPSERT);
	tsql_rollback(&a->sql);
	buf_putc(&a->sql, '\n');
	tsql_staging_truncate(&a->sql, &t->view);
	if (sql_done(a) < 0)
		return -1;
	if (run(a, a->sql.data, NULL, NULL) < 0) {
		rc = failed(a);
		return rc == AT_SERVER ? 1 : -1;
	}
	t->staging_dirty = false;
	return 0;
}

/* The row of t where the server's refusal of all its rows begins, by
 * bisection: trying each half alone, or (from_first) the rows from the
 * first on, [0, *at) taken and [0, *at + 1) refused. 0, or -1 when a trial
 * itself failed. */
static int narrow(mssql_apply *a, mssql_table *t, bool from_first, size_t *at)
{
	size_t lo = 0, hi = t->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		int rc = trial(a, t, from_first ? 0 : lo, mid);
		if (rc < 0)
			return -1;
		if (rc == 1)
			hi = mid;
		else
			lo = mid;
	}
	*at = lo;
	return 0;
}

static void batch_range(const mssql_apply *a, char *out, size_t len);

/* The server refused the batch because the login lacks a permission
 * (tsql_error_is_permission: 229 on a table it writes or reads, 1088 at
 * SET IDENTITY_INSERT, …). No record is at fault, so none is looked for
 * (locate() would send each table's changes again, to be refused the
 * same way), refused or dead-lettered, and a retry would meet the same
 * refusal: the run stops with EX_CONFIG, naming the table the server
 * names and its error. The batch was rolled back (XACT_ABORT), and is
 * not acknowledged. */
static int denied(mssql_apply *a)
{
	const mssql_error *e = &a->last;
	char obj[300] = "", sch[300] = "", range[600];
	const char *p;
	if ((p = strstr(e->msg, "on the object '")) != NULL) {
		/* 229/230: … on the object 'T', database 'D', schema 'S'. */
		sscanf(p, "on the object '%299[^']'", obj);
		if ((p = strstr(p, ", schema '")) != NULL)
			sscanf(p, ", schema '%299[^']'", sch);
	} else if ((p = strstr(e->msg, "Cannot find the object \"")) != NULL) {
		/* 1088/4902: … the object "S.T" … */
		char both[300] = "";
		sscanf(p, "Cannot find the object \"%299[^\"]\"", both);
		char *dot = strrchr(both, '.');
		if (dot) {
			*dot = 0;
			snprintf(sch, sizeof sch, "%s", both);
			snprintf(obj, sizeof obj, "%s", dot + 1);
		} else {
			snprintf(obj, sizeof obj, "%s", both);
		}
	}
	const mssql_table *t = NULL;
	for (size_t i = 0; obj[0] && i < a->ts.n && !t; i++) {
		const mssql_table *c = a->ts.t[i];
		if (c->order && !strcasecmp(c->table, obj) && (!sch[0] || !strcasecmp(c->schema, sch)))
			t = c;
	}
	batch_range(a, range, sizeof range);
	const char *why = "the login lacks a permission; no record is at fault, and none is refused or "
			  "dead-lettered; the batch was rolled back and is not acknowledged";
	if (t)
		log_error("table [%s].[%s]: SQL Server refused the batch (%s): %d %s (%s)", t->schema, t->table, range,
			  e->number, e->msg, why);
	else if (!strcasecmp(obj, "dbrepl_checkpoint") && (!sch[0] || !strcasecmp(sch, "dbo")))
		/* the MERGE of the batch's checkpoint rows, first in it */
		log_error("the checkpoint table [dbo].[dbrepl_checkpoint]: SQL Server refused the batch (%s): %d %s "
			  "(%s)", range, e->number, e->msg, why);
	else
		log_error("SQL Server refused the batch (%s): %d %s (%s)", range, e->number, e->msg, why);
	return EX_CONFIG;
}

/* After AT_SERVER: finds the table and, for a data error, the record the
 * server refuses. 1 with a->bad_t/bad_i set; 0 when only the table (or
 * nothing) could be named. */
static int locate(mssql_apply *a, mssql_error *first)
{
	size_t nt = mssql_tables_batch(&a->ts, a->order);
	for (size_t k = 0; k < nt; k++) {
		mssql_table *t = a->order[k];
		if (t->n == 0)
			continue;
		int rc = trial(a, t, 0, t->n);
		if (rc < 0)
			return 0;
		if (rc == 0)
			continue;
		*first = a->last;
		a->bad_t = t;
		a->bad_i = SIZE_MAX;
		if (!tsql_error_is_data(a->last.number))
			return 0;
		/* By halves first: one record to blame, found sending about
		 * as many rows as the batch has. Refused only beside another
		 * (two keys SQL Server calls equal, 'a' and 'A' in a key that
		 * ignores case), it passes alone: then the last record of the
		 * shortest beginning the server refuses, the later of the
		 * two, as it would be had it come in a later batch. */
		size_t at;
		if (narrow(a, t, false, &at) < 0)
			return 0;
		rc = t->n > 1 ? trial(a, t, at, at + 1) : 1;
		if (rc < 0 || (rc == 0 && narrow(a, t, true, &at) < 0))
			return 0;
		a->bad_i = at;
		return 1;
	}
	return 0;
}

static void report_bad(mssql_apply *a, const char *why)
{
	mssql_table *t = a->bad_t;
	const mssql_change *c = t->ch[a->bad_i];
	char key[300], off[POS_OFFSET_TEXT_MAX];
	mssql_change_key_text(t, c, key, sizeof key);
	pos_offset_format(c->offset, off, sizeof off);
	log_error("record refused (stream %s, offset %s, table [%s].[%s], key %s): %s", c->stream ? c->stream : "?",
		  off, t->schema, t->table, key, why);
}

static int dead_letter(mssql_apply *a)
{
	mssql_table *t = a->bad_t;
	record r;
	buf out;
	record_init(&r);
	buf_init(&out, 0);
	int fd = -1, rc = -1;
	if (mssql_change_record(t, t->ch[a->bad_i], &r) < 0 || record_encode(&r, RECORD_FORMAT_JSON, &out) < 0)
		goto done;
	fd = open(a->o.dead_letter, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		goto done;
	if (write(fd, out.data, out.len) != (ssize_t)out.len || fsync(fd) < 0)
		goto done;
	rc = 0;
done:
	if (rc < 0)
		log_error("cannot write the dead-letter file (%s): %s", a->o.dead_letter, strerror(errno));
	if (fd >= 0)
		close(fd);
	buf_free(&out);
	record_free(&r);
	if (rc == 0) {
		mssql_table_remove(t, a->bad_i);
		a->st.dead_lettered++;
		char name[2 * RECORD_NAME_MAX + 2];
		snprintf(name, sizeof name, "%s.%s", t->src_schema, t->src_table);
		metric_add(metric_get(a->m.dead, name), 1);
	}
	return rc;
}

static void batch_range(const mssql_apply *a, char *out, size_t len)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < a->nstreams && n + 1 < len; i++) {
		if (!a->streams[i].in_batch)
			continue;
		char off[POS_OFFSET_TEXT_MAX];
		pos_offset_format(a->streams[i].batch_max, off, sizeof off);
		int w = snprintf(out + n, len - n, "%sstream %s up to offset %s", n ? ", " : "", a->streams[i].name,
				 off);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

static void lat_add(mssql_apply *a, int64_t us, uint64_t n)
{
	if (us < 0)
		us = 0;
	int64_t ms = us / 1000;
	size_t b = ms < LAT_FINE ? (size_t)ms : LAT_FINE + (size_t)((ms - LAT_FINE) / 100);
	if (b >= LAT_BUCKETS)
		b = LAT_BUCKETS - 1;
	a->hist[b] += n;
	/* the histogram of --metrics takes them one by one */
	for (uint64_t i = 0; i < n && a->m.lat; i++)
		metric_observe(a->m.lat, (double)us / 1e6);
	a->st.lat_n += n;
	if (us > a->st.lat_max_us)
		a->st.lat_max_us = us;
}

/* The batch went to the server: committed, or (!commit) applied in the
 * transaction that stays open for the next piece of its source
 * transaction, whose streams' offsets and records' commit times wait for
 * the commit. */
static void applied(mssql_apply *a, uint64_t rt0, bool commit)
{
	if (commit) {
		int64_t now = now_us();
		for (size_t i = 0; i < a->nlat; i++) {
			lat_add(a, now - a->lat[i].us, a->lat[i].n);
			metrics_commit_done(a->m.last, a->m.lag, &a->m.newest_us, a->lat[i].us);
		}
		a->nlat = 0;
	}
	for (size_t i = 0; i < a->nstreams; i++) {
		stream_state *s = &a->streams[i];
		if (!s->in_batch)
			continue;
		if (!commit) {
			s->piece_max = s->batch_max;
			s->in_piece = true;
			continue;
		}
		if (!s->has_ckpt || pos_offset_cmp(s->batch_max, s->ckpt) > 0)
			s->ckpt = s->batch_max;
		s->has_ckpt = true;
		s->in_batch = false;
		s->in_piece = false;
		s->acked = true;
		if (a->o.on_commit)
			a->o.on_commit(a->o.ctx, s->name, s->ckpt);
	}
	if (commit)
		a->piece_open = false;
	for (size_t i = 0; i < a->ts.n; i++) {
		mssql_table *t = a->ts.t[i];
		a->st.changes += t->n;
		/* a piece's records are counted with its transaction's commit */
		if (commit && t->batch_records) {
			if (!t->m_out && a->m.out) {
				char name[2 * RECORD_NAME_MAX + 2];
				snprintf(name, sizeof name, "%s.%s", t->src_schema, t->src_table);
				t->m_out = metric_get(a->m.out, name);
			}
			metric_add(t->m_out, t->batch_records);
			t->batch_records = 0;
		}
		/* A snapshot keeps INSERTing into the table it found empty, as
		 * long as nothing else has been written to it; its rows have
		 * distinct keys. */
		if (t->order) {
			t->snap_stream = t->use_insert ? one_stream(t) : NULL;
			t->committed_once = true;
		}
	}
	mssql_tables_clear_batch(&a->ts);
	a->no_insert = false;
	a->upserts_first = false;
	/* kept over the pieces of a transaction: applied again from its
	 * start after the re-read, it must not read the catalog again for
	 * the same table and be lost again */
	if (commit) {
		a->ddl_retried = NULL;
		a->ckpt_retried = false;
	}
	a->st.batches += commit;
	metric_add(a->m.batches, commit);
	a->st.round_trips = round_trips(a);
	a->st.round_trips_last_batch = a->st.round_trips - rt0;
	a->nrec = 0;
}

/* True when the checkpoint shows this batch committed already (the commit
 * went through but its answer was lost). */
static bool batch_already_committed(const mssql_apply *a)
{
	bool any = false;
	for (size_t i = 0; i < a->nstreams; i++) {
		const stream_state *s = &a->streams[i];
		if (!s->in_batch)
			continue;
		any = true;
		if (!s->has_ckpt || pos_offset_cmp(s->ckpt, s->batch_max) < 0)
			return false;
	}
	return any;
}

static bool applied_at_target(void *ctx, const char *stream, pos_offset off)
{
	mssql_apply *a = ctx;
	for (size_t i = 0; i < a->nstreams; i++) {
		const stream_state *s = &a->streams[i];
		if (s->name == stream || !strcmp(s->name, stream))
			return s->has_ckpt && pos_offset_cmp(off, s->ckpt) <= 0;
	}
	return false;
}

/* After the checkpoint was read again: drops the changes of the batch the
 * target holds already (another mssql-apply applied them: its offsets are
 * in the checkpoint), so neither they nor the checkpoint go backwards. */
static void drop_applied(mssql_apply *a)
{
	size_t n = 0;
	for (size_t i = 0; i < a->ts.n; i++)
		if (a->ts.t[i]->order)
			n += mssql_table_drop_applied(a->ts.t[i], applied_at_target, a);
	if (n)
		log_info("%zu changes of the batch are already applied at the target (by another mssql-apply); "
			 "dropped",
			 n);
}

/* True when the batch deletes rows. */
static bool batch_deletes(const mssql_apply *a)
{
	for (size_t i = 0; i < a->ts.n; i++) {
		const mssql_table *t = a->ts.t[i];
		for (size_t k = 0; t->order && k < t->n; k++)
			if (t->ch[k]->op == 'd')
				return true;
	}
	return false;
}

/* True when a table of the batch was to be written with a plain INSERT. */
static bool any_insert(const mssql_apply *a)
{
	for (size_t i = 0; i < a->ts.n; i++)
		if (a->ts.t[i]->order && a->ts.t[i]->use_insert)
			return true;
	return false;
}

/* An attempt at a piece, or at the commit, of a source transaction applied
 * in pieces failed after earlier pieces: they went with the transaction
 * (every failure closes the connection), so this batch cannot be tried
 * again alone. */
static int pieces_lost(mssql_apply *a, int rc, uint64_t rt0, bool commit)
{
	a->piece_open = false;
	if (rc == AT_TRUNCATE) {
		for (size_t i = 0; i < a->ts.n; i++)
			if (a->ts.t[i]->truncate)
				a->ts.t[i]->truncate_as_delete = true;
		log_info("TRUNCATE TABLE refused (4712); emptying with DELETE instead");
	}
	if (rc == AT_TRANSIENT || rc == AT_STALE || rc == AT_TRUNCATE) {
		a->reread_lost = rc == AT_TRANSIENT && a->reread;
		a->reread = false;
		if (!a->reread_lost)
			a->st.retries++;
		if (commit && !a->o.print && prepare(a) == AT_OK && batch_already_committed(a)) {
			log_info("the checkpoint holds the whole transaction already (it committed before the "
				 "connection was lost); not applying it again");
			applied(a, rt0, true);
			return 0;
		}
		log_info("the transaction applied in pieces was rolled back: %s%d %s", a->last.dead ? "lost connection; " : "",
			 a->last.number, a->last.msg);
		mssql_apply_discard(a);
		return MSSQL_APPLY_AGAIN;
	}
	if (rc == AT_BADVALUE) {
		report_bad(a, a->bad_msg);
	} else {
		mssql_error first = a->last;
		char why[1200];
		if (locate(a, &first)) {
			snprintf(why, sizeof why, "%d %s", first.number, first.msg);
			report_bad(a, why);
		} else if (a->fatal) {
			return a->fatal;
		} else {
			char range[600];
			batch_range(a, range, sizeof range);
			log_error("the batch was refused (%s): %d %s", range, first.number, first.msg);
		}
	}
	/* Leaving the record out would apply its source transaction in part. */
	log_error("the record is part of a source transaction applied in pieces, which was rolled back%s",
		  a->o.dead_letter ? " (--dead-letter cannot leave out one of its records)" : "");
	return EX_DATAERR;
}

/* Applies the batch, and commits it unless it is a piece of a source
 * transaction (then the transaction stays open). */
static int flush_batch(mssql_apply *a, bool commit)
{
	if (a->nrec == 0 && !(commit && a->piece_open))
		return 0;
	uint64_t rt0 = a->batch_rt0;
	int failures = 0;
	bool reconnected = false;
	/* earlier pieces are in the open transaction: not to be retried alone */
	bool pieces = a->piece_open;
	for (;;) {
		if (a->ts.touched == 0 && !reconnected && !pieces) {
			/* Only skipped records: nothing to write, but acks to send. */
			bool need = false;
			for (size_t i = 0; i < a->nstreams; i++)
				if (a->streams[i].in_batch && a->streams[i].has_ckpt &&
				    pos_offset_cmp(a->streams[i].batch_max, a->streams[i].ckpt) > 0)
					need = true;
			if (!need) {
				applied(a, rt0, true);
				return 0;
			}
		}
		if (reconnected && !a->o.print) {
			int rc = prepare(a);
			if (rc == AT_FATAL)
				return a->fatal;
			if (rc == AT_OK)
				drop_applied(a);
			if (rc == AT_OK && batch_already_committed(a)) {
				log_info("the checkpoint holds the whole batch already (it committed before the "
					 "connection was lost, or another mssql-apply applied it); not applying it again");
				applied(a, rt0, true);
				return 0;
			}
		}
		int rc = attempt(a, commit);
		if (rc == AT_OK) {
			applied(a, rt0, commit);
			return 0;
		}
		if ((rc == AT_TRANSIENT || rc == AT_STALE) && stopping(a)) {
			log_error("stopping: the batch of %zu records was not applied (%s%d %s); "
				  "they are not acknowledged", a->nrec, a->last.interrupted ? "cancelled: " : "",
				  a->last.number, a->last.msg);
			if (pieces)
				return pieces_lost(a, rc, rt0, commit);
			return EX_TEMPFAIL;
		}
		bool truncs_left = false;
		for (size_t i = 0; i < a->ts.n; i++)
			if (a->ts.t[i]->order && a->ts.t[i]->truncate && !a->ts.t[i]->truncate_as_delete)
				truncs_left = true;
		if ((rc == AT_SERVER || (rc == AT_TRUNCATE && !truncs_left)) &&
		    tsql_error_is_permission(a->last.number)) {
			a->piece_open = false;
			return denied(a);
		}
		if (pieces && rc != AT_FATAL)
			return pieces_lost(a, rc, rt0, commit);
		switch (rc) {
		case AT_FATAL:
			return a->fatal ? a->fatal : EX_SOFTWARE;
		case AT_TRANSIENT:
			if (a->reread) {
				/* the catalog read again after 2714 or 2705 (once
				 * per table): no retry taken */
				a->reread = false;
				reconnected = true;
				continue;
			}
			failures++;
			a->st.retries++;
			metric_add(a->m.retries, 1);
			if (failures > a->o.retries) {
				log_error("giving up after %d attempts: %d %s", failures, a->last.number, a->last.msg);
				return a->last.dead && !a->conn && a->st.batches == 0 ? EX_UNAVAILABLE : EX_TEMPFAIL;
			}
			log_info("retrying the batch after: %s%d %s", a->last.dead ? "lost connection; " : "",
				 a->last.number, a->last.msg);
			mssql_apply_backoff(a, failures);
			reconnected = true;
			continue;
		case AT_STALE:
			/* Another mssql-apply (the partition's previous owner after
			 * a rebalance, say) committed a stream of this batch at least
			 * this far: read the checkpoint again and drop what it covers. */
			failures++;
			a->st.retries++;
			metric_add(a->m.retries, 1);
			if (failures > a->o.retries) {
				log_error("giving up after %d attempts: %d %s", failures, a->last.number, a->last.msg);
				return EX_TEMPFAIL;
			}
			log_info("the checkpoint of a stream of this batch is at or beyond the batch; reading it again");
			reconnected = true;
			continue;
		case AT_TRUNCATE: {
			/* A foreign key references a truncated table, or it is
			 * CDC-enabled, temporal, in an indexed view: DELETE instead. */
			size_t changed = 0;
			for (size_t i = 0; i < a->ts.n; i++)
				if (a->ts.t[i]->truncate && !a->ts.t[i]->truncate_as_delete) {
					a->ts.t[i]->truncate_as_delete = true;
					changed++;
				}
			if (changed) {
				log_info("TRUNCATE TABLE refused (%d); emptying with DELETE instead", a->last.number);
				reconnected = true;
				continue;
			}
			/* not from a TRUNCATE of ours (1088 from SET
			 * IDENTITY_INSERT, or from the DELETE too): as any other
			 * refusal */
			if (tsql_error_is_permission(a->last.number))
				return denied(a);
			log_error("the batch was refused: %d %s", a->last.number, a->last.msg);
			return EX_DATAERR;
		}
		case AT_BADVALUE:
			report_bad(a, a->bad_msg);
			break;
		case AT_SERVER: {
			if (a->last.number == 547 && !a->upserts_first && batch_deletes(a) &&
			    batch_has_fk(a, a->order, mssql_tables_batch(&a->ts, a->order))) {
				log_info("a foreign key refused the batch's deletes ahead of its upserts (547); trying "
					 "upserts first");
				a->upserts_first = true;
				reconnected = true;
				continue;
			}
			if (!a->no_insert && (a->last.number == 2627 || a->last.number == 2601) && any_insert(a)) {
				/* Someone else writes the table too (streaming during a
				 * re-snapshot, say): merge by key instead. */
				log_info("INSERT into a table taken as empty met an existing key; merging instead");
				a->no_insert = true;
				reconnected = true;
				continue;
			}
			mssql_error first = a->last;
			char why[1200];
			if (!locate(a, &first)) {
				if (a->fatal) /* a trial met a refusal of its own (refused_at) */
					return a->fatal;
				char range[600];
				batch_range(a, range, sizeof range);
				if (a->bad_t)
					log_error("table [%s].[%s] refused the batch (%s): %d %s", a->bad_t->schema,
						  a->bad_t->table, range, first.number, first.msg);
				else
					log_error("the batch was refused (%s): %d %s", range, first.number, first.msg);
				return EX_DATAERR;
			}
			if (first.number == TSQL_ERR_IDENTITY_CHANGED && a->bad_t->view.identity_col)
				snprintf(why, sizeof why, "the update changes the value of IDENTITY column %s, which "
					 "SQL Server cannot update (8102)",
					 a->bad_t->names[a->bad_t->view.identity_col - 1]);
			else
				snprintf(why, sizeof why, "%d %s", first.number, first.msg);
			report_bad(a, why);
			break;
		}
		}
		/* A refused record: dead-letter it and go on, or stop. Not in
		 * the first piece of a source transaction: leaving it out would
		 * apply the transaction in part. */
		if (a->o.dead_letter && !commit)
			log_error("the record is part of a source transaction applied in pieces, which was rolled "
				  "back (--dead-letter cannot leave out one of its records)");
		if (!a->o.dead_letter || !commit || dead_letter(a) < 0)
			return EX_DATAERR;
		log_info("record written to %s; applying the rest of the batch", a->o.dead_letter);
		disconnect(a);
		reconnected = false;
		a->bad_t = NULL;
	}
}

int mssql_apply_flush(mssql_apply *a)
{
	return flush_batch(a, true);
}

int mssql_apply_piece(mssql_apply *a)
{
	return flush_batch(a, false);
}

void mssql_apply_discard(mssql_apply *a)
{
	/* an open transaction (pieces, or a bulk copy's) goes with the session */
	if (a->piece_open || a->live.t)
		disconnect(a);
	a->piece_open = false;
	a->live_broken = false;
	mssql_tables_clear_batch(&a->ts);
	for (size_t i = 0; i < a->ts.n; i++)
		a->ts.t[i]->batch_records = 0;
	for (size_t i = 0; i < a->nstreams; i++)
		a->streams[i].in_batch = a->streams[i].in_piece = false;
	a->nrec = 0;
	a->nlat = 0;
	a->no_insert = false;
}

bool mssql_apply_in_pieces(const mssql_apply *a)
{
	return a->piece_open;
}

/* Sleeps ms, in slices, until opts.stop says the caller is stopping. */
static void nap(mssql_apply *a, long ms)
{
	for (; ms > 0 && !(a->o.stop && a->o.stop()); ms -= 100)
		sleep_ms(ms < 100 ? ms : 100);
}

void mssql_apply_backoff(mssql_apply *a, int failures)
{
	long ms = 100L << (failures < 6 ? failures : 6);
	if (ms > 5000)
		ms = 5000;
	log_info("trying again in %ld ms", ms);
	nap(a, ms);
}

/* ---- records in ---- */

/* Whether r brings t a shape of its own (its first, or other columns). */
static bool shape_changes(mssql_table *t, const record *r)
{
	return r->ncols && (t->ncols == 0 || mssql_table_shape_differs(t, r));
}

bool mssql_apply_add_flushes(mssql_apply *a, const record *r)
{
	if (streams_full(a, r))
		return true;
	for (size_t i = 0; i < a->ts.n; i++) {
		mssql_table *t = a->ts.t[i];
		if (!strcmp(t->src_schema, r->schema) && !strcmp(t->src_table, r->table))
			return (t->n || t->truncate) && shape_changes(t, r);
	}
	return false;
}

/* --clamp-infinity: counts r's ±infinity dates and timestamps, each of
 * which becomes the end of its type's range at the target. */
static void count_clamps(mssql_apply *a, const mssql_table *t, const record *r)
{
	const record_value *img = r->has_after ? r->after : r->has_before ? r->before : NULL;
	for (size_t i = 0; img && i < t->ncols && i < r->ncols; i++) {
		tsql_kind k = t->types[i].kind;
		const record_value *v = &img[i];
		if ((k == TSQL_DATE || k == TSQL_DATETIME2 || k == TSQL_DTO) && v->kind == VALUE_TEXT &&
		    ((v->len == 8 && !memcmp(v->data, "infinity", 8)) || (v->len == 9 && !memcmp(v->data, "-infinity", 9))))
			a->st.clamped++;
	}
}

int mssql_apply_add(mssql_apply *a, const record *r)
{
	stream_state *s = stream_get(a, r->stream);
	if (!s) {
		log_error("out of memory");
		return EX_OSERR;
	}
	a->st.records++;
	if ((s->has_ckpt && pos_offset_cmp(r->offset, s->ckpt) <= 0) ||
	    (s->in_batch && pos_offset_cmp(r->offset, s->batch_max) <= 0)) {
		a->st.skipped++;
		metric_add(a->m.skipped, 1);
		/* A replay after a restart: what the target holds is durable,
		 * so upstream may hear of it now rather than at the next commit. */
		if (!s->acked && s->has_ckpt && !s->in_batch && a->o.on_commit) {
			s->acked = true;
			a->o.on_commit(a->o.ctx, s->name, s->ckpt);
		}
		return 0;
	}
	if (stream_overflows(a, s)) {
		log_debug("the batch holds the checkpoint rows of %d streams, as many as an RPC's parameters "
			  "allow: applying it before a record of stream %s", CKPT_STREAMS_MAX, r->stream);
		int rc = mssql_apply_flush(a);
		if (rc)
			return rc;
		s = stream_get(a, r->stream);
	}
	const char *dst = map_schema(a, r->schema);
	mssql_table *t = mssql_tables_get(&a->ts, r->db, r->schema, r->table, dst);
	if (!t) {
		log_error("out of memory");
		return EX_OSERR;
	}
	if (shape_changes(t, r)) {
		if (t->n || t->truncate) {
			int rc = mssql_apply_flush(a);
			if (rc)
				return rc;
			s = stream_get(a, r->stream);
		}
		if (mssql_table_set_shape(t, r, &a->o.type_map, a->o.clamp_infinity) < 0) {
			log_error("out of memory");
			return EX_OSERR;
		}
	}
	char err[300];
	if (a->nrec == 0)
		a->batch_rt0 = round_trips(a); /* streamed rows count with their batch */
	int rc = mssql_table_add(&a->ts, t, r, ++a->nrec, s->name, err, sizeof err);
	if (rc == -2) {
		log_error("out of memory");
		return EX_OSERR;
	}
	if (rc < 0) {
		char off[POS_OFFSET_TEXT_MAX];
		pos_offset_format(r->offset, off, sizeof off);
		log_error("unusable record (stream %s, offset %s, table %s.%s): %s", r->stream, off, r->schema,
			  r->table, err);
		return EX_DATAERR;
	}
	s->batch_max = r->offset;
	s->in_batch = true;
	if (a->o.clamp_infinity)
		count_clamps(a, t, r);
	t->batch_records++;
	if (a->nlat && a->lat[a->nlat - 1].us == r->commit_us) {
		a->lat[a->nlat - 1].n++;
	} else {
		if (a->nlat == a->caplat) {
			size_t cap = a->caplat ? a->caplat * 2 : 1024;
			lat_run *p = realloc(a->lat, cap * sizeof *p);
			if (!p) {
				log_error("out of memory");
				return EX_OSERR;
			}
			a->lat = p;
			a->caplat = cap;
		}
		a->lat[a->nlat++] = (lat_run){r->commit_us, 1};
	}
	live_add(a, t, r);
	return 0;
}

/* The target key known for r's table, or NULL. */
static target_key *known_key(const mssql_apply *a, const record *r)
{
	const char *dst = map_schema(a, r->schema);
	for (size_t i = 0; i < a->ntkeys; i++)
		if (!strcmp(a->tkeys[i].schema, dst) && !strcmp(a->tkeys[i].table, r->table))
			return &a->tkeys[i];
	return NULL;
}

static bool key_wanted(const mssql_apply *a, const record *r)
{
	return !r->nkeys && r->op != RECORD_OP_TRUNCATE && r->ncols && !a->o.print;
}

bool mssql_apply_key_unknown(const mssql_apply *a, const record *r)
{
	return key_wanted(a, r) && !known_key(a, r);
}

int mssql_apply_key_from_target(mssql_apply *a, record *r)
{
	if (!key_wanted(a, r))
		return 0;
	const char *dst = map_schema(a, r->schema);
	target_key *k = known_key(a, r);
	if (!k) {
		/* The catalog is asked on the session. A bulk copy of the batch
		 * may hold it: the batch goes first then. Otherwise the batch
		 * waits (and a transaction left open by mssql_apply_piece
		 * stays open: the question is asked inside it). */
		int rc = a->live.t ? mssql_apply_flush(a) : 0;
		if (rc)
			return rc;
		target_key *p = realloc(a->tkeys, (a->ntkeys + 1) * sizeof *p);
		if (!p)
			goto oom;
		a->tkeys = p;
		k = &a->tkeys[a->ntkeys];
		memset(k, 0, sizeof *k);
		k->schema = strdup(dst);
		k->table = strdup(r->table);
		k->cols = calloc(1, sizeof *k->cols);
		if (!k->schema || !k->table || !k->cols) {
			free(k->schema);
			free(k->table);
			free(k->cols);
			goto oom;
		}
		a->ntkeys++;
		int at = prepare(a);
		sql_reset(a);
		tsql_catalog_primary_key(&a->sql, dst, r->table);
		if (at != AT_OK || sql_done(a) < 0 || run(a, a->sql.data, collect_first, k->cols) < 0) {
			/* refused (229 on the catalog, say): the target's
			 * configuration, which refused_at says and ends the run
			 * for; else a failure to try again */
			char what[600];
			snprintf(what, sizeof what, "reading the primary key of [%s].[%s] from the catalog", dst, r->table);
			if (at != AT_OK || a->fatal || refused_at(a, NULL, 0, what) != AT_FATAL)
				log_error("cannot read the primary key of [%s].[%s] (%s)", dst, r->table, a->last.msg);
			a->ntkeys--;
			rows_free(k->cols);
			free(k->cols);
			free(k->schema);
			free(k->table);
			(void)stopping(a); /* given up for a stop: as a batch would be */
			return a->fatal ? a->fatal : EX_TEMPFAIL;
		}
		log_debug("[%s].[%s]: records without key columns take its primary key (%zu columns)", dst, r->table,
			  k->cols->n);
	}
	uint16_t keys[RECORD_MAX_COLUMNS];
	size_t n = 0;
	for (size_t i = 0; i < k->cols->n; i++) {
		/* identifiers compare as SQL Server's default collation does */
		size_t c = 0;
		while (c < r->ncols && !tsql_name_eq_ci(r->cols[c].name, k->cols->v[i]))
			c++;
		if (c == r->ncols)
			return 0; /* a key column the record lacks: no key, refused later */
		keys[n++] = (uint16_t)c;
	}
	if (n && record_set_keys(r, keys, n) < 0)
		goto oom;
	return 0;
oom:
	log_error("out of memory");
	return EX_OSERR;
}

size_t mssql_apply_batch_records(const mssql_apply *a)
{
	return a->nrec;
}

size_t mssql_apply_batch_bytes(const mssql_apply *a)
{
	return a->ts.bytes;
}

bool mssql_apply_bulk_streaming(const mssql_apply *a)
{
	return a->live.t && !a->live_broken;
}

bool mssql_apply_bulk_soon(const mssql_apply *a)
{
	/* once per batch: at the record that makes it big enough */
	if (a->nrec != STAGE_INLINE_ROWS || a->o.print || a->live.t || a->no_insert || a->ts.touched != 1)
		return false;
	for (size_t i = 0; i < a->ts.n; i++) {
		const mssql_table *t = a->ts.t[i];
		if (!t->order)
			continue;
		size_t u, d, r;
		mssql_table_counts(t, &u, &d, &r);
		return t->n == a->nrec && r == t->n && !t->truncate && !t->snap_stream && !t->committed_once &&
		       one_stream(t) != NULL;
	}
	return false;
}

bool mssql_apply_session_held(const mssql_apply *a)
{
	return a->live.t != NULL;
}

/* ---- lifetime ---- */

mssql_apply *mssql_apply_new(const mssql_apply_opts *o)
{
	mssql_apply *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->o = *o;
	mssql_tables_init(&a->ts);
	buf_init(&a->sql, 0);
	buf_init(&a->stage, 0);
	buf_init(&a->tail, 0);
	buf_init(&a->flags16, 0);
	buf_init(&a->rpctext, 0);
	metrics *m = o->metrics;
	a->m.out = metrics_family(m, "dbrepl_records_out_total", "table");
	a->m.dead = metrics_family(m, "dbrepl_dead_letters_total", "table");
	a->m.skipped = metric_get(metrics_family(m, "dbrepl_records_skipped_total", NULL));
	a->m.batches = metric_get(metrics_family(m, "dbrepl_batches_total", NULL));
	a->m.retries = metric_get(metrics_family(m, "dbrepl_errors_total", "kind"), "retry");
	a->m.lat = metric_get(metrics_family(m, "dbrepl_apply_latency_seconds", NULL));
	a->m.last = metric_get(metrics_family(m, "dbrepl_last_commit_timestamp_seconds", NULL));
	a->m.lag = metric_get(metrics_family(m, "dbrepl_lag_seconds", NULL));
	return a;
}

void mssql_apply_free(mssql_apply *a)
{
	if (!a)
		return;
	disconnect(a);
	mssql_tables_free(&a->ts);
	for (size_t i = 0; i < a->ntkeys; i++) {
		free(a->tkeys[i].schema);
		free(a->tkeys[i].table);
		rows_free(a->tkeys[i].cols);
		free(a->tkeys[i].cols);
	}
	free(a->tkeys);
	for (size_t i = 0; i < a->nstreams; i++)
		free(a->streams[i].name);
	free(a->streams);
	for (size_t i = 0; i < a->ncellcap; i++)
		buf_free(&a->scratch[i]);
	free(a->scratch);
	free(a->cells);
	free(a->tvals);
	free(a->hosts);
	free(a->stage_at);
	buf_free(&a->flags16);
	free(a->order);
	free(a->fk);
	free(a->lat);
	buf_free(&a->sql);
	buf_free(&a->stage);
	buf_free(&a->tail);
	buf_free(&a->rpctext);
	free(a->prm);
	free(a);
}

int mssql_apply_open(mssql_apply *a)
{
	for (int failures = 0;; failures++) {
		a->reread = false;
		int rc = prepare(a);
		if (rc == AT_OK)
			return 0;
		if (rc == AT_FATAL)
			return a->fatal;
		if (rc == AT_TRANSIENT && a->reread) {
			/* the checkpoint table made meanwhile (2714): read
			 * again at once, no retry taken */
			failures--;
			continue;
		}
		if (rc != AT_TRANSIENT || failures >= a->o.retries || stopping(a)) {
			char num[24] = "";
			if (a->last.number > 0)
				snprintf(num, sizeof num, " (%d)", a->last.number);
			log_error("cannot connect to %s: %s%s", a->o.login.server ? a->o.login.server : "?", a->last.msg,
				  num);
			if (a->stopped)
				return EX_TEMPFAIL;
			return rc == AT_TRANSIENT ? EX_UNAVAILABLE : EX_DATAERR;
		}
		long ms = 100L << (failures < 6 ? failures : 6);
		log_info("cannot connect (%s); retrying in %ld ms", a->last.msg, ms);
		nap(a, ms);
	}
}

bool mssql_apply_stopped(const mssql_apply *a)
{
	return a->stopped;
}

const mssql_apply_stats *mssql_apply_get_stats(const mssql_apply *a)
{
	return &a->st;
}

double mssql_apply_latency_ms(const mssql_apply *a, double pct)
{
	if (a->st.lat_n == 0)
		return 0;
	if (pct >= 100)
		return (double)a->st.lat_max_us / 1000.0;
	uint64_t want = (uint64_t)((double)a->st.lat_n * pct / 100.0);
	if (want >= a->st.lat_n)
		want = a->st.lat_n - 1;
	uint64_t seen = 0;
	for (size_t b = 0; b < LAT_BUCKETS; b++) {
		seen += a->hist[b];
		if (seen > want)
			return b < LAT_FINE ? (double)b : (double)(LAT_FINE + (b - LAT_FINE) * 100);
	}
	return (double)a->st.lat_max_us / 1000.0;
}

int mssql_apply_retries(const mssql_apply *a)
{
	return a->o.retries;
}

bool mssql_apply_reread(mssql_apply *a)
{
	bool r = a->reread_lost;
	a->reread_lost = false;
	return r;
}
