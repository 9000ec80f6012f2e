/* Unit tests for lib/mssql_txn (mssql-apply --transactions): where source
 * transactions begin and end (txn_cut), and where the batches it makes
 * commit, seen in the T-SQL of --print-sql (no server): the checkpoint
 * offsets each target transaction writes and its COMMIT. A transaction is
 * never split over two commits; several whole ones share one; one larger
 * than a batch goes alone, in pieces of one transaction; a transaction
 * whose end does not come is left out at the end of input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mssql_apply.h"
#include "mssql_txn.h"
#include "record.h"

/* A change of table s.t (key id) at lsn:seq of transaction xid. */
static void make(record *r, char op, uint64_t lsn, uint32_t xid, uint64_t seq, bool last, int id)
{
	record_clear(r);
	r->op = op;
	assert_int_equal(record_set_table(r, "d", "s", "t"), 0);
	assert_int_equal(record_set_shape(r, 2, false, true), 0);
	assert_int_equal(record_set_column(r, 0, "id", "integer"), 0);
	assert_int_equal(record_set_column(r, 1, "v", "text"), 0);
	uint16_t k = 0;
	assert_int_equal(record_set_keys(r, &k, 1), 0);
	char t[32];
	snprintf(t, sizeof t, "%d", id);
	assert_int_equal(record_set_value(r, r->after, 0, VALUE_TEXT, t, strlen(t)), 0);
	assert_int_equal(record_set_value(r, r->after, 1, VALUE_TEXT, "x", 1), 0);
	r->lsn = lsn;
	r->xid = xid;
	r->seq = seq;
	r->last = last;
	r->commit_us = 1;
	strcpy(r->stream, "pg/d/s");
	r->offset = (pos_offset){.major = lsn, .minor = seq, .lsn = true};
}

typedef struct run {
	char *sql;
	size_t len;
	FILE *f;
	mssql_apply *a;
	mssql_txn *x;
	record r;
	buf raw;
} run;

static void start(run *t, size_t rows)
{
	memset(t, 0, sizeof *t);
	t->f = open_memstream(&t->sql, &t->len);
	assert_non_null(t->f);
	mssql_apply_opts o = {0};
	o.print = t->f;
	o.create_tables = true;
	t->a = mssql_apply_new(&o);
	assert_non_null(t->a);
	assert_int_equal(mssql_apply_open(t->a), 0);
	t->x = mssql_txn_new(t->a, rows, rows, (size_t)24 << 20, (size_t)48 << 20);
	assert_non_null(t->x);
	record_init(&t->r);
	buf_init(&t->raw, 0);
}

/* Adds a change; the raw bytes are its JSON, as the reader gives them. */
static void add(run *t, char op, uint64_t lsn, uint32_t xid, uint64_t seq, bool last, int id)
{
	make(&t->r, op, lsn, xid, seq, last, id);
	buf_reset(&t->raw);
	assert_int_equal(record_encode(&t->r, RECORD_FORMAT_JSON, &t->raw), 0);
	assert_int_equal(mssql_txn_add(t->x, &t->r, t->raw.data, t->raw.len - 1), 0);
}

/* Adds transaction lsn (xid = lsn) of n changes, its last marked or not. */
static void txn(run *t, uint64_t lsn, int n, bool marked)
{
	for (int i = 1; i <= n; i++)
		add(t, 'c', lsn, (uint32_t)lsn, (uint64_t)i, marked && i == n, (int)lsn * 100 + i);
}

/* The trace of the T-SQL so far: "B" for BEGIN TRANSACTION, the offset of
 * each checkpoint row, "C" for COMMIT, "M" for each MERGE into s.t. The
 * checkpoint's offsets are parameters of the EXEC sp_executesql that holds
 * its MERGE (@o1, @o2, … after the statement's text): they are shown where
 * that MERGE is. */
