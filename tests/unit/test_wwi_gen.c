/* test_wwi_gen.c — every row wwi-gen would write satisfies the schema it is
 * written to. The schema is parsed from the text wwi-gen loads (the same as
 * examples/wwi/schema.sql, which is checked too): column names and order,
 * types and lengths, NOT NULL, foreign keys, UNIQUE; the CHECK constraints
 * are restated here. Foreign keys are checked in statement order: a value
 * must name a row that exists by the time the statement runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wwi_gen.h"

/* ------------------------------------------------------- schema parsing */

struct col {
	char name[64];
	char type[32];   /* "varchar", "numeric", "int", ... */
	int len, prec, scale;
	bool not_null;
	int ref;         /* referenced table, -1 none */
};

struct table {
	char qname[96];
	int ncols;
	struct col cols[WWI_MAX_COLS];
	int nuniq;
	char uniq[4][2][64]; /* up to 4 UNIQUE constraints of up to 2 columns */
	int uniq_n[4];
};

static struct table schema[WWI_NTABLES];
static int nschema;

static int table_by_name(const char *q)
{
	for (int t = 0; t < WWI_NTABLES; t++)
		if (!strcmp(wwi_tables[t].qname, q))
			return t;
	return -1;
}

static void parse_schema(void)
{
	if (nschema)
		return;
	char *text = strdup(wwi_schema_sql), *save = NULL;
	struct table *cur = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char q[96];
		if (sscanf(line, "CREATE TABLE IF NOT EXISTS %95s (", q) == 1) {
			assert_true(nschema < WWI_NTABLES);
			cur = &schema[nschema++];
			snprintf(cur->qname, sizeof cur->qname, "%s", q);
			continue;
		}
		if (!cur)
			continue;
		if (!strcmp(line, ");")) {
			cur = NULL;
			continue;
		}
		if (strncmp(line, "    ", 4))
			continue;
		const char *p = line + 4;
		if (!strncmp(p, "UNIQUE (", 8)) {
			assert_true(cur->nuniq < 4);
			int u = cur->nuniq++;
			char a[64] = "", b[64] = "";
			int n = sscanf(p, "UNIQUE (%63[a-z_0-9], %63[a-z_0-9])", a, b);
			cur->uniq_n[u] = n;
			snprintf(cur->uniq[u][0], 64, "%s", a);
			snprintf(cur->uniq[u][1], 64, "%s", b);
			continue;
		}
		if (*p < 'a' || *p > 'z')
			continue; /* PRIMARY KEY, CHECK */
		assert_true(cur->ncols < WWI_MAX_COLS);
		struct col *c = &cur->cols[cur->ncols++];
		char type[64];
		assert_int_equal(sscanf(p, "%63s %63s", c->name, type), 2);
		c->ref = -1;
		if (sscanf(type, "varchar(%d)", &c->len) == 1)
			strcpy(c->type, "varchar");
		else if (sscanf(type, "numeric(%d,%d)", &c->prec, &c->scale) == 2)
			strcpy(c->type, "numeric");
		else if (!strncmp(type, "timestamp(6)", 12))
			strcpy(c->type, "timestamp");
		else
			snprintf(c->type, sizeof c->type, "%s", strtok(type, ","));
		c->not_null = strstr(p, "NOT NULL") != NULL;
		const char *ref = strstr(p, "REFERENCES ");
		if (ref) {
			char rq[96];
			assert_int_equal(sscanf(ref, "REFERENCES %95s", rq), 1);
			c->ref = table_by_name(rq);
			assert_true(c->ref >= 0);
		}
	}
	free(text);
}

static const struct col *find_col(int t, const char *name)
{
	for (int i = 0; i < schema[t].ncols; i++)
		if (!strcmp(schema[t].cols[i].name, name))
			return &schema[t].cols[i];
	return NULL;
}

/* ----------------------------------------------------------- value checks */

