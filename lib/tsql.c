/* tsql.c — see tsql.h. */
#include "tsql.h"

#include "floattext.h"

#include <ctype.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <locale.h>
#include <pthread.h>
#include <wctype.h>

/* ---- type map ---- */

static bool starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Parses "(a)" or "(a,b)" right after a type's base name. Returns the
 * number of integers read (0 when there is no parenthesis). */
static int typmod(const char *s, long *a, long *b)
{
	if (*s != '(')
		return 0;
	char *end;
	*a = strtol(s + 1, &end, 10);
	if (*end == ')')
		return 1;
	if (*end != ',')
		return 0;
	*b = strtol(end + 1, &end, 10);
	return *end == ')' ? 2 : 0;
}

static void set(tsql_type *o, const char *name, tsql_kind k, bool flagged)
{
	memset(o, 0, sizeof *o);
	snprintf(o->name, sizeof o->name, "%s", name);
	o->kind = k;
	o->flagged = flagged;
}

void tsql_map_type(const char *pg, tsql_type *o)
{
	long a = 0, b = 0;
	int n;
	size_t len = strlen(pg);

	/* Arrays and everything not listed travel as their text output. */
	if (len >= 2 && strcmp(pg + len - 2, "[]") == 0) {
		set(o, "nvarchar(max)", TSQL_STRING, true);
		return;
	}
	if (!strcmp(pg, "smallint"))
		set(o, "smallint", TSQL_INT, false);
	else if (!strcmp(pg, "integer"))
		set(o, "int", TSQL_INT, false);
	else if (!strcmp(pg, "bigint"))
		set(o, "bigint", TSQL_INT, false);
	else if (!strcmp(pg, "boolean"))
		set(o, "bit", TSQL_BIT, false);
	else if (!strcmp(pg, "real"))
		set(o, "real", TSQL_FLOAT, false);
	else if (!strcmp(pg, "double precision"))
		set(o, "float", TSQL_FLOAT, false);
	else if (!strcmp(pg, "money"))
		set(o, "money", TSQL_MONEY, false);
	else if (!strcmp(pg, "date"))
		set(o, "date", TSQL_DATE, false);
	else if (!strcmp(pg, "uuid"))
		set(o, "uniqueidentifier", TSQL_UUID, false);
	else if (!strcmp(pg, "bytea"))
		set(o, "varbinary(max)", TSQL_BINARY, true);
	else if (starts(pg, "numeric")) {
		n = typmod(pg + 7, &a, &b);
		if (n >= 1 && a >= 1 && a <= 38 && b >= 0 && b <= a) {
			set(o, "", TSQL_DECIMAL, true);
			snprintf(o->name, sizeof o->name, "decimal(%ld,%ld)", a, n == 2 ? b : 0);
			o->prec = (int)a;
			o->scale = n == 2 ? (int)b : 0;
		} else
			/* Unconstrained numeric holds up to 131072 digits before
			 * the point and 16383 after it, and NaN; SQL Server's
			 * decimal 38 digits in all. No decimal keeps every value:
			 * the exact text does (--type-map numeric=decimal(p,s)
			 * for a decimal, refusing what does not fit). So does
			 * precision beyond 38, or a negative scale. */
			set(o, "nvarchar(max)", TSQL_STRING, true);
	} else if (starts(pg, "character varying") || starts(pg, "character") || !strcmp(pg, "bpchar")) {
		/* varchar(n) and char(n) count characters, nvarchar(n) UTF-16
		 * code units (two for a character beyond the BMP): nvarchar(2n)
		 * holds every value. char(n) becomes nvarchar too, holding the
		 * value padded to n characters as PostgreSQL holds it (nchar(2n)
		 * would pad it to 2n). */
		bool var = starts(pg, "character varying");
		n = !strcmp(pg, "bpchar") ? 0 : typmod(pg + (var ? 17 : 9), &a, &b);
		if (n == 0 && !var && !strcmp(pg, "character"))
			n = 1, a = 1; /* character = character(1) */
		set(o, "nvarchar(max)", TSQL_STRING, true);
		o->padded = !var;
		if (n == 1 && a >= 1 && a <= 2000)
			snprintf(o->name, sizeof o->name, "nvarchar(%ld)", 2 * a);
	} else if (starts(pg, "timestamp")) {
		n = typmod(pg + 9, &a, &b);
		long p = (n == 1 && a >= 0 && a <= 6) ? a : 6;
		bool tz = strstr(pg, "with time zone") && !strstr(pg, "without");
		set(o, "", tz ? TSQL_DTO : TSQL_DATETIME2, false);
		snprintf(o->name, sizeof o->name, "%s(%ld)", tz ? "datetimeoffset" : "datetime2", p);
		o->prec = (int)p;
	} else if (starts(pg, "time") && !strstr(pg, "with time zone")) {
		n = typmod(pg + 4, &a, &b);
		long p = (n == 1 && a >= 0 && a <= 6) ? a : 6;
		set(o, "", TSQL_TIME, false);
		snprintf(o->name, sizeof o->name, "time(%ld)", p);
		o->prec = (int)p;
	} else /* text, json, jsonb, interval, inet, timetz, enums, … */
		set(o, "nvarchar(max)", TSQL_STRING, true);
}

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_locale_open(void)
{
	/* (locale_t)0 when the system has none: ASCII letters only then */
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* The code point at *p (advanced past it), or the byte itself plus
 * 0x110000 when it starts no valid UTF-8 sequence. */
static uint32_t next_code_point(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t c = s[0];
	size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 1) {
		*p = s + 1;
		return c;
	}
	uint32_t v = n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			n = 0;
			break;
		}
		v = v << 6 | (s[i] & 0x3f);
	}
	if (n == 0) {
		*p = s + 1;
		return 0x110000 + c;
	}
	*p = s + n;
	return v;
}

bool tsql_name_eq_ci(const char *a, const char *b)
{
	pthread_once(&utf8_once, utf8_locale_open);
	const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
	while (*p && *q) {
		uint32_t x = next_code_point(&p), y = next_code_point(&q);
		if (x == y)
			continue;
		if (x >= 0x110000 || y >= 0x110000)
			return false;
		if (utf8_locale) {
			if (towlower_l((wint_t)x, utf8_locale) != towlower_l((wint_t)y, utf8_locale))
				return false;
		} else if (x >= 0x80 || y >= 0x80 || tolower((int)x) != tolower((int)y)) {
			return false;
		}
	}
	return *p == *q;
}

bool tsql_collation_is_binary(const char *c)
{
	return c && (strstr(c, "_BIN") || strstr(c, "_bin"));
}

void tsql_type_spec(const tsql_type *t, char *out, size_t len)
{
	snprintf(out, len, "%s%s%s", t->name, t->collation[0] ? " COLLATE " : "", t->collation);
}

/* Parses "decimal(p,s)" / "numeric(p,s)" / "nvarchar(max)" of --type-map
 * and the catalog's spellings of SQL Server types. */
void tsql_parse_sqltype(const char *spec, tsql_type *o)
{
	char base[40], sql[sizeof o->name];
	const char *coll = strstr(spec, " COLLATE ");
	snprintf(sql, sizeof sql, "%.*s", coll ? (int)(coll - spec) : (int)strlen(spec), spec);
	size_t k = 0;
	long a = -1, b = 0;
	while (sql[k] && sql[k] != '(' && k + 1 < sizeof base) {
		base[k] = (char)tolower((unsigned char)sql[k]);
		k++;
	}
	base[k] = '\0';
	bool max = sql[k] == '(' && !strncasecmp(sql + k + 1, "max)", 4);
	int n = sql[k] == '(' && !max ? typmod(sql + k, &a, &b) : 0;
	set(o, sql, TSQL_STRING, false);
	if (!strcmp(base, "tinyint") || !strcmp(base, "smallint") || !strcmp(base, "int") || !strcmp(base, "bigint")) {
		set(o, base, TSQL_INT, false);
	} else if (!strcmp(base, "bit")) {
		set(o, "bit", TSQL_BIT, false);
	} else if (!strcmp(base, "decimal") || !strcmp(base, "numeric")) {
		o->kind = TSQL_DECIMAL;
		o->prec = n >= 1 && a >= 1 && a <= 38 ? (int)a : 18;
		o->scale = n == 2 && b >= 0 && b <= o->prec ? (int)b : 0;
		snprintf(o->name, sizeof o->name, "decimal(%d,%d)", o->prec, o->scale);
	} else if (!strcmp(base, "money") || !strcmp(base, "smallmoney")) {
		set(o, base, TSQL_MONEY, false);
	} else if (!strcmp(base, "real") || (!strcmp(base, "float") && n == 1 && a >= 1 && a <= 24)) {
		set(o, "real", TSQL_FLOAT, false);
	} else if (!strcmp(base, "float")) {
		set(o, "float", TSQL_FLOAT, false);
	} else if (!strcmp(base, "date")) {
		set(o, "date", TSQL_DATE, false);
	} else if (!strcmp(base, "time") || !strcmp(base, "datetime2") || !strcmp(base, "datetimeoffset")) {
		o->kind = base[0] == 't' ? TSQL_TIME : base[8] == 'o' ? TSQL_DTO : TSQL_DATETIME2;
		o->prec = n == 1 && a >= 0 && a <= 7 ? (int)a : 7;
		snprintf(o->name, sizeof o->name, "%s(%d)", base, o->prec);
	} else if (!strcmp(base, "datetime") || !strcmp(base, "smalldatetime")) {
		set(o, base, TSQL_DATETIME2, false);
		o->legacy = base[0] == 'd' ? 1 : 2;
		o->prec = base[0] == 'd' ? 3 : 0;
	} else if (!strcmp(base, "uniqueidentifier")) {
		set(o, base, TSQL_UUID, false);
	} else if (!strcmp(base, "varbinary") || !strcmp(base, "binary")) {
		o->kind = TSQL_BINARY;
	} else if (!strcmp(base, "nvarchar") || !strcmp(base, "nchar") || !strcmp(base, "ntext") ||
		   !strcmp(base, "sysname")) {
		/* text as it is */
	} else if (!strcmp(base, "varchar") || !strcmp(base, "char") || !strcmp(base, "text")) {
		o->ansi = true;
		o->codepage = 1252; /* the default collations'; the column's collation may say otherwise */
	} else {
		o->unknown = true;
	}
	if (coll && o->kind == TSQL_STRING)
		snprintf(o->collation, sizeof o->collation, "%s", coll + 9);
	/* a char/varchar column's code page comes with its collation */
	if (o->ansi && o->collation[0])
		o->codepage = strstr(o->collation, "UTF8") ? 65001
			      : !strncasecmp(o->collation, "Latin1_General", 14) ||
					!strncasecmp(o->collation, "SQL_Latin1_General_CP1_", 23)
				  ? 1252
				  : 0;
}

void tsql_map_type_with(const char *pg, const tsql_type_map *m, tsql_type *o)
{
	for (size_t i = 0; m && i < m->n; i++)
		if (!strcmp(m->pg[i], pg)) {
			tsql_map_type(pg, o);
			bool flagged = o->flagged;
			tsql_parse_sqltype(m->sql[i], o);
			/* the flag column follows the source type (TOAST, '') */
			o->flagged = flagged || o->kind == TSQL_STRING;
			return;
		}
	tsql_map_type(pg, o);
}

int tsql_type_map_check(const char *pg, const char *sql, char *err, size_t errlen)
{
	tsql_type t;
	tsql_parse_sqltype(sql, &t);
	if (t.kind == TSQL_STRING && !t.ansi && !t.unknown && !strcasecmp(sql, "nvarchar(max)"))
		return 0;
	if (t.kind == TSQL_DECIMAL && starts(pg, "numeric")) {
		long a, b;
		const char *p = strchr(sql, '(');
		if (p && typmod(p, &a, &b) == 2 && a >= 1 && a <= 38 && b >= 0 && b <= a)
			return 0;
	}
	snprintf(err, errlen, "--type-map %s=%s: mssql-apply maps a numeric type to decimal(p,s) (1 <= p <= 38, "
		 "0 <= s <= p) and any type to nvarchar(max)", pg, sql);
	return -1;
}

