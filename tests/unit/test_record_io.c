/* Unit tests for lib/record_io.c: the stream reader (auto-detection, line
 * and record numbers in messages, nothing returned after bad input, the
 * size ceiling without buffering the whole input, big records, msgpack
 * records found by decoding them with the measure's limits and messages,
 * records arriving in pieces, reading without waiting) and the buffered
 * writer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"

static void make_rec(record *r, int i, const char *text)
{
	record_clear(r);
	r->op = 'c';
	assert_int_equal(record_set_table(r, "wwi", "sales", "orders"), 0);
	assert_int_equal(record_set_shape(r, 3, false, true), 0);
	assert_int_equal(record_set_column(r, 0, "id", "integer"), 0);
	assert_int_equal(record_set_column(r, 1, "note", "text"), 0);
	assert_int_equal(record_set_column(r, 2, "data", "bytea"), 0);
	uint16_t k = 0;
	assert_int_equal(record_set_keys(r, &k, 1), 0);
	char n[32];
	snprintf(n, sizeof n, "%d", i);
	assert_int_equal(record_set_value(r, r->after, 0, VALUE_TEXT, n, strlen(n)), 0);
	assert_int_equal(record_set_value(r, r->after, 1, VALUE_TEXT, text, strlen(text)), 0);
	assert_int_equal(record_set_value(r, r->after, 2, VALUE_TEXT, "\\x00ff", 6), 0);
	r->lsn = 0x1000 + (uint64_t)i;
	r->xid = 9;
	r->seq = (uint64_t)i + 1;
	strcpy(r->stream, "pg/wwi/slot");
	r->offset.lsn = true;
	r->offset.major = r->lsn;
	r->offset.minor = r->seq;
}

/* A temporary file holding data, positioned at its start. */
static int file_with(const void *data, size_t len)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	int fd = dup(fileno(f));
	fclose(f);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void write_read(record_format fmt)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	int fd = dup(fileno(f));
	fclose(f);
	record_writer *w = record_writer_new(fd, fmt);
	assert_non_null(w);
	record r, in;
	record_init(&r);
	record_init(&in);
	buf enc;
	buf_init(&enc, 0);
	const int n = 5000;
	for (int i = 0; i < n; i++) {
		make_rec(&r, i, i % 7 ? "short" : "a somewhat longer note, with \"quotes\" and \xc3\xa9");
		assert_int_equal(record_writer_put(w, &r), 0);
		assert_true(record_writer_buffered(w) < (64u << 10) + 1024);
	}
	assert_int_equal(record_writer_flush(w), 0);
	assert_int_equal(record_writer_buffered(w), 0);
	record_writer_free(w);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);

	record_reader *rd = record_reader_new(fd);
	assert_non_null(rd);
	char err[512];
	for (int i = 0; i < n; i++) {
		int rc = record_reader_next(rd, &in, err, sizeof err);
		if (rc != 1)
			fail_msg("record %d: rc %d %s", i, rc, err);
		assert_int_equal(record_reader_format(rd), fmt);
		assert_int_equal(record_reader_count(rd), (uint64_t)i + 1);
		make_rec(&r, i, i % 7 ? "short" : "a somewhat longer note, with \"quotes\" and \xc3\xa9");
		assert_string_equal(in.after[0].data, r.after[0].data);
		assert_string_equal(in.after[1].data, r.after[1].data);
		assert_string_equal(in.after[2].data, "\\x00ff");
		assert_int_equal(in.seq, r.seq);
		/* raw is the record exactly as encoded (JSON: without '\n') */
		const void *raw;
		size_t rawlen;
		record_reader_raw(rd, &raw, &rawlen);
		buf_reset(&enc);
		assert_int_equal(record_encode(&r, fmt, &enc), 0);
		if (fmt == RECORD_FORMAT_JSON)
			enc.len--;
		assert_int_equal(rawlen, enc.len);
		assert_memory_equal(raw, enc.data, rawlen);
	}
	assert_int_equal(record_reader_next(rd, &in, err, sizeof err), 0);
	assert_int_equal(record_reader_next(rd, &in, err, sizeof err), 0);
	record_reader_free(rd);
	close(fd);
	buf_free(&enc);
	record_free(&r);
	record_free(&in);
}

static void test_write_read_json(void **state)
{
	(void)state;
	write_read(RECORD_FORMAT_JSON);
}

