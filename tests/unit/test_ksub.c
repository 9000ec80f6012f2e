/* Unit tests for ksub's two library modules:
 *   lib/ksub_offsets: which offset ksub may commit for each partition, after
 *     any sequence of written / skipped (tombstone, --skip-invalid) / acked
 *     messages, out-of-order and foreign acks, revocation and reassignment,
 *     with and without --ack;
 *   lib/ksub_splice: replacing the top-level "pos" of a JSON record in
 *     place. Its output must decode to exactly what record_decode + new pos
 *     + record_encode gives, keep every other byte as it came, and refuse
 *     (so that ksub falls back to that re-encoding) where the header says. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ksub_offsets.h"
#include "ksub_splice.h"
#include "record.h"

/* ======================================================================
 * ksub_offsets
 * ====================================================================== */

/* A partition as ksub sees it right after the group assigned it. */
static ksub_part *assigned(ksub_parts *t, const char *topic, int32_t partition)
{
	ksub_part *p = ksub_parts_get(t, topic, partition);
	assert_non_null(p);
	ksub_part_assign(p);
	return p;
}

static void written(ksub_parts *t, ksub_part *p, int64_t from, int64_t to)
{
	for (int64_t o = from; o <= to; o++)
		ksub_part_written(t, p, o);
}

static void skipped(ksub_parts *t, ksub_part *p, int64_t from, int64_t to)
{
	for (int64_t o = from; o <= to; o++)
		ksub_part_skipped(t, p, o);
}

/* What ksub's commit() does with a partition whose commit is due. */
static int64_t commit(ksub_part *p)
{
	if (!ksub_part_commit_due(p))
		return -1;
	p->committed = p->want;
	return p->want;
}

static void test_table(void **state)
{
	(void)state;
	ksub_parts t;
	ksub_parts_init(&t, true);
	assert_null(ksub_parts_find_stream(&t, "kafka/orders/0"));

	ksub_part *a = ksub_parts_get(&t, "orders", 0);
	assert_non_null(a);
	assert_string_equal(a->topic, "orders");
	assert_int_equal(a->partition, 0);
	assert_string_equal(a->stream, "kafka/orders/0");
	/* first sight is not an assignment */
	assert_false(a->assigned);
	assert_int_equal(a->next, -1);
	assert_int_equal(a->written, -1);
	assert_int_equal(a->acked, -1);
	assert_int_equal(a->want, -1);
	assert_int_equal(a->committed, -1);
	assert_false(ksub_part_commit_due(a));
	assert_ptr_equal(ksub_parts_get(&t, "orders", 0), a);

	/* names that share prefixes, partitions that share digits */
	ksub_part *b = ksub_parts_get(&t, "orders", 1);
	ksub_part *c = ksub_parts_get(&t, "orders", 11);
	ksub_part *d = ksub_parts_get(&t, "order", 1);
	ksub_part *e = ksub_parts_get(&t, "orders1", 1);
	ksub_part *f = ksub_parts_get(&t, "wwi.sales.orders_v2-x", 99999);
	assert_non_null(b);
	assert_non_null(c);
	assert_non_null(d);
	assert_non_null(e);
	assert_non_null(f);
	assert_true(a != b && b != c && c != d && d != e && b != d && b != e);
	assert_string_equal(f->stream, "kafka/wwi.sales.orders_v2-x/99999");
	assert_int_equal(t.n, 6);

	assert_ptr_equal(ksub_parts_find_stream(&t, "kafka/orders/0"), a);
	assert_ptr_equal(ksub_parts_find_stream(&t, "kafka/orders/1"), b);
	assert_ptr_equal(ksub_parts_find_stream(&t, "kafka/orders/11"), c);
	assert_ptr_equal(ksub_parts_find_stream(&t, "kafka/order/1"), d);
	assert_ptr_equal(ksub_parts_find_stream(&t, "kafka/orders1/1"), e);
	assert_ptr_equal(ksub_parts_find_stream(&t, "kafka/wwi.sales.orders_v2-x/99999"), f);

	/* never seen, or not a partition's stream at all */
	const char *none[] = {"kafka/orders/2", "kafka/orders/10", "kafka/orde/1", "kafka/orders/",
			      "kafka//0", "kafka/orders", "kafka/", "kafka", "", "pg/orders/0", "Kafka/orders/0",
			      "kafka/orders/-1", "kafka/orders/1x", "kafka/orders/ 1", "kafka/orders/+1",
			      "kafka/orders/99999999999999999999", "snap/orders/0"};
	for (size_t i = 0; i < sizeof none / sizeof *none; i++) {
		if (ksub_parts_find_stream(&t, none[i]))
			fail_msg("found a partition for \"%s\"", none[i]);
	}
	/* looking up does not create */
	assert_int_equal(t.n, 6);

	/* a stream name longer than POS_STREAM_MAX is refused */
	char longname[POS_STREAM_MAX + 2];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	errno = 0;
	assert_null(ksub_parts_get(&t, longname, 0));
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(t.n, 6);
	/* the longest that fits: "kafka/" + topic + "/0" == POS_STREAM_MAX */
	longname[POS_STREAM_MAX - 8] = '\0';
	ksub_part *g = ksub_parts_get(&t, longname, 0);
	assert_non_null(g);
	assert_int_equal(strlen(g->stream), POS_STREAM_MAX);
	assert_ptr_equal(ksub_parts_find_stream(&t, g->stream), g);

	ksub_parts_free(&t);
	assert_int_equal(t.n, 0);
	assert_null(t.all);
}

/* Enough partitions to grow the hash table several times; every entry
 * stays where it was (ksub keeps pointers) and is found again. */
