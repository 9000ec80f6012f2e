/* Unit tests for lib/tsql (quoting, literals, type map, value staging,
 * statements) and lib/mssql_batch (the net change of a batch). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mssql_batch.h"
#include "record.h"
#include "tsql.h"

static char *text(buf *b)
{
	buf_terminate(b);
	return b->data;
}

static void test_ident(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	tsql_ident(&b, "a]b");
	assert_string_equal(text(&b), "[a]]b]");
	buf_reset(&b);
	tsql_ident(&b, "]]");
	assert_string_equal(text(&b), "[]]]]]");
	buf_reset(&b);
	tsql_qname(&b, "my schema", "t[1]");
	assert_string_equal(text(&b), "[my schema].[t[1]]]");
	buf_reset(&b);
	tsql_ident(&b, "naïve \"x\"");
	assert_string_equal(text(&b), "[naïve \"x\"]");
	buf_free(&b);
}

static void test_nstr(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	tsql_nstr(&b, "it's", 4);
	assert_string_equal(text(&b), "N'it''s'");
	buf_reset(&b);
	tsql_nstr(&b, "''", 2);
	assert_string_equal(text(&b), "N''''''");
	buf_reset(&b);
	tsql_nstr(&b, "", 0);
	assert_string_equal(text(&b), "N''");
	buf_reset(&b);
	tsql_nstr(&b, "a'b'c ✓", strlen("a'b'c ✓"));
	assert_string_equal(text(&b), "N'a''b''c ✓'");
	buf_reset(&b);
	/* Only the given length is quoted. */
	tsql_nstr(&b, "x'yz", 2);
	assert_string_equal(text(&b), "N'x'''");
	buf_free(&b);
}

static void expect_type(const char *pg, const char *ms, tsql_kind kind, bool flagged)
{
	tsql_type t;
	tsql_map_type(pg, &t);
	if (strcmp(t.name, ms) != 0)
		fail_msg("%s mapped to %s, want %s", pg, t.name, ms);
	assert_int_equal(t.kind, kind);
	assert_int_equal(t.flagged, flagged);
}

static void test_type_map(void **state)
{
	(void)state;
	expect_type("smallint", "smallint", TSQL_INT, false);
	expect_type("integer", "int", TSQL_INT, false);
	expect_type("bigint", "bigint", TSQL_INT, false);
	expect_type("numeric(18,2)", "decimal(18,2)", TSQL_DECIMAL, true);
	expect_type("numeric(5)", "decimal(5,0)", TSQL_DECIMAL, true);
	/* no decimal holds every value of an unconstrained numeric: the text does */
	expect_type("numeric", "nvarchar(max)", TSQL_STRING, true);
	expect_type("numeric(60,2)", "nvarchar(max)", TSQL_STRING, true);
	expect_type("boolean", "bit", TSQL_BIT, false);
	expect_type("text", "nvarchar(max)", TSQL_STRING, true);
	/* n characters are up to 2n UTF-16 code units */
	expect_type("character varying(20)", "nvarchar(40)", TSQL_STRING, true);
	expect_type("character varying(2000)", "nvarchar(4000)", TSQL_STRING, true);
	expect_type("character varying(2001)", "nvarchar(max)", TSQL_STRING, true);
	expect_type("character varying", "nvarchar(max)", TSQL_STRING, true);
	expect_type("character varying(5000)", "nvarchar(max)", TSQL_STRING, true);
	expect_type("character(3)", "nvarchar(6)", TSQL_STRING, true);
	expect_type("character", "nvarchar(2)", TSQL_STRING, true);
	expect_type("bpchar", "nvarchar(max)", TSQL_STRING, true);
	expect_type("bytea", "varbinary(max)", TSQL_BINARY, true);
	expect_type("date", "date", TSQL_DATE, false);
	expect_type("time without time zone", "time(6)", TSQL_TIME, false);
	expect_type("time(3) without time zone", "time(3)", TSQL_TIME, false);
	expect_type("time with time zone", "nvarchar(max)", TSQL_STRING, true);
	expect_type("timestamp without time zone", "datetime2(6)", TSQL_DATETIME2, false);
	expect_type("timestamp(0) without time zone", "datetime2(0)", TSQL_DATETIME2, false);
	expect_type("timestamp with time zone", "datetimeoffset(6)", TSQL_DTO, false);
	expect_type("timestamp(3) with time zone", "datetimeoffset(3)", TSQL_DTO, false);
	expect_type("uuid", "uniqueidentifier", TSQL_UUID, false);
	expect_type("json", "nvarchar(max)", TSQL_STRING, true);
	expect_type("jsonb", "nvarchar(max)", TSQL_STRING, true);
	expect_type("real", "real", TSQL_FLOAT, false);
	expect_type("double precision", "float", TSQL_FLOAT, false);
	expect_type("money", "money", TSQL_MONEY, false);
	expect_type("interval", "nvarchar(max)", TSQL_STRING, true);
	expect_type("inet", "nvarchar(max)", TSQL_STRING, true);
	expect_type("integer[]", "nvarchar(max)", TSQL_STRING, true);
	expect_type("mood", "nvarchar(max)", TSQL_STRING, true);
}

/* A staged value of PostgreSQL type pg into a target column of SQL Server
 * type sql: NULL when it goes in unchanged, else the reason. */
static const char *fits(const char *pg, const char *sql, const char *v)
{
	static char err[300];
	tsql_type src, dst;
	tsql_map_type(pg, &src);
	tsql_parse_sqltype(sql, &dst);
	return tsql_value_fits(&src, &dst, v, strlen(v), err, sizeof err) ? err : NULL;
}

static void test_value_fits(void **state)
{
	(void)state;
	assert_null(fits("numeric(12,3)", "decimal(10,2)", "12345678.120"));
	assert_non_null(strstr(fits("numeric(12,3)", "decimal(10,2)", "1.125"), "more decimals"));
	assert_non_null(strstr(fits("numeric(12,3)", "decimal(10,2)", "123456789.000"), "integer digits"));
	assert_null(fits("numeric(12,3)", "int", "-7.000"));
	assert_non_null(strstr(fits("numeric(12,3)", "int", "7.5"), "cut"));
	assert_non_null(strstr(fits("double precision", "bigint", "1.5"), "cut"));
	assert_null(fits("double precision", "bigint", "1e+20"));
	assert_null(fits("integer", "bit", "1"));
	assert_non_null(strstr(fits("integer", "bit", "5"), "becomes 1"));
	assert_null(fits("numeric(10,4)", "money", "1.2345"));
	assert_non_null(fits("numeric(10,5)", "money", "1.23456"));
	/* floats: real holds 24 bits; a decimal only when it is a binary fraction */
	assert_null(fits("real", "float", "1.1"));
	assert_non_null(strstr(fits("double precision", "real", "1.1"), "24 bits"));
	assert_null(fits("double precision", "real", "0.5"));
	assert_null(fits("numeric(10,3)", "float", "0.125"));
	assert_non_null(strstr(fits("numeric(10,3)", "float", "0.100"), "no binary"));
	assert_null(fits("integer", "float", "-2147483648"));
	assert_non_null(fits("double precision", "float", "4.9e-324"));
	/* strtod reads hex too: below the range is below it, a zero is 0 */
	assert_non_null(strstr(fits("double precision", "float", "0xep-99999"), "below float's smallest"));
	assert_non_null(strstr(fits("real", "real", "0Xe.0p-9999"), "below real's smallest"));
	assert_null(fits("double precision", "float", "0x0p1"));
	assert_null(fits("double precision", "float", "0x1.8p1"));
	assert_non_null(strstr(fits("double precision", "decimal(38,10)", "0.1"), "decimals"));
	assert_null(fits("double precision", "decimal(38,10)", "0.5"));
	/* times: fractional digits, a date's time, datetime's 1/300 s */
	assert_null(fits("timestamp without time zone", "datetime2(3)", "2026-11-25T13:58:45.123000"));
	assert_non_null(strstr(fits("timestamp without time zone", "datetime2(3)", "2026-11-25T13:58:45.123400"),
			       "fractional"));
	assert_null(fits("timestamp without time zone", "date", "2026-11-25T00:00:00.000000"));
	assert_non_null(strstr(fits("timestamp without time zone", "date", "2026-11-25T00:00:00.000001"), "time of day"));
	assert_non_null(strstr(fits("timestamp without time zone", "time(6)", "2026-11-25T01:00:00"), "date"));
	assert_null(fits("timestamp without time zone", "datetime", "2026-11-25T13:58:45.120000"));
	assert_non_null(strstr(fits("timestamp without time zone", "datetime", "2026-11-25T13:58:45.123000"), "1/300"));
	assert_null(fits("timestamp without time zone", "smalldatetime", "2026-11-25T13:58:00"));
	assert_non_null(fits("timestamp without time zone", "smalldatetime", "2026-11-25T13:58:01"));
	assert_null(fits("time(3) without time zone", "time(7)", "13:58:45.123"));
	assert_non_null(fits("time without time zone", "time(0)", "13:58:45.5"));
	/* text: a float or money as text keeps a few digits; a code page */
	assert_non_null(fits("double precision", "nvarchar(50)", "3.141592653589793"));
	assert_null(fits("text", "varchar(50)", "Grüße, naïve café €"));
	assert_non_null(strstr(fits("text", "varchar(50)", "日本"), "U+65E5"));
	assert_null(fits("text", "nvarchar(50)", "日本"));
	assert_null(fits("text", "xml", "<a/>"));
	assert_null(fits("text", "varchar(10) COLLATE Latin1_General_100_CI_AS_SC_UTF8", "日本"));
	assert_non_null(strstr(fits("text", "varchar(10) COLLATE Cyrillic_General_CI_AS", "é"), "U+00E9"));
	assert_null(fits("text", "varchar(10) COLLATE Cyrillic_General_CI_AS", "plain"));
	/* beyond the length: trailing spaces would be cut without a word;
	 * anything else the server refuses (2628) */
	assert_non_null(strstr(fits("text", "nvarchar(3)", "ab   "), "trailing spaces"));
	assert_null(fits("text", "nvarchar(3)", "ab "));
	assert_non_null(strstr(fits("text", "nvarchar(3)", "abcd"), "2628"));
	assert_non_null(strstr(fits("text", "nvarchar(3)", "😀😀"), "2628"));
	assert_null(fits("text", "nchar(4)", "😀😀"));
	assert_null(fits("bytea", "varbinary(2)", "0x0102"));
	assert_non_null(strstr(fits("bytea", "varbinary(2)", "0x010203"), "2628"));
	assert_null(fits("bytea", "varbinary(max)", "0x010203"));
	assert_non_null(fits("text", "nvarchar(2)", "😀 "));
	assert_null(fits("text", "nvarchar(2)", "😀"));
	/* --type-map */
	char err[300];
	assert_int_equal(tsql_type_map_check("numeric", "decimal(38,18)", err, sizeof err), 0);
	assert_int_equal(tsql_type_map_check("numeric(50,2)", "numeric(38,2)", err, sizeof err), 0);
	assert_int_equal(tsql_type_map_check("interval", "nvarchar(max)", err, sizeof err), 0);
	assert_int_equal(tsql_type_map_check("numeric", "decimal(39,2)", err, sizeof err), -1);
	assert_int_equal(tsql_type_map_check("numeric", "float", err, sizeof err), -1);
	assert_int_equal(tsql_type_map_check("text", "decimal(10,2)", err, sizeof err), -1);
	const char *pg[] = {"numeric"}, *sql[] = {"decimal(38,18)"};
	tsql_type_map m = {1, pg, sql};
	tsql_type t;
	tsql_map_type_with("numeric", &m, &t);
	assert_string_equal(t.name, "decimal(38,18)");
	assert_int_equal(t.kind, TSQL_DECIMAL);
	assert_true(t.flagged);
	assert_int_equal(t.prec, 38);
	assert_int_equal(t.scale, 18);
	tsql_map_type_with("numeric(5,2)", &m, &t);
	assert_string_equal(t.name, "decimal(5,2)");
}

