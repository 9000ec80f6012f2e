/* pgvalue.c — PostgreSQL's text output (with PGVALUE_SESSION_OPTIONS) to
 * the record's normalised value text: date/time types get the ISO 8601
 * forms of record.h, timestamptz moved to UTC; every other type passes
 * through untouched. */
#include "pgvalue.h"
#include "civil.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

pgvalue_norm pgvalue_norm_for_type(uint32_t oid)
{
	switch (oid) {
	case 1184: return PGVALUE_TIMESTAMPTZ;
	case 1114: return PGVALUE_TIMESTAMP;
	case 1083: return PGVALUE_TIME;
	case 1266: return PGVALUE_TIMETZ;
	default: return PGVALUE_AS_IS;
	}
}

typedef struct cur {
	const char *p, *e;
} cur;

/* Exactly n digits (n > 0), or at least n when more follow and min_only. */
static bool num(cur *c, int n, bool at_least, long long *v)
{
	long long acc = 0;
	int k = 0;
	while (c->p < c->e && *c->p >= '0' && *c->p <= '9' && (at_least || k < n)) {
		if (k >= 12)
			return false;
		acc = acc * 10 + (*c->p - '0');
		c->p++;
		k++;
	}
	if (k < n)
		return false;
	*v = acc;
	return true;
}

