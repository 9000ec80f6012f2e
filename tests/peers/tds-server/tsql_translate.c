/* tsql_translate.c — the T-SQL subset of SUBSET.md, translated to PostgreSQL.
 *
 * A batch is cut into tokens (identifiers, [brackets], N'strings', numbers,
 * 0x literals, @@variables, operators), then into statements by their leading
 * keyword, and each statement is translated token by token. Anything outside
 * the subset is refused with SQL Server's error number, so the contract with
 * mssql-apply stays explicit.
 */
#include "peer.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum tk { TK_WORD, TK_QID, TK_STR, TK_NUM, TK_HEX, TK_VAR, TK_OP, TK_SEMI };

struct tok {
	enum tk k;
	const char *s; /* raw text */
	size_t n;
	char *v;       /* decoded value of QID and STR */
};

struct xl {
	struct tok *t;
	size_t n, cap;
	const struct xlate_ctx *ctx;
	struct xlate_err *e;
	int lower_qid; /* catalog statements: [TABLE_NAME] means table_name */
	char identity_insert[600]; /* xlate_ctx's, as the batch's SETs leave it */
	/* Expressions assigned to a column of table wtable (assign_spans):
	 * tokens [a, b) become tds_catalog.assign(…, the column's type).
	 * Added in token order (a ascending), as many as the statement has:
	 * an INSERT … VALUES of 1,000 staged rows has one per value. */
	struct wrap {
		size_t a, b;
		int done; /* emitted (xl_range meets its first token again inside) */
		char col[256];
	} *wraps;
	size_t nwraps, capwraps;
	char wtable[600];
};

#define NPOS ((size_t)-1)

static int xerr(struct xl *x, int number, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int xerr(struct xl *x, int number, const char *fmt, ...)
{
	va_list ap;
	x->e->number = number;
	va_start(ap, fmt);
	vsnprintf(x->e->msg, sizeof x->e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

static int near(struct xl *x, size_t i)
{
	if (i >= x->n)
		return xerr(x, 102, "Incorrect syntax near the end of the batch.");
	return xerr(x, 102, "Incorrect syntax near '%.*s'.", (int)(x->t[i].n > 100 ? 100 : x->t[i].n),
		    x->t[i].s);
}

/* ---- tokenizer ---- */
static void push(struct xl *x, enum tk k, const char *s, size_t n, char *v)
{
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 64;
		x->t = realloc(x->t, x->cap * sizeof *x->t);
		if (!x->t)
			abort();
	}
	x->t[x->n++] = (struct tok){k, s, n, v};
}

static int idchar(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '#' || c == '$' || c == '@' || c >= 0x80;
}

/* Reads a quoted run ending in q, where qq stands for q; returns the end. */
static const char *quoted(const char *p, char q, char **val)
{
	sbuf b;
	sb_init(&b);
	for (;;) {
		if (!*p) {
			sb_free(&b);
			return NULL;
		}
		if (*p == q) {
			if (p[1] == q) {
				sb_putc(&b, q);
				p += 2;
				continue;
			}
			*val = sb_take(&b);
			return p + 1;
		}
		sb_putc(&b, *p++);
	}
}

static int tokenize(struct xl *x, const char *sql)
{
	const char *p = sql;
	while (*p) {
		unsigned char c = (unsigned char)*p;
		const char *st = p;
		char *v = NULL;
		if (isspace(c)) {
			p++;
		} else if (c == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
		} else if (c == '/' && p[1] == '*') {
			int depth = 0;
			while (*p) {
				if (p[0] == '/' && p[1] == '*')
					depth++, p += 2;
				else if (p[0] == '*' && p[1] == '/') {
					p += 2;
					if (--depth == 0)
						break;
				} else
					p++;
			}
			if (depth)
				return xerr(x, 113, "Missing end comment mark '*/'.");
		} else if ((c == 'N' || c == 'n') && p[1] == '\'') {
			p = quoted(p + 2, '\'', &v);
			if (!p)
				return xerr(x, 105, "Unclosed quotation mark after the character string '%.40s'.", st + 2);
			push(x, TK_STR, st, (size_t)(p - st), v);
		} else if (c == '\'') {
			p = quoted(p + 1, '\'', &v);
			if (!p)
				return xerr(x, 105, "Unclosed quotation mark after the character string '%.40s'.", st + 1);
			push(x, TK_STR, st, (size_t)(p - st), v);
		} else if (c == '[') {
			p = quoted(p + 1, ']', &v);
			if (!p)
				return xerr(x, 105, "Unclosed quotation mark after the character string '%.40s'.", st + 1);
			push(x, TK_QID, st, (size_t)(p - st), v);
		} else if (c == '"') {
			p = quoted(p + 1, '"', &v);
			if (!p)
				return xerr(x, 105, "Unclosed quotation mark after the character string '%.40s'.", st + 1);
			push(x, TK_QID, st, (size_t)(p - st), v);
		} else if (c == '0' && (p[1] == 'x' || p[1] == 'X')) {
			p += 2;
			while (isxdigit((unsigned char)*p))
				p++;
			push(x, TK_HEX, st, (size_t)(p - st), NULL);
		} else if (isdigit(c) || (c == '.' && isdigit((unsigned char)p[1]))) {
			while (isdigit((unsigned char)*p))
				p++;
			if (*p == '.') {
				p++;
				while (isdigit((unsigned char)*p))
					p++;
			}
			if ((*p == 'e' || *p == 'E') &&
			    (isdigit((unsigned char)p[1]) || ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2])))) {
				p += 2;
				while (isdigit((unsigned char)*p))
					p++;
			}
			push(x, TK_NUM, st, (size_t)(p - st), NULL);
		} else if (c == '@') {
			p++;
			while (idchar((unsigned char)*p))
				p++;
			push(x, TK_VAR, st, (size_t)(p - st), NULL);
		} else if (isalpha(c) || c == '_' || c == '#' || c >= 0x80) {
			while (idchar((unsigned char)*p))
				p++;
			push(x, TK_WORD, st, (size_t)(p - st), NULL);
		} else if (c == ';') {
			p++;
			push(x, TK_SEMI, st, 1, NULL);
		} else if (strchr("<>!", c) && (p[1] == '=' || p[1] == '>' || p[1] == '<')) {
			if (c == '<' && p[1] == '<')
				return xerr(x, 102, "Incorrect syntax near '<'.");
			p += 2;
			push(x, TK_OP, st, 2, NULL);
		} else if (strchr("(),.=<>+-*/%~&|^", c)) {
			p++;
			push(x, TK_OP, st, 1, NULL);
		} else {
			return xerr(x, 102, "Incorrect syntax near '%c'.", c);
		}
	}
	return 0;
}

/* ---- helpers ---- */
static int is_kw(const struct xl *x, size_t i, const char *kw)
{
	if (i >= x->n || x->t[i].k != TK_WORD)
		return 0;
	size_t n = strlen(kw);
	return x->t[i].n == n && strncasecmp(x->t[i].s, kw, n) == 0;
}

static int is_op(const struct xl *x, size_t i, const char *op)
{
	if (i >= x->n || x->t[i].k != TK_OP)
		return 0;
	size_t n = strlen(op);
	return x->t[i].n == n && memcmp(x->t[i].s, op, n) == 0;
}

static int is_name(const struct xl *x, size_t i)
{
	return i < x->n && (x->t[i].k == TK_WORD || x->t[i].k == TK_QID);
}

/* The text of a name token: bracket contents, or the bare word. */
static void name_of(const struct xl *x, size_t i, char *buf, size_t cap)
{
	const struct tok *t = &x->t[i];
	if (t->k == TK_QID)
		snprintf(buf, cap, "%s", t->v);
	else
		snprintf(buf, cap, "%.*s", (int)t->n, t->s);
}

static size_t match_paren(const struct xl *x, size_t i, size_t end)
{
	int depth = 0;
	for (; i < end; i++) {
		if (is_op(x, i, "("))
			depth++;
		else if (is_op(x, i, ")") && --depth == 0)
			return i;
	}
	return NPOS;
}

static void emit_sep(sbuf *o, const char *next)
{
	if (!o->n)
		return;
	char last = o->p[o->n - 1];
	if (last == ' ' || last == '(' || last == '.')
		return;
	if (next[0] == '.' || next[0] == ',' || next[0] == ')')
		return;
	sb_putc(o, ' ');
}

static void emit(sbuf *o, const char *s)
{
	emit_sep(o, s);
	sb_puts(o, s);
}

static void emit_ident(sbuf *o, const char *name, int lower)
{
	emit_sep(o, "\"");
	sb_putc(o, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			sb_putc(o, '"');
		sb_putc(o, lower ? (char)tolower((unsigned char)*p) : *p);
	}
	sb_putc(o, '"');
}

static void emit_literal(sbuf *o, const char *s)
{
	emit_sep(o, "'");
	sb_putc(o, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			sb_putc(o, '\'');
		sb_putc(o, *p);
	}
	sb_putc(o, '\'');
}

/* A possibly qualified object name: [s].[t], s.t, #tmp, db.s.t (the
 * database part is dropped: the peer has one database). */
static int parse_qname(struct xl *x, size_t *pi, size_t end, sbuf *out)
{
	char parts[3][256];
	int np = 0;
	size_t i = *pi;
	for (;;) {
		if (i >= end || !is_name(x, i))
			return near(x, i);
		if (np == 3)
			return near(x, i);
		name_of(x, i, parts[np++], sizeof parts[0]);
		i++;
		if (i < end && is_op(x, i, "."))
			i++;
		else
			break;
	}
	int first = np == 3 ? 1 : 0;
	sbuf tmp;
	sb_init(&tmp);
	for (int k = first; k < np; k++) {
		if (k > first)
			sb_putc(&tmp, '.');
		emit_ident(&tmp, parts[k], 0);
	}
	emit(out, tmp.p);
	sb_free(&tmp);
	*pi = i;
	return 0;
}

/* ---- collations ---- */
static const struct {
	const char *name, *kind; /* kind: ICU locale, or "C" */
} collations[] = {
	{"SQL_Latin1_General_CP1_CI_AS", "und-u-ks-level2"},
	{"SQL_Latin1_General_CP1_CS_AS", "und-u-ks-level3"},
	{"SQL_Latin1_General_CP1_CI_AI", "und-u-ks-level1"},
	{"Latin1_General_CI_AS", "und-u-ks-level2"},
	{"Latin1_General_CS_AS", "und-u-ks-level3"},
	{"Latin1_General_CI_AI", "und-u-ks-level1"},
	{"Latin1_General_100_CI_AS", "und-u-ks-level2"},
	{"Latin1_General_100_CS_AS", "und-u-ks-level3"},
	{"Latin1_General_100_CI_AS_SC", "und-u-ks-level2"},
	{"Latin1_General_100_CI_AS_SC_UTF8", "und-u-ks-level2"},
	{"Latin1_General_100_CS_AS_SC_UTF8", "und-u-ks-level3"},
	{"Latin1_General_BIN", "C"},
	{"Latin1_General_BIN2", "C"},
	{"Latin1_General_100_BIN2", "C"},
	{"Latin1_General_100_BIN2_UTF8", "C"},
};

const char *peer_collation(const char *name)
{
	for (size_t i = 0; i < sizeof collations / sizeof collations[0]; i++)
		if (!strcasecmp(collations[i].name, name))
			return collations[i].name;
	return NULL;
}

void peer_collations_sql(sbuf *out)
{
	for (size_t i = 0; i < sizeof collations / sizeof collations[0]; i++) {
		if (!strcmp(collations[i].kind, "C"))
			sb_printf(out, "CREATE COLLATION IF NOT EXISTS public.\"%s\" FROM \"C\";", collations[i].name);
		else
			sb_printf(out, "CREATE COLLATION IF NOT EXISTS public.\"%s\" (provider = icu, "
				  "deterministic = false, locale = '%s');", collations[i].name, collations[i].kind);
	}
}

/* COLLATE name at i (the name a word or [bracketed]): its known name in
 * *out and i moved past it; DATABASE_DEFAULT is the database's (for a
 * #temp table's column too: the way to match its tables); 448 for a name
 * it does not know. */
static int parse_collate(struct xl *x, size_t *pi, const char **out)
{
	size_t i = *pi + 1;
	char nm[200];
	if (!is_name(x, i))
		return near(x, i);
	name_of(x, i, nm, sizeof nm);
	if (!strcasecmp(nm, "DATABASE_DEFAULT"))
		*out = x->ctx->db_collation;
	else if (!(*out = peer_collation(nm)))
		return xerr(x, 448, "Invalid collation '%s'.", nm);
	*pi = i + 1;
	return 0;
}