/* A text source's value into a column of another type: only in the
 * type's plain form, which SQL Server converts unchanged; what it would
 * convert by rules of its own (and change: '' to 0 or 1900-01-01, blanks
 * ignored, $ and commas in money, 2 to bit 1) is refused. */
static void test_value_fits_text(void **state)
{
	(void)state;
	static const struct {
		const char *sql, *v;
		bool ok;
	} cases[] = {
		{"int", "5", true},           {"int", "-5", true},          {"int", "+05", true},
		{"int", "", false},           {"int", " 5 ", false},        {"int", "5 ", false},
		{"int", "5.0", false},        {"int", "5e0", false},        {"int", "2147483648", false},
		{"int", "-2147483648", true}, {"smallint", "32768", false}, {"tinyint", "-1", false},
		{"tinyint", "255", true},     {"bigint", "9223372036854775808", false},
		{"bigint", "-9223372036854775808", true},
		{"float", "1.5", true},       {"float", "", false},         {"float", " 1.5", false},
		{"float", "1.5 ", false},     {"float", " 1e400", false},   {"real", "", false},
		{"money", "-12.3400", true},  {"money", "", false},         {"money", "1.00005", false},
		{"money", "$1,000.00", false}, {"money", " 12", false},     {"smallmoney", "", false},
		{"decimal(10,2)", "1.25", true}, {"decimal(10,2)", " 1.25", false}, {"decimal(10,2)", "", false},
		{"bit", "1", true},           {"bit", "0", true},           {"bit", "TRUE", true},
		{"bit", "false", true},       {"bit", "", false},           {"bit", "2", false},
		{"bit", " 1", false},         {"bit", "t", false},          {"bit", "-1", false},
		{"datetime", "2026-01-01 10:00:00.25", true}, {"datetime", "", false},
		{"datetime", "2026-01-01 10:00:00.001", false}, {"datetime", " 2026-01-01 10:00:00", false},
		{"smalldatetime", "", false}, {"smalldatetime", "2026-01-01 10:00:00", true},
		{"datetime2(0)", "2026-01-01 10:00:00", true}, {"datetime2(0)", "2026-01-01T10:00:00", true},
		{"datetime2(0)", "2026-01-01 10:00:00.5", false}, {"datetime2(0)", "2026-01-01 10:00:00 ", false},
		{"datetime2(0)", "", false},  {"datetime2(0)", "2026-01-01", false},
		{"date", "2026-01-01", true}, {"date", "2026-01-01 10:00:00", false}, {"date", "", false},
		{"time(0)", "10:00:00", true}, {"time(0)", "10:00:00.5", false}, {"time(3)", "", false},
		{"datetimeoffset(0)", "2026-01-01 10:00:00+02:00", true},
		{"datetimeoffset(0)", "2026-01-01 10:00:00", false},
		{"nvarchar(10)", "", true},   {"nvarchar(10)", " 5 ", true},
		/* zeros in front do not hide a value beyond the range */
		{"int", "0000000000000000000000000000000005", true},
		{"smallint", "0000000000000000000000000000099999", false},
		{"smallint", "-32768", true}, {"smallint", "-32769", false}, {"tinyint", "-0", true},
		/* SQL Server reads the first 36 characters of a longer string */
		{"uniqueidentifier", "0e984725-c51c-4bf4-9960-e1c80e27aba0", true},
		{"uniqueidentifier", "0E984725-C51C-4BF4-9960-E1C80E27ABA0wrong", false},
		{"uniqueidentifier", "", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *why = fits("text", cases[i].sql, cases[i].v);
		if ((why == NULL) != cases[i].ok)
			fail_msg("text \"%s\" into %s: %s", cases[i].v, cases[i].sql, why ? why : "taken");
		if (why && strcmp(cases[i].sql, "nvarchar(10)"))
			assert_non_null(strstr(why, cases[i].v[0] ? cases[i].v : "\"\""));
	}
	/* char(n)'s padding means nothing (PostgreSQL pads, and drops it
	 * when it reads the value as a number); varchar's blanks are data */
	static const struct {
		const char *pg, *sql, *v;
		bool ok;
	} padded[] = {
		{"character(10)", "int", "42        ", true},
		{"character(12)", "date", "2024-01-01  ", true},
		{"character(5)", "bit", "true ", true},
		{"character(10)", "decimal(10,2)", "1.25      ", true},
		{"character(10)", "int", " 42       ", false},
		{"character(10)", "nvarchar(20)", "42        ", true},
		{"character varying(10)", "int", "42  ", false},
		{"bpchar", "int", "42  ", true},
	};
	for (size_t i = 0; i < sizeof padded / sizeof padded[0]; i++) {
		const char *why = fits(padded[i].pg, padded[i].sql, padded[i].v);
		if ((why == NULL) != padded[i].ok)
			fail_msg("%s \"%s\" into %s: %s", padded[i].pg, padded[i].v, padded[i].sql, why ? why : "taken");
	}
	/* datetime and smalldatetime read three fractional-second digits of
	 * a string at most: the zeros beyond are not sent; anything else is
	 * sent as it is (what has more is refused above) */
	static const struct {
		const char *pg, *sql, *v;
		size_t sent;
	} sent[] = {
		{"text", "datetime", "2026-01-01 10:00:00.250000", 23},
		{"text", "datetime", "2026-01-01T10:00:00.0000", 23},
		{"text", "datetime", "2026-01-01 10:00:00.250", 23},
		{"text", "datetime", "2026-01-01 10:00:00.25", 22},
		{"text", "datetime", "2026-01-01 10:00:00", 19},
		{"text", "smalldatetime", "2026-01-01 10:00:00.000000", 23},
		{"character(30)", "datetime", "2026-01-01 10:00:00.500000    ", 23},
		{"text", "datetime", "2026-01-01 10:00:00.000001", 26},
		{"text", "datetime2(6)", "2026-01-01 10:00:00.250000", 26},
		{"timestamp without time zone", "datetime", "2026-01-01T10:00:00.250000", 26},
		{"text", "nvarchar(40)", "2026-01-01 10:00:00.250000", 26},
	};
	for (size_t i = 0; i < sizeof sent / sizeof sent[0]; i++) {
		tsql_type src, dst;
		tsql_map_type(sent[i].pg, &src);
		tsql_parse_sqltype(sent[i].sql, &dst);
		size_t n = tsql_value_sent_len(&src, &dst, sent[i].v, strlen(sent[i].v));
		if (n != sent[i].sent)
			fail_msg("%s \"%s\" into %s: %zu bytes sent, want %zu", sent[i].pg, sent[i].v, sent[i].sql, n,
				 sent[i].sent);
	}
	/* SET DATEFORMAT ymd: a dmy login language would swap month and day
	 * of 'YYYY-MM-DD hh:mm:ss' in datetime */
	buf b = {0};
	assert_int_equal(tsql_session_options(&b), 0);
	assert_non_null(strstr(b.data, "SET DATEFORMAT ymd;"));
	buf_free(&b);
}

/* Numbers of any length are read: an unconstrained numeric (staged as
 * text) has up to 147,455 digits. Texts of 400 bytes or more were once
 * not read (NaN): 1.000… was refused for bit, and 0.1000… went into float
 * unchecked, for the server to round. */
static void test_value_fits_long(void **state)
{
	(void)state;
	char z[1200], s[1300];
	memset(z, '0', sizeof z - 1);
	z[sizeof z - 1] = '\0';
	for (int n = 398; n <= 402; n++) {
		snprintf(s, sizeof s, "1.%.*s", n - 2, z);
		assert_null(fits("numeric", "bit", s));
		assert_null(fits("numeric", "float", s));
		assert_null(fits("double precision", "float", s));
		snprintf(s, sizeof s, "0.1%.*s", n - 3, z);
		assert_non_null(strstr(fits("numeric", "float", s), "no binary"));
		assert_non_null(strstr(fits("numeric", "bit", s), "only 0 and 1"));
		snprintf(s, sizeof s, "0.%.*s1", n - 3, z); /* about 1e-400 */
		assert_non_null(strstr(fits("numeric", "float", s), "below float's smallest"));
		assert_non_null(strstr(fits("double precision", "float", s), "below float's smallest"));
		assert_non_null(strstr(fits("real", "real", s), "below real's smallest"));
		snprintf(s, sizeof s, "-%.*s2.5", n - 4, z); /* leading zeros */
		assert_null(fits("numeric", "float", s));
		assert_non_null(strstr(fits("numeric", "int", s), "cut"));
	}
	/* DBL_MIN written out: 2^-1022 exactly, 715 digits after the
	 * point's leading zeros, 1,024 bytes */
	int n = snprintf(s, sizeof s, "%.1022f", 0x1p-1022);
	while (s[n - 1] == '0')
		s[--n] = '\0';
	assert_true(n > 1000);
	assert_null(fits("numeric", "float", s));
	s[n - 1]++; /* ...5 to ...6: a decimal no double is */
	assert_non_null(strstr(fits("numeric", "float", s), "no binary"));
	/* the longest numeric, 131,072 + 16,383 digits */
	char *max = malloc(131072 + 1 + 16383 + 1);
	memset(max, '9', 131072 + 1 + 16383);
	max[131072] = '.';
	max[131072 + 1 + 16383] = '\0';
	assert_non_null(strstr(fits("numeric", "float", max), "no binary"));
	free(max);
}

/* Key columns sized for SQL Server's 900/1,700-byte index limits. */
static void expect_key(const char *const *pg, size_t n, const char *const *want, bool nonclustered)
{
	tsql_type t[8];
	uint16_t k[8] = {0};
	for (size_t i = 0; i < n; i++) {
		tsql_map_type(pg[i], &t[i]);
		k[i] = (uint16_t)i;
	}
	assert_int_equal(tsql_size_key(t, k, n), nonclustered);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(t[i].name, want[i]);
}

static void test_key_size(void **state)
{
	(void)state;
	const char *one[] = {"text"}, *one_w[] = {"nvarchar(450)"};
	expect_key(one, 1, one_w, false);
	const char *ib[] = {"integer", "bytea"}, *ib_w[] = {"int", "varbinary(900)"};
	expect_key(ib, 2, ib_w, true); /* 904 bytes */
	const char *two[] = {"text", "text"}, *two_w[] = {"nvarchar(425)", "nvarchar(425)"};
	expect_key(two, 2, two_w, true);
	const char *mix[] = {"character varying(10)", "text", "bigint", "text"};
	const char *mix_w[] = {"nvarchar(20)", "nvarchar(413)", "bigint", "nvarchar(413)"};
	expect_key(mix, 4, mix_w, true); /* 40 + 8 + 2 * 826 = 1700 */
	const char *fit[] = {"character varying(200)", "character varying(200)", "uuid"};
	const char *fit_w[] = {"nvarchar(400)", "nvarchar(400)", "uniqueidentifier"};
	expect_key(fit, 3, fit_w, true); /* 1616: nonclustered, as it is */
	const char *small[] = {"character varying(100)", "date", "numeric(30,2)"};
	const char *small_w[] = {"nvarchar(200)", "date", "decimal(30,2)"};
	expect_key(small, 3, small_w, false);
	tsql_type ty[1];
	uint16_t k0 = 0;
	tsql_map_type("text", &ty[0]);
	tsql_table t = {"s", "t", "#s", 1, (const char *[]){"k"}, ty, 1, &k0};
	t.nonclustered = tsql_size_key(ty, &k0, 1);
	buf b;
	buf_init(&b, 0);
	tsql_create_table(&b, &t);
	/* a text key in a binary collation: distinct in case, as in PostgreSQL */
	assert_string_equal(text(&b), "CREATE TABLE [s].[t] ([k] nvarchar(450) COLLATE Latin1_General_100_BIN2 NOT NULL, "
				      "CONSTRAINT [PK_t] PRIMARY KEY ([k]));");
	t.nonclustered = true;
	buf_reset(&b);
	tsql_create_table(&b, &t);
	assert_string_equal(text(&b), "CREATE TABLE [s].[t] ([k] nvarchar(450) COLLATE Latin1_General_100_BIN2 NOT NULL, "
				      "CONSTRAINT [PK_t] PRIMARY KEY NONCLUSTERED ([k]));");
	/* its key matched exactly: lengths too (SQL Server pads in =) */
	buf_reset(&b);
	tsql_delete(&b, &t);
	assert_string_equal(text(&b), "DELETE FROM [s].[t] WHERE EXISTS (SELECT 1 FROM #s AS s WHERE s.[__op] = N'd' AND "
				      "[s].[t].[k] = CASE WHEN s.[u1] = 2 THEN N'' ELSE s.[c1] END AND DATALENGTH([s].[t].[k]) = "
				      "DATALENGTH(CASE WHEN s.[u1] = 2 THEN N'' ELSE s.[c1] END));");
	/* a target's key in a collation that ignores case: a binary match too */
	tsql_type tt[1];
	tsql_parse_sqltype("nvarchar(20) COLLATE SQL_Latin1_General_CP1_CI_AS", &tt[0]);
	assert_string_equal(tt[0].collation, "SQL_Latin1_General_CP1_CI_AS");
	assert_string_equal(tt[0].name, "nvarchar(20)");
	t.targets = tt;
	buf_reset(&b);
	tsql_merge(&b, &t, false);
	assert_non_null(strstr(text(&b), "ON t.[k] = s.[c1] AND DATALENGTH(t.[k]) = DATALENGTH(s.[c1]) AND t.[k] = s.[c1] "
					 "COLLATE Latin1_General_100_BIN2\n"));
	buf_reset(&b);
	tsql_staging_create(&b, &t);
	assert_string_equal(text(&b), "CREATE TABLE #s ([__seq] bigint NOT NULL, [__op] nchar(1) NOT NULL, [c1] nvarchar(20) "
				      "COLLATE SQL_Latin1_General_CP1_CI_AS NULL, [u1] tinyint NULL, INDEX [k] CLUSTERED ([c1]));");
	/* a varchar target: staged as text in its collation, no index */
	tsql_parse_sqltype("varchar(20) COLLATE Latin1_General_100_CI_AS_SC_UTF8", &tt[0]);
	buf_reset(&b);
	tsql_staging_create(&b, &t);
	assert_string_equal(text(&b), "CREATE TABLE #s ([__seq] bigint NOT NULL, [__op] nchar(1) NOT NULL, [c1] nvarchar(max) "
				      "COLLATE Latin1_General_100_CI_AS_SC_UTF8 NULL, [u1] tinyint NULL);");
	/* a key longer than 900 bytes: a nonclustered index; than 1,700: none */
	tsql_parse_sqltype("nvarchar(800) COLLATE Latin1_General_100_BIN2", &tt[0]);
	buf_reset(&b);
	tsql_staging_create(&b, &t);
	assert_non_null(strstr(text(&b), ", INDEX [k] NONCLUSTERED ([c1]));"));
	tsql_parse_sqltype("nvarchar(900) COLLATE Latin1_General_100_BIN2", &tt[0]);
	buf_reset(&b);
	tsql_staging_create(&b, &t);
	assert_null(strstr(text(&b), "INDEX"));
	/* an nchar key in a collation that ignores case: the binary match
	 * alone (its values have its very length, so = ignores no blanks) */
	tsql_parse_sqltype("nchar(3) COLLATE SQL_Latin1_General_CP1_CI_AS", &tt[0]);
	buf_reset(&b);
	tsql_merge(&b, &t, false);
	assert_non_null(strstr(text(&b), "ON t.[k] = s.[c1] AND t.[k] = s.[c1] COLLATE Latin1_General_100_BIN2\n"));
	/* a varbinary key: SQL Server's = ignores trailing zero bytes (0x01 =
	 * 0x0100), so the lengths must match too */
	tsql_map_type("bytea", &ty[0]);
	tsql_parse_sqltype("varbinary(900)", &tt[0]);
	buf_reset(&b);
	tsql_merge(&b, &t, false);
	assert_non_null(strstr(text(&b), "ON t.[k] = s.[c1] AND DATALENGTH(t.[k]) = DATALENGTH(s.[c1])\n"));
	/* nchar(n), char(n) and binary(n) pad a shorter value: refused, but
	 * for a char(n) source, whose blanks mean nothing */
	tsql_type src, dst;
	char why[300];
	tsql_map_type("text", &src);
	tsql_parse_sqltype("nchar(3)", &dst);
	assert_int_equal(tsql_value_fits(&src, &dst, "ab", 2, why, sizeof why), -1);
	assert_non_null(strstr(why, "shorter than the column"));
	assert_int_equal(tsql_value_fits(&src, &dst, "ab ", 3, why, sizeof why), 0);
	assert_int_equal(tsql_value_fits(&src, &dst, "\xc3\xa9t\xc3\xa9", 5, why, sizeof why), 0);
	tsql_parse_sqltype("char(4)", &dst);
	assert_int_equal(tsql_value_fits(&src, &dst, "abc", 3, why, sizeof why), -1);
	tsql_map_type("character(2)", &src);
	tsql_parse_sqltype("nchar(3)", &dst);
	assert_int_equal(tsql_value_fits(&src, &dst, "ab", 2, why, sizeof why), 0);
	tsql_map_type("bytea", &src);
	tsql_parse_sqltype("binary(2)", &dst);
	assert_int_equal(tsql_value_fits(&src, &dst, "0x01", 4, why, sizeof why), -1);
	assert_int_equal(tsql_value_fits(&src, &dst, "0x0100", 6, why, sizeof why), 0);
	tsql_parse_sqltype("varbinary(2)", &dst);
	assert_int_equal(tsql_value_fits(&src, &dst, "0x01", 4, why, sizeof why), 0);
	assert_true(tsql_error_is_data(1946) && tsql_error_is_data(8672) && tsql_error_is_data(8169));
	assert_true(tsql_error_is_truncate_refused(1088));
	assert_true(tsql_error_is_truncate_refused(4712) && tsql_error_is_truncate_refused(4711) &&
		    tsql_error_is_truncate_refused(13545) && tsql_error_is_truncate_refused(3729));
	assert_false(tsql_error_is_truncate_refused(547));
	/* a login without a permission: no record at fault, nothing transient */
	assert_true(tsql_error_is_permission(229) && tsql_error_is_permission(230) && tsql_error_is_permission(262) &&
		    tsql_error_is_permission(1088) && tsql_error_is_permission(4902));
	assert_false(tsql_error_is_data(229) || tsql_error_is_data(262) || tsql_error_is_data(1088) ||
		     tsql_error_is_data(4902));
	assert_false(tsql_error_is_transient(229) || tsql_error_is_transient(262));
	assert_false(tsql_error_is_permission(547) || tsql_error_is_permission(208) || tsql_error_is_permission(1205));
	buf_free(&b);
}

static void expect_stage_p(tsql_kind k, int prec, const char *in, const char *want)
{
	tsql_type ty = {"", k, false, prec, 0, true};
	if (k == TSQL_DECIMAL)
		tsql_parse_sqltype("decimal(38,10)", &ty);
	buf s;
	buf_init(&s, 0);
	const char *out;
	size_t len;
	char err[200];
	int rc = tsql_stage_value(&ty, in, strlen(in), &s, &out, &len, err, sizeof err);
	if (!want) {
		if (rc == 0)
			fail_msg("%s staged as %.*s, want an error", in, (int)len, out);
	} else {
		if (rc != 0)
			fail_msg("%s: %s", in, err);
		if (len != strlen(want) || memcmp(out, want, len) != 0)
			fail_msg("%s staged as %.*s, want %s", in, (int)len, out, want);
	}
	buf_free(&s);
}

static void expect_stage(tsql_kind k, const char *in, const char *want)
{
	expect_stage_p(k, 6, in, want);
}

static void test_stage_values(void **state)
{
	(void)state;
	expect_stage(TSQL_BIT, "t", "1");
	expect_stage(TSQL_BIT, "f", "0");
	expect_stage(TSQL_BIT, "x", NULL);
	expect_stage(TSQL_BINARY, "\\x0a0bff", "0x0a0bff");
	expect_stage(TSQL_BINARY, "\\x", "0x");
	expect_stage(TSQL_MONEY, "-$1,234.56", "-1234.56");
	expect_stage(TSQL_DECIMAL, "NaN", NULL);
	expect_stage(TSQL_DECIMAL, "-12.500", "-12.500");
	expect_stage(TSQL_DECIMAL, "-12.12345678901", NULL); /* 11 decimals into decimal(38,10) */
	expect_stage(TSQL_FLOAT, "Infinity", NULL);
	expect_stage(TSQL_FLOAT, "1.5e+30", "1.5e+30");
	expect_stage(TSQL_DATE, "infinity", "9999-12-31");
	expect_stage(TSQL_DATE, "-infinity", "0001-01-01");
	expect_stage(TSQL_DATE, "0044-03-15 BC", NULL);
	expect_stage(TSQL_DATE, "10000-01-01", NULL);
	expect_stage(TSQL_DATETIME2, "infinity", "9999-12-31T23:59:59.999999");
	expect_stage(TSQL_DATETIME2, "2026-11-25T13:58:45.123456", "2026-11-25T13:58:45.123456");
	expect_stage(TSQL_DTO, "-infinity", "0001-01-01T00:00:00.000000Z");
	expect_stage_p(TSQL_DATETIME2, 3, "infinity", "9999-12-31T23:59:59.999");
	expect_stage_p(TSQL_DTO, 0, "infinity", "9999-12-31T23:59:59Z");
	expect_stage(TSQL_DTO, "2026-11-25T13:58:45.123456Z", "2026-11-25T13:58:45.123456Z");
	expect_stage(TSQL_TIME, "24:00:00.000000", NULL);
	expect_stage(TSQL_TIME, "23:59:59.999999", "23:59:59.999999");
	expect_stage(TSQL_STRING, "any ' text", "any ' text");
}

/* A two-column table: id integer key, v text. */
static const char *names[] = {"id", "v"};
static tsql_type types[2];
static const uint16_t keys[] = {0};

static tsql_table table(void)
{
	tsql_map_type("integer", &types[0]);
	tsql_map_type("text", &types[1]);
	tsql_table t = {"dbo", "t]x", "#dbrepl_s1", 2, names, types, 1, keys};
	return t;
}

/* Names as SQL Server's default collation compares them: case ignored,
 * code point by code point. */
static void test_name_eq_ci(void **state)
{
	(void)state;
	assert_true(tsql_name_eq_ci("Orders", "orders"));
	assert_true(tsql_name_eq_ci("ORDERS", "orders"));
	assert_true(tsql_name_eq_ci("\xc3\x84pfel", "\xc3\xa4pfel"));     /* Äpfel, äpfel */
	assert_true(tsql_name_eq_ci("\xce\xa3\xce\x91", "\xcf\x83\xce\xb1")); /* ΣΑ, σα */
	assert_false(tsql_name_eq_ci("orders", "order"));
	assert_false(tsql_name_eq_ci("order", "orders"));
	assert_false(tsql_name_eq_ci("a_b", "a-b"));
	assert_false(tsql_name_eq_ci("stra\xc3\x9f" "e", "STRASSE")); /* no full folding */
	/* bytes that are not UTF-8 compare as they are */
	assert_true(tsql_name_eq_ci("x\xff", "X\xff"));
	assert_false(tsql_name_eq_ci("x\xff", "x\xfe"));
	assert_false(tsql_name_eq_ci("\xc3", "\xe3"));
}

/* The minimum row size of SQL Server's error 1701: the fixed-length
 * columns, bit columns eight to a byte, a row header of 4 and a null
 * bitmap of 2 + (columns + 7) / 8 bytes; a variable-length column none. */
static long min_row_of(const char *const *sqltypes, size_t n, long *overhead)
{
	tsql_row_size r = {0};
	for (size_t i = 0; i < n; i++) {
		tsql_type t;
		tsql_parse_sqltype(sqltypes[i], &t);
		tsql_row_add(&r, &t);
	}
	*overhead = tsql_row_overhead(&r);
	return tsql_row_min(&r);
}

static long pg_bytes(const char *pgtype)
{
	tsql_type t;
	tsql_row_size r = {0};
	tsql_map_type(pgtype, &t);
	tsql_row_add(&r, &t);
	return tsql_row_min(&r) - tsql_row_overhead(&r);
}

static long sql_bytes(const char *sqltype)
{
	long ov;
	return min_row_of(&sqltype, 1, &ov) - ov;
}

static void test_row_size(void **state)
{
	(void)state;
	long ov;
	/* SQL Server's own examples: char(8000) and char(54) is 8,061,
	 * including 7 bytes of internal overhead; char(53) fits */
	const char *two[] = {"char(8000)", "char(54)"};
	assert_int_equal(min_row_of(two, 2, &ov), 8061);
	assert_int_equal(ov, 7);
	two[1] = "char(53)";
	assert_int_equal(min_row_of(two, 2, &ov), 8060);
	/* nine bit columns take two bytes, eleven columns a bitmap of 4 */
	const char *bits[11] = {"char(8000)", "char(50)"};
	for (size_t i = 2; i < 11; i++)
		bits[i] = "bit";
	assert_int_equal(min_row_of(bits, 11, &ov), 8060);
	assert_int_equal(ov, 8);
	/* variable-length columns take nothing */
	const char *var[] = {"char(8000)", "char(53)", "nvarchar(4000)", "varbinary(max)", "varchar(max)", "xml"};
	assert_int_equal(min_row_of(var, 6, &ov), 8060);
	/* the type map's types */
	assert_int_equal(pg_bytes("integer"), 4);
	assert_int_equal(pg_bytes("bigint"), 8);
	assert_int_equal(pg_bytes("smallint"), 2);
	assert_int_equal(pg_bytes("boolean"), 1);
	assert_int_equal(pg_bytes("real"), 4);
	assert_int_equal(pg_bytes("double precision"), 8);
	assert_int_equal(pg_bytes("money"), 8);
	assert_int_equal(pg_bytes("date"), 3);
	assert_int_equal(pg_bytes("uuid"), 16);
	assert_int_equal(pg_bytes("numeric(9,2)"), 5);
	assert_int_equal(pg_bytes("numeric(19,2)"), 9);
	assert_int_equal(pg_bytes("numeric(28,2)"), 13);
	assert_int_equal(pg_bytes("numeric(38,10)"), 17);
	assert_int_equal(pg_bytes("timestamp(2) without time zone"), 6);
	assert_int_equal(pg_bytes("timestamp without time zone"), 8);
	assert_int_equal(pg_bytes("timestamp with time zone"), 10);
	assert_int_equal(pg_bytes("time without time zone"), 5);
	assert_int_equal(pg_bytes("time(0) without time zone"), 3);
	assert_int_equal(pg_bytes("text"), 0);
	assert_int_equal(pg_bytes("character varying(10)"), 0);
	assert_int_equal(pg_bytes("character(10)"), 0); /* nvarchar(20) */
	assert_int_equal(pg_bytes("bytea"), 0);
	assert_int_equal(pg_bytes("numeric"), 0);
	/* a target's types, as the catalog spells them */
	assert_int_equal(sql_bytes("tinyint"), 1);
	assert_int_equal(sql_bytes("smallmoney"), 4);
	assert_int_equal(sql_bytes("smalldatetime"), 4);
	assert_int_equal(sql_bytes("datetime"), 8);
	assert_int_equal(sql_bytes("datetime2(7)"), 8);
	assert_int_equal(sql_bytes("datetimeoffset(2)"), 8);
	assert_int_equal(sql_bytes("time(4)"), 4);
	assert_int_equal(sql_bytes("float"), 8);
	assert_int_equal(sql_bytes("nchar(10)"), 20);
	assert_int_equal(sql_bytes("char(10) COLLATE Latin1_General_BIN2"), 10);
	assert_int_equal(sql_bytes("binary(16)"), 16);
	assert_int_equal(sql_bytes("timestamp"), 8); /* rowversion */
	assert_int_equal(sql_bytes("varbinary(100)"), 0);
	assert_int_equal(sql_bytes("nvarchar(max)"), 0);
	assert_int_equal(sql_bytes("sql_variant"), 0);
}

/* A table of 1,000 bigint columns: PostgreSQL holds it, SQL Server does
 * not; the staging table's row: the flags packed when their tinyints
 * would take it over 8,060 bytes, none when even that cannot fit. */
static void test_row_size_tables(void **state)
{
	(void)state;
	enum { N = 1001 };
	static char namebuf[N][8];
	static const char *names[N];
	static tsql_type types[N];
	for (size_t i = 0; i < N; i++) {
		snprintf(namebuf[i], sizeof namebuf[i], "c%zu", i);
		names[i] = namebuf[i];
		tsql_map_type(i ? "bigint" : "integer", &types[i]);
	}
	tsql_table t = {"dbo", "w", "#s", N, names, types, 1, keys};
	tsql_row_size r;
	tsql_create_row(&t, &r);
	assert_int_equal(tsql_row_min(&r), 4 + 8000 + 6 + 126);
	/* 987 bigint columns: 8,030 bytes; their staging table with [__seq],
	 * [__op] and the clustered index's uniqueifier 8,040 */
	t.ncols = 988;
	tsql_create_row(&t, &r);
	assert_int_equal(tsql_row_min(&r), 8030);
	tsql_staging_row(&t, &r);
	assert_int_equal(tsql_row_min(&r), 8040);
	assert_true(tsql_staging_fits(&t));
	assert_false(tsql_staging_packed(&t));
	/* 990: the table fits (8,054), its staging table not (8,065) */
	t.ncols = 991;
	tsql_create_row(&t, &r);
	assert_int_equal(tsql_row_min(&r), 8054);
	tsql_staging_row(&t, &r);
	assert_int_equal(tsql_row_min(&r), 8065);
	assert_false(tsql_staging_fits(&t));

	/* an int key, 30 text columns, 498 uuid columns: the table 8,045
	 * bytes; its staging table with a tinyint flag per text column
	 * 8,089, with the flags packed 8,055 */
	for (size_t i = 1; i < N; i++)
		tsql_map_type(i <= 30 ? "text" : "uuid", &types[i]);
	t.ncols = 1 + 30 + 498;
	tsql_create_row(&t, &r);
	assert_int_equal(tsql_row_min(&r), 8045);
	assert_true(tsql_staging_packed(&t));
	assert_true(tsql_staging_fits(&t));
	tsql_staging_row(&t, &r);
	assert_int_equal(tsql_row_min(&r), 8055);
	assert_int_equal(tsql_staging_ncols(&t), 2 + 529 + 1);
	assert_int_equal(tsql_staging_flag_col(&t, 1), 2 + 529 + 1);
	buf b;
	buf_init(&b, 0);
	tsql_staging_create(&b, &t);
	assert_non_null(strstr(text(&b), ", [__u] nvarchar(529) NULL, INDEX [k] CLUSTERED ([c1]));"));
	assert_null(strstr(text(&b), "[u2]"));
	buf_free(&b);
	/* planned once, as mssql-apply plans it when it knows the targets */
	tsql_staging_plan(&t);
	assert_int_equal(t.staging_layout, TSQL_STAGING_PACKED);
	assert_true(tsql_staging_packed(&t));
	/* 496 uuid: the tinyints fit the minimum row (8,056), but a row whose
	 * 30 values were pushed off it keeps 2 + 30 * 26 bytes more (511):
	 * packed all the same, 8,023 bytes, and a row of it at most 8,023 +
	 * 2 + 30 * 26 + 2 + 24 ([__u]) + 6 (the uniqueifier) */
	t.ncols = 1 + 30 + 496;
	tsql_staging_plan(&t);
	assert_int_equal(t.staging_layout, TSQL_STAGING_PACKED);
	t.staging_layout = TSQL_STAGING_UNPLANNED;
	assert_true(tsql_staging_packed(&t));
	tsql_staging_row(&t, &r);
	assert_int_equal(tsql_row_min(&r), 8023);
	assert_int_equal(tsql_staging_row_max(&t), 8023 + 2 + 30 * 26 + 2 + 24 + 6);
	tsql_create_row(&t, &r);
	assert_int_equal(tsql_target_row_max(&t), tsql_row_min(&r) + 2 + 30 * 26);
	/* 30 text columns beside 400 uuid: a row of the staging table with a
	 * tinyint flag each keeps at most 4 + 6400 + 30 + 10 + 4 + 2 + 58 +
	 * 2 + 30 * 26 + 6 = 7,296 bytes: the flags stay tinyints */
	t.ncols = 1 + 30 + 400;
	assert_false(tsql_staging_packed(&t));
	assert_int_equal(tsql_staging_row_max(&t), 7296);
	/* 499: packed, still 8,071, no staging table */
	t.ncols = 1 + 30 + 499;
	assert_true(tsql_staging_packed(&t));
	assert_false(tsql_staging_fits(&t));
	/* a text key: no index, no uniqueifier */
	tsql_map_type("text", &types[0]);
	t.ncols = 1 + 30 + 498;
	tsql_staging_row(&t, &r);
	assert_int_equal(tsql_row_min(&r), 8055 - 4);
}

/* A table of more text columns than a staging table holds with a flag
 * column each (2 + columns + flags over 1,024): the flags packed into one
 * [__u], a digit per column, which the MERGE reads by position. */
static void test_staging_packed(void **state)
{
	(void)state;
	enum { N = 601 };
	static char namebuf[N][8];
	static const char *wide_names[N];
	static tsql_type wide_types[N];
	for (size_t i = 0; i < N; i++) {
		snprintf(namebuf[i], sizeof namebuf[i], "c%zu", i);
		wide_names[i] = namebuf[i];
		tsql_map_type(i ? "text" : "integer", &wide_types[i]);
	}
	/* the boundary: an int key and 510 text columns take 1,023 with a
	 * flag each, 511 take 1,025 (packed now by the bytes such a row can
	 * keep in it, 2 + 510 * 26 and more, before the columns count: 300
	 * text columns too, 200 not) */
	tsql_table t = {"dbo", "w", "#s", 201, wide_names, wide_types, 1, keys};
	assert_false(tsql_staging_packed(&t));
	assert_int_equal(tsql_staging_ncols(&t), 2 + 201 + 200);
	t.ncols = 301;
	assert_true(tsql_staging_packed(&t));
	t.ncols = 512;
	assert_true(tsql_staging_packed(&t));
	t.ncols = N;
	assert_true(tsql_staging_packed(&t));
	assert_int_equal(tsql_staging_ncols(&t), 2 + N + 1);
	assert_int_equal(tsql_staging_col(&t, 0), 3);
	assert_int_equal(tsql_staging_flag_col(&t, 0), 0);
	assert_int_equal(tsql_staging_col(&t, 600), 603);
	assert_int_equal(tsql_staging_flag_col(&t, 1), 604);
	assert_int_equal(tsql_staging_flag_col(&t, 600), 604);
	buf b;
	buf_init(&b, 0);
	tsql_staging_create(&b, &t);
	assert_non_null(strstr(text(&b), ", [c601] nvarchar(max) COLLATE DATABASE_DEFAULT NULL, [__u] nvarchar(601) NULL, "
					 "INDEX [k] CLUSTERED ([c1]));"));
	assert_null(strstr(text(&b), "[u2]"));
	/* a digit per column, the key's (no flag) 0 */
	static tsql_cell cells[N];
	for (size_t i = 0; i < N; i++)
		cells[i] = (tsql_cell){true, NULL, 0, TSQL_FLAG_NONE};
	cells[0] = (tsql_cell){false, "7", 1, 0};
	cells[1].flag = TSQL_FLAG_UNCHANGED;
	cells[600].flag = TSQL_FLAG_EMPTY;
	buf_reset(&b);
	tsql_staged_insert(&b, &t, 3, 'u', cells);
	assert_non_null(strstr(text(&b), ", [c601], [__u]) VALUES (3, N'u', N'7', NULL, "));
	char digits[N + 8];
	memset(digits, '0', N);
	digits[1] = '1';
	digits[600] = '2';
	digits[N] = '\0';
	char tail[sizeof digits + 16];
	snprintf(tail, sizeof tail, ", NULL, N'%s');", digits);
	assert_non_null(strstr(text(&b), tail));
	buf_reset(&b);
	tsql_merge(&b, &t, false);
	assert_non_null(strstr(text(&b), "USING (SELECT s.[c1] AS [c1], CASE WHEN CAST(SUBSTRING(s.[__u], 2, 1) AS tinyint) = 2 "
					 "THEN N'' ELSE s.[c2] END AS [c2], CASE WHEN"));
	assert_non_null(strstr(text(&b), " AS [c601], s.[__u] FROM #s AS s WHERE s.[__op] <> N'd') AS s\n"));
	assert_non_null(strstr(text(&b), "UPDATE SET [c1] = CASE WHEN CAST(SUBSTRING(s.[__u], 2, 1) AS tinyint) = 1 "
					 "THEN t.[c1] ELSE s.[c2] END, "));
	assert_null(strstr(text(&b), "[u2]"));
	/* a key change: the old key's row read, the flag honoured only
	 * where there is none */
	buf_reset(&b);
	tsql_merge(&b, &t, true);
	assert_non_null(strstr(text(&b), "USING (SELECT s.[c1] AS [c1], CASE WHEN CAST(SUBSTRING(s.[__u], 2, 1) AS tinyint) = 1 "
					 "AND o.[__seq] IS NOT NULL THEN "));
	assert_non_null(strstr(text(&b), " AS [c601], s.[__u], o.[__seq] AS [__o] FROM #s AS s LEFT JOIN #s AS o "));
	assert_non_null(strstr(text(&b), "UPDATE SET [c1] = CASE WHEN CAST(SUBSTRING(s.[__u], 2, 1) AS tinyint) = 1 "
					 "AND s.[__o] IS NULL THEN t.[c1] ELSE s.[c2] END, "));
	buf_free(&b);
}

/* A target with an IDENTITY column: its MERGE and INSERT … SELECT between
 * SET IDENTITY_INSERT ON and OFF; the catalog query asks which column. */
static void test_identity(void **state)
{
	(void)state;
	tsql_table t = table();
	buf b;
	buf_init(&b, 0);
	tsql_catalog_column_types(&b, "s'", "t]x");
	assert_string_equal(text(&b), "SELECT [COLUMN_NAME], [DATA_TYPE], [CHARACTER_MAXIMUM_LENGTH], "
				      "[NUMERIC_PRECISION], [NUMERIC_SCALE], COLUMNPROPERTY(OBJECT_ID(N'[s''].[t]]x]'), "
				      "[COLUMN_NAME], N'IsIdentity'), [DATETIME_PRECISION], [COLLATION_NAME], [TABLE_SCHEMA], "
				      "[TABLE_NAME] FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_SCHEMA] "
				      "= N's''' AND [TABLE_NAME] = N't]x' ORDER BY [ORDINAL_POSITION];");
	buf_reset(&b);
	tsql_insert_select(&b, &t);
	assert_string_equal(text(&b), "INSERT INTO [dbo].[t]]x] WITH (TABLOCK) ([id], [v])\n"
				      "SELECT s.[c1], CASE WHEN s.[u2] = 2 THEN N'' ELSE s.[c2] END "
				      "FROM #dbrepl_s1 AS s;");
	t.identity = true;
	buf_reset(&b);
	tsql_insert_select(&b, &t);
	assert_string_equal(text(&b), "SET IDENTITY_INSERT [dbo].[t]]x] ON;\n"
				      "INSERT INTO [dbo].[t]]x] WITH (TABLOCK) ([id], [v])\n"
				      "SELECT s.[c1], CASE WHEN s.[u2] = 2 THEN N'' ELSE s.[c2] END "
				      "FROM #dbrepl_s1 AS s;\n"
				      "SET IDENTITY_INSERT [dbo].[t]]x] OFF;");
	buf_reset(&b);
	tsql_merge(&b, &t, false);
	const char *m = text(&b);
	const char *head = "SET IDENTITY_INSERT [dbo].[t]]x] ON;\nMERGE INTO [dbo].[t]]x] WITH (HOLDLOCK) AS t\n";
	assert_true(!strncmp(m, head, strlen(head)));
	const char *tail = "VALUES (s.[c1], s.[c2]);\nSET IDENTITY_INSERT [dbo].[t]]x] OFF;";
	assert_true(strlen(m) > strlen(tail));
	assert_string_equal(m + strlen(m) - strlen(tail), tail);

	/* The IDENTITY column outside the key (v here): never SET (8102); a
	 * staged upsert whose value differs from the target row's throws. */
	t.identity_col = 2;
	buf_reset(&b);
	tsql_merge(&b, &t, false);
	assert_null(strstr(text(&b), "WHEN MATCHED"));
	assert_non_null(strstr(text(&b), "WHEN NOT MATCHED THEN INSERT ([id], [v]) VALUES (s.[c1], s.[c2]);"));
	buf_reset(&b);
	tsql_identity_guard(&b, &t);
	assert_string_equal(text(&b), "SELECT 1 FROM #dbrepl_s1 AS s JOIN [dbo].[t]]x] AS t ON t.[id] = s.[c1] "
				      "WHERE s.[__op] <> N'd' AND s.[__op] <> N'k' AND s.[__op] <> N'o' AND (s.[c2] IS NULL OR t.[v] <> "
				      "CASE WHEN s.[u2] = 2 THEN N'' ELSE s.[c2] END);\n"
				      "IF @@ROWCOUNT <> 0 THROW 50002, N'dbrepl: a source update changes the value of an "
				      "IDENTITY column, which SQL Server cannot update (8102)', 1;");
	assert_true(tsql_error_is_data(TSQL_ERR_IDENTITY_CHANGED));
	buf_free(&b);
}

static void test_statements(void **state)
{
	(void)state;
	tsql_table t = table();
	buf b;
	buf_init(&b, 0);
	tsql_create_table(&b, &t);
	assert_string_equal(text(&b), "CREATE TABLE [dbo].[t]]x] ([id] int NOT NULL, [v] nvarchar(max) NULL, "
				      "CONSTRAINT [PK_t]]x] PRIMARY KEY ([id]));");
	buf_reset(&b);
	tsql_staging_create(&b, &t);
	assert_string_equal(text(&b), "CREATE TABLE #dbrepl_s1 ([__seq] bigint NOT NULL, [__op] nchar(1) NOT NULL, "
				      "[c1] int NULL, [c2] nvarchar(max) COLLATE DATABASE_DEFAULT NULL, [u2] tinyint NULL, "
				      "INDEX [k] CLUSTERED ([c1]));");
	assert_int_equal(tsql_staging_ncols(&t), 5);
	assert_int_equal(tsql_staging_col(&t, 0), 3);
	assert_int_equal(tsql_staging_flag_col(&t, 0), 0);
	assert_int_equal(tsql_staging_col(&t, 1), 4);
	assert_int_equal(tsql_staging_flag_col(&t, 1), 5);
	buf_reset(&b);
	tsql_merge(&b, &t, false);
	assert_string_equal(text(&b),
			    "MERGE INTO [dbo].[t]]x] WITH (HOLDLOCK) AS t\n"
			    "USING (SELECT s.[c1] AS [c1], CASE WHEN s.[u2] = 2 THEN N'' ELSE s.[c2] END "
			    "AS [c2], s.[u2] AS [u2] FROM #dbrepl_s1 AS s WHERE s.[__op] <> N'd') AS s\n"
			    "ON t.[id] = s.[c1]\n"
			    "WHEN MATCHED THEN UPDATE SET [v] = CASE WHEN s.[u2] = 1 THEN t.[v] ELSE s.[c2] END\n"
			    "WHEN NOT MATCHED THEN INSERT ([id], [v]) VALUES (s.[c1], s.[c2]);");
	buf_reset(&b);
	tsql_delete(&b, &t);
	assert_string_equal(text(&b), "DELETE FROM [dbo].[t]]x] WHERE EXISTS (SELECT 1 FROM #dbrepl_s1 AS s WHERE "
				      "s.[__op] = N'd' AND [dbo].[t]]x].[id] = s.[c1]);");
	buf_reset(&b);
	tsql_cell cells[2] = {{false, "7", 1, 0}, {true, NULL, 0, TSQL_FLAG_EMPTY}};
	tsql_staged_insert(&b, &t, 3, 'u', cells);
	assert_string_equal(text(&b), "INSERT INTO #dbrepl_s1 ([__seq], [__op], [c1], [c2], [u2]) "
				      "VALUES (3, N'u', N'7', NULL, 2);");
	/* a typed varbinary column: a binary literal (no string converts to
	 * varbinary implicitly, 257), empty as 0x when flagged */
	tsql_type bt[2];
	tsql_map_type("integer", &bt[0]);
	tsql_map_type("bytea", &bt[1]);
	tsql_table tb = {"dbo", "b", "#s", 2, names, bt, 1, keys};
	tsql_cell bc[2] = {{false, "7", 1, 0}, {false, "0x0aFF", 6, 0}};
	buf_reset(&b);
	tsql_staged_insert(&b, &tb, 1, 'u', bc);
	assert_string_equal(text(&b), "INSERT INTO #s ([__seq], [__op], [c1], [c2], [u2]) VALUES (1, N'u', N'7', 0x0aFF, NULL);");
	bc[1].data = "0x0g";
	bc[1].len = 4;
	buf_reset(&b);
	tsql_staged_insert(&b, &tb, 1, 'u', bc);
	assert_non_null(strstr(text(&b), "CONVERT(varbinary(max), N'0x0g', 1), NULL);"));
	buf_reset(&b);
	tsql_insert_select(&b, &tb);
	assert_non_null(strstr(text(&b), "SELECT s.[c1], CASE WHEN s.[u2] = 2 THEN 0x ELSE s.[c2] END FROM #s AS s;"));
	buf_reset(&b);
	tsql_staged_insert_head(&b, &t);
	tsql_staged_insert_row(&b, &t, true, 3, 'u', cells);
	tsql_staged_insert_row(&b, &t, false, 4, 'd', cells);
	assert_string_equal(text(&b), "INSERT INTO #dbrepl_s1 ([__seq], [__op], [c1], [c2], [u2]) "
				      "VALUES (3, N'u', N'7', NULL, 2), (4, N'd', N'7', NULL, 2)");
	buf_reset(&b);
	pos_offset po;
	assert_int_equal(pos_offset_parse("1A/B374D848:3", &po), 0);
	tsql_checkpoint_merge(&b, "pg/d/s'x", po);
	/* the pair as numbers: 0x1AB374D848 = 114679928904 */
	assert_non_null(strstr(text(&b), "USING (VALUES (N'pg/d/s''x', N'1A/B374D848:3', 114679928904, 3)) "
					 "AS s ([stream], [offset], [major], [minor])\nON"));
	assert_non_null(strstr(text(&b), "WHEN MATCHED AND SIGN(s.[major] - "));
	assert_non_null(strstr(text(&b), ";\nIF @@ROWCOUNT <> 1 THROW 50001, N'"));
	buf_reset(&b);
	tsql_checkpoint_merge_begin(&b);
	pos_offset k0 = {42, 0, false}, k1 = {7, 0, false};
	tsql_checkpoint_merge_row(&b, true, "k/t/0", k0);
	tsql_checkpoint_merge_row(&b, false, "k/t/1", k1);
	tsql_checkpoint_merge_end(&b, 2);
	assert_non_null(strstr(text(&b), "USING (VALUES (N'k/t/0', N'42', 42, 0), (N'k/t/1', N'7', 7, 0)) "
					 "AS s ([stream], [offset], [major], [minor])\nON"));
	assert_non_null(strstr(text(&b), "IF @@ROWCOUNT <> 2 THROW 50001, "));
	buf_reset(&b);
	/* a key change's old key: its row at the target staged as op 'o'
	 * before any DELETE, and the MERGE reading it */
	tsql_stage_old_rows(&b, &t);
	assert_string_equal(text(&b), "INSERT INTO #dbrepl_s1 ([__seq], [__op], [c2]) SELECT k.[__seq], N'o', "
				      "o.[v] FROM #dbrepl_s1 AS k JOIN [dbo].[t]]x] AS o "
				      "ON o.[id] = k.[c1] WHERE k.[__op] = N'k';");
	/* a target whose types are not the records' (bigint id, varchar v):
	 * staged as text, CAST to the target's type, read back as text */
	tsql_type tg[2];
	tsql_parse_sqltype("bigint", &tg[0]);
	tsql_parse_sqltype("varchar(10)", &tg[1]);
	t.targets = tg;
	assert_false(tsql_stage_typed(&t, 0) || tsql_stage_typed(&t, 1));
	buf_reset(&b);
	tsql_staging_create(&b, &t);
	assert_string_equal(text(&b), "CREATE TABLE #dbrepl_s1 ([__seq] bigint NOT NULL, [__op] nchar(1) NOT NULL, "
				      "[c1] nvarchar(max) NULL, [c2] nvarchar(max) COLLATE DATABASE_DEFAULT NULL, [u2] tinyint NULL);");
	buf_reset(&b);
	tsql_stage_old_rows(&b, &t);
	assert_string_equal(text(&b), "INSERT INTO #dbrepl_s1 ([__seq], [__op], [c2]) SELECT k.[__seq], N'o', "
				      "CAST(o.[v] AS nvarchar(max)) FROM #dbrepl_s1 AS k JOIN [dbo].[t]]x] AS o "
				      "ON o.[id] = CAST(k.[c1] AS int) WHERE k.[__op] = N'k';");
	t.targets = NULL;
	buf_reset(&b);
	tsql_merge(&b, &t, true);
	assert_string_equal(text(&b),
			    "MERGE INTO [dbo].[t]]x] WITH (HOLDLOCK) AS t\n"
			    "USING (SELECT s.[c1] AS [c1], CASE WHEN s.[u2] = 1 AND o.[__seq] IS NOT NULL "
			    "THEN CASE WHEN o.[u2] = 2 THEN N'' ELSE o.[c2] END ELSE CASE WHEN s.[u2] = 2 THEN N'' ELSE "
			    "s.[c2] END END AS [c2], "
			    "CASE WHEN s.[u2] = 1 AND o.[__seq] IS NOT NULL THEN NULL ELSE s.[u2] END AS [u2] "
			    "FROM #dbrepl_s1 AS s LEFT JOIN #dbrepl_s1 AS o ON o.[__op] = N'o' AND o.[__seq] = s.[__seq] "
			    "WHERE s.[__op] <> N'd' AND s.[__op] <> N'k' AND s.[__op] <> N'o') AS s\n"
			    "ON t.[id] = s.[c1]\n"
			    "WHEN MATCHED THEN UPDATE SET [v] = CASE WHEN s.[u2] = 1 THEN t.[v] ELSE s.[c2] END\n"
			    "WHEN NOT MATCHED THEN INSERT ([id], [v]) VALUES (s.[c1], s.[c2]);");
	buf_reset(&b);
	const tsql_table *two[2] = {&t, &t};
	tsql_catalog_foreign_keys(&b, two, 2);
	assert_string_equal(text(&b), "SELECT p.[n], c.[n] FROM sys.foreign_keys AS fk JOIN (VALUES (0, "
				      "OBJECT_ID(N'[dbo].[t]]x]')), (1, OBJECT_ID(N'[dbo].[t]]x]'))) AS p ([n], [id]) "
				      "ON p.[id] = fk.[referenced_object_id] JOIN (VALUES (0, OBJECT_ID(N'[dbo].[t]]x]')), "
				      "(1, OBJECT_ID(N'[dbo].[t]]x]'))) AS c ([n], [id]) ON c.[id] = fk.[parent_object_id] "
				      "WHERE fk.[parent_object_id] <> fk.[referenced_object_id];");
	buf_reset(&b);
	tsql_truncate(&b, &t, true);
	assert_string_equal(text(&b), "DELETE FROM [dbo].[t]]x];");
	buf_free(&b);
	assert_true(tsql_error_is_transient(1205));
	assert_false(tsql_error_is_transient(2627));
	assert_true(tsql_error_is_data(2628));
	assert_true(tsql_error_is_data(547));
	/* a string SQL Server cannot convert to the column's type: the record
	 * is refused by name, not the batch retried until it gives up */
	assert_true(tsql_error_is_data(235) && tsql_error_is_data(242) && tsql_error_is_data(244) &&
		    tsql_error_is_data(248) && tsql_error_is_data(294));
	assert_false(tsql_error_is_data(1205));
}

/* ---- net change ---- */

static uint64_t next_off = 1;

static void mk(record *r, char op, const char *id, const char *v, bool v_unchanged, const char *old_id)
{
	record_clear(r);
	r->version = 1;
	r->op = op;
	record_set_table(r, "db", "public", "t");
	bool before = op == 'd' || old_id;
	bool after = op != 'd' && op != 't';
	record_set_shape(r, 2, before, after);
	record_set_column(r, 0, "id", "integer");
	record_set_column(r, 1, "v", "text");
	uint16_t k = 0;
	record_set_keys(r, &k, 1);
	if (before)
		record_set_value(r, r->before, 0, VALUE_TEXT, old_id ? old_id : id, strlen(old_id ? old_id : id));
	if (after) {
		record_set_value(r, r->after, 0, VALUE_TEXT, id, strlen(id));
		if (v_unchanged)
			record_set_value(r, r->after, 1, VALUE_UNCHANGED, NULL, 0);
		else if (v)
			record_set_value(r, r->after, 1, VALUE_TEXT, v, strlen(v));
		else
			record_set_value(r, r->after, 1, VALUE_NULL, NULL, 0);
	}
	snprintf(r->stream, sizeof r->stream, "pg/db/s");
	r->offset.major = next_off++;
}

static const mssql_change *find(const mssql_table *t, const char *id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ch[i]->vals[0].kind == VALUE_TEXT && !strcmp(t->ch[i]->vals[0].data, id))
			return t->ch[i];
	return NULL;
}

