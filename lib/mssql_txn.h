/* mssql_txn.h — mssql-apply --transactions: source transactions applied
 * whole. Batches close only between source transactions, so a reader of the
 * target never sees part of one; several whole ones share a target
 * transaction, and one too large for a batch is committed alone, in one
 * target transaction filled in several batches (mssql_apply_piece).
 *
 * Where a transaction ends (txn_cut): at its record marked src.last (what
 * pgcdc-read writes), or where a record of another transaction (another
 * xid; without one, another commit LSN) or a snapshot row (op r, which
 * belongs to no transaction: each is a unit of its own) comes. Without the marker a
 * transaction is known to be whole only when the next one begins.
 *
 * The batch's records are kept as they came (raw bytes, a log) beside the
 * batch, so that when the batch must be cut before an open transaction (the
 * end of input inside one, or a transaction grown beyond the batch limits)
 * the whole ones can be applied without it: the batch is rebuilt from the
 * log up to the open transaction's start. Those are the only times a record
 * is decoded twice. A transaction applied in pieces goes to an unlinked
 * file in $TMPDIR instead of the log (memory stays flat however large it
 * is); when its target transaction is lost (deadlock, lost connection) it
 * is applied again from that file, --retries times with backoff, then exit
 * 75. */
#ifndef DBREPL_MSSQL_TXN_H
#define DBREPL_MSSQL_TXN_H

#include "mssql_apply.h"
#include "record.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the transactions of a stream of records begin and end. */
typedef struct txn_cut {
	bool open;     /* a transaction has begun and its end has not been seen */
	bool any;      /* a transaction has been seen (lsn, xid are its) */
	uint64_t lsn;  /* commit LSN and xid of the last transaction seen */
	uint32_t xid;
	bool disorder; /* a transaction came with a commit LSN below the one before */
} txn_cut;

/* Whether r begins a new unit: nothing is open, or r is not of the open
 * transaction (so what came before r is whole). Sets c->disorder when r's
 * transaction commits before the last one seen. */
bool txn_cut_starts(txn_cut *c, const record *r);
/* Takes r: afterwards c->open says whether its transaction goes on. */
void txn_cut_took(txn_cut *c, const record *r);

typedef struct mssql_txn mssql_txn;

/* Batches close (between transactions) at rows records and bytes of net
 * change (bulk_rows and bulk_bytes while a snapshot streams by bulk copy),
 * or as many bytes of records as they came; a transaction that alone
 * reaches one of those goes in pieces of that size. */
mssql_txn *mssql_txn_new(mssql_apply *a, size_t rows, size_t bulk_rows, size_t bytes, size_t bulk_bytes);
void mssql_txn_free(mssql_txn *x);
/* Adds record r, whose encoded bytes (as read) are raw; applies and
 * commits batches as they fill. A record without key columns gets the
 * target table's (mssql_apply_key_from_target). 0 or a sysexits code
 * (printed). */
int mssql_txn_add(mssql_txn *x, record *r, const void *raw, size_t len);
/* True when the batch holds whole transactions only: it may be flushed. */
bool mssql_txn_whole(const mssql_txn *x);
/* Applies and commits the batch; only when mssql_txn_whole. */
int mssql_txn_flush(mssql_txn *x);
/* End of input (or a signal): commits the whole transactions of the batch
 * and leaves out, unacked, a transaction whose end did not come. */
int mssql_txn_finish(mssql_txn *x);

#endif
