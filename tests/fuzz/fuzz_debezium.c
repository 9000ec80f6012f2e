/* libFuzzer target: the Debezium dialect, a round trip. A record is
 * written as a Debezium event (dbz_encode: plain and with JsonConverter's
 * schema, every part of a key change, a fresh and a warm encoder) and read
 * back (record_decode_debezium with the message key, and record_decode on
 * the value alone); what comes back must be the record, value for value.
 *
 * FINDINGS of its first runs (each a seed tests/fuzz/corpus/dbz_repro_*.json,
 * a JSON record; "schema"/"plain" = with or without JsonConverter's schema).
 * FIXED since (tests/unit/test_record_debezium.c, test_fuzz_findings and
 * test_fuzz_timestamps): 1 (such a value is refused by name when written;
 * the schemaless decoder's refusals of it fixed under 4), 2 (the oid's
 * text; test_oid: its type comes back oid), 3 and 6 (refused), 5, 8, 9
 * (the overflow; test_interval_range: such an interval, having no
 * PostgreSQL value, is refused when written too), 10; test_negative_scale:
 * 11 (a Decimal of the negative scale); test_ts_ns_range: 7 (ts_ns null);
 * test_plain_reading: 4 (read as documented; what no column holds is
 * refused by name). None is open: an 11-minute run printed none; a
 * 12-minute run later found 12, fixed by test_float_range.
 *
 *  1. A value equal to Debezium's unavailable-value placeholder is taken
 *     for an unchanged TOAST value (ids decode:value-lost[*]:*:as-placeholder,
 *     decode:refused[*], repro placeholder_text, placeholder_array): the
 *     encoder writes text "__debezium_unavailable_value" (text, varchar,
 *     json, xml, hstore ...), bytea of those 28 bytes, a one-element array
 *     {__debezium_unavailable_value} or {b68a35a7-17ad-35b3-af2a-ae46edb4545a}
 *     (any string-kind array), an int2/4/8 array of the 28 character codes,
 *     as they are; the decoder reads them as the placeholder: in an insert
 *     or read the column comes back ABSENT (mssql-apply writes NULL), in an
 *     update's after UNCHANGED (the target keeps its old value). Without a
 *     schema a column whose only value is the placeholder string makes the
 *     decoder refuse the whole event, "expected an integer of 16 bits" (the
 *     untyped column's zeroed dbz_type is DBZ_INT16) -- which also refuses
 *     Debezium's own schemaless update with an unchanged TOAST value and
 *     before null. An array holding the placeholder among other elements
 *     ({__debezium_unavailable_value,x}, bytea[]) is refused by the decoder,
 *     "a placeholder inside an array", in both forms.
 *     Want: refused by name when writing (man/dbrepl-debezium.5: "Values are
 *     converted exactly, both ways. A value that has no exact form on the
 *     other side is refused by name"; Debezium, "Toasted values": "the
 *     connector returns a placeholder value as defined by ...
 *     unavailable.value.placeholder" for a value it cannot provide), and
 *     the untyped placeholder read as such.
 *  2. oid values of a checked record are written unchecked (repro
 *     oid_injection; ids json:malformed, event:extra-member,
 *     decode:columns[plain], decode:refused[schema]): scalar_put's
 *     `checked` shortcut trusts a short integer text, but records class oid
 *     as a string, so no decoder checked it. Record oid "1,\"x\":2" gives
 *     "after":{"id":1,"o":1,"x":2}: a column x injected, o changed; "abc"
 *     gives invalid JSON. Want: refused ("an integer outside its type").
 *     Also oid comes back of type bigint with the schema (__dbrepl.type is
 *     ignored: its value class differs), id decode:type-changed[schema]:oid.
 *     Fixed: oid (and Debezium's OID) on an int64 is oid, 0 to 4294967295.
 *  3. A finite timestamp at the +infinity sentinel comes back "infinity"
 *     (repro ts_infinity_sentinel; decode:value-differs[schema]:timestamp):
 *     timestamp "294247-01-10T04:00:25.200000" (PostgreSQL's range ends at
 *     294276 AD) is written 9223372036825200000, which Debezium's
 *     documentation gives +infinity ("converted to timestamps with value
 *     9223372036825200000 in case of positive infinity"); timestamp(0-3):
 *     any value in that millisecond (9223372036825200). Want: refused.
 *  4. Schemaless events the encoder writes and the decoder refuses (ids
 *     decode:refused[plain]:*; repro plain_numeric_array, plain_nan_update):
 *     numeric[] ([{"scale":1,"value":"Dw=="}]: "an array of arrays or
 *     objects"); real[]/double[] mixing NaN or +-Infinity with numbers
 *     ([1.5,"NaN"]: "an array of values of different kinds"); a column with
 *     a number in one image and "NaN"/"Infinity" in the other (update of a
 *     double from 1.5 to NaN with before: "expected a string"); an array
 *     column empty or all NULL in one image ([] is typed a string array)
 *     and numbers or booleans in the other. man/dbrepl-debezium.5 READING:
 *     without a schema a column is "unknown", "its value the JSON text as it
 *     stands (a number's digits, a string's characters, an array as
 *     PostgreSQL's array text)". Fixed: numbers and strings are one kind
 *     (the JSON text), arrays of VariableScaleDecimal are read, and the
 *     images (and the key) type a column together; also a column whose
 *     only value is the placeholder (no longer "an integer of 16 bits").
 *  5. Schemaless update, before holding a column (REPLICA IDENTITY FULL),
 *     after leaving it out as an unchanged TOAST value (repro
 *     plain_unchanged_toast; decode:unchanged-became-absent[plain]): the
 *     column comes back ABSENT in after, not UNCHANGED, which mssql-apply
 *     stages as NULL (mssql_batch.c, mssql_change_cells): the value is
 *     replaced by NULL. The man page says kpub leaves such a value out of
 *     after and "dbrepl's readers take a column that a schema has and an
 *     update's after leaves out as unchanged"; without a schema nothing
 *     does, silently.
 *  6. timestamptz(p), p < 6, with more fraction digits than p is cut to p
 *     digits (repro tstz3_micros; decode:value-differs[*]:timestamptz):
 *     "2026-01-01T00:00:00.123456Z" in timestamp(3) with time zone is
 *     written "2026-01-01T00:00:00.123Z" and read back ".123000"; time(0-3)
 *     and timestamp(0-3) refuse the same case. Not a text PostgreSQL prints
 *     for the type (it rounds to p), so only another producer's records.
 *  7. source.ts_ns beyond int64 (repro ts_ns_int64;
 *     json:integer-beyond-int64): ts_ns is the commit µs text and "000", so
 *     a commit time before 1677-09-21T00:12:43.145225Z or after
 *     2262-04-11T23:47:16.854775Z (records allow 0000-9999) gives e.g.
 *     "ts_ns":-62167219200000000000 in a field its schema says is int64.
 *     Fixed: such a ts_ns is null (the Source schema's ts_ns is an optional
 *     int64; ts_us and ts_ms keep the time exactly).
 *  8. UB, record_debezium.c:391 (table_for): memcpy(nt->keys, r->keys, 0)
 *     with r->keys NULL, for a record without columns (UBSan "null pointer
 *     passed as argument 2"; tests/fuzz/corpus/truncate.json, a truncate
 *     with "cols":[],"key":[]). UBSan here goes on after it (no
 *     -fno-sanitize-recover in fuzz-run).
 *  9. UB, dbz_value.c:893 (interval_get): `v.mi * 60` overflows for an
 *     Interval of 153722867280912931 minutes or more; reached by the decoder
 *     on any event's Interval "P0Y0M0DT0H900000000000000000M0S", and here by
 *     a record interval "PT900000000000000000M" (repro interval_minutes),
 *     whose event the decoder then refuses.
 * 10. real/double -0 is written as the JSON integer -0 (repro neg_zero;
 *     event:negative-zero-as-json-integer:*): readers that keep integers
 *     apart (Jackson in JsonConverter, jansson) read 0; dbrepl's own decoder
 *     keeps "-0". JsonConverter writes FLOAT32/FLOAT64 -0 as -0.0.
 * 11. numeric(p,s) with a negative scale (PostgreSQL 15) is written as a
 *     plain string (repro numeric_neg_scale; schema:numeric(p,-s)); the
 *     documentation maps NUMERIC[(M[,D])] to a Decimal of scale D. Values
 *     survive; only the form differs. Fixed: a Decimal of scale s (Kafka
 *     Connect's Decimal takes any int scale), unscaled = value / 10^-s.
 *
 * Also fixed (test_money_text): money text with misplaced thousands
 * separators ("$92,23327,0.00", no text PostgreSQL prints) was written as
 * its value; refused now, as lc_monetary C's text only (the reference took
 * a leading zero, "$012.00", for PostgreSQL's text: it is not, now).
 *
 * 12. A real or double beyond its type's range ("-1e9308" in a double[];
 *     json:malformed) was written as a JSON number that jansson refuses and
 *     Jackson reads as Infinity (1e-9999: as 0). Fixed: refused when written.
 *
 * Read as documented, not findings: timetz keeps its offset (the man page's
 * "Differences from the connector"); io.debezium.time.Timestamp infinity is
 * 9223372036825200 ms (the connector's infinity instant in ms; its
 * documentation quotes the µs); date +-infinity, numeric NaN, values beyond
 * int64 µs and sub-millisecond time(0-3)/timestamp(0-3) are refused.
 *
 * The record comes from the input in one of two ways:
 *   - input starting with '{' (or whitespace): record_decode_json;
 *     with a msgpack map header: record_decode_msgpack (the corpus's
 *     records and Debezium events);
 *   - anything else: a record built from the bytes, with PostgreSQL column
 *     types and values as pgcdc-read makes them (PostgreSQL's text output
 *     with its session settings, normalised by lib/pgvalue.c): integers at
 *     their limits, numeric with and without typmod and many digits (and
 *     powers of two, the edges of two's complement), real and double
 *     (-0, subnormals, 1e308, NaN, infinities), boolean, text with any
 *     Unicode, bytea, date/time/timetz/timestamp/timestamptz with
 *     fractions, BC and infinity, interval, uuid, json, arrays, money,
 *     masked and excluded columns, unchanged TOAST values, key changes.
 *     It is encoded and decoded as a record first, so that it is checked
 *     as every record a program reads is (record.h "checked").
 *
 * Checks, against an independent reference written here from Debezium's
 * documentation (connectors/postgresql.adoc, "Data type mappings") and
 * man/dbrepl-debezium.5 where dbrepl documents its own choice:
 *   - the event and the key are JSON (jansson, duplicate keys refused); the
 *     envelope has its fields, with the schema in schema order; the key is
 *     null exactly for a truncate and a table without key columns;
 *   - with the schema, each column's field has the Connect type and
 *     logical name of its PostgreSQL type (Decimal with its scale);
 *   - each value in the event is the documented form of the record's value
 *     (days, ms/µs since midnight or 1970, Decimal bytes = big-endian
 *     two's complement of the unscaled value, VariableScaleDecimal,
 *     base64, ISO strings in UTC, the Interval pattern ...), computed here
 *     with OpenSSL's BIGNUM and a calendar of its own;
 *   - the decoder takes every event the encoder wrote, and gives back the
 *     op, table, columns, types (schema), key and every value: the same
 *     value (compared as values of the type: a numeric(10,2) "1.5" comes
 *     back "1.50"), NULL as NULL, an unchanged TOAST value as unchanged;
 *     without a schema, as man/dbrepl-debezium.5 says a schemaless event
 *     is read (the JSON text of the value);
 *   - a value with no exact form (numeric NaN, sub-millisecond time(3) ...)
 *     is refused by name, and a value that has one is not refused.
 *
 * A finding is printed once per kind (its id, the record, the event) and
 * the run goes on; FUZZ_DBZ_STRICT=1 aborts at the first finding, and
 * FUZZ_DBZ_STRICT=ID aborts only at findings whose id starts with ID (for
 * -minimize_crash). Crashes, leaks and UB abort as always. */
#include "dbz_value.h"
#include "pgvalue.h"
#include "record.h"
#include "record_debezium.h"
#include "record_priv.h"

#include <jansson.h>
#include <math.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_NS cur_now
static int64_t cur_now = INT64_C(1700000000123456789);
#define US_PER_DAY INT64_C(86400000000)
#define TS_POS_INF_US INT64_C(9223372036825200000)
#define TS_NEG_INF_US INT64_C(-9223372036832400000)
#define PLACEHOLDER "__debezium_unavailable_value"

/* ---- findings ---- */

static const record *cur_rec;
static const buf *cur_key, *cur_val;
static const char *cur_what;

static void show_record(const record *r)
{
	buf b;
	buf_init(&b, 0);
	if (r && record_encode(r, RECORD_FORMAT_JSON, &b) == 0)
		fprintf(stderr, "  record: %.*s", (int)(b.len > 4000 ? 4000 : b.len), b.data);
	else
		fprintf(stderr, "  record: (none)\n");
	buf_free(&b);
}

#define MAX_KINDS 512
static char *seen_ids[MAX_KINDS];
static unsigned long seen_count[MAX_KINDS];
static size_t nseen;

static void finding(const char *id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void finding(const char *id, const char *fmt, ...)
{
	const char *strict = getenv("FUZZ_DBZ_STRICT");
	bool abort_now = strict && (!strcmp(strict, "1") || !strncmp(id, strict, strlen(strict)));
	size_t i;
	for (i = 0; i < nseen; i++)
		if (!strcmp(seen_ids[i], id))
			break;
	if (i < nseen) {
		seen_count[i]++;
		if (!abort_now)
			return;
	} else if (nseen < MAX_KINDS) {
		seen_ids[nseen] = strdup(id);
		seen_count[nseen++] = 1;
	}
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "\nFUZZ_DBZ FINDING [%s] (%s): ", id, cur_what ? cur_what : "");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	show_record(cur_rec);
	if (cur_key && cur_key->len)
		fprintf(stderr, "  key:   %.*s\n", (int)(cur_key->len > 2000 ? 2000 : cur_key->len), cur_key->data);
	if (cur_val) {
		/* with the schema, its payload (the schema is in the type checks) */
		const char *p = cur_val->data;
		size_t n = cur_val->len;
		const char *pl = n > 12 ? memmem(p, n, ",\"payload\":", 11) : NULL;
		if (pl && !strncmp(p, "{\"schema\":", 10)) {
			fprintf(stderr, "  event: {\"schema\":{...}");
			n -= (size_t)(pl - p);
			p = pl;
		} else {
			fprintf(stderr, "  event: ");
		}
		fprintf(stderr, "%.*s\n", (int)(n > 6000 ? 6000 : n), p);
	}
	if (abort_now)
		abort();
}

/* ---- PostgreSQL types, as the reference sees them ---- */

typedef enum kind {
	K_INT2, K_INT4, K_INT8, K_OID, K_FLOAT4, K_FLOAT8, K_BOOL, K_NUMERIC, K_MONEY, K_DATE, K_TIME, K_TIMETZ,
	K_TS, K_TSTZ, K_INTERVAL, K_BYTEA, K_STR,
} kind;

