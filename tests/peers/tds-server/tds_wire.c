/* tds_wire.c — TDS packets in and out, token writers, UTF-8 <-> UTF-16LE.
 *
 * Input is read through one socket buffer and handed out as the payload of
 * one message at a time, across packet boundaries, so callers can stream a
 * BULK_LOAD of any size. Output is cut into packets of the negotiated size
 * as it is written, so a large result set never sits in memory.
 */
#include "peer.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* SQL_Latin1_General_CP1_CI_AS */
const uint8_t tds_collation[5] = {0x09, 0x04, 0xD0, 0x00, 0x34};

/* ---- sbuf ---- */
void sb_init(sbuf *b) { b->p = NULL; b->n = b->cap = 0; }
void sb_free(sbuf *b) { free(b->p); sb_init(b); }
void sb_reset(sbuf *b) { b->n = 0; if (b->p) b->p[0] = 0; }

void sb_grow(sbuf *b, size_t extra)
{
	if (b->n + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->n + extra + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		fprintf(stderr, "tds-server: out of memory\n");
		_exit(70);
	}
	b->p = p;
	b->cap = cap;
}

void sb_putn(sbuf *b, const char *s, size_t n)
{
	sb_grow(b, n);
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

void sb_puts(sbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }
void sb_putc(sbuf *b, char c) { sb_putn(b, &c, 1); }

void sb_printf(sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	sb_grow(b, (size_t)k);
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, (size_t)k + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)k;
}

char *sb_take(sbuf *b)
{
	if (!b->p) {
		sb_grow(b, 0);
		b->p[0] = 0;
	}
	char *p = b->p;
	sb_init(b);
	return p;
}

/* ---- connection ---- */
void tds_conn_init(tds_conn *c, int fd)
{
	memset(c, 0, sizeof *c);
	c->fd = fd;
	c->pkt_last = 1;
	tds_set_packet_size(c, 4096);
}

void tds_conn_free(tds_conn *c)
{
	free(c->obuf);
	c->obuf = NULL;
}

void tds_set_packet_size(tds_conn *c, size_t n)
{
	uint8_t *p = realloc(c->obuf, n);
	if (!p)
		_exit(70);
	c->obuf = p;
	c->pktsize = n;
	c->opos = 8;
}

static int fill(tds_conn *c)
{
	if (c->rpos < c->rlen)
		return 0;
	if (c->dead)
		return -1;
	for (;;) {
		ssize_t r = read(c->fd, c->rbuf, sizeof c->rbuf);
		if (r > 0) {
			c->rpos = 0;
			c->rlen = (size_t)r;
			return 0;
		}
		if (r < 0 && errno == EINTR)
			continue;
		c->dead = 1;
		return -1;
	}
}

static int raw_read(tds_conn *c, uint8_t *d, size_t n)
{
	while (n) {
		if (fill(c))
			return -1;
		size_t k = c->rlen - c->rpos;
		if (k > n)
			k = n;
		memcpy(d, c->rbuf + c->rpos, k);
		c->rpos += k;
		d += k;
		n -= k;
	}
	return 0;
}

static int read_header(tds_conn *c)
{
	uint8_t h[8];
	if (raw_read(c, h, 8))
		return -1;
	size_t len = ((size_t)h[2] << 8) | h[3];
	if (len < 8) {
		c->dead = 1;
		return -1;
	}
	c->msg_type = h[0];
	c->pkt_last = h[1] & 1;
	c->pkt_left = len - 8;
	return 0;
}

int tds_next_message(tds_conn *c)
{
	if (read_header(c))
		return -1;
	return c->msg_type;
}

int tds_read(tds_conn *c, void *dst, size_t n)
{
	uint8_t *d = dst;
	while (n) {
		while (c->pkt_left == 0) {
			if (c->pkt_last || read_header(c))
				return -1;
		}
		if (fill(c))
			return -1;
		size_t k = c->rlen - c->rpos;
		if (k > n)
			k = n;
		if (k > c->pkt_left)
			k = c->pkt_left;
		memcpy(d, c->rbuf + c->rpos, k);
		c->rpos += k;
		c->pkt_left -= k;
		d += k;
		n -= k;
	}
	return 0;
}