/* The bytes a value of t takes in an index key at most; *variable when
 * an nvarchar or varbinary (which tsql_size_key may cut). */
static long key_bytes(const tsql_type *t, bool *variable)
{
	long a = 0, b = 0;
	const char *p = strchr(t->name, '(');
	int n = p ? typmod(p, &a, &b) : 0;
	*variable = false;
	switch (t->kind) {
	case TSQL_STRING:
	case TSQL_BINARY: {
		bool chars = t->kind == TSQL_STRING;
		*variable = !starts(t->name, "nchar");
		return n == 1 ? (chars ? 2 * a : a) : chars ? 2 * 4000 : 8000;
	}
	case TSQL_INT: return t->name[0] == 's' ? 2 : t->name[0] == 'i' ? 4 : 8;
	case TSQL_BIT: return 1;
	case TSQL_FLOAT: return t->name[0] == 'r' ? 4 : 8;
	case TSQL_MONEY: return 8;
	case TSQL_DATE: return 3;
	case TSQL_UUID: return 16;
	case TSQL_DECIMAL: return a <= 9 ? 5 : a <= 19 ? 9 : a <= 28 ? 13 : 17;
	case TSQL_TIME: return t->prec <= 2 ? 3 : t->prec <= 4 ? 4 : 5;
	case TSQL_DATETIME2: return t->prec <= 2 ? 6 : t->prec <= 4 ? 7 : 8;
	case TSQL_DTO: return t->prec <= 2 ? 8 : t->prec <= 4 ? 9 : 10;
	}
	return 8;
}

bool tsql_size_key(tsql_type *types, const uint16_t *keys, size_t nkeys)
{
	long fixed = 0, total = 0;
	size_t nvar = 0;
	for (size_t k = 0; k < nkeys; k++) {
		tsql_type *t = &types[keys[k]];
		if (t->kind == TSQL_STRING)
			snprintf(t->collation, sizeof t->collation, "%s", TSQL_KEY_COLLATION);
		if (!strcmp(t->name, "nvarchar(max)"))
			snprintf(t->name, sizeof t->name, "nvarchar(450)");
		else if (!strcmp(t->name, "varbinary(max)"))
			snprintf(t->name, sizeof t->name, "varbinary(900)");
		bool var;
		long n = key_bytes(t, &var);
		total += n;
		if (var)
			nvar++;
		else
			fixed += n;
	}
	if (total <= TSQL_KEY_CLUSTERED_MAX)
		return false;
	if (total <= TSQL_KEY_NONCLUSTERED_MAX || nvar == 0)
		return true;
	/* An even share of what the fixed columns leave, columns below it
	 * keeping their size and leaving the rest to the others. */
	long budget = TSQL_KEY_NONCLUSTERED_MAX - fixed;
	if (budget < 2 * (long)nvar)
		return true; /* no room: let the server say so */
	bool capped[nkeys];
	memset(capped, 0, sizeof capped);
	for (size_t left = nvar; left > 0;) {
		long share = budget / (long)left;
		size_t kept = 0;
		for (size_t k = 0; k < nkeys; k++) {
			bool var;
			long n = key_bytes(&types[keys[k]], &var);
			if (var && !capped[k] && n <= share) {
				capped[k] = true;
				budget -= n;
				kept++;
			}
		}
		left -= kept;
		if (kept)
			continue;
		for (size_t k = 0; k < nkeys; k++) {
			tsql_type *t = &types[keys[k]];
			bool var;
			key_bytes(t, &var);
			if (!var || capped[k])
				continue;
			if (t->kind == TSQL_STRING)
				snprintf(t->name, sizeof t->name, "nvarchar(%ld)", share / 2);
			else
				snprintf(t->name, sizeof t->name, "varbinary(%ld)", share);
		}
		break;
	}
	return true;
}

/* ---- quoting ---- */

int tsql_ident(buf *b, const char *name)
{
	if (buf_putc(b, '[') < 0)
		return -1;
	for (const char *p = name; *p; p++) {
		if (*p == ']' && buf_putc(b, ']') < 0)
			return -1;
		if (buf_putc(b, *p) < 0)
			return -1;
	}
	return buf_putc(b, ']');
}

int tsql_qname(buf *b, const char *schema, const char *table)
{
	if (tsql_ident(b, schema) < 0 || buf_putc(b, '.') < 0)
		return -1;
	return tsql_ident(b, table);
}

int tsql_nstr(buf *b, const char *s, size_t len)
{
	if (buf_reserve(b, len + 4) < 0 || buf_puts(b, "N'") < 0)
		return -1;
	const char *end = s + len, *p = s;
	while (p < end) {
		const char *q = memchr(p, '\'', (size_t)(end - p));
		if (!q)
			return buf_append(b, p, (size_t)(end - p)) < 0 ? -1 : buf_putc(b, '\'');
		if (buf_append(b, p, (size_t)(q - p + 1)) < 0 || buf_putc(b, '\'') < 0)
			return -1;
		p = q + 1;
	}
	return buf_putc(b, '\'');
}

/* ---- values ---- */

static bool eq(const char *in, size_t len, const char *lit)
{
	return len == strlen(lit) && memcmp(in, lit, len) == 0;
}

static bool has_bc(const char *in, size_t len)
{
	return len >= 3 && memcmp(in + len - 3, " BC", 3) == 0;
}

/* The digits of a plain decimal number ([+-]digits[.digits]): of its
 * integer part without leading zeros, of its fraction without trailing
 * zeros. -1 when in is not one. */
static int decimal_digits(const char *in, size_t len, int *intd, int *fracd)
{
	size_t i = 0;
	if (i < len && (in[i] == '-' || in[i] == '+'))
		i++;
	size_t start = i;
	while (i < len && in[i] == '0')
		i++;
	size_t idig = i;
	while (i < len && isdigit((unsigned char)in[i]))
		i++;
	bool any = i > start;
	*intd = (int)(i - idig);
	*fracd = 0;
	if (i < len && in[i] == '.') {
		size_t f = ++i;
		while (i < len && isdigit((unsigned char)in[i]))
			i++;
		any |= i > f;
		size_t e = i;
		while (e > f && in[e - 1] == '0')
			e--;
		*fracd = (int)(e - f);
	}
	return any && i == len ? 0 : -1;
}

/* The exact decimal expansion of d (glibc prints it digit for digit), in
 * out; its digits as decimal_digits counts them. */
static int double_digits(double d, char *out, size_t cap, int *intd, int *fracd)
{
	int n = snprintf(out, cap, "%.1080f", d);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return decimal_digits(out, (size_t)n, intd, fracd);
}

/* A plain decimal number as "[-]int.frac", without leading zeros in int,
 * trailing zeros in frac, or the sign of zero: equal numbers, equal
 * texts. Empty when it is not one (or does not fit). */
static void canon(const char *in, size_t len, char *out, size_t cap)
{
	int intd, fracd;
	out[0] = '\0';
	if (decimal_digits(in, len, &intd, &fracd) < 0 || (size_t)intd + (size_t)fracd + 4 > cap)
		return;
	size_t i = 0, o = 0;
	bool neg = in[0] == '-';
	if (in[0] == '-' || in[0] == '+')
		i++;
	while (i < len && in[i] == '0')
		i++;
	if (neg && (intd || fracd))
		out[o++] = '-';
	memcpy(out + o, in + i, (size_t)intd);
	o += (size_t)intd;
	out[o++] = '.';
	const char *dot = memchr(in, '.', len);
	if (dot)
		memcpy(out + o, dot + 1, (size_t)fracd);
	o += (size_t)fracd;
	out[o] = '\0';
}

/* Whether the decimal text in and the double d are the same number. */
static bool same_number(const char *in, size_t len, double d)
{
	char exact[1500], a[1500], b[1500];
	int intd, fracd;
	if (double_digits(d, exact, sizeof exact, &intd, &fracd) < 0)
		return false;
	canon(in, len, a, sizeof a);
	canon(exact, strlen(exact), b, sizeof b);
	return a[0] && !strcmp(a, b);
}

/* The number in a staged value as a double, read as a float when
 * single (NaN when it is none). Any length: an unconstrained numeric
 * (staged as text) has up to 147,455 digits. */
static double read_number(const char *in, size_t len, bool single)
{
	double d;
	return floattext_read(in, len, single, &d) ? d : NAN;
}

static double as_double(const char *in, size_t len)
{
	return read_number(in, len, false);
}

/* Windows-1252, the code page of Latin1_General and SQL_Latin1_General
 * collations: whether code point u has a character there. */
static bool in_cp1252(uint32_t u)
{
	static const uint16_t c1[] = {0x20AC, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030,
				      0x0160, 0x2039, 0x0152, 0x017D, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
				      0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x017E, 0x0178};
	if (u < 0x80 || (u >= 0xA0 && u <= 0xFF))
		return true;
	for (size_t i = 0; i < sizeof c1 / sizeof c1[0]; i++)
		if (c1[i] == u)
			return true;
	return false;
}

/* The first character of UTF-8 text that code page cp cannot hold (1252;
 * anything else: ASCII only), or -1. */
static long outside_codepage(const char *s, size_t n, int cp)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		uint32_t u = *p;
		size_t k = u < 0x80 ? 1 : u < 0xE0 ? 2 : u < 0xF0 ? 3 : 4;
		if (k > 1) {
			u &= k == 2 ? 0x1F : k == 3 ? 0x0F : 0x07;
			for (size_t i = 1; i < k && p + i < end; i++)
				u = u << 6 | (p[i] & 0x3F);
		}
		if (u >= 0x80 && (cp != 1252 || !in_cp1252(u)))
			return (long)u;
		p += k;
	}
	return -1;
}

/* Whether a time or timestamp may hold more than its type does: more
 * fractional-second digits than its precision (trailing zeros counted:
 * tsql_value_fits tells), or a type with rules of its own (datetime's
 * 1/300 s, smalldatetime's minute). A look at the digits alone, for the
 * usual value of every snapshot row; tsql_value_fits decides and words. */
static bool frac_may_round(const tsql_type *type, const char *in, size_t len)
{
	if (type->legacy)
		return true;
	const char *dot = memchr(in, '.', len);
	if (!dot)
		return false;
	int n = 0;
	for (const char *p = dot + 1; p < in + len && (unsigned)(*p - '0') < 10; p++)
		n++;
	return n > type->prec;
}

