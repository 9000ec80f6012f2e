/* Unit tests for lib/ksub_merge (ksub --ordered) and lib/watermark (kpub's
 * watermark messages):
 *   - records of one stream from several partitions come out in source
 *     order, each waiting until every assigned partition has gone past it
 *     (a queued record, a record shown before, or a watermark);
 *   - a partition that has shown nothing of the stream holds it back, an
 *     idle one is let past by its watermarks, a revoked one no longer holds;
 *   - ties, snapshot rows (no wait), a partition's own order (skipped
 *     messages and records never pass each other), copies of records a
 *     restarted kpub published again, two streams in opposite orders, and
 *     which partitions are to be paused when the queues are full;
 *   - Debezium's events: their order, a key change's two events, events
 *     in no order;
 *   - the watermark's value, both ways, and what is not one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ksub_merge.h"
#include "watermark.h"

/* What came out, as text: "P:koff" for a record, "P:koff-" for a skipped
 * message, in order; P is the tag (a partition number). */
static char trace[4096];

static void out(void *ctx, void *tag, int64_t koff, const void *data, size_t len, int64_t stamp)
{
	(void)ctx;
	/* the stamp given with it (rec, below: its Kafka offset) */
	if (data)
		assert_int_equal(stamp, koff);
	size_t n = strlen(trace);
	snprintf(trace + n, sizeof trace - n, "%s%d:%lld%s", n ? " " : "", (int)(intptr_t)tag, (long long)koff,
		 data ? "" : "-");
	if (data) {
		/* the bytes queued with it */
		char want[32];
		snprintf(want, sizeof want, "r%d.%lld", (int)(intptr_t)tag, (long long)koff);
		assert_int_equal(len, strlen(want));
		assert_memory_equal(data, want, len);
	}
}

static const char *release(ksub_merge *m)
{
	trace[0] = '\0';
	bool broke;
	ksub_merge_release(m, out, NULL, &broke);
	assert_false(broke);
	return trace;
}

static pos_offset lsn(uint64_t major, uint64_t minor)
{
	return (pos_offset){.major = major, .minor = minor, .lsn = true};
}

/* A record of stream S at (major, minor), Kafka offset koff in partition p. */
static int rec(ksub_merge *m, ksub_merge_part *p, int tag, int64_t koff, const char *stream, uint64_t major,
	       uint64_t minor, bool waits)
{
	char data[32];
	snprintf(data, sizeof data, "r%d.%lld", tag, (long long)koff);
	return ksub_merge_record(m, p, koff, stream, lsn(major, minor), waits, data, strlen(data), koff);
}

static ksub_merge_part *part(ksub_merge *m, int tag)
{
	ksub_merge_part *p = ksub_merge_part_new(m, (void *)(intptr_t)tag);
	assert_non_null(p);
	ksub_merge_assign(m, p);
	return p;
}

static void test_order_and_watermarks(void **state)
{
	(void)state;
	ksub_merge *m = ksub_merge_new(1 << 20);
	ksub_merge_part *p0 = part(m, 0), *p1 = part(m, 1), *p2 = part(m, 2);
	/* transaction 100 has changes 1-3, 200 has 1-2; spread over p0, p1 */
	assert_int_equal(rec(m, p0, 0, 10, "S", 100, 1, true), 0);
	assert_int_equal(rec(m, p0, 0, 11, "S", 100, 3, true), 0);
	assert_int_equal(rec(m, p1, 1, 20, "S", 100, 2, true), 0);
	assert_int_equal(rec(m, p0, 0, 12, "S", 200, 2, true), 0);
	/* p2 has shown nothing of S: everything waits */
	assert_string_equal(release(m), "");
	assert_int_equal(ksub_merge_queued(m), 4);
	const char *stream;
	assert_ptr_equal(ksub_merge_unseen_blocker(m, &stream), (void *)2);
	assert_string_equal(stream, "S");
	/* p2 is idle: its watermark says it has nothing up to 100:3 */
	assert_int_equal(ksub_merge_watermark(m, p2, 5, "S", lsn(100, 3)), 0);
	/* 100:1, 100:2, 100:3 go; 200:2 waits for p1 (shown up to 100:2) and
	 * p2 (100:3); the watermark itself goes as a skipped message */
	assert_string_equal(release(m), "2:5- 0:10 1:20 0:11");
	assert_int_equal(rec(m, p1, 1, 21, "S", 200, 1, true), 0);
	/* 200:1 waits for p2 */
	assert_string_equal(release(m), "");
	assert_int_equal(ksub_merge_watermark(m, p2, 6, "S", lsn(200, 2)), 0);
	assert_string_equal(release(m), "2:6- 1:21 0:12");
	assert_int_equal(ksub_merge_queued(m), 0);
	assert_int_equal(ksub_merge_bytes(m), 0);
	assert_null(ksub_merge_unseen_blocker(m, &stream));
	ksub_merge_free(m);
}