static const char *trace(run *t)
{
	static char out[4096];
	fflush(t->f);
	size_t n = 0;
	out[0] = '\0';
	for (const char *p = t->sql; p && *p; p++) {
		const char *w = NULL;
		char tmp[64];
		if (!strncmp(p, "BEGIN TRANSACTION", 17))
			w = "B";
		else if (!strncmp(p, "COMMIT TRANSACTION", 18))
			w = "C";
		else if (!strncmp(p, "MERGE INTO [s].[t]", 18))
			w = "M";
		else if (!strncmp(p, "MERGE INTO [dbo].[dbrepl_checkpoint]", 36)) {
			/* the offsets: the parameters of this EXEC, up to the next */
			const char *end = strstr(p, "EXEC sp_executesql");
			size_t m = 0;
			tmp[0] = '\0';
			for (const char *q = p; (q = strstr(q, "\n  @o")) && (!end || q < end); q++) {
				const char *v = strstr(q, " = N'");
				const char *e = v ? strchr(v + 5, '\'') : NULL;
				if (e)
					m += (size_t)snprintf(tmp + m, sizeof tmp - m, "%s%.*s", m ? " " : "",
							      (int)(e - v - 5), v + 5);
			}
			w = tmp;
		}
		if (w)
			n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", n ? " " : "", w);
	}
	return out;
}

static void stop(run *t)
{
	mssql_txn_free(t->x);
	mssql_apply_free(t->a);
	fclose(t->f);
	free(t->sql);
	record_free(&t->r);
	buf_free(&t->raw);
}

static void test_cut(void **state)
{
	(void)state;
	txn_cut c = {0};
	record r;
	record_init(&r);
	make(&r, 'c', 100, 1, 1, false, 1);
	assert_true(txn_cut_starts(&c, &r));
	txn_cut_took(&c, &r);
	assert_true(c.open);
	make(&r, 'c', 100, 1, 2, false, 2);
	assert_false(txn_cut_starts(&c, &r));
	txn_cut_took(&c, &r);
	/* another transaction ends the open one (no marker came) */
	make(&r, 'u', 200, 2, 1, true, 3);
	assert_true(txn_cut_starts(&c, &r));
	txn_cut_took(&c, &r);
	assert_false(c.open);
	/* after its marked last, the same transaction begins anew (a replay) */
	make(&r, 'u', 200, 2, 1, false, 3);
	assert_true(txn_cut_starts(&c, &r));
	txn_cut_took(&c, &r);
	assert_true(c.open);
	/* the same LSN with another xid is another transaction */
	make(&r, 'd', 200, 3, 1, false, 3);
	assert_true(txn_cut_starts(&c, &r));
	txn_cut_took(&c, &r);
	/* the same xid at another LSN is not (Debezium's connector gives
	 * each change's LSN), unless the xid is unknown (0) */
	make(&r, 'd', 230, 3, 2, false, 4);
	assert_false(txn_cut_starts(&c, &r));
	txn_cut_took(&c, &r);
	make(&r, 'd', 240, 0, 1, false, 4);
	assert_true(txn_cut_starts(&c, &r));
	txn_cut_took(&c, &r);
	make(&r, 'd', 240, 0, 2, false, 5);
	assert_false(txn_cut_starts(&c, &r));
	txn_cut_took(&c, &r);
	make(&r, 'd', 250, 0, 1, false, 5);
	assert_true(txn_cut_starts(&c, &r));
	txn_cut_took(&c, &r);
	/* a snapshot row is a unit of its own, inside or not */
	make(&r, 'r', 200, 3, 7, false, 3);
	assert_true(txn_cut_starts(&c, &r));
	txn_cut_took(&c, &r);
	assert_false(c.open);
	assert_false(c.disorder);
	/* a transaction that commits before the last one: out of order */
	make(&r, 'c', 150, 4, 1, true, 3);
	assert_true(txn_cut_starts(&c, &r));
	assert_true(c.disorder);
	record_free(&r);
}

/* Whole transactions share a commit; a batch closes at the first boundary
 * at or after --batch-rows, never inside a transaction. */
