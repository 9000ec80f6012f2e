/* pgoutput.h — decoding of the messages of PostgreSQL's built-in logical
 * replication output plugin, pgoutput, protocol version 1 (no streaming of
 * in-progress transactions). Owns the wire format only: it turns the payload
 * of one XLogData message into a struct and does no I/O.
 *
 * Decoding is in place: strings and column values point into the message
 * buffer the caller passed, so a decoded message is valid only as long as
 * that buffer. Tuple value arrays and truncate relation lists are kept in the
 * decoder and reused from message to message, so decoding allocates nothing
 * once the widest table has been seen. */
#ifndef DBREPL_PGOUTPUT_H
#define DBREPL_PGOUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* µs between 1970-01-01 and 2000-01-01, PostgreSQL's timestamp epoch. */
#define PGO_EPOCH_OFFSET_US INT64_C(946684800000000)

typedef enum pgo_msg_type {
	PGO_BEGIN = 'B',
	PGO_COMMIT = 'C',
	PGO_ORIGIN = 'O',
	PGO_RELATION = 'R',
	PGO_TYPE = 'Y',
	PGO_INSERT = 'I',
	PGO_UPDATE = 'U',
	PGO_DELETE = 'D',
	PGO_TRUNCATE = 'T',
	PGO_MESSAGE = 'M',
} pgo_msg_type;

/* Replica identity of a relation, as in pg_class.relreplident. */
#define PGO_REPLIDENT_DEFAULT 'd'
#define PGO_REPLIDENT_NOTHING 'n'
#define PGO_REPLIDENT_FULL 'f'
#define PGO_REPLIDENT_INDEX 'i'

/* Column flag: part of the replica identity key. */
#define PGO_COLUMN_KEY 1

/* Kinds of one value of TupleData. */
#define PGO_VALUE_NULL 'n'
#define PGO_VALUE_UNCHANGED 'u' /* TOASTed and not changed: not sent */
#define PGO_VALUE_TEXT 't'
#define PGO_VALUE_BINARY 'b'

/* Truncate options. */
#define PGO_TRUNCATE_CASCADE 1
#define PGO_TRUNCATE_RESTART_IDENTITY 2

typedef struct pgo_column {
	uint8_t flags;
	const char *name;
	uint32_t type_oid;
	int32_t typmod;
} pgo_column;

typedef struct pgo_relation {
	uint32_t oid;
	const char *nspname;
	const char *relname;
	char replident;
	uint16_t natts;
	pgo_column *cols; /* natts entries */
} pgo_relation;

typedef struct pgo_value {
	char kind; /* PGO_VALUE_* */
	const char *data; /* TEXT/BINARY: not NUL-terminated */
	uint32_t len;
} pgo_value;

typedef struct pgo_tuple {
	uint16_t natts;
	pgo_value *values;
} pgo_tuple;

typedef struct pgo_msg {
	char type; /* pgo_msg_type */
	union {
		struct {
			uint64_t final_lsn; /* the commit record's LSN */
			int64_t commit_ts;  /* µs since 2000-01-01 */
			uint32_t xid;
		} begin;
		struct {
			uint8_t flags;
			uint64_t commit_lsn;
			uint64_t end_lsn; /* end of the commit record */
			int64_t commit_ts;
		} commit;
		struct {
			uint64_t lsn;
			const char *name;
		} origin;
		pgo_relation relation;
		struct {
			uint32_t oid;
			const char *nspname;
			const char *typname;
		} type;
		struct {
			uint32_t relid;
			char old_kind; /* 'K' key only, 'O' whole old row, 0 none */
			bool has_new;
			pgo_tuple old_tuple; /* when old_kind */
			pgo_tuple new_tuple; /* when has_new */
		} change; /* INSERT, UPDATE, DELETE */
		struct {
			uint8_t options;
			uint32_t nrelids;
			const uint32_t *relids;
		} truncate;
		struct {
			uint8_t flags; /* 1: transactional */
			uint64_t lsn;
			const char *prefix;
			const char *content;
			uint32_t len;
		} message;
	} u;
} pgo_msg;

typedef struct pgo_decoder pgo_decoder;

pgo_decoder *pgo_decoder_new(void);
void pgo_decoder_free(pgo_decoder *d);

/* Decodes one message. Returns 0, or -1 with a description in err when the
 * message is malformed or of a type this module does not know. The result
 * points into data and into the decoder; valid until the next call. */
int pgo_decode(pgo_decoder *d, const void *data, size_t len, pgo_msg *out,
	       char *err, size_t errlen);

/* A deep copy of a relation (for a cache of Relation messages), freed with
 * pgo_relation_free. NULL when out of memory. */
pgo_relation *pgo_relation_copy(const pgo_relation *r);
void pgo_relation_free(pgo_relation *r);

#endif
