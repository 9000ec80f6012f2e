/* pgexec.c — runs a translated batch on PostgreSQL and answers in TDS.
 *
 * Owns the statement loop of a SQL batch (transactions with XACT_ABORT
 * semantics, SET options, FMTONLY), result sets (streamed row by row in
 * libpq's single-row mode), the SQLSTATE → SQL Server error mapping of
 * SUBSET.md, and the commit-batch faults (deadlock-at, drop-after).
 */
#include "peer.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
	OID_BOOL = 16, OID_BYTEA = 17, OID_CHAR = 18, OID_NAME = 19, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23,
	OID_OID = 26, OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_BPCHAR = 1042, OID_VARCHAR = 1043,
	OID_DATE = 1082, OID_TIME = 1083, OID_TIMESTAMP = 1114, OID_TIMESTAMPTZ = 1184,
	OID_INTERVAL = 1186, OID_TIMETZ = 1266, OID_NUMERIC = 1700, OID_UUID = 2950
};

/* ---- DONE bookkeeping: every DONE but the last carries DONE_MORE ---- */
void flush_done(session *s, int more)
{
	if (!s->done_pending)
		return;
	tds_put_done(s->c, s->in_rpc ? TOK_DONEINPROC : TOK_DONE, (uint16_t)(s->done_status | (more ? DONE_MORE : 0)), s->done_cmd,
		     s->done_rows);
	s->done_pending = 0;
}

void queue_done(session *s, uint16_t status, uint16_t cmd, uint64_t rows)
{
	flush_done(s, 1);
	if (s->trancount > 0)
		status |= DONE_INXACT;
	s->done_pending = 1;
	s->done_status = status;
	s->done_cmd = cmd;
	s->done_rows = rows;
}

/* The state SQL Server sends with an error number (as it prints them:
 * "Msg 468, Level 16, State 9"); 1 for the others. */
static uint8_t error_state(int number)
{
	switch (number) {
	case 468: return 9;   /* collation conflict in an operator */
	case 446: return 9;   /* an operand without collation in an operator */
	case 451: return 1;   /* a select-list column without collation (the Collation Precedence page's example) */
	case 547: return 0;   /* constraint conflict */
	case 515: return 2;   /* NULL into NOT NULL */
	case 1946: return 3;  /* index entry longer than the index allows */
	case 1902: return 3;  /* a second clustered index */
	case 266: return 2;   /* sp_executesql left another transaction count */
	case 8169: return 2;  /* conversion to uniqueidentifier */
	case 8115: return 2;  /* arithmetic overflow */
	default: return 1;
	}
}

/* The severity of an error the translation finds: 15 for syntax (102
 * "Incorrect syntax", 105 an unclosed quote, 113 a comment, 137 an
 * undeclared variable), 16 for the others (1902, 1919, 447, 448, 208 …). */
static int translate_severity(int number)
{
	switch (number) {
	case 102:
	case 105:
	case 113:
	case 137:
		return 15;
	default:
		return 16;
	}
}

void sess_error(session *s, int number, int cls, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	peer_log(s->o, "error %d: %s", number, msg);
	flush_done(s, 1);
	tds_put_msg(s->c, TOK_ERROR, number, error_state(number), (uint8_t)cls, msg, 1);
	queue_done(s, DONE_ERROR, 0, 0);
}

int executesql_trancount(session *s, int before)
{
	if (s->trancount == before)
		return 0;
	sess_error(s, 266, 16, "Transaction count after EXECUTE indicates a mismatching number of BEGIN and COMMIT "
		   "statements. Previous count = %d, current count = %d.", before, s->trancount);
	return -1;
}

/* delay-ms: waits before answering. Returns 1 when the client sent
 * something meanwhile (an ATTENTION: it gave up waiting). */
int reply_delay(session *s)
{
	if (s->o->delay_ms <= 0)
		return 0;
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long spent = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (spent >= s->o->delay_ms)
			return 0;
		if (tds_input_pending(s->c, (int)(s->o->delay_ms - spent)))
			return 1;
	}
}

/* XACT_ABORT ON: an error inside a transaction rolls all of it back. */
int pg_rollback_if_needed(session *s)
{
	PGTransactionStatusType ts = PQtransactionStatus(s->pg);
	if (s->trancount > 0 || ts == PQTRANS_INERROR || ts == PQTRANS_INTRANS) {
		PQclear(PQexec(s->pg, "ROLLBACK"));
		s->trancount = 0;
		return 1;
	}
	return 0;
}

/* ---- the client while PostgreSQL works ----
 *
 * SQL Server goes on listening to its client while a request runs
 * (MS-TDS 3.3.5.9, Client Request Execution State): an ATTENTION cancels
 * the request, and a connection that breaks ends the session, its
 * transaction rolled back and its locks released (both are "attention
 * events", Attention Event Class). A forked session that only read its
 * socket between requests left a statement waiting on a lock long after
 * its client had gone. So the wait for PostgreSQL is a poll() on both
 * sockets; it happens only when libpq has no result at hand (PQisBusy),
 * where libpq would have polled its own socket anyway, so streamed rows
 * and bulk loads cost no more system calls than before. */

static void pg_cancel(session *s, const char *why)
{
	if (s->cancelled)
		return;
	s->cancelled = 1;
	char err[256] = "";
	PGcancel *k = PQgetCancel(s->pg);
	int ok = k && PQcancel(k, err, sizeof err);
	if (k)
		PQfreeCancel(k);
	peer_log(s->o, "%s: statement %s", why, ok ? "cancelled" : err);
}

/* The client's socket (or what is buffered of it) has something while a
 * statement runs: the end of the connection, or a message. */
static void client_input(session *s, short revents)
{
	tds_conn *c = s->c;
	if (!(revents & (POLLRDHUP | POLLHUP | POLLERR))) {
		uint8_t type;
		if (c->rpos < c->rlen) {
			type = c->rbuf[c->rpos];
		} else {
			ssize_t k = recv(c->fd, &type, 1, MSG_PEEK | MSG_DONTWAIT);
			if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				return;
			if (k <= 0)
				goto gone;
		}
		if (type != PKT_ATTN) {
			/* another request before this one's answer: SQL
			 * Server queues it (MS-TDS 3.3.5.9), so it stays unread */
			s->input_queued = 1;
			return;
		}
		tds_next_message(c);
		tds_skip_message(c);
		if (c->dead)
			goto gone;
		s->attention = 1;
		pg_cancel(s, "attention");
		return;
	}
gone:
	c->dead = 1;
	pg_cancel(s, "client gone");
}

PGresult *pg_result(session *s)
{
	tds_conn *c = s->c;
	while (PQisBusy(s->pg) && PQsocket(s->pg) >= 0) {
		if (c->dead) /* a write failed: nobody waits for the answer */
			pg_cancel(s, "client gone");
		int watch = !c->dead && !s->cancelled;
		/* Inside a message (a BULK_LOAD not yet read) its rest is
		 * pending: only the connection's end can be seen. At a message
		 * boundary a new message begins. */
		int at_msg = watch && !s->input_queued && tds_msg_end(c);
		if (at_msg && c->rpos < c->rlen) {
			client_input(s, POLLIN);
			continue;
		}
		struct pollfd p[2] = {
			{.fd = PQsocket(s->pg), .events = POLLIN},
			{.fd = c->fd, .events = (short)(POLLRDHUP | (at_msg ? POLLIN : 0))},
		};
		if (poll(p, watch ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (watch && p[1].revents)
			client_input(s, p[1].revents);
		if (p[0].revents && !PQconsumeInput(s->pg))
			break;
	}
	return PQgetResult(s->pg);
}

PGresult *pg_exec(session *s, const char *sql)
{
	if (!PQsendQuery(s->pg, sql))
		return NULL;
	PGresult *r, *keep = NULL;
	while ((r = pg_result(s)) != NULL) {
		ExecStatusType es = PQresultStatus(r);
		if (keep && PQresultStatus(keep) == PGRES_FATAL_ERROR) {
			PQclear(r);
		} else {
			PQclear(keep);
			keep = r;
		}
		if (es == PGRES_COPY_IN || es == PGRES_COPY_OUT || es == PGRES_COPY_BOTH ||
		    PQstatus(s->pg) == CONNECTION_BAD)
			break;
	}
	return keep;
}

/* SQL Server answers an ATTENTION with DONE_ATTN, after whatever it had
 * sent of the request's answer (the client reads and drops all of it up
 * to there: MS-TDS 2.2.1.7). The open transaction is rolled back: the
 * peer's XACT_ABORT ON, which SQL Server also applies to an attention;
 * and PostgreSQL has no transaction left to go on with after a cancelled
 * statement anyway. */
void attention_answer(session *s)
{
	if (s->attention != 1)
		return;
	s->attention = 2;
	pg_rollback_if_needed(s);
	s->done_pending = 0;
	peer_log(s->o, "attention: request cancelled");
	tds_put_done(s->c, TOK_DONE, DONE_ATTN, 0, 0);
	tds_reply_end(s->c);
}

/* ---- errors ---- */
static const char *field(const PGresult *r, int code)
{
	const char *v = r ? PQresultErrorField(r, code) : NULL;
	return v ? v : "";
}

/* The text between the first pair of double quotes of a PostgreSQL message. */
static void quoted_name(const char *msg, char *out, size_t cap)
{
	const char *a = strchr(msg, '"'), *b = a ? strchr(a + 1, '"') : NULL;
	if (a && b)
		snprintf(out, cap, "%.*s", (int)(b - a - 1), a + 1);
	else
		snprintf(out, cap, "%s", msg);
}

/* The duplicate key's values from PostgreSQL's detail "Key (k)=(v)
 * already exists.". binary: the key has a binary column, whose value
 * PostgreSQL writes as bytea does, \x0100, and SQL Server's 2627/2601 as
 * 0x0100 (lower-case digits, as its messages show them): each value of
 * the list that is \x and hex digits is rewritten so (a string key of
 * that form beside a binary one would be too). */
static void key_value(const char *detail, int binary, char *out, size_t cap)
{
	const char *a = strstr(detail, ")=("), *b = strstr(detail, ") already exists");
	if (!(a && b && b > a + 3)) {
		snprintf(out, cap, "?");
		return;
	}
	snprintf(out, cap, "%.*s", (int)(b - a - 3), a + 3);
	if (!binary)
		return;
	for (char *v = out; *v;) {
		/* v: the start of a value */
		size_t h = 0;
		if (v[0] == '\\' && v[1] == 'x') {
			h = 2;
			while (isxdigit((unsigned char)v[h]))
				h++;
		}
		if (h && (v[h] == 0 || (v[h] == ',' && v[h + 1] == ' ')))
			v[0] = '0';
		char *next = strstr(v, ", ");
		if (!next)
			break;
		v = next + 2;
	}
}

/* The name of the object sql names after its first skip words (T-SQL's
 * [s].[t], PostgreSQL's "s"."t", or plain words), as SQL Server shows it
 * in a message: unquoted, its parts joined by '.'. */
static void stmt_object(const char *sql, int skip, char *out, size_t cap)
{
	const char *p = sql;
	size_t n = 0;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	for (int k = 0; k < skip; k++) {
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
	}
	for (;;) {
		char close = *p == '[' ? ']' : *p == '"' ? '"' : 0;
		if (close) {
			for (p++; *p; p++) {
				if (*p == close) {
					if (p[1] != close)
						break;
					p++;
				}
				if (n + 1 < cap)
					out[n++] = *p;
			}
			if (*p)
				p++;
		} else {
			while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '#' || *p == '$' || *p == '@' ||
				      (unsigned char)*p >= 0x80)) {
				if (n + 1 < cap)
					out[n++] = *p;
				p++;
			}
		}
		if (*p != '.')
			break;
		if (n + 1 < cap)
			out[n++] = '.';
		p++;
	}
	out[n] = 0;
	if (!n)
		snprintf(out, cap, "?");
}

