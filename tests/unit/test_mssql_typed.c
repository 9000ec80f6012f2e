/* Unit tests for lib/mssql_typed: record values converted to the binary
 * values a typed bulk copy sends, and their T-SQL literals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mssql_typed.h"
#include "tsql.h"

static buf scratch, lit;
static char err[300];

static bool strict; /* without --clamp-infinity */

/* pgtype: a PostgreSQL type by the type map, or "decimal(p,s)" as
 * --type-map numeric=decimal(p,s) makes it. */
static int conv(const char *pgtype, const char *in, mssql_typed *v)
{
	tsql_type t;
	if (!strncmp(pgtype, "decimal", 7))
		tsql_parse_sqltype(pgtype, &t);
	else
		tsql_map_type(pgtype, &t);
	t.clamp = !strict;
	err[0] = '\0';
	return mssql_typed_value(&t, in, strlen(in), &scratch, v, err, sizeof err);
}

/* The literal of a converted value, "ERR: reason", or "EMPTY". */
static const char *show(const char *pgtype, const char *in)
{
	mssql_typed v;
	int rc = conv(pgtype, in, &v);
	buf_reset(&lit);
	if (rc < 0)
		buf_printf(&lit, "ERR: %s", err);
	else if (rc == MSSQL_TYPED_EMPTY)
		buf_puts(&lit, "EMPTY");
	else
		mssql_typed_literal(&lit, &v);
	buf_terminate(&lit);
	return lit.data;
}

static void test_integers(void **state)
{
	(void)state;
	mssql_typed v;
	assert_int_equal(conv("smallint", "-32768", &v), 0);
	assert_int_equal(v.host, MSSQL_HOST_INT2);
	assert_int_equal(v.i, -32768);
	assert_int_equal(conv("smallint", "32768", &v), -1);
	assert_non_null(strstr(err, "smallint"));
	assert_int_equal(conv("integer", "2147483647", &v), 0);
	assert_int_equal(v.host, MSSQL_HOST_INT4);
	assert_int_equal(conv("integer", "-2147483649", &v), -1);
	assert_int_equal(conv("bigint", "-9223372036854775808", &v), 0);
	assert_true(v.i == INT64_MIN);
	assert_int_equal(conv("bigint", "9223372036854775807", &v), 0);
	assert_true(v.i == INT64_MAX);
	assert_int_equal(conv("bigint", "9223372036854775808", &v), -1);
	assert_int_equal(conv("integer", "1.5", &v), -1);
	assert_int_equal(conv("integer", "", &v), -1);
	assert_int_equal(conv("integer", "-", &v), -1);
	assert_string_equal(show("boolean", "t"), "1");
	assert_string_equal(show("boolean", "false"), "0");
	assert_string_equal(show("boolean", "yes"), "ERR: not a boolean: \"yes\"");
}

