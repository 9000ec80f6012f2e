/* pgcancel.c — the cancel handles of the process's PostgreSQL connections,
 * and the thread that uses them (pgcancel.h). A cancel request is a new
 * connection to the server, which may take long (a host that drops
 * packets); a signal handler only asks, and this thread, its signals
 * blocked, sends. */
#include "pgcancel.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

/* snapshot's workers (64) and its other connections, with room to spare */
#define PGCANCEL_MAX 72

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static PGcancel *handles[PGCANCEL_MAX];
static int nhandles, oldest;
static volatile sig_atomic_t armed = 1, asked;
static int wake[2] = {-1, -1}; /* the handler writes, the thread reads */

static void *sender(void *arg)
{
	(void)arg;
	char c;
	for (;;) {
		if (read(wake[0], &c, 1) <= 0)
			continue; /* no signal reaches this thread: EINTR cannot come */
		pthread_mutex_lock(&lock);
		char err[256];
		for (int i = 0; i < nhandles; i++)
			PQcancel(handles[i], err, sizeof err);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

/* The thread and its pipe, at the first registration. */
static void start(void)
{
	if (wake[0] >= 0 || pipe(wake) < 0)
		return;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_t t;
	if (pthread_create(&t, NULL, sender, NULL) == 0)
		pthread_detach(t);
	else {
		close(wake[0]);
		close(wake[1]);
		wake[0] = wake[1] = -1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void pgcancel_register(PGconn *c)
{
	PGcancel *pc = PQgetCancel(c);
	if (!pc)
		return;
	pthread_mutex_lock(&lock);
	start();
	if (nhandles < PGCANCEL_MAX) {
		handles[nhandles++] = pc;
	} else {
		PQfreeCancel(handles[oldest]);
		handles[oldest] = pc;
		oldest = (oldest + 1) % PGCANCEL_MAX;
	}
	pthread_mutex_unlock(&lock);
}

void pgcancel_arm(bool on)
{
	armed = on;
}

void pgcancel_all(void)
{
	if (!armed || wake[1] < 0)
		return;
	int saved = errno;
	(void)!write(wake[1], "c", 1);
	errno = saved;
	asked = 1;
}

bool pgcancel_asked(void)
{
	return asked;
}

void pgcancel_on_stop_signal(int nth)
{
	if (nth <= 1)
		alarm(PGCANCEL_GRACE_S);
	else
		pgcancel_all();
}

static void on_alarm(int sig)
{
	(void)sig;
	pgcancel_all();
}

void pgcancel_catch_alarm(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm; /* no SA_RESTART: a wait it ends is retried or ends the stop */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
}