static void test_write_read_msgpack(void **state)
{
	(void)state;
	write_read(RECORD_FORMAT_MSGPACK);
}

static void encode_to(buf *b, int i, record_format fmt)
{
	record r;
	record_init(&r);
	make_rec(&r, i, "x");
	assert_int_equal(record_encode(&r, fmt, b), 0);
	record_free(&r);
}

/* n records (0..n-1) appended to b; ends[i] is where record i ends. */
static void encode_n(buf *b, int n, record_format fmt, size_t *ends)
{
	for (int i = 0; i < n; i++) {
		encode_to(b, i, fmt);
		ends[i] = b->len;
	}
}

static void test_json_line_numbers(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	encode_to(&b, 1, RECORD_FORMAT_JSON);
	assert_int_equal(buf_puts(&b, "\n  \r\n"), 0); /* blank lines count but are skipped */
	encode_to(&b, 2, RECORD_FORMAT_JSON);
	assert_int_equal(buf_puts(&b, "{\"v\":1,\"op\":5}\n"), 0);
	encode_to(&b, 3, RECORD_FORMAT_JSON);
	int fd = file_with(b.data, b.len);
	record_reader *rd = record_reader_new(fd);
	record r;
	record_init(&r);
	char err[512];
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
	assert_string_equal(r.after[0].data, "1");
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
	assert_string_equal(r.after[0].data, "2");
	assert_int_equal(record_reader_count(rd), 4);
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), -1);
	assert_string_equal(err, "line 5: \"op\": expected one of \"r\" \"c\" \"u\" \"d\" \"t\", got a number");
	/* nothing after the bad record */
	err[0] = '\0';
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), -1);
	assert_string_equal(err, "line 5: \"op\": expected one of \"r\" \"c\" \"u\" \"d\" \"t\", got a number");
	assert_int_equal(record_reader_wait(rd, 0), 1);
	record_reader_free(rd);
	close(fd);

	/* a truncated last line; a complete last line without '\n' is fine */
	buf_reset(&b);
	encode_to(&b, 1, RECORD_FORMAT_JSON);
	encode_to(&b, 2, RECORD_FORMAT_JSON);
	b.len--; /* drop the '\n' */
	size_t full = b.len;
	for (int trunc = 0; trunc < 2; trunc++) {
		fd = file_with(b.data, trunc ? full - 10 : full);
		rd = record_reader_new(fd);
		assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
		if (trunc) {
			assert_int_equal(record_reader_next(rd, &r, err, sizeof err), -1);
			assert_non_null(strstr(err, "line 2: unexpected end of input (truncated record)"));
		} else {
			assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
			assert_string_equal(r.after[0].data, "2");
			assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 0);
		}
		record_reader_free(rd);
		close(fd);
	}

	/* invalid UTF-8 on line 3 */
	buf_reset(&b);
	encode_to(&b, 1, RECORD_FORMAT_JSON);
	encode_to(&b, 2, RECORD_FORMAT_JSON);
	encode_to(&b, 3, RECORD_FORMAT_JSON);
	char *x = memmem(b.data + b.len / 2, b.len / 2, "\"note\":\"x\"", 10);
	x = memmem(x + 1, b.len - (size_t)(x + 1 - b.data), "\"note\":\"x\"", 10);
	assert_non_null(x);
	x[8] = (char)0xfe;
	fd = file_with(b.data, b.len);
	rd = record_reader_new(fd);
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), -1);
	assert_string_equal(err, "line 3: invalid UTF-8 in string");
	record_reader_free(rd);
	close(fd);

	/* empty input */
	fd = file_with("", 0);
	rd = record_reader_new(fd);
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 0);
	record_reader_free(rd);
	close(fd);

	buf_free(&b);
	record_free(&r);
}

