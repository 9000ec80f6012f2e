/* arena.h — a bump allocator for things that all die together: a record's
 * fields (record.c), a batch's changes (mssql_batch.c). Allocation bumps a
 * pointer in 64 KiB chunks; a reset rewinds them all at once, keeping up to
 * 1 MiB of chunks for the next round so that a program that once held a
 * huge batch does not keep its memory forever. */
#ifndef DBREPL_ARENA_H
#define DBREPL_ARENA_H

#include <stddef.h>

/* Here rather than in arena.c for arena_alloc's inline part. */
struct arena_chunk {
	struct arena_chunk *next;
	size_t cap, used;
	/* data follows, 8-aligned */
};
typedef struct arena {
	struct arena_chunk *head, *cur;
	size_t bytes; /* handed out since the last reset */
} arena;

/* An empty arena is all zeros. */
void arena_init(arena *a);
/* arena_alloc when the current chunk has no room. */
void *arena_alloc_chunk(arena *a, size_t n, size_t align);
/* n bytes aligned to align from chunk c of a, or NULL when c has no room. */
static inline void *arena_chunk_take(arena *a, struct arena_chunk *c, size_t n, size_t align)
{
	size_t off = (c->used + align - 1) & ~(align - 1);
	if (off > c->cap || n > c->cap - off)
		return NULL;
	c->used = off + n;
	a->bytes += n;
	return (char *)(c + 1) + off;
}
/* n bytes aligned to align (a power of two), or NULL (ENOMEM). Inline
 * while the current chunk has room: a record takes several per field. */
static inline void *arena_alloc(arena *a, size_t n, size_t align)
{
	void *p = a->cur ? arena_chunk_take(a, a->cur, n, align) : NULL;
	return p ? p : arena_alloc_chunk(a, n, align);
}
/* Everything allocated is gone; chunks are kept for reuse (up to 1 MiB). */
void arena_reset(arena *a);
void arena_free(arena *a);

#endif
