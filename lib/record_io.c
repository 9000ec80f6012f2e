/* record_io.c — records over a file descriptor: the buffered reader
 * (encoding picked by the stream's first byte, large read() calls, bounded
 * buffer that grows only for a big record and shrinks back) and the
 * buffered writer (~64 KiB per write()). */
#include "record_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK ((size_t)64 << 10)
#define SHRINK_ABOVE ((size_t)1 << 20)
#define WRITE_CHUNK ((size_t)64 << 10)

struct record_reader {
	int fd;
	char *buf;
	size_t cap, start, end; /* unread bytes are buf[start..end) */
	size_t scan;            /* JSON: buf[start..scan) holds no '\n' */
	mp_scan ms;             /* msgpack: progress measuring the record at start */
	bool peeked;            /* msgpack: record_reader_wait measured it whole: */
	mp_scan peek;           /* its end, for next_msgpack */
	int cancel_fd;          /* readable: blocking waits end with EINTR (-1: none) */
	bool nowait;            /* in record_reader_next_nowait: fill only what is there */
	bool eof, failed, detected;
	record_format fmt;
	uint64_t count;  /* lines (JSON) or records (msgpack) consumed */
	uint64_t offset; /* stream byte offset of buf[start] */
	const char *raw;
	size_t rawlen;
	char errsave[512];
};

record_reader *record_reader_new(int fd)
{
	record_reader *rd = calloc(1, sizeof *rd);
	if (!rd)
		return NULL;
	rd->buf = malloc(READ_CHUNK);
	if (!rd->buf) {
		free(rd);
		return NULL;
	}
	rd->cap = READ_CHUNK;
	rd->fd = fd;
	rd->cancel_fd = -1;
	mp_scan_init(&rd->ms);
	return rd;
}

void record_reader_free(record_reader *rd)
{
	if (!rd)
		return;
	free(rd->buf);
	free(rd);
}

record_format record_reader_format(const record_reader *rd)
{
	return rd->fmt;
}

void record_reader_raw(const record_reader *rd, const void **data, size_t *len)
{
	*data = rd->raw;
	*len = rd->rawlen;
}

uint64_t record_reader_count(const record_reader *rd)
{
	return rd->count;
}

void record_reader_set_cancel_fd(record_reader *rd, int fd)
{
	rd->cancel_fd = fd;
}

/* Reads more input. 1: got bytes; 0: end of input; -1: read error (errno);
 * -3: the buffer is at its ceiling (the caller reports a record too long);
 * -4: in record_reader_next_nowait, no input is there to read now. */
