/* colmask.c — see colmask.h. SHA-256 is OpenSSL's (libcrypto, which libpq
 * links already): a well-kept implementation with the processor's SHA
 * instructions, rather than one of our own. */
#include "colmask.h"

#include "cli.h"
#include "record_priv.h" /* utf8_valid_prefix */

#include <errno.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALT_MAX (64 << 10)

typedef struct rule {
	char *schema; /* NULL: every schema */
	char *table, *column;
	record_mask what;
} rule;

struct colmask {
	rule *rules;
	size_t n;
	char *text;
	size_t textlen;
	const char *salt_file;
	unsigned char *salt;
	size_t saltlen;
	EVP_MD_CTX *ctx;
};

static const char *const option_names[] = {"--exclude-column", "--mask-column", "--hash-column"};

colmask *colmask_new(void)
{
	colmask *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->text = strdup(COLMASK_DEFAULT_TEXT);
	if (!m->text) {
		free(m);
		return NULL;
	}
	m->textlen = strlen(m->text);
	return m;
}

void colmask_free(colmask *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->rules[i].schema);
		free(m->rules[i].table);
		free(m->rules[i].column);
	}
	free(m->rules);
	free(m->text);
	if (m->salt) {
		OPENSSL_cleanse(m->salt, m->saltlen);
		free(m->salt);
	}
	EVP_MD_CTX_free(m->ctx);
	free(m);
}

