/* arena.h — a bump allocator for things that all die together: a record's
 * fields (record.c), a batch's changes (mssql_batch.c). Allocation bumps a
 * pointer in 64 KiB chunks; a reset rewinds them all at once, keeping up to
 * 1 MiB of chunks for the next round so that a program that once held a
 * huge batch does not keep its memory forever. */
#ifndef DBREPL_ARENA_H
#define DBREPL_ARENA_H

#include <stddef.h>

struct arena_chunk;
typedef struct arena {
	struct arena_chunk *head, *cur;
	size_t bytes; /* handed out since the last reset */
} arena;

/* An empty arena is all zeros. */
void arena_init(arena *a);
/* n bytes aligned to align (a power of two), or NULL (ENOMEM). */
void *arena_alloc(arena *a, size_t n, size_t align);
/* Everything allocated is gone; chunks are kept for reuse (up to 1 MiB). */
void arena_reset(arena *a);
void arena_free(arena *a);

#endif
