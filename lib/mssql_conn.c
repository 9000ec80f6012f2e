/* mssql_conn.c — see mssql_conn.h. */
#include "mssql_conn.h"

#include <sybfront.h>
#include <sybdb.h>

#include "buf.h"
#include "mssql_typed.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mssql_conn {
	DBPROCESS *dbproc;
	mssql_error err;
	uint64_t round_trips;
	size_t bcp_ncols;
	bool bcp_started; /* the first row went: "insert bulk" was sent */
	/* typed bulk copy: one host variable per table column, bound once */
	union hostval *host;
	const mssql_host *hosts;
	/* The length each column was last given (bcp_collen): db-lib keeps
	 * it from row to row, and setting it costs a lookup and checks per
	 * call, so it is set only when it changes. */
	DBINT *collen;
	/* The same for the pointer of a bytes column (bcp_colptr): a
	 * column's value is converted into the same scratch buffer row
	 * after row. */
	const void **colptr;
};

/* SYBUNIQUE's host form (FreeTDS's TDS_UNIQUE); db-lib's public header
 * has neither the type number nor the struct. */
#define DBREPL_SYBUNIQUE 36
struct guid_host {
	DBUINT data1;
	DBUSMALLINT data2, data3;
	DBBINARY data4[8];
};

union hostval {
	DBSMALLINT i2;
	DBINT i4;
	DBBIGINT i8;
	DBBIT bit;
	DBREAL r;
	DBFLT8 f;
	DBNUMERIC num;
	DBMONEY money;
	DBDATETIMEALL dta;
	struct guid_host guid;
};

/* FreeTDS 1.3's db-lib bcp sends bound SYBCHAR bytes to an nvarchar column
 * as they are, without converting them to UCS-2 (seen on the wire with
 * TDSDUMP). So text is converted here, UTF-8 to UTF-16LE
 * (mssql_utf8_to_utf16le), and bound as bytes. */

/* db-lib reports login failures before a DBPROCESS exists. */
static mssql_error login_err;

static mssql_error *err_slot(DBPROCESS *dbproc)
{
	mssql_conn *c = dbproc ? (mssql_conn *)dbgetuserdata(dbproc) : NULL;
	return c ? &c->err : &login_err;
}

static int on_err(DBPROCESS *dbproc, int severity, int dberr, int oserr, char *dberrstr, char *oserrstr)
{
	mssql_error *e = err_slot(dbproc);
	switch (dberr) {
	case SYBEREAD: case SYBEWRIT: case SYBESEOF: case SYBECONN: case SYBESOCK:
	case SYBEFCON: case SYBEDDNE: case SYBECLOS:
		e->dead = true;
		break;
	case SYBETIME:
		e->timeout = true;
		e->dead = true;
		break;
	case SYBESMSG: /* "check messages from the server": the message handler has it */
		return INT_CANCEL;
	default:
		break;
	}
	if (dbproc && DBDEAD(dbproc))
		e->dead = true;
	if (e->number == 0) {
		e->number = dberr;
		e->severity = severity;
		snprintf(e->msg, sizeof e->msg, "%s%s%s", dberrstr ? dberrstr : "db-lib error",
			 oserr && oserrstr ? ": " : "", oserr && oserrstr ? oserrstr : "");
	}
	return INT_CANCEL;
}

static int on_msg(DBPROCESS *dbproc, DBINT msgno, int msgstate, int severity, char *msgtext, char *srvname,
		  char *proc, int line)
{
	(void)msgstate, (void)srvname, (void)proc, (void)line;
	if (severity <= 10)
		return 0; /* informational: changed database context, language … */
	mssql_error *e = err_slot(dbproc);
	/* The first error is the cause; XACT_ABORT's follow-ups are not. */
	if (e->number == 0 || e->number >= 20000) {
		e->number = (int)msgno;
		e->severity = severity;
		snprintf(e->msg, sizeof e->msg, "%s", msgtext ? msgtext : "");
		size_t n = strlen(e->msg);
		while (n && (e->msg[n - 1] == '\n' || e->msg[n - 1] == '\r'))
			e->msg[--n] = '\0';
	}
	return 0;
}

static bool (*interrupt_check)(void);

void mssql_set_interrupt(bool (*check)(void))
{
	interrupt_check = check;
}