static void test_ties_idle_revoke(void **state)
{
	(void)state;
	ksub_merge *m = ksub_merge_new(1 << 20);
	ksub_merge_part *p0 = part(m, 0), *p1 = part(m, 1), *p2 = part(m, 2);
	assert_int_equal(rec(m, p0, 0, 1, "S", 5, 1, true), 0);
	/* a watermark exactly at the record's position lets it go */
	assert_int_equal(ksub_merge_watermark(m, p1, 1, "S", lsn(5, 1)), 0);
	assert_string_equal(release(m), "1:1-");
	/* one below does not, unless it is right before it */
	assert_int_equal(ksub_merge_watermark(m, p2, 1, "S", lsn(4, 9)), 0);
	assert_string_equal(release(m), "2:1-");
	assert_int_equal(ksub_merge_watermark(m, p2, 2, "S", lsn(5, 1)), 0);
	assert_string_equal(release(m), "2:2- 0:1");
	/* a record shown earlier counts as far as it goes: p0 showed 5:1, so
	 * 5:2 may go, but not a change of a later transaction */
	assert_int_equal(rec(m, p1, 1, 2, "S", 6, 1, true), 0);
	assert_string_equal(release(m), "");
	/* p0 revoked: it holds nothing back any more; p2 still does */
	ksub_merge_revoke(m, p0);
	assert_string_equal(release(m), "");
	assert_int_equal(ksub_merge_watermark(m, p2, 3, "S", lsn(9, 0)), 0);
	assert_string_equal(release(m), "2:3- 1:2");
	/* reassigned, p0 starts from nothing and holds the stream back */
	ksub_merge_assign(m, p0);
	assert_int_equal(rec(m, p1, 1, 3, "S", 9, 1, true), 0);
	assert_string_equal(release(m), "");
	/* a revoked partition's queue is dropped, not let go */
	assert_int_equal(rec(m, p2, 2, 4, "S", 9, 2, true), 0);
	ksub_merge_revoke(m, p2);
	assert_int_equal(ksub_merge_queued(m), 1);
	assert_int_equal(ksub_merge_watermark(m, p0, 1, "S", lsn(10, 0)), 0);
	assert_string_equal(release(m), "0:1- 1:3");
	ksub_merge_free(m);
}

/* What a partition showed lets the next change of the same transaction
 * go, not one of a later transaction (nor a Kafka offset's next). */
static void test_next_change(void **state)
{
	(void)state;
	ksub_merge *m = ksub_merge_new(1 << 20);
	ksub_merge_part *p0 = part(m, 0), *p1 = part(m, 1);
	assert_int_equal(ksub_merge_watermark(m, p1, 1, "S", lsn(5, 2)), 0);
	assert_int_equal(rec(m, p0, 0, 1, "S", 5, 4, true), 0);
	assert_string_equal(release(m), "1:1-");
	assert_int_equal(ksub_merge_watermark(m, p1, 2, "S", lsn(5, 3)), 0);
	assert_string_equal(release(m), "1:2- 0:1");
	assert_int_equal(rec(m, p0, 0, 2, "S", 6, 1, true), 0);
	assert_string_equal(release(m), "");
	/* decimal offsets (a snapshot's own stream): the next number */
	ksub_merge_part *p2 = part(m, 2);
	ksub_merge_revoke(m, p0);
	assert_int_equal(ksub_merge_record(m, p1, 3, "N", (pos_offset){.major = 7}, true, "r1.3", 4, 3), 0);
	assert_int_equal(ksub_merge_watermark(m, p2, 1, "N", (pos_offset){.major = 5}), 0);
	assert_int_equal(ksub_merge_watermark(m, p2, 2, "S", lsn(9, 0)), 0);
	assert_string_equal(release(m), "2:1- 2:2-");
	assert_int_equal(ksub_merge_watermark(m, p2, 3, "N", (pos_offset){.major = 6}), 0);
	assert_string_equal(release(m), "2:3- 1:3");
	ksub_merge_free(m);
}

/* Snapshot rows do not wait; nothing passes anything in its own
 * partition; skipped messages keep their place. */
