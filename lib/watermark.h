/* watermark.h — the watermark message kpub writes to every partition of its
 * topics, and ksub reads: "every record of source stream STREAM up to
 * OFFSET is in this partition before this message, or not in it at all".
 * It lets ksub --ordered release a record once every partition has gone
 * past its source position, also when a partition gets no records.
 *
 * On Kafka: key "dbrepl-watermark" (never a record's key, which is a JSON
 * object or msgpack map), header "dbrepl-watermark", value the JSON text
 *   {"watermark":{"stream":"pg/wwi/dbrepl","offset":"0/16B3748:3"}}
 * (man/pgcdc-record.5).
 *
 * Debezium's events (kpub --envelope debezium) carry no dbrepl position:
 * ksub --ordered puts them in source order by watermark_debezium_order,
 * and kpub's watermarks of their stream (only with --watermark-ms there)
 * name "debezium/NAME" and that order. Nor do they carry src.last: kpub
 * marks the message of a transaction's last change with the header
 * dbrepl-last instead, which ksub reads back into src.last. */
#ifndef DBREPL_WATERMARK_H
#define DBREPL_WATERMARK_H

#include "buf.h"
#include "pos.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define WATERMARK_KEY "dbrepl-watermark"
#define WATERMARK_KEY_LEN 16
#define WATERMARK_HEADER WATERMARK_KEY

#define TXN_LAST_HEADER "dbrepl-last"

/* The place of a Debezium event in source order: its commit LSN (source.
 * sequence's first, as the decoder gives it in the offset's major), and
 * twice its transaction.total_order, plus one for the create that follows
 * the delete of a key change (two events of one change). A watermark
 * after the change at total_order N says 2N + 1. */
static inline pos_offset watermark_debezium_order(uint64_t lsn, uint64_t total_order, bool second)
{
	uint64_t minor = total_order > (UINT64_MAX - 1) / 2 ? UINT64_MAX : 2 * total_order + second;
	return (pos_offset){.major = lsn, .minor = minor, .lsn = true};
}

/* Whether a message's key is the watermark key. */
static inline bool watermark_key_is(const void *key, size_t len)
{
	return key && len == WATERMARK_KEY_LEN && memcmp(key, WATERMARK_KEY, WATERMARK_KEY_LEN) == 0;
}

/* Appends the value of a watermark. 0 or -1 (ENOMEM). */
int watermark_encode(buf *out, const char *stream, pos_offset off);
/* Reads a watermark's value: 0 with stream (POS_STREAM_MAX + 1 bytes) and
 * *off set, or -1 when it is not one (exactly the form above, blanks
 * between tokens allowed). */
int watermark_decode(const void *data, size_t len, char *stream, pos_offset *off);

#endif