static int utf8_chars(const char *s, int n)
{
	int chars = 0;
	for (int i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		if (!len || i + len > n)
			return -1;
		for (int k = 1; k < len; k++)
			if (((unsigned char)s[i + k] >> 6) != 2)
				return -1;
		i += len;
		chars++;
	}
	return chars;
}

static bool digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

static bool valid_ts(const char *v, int n, bool tz)
{
	/* YYYY-MM-DD HH:MM:SS.ffffff[+00] */
	if (n != (tz ? 29 : 26) || v[4] != '-' || v[7] != '-' || v[10] != ' ' || v[13] != ':' ||
	    v[16] != ':' || v[19] != '.')
		return false;
	if (tz && strcmp(v + 26, "+00"))
		return false;
	int mo = atoi(v + 5), d = atoi(v + 8), h = atoi(v + 11), mi = atoi(v + 14), s = atoi(v + 17);
	return digits(v, 4) && digits(v + 20, 6) && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 &&
	       mi < 60 && s < 60;
}

static char where[256];

#define check(cond, ...)                                                                    \
	do {                                                                                    \
		if (!(cond)) {                                                                      \
			char m_[256];                                                                   \
			snprintf(m_, sizeof m_, __VA_ARGS__);                                           \
			fail_msg("%s: %s", where, m_);                                                  \
		}                                                                                   \
	} while (0)

static void check_value(const struct col *c, const char *v, int n)
{
	if (!v) {
		check(!c->not_null, "%s is NULL but NOT NULL", c->name);
		return;
	}
	check((int)strlen(v) == n, "%s has a NUL byte", c->name);
	const char *t = c->type;
	if (!strcmp(t, "int") || !strcmp(t, "bigint")) {
		char *end;
		long long x = strtoll(v, &end, 10);
		check(*end == '\0' && n > 0, "%s not an integer: %s", c->name, v);
		if (!strcmp(t, "int"))
			check(x >= INT32_MIN && x <= INT32_MAX, "%s out of int range: %s", c->name, v);
	} else if (!strcmp(t, "numeric")) {
		const char *s = v[0] == '-' ? v + 1 : v, *dot = strchr(s, '.');
		int ip = dot ? (int)(dot - s) : (int)strlen(s), fp = dot ? (int)strlen(dot + 1) : 0;
		check(digits(s, ip) && (!dot || digits(dot + 1, fp)), "%s not a number: %s", c->name, v);
		check(fp <= c->scale && ip <= c->prec - c->scale, "%s does not fit numeric(%d,%d): %s", c->name,
		      c->prec, c->scale, v);
	} else if (!strcmp(t, "varchar")) {
		int chars = utf8_chars(v, n);
		check(chars >= 0, "%s not UTF-8", c->name);
		check(chars <= c->len, "%s longer than varchar(%d): %d characters", c->name, c->len, chars);
	} else if (!strcmp(t, "text")) {
		check(utf8_chars(v, n) >= 0, "%s not UTF-8", c->name);
	} else if (!strcmp(t, "boolean")) {
		check(!strcmp(v, "t") || !strcmp(v, "f"), "%s not a boolean: %s", c->name, v);
	} else if (!strcmp(t, "date")) {
		check(n == 10 && v[4] == '-' && v[7] == '-' && digits(v, 4) && atoi(v + 5) >= 1 &&
		          atoi(v + 5) <= 12 && atoi(v + 8) >= 1 && atoi(v + 8) <= 31,
		      "%s not a date: %s", c->name, v);
	} else if (!strcmp(t, "timestamp")) {
		check(valid_ts(v, n, false), "%s not a timestamp: %s", c->name, v);
	} else if (!strcmp(t, "timestamptz")) {
		check(valid_ts(v, n, true), "%s not a timestamptz: %s", c->name, v);
	} else if (!strcmp(t, "bytea")) {
		check(n >= 2 && v[0] == '\\' && v[1] == 'x' && n % 2 == 0, "%s not hex bytea", c->name);
		for (int i = 2; i < n; i++)
			check(strchr("0123456789abcdef", v[i]) && v[i], "%s not hex bytea", c->name);
	} else if (!strcmp(t, "jsonb")) {
		json_error_t e;
		json_t *j = json_loadb(v, (size_t)n, 0, &e);
		check(j != NULL, "%s not JSON (%s): %s", c->name, e.text, v);
		json_decref(j);
	} else if (!strcmp(t, "uuid")) {
		check(n == 36 && v[8] == '-' && v[13] == '-' && v[18] == '-' && v[23] == '-' && v[14] == '4',
		      "%s not a v4 uuid: %s", c->name, v);
	} else {
		fail_msg("%s: type %s of %s unknown to the test", where, t, c->name);
	}
}