int tsql_stage_value(const tsql_type *type, const char *in, size_t len, buf *scratch,
		     const char **out, size_t *outlen, char *err, size_t errlen)
{
	tsql_kind kind = type->kind;
	*out = in;
	*outlen = len;
	buf_reset(scratch);
	switch (kind) {
	case TSQL_BIT:
		if (eq(in, len, "t") || eq(in, len, "true"))
			*out = "1";
		else if (eq(in, len, "f") || eq(in, len, "false"))
			*out = "0";
		else {
			snprintf(err, errlen, "not a boolean: \"%.*s\"", (int)(len > 40 ? 40 : len), in);
			return -1;
		}
		*outlen = 1;
		return 0;
	case TSQL_DECIMAL:
	case TSQL_FLOAT:
		if (eq(in, len, "NaN") || eq(in, len, "Infinity") || eq(in, len, "-Infinity")) {
			snprintf(err, errlen, "%.*s has no SQL Server equivalent", (int)len, in);
			return -1;
		}
		return tsql_value_fits(type, type, in, len, err, errlen);
	case TSQL_MONEY:
		/* lc_monetary C prints "$1,234.56" / "-$1,234.56". */
		for (size_t i = 0; i < len; i++)
			if (in[i] != '$' && in[i] != ',' && buf_putc(scratch, in[i]) < 0)
				return -1;
		*out = scratch->data ? scratch->data : "";
		*outlen = scratch->len;
		/* more than 4 decimals would round, by CAST as by bulk copy */
		return tsql_value_fits(type, type, *out, *outlen, err, errlen);
	case TSQL_DATE:
	case TSQL_DATETIME2:
	case TSQL_DTO: {
		bool tz = kind == TSQL_DTO;
		if (eq(in, len, "infinity") || eq(in, len, "-infinity")) {
			if (!type->clamp) {
				snprintf(err, errlen, "%.*s has no SQL Server equivalent (--clamp-infinity writes the "
					 "ends of the type's range instead)", (int)len, in);
				return -1;
			}
			/* Clamped to the type's range; the largest value keeps only
			 * the type's fractional digits, or rounding would overflow. */
			bool hi = in[0] == 'i';
			int p = type->prec;
			if (kind == TSQL_DATE)
				buf_puts(scratch, hi ? "9999-12-31" : "0001-01-01");
			else {
				buf_puts(scratch, hi ? "9999-12-31T23:59:59" : "0001-01-01T00:00:00");
				if (p > 0)
					buf_putc(scratch, '.');
				for (int i = 0; i < p; i++)
					buf_putc(scratch, hi ? '9' : '0');
				if (tz)
					buf_putc(scratch, 'Z');
			}
			if (buf_terminate(scratch) < 0)
				return -1;
			*out = scratch->data;
			*outlen = scratch->len;
		} else if (has_bc(in, len)) {
			snprintf(err, errlen, "date before year 1 (%.*s) has no SQL Server equivalent",
				 (int)(len > 40 ? 40 : len), in);
			return -1;
		} else if (len < 10 || (len > 10 && in[10] != 'T') || !isdigit((unsigned char)in[0]) ||
			   in[4] != '-') {
			/* Years beyond 9999 also land here. */
			snprintf(err, errlen, "date out of SQL Server's range: \"%.*s\"",
				 (int)(len > 40 ? 40 : len), in);
			return -1;
		}
		/* more fractional-second digits than the type's: a bulk copy
		 * would send them and the server round them, as CAST would */
		return frac_may_round(type, *out, *outlen) ? tsql_value_fits(type, type, *out, *outlen, err, errlen) : 0;
	}
	case TSQL_TIME:
		if (len >= 2 && in[0] == '2' && in[1] == '4') {
			snprintf(err, errlen, "time 24:00:00 has no SQL Server equivalent");
			return -1;
		}
		return frac_may_round(type, in, len) ? tsql_value_fits(type, type, in, len, err, errlen) : 0;
	case TSQL_BINARY:
		if (len < 2 || in[0] != '\\' || in[1] != 'x') {
			snprintf(err, errlen, "bytea value is not \\x hex");
			return -1;
		}
		if (buf_reserve(scratch, len) < 0 || buf_puts(scratch, "0x") < 0 ||
		    buf_append(scratch, in + 2, len - 2) < 0)
			return -1;
		*out = scratch->data;
		*outlen = scratch->len;
		return 0;
	default:
		return 0;
	}
}

static int refuse(char *err, size_t errlen, const char *in, size_t len, const char *dst, const char *why)
{
	snprintf(err, errlen, "\"%.*s\" does not go into %s unchanged (%s)", (int)(len > 60 ? 60 : len), in, dst, why);
	return -1;
}

/* The fractional-second digits of a staged time or timestamp (after the
 * seconds' '.'), without trailing zeros; *t00 when its time of day is
 * 00:00:00 and *sec when its seconds are 00. */
static int frac_digits(const char *in, size_t len, bool *t00, bool *sec0)
{
	const char *t = memchr(in, ':', len);
	*t00 = *sec0 = false;
	if (!t || t < in + 2 || (size_t)(t - in) + 6 > len)
		return 0; /* a date */
	const char *hh = t - 2;
	*t00 = !memcmp(hh, "00:00:00", 8);
	*sec0 = t[4] == '0' && t[5] == '0';
	const char *p = t + 6, *end = in + len;
	if (p >= end || *p != '.')
		return 0;
	const char *f = ++p;
	while (p < end && isdigit((unsigned char)*p))
		p++;
	while (p > f && p[-1] == '0')
		p--;
	if (p > f)
		*t00 = false;
	return (int)(p - f);
}

/* n digits at p */
static bool digits_at(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)p[i]))
			return false;
	return true;
}

/* "HH:MM:SS[.f…]" at the whole of in */
static bool time_form(const char *in, size_t len)
{
	if (len < 8 || !digits_at(in, 2) || in[2] != ':' || !digits_at(in + 3, 2) || in[5] != ':' ||
	    !digits_at(in + 6, 2))
		return false;
	return len == 8 || (len > 9 && in[8] == '.' && digits_at(in + 9, len - 9));
}

/* "YYYY-MM-DD" at the start of in (10 bytes at least) */
static bool date_form(const char *in)
{
	return digits_at(in, 4) && in[4] == '-' && digits_at(in + 5, 2) && in[7] == '-' && digits_at(in + 8, 2);
}

/* "YYYY-MM-DD[T ]HH:MM:SS[.f…]" at the start of in: its length, or 0 */
static size_t timestamp_form(const char *in, size_t len)
{
	if (len < 19 || !date_form(in) || (in[10] != 'T' && in[10] != ' '))
		return 0;
	size_t n = 19;
	if (n < len && in[n] == '.')
		for (n++; n < len && isdigit((unsigned char)in[n]); n++)
			;
	return time_form(in + 11, n - 11) ? n : 0;
}

/* Whether a text (a string source's value) is in the plain form of a
 * value of type dst, the form the typed path reads (mssql_typed_value):
 * SQL Server converts a string assigned to a column of another type more
 * freely, and silently changes some: '' becomes 0 (1900-01-01 for the
 * dates, 00:00:00 for time), blanks around a number are ignored, money
 * takes '$' and ',', bit takes any number as 1 (CAST and CONVERT,
 * tests/golden/README.md). So a string source's value goes into a number,
 * bit or date/time column only as: a plain decimal ([+-]digits[.digits];
 * an integer for the integer types, within their range); 0, 1, true or
 * false for bit; ISO 8601 date, time, date and time (and offset for
 * datetimeoffset). 0, or -1 with the reason in err. */
static int text_form(const tsql_type *dst, const char *in, size_t len, char *err, size_t errlen)
{
	int intd, fracd;
	const char *why = NULL;
	switch (dst->kind) {
	case TSQL_INT: {
		bool tiny = !strcmp(dst->name, "tinyint");
		int dd = decimal_digits(in, len, &intd, &fracd);
		if (dd < 0 || memchr(in, '.', len)) {
			why = dd == 0 && fracd > 0 ? "a fraction: it would be cut" : "not an integer in plain form";
			break;
		}
		/* the digits without sign and leading zeros, read as a
		 * magnitude: any length of zeros in front is still in range */
		size_t i = in[0] == '-' || in[0] == '+';
		bool neg = in[0] == '-';
		while (i + 1 < len && in[i] == '0')
			i++;
		uint64_t mag = 0;
		bool over = len - i > 20;
		for (; !over && i < len; i++)
			over = __builtin_mul_overflow(mag, 10, &mag) || __builtin_add_overflow(mag, (uint64_t)(in[i] - '0'), &mag);
		uint64_t lim = !strcmp(dst->name, "bigint") ? (uint64_t)INT64_MAX : dst->name[1] == 'm' ? 32767 :
			       tiny ? 255 : (uint64_t)INT32_MAX;
		if (over || mag > lim + (neg && !tiny) || (tiny && neg && mag != 0))
			why = "out of its range";
		break;
	}
	case TSQL_DECIMAL:
	case TSQL_MONEY:
	case TSQL_FLOAT:
		if (decimal_digits(in, len, &intd, &fracd) < 0)
			why = "not a number in plain form ([+-]digits[.digits])";
		break;
	case TSQL_BIT: /* a number: 0 or 1 only, below */
		if (decimal_digits(in, len, &intd, &fracd) < 0 && !(len == 4 && !strncasecmp(in, "true", 4)) &&
		    !(len == 5 && !strncasecmp(in, "false", 5)))
			why = "not 0, 1, true or false";
		break;
	case TSQL_UUID: {
		/* SQL Server reads the first 36 characters of a longer string
		 * and drops the rest (uniqueidentifier) */
		static const char hexd[] = "0123456789abcdefABCDEF";
		bool ok = len == 36;
		for (size_t i = 0; ok && i < len; i++)
			ok = (i == 8 || i == 13 || i == 18 || i == 23) ? in[i] == '-' : in[i] && strchr(hexd, in[i]);
		if (!ok)
			why = "not a uuid in its 36-character form";
		break;
	}
	case TSQL_DATE:
		if (len != 10 || !date_form(in))
			why = "not a date in ISO 8601 form (YYYY-MM-DD)";
		break;
	case TSQL_TIME:
		if (!time_form(in, len))
			why = "not a time in ISO 8601 form (HH:MM:SS[.fff])";
		break;
	case TSQL_DATETIME2:
		if (!len || timestamp_form(in, len) != len)
			why = "not a date and time in ISO 8601 form (YYYY-MM-DD HH:MM:SS[.fff])";
		break;
	case TSQL_DTO: {
		size_t n = timestamp_form(in, len);
		const char *o = in + n;
		size_t r = len - n;
		if (!n || !(eq(o, r, "Z") || ((r == 3 || r == 6) && (o[0] == '+' || o[0] == '-') && digits_at(o + 1, 2) &&
						  (r == 3 || (o[3] == ':' && digits_at(o + 4, 2))))))
			why = "not a date, time and offset in ISO 8601 form (YYYY-MM-DD HH:MM:SS[.fff]+HH:MM)";
		break;
	}
	default:
		break;
	}
	if (!why)
		return 0;
	char w[200];
	snprintf(w, sizeof w, "a text %s: SQL Server would convert it by rules of its own", why);
	return refuse(err, errlen, in, len, dst->name, w);
}

size_t tsql_value_sent_len(const tsql_type *src, const tsql_type *dst, const char *in, size_t len)
{
	if (src->kind != TSQL_STRING || !dst->legacy)
		return len;
	const char *dot = memchr(in, '.', len), *end = in + len;
	if (!dot)
		return len;
	const char *f = dot + 1, *q = f;
	while (q < end && isdigit((unsigned char)*q))
		q++;
	if (q - f <= 3)
		return len;
	for (const char *p = f + 3; p < end; p++)
		if (*p != (p < q ? '0' : ' '))
			return len; /* not so: tsql_value_fits refused it */
	return (size_t)(f + 3 - in);
}