/* ---- types ---- */
static int map_type(struct xl *x, size_t *pi, size_t end, sbuf *pg, sbuf *ms)
{
	size_t i = *pi;
	char name[64];
	if (i >= end || !is_name(x, i))
		return near(x, i);
	name_of(x, i, name, sizeof name);
	for (char *p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	size_t at = i++;
	long a1 = -1, a2 = -1;
	int max = 0, nargs = 0;
	if (i < end && is_op(x, i, "(")) {
		i++;
		if (is_kw(x, i, "max")) {
			max = 1;
			nargs = 1;
			i++;
		} else if (i < end && x->t[i].k == TK_NUM) {
			a1 = strtol(x->t[i].s, NULL, 10);
			nargs = 1;
			i++;
			if (is_op(x, i, ",") && i + 1 < end && x->t[i + 1].k == TK_NUM) {
				a2 = strtol(x->t[i + 1].s, NULL, 10);
				nargs = 2;
				i += 2;
			}
		}
		if (!is_op(x, i, ")"))
			return near(x, i);
		i++;
	}
	char pgt[64] = "";
	const char *n = name;
	if (!strcmp(n, "bit"))
		strcpy(pgt, "boolean");
	else if (!strcmp(n, "tinyint") || !strcmp(n, "smallint"))
		strcpy(pgt, "smallint");
	else if (!strcmp(n, "int") || !strcmp(n, "integer"))
		strcpy(pgt, "integer");
	else if (!strcmp(n, "bigint"))
		strcpy(pgt, "bigint");
	else if (!strcmp(n, "decimal") || !strcmp(n, "numeric") || !strcmp(n, "dec")) {
		long p = nargs >= 1 ? a1 : 18, s = nargs == 2 ? a2 : 0;
		if (p < 1 || p > 38 || s < 0 || s > p)
			return xerr(x, 2750, "Column or parameter has specified precision %ld or scale %ld out of range.", p, s);
		snprintf(pgt, sizeof pgt, "numeric(%ld,%ld)", p, s);
	} else if (!strcmp(n, "money"))
		strcpy(pgt, "numeric(19,4)");
	else if (!strcmp(n, "smallmoney"))
		strcpy(pgt, "numeric(10,4)");
	else if (!strcmp(n, "real"))
		strcpy(pgt, "real");
	else if (!strcmp(n, "float"))
		strcpy(pgt, nargs == 1 && a1 <= 24 ? "real" : "double precision");
	else if (!strcmp(n, "date"))
		strcpy(pgt, "date");
	else if (!strcmp(n, "time"))
		snprintf(pgt, sizeof pgt, "time(%ld)", nargs == 1 && a1 < 6 ? a1 : 6);
	else if (!strcmp(n, "datetime2"))
		snprintf(pgt, sizeof pgt, "timestamp(%ld)", nargs == 1 && a1 < 6 ? a1 : 6);
	else if (!strcmp(n, "datetime"))
		strcpy(pgt, "timestamp(3)");
	else if (!strcmp(n, "smalldatetime"))
		strcpy(pgt, "timestamp(0)");
	else if (!strcmp(n, "datetimeoffset"))
		snprintf(pgt, sizeof pgt, "timestamptz(%ld)", nargs == 1 && a1 < 6 ? a1 : 6);
	else if (!strcmp(n, "char") || !strcmp(n, "nchar")) {
		if (max)
			return xerr(x, 2717, "The size (max) given to the type '%s' exceeds the maximum allowed.", n);
		/* padded to n, as SQL Server pads */
		snprintf(pgt, sizeof pgt, ms ? "bpchar(%ld)" : "char(%ld)", nargs ? a1 : 1);
	} else if (!strcmp(n, "varchar") || !strcmp(n, "nvarchar")) {
		/* A column is bpchar (trailing spaces kept, but ignored by =
		 * and unique keys, as SQL Server ignores them) with a CHECK of
		 * its length in UTF-16 units (column_def); so is a CAST to a
		 * max type, which keeps them. A CAST to (n) cuts, as SQL
		 * Server's does. */
		if (max || ms)
			strcpy(pgt, "bpchar");
		else
			snprintf(pgt, sizeof pgt, "varchar(%ld)", nargs ? a1 : 1);
	} else if (!strcmp(n, "text") || !strcmp(n, "ntext") || !strcmp(n, "sysname"))
		strcpy(pgt, "bpchar");
	else if (!strcmp(n, "varbinary") || !strcmp(n, "binary") || !strcmp(n, "image")) {
		/* main.c: bytea's bytes, SQL Server's comparison; the modifier
		 * n, or (n, fixed) for binary(n), which pads. Without a length
		 * a column is (1), a CAST (30), as SQL Server has them. */
		long len = nargs ? a1 : ms ? 1 : 30;
		if (max || n[0] == 'i')
			strcpy(pgt, "tds_catalog.varbinary");
		else if (len < 1)
			return xerr(x, 1001, "Line 1: Length or precision specification %ld is invalid.", len);
		else if (len > 8000)
			return xerr(x, 131, "The size (%ld) given to the type '%s' exceeds the maximum allowed for any data "
				    "type (8000).", len, n);
		else
			snprintf(pgt, sizeof pgt, n[0] == 'b' ? "tds_catalog.varbinary(%ld, fixed)" : "tds_catalog.varbinary(%ld)",
				 len);
	} else if (!strcmp(n, "uniqueidentifier"))
		strcpy(pgt, "uuid");
	else if (!strcmp(n, "xml"))
		strcpy(pgt, "xml");
	else {
		char raw[80];
		name_of(x, at, raw, sizeof raw);
		return xerr(x, 2715, "Column, parameter, or variable #1: Cannot find data type %s.", raw);
	}
	emit(pg, pgt);
	if (ms) {
		sb_puts(ms, n);
		if (max)
			sb_puts(ms, "(max)");
		else if (nargs == 1)
			sb_printf(ms, "(%ld)", a1);
		else if (nargs == 2)
			sb_printf(ms, "(%ld,%ld)", a1, a2);
	}
	*pi = i;
	return 0;
}

/* ---- expressions ---- */
static const char *const hints[] = {
	"HOLDLOCK", "TABLOCK", "TABLOCKX", "ROWLOCK", "UPDLOCK", "NOLOCK", "PAGLOCK",
	"READCOMMITTED", "READUNCOMMITTED", "REPEATABLEREAD", "SERIALIZABLE", "XLOCK",
	"READPAST", "NOWAIT", NULL
};

static int is_hint(const struct xl *x, size_t i)
{
	for (int k = 0; hints[k]; k++)
		if (is_kw(x, i, hints[k]))
			return 1;
	return 0;
}

static int xl_range(struct xl *x, size_t a, size_t b, sbuf *o);

/* CAST(expr AS type) */
static int xl_cast(struct xl *x, size_t *pi, size_t b, sbuf *o)
{
	size_t open = *pi + 1, close = match_paren(x, open, b);
	if (close == NPOS)
		return near(x, open);
	size_t as = NPOS;
	int depth = 0;
	for (size_t k = open + 1; k < close; k++) {
		if (is_op(x, k, "("))
			depth++;
		else if (is_op(x, k, ")"))
			depth--;
		else if (depth == 0 && is_kw(x, k, "AS"))
			as = k;
	}
	if (as == NPOS)
		return near(x, close);
	emit(o, "CAST(");
	if (xl_range(x, open + 1, as, o))
		return -1;
	emit(o, "AS");
	size_t t = as + 1;
	if (map_type(x, &t, close, o, NULL))
		return -1;
	if (t != close)
		return near(x, t);
	emit(o, ")");
	*pi = close + 1;
	return 0;
}

/* CONVERT(type, expr [, style]); CONVERT(varbinary(max), N'0x..', 1) decodes hex */
static int xl_convert(struct xl *x, size_t *pi, size_t b, sbuf *o)
{
	size_t open = *pi + 1, close = match_paren(x, open, b);
	if (close == NPOS)
		return near(x, open);
	size_t comma[2] = {NPOS, NPOS};
	int nc = 0, depth = 0;
	for (size_t k = open + 1; k < close; k++) {
		if (is_op(x, k, "("))
			depth++;
		else if (is_op(x, k, ")"))
			depth--;
		else if (depth == 0 && is_op(x, k, ",")) {
			if (nc == 2)
				return near(x, k);
			comma[nc++] = k;
		}
	}
	if (nc == 0)
		return near(x, close);
	size_t t = open + 1;
	sbuf pg;
	sb_init(&pg);
	if (map_type(x, &t, comma[0], &pg, NULL)) {
		sb_free(&pg);
		return -1;
	}
	if (t != comma[0]) {
		sb_free(&pg);
		return near(x, t);
	}
	size_t eend = nc == 2 ? comma[1] : close;
	long style = 0;
	if (nc == 2) {
		if (comma[1] + 2 != close || x->t[comma[1] + 1].k != TK_NUM) {
			sb_free(&pg);
			return near(x, comma[1]);
		}
		style = strtol(x->t[comma[1] + 1].s, NULL, 10);
	}
	int rc;
	size_t e = comma[0] + 1;
	if (!strncmp(pg.p, "tds_catalog.varbinary", 21) && (style == 1 || style == 2)) {
		/* the hex digits' bytes, then the type's length (binary(8) pads) */
		emit(o, style == 1 ? "CAST(decode(substr(" : "CAST(decode((");
		rc = xl_range(x, comma[0] + 1, eend, o);
		emit(o, style == 1 ? ", 3), 'hex') AS" : "), 'hex') AS");
		emit(o, pg.p);
		emit(o, ")");
	} else if ((!strcmp(pg.p, "text") || !strcmp(pg.p, "bpchar")) && style == 1) {
		/* binary → '0x…' (and text as it is); nvarchar(max) is bpchar */
		emit(o, "tds_catalog.binary_style1(");
		rc = xl_range(x, comma[0] + 1, eend, o);
		emit(o, ")");
	} else if ((!strcmp(pg.p, "smallint") || !strcmp(pg.p, "integer") || !strcmp(pg.p, "bigint")) &&
		   is_kw(x, e, "CONVERT") && is_op(x, e + 1, "(") &&
		   (is_kw(x, e + 2, "binary") || is_kw(x, e + 2, "varbinary"))) {
		/* binary → integer: big-endian, as SQL Server reads it */
		emit(o, "CAST(tds_catalog.bytes_to_bigint(");
		rc = xl_range(x, e, eend, o);
		emit(o, ") AS");
		emit(o, pg.p);
		emit(o, ")");
	} else {
		emit(o, "CAST(");
		rc = xl_range(x, comma[0] + 1, eend, o);
		emit(o, "AS");
		emit(o, pg.p);
		emit(o, ")");
	}
	sb_free(&pg);
	*pi = close + 1;
	return rc;
}

static int xl_var(struct xl *x, size_t i, sbuf *o)
{
	const struct tok *t = &x->t[i];
	char buf[96];
	if (t->n > 2 && t->s[1] == '@') {
		const char *v = t->s + 2;
		size_t n = t->n - 2;
#define V(s) (n == strlen(s) && strncasecmp(v, s, n) == 0)
		if (V("SPID"))
			snprintf(buf, sizeof buf, "%d", x->ctx->spid);
		else if (V("TRANCOUNT"))
			snprintf(buf, sizeof buf, "%d", x->ctx->trancount);
		else if (V("ROWCOUNT"))
			snprintf(buf, sizeof buf, "%lld", x->ctx->rowcount);
		else if (V("ERROR"))
			strcpy(buf, "0");
		else if (V("VERSION"))
			strcpy(buf, "'Microsoft SQL Server 2019 - tds-server test peer on PostgreSQL'");
		else if (V("SERVERNAME"))
			strcpy(buf, "'tds-peer'");
		else
			return xerr(x, 137, "Must declare the scalar variable \"%.*s\".", (int)t->n, t->s);
#undef V
		emit(o, buf);
		return 0;
	}
	/* an RPC's parameter: its value, as a literal */
	for (size_t k = 0; k < x->ctx->nparams; k++) {
		const struct rpc_param *p = &x->ctx->params[k];
		if (strlen(p->name) != t->n || strncasecmp(p->name, t->s, t->n))
			continue;
		if (p->is_null)
			emit(o, "NULL");
		else if (p->is_number)
			emit(o, p->text);
		else
			emit_literal(o, p->text);
		return 0;
	}
	return xerr(x, 137, "Must declare the scalar variable \"%.*s\".", (int)t->n, t->s);
}

/* The wrap not yet emitted that starts at token i; nwraps when none. */
static size_t wrap_at(const struct xl *x, size_t i)
{
	size_t lo = 0, hi = x->nwraps;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->wraps[mid].a < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < x->nwraps && x->wraps[lo].a == i && !x->wraps[lo].done ? lo : x->nwraps;
}

static int xl_range(struct xl *x, size_t a, size_t b, sbuf *o)
{
	size_t i = a;
	while (i < b) {
		const struct tok *t = &x->t[i];
		char buf[300];
		size_t w = wrap_at(x, i);
		if (w < x->nwraps && x->wraps[w].b <= b) {
			/* SQL Server converts an assigned value to the column's
			 * type (main.c: tds_catalog.assign) */
			struct wrap wr = x->wraps[w];
			x->wraps[w].done = 1;
			emit(o, "tds_catalog.assign(");
			if (xl_range(x, wr.a, wr.b, o))
				return -1;
			sb_printf(o, ", (NULL::%s).", x->wtable);
			emit_ident(o, wr.col, 0);
			sb_puts(o, ", ");
			emit_literal(o, x->wtable);
			sb_puts(o, ", ");
			emit_literal(o, wr.col);
			sb_puts(o, ")");
			i = wr.b;
			continue;
		}
		switch (t->k) {
		case TK_QID:
			emit_ident(o, t->v, x->lower_qid);
			i++;
			break;
		case TK_STR:
			emit_literal(o, t->v);
			i++;
			break;
		case TK_NUM:
		case TK_OP:
			snprintf(buf, sizeof buf, "%.*s", (int)t->n, t->s);
			if (!strcmp(buf, "!="))
				strcpy(buf, "<>");
			emit(o, buf);
			i++;
			break;
		case TK_HEX:
			emit_sep(o, "'");
			sb_puts(o, "'\\x");
			sb_putn(o, t->s + 2, t->n - 2);
			sb_puts(o, "'::tds_catalog.varbinary");
			i++;
			break;
		case TK_VAR:
			if (xl_var(x, i, o))
				return -1;
			i++;
			break;
		case TK_SEMI:
			return near(x, i);
		case TK_WORD:
			if (t->s[0] == '#') {
				snprintf(buf, sizeof buf, "%.*s", (int)t->n, t->s);
				emit_ident(o, buf, 0);
				i++;
			} else if (is_kw(x, i, "CAST") && is_op(x, i + 1, "(")) {
				if (xl_cast(x, &i, b, o))
					return -1;
			} else if (is_kw(x, i, "CONVERT") && is_op(x, i + 1, "(")) {
				if (xl_convert(x, &i, b, o))
					return -1;
			} else if ((is_kw(x, i, "SYSUTCDATETIME") || is_kw(x, i, "GETUTCDATE")) &&
				   is_op(x, i + 1, "(") && is_op(x, i + 2, ")")) {
				emit(o, "(now() AT TIME ZONE 'utc')");
				i += 3;
			} else if ((is_kw(x, i, "SYSDATETIME") || is_kw(x, i, "GETDATE")) &&
				   is_op(x, i + 1, "(") && is_op(x, i + 2, ")")) {
				emit(o, "LOCALTIMESTAMP");
				i += 3;
			} else if (is_kw(x, i, "ISNULL") && is_op(x, i + 1, "(")) {
				emit(o, "COALESCE");
				i++;
			} else if (is_kw(x, i, "COLLATE")) {
				const char *c;
				if (parse_collate(x, &i, &c))
					return -1;
				emit(o, "COLLATE");
				emit_ident(o, c, 0);
			} else if (is_kw(x, i, "DATALENGTH") && is_op(x, i + 1, "(")) {
				/* bytes stored: trailing spaces of a bpchar count */
				emit(o, "octet_length");
				i++;
			} else if (is_kw(x, i, "CHARINDEX") && is_op(x, i + 1, "(")) {
				emit(o, "tds_catalog.charindex");
				i++;
			} else if (is_kw(x, i, "COLUMNPROPERTY") && is_op(x, i + 1, "(")) {
				emit(o, "tds_catalog.columnproperty");
				i++;
			} else if (is_kw(x, i, "OBJECT_ID") && is_op(x, i + 1, "(")) {
				emit(o, "tds_catalog.object_id");
				i++;
			} else if (is_kw(x, i, "DB_NAME") && is_op(x, i + 1, "(") && is_op(x, i + 2, ")")) {
				emit(o, "current_database()");
				i += 3;
			} else if (is_kw(x, i, "sys") && is_op(x, i + 1, ".") && is_name(x, i + 2)) {
				char nm[64];
				name_of(x, i + 2, nm, sizeof nm);
				if (strcasecmp(nm, "foreign_keys") && strcasecmp(nm, "check_constraints") &&
				    strcasecmp(nm, "triggers") && strcasecmp(nm, "databases"))
					return xerr(x, 208, "Invalid object name 'sys.%s'.", nm);
				for (char *q = nm; *q; q++)
					*q = (char)tolower((unsigned char)*q);
				snprintf(buf, sizeof buf, "tds_catalog.%s", nm);
				emit(o, buf);
				i += 3;
			} else if (is_kw(x, i, "WITH") && is_op(x, i + 1, "(") && is_hint(x, i + 2)) {
				size_t close = match_paren(x, i + 1, b);
				if (close == NPOS)
					return near(x, i + 1);
				i = close + 1;
			} else if (is_kw(x, i, "BY") && is_kw(x, i + 1, "TARGET")) {
				i += 2; /* WHEN NOT MATCHED BY TARGET: PostgreSQL 15 says WHEN NOT MATCHED */
			} else if (is_kw(x, i, "INFORMATION_SCHEMA") && is_op(x, i + 1, ".") && is_name(x, i + 2)) {
				char nm[64];
				name_of(x, i + 2, nm, sizeof nm);
				if (!strcasecmp(nm, "COLUMNS"))
					emit(o, "tds_catalog.columns");
				else if (!strcasecmp(nm, "SCHEMATA") || !strcasecmp(nm, "TABLES") ||
					 !strcasecmp(nm, "TABLE_CONSTRAINTS") || !strcasecmp(nm, "KEY_COLUMN_USAGE")) {
					for (char *p = nm; *p; p++)
						*p = (char)tolower((unsigned char)*p);
					snprintf(buf, sizeof buf, "information_schema.%s", nm);
					emit(o, buf);
				} else
					return xerr(x, 208, "Invalid object name 'INFORMATION_SCHEMA.%s'.", nm);
				i += 3;
			} else {
				snprintf(buf, sizeof buf, "%.*s", (int)t->n, t->s);
				emit(o, buf);
				i++;
			}
			break;
		}
	}
	return 0;
}

/* ---- statements ---- */
static int starts_stmt(const struct xl *x, size_t i)
{
	static const char *const kws[] = {
		"SET", "BEGIN", "COMMIT", "ROLLBACK", "CREATE", "ALTER", "DROP", "TRUNCATE",
		"USE", "EXEC", "EXECUTE", "DECLARE", "INSERT", "DELETE", "MERGE", "UPDATE",
		"SELECT", "PRINT", "IF", "WHILE", "RETURN", "GO", NULL
	};
	for (int k = 0; kws[k]; k++)
		if (is_kw(x, i, kws[k]))
			return 1;
	return 0;
}

/* End of a DML/query statement starting at i: a ';', the end, or a keyword
 * at depth 0 that cannot continue it (T-SQL needs no semicolons). */
static size_t stmt_end(const struct xl *x, size_t i)
{
	int merge = is_kw(x, i, "MERGE"), select = is_kw(x, i, "SELECT");
	int depth = 0;
	size_t k;
	for (k = i + 1; k < x->n; k++) {
		if (x->t[k].k == TK_SEMI && depth == 0)
			break;
		if (is_op(x, k, "("))
			depth++;
		else if (is_op(x, k, ")"))
			depth--;
		if (depth != 0 || !starts_stmt(x, k))
			continue;
		if (merge && (is_kw(x, k, "SET") || is_kw(x, k, "INSERT") || is_kw(x, k, "DELETE") ||
			      is_kw(x, k, "UPDATE")))
			continue;
		if (is_kw(x, k, "SELECT")) {
			if (!select)
				continue;
			if (is_kw(x, k - 1, "UNION") || is_kw(x, k - 1, "ALL") || is_kw(x, k - 1, "EXCEPT") ||
			    is_kw(x, k - 1, "INTERSECT"))
				continue;
		}
		break;
	}
	return k;
}

static struct stmt *add_stmt(struct batch *b, enum stmt_kind kind)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 8;
		b->v = realloc(b->v, b->cap * sizeof *b->v);
		if (!b->v)
			abort();
	}
	struct stmt *s = &b->v[b->n++];
	memset(s, 0, sizeof *s);
	s->kind = kind;
	return s;
}

