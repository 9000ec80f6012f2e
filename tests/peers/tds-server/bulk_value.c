/* bulk_value.c — one column value of a BULK_LOAD row, as it came on the
 * wire, into a PostgreSQL COPY: as COPY text (PostgreSQL parses it), or as
 * a binary COPY field for the PostgreSQL type of the target column
 * (PostgreSQL parses nothing, as SQL Server parses nothing on a bulk load).
 * The binary values are exactly the ones PostgreSQL would have parsed from
 * the text: same rounding of 100 ns units, same UTF-8, and the receive
 * functions apply the column's typmod as the input ones do, so errors
 * (too long, overflow, NULL, duplicates) are PostgreSQL's same errors.
 * bulk.c reads the rows and streams the COPY.
 */
#include "peer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* PostgreSQL type OIDs (pg_type.dat; fixed since forever) */
enum {
	OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23,
	OID_TEXT = 25, OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_BPCHAR = 1042,
	OID_VARCHAR = 1043, OID_DATE = 1082, OID_TIME = 1083, OID_TIMESTAMP = 1114,
	OID_TIMESTAMPTZ = 1184, OID_NUMERIC = 1700, OID_UUID = 2950
};

/* A little-endian unsigned integer of n bytes (n <= 8); the usual widths
 * are one load each, not a loop. */
static uint64_t le(const uint8_t *b, size_t n)
{
	switch (n) {
	case 1: return b[0];
	case 2: return (uint64_t)b[0] | (uint64_t)b[1] << 8;
	case 4: return le32(b);
	case 8: return le64(b);
	default: {
		uint64_t v = 0;
		for (size_t i = n; i-- > 0;)
			v = v << 8 | b[i];
		return v;
	}
	}
}

/* *v / d, and the remainder: 64-bit arithmetic when *v fits (128-bit
 * division is a library call, ten times slower). */
static inline uint32_t divmod(unsigned __int128 *v, uint32_t d)
{
	if ((*v >> 64) == 0) {
		uint64_t x = (uint64_t)*v;
		*v = x / d;
		return (uint32_t)(x % d);
	}
	unsigned __int128 q = *v / d;
	uint32_t r = (uint32_t)(*v - q * d);
	*v = q;
	return r;
}

/* A DECIMAL/NUMERIC value: sign byte (1 positive) then the magnitude,
 * little-endian, in n - 1 bytes (up to 16). */
static unsigned __int128 dec_mag(const uint8_t *b, size_t n)
{
	if (n <= 9)
		return le(b + 1, n - 1);
	return (unsigned __int128)le(b + 9, n - 9) << 64 | le64(b + 1);
}

/* MONEY / SMALLMONEY: an integer count of 1/10,000 (MONEYN of 8 bytes
 * sends the high 32 bits first). */
static int64_t money_val(const uint8_t *b, size_t n)
{
	return n == 4 ? (int32_t)le32(b) : (int64_t)((uint64_t)le32(b) << 32 | le32(b + 4));
}

static size_t time_len(int scale) { return scale <= 2 ? 3 : scale <= 4 ? 4 : 5; }

static const uint64_t pow10u[8] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};

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
		w = utf16_unit_to_utf8(w, u, b, &i, n);
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
	unsigned __int128 v = dec_mag(b, n);
	char dig[64];
	int k = 0;
	do
		dig[k++] = (char)('0' + divmod(&v, 10));
	while (v);
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