typedef struct ptype {
	kind k;
	bool array;       /* a JSON array of k's values */
	int prec;         /* time, timestamp: fractional digits, -1 none given */
	bool tm;          /* numeric: has (p,s) */
	int p, s;         /* numeric typmod */
	const char *name; /* K_STR: the logical name, or NULL */
	bool known;       /* a type of the documented table (arrays of it are arrays) */
	bool neg_scale;   /* numeric(p,s) with s < 0 (PostgreSQL 15): a multiple of 10^-s */
} ptype;

static bool starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static int paren_prec(const char *t, const char *name)
{
	size_t n = strlen(name);
	if (!strncmp(t, name, n) && t[n] == '(')
		return atoi(t + n + 1);
	return -1;
}

static void classify_base(const char *t, ptype *pt)
{
	memset(pt, 0, sizeof *pt);
	pt->k = K_STR;
	pt->prec = -1;
	pt->known = true;
	static const char *const strs[] = {
		"text", "character varying", "character", "\"char\"", "name", "citext", "inet", "cidr", "macaddr",
		"macaddr8", "int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange",
	};
	if (!strcmp(t, "smallint")) pt->k = K_INT2;
	else if (!strcmp(t, "integer")) pt->k = K_INT4;
	else if (!strcmp(t, "bigint")) pt->k = K_INT8;
	else if (!strcmp(t, "oid")) pt->k = K_OID;
	else if (!strcmp(t, "real")) pt->k = K_FLOAT4;
	else if (!strcmp(t, "double precision")) pt->k = K_FLOAT8;
	else if (!strcmp(t, "boolean")) pt->k = K_BOOL;
	else if (!strcmp(t, "numeric")) pt->k = K_NUMERIC;
	else if (starts(t, "numeric(")) {
		int p, s;
		/* as leniently as dbz_value.c reads it (format_type writes
		 * "numeric(p,s)"; other texts are no PostgreSQL type names) */
		if (sscanf(t, "numeric(%d,%d", &p, &s) == 2) {
			pt->k = K_NUMERIC;
			pt->tm = true;
			pt->p = p;
			pt->s = s;
			/* PostgreSQL 15 allows a negative scale. The documentation
			 * has NUMERIC[(M[,D])] a Decimal of scale D all the same,
			 * and Kafka Connect's Decimal takes any int scale (value =
			 * unscaled * 10^-scale) */
			pt->neg_scale = s < 0;
		} else {
			pt->known = false;
		}
	} else if (!strcmp(t, "money")) pt->k = K_MONEY;
	else if (!strcmp(t, "date")) pt->k = K_DATE;
	else if (starts(t, "timestamp") && strstr(t, "without time zone")) {
		pt->k = K_TS;
		pt->prec = paren_prec(t, "timestamp");
	} else if (starts(t, "timestamp") && strstr(t, "with time zone")) {
		pt->k = K_TSTZ;
		pt->prec = paren_prec(t, "timestamp");
	} else if (starts(t, "time") && strstr(t, "without time zone")) {
		pt->k = K_TIME;
		pt->prec = paren_prec(t, "time");
	} else if (starts(t, "time") && strstr(t, "with time zone")) {
		pt->k = K_TIMETZ;
		pt->prec = paren_prec(t, "time");
	} else if (starts(t, "interval")) pt->k = K_INTERVAL;
	else if (!strcmp(t, "bytea")) pt->k = K_BYTEA;
	else if (!strcmp(t, "uuid")) pt->name = "io.debezium.data.Uuid";
	else if (!strcmp(t, "json") || !strcmp(t, "jsonb")) pt->name = "io.debezium.data.Json";
	else if (!strcmp(t, "xml")) pt->name = "io.debezium.data.Xml";
	else if (!strcmp(t, "ltree")) pt->name = "io.debezium.data.Ltree";
	else if (!strcmp(t, "tsvector")) pt->name = "io.debezium.data.Tsvector";
	else {
		bool k = false;
		for (size_t i = 0; i < sizeof strs / sizeof strs[0] && !k; i++)
			k = !strcmp(t, strs[i]) || (starts(t, strs[i]) && t[strlen(strs[i])] == '(');
		pt->known = k;
	}
}

/* The reference's view of PostgreSQL type t (format_type). Arrays of the
 * documented scalar types but money, interval and the times are arrays
 * (man/dbrepl-debezium.5); other arrays, and unknown types, a string. */
static void classify(const char *t, ptype *pt)
{
	size_t n = strlen(t);
	if (n > 2 && !strcmp(t + n - 2, "[]")) {
		char base[RECORD_NAME_MAX + 1];
		snprintf(base, sizeof base, "%.*s", (int)(n - 2), t);
		classify_base(base, pt);
		kind k = pt->k;
		if (pt->known && k != K_MONEY && k != K_TIME && k != K_TIMETZ && k != K_TS && k != K_TSTZ &&
		    k != K_INTERVAL) {
			pt->array = true;
			return;
		}
		memset(pt, 0, sizeof *pt);
		pt->k = K_STR;
		pt->prec = -1;
		return;
	}
	classify_base(t, pt);
}

static const char *kind_name(const ptype *pt)
{
	static const char *const names[] = {
		"smallint", "integer", "bigint", "oid", "real", "double", "boolean", "numeric", "money", "date",
		"time", "timetz", "timestamp", "timestamptz", "interval", "bytea", "string",
	};
	static char tmp[64];
	const char *b = names[pt->k];
	if (pt->k == K_NUMERIC && pt->tm)
		b = "numeric(p,s)";
	if (pt->neg_scale)
		b = "numeric(p,-s)";
	if ((pt->k == K_TIME || pt->k == K_TS) && pt->prec >= 0 && pt->prec <= 3)
		b = pt->k == K_TIME ? "time(0-3)" : "timestamp(0-3)";
	snprintf(tmp, sizeof tmp, "%s%s", b, pt->array ? "[]" : "");
	return tmp;
}

/* ---- small parsers of the record's value texts ---- */

static bool isdig(char c)
{
	return c >= '0' && c <= '9';
}

/* An unsigned decimal at s[*i] of at least min and at most max digits. */
static bool num_at(const char *s, size_t n, size_t *i, int min, int max, int64_t *v)
{
	size_t a = *i;
	int64_t x = 0;
	while (*i < n && isdig(s[*i]) && (int)(*i - a) < max) {
		x = x * 10 + (s[*i] - '0');
		(*i)++;
	}
	if ((int)(*i - a) < min || (*i < n && isdig(s[*i])))
		return false;
	*v = x;
	return true;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of proleptic Gregorian astronomical year y. */
static int64_t ref_days(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD" (4+ digits) at s[*i]: astronomical year, month, day. */
static bool parse_ymd(const char *s, size_t n, size_t *i, int64_t *y, int64_t *m, int64_t *d)
{
	if (!num_at(s, n, i, 4, 9, y) || *i >= n || s[(*i)++] != '-' || !num_at(s, n, i, 2, 2, m) || *i >= n ||
	    s[(*i)++] != '-' || !num_at(s, n, i, 2, 2, d))
		return false;
	return *m >= 1 && *m <= 12 && *d >= 1 && *d <= 31;
}

static bool valid_day(int64_t y, int64_t m, int64_t d)
{
	static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return d <= md[m - 1] + (m == 2 && is_leap(y));
}

/* "HH:MM:SS[.f…]" at s[*i]: µs since midnight (24:00:00 allowed; digits
 * past the µs only when zeros). */
static bool parse_hms(const char *s, size_t n, size_t *i, int64_t *us)
{
	int64_t h, mi, sec, frac = 0;
	if (!num_at(s, n, i, 2, 2, &h) || *i >= n || s[(*i)++] != ':' || !num_at(s, n, i, 2, 2, &mi) || *i >= n ||
	    s[(*i)++] != ':' || !num_at(s, n, i, 2, 2, &sec))
		return false;
	if (h > 24 || mi > 59 || sec > 59)
		return false;
	if (*i < n && s[*i] == '.') {
		size_t a = ++*i;
		while (*i < n && isdig(s[*i])) {
			if (*i - a < 6)
				frac = frac * 10 + (s[*i] - '0');
			else if (s[*i] != '0')
				return false;
			(*i)++;
		}
		if (*i == a)
			return false;
		for (size_t k = *i - a; k < 6; k++)
			frac *= 10;
	}
	*us = ((h * 60 + mi) * 60 + sec) * 1000000 + frac;
	return *us <= US_PER_DAY;
}

/* "+HH[:MM[:SS]]": seconds east. PostgreSQL's limit: 15:59:59. */
static bool parse_off(const char *s, size_t n, size_t *i, int64_t *off)
{
	if (*i >= n || (s[*i] != '+' && s[*i] != '-'))
		return false;
	int sign = s[(*i)++] == '-' ? -1 : 1;
	int64_t h, m = 0, sec = 0;
	if (!num_at(s, n, i, 2, 2, &h))
		return false;
	if (*i < n && s[*i] == ':') {
		(*i)++;
		if (!num_at(s, n, i, 2, 2, &m) || m > 59)
			return false;
		if (*i < n && s[*i] == ':') {
			(*i)++;
			if (!num_at(s, n, i, 2, 2, &sec) || sec > 59)
				return false;
		}
	}
	if (h > 15)
		return false;
	*off = sign * (h * 3600 + m * 60 + sec);
	return true;
}

/* A date text "YYYY-MM-DD[ BC]": days since 1970. */
static bool date_val(const char *s, size_t n, int64_t *days)
{
	size_t i = 0;
	int64_t y, m, d;
	if (!parse_ymd(s, n, &i, &y, &m, &d) || y == 0)
		return false;
	if (i + 3 == n && !memcmp(s + i, " BC", 3)) {
		y = 1 - y;
		i += 3;
	}
	if (i != n || !valid_day(y, m, d))
		return false;
	*days = ref_days(y, m, d);
	return true;
}

/* A timestamp text "YYYY-MM-DDTHH:MM:SS.ffffff[Z][ BC]": 1 with µs, 2 for
 * infinity, 3 for -infinity, 0 when none (or beyond int64 µs: -1). */
static int ts_val(const char *s, size_t n, bool tz, __int128 *us)
{
	if (n == 8 && !memcmp(s, "infinity", 8))
		return 2;
	if (n == 9 && !memcmp(s, "-infinity", 9))
		return 3;
	size_t i = 0;
	int64_t y, m, d, t;
	if (!parse_ymd(s, n, &i, &y, &m, &d) || y == 0 || i >= n || s[i++] != 'T' || !parse_hms(s, n, &i, &t) ||
	    t == US_PER_DAY)
		return 0;
	if (tz && (i >= n || s[i++] != 'Z'))
		return 0;
	if (i + 3 == n && !memcmp(s + i, " BC", 3)) {
		y = 1 - y;
		i += 3;
	}
	if (i != n || !valid_day(y, m, d))
		return 0;
	*us = (__int128)ref_days(y, m, d) * US_PER_DAY + t;
	return 1;
}

/* PostgreSQL's iso_8601 interval text: months, days, µs. */
static bool interval_val(const char *s, size_t n, int64_t *months, int64_t *days, int64_t *us)
{
	size_t i = 0;
	if (n == 0 || s[i++] != 'P')
		return false;
	__int128 mo = 0, dd = 0, t = 0;
	bool time = false, any = false;
	int last = -1; /* the order of the parts: Y M D T H M S */
	while (i < n) {
		if (s[i] == 'T') {
			if (time)
				return false;
			time = true;
			i++;
			continue;
		}
		bool neg = s[i] == '-';
		if (neg)
			i++;
		int64_t x;
		if (!num_at(s, n, &i, 1, 18, &x))
			return false;
		int64_t frac = 0;
		bool hasfrac = false;
		if (i < n && s[i] == '.') {
			size_t a = ++i;
			while (i < n && isdig(s[i])) {
				if (i - a < 6)
					frac = frac * 10 + (s[i] - '0');
				else if (s[i] != '0')
					return false;
				i++;
			}
			if (i == a)
				return false;
			for (size_t k = i - a; k < 6; k++)
				frac *= 10;
			hasfrac = true;
		}
		if (i >= n)
			return false;
		char u = s[i++];
		int pos = !time ? (u == 'Y' ? 0 : u == 'M' ? 1 : u == 'D' ? 2 : -1)
				: (u == 'H' ? 3 : u == 'M' ? 4 : u == 'S' ? 5 : -1);
		if (pos < 0 || pos <= last || (hasfrac && pos != 5))
			return false;
		last = pos;
		__int128 v = neg ? -(__int128)x : x, f = neg ? -frac : frac;
		switch (pos) {
		case 0: mo += v * 12; break;
		case 1: mo += v; break;
		case 2: dd += v; break;
		case 3: t += v * 3600000000LL; break;
		case 4: t += v * 60000000LL; break;
		case 5: t += v * 1000000 + f; break;
		}
		any = true;
	}
	if (!any || (time && last < 3))
		return false;
	if (mo < INT32_MIN || mo > INT32_MAX || dd < INT32_MIN || dd > INT32_MAX || t < INT64_MIN || t > INT64_MAX)
		return false;
	*months = (int64_t)mo;
	*days = (int64_t)dd;
	*us = (int64_t)t;
	return true;
}

/* A numeric text "-?D+(.D+)?": sign, integer and fraction digits. */
static bool dec_split(const char *s, size_t n, bool *neg, const char **ip, size_t *il, const char **fp, size_t *fl)
{
	size_t i = 0;
	*neg = n && s[0] == '-';
	i = *neg;
	size_t a = i;
	while (i < n && isdig(s[i]))
		i++;
	if (i == a)
		return false;
	*ip = s + a;
	*il = i - a;
	*fp = s + i;
	*fl = 0;
	if (i < n && s[i] == '.') {
		size_t b = ++i;
		while (i < n && isdig(s[i]))
			i++;
		if (i == b)
			return false;
		*fp = s + b;
		*fl = i - b;
	}
	return i == n;
}

/* A JSON number as JSON has it. */
static bool json_number_text(const char *s, size_t n)
{
	size_t i = n && s[0] == '-';
	if (i >= n)
		return false;
	if (s[i] == '0')
		i++;
	else if (isdig(s[i]))
		while (i < n && isdig(s[i]))
			i++;
	else
		return false;
	if (i < n && s[i] == '.') {
		size_t a = ++i;
		while (i < n && isdig(s[i]))
			i++;
		if (i == a)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t a = i;
		while (i < n && isdig(s[i]))
			i++;
		if (i == a)
			return false;
	}
	return i == n;
}

static bool int_val(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *v)
{
	if (n == 0 || n > 20)
		return false;
	size_t i = s[0] == '-';
	if (i == n || (s[i] == '0' && n - i > 1))
		return false;
	__int128 x = 0;
	for (; i < n; i++) {
		if (!isdig(s[i]))
			return false;
		x = x * 10 + (s[i] - '0');
	}
	if (s[0] == '-')
		x = -x;
	if (x < lo || x > hi)
		return false;
	*v = (int64_t)x;
	return true;
}

/* ---- the reference: Debezium's documented form of a value ---- */

enum { REF_FORM, REF_NOFORM, REF_INVALID };

/* Base64 (OpenSSL's) of the minimal big-endian two's complement of the
 * integer with decimal digits d (Java's BigInteger.toByteArray). */
static char *twos_b64(const char *d, bool neg)
{
	BIGNUM *m = NULL;
	if (!BN_dec2bn(&m, d))
		abort();
	int nb = BN_num_bytes(m), k;
	unsigned char *b;
	if (BN_is_zero(m)) {
		k = 1;
		b = calloc(1, 1);
	} else if (!neg) {
		k = nb + (BN_is_bit_set(m, 8 * nb - 1) ? 1 : 0);
		b = malloc((size_t)k);
		BN_bn2binpad(m, b, k);
	} else {
		BIGNUM *lim = BN_new(), *t = BN_new();
		BN_one(lim);
		BN_lshift(lim, lim, 8 * nb - 1);
		k = nb + (BN_cmp(m, lim) > 0 ? 1 : 0);
		BN_one(t);
		BN_lshift(t, t, 8 * k);
		BN_sub(t, t, m);
		b = malloc((size_t)k);
		BN_bn2binpad(t, b, k);
		BN_free(lim);
		BN_free(t);
	}
	char *out = malloc(((size_t)k + 2) / 3 * 4 + 1);
	EVP_EncodeBlock((unsigned char *)out, b, k);
	free(b);
	BN_free(m);
	return out;
}

static char *b64_of(const unsigned char *b, size_t n)
{
	char *out = malloc((n + 2) / 3 * 4 + 1);
	EVP_EncodeBlock((unsigned char *)out, b, (int)n);
	return out;
}

/* The unscaled digits of numeric text at scale (fraction digits beyond it
 * must be zeros): malloc'd, or NULL. */
static char *unscaled(const char *ip, size_t il, const char *fp, size_t fl, int scale)
{
	if (scale < 0) {
		/* a negative scale: the last -scale integer digits must be zeros */
		for (size_t i = 0; i < fl; i++)
			if (fp[i] != '0')
				return NULL;
		size_t z = (size_t)-scale;
		if (il == 1 && ip[0] == '0')
			return strdup("0");
		if (il <= z)
			return NULL;
		for (size_t i = il - z; i < il; i++)
			if (ip[i] != '0')
				return NULL;
		return strndup(ip, il - z);
	}
	while (fl > (size_t)scale) {
		if (fp[fl - 1] != '0')
			return NULL;
		fl--;
	}
	char *d = malloc(il + (size_t)scale + 1);
	memcpy(d, ip, il);
	memcpy(d + il, fp, fl);
	memset(d + il + fl, '0', (size_t)scale - fl);
	d[il + (size_t)scale] = 0;
	return d;
}

/* ---- PostgreSQL's array literal ---- */

typedef struct elems {
	size_t n, cap;
	char **v; /* NULL: a NULL element */
} elems;

static void elems_free(elems *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
	memset(e, 0, sizeof *e);
}

static void elems_add(elems *e, char *s)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 8;
		e->v = realloc(e->v, e->cap * sizeof *e->v);
	}
	e->v[e->n++] = s;
}