static bool lit(cur *c, char ch)
{
	if (c->p < c->e && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

/* "HH:MM:SS[.f{1,6}]" -> fields, fraction in µs. */
static bool parse_time(cur *c, long long *h, long long *m, long long *s, long long *us)
{
	if (!num(c, 2, false, h) || !lit(c, ':') || !num(c, 2, false, m) || !lit(c, ':') ||
	    !num(c, 2, false, s))
		return false;
	if (*h > 24 || *m > 59 || *s > 60)
		return false;
	*us = 0;
	if (lit(c, '.')) {
		int k = 0;
		while (c->p < c->e && *c->p >= '0' && *c->p <= '9') {
			if (++k > 6)
				return false;
			*us = *us * 10 + (*c->p++ - '0');
		}
		if (k == 0)
			return false;
		for (; k < 6; k++)
			*us *= 10;
	}
	return true;
}

/* "+HH[:MM[:SS]]" -> seconds east of UTC. */
static bool parse_offset(cur *c, long long *secs)
{
	int sign;
	if (lit(c, '+'))
		sign = 1;
	else if (lit(c, '-'))
		sign = -1;
	else
		return false;
	long long h, m = 0, s = 0;
	if (!num(c, 2, false, &h) || h > 15)
		return false;
	if (lit(c, ':')) {
		if (!num(c, 2, false, &m) || m > 59)
			return false;
		if (lit(c, ':') && (!num(c, 2, false, &s) || s > 59))
			return false;
	}
	*secs = sign * (h * 3600 + m * 60 + s);
	return true;
}

/* "YYYY-MM-DD" (4 or more year digits). */
static bool parse_date(cur *c, long long *y, long long *m, long long *d)
{
	if (!num(c, 4, true, y) || !lit(c, '-') || !num(c, 2, false, m) || !lit(c, '-') ||
	    !num(c, 2, false, d))
		return false;
	return *y >= 1 && *m >= 1 && *m <= 12 && *d >= 1 && *d <= 31;
}

static bool parse_bc(cur *c)
{
	if (c->e - c->p == 3 && memcmp(c->p, " BC", 3) == 0) {
		c->p += 3;
		return true;
	}
	return false;
}

/* v (0..99) as two digits. */
static void two(char *o, long long v)
{
	o[0] = (char)('0' + v / 10);
	o[1] = (char)('0' + v % 10);
}

/* "HH:MM:SS.ffffff": 15 bytes. Fields are in range (parse_time checked). */
static void put_time(char *o, long long h, long long mi, long long s, long long us)
{
	two(o, h);
	o[2] = ':';
	two(o + 3, mi);
	o[5] = ':';
	two(o + 6, s);
	o[8] = '.';
	two(o + 9, us / 10000);
	two(o + 11, us / 100 % 100);
	two(o + 13, us % 100);
}

/* Snapshots normalise a timestamp in most rows: written by hand rather
 * than through printf. */
static int emit_datetime(buf *out, long long y, long long mo, long long d, long long h,
			 long long mi, long long s, long long us, const char *zone, bool bc)
{
	if (y < 0 || y > 9999)
		return buf_printf(out, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%06lld%s%s", y, mo, d, h,
				  mi, s, us, zone, bc ? " BC" : "");
	size_t zl = strlen(zone);
	if (buf_reserve(out, 26 + zl + 3) < 0)
		return -1;
	char *o = out->data + out->len;
	two(o, y / 100);
	two(o + 2, y % 100);
	o[4] = '-';
	two(o + 5, mo);
	o[7] = '-';
	two(o + 8, d);
	o[10] = 'T';
	put_time(o + 11, h, mi, s, us);
	memcpy(o + 26, zone, zl);
	size_t n = 26 + zl;
	if (bc) {
		memcpy(o + n, " BC", 3);
		n += 3;
	}
	out->len += n;
	return 0;
}

static int norm_timestamp(cur *c, buf *out, bool tz)
{
	long long y, mo, d, h, mi, s, us, off = 0;
	if (!parse_date(c, &y, &mo, &d) || !lit(c, ' ') || !parse_time(c, &h, &mi, &s, &us))
		return -1;
	if (tz && !parse_offset(c, &off))
		return -1;
	bool bc = parse_bc(c);
	if (c->p != c->e)
		return -1;
	if (tz && off != 0) {
		/* to UTC: whole seconds since the epoch, in astronomical years */
		long long ay = bc ? 1 - y : y;
		long long secs = civil_days(ay, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s - off;
		long long days = secs / 86400, rem = secs % 86400;
		if (rem < 0) {
			rem += 86400;
			days--;
		}
		int64_t cy;
		unsigned cm, cd;
		civil_date(days, &cy, &cm, &cd);
		ay = cy;
		mo = cm;
		d = cd;
		bc = ay <= 0;
		y = bc ? 1 - ay : ay;
		h = rem / 3600;
		mi = rem / 60 % 60;
		s = rem % 60;
	}
	return emit_datetime(out, y, mo, d, h, mi, s, us, tz ? "Z" : "", bc);
}

static int norm_time(cur *c, buf *out, bool tz)
{
	long long h, mi, s, us, off = 0;
	if (!parse_time(c, &h, &mi, &s, &us))
		return -1;
	if (tz && !parse_offset(c, &off))
		return -1;
	if (c->p != c->e)
		return -1;
	if (buf_reserve(out, 15) < 0)
		return -1;
	put_time(out->data + out->len, h, mi, s, us);
	out->len += 15;
	if (!tz)
		return 0;
	long long a = off < 0 ? -off : off;
	if (a % 60)
		return buf_printf(out, "%c%02lld:%02lld:%02lld", off < 0 ? '-' : '+', a / 3600,
				  a / 60 % 60, a % 60);
	return buf_printf(out, "%c%02lld:%02lld", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

int pgvalue_normalize(pgvalue_norm n, const char *in, size_t len, buf *out,
		      const char **res, size_t *reslen)
{
	buf_reset(out);
	if (n == PGVALUE_AS_IS || (len == 8 && memcmp(in, "infinity", 8) == 0) ||
	    (len == 9 && memcmp(in, "-infinity", 9) == 0)) {
		*res = in;
		*reslen = len;
		return 0;
	}
	cur c = {in, in + len};
	int rc;
	switch (n) {
	case PGVALUE_TIMESTAMPTZ: rc = norm_timestamp(&c, out, true); break;
	case PGVALUE_TIMESTAMP: rc = norm_timestamp(&c, out, false); break;
	case PGVALUE_TIME: rc = norm_time(&c, out, false); break;
	case PGVALUE_TIMETZ: rc = norm_time(&c, out, true); break;
	default: rc = -1; break;
	}
	if (rc < 0 || buf_terminate(out) < 0) {
		buf_reset(out);
		return -1;
	}
	*res = out->data;
	*reslen = out->len;
	return 0;
}
