/* Unit tests for the online backfill: lib/watermark (the messages) and
 * lib/bfwindow (pgcdc-read's windows: what the stream changed in them,
 * which rows of a chunk go out, the position to hold, expiry). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfmsg.h"
#include "bfwindow.h"

/* ---- messages ---- */

static const char *const KEYS[] = {"id"};
static const char *const COLS[] = {"id", "name", "big"};
static const char *const TYPES[] = {"integer", "text", "text"};

static void test_low_round_trip(void **st)
{
	(void)st;
	buf b;
	buf_init(&b, 0);
	assert_int_equal(bfmsg_build_low(&b, "s1", "run-1", "Sales", "Order \"Lines\"", 7, KEYS, 1, COLS, TYPES, 3,
				      12345),
			 0);
	assert_int_equal(b.data[b.len - 1], '\n');
	bfmsg m;
	char err[256];
	assert_int_equal(bfmsg_parse(b.data, b.len, &m, err, sizeof err), 0);
	assert_int_equal(m.kind, BFMSG_LOW);
	assert_string_equal(m.slot, "s1");
	assert_string_equal(m.id, "run-1");
	assert_string_equal(m.schema, "Sales");
	assert_string_equal(m.table, "Order \"Lines\"");
	assert_int_equal(m.chunk, 7);
	assert_int_equal(m.nkeys, 1);
	assert_string_equal(m.keys[0], "id");
	assert_int_equal(m.ncols, 3);
	assert_string_equal(m.cols[2], "big");
	assert_string_equal(m.types[0], "integer");
	assert_int_equal(m.max_wal, 12345);
	bfmsg_free(&m);
	buf_free(&b);
}

static void test_high_round_trip(void **st)
{
	(void)st;
	buf b;
	buf_init(&b, 0);
	assert_int_equal(bfmsg_build_high(&b, "s1", "run-1", "public", "t", 3, 2, true), 0);
	assert_int_equal(buf_puts(&b, "{\"row\":1}\n{\"row\":2}\n"), 0);
	bfmsg m;
	char err[256];
	assert_int_equal(bfmsg_parse(b.data, b.len, &m, err, sizeof err), 0);
	assert_int_equal(m.kind, BFMSG_HIGH);
	assert_int_equal(m.nrows, 2);
	assert_true(m.truncate);
	assert_int_equal(m.rows_len, strlen("{\"row\":1}\n{\"row\":2}\n"));
	assert_memory_equal(m.rows, "{\"row\":1}\n", 10);
	bfmsg_free(&m);

	buf_reset(&b);
	assert_int_equal(bfmsg_build_abort(&b, "s1", "run-1", "public", "t", 3), 0);
	assert_int_equal(bfmsg_parse(b.data, b.len, &m, err, sizeof err), 0);
	assert_int_equal(m.kind, BFMSG_ABORT);
	assert_int_equal(m.chunk, 3);
	bfmsg_free(&m);
	buf_free(&b);
}

