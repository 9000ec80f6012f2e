/* dbz_value.h — one column's type and value between the record's forms
 * (a PostgreSQL type as format_type() prints it, the value text of
 * record.h) and the Debezium PostgreSQL connector's (a Kafka Connect
 * schema with its logical type, and that schema's JSON value as Kafka
 * Connect's JsonConverter writes it). man/dbrepl-debezium.5 lists every
 * mapping; the modes are Debezium's defaults (decimal.handling.mode
 * precise, time.precision.mode adaptive, binary.handling.mode bytes),
 * except interval.handling.mode string, the one mode that keeps an
 * interval exact.
 *
 * Both directions are exact or refuse: a value that has no exact form on
 * the other side (a numeric NaN as Decimal bytes, a time finer than a
 * microsecond, a Decimal without its scale …) fails with a message that
 * names what is wrong, never a rounded or replaced value. */
#ifndef DBREPL_DBZ_VALUE_H
#define DBREPL_DBZ_VALUE_H

#include "buf.h"
#include "jtree.h"

#include <stdbool.h>
#include <stddef.h>

/* The schema parameter by which dbrepl carries a column's PostgreSQL type
 * (format_type) in the schemas it writes, so that a reader gets the exact
 * type back (Kafka Connect passes parameters through). */
#define DBZ_TYPE_PARAM "__dbrepl.type"
/* Debezium's default unavailable.value.placeholder (unchanged TOAST). */
#define DBZ_PLACEHOLDER "__debezium_unavailable_value"

typedef enum dbz_kind {
	DBZ_INT16,
	DBZ_INT32,
	DBZ_INT64,
	DBZ_OID,          /* int64 holding an oid: 0 to 4294967295 */
	DBZ_FLOAT32,
	DBZ_FLOAT64,
	DBZ_BOOLEAN,
	DBZ_STRING,       /* the text as it is; name: a logical type or NULL */
	DBZ_BYTES,        /* bytea */
	DBZ_DECIMAL,      /* org.apache.kafka.connect.data.Decimal, fixed scale */
	DBZ_VSDECIMAL,    /* io.debezium.data.VariableScaleDecimal */
	DBZ_MONEY,        /* money's text as a Decimal of scale 2 */
	DBZ_JSON_TEXT,    /* read only: a schemaless event's number or string, as
			   * its JSON text (digits, characters); type unknown */
	DBZ_DATE,         /* days since 1970-01-01 */
	DBZ_TIME_MS,      /* io.debezium.time.Time, Kafka Connect Time */
	DBZ_TIME_US,      /* io.debezium.time.MicroTime */
	DBZ_TIME_NS,      /* io.debezium.time.NanoTime */
	DBZ_TS_MS,        /* io.debezium.time.Timestamp, Kafka Connect Timestamp */
	DBZ_TS_US,        /* io.debezium.time.MicroTimestamp */
	DBZ_TS_NS,        /* io.debezium.time.NanoTimestamp */
	DBZ_ZONED_TS,     /* io.debezium.time.ZonedTimestamp */
	DBZ_ZONED_TIME,   /* io.debezium.time.ZonedTime */
	DBZ_INTERVAL,     /* io.debezium.time.Interval */
	DBZ_UNSUPPORTED,  /* read: refused, naming the schema (why says more) */
} dbz_kind;

typedef struct dbz_type {
	dbz_kind kind;
	bool array;       /* a one-dimensional array of kind's values */
	int scale;        /* DECIMAL: scale; ZONED_TS: fraction digits written (0: none) */
	int precision;    /* DECIMAL: digits (0: not known) */
	const char *name; /* STRING: the logical type written, or NULL */
	char why[96];     /* UNSUPPORTED: the schema's name or type */
} dbz_type;

/* ---- writing (kpub --envelope debezium) ---- */

/* The Debezium type of a column of PostgreSQL type pgtype (format_type).
 * Types Debezium writes otherwise than as text and dbrepl does not (see
 * the man page) are written as STRING holding PostgreSQL's text. */
void dbz_type_from_pg(const char *pgtype, dbz_type *t);
/* Appends t's JsonConverter schema: {"type":…,"optional":…,"name":…,
 * "version":…,"parameters":{…, DBZ_TYPE_PARAM: pgtype}} and, when field
 * is not NULL, "field":field last. pgtype NULL: no type parameter. */
int dbz_schema_put(buf *out, const dbz_type *t, const char *pgtype, bool optional, const char *field);
/* Appends the JSON of the value text[0..len) of a column of type t.
 * checked: the text comes from a record a decoder checked (record.h), so
 * an integer's is a valid 64-bit one already. -1 with a message in err
 * when it has no exact form. */
int dbz_value_put(buf *out, const dbz_type *t, const char *text, size_t len, bool checked, char *err,
		  size_t errlen);

/* ---- reading ---- */

/* The type of a field from its JsonConverter schema node, and into
 * pgtype (cap bytes) the PostgreSQL type the record gives the column:
 * DBZ_TYPE_PARAM when present, else Debezium's __debezium.source.column.*
 * parameters when they name a type this knows, else what the schema's
 * type and logical name imply. -1 with err on a schema that is not one. */
int dbz_type_from_schema(const jt_node *schema, dbz_type *t, char *pgtype, size_t cap, char *err, size_t errlen);
/* What a schemaless event says of a column's type: nothing (only nulls so
 * far), that it is an array (empty or of nulls only so far), or its type. */
enum { DBZ_JSON_NOTHING = 0, DBZ_JSON_ARRAY_OF_NOTHING = 1, DBZ_JSON_KNOWN = 2 };
/* The type of a column of a schemaless event refined by one of its
 * values v (an image's, or the key's), from the JSON alone: true/false
 * boolean, {"scale","value"} a VariableScaleDecimal (numeric), any other
 * number or string DBZ_JSON_TEXT (unknown), an array of one of these an
 * array (unknown); *known (DBZ_JSON_*) says how much of t and pgtype is
 * set, and is raised. 0; -1 with err when no type can be read from v or
 * it contradicts what the other values said (an array and a scalar,
 * booleans and numbers). */
int dbz_type_refine_json(const jt_node *v, dbz_type *t, char *pgtype, size_t cap, int *known, char *err,
			 size_t errlen);

enum { DBZ_GOT_VALUE = 0, DBZ_GOT_PLACEHOLDER = 1 };
/* Appends to out (reset first, NUL-terminated) the record's value text of
 * the JSON value v of type t. DBZ_GOT_VALUE; DBZ_GOT_PLACEHOLDER when v is
 * Debezium's unavailable-value placeholder in t's form (out then holds
 * nothing); -1 with err (without the column's name) when v is not a
 * value of t or has no exact value text. v must not be JSON null. */
int dbz_value_get(const dbz_type *t, const jt_node *v, buf *out, char *err, size_t errlen);

/* Whether the JSON json[0..jlen), which dbz_value_put wrote for the value
 * text[0..tlen) of type t, is what dbz_value_get takes for the placeholder
 * (or refuses as one inside an array): a value a reader would take for an
 * unchanged TOAST value, and keep the target's, or write NULL. */
bool dbz_value_is_placeholder(const dbz_type *t, const char *text, size_t tlen, const char *json, size_t jlen);

/* ---- pieces the envelope shares ---- */

/* Appends the base64 (RFC 4648, padded) of b[0..n). */
int dbz_base64_put(buf *out, const unsigned char *b, size_t n);

#endif