static void test_partition_order(void **state)
{
	(void)state;
	ksub_merge *m = ksub_merge_new(1 << 20);
	ksub_merge_part *p0 = part(m, 0), *p1 = part(m, 1);
	assert_int_equal(rec(m, p0, 0, 1, "S", 1, 1, false), 0);
	assert_int_equal(rec(m, p0, 0, 2, "S", 1, 2, false), 0);
	assert_string_equal(release(m), "0:1 0:2");
	assert_int_equal(rec(m, p0, 0, 3, "S", 7, 1, true), 0);
	assert_int_equal(ksub_merge_skip(m, p0, 4), 0); /* a tombstone */
	assert_int_equal(rec(m, p0, 0, 5, "S", 8, 1, false), 0);
	assert_string_equal(release(m), "");
	assert_int_equal(ksub_merge_watermark(m, p1, 1, "S", lsn(8, 0)), 0);
	assert_string_equal(release(m), "1:1- 0:3 0:4- 0:5");
	ksub_merge_free(m);
}

/* A restarted kpub publishes again what it had not acked: a record at or
 * below what its partition showed of the stream is a copy, dropped. */
static void test_copies(void **state)
{
	(void)state;
	ksub_merge *m = ksub_merge_new(1 << 20);
	ksub_merge_part *p0 = part(m, 0), *p1 = part(m, 1);
	assert_int_equal(ksub_merge_watermark(m, p1, 1, "S", lsn(100, 0)), 0);
	assert_int_equal(rec(m, p0, 0, 1, "S", 10, 1, true), 0);
	assert_int_equal(rec(m, p0, 0, 2, "S", 11, 1, true), 0);
	assert_int_equal(rec(m, p0, 0, 3, "S", 10, 1, true), 1);
	assert_int_equal(rec(m, p0, 0, 4, "S", 11, 1, true), 1);
	assert_int_equal(rec(m, p0, 0, 5, "S", 12, 1, true), 0);
	/* after a watermark, what it covers is a copy too */
	assert_int_equal(rec(m, p1, 1, 2, "S", 99, 1, true), 1);
	assert_string_equal(release(m), "1:1- 1:2- 0:1 0:2 0:3- 0:4- 0:5");
	ksub_merge_free(m);
}

/* Debezium's events in source order (watermark_debezium_order): the two
 * events of a key change (same total_order) are no copies of each other,
 * a watermark after a change lets its second event go, and events in no
 * order (ksub_merge_pass: several with one position) pass in their
 * partition's order, none taken for a copy. */
static void test_debezium(void **state)
{
	(void)state;
	ksub_merge *m = ksub_merge_new(1 << 20);
	ksub_merge_part *p0 = part(m, 0), *p1 = part(m, 1);
	pos_offset del = watermark_debezium_order(100, 2, false), cre = watermark_debezium_order(100, 2, true);
	assert_true(pos_offset_cmp(del, cre) < 0);
	assert_true(pos_offset_cmp(watermark_debezium_order(100, 1, true), del) < 0);
	assert_true(pos_offset_cmp(cre, watermark_debezium_order(100, 3, false)) < 0);
	assert_true(pos_offset_cmp(watermark_debezium_order(100, UINT64_MAX, true),
				   watermark_debezium_order(101, 0, false)) < 0);
	assert_int_equal(ksub_merge_record(m, p0, 1, "debezium/d", watermark_debezium_order(100, 1, false), true, "r0.1",
					   4, 1), 0);
	assert_int_equal(ksub_merge_record(m, p0, 2, "debezium/d", del, true, "r0.2", 4, 2), 0);
	assert_int_equal(ksub_merge_record(m, p0, 3, "debezium/d", cre, true, "r0.3", 4, 3), 0);
	/* p1 has shown nothing: they wait; kpub's watermark after change 2 */
	assert_string_equal(release(m), "");
	assert_int_equal(ksub_merge_watermark(m, p1, 1, "debezium/d", watermark_debezium_order(100, 2, true)), 0);
	assert_string_equal(release(m), "1:1- 0:1 0:2 0:3");
	/* in no order: they go at once, in their partition's order */
	assert_int_equal(ksub_merge_pass(m, p1, 2, "r1.2", 4, 2), 0);
	assert_int_equal(ksub_merge_pass(m, p1, 3, "r1.3", 4, 3), 0);
	/* change 3 may be next in p0 (which showed change 2's last event):
	 * change 4 waits until p0 has gone past change 3 */
	assert_int_equal(ksub_merge_record(m, p1, 4, "debezium/d", watermark_debezium_order(100, 4, false), true, "r1.4",
					   4, 4), 0);
	assert_int_equal(ksub_merge_pass(m, p1, 5, "r1.5", 4, 5), 0);
	assert_string_equal(release(m), "1:2 1:3");
	assert_int_equal(ksub_merge_watermark(m, p0, 4, "debezium/d", watermark_debezium_order(100, 3, true)), 0);
	assert_string_equal(release(m), "0:4- 1:4 1:5");
	ksub_merge_free(m);
}

