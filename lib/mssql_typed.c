/* mssql_typed.c — see mssql_typed.h. */
#include "mssql_typed.h"

#include "civil.h"
#include "floattext.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICKS_PER_SEC 10000000ull
#define TICKS_PER_DAY (86400ull * TICKS_PER_SEC)
/* 0001-01-01 … 9999-12-31 */
#define MAX_DAYS 3652058

const char *mssql_host_sqltype(mssql_host h)
{
	static const char *const names[] = {
		[MSSQL_HOST_INT2] = "smallint",  [MSSQL_HOST_INT4] = "int",
		[MSSQL_HOST_INT8] = "bigint",    [MSSQL_HOST_BIT] = "bit",
		[MSSQL_HOST_REAL] = "real",      [MSSQL_HOST_FLT8] = "float",
		[MSSQL_HOST_DECIMAL] = "decimal", [MSSQL_HOST_MONEY] = "money",
		[MSSQL_HOST_DATE] = "date",      [MSSQL_HOST_TIME] = "time",
		[MSSQL_HOST_DATETIME2] = "datetime2", [MSSQL_HOST_DTO] = "datetimeoffset",
		[MSSQL_HOST_GUID] = "uniqueidentifier", [MSSQL_HOST_NSTRING] = "nvarchar",
		[MSSQL_HOST_BINARY] = "varbinary",
	};
	return names[h];
}

mssql_host mssql_typed_host(const tsql_type *t)
{
	switch (t->kind) {
	case TSQL_INT: /* "smallint", "int" or "bigint" (called per value: no strcmp) */
		return t->name[0] == 's' ? MSSQL_HOST_INT2 : t->name[0] == 'i' ? MSSQL_HOST_INT4 : MSSQL_HOST_INT8;
	case TSQL_BIT: return MSSQL_HOST_BIT;
	case TSQL_FLOAT: return t->name[0] == 'r' ? MSSQL_HOST_REAL : MSSQL_HOST_FLT8;
	case TSQL_DECIMAL: return MSSQL_HOST_DECIMAL;
	case TSQL_MONEY: return MSSQL_HOST_MONEY;
	case TSQL_DATE: return MSSQL_HOST_DATE;
	case TSQL_TIME: return MSSQL_HOST_TIME;
	case TSQL_DATETIME2: return MSSQL_HOST_DATETIME2;
	case TSQL_DTO: return MSSQL_HOST_DTO;
	case TSQL_UUID: return MSSQL_HOST_GUID;
	case TSQL_BINARY: return MSSQL_HOST_BINARY;
	case TSQL_STRING:
	default: return MSSQL_HOST_NSTRING;
	}
}

static int fail(char *err, size_t errlen, const char *what, const char *in, size_t len)
{
	snprintf(err, errlen, "%s: \"%.*s\"", what, (int)(len > 60 ? 60 : len), in);
	return -1;
}

static bool digit(char c) { return c >= '0' && c <= '9'; }

/* ---- integers ---- */
static int parse_int(const char *in, size_t len, int64_t lo, int64_t hi, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (i < len && (in[i] == '-' || in[i] == '+'))
		neg = in[i++] == '-';
	if (i == len)
		return -1;
	uint64_t v = 0, lim = neg ? (uint64_t)(-(lo + 1)) + 1 : (uint64_t)hi;
	if (len - i <= 18) {
		/* 18 digits stay below 10^18 < 2^63: no overflow to test for
		 * per digit, only the range at the end */
		for (; i < len; i++) {
			if (!digit(in[i]))
				return -1;
			v = v * 10 + (uint64_t)(in[i] - '0');
		}
		if (v > lim)
			return -1;
		*out = neg ? (int64_t)(0 - v) : (int64_t)v;
		return 0;
	}
	for (; i < len; i++) {
		if (!digit(in[i]))
			return -1;
		/* overflow tests rather than a 64-bit division per digit */
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(in[i] - '0'), &v) ||
		    v > lim)
			return -1;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* 10^38 = (10^19)^2: a constant (a loop of 38 multiplies here cost every
 * value of a decimal(38,s) column 190 instructions, callgrind) */
