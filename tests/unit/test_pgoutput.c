/* Unit tests for lib/pgoutput (decoding pgoutput protocol 1 messages) and
 * the CopyData framing of lib/replconn. Messages are built byte by byte as
 * the walsender sends them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pgoutput.h"
#include "replconn.h"

typedef struct msgbuf {
	unsigned char b[4096];
	size_t n;
} msgbuf;

static void p8(msgbuf *m, uint8_t v) { m->b[m->n++] = v; }
static void p16(msgbuf *m, uint16_t v) { p8(m, (uint8_t)(v >> 8)); p8(m, (uint8_t)v); }
static void p32(msgbuf *m, uint32_t v) { p16(m, (uint16_t)(v >> 16)); p16(m, (uint16_t)v); }
static void p64(msgbuf *m, uint64_t v) { p32(m, (uint32_t)(v >> 32)); p32(m, (uint32_t)v); }
static void pstr(msgbuf *m, const char *s) { size_t l = strlen(s) + 1; memcpy(m->b + m->n, s, l); m->n += l; }
static void ptext(msgbuf *m, const char *s) { p8(m, 't'); p32(m, (uint32_t)strlen(s)); memcpy(m->b + m->n, s, strlen(s)); m->n += strlen(s); }

static pgo_decoder *dec;

static int setup(void **state) { (void)state; dec = pgo_decoder_new(); return dec ? 0 : -1; }
static int teardown(void **state) { (void)state; pgo_decoder_free(dec); return 0; }

static void assert_value(const pgo_value *v, const char *text)
{
	assert_int_equal(v->kind, 't');
	assert_int_equal(v->len, strlen(text));
	assert_memory_equal(v->data, text, v->len);
}

static void test_begin_commit(void **state)
{
	(void)state;
	msgbuf m = {0};
	pgo_msg out;
	char err[128];
	p8(&m, 'B');
	p64(&m, 0x16B374D848ull);
	p64(&m, 817000000123456ll);
	p32(&m, 4242);
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), 0);
	assert_int_equal(out.type, PGO_BEGIN);
	assert_int_equal(out.u.begin.final_lsn, 0x16B374D848ull);
	assert_int_equal(out.u.begin.commit_ts, 817000000123456ll);
	assert_int_equal(out.u.begin.xid, 4242);
	/* The protocol counts from 2000-01-01, records from 1970-01-01. */
	assert_int_equal(out.u.begin.commit_ts + PGO_EPOCH_OFFSET_US, 1763684800123456ll);

	m.n = 0;
	p8(&m, 'C');
	p8(&m, 0);
	p64(&m, 0x16B374D848ull);
	p64(&m, 0x16B374D878ull);
	p64(&m, 817000000123456ll);
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), 0);
	assert_int_equal(out.type, PGO_COMMIT);
	assert_int_equal(out.u.commit.commit_lsn, 0x16B374D848ull);
	assert_int_equal(out.u.commit.end_lsn, 0x16B374D878ull);
}

static void build_relation(msgbuf *m)
{
	p8(m, 'R');
	p32(m, 16384);
	pstr(m, "public");
	pstr(m, "t\"weird name");
	p8(m, 'i');
	p16(m, 3);
	p8(m, 1); pstr(m, "id"); p32(m, 23); p32(m, (uint32_t)-1);
	p8(m, 0); pstr(m, "amount"); p32(m, 1700); p32(m, ((18 << 16) | 2) + 4);
	p8(m, 0); pstr(m, "note"); p32(m, 25); p32(m, (uint32_t)-1);
}

