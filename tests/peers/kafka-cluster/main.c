/* kafka-cluster — a Kafka cluster for the tests: librdkafka's mock cluster
 * (rdkafka_mock.h) with N brokers listening on loopback, driven by fault
 * commands on stdin.
 *
 *   kafka-cluster [-n BROKERS] [--front] [-t TOPIC:PARTITIONS[:RF]]...
 *
 * The first line on stdout is the bootstrap server list. With --front it
 * names a Kafka-protocol front before each broker that serves CreateTopics,
 * which the mock lacks (front.h); clients then talk through the fronts. Then every line
 * read on stdin is one command, answered by one line, "ok" or "error …":
 *
 *   down BROKER_ID            disconnect a broker, refuse new connections
 *   up BROKER_ID              accept connections again
 *   leader TOPIC PART BROKER  move a partition's leadership
 *   rtt BROKER_ID MS          add round-trip delay to a broker
 *   error APIKEY ERR [COUNT]  the next COUNT requests of APIKEY (Produce 0,
 *                             Fetch 1, Metadata 3, …) fail with error ERR
 *   clear APIKEY              forget pushed errors of APIKEY
 *   topic-error TOPIC ERR     Metadata reports ERR for TOPIC (0 clears)
 *   create TOPIC PARTS RF     create a topic
 *   quit                      stop
 *
 * It runs until "quit", SIGTERM or SIGINT. End of input does not stop it:
 * the tests hold its stdin open through a FIFO, but a test that lets go of
 * the FIFO too early must not lose its cluster. Topics that do not exist are
 * created on first use by the mock (4 partitions, replication factor
 * min(3, BROKERS)) unless -t created them first. */
#include "front.h"
#include "kick.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: kafka-cluster [-n BROKERS] [--front] [-t TOPIC:PARTITIONS[:RF]]...\n"
		   "Starts a mock Kafka cluster, prints its bootstrap servers (with --front:\n"
		   "those of fronts that also serve CreateTopics), then\n"
		   "reads fault commands on stdin (down, up, leader, rtt, error, clear,\n"
		   "topic-error, create, quit), answering \"ok\" or \"error ...\".\n");
}

static int parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int create_topic(rd_kafka_mock_cluster_t *mc, const char *spec, char *msg, size_t msglen)
{
	char name[256];
	long parts = 1, rf = 1;
	const char *c1 = strchr(spec, ':');
	size_t n = c1 ? (size_t)(c1 - spec) : strlen(spec);
	if (n == 0 || n >= sizeof name) {
		snprintf(msg, msglen, "bad topic spec \"%s\"", spec);
		return -1;
	}
	memcpy(name, spec, n);
	name[n] = '\0';
	if (c1) {
		char tmp[64];
		snprintf(tmp, sizeof tmp, "%s", c1 + 1);
		char *c2 = strchr(tmp, ':');
		if (c2)
			*c2++ = '\0';
		if (parse_int(tmp, 1, 10000, &parts) < 0 || (c2 && parse_int(c2, 1, 100, &rf) < 0)) {
			snprintf(msg, msglen, "bad topic spec \"%s\"", spec);
			return -1;
		}
	}
	rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, name, (int)parts, (int)rf);
	if (err) {
		snprintf(msg, msglen, "create %s: %s", name, rd_kafka_err2str(err));
		return -1;
	}
	return 0;
}

