/* bfmsg.h — the messages of an online backfill (snapshot --online), as
 * snapshot writes them into the WAL with pg_logical_emit_message and
 * pgcdc-read reads them back from pgoutput (dbrepl(7), "BACKFILLING A TABLE
 * WHILE STREAMING"). Owns their format only: building and parsing.
 *
 * Every message has the prefix "dbrepl", is transactional (decoded at its
 * commit, in commit order) and starts with one line of JSON:
 *   low   {"v":1,"kind":"low","slot":S,"id":ID,"schema":..,"table":..,"chunk":N,
 *          "key":[names],"cols":[names],"types":[types],"max_wal":BYTES}
 *         opens the window of a chunk: the commit of this message is the
 *         low watermark;
 *   high  {"v":1,"kind":"high","slot":S,"id":ID,"schema":..,"table":..,"chunk":N,"rows":R,
 *          "truncate":false}
 *         followed by R lines, each one change record (NDJSON, op "r") of
 *         the chunk: its commit is the high watermark; with "truncate" the
 *         table is to be emptied there first (the first chunk of a
 *         backfill with --truncate);
 *   abort {"v":1,"kind":"abort","slot":S,"id":ID,"schema":..,"table":..,"chunk":N}
 *         the chunk will not come (snapshot stopped inside its window).
 * A message names the slot whose stream is to carry the chunk, so that
 * other slots of the same database ignore it. */
#ifndef DBREPL_BFMSG_H
#define DBREPL_BFMSG_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BFMSG_PREFIX "dbrepl"
#define BFMSG_VERSION 1

typedef enum bfmsg_kind { BFMSG_LOW = 1, BFMSG_HIGH, BFMSG_ABORT } bfmsg_kind;

typedef struct bfmsg {
	bfmsg_kind kind;
	char *slot, *id, *schema, *table;
	uint64_t chunk;
	/* low */
	size_t nkeys, ncols;
	char **keys, **cols, **types; /* ncols names and types */
	uint64_t max_wal; /* the window ends before this much WAL after it */
	/* high: the records, R lines, pointing into the parsed content */
	uint64_t nrows;
	bool truncate;
	const char *rows;
	size_t rows_len;
} bfmsg;

/* Parses a message's content. 0, or -1 with a message in err. The result
 * owns its strings (bfmsg_free) except rows, which points into content. */
int bfmsg_parse(const char *content, size_t len, bfmsg *out, char *err, size_t errlen);
void bfmsg_free(bfmsg *m);

/* The header line of each kind, with its '\n', appended to out. The caller
 * appends the rows of a high watermark after it. 0, or -1 (memory). */
int bfmsg_build_low(buf *out, const char *slot, const char *id, const char *schema, const char *table,
		 uint64_t chunk, const char *const *keys, size_t nkeys, const char *const *cols,
		 const char *const *types, size_t ncols, uint64_t max_wal);
int bfmsg_build_high(buf *out, const char *slot, const char *id, const char *schema, const char *table,
		  uint64_t chunk, uint64_t nrows, bool truncate);
int bfmsg_build_abort(buf *out, const char *slot, const char *id, const char *schema, const char *table,
		   uint64_t chunk);

#endif
