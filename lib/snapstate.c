/* snapstate.c — see snapstate.h. The file is one JSON object:
 *   {"dbrepl_snapshot_state": 1, "mode": "copy", "slot": null,
 *    "where": null, "truncate": false,
 *    "tables": [{"schema": "s", "table": "t", "key": ["id"],
 *                "started": true, "done": false, "last": ["41"], "rows": 41}]} */
#include "snapstate.h"

#include "strv.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const mode_names[] = {"copy", "handover", "online"};

const char *snapstate_mode_name(snapstate_mode m)
{
	return (unsigned)m < sizeof mode_names / sizeof *mode_names ? mode_names[m] : "?";
}

void snapstate_init(snapstate *s)
{
	memset(s, 0, sizeof *s);
}

static snapstate_pend *queue_at(snapstate_table *t, size_t i)
{
	return &t->queue[(t->qhead + i) % SNAPSTATE_QUEUE_MAX];
}

static void table_free(snapstate_table *t)
{
	free(t->schema);
	free(t->name);
	strv_free(t->keycols, t->nkey);
	strv_free(t->last, t->nkey);
	for (size_t i = 0; i < t->qlen; i++)
		strv_free(queue_at(t, i)->last, t->nkey);
}

void snapstate_free(snapstate *s)
{
	for (size_t i = 0; i < s->ntables; i++)
		table_free(&s->tables[i]);
	free(s->tables);
	free(s->slot);
	free(s->where);
	snapstate_init(s);
}

long snapstate_add_table(snapstate *s, const char *schema, const char *name,
			 const char *const *keycols, size_t nkey)
{
	snapstate_table *n = realloc(s->tables, (s->ntables + 1) * sizeof *n);
	if (!n)
		return -1;
	s->tables = n;
	snapstate_table *t = &s->tables[s->ntables];
	memset(t, 0, sizeof *t);
	t->nkey = nkey;
	t->schema = strdup(schema);
	t->name = strdup(name);
	t->keycols = strv_dup(keycols, nkey);
	if (!t->schema || !t->name || !t->keycols) {
		table_free(t);
		return -1;
	}
	s->dirty = true;
	return (long)s->ntables++;
}

long snapstate_find(const snapstate *s, const char *schema, const char *name)
{
	for (size_t i = 0; i < s->ntables; i++)
		if (!strcmp(s->tables[i].schema, schema) && !strcmp(s->tables[i].name, name))
			return (long)i;
	return -1;
}

/* ---- progress ---- */

int snapstate_note(snapstate *s, size_t ti, pos_offset end, const char *const *last,
		   uint64_t rows, bool done)
{
	snapstate_table *t = &s->tables[ti];
	char **key = NULL;
	if (last && !(key = strv_dup(last, t->nkey)))
		return -1;
	snapstate_pend n = {.end = end, .last = key, .rows = rows, .done = done};
	if (t->qlen == SNAPSTATE_QUEUE_MAX) {
		/* The ack that completes the new note completes the newest one
		 * too: let the new note stand for both. */
		snapstate_pend *tail = queue_at(t, t->qlen - 1);
		if (!n.last) {
			n.last = tail->last;
			tail->last = NULL;
		}
		strv_free(tail->last, t->nkey);
		n.done = n.done || tail->done;
		n.rows = n.rows > tail->rows ? n.rows : tail->rows;
		*tail = n;
		return 0;
	}
	*queue_at(t, t->qlen++) = n;
	return 0;
}

static void apply(snapstate *s, snapstate_table *t, snapstate_pend *n)
{
	t->started = true;
	if (n->last) {
		strv_free(t->last, t->nkey);
		t->last = n->last;
		n->last = NULL;
	}
	if (n->rows > t->rows)
		t->rows = n->rows;
	if (n->done)
		t->done = true;
	s->dirty = true;
}

