/* Unit tests for lib/syncrep: whether a commit cannot end without a given
 * walsender, in each form of synchronous_standby_names the server reads
 * (checked against PostgreSQL 15's ALTER SYSTEM), with ties of priority,
 * quorums, walsenders not streaming and names not known. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "syncrep.h"

/* One walsender alone, named app. */
static bool alone(const char *setting, const char *app)
{
	syncrep_standby s[1] = {{app, true}};
	return syncrep_commits_wait_for(setting, s, 1, 0);
}

static void test_forms_alone(void **state)
{
	(void)state;
	assert_true(alone("pgcdc", "pgcdc"));
	assert_true(alone("  PGCDC  ", "pgcdc"));
	assert_true(alone("\"pgcdc-read\"", "pgcdc-read"));
	assert_true(alone("\"PgCdc-Read\"", "pgcdc-read"));
	assert_true(alone("*", "pgcdc-read"));
	assert_true(alone("pgcdc, s2", "pgcdc"));
	assert_true(alone("s1, pgcdc", "pgcdc")); /* s1 is not connected */
	assert_true(alone("2 (s1, pgcdc)", "pgcdc"));
	assert_true(alone("FIRST 2 (s1,\"pgcdc\", s3)", "pgcdc"));
	assert_true(alone("first 1 (*)", "x"));
	assert_true(alone("ANY 1 (pgcdc)", "pgcdc")); /* a quorum it alone can make */
	assert_true(alone("any 2 (s1, pgcdc)", "pgcdc"));
	/* A name that is a number, and a plain list that begins with one. */
	assert_true(alone("17", "17"));
	assert_true(alone("17, pgcdc", "pgcdc"));
	assert_true(alone("\"a \"\"b\"\"\"", "a \"b\""));
	/* Identifiers take $ and digits after the first character. */
	assert_true(alone("w$1", "W$1"));
	/* A keyword within a longer identifier is a name. */
	assert_true(alone("anyone", "anyone"));
	assert_true(alone("firstly", "FIRSTLY"));
	/* N as the server's atoi reads it: 4294967297 is 1, leading zeros. */
	assert_true(alone("4294967297 (s1, pgcdc)", "pgcdc"));
	assert_true(alone("00000000001 (pgcdc)", "pgcdc"));
}

static void test_not_read_or_not_named(void **state)
{
	(void)state;
	assert_false(alone("", "pgcdc"));
	assert_false(alone("   ", "pgcdc"));
	assert_false(alone(NULL, "pgcdc"));
	assert_false(alone("pgcdc", NULL));
	assert_false(alone("s1", "pgcdc"));
	assert_false(alone("pgcdc2", "pgcdc"));
	assert_false(alone("\"pgcdc\"", "pgcdc "));
	/* Values the server refuses are not read as anything. */
	assert_false(alone("pgcdc-read", "pgcdc-read"));
	assert_false(alone("0 (pgcdc)", "pgcdc"));
	assert_false(alone("4294967296 (pgcdc)", "pgcdc")); /* atoi: 0 */
	assert_false(alone("99999999999999999999 (pgcdc)", "pgcdc")); /* atoi: -1 */
	assert_false(alone("FIRST pgcdc", "pgcdc"));
	assert_false(alone("FIRST 1 pgcdc", "pgcdc"));
	assert_false(alone("1 (pgcdc", "pgcdc"));
	assert_false(alone("1 (pgcdc))", "pgcdc"));
	assert_false(alone("pgcdc,", "pgcdc"));
	assert_false(alone("\"pgcdc", "pgcdc"));
	assert_false(alone("pgcdc s2", "pgcdc"));
	assert_false(alone("s1, first", "first"));
	assert_false(alone("any", "any"));
	assert_false(alone("ANY (pgcdc)", "pgcdc"));
}

static void test_others(void **state)
{
	(void)state;
	/* By priority: the ones before it by name, then by slot. */
	syncrep_standby a[3] = {{"s1", true}, {"pgcdc", true}, {"s3", true}};
	assert_false(syncrep_commits_wait_for("s1, pgcdc", a, 3, 1));
	assert_true(syncrep_commits_wait_for("2 (s1, pgcdc)", a, 3, 1));
	assert_true(syncrep_commits_wait_for("pgcdc, s1", a, 3, 1));
	assert_false(syncrep_commits_wait_for("*", a, 3, 1)); /* s1 ties, in an earlier slot */
	assert_true(syncrep_commits_wait_for("*", a, 3, 0));
	assert_true(syncrep_commits_wait_for("2 (*)", a, 3, 1));
	assert_false(syncrep_commits_wait_for("2 (*)", a, 3, 2));
	/* The first match counts: "*" after the name does not move it up. */
	assert_false(syncrep_commits_wait_for("s1, s3, pgcdc, *", a, 3, 1));
	/* A walsender that is no candidate (not streaming, no flush) is passed over. */
	a[0].valid = false;
	assert_true(syncrep_commits_wait_for("s1, pgcdc", a, 3, 1));
	assert_true(syncrep_commits_wait_for("*", a, 3, 1));
	a[0].valid = true;
	/* Two of one name: the earlier slot is chosen. */
	syncrep_standby twins[2] = {{"pgcdc-read", true}, {"pgcdc-read", true}};
	assert_true(syncrep_commits_wait_for("\"pgcdc-read\"", twins, 2, 0));
	assert_false(syncrep_commits_wait_for("\"pgcdc-read\"", twins, 2, 1));
	/* A quorum: fewer other members than N. */
	assert_false(syncrep_commits_wait_for("ANY 1 (s1, pgcdc)", a, 3, 1));
	assert_true(syncrep_commits_wait_for("ANY 2 (s1, pgcdc)", a, 3, 1));
	assert_false(syncrep_commits_wait_for("ANY 2 (*)", a, 3, 1));
	assert_true(syncrep_commits_wait_for("ANY 3 (*)", a, 3, 1));
	assert_true(syncrep_commits_wait_for("ANY 1 (s9, pgcdc)", a, 3, 1)); /* s1 is no member */
	/* A name not known counts as one that may come first. */
	syncrep_standby u[2] = {{NULL, true}, {"pgcdc", true}};
	assert_false(syncrep_commits_wait_for("*", u, 2, 1));
	assert_false(syncrep_commits_wait_for("pgcdc", u, 2, 1));
	assert_true(syncrep_commits_wait_for("2 (pgcdc)", u, 2, 1));
	assert_false(syncrep_commits_wait_for("*", u, 2, 0)); /* its own name not known */
	assert_false(syncrep_commits_wait_for("*", u, 2, 2));  /* no such walsender */
}

static void test_long_names(void **state)
{
	(void)state;
	char set[400], app[200];
	memset(app, 'a', 150);
	app[150] = '\0';
	snprintf(set, sizeof set, "%s", app);
	/* Longer than any application_name: kept in part, so it must neither
	 * match a name equal to its first bytes nor one of its own length. */
	assert_false(alone(set, app));
	app[128] = '\0';
	assert_false(alone(set, app));
	assert_true(alone("*", app));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms_alone),
		cmocka_unit_test(test_not_read_or_not_named),
		cmocka_unit_test(test_others),
		cmocka_unit_test(test_long_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