static void add(mssql_tables *ts, mssql_table *t, record *r, uint64_t *seq)
{
	char err[200];
	if (t->ncols == 0 || mssql_table_shape_differs(t, r))
		assert_int_equal(mssql_table_set_shape(t, r, NULL, false), 0);
	int rc = mssql_table_add(ts, t, r, ++*seq, "pg/db/s", err, sizeof err);
	if (rc)
		fail_msg("add: %s", err);
}

static void test_net_change(void **state)
{
	(void)state;
	mssql_tables ts;
	mssql_tables_init(&ts);
	mssql_table *t = mssql_tables_get(&ts, "db", "public", "t", "dbo");
	assert_non_null(t);
	record r;
	record_init(&r);
	uint64_t seq = 0;

	/* insert then update with unchanged TOAST: one upsert with the insert's value */
	mk(&r, 'c', "1", "big", false, NULL);
	add(&ts, t, &r, &seq);
	mk(&r, 'u', "1", NULL, true, NULL);
	add(&ts, t, &r, &seq);
	/* insert then delete: a delete */
	mk(&r, 'c', "2", "x", false, NULL);
	add(&ts, t, &r, &seq);
	mk(&r, 'd', "2", NULL, false, NULL);
	add(&ts, t, &r, &seq);
	/* update alone with unchanged: flag stays */
	mk(&r, 'u', "3", NULL, true, NULL);
	add(&ts, t, &r, &seq);
	/* key change 4 -> 5: delete 4, upsert 5 */
	mk(&r, 'u', "5", "moved", false, "4");
	add(&ts, t, &r, &seq);
	/* delete then insert: upsert */
	mk(&r, 'd', "6", NULL, false, NULL);
	add(&ts, t, &r, &seq);
	mk(&r, 'c', "6", "", false, NULL);
	add(&ts, t, &r, &seq);

	assert_int_equal(t->n, 6);
	const mssql_change *c = find(t, "1");
	assert_non_null(c);
	assert_int_equal(c->op, 'u');
	assert_int_equal(c->vals[1].kind, VALUE_TEXT);
	assert_string_equal(c->vals[1].data, "big");
	assert_int_equal(c->seq, 2);
	c = find(t, "2");
	assert_int_equal(c->op, 'd');
	assert_true(c->use_before);
	c = find(t, "3");
	assert_int_equal(c->vals[1].kind, VALUE_UNCHANGED);
	c = find(t, "4");
	assert_int_equal(c->op, 'd');
	c = find(t, "5");
	assert_int_equal(c->op, 'u');
	c = find(t, "6");
	assert_int_equal(c->op, 'c');

	/* staged cells: unchanged -> flag 1, empty string -> flag 2 */
	tsql_cell cells[2];
	buf scratch[2];
	buf_init(&scratch[0], 0);
	buf_init(&scratch[1], 0);
	char err[200];
	assert_int_equal(mssql_change_cells(t, find(t, "3"), cells, scratch, err, sizeof err), 0);
	assert_int_equal(cells[1].flag, TSQL_FLAG_UNCHANGED);
	assert_int_equal(mssql_change_cells(t, find(t, "6"), cells, scratch, err, sizeof err), 0);
	assert_int_equal(cells[1].flag, TSQL_FLAG_EMPTY);
	assert_true(cells[1].null);
	buf_free(&scratch[0]);
	buf_free(&scratch[1]);

	size_t u, d, rd;
	mssql_table_counts(t, &u, &d, &rd);
	assert_int_equal(u, 4);
	assert_int_equal(d, 2);

	/* truncate drops what came before it in the batch */
	mk(&r, 't', "0", NULL, false, NULL);
	record_clear(&r);
	r.op = 't';
	record_set_table(&r, "db", "public", "t");
	char e2[100];
	assert_int_equal(mssql_table_add(&ts, t, &r, ++seq, "pg/db/s", e2, sizeof e2), 0);
	assert_int_equal(t->n, 0);
	assert_true(t->truncate);
	mk(&r, 'r', "9", "after", false, NULL);
	add(&ts, t, &r, &seq);
	assert_int_equal(t->n, 1);

	/* dead-letter reconstruction */
	record out;
	record_init(&out);
	assert_int_equal(mssql_change_record(t, t->ch[0], &out), 0);
	assert_int_equal(out.op, 'r');
	assert_string_equal(out.after[1].data, "after");
	record_free(&out);

	mssql_tables_clear_batch(&ts);
	assert_int_equal(t->n, 0);
	assert_false(t->truncate);

	/* many keys: the hash grows and keeps one change per key */
	for (int i = 0; i < 5000; i++) {
		char id[16];
		snprintf(id, sizeof id, "%d", i % 1000);
		mk(&r, 'c', id, "x", false, NULL);
		add(&ts, t, &r, &seq);
	}
	assert_int_equal(t->n, 1000);
	record_free(&r);
	mssql_tables_free(&ts);
}

