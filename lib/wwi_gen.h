/* wwi_gen.h — the pure part of wwi-gen: a seeded PRNG, the catalog of the
 * WideWorldImporters tables (examples/wwi/schema.sql) and of the statements
 * the load generator sends, the deterministic reference rows of the initial
 * load, and the business transactions of the live load, all as text values
 * ready for COPY or for prepared statements. No I/O happens here, so the unit
 * tests can check every generated row against the schema. */
#ifndef DBREPL_WWI_GEN_H
#define DBREPL_WWI_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* splitmix64: tiny, seedable, and the same on every platform. */
typedef struct wwi_rng {
	uint64_t s;
} wwi_rng;

void wwi_rng_seed(wwi_rng *r, uint64_t seed);
uint64_t wwi_rng_next(wwi_rng *r);
/* Uniform in [lo, hi], both included; lo when hi < lo. */
int64_t wwi_rng_range(wwi_rng *r, int64_t lo, int64_t hi);
/* True with probability permille / 1000. */
bool wwi_rng_chance(wwi_rng *r, int permille);

/* The tables, in creation (foreign-key) order. */
enum wwi_table {
	WWI_PEOPLE,
	WWI_COUNTRIES,
	WWI_STATE_PROVINCES,
	WWI_CITIES,
	WWI_DELIVERY_METHODS,
	WWI_PAYMENT_METHODS,
	WWI_TRANSACTION_TYPES,
	WWI_SYSTEM_PARAMETERS,
	WWI_SUPPLIER_CATEGORIES,
	WWI_SUPPLIERS,
	WWI_CUSTOMER_CATEGORIES,
	WWI_BUYING_GROUPS,
	WWI_CUSTOMERS,
	WWI_COLORS,
	WWI_PACKAGE_TYPES,
	WWI_STOCK_GROUPS,
	WWI_STOCK_ITEMS,
	WWI_STOCK_ITEM_HOLDINGS,
	WWI_STOCK_ITEM_STOCK_GROUPS,
	WWI_PURCHASE_ORDERS,
	WWI_PURCHASE_ORDER_LINES,
	WWI_SUPPLIER_TRANSACTIONS,
	WWI_SPECIAL_DEALS,
	WWI_ORDERS,
	WWI_ORDER_LINES,
	WWI_INVOICES,
	WWI_INVOICE_LINES,
	WWI_CUSTOMER_TRANSACTIONS,
	WWI_STOCK_ITEM_TRANSACTIONS,
	WWI_VEHICLE_TEMPERATURES,
	WWI_COLD_ROOM_TEMPERATURES,
	WWI_NTABLES
};

#define WWI_MAX_COLS 32

typedef struct wwi_table_def {
	const char *qname;                 /* "schema.table" */
	const char *key;                   /* the single-column primary key */
	bool reference;                    /* loaded by COPY at start */
	int ncols;
	const char *cols[WWI_MAX_COLS];
} wwi_table_def;

extern const wwi_table_def wwi_tables[WWI_NTABLES];

/* Statements: kind < WWI_NTABLES is "INSERT INTO that table, every column";
 * the others are the updates and deletes below. */
enum wwi_stmt_kind {
	WWI_UPD_HOLDING = WWI_NTABLES,
	WWI_UPD_HOLDING_COST,
	WWI_PICK_ORDER,
	WWI_PICK_ORDER_LINES,
	WWI_DEL_ORDER_LINE,
	WWI_TOUCH_ORDER,
	WWI_RECEIVE_PO_LINES,
	WWI_FINALIZE_PO,
	WWI_FINALIZE_CT,
	WWI_CREDIT,
	WWI_DELIVERY_DATA,
	WWI_INVOICE_COMMENT,
	WWI_DEL_COLD,
	WWI_STOCKTAKE,
	WWI_COLD_BATCH,
	WWI_NSTMTS
};

int wwi_stmt_table(int kind);
int wwi_stmt_nparams(int kind);
/* The column parameter i is stored in or compared with, "" when it is
 * neither (a delta, a row count). */
const char *wwi_stmt_param_col(int kind, int i);
/* Appends the SQL text (with $n parameters) of the statement; 0 or -1. */
int wwi_stmt_sql(int kind, buf *out);
/* Writes "wwi_<kind>", the prepared statement's name, into out. */
void wwi_stmt_name(int kind, char out[16]);

#define WWI_MAX_STMTS 64

