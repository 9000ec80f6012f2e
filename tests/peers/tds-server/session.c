/* session.c — one TDS connection: PRELOGIN, LOGIN7, then the message loop.
 *
 * Each connection runs in its own forked process with its own PostgreSQL
 * connection, so a session's transaction and temp tables are PostgreSQL's.
 */
#include "peer.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static void prelogin_reply(tds_conn *c)
{
	static const uint8_t p[] = {
		0x00, 0x00, 21, 0x00, 6,    /* VERSION */
		0x01, 0x00, 27, 0x00, 1,    /* ENCRYPTION */
		0x02, 0x00, 28, 0x00, 1,    /* INSTOPT */
		0x04, 0x00, 29, 0x00, 1,    /* MARS */
		0xFF,
		15, 0, 0x07, 0xD0, 0, 0,    /* 15.0.2000 */
		0x02,                       /* ENCRYPT_NOT_SUP */
		0x00,
		0x00,
	};
	tds_put(c, p, sizeof p);
	tds_reply_end(c);
}

static uint16_t u16at(const uint8_t *m, size_t off) { return (uint16_t)(m[off] | m[off + 1] << 8); }

/* A UCS-2 field of LOGIN7 given by its (offset, length in characters) pair. */
static void login_field(const uint8_t *m, size_t len, size_t at, char *out, size_t cap)
{
	out[0] = 0;
	if (at + 4 > len)
		return;
	size_t off = u16at(m, at), n = (size_t)u16at(m, at + 2) * 2;
	if (off + n > len || n * 3 / 2 + 4 > cap)
		return;
	out[utf16le_to_utf8(m + off, n, out)] = 0;
}

/* The password of LOGIN7, which the client sends with each byte's
 * nibbles swapped and then XORed with 0xA5 (MS-TDS 2.2.6.4). */
static void login_password(const uint8_t *m, size_t len, char *out, size_t cap)
{
	out[0] = 0;
	if (44 + 4 > len)
		return;
	size_t off = u16at(m, 44), n = (size_t)u16at(m, 46) * 2;
	if (off + n > len || n * 3 / 2 + 4 > cap || n > 256)
		return;
	uint8_t plain[256];
	for (size_t i = 0; i < n; i++) {
		uint8_t b = m[off + i] ^ 0xA5;
		plain[i] = (uint8_t)(b >> 4 | b << 4);
	}
	out[utf16le_to_utf8(plain, n, out)] = 0;
}

static const struct {
	const char *name, *dateformat;
} languages[] = {
	/* sp_helplanguage's name and dateformat of some */
	{"us_english", "mdy"}, {"British", "dmy"}, {"Deutsch", "dmy"}, {"Français", "dmy"},
	{"Italiano", "dmy"}, {"Español", "dmy"}, {"Nederlands", "dmy"}, {"日本語", "ymd"},
};

const char *peer_language_dateformat(const char *name)
{
	for (size_t i = 0; i < sizeof languages / sizeof languages[0]; i++)
		if (!strcasecmp(name, languages[i].name))
			return languages[i].dateformat;
	return NULL;
}