/* A key change with an unchanged TOAST value keeps the old key (from) that
 * the value is to be read from at the target, through chains of key
 * changes and updates; an earlier image in the batch supplies it instead. */
static void test_key_change_from(void **state)
{
	(void)state;
	mssql_tables ts;
	mssql_tables_init(&ts);
	mssql_table *t = mssql_tables_get(&ts, "db", "public", "t", "dbo");
	record r;
	record_init(&r);
	uint64_t seq = 0;

	mk(&r, 'u', "8", NULL, true, "7"); /* 7 -> 8, v unchanged, 7 at the target */
	add(&ts, t, &r, &seq);
	const mssql_change *c = find(t, "8");
	assert_non_null(c);
	assert_int_equal(c->vals[1].kind, VALUE_UNCHANGED);
	assert_non_null(c->from);
	assert_string_equal(c->from[0].data, "7");
	mk(&r, 'u', "9", NULL, true, "8"); /* 8 -> 9: still 7's value */
	add(&ts, t, &r, &seq);
	mk(&r, 'u', "9", NULL, true, NULL); /* an update of 9 keeping v */
	add(&ts, t, &r, &seq);
	c = find(t, "9");
	assert_non_null(c->from);
	assert_string_equal(c->from[0].data, "7");
	assert_int_equal(find(t, "8")->op, 'd');
	assert_int_equal(find(t, "7")->op, 'd');

	mk(&r, 'c', "10", "big", false, NULL); /* inserted in the batch: no from */
	add(&ts, t, &r, &seq);
	mk(&r, 'u', "11", NULL, true, "10");
	add(&ts, t, &r, &seq);
	c = find(t, "11");
	assert_null(c->from);
	assert_string_equal(c->vals[1].data, "big");

	mk(&r, 'u', "13", "new", false, "12"); /* nothing unchanged: no from */
	add(&ts, t, &r, &seq);
	assert_null(find(t, "13")->from);
	mk(&r, 'd', "9", NULL, false, NULL); /* a delete drops it */
	add(&ts, t, &r, &seq);
	assert_null(find(t, "9")->from);

	/* the old key's staged cells: key column only */
	mk(&r, 'u', "15", NULL, true, "14");
	add(&ts, t, &r, &seq);
	tsql_cell cells[2];
	buf scratch[2];
	buf_init(&scratch[0], 0);
	buf_init(&scratch[1], 0);
	char err[200];
	assert_int_equal(mssql_change_from_cells(t, find(t, "15"), cells, scratch, err, sizeof err), 0);
	assert_false(cells[0].null);
	assert_int_equal(cells[0].len, 2);
	assert_memory_equal(cells[0].data, "14", 2);
	assert_true(cells[1].null);
	assert_int_equal(cells[1].flag, 0);
	buf_free(&scratch[0]);
	buf_free(&scratch[1]);
	record_free(&r);
	mssql_tables_free(&ts);
}

