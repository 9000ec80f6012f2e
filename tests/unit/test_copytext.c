/* Unit tests for lib/copytext: splitting COPY text rows and decoding their
 * escapes in place. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copytext.h"

/* Splits a copy of s (so the test literal stays intact). */
static int split(const char *s, char **keep, copytext_field *f, size_t max)
{
	size_t len = strlen(s);
	*keep = malloc(len + 1);
	memcpy(*keep, s, len + 1);
	return copytext_split(*keep, len, f, max);
}

static void expect_field(const copytext_field *f, const char *data, size_t len)
{
	assert_false(f->null);
	assert_int_equal(f->len, len);
	assert_memory_equal(f->data, data, len);
	assert_int_equal(f->data[len], '\0');
}

static void test_plain_fields(void **state)
{
	(void)state;
	copytext_field f[8];
	char *row;
	assert_int_equal(split("1\tabc\t\tlast\n", &row, f, 8), 4);
	expect_field(&f[0], "1", 1);
	expect_field(&f[1], "abc", 3);
	expect_field(&f[2], "", 0);
	expect_field(&f[3], "last", 4);
	free(row);
	/* Without the trailing newline too. */
	assert_int_equal(split("x\ty", &row, f, 8), 2);
	expect_field(&f[0], "x", 1);
	expect_field(&f[1], "y", 1);
	free(row);
	/* A trailing empty field. */
	assert_int_equal(split("x\t\n", &row, f, 8), 2);
	expect_field(&f[1], "", 0);
	free(row);
}

static void test_nulls(void **state)
{
	(void)state;
	copytext_field f[8];
	char *row;
	assert_int_equal(split("\\N\t\\\\N\t\\N\n", &row, f, 8), 3);
	assert_true(f[0].null);
	assert_int_equal(f[0].len, 0);
	/* "\\N" is the two characters backslash and N, not NULL. */
	expect_field(&f[1], "\\N", 2);
	assert_true(f[2].null);
	free(row);
	/* \N only as a whole field: "\Nx" is "Nx". */
	assert_int_equal(split("\\Nx", &row, f, 8), 1);
	expect_field(&f[0], "Nx", 2);
	free(row);
}

static void test_escapes(void **state)
{
	(void)state;
	copytext_field f[8];
	char *row;
	assert_int_equal(split("a\\tb\\nc\\\\d\\re\\bf\\fg\\vh\tz\n", &row, f, 8), 2);
	expect_field(&f[0], "a\tb\nc\\d\re\bf\fg\vh", 15);
	expect_field(&f[1], "z", 1);
	free(row);
	/* Octal: 1 to 3 digits; hex: 1 or 2 digits; \x without a hex digit is x. */
	assert_int_equal(split("\\101\\7\\0101\\x41\\x4g\\xzz\\q\\.", &row, f, 8), 1);
	expect_field(&f[0], "A\a\b1A\x04gxzzq.", 12);
	free(row);
	/* A backslash before the delimiter is a literal tab inside the field. */
	assert_int_equal(split("a\\\tb\tc", &row, f, 8), 2);
	expect_field(&f[0], "a\tb", 3);
	expect_field(&f[1], "c", 1);
	free(row);
	/* UTF-8 passes through untouched. */
	assert_int_equal(split("\xc3\xa9\\t\xe2\x82\xac\t\xf0\x9f\x98\x80", &row, f, 8), 2);
	expect_field(&f[0], "\xc3\xa9\t\xe2\x82\xac", 6);
	expect_field(&f[1], "\xf0\x9f\x98\x80", 4);
	free(row);
}

static void test_edges(void **state)
{
	(void)state;
	copytext_field f[4];
	char *row;
	/* Empty row: one empty field. */
	assert_int_equal(split("\n", &row, f, 4), 1);
	expect_field(&f[0], "", 0);
	free(row);
	/* Too many fields. */
	assert_int_equal(split("1\t2\t3\t4\t5", &row, f, 4), -1);
	free(row);
	assert_int_equal(split("1\t2\t3\t4", &row, f, 4), 4);
	free(row);
	/* A lone backslash at the end. */
	assert_int_equal(split("abc\\", &row, f, 4), -1);
	free(row);
	assert_int_equal(split("abc\\\n", &row, f, 4), -1);
	free(row);
}

/* Every byte value survives PostgreSQL's encoding (as COPY TO writes it). */
static void test_round_trip_all_bytes(void **state)
{
	(void)state;
	char in[256], enc[1024];
	size_t n = 0;
	for (int c = 1; c < 256; c++)
		in[c - 1] = (char)c;
	for (int c = 1; c < 256; c++) {
		unsigned char u = (unsigned char)c;
		switch (u) {
		case '\b': enc[n++] = '\\'; enc[n++] = 'b'; break;
		case '\f': enc[n++] = '\\'; enc[n++] = 'f'; break;
		case '\n': enc[n++] = '\\'; enc[n++] = 'n'; break;
		case '\r': enc[n++] = '\\'; enc[n++] = 'r'; break;
		case '\t': enc[n++] = '\\'; enc[n++] = 't'; break;
		case '\v': enc[n++] = '\\'; enc[n++] = 'v'; break;
		case '\\': enc[n++] = '\\'; enc[n++] = '\\'; break;
		default:
			if (u < 0x20 || u == 0x7f)
				n += (size_t)sprintf(enc + n, "\\%03o", u);
			else
				enc[n++] = (char)u;
		}
	}
	enc[n] = '\0';
	copytext_field f[2];
	assert_int_equal(copytext_split(enc, n, f, 2), 1);
	expect_field(&f[0], in, 255);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_fields),
		cmocka_unit_test(test_nulls),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_round_trip_all_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
