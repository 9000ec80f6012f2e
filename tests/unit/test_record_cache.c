/* Unit tests for lib/record_cache.c and the decoders' fast paths: a record
 * decoded into a record that has seen other records (whose shape cache
 * holds their db/schema/table/cols/key bytes) must come out exactly as
 * decoded into a fresh one, and a refused record must get the same
 * message — for tricky records (escapes, unicode, nested unknown fields,
 * fields in any order, duplicates, missing fields) and for thousands of
 * mutations of them, in JSON and msgpack; the reader reports the same
 * messages with the right line numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "record_priv.h"

static const char *const seeds[] = {
	"{\"v\":1,\"op\":\"c\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t1\",\"cols\":[{\"name"
	"\":\"id\",\"type\":\"integer\"},{\"name\":\"v\",\"type\":\"text\"}],\"key\":[\"id\"],\""
	"after\":{\"id\":792,\"v\":\"r1\"},\"src\":{\"lsn\":\"0/1000000\",\"xid\":700,\"ts\":\"2"
	"026-11-25T13:58:45.123456Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/d/slot\",\"offset\":\""
	"0/1000000:1\"}}",
	"{\"v\":1,\"op\":\"d\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t1\",\"cols\":[{\"name"
	"\":\"id\",\"type\":\"integer\"},{\"name\":\"v\",\"type\":\"text\"}],\"key\":[\"id\"],\""
	"before\":{\"id\":792},\"src\":{\"lsn\":\"0/1000100\",\"xid\":701,\"ts\":\"2026-11-25T13"
	":58:45.123456Z\",\"seq\":2},\"pos\":{\"stream\":\"pg/d/slot\",\"offset\":\"0/1000100:2"
	"\"}}",
	"{\"v\":1,\"op\":\"u\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t2\",\"cols\":[{\"name"
	"\":\"id\",\"type\":\"integer\"},{\"name\":\"v\",\"type\":\"text\"}],\"key\":[\"id\"],\""
	"after\":{\"id\":5,\"v\":\"r9\"},\"src\":{\"lsn\":\"0/1000200\",\"xid\":702,\"ts\":\"202"
	"6-11-25T13:58:45.123456Z\",\"seq\":3},\"pos\":{\"stream\":\"pg/d/slot\",\"offset\":\"0/"
	"1000200:3\"}}",
	"{\"after\":{\"order_id\":-5,\"comments\":\"h\\u00e9\\n\\\"x\\\" \\ud83d\\ude00\"},\"v\""
	":1,\"op\":\"c\",\"db\":\"wwi\",\"schema\":\"sales\",\"table\":\"orders\",\"cols\":[{\"n"
	"ame\":\"order_id\",\"type\":\"integer\"},{\"name\":\"comments\",\"type\":\"text\"}],\"k"
	"ey\":[\"order_id\"],\"src\":{\"lsn\":\"0/16B3748\",\"xid\":750,\"ts\":\"1969-12-31T23:5"
	"9:59.999999Z\",\"seq\":3},\"pos\":{\"stream\":\"pg/wwi/dbrepl\",\"offset\":\"5\"}}",
	"{\"v\":1,\"op\":\"u\",\"db\":\"w\\u00e9\",\"schema\":\"s\\\"q\",\"table\":\"t\\\\x\",\""
	"cols\":[{\"name\":\"a\\u00e9\",\"type\":\"bigint\"},{\"name\":\"b\",\"type\":\"boolean"
	"\"},{\"name\":\"c\",\"type\":\"bytea\"},{\"name\":\"d\",\"type\":\"numeric(18,2)\"},{\""
	"name\":\"e\",\"type\":\"text[]\"},{\"name\":\"f\",\"type\":\"smallint\"},{\"name\":\"g"
	"\",\"type\":\"jsonb\"}],\"key\":[\"b\",\"a\\u00e9\"],\"before\":{\"a\\u00e9\":1,\"b\":t"
	"rue},\"after\":{\"a\\u00e9\":-9223372036854775808,\"b\":false,\"c\":\"\\\\x00ff\",\"d\""
	":\"1.50\",\"f\":null,\"g\":\"{\\\"k\\\": [1, 2]}\"},\"unchanged\":[\"e\"],\"src\":{\"ls"
	"n\":\"FFFFFFFF/FFFFFFFF\",\"xid\":4294967295,\"ts\":\"2000-02-29T00:00:00.000001Z\",\"s"
	"eq\":18446744073709551615},\"pos\":{\"stream\":\"snap/d/x\",\"offset\":\"18446744073709"
	"551615\"}}",
	"{\"v\":1,\"op\":\"u\",\"db\":\"w\\u00e9\",\"schema\":\"s\\\"q\",\"table\":\"t\\\\x\",\""
	"cols\":[{\"name\":\"a\\u00e9\",\"type\":\"bigint\"},{\"name\":\"b\",\"type\":\"boolean"
	"\"},{\"name\":\"c\",\"type\":\"bytea\"},{\"name\":\"d\",\"type\":\"numeric(18,2)\"},{\""
	"name\":\"e\",\"type\":\"text[]\"},{\"name\":\"f\",\"type\":\"smallint\"},{\"name\":\"g"
	"\",\"type\":\"jsonb\"}],\"key\":[\"b\",\"a\\u00e9\"],\"after\":{\"a\\u00e9\":3,\"b\":tr"
	"ue,\"c\":\"\\\\x\",\"d\":\"NaN\"},\"unchanged\":[\"e\",\"g\"],\"src\":{\"lsn\":\"0/0\","
	"\"xid\":0,\"ts\":\"2000-02-29T00:00:00Z\",\"seq\":0},\"pos\":{\"stream\":\"snap/d/x\","
	"\"offset\":\"0\"}}",
	" { \"v\" : 1 , \"op\" : \"c\" , \"db\" : \"d\" , \"schema\" : \"s\" , \"table\" : \"t\""
	" , \"cols\" : [ { \"name\" : \"k\" , \"type\" : \"integer\" , \"extra\" : {\"n\":[1,2,{"
	"\"x\":null}]} } , { \"type\" : \"text\" , \"name\" : \"x\" } ] , \"key\" : [ \"k\" ] , "
	"\"after\" : { \"x\" : \"y\" , \"k\" : 7 } , \"src\" : { \"lsn\" : \"0/1\" , \"xid\" : 1"
	" , \"ts\" : \"2000-01-01T00:00:00Z\" , \"seq\" : 1 , \"more\": \"\\u0041\" } , \"pos\" "
	": { \"stream\" : \"pg/d/s\" , \"offset\" : \"0/1:1\" } , \"future\" : [true, false, nul"
	"l, -1.5e3] } ",
	"{\"key\":[\"k\"],\"unchanged\":[\"x\"],\"after\":{\"k\":2},\"before\":{\"k\":1},\"cols"
	"\":[{\"name\":\"k\",\"type\":\"integer\"},{\"name\":\"x\",\"type\":\"text\"}],\"op\":\""
	"u\",\"v\":1,\"pos\":{\"offset\":\"7\",\"stream\":\"s\"},\"src\":{\"seq\":2,\"ts\":\"200"
	"0-01-01T00:00:00Z\",\"xid\":3,\"lsn\":\"0/1\"},\"table\":\"t\",\"schema\":\"s\",\"db\":"
	"\"d\"}",
	"{\"v\":1,\"op\":\"t\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[],\"key\""
	":[],\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},\"pos"
	"\":{\"stream\":\"pg/d/s\",\"offset\":\"0/1:1\"}}",
	"{\"v\":1,\"op\":\"r\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[{\"name\""
	":\"k\",\"type\":\"integer\"},{\"name\":\"x\",\"type\":\"text\"}],\"key\":[],\"after\":{"
	"\"k\":1,\"x\":null},\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\","
	"\"seq\":1},\"pos\":{\"stream\":\"pg/d/s\",\"offset\":\"0/1:1\"}}",
	"{\"v\":1,\"op\":\"c\",\"d\\u0062\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[{\""
	"name\":\"k\",\"type\":\"integer\"},{\"n\\u0061me\":\"x\",\"type\":\"text\"}],\"key\":["
	"\"\\u006b\"],\"after\":{\"\\u006b\":1,\"x\":\"\\u00e9\\u4e2d\\ud834\\udd1e\"},\"src\":{"
	"\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},\"pos\":{\"stream"
	"\":\"pg/d/s\",\"offset\":\"0/1:1\"}}",
	"{\"v\":1,\"op\":\"c\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[{\"name\""
	":\"k\",\"type\":\"integer\"},{\"name\":\"x\",\"type\":\"text\"}],\"key\":[\"k\"],\"afte"
	"r\":{\"k\":1,\"x\":\"\xc3""\xa9""\xe4""\xb8""\xad""\xf0""\x9d""\x84""\x9e"" raw utf8 "
	"\xc3""\xbc""n\xc3""\xaf""c\xc3""\xb6""d\xc3""\xa9""\"},\"src\":{\"lsn\":\"0/1\",\"xid\":1"
	",\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/d/s\",\"offset\":"
	"\"0/1:1\"}}",
	"{\"v\":1,\"op\":\"c\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[{\"name\""
	":\"c01\",\"type\":\"integer\"},{\"name\":\"c02\",\"type\":\"text\"},{\"name\":\"c03\","
	"\"type\":\"text\"},{\"name\":\"c04\",\"type\":\"text\"},{\"name\":\"c05\",\"type\":\"te"
	"xt\"},{\"name\":\"c06\",\"type\":\"text\"},{\"name\":\"c07\",\"type\":\"text\"},{\"name"
	"\":\"c08\",\"type\":\"text\"},{\"name\":\"c09\",\"type\":\"text\"},{\"name\":\"c10\",\""
	"type\":\"text\"},{\"name\":\"c11\",\"type\":\"text\"},{\"name\":\"c12\",\"type\":\"text"
	"\"},{\"name\":\"c13\",\"type\":\"text\"},{\"name\":\"c14\",\"type\":\"text\"},{\"name\""
	":\"c15\",\"type\":\"text\"},{\"name\":\"c16\",\"type\":\"text\"},{\"name\":\"c17\",\"ty"
	"pe\":\"text\"},{\"name\":\"c18\",\"type\":\"bigint\"},{\"name\":\"c19\",\"type\":\"text"
	"\"},{\"name\":\"c20\",\"type\":\"text\"}],\"key\":[\"c18\",\"c01\"],\"after\":{\"c01\":"
	"1,\"c20\":\"z\",\"c18\":99,\"c05\":\"five\"},\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":"
	"\"2000-01-01T00:00:00Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/d/s\",\"offset\":\"0/1:1\""
	"}}",
	/* column names JSON must escape, a key written with an escape where
	 * the name needs none, a name that is a prefix of the next one, keys
	 * out of order and spaced: the decoder's guess of the next
	 * key must match none of them wrongly */
	"{\"v\":1,\"op\":\"u\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[{\"name\":"
	"\"q\\\"x\",\"type\":\"integer\"},{\"name\":\"b\\\\s\",\"type\":\"text\"},{\"name\":\"id\""
	",\"type\":\"bigint\"},{\"name\":\"idx\",\"type\":\"text\"},{\"name\":\"\\u00e9\",\"type\""
	":\"text\"}],\"key\":[\"q\\\"x\",\"id\"],\"before\":{\"q\\\"x\":1,\"id\":2},\"after\":{\""
	"q\\\"x\":3,\"b\\\\s\":\"y\",\"\\u0069d\":4,\"idx\":\"z\",\"\\u00e9\":\"\\u00e9\"},\"src\""
	":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},\"pos\":{\"stream"
	"\":\"pg/d/s\",\"offset\":\"0/1:1\"}}",
	"{\"v\":1,\"op\":\"u\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[{\"name\":"
	"\"q\\\"x\",\"type\":\"integer\"},{\"name\":\"b\\\\s\",\"type\":\"text\"},{\"name\":\"id\""
	",\"type\":\"bigint\"},{\"name\":\"idx\",\"type\":\"text\"},{\"name\":\"\\u00e9\",\"type\""
	":\"text\"}],\"key\":[\"q\\\"x\",\"id\"],\"after\":{\"idx\":\"z\",\"id\" :4,\"b\\\\s\":\"w\""
	"},\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},\"pos\":"
	"{\"stream\":\"pg/d/s\",\"offset\":\"0/1:1\"}}",
	"{\"v\":1,\"op\":\"u\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[{\"name\":"
	"\"q\\\"x\",\"type\":\"integer\"},{\"name\":\"b\\\\s\",\"type\":\"text\"},{\"name\":\"id\""
	",\"type\":\"bigint\"},{\"name\":\"idx\",\"type\":\"text\"},{\"name\":\"\\u00e9\",\"type\""
	":\"text\"}],\"key\":[\"q\\\"x\",\"id\"],\"after\":{\"q\\\"x\":5,\"id\":4,\"idx\":\"z\"},"
	"\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},\"pos\":{\""
	"stream\":\"pg/d/s\",\"offset\":\"0/1:1\"}}",
};
#define NSEEDS (sizeof seeds / sizeof seeds[0])

