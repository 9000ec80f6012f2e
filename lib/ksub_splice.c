/* ksub_splice.c — see ksub_splice.h. The input is known to be valid JSON,
 * so the scanner only needs to track strings and nesting, not to judge. */
#include "ksub_splice.h"

#include <string.h>

static size_t skip_blanks(const char *s, size_t i, size_t len)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* s[i] is the opening quote; returns the index after the closing one, or
 * len. Sets *escaped, when escaped is not NULL, if the string holds a
 * backslash: only keys need to know, and values are most of the bytes. */
static size_t skip_string(const char *s, size_t i, size_t len, int *escaped)
{
	i++;
	while (i < len) {
		const char *q = memchr(s + i, '"', len - i);
		if (!q)
			return len;
		size_t k = (size_t)(q - s);
		/* the quote is escaped when an odd number of backslashes precede it */
		size_t b = k;
		while (b > i && s[b - 1] == '\\')
			b--;
		if (escaped && memchr(s + i, '\\', k - i))
			*escaped = 1;
		if ((k - b) % 2 == 0)
			return k + 1;
		i = k + 1;
	}
	return len;
}

/* Skips one value starting at s[i]; returns the index after it, or len on
 * anything unexpected (a line break outside strings included). */
static size_t skip_value(const char *s, size_t i, size_t len)
{
	int depth = 0;
	while (i < len) {
		char c = s[i];
		if (c == '"') {
			i = skip_string(s, i, len, NULL);
			if (depth == 0)
				return i;
			continue;
		}
		if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return i; /* end of a scalar at the end of an object */
			if (--depth == 0)
				return i + 1;
		} else if (c == '\n' || c == '\r') {
			return len;
		} else if (depth == 0 && (c == ',' || c == ' ' || c == '\t')) {
			return i; /* end of a scalar */
		}
		i++;
	}
	return len;
}

int ksub_splice_pos(const char *raw, size_t len, const char *pos_json, size_t pos_len, buf *out)
{
	size_t i = skip_blanks(raw, 0, len);
	if (i >= len || raw[i] != '{')
		return -1;
	size_t vstart = 0, vend = 0;
	int found = 0;
	i = skip_blanks(raw, i + 1, len);
	if (i < len && raw[i] == '}')
		return -1;
	for (;;) {
		if (i >= len || raw[i] != '"')
			return -1;
		int esc = 0;
		size_t kstart = i + 1, kend = skip_string(raw, i, len, &esc);
		if (kend >= len)
			return -1;
		if (esc) /* possibly "pos" spelled with escapes: do not guess */
			return -1;
		int is_pos = kend - 1 - kstart == 3 && memcmp(raw + kstart, "pos", 3) == 0;
		i = skip_blanks(raw, kend, len);
		if (i >= len || raw[i] != ':')
			return -1;
		i = skip_blanks(raw, i + 1, len);
		size_t v = i;
		i = skip_value(raw, i, len);
		if (i >= len || i == v)
			return -1;
		if (is_pos) {
			if (found)
				return -1;
			found = 1;
			vstart = v;
			vend = i;
		}
		i = skip_blanks(raw, i, len);
		if (i >= len)
			return -1;
		if (raw[i] == '}')
			break;
		if (raw[i] != ',')
			return -1;
		i = skip_blanks(raw, i + 1, len);
	}
	size_t close = i;
	for (i = close + 1; i < len; i++)
		if (raw[i] != ' ' && raw[i] != '\t' && raw[i] != '\n' && raw[i] != '\r')
			return -1;
	if (!found)
		return -1;
	size_t need = vstart + pos_len + (close + 1 - vend) + 1;
	if (buf_reserve(out, need) < 0)
		return -1;
	char *o = out->data + out->len;
	memcpy(o, raw, vstart);
	o += vstart;
	memcpy(o, pos_json, pos_len);
	o += pos_len;
	memcpy(o, raw + vend, close + 1 - vend);
	o += close + 1 - vend;
	*o = '\n';
	out->len += need;
	return 0;
}
