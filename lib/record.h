/* record.h — the change record: the one data model every dbrepl program
 * reads and writes, and its two encodings, NDJSON and msgpack
 * (man/pgcdc-record.5 is the specification; this header is its C face).
 *
 * A record is self-contained: it names database, schema and table, lists
 * every column with its PostgreSQL type as format_type() prints it, names
 * the key columns, and carries before/after images, the source position and
 * the stream position used for acks.
 *
 * Values are held as PostgreSQL's text output, normalised so that they are
 * exact and independent of session settings:
 *   - timestamptz: UTC, "YYYY-MM-DDTHH:MM:SS.ffffffZ" (always 6 digits);
 *   - timestamp:   "YYYY-MM-DDTHH:MM:SS.ffffff";
 *   - time:        "HH:MM:SS.ffffff"; timetz: "HH:MM:SS.ffffff+HH:MM";
 *   - date: "YYYY-MM-DD"; "infinity" / "-infinity" kept as words; BC years
 *     keep PostgreSQL's " BC" suffix;
 *   - interval: ISO 8601 ("P1Y2M3DT4H5M6.5S", IntervalStyle iso_8601);
 *   - bytea: "\x" followed by lowercase hex (byte for byte);
 *   - numeric, real, double precision: exact decimal text, "NaN",
 *     "Infinity", "-Infinity" (never through a C double);
 *   - boolean: "t" / "f"; money: as printed with lc_monetary C ("$1,234.56");
 *   - everything else (text, json, jsonb, uuid, inet, arrays, enums,
 *     domains over these …): PostgreSQL's text output, UTF-8.
 * A value slot is one of: ABSENT (not in this image: a before image that
 * holds only the key; or a TOASTed column that did not change, which is
 * UNCHANGED), NULL, or TEXT.
 *
 * JSON encoding of a value (by the column's type): smallint, integer, bigint
 * as JSON numbers; boolean as true/false; every other type as a JSON string
 * of the text above. msgpack: the same, except bytea as bin (raw bytes).
 */
#ifndef DBREPL_RECORD_H
#define DBREPL_RECORD_H

#include "buf.h"
#include "pos.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RECORD_FORMAT_VERSION 1
/* One encoded record larger than this is bad input (exit 65). */
#define RECORD_MAX_BYTES ((size_t)256 << 20)
/* PostgreSQL's own limit on columns of a table. */
#define RECORD_MAX_COLUMNS 1600
#define RECORD_NAME_MAX 256 /* identifiers, type names: bytes */

typedef enum record_op {
	RECORD_OP_READ = 'r',     /* snapshot */
	RECORD_OP_INSERT = 'c',
	RECORD_OP_UPDATE = 'u',
	RECORD_OP_DELETE = 'd',
	RECORD_OP_TRUNCATE = 't',
} record_op;

typedef enum record_format {
	RECORD_FORMAT_JSON = 0,
	RECORD_FORMAT_MSGPACK = 1,
} record_format;

typedef enum value_kind {
	VALUE_ABSENT = 0,
	VALUE_NULL,
	VALUE_TEXT,
	VALUE_UNCHANGED, /* TOASTed and not changed by this UPDATE: keep the target's */
} value_kind;

typedef struct record_value {
	value_kind kind;
	const char *data; /* VALUE_TEXT: NUL-terminated, owned by the record */
	size_t len;
} record_value;

/* What a producer did to a column's values so that they do not leave
 * PostgreSQL (--exclude-column, --mask-column, --hash-column of pgcdc-read
 * and snapshot); "mask" in the column's entry of "cols". */
typedef enum record_mask {
	RECORD_MASK_NONE = 0,
	RECORD_MASK_EXCLUDED, /* "excluded": no image ever holds a value; the type is the source's */
	RECORD_MASK_FIXED,    /* "fixed": every non-null value is one fixed text; type "text" */
	RECORD_MASK_SHA256,   /* "sha256": lowercase hex SHA-256 of a salt and the value's
			       * text; type "character(64)" */
} record_mask;
#define RECORD_MASK_LAST RECORD_MASK_SHA256
/* "excluded", "fixed", "sha256"; NULL for RECORD_MASK_NONE. */
const char *record_mask_name(record_mask m);
/* The mask named by s[0..n); RECORD_MASK_NONE when none is. */
record_mask record_mask_parse(const char *s, size_t n);

