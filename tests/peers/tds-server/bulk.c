/* bulk.c — BULK_LOAD messages (what db-lib's bcp sends after "insert bulk")
 * decoded row by row into PostgreSQL COPY text, streamed to the target
 * table through libpq as the packets arrive: memory stays flat however many
 * rows come.
 */
#include "peer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct bcol {
	uint8_t type;
	uint32_t maxlen;
	uint8_t prec, scale;
	int plp;
	char name[256];
};

static uint8_t *vbuf;
static size_t vcap;

static uint8_t *vget(size_t n)
{
	if (n > vcap) {
		free(vbuf);
		vcap = n < 65536 ? 65536 : n;
		vbuf = malloc(vcap);
		if (!vbuf)
			_exit(70);
	}
	return vbuf;
}

/* Most reads are a few bytes from the buffered packet: copied here, the
 * general tds_read() only at packet and buffer edges. */
static int rd(tds_conn *c, void *p, size_t n)
{
	if (n <= c->pkt_left && c->rpos + n <= c->rlen) {
		memcpy(p, c->rbuf + c->rpos, n);
		c->rpos += n;
		c->pkt_left -= n;
		return 0;
	}
	return tds_read(c, p, n);
}

static int rd_u8(tds_conn *c, uint8_t *v) { return rd(c, v, 1); }

static int rd_u16(tds_conn *c, uint16_t *v)
{
	uint8_t b[2];
	if (rd(c, b, 2))
		return -1;
	*v = (uint16_t)(b[0] | b[1] << 8);
	return 0;
}

static uint64_t le(const uint8_t *b, size_t n)
{
	uint64_t v = 0;
	for (size_t i = n; i-- > 0;)
		v = v << 8 | b[i];
	return v;
}

static int rd_u32(tds_conn *c, uint32_t *v)
{
	uint8_t b[4];
	if (rd(c, b, 4))
		return -1;
	*v = (uint32_t)le(b, 4);
	return 0;
}

static int rd_u64(tds_conn *c, uint64_t *v)
{
	uint8_t b[8];
	if (rd(c, b, 8))
		return -1;
	*v = le(b, 8);
	return 0;
}

static int read_colmeta(tds_conn *c, struct bcol **out, int *nout)
{
	uint8_t tok;
	uint16_t n;
	if (rd_u8(c, &tok) || tok != TOK_COLMETA || rd_u16(c, &n) || n == 0 || n == 0xFFFF)
		return -1;
	struct bcol *cols = calloc(n, sizeof *cols);
	for (int i = 0; i < n; i++) {
		struct bcol *bc = &cols[i];
		uint32_t usertype;
		uint16_t flags, u16;
		uint8_t u8, coll[5];
		if (rd_u32(c, &usertype) || rd_u16(c, &flags) || rd_u8(c, &bc->type))
			goto bad;
		switch (bc->type) {
		case TT_INT1: case TT_BIT: case TT_INT2: case TT_INT4: case TT_INT8:
		case TT_FLT4: case TT_FLT8: case TT_DATE:
			break;
		case TT_INTN: case TT_BITN: case TT_FLTN: case TT_GUID: case TT_MONEYN:
			if (rd_u8(c, &u8))
				goto bad;
			bc->maxlen = u8;
			break;
		case TT_MONEY: case TT_MONEY4:
			break;
		case TT_DECIMALN: case TT_NUMERICN:
			if (rd_u8(c, &u8) || rd_u8(c, &bc->prec) || rd_u8(c, &bc->scale))
				goto bad;
			bc->maxlen = u8;
			break;
		case TT_TIME: case TT_DATETIME2: case TT_DTOFFSET:
			if (rd_u8(c, &bc->scale))
				goto bad;
			break;
		case TT_NVARCHAR: case TT_NCHAR: case TT_BIGVARCHR: case TT_BIGCHAR:
			if (rd_u16(c, &u16) || rd(c, coll, 5))
				goto bad;
			bc->maxlen = u16;
			bc->plp = u16 == 0xFFFF;
			break;
		case TT_BIGVARBIN: case TT_BIGBINARY:
			if (rd_u16(c, &u16))
				goto bad;
			bc->maxlen = u16;
			bc->plp = u16 == 0xFFFF;
			break;
		case TT_TEXT: case TT_NTEXT: case TT_IMAGE: {
			uint32_t ml;
			if (rd_u32(c, &ml))
				goto bad;
			if (bc->type != TT_IMAGE && rd(c, coll, 5))
				goto bad;
			/* table name, as FreeTDS writes it: US_VARCHAR */
			if (rd_u16(c, &u16) || (u16 && rd(c, vget(2u * u16), 2u * u16)))
				goto bad;
			bc->maxlen = ml;
			break;
		}
		default:
			goto bad;
		}
		if (rd_u8(c, &u8))
			goto bad;
		uint8_t nm[510];
		if (rd(c, nm, 2u * u8))
			goto bad;
		char name8[800];
		size_t k = utf16le_to_utf8(nm, 2u * u8, name8);
		snprintf(bc->name, sizeof bc->name, "%.*s", (int)k, name8);
	}
	*out = cols;
	*nout = n;
	return 0;
bad:
	free(cols);
	return -1;
}

