/* cli.c — see cli.h. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cli_parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	/* strtoll would skip leading blanks and take "+": a value is digits. */
	if (!s || !((*s >= '0' && *s <= '9') || *s == '-'))
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

char *cli_parse_ident(const char **s)
{
	const char *p = *s;
	char *out = malloc(strlen(p) + 1);
	size_t n = 0;
	if (!out)
		return NULL;
	if (*p == '"') {
		p++;
		for (;;) {
			if (*p == '\0')
				goto bad;
			if (*p == '"') {
				if (p[1] != '"')
					break;
				p++;
			}
			out[n++] = *p++;
		}
		p++;
	} else {
		while (*p && *p != '.') {
			char c = *p++;
			if (c == '"' || c == ' ')
				goto bad;
			out[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		}
	}
	if (n == 0 || n >= 64)
		goto bad;
	out[n] = '\0';
	*s = p;
	return out;
bad:
	free(out);
	return NULL;
}
