/* bfwindow.h — pgcdc-read's side of an online backfill: the windows between
 * a chunk's low and high watermark (bfmsg.h), what the stream changed
 * in each, and which of the chunk's rows may then be written, at the high
 * watermark's position (dbrepl(7), "BACKFILLING A TABLE WHILE STREAMING").
 *
 * While a window of a table is open, every change of that table the stream
 * writes is noted by key: which columns it wrote, and whether the row was
 * deleted. At the high watermark each row of the chunk is decided:
 *   - its key was not changed in the window: the row, as read, is the
 *     row's value at the high watermark; it is written as it is (op "r");
 *   - deleted (last) in the window, or the table truncated: dropped;
 *   - changed: the stream wrote the columns it changed already, in order;
 *     the columns no change of the window wrote (TOASTed values an update
 *     did not send) are the same at both watermarks, so the chunk's value
 *     is right, and only they are written, as an update whose other
 *     columns are "unchanged"; when there are none the row is dropped.
 * Memory: a window holds the keys the stream changed in it, and it lasts
 * at most its low watermark's max_wal bytes of WAL (bf_expire), which
 * bounds them. The position to confirm must not pass the oldest open
 * window's low watermark (bf_hold), so that a restart decodes the window
 * again, whole. */
#ifndef DBREPL_BFWINDOW_H
#define DBREPL_BFWINDOW_H

#include "bfmsg.h"
#include "record.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bf_set bf_set;
typedef struct bf_window bf_window;

/* The windows of one reader of slot (messages naming another slot are not
 * ours). NULL when out of memory. */
bf_set *bf_new(const char *slot);
void bf_free(bf_set *s);
/* Forgets every window (the stream restarts from the confirmed position,
 * which is at or before every open window's low watermark). */
void bf_reset(bf_set *s);

/* True when m names this reader's slot. */
bool bf_ours(const bf_set *s, const bfmsg *m);
/* A low watermark, decoded in the transaction that commits at commit_lsn:
 * opens its window, in place of an open window of the same table. 1 when
 * it replaced one, 0, or -1 when out of memory. */
int bf_open(bf_set *s, const bfmsg *low, uint64_t commit_lsn);
/* An abort: closes the window it names. 1 when there was one, else 0. */
int bf_abort(bf_set *s, const bfmsg *abort);
/* A change about to be written by the stream (op c, u, d or t): noted
 * when a window of its table is open. 0, or -1 when out of memory. */
int bf_note(bf_set *s, const record *r);
/* Before a transaction that commits at commit_lsn: closes the windows
 * whose low watermark lies more than their max_wal before it, calling
 * expired for each (may be NULL). Returns how many. */
size_t bf_expire(bf_set *s, uint64_t commit_lsn,
		 void (*expired)(void *ctx, const char *schema, const char *table, uint64_t chunk), void *ctx);
/* The commit LSN of the oldest open window's low watermark, or UINT64_MAX. */
uint64_t bf_hold(const bf_set *s);
/* How many windows are open, and the bytes their notes take. */
size_t bf_open_count(const bf_set *s);
size_t bf_bytes(const bf_set *s);

/* The window a high watermark closes, or NULL (another slot's, or its
 * window expired, was replaced or aborted). */
bf_window *bf_find(bf_set *s, const bfmsg *high);

enum { BF_ROW_DROP = 0, BF_ROW_AS_IS, BF_ROW_PARTIAL };
/* Decides one row of the chunk (a decoded record of op "r"). BF_ROW_AS_IS:
 * write row itself; BF_ROW_PARTIAL: write *partial (initialised by the
 * caller; filled in as op "u"); BF_ROW_DROP. -1 when out of memory, or
 * when row is not a record of the window's table with its key. */
int bf_row(bf_window *w, const record *row, record *partial);
/* The truncate record of the window's table (op "t", with the columns and
 * key its low watermark named), for a high watermark with "truncate".
 * 0, or -1 when out of memory. */
int bf_truncate(const bf_window *w, const char *db, record *out);
/* Closes a window after its rows. */
void bf_close(bf_set *s, bf_window *w);

#endif
