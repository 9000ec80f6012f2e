/* watermark.c — see watermark.h. */
#include "watermark.h"

#include <string.h>

int watermark_encode(buf *out, const char *stream, pos_offset off)
{
	char o[POS_OFFSET_TEXT_MAX];
	pos_offset_format(off, o, sizeof o);
	int rc = buf_puts(out, "{\"watermark\":{\"stream\":\"");
	/* stream names are printable ASCII: only these two need escapes */
	for (const char *s = stream; *s && rc == 0; s++) {
		if (*s == '"' || *s == '\\')
			rc = buf_putc(out, '\\');
		if (rc == 0)
			rc = buf_putc(out, *s);
	}
	if (rc == 0)
		rc = buf_printf(out, "\",\"offset\":\"%s\"}}", o);
	return rc ? -1 : 0;
}

typedef struct cur {
	const char *p, *end;
} cur;

static void blanks(cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool lit(cur *c, const char *s)
{
	blanks(c);
	size_t n = strlen(s);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* A JSON string of printable ASCII with \" and \\ escapes only. */
static bool str(cur *c, char *out, size_t cap)
{
	size_t n = 0;
	if (!lit(c, "\""))
		return false;
	while (c->p < c->end && *c->p != '"') {
		char ch = *c->p++;
		if (ch == '\\') {
			if (c->p >= c->end || (*c->p != '"' && *c->p != '\\'))
				return false;
			ch = *c->p++;
		}
		if (ch < 0x20 || ch > 0x7e || n + 1 >= cap)
			return false;
		out[n++] = ch;
	}
	if (c->p >= c->end)
		return false;
	c->p++;
	out[n] = '\0';
	return true;
}

int watermark_decode(const void *data, size_t len, char *stream, pos_offset *off)
{
	cur c = {data, (const char *)data + len};
	char o[POS_OFFSET_TEXT_MAX];
	if (!data || !lit(&c, "{") || !lit(&c, "\"watermark\"") || !lit(&c, ":") || !lit(&c, "{") ||
	    !lit(&c, "\"stream\"") || !lit(&c, ":") || !str(&c, stream, POS_STREAM_MAX + 1) || !lit(&c, ",") ||
	    !lit(&c, "\"offset\"") || !lit(&c, ":") || !str(&c, o, sizeof o) || !lit(&c, "}") || !lit(&c, "}"))
		return -1;
	blanks(&c);
	if (c.p != c.end || !pos_stream_valid(stream) || pos_offset_parse(o, off) < 0)
		return -1;
	return 0;
}