static void test_bad_messages(void **st)
{
	(void)st;
	const char *bad[] = {
		"",
		"hello",
		"{\"v\":2,\"kind\":\"abort\",\"slot\":\"s\",\"id\":\"i\",\"schema\":\"p\",\"table\":\"t\",\"chunk\":1}",
		"{\"v\":1,\"kind\":\"middle\",\"slot\":\"s\",\"id\":\"i\",\"schema\":\"p\",\"table\":\"t\",\"chunk\":1}",
		"{\"v\":1,\"kind\":\"abort\",\"slot\":\"s\",\"id\":\"i\",\"schema\":\"p\",\"chunk\":1}",
		"{\"v\":1,\"kind\":\"abort\",\"slot\":\"s\",\"id\":\"i\",\"schema\":\"p\",\"table\":\"t\",\"chunk\":-1}",
		/* a low watermark needs a key, and as many types as columns */
		"{\"v\":1,\"kind\":\"low\",\"slot\":\"s\",\"id\":\"i\",\"schema\":\"p\",\"table\":\"t\",\"chunk\":1,"
		"\"key\":[],\"cols\":[\"a\"],\"types\":[\"integer\"],\"max_wal\":1}",
		"{\"v\":1,\"kind\":\"low\",\"slot\":\"s\",\"id\":\"i\",\"schema\":\"p\",\"table\":\"t\",\"chunk\":1,"
		"\"key\":[\"a\"],\"cols\":[\"a\",\"b\"],\"types\":[\"integer\"],\"max_wal\":1}",
		"{\"v\":1,\"kind\":\"high\",\"slot\":\"s\",\"id\":\"i\",\"schema\":\"p\",\"table\":\"t\",\"chunk\":1}\n",
		"{\"v\":1,\"kind\":\"high\",\"slot\":\"s\",\"id\":\"i\",\"schema\":\"p\",\"table\":\"t\",\"chunk\":1,"
		"\"rows\":0,\"truncate\":1}\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		bfmsg m;
		char err[256] = "";
		assert_int_equal(bfmsg_parse(bad[i], strlen(bad[i]), &m, err, sizeof err), -1);
		assert_true(err[0] != '\0');
	}
}

/* ---- windows ---- */

static bf_set *set;
static record rec, part;

static int setup(void **st)
{
	(void)st;
	set = bf_new("s1");
	record_init(&rec);
	record_init(&part);
	return set ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	bf_free(set);
	record_free(&rec);
	record_free(&part);
	return 0;
}

static void open_window(const char *table, uint64_t chunk, uint64_t lsn, uint64_t max_wal)
{
	buf b;
	buf_init(&b, 0);
	assert_int_equal(bfmsg_build_low(&b, "s1", "run", "public", table, chunk, KEYS, 1, COLS, TYPES, 3, max_wal), 0);
	bfmsg m;
	char err[128];
	assert_int_equal(bfmsg_parse(b.data, b.len, &m, err, sizeof err), 0);
	assert_true(bf_ours(set, &m));
	assert_true(bf_open(set, &m, lsn) >= 0);
	bfmsg_free(&m);
	buf_free(&b);
}

static bf_window *find(const char *table, uint64_t chunk)
{
	buf b;
	buf_init(&b, 0);
	assert_int_equal(bfmsg_build_high(&b, "s1", "run", "public", table, chunk, 0, false), 0);
	bfmsg m;
	char err[128];
	assert_int_equal(bfmsg_parse(b.data, b.len, &m, err, sizeof err), 0);
	bf_window *w = bf_find(set, &m);
	bfmsg_free(&m);
	buf_free(&b);
	return w;
}

/* One value spec: NULL absent, "~" unchanged, "\x01" null, else text. */
static void set_image(record *r, record_value *img, const char *const v[3])
{
	for (size_t i = 0; i < 3; i++) {
		if (!v[i])
			continue;
		if (!strcmp(v[i], "~"))
			assert_int_equal(record_set_value(r, img, i, VALUE_UNCHANGED, NULL, 0), 0);
		else if (!strcmp(v[i], "\x01"))
			assert_int_equal(record_set_value(r, img, i, VALUE_NULL, NULL, 0), 0);
		else
			assert_int_equal(record_set_value(r, img, i, VALUE_TEXT, v[i], strlen(v[i])), 0);
	}
}

