/* kafka_topic.h — Kafka topic names for change records: a template with the
 * placeholders {prefix}, {db}, {schema} and {table}, expanded per record.
 *
 * Kafka allows only [A-Za-z0-9._-] in a topic name, at most 249 bytes, and
 * neither "." nor "..". PostgreSQL names allow anything, so a substituted
 * value has every other byte replaced by '_' (two tables may then share a
 * topic; each record still names its own table). The template's literal text
 * must already be legal. */
#ifndef DBREPL_KAFKA_TOPIC_H
#define DBREPL_KAFKA_TOPIC_H

#include <stddef.h>

#define KAFKA_TOPIC_MAX 249
#define KAFKA_TOPIC_DEFAULT_TEMPLATE "{prefix}.{schema}.{table}"

/* 0 when tmpl is usable; -1 with a message in err otherwise (unknown
 * placeholder, unbalanced brace, illegal literal character, empty). */
int kafka_topic_template_check(const char *tmpl, char *err, size_t errlen);

/* Expands tmpl into out (KAFKA_TOPIC_MAX + 1 bytes is enough). prefix NULL
 * means db. Returns the name's length, or -1 when the result is empty, ".",
 * "..", or longer than KAFKA_TOPIC_MAX. */
int kafka_topic_expand(const char *tmpl, const char *prefix, const char *db,
		       const char *schema, const char *table, char *out, size_t outlen);

/* The beginning that every topic of db's tables has under tmpl: its
 * expansion up to the first {schema} or {table}. *exact is set when tmpl
 * has neither (one topic for every table of db: the whole name). Returns
 * the length, 0 for none (tmpl starts with a table's own name). */
int kafka_topic_family(const char *tmpl, const char *prefix, const char *db, char *out, size_t outlen,
		       int *exact);

/* True when c may appear in a topic name. */
int kafka_topic_char_ok(int c);

#endif