/* A one-dimensional literal without bounds, as array_out writes it. */
static bool array_parse(const char *s, size_t n, elems *e)
{
	memset(e, 0, sizeof *e);
	if (n < 2 || s[0] != '{' || s[n - 1] != '}')
		return false;
	if (n == 2)
		return true;
	size_t i = 1;
	for (;;) {
		if (s[i] == '"') {
			buf b;
			buf_init(&b, 0);
			for (i++; i < n - 1 && s[i] != '"'; i++) {
				if (s[i] == '\\')
					i++;
				buf_putc(&b, s[i]);
			}
			if (i >= n - 1) {
				buf_free(&b);
				elems_free(e);
				return false;
			}
			i++;
			buf_terminate(&b);
			elems_add(e, b.data ? b.data : strdup(""));
		} else {
			size_t a = i;
			while (i < n - 1 && s[i] != ',' && s[i] != '"' && s[i] != '{' && s[i] != '}' && s[i] != '\\')
				i++;
			if (i == a || (i < n - 1 && s[i] != ',')) {
				elems_free(e);
				return false;
			}
			if (i - a == 4 && !strncasecmp(s + a, "NULL", 4))
				elems_add(e, NULL);
			else
				elems_add(e, strndup(s + a, i - a));
		}
		if (i == n - 1)
			return true;
		if (s[i] != ',') {
			elems_free(e);
			return false;
		}
		i++;
	}
}

/* The documented JSON form of the scalar text s of type pt (arrays
 * element by element): REF_FORM with *out, REF_NOFORM (a value the
 * documentation says has no exact form: dbrepl must refuse it), or
 * REF_INVALID (not a value PostgreSQL prints for the type). */
static int ref_scalar(const ptype *pt, const char *s, size_t n, json_t **out)
{
	int64_t v;
	*out = NULL;
	switch (pt->k) {
	case K_INT2:
	case K_INT4:
	case K_INT8:
	case K_OID: {
		int64_t lo = pt->k == K_INT2 ? INT16_MIN : pt->k == K_INT4 ? INT32_MIN : pt->k == K_OID ? 0 : INT64_MIN;
		int64_t hi = pt->k == K_INT2 ? INT16_MAX : pt->k == K_INT4 ? INT32_MAX : pt->k == K_OID ? UINT32_MAX : INT64_MAX;
		if (!int_val(s, n, lo, hi, &v))
			return REF_INVALID;
		*out = json_integer(v);
		return REF_FORM;
	}
	case K_FLOAT4:
	case K_FLOAT8:
		if ((n == 3 && !memcmp(s, "NaN", 3)) || (n == 8 && !memcmp(s, "Infinity", 8)) ||
		    (n == 9 && !memcmp(s, "-Infinity", 9))) {
			*out = json_stringn(s, n);
			return REF_FORM;
		}
		if (!json_number_text(s, n))
			return REF_INVALID;
		{
			char tmp[512];
			if (n >= sizeof tmp)
				return REF_INVALID;
			memcpy(tmp, s, n);
			tmp[n] = 0;
			double d = strtod(tmp, NULL);
			if (isinf(d))
				return REF_INVALID; /* beyond double: no text PostgreSQL prints */
			*out = json_real(d);
		}
		return REF_FORM;
	case K_BOOL:
		if (n == 1 && (s[0] == 't' || s[0] == 'f')) {
			*out = json_boolean(s[0] == 't');
			return REF_FORM;
		}
		return REF_INVALID;
	case K_NUMERIC:
	case K_MONEY: {
		char tmp[128];
		const char *t = s;
		size_t tn = n;
		if (pt->k == K_MONEY) {
			/* "-$1,234.56" */
			size_t i = 0, k = 0;
			if (i < n && s[i] == '-')
				tmp[k++] = s[i++];
			if (i >= n || s[i++] != '$')
				return REF_INVALID;
			size_t groups = 0, lead = 0;
			while (i < n && isdig(s[i]) && k < 100)
				tmp[k++] = s[i++], lead++;
			/* cash_out prints no leading zero but "$0.xx" */
			if (lead == 0 || lead > 3 || (s[i - lead] == '0' && (lead > 1 || (i < n && s[i] == ','))))
				return REF_INVALID;
			while (i < n && s[i] == ',') {
				i++;
				for (int j = 0; j < 3; j++) {
					if (i >= n || !isdig(s[i]) || k >= 100)
						return REF_INVALID;
					tmp[k++] = s[i++];
				}
				groups++;
			}
			if (groups && lead == 0)
				return REF_INVALID;
			if (i + 3 != n || s[i] != '.' || !isdig(s[i + 1]) || !isdig(s[i + 2]))
				return REF_INVALID;
			tmp[k++] = '.';
			tmp[k++] = s[i + 1];
			tmp[k++] = s[i + 2];
			t = tmp;
			tn = k;
		}
		if ((n == 3 && !memcmp(s, "NaN", 3)) || (n == 8 && !memcmp(s, "Infinity", 8)) ||
		    (n == 9 && !memcmp(s, "-Infinity", 9)))
			return REF_NOFORM; /* precise mode: no such Decimal */
		bool neg;
		const char *ip, *fp;
		size_t il, fl;
		if (!dec_split(t, tn, &neg, &ip, &il, &fp, &fl))
			return REF_INVALID;
		if (pt->k == K_NUMERIC && !pt->tm) {
			char *d = unscaled(ip, il, fp, fl, (int)fl);
			char *b = twos_b64(d, neg);
			*out = json_pack("{s:i,s:s}", "scale", (json_int_t)fl, "value", b);
			free(d);
			free(b);
			return REF_FORM;
		}
		int scale = pt->k == K_MONEY ? 2 : pt->s;
		char *d = unscaled(ip, il, fp, fl, scale);
		if (!d)
			return REF_NOFORM; /* more fraction digits than the scale */
		char *b = twos_b64(d, neg);
		*out = json_string(b);
		free(d);
		free(b);
		return REF_FORM;
	}
	case K_DATE:
		if ((n == 8 && !memcmp(s, "infinity", 8)) || (n == 9 && !memcmp(s, "-infinity", 9)))
			return REF_NOFORM;
		if (!date_val(s, n, &v))
			return REF_INVALID;
		if (v < INT32_MIN || v > INT32_MAX)
			return REF_NOFORM;
		*out = json_integer(v);
		return REF_FORM;
	case K_TIME: {
		size_t i = 0;
		if (!parse_hms(s, n, &i, &v) || i != n)
			return REF_INVALID;
		if (pt->prec >= 0 && pt->prec <= 3) {
			if (v % 1000)
				return REF_NOFORM;
			*out = json_integer(v / 1000);
		} else {
			*out = json_integer(v);
		}
		return REF_FORM;
	}
	case K_TS: {
		__int128 us;
		int r = ts_val(s, n, false, &us);
		if (r == 0)
			return REF_INVALID;
		bool ms = pt->prec >= 0 && pt->prec <= 3;
		if (r >= 2) {
			/* the documented µs; io.debezium.time.Timestamp has them in ms
			 * (the connector's value: its infinity instant in ms) */
			int64_t x = r == 2 ? TS_POS_INF_US : TS_NEG_INF_US;
			*out = json_integer(ms ? x / 1000 : x);
			return REF_FORM;
		}
		if (us < INT64_MIN || us > INT64_MAX)
			return REF_NOFORM;
		if (ms) {
			if (us % 1000)
				return REF_NOFORM;
			*out = json_integer((int64_t)(us / 1000));
		} else {
			*out = json_integer((int64_t)us);
		}
		return REF_FORM;
	}
	case K_TSTZ: {
		__int128 us;
		int r = ts_val(s, n, true, &us);
		if (r == 0)
			return REF_INVALID;
		if (r >= 2) {
			*out = json_string(r == 2 ? "infinity" : "-infinity");
			return REF_FORM;
		}
		if (us < INT64_MIN || us > INT64_MAX)
			return REF_NOFORM;
		/* the µs, checked against the event's ISO text by value */
		*out = json_pack("{s:I}", "__tstz_us", (json_int_t)us);
		return REF_FORM;
	}
	case K_TIMETZ: {
		size_t i = 0;
		int64_t off;
		if (!parse_hms(s, n, &i, &v) || !parse_off(s, n, &i, &off) || i != n)
			return REF_INVALID;
		*out = json_pack("{s:I,s:I}", "__timetz_us", (json_int_t)v, "off", (json_int_t)off);
		return REF_FORM;
	}
	case K_INTERVAL: {
		int64_t mo, d, us;
		if ((n == 8 && !memcmp(s, "infinity", 8)) || (n == 9 && !memcmp(s, "-infinity", 9)))
			return REF_NOFORM; /* PostgreSQL 17's; no Interval says it */
		if (!interval_val(s, n, &mo, &d, &us))
			return REF_INVALID;
		*out = json_pack("{s:I,s:I,s:I}", "__iv_months", (json_int_t)mo, "days", (json_int_t)d, "us",
				 (json_int_t)us);
		return REF_FORM;
	}
	case K_BYTEA: {
		if (n < 2 || s[0] != '\\' || s[1] != 'x' || n % 2)
			return REF_INVALID;
		unsigned char *b = malloc(n / 2 + 1);
		for (size_t i = 2; i < n; i += 2) {
			int hi = isdig(s[i]) ? s[i] - '0' : (s[i] >= 'a' && s[i] <= 'f') ? s[i] - 'a' + 10
						 : (s[i] >= 'A' && s[i] <= 'F') ? s[i] - 'A' + 10 : -1;
			int lo = isdig(s[i + 1]) ? s[i + 1] - '0' : (s[i + 1] >= 'a' && s[i + 1] <= 'f') ? s[i + 1] - 'a' + 10
						 : (s[i + 1] >= 'A' && s[i + 1] <= 'F') ? s[i + 1] - 'A' + 10 : -1;
			if (hi < 0 || lo < 0) {
				free(b);
				return REF_INVALID;
			}
			b[(i - 2) / 2] = (unsigned char)(hi << 4 | lo);
		}
		char *e = b64_of(b, (n - 2) / 2);
		*out = json_string(e);
		free(e);
		free(b);
		return REF_FORM;
	}
	case K_STR:
		*out = json_stringn(s, n);
		return *out ? REF_FORM : REF_INVALID;
	}
	return REF_INVALID;
}

static int ref_value(const ptype *pt, const char *s, size_t n, json_t **out)
{
	if (!pt->array)
		return ref_scalar(pt, s, n, out);
	*out = NULL;
	elems e;
	if (n >= 1 && s[0] == '[')
		return REF_NOFORM; /* bounds: documented refusal */
	if (!array_parse(s, n, &e)) {
		/* nested: documented refusal; else no literal at all */
		return n >= 2 && s[0] == '{' && s[1] == '{' ? REF_NOFORM : REF_INVALID;
	}
	ptype et = *pt;
	et.array = false;
	json_t *a = json_array();
	int rc = REF_FORM;
	for (size_t i = 0; i < e.n && rc == REF_FORM; i++) {
		json_t *x;
		if (!e.v[i]) {
			json_array_append_new(a, json_null());
			continue;
		}
		rc = ref_scalar(&et, e.v[i], strlen(e.v[i]), &x);
		if (rc == REF_FORM)
			json_array_append_new(a, x);
	}
	elems_free(&e);
	if (rc != REF_FORM) {
		json_decref(a);
		return rc;
	}
	*out = a;
	return REF_FORM;
}

/* ---- the event's value against the reference ---- */

static bool iso_zoned(const char *s, size_t n, __int128 *us)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	int64_t y, m, d, t;
	if (!parse_ymd(s, n, &i, &y, &m, &d) || i >= n || s[i++] != 'T' || !parse_hms(s, n, &i, &t) ||
	    t == US_PER_DAY)
		return false;
	if (i + 1 != n || s[i] != 'Z')
		return false;
	/* Java: four digits with '+' beyond 9999, '-' before year 0 */
	if ((y > 9999) != (s[0] == '+'))
		return false;
	if (neg)
		y = -y;
	if (!valid_day(y, m, d))
		return false;
	*us = (__int128)ref_days(y, m, d) * US_PER_DAY + t;
	return true;
}

