/* front.h — a Kafka-protocol front before each broker of the mock cluster
 * (kafka-cluster --front), for the one thing librdkafka 2.0.2's mock does
 * not serve: CreateTopics (ApiKey 19), which kpub --create-topics sends.
 *
 * Each front listens on its own loopback port and relays one client
 * connection to one connection to its mock broker, frame by frame and byte
 * for byte, except:
 *   - CreateTopics v0-v4 is answered by the front itself, per the Kafka
 *     protocol: it validates every topic of the request (name, duplicates,
 *     partitions, replication factor against the broker count, existence,
 *     the controller), creates the valid ones in the mock
 *     (rd_kafka_mock_topic_create) unless validate_only, and answers each
 *     with its error code and message. Replica assignments and topic configs
 *     are refused (INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG): the mock can
 *     hold neither, and a test must not believe they were applied;
 *     the replication factor is checked against the brokers, but the 2.0.2
 *     mock places every partition on min(3, brokers) replicas whatever it
 *     is told, so metadata shows that;
 *   - ApiVersions responses (v0-v2) gain CreateTopics 0-4;
 *   - Metadata (v0-v2) and FindCoordinator (v0-v2) responses name the
 *     fronts' ports instead of the mock brokers', so clients keep talking
 *     through the fronts; Metadata's ControllerId, which the mock leaves at
 *     0 (no such broker), becomes the lowest broker id, and only that
 *     broker's front accepts CreateTopics (the others answer NOT_CONTROLLER,
 *     as Kafka does).
 * Responses go back in request order (a local answer waits for the mock's
 * answers to earlier requests). Buffers are bounded: a frame over 100 MiB
 * (Kafka's socket.request.max.bytes) or a malformed request closes the
 * connection, and a side is not read while the other side's output is
 * over 4 MiB. */
#ifndef KAFKA_CLUSTER_FRONT_H
#define KAFKA_CLUSTER_FRONT_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stddef.h>

typedef struct front front;

/* Starts one front per broker of mock_bootstraps ("host:port,...", as
 * rd_kafka_mock_cluster_bootstraps prints) in a thread of its own.
 * NULL with a message in err. */
front *front_start(rd_kafka_mock_cluster_t *mc, const char *mock_bootstraps, int nbrokers, char *err,
		   size_t errlen);
/* The fronts' bootstrap list, "127.0.0.1:port,...". */
const char *front_bootstraps(const front *f);
/* Stops the thread, closes every connection. */
void front_stop(front *f);

#endif
