/* libFuzzer target: the typed values of a bulk copy (lib/mssql_typed.c),
 * against the rule "no value changes silently: a value the target cannot
 * hold exactly is refused by name, never rounded or truncated".
 *
 * An input is a column type and a value: byte 0 picks a PostgreSQL type,
 * mapped as mssql-apply maps it (tsql_map_type, or --type-map
 * numeric=decimal(p,s) / T=nvarchar(max)); byte 1 sets --clamp-infinity
 * and how the value is made; bytes 2-3 are the type's typmod (precision,
 * scale, length); the rest is the value as it is, or the bytes that shape
 * a plausible one (a number with sign, dot, exponent, '$' and ','; a
 * date, time or timestamp with a fraction and an offset; a uuid; \x hex;
 * a word such as infinity or NaN).
 *
 * mssql_typed_value must refuse with a message, or give a value that an
 * independent reference, written here from the value's text alone, finds
 * the same: integers and decimals digit for digit within the type's range,
 * precision and scale; money in 1/10,000 and its range; real and float the
 * very binary number the text reads as (no underflow to 0); dates, times
 * and timestamps field for field in UTC, with no fractional digit beyond
 * the type's precision; a uuid byte for byte in SQL Server's order;
 * varbinary byte for byte; text back to the same UTF-8. A value the
 * reference reads as one the type holds exactly must be taken.
 * mssql_typed_literal of a taken value must read back to the same value,
 * and mssql_utf8_to_utf16le must agree with a reference encoder on the
 * raw bytes.
 *
 * Its first runs found four values taken and changed, fixed since and
 * checked here like any other finding (tests/unit/test_mssql_typed.c has
 * each): more fractional-second digits than time(p), datetime2(p) or
 * datetimeoffset(p) holds ("00:00:00.5" into time(0) was sent as 0.5 s,
 * which the server rounds to 1 s); money with more than 4 decimals
 * ("0.00005" became 0.0001); a number below real's or float's range read
 * as 0 ("1e-46" into real); a real or float read only up to a NUL inside.
 */
#include "mssql_typed.h"
#include "tsql.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TICKS_PER_SEC 10000000ull
#define TICKS_PER_DAY (86400ull * TICKS_PER_SEC)
#define MAX_DAYS 3652058 /* 9999-12-31 */

static const char *cur_type;
static const char *cur_in;
static size_t cur_len;

static void show_input(void)
{
	fprintf(stderr, "  type %s, value (%zu bytes) \"", cur_type, cur_len);
	for (size_t i = 0; i < cur_len && i < 200; i++) {
		unsigned char c = (unsigned char)cur_in[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fprintf(stderr, "\"\n");
}

static void finding(const char *what)
{
	fprintf(stderr, "fuzz_mssql_typed: %s\n", what);
	show_input();
	abort();
}

/* ---- the input ---- */
typedef struct cursor {
	const uint8_t *p;
	size_t n;
} cursor;

static unsigned take(cursor *c)
{
	if (!c->n)
		return 0;
	c->n--;
	return *c->p++;
}

static bool app(buf *b, const char *s, size_t n)
{
	return buf_append(b, s, n) == 0;
}

static void puts_(buf *b, const char *s)
{
	if (buf_puts(b, s) < 0)
		abort();
}

static void putc_(buf *b, char c)
{
	if (buf_putc(b, c) < 0)
		abort();
}

static void digits(buf *b, cursor *c, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		putc_(b, (char)('0' + take(c) % 10));
}

/* a two-digit field: mostly in range, sometimes just beyond */
static void field2(buf *b, cursor *c, unsigned lim)
{
	unsigned v = take(c);
	v = v < 200 ? v % lim : v % 100;
	char t[3] = {(char)('0' + v / 10), (char)('0' + v % 10), 0};
	puts_(b, t);
}

static void shape_number(buf *b, cursor *c)
{
	unsigned f = take(c);
	if (f & 1)
		putc_(b, f & 2 ? '-' : '+');
	if ((f & 0x0c) == 0x0c)
		putc_(b, '$');
	unsigned nint = take(c);
	nint = nint < 128 ? nint % 8 : nint < 224 ? nint % 24 : nint % 45;
	bool commas = (f & 0x30) == 0x30;
	for (unsigned i = 0; i < nint; i++) {
		if (commas && i && (nint - i) % 3 == 0)
			putc_(b, ',');
		unsigned d = take(c);
		putc_(b, (char)('0' + (d < 40 ? 0 : d < 60 ? 9 : d % 10)));
	}
	if (f & 0x40) {
		putc_(b, '.');
		unsigned nfrac = take(c);
		nfrac = nfrac < 128 ? nfrac % 8 : nfrac < 224 ? nfrac % 24 : nfrac % 45;
		for (unsigned i = 0; i < nfrac; i++) {
			unsigned d = take(c);
			putc_(b, (char)('0' + (d < 40 ? 0 : d < 60 ? 9 : d < 70 ? 5 : d % 10)));
		}
	}
	if (f & 0x80) {
		unsigned e = take(c);
		putc_(b, e & 1 ? 'E' : 'e');
		if (e & 2)
			putc_(b, e & 4 ? '-' : '+');
		digits(b, c, 1 + (e >> 3) % 4);
	}
}

static void shape_offset(buf *b, cursor *c)
{
	unsigned o = take(c) % 8;
	if (o == 0)
		return;
	if (o == 1) {
		putc_(b, 'Z');
		return;
	}
	putc_(b, take(c) & 1 ? '-' : '+');
	field2(b, c, 16);
	if (o == 3)
		return;
	if (o == 4 || o == 5 || o == 7)
		putc_(b, ':');
	field2(b, c, 60);
	if (o == 7) {
		putc_(b, ':');
		field2(b, c, 60);
	}
}

static void shape_time(buf *b, cursor *c)
{
	field2(b, c, 25);
	putc_(b, ':');
	field2(b, c, 60);
	putc_(b, ':');
	field2(b, c, 61);
	unsigned f = take(c);
	if (f % 4) {
		putc_(b, '.');
		unsigned n = f / 4 % 13;
		for (unsigned i = 0; i < n; i++) {
			unsigned d = take(c);
			putc_(b, (char)('0' + (d < 50 ? 9 : d < 90 ? 0 : d < 110 ? 5 : d % 10)));
		}
	}
}

static void shape_date(buf *b, cursor *c)
{
	unsigned y = take(c);
	if (y < 16) { /* the ends */
		static const char *const ends[] = {"0001", "9999", "0000", "10000", "1900", "2000", "2024", "2100",
						   "0004", "1582", "1970", "0100", "9998", "2026", "0400", "1600"};
		puts_(b, ends[y]);
	} else {
		digits(b, c, 4);
	}
	putc_(b, '-');
	field2(b, c, 14);
	putc_(b, '-');
	field2(b, c, 33);
}

static void shape_timestamp(buf *b, cursor *c, unsigned how)
{
	shape_date(b, c);
	if (how % 8 == 0)
		return;
	putc_(b, how % 8 == 1 ? ' ' : 'T');
	shape_time(b, c);
	if (how & 8)
		shape_offset(b, c);
	if ((how & 0x30) == 0x30)
		puts_(b, " BC");
}

static void shape_guid(buf *b, cursor *c)
{
	static const char hx[] = "0123456789abcdef0123456789ABCDEF";
	unsigned f = take(c);
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (!(f & 1))
				putc_(b, '-');
			continue;
		}
		putc_(b, hx[take(c) % 32]);
	}
	if (f & 2)
		putc_(b, 'g');
}