static void put_money(sbuf *o, const uint8_t *b, size_t n)
{
	int64_t v = money_val(b, n);
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


/* One value in COPY text form (v NULL: \N). 0, or -1 for a malformed one. */
int bulk_text_value(sbuf *o, const struct bcol *bc, const uint8_t *v, size_t n)
{
	if (!v) {
		sb_putn(o, "\\N", 2);
		return 0;
	}
	switch (bc->type) {
	case TT_INT1:
		put_udec(o, v[0], 1);
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
		for (size_t k = n; k < bc->pad_to; k++)
			sb_puts(o, "00"); /* binary(n) */
		break;
	default:
		return -1;
	}
	return 0;
}

/* ---- values → binary COPY ---- */

/* The binary form for a column of TDS type bc going into a PostgreSQL
 * column of type oid, or BE_NONE. Binary input is exact about types (the
 * bytes of an int4 are not an int8), so only pairs whose value converts
 * exactly as PostgreSQL would convert its text are here: integers into a
 * type at least as wide, floats into their own width, … */
enum benc bulk_binary_form(const struct bcol *bc, uint32_t oid)
{
	uint32_t w = 0; /* integer width on the wire (INTN: the most it sends) */
	switch (bc->type) {
	case TT_INT1: w = 1; break;
	case TT_INT2: w = 2; break;
	case TT_INT4: w = 4; break;
	case TT_INT8: w = 8; break;
	case TT_INTN: w = bc->maxlen; break;
	default: break;
	}
	if (oid == peer_varbinary_oid)
		oid = OID_BYTEA; /* bytea's binary form */
	switch (oid) {
	case OID_BOOL:
		return bc->type == TT_BIT || bc->type == TT_BITN ? BE_BOOL : BE_NONE;
	case OID_INT2:
		return w >= 1 && w <= 2 ? BE_INT2 : BE_NONE;
	case OID_INT4:
		return w >= 1 && w <= 4 ? BE_INT4 : BE_NONE;
	case OID_INT8:
		return w >= 1 && w <= 8 ? BE_INT8 : BE_NONE;
	case OID_FLOAT4:
		/* a float into double precision would differ: the text path
		 * goes through 9 decimal digits */
		return bc->type == TT_FLT4 || (bc->type == TT_FLTN && bc->maxlen == 4) ? BE_FLT4 : BE_NONE;
	case OID_FLOAT8:
		return bc->type == TT_FLT8 || (bc->type == TT_FLTN && bc->maxlen == 8) ? BE_FLT8 : BE_NONE;
	case OID_NUMERIC:
		if ((bc->type == TT_DECIMALN || bc->type == TT_NUMERICN) && bc->scale <= 38)
			return BE_NUMERIC;
		return bc->type == TT_MONEY || bc->type == TT_MONEY4 || bc->type == TT_MONEYN ? BE_NUMERIC : BE_NONE;
	case OID_DATE:
		return bc->type == TT_DATE ? BE_DATE : BE_NONE;
	case OID_TIME:
		return bc->type == TT_TIME && bc->scale <= 7 ? BE_TIME : BE_NONE;
	case OID_TIMESTAMP:
	case OID_TIMESTAMPTZ:
		/* the text path writes UTC (datetimeoffset with "+00"), and the
		 * session's TimeZone is UTC: either goes into either */
		return (bc->type == TT_DATETIME2 || bc->type == TT_DTOFFSET) && bc->scale <= 7 ? BE_TS : BE_NONE;
	case OID_UUID:
		return bc->type == TT_GUID ? BE_UUID : BE_NONE;
	case OID_BYTEA:
		return bc->type == TT_BIGVARBIN || bc->type == TT_BIGBINARY || bc->type == TT_IMAGE ? BE_BYTEA : BE_NONE;
	case OID_TEXT:
	case OID_VARCHAR:
	case OID_BPCHAR:
		switch (bc->type) {
		case TT_NVARCHAR: case TT_NCHAR: case TT_NTEXT: case TT_BIGVARCHR: case TT_BIGCHAR: case TT_TEXT:
			return BE_TEXT;
		default:
			return BE_NONE;
		}
	default:
		return BE_NONE;
	}
}

/* Room for n more bytes at the end of o. */
static char *room(sbuf *o, size_t n)
{
	if (o->n + n + 1 > o->cap)
		sb_grow(o, n);
	return o->p + o->n;
}

static char *be16(char *w, uint16_t v)
{
	w[0] = (char)(v >> 8);
	w[1] = (char)v;
	return w + 2;
}

static char *be32(char *w, uint32_t v)
{
	w[0] = (char)(v >> 24);
	w[1] = (char)(v >> 16);
	w[2] = (char)(v >> 8);
	w[3] = (char)v;
	return w + 4;
}

static char *be64(char *w, uint64_t v)
{
	be32(w, (uint32_t)(v >> 32));
	return be32(w + 4, (uint32_t)v);
}

/* UTF-16LE → UTF-8, at w (room for 3 * n / 2 bytes), as put_utf16 does
 * (an unpaired surrogate becomes U+FFFD) but unescaped; returns the end. */
static char *utf16_to_utf8(char *w, const uint8_t *b, size_t n)
{
	size_t i = 0;
	n &= ~(size_t)1; /* a stray odd byte is no character */
	while (i < n) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		/* ASCII runs, four characters at a time */
		while (i + 8 <= n) {
			uint64_t x;
			memcpy(&x, b + i, 8);
			if (x & 0xFF80FF80FF80FF80ull)
				break;
			w[0] = (char)x;
			w[1] = (char)(x >> 16);
			w[2] = (char)(x >> 32);
			w[3] = (char)(x >> 48);
			w += 4;
			i += 8;
		}
		if (i >= n)
			break;
#endif
		uint32_t u = b[i] | (uint32_t)b[i + 1] << 8;
		i += 2;
		if (u < 0x80) {
			*w++ = (char)u;
			continue;
		}
		w = utf16_unit_to_utf8(w, u, b, &i, n);
	}
	return w;
}