static void test_table_many(void **state)
{
	(void)state;
	ksub_parts t;
	ksub_parts_init(&t, false);
	enum { NT = 37, NP = 41 };
	static ksub_part *seen[NT][NP];
	char topic[32], stream[64];
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < NT; i++)
			for (int k = 0; k < NP; k++) {
				snprintf(topic, sizeof topic, "t%d", i);
				ksub_part *p = ksub_parts_get(&t, topic, k);
				assert_non_null(p);
				if (round == 0)
					seen[i][k] = p;
				else
					assert_ptr_equal(p, seen[i][k]);
			}
	assert_int_equal(t.n, NT * NP);
	for (int i = 0; i < NT; i++)
		for (int k = 0; k < NP; k++) {
			snprintf(stream, sizeof stream, "kafka/t%d/%d", i, k);
			ksub_part *p = ksub_parts_find_stream(&t, stream);
			assert_ptr_equal(p, seen[i][k]);
			assert_string_equal(p->stream, stream);
			assert_ptr_equal(t.all[(size_t)i * NP + (size_t)k], p);
		}
	assert_null(ksub_parts_find_stream(&t, "kafka/t37/0"));
	assert_null(ksub_parts_find_stream(&t, "kafka/t0/41"));
	ksub_parts_free(&t);
}

static void test_acks_in_order(void **state)
{
	(void)state;
	ksub_parts t;
	ksub_parts_init(&t, true);
	ksub_part *p = assigned(&t, "orders", 0);
	assert_true(ksub_part_all_acked(p));
	/* a group restarting at offset 100 */
	written(&t, p, 100, 104);
	assert_int_equal(p->next, 105);
	assert_int_equal(p->written, 104);
	assert_false(ksub_part_all_acked(p));
	assert_int_equal(p->want, -1);
	assert_false(ksub_part_commit_due(p));

	ksub_part_acked(p, 101);
	assert_int_equal(p->want, 102);
	assert_int_equal(commit(p), 102);
	assert_false(ksub_part_commit_due(p));
	ksub_part_acked(p, 101); /* the same ack again: nothing new */
	assert_false(ksub_part_commit_due(p));
	ksub_part_acked(p, 104);
	assert_int_equal(p->want, 105);
	assert_true(ksub_part_all_acked(p));
	assert_int_equal(commit(p), 105);

	written(&t, p, 105, 105);
	assert_false(ksub_part_all_acked(p));
	assert_int_equal(p->want, 105);
	assert_false(ksub_part_commit_due(p));
	ksub_parts_flushed(&t); /* with acks a flush commits nothing */
	assert_int_equal(p->want, 105);
	ksub_parts_free(&t);
}

/* Tombstones and --skip-invalid messages are never acked: they become
 * committable as soon as every record written before them is acked. */
static void test_skipped_with_acks(void **state)
{
	(void)state;
	ksub_parts t;
	ksub_parts_init(&t, true);
	ksub_part *p = assigned(&t, "orders", 0);

	/* skipped before anything was written: committable at once */
	skipped(&t, p, 0, 1);
	assert_int_equal(p->want, 2);
	assert_int_equal(commit(p), 2);

	written(&t, p, 2, 2);
	skipped(&t, p, 3, 4);
	assert_int_equal(p->want, 2);
	ksub_part_acked(p, 2);
	assert_int_equal(p->want, 5);
	assert_int_equal(commit(p), 5);

	/* everything is acked: a new skip is committable when it comes */
	skipped(&t, p, 5, 5);
	assert_int_equal(p->want, 6);
	/* compacted topics have gaps between offsets */
	skipped(&t, p, 9, 9);
	assert_int_equal(p->want, 10);

	written(&t, p, 10, 11);
	skipped(&t, p, 12, 12);
	ksub_part_acked(p, 10);
	assert_int_equal(p->want, 11);
	ksub_part_acked(p, 11);
	assert_int_equal(p->want, 13);
	ksub_parts_free(&t);
}

/* Skipped messages between written records: committable once the record
 * before them is acked, even while records after them are not. */
static void test_skipped_between_records(void **state)
{
	(void)state;
	ksub_parts t;
	ksub_parts_init(&t, true);
	ksub_part *p = assigned(&t, "orders", 3);
	written(&t, p, 10, 10);
	skipped(&t, p, 11, 12);
	written(&t, p, 13, 14);
	skipped(&t, p, 15, 15);
	written(&t, p, 16, 16);
	skipped(&t, p, 17, 17);
	assert_int_equal(p->want, -1);

	ksub_part_acked(p, 10);
	assert_int_equal(p->want, 13);
	ksub_part_acked(p, 13);
	assert_int_equal(p->want, 14);
	ksub_part_acked(p, 14);
	assert_int_equal(p->want, 16);
	ksub_part_acked(p, 16);
	assert_int_equal(p->want, 18);

	/* one ack over several runs of skipped messages at once */
	written(&t, p, 18, 18);
	skipped(&t, p, 19, 19);
	written(&t, p, 20, 20);
	skipped(&t, p, 21, 22);
	written(&t, p, 23, 23);
	skipped(&t, p, 24, 24);
	written(&t, p, 25, 25);
	ksub_part_acked(p, 23);
	assert_int_equal(p->want, 25);
	ksub_part_acked(p, 25);
	assert_int_equal(p->want, 26);
	ksub_parts_free(&t);
}

/* More runs of skipped messages than ksub remembers: still never beyond
 * what is safe, and everything once all is acked. */
static void test_many_skip_runs(void **state)
{
	(void)state;
	ksub_parts t;
	ksub_parts_init(&t, true);
	ksub_part *p = assigned(&t, "orders", 0);
	/* even offsets written, odd ones tombstones */
	for (int64_t o = 0; o < 2000; o += 2) {
		written(&t, p, o, o);
		skipped(&t, p, o + 1, o + 1);
	}
	for (int64_t o = 0; o < 2000; o += 2) {
		ksub_part_acked(p, o);
		/* at least the ack, never past the next unacked record */
		assert_true(p->want >= o + 1);
		assert_true(p->want <= o + 2);
		if (o < 2 * 8) /* the first runs are remembered */
			assert_int_equal(p->want, o + 2);
	}
	assert_int_equal(p->want, 2000);
	ksub_parts_free(&t);
}