int tds_msg_end(tds_conn *c)
{
	return c->pkt_left == 0 && c->pkt_last;
}

void tds_skip_message(tds_conn *c)
{
	uint8_t tmp[4096];
	while (!c->dead && !tds_msg_end(c)) {
		size_t k = c->pkt_left ? c->pkt_left : 1;
		if (k > sizeof tmp)
			k = sizeof tmp;
		if (tds_read(c, tmp, k))
			break;
	}
}

uint8_t *tds_read_message(tds_conn *c, size_t *len, size_t limit)
{
	size_t cap = 4096, n = 0;
	uint8_t *p = malloc(cap);
	if (!p)
		_exit(70);
	while (!tds_msg_end(c)) {
		if (c->pkt_left == 0) {
			if (read_header(c))
				break;
			continue;
		}
		size_t k = c->pkt_left;
		if (n + k > limit) {
			free(p);
			tds_skip_message(c);
			return NULL;
		}
		if (n + k > cap) {
			while (n + k > cap)
				cap *= 2;
			uint8_t *q = realloc(p, cap);
			if (!q)
				_exit(70);
			p = q;
		}
		if (tds_read(c, p + n, k)) {
			free(p);
			return NULL;
		}
		n += k;
	}
	if (c->dead) {
		free(p);
		return NULL;
	}
	*len = n;
	return p;
}

int tds_input_pending(tds_conn *c, int timeout_ms)
{
	if (c->rpos < c->rlen)
		return 1;
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	int r = poll(&pfd, 1, timeout_ms);
	return r > 0;
}