/* "P1Y2M3DT4H5M6.78S", every part (Debezium's Interval). */
static bool dbz_interval(const char *s, size_t n, int64_t *months, int64_t *days, int64_t *us)
{
	static const char units[] = "YMDHMS";
	size_t i = 0;
	if (n == 0 || s[i++] != 'P')
		return false;
	__int128 part[6];
	int64_t frac = 0;
	bool sneg = false;
	for (int k = 0; k < 6; k++) {
		if (k == 3) {
			if (i >= n || s[i++] != 'T')
				return false;
		}
		bool neg = i < n && s[i] == '-';
		if (neg)
			i++;
		int64_t x;
		if (!num_at(s, n, &i, 1, 18, &x))
			return false;
		part[k] = neg ? -(__int128)x : x;
		if (k == 5) {
			sneg = neg;
			if (i < n && s[i] == '.') {
				size_t a = ++i;
				while (i < n && isdig(s[i])) {
					if (i - a < 6)
						frac = frac * 10 + (s[i] - '0');
					else if (s[i] != '0')
						return false;
					i++;
				}
				if (i == a || s[i - 1] == '0')
					return false; /* BigDecimal's plain string: no trailing zeros */
				for (size_t j = i - a; j < 6; j++)
					frac *= 10;
			}
		}
		if (i >= n || s[i++] != units[k])
			return false;
	}
	if (i != n)
		return false;
	__int128 mo = part[0] * 12 + part[1];
	__int128 t = part[3] * 3600000000LL + part[4] * 60000000LL + part[5] * 1000000 + (sneg ? -frac : frac);
	if (mo < INT64_MIN || mo > INT64_MAX || t < INT64_MIN || t > INT64_MAX)
		return false;
	*months = (int64_t)mo;
	*days = (int64_t)part[2];
	*us = (int64_t)t;
	return true;
}

static bool zoned_time(const char *s, size_t n, int64_t *us, int64_t *off)
{
	size_t i = 0;
	if (!parse_hms(s, n, &i, us))
		return false;
	if (i + 1 == n && s[i] == 'Z') {
		*off = 0;
		return true;
	}
	if (!parse_off(s, n, &i, off) || i != n)
		return false;
	return true;
}

/* Whether the event's JSON value got is the reference's want. */
static bool same_form(const json_t *want, const json_t *got)
{
	if (json_is_object(want) && json_object_get(want, "__tstz_us")) {
		if (!json_is_string(got))
			return false;
		__int128 us;
		return iso_zoned(json_string_value(got), json_string_length(got), &us) &&
		       us == json_integer_value(json_object_get(want, "__tstz_us"));
	}
	if (json_is_object(want) && json_object_get(want, "__timetz_us")) {
		int64_t us, off;
		return json_is_string(got) && zoned_time(json_string_value(got), json_string_length(got), &us, &off) &&
		       us == json_integer_value(json_object_get(want, "__timetz_us")) &&
		       off == json_integer_value(json_object_get(want, "off"));
	}
	if (json_is_object(want) && json_object_get(want, "__iv_months")) {
		int64_t mo, d, us;
		return json_is_string(got) && dbz_interval(json_string_value(got), json_string_length(got), &mo, &d, &us) &&
		       mo == json_integer_value(json_object_get(want, "__iv_months")) &&
		       d == json_integer_value(json_object_get(want, "days")) &&
		       us == json_integer_value(json_object_get(want, "us"));
	}
	if (json_is_real(want)) {
		double w = json_real_value(want), g;
		if (json_is_real(got))
			g = json_real_value(got);
		else if (json_is_integer(got))
			g = (double)json_integer_value(got);
		else
			return false;
		return w == g && signbit(w) == signbit(g);
	}
	if (json_is_array(want)) {
		if (!json_is_array(got) || json_array_size(want) != json_array_size(got))
			return false;
		for (size_t i = 0; i < json_array_size(want); i++)
			if (!same_form(json_array_get(want, i), json_array_get(got, i)))
				return false;
		return true;
	}
	return json_equal((json_t *)want, (json_t *)got);
}

/* ---- the decoded text against the original, as values of the type ---- */

/* A canonical text of the value s of scalar type pt (malloc'd), or NULL
 * when it is none: two texts of one value have the same. */
static char *canon_scalar(const ptype *pt, const char *s, size_t n)
{
	char *out = NULL;
	int64_t v;
	switch (pt->k) {
	case K_INT2:
	case K_INT4:
	case K_INT8:
	case K_OID:
		if (!int_val(s, n, INT64_MIN, INT64_MAX, &v))
			return NULL;
		asprintf(&out, "%lld", (long long)v);
		return out;
	case K_FLOAT4:
	case K_FLOAT8:
		/* written as it is, read as it is; a negative zero is written
		 * -0.0 (JSON -0 is an integer), the same number */
		if (n == 4 && !memcmp(s, "-0.0", 4))
			return strdup("-0");
		return strndup(s, n);
	case K_NUMERIC:
	case K_MONEY: {
		buf b;
		buf_init(&b, 0);
		const char *t = s;
		size_t tn = n;
		if (pt->k == K_MONEY) {
			for (size_t i = 0; i < n; i++)
				if (s[i] != '$' && s[i] != ',')
					buf_putc(&b, s[i]);
			t = b.data ? b.data : "";
			tn = b.len;
		}
		bool neg;
		const char *ip, *fp;
		size_t il, fl;
		if (!dec_split(t, tn, &neg, &ip, &il, &fp, &fl)) {
			buf_free(&b);
			return strndup(s, n); /* NaN and the like: as they are */
		}
		while (il > 1 && *ip == '0')
			ip++, il--;
		/* the variable scale is part of the value (numeric "1.50"); a
		 * fixed scale is the type's */
		if (pt->k != K_NUMERIC || pt->tm)
			while (fl > 0 && fp[fl - 1] == '0')
				fl--;
		bool zero = il == 1 && ip[0] == '0';
		for (size_t i = 0; i < fl; i++)
			zero &= fp[i] == '0';
		asprintf(&out, "%s%.*s.%.*s", neg && !zero ? "-" : "", (int)il, ip, (int)fl, fp);
		buf_free(&b);
		return out;
	}
	case K_DATE:
		if (!date_val(s, n, &v))
			return strndup(s, n);
		asprintf(&out, "%lld", (long long)v);
		return out;
	case K_TIME: {
		size_t i = 0;
		if (!parse_hms(s, n, &i, &v) || i != n)
			return NULL;
		asprintf(&out, "%lld", (long long)v);
		return out;
	}
	case K_TIMETZ: {
		size_t i = 0;
		int64_t off;
		if (!parse_hms(s, n, &i, &v) || !parse_off(s, n, &i, &off) || i != n)
			return NULL;
		asprintf(&out, "%lld%+lld", (long long)v, (long long)off);
		return out;
	}
	case K_TS:
	case K_TSTZ: {
		__int128 us;
		int r = ts_val(s, n, pt->k == K_TSTZ, &us);
		if (r == 0)
			return NULL;
		if (r >= 2)
			return strdup(r == 2 ? "inf" : "-inf");
		asprintf(&out, "%lld:%lld", (long long)(us / US_PER_DAY), (long long)(us % US_PER_DAY));
		return out;
	}
	case K_INTERVAL: {
		int64_t mo, d, us;
		if (!interval_val(s, n, &mo, &d, &us))
			return strndup(s, n);
		asprintf(&out, "%lld/%lld/%lld", (long long)mo, (long long)d, (long long)us);
		return out;
	}
	case K_BYTEA: {
		out = strndup(s, n);
		for (char *c = out; *c; c++)
			if (*c >= 'A' && *c <= 'F')
				*c = (char)(*c - 'A' + 'a');
		return out;
	}
	case K_BOOL:
	case K_STR:
		return strndup(s, n);
	}
	return NULL;
}

/* Whether a value's Debezium form may be the placeholder: it holds the
 * placeholder, its bytes in hex, its UUID (any case), or is an integer
 * array (of its 28 character codes, say). */
static bool placeholder_like(const ptype *pt, const char *s, size_t n)
{
	static const char *const marks[] = {"__debezium_unavailable_value",
					     "5f5f646562657a69756d5f756e617661696c61626c655f76616c7565",
					     "b68a35a7-17ad-35b3-af2a-ae46edb4545a"};
	if (pt->array && (pt->k == K_INT2 || pt->k == K_INT4 || pt->k == K_INT8 || pt->k == K_OID))
		return true;
	for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++)
		for (size_t i = 0, ml = strlen(marks[m]); i + ml <= n; i++)
			if (!strncasecmp(s + i, marks[m], ml))
				return true;
	return false;
}

static bool same_value(const ptype *pt, const char *a, size_t an, const char *b, size_t bn)
{
	if (!pt->array) {
		char *x = canon_scalar(pt, a, an), *y = canon_scalar(pt, b, bn);
		bool same = x && y && !strcmp(x, y);
		free(x);
		free(y);
		return same;
	}
	elems ea, eb;
	if (!array_parse(a, an, &ea))
		return false;
	if (!array_parse(b, bn, &eb)) {
		elems_free(&ea);
		return false;
	}
	ptype et = *pt;
	et.array = false;
	bool same = ea.n == eb.n;
	for (size_t i = 0; same && i < ea.n; i++) {
		if (!ea.v[i] || !eb.v[i])
			same = !ea.v[i] && !eb.v[i];
		else
			same = same_value(&et, ea.v[i], strlen(ea.v[i]), eb.v[i], strlen(eb.v[i]));
	}
	elems_free(&ea);
	elems_free(&eb);
	return same;
}

/* What a schemaless event's value reads as (man/dbrepl-debezium.5): the
 * JSON text as it stands, true/false as t/f, an array as PostgreSQL's
 * array text; a VariableScaleDecimal as numeric. Compared with the
 * decoded text d. */
static bool plain_same(const ptype *pt, const json_t *form, const char *orig, size_t on, const char *d, size_t dn)
{
	if (json_is_object(form) && json_object_get(form, "scale")) {
		ptype np = {.k = K_NUMERIC, .prec = -1};
		return same_value(&np, orig, on, d, dn);
	}
	if (json_is_object(form) && json_object_get(form, "__tstz_us")) {
		__int128 us;
		return iso_zoned(d, dn, &us) && us == json_integer_value(json_object_get(form, "__tstz_us"));
	}
	if (json_is_object(form) && json_object_get(form, "__timetz_us")) {
		int64_t us, off;
		return zoned_time(d, dn, &us, &off) && us == json_integer_value(json_object_get(form, "__timetz_us")) &&
		       off == json_integer_value(json_object_get(form, "off"));
	}
	if (json_is_object(form) && json_object_get(form, "__iv_months")) {
		int64_t mo, dd, us;
		return dbz_interval(d, dn, &mo, &dd, &us) &&
		       mo == json_integer_value(json_object_get(form, "__iv_months")) &&
		       dd == json_integer_value(json_object_get(form, "days")) &&
		       us == json_integer_value(json_object_get(form, "us"));
	}
	if (json_is_string(form))
		return dn == json_string_length(form) && !memcmp(d, json_string_value(form), dn);
	if (json_is_integer(form)) {
		int64_t v;
		return int_val(d, dn, INT64_MIN, INT64_MAX, &v) && v == json_integer_value(form);
	}
	if (json_is_real(form))
		return (dn == on && !memcmp(d, orig, on)) ||
		       (on == 2 && !memcmp(orig, "-0", 2) && dn == 4 && !memcmp(d, "-0.0", 4));
	if (json_is_boolean(form))
		return dn == 1 && d[0] == (json_is_true(form) ? 't' : 'f');
	if (json_is_array(form)) {
		elems e, eo;
		if (!array_parse(d, dn, &e))
			return false;
		if (!array_parse(orig, on, &eo)) {
			elems_free(&e);
			return false;
		}
		ptype et = *pt;
		et.array = false;
		bool same = e.n == json_array_size(form) && eo.n == e.n;
		for (size_t i = 0; same && i < e.n; i++) {
			const json_t *f = json_array_get(form, i);
			if (json_is_null(f) || !e.v[i])
				same = json_is_null(f) && !e.v[i];
			else
				same = plain_same(&et, f, eo.v[i], strlen(eo.v[i]), e.v[i], strlen(e.v[i]));
		}
		elems_free(&e);
		elems_free(&eo);
		return same;
	}
	return false;
}

/* ---- the schema of a field, against the documented mapping ---- */

static void want_schema(const ptype *pt, const char **type, const char **name)
{
	*name = NULL;
	switch (pt->k) {
	case K_INT2: *type = "int16"; break;
	case K_INT4: *type = "int32"; break;
	case K_INT8:
	case K_OID: *type = "int64"; break;
	case K_FLOAT4: *type = "float"; break;
	case K_FLOAT8: *type = "double"; break;
	case K_BOOL: *type = "boolean"; break;
	case K_NUMERIC:
		if (pt->tm) {
			*type = "bytes";
			*name = "org.apache.kafka.connect.data.Decimal";
		} else {
			*type = "struct";
			*name = "io.debezium.data.VariableScaleDecimal";
		}
		break;
	case K_MONEY: *type = "bytes"; *name = "org.apache.kafka.connect.data.Decimal"; break;
	case K_DATE: *type = "int32"; *name = "io.debezium.time.Date"; break;
	case K_TIME:
		if (pt->prec >= 0 && pt->prec <= 3)
			*type = "int32", *name = "io.debezium.time.Time";
		else
			*type = "int64", *name = "io.debezium.time.MicroTime";
		break;
	case K_TS:
		*type = "int64";
		*name = pt->prec >= 0 && pt->prec <= 3 ? "io.debezium.time.Timestamp" : "io.debezium.time.MicroTimestamp";
		break;
	case K_TSTZ: *type = "string"; *name = "io.debezium.time.ZonedTimestamp"; break;
	case K_TIMETZ: *type = "string"; *name = "io.debezium.time.ZonedTime"; break;
	case K_INTERVAL: *type = "string"; *name = "io.debezium.time.Interval"; break;
	case K_BYTEA: *type = "bytes"; break;
	case K_STR: *type = "string"; *name = pt->name; break;
	}
}