int tsql_value_fits(const tsql_type *src, const tsql_type *dst, const char *in, size_t len, char *err,
		    size_t errlen)
{
	int intd = 0, fracd = 0;
	bool fsrc = src->kind == TSQL_FLOAT, num = false;
	/* a float's value is its binary one, not its shortest text */
	double d = fsrc ? read_number(in, len, src->name[0] == 'r') : 0;
	if (dst->unknown)
		return 0;
	/* char(n)'s padding means nothing: '42        ' is 42 (SQL Server,
	 * too, ignores it) */
	if (src->padded && dst->kind != TSQL_STRING)
		while (len > 0 && in[len - 1] == ' ')
			len--;
	if (src->kind == TSQL_STRING && text_form(dst, in, len, err, errlen) < 0)
		return -1;
	if (dst->kind == TSQL_DECIMAL || dst->kind == TSQL_INT || dst->kind == TSQL_MONEY || dst->kind == TSQL_BIT) {
		char exact[1500];
		if (!fsrc)
			num = decimal_digits(in, len, &intd, &fracd) == 0;
		else if (!isnan(d) && !isinf(d))
			num = double_digits(d, exact, sizeof exact, &intd, &fracd) == 0;
	}
	switch (dst->kind) {
	case TSQL_DECIMAL:
		if (!num || src->kind == TSQL_BIT || src->kind == TSQL_DATE || src->kind == TSQL_DATETIME2)
			return 0; /* the server refuses what is not a number */
		if (intd > dst->prec - dst->scale)
			return refuse(err, errlen, in, len, dst->name, "more integer digits than it holds");
		if (fracd > dst->scale)
			return refuse(err, errlen, in, len, dst->name, "more decimals than it holds: it would round");
		return 0;
	case TSQL_INT:
		if (num && fracd > 0)
			return refuse(err, errlen, in, len, dst->name, "a fraction: it would be cut");
		return 0;
	case TSQL_BIT: {
		double v = fsrc ? d : num ? as_double(in, len) : 0;
		if (src->kind != TSQL_BIT && num && v != 0 && v != 1)
			return refuse(err, errlen, in, len, dst->name, "only 0 and 1: any other number becomes 1");
		return 0;
	}
	case TSQL_MONEY:
		if (num && fracd > 4)
			return refuse(err, errlen, in, len, dst->name, "more than 4 decimals: it would round");
		return 0;
	case TSQL_FLOAT: {
		bool real = dst->name[0] == 'r';
		double v = fsrc ? d : as_double(in, len);
		if (isnan(v))
			return 0;
		if ((v != 0 && fabs(v) < (real ? FLT_MIN : DBL_MIN)) || (v == 0 && floattext_nonzero_mantissa(in, len)))
			return refuse(err, errlen, in, len, dst->name, real ? "below real's smallest, 1.18E-38" :
									   "below float's smallest, 2.23E-308");
		if (real && fabs(v) <= FLT_MAX && (double)(float)v != v)
			return refuse(err, errlen, in, len, dst->name, "more precision than real's 24 bits: it would round");
		if (!fsrc && !same_number(in, len, real ? (double)(float)v : v))
			return refuse(err, errlen, in, len, dst->name, "no binary floating point number is this decimal");
		return 0;
	}
	case TSQL_TIME:
	case TSQL_DATETIME2:
	case TSQL_DTO:
	case TSQL_DATE: {
		if (src->kind != TSQL_TIME && src->kind != TSQL_DATETIME2 && src->kind != TSQL_DTO && src->kind != TSQL_STRING)
			return 0;
		bool t00, sec0;
		int f = frac_digits(in, len, &t00, &sec0);
		if (dst->kind == TSQL_DATE) {
			if (!t00 && src->kind != TSQL_STRING) /* a string: a date alone (text_form) */
				return refuse(err, errlen, in, len, dst->name, "a time of day: it would be dropped");
		} else if (dst->kind == TSQL_TIME && src->kind != TSQL_TIME && src->kind != TSQL_STRING) {
			return refuse(err, errlen, in, len, dst->name, "a date: it would be dropped");
		} else if (dst->legacy == 2) {
			if (f || !sec0)
				return refuse(err, errlen, in, len, dst->name, "seconds: smalldatetime rounds to the minute");
		} else if (dst->legacy == 1) {
			const char *dot = memchr(in, '.', len);
			for (const char *p = dot ? dot + 3 : in + len; p < in + len && isdigit((unsigned char)*p); p++)
				if (*p != '0')
					return refuse(err, errlen, in, len, dst->name,
						      "datetime holds multiples of 1/300 s: it would round");
		} else if (f > dst->prec) {
			return refuse(err, errlen, in, len, dst->name, "more fractional-second digits: it would round");
		}
		return 0;
	}
	case TSQL_BINARY: {
		long a = 0, b = 0;
		const char *p = strchr(dst->name, '(');
		if (src->kind != TSQL_BINARY || !p || typmod(p, &a, &b) != 1 || a < 0 || len < 2)
			return 0;
		size_t bytes = (len - 2) / 2;
		if (bytes > (size_t)a)
			return refuse(err, errlen, in, len, dst->name, "longer than the column (2628)");
		/* binary(n) pads a shorter value with zero bytes: other bytes
		 * than the source's (and 0x01 and 0x0100 one key) */
		if (bytes < (size_t)a && starts(dst->name, "binary("))
			return refuse(err, errlen, in, len, dst->name,
				      "shorter than the column, which pads it with zero bytes (varbinary would keep it)");
		return 0;
	}
	case TSQL_STRING: {
		if (src->kind == TSQL_FLOAT || src->kind == TSQL_MONEY)
			return refuse(err, errlen, in, len, dst->name,
				      "SQL Server writes a float or money as text with a few digits only");
		/* varbinary converts to nvarchar byte for byte: its bytes read
		 * as UTF-16, another text altogether */
		if (src->kind == TSQL_BINARY)
			return refuse(err, errlen, in, len, dst->name,
				      dst->ansi ? "SQL Server would read its bytes as text of the column's code page "
						  "(--type-map bytea=nvarchar(max) writes PostgreSQL's text of it)"
						: "SQL Server would read its bytes as UTF-16 text (--type-map "
						  "bytea=nvarchar(max) writes PostgreSQL's text of it)");
		/* Longer than the column: SQL Server refuses it (2628), but
		 * cuts trailing spaces beyond the length without a word. */
		long a = 0, b = 0;
		const char *p = strchr(dst->name, '(');
		if (p && typmod(p, &a, &b) == 1 && a > 0) {
			size_t units = 0, i = 0;
			bool bytes = dst->ansi && dst->codepage == 65001; /* varchar(n) of UTF-8 counts bytes */
			for (; i < len; i++) {
				unsigned char ch = (unsigned char)in[i];
				size_t u = bytes ? 1 : ((ch & 0xc0) != 0x80) + (ch >= 0xf0 && !dst->ansi);
				if (units + u > (size_t)a)
					break;
				units += u;
			}
			size_t j = i;
			while (j < len && in[j] == ' ')
				j++;
			if (i < len && j == len)
				return refuse(err, errlen, in, len, dst->name,
					      "longer than the column by trailing spaces, which it would cut");
			if (i < len)
				return refuse(err, errlen, in, len, dst->name, "longer than the column (2628)");
			/* nchar(n) and char(n) pad a shorter value with blanks:
			 * another text than the source's, and 'a' and 'a ' one
			 * key; unless the source's own blanks mean nothing
			 * (PostgreSQL's char(n)) */
			if (units < (size_t)a && !src->padded && (starts(dst->name, "nchar(") || starts(dst->name, "char(")))
				return refuse(err, errlen, in, len, dst->name,
					      dst->ansi ? "shorter than the column, which pads it with blanks (varchar would keep it)"
							: "shorter than the column, which pads it with blanks (nvarchar would keep it)");
		}
		if (dst->ansi && dst->codepage != 65001) {
			long u = outside_codepage(in, len, dst->codepage);
			if (u >= 0) {
				char why[120];
				snprintf(why, sizeof why, "U+%04lX is not in its code page %d: it would become another "
					 "character", (unsigned long)u, dst->codepage ? dst->codepage : 20127);
				return refuse(err, errlen, in, len, dst->name, why);
			}
		}
		return 0;
	}
	default:
		return 0;
	}
}

/* ---- tables ---- */

bool tsql_is_key(const tsql_table *t, size_t col)
{
	for (size_t i = 0; i < t->nkeys; i++)
		if (t->keys[i] == col)
			return true;
	return false;
}

/* The target column's type of column i (the record's when no catalog). */
static const tsql_type *target_of(const tsql_table *t, size_t i)
{
	return t->targets ? &t->targets[i] : &t->types[i];
}

bool tsql_stage_typed(const tsql_table *t, size_t i)
{
	const tsql_type *s = &t->types[i], *d = target_of(t, i);
	if (d->unknown || d->kind != s->kind)
		return false;
	switch (s->kind) {
	case TSQL_STRING: /* UTF-16 into nvarchar/nchar; a varchar's code page is the server's to apply */
		return !d->ansi && (starts(d->name, "nvarchar(") || starts(d->name, "nchar("));
	case TSQL_BINARY:
		return starts(d->name, "varbinary(");
	case TSQL_INT:
	case TSQL_FLOAT:
	case TSQL_MONEY: /* smallint/int/bigint, real/float, money/smallmoney: the very type */
		return !strcmp(d->name, s->name);
	case TSQL_DECIMAL:
		return d->prec == s->prec && d->scale == s->scale;
	case TSQL_TIME:
	case TSQL_DATETIME2:
	case TSQL_DTO: /* the very precision (the server would round); not datetime, smalldatetime */
		return !d->legacy && d->prec == s->prec;
	case TSQL_BIT:
	case TSQL_DATE:
	case TSQL_UUID:
		return true;
	}
	return false;
}

static size_t nflagged(const tsql_table *t)
{
	size_t n = 0;
	for (size_t i = 0; i < t->ncols; i++)
		n += t->types[i].flagged;
	return n;
}

/* The bytes a value of t takes in every row of SQL Server: a fixed-length
 * type's storage size (the pages of the data types), 0 for a
 * variable-length one, which the minimum row has empty, and for bit,
 * which tsql_row_add counts apart. */
static long fixed_bytes(const tsql_type *t)
{
	long a = 1, b = 0;
	const char *p = strchr(t->name, '(');
	if (p && typmod(p, &a, &b) != 1)
		a = 1;
	switch (t->kind) {
	case TSQL_STRING:
		if (!strncasecmp(t->name, "nchar", 5))
			return 2 * a;
		if (!strncasecmp(t->name, "char", 4))
			return a;
		/* rowversion, which the catalog calls timestamp */
		if (t->unknown && (!strcasecmp(t->name, "timestamp") || !strcasecmp(t->name, "rowversion")))
			return 8;
		return 0; /* nvarchar, varchar, text, ntext, xml, sql_variant … */
	case TSQL_BINARY:
		return !strncasecmp(t->name, "binary", 6) ? a : 0;
	case TSQL_INT:
		return !strcasecmp(t->name, "tinyint") ? 1 : !strcasecmp(t->name, "smallint") ? 2
		       : !strcasecmp(t->name, "int") ? 4 : 8;
	case TSQL_BIT:
		return 0;
	case TSQL_FLOAT:
		return !strcasecmp(t->name, "real") ? 4 : 8;
	case TSQL_MONEY:
		return !strcasecmp(t->name, "smallmoney") ? 4 : 8;
	case TSQL_DATE:
		return 3;
	case TSQL_UUID:
		return 16;
	case TSQL_DECIMAL:
		return t->prec <= 9 ? 5 : t->prec <= 19 ? 9 : t->prec <= 28 ? 13 : 17;
	case TSQL_TIME:
		return t->prec <= 2 ? 3 : t->prec <= 4 ? 4 : 5;
	case TSQL_DATETIME2:
		if (t->legacy)
			return t->legacy == 1 ? 8 : 4; /* datetime, smalldatetime */
		return t->prec <= 2 ? 6 : t->prec <= 4 ? 7 : 8;
	case TSQL_DTO:
		return t->prec <= 2 ? 8 : t->prec <= 4 ? 9 : 10;
	}
	return 0;
}

void tsql_row_add(tsql_row_size *r, const tsql_type *t)
{
	r->cols++;
	if (t->kind == TSQL_BIT)
		r->bits++;
	else
		r->fixed += fixed_bytes(t);
}

long tsql_row_overhead(const tsql_row_size *r)
{
	return 4 + 2 + (long)((r->cols + 7) / 8);
}

