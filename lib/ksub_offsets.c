/* ksub_offsets.c — see ksub_offsets.h. */
#include "ksub_offsets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ksub_parts_init(ksub_parts *t, bool ack_mode)
{
	memset(t, 0, sizeof *t);
	t->ack_mode = ack_mode;
}

void ksub_parts_free(ksub_parts *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->all[i]->topic);
		free(t->all[i]);
	}
	free(t->all);
	free(t->slots);
	memset(t, 0, sizeof *t);
}

static size_t part_hash(const char *topic, size_t len, int32_t partition)
{
	/* FNV-1a over the name, then the partition */
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)topic[i];
		h *= 1099511628211ull;
	}
	h ^= (uint32_t)partition;
	h *= 1099511628211ull;
	return (size_t)(h ^ (h >> 29));
}

static bool part_is(const ksub_part *p, const char *topic, size_t len, int32_t partition)
{
	return p->partition == partition && strncmp(p->topic, topic, len) == 0 && p->topic[len] == '\0';
}

static int rehash(ksub_parts *t, size_t nslots)
{
	ksub_part **slots = calloc(nslots, sizeof *slots);
	if (!slots)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		ksub_part *p = t->all[i];
		size_t h = part_hash(p->topic, strlen(p->topic), p->partition) & (nslots - 1);
		while (slots[h])
			h = (h + 1) & (nslots - 1);
		slots[h] = p;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return 0;
}

static ksub_part *lookup(ksub_parts *t, const char *topic, size_t len, int32_t partition, bool create)
{
	if (t->last && part_is(t->last, topic, len, partition))
		return t->last;
	if (t->nslots) {
		size_t h = part_hash(topic, len, partition) & (t->nslots - 1);
		for (ksub_part *p; (p = t->slots[h]); h = (h + 1) & (t->nslots - 1))
			if (part_is(p, topic, len, partition))
				return t->last = p;
	}
	if (!create)
		return NULL;

	ksub_part *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	int n = snprintf(p->stream, sizeof p->stream, "kafka/%.*s/%d", (int)len, topic, (int)partition);
	p->topic = strndup(topic, len);
	if (n < 0 || (size_t)n >= sizeof p->stream || !p->topic) {
		free(p->topic);
		free(p);
		errno = n < 0 || (size_t)n >= sizeof p->stream ? ENAMETOOLONG : ENOMEM;
		return NULL;
	}
	p->partition = partition;
	ksub_part_assign(p);
	p->assigned = false;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		ksub_part **all = realloc(t->all, cap * sizeof *all);
		if (!all)
			goto oom;
		t->all = all;
		t->cap = cap;
	}
	t->all[t->n++] = p;
	/* keep the table at most half full */
	if (t->n * 2 > t->nslots && rehash(t, t->nslots ? t->nslots * 2 : 32) < 0) {
		t->n--;
		goto oom;
	}
	if (t->nslots && t->n * 2 <= t->nslots) {
		size_t h = part_hash(p->topic, len, partition) & (t->nslots - 1);
		while (t->slots[h] && t->slots[h] != p)
			h = (h + 1) & (t->nslots - 1);
		t->slots[h] = p;
	}
	return t->last = p;
oom:
	free(p->topic);
	free(p);
	errno = ENOMEM;
	return NULL;
}

ksub_part *ksub_parts_get(ksub_parts *t, const char *topic, int32_t partition)
{
	return lookup(t, topic, strlen(topic), partition, true);
}

ksub_part *ksub_parts_find_stream(ksub_parts *t, const char *stream)
{
	if (strncmp(stream, "kafka/", 6) != 0)
		return NULL;
	const char *topic = stream + 6, *slash = strrchr(topic, '/');
	if (!slash || slash == topic || !slash[1])
		return NULL;
	long part = 0;
	for (const char *s = slash + 1; *s; s++) {
		if (*s < '0' || *s > '9' || part > 100000000)
			return NULL;
		part = part * 10 + (*s - '0');
	}
	return lookup(t, topic, (size_t)(slash - topic), (int32_t)part, false);
}

void ksub_part_assign(ksub_part *p)
{
	p->assigned = true;
	p->eof = false;
	p->next = p->written = p->acked = p->want = p->committed = -1;
	p->run_first = p->nruns = 0;
	p->skipping = false;
}

void ksub_part_revoke(ksub_part *p)
{
	p->assigned = false;
	p->eof = false;
}

static void raise_want(ksub_part *p, int64_t want)
{
	if (want > p->want)
		p->want = want;
}

void ksub_part_written(ksub_parts *t, ksub_part *p, int64_t off)
{
	/* A record after skipped messages ends a run of them. When the queue
	 * is full the run is forgotten: it is committed later, with the first
	 * ack beyond it, never too early. */
	if (t->ack_mode && p->skipping && p->written >= 0 && p->nruns < KSUB_SKIP_RUNS) {
		unsigned i = (p->run_first + p->nruns++) % KSUB_SKIP_RUNS;
		p->runs[i].before = p->written;
		p->runs[i].resume = off;
	}
	p->skipping = false;
	p->next = off + 1;
	p->written = off;
	p->eof = false;
}

void ksub_part_skipped(ksub_parts *t, ksub_part *p, int64_t off)
{
	p->next = off + 1;
	p->eof = false;
	p->skipping = true;
	/* Nobody downstream acks a skipped message; once everything written
	 * before it is acked it can be committed. Without acks it waits for
	 * the flush of what was written before it. */
	if (t->ack_mode && ksub_part_all_acked(p))
		raise_want(p, p->next);
}

void ksub_part_acked(ksub_part *p, int64_t off)
{
	if (!p->assigned || off < 0 || p->next < 0)
		return;
	if (off > p->acked)
		p->acked = off;
	/* An ack beyond what this assignment consumed (from a run before a
	 * restart, say) is believed only up to what was consumed. */
	raise_want(p, off < p->next - 1 ? off + 1 : p->next);
	/* skipped messages right after acked records */
	while (p->nruns && p->runs[p->run_first].before <= p->acked) {
		int64_t resume = p->runs[p->run_first].resume;
		raise_want(p, resume < p->next ? resume : p->next);
		p->run_first = (p->run_first + 1) % KSUB_SKIP_RUNS;
		p->nruns--;
	}
	if (ksub_part_all_acked(p))
		raise_want(p, p->next);
}

void ksub_parts_flushed(ksub_parts *t)
{
	if (t->ack_mode)
		return;
	for (size_t i = 0; i < t->n; i++) {
		ksub_part *p = t->all[i];
		if (p->assigned && p->next >= 0)
			raise_want(p, p->next);
	}
}

bool ksub_part_commit_due(const ksub_part *p)
{
	return p->assigned && p->want >= 0 && p->want > p->committed;
}

bool ksub_part_all_acked(const ksub_part *p)
{
	return p->written < 0 || p->acked >= p->written;
}