static const char *const on_off_opts[] = {
	"XACT_ABORT", "NOCOUNT", "ANSI_NULLS", "QUOTED_IDENTIFIER", "ANSI_WARNINGS", "ARITHABORT",
	"CONCAT_NULL_YIELDS_NULL", "ANSI_PADDING", "ANSI_NULL_DFLT_ON", "ANSI_NULL_DFLT_OFF",
	"CURSOR_CLOSE_ON_COMMIT", "IMPLICIT_TRANSACTIONS", "NUMERIC_ROUNDABORT", "FMTONLY",
	"NOEXEC", "PARSEONLY", "STATISTICS", NULL
};

static int parse_set(struct xl *x, size_t *pi, struct batch *b)
{
	size_t i = *pi + 1;
	if (is_kw(x, i, "TEXTSIZE") || is_kw(x, i, "LOCK_TIMEOUT") || is_kw(x, i, "DATEFIRST") ||
	    is_kw(x, i, "ROWCOUNT")) {
		if (i + 1 >= x->n || x->t[i + 1].k != TK_NUM) {
			if (!(is_op(x, i + 1, "-") && i + 2 < x->n && x->t[i + 2].k == TK_NUM))
				return near(x, i + 1);
			i++;
		}
		if (is_kw(x, i, "ROWCOUNT") && strtol(x->t[i + 1].s, NULL, 10) != 0)
			return xerr(x, 102, "SET ROWCOUNT is outside the subset of the TDS test peer.");
		add_stmt(b, ST_SET);
		*pi = i + 2;
		return 0;
	}
	if (is_kw(x, i, "DATEFORMAT") || is_kw(x, i, "LANGUAGE")) {
		/* the session's date order (session.c: languages), which
		 * tds_catalog.assign reads; set when the statement runs */
		if (!is_name(x, i + 1))
			return near(x, i + 1);
		char word[256];
		name_of(x, i + 1, word, sizeof word);
		const char *order = NULL;
		if (is_kw(x, i, "DATEFORMAT")) {
			static const char *const orders[] = {"mdy", "dmy", "ymd", "ydm", "myd", "dym"};
			for (size_t k = 0; k < sizeof orders / sizeof orders[0]; k++)
				if (!strcasecmp(word, orders[k]))
					order = orders[k];
			if (!order)
				return xerr(x, 2741, "SET DATEFORMAT date order '%s' is invalid.", word);
		} else {
			/* a language the peer does not know changes nothing */
			order = peer_language_dateformat(word);
		}
		struct stmt *s = add_stmt(b, ST_SET);
		if (order) {
			s->set_opt = SO_DATEFORMAT;
			s->name = strdup(order);
		}
		*pi = i + 2;
		return 0;
	}
	if (is_kw(x, i, "TRANSACTION") && is_kw(x, i + 1, "ISOLATION") && is_kw(x, i + 2, "LEVEL")) {
		i += 3;
		if (is_kw(x, i, "READ") && (is_kw(x, i + 1, "COMMITTED") || is_kw(x, i + 1, "UNCOMMITTED")))
			i += 2;
		else if (is_kw(x, i, "REPEATABLE") && is_kw(x, i + 1, "READ"))
			i += 2;
		else if (is_kw(x, i, "SERIALIZABLE") || is_kw(x, i, "SNAPSHOT"))
			i += 1;
		else
			return near(x, i);
		add_stmt(b, ST_SET);
		*pi = i;
		return 0;
	}
	if (is_kw(x, i, "IDENTITY_INSERT")) {
		/* SET IDENTITY_INSERT [s].[t] ON|OFF: the batch's later INSERT and
		 * MERGE are translated as it leaves it; the session's state
		 * changes when the statement runs (pgexec.c). */
		size_t k = i + 1;
		sbuf nm;
		sb_init(&nm);
		if (parse_qname(x, &k, x->n, &nm)) {
			sb_free(&nm);
			return -1;
		}
		int on = is_kw(x, k, "ON");
		if (!on && !is_kw(x, k, "OFF")) {
			sb_free(&nm);
			return near(x, k);
		}
		if (on)
			snprintf(x->identity_insert, sizeof x->identity_insert, "%s", nm.p);
		else if (!strcmp(x->identity_insert, nm.p))
			x->identity_insert[0] = 0;
		struct stmt *s = add_stmt(b, ST_SET);
		s->set_opt = SO_IDENTITY_INSERT;
		s->set_on = on;
		s->name = sb_take(&nm);
		*pi = k + 1;
		return 0;
	}
	/* SET opt[, opt...] ON|OFF */
	size_t first = i;
	for (;;) {
		int ok = 0;
		for (int k = 0; on_off_opts[k]; k++)
			if (is_kw(x, i, on_off_opts[k]))
				ok = 1;
		if (!ok)
			return near(x, i);
		if (is_kw(x, i, "STATISTICS") && is_name(x, i + 1))
			i++;
		i++;
		if (is_op(x, i, ","))
			i++;
		else
			break;
	}
	int on;
	if (is_kw(x, i, "ON"))
		on = 1;
	else if (is_kw(x, i, "OFF"))
		on = 0;
	else
		return near(x, i);
	for (size_t k = first; k < i; k++) {
		if (x->t[k].k != TK_WORD)
			continue;
		struct stmt *s = add_stmt(b, ST_SET);
		s->set_on = on;
		if (is_kw(x, k, "NOCOUNT"))
			s->set_opt = SO_NOCOUNT;
		else if (is_kw(x, k, "FMTONLY"))
			s->set_opt = SO_FMTONLY;
		else if (is_kw(x, k, "XACT_ABORT"))
			s->set_opt = SO_XACT_ABORT;
		else if ((is_kw(x, k, "IMPLICIT_TRANSACTIONS") || is_kw(x, k, "NOEXEC") ||
			  is_kw(x, k, "PARSEONLY") || is_kw(x, k, "NUMERIC_ROUNDABORT")) && on)
			return xerr(x, 102, "SET %.*s ON is outside the subset of the TDS test peer.",
				    (int)x->t[k].n, x->t[k].s);
	}
	*pi = i + 1;
	return 0;
}