/* Streams are merged each in itself. */
static void test_streams(void **state)
{
	(void)state;
	ksub_merge *m = ksub_merge_new(1 << 20);
	ksub_merge_part *p0 = part(m, 0), *p1 = part(m, 1);
	assert_int_equal(rec(m, p0, 0, 1, "A", 5, 1, true), 0);
	assert_int_equal(rec(m, p1, 1, 1, "B", 3, 1, true), 0);
	/* each partition has shown nothing of the other's stream */
	assert_string_equal(release(m), "");
	assert_int_equal(ksub_merge_watermark(m, p1, 2, "A", lsn(6, 0)), 0);
	assert_string_equal(release(m), "0:1");
	assert_int_equal(ksub_merge_watermark(m, p0, 2, "B", lsn(3, 1)), 0);
	assert_string_equal(release(m), "0:2- 1:1 1:2-");
	ksub_merge_free(m);
}

/* Two streams queued in opposite orders wait for each other for ever: the
 * oldest waiting record goes, once, out of order. */
static void test_opposite_orders(void **state)
{
	(void)state;
	ksub_merge *m = ksub_merge_new(1 << 20);
	ksub_merge_part *p0 = part(m, 0), *p1 = part(m, 1);
	assert_int_equal(ksub_merge_watermark(m, p0, 1, "A", lsn(1, 0)), 0);
	assert_int_equal(ksub_merge_watermark(m, p0, 2, "B", lsn(1, 0)), 0);
	assert_int_equal(ksub_merge_watermark(m, p1, 1, "A", lsn(1, 0)), 0);
	assert_int_equal(ksub_merge_watermark(m, p1, 2, "B", lsn(1, 0)), 0);
	assert_string_equal(release(m), "0:1- 0:2- 1:1- 1:2-");
	/* p0: A5 then B1; p1: B2 then A3 */
	assert_int_equal(rec(m, p0, 0, 3, "A", 5, 1, true), 0);
	assert_int_equal(rec(m, p0, 0, 4, "B", 1, 1, true), 0);
	assert_int_equal(rec(m, p1, 1, 3, "B", 2, 1, true), 0);
	/* p1 may still bring an A below 5: wait */
	assert_string_equal(release(m), "");
	assert_int_equal(rec(m, p1, 1, 4, "A", 3, 1, true), 0);
	trace[0] = '\0';
	bool broke = false;
	ksub_merge_release(m, out, NULL, &broke);
	assert_true(broke);
	/* A5 came first: it goes, then B1; B2 waits for p0 to go past it */
	assert_string_equal(trace, "0:3 0:4");
	assert_int_equal(ksub_merge_watermark(m, p0, 5, "B", lsn(2, 1)), 0);
	assert_string_equal(release(m), "0:5- 1:3 1:4");
	ksub_merge_free(m);
}