/* The first two words of sql, in capitals. */
static void stmt_words(const char *sql, char *w1, char *w2, size_t cap)
{
	char *w[2] = {w1, w2};
	const char *p = sql;
	for (int k = 0; k < 2; k++) {
		size_t n = 0;
		while (*p && !isalpha((unsigned char)*p))
			p++;
		while (isalpha((unsigned char)*p) || *p == '_') {
			if (n + 1 < cap)
				w[k][n++] = (char)toupper((unsigned char)*p);
			p++;
		}
		w[k][n] = 0;
	}
}

/* The table statement sql (first words w1 and w2, in capitals) reads or
 * writes, as stmt_object gives it ("s.t"): the bulk load's (bulk), that of
 * INSERT [INTO], MERGE [INTO], UPDATE, DELETE [FROM], else the one after
 * its first FROM ("DELETE t FROM [s].[t] AS t …", a SELECT). "?" when
 * there is none. */
static void stmt_target(const session *s, const char *sql, const char *w1, const char *w2, int bulk, char *out,
			size_t cap)
{
	if (bulk && s->bulk_target) {
		stmt_object(s->bulk_target, 0, out, cap);
		return;
	}
	int into = !strcmp(w2, "INTO") || !strcmp(w2, "FROM");
	if (!strcmp(w1, "UPDATE") || ((!strcmp(w1, "INSERT") || !strcmp(w1, "MERGE")) && !into)) {
		stmt_object(sql, 1, out, cap);
		return;
	}
	if (!strcmp(w1, "INSERT") || !strcmp(w1, "MERGE") || (!strcmp(w1, "DELETE") && into)) {
		stmt_object(sql, 2, out, cap);
		return;
	}
	/* the first FROM outside brackets, quotes and strings */
	char close = 0;
	for (const char *p = sql; *p; p++) {
		if (close) {
			if (*p == close)
				close = 0;
			continue;
		}
		if (*p == '[' || *p == '"' || *p == '\'') {
			close = *p == '[' ? ']' : *p;
			continue;
		}
		if ((p == sql || isspace((unsigned char)p[-1])) && !strncasecmp(p, "FROM", 4) &&
		    isspace((unsigned char)p[4])) {
			stmt_object(p + 4, 0, out, cap);
			return;
		}
	}
	if (!strcmp(w1, "DELETE")) {
		stmt_object(sql, 1, out, cap);
		return;
	}
	snprintf(out, cap, "?");
}

/* Whether the session's login may alter the table of PostgreSQL name
 * pgname (SQL Server's ALTER permission: here its owner, or a member of
 * the owner's role). 0 also when there is no such table. */
static int may_alter(session *s, const char *pgname)
{
	const char *params[1] = {pgname};
	PGresult *r = PQexecParams(s->pg, "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class "
				   "WHERE oid = to_regclass($1)", 1, NULL, params, NULL, NULL, 0);
	int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return ok;
}

/* 1088, as SQL Server answers SET IDENTITY_INSERT or TRUNCATE TABLE of a
 * table the login may not alter, or that is not there. */
static void no_alter(session *s, const char *name)
{
	char shown[512];
	stmt_object(name, 0, shown, sizeof shown);
	sess_error(s, 1088, 16, "Cannot find the object \"%s\" because it does not exist or you do not have "
		   "permissions.", shown);
}

/* PostgreSQL refused what s->running asked for lack of a privilege
 * (42501, message msg): SQL Server's answer to a login without the
 * permission, by statement. CREATE TABLE / SCHEMA / …: 262; ALTER TABLE:
 * 4902; TRUNCATE TABLE: 1088; a statement that reads or writes a table,
 * and the bulk load: 229, naming the permission the statement needed on
 * the table PostgreSQL names and the login lacks (a MERGE: its actions'
 * in order, INSERT, UPDATE, DELETE, then SELECT). */
static void send_denied(session *s, const char *msg)
{
	const char *sql = s->running ? s->running : "";
	char w1[32], w2[32], name[512];
	stmt_words(sql, w1, w2, sizeof w1);
	if (!strcmp(w1, "CREATE") && w2[0]) {
		sess_error(s, 262, 14, "CREATE %s permission denied in database '%s'.", w2, s->dbname);
		return;
	}
	if (!strcmp(w1, "ALTER") && !strcmp(w2, "TABLE")) {
		stmt_object(sql, 2, name, sizeof name);
		sess_error(s, 4902, 16, "Cannot find the object \"%s\" because it does not exist or you do not have "
			   "permissions.", name);
		return;
	}
	if (!strcmp(w1, "TRUNCATE")) {
		stmt_object(sql, 2, name, sizeof name);
		no_alter(s, name);
		return;
	}
	int bulk = !strcmp(w1, "INSERT") && !strcmp(w2, "BULK");
	const char *perms[5];
	int np = 0;
	if (bulk || !strcmp(w1, "INSERT")) {
		perms[np++] = "INSERT";
	} else if (!strcmp(w1, "UPDATE")) {
		perms[np++] = "UPDATE";
	} else if (!strcmp(w1, "DELETE")) {
		perms[np++] = "DELETE";
	} else if (!strcmp(w1, "MERGE")) {
		if (strcasestr(sql, "THEN INSERT"))
			perms[np++] = "INSERT";
		if (strcasestr(sql, "THEN UPDATE"))
			perms[np++] = "UPDATE";
		if (strcasestr(sql, "THEN DELETE"))
			perms[np++] = "DELETE";
	} else if (strcmp(w1, "SELECT")) {
		perms[np++] = "INSERT";
		perms[np++] = "UPDATE";
		perms[np++] = "DELETE";
	}
	perms[np++] = "SELECT";
	/* the table: the bulk load's own; else the one PostgreSQL names
	 * ("permission denied for table t"), a temp table's last */
	static const char pfx[] = "permission denied for ";
	const char *rel = NULL;
	if (!strncmp(msg, pfx, sizeof pfx - 1) && (rel = strchr(msg + sizeof pfx - 1, ' ')) != NULL)
		rel++;
	const char *params[2] = {bulk && s->bulk_target ? s->bulk_target : "", rel ? rel : ""};
	PGresult *r = PQexecParams(s->pg,
				   "SELECT n.nspname, c.relname, has_table_privilege(c.oid, 'INSERT'), "
				   "has_table_privilege(c.oid, 'UPDATE'), has_table_privilege(c.oid, 'DELETE'), "
				   "has_table_privilege(c.oid, 'SELECT') FROM pg_class c "
				   "JOIN pg_namespace n ON n.oid = c.relnamespace "
				   "WHERE CASE WHEN $1 <> '' THEN c.oid = to_regclass($1) ELSE c.relname = $2 END "
				   "ORDER BY n.nspname LIKE 'pg\\_temp%', n.nspname LIMIT 1",
				   2, NULL, params, NULL, NULL, 0);
	const char *perm = perms[0];
	int schema = !strncmp(msg, "permission denied for schema ", 29);
	if (!schema && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		for (int k = np - 1; k >= 0; k--) {
			int col = !strcmp(perms[k], "INSERT") ? 2 : !strcmp(perms[k], "UPDATE") ? 3 :
				  !strcmp(perms[k], "DELETE") ? 4 : 5;
			if (PQgetvalue(r, 0, col)[0] != 't')
				perm = perms[k];
		}
		sess_error(s, 229, 14, "The %s permission was denied on the object '%s', database '%s', schema '%s'.",
			   perm, PQgetvalue(r, 0, 1), s->dbname, PQgetvalue(r, 0, 0));
	} else if (schema) {
		/* the schema's privilege (USAGE): SQL Server names the object
		 * the statement touched, with its schema (one-part: the
		 * login's default schema, dbo) */
		char name[512];
		stmt_target(s, sql, w1, w2, bulk, name, sizeof name);
		char *dot = strrchr(name, '.');
		if (dot)
			*dot = 0;
		sess_error(s, 229, 14, "The %s permission was denied on the object '%s', database '%s', schema '%s'.",
			   perm, dot ? dot + 1 : name, s->dbname, dot ? name : "dbo");
	} else {
		/* not a table's nor a schema's privilege (a function's): SQL
		 * Server would name the object; the peer names what it can */
		sess_error(s, 229, 14, "The %s permission was denied on the object '%s', database '%s', schema '%s'.",
			   perm, rel ? rel : "?", s->dbname, "?");
	}
	PQclear(r);
}