/* ---- comparing ---- */

/* r's JSON encoding and its keys in both formats, as one string. */
static char *describe(const record *r)
{
	buf b;
	buf_init(&b, 0);
	assert_int_equal(record_encode(r, RECORD_FORMAT_JSON, &b), 0);
	for (int f = 0; f < 2; f++) {
		buf_puts(&b, f ? " msgpack key " : " json key ");
		buf k;
		buf_init(&k, 0);
		assert_int_equal(record_encode_key(r, (record_format)f, &k), 0);
		for (size_t i = 0; i < k.len; i++)
			buf_printf(&b, "%02x", (unsigned char)k.data[i]);
		buf_free(&k);
	}
	buf_terminate(&b);
	return b.data;
}

static size_t hits_checked;

/* Decodes data into warm and into a fresh record: same outcome. */
static void same_either_way(record *warm, const void *data, size_t len)
{
	record fresh;
	record_init(&fresh);
	char e1[512], e2[512];
	int r1 = record_decode(&fresh, data, len, e1, sizeof e1);
	int r2 = record_decode(warm, data, len, e2, sizeof e2);
	if (r1 != r2 || (r1 && strcmp(e1, e2) != 0)) {
		fprintf(stderr, "fresh: %d %s\nwarm:  %d %s\ninput: %.*s\n", r1, r1 ? e1 : "",
			r2, r2 ? e2 : "", (int)len, (const char *)data);
		fail();
	}
	if (r1 == 0) {
		char *a = describe(&fresh), *b = describe(warm);
		if (strcmp(a, b) != 0) {
			fprintf(stderr, "fresh: %s\nwarm:  %s\n", a, b);
			fail();
		}
		free(a);
		free(b);
	}
	hits_checked++;
	record_free(&fresh);
}

/* The JSON decoder is another reading of the same record: when both
 * take it, json (into a fresh record) and its msgpack form mp (into warm)
 * come out the same. Whether the msgpack decoder took it. */
static bool same_as_json(record *warm, const char *json, const void *mp, size_t len)
{
	record fresh;
	record_init(&fresh);
	char e1[512], e2[512];
	bool took = false;
	if (record_decode_json(&fresh, json, strlen(json), e1, sizeof e1) == 0 &&
	    record_decode_msgpack(warm, mp, len, e2, sizeof e2) == 0) {
		char *a = describe(&fresh), *b = describe(warm);
		if (strcmp(a, b) != 0) {
			fprintf(stderr, "json:    %s\nmsgpack: %s\n", a, b);
			fail();
		}
		free(a);
		free(b);
		took = true;
	}
	record_free(&fresh);
	return took;
}

static void to_msgpack(const char *json, buf *out)
{
	record r;
	record_init(&r);
	char err[256];
	assert_int_equal(record_decode(&r, json, strlen(json), err, sizeof err), 0);
	buf_reset(out);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_MSGPACK, out), 0);
	record_free(&r);
}

/* An unsigned or negative integer in its smallest form, as the encoder
 * writes it. */
static void pack_int(buf *out, int64_t v)
{
	unsigned char h[9];
	uint64_t u = (uint64_t)v;
	size_t nb;
	if (v >= 0 && v < 128) {
		h[0] = (unsigned char)v;
		nb = 0;
	} else if (v < 0 && v >= -32) {
		h[0] = (unsigned char)(int8_t)v;
		nb = 0;
	} else if (v >= 0) {
		h[0] = v < 256 ? 0xcc : v < 65536 ? 0xcd : v <= UINT32_MAX ? 0xce : 0xcf;
		nb = (size_t)1 << (h[0] - 0xcc);
	} else {
		h[0] = v >= INT8_MIN ? 0xd0 : v >= INT16_MIN ? 0xd1 : v >= INT32_MIN ? 0xd2 : 0xd3;
		nb = (size_t)1 << (h[0] - 0xd0);
	}
	for (size_t i = 0; i < nb; i++)
		h[1 + i] = (unsigned char)(u >> (8 * (nb - 1 - i)));
	buf_append(out, h, 1 + nb);
}