/* ---------------------------------------------------- statement checking */

struct state {
	int64_t known[WWI_NTABLES]; /* highest key that exists now */
	uint8_t *deleted_lines;     /* order lines deleted so far, by id */
	size_t deleted_cap;
	int64_t cold_deleted_to;    /* readings 1..this are gone */
	int seen[WWI_NSTMTS];
	bool large, bulk;
};

static const char *val(const char *const *vals, int kind, const char *col)
{
	for (int i = 0; i < wwi_stmt_nparams(kind); i++)
		if (!strcmp(wwi_stmt_param_col(kind, i), col))
			return vals[i];
	fail_msg("%s: statement has no %s", where, col);
	return NULL;
}

static int64_t ival(const char *const *vals, int kind, const char *col)
{
	const char *v = val(vals, kind, col);
	return v ? strtoll(v, NULL, 10) : 0;
}

/* The CHECK constraints of the schema, restated. */
static void check_row_rules(int t, const char *const *v)
{
	switch (t) {
	case WWI_SPECIAL_DEALS: {
		const char *amt = val(v, t, "discount_amount"), *pct = val(v, t, "discount_percentage"),
		           *unit = val(v, t, "unit_price");
		check((amt != NULL) + (pct != NULL) + (unit != NULL) == 1, "not exactly one pricing option");
		check(!unit || val(v, t, "stock_item_id"), "unit price deal without a stock item");
		check(strcmp(val(v, t, "end_date"), val(v, t, "start_date")) >= 0, "deal ends before it starts");
		break;
	}
	case WWI_ORDERS:
		check(strcmp(val(v, t, "expected_delivery_date"), val(v, t, "order_date")) >= 0,
		      "order expected before it was placed");
		break;
	case WWI_ORDER_LINES:
		check(ival(v, t, "quantity") > 0 && ival(v, t, "picked_quantity") >= 0, "order line quantity");
		break;
	case WWI_INVOICE_LINES:
		check(ival(v, t, "quantity") > 0, "invoice line quantity");
		break;
	case WWI_PURCHASE_ORDER_LINES:
		check(ival(v, t, "ordered_outers") > 0 && ival(v, t, "received_outers") >= 0, "outers");
		break;
	case WWI_STOCK_ITEMS:
		check(ival(v, t, "quantity_per_outer") > 0 && val(v, t, "unit_price")[0] != '-',
		      "stock item quantity or price");
		break;
	case WWI_CUSTOMERS: {
		double d = atof(val(v, t, "standard_discount_percentage"));
		check(d >= 0 && d <= 100 && ival(v, t, "payment_days") >= 0, "customer terms");
		break;
	}
	case WWI_SUPPLIERS:
		check(ival(v, t, "payment_days") >= 0, "supplier payment days");
		break;
	case WWI_COLD_ROOM_TEMPERATURES: {
		double d = atof(val(v, t, "temperature"));
		check(d >= -50 && d <= 50, "temperature %f", d);
		break;
	}
	default:
		break;
	}
}

