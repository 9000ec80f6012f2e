/* Unit tests for lib/snapstate: the resume state of snapshot --state, its
 * file and how acks make progress durable. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapstate.h"

static char dir[64];

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof dir, "/tmp/test_snapstate.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

static pos_offset off(uint64_t n)
{
	return (pos_offset){.major = n};
}

static const char *const id_key[] = {"id"};

/* A state of two keyed tables and one without key. */
static void three_tables(snapstate *s)
{
	snapstate_init(s);
	const char *const k2[] = {"b", "a"};
	assert_int_equal(snapstate_add_table(s, "public", "big", id_key, 1), 0);
	assert_int_equal(snapstate_add_table(s, "Sales", "Order Lines", k2, 2), 1);
	assert_int_equal(snapstate_add_table(s, "public", "nokey", NULL, 0), 2);
}

static void test_round_trip(void **st)
{
	(void)st;
	snapstate s;
	three_tables(&s);
	s.mode = SNAPSTATE_HANDOVER;
	s.slot = strdup("dbrepl");
	s.where = strdup("x > 'a\"b'");
	s.truncate = true;
	/* Key values as the server prints them: any text. */
	const char *last[] = {"tab\there \"quoted\" back\\slash", "Ünïcode 🎉"};
	assert_int_equal(snapstate_note(&s, 1, off(7), last, 41, false), 0);
	assert_int_equal(snapstate_note(&s, 2, off(8), NULL, 3, true), 0);
	assert_int_equal(snapstate_flushed(&s), 2);
	char path[128], err[256];
	snprintf(path, sizeof path, "%s/state", dir);
	assert_int_equal(snapstate_save(&s, path, err, sizeof err), 0);
	assert_false(s.dirty);

	snapstate r;
	assert_int_equal(snapstate_load(&r, path, err, sizeof err), 1);
	assert_int_equal(r.mode, SNAPSTATE_HANDOVER);
	assert_string_equal(r.slot, "dbrepl");
	assert_string_equal(r.where, "x > 'a\"b'");
	assert_true(r.truncate);
	assert_int_equal(r.ntables, 3);
	assert_int_equal(snapstate_find(&r, "Sales", "Order Lines"), 1);
	assert_int_equal(snapstate_find(&r, "Sales", "order lines"), -1);
	const snapstate_table *t = &r.tables[1];
	assert_int_equal(t->nkey, 2);
	assert_string_equal(t->keycols[0], "b");
	assert_string_equal(t->keycols[1], "a");
	assert_true(t->started);
	assert_false(t->done);
	assert_non_null(t->last);
	assert_string_equal(t->last[0], last[0]);
	assert_string_equal(t->last[1], last[1]);
	assert_int_equal(t->rows, 41);
	assert_false(r.tables[0].started);
	assert_null(r.tables[0].last);
	assert_true(r.tables[2].done);
	assert_int_equal(r.tables[2].rows, 3);
	assert_false(snapstate_complete(&r));
	snapstate_free(&r);
	snapstate_free(&s);
}