/* SQL Server's columns per table (not a wide one, with a column set):
 * one more is 1702 at CREATE TABLE or ALTER TABLE ADD, #temp tables
 * included ("Maximum capacity specifications for SQL Server"). */
#define MAX_TABLE_COLUMNS 1024

/* The columns of a CREATE TABLE so far (name, SQL Server type), for the
 * length of its primary key and the count of columns. */
struct coldefs {
	size_t n;
	char name[MAX_TABLE_COLUMNS][256];
	char ms[MAX_TABLE_COLUMNS][64];
};

/* ms ("nvarchar(20)", "int" …) → its base name and first argument (-1:
 * none, -2: max). */
static void ms_split(const char *ms, char *base, size_t cap, long *arg)
{
	size_t k = 0;
	while (ms[k] && ms[k] != '(' && k + 1 < cap) {
		base[k] = ms[k];
		k++;
	}
	base[k] = 0;
	*arg = -1;
	if (ms[k] == '(')
		*arg = strncasecmp(ms + k + 1, "max", 3) ? strtol(ms + k + 1, NULL, 10) : -2;
}

static int is_text_type(const char *base)
{
	return !strcmp(base, "nvarchar") || !strcmp(base, "varchar") || !strcmp(base, "nchar") ||
	       !strcmp(base, "char");
}

/* SQL Server counts nvarchar(n) and nchar(n) in UTF-16 code units, where
 * PostgreSQL's varchar(n) counts characters: a CHECK does the rest (a
 * character beyond the BMP is two units), answered as 2628. The fast
 * path: no more bytes than n. */
static void length_check(sbuf *o, const char *col, const char *base, long n)
{
	int padded = !strcmp(base, "nchar") || !strcmp(base, "char");
	char cname[160];
	snprintf(cname, sizeof cname, "tds_len_%.100s", col);
	emit(o, "CONSTRAINT");
	emit_ident(o, cname, 0);
	emit(o, "CHECK (octet_length(");
	emit_ident(o, col, 0);
	sb_printf(o, "%s) <= %ld OR tds_catalog.utf16_units(", padded ? "::text" : "", n);
	emit_ident(o, col, 0);
	sb_printf(o, "%s) <= %ld)", padded ? "::text" : "", n);
}

/* The bytes of a value of ms in an index key: fixed, or (*per_unit,
 * *per_byte) times the value's UTF-16 units or bytes, at most *max (-1: no
 * bound, a max type). */