static const char *jstr(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool streq_null(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* The field schema f of a column of PostgreSQL type pgtype. */
static void check_field_schema(const json_t *f, const char *pgtype, bool key, const char *col)
{
	ptype pt;
	classify(pgtype, &pt);
	const char *type, *name;
	const json_t *s = f;
	char id[128];
	if (pt.array) {
		snprintf(id, sizeof id, "schema:%s", kind_name(&pt));
		if (!streq_null(jstr(f, "type"), "array")) {
			finding(id, "column \"%s\" (%s): an array written as type %s", col, pgtype, jstr(f, "type"));
			return;
		}
		s = json_object_get(f, "items");
		pt.array = false;
	}
	want_schema(&pt, &type, &name);
	snprintf(id, sizeof id, "schema:%s", kind_name(&pt));
	if (!streq_null(jstr(s, "type"), type) || !streq_null(jstr(s, "name"), name))
		finding(id, "column \"%s\" (%s): schema type %s name %s, documented %s %s", col, pgtype, jstr(s, "type"),
			jstr(s, "name"), type, name ? name : "(none)");
	if ((pt.k == K_NUMERIC && pt.tm) || pt.k == K_MONEY) {
		char sc[16];
		snprintf(sc, sizeof sc, "%d", pt.k == K_MONEY ? 2 : pt.s);
		if (!streq_null(jstr(json_object_get(s, "parameters"), "scale"), sc))
			finding(id, "column \"%s\" (%s): Decimal scale parameter %s, want %s", col, pgtype,
				jstr(json_object_get(s, "parameters"), "scale"), sc);
	}
	/* optional: all but the key's (records say nothing of NOT NULL) */
	if (json_is_true(json_object_get(f, "optional")) == key)
		finding("schema:optional", "column \"%s\": optional is %s", col, key ? "true for a key" : "false");
}

/* ---- one event: the checks ---- */

typedef struct expect {
	char op;
	const record_value *before, *after; /* the images the event carries */
	enum dbz_part part;
} expect;

static bool excluded(const record *r, size_t i)
{
	return record_column_mask(r, i) == RECORD_MASK_EXCLUDED;
}

static bool is_key(const record *r, size_t i)
{
	for (size_t k = 0; k < r->nkeys; k++)
		if (r->keys[k] == i)
			return true;
	return false;
}

/* The key value the event's key carries of column c (record.h: the after
 * image's, or the before image's for a delete). */
static const record_value *key_slot(const record *r, const expect *x, size_t c)
{
	static const record_value null_value = {VALUE_NULL, NULL, 0};
	if (x->part == DBZ_PART_OLD)
		return &r->before[c];
	if (r->op != RECORD_OP_DELETE && r->has_after && r->after &&
	    (r->after[c].kind == VALUE_TEXT || r->after[c].kind == VALUE_NULL))
		return &r->after[c];
	if (r->has_before && r->before && (r->before[c].kind == VALUE_TEXT || r->before[c].kind == VALUE_NULL))
		return &r->before[c];
	if (r->has_after && r->after && (r->after[c].kind == VALUE_TEXT || r->after[c].kind == VALUE_NULL))
		return &r->after[c];
	return &null_value;
}

/* A negative zero written as the JSON integer -0: JSON readers that keep
 * integers apart (Jackson in JsonConverter, jansson) read 0. */
static bool neg_zero_as_int(const json_t *want, const json_t *got)
{
	if (json_is_real(want) && json_real_value(want) == 0 && signbit(json_real_value(want)))
		return json_is_integer(got);
	if (json_is_array(want) && json_is_array(got) && json_array_size(want) == json_array_size(got)) {
		bool any = false;
		for (size_t i = 0; i < json_array_size(want); i++) {
			const json_t *w = json_array_get(want, i), *g = json_array_get(got, i);
			if (neg_zero_as_int(w, g))
				any = true;
			else if (!same_form(w, g))
				return false;
		}
		return any;
	}
	return false;
}

static void check_image_json(const record *r, const json_t *img, const record_value *want, const char *what)
{
	if (!want) {
		if (!json_is_null(img))
			finding("envelope:image", "\"%s\" is not null", what);
		return;
	}
	if (!json_is_object(img)) {
		finding("envelope:image", "\"%s\" is not an object", what);
		return;
	}
	size_t present = 0;
	for (size_t i = 0; i < r->ncols; i++) {
		const json_t *v = json_object_get(img, r->cols[i].name);
		present += v != NULL;
		ptype pt;
		classify(r->cols[i].type, &pt);
		char id[128];
		if (excluded(r, i) || want[i].kind == VALUE_ABSENT || want[i].kind == VALUE_UNCHANGED) {
			if (v)
				finding(excluded(r, i) ? "event:excluded-column-written" : "event:absent-written",
					"\"%s\" has column \"%s\" that the record does not send", what, r->cols[i].name);
			continue;
		}
		if (!v) {
			finding("event:column-missing", "\"%s\" lacks column \"%s\"", what, r->cols[i].name);
			continue;
		}
		if (want[i].kind == VALUE_NULL) {
			if (!json_is_null(v))
				finding("event:null-not-null", "\"%s\".\"%s\" is not null", what, r->cols[i].name);
			continue;
		}
		json_t *form;
		if (ref_value(&pt, want[i].data, want[i].len, &form) != REF_FORM)
			continue;
		if (!same_form(form, v)) {
			char *g = json_dumps(v, JSON_ENCODE_ANY), *w = json_dumps(form, JSON_ENCODE_ANY);
			snprintf(id, sizeof id, "event:%s:%s",
				 neg_zero_as_int(form, v) ? "negative-zero-as-json-integer" : "value-not-documented-form",
				 kind_name(&pt));
			finding(id, "\"%s\".\"%s\" (%s) \"%s\" written as %s, documented %s", what, r->cols[i].name,
				r->cols[i].type, want[i].data, g, w);
			free(g);
			free(w);
		}
		json_decref(form);
	}
	if (present != json_object_size(img))
		finding("event:extra-member", "\"%s\" has members that are no columns of the record", what);
}

static const json_t *unwrap(const json_t *root, bool schema, const json_t **sch)
{
	*sch = NULL;
	if (!schema)
		return root;
	if (!json_is_object(root) || json_object_size(root) != 2 || !json_object_get(root, "schema") ||
	    !json_object_get(root, "payload")) {
		finding("envelope:jsonconverter", "not {\"schema\",\"payload\"}");
		return NULL;
	}
	*sch = json_object_get(root, "schema");
	return json_object_get(root, "payload");
}

static json_t *parse_json(const buf *b, const char *what)
{
	json_error_t je;
	json_t *j = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		/* JSON allows any integer; an int64 field of the schema does not */
		int at = je.position > 60 ? je.position - 60 : 0;
		int len = (int)b->len - at < 80 ? (int)b->len - at : 80;
		finding(strstr(je.text, "too big") ? "json:integer-beyond-int64" : "json:malformed",
			"the %s is not JSON (jansson): %s at %d: ...%.*s...", what, je.text, je.position, len, b->data + at);
	}
	return j;
}

static int64_t ji(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* The struct field named name of a struct schema. */
static const json_t *field_of(const json_t *st, const char *name)
{
	const json_t *fs = json_object_get(st, "fields");
	for (size_t i = 0; i < json_array_size(fs); i++)
		if (streq_null(jstr(json_array_get(fs, i), "field"), name))
			return json_array_get(fs, i);
	return NULL;
}

static void check_event_json(const record *r, const expect *x, bool schema, const char *prefix, const buf *kb,
			     bool has_key, const buf *vb)
{
	json_t *root = parse_json(vb, "event value");
	if (!root)
		return;
	const json_t *vs, *p = unwrap(root, schema, &vs);
	if (!p || !json_is_object(p)) {
		finding("envelope:payload", "the payload is not an object");
		json_decref(root);
		return;
	}
	static const char *const env[] = {"before", "after", "source", "transaction", "op", "ts_ms", "ts_us", "ts_ns"};
	const char *k;
	json_t *v;
	size_t idx = 0;
	bool order = json_object_size(p) == 8;
	json_object_foreach((json_t *)p, k, v) {
		if (idx < 8 && strcmp(k, env[idx]))
			order = false;
		idx++;
	}
	if (!order)
		finding("envelope:fields", "the envelope's fields are not before, after, source, transaction, op, ts_*");
	if (schema) {
		const json_t *fs = json_object_get(vs, "fields");
		bool ok = json_array_size(fs) == 8;
		for (size_t i = 0; ok && i < 8; i++)
			ok = streq_null(jstr(json_array_get(fs, i), "field"), env[i]);
		if (!ok || !streq_null(jstr(vs, "type"), "struct"))
			finding("envelope:schema", "the Envelope schema's fields are not the payload's");
		const json_t *vst = field_of(vs, "after");
		const json_t *vf = json_object_get(vst, "fields");
		size_t j = 0;
		for (size_t i = 0; i < r->ncols; i++) {
			if (excluded(r, i))
				continue;
			const json_t *f = json_array_get(vf, j++);
			if (!streq_null(jstr(f, "field"), r->cols[i].name)) {
				finding("envelope:value-schema", "field %zu of the Value schema is %s, not column \"%s\"", j - 1,
					jstr(f, "field"), r->cols[i].name);
				break;
			}
			check_field_schema(f, r->cols[i].type, is_key(r, i), r->cols[i].name);
		}
		if (j != json_array_size(vf))
			finding("envelope:value-schema", "the Value schema has %zu fields for %zu columns", json_array_size(vf), j);
	}
	char ops[2] = {x->op, 0};
	if (!streq_null(jstr(p, "op"), ops))
		finding("envelope:op", "op %s, want %s", jstr(p, "op"), ops);
	const json_t *src = json_object_get(p, "source");
	if (!streq_null(jstr(src, "db"), r->db) || !streq_null(jstr(src, "schema"), r->schema) ||
	    !streq_null(jstr(src, "table"), r->table) || !streq_null(jstr(src, "name"), prefix ? prefix : r->db) ||
	    !streq_null(jstr(src, "connector"), "postgresql"))
		finding("envelope:source-names", "source names db/schema/table/name/connector");
	if (!streq_null(jstr(src, "snapshot"), x->op == 'r' ? "true" : "false"))
		finding("envelope:snapshot", "source.snapshot %s for op %c", jstr(src, "snapshot"), x->op);
	int64_t us = r->commit_us;
	int64_t ms = us / 1000 - (us % 1000 < 0);
	/* ts_ns: the µs in ns; null (the Source schema's ts_ns is optional)
	 * when those are beyond int64, the time exact in ts_us and ts_ms */
	__int128 ns = (__int128)us * 1000;
	bool ns_fits = ns >= INT64_MIN && ns <= INT64_MAX;
	const json_t *nsj = json_object_get(src, "ts_ns");
	if (ji(src, "ts_us") != us || ji(src, "ts_ms") != ms ||
	    (ns_fits ? !json_is_integer(nsj) || (__int128)json_integer_value(nsj) != ns : !json_is_null(nsj)))
		finding("envelope:source-time", "source ts_ms/us/ns %lld/%lld/%lld for %lld µs", (long long)ji(src, "ts_ms"),
			(long long)ji(src, "ts_us"), (long long)ji(src, "ts_ns"), (long long)us);
	if (ji(src, "txId") != r->xid || (r->lsn <= INT64_MAX && ji(src, "lsn") != (int64_t)r->lsn))
		finding("envelope:source-position", "source txId/lsn");
	const json_t *tx = json_object_get(p, "transaction");
	if (x->op == 'r' ? !json_is_null(tx)
			 : (!json_is_object(tx) || ji(tx, "data_collection_order") < 1 ||
			    (r->seq <= INT64_MAX && ji(tx, "total_order") != (int64_t)r->seq)))
		finding("envelope:transaction", "the transaction block");
	int64_t now_us = NOW_NS / 1000 - (NOW_NS % 1000 < 0), now_ms = NOW_NS / 1000000 - (NOW_NS % 1000000 < 0);
	if (ji(p, "ts_ns") != NOW_NS || ji(p, "ts_us") != now_us || ji(p, "ts_ms") != now_ms)
		finding("envelope:time", "the envelope's ts_ms/us/ns");
	check_image_json(r, json_object_get(p, "before"), x->before, "before");
	check_image_json(r, json_object_get(p, "after"), x->after, "after");
	json_decref(root);

	/* the key */
	bool want_key = r->nkeys > 0 && x->op != 't';
	if (has_key != want_key)
		finding("key:presence", "has_key %d for %zu key columns, op %c", has_key, r->nkeys, x->op);
	if (!has_key)
		return;
	json_t *kroot = parse_json(kb, "message key");
	if (!kroot)
		return;
	const json_t *ks, *kp = unwrap(kroot, schema, &ks);
	if (!json_is_object(kp) || json_object_size(kp) != r->nkeys) {
		finding("key:fields", "the key is not an object of the %zu key columns", r->nkeys);
	} else {
		size_t kk = 0;
		json_object_foreach((json_t *)kp, k, v) {
			size_t c = r->keys[kk];
			if (strcmp(k, r->cols[c].name)) {
				finding("key:fields", "key field %zu is %s, not \"%s\"", kk, k, r->cols[c].name);
				break;
			}
			const record_value *kv = key_slot(r, x, c);
			ptype pt;
			classify(r->cols[c].type, &pt);
			json_t *form;
			if (kv->kind != VALUE_TEXT) {
				if (!json_is_null(v))
					finding("key:value", "key \"%s\" is not null", k);
			} else if (ref_value(&pt, kv->data, kv->len, &form) == REF_FORM) {
				if (!same_form(form, v)) {
					char id[128];
					snprintf(id, sizeof id, "key:%s:%s",
						 neg_zero_as_int(form, v) ? "negative-zero-as-json-integer" : "value-not-documented-form",
						 kind_name(&pt));
					finding(id, "key \"%s\" (%s) \"%s\"", k, r->cols[c].type, kv->data);
				}
				json_decref(form);
			}
			if (schema) {
				const json_t *f = json_array_get(json_object_get(ks, "fields"), kk);
				if (!streq_null(jstr(f, "field"), k))
					finding("key:schema", "key schema field %zu is %s, not %s", kk, jstr(f, "field"), k);
				else
					check_field_schema(f, r->cols[c].type, true, k);
			}
			kk++;
		}
	}
	json_decref(kroot);
}

/* ---- the decoded record against the record ---- */

static int dcol(const record *d, const char *name)
{
	for (size_t i = 0; i < d->ncols; i++)
		if (!strcmp(d->cols[i].name, name))
			return (int)i;
	return -1;
}

static void compare_slot(const record *r, size_t i, const record_value *w, int di, const record_value *dimg,
			 bool schema, bool after_of_update, const char *what)
{
	const char *col = r->cols[i].name;
	ptype pt;
	classify(r->cols[i].type, &pt);
	char id[160];
	const char *mode = schema ? "schema" : "plain";
	const record_value *g = di >= 0 && dimg ? &dimg[di] : NULL;
	value_kind gk = g ? g->kind : VALUE_ABSENT;
	if (w->kind == VALUE_ABSENT || w->kind == VALUE_UNCHANGED) {
		bool ok = gk == VALUE_ABSENT || gk == VALUE_UNCHANGED;
		/* an unchanged value must stay unchanged: an update's after that
		 * holds the column as ABSENT sets it NULL in mssql-apply */
		if (ok && w->kind == VALUE_UNCHANGED && gk == VALUE_ABSENT && di >= 0) {
			snprintf(id, sizeof id, "decode:unchanged-became-absent[%s]", mode);
			finding(id, "%s.\"%s\": an unchanged TOAST value comes back ABSENT (a column of the record)", what, col);
		} else if (!ok) {
			snprintf(id, sizeof id, "decode:absent-became-value[%s]", mode);
			finding(id, "%s.\"%s\": %s comes back as kind %d", what, col,
				w->kind == VALUE_ABSENT ? "not sent" : "unchanged", gk);
		}
		(void)after_of_update;
		return;
	}
	if (w->kind == VALUE_NULL) {
		if (gk != VALUE_NULL) {
			snprintf(id, sizeof id, "decode:null-changed[%s]", mode);
			finding(id, "%s.\"%s\": NULL comes back as kind %d", what, col, gk);
		}
		return;
	}
	json_t *form = NULL;
	int ref = ref_value(&pt, w->data, w->len, &form);
	if (gk != VALUE_TEXT) {
		snprintf(id, sizeof id, "decode:value-lost[%s]:%s%s", mode, kind_name(&pt),
			 gk == VALUE_UNCHANGED || gk == VALUE_ABSENT ? ":as-placeholder" : "");
		finding(id, "%s.\"%s\" (%s) \"%.200s\" comes back as %s", what, col, r->cols[i].type, w->data,
			gk == VALUE_NULL ? "NULL" : gk == VALUE_UNCHANGED ? "an unchanged TOAST value" : "not sent (ABSENT)");
		json_decref(form);
		return;
	}
	if (ref == REF_NOFORM) {
		snprintf(id, sizeof id, "encode:took-value-without-exact-form:%s", kind_name(&pt));
		finding(id, "%s.\"%s\" (%s) \"%.200s\" was written (and read back as \"%.200s\")", what, col,
			r->cols[i].type, w->data, g->data);
	} else if (ref == REF_INVALID) {
		if (schema && (g->len != w->len || memcmp(g->data, w->data, w->len))) {
			snprintf(id, sizeof id, "lenient:non-pg-text-changed:%s", kind_name(&pt));
			finding(id, "%s.\"%s\" (%s) \"%.200s\", no text PostgreSQL prints for the type, was taken and comes back \"%.200s\"",
				what, col, r->cols[i].type, w->data, g->data);
		}
	} else if (schema) {
		if (!same_value(&pt, w->data, w->len, g->data, g->len)) {
			snprintf(id, sizeof id, "decode:value-differs[schema]:%s", kind_name(&pt));
			finding(id, "%s.\"%s\" (%s) \"%.300s\" comes back \"%.300s\"", what, col, r->cols[i].type, w->data,
				g->data);
		}
	} else if (!plain_same(&pt, form, w->data, w->len, g->data, g->len)) {
		char *f = json_dumps(form, JSON_ENCODE_ANY);
		snprintf(id, sizeof id, "decode:value-differs[plain]:%s", kind_name(&pt));
		finding(id, "%s.\"%s\" (%s) \"%.300s\" (event form %.200s) comes back \"%.300s\"", what, col,
			r->cols[i].type, w->data, f, g->data);
		free(f);
	}
	json_decref(form);
}

static void compare_decoded(const record *r, const expect *x, const record *d, bool schema, const char *prefix)
{
	char id[160];
	const char *mode = schema ? "schema" : "plain";
	if (d->op != x->op || strcmp(d->db, r->db) || strcmp(d->schema, r->schema) || strcmp(d->table, r->table)) {
		snprintf(id, sizeof id, "decode:op-or-table[%s]", mode);
		finding(id, "op %c %s.%s.%s comes back %c %s.%s.%s", x->op, r->db, r->schema, r->table, d->op, d->db,
			d->schema, d->table);
	}
	/* the source position (records of a snapshot have no seq) */
	if ((r->lsn <= INT64_MAX && d->lsn != r->lsn) || d->xid != r->xid || d->commit_us != r->commit_us ||
	    (r->seq <= INT64_MAX && d->seq != (x->op == 'r' ? 0 : r->seq))) {
		snprintf(id, sizeof id, "decode:source-position[%s]", mode);
		finding(id, "lsn/xid/commit/seq %llu/%u/%lld/%llu come back %llu/%u/%lld/%llu", (unsigned long long)r->lsn,
			r->xid, (long long)r->commit_us, (unsigned long long)r->seq, (unsigned long long)d->lsn, d->xid,
			(long long)d->commit_us, (unsigned long long)d->seq);
	}
	if (r->lsn > INT64_MAX && d->lsn != r->lsn) {
		snprintf(id, sizeof id, "decode:lsn-above-2^63[%s]", mode);
		finding(id, "lsn %llu comes back %llu", (unsigned long long)r->lsn, (unsigned long long)d->lsn);
	}
	char stream[POS_STREAM_MAX + 1];
	record_debezium_stream(stream, prefix ? prefix : r->db);
	if (strcmp(d->stream, stream))
		finding("decode:stream", "stream %s, want %s", d->stream, stream);
	if (x->op == 't') {
		if (d->ncols || d->nkeys || d->has_before || d->has_after)
			finding("decode:truncate", "a truncate comes back with columns, keys or images");
		return;
	}
	/* columns */
	if (schema) {
		size_t j = 0;
		for (size_t i = 0; i < r->ncols; i++) {
			if (excluded(r, i))
				continue;
			if (j >= d->ncols || strcmp(d->cols[j].name, r->cols[i].name)) {
				finding("decode:columns[schema]", "column %zu \"%s\" comes back as \"%s\"", j, r->cols[i].name,
					j < d->ncols ? d->cols[j].name : "(none)");
				return;
			}
			if (strcmp(d->cols[j].type, r->cols[i].type)) {
				ptype pt;
				classify(r->cols[i].type, &pt);
				snprintf(id, sizeof id, "decode:type-changed[schema]:%s", r->cols[i].type);
				finding(id, "column \"%s\" of type %s comes back of type %s", r->cols[i].name, r->cols[i].type,
					d->cols[j].type);
			}
			j++;
		}
		if (j != d->ncols)
			finding("decode:columns[schema]", "%zu columns come back as %zu", j, d->ncols);
	} else {
		for (size_t j = 0; j < d->ncols; j++) {
			int i = record_column_index(r, d->cols[j].name);
			if (i < 0 || excluded(r, (size_t)i))
				finding("decode:columns[plain]", "column \"%s\" comes back that the record does not send",
					d->cols[j].name);
		}
	}
	/* keys */
	if (d->nkeys != r->nkeys) {
		snprintf(id, sizeof id, "decode:keys[%s]", mode);
		finding(id, "%zu key columns come back as %zu", r->nkeys, d->nkeys);
	} else {
		for (size_t k = 0; k < r->nkeys; k++)
			if (strcmp(d->cols[d->keys[k]].name, r->cols[r->keys[k]].name)) {
				snprintf(id, sizeof id, "decode:keys[%s]", mode);
				finding(id, "key %zu \"%s\" comes back \"%s\"", k, r->cols[r->keys[k]].name,
					d->cols[d->keys[k]].name);
			}
	}
	/* images */
	if (d->has_before != (x->before != NULL) || d->has_after != (x->after != NULL)) {
		snprintf(id, sizeof id, "decode:images[%s]", mode);
		finding(id, "before/after %d/%d come back %d/%d", x->before != NULL, x->after != NULL, d->has_before,
			d->has_after);
		return;
	}
	for (size_t i = 0; i < r->ncols; i++) {
		if (excluded(r, i))
			continue;
		int di = dcol(d, r->cols[i].name);
		if (di < 0 && schema)
			continue; /* reported above */
		bool used = false;
		if (x->before) {
			compare_slot(r, i, &x->before[i], di, d->before, schema, false, "before");
			used |= x->before[i].kind == VALUE_TEXT || x->before[i].kind == VALUE_NULL;
		}
		if (x->after) {
			compare_slot(r, i, &x->after[i], di, d->after, schema, x->op == 'u', "after");
			used |= x->after[i].kind == VALUE_TEXT || x->after[i].kind == VALUE_NULL;
		}
		if (!schema && di < 0 && (used || is_key(r, i)))
			finding("decode:columns[plain]", "column \"%s\" is not read back", r->cols[i].name);
	}
}

/* ---- one event ---- */

/* The column of r that err names ("column \"NAME\"", the first such
 * mention: a value quoted after it may hold the same words), or -1. */
static int err_column(const record *r, const char *err)
{
	int best = -1;
	const char *at = NULL;
	size_t bestlen = 0;
	for (size_t i = 0; i < r->ncols; i++) {
		char pat[RECORD_NAME_MAX + 16];
		snprintf(pat, sizeof pat, "column \"%s\"", r->cols[i].name);
		const char *p = strstr(err, pat);
		if (p && (!at || p < at || (p == at && strlen(pat) > bestlen))) {
			best = (int)i;
			at = p;
			bestlen = strlen(pat);
		}
	}
	return best;
}

/* The encoder refused r's event (err): right when a value of the named
 * column has no exact form, or a name is beyond the limits. */
static void check_refusal(const record *r, const expect *x, const char *err)
{
	if (!err[0]) {
		finding("encode:refusal-without-reason", "dbz_encode failed without a message");
		return;
	}
	int i = err_column(r, err);
	if (i < 0) {
		if (strlen(r->db) > RECORD_NAME_MAX || strlen(r->schema) > RECORD_NAME_MAX ||
		    strlen(r->table) > RECORD_NAME_MAX)
			return;
		finding("encode:refused-unnamed", "refused: %s", err);
		return;
	}
	ptype pt;
	classify(r->cols[i].type, &pt);
	const record_value *imgs[3] = {x->before, x->after, NULL};
	const record_value *kv = NULL;
	if (is_key(r, (size_t)i) && x->op != 't')
		kv = key_slot(r, x, (size_t)i);
	bool noform = false;
	for (int k = 0; k < 3; k++) {
		const record_value *v = k < 2 ? (imgs[k] ? &imgs[k][i] : NULL) : kv;
		if (!v || v->kind != VALUE_TEXT)
			continue;
		json_t *f;
		int rc = ref_value(&pt, v->data, v->len, &f);
		json_decref(f);
		noform |= rc != REF_FORM;
	}
	/* a value whose form is the unavailable-value placeholder is refused
	 * (a reader would take it for an unchanged TOAST value) */
	if (!noform && strstr(err, "unavailable-value placeholder")) {
		for (int k = 0; k < 3; k++) {
			const record_value *v = k < 2 ? (imgs[k] ? &imgs[k][i] : NULL) : kv;
			if (v && v->kind == VALUE_TEXT && placeholder_like(&pt, v->data, v->len))
				return;
		}
	}
	/* a finite timestamp at Debezium's +infinity value, and a zoned one
	 * finer than its type's digits, are refused (findings 3 and 6) */
	if (!noform && (strstr(err, "the value Debezium writes for") ||
			strstr(err, "more fractional digits than timestamp(")))
		return;
	if (!noform) {
		char id[128];
		snprintf(id, sizeof id, "encode:refused-documented-value:%s", kind_name(&pt));
		finding(id, "refused: %s", err);
	}
}

static void one_event(dbz_encoder *e, const record *r, enum dbz_part part, bool schema, const char *prefix)
{
	expect x = {.part = part};
	x.op = part == DBZ_PART_OLD ? 'd' : part == DBZ_PART_NEW ? 'c' : r->op;
	x.before = r->has_before && part != DBZ_PART_NEW ? r->before : NULL;
	x.after = r->has_after && part != DBZ_PART_OLD ? r->after : NULL;
	buf k, v;
	buf_init(&k, 0);
	buf_init(&v, 0);
	bool hk = false;
	char err[512];
	cur_key = &k;
	cur_val = &v;
	int rc = dbz_encode(e, r, part, NOW_NS, &k, &hk, &v, err, sizeof err);
	if (rc != 0) {
		cur_val = NULL;
		check_refusal(r, &x, err);
		goto out;
	}
	check_event_json(r, &x, schema, prefix, &k, hk, &v);
	if (!record_is_debezium(v.data, v.len))
		finding("detect:not-debezium", "record_is_debezium says the event is none");
	record d;
	record_init(&d);
	char derr[512];
	int drc = record_decode_debezium(&d, v.data, v.len, hk ? k.data : NULL, hk ? k.len : 0, 7, derr, sizeof derr);
	if (drc != 0) {
		char id[200];
		const char *ty = "?";
		int ci = err_column(r, derr);
		if (ci >= 0) {
			ptype pt;
			classify(r->cols[ci].type, &pt);
			ty = kind_name(&pt);
		}
		snprintf(id, sizeof id, "decode:refused[%s]:%s", schema ? "schema" : "plain", ty);
		finding(id, "the decoder refuses the encoder's event (rc %d): %s", drc, derr);
	} else {
		compare_decoded(r, &x, &d, schema, prefix);
		/* the same event read where a record may come (no key) */
		record d2;
		record_init(&d2);
		char e2[512];
		if (record_decode(&d2, v.data, v.len, e2, sizeof e2) != 0)
			finding("detect:record_decode-refuses", "record_decode refuses what record_decode_debezium takes: %s", e2);
		record_free(&d2);
	}
	record_free(&d);
out:
	cur_key = cur_val = NULL;
	buf_free(&k);
	buf_free(&v);
}

static dbz_encoder *warm_enc[2];

static void round_trips(const record *r, bool with_prefix)
{
	const char *prefix = with_prefix ? "srv" : NULL;
	cur_rec = r;
	for (int schema = 0; schema < 2; schema++) {
		dbz_encoder_opts o = {.schema = schema, .prefix = prefix};
		dbz_encoder *fresh = dbz_encoder_new(&o);
		if (!warm_enc[schema]) {
			dbz_encoder_opts w = {.schema = schema, .prefix = "srv"};
			warm_enc[schema] = dbz_encoder_new(&w);
		}
		dbz_encoder *encs[2] = {fresh, warm_enc[schema]};
		for (int w = 0; w < 2; w++) {
			const char *px = w ? "srv" : prefix;
			cur_what = schema ? (w ? "schema, warm encoder" : "schema") : (w ? "plain, warm encoder" : "plain");
			one_event(encs[w], r, DBZ_PART_WHOLE, schema, px);
			if (dbz_key_changes(r)) {
				cur_what = schema ? "schema, key change: old" : "plain, key change: old";
				one_event(encs[w], r, DBZ_PART_OLD, schema, px);
				cur_what = schema ? "schema, key change: new" : "plain, key change: new";
				one_event(encs[w], r, DBZ_PART_NEW, schema, px);
			}
		}
		dbz_encoder_free(fresh);
	}
	cur_rec = NULL;
	cur_what = NULL;
}

/* ---- records from the bytes ---- */

typedef struct rd {
	const uint8_t *p;
	size_t n;
} rd;

static unsigned u8(rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static uint64_t un(rd *r, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v = v << 8 | u8(r);
	return v;
}

/* A number below n (n > 0). */
static uint64_t below(rd *r, uint64_t n)
{
	int bytes = n <= 0x100 ? 1 : n <= 0x10000 ? 2 : n <= 0x100000000ull ? 4 : 8;
	return un(r, bytes) % n;
}

static void put_utf8(buf *b, uint32_t cp)
{
	if (cp < 0x80)
		buf_putc(b, (char)cp);
	else if (cp < 0x800)
		buf_putc(b, (char)(0xc0 | cp >> 6)), buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	else if (cp < 0x10000)
		buf_putc(b, (char)(0xe0 | cp >> 12)), buf_putc(b, (char)(0x80 | (cp >> 6 & 0x3f))),
			buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	else
		buf_putc(b, (char)(0xf0 | cp >> 18)), buf_putc(b, (char)(0x80 | (cp >> 12 & 0x3f))),
			buf_putc(b, (char)(0x80 | (cp >> 6 & 0x3f))), buf_putc(b, (char)(0x80 | (cp & 0x3f)));
}

static void gen_text(rd *r, buf *b)
{
	static const char *const special[] = {
		"", PLACEHOLDER, "NULL", "null", "infinity", "NaN", " ", "\"", "\\", "{}", "[]", "a,b", "{a}",
		"b68a35a7-17ad-35b3-af2a-ae46edb4545a", "\xe2\x80\xa8\xe2\x80\xa9", "\xef\xbb\xbf", "\xf0\x9f\x98\x80",
		"\xf4\x8f\xbf\xbf", "\x01\x1f\x7f", "tab\tnl\ncr\r",
	};
	unsigned c = u8(r);
	if (c < 48) {
		buf_puts(b, special[c % (sizeof special / sizeof special[0])]);
		return;
	}
	size_t len = c < 240 ? below(r, 24) : below(r, 3000);
	for (size_t i = 0; i < len && r->n; i++) {
		unsigned t = u8(r);
		if (t < 128)
			buf_putc(b, t >= 0x20 ? (char)t : (char)('a' + t % 26));
		else if (t < 160)
			buf_putc(b, "\"\\{},\t\n\r\x01\x1f ' "[t % 13]);
		else if (t < 200)
			put_utf8(b, 0x80 + (uint32_t)below(r, 0x800 - 0x80));
		else if (t < 240) {
			uint32_t cp = 0x800 + (uint32_t)below(r, 0x10000 - 0x800);
			put_utf8(b, cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp);
		} else
			put_utf8(b, 0x10000 + (uint32_t)below(r, 0x110000 - 0x10000));
	}
}

static void gen_int(rd *r, buf *b, int64_t lo, int64_t hi)
{
	int64_t sp[] = {0, 1, -1, lo, hi, lo + 1, hi - 1, 127, 128, -128, -129, 255, 256, 32767, -32768, 65535};
	unsigned c = u8(r);
	int64_t v;
	if (c < 128)
		v = sp[c % 16];
	else
		v = (int64_t)un(r, 8);
	if (v < lo || v > hi)
		v = lo + (int64_t)((uint64_t)v % ((uint64_t)hi - (uint64_t)lo + 1));
	buf_printf(b, "%lld", (long long)v);
}

static void gen_float(rd *r, buf *b, bool dbl)
{
	static const char *const sp4[] = {
		"0", "-0", "NaN", "Infinity", "-Infinity", "1", "-1", "1.5", "0.1", "3.4028235e+38", "-3.4028235e+38",
		"1.1754944e-38", "1e-45", "1.4e-45", "-1e-45", "1e+38", "123456.79", "1.0000001", "16777216",
	};
	static const char *const sp8[] = {
		"0", "-0", "NaN", "Infinity", "-Infinity", "1", "-1", "1.5", "0.1", "1e+308", "-1e+308",
		"1.7976931348623157e+308", "-1.7976931348623157e+308", "2.2250738585072014e-308", "5e-324",
		"-5e-324", "4.9406564584124654e-324", "2.225073858507201e-308", "9007199254740993", "1e+16",
		"0.30000000000000004", "1.2345678901234568e+20",
	};
	unsigned c = u8(r);
	if (c < 128) {
		buf_puts(b, dbl ? sp8[c % (sizeof sp8 / sizeof sp8[0])] : sp4[c % (sizeof sp4 / sizeof sp4[0])]);
		return;
	}
	char tmp[64];
	if (dbl) {
		uint64_t bits = un(r, 8);
		double d;
		memcpy(&d, &bits, 8);
		snprintf(tmp, sizeof tmp, "%.17g", d);
	} else {
		uint32_t bits = (uint32_t)un(r, 4);
		float f;
		memcpy(&f, &bits, 4);
		snprintf(tmp, sizeof tmp, "%.9g", (double)f);
	}
	if (!strcmp(tmp, "nan") || !strcmp(tmp, "-nan"))
		strcpy(tmp, "NaN");
	else if (!strcmp(tmp, "inf"))
		strcpy(tmp, "Infinity");
	else if (!strcmp(tmp, "-inf"))
		strcpy(tmp, "-Infinity");
	buf_puts(b, tmp);
}

/* Decimal digits of 2^k (+ d). */
static void pow2_digits(int k, int d, buf *b)
{
	BIGNUM *x = BN_new();
	BN_one(x);
	BN_lshift(x, x, k);
	if (d > 0)
		BN_add_word(x, (BN_ULONG)d);
	else if (d < 0)
		BN_sub_word(x, (BN_ULONG)-d);
	char *s = BN_bn2dec(x);
	buf_puts(b, s);
	OPENSSL_free(s);
	BN_free(x);
}

/* A numeric's text: as numeric_out prints it; with (p,s), s fraction
 * digits and at most p - s integer digits; scale < 0: a multiple. */
static void gen_numeric(rd *r, buf *b, bool tm, int p, int s)
{
	unsigned c = u8(r);
	if (c < 12) {
		static const char *const sp[] = {"NaN", "Infinity", "-Infinity"};
		buf_puts(b, sp[c % 3]);
		return;
	}
	bool neg = u8(r) & 1;
	buf digits;
	buf_init(&digits, 0);
	int fl;
	if (c < 80) {
		/* the edges of two's complement: ±2^k, ±2^k ± 1 as unscaled values */
		pow2_digits((int)below(r, 300), (int)below(r, 3) - 1, &digits);
		fl = tm ? s : (int)below(r, 8);
	} else {
		size_t nd = c < 200 ? 1 + below(r, 30) : 1 + below(r, 1200);
		for (size_t i = 0; i < nd; i++)
			buf_putc(&digits, (char)('0' + below(r, 10)));
		fl = tm ? s : (int)(c < 200 ? below(r, 12) : below(r, 400));
	}
	buf_terminate(&digits);
	/* unscaled digits -> text at scale fl */
	const char *d = digits.data;
	size_t n = digits.len;
	while (n > 1 && *d == '0')
		d++, n--;
	if (tm && s >= 0 && p > 0) {
		/* at most p digits in all */
		if (n > (size_t)p) {
			d += n - (size_t)p;
			n = (size_t)p;
		}
		while (n > 1 && *d == '0')
			d++, n--;
	}
	bool zero = n == 1 && d[0] == '0';
	if (neg && !zero)
		buf_putc(b, '-');
	if ((size_t)fl >= n) {
		buf_puts(b, "0");
		if (fl > 0) {
			buf_putc(b, '.');
			for (size_t i = n; i < (size_t)fl; i++)
				buf_putc(b, '0');
			buf_append(b, d, n);
		}
	} else {
		buf_append(b, d, n - (size_t)fl);
		if (fl > 0) {
			buf_putc(b, '.');
			buf_append(b, d + n - (size_t)fl, (size_t)fl);
		}
	}
	buf_free(&digits);
}

static void gen_money(rd *r, buf *b)
{
	int64_t sp[] = {0, 1, -1, 99, 100, 123456, INT64_MAX, INT64_MIN, INT64_MIN + 1, 100000000};
	unsigned c = u8(r);
	int64_t v = c < 128 ? sp[c % 10] : (int64_t)un(r, 8);
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char dig[32];
	snprintf(dig, sizeof dig, "%llu", (unsigned long long)(a / 100));
	if (v < 0)
		buf_putc(b, '-');
	buf_putc(b, '$');
	size_t nl = strlen(dig);
	for (size_t i = 0; i < nl; i++) {
		if (i && (nl - i) % 3 == 0)
			buf_putc(b, ',');
		buf_putc(b, dig[i]);
	}
	buf_printf(b, ".%02u", (unsigned)(a % 100));
}

/* A date as PostgreSQL prints it (ISO): astronomical year y. */
static void put_pg_date(buf *b, int64_t y, int m, int d)
{
	bool bc = y <= 0;
	buf_printf(b, "%04lld-%02d-%02d", (long long)(bc ? 1 - y : y), m, d);
	(void)bc;
}

static void gen_ymd(rd *r, int64_t *y, int *m, int *d)
{
	static const int64_t sy[] = {1970, 2000, 1, 0, -4712, 9999, 10000, 5874897, 294276, 294247, 1900, 2024, -1, 1582};
	unsigned c = u8(r);
	*y = c < 128 ? sy[c % 14] : -4712 + (int64_t)below(r, 5874897 + 4713);
	*m = 1 + (int)below(r, 12);
	static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int max = md[*m - 1] + (*m == 2 && is_leap(*y));
	*d = u8(r) < 40 ? max : 1 + (int)below(r, (uint64_t)max);
}

static void gen_date(rd *r, buf *b)
{
	unsigned c = u8(r);
	if (c < 8) {
		buf_puts(b, c & 1 ? "infinity" : "-infinity");
		return;
	}
	int64_t y;
	int m, d;
	gen_ymd(r, &y, &m, &d);
	if (y > 5874897)
		y = 5874897;
	if (y < -4712 || (y == -4712 && m < 11))
		y = -4712, m = 11, d = 24;
	put_pg_date(b, y, m, d);
	if (y <= 0)
		buf_puts(b, " BC");
}

/* PostgreSQL's time text "HH:MM:SS[.f]" with prec digits (trailing zeros
 * dropped), for pgvalue_normalize. */
static void gen_pg_time(rd *r, buf *b, int prec)
{
	unsigned c = u8(r);
	if (c < 10) {
		buf_puts(b, "24:00:00");
		return;
	}
	int h = (int)below(r, 24), mi = (int)below(r, 60), s = (int)below(r, 60);
	if (c < 30)
		h = 23, mi = 59, s = 59;
	int p = prec < 0 ? 6 : prec;
	int64_t frac = c < 30 ? 999999 : (int64_t)below(r, 1000000);
	int64_t scale = 1;
	for (int i = p; i < 6; i++)
		scale *= 10;
	frac = frac / scale * scale;
	buf_printf(b, "%02d:%02d:%02d", h, mi, s);
	if (frac) {
		char f[8];
		snprintf(f, sizeof f, "%06lld", (long long)frac);
		int k = 6;
		while (f[k - 1] == '0')
			k--;
		buf_printf(b, ".%.*s", k, f);
	}
}

static void gen_offset(rd *r, buf *b)
{
	static const char *const sp[] = {"+00", "+02", "-14:59", "+15:59:59", "-15:59:59", "+05:30", "-03:30:15", "+00:00:01"};
	unsigned c = u8(r);
	if (c < 128) {
		buf_puts(b, sp[c % 8]);
		return;
	}
	int h = (int)below(r, 16), m = (int)below(r, 60), s = (int)below(r, 60);
	buf_printf(b, "%c%02d", c & 1 ? '-' : '+', h);
	if (m || s)
		buf_printf(b, ":%02d", m);
	if (s)
		buf_printf(b, ":%02d", s);
}

static void normalize(pgvalue_norm n, buf *pg, buf *b)
{
	buf tmp;
	buf_init(&tmp, 0);
	const char *res;
	size_t len;
	if (pgvalue_normalize(n, pg->data ? pg->data : "", pg->len, &tmp, &res, &len) == 0)
		buf_append(b, res, len);
	else
		buf_append(b, pg->data ? pg->data : "", pg->len); /* as it came: the reference judges it */
	buf_free(&tmp);
}

static void gen_timestamp(rd *r, buf *b, int prec, bool tz)
{
	unsigned c = u8(r);
	if (c < 10) {
		buf_puts(b, c & 1 ? "infinity" : "-infinity");
		return;
	}
	buf pg;
	buf_init(&pg, 0);
	if (c < 20) {
		/* the finite timestamp at the µs of the +infinity sentinel, and the ends */
		static const char *const sp[] = {"294247-01-10 04:00:25.2", "294276-12-31 23:59:59.999999",
						 "4714-11-24 00:00:00 BC", "1970-01-01 00:00:00", "1969-12-31 23:59:59.999999",
						 "0001-01-01 00:00:00", "0001-12-31 23:59:59.999999 BC", "9999-12-31 23:59:59.999999",
						 "294247-01-10 04:00:25.200001", "294247-01-10 04:00:25.199"};
		buf_puts(&pg, sp[c % 10]);
		buf_terminate(&pg);
		if (tz) {
			/* the offset goes before " BC" */
			char *bc = pg.data ? strstr(pg.data, " BC") : NULL;
			if (bc) {
				pg.len = (size_t)(bc - pg.data);
				buf_puts(&pg, "+00 BC");
			} else {
				buf_puts(&pg, "+00");
			}
		}
	} else {
		int64_t y;
		int m, d;
		gen_ymd(r, &y, &m, &d);
		if (y > 294276)
			y = 294276;
		if (y < -4713)
			y = -4713;
		put_pg_date(&pg, y, m, d);
		buf_putc(&pg, ' ');
		size_t at = pg.len;
		gen_pg_time(r, &pg, prec);
		if (pg.len - at >= 3 && !strncmp(pg.data + at, "24:", 3)) {
			pg.len = at;
			buf_puts(&pg, "00:00:00");
		}
		if (tz)
			buf_puts(&pg, "+00");
		if (y <= 0)
			buf_puts(&pg, " BC");
	}
	normalize(tz ? PGVALUE_TIMESTAMPTZ : PGVALUE_TIMESTAMP, &pg, b);
	buf_free(&pg);
}

/* PostgreSQL's iso_8601 interval output of months, days, µs. */
static void gen_interval(rd *r, buf *b)
{
	unsigned c = u8(r);
	if (c < 6) {
		buf_puts(b, c & 1 ? "infinity" : "-infinity");
		return;
	}
	int64_t mo, d, t;
	if (c < 40) {
		static const int64_t sp[][3] = {
			{0, 0, 0}, {INT32_MAX, INT32_MAX, INT64_MAX}, {INT32_MIN + 1, INT32_MIN + 1, INT64_MIN + 1},
			{14, 3, 14706500000}, {-14, 3, -14706000001}, {0, 0, 500000}, {0, 0, -500000}, {1, -1, 1},
		};
		mo = sp[c % 8][0];
		d = sp[c % 8][1];
		t = sp[c % 8][2];
	} else {
		mo = (int32_t)un(r, 4) >> below(r, 31);
		d = (int32_t)un(r, 4) >> below(r, 31);
		t = (int64_t)un(r, 8) >> below(r, 63);
	}
	if (!mo && !d && !t) {
		buf_puts(b, "PT0S");
		return;
	}
	buf_putc(b, 'P');
	int64_t y = mo / 12, m = mo % 12;
	if (y)
		buf_printf(b, "%lldY", (long long)y);
	if (m)
		buf_printf(b, "%lldM", (long long)m);
	if (d)
		buf_printf(b, "%lldD", (long long)d);
	if (t) {
		buf_putc(b, 'T');
		int64_t h = t / 3600000000LL, mi = t / 60000000 % 60, s = t / 1000000 % 60, f = t % 1000000;
		if (h)
			buf_printf(b, "%lldH", (long long)h);
		if (mi)
			buf_printf(b, "%lldM", (long long)mi);
		if (s || f) {
			if (s < 0 || f < 0)
				buf_putc(b, '-');
			buf_printf(b, "%lld", (long long)(s < 0 ? -s : s));
			if (f) {
				char fs[8];
				snprintf(fs, sizeof fs, "%06lld", (long long)(f < 0 ? -f : f));
				int k = 6;
				while (fs[k - 1] == '0')
					k--;
				buf_printf(b, ".%.*s", k, fs);
			}
			buf_putc(b, 'S');
		}
	}
}

static void gen_bytea(rd *r, buf *b)
{
	buf_puts(b, "\\x");
	unsigned c = u8(r);
	if (c < 16) {
		for (const char *p = PLACEHOLDER; *p; p++)
			buf_printf(b, "%02x", (unsigned char)*p);
		return;
	}
	size_t n = c < 240 ? below(r, 20) : below(r, 2000);
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%02x", u8(r));
}

static void gen_uuid(rd *r, buf *b)
{
	unsigned c = u8(r);
	if (c < 16) {
		buf_puts(b, c & 1 ? "b68a35a7-17ad-35b3-af2a-ae46edb4545a" : "00000000-0000-0000-0000-000000000000");
		return;
	}
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf_putc(b, '-');
		buf_printf(b, "%02x", u8(r));
	}
}

static void gen_scalar(rd *r, const char *t, buf *b);

/* One element of an array, as array_out quotes it. */
static void put_elem(buf *b, const char *s, size_t n)
{
	bool q = n == 0 || (n == 4 && !strncasecmp(s, "NULL", 4));
	for (size_t i = 0; i < n && !q; i++)
		q = strchr("\"\\{},", s[i]) || s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r');
	if (!q) {
		buf_append(b, s, n);
		return;
	}
	buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_putc(b, '\\');
		buf_putc(b, s[i]);
	}
	buf_putc(b, '"');
}

static void gen_array(rd *r, const char *elem, buf *b)
{
	unsigned c = u8(r);
	if (c < 12) {
		/* the placeholder in an array's forms (man/dbrepl-debezium.5) */
		ptype pt;
		classify(elem, &pt);
		if (pt.k == K_INT2 || pt.k == K_INT4 || pt.k == K_INT8) {
			static const char ph[] = PLACEHOLDER;
			buf_putc(b, '{');
			for (size_t i = 0; ph[i]; i++)
				buf_printf(b, "%s%d", i ? "," : "", ph[i]);
			buf_putc(b, '}');
			return;
		}
		if (pt.k == K_BYTEA) {
			buf_puts(b, "{\"\\\\x");
			for (const char *p = PLACEHOLDER; *p; p++)
				buf_printf(b, "%02x", (unsigned char)*p);
			buf_puts(b, "\"}");
			return;
		}
		buf_puts(b, c & 1 ? "{" PLACEHOLDER "}" : "{b68a35a7-17ad-35b3-af2a-ae46edb4545a}");
		return;
	}
	if (c < 16) {
		buf_puts(b, c & 1 ? "{{1,2},{3,4}}" : "[0:1]={1,2}");
		return;
	}
	size_t n = below(r, 6);
	buf_putc(b, '{');
	buf e;
	buf_init(&e, 0);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(b, ',');
		if (u8(r) < 30) {
			buf_puts(b, "NULL");
			continue;
		}
		buf_reset(&e);
		gen_scalar(r, elem, &e);
		put_elem(b, e.data ? e.data : "", e.len);
	}
	buf_free(&e);
	buf_putc(b, '}');
}