static void test_missing_file(void **st)
{
	(void)st;
	snapstate s;
	char path[128], err[256];
	snprintf(path, sizeof path, "%s/none", dir);
	assert_int_equal(snapstate_load(&s, path, err, sizeof err), 0);
	snapstate_free(&s);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_bad_files(void **st)
{
	(void)st;
	const char *bad[] = {
		"not json",
		"{\"dbrepl_snapshot_state\": 2, \"mode\": \"copy\", \"truncate\": false, \"tables\": []}",
		"{\"dbrepl_snapshot_state\": 1, \"mode\": \"sideways\", \"truncate\": false, \"tables\": []}",
		/* a slot belongs to handover and online copies only */
		"{\"dbrepl_snapshot_state\": 1, \"mode\": \"copy\", \"slot\": \"s\", \"truncate\": false, \"tables\": []}",
		"{\"dbrepl_snapshot_state\": 1, \"mode\": \"online\", \"truncate\": false, \"tables\": []}",
		"{\"dbrepl_snapshot_state\": 1, \"mode\": \"copy\", \"truncate\": false, \"tables\": "
		"[{\"schema\": \"s\", \"table\": \"t\", \"key\": [\"a\", \"b\"], \"started\": true, \"done\": false, "
		"\"last\": [\"1\"], \"rows\": 1}]}",
		"{\"dbrepl_snapshot_state\": 1, \"mode\": \"copy\", \"truncate\": false, \"tables\": "
		"[{\"schema\": \"s\", \"table\": \"t\", \"key\": [], \"started\": true, \"done\": false, "
		"\"last\": [\"1\"], \"rows\": 1}]}",
		"{\"dbrepl_snapshot_state\": 1, \"mode\": \"copy\", \"truncate\": false, \"tables\": "
		"[{\"schema\": \"s\", \"table\": \"t\", \"key\": [\"a\"], \"started\": true, \"done\": false, "
		"\"last\": null, \"rows\": -1}]}",
	};
	char path[128], err[256];
	snprintf(path, sizeof path, "%s/bad", dir);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		write_file(path, bad[i]);
		snapstate s;
		err[0] = '\0';
		assert_int_equal(snapstate_load(&s, path, err, sizeof err), -1);
		/* The message names the file. */
		assert_non_null(strstr(err, path));
		snapstate_free(&s);
	}
}

/* A failed save leaves the old file as it was: the new one is written
 * beside it and renamed over it only when whole. */
static void test_save_is_atomic(void **st)
{
	(void)st;
	snapstate s;
	three_tables(&s);
	char path[128], tmp[140], err[256];
	snprintf(path, sizeof path, "%s/atomic", dir);
	assert_int_equal(snapstate_save(&s, path, err, sizeof err), 0);
	const char *last[] = {"99"};
	assert_int_equal(snapstate_note(&s, 0, off(1), last, 99, false), 0);
	snapstate_flushed(&s);
	/* The temporary file cannot be made: a directory has its name. */
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	assert_int_equal(mkdir(tmp, 0700), 0);
	assert_int_equal(snapstate_save(&s, path, err, sizeof err), -1);
	assert_true(s.dirty);
	snapstate r;
	assert_int_equal(snapstate_load(&r, path, err, sizeof err), 1);
	assert_null(r.tables[0].last);
	assert_int_equal(r.tables[0].rows, 0);
	snapstate_free(&r);
	rmdir(tmp);
	assert_int_equal(snapstate_save(&s, path, err, sizeof err), 0);
	assert_int_equal(snapstate_load(&r, path, err, sizeof err), 1);
	assert_string_equal(r.tables[0].last[0], "99");
	snapstate_free(&r);
	snapstate_free(&s);
}

static void key(char *buf, size_t len, unsigned n)
{
	snprintf(buf, len, "%u", n);
}

/* Progress becomes durable only up to the ack, in order, per table. */
static void test_acks(void **st)
{
	(void)st;
	snapstate s;
	three_tables(&s);
	char k[16];
	const char *last[] = {k};
	/* big's chunks end at offsets 10, 30, 50; nokey's one range at 40. */
	key(k, sizeof k, 100);
	snapstate_note(&s, 0, off(10), last, 10, false);
	key(k, sizeof k, 300);
	snapstate_note(&s, 0, off(30), last, 30, false);
	snapstate_note(&s, 2, off(40), NULL, 5, true);
	key(k, sizeof k, 500);
	snapstate_note(&s, 0, off(50), last, 45, true);
	assert_int_equal(snapstate_pending(&s), 4);

	assert_int_equal(snapstate_ack(&s, off(9)), 0);
	assert_false(s.tables[0].started);
	assert_null(s.tables[0].last);

	s.dirty = false;
	assert_int_equal(snapstate_ack(&s, off(35)), 2);
	assert_true(s.dirty);
	assert_string_equal(s.tables[0].last[0], "300");
	assert_int_equal(s.tables[0].rows, 30);
	assert_false(s.tables[0].done);
	assert_false(s.tables[2].started);

	assert_int_equal(snapstate_ack(&s, off(40)), 1);
	assert_true(s.tables[2].done);
	assert_false(snapstate_complete(&s)); /* the second table is not even begun */

	/* An ack never goes back. */
	assert_int_equal(snapstate_ack(&s, off(20)), 0);
	assert_string_equal(s.tables[0].last[0], "300");
	assert_int_equal(snapstate_ack(&s, off(50)), 1);
	assert_string_equal(s.tables[0].last[0], "500");
	assert_true(s.tables[0].done);
	assert_int_equal(s.tables[0].rows, 45);
	assert_int_equal(snapstate_pending(&s), 0);
	snapstate_free(&s);
}

