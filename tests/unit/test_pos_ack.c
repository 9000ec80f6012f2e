/* Unit tests for lib/pos (offsets), lib/ack (the ack FIFO), lib/buf and lib/cli. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ack.h"
#include "buf.h"
#include "cli.h"
#include "pos.h"

static void test_offset_round_trip(void **state)
{
	(void)state;
	const char *ok[] = {"0/0:0", "16/B374D848:3", "FFFFFFFF/FFFFFFFF:18446744073709551615", "0", "12345",
			    "18446744073709551615"};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		pos_offset o;
		char back[POS_OFFSET_TEXT_MAX];
		assert_int_equal(pos_offset_parse(ok[i], &o), 0);
		pos_offset_format(o, back, sizeof back);
		assert_string_equal(back, ok[i]);
	}
	pos_offset o;
	assert_int_equal(pos_offset_parse("16/b374d848:3", &o), 0);
	assert_true(o.lsn);
	assert_int_equal(o.major, 0x16B374D848ull);
	assert_int_equal(o.minor, 3);
}

static void test_offset_rejects(void **state)
{
	(void)state;
	const char *bad[] = {"", "x", "1/", "/1:1", "1/1", "1/1:", "1/1:x", "100000000/0:1", "-1",
			     "18446744073709551616", "1 ", " 1", "1/1:2:3"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		pos_offset o;
		assert_int_equal(pos_offset_parse(bad[i], &o), -1);
	}
}

static void test_offset_order(void **state)
{
	(void)state;
	pos_offset a, b, c;
	pos_offset_parse("0/10:5", &a);
	pos_offset_parse("0/10:6", &b);
	pos_offset_parse("0/11:1", &c);
	assert_true(pos_offset_cmp(a, b) < 0);
	assert_true(pos_offset_cmp(b, c) < 0);
	assert_true(pos_offset_cmp(c, a) > 0);
	assert_int_equal(pos_offset_cmp(a, a), 0);
}

static void test_lsn(void **state)
{
	(void)state;
	uint64_t l;
	char t[32];
	assert_int_equal(pos_lsn_parse("0/16B3748", &l), 0);
	assert_int_equal(l, 0x16B3748);
	pos_lsn_format(l, t, sizeof t);
	assert_string_equal(t, "0/16B3748");
	assert_int_equal(pos_lsn_parse("0/16B3748:1", &l), -1);
}

static void test_stream_names(void **state)
{
	(void)state;
	assert_true(pos_stream_valid("pg/wwi/dbrepl"));
	assert_true(pos_stream_valid("kafka/wwi.sales.orders/7"));
	assert_false(pos_stream_valid(""));
	assert_false(pos_stream_valid("a b"));
	assert_false(pos_stream_valid("a\n"));
}

/* The _n forms read exactly n bytes: what follows does not count, and a
 * cut text is read as the shorter one (a NUL byte ends nothing early). */
static void test_parse_n(void **state)
{
	(void)state;
	pos_offset o;
	uint64_t l;
	assert_int_equal(pos_offset_parse_n("0/1A:25xyz", 7, &o), 0);
	assert_true(o.lsn);
	assert_int_equal(o.major, 0x1A);
	assert_int_equal(o.minor, 25);
	assert_int_equal(pos_offset_parse_n("0/1A:25", 5, &o), -1);
	assert_int_equal(pos_offset_parse_n("0/1A:25", 4, &o), -1);
	assert_int_equal(pos_offset_parse_n("12/", 2, &o), 0);
	assert_false(o.lsn);
	assert_int_equal(o.major, 12);
	assert_int_equal(pos_offset_parse_n("1\0" "2", 3, &o), -1);
	assert_int_equal(pos_offset_parse_n("", 0, &o), -1);
	assert_int_equal(pos_lsn_parse_n("0/16B3748:1", 9, &l), 0);
	assert_int_equal(l, 0x16B3748);
	assert_int_equal(pos_lsn_parse_n("0/16B3748", 2, &l), -1);
	assert_int_equal(pos_lsn_parse_n("0/1\0" "6", 5, &l), -1);
	assert_true(pos_stream_valid_n("pg/d/s x", 6));
	assert_false(pos_stream_valid_n("pg/d/s x", 7));
	assert_false(pos_stream_valid_n("a\0b", 3));
	assert_false(pos_stream_valid_n("a", 0));
}

