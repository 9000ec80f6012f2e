/* dbz_value.c — see dbz_value.h. The Debezium facts come from its
 * PostgreSQL connector (PostgresValueConverter, TemporalPrecisionMode,
 * the io.debezium.time and io.debezium.data types, release 3.6.1.Final)
 * and Kafka's JsonConverter (schema nodes: type, items/fields, optional,
 * name, version, doc, parameters; bytes as base64). */
#include "dbz_value.h"

#include "arena.h"
#include "civil.h"
#include "floattext.h"
#include "record_priv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US_PER_DAY 86400000000LL
/* What Debezium writes for PostgreSQL's ±infinity timestamps: pgjdbc's
 * PGStatement.DATE_POSITIVE/NEGATIVE_INFINITY read as microseconds, and
 * those microseconds in milliseconds for io.debezium.time.Timestamp. */
#define TS_POS_INF_US INT64_C(9223372036825200000)
#define TS_NEG_INF_US INT64_C(-9223372036832400000)
/* io.debezium.data.Uuid arrays hold this for an unchanged TOAST value:
 * Java's UUID.nameUUIDFromBytes of the placeholder's bytes. */
#define PLACEHOLDER_UUID "b68a35a7-17ad-35b3-af2a-ae46edb4545a"

static inline int put(buf *out, const void *s, size_t n)
{
	return rec_put(out, s, n);
}

static int put_s(buf *out, const char *s)
{
	return buf_append(out, s, strlen(s));
}

