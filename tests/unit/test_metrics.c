/* Unit tests for lib/metrics: the text exposition format (escaping, the
 * cumulative buckets of a histogram, numbers), the series cap, the options
 * and the file written by rename. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/test_metrics.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static metrics *open_in_dir(const char *name, metrics_config *c)
{
	static char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	c->path = path;
	char err[256];
	metrics *m = metrics_open(c, "prog", err, sizeof err);
	assert_non_null(m);
	return m;
}

static char *render(metrics *m)
{
	char *text;
	size_t len;
	assert_int_equal(metrics_render(m, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	return text;
}

/* The lines of text that start with prefix, joined. */
static char *lines_with(const char *text, const char *prefix)
{
	size_t cap = strlen(text) + 1, n = 0;
	char *out = calloc(1, cap);
	for (const char *l = text; *l;) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l + 1) : strlen(l);
		if (strncmp(l, prefix, strlen(prefix)) == 0) {
			memcpy(out + n, l, len);
			n += len;
		}
		l += len;
	}
	return out;
}

static void test_counter_and_escaping(void **state)
{
	(void)state;
	metrics_config c = {0};
	char err[256];
	assert_int_equal(metrics_config_option(&c, 2, "pipe=a\"b\\c\nd", err, sizeof err), 0);
	metrics *m = open_in_dir("a.prom", &c);
	metric_family *f = metrics_counter(m, "dbrepl_records_out_total", "Records \"written\" \\ out.\nSecond line.",
					   "table");
	metric *s = metric_get(f, "sales.\"odd\"\\name\n");
	metric_add(s, 41);
	metric_add(s, 1);
	assert_ptr_equal(metric_get(f, "sales.\"odd\"\\name\n"), s);
	char *text = render(m);
	char *got = lines_with(text, "dbrepl_records_out_total");
	assert_string_equal(got, "dbrepl_records_out_total{program=\"prog\",pipe=\"a\\\"b\\\\c\\nd\","
				 "table=\"sales.\\\"odd\\\"\\\\name\\n\"} 42\n");
	free(got);
	/* HELP escapes backslash and newline, not the quote. */
	got = lines_with(text, "# HELP dbrepl_records_out_total");
	assert_string_equal(got, "# HELP dbrepl_records_out_total Records \"written\" \\\\ out.\\nSecond line.\n");
	free(got);
	got = lines_with(text, "# TYPE dbrepl_records_out_total");
	assert_string_equal(got, "# TYPE dbrepl_records_out_total counter\n");
	free(got);
	/* HELP, TYPE and the samples come as one group, in that order. */
	const char *h = strstr(text, "# HELP dbrepl_records_out_total"), *t = strstr(text, "# TYPE dbrepl_records_out_total"),
		   *v = strstr(text, "dbrepl_records_out_total{");
	assert_true(h && t && v && h < t && t < v);
	assert_int_equal(text[strlen(text) - 1], '\n');
	free(text);
	metrics_close(m);
}

static void test_histogram_cumulative(void **state)
{
	(void)state;
	metrics_config c = {0};
	metrics *m = open_in_dir("h.prom", &c);
	static const double bounds[] = {0.005, 0.5, 2.5};
	metric *s = metric_get(metrics_histogram(m, "dbrepl_apply_latency_seconds", "Latency.", NULL, bounds, 3));
	double obs[] = {0.001, 0.005 /* on a bound: counts in it (le) */, 0.2, 0.4, 1, 3, 100, NAN};
	for (size_t i = 0; i < sizeof obs / sizeof *obs; i++)
		metric_observe(s, obs[i]);
	char *text = render(m);
	char *got = lines_with(text, "dbrepl_apply_latency_seconds");
	assert_string_equal(got,
			    "dbrepl_apply_latency_seconds_bucket{program=\"prog\",le=\"0.005\"} 2\n"
			    "dbrepl_apply_latency_seconds_bucket{program=\"prog\",le=\"0.5\"} 4\n"
			    "dbrepl_apply_latency_seconds_bucket{program=\"prog\",le=\"2.5\"} 5\n"
			    "dbrepl_apply_latency_seconds_bucket{program=\"prog\",le=\"+Inf\"} 7\n"
			    "dbrepl_apply_latency_seconds_sum{program=\"prog\"} 104.606\n"
			    "dbrepl_apply_latency_seconds_count{program=\"prog\"} 7\n");
	free(got);
	got = lines_with(text, "# TYPE dbrepl_apply_latency_seconds");
	assert_string_equal(got, "# TYPE dbrepl_apply_latency_seconds histogram\n");
	free(got);
	free(text);
	/* Bounds must increase. */
	static const double bad[] = {1, 1};
	assert_null(metrics_histogram(m, "x_seconds", "x", NULL, bad, 2));
	metrics_close(m);
}

