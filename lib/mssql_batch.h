/* mssql_batch.h — the target tables mssql-apply writes and the net change
 * of the current batch per table.
 *
 * Within a batch each key keeps only its last image, in source order: an
 * update after an insert stays an upsert (its unchanged-TOAST columns take
 * the earlier image's values, which the target does not have yet), a delete
 * after an insert is a delete, an update that changes the key is a delete
 * of the old key plus an upsert of the new one, and a truncate drops every
 * earlier change of its table. An upsert whose key changed and whose
 * unchanged TOAST values no earlier image of the batch supplies keeps the
 * old key (mssql_change.from): those values are at the target, in the old
 * key's row, which the MERGE reads before the DELETE of the old key. Memory is bounded by the batch: the caller
 * closes a batch after --batch-rows records or mssql_batch_bytes() bytes. */
#ifndef DBREPL_MSSQL_BATCH_H
#define DBREPL_MSSQL_BATCH_H

#include "arena.h"
#include "buf.h"
#include "record.h"
#include "tsql.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One key's net change. Its values are one allocation (not a record copy:
 * a record's arena takes 64 KiB at least). */
typedef struct mssql_change {
	char op;            /* 'r', 'c', 'u' (upserts) or 'd' */
	char src_op;        /* the op of the record it came from */
	bool use_before;    /* a delete: vals is the before image (key columns) */
	uint64_t seq;       /* source order within the batch, from 1 */
	const char *stream; /* of the last record for this key (caller's storage) */
	pos_offset offset;
	uint64_t lsn, src_seq; /* its source position, for --dead-letter */
	uint32_t xid;
	int64_t commit_us;
	bool staged;        /* bulk-copied table: this row goes through staging */
	char *key;          /* encoded key values, for the hash */
	size_t keylen;
	record_value *vals; /* ncols slots, data in the same allocation */
	/* An upsert with unchanged TOAST values whose key changed (in this
	 * record or an earlier one of the batch): the old key, nkeys values
	 * in key order, of the row at the target those values are to come
	 * from; NULL otherwise. One allocation. */
	record_value *from;
} mssql_change;

/* A slot of a table's key hash: the change's index in ch (-1: empty) and
 * the high half of its key's hash. */
typedef struct mssql_slot {
	int32_t idx;
	uint32_t tag;
} mssql_slot;

typedef struct mssql_table {
	char *src_db, *src_schema, *src_table; /* as the records name it */
	char *schema, *table;         /* target */
	char staging[32];             /* "#dbrepl_sN" */

	/* Shape, from the latest record that carried columns. */
	size_t ncols;
	char **names, **pgtypes;
	tsql_type *types;
	size_t nkeys;
	uint16_t *keys;
	/* What the producer did to each column (record.h "mask"), NULL when
	 * nothing: mssql-apply writes the values as they come, but a dead
	 * letter says it as the record did. */
	unsigned char *masks;
	uint64_t shape_id; /* record.h: a record of this shape_id has this shape */
	tsql_table view; /* the shape as tsql.h wants it */

	/* What is known of the target (kept across batches and reconnects). */
	bool exists;         /* catalog read and the table exists */
	/* Two columns of the shape whose names differ only in case, one
	 * column where names ignore case (mssql_table_set_shape): their
	 * indexes, or -1. */
	int case_twin[2];
	size_t ntcols;       /* its columns, from the catalog */
	char **tcols;
	char **ttypes;       /* their DATA_TYPE ("int", "nvarchar" …) */
	size_t tidentity;    /* its IDENTITY column: 1 + its index in tcols, 0: none */
	/* The target column of each of the shape's columns, its type as the
	 * catalog says (tsql_parse_sqltype): values must go into it unchanged
	 * (tsql_value_fits). NULL until the catalog was read for the shape. */
	tsql_type *ttarget;
	bool truncate_as_delete; /* TRUNCATE refused (4712): use DELETE */
	bool fk_known;       /* its foreign keys to and from the others were read */
	bool key_warned;     /* its text key compares without case: said once */
	/* Read once: it has CHECK or FOREIGN KEY constraints or triggers,
	 * which a bulk copy straight into it would skip. */
	bool bulk_checked, bulk_blocked;
	bool use_insert; /* this batch: snapshot rows into an empty table */
	/* This attempt: use_insert by a typed bulk copy straight into the
	 * target (its truncate, if any, went ahead of it); nstaged rows of it
	 * (empty strings) go through the staging table instead. */
	bool bulk_direct, truncated_early;
	size_t nstaged;
	/* Committed so far in this run: only snapshot rows of this stream,
	 * into a table that was empty (so its next batch may INSERT too). */
	const char *snap_stream;
	/* A batch with changes of it has been committed in this run. */
	bool committed_once;
	/* Per connection: the staging table exists with the current shape. */
	bool staging_ready, staging_shape_old, staging_dirty;

	/* Records of this table: in the current batch, and the series that
	 * counts those committed (metrics.h; NULL without --metrics). */
	uint64_t batch_records;
	struct metric *m_out;

	/* The current batch. */
	bool truncate;
	const char *trunc_stream; /* of the truncate record (caller's storage) */
	pos_offset trunc_offset;
	size_t order;  /* first appearance in the batch (apply order) */
	size_t n, cap; /* changes */
	mssql_change **ch;
	/* Where the batch's changes, their keys and old keys live: they all
	 * go at the commit, so one rewind frees them (a malloc and a free
	 * each cost more, with 50,000 of them, than the rest of the batch). */
	arena mem;
	buf keybuf; /* scratch for encoding a key */
	mssql_slot *slots; /* open-addressing hash of ch by key */
	size_t nslots;
	/* While it equals n (> 0), the changes are rows read or inserted in
	 * strictly increasing key order (mssql_batch.c: key_after), so no two
	 * share a key and none is in slots yet: a snapshot, which reads in key
	 * order, fills a batch of a table keyed by an integer or a uuid
	 * without hashing. Else 0: all are in slots. */
	size_t unhashed;
} mssql_table;