static void test_relation_and_copy(void **state)
{
	(void)state;
	msgbuf m = {0};
	pgo_msg out;
	char err[128];
	build_relation(&m);
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), 0);
	assert_int_equal(out.type, PGO_RELATION);
	pgo_relation *r = pgo_relation_copy(&out.u.relation);
	assert_non_null(r);
	/* The copy must not depend on the message buffer. */
	memset(m.b, 0xEE, m.n);
	assert_int_equal(r->oid, 16384);
	assert_string_equal(r->nspname, "public");
	assert_string_equal(r->relname, "t\"weird name");
	assert_int_equal(r->replident, PGO_REPLIDENT_INDEX);
	assert_int_equal(r->natts, 3);
	assert_string_equal(r->cols[0].name, "id");
	assert_int_equal(r->cols[0].flags, PGO_COLUMN_KEY);
	assert_int_equal(r->cols[0].type_oid, 23);
	assert_int_equal(r->cols[0].typmod, -1);
	assert_string_equal(r->cols[1].name, "amount");
	assert_int_equal(r->cols[1].typmod, ((18 << 16) | 2) + 4);
	assert_string_equal(r->cols[2].name, "note");
	assert_int_equal(r->cols[2].flags, 0);
	pgo_relation_free(r);
}

static void test_insert(void **state)
{
	(void)state;
	msgbuf m = {0};
	pgo_msg out;
	char err[128];
	p8(&m, 'I');
	p32(&m, 16384);
	p8(&m, 'N');
	p16(&m, 4);
	ptext(&m, "42");
	p8(&m, 'n');
	p8(&m, 'u');
	ptext(&m, "");
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), 0);
	assert_int_equal(out.type, PGO_INSERT);
	assert_int_equal(out.u.change.relid, 16384);
	assert_int_equal(out.u.change.old_kind, 0);
	assert_true(out.u.change.has_new);
	const pgo_tuple *t = &out.u.change.new_tuple;
	assert_int_equal(t->natts, 4);
	assert_value(&t->values[0], "42");
	assert_int_equal(t->values[1].kind, PGO_VALUE_NULL);
	assert_int_equal(t->values[2].kind, PGO_VALUE_UNCHANGED);
	assert_value(&t->values[3], "");
}

static void test_update_forms(void **state)
{
	(void)state;
	msgbuf m = {0};
	pgo_msg out;
	char err[128];
	/* Key changed: old key 'K' then new tuple. */
	p8(&m, 'U');
	p32(&m, 7);
	p8(&m, 'K');
	p16(&m, 2);
	ptext(&m, "1");
	p8(&m, 'n');
	p8(&m, 'N');
	p16(&m, 2);
	ptext(&m, "2");
	ptext(&m, "x");
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), 0);
	assert_int_equal(out.u.change.old_kind, 'K');
	assert_value(&out.u.change.old_tuple.values[0], "1");
	assert_int_equal(out.u.change.old_tuple.values[1].kind, 'n');
	assert_value(&out.u.change.new_tuple.values[0], "2");
	assert_value(&out.u.change.new_tuple.values[1], "x");
	/* The old and new tuples must not share storage. */
	assert_ptr_not_equal(out.u.change.old_tuple.values, out.u.change.new_tuple.values);

	/* REPLICA IDENTITY FULL: 'O'. */
	m.n = 0;
	p8(&m, 'U');
	p32(&m, 7);
	p8(&m, 'O');
	p16(&m, 1);
	ptext(&m, "old");
	p8(&m, 'N');
	p16(&m, 1);
	ptext(&m, "new");
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), 0);
	assert_int_equal(out.u.change.old_kind, 'O');
	assert_value(&out.u.change.old_tuple.values[0], "old");
	assert_value(&out.u.change.new_tuple.values[0], "new");

	/* Key unchanged: only the new tuple. */
	m.n = 0;
	p8(&m, 'U');
	p32(&m, 7);
	p8(&m, 'N');
	p16(&m, 1);
	ptext(&m, "only");
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), 0);
	assert_int_equal(out.u.change.old_kind, 0);
	assert_value(&out.u.change.new_tuple.values[0], "only");
}

