/* Unit tests for lib/kafka_topic (topic names from a template). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "kafka_topic.h"

static void test_expand(void **state)
{
	(void)state;
	char out[KAFKA_TOPIC_MAX + 1];
	assert_int_equal(kafka_topic_expand(KAFKA_TOPIC_DEFAULT_TEMPLATE, NULL, "wwi", "sales", "orders",
					    out, sizeof out), 16);
	assert_string_equal(out, "wwi.sales.orders");
	assert_true(kafka_topic_expand("{prefix}-{db}_{table}", "cdc", "d", "s", "t", out, sizeof out) > 0);
	assert_string_equal(out, "cdc-d_t");
	assert_true(kafka_topic_expand("fixed", NULL, "d", "s", "t", out, sizeof out) > 0);
	assert_string_equal(out, "fixed");
	/* Bytes Kafka refuses become '_', UTF-8 included. */
	assert_true(kafka_topic_expand("{db}.{schema}.{table}", NULL, "my db", "s\"x", "tä/b", out, sizeof out) > 0);
	assert_string_equal(out, "my_db.s_x.t___b"); /* two bytes of ä, and / */
}

static void test_expand_limits(void **state)
{
	(void)state;
	char out[KAFKA_TOPIC_MAX + 1], big[300];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(kafka_topic_expand("{table}", NULL, "d", "s", big, out, sizeof out), -1);
	big[KAFKA_TOPIC_MAX] = '\0';
	assert_int_equal(kafka_topic_expand("{table}", NULL, "d", "s", big, out, sizeof out), KAFKA_TOPIC_MAX);
	assert_int_equal(kafka_topic_expand("{table}", NULL, "d", "s", "", out, sizeof out), -1);
	assert_int_equal(kafka_topic_expand("{table}", NULL, "d", "s", ".", out, sizeof out), -1);
	assert_int_equal(kafka_topic_expand("{table}.", NULL, "d", "s", ".", out, sizeof out), -1);
	char small[5];
	assert_int_equal(kafka_topic_expand("{table}", NULL, "d", "s", "abcdef", small, sizeof small), -1);
}

static void test_template_check(void **state)
{
	(void)state;
	char err[200];
	assert_int_equal(kafka_topic_template_check(KAFKA_TOPIC_DEFAULT_TEMPLATE, err, sizeof err), 0);
	assert_int_equal(kafka_topic_template_check("x-{db}_{schema}.{table}", err, sizeof err), 0);
	assert_int_equal(kafka_topic_template_check("", err, sizeof err), -1);
	assert_int_equal(kafka_topic_template_check("{nope}", err, sizeof err), -1);
	assert_non_null(strstr(err, "placeholder"));
	assert_int_equal(kafka_topic_template_check("{table", err, sizeof err), -1);
	assert_int_equal(kafka_topic_template_check("a b", err, sizeof err), -1);
	assert_int_equal(kafka_topic_template_check("a/{table}", err, sizeof err), -1);
}

/* The beginning every topic of a database's tables shares (kpub's
 * watermarks go to every topic that begins so). */
static void test_family(void **state)
{
	(void)state;
	char out[KAFKA_TOPIC_MAX + 1];
	int exact;
	assert_int_equal(kafka_topic_family("{prefix}.{schema}.{table}", NULL, "wwi", out, sizeof out, &exact), 4);
	assert_string_equal(out, "wwi.");
	assert_int_equal(exact, 0);
	assert_int_equal(kafka_topic_family("{prefix}.{schema}.{table}", "cdc", "wwi", out, sizeof out, &exact), 4);
	assert_string_equal(out, "cdc.");
	assert_int_equal(kafka_topic_family("x-{db}-{table}", NULL, "a b", out, sizeof out, &exact), 6);
	assert_string_equal(out, "x-a_b-");
	/* no table in the name: one topic, the whole name */
	assert_int_equal(kafka_topic_family("all-{db}", NULL, "wwi", out, sizeof out, &exact), 7);
	assert_string_equal(out, "all-wwi");
	assert_int_equal(exact, 1);
	/* a name that begins with the table's: no family */
	assert_int_equal(kafka_topic_family("{table}.{db}", NULL, "wwi", out, sizeof out, &exact), 0);
	assert_string_equal(out, "");
	assert_int_equal(exact, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_expand_limits),
		cmocka_unit_test(test_template_check),
		cmocka_unit_test(test_family),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