static void shape_bytea(buf *b, cursor *c)
{
	static const char hx[] = "0123456789abcdef0123456789ABCDEF";
	unsigned f = take(c);
	puts_(b, (f & 0x18) == 0x18 ? "\\X" : "\\x");
	unsigned n = take(c);
	for (unsigned i = 0; i < 2 * n + ((f & 6) == 6); i++) {
		unsigned d = take(c);
		putc_(b, d == 255 ? 'g' : hx[d % 32]);
	}
}

static void shape_word(buf *b, cursor *c)
{
	static const char *const words[] = {
		"infinity", "-infinity", "Infinity", "-Infinity", "NaN", "nan", "inf", "-inf", "+Infinity", "t",
		"f", "true", "false", "TRUE", "yes", "1", "0", "-0", "+0", "", "24:00:00", "23:59:59.9999999",
		"\\x", "0.", ".5", ".", "-", "+", "$", "-$0.00", "1e-400", "1e-50", "1e-310", "1e-40",
		"3.4028235e38", "3.4028236e38", "3.5e38", "1.7976931348623157e308", "1.8e308", "0x1p-1074",
		"4.9e-324", "2.2250738585072014e-308", "1.17549435e-38", "1.1754942e-38", "9223372036854775807",
		"-9223372036854775808", "9223372036854775808", "32767", "-32768", "2147483648",
		"922337203685477.5807", "-922337203685477.5808", "922337203685477.5808", "0.00005", "1.23456",
		"00:00:00.00000005", "00:00:00.0000005", "23:59:59.99999995", "2026-01-01T23:59:59.99999995",
		"9999-12-31T23:59:59.9999999", "0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-14:00",
		"0001-01-01T00:00:00+14:00", "2024-02-29", "2023-02-29", "0044-03-15 BC",
		"6f9619ff-8b86-d011-b42d-00c04fc964ff", " 1", "1 ", "1\0005",
	};
	unsigned k = take(c) % (sizeof words / sizeof words[0]);
	const char *w = words[k];
	/* the embedded NUL of the last word counts */
	size_t n = k + 1 == sizeof words / sizeof words[0] ? 3 : strlen(w);
	if (!app(b, w, n))
		abort();
}

/* ---- the types ---- */
enum ref { R_INT2, R_INT4, R_INT8, R_BIT, R_REAL, R_FLT8, R_MONEY, R_DEC, R_DATE, R_TIME, R_TS, R_TSTZ, R_GUID,
	   R_BIN, R_TEXT };

typedef struct want {
	enum ref ref;
	int prec, scale; /* R_DEC; R_TIME, R_TS, R_TSTZ: fractional digits */
} want;

/* Builds type k into pg (the PostgreSQL type as records spell it) and
 * *t; *w is what the reference expects of it. */