/* Runs one command line; writes the answer into ans. Returns 1 on quit. */
static int run_command(rd_kafka_mock_cluster_t *mc, char *line, char *ans, size_t anslen)
{
	char *argv[8];
	int argc = 0;
	for (char *tok = strtok(line, " \t\r\n"); tok && argc < 8; tok = strtok(NULL, " \t\r\n"))
		argv[argc++] = tok;
	if (argc == 0) {
		snprintf(ans, anslen, "error empty command");
		return 0;
	}
	const char *cmd = argv[0];
	long a, b, c;
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;

	if (strcmp(cmd, "quit") == 0) {
		snprintf(ans, anslen, "ok");
		return 1;
	} else if ((strcmp(cmd, "down") == 0 || strcmp(cmd, "up") == 0) && argc == 2) {
		if (parse_int(argv[1], -1, 1000, &a) < 0)
			goto bad;
		err = cmd[0] == 'd' ? rd_kafka_mock_broker_set_down(mc, (int32_t)a)
				    : rd_kafka_mock_broker_set_up(mc, (int32_t)a);
	} else if (strcmp(cmd, "leader") == 0 && argc == 4) {
		if (parse_int(argv[2], 0, 100000, &a) < 0 || parse_int(argv[3], -1, 1000, &b) < 0)
			goto bad;
		err = rd_kafka_mock_partition_set_leader(mc, argv[1], (int32_t)a, (int32_t)b);
	} else if (strcmp(cmd, "rtt") == 0 && argc == 3) {
		if (parse_int(argv[1], -1, 1000, &a) < 0 || parse_int(argv[2], 0, 3600000, &b) < 0)
			goto bad;
		err = rd_kafka_mock_broker_set_rtt(mc, (int32_t)a, (int)b);
	} else if (strcmp(cmd, "error") == 0 && (argc == 3 || argc == 4)) {
		c = 1;
		if (parse_int(argv[1], 0, 1000, &a) < 0 || parse_int(argv[2], -200, 1000, &b) < 0 ||
		    (argc == 4 && parse_int(argv[3], 1, 100000, &c) < 0))
			goto bad;
		rd_kafka_resp_err_t *errs = malloc((size_t)c * sizeof *errs);
		if (!errs) {
			snprintf(ans, anslen, "error out of memory");
			return 0;
		}
		for (long i = 0; i < c; i++)
			errs[i] = (rd_kafka_resp_err_t)b;
		rd_kafka_mock_push_request_errors_array(mc, (int16_t)a, (size_t)c, errs);
		free(errs);
	} else if (strcmp(cmd, "clear") == 0 && argc == 2) {
		if (parse_int(argv[1], 0, 1000, &a) < 0)
			goto bad;
		rd_kafka_mock_clear_request_errors(mc, (int16_t)a);
	} else if (strcmp(cmd, "topic-error") == 0 && argc == 3) {
		if (parse_int(argv[2], -200, 1000, &a) < 0)
			goto bad;
		rd_kafka_mock_topic_set_error(mc, argv[1], (rd_kafka_resp_err_t)a);
	} else if (strcmp(cmd, "create") == 0 && argc == 4) {
		if (parse_int(argv[2], 1, 10000, &a) < 0 || parse_int(argv[3], 1, 100, &b) < 0)
			goto bad;
		err = rd_kafka_mock_topic_create(mc, argv[1], (int)a, (int)b);
	} else {
		snprintf(ans, anslen, "error unknown command or wrong arguments: %s", cmd);
		return 0;
	}
	if (err)
		snprintf(ans, anslen, "error %s", rd_kafka_err2str(err));
	else
		snprintf(ans, anslen, "ok");
	return 0;
bad:
	snprintf(ans, anslen, "error bad number in %s command", cmd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"brokers", required_argument, NULL, 'n'},
		{"topic", required_argument, NULL, 't'},
		{"front", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	long nbrokers = 3;
	char **topics = calloc((size_t)argc + 1, sizeof *topics);
	int ntopics = 0, opt, with_front = 0;
	if (!topics)
		return EX_OSERR;
	while ((opt = getopt_long(argc, argv, "n:t:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (parse_int(optarg, 1, 100, &nbrokers) < 0) {
				fprintf(stderr, "kafka-cluster: bad broker count (%s)\n", optarg);
				free(topics);
				return EX_USAGE;
			}
			break;
		case 't':
			topics[ntopics++] = optarg;
			break;
		case 'f':
			with_front = 1;
			break;
		case 'h':
			usage(stdout);
			free(topics);
			return 0;
		case 'V':
			printf("kafka-cluster %s\n", rd_kafka_version_str());
			free(topics);
			return 0;
		default:
			usage(stderr);
			free(topics);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		free(topics);
		return EX_USAGE;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() must wake up */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* The threads started below (librdkafka's mock cluster, the front,
	 * the kicker) inherit a mask without SIGTERM and SIGINT, so these
	 * reach this thread and end its poll() at once, not at its next
	 * timeout a second later. */
	sigset_t block, unblocked;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &unblocked);

	/* The mock cluster needs a client instance for its bookkeeping; a
	 * producer that never produces is the lightest. */
	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
	if (!rk) {
		fprintf(stderr, "kafka-cluster: cannot create client (%s)\n", errstr);
		free(topics);
		return EX_SOFTWARE;
	}
	rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, (int)nbrokers);
	if (!mc) {
		fprintf(stderr, "kafka-cluster: cannot create mock cluster\n");
		rd_kafka_destroy(rk);
		free(topics);
		return EX_SOFTWARE;
	}
	/* (kick.h: librdkafka 2.0.2 loses wake-ups of the mock's thread) */
	kicker *kick = kicker_start(rd_kafka_mock_cluster_bootstraps(mc));
	kicker_set(kick, true);
	int rc = 0;
	for (int i = 0; i < ntopics; i++) {
		char msg[512];
		if (create_topic(mc, topics[i], msg, sizeof msg) < 0) {
			fprintf(stderr, "kafka-cluster: %s\n", msg);
			rc = EX_USAGE;
		}
	}
	kicker_set(kick, false);
	free(topics);
	if (rc) {
		kicker_stop(kick);
		rd_kafka_mock_cluster_destroy(mc);
		rd_kafka_destroy(rk);
		return rc;
	}
	front *fr = NULL;
	if (with_front) {
		char msg[512];
		fr = front_start(mc, rd_kafka_mock_cluster_bootstraps(mc), (int)nbrokers, msg, sizeof msg);
		if (!fr) {
			fprintf(stderr, "kafka-cluster: front: %s\n", msg);
			kicker_stop(kick);
			rd_kafka_mock_cluster_destroy(mc);
			rd_kafka_destroy(rk);
			return EX_SOFTWARE;
		}
	}
	pthread_sigmask(SIG_SETMASK, &unblocked, NULL);
	printf("%s\n", fr ? front_bootstraps(fr) : rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);

	char line[4096];
	size_t len = 0;
	int in_open = 1;
	while (!stop) {
		if (!in_open) {
			poll(NULL, 0, 1000);
			continue;
		}
		struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
		int n = poll(&pfd, 1, 1000);
		if (n <= 0)
			continue;
		ssize_t k = read(STDIN_FILENO, line + len, sizeof line - 1 - len);
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			in_open = 0;
			continue;
		}
		if (k == 0) {
			in_open = 0;
			continue;
		}
		len += (size_t)k;
		char *start = line, *nl;
		while (!stop && (nl = memchr(start, '\n', len - (size_t)(start - line)))) {
			*nl = '\0';
			char ans[600];
			kicker_set(kick, true);
			int quit = run_command(mc, start, ans, sizeof ans);
			kicker_set(kick, false);
			printf("%s\n", ans);
			fflush(stdout);
			start = nl + 1;
			if (quit)
				stop = 1;
		}
		len -= (size_t)(start - line);
		memmove(line, start, len);
		if (len == sizeof line - 1) {
			printf("error command too long\n");
			fflush(stdout);
			len = 0;
		}
	}
	front_stop(fr);
	kicker_set(kick, true); /* the destroy is an operation too */
	rd_kafka_mock_cluster_destroy(mc);
	kicker_stop(kick);
	rd_kafka_destroy(rk);
	return 0;
}
