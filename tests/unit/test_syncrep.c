/* Unit tests for lib/syncrep: which synchronous_standby_names values make
 * every commit wait for a standby of a given application_name, in each form
 * of the server's grammar, and the values it must not read as such. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "syncrep.h"

static void test_priority_forms(void **state)
{
	(void)state;
	assert_true(syncrep_commits_wait_for("pgcdc", "pgcdc"));
	assert_true(syncrep_commits_wait_for("  PGCDC  ", "pgcdc"));
	assert_true(syncrep_commits_wait_for("\"pgcdc-read\"", "pgcdc-read"));
	assert_true(syncrep_commits_wait_for("\"PgCdc-Read\"", "pgcdc-read"));
	assert_true(syncrep_commits_wait_for("*", "pgcdc-read"));
	assert_true(syncrep_commits_wait_for("pgcdc, s2", "pgcdc"));
	assert_true(syncrep_commits_wait_for("2 (s1, pgcdc)", "pgcdc"));
	assert_true(syncrep_commits_wait_for("FIRST 2 (s1,\"pgcdc\", s3)", "pgcdc"));
	assert_true(syncrep_commits_wait_for("first 1 (*)", "x"));
	assert_true(syncrep_commits_wait_for("s1, *", "s1"));
	/* A name that is a number, and a plain list that begins with one. */
	assert_true(syncrep_commits_wait_for("17", "17"));
	assert_true(syncrep_commits_wait_for("99999999999 (s1, s2, pgcdc)", "pgcdc"));
	assert_true(syncrep_commits_wait_for("17, pgcdc", "17"));
	assert_true(syncrep_commits_wait_for("\"a \"\"b\"\"\"", "a \"b\""));
	/* Identifiers take $ and digits after the first character. */
	assert_true(syncrep_commits_wait_for("w$1", "W$1"));
	/* A keyword within a longer identifier is a name. */
	assert_true(syncrep_commits_wait_for("anyone", "anyone"));
	assert_true(syncrep_commits_wait_for("firstly", "FIRSTLY"));
}

static void test_not_waited_for(void **state)
{
	(void)state;
	assert_false(syncrep_commits_wait_for("", "pgcdc"));
	assert_false(syncrep_commits_wait_for("   ", "pgcdc"));
	assert_false(syncrep_commits_wait_for(NULL, "pgcdc"));
	assert_false(syncrep_commits_wait_for("pgcdc", NULL));
	assert_false(syncrep_commits_wait_for("s1", "pgcdc"));
	assert_false(syncrep_commits_wait_for("pgcdc2", "pgcdc"));
	assert_false(syncrep_commits_wait_for("\"pgcdc\"", "pgcdc "));
	/* After the first N it depends on who else is connected. */
	assert_false(syncrep_commits_wait_for("s1, pgcdc", "pgcdc"));
	assert_false(syncrep_commits_wait_for("FIRST 1 (s1, pgcdc)", "pgcdc"));
	assert_false(syncrep_commits_wait_for("2 (s1, s2, pgcdc)", "pgcdc"));
	/* The first match counts: "*" after the name does not move it up. */
	assert_false(syncrep_commits_wait_for("s1, s2, pgcdc, *", "pgcdc"));
	/* A quorum can go on without this standby. */
	assert_false(syncrep_commits_wait_for("ANY 1 (pgcdc)", "pgcdc"));
	assert_false(syncrep_commits_wait_for("any 2 (pgcdc, s1)", "pgcdc"));
	/* Values the server refuses are not read as anything. */
	assert_false(syncrep_commits_wait_for("pgcdc-read", "pgcdc-read"));
	assert_false(syncrep_commits_wait_for("0 (pgcdc)", "pgcdc"));
	assert_false(syncrep_commits_wait_for("FIRST pgcdc", "pgcdc"));
	assert_false(syncrep_commits_wait_for("FIRST 1 pgcdc", "pgcdc"));
	assert_false(syncrep_commits_wait_for("1 (pgcdc", "pgcdc"));
	assert_false(syncrep_commits_wait_for("1 (pgcdc))", "pgcdc"));
	assert_false(syncrep_commits_wait_for("pgcdc,", "pgcdc"));
	assert_false(syncrep_commits_wait_for("\"pgcdc", "pgcdc"));
	assert_false(syncrep_commits_wait_for("pgcdc s2", "pgcdc"));
}

static void test_long_names(void **state)
{
	(void)state;
	char set[400], app[200];
	memset(app, 'a', 150);
	app[150] = '\0';
	snprintf(set, sizeof set, "%s", app);
	/* Longer than any application_name: kept in part, so it must not match
	 * a name that equals its first bytes. */
	app[128] = '\0';
	assert_false(syncrep_commits_wait_for(set, app));
	assert_true(syncrep_commits_wait_for("*", app));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_priority_forms),
		cmocka_unit_test(test_not_waited_for),
		cmocka_unit_test(test_long_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