/* ---- values → COPY text ---- */
static void copy_text(sbuf *o, const char *s, size_t n)
{
	sb_grow(o, 2 * n);
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		switch (ch) {
		case '\\': o->p[o->n++] = '\\'; o->p[o->n++] = '\\'; break;
		case '\n': o->p[o->n++] = '\\'; o->p[o->n++] = 'n'; break;
		case '\r': o->p[o->n++] = '\\'; o->p[o->n++] = 'r'; break;
		case '\t': o->p[o->n++] = '\\'; o->p[o->n++] = 't'; break;
		default: o->p[o->n++] = ch;
		}
	}
	o->p[o->n] = 0;
}

/* UTF-16LE → UTF-8 in COPY text form, in one pass (an unpaired surrogate,
 * which PostgreSQL cannot store, becomes U+FFFD). */
static void put_utf16(sbuf *o, const uint8_t *b, size_t n)
{
	n &= ~(size_t)1;
	sb_grow(o, 2 * n + 4); /* 2 bytes in: at most 3 out, or 2 escaped */
	char *w = o->p + o->n;
	for (size_t i = 0; i < n;) {
		uint32_t u = b[i] | (uint32_t)b[i + 1] << 8;
		i += 2;
		if (u < 0x80) {
			switch (u) {
			case '\\': *w++ = '\\'; *w++ = '\\'; break;
			case '\n': *w++ = '\\'; *w++ = 'n'; break;
			case '\r': *w++ = '\\'; *w++ = 'r'; break;
			case '\t': *w++ = '\\'; *w++ = 't'; break;
			default: *w++ = (char)u;
			}
			continue;
		}
		if (u >= 0xD800 && u <= 0xDBFF) {
			uint32_t l = i < n ? (b[i] | (uint32_t)b[i + 1] << 8) : 0;
			if (l >= 0xDC00 && l <= 0xDFFF) {
				u = 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00);
				i += 2;
			} else {
				u = 0xFFFD;
			}
		} else if (u >= 0xDC00 && u <= 0xDFFF) {
			u = 0xFFFD;
		}
		if (u < 0x800) {
			*w++ = (char)(0xC0 | (u >> 6));
			*w++ = (char)(0x80 | (u & 0x3F));
		} else if (u < 0x10000) {
			*w++ = (char)(0xE0 | (u >> 12));
			*w++ = (char)(0x80 | ((u >> 6) & 0x3F));
			*w++ = (char)(0x80 | (u & 0x3F));
		} else {
			*w++ = (char)(0xF0 | (u >> 18));
			*w++ = (char)(0x80 | ((u >> 12) & 0x3F));
			*w++ = (char)(0x80 | ((u >> 6) & 0x3F));
			*w++ = (char)(0x80 | (u & 0x3F));
		}
	}
	o->n = (size_t)(w - o->p);
	o->p[o->n] = 0;
}

static void put_latin1(sbuf *o, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (b[i] < 0x80) {
			copy_text(o, (const char *)&b[i], 1);
		} else {
			char two[2] = {(char)(0xC0 | (b[i] >> 6)), (char)(0x80 | (b[i] & 0x3F))};
			sb_putn(o, two, 2);
		}
	}
}

static void put_hex(sbuf *o, const uint8_t *b, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	sb_grow(o, 3 + 2 * n);
	o->p[o->n++] = '\\';
	o->p[o->n++] = '\\';
	o->p[o->n++] = 'x';
	for (size_t i = 0; i < n; i++) {
		o->p[o->n++] = hx[b[i] >> 4];
		o->p[o->n++] = hx[b[i] & 15];
	}
	o->p[o->n] = 0;
}

/* Decimal digits of v, most significant first; at least min digits
 * (zero-padded). Formatted by hand: printf was two thirds of the peer's
 * time in a million-row bulk load. */