/* Latin-1 → UTF-8 at w (room for 2 * n bytes); returns the end. */
static char *latin1_to_utf8(char *w, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (b[i] < 0x80) {
			*w++ = (char)b[i];
		} else {
			*w++ = (char)(0xC0 | (b[i] >> 6));
			*w++ = (char)(0x80 | (b[i] & 0x3F));
		}
	}
	return w;
}

/* PostgreSQL's binary numeric: ndigits, weight (of the first digit, in
 * powers of 10000), sign, dscale, then base-10000 digits, the decimal
 * point between two digits. The value mag / 10^scale, with dscale =
 * scale as numeric_in gives "123.40" (the receive function then rounds to
 * the column's typmod, as the input function does). */
static char *numeric_bin(char *w, int neg, unsigned __int128 mag, int scale)
{
	/* base-10000 digits, filled from the last: the fraction's groups
	 * (the last one padded with zeros on the right), then the integer's */
	uint16_t d[24];
	int end = 24, k = end, fg = (scale + 3) / 4;
	if (fg) {
		int last = scale - 4 * (fg - 1);
		uint32_t r = last == 1 ? divmod(&mag, 10) : last == 2 ? divmod(&mag, 100) :
			     last == 3 ? divmod(&mag, 1000) : divmod(&mag, 10000);
		d[--k] = (uint16_t)(r * pow10u[4 - last]);
		while (k > end - fg)
			d[--k] = (uint16_t)divmod(&mag, 10000);
	}
	while (mag)
		d[--k] = (uint16_t)divmod(&mag, 10000);
	int weight = end - fg - k - 1;
	while (k < end && d[k] == 0) {
		k++;
		weight--;
	}
	while (end > k && d[end - 1] == 0)
		end--;
	int nd = end - k;
	if (nd == 0) {
		weight = 0;
		neg = 0;
	}
	w = be32(w, (uint32_t)(8 + 2 * nd));
	w = be16(w, (uint16_t)nd);
	w = be16(w, (uint16_t)(int16_t)weight);
	w = be16(w, neg ? 0x4000 : 0);
	w = be16(w, (uint16_t)scale);
	for (int i = k; i < end; i++)
		w = be16(w, d[i]);
	return w;
}

/* 10^-scale s units since midnight → microseconds, or -1 past a day.
 * The fraction is rounded as PostgreSQL rounds ".fffffff" of the text
 * path: rint() of the fraction parsed as a double times 10^6. */
static int64_t time_usec(const uint8_t *b, size_t n, int scale)
{
	uint64_t v = le(b, n), p = pow10u[scale];
	uint64_t secs = v / p, frac = v % p;
	if (secs >= 86400)
		return -1;
	int64_t us = (int64_t)secs * 1000000;
	if (scale > 0)
		us += (int64_t)rint((double)frac / (double)p * 1000000.0);
	return us;
}

/* days from 0001-01-01 to 2000-01-01, PostgreSQL's epoch */
#define DAYS_0001_TO_2000 730119

/* A value of a binary(n) column as a binary COPY field: padded with zero
 * bytes to n, as SQL Server stores it (SET ANSI_PADDING ON). Never
 * inlined: inlined, its registers cost every value of every column in
 * bulk_binary_value two more saved (callgrind: 6 → 8 instructions a
 * call around the body). */
static __attribute__((noinline)) int binary_n_value(sbuf *o, const struct bcol *bc, const uint8_t *v, size_t n)
{
	size_t pad = bc->pad_to > n ? bc->pad_to - n : 0;
	if (n > INT32_MAX)
		return -1;
	char *w = be32(room(o, 4 + n + pad), (uint32_t)(n + pad));
	memcpy(w, v, n);
	memset(w + n, 0, pad);
	o->n = (size_t)(w + n + pad - o->p);
	return 0;
}

/* One value as a binary COPY field (v NULL: NULL). 0, or -1 for a
 * malformed one. */