static void gen_scalar(rd *r, const char *t, buf *b)
{
	size_t n = strlen(t);
	if (n > 2 && !strcmp(t + n - 2, "[]")) {
		char base[RECORD_NAME_MAX + 1];
		snprintf(base, sizeof base, "%.*s", (int)(n - 2), t);
		gen_array(r, base, b);
		return;
	}
	ptype pt;
	classify(t, &pt);
	buf pg;
	switch (pt.k) {
	case K_INT2: gen_int(r, b, INT16_MIN, INT16_MAX); return;
	case K_INT4: gen_int(r, b, INT32_MIN, INT32_MAX); return;
	case K_INT8: gen_int(r, b, INT64_MIN, INT64_MAX); return;
	case K_OID: gen_int(r, b, 0, UINT32_MAX); return;
	case K_FLOAT4: gen_float(r, b, false); return;
	case K_FLOAT8: gen_float(r, b, true); return;
	case K_BOOL: buf_putc(b, u8(r) & 1 ? 't' : 'f'); return;
	case K_NUMERIC:
		if (pt.neg_scale) {
			/* a negative scale: a multiple of 10^-s, as PostgreSQL
			 * rounds it */
			gen_int(r, b, -999, 999);
			if (strcmp(b->data + b->len - 1, "0") || b->len != 1)
				for (int i = 0; i < -pt.s; i++)
					buf_putc(b, '0');
			return;
		}
		gen_numeric(r, b, pt.tm, pt.p, pt.s);
		return;
	case K_MONEY: gen_money(r, b); return;
	case K_DATE: gen_date(r, b); return;
	case K_TIME:
	case K_TIMETZ:
		buf_init(&pg, 0);
		gen_pg_time(r, &pg, pt.prec);
		if (pt.k == K_TIMETZ)
			gen_offset(r, &pg);
		normalize(pt.k == K_TIME ? PGVALUE_TIME : PGVALUE_TIMETZ, &pg, b);
		buf_free(&pg);
		return;
	case K_TS: gen_timestamp(r, b, pt.prec, false); return;
	case K_TSTZ: gen_timestamp(r, b, pt.prec, true); return;
	case K_INTERVAL: gen_interval(r, b); return;
	case K_BYTEA: gen_bytea(r, b); return;
	case K_STR:
		if (!strcmp(t, "uuid")) {
			gen_uuid(r, b);
			return;
		}
		gen_text(r, b);
		return;
	}
}