static size_t settle(snapstate *s, const pos_offset *upto)
{
	size_t made = 0;
	for (size_t i = 0; i < s->ntables; i++) {
		snapstate_table *t = &s->tables[i];
		while (t->qlen && (!upto || pos_offset_cmp(queue_at(t, 0)->end, *upto) <= 0)) {
			apply(s, t, queue_at(t, 0));
			t->qhead = (t->qhead + 1) % SNAPSTATE_QUEUE_MAX;
			t->qlen--;
			made++;
		}
	}
	return made;
}

size_t snapstate_ack(snapstate *s, pos_offset off)
{
	return settle(s, &off);
}

size_t snapstate_flushed(snapstate *s)
{
	return settle(s, NULL);
}

size_t snapstate_pending(const snapstate *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->ntables; i++)
		n += s->tables[i].qlen;
	return n;
}

bool snapstate_complete(const snapstate *s)
{
	for (size_t i = 0; i < s->ntables; i++)
		if (!s->tables[i].done)
			return false;
	return true;
}

/* ---- the file ---- */

static int errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static json_t *strv_json(char **v, size_t n)
{
	if (!v)
		return json_null();
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* An array of n strings; NULL with err set otherwise. */
static char **json_strv(json_t *a, size_t n, const char *what, char *err, size_t errlen)
{
	if (!json_is_array(a) || json_array_size(a) != n) {
		errf(err, errlen, "\"%s\": want an array of %zu strings", what, n);
		return NULL;
	}
	char **v = calloc(n ? n : 1, sizeof *v);
	if (!v) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(a, i);
		if (!json_is_string(e) || !(v[i] = strdup(json_string_value(e)))) {
			strv_free(v, n);
			errf(err, errlen, "\"%s\": want an array of %zu strings", what, n);
			return NULL;
		}
	}
	return v;
}

static const char *opt_string(json_t *o, const char *key, bool *bad)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v))
		*bad = true;
	return json_string_value(v);
}

int snapstate_load(snapstate *s, const char *path, char *err, size_t errlen)
{
	snapstate_init(s);
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	}
	json_error_t je;
	json_t *root = json_loadf(f, 0, &je);
	fclose(f);
	if (!root)
		return errf(err, errlen, "%s: line %d: %s", path, je.line, je.text);
	int rc = -1;
	bool bad = false;
	char msg[256] = "";
	json_t *ver = json_object_get(root, "dbrepl_snapshot_state");
	if (!json_is_integer(ver) || json_integer_value(ver) != SNAPSTATE_VERSION) {
		errf(msg, sizeof msg, "not a snapshot state of version %d", SNAPSTATE_VERSION);
		goto out;
	}
	const char *mode = opt_string(root, "mode", &bad);
	s->mode = SNAPSTATE_COPY;
	for (size_t m = 0; mode && m < sizeof mode_names / sizeof *mode_names; m++)
		if (!strcmp(mode, mode_names[m]))
			s->mode = (snapstate_mode)m, mode = NULL;
	const char *slot = opt_string(root, "slot", &bad);
	const char *where = opt_string(root, "where", &bad);
	json_t *trunc = json_object_get(root, "truncate");
	json_t *tables = json_object_get(root, "tables");
	if (mode || bad || !json_is_boolean(trunc) || !json_is_array(tables) ||
	    ((s->mode != SNAPSTATE_COPY) != (slot != NULL))) {
		errf(msg, sizeof msg, "bad \"mode\", \"slot\", \"where\", \"truncate\" or \"tables\"");
		goto out;
	}
	s->truncate = json_is_true(trunc);
	if ((slot && !(s->slot = strdup(slot))) || (where && !(s->where = strdup(where)))) {
		errf(msg, sizeof msg, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(tables); i++) {
		json_t *t = json_array_get(tables, i);
		json_t *schema = json_object_get(t, "schema"), *name = json_object_get(t, "table");
		json_t *key = json_object_get(t, "key"), *last = json_object_get(t, "last");
		json_t *rows = json_object_get(t, "rows");
		json_t *started = json_object_get(t, "started"), *done = json_object_get(t, "done");
		if (!json_is_string(schema) || !json_is_string(name) || !json_is_array(key) ||
		    !json_is_integer(rows) || json_integer_value(rows) < 0 || !json_is_boolean(started) ||
		    !json_is_boolean(done)) {
			errf(msg, sizeof msg, "table %zu: want \"schema\", \"table\", \"key\", \"started\", "
					      "\"done\", \"last\" and \"rows\"", i + 1);
			goto out;
		}
		size_t nkey = json_array_size(key);
		char **names = json_strv(key, nkey, "key", msg, sizeof msg);
		if (!names)
			goto out;
		long ti = snapstate_add_table(s, json_string_value(schema), json_string_value(name),
					      (const char *const *)names, nkey);
		strv_free(names, nkey);
		if (ti < 0) {
			errf(msg, sizeof msg, "out of memory");
			goto out;
		}
		snapstate_table *st = &s->tables[ti];
		st->started = json_is_true(started);
		st->done = json_is_true(done);
		st->rows = (uint64_t)json_integer_value(rows);
		if (last && !json_is_null(last)) {
			if (nkey == 0) {
				errf(msg, sizeof msg, "table %s.%s: \"last\" for a table without key", st->schema,
				     st->name);
				goto out;
			}
			if (!(st->last = json_strv(last, nkey, "last", msg, sizeof msg)))
				goto out;
		}
	}
	s->dirty = false;
	rc = 1;
out:
	json_decref(root);
	if (rc < 0) {
		errf(err, errlen, "%s: %s", path, msg);
		snapstate_free(s);
	}
	return rc;
}