static void make_type(unsigned k, unsigned a, unsigned b, bool clamp, char *pg, size_t pglen, tsql_type *t,
		      want *w)
{
	memset(w, 0, sizeof *w);
	int p = (int)(a % 7), dp = 1 + (int)(a % 38), ds = (int)(b % (unsigned)(dp + 1));
	const char *sqlmap = NULL;
	w->ref = R_TEXT;
	switch (k % 30) {
	case 0: snprintf(pg, pglen, "smallint"); w->ref = R_INT2; break;
	case 1: snprintf(pg, pglen, "integer"); w->ref = R_INT4; break;
	case 2: snprintf(pg, pglen, "bigint"); w->ref = R_INT8; break;
	case 3: snprintf(pg, pglen, "boolean"); w->ref = R_BIT; break;
	case 4: snprintf(pg, pglen, "real"); w->ref = R_REAL; break;
	case 5: snprintf(pg, pglen, "double precision"); w->ref = R_FLT8; break;
	case 6: snprintf(pg, pglen, "money"); w->ref = R_MONEY; break;
	case 7: snprintf(pg, pglen, "date"); w->ref = R_DATE; break;
	case 8: snprintf(pg, pglen, "uuid"); w->ref = R_GUID; break;
	case 9: snprintf(pg, pglen, "bytea"); w->ref = R_BIN; break;
	case 10: snprintf(pg, pglen, "text"); break;
	case 11: snprintf(pg, pglen, "character varying(%u)", 1 + a % 4000); break;
	case 12: snprintf(pg, pglen, "character(%u)", 1 + a % 4000); break;
	case 13: snprintf(pg, pglen, "jsonb"); break;
	case 14: snprintf(pg, pglen, "integer[]"); break;
	case 15: snprintf(pg, pglen, "numeric"); break; /* no decimal holds every value: text */
	case 16:
	case 17:
		snprintf(pg, pglen, "numeric(%d,%d)", dp, ds);
		w->ref = R_DEC, w->prec = dp, w->scale = ds;
		break;
	case 18:
		snprintf(pg, pglen, "numeric(%d)", dp);
		w->ref = R_DEC, w->prec = dp, w->scale = 0;
		break;
	case 19:
	case 20:
		snprintf(pg, pglen, "timestamp(%d) without time zone", p);
		w->ref = R_TS, w->prec = p;
		break;
	case 21: snprintf(pg, pglen, "timestamp without time zone"); w->ref = R_TS, w->prec = 6; break;
	case 22:
	case 23:
		snprintf(pg, pglen, "timestamp(%d) with time zone", p);
		w->ref = R_TSTZ, w->prec = p;
		break;
	case 24: snprintf(pg, pglen, "timestamp with time zone"); w->ref = R_TSTZ, w->prec = 6; break;
	case 25:
		snprintf(pg, pglen, "time(%d) without time zone", p);
		w->ref = R_TIME, w->prec = p;
		break;
	case 26: snprintf(pg, pglen, "time without time zone"); w->ref = R_TIME, w->prec = 6; break;
	case 27: /* --type-map numeric=decimal(p,s) */
		snprintf(pg, pglen, "numeric");
		w->ref = R_DEC, w->prec = dp, w->scale = ds;
		break;
	case 28: { /* --type-map T=nvarchar(max), for any T */
		static const char *const any[] = {"integer", "numeric(10,2)", "timestamp with time zone", "money",
						  "bytea", "date", "double precision", "uuid"};
		snprintf(pg, pglen, "%s", any[a % 8]);
		sqlmap = "nvarchar(max)";
		break;
	}
	default: snprintf(pg, pglen, b & 1 ? "interval" : "time with time zone"); break;
	}
	if (k % 30 == 27) {
		static char sql[32];
		snprintf(sql, sizeof sql, "decimal(%d,%d)", dp, ds);
		sqlmap = sql;
	}
	if (sqlmap) {
		char err[300];
		if (tsql_type_map_check(pg, sqlmap, err, sizeof err) < 0)
			abort(); /* the target's own mistake */
		const char *pgs[1] = {pg}, *sqls[1] = {sqlmap};
		tsql_type_map m = {1, pgs, sqls};
		tsql_map_type_with(pg, &m, t);
	} else {
		tsql_map_type(pg, t);
	}
	t->clamp = clamp;
}

static mssql_host want_host(const want *w)
{
	static const mssql_host h[] = {
		[R_INT2] = MSSQL_HOST_INT2, [R_INT4] = MSSQL_HOST_INT4,   [R_INT8] = MSSQL_HOST_INT8,
		[R_BIT] = MSSQL_HOST_BIT,   [R_REAL] = MSSQL_HOST_REAL,   [R_FLT8] = MSSQL_HOST_FLT8,
		[R_MONEY] = MSSQL_HOST_MONEY, [R_DEC] = MSSQL_HOST_DECIMAL, [R_DATE] = MSSQL_HOST_DATE,
		[R_TIME] = MSSQL_HOST_TIME, [R_TS] = MSSQL_HOST_DATETIME2, [R_TSTZ] = MSSQL_HOST_DTO,
		[R_GUID] = MSSQL_HOST_GUID, [R_BIN] = MSSQL_HOST_BINARY,  [R_TEXT] = MSSQL_HOST_NSTRING,
	};
	return h[w->ref];
}

/* ---- the reference ---- */
static bool isdig(char c) { return c >= '0' && c <= '9'; }

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A plain decimal number [+-](D+[.D*]|.D+): its sign, its integer digits
 * without leading zeros and its fraction without trailing zeros (into
 * ip/fp, NUL-terminated, of at most cap-1 digits each). */
typedef struct dec {
	bool neg; /* and not zero */
	char ip[160], fp[160];
	size_t ni, nf;
} dec;

static bool parse_dec_ref(const char *s, size_t n, dec *d)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	size_t i0 = i;
	while (i < n && isdig(s[i]))
		i++;
	size_t ie = i, f0 = i, fe = i;
	if (i < n && s[i] == '.') {
		f0 = ++i;
		while (i < n && isdig(s[i]))
			i++;
		fe = i;
	}
	if (i != n || (ie == i0 && fe == f0))
		return false;
	while (i0 < ie && s[i0] == '0')
		i0++;
	while (fe > f0 && s[fe - 1] == '0')
		fe--;
	d->ni = ie - i0;
	d->nf = fe - f0;
	if (d->ni >= sizeof d->ip || d->nf >= sizeof d->fp) {
		d->ni = d->nf = sizeof d->ip; /* "too many": no type holds it */
		d->ip[0] = d->fp[0] = '\0';
		d->neg = neg;
		return true;
	}
	memcpy(d->ip, s + i0, d->ni);
	d->ip[d->ni] = '\0';
	memcpy(d->fp, s + f0, d->nf);
	d->fp[d->nf] = '\0';
	d->neg = neg && (d->ni || d->nf);
	return true;
}

/* The value of mag / 10^scale as a dec. */
static void dec_of_mag(bool neg, unsigned __int128 mag, int scale, dec *d)
{
	char t[64];
	int k = 0;
	do {
		t[k++] = (char)('0' + (int)(mag % 10));
		mag /= 10;
	} while (mag);
	while (k <= scale)
		t[k++] = '0';
	char s[70];
	int o = 0;
	for (int i = k - 1; i >= 0; i--) {
		s[o++] = t[i];
		if (i == scale && scale > 0)
			s[o++] = '.';
	}
	if (!parse_dec_ref(s, (size_t)o, d))
		abort();
	d->neg = neg && (d->ni || d->nf);
}

static bool dec_eq(const dec *a, const dec *b)
{
	return a->neg == b->neg && a->ni == b->ni && a->nf == b->nf && !strcmp(a->ip, b->ip) && !strcmp(a->fp, b->fp);
}