static void test_delete_truncate(void **state)
{
	(void)state;
	msgbuf m = {0};
	pgo_msg out;
	char err[128];
	p8(&m, 'D');
	p32(&m, 9);
	p8(&m, 'K');
	p16(&m, 1);
	ptext(&m, "5");
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), 0);
	assert_int_equal(out.type, PGO_DELETE);
	assert_int_equal(out.u.change.old_kind, 'K');
	assert_false(out.u.change.has_new);
	assert_value(&out.u.change.old_tuple.values[0], "5");

	m.n = 0;
	p8(&m, 'T');
	p32(&m, 3);
	p8(&m, PGO_TRUNCATE_CASCADE | PGO_TRUNCATE_RESTART_IDENTITY);
	p32(&m, 100);
	p32(&m, 200);
	p32(&m, 300);
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), 0);
	assert_int_equal(out.type, PGO_TRUNCATE);
	assert_int_equal(out.u.truncate.nrelids, 3);
	assert_int_equal(out.u.truncate.options, 3);
	assert_int_equal(out.u.truncate.relids[0], 100);
	assert_int_equal(out.u.truncate.relids[2], 300);
}

static void test_origin_type_message(void **state)
{
	(void)state;
	msgbuf m = {0};
	pgo_msg out;
	char err[128];
	p8(&m, 'O');
	p64(&m, 0x1234);
	pstr(&m, "node_a");
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), 0);
	assert_int_equal(out.u.origin.lsn, 0x1234);
	assert_string_equal(out.u.origin.name, "node_a");

	m.n = 0;
	p8(&m, 'Y');
	p32(&m, 16500);
	pstr(&m, "public");
	pstr(&m, "mood");
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), 0);
	assert_int_equal(out.u.type.oid, 16500);
	assert_string_equal(out.u.type.typname, "mood");

	m.n = 0;
	p8(&m, 'M');
	p8(&m, 1);
	p64(&m, 0x99);
	pstr(&m, "pfx");
	p32(&m, 3);
	memcpy(m.b + m.n, "a\0b", 3);
	m.n += 3;
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), 0);
	assert_string_equal(out.u.message.prefix, "pfx");
	assert_int_equal(out.u.message.len, 3);
	assert_memory_equal(out.u.message.content, "a\0b", 3);
}

/* Every prefix of a valid message is rejected, and nothing reads past it
 * (the copy is exactly as long as the prefix, so ASan sees any overrun). */
static void test_truncated_messages(void **state)
{
	(void)state;
	msgbuf ms[4] = {{{0}, 0}};
	build_relation(&ms[0]);
	p8(&ms[1], 'U'); p32(&ms[1], 7); p8(&ms[1], 'O'); p16(&ms[1], 1); ptext(&ms[1], "old");
	p8(&ms[1], 'N'); p16(&ms[1], 1); ptext(&ms[1], "new");
	p8(&ms[2], 'T'); p32(&ms[2], 2); p8(&ms[2], 0); p32(&ms[2], 1); p32(&ms[2], 2);
	p8(&ms[3], 'C'); p8(&ms[3], 0); p64(&ms[3], 1); p64(&ms[3], 2); p64(&ms[3], 3);
	for (int k = 0; k < 4; k++) {
		for (size_t n = 0; n < ms[k].n; n++) {
			unsigned char *copy = malloc(n ? n : 1);
			memcpy(copy, ms[k].b, n);
			pgo_msg out;
			char err[128] = "";
			assert_int_equal(pgo_decode(dec, copy, n, &out, err, sizeof err), -1);
			assert_true(err[0] != '\0');
			free(copy);
		}
	}
}

