/* monoclock.h — milliseconds of CLOCK_MONOTONIC, the clock every deadline,
 * batch timer and progress interval of the programs is measured in (never
 * the wall clock, which steps). Inline: some loops read it per record. */
#ifndef DBREPL_MONOCLOCK_H
#define DBREPL_MONOCLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The same at the kernel tick's resolution (1-4 ms), without reading the
 * clock source: for loops that read it per message and wait in ms. */
static inline int64_t mono_ms_coarse(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