/* A record of public.TABLE with columns id, name, big (key id). */
static record *make(const char *table, char op, const char *b0, const char *b1, const char *b2, const char *a0,
		    const char *a1, const char *a2)
{
	record_clear(&rec);
	rec.version = 1;
	rec.op = op;
	bool before = op == 'u' ? b0 != NULL : op == 'd';
	bool after = op == 'r' || op == 'c' || op == 'u';
	assert_int_equal(record_set_table(&rec, "db", "public", table), 0);
	assert_int_equal(record_set_shape(&rec, 3, before, after), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(record_set_column(&rec, i, COLS[i], TYPES[i]), 0);
	uint16_t k = 0;
	assert_int_equal(record_set_keys(&rec, &k, 1), 0);
	const char *bv[3] = {b0, b1, b2}, *av[3] = {a0, a1, a2};
	if (before)
		set_image(&rec, rec.before, bv);
	if (after)
		set_image(&rec, rec.after, av);
	return &rec;
}

static void note(const char *table, char op, const char *b0, const char *a0, const char *a1, const char *a2)
{
	assert_int_equal(bf_note(set, make(table, op, b0, NULL, NULL, a0, a1, a2)), 0);
}

static int row(bf_window *w, const char *id, const char *name, const char *big)
{
	return bf_row(w, make("t", 'r', NULL, NULL, NULL, id, name, big), &part);
}

/* Each kind of change in the window against the chunk's row of that key. */
static void test_rows(void **st)
{
	(void)st;
	open_window("t", 1, 100, 1000);
	note("t", 'c', NULL, "2", "new", "x");          /* inserted */
	note("t", 'u', "3", "3", "renamed", "y");        /* updated, every column */
	note("t", 'd', "4", NULL, NULL, NULL);           /* deleted */
	note("t", 'u', "5", "5", "renamed", "~");        /* updated, big unchanged (TOAST) */
	note("t", 'd', "6", NULL, NULL, NULL);           /* deleted, then inserted again */
	note("t", 'c', NULL, "6", "again", "z");
	note("t", 'u', "7", "8", "moved", "w");          /* the key 7 became 8 */
	note("other", 'd', "1", NULL, NULL, NULL);       /* another table */
	bf_window *w = find("t", 1);
	assert_non_null(w);
	assert_int_equal(row(w, "1", "one", "b1"), BF_ROW_AS_IS);
	assert_int_equal(row(w, "2", "new", "x"), BF_ROW_DROP);
	assert_int_equal(row(w, "3", "three", "b3"), BF_ROW_DROP);
	assert_int_equal(row(w, "4", "four", "b4"), BF_ROW_DROP);
	assert_int_equal(row(w, "6", "six", "b6"), BF_ROW_DROP);
	assert_int_equal(row(w, "7", "seven", "b7"), BF_ROW_DROP);
	assert_int_equal(row(w, "8", "moved", "w"), BF_ROW_DROP);
	assert_int_equal(row(w, "9", "nine", "b9"), BF_ROW_AS_IS);

	/* The TOASTed value no change of the window wrote comes from the
	 * chunk, as an update of that column alone. */
	assert_int_equal(row(w, "5", "five", "big five"), BF_ROW_PARTIAL);
	assert_int_equal(part.op, RECORD_OP_UPDATE);
	assert_true(part.has_before);
	assert_int_equal(part.before[0].kind, VALUE_TEXT);
	assert_string_equal(part.before[0].data, "5");
	assert_string_equal(part.after[0].data, "5");
	assert_int_equal(part.after[1].kind, VALUE_UNCHANGED);
	assert_int_equal(part.after[2].kind, VALUE_TEXT);
	assert_string_equal(part.after[2].data, "big five");
	assert_int_equal(part.nkeys, 1);
	bf_close(set, w);
	assert_null(find("t", 1));
}

/* A later update that sends the TOASTed value writes it: nothing is left
 * for the chunk. A delete after an update wins. */
static void test_row_history(void **st)
{
	(void)st;
	open_window("t", 2, 100, 1000);
	note("t", 'u', "5", "5", "a", "~");
	note("t", 'u', "5", "5", "b", "sent");
	note("t", 'u', "6", "6", "a", "~");
	note("t", 'd', "6", NULL, NULL, NULL);
	note("t", 'u', "7", "7", "a", "~");
	note("t", 'u', "7", "7", "b", "~");
	bf_window *w = find("t", 2);
	assert_int_equal(row(w, "5", "x", "y"), BF_ROW_DROP);
	assert_int_equal(row(w, "6", "x", "y"), BF_ROW_DROP);
	assert_int_equal(row(w, "7", "x", "y"), BF_ROW_PARTIAL);
	bf_close(set, w);
}

static void test_truncate(void **st)
{
	(void)st;
	open_window("t", 3, 100, 1000);
	record_clear(&rec);
	rec.version = 1;
	rec.op = 't';
	assert_int_equal(record_set_table(&rec, "db", "public", "t"), 0);
	assert_int_equal(bf_note(set, &rec), 0);
	bf_window *w = find("t", 3);
	assert_int_equal(row(w, "1", "one", "b1"), BF_ROW_DROP);
	/* The truncate record a backfill with --truncate writes. */
	record t;
	record_init(&t);
	assert_int_equal(bf_truncate(w, "db", &t), 0);
	assert_int_equal(t.op, RECORD_OP_TRUNCATE);
	assert_string_equal(t.table, "t");
	assert_int_equal(t.ncols, 3);
	assert_string_equal(t.cols[2].type, "text");
	assert_int_equal(t.nkeys, 1);
	assert_int_equal(t.keys[0], 0);
	record_free(&t);
	bf_close(set, w);
}

/* The stream's records may list the columns in another order (a column
 * list, an ALTER): columns are matched by name. */
static void test_column_order(void **st)
{
	(void)st;
	open_window("t", 4, 100, 1000);
	record_clear(&rec);
	rec.version = 1;
	rec.op = 'u';
	assert_int_equal(record_set_table(&rec, "db", "public", "t"), 0);
	assert_int_equal(record_set_shape(&rec, 3, true, true), 0);
	const char *order[] = {"big", "id", "name"};
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(record_set_column(&rec, i, order[i], "text"), 0);
	uint16_t k = 1;
	assert_int_equal(record_set_keys(&rec, &k, 1), 0);
	assert_int_equal(record_set_value(&rec, rec.before, 1, VALUE_TEXT, "5", 1), 0);
	assert_int_equal(record_set_value(&rec, rec.after, 0, VALUE_UNCHANGED, NULL, 0), 0);
	assert_int_equal(record_set_value(&rec, rec.after, 1, VALUE_TEXT, "5", 1), 0);
	assert_int_equal(record_set_value(&rec, rec.after, 2, VALUE_TEXT, "n", 1), 0);
	assert_int_equal(bf_note(set, &rec), 0);
	bf_window *w = find("t", 4);
	assert_int_equal(row(w, "5", "x", "kept"), BF_ROW_PARTIAL);
	assert_int_equal(part.after[1].kind, VALUE_UNCHANGED);
	assert_string_equal(part.after[2].data, "kept");
	bf_close(set, w);
}

/* Confirmation stops at the oldest open window's low watermark. */
static void test_hold(void **st)
{
	(void)st;
	assert_int_equal(bf_hold(set), UINT64_MAX);
	open_window("a", 1, 100, 1000);
	open_window("b", 1, 200, 1000);
	assert_int_equal(bf_hold(set), 100);
	assert_int_equal(bf_open_count(set), 2);
	bf_close(set, find("a", 1));
	assert_int_equal(bf_hold(set), 200);
	bf_close(set, find("b", 1));
	assert_int_equal(bf_hold(set), UINT64_MAX);
}

static int expired_calls;
static void on_expired(void *ctx, const char *schema, const char *table, uint64_t chunk)
{
	(void)ctx;
	assert_string_equal(schema, "public");
	assert_string_equal(table, "a");
	assert_int_equal(chunk, 9);
	expired_calls++;
}

/* A window whose high watermark does not come within max_wal is over. */
static void test_expire(void **st)
{
	(void)st;
	open_window("a", 9, 1000, 50);
	note("a", 'u', "1", "1", "x", "y");
	assert_true(bf_bytes(set) > 0);
	expired_calls = 0;
	assert_int_equal(bf_expire(set, 1050, on_expired, NULL), 0);
	assert_non_null(find("a", 9));
	assert_int_equal(bf_expire(set, 1051, on_expired, NULL), 1);
	assert_int_equal(expired_calls, 1);
	assert_null(find("a", 9));
	assert_int_equal(bf_hold(set), UINT64_MAX);
	assert_int_equal(bf_bytes(set), 0);
}

/* A new low watermark of a table replaces its open window; an abort closes
 * the window it names only; other slots' messages are not ours. */
static void test_replace_abort_slot(void **st)
{
	(void)st;
	open_window("a", 1, 100, 1000);
	buf b;
	buf_init(&b, 0);
	assert_int_equal(bfmsg_build_low(&b, "s1", "run", "public", "a", 2, KEYS, 1, COLS, TYPES, 3, 1000), 0);
	bfmsg m;
	char err[128];
	assert_int_equal(bfmsg_parse(b.data, b.len, &m, err, sizeof err), 0);
	assert_int_equal(bf_open(set, &m, 150), 1);
	bfmsg_free(&m);
	assert_null(find("a", 1));
	assert_non_null(find("a", 2));
	assert_int_equal(bf_hold(set), 150);

	buf_reset(&b);
	assert_int_equal(bfmsg_build_abort(&b, "s1", "run", "public", "a", 1), 0);
	assert_int_equal(bfmsg_parse(b.data, b.len, &m, err, sizeof err), 0);
	assert_int_equal(bf_abort(set, &m), 0);
	bfmsg_free(&m);
	buf_reset(&b);
	assert_int_equal(bfmsg_build_abort(&b, "s1", "run", "public", "a", 2), 0);
	assert_int_equal(bfmsg_parse(b.data, b.len, &m, err, sizeof err), 0);
	assert_int_equal(bf_abort(set, &m), 1);
	bfmsg_free(&m);
	assert_int_equal(bf_open_count(set), 0);

	buf_reset(&b);
	assert_int_equal(bfmsg_build_abort(&b, "other", "run", "public", "a", 2), 0);
	assert_int_equal(bfmsg_parse(b.data, b.len, &m, err, sizeof err), 0);
	assert_false(bf_ours(set, &m));
	bfmsg_free(&m);
	buf_free(&b);
}

/* Many keys: the set grows and finds them all; reset forgets windows. */
static void test_many_keys(void **st)
{
	(void)st;
	open_window("t", 5, 100, 1000);
	char id[16];
	for (int i = 0; i < 5000; i += 2) {
		snprintf(id, sizeof id, "%d", i);
		note("t", 'u', id, id, "n", "b");
	}
	bf_window *w = find("t", 5);
	for (int i = 0; i < 5000; i++) {
		snprintf(id, sizeof id, "%d", i);
		assert_int_equal(row(w, id, "x", "y"), i % 2 ? BF_ROW_AS_IS : BF_ROW_DROP);
	}
	/* A row of another table, or without its key, is bad input. */
	assert_int_equal(bf_row(w, make("other", 'r', NULL, NULL, NULL, "1", "x", "y"), &part), -1);
	assert_int_equal(bf_row(w, make("t", 'r', NULL, NULL, NULL, NULL, "x", "y"), &part), -1);
	bf_reset(set);
	assert_int_equal(bf_open_count(set), 0);
	assert_int_equal(bf_hold(set), UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_low_round_trip),  cmocka_unit_test(test_high_round_trip),
		cmocka_unit_test(test_bad_messages),    cmocka_unit_test(test_rows),
		cmocka_unit_test(test_row_history),     cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_column_order),    cmocka_unit_test(test_hold),
		cmocka_unit_test(test_expire),          cmocka_unit_test(test_replace_abort_slot),
		cmocka_unit_test(test_many_keys),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
