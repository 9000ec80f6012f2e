/* kick.c — see kick.h. */
#include "kick.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define KICK_EVERY_MS 5
#define KICK_MAX_BROKERS 64

struct kicker {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool on, stop;
	struct sockaddr_in addr[KICK_MAX_BROKERS];
	int naddr;
	unsigned next; /* the broker kicked next, modulo naddr */
};

/* One connection, opened and closed: the broker's listening socket
 * becomes readable and the cluster's thread leaves its poll(). Each in
 * turn, in case one is down. */
static void kick(kicker *k)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	const struct sockaddr_in *a = &k->addr[k->next++ % (unsigned)k->naddr];
	(void)connect(fd, (const struct sockaddr *)a, sizeof *a);
	close(fd);
}

static void *kick_main(void *arg)
{
	kicker *k = arg;
	pthread_mutex_lock(&k->mu);
	while (!k->stop) {
		if (!k->on) {
			pthread_cond_wait(&k->cv, &k->mu);
			continue;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += KICK_EVERY_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&k->cv, &k->mu, &ts);
		if (k->on && !k->stop) {
			pthread_mutex_unlock(&k->mu);
			kick(k);
			pthread_mutex_lock(&k->mu);
		}
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

kicker *kicker_start(const char *bootstraps)
{
	kicker *k = calloc(1, sizeof *k);
	if (!k)
		return NULL;
	char *list = strdup(bootstraps), *save = NULL;
	for (char *hp = list ? strtok_r(list, ",", &save) : NULL; hp && k->naddr < KICK_MAX_BROKERS;
	     hp = strtok_r(NULL, ",", &save)) {
		char *colon = strrchr(hp, ':');
		if (!colon)
			continue;
		*colon = '\0';
		struct sockaddr_in *a = &k->addr[k->naddr];
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)atoi(colon + 1));
		if (inet_pton(AF_INET, hp, &a->sin_addr) == 1)
			k->naddr++;
	}
	free(list);
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	/* signals are for the main thread, whose poll() they end */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int e = k->naddr ? pthread_create(&k->thread, NULL, kick_main, k) : -1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		pthread_cond_destroy(&k->cv);
		pthread_mutex_destroy(&k->mu);
		free(k);
		return NULL;
	}
	return k;
}

void kicker_set(kicker *k, bool on)
{
	if (!k)
		return;
	pthread_mutex_lock(&k->mu);
	k->on = on;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
}

void kicker_stop(kicker *k)
{
	if (!k)
		return;
	pthread_mutex_lock(&k->mu);
	k->stop = true;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
	pthread_join(k->thread, NULL);
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	free(k);
}
