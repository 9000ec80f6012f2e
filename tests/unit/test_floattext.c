/* Unit tests for lib/floattext: a number's text read as a float or a
 * double, and whether it is within its type's range. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "floattext.h"

static bool rd(const char *s, bool f32, double *d)
{
	return floattext_read(s, strlen(s), f32, d);
}

static bool in_range(const char *s, bool f32)
{
	return floattext_in_range(s, strlen(s), f32);
}

static bool nonzero(const char *s)
{
	return floattext_nonzero_mantissa(s, strlen(s));
}

/* A text of n bytes: head, then fill up to n - strlen(tail), then tail. */
static char *made(const char *head, char fill, size_t n, const char *tail)
{
	char *s = malloc(n + 1);
	size_t h = strlen(head), t = strlen(tail);
	assert_true(h + t <= n);
	memcpy(s, head, h);
	memset(s + h, fill, n - h - t);
	memcpy(s + n - t, tail, t);
	s[n] = '\0';
	return s;
}

static void test_read(void **state)
{
	(void)state;
	double d;
	assert_true(rd("1.5", false, &d));
	assert_true(d == 1.5);
	assert_true(rd("-2.5e-3", false, &d));
	assert_true(d == -2.5e-3);
	assert_true(rd("0.1", true, &d));
	assert_true(d == (double)0.1f);
	/* the whole text, or nothing */
	assert_false(rd("", false, &d));
	assert_false(rd("1.5x", false, &d));
	assert_false(rd("1.5 ", false, &d));
	assert_false(rd("e5", false, &d));
	assert_false(floattext_read("1\0002", 3, false, &d)); /* a NUL inside */
	/* only n bytes: the text need not end in a NUL */
	assert_true(floattext_read("1.25e2junk", 6, false, &d));
	assert_true(d == 125);
	assert_true(floattext_read("7", 1, true, &d));
	assert_true(d == 7);
	/* strtod's grammar: the callers check their own */
	assert_true(rd(" +1", false, &d));
	assert_true(d == 1);
	assert_true(rd("NaN", false, &d));
	assert_true(isnan(d));
	assert_true(rd("-Infinity", true, &d));
	assert_true(isinf(d) && d < 0);
	/* -0 keeps its sign */
	assert_true(rd("-0", false, &d));
	assert_true(d == 0 && signbit(d));
	assert_true(rd("0e999999", false, &d));
	assert_true(d == 0 && !signbit(d));
	/* overflow reads as ±HUGE_VAL, underflow as 0 or a denormal */
	assert_true(rd("1e39", true, &d));
	assert_true(isinf(d));
	assert_true(rd("1e38", true, &d));
	assert_true(d == (double)1e38f);
	assert_true(rd("-1e309", false, &d));
	assert_true(isinf(d) && d < 0);
	assert_true(rd("1e-46", true, &d));
	assert_true(d == 0);
	assert_true(rd("1e-400", false, &d));
	assert_true(d == 0);
	assert_true(rd("1e-40", true, &d));
	assert_true(d > 0 && d < FLT_MIN);
	assert_true(rd("4.9e-324", false, &d));
	assert_true(d > 0 && d < DBL_MIN);
	/* a float is rounded once: 1 + 2^-24 + 1e-34 is just above the
	 * midpoint of 1 and 1 + 2^-23, and reads as the latter; read as a
	 * double first it would be the midpoint, and then 1 */
	assert_true(rd("1.0000000596046447753906250000000001", true, &d));
	assert_true(d == 1 + 0x1p-23);
}

/* Texts around the stack copy's 64 bytes, and far longer ones. */
static void test_read_lengths(void **state)
{
	(void)state;
	double d;
	for (size_t n = 60; n <= 68; n++) {
		char *s = made("1.", '0', n, "");
		assert_true(floattext_read(s, n, false, &d));
		assert_true(d == 1);
		free(s);
		s = made("0.", '0', n, "5");
		assert_true(floattext_read(s, n, false, &d));
		assert_true(d > 0 && d < 1e-50);
		free(s);
		s = made("1.", '0', n, "x");
		assert_false(floattext_read(s, n, false, &d));
		free(s);
	}
	/* leading zeros, 100,000 of them */
	char *s = made("-", '0', 100000, "25e-2");
	assert_true(rd(s, false, &d));
	assert_true(d == -0.25);
	free(s);
	/* 309 and 310 digits: 1e308 and 1e309 */
	s = made("1", '0', 309, "");
	assert_true(rd(s, false, &d));
	assert_true(d == 1e308);
	free(s);
	s = made("1", '0', 310, "");
	assert_true(rd(s, false, &d));
	assert_true(isinf(d));
	free(s);
}

static void test_nonzero_mantissa(void **state)
{
	(void)state;
	assert_false(nonzero("0"));
	assert_false(nonzero("-0"));
	assert_false(nonzero("0.000"));
	assert_false(nonzero("0e999999"));
	assert_false(nonzero("-0.0E-5"));
	assert_false(nonzero("0e1")); /* the exponent's digits do not count */
	assert_false(nonzero(""));
	assert_true(nonzero("1e-400"));
	assert_true(nonzero("0.0001"));
	assert_true(nonzero("-00009"));
	assert_true(nonzero("0.5E-99999"));
	/* hex, as strtod reads it: 'e' is a digit, 'p' the exponent */
	assert_true(nonzero("0xep-99999"));
	assert_true(nonzero("-0X0.Ep-9999"));
	assert_true(nonzero(" +0x0.001P-2000"));
	assert_false(nonzero("0x0p19"));
	assert_false(nonzero("\t-0x0.000p-1"));
	/* only n bytes */
	assert_false(floattext_nonzero_mantissa("0.01", 3));
	assert_true(floattext_nonzero_mantissa("0.01", 4));
}

