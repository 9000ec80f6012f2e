/* Unit tests for lib/pgvalue.c: PostgreSQL's date/time text output to the
 * record's normalised forms. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "pgvalue.h"

static void check(pgvalue_norm n, const char *in, const char *want)
{
	buf out;
	buf_init(&out, 0);
	const char *res = NULL;
	size_t len = 0;
	int rc = pgvalue_normalize(n, in, strlen(in), &out, &res, &len);
	if (!want) {
		if (rc != -1)
			fail_msg("\"%s\" accepted as \"%.*s\"", in, (int)len, res);
	} else {
		if (rc != 0)
			fail_msg("\"%s\" refused", in);
		if (len != strlen(want) || memcmp(res, want, len) != 0)
			fail_msg("\"%s\" -> \"%.*s\", want \"%s\"", in, (int)len, res, want);
	}
	buf_free(&out);
}

static void test_norm_for_type(void **state)
{
	(void)state;
	assert_int_equal(pgvalue_norm_for_type(1184), PGVALUE_TIMESTAMPTZ);
	assert_int_equal(pgvalue_norm_for_type(1114), PGVALUE_TIMESTAMP);
	assert_int_equal(pgvalue_norm_for_type(1083), PGVALUE_TIME);
	assert_int_equal(pgvalue_norm_for_type(1266), PGVALUE_TIMETZ);
	assert_int_equal(pgvalue_norm_for_type(1082), PGVALUE_AS_IS); /* date */
	assert_int_equal(pgvalue_norm_for_type(1700), PGVALUE_AS_IS); /* numeric */
	assert_int_equal(pgvalue_norm_for_type(25), PGVALUE_AS_IS);
}

static void test_as_is(void **state)
{
	(void)state;
	buf out;
	buf_init(&out, 0);
	const char *in = "12.50 and anything", *res;
	size_t len;
	assert_int_equal(pgvalue_normalize(PGVALUE_AS_IS, in, 5, &out, &res, &len), 0);
	assert_ptr_equal(res, in); /* no copy */
	assert_int_equal(len, 5);
	buf_free(&out);
}

static void test_timestamptz(void **state)
{
	(void)state;
	pgvalue_norm n = PGVALUE_TIMESTAMPTZ;
	check(n, "2026-11-25 13:58:45.1+00", "2026-11-25T13:58:45.100000Z");
	check(n, "2026-11-25 13:58:45+00", "2026-11-25T13:58:45.000000Z");
	check(n, "2026-11-25 13:58:45.123456+00", "2026-11-25T13:58:45.123456Z");
	check(n, "2026-11-25 13:58:45.000001+00", "2026-11-25T13:58:45.000001Z");
	check(n, "2026-11-25 13:58:45.5+05:30", "2026-11-25T08:28:45.500000Z");
	check(n, "2026-01-01 01:00:00-08", "2026-01-01T09:00:00.000000Z");
	check(n, "2026-01-01 03:00:00+05", "2025-12-31T22:00:00.000000Z");
	check(n, "2024-03-01 00:30:00+01", "2024-02-29T23:30:00.000000Z");
	check(n, "1900-01-01 00:00:00+00:19:32", "1899-12-31T23:40:28.000000Z");
	check(n, "infinity", "infinity");
	check(n, "-infinity", "-infinity");
	check(n, "0044-03-15 12:00:00+00 BC", "0044-03-15T12:00:00.000000Z BC");
	/* crossing from 1 AD back into 1 BC */
	check(n, "0001-01-01 02:00:00+05", "0001-12-31T21:00:00.000000Z BC");
	check(n, "0001-12-31 23:00:00-02 BC", "0001-01-01T01:00:00.000000Z");
	check(n, "12026-11-25 13:58:45+00", "12026-11-25T13:58:45.000000Z");
	check(n, "2026-11-25 13:58:45", NULL);
	check(n, "2026-11-25T13:58:45+00", NULL);
	check(n, "2026-11-25 13:58:45.1234567+00", NULL);
	check(n, "2026-11-25 13:58:45+00 AD", NULL);
	check(n, "", NULL);
	check(n, "garbage", NULL);
}

static void test_timestamp(void **state)
{
	(void)state;
	pgvalue_norm n = PGVALUE_TIMESTAMP;
	check(n, "2026-11-25 13:58:45.1", "2026-11-25T13:58:45.100000");
	check(n, "2026-11-25 13:58:45", "2026-11-25T13:58:45.000000");
	check(n, "2026-11-25 13:58:45.999999", "2026-11-25T13:58:45.999999");
	check(n, "4713-01-01 00:00:00 BC", "4713-01-01T00:00:00.000000 BC");
	check(n, "infinity", "infinity");
	check(n, "-infinity", "-infinity");
	check(n, "2026-11-25 13:58:45+00", NULL);
	check(n, "2026-11-25 13:58", NULL);
	check(n, "2026-11-25 13:58:45.", NULL);
}

static void test_time(void **state)
{
	(void)state;
	check(PGVALUE_TIME, "13:58:45.1", "13:58:45.100000");
	check(PGVALUE_TIME, "00:00:00", "00:00:00.000000");
	check(PGVALUE_TIME, "24:00:00", "24:00:00.000000");
	check(PGVALUE_TIME, "23:59:59.999999", "23:59:59.999999");
	check(PGVALUE_TIME, "13:58", NULL);
	check(PGVALUE_TIME, "13:58:45+02", NULL);
	check(PGVALUE_TIMETZ, "13:58:45+02", "13:58:45.000000+02:00");
	check(PGVALUE_TIMETZ, "13:58:45.25+05:30", "13:58:45.250000+05:30");
	check(PGVALUE_TIMETZ, "13:58:45-08", "13:58:45.000000-08:00");
	check(PGVALUE_TIMETZ, "13:58:45+00", "13:58:45.000000+00:00");
	check(PGVALUE_TIMETZ, "13:58:45+00:19:32", "13:58:45.000000+00:19:32");
	check(PGVALUE_TIMETZ, "13:58:45", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_norm_for_type),
		cmocka_unit_test(test_as_is),
		cmocka_unit_test(test_timestamptz),
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_time),
	};
	return cmocka_run_group_tests_name("pgvalue", tests, NULL, NULL);
}