static int fill(record_reader *rd)
{
	/* In record_reader_next_nowait: whether input is there now. The same
	 * poll looks at the cancel fd, so that the blocking poll below, which
	 * would only say again what this one said, is skipped: one system
	 * call less per read (kpub's reading thread makes three per 64 KiB
	 * otherwise). */
	bool ready = false;
	if (rd->nowait) {
		struct pollfd pfd[2] = {{.fd = rd->fd, .events = POLLIN}, {.fd = rd->cancel_fd, .events = POLLIN}};
		int n = poll(pfd, rd->cancel_fd >= 0 ? 2 : 1, 0);
		if (n < 0 && errno == EINTR)
			return -1;
		if (n == 0 || (n > 0 && !pfd[0].revents))
			return -4;
		if (n > 0 && pfd[1].revents) {
			errno = EINTR;
			return -1;
		}
		ready = n > 0;
	}
	size_t have = rd->end - rd->start;
	/* Move what is left to the front when the buffer is empty, nearly full
	 * at the back, or oversized from a big record that has been consumed. */
	if (rd->start > 0 && (have == 0 || rd->cap - rd->end < READ_CHUNK / 4 ||
			      (rd->cap > SHRINK_ABOVE && have <= READ_CHUNK / 2))) {
		memmove(rd->buf, rd->buf + rd->start, have);
		rd->scan = rd->scan > rd->start ? rd->scan - rd->start : 0;
		rd->end = have;
		rd->start = 0;
	}
	if (rd->cap > SHRINK_ABOVE && rd->end <= READ_CHUNK / 2) {
		char *p = realloc(rd->buf, READ_CHUNK);
		if (p) {
			rd->buf = p;
			rd->cap = READ_CHUNK;
		}
	}
	if (rd->end == rd->cap) {
		size_t limit = RECORD_MAX_BYTES + 1;
		if (rd->cap >= limit)
			return -3;
		size_t ncap = rd->cap * 2 > limit ? limit : rd->cap * 2;
		char *p = realloc(rd->buf, ncap);
		if (!p)
			return -1;
		rd->buf = p;
		rd->cap = ncap;
	}
	for (;;) {
		if (rd->cancel_fd >= 0 && !ready) {
			/* wait for input or for the cancel fd, which ends the wait
			 * as a signal would */
			struct pollfd pfd[2] = {{.fd = rd->fd, .events = POLLIN},
						{.fd = rd->cancel_fd, .events = POLLIN}};
			if (poll(pfd, 2, -1) < 0 && errno == EINTR)
				return -1;
			if (pfd[1].revents) {
				errno = EINTR;
				return -1;
			}
		}
		ssize_t n = read(rd->fd, rd->buf + rd->end, rd->cap - rd->end);
		if (n > 0) {
			rd->end += (size_t)n;
			return 1;
		}
		if (n == 0) {
			rd->eof = true;
			return 0;
		}
		/* A signal ends the read: the caller decides whether to stop
		 * (SIGTERM) or read on; the reader's state is kept either way. */
		if (errno == EINTR)
			return -1;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			/* with a cancel fd, the poll at the top waits for both */
			ready = false;
			if (rd->cancel_fd >= 0)
				continue;
			struct pollfd pfd = {.fd = rd->fd, .events = POLLIN};
			if (poll(&pfd, 1, -1) < 0 && errno == EINTR)
				return -1;
			continue;
		}
		return -1;
	}
}

static int fail(record_reader *rd, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(record_reader *rd, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rd->errsave, sizeof rd->errsave, fmt, ap);
	va_end(ap);
	rd->failed = true;
	rd->raw = NULL;
	rd->rawlen = 0;
	if (err && errlen)
		snprintf(err, errlen, "%s", rd->errsave);
	return -1;
}

static bool blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

static int next_json(record_reader *rd, record *r, char *err, size_t errlen)
{
	char msg[400];
	for (;;) {
		if (rd->scan < rd->start)
			rd->scan = rd->start;
		char *nl = memchr(rd->buf + rd->scan, '\n', rd->end - rd->scan);
		size_t len;
		if (nl) {
			len = (size_t)(nl - (rd->buf + rd->start));
		} else {
			rd->scan = rd->end;
			if (rd->end - rd->start > RECORD_MAX_BYTES)
				return fail(rd, err, errlen, "line %" PRIu64 ": record longer than %zu bytes",
					    rd->count + 1, RECORD_MAX_BYTES);
			if (!rd->eof) {
				int rc = fill(rd);
				if (rc == -1)
					return -2;
				if (rc == -4)
					return -3;
				if (rc == -3)
					return fail(rd, err, errlen, "line %" PRIu64 ": record longer than %zu bytes",
						    rd->count + 1, RECORD_MAX_BYTES);
				continue;
			}
			if (rd->start == rd->end)
				return 0;
			len = rd->end - rd->start; /* the last line has no '\n' */
		}
		const char *line = rd->buf + rd->start;
		size_t used = nl ? len + 1 : len;
		rd->count++;
		rd->start += used;
		rd->offset += used;
		rd->scan = rd->start;
		if (len > RECORD_MAX_BYTES)
			return fail(rd, err, errlen, "line %" PRIu64 ": record longer than %zu bytes",
				    rd->count, RECORD_MAX_BYTES);
		if (blank(line, len))
			continue;
		int rc = record_decode_json_at(r, line, len, rd->count, msg, sizeof msg);
		if (rc < 0)
			return fail(rd, err, errlen, "line %" PRIu64 ": %s", rd->count, msg);
		if (rc > 0)
			continue; /* a Debezium transaction boundary: no change */
		rd->raw = line;
		rd->rawlen = len;
		return 1;
	}
}