static void test_msgpack_offsets(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	encode_to(&b, 1, RECORD_FORMAT_MSGPACK);
	size_t first = b.len;
	encode_to(&b, 2, RECORD_FORMAT_MSGPACK);
	size_t second = b.len;
	/* record 3 says its op is 5 */
	record r;
	record_init(&r);
	char err[512];
	static const unsigned char bad[] = {0x82, 0xa1, 'v', 0x01, 0xa2, 'o', 'p', 0x05};
	assert_int_equal(buf_append(&b, bad, sizeof bad), 0);
	encode_to(&b, 4, RECORD_FORMAT_MSGPACK);
	int fd = file_with(b.data, b.len);
	record_reader *rd = record_reader_new(fd);
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
	assert_int_equal(record_reader_format(rd), RECORD_FORMAT_MSGPACK);
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), -1);
	char want[128];
	snprintf(want, sizeof want, "record 3 at byte offset %zu: \"op\": expected one of", second);
	assert_non_null(strstr(err, want));
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), -1);
	record_reader_free(rd);
	close(fd);

	/* garbage between records; a truncated last record */
	b.len = first;
	assert_int_equal(buf_append(&b, "\x01\x02", 2), 0);
	fd = file_with(b.data, b.len);
	rd = record_reader_new(fd);
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), -1);
	snprintf(want, sizeof want, "record 2 at byte offset %zu: not a msgpack map (byte 0x01)", first);
	assert_string_equal(err, want);
	record_reader_free(rd);
	close(fd);

	b.len = first;
	encode_to(&b, 2, RECORD_FORMAT_MSGPACK);
	fd = file_with(b.data, b.len - 3);
	rd = record_reader_new(fd);
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), -1);
	snprintf(want, sizeof want, "record 2 at byte offset %zu: truncated record at end of input", first);
	assert_string_equal(err, want);
	record_reader_free(rd);
	close(fd);

	buf_free(&b);
	record_free(&r);
}

/* Writes a prefix, then an endless line, until the reader goes away. */
struct flood {
	int fd;
	const char *prefix;
	size_t prefixlen;
	size_t written;
};

static void *flood_main(void *arg)
{
	struct flood *f = arg;
	if (write(f->fd, f->prefix, f->prefixlen) != (ssize_t)f->prefixlen)
		return NULL;
	static char chunk[1 << 16];
	memset(chunk, 'x', sizeof chunk);
	for (;;) {
		ssize_t n = write(f->fd, chunk, sizeof chunk);
		if (n <= 0)
			break;
		f->written += (size_t)n;
	}
	close(f->fd);
	return NULL;
}

static void test_record_too_long(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	buf b;
	buf_init(&b, 0);
	encode_to(&b, 1, RECORD_FORMAT_JSON);
	encode_to(&b, 2, RECORD_FORMAT_JSON);
	assert_int_equal(buf_puts(&b, "{\"v\":1,\"note\":\""), 0);
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct flood f = {p[1], b.data, b.len, 0};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, flood_main, &f), 0);
	record_reader *rd = record_reader_new(p[0]);
	record r;
	record_init(&r);
	char err[512];
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
	/* the endless third line fails without the input ending */
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), -1);
	assert_string_equal(err, "line 3: record longer than 268435456 bytes");
	record_reader_free(rd);
	close(p[0]);
	pthread_join(t, NULL);
	assert_true(f.written < RECORD_MAX_BYTES + (2u << 20));
	record_free(&r);
	buf_free(&b);
}

struct feeder {
	int fd;
	const char *data;
	size_t len;
};

static void *feeder_main(void *arg)
{
	struct feeder *f = arg;
	size_t done = 0;
	while (done < f->len) {
		ssize_t n = write(f->fd, f->data + done, f->len - done > 65536 ? 65536 : f->len - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(f->fd);
	return NULL;
}

static void big_then_small(record_format fmt)
{
	size_t n = 6u << 20;
	char *big = malloc(n + 1);
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	big[n] = '\0';
	record r, in;
	record_init(&r);
	record_init(&in);
	buf b;
	buf_init(&b, 0);
	make_rec(&r, 1, big);
	assert_int_equal(record_encode(&r, fmt, &b), 0);
	for (int i = 2; i < 100; i++)
		encode_to(&b, i, fmt);
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct feeder f = {p[1], b.data, b.len};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, feeder_main, &f), 0);
	record_reader *rd = record_reader_new(p[0]);
	char err[512];
	int rc = record_reader_next(rd, &in, err, sizeof err);
	if (rc != 1)
		fail_msg("%s", err);
	assert_int_equal(in.after[1].len, n);
	assert_memory_equal(in.after[1].data, big, n);
	for (int i = 2; i < 100; i++) {
		assert_int_equal(record_reader_next(rd, &in, err, sizeof err), 1);
		assert_string_equal(in.after[1].data, "x");
	}
	assert_int_equal(record_reader_next(rd, &in, err, sizeof err), 0);
	pthread_join(t, NULL);
	record_reader_free(rd);
	close(p[0]);
	free(big);
	buf_free(&b);
	record_free(&r);
	record_free(&in);
}

