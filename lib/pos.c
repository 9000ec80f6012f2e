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

static int parse_hex32(const char *s, const char **end, uint32_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	unsigned d;
	while ((d = hexval1[(unsigned char)*p]) != 0) {
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

static int parse_dec64(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	while (*p >= '0' && *p <= '9') {
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

int pos_lsn_parse(const char *s, uint64_t *lsn)
{
	uint32_t hi, lo;
	const char *p;
	if (parse_hex32(s, &p, &hi) < 0 || *p != '/')
		return -1;
	if (parse_hex32(p + 1, &p, &lo) < 0 || *p != '\0')
		return -1;
	*lsn = ((uint64_t)hi << 32) | lo;
	return 0;
}

void pos_lsn_format(uint64_t lsn, char *buf, size_t len)
{
	snprintf(buf, len, "%X/%X", (unsigned)(lsn >> 32), (unsigned)(lsn & 0xffffffffu));
}

int pos_offset_parse(const char *s, pos_offset *out)
{
	const char *p;
	uint32_t hi, lo;
	uint64_t n;
	if (strchr(s, '/')) {
		if (parse_hex32(s, &p, &hi) < 0 || *p != '/')
			return -1;
		if (parse_hex32(p + 1, &p, &lo) < 0 || *p != ':')
			return -1;
		if (parse_dec64(p + 1, &p, &n) < 0 || *p != '\0')
			return -1;
		out->major = ((uint64_t)hi << 32) | lo;
		out->minor = n;
		out->lsn = true;
		return 0;
	}
	if (parse_dec64(s, &p, &n) < 0 || *p != '\0')
		return -1;
	out->major = n;
	out->minor = 0;
	out->lsn = false;
	return 0;
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

bool pos_stream_valid(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (s[n] <= ' ' || s[n] > '~')
			return false;
	return n > 0 && n <= POS_STREAM_MAX;
}