static long key_bytes(const char *ms, int *units, int *bytes, long *max)
{
	char b[64];
	long a;
	ms_split(ms, b, sizeof b, &a);
	for (char *p = b; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	*units = *bytes = 0;
	*max = 0;
	if (!strcmp(b, "nvarchar") || !strcmp(b, "varchar") || !strcmp(b, "sysname")) {
		*units = 1;
		*max = a == -2 ? -1 : 2 * (a > 0 ? a : !strcmp(b, "sysname") ? 128 : 1);
		return 0;
	}
	if (!strcmp(b, "varbinary")) {
		*bytes = 1;
		*max = a == -2 ? -1 : a > 0 ? a : 1;
		return 0;
	}
	if (!strcmp(b, "text") || !strcmp(b, "ntext") || !strcmp(b, "image") || !strcmp(b, "xml")) {
		*max = -1;
		return 0;
	}
	long f = !strcmp(b, "nchar") ? 2 * (a > 0 ? a : 1) : !strcmp(b, "char") || !strcmp(b, "binary") ? (a > 0 ? a : 1)
		 : !strcmp(b, "bit") || !strcmp(b, "tinyint") ? 1 : !strcmp(b, "smallint") ? 2
		 : !strcmp(b, "int") || !strcmp(b, "real") || !strcmp(b, "smallmoney") || !strcmp(b, "smalldatetime") ? 4
		 : !strcmp(b, "bigint") || !strcmp(b, "money") || !strcmp(b, "datetime") ? 8
		 : !strcmp(b, "float") ? (a > 0 && a <= 24 ? 4 : 8)
		 : !strcmp(b, "date") ? 3
		 : !strcmp(b, "time") ? (a >= 0 && a <= 2 ? 3 : a >= 0 && a <= 4 ? 4 : 5)
		 : !strcmp(b, "datetime2") ? (a >= 0 && a <= 2 ? 6 : a >= 0 && a <= 4 ? 7 : 8)
		 : !strcmp(b, "datetimeoffset") ? (a >= 0 && a <= 2 ? 8 : a >= 0 && a <= 4 ? 9 : 10)
		 : !strcmp(b, "uniqueidentifier") ? 16
		 : !strcmp(b, "decimal") || !strcmp(b, "numeric") || !strcmp(b, "dec")
		       ? ((a < 0 ? 18 : a) <= 9 ? 5 : (a < 0 ? 18 : a) <= 19 ? 9 : (a < 0 ? 18 : a) <= 28 ? 13 : 17)
		 : 8;
	*max = f;
	return f;
}

/* PRIMARY KEY (cols) of a CREATE TABLE: SQL Server refuses a max type as
 * a key column (1919), and an index entry longer than 900 bytes for a
 * clustered index or 1,700 for a nonclustered one when a row is written
 * (1946; CREATE TABLE only warns). The peer adds a CHECK named tds_key_…
 * that sums the entry's bytes when the declared columns could exceed it. */
static int key_check(struct xl *x, const struct coldefs *defs, char keys[][256], size_t nkeys, int nonclustered,
		     const char *pkname, const char *table, sbuf *o)
{
	long limit = nonclustered ? 1700 : 900, declared = 0;
	sbuf e, fast; /* the entry's bytes; a bound of them (bytes of UTF-8 ≥ UTF-16 units) */
	sb_init(&e);
	sb_init(&fast);
	for (size_t k = 0; k < nkeys; k++) {
		size_t c = 0;
		while (c < defs->n && strcmp(defs->name[c], keys[k]))
			c++;
		if (c == defs->n)
			continue; /* PostgreSQL names it */
		int units, bytes;
		long max;
		long f = key_bytes(defs->ms[c], &units, &bytes, &max);
		if (max < 0) {
			sb_free(&e);
			sb_free(&fast);
			return xerr(x, 1919, "Column '%s' in table '%s' is of a type that is invalid for use as a key column "
				    "in an index.", keys[k], table);
		}
		declared += max;
		if (e.n) {
			sb_puts(&e, " + ");
			sb_puts(&fast, " + ");
		}
		if (units || bytes) {
			sb_puts(&e, units ? "2 * tds_catalog.utf16_units(" : "octet_length(");
			emit_ident(&e, keys[k], 0);
			sb_puts(&e, ")");
			sb_puts(&fast, units ? "2 * octet_length(" : "octet_length(");
			emit_ident(&fast, keys[k], 0);
			sb_puts(&fast, ")");
		} else {
			sb_printf(&e, "%ld", f);
			sb_printf(&fast, "%ld", f);
		}
	}
	if (declared > limit && e.n) {
		char cname[160];
		snprintf(cname, sizeof cname, "tds_key_%s_%.100s", nonclustered ? "nc" : "cl", pkname);
		emit(o, ", CONSTRAINT");
		emit_ident(o, cname, 0);
		sb_printf(o, " CHECK (%s <= %ld OR %s <= %ld)", fast.p, limit, e.p, limit);
	}
	sb_free(&e);
	sb_free(&fast);
	return 0;
}

/* Column definitions of CREATE TABLE / ALTER TABLE ADD: [c] type [COLLATE c]
 * [NULL|NOT NULL] …; a text column without COLLATE takes coll. */
static int column_def(struct xl *x, size_t *pi, size_t end, const char *table, sbuf *o, sbuf *comments,
		      struct coldefs *defs, const char *coll)
{
	size_t i = *pi;
	char col[256];
	if (!is_name(x, i))
		return near(x, i);
	name_of(x, i, col, sizeof col);
	if (defs && defs->n == MAX_TABLE_COLUMNS)
		return xerr(x, 1702, "CREATE TABLE failed because column '%s' in table '%s' exceeds the maximum of %d "
			    "columns.", col, table, MAX_TABLE_COLUMNS);
	emit_ident(o, col, 0);
	i++;
	sbuf ms;
	sb_init(&ms);
	if (map_type(x, &i, end, o, &ms)) {
		sb_free(&ms);
		return -1;
	}
	char base[64];
	long arg;
	ms_split(ms.p, base, sizeof base, &arg);
	int text = is_text_type(base) || !strcmp(base, "text") || !strcmp(base, "ntext") || !strcmp(base, "sysname");
	if (is_kw(x, i, "COLLATE")) {
		if (!text) {
			sb_free(&ms);
			return xerr(x, 447, "Expression type %s is invalid for COLLATE clause.", base);
		}
		if (parse_collate(x, &i, &coll)) {
			sb_free(&ms);
			return -1;
		}
	}
	if (text) {
		emit(o, "COLLATE");
		emit_ident(o, coll, 0);
	}
	for (;;) {
		if (is_kw(x, i, "NULL")) {
			emit(o, "NULL");
			i++;
		} else if (is_kw(x, i, "NOT") && is_kw(x, i + 1, "NULL")) {
			emit(o, "NOT NULL");
			i += 2;
		} else if (is_kw(x, i, "PRIMARY") && is_kw(x, i + 1, "KEY")) {
			emit(o, "PRIMARY KEY");
			i += 2;
			if (is_kw(x, i, "CLUSTERED") || is_kw(x, i, "NONCLUSTERED"))
				i++;
		} else if (is_kw(x, i, "IDENTITY")) {
			/* GENERATED ALWAYS: PostgreSQL refuses an explicit value
			 * (428C9, reported as 544) unless the INSERT says
			 * OVERRIDING SYSTEM VALUE, which SET IDENTITY_INSERT ON
			 * adds; COPY keeps the values sent (KEEPIDENTITY). */
			long seed = 1, inc = 1;
			i++;
			if (is_op(x, i, "(")) {
				if (i + 4 >= end || x->t[i + 1].k != TK_NUM || !is_op(x, i + 2, ",") ||
				    x->t[i + 3].k != TK_NUM || !is_op(x, i + 4, ")")) {
					sb_free(&ms);
					return near(x, i);
				}
				seed = strtol(x->t[i + 1].s, NULL, 10);
				inc = strtol(x->t[i + 3].s, NULL, 10);
				i += 5;
			}
			char g[128];
			snprintf(g, sizeof g, "GENERATED ALWAYS AS IDENTITY (START WITH %ld INCREMENT BY %ld)", seed, inc);
			emit(o, g);
		} else
			break;
	}
	if (is_text_type(base) && arg > 0)
		length_check(o, col, base, arg);
	if (defs) {
		snprintf(defs->name[defs->n], sizeof defs->name[0], "%s", col);
		snprintf(defs->ms[defs->n], sizeof defs->ms[0], "%s", ms.p);
		defs->n++;
	}
	sb_printf(comments, "; COMMENT ON COLUMN %s.", table);
	emit_ident(comments, col, 0);
	sb_puts(comments, " IS ");
	emit_literal(comments, ms.p);
	sb_free(&ms);
	*pi = i;
	return 0;
}

static int key_list(struct xl *x, size_t *pi, size_t end, sbuf *o, char keys[][256], size_t *nkeys)
{
	size_t i = *pi;
	*nkeys = 0;
	if (!is_op(x, i, "("))
		return near(x, i);
	emit(o, "(");
	i++;
	for (;;) {
		if (i >= end || !is_name(x, i))
			return near(x, i);
		char c[256];
		name_of(x, i, c, sizeof c);
		emit_ident(o, c, 0);
		if (*nkeys < 32)
			snprintf(keys[(*nkeys)++], 256, "%s", c);
		i++;
		if (is_kw(x, i, "ASC"))
			i++;
		if (is_op(x, i, ",")) {
			emit(o, ",");
			i++;
			continue;
		}
		if (!is_op(x, i, ")"))
			return near(x, i);
		emit(o, ")");
		*pi = i + 1;
		return 0;
	}
}

/* After a CREATE TABLE or ALTER TABLE ADD of table (as parse_qname
 * prints it): what SQL Server refuses of its columns, row size and name
 * that PostgreSQL takes (tds_catalog.check_table, main.c), names
 * compared as coll, the collation they follow, compares them; uniq when
 * the statement declares a non-unique clustered index, whose
 * uniqueifier is one more column of the row. */
static void check_table(sbuf *o, const char *table, const char *coll, int uniq)
{
	sb_puts(o, "; CALL tds_catalog.check_table(");
	emit_literal(o, table);
	sb_puts(o, strstr(coll, "_CI") ? ", true" : ", false");
	sb_puts(o, uniq ? ", 1)" : ", 0)");
}

static int create_table(struct xl *x, size_t *pi, struct batch *b)
{
	size_t i = *pi + 2;
	sbuf o, name, comments;
	sb_init(&o);
	sb_init(&name);
	sb_init(&comments);
	struct coldefs *defs = NULL;
	sbuf keychecks;
	sb_init(&keychecks);
	int rc = -1;
	int temp = i < x->n && x->t[i].k == TK_WORD && x->t[i].s[0] == '#';
	if (i < x->n && x->t[i].k == TK_QID && x->t[i].v[0] == '#')
		temp = 1;
	if (parse_qname(x, &i, x->n, &name))
		goto out;
	sb_puts(&o, temp ? "CREATE TEMP TABLE " : "CREATE TABLE ");
	sb_puts(&o, name.p);
	if (!is_op(x, i, "(")) {
		near(x, i);
		goto out;
	}
	size_t close = match_paren(x, i, x->n);
	if (close == NPOS) {
		near(x, i);
		goto out;
	}
	emit(&o, "(");
	i++;
	if (!(defs = calloc(1, sizeof *defs)))
		abort();
	int clustered = 0, items = 0, uniq = 0;
	for (;;) {
		char cn[256] = "";
		int index = is_kw(x, i, "INDEX") && is_name(x, i + 1);
		if (!index && items++)
			emit(&o, ",");
		if (is_kw(x, i, "CONSTRAINT")) {
			if (!is_name(x, i + 1)) {
				near(x, i + 1);
				goto out;
			}
			name_of(x, i + 1, cn, sizeof cn);
			emit(&o, "CONSTRAINT");
			emit_ident(&o, cn, 0);
			i += 2;
		}
		if (index) {
			/* INDEX name [CLUSTERED | NONCLUSTERED] (cols): its
			 * key checked as a primary key's (1919, 1946), then a
			 * CREATE INDEX after the table, but on a #temp table
			 * (README: costs like SQL Server's). */
			char in[256];
			name_of(x, i + 1, in, sizeof in);
			i += 2;
			int nonclustered = 1;
			if (is_kw(x, i, "CLUSTERED") || is_kw(x, i, "NONCLUSTERED"))
				nonclustered = is_kw(x, i++, "NONCLUSTERED");
			if (clustered && !nonclustered) {
				xerr(x, 1902, "Cannot create more than one clustered index on table '%s'. Drop the existing "
				     "clustered index before creating another.", name.p);
				goto out;
			}
			clustered |= !nonclustered;
			uniq |= !nonclustered; /* an INDEX here is never UNIQUE */
			char keys[32][256];
			size_t nkeys;
			sbuf cols;
			sb_init(&cols);
			int bad = key_list(x, &i, close, &cols, keys, &nkeys) ||
				  key_check(x, defs, keys, nkeys, nonclustered, in, name.p, &keychecks);
			if (!bad && !temp) {
				sb_printf(&comments, "; CREATE INDEX ON %s", name.p);
				sb_puts(&comments, cols.p);
			}
			sb_free(&cols);
			if (bad)
				goto out;
		} else if ((is_kw(x, i, "PRIMARY") && is_kw(x, i + 1, "KEY")) || is_kw(x, i, "UNIQUE")) {
			int pk = is_kw(x, i, "PRIMARY"), nonclustered = !pk;
			if (clustered && !nonclustered) {
				xerr(x, 1902, "Cannot create more than one clustered index on table '%s'. Drop the existing "
				     "clustered index before creating another.", name.p);
				goto out;
			}
			emit(&o, pk ? "PRIMARY KEY" : "UNIQUE");
			i += pk ? 2 : 1;
			if (is_kw(x, i, "CLUSTERED") || is_kw(x, i, "NONCLUSTERED"))
				nonclustered = is_kw(x, i++, "NONCLUSTERED");
			clustered |= !nonclustered;
			char keys[32][256];
			size_t nkeys;
			if (key_list(x, &i, close, &o, keys, &nkeys) ||
			    key_check(x, defs, keys, nkeys, nonclustered, cn[0] ? cn : "PK", name.p, &keychecks))
				goto out;
		} else if (column_def(x, &i, close, name.p, &o, &comments, defs,
				      temp ? PEER_SERVER_COLLATION : x->ctx->db_collation))
			goto out;
		if (is_op(x, i, ",") && i < close) {
			i++;
			continue;
		}
		if (i != close) {
			near(x, i);
			goto out;
		}
		break;
	}
	if (keychecks.n)
		sb_puts(&o, keychecks.p);
	emit(&o, ")");
	sb_puts(&o, comments.p ? comments.p : "");
	check_table(&o, name.p, temp ? PEER_SERVER_COLLATION : x->ctx->db_collation, uniq);
	struct stmt *s = add_stmt(b, ST_SQL);
	s->sql = sb_take(&o);
	s->cmd = 0xC6;
	*pi = close + 1;
	rc = 0;
out:
	free(defs);
	sb_free(&keychecks);
	sb_free(&o);
	sb_free(&name);
	sb_free(&comments);
	return rc;
}

static int alter_table(struct xl *x, size_t *pi, struct batch *b)
{
	size_t i = *pi + 2;
	sbuf o, name, comments;
	sb_init(&o);
	sb_init(&name);
	sb_init(&comments);
	int rc = -1;
	if (parse_qname(x, &i, x->n, &name))
		goto out;
	if (!is_kw(x, i, "ADD")) {
		near(x, i);
		goto out;
	}
	i++;
	sb_printf(&o, "ALTER TABLE %s", name.p);
	for (;;) {
		emit(&o, "ADD COLUMN");
		if (column_def(x, &i, x->n, name.p, &o, &comments, NULL,
			       name.p[1] == '#' ? PEER_SERVER_COLLATION : x->ctx->db_collation))
			goto out;
		if (is_op(x, i, ",")) {
			emit(&o, ",");
			i++;
			continue;
		}
		break;
	}
	sb_puts(&o, comments.p ? comments.p : "");
	/* a #temp table's index is not kept (README), a table's is not
	 * known to be clustered: no uniqueifier counted (SUBSET.md) */
	check_table(&o, name.p, name.p[1] == '#' ? PEER_SERVER_COLLATION : x->ctx->db_collation, 0);
	struct stmt *s = add_stmt(b, ST_SQL);
	s->sql = sb_take(&o);
	*pi = i;
	rc = 0;
out:
	sb_free(&o);
	sb_free(&name);
	sb_free(&comments);
	return rc;
}

/* The table an INSERT [INTO] or MERGE [INTO] at i writes, into nm (as
 * parse_qname prints it); *pk after it. Non-zero when there is none (the
 * statement's translation says why). */
static int written_table(struct xl *x, size_t i, size_t *pk, size_t end, sbuf *nm)
{
	size_t k = i + 1;
	if (is_kw(x, k, "INTO"))
		k++;
	struct xlate_err save = *x->e;
	int bad = parse_qname(x, &k, end, nm) || !nm->p;
	*x->e = save;
	*pk = k;
	return bad;
}

/* Where OVERRIDING SYSTEM VALUE goes in the INSERT or MERGE at i (end:
 * its end) when it writes the table SET IDENTITY_INSERT is ON for: after
 * the column list of INSERT [INTO] t [WITH (…)] (…), or of MERGE's
 * THEN INSERT (…), whose '(' is *plist. NPOS otherwise. */
static size_t overriding_at(struct xl *x, size_t i, size_t end, size_t *plist)
{
	if (!x->identity_insert[0])
		return NPOS;
	int merge = is_kw(x, i, "MERGE");
	size_t k;
	sbuf nm;
	sb_init(&nm);
	int bad = written_table(x, i, &k, end, &nm) || strcmp(nm.p, x->identity_insert);
	sb_free(&nm);
	if (bad)
		return NPOS;
	if (merge) {
		while (k + 2 < end && !(is_kw(x, k, "THEN") && is_kw(x, k + 1, "INSERT") && is_op(x, k + 2, "(")))
			k++;
		k += 2;
	} else if (is_kw(x, k, "WITH") && is_op(x, k + 1, "(")) {
		size_t c = match_paren(x, k + 1, end);
		k = c == NPOS ? end : c + 1;
	}
	if (k >= end || !is_op(x, k, "("))
		return NPOS;
	size_t c = match_paren(x, k, end);
	*plist = k;
	return c == NPOS ? NPOS : c + 1;
}

/* The column list of the INSERT overriding_at found ('(' at k, ')' before
 * ov) onto st, for the check of its IDENTITY column before it runs. */
static void identity_insert_cols(struct xl *x, size_t k, size_t ov, struct stmt *st)
{
	sbuf cols;
	sb_init(&cols);
	size_t n = 0;
	for (k++; k + 1 < ov; k++)
		if (is_name(x, k)) {
			char col[256];
			name_of(x, k, col, sizeof col);
			sb_putn(&cols, col, strlen(col) + 1);
			n++;
		}
	st->ident_table = strdup(x->identity_insert);
	st->ident_cols = n ? sb_take(&cols) : NULL;
	st->nident_cols = n;
	sb_free(&cols);
}

/* An INSERT [INTO] t [WITH (…)] VALUES (…) or … SELECT without a column
 * list ('INSERT' at i): t, the number of values of the first row (-1 for
 * a SELECT) and whether IDENTITY_INSERT is ON for t onto st, for the
 * check of an IDENTITY column before it runs (8101, pgexec.c). */
static void insert_without_list(struct xl *x, size_t i, size_t end, struct stmt *st)
{
	size_t k;
	sbuf nm;
	sb_init(&nm);
	if (written_table(x, i, &k, end, &nm)) {
		sb_free(&nm);
		return;
	}
	if (is_kw(x, k, "WITH") && is_op(x, k + 1, "(")) {
		size_t c = match_paren(x, k + 1, end);
		k = c == NPOS ? end : c + 1;
	}
	int n = -1;
	if (k + 1 < end && is_kw(x, k, "VALUES") && is_op(x, k + 1, "(")) {
		size_t c = match_paren(x, k + 1, end);
		int depth = 0;
		n = c == NPOS || c == k + 2 ? 0 : 1;
		for (size_t j = k + 2; c != NPOS && j < c; j++)
			if (is_op(x, j, "("))
				depth++;
			else if (is_op(x, j, ")"))
				depth--;
			else if (depth == 0 && is_op(x, j, ","))
				n++;
	} else if (!(k < end && is_kw(x, k, "SELECT"))) {
		sb_free(&nm);
		return;
	}
	st->nolist_on = x->identity_insert[0] && !strcmp(nm.p, x->identity_insert);
	st->nolist_values = n;
	st->nolist_table = sb_take(&nm);
	sb_free(&nm);
}

/* The end of the expression starting at token i: the first ',' or
 * one of the words stop (NULL-terminated) outside parentheses and CASE,
 * or a ')' closing one opened before i. */
static size_t expr_end(const struct xl *x, size_t i, size_t end, const char *const *stop)
{
	int depth = 0, cases = 0;
	for (; i < end; i++) {
		if (is_op(x, i, "("))
			depth++;
		else if (is_op(x, i, ")") && depth-- == 0)
			return i;
		else if (is_kw(x, i, "CASE"))
			cases++;
		else if (is_kw(x, i, "END") && cases > 0)
			cases--;
		else if (depth == 0 && cases == 0) {
			if (is_op(x, i, ","))
				return i;
			for (const char *const *w = stop; *w; w++)
				if (is_kw(x, i, *w))
					return i;
		}
	}
	return end;
}

static void add_wrap(struct xl *x, size_t a, size_t b, const char *col)
{
	if (a >= b || (x->nwraps && a <= x->wraps[x->nwraps - 1].a))
		return; /* out of token order: wrap_at could not find it */
	if (x->nwraps == x->capwraps) {
		size_t cap = x->capwraps ? 2 * x->capwraps : 64;
		struct wrap *p = realloc(x->wraps, cap * sizeof *p);
		if (!p)
			return;
		x->wraps = p;
		x->capwraps = cap;
	}
	struct wrap *w = &x->wraps[x->nwraps++];
	w->a = a;
	w->b = b;
	w->done = 0;
	snprintf(w->col, sizeof w->col, "%s", col);
}

/* Expression [a, b) assigned to column col: wrapped whole, or, when it
 * is one CASE … END, each of its results (PostgreSQL cannot resolve a
 * CASE of a string and a number, which SQL Server resolves by data type
 * precedence: the string converts; assigned, to the column's type). */
static void wrap_assigned(struct xl *x, size_t a, size_t b, const char *col)
{
	static const char *const res_end[] = {"WHEN", "ELSE", "END", NULL};
	if (!is_kw(x, a, "CASE") || !is_kw(x, b - 1, "END") || expr_end(x, a, b, res_end + 3) != b) {
		add_wrap(x, a, b, col);
		return;
	}
	for (size_t k = a + 1; k < b - 1;) {
		if (is_kw(x, k, "THEN") || is_kw(x, k, "ELSE")) {
			size_t e = expr_end(x, k + 1, b - 1, res_end);
			add_wrap(x, k + 1, e, col);
			k = e;
		} else if (is_kw(x, k, "WHEN")) {
			static const char *const then[] = {"THEN", NULL};
			k = expr_end(x, k + 1, b - 1, then);
		} else {
			k++;
		}
	}
}

/* "( [a], [b] )" at *pi: the column names. */
static size_t column_list(struct xl *x, size_t *pi, size_t end, char cols[][256], size_t cap)
{
	size_t n = 0, i = *pi;
	if (!is_op(x, i, "("))
		return 0;
	for (i++; i < end && is_name(x, i) && n < cap; i++) {
		name_of(x, i, cols[n++], sizeof cols[0]);
		if (!is_op(x, ++i, ","))
			break;
	}
	if (!is_op(x, i, ")"))
		return 0;
	*pi = i + 1;
	return n;
}

/* A list of n values from token k, assigned to cols in order. */
static void wrap_values(struct xl *x, size_t k, size_t end, char cols[][256], size_t n, const char *const *stop)
{
	for (size_t c = 0; c < n && k < end; c++) {
		size_t e = expr_end(x, k, end, stop);
		wrap_assigned(x, k, e, cols[c]);
		if (!is_op(x, e, ","))
			break;
		k = e + 1;
	}
}

/* The values a MERGE (UPDATE SET, INSERT … VALUES), an INSERT … SELECT
 * or an INSERT … VALUES statement at i assigns to its target's columns
 * (x->wraps). A literal of INSERT … VALUES too: PostgreSQL would read
 * N'' or N' 5 ' by its own type's input rules, not by SQL Server's. */
static void assign_spans(struct xl *x, size_t i, size_t end)
{
	x->nwraps = 0;
	x->wtable[0] = 0;
	int merge = is_kw(x, i, "MERGE");
	if (!merge && !is_kw(x, i, "INSERT"))
		return;
	size_t k;
	sbuf nm;
	sb_init(&nm);
	int bad = written_table(x, i, &k, end, &nm);
	if (!bad)
		snprintf(x->wtable, sizeof x->wtable, "%s", nm.p);
	sb_free(&nm);
	if (bad)
		return;
	/* SQL Server's most columns of a table */
	static char cols[1024][256];
	static const char *const none[] = {NULL};
	if (!merge) {
		if (is_kw(x, k, "WITH") && is_op(x, k + 1, "(")) {
			size_t c = match_paren(x, k + 1, end);
			k = c == NPOS ? end : c + 1;
		}
		size_t n = column_list(x, &k, end, cols, 1024);
		if (n && is_kw(x, k, "SELECT")) {
			static const char *const from[] = {"FROM", NULL};
			wrap_values(x, k + 1, end, cols, n, from);
		} else if (n && is_kw(x, k, "VALUES")) {
			for (k++; is_op(x, k, "(");) {
				size_t c = match_paren(x, k, end);
				if (c == NPOS)
					return;
				wrap_values(x, k + 1, c, cols, n, none);
				if (!is_op(x, c + 1, ","))
					return;
				k = c + 2;
			}
		}
		return;
	}
	for (; k + 2 < end; k++) {
		if (is_kw(x, k, "THEN") && is_kw(x, k + 1, "UPDATE") && is_kw(x, k + 2, "SET")) {
			static const char *const when[] = {"WHEN", NULL};
			k += 3;
			while (k + 2 < end && is_name(x, k) && is_op(x, k + 1, "=")) {
				char col[256];
				name_of(x, k, col, sizeof col);
				size_t e = expr_end(x, k + 2, end, when);
				wrap_assigned(x, k + 2, e, col);
				k = e;
				if (!is_op(x, k, ","))
					break;
				k++;
			}
		}
		if (is_kw(x, k, "THEN") && is_kw(x, k + 1, "INSERT") && is_op(x, k + 2, "(")) {
			k += 2;
			size_t n = column_list(x, &k, end, cols, 1024);
			if (!n || !is_kw(x, k, "VALUES") || !is_op(x, k + 1, "("))
				continue;
			wrap_values(x, k + 2, end, cols, n, none);
		}
	}
}

static int generic(struct xl *x, size_t *pi, struct batch *b, enum stmt_kind kind, uint16_t cmd)
{
	size_t i = *pi, end = stmt_end(x, i);
	assign_spans(x, i, end);
	x->lower_qid = 0;
	for (size_t k = i; k < end; k++)
		if (is_kw(x, k, "INFORMATION_SCHEMA"))
			x->lower_qid = 1;
	sbuf o;
	sb_init(&o);
	size_t list = NPOS;
	size_t ov = is_kw(x, i, "INSERT") || is_kw(x, i, "MERGE") ? overriding_at(x, i, end, &list) : NPOS;
	if (ov != NPOS) {
		if (xl_range(x, i, ov, &o)) {
			sb_free(&o);
			return -1;
		}
		emit(&o, "OVERRIDING SYSTEM VALUE");
	}
	if (xl_range(x, ov != NPOS ? ov : i, end, &o)) {
		sb_free(&o);
		return -1;
	}
	/* TRUNCATE TABLE resets an IDENTITY column's counter to its seed
	 * (TRUNCATE TABLE, Remarks); PostgreSQL's keeps the sequence unless
	 * told (pgexec.c's truncate_refused reads the name before it) */
	if (is_kw(x, i, "TRUNCATE"))
		emit(&o, TRUNCATE_RESTART);
	x->nwraps = 0;
	struct stmt *s = add_stmt(b, kind);
	if (ov != NPOS)
		identity_insert_cols(x, list, ov, s);
	else if (is_kw(x, i, "INSERT"))
		insert_without_list(x, i, end, s);
	s->sql = sb_take(&o);
	s->tsql = strndup(x->t[i].s, (size_t)(x->t[end - 1].s + x->t[end - 1].n - x->t[i].s));
	s->cmd = cmd;
	s->single = kind == ST_SQL; /* xl_range refuses a ';' inside */
	/* SELECT * FROM t: FMTONLY describes t from the catalog */
	if (kind == ST_SELECT && is_op(x, i + 1, "*") && is_kw(x, i + 2, "FROM")) {
		size_t k = i + 3;
		sbuf nm;
		sb_init(&nm);
		struct xlate_err save = *x->e;
		if (parse_qname(x, &k, end, &nm) == 0 && k == end)
			s->name = sb_take(&nm);
		*x->e = save;
		sb_free(&nm);
	}
	*pi = end;
	return 0;
}

/* IF @@ROWCOUNT <op> N THROW number, N'message', state — the one IF of
 * the subset (mssql-apply's checkpoint guard). */
static int if_throw(struct xl *x, size_t *pi, struct batch *b)
{
	size_t i = *pi + 1;
	static const char *const ops[] = {"=", "<>", "<", "<=", ">", ">=", NULL};
	if (i >= x->n || x->t[i].k != TK_VAR || x->t[i].n != 10 || strncasecmp(x->t[i].s, "@@ROWCOUNT", 10))
		return xerr(x, 102, "IF is outside the subset of the TDS test peer (but IF @@ROWCOUNT ... THROW).");
	i++;
	int op = -1;
	for (int k = 0; ops[k]; k++)
		if (is_op(x, i, ops[k]))
			op = k;
	if (is_op(x, i, "!="))
		op = IF_NE;
	if (op < 0)
		return near(x, i);
	i++;
	if (i >= x->n || x->t[i].k != TK_NUM)
		return near(x, i);
	long long value = strtoll(x->t[i].s, NULL, 10);
	i++;
	if (!is_kw(x, i, "THROW"))
		return near(x, i);
	i++;
	if (i + 4 >= x->n || x->t[i].k != TK_NUM || !is_op(x, i + 1, ",") || x->t[i + 2].k != TK_STR ||
	    !is_op(x, i + 3, ",") || x->t[i + 4].k != TK_NUM)
		return near(x, i);
	long number = strtol(x->t[i].s, NULL, 10);
	if (number < 50000)
		return xerr(x, 35100, "Error number %ld in the THROW statement is outside the valid range. "
			    "Specify an error number in the valid range of 50000 to 2147483647.", number);
	struct stmt *s = add_stmt(b, ST_IF_THROW);
	s->if_op = op;
	s->if_value = value;
	s->throw_number = (int)number;
	s->name = strdup(x->t[i + 2].v);
	*pi = i + 5;
	return 0;
}

/* EXEC sp_executesql N'stmt' [, N'declarations' [, @name = value] …]:
 * what an RPC of sp_executesql does, written as T-SQL (mssql-apply
 * --print-sql prints it so). Values: N'strings', numbers, NULL. */
static int exec_executesql(struct xl *x, size_t *pi, struct batch *b)
{
	size_t i = *pi + 2;
	if (i >= x->n || x->t[i].k != TK_STR)
		return xerr(x, 214, "Procedure expects parameter '@statement' of type 'ntext/nchar/nvarchar'.");
	struct stmt *s = add_stmt(b, ST_EXECUTESQL);
	s->name = strdup(x->t[i].v);
	i++;
	if (is_op(x, i, ",") && i + 1 < x->n && x->t[i + 1].k == TK_STR)
		i += 2; /* the declarations: the values carry their types */
	while (is_op(x, i, ",")) {
		if (i + 3 >= x->n || x->t[i + 1].k != TK_VAR || !is_op(x, i + 2, "="))
			return near(x, i + 1);
		s->params = realloc(s->params, (s->nparams + 1) * sizeof *s->params);
		if (!s->params)
			abort();
		struct rpc_param *p = &s->params[s->nparams++];
		memset(p, 0, sizeof *p);
		snprintf(p->name, sizeof p->name, "%.*s", (int)x->t[i + 1].n, x->t[i + 1].s);
		size_t v = i + 3;
		int neg = is_op(x, v, "-");
		if (neg)
			v++;
		if (v < x->n && x->t[v].k == TK_STR && !neg) {
			p->text = strdup(x->t[v].v);
		} else if (v < x->n && x->t[v].k == TK_NUM) {
			p->is_number = 1;
			p->text = malloc(x->t[v].n + 2);
			if (!p->text)
				abort();
			snprintf(p->text, x->t[v].n + 2, "%s%.*s", neg ? "-" : "", (int)x->t[v].n, x->t[v].s);
		} else if (is_kw(x, v, "NULL") && !neg) {
			p->is_null = 1;
		} else {
			return near(x, v);
		}
		i = v + 1;
	}
	*pi = i;
	return 0;
}

static int txn_word(struct xl *x, size_t *pi)
{
	size_t i = *pi + 1;
	if (is_kw(x, i, "TRAN") || is_kw(x, i, "TRANSACTION") || is_kw(x, i, "WORK")) {
		i++;
		/* an optional transaction name */
		if (i < x->n && x->t[i].k == TK_WORD && !starts_stmt(x, i))
			i++;
	}
	*pi = i;
	return 0;
}

int tsql_translate(const char *sql, const struct xlate_ctx *ctx, struct batch *b, struct xlate_err *e)
{
	struct xl x = {.ctx = ctx, .e = e};
	snprintf(x.identity_insert, sizeof x.identity_insert, "%s", ctx->identity_insert ? ctx->identity_insert : "");
	memset(b, 0, sizeof *b);
	e->number = 0;
	e->msg[0] = 0;
	int rc = tokenize(&x, sql);
	size_t i = 0;
	while (rc == 0 && i < x.n) {
		if (x.t[i].k == TK_SEMI) {
			i++;
			continue;
		}
		if (is_kw(&x, i, "SET")) {
			rc = parse_set(&x, &i, b);
		} else if (is_kw(&x, i, "BEGIN")) {
			if (!is_kw(&x, i + 1, "TRAN") && !is_kw(&x, i + 1, "TRANSACTION")) {
				rc = xerr(&x, 102, "BEGIN ... END blocks are outside the subset of the TDS test peer.");
				break;
			}
			txn_word(&x, &i);
			add_stmt(b, ST_BEGIN);
		} else if (is_kw(&x, i, "COMMIT")) {
			txn_word(&x, &i);
			add_stmt(b, ST_COMMIT);
			b->has_commit = 1;
		} else if (is_kw(&x, i, "ROLLBACK")) {
			txn_word(&x, &i);
			add_stmt(b, ST_ROLLBACK);
		} else if (is_kw(&x, i, "IF")) {
			rc = if_throw(&x, &i, b);
		} else if (is_kw(&x, i, "USE")) {
			if (!is_name(&x, i + 1)) {
				rc = near(&x, i + 1);
				break;
			}
			char db[256];
			name_of(&x, i + 1, db, sizeof db);
			struct stmt *s = add_stmt(b, ST_USE);
			s->name = strdup(db);
			i += 2;
		} else if (is_kw(&x, i, "CREATE") && is_kw(&x, i + 1, "SCHEMA")) {
			char sc[256];
			if (!is_name(&x, i + 2)) {
				rc = near(&x, i + 2);
				break;
			}
			name_of(&x, i + 2, sc, sizeof sc);
			sbuf o;
			sb_init(&o);
			sb_puts(&o, "CREATE SCHEMA ");
			emit_ident(&o, sc, 0);
			struct stmt *s = add_stmt(b, ST_SQL);
			s->sql = sb_take(&o);
			i += 3;
		} else if (is_kw(&x, i, "CREATE") && is_kw(&x, i + 1, "TABLE")) {
			rc = create_table(&x, &i, b);
		} else if (is_kw(&x, i, "ALTER") && is_kw(&x, i + 1, "TABLE")) {
			rc = alter_table(&x, &i, b);
		} else if (is_kw(&x, i, "INSERT") && is_kw(&x, i + 1, "BULK")) {
			size_t k = i + 2;
			sbuf nm;
			sb_init(&nm);
			rc = parse_qname(&x, &k, x.n, &nm);
			if (rc == 0) {
				struct stmt *s = add_stmt(b, ST_BULK);
				s->name = sb_take(&nm);
				/* the column list and hints are FreeTDS's; COLMETADATA follows */
				if (is_op(&x, k, "(")) {
					size_t c = match_paren(&x, k, x.n);
					k = c == NPOS ? x.n : c + 1;
				}
				if (is_kw(&x, k, "WITH") && is_op(&x, k + 1, "(")) {
					size_t c = match_paren(&x, k + 1, x.n);
					for (size_t h = k + 2; h < (c == NPOS ? x.n : c); h++)
						if (is_kw(&x, h, "KEEPIDENTITY"))
							s->keepidentity = 1;
						else if (is_kw(&x, h, "CHECK_CONSTRAINTS"))
							s->check_constraints = 1;
						else if (is_kw(&x, h, "FIRE_TRIGGERS"))
							s->fire_triggers = 1;
					k = c == NPOS ? x.n : c + 1;
				}
				i = k;
			}
			sb_free(&nm);
		} else if (is_kw(&x, i, "SELECT")) {
			rc = generic(&x, &i, b, ST_SELECT, 0xC1);
		} else if (is_kw(&x, i, "INSERT")) {
			rc = generic(&x, &i, b, ST_SQL, 0xC3);
		} else if (is_kw(&x, i, "DELETE")) {
			rc = generic(&x, &i, b, ST_SQL, 0xC4);
		} else if (is_kw(&x, i, "MERGE")) {
			rc = generic(&x, &i, b, ST_SQL, 0x117);
		} else if (is_kw(&x, i, "TRUNCATE") && is_kw(&x, i + 1, "TABLE") && i + 2 < x.n &&
			   ((x.t[i + 2].k == TK_WORD && x.t[i + 2].s[0] == '#') ||
			    (x.t[i + 2].k == TK_QID && x.t[i + 2].v[0] == '#'))) {
			/* A #temp: PostgreSQL's TRUNCATE swaps the table's files (a
			 * few ms), SQL Server's is cheap; DELETE costs what it should,
			 * and pgexec.c truncates now and then (temp_truncate). */
			size_t end = stmt_end(&x, i);
			sbuf o;
			sb_init(&o);
			sb_puts(&o, "DELETE FROM ");
			if (xl_range(&x, i + 2, end, &o)) {
				sb_free(&o);
				rc = -1;
			} else {
				struct stmt *s = add_stmt(b, ST_SQL);
				s->sql = sb_take(&o);
				s->single = 1;
				s->temp_truncate = 1;
				i = end;
			}
		} else if ((is_kw(&x, i, "TRUNCATE") || is_kw(&x, i, "DROP")) && is_kw(&x, i + 1, "TABLE")) {
			rc = generic(&x, &i, b, ST_SQL, 0);
		} else if ((is_kw(&x, i, "EXEC") || is_kw(&x, i, "EXECUTE")) && is_kw(&x, i + 1, "sp_executesql")) {
			rc = exec_executesql(&x, &i, b);
		} else if (is_kw(&x, i, "EXEC") || is_kw(&x, i, "EXECUTE") ||
			   (i == 0 && is_name(&x, i) && !starts_stmt(&x, i))) {
			size_t k = is_kw(&x, i, "EXEC") || is_kw(&x, i, "EXECUTE") ? i + 1 : i;
			char p[256] = "";
			if (is_name(&x, k))
				name_of(&x, k, p, sizeof p);
			rc = xerr(&x, 2812, "Could not find stored procedure '%s'.", p);
		} else {
			rc = near(&x, i);
		}
	}
	for (size_t k = 0; k < x.n; k++)
		free(x.t[k].v);
	free(x.t);
	free(x.wraps);
	if (rc) {
		batch_free(b);
		if (!e->number)
			e->number = 102;
	}
	return rc;
}

void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].sql);
		free(b->v[i].tsql);
		free(b->v[i].name);
		free(b->v[i].ident_table);
		free(b->v[i].ident_cols);
		free(b->v[i].nolist_table);
		for (size_t k = 0; k < b->v[i].nparams; k++)
			free(b->v[i].params[k].text);
		free(b->v[i].params);
	}
	free(b->v);
	memset(b, 0, sizeof *b);
}