/* |d| * 10^4 when it is an integer below 2^100; false otherwise */
static bool dec_scaled(const dec *d, int scale, unsigned __int128 *v)
{
	if ((int)d->nf > scale || d->ni + (size_t)scale > 30)
		return false;
	unsigned __int128 x = 0;
	for (size_t i = 0; i < d->ni; i++)
		x = x * 10 + (unsigned)(d->ip[i] - '0');
	for (int i = 0; i < scale; i++)
		x = x * 10 + (i < (int)d->nf ? (unsigned)(d->fp[i] - '0') : 0);
	*v = x;
	return true;
}

/* days since 0001-01-01, counted as the calendar counts them */
static int32_t ref_days(int y, int m, int d)
{
	static const int cum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
	int y1 = y - 1;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return 365 * y1 + y1 / 4 - y1 / 100 + y1 / 400 + cum[m - 1] + (m > 2 && leap) + d - 1;
}

static int num2(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdig(s[i]))
			return -1;
		v = v * 10 + s[i] - '0';
	}
	return v;
}

/* "YYYY-MM-DD" exactly (4-digit years 0001-9999) */
static bool ref_date(const char *s, size_t n, int32_t *days)
{
	if (n != 10 || s[4] != '-' || s[7] != '-')
		return false;
	int y = num2(s, 4), m = num2(s + 5, 2), d = num2(s + 8, 2);
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > md[m - 1] + (m == 2 && leap))
		return false;
	*days = ref_days(y, m, d);
	return true;
}

/* "HH:MM:SS[.F+]" exactly; *sig: the fraction's digits without trailing
 * zeros; *ticks exact when sig <= 7 */
static bool ref_time(const char *s, size_t n, uint64_t *ticks, int *sig)
{
	if (n < 8 || s[2] != ':' || s[5] != ':')
		return false;
	int h = num2(s, 2), mi = num2(s + 3, 2), se = num2(s + 6, 2);
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59)
		return false;
	uint64_t t = ((uint64_t)h * 3600 + (uint64_t)mi * 60 + (uint64_t)se) * TICKS_PER_SEC;
	*sig = 0;
	if (n > 8) {
		if (s[8] != '.' || n == 9)
			return false;
		size_t e = n;
		for (size_t i = 9; i < n; i++)
			if (!isdig(s[i]))
				return false;
		while (e > 9 && s[e - 1] == '0')
			e--;
		*sig = (int)(e - 9);
		uint64_t unit = TICKS_PER_SEC;
		for (size_t i = 9; i < e && i < 16; i++) {
			unit /= 10;
			t += (uint64_t)(s[i] - '0') * unit;
		}
	}
	*ticks = t;
	return true;
}

/* Z, ±HH, ±HH:MM, ±HHMM, at most 14:00 */
static bool ref_offset(const char *s, size_t n, int *min)
{
	if (n == 1 && s[0] == 'Z') {
		*min = 0;
		return true;
	}
	if ((n != 3 && n != 5 && n != 6) || (s[0] != '+' && s[0] != '-'))
		return false;
	int h = num2(s + 1, 2), m = 0;
	if (n == 6 && s[3] != ':')
		return false;
	if (n > 3)
		m = num2(s + n - 2, 2);
	if (h < 0 || m < 0 || m > 59 || h * 60 + m > 14 * 60)
		return false;
	*min = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
	return true;
}

static bool eqs(const char *s, size_t n, const char *w)
{
	return n == strlen(w) && !memcmp(s, w, n);
}

typedef struct tsval {
	int64_t days;   /* UTC */
	uint64_t ticks; /* UTC */
	int offset;
	int sig;        /* significant fractional digits */
} tsval;

/* A timestamp: date, 'T' or ' ', time, then (tz) an offset; in UTC. false
 * when it is none (or out of range in UTC). */
static bool ref_timestamp(const char *s, size_t n, bool tz, tsval *v)
{
	int32_t days;
	if (n < 19 || !ref_date(s, 10, &days) || (s[10] != 'T' && s[10] != ' '))
		return false;
	/* the time runs to the offset's sign or Z */
	size_t te = n;
	if (tz) {
		te = 19;
		if (te < n && s[te] == '.')
			for (te++; te < n && isdig(s[te]); te++)
				;
		if (!ref_offset(s + te, n - te, &v->offset))
			return false;
	} else {
		v->offset = 0;
	}
	if (!ref_time(s + 11, te - 11, &v->ticks, &v->sig))
		return false;
	int64_t t = (int64_t)v->ticks - (int64_t)v->offset * 60 * (int64_t)TICKS_PER_SEC;
	int64_t d = days;
	if (t < 0)
		t += (int64_t)TICKS_PER_DAY, d--;
	else if ((uint64_t)t >= TICKS_PER_DAY)
		t -= (int64_t)TICKS_PER_DAY, d++;
	v->days = d;
	v->ticks = (uint64_t)t;
	return d >= 0 && d <= MAX_DAYS;
}

/* UTF-8 (no overlongs, surrogates or code points beyond U+10FFFF) to
 * UTF-16LE, appended to o; false when s is not UTF-8. */
static bool ref_utf16(const char *s, size_t n, buf *o)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		uint32_t c = p[i];
		size_t k;
		uint32_t min;
		if (c < 0x80)
			k = 1, min = 0;
		else if (c >= 0xc2 && c <= 0xdf)
			k = 2, c &= 0x1f, min = 0x80;
		else if (c >= 0xe0 && c <= 0xef)
			k = 3, c &= 0x0f, min = 0x800;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 4, c &= 0x07, min = 0x10000;
		else
			return false;
		if (n - i < k)
			return false;
		for (size_t j = 1; j < k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (p[i + j] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		i += k;
		unsigned char u[4];
		if (c >= 0x10000) {
			uint32_t v = c - 0x10000, hi = 0xd800 | v >> 10, lo = 0xdc00 | (v & 0x3ff);
			u[0] = hi & 0xff, u[1] = (unsigned char)(hi >> 8), u[2] = lo & 0xff, u[3] = (unsigned char)(lo >> 8);
			if (!app(o, (char *)u, 4))
				abort();
		} else {
			u[0] = c & 0xff, u[1] = (unsigned char)(c >> 8);
			if (!app(o, (char *)u, 2))
				abort();
		}
	}
	return true;
}