static void test_pause(void **state)
{
	(void)state;
	ksub_merge *m = ksub_merge_new(40);
	ksub_merge_part *p0 = part(m, 0), *p1 = part(m, 1), *p2 = part(m, 2);
	assert_int_equal(ksub_merge_watermark(m, p2, 1, "S", lsn(1, 0)), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(rec(m, p0, 0, 10 + i, "S", 10 + (uint64_t)i, 1, true), 0);
	assert_int_equal(rec(m, p1, 1, 10, "S", 30, 1, true), 0);
	assert_string_equal(release(m), "2:1-");
	assert_true(ksub_merge_bytes(m) > 40);
	/* p0 and p1 have records queued; p2, which they wait for, does not */
	assert_true(ksub_merge_pause_wanted(m, p0));
	assert_true(ksub_merge_pause_wanted(m, p1));
	assert_false(ksub_merge_pause_wanted(m, p2));
	/* p0 revoked and assigned again: its records are gone, the queues
	 * are below half the bound, and p1 may be read again */
	ksub_merge_revoke(m, p0);
	assert_true(ksub_merge_bytes(m) <= 20);
	assert_false(ksub_merge_pause_wanted(m, p1));
	ksub_merge_assign(m, p0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(rec(m, p0, 0, 10 + i, "S", 10 + (uint64_t)i, 1, true), 0);
	assert_true(ksub_merge_pause_wanted(m, p0));
	assert_true(ksub_merge_pause_wanted(m, p1));
	/* p2 goes past 15: six records go, but the queues are not down to half */
	assert_int_equal(ksub_merge_watermark(m, p2, 2, "S", lsn(15, 1)), 0);
	assert_string_equal(release(m), "2:2- 0:10 0:11 0:12 0:13 0:14 0:15");
	assert_true(ksub_merge_pause_wanted(m, p0));
	assert_int_equal(ksub_merge_watermark(m, p2, 3, "S", lsn(17, 1)), 0);
	assert_string_equal(release(m), "2:3- 0:16 0:17");
	assert_false(ksub_merge_pause_wanted(m, p0));
	assert_false(ksub_merge_pause_wanted(m, p1));
	ksub_merge_free(m);

	/* Two streams: a partition with records of one queued but none of
	 * the other, which waits for it, is not paused: its next messages
	 * may let that one go. */
	m = ksub_merge_new(40);
	ksub_merge_part *q0 = part(m, 0), *q1 = part(m, 1);
	for (int i = 0; i < 10; i++)
		assert_int_equal(rec(m, q0, 0, i, "A", 10 + (uint64_t)i, 1, true), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(rec(m, q1, 1, i, "B", 10 + (uint64_t)i, 1, true), 0);
	assert_string_equal(release(m), "");
	assert_true(ksub_merge_bytes(m) > 40);
	assert_false(ksub_merge_pause_wanted(m, q0));
	assert_false(ksub_merge_pause_wanted(m, q1));
	ksub_merge_free(m);
}

static void test_watermark_value(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	pos_offset o = lsn(0x16B3748, 3), got;
	char stream[POS_STREAM_MAX + 1];
	assert_int_equal(watermark_encode(&b, "pg/wwi/dbrepl", o), 0);
	assert_int_equal(buf_terminate(&b), 0);
	assert_string_equal(b.data, "{\"watermark\":{\"stream\":\"pg/wwi/dbrepl\",\"offset\":\"0/16B3748:3\"}}");
	assert_int_equal(watermark_decode(b.data, b.len, stream, &got), 0);
	assert_string_equal(stream, "pg/wwi/dbrepl");
	assert_int_equal(pos_offset_cmp(got, o), 0);
	/* a stream name with the two characters JSON escapes */
	buf_reset(&b);
	assert_int_equal(watermark_encode(&b, "kafka/a\"b\\c/1", (pos_offset){.major = 42}), 0);
	assert_int_equal(watermark_decode(b.data, b.len, stream, &got), 0);
	assert_string_equal(stream, "kafka/a\"b\\c/1");
	assert_int_equal(got.major, 42);
	assert_false(got.lsn);
	/* blanks between tokens */
	const char *spaced = " { \"watermark\" : { \"stream\" : \"s/1\" , \"offset\" : \"7\" } } \n";
	assert_int_equal(watermark_decode(spaced, strlen(spaced), stream, &got), 0);
	static const char *const bad[] = {
		"", "{}", "{\"watermark\":{\"stream\":\"s\",\"offset\":\"x\"}}",
		"{\"watermark\":{\"stream\":\"s s\",\"offset\":\"1\"}}",
		"{\"watermark\":{\"offset\":\"1\",\"stream\":\"s\"}}",
		"{\"watermark\":{\"stream\":\"s\",\"offset\":\"1\"}} x",
		"{\"watermark\":{\"stream\":\"s\\n\",\"offset\":\"1\"}}",
		"{\"watermark\":{\"stream\":\"s\",\"offset\":\"1\"}",
		"{\"v\":1,\"op\":\"c\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (watermark_decode(bad[i], strlen(bad[i]), stream, &got) == 0)
			fail_msg("accepted: %s", bad[i]);
	assert_int_equal(watermark_decode(NULL, 0, stream, &got), -1);
	assert_true(watermark_key_is("dbrepl-watermark", 16));
	assert_false(watermark_key_is("dbrepl-watermark", 15));
	assert_false(watermark_key_is("{\"id\":1}", 8));
	assert_false(watermark_key_is(NULL, 0));
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_watermarks),
		cmocka_unit_test(test_ties_idle_revoke),
		cmocka_unit_test(test_next_change),
		cmocka_unit_test(test_partition_order),
		cmocka_unit_test(test_copies),
		cmocka_unit_test(test_debezium),
		cmocka_unit_test(test_streams),
		cmocka_unit_test(test_opposite_orders),
		cmocka_unit_test(test_pause),
		cmocka_unit_test(test_watermark_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
