/* replconn.c — see replconn.h. */
#include "replconn.h"
#include "monoclock.h"
#include "pgcancel.h"
#include "pgoutput.h"
#include "pgvalue.h"
#include "pos.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

PGconn *replconn_connect(const char *conninfo, bool replication, const char *appname)
{
	/* Keep options the user asked for; ours come last so that they win. */
	const char *user_opts = NULL;
	PQconninfoOption *parsed = NULL;
	if (conninfo && conninfo[0]) {
		char *perr = NULL;
		parsed = PQconninfoParse(conninfo, &perr);
		PQfreemem(perr);
		for (PQconninfoOption *o = parsed; o && o->keyword; o++)
			if (strcmp(o->keyword, "options") == 0 && o->val && o->val[0])
				user_opts = o->val;
	}
	if (!user_opts)
		user_opts = getenv("PGOPTIONS");
	char *opts = NULL;
	if (user_opts && user_opts[0]) {
		size_t n = strlen(user_opts) + sizeof(PGVALUE_SESSION_OPTIONS) + 2;
		opts = malloc(n);
		if (opts)
			snprintf(opts, n, "%s %s", user_opts, PGVALUE_SESSION_OPTIONS);
	}
	const char *keys[6], *vals[6];
	int k = 0;
	/* expand_dbname: a conninfo string in dbname is expanded, and the
	 * parameters after it override what it says. */
	keys[k] = "dbname";
	vals[k++] = conninfo;
	keys[k] = "options";
	vals[k++] = opts ? opts : PGVALUE_SESSION_OPTIONS;
	keys[k] = "fallback_application_name";
	vals[k++] = appname;
	if (replication) {
		keys[k] = "replication";
		vals[k++] = "database";
	}
	keys[k] = NULL;
	vals[k] = NULL;
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	free(opts);
	PQconninfoFree(parsed);
	if (c && PQstatus(c) == CONNECTION_OK)
		pgcancel_register(c);
	return c;
}

bool replconn_slot_name_valid(const char *slot)
{
	size_t n = 0;
	for (; slot[n]; n++)
		if (!((slot[n] >= 'a' && slot[n] <= 'z') || (slot[n] >= '0' && slot[n] <= '9') || slot[n] == '_'))
			return false;
	return n > 0 && n < 64;
}

const char *replconn_sqlstate(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return s ? s : "";
}

const char *replconn_error(PGconn *c, char *buf, size_t len)
{
	const char *m = c ? PQerrorMessage(c) : "no connection";
	size_t n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	snprintf(buf, len, "%.*s", (int)n, m);
	return buf;
}

static void result_error(PGconn *c, PGresult *res, char *err, size_t errlen, char sqlstate[6])
{
	if (sqlstate)
		snprintf(sqlstate, 6, "%s", replconn_sqlstate(res));
	const char *m = res ? PQresultErrorMessage(res) : "";
	if (!m || !m[0]) {
		replconn_error(c, err, errlen);
		return;
	}
	size_t n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	snprintf(err, errlen, "%.*s", (int)n, m);
}