static json_t *to_json(const snapstate *s)
{
	json_t *tables = json_array();
	json_t *root = json_pack("{s:i, s:s, s:o, s:o, s:b, s:o}", "dbrepl_snapshot_state", SNAPSTATE_VERSION,
				 "mode", snapstate_mode_name(s->mode),
				 "slot", s->slot ? json_string(s->slot) : json_null(),
				 "where", s->where ? json_string(s->where) : json_null(),
				 "truncate", s->truncate, "tables", tables);
	if (!root)
		return NULL;
	for (size_t i = 0; i < s->ntables; i++) {
		const snapstate_table *t = &s->tables[i];
		json_t *o = json_pack("{s:s, s:s, s:o, s:b, s:b, s:o, s:I}", "schema", t->schema, "table", t->name,
				      "key", strv_json(t->keycols, t->nkey), "started", t->started, "done", t->done,
				      "last", strv_json(t->last, t->nkey), "rows", (json_int_t)t->rows);
		if (!o || json_array_append_new(tables, o) < 0) {
			json_decref(root);
			return NULL;
		}
	}
	return root;
}

/* Writes all of data to fd. */
static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int snapstate_save(snapstate *s, const char *path, char *err, size_t errlen)
{
	json_t *root = to_json(s);
	char *text = root ? json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(root);
	if (!text)
		return errf(err, errlen, "out of memory");
	size_t n = strlen(path);
	char *tmp = malloc(n + 8), *dir = malloc(n + 1);
	if (!tmp || !dir) {
		free(text);
		free(tmp);
		free(dir);
		return errf(err, errlen, "out of memory");
	}
	snprintf(tmp, n + 8, "%s.tmp", path);
	memcpy(dir, path, n + 1);
	int rc = -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		errf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	/* The data reaches the disk before the name does: a crash leaves the
	 * old file or the whole new one, never a short one. */
	if (write_all(fd, text, strlen(text)) < 0 || write_all(fd, "\n", 1) < 0 || fsync(fd) < 0) {
		errf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* And the rename itself, which lives in the directory. */
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		errf(err, errlen, "%s: %s", dir, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	close(dfd);
	s->dirty = false;
	rc = 0;
out:
	free(text);
	free(tmp);
	free(dir);
	return rc;
}