typedef struct record_column {
	const char *name; /* the record's (its arena, or the decoders' cache: record_cache.c) */
	const char *type; /* format_type(), e.g. "numeric(18,2)", "text[]" */
} record_column;

typedef struct record_arena record_arena;

typedef struct record {
	int version;
	char op; /* record_op */
	const char *db, *schema, *table;

	size_t ncols;
	record_column *cols;
	size_t nkeys;
	uint16_t *keys; /* indexes into cols, in key order */
	/* Nonzero when a decoder took cols and keys from its cache of table
	 * shapes (record_cache.c): records with the same shape_id have the
	 * same columns, types and keys, so a consumer that remembers a
	 * table's shape can skip comparing them. 0 says nothing. */
	uint64_t shape_id;
	/* Set by the decoders on a record they accepted: they checked every
	 * name, key and value as the encoders would (names within limits,
	 * keys in range, values valid for their column's type, UTF-8), and
	 * cls holds each column's value_class (ncols entries, in the arena).
	 * record_encode_key then skips those checks. record_clear and every
	 * builder below (record_set_*) clear it; a program that changes the
	 * names, keys, images or values of a decoded record other than
	 * through them must clear it too. */
	bool checked;
	const unsigned char *cls;
	/* What a producer did to each column's values (record_mask, ncols
	 * entries: "mask" in cols), or NULL when it masked none, as most
	 * records: then nothing about masks costs anything. */
	unsigned char *masks;

	bool has_before, has_after;
	record_value *before; /* ncols slots when has_before */
	record_value *after;  /* ncols slots when has_after */

	/* Source position. */
	uint64_t lsn;      /* commit LSN (snapshot: its LSN) */
	uint32_t xid;
	int64_t commit_us; /* commit time, µs since 1970-01-01 UTC */
	uint64_t seq;      /* ordinal of the change in its transaction, from 1 */
	/* src.last: the last change of its transaction (pgcdc-read learns it
	 * at the commit). false says nothing: the field is optional, and
	 * snapshot records have no transaction. */
	bool last;

	/* Stream position, for acks and the target's checkpoint. */
	char stream[POS_STREAM_MAX + 1];
	pos_offset offset;

	record_arena *arena; /* storage for everything above */
} record;

/* ---- lifetime ---- */
void record_init(record *r);
/* Empties the record for reuse; keeps a bounded amount of storage. */
void record_clear(record *r);
void record_free(record *r);

/* ---- building (producers) — all copy their arguments; 0 or -1 (ENOMEM) ---- */
int record_set_table(record *r, const char *db, const char *schema, const char *table);
/* Allocates ncols columns (names/types set with record_set_column) and,
 * as asked, the before/after images with every slot ABSENT. */
int record_set_shape(record *r, size_t ncols, bool before, bool after);
int record_set_column(record *r, size_t i, const char *name, const char *type);
/* Sets column i's mask (RECORD_MASK_NONE after record_set_shape). */
int record_set_column_mask(record *r, size_t i, record_mask m);
static inline record_mask record_column_mask(const record *r, size_t i)
{
	return r->masks ? (record_mask)r->masks[i] : RECORD_MASK_NONE;
}
int record_set_keys(record *r, const uint16_t *keys, size_t nkeys);
int record_set_value(record *r, record_value *img, size_t i, value_kind kind,
		     const char *data, size_t len);
/* Copies n bytes into the record's storage (NUL-terminated). */
char *record_strdup(record *r, const char *s, size_t n);
/* Deep copy of src into dst (dst initialised). */
int record_copy(record *dst, const record *src);

/* Removes the columns a producer excluded (RECORD_MASK_EXCLUDED) from the
 * record: from cols, the key list and the images. For a consumer that
 * should never see them (mssql-apply). shape_id and checked stay as they
 * were (every record of a shape loses the same columns). 0, or -1 (errno
 * EINVAL: a key column is excluded; ENOMEM). */
int record_drop_excluded(record *r);

/* Finds a column by name, or -1. */
int record_column_index(const record *r, const char *name);

/* ---- encoding ---- */
/* Appends one encoded record (JSON: one line with its '\n'). 0 or -1. */
int record_encode(const record *r, record_format f, buf *out);
/* An encoder that remembers the encoded column list of the last table it
 * saw, so a run of records of one table does not encode the same names
 * and types again; the output is exactly record_encode's. record_writer
 * uses one. */