static void test_decimal(void **state)
{
	(void)state;
	mssql_typed v;
	assert_int_equal(conv("numeric(12,3)", "6.789", &v), 0);
	assert_int_equal(v.host, MSSQL_HOST_DECIMAL);
	assert_int_equal(v.prec, 12);
	assert_int_equal(v.scale, 3);
	assert_false(v.neg);
	assert_true(v.mag == 6789);
	assert_string_equal(show("numeric(12,3)", "-123456789.123"), "CAST(-123456789.123 AS decimal(12,3))");
	/* fewer decimals than the scale: padded */
	assert_string_equal(show("numeric(18,2)", "1234.5"), "CAST(1234.50 AS decimal(18,2))");
	assert_string_equal(show("numeric(18,2)", "7"), "CAST(7.00 AS decimal(18,2))");
	/* more: refused, never rounded (CAST would round half away from zero);
	 * trailing zeros beyond the scale are no change */
	assert_string_equal(show("decimal(38,10)", "0.00000000005"),
			    "ERR: \"0.00000000005\" does not go into decimal(38,10) unchanged (more decimals than it "
			    "holds: it would round)");
	assert_string_equal(show("decimal(38,10)", "-0.000000000049999"),
			    "ERR: \"-0.000000000049999\" does not go into decimal(38,10) unchanged (more decimals than "
			    "it holds: it would round)");
	assert_string_equal(show("decimal(38,10)", "0.28571428571428571429"),
			    "ERR: \"0.28571428571428571429\" does not go into decimal(38,10) unchanged (more decimals "
			    "than it holds: it would round)");
	assert_string_equal(show("decimal(38,10)", "0.100000000000000"), "CAST(0.1000000000 AS decimal(38,10))");
	assert_string_equal(show("decimal(3,1)", "1.25"),
			    "ERR: \"1.25\" does not go into decimal(3,1) unchanged (more decimals than it holds: it would "
			    "round)");
	assert_string_equal(show("decimal(3,1)", "99.96"),
			    "ERR: \"99.96\" does not go into decimal(3,1) unchanged (more decimals than it holds: it "
			    "would round)");
	assert_string_equal(show("decimal(3,1)", "100.0"),
			    "ERR: \"100.0\" does not go into decimal(3,1) unchanged (more integer digits than it holds)");
	/* no negative zero */
	assert_int_equal(conv("decimal(38,10)", "-0.000", &v), 0);
	assert_false(v.neg);
	assert_true(v.mag == 0);
	/* 28 integer digits fit decimal(38,10), 29 do not; leading zeros do not count */
	assert_string_equal(show("decimal(38,10)", "9999999999999999999999999999.9999999999"),
			    "CAST(9999999999999999999999999999.9999999999 AS decimal(38,10))");
	assert_string_equal(show("decimal(38,10)", "00000000000099999999999999999999999999.5"),
			    "CAST(99999999999999999999999999.5000000000 AS decimal(38,10))");
	assert_string_equal(show("decimal(38,10)", "123456789012345678901234567890.000000000000000000001"),
			    "ERR: \"123456789012345678901234567890.000000000000000000001\" does not go into "
			    "decimal(38,10) unchanged (more integer digits than it holds)");
	/* unconstrained numeric keeps every value as its text */
	assert_string_equal(show("numeric", "0.28571428571428571429"), "N'0.28571428571428571429'");
	assert_string_equal(show("numeric", "NaN"), "N'NaN'");
	assert_string_equal(show("numeric(38,0)", "-99999999999999999999999999999999999999"),
			    "CAST(-99999999999999999999999999999999999999 AS decimal(38,0))");
	assert_string_equal(show("numeric(10,2)", "NaN"), "ERR: NaN has no SQL Server equivalent");
	/* digits are gathered 18 at a time: values on either side of that */
	assert_string_equal(show("numeric(38,0)", "123456789012345678"), "CAST(123456789012345678 AS decimal(38,0))");
	assert_string_equal(show("numeric(38,0)", "1234567890123456789"),
			    "CAST(1234567890123456789 AS decimal(38,0))");
	assert_string_equal(show("numeric(38,2)", "-1234567890123456789012345678901234.56"),
			    "CAST(-1234567890123456789012345678901234.56 AS decimal(38,2))");
	assert_string_equal(show("numeric(38,1)", "0001000000000000000000000000000000000000.1"),
			    "CAST(1000000000000000000000000000000000000.1 AS decimal(38,1))");
	/* the precision bound at and beyond 19 digits: 10^p from two words */
	assert_string_equal(show("numeric(19,0)", "9999999999999999999"), "CAST(9999999999999999999 AS decimal(19,0))");
	assert_int_equal(conv("decimal(19,0)", "10000000000000000000", &v), -1);
	assert_string_equal(show("numeric(20,0)", "99999999999999999999"),
			    "CAST(99999999999999999999 AS decimal(20,0))");
	assert_int_equal(conv("decimal(20,0)", "100000000000000000000", &v), -1);
	assert_string_equal(show("numeric(25,0)", "9999999999999999999999999"), "CAST(9999999999999999999999999 AS decimal(25,0))");
	assert_int_equal(conv("decimal(25,0)", "10000000000000000000000000", &v), -1);
	assert_int_equal(conv("decimal(37,2)", "100000000000000000000000000000000000.00", &v), -1);
	assert_int_equal(conv("decimal(37,2)", "99999999999999999999999999999999999.99", &v), 0);
	assert_int_equal(conv("decimal(38,10)", "1.2.3", &v), -1);
	assert_int_equal(conv("decimal(38,10)", "1e5", &v), -1);
	assert_int_equal(conv("decimal(38,10)", ".", &v), -1);
	/* values of up to 18 digits take a shorter way (parse_decimal): the
	 * same results at its edges */
	assert_string_equal(show("numeric(3,1)", ".5"), "CAST(0.5 AS decimal(3,1))");
	assert_string_equal(show("numeric(3,1)", "5."), "CAST(5.0 AS decimal(3,1))");
	assert_string_equal(show("numeric(3,1)", "+1.2"), "CAST(1.2 AS decimal(3,1))");
	assert_string_equal(show("numeric(3,1)", "-0.0"), "CAST(0.0 AS decimal(3,1))");
	assert_string_equal(show("numeric(18,1)", "99999999999999999.9"), "CAST(99999999999999999.9 AS decimal(18,1))");
	assert_int_equal(conv("decimal(18,0)", "999999999999999999.", &v), 0);
	assert_int_equal(conv("decimal(17,0)", "999999999999999999", &v), -1);
	assert_string_equal(show("decimal(20,19)", "1.5"), "CAST(1.5000000000000000000 AS decimal(20,19))");
	assert_int_equal(conv("decimal(20,19)", "10.5", &v), -1);
	assert_string_equal(show("decimal(38,37)", "1.5"), "CAST(1.5000000000000000000000000000000000000 AS decimal(38,37))");
	assert_string_equal(show("numeric(18,2)", "0007.50"), "CAST(7.50 AS decimal(18,2))");
	assert_int_equal(conv("decimal(38,10)", "-", &v), -1);
	assert_int_equal(conv("decimal(38,10)", "1..", &v), -1);
	assert_int_equal(conv("decimal(38,10)", "1-", &v), -1);
	/* prec 38: 10^38 is the bound (a constant, pow10_38), both ways */
	assert_string_equal(show("decimal(38,0)", "99999999999999999999999999999999999999"),
			    "CAST(99999999999999999999999999999999999999 AS decimal(38,0))");
	assert_int_equal(conv("decimal(38,0)", "100000000000000000000000000000000000000", &v), -1);
	assert_string_equal(show("decimal(38,20)", "-1234567890123456.78"),
			    "CAST(-1234567890123456.78000000000000000000 AS decimal(38,20))");
	assert_string_equal(show("decimal(38,19)", "999999999999999999"),
			    "CAST(999999999999999999.0000000000000000000 AS decimal(38,19))");
	assert_int_equal(conv("decimal(38,37)", "9.9999999999999999999999999999999999999", &v), 0);
	assert_int_equal(conv("decimal(38,37)", "10", &v), -1);
	assert_int_equal(conv("decimal(38,38)", ".99999999999999999", &v), 0);
	assert_int_equal(conv("decimal(38,38)", "1", &v), -1);
}