static void test_acks_out_of_order(void **state)
{
	(void)state;
	ksub_parts t;
	ksub_parts_init(&t, true);
	ksub_part *p = assigned(&t, "orders", 0);
	written(&t, p, 0, 9);
	ksub_part_acked(p, 7);
	assert_int_equal(p->want, 8);
	assert_int_equal(commit(p), 8);
	ksub_part_acked(p, 3); /* late: never backwards */
	assert_int_equal(p->want, 8);
	assert_int_equal(p->acked, 7);
	assert_false(ksub_part_commit_due(p));
	assert_false(ksub_part_all_acked(p));
	ksub_part_acked(p, 9);
	assert_int_equal(p->want, 10);
	assert_true(ksub_part_all_acked(p));
	ksub_part_acked(p, 8);
	assert_int_equal(p->want, 10);
	assert_true(ksub_part_all_acked(p));

	/* late acks around skipped messages */
	written(&t, p, 10, 10);
	skipped(&t, p, 11, 11);
	written(&t, p, 12, 12);
	skipped(&t, p, 13, 13);
	written(&t, p, 14, 14);
	ksub_part_acked(p, 12);
	assert_int_equal(p->want, 14);
	ksub_part_acked(p, 10);
	assert_int_equal(p->want, 14);
	ksub_part_acked(p, 14);
	assert_int_equal(p->want, 15);
	ksub_parts_free(&t);
}

/* An ack is never believed beyond what this assignment consumed. */
static void test_acks_beyond_consumed(void **state)
{
	(void)state;
	ksub_parts t;
	ksub_parts_init(&t, true);
	ksub_part *p = assigned(&t, "orders", 0);
	/* nothing consumed yet: ignored altogether */
	ksub_part_acked(p, 50);
	assert_int_equal(p->want, -1);
	assert_false(ksub_part_commit_due(p));
	written(&t, p, 40, 41);
	assert_int_equal(p->want, -1);
	assert_false(ksub_part_all_acked(p));

	ksub_part_acked(p, 1000);
	assert_int_equal(p->want, 42);
	ksub_part_acked(p, -1);
	ksub_part_acked(p, INT64_MIN);
	assert_int_equal(p->want, 42);

	/* the largest offset an ack line may carry */
	ksub_part *q = assigned(&t, "orders", 1);
	written(&t, q, 7, 7);
	ksub_part_acked(q, INT64_MAX);
	assert_int_equal(q->want, 8);
	ksub_part_acked(q, INT64_MAX - 1);
	assert_int_equal(q->want, 8);
	ksub_parts_free(&t);
}

/* Acks name partitions; one partition's ack moves nothing else. */
static void test_partitions_apart(void **state)
{
	(void)state;
	ksub_parts t;
	ksub_parts_init(&t, true);
	ksub_part *a0 = assigned(&t, "orders", 0);
	ksub_part *a1 = assigned(&t, "orders", 1);
	ksub_part *b0 = assigned(&t, "lines", 0);
	/* interleaved, as messages come from several partitions */
	for (int64_t o = 0; o < 10; o++) {
		ksub_part_written(&t, a0, o);
		if (o % 3 == 2)
			ksub_part_skipped(&t, a1, 100 + o);
		else
			ksub_part_written(&t, a1, 100 + o);
		ksub_part_written(&t, b0, 5000 + o);
	}
	assert_int_equal(a0->want, -1);
	assert_int_equal(a1->want, -1);
	assert_int_equal(b0->want, -1);

	ksub_part_acked(ksub_parts_find_stream(&t, "kafka/orders/1"), 104);
	assert_int_equal(a0->want, -1);
	assert_int_equal(b0->want, -1);
	assert_int_equal(a1->want, 106); /* 105 is a tombstone */

	/* an ack for a partition never seen finds nothing */
	assert_null(ksub_parts_find_stream(&t, "kafka/orders/2"));
	assert_null(ksub_parts_find_stream(&t, "kafka/order/0"));
	/* seen but never assigned here (e.g. a stray message): not believed */
	ksub_part *x = ksub_parts_get(&t, "orders", 7);
	ksub_part_acked(x, 3);
	assert_int_equal(x->want, -1);
	assert_false(ksub_part_commit_due(x));

	ksub_part_acked(ksub_parts_find_stream(&t, "kafka/lines/0"), 5009);
	assert_int_equal(b0->want, 5010);
	assert_int_equal(a0->want, -1);
	ksub_part_acked(ksub_parts_find_stream(&t, "kafka/orders/0"), 4);
	assert_int_equal(a0->want, 5);
	ksub_part_acked(ksub_parts_find_stream(&t, "kafka/orders/1"), 109);
	assert_int_equal(a1->want, 110);
	assert_int_equal(a0->want, 5);
	assert_int_equal(b0->want, 5010);

	assert_int_equal(commit(a0), 5);
	assert_int_equal(commit(a1), 110);
	assert_int_equal(commit(b0), 5010);
	assert_int_equal(commit(x), -1);
	ksub_parts_free(&t);
}

static void test_revoke_and_reassign(void **state)
{
	(void)state;
	ksub_parts t;
	ksub_parts_init(&t, true);
	ksub_part *p = assigned(&t, "orders", 0);
	written(&t, p, 0, 4);
	skipped(&t, p, 5, 5);
	written(&t, p, 6, 6);
	p->eof = true;
	ksub_part_acked(p, 2);
	assert_int_equal(commit(p), 3);
	ksub_part_acked(p, 3);
	assert_int_equal(p->want, 4);
	assert_true(ksub_part_commit_due(p));

	/* (ksub commits what is due before it lets a partition go) */
	ksub_part_revoke(p);
	assert_false(ksub_part_commit_due(p));
	assert_false(p->assigned);
	assert_false(p->eof);
	/* the acks that come after the partition went to another member */
	ksub_part_acked(p, 6);
	assert_int_equal(p->want, 4);
	assert_false(ksub_part_commit_due(p));
	ksub_part_skipped(&t, p, 7);
	assert_false(ksub_part_commit_due(p));

	/* back again, resuming at the committed offset */
	ksub_part_assign(p);
	assert_true(p->assigned);
	assert_int_equal(p->next, -1);
	assert_int_equal(p->written, -1);
	assert_int_equal(p->acked, -1);
	assert_int_equal(p->want, -1);
	assert_int_equal(p->committed, -1);
	assert_false(ksub_part_commit_due(p));
	/* a stale ack before anything is read again is ignored */
	ksub_part_acked(p, 6);
	assert_int_equal(p->want, -1);
	written(&t, p, 3, 8);
	assert_int_equal(p->want, -1);
	assert_false(ksub_part_all_acked(p));
	/* the old run of skipped messages (5) is forgotten: this time 5 is a
	 * record */
	ksub_part_acked(p, 3);
	assert_int_equal(p->want, 4);
	ksub_part_acked(p, 4);
	assert_int_equal(p->want, 5);
	assert_int_equal(commit(p), 5);
	ksub_part_acked(p, 8);
	assert_int_equal(p->want, 9);
	ksub_parts_free(&t);
}

