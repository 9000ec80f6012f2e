/* arena.c — see arena.h. */
#include "arena.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK ((size_t)64 << 10)
#define ARENA_KEEP ((size_t)1 << 20)

void arena_init(arena *a)
{
	memset(a, 0, sizeof *a);
}

void *arena_alloc_chunk(arena *a, size_t n, size_t align)
{
	for (;;) {
		struct arena_chunk *c = a->cur;
		if (c) {
			void *p = arena_chunk_take(a, c, n, align);
			if (p)
				return p;
			if (c->next) {
				a->cur = c->next;
				continue;
			}
		}
		if (n > SIZE_MAX / 2) {
			errno = ENOMEM;
			return NULL;
		}
		size_t cap = n + 8 > ARENA_CHUNK ? n + 8 : ARENA_CHUNK;
		struct arena_chunk *nc = malloc(sizeof *nc + cap);
		if (!nc)
			return NULL;
		nc->next = NULL;
		nc->cap = cap;
		nc->used = 0;
		if (c)
			c->next = nc;
		else
			a->head = nc;
		a->cur = nc;
	}
}

void arena_reset(arena *a)
{
	size_t kept = 0;
	struct arena_chunk **pp = &a->head;
	while (*pp) {
		struct arena_chunk *c = *pp;
		if (kept + c->cap > ARENA_KEEP) {
			*pp = c->next;
			free(c);
			continue;
		}
		kept += c->cap;
		c->used = 0;
		pp = &c->next;
	}
	a->cur = a->head;
	a->bytes = 0;
}

void arena_free(arena *a)
{
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	memset(a, 0, sizeof *a);
}