/* msgpack of a JSON value, members in their order (to_msgpack gives the
 * encoder's order): with min, every header in the smallest form, as the
 * encoder writes them; else strings as str 16, integers as int 64. */
static void pack(buf *out, const json_t *v, bool min)
{
	unsigned char h[9];
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		size_t n = json_object_size(v);
		assert_true(n < 16);
		h[0] = (unsigned char)(0x80 | n);
		buf_append(out, h, 1);
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x) {
			json_t *ks = json_string(k);
			pack(out, ks, min);
			json_decref(ks);
			pack(out, x, min);
		}
		break;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		if (min && n < 16) {
			h[0] = (unsigned char)(0x90 | n);
			buf_append(out, h, 1);
		} else {
			h[0] = 0xdc;
			h[1] = (unsigned char)(n >> 8);
			h[2] = (unsigned char)n;
			buf_append(out, h, 3);
		}
		for (size_t i = 0; i < n; i++)
			pack(out, json_array_get(v, i), min);
		break;
	}
	case JSON_STRING: {
		size_t n = json_string_length(v);
		if (min && n < 32) {
			h[0] = (unsigned char)(0xa0 | n);
			buf_append(out, h, 1);
		} else if (min && n < 256) {
			h[0] = 0xd9;
			h[1] = (unsigned char)n;
			buf_append(out, h, 2);
		} else {
			h[0] = 0xda;
			h[1] = (unsigned char)(n >> 8);
			h[2] = (unsigned char)n;
			buf_append(out, h, 3);
		}
		buf_append(out, json_string_value(v), n);
		break;
	}
	case JSON_INTEGER: {
		if (min) {
			pack_int(out, (int64_t)json_integer_value(v));
			break;
		}
		uint64_t u = (uint64_t)json_integer_value(v);
		h[0] = 0xd3;
		for (int i = 0; i < 8; i++)
			h[1 + i] = (unsigned char)(u >> (56 - 8 * i));
		buf_append(out, h, 9);
		break;
	}
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_NULL:
		h[0] = json_is_null(v) ? 0xc0 : json_is_true(v) ? 0xc3 : 0xc2;
		buf_append(out, h, 1);
		break;
	default:
		h[0] = 0xc0; /* reals: not in records */
		buf_append(out, h, 1);
	}
}

/* json_to_mp: -1 when jansson cannot read the text. */
static int json_to_mp(const char *json, buf *out, bool min)
{
	json_error_t e;
	json_t *v = json_loads(json, JSON_DECODE_ANY, &e);
	if (!v)
		return -1;
	buf_reset(out);
	pack(out, v, min);
	json_decref(v);
	return 0;
}

/* ---- the cache is used, and only for the same bytes ---- */

static void test_hit(void **state)
{
	(void)state;
	record r;
	record_init(&r);
	char err[256];
	const char *s = seeds[0];
	const char *run = strstr(s, "\"db\""), *end = strstr(s, ",\"after\"");
	assert_null(record_shape_find(&r, run, strlen(run)));
	assert_int_equal(record_decode(&r, s, strlen(s), err, sizeof err), 0);
	const record_shape *sh = record_shape_find(&r, run, strlen(run));
	assert_non_null(sh);
	assert_int_equal(sh->flags, SHAPE_FIELDS);
	assert_int_equal(sh->len, (size_t)(end - run));
	assert_int_equal(sh->members, 5);
	/* a later record of the same table takes the shape from the cache */
	same_either_way(&r, seeds[1], strlen(seeds[1]));
	/* one byte different in the run: no hit */
	char *t = strdup(s);
	*strstr(t, "\"integer\"") = '\'';
	assert_null(record_shape_find(&r, strstr(t, "\"db\""), strlen(strstr(t, "\"db\""))));
	same_either_way(&r, t, strlen(t));
	strcpy(t, s);
	memcpy(strstr(t, "\"t1\""), "\"t9\"", 4);
	assert_null(record_shape_find(&r, strstr(t, "\"db\""), strlen(strstr(t, "\"db\""))));
	same_either_way(&r, t, strlen(t));
	free(t);
	record_free(&r);
}

/* shape_id: the same for records whose shape came from one cache entry,
 * another for another entry, 0 when the shape was parsed. */
static void test_shape_id(void **state)
{
	(void)state;
	record r;
	record_init(&r);
	char err[256];
	const char *s = seeds[0];
	assert_int_equal(record_decode(&r, s, strlen(s), err, sizeof err), 0);
	assert_true(r.shape_id == 0); /* parsed, then remembered */
	assert_int_equal(record_decode(&r, seeds[1], strlen(seeds[1]), err, sizeof err), 0);
	uint64_t id = r.shape_id;
	assert_true(id != 0);
	assert_int_equal(record_decode(&r, s, strlen(s), err, sizeof err), 0);
	assert_true(r.shape_id == id);
	/* another table: parsed (0), then an id of its own */
	char *t = strdup(s);
	memcpy(strstr(t, "\"t1\""), "\"t9\"", 4);
	assert_int_equal(record_decode(&r, t, strlen(t), err, sizeof err), 0);
	assert_true(r.shape_id == 0);
	assert_int_equal(record_decode(&r, t, strlen(t), err, sizeof err), 0);
	assert_true(r.shape_id != 0 && r.shape_id != id);
	free(t);
	record_clear(&r);
	assert_true(r.shape_id == 0);
	/* a producer's own shape is no cache's */
	assert_int_equal(record_decode(&r, s, strlen(s), err, sizeof err), 0);
	assert_true(r.shape_id == id);
	assert_int_equal(record_set_keys(&r, r.keys, r.nkeys), 0);
	assert_true(r.shape_id == 0);
	/* a key list outside the run: the cache gives the columns only */
	const char *key = strstr(s, ",\"key\""), *aft = strstr(s, ",\"after\"");
	char line[2048];
	snprintf(line, sizeof line, "%.*s%.*s%.*s}", (int)(key - s), s, (int)strlen(aft) - 1, aft,
		 (int)(aft - key), key);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(record_decode(&r, line, strlen(line), err, sizeof err), 0);
		assert_true(r.shape_id == 0);
	}
	record_free(&r);
}

/* What a cached run stands for depends on what came before it: a field
 * of the run seen earlier is a duplicate, a map that ends within it is
 * cut short, a key list read before "cols" is not cached. */
static void test_context(void **state)
{
	(void)state;
	record r;
	record_init(&r);
	const char *s = seeds[0];
	same_either_way(&r, s, strlen(s));
	char line[2048];
	/* "db" before the run: duplicate key, at the same place */
	snprintf(line, sizeof line, "{\"db\":\"x\",%s", s + 1);
	same_either_way(&r, line, strlen(line));
	/* "key" before the run's "cols" (same bytes from "db" on) */
	snprintf(line, sizeof line, "{\"key\":[\"id\"],%s", s + 1);
	same_either_way(&r, line, strlen(line));
	/* "key" inside the run but before "cols": read at the end, so such a
	 * run is not kept */
	const char *cols = strstr(s, "\"cols\""), *key = strstr(s, "\"key\""), *aft = strstr(s, ",\"after\"");
	snprintf(line, sizeof line, "%.*s%.*s,%.*s%s", (int)(cols - s), s, (int)(aft - key), key,
		 (int)(key - cols - 1), cols, aft);
	same_either_way(&r, line, strlen(line));
	same_either_way(&r, line, strlen(line));
	assert_null(record_shape_find(&r, strstr(line, "\"db\""), strlen(strstr(line, "\"db\""))));
	buf kb;
	buf_init(&kb, 0);
	assert_int_equal(json_to_mp(line, &kb, false), 0);
	same_either_way(&r, kb.data, kb.len);
	same_either_way(&r, kb.data, kb.len);
	buf_free(&kb);
	/* images before the run are read once it gave the columns */
	const char *after = strstr(s, ",\"after\""), *src = strstr(s, ",\"src\"");
	snprintf(line, sizeof line, "{%.*s,%.*s%s", (int)(src - after - 1), after + 1,
		 (int)(after - s - 1), s + 1, src);
	same_either_way(&r, line, strlen(line));
	same_either_way(&r, line, strlen(line));
	/* the record ends inside the run, or right after it */
	for (size_t cut = 20; cut < strlen(s); cut += 7)
		same_either_way(&r, s, cut);
	/* msgpack: a map count that ends inside the run */
	buf mp;
	buf_init(&mp, 0);
	to_msgpack(s, &mp);
	same_either_way(&r, mp.data, mp.len);
	same_either_way(&r, mp.data, mp.len);
	for (unsigned n = 0; n < 11; n++) {
		char *c = malloc(mp.len);
		memcpy(c, mp.data, mp.len);
		c[0] = (char)(0x80 | n);
		same_either_way(&r, c, mp.len);
		free(c);
	}
	buf_free(&mp);
	record_free(&r);
}