/* db-lib asks these once a second while it waits on the socket. After
 * INT_CANCEL FreeTDS reports the wait as a timeout (SYBETIME) and closes
 * the connection; the error says why first. */
static int check_interrupt(void *dbproc)
{
	(void)dbproc;
	return interrupt_check && interrupt_check();
}

static int handle_interrupt(void *dbproc)
{
	mssql_error *e = err_slot(dbproc);
	e->interrupted = true;
	e->dead = true;
	if (e->number == 0) {
		e->number = SYBETIME;
		snprintf(e->msg, sizeof e->msg, "the wait for the server was cancelled");
	}
	return INT_CANCEL;
}

int mssql_global_init(void)
{
	if (dbinit() == FAIL)
		return -1;
	dberrhandle(on_err);
	dbmsghandle(on_msg);
	return 0;
}

void mssql_global_exit(void)
{
	dbexit();
}

static volatile sig_atomic_t login_waiting;
/* open_encrypted's freetds.conf while it exists ("" otherwise), for
 * mssql_login_abandon */
static char encrypted_conf[64];

bool mssql_login_waiting(void)
{
	return login_waiting != 0;
}

void mssql_login_abandon(void)
{
	if (encrypted_conf[0])
		unlink(encrypted_conf);
}

/* db-lib has no working switch for TLS (dbsetlbool(DBSETENCRYPT) is
 * unimplemented in FreeTDS 1.3), but freetds.conf's "encryption = require"
 * works. So for --encrypt the server "host[:port]" becomes a section of a
 * private freetds.conf, read through FREETDSCONF for this one login. */
static DBPROCESS *open_encrypted(LOGINREC *login, const char *server, mssql_error *err)
{
	char host[256], path[] = "/tmp/dbrepl-freetds.XXXXXX";
	const char *colon = strrchr(server, ':');
	long port = 1433;
	size_t hl = colon ? (size_t)(colon - server) : strlen(server);
	if (hl == 0 || hl >= sizeof host || strpbrk(server, "\n[]")) {
		snprintf(err->msg, sizeof err->msg, "--encrypt needs -S host[:port]");
		err->number = MSSQL_ERR_CONFIG;
		return NULL;
	}
	memcpy(host, server, hl);
	host[hl] = '\0';
	if (colon) {
		char *end;
		port = strtol(colon + 1, &end, 10);
		if (*end || port <= 0 || port > 65535) {
			snprintf(err->msg, sizeof err->msg, "bad port in -S %s", server);
			err->number = MSSQL_ERR_CONFIG;
			return NULL;
		}
	}
	int fd = mkstemp(path);
	if (fd < 0) {
		snprintf(err->msg, sizeof err->msg, "cannot create a freetds.conf for --encrypt");
		return NULL;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
		return NULL;
	}
	fprintf(f, "[dbrepl-encrypted]\n\thost = %s\n\tport = %ld\n\ttds version = 7.4\n"
		   "\tencryption = require\n", host, port);
	fclose(f);
	snprintf(encrypted_conf, sizeof encrypted_conf, "%s", path);
	const char *old = getenv("FREETDSCONF");
	char *saved = old ? strdup(old) : NULL;
	setenv("FREETDSCONF", path, 1);
	DBPROCESS *dbproc = dbopen(login, "dbrepl-encrypted");
	if (saved)
		setenv("FREETDSCONF", saved, 1);
	else
		unsetenv("FREETDSCONF");
	free(saved);
	encrypted_conf[0] = '\0';
	unlink(path);
	return dbproc;
}