/* Without --ack: what was consumed up to the last flush of stdout. */
static void test_flush_mode(void **state)
{
	(void)state;
	ksub_parts t;
	ksub_parts_init(&t, false);
	ksub_part *a = assigned(&t, "orders", 0);
	ksub_part *b = assigned(&t, "orders", 1);
	ksub_part *c = assigned(&t, "orders", 2);
	ksub_parts_flushed(&t);
	assert_int_equal(a->want, -1);
	assert_false(ksub_part_commit_due(a));

	written(&t, a, 0, 2);
	skipped(&t, a, 3, 3);
	skipped(&t, b, 0, 0); /* skipped messages too wait for the flush */
	assert_int_equal(a->want, -1);
	assert_int_equal(b->want, -1);
	ksub_parts_flushed(&t);
	assert_int_equal(a->want, 4);
	assert_int_equal(b->want, 1);
	assert_int_equal(c->want, -1);
	assert_int_equal(commit(a), 4);
	assert_int_equal(commit(b), 1);
	assert_int_equal(commit(c), -1);

	written(&t, a, 4, 4);
	skipped(&t, a, 5, 5);
	assert_int_equal(a->want, 4);
	ksub_parts_flushed(&t);
	assert_int_equal(a->want, 6);
	assert_false(ksub_part_commit_due(b));

	/* a revoked partition's consumption is no longer this member's */
	written(&t, b, 1, 1);
	ksub_part_revoke(b);
	ksub_parts_flushed(&t);
	assert_int_equal(b->want, 1);
	assert_false(ksub_part_commit_due(b));
	ksub_parts_free(&t);
}

static void test_eof_flag(void **state)
{
	(void)state;
	ksub_parts t;
	ksub_parts_init(&t, true);
	ksub_part *p = assigned(&t, "orders", 0);
	p->eof = true;
	ksub_part_written(&t, p, 0);
	assert_false(p->eof);
	p->eof = true;
	ksub_part_skipped(&t, p, 1);
	assert_false(p->eof);
	p->eof = true;
	ksub_part_assign(p);
	assert_false(p->eof);
	ksub_parts_free(&t);
}

/* ======================================================================
 * ksub_splice
 * ====================================================================== */

#define NEW_STREAM "kafka/wwi.sales.orders/7"
#define NEW_OFFSET "123456789012"
static const char new_pos[] = "{\"stream\":\"" NEW_STREAM "\",\"offset\":\"" NEW_OFFSET "\"}";

/* decode(raw), pos := the new one, encode: what ksub would write without
 * the splice. */
static void reencode(const char *raw, size_t len, buf *out)
{
	record r;
	char err[256];
	record_init(&r);
	if (record_decode(&r, raw, len, err, sizeof err) < 0)
		fail_msg("does not decode (%s): %.*s", err, (int)len, raw);
	strcpy(r.stream, NEW_STREAM);
	assert_int_equal(pos_offset_parse(NEW_OFFSET, &r.offset), 0);
	assert_int_equal(record_encode(&r, RECORD_FORMAT_JSON, out), 0);
	record_free(&r);
}

/* Checks one input that the splice must accept: its output is exactly
 * `expect` (the input with the new pos, as given by the caller) followed by
 * '\n', and decodes to the same record as the re-encoding. */
static void splice_ok(const char *raw, size_t len, const char *expect)
{
	buf out, canon, again;
	buf_init(&out, 0);
	buf_init(&canon, 0);
	buf_init(&again, 0);
	assert_int_equal(buf_puts(&out, "previous\n"), 0);
	if (ksub_splice_pos(raw, len, new_pos, strlen(new_pos), &out) < 0)
		fail_msg("refused: %.*s", (int)len, raw);
	assert_true(out.len >= 9);
	assert_memory_equal(out.data, "previous\n", 9);
	size_t elen = strlen(expect);
	if (out.len - 9 != elen + 1 || memcmp(out.data + 9, expect, elen) != 0)
		fail_msg("spliced\n  %.*s\nexpected\n  %s", (int)(out.len - 9), out.data + 9, expect);
	assert_int_equal(out.data[out.len - 1], '\n');

	reencode(raw, len, &canon);
	reencode(out.data + 9, out.len - 9, &again);
	/* decoding the splice gives the record with the new pos */
	record r;
	char err[256];
	record_init(&r);
	assert_int_equal(record_decode(&r, out.data + 9, out.len - 9, err, sizeof err), 0);
	assert_string_equal(r.stream, NEW_STREAM);
	assert_int_equal(r.offset.major, 123456789012ull);
	assert_int_equal(r.offset.minor, 0);
	assert_false(r.offset.lsn);
	record_free(&r);
	assert_int_equal(again.len, canon.len);
	assert_memory_equal(again.data, canon.data, canon.len);
	buf_free(&out);
	buf_free(&canon);
	buf_free(&again);
}

/* Checks an input that the splice must refuse: -1, out unchanged, and the
 * fallback (re-encoding) is what ksub writes. */