static void test_money_float(void **state)
{
	(void)state;
	mssql_typed v;
	assert_int_equal(conv("money", "-$1,234.56", &v), 0);
	assert_int_equal(v.host, MSSQL_HOST_MONEY);
	assert_true(v.i == -12345600);
	assert_string_equal(show("money", "$92,233,720,368,547.58"), "CAST(92233720368547.5800 AS money)");
	/* PostgreSQL's money reaches 92,233,720,368,547,758.07; SQL Server's 922,337,203,685,477.5807 */
	assert_string_equal(show("money", "$922,337,203,685,477.58"), "CAST(922337203685477.5800 AS money)");
	assert_string_equal(show("money", "$922,337,203,685,477.59"),
			    "ERR: out of range for money: \"$922,337,203,685,477.59\"");
	assert_string_equal(show("money", "$92,233,720,368,547,758.07"),
			    "ERR: out of range for money: \"$92,233,720,368,547,758.07\"");
	assert_string_equal(show("money", "-$922,337,203,685,477.58"), "CAST(-922337203685477.5800 AS money)");

	assert_int_equal(conv("real", "3.4028235e38", &v), 0);
	assert_int_equal(v.host, MSSQL_HOST_REAL);
	assert_true((float)v.f == 3.4028235e38f);
	assert_string_equal(show("real", "3.5e38"), "ERR: out of range for real: \"3.5e38\"");
	assert_string_equal(show("real", "-0"), "CAST(N'-0' AS real)");
	assert_string_equal(show("double precision", "1.7976931348623157e308"),
			    "CAST(N'1.7976931348623157e+308' AS float)");
	assert_string_equal(show("double precision", "0.1"), "CAST(N'0.10000000000000001' AS float)");
	assert_string_equal(show("double precision", "Infinity"), "ERR: Infinity has no SQL Server equivalent");
	/* below the smallest normal number of the type: SQL Server's range
	 * has none (float 2.23E-308, real 1.18E-38) */
	assert_string_equal(show("double precision", "1e-310"),
			    "ERR: \"1e-310\" does not go into float unchanged (below float's smallest, 2.23E-308)");
	assert_string_equal(show("real", "1e-40"),
			    "ERR: \"1e-40\" does not go into real unchanged (below real's smallest, 1.18E-38)");
	assert_string_equal(show("double precision", "2.2250738585072014e-308"),
			    "CAST(N'2.2250738585072014e-308' AS float)");
	assert_int_equal(conv("double precision", "1,5", &v), -1);
	/* a text of any length (a producer writing a double's exact expansion
	 * has hundreds of digits): 64 bytes and more were "not a number" */
	char longer[200];
	snprintf(longer, sizeof longer, "0.5%0150d", 0);
	assert_int_equal(conv("double precision", longer, &v), 0);
	assert_true(v.f == 0.5);
	assert_int_equal(conv("real", longer, &v), 0);
	assert_true(v.f == 0.5);
	/* below the type's range altogether: not 0 */
	assert_string_equal(show("real", "1e-46"),
			    "ERR: \"1e-46\" does not go into real unchanged (below real's smallest, 1.18E-38)");
	assert_string_equal(show("double precision", "-1e-400"),
			    "ERR: \"-1e-400\" does not go into float unchanged (below float's smallest, 2.23E-308)");
	assert_string_equal(show("double precision", "0e-400"), "CAST(N'0' AS float)");
	/* a NUL inside is not the end of the number */
	buf_reset(&scratch);
	tsql_type t;
	tsql_map_type("double precision", &t);
	assert_int_equal(mssql_typed_value(&t, "1\0" "5", 3, &scratch, &v, err, sizeof err), -1);
	assert_int_equal(mssql_typed_value(&t, "\0", 1, &scratch, &v, err, sizeof err), -1);

	/* money holds 4 decimals: more would round */
	assert_string_equal(show("money", "0.00005"),
			    "ERR: \"0.00005\" does not go into money unchanged (more than 4 decimals: it would round)");
	assert_string_equal(show("money", "-$1,234.56789"),
			    "ERR: \"-1234.56789\" does not go into money unchanged (more than 4 decimals: it would "
			    "round)");
	assert_int_equal(conv("money", "1.50000", &v), 0);
	assert_true(v.i == 15000);
}

