/* ack.c — see ack.h. */
#include "ack.h"
#include "log.h"
#include "monoclock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ACK_LINE_MAX (POS_STREAM_MAX + POS_OFFSET_TEXT_MAX + 4)

static int ensure_fifo(const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0) {
		if (!S_ISFIFO(st.st_mode)) {
			errno = EINVAL;
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT)
		return -1;
	if (mkfifo(path, 0600) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* ---- writer ---- */

typedef struct pending_ack {
	char stream[POS_STREAM_MAX + 1];
	pos_offset off;
	int dirty;
} pending_ack;

struct ack_writer {
	char *path;
	int fd;
	pending_ack *pend;
	size_t npend, cap;
};

ack_writer *ack_writer_open(const char *path)
{
	if (ensure_fifo(path) < 0)
		return NULL;
	ack_writer *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->path = strdup(path);
	w->fd = -1;
	/* A reader that goes away must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return w;
}

static int writer_connect(ack_writer *w)
{
	if (w->fd >= 0)
		return 0;
	w->fd = open(w->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	return w->fd >= 0 ? 0 : -1;
}

static int writer_send_pending(ack_writer *w)
{
	if (writer_connect(w) < 0)
		return -1;
	for (size_t i = 0; i < w->npend; i++) {
		pending_ack *p = &w->pend[i];
		if (!p->dirty)
			continue;
		char off[POS_OFFSET_TEXT_MAX], line[ACK_LINE_MAX];
		pos_offset_format(p->off, off, sizeof off);
		int n = snprintf(line, sizeof line, "%s %s\n", p->stream, off);
		/* Lines are shorter than PIPE_BUF, so a write is all or nothing. */
		ssize_t k = write(w->fd, line, (size_t)n);
		if (k == n) {
			p->dirty = 0;
			continue;
		}
		if (k < 0 && errno == EAGAIN)
			return -1;
		/* EPIPE: the reader went away; reconnect on a later call. */
		close(w->fd);
		w->fd = -1;
		return -1;
	}
	return 0;
}

int ack_writer_send(ack_writer *w, const char *stream, pos_offset off)
{
	pending_ack *p = NULL;
	for (size_t i = 0; i < w->npend; i++)
		if (strcmp(w->pend[i].stream, stream) == 0) {
			p = &w->pend[i];
			break;
		}
	if (!p) {
		if (strlen(stream) > POS_STREAM_MAX)
			return -1;
		if (w->npend == w->cap) {
			size_t cap = w->cap ? w->cap * 2 : 8;
			pending_ack *np = realloc(w->pend, cap * sizeof *np);
			if (!np)
				return -1;
			w->pend = np;
			w->cap = cap;
		}
		p = &w->pend[w->npend++];
		memset(p, 0, sizeof *p);
		strcpy(p->stream, stream);
	}
	p->off = off;
	p->dirty = 1;
	return writer_send_pending(w);
}

int ack_writer_flush(ack_writer *w, int wait_ms)
{
	int64_t start = mono_ms();
	for (;;) {
		if (writer_send_pending(w) == 0)
			return 0;
		if (wait_ms <= 0 || mono_ms() - start >= wait_ms)
			return -1;
		poll(NULL, 0, 10);
	}
}

void ack_writer_close(ack_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->pend);
	free(w->path);
	free(w);
}

/* ---- reader ---- */

struct ack_reader {
	int fd;
	int keep_fd; /* our own write end: no EOF when writers come and go */
	char buf[ACK_LINE_MAX * 4];
	size_t len;
	int bad_reported;
};

ack_reader *ack_reader_open(const char *path)
{
	if (ensure_fifo(path) < 0)
		return NULL;
	ack_reader *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (r->fd < 0) {
		free(r);
		return NULL;
	}
	r->keep_fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	return r;
}

int ack_reader_fd(const ack_reader *r)
{
	return r->fd;
}

static int parse_line(char *line, char **stream, pos_offset *off)
{
	char *sp = strchr(line, ' ');
	if (!sp)
		return -1;
	*sp = '\0';
	if (!pos_stream_valid(line) || pos_offset_parse(sp + 1, off) < 0)
		return -1;
	*stream = line;
	return 0;
}

int ack_reader_poll(ack_reader *r, ack_cb cb, void *ctx)
{
	int delivered = 0;
	for (;;) {
		ssize_t n = read(r->fd, r->buf + r->len, sizeof r->buf - r->len);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -1;
		}
		if (n == 0)
			break;
		r->len += (size_t)n;
		size_t start = 0;
		for (size_t i = 0; i < r->len; i++) {
			if (r->buf[i] != '\n')
				continue;
			r->buf[i] = '\0';
			char *line = r->buf + start, *stream;
			pos_offset off;
			if (parse_line(line, &stream, &off) == 0) {
				cb(ctx, stream, off);
				delivered++;
			} else if (!r->bad_reported) {
				log_error("ignoring malformed ack line (%.80s)", line);
				r->bad_reported = 1;
			}
			start = i + 1;
		}
		memmove(r->buf, r->buf + start, r->len - start);
		r->len -= start;
		if (r->len == sizeof r->buf) {
			/* A line longer than any valid ack: drop it. */
			r->len = 0;
		}
	}
	return delivered;
}

void ack_reader_close(ack_reader *r)
{
	if (!r)
		return;
	close(r->fd);
	if (r->keep_fd >= 0)
		close(r->keep_fd);
	free(r);
}