static void splice_refused(const char *raw, size_t len, bool decodes)
{
	buf out;
	buf_init(&out, 0);
	assert_int_equal(buf_puts(&out, "previous\n"), 0);
	if (ksub_splice_pos(raw, len, new_pos, strlen(new_pos), &out) == 0)
		fail_msg("not refused: %.*s", (int)len, raw);
	assert_int_equal(out.len, 9);
	assert_memory_equal(out.data, "previous\n", 9);
	if (decodes) {
		reencode(raw, len, &out);
		record r;
		char err[256];
		record_init(&r);
		assert_int_equal(record_decode(&r, out.data + 9, out.len - 9, err, sizeof err), 0);
		assert_string_equal(r.stream, NEW_STREAM);
		assert_int_equal(r.offset.major, 123456789012ull);
		record_free(&r);
	}
	buf_free(&out);
}

/* A record, member by member, in record_encode's order and layout. Column
 * names, values and strings hold braces, quotes, backslashes and "pos". */
static const char *const canon_members[][2] = {
	{"v", "1"},
	{"op", "\"u\""},
	{"db", "\"wwi\""},
	{"schema", "\"sales\""},
	{"table", "\"pos\""},
	{"cols", "[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"pos\",\"type\":\"text\"},"
		 "{\"name\":\"note\",\"type\":\"text\"},{\"name\":\"ok\",\"type\":\"boolean\"},"
		 "{\"name\":\"b\",\"type\":\"bytea\"}]"},
	{"key", "[\"id\"]"},
	{"before", "{\"id\":-7}"},
	{"after", "{\"id\":-7,\"pos\":\"}{\\\"pos\\\":[\",\"note\":\"a\\\\\",\"ok\":true,\"b\":\"\\\\x00ff\"}"},
	{"src", "{\"lsn\":\"16/B374D848\",\"xid\":750,\"ts\":\"2026-11-25T13:58:45.123456Z\",\"seq\":3}"},
	{"pos", "{\"stream\":\"pg/wwi/dbrepl\",\"offset\":\"16/B374D848:3\"}"},
};
enum { NMEMBERS = sizeof canon_members / sizeof *canon_members, POS_MEMBER = NMEMBERS - 1 };

/* Members a later version might add: the splice keeps them, byte for byte. */
static const char *const unknown_members[] = {
	"\"x\":{\"pos\":{\"stream\":\"no\",\"offset\":\"1\"},\"a\":[1,2.5e-3,true,false,null,\"}\",{}]}",
	"\"note\":\"\\\"pos\\\":{\\\"stream\\\":\\\"x\\\"}, }]\"",
	"\"n\":-0.5E+2",
	"\"t\":true",
	"\"z\":null",
	"\"arr\":[[],{},[[[\"{\",\"\\\\\"]]],\"\\\"\"]",
	"\"posx\":1",
	"\"po\":\"pos\"",
	"\"Pos\":{\"stream\":\"kafka/x/0\",\"offset\":\"0\"}",
	"\"\xc3\xbc\":\"\xc3\xa9 \\u00e9 \\ud834\\udd1e\"",
	"\"\":0",
	"\"s\":\"\\\\\\\\\\\"\\/\\b\\f\\n\\r\\t\"",
	"\"sp\" : [ 1 , { \"pos\" : 2 } , \"a b\" ]",
};
enum { NUNKNOWN = sizeof unknown_members / sizeof *unknown_members };

static void test_splice_canonical(void **state)
{
	(void)state;
	/* the canonical text really is record_encode's */
	buf raw, enc;
	buf_init(&raw, 0);
	buf_init(&enc, 0);
	buf_putc(&raw, '{');
	for (size_t i = 0; i < NMEMBERS; i++)
		buf_printf(&raw, "%s\"%s\":%s", i ? "," : "", canon_members[i][0], canon_members[i][1]);
	buf_putc(&raw, '}');
	{
		record r;
		char err[256];
		record_init(&r);
		if (record_decode(&r, raw.data, raw.len, err, sizeof err) < 0)
			fail_msg("%s", err);
		assert_int_equal(record_encode(&r, RECORD_FORMAT_JSON, &enc), 0);
		record_free(&r);
	}
	assert_int_equal(enc.len, raw.len + 1);
	assert_memory_equal(enc.data, raw.data, raw.len);

	/* spliced == re-encoded, byte for byte */
	buf want;
	buf_init(&want, 0);
	reencode(raw.data, raw.len, &want);
	buf out;
	buf_init(&out, 0);
	assert_int_equal(ksub_splice_pos(raw.data, raw.len, new_pos, strlen(new_pos), &out), 0);
	assert_int_equal(out.len, want.len);
	assert_memory_equal(out.data, want.data, want.len);
	/* with its '\n', as ksub gets it from a kpub that published raw lines
	 * of pgcdc-read, or from record_encode */
	buf_reset(&out);
	assert_int_equal(ksub_splice_pos(enc.data, enc.len, new_pos, strlen(new_pos), &out), 0);
	assert_int_equal(out.len, want.len);
	assert_memory_equal(out.data, want.data, want.len);
	/* a splice of a splice */
	buf_reset(&raw);
	assert_int_equal(buf_append(&raw, out.data, out.len), 0);
	buf_reset(&out);
	assert_int_equal(ksub_splice_pos(raw.data, raw.len, new_pos, strlen(new_pos), &out), 0);
	assert_int_equal(out.len, want.len);
	assert_memory_equal(out.data, want.data, want.len);

	buf_free(&raw);
	buf_free(&enc);
	buf_free(&want);
	buf_free(&out);
}

/* Records as the producers encode them (various ops and shapes): the splice
 * equals the re-encoding byte for byte. */
