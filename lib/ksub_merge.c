/* ksub_merge.c — see ksub_merge.h. */
#include "ksub_merge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT64_MAX

typedef struct entry {
	int64_t koff;
	int32_t stream;    /* -1: of no stream (with no bytes: a message to skip) */
	bool waits;        /* a record of a source transaction */
	uint64_t arrival;  /* across all partitions, for ending a deadlock */
	int64_t stamp;     /* the caller's */
	pos_offset off;
	size_t at, len;    /* its bytes in the partition's data */
	uint64_t next_same; /* the next queued record of its stream, or NONE */
} entry;

/* What a partition has shown of one stream. */
typedef struct seen {
	bool any;           /* a record or watermark of the stream since assigned */
	pos_offset max;     /* the highest of them */
	uint64_t first, last; /* its queued records (sequence numbers), or NONE */
} seen;

struct ksub_merge_part {
	void *tag;
	bool assigned;
	entry *ring; /* a power of two */
	size_t cap;
	uint64_t head, tail; /* queued: [head, tail) */
	char *data;          /* the queued records' bytes: [data_at, data_len) */
	size_t data_at, data_len, data_cap;
	seen *st;            /* by stream number */
	size_t nst;
};

struct ksub_merge {
	ksub_merge_part **parts;
	size_t nparts;
	char **streams; /* stream numbers */
	size_t nstreams;
	size_t bytes, queued, max_bytes;
	uint64_t arrival;
	bool pausing; /* over max_bytes, and not yet down to half */
	/* by stream number, as the last ksub_merge_release left it: a record
	 * of the stream waits (ksub_merge_pause_wanted asks it of every
	 * partition; finding it anew was partitions x partitions work per
	 * message, while the queues were full) */
	bool *waiting;
	size_t nwaiting;
};

ksub_merge *ksub_merge_new(size_t max_bytes)
{
	ksub_merge *m = calloc(1, sizeof *m);
	if (m)
		m->max_bytes = max_bytes;
	return m;
}

void ksub_merge_free(ksub_merge *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nparts; i++) {
		free(m->parts[i]->ring);
		free(m->parts[i]->data);
		free(m->parts[i]->st);
		free(m->parts[i]);
	}
	for (size_t i = 0; i < m->nstreams; i++)
		free(m->streams[i]);
	free(m->parts);
	free(m->streams);
	free(m->waiting);
	free(m);
}

ksub_merge_part *ksub_merge_part_new(ksub_merge *m, void *tag)
{
	ksub_merge_part **np = realloc(m->parts, (m->nparts + 1) * sizeof *np);
	if (!np)
		return NULL;
	m->parts = np;
	ksub_merge_part *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->tag = tag;
	m->parts[m->nparts++] = p;
	return p;
}

static entry *at(const ksub_merge_part *p, uint64_t seq)
{
	return &p->ring[seq & (p->cap - 1)];
}

static void drop_queue(ksub_merge *m, ksub_merge_part *p)
{
	m->bytes -= p->data_len - p->data_at;
	m->queued -= p->tail - p->head;
	/* as pop() does: else the other partitions stay held below the
	 * bound until a record of theirs goes */
	if (m->bytes <= m->max_bytes / 2)
		m->pausing = false;
	p->head = p->tail = 0;
	p->data_at = p->data_len = 0;
	for (size_t s = 0; s < p->nst; s++)
		p->st[s] = (seen){.first = NONE, .last = NONE};
}

void ksub_merge_assign(ksub_merge *m, ksub_merge_part *p)
{
	drop_queue(m, p);
	p->assigned = true;
}

void ksub_merge_revoke(ksub_merge *m, ksub_merge_part *p)
{
	drop_queue(m, p);
	p->assigned = false;
}

/* The stream's number, added when new; -1 on ENOMEM. */
static int32_t stream_no(ksub_merge *m, const char *name)
{
	for (size_t i = 0; i < m->nstreams; i++)
		if (!strcmp(m->streams[i], name))
			return (int32_t)i;
	char **ns = realloc(m->streams, (m->nstreams + 1) * sizeof *ns);
	if (!ns)
		return -1;
	m->streams = ns;
	if (!(ns[m->nstreams] = strdup(name)))
		return -1;
	return (int32_t)m->nstreams++;
}

/* What p has shown of stream s (grown as streams come). */
static seen *seen_of(ksub_merge_part *p, int32_t s)
{
	if ((size_t)s >= p->nst) {
		size_t n = (size_t)s + 1;
		seen *ns = realloc(p->st, n * sizeof *ns);
		if (!ns)
			return NULL;
		for (size_t i = p->nst; i < n; i++)
			ns[i] = (seen){.first = NONE, .last = NONE};
		p->st = ns;
		p->nst = n;
	}
	return &p->st[s];
}