static void check_stmt(struct state *st, const wwi_tx *tx, int i)
{
	const wwi_stmt *s = &tx->stmts[i];
	const char *vals[WWI_MAX_COLS];
	int lens[WWI_MAX_COLS];
	int t = wwi_stmt_table(s->kind);
	snprintf(where, sizeof where, "%s statement %d (kind %d on %s)", tx->label, i, s->kind,
	         wwi_tables[t].qname);
	assert_int_equal(s->nparams, wwi_stmt_nparams(s->kind));
	wwi_tx_params(tx, i, vals, lens);
	st->seen[s->kind]++;
	const char *key = wwi_tables[t].key;
	for (int k = 0; k < s->nparams; k++) {
		const char *cn = wwi_stmt_param_col(s->kind, k);
		if (!*cn)
			continue;
		const struct col *c = find_col(t, cn);
		check(c != NULL, "no column %s", cn);
		check_value(c, vals[k], lens[k]);
		if (!vals[k])
			continue;
		int64_t x = strtoll(vals[k], NULL, 10);
		if (c->ref >= 0) {
			/* A self-reference may name the row being inserted. */
			int64_t limit = st->known[c->ref];
			if (s->kind < WWI_NTABLES && c->ref == t)
				limit = strtoll(vals[0], NULL, 10);
			check(x >= 1 && x <= limit, "%s = %lld references a missing %s row (max %lld)", cn,
			      (long long)x, wwi_tables[c->ref].qname, (long long)limit);
		}
		if (s->kind >= WWI_NTABLES && !strcmp(cn, key) && s->kind != WWI_COLD_BATCH)
			check(x >= 1 && x <= st->known[t], "%s = %lld names no existing row", cn, (long long)x);
	}
	if (s->kind < WWI_NTABLES) {
		int64_t id = strtoll(vals[0], NULL, 10);
		check(!strcmp(wwi_stmt_param_col(s->kind, 0), key), "first column is not the key");
		if (t == WWI_STOCK_ITEM_HOLDINGS)
			check(id <= st->known[WWI_STOCK_ITEMS], "holding of a missing item");
		else
			check(id == st->known[t] + 1, "key %lld is not the next one after %lld", (long long)id,
			      (long long)st->known[t]);
		if (id > st->known[t])
			st->known[t] = id;
		check_row_rules(t, vals);
		if (t == WWI_INVOICES) {
			const char *d = val(vals, t, "returned_delivery_data");
			json_error_t e;
			json_t *j = d ? json_loads(d, 0, &e) : NULL;
			check(!d || j, "returned_delivery_data not JSON");
			json_decref(j);
		}
	}
	switch (s->kind) {
	case WWI_DEL_ORDER_LINE: {
		int64_t id = strtoll(vals[0], NULL, 10);
		if ((size_t)id >= st->deleted_cap) {
			size_t cap = (size_t)id * 2 + 1024;
			st->deleted_lines = realloc(st->deleted_lines, cap);
			memset(st->deleted_lines + st->deleted_cap, 0, cap - st->deleted_cap);
			st->deleted_cap = cap;
		}
		check(!st->deleted_lines[id], "order line %lld deleted twice", (long long)id);
		st->deleted_lines[id] = 1;
		break;
	}
	case WWI_DEL_COLD: {
		int64_t a = strtoll(vals[0], NULL, 10), b = strtoll(vals[1], NULL, 10);
		check(a == st->cold_deleted_to + 1 && b >= a && b <= st->known[t], "cold purge %lld..%lld",
		      (long long)a, (long long)b);
		st->cold_deleted_to = b;
		break;
	}
	case WWI_DELIVERY_DATA: {
		json_error_t e;
		json_t *j = json_loads(vals[1], 0, &e);
		check(j != NULL, "large delivery record not JSON");
		json_decref(j);
		if (lens[1] > 8192)
			st->large = true;
		break;
	}
	case WWI_COLD_BATCH: {
		int64_t first = strtoll(vals[0], NULL, 10), n = strtoll(vals[2], NULL, 10);
		check(first == st->known[t] + 1 && n > 1000, "cold batch");
		st->known[t] = first + n - 1;
		st->bulk = true;
		break;
	}
	default:
		break;
	}
}

