/* Unit tests for lib/record*.c: the record model, its JSON and msgpack
 * encodings (round trips, exactness, the wire layout), and the messages for
 * bad input. The stream reader/writer are in test_record_io.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

/* ---- helpers ---- */

static void assert_records_equal(const record *a, const record *b)
{
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->op, b->op);
	assert_string_equal(a->db, b->db);
	assert_string_equal(a->schema, b->schema);
	assert_string_equal(a->table, b->table);
	assert_int_equal(a->ncols, b->ncols);
	for (size_t i = 0; i < a->ncols; i++) {
		assert_string_equal(a->cols[i].name, b->cols[i].name);
		assert_string_equal(a->cols[i].type, b->cols[i].type);
		assert_int_equal(record_column_mask(a, i), record_column_mask(b, i));
	}
	assert_int_equal(a->masks != NULL, b->masks != NULL);
	assert_int_equal(a->nkeys, b->nkeys);
	for (size_t i = 0; i < a->nkeys; i++)
		assert_int_equal(a->keys[i], b->keys[i]);
	assert_int_equal(a->has_before, b->has_before);
	assert_int_equal(a->has_after, b->has_after);
	for (int img = 0; img < 2; img++) {
		const record_value *x = img ? a->after : a->before;
		const record_value *y = img ? b->after : b->before;
		if (!(img ? a->has_after : a->has_before))
			continue;
		for (size_t i = 0; i < a->ncols; i++) {
			assert_int_equal(x[i].kind, y[i].kind);
			if (x[i].kind == VALUE_TEXT) {
				assert_int_equal(x[i].len, y[i].len);
				assert_memory_equal(x[i].data, y[i].data, x[i].len);
				assert_int_equal(y[i].data[y[i].len], '\0');
			}
		}
	}
	assert_int_equal(a->lsn, b->lsn);
	assert_int_equal(a->xid, b->xid);
	assert_int_equal(a->commit_us, b->commit_us);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->last, b->last);
	assert_string_equal(a->stream, b->stream);
	assert_int_equal(pos_offset_cmp(a->offset, b->offset), 0);
	assert_int_equal(a->offset.lsn, b->offset.lsn);
}

static void set_text(record *r, record_value *img, size_t i, const char *s)
{
	assert_int_equal(record_set_value(r, img, i, VALUE_TEXT, s, strlen(s)), 0);
}

static void set_src(record *r)
{
	r->lsn = 0x16B3748;
	r->xid = 750;
	assert_int_equal(record_ts_parse("2026-11-25T13:58:45.123456Z", &r->commit_us), 0);
	r->seq = 3;
	strcpy(r->stream, "pg/wwi/dbrepl");
	assert_int_equal(pos_offset_parse("0/16B3748:3", &r->offset), 0);
}

/* The example of the specification. */
static void make_example(record *r)
{
	r->op = RECORD_OP_UPDATE;
	assert_int_equal(record_set_table(r, "wwi", "sales", "orders"), 0);
	assert_int_equal(record_set_shape(r, 3, true, true), 0);
	assert_int_equal(record_set_column(r, 0, "order_id", "integer"), 0);
	assert_int_equal(record_set_column(r, 1, "comments", "text"), 0);
	assert_int_equal(record_set_column(r, 2, "amount", "numeric(18,2)"), 0);
	uint16_t k = 0;
	assert_int_equal(record_set_keys(r, &k, 1), 0);
	set_text(r, r->before, 0, "1");
	set_text(r, r->after, 0, "1");
	assert_int_equal(record_set_value(r, r->after, 1, VALUE_UNCHANGED, NULL, 0), 0);
	set_text(r, r->after, 2, "12.50");
	set_src(r);
}

static const char example_json[] =
	"{\"v\":1,\"op\":\"u\",\"db\":\"wwi\",\"schema\":\"sales\",\"table\":\"orders\","
	"\"cols\":[{\"name\":\"order_id\",\"type\":\"integer\"},{\"name\":\"comments\",\"type\":\"text\"},"
	"{\"name\":\"amount\",\"type\":\"numeric(18,2)\"}],"
	"\"key\":[\"order_id\"],"
	"\"before\":{\"order_id\":1},"
	"\"after\":{\"order_id\":1,\"amount\":\"12.50\"},"
	"\"unchanged\":[\"comments\"],"
	"\"src\":{\"lsn\":\"0/16B3748\",\"xid\":750,\"ts\":\"2026-11-25T13:58:45.123456Z\",\"seq\":3},"
	"\"pos\":{\"stream\":\"pg/wwi/dbrepl\",\"offset\":\"0/16B3748:3\"}}\n";

static char all_bytes_hex[2 + 512 + 1];
static char control_chars[32];
static const char astral[] = "G clef \xf0\x9d\x84\x9e, emoji \xf0\x9f\x98\x80, "
			     "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e, caf\xc3\xa9, \xe2\x80\xa8 end";

/* Every value class and the awkward values of each. */
static const struct {
	const char *name, *type;
	value_kind kind;
	const char *text; /* NULL: use the generated ones below */
} wide[] = {
	{"id", "bigint", VALUE_TEXT, "-9223372036854775808"},
	{"i4", "integer", VALUE_TEXT, "2147483647"},
	{"i2", "smallint", VALUE_TEXT, "0"},
	{"big", "bigint", VALUE_TEXT, "9223372036854775807"},
	{"ok", "boolean", VALUE_TEXT, "t"},
	{"nok", "boolean", VALUE_TEXT, "f"},
	{"exact", "numeric", VALUE_TEXT, "12345678901234567890.123456789012"},
	{"nan", "numeric", VALUE_TEXT, "NaN"},
	{"inf", "double precision", VALUE_TEXT, "Infinity"},
	{"ninf", "real", VALUE_TEXT, "-Infinity"},
	{"f8", "double precision", VALUE_TEXT, "0.1000000000000000055511151231257827"},
	{"bytes", "bytea", VALUE_TEXT, NULL},
	{"nobytes", "bytea", VALUE_TEXT, "\\x"},
	{"uni", "text", VALUE_TEXT, astral},
	{"ctl", "text", VALUE_TEXT, NULL},
	{"quotes", "jsonb", VALUE_TEXT, "{\"a\": \"b\\\\c\", \"d\": [1, 2]}"},
	{"empty", "text", VALUE_TEXT, ""},
	{"nul", "text", VALUE_NULL, NULL},
	{"absent", "text", VALUE_ABSENT, NULL},
	{"toast", "text", VALUE_UNCHANGED, NULL},
	{"ts", "timestamp with time zone", VALUE_TEXT, "2026-11-25T13:58:45.123456Z"},
	{"d", "date", VALUE_TEXT, "0044-03-15 BC"},
	{"iv", "interval", VALUE_TEXT, "P1Y2M3DT4H5M6.5S"},
	{"arr", "integer[]", VALUE_TEXT, "{1,2,NULL}"},
	{"money", "money", VALUE_TEXT, "$1,234.56"},
	{"nullint", "integer", VALUE_NULL, NULL},
	{"nullbool", "boolean", VALUE_NULL, NULL},
	{"nullbytea", "bytea", VALUE_NULL, NULL},
	{"weird \"name\" \xc3\xa9", "text", VALUE_TEXT, "x"},
};
#define NWIDE (sizeof wide / sizeof *wide)

static const char *wide_text(size_t i)
{
	if (wide[i].text)
		return wide[i].text;
	if (strcmp(wide[i].name, "bytes") == 0)
		return all_bytes_hex;
	return control_chars;
}

static void make_wide(record *r, char op)
{
	bool before = op == 'u' || op == 'd', after = op == 'r' || op == 'c' || op == 'u';
	r->op = op;
	assert_int_equal(record_set_table(r, "wwi", "Sales \"X\"", "t\xc3\xa4" "ble"), 0);
	assert_int_equal(record_set_shape(r, op == 't' ? 0 : NWIDE, before, after), 0);
	if (op == 't') {
		set_src(r);
		return;
	}
	for (size_t i = 0; i < NWIDE; i++)
		assert_int_equal(record_set_column(r, i, wide[i].name, wide[i].type), 0);
	uint16_t keys[] = {0, 2};
	assert_int_equal(record_set_keys(r, keys, 2), 0);
	for (size_t i = 0; i < NWIDE; i++) {
		value_kind k = wide[i].kind;
		if (after) {
			if (k == VALUE_UNCHANGED && op != 'u')
				k = VALUE_ABSENT;
			assert_int_equal(record_set_value(r, r->after, i, k, wide_text(i),
							  k == VALUE_TEXT ? strlen(wide_text(i)) : 0), 0);
		}
		if (before) {
			k = wide[i].kind == VALUE_UNCHANGED ? VALUE_ABSENT : wide[i].kind;
			assert_int_equal(record_set_value(r, r->before, i, k, wide_text(i),
							  k == VALUE_TEXT ? strlen(wide_text(i)) : 0), 0);
		}
	}
	set_src(r);
	r->offset.lsn = false; /* a Kafka-form offset, as ksub writes */
	r->offset.major = 123456789;
	r->offset.minor = 0;
	strcpy(r->stream, "kafka/wwi.sales.orders/7");
}

static int setup(void **state)
{
	(void)state;
	all_bytes_hex[0] = '\\';
	all_bytes_hex[1] = 'x';
	for (int b = 0; b < 256; b++)
		snprintf(all_bytes_hex + 2 + 2 * b, 3, "%02x", b);
	for (int c = 1; c < 32; c++)
		control_chars[c - 1] = (char)c;
	control_chars[31] = '\0';
	return 0;
}