mssql_conn *mssql_connect(const mssql_login *l, mssql_error *err)
{
	memset(&login_err, 0, sizeof login_err);
	memset(err, 0, sizeof *err);
	/* waiting from here: a stop that falls due between the check and
	 * dbopen must still find it so */
	login_waiting = 1;
	if (interrupt_check && interrupt_check()) {
		login_waiting = 0;
		snprintf(err->msg, sizeof err->msg, "not logging in: stopping");
		err->interrupted = true;
		err->dead = true;
		return NULL;
	}
	LOGINREC *login = dblogin();
	if (!login) {
		login_waiting = 0;
		snprintf(err->msg, sizeof err->msg, "dblogin: out of memory");
		return NULL;
	}
	if (l->user)
		DBSETLUSER(login, l->user);
	if (l->password)
		DBSETLPWD(login, l->password);
	DBSETLAPP(login, l->appname ? l->appname : "dbrepl");
	if (l->database)
		DBSETLDBNAME(login, l->database);
	DBSETLCHARSET(login, "UTF-8");
	DBSETLVERSION(login, DBVERSION_74);
	BCP_SETL(login, TRUE);
	/* The largest packet SQL Server grants: 32767 bytes ('network packet
	 * size' option), 16383 on an encrypted connection. A bulk copy of a
	 * million rows then costs an eighth of the packets, system calls and
	 * wake-ups of the default 4096 (a third of the client's CPU for a snapshot,
	 * perf). The server answers with the size it grants (ENVCHANGE). */
	DBSETLPACKET(login, l->encrypt ? 16383 : 32767);
	dbsetlogintime(l->login_timeout_s > 0 ? l->login_timeout_s : 15);
	dbsettime(l->query_timeout_s > 0 ? l->query_timeout_s : 0);

	DBPROCESS *dbproc;
	if (l->encrypt)
		dbproc = open_encrypted(login, l->server, err);
	else
		dbproc = dbopen(login, l->server);
	login_waiting = 0;
	dbloginfree(login);
	if (!dbproc) {
		/* open_encrypted's own reason, else db-lib's */
		if (!err->msg[0])
			*err = login_err;
		if (!err->msg[0])
			snprintf(err->msg, sizeof err->msg, "cannot connect");
		/* FreeTDS gives up on a server that offers no TLS with its
		 * generic 20002 alone, no reason and no OS error (a server that
		 * cannot be reached comes with one) */
		if (l->encrypt && err->number == SYBEFCON) {
			size_t n = strlen(err->msg);
			snprintf(err->msg + n, sizeof err->msg - n, " (with --encrypt: does the server offer TLS?)");
		}
		err->dead = true;
		return NULL;
	}
	mssql_conn *c = calloc(1, sizeof *c);
	if (!c) {
		dbclose(dbproc);
		snprintf(err->msg, sizeof err->msg, "out of memory");
		return NULL;
	}
	c->dbproc = dbproc;
	dbsetuserdata(dbproc, (BYTE *)c);
	dbsetinterrupt(dbproc, check_interrupt, handle_interrupt);
	c->round_trips = 1;
	return c;
}

void mssql_close(mssql_conn *c)
{
	if (!c)
		return;
	if (c->dbproc) {
		dbsetuserdata(c->dbproc, NULL);
		dbclose(c->dbproc);
	}
	free(c->host);
	free(c->collen);
	free(c->colptr);
	free(c);
}

static bool is_char_type(int t)
{
	return t == SYBCHAR || t == SYBVARCHAR || t == SYBTEXT || t == SYBNVARCHAR ||
	       t == SYBNTEXT;
}

/* Reads every result set; rows go to cb. */
static int drain(mssql_conn *c, mssql_row_cb cb, void *ctx)
{
	RETCODE rc;
	int failed = 0;
	char **vals = NULL;
	int nvals = 0;
	while ((rc = dbresults(c->dbproc)) != NO_MORE_RESULTS) {
		if (rc == FAIL) {
			failed = 1;
			if (DBDEAD(c->dbproc)) {
				c->err.dead = true;
				break;
			}
			continue;
		}
		int ncols = dbnumcols(c->dbproc);
		if (ncols > nvals) {
			char **p = realloc(vals, (size_t)ncols * sizeof *p);
			if (!p) {
				dbcancel(c->dbproc);
				free(vals);
				return -1;
			}
			vals = p;
			nvals = ncols;
		}
		STATUS st;
		while ((st = dbnextrow(c->dbproc)) != NO_MORE_ROWS) {
			if (st == FAIL) {
				failed = 1;
				break;
			}
			if (!cb)
				continue;
			for (int i = 0; i < ncols; i++) {
				BYTE *d = dbdata(c->dbproc, i + 1);
				DBINT len = dbdatlen(c->dbproc, i + 1);
				int t = dbcoltype(c->dbproc, i + 1);
				if (!d && len == 0) {
					vals[i] = NULL;
					continue;
				}
				if (is_char_type(t)) {
					vals[i] = malloc((size_t)len + 1);
					if (vals[i]) {
						memcpy(vals[i], d, (size_t)len);
						vals[i][len] = '\0';
					}
				} else {
					char tmp[64];
					DBINT n = dbconvert(c->dbproc, t, d, len, SYBCHAR, (BYTE *)tmp, sizeof tmp - 1);
					if (n < 0)
						n = 0;
					tmp[n] = '\0';
					vals[i] = strdup(tmp);
				}
			}
			int stop = cb(ctx, ncols, vals);
			for (int i = 0; i < ncols; i++)
				free(vals[i]);
			if (stop) {
				dbcancel(c->dbproc);
				free(vals);
				return failed ? -1 : 0;
			}
		}
	}
	free(vals);
	if (DBDEAD(c->dbproc))
		c->err.dead = true;
	return failed || c->err.number || c->err.dead ? -1 : 0;
}

