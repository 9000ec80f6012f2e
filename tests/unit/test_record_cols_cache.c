/* Unit tests for the record reader's "cols" cache (record_json.c): a run of
 * JSON records of one table shares one parsed column list; a record with
 * other columns is parsed in full and replaces it; a bad record after a
 * cached one is still refused; what is decoded equals record_decode_json's
 * result record for record. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"

#define COLS_A "[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"v\",\"type\":\"text\"}]"
#define COLS_B "[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"v\",\"type\":\"text\"},{\"name\":\"w\",\"type\":\"bytea\"}]"
/* the same columns spelled with other bytes: parsed, not taken for A */
#define COLS_A2 "[{\"name\":\"id\", \"type\":\"integer\"},{\"name\":\"v\",\"type\":\"text\"}]"
/* A's bytes as a prefix of a longer array cannot happen (the array closes
 * where A's does); one column fewer is a different array */
#define COLS_C "[{\"name\":\"id\",\"type\":\"integer\"}]"

static const char *const lines[] = {
	"{\"v\":1,\"op\":\"r\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"a\",\"cols\":" COLS_A ",\"key\":[\"id\"],"
	"\"after\":{\"id\":1,\"v\":\"one\"},\"src\":{\"lsn\":\"0/1\",\"xid\":0,\"ts\":\"2026-11-25T10:00:00.000000Z\","
	"\"seq\":1},\"pos\":{\"stream\":\"s1\",\"offset\":\"1\"}}",
	/* key before cols, images after: the cached map serves "key" too */
	"{\"v\":1,\"key\":[\"id\"],\"op\":\"r\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"a\",\"cols\":" COLS_A ","
	"\"after\":{\"v\":\"two\",\"id\":2},\"src\":{\"lsn\":\"0/1\",\"xid\":0,\"ts\":\"2026-11-25T10:00:00.000000Z\","
	"\"seq\":2},\"pos\":{\"stream\":\"s1\",\"offset\":\"2\"}}",
	"{\"v\":1,\"op\":\"c\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"b\",\"cols\":" COLS_B ",\"key\":[\"v\"],"
	"\"after\":{\"id\":3,\"v\":\"three\",\"w\":\"\\\\x00\"},\"src\":{\"lsn\":\"0/1\",\"xid\":7,"
	"\"ts\":\"2026-11-25T10:00:00.000000Z\",\"seq\":3},\"pos\":{\"stream\":\"s1\",\"offset\":\"3\"}}",
	"{\"v\":1,\"op\":\"r\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"a\",\"cols\":" COLS_A2 ",\"key\":[\"id\"],"
	"\"after\":{\"id\":4,\"v\":\"four\"},\"src\":{\"lsn\":\"0/1\",\"xid\":0,\"ts\":\"2026-11-25T10:00:00.000000Z\","
	"\"seq\":4},\"pos\":{\"stream\":\"s1\",\"offset\":\"4\"}}",
	"{\"v\":1,\"op\":\"r\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"a\",\"cols\":" COLS_A2 ",\"key\":[\"id\"],"
	"\"after\":{\"id\":5,\"v\":\"five\"},\"src\":{\"lsn\":\"0/1\",\"xid\":0,\"ts\":\"2026-11-25T10:00:00.000000Z\","
	"\"seq\":5},\"pos\":{\"stream\":\"s1\",\"offset\":\"5\"}}",
	"{\"v\":1,\"op\":\"r\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"c\",\"cols\":" COLS_C ",\"key\":[\"id\"],"
	"\"after\":{\"id\":6},\"src\":{\"lsn\":\"0/1\",\"xid\":0,\"ts\":\"2026-11-25T10:00:00.000000Z\","
	"\"seq\":6},\"pos\":{\"stream\":\"s1\",\"offset\":\"6\"}}",
	/* the cached columns, then a column that is not in them */
	"{\"v\":1,\"op\":\"r\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"c\",\"cols\":" COLS_C ",\"key\":[\"id\"],"
	"\"after\":{\"id\":7,\"v\":\"x\"},\"src\":{\"lsn\":\"0/1\",\"xid\":0,\"ts\":\"2026-11-25T10:00:00.000000Z\","
	"\"seq\":7},\"pos\":{\"stream\":\"s1\",\"offset\":\"7\"}}",
};
#define NLINES (sizeof lines / sizeof lines[0])

static void same(const record *a, const record *b)
{
	assert_int_equal(a->op, b->op);
	assert_string_equal(a->table, b->table);
	assert_int_equal(a->ncols, b->ncols);
	for (size_t i = 0; i < a->ncols; i++) {
		assert_string_equal(a->cols[i].name, b->cols[i].name);
		assert_string_equal(a->cols[i].type, b->cols[i].type);
		assert_int_equal(a->after[i].kind, b->after[i].kind);
		if (a->after[i].kind == VALUE_TEXT)
			assert_string_equal(a->after[i].data, b->after[i].data);
	}
	assert_int_equal(a->nkeys, b->nkeys);
	for (size_t k = 0; k < a->nkeys; k++)
		assert_int_equal(a->keys[k], b->keys[k]);
	assert_true(a->seq == b->seq);
}

static void test_reader_cache(void **state)
{
	(void)state;
	FILE *f = tmpfile();
	assert_non_null(f);
	for (size_t i = 0; i < NLINES; i++)
		fprintf(f, "%s\n", lines[i]);
	fflush(f);
	int fd = dup(fileno(f));
	fclose(f);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	record_reader *rd = record_reader_new(fd);
	assert_non_null(rd);
	record in, want;
	record_init(&in);
	record_init(&want);
	char err[512], werr[512];
	for (size_t i = 0; i + 1 < NLINES; i++) {
		int rc = record_reader_next(rd, &in, err, sizeof err);
		if (rc != 1)
			fail_msg("line %zu: rc %d %s", i + 1, rc, err);
		assert_int_equal(record_decode_json(&want, lines[i], strlen(lines[i]), werr, sizeof werr), 0);
		same(&in, &want);
	}
	/* line 2's key came before its cols: "id" is column 0 all the same */
	assert_int_equal(record_reader_next(rd, &in, err, sizeof err), -1);
	assert_non_null(strstr(err, "line 7"));
	assert_non_null(strstr(err, "\"v\" that is not in \"cols\""));
	record_reader_free(rd);
	close(fd);
	record_free(&in);
	record_free(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