/* ---- collation precedence ----
 *
 * SQL Server labels every string expression (Collation Precedence,
 * https://learn.microsoft.com/en-us/sql/t-sql/statements/collation-precedence-transact-sql):
 * a literal or variable is Coercible-default, a column reference Implicit
 * (its column's collation, COLLATE in CREATE TABLE or not), `x COLLATE c`
 * Explicit; "Implicit X + Implicit Y = No-collation". Comparison operators
 * are collation sensitive: "specifying a No-collation operand is a
 * compile-time error" — so `a.x = b.y` across two collations is refused
 * (468; 446 for an operand already without one) before a row is read,
 * empty tables or not. CASE and UNION ALL are
 * collation insensitive (their result may be No-collation), the assignment
 * operator too ("the right expression is cast to the left collation"); but
 * a No-collation expression "cannot appear in the select list" (451).
 * PostgreSQL only fails when it compares rows, so the peer checks this
 * itself, just before the statement runs (tables of the batch exist by
 * then, as SQL Server compiles a statement on a table created in its
 * batch when it reaches it). Whatever it cannot label (a function, a
 * VALUES table, an unknown column) it leaves alone: no false conflict. */

enum clab { CL_NONE, CL_UNKNOWN, CL_DEFAULT, CL_IMPLICIT, CL_EXPLICIT, CL_NOCOLL };

