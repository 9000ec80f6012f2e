/* strv.h — arrays of n strings that own their strings (the key and column
 * names an online backfill's messages and windows and a resume state keep):
 * copy and free. */
#ifndef DBREPL_STRV_H
#define DBREPL_STRV_H

#include <stddef.h>

/* A copy of v[0..n-1] (an array of one NULL when n is 0), or NULL when out
 * of memory. */
char **strv_dup(const char *const *v, size_t n);
/* Frees v and its n strings; v may be NULL. */
void strv_free(char **v, size_t n);

#endif