static void decode_ok(record *r, const buf *b)
{
	char err[256] = "";
	int rc = record_decode(r, b->data, b->len, err, sizeof err);
	if (rc != 0)
		fail_msg("decode failed: %s", err);
}

/* ---- tests ---- */

static void test_example_layout(void **state)
{
	(void)state;
	record r, d;
	record_init(&r);
	record_init(&d);
	make_example(&r);
	buf b;
	buf_init(&b, 0);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_JSON, &b), 0);
	assert_int_equal(buf_terminate(&b), 0);
	assert_string_equal(b.data, example_json);
	decode_ok(&d, &b);
	assert_records_equal(&r, &d);
	assert_int_equal(d.after[1].kind, VALUE_UNCHANGED);
	assert_int_equal(d.before[1].kind, VALUE_ABSENT);
	assert_int_equal(d.before[2].kind, VALUE_ABSENT);

	buf_reset(&b);
	assert_int_equal(record_encode_key(&r, RECORD_FORMAT_JSON, &b), 0);
	assert_int_equal(buf_terminate(&b), 0);
	assert_string_equal(b.data, "{\"order_id\":1}");

	/* a delete takes its key from before */
	record_clear(&r);
	r.op = 'd';
	assert_int_equal(record_set_table(&r, "wwi", "sales", "orders"), 0);
	assert_int_equal(record_set_shape(&r, 2, true, false), 0);
	assert_int_equal(record_set_column(&r, 0, "a", "text"), 0);
	assert_int_equal(record_set_column(&r, 1, "b", "integer"), 0);
	uint16_t keys[] = {1, 0};
	assert_int_equal(record_set_keys(&r, keys, 2), 0);
	set_text(&r, r.before, 0, "x\"y");
	set_text(&r, r.before, 1, "-7");
	set_src(&r);
	buf_reset(&b);
	assert_int_equal(record_encode_key(&r, RECORD_FORMAT_JSON, &b), 0);
	assert_int_equal(buf_terminate(&b), 0);
	assert_string_equal(b.data, "{\"b\":-7,\"a\":\"x\\\"y\"}");
	buf_reset(&b);
	assert_int_equal(record_encode_key(&r, RECORD_FORMAT_MSGPACK, &b), 0);
	static const unsigned char mp[] = {0x82, 0xa1, 'b', 0xf9, 0xa1, 'a', 0xa3, 'x', '"', 'y'};
	assert_int_equal(b.len, sizeof mp);
	assert_memory_equal(b.data, mp, sizeof mp);

	buf_free(&b);
	record_free(&r);
	record_free(&d);
}

static void round_trip(char op)
{
	record r, d, d2;
	record_init(&r);
	record_init(&d);
	record_init(&d2);
	make_wide(&r, op);
	buf j, m, j2;
	buf_init(&j, 0);
	buf_init(&m, 0);
	buf_init(&j2, 0);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_JSON, &j), 0);
	assert_int_equal(j.data[j.len - 1], '\n');
	assert_null(memchr(j.data, '\n', j.len - 1));
	decode_ok(&d, &j);
	assert_records_equal(&r, &d);

	assert_int_equal(record_encode(&d, RECORD_FORMAT_MSGPACK, &m), 0);
	assert_true((unsigned char)m.data[0] >= 0x80 && (unsigned char)m.data[0] <= 0x8f);
	decode_ok(&d2, &m);
	assert_records_equal(&r, &d2);

	/* JSON -> msgpack -> JSON gives the same bytes */
	assert_int_equal(record_encode(&d2, RECORD_FORMAT_JSON, &j2), 0);
	assert_int_equal(j.len, j2.len);
	assert_memory_equal(j.data, j2.data, j.len);

	/* deep copy */
	record c;
	record_init(&c);
	assert_int_equal(record_copy(&c, &d2), 0);
	record_free(&d2); /* the copy must not share storage */
	assert_records_equal(&r, &c);
	record_free(&c);

	buf_free(&j);
	buf_free(&m);
	buf_free(&j2);
	record_free(&r);
	record_free(&d);
}

static void test_round_trip_all_ops(void **state)
{
	(void)state;
	round_trip('r');
	round_trip('c');
	round_trip('u');
	round_trip('d');
	round_trip('t');
}

static void test_value_encodings(void **state)
{
	(void)state;
	record r;
	record_init(&r);
	make_wide(&r, 'c');
	buf b;
	buf_init(&b, 0);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_JSON, &b), 0);
	assert_int_equal(buf_terminate(&b), 0);
	/* integers as numbers, booleans as literals, the rest as strings */
	assert_non_null(strstr(b.data, "\"id\":-9223372036854775808,"));
	assert_non_null(strstr(b.data, "\"ok\":true,\"nok\":false,"));
	assert_non_null(strstr(b.data, "\"exact\":\"12345678901234567890.123456789012\""));
	assert_non_null(strstr(b.data, "\"nan\":\"NaN\",\"inf\":\"Infinity\",\"ninf\":\"-Infinity\""));
	assert_non_null(strstr(b.data, "\"bytes\":\"\\\\x000102"));
	assert_non_null(strstr(b.data, "fdfeff\",\"nobytes\":\"\\\\x\""));
	assert_non_null(strstr(b.data, astral)); /* UTF-8 passed through */
	assert_non_null(strstr(b.data, "\"ctl\":\"\\u0001\\u0002"));
	assert_non_null(strstr(b.data, "\\u001e\\u001f\""));
	assert_non_null(strstr(b.data, "\"quotes\":\"{\\\"a\\\": \\\"b\\\\\\\\c\\\""));
	assert_non_null(strstr(b.data, "\"empty\":\"\",\"nul\":null,\"ts\""));
	assert_null(strstr(b.data, "\"absent\":"));
	assert_null(strstr(b.data, "\"toast\":"));
	assert_null(strstr(b.data, "\"unchanged\""));
	assert_non_null(strstr(b.data, "\"nullint\":null,\"nullbool\":null,\"nullbytea\":null"));
	assert_non_null(strstr(b.data, "\"weird \\\"name\\\" \xc3\xa9\":\"x\""));
	assert_non_null(strstr(b.data, "\"pos\":{\"stream\":\"kafka/wwi.sales.orders/7\",\"offset\":\"123456789\"}}\n"));

	/* msgpack: bytea as bin, byte for byte */
	buf_reset(&b);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_MSGPACK, &b), 0);
	unsigned char bin[2 + 256];
	bin[0] = 0xc5; /* bin 16 */
	bin[1] = 0x01;
	for (int i = 0; i < 256; i++)
		bin[2 + i] = (unsigned char)i;
	assert_non_null(memmem(b.data, b.len, bin, 1));
	unsigned char bin16[3 + 256];
	bin16[0] = 0xc5;
	bin16[1] = 0x01;
	bin16[2] = 0x00;
	memcpy(bin16 + 3, bin + 2, 256);
	assert_non_null(memmem(b.data, b.len, bin16, sizeof bin16));
	buf_free(&b);
	record_free(&r);
}

static void test_unchanged_absent_null_empty(void **state)
{
	(void)state;
	/* the four states of a slot survive both encodings */
	static const char line[] =
		"{\"v\":1,\"op\":\"u\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\","
		"\"cols\":[{\"name\":\"k\",\"type\":\"integer\"},{\"name\":\"e\",\"type\":\"text\"},"
		"{\"name\":\"n\",\"type\":\"text\"},{\"name\":\"a\",\"type\":\"text\"},{\"name\":\"u\",\"type\":\"text\"}],"
		"\"key\":[\"k\"],\"before\":{\"k\":1},\"after\":{\"k\":1,\"e\":\"\",\"n\":null},\"unchanged\":[\"u\"],"
		"\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00.000000Z\",\"seq\":1},"
		"\"pos\":{\"stream\":\"pg/d/s\",\"offset\":\"0/1:1\"}}";
	record r, d;
	record_init(&r);
	record_init(&d);
	char err[256];
	assert_int_equal(record_decode(&r, line, strlen(line), err, sizeof err), 0);
	assert_int_equal(r.after[0].kind, VALUE_TEXT);
	assert_int_equal(r.after[1].kind, VALUE_TEXT);
	assert_int_equal(r.after[1].len, 0);
	assert_string_equal(r.after[1].data, "");
	assert_int_equal(r.after[2].kind, VALUE_NULL);
	assert_int_equal(r.after[3].kind, VALUE_ABSENT);
	assert_int_equal(r.after[4].kind, VALUE_UNCHANGED);
	for (int i = 1; i < 5; i++)
		assert_int_equal(r.before[i].kind, VALUE_ABSENT);
	assert_int_equal(record_column_index(&r, "u"), 4);
	assert_int_equal(record_column_index(&r, "zz"), -1);
	buf b;
	buf_init(&b, 0);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_MSGPACK, &b), 0);
	decode_ok(&d, &b);
	assert_records_equal(&r, &d);
	buf_reset(&b);
	assert_int_equal(record_encode(&d, RECORD_FORMAT_JSON, &b), 0);
	assert_int_equal(b.len, strlen(line) + 1);
	assert_memory_equal(b.data, line, strlen(line));
	buf_free(&b);
	record_free(&r);
	record_free(&d);
}

