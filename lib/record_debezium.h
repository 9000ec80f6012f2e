/* record_debezium.h — Debezium's change events as a dialect of the change
 * record (ARCHITECTURE.md, contract 5): the envelope of the Debezium
 * PostgreSQL connector (release 3.6.1.Final), plain or in Kafka Connect's
 * JsonConverter form {"schema":…,"payload":…}. man/dbrepl-debezium.5 is
 * the specification; dbz_value.h converts the values.
 *
 * Encoding turns a record into an event's key and value (kpub --envelope
 * debezium). Decoding turns an event, and the Kafka message key when
 * there is one, into a record, so that nothing past the decoder knows
 * which dialect came in: the JSON decoder hands every object whose
 * top-level keys say it is an event (record_is_debezium) to it, and ksub
 * calls it with the message key. */
#ifndef DBREPL_RECORD_DEBEZIUM_H
#define DBREPL_RECORD_DEBEZIUM_H

#include "buf.h"
#include "record.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dbz_encoder_opts {
	bool schema;            /* JsonConverter's {"schema","payload"} form */
	const char *topic_tmpl; /* kafka_topic.h's template: the schemas are named after the topic */
	const char *prefix;     /* topic.prefix, source.name; NULL: each record's db */
} dbz_encoder_opts;

typedef struct dbz_encoder dbz_encoder;

/* NULL with errno when out of memory. The options' strings are borrowed. */
dbz_encoder *dbz_encoder_new(const dbz_encoder_opts *o);
void dbz_encoder_free(dbz_encoder *e);
/* Which event of a record to write: the record's own, or, for an update
 * that changes the row's key (dbz_key_changes), as Debezium writes it,
 * first a delete of the old key (OLD: the before image), then a create of
 * the new one (NEW: the after image). */
enum dbz_part { DBZ_PART_WHOLE, DBZ_PART_OLD, DBZ_PART_NEW };
/* Whether r is an update that changes the row's key and that Debezium
 * writes as two events. Not when its after image holds an unchanged TOAST
 * value, which a create cannot carry: that stays one update event, with
 * the old key in "before". */
bool dbz_key_changes(const record *r);
/* Appends part of record r's event to key and value. *has_key is false
 * when the event has no key (a truncate; a table without key columns):
 * the message key is then null. now_ns: the processing time written as
 * the envelope's ts_ms/ts_us/ts_ns. 0, or -1 with a message in err naming
 * the column of a value that has no exact Debezium form. */
int dbz_encode(dbz_encoder *e, const record *r, enum dbz_part part, int64_t now_ns, buf *key, bool *has_key,
	       buf *value, char *err, size_t errlen);

/* Whether the JSON object data[0..len) is a Debezium event rather than a
 * record: no "v", and "schema" with "payload" (JsonConverter's form), "op"
 * with "source", or "status" with "data_collections" (a transaction
 * boundary). Cheap for a record as our encoders write it. */
bool record_is_debezium(const void *data, size_t len);

/* Decodes the event value[0..vlen) into r. key[0..klen) is the Kafka
 * message key (NULL, 0 when there is none): its fields name the key
 * columns. The record's pos is stream "debezium/NAME" (NAME: source.name)
 * and offset L:ordinal, L the event's last commit LSN (source.sequence's
 * first) or else its LSN; ksub replaces it with the message's own. 0;
 * DBZ_NOT_A_CHANGE for a message of Debezium's that is no change of rows
 * (a transaction BEGIN/END), which readers skip (err says what it was);
 * or -1 with a message in err. */
enum { DBZ_NOT_A_CHANGE = 1 };
int record_decode_debezium(record *r, const void *value, size_t vlen, const void *key, size_t klen,
			   uint64_t ordinal, char *err, size_t errlen);
/* The stream of events of source.name NAME: "debezium/NAME", bytes a
 * stream name may not hold as '_' (out: POS_STREAM_MAX + 1 bytes). */
void record_debezium_stream(char *out, const char *name);

#endif