static int put_i64(buf *out, int64_t v)
{
	char tmp[24];
	size_t n = 0;
	if (v < 0)
		tmp[n++] = '-';
	n += record_fmt_u64(tmp + n, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
	return put(out, tmp, n);
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The index after the run of digits at s[i] (i itself when none). */
static size_t digits_end(const char *s, size_t i, size_t n)
{
	while (i < n && digit(s[i]))
		i++;
	return i;
}

/* ---- base64 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int dbz_base64_put(buf *out, const unsigned char *b, size_t n)
{
	if (buf_reserve(out, (n + 2) / 3 * 4) < 0)
		return -1;
	char *o = out->data + out->len;
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];
		*o++ = b64[v >> 18];
		*o++ = b64[v >> 12 & 63];
		*o++ = b64[v >> 6 & 63];
		*o++ = b64[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)b[i] << 16;
		*o++ = b64[v >> 18];
		*o++ = b64[v >> 12 & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8;
		*o++ = b64[v >> 18];
		*o++ = b64[v >> 12 & 63];
		*o++ = b64[v >> 6 & 63];
		*o++ = '=';
	}
	out->len = (size_t)(o - out->data);
	return 0;
}

static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes base64 s[0..n) (padding optional, nothing else) into out
 * (reset first). 0 or -1. */
static int base64_get(const char *s, size_t n, buf *out)
{
	buf_reset(out);
	while (n > 0 && s[n - 1] == '=' && n % 4 != 1)
		n--;
	if (n % 4 == 1 || buf_reserve(out, n / 4 * 3 + 3) < 0)
		return -1;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64_val((unsigned char)s[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out->data[out->len++] = (char)(acc >> bits & 0xff);
		}
	}
	/* the bits left over must be zero, as an encoder writes them */
	return (acc & ((1u << bits) - 1)) ? -1 : 0;
}

/* ---- big integers: decimal digits <-> two's complement bytes ----
 * Base 2^32 limbs, least significant first; schoolbook, O(n^2) in the
 * digits, which is fine for the sizes numeric holds. */

/* Appends the minimal big-endian two's complement bytes of the integer
 * with decimal digits d[0..n) and sign neg (Java's BigInteger.toByteArray). */
static int twos_from_digits(const char *d, size_t n, bool neg, buf *out)
{
	while (n > 0 && *d == '0') {
		d++;
		n--;
	}
	size_t cap = n / 9 + 2, nl = 0;
	uint32_t *l = calloc(cap, sizeof *l);
	if (!l)
		return -1;
	size_t i = 0, first = n % 9 ? n % 9 : 9;
	while (i < n) {
		size_t k = i == 0 ? first : 9;
		uint32_t chunk = 0, mul = 1;
		for (size_t j = 0; j < k; j++) {
			chunk = chunk * 10 + (uint32_t)(d[i + j] - '0');
			mul *= 10;
		}
		i += k;
		uint64_t carry = chunk;
		for (size_t j = 0; j < nl; j++) {
			uint64_t v = (uint64_t)l[j] * mul + carry;
			l[j] = (uint32_t)v;
			carry = v >> 32;
		}
		if (carry)
			l[nl++] = (uint32_t)carry;
	}
	/* magnitude, big-endian, minimal (zero: one 0 byte) */
	size_t nb = nl * 4;
	unsigned char *m = malloc(nb + 2);
	if (!m) {
		free(l);
		return -1;
	}
	for (size_t j = 0; j < nl; j++)
		for (int b = 0; b < 4; b++)
			m[1 + nb - 1 - (j * 4 + (size_t)b)] = (unsigned char)(l[j] >> (8 * b));
	free(l);
	unsigned char *p = m + 1;
	while (nb > 0 && *p == 0) {
		p++;
		nb--;
	}
	if (nb == 0) {
		free(m);
		return put(out, "\0", 1);
	}
	if (neg) {
		/* ~mag + 1 in nb bytes */
		int carry = 1;
		for (size_t j = nb; j-- > 0;) {
			int v = (unsigned char)~p[j] + carry;
			p[j] = (unsigned char)v;
			carry = v >> 8;
		}
		if (!(p[0] & 0x80))
			*--p = 0xff, nb++;
	} else if (p[0] & 0x80) {
		*--p = 0, nb++;
	}
	int rc = put(out, p, nb);
	free(m);
	return rc;
}

/* The decimal digits (no sign, no leading zeros; "0" for zero) of the
 * big-endian two's complement integer b[0..n), into out (appended). */
static int digits_from_twos(const unsigned char *b, size_t n, bool *neg, buf *out)
{
	*neg = n > 0 && (b[0] & 0x80);
	size_t nl = (n + 3) / 4;
	uint32_t *l = calloc(nl + 1, sizeof *l);
	if (!l)
		return -1;
	/* magnitude: the bytes, or their two's complement when negative */
	int carry = 1;
	for (size_t i = 0; i < n; i++) {
		unsigned v = b[n - 1 - i];
		if (*neg) {
			v = (unsigned char)~v + (unsigned)carry;
			carry = v >> 8;
			v &= 0xff;
		}
		l[i / 4] |= (uint32_t)v << (8 * (i % 4));
	}
	while (nl > 0 && l[nl - 1] == 0)
		nl--;
	/* repeated division by 10^9: nine digits a step, least first */
	size_t cap = nl * 10 + 10, nd = 0;
	char *dig = malloc(cap);
	if (!dig) {
		free(l);
		return -1;
	}
	do {
		uint64_t rem = 0;
		for (size_t j = nl; j-- > 0;) {
			uint64_t cur = rem << 32 | l[j];
			l[j] = (uint32_t)(cur / 1000000000u);
			rem = cur % 1000000000u;
		}
		while (nl > 0 && l[nl - 1] == 0)
			nl--;
		for (int k = 0; k < 9; k++) {
			dig[nd++] = (char)('0' + rem % 10);
			rem /= 10;
			if (nl == 0 && rem == 0)
				break;
		}
	} while (nl > 0);
	free(l);
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	int rc = buf_reserve(out, nd);
	if (rc == 0)
		for (size_t k = 0; k < nd; k++)
			out->data[out->len++] = dig[nd - 1 - k];
	free(dig);
	return rc;
}

/* ---- numeric texts ---- */

/* A numeric text "-?D+(.D+)?" split: its sign, integer and fraction
 * digits. false for anything else (NaN, Infinity, exponents). */
static bool split_decimal(const char *s, size_t n, bool *neg, const char **ip, size_t *il, const char **fp,
			  size_t *fl)
{
	size_t i = 0;
	*neg = n > 0 && s[0] == '-';
	if (*neg)
		i++;
	size_t a = i;
	if ((i = digits_end(s, i, n)) == a)
		return false;
	*ip = s + a;
	*il = i - a;
	*fp = s + i;
	*fl = 0;
	if (i < n && s[i] == '.') {
		size_t b = ++i;
		if ((i = digits_end(s, i, n)) == b)
			return false;
		*fp = s + b;
		*fl = i - b;
	}
	return i == n;
}

/* The bytes of a numeric(p,s) value with s < 0 (PostgreSQL 15 rounds such
 * a column to a multiple of 10^-s): the unscaled value is the value /
 * 10^-s, exactly, as Kafka Connect's Decimal (value = unscaled * 10^-scale,
 * any int scale) reads it back; a value that is no such multiple has no
 * Decimal of the scale. */
static int decimal_put_negative(buf *out, const char *s, size_t n, bool neg, const char *ip, size_t il,
				const char *fp, size_t fl, int scale, char *err, size_t errlen)
{
	size_t z = (size_t)-scale;
	while (il > 1 && ip[0] == '0') {
		ip++;
		il--;
	}
	bool zero = il == 1 && ip[0] == '0';
	bool multiple = zero || il > z;
	for (size_t i = 0; multiple && i < fl; i++)
		multiple = fp[i] == '0';
	for (size_t i = 0; multiple && !zero && i < z; i++)
		multiple = ip[il - 1 - i] == '0';
	if (!multiple) {
		char unit[48] = "1";
		if (z < sizeof unit - 1)
			memset(unit + 1, '0', z);
		else
			snprintf(unit, sizeof unit, "10^%zu", z);
		return record_errf(err, errlen, "%.*s is not a multiple of %s (its Decimal's scale is %d)",
				   (int)(n > 40 ? 40 : n), s, unit, scale);
	}
	buf tmp;
	buf_init(&tmp, 0);
	int rc = twos_from_digits(ip, zero ? 1 : il - z, neg, &tmp);
	if (rc == 0)
		rc = dbz_base64_put(out, (const unsigned char *)tmp.data, tmp.len);
	buf_free(&tmp);
	return rc < 0 ? record_errf(err, errlen, "out of memory") : 0;
}

/* Appends the bytes of the decimal text s[0..n) unscaled at scale. */
static int decimal_put_bytes(buf *out, const char *s, size_t n, int scale, char *err, size_t errlen)
{
	bool neg;
	const char *ip, *fp;
	size_t il, fl;
	if (!split_decimal(s, n, &neg, &ip, &il, &fp, &fl))
		return record_errf(err, errlen, "\"%.*s\" has no Decimal form (precise mode holds no NaN or Infinity)",
			    (int)(n > 40 ? 40 : n), s);
	if (scale < 0)
		return decimal_put_negative(out, s, n, neg, ip, il, fp, fl, scale, err, errlen);
	/* more fraction digits than the scale: only zeros may go */
	while (fl > (size_t)scale) {
		if (fp[fl - 1] != '0')
			return record_errf(err, errlen, "%.*s has more than %d decimal places", (int)(n > 40 ? 40 : n), s,
				    scale);
		fl--;
	}
	size_t total = il + (size_t)scale;
	char *d = malloc(total + 1);
	if (!d)
		return record_errf(err, errlen, "out of memory");
	memcpy(d, ip, il);
	memcpy(d + il, fp, fl);
	memset(d + il + fl, '0', (size_t)scale - fl);
	buf tmp;
	buf_init(&tmp, 0);
	int rc = twos_from_digits(d, total, neg, &tmp);
	free(d);
	if (rc == 0)
		rc = dbz_base64_put(out, (const unsigned char *)tmp.data, tmp.len);
	buf_free(&tmp);
	return rc < 0 ? record_errf(err, errlen, "out of memory") : 0;
}

/* The decimal text of unscaled digits d[0..n) (no leading zeros) at
 * scale, as PostgreSQL prints a numeric of that scale, into out. */
static int decimal_text(buf *out, bool neg, const char *d, size_t n, int scale)
{
	bool zero = n == 1 && d[0] == '0';
	if (neg && !zero && put(out, "-", 1) < 0)
		return -1;
	if (scale <= 0) {
		if (put(out, d, n) < 0)
			return -1;
		for (int i = 0; i < -scale && !zero; i++)
			if (put(out, "0", 1) < 0)
				return -1;
		return 0;
	}
	size_t s = (size_t)scale;
	if (n > s) {
		if (put(out, d, n - s) < 0 || put(out, ".", 1) < 0 || put(out, d + n - s, s) < 0)
			return -1;
		return 0;
	}
	if (put(out, "0.", 2) < 0)
		return -1;
	for (size_t i = n; i < s; i++)
		if (put(out, "0", 1) < 0)
			return -1;
	return put(out, d, n);
}

/* The numeric text of Decimal bytes (base64 b64text) at scale. */
static int decimal_from_base64(const char *s, size_t n, int scale, buf *out, char *err, size_t errlen)
{
	buf raw, dig;
	buf_init(&raw, 0);
	buf_init(&dig, 0);
	bool neg;
	int rc = -1;
	if (base64_get(s, n, &raw) < 0)
		record_errf(err, errlen, "Decimal bytes are not base64");
	else if (raw.len == 0)
		record_errf(err, errlen, "Decimal without bytes");
	else if (digits_from_twos((const unsigned char *)raw.data, raw.len, &neg, &dig) < 0 ||
		 decimal_text(out, neg, dig.data, dig.len, scale) < 0)
		record_errf(err, errlen, "out of memory");
	else
		rc = 0;
	buf_free(&raw);
	buf_free(&dig);
	return rc;
}

/* A JSON number's text as plain decimal text, exactly (exponent applied);
 * at least min_scale fraction digits when min_scale >= 0. */
static int number_text(const char *s, size_t n, int min_scale, buf *out, char *err, size_t errlen)
{
	bool neg = n > 0 && s[0] == '-';
	size_t i = neg;
	buf dig;
	buf_init(&dig, 0);
	long scale = 0;
	while (i < n && digit(s[i]))
		buf_putc(&dig, s[i++]);
	if (i < n && s[i] == '.')
		for (i++; i < n && digit(s[i]); i++, scale++)
			buf_putc(&dig, s[i]);
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		bool eneg = i < n && s[i] == '-';
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		long e = 0;
		for (; i < n && digit(s[i]); i++) {
			e = e * 10 + (s[i] - '0');
			if (e > 100000) {
				buf_free(&dig);
				return record_errf(err, errlen, "number %.*s out of range", (int)(n > 40 ? 40 : n), s);
			}
		}
		scale -= eneg ? -e : e;
	}
	/* a negative scale becomes zeros; then drop leading zeros (keep one
	 * digit) and trailing zeros beyond min_scale */
	for (; scale < 0; scale++)
		buf_putc(&dig, '0');
	size_t a = 0;
	while (a + 1 < dig.len && dig.data[a] == '0')
		a++;
	const char *d = dig.data + a;
	size_t nd = dig.len - a;
	while (scale > 0 && scale > min_scale && nd > 1 && d[nd - 1] == '0') {
		nd--;
		scale--;
	}
	if (nd == 1 && d[0] == '0')
		neg = false;
	int sc = (int)scale;
	char *z = NULL;
	/* at least min_scale digits */
	if (min_scale > sc) {
		z = malloc(nd + (size_t)(min_scale - sc));
		if (!z) {
			buf_free(&dig);
			return record_errf(err, errlen, "out of memory");
		}
		memcpy(z, d, nd);
		memset(z + nd, '0', (size_t)(min_scale - sc));
		nd += (size_t)(min_scale - sc);
		d = z;
		sc = min_scale;
	}
	int rc = decimal_text(out, neg, d, nd, sc);
	free(z);
	buf_free(&dig);
	return rc < 0 ? record_errf(err, errlen, "out of memory") : 0;
}

/* ---- money (lc_monetary C: "$1,234.56", "-$1,234.56") ---- */

/* The bytes of money's text exactly as cash_out prints it with lc_monetary
 * C: "-"?, "$", one to three digits (no leading zero but "$0.xx"), groups
 * of three after ",", "." and two digits. Another text (commas misplaced,
 * "$1234.56") would be read as the same value but written back otherwise:
 * refused, as no text PostgreSQL prints. */
static int money_put(buf *out, const char *s, size_t n, char *err, size_t errlen)
{
	char tmp[64];
	size_t k = 0, i = 0;
	if (i < n && s[i] == '-')
		tmp[k++] = s[i++];
	if (i >= n || s[i++] != '$')
		goto bad;
	size_t a = i;
	while (i < n && digit(s[i]) && i - a < 4)
		tmp[k++] = s[i++];
	if (i == a || i - a > 3 || (s[a] == '0' && (i - a > 1 || (i < n && s[i] == ','))))
		goto bad;
	while (i < n && s[i] == ',') {
		if (i + 4 > n || !digit(s[i + 1]) || !digit(s[i + 2]) || !digit(s[i + 3]) || k + 3 + 3 >= sizeof tmp)
			goto bad;
		memcpy(tmp + k, s + i + 1, 3);
		k += 3;
		i += 4;
	}
	if (i + 3 != n || s[i] != '.' || !digit(s[i + 1]) || !digit(s[i + 2]))
		goto bad;
	memcpy(tmp + k, s + i, 3);
	k += 3;
	return decimal_put_bytes(out, tmp, k, 2, err, errlen);
bad:
	return record_errf(err, errlen, "\"%.*s\" is not money as PostgreSQL prints it with lc_monetary C",
		    (int)(n > 40 ? 40 : n), s);
}

/* The money text of a Decimal numeric text of scale 2 ("-1234.56"). */
static int money_text(const char *num, size_t n, buf *out)
{
	bool neg = n > 0 && num[0] == '-';
	const char *d = num + neg;
	size_t nd = n - neg;
	const char *dot = memchr(d, '.', nd);
	size_t il = dot ? (size_t)(dot - d) : nd;
	if (neg && put(out, "-", 1) < 0)
		return -1;
	if (put(out, "$", 1) < 0)
		return -1;
	for (size_t i = 0; i < il; i++) {
		if (i > 0 && (il - i) % 3 == 0 && put(out, ",", 1) < 0)
			return -1;
		if (put(out, d + i, 1) < 0)
			return -1;
	}
	return put(out, d + il, nd - il);
}

/* ---- dates and times ---- */

/* "YYYY…-MM-DD" at s (at least four year digits); the rest after it. */
static bool parse_ymd(const char *s, size_t n, size_t *i, int64_t *y, unsigned *m, unsigned *d)
{
	size_t a = *i, k = *i;
	int64_t v = 0;
	while (k < n && digit(s[k]) && k - a < 10)
		v = v * 10 + (s[k++] - '0');
	if (k - a < 4 || k + 6 > n || s[k] != '-' || !digit(s[k + 1]) || !digit(s[k + 2]) || s[k + 3] != '-' ||
	    !digit(s[k + 4]) || !digit(s[k + 5]))
		return false;
	*y = v;
	*m = (unsigned)((s[k + 1] - '0') * 10 + (s[k + 2] - '0'));
	*d = (unsigned)((s[k + 4] - '0') * 10 + (s[k + 5] - '0'));
	*i = k + 6;
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return *m >= 1 && *m <= 12 && *d >= 1 && *d <= mdays[*m - 1];
}

/* "HH:MM:SS[.f…]" at s: µs since midnight (24:00:00 allowed); up to
 * maxfrac fraction digits, more only when they are zeros below a µs. */
static bool parse_hms(const char *s, size_t n, size_t *i, int64_t *us)
{
	size_t k = *i;
	if (k + 8 > n || !digit(s[k]) || !digit(s[k + 1]) || s[k + 2] != ':' || !digit(s[k + 3]) ||
	    !digit(s[k + 4]) || s[k + 5] != ':' || !digit(s[k + 6]) || !digit(s[k + 7]))
		return false;
	int h = (s[k] - '0') * 10 + s[k + 1] - '0', mi = (s[k + 3] - '0') * 10 + s[k + 4] - '0',
	    sec = (s[k + 6] - '0') * 10 + s[k + 7] - '0';
	if (h > 24 || mi > 59 || sec > 59)
		return false;
	k += 8;
	int64_t frac = 0;
	if (k < n && s[k] == '.') {
		size_t a = ++k;
		while (k < n && digit(s[k])) {
			if (k - a < 6)
				frac = frac * 10 + (s[k] - '0');
			else if (s[k] != '0')
				return false; /* finer than a microsecond */
			k++;
		}
		if (k == a)
			return false;
		for (size_t j = k - a; j < 6; j++)
			frac *= 10;
	}
	*us = ((int64_t)h * 3600 + mi * 60 + sec) * 1000000 + frac;
	if (*us > US_PER_DAY)
		return false;
	*i = k;
	return true;
}

/* "+HH:MM[:SS]" or "Z" at s: seconds east of UTC. */
static bool parse_offset(const char *s, size_t n, size_t *i, int *off)
{
	size_t k = *i;
	if (k < n && s[k] == 'Z') {
		*off = 0;
		*i = k + 1;
		return true;
	}
	if (k + 3 > n || (s[k] != '+' && s[k] != '-') || !digit(s[k + 1]) || !digit(s[k + 2]))
		return false;
	int sign = s[k] == '-' ? -1 : 1;
	int v = ((s[k + 1] - '0') * 10 + s[k + 2] - '0') * 3600;
	k += 3;
	for (int part = 0; part < 2 && k + 3 <= n && s[k] == ':' && digit(s[k + 1]) && digit(s[k + 2]); part++) {
		int x = (s[k + 1] - '0') * 10 + s[k + 2] - '0';
		if (x > 59)
			return false;
		v += part == 0 ? x * 60 : x;
		k += 3;
	}
	if (v > 18 * 3600)
		return false;
	*off = sign * v;
	*i = k;
	return true;
}

/* Days since 1970 of the record's date text ("YYYY-MM-DD", " BC"). */
static bool date_days(const char *s, size_t n, int64_t *days)
{
	size_t i = 0;
	int64_t y;
	unsigned m, d;
	if (!parse_ymd(s, n, &i, &y, &m, &d) || y == 0)
		return false;
	if (i + 3 == n && memcmp(s + i, " BC", 3) == 0)
		y = 1 - y, i += 3;
	if (i != n || ((m == 2 && d == 29) && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
		return false;
	*days = civil_days(y, m, d);
	return true;
}

/* µs since 1970 of the record's timestamp text (with 'Z' when tz). */
static bool ts_us(const char *s, size_t n, bool tz, int64_t *us)
{
	size_t i = 0;
	int64_t y, t;
	unsigned m, d;
	if (!parse_ymd(s, n, &i, &y, &m, &d) || y == 0 || i >= n || s[i++] != 'T' || !parse_hms(s, n, &i, &t) ||
	    t == US_PER_DAY)
		return false;
	if (tz && (i >= n || s[i++] != 'Z'))
		return false;
	if (i + 3 == n && memcmp(s + i, " BC", 3) == 0)
		y = 1 - y, i += 3;
	if (i != n)
		return false;
	int64_t days = civil_days(y, m, d);
	if (__builtin_mul_overflow(days, US_PER_DAY, us) || __builtin_add_overflow(*us, t, us))
		return false;
	return true;
}

/* The date of days, "YYYY-MM-DD" (" BC" before year 1), into out. */
static int date_text(int64_t days, buf *out)
{
	int64_t y;
	unsigned m, d;
	civil_date(days, &y, &m, &d);
	bool bc = y <= 0;
	return buf_printf(out, "%04" PRId64 "-%02u-%02u%s", bc ? 1 - y : y, m, d, bc ? " BC" : "");
}

static int hms_text(int64_t us, buf *out)
{
	return buf_printf(out, "%02d:%02d:%02d.%06d", (int)(us / 3600000000LL), (int)(us / 60000000 % 60),
			  (int)(us / 1000000 % 60), (int)(us % 1000000));
}

/* The record's timestamp text of µs since 1970 ('Z' when tz). */
static int ts_text(int64_t us, bool tz, buf *out)
{
	int64_t days = us / US_PER_DAY, rem = us % US_PER_DAY;
	if (rem < 0) {
		rem += US_PER_DAY;
		days--;
	}
	int64_t y;
	unsigned m, d;
	civil_date(days, &y, &m, &d);
	bool bc = y <= 0;
	if (buf_printf(out, "%04" PRId64 "-%02u-%02uT", bc ? 1 - y : y, m, d) < 0 || hms_text(rem, out) < 0)
		return -1;
	if (tz && put(out, "Z", 1) < 0)
		return -1;
	return bc ? put(out, " BC", 3) : 0;
}

/* Java's ISO_LOCAL_TIME fraction: digits fixed (width 1-9) or as few as
 * needed (width 0: none for zero). us holds the µs of the second. */
static int java_fraction(buf *out, int64_t frac_us, int width)
{
	char d[24];
	snprintf(d, sizeof d, "%06d000", (int)frac_us);
	if (width > 0)
		return put(out, ".", 1) < 0 ? -1 : put(out, d, (size_t)width);
	int n = 9;
	while (n > 0 && d[n - 1] == '0')
		n--;
	if (n == 0)
		return 0;
	return put(out, ".", 1) < 0 ? -1 : put(out, d, (size_t)n);
}

/* Java's ISO_LOCAL_DATE year: four digits, '+' beyond 9999, '-' before 0. */
static int java_date(buf *out, int64_t days)
{
	int64_t y;
	unsigned m, d;
	civil_date(days, &y, &m, &d);
	if (y > 9999)
		return buf_printf(out, "+%" PRId64 "-%02u-%02u", y, m, d);
	if (y < 0)
		return buf_printf(out, "-%04" PRId64 "-%02u-%02u", -y, m, d);
	return buf_printf(out, "%04" PRId64 "-%02u-%02u", y, m, d);
}

static int java_offset(buf *out, int off)
{
	if (off == 0)
		return put(out, "Z", 1);
	int a = off < 0 ? -off : off;
	if (a % 60)
		return buf_printf(out, "%c%02d:%02d:%02d", off < 0 ? '-' : '+', a / 3600, a / 60 % 60, a % 60);
	return buf_printf(out, "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

/* ZonedTimestamp "2026-11-25T13:58:45.123456Z" of the record's text. */
static int zoned_ts_put(buf *out, const char *s, size_t n, int width, char *err, size_t errlen)
{
	if ((n == 8 && memcmp(s, "infinity", 8) == 0) || (n == 9 && memcmp(s, "-infinity", 9) == 0))
		return record_json_put_str(out, s, n);
	int64_t us;
	if (!ts_us(s, n, true, &us))
		return record_errf(err, errlen, "\"%.*s\" is not a timestamp with time zone", (int)(n > 40 ? 40 : n), s);
	int64_t days = us / US_PER_DAY, rem = us % US_PER_DAY;
	if (rem < 0) {
		rem += US_PER_DAY;
		days--;
	}
	/* timestamp(p) with time zone writes p digits: finer ones would be
	 * cut (PostgreSQL's own text never has them) */
	static const int64_t unit[6] = {1000000, 100000, 10000, 1000, 100, 10};
	if (width > 0 && width < 6 && rem % unit[width])
		return record_errf(err, errlen, "\"%.*s\" has more fractional digits than timestamp(%d) with time zone holds",
			    (int)(n > 40 ? 40 : n), s, width);
	if (put(out, "\"", 1) < 0 || java_date(out, days) < 0 || put(out, "T", 1) < 0 ||
	    buf_printf(out, "%02d:%02d:%02d", (int)(rem / 3600000000LL), (int)(rem / 60000000 % 60),
		       (int)(rem / 1000000 % 60)) < 0 ||
	    java_fraction(out, rem % 1000000, width) < 0 || put(out, "Z\"", 2) < 0)
		return -1;
	return 0;
}

/* The record's timestamptz text of an ISO offset date-time. */
static int zoned_ts_get(const char *s, size_t n, buf *out)
{
	if ((n == 8 && memcmp(s, "infinity", 8) == 0) || (n == 9 && memcmp(s, "-infinity", 9) == 0))
		return put(out, s, n);
	size_t i = 0;
	bool neg = false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	int64_t y, t;
	unsigned m, d;
	int off;
	if (!parse_ymd(s, n, &i, &y, &m, &d) || i >= n || (s[i] != 'T' && s[i] != 't'))
		return -1;
	i++;
	/* seconds may be left out: "HH:MM" */
	char hms[32];
	size_t k = i;
	while (k < n && (digit(s[k]) || s[k] == ':' || s[k] == '.'))
		k++;
	if (k - i == 5 && k - i + 3 < sizeof hms) {
		memcpy(hms, s + i, 5);
		memcpy(hms + 5, ":00", 3);
		size_t j = 0;
		if (!parse_hms(hms, 8, &j, &t))
			return -1;
		i = k;
	} else if (!parse_hms(s, n, &i, &t)) {
		return -1;
	}
	if (t == US_PER_DAY || !parse_offset(s, n, &i, &off) || i != n)
		return -1;
	if (neg)
		y = -y;
	if ((m == 2 && d == 29) && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	int64_t us;
	if (__builtin_mul_overflow(civil_days(y, m, d), US_PER_DAY, &us) || __builtin_add_overflow(us, t, &us) ||
	    __builtin_sub_overflow(us, (int64_t)off * 1000000, &us))
		return -1;
	return ts_text(us, true, out);
}

/* ZonedTime of the record's timetz text "HH:MM:SS.ffffff+HH:MM": the
 * source's offset is kept (see the man page). */
static int zoned_time_put(buf *out, const char *s, size_t n, char *err, size_t errlen)
{
	size_t i = 0;
	int64_t us;
	int off;
	if (!parse_hms(s, n, &i, &us) || !parse_offset(s, n, &i, &off) || i != n)
		return record_errf(err, errlen, "\"%.*s\" is not a time with time zone", (int)(n > 40 ? 40 : n), s);
	if (put(out, "\"", 1) < 0 ||
	    buf_printf(out, "%02d:%02d:%02d", (int)(us / 3600000000LL), (int)(us / 60000000 % 60),
		       (int)(us / 1000000 % 60)) < 0 ||
	    java_fraction(out, us % 1000000, 0) < 0 || java_offset(out, off) < 0 || put(out, "\"", 1) < 0)
		return -1;
	return 0;
}

static int zoned_time_get(const char *s, size_t n, buf *out)
{
	size_t i = 0;
	int64_t us;
	int off;
	if (!parse_hms(s, n, &i, &us) || !parse_offset(s, n, &i, &off) || i != n)
		return -1;
	if (hms_text(us, out) < 0)
		return -1;
	int a = off < 0 ? -off : off;
	if (a % 60)
		return buf_printf(out, "%c%02d:%02d:%02d", off < 0 ? '-' : '+', a / 3600, a / 60 % 60, a % 60);
	return buf_printf(out, "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

/* ---- intervals ---- */

typedef struct ival {
	int64_t y, mo, d, h, mi, s, us; /* us: the fraction of s, with its sign */
} ival;

/* An ISO 8601 duration "P…Y…M…DT…H…M…S" with signed parts (PostgreSQL's
 * iso_8601 style, Debezium's Interval): the parts as written. */
static bool ival_parse(const char *s, size_t n, ival *v)
{
	memset(v, 0, sizeof *v);
	size_t i = 0;
	if (i >= n || s[i++] != 'P')
		return false;
	bool time = false, any = false;
	while (i < n) {
		if (s[i] == 'T') {
			if (time)
				return false;
			time = true;
			i++;
			continue;
		}
		bool neg = s[i] == '-';
		if (s[i] == '-' || s[i] == '+')
			i++;
		size_t a = i;
		int64_t x = 0, frac = 0;
		while (i < n && digit(s[i])) {
			if (x > INT64_MAX / 10 - 9)
				return false;
			x = x * 10 + (s[i++] - '0');
		}
		if (i == a)
			return false;
		bool hasfrac = false;
		if (i < n && s[i] == '.') {
			size_t b = ++i;
			while (i < n && digit(s[i])) {
				if (i - b < 6)
					frac = frac * 10 + (s[i] - '0');
				else if (s[i] != '0')
					return false;
				i++;
			}
			if (i == b)
				return false;
			for (size_t j = i - b; j < 6; j++)
				frac *= 10;
			hasfrac = true;
		}
		if (i >= n)
			return false;
		char u = s[i++];
		if (neg)
			x = -x, frac = -frac;
		if (hasfrac && !(time && u == 'S'))
			return false;
		if (!time && u == 'Y')
			v->y = x;
		else if (!time && u == 'M')
			v->mo = x;
		else if (!time && u == 'W')
			v->d += x * 7;
		else if (!time && u == 'D')
			v->d += x;
		else if (time && u == 'H')
			v->h = x;
		else if (time && u == 'M')
			v->mi = x;
		else if (time && u == 'S')
			v->s = x, v->us = frac;
		else
			return false;
		any = true;
	}
	return any;
}

/* PostgreSQL's months and microseconds of the parts of v: false when
 * they are beyond its interval (months and days int32, the time int64 µs). */
static bool ival_pg(const ival *v, int64_t *months, int64_t *t)
{
	int64_t mis;
	if (__builtin_mul_overflow(v->y, 12, months) || __builtin_add_overflow(*months, v->mo, months) ||
	    *months > INT32_MAX || *months < INT32_MIN || v->d > INT32_MAX || v->d < INT32_MIN)
		return false;
	return !(__builtin_mul_overflow(v->h, 3600, t) || __builtin_mul_overflow(v->mi, 60, &mis) ||
		 __builtin_add_overflow(*t, mis, t) || __builtin_add_overflow(*t, v->s, t) ||
		 __builtin_mul_overflow(*t, 1000000, t) || __builtin_add_overflow(*t, v->us, t));
}

/* Debezium's Interval text: every part, seconds as BigDecimal's plain
 * string without trailing zeros. An interval beyond PostgreSQL's (no text
 * it prints) is refused: every reader would refuse the event. */
static int interval_put(buf *out, const char *s, size_t n, char *err, size_t errlen)
{
	ival v;
	int64_t months, t;
	if (!ival_parse(s, n, &v))
		return record_errf(err, errlen, "\"%.*s\" is not an ISO 8601 interval", (int)(n > 40 ? 40 : n), s);
	if (!ival_pg(&v, &months, &t))
		return record_errf(err, errlen, "interval \"%.*s\" is beyond PostgreSQL's interval range",
				   (int)(n > 40 ? 40 : n), s);
	if (buf_printf(out, "\"P%" PRId64 "Y%" PRId64 "M%" PRId64 "DT%" PRId64 "H%" PRId64 "M", v.y, v.mo, v.d, v.h,
		       v.mi) < 0)
		return -1;
	bool neg = v.s < 0 || v.us < 0;
	int64_t as = v.s < 0 ? -v.s : v.s, aus = v.us < 0 ? -v.us : v.us;
	if (buf_printf(out, "%s%" PRId64, neg ? "-" : "", as) < 0)
		return -1;
	if (aus) {
		char f[8];
		snprintf(f, sizeof f, "%06d", (int)aus);
		int k = 6;
		while (f[k - 1] == '0')
			k--;
		if (put(out, ".", 1) < 0 || put(out, f, (size_t)k) < 0)
			return -1;
	}
	return put(out, "S\"", 2);
}

/* PostgreSQL's iso_8601 text of a Debezium Interval: months, days and
 * microseconds, then the parts PostgreSQL prints of them. */
static int interval_get(const char *s, size_t n, buf *out)
{
	ival v;
	if (!ival_parse(s, n, &v))
		return -1;
	int64_t months, t;
	if (!ival_pg(&v, &months, &t))
		return -1;
	int64_t yy = months / 12, mm = months % 12, h = t / 3600000000LL, mi = t / 60000000 % 60,
		sec = t / 1000000 % 60, fs = t % 1000000;
	if (!months && !v.d && !t)
		return put_s(out, "PT0S");
	if (put(out, "P", 1) < 0)
		return -1;
	if (yy && buf_printf(out, "%" PRId64 "Y", yy) < 0)
		return -1;
	if (mm && buf_printf(out, "%" PRId64 "M", mm) < 0)
		return -1;
	if (v.d && buf_printf(out, "%" PRId64 "D", v.d) < 0)
		return -1;
	if (!t)
		return 0;
	if (put(out, "T", 1) < 0)
		return -1;
	if (h && buf_printf(out, "%" PRId64 "H", h) < 0)
		return -1;
	if (mi && buf_printf(out, "%" PRId64 "M", mi) < 0)
		return -1;
	if (!sec && !fs)
		return 0;
	bool neg = sec < 0 || fs < 0;
	if (buf_printf(out, "%s%" PRId64, neg ? "-" : "", sec < 0 ? -sec : sec) < 0)
		return -1;
	if (fs) {
		char f[8];
		snprintf(f, sizeof f, "%06d", (int)(fs < 0 ? -fs : fs));
		int k = 6;
		while (f[k - 1] == '0')
			k--;
		if (put(out, ".", 1) < 0 || put(out, f, (size_t)k) < 0)
			return -1;
	}
	return put(out, "S", 1);
}

/* ---- arrays: PostgreSQL's one-dimensional array literal ---- */

/* Calls each(ctx, text, len) for the elements of the literal s[0..n)
 * (text NULL for a NULL element), unescaping quoted ones into tmp. 0, -1
 * when s is not a one-dimensional literal, or what each returned. */
static int array_each(const char *s, size_t n, buf *tmp, int (*each)(void *, const char *, size_t), void *ctx)
{
	if (n < 2 || s[0] != '{' || s[n - 1] != '}')
		return -1;
	size_t i = 1;
	if (n == 2)
		return 0;
	for (;;) {
		buf_reset(tmp);
		int rc;
		if (s[i] == '"') {
			for (i++; i < n - 1 && s[i] != '"'; i++) {
				if (s[i] == '\\')
					i++;
				if (buf_putc(tmp, s[i]) < 0)
					return -1;
			}
			if (i >= n - 1)
				return -1;
			i++;
			if (buf_terminate(tmp) < 0)
				return -1;
			rc = each(ctx, tmp->data, tmp->len);
		} else {
			size_t a = i;
			while (i < n - 1 && s[i] != ',' && s[i] != '"' && s[i] != '{' && s[i] != '}')
				i++;
			if (i == a || (i < n - 1 && s[i] != ','))
				return -1;
			if (i - a == 4 && strncasecmp(s + a, "NULL", 4) == 0) {
				rc = each(ctx, NULL, 0);
			} else {
				if (put(tmp, s + a, i - a) < 0 || buf_terminate(tmp) < 0)
					return -1;
				rc = each(ctx, tmp->data, tmp->len);
			}
		}
		if (rc)
			return rc;
		if (i == n - 1)
			return 0;
		if (s[i] != ',')
			return -1;
		i++;
	}
}

/* Appends one element to a PostgreSQL array literal, quoted as array_out
 * quotes it. */
static int array_elem_text(buf *out, const char *s, size_t n)
{
	bool quote = n == 0 || (n == 4 && strncasecmp(s, "NULL", 4) == 0);
	for (size_t i = 0; i < n && !quote; i++)
		quote = strchr("\"\\{},", s[i]) != NULL || s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r');
	if (!quote)
		return put(out, s, n);
	if (put(out, "\"", 1) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if ((s[i] == '"' || s[i] == '\\') && put(out, "\\", 1) < 0)
			return -1;
		if (put(out, s + i, 1) < 0)
			return -1;
	}
	return put(out, "\"", 1);
}

/* ---- types ---- */

static bool starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* The precision in "name(p) …", or def. */
static int type_precision(const char *t, const char *name, int def)
{
	size_t n = strlen(name);
	if (strncmp(t, name, n) == 0 && t[n] == '(')
		return atoi(t + n + 1);
	return def;
}

/* The kind of a scalar type (pgtype without "[]"); array_ok: whether an
 * array of it is written as a JSON array. */
static void scalar_from_pg(const char *p, dbz_type *t, bool *array_ok)
{
	memset(t, 0, sizeof *t);
	*array_ok = true;
	t->kind = DBZ_STRING;
	if (!strcmp(p, "smallint"))
		t->kind = DBZ_INT16;
	else if (!strcmp(p, "integer"))
		t->kind = DBZ_INT32;
	else if (!strcmp(p, "bigint"))
		t->kind = DBZ_INT64;
	else if (!strcmp(p, "oid"))
		t->kind = DBZ_OID;
	else if (!strcmp(p, "real"))
		t->kind = DBZ_FLOAT32;
	else if (!strcmp(p, "double precision"))
		t->kind = DBZ_FLOAT64;
	else if (!strcmp(p, "boolean"))
		t->kind = DBZ_BOOLEAN;
	else if (!strcmp(p, "bytea"))
		t->kind = DBZ_BYTES;
	else if (!strcmp(p, "numeric"))
		t->kind = DBZ_VSDECIMAL;
	else if (starts(p, "numeric(")) {
		int prec = 0, scale = 0;
		/* a negative scale (PostgreSQL 15) too: Connect's Decimal
		 * takes any int scale */
		if (sscanf(p, "numeric(%d,%d)", &prec, &scale) == 2 && scale >= -1000 && scale <= 1000) {
			t->kind = DBZ_DECIMAL;
			t->precision = prec;
			t->scale = scale;
		}
	} else if (!strcmp(p, "money")) {
		t->kind = DBZ_MONEY;
		t->scale = 2;
		*array_ok = false;
	} else if (!strcmp(p, "date"))
		t->kind = DBZ_DATE;
	else if (starts(p, "time") && strstr(p, "without time zone")) {
		bool ts = starts(p, "timestamp");
		int prec = type_precision(p, ts ? "timestamp" : "time", 6);
		t->kind = ts ? (prec <= 3 ? DBZ_TS_MS : DBZ_TS_US) : (prec <= 3 ? DBZ_TIME_MS : DBZ_TIME_US);
		/* element texts of such arrays are PostgreSQL's own, not the
		 * record's normalised ones */
		*array_ok = false;
	} else if (starts(p, "timestamp") && strstr(p, "with time zone")) {
		t->kind = DBZ_ZONED_TS;
		t->scale = type_precision(p, "timestamp", 6);
		*array_ok = false;
	} else if (starts(p, "time") && strstr(p, "with time zone")) {
		t->kind = DBZ_ZONED_TIME;
		*array_ok = false;
	} else if (starts(p, "interval")) {
		t->kind = DBZ_INTERVAL;
		*array_ok = false;
	} else if (!strcmp(p, "uuid"))
		t->name = "io.debezium.data.Uuid";
	else if (!strcmp(p, "json") || !strcmp(p, "jsonb"))
		t->name = "io.debezium.data.Json";
	else if (!strcmp(p, "xml"))
		t->name = "io.debezium.data.Xml";
	else if (!strcmp(p, "ltree"))
		t->name = "io.debezium.data.Ltree";
	else if (!strcmp(p, "tsvector"))
		t->name = "io.debezium.data.Tsvector";
	else if (!(!strcmp(p, "text") || starts(p, "character") || !strcmp(p, "\"char\"") || !strcmp(p, "name") ||
		   !strcmp(p, "citext") || !strcmp(p, "inet") || !strcmp(p, "cidr") || !strcmp(p, "macaddr") ||
		   !strcmp(p, "macaddr8") || !strcmp(p, "int4range") || !strcmp(p, "int8range") ||
		   !strcmp(p, "numrange") || !strcmp(p, "tsrange") || !strcmp(p, "tstzrange") ||
		   !strcmp(p, "daterange")))
		*array_ok = false; /* a type not known here: its arrays as text too */
}

void dbz_type_from_pg(const char *pgtype, dbz_type *t)
{
	size_t n = strlen(pgtype);
	if (n > 2 && !strcmp(pgtype + n - 2, "[]")) {
		char base[RECORD_NAME_MAX + 1];
		snprintf(base, sizeof base, "%.*s", (int)(n - 2), pgtype);
		bool array_ok;
		scalar_from_pg(base, t, &array_ok);
		if (array_ok) {
			t->array = true;
			return;
		}
		memset(t, 0, sizeof *t);
		t->kind = DBZ_STRING;
		return;
	}
	bool array_ok;
	scalar_from_pg(pgtype, t, &array_ok);
}

/* The Connect type and logical name/version of a kind. */
static void kind_schema(const dbz_type *t, const char **type, const char **name, int *version)
{
	*name = NULL;
	*version = 1;
	switch (t->kind) {
	case DBZ_INT16: *type = "int16"; break;
	case DBZ_INT32: *type = "int32"; break;
	case DBZ_INT64:
	case DBZ_OID: *type = "int64"; break;
	case DBZ_FLOAT32: *type = "float"; break;
	case DBZ_FLOAT64: *type = "double"; break;
	case DBZ_BOOLEAN: *type = "boolean"; break;
	case DBZ_BYTES: *type = "bytes"; break;
	case DBZ_DECIMAL:
	case DBZ_MONEY: *type = "bytes"; *name = "org.apache.kafka.connect.data.Decimal"; break;
	case DBZ_VSDECIMAL: *type = "struct"; *name = "io.debezium.data.VariableScaleDecimal"; break;
	case DBZ_DATE: *type = "int32"; *name = "io.debezium.time.Date"; break;
	case DBZ_TIME_MS: *type = "int32"; *name = "io.debezium.time.Time"; break;
	case DBZ_TIME_US: *type = "int64"; *name = "io.debezium.time.MicroTime"; break;
	case DBZ_TIME_NS: *type = "int64"; *name = "io.debezium.time.NanoTime"; break;
	case DBZ_TS_MS: *type = "int64"; *name = "io.debezium.time.Timestamp"; break;
	case DBZ_TS_US: *type = "int64"; *name = "io.debezium.time.MicroTimestamp"; break;
	case DBZ_TS_NS: *type = "int64"; *name = "io.debezium.time.NanoTimestamp"; break;
	case DBZ_ZONED_TS: *type = "string"; *name = "io.debezium.time.ZonedTimestamp"; break;
	case DBZ_ZONED_TIME: *type = "string"; *name = "io.debezium.time.ZonedTime"; break;
	case DBZ_INTERVAL: *type = "string"; *name = "io.debezium.time.Interval"; break;
	default: *type = "string"; *name = t->name; break;
	}
}

static int schema_scalar(buf *out, const dbz_type *t, bool optional, const char *pgtype)
{
	const char *type, *name;
	int version;
	kind_schema(t, &type, &name, &version);
	if (put_s(out, "{\"type\":\"") < 0 || put_s(out, type) < 0 || put(out, "\"", 1) < 0)
		return -1;
	if (t->kind == DBZ_VSDECIMAL &&
	    put_s(out, ",\"fields\":[{\"type\":\"int32\",\"optional\":false,\"field\":\"scale\"},"
		       "{\"type\":\"bytes\",\"optional\":false,\"field\":\"value\"}]") < 0)
		return -1;
	if (put_s(out, optional ? ",\"optional\":true" : ",\"optional\":false") < 0)
		return -1;
	if (name && (put_s(out, ",\"name\":") < 0 || record_json_put_str(out, name, strlen(name)) < 0 ||
		     buf_printf(out, ",\"version\":%d", version) < 0))
		return -1;
	if (t->kind == DBZ_VSDECIMAL && put_s(out, ",\"doc\":\"Variable scaled decimal\"") < 0)
		return -1;
	bool params = t->kind == DBZ_DECIMAL || t->kind == DBZ_MONEY || pgtype;
	if (!params)
		return put(out, "}", 1);
	if (put_s(out, ",\"parameters\":{") < 0)
		return -1;
	const char *sep = "";
	if (t->kind == DBZ_DECIMAL || t->kind == DBZ_MONEY) {
		if (buf_printf(out, "\"scale\":\"%d\"", t->scale) < 0)
			return -1;
		if (t->kind == DBZ_DECIMAL && buf_printf(out, ",\"connect.decimal.precision\":\"%d\"", t->precision) < 0)
			return -1;
		sep = ",";
	}
	if (pgtype && (put_s(out, sep) < 0 || record_json_put_str(out, DBZ_TYPE_PARAM, strlen(DBZ_TYPE_PARAM)) < 0 ||
		       put(out, ":", 1) < 0 || record_json_put_str(out, pgtype, strlen(pgtype)) < 0))
		return -1;
	return put(out, "}}", 2);
}

int dbz_schema_put(buf *out, const dbz_type *t, const char *pgtype, bool optional, const char *field)
{
	if (t->array) {
		dbz_type elem = *t;
		elem.array = false;
		if (put_s(out, "{\"type\":\"array\",\"items\":") < 0 || schema_scalar(out, &elem, true, NULL) < 0 ||
		    put_s(out, optional ? ",\"optional\":true" : ",\"optional\":false") < 0)
			return -1;
		if (pgtype && (put_s(out, ",\"parameters\":{") < 0 ||
			       record_json_put_str(out, DBZ_TYPE_PARAM, strlen(DBZ_TYPE_PARAM)) < 0 ||
			       put(out, ":", 1) < 0 || record_json_put_str(out, pgtype, strlen(pgtype)) < 0 ||
			       put(out, "}", 1) < 0))
			return -1;
	} else {
		if (schema_scalar(out, t, optional, pgtype) < 0)
			return -1;
		out->len--; /* reopen the object for "field" */
	}
	if (field && (put_s(out, ",\"field\":") < 0 || record_json_put_str(out, field, strlen(field)) < 0))
		return -1;
	return put(out, "}", 1);
}

/* ---- values: record text -> JSON ---- */

static bool json_number(const char *s, size_t n)
{
	size_t i = s[0] == '-';
	if (i >= n)
		return false;
	if (s[i] == '0')
		i++;
	else if (digit(s[i]))
		i = digits_end(s, i, n);
	else
		return false;
	if (i < n && s[i] == '.') {
		size_t a = ++i;
		if ((i = digits_end(s, i, n)) == a)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t a = i;
		if ((i = digits_end(s, i, n)) == a)
			return false;
	}
	return i == n;
}

static int bytea_put(buf *out, const char *s, size_t n, char *err, size_t errlen)
{
	if (!record_bytea_text_valid(s, n))
		return record_errf(err, errlen, "not a bytea text");
	size_t nb = (n - 2) / 2;
	unsigned char *b = malloc(nb + 1);
	if (!b)
		return record_errf(err, errlen, "out of memory");
	for (size_t i = 0; i < nb; i++)
		b[i] = (unsigned char)(record_hex_val((unsigned char)s[2 + 2 * i]) << 4 |
				       record_hex_val((unsigned char)s[3 + 2 * i]));
	int rc = put(out, "\"", 1) < 0 || dbz_base64_put(out, b, nb) < 0 || put(out, "\"", 1) < 0 ? -1 : 0;
	free(b);
	return rc;
}

/* "-"? and digits, no leading zero: an integer as JSON writes it. */
static bool short_int_text(const char *s, size_t n)
{
	size_t i = s[0] == '-';
	if (i >= n || (s[i] == '0' && n - i > 1))
		return false;
	for (; i < n; i++)
		if ((unsigned)(s[i] - '0') >= 10)
			return false;
	return true;
}

static int scalar_put(buf *out, const dbz_type *t, const char *s, size_t n, bool checked, char *err, size_t errlen)
{
	int64_t v;
	switch (t->kind) {
	case DBZ_INT16:
	case DBZ_INT32:
	case DBZ_INT64:
		/* a checked integer text of few enough digits is in range (a
		 * record checks the integer classes only: an oid is text, and
		 * its digits are looked at here, or it could write any JSON) */
		if (checked && n - (s[0] == '-') <= (t->kind == DBZ_INT16 ? 4u : t->kind == DBZ_INT32 ? 9u : 18u) &&
		    short_int_text(s, n))
			return put(out, s, n);
		/* fall through */
	case DBZ_OID:
		if (!record_int_text_valid(s, n, &v) ||
		    (t->kind == DBZ_INT16 && (v < INT16_MIN || v > INT16_MAX)) ||
		    (t->kind == DBZ_INT32 && (v < INT32_MIN || v > INT32_MAX)) ||
		    (t->kind == DBZ_OID && (v < 0 || v > UINT32_MAX)))
			return record_errf(err, errlen, "\"%.*s\" is not an integer of its type", (int)(n > 40 ? 40 : n), s);
		return put(out, s, n);
	case DBZ_FLOAT32:
	case DBZ_FLOAT64:
		/* NaN and the infinities as Jackson writes them by default
		 * (QUOTE_NON_NUMERIC_NUMBERS): quoted */
		if ((n == 3 && !memcmp(s, "NaN", 3)) || (n == 8 && !memcmp(s, "Infinity", 8)) ||
		    (n == 9 && !memcmp(s, "-Infinity", 9)))
			return record_json_put_str(out, s, n);
		if (!json_number(s, n))
			return record_errf(err, errlen, "\"%.*s\" is not a number", (int)(n > 40 ? 40 : n), s);
		/* a reader (Jackson for JsonConverter, jansson) reads 1e9308
		 * as Infinity or refuses it, and 1e-9999 as 0 */
		if (!floattext_in_range(s, n, t->kind == DBZ_FLOAT32))
			return record_errf(err, errlen, "\"%.*s\" is beyond the range of %s", (int)(n > 40 ? 40 : n), s,
					   t->kind == DBZ_FLOAT32 ? "real" : "double precision");
		/* -0 is a JSON integer to Jackson (and jansson): 0, its sign
		 * lost; JsonConverter writes a negative zero -0.0 */
		if (n == 2 && s[0] == '-' && s[1] == '0')
			return put_s(out, "-0.0");
		return put(out, s, n);
	case DBZ_BOOLEAN:
		if (n == 1 && (s[0] == 't' || s[0] == 'f'))
			return put_s(out, s[0] == 't' ? "true" : "false");
		return record_errf(err, errlen, "\"%.*s\" is not a boolean", (int)(n > 40 ? 40 : n), s);
	case DBZ_BYTES:
		return bytea_put(out, s, n, err, errlen);
	case DBZ_DECIMAL:
		if (put(out, "\"", 1) < 0 || decimal_put_bytes(out, s, n, t->scale, err, errlen) < 0)
			return -1;
		return put(out, "\"", 1);
	case DBZ_MONEY:
		if (put(out, "\"", 1) < 0 || money_put(out, s, n, err, errlen) < 0)
			return -1;
		return put(out, "\"", 1);
	case DBZ_VSDECIMAL: {
		bool neg;
		const char *ip, *fp;
		size_t il, fl;
		if (!split_decimal(s, n, &neg, &ip, &il, &fp, &fl))
			return record_errf(err, errlen, "\"%.*s\" has no VariableScaleDecimal form (precise mode holds no NaN or Infinity)",
				    (int)(n > 40 ? 40 : n), s);
		if (buf_printf(out, "{\"scale\":%zu,\"value\":\"", fl) < 0 ||
		    decimal_put_bytes(out, s, n, (int)fl, err, errlen) < 0)
			return -1;
		return put(out, "\"}", 2);
	}
	case DBZ_DATE: {
		int64_t days;
		if (!date_days(s, n, &days))
			return record_errf(err, errlen, "date \"%.*s\" has no io.debezium.time.Date form", (int)(n > 40 ? 40 : n), s);
		if (days < INT32_MIN || days > INT32_MAX)
			return record_errf(err, errlen, "date \"%.*s\" is out of io.debezium.time.Date's range", (int)n, s);
		return put_i64(out, days);
	}
	case DBZ_TIME_MS:
	case DBZ_TIME_US: {
		size_t i = 0;
		int64_t us;
		if (!parse_hms(s, n, &i, &us) || i != n)
			return record_errf(err, errlen, "\"%.*s\" is not a time", (int)(n > 40 ? 40 : n), s);
		if (t->kind == DBZ_TIME_MS && us % 1000)
			return record_errf(err, errlen, "time %.*s is finer than io.debezium.time.Time's milliseconds", (int)n, s);
		return put_i64(out, t->kind == DBZ_TIME_MS ? us / 1000 : us);
	}
	case DBZ_TS_MS:
	case DBZ_TS_US: {
		int64_t us;
		bool ms = t->kind == DBZ_TS_MS;
		if (n == 8 && !memcmp(s, "infinity", 8))
			return put_i64(out, ms ? TS_POS_INF_US / 1000 : TS_POS_INF_US);
		if (n == 9 && !memcmp(s, "-infinity", 9))
			return put_i64(out, ms ? TS_NEG_INF_US / 1000 : TS_NEG_INF_US);
		if (!ts_us(s, n, false, &us))
			return record_errf(err, errlen, "\"%.*s\" is not a timestamp in io.debezium.time's range",
				    (int)(n > 40 ? 40 : n), s);
		if (ms && us % 1000)
			return record_errf(err, errlen, "timestamp %.*s is finer than io.debezium.time.Timestamp's milliseconds",
				    (int)n, s);
		/* the values Debezium gives the infinities: a reader would
		 * take this finite timestamp for one */
		if (us == TS_POS_INF_US || us == TS_NEG_INF_US)
			return record_errf(err, errlen, "timestamp %.*s is the value Debezium writes for %sinfinity",
				    (int)(n > 40 ? 40 : n), s, us < 0 ? "-" : "");
		return put_i64(out, ms ? us / 1000 : us);
	}
	case DBZ_ZONED_TS:
		return zoned_ts_put(out, s, n, t->scale, err, errlen);
	case DBZ_ZONED_TIME:
		return zoned_time_put(out, s, n, err, errlen);
	case DBZ_INTERVAL:
		return interval_put(out, s, n, err, errlen);
	case DBZ_STRING:
		if (record_json_put_str(out, s, n) < 0)
			return record_errf(err, errlen, "invalid UTF-8");
		return 0;
	default:
		return record_errf(err, errlen, "no Debezium form");
	}
}

struct array_put_ctx {
	buf *out;
	const dbz_type *t;
	bool first;
	bool checked;
	char *err;
	size_t errlen;
};

static int array_put_elem(void *p, const char *s, size_t n)
{
	struct array_put_ctx *c = p;
	if (!c->first && put(c->out, ",", 1) < 0)
		return -1;
	c->first = false;
	if (!s)
		return put_s(c->out, "null");
	return scalar_put(c->out, c->t, s, n, false, c->err, c->errlen) < 0 ? -2 : 0;
}

int dbz_value_put(buf *out, const dbz_type *t, const char *text, size_t len, bool checked, char *err,
		  size_t errlen)
{
	if (!t->array)
		return scalar_put(out, t, text, len, checked, err, errlen);
	dbz_type elem = *t;
	elem.array = false;
	struct array_put_ctx c = {out, &elem, true, false, err, errlen};
	buf tmp;
	buf_init(&tmp, 0);
	int rc = put(out, "[", 1);
	if (rc == 0)
		rc = array_each(text, len, &tmp, array_put_elem, &c);
	buf_free(&tmp);
	if (rc == -1)
		return record_errf(err, errlen, "\"%.*s\" is not a one-dimensional array", (int)(len > 40 ? 40 : len), text);
	if (rc < 0)
		return -1;
	return put(out, "]", 1);
}

/* ---- reading types ---- */

static bool str_eq(const jt_node *n, const char *s)
{
	return jt_str_is(n, s);
}

/* A string member's text into dst (cap bytes), or false. */
static bool get_param(const jt_node *params, const char *key, char *dst, size_t cap)
{
	const jt_node *v = jt_get(params, key);
	if (!v || v->type != JT_STRING || v->len >= cap)
		return false;
	memcpy(dst, v->s, v->len);
	dst[v->len] = '\0';
	return true;
}

/* The PostgreSQL type name of Debezium's __debezium.source.column.type
 * (pgjdbc's upper-case type name) and its length and scale, or false. */
static bool pg_from_source_params(const jt_node *params, char *pgtype, size_t cap)
{
	char name[64], len[16] = "", scale[16] = "";
	if (!get_param(params, "__debezium.source.column.type", name, sizeof name))
		return false;
	get_param(params, "__debezium.source.column.length", len, sizeof len);
	get_param(params, "__debezium.source.column.scale", scale, sizeof scale);
	bool arr = name[0] == '_';
	const char *b = arr ? name + 1 : name;
	static const struct {
		const char *jdbc, *pg;
	} plain[] = {
		{"INT2", "smallint"}, {"INT4", "integer"}, {"INT8", "bigint"}, {"FLOAT4", "real"},
		{"FLOAT8", "double precision"}, {"BOOL", "boolean"}, {"TEXT", "text"}, {"BYTEA", "bytea"},
		{"DATE", "date"}, {"UUID", "uuid"}, {"JSON", "json"}, {"JSONB", "jsonb"}, {"XML", "xml"},
		{"INET", "inet"}, {"CIDR", "cidr"}, {"MACADDR", "macaddr"}, {"MONEY", "money"},
		{"INTERVAL", "interval"}, {"OID", "oid"}, {"SERIAL", "integer"}, {"BIGSERIAL", "bigint"},
		{"SMALLSERIAL", "smallint"},
	};
	char base[96] = "";
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
		if (!strcmp(b, plain[i].jdbc))
			snprintf(base, sizeof base, "%s", plain[i].pg);
	long l = len[0] ? strtol(len, NULL, 10) : -1, s = scale[0] ? strtol(scale, NULL, 10) : -1;
	if (!base[0]) {
		if (!strcmp(b, "VARCHAR"))
			snprintf(base, sizeof base, l > 0 && l < 10485761 ? "character varying(%ld)" : "character varying", l);
		else if (!strcmp(b, "BPCHAR"))
			snprintf(base, sizeof base, l > 0 && l < 10485761 ? "character(%ld)" : "character", l);
		else if (!strcmp(b, "NUMERIC"))
			snprintf(base, sizeof base, l > 0 && l <= 1000 && s >= 0 && s <= l ? "numeric(%ld,%ld)" : "numeric", l, s);
		else if (!strcmp(b, "TIMESTAMP") || !strcmp(b, "TIMESTAMPTZ") || !strcmp(b, "TIME") ||
			 !strcmp(b, "TIMETZ")) {
			bool ts = b[4] == 'S', tz = b[strlen(b) - 1] == 'Z';
			if (s >= 0 && s <= 6)
				snprintf(base, sizeof base, "%s(%ld) with%s time zone", ts ? "timestamp" : "time", s,
					 tz ? "" : "out");
			else
				snprintf(base, sizeof base, "%s with%s time zone", ts ? "timestamp" : "time",
					 tz ? "" : "out");
		} else
			return false;
	}
	if ((size_t)snprintf(pgtype, cap, "%s%s", base, arr ? "[]" : "") >= cap)
		return false;
	return true;
}

static int schema_kind(const jt_node *schema, dbz_type *t, char *pgtype, size_t cap, char *err, size_t errlen,
		       int depth);

/* The kind a Connect type (and logical name) reads as, and the
 * PostgreSQL type that follows from it. */
static int schema_kind(const jt_node *schema, dbz_type *t, char *pgtype, size_t cap, char *err, size_t errlen,
		       int depth)
{
	memset(t, 0, sizeof *t);
	if (!schema || schema->type != JT_OBJECT)
		return record_errf(err, errlen, "a field's schema is not an object");
	const jt_node *ty = jt_get(schema, "type"), *nm = jt_get(schema, "name"), *params = jt_get(schema, "parameters");
	if (!ty || ty->type != JT_STRING)
		return record_errf(err, errlen, "a field's schema has no \"type\"");
	char type[16];
	snprintf(type, sizeof type, "%.*s", (int)(ty->len < 15 ? ty->len : 15), ty->s);
	/* the documentation's examples write some types in capitals */
	for (char *c = type; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	if (!strcmp(type, "float32"))
		strcpy(type, "float");
	if (!strcmp(type, "float64"))
		strcpy(type, "double");
	const char *pg = "text";
	char name[128] = "";
	if (nm && nm->type == JT_STRING)
		snprintf(name, sizeof name, "%.*s", (int)(nm->len < 127 ? nm->len : 127), nm->s);
	t->kind = DBZ_UNSUPPORTED;
	if (!strcmp(type, "array")) {
		if (depth > 0)
			return record_errf(err, errlen, "arrays of arrays are not supported");
		char elem[RECORD_NAME_MAX + 1];
		if (schema_kind(jt_get(schema, "items"), t, elem, sizeof elem, err, errlen, depth + 1) < 0)
			return -1;
		t->array = true;
		if (t->kind != DBZ_UNSUPPORTED && (size_t)snprintf(pgtype, cap, "%s[]", elem) >= cap)
			return record_errf(err, errlen, "type name too long");
		return 0;
	}
	if (!strcmp(name, "org.apache.kafka.connect.data.Decimal") && !strcmp(type, "bytes")) {
		char sc[16], pr[16];
		if (!get_param(params, "scale", sc, sizeof sc))
			return record_errf(err, errlen, "a Decimal schema without its \"scale\" parameter");
		t->kind = DBZ_DECIMAL;
		t->scale = atoi(sc);
		if (get_param(params, "connect.decimal.precision", pr, sizeof pr))
			t->precision = atoi(pr);
		if (t->precision > 0 && t->precision <= 1000 && t->scale >= 0 && t->scale <= t->precision)
			snprintf(pgtype, cap, "numeric(%d,%d)", t->precision, t->scale);
		else
			snprintf(pgtype, cap, "numeric");
		return 0;
	}
	static const struct {
		const char *name, *type;
		dbz_kind kind;
		const char *pg;
	} logical[] = {
		{"io.debezium.data.VariableScaleDecimal", "struct", DBZ_VSDECIMAL, "numeric"},
		{"io.debezium.time.Date", "int32", DBZ_DATE, "date"},
		{"org.apache.kafka.connect.data.Date", "int32", DBZ_DATE, "date"},
		{"io.debezium.time.Time", "int32", DBZ_TIME_MS, "time(3) without time zone"},
		{"org.apache.kafka.connect.data.Time", "int32", DBZ_TIME_MS, "time(3) without time zone"},
		{"io.debezium.time.MicroTime", "int64", DBZ_TIME_US, "time without time zone"},
		{"io.debezium.time.NanoTime", "int64", DBZ_TIME_NS, "time without time zone"},
		{"io.debezium.time.Timestamp", "int64", DBZ_TS_MS, "timestamp(3) without time zone"},
		{"org.apache.kafka.connect.data.Timestamp", "int64", DBZ_TS_MS, "timestamp(3) without time zone"},
		{"io.debezium.time.MicroTimestamp", "int64", DBZ_TS_US, "timestamp without time zone"},
		{"io.debezium.time.NanoTimestamp", "int64", DBZ_TS_NS, "timestamp without time zone"},
		{"io.debezium.time.ZonedTimestamp", "string", DBZ_ZONED_TS, "timestamp with time zone"},
		{"io.debezium.time.ZonedTime", "string", DBZ_ZONED_TIME, "time with time zone"},
		{"io.debezium.time.Interval", "string", DBZ_INTERVAL, "interval"},
		{"io.debezium.data.Uuid", "string", DBZ_STRING, "uuid"},
		{"io.debezium.data.Json", "string", DBZ_STRING, "json"},
		{"io.debezium.data.Xml", "string", DBZ_STRING, "xml"},
	};
	for (size_t i = 0; i < sizeof logical / sizeof logical[0]; i++)
		if (!strcmp(name, logical[i].name)) {
			if (strcmp(type, logical[i].type))
				return record_errf(err, errlen, "%s is not of type %s", name, type);
			t->kind = logical[i].kind;
			t->name = logical[i].name;
			pg = logical[i].pg;
			goto done;
		}
	if (!strcmp(name, "io.debezium.time.MicroDuration") || starts(name, "io.debezium.data.geometry.") ||
	    !strcmp(name, "io.debezium.data.Bits") || (starts(name, "io.debezium.data.") && strcmp(type, "string"))) {
		/* refused when a value comes (dbz_value_get), by this name */
		snprintf(t->why, sizeof t->why, "%.90s", name);
		return (size_t)snprintf(pgtype, cap, "text") >= cap ? record_errf(err, errlen, "type name too long") : 0;
	}
	static const struct {
		const char *type;
		dbz_kind kind;
		const char *pg;
	} plain[] = {
		{"int8", DBZ_INT16, "smallint"}, {"int16", DBZ_INT16, "smallint"}, {"int32", DBZ_INT32, "integer"},
		{"int64", DBZ_INT64, "bigint"}, {"float", DBZ_FLOAT32, "real"}, {"double", DBZ_FLOAT64, "double precision"},
		{"boolean", DBZ_BOOLEAN, "boolean"}, {"bytes", DBZ_BYTES, "bytea"}, {"string", DBZ_STRING, "text"},
	};
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
		if (!strcmp(type, plain[i].type)) {
			t->kind = plain[i].kind;
			pg = plain[i].pg;
			goto done;
		}
	snprintf(t->why, sizeof t->why, "%.15s%s%.78s", type, name[0] ? " " : "", name);
	pg = "text";
done:
	if ((size_t)snprintf(pgtype, cap, "%s", pg) >= cap)
		return record_errf(err, errlen, "type name too long");
	return 0;
}

int dbz_type_from_schema(const jt_node *schema, dbz_type *t, char *pgtype, size_t cap, char *err, size_t errlen)
{
	if (schema_kind(schema, t, pgtype, cap, err, errlen, 0) < 0)
		return -1;
	const jt_node *params = jt_get(schema, "parameters");
	char given[RECORD_NAME_MAX + 1];
	if (get_param(params, DBZ_TYPE_PARAM, given, sizeof given) ||
	    pg_from_source_params(params, given, sizeof given)) {
		/* the given name, as long as its values are written as the
		 * schema's kind writes them (an integer column's as integers …) */
		if (record_type_class(given) == record_type_class(pgtype) && strlen(given) < cap)
			strcpy(pgtype, given);
		/* an oid is an int64 whose record class is text (oid values
		 * are not integers of a record's classes): oid, read as such */
		else if (t->kind == DBZ_INT64 && !strcmp(given, t->array ? "oid[]" : "oid") && strlen(given) < cap)
			strcpy(pgtype, given);
	}
	if (t->kind == DBZ_INT64 && !strcmp(pgtype, t->array ? "oid[]" : "oid"))
		t->kind = DBZ_OID;
	/* money's Decimal: its value text is money's */
	if (t->kind == DBZ_DECIMAL && !t->array && !strcmp(pgtype, "money"))
		t->kind = DBZ_MONEY;
	return 0;
}

/* The kind of a schemaless event's scalar v: true/false boolean, a
 * VariableScaleDecimal struct, any other number or string its JSON text;
 * DBZ_UNSUPPORTED for arrays and other objects. */
static dbz_kind json_scalar_kind(const jt_node *v)
{
	switch (v->type) {
	case JT_TRUE:
	case JT_FALSE:
		return DBZ_BOOLEAN;
	case JT_NUMBER:
	case JT_STRING:
		return DBZ_JSON_TEXT;
	case JT_OBJECT: {
		const jt_node *sc = jt_get(v, "scale"), *val = jt_get(v, "value");
		if (v->len == 2 && sc && sc->type == JT_NUMBER && sc->is_int && val && val->type == JT_STRING)
			return DBZ_VSDECIMAL;
		return DBZ_UNSUPPORTED;
	}
	default:
		return DBZ_UNSUPPORTED;
	}
}

int dbz_type_refine_json(const jt_node *v, dbz_type *t, char *pgtype, size_t cap, int *known, char *err,
			 size_t errlen)
{
	/* Only true/false and the VariableScaleDecimal struct say what they
	 * are; a number may be a date or a time, a string Decimal bytes (or
	 * a real's "NaN" among its numbers): the type is "unknown", and the
	 * value its JSON text (see the man page) */
	if (v->type == JT_NULL)
		return 0;
	dbz_kind kind = DBZ_JSON_TEXT;
	bool array = v->type == JT_ARRAY, elems_known = !array;
	if (array) {
		/* one kind of element, as PostgreSQL's array text; nulls (and an
		 * empty array) tell nothing of it */
		for (const jt_node *k = v->first; k; k = k->next) {
			if (k->type == JT_NULL)
				continue;
			dbz_kind ek = json_scalar_kind(k);
			if (ek == DBZ_UNSUPPORTED)
				return record_errf(err, errlen, "an array of arrays or of objects other than VariableScaleDecimal");
			if (elems_known && ek != kind)
				return record_errf(err, errlen, "an array of values of different kinds");
			kind = ek;
			elems_known = true;
		}
	} else if ((kind = json_scalar_kind(v)) == DBZ_UNSUPPORTED) {
		return record_errf(err, errlen, "an object, which an event without its schema cannot say the type of");
	}
	if (*known != DBZ_JSON_NOTHING) {
		/* what another image (or the key) said: the same, or an array
		 * whose elements only this one shows */
		if (t->array != array)
			return record_errf(err, errlen, "an array in one image and not in another");
		if (!elems_known)
			return 0;
		if (*known == DBZ_JSON_KNOWN)
			return t->kind == kind ? 0 : record_errf(err, errlen, "values of different kinds in the images");
	}
	memset(t, 0, sizeof *t);
	t->kind = kind;
	t->array = array;
	*known = elems_known ? DBZ_JSON_KNOWN : DBZ_JSON_ARRAY_OF_NOTHING;
	const char *pg = array ? "unknown" : kind == DBZ_BOOLEAN ? "boolean" : kind == DBZ_VSDECIMAL ? "numeric" : "unknown";
	if ((size_t)snprintf(pgtype, cap, "%s", pg) >= cap)
		return record_errf(err, errlen, "type name too long");
	return 0;
}

/* ---- values: JSON -> record text ---- */

static bool is_placeholder_bytes(const buf *b)
{
	return b->len == strlen(DBZ_PLACEHOLDER) && memcmp(b->data, DBZ_PLACEHOLDER, b->len) == 0;
}

/* An int64 from an integer JSON number, in [lo, hi]. */
static bool json_int(const jt_node *v, int64_t lo, int64_t hi, int64_t *out)
{
	return v->type == JT_NUMBER && v->is_int && record_int_text_valid(v->s, v->len, out) && *out >= lo &&
	       *out <= hi;
}

static int scalar_get(const dbz_type *t, const jt_node *v, buf *out, buf *tmp, char *err, size_t errlen)
{
	int64_t x;
	switch (t->kind) {
	case DBZ_INT16:
	case DBZ_INT32:
	case DBZ_INT64: {
		int64_t lo = t->kind == DBZ_INT16 ? INT16_MIN : t->kind == DBZ_INT32 ? INT32_MIN : INT64_MIN;
		int64_t hi = t->kind == DBZ_INT16 ? INT16_MAX : t->kind == DBZ_INT32 ? INT32_MAX : INT64_MAX;
		if (!json_int(v, lo, hi, &x))
			return record_errf(err, errlen, "expected an integer of %d bits",
				    t->kind == DBZ_INT16 ? 16 : t->kind == DBZ_INT32 ? 32 : 64);
		return put(out, v->s, v->len);
	}
	case DBZ_OID:
		if (!json_int(v, 0, UINT32_MAX, &x))
			return record_errf(err, errlen, "expected an oid (an integer from 0 to 4294967295)");
		return put(out, v->s, v->len);
	case DBZ_FLOAT32:
	case DBZ_FLOAT64:
		if (v->type == JT_NUMBER)
			return put(out, v->s, v->len);
		if (str_eq(v, "NaN") || str_eq(v, "Infinity") || str_eq(v, "-Infinity"))
			return put(out, v->s, v->len);
		return record_errf(err, errlen, "expected a number");
	case DBZ_JSON_TEXT:
		/* a schemaless event's number or string: its JSON text */
		if (v->type == JT_NUMBER)
			return put(out, v->s, v->len);
		if (v->type != JT_STRING)
			return record_errf(err, errlen, "expected a number or a string");
		if (v->len == strlen(DBZ_PLACEHOLDER) && !memcmp(v->s, DBZ_PLACEHOLDER, v->len))
			return DBZ_GOT_PLACEHOLDER;
		return put(out, v->s, v->len);
	case DBZ_BOOLEAN:
		if (v->type != JT_TRUE && v->type != JT_FALSE)
			return record_errf(err, errlen, "expected true or false");
		return put(out, v->type == JT_TRUE ? "t" : "f", 1);
	case DBZ_STRING:
		if (v->type != JT_STRING)
			return record_errf(err, errlen, "expected a string");
		if (v->len == strlen(DBZ_PLACEHOLDER) && !memcmp(v->s, DBZ_PLACEHOLDER, v->len))
			return DBZ_GOT_PLACEHOLDER;
		return put(out, v->s, v->len);
	case DBZ_BYTES:
		if (v->type != JT_STRING || base64_get(v->s, v->len, tmp) < 0)
			return record_errf(err, errlen, "expected base64 bytes");
		if (is_placeholder_bytes(tmp))
			return DBZ_GOT_PLACEHOLDER;
		if (put(out, "\\x", 2) < 0 || buf_reserve(out, tmp->len * 2) < 0)
			return -1;
		for (size_t i = 0; i < tmp->len; i++) {
			unsigned char c = (unsigned char)tmp->data[i];
			out->data[out->len++] = "0123456789abcdef"[c >> 4];
			out->data[out->len++] = "0123456789abcdef"[c & 15];
		}
		return 0;
	case DBZ_DECIMAL:
	case DBZ_MONEY:
		if (v->type == JT_NUMBER) /* JsonConverter's decimal.format=NUMERIC */
			return number_text(v->s, v->len, t->scale, out, err, errlen);
		if (v->type != JT_STRING)
			return record_errf(err, errlen, "expected Decimal bytes in base64");
		if (t->kind == DBZ_MONEY) {
			buf num;
			buf_init(&num, 0);
			int rc = decimal_from_base64(v->s, v->len, t->scale, &num, err, errlen);
			if (rc == 0)
				rc = money_text(num.data, num.len, out);
			buf_free(&num);
			return rc;
		}
		return decimal_from_base64(v->s, v->len, t->scale, out, err, errlen);
	case DBZ_VSDECIMAL: {
		const jt_node *sc = jt_get(v, "scale"), *val = jt_get(v, "value");
		if (v->type != JT_OBJECT || !sc || !val || !json_int(sc, -1000000, 1000000, &x) || val->type != JT_STRING)
			return record_errf(err, errlen, "expected a VariableScaleDecimal {\"scale\",\"value\"}");
		return decimal_from_base64(val->s, val->len, (int)x, out, err, errlen);
	}
	case DBZ_DATE:
		if (!json_int(v, INT32_MIN, INT32_MAX, &x))
			return record_errf(err, errlen, "expected days as a 32-bit integer");
		return date_text(x, out);
	case DBZ_TIME_MS:
	case DBZ_TIME_US:
	case DBZ_TIME_NS: {
		int64_t unit = t->kind == DBZ_TIME_MS ? 1000 : t->kind == DBZ_TIME_US ? 1 : -1000;
		if (!json_int(v, 0, INT64_MAX, &x))
			return record_errf(err, errlen, "expected a time of day as a non-negative integer");
		if (unit < 0 && x % 1000)
			return record_errf(err, errlen, "NanoTime %.*s is finer than a microsecond", (int)v->len, v->s);
		if (unit > 1 && x > US_PER_DAY / unit)
			return record_errf(err, errlen, "time of day beyond 24:00:00");
		int64_t us = unit < 0 ? x / 1000 : x * unit;
		if (us > US_PER_DAY)
			return record_errf(err, errlen, "time of day beyond 24:00:00");
		return hms_text(us, out);
	}
	case DBZ_TS_MS:
	case DBZ_TS_US:
	case DBZ_TS_NS: {
		if (!json_int(v, INT64_MIN, INT64_MAX, &x))
			return record_errf(err, errlen, "expected a timestamp as an integer");
		int64_t us;
		if (t->kind == DBZ_TS_MS) {
			if (x == TS_POS_INF_US / 1000 || x == TS_NEG_INF_US / 1000)
				return put_s(out, x > 0 ? "infinity" : "-infinity");
			if (__builtin_mul_overflow(x, 1000, &us))
				return record_errf(err, errlen, "timestamp out of range");
		} else if (t->kind == DBZ_TS_US) {
			if (x == TS_POS_INF_US || x == TS_NEG_INF_US)
				return put_s(out, x > 0 ? "infinity" : "-infinity");
			us = x;
		} else {
			if (x == INT64_MAX || x == INT64_MIN)
				return put_s(out, x > 0 ? "infinity" : "-infinity");
			if (x % 1000)
				return record_errf(err, errlen, "NanoTimestamp %.*s is finer than a microsecond", (int)v->len, v->s);
			us = x / 1000;
		}
		return ts_text(us, false, out);
	}
	case DBZ_ZONED_TS:
		if (v->type != JT_STRING)
			return record_errf(err, errlen, "expected a ZonedTimestamp string");
		if (zoned_ts_get(v->s, v->len, out) < 0)
			return record_errf(err, errlen, "\"%.*s\" is not an ISO 8601 timestamp with offset to the microsecond",
				    (int)(v->len > 60 ? 60 : v->len), v->s);
		return 0;
	case DBZ_ZONED_TIME:
		if (v->type != JT_STRING)
			return record_errf(err, errlen, "expected a ZonedTime string");
		if (zoned_time_get(v->s, v->len, out) < 0)
			return record_errf(err, errlen, "\"%.*s\" is not an ISO 8601 time with offset to the microsecond",
				    (int)(v->len > 60 ? 60 : v->len), v->s);
		return 0;
	case DBZ_INTERVAL:
		if (v->type != JT_STRING || interval_get(v->s, v->len, out) < 0)
			return record_errf(err, errlen, "expected an ISO 8601 Interval within PostgreSQL's range");
		return 0;
	default:
		return record_errf(err, errlen, "%s has no exact PostgreSQL value here (see dbrepl-debezium(5))",
			    t->why[0] ? t->why : "this type");
	}
}

/* Whether the array v is Debezium's placeholder in the form of an array of
 * t (text, bytes, integer and uuid arrays have one each). */
static bool array_placeholder(const dbz_type *t, const jt_node *v, buf *tmp)
{
	const jt_node *k = v->first;
	size_t pl = strlen(DBZ_PLACEHOLDER);
	switch (t->kind) {
	case DBZ_STRING:
	case DBZ_JSON_TEXT:
		return v->len == 1 && k->type == JT_STRING &&
		       ((k->len == pl && !memcmp(k->s, DBZ_PLACEHOLDER, pl)) || jt_str_is(k, PLACEHOLDER_UUID));
	case DBZ_BYTES:
		return v->len == 1 && k->type == JT_STRING && base64_get(k->s, k->len, tmp) == 0 &&
		       is_placeholder_bytes(tmp);
	case DBZ_INT16:
	case DBZ_INT32:
	case DBZ_INT64:
	case DBZ_OID:
		if (v->len != pl)
			return false;
		for (size_t i = 0; i < pl; i++, k = k->next) {
			int64_t x;
			if (!json_int(k, INT64_MIN, INT64_MAX, &x) || x != (unsigned char)DBZ_PLACEHOLDER[i])
				return false;
		}
		return true;
	default:
		return false;
	}
}

int dbz_value_get(const dbz_type *t, const jt_node *v, buf *out, char *err, size_t errlen)
{
	buf_reset(out);
	buf tmp;
	buf_init(&tmp, 0);
	int rc;
	if (!t->array) {
		rc = scalar_get(t, v, out, &tmp, err, errlen);
	} else if (v->type != JT_ARRAY) {
		rc = record_errf(err, errlen, "expected an array");
	} else if (array_placeholder(t, v, &tmp)) {
		rc = DBZ_GOT_PLACEHOLDER;
	} else {
		dbz_type elem = *t;
		elem.array = false;
		rc = put(out, "{", 1);
		buf e;
		buf_init(&e, 0);
		for (const jt_node *k = v->first; k && rc == 0; k = k->next) {
			if (k != v->first)
				rc = put(out, ",", 1);
			if (rc == 0 && k->type == JT_NULL) {
				rc = put_s(out, "NULL");
				continue;
			}
			if (rc == 0 && (rc = scalar_get(&elem, k, &e, &tmp, err, errlen)) == DBZ_GOT_PLACEHOLDER)
				rc = record_errf(err, errlen, "a placeholder inside an array");
			if (rc == 0)
				rc = array_elem_text(out, e.data ? e.data : "", e.len);
			buf_reset(&e);
		}
		buf_free(&e);
		if (rc == 0)
			rc = put(out, "}", 1);
	}
	buf_free(&tmp);
	if (rc == 0 && buf_terminate(out) < 0)
		rc = record_errf(err, errlen, "out of memory");
	if (rc == 0 && utf8_valid_prefix((const unsigned char *)out->data, out->len) != out->len)
		rc = record_errf(err, errlen, "invalid UTF-8");
	return rc;
}

/* ---- values a reader would take for the placeholder ---- */

/* Whether s[0..n) holds mark (lower-case ASCII), in either case. */
static bool has_mark(const char *s, size_t n, const char *mark)
{
	size_t m = strlen(mark);
	for (size_t i = 0; i + m <= n; i++) {
		size_t k = 0;
		while (k < m && (s[i + k] | (s[i + k] >= 'A' && s[i + k] <= 'Z' ? 0x20 : 0)) == mark[k])
			k++;
		if (k == m)
			return true;
	}
	return false;
}

static void *arena_tree_alloc(void *ctx, size_t n, size_t align)
{
	return arena_alloc(ctx, n, align);
}

bool dbz_value_is_placeholder(const dbz_type *t, const char *text, size_t tlen, const char *json, size_t jlen)
{
	/* Only a value holding one of the placeholder's forms can be read as
	 * it: the text, its bytes in hex, its UUID, its character codes (an
	 * integer array of 28 elements, written in few bytes). The rest of
	 * the values pay a scan of their text. */
	bool ints = t->array && (t->kind == DBZ_INT16 || t->kind == DBZ_INT32 || t->kind == DBZ_INT64 || t->kind == DBZ_OID);
	if (!(ints && tlen < 256) && !has_mark(text, tlen, "__debezium_unavailable_value") &&
	    !has_mark(text, tlen, "5f5f646562657a69756d5f756e617661696c61626c655f76616c7565") &&
	    !has_mark(text, tlen, PLACEHOLDER_UUID))
		return false;
	arena a;
	arena_init(&a);
	char err[300];
	bool ph = false;
	const jt_node *v = jt_parse(json, jlen, arena_tree_alloc, &a, err, sizeof err);
	if (v && v->type != JT_NULL) {
		buf out;
		buf_init(&out, 0);
		int rc = dbz_value_get(t, v, &out, err, sizeof err);
		ph = rc == DBZ_GOT_PLACEHOLDER || (rc < 0 && strstr(err, "placeholder"));
		buf_free(&out);
	}
	arena_free(&a);
	return ph;
}