static void test_big_record(void **state)
{
	(void)state;
	big_then_small(RECORD_FORMAT_JSON);
	big_then_small(RECORD_FORMAT_MSGPACK);
}

static void test_wait_and_errors(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	int p[2];
	assert_int_equal(pipe(p), 0);
	record_reader *rd = record_reader_new(p[0]);
	assert_int_equal(record_reader_wait(rd, 0), 0);
	assert_int_equal(record_reader_wait(rd, 20), 0);
	buf b;
	buf_init(&b, 0);
	encode_to(&b, 1, RECORD_FORMAT_JSON);
	encode_to(&b, 2, RECORD_FORMAT_JSON);
	assert_int_equal(write(p[1], b.data, b.len), (ssize_t)b.len);
	assert_int_equal(record_reader_wait(rd, 1000), 1);
	record r;
	record_init(&r);
	char err[256];
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
	/* the second record is buffered already */
	assert_int_equal(record_reader_wait(rd, 0), 1);
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
	assert_int_equal(record_reader_wait(rd, 0), 0);
	close(p[1]);
	assert_int_equal(record_reader_wait(rd, 1000), 1);
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 0);
	record_reader_free(rd);
	close(p[0]);

	/* a read error */
	rd = record_reader_new(-1);
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), -2);
	assert_int_equal(errno, EBADF);
	record_reader_free(rd);

	/* the writer reports EPIPE when the reader has gone */
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	record_writer *w = record_writer_new(p[1], RECORD_FORMAT_JSON);
	make_rec(&r, 1, "x");
	assert_int_equal(record_writer_put(w, &r), 0);
	assert_true(record_writer_buffered(w) > 0);
	assert_int_equal(record_writer_flush(w), -1);
	assert_int_equal(errno, EPIPE);
	/* a record the encoder refuses */
	assert_int_equal(record_set_value(&r, r.after, 0, VALUE_TEXT, "abc", 3), 0);
	size_t before = record_writer_buffered(w);
	assert_int_equal(record_writer_put(w, &r), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(record_writer_buffered(w), before);
	record_writer_free(w);
	close(p[1]);
	buf_free(&b);
	record_free(&r);
}

/* A msgpack record whose column carries an unknown key nesting n arrays
 * deep, or (top) an unknown field of the record doing so; the decoder
 * skips those from their own level, the reader's measure counts every
 * level from the record's map. */
static void nested_record(buf *b, int n, bool top)
{
	buf_reset(b);
	buf_append(b, top ? "\x8b" : "\x8a", 1);
	static const char head[] = "\xa1v\x01\xa2op\xa1" "c\xa2" "db\xa1" "d\xa6schema\xa1s\xa5table\xa1t"
				   "\xa4" "cols\xdc\x00\x15";
	static const char col[] = "\xa4name\xa1k\xa4type\xa7integer";
	buf_append(b, head, sizeof head - 1);
	buf_append(b, top ? "\x82" : "\x83", 1);
	buf_append(b, col, sizeof col - 1);
	if (!top)
		buf_append(b, "\xa1x", 2);
	for (int i = 0; !top && i < n; i++)
		buf_append(b, "\x91", 1);
	if (!top)
		buf_append(b, "\xc0", 1);
	for (int i = 0; i < 20; i++) {
		char c[64];
		int l = snprintf(c, sizeof c, "\x82\xa4name\xa3" "c%02d\xa4type\xa4text", i);
		buf_append(b, c, (size_t)l);
	}
	static const char rest[] = "\xa3key\x91\xa1k\xa5" "after\x81\xa1k\x05\xa3src\x84\xa3lsn\xa3" "0/1"
				   "\xa3xid\x01\xa2ts\xb4" "2000-01-01T00:00:00Z\xa3seq\x01\xa3pos\x82"
				   "\xa6stream\xa6pg/d/s\xa6offset\xa5" "0/1:1";
	buf_append(b, rest, sizeof rest - 1);
	if (top) {
		buf_append(b, "\xa5" "extra", 6);
		for (int i = 0; i < n; i++)
			buf_append(b, "\x91", 1);
		buf_append(b, "\xc0", 1);
	}
}