long tsql_row_min(const tsql_row_size *r)
{
	return r->fixed + (long)((r->bits + 7) / 8) + tsql_row_overhead(r);
}

void tsql_create_row(const tsql_table *t, tsql_row_size *r)
{
	memset(r, 0, sizeof *r);
	for (size_t i = 0; i < t->ncols; i++)
		tsql_row_add(r, &t->types[i]);
}

/* The staging table's index on the key (tsql_staging_create): the key,
 * when typed, as its clustered index, not unique (a batch stages an old
 * key beside a new row of it), so that the MERGE, DELETE and joins on it
 * can seek and merge in order. An index key is at most 900 bytes
 * (clustered) or 1,700 (nonclustered): a longer one gets none. 0 none, 1
 * clustered, 2 nonclustered. */
static int staging_index(const tsql_table *t)
{
	long bytes = 0;
	bool typed = t->nkeys > 0;
	for (size_t k = 0; k < t->nkeys && typed; k++) {
		bool var;
		typed = tsql_stage_typed(t, t->keys[k]) && !strstr(target_of(t, t->keys[k])->name, "(max)");
		bytes += key_bytes(target_of(t, t->keys[k]), &var);
	}
	if (!typed || bytes > TSQL_KEY_NONCLUSTERED_MAX)
		return 0;
	return bytes <= TSQL_KEY_CLUSTERED_MAX ? 1 : 2;
}

/* The staging table's row, its flags packed or not: [__seq] bigint,
 * [__op] nchar(1), the columns (a text one, nvarchar(max), no byte),
 * the flags (a tinyint each, or one nvarchar), and the uniqueifier of a
 * clustered index that is not unique, one more column ("Estimate the
 * size of a clustered index"). */
static void staging_row(const tsql_table *t, bool packed, tsql_row_size *r)
{
	memset(r, 0, sizeof *r);
	r->fixed = 8 + 2;
	r->cols = 2;
	for (size_t i = 0; i < t->ncols; i++) {
		if (tsql_stage_typed(t, i))
			tsql_row_add(r, target_of(t, i));
		else
			r->cols++;
		if (t->types[i].flagged && !packed) {
			r->fixed++;
			r->cols++;
		}
	}
	if (packed)
		r->cols++;
	if (staging_index(t) == 1)
		r->cols++;
}

/* The most bytes a value of t, a variable-length type, can take in a row
 * of SQL Server once the row's longer values were pushed off it
 * ("Row-Overflow Data Exceeding 8 KB"): its declared bytes (nvarchar(n)
 * 2n, varchar(n) and varbinary(n) n), or the 24-byte pointer such a value
 * leaves in the row when that is less; a (max) type, text, xml … the
 * pointer (24: the row-overflow pointer; a (max) value's is at least 16). */
static long var_row_max(const tsql_type *t)
{
	long a = 0, b = 0;
	const char *p = strchr(t->name, '(');
	long bytes = 24;
	if (p && typmod(p, &a, &b) == 1 && a > 0) {
		if (!strncasecmp(t->name, "nvarchar", 8))
			bytes = 2 * a;
		else if (!strncasecmp(t->name, "varchar", 7) || !strncasecmp(t->name, "varbinary", 9))
			bytes = a;
	}
	return bytes < 24 ? bytes : 24;
}

static bool is_variable(const tsql_type *t)
{
	return t->kind != TSQL_BIT && fixed_bytes(t) == 0;
}

/* The bytes in the row of the staging row, flags packed or not, that SQL
 * Server can be left with at most once it pushed what it can off the row:
 * staging_row's minimum, and when there are variable-length columns 2
 * bytes of their count and per column an offset of 2 and var_row_max of
 * its type (a text staging column nvarchar(max); [__u] nvarchar(ncols);
 * the uniqueifier of a clustered index that is not unique, 4 bytes). */
static long staging_row_max(const tsql_table *t, bool packed)
{
	tsql_row_size r;
	staging_row(t, packed, &r);
	long var = 0;
	size_t nvar = 0;
	for (size_t i = 0; i < t->ncols; i++) {
		if (!tsql_stage_typed(t, i)) {
			nvar++;
			var += 2 + 24;
		} else if (is_variable(target_of(t, i))) {
			nvar++;
			var += 2 + var_row_max(target_of(t, i));
		}
	}
	if (packed) {
		nvar++;
		var += 2 + (2 * (long)t->ncols < 24 ? 2 * (long)t->ncols : 24);
	}
	if (staging_index(t) == 1) {
		nvar++;
		var += 2 + 4;
	}
	return tsql_row_min(&r) + (nvar ? 2 + var : 0);
}

long tsql_target_row_max(const tsql_table *t)
{
	tsql_row_size r;
	memset(&r, 0, sizeof r);
	long var = 0;
	size_t nvar = 0;
	for (size_t i = 0; i < t->ncols; i++) {
		const tsql_type *ty = target_of(t, i);
		tsql_row_add(&r, ty);
		if (is_variable(ty)) {
			nvar++;
			var += 2 + var_row_max(ty);
		}
	}
	return tsql_row_min(&r) + (nvar ? 2 + var : 0);
}

long tsql_staging_row_max(const tsql_table *t)
{
	return staging_row_max(t, tsql_staging_packed(t));
}

bool tsql_staging_packed(const tsql_table *t)
{
	if (t->staging_layout != TSQL_STAGING_UNPLANNED)
		return t->staging_layout == TSQL_STAGING_PACKED;
	size_t flagged = nflagged(t);
	if (2 + t->ncols + flagged > TSQL_TABLE_COLUMNS_MAX)
		return true;
	if (flagged == 0)
		return false;
	tsql_row_size r;
	staging_row(t, false, &r);
	if (tsql_row_min(&r) > TSQL_ROW_BYTES_MAX)
		return true;
	/* a row the target takes must fit its staging row too: SQL Server
	 * refuses a row whose bytes in the row exceed 8,060 once it pushed
	 * what it can off it (511), and a tinyint a flag is a byte each
	 * that cannot go (staging_row_max) */
	return staging_row_max(t, false) > TSQL_ROW_BYTES_MAX;
}

void tsql_staging_plan(tsql_table *t)
{
	t->staging_layout = TSQL_STAGING_UNPLANNED;
	t->staging_layout = tsql_staging_packed(t) ? TSQL_STAGING_PACKED : TSQL_STAGING_FLAGS;
}

void tsql_staging_row(const tsql_table *t, tsql_row_size *r)
{
	staging_row(t, tsql_staging_packed(t), r);
}

bool tsql_staging_fits(const tsql_table *t)
{
	if (t->ncols > TSQL_STAGING_COLUMNS_MAX)
		return false;
	tsql_row_size r;
	tsql_staging_row(t, &r);
	return tsql_row_min(&r) <= TSQL_ROW_BYTES_MAX;
}

size_t tsql_staging_ncols(const tsql_table *t)
{
	if (tsql_staging_packed(t))
		return 2 + t->ncols + 1;
	return 2 + t->ncols + nflagged(t);
}

size_t tsql_staging_col(const tsql_table *t, size_t col)
{
	if (tsql_staging_packed(t))
		return 3 + col;
	size_t n = 2;
	for (size_t i = 0; i < col; i++)
		n += t->types[i].flagged ? 2 : 1;
	return n + 1;
}

size_t tsql_staging_flag_col(const tsql_table *t, size_t col)
{
	if (tsql_staging_packed(t))
		return t->types[col].flagged ? 3 + t->ncols : 0;
	return t->types[col].flagged ? tsql_staging_col(t, col) + 1 : 0;
}

/* Staging columns are named by position — [c1] holds column 0's value,
 * [u1] its flag — never after the source column: a source column named
 * __seq or __op, or a pair like x and __u_x, would otherwise give the
 * #temp table (or the MERGE source) two columns of one name (error 2705). */
static int stage_ident(buf *b, char kind, size_t i)
{
	return buf_printf(b, "[%c%zu]", kind, i + 1);
}

/* "s.[c]" or "t.[c]" */
static int ref(buf *b, const char *alias, const char *name)
{
	if (buf_puts(b, alias) < 0 || buf_putc(b, '.') < 0)
		return -1;
	return tsql_ident(b, name);
}

/* "s.[c1]" (kind 'c', the value) or "s.[u1]" (kind 'u', the flag) of the
 * staging row aliased a ('s', or 'k' for a key-change's old key row). */
static int aref(buf *b, char a, char kind, size_t i)
{
	return buf_printf(b, "%c.[%c%zu]", a, kind, i + 1);
}

static int sref(buf *b, char kind, size_t i)
{
	return aref(b, 's', kind, i);
}

/* Column i's flag in the staging row aliased a, a number (NULL or 0: no
 * flag): its own [uN], or its digit in [__u] when packed. */
static int flag_of(buf *b, char a, size_t i, bool packed)
{
	if (!packed)
		return aref(b, a, 'u', i);
	return buf_printf(b, "CAST(SUBSTRING(%c.[__u], %zu, 1) AS tinyint)", a, i + 1);
}

/* The staged text of column i (of staging row alias a) as a value of its
 * target type. */
static int source_expr_of(buf *b, const tsql_table *t, size_t i, char a)
{
	const tsql_type *ty = &t->types[i];
	bool typed = tsql_stage_typed(t, i);
	int rc = 0;
	switch (ty->kind) {
	case TSQL_STRING:
	case TSQL_BINARY:
		if (ty->kind == TSQL_BINARY && !typed)
			break;
		if (!ty->flagged)
			return aref(b, a, 'c', i);
		/* an empty value, which bcp cannot send, is NULL and flagged */
		rc |= buf_puts(b, "CASE WHEN ");
		rc |= flag_of(b, a, i, tsql_staging_packed(t));
		rc |= buf_puts(b, ty->kind == TSQL_BINARY ? " = 2 THEN 0x ELSE " : " = 2 THEN N'' ELSE ");
		rc |= aref(b, a, 'c', i);
		rc |= buf_puts(b, " END");
		return rc ? -1 : 0;
	default:
		if (typed)
			return aref(b, a, 'c', i);
		break;
	}
	switch (ty->kind) {
	case TSQL_BINARY:
		rc |= buf_puts(b, "CONVERT(varbinary(max), ");
		rc |= aref(b, a, 'c', i);
		rc |= buf_puts(b, ", 1)");
		return rc ? -1 : 0;
	default:
		rc |= buf_puts(b, "CAST(");
		rc |= aref(b, a, 'c', i);
		rc |= buf_printf(b, " AS %s)", ty->name);
		return rc ? -1 : 0;
	}
}

static int source_expr(buf *b, const tsql_table *t, size_t i)
{
	return source_expr_of(b, t, i, 's');
}

int tsql_session_options(buf *b)
{
	return buf_puts(b, "SET XACT_ABORT ON; SET NOCOUNT ON; SET ANSI_NULLS ON; "
			   "SET QUOTED_IDENTIFIER ON; SET ANSI_WARNINGS ON; SET ARITHABORT ON; "
			   "SET CONCAT_NULL_YIELDS_NULL ON; SET ANSI_PADDING ON; "
			   "SET TEXTSIZE 2147483647; SET DATEFORMAT ymd;");
}

int tsql_catalog_collation(buf *b)
{
	return buf_puts(b, "SELECT [collation_name] FROM sys.databases WHERE [name] = DB_NAME();");
}

int tsql_catalog_schema(buf *b, const char *schema)
{
	int rc = buf_puts(b, "SELECT [SCHEMA_NAME] FROM INFORMATION_SCHEMA.SCHEMATA WHERE [SCHEMA_NAME] = ");
	rc |= tsql_nstr(b, schema, strlen(schema));
	rc |= buf_putc(b, ';');
	return rc ? -1 : 0;
}