static void test_any_field_order(void **state)
{
	(void)state;
	/* jq -S sorts keys: images and key come before cols */
	static const char line[] =
		" {\"after\":{\"n\":\"b\",\"k\":2},\"cols\":[{\"type\":\"integer\",\"name\":\"k\"},{\"name\":\"n\",\"type\":\"text\",\"x\":[1,{}]}],"
		"\"db\":\"d\",\"extra\":{\"future\":[true,null,1.5e3]},\"key\":[\"k\"],\"op\":\"u\","
		"\"pos\":{\"offset\":\"7\",\"stream\":\"kafka/t/0\"},\"schema\":\"s\","
		"\"src\":{\"seq\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"xid\":1,\"lsn\":\"0/1\"},"
		"\"table\":\"t\",\"unchanged\":[],\"v\":1,\"before\":{\"k\":1}} \r\n";
	record r;
	record_init(&r);
	char err[256] = "";
	int rc = record_decode(&r, line, strlen(line), err, sizeof err);
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(r.op, 'u');
	assert_string_equal(r.after[0].data, "2");
	assert_string_equal(r.after[1].data, "b");
	assert_string_equal(r.before[0].data, "1");
	assert_int_equal(r.before[1].kind, VALUE_ABSENT);
	assert_int_equal(r.nkeys, 1);
	assert_int_equal(r.offset.major, 7);
	record_free(&r);
}

/* Plain-number offsets, read where they stand (record_json.c,
 * plain_offset), as pos_offset_parse_n reads them: leading zeros, 19
 * digits; 20 digits and the rest the general way, which takes
 * UINT64_MAX and refuses a letter. */
static void test_plain_offsets(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		uint64_t major;
	} cases[] = {
		{"007", 0, 7},
		{"0", 0, 0},
		{"9999999999999999999", 0, 9999999999999999999ull},
		{"18446744073709551615", 0, UINT64_MAX},
		{"18446744073709551616", -1, 0},
		{"12a", -1, 0},
		{"", -1, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char line[512];
		snprintf(line, sizeof line,
			 "{\"v\":1,\"op\":\"r\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\","
			 "\"cols\":[{\"name\":\"k\",\"type\":\"integer\"}],\"key\":[\"k\"],\"after\":{\"k\":1},"
			 "\"src\":{\"lsn\":\"0/1\",\"xid\":0,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},"
			 "\"pos\":{\"stream\":\"kafka/t/0\",\"offset\":\"%s\"}}",
			 cases[i].text);
		record r;
		record_init(&r);
		char err[256] = "";
		int rc = record_decode(&r, line, strlen(line), err, sizeof err);
		if (rc != cases[i].rc)
			fail_msg("offset \"%s\": rc %d (%s)", cases[i].text, rc, err);
		if (rc == 0) {
			assert_false(r.offset.lsn);
			assert_true(r.offset.major == cases[i].major);
			assert_true(r.offset.minor == 0);
		} else {
			assert_non_null(strstr(err, "not an offset"));
		}
		record_free(&r);
	}
}

/* Column names that differ in one byte, at every position of every length
 * up to 17: the image names the second column first, where the decoder
 * expects the first (the hint), and each value must land in its own
 * column. A comparison of names that skipped a byte would put them in the
 * other's. */
static void test_names_one_byte_apart(void **state)
{
	(void)state;
	record r;
	record_init(&r);
	for (size_t n = 1; n <= 17; n++)
		for (size_t i = 0; i < n; i++) {
			char a[32], b[32], line[512], err[256] = "";
			for (size_t k = 0; k < n; k++)
				a[k] = (char)('a' + k % 26);
			a[n] = '\0';
			memcpy(b, a, n + 1);
			b[i] = 'Z';
			snprintf(line, sizeof line,
				 "{\"v\":1,\"op\":\"c\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\","
				 "\"cols\":[{\"name\":\"%s\",\"type\":\"text\"},{\"name\":\"%s\",\"type\":\"text\"}],"
				 "\"key\":[\"%s\"],\"after\":{\"%s\":\"second\",\"%s\":\"first\"},"
				 "\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},"
				 "\"pos\":{\"stream\":\"kafka/t/0\",\"offset\":\"1\"}}",
				 a, b, a, b, a);
			if (record_decode(&r, line, strlen(line), err, sizeof err))
				fail_msg("length %zu, byte %zu: %s", n, i, err);
			if (strcmp(r.after[0].data, "first") || strcmp(r.after[1].data, "second"))
				fail_msg("length %zu, byte %zu: \"%s\" got \"%s\", \"%s\" got \"%s\"", n, i, a,
					 r.after[0].data, b, r.after[1].data);
		}
	record_free(&r);
}

static void test_wide_table(void **state)
{
	(void)state;
	/* RECORD_MAX_COLUMNS columns, images in reverse order (the hash path) */
	record r, d;
	record_init(&r);
	record_init(&d);
	r.op = 'c';
	assert_int_equal(record_set_table(&r, "d", "s", "t"), 0);
	assert_int_equal(record_set_shape(&r, RECORD_MAX_COLUMNS, false, true), 0);
	for (size_t i = 0; i < RECORD_MAX_COLUMNS; i++) {
		char name[32], v[32];
		snprintf(name, sizeof name, "c%zu", i);
		snprintf(v, sizeof v, "%zu", i * 7);
		assert_int_equal(record_set_column(&r, i, name, "bigint"), 0);
		set_text(&r, r.after, i, v);
	}
	set_src(&r);
	buf b;
	buf_init(&b, 0);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_JSON, &b), 0);
	decode_ok(&d, &b);
	assert_records_equal(&r, &d);
	assert_int_equal(record_set_shape(&r, RECORD_MAX_COLUMNS + 1, false, true), -1);
	buf_free(&b);
	record_free(&r);
	record_free(&d);
}

static void test_producer_errors(void **state)
{
	(void)state;
	record r;
	record_init(&r);
	buf b;
	buf_init(&b, 0);
	/* an integer column holding text, a bad boolean, bad bytea, bad UTF-8 */
	const struct {
		const char *type, *text;
	} bad[] = {{"integer", "abc"}, {"bigint", "99999999999999999999"}, {"integer", "01"},
		   {"boolean", "true"}, {"bytea", "\\x0"}, {"bytea", "0102"}, {"text", "a\xff"},
		   {"text", "\xc0\x80"}, {"text", "\xed\xa0\x80"}};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		for (int f = 0; f < 2; f++) {
			record_clear(&r);
			r.op = 'c';
			assert_int_equal(record_set_table(&r, "d", "s", "t"), 0);
			assert_int_equal(record_set_shape(&r, 1, false, true), 0);
			assert_int_equal(record_set_column(&r, 0, "c", bad[i].type), 0);
			set_text(&r, r.after, 0, bad[i].text);
			set_src(&r);
			buf_reset(&b);
			assert_int_equal(buf_puts(&b, "keep"), 0);
			assert_int_equal(record_encode(&r, f ? RECORD_FORMAT_MSGPACK : RECORD_FORMAT_JSON, &b), -1);
			assert_int_equal(b.len, 4); /* nothing half-written */
		}
	}
	/* names longer than the limit */
	char longname[RECORD_NAME_MAX + 2];
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	record_clear(&r);
	r.op = 'c';
	assert_int_equal(record_set_table(&r, "d", "s", longname), 0);
	assert_int_equal(record_set_shape(&r, 0, false, true), 0);
	set_src(&r);
	buf_reset(&b);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_JSON, &b), -1);
	buf_free(&b);
	record_free(&r);
}

/* ---- bad input ---- */

static const char good_head[] = "{\"v\":1,\"op\":\"c\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",";
static const char good_cols[] = "\"cols\":[{\"name\":\"k\",\"type\":\"integer\"},{\"name\":\"x\",\"type\":\"text\"},{\"name\":\"b\",\"type\":\"bytea\"}],\"key\":[\"k\"],";
static const char good_tail[] = "\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},"
				"\"pos\":{\"stream\":\"pg/d/s\",\"offset\":\"0/1:1\"}}";

static void expect_bad(const char *what, const char *text, size_t len, const char *msg)
{
	record r;
	record_init(&r);
	char err[512] = "";
	int rc = record_decode(&r, text, len, err, sizeof err);
	if (rc != -1)
		fail_msg("%s: accepted", what);
	if (!strstr(err, msg))
		fail_msg("%s: message \"%s\" lacks \"%s\"", what, err, msg);
	/* the JSON decoder directly gives the same answer */
	if (len && text[0] == '{') {
		assert_int_equal(record_decode_json(&r, text, len, err, sizeof err), -1);
		assert_non_null(strstr(err, msg));
	}
	record_free(&r);
}

static void bad_json(const char *what, const char *head, const char *cols, const char *middle,
		     const char *tail, const char *msg)
{
	char line[4096];
	snprintf(line, sizeof line, "%s%s%s%s", head, cols, middle, tail);
	expect_bad(what, line, strlen(line), msg);
}