void send_pg_error(session *s, const PGresult *r, const char *fallback)
{
	char state[6], msg[700], detail[400], cons[200], schema[200], table[200], column[200];
	snprintf(state, sizeof state, "%s", field(r, PG_DIAG_SQLSTATE));
	snprintf(msg, sizeof msg, "%s", r ? field(r, PG_DIAG_MESSAGE_PRIMARY) : "");
	if (!msg[0])
		snprintf(msg, sizeof msg, "%s", fallback ? fallback : PQerrorMessage(s->pg));
	size_t ml = strlen(msg);
	while (ml && (msg[ml - 1] == '\n' || msg[ml - 1] == ' '))
		msg[--ml] = 0;
	snprintf(detail, sizeof detail, "%s", field(r, PG_DIAG_MESSAGE_DETAIL));
	snprintf(cons, sizeof cons, "%s", field(r, PG_DIAG_CONSTRAINT_NAME));
	snprintf(schema, sizeof schema, "%s", field(r, PG_DIAG_SCHEMA_NAME));
	snprintf(table, sizeof table, "%s", field(r, PG_DIAG_TABLE_NAME));
	snprintf(column, sizeof column, "%s", field(r, PG_DIAG_COLUMN_NAME));
	pg_rollback_if_needed(s);
	peer_log(s->o, "postgres error %s: %s", state, msg);
	/* cancelled for its client (an ATTENTION, answered by the caller,
	 * or the connection gone): SQL Server reports no error for it */
	if (s->cancelled)
		return;

	char name[256], key[256];
	if (!strcmp(state, "23505")) {
		const char *params[1] = {cons};
		PGresult *q = PQexecParams(s->pg, "SELECT contype FROM pg_constraint WHERE conname = $1 LIMIT 1",
					   1, NULL, params, NULL, NULL, 0);
		char ct = (PQresultStatus(q) == PGRES_TUPLES_OK && PQntuples(q) == 1) ? PQgetvalue(q, 0, 0)[0] : 0;
		PQclear(q);
		/* whether the index's columns include a binary one */
		const char *kp[2] = {schema, cons};
		q = PQexecParams(s->pg, "SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
				 "AND a.attnum = ANY (i.indkey) WHERE i.indexrelid = "
				 "to_regclass(quote_ident($1) || '.' || quote_ident($2)) "
				 "AND a.atttypid IN ('tds_catalog.varbinary'::regtype, 'bytea'::regtype)",
				 2, NULL, kp, NULL, NULL, 0);
		int binary = PQresultStatus(q) == PGRES_TUPLES_OK && PQntuples(q) > 0;
		PQclear(q);
		key_value(detail, binary, key, sizeof key);
		if (ct == 'p' || ct == 'u')
			sess_error(s, 2627, 14,
				   "Violation of %s constraint '%s'. Cannot insert duplicate key in object '%s.%s'. "
				   "The duplicate key value is (%s).",
				   ct == 'p' ? "PRIMARY KEY" : "UNIQUE KEY", cons, schema, table, key);
		else
			sess_error(s, 2601, 14,
				   "Cannot insert duplicate key row in object '%s.%s' with unique index '%s'. "
				   "The duplicate key value is (%s).",
				   schema, table, cons, key);
	} else if (!strcmp(state, "42P21") || !strcmp(state, "42P22")) {
		/* collation mismatch between implicit collations "X" and "Y" */
		const char *a = strchr(msg, '"'), *b = a ? strchr(a + 1, '"') : NULL;
		const char *c = b ? strchr(b + 1, '"') : NULL, *d = c ? strchr(c + 1, '"') : NULL;
		if (a && b && c && d)
			sess_error(s, 468, 16, "Cannot resolve the collation conflict between \"%.*s\" and \"%.*s\" in the "
				   "equal to operation.", (int)(b - a - 1), a + 1, (int)(d - c - 1), c + 1);
		else /* PostgreSQL does not name them when a row meets the conflict */
			sess_error(s, 468, 16, "Cannot resolve the collation conflict in the equal to operation.");
	} else if (!strcmp(state, "42P01")) {
		quoted_name(msg, name, sizeof name);
		sess_error(s, 208, 16, "Invalid object name '%s'.", name);
	} else if (!strcmp(state, "40P01")) {
		sess_error(s, 1205, 13,
			   "Transaction (Process ID %d) was deadlocked on lock resources with another process "
			   "and has been chosen as the deadlock victim. Rerun the transaction.",
			   (int)(getpid() & 0x7fff));
	} else if (!strcmp(state, "22001")) {
		sess_error(s, 2628, 16, "String or binary data would be truncated (%s).", msg);
	} else if (!strcmp(state, "23514") && !strncmp(cons, "tds_len_", 8)) {
		/* nvarchar(n) counts UTF-16 code units (tsql_translate.c) */
		sess_error(s, 2628, 16, "String or binary data would be truncated in table '%s.%s', column '%s'.", schema,
			   table, cons + 8);
	} else if (!strcmp(state, "23514") && !strncmp(cons, "tds_key_", 8)) {
		/* tds_key_cl_NAME / tds_key_nc_NAME: an index entry too long */
		int nc = !strncmp(cons + 8, "nc_", 3);
		sess_error(s, 1946, 16, "Operation failed. The index entry for the index '%s' exceeds the maximum length "
			   "of %d bytes for %s indexes.", strlen(cons) > 11 ? cons + 11 : "?", nc ? 1700 : 900,
			   nc ? "nonclustered" : "clustered");
	} else if (!strcmp(state, "21000") && strstr(msg, "MERGE")) {
		sess_error(s, 8672, 16, "The MERGE statement attempted to UPDATE or DELETE the same row more than once. "
			   "This happens when a target row matches more than one source row. A MERGE statement cannot "
			   "UPDATE/DELETE the same row of the target table multiple times. Refine the ON clause to ensure a "
			   "target row matches at most one source row, or use the GROUP BY clause to group the source rows.");
	} else if (!strcmp(state, "22P02") && strstr(msg, "type uuid")) {
		sess_error(s, 8169, 16, "Conversion failed when converting from a character string to uniqueidentifier.");
	} else if (!strcmp(state, "TDS02") && strchr(msg, '|')) {
		/* a string SQL Server would not convert to the column's type
		 * (tds_catalog.assign): "number|message" */
		sess_error(s, atoi(msg), 16, "%s", strchr(msg, '|') + 1);
	} else if (!strcmp(state, "TDS01")) {
		/* a TRUNCATE the table refuses as SQL Server would
		 * (tds_catalog.refuse_truncate): the number is the message */
		int n = atoi(msg);
		if (n == 4711)
			sess_error(s, 4711, 16, "Cannot truncate table '%s.%s' because it is published for replication or "
				   "enabled for Change Data Capture.", schema, table);
		else if (n == 13545)
			sess_error(s, 13545, 16, "Truncate failed on table '%s.%s' because it is not a supported operation on "
				   "system-versioned tables.", schema, table);
		else if (n == 1088)
			sess_error(s, 1088, 16, "Cannot find the object \"%s.%s\" because it does not exist or you do not "
				   "have permissions.", schema, table);
		else
			sess_error(s, 3729, 16, "Cannot TRUNCATE TABLE '%s.%s' because it is being referenced by object "
				   "'%s'.", schema, table, detail[0] ? detail : "?");
	} else if (!strcmp(state, "23503") || !strcmp(state, "23514")) {
		sess_error(s, 547, 16, "The statement conflicted with the %s constraint \"%s\". The conflict "
			   "occurred in table \"%s.%s\".",
			   state[4] == '3' ? "FOREIGN KEY" : "CHECK", cons, schema, table);
	} else if (!strcmp(state, "428C9") && strstr(msg, "can only be updated to DEFAULT")) {
		/* UPDATE SET of an IDENTITY column, whatever the value and
		 * however many rows (PostgreSQL refuses it when it rewrites the
		 * statement, SQL Server when it compiles it) */
		quoted_name(msg, name, sizeof name);
		sess_error(s, 8102, 16, "Cannot update identity column '%s'.", name);
	} else if (!strcmp(state, "428C9")) {
		sess_error(s, 544, 16, "Cannot insert explicit value for identity column in table '%s' when "
			   "IDENTITY_INSERT is set to OFF.", table[0] ? table : "?");
	} else if (!strcmp(state, "23502")) {
		sess_error(s, 515, 16, "Cannot insert the value NULL into column '%s', table '%s.%s'; column "
			   "does not allow nulls. INSERT fails.",
			   column, schema, table);
	} else if (!strcmp(state, "22P02")) {
		sess_error(s, 245, 16, "Conversion failed (%s).", msg);
	} else if (!strcmp(state, "22007")) {
		/* invalid_datetime_format: what SQL Server says of a string
		 * that is no date or time */
		sess_error(s, 241, 16, "Conversion failed when converting date and/or time from character "
			   "string (%s).", msg);
	} else if (!strcmp(state, "22008")) {
		/* datetime_field_overflow: a date or time beyond the type's range */
		sess_error(s, 242, 16, "The conversion of a nvarchar data type to a datetime data type resulted in "
			   "an out-of-range value (%s).", msg);
	} else if (!strcmp(state, "22003")) {
		sess_error(s, 8115, 16, "Arithmetic overflow error converting expression to data type (%s).", msg);
	} else if (!strcmp(state, "42P07") || !strcmp(state, "42P06")) {
		quoted_name(msg, name, sizeof name);
		sess_error(s, 2714, 16, "There is already an object named '%s' in the database.", name);
	} else if (!strcmp(state, "42703")) {
		quoted_name(msg, name, sizeof name);
		sess_error(s, 207, 16, "Invalid column name '%s'.", name);
	} else if (!strcmp(state, "0A000") && strstr(msg, "truncate")) {
		/* the detail says: Table "child" references "parent". */
		const char *end = strrchr(detail, '"'), *beg = end;
		while (beg && beg > detail && beg[-1] != '"')
			beg--;
		snprintf(name, sizeof name, "%.*s", beg && end > beg ? (int)(end - beg) : 1, beg && end > beg ? beg : "?");
		sess_error(s, 4712, 16, "Cannot truncate table '%s' because it is being referenced by a "
			   "FOREIGN KEY constraint.", name);
	} else if (!strcmp(state, "3F000")) {
		quoted_name(msg, name, sizeof name);
		sess_error(s, 2760, 16, "The specified schema name \"%s\" either does not exist or you do not "
			   "have permission to use it.", name);
	} else if (!strcmp(state, "42501")) {
		send_denied(s, msg);
	} else {
		sess_error(s, 50000, 16, "%s", msg);
	}
}