int tsql_catalog_columns(buf *b, const char *schema, const char *table)
{
	int rc = buf_puts(b, "SELECT [COLUMN_NAME], [DATA_TYPE] FROM INFORMATION_SCHEMA.COLUMNS "
			     "WHERE [TABLE_SCHEMA] = ");
	rc |= tsql_nstr(b, schema, strlen(schema));
	rc |= buf_puts(b, " AND [TABLE_NAME] = ");
	rc |= tsql_nstr(b, table, strlen(table));
	rc |= buf_puts(b, " ORDER BY [ORDINAL_POSITION];");
	return rc ? -1 : 0;
}

/* N'[s].[t]': the bracketed name as a literal, for OBJECT_ID. */
static int qname_nstr(buf *b, const char *schema, const char *table)
{
	buf name;
	buf_init(&name, 0);
	int rc = tsql_qname(&name, schema, table);
	if (rc == 0)
		rc = tsql_nstr(b, name.data, name.len);
	buf_free(&name);
	return rc;
}

/* SET IDENTITY_INSERT [s].[t] ON|OFF: explicit values into the IDENTITY
 * column (SQL Server refuses them with 544 otherwise). One table per
 * session at a time, so every ON is followed by its OFF in the batch. */
static int identity_insert(buf *b, const tsql_table *t, bool on)
{
	int rc = buf_puts(b, "SET IDENTITY_INSERT ");
	rc |= tsql_qname(b, t->schema, t->table);
	rc |= buf_puts(b, on ? " ON;\n" : " OFF;");
	return rc;
}

/* A target table's columns with what a typed bulk copy must match:
 * length (characters, bytes; -1 for max) and decimal precision and scale. */
int tsql_catalog_column_types(buf *b, const char *schema, const char *table)
{
	int rc = buf_puts(b, "SELECT [COLUMN_NAME], [DATA_TYPE], [CHARACTER_MAXIMUM_LENGTH], [NUMERIC_PRECISION], "
			     "[NUMERIC_SCALE], COLUMNPROPERTY(OBJECT_ID(");
	rc |= qname_nstr(b, schema, table);
	rc |= buf_puts(b, "), [COLUMN_NAME], N'IsIdentity'), [DATETIME_PRECISION], [COLLATION_NAME], "
			  "[TABLE_SCHEMA], [TABLE_NAME] FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_SCHEMA] = ");
	rc |= tsql_nstr(b, schema, strlen(schema));
	rc |= buf_puts(b, " AND [TABLE_NAME] = ");
	rc |= tsql_nstr(b, table, strlen(table));
	rc |= buf_puts(b, " ORDER BY [ORDINAL_POSITION];");
	return rc ? -1 : 0;
}

int tsql_catalog_bulk_blockers(buf *b, const char *schema, const char *table)
{
	static const char *const views[][2] = {
		{"sys.check_constraints", "parent_object_id"},
		{"sys.foreign_keys", "parent_object_id"},
		{"sys.triggers", "parent_id"},
	};
	int rc = buf_puts(b, "SELECT ");
	for (size_t i = 0; i < 3; i++) {
		rc |= buf_printf(b, "%s(SELECT COUNT(*) FROM %s WHERE [%s] = OBJECT_ID(", i ? " + " : "", views[i][0],
				 views[i][1]);
		rc |= qname_nstr(b, schema, table);
		rc |= buf_puts(b, "))");
	}
	rc |= buf_putc(b, ';');
	return rc ? -1 : 0;
}

int tsql_catalog_primary_key(buf *b, const char *schema, const char *table)
{
	int rc = buf_puts(b, "SELECT k.[COLUMN_NAME] FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS AS c "
			     "JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE AS k ON k.[CONSTRAINT_SCHEMA] = c.[CONSTRAINT_SCHEMA] "
			     "AND k.[CONSTRAINT_NAME] = c.[CONSTRAINT_NAME] AND k.[TABLE_SCHEMA] = c.[TABLE_SCHEMA] "
			     "AND k.[TABLE_NAME] = c.[TABLE_NAME] WHERE c.[CONSTRAINT_TYPE] = N'PRIMARY KEY' AND c.[TABLE_SCHEMA] = ");
	rc |= tsql_nstr(b, schema, strlen(schema));
	rc |= buf_puts(b, " AND c.[TABLE_NAME] = ");
	rc |= tsql_nstr(b, table, strlen(table));
	rc |= buf_puts(b, " ORDER BY k.[ORDINAL_POSITION];");
	return rc ? -1 : 0;
}

int tsql_create_schema(buf *b, const char *schema)
{
	int rc = buf_puts(b, "CREATE SCHEMA ");
	rc |= tsql_ident(b, schema);
	rc |= buf_putc(b, ';');
	return rc ? -1 : 0;
}

int tsql_create_table(buf *b, const tsql_table *t)
{
	int rc = buf_puts(b, "CREATE TABLE ");
	rc |= tsql_qname(b, t->schema, t->table);
	rc |= buf_puts(b, " (");
	for (size_t i = 0; i < t->ncols; i++) {
		if (i)
			rc |= buf_puts(b, ", ");
		rc |= tsql_ident(b, t->names[i]);
		char spec[160];
		tsql_type_spec(&t->types[i], spec, sizeof spec);
		rc |= buf_printf(b, " %s %s", spec, tsql_is_key(t, i) ? "NOT NULL" : "NULL");
	}
	if (t->nkeys) {
		size_t n = strlen(t->table);
		char *pk = malloc(n + 4);
		if (!pk)
			return -1;
		memcpy(pk, "PK_", 3);
		memcpy(pk + 3, t->table, n + 1);
		rc |= buf_puts(b, ", CONSTRAINT ");
		rc |= tsql_ident(b, pk);
		free(pk);
		rc |= buf_puts(b, t->nonclustered ? " PRIMARY KEY NONCLUSTERED (" : " PRIMARY KEY (");
		for (size_t k = 0; k < t->nkeys; k++) {
			if (k)
				rc |= buf_puts(b, ", ");
			rc |= tsql_ident(b, t->names[t->keys[k]]);
		}
		rc |= buf_putc(b, ')');
	}
	rc |= buf_puts(b, ");");
	return rc ? -1 : 0;
}

int tsql_alter_add(buf *b, const tsql_table *t, size_t col)
{
	int rc = buf_puts(b, "ALTER TABLE ");
	rc |= tsql_qname(b, t->schema, t->table);
	rc |= buf_puts(b, " ADD ");
	rc |= tsql_ident(b, t->names[col]);
	char spec[160];
	tsql_type_spec(&t->types[col], spec, sizeof spec);
	rc |= buf_printf(b, " %s NULL;", spec);
	return rc ? -1 : 0;
}

int tsql_staging_create(buf *b, const tsql_table *t)
{
	bool packed = tsql_staging_packed(t);
	int rc = buf_printf(b, "CREATE TABLE %s ([__seq] bigint NOT NULL, [__op] nchar(1) NOT NULL", t->staging);
	for (size_t i = 0; i < t->ncols; i++) {
		rc |= buf_puts(b, ", ");
		rc |= stage_ident(b, 'c', i);
		const tsql_type *tt = target_of(t, i);
		rc |= buf_printf(b, " %s", tsql_stage_typed(t, i) ? tt->name : "nvarchar(max)");
		/* Compared with, and CASEd with, the target column: in its
		 * collation, or the columns' default, the database's (a #temp
		 * table's would be tempdb's: 468 when they differ). */
		if (tt->kind == TSQL_STRING && t->types[i].kind == TSQL_STRING)
			rc |= buf_printf(b, " COLLATE %s", tt->collation[0] ? tt->collation : "DATABASE_DEFAULT");
		rc |= buf_puts(b, " NULL");
		if (t->types[i].flagged && !packed) {
			rc |= buf_puts(b, ", ");
			rc |= stage_ident(b, 'u', i);
			rc |= buf_puts(b, " tinyint NULL");
		}
	}
	if (packed)
		rc |= buf_printf(b, ", [__u] nvarchar(%zu) NULL", t->ncols);
	int index = staging_index(t);
	if (index) {
		rc |= buf_printf(b, ", INDEX [k] %sCLUSTERED (", index == 1 ? "" : "NON");
		for (size_t k = 0; k < t->nkeys; k++) {
			if (k)
				rc |= buf_puts(b, ", ");
			rc |= stage_ident(b, 'c', t->keys[k]);
		}
		rc |= buf_putc(b, ')');
	}
	rc |= buf_puts(b, ");");
	return rc ? -1 : 0;
}

int tsql_staging_truncate(buf *b, const tsql_table *t)
{
	return buf_printf(b, "TRUNCATE TABLE %s;", t->staging);
}

int tsql_staging_drop(buf *b, const tsql_table *t)
{
	return buf_printf(b, "DROP TABLE %s;", t->staging);
}

int tsql_staged_insert_head(buf *b, const tsql_table *t)
{
	bool packed = tsql_staging_packed(t);
	int rc = buf_printf(b, "INSERT INTO %s ([__seq], [__op]", t->staging);
	for (size_t i = 0; i < t->ncols; i++) {
		rc |= buf_puts(b, ", ");
		rc |= stage_ident(b, 'c', i);
		if (t->types[i].flagged && !packed) {
			rc |= buf_puts(b, ", ");
			rc |= stage_ident(b, 'u', i);
		}
	}
	if (packed)
		rc |= buf_puts(b, ", [__u]");
	rc |= buf_puts(b, ") VALUES ");
	return rc ? -1 : 0;
}