/* A request that failed to go or to run (what: the db-lib call): cancels
 * what is left of it unless the connection died. -1. */
static int exec_failed(mssql_conn *c, const char *what)
{
	if (!DBDEAD(c->dbproc))
		dbcancel(c->dbproc);
	else
		c->err.dead = true;
	if (!c->err.number && !c->err.msg[0])
		snprintf(c->err.msg, sizeof c->err.msg, "%s failed", what);
	return -1;
}

int mssql_exec(mssql_conn *c, const char *sql, mssql_row_cb cb, void *ctx)
{
	memset(&c->err, 0, sizeof c->err);
	c->round_trips++;
	if (dbcmd(c->dbproc, sql) == FAIL) {
		if (!c->err.number)
			snprintf(c->err.msg, sizeof c->err.msg, "dbcmd failed");
		return -1;
	}
	if (dbsqlexec(c->dbproc) == FAIL)
		return exec_failed(c, "dbsqlexec");
	return drain(c, cb, ctx);
}

int mssql_exec_rpc(mssql_conn *c, const char *sql, const char *decl, size_t nparams, const mssql_param *params,
		   mssql_row_cb cb, void *ctx)
{
	memset(&c->err, 0, sizeof c->err);
	c->round_trips++;
	/* Text goes as ntext: db-lib sends it as nvarchar(max), converted
	 * from the client's UTF-8 to UTF-16 (sp_executesql takes its
	 * statement and declarations only as Unicode). */
	if (dbrpcinit(c->dbproc, "sp_executesql", 0) == FAIL ||
	    dbrpcparam(c->dbproc, "@stmt", 0, SYBNTEXT, -1, (DBINT)strlen(sql), (BYTE *)sql) == FAIL ||
	    (decl && dbrpcparam(c->dbproc, "@params", 0, SYBNTEXT, -1, (DBINT)strlen(decl), (BYTE *)decl) == FAIL))
		goto fail;
	for (size_t i = 0; i < nparams; i++) {
		const mssql_param *p = &params[i];
		RETCODE rc = p->is_int ? dbrpcparam(c->dbproc, p->name, 0, SYBINT8, -1, 8, (BYTE *)&p->i)
				       : dbrpcparam(c->dbproc, p->name, 0, SYBNTEXT, -1, (DBINT)p->len, (BYTE *)p->text);
		if (rc == FAIL)
			goto fail;
	}
	if (dbrpcsend(c->dbproc) == FAIL || dbsqlok(c->dbproc) == FAIL)
		return exec_failed(c, "sp_executesql");
	return drain(c, cb, ctx);
fail:
	if (!c->err.msg[0])
		snprintf(c->err.msg, sizeof c->err.msg, "dbrpcinit/dbrpcparam failed");
	if (DBDEAD(c->dbproc))
		c->err.dead = true;
	return -1;
}

/* A bcp call failed: keeps the server's message if it sent one, else
 * names the call; notes a dead connection. Returns -1. */
static int bcp_failed(mssql_conn *c, const char *call, const char *table)
{
	if (!c->err.msg[0]) {
		if (table)
			snprintf(c->err.msg, sizeof c->err.msg, "%s(%s) failed", call, table);
		else
			snprintf(c->err.msg, sizeof c->err.msg, "%s failed", call);
	}
	if (DBDEAD(c->dbproc))
		c->err.dead = true;
	return -1;
}

/* Sends the bound row; the first row of a copy is the "insert bulk"
 * round trip. */