static void test_splice_encoded_records(void **state)
{
	(void)state;
	const char ops[] = {RECORD_OP_READ, RECORD_OP_INSERT, RECORD_OP_UPDATE, RECORD_OP_DELETE};
	for (size_t k = 0; k < sizeof ops; k++) {
		record r;
		record_init(&r);
		r.op = ops[k];
		bool before = ops[k] == RECORD_OP_UPDATE || ops[k] == RECORD_OP_DELETE;
		bool after = ops[k] != RECORD_OP_DELETE;
		assert_int_equal(record_set_table(&r, "d\"b", "s\\c", "pos"), 0);
		assert_int_equal(record_set_shape(&r, 3, before, after), 0);
		assert_int_equal(record_set_column(&r, 0, "pos", "bigint"), 0);
		assert_int_equal(record_set_column(&r, 1, "{\"pos\":", "jsonb"), 0);
		assert_int_equal(record_set_column(&r, 2, "raw", "bytea"), 0);
		uint16_t key = 0;
		assert_int_equal(record_set_keys(&r, &key, 1), 0);
		const char *js = "{\"pos\": {\"stream\": \"}\\\"\"}, \"x\": [1, 2]}";
		if (before)
			assert_int_equal(record_set_value(&r, r.before, 0, VALUE_TEXT, "42", 2), 0);
		if (after) {
			assert_int_equal(record_set_value(&r, r.after, 0, VALUE_TEXT, "42", 2), 0);
			assert_int_equal(record_set_value(&r, r.after, 1, VALUE_TEXT, js, strlen(js)), 0);
			assert_int_equal(record_set_value(&r, r.after, 2, VALUE_TEXT, "\\x7b22706f73223a7d", 18), 0);
		}
		r.lsn = 0x16B3748;
		r.xid = 9;
		r.seq = k + 1;
		strcpy(r.stream, "pg/wwi/dbrepl");
		assert_int_equal(pos_offset_parse("0/16B3748:1", &r.offset), 0);

		buf enc, want, out;
		buf_init(&enc, 0);
		buf_init(&want, 0);
		buf_init(&out, 0);
		assert_int_equal(record_encode(&r, RECORD_FORMAT_JSON, &enc), 0);
		strcpy(r.stream, NEW_STREAM);
		assert_int_equal(pos_offset_parse(NEW_OFFSET, &r.offset), 0);
		assert_int_equal(record_encode(&r, RECORD_FORMAT_JSON, &want), 0);
		assert_int_equal(ksub_splice_pos(enc.data, enc.len, new_pos, strlen(new_pos), &out), 0);
		assert_int_equal(out.len, want.len);
		assert_memory_equal(out.data, want.data, want.len);
		buf_reset(&out);
		reencode(enc.data, enc.len, &out);
		assert_int_equal(out.len, want.len);
		assert_memory_equal(out.data, want.data, want.len);

		/* msgpack is never spliced: ksub encodes the decoded record */
		buf_reset(&enc);
		assert_int_equal(record_encode(&r, RECORD_FORMAT_MSGPACK, &enc), 0);
		splice_refused(enc.data, enc.len, true);
		buf_free(&enc);
		buf_free(&want);
		buf_free(&out);
		record_free(&r);
	}
}

/* Hand-written layouts that must be spliced. */
static void test_splice_layouts(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		/* pos first */
		{"{\"pos\":{\"stream\":\"pg/d/s\",\"offset\":\"0/1:1\"},\"v\":1,\"op\":\"c\",\"db\":\"d\",\"schema\":\"s\","
		 "\"table\":\"t\",\"cols\":[{\"name\":\"k\",\"type\":\"integer\"}],\"key\":[\"k\"],\"after\":{\"k\":1},"
		 "\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00.000000Z\",\"seq\":1}}",
		 "{\"pos\":@,\"v\":1,\"op\":\"c\",\"db\":\"d\",\"schema\":\"s\","
		 "\"table\":\"t\",\"cols\":[{\"name\":\"k\",\"type\":\"integer\"}],\"key\":[\"k\"],\"after\":{\"k\":1},"
		 "\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00.000000Z\",\"seq\":1}}"},
		/* pos in the middle, blanks everywhere a line allows them, CRLF */
		{"  \t{ \"v\" : 1 ,\t\"op\":\"c\", \"db\":\"d\",\"schema\":\"s\",\"table\":\"t\" , \"pos\" :\t{ \"stream\" : "
		 "\"pg/d/s\" , \"offset\" : \"0/1:1\" }\t, \"cols\" : [ { \"name\" : \"k\" , \"type\" : \"integer\" } ] ,"
		 "\"key\":[\"k\"],\"after\":{\"k\":1},\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\","
		 "\"seq\":1} }  \t\r\n",
		 "  \t{ \"v\" : 1 ,\t\"op\":\"c\", \"db\":\"d\",\"schema\":\"s\",\"table\":\"t\" , \"pos\" :\t@\t, \"cols\" : "
		 "[ { \"name\" : \"k\" , \"type\" : \"integer\" } ] ,"
		 "\"key\":[\"k\"],\"after\":{\"k\":1},\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\","
		 "\"seq\":1} }"},
		/* an unknown member after pos, ending in a scalar right at the brace */
		{"{\"v\":1,\"op\":\"t\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[],\"key\":[],"
		 "\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},"
		 "\"pos\":{\"stream\":\"pg/d/s\",\"offset\":\"0/1:1\"},\"later\":12.5e3}\n",
		 "{\"v\":1,\"op\":\"t\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[],\"key\":[],"
		 "\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},"
		 "\"pos\":@,\"later\":12.5e3}"},
		/* "pos" and braces inside strings before the real one; an escaped
		 * quote right before a closing one; a string ending in backslashes */
		{"{\"v\":1,\"op\":\"c\",\"db\":\"\\\"pos\\\":{\",\"schema\":\"}\\\\\",\"table\":\"t\\\\\\\"\","
		 "\"cols\":[{\"name\":\"pos\",\"type\":\"text\"}],\"key\":[\"pos\"],\"after\":{\"pos\":\"\\\\\\\\\"},"
		 "\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},\"pos\":"
		 "{\"offset\":\"0/1:1\",\"stream\":\"pg/d/s\"}}",
		 "{\"v\":1,\"op\":\"c\",\"db\":\"\\\"pos\\\":{\",\"schema\":\"}\\\\\",\"table\":\"t\\\\\\\"\","
		 "\"cols\":[{\"name\":\"pos\",\"type\":\"text\"}],\"key\":[\"pos\"],\"after\":{\"pos\":\"\\\\\\\\\"},"
		 "\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},\"pos\":@}"},
		/* trailing line breaks and blanks after the record */
		{"{\"v\":1,\"op\":\"t\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[],\"key\":[],"
		 "\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},"
		 "\"pos\":{\"stream\":\"pg/d/s\",\"offset\":\"0/1:1\"}}\n\r\n \t\n",
		 "{\"v\":1,\"op\":\"t\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[],\"key\":[],"
		 "\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},\"pos\":@}"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		/* the expected text: '@' stands for the new pos */
		buf want;
		buf_init(&want, 0);
		for (const char *s = cases[i][1]; *s; s++)
			if (*s == '@')
				buf_puts(&want, new_pos);
			else
				buf_putc(&want, *s);
		buf_terminate(&want);
		splice_ok(cases[i][0], strlen(cases[i][0]), want.data);
		buf_free(&want);
	}
}