/* "0x" and hex digits: a binary literal. */
static bool is_hex(const char *s, size_t n)
{
	if (n < 2 || s[0] != '0' || s[1] != 'x')
		return false;
	for (size_t i = 2; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

int tsql_staged_insert_row(buf *b, const tsql_table *t, bool first, int64_t seq, char op, const tsql_cell *cells)
{
	bool packed = tsql_staging_packed(t);
	int rc = buf_printf(b, "%s(%lld, N'%c'", first ? "" : ", ", (long long)seq, op);
	for (size_t i = 0; i < t->ncols; i++) {
		const tsql_cell *c = &cells[i];
		rc |= buf_puts(b, ", ");
		if (c->null)
			rc |= buf_puts(b, "NULL");
		else if (t->types[i].kind == TSQL_BINARY && tsql_stage_typed(t, i) && is_hex(c->data, c->len))
			rc |= buf_append(b, c->data, c->len); /* 0x…: a string does not convert to varbinary */
		else if (t->types[i].kind == TSQL_BINARY && tsql_stage_typed(t, i)) {
			rc |= buf_puts(b, "CONVERT(varbinary(max), ");
			rc |= tsql_nstr(b, c->data, c->len);
			rc |= buf_puts(b, ", 1)");
		} else /* converted to a typed column's type as CAST converts it */
			rc |= tsql_nstr(b, c->data, c->len);
		if (t->types[i].flagged && !packed) {
			if (c->flag)
				rc |= buf_printf(b, ", %d", c->flag);
			else
				rc |= buf_puts(b, ", NULL");
		}
	}
	if (packed) {
		rc |= buf_puts(b, ", N'");
		for (size_t i = 0; i < t->ncols; i++)
			rc |= buf_putc(b, (char)('0' + (t->types[i].flagged ? cells[i].flag : 0)));
		rc |= buf_putc(b, '\'');
	}
	rc |= buf_putc(b, ')');
	return rc ? -1 : 0;
}

int tsql_staged_insert(buf *b, const tsql_table *t, int64_t seq, char op, const tsql_cell *cells)
{
	int rc = tsql_staged_insert_head(b, t);
	rc |= tsql_staged_insert_row(b, t, true, seq, op, cells);
	rc |= buf_putc(b, ';');
	return rc ? -1 : 0;
}

/* "l = r" for key column i, and, for a text or binary key, what makes
 * the match exact: SQL Server ignores trailing spaces in = whatever the
 * collation, and trailing zero bytes of varbinary (so the lengths must
 * match too), and case unless the collation is binary (so a binary
 * comparison besides, after the one an index seeks). A source key that
 * SQL Server would call equal to another then matches no row: inserted,
 * it meets the other in the primary key (2627) and is refused by name,
 * never merged into it. An nchar or char key holds only values of its
 * very length (tsql_value_fits), so = ignores no blanks of theirs: it
 * needs the binary comparison alone. */
static int key_eq(buf *b, const tsql_table *t, size_t i, const char *l, const char *r)
{
	int rc = buf_printf(b, "%s = %s", l, r);
	const tsql_type *tt = t->targets ? &t->targets[i] : &t->types[i];
	if (t->types[i].kind == TSQL_BINARY && tt->kind == TSQL_BINARY && !tt->unknown)
		return rc | buf_printf(b, " AND DATALENGTH(%s) = DATALENGTH(%s)", l, r);
	if (t->types[i].kind != TSQL_STRING || tt->kind != TSQL_STRING || tt->unknown)
		return rc;
	if (starts(tt->name, "nchar") || starts(tt->name, "char")) {
		if (!tsql_collation_is_binary(tt->collation))
			rc |= buf_printf(b, " AND %s = %s COLLATE %s", l, r, TSQL_KEY_COLLATION);
		return rc;
	}
	if (tt->ansi)
		rc |= buf_printf(b, " AND DATALENGTH(CAST(%s AS nvarchar(max))) = DATALENGTH(%s)", l, r);
	else
		rc |= buf_printf(b, " AND DATALENGTH(%s) = DATALENGTH(%s)", l, r);
	if (!tsql_collation_is_binary(tt->collation))
		rc |= buf_printf(b, " AND %s = %s COLLATE %s", l, r, TSQL_KEY_COLLATION);
	return rc;
}

/* key_eq of key k, its left side alias.[name] (or [s].[t].[name] when
 * alias is NULL), its right side expr (staging row alias a, or the
 * derived table's column when a is 0). */
static int key_match(buf *b, const tsql_table *t, size_t k, const char *alias, char a)
{
	buf l, r;
	buf_init(&l, 0);
	buf_init(&r, 0);
	size_t i = t->keys[k];
	int rc = alias ? ref(&l, alias, t->names[i]) : 0;
	if (!alias) {
		rc |= tsql_qname(&l, t->schema, t->table);
		rc |= buf_putc(&l, '.');
		rc |= tsql_ident(&l, t->names[i]);
	}
	rc |= a ? source_expr_of(&r, t, i, a) : sref(&r, 'c', i);
	rc |= buf_terminate(&l) | buf_terminate(&r);
	if (rc == 0)
		rc = key_eq(b, t, i, l.data, r.data);
	buf_free(&l);
	buf_free(&r);
	return rc;
}

/* Every key's key_match, joined by AND (after one when and_first). */
static int keys_match(buf *b, const tsql_table *t, const char *alias, char a, bool and_first)
{
	int rc = 0;
	for (size_t k = 0; k < t->nkeys; k++) {
		if (k || and_first)
			rc |= buf_puts(b, " AND ");
		rc |= key_match(b, t, k, alias, a);
	}
	return rc;
}

/* "s.[u3] = 1 AND o.[__seq] IS NOT NULL": column i is an unchanged TOAST
 * value and the old key's row was found at the target (and staged, op
 * 'o', by tsql_stage_old_rows). */
static int from_old_row(buf *b, const tsql_table *t, size_t i)
{
	int rc = flag_of(b, 's', i, tsql_staging_packed(t));
	rc |= buf_puts(b, " = 1 AND o.[__seq] IS NOT NULL");
	return rc ? -1 : 0;
}

/* The staged text of a target column's value: the form its staging
 * column holds and source_expr_of reads back exactly (binary in style 1,
 * 0x…; float with 17 digits, style 3; money with 4 decimals, style 2;
 * datetime with its milliseconds, style 121; the others' default style is
 * exact: decimals, date, time, datetime2, datetimeoffset, text). */
static int staged_text_of(buf *b, const tsql_type *target, const char *alias, const char *name)
{
	int style = 0;
	switch (target ? target->kind : TSQL_STRING) {
	case TSQL_BINARY: style = 1; break;
	case TSQL_FLOAT: style = 3; break;
	case TSQL_MONEY: style = 2; break;
	case TSQL_DATETIME2: style = target->legacy ? 121 : 0; break;
	default: break;
	}
	int rc = buf_puts(b, style ? "CONVERT(nvarchar(max), " : "CAST(");
	rc |= ref(b, alias, name);
	rc |= style ? buf_printf(b, ", %d)", style) : buf_puts(b, " AS nvarchar(max))");
	return rc ? -1 : 0;
}

int tsql_stage_old_rows(buf *b, const tsql_table *t)
{
	int rc = buf_printf(b, "INSERT INTO %s ([__seq], [__op]", t->staging);
	for (size_t i = 0; i < t->ncols; i++)
		if (t->types[i].flagged && !tsql_is_key(t, i)) {
			rc |= buf_puts(b, ", ");
			rc |= stage_ident(b, 'c', i);
		}
	rc |= buf_puts(b, ") SELECT k.[__seq], N'o'");
	for (size_t i = 0; i < t->ncols; i++)
		if (t->types[i].flagged && !tsql_is_key(t, i)) {
			rc |= buf_puts(b, ", ");
			if (tsql_stage_typed(t, i))
				rc |= ref(b, "o", t->names[i]);
			else
				rc |= staged_text_of(b, target_of(t, i), "o", t->names[i]);
		}
	rc |= buf_printf(b, " FROM %s AS k JOIN ", t->staging);
	rc |= tsql_qname(b, t->schema, t->table);
	rc |= buf_puts(b, " AS o ON ");
	rc |= keys_match(b, t, "o", 'k', false);
	rc |= buf_puts(b, " WHERE k.[__op] = N'k';");
	return rc ? -1 : 0;
}

int tsql_merge(buf *b, const tsql_table *t, bool old_rows)
{
	bool packed = tsql_staging_packed(t);
	int rc = t->identity ? identity_insert(b, t, true) : 0;
	rc |= buf_puts(b, "MERGE INTO ");
	rc |= tsql_qname(b, t->schema, t->table);
	rc |= buf_puts(b, " WITH (HOLDLOCK) AS t\nUSING (SELECT ");
	bool first = true;
	for (size_t i = 0; i < t->ncols; i++) {
		if (!first)
			rc |= buf_puts(b, ", ");
		first = false;
		bool flag = t->types[i].flagged && !tsql_is_key(t, i);
		if (flag && old_rows) {
			/* An unchanged TOAST value of a row whose key changed
			 * comes from the old key's row at the target, staged
			 * before the DELETE of the old key; the flag is cleared
			 * so the MERGE takes it. */
			rc |= buf_puts(b, "CASE WHEN ");
			rc |= from_old_row(b, t, i);
			rc |= buf_puts(b, " THEN ");
			rc |= source_expr_of(b, t, i, 'o');
			rc |= buf_puts(b, " ELSE ");
			rc |= source_expr(b, t, i);
			rc |= buf_puts(b, " END AS ");
			rc |= stage_ident(b, 'c', i);
			if (packed)
				continue; /* [__u] and [__o] below: the UPDATE's test */
			rc |= buf_puts(b, ", CASE WHEN ");
			rc |= from_old_row(b, t, i);
			rc |= buf_puts(b, " THEN NULL ELSE ");
			rc |= flag_of(b, 's', i, packed);
			rc |= buf_puts(b, " END AS ");
			rc |= stage_ident(b, 'u', i);
			continue;
		}
		rc |= source_expr(b, t, i);
		rc |= buf_puts(b, " AS ");
		rc |= stage_ident(b, 'c', i);
		if (flag && !packed) {
			rc |= buf_puts(b, ", ");
			rc |= flag_of(b, 's', i, packed);
			rc |= buf_puts(b, " AS ");
			rc |= stage_ident(b, 'u', i);
		}
	}
	/* Packed, the flags go through as they are: a derived table of a
	 * [uN] beside each [cN] would hold up to twice SQL Server's columns
	 * of a table (PostgreSQL, behind the test peer, takes 1,664). */
	if (packed)
		rc |= buf_puts(b, old_rows ? ", s.[__u], o.[__seq] AS [__o]" : ", s.[__u]");
	rc |= buf_printf(b, " FROM %s AS s", t->staging);
	if (old_rows) {
		/* The old key's row of a key change, staged as op 'o' with
		 * the upsert's [__seq] (tsql_stage_old_rows). */
		rc |= buf_printf(b, " LEFT JOIN %s AS o ON o.[__op] = N'o' AND o.[__seq] = s.[__seq]", t->staging);
		rc |= buf_puts(b, " WHERE s.[__op] <> N'd' AND s.[__op] <> N'k' AND s.[__op] <> N'o') AS s\nON ");
	} else
		rc |= buf_puts(b, " WHERE s.[__op] <> N'd') AS s\nON ");
	rc |= keys_match(b, t, "t", 0, false);
	if (t->ncols > t->nkeys + (t->identity_col != 0)) {
		rc |= buf_puts(b, "\nWHEN MATCHED THEN UPDATE SET ");
		first = true;
		for (size_t i = 0; i < t->ncols; i++) {
			if (tsql_is_key(t, i) || i + 1 == t->identity_col)
				continue;
			if (!first)
				rc |= buf_puts(b, ", ");
			first = false;
			rc |= tsql_ident(b, t->names[i]);
			rc |= buf_puts(b, " = ");
			if (t->types[i].flagged) {
				/* unchanged, unless taken from the old key's row */
				rc |= buf_puts(b, "CASE WHEN ");
				rc |= flag_of(b, 's', i, packed);
				rc |= buf_puts(b, packed && old_rows ? " = 1 AND s.[__o] IS NULL THEN " : " = 1 THEN ");
				rc |= ref(b, "t", t->names[i]);
				rc |= buf_puts(b, " ELSE ");
				rc |= sref(b, 'c', i);
				rc |= buf_puts(b, " END");
			} else
				rc |= sref(b, 'c', i);
		}
	}
	rc |= buf_puts(b, "\nWHEN NOT MATCHED THEN INSERT (");
	for (size_t i = 0; i < t->ncols; i++) {
		if (i)
			rc |= buf_puts(b, ", ");
		rc |= tsql_ident(b, t->names[i]);
	}
	rc |= buf_puts(b, ") VALUES (");
	for (size_t i = 0; i < t->ncols; i++) {
		if (i)
			rc |= buf_puts(b, ", ");
		rc |= sref(b, 'c', i);
	}
	rc |= buf_puts(b, ");");
	if (t->identity)
		rc |= buf_putc(b, '\n') | identity_insert(b, t, false);
	return rc ? -1 : 0;
}

int tsql_delete(buf *b, const tsql_table *t)
{
	int rc = buf_puts(b, "DELETE FROM ");
	rc |= tsql_qname(b, t->schema, t->table);
	rc |= buf_printf(b, " WHERE EXISTS (SELECT 1 FROM %s AS s WHERE s.[__op] = N'd'", t->staging);
	rc |= keys_match(b, t, NULL, 's', true);
	rc |= buf_puts(b, ");");
	return rc ? -1 : 0;
}

int tsql_identity_guard(buf *b, const tsql_table *t)
{
	size_t id = t->identity_col - 1;
	int rc = buf_printf(b, "SELECT 1 FROM %s AS s JOIN ", t->staging);
	rc |= tsql_qname(b, t->schema, t->table);
	rc |= buf_puts(b, " AS t ON ");
	rc |= keys_match(b, t, "t", 's', false);
	rc |= buf_puts(b, " WHERE s.[__op] <> N'd' AND s.[__op] <> N'k' AND s.[__op] <> N'o' AND (");
	rc |= sref(b, 'c', id);
	rc |= buf_puts(b, " IS NULL OR ");
	rc |= ref(b, "t", t->names[id]);
	rc |= buf_puts(b, " <> ");
	rc |= source_expr(b, t, id);
	rc |= buf_printf(b, ");\nIF @@ROWCOUNT <> 0 THROW %d, N'dbrepl: a source update changes the value of an "
			    "IDENTITY column, which SQL Server cannot update (8102)', 1;",
			 TSQL_ERR_IDENTITY_CHANGED);
	return rc ? -1 : 0;
}

int tsql_insert_select(buf *b, const tsql_table *t)
{
	int rc = t->identity ? identity_insert(b, t, true) : 0;
	rc |= buf_puts(b, "INSERT INTO ");
	rc |= tsql_qname(b, t->schema, t->table);
	rc |= buf_puts(b, " WITH (TABLOCK) (");
	for (size_t i = 0; i < t->ncols; i++) {
		if (i)
			rc |= buf_puts(b, ", ");
		rc |= tsql_ident(b, t->names[i]);
	}
	rc |= buf_puts(b, ")\nSELECT ");
	for (size_t i = 0; i < t->ncols; i++) {
		if (i)
			rc |= buf_puts(b, ", ");
		rc |= source_expr(b, t, i);
	}
	rc |= buf_printf(b, " FROM %s AS s;", t->staging);
	if (t->identity)
		rc |= buf_putc(b, '\n') | identity_insert(b, t, false);
	return rc ? -1 : 0;
}

/* Inside the transaction that loads the table: TABLOCKX, HOLDLOCK keeps
 * every other writer out from the test to the commit, so the table is
 * still empty when the rows go in. */
int tsql_emptiness(buf *b, const tsql_table *t)
{
	int rc = buf_puts(b, "SELECT CASE WHEN EXISTS (SELECT 1 FROM ");
	rc |= tsql_qname(b, t->schema, t->table);
	rc |= buf_puts(b, " WITH (TABLOCKX, HOLDLOCK)) THEN 1 ELSE 0 END;");
	return rc ? -1 : 0;
}

int tsql_truncate(buf *b, const tsql_table *t, bool as_delete)
{
	int rc = buf_puts(b, as_delete ? "DELETE FROM " : "TRUNCATE TABLE ");
	rc |= tsql_qname(b, t->schema, t->table);
	rc |= buf_putc(b, ';');
	return rc ? -1 : 0;
}

int tsql_begin(buf *b) { return buf_puts(b, "BEGIN TRANSACTION;"); }
int tsql_commit(buf *b) { return buf_puts(b, "COMMIT TRANSACTION;"); }
int tsql_rollback(buf *b) { return buf_puts(b, "ROLLBACK TRANSACTION;"); }

int tsql_checkpoint_create(buf *b)
{
	return buf_puts(b, "CREATE TABLE [dbo].[dbrepl_checkpoint] ([stream] nvarchar(450) COLLATE Latin1_General_BIN2 NOT NULL, "
			   "[offset] nvarchar(100) NOT NULL, [updated_at] datetime2(6) NOT NULL, "
			   "CONSTRAINT [PK_dbrepl_checkpoint] PRIMARY KEY ([stream]));");
}

int tsql_checkpoint_select(buf *b)
{
	return buf_puts(b, "SELECT [stream], [offset] FROM [dbo].[dbrepl_checkpoint];");
}

/* One MERGE for every stream of the batch: the source is a table value
 * constructor, so the statement count does not grow with the number of
 * partitions a batch touches. Call begin, then row for each stream (first
 * true for the first), then end. */
int tsql_checkpoint_merge_begin(buf *b)
{
	return buf_puts(b, "MERGE INTO [dbo].[dbrepl_checkpoint] WITH (HOLDLOCK) AS t\nUSING (VALUES ");
}

int tsql_checkpoint_merge_row(buf *b, bool first, const char *stream, pos_offset off)
{
	char text[POS_OFFSET_TEXT_MAX];
	pos_offset_format(off, text, sizeof text);
	int rc = buf_puts(b, first ? "(" : ", (");
	rc |= tsql_nstr(b, stream, strlen(stream));
	rc |= buf_puts(b, ", ");
	rc |= tsql_nstr(b, text, strlen(text));
	rc |= buf_printf(b, ", %" PRIu64 ", %" PRIu64 ")", off.major, off.minor);
	return rc ? -1 : 0;
}

int tsql_checkpoint_merge_row_params(buf *b, bool first, size_t k)
{
	return buf_printf(b, "%s(@s%zu, @o%zu, @major%zu, @minor%zu)", first ? "" : ", ", k, k, k, k);
}

/* The stored offset t.[offset] as the pair pos.h orders by: "N" (Kafka) is
 * (N, 0); "X/Y:N" (PostgreSQL) is (the LSN X/Y as a number, N). The LSN's
 * two hex halves are padded to 8 digits each and read as one 8-byte
 * big-endian binary (CONVERT style 2: hex digits without 0x), then as a
 * bigint: LSNs stay below 2^63. */
static const char stored_major[] =
	"CASE WHEN CHARINDEX(N'/', t.[offset]) = 0 THEN CAST(t.[offset] AS decimal(20,0)) "
	"ELSE CONVERT(bigint, CONVERT(binary(8), CAST(CONCAT("
	"RIGHT(CONCAT(N'0000000', LEFT(t.[offset], CHARINDEX(N'/', t.[offset]) - 1)), 8), "
	"RIGHT(CONCAT(N'0000000', SUBSTRING(t.[offset], CHARINDEX(N'/', t.[offset]) + 1, "
	"CHARINDEX(N':', t.[offset]) - CHARINDEX(N'/', t.[offset]) - 1)), 8)) AS varchar(16)), 2)) END";
static const char stored_minor[] =
	"CASE WHEN CHARINDEX(N':', t.[offset]) = 0 THEN 0 "
	"ELSE CAST(SUBSTRING(t.[offset], CHARINDEX(N':', t.[offset]) + 1, 20) AS decimal(20,0)) END";

int tsql_checkpoint_merge_end(buf *b, size_t nrows)
{
	/* Only forward: a stream's stored offset is replaced only by a
	 * greater one, compared as the pair (major, minor) — SIGN(major
	 * difference) * 2 + SIGN(minor difference) is positive exactly when
	 * the new pair is greater. When a row is neither inserted nor
	 * advanced, another mssql-apply has committed that stream this far
	 * already: THROW (which with XACT_ABORT ON rolls the transaction
	 * back) before the batch's data statements, which follow. */
	int rc = buf_puts(b, ") AS s ([stream], [offset], [major], [minor])\nON t.[stream] = s.[stream]\n"
			     "WHEN MATCHED AND SIGN(s.[major] - ");
	rc |= buf_puts(b, stored_major);
	rc |= buf_puts(b, ") * 2 + SIGN(s.[minor] - ");
	rc |= buf_puts(b, stored_minor);
	rc |= buf_puts(b, ") > 0 THEN UPDATE SET [offset] = s.[offset], [updated_at] = SYSUTCDATETIME()\n"
			  "WHEN NOT MATCHED THEN INSERT ([stream], [offset], [updated_at]) "
			  "VALUES (s.[stream], s.[offset], SYSUTCDATETIME());\n");
	rc |= buf_printf(b, "IF @@ROWCOUNT <> %zu THROW %d, N'dbrepl: a stream of this batch is already "
			    "applied this far or further (by another mssql-apply)', 1;",
			 nrows, TSQL_ERR_CHECKPOINT_AHEAD);
	return rc ? -1 : 0;
}

int tsql_checkpoint_merge(buf *b, const char *stream, pos_offset off)
{
	int rc = tsql_checkpoint_merge_begin(b);
	rc |= tsql_checkpoint_merge_row(b, true, stream, off);
	rc |= tsql_checkpoint_merge_end(b, 1);
	return rc ? -1 : 0;
}

int tsql_catalog_foreign_keys(buf *b, const tsql_table *const *tables, size_t n)
{
	/* The candidates twice, as (index, object id): once for the
	 * referenced side, once for the referencing side. */
	int rc = buf_puts(b, "SELECT p.[n], c.[n] FROM sys.foreign_keys AS fk");
	for (int side = 0; side < 2; side++) {
		rc |= buf_puts(b, " JOIN (VALUES ");
		for (size_t i = 0; i < n; i++) {
			buf name;
			buf_init(&name, 0);
			int r2 = tsql_qname(&name, tables[i]->schema, tables[i]->table);
			rc |= r2;
			rc |= buf_printf(b, "%s(%zu, OBJECT_ID(", i ? ", " : "", i);
			if (r2 == 0)
				rc |= tsql_nstr(b, name.data, name.len);
			rc |= buf_puts(b, "))");
			buf_free(&name);
		}
		rc |= buf_puts(b, side == 0 ? ") AS p ([n], [id]) ON p.[id] = fk.[referenced_object_id]"
					    : ") AS c ([n], [id]) ON c.[id] = fk.[parent_object_id]");
	}
	rc |= buf_puts(b, " WHERE fk.[parent_object_id] <> fk.[referenced_object_id];");
	return rc ? -1 : 0;
}

bool tsql_error_is_truncate_refused(int n)
{
	/* a foreign key references the table; CDC or replication; a
	 * system-versioned temporal table; a table in an indexed view; a
	 * login without the ALTER permission TRUNCATE needs, which DELETE
	 * does not (1088 "Cannot find the object … or you do not have
	 * permissions"; a table that is not there fails the DELETE too) */
	return n == 4712 || n == 4711 || n == 13545 || n == 3729 || n == 1088;
}

bool tsql_error_is_permission(int n)
{
	/* 229 "The %ls permission was denied on the object …" (SELECT,
	 * INSERT, UPDATE, DELETE; the bulk load's INSERT); 230 the same of
	 * a column; 262 "CREATE TABLE permission denied in database …";
	 * 1088 (SET IDENTITY_INSERT; TRUNCATE TABLE's is taken first by
	 * tsql_error_is_truncate_refused: DELETE instead) and 4902 (ALTER
	 * TABLE) "Cannot find the object … because it does not exist or you
	 * do not have permissions" */
	return n == 229 || n == 230 || n == 262 || n == 1088 || n == 4902;
}

bool tsql_error_is_transient(int n)
{
	/* deadlock victim; lock request timeout; snapshot update conflict;
	 * "could not proceed: out of resources / server busy" */
	return n == 1205 || n == 1222 || n == 3960 || n == 8645 || n == 40501 || n == 40613;
}

bool tsql_error_is_data(int n)
{
	switch (n) {
	case 2628: case 8152:            /* truncation */
	case 245: case 8114: case 241:   /* conversion */
	case 235: case 242:              /* a string not money; a date out of range */
	case 244: case 248: case 294:    /* a string beyond smallint/tinyint, int, smallmoney */
	case 8115: case 220: case 232:   /* arithmetic overflow */
	case 547: case 2627: case 2601:  /* constraints */
	case 1946:                       /* an index entry longer than the index allows */
	case 511:                        /* a row over 8,060 bytes in the row */
	case 8672:                       /* MERGE: two source rows for one target row */
	case 8169:                       /* not a uniqueidentifier */
	case 515:                        /* NULL into NOT NULL */
	case 9455: case 13609:           /* bad XML / JSON */
	case TSQL_ERR_IDENTITY_CHANGED:  /* ours: a change SQL Server cannot make */
		return true;
	default:
		return false;
	}
}
