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
	static const struct {
		const char *s;
		bool want;
	} cases[] = {
		{"0", false}, {"-0", false}, {"0.000", false}, {"0e999999", false}, {"-0.0E-5", false},
		{"0e1", false}, /* the exponent's digits do not count */
		{"", false}, {"1e-400", true}, {"0.0001", true}, {"-00009", true}, {"0.5E-99999", true},
		/* hex, as strtod reads it: 'e' is a digit, 'p' the exponent */
		{"0xep-99999", true}, {"-0X0.Ep-9999", true}, {" +0x0.001P-2000", true}, {"0x0p19", false},
		{"\t-0x0.000p-1", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (floattext_nonzero_mantissa(cases[i].s, strlen(cases[i].s)) != cases[i].want)
			fail_msg("\"%s\": not %s", cases[i].s, cases[i].want ? "nonzero" : "zero");
	/* only n bytes */
	assert_false(floattext_nonzero_mantissa("0.01", 3));
	assert_true(floattext_nonzero_mantissa("0.01", 4));
}

/* Whether texts are in the range of a float (f32) and of a double (f64). */
static void test_in_range(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		bool f32, f64;
	} cases[] = {
		{"1.5", true, true},
		/* the largest: FLT_MAX as printed; beyond the midpoint of it and
		 * 2^128, Infinity; likewise DBL_MAX */
		{"3.4028235e+38", true, true},
		{"-3.4028235e38", true, true},
		{"3.4028236e38", false, true},
		{"1e38", true, true},
		{"1e39", false, true},
		{"-1e39", false, true},
		{"1.7976931348623157e+308", false, true},
		{"1.7976931348623159e308", false, false},
		{"1e308", false, true},
		{"1e309", false, false},
		{"-1e309", false, false},
		{"1e9308", false, false},
		/* the smallest: below it 0, a denormal in range */
		{"1.17549435e-38", true, true},
		{"1e-40", true, true},
		{"1e-45", true, true},
		{"1e-46", false, true},
		{"-1e-46", false, true},
		{"2.2250738585072014e-308", false, true},
		{"1e-310", false, true},
		{"4.9e-324", false, true},
		{"5e-324", false, true},
		{"3e-324", false, true},  /* rounds up to the least denormal */
		{"2e-324", false, false}, /* below half of it: 0 */
		{"1e-400", false, false},
		{"-1e-9999", false, false},
		/* zeros, whatever their exponent */
		{"0", true, true},
		{"-0", true, true},
		{"0e999999", true, true},
		{"-0.000e-999999", true, true},
		{"0E-999999", true, true},
		/* an exponent that overflows an int */
		{"1e99999999999999999999", false, false},
		{"0e99999999999999999999", true, true},
		{"1e-99999999999999999999", false, false},
		/* 38 digits are below FLT_MAX; 39 may not be: 2^128 */
		{"99999999999999999999999999999999999999", true, true},
		{"100000000000000000000000000000000000000", true, true},
		{"340282366920938463463374607431768211456", false, true},
		/* not decimals: never in range, nor taken for one */
		{"NaN", false, false},
		{"Infinity", false, false},
		{"-Infinity", false, false},
		{"inf", false, false},
		{"0x1p200", false, true}, /* hex: read, and beyond a float */
		{"0xep-99999", false, false}, /* 14 * 2^-99999: 0 */
		{"0x0p99", true, true},
		{"0x1p-1074", false, true},
		{"1e5x", false, false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (in_range(cases[i].s, true) != cases[i].f32)
			fail_msg("\"%s\" as a float: %s range", cases[i].s, cases[i].f32 ? "not in" : "in");
		if (in_range(cases[i].s, false) != cases[i].f64)
			fail_msg("\"%s\" as a double: %s range", cases[i].s, cases[i].f64 ? "not in" : "in");
	}
	/* only n bytes: "1e3" of "1e39" */
	assert_true(floattext_in_range("1e39", 3, true));
	assert_false(floattext_in_range("1e39", 4, true));
}

/* Long texts, with and without an exponent. */
static void test_in_range_long(void **state)
{
	(void)state;
	static const struct {
		const char *head;
		char fill;
		size_t n;
		const char *tail;
		bool f32, f64;
	} cases[] = {
		{"0.", '0', 48, "1", false, true},   /* 1e-46 */
		{"-0.", '0', 42, "1", true, true},   /* 1e-39, a denormal float */
		{"", '0', 60, "1", true, true},      /* leading zeros */
		{"-", '0', 60, "1e39", false, true},
		{"0.", '0', 500, "", true, true},    /* a zero of many digits */
		{"1", '0', 309, "", false, true},    /* 1e308 */
		{"-1", '0', 311, "", false, false},  /* -1e309 */
		{"0.", '0', 401, "1", false, false}, /* 1e-400 */
		{"1", '0', 50, "x", false, false},   /* not read */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s = made(cases[i].head, cases[i].fill, cases[i].n, cases[i].tail);
		if (in_range(s, true) != cases[i].f32 || in_range(s, false) != cases[i].f64)
			fail_msg("case %zu (%.20s… of %zu bytes): not (%d, %d)", i, s, cases[i].n, cases[i].f32,
				 cases[i].f64);
		free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_read_lengths),
		cmocka_unit_test(test_nonzero_mantissa),
		cmocka_unit_test(test_in_range),
		cmocka_unit_test(test_in_range_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