static void test_bad_json(void **state)
{
	(void)state;
	/* sanity: the parts make a good record */
	char line[4096];
	snprintf(line, sizeof line, "%s%s%s%s", good_head, good_cols, "\"after\":{\"k\":1},", good_tail);
	record r;
	record_init(&r);
	char err[256];
	assert_int_equal(record_decode(&r, line, strlen(line), err, sizeof err), 0);
	record_free(&r);

	/* truncated */
	expect_bad("truncated", line, strlen(line) - 5, "truncated");
	expect_bad("truncated in string", line, 60, "truncated");
	expect_bad("empty", "", 0, "empty");
	expect_bad("not json", "hello", 5, "neither");
	expect_bad("trailing", "{\"v\":1} x", 9, "trailing data");

	bad_json("op number", "{\"v\":1,\"op\":5,\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",", good_cols,
		 "\"after\":{\"k\":1},", good_tail, "\"op\": expected one of");
	bad_json("op word", "{\"v\":1,\"op\":\"x\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",", good_cols,
		 "\"after\":{\"k\":1},", good_tail, "got \"x\"");
	bad_json("version", "{\"v\":2,\"op\":\"c\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",", good_cols,
		 "\"after\":{\"k\":1},", good_tail, "unsupported format version 2");
	bad_json("cols object", good_head, "\"cols\":{\"name\":\"k\"},\"key\":[],", "\"after\":{},", good_tail,
		 "\"cols\" is not an array");
	bad_json("integer as string", good_head, good_cols, "\"after\":{\"k\":\"abc\"},", good_tail,
		 "column \"k\" (integer): expected an integer, got a string");
	bad_json("integer fraction", good_head, good_cols, "\"after\":{\"k\":1.5},", good_tail,
		 "is not a 64-bit integer");
	bad_json("integer overflow", good_head, good_cols, "\"after\":{\"k\":9223372036854775808},", good_tail,
		 "is not a 64-bit integer");
	bad_json("text as number", good_head, good_cols, "\"after\":{\"k\":1,\"x\":5},", good_tail,
		 "column \"x\" (text): expected a string, got a number");
	bad_json("bytea not hex", good_head, good_cols, "\"after\":{\"k\":1,\"b\":\"\\\\xzz\"},", good_tail,
		 "column \"b\" (bytea)");
	bad_json("invalid UTF-8", good_head, good_cols, "\"after\":{\"k\":1,\"x\":\"a\xc3\"},", good_tail,
		 "invalid UTF-8");
	bad_json("overlong UTF-8", good_head, good_cols, "\"after\":{\"k\":1,\"x\":\"\xc0\xaf\"},", good_tail,
		 "invalid UTF-8");
	bad_json("surrogate UTF-8", good_head, good_cols, "\"after\":{\"k\":1,\"x\":\"\xed\xb0\x80\"},", good_tail,
		 "invalid UTF-8");
	bad_json("lone surrogate", good_head, good_cols, "\"after\":{\"k\":1,\"x\":\"\\ud800x\"},", good_tail,
		 "lone surrogate");
	bad_json("U+0000", good_head, good_cols, "\"after\":{\"k\":1,\"x\":\"a\\u0000\"},", good_tail, "U+0000");
	bad_json("raw control", good_head, good_cols, "\"after\":{\"k\":1,\"x\":\"a\tb\"},", good_tail,
		 "control character");
	bad_json("bad escape", good_head, good_cols, "\"after\":{\"k\":1,\"x\":\"a\\qb\"},", good_tail,
		 "bad escape");
	bad_json("unknown column", good_head, good_cols, "\"after\":{\"k\":1,\"nope\":\"x\"},", good_tail,
		 "\"after\" names column \"nope\" that is not in \"cols\"");
	bad_json("unknown before column", "{\"v\":1,\"op\":\"d\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",",
		 good_cols, "\"before\":{\"zz\":1},", good_tail,
		 "\"before\" names column \"zz\" that is not in \"cols\"");
	bad_json("unknown key column", good_head,
		 "\"cols\":[{\"name\":\"k\",\"type\":\"integer\"}],\"key\":[\"q\"],", "\"after\":{\"k\":1},",
		 good_tail, "\"key\" names column \"q\"");
	bad_json("unknown unchanged column", "{\"v\":1,\"op\":\"u\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",",
		 good_cols, "\"after\":{\"k\":1},\"unchanged\":[\"w\"],", good_tail,
		 "\"unchanged\" names column \"w\"");
	bad_json("unchanged in insert", good_head, good_cols, "\"after\":{\"k\":1},\"unchanged\":[\"x\"],",
		 good_tail, "\"unchanged\" is only for op \"u\"");
	bad_json("after and unchanged", "{\"v\":1,\"op\":\"u\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",",
		 good_cols, "\"after\":{\"k\":1,\"x\":\"a\"},\"unchanged\":[\"x\"],", good_tail,
		 "both in \"after\" and in \"unchanged\"");
	bad_json("column twice in image", good_head, good_cols, "\"after\":{\"k\":1,\"k\":2},", good_tail,
		 "names column \"k\" twice");
	bad_json("duplicate column", good_head,
		 "\"cols\":[{\"name\":\"k\",\"type\":\"integer\"},{\"name\":\"k\",\"type\":\"text\"}],\"key\":[],",
		 "\"after\":{},", good_tail, "appears twice in cols");
	bad_json("duplicate field", good_head, good_cols, "\"after\":{\"k\":1},\"db\":\"e\",", good_tail,
		 "duplicate key \"db\"");
	bad_json("missing pos", good_head, good_cols, "\"after\":{\"k\":1},",
		 "\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1}}",
		 "missing \"pos\"");
	bad_json("insert with before", good_head, good_cols, "\"before\":{\"k\":1},\"after\":{\"k\":1},", good_tail,
		 "op \"c\" needs \"after\" and no \"before\"");
	bad_json("insert without after", good_head, good_cols, "", good_tail, "op \"c\" needs \"after\"");
	bad_json("bad lsn", good_head, good_cols, "\"after\":{\"k\":1},",
		 "\"src\":{\"lsn\":\"zz\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},"
		 "\"pos\":{\"stream\":\"pg/d/s\",\"offset\":\"0/1:1\"}}", "\"src.lsn\"");
	bad_json("bad ts", good_head, good_cols, "\"after\":{\"k\":1},",
		 "\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-02-30T00:00:00Z\",\"seq\":1},"
		 "\"pos\":{\"stream\":\"pg/d/s\",\"offset\":\"0/1:1\"}}", "\"src.ts\"");
	bad_json("xid too big", good_head, good_cols, "\"after\":{\"k\":1},",
		 "\"src\":{\"lsn\":\"0/1\",\"xid\":4294967296,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},"
		 "\"pos\":{\"stream\":\"pg/d/s\",\"offset\":\"0/1:1\"}}", "out of range");
	bad_json("bad stream", good_head, good_cols, "\"after\":{\"k\":1},",
		 "\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},"
		 "\"pos\":{\"stream\":\"has space\",\"offset\":\"0/1:1\"}}", "not a stream name");
	bad_json("bad offset", good_head, good_cols, "\"after\":{\"k\":1},",
		 "\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},"
		 "\"pos\":{\"stream\":\"pg/d/s\",\"offset\":\"-1\"}}", "not an offset");
	bad_json("empty table", "{\"v\":1,\"op\":\"c\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"\",", good_cols,
		 "\"after\":{\"k\":1},", good_tail, "empty \"table\"");

	/* names longer than RECORD_NAME_MAX */
	char big[RECORD_NAME_MAX + 2];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	char cols[1024], mid[1024];
	snprintf(cols, sizeof cols, "\"cols\":[{\"name\":\"%s\",\"type\":\"text\"}],\"key\":[],", big);
	bad_json("long column name", good_head, cols, "\"after\":{},", good_tail, "column name longer than 256 bytes");
	snprintf(cols, sizeof cols, "\"cols\":[{\"name\":\"k\",\"type\":\"%s\"}],\"key\":[],", big);
	bad_json("long type", good_head, cols, "\"after\":{},", good_tail, "column type longer than 256 bytes");
	snprintf(mid, sizeof mid, "\"after\":{\"%s\":1},", big);
	bad_json("long name in image", good_head, good_cols, mid, good_tail, "longer than 256 bytes");
	/* a 256-byte name is fine, also when escaped */
	big[RECORD_NAME_MAX] = '\0';
	snprintf(cols, sizeof cols, "\"cols\":[{\"name\":\"%s\",\"type\":\"text\"}],\"key\":[],", big);
	snprintf(line, sizeof line, "%s%s%s%s", good_head, cols, "\"after\":{},", good_tail);
	record_init(&r);
	assert_int_equal(record_decode(&r, line, strlen(line), err, sizeof err), 0);
	record_free(&r);

	/* nesting bomb in an ignored field */
	char deep[512];
	snprintf(deep, sizeof deep, "{\"zz\":%.*s", 100, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
	expect_bad("deep", deep, strlen(deep), "nesting deeper");
}

/* src.last: written only when true, in both encodings, read back in any
 * order; false when absent or false; refused when not a boolean or twice. */
static void test_last_marker(void **state)
{
	(void)state;
	record r, d;
	record_init(&r);
	record_init(&d);
	make_example(&r);
	r.last = true;
	buf b;
	buf_init(&b, 0);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_JSON, &b), 0);
	assert_int_equal(buf_terminate(&b), 0);
	assert_non_null(strstr(b.data, "\"seq\":3,\"last\":true},\"pos\""));
	decode_ok(&d, &b);
	assert_true(d.last);
	assert_records_equal(&r, &d);
	buf_reset(&b);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_MSGPACK, &b), 0);
	static const char mp_src[] = "\xa3src\x85\xa3lsn";
	assert_non_null(memmem(b.data, b.len, mp_src, sizeof mp_src - 1));
	assert_non_null(memmem(b.data, b.len, "\xa4last\xc3\xa3pos", 10));
	record_clear(&d);
	decode_ok(&d, &b);
	assert_records_equal(&r, &d);
	/* the same record without it: no key written, false read */
	r.last = false;
	buf_reset(&b);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_JSON, &b), 0);
	assert_null(memmem(b.data, b.len, "last", 4));
	record_clear(&d);
	d.last = true;
	decode_ok(&d, &b);
	assert_false(d.last);
	buf_reset(&b);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_MSGPACK, &b), 0);
	assert_null(memmem(b.data, b.len, "last", 4));
	record_clear(&d);
	decode_ok(&d, &b);
	assert_false(d.last);

	/* other orders and forms */
	char line[4096];
	static const char *const srcs[][2] = {
		{"\"src\":{\"last\":true,\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},", "t"},
		{"\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1, \"last\" : false },", "f"},
		{"\"src\":{\"lsn\":\"0/1\",\"last\":true,\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},", "t"},
		{"\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1,\"more\":[1],\"last\":true},", "t"},
		{"\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1,\"last\":1},", "expected true or false"},
		{"\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1,\"last\":\"true\"},", "expected true or false"},
		{"\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1,\"last\":true,\"last\":true},", "duplicate key \"src.last\""},
		{"\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1,\"last\":tru},", "invalid token"},
	};
	for (size_t i = 0; i < sizeof srcs / sizeof srcs[0]; i++) {
		snprintf(line, sizeof line, "%s%s\"after\":{\"k\":1},%s\"pos\":{\"stream\":\"pg/d/s\",\"offset\":\"0/1:1\"}}",
			 good_head, good_cols, srcs[i][0]);
		if (srcs[i][1][1] == '\0') {
			char err[256] = "";
			record_clear(&d);
			if (record_decode(&d, line, strlen(line), err, sizeof err) != 0)
				fail_msg("case %zu: %s", i, err);
			assert_int_equal(d.last, srcs[i][1][0] == 't');
			/* and through msgpack */
			buf_reset(&b);
			assert_int_equal(record_encode(&d, RECORD_FORMAT_MSGPACK, &b), 0);
			bool want = d.last;
			record_clear(&d);
			decode_ok(&d, &b);
			assert_int_equal(d.last, want);
		} else {
			expect_bad(srcs[i][0], line, strlen(line), srcs[i][1]);
		}
	}
	/* msgpack: a boolean only */
	r.last = true;
	buf_reset(&b);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_MSGPACK, &b), 0);
	char *at = memmem(b.data, b.len, "\xa4last\xc3", 6);
	assert_non_null(at);
	at[5] = 0x01; /* positive fixint 1 */
	expect_bad("msgpack last 1", b.data, b.len, "\"src.last\": expected a boolean, got");
	buf_free(&b);
	record_free(&r);
	record_free(&d);
}