static void test_in_range_float(void **state)
{
	(void)state;
	assert_true(in_range("1.5", true));
	assert_true(in_range("3.4028235e+38", true)); /* FLT_MAX as printed */
	assert_true(in_range("-3.4028235e38", true));
	/* beyond the midpoint of FLT_MAX and 2^128: Infinity */
	assert_false(in_range("3.4028236e38", true));
	assert_false(in_range("1e39", true));
	assert_false(in_range("-1e39", true));
	assert_true(in_range("1e38", true));
	/* below: 0; a denormal is in range */
	assert_false(in_range("1e-46", true));
	assert_false(in_range("-1e-46", true));
	assert_true(in_range("1e-45", true));
	assert_true(in_range("1e-40", true));
	assert_true(in_range("1.17549435e-38", true));
	/* zeros, whatever their exponent */
	assert_true(in_range("0", true));
	assert_true(in_range("-0", true));
	assert_true(in_range("0e999999", true));
	assert_true(in_range("-0.000e-999999", true));
	/* 38 digits are below FLT_MAX; 39 may not be */
	char *s = made("", '9', 38, "");
	assert_true(in_range(s, true));
	free(s);
	assert_false(in_range("340282366920938463463374607431768211456", true)); /* 2^128 */
	assert_true(in_range("340282366920938463463374607431768211456", false));
	assert_true(in_range("100000000000000000000000000000000000000", true));
	/* long texts without an exponent, below the range too */
	s = made("0.", '0', 48, "1"); /* 1e-46 */
	assert_false(in_range(s, true));
	assert_true(in_range(s, false));
	free(s);
	s = made("-0.", '0', 42, "1"); /* 1e-39, a denormal */
	assert_true(in_range(s, true));
	free(s);
	/* leading zeros */
	s = made("", '0', 60, "1");
	assert_true(in_range(s, true));
	free(s);
	s = made("-", '0', 60, "1e39");
	assert_false(in_range(s, true));
	free(s);
	/* a zero of many digits */
	s = made("0.", '0', 500, "");
	assert_true(in_range(s, true));
	free(s);
}

static void test_in_range_double(void **state)
{
	(void)state;
	assert_true(in_range("1.7976931348623157e+308", false));
	assert_false(in_range("1.7976931348623159e308", false));
	assert_false(in_range("1e309", false));
	assert_false(in_range("-1e309", false));
	assert_false(in_range("1e9308", false));
	assert_true(in_range("1e308", false));
	assert_false(in_range("1e-400", false));
	assert_false(in_range("-1e-9999", false));
	assert_true(in_range("4.9e-324", false));
	assert_true(in_range("5e-324", false));
	assert_true(in_range("3e-324", false));  /* rounds up to the least denormal */
	assert_false(in_range("2e-324", false)); /* below half of it: 0 */
	assert_true(in_range("2.2250738585072014e-308", false));
	assert_true(in_range("1e-310", false));
	assert_true(in_range("-0", false));
	assert_true(in_range("0e999999", false));
	assert_true(in_range("0E-999999", false));
	/* 309 and 310 digits */
	char *s = made("1", '0', 309, "");
	assert_true(in_range(s, false));
	free(s);
	s = made("-1", '0', 311, "");
	assert_false(in_range(s, false));
	free(s);
	s = made("0.", '0', 401, "1"); /* 1e-400 */
	assert_false(in_range(s, false));
	free(s);
	/* an exponent that overflows an int */
	assert_false(in_range("1e99999999999999999999", false));
	assert_true(in_range("0e99999999999999999999", false));
	assert_false(in_range("1e-99999999999999999999", false));
}

/* Texts that are not decimals: never in range, nor taken for one. */
static void test_in_range_other(void **state)
{
	(void)state;
	assert_false(in_range("NaN", false));
	assert_false(in_range("Infinity", false));
	assert_false(in_range("-Infinity", true));
	assert_false(in_range("inf", true));
	assert_false(in_range("0x1p200", true)); /* hex: read, and beyond */
	assert_true(in_range("0x1p200", false));
	assert_false(in_range("0xep-99999", false)); /* 14 * 2^-99999: 0 */
	assert_true(in_range("0x0p99", true));
	assert_true(in_range("0x1p-1074", false));
	assert_false(in_range("1e5x", false));
	char *s = made("1", '0', 50, "x");
	assert_false(in_range(s, false));
	free(s);
	/* only n bytes: "1e3" of "1e39" */
	assert_true(floattext_in_range("1e39", 3, true));
	assert_false(floattext_in_range("1e39", 4, true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_read_lengths),
		cmocka_unit_test(test_nonzero_mantissa),
		cmocka_unit_test(test_in_range_float),
		cmocka_unit_test(test_in_range_double),
		cmocka_unit_test(test_in_range_other),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