/* Appends an entry (and its bytes) to p's queue; NULL on ENOMEM. */
static entry *push(ksub_merge *m, ksub_merge_part *p, int64_t koff, const void *data, size_t len)
{
	if (p->tail - p->head == p->cap) {
		size_t ncap = p->cap ? 2 * p->cap : 64;
		entry *nr = malloc(ncap * sizeof *nr);
		if (!nr)
			return NULL;
		for (uint64_t q = p->head; q < p->tail; q++)
			nr[q & (ncap - 1)] = *at(p, q);
		free(p->ring);
		p->ring = nr;
		p->cap = ncap;
	}
	if (p->data_len + len > p->data_cap) {
		/* the bytes before data_at went out: move the rest down first */
		if (p->data_at) {
			memmove(p->data, p->data + p->data_at, p->data_len - p->data_at);
			for (uint64_t q = p->head; q < p->tail; q++)
				at(p, q)->at -= p->data_at;
			p->data_len -= p->data_at;
			p->data_at = 0;
		}
		if (p->data_len + len > p->data_cap) {
			size_t ncap = p->data_cap ? p->data_cap : 4096;
			while (ncap < p->data_len + len)
				ncap *= 2;
			char *nd = realloc(p->data, ncap);
			if (!nd)
				return NULL;
			p->data = nd;
			p->data_cap = ncap;
		}
	}
	entry *e = at(p, p->tail++);
	*e = (entry){.koff = koff, .stream = -1, .arrival = m->arrival++, .at = p->data_len, .len = len,
		     .next_same = NONE};
	if (len)
		memcpy(p->data + p->data_len, data, len);
	p->data_len += len;
	m->bytes += len;
	m->queued++;
	if (m->bytes > m->max_bytes)
		m->pausing = true;
	return e;
}

int ksub_merge_skip(ksub_merge *m, ksub_merge_part *p, int64_t koff)
{
	return push(m, p, koff, NULL, 0) ? 0 : -1;
}

int ksub_merge_pass(ksub_merge *m, ksub_merge_part *p, int64_t koff, const void *data, size_t len, int64_t stamp)
{
	entry *e = len ? push(m, p, koff, data, len) : NULL;
	if (!e)
		return -1;
	e->stamp = stamp;
	return 0;
}

int ksub_merge_watermark(ksub_merge *m, ksub_merge_part *p, int64_t koff, const char *stream, pos_offset off)
{
	int32_t s = stream_no(m, stream);
	seen *sn = s < 0 ? NULL : seen_of(p, s);
	if (!sn || !push(m, p, koff, NULL, 0))
		return -1;
	if (!sn->any || pos_offset_cmp(off, sn->max) > 0)
		sn->max = off;
	sn->any = true;
	return 0;
}

int ksub_merge_record(ksub_merge *m, ksub_merge_part *p, int64_t koff, const char *stream, pos_offset off,
		      bool waits, const void *data, size_t len, int64_t stamp)
{
	int32_t s = stream_no(m, stream);
	seen *sn = s < 0 ? NULL : seen_of(p, s);
	if (!sn)
		return -1;
	if (sn->any && pos_offset_cmp(off, sn->max) <= 0)
		return push(m, p, koff, NULL, 0) ? 1 : -1; /* a copy */
	entry *e = push(m, p, koff, data, len);
	if (!e)
		return -1;
	e->stream = s;
	e->waits = waits;
	e->stamp = stamp;
	e->off = off;
	uint64_t seq = p->tail - 1;
	if (sn->last != NONE)
		at(p, sn->last)->next_same = seq;
	else
		sn->first = seq;
	sn->last = seq;
	sn->max = off;
	sn->any = true;
	return 0;
}

/* Takes p's first entry off its queue and hands it out. */
static void pop(ksub_merge *m, ksub_merge_part *p, ksub_merge_out out, void *ctx)
{
	entry e = *at(p, p->head++);
	if (e.stream >= 0) {
		seen *sn = &p->st[e.stream];
		sn->first = e.next_same;
		if (sn->first == NONE)
			sn->last = NONE;
	}
	out(ctx, p->tag, e.koff, e.len ? p->data + e.at : NULL, e.len, e.stamp);
	p->data_at += e.len;
	if (p->head == p->tail)
		p->data_at = p->data_len = 0;
	m->bytes -= e.len;
	m->queued--;
	if (m->bytes <= m->max_bytes / 2)
		m->pausing = false;
}

/* How far q has gone in stream s: *known false when it has shown nothing. */
static pos_offset frontier(const ksub_merge_part *q, int32_t s, bool *known, bool *fixed)
{
	const seen *sn = (size_t)s < q->nst ? &q->st[s] : NULL;
	*fixed = sn && sn->first != NONE;
	*known = sn && sn->any;
	if (*fixed)
		return at(q, sn->first)->off;
	return sn && sn->any ? sn->max : (pos_offset){0};
}

