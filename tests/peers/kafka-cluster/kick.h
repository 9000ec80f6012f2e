/* kick.h — wakes the mock cluster's thread while the peer waits for one of
 * its operations.
 *
 * librdkafka 2.0.2's mock cluster loses the wake-up of an operation queued
 * while its thread is between serving its queue and draining its wake-up
 * pipe (rdkafka_mock.c, rd_kafka_mock_cluster_io_poll): the operation then
 * waits for the thread's next timer, up to a second, and every operation
 * after it until then. Creating 30 topics took 1 to 11 s in one start of
 * five (14 ms otherwise), and tests that wait 10 s for the bootstrap
 * servers failed. A connection to one of the brokers wakes the thread as
 * well: while an operation is under way, a second thread opens and closes
 * one every few milliseconds. */
#ifndef KAFKA_CLUSTER_KICK_H
#define KAFKA_CLUSTER_KICK_H

#include <stdbool.h>

typedef struct kicker kicker;

/* bootstraps: "host:port,host:port…" of the mock brokers (IPv4). NULL
 * when out of memory or threads: the peer then works without, slowly. */
kicker *kicker_start(const char *bootstraps);
/* on while the peer's thread waits for the mock cluster's */
void kicker_set(kicker *k, bool on);
void kicker_stop(kicker *k);

#endif