static bool is_map_header(unsigned char c)
{
	return (c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf;
}

static int next_msgpack(record_reader *rd, record *r, char *err, size_t errlen)
{
	char msg[400];
	for (;;) {
		int rc = MP_SCAN_MORE;
		/* a record starts with a map header: say so rather than "truncated" */
		if (rd->end > rd->start && rd->ms.pos == 0 &&
		    !is_map_header((unsigned char)rd->buf[rd->start]))
			return fail(rd, err, errlen, "record %" PRIu64 " at byte offset %" PRIu64
				    ": not a msgpack map (byte 0x%02x)", rd->count + 1, rd->offset,
				    (unsigned char)rd->buf[rd->start]);
		if (rd->peeked) {
			/* record_reader_wait measured this record already, and the
			 * buffer has not changed since */
			rd->ms = rd->peek;
			rd->peeked = false;
			rc = MP_SCAN_DONE;
		} else if (rd->end > rd->start) {
			size_t len;
			/* Most records are whole in the buffer, and decoding one
			 * finds its end: measuring it first would read it twice.
			 * When that does not settle it (a record not whole yet,
			 * bad, or unusual), measure and decode as below, which
			 * says what is wrong; a measure in progress goes on. */
			if (rd->ms.pos == 0 &&
			    record_decode_msgpack_front(r, rd->buf + rd->start, rd->end - rd->start, &len)) {
				const char *rec = rd->buf + rd->start;
				rd->count++;
				rd->start += len;
				rd->offset += len;
				rd->raw = rec;
				rd->rawlen = len;
				return 1;
			}
			rc = mp_scan_step(&rd->ms, (const unsigned char *)rd->buf + rd->start,
					  rd->end - rd->start, RECORD_MAX_BYTES);
		}
		switch (rc) {
		case MP_SCAN_DONE: {
			const char *rec = rd->buf + rd->start;
			size_t len = rd->ms.pos;
			uint64_t at = rd->offset;
			rd->count++;
			rd->start += len;
			rd->offset += len;
			mp_scan_init(&rd->ms);
			if (record_decode_msgpack(r, rec, len, msg, sizeof msg) < 0)
				return fail(rd, err, errlen, "record %" PRIu64 " at byte offset %" PRIu64 ": %s",
					    rd->count, at, msg);
			rd->raw = rec;
			rd->rawlen = len;
			return 1;
		}
		case MP_SCAN_MORE:
			break;
		case MP_SCAN_TOO_BIG:
			return fail(rd, err, errlen, "record %" PRIu64 " at byte offset %" PRIu64
				    ": record longer than %zu bytes", rd->count + 1, rd->offset, RECORD_MAX_BYTES);
		case MP_SCAN_DEEP:
			return fail(rd, err, errlen, "record %" PRIu64 " at byte offset %" PRIu64
				    ": nesting deeper than %d levels", rd->count + 1, rd->offset, MP_MAX_DEPTH);
		default:
			return fail(rd, err, errlen, "record %" PRIu64 " at byte offset %" PRIu64
				    ": not msgpack (byte 0xc1)", rd->count + 1, rd->offset);
		}
		if (rd->eof) {
			if (rd->start == rd->end)
				return 0;
			return fail(rd, err, errlen, "record %" PRIu64 " at byte offset %" PRIu64
				    ": truncated record at end of input", rd->count + 1, rd->offset);
		}
		rc = fill(rd);
		if (rc == -1)
			return -2;
		if (rc == -4)
			return -3;
		if (rc == -3)
			return fail(rd, err, errlen, "record %" PRIu64 " at byte offset %" PRIu64
				    ": record longer than %zu bytes", rd->count + 1, rd->offset, RECORD_MAX_BYTES);
	}
}

int record_reader_next(record_reader *rd, record *r, char *err, size_t errlen)
{
	if (rd->failed) {
		if (err && errlen)
			snprintf(err, errlen, "%s", rd->errsave);
		return -1;
	}
	rd->raw = NULL;
	rd->rawlen = 0;
	if (!rd->detected) {
		while (rd->start == rd->end) {
			if (rd->eof)
				return 0;
			int rc = fill(rd);
			if (rc == -1)
				return -2;
			if (rc == -4)
				return -3;
		}
		rd->fmt = is_map_header((unsigned char)rd->buf[rd->start]) ? RECORD_FORMAT_MSGPACK
									  : RECORD_FORMAT_JSON;
		rd->detected = true;
	}
	if (rd->fmt == RECORD_FORMAT_MSGPACK) {
		return next_msgpack(rd, r, err, errlen);
	}
	return next_json(rd, r, err, errlen);
}

int record_reader_next_nowait(record_reader *rd, record *r, char *err, size_t errlen)
{
	rd->nowait = true;
	int rc = record_reader_next(rd, r, err, errlen);
	rd->nowait = false;
	return rc;
}

int record_reader_wait(record_reader *rd, int timeout_ms)
{
	if (rd->failed || rd->eof)
		return 1;
	if (rd->end > rd->start) {
		if (!rd->detected)
			return 1;
		if (rd->fmt == RECORD_FORMAT_JSON) {
			if (rd->scan < rd->start)
				rd->scan = rd->start;
			/* where the search ends, next_json's begins */
			const char *nl = memchr(rd->buf + rd->scan, '\n', rd->end - rd->scan);
			rd->scan = nl ? (size_t)(nl - rd->buf) : rd->end;
			if (nl)
				return 1;
		} else if (rd->peeked) {
			return 1;
		} else {
			mp_scan s = rd->ms;
			int rc = mp_scan_step(&s, (const unsigned char *)rd->buf + rd->start,
					      rd->end - rd->start, RECORD_MAX_BYTES);
			if (rc == MP_SCAN_DONE && rd->ms.pos == 0) {
				/* keep the measure: next_msgpack need not take it again */
				rd->peek = s;
				rd->peeked = true;
			}
			if (rc != MP_SCAN_MORE)
				return 1;
		}
	}
	struct pollfd pfd = {.fd = rd->fd, .events = POLLIN};
	int n;
	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n > 0 ? 1 : 0;
}

/* ---- writer ---- */

struct record_writer {
	int fd;
	record_format fmt;
	buf b;
	record_encoder *enc; /* a run of one table's records reuses its encoded columns */
	uint64_t written;    /* bytes written to fd */
};

record_writer *record_writer_new(int fd, record_format f)
{
	record_writer *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->fd = fd;
	w->fmt = f;
	buf_init(&w->b, 0);
	w->enc = record_encoder_new();
	if (!w->enc || buf_reserve(&w->b, WRITE_CHUNK + 4096) < 0) {
		record_encoder_free(w->enc);
		buf_free(&w->b);
		free(w);
		errno = ENOMEM;
		return NULL;
	}
	return w;
}

int record_writer_put(record_writer *w, const record *r)
{
	if (record_encoder_encode(w->enc, r, w->fmt, &w->b) < 0)
		return -1;
	if (w->b.len >= WRITE_CHUNK)
		return record_writer_flush(w);
	return 0;
}

uint64_t record_writer_bytes(const record_writer *w)
{
	return w->written;
}

int record_writer_flush(record_writer *w)
{
	size_t done = 0;
	int rc = 0;
	while (done < w->b.len) {
		ssize_t n = write(w->fd, w->b.data + done, w->b.len - done);
		if (n > 0) {
			done += (size_t)n;
			w->written += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = {.fd = w->fd, .events = POLLOUT};
			poll(&pfd, 1, -1);
			continue;
		}
		rc = -1;
		break;
	}
	int e = errno;
	if (done == w->b.len) {
		w->b.len = 0;
		/* one huge record must not pin its memory */
		if (w->b.cap > SHRINK_ABOVE) {
			buf_free(&w->b);
			buf_init(&w->b, 0);
		}
	} else if (done) {
		memmove(w->b.data, w->b.data + done, w->b.len - done);
		w->b.len -= done;
	}
	errno = e;
	return rc;
}

size_t record_writer_buffered(const record_writer *w)
{
	return w->b.len;
}

void record_writer_free(record_writer *w)
{
	if (!w)
		return;
	buf_free(&w->b);
	record_encoder_free(w->enc);
	free(w);
}