typedef struct wwi_stmt {
	int kind;
	int nparams;
	int off[WWI_MAX_COLS]; /* into tx->data (NUL-terminated), -1 = NULL */
	int len[WWI_MAX_COLS];
} wwi_stmt;

/* One database transaction: statements with their text parameters. */
typedef struct wwi_tx {
	const char *label; /* what business event it is */
	int nstmts;
	wwi_stmt stmts[WWI_MAX_STMTS];
	buf data;
	bool failed; /* a value did not fit (memory ceiling) or too many statements */
} wwi_tx;

void wwi_tx_init(wwi_tx *tx);
void wwi_tx_reset(wwi_tx *tx);
void wwi_tx_free(wwi_tx *tx);
/* Points vals[] (and lens[]) at statement i's values; NULL for SQL NULL. */
void wwi_tx_params(const wwi_tx *tx, int i, const char **vals, int *lens);
/* Appends statement i as one line of COPY text format (insert statements). */
int wwi_tx_copy_line(const wwi_tx *tx, int i, buf *out);

#define WWI_RING 1024

/* What the generator knows of the database: every table's keys are dense,
 * 1..max_id, except cold-room readings, deleted from the oldest up, and order
 * lines, deleted through the ring below. Only rows known to exist are ever
 * referenced. */
typedef struct wwi_world {
	uint64_t seed;
	int scale;
	int64_t max_id[WWI_NTABLES];
	int64_t min_cold;        /* oldest cold-room reading not yet deleted */
	uint64_t ntx;            /* transactions generated so far */
	int64_t toast_invoice;   /* an invoice holding a large delivery record, 0 none */
	bool history;            /* generating the initial history: no bulk events */

	/* recent order lines that may be deleted (each at most once):
	 * {order_line_id, order_id} */
	int64_t del_lines[WWI_RING][2];
	int ndel_lines, del_head;

	/* orders not yet invoiced */
	struct wwi_open_order {
		int64_t order_id, customer_id;
		int nlines;
		int64_t stock[5];
		int qty[5];
	} orders[WWI_RING];
	int norders, orders_head;

	/* purchase orders not yet received */
	struct wwi_open_po {
		int64_t po_id, supplier_id;
		int nlines;
		int64_t stock[4];
		int outers[4];
	} pos[WWI_RING];
	int npos, pos_head;

	wwi_rng rng; /* the live stream */
} wwi_world;

/* Fixed sizes of the reference data. */
#define WWI_EMPLOYEES 20     /* people 2..21 are staff */
#define WWI_SALESPEOPLE 10   /* people 2..11 sell */

/* A new database: reference tables sized for scale, nothing else yet. */
void wwi_world_init(wwi_world *w, uint64_t seed, int scale);
/* An existing database: max_id[] as found there, min_cold its oldest reading. */
void wwi_world_resume(wwi_world *w, uint64_t seed, int scale,
                      const int64_t max_id[WWI_NTABLES], int64_t min_cold);

/* Rows of a reference table at this world's scale. */
int64_t wwi_ref_count(const wwi_world *w, int table);
/* Appends the insert of reference row i (1-based) of table to tx. The row
 * depends only on (seed, scale, table, i). */
void wwi_ref_row(const wwi_world *w, int table, int64_t i, wwi_tx *tx);

/* Transactions of the initial history, made before the live load. */
int64_t wwi_history_count(const wwi_world *w);
/* 2013-01-01 00:00 UTC: the clock of the history. */
#define WWI_HISTORY_START_US INT64_C(1356998400000000)

/* About how many rows tx changes (multi-row updates estimated from w), to
 * pace a load by changes rather than by transactions. */
int64_t wwi_tx_rows(const wwi_world *w, const wwi_tx *tx);

/* Builds the next business transaction at time now_us (microseconds since
 * 1970-01-01 UTC) into tx (reset first) and records its effects in w. */
void wwi_next_tx(wwi_world *w, int64_t now_us, wwi_tx *tx);

/* Every this many live transactions a bulk one (stock-take of every holding
 * plus a batch of cold-room readings), the first at WWI_BULK_FIRST; likewise
 * a delivery record over 8 kB (TOASTed). */
#define WWI_BULK_EVERY 5000
#define WWI_BULK_FIRST 100
#define WWI_BULK_READINGS 2000
#define WWI_LARGE_EVERY 500
#define WWI_LARGE_FIRST 20

/* The schema, the same text as examples/wwi/schema.sql. */
extern const char wwi_schema_sql[];

#endif