/* UTF-16LE back to UTF-8 (false on a lone surrogate) */
static bool ref_utf8(const uint8_t *u, size_t n, buf *o)
{
	if (n % 2)
		return false;
	for (size_t i = 0; i < n; i += 2) {
		uint32_t c = (uint32_t)u[i] | (uint32_t)u[i + 1] << 8;
		if (c >= 0xd800 && c <= 0xdbff) {
			if (i + 3 >= n)
				return false;
			uint32_t lo = (uint32_t)u[i + 2] | (uint32_t)u[i + 3] << 8;
			if (lo < 0xdc00 || lo > 0xdfff)
				return false;
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		} else if (c >= 0xdc00 && c <= 0xdfff) {
			return false;
		}
		char e[4];
		size_t k;
		if (c < 0x80)
			e[0] = (char)c, k = 1;
		else if (c < 0x800)
			e[0] = (char)(0xc0 | c >> 6), e[1] = (char)(0x80 | (c & 0x3f)), k = 2;
		else if (c < 0x10000)
			e[0] = (char)(0xe0 | c >> 12), e[1] = (char)(0x80 | (c >> 6 & 0x3f)), e[2] = (char)(0x80 | (c & 0x3f)),
			k = 3;
		else
			e[0] = (char)(0xf0 | c >> 18), e[1] = (char)(0x80 | (c >> 12 & 0x3f)),
			e[2] = (char)(0x80 | (c >> 6 & 0x3f)), e[3] = (char)(0x80 | (c & 0x3f)), k = 4;
		if (!app(o, e, k))
			abort();
	}
	return true;
}

/* The number a real or float text reads as (strtod or strtof on the
 * whole text, which must hold no NUL); *zero_text when its digits are all
 * zeros. false when it is no number. */
static bool ref_float(const char *s, size_t n, bool real, double *v, bool *zero_text)
{
	/* any length: mssql_typed reads a double's exact expansion (hundreds
	 * of digits) too */
	if (n == 0 || memchr(s, '\0', n))
		return false;
	char *t = malloc(n + 1);
	if (!t)
		abort();
	memcpy(t, s, n);
	t[n] = '\0';
	char *end;
	double d = real ? (double)strtof(t, &end) : strtod(t, &end);
	if (*end || end == t) {
		free(t);
		return false;
	}
	/* the mantissa's digits, up to the exponent */
	const char *p = t;
	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	if (*p == '+' || *p == '-')
		p++;
	bool hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
	if (hex)
		p += 2;
	*zero_text = true;
	for (; *p; p++) {
		if (hex ? (*p == 'p' || *p == 'P') : (*p == 'e' || *p == 'E'))
			break;
		if (*p == '.' || *p == '0')
			continue;
		if (hex ? hexv(*p) > 0 : (*p >= '1' && *p <= '9'))
			*zero_text = false;
	}
	free(t);
	*v = d;
	return true;
}

/* -?D+[.D+][e[+-]D+], or 0 as PostgreSQL prints it */
static bool pg_float_form(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == '-')
		i++;
	size_t d0 = i;
	while (i < n && isdig(s[i]))
		i++;
	if (i == d0)
		return false;
	if (i < n && s[i] == '.') {
		size_t f0 = ++i;
		while (i < n && isdig(s[i]))
			i++;
		if (i == f0)
			return false;
	}
	if (i < n && s[i] == 'e') {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t e0 = i;
		while (i < n && isdig(s[i]))
			i++;
		if (i == e0)
			return false;
	}
	return i == n;
}

/* ---- checks of a taken value ---- */
static buf scratch, lit, tmp, tmp2;

static void check_int(const char *s, size_t n, const mssql_typed *v, int64_t lo, int64_t hi, int rc)
{
	dec d;
	bool plain = n && memchr(s, '.', n) == NULL && parse_dec_ref(s, n, &d) && d.nf == 0;
	unsigned __int128 m = 0;
	bool fits = plain && dec_scaled(&d, 0, &m) &&
		    (d.neg ? m <= (unsigned __int128)(-(lo + 1)) + 1 : m <= (unsigned __int128)hi);
	if (rc != 0) {
		if (fits)
			finding("an integer in range refused");
		return;
	}
	if (!fits)
		finding("an integer taken that is none, or out of range");
	int64_t want = d.neg ? (int64_t)(0 - (uint64_t)m) : (int64_t)m;
	if (v->i != want)
		finding("an integer taken as another");
}

static void check_dec(const char *s, size_t n, const mssql_typed *v, const want *w, int rc)
{
	dec d;
	bool num = parse_dec_ref(s, n, &d);
	bool fits = num && (int)d.ni <= w->prec - w->scale && (int)d.nf <= w->scale;
	if (rc != 0) {
		if (fits)
			finding("a decimal that fits refused");
		return;
	}
	if (!fits)
		finding("a decimal taken that is none, or does not fit the precision and scale");
	if (v->prec != w->prec || v->scale != w->scale)
		finding("a decimal taken with another precision or scale");
	dec g;
	dec_of_mag(v->neg, v->mag, v->scale, &g);
	if (!dec_eq(&d, &g))
		finding("a decimal taken as another number");
}

static void check_money(const char *s, size_t n, const mssql_typed *v, int rc)
{
	/* lc_monetary C: "-$1,234.56"; '$' and ',' are no part of the number */
	char t[400];
	size_t k = 0;
	if (n >= sizeof t)
		n = sizeof t - 1; /* the number then is none */
	for (size_t i = 0; i < n; i++)
		if (s[i] != '$' && s[i] != ',')
			t[k++] = s[i];
	dec d;
	unsigned __int128 m = 0;
	bool num = n < sizeof t - 1 && parse_dec_ref(t, k, &d);
	bool exact = num && (int)d.nf <= 4;
	bool fits = exact && dec_scaled(&d, 4, &m) &&
		    m <= (d.neg ? (unsigned __int128)INT64_MAX + 1 : (unsigned __int128)INT64_MAX);
	if (rc != 0) {
		if (fits)
			finding("money in range refused");
		return;
	}
	if (num && !exact && (int)d.nf > 4)
		finding("money with more than 4 decimals taken (rounded)");
	if (!fits)
		finding("money taken that is none, or out of range");
	int64_t want = d.neg ? (int64_t)(0 - (uint64_t)m) : (int64_t)m;
	if (v->i != want)
		finding("money taken as another amount");
}

