/* buf.h — a growable byte buffer with a hard ceiling, for building one
 * encoded record or one SQL batch at a time. Growing past the ceiling fails
 * instead of eating memory. */
#ifndef DBREPL_BUF_H
#define DBREPL_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct buf {
	char *data;
	size_t len, cap, max; /* max 0 = BUF_DEFAULT_MAX */
} buf;

#define BUF_DEFAULT_MAX ((size_t)1 << 30)

void buf_init(buf *b, size_t max);
void buf_free(buf *b);
static inline void buf_reset(buf *b) { b->len = 0; }
/* All return 0, or -1 when the ceiling (or malloc) refuses. */
int buf_reserve(buf *b, size_t extra);
int buf_append(buf *b, const void *p, size_t n);
int buf_putc(buf *b, char c);
int buf_puts(buf *b, const char *s);
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* NUL-terminates without counting the NUL in len. */
int buf_terminate(buf *b);

#endif