/* ---- column descriptions ---- */
static void tcol_set(struct tcol *tc, uint8_t type, uint32_t maxlen)
{
	tc->type = type;
	tc->maxlen = maxlen;
	tc->plp = 0;
}

/* A SQL Server type as the peer recorded it ("nvarchar(max)", "decimal(18,2)")
 * → the TDS type FreeTDS will see in COLMETADATA (and bcp will send). */
int mstype_to_tcol(const char *mstype, struct tcol *tc)
{
	char name[64];
	size_t k = 0;
	while (mstype[k] && mstype[k] != '(' && k < sizeof name - 1) {
		name[k] = (char)(mstype[k] >= 'A' && mstype[k] <= 'Z' ? mstype[k] + 32 : mstype[k]);
		k++;
	}
	name[k] = 0;
	long a1 = -1, a2 = -1;
	int max = 0;
	if (mstype[k] == '(') {
		if (!strncasecmp(mstype + k + 1, "max", 3))
			max = 1;
		else
			sscanf(mstype + k + 1, "%ld,%ld", &a1, &a2);
	}
	const char *n = name;
	tc->prec = tc->scale = 0;
	if (!strcmp(n, "bit"))
		tcol_set(tc, TT_BITN, 1);
	else if (!strcmp(n, "tinyint"))
		tcol_set(tc, TT_INTN, 1);
	else if (!strcmp(n, "smallint"))
		tcol_set(tc, TT_INTN, 2);
	else if (!strcmp(n, "int") || !strcmp(n, "integer"))
		tcol_set(tc, TT_INTN, 4);
	else if (!strcmp(n, "bigint"))
		tcol_set(tc, TT_INTN, 8);
	else if (!strcmp(n, "real"))
		tcol_set(tc, TT_FLTN, 4);
	else if (!strcmp(n, "float"))
		tcol_set(tc, TT_FLTN, a1 > 0 && a1 <= 24 ? 4 : 8);
	else if (!strcmp(n, "money") || !strcmp(n, "smallmoney"))
		/* as SQL Server describes them: FreeTDS's bcp then sends MONEYN */
		tcol_set(tc, TT_MONEYN, n[0] == 'm' ? 8 : 4);
	else if (!strcmp(n, "decimal") || !strcmp(n, "numeric") || !strcmp(n, "dec")) {
		long p = a1 > 0 ? a1 : 18, sc = a2 >= 0 ? a2 : 0;
		tcol_set(tc, TT_NUMERICN, p <= 9 ? 5 : p <= 19 ? 9 : p <= 28 ? 13 : 17);
		tc->prec = (uint8_t)p;
		tc->scale = (uint8_t)sc;
	} else if ((!strcmp(n, "char") || !strcmp(n, "nchar")) && !max && a1 <= 4000)
		tcol_set(tc, TT_NCHAR, (uint32_t)(a1 > 0 ? 2 * a1 : 2));
	else if ((!strcmp(n, "varchar") || !strcmp(n, "nvarchar")) && !max && a1 <= 4000)
		tcol_set(tc, TT_NVARCHAR, (uint32_t)(a1 > 0 ? 2 * a1 : 2));
	else if (!strcmp(n, "sysname"))
		tcol_set(tc, TT_NVARCHAR, 256);
	else if ((!strcmp(n, "binary") || !strcmp(n, "varbinary")) && !max && a1 > 0 && a1 <= 8000)
		tcol_set(tc, TT_BIGVARBIN, (uint32_t)a1);
	else if (!strcmp(n, "binary") || !strcmp(n, "varbinary") || !strcmp(n, "image")) {
		tcol_set(tc, TT_BIGVARBIN, 0xFFFF);
		tc->plp = 1;
	} else if (!strcmp(n, "uniqueidentifier"))
		tcol_set(tc, TT_GUID, 16);
	else if (!strcmp(n, "date"))
		tcol_set(tc, TT_DATE, 3);
	else if (!strcmp(n, "time") || !strcmp(n, "datetime2") || !strcmp(n, "datetimeoffset")) {
		tcol_set(tc, n[0] == 't' ? TT_TIME : !strcmp(n, "datetime2") ? TT_DATETIME2 : TT_DTOFFSET, 0);
		tc->scale = (uint8_t)(a1 >= 0 && a1 <= 7 ? a1 : 7);
	} else if (!strcmp(n, "datetime") || !strcmp(n, "smalldatetime")) {
		tcol_set(tc, TT_DATETIME2, 0);
		tc->scale = n[0] == 'd' ? 3 : 0;
	} else {
		/* nvarchar(max), ntext, xml and anything unknown */
		tcol_set(tc, TT_NVARCHAR, 0xFFFF);
		tc->plp = 1;
	}
	return 0;
}

/* A PostgreSQL column without a recorded SQL Server type. */
static void pg_to_mstype(const char *typname, int typmod, char *out, size_t cap)
{
	int m = typmod - 4;
	const char *t = typname;
	if (!strcmp(t, "int2"))
		snprintf(out, cap, "smallint");
	else if (!strcmp(t, "int4"))
		snprintf(out, cap, "int");
	else if (!strcmp(t, "int8"))
		snprintf(out, cap, "bigint");
	else if (!strcmp(t, "bool"))
		snprintf(out, cap, "bit");
	else if (!strcmp(t, "float4"))
		snprintf(out, cap, "real");
	else if (!strcmp(t, "float8"))
		snprintf(out, cap, "float");
	else if (!strcmp(t, "numeric"))
		snprintf(out, cap, typmod >= 4 ? "decimal(%d,%d)" : "decimal(38,10)", (m >> 16) & 0xffff, m & 0xffff);
	else if (!strcmp(t, "varchar") && typmod >= 4 && m <= 4000)
		snprintf(out, cap, "nvarchar(%d)", m);
	else if (!strcmp(t, "bpchar") && typmod >= 4 && m <= 4000)
		snprintf(out, cap, "nchar(%d)", m);
	else if (!strcmp(t, "date"))
		snprintf(out, cap, "date");
	else if (!strcmp(t, "time"))
		snprintf(out, cap, "time(%d)", typmod >= 0 ? typmod : 6);
	else if (!strcmp(t, "timestamp"))
		snprintf(out, cap, "datetime2(%d)", typmod >= 0 ? typmod : 6);
	else if (!strcmp(t, "timestamptz"))
		snprintf(out, cap, "datetimeoffset(%d)", typmod >= 0 ? typmod : 6);
	else if (!strcmp(t, "bytea") || (!strcmp(t, "varbinary") && typmod < 0))
		snprintf(out, cap, "varbinary(max)");
	else if (!strcmp(t, "varbinary")) /* tds_catalog's: (n), binary(n) n + 65536 */
		snprintf(out, cap, typmod >= 65536 ? "binary(%d)" : "varbinary(%d)", typmod & 65535);
	else if (!strcmp(t, "uuid"))
		snprintf(out, cap, "uniqueidentifier");
	else
		snprintf(out, cap, "nvarchar(max)");
}