static void test_gauges_and_numbers(void **state)
{
	(void)state;
	metrics_config c = {0};
	metrics *m = open_in_dir("g.prom", &c);
	metric_family *f = metrics_gauge(m, "dbrepl_g", "G.", "stream");
	metric_set(metric_get(f, "a"), 0.1);
	metric_set(metric_get(f, "b"), 1764000000.123456);
	metric_set(metric_get(f, "c"), NAN);
	metric_set(metric_get(f, "d"), -INFINITY);
	metric_set(metric_get(f, "e"), 1e21);
	metric *gone = metric_get(f, "f");
	metric_set(gone, 3);
	metric_unset(gone);
	metric_get(metrics_gauge(m, "dbrepl_never_set", "N.", NULL)); /* a family without samples */
	char *text = render(m);
	char *got = lines_with(text, "dbrepl_g{");
	assert_string_equal(got, "dbrepl_g{program=\"prog\",stream=\"a\"} 0.1\n"
				 "dbrepl_g{program=\"prog\",stream=\"b\"} 1764000000.123456\n"
				 "dbrepl_g{program=\"prog\",stream=\"c\"} NaN\n"
				 "dbrepl_g{program=\"prog\",stream=\"d\"} -Inf\n"
				 "dbrepl_g{program=\"prog\",stream=\"e\"} 1e+21\n");
	free(got);
	assert_null(strstr(text, "dbrepl_never_set"));
	/* Every file says when the program started. */
	assert_non_null(strstr(text, "# TYPE dbrepl_start_time_seconds gauge\ndbrepl_start_time_seconds{program=\"prog\"} "));
	free(text);
	metrics_close(m);
}

static void test_series_cap(void **state)
{
	(void)state;
	metrics_config c = {0};
	metrics *m = open_in_dir("cap.prom", &c);
	metric_family *f = metrics_counter(m, "dbrepl_c_total", "C.", "stream,table");
	for (int i = 0; i < METRICS_MAX_SERIES + 5; i++) {
		char t[32];
		snprintf(t, sizeof t, "t%d", i);
		metric_add(metric_get(f, "s", t), 2);
	}
	/* An existing series is found again after the cap. */
	metric_add(metric_get(f, "s", "t7"), 1);
	char *text = render(m);
	char *got = lines_with(text, "dbrepl_c_total{");
	size_t n = 0;
	for (char *p = got; (p = strchr(p, '\n')); p++)
		n++;
	assert_int_equal(n, METRICS_MAX_SERIES + 1);
	assert_non_null(strstr(got, "dbrepl_c_total{program=\"prog\",stream=\"(other)\",table=\"(other)\"} 10\n"));
	assert_non_null(strstr(got, "dbrepl_c_total{program=\"prog\",stream=\"s\",table=\"t7\"} 3\n"));
	free(got);
	free(text);
	metrics_close(m);
}

static void test_options(void **state)
{
	(void)state;
	metrics_config c = {0};
	char err[256];
	assert_int_equal(metrics_config_option(&c, 1, "0.5", err, sizeof err), 0);
	assert_true(c.interval_s == 0.5);
	assert_int_equal(metrics_config_option(&c, 1, "0", err, sizeof err), -1);
	assert_int_equal(metrics_config_option(&c, 1, "5s", err, sizeof err), -1);
	assert_int_equal(metrics_config_option(&c, 2, "table=x", err, sizeof err), -1);
	assert_non_null(strstr(err, "dbrepl's own"));
	assert_int_equal(metrics_config_option(&c, 2, "__name__=x", err, sizeof err), -1);
	assert_int_equal(metrics_config_option(&c, 2, "9a=x", err, sizeof err), -1);
	assert_int_equal(metrics_config_option(&c, 2, "novalue", err, sizeof err), -1);
	/* Prometheus refuses a whole file for one label value that is not UTF-8 */
	assert_int_equal(metrics_config_option(&c, 2, "site=caf\xe9", err, sizeof err), -1);
	assert_non_null(strstr(err, "UTF-8"));
	assert_int_equal(metrics_config_option(&c, 2, "site=caf\xc3\xa9", err, sizeof err), 0);
	assert_int_equal(metrics_config_option(&c, 2, "stage=", err, sizeof err), 0);
	assert_int_equal(metrics_config_option(&c, 2, "stage=x", err, sizeof err), -1);
	assert_int_equal(metrics_config_option(&c, 0, "", err, sizeof err), -1);
	/* Without --metrics nothing is written and every call is harmless. */
	metrics_config none = {0};
	assert_null(metrics_open(&none, "prog", err, sizeof err));
	assert_string_equal(err, "");
	metric_add(metric_get(metrics_counter(NULL, "x_total", "x", "table"), "t"), 1);
	metrics_tick(NULL);
	assert_int_equal(metrics_wait_ms(NULL, 700), 700);
	metrics_close(NULL);
}