static void check_float(const char *s, size_t n, const mssql_typed *v, bool real, int rc)
{
	double d;
	bool zero_text = true;
	bool num = ref_float(s, n, real, &d, &zero_text);
	bool holds = num && !isnan(d) && !isinf(d) && (d == 0 ? zero_text : fabs(d) >= (real ? FLT_MIN : DBL_MIN));
	if (rc != 0) {
		/* not every text strtod reads is one PostgreSQL prints; those
		 * it prints, -?D+[.D+][e±D+], must be taken when they hold */
		if (holds && n < 32 && pg_float_form(s, n))
			finding("a float that the type holds refused");
		return;
	}
	if (!num) {
		if (n && memchr(s, '\0', n))
			finding("a float taken from the text before a NUL");
		finding("a float taken that is no number");
	}
	if (isnan(d) || isinf(d))
		finding("NaN or infinity taken");
	if (d == 0 && !zero_text)
		finding("a nonzero number below the type's smallest taken as 0");
	if (d != 0 && fabs(d) < (real ? FLT_MIN : DBL_MIN))
		finding("a subnormal taken");
	if (memcmp(&d, &v->f, sizeof d) != 0)
		finding("a float taken as another number");
	if (real && (double)(float)v->f != v->f)
		finding("a real taken that has more than 24 bits");
}

static void check_bit(const char *s, size_t n, const mssql_typed *v, int rc)
{
	int want = eqs(s, n, "t") || eqs(s, n, "true") ? 1 : eqs(s, n, "f") || eqs(s, n, "false") ? 0 : -1;
	if (rc != 0) {
		if (want >= 0)
			finding("a boolean refused");
		return;
	}
	if (want < 0)
		finding("a bit taken that is no boolean");
	if (v->i != want)
		finding("a bit taken as the other");
}

static void check_date(const char *s, size_t n, const mssql_typed *v, bool clamp, int rc)
{
	int32_t days = 0;
	bool ok;
	if (clamp && (eqs(s, n, "infinity") || eqs(s, n, "-infinity"))) {
		ok = true;
		days = s[0] == 'i' ? MAX_DAYS : 0;
	} else {
		ok = ref_date(s, n, &days);
	}
	if (rc != 0) {
		if (ok)
			finding("a date refused");
		return;
	}
	if (!ok)
		finding("a date taken that is none");
	if (v->days != days)
		finding("a date taken as another day");
}

static void check_time(const char *s, size_t n, const mssql_typed *v, int prec, int rc)
{
	uint64_t ticks = 0;
	int sig = 0;
	bool ok = ref_time(s, n, &ticks, &sig);
	if (rc != 0) {
		if (ok && sig <= prec)
			finding("a time refused");
		return;
	}
	if (!ok)
		finding("a time taken that is none");
	if (sig > prec)
		finding("a time with more fractional digits than time(p) taken (rounded)");
	if (v->ticks != ticks)
		finding("a time taken as another");
}

static void check_ts(const char *s, size_t n, const mssql_typed *v, bool tz, int prec, bool clamp, int rc)
{
	tsval r = {0};
	bool ok;
	bool must = true;
	if (clamp && (eqs(s, n, "infinity") || eqs(s, n, "-infinity"))) {
		ok = true;
		if (s[0] == 'i') { /* the largest value of the type's precision */
			uint64_t f = 0, unit = TICKS_PER_SEC;
			for (int i = 0; i < prec; i++)
				unit /= 10, f += 9 * unit;
			r.days = MAX_DAYS;
			r.ticks = 86399 * TICKS_PER_SEC + f;
		}
	} else {
		ok = ref_timestamp(s, n, tz, &r);
		must = ok && s[10] == 'T'; /* the record's ISO 8601; a space is refused */
	}
	if (rc != 0) {
		if (must && r.sig <= prec)
			finding(tz ? "a timestamp with time zone refused" : "a timestamp refused");
		return;
	}
	if (!ok)
		finding("a timestamp taken that is none, or out of range in UTC");
	if (r.sig > prec)
		finding("a timestamp with more fractional digits than the type's taken (rounded)");
	if (v->days != r.days || v->ticks != r.ticks)
		finding("a timestamp taken as another moment");
	if (tz && v->offset != r.offset)
		finding("a timestamp taken with another offset");
	if (!tz && v->offset != 0)
		finding("a timestamp without time zone taken with an offset");
}

static bool ref_guid(const char *s, size_t n, uint8_t g[16])
{
	if (n != 36)
		return false;
	uint8_t b[16];
	int k = 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
			continue;
		}
		int h = hexv(s[i]), l = i + 1 < 36 ? hexv(s[i + 1]) : -1;
		if (h < 0 || l < 0)
			return false;
		b[k++] = (uint8_t)(h * 16 + l);
		i++;
	}
	/* SQL Server: the first three groups little-endian */
	static const int ord[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
	for (int i = 0; i < 16; i++)
		g[i] = b[ord[i]];
	return true;
}

static void check_guid(const char *s, size_t n, const mssql_typed *v, int rc)
{
	uint8_t g[16];
	bool ok = ref_guid(s, n, g);
	if (rc != 0) {
		if (ok)
			finding("a uuid refused");
		return;
	}
	if (!ok)
		finding("a uuid taken that is none");
	if (memcmp(g, v->guid, 16))
		finding("a uuid taken as another");
}

static bool ref_bytea(const char *s, size_t n, buf *o)
{
	if (n < 2 || s[0] != '\\' || s[1] != 'x' || n % 2)
		return false;
	for (size_t i = 2; i < n; i += 2) {
		int h = hexv(s[i]), l = hexv(s[i + 1]);
		if (h < 0 || l < 0)
			return false;
		if (buf_putc(o, (char)(h * 16 + l)) < 0)
			abort();
	}
	return true;
}