/* Result columns of a query: INT/BIT/FLOAT where natural, NVARCHAR else. */
static void col_from_pg(const PGresult *r, int f, struct tcol *tc)
{
	Oid oid = PQftype(r, f);
	int mod = PQfmod(r, f);
	tc->nullable = 1;
	tc->prec = tc->scale = 0;
	tc->name = PQfname(r, f);
	if (oid == peer_varbinary_oid)
		oid = OID_BYTEA; /* bytea's bytes and text form */
	switch (oid) {
	case OID_BOOL: tcol_set(tc, TT_BITN, 1); break;
	case OID_INT2: tcol_set(tc, TT_INTN, 2); break;
	case OID_INT4: tcol_set(tc, TT_INTN, 4); break;
	case OID_INT8: tcol_set(tc, TT_INTN, 8); break;
	case OID_FLOAT4: tcol_set(tc, TT_FLTN, 4); break;
	case OID_FLOAT8: tcol_set(tc, TT_FLTN, 8); break;
	case OID_BYTEA:
		tcol_set(tc, TT_BIGVARBIN, 0xFFFF);
		tc->plp = 1;
		break;
	case OID_CHAR: case OID_NAME: case OID_OID: case OID_DATE: case OID_TIME:
	case OID_TIMESTAMP: case OID_TIMESTAMPTZ: case OID_TIMETZ: case OID_UUID:
		tcol_set(tc, TT_NVARCHAR, 2 * 64);
		break;
	case OID_INTERVAL:
		tcol_set(tc, TT_NVARCHAR, 2 * 128);
		break;
	case OID_VARCHAR:
	case OID_BPCHAR:
		if (mod >= 5 && mod - 4 <= 4000) {
			tcol_set(tc, TT_NVARCHAR, (uint32_t)(2 * (mod - 4)));
			break;
		}
		/* fall through */
	default:
		tcol_set(tc, TT_NVARCHAR, 0xFFFF);
		tc->plp = 1;
	}
}

void tds_put_colmeta(tds_conn *c, const struct tcol *cols, int n)
{
	tds_put_u8(c, TOK_COLMETA);
	tds_put_u16(c, (uint16_t)n);
	for (int i = 0; i < n; i++) {
		const struct tcol *tc = &cols[i];
		tds_put_u32(c, 0);
		tds_put_u16(c, (uint16_t)((tc->nullable ? 1 : 0) | 0x8));
		tds_put_u8(c, tc->type);
		switch (tc->type) {
		case TT_INTN: case TT_BITN: case TT_FLTN: case TT_GUID: case TT_MONEYN:
			tds_put_u8(c, (uint8_t)tc->maxlen);
			break;
		case TT_NUMERICN: case TT_DECIMALN:
			tds_put_u8(c, (uint8_t)tc->maxlen);
			tds_put_u8(c, tc->prec);
			tds_put_u8(c, tc->scale);
			break;
		case TT_NVARCHAR: case TT_NCHAR:
			tds_put_u16(c, (uint16_t)tc->maxlen);
			tds_put(c, tds_collation, 5);
			break;
		case TT_BIGVARBIN:
			tds_put_u16(c, (uint16_t)tc->maxlen);
			break;
		case TT_TIME: case TT_DATETIME2: case TT_DTOFFSET:
			tds_put_u8(c, tc->scale);
			break;
		default: /* TT_DATE */
			break;
		}
		tds_put_bvarchar(c, tc->name ? tc->name : "");
	}
}

/* ---- rows ---- */
static uint8_t *scratch;
static size_t scratch_cap;

static uint8_t *scratch_get(size_t n)
{
	if (n > scratch_cap) {
		free(scratch);
		scratch_cap = n < 4096 ? 4096 : n;
		scratch = malloc(scratch_cap);
		if (!scratch)
			_exit(70);
	}
	return scratch;
}

static void put_row(tds_conn *c, const PGresult *r, int row, const struct tcol *cols, int n)
{
	tds_put_u8(c, TOK_ROW);
	for (int f = 0; f < n; f++) {
		const struct tcol *tc = &cols[f];
		int null = PQgetisnull(r, row, f);
		const char *v = PQgetvalue(r, row, f);
		switch (tc->type) {
		case TT_BITN:
			if (null) {
				tds_put_u8(c, 0);
			} else {
				tds_put_u8(c, 1);
				tds_put_u8(c, v[0] == 't' ? 1 : 0);
			}
			break;
		case TT_INTN:
			if (null) {
				tds_put_u8(c, 0);
			} else {
				long long x = strtoll(v, NULL, 10);
				tds_put_u8(c, (uint8_t)tc->maxlen);
				if (tc->maxlen == 2)
					tds_put_u16(c, (uint16_t)x);
				else if (tc->maxlen == 4)
					tds_put_u32(c, (uint32_t)x);
				else
					tds_put_u64(c, (uint64_t)x);
			}
			break;
		case TT_FLTN:
			if (null) {
				tds_put_u8(c, 0);
			} else if (tc->maxlen == 4) {
				float fl = strtof(v, NULL);
				tds_put_u8(c, 4);
				tds_put(c, &fl, 4);
			} else {
				double d = strtod(v, NULL);
				tds_put_u8(c, 8);
				tds_put(c, &d, 8);
			}
			break;
		case TT_BIGVARBIN: {
			if (null) {
				tds_put_u64(c, ~(uint64_t)0);
				break;
			}
			size_t bl = 0;
			unsigned char *bin = PQunescapeBytea((const unsigned char *)v, &bl);
			tds_put_u64(c, bl);
			if (bl) {
				tds_put_u32(c, (uint32_t)bl);
				tds_put(c, bin, bl);
			}
			tds_put_u32(c, 0);
			PQfreemem(bin);
			break;
		}
		default: { /* NVARCHAR */
			if (null) {
				if (tc->plp)
					tds_put_u64(c, ~(uint64_t)0);
				else
					tds_put_u16(c, 0xFFFF);
				break;
			}
			size_t len = (size_t)PQgetlength(r, row, f);
			uint8_t *u = scratch_get(2 * len + 2);
			size_t ub = utf8_to_utf16le(v, len, u);
			if (tc->plp) {
				tds_put_u64(c, ub);
				if (ub) {
					tds_put_u32(c, (uint32_t)ub);
					tds_put(c, u, ub);
				}
				tds_put_u32(c, 0);
			} else {
				if (ub > tc->maxlen)
					ub = tc->maxlen;
				tds_put_u16(c, (uint16_t)ub);
				tds_put(c, u, ub);
			}
		}
		}
	}
}

/* Every this many TRUNCATE TABLE #temp of a session, one really truncates:
 * the DELETE that stands in for it leaves the pages behind, and nothing
 * vacuums temp tables, so a staging table emptied after every batch would
 * grow for as long as the session lasts, and every scan of it with it. */
#define TEMP_TRUNCATE_EVERY 32

/* The PostgreSQL text of st: *tmp holds it when it is not st->sql. */
static const char *stmt_sql(session *s, const struct stmt *st, sbuf *tmp)
{
	static const char del[] = "DELETE FROM ";
	if (!st->temp_truncate || ++s->temp_truncates % TEMP_TRUNCATE_EVERY != 0 ||
	    strncmp(st->sql, del, sizeof del - 1) != 0)
		return st->sql;
	sb_reset(tmp);
	sb_printf(tmp, "TRUNCATE TABLE %s", st->sql + sizeof del - 1);
	return tmp->p;
}

/* Runs one statement and streams what it returns. 0, or -1 after an error
 * was answered (the batch stops there). */
static int exec_stream(session *s, const struct stmt *st)
{
	sbuf tmp;
	sb_init(&tmp);
	int sent = PQsendQuery(s->pg, stmt_sql(s, st, &tmp));
	sb_free(&tmp);
	if (!sent) {
		send_pg_error(s, NULL, PQerrorMessage(s->pg));
		return -1;
	}
	PQsetSingleRowMode(s->pg);
	PGresult *r, *err = NULL;
	struct tcol *cols = NULL;
	int ncols = 0, inset = 0, any = 0;
	uint64_t rows = 0, cmdrows = 0;
	int counted = 0;
	while ((r = pg_result(s)) != NULL) {
		ExecStatusType es = PQresultStatus(r);
		if (err) {
			PQclear(r);
			continue;
		}
		if (es == PGRES_SINGLE_TUPLE || es == PGRES_TUPLES_OK) {
			if (!inset) {
				free(cols);
				ncols = PQnfields(r);
				cols = calloc((size_t)(ncols ? ncols : 1), sizeof *cols);
				for (int f = 0; f < ncols; f++)
					col_from_pg(r, f, &cols[f]);
				flush_done(s, 1);
				tds_put_colmeta(s->c, cols, ncols);
				inset = 1;
				rows = 0;
			}
			for (int k = 0; k < PQntuples(r); k++) {
				put_row(s->c, r, k, cols, ncols);
				rows++;
			}
			if (es == PGRES_TUPLES_OK) {
				queue_done(s, s->nocount ? 0 : DONE_COUNT, st->cmd, rows);
				s->rowcount = (long long)rows;
				inset = 0;
				any = 1;
			}
		} else if (es == PGRES_COMMAND_OK) {
			const char *ct = PQcmdTuples(r);
			if (ct[0]) {
				cmdrows = strtoull(ct, NULL, 10);
				counted = 1;
			}
		} else if (es != PGRES_EMPTY_QUERY) {
			err = r;
			continue;
		}
		PQclear(r);
	}
	free(cols);
	if (err) {
		s->running = st->tsql ? st->tsql : st->sql;
		send_pg_error(s, err, NULL);
		s->running = NULL;
		PQclear(err);
		return -1;
	}
	if (!any) {
		queue_done(s, (!s->nocount && counted) ? DONE_COUNT : 0, st->cmd, cmdrows);
		s->rowcount = counted ? (long long)cmdrows : 0;
	}
	return 0;
}