typedef struct mssql_tables {
	size_t n, cap;
	mssql_table **t;
	size_t next_staging;
	size_t bytes;   /* of the records held by the current batch */
	size_t touched; /* tables with changes or a truncate in the batch */
} mssql_tables;

void mssql_tables_init(mssql_tables *ts);
void mssql_tables_free(mssql_tables *ts);
/* Finds or adds the table of a record; dst_schema is the mapped schema. */
mssql_table *mssql_tables_get(mssql_tables *ts, const char *db, const char *schema,
			      const char *table, const char *dst_schema);
/* Tables touched by the current batch, in order of first appearance;
 * returns how many were written to out (at most ts->n). */
size_t mssql_tables_batch(const mssql_tables *ts, mssql_table **out);
/* Drops every pending change of every table. */
void mssql_tables_clear_batch(mssql_tables *ts);

/* True when r's columns (names and types, in order) differ from t's shape. */
bool mssql_table_shape_differs(mssql_table *t, const record *r);
/* Takes r's columns and key as t's shape (types by the type map, map's
 * --type-map entries first; clamp: --clamp-infinity); the staging table
 * must be made again. Only between batches for t (t->n == 0). 0 or -1
 * (ENOMEM). */
int mssql_table_set_shape(mssql_table *t, const record *r, const tsql_type_map *map, bool clamp);

/* Adds one record (op r/c/u/d/t) to the batch. 0; -1 with err when the
 * record is unusable (no key, a delete without before image …); -2 ENOMEM. */
int mssql_table_add(mssql_tables *ts, mssql_table *t, const record *r, uint64_t seq,
		    const char *stream, char *err, size_t errlen);
/* Removes one change (a record the target refused, with --dead-letter). */
void mssql_table_remove(mssql_table *t, size_t i);
/* Drops every change (and the truncate) that applied(ctx, stream, offset)
 * says the target holds already; returns how many went. */
size_t mssql_table_drop_applied(mssql_table *t, bool (*applied)(void *ctx, const char *stream, pos_offset off),
				void *ctx);

/* Counts of the current batch's changes by op. */
void mssql_table_counts(const mssql_table *t, size_t *upserts, size_t *deletes, size_t *reads);

/* The staged cells of a change (t->ncols of them), converted for the target
 * (tsql_stage_value); scratch holds t->ncols buffers. 0, or -1 with err. */
int mssql_change_cells(const mssql_table *t, const mssql_change *c, tsql_cell *cells, buf *scratch,
		       char *err, size_t errlen);

/* The staged cells of a change's old key (c->from, see above): its key
 * columns, every other cell NULL. 0, or -1 with err. */
int mssql_change_from_cells(const mssql_table *t, const mssql_change *c, tsql_cell *cells, buf *scratch,
			    char *err, size_t errlen);

/* Rebuilds a record from a change (for --dead-letter). 0 or -1. */
int mssql_change_record(const mssql_table *t, const mssql_change *c, record *out);

/* "k=1, name='x'": the key of a change, for messages. */
void mssql_change_key_text(const mssql_table *t, const mssql_change *c, char *out, size_t len);

#endif