/* Tricky records: each after each, in both encodings. */
static void test_seeds(void **state)
{
	(void)state;
	record r;
	record_init(&r);
	buf mp;
	buf_init(&mp, 0);
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < NSEEDS; i++) {
			same_either_way(&r, seeds[i], strlen(seeds[i]));
			to_msgpack(seeds[i], &mp);
			same_either_way(&r, mp.data, mp.len);
			for (int min = 0; min < 2; min++)
				if (json_to_mp(seeds[i], &mp, min) == 0) {
					same_either_way(&r, mp.data, mp.len);
					same_as_json(&r, seeds[i], mp.data, mp.len);
				}
		}
	buf_free(&mp);
	record_free(&r);
}

/* More tables than the cache holds, round robin: evictions. */
static void test_many_tables(void **state)
{
	(void)state;
	record r;
	record_init(&r);
	char line[1024];
	for (int round = 0; round < 3; round++)
		for (int t = 0; t < 150; t++) {
			snprintf(line, sizeof line,
				 "{\"v\":1,\"op\":\"c\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"table_%d\","
				 "\"cols\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"c%d\",\"type\":\"text\"}],"
				 "\"key\":[\"id\"],\"after\":{\"id\":%d,\"c%d\":\"x\"},\"src\":{\"lsn\":\"0/1\",\"xid\":1,"
				 "\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},\"pos\":{\"stream\":\"s\",\"offset\":\"1\"}}",
				 t, t % 7, t * round, t % 7);
			same_either_way(&r, line, strlen(line));
		}
	record_free(&r);
}

/* The decoder guesses each key from what the encoders write next (the
 * next field, the next column of an image); what it decodes must not
 * depend on whether the guess was right. */
static void test_guessed_keys(void **state)
{
	(void)state;
	record r;
	record_init(&r);
	char err[512];
	/* seeds[NSEEDS - 3]: names JSON escapes, a key escaped where its name
	 * needs no escape, "id" before "idx" */
	const char *s = seeds[NSEEDS - 3];
	for (int round = 0; round < 2; round++) {
		assert_int_equal(record_decode(&r, s, strlen(s), err, sizeof err), 0);
		assert_int_equal(r.ncols, 5);
		assert_string_equal(r.cols[0].name, "q\"x");
		assert_string_equal(r.cols[1].name, "b\\s");
		assert_string_equal(r.cols[4].name, "\xc3\xa9");
		static const char *const want[] = {"3", "y", "4", "z", "\xc3\xa9"};
		for (int i = 0; i < 5; i++) {
			assert_int_equal(r.after[i].kind, VALUE_TEXT);
			assert_string_equal(r.after[i].data, want[i]);
		}
		assert_int_equal(r.before[0].kind, VALUE_TEXT);
		assert_int_equal(r.before[1].kind, VALUE_ABSENT);
		assert_int_equal(r.before[2].kind, VALUE_TEXT);
	}
	/* out of order, and with a space before the colon */
	s = seeds[NSEEDS - 2];
	assert_int_equal(record_decode(&r, s, strlen(s), err, sizeof err), 0);
	assert_int_equal(r.after[0].kind, VALUE_ABSENT);
	assert_string_equal(r.after[1].data, "w");
	assert_string_equal(r.after[2].data, "4");
	assert_string_equal(r.after[3].data, "z");
	/* a column named twice, the second time where the next is expected */
	static const char *const bad[][2] = {
		{"{\"id\":1,\"id\":2}", "\"after\" names column \"id\" twice"},
		{"{\"q\\\"x\":1,\"q\\\"x\":2}", "\"after\" names column \"q\"x\" twice"},
		{"{\"id\":1,\"idx\":\"a\",\"idx\":\"b\"}", "\"after\" names column \"idx\" twice"},
		{"{\"idy\":1}", "\"after\" names column \"idy\" that is not in \"cols\""},
		{"{\"i\":1}", "\"after\" names column \"i\" that is not in \"cols\""},
		{"{\"idx\":1}", "after: column \"idx\" (text): expected a string, got a number"},
	};
	const char *base = seeds[NSEEDS - 1], *after = strstr(base, "\"after\":"), *src = strstr(base, ",\"src\"");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char line[2048];
		snprintf(line, sizeof line, "%.*s%s%s", (int)(after + 8 - base), base, bad[i][0], src);
		for (int round = 0; round < 2; round++) {
			assert_int_equal(record_decode(&r, line, strlen(line), err, sizeof err), -1);
			assert_string_equal(err, bad[i][1]);
			same_either_way(&r, line, strlen(line));
		}
	}
	/* the fields of the record, and of src and pos, in another order than
	 * the encoders' and with a field repeated where the next is expected */
	static const char *const fields[][2] = {
		{",\"src\":{\"lsn\":\"0/1\",\"lsn\":\"0/2\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1}",
		 "duplicate key \"src.lsn\""},
		{",\"src\":{\"xid\":1,\"lsn\":\"0/2\",\"seq\":1,\"ts\":\"2000-01-01T00:00:00Z\"}", NULL},
		{",\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"xid\":1,\"seq\":1}",
		 "duplicate key \"src.xid\""},
	};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		char line[2048];
		const char *pos = strstr(base, ",\"pos\"");
		snprintf(line, sizeof line, "%.*s%s%s", (int)(src - base), base, fields[i][0], pos);
		int rc = record_decode(&r, line, strlen(line), err, sizeof err);
		if (fields[i][1]) {
			assert_int_equal(rc, -1);
			assert_string_equal(err, fields[i][1]);
		} else {
			assert_int_equal(rc, 0);
			assert_true(r.lsn == 2);
		}
		same_either_way(&r, line, strlen(line));
	}
	record_free(&r);
}

/* Numbers take a short way when they are plain digits; what they decode
 * to, and the message for a bad one, must be what the general way gives. */
static void test_numbers(void **state)
{
	(void)state;
	record r;
	record_init(&r);
	char err[512], line[2048];
	const char *base = seeds[0], *v792 = strstr(base, "792");
	static const char *const ok[] = {"0", "-0", "7", "-7", "123456789012345678", "-123456789012345678",
					 "1234567890123456789", "9223372036854775807", "-9223372036854775808"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		snprintf(line, sizeof line, "%.*s%s%s", (int)(v792 - base), base, ok[i], v792 + 3);
		assert_int_equal(record_decode(&r, line, strlen(line), err, sizeof err), 0);
		assert_string_equal(r.after[0].data, ok[i]);
		assert_int_equal(r.after[0].len, strlen(ok[i]));
		same_either_way(&r, line, strlen(line));
	}
	/* value, message; %zu is the byte of the value + the number given */
	static const struct {
		const char *v, *msg;
		size_t at;
	} bad[] = {
		{"9223372036854775808", "after: column \"id\" (integer): 9223372036854775808 is not a 64-bit integer", 0},
		{"-9223372036854775809", "after: column \"id\" (integer): -9223372036854775809 is not a 64-bit integer", 0},
		{"12345678901234567890123", "after: column \"id\" (integer): 12345678901234567890123 is not a 64-bit integer", 0},
		{"1.5", "after: column \"id\" (integer): 1.5 is not a 64-bit integer", 0},
		{"1e3", "after: column \"id\" (integer): 1e3 is not a 64-bit integer", 0},
		{"-1E+3", "after: column \"id\" (integer): -1E+3 is not a 64-bit integer", 0},
		{"01", "in \"after\": expected ',' or '}' at byte %zu", 2},
		{"-01", "in \"after\": expected ',' or '}' at byte %zu", 3},
		{"-", "invalid number at byte %zu", 2},
		{"-x", "invalid number at byte %zu", 2},
		{"1.", "invalid number at byte %zu", 3},
		{"1e", "invalid number at byte %zu", 3},
		{"x", "after: column \"id\" (integer): expected an integer, got an invalid token", 0},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(line, sizeof line, "%.*s%s%s", (int)(v792 - base), base, bad[i].v, v792 + 3);
		char want[256];
		snprintf(want, sizeof want, bad[i].msg, (size_t)(v792 - base) + bad[i].at);
		assert_int_equal(record_decode(&r, line, strlen(line), err, sizeof err), -1);
		assert_string_equal(err, want);
		same_either_way(&r, line, strlen(line));
	}
	/* the version, the xid and the seq: unsigned, within their range */
	static const struct {
		const char *from, *to, *msg;
	} src[] = {
		{"\"xid\":700", "\"xid\":4294967295", NULL},
		{"\"xid\":700", "\"xid\":4294967296", "\"src.xid\": number out of range"},
		{"\"xid\":700", "\"xid\":-1", "\"src.xid\": expected an unsigned integer"},
		{"\"xid\":700", "\"xid\":7.0", "\"src.xid\": expected an unsigned integer"},
		{"\"xid\":700", "\"xid\":\"7\"", "\"src.xid\": expected a number, got a string"},
		{"\"seq\":1}", "\"seq\":18446744073709551615}", NULL},
		{"\"seq\":1}", "\"seq\":18446744073709551616}", "\"src.seq\": number out of range"},
		{"\"seq\":1}", "\"seq\":1234567890123456789}", NULL},
		{"\"seq\":1}", "\"seq\":00}", "in \"src\": expected ',' or '}' at byte %zu"},
		{"\"v\":1", "\"v\":1000001", "\"v\": number out of range"},
		{"\"v\":1", "\"v\":2", "unsupported format version 2 (this program reads 1)"},
		{"\"v\":1", "\"v\":1e0", "\"v\": expected an unsigned integer"},
	};
	for (size_t i = 0; i < sizeof src / sizeof src[0]; i++) {
		const char *at = strstr(base, src[i].from);
		snprintf(line, sizeof line, "%.*s%s%s", (int)(at - base), base, src[i].to, at + strlen(src[i].from));
		int rc = record_decode(&r, line, strlen(line), err, sizeof err);
		if (src[i].msg) {
			char want[256];
			snprintf(want, sizeof want, src[i].msg, (size_t)(at - base) + 8);
			assert_int_equal(rc, -1);
			assert_string_equal(err, want);
		} else {
			assert_int_equal(rc, 0);
		}
		same_either_way(&r, line, strlen(line));
	}
	record_free(&r);
}

