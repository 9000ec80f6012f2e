/* metrics.h — a program's Prometheus metrics (--metrics FILE): counters,
 * gauges and histograms with label sets, rendered in the text exposition
 * format (version 0.0.4) into a file the way node_exporter's textfile
 * collector wants it: written whole into a temporary file in FILE's
 * directory, then renamed over FILE, so a reader sees the old file or the
 * new one, never half of one.
 *
 * Every series carries the label program="NAME" and the labels of
 * --metrics-label, then its family's own labels (stream, table …). A
 * family holds at most METRICS_MAX_SERIES series; further label values
 * all share one series whose values are "(other)", so a program that meets
 * many tables keeps its file and Prometheus' index bounded.
 *
 * The caller's thread, its main loop, updates values as it works (from
 * that one thread only) and calls metrics_tick() (or metrics_due() and
 * metrics_write()) as often as it likes; the file is written every
 * interval, and once more by metrics_close(). When the main loop does not
 * come round for an interval and a half (blocked on a full pipe or a slow
 * server), a watchdog thread of the registry writes the file instead, so
 * that the lag in it goes on growing. Every function takes NULL for the registry,
 * a family or a series and then does nothing, so a program without
 * --metrics runs the same code. */
#ifndef DBREPL_METRICS_H
#define DBREPL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_MAX_SERIES 1000
#define METRICS_MAX_EXTRA_LABELS 8
#define METRICS_DEFAULT_INTERVAL_S 5.0
#define METRICS_OTHER "(other)"

/* What the command line says (--metrics, --metrics-interval,
 * --metrics-label); zero-initialised means no metrics. */
typedef struct metrics_config {
	const char *path;
	double interval_s; /* 0: METRICS_DEFAULT_INTERVAL_S */
	size_t nlabels;
	char label_names[METRICS_MAX_EXTRA_LABELS][64];
	const char *label_values[METRICS_MAX_EXTRA_LABELS];
} metrics_config;

/* The three options, for every program's getopt_long table and --help:
 * METRICS_LONGOPTS(O) uses the option values O, O+1 and O+2. */
#define METRICS_LONGOPTS(base)                                     \
	{"metrics", required_argument, NULL, (base)},              \
	{"metrics-interval", required_argument, NULL, (base) + 1}, \
	{"metrics-label", required_argument, NULL, (base) + 2}
#define METRICS_HELP                                                                    \
	"      --metrics=FILE         write Prometheus metrics to FILE every few seconds\n" \
	"                             (textfile collector format; see dbrepl(7))\n"        \
	"      --metrics-interval=S   seconds between writes (default 5)\n"                \
	"      --metrics-label=K=V    add label K=\"V\" to every metric (repeatable)\n"

/* Takes option which (0 --metrics, 1 --metrics-interval, 2 --metrics-label)
 * with its argument (kept, not copied: argv lives long enough). 0, or -1
 * with a message for the usage error. */
int metrics_config_option(metrics_config *c, int which, const char *arg, char *err, size_t errlen);

typedef struct metrics metrics;
typedef struct metric_family metric_family;
typedef struct metric metric;

/* NULL when c names no file (metrics off) and, with err set, when the
 * file cannot be written (the first write is tried here, so a bad path is
 * a usage error at start rather than a silent gap later). */
metrics *metrics_open(const metrics_config *c, const char *program, char *err, size_t errlen);
/* metrics_open for a program's main: the program label is its name
 * (log.h), and a file that cannot be written is exit status 73
 * (EX_CANTCREAT) with a message. NULL without --metrics. */
metrics *metrics_start(const metrics_config *c);
/* Writes the file a last time, then frees everything. */
void metrics_close(metrics *m);

/* Families, registered once at start, rendered in this order. name is a
 * metric name ([a-zA-Z_:][a-zA-Z0-9_:]*, counters ending in _total);
 * labels a comma-separated list of label names, or NULL. A histogram takes
 * its upper bounds in increasing order (+Inf is added). NULL when m is
 * NULL (or out of memory: then metrics are quietly incomplete). */
metric_family *metrics_counter(metrics *m, const char *name, const char *help, const char *labels);
metric_family *metrics_gauge(metrics *m, const char *name, const char *help, const char *labels);
metric_family *metrics_histogram(metrics *m, const char *name, const char *help, const char *labels,
				 const double *bounds, size_t nbounds);

/* A family dbrepl(7) documents, by its name (dbrepl_records_out_total …),
 * with the type and help text given there and the labels this program
 * uses; NULL for a name not in the list. Programs register through this,
 * so the list in metrics.c is the one place names are defined. */
metric_family *metrics_family(metrics *m, const char *name, const char *labels);
/* The i-th name of that list, NULL past its end (for tests of the man page). */
const char *metrics_documented(size_t i);

/* The series of a family for these label values (as many as the family has
 * labels), made on first use; callers keep the pointer. */
metric *metric_get(metric_family *f, ...);
/* The same with the values in an array. */
metric *metric_getv(metric_family *f, const char *const *values);

void metric_add_to(metric *s, uint64_t n); /* counter; s not NULL */
/* counter: inline, so that a program without --metrics (s NULL) pays a
 * test and no call where it counts each record */
static inline void metric_add(metric *s, uint64_t n)
{
	if (s)
		metric_add_to(s, n);
}
void metric_set_total(metric *s, uint64_t v); /* counter kept elsewhere: its total */
void metric_set(metric *s, double v);         /* gauge */
void metric_unset(metric *s);                 /* gauge: left out of the file until set again */
/* Gauge: written as the seconds from since (seconds since 1970 UTC) to
 * the time of each write, so it keeps growing while nothing sets it. */
void metric_set_age(metric *s, double since);
/* The pair every stage keeps: the source commit time (µs since 1970 UTC)
 * of the newest record done, as dbrepl_last_commit_timestamp_seconds and
 * as its age dbrepl_lag_seconds; *newest_us remembers it, and an older
 * commit changes nothing. Cheap enough to call per record. */
static inline void metrics_commit_done(metric *last, metric *lag, int64_t *newest_us, int64_t commit_us)
{
	if (commit_us <= *newest_us)
		return;
	*newest_us = commit_us;
	metric_set(last, (double)commit_us / 1e6);
	metric_set_age(lag, (double)commit_us / 1e6);
}
void metric_observe(metric *s, double v);     /* histogram */

/* True when the interval has passed since the last write (or it never
 * wrote): the caller may refresh its gauges, then metrics_write(). */
bool metrics_due(const metrics *m);
/* Milliseconds until metrics_due() (0 when due), at most max_ms; max_ms
 * when m is NULL. For poll timeouts. */
int metrics_wait_ms(const metrics *m, int max_ms);
/* Renders and replaces the file now. 0, or -1 with errno (the first
 * failure of a run is logged; later ones only after a success). */
int metrics_write(metrics *m);
/* metrics_write() when due. */
void metrics_tick(metrics *m);

/* The exposition text (for tests and for metrics_write): appends the
 * whole file to *out (malloc'd, *len bytes, NUL-terminated). 0 or -1. */
int metrics_render(metrics *m, char **out, size_t *len);

/* The series of a stage that reads records and writes them on (kpub,
 * ksub): records and bytes in and out, and the newest source commit done
 * with its age (metrics_commit_done). All NULL when m is NULL. */
typedef struct metrics_stage {
	metric *in, *bytes_in, *bytes_out, *last, *lag;
	metric_family *out; /* dbrepl_records_out_total, by out_labels */
	int64_t newest_us;
} metrics_stage;
void metrics_stage_init(metrics *m, metrics_stage *s, const char *out_labels);

#endif