static inline unsigned __int128 pow10_38(void)
{
	return (unsigned __int128)10000000000000000000ull * 10000000000000000000ull;
}

/* ---- decimal ----
 * |text| * 10^scale, rounded half away from zero (what CAST of a string to
 * decimal does); -1 when it is not a number or needs more than prec digits.
 * exact: -1 also when it would round (a digit beyond the scale that is not
 * 0). */
static int parse_decimal(const char *in, size_t len, int prec, int scale, bool exact, bool *neg,
			 unsigned __int128 *mag)
{
	size_t i = 0;
	*neg = false;
	if (i < len && (in[i] == '-' || in[i] == '+'))
		*neg = in[i++] == '-';
	/* The value is v * 10^nw + w: digits go into w, a 64-bit word, and
	 * only every 18th moves v, whose 128-bit multiply costs several
	 * times more (most values have fewer than 18 digits). */
	static const uint64_t pow10[20] = {
		1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000, 10000000000ull,
		100000000000ull, 1000000000000ull, 10000000000000ull, 100000000000000ull, 1000000000000000ull,
		10000000000000000ull, 100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
	};
	/* The usual value: up to 18 digits, no more of them after the point
	 * than the scale (nothing to round), within 10^19 once scaled; the
	 * same result as the general way below at a third of its cost per
	 * digit. */
	if (len - i <= 19 && prec <= 38) {
		uint64_t w = 0;
		int nd = 0, nf = -1;
		size_t k = i;
		for (; k < len; k++) {
			unsigned d = (unsigned)(in[k] - '0');
			if (d < 10) {
				w = w * 10 + d;
				nd++;
				nf += nf >= 0;
			} else if (in[k] == '.' && nf < 0) {
				nf = 0;
			} else {
				break;
			}
		}
		int f = nf < 0 ? 0 : nf;
		if (k == len && nd > 0 && nd <= 18 && f <= scale && scale - f <= 19) {
			unsigned __int128 v = (unsigned __int128)w * pow10[scale - f];
			/* 10^prec, prec 1..38 (pow10[19] * pow10[19] is 10^38) */
			unsigned __int128 lim = prec <= 19 ? pow10[prec] : (unsigned __int128)pow10[19] * pow10[prec - 19];
			if (v >= lim)
				return -1;
			if (v == 0)
				*neg = false;
			*mag = v;
			return 0;
		}
	}
	unsigned __int128 v = 0;
	uint64_t w = 0;
	int nw = 0;
	int digits = 0, frac = 0;
	bool any = false, dot = false, round_up = false;
	for (; i < len; i++) {
		char c = in[i];
		if (c == '.') {
			if (dot)
				return -1;
			dot = true;
			continue;
		}
		if (!digit(c))
			return -1;
		any = true;
		if (dot && frac == scale) {
			/* the first digit beyond the scale rounds; the rest only
			 * has to be digits */
			round_up = c >= '5';
			if (exact && c != '0')
				return -1;
			for (i++; i < len; i++)
				if (!digit(in[i]) || (exact && in[i] != '0'))
					return -1;
			break;
		}
		if (dot)
			frac++;
		/* leading zeros are no digits */
		if ((digits > 0 || c != '0') && ++digits > 38)
			return -1;
		w = w * 10 + (unsigned)(c - '0');
		if (++nw == 18) {
			v = v * pow10[18] + w;
			w = 0;
			nw = 0;
		}
	}
	if (!any)
		return -1;
	v = v * pow10[nw] + w;
	for (; frac < scale; frac++) {
		if (v != 0 && ++digits > 38)
			return -1;
		v *= 10;
	}
	if (round_up)
		v++;
	if (prec < 38) {
		/* 10^prec, prec 1..37 */
		unsigned __int128 lim = prec <= 19 ? pow10[prec] : (unsigned __int128)pow10[19] * pow10[prec - 19];
		if (v >= lim)
			return -1;
	} else if (digits > 38 || (round_up && v == pow10_38())) {
		return -1;
	}
	if (v == 0)
		*neg = false;
	*mag = v;
	return 0;
}