/* The lowest offset a record after one at o can have: the next change of
 * its transaction ("X/Y:N"), or the next Kafka offset ("N"). What a
 * partition has shown of a stream it has no record of queued lets go a
 * record as far as that: it cannot bring one below. */
static pos_offset next_after(pos_offset o)
{
	if (o.lsn)
		o.minor += o.minor < UINT64_MAX;
	else
		o.major += o.major < UINT64_MAX;
	return o;
}

/* The first waiting record of stream s, first in its partition's queue,
 * with the lowest offset; NULL when none. */
static ksub_merge_part *min_head(const ksub_merge *m, int32_t s)
{
	ksub_merge_part *best = NULL;
	for (size_t i = 0; i < m->nparts; i++) {
		ksub_merge_part *p = m->parts[i];
		if (!p->assigned || p->head == p->tail)
			continue;
		const entry *h = at(p, p->head);
		if (h->stream == s && h->waits && (!best || pos_offset_cmp(h->off, at(best, best->head)->off) < 0))
			best = p;
	}
	return best;
}

/* Whether p's first record may go: *stuck tells, when not, whether only
 * queued records (which cannot change) hold it. */
static bool may_go(const ksub_merge *m, const ksub_merge_part *p, bool *stuck)
{
	const entry *h = at(p, p->head);
	*stuck = true;
	bool ok = true;
	for (size_t i = 0; i < m->nparts; i++) {
		const ksub_merge_part *q = m->parts[i];
		if (q == p || !q->assigned)
			continue;
		bool known, fixed;
		pos_offset f = frontier(q, h->stream, &known, &fixed);
		if (known && pos_offset_cmp(fixed ? f : next_after(f), h->off) >= 0)
			continue;
		ok = false;
		if (!fixed)
			*stuck = false;
	}
	return ok;
}

size_t ksub_merge_release(ksub_merge *m, ksub_merge_out out, void *ctx, bool *broke)
{
	size_t n = 0;
	if (broke)
		*broke = false;
	for (;;) {
		bool progress = false;
		for (size_t i = 0; i < m->nparts; i++) {
			ksub_merge_part *p = m->parts[i];
			while (p->assigned && p->head < p->tail && !at(p, p->head)->waits) {
				pop(m, p, out, ctx);
				n++;
				progress = true;
			}
		}
		bool all_stuck = true, any_waiting = false;
		ksub_merge_part *oldest = NULL;
		if (m->nwaiting < m->nstreams) {
			bool *w = realloc(m->waiting, m->nstreams * sizeof *w);
			if (w) {
				m->waiting = w;
				m->nwaiting = m->nstreams;
			}
		}
		for (size_t s = 0; s < m->nstreams; s++) {
			ksub_merge_part *p;
			while ((p = min_head(m, (int32_t)s))) {
				bool stuck;
				if (!may_go(m, p, &stuck)) {
					any_waiting = true;
					all_stuck &= stuck;
					if (!oldest || at(p, p->head)->arrival < at(oldest, oldest->head)->arrival)
						oldest = p;
					break;
				}
				pop(m, p, out, ctx);
				n++;
				progress = true;
			}
			if (s < m->nwaiting)
				m->waiting[s] = p != NULL;
		}
		if (progress)
			continue;
		/* Nothing more can go: for good, when only queued records hold
		 * every waiting one (two streams in opposite orders). */
		if (!any_waiting || !all_stuck)
			return n;
		pop(m, oldest, out, ctx);
		n++;
		if (broke)
			*broke = true;
	}
}

bool ksub_merge_pause_wanted(const ksub_merge *m, const ksub_merge_part *p)
{
	if (!m->pausing || !p->assigned || p->head == p->tail)
		return false;
	/* Pause only a partition whose next messages no waiting record needs:
	 * for each stream that waits, it has a record of it queued. */
	for (size_t s = 0; s < m->nstreams; s++) {
		if (s < m->nwaiting ? !m->waiting[s] : !min_head(m, (int32_t)s))
			continue;
		if ((size_t)s >= p->nst || p->st[s].first == NONE)
			return false;
	}
	return true;
}

size_t ksub_merge_bytes(const ksub_merge *m)
{
	return m->bytes;
}

size_t ksub_merge_queued(const ksub_merge *m)
{
	return m->queued;
}

void *ksub_merge_unseen_blocker(const ksub_merge *m, const char **stream)
{
	for (size_t s = 0; s < m->nstreams; s++) {
		const ksub_merge_part *p = min_head(m, (int32_t)s);
		if (!p)
			continue;
		for (size_t i = 0; i < m->nparts; i++) {
			const ksub_merge_part *q = m->parts[i];
			if (q != p && q->assigned && ((size_t)s >= q->nst || !q->st[s].any)) {
				*stream = m->streams[s];
				return q->tag;
			}
		}
	}
	return NULL;
}