static void test_bad_msgpack(void **state)
{
	(void)state;
	record r;
	record_init(&r);
	make_example(&r);
	buf b;
	buf_init(&b, 0);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_MSGPACK, &b), 0);
	record_free(&r);

	/* every truncation of a good record is refused */
	for (size_t n = 1; n < b.len; n++)
		expect_bad("msgpack truncated", b.data, n, "");
	char err[256];
	record_init(&r);
	assert_int_equal(record_decode(&r, b.data, b.len - 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "truncated"));

	static const unsigned char c1[] = {0x81, 0xc1, 0x00};
	expect_bad("0xc1", (const char *)c1, sizeof c1, "0xc1");
	static const unsigned char huge_array[] = {0x81, 0xa4, 'c', 'o', 'l', 's', 0xdd, 0xff, 0xff, 0xff, 0xff};
	expect_bad("huge array", (const char *)huge_array, sizeof huge_array, "more than 1600 columns");
	static const unsigned char huge_str[] = {0x81, 0xdb, 0xff, 0xff, 0xff, 0xf0, 'a'};
	expect_bad("huge str", (const char *)huge_str, sizeof huge_str, "truncated");
	static const unsigned char op5[] = {0x82, 0xa1, 'v', 0x01, 0xa2, 'o', 'p', 0x05};
	expect_bad("op 5", (const char *)op5, sizeof op5, "\"op\": expected one of");
	static const unsigned char notmap[] = {0x93, 0x01, 0x02, 0x03};
	expect_bad("array", (const char *)notmap, sizeof notmap, "neither");
	static const unsigned char badkey[] = {0x81, 0xa2, 0xff, 0xfe, 0x01};
	expect_bad("key bad UTF-8", (const char *)badkey, sizeof badkey, "invalid UTF-8");

	/* wrong types of values: swap the integer 1 of after for a str */
	buf_reset(&b);
	make_example(&r);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_MSGPACK, &b), 0);
	const char *after = memmem(b.data, b.len, "\xa5" "after", 6);
	assert_non_null(after);
	const char *one = memmem(after, b.len - (size_t)(after - b.data), "\xa8order_id\x01", 10);
	assert_non_null(one);
	buf c;
	buf_init(&c, 0);
	assert_int_equal(buf_append(&c, b.data, (size_t)(one - b.data) + 9), 0);
	assert_int_equal(buf_append(&c, "\xa3" "abc", 4), 0);
	assert_int_equal(buf_append(&c, one + 10, b.len - (size_t)(one + 10 - b.data)), 0);
	expect_bad("integer as str", c.data, c.len, "column \"order_id\" (integer): expected an integer, got str");
	/* and a column not in cols */
	buf_reset(&c);
	assert_int_equal(buf_append(&c, b.data, b.len), 0);
	char *name = memmem(c.data + (after - b.data), c.len - (size_t)(after - b.data), "order_id", 8);
	name[0] = 'X';
	expect_bad("column not in cols", c.data, c.len, "\"after\" names column \"Xrder_id\" that is not in \"cols\"");
	buf_free(&c);
	/* random garbage never crashes and is refused or decoded */
	srand(7);
	for (int i = 0; i < 20000; i++) {
		unsigned char g[64];
		size_t n = (size_t)(rand() % 64) + 1;
		for (size_t k = 0; k < n; k++)
			g[k] = (unsigned char)rand();
		g[0] = (unsigned char)(0x80 | (g[0] & 0x0f));
		(void)record_decode(&r, g, n, err, sizeof err);
	}
	/* flipping any byte of a good record never crashes */
	buf_reset(&b);
	make_example(&r);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_MSGPACK, &b), 0);
	for (size_t i = 0; i < b.len; i++)
		for (int v = 0; v < 256; v += 5) {
			char save = b.data[i];
			b.data[i] = (char)v;
			(void)record_decode(&r, b.data, b.len, err, sizeof err);
			b.data[i] = save;
		}
	buf_free(&b);
	record_free(&r);
}

static void test_msgpack_unknown_fields(void **state)
{
	(void)state;
	/* a later version may add fields of any msgpack type: they are skipped */
	record r, d;
	record_init(&r);
	record_init(&d);
	make_example(&r);
	buf b;
	buf_init(&b, 0);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_MSGPACK, &b), 0);
	assert_int_equal((unsigned char)b.data[0], 0x8c); /* twelve fields */
	b.data[0] = (char)0x8d;
	static const unsigned char extra[] = {
		0xa2, 'z', 'z', 0xdc, 0x00, 30,
		0xca, 0x3f, 0x80, 0x00, 0x00,                         /* float32 1.0 */
		0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0,                   /* float64 1.0 */
		0xd4, 0x01, 0xaa,                                     /* fixext 1 */
		0xd5, 0x01, 0xaa, 0xbb,                               /* fixext 2 */
		0xd6, 0x01, 1, 2, 3, 4,                               /* fixext 4 */
		0xd7, 0xff, 1, 2, 3, 4, 5, 6, 7, 8,                   /* timestamp 64 */
		0xd8, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		0xc7, 0x02, 0x01, 0xaa, 0xbb,                         /* ext 8 */
		0xc8, 0x00, 0x01, 0x01, 0xaa,                         /* ext 16 */
		0xc9, 0x00, 0x00, 0x00, 0x00, 0x01,                   /* ext 32, empty */
		0xc4, 0x02, 0x00, 0xff,                               /* bin 8 */
		0xc5, 0x00, 0x00,                                     /* bin 16 */
		0xc6, 0x00, 0x00, 0x00, 0x01, 0x00,                   /* bin 32 */
		0xc0, 0xc3, 0xc2,                                     /* nil true false */
		0xd0, 0x80, 0xd1, 0x80, 0x00,                         /* int 8, 16 */
		0xd2, 0x80, 0, 0, 0, 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0, /* int 32, 64 */
		0xcc, 0xff, 0xcd, 0xff, 0xff,                         /* uint 8, 16 */
		0xce, 0xff, 0xff, 0xff, 0xff,                         /* uint 32 */
		0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* uint 64 */
		0xd9, 0x01, 'x', 0xda, 0x00, 0x01, 'y', 0xdb, 0, 0, 0, 1, 'z', /* str 8/16/32 */
		0xde, 0x00, 0x01, 0xa1, 'k', 0x90,                    /* map 16 */
		0xdf, 0x00, 0x00, 0x00, 0x00,                         /* map 32, empty */
		0xdd, 0x00, 0x00, 0x00, 0x01, 0x80,                   /* array 32 */
	};
	assert_int_equal(buf_append(&b, extra, sizeof extra), 0);
	decode_ok(&d, &b);
	assert_records_equal(&r, &d);
	/* the same array in JSON terms is skipped as well */
	buf_reset(&b);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_JSON, &b), 0);
	b.len -= 2; /* drop "}\n" */
	assert_int_equal(buf_puts(&b, ",\"zz\":[1.0e+3,-0.5,true,false,null,\"\\u00e9\\ud83d\\ude00\",{\"a\":{}},[[]]]}"), 0);
	decode_ok(&d, &b);
	assert_records_equal(&r, &d);
	buf_free(&b);
	record_free(&r);
	record_free(&d);
}

