/* rpc.c — RPC requests (MS-TDS 2.2.6.6): sp_executesql only.
 *
 * A client sends a statement with constant text and its values apart, as
 * an RPC of sp_executesql (by name, or ProcID 10): @stmt, @params (the
 * parameters' declarations) and the parameters. SQL Server caches the
 * statement's plan by its text. The peer runs the statement as a batch
 * (run_tsql) with each @name replaced by its value as a literal, inside
 * the RPC's answer: its statements end in DONEINPROC, then RETURNSTATUS
 * and DONEPROC. Parameter types read: nvarchar and varchar (also (max),
 * as PLP), int and bigint (INTN and the fixed ones), bit, float.
 * Anything else is refused, as is every other procedure (2812); so is a
 * request of more than 2,100 parameters, @stmt and @params counted (8003).
 */
#include "peer.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define PROCID_EXECUTESQL 10
/* SQL Server's "Parameters per stored procedure" (maximum capacity
 * specifications): every parameter of the request counts, sp_executesql's
 * @stmt and @params too (clients that bind 2,099 parameters of their own
 * meet 8003: SqlClient, Entity Framework, tedious; see SUBSET.md). */
#define RPC_PARAMS_MAX 2100
#define TOK_RETURNSTATUS 0x79

struct rd {
	const uint8_t *p, *end;
	int bad;
};

static const uint8_t *take(struct rd *r, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return NULL;
	}
	const uint8_t *q = r->p;
	r->p += n;
	return q;
}

static uint32_t get_u8(struct rd *r)
{
	const uint8_t *q = take(r, 1);
	return q ? q[0] : 0;
}

static uint32_t get_u16(struct rd *r)
{
	const uint8_t *q = take(r, 2);
	return q ? (uint32_t)(q[0] | q[1] << 8) : 0;
}

static uint32_t get_u32(struct rd *r)
{
	const uint8_t *q = take(r, 4);
	return q ? le32(q) : 0;
}

/* n UTF-16LE code units as UTF-8 (malloc'd) */
static char *utf16_text(struct rd *r, size_t units)
{
	const uint8_t *q = take(r, 2 * units);
	if (!q)
		return NULL;
	char *s = malloc(units * 3 + 4);
	if (!s)
		_exit(70);
	s[utf16le_to_utf8(q, 2 * units, s)] = 0;
	return s;
}

/* A string value: UTF-16LE (nvarchar) or single bytes (varchar, taken as
 * Latin-1), with a USHORT length or as PLP (maxlen 0xFFFF). */
static void get_string(struct rd *r, struct rpc_param *p, int plp, int wide)
{
	sbuf b;
	sb_init(&b);
	if (plp) {
		const uint8_t *t = take(r, 8);
		if (!t)
			return;
		if (le64(t) == ~(uint64_t)0) {
			p->is_null = 1;
			return;
		}
		for (;;) {
			uint32_t n = get_u32(r);
			if (r->bad || n == 0)
				break;
			const uint8_t *q = take(r, n);
			if (q)
				sb_putn(&b, (const char *)q, n);
		}
	} else {
		uint32_t n = get_u16(r);
		if (n == 0xFFFF) {
			p->is_null = 1;
			return;
		}
		const uint8_t *q = take(r, n);
		if (q)
			sb_putn(&b, (const char *)q, n);
	}
	if (wide) {
		p->text = malloc(b.n * 3 / 2 + 4);
		if (!p->text)
			_exit(70);
		p->text[utf16le_to_utf8((const uint8_t *)(b.p ? b.p : ""), b.n, p->text)] = 0;
	} else {
		/* Latin-1 → UTF-8 */
		p->text = malloc(2 * b.n + 1);
		if (!p->text)
			_exit(70);
		size_t o = 0;
		for (size_t i = 0; i < b.n; i++) {
			unsigned char ch = (unsigned char)b.p[i];
			if (ch < 0x80) {
				p->text[o++] = (char)ch;
			} else {
				p->text[o++] = (char)(0xC0 | ch >> 6);
				p->text[o++] = (char)(0x80 | (ch & 0x3F));
			}
		}
		p->text[o] = 0;
	}
	sb_free(&b);
}

/* An integer of n bytes, little-endian, as text. */
static void set_int(struct rpc_param *p, const uint8_t *q, size_t n)
{
	int64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (int64_t)q[i] << (8 * i);
	if (n < 8 && (v >> (8 * n - 1)) & 1 && n > 1)
		v -= (int64_t)1 << (8 * n); /* sign (tinyint is unsigned) */
	p->text = malloc(24);
	if (!p->text)
		_exit(70);
	snprintf(p->text, 24, "%lld", (long long)v);
	p->is_number = 1;
}

/* ParameterData: B_VARCHAR name, StatusFlags, TYPE_INFO, value. 0, or -1
 * for a type the peer does not read. */