int bulk_binary_value(sbuf *o, const struct bcol *bc, const uint8_t *v, size_t n)
{
	char *w;
	if (!v) {
		be32(room(o, 4), 0xFFFFFFFFu);
		o->n += 4;
		return 0;
	}
	switch (bc->enc) {
	case BE_BOOL:
		if (n != 1)
			return -1;
		w = be32(room(o, 5), 1);
		*w++ = v[0] != 0;
		break;
	case BE_INT2: case BE_INT4: case BE_INT8: {
		size_t width = bc->enc == BE_INT2 ? 2 : bc->enc == BE_INT4 ? 4 : 8;
		if (n > width || (n != 1 && n != 2 && n != 4 && n != 8))
			return -1;
		uint64_t u = le(v, n);
		/* one byte is tinyint, unsigned; wider ones are signed */
		if (n > 1 && n < 8 && (v[n - 1] & 0x80))
			u |= ~(uint64_t)0 << (8 * n);
		w = be32(room(o, 4 + width), (uint32_t)width);
		if (width == 2)
			w = be16(w, (uint16_t)u);
		else if (width == 4)
			w = be32(w, (uint32_t)u);
		else
			w = be64(w, u);
		break;
	}
	case BE_FLT4:
		if (n != 4)
			return -1;
		w = be32(be32(room(o, 8), 4), le32(v));
		break;
	case BE_FLT8:
		if (n != 8)
			return -1;
		w = be64(be32(room(o, 12), 8), le64(v));
		break;
	case BE_NUMERIC:
		w = room(o, 4 + 8 + 2 * 24);
		if (bc->type == TT_MONEY || bc->type == TT_MONEY4 || bc->type == TT_MONEYN) {
			if (n != 4 && n != 8)
				return -1;
			int64_t m = money_val(v, n);
			w = numeric_bin(w, m < 0, m < 0 ? 0 - (uint64_t)m : (uint64_t)m, 4);
		} else {
			if (n < 2 || n > 17)
				return -1;
			w = numeric_bin(w, v[0] == 0, dec_mag(v, n), bc->scale);
		}
		break;
	case BE_DATE:
		if (n != 3)
			return -1;
		w = be32(be32(room(o, 8), 4), (uint32_t)(int32_t)((long)le(v, 3) - DAYS_0001_TO_2000));
		break;
	case BE_TIME: {
		int64_t us = n == time_len(bc->scale) ? time_usec(v, n, bc->scale) : -1;
		if (us < 0)
			return -1;
		w = be64(be32(room(o, 12), 8), (uint64_t)us);
		break;
	}
	case BE_TS: {
		size_t tl = time_len(bc->scale);
		if (n != tl + 3 + (bc->type == TT_DTOFFSET ? 2 : 0))
			return -1;
		/* datetimeoffset: UTC time and date, then the offset (the text
		 * path writes the UTC time with "+00") */
		int64_t us = time_usec(v, tl, bc->scale);
		if (us < 0)
			return -1;
		int64_t days = (int64_t)le(v + tl, 3) - DAYS_0001_TO_2000;
		w = be64(be32(room(o, 12), 8), (uint64_t)(days * 86400 * 1000000 + us));
		break;
	}
	case BE_UUID: {
		if (n != 16)
			return -1;
		/* the first three groups little-endian, as SQL Server sends them */
		static const uint8_t order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
		w = be32(room(o, 20), 16);
		for (int i = 0; i < 16; i++)
			*w++ = (char)v[order[i]];
		break;
	}
	case BE_BYTEA:
		if (n > INT32_MAX)
			return -1;
		w = be32(room(o, 4 + n), (uint32_t)n);
		memcpy(w, v, n);
		w += n;
		break;
	case BE_BINARY_N:
		return binary_n_value(o, bc, v, n);
	case BE_TEXT: {
		int wide = bc->type == TT_NVARCHAR || bc->type == TT_NCHAR || bc->type == TT_NTEXT;
		if ((wide && n % 2) || n > INT32_MAX / 2)
			return -1; /* not UCS-2: SQL Server refuses it too */
		char *len = room(o, 4 + 2 * n);
		w = wide ? utf16_to_utf8(len + 4, v, n) : latin1_to_utf8(len + 4, v, n);
		be32(len, (uint32_t)(w - len - 4));
		break;
	}
	default:
		return -1;
	}
	o->n = (size_t)(w - o->p);
	return 0;
}

/* The start of a binary COPY row: its field count. */
void bulk_binary_row(sbuf *o, int ncols)
{
	be16(room(o, 2), (uint16_t)ncols);
	o->n += 2;
}

/* binary COPY header: signature, flags, header extension length */
const char bulk_binary_header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