static void test_helpers(void **state)
{
	(void)state;
	const char *ts[] = {"1970-01-01T00:00:00.000000Z", "2026-11-25T13:58:45.123456Z",
			    "1969-12-31T23:59:59.999999Z", "2000-02-29T12:00:00.000001Z",
			    "0001-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999999Z"};
	for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) {
		int64_t us;
		char back[64];
		assert_int_equal(record_ts_parse(ts[i], &us), 0);
		record_ts_format(us, back, sizeof back);
		assert_string_equal(back, ts[i]);
	}
	int64_t us;
	assert_int_equal(record_ts_parse("2026-11-25T13:58:45.123456Z", &us), 0);
	assert_int_equal(us, 1795615125123456LL);
	assert_int_equal(record_ts_parse("2026-11-25T13:58:45.1Z", &us), 0);
	assert_int_equal(us % 1000000, 100000);
	const char *badts[] = {"2026-11-25 13:58:45Z", "2026-11-25T13:58:45", "2026-13-01T00:00:00Z",
			       "2025-02-29T00:00:00Z", "2026-11-25T24:00:00Z", "2026-11-25T13:58:45.1234567Z",
			       "2026-11-25T13:58:45.Z", "2026-11-25T13:58:45+00:00", ""};
	for (size_t i = 0; i < sizeof badts / sizeof *badts; i++)
		assert_int_equal(record_ts_parse(badts[i], &us), -1);

	assert_int_equal(record_type_class("integer"), VALUE_CLASS_INTEGER);
	assert_int_equal(record_type_class("smallint"), VALUE_CLASS_INTEGER);
	assert_int_equal(record_type_class("bigint"), VALUE_CLASS_INTEGER);
	assert_int_equal(record_type_class("boolean"), VALUE_CLASS_BOOLEAN);
	assert_int_equal(record_type_class("bytea"), VALUE_CLASS_BYTEA);
	assert_int_equal(record_type_class("integer[]"), VALUE_CLASS_STRING);
	assert_int_equal(record_type_class("numeric(18,2)"), VALUE_CLASS_STRING);
	assert_int_equal(record_type_class("bytea[]"), VALUE_CLASS_STRING);

	record_format f;
	assert_int_equal(record_format_parse("json", &f), 0);
	assert_int_equal(f, RECORD_FORMAT_JSON);
	assert_int_equal(record_format_parse("msgpack", &f), 0);
	assert_int_equal(f, RECORD_FORMAT_MSGPACK);
	assert_int_equal(record_format_parse("xml", &f), -1);
}

/* Every text form the encoders now write by hand, at its edges. */
static void test_text_forms(void **state)
{
	(void)state;
	static const struct {
		int64_t us;
		const char *text;
	} ts[] = {
		{0, "1970-01-01T00:00:00.000000Z"},
		{-1, "1969-12-31T23:59:59.999999Z"},
		{86399999999LL, "1970-01-01T23:59:59.999999Z"},
		{-62135596800000000LL, "0001-01-01T00:00:00.000000Z"},
		{-62135596800000001LL, "0000-12-31T23:59:59.999999Z"},
		{253402300799999999LL, "9999-12-31T23:59:59.999999Z"},
		{253402300800000000LL, "10000-01-01T00:00:00.000000Z"},
		{-62198755200000000LL, "-001-01-01T00:00:00.000000Z"},
	};
	for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) {
		char out[64];
		record_ts_format(ts[i].us, out, sizeof out);
		assert_string_equal(out, ts[i].text);
	}
	char small[8];
	record_ts_format(0, small, sizeof small); /* truncates as snprintf does */
	assert_string_equal(small, "1970-01");

	/* LSN, xid, seq, offsets at their extremes: the encoded src/pos */
	record r;
	record_init(&r);
	r.op = RECORD_OP_TRUNCATE;
	assert_int_equal(record_set_table(&r, "d", "s", "t"), 0);
	strcpy(r.stream, "kafka/t/0");
	static const struct {
		uint64_t lsn;
		uint32_t xid;
		uint64_t seq;
		pos_offset off;
		const char *tail;
	} src[] = {
		{0, 0, 0, {0, 0, false},
		 "\"src\":{\"lsn\":\"0/0\",\"xid\":0,\"ts\":\"1970-01-01T00:00:00.000000Z\",\"seq\":0},"
		 "\"pos\":{\"stream\":\"kafka/t/0\",\"offset\":\"0\"}}\n"},
		{UINT64_MAX, UINT32_MAX, UINT64_MAX, {UINT64_MAX, UINT64_MAX, true},
		 "\"src\":{\"lsn\":\"FFFFFFFF/FFFFFFFF\",\"xid\":4294967295,\"ts\":\"1970-01-01T00:00:00.000000Z\","
		 "\"seq\":18446744073709551615},\"pos\":{\"stream\":\"kafka/t/0\","
		 "\"offset\":\"FFFFFFFF/FFFFFFFF:18446744073709551615\"}}\n"},
		{0xA00000000ull, 10, 100, {0x10000000Full, 7, true},
		 "\"src\":{\"lsn\":\"A/0\",\"xid\":10,\"ts\":\"1970-01-01T00:00:00.000000Z\",\"seq\":100},"
		 "\"pos\":{\"stream\":\"kafka/t/0\",\"offset\":\"1/F:7\"}}\n"},
	};
	for (size_t i = 0; i < sizeof src / sizeof *src; i++) {
		r.lsn = src[i].lsn;
		r.xid = src[i].xid;
		r.seq = src[i].seq;
		r.offset = src[i].off;
		buf b;
		buf_init(&b, 0);
		assert_int_equal(record_encode(&r, RECORD_FORMAT_JSON, &b), 0);
		assert_int_equal(buf_terminate(&b), 0);
		const char *at = strstr(b.data, "\"src\"");
		assert_non_null(at);
		assert_string_equal(at, src[i].tail);
		/* and both encodings read back to the same numbers */
		for (int f = 0; f < 2; f++) {
			record d;
			record_init(&d);
			char err[256];
			buf_reset(&b);
			assert_int_equal(record_encode(&r, (record_format)f, &b), 0);
			assert_int_equal(record_decode(&d, b.data, b.len, err, sizeof err), 0);
			assert_records_equal(&r, &d);
			record_free(&d);
		}
		buf_free(&b);
	}
	record_free(&r);
}

/* record_encoder remembers a table's encoded columns: whatever changes
 * between records (in place, at the same addresses, as producers reuse
 * storage) must show in its output, which is always record_encode's. */
static void test_encoder_cache(void **state)
{
	(void)state;
	char names[4][32] = {"id", "name", "payload", "ok"};
	char types[4][32] = {"integer", "text", "bytea", "boolean"};
	char table[32] = "t1";
	record_column cols[4] = {{0}};
	unsigned char masks[4] = {0};
	uint16_t keys[2] = {0, 1};
	record_value after[4] = {
		{VALUE_TEXT, "7", 1}, {VALUE_TEXT, "x\"y", 3}, {VALUE_TEXT, "\\x00ff", 6}, {VALUE_TEXT, "t", 1},
	};
	record r;
	memset(&r, 0, sizeof r);
	r.version = RECORD_FORMAT_VERSION;
	r.op = RECORD_OP_INSERT;
	r.db = "db";
	r.schema = "public";
	r.table = table;
	r.ncols = 4;
	r.cols = cols;
	r.keys = keys;
	r.nkeys = 1;
	r.has_after = true;
	r.after = after;
	strcpy(r.stream, "pg/db/s");
	record_encoder *e = record_encoder_new();
	assert_non_null(e);
	buf want, got;
	buf_init(&want, 0);
	buf_init(&got, 0);
	for (int step = 0; step < 17; step++) {
		switch (step) {
		case 2: strcpy(names[1], "label"); break;       /* a name, same pointer */
		case 3: strcpy(types[3], "text"); break;        /* a type: class changes */
		case 4: strcpy(types[0], "bigint"); break;      /* same class, other text */
		case 5: keys[0] = 1; break;                     /* key columns */
		case 6: r.nkeys = 2; break;
		case 7: strcpy(table, "t2"); break;
		case 8: r.ncols = 3; break;                     /* fewer columns */
		case 9: r.schema = "other"; break;
		case 10: strcpy(names[0], "\xc3\xa9\"\n"); break; /* needs escaping */
		case 11: strcpy(names[2], "\xff"); break;        /* invalid UTF-8: refused */
		case 12: strcpy(names[2], "p"); r.ncols = 4; break;
		case 13: r.op = RECORD_OP_READ; r.version = 1; break;
		case 14: masks[2] = RECORD_MASK_SHA256; break;   /* a mask, nothing else */
		case 15: masks[2] = RECORD_MASK_FIXED; masks[3] = RECORD_MASK_EXCLUDED; after[3].kind = VALUE_ABSENT; break;
		case 16: masks[2] = masks[3] = RECORD_MASK_NONE; break;
		}
		for (size_t i = 0; i < 4; i++) {
			cols[i].name = names[i];
			cols[i].type = types[i];
		}
		r.masks = step >= 14 && step < 16 ? masks : NULL;
		for (int f = 0; f < 2; f++) {
			buf_reset(&want);
			buf_reset(&got);
			r.seq = (uint64_t)step;
			int rw = record_encode(&r, (record_format)f, &want);
			int rg = record_encoder_encode(e, &r, (record_format)f, &got);
			assert_int_equal(rg, rw);
			assert_int_equal(got.len, want.len);
			if (want.len)
				assert_memory_equal(got.data, want.data, want.len);
			assert_int_equal(rw, step == 11 ? -1 : 0);
			/* twice in a row: the second is a cache hit */
			buf_reset(&got);
			assert_int_equal(record_encoder_encode(e, &r, (record_format)f, &got), rw);
			assert_int_equal(got.len, want.len);
			if (want.len)
				assert_memory_equal(got.data, want.data, want.len);
		}
	}
	buf_free(&want);
	buf_free(&got);
	record_encoder_free(e);
	record_encoder_free(NULL);
}

/* A record decoded by the shape cache points at the cache's columns:
 * changing one through record_set_column gives the record its own copy and
 * leaves the cache as it was, for the next record of the table. */