static void put_udec(sbuf *o, uint64_t v, int min)
{
	char d[24];
	int k = 0;
	do {
		d[k++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	while (k < min)
		d[k++] = '0';
	sb_grow(o, (size_t)k);
	while (k > 0)
		o->p[o->n++] = d[--k];
	o->p[o->n] = 0;
}

static void put_signed(sbuf *o, const uint8_t *b, size_t n)
{
	uint64_t u = le(b, n);
	if (n < 8 && (b[n - 1] & 0x80))
		u |= ~(uint64_t)0 << (8 * n);
	if ((int64_t)u < 0) {
		sb_putc(o, '-');
		u = 0 - u;
	}
	put_udec(o, u, 1);
}

static void put_float(sbuf *o, double d, int single)
{
	if (isnan(d))
		sb_puts(o, "NaN");
	else if (isinf(d))
		sb_puts(o, d > 0 ? "Infinity" : "-Infinity");
	else
		sb_printf(o, single ? "%.9g" : "%.17g", d);
}

static void put_numeric(sbuf *o, const uint8_t *b, size_t n, int scale)
{
	unsigned __int128 v = 0;
	for (size_t i = n; i-- > 1;)
		v = v << 8 | b[i];
	char dig[64];
	int k = 0;
	do {
		dig[k++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	while (k <= scale)
		dig[k++] = '0';
	sb_grow(o, (size_t)k + 2);
	if (b[0] == 0)
		o->p[o->n++] = '-';
	for (int i = k - 1; i >= 0; i--) {
		o->p[o->n++] = dig[i];
		if (i == scale && scale > 0)
			o->p[o->n++] = '.';
	}
	o->p[o->n] = 0;
}

/* MONEY / SMALLMONEY: an integer count of 1/10,000 (MONEYN of 8 bytes
 * sends the high 32 bits first). */
static void put_money(sbuf *o, const uint8_t *b, size_t n)
{
	int64_t v = n == 4 ? (int32_t)le(b, 4) : (int64_t)(le(b, 4) << 32 | le(b + 4, 4));
	uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	if (v < 0)
		sb_putc(o, '-');
	put_udec(o, m / 10000, 1);
	sb_putc(o, '.');
	put_udec(o, m % 10000, 4);
}

static void civil(long days, int *y, int *m, int *d)
{
	/* days since 0001-01-01 → proleptic Gregorian date */
	long z = days - 719162 + 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long yy = yoe + era * 400;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

static void put_date(sbuf *o, const uint8_t *b)
{
	int y, m, d;
	civil((long)le(b, 3), &y, &m, &d);
	put_udec(o, (unsigned)y, 4);
	sb_putc(o, '-');
	put_udec(o, (unsigned)m, 2);
	sb_putc(o, '-');
	put_udec(o, (unsigned)d, 2);
}

static void put_time(sbuf *o, const uint8_t *b, size_t n, int scale)
{
	uint64_t v = le(b, n), p = 1;
	for (int i = 0; i < scale; i++)
		p *= 10;
	uint64_t secs = v / p, frac = v % p;
	put_udec(o, secs / 3600, 2);
	sb_putc(o, ':');
	put_udec(o, secs / 60 % 60, 2);
	sb_putc(o, ':');
	put_udec(o, secs % 60, 2);
	if (scale > 0) {
		sb_putc(o, '.');
		put_udec(o, frac, scale);
	}
}

static size_t time_len(int scale) { return scale <= 2 ? 3 : scale <= 4 ? 4 : 5; }

/* One column value of a ROW token, appended to the COPY line. */
static int read_value(tds_conn *c, const struct bcol *bc, sbuf *o)
{
	uint8_t fixed[32], u8; /* up to NUMERIC(38): 17 bytes */
	uint16_t u16;
	size_t n = 0;
	const uint8_t *v = fixed;
	switch (bc->type) {
	case TT_INT1: case TT_BIT: n = 1; break;
	case TT_INT2: n = 2; break;
	case TT_INT4: case TT_FLT4: case TT_MONEY4: n = 4; break;
	case TT_INT8: case TT_FLT8: case TT_MONEY: n = 8; break;
	default: n = 0;
	}
	if (n) {
		if (rd(c, fixed, n))
			return -1;
	} else if (bc->plp) {
		uint64_t total;
		if (rd_u64(c, &total))
			return -1;
		if (total == ~(uint64_t)0) {
			sb_puts(o, "\\N");
			return 0;
		}
		/* the announced length sizes the buffer, up to 1 MiB; it grows with
		 * the chunks that really come */
		size_t have = 0, cap = total != ~(uint64_t)1 && total < ((uint64_t)1 << 20) ? (size_t)total : 65536;
		uint8_t *buf = malloc(cap ? cap : 1);
		for (;;) {
			uint32_t cl;
			if (rd_u32(c, &cl)) {
				free(buf);
				return -1;
			}
			if (cl == 0)
				break;
			if (have + cl > cap) {
				while (have + cl > cap)
					cap = cap ? 2 * cap : 65536;
				uint8_t *nb = realloc(buf, cap);
				if (!nb)
					_exit(70);
				buf = nb;
			}
			if (rd(c, buf + have, cl)) {
				free(buf);
				return -1;
			}
			have += cl;
		}
		if (bc->type == TT_BIGVARBIN || bc->type == TT_BIGBINARY)
			put_hex(o, buf, have);
		else if (bc->type == TT_BIGVARCHR || bc->type == TT_BIGCHAR)
			put_latin1(o, buf, have);
		else if (have % 2) {
			free(buf);
			return -1;
		} else
			put_utf16(o, buf, have);
		free(buf);
		return 0;
	} else if (bc->type == TT_NVARCHAR || bc->type == TT_NCHAR || bc->type == TT_BIGVARCHR ||
		   bc->type == TT_BIGCHAR || bc->type == TT_BIGVARBIN || bc->type == TT_BIGBINARY) {
		if (rd_u16(c, &u16))
			return -1;
		if (u16 == 0xFFFF) {
			sb_puts(o, "\\N");
			return 0;
		}
		n = u16;
		v = vget(n ? n : 1);
		if (rd(c, vbuf, n))
			return -1;
	} else if (bc->type == TT_TEXT || bc->type == TT_NTEXT || bc->type == TT_IMAGE) {
		uint8_t skip[24];
		uint32_t len;
		if (rd_u8(c, &u8))
			return -1;
		if (u8 == 0) {
			sb_puts(o, "\\N");
			return 0;
		}
		if (u8 > 16 || rd(c, skip, u8) || rd(c, skip, 8) || rd_u32(c, &len))
			return -1;
		n = len;
		v = vget(n ? n : 1);
		if (rd(c, vbuf, n))
			return -1;
	} else {
		/* 1-byte length prefix; 0 is NULL */
		if (rd_u8(c, &u8))
			return -1;
		if (u8 == 0) {
			sb_puts(o, "\\N");
			return 0;
		}
		n = u8;
		if (n > sizeof fixed || rd(c, fixed, n))
			return -1;
	}
	switch (bc->type) {
	case TT_INT1:
		put_udec(o, fixed[0], 1);
		break;
	case TT_BIT:
	case TT_BITN:
		sb_putc(o, v[0] ? 't' : 'f');
		break;
	case TT_INT2: case TT_INT4: case TT_INT8:
		put_signed(o, v, n);
		break;
	case TT_INTN:
		if (n == 1)
			put_udec(o, v[0], 1);
		else
			put_signed(o, v, n);
		break;
	case TT_FLT4: case TT_FLT8: case TT_FLTN:
		if (n == 4) {
			float f;
			memcpy(&f, v, 4);
			put_float(o, f, 1);
		} else {
			double d;
			memcpy(&d, v, 8);
			put_float(o, d, 0);
		}
		break;
	case TT_DECIMALN: case TT_NUMERICN:
		put_numeric(o, v, n, bc->scale);
		break;
	case TT_MONEY: case TT_MONEY4: case TT_MONEYN:
		if (n != 4 && n != 8)
			return -1;
		put_money(o, v, n);
		break;
	case TT_GUID: {
		if (n != 16)
			return -1;
		/* the first three groups little-endian, as SQL Server sends them */
		static const uint8_t order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
		static const char hx[] = "0123456789abcdef";
		sb_grow(o, 36);
		for (int i = 0; i < 16; i++) {
			if (i == 4 || i == 6 || i == 8 || i == 10)
				o->p[o->n++] = '-';
			o->p[o->n++] = hx[v[order[i]] >> 4];
			o->p[o->n++] = hx[v[order[i]] & 15];
		}
		o->p[o->n] = 0;
		break;
	}
	case TT_DATE:
		if (n != 3)
			return -1;
		put_date(o, v);
		break;
	case TT_TIME:
		put_time(o, v, n, bc->scale);
		break;
	case TT_DATETIME2:
	case TT_DTOFFSET: {
		size_t tl = time_len(bc->scale);
		if (n != tl + 3 + (bc->type == TT_DTOFFSET ? 2 : 0))
			return -1;
		put_date(o, v + tl);
		sb_putc(o, ' ');
		put_time(o, v, tl, bc->scale);
		if (bc->type == TT_DTOFFSET)
			sb_puts(o, "+00");
		break;
	}
	case TT_NVARCHAR: case TT_NCHAR: case TT_NTEXT:
		if (n % 2)
			return -1; /* not UCS-2: SQL Server refuses it too */
		put_utf16(o, v, n);
		break;
	case TT_BIGVARCHR: case TT_BIGCHAR: case TT_TEXT:
		put_latin1(o, v, n);
		break;
	case TT_BIGVARBIN: case TT_BIGBINARY: case TT_IMAGE:
		put_hex(o, v, n);
		break;
	default:
		return -1;
	}
	return 0;
}

static void copy_ident(sbuf *o, const char *name)
{
	sb_putc(o, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			sb_putc(o, '"');
		sb_putc(o, *p);
	}
	sb_putc(o, '"');
}

void handle_bulk(session *s)
{
	tds_conn *c = s->c;
	struct bcol *cols = NULL;
	int ncols = 0, copying = 0, proto_err = 0;
	PGresult *err = NULL;
	uint64_t rows = 0;
	sbuf line;
	sb_init(&line);

	if (!s->bulk_target) {
		tds_skip_message(c);
		reply_delay(s);
		sess_error(s, 4804, 16, "While reading current row from host, a premature end-of-message was "
			   "encountered (BULK_LOAD without insert bulk).");
		goto reply;
	}
	if (read_colmeta(c, &cols, &ncols)) {
		proto_err = 1;
		goto drain;
	}
	sb_printf(&line, "COPY %s (", s->bulk_target);
	for (int i = 0; i < ncols; i++) {
		if (i)
			sb_puts(&line, ", ");
		copy_ident(&line, cols[i].name);
	}
	sb_puts(&line, ") FROM STDIN");
	peer_log(s->o, "bulk: %s", line.p);
	PGresult *r = PQexec(s->pg, line.p);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		err = r;
		goto drain;
	}
	PQclear(r);
	copying = 1;
	sb_reset(&line);
	for (;;) {
		uint8_t tok;
		if (rd_u8(c, &tok)) {
			if (!tds_msg_end(c) || c->dead)
				proto_err = 1;
			break;
		}
		if (tok == TOK_DONE) {
			uint8_t d[12];
			if (rd(c, d, 12))
				proto_err = 1;
			break;
		}
		if (tok != TOK_ROW) {
			proto_err = 1;
			break;
		}
		for (int i = 0; i < ncols; i++) {
			if (i)
				sb_putc(&line, '\t');
			if (read_value(c, &cols[i], &line)) {
				proto_err = 1;
				break;
			}
		}
		if (proto_err)
			break;
		sb_putc(&line, '\n');
		rows++;
		/* Small pieces, so PostgreSQL loads while the client is still
		 * sending (with 256 KiB it waited for each piece, and the client
		 * then waited for it). */
		if (line.n >= 32 * 1024) {
			if (PQputCopyData(s->pg, line.p, (int)line.n) != 1)
				break;
			sb_reset(&line);
		}
	}
drain:
	tds_skip_message(c);
	if (copying) {
		if (!proto_err && line.n)
			PQputCopyData(s->pg, line.p, (int)line.n);
		PQputCopyEnd(s->pg, proto_err ? "bad BULK_LOAD row from the TDS client" : NULL);
		PGresult *r2;
		while ((r2 = PQgetResult(s->pg)) != NULL) {
			if (PQresultStatus(r2) == PGRES_COMMAND_OK) {
				const char *ct = PQcmdTuples(r2);
				if (ct[0])
					rows = strtoull(ct, NULL, 10);
				PQclear(r2);
			} else if (!err) {
				err = r2;
			} else {
				PQclear(r2);
			}
		}
	}
	reply_delay(s);
	if (proto_err) {
		if (err)
			PQclear(err);
		err = NULL;
		pg_rollback_if_needed(s);
		sess_error(s, 4815, 16, "Received an invalid column length from the bcp client.");
	} else if (err) {
		send_pg_error(s, err, NULL);
	} else {
		s->rowcount = (long long)rows;
		queue_done(s, DONE_COUNT, 0, rows);
		peer_log(s->o, "bulk: %llu rows", (unsigned long long)rows);
	}
	if (err)
		PQclear(err);
	free(s->bulk_target);
	s->bulk_target = NULL;
reply:
	flush_done(s, 0);
	tds_reply_end(c);
	free(cols);
	sb_free(&line);
	free(vbuf);
	vbuf = NULL;
	vcap = 0;
}