static int fmtonly_select(session *s, const struct stmt *st)
{
	PGresult *r;
	struct tcol *cols;
	int n;
	bulk_meta_drop(s);
	if (st->name && s->role[0]) {
		/* the metadata of a table the login may not read: SQL Server
		 * checks SELECT under FMTONLY too */
		const char *params[1] = {st->name};
		r = PQexecParams(s->pg, "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n "
				 "ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1) "
				 "AND NOT has_table_privilege(c.oid, 'SELECT')", 1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
			pg_rollback_if_needed(s);
			sess_error(s, 229, 14, "The SELECT permission was denied on the object '%s', database '%s', "
				   "schema '%s'.", PQgetvalue(r, 0, 1), s->dbname, PQgetvalue(r, 0, 0));
			PQclear(r);
			return -1;
		}
		PQclear(r);
	}
	if (st->name) {
		const char *params[1] = {st->name};
		r = PQexecParams(s->pg,
				 "SELECT a.attname, t.typname, a.atttypmod, a.attnotnull, d.description, a.atttypid "
				 "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
				 "LEFT JOIN pg_description d ON d.objoid = a.attrelid "
				 "AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum "
				 "WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped "
				 "ORDER BY a.attnum",
				 1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			send_pg_error(s, r, NULL);
			PQclear(r);
			return -1;
		}
		n = PQntuples(r);
		cols = calloc((size_t)(n ? n : 1), sizeof *cols);
		for (int i = 0; i < n; i++) {
			char ms[128];
			if (!PQgetisnull(r, i, 4))
				snprintf(ms, sizeof ms, "%s", PQgetvalue(r, i, 4));
			else
				pg_to_mstype(PQgetvalue(r, i, 1), atoi(PQgetvalue(r, i, 2)), ms, sizeof ms);
			mstype_to_tcol(ms, &cols[i]);
			cols[i].nullable = PQgetvalue(r, i, 3)[0] != 't';
			cols[i].name = PQgetvalue(r, i, 0);
		}
	} else {
		sbuf q;
		sb_init(&q);
		sb_printf(&q, "SELECT * FROM (%s) AS fmtonly LIMIT 0", st->sql);
		r = pg_exec(s, q.p);
		sb_free(&q);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			send_pg_error(s, r, NULL);
			PQclear(r);
			return -1;
		}
		n = PQnfields(r);
		cols = calloc((size_t)(n ? n : 1), sizeof *cols);
		for (int i = 0; i < n; i++)
			col_from_pg(r, i, &cols[i]);
	}
	flush_done(s, 1);
	tds_put_colmeta(s->c, cols, n);
	queue_done(s, s->nocount ? 0 : DONE_COUNT, st->cmd, 0);
	free(cols);
	if (st->name)
		bulk_meta_keep(s, st->name, r, 0, 5, 2);
	PQclear(r);
	return 0;
}

static int pg_cmd(session *s, const char *sql)
{
	PGresult *r = pg_exec(s, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		send_pg_error(s, r, NULL);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

static int run_stmt(session *s, const struct stmt *st)
{
	switch (st->kind) {
	case ST_SET:
		if (st->set_opt == SO_NOCOUNT)
			s->nocount = st->set_on;
		else if (st->set_opt == SO_FMTONLY)
			s->fmtonly = st->set_on;
		else if (st->set_opt == SO_XACT_ABORT)
			s->xact_abort = st->set_on;
		else if (st->set_opt == SO_DATEFORMAT && st->name) {
			/* not undone by a ROLLBACK at SQL Server; here a
			 * transaction rolled back undoes it (the subset sets it
			 * outside transactions) */
			char set[64];
			snprintf(set, sizeof set, "SET tds.dateformat TO '%s'", st->name);
			PQclear(PQexec(s->pg, set));
		}
		else if (st->set_opt == SO_IDENTITY_INSERT) {
			/* SQL Server: "User must own the table or have ALTER
			 * permission on the table"; 1088 without it, and for a
			 * table that is not there */
			if (!may_alter(s, st->name)) {
				pg_rollback_if_needed(s);
				no_alter(s, st->name);
				return -1;
			}
			if (st->set_on && s->identity_insert[0] && strcmp(s->identity_insert, st->name)) {
				pg_rollback_if_needed(s);
				sess_error(s, 8107, 16, "IDENTITY_INSERT is already ON for table '%s'. Cannot perform "
					   "SET operation for table '%s'.", s->identity_insert, st->name);
				return -1;
			}
			if (st->set_on)
				snprintf(s->identity_insert, sizeof s->identity_insert, "%s", st->name);
			else if (!strcmp(s->identity_insert, st->name))
				s->identity_insert[0] = 0;
		}
		queue_done(s, 0, 0, 0);
		return 0;
	case ST_USE: {
		char old[512];
		snprintf(old, sizeof old, "%s", s->dbname);
		snprintf(s->dbname, sizeof s->dbname, "%s", st->name);
		flush_done(s, 1);
		tds_put_envchange_str(s->c, 1, s->dbname, old);
		queue_done(s, 0, 0, 0);
		return 0;
	}
	case ST_BEGIN:
		if (s->trancount == 0 && pg_cmd(s, "BEGIN"))
			return -1;
		s->trancount++;
		queue_done(s, 0, 0, 0);
		return 0;
	case ST_COMMIT:
		if (s->trancount == 0) {
			sess_error(s, 3902, 16, "The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.");
			return -1;
		}
		if (s->trancount == 1) {
			if (PQtransactionStatus(s->pg) == PQTRANS_INERROR) {
				pg_rollback_if_needed(s);
				sess_error(s, 3930, 16, "The current transaction cannot be committed.");
				return -1;
			}
			if (pg_cmd(s, "COMMIT"))
				return -1;
		}
		s->trancount--;
		queue_done(s, 0, 0, 0);
		return 0;
	case ST_ROLLBACK:
		if (s->trancount == 0) {
			sess_error(s, 3903, 16, "The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.");
			return -1;
		}
		pg_rollback_if_needed(s);
		queue_done(s, 0, 0, 0);
		return 0;
	case ST_IF_THROW: {
		long long n = s->rowcount, v = st->if_value;
		int hit = st->if_op == IF_EQ ? n == v : st->if_op == IF_NE ? n != v : st->if_op == IF_LT ? n < v :
			  st->if_op == IF_LE ? n <= v : st->if_op == IF_GT ? n > v : n >= v;
		if (!hit)
			return 0;
		/* THROW honours XACT_ABORT: the transaction is rolled back */
		pg_rollback_if_needed(s);
		sess_error(s, st->throw_number, 16, "%s", st->name);
		return -1;
	}
	case ST_EXECUTESQL: {
		/* its statements answer as the batch's own */
		int drop = 0, before = s->trancount;
		if (run_tsql(s, st->name, st->params, st->nparams, &drop))
			return -1;
		s->pending_drop |= drop;
		if (s->done_pending && (s->done_status & DONE_ERROR))
			return -1;
		return executesql_trancount(s, before);
	}
	case ST_BULK:
		free(s->bulk_target);
		s->bulk_target = strdup(st->name);
		s->bulk_keepidentity = st->keepidentity;
		s->bulk_check_constraints = st->check_constraints;
		s->bulk_fire_triggers = st->fire_triggers;
		queue_done(s, 0, 0, 0);
		return 0;
	case ST_SELECT:
		if (s->fmtonly)
			return fmtonly_select(s, st);
		return exec_stream(s, st);
	case ST_SQL:
		if (s->fmtonly) {
			queue_done(s, 0, st->cmd, 0);
			return 0;
		}
		return exec_stream(s, st);
	}
	return 0;
}

/* Runs n single statements (struct stmt) of an open transaction, and the
 * COMMIT that follows them when commit is set, as one multi-statement
 * query: SQL Server runs a batch without a round trip per statement, and
 * PostgreSQL answers each statement in order, as it would have alone. An
 * error skips the rest, as the batch stops there (XACT_ABORT:
 * send_pg_error rolls back). Outside a transaction this would not do: the
 * statements would commit or fail together, where SQL Server commits
 * each. 0, or -1 after an error was answered. */
static int exec_group(session *s, const struct stmt *v, size_t n, int commit)
{
	sbuf q, tmp;
	sb_init(&q);
	sb_init(&tmp);
	for (size_t i = 0; i < n; i++) {
		sb_puts(&q, stmt_sql(s, &v[i], &tmp));
		sb_puts(&q, ";\n");
	}
	sb_free(&tmp);
	if (commit)
		sb_puts(&q, "COMMIT");
	int sent = PQsendQuery(s->pg, q.p);
	sb_free(&q);
	if (!sent) {
		send_pg_error(s, NULL, PQerrorMessage(s->pg));
		return -1;
	}
	PGresult *r, *err = NULL;
	size_t k = 0;
	while ((r = pg_result(s)) != NULL) {
		ExecStatusType es = PQresultStatus(r);
		if (err || es == PGRES_EMPTY_QUERY) {
			PQclear(r);
			continue;
		}
		if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK) {
			err = r;
			continue;
		}
		if (k < n) {
			const char *ct = PQcmdTuples(r);
			uint64_t rows = ct[0] ? strtoull(ct, NULL, 10) : 0;
			queue_done(s, (!s->nocount && ct[0]) ? DONE_COUNT : 0, v[k].cmd, rows);
			s->rowcount = (long long)rows;
		} else {
			s->trancount--;
			queue_done(s, 0, 0, 0);
		}
		k++;
		PQclear(r);
	}
	if (err) {
		s->running = k < n ? (v[k].tsql ? v[k].tsql : v[k].sql) : "COMMIT";
		send_pg_error(s, err, NULL);
		s->running = NULL;
		PQclear(err);
		return -1;
	}
	return 0;
}

/* ---- collations: SQL Server's compile-time conflicts ----
 *
 * tsql_collation_check labels a statement's string expressions from the
 * collations of the columns it names. They come from pg_attribute, once
 * per table: each TDS connection is its own process, so the cache is the
 * session's. DDL run by the session (CREATE, ALTER, DROP), a ROLLBACK or
 * an error forget it all (a table created in a rolled-back transaction is
 * gone); another connection changing a column's collation or IDENTITY
 * meanwhile is not seen (no test does). A table not found is not kept: it
 * may be created by the next statement. The IDENTITY check (545) reads the
 * same cache. */
static struct coll_table {
	char *name;
	PGresult *r;
} *coll_tabs;
static size_t coll_ntabs;

static void coll_forget(void)
{
	for (size_t i = 0; i < coll_ntabs; i++) {
		free(coll_tabs[i].name);
		PQclear(coll_tabs[i].r);
	}
	free(coll_tabs);
	coll_tabs = NULL;
	coll_ntabs = 0;
}

/* Splits PostgreSQL name pg ("s"."t", s.t) at its dot outside quotes: 1
 * with the schema and the table unquoted (an unquoted part folded to lower
 * case), 0 for a name of one part (or of three). */
static int pg_name_split(const char *pg, char *sch, char *rel, size_t cap)
{
	char *out[2] = {sch, rel};
	int part = 0;
	size_t n = 0;
	const char *p = pg;
	sch[0] = rel[0] = 0;
	while (*p) {
		if (*p == '"') {
			for (p++; *p; p++) {
				if (*p == '"') {
					if (p[1] != '"') {
						p++;
						break;
					}
					p++;
				}
				if (n + 1 < cap)
					out[part][n++] = *p;
			}
			continue;
		}
		if (*p == '.') {
			out[part][n] = 0;
			if (++part > 1)
				return 0;
			n = 0;
			p++;
			continue;
		}
		if (n + 1 < cap)
			out[part][n++] = (char)tolower((unsigned char)*p);
		p++;
	}
	out[part][n] = 0;
	return part == 1;
}

/* The columns of table (as the statement names it), cached: name,
 * collation (NULL: the database's), whether it has one, whether it is an
 * IDENTITY column, the table's own name. NULL when there is no such table
 * or the transaction is aborted (the statement will fail anyway). */
static PGresult *coll_table_columns(session *s, const char *table)
{
	for (size_t i = 0; i < coll_ntabs; i++)
		if (!strcmp(coll_tabs[i].name, table))
			return coll_tabs[i].r;
	if (PQtransactionStatus(s->pg) == PQTRANS_INERROR)
		return NULL;
	/* A two-part name by the catalog's names, not to_regclass: that
	 * raises "permission denied for schema" for a schema the login may
	 * not use, which would abort the transaction, where the statement
	 * is to get SQL Server's 229 for it (send_denied). */
	char sch[256], rel[256];
	int two = pg_name_split(table, sch, rel, sizeof sch);
	const char *params[3] = {table, two ? sch : "", rel};
	PGresult *r = PQexecParams(s->pg,
			 "SELECT a.attname, CASE WHEN a.attcollation NOT IN (0, 100) THEN c.collname END, "
			 "a.attcollation <> 0, a.attidentity <> '', k.relname FROM pg_attribute a "
			 "JOIN pg_class k ON k.oid = a.attrelid LEFT JOIN pg_collation c ON c.oid = a.attcollation "
			 "WHERE a.attrelid = CASE WHEN $2 <> '' THEN (SELECT x.oid FROM pg_class x JOIN pg_namespace n "
			 "ON n.oid = x.relnamespace WHERE n.nspname = $2 AND x.relname = $3) ELSE to_regclass($1) END "
			 "AND a.attnum > 0 AND NOT a.attisdropped",
			 3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) == 0) {
		PQclear(r);
		return NULL;
	}
	struct coll_table *n = realloc(coll_tabs, (coll_ntabs + 1) * sizeof *n);
	if (!n) {
		PQclear(r);
		return NULL;
	}
	coll_tabs = n;
	coll_tabs[coll_ntabs].name = strdup(table);
	coll_tabs[coll_ntabs++].r = r;
	return r;
}