static void test_shape_borrowed(void **state)
{
	(void)state;
	static const char line[] =
		"{\"v\":1,\"op\":\"r\",\"db\":\"postgres\",\"schema\":\"public\",\"table\":\"orders\","
		"\"cols\":[{\"name\":\"id\",\"type\":\"bigint\"},{\"name\":\"note\",\"type\":\"text\"}],"
		"\"key\":[\"id\"],\"after\":{\"id\":1,\"note\":\"x\"},"
		"\"src\":{\"lsn\":\"0/16B3748\",\"xid\":0,\"ts\":\"2026-11-25T10:00:00.000000Z\",\"seq\":1},"
		"\"pos\":{\"stream\":\"snap/postgres/1\",\"offset\":\"1\"}}";
	char err[256];
	record r;
	record_init(&r);
	/* the first decode parses and keeps the shape, the second takes it */
	assert_int_equal(record_decode_json(&r, line, strlen(line), err, sizeof err), 0);
	assert_int_equal(record_decode_json(&r, line, strlen(line), err, sizeof err), 0);
	assert_true(r.shape_id != 0);
	const record_column *shared = r.cols;
	assert_int_equal(record_set_column(&r, 1, "note", "character varying(10)"), 0);
	assert_ptr_not_equal(r.cols, shared);
	assert_string_equal(r.cols[0].name, "id");
	assert_string_equal(r.cols[0].type, "bigint");
	assert_string_equal(r.cols[1].type, "character varying(10)");
	assert_int_equal(record_decode_json(&r, line, strlen(line), err, sizeof err), 0);
	assert_ptr_equal(r.cols, shared);
	assert_string_equal(r.cols[1].name, "note");
	assert_string_equal(r.cols[1].type, "text");
	assert_string_equal(r.table, "orders");
	assert_int_equal(r.nkeys, 1);
	assert_int_equal(r.keys[0], 0);
	record_free(&r);
	record_init(&r);
	/* what changes a record in place leaves the cache's arrays as they
	 * were: a mask set, then the excluded column dropped (new columns,
	 * classes and keys), then the same bytes again */
	static const char masked[] =
		"{\"v\":1,\"op\":\"r\",\"db\":\"postgres\",\"schema\":\"public\",\"table\":\"people\","
		"\"cols\":[{\"name\":\"ssn\",\"type\":\"text\",\"mask\":\"excluded\"},"
		"{\"name\":\"id\",\"type\":\"bigint\"},{\"name\":\"note\",\"type\":\"text\"}],"
		"\"key\":[\"id\"],\"after\":{\"id\":1,\"note\":\"x\"},"
		"\"src\":{\"lsn\":\"0/16B3748\",\"xid\":0,\"ts\":\"2026-11-25T10:00:00.000000Z\",\"seq\":1},"
		"\"pos\":{\"stream\":\"snap/postgres/1\",\"offset\":\"1\"}}";
	for (int k = 0; k < 3; k++) {
		assert_int_equal(record_decode_json(&r, masked, strlen(masked), err, sizeof err), 0);
		assert_int_equal(r.ncols, 3);
		assert_string_equal(r.cols[0].name, "ssn");
		assert_int_equal(r.masks[0], RECORD_MASK_EXCLUDED);
		assert_int_equal(r.masks[2], RECORD_MASK_NONE);
		assert_int_equal(r.cls[1], VALUE_CLASS_INTEGER);
		assert_int_equal(r.nkeys, 1);
		assert_int_equal(r.keys[0], 1);
		assert_int_equal(record_set_column_mask(&r, 2, RECORD_MASK_FIXED), 0);
		assert_int_equal(record_drop_excluded(&r), 0);
		assert_int_equal(r.ncols, 2);
		assert_string_equal(r.cols[0].name, "id");
		assert_int_equal(r.masks[1], RECORD_MASK_FIXED);
		assert_int_equal(r.cls[0], VALUE_CLASS_INTEGER);
		assert_int_equal(r.keys[0], 0);
	}
	record_free(&r);
}

/* Masked columns: "mask" in cols, both encodings, through the shape cache,
 * the decoders' rules, and record_drop_excluded. */
static void test_masks(void **state)
{
	(void)state;
	static const char hash[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
	record r, d;
	record_init(&r);
	record_init(&d);
	r.version = RECORD_FORMAT_VERSION;
	r.op = RECORD_OP_UPDATE;
	assert_int_equal(record_set_table(&r, "db", "hr", "people"), 0);
	assert_int_equal(record_set_shape(&r, 4, true, true), 0);
	assert_int_equal(record_set_column(&r, 0, "id", "character(64)"), 0);
	assert_int_equal(record_set_column(&r, 1, "name", "text"), 0);
	assert_int_equal(record_set_column(&r, 2, "ssn", "text"), 0);
	assert_int_equal(record_set_column(&r, 3, "v", "integer"), 0);
	assert_int_equal(record_set_column_mask(&r, 0, RECORD_MASK_SHA256), 0);
	assert_int_equal(record_set_column_mask(&r, 1, RECORD_MASK_FIXED), 0);
	assert_int_equal(record_set_column_mask(&r, 2, RECORD_MASK_EXCLUDED), 0);
	assert_int_equal(record_set_column_mask(&r, 3, (record_mask)9), -1);
	uint16_t key = 0;
	assert_int_equal(record_set_keys(&r, &key, 1), 0);
	assert_int_equal(record_set_value(&r, r.before, 0, VALUE_TEXT, hash, 64), 0);
	assert_int_equal(record_set_value(&r, r.after, 0, VALUE_TEXT, hash, 64), 0);
	assert_int_equal(record_set_value(&r, r.after, 1, VALUE_TEXT, "****", 4), 0);
	assert_int_equal(record_set_value(&r, r.after, 3, VALUE_TEXT, "5", 1), 0);
	r.lsn = 1;
	r.commit_us = 1;
	r.seq = 1;
	strcpy(r.stream, "pg/db/s");
	r.offset = (pos_offset){.major = 1, .minor = 1, .lsn = true};
	buf b;
	buf_init(&b, 0);
	for (int f = 0; f < 2; f++) {
		buf_reset(&b);
		assert_int_equal(record_encode(&r, (record_format)f, &b), 0);
		if (f == RECORD_FORMAT_JSON) {
			assert_int_equal(buf_terminate(&b), 0);
			assert_non_null(strstr(b.data, "{\"name\":\"id\",\"type\":\"character(64)\",\"mask\":\"sha256\"},"
							"{\"name\":\"name\",\"type\":\"text\",\"mask\":\"fixed\"},"
							"{\"name\":\"ssn\",\"type\":\"text\",\"mask\":\"excluded\"},"
							"{\"name\":\"v\",\"type\":\"integer\"}]"));
		}
		/* twice: the second from the decoders' cache of shapes */
		for (int k = 0; k < 2; k++) {
			decode_ok(&d, &b);
			assert_records_equal(&r, &d);
		}
		/* the excluded column leaves, the key follows its column */
		assert_int_equal(record_drop_excluded(&d), 0);
		assert_int_equal(d.ncols, 3);
		assert_string_equal(d.cols[2].name, "v");
		assert_int_equal(d.after[2].kind, VALUE_TEXT);
		assert_string_equal(d.after[2].data, "5");
		assert_int_equal(d.cls[2], VALUE_CLASS_INTEGER);
		assert_int_equal(d.nkeys, 1);
		assert_int_equal(d.keys[0], 0);
		assert_int_equal(d.masks[1], RECORD_MASK_FIXED);
		b.len -= f == RECORD_FORMAT_JSON; /* the '\n' */
	}
	/* an excluded key column cannot be dropped; nor encoded */
	assert_int_equal(record_set_column_mask(&r, 0, RECORD_MASK_EXCLUDED), 0);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_JSON, &b), -1);
	assert_int_equal(record_drop_excluded(&r), -1);
	assert_int_equal(errno, EINVAL);
	/* a value in an excluded column, an excluded or fixed key, a mask unknown */
	bad_json("excluded with a value", good_head,
		 "\"cols\":[{\"name\":\"k\",\"type\":\"integer\"},{\"name\":\"x\",\"type\":\"text\",\"mask\":\"excluded\"}],\"key\":[\"k\"],",
		 "\"after\":{\"k\":1,\"x\":\"secret\"},", good_tail, "column \"x\" is excluded but has a value");
	bad_json("fixed key", good_head,
		 "\"cols\":[{\"name\":\"k\",\"type\":\"text\",\"mask\":\"fixed\"}],\"key\":[\"k\"],",
		 "\"after\":{\"k\":\"***\"},", good_tail, "key column \"k\" is fixed");
	bad_json("unknown mask", good_head,
		 "\"cols\":[{\"name\":\"k\",\"type\":\"text\",\"mask\":\"blur\"}],\"key\":[\"k\"],",
		 "\"after\":{\"k\":\"a\"},", good_tail, "\"mask\": expected one of");
	bad_json("mask twice", good_head,
		 "\"cols\":[{\"name\":\"k\",\"type\":\"text\",\"mask\":\"sha256\",\"mask\":\"sha256\"}],\"key\":[\"k\"],",
		 "\"after\":{\"k\":\"a\"},", good_tail, "duplicate \"mask\"");
	/* a value in an excluded column is never encoded, in either format */
	assert_int_equal(record_set_column_mask(&r, 0, RECORD_MASK_SHA256), 0);
	assert_int_equal(record_set_value(&r, r.after, 2, VALUE_TEXT, "123-45-6789", 11), 0);
	for (int f = 0; f < 2; f++) {
		buf_reset(&b);
		errno = 0;
		assert_int_equal(record_encode(&r, (record_format)f, &b), -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(b.len, 0);
	}
	assert_int_equal(record_set_value(&r, r.before, 2, VALUE_UNCHANGED, NULL, 0), 0);
	assert_int_equal(record_set_value(&r, r.after, 2, VALUE_ABSENT, NULL, 0), 0);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_JSON, &b), -1);
	assert_int_equal(record_set_value(&r, r.before, 2, VALUE_ABSENT, NULL, 0), 0);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_JSON, &b), 0);
	/* msgpack: a value in the excluded column, made by hand from a
	 * record whose ssn is hashed: its "mask" turned into "excluded" */
	assert_int_equal(record_set_column_mask(&r, 2, RECORD_MASK_SHA256), 0);
	assert_int_equal(record_set_value(&r, r.after, 2, VALUE_TEXT, "123-45-6789", 11), 0);
	buf_reset(&b);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_MSGPACK, &b), 0);
	{
		static const char from[] = "\xa4mask\xa6sha256", to[] = "\xa4mask\xa8" "excluded";
		char *at = memmem(b.data, b.len, from, sizeof from - 1);
		at = at ? memmem(at + 1, b.len - (size_t)(at + 1 - b.data), from, sizeof from - 1) : NULL; /* ssn's */
		assert_non_null(at);
		size_t off = (size_t)(at - b.data), tail = b.len - off - (sizeof from - 1);
		assert_int_equal(buf_reserve(&b, 2), 0);
		at = b.data + off;
		memmove(at + sizeof to - 1, at + sizeof from - 1, tail);
		memcpy(at, to, sizeof to - 1);
		b.len += 2;
	}
	expect_bad("msgpack excluded with a value", b.data, b.len, "column \"ssn\" is excluded but has a value");
	buf_free(&b);
	record_free(&r);
	record_free(&d);
}