static void test_dates(void **state)
{
	(void)state;
	mssql_typed v;
	assert_int_equal(conv("date", "0001-01-01", &v), 0);
	assert_int_equal(v.days, 0);
	assert_int_equal(conv("date", "9999-12-31", &v), 0);
	assert_int_equal(v.days, 3652058);
	assert_int_equal(conv("date", "1900-01-01", &v), 0);
	assert_int_equal(v.days, 693595);
	assert_string_equal(show("date", "2024-02-29"), "CAST(N'2024-02-29' AS date)");
	assert_string_equal(show("date", "2023-02-29"), "ERR: not a date: \"2023-02-29\"");
	assert_string_equal(show("date", "infinity"), "CAST(N'9999-12-31' AS date)");
	assert_string_equal(show("date", "-infinity"), "CAST(N'0001-01-01' AS date)");
	/* without --clamp-infinity: refused */
	strict = true;
	assert_string_equal(show("date", "infinity"), "ERR: infinity has no SQL Server equivalent (--clamp-infinity "
						      "writes the ends of the type's range instead)");
	assert_string_equal(show("timestamp with time zone", "-infinity"),
			    "ERR: -infinity has no SQL Server equivalent (--clamp-infinity writes the ends of the type's "
			    "range instead)");
	strict = false;
	assert_string_equal(show("date", "0044-03-15 BC"),
			    "ERR: date before year 1 (0044-03-15 BC) has no SQL Server equivalent");
	assert_string_equal(show("date", "10000-01-01"), "ERR: date out of SQL Server's range: \"10000-01-01\"");

	assert_string_equal(show("time without time zone", "13:58:45.123456"), "CAST(N'13:58:45.1234560' AS time(7))");
	assert_string_equal(show("time(3) without time zone", "23:59:59.999"), "CAST(N'23:59:59.9990000' AS time(7))");
	assert_string_equal(show("time without time zone", "24:00:00"), "ERR: time 24:00:00 has no SQL Server equivalent");
	/* More fractional-second digits than the type holds: refused, for
	 * the server would round them (a bulk copy as much as a CAST), up to
	 * the next day. Zeros beyond are the same value. */
	assert_string_equal(show("time without time zone", "00:00:00.00000005"),
			    "ERR: \"00:00:00.00000005\" does not go into time(6) unchanged (more fractional-second "
			    "digits: it would round)");
	assert_string_equal(show("time without time zone", "23:59:59.99999995"),
			    "ERR: \"23:59:59.99999995\" does not go into time(6) unchanged (more fractional-second "
			    "digits: it would round)");
	assert_string_equal(show("time(0) without time zone", "00:00:00.5"),
			    "ERR: \"00:00:00.5\" does not go into time(0) unchanged (more fractional-second digits: it "
			    "would round)");
	assert_int_equal(conv("time(0) without time zone", "12:00:01.000000000", &v), 0);
	assert_true(v.ticks == (12 * 3600 + 1) * 10000000ull);
	assert_string_equal(show("timestamp(0) without time zone", "2026-01-01T23:59:59.5"),
			    "ERR: \"2026-01-01T23:59:59.5\" does not go into datetime2(0) unchanged (more "
			    "fractional-second digits: it would round)");
	assert_string_equal(show("timestamp(3) with time zone", "2026-01-01T23:59:59.1234+01"),
			    "ERR: \"2026-01-01T23:59:59.1234+01\" does not go into datetimeoffset(3) unchanged (more "
			    "fractional-second digits: it would round)");
	assert_int_equal(conv("timestamp(3) with time zone", "2026-01-01T23:59:59.123000+01", &v), 0);
	assert_true(v.ticks == (22 * 3600 + 59 * 60 + 59) * 10000000ull + 1230000);

	assert_string_equal(show("timestamp without time zone", "2026-11-25T13:58:45.123456"),
			    "CAST(N'2026-11-25T13:58:45.1234560' AS datetime2(7))");
	assert_string_equal(show("timestamp(3) without time zone", "infinity"),
			    "CAST(N'9999-12-31T23:59:59.9990000' AS datetime2(7))");
	assert_string_equal(show("timestamp without time zone", "-infinity"),
			    "CAST(N'0001-01-01T00:00:00.0000000' AS datetime2(7))");
	assert_string_equal(show("timestamp without time zone", "2026-11-25T13:58"),
			    "ERR: not a timestamp: \"2026-11-25T13:58\"");
	assert_string_equal(show("timestamp without time zone", "2026-11-25T13:58:45Z"),
			    "ERR: not a timestamp: \"2026-11-25T13:58:45Z\"");
}

