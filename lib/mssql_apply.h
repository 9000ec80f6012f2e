/* mssql_apply.h — applies change records to SQL Server in batched
 * transactions, exactly once: the engine behind mssql-apply(1).
 *
 * A batch is the net change per table (mssql_batch.h), bulk-copied into a
 * #temp staging table per table and applied set-based (MERGE, DELETE,
 * INSERT … SELECT for a snapshot into an empty table, TRUNCATE) in one
 * transaction that also advances [dbo].[dbrepl_checkpoint] for every stream
 * of the batch. Records at or below a stream's checkpoint are skipped, so a
 * replay changes nothing. Deadlocks, lost connections and timeouts reconnect
 * and retry the whole batch (re-reading the checkpoint first); a record the
 * server refuses is found by replaying the failed table's rows (in halves;
 * a pair that fails only together, by the shortest failing beginning)
 * inside transactions that are rolled back, then named (exit 65) or written
 * to the dead-letter file. With print set, the T-SQL is written there
 * instead (bcp loads as INSERT statements), assuming empty targets and no
 * checkpoint. */
#ifndef DBREPL_MSSQL_APPLY_H
#define DBREPL_MSSQL_APPLY_H

#include "mssql_conn.h"
#include "pos.h"
#include "record.h"
#include "tsql.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef void (*mssql_commit_cb)(void *ctx, const char *stream, pos_offset off);

typedef struct mssql_apply_opts {
	mssql_login login;
	FILE *print; /* --print-sql: T-SQL goes here, no connection */
	bool create_tables, evolve;
	size_t nmaps;
	const char *const *map_src, *const *map_dst; /* --schema-map */
	const char *dead_letter;                     /* file, or NULL */
	int retries;                                 /* transient failures in a row; then exit 75 */
	mssql_commit_cb on_commit;                   /* per stream of a committed batch */
	void *ctx;
	tsql_type_map type_map;                      /* --type-map */
	bool clamp_infinity;                         /* --clamp-infinity */
	struct metrics *metrics; /* --metrics: the engine's own metrics go here (dbrepl(7)) */
	/* The caller is stopping and will wait no longer (NULL: never): a
	 * wait for the server is then cancelled (mssql_set_interrupt, which
	 * the caller sets), and a failed batch or login is not tried again:
	 * the call returns EX_TEMPFAIL and mssql_apply_stopped() is true. */
	bool (*stop)(void);
} mssql_apply_opts;

typedef struct mssql_apply_stats {
	uint64_t records, skipped, batches, changes, dead_lettered, retries;
	uint64_t clamped; /* ±infinity dates and timestamps written as the type's ends */
	uint64_t round_trips, round_trips_last_batch, tables_last_batch;
	uint64_t lat_n;
	int64_t lat_max_us;
} mssql_apply_stats;

typedef struct mssql_apply mssql_apply;

mssql_apply *mssql_apply_new(const mssql_apply_opts *o);
void mssql_apply_free(mssql_apply *a);
/* Connects (with retries) and loads the checkpoint. 0 or a sysexits code. */
int mssql_apply_open(mssql_apply *a);
/* Whether a call gave up because opts.stop said so (it returned
 * EX_TEMPFAIL): the batch it held was not applied (nor acknowledged). */
bool mssql_apply_stopped(const mssql_apply *a);
/* Adds a record to the current batch (flushing first when a table's
 * columns changed, or when its stream would be one too many for the
 * checkpoint rows of one RPC: 524, SQL Server's 2,100 parameters). 0 or a
 * sysexits code (the message is printed). */
int mssql_apply_add(mssql_apply *a, const record *r);
/* A record that names no key columns (a Debezium event read without its
 * message key) gets the target table's primary key, asked of the catalog
 * once per table (first applying the batch only when a bulk copy of it
 * holds the session: mssql_apply_session_held). Nothing for other records
 * or when the target has no such table or key. 0 or a sysexits code. */
int mssql_apply_key_from_target(mssql_apply *a, record *r);
/* Whether mssql_apply_key_from_target(a, r) would ask the server. */
bool mssql_apply_key_unknown(const mssql_apply *a, const record *r);
/* Whether a bulk copy of the batch holds the session (asking the server
 * anything then applies the batch first). */
bool mssql_apply_session_held(const mssql_apply *a);
size_t mssql_apply_batch_records(const mssql_apply *a);
size_t mssql_apply_batch_bytes(const mssql_apply *a);
/* True while the batch is a snapshot's rows streaming by bulk copy into
 * the table it found empty (they are at the server already; the batch
 * holds them only in case it must be applied again from memory). */
bool mssql_apply_bulk_streaming(const mssql_apply *a);
/* True when the batch should close now so that the rest of a snapshot
 * streams: it is a first batch of snapshot rows, all of one table whose
 * emptiness no commit has told yet, and just big enough to go by bulk
 * copy. The flush tests the table; found empty, the next batches stream
 * their rows as they are read, where this one would have made the server
 * wait while --batch-rows records were read and decoded. */
bool mssql_apply_bulk_soon(const mssql_apply *a);
/* Applies and commits the current batch (and the transaction that
 * mssql_apply_piece left open). 0 or a sysexits code; after pieces also
 * MSSQL_APPLY_AGAIN. */
int mssql_apply_flush(mssql_apply *a);

/* Pieces: one source transaction too large for a batch goes into one
 * target transaction in several batches (mssql-apply --transactions).
 * mssql_apply_piece applies the batch and leaves the transaction open;
 * the streams' offsets go into the checkpoint with each piece, but are
 * acked only at the commit. When a piece, or the commit, fails after
 * earlier pieces, the transaction is lost with them (every failure
 * closes the connection): mssql_apply then forgets the batch and the
 * pieces' offsets (as mssql_apply_discard) and returns MSSQL_APPLY_AGAIN,
 * and the caller applies the source transaction again from its start. A
 * record the server refuses there stops mssql-apply (exit 65), even with
 * --dead-letter: leaving it out would apply its transaction in part. */
#define MSSQL_APPLY_AGAIN (-1)
int mssql_apply_piece(mssql_apply *a);
/* True while mssql_apply_piece has left a transaction open. */
bool mssql_apply_in_pieces(const mssql_apply *a);
/* Forgets the current batch and rolls back a transaction left open
 * (nothing of it is acked). */
void mssql_apply_discard(mssql_apply *a);
/* Whether mssql_apply_add(a, r) would first flush the batch (r's table has
 * changes in it and r brings new columns, or r's stream would be one too
 * many). */
bool mssql_apply_add_flushes(mssql_apply *a, const record *r);
/* Waits before the failures-th try after transient failures (0.2 s
 * doubling to 5 s), as mssql_apply_flush does between its own tries. */
void mssql_apply_backoff(mssql_apply *a, int failures);
/* The transient failures in a row after which to give up (--retries). */
int mssql_apply_retries(const mssql_apply *a);
/* Whether the last MSSQL_APPLY_AGAIN of a transaction applied in pieces
 * was the catalog read again after 2714 or 2705 (another mssql-apply made
 * a table or column meanwhile), not a failure: it takes no retry. Asking
 * clears it. */
bool mssql_apply_reread(mssql_apply *a);

const mssql_apply_stats *mssql_apply_get_stats(const mssql_apply *a);
/* Commit-to-apply latency percentile (0..100) in milliseconds. */
double mssql_apply_latency_ms(const mssql_apply *a, double pct);

#endif