/* ------------------------------------------------------------------ tests */

static void test_rng(void **state)
{
	(void)state;
	wwi_rng a, b;
	wwi_rng_seed(&a, 7);
	wwi_rng_seed(&b, 7);
	for (int i = 0; i < 1000; i++) {
		int64_t x = wwi_rng_range(&a, -3, 5);
		assert_true(x >= -3 && x <= 5);
		assert_int_equal(x, wwi_rng_range(&b, -3, 5));
	}
	assert_int_equal(wwi_rng_range(&a, 4, 4), 4);
	assert_int_equal(wwi_rng_range(&a, 4, 2), 4);
	int hits = 0;
	for (int i = 0; i < 10000; i++)
		hits += wwi_rng_chance(&a, 250);
	assert_true(hits > 2000 && hits < 3000);
}

static void test_catalog_matches_schema(void **state)
{
	(void)state;
	parse_schema();
	assert_int_equal(nschema, WWI_NTABLES);
	for (int t = 0; t < WWI_NTABLES; t++) {
		assert_string_equal(schema[t].qname, wwi_tables[t].qname);
		assert_int_equal(schema[t].ncols, wwi_tables[t].ncols);
		for (int i = 0; i < schema[t].ncols; i++)
			assert_string_equal(schema[t].cols[i].name, wwi_tables[t].cols[i]);
		assert_string_equal(schema[t].cols[0].name, wwi_tables[t].key);
		/* Foreign keys point backwards: tables are created in this order. */
		for (int i = 0; i < schema[t].ncols; i++)
			assert_true(schema[t].cols[i].ref <= t);
	}
	for (int k = WWI_NTABLES; k < WWI_NSTMTS; k++)
		for (int i = 0; i < wwi_stmt_nparams(k); i++) {
			const char *c = wwi_stmt_param_col(k, i);
			assert_true(!*c || find_col(wwi_stmt_table(k), c));
		}
}