/* "decimal(18,2)" (tsql_map_type's form) */
static void decimal_typmod(const char *name, int *prec, int *scale)
{
	const char *p = strchr(name, '(');
	int a = 18, b = 0;
	if (p) {
		for (a = 0, p++; digit(*p); p++)
			a = a * 10 + (*p - '0');
		if (*p == ',')
			for (p++; digit(*p); p++)
				b = b * 10 + (*p - '0');
	}
	*prec = a >= 1 && a <= 38 ? a : 38;
	*scale = b >= 0 && b <= *prec ? b : 0;
}

/* ---- dates and times ---- */
#define DAYS_0001_TO_1970 719162

static int num(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "YYYY-MM-DD" at in; days since 0001-01-01 */
static int parse_date(const char *in, size_t len, int32_t *days)
{
	if (len < 10 || in[4] != '-' || in[7] != '-')
		return -1;
	int y = num(in, 4), m = num(in + 5, 2), d = num(in + 8, 2);
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return -1;
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[m - 1] + (m == 2 && leap))
		return -1;
	*days = (int32_t)(civil_days(y, (unsigned)m, (unsigned)d) + DAYS_0001_TO_1970);
	return 0;
}

/* "HH:MM:SS[.fffffff]" at in; returns the characters read, -1 when bad.
 * Digits beyond the seventh (100 ns) are zeros here: tsql_stage_value
 * refused any value with more fractional digits than its type holds. */
static long parse_time(const char *in, size_t len, uint64_t *ticks)
{
	if (len < 8 || in[2] != ':' || in[5] != ':')
		return -1;
	int h = num(in, 2), mi = num(in + 3, 2), s = num(in + 6, 2);
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59)
		return -1;
	uint64_t t = ((uint64_t)h * 3600 + (uint64_t)mi * 60 + (uint64_t)s) * TICKS_PER_SEC;
	size_t i = 8;
	if (i < len && in[i] == '.') {
		i++;
		uint64_t f = 0, unit = TICKS_PER_SEC;
		size_t start = i;
		for (; i < len && digit(in[i]); i++) {
			if (unit > 1) {
				unit /= 10;
				f += (uint64_t)(in[i] - '0') * unit;
			}
		}
		if (i == start)
			return -1;
		t += f;
	}
	*ticks = t;
	return (long)i;
}

/* "Z", "+HH", "+HH:MM", "+HHMM" (or '-') at in, the whole rest */
static int parse_offset(const char *in, size_t len, int *minutes)
{
	if (len == 1 && in[0] == 'Z') {
		*minutes = 0;
		return 0;
	}
	if (len < 3 || (in[0] != '+' && in[0] != '-'))
		return -1;
	int h = num(in + 1, 2), m = 0;
	if (h < 0)
		return -1;
	if (len == 6 && in[3] == ':')
		m = num(in + 4, 2);
	else if (len == 5)
		m = num(in + 3, 2);
	else if (len != 3)
		return -1;
	if (m < 0 || m > 59 || h * 60 + m > 14 * 60)
		return -1;
	*minutes = (in[0] == '-' ? -1 : 1) * (h * 60 + m);
	return 0;
}

/* ---- text ---- */
int mssql_utf8_to_utf16le(buf *out, const char *s, size_t n)
{
	if (buf_reserve(out, 2 * n) < 0)
		return -1;
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	unsigned char *o = (unsigned char *)out->data + out->len;
	while (p < end) {
		uint32_t cp;
#if defined(__SSE2__)
		/* sixteen ASCII bytes at a time, each widened with a zero */
		if (end - p >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)p);
			if (!_mm_movemask_epi8(v)) {
				__m128i zero = _mm_setzero_si128();
				_mm_storeu_si128((__m128i *)o, _mm_unpacklo_epi8(v, zero));
				_mm_storeu_si128((__m128i *)(o + 16), _mm_unpackhi_epi8(v, zero));
				p += 16;
				o += 32;
				continue;
			}
		}