static void test_boundaries(void **state)
{
	(void)state;
	run t;
	start(&t, 4);
	txn(&t, 0x100, 3, true);
	assert_string_equal(trace(&t), "");
	txn(&t, 0x200, 2, true); /* 5 records: full after this one's end */
	assert_string_equal(trace(&t), "B 0/200:2 M C");
	txn(&t, 0x300, 1, true);
	assert_int_equal(mssql_txn_whole(t.x), true);
	assert_int_equal(mssql_txn_flush(t.x), 0);
	assert_string_equal(trace(&t), "B 0/200:2 M C B 0/300:1 M C");
	/* open: not whole, however full */
	add(&t, 'c', 0x400, 4, 1, false, 1);
	assert_false(mssql_txn_whole(t.x));
	add(&t, 'c', 0x400, 4, 2, true, 2);
	assert_true(mssql_txn_whole(t.x));
	assert_int_equal(mssql_txn_finish(t.x), 0);
	assert_string_equal(trace(&t), "B 0/200:2 M C B 0/300:1 M C B 0/400:2 M C");
	stop(&t);
}

/* A transaction larger than a batch: the whole ones before it commit
 * first, then it goes in pieces of one target transaction, committed at
 * its end, alone. */
static void test_large(void **state)
{
	(void)state;
	run t;
	start(&t, 3);
	txn(&t, 0x100, 2, true);
	txn(&t, 0x200, 7, true);
	txn(&t, 0x300, 1, true);
	assert_int_equal(mssql_txn_finish(t.x), 0);
	assert_string_equal(trace(&t),
			    "B 0/100:2 M C B 0/200:3 M 0/200:6 M 0/200:7 M C B 0/300:1 M C");
	stop(&t);
}

/* Without the marker a transaction is whole when the next one begins; the
 * last one of the input never is, and is left out. */
static void test_unmarked(void **state)
{
	(void)state;
	run t;
	start(&t, 2);
	txn(&t, 0x100, 2, false);
	assert_false(mssql_txn_whole(t.x));
	assert_string_equal(trace(&t), "");
	txn(&t, 0x200, 1, false); /* ends 0/100; the batch was full */
	assert_string_equal(trace(&t), "B 0/100:2 M C");
	txn(&t, 0x300, 1, false);
	assert_int_equal(mssql_txn_finish(t.x), 0);
	assert_string_equal(trace(&t), "B 0/100:2 M C B 0/200:1 M C");
	stop(&t);
}

/* The end of input inside a transaction: the whole ones before it in the
 * batch are committed without it; so is a large one's start left out. */
static void test_end_inside(void **state)
{
	(void)state;
	run t;
	start(&t, 10);
	txn(&t, 0x100, 2, true);
	txn(&t, 0x200, 2, true);
	add(&t, 'c', 0x300, 3, 1, false, 1);
	add(&t, 'c', 0x300, 3, 2, false, 2);
	assert_int_equal(mssql_txn_finish(t.x), 0);
	assert_string_equal(trace(&t), "B 0/200:2 M C");
	stop(&t);
	start(&t, 2);
	txn(&t, 0x100, 5, false);
	assert_int_equal(mssql_txn_finish(t.x), 0);
	/* its pieces went into a transaction that is never committed */
	assert_string_equal(trace(&t), "B 0/100:2 M 0/100:4 M");
	stop(&t);
}

/* Snapshot rows belong to no transaction: a batch may close after any. */
static void test_snapshot_rows(void **state)
{
	(void)state;
	run t;
	start(&t, 2);
	for (int i = 1; i <= 5; i++)
		add(&t, 'r', 0x50, 9, (uint64_t)i, false, i);
	assert_true(mssql_txn_whole(t.x));
	assert_int_equal(mssql_txn_finish(t.x), 0);
	/* snapshot rows into a table taken as empty are inserted, not merged */
	const char *tr = trace(&t);
	assert_non_null(strstr(tr, "0/50:2 C"));
	assert_non_null(strstr(tr, "0/50:4 C"));
	assert_non_null(strstr(tr, "0/50:5 C"));
	stop(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_unmarked),
		cmocka_unit_test(test_end_inside),
		cmocka_unit_test(test_snapshot_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