static void test_embedded_schema_is_the_file(void **state)
{
	(void)state;
	FILE *f = fopen("examples/wwi/schema.sql", "rb");
	if (!f)
		skip();
	buf b;
	buf_init(&b, 0);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		assert_int_equal(buf_append(&b, chunk, n), 0);
	fclose(f);
	buf_terminate(&b);
	/* run examples/wwi/embed-schema.sh when this fails */
	assert_string_equal(b.data, wwi_schema_sql);
	buf_free(&b);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void check_reference(uint64_t seed, int scale)
{
	parse_schema();
	wwi_world w;
	wwi_world_init(&w, seed, scale);
	wwi_tx tx;
	wwi_tx_init(&tx);
	buf line;
	buf_init(&line, 0);
	struct state st = {0};
	for (int t = 0; t < WWI_NTABLES; t++) {
		if (!wwi_tables[t].reference) {
			assert_int_equal(w.max_id[t], 0);
			continue;
		}
		int64_t n = wwi_ref_count(&w, t);
		assert_true(n > 0);
		assert_int_equal(w.max_id[t], n);
		char **uniq[4] = {0};
		for (int u = 0; u < schema[t].nuniq; u++)
			uniq[u] = calloc((size_t)n, sizeof(char *));
		for (int64_t i = 1; i <= n; i++) {
			wwi_tx_reset(&tx);
			tx.label = "reference";
			wwi_ref_row(&w, t, i, &tx);
			assert_false(tx.failed);
			assert_int_equal(tx.nstmts, 1);
			/* The reference load runs table by table: everything of the
			 * tables before this one exists, and the rows before i. */
			for (int k = 0; k < WWI_NTABLES; k++)
				st.known[k] = k < t ? w.max_id[k] : 0;
			st.known[t] = t == WWI_STOCK_ITEM_HOLDINGS ? 0 : i - 1;
			check_stmt(&st, &tx, 0);
			const char *vals[WWI_MAX_COLS];
			wwi_tx_params(&tx, 0, vals, NULL);
			for (int u = 0; u < schema[t].nuniq; u++) {
				char key[512];
				const char *a = val(vals, t, schema[t].uniq[u][0]);
				const char *b = schema[t].uniq_n[u] > 1 ? val(vals, t, schema[t].uniq[u][1]) : "";
				snprintf(key, sizeof key, "%s\x01%s", a ? a : "", b ? b : "");
				uniq[u][i - 1] = strdup(key);
			}
			/* One COPY line: ncols fields, one newline, at the end. */
			buf_reset(&line);
			assert_int_equal(wwi_tx_copy_line(&tx, 0, &line), 0);
			int tabs = 0, nls = 0;
			for (size_t k = 0; k < line.len; k++) {
				tabs += line.data[k] == '\t';
				nls += line.data[k] == '\n';
			}
			assert_int_equal(tabs, wwi_tables[t].ncols - 1);
			assert_int_equal(nls, 1);
			assert_int_equal(line.data[line.len - 1], '\n');
		}
		for (int u = 0; u < schema[t].nuniq; u++) {
			qsort(uniq[u], (size_t)n, sizeof(char *), cmp_str);
			for (int64_t i = 1; i < n; i++)
				if (!strcmp(uniq[u][i], uniq[u][i - 1]))
					fail_msg("%s: UNIQUE (%s) violated by %s", wwi_tables[t].qname, schema[t].uniq[u][0],
					         uniq[u][i]);
			for (int64_t i = 0; i < n; i++)
				free(uniq[u][i]);
			free(uniq[u]);
		}
	}
	buf_free(&line);
	wwi_tx_free(&tx);
}

static void test_reference_rows(void **state)
{
	(void)state;
	check_reference(1, 1);
	check_reference(42, 1);
	check_reference(7, 3);
}

/* Digest of the whole reference data of a world. */
static uint64_t reference_digest(uint64_t seed, int scale)
{
	wwi_world w;
	wwi_world_init(&w, seed, scale);
	wwi_tx tx;
	wwi_tx_init(&tx);
	buf line;
	buf_init(&line, 0);
	uint64_t h = UINT64_C(1469598103934665603);
	for (int t = 0; t < WWI_NTABLES; t++)
		for (int64_t i = 1; i <= (wwi_tables[t].reference ? wwi_ref_count(&w, t) : 0); i++) {
			wwi_tx_reset(&tx);
			wwi_ref_row(&w, t, i, &tx);
			buf_reset(&line);
			wwi_tx_copy_line(&tx, 0, &line);
			for (size_t k = 0; k < line.len; k++)
				h = (h ^ (uint8_t)line.data[k]) * UINT64_C(1099511628211);
		}
	buf_free(&line);
	wwi_tx_free(&tx);
	return h;
}

static void test_reference_is_deterministic(void **state)
{
	(void)state;
	assert_true(reference_digest(5, 1) == reference_digest(5, 1));
	assert_true(reference_digest(5, 1) != reference_digest(6, 1));
	assert_true(reference_digest(5, 1) != reference_digest(5, 2));
}

static void run_transactions(struct state *st, wwi_world *w, int64_t n, int64_t start_us, int64_t step)
{
	wwi_tx tx;
	wwi_tx_init(&tx);
	for (int64_t k = 0; k < n; k++) {
		wwi_next_tx(w, start_us + k * step, &tx);
		assert_false(tx.failed);
		assert_true(tx.nstmts > 0);
		for (int i = 0; i < tx.nstmts; i++)
			check_stmt(st, &tx, i);
		/* The estimate --change-rate paces by. */
		int64_t rows = wwi_tx_rows(w, &tx);
		assert_true(rows >= tx.nstmts);
		if (!strcmp(tx.label, "stocktake"))
			assert_true(rows >= WWI_BULK_READINGS + w->max_id[WWI_STOCK_ITEM_HOLDINGS]);
		/* The world's idea of the keys matches what the statements made. */
		for (int t = 0; t < WWI_NTABLES; t++)
			if (t != WWI_STOCK_ITEM_HOLDINGS)
				assert_int_equal(st->known[t], w->max_id[t]);
	}
	wwi_tx_free(&tx);
}

static void test_transactions(void **state)
{
	(void)state;
	parse_schema();
	wwi_world *w = malloc(sizeof *w);
	struct state *st = calloc(1, sizeof *st);
	wwi_world_init(w, 3, 1);
	memcpy(st->known, w->max_id, sizeof st->known);
	w->history = true;
	run_transactions(st, w, 3000, WWI_HISTORY_START_US, 3600 * INT64_C(1000000));
	assert_false(st->bulk);
	assert_false(st->large);
	w->history = false;
	w->ntx = 0;
	run_transactions(st, w, 6000, INT64_C(1767225600000000), 1000);
	/* Every kind of statement showed up, bulk and large events included. */
	static const int reference_only[] = {
		WWI_COUNTRIES, WWI_STATE_PROVINCES, WWI_CITIES, WWI_DELIVERY_METHODS, WWI_PAYMENT_METHODS,
		WWI_TRANSACTION_TYPES, WWI_SYSTEM_PARAMETERS, WWI_SUPPLIER_CATEGORIES, WWI_SUPPLIERS,
		WWI_CUSTOMER_CATEGORIES, WWI_BUYING_GROUPS, WWI_COLORS, WWI_PACKAGE_TYPES, WWI_STOCK_GROUPS};
	for (int k = 0; k < WWI_NSTMTS; k++) {
		bool live = true;
		for (size_t i = 0; i < sizeof reference_only / sizeof reference_only[0]; i++)
			live &= reference_only[i] != k;
		if (live && !st->seen[k])
			fail_msg("statement kind %d (%s) never generated", k, wwi_tables[wwi_stmt_table(k)].qname);
	}
	assert_true(st->bulk);
	assert_true(st->large);
	assert_true(w->toast_invoice > 0);
	free(st->deleted_lines);
	free(st);
	free(w);
}

static void test_resume(void **state)
{
	(void)state;
	parse_schema();
	/* As if read back from a database: the rings are empty, deletes of
	 * readings start at the oldest one found. */
	int64_t max_id[WWI_NTABLES];
	wwi_world *w = malloc(sizeof *w);
	wwi_world_init(w, 9, 1);
	memcpy(max_id, w->max_id, sizeof max_id);
	max_id[WWI_ORDERS] = 50;
	max_id[WWI_ORDER_LINES] = 120;
	max_id[WWI_INVOICES] = 10;
	max_id[WWI_CUSTOMER_TRANSACTIONS] = 10;
	max_id[WWI_COLD_ROOM_TEMPERATURES] = 500;
	wwi_world_resume(w, 9, 1, max_id, 301);
	struct state *st = calloc(1, sizeof *st);
	memcpy(st->known, w->max_id, sizeof st->known);
	st->cold_deleted_to = 300;
	run_transactions(st, w, 2000, INT64_C(1767225600000000), 1000);
	free(st->deleted_lines);
	free(st);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_catalog_matches_schema),
		cmocka_unit_test(test_embedded_schema_is_the_file),
		cmocka_unit_test(test_reference_rows),
		cmocka_unit_test(test_reference_is_deterministic),
		cmocka_unit_test(test_transactions),
		cmocka_unit_test(test_resume),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
