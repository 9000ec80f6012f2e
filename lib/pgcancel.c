/* pgcancel.c — the cancel handles of the process's PostgreSQL connections,
 * for a signal handler (pgcancel.h). */
#include "pgcancel.h"

#include <pthread.h>
#include <signal.h>

/* snapshot's workers (64) and its other connections, with room to spare */
#define PGCANCEL_MAX 72

static PGcancel *handles[PGCANCEL_MAX];
static volatile sig_atomic_t nhandles, armed = 1, sent;
static int oldest;

void pgcancel_register(PGconn *c)
{
	PGcancel *pc = PQgetCancel(c);
	if (!pc)
		return;
	/* a handler must not see a slot change under it */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (nhandles < PGCANCEL_MAX) {
		handles[nhandles] = pc;
		nhandles++;
	} else {
		PQfreeCancel(handles[oldest]);
		handles[oldest] = pc;
		oldest = (oldest + 1) % PGCANCEL_MAX;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void pgcancel_arm(bool on)
{
	armed = on;
}

void pgcancel_all(void)
{
	if (!armed)
		return;
	char err[256];
	for (int i = 0; i < nhandles; i++)
		PQcancel(handles[i], err, sizeof err);
	sent = 1;
}

bool pgcancel_sent(void)
{
	return sent;
}