static void test_clear_reuses_storage(void **state)
{
	(void)state;
	record r;
	record_init(&r);
	/* a big record, then many small ones: the record stays usable and clear
	 * gives the big chunk back (ASan/LSan check the bookkeeping) */
	size_t n = 8u << 20;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'x', n);
	big[n] = '\0';
	r.op = 'c';
	assert_int_equal(record_set_table(&r, "d", "s", "t"), 0);
	assert_int_equal(record_set_shape(&r, 1, false, true), 0);
	assert_int_equal(record_set_column(&r, 0, "c", "text"), 0);
	assert_int_equal(record_set_value(&r, r.after, 0, VALUE_TEXT, big, n), 0);
	free(big);
	for (int i = 0; i < 1000; i++) {
		record_clear(&r);
		assert_null(r.db);
		assert_int_equal(r.ncols, 0);
		assert_int_equal(r.version, RECORD_FORMAT_VERSION);
		make_example(&r);
	}
	record_free(&r);
	record_free(&r); /* free twice is harmless */
}

/* A decoded record is marked checked, so record_encode_key skips the checks
 * the decoder made; every builder clears the mark, and then the key
 * encoder checks again and refuses what is wrong. */
static void test_checked_flag(void **state)
{
	(void)state;
	static const char line[] =
		"{\"v\":1,\"op\":\"c\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[{\"name\":\"k\","
		"\"type\":\"integer\"},{\"name\":\"b\",\"type\":\"bytea\"},{\"name\":\"x\",\"type\":\"text\"}],"
		"\"key\":[\"k\",\"b\"],\"after\":{\"k\":7,\"b\":\"\\\\x00ff\",\"x\":\"y\"},\"src\":{\"lsn\":\"0/1\","
		"\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},\"pos\":{\"stream\":\"s\",\"offset\":\"1\"}}";
	record r;
	record_init(&r);
	assert_false(r.checked);
	char err[256];
	buf b, mp;
	buf_init(&b, 0);
	buf_init(&mp, 0);
	assert_int_equal(record_decode(&r, line, strlen(line), err, sizeof err), 0);
	assert_true(r.checked);
	assert_int_equal(r.cls[0], VALUE_CLASS_INTEGER);
	assert_int_equal(r.cls[1], VALUE_CLASS_BYTEA);
	assert_int_equal(r.cls[2], VALUE_CLASS_STRING);
	assert_int_equal(record_encode_key(&r, RECORD_FORMAT_JSON, &b), 0);
	assert_int_equal(buf_terminate(&b), 0);
	assert_string_equal(b.data, "{\"k\":7,\"b\":\"\\\\x00ff\"}");
	/* the msgpack decoder marks its records too, with the same classes */
	assert_int_equal(record_encode(&r, RECORD_FORMAT_MSGPACK, &mp), 0);
	assert_int_equal(record_decode(&r, mp.data, mp.len, err, sizeof err), 0);
	assert_true(r.checked);
	assert_int_equal(r.cls[0], VALUE_CLASS_INTEGER);
	assert_int_equal(r.cls[1], VALUE_CLASS_BYTEA);
	assert_int_equal(r.cls[2], VALUE_CLASS_STRING);
	/* a refused record is not marked */
	assert_int_equal(record_decode(&r, line, strlen(line) - 1, err, sizeof err), -1);
	assert_false(r.checked);
	record_clear(&r);
	assert_false(r.checked);

	/* each builder clears the mark; the key encoder then checks again */
	for (int which = 0; which < 5; which++) {
		assert_int_equal(record_decode(&r, line, strlen(line), err, sizeof err), 0);
		assert_true(r.checked);
		uint16_t keys[] = {0, 1};
		switch (which) {
		case 0: /* a bad integer for the key column */
			assert_int_equal(record_set_value(&r, r.after, 0, VALUE_TEXT, "7x", 2), 0);
			break;
		case 1: /* a bad bytea for the key column */
			assert_int_equal(record_set_value(&r, r.after, 1, VALUE_TEXT, "\\x0", 3), 0);
			break;
		case 2: /* an empty column name */
			assert_int_equal(record_set_column(&r, 0, "", "integer"), 0);
			break;
		case 3: /* an empty table name */
			assert_int_equal(record_set_table(&r, "d", "s", ""), 0);
			break;
		case 4: /* the same keys: fine, but checked again */
			assert_int_equal(record_set_keys(&r, keys, 2), 0);
			break;
		}
		assert_false(r.checked);
		buf_reset(&b);
		assert_int_equal(record_encode_key(&r, RECORD_FORMAT_JSON, &b), which == 4 ? 0 : -1);
		buf_reset(&b);
		assert_int_equal(record_encode_key(&r, RECORD_FORMAT_MSGPACK, &b), which == 4 ? 0 : -1);
	}
	assert_int_equal(record_decode(&r, line, strlen(line), err, sizeof err), 0);
	assert_int_equal(record_set_shape(&r, 1, false, true), 0);
	assert_false(r.checked);

	/* integers at the edges of their text and msgpack forms: through the
	 * msgpack decoder (which writes their text) and the key encoders of a
	 * checked record, the same as of the record unchecked */
	static const char *const ints[] = {
		"0", "1", "9", "10", "99", "100", "127", "128", "255", "256", "999", "1000", "65535",
		"65536", "4294967295", "4294967296", "1000000000000000000", "9999999999999999999",
		"9223372036854775807", "-1", "-9", "-10", "-32", "-33", "-128", "-129", "-32768",
		"-32769", "-2147483648", "-2147483649", "-9223372036854775807", "-9223372036854775808",
	};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		char in[1024];
		const char *at = strstr(line, "\"k\":7");
		assert_non_null(at);
		snprintf(in, sizeof in, "%.*s\"k\":%s%s", (int)(at - line), line, ints[i], at + 5);
		int rc = record_decode(&r, in, strlen(in), err, sizeof err);
		if (strcmp(ints[i], "9999999999999999999") == 0) {
			assert_int_equal(rc, -1); /* not an int64 */
			continue;
		}
		assert_int_equal(rc, 0);
		buf_reset(&mp);
		assert_int_equal(record_encode(&r, RECORD_FORMAT_MSGPACK, &mp), 0);
		assert_int_equal(record_decode(&r, mp.data, mp.len, err, sizeof err), 0);
		assert_string_equal(r.after[0].data, ints[i]);
		assert_int_equal(r.after[0].len, strlen(ints[i]));
		for (int f = 0; f < 2; f++) {
			buf k2;
			buf_init(&k2, 0);
			buf_reset(&b);
			assert_true(r.checked);
			assert_int_equal(record_encode_key(&r, (record_format)f, &b), 0);
			r.checked = false;
			assert_int_equal(record_encode_key(&r, (record_format)f, &k2), 0);
			r.checked = true;
			assert_int_equal(b.len, k2.len);
			assert_memory_equal(b.data, k2.data, b.len);
			buf_free(&k2);
		}
	}
	buf_free(&b);
	buf_free(&mp);
	record_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_layout),
		cmocka_unit_test(test_round_trip_all_ops),
		cmocka_unit_test(test_value_encodings),
		cmocka_unit_test(test_unchanged_absent_null_empty),
		cmocka_unit_test(test_any_field_order), cmocka_unit_test(test_plain_offsets),
		cmocka_unit_test(test_names_one_byte_apart),
		cmocka_unit_test(test_wide_table),
		cmocka_unit_test(test_producer_errors),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_bad_msgpack),
		cmocka_unit_test(test_last_marker),
		cmocka_unit_test(test_msgpack_unknown_fields),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_clear_reuses_storage),
		cmocka_unit_test(test_text_forms),
		cmocka_unit_test(test_encoder_cache),
		cmocka_unit_test(test_checked_flag),
		cmocka_unit_test(test_masks),
		cmocka_unit_test(test_shape_borrowed),
	};
	return cmocka_run_group_tests_name("record", tests, setup, NULL);
}
