/* Unit tests for lib/colmask: the hash against FIPS 180-4's SHA-256
 * examples (salt and value split anywhere hash as their concatenation),
 * the names of the options, which rule a column takes, key columns, and
 * where the salt comes from. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "colmask.h"

static colmask *with_salt(const char *salt)
{
	colmask *m = colmask_new();
	char err[256];
	assert_int_equal(colmask_option(m, 2, "t.c", err, sizeof err), 0);
	setenv(COLMASK_SALT_ENV, salt, 1);
	assert_int_equal(colmask_finish(m, err, sizeof err), 0);
	unsetenv(COLMASK_SALT_ENV);
	return m;
}

static void test_hash_vectors(void **state)
{
	(void)state;
	/* FIPS 180-4 (NIST's examples): SHA-256("abc") and the 448-bit message */
	static const struct {
		const char *salt, *value, *hex;
	} v[] = {
		{"a", "bc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"abc", "", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"abcdbcdecdefdefgefghfghighijhijk", "ijkljklmklmnlmnomnopnopq",
		 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	};
	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		colmask *m = with_salt(v[i].salt);
		char out[COLMASK_HEX_LEN + 1];
		assert_int_equal(colmask_hash(m, v[i].value, strlen(v[i].value), out), 0);
		assert_string_equal(out, v[i].hex);
		colmask_free(m);
	}
	/* a million 'a's, the long example, split between salt and value */
	size_t n = 1000000;
	char *a = malloc(n + 1);
	memset(a, 'a', n);
	a[n] = '\0';
	a[1000] = '\0';
	colmask *m = with_salt(a);
	a[1000] = 'a';
	char out[COLMASK_HEX_LEN + 1];
	assert_int_equal(colmask_hash(m, a + 1000, n - 1000, out), 0);
	assert_string_equal(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	colmask_free(m);
	free(a);
}

static void test_rules(void **state)
{
	(void)state;
	colmask *m = colmask_new();
	char err[256];
	assert_false(colmask_any(m));
	assert_int_equal(colmask_option(m, 0, "People.SSN", err, sizeof err), 0);          /* folded */
	assert_int_equal(colmask_option(m, 1, "hr.people.\"Name\"", err, sizeof err), 0);  /* quoted keeps case */
	assert_int_equal(colmask_option(m, 2, "\"my.schema\".t.email", err, sizeof err), 0); /* a dot in a name */
	assert_int_equal(colmask_option(m, 2, "people.email", err, sizeof err), 0);
	assert_int_equal(colmask_option(m, 0, "hr.people.email", err, sizeof err), 0); /* qualified wins */
	assert_true(colmask_any(m));
	assert_int_equal(colmask_lookup(m, "hr", "people", "ssn"), RECORD_MASK_EXCLUDED);
	assert_int_equal(colmask_lookup(m, "other", "people", "ssn"), RECORD_MASK_EXCLUDED); /* any schema */
	assert_int_equal(colmask_lookup(m, "hr", "people", "SSN"), RECORD_MASK_NONE);
	assert_int_equal(colmask_lookup(m, "hr", "people", "Name"), RECORD_MASK_FIXED);
	assert_int_equal(colmask_lookup(m, "hr", "people", "name"), RECORD_MASK_NONE);
	assert_int_equal(colmask_lookup(m, "other", "people", "Name"), RECORD_MASK_NONE);
	assert_int_equal(colmask_lookup(m, "my.schema", "t", "email"), RECORD_MASK_SHA256);
	assert_int_equal(colmask_lookup(m, "hr", "people", "email"), RECORD_MASK_EXCLUDED);
	assert_int_equal(colmask_lookup(m, "x", "people", "email"), RECORD_MASK_SHA256);
	assert_int_equal(colmask_lookup(m, "hr", "persons", "ssn"), RECORD_MASK_NONE);
	/* bad names, and a column named twice */
	const char *bad[] = {"t", "a.b.c.d", "t..c", "t.", ".c", "\"t.c", "t.c d", "s.t.\"\""};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(colmask_option(m, 0, bad[i], err, sizeof err), -1);
		assert_non_null(strstr(err, "want TABLE.COLUMN"));
	}
	assert_int_equal(colmask_option(m, 2, "PEOPLE.ssn", err, sizeof err), -1);
	assert_non_null(strstr(err, "named twice"));
	/* types */
	assert_string_equal(colmask_type(RECORD_MASK_SHA256, "integer"), "character(64)");
	assert_string_equal(colmask_type(RECORD_MASK_FIXED, "date"), "text");
	assert_string_equal(colmask_type(RECORD_MASK_EXCLUDED, "date"), "date");
	assert_string_equal(colmask_type(RECORD_MASK_NONE, "date"), "date");
	/* the fixed text */
	size_t len;
	assert_string_equal(colmask_text(m, &len), COLMASK_DEFAULT_TEXT);
	assert_int_equal(colmask_option(m, 3, "\xe2\x80\xa2redacted", err, sizeof err), 0);
	assert_string_equal(colmask_text(m, &len), "\xe2\x80\xa2redacted");
	assert_int_equal(len, 11);
	assert_int_equal(colmask_option(m, 3, "\xff", err, sizeof err), -1);
	colmask_free(m);
}