static bool below_5(void *ctx, const char *stream, pos_offset off)
{
	(void)ctx;
	(void)stream;
	return off.major <= 5;
}

/* Changes (and a truncate) another applier already applied are dropped;
 * the others stay findable by key. */
static void test_drop_applied(void **state)
{
	(void)state;
	mssql_tables ts;
	mssql_tables_init(&ts);
	mssql_table *t = mssql_tables_get(&ts, "db", "public", "t", "dbo");
	record r;
	record_init(&r);
	uint64_t seq = 0;
	next_off = 1;
	char e2[100];
	mk(&r, 'c', "0", "x", false, NULL); /* offset 1, dropped by the truncate */
	add(&ts, t, &r, &seq);
	record_clear(&r);
	r.op = 't';
	record_set_table(&r, "db", "public", "t");
	r.offset.major = next_off++; /* 2 */
	assert_int_equal(mssql_table_add(&ts, t, &r, ++seq, "pg/db/s", e2, sizeof e2), 0);
	for (int i = 1; i <= 6; i++) { /* offsets 3..8 */
		char id[16];
		snprintf(id, sizeof id, "%d", i);
		mk(&r, 'c', id, "v", false, NULL);
		add(&ts, t, &r, &seq);
	}
	assert_int_equal(t->n, 6);
	assert_true(t->truncate);
	/* ids 1, 2, 3 and the truncate are at the target already */
	assert_int_equal(mssql_table_drop_applied(t, below_5, NULL), 4);
	assert_int_equal(t->n, 3);
	assert_false(t->truncate);
	assert_null(find(t, "1"));
	assert_null(find(t, "3"));
	mk(&r, 'u', "5", "again", false, NULL); /* the hash still finds 5 */
	add(&ts, t, &r, &seq);
	assert_int_equal(t->n, 3);
	assert_string_equal(find(t, "5")->vals[1].data, "again");
	record_free(&r);
	mssql_tables_free(&ts);
}