static void test_malformed(void **state)
{
	(void)state;
	msgbuf m = {0};
	pgo_msg out;
	char err[128];
	p8(&m, 'Z');
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown message type"));

	m.n = 0;
	p8(&m, 'I'); p32(&m, 1); p8(&m, 'N'); p16(&m, 1); p8(&m, 'x');
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), -1);
	assert_non_null(strstr(err, "value kind"));

	/* A value length beyond the message. */
	m.n = 0;
	p8(&m, 'I'); p32(&m, 1); p8(&m, 'N'); p16(&m, 1); p8(&m, 't'); p32(&m, 0xFFFFFFF0u); p8(&m, 'a');
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), -1);

	/* A truncate count that would need gigabytes is refused before allocating. */
	m.n = 0;
	p8(&m, 'T'); p32(&m, 0x40000000u); p8(&m, 0); p32(&m, 1);
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), -1);

	/* Trailing garbage. */
	m.n = 0;
	p8(&m, 'O'); p64(&m, 1); pstr(&m, "x"); p8(&m, 0);
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), -1);
	assert_non_null(strstr(err, "unexpected bytes"));

	/* Insert without 'N'. */
	m.n = 0;
	p8(&m, 'I'); p32(&m, 1); p8(&m, 'K'); p16(&m, 0);
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), -1);
}

static void test_wide_tuple_reuse(void **state)
{
	(void)state;
	/* 1600 columns, then a narrow one: arrays are reused, values right. */
	static msgbuf m;
	pgo_msg out;
	char err[128];
	m.n = 0;
	p8(&m, 'I'); p32(&m, 1); p8(&m, 'N'); p16(&m, 1600);
	for (int i = 0; i < 1600; i++)
		p8(&m, i % 2 ? 'n' : 'u');
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), 0);
	assert_int_equal(out.u.change.new_tuple.natts, 1600);
	assert_int_equal(out.u.change.new_tuple.values[1599].kind, 'n');
	m.n = 0;
	p8(&m, 'I'); p32(&m, 1); p8(&m, 'N'); p16(&m, 1); ptext(&m, "z");
	assert_int_equal(pgo_decode(dec, m.b, m.n, &out, err, sizeof err), 0);
	assert_value(&out.u.change.new_tuple.values[0], "z");
}

static void test_copydata_framing(void **state)
{
	(void)state;
	msgbuf m = {0};
	repl_msg rm;
	p8(&m, 'w');
	p64(&m, 0x10);
	p64(&m, 0x20);
	p64(&m, 12345);
	p8(&m, 'B');
	assert_int_equal(replconn_parse((const char *)m.b, m.n, &rm), 0);
	assert_int_equal(rm.kind, 'w');
	assert_int_equal(rm.data_start, 0x10);
	assert_int_equal(rm.wal_end, 0x20);
	assert_int_equal(rm.send_time, 12345);
	assert_int_equal(rm.len, 1);
	assert_int_equal(rm.data[0], 'B');

	m.n = 0;
	p8(&m, 'k');
	p64(&m, 0xABCDEF);
	p64(&m, 1);
	p8(&m, 1);
	assert_int_equal(replconn_parse((const char *)m.b, m.n, &rm), 0);
	assert_int_equal(rm.kind, 'k');
	assert_int_equal(rm.wal_end, 0xABCDEF);
	assert_true(rm.reply_requested);
	assert_int_equal(replconn_parse((const char *)m.b, m.n - 1, &rm), -1);
	m.b[0] = 'q';
	assert_int_equal(replconn_parse((const char *)m.b, m.n, &rm), -1);

	assert_true(replconn_slot_name_valid("dbrepl_slot_1"));
	assert_false(replconn_slot_name_valid("Bad"));
	assert_false(replconn_slot_name_valid("a\"b"));
	assert_false(replconn_slot_name_valid(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_begin_commit),
		cmocka_unit_test(test_relation_and_copy),
		cmocka_unit_test(test_insert),
		cmocka_unit_test(test_update_forms),
		cmocka_unit_test(test_delete_truncate),
		cmocka_unit_test(test_origin_type_message),
		cmocka_unit_test(test_truncated_messages),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_wide_tuple_reuse),
		cmocka_unit_test(test_copydata_framing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