static int coll_column(void *arg, const char *table, const char *col, char *coll, size_t cap)
{
	session *s = arg;
	PGresult *r = coll_table_columns(s, table);
	if (!r)
		return -1;
	int row = -1;
	for (int i = 0; i < PQntuples(r) && row < 0; i++)
		if (!strcmp(PQgetvalue(r, i, 0), col))
			row = i;
	/* names ignore case, as the server's collation does */
	for (int i = 0; i < PQntuples(r) && row < 0; i++)
		if (!strcasecmp(PQgetvalue(r, i, 0), col))
			row = i;
	if (row < 0)
		return -1;
	if (PQgetvalue(r, row, 2)[0] != 't')
		return 0;
	if (PQgetisnull(r, row, 1)) /* the database default: not one the peer made */
		return -1;
	snprintf(coll, cap, "%s", PQgetvalue(r, row, 1));
	return 1;
}

/* A statement that may change columns: the collations known are forgotten
 * after it (CREATE TABLE and ALTER TABLE have no T-SQL kept). */
static int coll_ddl(const struct stmt *st)
{
	return st->kind == ST_SQL && ((!st->tsql && !st->temp_truncate) || (st->tsql && !strncasecmp(st->tsql, "DROP", 4)));
}

/* An INSERT into the table IDENTITY_INSERT is ON for must give its
 * IDENTITY column a value: SQL Server refuses one whose column list leaves
 * it out (545, before any row; its message names the table alone, without
 * the schema), where PostgreSQL's OVERRIDING SYSTEM VALUE would fill it
 * from the sequence. 1 with the error in *e, else 0. */
static int identity_missing(session *s, const struct stmt *st, struct xlate_err *e)
{
	PGresult *r = st->ident_table ? coll_table_columns(s, st->ident_table) : NULL;
	if (!r)
		return 0;
	for (int i = 0; i < PQntuples(r); i++) {
		if (PQgetvalue(r, i, 3)[0] != 't')
			continue;
		const char *c = st->ident_cols;
		for (size_t k = 0; k < st->nident_cols; k++, c += strlen(c) + 1)
			if (!strcasecmp(c, PQgetvalue(r, i, 0))) /* as the server's collation */
				return 0;
		e->number = 545;
		snprintf(e->msg, sizeof e->msg,
			 "Explicit value must be specified for identity column in table '%s' either when "
			 "IDENTITY_INSERT is set to ON or when a replication user is inserting into a NOT FOR "
			 "REPLICATION identity column.", PQgetvalue(r, i, 4));
		return 1;
	}
	return 0;
}

/* An INSERT without a column list into a table with an IDENTITY column:
 * SQL Server takes its values for the other columns, in order, but
 * refuses it before it runs with 8101 when IDENTITY_INSERT is ON for the
 * table or its VALUES give every column one, the IDENTITY column's too
 * (an explicit value needs a column list); the table named as
 * schema.table. PostgreSQL would take the values for its columns in
 * order, the IDENTITY one first. 1 with the error in *e, else 0. */
static int identity_without_list(session *s, const struct stmt *st, struct xlate_err *e)
{
	PGresult *r = st->nolist_table ? coll_table_columns(s, st->nolist_table) : NULL;
	if (!r)
		return 0;
	int has = 0;
	for (int i = 0; i < PQntuples(r); i++)
		has |= PQgetvalue(r, i, 3)[0] == 't';
	if (!has || !(st->nolist_on || st->nolist_values == PQntuples(r)))
		return 0;
	const char *params[1] = {st->nolist_table};
	PGresult *n = PQexecParams(s->pg, "SELECT CASE WHEN n.nspname LIKE 'pg\\_temp\\_%' THEN c.relname::text "
				   "ELSE n.nspname || '.' || c.relname END FROM pg_class c JOIN pg_namespace n "
				   "ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)",
				   1, NULL, params, NULL, NULL, 0);
	e->number = 8101;
	snprintf(e->msg, sizeof e->msg,
		 "An explicit value for the identity column in table '%s' can only be specified when a column "
		 "list is used and IDENTITY_INSERT is ON.",
		 PQresultStatus(n) == PGRES_TUPLES_OK && PQntuples(n) == 1 ? PQgetvalue(n, 0, 0)
									 : PQgetvalue(r, 0, 4));
	PQclear(n);
	return 1;
}

