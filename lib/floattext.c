/* floattext.c — see floattext.h. */
#include "floattext.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

bool floattext_read(const char *s, size_t n, bool f32, double *d)
{
	if (n == 0)
		return false;
	char small[64], *t = n < sizeof small ? small : malloc(n + 1);
	if (!t)
		return false;
	memcpy(t, s, n);
	t[n] = '\0';
	char *end;
	*d = f32 ? (double)strtof(t, &end) : strtod(t, &end);
	bool whole = end == t + n; /* a NUL inside ends strtod early */
	if (t != small)
		free(t);
	return whole;
}

bool floattext_nonzero_mantissa(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		/* hex: 'e' is a digit, 'p' the exponent */
		for (i += 2; i < n && s[i] != 'p' && s[i] != 'P'; i++)
			if (isxdigit((unsigned char)s[i]) && s[i] != '0')
				return true;
		return false;
	}
	for (; i < n && s[i] != 'e' && s[i] != 'E'; i++)
		if (s[i] >= '1' && s[i] <= '9')
			return true;
	return false;
}

bool floattext_in_range(const char *s, size_t n, bool f32)
{
	if (n < 39) {
		size_t i = 0;
		while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' || s[i] == '+'))
			i++;
		if (i == n)
			return true;
	}
	double d;
	if (!floattext_read(s, n, f32, &d))
		return false;
	return isfinite(d) && (d != 0 || !floattext_nonzero_mantissa(s, n));
}