struct label {
	enum clab k;    /* CL_NONE: not a string, takes no part */
	char a[130];    /* the collation; No-collation: the two in conflict */
	char b[130];
	const char *op; /* No-collation: the operator that made it */
};

struct csrc {
	char alias[256];
	char table[600]; /* PostgreSQL name; "" for a derived table */
	size_t sel;      /* derived (SELECT …): its SELECT token, else NPOS */
	size_t lo, hi;   /* tokens where the alias is visible */
	size_t after;    /* in a FROM list: the token after it (a ',' goes on), else NPOS */
};

struct cchk {
	struct xl *x;
	const struct coll_lookup *lk;
	struct csrc src[64];
	size_t nsrc;
	int depth;
};

static void lab_set(struct label *l, enum clab k, const char *coll)
{
	l->k = k;
	snprintf(l->a, sizeof l->a, "%s", coll ? coll : "");
	l->b[0] = 0;
	l->op = NULL;
}

/* The label of two operands combined (the table of the page); for a
 * comparison, two Explicit ones in conflict are an error (*conflict). */
static struct label lab_combine(const struct label *l, const struct label *r, const char *op, int *conflict)
{
	struct label out;
	if (l->k == CL_UNKNOWN || r->k == CL_UNKNOWN) {
		lab_set(&out, CL_UNKNOWN, NULL);
		return out;
	}
	if (l->k == CL_NONE)
		return *r;
	if (r->k == CL_NONE)
		return *l;
	if (l->k == CL_EXPLICIT && r->k == CL_EXPLICIT && strcasecmp(l->a, r->a)) {
		*conflict = 1;
		lab_set(&out, CL_UNKNOWN, NULL);
		/* SQL Server names the right operand's first */
		snprintf(out.a, sizeof out.a, "%s", r->a);
		snprintf(out.b, sizeof out.b, "%s", l->a);
		return out;
	}
	if (l->k == CL_EXPLICIT)
		return *l;
	if (r->k == CL_EXPLICIT)
		return *r;
	if (l->k == CL_NOCOLL)
		return *l;
	if (r->k == CL_NOCOLL)
		return *r;
	if (l->k == CL_IMPLICIT && r->k == CL_IMPLICIT && strcasecmp(l->a, r->a)) {
		lab_set(&out, CL_NOCOLL, r->a);
		snprintf(out.b, sizeof out.b, "%s", l->a);
		out.op = op;
		return out;
	}
	return l->k >= r->k ? *l : *r;
}

static int cexpr(struct cchk *c, size_t *pi, size_t end, struct label *out);

/* The innermost parentheses around token p (the scope of a name defined
 * there), or the statement. */
static void scope_of(const struct xl *x, size_t p, size_t end, size_t *lo, size_t *hi)
{
	*lo = 0;
	*hi = end;
	int depth = 0;
	for (size_t i = p; i-- > 0;) {
		if (is_op(x, i, ")"))
			depth++;
		else if (is_op(x, i, "(")) {
			if (depth == 0) {
				size_t m = match_paren(x, i, end);
				*lo = i;
				*hi = m == NPOS ? end : m;
				return;
			}
			depth--;
		}
	}
}

static int is_clause_word(const struct xl *x, size_t i)
{
	static const char *const w[] = {"WHERE", "ON", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "OUTER",
					"USING", "SELECT", "VALUES", "WITH", "SET", "WHEN", "GROUP", "ORDER", "UNION",
					"OUTPUT", "DEFAULT", "FROM", "AS", "OPTION", "HAVING", "EXCEPT", "INTERSECT"};
	for (size_t k = 0; k < sizeof w / sizeof w[0]; k++)
		if (is_kw(x, i, w[k]))
			return 1;
	return 0;
}

/* The row sources of a statement: FROM / JOIN / INTO / USING / UPDATE /
 * DELETE FROM t [WITH (…)] [AS] alias, and derived tables "(SELECT …) AS a". */
static void collect_sources(struct cchk *c, size_t end)
{
	struct xl *x = c->x;
	for (size_t i = 0; i + 1 < end && c->nsrc < sizeof c->src / sizeof c->src[0]; i++) {
		/* FROM a AS x, b AS y: the comma is a source's too */
		int from_list = is_op(x, i, ",") && c->nsrc > 0 && c->src[c->nsrc - 1].after == i;
		if (!is_kw(x, i, "FROM") && !is_kw(x, i, "JOIN") && !is_kw(x, i, "INTO") && !is_kw(x, i, "USING") &&
		    !is_kw(x, i, "UPDATE") && !from_list)
			continue;
		struct csrc *s = &c->src[c->nsrc];
		memset(s, 0, sizeof *s);
		s->sel = NPOS;
		size_t k = i + 1;
		char last[256] = "";
		if (is_op(x, k, "(")) {
			size_t m = match_paren(x, k, end);
			if (m == NPOS)
				continue;
			if (is_kw(x, k + 1, "SELECT"))
				s->sel = k + 1;
			k = m + 1;
		} else if (is_name(x, k) && !is_clause_word(x, k)) {
			sbuf nm;
			sb_init(&nm);
			struct xlate_err save = *x->e;
			size_t q = k;
			int bad = parse_qname(x, &q, end, &nm);
			*x->e = save;
			if (bad) {
				sb_free(&nm);
				continue;
			}
			name_of(x, q - 1, last, sizeof last);
			snprintf(s->table, sizeof s->table, "%s", nm.p ? nm.p : "");
			sb_free(&nm);
			k = q;
			if (is_kw(x, k, "WITH") && is_op(x, k + 1, "(")) {
				size_t m = match_paren(x, k + 1, end);
				k = m == NPOS ? end : m + 1;
			}
		} else {
			continue;
		}
		if (is_kw(x, k, "AS") && is_name(x, k + 1))
			name_of(x, k + 1, s->alias, sizeof s->alias);
		else if (is_name(x, k) && !is_clause_word(x, k))
			name_of(x, k, s->alias, sizeof s->alias);
		else if (last[0])
			snprintf(s->alias, sizeof s->alias, "%s", last);
		else
			continue; /* a derived table needs its alias */
		/* a derived table's column names, "AS a ([x], [y])", are left alone */
		if (s->sel != NPOS && is_op(x, k + (is_kw(x, k, "AS") ? 2 : 1), "("))
			s->sel = NPOS;
		scope_of(x, i, end, &s->lo, &s->hi);
		/* where a next source of a FROM list would begin */
		k += is_kw(x, k, "AS") ? 2 : (is_name(x, k) && !is_clause_word(x, k)) ? 1 : 0;
		if (s->sel == NPOS && !s->table[0] && is_op(x, k, "("))
			k = match_paren(x, k, end) == NPOS ? end : match_paren(x, k, end) + 1;
		s->after = (is_kw(x, i, "FROM") || from_list) ? k : NPOS;
		c->nsrc++;
	}
}

/* The label of column col of a derived table's SELECT at sel. */
static void derived_column(struct cchk *c, size_t sel, const char *col, struct label *out)
{
	struct xl *x = c->x;
	lab_set(out, CL_UNKNOWN, NULL);
	size_t close = NPOS;
	if (sel > 0)
		close = match_paren(x, sel - 1, x->n);
	if (close == NPOS || c->depth > 8)
		return;
	size_t i = sel + 1;
	while (i < close && !is_kw(x, i, "FROM")) {
		size_t start = i;
		int depth = 0;
		while (i < close && !(depth == 0 && (is_op(x, i, ",") || is_kw(x, i, "FROM")))) {
			if (is_op(x, i, "("))
				depth++;
			else if (is_op(x, i, ")"))
				depth--;
			i++;
		}
		/* item: expr [AS name]; or a column reference named as its column */
		char nm[256] = "";
		size_t stop = i;
		if (i >= start + 2 && is_kw(x, i - 2, "AS") && is_name(x, i - 1)) {
			name_of(x, i - 1, nm, sizeof nm);
			stop = i - 2;
		} else if (is_name(x, i - 1)) {
			name_of(x, i - 1, nm, sizeof nm);
		}
		if (nm[0] && !strcasecmp(nm, col)) {
			size_t p = start;
			c->depth++;
			struct label l;
			int rc = cexpr(c, &p, stop, &l);
			c->depth--;
			if (rc == 0 && p == stop)
				*out = l;
			return;
		}
		if (is_op(x, i, ","))
			i++;
	}
}