/* A note without key or rows (a truncate record) makes the table started
 * and keeps the key it has. */
static void test_truncate_note(void **st)
{
	(void)st;
	snapstate s;
	three_tables(&s);
	snapstate_note(&s, 0, off(1), NULL, 0, false);
	snapstate_ack(&s, off(1));
	assert_true(s.tables[0].started);
	assert_null(s.tables[0].last);
	const char *last[] = {"7"};
	snapstate_note(&s, 0, off(2), last, 7, false);
	snapstate_note(&s, 0, off(3), NULL, 0, false);
	snapstate_ack(&s, off(3));
	assert_string_equal(s.tables[0].last[0], "7");
	assert_int_equal(s.tables[0].rows, 7);
	snapstate_free(&s);
}

/* A full queue makes the newest note stand for itself and the one before:
 * progress gets coarser, never ahead of the acks. */
static void test_queue_full(void **st)
{
	(void)st;
	snapstate s;
	three_tables(&s);
	char k[16];
	const char *last[] = {k};
	unsigned n = SNAPSTATE_QUEUE_MAX * 3;
	for (unsigned i = 1; i <= n; i++) {
		key(k, sizeof k, i);
		assert_int_equal(snapstate_note(&s, 0, off(i), last, i, i == n), 0);
	}
	assert_int_equal(snapstate_pending(&s), SNAPSTATE_QUEUE_MAX);
	/* Up to the last note kept alone. */
	snapstate_ack(&s, off(SNAPSTATE_QUEUE_MAX + 10));
	key(k, sizeof k, SNAPSTATE_QUEUE_MAX - 1);
	assert_string_equal(s.tables[0].last[0], k);
	assert_false(s.tables[0].done);
	/* The merged note needs the ack of its newest part. */
	snapstate_ack(&s, off(n - 1));
	assert_string_equal(s.tables[0].last[0], k);
	snapstate_ack(&s, off(n));
	key(k, sizeof k, n);
	assert_string_equal(s.tables[0].last[0], k);
	assert_true(s.tables[0].done);
	assert_int_equal(s.tables[0].rows, n);
	assert_int_equal(snapstate_pending(&s), 0);
	snapstate_free(&s);
}

/* Offsets of a slot's stream: (LSN, ordinal) pairs. */
static void test_lsn_offsets(void **st)
{
	(void)st;
	snapstate s;
	three_tables(&s);
	const char *last[] = {"1"};
	snapstate_note(&s, 0, (pos_offset){.major = 0x16B3747, .minor = 20, .lsn = true}, last, 20, false);
	assert_int_equal(snapstate_ack(&s, (pos_offset){.major = 0x16B3747, .minor = 19, .lsn = true}), 0);
	assert_int_equal(snapstate_ack(&s, (pos_offset){.major = 0x16B3747, .minor = 20, .lsn = true}), 1);
	snapstate_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_bad_files),     cmocka_unit_test(test_save_is_atomic),
		cmocka_unit_test(test_acks),          cmocka_unit_test(test_truncate_note),
		cmocka_unit_test(test_queue_full),    cmocka_unit_test(test_lsn_offsets),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