static void test_file_replaced(void **state)
{
	(void)state;
	metrics_config c = {0};
	metrics *m = open_in_dir("f.prom", &c);
	char path[128], tmp[140];
	snprintf(path, sizeof path, "%s/f.prom", dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	metric *s = metric_get(metrics_counter(m, "dbrepl_records_in_total", "In.", NULL));
	metric_add(s, 5);
	assert_false(metrics_due(m)); /* the default interval is seconds away */
	assert_true(metrics_wait_ms(m, 100000) > 1000);
	struct stat before;
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(metrics_write(m), 0);
	struct stat after;
	assert_int_equal(stat(path, &after), 0);
	assert_true(before.st_ino != after.st_ino); /* a new file renamed over the old */
	assert_int_equal(access(tmp, F_OK), -1);
	FILE *f = fopen(path, "r");
	char text[4096];
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	char *want = render(m);
	assert_string_equal(text, want);
	free(want);
	assert_non_null(strstr(text, "dbrepl_records_in_total{program=\"prog\"} 5\n"));
	/* metrics_close writes the last values. */
	metric_add(s, 2);
	metrics_close(m);
	f = fopen(path, "r");
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_non_null(strstr(text, "dbrepl_records_in_total{program=\"prog\"} 7\n"));
	/* A directory that is not there is an error at open. */
	metrics_config bad = {.path = "/nonexistent-dir/x.prom"};
	char err[256];
	assert_null(metrics_open(&bad, "prog", err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent-dir/x.prom"));
}

/* A caller that does not come round (blocked on a full pipe) still gets
 * its file written, its lag growing in it: the watchdog writes after an
 * interval and a half without a write of the caller's, and not while the
 * caller keeps to its interval. */
static double file_value(const char *path, const char *name)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[512];
	double v = NAN;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, name, strlen(name)) == 0)
			v = strtod(strrchr(line, ' ') + 1, NULL);
	fclose(f);
	return v;
}

static void test_watchdog(void **state)
{
	(void)state;
	metrics_config c = {.interval_s = 0.2};
	metrics *m = open_in_dir("w.prom", &c);
	char path[128];
	snprintf(path, sizeof path, "%s/w.prom", dir);
	metric *lag = metric_get(metrics_gauge(m, "dbrepl_lag_seconds", "Lag.", NULL));
	metric *in = metric_get(metrics_counter(m, "dbrepl_records_in_total", "In.", NULL));
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	metric_set_age(lag, (double)t.tv_sec + t.tv_nsec / 1e9);
	metric_add(in, 3);
	assert_int_equal(metrics_write(m), 0);
	double first = file_value(path, "dbrepl_lag_seconds");
	assert_true(first >= 0 && first < 0.2);
	/* the caller blocked for a second: no tick, no write */
	usleep(1000 * 1000);
	double later = file_value(path, "dbrepl_lag_seconds");
	assert_true(later >= 0.6);
	assert_int_equal(file_value(path, "dbrepl_records_in_total"), 3);
	/* a caller that writes every interval is not written for: the file
	 * stays the caller's (its inode changes only with its writes) */
	struct stat a, b;
	for (int i = 0; i < 6; i++) {
		assert_int_equal(metrics_write(m), 0);
		assert_int_equal(stat(path, &a), 0);
		usleep(150 * 1000);
		assert_int_equal(stat(path, &b), 0);
		assert_true(a.st_ino == b.st_ino);
	}
	metrics_close(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_and_escaping), cmocka_unit_test(test_histogram_cumulative),
		cmocka_unit_test(test_gauges_and_numbers),   cmocka_unit_test(test_series_cap),
		cmocka_unit_test(test_options),              cmocka_unit_test(test_file_replaced),      cmocka_unit_test(test_watchdog),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
