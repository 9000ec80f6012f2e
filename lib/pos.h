/* pos.h — stream positions: the (stream, offset) every record carries and
 * every ack names (ARCHITECTURE.md, "Positions and acks").
 *
 * An offset is a pair (major, minor) ordered lexicographically. Two text
 * forms exist and both parse back exactly:
 *   "16/B374D848:3"  a PostgreSQL stream: major = commit LSN, minor = ordinal
 *                    of the change in its transaction (1-based)
 *   "12345"          a Kafka partition: major = Kafka offset, minor = 0
 * Stream names are printable ASCII without spaces, at most POS_STREAM_MAX
 * bytes: "pg/DB/SLOT", "snap/DB/ID", "kafka/TOPIC/PARTITION". */
#ifndef DBREPL_POS_H
#define DBREPL_POS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POS_STREAM_MAX 400
#define POS_OFFSET_TEXT_MAX 48

typedef struct pos_offset {
	uint64_t major;
	uint64_t minor;
	bool lsn; /* printed as "X/Y:N" rather than "N" */
} pos_offset;

/* Returns 0, or -1 when s is not an offset in either form. The _n forms
 * take the text's length (it need not be NUL-terminated; a NUL byte in it
 * makes it invalid, as it would end the string for the others). */
int pos_offset_parse(const char *s, pos_offset *out);
int pos_offset_parse_n(const char *s, size_t n, pos_offset *out);
/* Writes the text form into buf (POS_OFFSET_TEXT_MAX bytes is enough). */
void pos_offset_format(pos_offset o, char *buf, size_t len);
int pos_offset_cmp(pos_offset a, pos_offset b);

/* LSN text "X/Y" as PostgreSQL prints it. */
int pos_lsn_parse(const char *s, uint64_t *lsn);
int pos_lsn_parse_n(const char *s, size_t n, uint64_t *lsn);
void pos_lsn_format(uint64_t lsn, char *buf, size_t len);

/* True when s is a valid stream name (see above). */
bool pos_stream_valid(const char *s);
bool pos_stream_valid_n(const char *s, size_t n);

#endif