/* ---- output ---- */
static void write_all(tds_conn *c, const uint8_t *p, size_t n)
{
	while (n && !c->dead) {
		ssize_t w = write(c->fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			c->dead = 1;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void out_packet(tds_conn *c, int last)
{
	uint8_t *h = c->obuf;
	h[0] = PKT_REPLY;
	h[1] = last ? 1 : 0;
	h[2] = (uint8_t)(c->opos >> 8);
	h[3] = (uint8_t)c->opos;
	h[4] = 0;
	h[5] = 0;
	h[6] = ++c->pkt_id;
	h[7] = 0;
	if (!c->discard)
		write_all(c, c->obuf, c->opos);
	c->opos = 8;
}

void tds_put(tds_conn *c, const void *p, size_t n)
{
	const uint8_t *s = p;
	while (n) {
		if (c->opos == c->pktsize)
			out_packet(c, 0);
		size_t k = c->pktsize - c->opos;
		if (k > n)
			k = n;
		memcpy(c->obuf + c->opos, s, k);
		c->opos += k;
		s += k;
		n -= k;
	}
}

void tds_reply_end(tds_conn *c)
{
	out_packet(c, 1);
	c->pkt_id = 0;
}

void tds_put_u8(tds_conn *c, uint8_t v) { tds_put(c, &v, 1); }

void tds_put_u16(tds_conn *c, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	tds_put(c, b, 2);
}

void tds_put_u32(tds_conn *c, uint32_t v)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	tds_put(c, b, 4);
}

void tds_put_u64(tds_conn *c, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	tds_put(c, b, 8);
}

static uint8_t *to_utf16(const char *s, size_t *units)
{
	size_t n = strlen(s);
	uint8_t *u = malloc(2 * n + 2);
	if (!u)
		_exit(70);
	*units = utf8_to_utf16le(s, n, u) / 2;
	return u;
}

void tds_put_bvarchar(tds_conn *c, const char *s)
{
	size_t units;
	uint8_t *u = to_utf16(s, &units);
	if (units > 255)
		units = 255;
	tds_put_u8(c, (uint8_t)units);
	tds_put(c, u, units * 2);
	free(u);
}

void tds_put_usvarchar(tds_conn *c, const char *s)
{
	size_t units;
	uint8_t *u = to_utf16(s, &units);
	if (units > 65535)
		units = 65535;
	tds_put_u16(c, (uint16_t)units);
	tds_put(c, u, units * 2);
	free(u);
}

void tds_put_done(tds_conn *c, uint8_t token, uint16_t status, uint16_t cmd, uint64_t rows)
{
	tds_put_u8(c, token);
	tds_put_u16(c, status);
	tds_put_u16(c, cmd);
	tds_put_u64(c, rows);
}

void tds_put_msg(tds_conn *c, uint8_t token, int32_t number, uint8_t state, uint8_t cls,
		 const char *msg, int line)
{
	static const char server[] = "tds-peer";
	size_t mu, su;
	uint8_t *m = to_utf16(msg, &mu);
	uint8_t *sv = to_utf16(server, &su);
	if (mu > 65535)
		mu = 65535;
	size_t len = 4 + 1 + 1 + 2 + mu * 2 + 1 + su * 2 + 1 + 4;
	tds_put_u8(c, token);
	tds_put_u16(c, (uint16_t)len);
	tds_put_u32(c, (uint32_t)number);
	tds_put_u8(c, state);
	tds_put_u8(c, cls);
	tds_put_u16(c, (uint16_t)mu);
	tds_put(c, m, mu * 2);
	tds_put_u8(c, (uint8_t)su);
	tds_put(c, sv, su * 2);
	tds_put_u8(c, 0); /* procedure name */
	tds_put_u32(c, (uint32_t)line);
	free(m);
	free(sv);
}

void tds_put_envchange_str(tds_conn *c, uint8_t type, const char *newv, const char *oldv)
{
	size_t nu, ou;
	uint8_t *n = to_utf16(newv, &nu);
	uint8_t *o = to_utf16(oldv, &ou);
	if (nu > 255)
		nu = 255;
	if (ou > 255)
		ou = 255;
	tds_put_u8(c, TOK_ENVCHANGE);
	tds_put_u16(c, (uint16_t)(1 + 1 + nu * 2 + 1 + ou * 2));
	tds_put_u8(c, type);
	tds_put_u8(c, (uint8_t)nu);
	tds_put(c, n, nu * 2);
	tds_put_u8(c, (uint8_t)ou);
	tds_put(c, o, ou * 2);
	free(n);
	free(o);
}

/* ---- UTF-8 <-> UTF-16LE ---- */
static size_t put_unit(uint8_t *out, size_t o, uint32_t u)
{
	out[o] = (uint8_t)u;
	out[o + 1] = (uint8_t)(u >> 8);
	return o + 2;
}

size_t utf8_to_utf16le(const char *str, size_t n, uint8_t *out)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0, o = 0;
	while (i < n) {
		uint32_t cp;
		uint8_t b = s[i];
		size_t need;
		if (b < 0x80) {
			o = put_unit(out, o, b);
			i++;
			continue;
		} else if ((b & 0xE0) == 0xC0) {
			cp = b & 0x1F;
			need = 1;
		} else if ((b & 0xF0) == 0xE0) {
			cp = b & 0x0F;
			need = 2;
		} else if ((b & 0xF8) == 0xF0) {
			cp = b & 0x07;
			need = 3;
		} else {
			o = put_unit(out, o, 0xFFFD);
			i++;
			continue;
		}
		if (i + need >= n) { /* truncated sequence */
			o = put_unit(out, o, 0xFFFD);
			i = n;
			continue;
		}
		int bad = 0;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80) {
				bad = 1;
				break;
			}
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (bad || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
			o = put_unit(out, o, 0xFFFD);
			i++;
			continue;
		}
		i += need + 1;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			o = put_unit(out, o, 0xD800 | (cp >> 10));
			o = put_unit(out, o, 0xDC00 | (cp & 0x3FF));
		} else {
			o = put_unit(out, o, cp);
		}
	}
	return o;
}

size_t utf16le_to_utf8(const uint8_t *in, size_t nbytes, char *out)
{
	size_t i = 0, o = 0;
	nbytes &= ~(size_t)1;
	while (i < nbytes) {
		uint32_t u = in[i] | ((uint32_t)in[i + 1] << 8);
		i += 2;
		if (u < 0x80)
			out[o++] = (char)u;
		else
			o = (size_t)(utf16_unit_to_utf8(out + o, u, in, &i, nbytes) - out);
	}
	return o;
}