static void test_datetimeoffset(void **state)
{
	(void)state;
	mssql_typed v;
	/* sent as UTC date and time plus the offset */
	assert_int_equal(conv("timestamp with time zone", "2026-11-25T13:58:45.123456Z", &v), 0);
	assert_int_equal(v.host, MSSQL_HOST_DTO);
	assert_int_equal(v.offset, 0);
	assert_true(v.ticks == (13 * 3600 + 58 * 60 + 45) * 10000000ull + 1234560);
	assert_int_equal(conv("timestamp with time zone", "2026-11-25T00:30:00+05:30", &v), 0);
	assert_int_equal(v.offset, 330);
	assert_true(v.ticks == 19 * 3600 * 10000000ull); /* 19:00 UTC the day before */
	int32_t day = v.days;
	assert_int_equal(conv("timestamp with time zone", "2026-11-24T19:00:00Z", &v), 0);
	assert_int_equal(v.days, day);
	/* a bulk copy converts each row into the same slots: the offset of
	 * the value before must not stay (the record format's way too) */
	assert_int_equal(conv("timestamp with time zone", "2026-11-25T00:30:00+05:30", &v), 0);
	assert_int_equal(conv("timestamp with time zone", "2026-11-24T19:00:00.000000Z", &v), 0);
	assert_int_equal(v.offset, 0);
	assert_int_equal(v.days, day);
	assert_string_equal(show("timestamp with time zone", "2026-11-25T00:30:00+05:30"),
			    "CAST(N'2026-11-25T00:30:00.0000000+05:30' AS datetimeoffset(7))");
	/* Timestamps as the record format writes them take a shorter way
	 * (record_timestamp): the same values, the same refusals. */
	assert_string_equal(show("timestamp with time zone", "2024-02-29T23:59:59.999999Z"),
			    "CAST(N'2024-02-29T23:59:59.9999990+00:00' AS datetimeoffset(7))");
	assert_string_equal(show("timestamp with time zone", "0001-01-01T00:00:00.000000Z"),
			    "CAST(N'0001-01-01T00:00:00.0000000+00:00' AS datetimeoffset(7))");
	assert_string_equal(show("timestamp without time zone", "9999-12-31T23:59:59.999999"),
			    "CAST(N'9999-12-31T23:59:59.9999990' AS datetime2(7))");
	assert_string_equal(show("timestamp with time zone", "2023-02-29T00:00:00.000000Z"),
			    "ERR: not a timestamp: \"2023-02-29T00:00:00.000000Z\"");
	assert_string_equal(show("timestamp with time zone", "2026-01-01T23:59:60.000000Z"),
			    "ERR: not a timestamp: \"2026-01-01T23:59:60.000000Z\"");
	assert_string_equal(show("timestamp with time zone", "0000-12-31T00:00:00.000000Z"),
			    "ERR: not a timestamp: \"0000-12-31T00:00:00.000000Z\"");
	assert_string_equal(show("timestamp(3) with time zone", "2026-01-01T00:00:00.123456Z"),
			    "ERR: \"2026-01-01T00:00:00.123456Z\" does not go into datetimeoffset(3) unchanged (more "
			    "fractional-second digits: it would round)");
	/* a NUL among the digits ends the string for the general way */
	{
		tsql_type t;
		tsql_map_type("timestamp with time zone", &t);
		assert_int_equal(mssql_typed_value(&t, "2026-01-01T00:00:00.5\0" "0000Z", 27, &scratch, &v, err,
						   sizeof err), -1);
	}
	assert_string_equal(show("timestamp with time zone", "2026-06-30T23:59:59.999999-07"),
			    "CAST(N'2026-06-30T23:59:59.9999990-07:00' AS datetimeoffset(7))");
	assert_string_equal(show("timestamp with time zone", "infinity"),
			    "CAST(N'9999-12-31T23:59:59.9999990+00:00' AS datetimeoffset(7))");
	/* in range locally, not in UTC */
	assert_string_equal(show("timestamp with time zone", "0001-01-01T00:30:00+01:00"),
			    "ERR: timestamp out of SQL Server's range: \"0001-01-01T00:30:00+01:00\"");
	assert_string_equal(show("timestamp with time zone", "2026-11-25T00:30:00+15:00"),
			    "ERR: not a timestamp with a time zone offset: \"2026-11-25T00:30:00+15:00\"");
	assert_string_equal(show("timestamp with time zone", "2026-11-25T00:30:00"),
			    "ERR: not a timestamp with a time zone offset: \"2026-11-25T00:30:00\"");
	/* The form the record format writes is checked eight bytes at a
	 * time: a byte out of place anywhere in it is no timestamp, whether
	 * it sits next to the digits ('/' and ':' bound them) or is a letter,
	 * and a digit in a separator's place is none either. */
	const char *good = "2026-11-25T13:58:45.123456Z";
	for (size_t i = 0; i < strlen(good); i++) {
		const char *subs = good[i] >= '0' && good[i] <= '9' ? "/:a" : "0";
		for (const char *c = subs; *c; c++) {
			char bad[32];
			snprintf(bad, sizeof bad, "%s", good);
			bad[i] = *c;
			mssql_typed v;
			if (conv("timestamp with time zone", bad, &v) == 0)
				fail_msg("\"%s\" was taken for a timestamp", bad);
		}
	}
}