/* TRUNCATE TABLE needs the ALTER permission on the table, which
 * PostgreSQL's TRUNCATE privilege is not: a login whose role may not alter
 * the table gets SQL Server's 1088 before the statement runs. A table not
 * there is left to PostgreSQL (208). 1 with the error in *e, else 0. */
static int truncate_refused(session *s, const struct stmt *st, struct xlate_err *e)
{
	static const char tt[] = "TRUNCATE TABLE ";
	if (!s->role[0] || st->temp_truncate || !st->sql || strncasecmp(st->sql, tt, sizeof tt - 1))
		return 0;
	char pgname[512];
	snprintf(pgname, sizeof pgname, "%s", st->sql + sizeof tt - 1);
	size_t n = strlen(pgname), rl = strlen(" " TRUNCATE_RESTART);
	if (n > rl && !strcmp(pgname + n - rl, " " TRUNCATE_RESTART))
		pgname[n - rl] = 0;
	const char *params[1] = {pgname};
	PGresult *r = PQexecParams(s->pg, "SELECT to_regclass($1) IS NOT NULL", 1, NULL, params, NULL, NULL, 0);
	int there = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	if (!there || may_alter(s, pgname))
		return 0;
	char shown[400];
	stmt_object(pgname, 0, shown, sizeof shown);
	e->number = 1088;
	snprintf(e->msg, sizeof e->msg, "Cannot find the object \"%s\" because it does not exist or you do not have "
		 "permissions.", shown);
	return 1;
}

/* Whether SQL Server would refuse st when it compiles it (468 / 446 /
 * 451 collation conflicts, 545, 8101): 1 with the error in *e, else 0. */
static int coll_conflict(session *s, const struct stmt *st, struct xlate_err *e)
{
	if (!st->tsql || s->fmtonly)
		return 0;
	if (identity_missing(s, st, e) || identity_without_list(s, st, e))
		return 1;
	if (truncate_refused(s, st, e))
		return 1;
	struct xlate_ctx ctx = {.db_collation = s->o->db_collation};
	struct coll_lookup lk = {coll_column, s};
	return tsql_collation_check(st->tsql, &ctx, &lk, e) != 0;
}

/* coll_conflict answered: 0, or -1 after the error was answered (inside a
 * transaction, rolled back, as the peer does for every error:
 * XACT_ABORT). */
static int coll_check(session *s, const struct stmt *st)
{
	struct xlate_err e;
	if (!coll_conflict(s, st, &e))
		return 0;
	pg_rollback_if_needed(s);
	coll_forget();
	sess_error(s, e.number, 16, "%s", e.msg);
	return -1;
}

static void log_batch(session *s, const char *sql, const struct batch *b)
{
	if (!s->o->log)
		return;
	peer_log(s->o, "batch: %s", sql);
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].sql)
			peer_log(s->o, "  pg: %s", b->v[i].sql);
}

/* Translates and runs one T-SQL text: a SQL batch, or the statement of an
 * RPC (sp_executesql) with its parameters. Each statement's DONE is
 * queued (DONEINPROC inside an RPC); the last one stays pending for the
 * caller. Returns 1 when the answer was already sent (an ATTENTION), 0
 * otherwise; *drop when the connection is to be dropped after the answer
 * (the drop-after fault). */
int run_tsql(session *s, const char *sql, const struct rpc_param *params, size_t nparams, int *drop)
{
	tds_conn *c = s->c;
	/* variable names ignore case, as the server's collation does */
	for (size_t i = 0; i < nparams; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcasecmp(params[i].name, params[j].name)) {
				*drop = 0;
				reply_delay(s);
				sess_error(s, 134, 15, "The variable name '%s' has already been declared. Variable names "
					   "must be unique within a query batch or stored procedure.", params[i].name);
				return 0;
			}
	struct xlate_ctx ctx = {s->trancount, s->rowcount, (int)(getpid() & 0x7fff), s->identity_insert,
				s->o->db_collation, params, nparams};
	struct batch b;
	struct xlate_err e;
	int rc = tsql_translate(sql, &ctx, &b, &e);
	log_batch(s, sql, &b);

	int deadlock = 0;
	*drop = 0;
	if (rc == 0 && b.has_commit) {
		long k = __atomic_add_fetch(s->o->commit_batches, 1, __ATOMIC_SEQ_CST);
		deadlock = s->o->deadlock_at > 0 && k == s->o->deadlock_at;
		*drop = s->o->drop_after > 0 && k == s->o->drop_after;
		if (deadlock || *drop)
			peer_log(s->o, "fault: %s at commit batch %ld", deadlock ? "deadlock" : "drop", k);
	}
	if (reply_delay(s)) {
		/* cancelled while "running": SQL Server stops the batch and
		 * answers the ATTENTION with DONE_ATTN */
		if (tds_next_message(c) == PKT_ATTN) {
			tds_skip_message(c);
			peer_log(s->o, "attention: batch cancelled before it ran");
			tds_put_done(c, TOK_DONE, DONE_ATTN, 0, 0);
			tds_reply_end(c);
		} else {
			c->dead = 1;
		}
		batch_free(&b);
		*drop = 0;
		return 1;
	}
	if (rc) {
		sess_error(s, e.number, translate_severity(e.number), "%s", e.msg);
	} else if (deadlock) {
		pg_rollback_if_needed(s);
		sess_error(s, 1205, 13,
			   "Transaction (Process ID %d) was deadlocked on lock resources with another process "
			   "and has been chosen as the deadlock victim. Rerun the transaction.",
			   ctx.spid);
	} else {
		if (*drop)
			c->discard = 1;
		for (size_t i = 0; i < b.n && !s->attention && !c->dead;) {
			/* In a transaction, a run of statements (and the COMMIT
			 * after them) goes to PostgreSQL in one round trip. */
			size_t j = i;
			if (s->trancount > 0 && !s->fmtonly && PQtransactionStatus(s->pg) == PQTRANS_INTRANS)
				while (j < b.n && b.v[j].kind == ST_SQL && b.v[j].single && !coll_ddl(&b.v[j]))
					j++;
			/* a statement SQL Server would not compile ends the run
			 * before it; alone, it is refused below. [i, ok) passed. */
			size_t ok = i;
			struct xlate_err ce;
			while (ok < j && !coll_conflict(s, &b.v[ok], &ce))
				ok++;
			j = ok;
			int commit = j > i && j < b.n && b.v[j].kind == ST_COMMIT && s->trancount == 1;
			/* the column types kept for a bulk load hold until a
			 * statement that may change them */
			enum stmt_kind k = b.v[i].kind;
			if (j > i || !(k == ST_SET || k == ST_BULK || (k == ST_SELECT && s->fmtonly)))
				bulk_meta_drop(s);
			if (j - i >= 2 || commit) {
				if (exec_group(s, &b.v[i], j - i, commit)) {
					coll_forget();
					break;
				}
				i = j + (size_t)commit;
				continue;
			}
			if (ok == i && coll_check(s, &b.v[i]))
				break;
			if (run_stmt(s, &b.v[i])) {
				coll_forget();
				break;
			}
			if (coll_ddl(&b.v[i]) || b.v[i].kind == ST_ROLLBACK)
				coll_forget();
			i++;
		}
	}
	batch_free(&b);
	if (s->attention) {
		/* answered here, or by the EXEC sp_executesql inside */
		coll_forget();
		attention_answer(s);
		*drop = 0;
		return 1;
	}
	return 0;
}

/* After the answer: the drop-after fault's commit happened; the client
 * never hears of it. */
void drop_connection(session *s)
{
	PQfinish(s->pg);
	s->pg = NULL;
	shutdown(s->c->fd, SHUT_RDWR);
	s->c->dead = 1;
}

uint8_t *read_request(session *s, size_t *len, size_t *off, const char *what)
{
	uint8_t *m = tds_read_message(s->c, len, (size_t)256 << 20);
	if (!m) {
		if (s->c->dead)
			return NULL;
		reply_delay(s);
		sess_error(s, 50000, 16, "%s too large for the TDS test peer.", what);
		flush_done(s, 0);
		tds_reply_end(s->c);
		return NULL;
	}
	*off = 0;
	if (*len >= 4) {
		uint32_t hl = le32(m);
		if (hl >= 4 && hl <= *len)
			*off = hl; /* ALL_HEADERS */
	}
	return m;
}

void handle_batch(session *s)
{
	tds_conn *c = s->c;
	size_t len, off;
	uint8_t *m = read_request(s, &len, &off, "SQL batch");
	if (!m)
		return;
	char *sql = malloc((len - off) * 3 / 2 + 8);
	if (!sql)
		_exit(70);
	sql[utf16le_to_utf8(m + off, len - off, sql)] = 0;
	free(m);

	int drop;
	s->pending_drop = 0;
	if (run_tsql(s, sql, NULL, 0, &drop) == 0) {
		if (!s->done_pending)
			queue_done(s, 0, 0, 0);
		flush_done(s, 0);
		tds_reply_end(c);
		if (drop || s->pending_drop)
			drop_connection(s);
	}
	free(sql);
}