/* The reader finds where most msgpack records end by decoding them; what
 * it says of a record nested deeper than MP_MAX_DEPTH (32) levels, which
 * the decoder alone takes, is still what its measure says, also when the
 * decoder has the record's columns in its cache. */
static void test_msgpack_nesting(void **state)
{
	(void)state;
	record r;
	record_init(&r);
	char err[512], want[256];
	buf b, rec;
	buf_init(&b, 0);
	buf_init(&rec, 0);
	for (int top = 0; top < 2; top++)
		for (int n = top ? 29 : 27; n <= (top ? 32 : 30); n++) {
			nested_record(&rec, n, top);
			/* 3 + n levels in a column, 1 + n in a field */
			bool deep = (top ? 1 : 3) + n > 32;
			if (record_decode(&r, rec.data, rec.len, err, sizeof err) < 0)
				fail_msg("top %d n %d: %s", top, n, err);
			assert_int_equal(record_decode(&r, rec.data, rec.len, err, sizeof err), 0);
			buf_reset(&b);
			encode_to(&b, 1, RECORD_FORMAT_MSGPACK);
			size_t first = b.len;
			buf_append(&b, rec.data, rec.len);
			encode_to(&b, 3, RECORD_FORMAT_MSGPACK);
			int fd = file_with(b.data, b.len);
			record_reader *rd = record_reader_new(fd);
			assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
			if (deep) {
				assert_int_equal(record_reader_next(rd, &r, err, sizeof err), -1);
				snprintf(want, sizeof want, "record 2 at byte offset %zu: nesting deeper than 32 levels",
					 first);
				assert_string_equal(err, want);
			} else {
				assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
				assert_int_equal(r.ncols, 21);
				assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
				assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 0);
			}
			record_reader_free(rd);
			close(fd);
		}
	buf_free(&b);
	buf_free(&rec);
	record_free(&r);
}

/* Writes data to a pipe a few bytes at a time. */
struct trickle {
	int fd;
	const char *data;
	size_t len, step;
};

static void *trickle_main(void *arg)
{
	struct trickle *t = arg;
	for (size_t off = 0; off < t->len;) {
		size_t n = t->len - off < t->step ? t->len - off : t->step;
		ssize_t w = write(t->fd, t->data + off, n);
		if (w <= 0)
			break;
		off += (size_t)w;
		usleep(100);
	}
	close(t->fd);
	return NULL;
}

/* msgpack records arriving in pieces: each whole, in order, with its raw
 * bytes, whatever piece it ends in; a record cut by the end of input is
 * reported as such. */
/* record_reader_next, or (nowait) as mssql-apply reads: without waiting,
 * and when that finds no whole record, a wait for input and a read that
 * waits for the rest (which the trickle makes it do). */
static int next_rec(record_reader *rd, record *r, char *err, size_t errlen, bool nowait)
{
	if (nowait) {
		int rc = record_reader_next_nowait(rd, r, err, errlen);
		if (rc != -3)
			return rc;
		record_reader_wait(rd, 1000);
	}
	return record_reader_next(rd, r, err, errlen);
}

static void test_msgpack_pieces(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	size_t ends[6];
	encode_n(&b, 6, RECORD_FORMAT_MSGPACK, ends);
	static const size_t steps[] = {1, 7, 100, 1000};
	for (int k = 0; k < 8; k++) {
		size_t s = (size_t)k % 4;
		bool nowait = k >= 4;
		for (int cut = 0; cut < 2; cut++) {
			int p[2];
			assert_int_equal(pipe(p), 0);
			struct trickle t = {p[1], b.data, cut ? b.len - 5 : b.len, steps[s]};
			pthread_t th;
			assert_int_equal(pthread_create(&th, NULL, trickle_main, &t), 0);
			record_reader *rd = record_reader_new(p[0]);
			record r, want;
			record_init(&r);
			record_init(&want);
			char err[512];
			for (int i = 0; i < 6; i++) {
				int rc = next_rec(rd, &r, err, sizeof err, nowait);
				if (cut && i == 5) {
					assert_int_equal(rc, -1);
					char msg[128];
					snprintf(msg, sizeof msg, "record 6 at byte offset %zu: truncated record at end of input",
						 ends[4]);
					assert_string_equal(err, msg);
					break;
				}
				assert_int_equal(rc, 1);
				const void *raw;
				size_t rawlen;
				record_reader_raw(rd, &raw, &rawlen);
				size_t start = i ? ends[i - 1] : 0;
				assert_int_equal(rawlen, ends[i] - start);
				assert_memory_equal(raw, b.data + start, rawlen);
				assert_int_equal(r.seq, (uint64_t)i + 1);
			}
			if (!cut)
				assert_int_equal(next_rec(rd, &r, err, sizeof err, nowait), 0);
			record_reader_free(rd);
			pthread_join(th, NULL);
			close(p[0]);
			record_free(&r);
			record_free(&want);
		}
	}
	buf_free(&b);
}