int replconn_command(PGconn *c, const char *cmd, char *err, size_t errlen, char sqlstate[6])
{
	PGresult *res = PQexec(c, cmd);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		result_error(c, res, err, errlen, sqlstate);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

int replconn_start(PGconn *c, const char *slot, const char *publications, uint64_t startpos,
		   bool messages, char *err, size_t errlen, char sqlstate[6])
{
	/* publication_names is one string literal holding a comma-separated
	 * list of identifiers: quote each name, then the whole list. */
	size_t plen = strlen(publications);
	char *list = malloc(plen * 2 + 3 * plen + 8);
	char *cmd = malloc(plen * 4 + 3 * plen + 280);
	if (!list || !cmd) {
		free(list);
		free(cmd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	char *o = list;
	*o++ = '"';
	for (const char *p = publications; *p; p++) {
		if (*p == ',') {
			*o++ = '"';
			*o++ = ',';
			*o++ = '"';
		} else if (*p == '"') {
			*o++ = '"';
			*o++ = '"';
		} else {
			*o++ = *p;
		}
	}
	*o++ = '"';
	*o = '\0';
	char lsn[32];
	pos_lsn_format(startpos, lsn, sizeof lsn);
	o = cmd + sprintf(cmd, "START_REPLICATION SLOT \"%s\" LOGICAL %s (proto_version '1', publication_names '",
			  slot, lsn);
	for (const char *p = list; *p; p++) {
		if (*p == '\'')
			*o++ = '\'';
		*o++ = *p;
	}
	strcpy(o, messages ? "', messages 'true')" : "')");
	free(list);
	PGresult *res = PQexec(c, cmd);
	free(cmd);
	if (PQresultStatus(res) != PGRES_COPY_BOTH) {
		result_error(c, res, err, errlen, sqlstate);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

static uint64_t be64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

int replconn_parse(const char *buf, size_t len, repl_msg *m)
{
	const unsigned char *p = (const unsigned char *)buf;
	memset(m, 0, sizeof *m);
	if (len < 1)
		return -1;
	m->kind = buf[0];
	if (m->kind == 'w') {
		if (len < 25)
			return -1;
		m->data_start = be64(p + 1);
		m->wal_end = be64(p + 9);
		m->send_time = (int64_t)be64(p + 17);
		m->data = buf + 25;
		m->len = len - 25;
		return 0;
	}
	if (m->kind == 'k') {
		if (len < 18)
			return -1;
		m->wal_end = be64(p + 1);
		m->send_time = (int64_t)be64(p + 9);
		m->reply_requested = p[17] != 0;
		return 0;
	}
	return -1;
}

int64_t replconn_now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec - PGO_EPOCH_OFFSET_US;
}

int replconn_send_status(PGconn *c, uint64_t lsn, bool reply_requested)
{
	unsigned char msg[34];
	msg[0] = 'r';
	put64(msg + 1, lsn);  /* written */
	put64(msg + 9, lsn);  /* flushed */
	put64(msg + 17, lsn); /* applied */
	put64(msg + 25, (uint64_t)replconn_now());
	msg[33] = reply_requested ? 1 : 0;
	if (PQputCopyData(c, (const char *)msg, sizeof msg) <= 0 || PQflush(c) < 0)
		return -1;
	return 0;
}

int replconn_copy_done(PGconn *c)
{
	return PQputCopyEnd(c, NULL) > 0 && PQflush(c) == 0 ? 0 : -1;
}

int replconn_wait_input(PGconn *c, int64_t deadline, bool (*stop)(void))
{
	for (;;) {
		int64_t left = deadline - mono_ms();
		if (left <= 0 || (stop && stop()))
			return 0;
		struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};
		int n = poll(&p, 1, (int)(left > 100 ? 100 : left));
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0)
			return PQconsumeInput(c) ? 1 : -1;
	}
}

int replconn_drain(PGconn *c, int timeout_ms, bool (*stop)(void))
{
	int64_t deadline = mono_ms() + timeout_ms;
	/* Until its CopyDone the walsender goes on sending: drop that. (An
	 * ErrorResponse ends the COPY as well.) */
	for (;;) {
		char *data = NULL;
		int r = PQgetCopyData(c, &data, 1);
		if (r > 0) {
			PQfreemem(data);
			continue;
		}
		if (r == -1)
			break;
		int w = r < -1 ? -1 : replconn_wait_input(c, deadline, stop);
		if (w <= 0)
			return w;
	}
	/* Then CommandComplete and ReadyForQuery: the walsender has left the
	 * COPY. What it sends after its CopyDone (the rest of a transaction)
	 * libpq drops. */
	for (;;) {
		while (PQisBusy(c)) {
			int w = replconn_wait_input(c, deadline, stop);
			if (w <= 0)
				return w;
		}
		PGresult *res = PQgetResult(c);
		if (!res)
			return 1;
		PQclear(res);
	}
}