static int bcp_send_row(mssql_conn *c)
{
	if (!c->bcp_started) {
		c->bcp_started = true;
		c->round_trips++; /* "insert bulk" */
	}
	if (bcp_sendrow(c->dbproc) == FAIL)
		return bcp_failed(c, "bcp_sendrow", NULL);
	return 0;
}

static int db_type(mssql_host h)
{
	switch (h) {
	case MSSQL_HOST_INT2: return SYBINT2;
	case MSSQL_HOST_INT4: return SYBINT4;
	case MSSQL_HOST_INT8: return SYBINT8;
	case MSSQL_HOST_BIT: return SYBBIT;
	case MSSQL_HOST_REAL: return SYBREAL;
	case MSSQL_HOST_FLT8: return SYBFLT8;
	case MSSQL_HOST_DECIMAL: return SYBDECIMAL;
	case MSSQL_HOST_MONEY: return SYBMONEY;
	case MSSQL_HOST_DATE: return SYBMSDATE;
	case MSSQL_HOST_TIME: return SYBMSTIME;
	case MSSQL_HOST_DATETIME2: return SYBMSDATETIME2;
	case MSSQL_HOST_DTO: return SYBMSDATETIMEOFFSET;
	case MSSQL_HOST_GUID: return DBREPL_SYBUNIQUE;
	case MSSQL_HOST_BINARY: return SYBBINARY;
	case MSSQL_HOST_NSTRING:
	default: return SYBCHAR; /* UTF-16LE bytes, passed through (see above) */
	}
}

int mssql_bcp_begin_typed(mssql_conn *c, const char *table, size_t ncols, const mssql_host *hosts,
			  const char *hint)
{
	memset(&c->err, 0, sizeof c->err);
	c->round_trips++;
	c->bcp_ncols = ncols;
	c->bcp_started = false;
	c->hosts = hosts;
	free(c->host);
	free(c->collen);
	free(c->colptr);
	c->host = calloc(ncols + 1, sizeof *c->host);
	c->collen = malloc((ncols + 1) * sizeof *c->collen);
	c->colptr = calloc(ncols + 1, sizeof *c->colptr); /* NULL: no row sets it */
	if (!c->host || !c->collen || !c->colptr) {
		snprintf(c->err.msg, sizeof c->err.msg, "out of memory");
		return -1;
	}
	/* a length no row sets: the first row sets every column's */
	for (size_t i = 0; i < ncols; i++)
		c->collen[i] = INT32_MIN;
	if (bcp_init(c->dbproc, table, NULL, NULL, DB_IN) == FAIL)
		goto fail;
	if (hint && bcp_options(c->dbproc, BCPHINTS, (BYTE *)hint, (int)strlen(hint)) == FAIL)
		goto fail;
	for (size_t i = 0; i < ncols; i++) {
		/* Bound once to its host variable; each row sets the length
		 * (0 = NULL) and, for bytes, the pointer. */
		if (bcp_bind(c->dbproc, (BYTE *)&c->host[i], 0, 0, NULL, 0, db_type(hosts[i]), (int)i + 1) == FAIL)
			goto fail;
	}
	return 0;
fail:
	return bcp_failed(c, "bcp_init", table);
}

/* Bytes of a DBNUMERIC's array for a precision, sign byte included: the
 * table FreeTDS converts numerics with (tds_numeric_bytes_per_prec). */
static const unsigned char numeric_bytes[39] = {
	1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7, 8, 8, 9, 9, 9,
	10, 10, 11, 11, 11, 12, 12, 13, 13, 14, 14, 14, 15, 15, 16, 16, 16, 17, 17,
};

/* days from 0001-01-01 → DBDATETIMEALL's days from 1900-01-01 */
#define DAYS_0001_TO_1900 693595

static bool set_collen(mssql_conn *c, size_t i, DBINT len)
{
	if (c->collen[i] == len)
		return true;
	if (bcp_collen(c->dbproc, len, (int)i + 1) == FAIL)
		return false;
	c->collen[i] = len;
	return true;
}