#endif
		/* eight ASCII bytes at a time: each byte, then a zero */
		if (end - p >= 8) {
			uint64_t w;
			memcpy(&w, p, 8);
			if (!(w & 0x8080808080808080ull)) {
				for (int k = 0; k < 8; k++) {
					o[2 * k] = p[k];
					o[2 * k + 1] = 0;
				}
				p += 8;
				o += 16;
				continue;
			}
		}
		if (p[0] < 0x80) {
			*o++ = *p++;
			*o++ = 0;
			continue;
		}
		size_t k;
		if ((p[0] & 0xe0) == 0xc0) {
			cp = p[0] & 0x1f;
			k = 2;
		} else if ((p[0] & 0xf0) == 0xe0) {
			cp = p[0] & 0x0f;
			k = 3;
		} else if ((p[0] & 0xf8) == 0xf0) {
			cp = p[0] & 0x07;
			k = 4;
		} else
			return -1;
		if ((size_t)(end - p) < k)
			return -1;
		for (size_t i = 1; i < k; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		p += k;
		if (cp >= 0x10000) {
			/* 4 UTF-8 bytes become 4 UTF-16 bytes: within the 2n reserved */
			uint32_t v = cp - 0x10000, hi = 0xd800 + (v >> 10), lo = 0xdc00 + (v & 0x3ff);
			*o++ = hi & 0xff, *o++ = (unsigned char)(hi >> 8), *o++ = lo & 0xff, *o++ = (unsigned char)(lo >> 8);
		} else {
			*o++ = cp & 0xff, *o++ = (unsigned char)(cp >> 8);
		}
	}
	out->len = (size_t)((char *)o - out->data);
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_guid(const char *in, size_t len, uint8_t g[16])
{
	uint8_t b[16];
	if (len != 36 || in[8] != '-' || in[13] != '-' || in[18] != '-' || in[23] != '-')
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			continue;
		int hi = hexval(in[i]), lo = hexval(in[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		b[k++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	/* SQL Server's byte order: the first three groups little-endian */
	g[0] = b[3], g[1] = b[2], g[2] = b[1], g[3] = b[0];
	g[4] = b[5], g[5] = b[4], g[6] = b[7], g[7] = b[6];
	memcpy(g + 8, b + 8, 8);
	return 0;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Whether the bytes of x that dm marks (0xff) are digits and the others
 * are lit's: eight at a time. A digit has the high nibble 3 and a low one
 * that adding 6 leaves below 16; masked to digits, no byte exceeds 0x3f,
 * so adding 6 to each carries into no other. */
static inline bool form8(const char *p, uint64_t dm, uint64_t lit)
{
	const uint64_t hi = 0xf0f0f0f0f0f0f0f0ull & dm, three = 0x3030303030303030ull & dm,
		       six = 0x0606060606060606ull & dm;
	uint64_t x;
	memcpy(&x, p, 8);
	uint64_t d = x & dm;
	return (x & ~dm) == lit && (d & hi) == three && ((d + six) & hi) == three;
}
#endif

/* Whether s[0..20) is "dddd-dd-ddTdd:dd:dd." with a digit at each d.
 * Byte by byte this was 2% of mssql-apply's instructions per snapshot
 * row of the bench's table (callgrind). */
static bool timestamp_form(const char *s)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* bytes 0-7 "dddd-dd-", 8-15 "ddTdd:dd", 12-19 "dd:dd:dd." from 12 */
	return form8(s, 0x00ffff00ffffffffull, 0x2d00002d00000000ull) &&
	       form8(s + 8, 0xffff00ffff00ffffull, 0x00003a0000540000ull) &&
	       form8(s + 12, 0x00ffff00ffff00ffull, 0x2e00003a00003a00ull);
#else
	static const char form[] = "dddd-dd-ddTdd:dd:dd.";
	for (size_t i = 0; i < 20; i++) {
		if (form[i] == 'd' ? !digit(s[i]) : s[i] != form[i])
			return false;
	}
	return true;
#endif
}

/* A timestamp as the record format writes it (record.h), UTC for a DTO:
 * "YYYY-MM-DDTHH:MM:SS", then '.' and 1 to prec fractional digits, then
 * 'Z' for a DTO and nothing for a datetime2. Such a value passes
 * tsql_stage_value as it is (a digit first, no " BC", 'T' at 10, no digit
 * to round) and the parse below reads it to exactly these days and ticks;
 * false for anything else, which goes that way, for its result or its
 * message. */
static bool record_timestamp(const char *s, size_t n, bool dto, int prec, int32_t *days, uint64_t *ticks)
{
	size_t k = n - 20 - dto; /* fractional digits */
	if (n < 21 + (size_t)dto || k > (size_t)prec || k > 7 || (dto && s[n - 1] != 'Z'))
		return false;
	if (!timestamp_form(s))
		return false;
	/* ticks per unit of the k-th fractional digit: no division per digit */
	static const uint32_t unit[8] = {TICKS_PER_SEC, 1000000, 100000, 10000, 1000, 100, 10, 1};
	uint64_t f = 0;
	for (size_t i = 20; i < 20 + k; i++) {
		if (!digit(s[i]))
			return false;
		f = f * 10 + (uint64_t)(s[i] - '0');
	}
	f *= unit[k];
#define D2(p) ((s[p] - '0') * 10 + (s[(p) + 1] - '0'))
	int y = D2(0) * 100 + D2(2), m = D2(5), d = D2(8), h = D2(11), mi = D2(14), sec = D2(17);
#undef D2
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap) || h > 23 || mi > 59 ||
	    sec > 59)
		return false;
	*days = (int32_t)(civil_days(y, (unsigned)m, (unsigned)d) + DAYS_0001_TO_1970);
	*ticks = ((uint64_t)h * 3600 + (uint64_t)mi * 60 + (uint64_t)sec) * TICKS_PER_SEC + f;
	return true;
}

void mssql_typed_col_init(mssql_typed_col *c, const tsql_type *t)
{
	c->t = t;
	c->host = mssql_typed_host(t);
	c->prec = c->scale = 0;
	if (c->host == MSSQL_HOST_DECIMAL) {
		int prec, scale;
		decimal_typmod(t->name, &prec, &scale);
		c->prec = (uint8_t)prec;
		c->scale = (uint8_t)scale;
	}
}

int mssql_typed_value(const tsql_type *t, const char *in, size_t len, buf *scratch, mssql_typed *out,
		      char *err, size_t errlen)
{
	mssql_typed_col c;
	mssql_typed_col_init(&c, t);
	return mssql_typed_col_value(&c, in, len, scratch, out, err, errlen);
}

static int col_value_general(const mssql_typed_col *c, const char *in, size_t len, buf *scratch,
			     mssql_typed *out, char *err, size_t errlen) __attribute__((noinline));

/* An integer of host h (smallint, int, bigint), or its message. Integers
 * pass no staging check: the usual and the general way both end here. */
static inline int int_value(mssql_host h, const char *in, size_t len, mssql_typed *out, char *err, size_t errlen)
{
	if (h == MSSQL_HOST_INT2)
		return parse_int(in, len, INT16_MIN, INT16_MAX, &out->i) < 0 ? fail(err, errlen, "not a smallint", in, len) : 0;
	if (h == MSSQL_HOST_INT4)
		return parse_int(in, len, INT32_MIN, INT32_MAX, &out->i) < 0 ? fail(err, errlen, "not an int", in, len) : 0;
	return parse_int(in, len, INT64_MIN, INT64_MAX, &out->i) < 0 ? fail(err, errlen, "not a bigint", in, len) : 0;
}

/* Text as UTF-16LE in scratch (MSSQL_TYPED_EMPTY for ''), or its message.
 * Text passes no staging check either. */
static inline int nstring_value(const char *in, size_t len, buf *scratch, mssql_typed *out, char *err,
				size_t errlen)
{
	if (len == 0)
		return MSSQL_TYPED_EMPTY;
	buf_reset(scratch);
	if (mssql_utf8_to_utf16le(scratch, in, len) < 0)
		return fail(err, errlen, "invalid UTF-8", in, len);
	out->data = (const uint8_t *)scratch->data;
	out->len = scratch->len;
	out->text = in;
	out->textlen = len;
	return 0;
}

int mssql_typed_col_value(const mssql_typed_col *c, const char *in, size_t len, buf *scratch, mssql_typed *out,
			  char *err, size_t errlen)
{
	mssql_host h = c->host;
	/* only the fields of h are set (a row of them per record) */
	out->host = h;
	out->null = false;
	out->offset = 0;
	/* The usual values, which col_value_general's checks would pass and
	 * then parse the same, skip them: decimals that fit as they are (1.5%
	 * of mssql-apply's instructions on the bench's table, callgrind),
	 * booleans, timestamps as the record format writes them (2.5%);
	 * integers and text whatever they are, as they pass no staging
	 * check (int_value, nstring_value). This function is small so that
	 * calling it costs little (the general one's prologue was 1% more,
	 * per column). Anything else goes the general way, for its result or
	 * its message. */
	switch (h) {
	case MSSQL_HOST_INT2:
	case MSSQL_HOST_INT4:
	case MSSQL_HOST_INT8:
		return int_value(h, in, len, out, err, errlen);
	case MSSQL_HOST_NSTRING:
		return nstring_value(in, len, scratch, out, err, errlen);
	case MSSQL_HOST_DECIMAL:
		out->prec = c->prec;
		out->scale = c->scale;
		if (parse_decimal(in, len, c->prec, c->scale, true, &out->neg, &out->mag) == 0)
			return 0;
		break;
	case MSSQL_HOST_BIT:
		if (len == 1 && (in[0] == 't' || in[0] == 'f')) {
			out->i = in[0] == 't';
			return 0;
		}
		break;
	case MSSQL_HOST_DATETIME2:
	case MSSQL_HOST_DTO:
		if (!c->t->legacy &&
		    record_timestamp(in, len, h == MSSQL_HOST_DTO, c->t->prec, &out->days, &out->ticks))
			return 0;
		break;
	default:
		break;
	}
	return col_value_general(c, in, len, scratch, out, err, errlen);
}

/* Every other value: the staging path's checks and clamps first, so both
 * paths refuse and clamp the same values. */
static int col_value_general(const mssql_typed_col *c, const char *in, size_t len, buf *scratch,
			     mssql_typed *out, char *err, size_t errlen)
{
	const tsql_type *t = c->t;
	mssql_host h = c->host;
	const char *s = in;
	size_t n = len;
	if (h != MSSQL_HOST_BINARY && h != MSSQL_HOST_GUID) {
		if (tsql_stage_value(t, in, len, scratch, &s, &n, err, errlen) < 0)
			return -1;
	}
	switch (h) {
	case MSSQL_HOST_BIT:
		out->i = s[0] == '1';
		return 0;
	case MSSQL_HOST_REAL:
	case MSSQL_HOST_FLT8: {
		/* any length: a double's exact expansion has hundreds of digits */
		double d;
		if (!floattext_read(s, n, h == MSSQL_HOST_REAL, &d) || isnan(d))
			return fail(err, errlen, "not a floating point number", in, len);
		if (isinf(d))
			return fail(err, errlen, h == MSSQL_HOST_REAL ? "out of range for real" : "out of range for float",
				    in, len);
		out->f = d;
		return 0;
	}
	case MSSQL_HOST_DECIMAL: {
		/* out->prec and out->scale: set before the checks, above */
		if (parse_decimal(s, n, out->prec, out->scale, false, &out->neg, &out->mag) < 0) {
			char what[96];
			snprintf(what, sizeof what, "not a number that fits %s", t->name);
			return fail(err, errlen, what, in, len);
		}
		return 0;
	}
	case MSSQL_HOST_MONEY: {
		bool neg;
		unsigned __int128 mag;
		/* money: 19 digits, 4 of them decimals, within ±2^63 */
		if (parse_decimal(s, n, 19, 4, false, &neg, &mag) < 0 ||
		    mag > (neg ? (unsigned __int128)INT64_MAX + 1 : (unsigned __int128)INT64_MAX))
			return fail(err, errlen, "out of range for money", in, len);
		out->i = neg ? (int64_t)(0 - (uint64_t)mag) : (int64_t)mag;
		return 0;
	}
	case MSSQL_HOST_DATE:
		if (n != 10 || parse_date(s, n, &out->days) < 0)
			return fail(err, errlen, "not a date", in, len);
		return 0;
	case MSSQL_HOST_TIME: {
		long k = parse_time(s, n, &out->ticks);
		if (k < 0 || (size_t)k != n)
			return fail(err, errlen, "not a time", in, len);
		return 0;
	}
	case MSSQL_HOST_DATETIME2:
	case MSSQL_HOST_DTO: {
		if (parse_date(s, n, &out->days) < 0 || n < 19 || (s[10] != 'T' && s[10] != ' '))
			return fail(err, errlen, "not a timestamp", in, len);
		long k = parse_time(s + 11, n - 11, &out->ticks);
		if (k < 0)
			return fail(err, errlen, "not a timestamp", in, len);
		size_t rest = n - 11 - (size_t)k;
		const char *r = s + 11 + k;
		int64_t days = out->days;
		int64_t ticks = (int64_t)out->ticks;
		if (h == MSSQL_HOST_DTO) {
			int off = 0;
			if (parse_offset(r, rest, &off) < 0)
				return fail(err, errlen, "not a timestamp with a time zone offset", in, len);
			out->offset = (int16_t)off;
			ticks -= (int64_t)off * 60 * (int64_t)TICKS_PER_SEC; /* to UTC */
		} else if (rest) {
			return fail(err, errlen, "not a timestamp", in, len);
		}
		while (ticks < 0) {
			ticks += (int64_t)TICKS_PER_DAY;
			days--;
		}
		while ((uint64_t)ticks >= TICKS_PER_DAY) {
			ticks -= (int64_t)TICKS_PER_DAY;
			days++;
		}
		if (days < 0 || days > MAX_DAYS)
			return fail(err, errlen, "timestamp out of SQL Server's range", in, len);
		out->days = (int32_t)days;
		out->ticks = (uint64_t)ticks;
		return 0;
	}
	case MSSQL_HOST_GUID:
		return parse_guid(s, n, out->guid) < 0 ? fail(err, errlen, "not a uuid", in, len) : 0;
	case MSSQL_HOST_BINARY: {
		if (n < 2 || s[0] != '\\' || s[1] != 'x' || n % 2)
			return fail(err, errlen, "bytea value is not \\x hex", in, len > 20 ? 20 : len);
		size_t nb = (n - 2) / 2;
		if (nb == 0)
			return MSSQL_TYPED_EMPTY;
		buf_reset(scratch);
		if (buf_reserve(scratch, nb) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		uint8_t *o = (uint8_t *)scratch->data;
		for (size_t i = 0; i < nb; i++) {
			int hi = hexval(s[2 + 2 * i]), lo = hexval(s[3 + 2 * i]);
			if (hi < 0 || lo < 0)
				return fail(err, errlen, "bytea value is not \\x hex", in, len > 20 ? 20 : len);
			o[i] = (uint8_t)(hi << 4 | lo);
		}
		scratch->len = nb;
		out->data = o;
		out->len = nb;
		return 0;
	}
	case MSSQL_HOST_NSTRING:
	default:
		return nstring_value(s, n, scratch, out, err, errlen);
	}
}

/* ---- printing ---- */
static int put_mag(buf *b, bool neg, unsigned __int128 v, int scale)
{
	char dig[48];
	int k = 0;
	do {
		dig[k++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	while (k <= scale)
		dig[k++] = '0';
	int rc = neg ? buf_putc(b, '-') : 0;
	for (int i = k - 1; i >= 0; i--) {
		rc |= buf_putc(b, dig[i]);
		if (i == scale && scale > 0)
			rc |= buf_putc(b, '.');
	}
	return rc;
}

static int put_dt(buf *b, int64_t days, uint64_t ticks, int date, int time)
{
	int rc = 0;
	if (date) {
		int64_t y;
		unsigned m, d;
		civil_date(days - DAYS_0001_TO_1970, &y, &m, &d);
		rc |= buf_printf(b, "%04d-%02u-%02u", (int)y, m, d);
	}
	if (date && time)
		rc |= buf_putc(b, 'T');
	if (time) {
		uint64_t s = ticks / TICKS_PER_SEC;
		rc |= buf_printf(b, "%02u:%02u:%02u.%07u", (unsigned)(s / 3600), (unsigned)(s / 60 % 60),
				 (unsigned)(s % 60), (unsigned)(ticks % TICKS_PER_SEC));
	}
	return rc;
}

int mssql_typed_literal(buf *b, const mssql_typed *v)
{
	if (v->null)
		return buf_puts(b, "NULL");
	int rc = 0;
	switch (v->host) {
	case MSSQL_HOST_INT2:
	case MSSQL_HOST_INT4:
	case MSSQL_HOST_INT8:
	case MSSQL_HOST_BIT:
		return buf_printf(b, "%lld", (long long)v->i);
	case MSSQL_HOST_REAL:
		return buf_printf(b, "CAST(N'%.9g' AS real)", v->f);
	case MSSQL_HOST_FLT8:
		return buf_printf(b, "CAST(N'%.17g' AS float)", v->f);
	case MSSQL_HOST_DECIMAL:
		rc |= buf_puts(b, "CAST(");
		rc |= put_mag(b, v->neg, v->mag, v->scale);
		rc |= buf_printf(b, " AS decimal(%u,%u))", v->prec, v->scale);
		return rc;
	case MSSQL_HOST_MONEY: {
		bool neg = v->i < 0;
		uint64_t m = neg ? 0 - (uint64_t)v->i : (uint64_t)v->i;
		rc |= buf_puts(b, "CAST(");
		rc |= put_mag(b, neg, m, 4);
		rc |= buf_puts(b, " AS money)");
		return rc;
	}
	case MSSQL_HOST_DATE:
		rc |= buf_puts(b, "CAST(N'");
		rc |= put_dt(b, v->days, 0, 1, 0);
		rc |= buf_puts(b, "' AS date)");
		return rc;
	case MSSQL_HOST_TIME:
		rc |= buf_puts(b, "CAST(N'");
		rc |= put_dt(b, 0, v->ticks, 0, 1);
		rc |= buf_puts(b, "' AS time(7))");
		return rc;
	case MSSQL_HOST_DATETIME2:
		rc |= buf_puts(b, "CAST(N'");
		rc |= put_dt(b, v->days, v->ticks, 1, 1);
		rc |= buf_puts(b, "' AS datetime2(7))");
		return rc;
	case MSSQL_HOST_DTO: {
		/* shown in its own offset, as SQL Server shows it */
		int64_t t = (int64_t)v->ticks + (int64_t)v->offset * 60 * (int64_t)TICKS_PER_SEC, days = v->days;
		while (t < 0)
			t += (int64_t)TICKS_PER_DAY, days--;
		while ((uint64_t)t >= TICKS_PER_DAY)
			t -= (int64_t)TICKS_PER_DAY, days++;
		int off = v->offset < 0 ? -v->offset : v->offset;
		rc |= buf_puts(b, "CAST(N'");
		rc |= put_dt(b, days, (uint64_t)t, 1, 1);
		rc |= buf_printf(b, "%c%02d:%02d' AS datetimeoffset(7))", v->offset < 0 ? '-' : '+', off / 60, off % 60);
		return rc;
	}
	case MSSQL_HOST_GUID: {
		const uint8_t *g = v->guid;
		return buf_printf(b,
				  "CAST(N'%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x' AS "
				  "uniqueidentifier)",
				  g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13],
				  g[14], g[15]);
	}
	case MSSQL_HOST_BINARY: {
		static const char hx[] = "0123456789abcdef";
		rc |= buf_puts(b, "0x");
		for (size_t i = 0; i < v->len; i++) {
			rc |= buf_putc(b, hx[v->data[i] >> 4]);
			rc |= buf_putc(b, hx[v->data[i] & 15]);
		}
		return rc;
	}
	case MSSQL_HOST_NSTRING:
	default:
		return tsql_nstr(b, v->text, v->textlen);
	}
}
