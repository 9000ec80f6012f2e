/* metrics.c — see metrics.h. The format is Prometheus' text exposition
 * format 0.0.4: per family a "# HELP" line (backslash and newline escaped),
 * a "# TYPE" line, then its samples, one group per family; label values
 * escape backslash, double quote and newline; a histogram's _bucket
 * samples are cumulative, in increasing order of le, ending with le="+Inf"
 * equal to _count, followed by _sum and _count. */
#include "metrics.h"

#include "buf.h"
#include "log.h"
#include "record_priv.h" /* utf8_valid_prefix */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

enum mtype { M_COUNTER, M_GAUGE, M_HISTOGRAM };

/* Values are atomic: the caller's thread sets them, the watchdog's
 * renders them (metrics_open). Only the caller's thread writes them, so a
 * load then a store is an update. */
struct metric {
	metric_family *f;
	char **values;  /* the family's label values */
	char *labels;   /* rendered: program="…",…,table="…" (no braces) */
	_Atomic uint64_t count; /* counter: total (a histogram's is its buckets' sum) */
	_Atomic uint64_t value; /* the bits of a double: gauge: value; histogram: sum */
	_Atomic bool set;       /* gauge: has a value */
	_Atomic bool age;       /* gauge: value is a time; written as its age */
	_Atomic uint64_t *buckets; /* histogram: per bound (not cumulative), nbounds */
};

struct metric_family {
	metrics *m;
	char *name, *help;
	enum mtype type;
	size_t nlabels;
	char **label_names;
	double *bounds;
	size_t nbounds;
	metric **series;
	size_t n, cap;
	uint32_t *slots; /* open addressing: series index + 1, 0 empty */
	size_t nslots;   /* a power of two, at least twice n */
	metric *other;   /* past METRICS_MAX_SERIES */
};

/* A stage blocked in a write to a full pipe, or waiting on its server,
 * runs no main loop, and its file, lag included, would stand still just
 * when it matters: a watchdog thread writes the file whenever the caller
 * has not for an interval and a half. structure guards the families and their
 * series (the caller adds them, the watchdog renders them); writing
 * guards the file and the fields below it. */
struct metrics {
	char *path, *tmp, *program;
	char *common; /* rendered program and --metrics-label labels */
	int64_t interval_ns;
	_Atomic int64_t next_ns; /* when the caller should write next */
	metric_family **fams;
	size_t nfams;
	bool opened; /* the first write went through */
	pthread_mutex_t structure;
	pthread_mutex_t writing;
	bool failing;      /* under writing */
	int64_t written_ns; /* the last write, under writing */
	pthread_cond_t wake; /* the watchdog's, with writing */
	bool stop;           /* under writing */
	pthread_t watchdog;
	bool watching;
};

/* ---- configuration ---- */