static int login(session *s)
{
	tds_conn *c = s->c;
	size_t len;
	uint8_t *m = tds_read_message(c, &len, 65536);
	if (!m || len < 94) {
		free(m);
		return -1;
	}
	uint32_t tdsver = m[4] | (uint32_t)m[5] << 8 | (uint32_t)m[6] << 16 | (uint32_t)m[7] << 24;
	uint32_t pktsize = m[8] | (uint32_t)m[9] << 8 | (uint32_t)m[10] << 16 | (uint32_t)m[11] << 24;
	/* 7.2 and 7.3 look the same for what the peer sends; older ones get 7.4 */
	if (tdsver != 0x72090002 && tdsver != 0x730A0003 && tdsver != 0x730B0003)
		tdsver = 0x74000004;
	char user[512], app[512], db[512], pw[512], lang[512];
	login_field(m, len, 40, user, sizeof user);
	login_field(m, len, 48, app, sizeof app);
	login_field(m, len, 64, lang, sizeof lang);
	login_field(m, len, 68, db, sizeof db);
	login_password(m, len, pw, sizeof pw);
	free(m);
	if (s->o->password && strcmp(pw, s->o->password) != 0) {
		/* SQL Server says no more than this, whatever was wrong (the
		 * reason goes to its error log only), and closes */
		char msg[600];
		snprintf(msg, sizeof msg, "Login failed for user '%s'.", user);
		peer_log(s->o, "login user=%s refused: wrong password", user);
		tds_put_msg(c, TOK_ERROR, 18456, 1, 14, msg, 1);
		tds_put_done(c, TOK_DONE, DONE_ERROR, 0, 0);
		tds_reply_end(c);
		return -1;
	}
	if (!db[0])
		snprintf(db, sizeof db, "master");
	if (s->o->language)
		snprintf(lang, sizeof lang, "%s", s->o->language);
	/* a language the peer does not know: the server's default, as
	 * SQL Server falls back to it */
	const char *dateformat = peer_language_dateformat(lang);
	if (!dateformat) {
		if (lang[0])
			peer_log(s->o, "login language %s unknown: %s", lang, PEER_DEFAULT_LANGUAGE);
		snprintf(lang, sizeof lang, "%s", PEER_DEFAULT_LANGUAGE);
		dateformat = peer_language_dateformat(lang);
	}
	snprintf(s->dbname, sizeof s->dbname, "%s", db);
	peer_log(s->o, "login user=%s app=%s database=%s language=%s packet=%u", user, app, db, lang, pktsize);
	if (pktsize < 512 || pktsize > 32767)
		pktsize = 4096;

	if (s->pg) {
		/* a spare made before the client came: check it still lives */
		PGresult *r = PQexec(s->pg, "SELECT 1");
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			PQfinish(s->pg);
			s->pg = NULL;
		}
		PQclear(r);
	}
	if (!s->pg) {
		s->pg = PQconnectdb(s->o->pg);
		if (PQstatus(s->pg) == CONNECTION_OK)
			PQclear(PQexec(s->pg, PEER_SESSION_SETUP));
	}
	if (PQstatus(s->pg) == CONNECTION_OK) {
		char set[64];
		snprintf(set, sizeof set, "SET tds.dateformat TO '%s'", dateformat);
		PQclear(PQexec(s->pg, set));
		/* A login with a PostgreSQL role of its name (not a superuser)
		 * runs as that role: what the role may not do, the login may
		 * not, and the peer answers as SQL Server answers a login
		 * without the permission (pgexec.c, send_pg_error). Other
		 * logins run as the peer's own user, with every permission. */
		const char *params[1] = {user};
		PGresult *r = PQexecParams(s->pg, "SELECT quote_ident(rolname) FROM pg_roles WHERE rolname = $1 "
					   "AND NOT rolsuper", 1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
			char q[300];
			snprintf(q, sizeof q, "SET ROLE %s", PQgetvalue(r, 0, 0));
			PGresult *r2 = PQexec(s->pg, q);
			if (PQresultStatus(r2) == PGRES_COMMAND_OK)
				snprintf(s->role, sizeof s->role, "%s", PQgetvalue(r, 0, 0));
			else
				peer_log(s->o, "login user=%s: %s", user, PQresultErrorMessage(r2));
			PQclear(r2);
		}
		PQclear(r);
		if (s->role[0])
			peer_log(s->o, "login user=%s runs as PostgreSQL role %s", user, s->role);
	}
	if (PQstatus(s->pg) != CONNECTION_OK) {
		char msg[600];
		snprintf(msg, sizeof msg, "Cannot open database \"%s\" requested by the login (PostgreSQL: %s)", db,
			 PQerrorMessage(s->pg));
		tds_put_msg(c, TOK_ERROR, 4060, 1, 11, msg, 1);
		tds_put_done(c, TOK_DONE, DONE_ERROR, 0, 0);
		tds_reply_end(c);
		return -1;
	}

	char ps[16];
	snprintf(ps, sizeof ps, "%u", pktsize);
	tds_put_envchange_str(c, 1, db, "master");
	/* SQL collation */
	tds_put_u8(c, TOK_ENVCHANGE);
	tds_put_u16(c, 1 + 1 + 5 + 1);
	tds_put_u8(c, 7);
	tds_put_u8(c, 5);
	tds_put(c, tds_collation, 5);
	tds_put_u8(c, 0);
	tds_put_envchange_str(c, 2, lang, "");
	/* LOGINACK: the client's TDS version if 7.2-7.4 */
	static const char prog[] = "Microsoft SQL Server";
	tds_put_u8(c, TOK_LOGINACK);
	tds_put_u16(c, (uint16_t)(1 + 4 + 1 + 2 * (sizeof prog - 1) + 4));
	tds_put_u8(c, 1);
	uint8_t ver[4] = {(uint8_t)(tdsver >> 24), (uint8_t)(tdsver >> 16), (uint8_t)(tdsver >> 8), (uint8_t)tdsver};
	tds_put(c, ver, 4);
	tds_put_bvarchar(c, prog);
	static const uint8_t pv[4] = {15, 0, 0x07, 0xD0};
	tds_put(c, pv, 4);
	tds_put_envchange_str(c, 4, ps, ps);
	tds_put_done(c, TOK_DONE, DONE_FINAL, 0, 0);
	tds_reply_end(c);
	tds_set_packet_size(c, pktsize);
	return 0;
}

static void unsupported(session *s, const char *what)
{
	tds_skip_message(s->c);
	reply_delay(s);
	sess_error(s, 50000, 16, "%s is outside the subset of the TDS test peer.", what);
	flush_done(s, 0);
	tds_reply_end(s->c);
}

void session_run(int fd, const struct peer_opts *o, PGconn *pg)
{
	tds_conn c;
	tds_conn_init(&c, fd);
	session s;
	memset(&s, 0, sizeof s);
	s.c = &c;
	s.o = o;
	s.pg = pg;

	int logged_in = 0;
	while (!c.dead) {
		int t = tds_next_message(&c);
		if (t < 0)
			break;
		if (!logged_in) {
			if (t == PKT_PRELOGIN) {
				tds_skip_message(&c);
				/* login-delay-ms: a server that takes the connection
				 * and does not answer (until the client closes it) */
				if (o->login_delay_ms > 0 && tds_input_pending(&c, o->login_delay_ms))
					break;
				prelogin_reply(&c);
				continue;
			}
			if (t == PKT_LOGIN7 && login(&s) == 0) {
				logged_in = 1;
				continue;
			}
			break;
		}
		s.attention = s.cancelled = s.input_queued = 0;
		switch (t) {
		case PKT_SQL:
			handle_batch(&s);
			break;
		case PKT_BULK:
			handle_bulk(&s);
			break;
		case PKT_ATTN:
			tds_skip_message(&c);
			peer_log(o, "attention");
			tds_put_done(&c, TOK_DONE, DONE_ATTN, 0, 0);
			tds_reply_end(&c);
			break;
		case PKT_RPC:
			handle_rpc(&s);
			break;
		case PKT_TM:
			unsupported(&s, "A transaction manager request");
			break;
		default:
			c.dead = 1;
		}
	}
	if (s.pg)
		PQfinish(s.pg);
	free(s.bulk_target);
	bulk_meta_drop(&s);
	tds_conn_free(&c);
	close(fd);
}
