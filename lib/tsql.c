/* tsql.c — see tsql.h. */
#include "tsql.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	snprintf(o->name, sizeof o->name, "%s", name);
	o->kind = k;
	o->flagged = flagged;
	o->prec = 0;
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
		if (n == 0 && pg[7] == '\0')
			/* Unconstrained numeric: SQL Server has no such type;
			 * decimal(38,10) keeps 28 integer digits and rounds
			 * beyond 10 decimals (documented). */
			set(o, "decimal(38,10)", TSQL_DECIMAL, true);
		else if (n >= 1 && a >= 1 && a <= 38 && b >= 0 && b <= a) {
			snprintf(o->name, sizeof o->name, "decimal(%ld,%ld)", a, b);
			o->kind = TSQL_DECIMAL;
			o->flagged = true;
		} else /* precision beyond 38, or negative scale: exact as text */
			set(o, "nvarchar(max)", TSQL_STRING, true);
	} else if (starts(pg, "character varying")) {
		n = typmod(pg + 17, &a, &b);
		if (n == 1 && a >= 1 && a <= 4000)
			snprintf(o->name, sizeof o->name, "nvarchar(%ld)", a);
		else
			snprintf(o->name, sizeof o->name, "nvarchar(max)");
		o->kind = TSQL_STRING;
		o->flagged = true;
	} else if (starts(pg, "character") || !strcmp(pg, "bpchar")) {
		n = typmod(pg + 9, &a, &b);
		if (!strcmp(pg, "bpchar"))
			n = 0;
		if (n == 1 && a >= 1 && a <= 4000)
			snprintf(o->name, sizeof o->name, "nchar(%ld)", a);
		else if (n == 0 && !strcmp(pg, "character"))
			snprintf(o->name, sizeof o->name, "nchar(1)");
		else
			snprintf(o->name, sizeof o->name, "nvarchar(max)");
		o->kind = TSQL_STRING;
		o->flagged = true;
	} else if (starts(pg, "timestamp")) {
		n = typmod(pg + 9, &a, &b);
		long p = (n == 1 && a >= 0 && a <= 6) ? a : 6;
		bool tz = strstr(pg, "with time zone") && !strstr(pg, "without");
		snprintf(o->name, sizeof o->name, "%s(%ld)", tz ? "datetimeoffset" : "datetime2", p);
		o->kind = tz ? TSQL_DTO : TSQL_DATETIME2;
		o->flagged = false;
		o->prec = (int)p;
	} else if (starts(pg, "time") && !strstr(pg, "with time zone")) {
		n = typmod(pg + 4, &a, &b);
		long p = (n == 1 && a >= 0 && a <= 6) ? a : 6;
		snprintf(o->name, sizeof o->name, "time(%ld)", p);
		o->kind = TSQL_TIME;
		o->flagged = false;
		o->prec = (int)p;
	} else /* text, json, jsonb, interval, inet, timetz, enums, … */
		set(o, "nvarchar(max)", TSQL_STRING, true);
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
		return 0;
	case TSQL_MONEY:
		/* lc_monetary C prints "$1,234.56" / "-$1,234.56". */
		for (size_t i = 0; i < len; i++)
			if (in[i] != '$' && in[i] != ',' && buf_putc(scratch, in[i]) < 0)
				return -1;
		*out = scratch->data ? scratch->data : "";
		*outlen = scratch->len;
		return 0;
	case TSQL_DATE:
	case TSQL_DATETIME2:
	case TSQL_DTO: {
		bool tz = kind == TSQL_DTO;
		if (eq(in, len, "infinity") || eq(in, len, "-infinity")) {
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
		return 0;
	}
	case TSQL_TIME:
		if (len >= 2 && in[0] == '2' && in[1] == '4') {
			snprintf(err, errlen, "time 24:00:00 has no SQL Server equivalent");
			return -1;
		}
		return 0;
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

/* ---- tables ---- */

bool tsql_is_key(const tsql_table *t, size_t col)
{
	for (size_t i = 0; i < t->nkeys; i++)
		if (t->keys[i] == col)
			return true;
	return false;
}

size_t tsql_staging_ncols(const tsql_table *t)
{
	size_t n = 2;
	for (size_t i = 0; i < t->ncols; i++)
		n += t->types[i].flagged ? 2 : 1;
	return n;
}

size_t tsql_staging_col(const tsql_table *t, size_t col)
{
	size_t n = 2;
	for (size_t i = 0; i < col; i++)
		n += t->types[i].flagged ? 2 : 1;
	return n + 1;
}

size_t tsql_staging_flag_col(const tsql_table *t, size_t col)
{
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

/* The staged text of column i (of staging row alias a) as a value of its
 * target type. */
static int source_expr_of(buf *b, const tsql_table *t, size_t i, char a)
{
	const tsql_type *ty = &t->types[i];
	int rc = 0;
	switch (ty->kind) {
	case TSQL_STRING:
		if (!ty->flagged)
			return aref(b, a, 'c', i);
		rc |= buf_puts(b, "CASE WHEN ");
		rc |= aref(b, a, 'u', i);
		rc |= buf_puts(b, " = 2 THEN N'' ELSE ");
		rc |= aref(b, a, 'c', i);
		rc |= buf_puts(b, " END");
		return rc ? -1 : 0;
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
			   "SET TEXTSIZE 2147483647;");
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
	rc |= buf_puts(b, "), [COLUMN_NAME], N'IsIdentity') FROM INFORMATION_SCHEMA.COLUMNS WHERE [TABLE_SCHEMA] = ");
	rc |= tsql_nstr(b, schema, strlen(schema));
	rc |= buf_puts(b, " AND [TABLE_NAME] = ");
	rc |= tsql_nstr(b, table, strlen(table));
	rc |= buf_puts(b, " ORDER BY [ORDINAL_POSITION];");
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
		rc |= buf_printf(b, " %s %s", t->types[i].name, tsql_is_key(t, i) ? "NOT NULL" : "NULL");
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
		rc |= buf_puts(b, " PRIMARY KEY (");
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
	rc |= buf_printf(b, " %s NULL;", t->types[col].name);
	return rc ? -1 : 0;
}

int tsql_staging_create(buf *b, const tsql_table *t)
{
	int rc = buf_printf(b, "CREATE TABLE %s ([__seq] bigint NOT NULL, [__op] nchar(1) NOT NULL", t->staging);
	for (size_t i = 0; i < t->ncols; i++) {
		rc |= buf_puts(b, ", ");
		rc |= stage_ident(b, 'c', i);
		rc |= buf_puts(b, " nvarchar(max) NULL");
		if (t->types[i].flagged) {
			rc |= buf_puts(b, ", ");
			rc |= stage_ident(b, 'u', i);
			rc |= buf_puts(b, " tinyint NULL");
		}
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
	int rc = buf_printf(b, "INSERT INTO %s ([__seq], [__op]", t->staging);
	for (size_t i = 0; i < t->ncols; i++) {
		rc |= buf_puts(b, ", ");
		rc |= stage_ident(b, 'c', i);
		if (t->types[i].flagged) {
			rc |= buf_puts(b, ", ");
			rc |= stage_ident(b, 'u', i);
		}
	}
	rc |= buf_puts(b, ") VALUES ");
	return rc ? -1 : 0;
}

int tsql_staged_insert_row(buf *b, const tsql_table *t, bool first, int64_t seq, char op, const tsql_cell *cells)
{
	int rc = buf_printf(b, "%s(%lld, N'%c'", first ? "" : ", ", (long long)seq, op);
	for (size_t i = 0; i < t->ncols; i++) {
		const tsql_cell *c = &cells[i];
		rc |= buf_puts(b, ", ");
		if (c->null)
			rc |= buf_puts(b, "NULL");
		else
			rc |= tsql_nstr(b, c->data, c->len);
		if (t->types[i].flagged) {
			if (c->flag)
				rc |= buf_printf(b, ", %d", c->flag);
			else
				rc |= buf_puts(b, ", NULL");
		}
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

/* "s.[u3] = 1 AND o.[id] IS NOT NULL": column i is an unchanged TOAST value
 * and the row of the old key was found at the target. */
static int from_old_row(buf *b, const tsql_table *t, size_t i)
{
	int rc = sref(b, 'u', i);
	rc |= buf_puts(b, " = 1 AND ");
	rc |= ref(b, "o", t->names[t->keys[0]]);
	rc |= buf_puts(b, " IS NOT NULL");
	return rc ? -1 : 0;
}

int tsql_merge(buf *b, const tsql_table *t, bool old_rows)
{
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
			 * comes from the old key's row at the target; the flag
			 * is cleared so the MERGE takes it. */
			rc |= buf_puts(b, "CASE WHEN ");
			rc |= from_old_row(b, t, i);
			rc |= buf_puts(b, " THEN ");
			rc |= ref(b, "o", t->names[i]);
			rc |= buf_puts(b, " ELSE ");
			rc |= source_expr(b, t, i);
			rc |= buf_puts(b, " END AS ");
			rc |= stage_ident(b, 'c', i);
			rc |= buf_puts(b, ", CASE WHEN ");
			rc |= from_old_row(b, t, i);
			rc |= buf_puts(b, " THEN NULL ELSE ");
			rc |= sref(b, 'u', i);
			rc |= buf_puts(b, " END AS ");
			rc |= stage_ident(b, 'u', i);
			continue;
		}
		rc |= source_expr(b, t, i);
		rc |= buf_puts(b, " AS ");
		rc |= stage_ident(b, 'c', i);
		if (flag) {
			rc |= buf_puts(b, ", ");
			rc |= sref(b, 'u', i);
			rc |= buf_puts(b, " AS ");
			rc |= stage_ident(b, 'u', i);
		}
	}
	rc |= buf_printf(b, " FROM %s AS s", t->staging);
	if (old_rows) {
		/* The old key of a key change is staged as a row of op 'k'
		 * with the upsert's [__seq]; the row it names at the target
		 * is read before this statement changes anything. */
		rc |= buf_printf(b, " LEFT JOIN %s AS k ON k.[__op] = N'k' AND k.[__seq] = s.[__seq] LEFT JOIN ",
				 t->staging);
		rc |= tsql_qname(b, t->schema, t->table);
		rc |= buf_puts(b, " AS o ON ");
		for (size_t k = 0; k < t->nkeys; k++) {
			if (k)
				rc |= buf_puts(b, " AND ");
			rc |= ref(b, "o", t->names[t->keys[k]]);
			rc |= buf_puts(b, " = ");
			rc |= source_expr_of(b, t, t->keys[k], 'k');
		}
		rc |= buf_puts(b, " WHERE s.[__op] <> N'd' AND s.[__op] <> N'k') AS s\nON ");
	} else
		rc |= buf_puts(b, " WHERE s.[__op] <> N'd') AS s\nON ");
	for (size_t k = 0; k < t->nkeys; k++) {
		if (k)
			rc |= buf_puts(b, " AND ");
		rc |= ref(b, "t", t->names[t->keys[k]]);
		rc |= buf_puts(b, " = ");
		rc |= sref(b, 'c', t->keys[k]);
	}
	if (t->ncols > t->nkeys) {
		rc |= buf_puts(b, "\nWHEN MATCHED THEN UPDATE SET ");
		first = true;
		for (size_t i = 0; i < t->ncols; i++) {
			if (tsql_is_key(t, i))
				continue;
			if (!first)
				rc |= buf_puts(b, ", ");
			first = false;
			rc |= tsql_ident(b, t->names[i]);
			rc |= buf_puts(b, " = ");
			if (t->types[i].flagged) {
				rc |= buf_puts(b, "CASE WHEN ");
				rc |= sref(b, 'u', i);
				rc |= buf_puts(b, " = 1 THEN ");
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
	for (size_t k = 0; k < t->nkeys; k++) {
		rc |= buf_puts(b, " AND ");
		rc |= tsql_qname(b, t->schema, t->table);
		rc |= buf_putc(b, '.');
		rc |= tsql_ident(b, t->names[t->keys[k]]);
		rc |= buf_puts(b, " = ");
		rc |= source_expr(b, t, t->keys[k]);
	}
	rc |= buf_puts(b, ");");
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
	case 8115: case 220: case 232:   /* arithmetic overflow */
	case 547: case 2627: case 2601:  /* constraints */
	case 515:                        /* NULL into NOT NULL */
	case 9455: case 13609:           /* bad XML / JSON */
		return true;
	default:
		return false;
	}
}