/* Reads of ids from..to (value "x"), in that order. */
static void add_reads(mssql_tables *ts, mssql_table *t, record *r, uint64_t *seq, int from, int to)
{
	for (int i = from; i <= to; i++) {
		char id[16];
		snprintf(id, sizeof id, "%d", i);
		mk(r, 'r', id, "x", false, NULL);
		add(ts, t, r, seq);
	}
}

/* Rows read in increasing key order fill a batch without the hash; a
 * change that breaks the order, or needs an earlier image, finds every
 * row before it all the same. */
static void test_sorted_run(void **state)
{
	(void)state;
	mssql_tables ts;
	mssql_tables_init(&ts);
	mssql_table *t = mssql_tables_get(&ts, "db", "public", "t", "dbo");
	record r;
	record_init(&r);
	uint64_t seq = 0;
	char id[16], v[16];
	/* 1..300 read in order: more than the hash's first size */
	for (int i = 1; i <= 300; i++) {
		snprintf(id, sizeof id, "%d", i);
		snprintf(v, sizeof v, "v%d", i);
		mk(&r, 'r', id, v, false, NULL);
		add(&ts, t, &r, &seq);
	}
	assert_int_equal(t->n, 300);
	assert_int_equal(t->unhashed, 300);
	/* an update with an unchanged value takes the read row's */
	mk(&r, 'u', "150", NULL, true, NULL);
	add(&ts, t, &r, &seq);
	assert_int_equal(t->unhashed, 0);
	assert_int_equal(t->n, 300);
	assert_int_equal(find(t, "150")->op, 'u');
	assert_string_equal(find(t, "150")->vals[1].data, "v150");
	/* the same row read again: one change for the key, the later one */
	mk(&r, 'r', "7", "again", false, NULL);
	add(&ts, t, &r, &seq);
	assert_int_equal(t->n, 300);
	assert_string_equal(find(t, "7")->vals[1].data, "again");
	mssql_tables_clear_batch(&ts);

	/* a key change whose old key was read in the run: its delete
	 * replaces the read row */
	add_reads(&ts, t, &r, &seq, 1, 10);
	mk(&r, 'u', "11", "moved", false, "8");
	add(&ts, t, &r, &seq);
	assert_int_equal(t->n, 11);
	assert_int_equal(find(t, "8")->op, 'd');
	mssql_tables_clear_batch(&ts);

	/* "10" after "9" is in order (longer); "9" after "10" is not: the
	 * hash keeps one change per key from there */
	mk(&r, 'r', "9", "a", false, NULL);
	add(&ts, t, &r, &seq);
	mk(&r, 'r', "10", "b", false, NULL);
	add(&ts, t, &r, &seq);
	assert_int_equal(t->unhashed, 2);
	mk(&r, 'r', "9", "c", false, NULL);
	add(&ts, t, &r, &seq);
	assert_int_equal(t->unhashed, 0);
	assert_int_equal(t->n, 2);
	assert_string_equal(find(t, "9")->vals[1].data, "c");
	mssql_tables_clear_batch(&ts);

	/* the same key twice in a row is not in order either */
	mk(&r, 'c', "5", "a", false, NULL);
	add(&ts, t, &r, &seq);
	mk(&r, 'c', "5", "b", false, NULL);
	add(&ts, t, &r, &seq);
	assert_int_equal(t->n, 1);
	assert_string_equal(find(t, "5")->vals[1].data, "b");
	mssql_tables_clear_batch(&ts);

	/* a row taken out of a run: the rest stays in order and findable */
	add_reads(&ts, t, &r, &seq, 1, 5);
	mssql_table_remove(t, 1);
	assert_int_equal(t->n, 4);
	assert_null(find(t, "2"));
	mk(&r, 'u', "4", "y", false, NULL);
	add(&ts, t, &r, &seq);
	assert_int_equal(t->n, 4);
	assert_string_equal(find(t, "4")->vals[1].data, "y");
	record_free(&r);
	mssql_tables_free(&ts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ident),        cmocka_unit_test(test_nstr),
		cmocka_unit_test(test_type_map),     cmocka_unit_test(test_stage_values),
		cmocka_unit_test(test_statements), cmocka_unit_test(test_staging_packed), cmocka_unit_test(test_row_size), cmocka_unit_test(test_row_size_tables), cmocka_unit_test(test_name_eq_ci),   cmocka_unit_test(test_net_change),
		cmocka_unit_test(test_identity),     cmocka_unit_test(test_key_size),
		cmocka_unit_test(test_value_fits),
		cmocka_unit_test(test_value_fits_long),
		cmocka_unit_test(test_value_fits_text),
		cmocka_unit_test(test_key_change_from), cmocka_unit_test(test_drop_applied),
		cmocka_unit_test(test_sorted_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