/* record_reader_next_nowait: -3 (and nothing consumed) while no whole
 * record is there, the record once it is, in either encoding; the end of
 * input and bad input as record_reader_next says them. */
static void nowait_format(record_format fmt)
{
	signal(SIGPIPE, SIG_IGN);
	buf b;
	buf_init(&b, 0);
	size_t ends[3];
	encode_n(&b, 3, fmt, ends);
	int p[2];
	assert_int_equal(pipe(p), 0);
	record_reader *rd = record_reader_new(p[0]);
	record r;
	record_init(&r);
	char err[512];
	assert_int_equal(record_reader_next_nowait(rd, &r, err, sizeof err), -3);
	/* the first record but its last 5 bytes: asked twice, nothing taken */
	assert_int_equal(write(p[1], b.data, ends[0] - 5), (ssize_t)(ends[0] - 5));
	assert_int_equal(record_reader_next_nowait(rd, &r, err, sizeof err), -3);
	assert_int_equal(record_reader_next_nowait(rd, &r, err, sizeof err), -3);
	assert_int_equal(record_reader_count(rd), 0);
	/* its rest and the whole second one: the first taken by a waiting
	 * read, as the callers do after -3 */
	assert_int_equal(write(p[1], b.data + ends[0] - 5, ends[1] - ends[0] + 5), (ssize_t)(ends[1] - ends[0] + 5));
	for (int i = 0; i < 2; i++) {
		if (i == 0)
			assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
		else
			assert_int_equal(record_reader_next_nowait(rd, &r, err, sizeof err), 1);
		assert_int_equal(r.seq, (uint64_t)i + 1);
		const void *raw;
		size_t rawlen;
		record_reader_raw(rd, &raw, &rawlen);
		size_t start = i ? ends[i - 1] : 0;
		size_t nl = fmt == RECORD_FORMAT_JSON ? 1 : 0; /* raw JSON is the line without its '\n' */
		assert_int_equal(rawlen, ends[i] - start - nl);
		assert_memory_equal(raw, b.data + start, rawlen);
	}
	assert_int_equal(record_reader_next_nowait(rd, &r, err, sizeof err), -3);
	if (fmt == RECORD_FORMAT_JSON) {
		/* blank lines are no record: they are passed over, and the
		 * caller hears that none is there (a wait would hold its batch) */
		assert_int_equal(write(p[1], "\n  \n", 4), 4);
		assert_int_equal(record_reader_next_nowait(rd, &r, err, sizeof err), -3);
		assert_int_equal(record_reader_count(rd), 4);
	}
	/* the third, then the end of input */
	assert_int_equal(write(p[1], b.data + ends[1], ends[2] - ends[1]), (ssize_t)(ends[2] - ends[1]));
	close(p[1]);
	assert_int_equal(record_reader_next_nowait(rd, &r, err, sizeof err), 1);
	assert_int_equal(r.seq, 3);
	assert_int_equal(record_reader_next_nowait(rd, &r, err, sizeof err), 0);
	record_reader_free(rd);
	close(p[0]);

	/* a good record and then a bad one: the message of record_reader_next */
	buf bad;
	buf_init(&bad, 0);
	assert_int_equal(buf_append(&bad, b.data, ends[0]), 0);
	if (fmt == RECORD_FORMAT_JSON)
		assert_int_equal(buf_puts(&bad, "{\"v\":1,\"op\":\"x\"}\n"), 0);
	else
		assert_int_equal(buf_puts(&bad, "\x81\xa2op\xc1"), 0);
	char want[512];
	int fd = file_with(bad.data, bad.len);
	rd = record_reader_new(fd);
	assert_int_equal(record_reader_next(rd, &r, want, sizeof want), 1);
	assert_int_equal(record_reader_next(rd, &r, want, sizeof want), -1);
	assert_non_null(strstr(want, fmt == RECORD_FORMAT_JSON ? "line 2: " : "record 2 at byte offset "));
	record_reader_free(rd);
	close(fd);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], bad.data, bad.len), (ssize_t)bad.len);
	close(p[1]);
	rd = record_reader_new(p[0]);
	assert_int_equal(record_reader_next_nowait(rd, &r, err, sizeof err), 1);
	assert_int_equal(record_reader_next_nowait(rd, &r, err, sizeof err), -1);
	assert_string_equal(err, want);
	record_reader_free(rd);
	close(p[0]);
	buf_free(&bad);
	buf_free(&b);
	record_free(&r);
}