/* Where the header says the splice refuses, and the fallback works. */
static void test_splice_refuses(void **state)
{
	(void)state;
	static const char head[] = "{\"v\":1,\"op\":\"t\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[],"
				   "\"key\":[],\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1}";
	static const char pos[] = "{\"stream\":\"pg/d/s\",\"offset\":\"0/1:1\"}";
	static const struct {
		const char *fmt; /* %s: head, then pos */
		bool decodes;
	} cases[] = {
		/* "pos" written with an escape: the decoder sees pos, the splice
		 * must not guess */
		{"%s,\"p\\u006fs\":%s}", true},
		{"%s,\"\\u0070os\":%s}", true},
		/* any top-level key with an escape */
		{"%s,\"pos\":%s,\"x\\ty\":1}", true},
		{"%s,\"\\\\\":1,\"pos\":%s}", true},
		/* line breaks outside strings */
		{"%s,\n\"pos\":%s}", true},
		{"%s,\"pos\":\n%s}", true},
		{"%s,\"pos\":%s\n}", true},
		{"%s,\"pos\":%s\r\n}", true},
		{"%s\r,\"pos\":%s}", true},
		{"\n%s,\"pos\":%s}", true},
		{"\r\n%s,\"pos\":%s}", true},
		{"%s,\"x\":[1,\n2],\"pos\":%s}", true},
		{"%s,\"x\":{\"a\":\r1},\"pos\":%s}", true},
		/* not what a decoder accepts either */
		{"%s,\"pos\":%s}x", false},
		{"%s,\"pos\":%s}{}", false},
		{"%s,\"pos\":%s}}", false},
		{"%s,\"pos\":%s,\"pos\":%s}", false},
		{"%s,\"pos\":%s", false},
		{"%s,\"pos\":%s,}", false},
		{"%s,\"pos\":%s\"}", false},
		{"%s,\"pos\"%s}", false},
		{"%s,\"pos\":}%s", false},
		{"%s}%s", false}, /* no pos */
		{"[%s,\"pos\":%s}]", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char raw[1024];
		int n = snprintf(raw, sizeof raw, cases[i].fmt, head, pos, pos);
		assert_true(n > 0 && (size_t)n < sizeof raw);
		if (!cases[i].decodes) {
			record r;
			char err[256];
			record_init(&r);
			if (record_decode(&r, raw, (size_t)n, err, sizeof err) == 0)
				fail_msg("case %zu decodes: %s", i, raw);
			record_free(&r);
		}
		splice_refused(raw, (size_t)n, cases[i].decodes);
	}
	/* too little to be a record */
	const char *tiny[] = {"", " ", "{", "{}", " { } ", "\"pos\"", "{\"pos\"", "{\"pos\":", "{\"pos\":}",
			      "{\"pos\":1", "{\"pos\":\"x", "{\"pos\":[1,2}", "{\"pos\" 1}", "null", "{\"a\":1}"};
	for (size_t i = 0; i < sizeof tiny / sizeof *tiny; i++)
		splice_refused(tiny[i], strlen(tiny[i]), false);
	/* a short length cuts the record: refused, nothing read past it */
	char whole[1024];
	int n = snprintf(whole, sizeof whole, "%s,\"pos\":%s}", head, pos);
	for (int cut = 0; cut < n; cut++) {
		char *copy = malloc((size_t)cut + 1);
		assert_non_null(copy);
		memcpy(copy, whole, (size_t)cut);
		splice_refused(copy, (size_t)cut, false);
		free(copy);
	}
	char want[1024];
	snprintf(want, sizeof want, "%s,\"pos\":%s}", head, new_pos);
	splice_ok(whole, (size_t)n, want);
}

/* Out of memory (the buffer's ceiling): -1, out unchanged. */
static void test_splice_ceiling(void **state)
{
	(void)state;
	char raw[1024];
	int n = snprintf(raw, sizeof raw,
			 "{\"v\":1,\"op\":\"t\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[],\"key\":[],"
			 "\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},"
			 "\"pos\":{\"stream\":\"pg/d/s\",\"offset\":\"0/1:1\"}}");
	buf out;
	buf_init(&out, 64);
	assert_int_equal(buf_puts(&out, "kept"), 0);
	assert_int_equal(ksub_splice_pos(raw, (size_t)n, new_pos, strlen(new_pos), &out), -1);
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.data, "kept", 4);
	buf_free(&out);
}