static int get_param(struct rd *r, struct rpc_param *p)
{
	uint32_t nl = get_u8(r);
	char *name = utf16_text(r, nl);
	snprintf(p->name, sizeof p->name, "%s", name ? name : "");
	free(name);
	get_u8(r); /* StatusFlags: output parameters are not read back */
	uint32_t type = get_u8(r);
	switch (type) {
	case TT_NVARCHAR:
	case TT_NCHAR:
	case TT_BIGVARCHR:
	case TT_BIGCHAR: {
		uint32_t maxlen = get_u16(r);
		take(r, 5); /* collation */
		get_string(r, p, maxlen == 0xFFFF, type == TT_NVARCHAR || type == TT_NCHAR);
		return 0;
	}
	case TT_INTN:
	case TT_BITN: {
		get_u8(r); /* maximum length */
		uint32_t n = get_u8(r);
		if (n == 0) {
			p->is_null = 1;
			return 0;
		}
		const uint8_t *q = take(r, n);
		if (q)
			set_int(p, q, n);
		return 0;
	}
	case TT_INT1: case TT_BIT: case TT_INT2: case TT_INT4: case TT_INT8: {
		size_t n = type == TT_INT8 ? 8 : type == TT_INT4 ? 4 : type == TT_INT2 ? 2 : 1;
		const uint8_t *q = take(r, n);
		if (q)
			set_int(p, q, n);
		return 0;
	}
	case TT_FLTN: {
		get_u8(r);
		uint32_t n = get_u8(r);
		if (n == 0) {
			p->is_null = 1;
			return 0;
		}
		const uint8_t *q = take(r, n);
		if (!q)
			return 0;
		double d;
		if (n == 4) {
			float f;
			memcpy(&f, q, 4);
			d = f;
		} else {
			memcpy(&d, q, 8);
		}
		p->text = malloc(40);
		if (!p->text)
			_exit(70);
		snprintf(p->text, 40, "%.17g", d);
		p->is_number = 1;
		return 0;
	}
	default:
		return -1;
	}
}

static void rpc_end(session *s, int failed)
{
	/* the pending statement's DONEINPROC, then the procedure's end */
	if (!s->done_pending)
		queue_done(s, 0, 0, 0);
	flush_done(s, 1);
	tds_put_u8(s->c, TOK_RETURNSTATUS);
	tds_put_u32(s->c, failed ? (uint32_t)-6 : 0);
	tds_put_done(s->c, TOK_DONEPROC, (uint16_t)((failed ? DONE_ERROR : 0) | (s->trancount ? DONE_INXACT : 0)),
		     0xE0, 0);
	s->in_rpc = 0;
	tds_reply_end(s->c);
}

void handle_rpc(session *s)
{
	size_t len, off;
	uint8_t *m = read_request(s, &len, &off, "RPC");
	if (!m)
		return;
	struct rd r = {m + off, m + len, 0};
	struct rpc_param *params = NULL;
	size_t n = 0, cap = 0;
	char proc[256] = "";
	int known = 0, badtype = 0;
	uint32_t nl = get_u16(&r);
	if (nl == 0xFFFF) {
		uint32_t id = get_u16(&r);
		known = id == PROCID_EXECUTESQL;
		snprintf(proc, sizeof proc, "ProcID %u", id);
	} else {
		char *name = utf16_text(&r, nl);
		snprintf(proc, sizeof proc, "%s", name ? name : "");
		free(name);
		const char *base = strrchr(proc, '.');
		base = base ? base + 1 : proc;
		known = !strcasecmp(base, "sp_executesql");
	}
	get_u16(&r); /* OptionFlags */
	while (!r.bad && r.p < r.end && known) {
		if (*r.p == 0x80 || *r.p == 0xFF || *r.p == 0xFE)
			break; /* a second RPC of a batch: the peer takes one */
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			params = realloc(params, cap * sizeof *params);
			if (!params)
				_exit(70);
		}
		memset(&params[n], 0, sizeof params[n]);
		if (get_param(&r, &params[n]) < 0) {
			badtype = 1;
			n++;
			break;
		}
		n++;
	}
	free(m);
	s->in_rpc = 1;
	int drop = 0, failed = 1;
	if (!known) {
		reply_delay(s);
		sess_error(s, 2812, 16, "Could not find stored procedure '%s'.", proc);
	} else if (n > RPC_PARAMS_MAX) {
		/* before anything runs: the request is refused whole */
		reply_delay(s);
		sess_error(s, 8003, 16, "The incoming request has too many parameters. The server supports a maximum "
			   "of %d parameters. Reduce the number of parameters and resend the request.", RPC_PARAMS_MAX);
	} else if (r.bad || badtype) {
		reply_delay(s);
		sess_error(s, 8009, 16, "The incoming tabular data stream (TDS) remote procedure call (RPC) protocol "
			   "stream is incorrect: a parameter the TDS test peer cannot read.");
	} else if (n == 0 || params[0].is_null || params[0].is_number) {
		reply_delay(s);
		sess_error(s, 214, 16, "Procedure expects parameter '@statement' of type 'ntext/nchar/nvarchar'.");
	} else {
		/* the statement's text by a hash: SQL Server caches one plan
		 * per text, and a test counts the texts a run sent */
		uint64_t h = 14695981039346656037ull;
		for (const char *q = params[0].text; *q; q++)
			h = (h ^ (unsigned char)*q) * 1099511628211ull;
		peer_log(s->o, "rpc: sp_executesql text %016llx with %zu parameters", (unsigned long long)h,
			 n > 2 ? n - 2 : 0);
		/* @stmt, @params (declarations: the values carry their types),
		 * then the parameters by name */
		size_t first = n >= 2 ? 2 : 1;
		int before = s->trancount;
		if (run_tsql(s, params[0].text, params + first, n - first, &drop)) {
			s->in_rpc = 0;
			goto out; /* answered (ATTENTION) */
		}
		/* an error answered inside fails the procedure too */
		failed = (s->done_pending && (s->done_status & DONE_ERROR)) || executesql_trancount(s, before) < 0;
	}
	rpc_end(s, failed);
	if (drop)
		drop_connection(s);
out:
	for (size_t i = 0; i < n; i++)
		free(params[i].text);
	free(params);
}