static const char *const scalar_types[] = {
	"smallint", "integer", "bigint", "oid", "real", "double precision", "boolean", "numeric", "numeric(P,S)",
	"money", "date", "time without time zone", "time(P) without time zone", "time with time zone",
	"time(P) with time zone", "timestamp without time zone", "timestamp(P) without time zone",
	"timestamp with time zone", "timestamp(P) with time zone", "interval", "bytea", "uuid", "json", "jsonb",
	"xml", "text", "character varying(20)", "character varying", "character(5)", "\"char\"", "name", "citext",
	"inet", "macaddr", "int4range", "tstzrange", "ltree", "tsvector", "mood", "bit(3)", "hstore", "point",
	"numeric(2,-3)", "interval year to month",
};

static void gen_type(rd *r, char *out, size_t cap)
{
	const size_t nt = sizeof scalar_types / sizeof scalar_types[0];
	const char *t = scalar_types[below(r, nt)];
	bool arr = (u8(r) & 7) == 0;
	char tmp[128];
	if (strstr(t, "(P,S)")) {
		unsigned c = u8(r);
		int p = c < 128 ? 1 + (int)below(r, 38) : 1 + (int)below(r, 1000);
		int s = (u8(r) & 3) == 0 ? (int)below(r, (uint64_t)p + 3) : (int)below(r, (uint64_t)p + 1);
		snprintf(tmp, sizeof tmp, "numeric(%d,%d)", p, s);
	} else if (strstr(t, "(P)")) {
		const char *paren = strstr(t, "(P)");
		snprintf(tmp, sizeof tmp, "%.*s(%d)%s", (int)(paren - t), t, (int)below(r, 7), paren + 3);
	} else {
		snprintf(tmp, sizeof tmp, "%s", t);
	}
	snprintf(out, cap, "%s%s", tmp, arr ? "[]" : "");
}

