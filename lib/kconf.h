/* kconf.h — librdkafka configuration the way kcat takes it: -X key=value
 * for any property, -F file of key=value lines (# comments), and -b
 * brokers. Values are never echoed, since they may be passwords
 * (sasl.password, ssl.key.password). */
#ifndef DBREPL_KCONF_H
#define DBREPL_KCONF_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

/* "key=value". 0, or -1 with a message in err. */
int kconf_set_kv(rd_kafka_conf_t *conf, const char *kv, char *err, size_t errlen);
/* Every non-blank, non-# line of path as key=value. 0, or -1 (err names the line). */
int kconf_load_file(rd_kafka_conf_t *conf, const char *path, char *err, size_t errlen);
/* Sets one property; 0 or -1 with err. */
int kconf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *err, size_t errlen);

#endif