/* The decoder remembers the last LSN, time, stream and offset texts: a
 * record whose text is the same, one that begins with it, or one it
 * begins with, must come out as from a decoder that never saw the
 * record before. */
static void test_position_memo(void **state)
{
	(void)state;
	static const struct {
		const char *from, *to;
	} edits[] = {
		{"\"0/1000000\",", "\"0/1000000\","},
		{"\"0/1000000\",", "\"0/10000000\","},
		{"\"0/1000000\",", "\"0/100000\","},
		{"\"0/1000000\",", "\"0/1000000 \","},
		{"\"0/1000000\",", "\"0\\/1000000\","},
		{"\"0/1000000\",", " \"0/1000000\" ,"},
		{"\"0/1000000\",", "\"0/1000000\\u0000\","},
		{"45.123456Z", "45.123456Z"},
		{"45.123456Z", "45.1234567Z"},
		{"45.123456Z", "45.12345Z"},
		{"45.123456Z", "45.123456"},
		{"45.123456Z", "45.123456Zx"},
		{"45.123456Z", "45.123456\\u005a"},
		{"\"pg/d/slot\"", "\"pg/d/slot\""},
		{"\"pg/d/slot\"", "\"pg/d/slot2\""},
		{"\"pg/d/slot\"", "\"pg/d/slo\""},
		{"\"pg/d/slot\"", "\"pg/d/slot x\""},
		{"\"pg/d/slot\"", "\"pg/d/slot\\t\""},
		{"\"0/1000000:1\"", "\"0/1000000:1\""},
		{"\"0/1000000:1\"", "\"0/1000000:\""},
		{"\"0/1000000:1\"", "\"0/1000000:7\""},
		{"\"0/1000000:1\"", "\"0/1000000:0001\""},
		{"\"0/1000000:1\"", "\"0/1000000:1234567890123456789\""},
		{"\"0/1000000:1\"", "\"0/1000000:18446744073709551615\""},
		{"\"0/1000000:1\"", "\"0/1000000:18446744073709551616\""},
		{"\"0/1000000:1\"", "\"0/1000000:99999999999999999999\""},
		{"\"0/1000000:1\"", "\"0/1000000:00000000000000000000000000000000000001\""},
		{"\"0/1000000:1\"", "\"0/1000000:1x\""},
		{"\"0/1000000:1\"", "\"0/1000000:1:2\""},
		{"\"0/1000000:1\"", "\"0/1000000:-1\""},
		{"\"0/1000000:1\"", "\"0/1000000:\\u0031\""},
		{"\"0/1000000:1\"", "\"0/10000000:1\""},
		{"\"0/1000000:1\"", " \"0/1000000:1\" "},
		{"\"0/1000000:1\"", "\"5\""},
		{"\"0/1000000:1\"", "\"0/1000000:1"},
	};
	record r;
	record_init(&r);
	char line[2048], err[512];
	const char *base = seeds[0];
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		const char *at = strstr(base, edits[i].from);
		assert_non_null(at);
		snprintf(line, sizeof line, "%.*s%s%s", (int)(at - base), base, edits[i].to,
			 at + strlen(edits[i].from));
		/* after the base record, and after itself */
		assert_int_equal(record_decode(&r, base, strlen(base), err, sizeof err), 0);
		same_either_way(&r, line, strlen(line));
		same_either_way(&r, line, strlen(line));
	}
	/* the values themselves */
	assert_int_equal(record_decode(&r, base, strlen(base), err, sizeof err), 0);
	for (int round = 0; round < 2; round++) {
		const char *s = seeds[1]; /* the same stream, another LSN, time as before */
		assert_int_equal(record_decode(&r, s, strlen(s), err, sizeof err), 0);
		assert_true(r.lsn == 0x1000100);
		assert_string_equal(r.stream, "pg/d/slot");
		assert_true(r.offset.lsn && r.offset.major == 0x1000100 && r.offset.minor == 2);
		int64_t us;
		assert_int_equal(record_ts_parse("2026-11-25T13:58:45.123456Z", &us), 0);
		assert_true(r.commit_us == us);
	}
	record_free(&r);
}

/* ---- msgpack: the memo, the expected keys, the front decode ---- */

/* Replaces the first from[0..flen) in b by to[0..tlen). */
static void replace(buf *b, const char *from, size_t flen, const char *to, size_t tlen)
{
	char *at = memmem(b->data, b->len, from, flen);
	assert_non_null(at);
	size_t off = (size_t)(at - b->data);
	assert_int_equal(buf_reserve(b, tlen), 0);
	memmove(b->data + off + tlen, b->data + off + flen, b->len - off - flen);
	memcpy(b->data + off, to, tlen);
	b->len = b->len - flen + tlen;
}

/* A byte string and its length (it may hold NUL bytes). */
typedef struct bytes {
	const char *s;
	size_t n;
} bytes;
#define BYTES(lit) {lit, sizeof(lit) - 1}

/* The position texts of seeds[0] in msgpack, edited one at a time: read
 * after the record they came from (whose texts the memo holds) and after
 * themselves, they come out as from a fresh record; records that differ
 * from the last in one byte of a text get that text's value. */
