/* strv.c — see strv.h. */
#include "strv.h"

#include <stdlib.h>
#include <string.h>

char **strv_dup(const char *const *v, size_t n)
{
	char **c = calloc(n ? n : 1, sizeof *c);
	if (!c)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(c[i] = strdup(v[i]))) {
			strv_free(c, n);
			return NULL;
		}
	return c;
}

void strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