static bool same_name(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int add_rule(colmask *m, record_mask what, const char *spec, char *err, size_t errlen)
{
	const char *opt = option_names[what - 1];
	char *part[3] = {NULL, NULL, NULL};
	size_t n = 0;
	const char *p = spec;
	for (;;) {
		if (n == 3 || !(part[n] = cli_parse_ident(&p)))
			goto bad;
		n++;
		if (*p == '\0')
			break;
		if (*p != '.')
			goto bad;
		p++;
	}
	if (n < 2)
		goto bad;
	rule r = {.what = what};
	if (n == 3) {
		r.schema = part[0];
		r.table = part[1];
		r.column = part[2];
	} else {
		r.table = part[0];
		r.column = part[1];
	}
	for (size_t i = 0; i < m->n; i++)
		if (same_name(m->rules[i].schema, r.schema) && !strcmp(m->rules[i].table, r.table) &&
		    !strcmp(m->rules[i].column, r.column)) {
			snprintf(err, errlen, "%s %s: the column is named twice (%s)", opt, spec,
				 option_names[m->rules[i].what - 1]);
			goto fail;
		}
	rule *nr = realloc(m->rules, (m->n + 1) * sizeof *nr);
	if (!nr) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	m->rules = nr;
	m->rules[m->n++] = r;
	return 0;
bad:
	snprintf(err, errlen, "%s %s: want TABLE.COLUMN or SCHEMA.TABLE.COLUMN, quoted as in SQL", opt, spec);
fail:
	for (size_t i = 0; i < 3; i++)
		free(part[i]);
	return -1;
}

int colmask_option(colmask *m, int which, const char *arg, char *err, size_t errlen)
{
	switch (which) {
	case 0: return add_rule(m, RECORD_MASK_EXCLUDED, arg, err, errlen);
	case 1: return add_rule(m, RECORD_MASK_FIXED, arg, err, errlen);
	case 2: return add_rule(m, RECORD_MASK_SHA256, arg, err, errlen);
	case 3: {
		size_t n = strlen(arg);
		/* a record's text is UTF-8 without NUL; a name-sized text will do */
		if (n > RECORD_NAME_MAX || utf8_valid_prefix((const unsigned char *)arg, n) != n) {
			snprintf(err, errlen, "--mask-text: want valid UTF-8 of at most %d bytes", RECORD_NAME_MAX);
			return -1;
		}
		char *t = strdup(arg);
		if (!t) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		free(m->text);
		m->text = t;
		m->textlen = n;
		return 0;
	}
	case 4:
		m->salt_file = arg;
		return 0;
	default:
		snprintf(err, errlen, "unknown masking option");
		return -1;
	}
}

bool colmask_any(const colmask *m)
{
	return m && m->n > 0;
}

static int read_salt_file(colmask *m, char *err, size_t errlen)
{
	FILE *f = fopen(m->salt_file, "rb");
	if (!f) {
		snprintf(err, errlen, "cannot open the salt file (%s: %s)", m->salt_file, strerror(errno));
		return -1;
	}
	unsigned char *b = malloc(SALT_MAX + 1);
	if (!b) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t n = fread(b, 1, SALT_MAX + 1, f);
	int bad = ferror(f);
	fclose(f);
	if (bad || n > SALT_MAX) {
		OPENSSL_cleanse(b, n);
		free(b);
		snprintf(err, errlen, "cannot read the salt file (%s: %s)", m->salt_file,
			 bad ? "read error" : "longer than 64 KiB");
		return -1;
	}
	/* A file written by echo or an editor ends in a newline, which is
	 * not part of the salt. */
	if (n && b[n - 1] == '\n')
		n--;
	if (n && b[n - 1] == '\r')
		n--;
	m->salt = b;
	m->saltlen = n;
	return 0;
}

int colmask_finish(colmask *m, char *err, size_t errlen)
{
	bool hashing = false;
	for (size_t i = 0; i < m->n; i++)
		hashing |= m->rules[i].what == RECORD_MASK_SHA256;
	if (!hashing)
		return 0;
	if (m->salt_file) {
		if (read_salt_file(m, err, errlen) < 0)
			return -1;
	} else {
		const char *env = getenv(COLMASK_SALT_ENV);
		if (!env) {
			snprintf(err, errlen,
				 "--hash-column needs a salt: set %s or give --hash-salt-file (never on the command line)",
				 COLMASK_SALT_ENV);
			return -1;
		}
		m->saltlen = strlen(env);
		if (!(m->salt = malloc(m->saltlen + 1))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		memcpy(m->salt, env, m->saltlen);
	}
	if (m->saltlen == 0) {
		snprintf(err, errlen, "the salt of --hash-column is empty (%s)",
			 m->salt_file ? m->salt_file : COLMASK_SALT_ENV);
		return -1;
	}
	if (!(m->ctx = EVP_MD_CTX_new())) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int colmask_check_catalog(const colmask *m, PGconn *conn, bool *unavailable, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT count(*) FROM pg_catalog.pg_attribute a "
		"JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
		"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		"WHERE c.relname = $2 AND a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped "
		"AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ($1::text IS NULL OR n.nspname = $1)";
	*unavailable = false;
	for (size_t i = 0; m && i < m->n; i++) {
		const rule *r = &m->rules[i];
		const char *params[3] = {r->schema, r->table, r->column};
		PGresult *res = PQexecParams(conn, sql, 3, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
			snprintf(err, errlen, "checking %s %s%s%s.%s failed (%s)", option_names[r->what - 1],
				 r->schema ? r->schema : "", r->schema ? "." : "", r->table, r->column,
				 PQerrorMessage(conn));
			err[strcspn(err, "\n")] = '\0';
			PQclear(res);
			*unavailable = true;
			return -1;
		}
		bool found = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
		PQclear(res);
		if (!found) {
			snprintf(err, errlen, "%s %s%s%s.%s: no such column in the database", option_names[r->what - 1],
				 r->schema ? r->schema : "", r->schema ? "." : "", r->table, r->column);
			return -1;
		}
	}
	return 0;
}

/* sql with relation oid as $1: its rows, or NULL with err naming what. */
static PGresult *query_oid(PGconn *conn, const char *sql, uint32_t oid, const char *what, char *err, size_t errlen)
{
	char o[16];
	snprintf(o, sizeof o, "%" PRIu32, oid);
	const char *params[1] = {o};
	PGresult *res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	snprintf(err, errlen, "looking up the %s of relation OID %s failed (%s)", what, o, PQerrorMessage(conn));
	err[strcspn(err, "\n")] = '\0';
	PQclear(res);
	return NULL;
}

int colmask_relcols_get(PGconn *conn, uint32_t oid, colmask_relcols *out, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT n.nspname, c.relname, a.attnum, a.attname FROM pg_catalog.pg_attribute a "
		"JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
		"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		"WHERE a.attrelid = $1::pg_catalog.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
	memset(out, 0, sizeof *out);
	PGresult *res = query_oid(conn, sql, oid, "columns", err, errlen);
	if (!res)
		return -1;
	int rows = PQntuples(res);
	if (rows == 0) {
		PQclear(res);
		return 1; /* dropped since, or no columns */
	}
	size_t size = (size_t)rows * (sizeof(char *) + sizeof(int16_t)) + strlen(PQgetvalue(res, 0, 0)) +
		      strlen(PQgetvalue(res, 0, 1)) + 2;
	for (int r = 0; r < rows; r++)
		size += strlen(PQgetvalue(res, r, 3)) + 1;
	char *mem = malloc(size);
	if (!mem) {
		snprintf(err, errlen, "out of memory");
		PQclear(res);
		return -1;
	}
	out->names = (char **)mem;
	out->attnums = (int16_t *)(mem + (size_t)rows * sizeof(char *));
	char *text = (char *)(out->attnums + rows);
	out->schema = text;
	text = stpcpy(text, PQgetvalue(res, 0, 0)) + 1;
	out->table = text;
	text = stpcpy(text, PQgetvalue(res, 0, 1)) + 1;
	for (int r = 0; r < rows; r++) {
		out->attnums[r] = (int16_t)atoi(PQgetvalue(res, r, 2));
		out->names[r] = text;
		text = stpcpy(text, PQgetvalue(res, r, 3)) + 1;
	}
	out->n = (size_t)rows;
	PQclear(res);
	return 0;
}

void colmask_relcols_free(colmask_relcols *c)
{
	free(c->names); /* the block */
	memset(c, 0, sizeof *c);
}

record_mask colmask_lookup(const colmask *m, const char *schema, const char *table, const char *column)
{
	record_mask any = RECORD_MASK_NONE;
	for (size_t i = 0; m && i < m->n; i++) {
		const rule *r = &m->rules[i];
		if (strcmp(r->column, column) != 0 || strcmp(r->table, table) != 0)
			continue;
		if (!r->schema)
			any = r->what;
		else if (strcmp(r->schema, schema) == 0)
			return r->what; /* the qualified rule says more */
	}
	return any;
}

int colmask_parents(PGconn *conn, uint32_t oid, char ***names, size_t *n, char *err, size_t errlen)
{
	static const char sql[] =
		"WITH RECURSIVE up(relid, depth) AS ("
		" SELECT i.inhparent, 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = $1::pg_catalog.oid"
		" UNION ALL"
		" SELECT i.inhparent, u.depth + 1 FROM pg_catalog.pg_inherits i JOIN up u ON i.inhrelid = u.relid) "
		"SELECT n.nspname, c.relname FROM up JOIN pg_catalog.pg_class c ON c.oid = up.relid "
		"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ORDER BY up.depth, c.oid";
	*names = NULL;
	*n = 0;
	PGresult *res = query_oid(conn, sql, oid, "parents", err, errlen);
	if (!res)
		return -1;
	int rows = PQntuples(res);
	size_t size = 2 * (size_t)rows * sizeof(char *);
	for (int r = 0; r < rows; r++)
		size += strlen(PQgetvalue(res, r, 0)) + strlen(PQgetvalue(res, r, 1)) + 2;
	char **out = rows ? malloc(size) : NULL;
	if (rows && !out) {
		snprintf(err, errlen, "out of memory");
		PQclear(res);
		return -1;
	}
	char *text = (char *)(out + 2 * rows);
	for (int r = 0; r < rows; r++)
		for (int k = 0; k < 2; k++) {
			size_t len = strlen(PQgetvalue(res, r, k)) + 1;
			memcpy(text, PQgetvalue(res, r, k), len);
			out[2 * r + k] = text;
			text += len;
		}
	PQclear(res);
	*names = out;
	*n = (size_t)rows;
	return 0;
}

int colmask_plan(const colmask *m, const char *schema, const char *table, char *const *parents, size_t nparents,
		 const record_column *cols, size_t ncols, const uint16_t *keys, size_t nkeys, unsigned char *plan,
		 char *err, size_t errlen)
{
	bool any = false;
	for (size_t i = 0; i < ncols; i++) {
		record_mask mk = colmask_lookup(m, schema, table, cols[i].name);
		for (size_t p = 0; mk == RECORD_MASK_NONE && p < nparents; p++)
			mk = colmask_lookup(m, parents[2 * p], parents[2 * p + 1], cols[i].name);
		plan[i] = (unsigned char)mk;
		any |= plan[i] != RECORD_MASK_NONE;
	}
	for (size_t k = 0; k < nkeys; k++) {
		unsigned p = plan[keys[k]];
		if (p == RECORD_MASK_EXCLUDED || p == RECORD_MASK_FIXED) {
			snprintf(err, errlen,
				 "%s %s.%s.%s: a key column cannot be %s (rows would no longer be told apart); "
				 "hash it with --hash-column, or leave it",
				 option_names[p - 1], schema, table, cols[keys[k]].name,
				 p == RECORD_MASK_EXCLUDED ? "excluded" : "masked with a fixed text");
			return -1;
		}
	}
	return any;
}

const char *colmask_type(record_mask m, const char *type)
{
	switch (m) {
	case RECORD_MASK_FIXED: return COLMASK_FIXED_TYPE;
	case RECORD_MASK_SHA256: return COLMASK_HASH_TYPE;
	default: return type;
	}
}

const char *colmask_text(const colmask *m, size_t *len)
{
	*len = m->textlen;
	return m->text;
}

int colmask_hash(const colmask *m, const char *data, size_t len, char out[COLMASK_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	if (!m->ctx || !EVP_DigestInit_ex(m->ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(m->ctx, m->salt, m->saltlen) || !EVP_DigestUpdate(m->ctx, data, len) ||
	    !EVP_DigestFinal_ex(m->ctx, d, &dlen) || dlen != COLMASK_HEX_LEN / 2)
		return -1;
	for (unsigned i = 0; i < dlen; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[COLMASK_HEX_LEN] = '\0';
	return 0;
}
