/* snapstate.h — the resume state of a copy (snapshot --state FILE): which
 * tables it copies and, for each, how far its records are durable
 * downstream, kept in a file that is replaced atomically (temporary file,
 * fsync, rename, fsync of the directory), so that a copy killed at any
 * moment finds either the old state or the new one.
 *
 * A table with a key is copied in key order, so what is durable of it is a
 * prefix of that order, named by the key of its last durable row: the state
 * stays a few lines whatever the size of the table. A table without a key
 * is durable whole or not at all (its rows cannot be found again in another
 * snapshot).
 *
 * The module also turns acks into that progress. Each time a copy finishes
 * a range of a table (a chunk) it notes the stream offset of the range's
 * last record (snapstate_note); an ack at or past that offset makes the
 * range durable (snapstate_ack), or, without acks, a flush of standard
 * output makes every noted range durable (snapstate_flushed). Notes wait in
 * a queue per table of bounded length: when it is full the newest note
 * takes the place of the one before it, which only makes progress coarser. */
#ifndef DBREPL_SNAPSTATE_H
#define DBREPL_SNAPSTATE_H

#include "pos.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SNAPSTATE_VERSION 1
/* Notes waiting for an ack, per table. */
#define SNAPSTATE_QUEUE_MAX 64

/* How the copy runs, which decides how a rerun resumes it. */
typedef enum snapstate_mode {
	SNAPSTATE_COPY = 0, /* its own snapshot and stream: a rerun takes a new one */
	SNAPSTATE_HANDOVER, /* in a new slot's snapshot: a rerun backfills online */
	SNAPSTATE_ONLINE,   /* an online backfill into a slot's stream */
} snapstate_mode;

typedef struct snapstate_pend {
	pos_offset end;  /* the offset of the range's last record */
	char **last;     /* the key of its last row (NULL: no row) */
	uint64_t rows;   /* rows of the table up to here */
	bool done;       /* the table ends here */
} snapstate_pend;

typedef struct snapstate_table {
	char *schema, *name;
	size_t nkey;
	char **keycols;  /* nkey names */
	/* Durable progress. */
	bool started;    /* some record of it is durable (a truncate, rows) */
	bool done;       /* all of it */
	char **last;     /* nkey key values (server text) of the last durable row, or NULL */
	uint64_t rows;
	/* Noted, not yet durable: a ring. */
	snapstate_pend queue[SNAPSTATE_QUEUE_MAX];
	size_t qhead, qlen;
} snapstate_table;

typedef struct snapstate {
	snapstate_mode mode;
	char *slot;  /* HANDOVER and ONLINE */
	char *where; /* --where, or NULL */
	bool truncate;
	size_t ntables;
	snapstate_table *tables;
	bool dirty;  /* changed since the last save */
} snapstate;

void snapstate_init(snapstate *s);
void snapstate_free(snapstate *s);

/* Adds a table (copies the names). Its index, or -1 when out of memory. */
long snapstate_add_table(snapstate *s, const char *schema, const char *name,
			 const char *const *keycols, size_t nkey);
/* The index of a table, or -1. */
long snapstate_find(const snapstate *s, const char *schema, const char *name);

/* Notes that the records of table t up to offset end complete a range
 * ending at key last (nkey values, copied; NULL for none) with rows rows of
 * the table so far; done when the table is complete. A note without a key
 * and without rows (a truncate record) only makes the table started.
 * 0, or -1 (ENOMEM). */
int snapstate_note(snapstate *s, size_t t, pos_offset end, const char *const *last,
		   uint64_t rows, bool done);
/* Everything noted at or below off is durable. Returns how many notes it
 * made durable. */
size_t snapstate_ack(snapstate *s, pos_offset off);
/* Everything noted is durable (written and flushed, without acks). */
size_t snapstate_flushed(snapstate *s);
/* Notes not yet durable, over all tables. */
size_t snapstate_pending(const snapstate *s);
/* True when every table is done. */
bool snapstate_complete(const snapstate *s);

/* Reads FILE. 1 when read, 0 when it does not exist, -1 with a message in
 * err when it cannot be read or is not a state of this version. */
int snapstate_load(snapstate *s, const char *path, char *err, size_t errlen);
/* Replaces FILE atomically and durably. 0, or -1 with a message in err (the
 * old file, if any, is left as it was). Clears dirty. */
int snapstate_save(snapstate *s, const char *path, char *err, size_t errlen);

const char *snapstate_mode_name(snapstate_mode m);

#endif