/* A column reference [q.]…[col] at token p. */
static void column_label(struct cchk *c, size_t p, const char *qual, const char *col, struct label *out)
{
	lab_set(out, CL_UNKNOWN, NULL);
	const struct csrc *best = NULL;
	size_t nin = 0;
	for (size_t k = 0; k < c->nsrc; k++) {
		const struct csrc *s = &c->src[k];
		if (p < s->lo || p > s->hi)
			continue;
		if (!qual) {
			nin++;
			best = s;
			continue;
		}
		if (strcasecmp(s->alias, qual))
			continue;
		if (!best || s->hi - s->lo < best->hi - best->lo)
			best = s;
	}
	if (!best || (!qual && nin != 1)) /* an unqualified name of one source only */
		return;
	if (!best->table[0]) {
		if (best->sel != NPOS)
			derived_column(c, best->sel, col, out);
		return;
	}
	char coll[130];
	int r = c->lk->column(c->lk->arg, best->table, col, coll, sizeof coll);
	if (r == 0)
		lab_set(out, CL_NONE, NULL);
	else if (r > 0)
		lab_set(out, CL_IMPLICIT, coll);
}

static int is_string_type(const char *w)
{
	static const char *const t[] = {"char", "varchar", "nchar", "nvarchar", "text", "ntext", "sysname"};
	for (size_t k = 0; k < sizeof t / sizeof t[0]; k++)
		if (!strcasecmp(w, t[k]))
			return 1;
	return 0;
}

/* One operand: literal, variable, column, CASE, CAST/CONVERT, (expr),
 * function; then COLLATE. *pi past it; 1 when it is not one. */
static int cprimary(struct cchk *c, size_t *pi, size_t end, struct label *out)
{
	struct xl *x = c->x;
	size_t i = *pi;
	if (i >= end)
		return 1;
	const struct tok *t = &x->t[i];
	lab_set(out, CL_UNKNOWN, NULL);
	if (t->k == TK_STR || t->k == TK_VAR) {
		lab_set(out, CL_DEFAULT, NULL);
		i++;
	} else if (t->k == TK_NUM || t->k == TK_HEX || is_kw(x, i, "NULL")) {
		lab_set(out, CL_NONE, NULL);
		i++;
	} else if (is_op(x, i, "-") || is_op(x, i, "+") || is_op(x, i, "~")) {
		*pi = i + 1;
		int r = cprimary(c, pi, end, out);
		lab_set(out, CL_NONE, NULL);
		return r;
	} else if (is_op(x, i, "(")) {
		size_t m = match_paren(x, i, end);
		if (m == NPOS)
			return 1;
		size_t p = i + 1;
		if (!is_kw(x, p, "SELECT") && !is_kw(x, p, "VALUES")) {
			int r = cexpr(c, &p, m, out);
			if (r < 0)
				return r;
			if (r > 0 || p != m)
				lab_set(out, CL_UNKNOWN, NULL);
		}
		i = m + 1;
	} else if (is_kw(x, i, "CASE")) {
		/* CASE [input] WHEN … THEN r … [ELSE r] END: the results combined
		 * (collation insensitive: No-collation is its result, no error) */
		int depth = 0, have = 0, in_result = 0;
		struct label acc;
		lab_set(&acc, CL_NONE, NULL);
		size_t k = i + 1;
		for (; k < end; k++) {
			if (is_op(x, k, "(")) {
				size_t m = match_paren(x, k, end);
				if (m == NPOS)
					return 1;
				k = m;
				continue;
			}
			if (is_kw(x, k, "CASE") && !in_result) {
				depth++;
				continue;
			}
			if (is_kw(x, k, "END") && !in_result) {
				if (depth-- == 0)
					break;
				continue;
			}
			if (depth == 0 && (is_kw(x, k, "THEN") || is_kw(x, k, "ELSE"))) {
				size_t p = k + 1;
				struct label r;
				int rc = cexpr(c, &p, end, &r);
				if (rc < 0)
					return rc;
				if (rc > 0)
					return 1;
				int conflict = 0;
				acc = lab_combine(&acc, &r, "CASE", &conflict);
				if (conflict)
					lab_set(&acc, CL_UNKNOWN, NULL);
				have = 1;
				k = p - 1;
				if (!is_kw(x, p, "WHEN") && !is_kw(x, p, "ELSE") && !is_kw(x, p, "END"))
					return 1;
			}
		}
		if (k >= end || !have)
			return 1;
		*out = acc;
		i = k + 1;
	} else if ((is_kw(x, i, "CAST") || is_kw(x, i, "CONVERT") || is_kw(x, i, "TRY_CAST") ||
		    is_kw(x, i, "TRY_CONVERT")) && is_op(x, i + 1, "(")) {
		size_t m = match_paren(x, i + 1, end);
		if (m == NPOS)
			return 1;
		int cast = is_kw(x, i, "CAST") || is_kw(x, i, "TRY_CAST");
		size_t p = i + 2, ty;
		struct label in;
		lab_set(&in, CL_UNKNOWN, NULL);
		if (cast) {
			int rc = cexpr(c, &p, m, &in);
			if (rc < 0)
				return rc;
			if (rc > 0 || !is_kw(x, p, "AS"))
				lab_set(&in, CL_UNKNOWN, NULL);
			ty = p + 1;
		} else {
			ty = p;
			while (p < m && !is_op(x, p, ","))
				p++;
			if (p < m) {
				p++;
				int rc = cexpr(c, &p, m, &in);
				if (rc < 0)
					return rc;
				if (rc > 0)
					lab_set(&in, CL_UNKNOWN, NULL);
			}
		}
		char w[64] = "";
		if (ty < m && is_name(x, ty))
			name_of(x, ty, w, sizeof w);
		if (!is_string_type(w))
			lab_set(out, CL_NONE, NULL);
		else if (in.k == CL_NONE)
			lab_set(out, CL_DEFAULT, NULL); /* "the output string is Coercible-default" */
		else
			*out = in; /* "the output string has the collation label of the input string" */
		i = m + 1;
	} else if (is_name(x, i) && is_op(x, i + 1, "(")) {
		static const char *const num[] = {"DATALENGTH", "LEN", "CHARINDEX", "SIGN", "COUNT", "OBJECT_ID",
						  "COLUMNPROPERTY", "SYSUTCDATETIME", "EXISTS", "ABS", "DB_NAME"};
		size_t m = match_paren(x, i + 1, end);
		if (m == NPOS)
			return 1;
		for (size_t k = 0; k < sizeof num / sizeof num[0]; k++)
			if (is_kw(x, i, num[k]))
				lab_set(out, CL_NONE, NULL);
		i = m + 1;
	} else if (is_name(x, i) && !is_clause_word(x, i) && !is_kw(x, i, "CASE") && !is_kw(x, i, "END") &&
		   !is_kw(x, i, "AND") && !is_kw(x, i, "OR") && !is_kw(x, i, "NOT") && !is_kw(x, i, "THEN") &&
		   !is_kw(x, i, "ELSE") && !is_kw(x, i, "IS") && !is_kw(x, i, "COLLATE")) {
		char parts[4][256];
		int np = 0;
		size_t at = i;
		while (np < 4 && is_name(x, i)) {
			name_of(x, i, parts[np++], sizeof parts[0]);
			i++;
			if (is_op(x, i, ".") && is_name(x, i + 1))
				i++;
			else
				break;
		}
		column_label(c, at, np >= 2 ? parts[np - 2] : NULL, parts[np - 1], out);
	} else {
		return 1;
	}
	if (is_kw(x, i, "COLLATE") && is_name(x, i + 1)) {
		char nm[256];
		name_of(x, i + 1, nm, sizeof nm);
		const char *coll = !strcasecmp(nm, "DATABASE_DEFAULT") ? x->ctx->db_collation : peer_collation(nm);
		if (coll && out->k != CL_NONE)
			lab_set(out, CL_EXPLICIT, coll);
		else
			lab_set(out, CL_UNKNOWN, NULL);
		i += 2;
	}
	*pi = i;
	return 0;
}

/* primary {op primary}: '+' of strings combines (a concatenation), the
 * other arithmetic gives no string. */
static int cexpr(struct cchk *c, size_t *pi, size_t end, struct label *out)
{
	struct xl *x = c->x;
	int rc = cprimary(c, pi, end, out);
	if (rc)
		return rc;
	while (*pi < end && (is_op(x, *pi, "+") || is_op(x, *pi, "-") || is_op(x, *pi, "*") || is_op(x, *pi, "/") ||
			     is_op(x, *pi, "%"))) {
		int plus = is_op(x, *pi, "+");
		(*pi)++;
		struct label r;
		rc = cprimary(c, pi, end, &r);
		if (rc)
			return rc;
		int conflict = 0;
		if (!plus)
			lab_set(out, CL_NONE, NULL);
		else
			*out = lab_combine(out, &r, "add", &conflict);
		if (conflict || out->k == CL_NOCOLL) /* left alone: not in the subset */
			lab_set(out, CL_UNKNOWN, NULL);
	}
	return 0;
}

static const char *cmp_name(const struct xl *x, size_t i)
{
	static const struct {
		const char *op, *name;
	} ops[] = {{"=", "equal to"}, {"<>", "not equal to"}, {"!=", "not equal to"}, {"<", "less than"},
		   {">", "greater than"}, {"<=", "less than or equal to"}, {">=", "greater than or equal to"}};
	for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
		if (is_op(x, i, ops[k].op))
			return ops[k].name;
	return NULL;
}

int tsql_collation_check(const char *sql, const struct xlate_ctx *ctx, const struct coll_lookup *lk,
			 struct xlate_err *e)
{
	struct xl x = {.ctx = ctx, .e = e};
	e->number = 0;
	e->msg[0] = 0;
	int rc = tokenize(&x, sql);
	struct cchk *c = calloc(1, sizeof *c);
	if (rc || !c || !x.n) {
		rc = 0;
		goto out;
	}
	c->x = &x;
	c->lk = lk;
	collect_sources(c, x.n);
	/* every comparison where a condition may begin */
	for (size_t i = 1; i < x.n && !rc; i++) {
		if (!is_kw(&x, i - 1, "ON") && !is_kw(&x, i - 1, "WHERE") && !is_kw(&x, i - 1, "AND") &&
		    !is_kw(&x, i - 1, "OR") && !is_kw(&x, i - 1, "WHEN") && !is_kw(&x, i - 1, "NOT") &&
		    !is_kw(&x, i - 1, "HAVING") && !is_op(&x, i - 1, "("))
			continue;
		size_t p = i;
		struct label l, r;
		int k = cexpr(c, &p, x.n, &l);
		if (k < 0)
			rc = -1;
		if (k)
			continue;
		const char *op = cmp_name(&x, p);
		if (!op)
			continue;
		p++;
		k = cexpr(c, &p, x.n, &r);
		if (k < 0)
			rc = -1;
		if (k)
			continue;
		int conflict = 0;
		struct label m = lab_combine(&l, &r, op, &conflict);
		/* two collations meeting in the comparison itself: 468, the right
		 * operand's named first; an operand already without one (a CASE
		 * of two): "Cannot resolve collation conflict for patindex
		 * operation" in the page's example, Msg 446 state 9 */
		if (conflict || (m.k == CL_NOCOLL && l.k != CL_NOCOLL && r.k != CL_NOCOLL))
			rc = xerr(&x, 468, "Cannot resolve the collation conflict between \"%s\" and \"%s\" in the %s operation.",
				  m.a, m.b, op);
		else if (m.k == CL_NOCOLL)
			rc = xerr(&x, 446, "Cannot resolve collation conflict for %s operation.", op);
	}
	/* a result column of No-collation: "cannot appear in the select list" */
	if (!rc && is_kw(&x, 0, "SELECT")) {
		size_t i = 1;
		if (is_kw(&x, i, "DISTINCT"))
			i++;
		if (is_kw(&x, i, "TOP")) {
			i++;
			if (is_op(&x, i, "(")) {
				size_t m = match_paren(&x, i, x.n);
				i = m == NPOS ? x.n : m + 1;
			} else {
				i++;
			}
		}
		for (int col = 1; i < x.n && !rc; col++) {
			struct label l;
			size_t p = i;
			int k = cexpr(c, &p, x.n, &l);
			if (k < 0)
				rc = -1;
			if (k)
				break;
			if (l.k == CL_NOCOLL)
				rc = xerr(&x, 451,
					  "Cannot resolve collation conflict between \"%s\" and \"%s\" in %s operator occurring in "
					  "SELECT statement column %d.",
					  l.a, l.b, l.op ? l.op : "CASE", col);
			if (is_kw(&x, p, "AS") && is_name(&x, p + 1))
				p += 2;
			else if (p < x.n && x.t[p].k == TK_QID)
				p++;
			if (!is_op(&x, p, ","))
				break;
			i = p + 1;
		}
	}
out:
	free(c);
	for (size_t k = 0; k < x.n; k++)
		free(x.t[k].v);
	free(x.t);
	return rc;
}