static void test_next_nowait(void **state)
{
	(void)state;
	nowait_format(RECORD_FORMAT_JSON);
	nowait_format(RECORD_FORMAT_MSGPACK);
}

/* record_reader_next_nowait with a cancel fd (kpub's reading thread): one
 * poll says whether input is there and whether the cancel fd asks to stop,
 * with the answers the two polls of before gave. No input: -3, whatever
 * the cancel fd says; input there and the cancel fd readable: -2 (EINTR)
 * before anything is read; a whole record already in the buffer comes
 * without a look at either. */
static void test_next_nowait_cancel(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	buf b;
	buf_init(&b, 0);
	size_t ends[3];
	encode_n(&b, 3, RECORD_FORMAT_JSON, ends);
	int p[2], c[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(c), 0);
	record_reader *rd = record_reader_new(p[0]);
	record_reader_set_cancel_fd(rd, c[0]);
	record r;
	record_init(&r);
	char err[512];
	assert_int_equal(record_reader_next_nowait(rd, &r, err, sizeof err), -3);
	/* the first record and a half: the first one comes */
	size_t half = ends[0] + (ends[1] - ends[0]) / 2;
	assert_int_equal(write(p[1], b.data, half), (ssize_t)half);
	assert_int_equal(record_reader_next_nowait(rd, &r, err, sizeof err), 1);
	assert_int_equal(r.seq, 1);
	assert_int_equal(record_reader_next_nowait(rd, &r, err, sizeof err), -3);
	/* stop asked, no input: still "none there" */
	assert_int_equal(write(c[1], "s", 1), 1);
	assert_int_equal(record_reader_next_nowait(rd, &r, err, sizeof err), -3);
	/* stop asked and input there: the stop wins, nothing is read */
	assert_int_equal(write(p[1], b.data + half, ends[2] - half), (ssize_t)(ends[2] - half));
	errno = 0;
	assert_int_equal(record_reader_next_nowait(rd, &r, err, sizeof err), -2);
	assert_int_equal(errno, EINTR);
	assert_int_equal(record_reader_count(rd), 1);
	/* no more stop: the rest, then the end of input */
	char drain[8];
	assert_int_equal(read(c[0], drain, sizeof drain), 1);
	close(p[1]);
	for (uint64_t i = 2; i <= 3; i++) {
		assert_int_equal(record_reader_next_nowait(rd, &r, err, sizeof err), 1);
		assert_int_equal(r.seq, i);
	}
	assert_int_equal(record_reader_next_nowait(rd, &r, err, sizeof err), 0);
	record_reader_free(rd);
	record_free(&r);
	close(p[0]);
	close(c[0]);
	close(c[1]);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_read_json),
		cmocka_unit_test(test_write_read_msgpack),
		cmocka_unit_test(test_json_line_numbers),
		cmocka_unit_test(test_msgpack_offsets),
		cmocka_unit_test(test_record_too_long),
		cmocka_unit_test(test_big_record),
		cmocka_unit_test(test_wait_and_errors),
		cmocka_unit_test(test_msgpack_nesting),
		cmocka_unit_test(test_msgpack_pieces),
		cmocka_unit_test(test_next_nowait),
		cmocka_unit_test(test_next_nowait_cancel),
	};
	return cmocka_run_group_tests_name("record_io", tests, NULL, NULL);
}