typedef struct record_encoder record_encoder;
record_encoder *record_encoder_new(void);
int record_encoder_encode(record_encoder *e, const record *r, record_format f, buf *out);
void record_encoder_free(record_encoder *e);
/* The Kafka message key: the key columns' values (after image, or before
 * for a delete), as a JSON object / msgpack map in key order. */
int record_encode_key(const record *r, record_format f, buf *out);

/* ---- decoding ---- */
/* Decodes one record from memory, auto-detecting the encoding (JSON starts
 * with '{' after optional whitespace; msgpack with a map header). Returns 0,
 * or -1 with a message (without position prefix) in err. */
int record_decode(record *r, const void *data, size_t len, char *err, size_t errlen);
int record_decode_json(record *r, const void *data, size_t len, char *err, size_t errlen);
int record_decode_msgpack(record *r, const void *data, size_t len, char *err, size_t errlen);

/* A buffered reader of a stream of records (stdin). The first byte picks
 * the encoding for the whole stream. */
typedef struct record_reader record_reader;
record_reader *record_reader_new(int fd);
void record_reader_free(record_reader *rd);
/* 1: a record in *r; 0: end of input; -1: bad input, err holds
 * "line N: what is wrong" (JSON) or "record N at byte offset M: …" (msgpack);
 * -2: read error (errno); errno EINTR means a signal interrupted the wait and
 * the call may be repeated. After -1 the reader must not be used again. */
int record_reader_next(record_reader *rd, record *r, char *err, size_t errlen);
/* As record_reader_next, but without waiting: -3 when no whole record is
 * buffered and no input is there to read now. A caller that would act
 * before waiting (apply or ship a batch) calls this first: asking
 * record_reader_wait(rd, 0) and then record_reader_next would measure a
 * msgpack record before decoding it, reading it twice. */
int record_reader_next_nowait(record_reader *rd, record *r, char *err, size_t errlen);
/* Waits up to timeout_ms for input (0 = do not wait). 1 when a record may be
 * read without waiting long (buffered data or a readable fd), 0 on timeout. */
int record_reader_wait(record_reader *rd, int timeout_ms);
record_format record_reader_format(const record_reader *rd);
/* The encoded bytes of the record last returned by record_reader_next
 * (JSON: the line without its '\n'); valid until the next call. Lets kpub
 * publish the record as it came without encoding it again. */
void record_reader_raw(const record_reader *rd, const void **data, size_t *len);
/* How many records/lines have been read (the N of the messages above). */
uint64_t record_reader_count(const record_reader *rd);
/* While fd (a pipe, say) is readable, a wait of record_reader_next for
 * input ends at once as a signal would end it (-2, errno EINTR; the call
 * may be repeated): lets another thread stop a reader blocked on its
 * input. -1 (the default) for none. */
void record_reader_set_cancel_fd(record_reader *rd, int fd);

/* A buffered writer of records to a file descriptor (stdout). */
typedef struct record_writer record_writer;
record_writer *record_writer_new(int fd, record_format f);
/* Buffers one record; writes when the buffer is full. 0, or -1 (errno). */
int record_writer_put(record_writer *w, const record *r);
/* Writes everything buffered. 0, or -1 (errno; EPIPE when the reader left). */
int record_writer_flush(record_writer *w);
size_t record_writer_buffered(const record_writer *w);
/* Bytes written to the file descriptor so far. */
uint64_t record_writer_bytes(const record_writer *w);
void record_writer_free(record_writer *w);

/* ---- helpers shared by codecs and programs ---- */
/* "2026-11-25T13:58:45.123456Z" <-> µs since epoch. */
void record_ts_format(int64_t us, char *out, size_t len);
int record_ts_parse(const char *s, int64_t *us);
/* How a type's values are encoded (by format_type name, arrays excluded). */
typedef enum value_class {
	VALUE_CLASS_STRING = 0,
	VALUE_CLASS_INTEGER, /* smallint, integer, bigint */
	VALUE_CLASS_BOOLEAN,
	VALUE_CLASS_BYTEA,
} value_class;
value_class record_type_class(const char *type);
/* Parses a command-line/format name: "json" or "msgpack". -1 if neither. */
int record_format_parse(const char *s, record_format *f);

#endif