static void gen_name(rd *r, buf *b, const char *dflt, size_t i)
{
	unsigned c = u8(r);
	if (c < 224) {
		buf_printf(b, "%s%zu", dflt, i);
		return;
	}
	gen_text(r, b);
	if (b->len == 0)
		buf_printf(b, "%s%zu", dflt, i);
	if (b->len > RECORD_NAME_MAX)
		b->len = RECORD_NAME_MAX;
	while (b->len && (utf8_valid_prefix((const unsigned char *)b->data, b->len) != b->len))
		b->len--;
	if (!b->len)
		buf_printf(b, "%s%zu", dflt, i);
}

static void sanitize_utf8(buf *b)
{
	/* cut at the first invalid sequence or NUL */
	size_t ok = b->len ? utf8_valid_prefix((const unsigned char *)b->data, b->len) : 0;
	b->len = ok;
	for (size_t i = 0; i < b->len; i++)
		if (!b->data[i])
			b->data[i] = ' ';
}

/* Builds a record from the bytes; 0 or -1 (nothing to check). */
static int build_record(rd *r, record *rec)
{
	static const char ops[] = "cudrt";
	char op = ops[below(r, 5)];
	size_t ncols = 1 + (u8(r) < 240 ? below(r, 8) : below(r, 40));
	rec->op = op;
	buf db, sc, tb;
	buf_init(&db, 0);
	buf_init(&sc, 0);
	buf_init(&tb, 0);
	gen_name(r, &db, "db", 0);
	gen_name(r, &sc, "s", 0);
	gen_name(r, &tb, "t", below(r, 3));
	buf_terminate(&db);
	buf_terminate(&sc);
	buf_terminate(&tb);
	int rc = record_set_table(rec, db.data, sc.data, tb.data);
	buf_free(&db);
	buf_free(&sc);
	buf_free(&tb);
	bool has_before = op == 'd' || (op == 'u' && (u8(r) & 1));
	bool has_after = op == 'c' || op == 'r' || op == 'u';
	if (rc < 0 || record_set_shape(rec, ncols, has_before, has_after) < 0)
		return -1;
	size_t maxk = ncols < 3 ? ncols : (u8(r) < 224 ? 3 : ncols);
	size_t nkeys = below(r, maxk + 1);
	uint16_t keys[64];
	for (size_t k = 0; k < nkeys; k++)
		keys[k] = (uint16_t)(k == 0 ? below(r, ncols) : (keys[k - 1] + 1 + below(r, 2)) % ncols);
	/* distinct */
	size_t nk = 0;
	for (size_t k = 0; k < nkeys; k++) {
		bool dup = false;
		for (size_t j = 0; j < nk; j++)
			dup |= keys[j] == keys[k];
		if (!dup)
			keys[nk++] = keys[k];
	}
	if (record_set_keys(rec, keys, nk) < 0)
		return -1;
	bool key_only_before = has_before && nk > 0 && (u8(r) & 1);
	for (size_t i = 0; i < ncols; i++) {
		char type[160];
		gen_type(r, type, sizeof type);
		buf nm;
		buf_init(&nm, 0);
		gen_name(r, &nm, "c", i);
		buf_terminate(&nm);
		bool key = is_key(rec, i);
		record_mask mk = RECORD_MASK_NONE;
		unsigned m = u8(r);
		if (!key && m < 8)
			mk = RECORD_MASK_EXCLUDED;
		else if (!key && m < 12)
			mk = RECORD_MASK_FIXED, strcpy(type, "text");
		else if (m < 16)
			mk = RECORD_MASK_SHA256, strcpy(type, "character(64)");
		rc = record_set_column(rec, i, nm.data, type);
		buf_free(&nm);
		if (rc < 0 || (mk && record_set_column_mask(rec, i, mk) < 0))
			return -1;
		for (int img = 0; img < 2; img++) {
			record_value *slots = img ? (has_after ? rec->after : NULL) : (has_before ? rec->before : NULL);
			if (!slots)
				continue;
			if (mk == RECORD_MASK_EXCLUDED || (!img && key_only_before && !key))
				continue; /* ABSENT */
			unsigned c = u8(r);
			if (c < 24) {
				record_set_value(rec, slots, i, VALUE_NULL, NULL, 0);
				continue;
			}
			if (img && op == 'u' && !key && c < 48) {
				record_set_value(rec, slots, i, VALUE_UNCHANGED, NULL, 0);
				continue;
			}
			/* an update's before often equals its after but for some */
			buf v;
			buf_init(&v, 0);
			if (mk == RECORD_MASK_SHA256) {
				for (int k = 0; k < 32; k++)
					buf_printf(&v, "%02x", u8(r));
			} else if (mk == RECORD_MASK_FIXED) {
				buf_puts(&v, "***");
			} else if (c >= 248) {
				/* now and then a text PostgreSQL would not print for the
				 * type (another producer's record): it must come back
				 * as it was, or be refused */
				if (c & 1)
					gen_text(r, &v);
				else {
					gen_scalar(r, type, &v);
					if (v.len)
						v.data[below(r, v.len)] = "x9-:.e+ Z{},\"P"[u8(r) % 14];
				}
			} else {
				gen_scalar(r, type, &v);
			}
			sanitize_utf8(&v);
			if (record_set_value(rec, slots, i, VALUE_TEXT, v.data ? v.data : "", v.len) < 0) {
				buf_free(&v);
				return -1;
			}
			buf_free(&v);
		}
	}
	/* a key change now and then: the after's key like the before's but one */
	if (op == 'u' && has_before && nk && (u8(r) & 1)) {
		for (size_t k = 0; k < nk; k++) {
			record_value *b = &rec->before[keys[k]], *a = &rec->after[keys[k]];
			if (a->kind == VALUE_TEXT && (u8(r) & 1))
				record_set_value(rec, rec->before, keys[k], VALUE_TEXT, a->data, a->len);
			(void)b;
		}
	}
	rec->lsn = (u8(r) & 1) ? below(r, (uint64_t)1 << 40) : un(r, 8) >> 1;
	rec->xid = (uint32_t)un(r, 4);
	/* a commit time the record format writes: years 0000 to 9999 */
	int64_t lo = INT64_C(-62167219200000000), hi = INT64_C(253402300799999999);
	unsigned c = u8(r);
	rec->commit_us = c < 64 ? (int64_t[]){0, -1, 999, 1000000, lo, hi, 1764078000123456, -1000}[c % 8]
				: lo + (int64_t)below(r, (uint64_t)(hi - lo));
	rec->seq = 1 + below(r, 1000);
	snprintf(rec->stream, sizeof rec->stream, "pg/db/slot");
	rec->offset = (pos_offset){.major = rec->lsn, .minor = rec->seq, .lsn = true};
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	record r;
	record_init(&r);
	char err[512];
	bool prefix = false;
	int rc;
	uint8_t b0 = data[0];
	static const int64_t nows[] = {INT64_C(1700000000123456789), 0, -1, 999999999, 1000000000, INT64_MAX,
				       INT64_MIN, INT64_C(-1000000001), 1};
	cur_now = nows[(size + (size > 1 ? data[size - 1] : 0)) % 9];
	if (b0 == '{' || b0 == ' ' || b0 == '\n' || b0 == '\t' || b0 == '\r') {
		rc = record_decode_json(&r, data, size, err, sizeof err);
		prefix = size & 1;
	} else if ((b0 & 0xf0) == 0x80 || b0 == 0xde || b0 == 0xdf) {
		rc = record_decode_msgpack(&r, data, size, err, sizeof err);
		prefix = size & 1;
	} else {
		/* typed: built, then read as a record is (checked) */
		rd in = {data + 1, size - 1};
		prefix = b0 & 1;
		record built;
		record_init(&built);
		rc = build_record(&in, &built);
		buf enc;
		buf_init(&enc, 0);
		if (rc == 0)
			rc = record_encode(&built, RECORD_FORMAT_JSON, &enc);
		if (rc == 0) {
			rc = record_decode_json(&r, enc.data, enc.len, err, sizeof err);
			if (rc != 0 && getenv("FUZZ_DBZ_DEBUG")) {
				fprintf(stderr, "typed record refused: %s\n", err);
				show_record(&built);
			}
		}
		buf_free(&enc);
		record_free(&built);
	}
	if (rc == 0)
		round_trips(&r, prefix);
	record_free(&r);
	return 0;
}