int mssql_bcp_row_typed(mssql_conn *c, const mssql_typed *vals)
{
	for (size_t i = 0; i < c->bcp_ncols; i++) {
		const mssql_typed *v = &vals[i];
		union hostval *h = &c->host[i];
		int col = (int)i + 1;
		DBINT len = -1;
		if (v->null) {
			if (!set_collen(c, i, 0))
				goto fail;
			continue;
		}
		switch (c->hosts[i]) {
		case MSSQL_HOST_INT2: h->i2 = (DBSMALLINT)v->i; break;
		case MSSQL_HOST_INT4: h->i4 = (DBINT)v->i; break;
		case MSSQL_HOST_INT8: h->i8 = v->i; break;
		case MSSQL_HOST_BIT: h->bit = (DBBIT)(v->i != 0); break;
		case MSSQL_HOST_REAL: h->r = (DBREAL)v->f; break;
		case MSSQL_HOST_FLT8: h->f = v->f; break;
		case MSSQL_HOST_DECIMAL: {
			memset(&h->num, 0, sizeof h->num);
			h->num.precision = v->prec;
			h->num.scale = v->scale;
			h->num.array[0] = v->neg ? 1 : 0;
			unsigned __int128 m = v->mag;
			for (int k = numeric_bytes[v->prec] - 1; k >= 1; k--, m >>= 8)
				h->num.array[k] = (unsigned char)(m & 0xff);
			len = (DBINT)sizeof h->num;
			break;
		}
		case MSSQL_HOST_MONEY:
			h->money.mnyhigh = (DBINT)(v->i >> 32);
			h->money.mnylow = (DBUINT)((uint64_t)v->i & 0xffffffffu);
			break;
		case MSSQL_HOST_DATE:
		case MSSQL_HOST_TIME:
		case MSSQL_HOST_DATETIME2:
		case MSSQL_HOST_DTO: {
			mssql_host k = c->hosts[i];
			memset(&h->dta, 0, sizeof h->dta);
			h->dta.time_prec = 7;
			if (k != MSSQL_HOST_DATE) {
				h->dta.time = v->ticks;
				h->dta.has_time = 1;
			}
			if (k != MSSQL_HOST_TIME) {
				h->dta.date = v->days - DAYS_0001_TO_1900;
				h->dta.has_date = 1;
			}
			if (k == MSSQL_HOST_DTO) {
				h->dta.offset = v->offset;
				h->dta.has_offset = 1;
			}
			len = (DBINT)sizeof h->dta;
			break;
		}
		case MSSQL_HOST_GUID: {
			const uint8_t *g = v->guid;
			h->guid.data1 = (DBUINT)g[0] | (DBUINT)g[1] << 8 | (DBUINT)g[2] << 16 | (DBUINT)g[3] << 24;
			h->guid.data2 = (DBUSMALLINT)(g[4] | g[5] << 8);
			h->guid.data3 = (DBUSMALLINT)(g[6] | g[7] << 8);
			memcpy(h->guid.data4, g + 8, 8);
			len = (DBINT)sizeof h->guid;
			break;
		}
		case MSSQL_HOST_NSTRING:
		case MSSQL_HOST_BINARY:
		default:
			/* a zero length would be NULL: the caller sends no empty value */
			if (v->len == 0 || v->len > INT32_MAX) {
				snprintf(c->err.msg, sizeof c->err.msg, "column %zu: a value of %zu bytes cannot be bulk-copied",
					 i + 1, v->len);
				c->err.number = -1;
				return -1;
			}
			if (c->colptr[i] != v->data) {
				if (bcp_colptr(c->dbproc, (BYTE *)v->data, col) == FAIL)
					goto fail;
				c->colptr[i] = v->data;
			}
			len = (DBINT)v->len;
			break;
		}
		if (!set_collen(c, i, len))
			goto fail;
	}
	return bcp_send_row(c);
fail:
	return bcp_failed(c, "bcp_sendrow", NULL);
}

long mssql_bcp_end(mssql_conn *c)
{
	c->round_trips++;
	DBINT n = bcp_done(c->dbproc);
	if (n < 0) {
		return bcp_failed(c, "bcp_done", NULL);
	}
	return (long)n;
}

const mssql_error *mssql_last_error(const mssql_conn *c)
{
	return &c->err;
}

bool mssql_dead(const mssql_conn *c)
{
	return c->err.dead || DBDEAD(c->dbproc);
}

uint64_t mssql_round_trips(const mssql_conn *c)
{
	return c->round_trips;
}
