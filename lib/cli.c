/* cli.c — see cli.h. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>

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