struct seen {
	int n;
	char stream[64][POS_STREAM_MAX + 1];
	pos_offset off[64];
};

static void collect(void *ctx, const char *stream, pos_offset off)
{
	struct seen *s = ctx;
	if (s->n < 64) {
		strcpy(s->stream[s->n], stream);
		s->off[s->n] = off;
	}
	s->n++;
}

static void drain(ack_reader *r, struct seen *s, int want)
{
	for (int i = 0; i < 200 && s->n < want; i++) {
		struct pollfd p = {.fd = ack_reader_fd(r), .events = POLLIN};
		poll(&p, 1, 10);
		assert_true(ack_reader_poll(r, collect, s) >= 0);
	}
}

static void test_ack_fifo(void **state)
{
	(void)state;
	char dir[] = "/tmp/dbrepl-ack-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof path, "%s/acks", dir);

	/* A writer with no reader yet keeps its ack instead of blocking. */
	ack_writer *w = ack_writer_open(path);
	assert_non_null(w);
	pos_offset o;
	pos_offset_parse("0/10:1", &o);
	assert_int_equal(ack_writer_send(w, "pg/d/s", o), -1);
	/* A newer ack for the same stream replaces the pending one. */
	pos_offset_parse("0/10:2", &o);
	ack_writer_send(w, "pg/d/s", o);

	ack_reader *r = ack_reader_open(path);
	assert_non_null(r);
	assert_int_equal(ack_writer_flush(w, 1000), 0);
	struct seen s = {0};
	drain(r, &s, 1);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.stream[0], "pg/d/s");
	assert_int_equal(s.off[0].minor, 2);

	/* Two streams, several acks. */
	pos_offset_parse("7", &o);
	ack_writer_send(w, "kafka/t/0", o);
	pos_offset_parse("0/20:9", &o);
	ack_writer_send(w, "pg/d/s", o);
	drain(r, &s, 3);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.stream[1], "kafka/t/0");
	assert_int_equal(s.off[1].major, 7);
	assert_int_equal(s.off[2].major, 0x20);

	/* The writer goes away and a new one comes: the reader sees no EOF. */
	ack_writer_close(w);
	w = ack_writer_open(path);
	pos_offset_parse("8", &o);
	assert_int_equal(ack_writer_send(w, "kafka/t/0", o), 0);
	drain(r, &s, 4);
	assert_int_equal(s.n, 4);

	/* A malformed line is skipped, the next one still arrives. */
	int fd = open(path, O_WRONLY | O_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "garbage\nkafka/t/0 9\n", 20), 20);
	close(fd);
	drain(r, &s, 5);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.off[4].major, 9);

	ack_writer_close(w);
	ack_reader_close(r);
	unlink(path);
	rmdir(dir);
}

static void test_buf_ceiling(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 16);
	assert_int_equal(buf_puts(&b, "0123456789"), 0);
	assert_int_equal(buf_printf(&b, "%d", 12345), 0);
	assert_int_equal(buf_puts(&b, "toolong"), -1);
	assert_int_equal(b.len, 15);
	buf_terminate(&b);
	assert_string_equal(b.data, "012345678912345");
	buf_free(&b);
}

static void test_cli_parse_int(void **state)
{
	(void)state;
	long long v = 99;
	assert_int_equal(cli_parse_int("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cli_parse_int("-1", -1, 10, &v), 0);
	assert_int_equal(v, -1);
	assert_int_equal(cli_parse_int("10", 0, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(cli_parse_int("9223372036854775807", 0, 9223372036854775807LL, &v), 0);
	assert_true(v == 9223372036854775807LL);
	v = 42;
	const char *bad[] = {"", "11", "-2", "1x", " 1", "0x10", "1.5", "9223372036854775808", "abc"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(cli_parse_int(bad[i], -1, 10, &v), -1);
	assert_int_equal(cli_parse_int(NULL, 0, 10, &v), -1);
	assert_int_equal(v, 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offset_round_trip), cmocka_unit_test(test_offset_rejects),
		cmocka_unit_test(test_offset_order),      cmocka_unit_test(test_lsn),
		cmocka_unit_test(test_stream_names),      cmocka_unit_test(test_parse_n),      cmocka_unit_test(test_ack_fifo),
		cmocka_unit_test(test_buf_ceiling),       cmocka_unit_test(test_cli_parse_int),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