static void check_bin(const char *s, size_t n, const mssql_typed *v, int rc)
{
	buf_reset(&tmp2);
	bool ok = ref_bytea(s, n, &tmp2);
	if (rc == MSSQL_TYPED_EMPTY) {
		if (!ok || tmp2.len)
			finding("varbinary reported empty that is not \\x");
		return;
	}
	if (rc != 0) {
		if (ok)
			finding("bytea refused");
		return;
	}
	if (!ok)
		finding("bytea taken that is not \\x hex");
	if (!tmp2.len)
		finding("an empty varbinary taken (bcp sends it as NULL)");
	if (v->len != tmp2.len || memcmp(v->data, tmp2.data, v->len))
		finding("bytea taken as other bytes");
}

static void check_text(const char *s, size_t n, const mssql_typed *v, int rc)
{
	buf_reset(&tmp2);
	bool ok = ref_utf16(s, n, &tmp2);
	if (rc == MSSQL_TYPED_EMPTY) {
		if (n)
			finding("text reported empty that is not");
		return;
	}
	if (rc != 0) {
		if (ok)
			finding("UTF-8 text refused");
		return;
	}
	if (!ok)
		finding("text taken that is not UTF-8");
	if (!n)
		finding("an empty string taken (bcp sends it as NULL)");
	if (v->len != tmp2.len || memcmp(v->data, tmp2.data, v->len))
		finding("text taken as other UTF-16");
	buf_reset(&tmp2);
	if (!ref_utf8(v->data, v->len, &tmp2) || tmp2.len != n || memcmp(tmp2.data, s, n))
		finding("text's UTF-16 does not read back to its UTF-8");
	if (v->textlen != n || memcmp(v->text, s, n))
		finding("text's printed form is not its text");
}

/* ---- the literal, read back ---- */
static bool cut(const char *l, size_t n, const char *pre, const char *post, const char **in, size_t *inlen)
{
	size_t a = strlen(pre), b = strlen(post);
	if (n < a + b || memcmp(l, pre, a) || memcmp(l + n - b, post, b))
		return false;
	*in = l + a;
	*inlen = n - a - b;
	return true;
}

static void check_literal(const mssql_typed *v)
{
	buf_reset(&lit);
	if (mssql_typed_literal(&lit, v) < 0 || buf_terminate(&lit) < 0)
		finding("no literal");
	const char *l = lit.data, *x;
	size_t n = lit.len, xn;
	char post[48];
	bool ok = false;
	switch (v->host) {
	case MSSQL_HOST_INT2:
	case MSSQL_HOST_INT4:
	case MSSQL_HOST_INT8:
	case MSSQL_HOST_BIT: {
		dec d, g;
		ok = parse_dec_ref(l, n, &d) && !memchr(l, '.', n) && l[0] != '+';
		dec_of_mag(v->i < 0, v->i < 0 ? 0 - (uint64_t)v->i : (uint64_t)v->i, 0, &g);
		ok = ok && dec_eq(&d, &g);
		break;
	}
	case MSSQL_HOST_REAL:
	case MSSQL_HOST_FLT8: {
		bool real = v->host == MSSQL_HOST_REAL, z;
		double d;
		ok = cut(l, n, "CAST(N'", real ? "' AS real)" : "' AS float)", &x, &xn) &&
		     ref_float(x, xn, real, &d, &z) && !memcmp(&d, &v->f, sizeof d);
		break;
	}
	case MSSQL_HOST_DECIMAL: {
		dec d, g;
		snprintf(post, sizeof post, " AS decimal(%u,%u))", v->prec, v->scale);
		dec_of_mag(v->neg, v->mag, v->scale, &g);
		ok = cut(l, n, "CAST(", post, &x, &xn) && x[0] != '+' && parse_dec_ref(x, xn, &d) && dec_eq(&d, &g);
		break;
	}
	case MSSQL_HOST_MONEY: {
		dec d;
		unsigned __int128 m;
		ok = cut(l, n, "CAST(", " AS money)", &x, &xn) && parse_dec_ref(x, xn, &d) && dec_scaled(&d, 4, &m) &&
		     m == (v->i < 0 ? 0 - (uint64_t)v->i : (uint64_t)v->i) && d.neg == (v->i < 0);
		break;
	}
	case MSSQL_HOST_DATE: {
		int32_t days;
		ok = cut(l, n, "CAST(N'", "' AS date)", &x, &xn) && ref_date(x, xn, &days) && days == v->days;
		break;
	}
	case MSSQL_HOST_TIME: {
		uint64_t t;
		int sig;
		ok = cut(l, n, "CAST(N'", "' AS time(7))", &x, &xn) && ref_time(x, xn, &t, &sig) && t == v->ticks;
		break;
	}
	case MSSQL_HOST_DATETIME2:
	case MSSQL_HOST_DTO: {
		bool tz = v->host == MSSQL_HOST_DTO;
		tsval r;
		ok = cut(l, n, "CAST(N'", tz ? "' AS datetimeoffset(7))" : "' AS datetime2(7))", &x, &xn) &&
		     ref_timestamp(x, xn, tz, &r) && r.days == v->days && r.ticks == v->ticks &&
		     (!tz || r.offset == v->offset);
		break;
	}
	case MSSQL_HOST_GUID: {
		uint8_t g[16];
		ok = cut(l, n, "CAST(N'", "' AS uniqueidentifier)", &x, &xn) && ref_guid(x, xn, g) &&
		     !memcmp(g, v->guid, 16);
		break;
	}
	case MSSQL_HOST_BINARY: {
		ok = n == 2 + 2 * v->len && !memcmp(l, "0x", 2);
		for (size_t i = 0; ok && i < v->len; i++)
			ok = hexv(l[2 + 2 * i]) == v->data[i] >> 4 && hexv(l[3 + 2 * i]) == (v->data[i] & 15);
		break;
	}
	case MSSQL_HOST_NSTRING: {
		ok = cut(l, n, "N'", "'", &x, &xn);
		size_t k = 0;
		for (size_t i = 0; ok && i < xn; i++, k++) {
			if (x[i] == '\'') {
				if (i + 1 >= xn || x[i + 1] != '\'')
					ok = false;
				i++;
			}
			ok = ok && k < v->textlen && v->text[k] == x[i];
		}
		ok = ok && k == v->textlen;
		break;
	}
	}
	if (!ok) {
		fprintf(stderr, "  literal: %s\n", l);
		finding("the literal does not read back to the value");
	}
}