static void test_guid_bytes_text(void **state)
{
	(void)state;
	mssql_typed v;
	assert_int_equal(conv("uuid", "6f9619ff-8b86-d011-b42d-00c04fc964ff", &v), 0);
	static const uint8_t wire[16] = {0xff, 0x19, 0x96, 0x6f, 0x86, 0x8b, 0x11, 0xd0,
					 0xb4, 0x2d, 0x00, 0xc0, 0x4f, 0xc9, 0x64, 0xff};
	assert_memory_equal(v.guid, wire, 16);
	assert_string_equal(show("uuid", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"),
			    "CAST(N'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' AS uniqueidentifier)");
	assert_string_equal(show("uuid", "a0eebc999c0b4ef8bb6d6bb9bd380a11"),
			    "ERR: not a uuid: \"a0eebc999c0b4ef8bb6d6bb9bd380a11\"");

	assert_int_equal(conv("bytea", "\\x0001ff", &v), 0);
	assert_int_equal(v.len, 3);
	assert_memory_equal(v.data, "\x00\x01\xff", 3);
	assert_string_equal(show("bytea", "\\x0001FF"), "0x0001ff");
	assert_string_equal(show("bytea", "\\x"), "EMPTY");
	assert_int_equal(conv("bytea", "\\x0g", &v), -1);
	assert_int_equal(conv("bytea", "\\x000", &v), -1);

	assert_int_equal(conv("text", "aé😀", &v), 0);
	assert_int_equal(v.host, MSSQL_HOST_NSTRING);
	assert_int_equal(v.len, 8);
	assert_memory_equal(v.data, "a\0\xe9\0\x3d\xd8\x00\xde", 8);
	assert_string_equal(show("character varying(20)", "it's"), "N'it''s'");
	assert_string_equal(show("text", ""), "EMPTY");
	assert_string_equal(show("jsonb", "{}"), "N'{}'");
	assert_int_equal(conv("text", "\xc3(", &v), -1);
	assert_int_equal(conv("text", "\xed\xa0\x80", &v), -1); /* a surrogate in UTF-8 */
}

static void test_host_sqltype(void **state)
{
	(void)state;
	tsql_type t;
	tsql_map_type("numeric(18,2)", &t);
	assert_string_equal(mssql_host_sqltype(mssql_typed_host(&t)), "decimal");
	tsql_map_type("character(5)", &t);
	assert_string_equal(mssql_host_sqltype(mssql_typed_host(&t)), "nvarchar");
	tsql_map_type("timestamp(3) with time zone", &t);
	assert_string_equal(mssql_host_sqltype(mssql_typed_host(&t)), "datetimeoffset");
	tsql_map_type("interval", &t);
	assert_string_equal(mssql_host_sqltype(mssql_typed_host(&t)), "nvarchar");
}

static int teardown(void **state)
{
	(void)state;
	buf_free(&scratch);
	buf_free(&lit);
	return 0;
}

/* UTF-8 to UTF-16LE against iconv's, for text that puts ASCII runs,
 * two-, three- and four-byte characters at every offset of the 8-byte
 * steps; invalid UTF-8 is refused wherever it stands. */
static void test_utf16(void **state)
{
	(void)state;
	static const char *const pieces[] = {"a", "bcdefgh", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "0123456789"};
	iconv_t cd = iconv_open("UTF-16LE", "UTF-8");
	assert_true(cd != (iconv_t)-1);
	buf out;
	buf_init(&out, 0);
	unsigned seed = 1;
	for (int round = 0; round < 2000; round++) {
		char in[256];
		size_t n = 0;
		int parts = round % 13;
		for (int k = 0; k < parts; k++) {
			seed = seed * 1103515245u + 12345u;
			const char *piece = pieces[(seed >> 16) % 6];
			size_t len = strlen(piece);
			memcpy(in + n, piece, len);
			n += len;
		}
		char want[512];
		char *ip = in, *op = want;
		size_t il = n, ol = sizeof want;
		assert_true(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1);
		buf_reset(&out);
		assert_int_equal(mssql_utf8_to_utf16le(&out, in, n), 0);
		assert_int_equal(out.len, sizeof want - ol);
		assert_memory_equal(out.data, want, out.len);
		/* a stray continuation byte or a cut sequence, anywhere */
		if (n > 0) {
			size_t at = seed % n;
			char bad[257];
			memcpy(bad, in, n);
			bad[at] = (char)0x80;
			buf_reset(&out);
			if ((unsigned char)in[at] < 0x80 || (unsigned char)in[at] >= 0xc0)
				assert_int_equal(mssql_utf8_to_utf16le(&out, bad, n), -1);
		}
	}
	buf_free(&out);
	iconv_close(cd);
}

int main(void)
{
	buf_init(&scratch, 0);
	buf_init(&lit, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_money_float),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_datetimeoffset),
		cmocka_unit_test(test_guid_bytes_text),
		cmocka_unit_test(test_host_sqltype),
		cmocka_unit_test(test_utf16),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