static void test_position_memo_msgpack(void **state)
{
	(void)state;
	static const struct {
		bytes from, to;
	} edits[] = {
		{BYTES("\xa9" "0/1000000"), BYTES("\xa9" "0/1000000")},
		{BYTES("\xa9" "0/1000000"), BYTES("\xa9" "0/1000001")},
		{BYTES("\xa9" "0/1000000"), BYTES("\xa9" "1/1000000")},
		{BYTES("\xa9" "0/1000000"), BYTES("\xaa" "0/10000000")},
		{BYTES("\xa9" "0/1000000"), BYTES("\xa8" "0/100000")},
		{BYTES("\xa9" "0/1000000"), BYTES("\xd9\x09" "0/1000000")},
		{BYTES("\xa9" "0/1000000"), BYTES("\xda\x00\x09" "0/1000000")},
		{BYTES("\xa9" "0/1000000"), BYTES("\xa9" "0/100000\x00")},
		{BYTES("\xa9" "0/1000000"), BYTES("\xa9" "0/100000 ")},
		{BYTES("\xa9" "0/1000000"), BYTES("\xa9" "0/100000\xc3")},
		{BYTES("\xa9" "0/1000000"), BYTES("\xc4\x09" "0/1000000")},
		{BYTES("45.123456Z"), BYTES("45.123457Z")},
		{BYTES("45.123456Z"), BYTES("45.123456z")},
		{BYTES("\xbb" "2026-11-25T13:58:45.123456Z"), BYTES("\xbc" "2026-11-25T13:58:45.1234567Z")},
		{BYTES("\xbb" "2026-11-25T13:58:45.123456Z"), BYTES("\xba" "2026-11-25T13:58:45.12345Z")},
		{BYTES("\xbb" "2026-11-25T13:58:45.123456Z"), BYTES("\xd9\x1b" "2026-11-25T13:58:45.123456Z")},
		{BYTES("\xa9pg/d/slot"), BYTES("\xa9pg/d/slou")},
		{BYTES("\xa9pg/d/slot"), BYTES("\xaapg/d/slot2")},
		{BYTES("\xa9pg/d/slot"), BYTES("\xa8pg/d/sl")},
		{BYTES("\xa9pg/d/slot"), BYTES("\xa9pg/d/s\"ot")},
		{BYTES("\xa9pg/d/slot"), BYTES("\xa9pg/d/s ot")},
		{BYTES("\xa9pg/d/slot"), BYTES("\xda\x00\x09pg/d/slot")},
		{BYTES("\xab" "0/1000000:1"), BYTES("\xab" "0/1000000:1")},
		{BYTES("\xab" "0/1000000:1"), BYTES("\xab" "0/1000000:2")},
		{BYTES("\xab" "0/1000000:1"), BYTES("\xab" "0/1000001:1")},
		{BYTES("\xab" "0/1000000:1"), BYTES("\xab" "1/1000000:1")},
		{BYTES("\xab" "0/1000000:1"), BYTES("\xac" "0/1000000:12")},
		{BYTES("\xab" "0/1000000:1"), BYTES("\xaa" "0/1000000:")},
		{BYTES("\xab" "0/1000000:1"), BYTES("\xab" "0/1000000:x")},
		{BYTES("\xab" "0/1000000:1"), BYTES("\xab" "0/1000000:\x00")},
		{BYTES("\xab" "0/1000000:1"), BYTES("\xad" "0/1000000:001")},
		{BYTES("\xab" "0/1000000:1"), BYTES("\xad" "0/1000000:1:2")},
		{BYTES("\xab" "0/1000000:1"), BYTES("\xbd" "0/1000000:1234567890123456789")},
		{BYTES("\xab" "0/1000000:1"), BYTES("\xbe" "0/1000000:18446744073709551615")},
		{BYTES("\xab" "0/1000000:1"), BYTES("\xbe" "0/1000000:18446744073709551616")},
		{BYTES("\xab" "0/1000000:1"), BYTES("\xbe" "0/1000000:99999999999999999999")},
		{BYTES("\xab" "0/1000000:1"),
		 BYTES("\xd9\x2f" "0/1000000:0000000000000000000000000000000000001")},
		{BYTES("\xab" "0/1000000:1"),
		 BYTES("\xd9\x30" "0/1000000:00000000000000000000000000000000000001")},
		{BYTES("\xab" "0/1000000:1"), BYTES("\xd9\x0b" "0/1000000:1")},
		{BYTES("\xab" "0/1000000:1"), BYTES("\xa1" "5")},
	};
	record r;
	record_init(&r);
	char err[512];
	buf base, line;
	buf_init(&base, 0);
	buf_init(&line, 0);
	to_msgpack(seeds[0], &base);
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		buf_reset(&line);
		buf_append(&line, base.data, base.len);
		replace(&line, edits[i].from.s, edits[i].from.n, edits[i].to.s, edits[i].to.n);
		assert_int_equal(record_decode(&r, base.data, base.len, err, sizeof err), 0);
		same_either_way(&r, line.data, line.len);
		same_either_way(&r, line.data, line.len);
		/* the memo filled by the JSON decoder */
		assert_int_equal(record_decode(&r, seeds[0], strlen(seeds[0]), err, sizeof err), 0);
		same_either_way(&r, line.data, line.len);
	}

	/* the values: each text one byte off the last record's */
	buf_reset(&line);
	buf_append(&line, base.data, base.len);
	replace(&line, "0/1000000\xa3", 10, "0/1000001\xa3", 10);
	replace(&line, "45.123456Z", 10, "45.123457Z", 10);
	replace(&line, "pg/d/slot", 9, "pg/d/slou", 9);
	replace(&line, "0/1000000:1", 11, "0/1000001:7", 11);
	int64_t us0, us1;
	assert_int_equal(record_ts_parse("2026-11-25T13:58:45.123456Z", &us0), 0);
	assert_int_equal(record_ts_parse("2026-11-25T13:58:45.123457Z", &us1), 0);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(record_decode(&r, base.data, base.len, err, sizeof err), 0);
		assert_true(r.lsn == 0x1000000 && r.commit_us == us0);
		assert_string_equal(r.stream, "pg/d/slot");
		assert_true(r.offset.lsn && r.offset.major == 0x1000000 && r.offset.minor == 1);
		assert_int_equal(record_decode(&r, line.data, line.len, err, sizeof err), 0);
		assert_true(r.lsn == 0x1000001 && r.commit_us == us1);
		assert_string_equal(r.stream, "pg/d/slou");
		assert_true(r.offset.lsn && r.offset.major == 0x1000001 && r.offset.minor == 7);
	}
	buf_free(&base);
	buf_free(&line);
	record_free(&r);
}

/* Records whose keys are not where or how the encoder puts them: the
 * decoder must not take them for the keys it expects. Each comes out as
 * the JSON decoder reads the same record, with the values checked. */
static void test_expected_keys_msgpack(void **state)
{
	(void)state;
	static const char *const head =
		"\"v\":1,\"op\":\"u\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[{\"name\":"
		"\"id\",\"type\":\"integer\"},{\"name\":\"idx\",\"type\":\"text\"},{\"name\":\"i\",\"typ"
		"e\":\"bigint\"},{\"name\":\"a_name_of_more_than_32_bytes_here\",\"type\":\"text\"},"
		"{\"name\":\"jd\",\"type\":\"text\"}],\"key\":[\"id\"]";
	static const char *const tail =
		"\"src\":{\"lsn\":\"0/5\",\"xid\":6,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":7},\"pos\":"
		"{\"stream\":\"pg/d/s\",\"offset\":\"0/5:7\"}";
	static const char *const images[] = {
		/* in cols order (the encoder's), then every other order */
		"\"after\":{\"id\":1,\"idx\":\"x\",\"i\":2,\"a_name_of_more_than_32_bytes_here\":\"l\"}",
		"\"after\":{\"idx\":\"x\",\"id\":1,\"i\":2}",
		"\"after\":{\"i\":2,\"idx\":\"x\",\"id\":1}",
		"\"after\":{\"a_name_of_more_than_32_bytes_here\":\"l\",\"i\":2,\"idx\":\"x\",\"id\":1}",
		"\"after\":{\"id\":1,\"i\":2,\"idx\":\"x\"}",
		/* names of one length out of order */
		"\"after\":{\"jd\":\"j\",\"id\":1,\"idx\":\"x\"}",
		"\"after\":{\"idx\":\"x\",\"jd\":\"j\",\"i\":2,\"id\":1}",
		"\"before\":{\"id\":9},\"after\":{\"id\":1,\"idx\":\"x\"}",
		"\"after\":{\"idx\":\"x\",\"id\":1},\"before\":{\"i\":3,\"id\":9}",
	};
	record r;
	record_init(&r);
	buf mp;
	buf_init(&mp, 0);
	char json[2048];
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof images / sizeof images[0]; i++) {
			snprintf(json, sizeof json, "{%s,%s,%s}", head, images[i], tail);
			assert_int_equal(json_to_mp(json, &mp, true), 0);
			assert_true(same_as_json(&r, json, mp.data, mp.len));
			same_either_way(&r, mp.data, mp.len);
			assert_string_equal(r.after[0].data, "1");
			assert_string_equal(r.after[1].data, "x");
			/* keys and fields in other orders */
			snprintf(json, sizeof json, "{%s,%s,%s}", tail, images[i], head);
			assert_int_equal(json_to_mp(json, &mp, true), 0);
			assert_true(same_as_json(&r, json, mp.data, mp.len));
			assert_string_equal(r.after[0].data, "1");
			assert_string_equal(r.after[1].data, "x");
		}

	/* src and pos keys reversed, a column's "type" before its "name" */
	static const char *const reordered =
		"{\"v\":1,\"op\":\"c\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[{\"type\":"
		"\"text\",\"name\":\"x\"},{\"name\":\"id\",\"type\":\"integer\"}],\"key\":[\"id\"],\"afte"
		"r\":{\"x\":\"y\",\"id\":4},\"src\":{\"seq\":2,\"ts\":\"2000-01-01T00:00:00Z\",\"xid\":3,"
		"\"lsn\":\"0/1\"},\"pos\":{\"offset\":\"7\",\"stream\":\"s\"}}";
	assert_int_equal(json_to_mp(reordered, &mp, true), 0);
	for (int k = 0; k < 2; k++) {
		assert_true(same_as_json(&r, reordered, mp.data, mp.len));
		assert_string_equal(r.cols[0].name, "x");
		assert_string_equal(r.cols[0].type, "text");
		assert_true(r.lsn == 1 && r.xid == 3 && r.seq == 2);
		assert_true(!r.offset.lsn && r.offset.major == 7);
		assert_string_equal(r.stream, "s");
		assert_string_equal(r.after[0].data, "y");
		assert_string_equal(r.after[1].data, "4");
	}

	/* the expected names in other forms: a column name in str 8, a field
	 * name in str 16, the op in str 8; keys repeated where expected */
	to_msgpack(seeds[0], &mp);
	static const struct {
		bytes from, to;
		const char *err; /* NULL: taken */
	} edits[] = {
		{BYTES("\xa2id\xcd"), BYTES("\xd9\x02id\xcd"), NULL},
		{BYTES("\xa1v\xa2r1"), BYTES("\xd9\x01v\xa2r1"), NULL},
		{BYTES("\xa5" "after"), BYTES("\xda\x00\x05" "after"), NULL},
		{BYTES("\xa2op\xa1" "c"), BYTES("\xa2op\xd9\x01" "c"), NULL},
		{BYTES("\xa3lsn"), BYTES("\xda\x00\x03lsn"), NULL},
		{BYTES("\xa6offset"), BYTES("\xd9\x06offset"), NULL},
		{BYTES("\xa4name\xa1v"), BYTES("\xd9\x04name\xa1v"), NULL},
		{BYTES("\xa2op\xa1" "c"), BYTES("\xa1v\x01"), "duplicate key \"v\""},
		{BYTES("\xa3xid"), BYTES("\xa3lsn"), "duplicate key \"src.lsn\""},
		{BYTES("\xa6offset"), BYTES("\xa6stream"), "duplicate key \"pos.stream\""},
		{BYTES("\xa4type\xa7"), BYTES("\xa4name\xa7"), "column 1: duplicate \"name\""},
		{BYTES("\xa1v\xa2r1"), BYTES("\xa2id\xa2r1"), "\"after\" names column \"id\" twice"},
		{BYTES("\xa2op\xa1" "c"), BYTES("\xa2op\xa1" "x"), "\"op\": expected one of \"r\" \"c\" \"u\" \"d\" \"t\", got \"x\""},
		{BYTES("\xa2op\xa1" "c"), BYTES("\xa2op\xa1\x00"), "\"op\" contains U+0000"},
	};
	buf line;
	buf_init(&line, 0);
	char err[512];
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		buf_reset(&line);
		buf_append(&line, mp.data, mp.len);
		replace(&line, edits[i].from.s, edits[i].from.n, edits[i].to.s, edits[i].to.n);
		same_either_way(&r, line.data, line.len);
		int rc = record_decode(&r, line.data, line.len, err, sizeof err);
		if (!edits[i].err) {
			assert_int_equal(rc, 0);
			assert_true(same_as_json(&r, seeds[0], line.data, line.len));
		} else {
			assert_int_equal(rc, -1);
			assert_string_equal(err, edits[i].err);
		}
	}
	buf_free(&line);
	buf_free(&mp);
	record_free(&r);
}