/* ---- the value ---- */
static void shape_for(enum ref r, buf *b, cursor *c)
{
	switch (r) {
	case R_INT2:
	case R_INT4:
	case R_INT8:
	case R_REAL:
	case R_FLT8:
	case R_MONEY:
	case R_DEC: shape_number(b, c); break;
	case R_DATE:
	case R_TS:
	case R_TSTZ: shape_timestamp(b, c, r == R_DATE ? 0 : r == R_TS ? 2 : 10 | (take(c) & 0x30)); break;
	case R_TIME: shape_time(b, c); break;
	case R_GUID: shape_guid(b, c); break;
	case R_BIN: shape_bytea(b, c); break;
	case R_BIT:
	case R_TEXT:
	default: shape_word(b, c); break;
	}
}

static void check_utf16(const char *s, size_t n, unsigned pre)
{
	/* appended after what out already holds */
	buf out;
	buf_init(&out, 0);
	buf_reset(&tmp2);
	for (unsigned i = 0; i < pre; i++)
		if (buf_putc(&out, (char)('A' + i)) < 0 || buf_putc(&tmp2, (char)('A' + i)) < 0)
			abort();
	bool ok = ref_utf16(s, n, &tmp2);
	int rc = mssql_utf8_to_utf16le(&out, s, n);
	if (ok != (rc == 0))
		finding(ok ? "mssql_utf8_to_utf16le refuses UTF-8" : "mssql_utf8_to_utf16le takes what is not UTF-8");
	if (ok && (out.len != tmp2.len || memcmp(out.data, tmp2.data, out.len)))
		finding("mssql_utf8_to_utf16le's UTF-16LE differs");
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	static bool init;
	if (!init) {
		buf_init(&scratch, 0);
		buf_init(&lit, 0);
		buf_init(&tmp, 0);
		buf_init(&tmp2, 0);
		init = true;
	}
	unsigned mode = data[1], a = data[2], b = data[3];
	bool clamp = mode & 1;
	char pg[64];
	tsql_type t;
	want w;
	make_type(data[0], a, b, clamp, pg, sizeof pg, &t, &w);
	cur_type = t.name;
	if (mssql_typed_host(&t) != want_host(&w))
		finding("the type map's type goes into another host type");
	if ((w.ref == R_DEC && (t.prec != w.prec || t.scale != w.scale)) ||
	    ((w.ref == R_TIME || w.ref == R_TS || w.ref == R_TSTZ) && t.prec != w.prec))
		finding("the type map's type has another precision or scale");

	/* the value: the bytes as they are, or shaped */
	cursor c = {data + 4, size - 4};
	buf_reset(&tmp);
	switch ((mode >> 1) & 7) {
	case 0:
	case 1:
		if (!app(&tmp, (const char *)c.p, c.n))
			abort();
		c.n = 0;
		break;
	case 2: shape_number(&tmp, &c); break;
	case 3: shape_timestamp(&tmp, &c, take(&c)); break;
	case 4: shape_time(&tmp, &c); break;
	case 5: take(&c) & 1 ? shape_guid(&tmp, &c) : shape_bytea(&tmp, &c); break;
	case 6: shape_word(&tmp, &c); break;
	default: shape_for(w.ref, &tmp, &c); break;
	}
	/* an allocation of exactly the value: ASan sees a byte read past it */
	size_t n = tmp.len;
	char *in = malloc(n ? n : 1);
	if (!in)
		abort();
	if (n)
		memcpy(in, tmp.data, n);
	cur_in = in;
	cur_len = n;

	size_t errlen = (mode & 0x30) == 0x30 ? 1 + b % 12 : 300;
	char *err = malloc(errlen);
	if (!err)
		abort();
	memset(err, 0, errlen);
	mssql_typed v;
	memset(&v, 0x5a, sizeof v);
	int rc = mssql_typed_value(&t, in, n, &scratch, &v, err, errlen);
	if (rc != 0 && rc != -1 && rc != MSSQL_TYPED_EMPTY)
		finding("mssql_typed_value returned neither 0, -1 nor MSSQL_TYPED_EMPTY");
	if (rc == -1 && (!memchr(err, '\0', errlen) || (errlen > 1 && !err[0])))
		finding("a refusal without a message");
	if (rc == MSSQL_TYPED_EMPTY && w.ref != R_TEXT && w.ref != R_BIN)
		finding("MSSQL_TYPED_EMPTY for a type that is neither text nor varbinary");
	if (rc != -1 && (v.host != want_host(&w) || v.null))
		finding("a value of another host type, or NULL");

	switch (w.ref) {
	case R_INT2: check_int(in, n, &v, INT16_MIN, INT16_MAX, rc); break;
	case R_INT4: check_int(in, n, &v, INT32_MIN, INT32_MAX, rc); break;
	case R_INT8: check_int(in, n, &v, INT64_MIN, INT64_MAX, rc); break;
	case R_BIT: check_bit(in, n, &v, rc); break;
	case R_REAL: check_float(in, n, &v, true, rc); break;
	case R_FLT8: check_float(in, n, &v, false, rc); break;
	case R_MONEY: check_money(in, n, &v, rc); break;
	case R_DEC: check_dec(in, n, &v, &w, rc); break;
	case R_DATE: check_date(in, n, &v, clamp, rc); break;
	case R_TIME: check_time(in, n, &v, w.prec, rc); break;
	case R_TS: check_ts(in, n, &v, false, w.prec, clamp, rc); break;
	case R_TSTZ: check_ts(in, n, &v, true, w.prec, clamp, rc); break;
	case R_GUID: check_guid(in, n, &v, rc); break;
	case R_BIN: check_bin(in, n, &v, rc); break;
	case R_TEXT: check_text(in, n, &v, rc); break;
	}
	if (rc == 0)
		check_literal(&v);
	check_utf16(in, n, b % 5);
	free(err);
	free(in);
	return 0;
}