static bool label_name_valid(const char *s, size_t n)
{
	if (n == 0 || (n >= 2 && s[0] == '_' && s[1] == '_')) /* __… is Prometheus' own */
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

/* Label names the programs' own families use: --metrics-label may not
 * take them, or a series would name one twice. */
static const char *const reserved_labels[] = {"program", "stream", "table", "kind", "error", "le", NULL};

int metrics_config_option(metrics_config *c, int which, const char *arg, char *err, size_t errlen)
{
	switch (which) {
	case 0:
		if (!*arg) {
			snprintf(err, errlen, "--metrics wants a file name");
			return -1;
		}
		c->path = arg;
		return 0;
	case 1: {
		char *end;
		errno = 0;
		double v = strtod(arg, &end);
		if (errno || end == arg || *end || !(v >= 0.1 && v <= 86400)) {
			snprintf(err, errlen, "invalid --metrics-interval (%s): want seconds, 0.1 to 86400", arg);
			return -1;
		}
		c->interval_s = v;
		return 0;
	}
	case 2: {
		const char *eq = strchr(arg, '=');
		size_t n = eq ? (size_t)(eq - arg) : 0;
		if (!eq || !label_name_valid(arg, n) || n >= sizeof c->label_names[0]) {
			snprintf(err, errlen, "invalid --metrics-label (%s): want NAME=VALUE, NAME of letters, digits and _",
				 arg);
			return -1;
		}
		for (const char *const *r = reserved_labels; *r; r++)
			if (strlen(*r) == n && memcmp(*r, arg, n) == 0) {
				snprintf(err, errlen, "invalid --metrics-label (%s): the label %s is dbrepl's own", arg, *r);
				return -1;
			}
		for (size_t i = 0; i < c->nlabels; i++)
			if (strlen(c->label_names[i]) == n && memcmp(c->label_names[i], arg, n) == 0) {
				snprintf(err, errlen, "invalid --metrics-label (%s): label given twice", arg);
				return -1;
			}
		/* The format is UTF-8: Prometheus refuses the whole file for
		 * one label value that is not. */
		size_t vlen = strlen(eq + 1);
		if (utf8_valid_prefix((const unsigned char *)eq + 1, vlen) != vlen) {
			snprintf(err, errlen, "invalid --metrics-label (%.*s=…): the value is not UTF-8", (int)n, arg);
			return -1;
		}
		if (c->nlabels == METRICS_MAX_EXTRA_LABELS) {
			snprintf(err, errlen, "too many --metrics-label options (at most %d)", METRICS_MAX_EXTRA_LABELS);
			return -1;
		}
		memcpy(c->label_names[c->nlabels], arg, n);
		c->label_names[c->nlabels][n] = '\0';
		c->label_values[c->nlabels] = eq + 1;
		c->nlabels++;
		return 0;
	}
	default:
		snprintf(err, errlen, "unknown metrics option");
		return -1;
	}
}

/* ---- rendering helpers ---- */

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double load_double(const _Atomic uint64_t *p)
{
	uint64_t bits = atomic_load_explicit(p, memory_order_relaxed);
	double d;
	memcpy(&d, &bits, sizeof d);
	return d;
}

static void store_double(_Atomic uint64_t *p, double d)
{
	uint64_t bits;
	memcpy(&bits, &d, sizeof bits);
	atomic_store_explicit(p, bits, memory_order_relaxed);
}

/* A label value between its double quotes. */
static int put_label_value(buf *b, const char *s)
{
	for (; *s; s++) {
		int rc;
		switch (*s) {
		case '\\': rc = buf_puts(b, "\\\\"); break;
		case '"': rc = buf_puts(b, "\\\""); break;
		case '\n': rc = buf_puts(b, "\\n"); break;
		default: rc = buf_putc(b, *s); break;
		}
		if (rc)
			return -1;
	}
	return 0;
}

/* HELP text: backslash and newline escaped (quotes are not). */
static int put_help(buf *b, const char *s)
{
	for (; *s; s++) {
		int rc;
		switch (*s) {
		case '\\': rc = buf_puts(b, "\\\\"); break;
		case '\n': rc = buf_puts(b, "\\n"); break;
		default: rc = buf_putc(b, *s); break;
		}
		if (rc)
			return -1;
	}
	return 0;
}

/* A float as Go's ParseFloat reads it, in the fewest digits that read back
 * as the same double; NaN and the infinities by their names. */
static int put_float(buf *b, double v)
{
	if (isnan(v))
		return buf_puts(b, "NaN");
	if (isinf(v))
		return buf_puts(b, v > 0 ? "+Inf" : "-Inf");
	char tmp[40];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		if (prec == 17 || strtod(tmp, NULL) == v)
			break;
	}
	return buf_puts(b, tmp);
}

static int put_u64(buf *b, uint64_t v)
{
	char tmp[24];
	snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
	return buf_puts(b, tmp);
}

/* ---- registry ---- */

static void series_free(const metric_family *f, metric *s)
{
	if (!s)
		return;
	for (size_t k = 0; s->values && k < f->nlabels; k++)
		free(s->values[k]);
	free(s->values);
	free(s->labels);
	free(s->buckets);
	free(s);
}