/* A large value: kept whole, the pos found after it. */
static void test_splice_large(void **state)
{
	(void)state;
	size_t big = (size_t)4 << 20;
	buf raw, want;
	buf_init(&raw, 0);
	buf_init(&want, 0);
	const char *head = "{\"v\":1,\"op\":\"c\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\","
			   "\"cols\":[{\"name\":\"k\",\"type\":\"integer\"},{\"name\":\"x\",\"type\":\"text\"}],"
			   "\"key\":[\"k\"],\"after\":{\"k\":1,\"x\":\"";
	const char *tail = "\"},\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2000-01-01T00:00:00Z\",\"seq\":1},\"pos\":";
	for (int w = 0; w < 2; w++) {
		buf *b = w ? &want : &raw;
		buf_puts(b, head);
		assert_int_equal(buf_reserve(b, big), 0);
		/* braces, quotes, backslashes and "pos" all through the string */
		static const char *const bits[] = {"{", "}", "pos", "\\\"pos\\\":", ",", "[", "]", " ", "\\\\", "\\\"", "x"};
		for (size_t i = 0; b->len < big; i++)
			assert_int_equal(buf_puts(b, bits[(i * 7) % (sizeof bits / sizeof *bits)]), 0);
		buf_puts(b, tail);
		buf_puts(b, w ? new_pos : "{\"stream\":\"pg/d/s\",\"offset\":\"0/1:1\"}");
		buf_putc(b, '}');
	}
	buf_terminate(&want);
	splice_ok(raw.data, raw.len, want.data);
	buf_free(&raw);
	buf_free(&want);
}

/* ---- generated layouts ---- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *blank(void)
{
	static const char *const b[] = {"", "", "", " ", "\t", "  ", " \t "};
	return b[rnd(sizeof b / sizeof *b)];
}

/* The members in a random order with random unknown ones and blanks. The
 * input has the old pos, `expect` the new one; `breaks` puts one line
 * break somewhere outside strings, `esc` writes one key with an escape. */
static void generate(buf *in, buf *expect, bool breaks, bool esc)
{
	size_t order[NMEMBERS + NUNKNOWN];
	size_t n = 0;
	for (size_t i = 0; i < NMEMBERS; i++)
		order[n++] = i;
	for (size_t i = 0; i < NUNKNOWN; i++)
		if (rnd(3) == 0)
			order[n++] = NMEMBERS + i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t k = rnd((unsigned)i + 1), t = order[i];
		order[i] = order[k];
		order[k] = t;
	}
	/* the slots for blanks: before '{', after '{', four per known member,
	 * two per unknown one (whose inside is fixed) */
	size_t nslots = 2;
	for (size_t i = 0; i < n; i++)
		nslots += order[i] < NMEMBERS ? 4 : 2;
	size_t brk = breaks ? rnd((unsigned)nslots) : (size_t)-1;
	size_t esc_member = esc ? rnd((unsigned)n) : (size_t)-1;
	const char *trail[] = {"", "", "\n", "\r\n", " \t", " \r\n"};
	const char *tr = trail[rnd(sizeof trail / sizeof *trail)];
	size_t slot = 0;
	buf_reset(in);
	buf_reset(expect);
#define BOTH_PUTS(s)                                \
	do {                                        \
		buf_puts(in, (s));                  \
		buf_puts(expect, (s));              \
	} while (0)
#define BLANK()                                                                \
	do {                                                                   \
		const char *b_ = slot++ == brk ? (rnd(2) ? "\n" : " \r\n") : blank(); \
		BOTH_PUTS(b_);                                                 \
	} while (0)
	BLANK();
	BOTH_PUTS("{");
	BLANK();
	for (size_t i = 0; i < n; i++) {
		if (i)
			BOTH_PUTS(",");
		BLANK();
		if (order[i] < NMEMBERS) {
			const char *k = canon_members[order[i]][0];
			if (i == esc_member && k[0]) {
				char e[64];
				snprintf(e, sizeof e, "\"\\u%04x%s\"", (unsigned char)k[0], k + 1);
				BOTH_PUTS(e);
			} else {
				BOTH_PUTS("\"");
				BOTH_PUTS(k);
				BOTH_PUTS("\"");
			}
			BLANK();
			BOTH_PUTS(":");
			BLANK();
			if (order[i] == POS_MEMBER) {
				buf_puts(in, canon_members[order[i]][1]);
				buf_puts(expect, new_pos);
			} else {
				BOTH_PUTS(canon_members[order[i]][1]);
			}
		} else {
			const char *u = unknown_members[order[i] - NMEMBERS];
			if (i == esc_member) {
				/* "\/" is "/" */
				BOTH_PUTS("\"\\/");
				BOTH_PUTS(u + 1);
			} else {
				BOTH_PUTS(u);
			}
		}
		BLANK();
	}
	BOTH_PUTS("}");
	buf_puts(in, tr);
#undef BLANK
#undef BOTH_PUTS
	buf_terminate(expect);
}

static void test_splice_generated(void **state)
{
	(void)state;
	buf in, expect;
	buf_init(&in, 0);
	buf_init(&expect, 0);
	for (int i = 0; i < 3000; i++) {
		generate(&in, &expect, false, false);
		splice_ok(in.data, in.len, expect.data);
	}
	for (int i = 0; i < 1000; i++) {
		generate(&in, &expect, true, false);
		splice_refused(in.data, in.len, true);
		generate(&in, &expect, false, true);
		splice_refused(in.data, in.len, true);
	}
	buf_free(&in);
	buf_free(&expect);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_many),
		cmocka_unit_test(test_acks_in_order),
		cmocka_unit_test(test_skipped_with_acks),
		cmocka_unit_test(test_skipped_between_records),
		cmocka_unit_test(test_many_skip_runs),
		cmocka_unit_test(test_acks_out_of_order),
		cmocka_unit_test(test_acks_beyond_consumed),
		cmocka_unit_test(test_partitions_apart),
		cmocka_unit_test(test_revoke_and_reassign),
		cmocka_unit_test(test_flush_mode),
		cmocka_unit_test(test_eof_flag),
		cmocka_unit_test(test_splice_canonical),
		cmocka_unit_test(test_splice_encoded_records),
		cmocka_unit_test(test_splice_layouts),
		cmocka_unit_test(test_splice_refuses),
		cmocka_unit_test(test_splice_ceiling),
		cmocka_unit_test(test_splice_large),
		cmocka_unit_test(test_splice_generated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