/* A record whose first column carries an unknown key nesting n arrays
 * deep, and 20 more columns (a run long enough for the cache). */
static void deep_record(buf *b, int n)
{
	buf_reset(b);
	static const char head[] = "\x8a\xa1v\x01\xa2op\xa1" "c\xa2" "db\xa1" "d\xa6schema\xa1s\xa5table"
				   "\xa1t\xa4" "cols\xdc\x00\x15\x83\xa4name\xa1k\xa4type\xa7integer\xa1x";
	buf_append(b, head, sizeof head - 1);
	for (int i = 0; i < n; i++)
		buf_append(b, "\x91", 1);
	buf_append(b, "\xc0", 1);
	for (int i = 0; i < 20; i++) {
		char c[64];
		int l = snprintf(c, sizeof c, "\x82\xa4name\xa3" "c%02d\xa4type\xa4text", i);
		buf_append(b, c, (size_t)l);
	}
	static const char rest[] = "\xa3key\x91\xa1k\xa5" "after\x81\xa1k\x05\xa3src\x84\xa3lsn\xa3" "0/1"
				   "\xa3xid\x01\xa2ts\xb4" "2000-01-01T00:00:00Z\xa3seq\x01\xa3pos\x82"
				   "\xa6stream\xa6pg/d/s\xa6offset\xa5" "0/1:1";
	buf_append(b, rest, sizeof rest - 1);
}

/* record_decode_msgpack_front takes what the reader's measure and the
 * decode of the measured bytes take, with the same length and result,
 * and leaves the rest to them: records not whole, records with items it
 * would skip unread (whose nesting the measure checks), even when their
 * run is in the cache; and it leaves the cache as it was when it does not
 * take a record. */
static void test_front_decode(void **state)
{
	(void)state;
	record r, e;
	record_init(&r);
	record_init(&e);
	buf mp;
	buf_init(&mp, 0);
	char err[512];
	size_t len;
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < NSEEDS; i++) {
			to_msgpack(seeds[i], &mp);
			size_t n = mp.len;
			/* what follows the record is no part of it */
			buf_append(&mp, "\x81\xc1\xc1", 3);
			assert_int_equal(record_decode_msgpack_front(&r, mp.data, mp.len, &len), 1);
			assert_int_equal(len, n);
			mp_scan s;
			mp_scan_init(&s);
			assert_int_equal(mp_scan_step(&s, (const unsigned char *)mp.data, mp.len, RECORD_MAX_BYTES),
					 MP_SCAN_DONE);
			assert_int_equal(s.pos, n);
			assert_int_equal(record_decode_msgpack(&e, mp.data, n, err, sizeof err), 0);
			char *a = describe(&r), *b = describe(&e);
			assert_string_equal(a, b);
			free(a);
			free(b);
			/* not whole */
			for (size_t cut = 0; cut < n; cut += 1 + cut / 8)
				assert_int_equal(record_decode_msgpack_front(&r, mp.data, cut, &len), 0);
		}

	/* 30 arrays in a column: 33 levels, more than the measure allows,
	 * but the decoder skips them from the column's level */
	deep_record(&mp, 30);
	record_clear(&r);
	record f;
	record_init(&f);
	if (record_decode_msgpack(&f, mp.data, mp.len, err, sizeof err) < 0)
		fail_msg("%s", err);
	record_free(&f);
	mp_scan s;
	mp_scan_init(&s);
	assert_int_equal(mp_scan_step(&s, (const unsigned char *)mp.data, mp.len, RECORD_MAX_BYTES), MP_SCAN_DEEP);
	assert_int_equal(record_decode_msgpack_front(&r, mp.data, mp.len, &len), 0);
	/* its run in r's cache, from a decode that took it */
	assert_int_equal(record_decode_msgpack(&r, mp.data, mp.len, err, sizeof err), 0);
	assert_int_equal(record_decode_msgpack(&r, mp.data, mp.len, err, sizeof err), 0);
	assert_true(r.shape_id != 0);
	assert_int_equal(record_decode_msgpack_front(&r, mp.data, mp.len, &len), 0);
	/* 2 arrays: the front decode still leaves skipping to the others */
	deep_record(&mp, 2);
	assert_int_equal(record_decode_msgpack_front(&r, mp.data, mp.len, &len), 0);

	/* an unknown field */
	to_msgpack(seeds[0], &mp);
	replace(&mp, "\x8a", 1, "\x8b\xa5" "extra\x92\x01\x02", 10);
	assert_int_equal(record_decode_msgpack(&e, mp.data, mp.len, err, sizeof err), 0);
	assert_int_equal(record_decode_msgpack_front(&r, mp.data, mp.len, &len), 0);

	/* the cache untouched by a record not taken. Two runs, one the
	 * prefix of the other: db to cols ("after" comes next, then "key"),
	 * and db to key; a find tries the one found last first, and takes
	 * the first that matches (shape_id is set for runs with the key) */
	static const char *const key_late =
		"{\"v\":1,\"op\":\"c\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t1\",\"cols\":[{"
		"\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"v\",\"type\":\"text\"}],\"after\":"
		"{\"id\":792,\"v\":\"r1\"},\"key\":[\"id\"],\"src\":{\"lsn\":\"0/1000000\",\"xid\":700,"
		"\"ts\":\"2026-11-25T13:58:45.123456Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/d/slot\","
		"\"offset\":\"0/1000000:1\"}}";
	buf late, other;
	buf_init(&late, 0);
	buf_init(&other, 0);
	assert_int_equal(json_to_mp(key_late, &late, true), 0);
	to_msgpack(seeds[0], &mp);
	to_msgpack(seeds[2], &other);
	record_free(&r);
	record_init(&r);
	assert_int_equal(record_decode_msgpack(&r, mp.data, mp.len, err, sizeof err), 0);
	assert_int_equal(record_decode_msgpack(&r, late.data, late.len, err, sizeof err), 0);
	assert_int_equal(record_decode_msgpack(&r, other.data, other.len, err, sizeof err), 0);
	assert_int_equal(record_decode_msgpack(&r, mp.data, mp.len, err, sizeof err), 0);
	uint64_t with_key = r.shape_id;
	assert_true(with_key != 0);
	assert_int_equal(record_decode_msgpack_front(&r, late.data, late.len - 1, &len), 0);
	assert_int_equal(record_decode_msgpack(&r, mp.data, mp.len, err, sizeof err), 0);
	assert_true(r.shape_id == with_key);
	/* taken, the record leaves the find's trace: the shorter run first */
	assert_int_equal(record_decode_msgpack_front(&r, late.data, late.len, &len), 1);
	assert_int_equal(record_decode_msgpack(&r, mp.data, mp.len, err, sizeof err), 0);
	assert_true(r.shape_id == 0);
	buf_free(&late);
	buf_free(&other);

	/* a table first seen in a cut record is new to the decode of the
	 * whole record after it */
	record_free(&r);
	record_init(&r);
	to_msgpack(seeds[2], &mp);
	assert_int_equal(record_decode_msgpack_front(&r, mp.data, mp.len - 1, &len), 0);
	assert_int_equal(record_decode_msgpack(&r, mp.data, mp.len, err, sizeof err), 0);
	assert_true(r.shape_id == 0);
	assert_int_equal(record_decode_msgpack_front(&r, mp.data, mp.len, &len), 1);
	assert_true(r.shape_id != 0);
	buf_free(&mp);
	record_free(&r);
	record_free(&e);
}