static void family_free(metric_family *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		series_free(f, f->series[i]);
	series_free(f, f->other);
	for (size_t k = 0; k < f->nlabels; k++)
		free(f->label_names[k]);
	free(f->label_names);
	free(f->series);
	free(f->slots);
	free(f->bounds);
	free(f->name);
	free(f->help);
	free(f);
}

static bool metric_name_valid(const char *s)
{
	if (!*s)
		return false;
	for (size_t i = 0; s[i]; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

static metric_family *family_new(metrics *m, enum mtype type, const char *name, const char *help,
				 const char *labels, const double *bounds, size_t nbounds)
{
	if (!m || !metric_name_valid(name))
		return NULL;
	metric_family *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->m = m;
	f->type = type;
	f->name = strdup(name);
	f->help = strdup(help);
	if (!f->name || !f->help)
		goto fail;
	if (labels && *labels) {
		size_t cnt = 1;
		for (const char *p = labels; *p; p++)
			cnt += *p == ',';
		f->label_names = calloc(cnt, sizeof *f->label_names);
		if (!f->label_names)
			goto fail;
		const char *p = labels;
		for (size_t k = 0; k < cnt; k++) {
			size_t n = strcspn(p, ",");
			if (!label_name_valid(p, n) || !(f->label_names[k] = strndup(p, n)))
				goto fail;
			f->nlabels++;
			p += n + (p[n] == ',');
		}
	}
	if (type == M_HISTOGRAM) {
		f->bounds = malloc((nbounds ? nbounds : 1) * sizeof *f->bounds);
		if (!f->bounds)
			goto fail;
		for (size_t i = 0; i < nbounds; i++) {
			if (!isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
				goto fail;
			f->bounds[i] = bounds[i];
		}
		f->nbounds = nbounds;
	}
	pthread_mutex_lock(&m->structure);
	metric_family **fams = realloc(m->fams, (m->nfams + 1) * sizeof *fams);
	if (fams) {
		m->fams = fams;
		m->fams[m->nfams++] = f;
	}
	pthread_mutex_unlock(&m->structure);
	if (!fams)
		goto fail;
	return f;
fail:
	family_free(f);
	return NULL;
}

metric_family *metrics_counter(metrics *m, const char *name, const char *help, const char *labels)
{
	return family_new(m, M_COUNTER, name, help, labels, NULL, 0);
}

metric_family *metrics_gauge(metrics *m, const char *name, const char *help, const char *labels)
{
	return family_new(m, M_GAUGE, name, help, labels, NULL, 0);
}

metric_family *metrics_histogram(metrics *m, const char *name, const char *help, const char *labels,
				 const double *bounds, size_t nbounds)
{
	return family_new(m, M_HISTOGRAM, name, help, labels, bounds, nbounds);
}

/* ---- the families dbrepl(7) documents ---- */

/* Seconds from a record's source commit to its commit at the target. */
static const double latency_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
					2.5,   5,    10,    30,   60,  120,  300, 600};

static const struct {
	const char *name;
	enum mtype type;
	const char *help;
} documented[] = {
	{"dbrepl_start_time_seconds", M_GAUGE, "When the program started, in seconds since 1970-01-01 UTC."},
	{"dbrepl_records_in_total", M_COUNTER, "Change records read (ksub: Kafka messages consumed)."},
	{"dbrepl_records_out_total", M_COUNTER,
	 "Change records done: written (pgcdc-read, snapshot, ksub), delivered to Kafka (kpub) or committed at the "
	 "target (mssql-apply)."},
	{"dbrepl_bytes_in_total", M_COUNTER, "Bytes of the records read."},
	{"dbrepl_bytes_out_total", M_COUNTER, "Bytes of the records written or delivered."},
	{"dbrepl_errors_total", M_COUNTER, "Errors the program recovered from or skipped past, by kind."},
	{"dbrepl_dead_letters_total", M_COUNTER,
	 "Records set aside instead of applied (mssql-apply --dead-letter, ksub --skip-invalid)."},
	{"dbrepl_batches_total", M_COUNTER,
	 "Batches done: transactions committed at the target (mssql-apply), batches handed to Kafka (kpub)."},
	{"dbrepl_records_skipped_total", M_COUNTER,
	 "Records skipped because the target's checkpoint holds them already (a replay)."},
	{"dbrepl_transactions_total", M_COUNTER, "Source transactions: streamed (pgcdc-read) or committed (wwi-gen)."},
	{"dbrepl_rows_changed_total", M_COUNTER, "Rows inserted, updated or deleted (wwi-gen)."},
	{"dbrepl_lag_seconds", M_GAUGE,
	 "Seconds from the source commit of the newest record done to now; grows while the source is idle."},
	{"dbrepl_last_commit_timestamp_seconds", M_GAUGE,
	 "Source commit time of the newest record done, in seconds since 1970-01-01 UTC."},
	{"dbrepl_apply_latency_seconds", M_HISTOGRAM,
	 "Seconds from a record's source commit to the commit of its batch at the target."},
	{"dbrepl_slot_retained_wal_bytes", M_GAUGE,
	 "WAL the replication slot keeps on the server: the current WAL position minus the slot's restart_lsn."},
	{"dbrepl_slot_unconfirmed_wal_bytes", M_GAUGE,
	 "WAL not yet confirmed by the slot: the current WAL position minus its confirmed_flush_lsn."},
	{"dbrepl_consumer_lag_messages", M_GAUGE,
	 "Messages of an assigned partition not yet consumed: its high watermark minus the next offset."},
	{"dbrepl_kafka_delivery_errors_total", M_COUNTER, "Messages whose delivery report was an error, by error."},
	{"dbrepl_kafka_messages_in_flight", M_GAUGE, "Messages handed to librdkafka and not yet reported delivered."},
	{"dbrepl_snapshot_tables", M_GAUGE, "Tables the snapshot copies."},
	{"dbrepl_snapshot_tables_done", M_GAUGE, "Tables the snapshot has copied completely."},
};

const char *metrics_documented(size_t i)
{
	return i < sizeof documented / sizeof *documented ? documented[i].name : NULL;
}

metric_family *metrics_family(metrics *m, const char *name, const char *labels)
{
	for (size_t i = 0; i < sizeof documented / sizeof *documented; i++) {
		if (strcmp(documented[i].name, name) != 0)
			continue;
		/* Registered once: a second call (a reconnect, say) gets the same. */
		for (size_t k = 0; m && k < m->nfams; k++)
			if (strcmp(m->fams[k]->name, name) == 0)
				return m->fams[k];
		return family_new(m, documented[i].type, name, documented[i].help, labels, latency_bounds,
				  documented[i].type == M_HISTOGRAM ? sizeof latency_bounds / sizeof *latency_bounds : 0);
	}
	return NULL;
}

static uint32_t hash_values(const metric_family *f, const char *const *values)
{
	uint32_t h = 2166136261u;
	for (size_t k = 0; k < f->nlabels; k++) {
		for (const unsigned char *p = (const unsigned char *)values[k]; *p; p++)
			h = (h ^ *p) * 16777619u;
		h = (h ^ 0xff) * 16777619u; /* a byte no UTF-8 text holds ends each value */
	}
	return h;
}

static bool same_values(const metric_family *f, const metric *s, const char *const *values)
{
	for (size_t k = 0; k < f->nlabels; k++)
		if (strcmp(s->values[k], values[k]) != 0)
			return false;
	return true;
}

static void slots_put(metric_family *f, size_t idx)
{
	size_t mask = f->nslots - 1;
	uint32_t h = hash_values(f, (const char *const *)f->series[idx]->values);
	for (size_t i = h & mask;; i = (i + 1) & mask)
		if (!f->slots[i]) {
			f->slots[i] = (uint32_t)idx + 1;
			return;
		}
}

static metric *series_new(metric_family *f, const char *const *values)
{
	metric *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->f = f;
	s->values = calloc(f->nlabels ? f->nlabels : 1, sizeof *s->values);
	if (!s->values)
		goto fail;
	buf b;
	buf_init(&b, 0);
	int rc = buf_puts(&b, f->m->common);
	for (size_t k = 0; k < f->nlabels; k++) {
		if (!(s->values[k] = strdup(values[k])))
			rc = -1;
		rc |= buf_printf(&b, ",%s=\"", f->label_names[k]);
		rc |= put_label_value(&b, values[k]);
		rc |= buf_putc(&b, '"');
	}
	rc |= buf_terminate(&b);
	s->labels = b.data;
	if (rc)
		goto fail;
	if (f->type == M_HISTOGRAM && !(s->buckets = calloc(f->nbounds + 1, sizeof *s->buckets)))
		goto fail;
	return s;
fail:
	series_free(f, s);
	return NULL;
}

static metric *metric_add_series(metric_family *f, const char *const *values);

metric *metric_getv(metric_family *f, const char *const *values)
{
	if (!f)
		return NULL;
	if (f->nslots) {
		size_t mask = f->nslots - 1;
		for (size_t i = hash_values(f, values) & mask; f->slots[i]; i = (i + 1) & mask) {
			metric *s = f->series[f->slots[i] - 1];
			if (same_values(f, s, values))
				return s;
		}
	}
	/* what follows changes what the watchdog renders */
	pthread_mutex_lock(&f->m->structure);
	metric *s = metric_add_series(f, values);
	pthread_mutex_unlock(&f->m->structure);
	return s;
}

static metric *metric_add_series(metric_family *f, const char *const *values)
{
	if (f->n >= METRICS_MAX_SERIES) {
		if (!f->other) {
			const char *other[METRICS_MAX_EXTRA_LABELS + 8];
			size_t n = f->nlabels < sizeof other / sizeof *other ? f->nlabels : sizeof other / sizeof *other;
			for (size_t k = 0; k < n; k++)
				other[k] = METRICS_OTHER;
			f->other = series_new(f, other);
			if (f->other)
				log_info("metrics: %s has %d series; further ones are counted as \"%s\"", f->name,
					 METRICS_MAX_SERIES, METRICS_OTHER);
		}
		return f->other;
	}
	if ((f->n + 1) * 2 > f->nslots) {
		size_t nslots = f->nslots ? f->nslots * 2 : 16;
		uint32_t *slots = calloc(nslots, sizeof *slots);
		if (!slots)
			return NULL;
		free(f->slots);
		f->slots = slots;
		f->nslots = nslots;
		for (size_t i = 0; i < f->n; i++)
			slots_put(f, i);
	}
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		metric **ns = realloc(f->series, cap * sizeof *ns);
		if (!ns)
			return NULL;
		f->series = ns;
		f->cap = cap;
	}
	metric *s = series_new(f, values);
	if (!s)
		return NULL;
	f->series[f->n] = s;
	slots_put(f, f->n);
	f->n++;
	return s;
}

metric *metric_get(metric_family *f, ...)
{
	if (!f)
		return NULL;
	const char *values[16];
	if (f->nlabels > sizeof values / sizeof *values)
		return NULL;
	va_list ap;
	va_start(ap, f);
	for (size_t k = 0; k < f->nlabels; k++) {
		values[k] = va_arg(ap, const char *);
		if (!values[k])
			values[k] = "";
	}
	va_end(ap);
	return metric_getv(f, values);
}

void metric_add_to(metric *s, uint64_t n)
{
	atomic_store_explicit(&s->count, atomic_load_explicit(&s->count, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

void metric_set_total(metric *s, uint64_t v)
{
	if (s)
		atomic_store_explicit(&s->count, v, memory_order_relaxed);
}

/* The value before the flags that say what it is, and set last (release):
 * the watchdog reads set first (acquire), so a series it sees set has its
 * value. A series is a time or a value all its life, so age and value
 * agree but for its first setting. */
void metric_set(metric *s, double v)
{
	if (s) {
		store_double(&s->value, v);
		atomic_store_explicit(&s->age, false, memory_order_relaxed);
		atomic_store_explicit(&s->set, true, memory_order_release);
	}
}

void metric_set_age(metric *s, double since)
{
	if (s) {
		store_double(&s->value, since);
		atomic_store_explicit(&s->age, true, memory_order_relaxed);
		atomic_store_explicit(&s->set, true, memory_order_release);
	}
}

void metric_unset(metric *s)
{
	if (s)
		atomic_store_explicit(&s->set, false, memory_order_relaxed);
}

void metric_observe(metric *s, double v)
{
	if (!s || isnan(v))
		return;
	const metric_family *f = s->f;
	/* le: the first bound at or above v; past the last, only +Inf. */
	size_t lo = 0, hi = f->nbounds;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v <= f->bounds[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	atomic_store_explicit(&s->buckets[lo], atomic_load_explicit(&s->buckets[lo], memory_order_relaxed) + 1,
			      memory_order_relaxed);
	store_double(&s->value, load_double(&s->value) + v);
}

/* ---- the file ---- */

static bool series_present(const metric *s)
{
	return s->f->type != M_GAUGE || atomic_load_explicit(&s->set, memory_order_acquire);
}

static double now_unix(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return (double)now.tv_sec + (double)(now.tv_nsec / 1000) / 1e6;
}

static int render_series(buf *b, const metric_family *f, const metric *s, double now)
{
	int rc = 0;
	switch (f->type) {
	case M_COUNTER:
		rc |= buf_printf(b, "%s{%s} ", f->name, s->labels);
		rc |= put_u64(b, atomic_load_explicit(&s->count, memory_order_relaxed));
		rc |= buf_putc(b, '\n');
		break;
	case M_GAUGE: {
		rc |= buf_printf(b, "%s{%s} ", f->name, s->labels);
		double v = load_double(&s->value);
		/* Never below 0: a commit time from a clock ahead of ours. */
		if (atomic_load_explicit(&s->age, memory_order_relaxed))
			v = now > v ? round((now - v) * 1e6) / 1e6 : 0;
		rc |= put_float(b, v);
		rc |= buf_putc(b, '\n');
		break;
	}
	case M_HISTOGRAM: {
		/* +Inf and _count are the buckets' sum, read once: an
		 * observation made while the watchdog renders cannot make them
		 * disagree */
		uint64_t cum = 0;
		for (size_t i = 0; i < f->nbounds; i++) {
			cum += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
			rc |= buf_printf(b, "%s_bucket{%s,le=\"", f->name, s->labels);
			rc |= put_float(b, f->bounds[i]);
			rc |= buf_puts(b, "\"} ");
			rc |= put_u64(b, cum);
			rc |= buf_putc(b, '\n');
		}
		cum += atomic_load_explicit(&s->buckets[f->nbounds], memory_order_relaxed);
		rc |= buf_printf(b, "%s_bucket{%s,le=\"+Inf\"} ", f->name, s->labels);
		rc |= put_u64(b, cum);
		rc |= buf_printf(b, "\n%s_sum{%s} ", f->name, s->labels);
		rc |= put_float(b, load_double(&s->value));
		rc |= buf_printf(b, "\n%s_count{%s} ", f->name, s->labels);
		rc |= put_u64(b, cum);
		rc |= buf_putc(b, '\n');
		break;
	}
	}
	return rc ? -1 : 0;
}

int metrics_render(metrics *m, char **out, size_t *len)
{
	static const char *const type_name[] = {"counter", "gauge", "histogram"};
	buf b;
	buf_init(&b, 0);
	int rc = 0;
	double now = now_unix();
	if (m)
		pthread_mutex_lock(&m->structure);
	for (size_t i = 0; m && i < m->nfams; i++) {
		const metric_family *f = m->fams[i];
		bool any = f->other && series_present(f->other);
		for (size_t k = 0; k < f->n && !any; k++)
			any = series_present(f->series[k]);
		if (!any)
			continue;
		rc |= buf_printf(&b, "# HELP %s ", f->name);
		rc |= put_help(&b, f->help);
		rc |= buf_printf(&b, "\n# TYPE %s %s\n", f->name, type_name[f->type]);
		for (size_t k = 0; k < f->n; k++)
			if (series_present(f->series[k]))
				rc |= render_series(&b, f, f->series[k], now);
		if (f->other && series_present(f->other))
			rc |= render_series(&b, f, f->other, now);
	}
	if (m)
		pthread_mutex_unlock(&m->structure);
	rc |= buf_terminate(&b);
	if (rc) {
		buf_free(&b);
		errno = ENOMEM;
		return -1;
	}
	*out = b.data;
	*len = b.len;
	return 0;
}

static int write_file(metrics *m)
{
	char *text;
	size_t len;
	if (metrics_render(m, &text, &len) < 0)
		return -1;
	int fd = open(m->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(text);
		return -1;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			close(fd);
			unlink(m->tmp);
			free(text);
			errno = e;
			return -1;
		}
		off += (size_t)w;
	}
	free(text);
	/* No fsync: a metrics file lost in a crash is written again in a few
	 * seconds, and fsync could hold the data path for long. */
	if (close(fd) != 0 || rename(m->tmp, m->path) != 0) {
		int e = errno;
		unlink(m->tmp);
		errno = e;
		return -1;
	}
	return 0;
}

/* Under writing. */
static int write_now(metrics *m)
{
	m->written_ns = mono_ns();
	if (write_file(m) < 0) {
		int e = errno;
		if (!m->failing)
			log_error("cannot write metrics (%s: %s); retrying every interval", m->path, strerror(e));
		m->failing = true;
		errno = e;
		return -1;
	}
	if (m->failing)
		log_info("writing metrics works again (%s)", m->path);
	m->failing = false;
	return 0;
}

int metrics_write(metrics *m)
{
	if (!m)
		return 0;
	atomic_store(&m->next_ns, mono_ns() + m->interval_ns);
	pthread_mutex_lock(&m->writing);
	int rc = write_now(m);
	int e = errno;
	pthread_mutex_unlock(&m->writing);
	errno = e;
	return rc;
}

/* Writes the file when the caller has not for an interval and a half: it
 * is blocked (a full pipe, a slow server), and the age gauges (lag) must
 * go on growing in the file. Looks every half interval, so the file is at
 * most two intervals old; a caller that keeps to its interval is never
 * written for. */
static void *watchdog(void *arg)
{
	metrics *m = arg;
	pthread_mutex_lock(&m->writing);
	while (!m->stop) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		int64_t ns = until.tv_nsec + m->interval_ns / 2;
		until.tv_sec += ns / 1000000000;
		until.tv_nsec = ns % 1000000000;
		pthread_cond_timedwait(&m->wake, &m->writing, &until);
		if (!m->stop && mono_ns() - m->written_ns >= m->interval_ns + m->interval_ns / 2)
			(void)write_now(m);
	}
	pthread_mutex_unlock(&m->writing);
	return NULL;
}

bool metrics_due(const metrics *m)
{
	return m && mono_ns() >= atomic_load(&m->next_ns);
}

int metrics_wait_ms(const metrics *m, int max_ms)
{
	if (!m)
		return max_ms;
	int64_t left = (atomic_load(&m->next_ns) - mono_ns() + 999999) / 1000000;
	if (left < 0)
		return 0;
	return left < max_ms ? (int)left : max_ms;
}

void metrics_tick(metrics *m)
{
	if (metrics_due(m))
		(void)metrics_write(m);
}

metrics *metrics_open(const metrics_config *c, const char *program, char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	if (!c || !c->path)
		return NULL;
	metrics *m = calloc(1, sizeof *m);
	buf common;
	buf_init(&common, 0);
	if (!m)
		goto oom;
	pthread_mutex_init(&m->structure, NULL);
	pthread_mutex_init(&m->writing, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->wake, &ca);
	pthread_condattr_destroy(&ca);
	size_t n = strlen(c->path);
	m->path = strdup(c->path);
	m->tmp = malloc(n + 5);
	m->program = strdup(program);
	if (!m->path || !m->tmp || !m->program)
		goto oom;
	/* In the same directory, so rename() replaces the file in one step;
	 * a name node_exporter does not read (it takes *.prom only). */
	snprintf(m->tmp, n + 5, "%s.tmp", c->path);
	double interval = c->interval_s > 0 ? c->interval_s : METRICS_DEFAULT_INTERVAL_S;
	m->interval_ns = (int64_t)(interval * 1e9);
	int rc = buf_puts(&common, "program=\"");
	rc |= put_label_value(&common, program);
	rc |= buf_putc(&common, '"');
	for (size_t i = 0; i < c->nlabels; i++) {
		rc |= buf_printf(&common, ",%s=\"", c->label_names[i]);
		rc |= put_label_value(&common, c->label_values[i]);
		rc |= buf_putc(&common, '"');
	}
	if (rc || buf_terminate(&common))
		goto oom;
	m->common = common.data;
	metric_set(metric_get(metrics_family(m, "dbrepl_start_time_seconds", NULL)), now_unix());
	if (write_file(m) < 0) {
		snprintf(err, errlen, "cannot write metrics (%s: %s)", c->path, strerror(errno));
		metrics_close(m);
		return NULL;
	}
	m->opened = true;
	m->written_ns = mono_ns();
	atomic_store(&m->next_ns, m->written_ns + m->interval_ns);
	/* the watchdog takes the signal mask it is created with: all
	 * blocked, so that signals reach the caller's thread */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int trc = pthread_create(&m->watchdog, NULL, watchdog, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (trc != 0) {
		snprintf(err, errlen, "cannot start the metrics writer: %s", strerror(trc));
		metrics_close(m);
		return NULL;
	}
	m->watching = true;
	return m;
oom:
	snprintf(err, errlen, "out of memory");
	if (m && !m->common)
		buf_free(&common);
	metrics_close(m);
	return NULL;
}

void metrics_stage_init(metrics *m, metrics_stage *s, const char *out_labels)
{
	s->in = metric_get(metrics_family(m, "dbrepl_records_in_total", NULL));
	s->out = metrics_family(m, "dbrepl_records_out_total", out_labels);
	s->bytes_in = metric_get(metrics_family(m, "dbrepl_bytes_in_total", NULL));
	s->bytes_out = metric_get(metrics_family(m, "dbrepl_bytes_out_total", NULL));
	s->last = metric_get(metrics_family(m, "dbrepl_last_commit_timestamp_seconds", NULL));
	s->lag = metric_get(metrics_family(m, "dbrepl_lag_seconds", NULL));
	s->newest_us = 0;
}

metrics *metrics_start(const metrics_config *c)
{
	char err[512];
	metrics *m = metrics_open(c, progname, err, sizeof err);
	if (!m && err[0])
		die(EX_CANTCREAT, "%s", err);
	return m;
}

void metrics_close(metrics *m)
{
	if (!m)
		return;
	if (m->watching) {
		pthread_mutex_lock(&m->writing);
		m->stop = true;
		pthread_cond_signal(&m->wake);
		pthread_mutex_unlock(&m->writing);
		pthread_join(m->watchdog, NULL);
	}
	if (m->opened)
		(void)metrics_write(m);
	for (size_t i = 0; i < m->nfams; i++)
		family_free(m->fams[i]);
	free(m->fams);
	free(m->path);
	free(m->tmp);
	free(m->program);
	free(m->common);
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->writing);
	pthread_mutex_destroy(&m->structure);
	free(m);
}
