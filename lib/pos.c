/* pos.c — see pos.h. */
#include "pos.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Value of a hex digit + 1, 0 for other bytes: LSNs are parsed for every
 * record read. */
static const unsigned char hexval1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
	['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* Hex digits at s (before e) as a 32-bit number; *end after them. */
static int parse_hex32(const char *s, const char *e, const char **end, uint32_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	unsigned d;
	while (p < e && (d = hexval1[(unsigned char)*p]) != 0) {
		v = v * 16 + (d - 1);
		if (v > UINT32_MAX)
			return -1;
		p++;
	}
	if (p == s)
		return -1;
	*end = p;
	*out = (uint32_t)v;
	return 0;
}

/* Decimal digits at s (before e) as a 64-bit number; *end after them. */
static int parse_dec64(const char *s, const char *e, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	while (p < e && *p >= '0' && *p <= '9') {
		uint64_t d = (uint64_t)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		p++;
	}
	if (p == s)
		return -1;
	*end = p;
	*out = v;
	return 0;
}

int pos_lsn_parse_n(const char *s, size_t n, uint64_t *lsn)
{
	const char *e = s + n, *p;
	uint32_t hi, lo;
	if (parse_hex32(s, e, &p, &hi) < 0 || p == e || *p != '/')
		return -1;
	if (parse_hex32(p + 1, e, &p, &lo) < 0 || p != e)
		return -1;
	*lsn = ((uint64_t)hi << 32) | lo;
	return 0;
}

int pos_lsn_parse(const char *s, uint64_t *lsn)
{
	return pos_lsn_parse_n(s, strlen(s), lsn);
}

void pos_lsn_format(uint64_t lsn, char *buf, size_t len)
{
	snprintf(buf, len, "%X/%X", (unsigned)(lsn >> 32), (unsigned)(lsn & 0xffffffffu));
}

int pos_offset_parse_n(const char *s, size_t n, pos_offset *out)
{
	const char *e = s + n, *p;
	uint32_t hi, lo;
	uint64_t v;
	if (memchr(s, '/', n)) {
		if (parse_hex32(s, e, &p, &hi) < 0 || p == e || *p != '/')
			return -1;
		if (parse_hex32(p + 1, e, &p, &lo) < 0 || p == e || *p != ':')
			return -1;
		if (parse_dec64(p + 1, e, &p, &v) < 0 || p != e)
			return -1;
		out->major = ((uint64_t)hi << 32) | lo;
		out->minor = v;
		out->lsn = true;
		return 0;
	}
	if (parse_dec64(s, e, &p, &v) < 0 || p != e)
		return -1;
	out->major = v;
	out->minor = 0;
	out->lsn = false;
	return 0;
}

int pos_offset_parse(const char *s, pos_offset *out)
{
	return pos_offset_parse_n(s, strlen(s), out);
}

void pos_offset_format(pos_offset o, char *buf, size_t len)
{
	if (o.lsn)
		snprintf(buf, len, "%X/%X:%" PRIu64, (unsigned)(o.major >> 32),
			 (unsigned)(o.major & 0xffffffffu), o.minor);
	else
		snprintf(buf, len, "%" PRIu64, o.major);
}

int pos_offset_cmp(pos_offset a, pos_offset b)
{
	if (a.major != b.major)
		return a.major < b.major ? -1 : 1;
	if (a.minor != b.minor)
		return a.minor < b.minor ? -1 : 1;
	return 0;
}

bool pos_stream_valid_n(const char *s, size_t n)
{
	if (n == 0 || n > POS_STREAM_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] > '~')
			return false;
	return true;
}

bool pos_stream_valid(const char *s)
{
	return pos_stream_valid_n(s, strlen(s));
}