static void test_plan_and_keys(void **state)
{
	(void)state;
	colmask *m = colmask_new();
	char err[512];
	assert_int_equal(colmask_option(m, 2, "people.id", err, sizeof err), 0);
	assert_int_equal(colmask_option(m, 1, "people.name", err, sizeof err), 0);
	assert_int_equal(colmask_option(m, 0, "people.ssn", err, sizeof err), 0);
	record_column cols[4] = {{"id", "integer"}, {"name", "text"}, {"ssn", "text"}, {"v", "text"}};
	unsigned char plan[4];
	uint16_t key = 0;
	assert_int_equal(colmask_plan(m, "hr", "people", NULL, 0, cols, 4, &key, 1, plan, err, sizeof err), 1);
	assert_int_equal(plan[0], RECORD_MASK_SHA256); /* a hashed key stays a key */
	assert_int_equal(plan[1], RECORD_MASK_FIXED);
	assert_int_equal(plan[2], RECORD_MASK_EXCLUDED);
	assert_int_equal(plan[3], RECORD_MASK_NONE);
	assert_int_equal(colmask_plan(m, "hr", "other", NULL, 0, cols, 4, &key, 1, plan, err, sizeof err), 0);
	for (key = 1; key <= 2; key++) {
		assert_int_equal(colmask_plan(m, "hr", "people", NULL, 0, cols, 4, &key, 1, plan, err, sizeof err), -1);
		assert_non_null(strstr(err, "a key column cannot be"));
		assert_non_null(strstr(err, key == 1 ? "--mask-column hr.people.name" : "--exclude-column hr.people.ssn"));
	}
	/* a partition takes its parents' rules; its own, and the nearest parent's, first */
	assert_int_equal(colmask_option(m, 0, "hr.people_2024.v", err, sizeof err), 0);
	assert_int_equal(colmask_option(m, 2, "archive.name", err, sizeof err), 0);
	char *parents[] = {"hr", "people_2024", "hr", "people", "old", "archive"};
	key = 3;
	assert_int_equal(colmask_plan(m, "hr", "people_2024_01", parents, 3, cols, 4, &key, 1, plan, err, sizeof err), -1);
	assert_non_null(strstr(err, "--exclude-column hr.people_2024_01.v")); /* the key, excluded on a parent */
	key = 0;
	assert_int_equal(colmask_plan(m, "hr", "people_2024_01", parents, 3, cols, 4, &key, 1, plan, err, sizeof err), 1);
	assert_int_equal(plan[0], RECORD_MASK_SHA256);
	assert_int_equal(plan[1], RECORD_MASK_FIXED); /* people's rule, not archive's */
	assert_int_equal(plan[2], RECORD_MASK_EXCLUDED);
	assert_int_equal(plan[3], RECORD_MASK_EXCLUDED);
	assert_int_equal(colmask_plan(m, "hr", "people_2024_01", parents + 4, 1, cols, 4, &key, 1, plan, err, sizeof err), 1);
	assert_int_equal(plan[1], RECORD_MASK_SHA256); /* archive's */
	assert_int_equal(plan[0], RECORD_MASK_NONE);
	colmask_free(m);
}

static void test_salt(void **state)
{
	(void)state;
	char err[512], path[] = "/tmp/test_colmask.XXXXXX";
	unsetenv(COLMASK_SALT_ENV);
	/* no hash column: no salt needed */
	colmask *m = colmask_new();
	assert_int_equal(colmask_option(m, 0, "t.c", err, sizeof err), 0);
	assert_int_equal(colmask_finish(m, err, sizeof err), 0);
	colmask_free(m);
	/* a hash column without a salt, or with an empty one */
	m = colmask_new();
	assert_int_equal(colmask_option(m, 2, "t.c", err, sizeof err), 0);
	assert_int_equal(colmask_finish(m, err, sizeof err), -1);
	assert_non_null(strstr(err, "set " COLMASK_SALT_ENV " or give --hash-salt-file"));
	colmask_free(m);
	m = colmask_new();
	assert_int_equal(colmask_option(m, 2, "t.c", err, sizeof err), 0);
	setenv(COLMASK_SALT_ENV, "", 1);
	assert_int_equal(colmask_finish(m, err, sizeof err), -1);
	assert_non_null(strstr(err, "empty"));
	unsetenv(COLMASK_SALT_ENV);
	colmask_free(m);
	/* a file: its final newline is not part of the salt; it wins over the environment */
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc\n", 4), 4);
	close(fd);
	setenv(COLMASK_SALT_ENV, "zzz", 1);
	m = colmask_new();
	assert_int_equal(colmask_option(m, 2, "t.c", err, sizeof err), 0);
	assert_int_equal(colmask_option(m, 4, path, err, sizeof err), 0);
	assert_int_equal(colmask_finish(m, err, sizeof err), 0);
	char out[COLMASK_HEX_LEN + 1];
	assert_int_equal(colmask_hash(m, "", 0, out), 0);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	colmask_free(m);
	unsetenv(COLMASK_SALT_ENV);
	/* a file that is not there, or empty */
	m = colmask_new();
	assert_int_equal(colmask_option(m, 2, "t.c", err, sizeof err), 0);
	assert_int_equal(colmask_option(m, 4, "/nonexistent/salt", err, sizeof err), 0);
	assert_int_equal(colmask_finish(m, err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/salt"));
	colmask_free(m);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "\n", 1), 1);
	close(fd);
	m = colmask_new();
	assert_int_equal(colmask_option(m, 2, "t.c", err, sizeof err), 0);
	assert_int_equal(colmask_option(m, 4, path, err, sizeof err), 0);
	assert_int_equal(colmask_finish(m, err, sizeof err), -1);
	assert_non_null(strstr(err, "empty"));
	colmask_free(m);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_vectors),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_plan_and_keys),
		cmocka_unit_test(test_salt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