/* ---- mutations ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? rng % n : 0;
}

static void mutate(buf *b)
{
	static const char *const bytes[] = {"\"", "\\", "{", "}", "[", "]", ",", ":", " ", "0", "1", "-",
					    "a", "\x80", "\xc3", "\xa9", "\xff", "u", "\t", "e", "n",
					    "\xc0", "\xa2", "\x92", "\x81", "\xdc", "\x01"};
	static const char *const snips[] = {
		"\"x\":1,", ",\"db\":\"d\"", "\"\\u0064b\"", "\\u00e9", "\\ud800", "\"k\":", "null",
		"true", "[]", "{}", "\"cols\":[],", "\"key\":[\"id\"],", ",\"unchanged\":[\"v\"]",
		"\"before\":{\"id\":1},", "1e5", "-0", "99999999999999999999", "\xe4\xb8\xad",
		"\xed\xa0\x80", "\\n", "\"integer\"", "\"bigint\"", "\"bytea\"", "\"boolean\""};
	int n = 1 + (int)rnd(3);
	for (int k = 0; k < n; k++) {
		size_t p = b->len ? rnd(b->len + 1) : 0;
		uint64_t what = rnd(10);
		if (what < 3 && p < b->len) {
			const char *c = bytes[rnd(sizeof bytes / sizeof *bytes)];
			b->data[p] = c[0];
		} else if (what < 5 && p < b->len) {
			size_t d = 1 + rnd(10);
			if (d > b->len - p)
				d = b->len - p;
			memmove(b->data + p, b->data + p + d, b->len - p - d);
			b->len -= d;
		} else if (what < 8) {
			const char *s = snips[rnd(sizeof snips / sizeof *snips)];
			size_t sl = strlen(s);
			buf_reserve(b, sl);
			memmove(b->data + p + sl, b->data + p, b->len - p);
			memcpy(b->data + p, s, sl);
			b->len += sl;
		} else if (what < 9 && p < b->len) {
			size_t d = 1 + rnd(40);
			if (d > b->len - p)
				d = b->len - p;
			buf_reserve(b, d);
			memmove(b->data + p + d, b->data + p, b->len - p);
			b->len += d;
		} else {
			b->len = p;
		}
	}
}

static void mutations(record_format fmt)
{
	record r;
	record_init(&r);
	buf seed, m;
	buf_init(&seed, 0);
	buf_init(&m, 0);
	for (int i = 0; i < 6000; i++) {
		const char *s = seeds[rnd(NSEEDS)];
		buf_reset(&seed);
		/* msgpack: the encoder's bytes, or the JSON text's members in
		 * their order with the encoder's headers or with others */
		uint64_t how = rnd(3);
		if (fmt == RECORD_FORMAT_MSGPACK && (how == 0 || json_to_mp(s, &seed, how == 1) < 0))
			to_msgpack(s, &seed);
		else if (fmt == RECORD_FORMAT_MSGPACK)
			;
		else
			buf_append(&seed, s, strlen(s));
		same_either_way(&r, seed.data, seed.len);
		buf_reset(&m);
		buf_append(&m, seed.data, seed.len);
		mutate(&m);
		same_either_way(&r, m.data, m.len);
		same_either_way(&r, m.data, m.len);
		mutate(&m);
		same_either_way(&r, m.data, m.len);
	}
	buf_free(&seed);
	buf_free(&m);
	record_free(&r);
}

static void test_mutations_json(void **state)
{
	(void)state;
	mutations(RECORD_FORMAT_JSON);
}

static void test_mutations_msgpack(void **state)
{
	(void)state;
	mutations(RECORD_FORMAT_MSGPACK);
}

/* ---- through the reader: the messages and their line numbers ---- */

static void test_reader_lines(void **state)
{
	(void)state;
	const char *s = seeds[0];
	char bad[2048];
	/* a repeated "db" after the run the cache holds */
	snprintf(bad, sizeof bad, "{\"db\":\"x\",%s", s + 1);
	record fresh;
	record_init(&fresh);
	char want[512];
	assert_int_equal(record_decode(&fresh, bad, strlen(bad), want, sizeof want), -1);
	record_free(&fresh);
	assert_string_equal(want, "duplicate key \"db\"");

	FILE *f = tmpfile();
	assert_non_null(f);
	for (int i = 0; i < 5; i++)
		fprintf(f, "%s\n", seeds[i % 3]);
	fprintf(f, "%s\n%s\n", bad, s);
	fflush(f);
	int fd = dup(fileno(f));
	fclose(f);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	record_reader *rd = record_reader_new(fd);
	record r;
	record_init(&r);
	char err[512];
	for (int i = 0; i < 5; i++)
		assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), -1);
	char line[600];
	snprintf(line, sizeof line, "line 6: %s", want);
	assert_string_equal(err, line);
	record_reader_free(rd);
	record_free(&r);
	close(fd);
}

/* The field table lookup agrees with every name it knows. */
static void test_field_flags(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		unsigned flag;
	} f[] = {{"v", F_V}, {"op", F_OP}, {"db", F_DB}, {"schema", F_SCHEMA}, {"table", F_TABLE},
		 {"cols", F_COLS}, {"key", F_KEY}, {"before", F_BEFORE}, {"after", F_AFTER},
		 {"unchanged", F_UNCHANGED}, {"src", F_SRC}, {"pos", F_POS}, {"", 0}, {"x", 0},
		 {"ops", 0}, {"d", 0}, {"tables", 0}, {"colss", 0}, {"Key", 0}, {"unchange", 0}};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		assert_int_equal(record_field_flag(f[i].name, strlen(f[i].name)), f[i].flag);
	assert_null(record_field_missing(F_V | F_OP | F_DB | F_SCHEMA | F_TABLE | F_COLS | F_KEY | F_SRC | F_POS));
	assert_string_equal(record_field_missing(F_V | F_OP), "db");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit),
		cmocka_unit_test(test_shape_id),
		cmocka_unit_test(test_context),
		cmocka_unit_test(test_seeds),
		cmocka_unit_test(test_many_tables),
		cmocka_unit_test(test_guessed_keys),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_position_memo),
		cmocka_unit_test(test_position_memo_msgpack),
		cmocka_unit_test(test_expected_keys_msgpack),
		cmocka_unit_test(test_front_decode),
		cmocka_unit_test(test_mutations_json),
		cmocka_unit_test(test_mutations_msgpack),
		cmocka_unit_test(test_reader_lines),
		cmocka_unit_test(test_field_flags),
	};
	return cmocka_run_group_tests_name("record_cache", tests, NULL, NULL);
}
