/* peer.h — shared declarations of the TDS 7.4 test peer (tds-server).
 *
 * The peer speaks enough MS-TDS for FreeTDS (tsql, bsqldb, db-lib incl. bcp)
 * and runs a documented T-SQL subset (SUBSET.md) on a PostgreSQL database.
 * Modules: tds_wire.c (packets, tokens, UTF-16), tsql_translate.c (tokenizer
 * and translation), pgexec.c (batches, results, errors, faults), bulk.c
 * (BULK_LOAD → COPY), bulk_value.c (values → COPY text or binary),
 * session.c (prelogin, login, message loop), main.c.
 */
#ifndef TDS_PEER_H
#define TDS_PEER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <libpq-fe.h>

/* ---- growable string ---- */
typedef struct {
	char *p;
	size_t n, cap;
} sbuf;

void sb_init(sbuf *b);
void sb_free(sbuf *b);
void sb_reset(sbuf *b);
void sb_grow(sbuf *b, size_t extra);
void sb_putn(sbuf *b, const char *s, size_t n);
void sb_puts(sbuf *b, const char *s);
void sb_putc(sbuf *b, char c);
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *sb_take(sbuf *b); /* returns the NUL-terminated string, resets b */

/* ---- wire (tds_wire.c) ---- */
enum {
	PKT_SQL = 1, PKT_RPC = 3, PKT_REPLY = 4, PKT_ATTN = 6, PKT_BULK = 7,
	PKT_TM = 14, PKT_LOGIN7 = 16, PKT_PRELOGIN = 18
};

enum {
	TOK_COLMETA = 0x81, TOK_ERROR = 0xAA, TOK_INFO = 0xAB, TOK_LOGINACK = 0xAD,
	TOK_ROW = 0xD1, TOK_NBCROW = 0xD2, TOK_ENVCHANGE = 0xE3, TOK_DONE = 0xFD,
	TOK_DONEPROC = 0xFE, TOK_DONEINPROC = 0xFF
};

enum {
	DONE_FINAL = 0, DONE_MORE = 0x1, DONE_ERROR = 0x2, DONE_INXACT = 0x4,
	DONE_COUNT = 0x10, DONE_ATTN = 0x20
};

/* TDS data types the peer reads or writes */
enum {
	TT_INT1 = 0x30, TT_BIT = 0x32, TT_INT2 = 0x34, TT_INT4 = 0x38,
	TT_FLT4 = 0x3B, TT_FLT8 = 0x3E, TT_INT8 = 0x7F,
	TT_GUID = 0x24, TT_INTN = 0x26, TT_DATE = 0x28, TT_TIME = 0x29,
	TT_DATETIME2 = 0x2A, TT_DTOFFSET = 0x2B, TT_BITN = 0x68,
	TT_DECIMALN = 0x6A, TT_NUMERICN = 0x6C, TT_FLTN = 0x6D,
	TT_MONEY = 0x3C, TT_MONEY4 = 0x7A, TT_MONEYN = 0x6E,
	TT_BIGVARBIN = 0xA5, TT_BIGVARCHR = 0xA7, TT_BIGBINARY = 0xAD,
	TT_BIGCHAR = 0xAF, TT_NVARCHAR = 0xE7, TT_NCHAR = 0xEF,
	TT_TEXT = 0x23, TT_IMAGE = 0x22, TT_NTEXT = 0x63
};

typedef struct tds_conn {
	int fd;
	/* input: buffered socket, then packets of one message */
	uint8_t rbuf[65536];
	size_t rpos, rlen;
	size_t pkt_left;    /* payload bytes left in the current packet */
	int pkt_last;       /* current packet is the last of its message */
	int msg_type;
	int dead;           /* peer closed or I/O failed */
	/* output */
	uint8_t *obuf;
	size_t opos, pktsize;
	uint8_t pkt_id;
	int discard;        /* fault drop-after: execute but answer nothing */
} tds_conn;

void tds_conn_init(tds_conn *c, int fd);
void tds_conn_free(tds_conn *c);
void tds_set_packet_size(tds_conn *c, size_t n);
int tds_next_message(tds_conn *c);            /* type, or -1 on EOF */
int tds_read(tds_conn *c, void *dst, size_t n); /* 0, or -1 at message end / EOF */
int tds_msg_end(tds_conn *c);
void tds_skip_message(tds_conn *c);
uint8_t *tds_read_message(tds_conn *c, size_t *len, size_t limit);
int tds_input_pending(tds_conn *c, int timeout_ms);

void tds_put(tds_conn *c, const void *p, size_t n);
void tds_put_u8(tds_conn *c, uint8_t v);
void tds_put_u16(tds_conn *c, uint16_t v);
void tds_put_u32(tds_conn *c, uint32_t v);
void tds_put_u64(tds_conn *c, uint64_t v);
void tds_put_bvarchar(tds_conn *c, const char *utf8);
void tds_put_usvarchar(tds_conn *c, const char *utf8);
void tds_reply_end(tds_conn *c);

void tds_put_done(tds_conn *c, uint8_t token, uint16_t status, uint16_t cmd, uint64_t rows);
void tds_put_msg(tds_conn *c, uint8_t token, int32_t number, uint8_t state, uint8_t cls,
		 const char *msg, int line);
void tds_put_envchange_str(tds_conn *c, uint8_t type, const char *newv, const char *oldv);

extern const uint8_t tds_collation[5];

/* little-endian loads */
static inline uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t le64(const uint8_t *b) { return (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32; }

/* UTF-8 <-> UTF-16LE; out sizes: 2*n, and n*3/2+4 */
size_t utf8_to_utf16le(const char *s, size_t n, uint8_t *out);
size_t utf16le_to_utf8(const uint8_t *in, size_t nbytes, char *out);

/* The UTF-8 of u, a UTF-16 unit above ASCII just read from b, whose
 * units go on at b[*i] up to b[n]: a high surrogate takes the low one
 * there (and *i moves past it). An unpaired surrogate, which PostgreSQL
 * cannot store, becomes U+FFFD. Writes at most 4 bytes at w (3 per unit
 * read) and returns the end. The three converters (tds_wire.c and the two
 * of bulk_value.c) differ only in what they do with ASCII. */
static inline char *utf16_unit_to_utf8(char *w, uint32_t u, const uint8_t *b, size_t *i, size_t n)
{
	if (u >= 0xD800 && u <= 0xDBFF) {
		uint32_t l = *i + 1 < n ? (b[*i] | (uint32_t)b[*i + 1] << 8) : 0;
		if (l >= 0xDC00 && l <= 0xDFFF) {
			u = 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00);
			*i += 2;
		} else {
			u = 0xFFFD;
		}
	} else if (u >= 0xDC00 && u <= 0xDFFF) {
		u = 0xFFFD;
	}
	if (u < 0x800) {
		*w++ = (char)(0xC0 | (u >> 6));
		*w++ = (char)(0x80 | (u & 0x3F));
	} else if (u < 0x10000) {
		*w++ = (char)(0xE0 | (u >> 12));
		*w++ = (char)(0x80 | ((u >> 6) & 0x3F));
		*w++ = (char)(0x80 | (u & 0x3F));
	} else {
		*w++ = (char)(0xF0 | (u >> 18));
		*w++ = (char)(0x80 | ((u >> 12) & 0x3F));
		*w++ = (char)(0x80 | ((u >> 6) & 0x3F));
		*w++ = (char)(0x80 | (u & 0x3F));
	}
	return w;
}

/* ---- collations (tsql_translate.c) ----
 * SQL Server's collations the peer knows, each a PostgreSQL collation of
 * the same name (created at start): CI as ICU level 2, CS as level 3 (both
 * nondeterministic, so a unique key and = compare as SQL Server's do), AI
 * as level 1, BIN and BIN2 as "C" (code points). Text columns are bpchar,
 * whose = and unique keys ignore trailing spaces, as SQL Server's do for
 * every collation (it pads the shorter string). */
#define PEER_SERVER_COLLATION "SQL_Latin1_General_CP1_CI_AS"
/* The known name matching name (any case), or NULL. */
const char *peer_collation(const char *name);
/* CREATE COLLATION statements for all of them. */
void peer_collations_sql(sbuf *out);

/* ---- languages (session.c) ----
 * The language LOGIN7 names (FreeTDS: freetds.conf's "language", by
 * default us_english) sets the session's DATEFORMAT, sp_helplanguage's
 * dateformat of that language: the order in which datetime and
 * smalldatetime read the month and the day of 'yyyy-mm-dd hh:mm:ss'
 * (tds_catalog.assign, which reads it from the PostgreSQL setting
 * tds.dateformat). Only that is emulated of a language. */
#define PEER_DEFAULT_LANGUAGE "us_english"
/* Its date order ("mdy", "dmy", "ymd"), or NULL when the peer does not
 * know the language (any case). */
const char *peer_language_dateformat(const char *name);

/* ---- options shared by every session (main.c) ---- */
struct peer_opts {
	const char *pg;
	const char *db_collation; /* the database's default collation */
	const char *password;     /* a login's password must be this (NULL: any) */
	const char *language;     /* --language: every session's, not the login's */
	int drop_after, deadlock_at, delay_ms, login_delay_ms;
	FILE *log;
	long *commit_batches; /* shared between forked children */
};

void peer_log(const struct peer_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- translation (tsql_translate.c) ---- */
enum stmt_kind {
	ST_SET, ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_SQL, ST_SELECT, ST_USE, ST_BULK, ST_IF_THROW, ST_EXECUTESQL
};

/* IF @@ROWCOUNT <op> N THROW ...: the comparison */
enum if_op { IF_EQ, IF_NE, IF_LT, IF_LE, IF_GT, IF_GE };

enum set_opt { SO_OTHER, SO_NOCOUNT, SO_FMTONLY, SO_XACT_ABORT, SO_IDENTITY_INSERT, SO_DATEFORMAT };

struct stmt {
	enum stmt_kind kind;
	char *sql;   /* PostgreSQL text (ST_SQL, ST_SELECT) */
	char *tsql;  /* its T-SQL (ST_SQL, ST_SELECT): collations are checked on it before it runs */
	char *name;  /* ST_USE database; ST_BULK table; ST_SELECT table of "SELECT * FROM t";
		      * ST_IF_THROW the message */
	int set_opt, set_on;
	int if_op;          /* ST_IF_THROW: @@ROWCOUNT <if_op> if_value throws throw_number */
	long long if_value;
	int throw_number;
	uint16_t cmd; /* TDS curcmd for DONE */
	int single;   /* ST_SQL: one PostgreSQL statement that returns no rows */
	int temp_truncate; /* ST_SQL: TRUNCATE TABLE #temp, run as "DELETE FROM #temp" */
	int keepidentity;  /* ST_BULK: "with (…, KEEPIDENTITY)" */
	int check_constraints, fire_triggers; /* ST_BULK: those hints */
	/* ST_SQL: an INSERT, or a MERGE's THEN INSERT, into the table SET
	 * IDENTITY_INSERT is ON for (it gets OVERRIDING SYSTEM VALUE): that
	 * table as PostgreSQL names it, and the n names of its column list,
	 * each ending in a NUL. SQL Server refuses such an INSERT that leaves
	 * out the IDENTITY column (545), where PostgreSQL would fill it from
	 * its sequence: checked before it runs (pgexec.c). */
	char *ident_table, *ident_cols;
	size_t nident_cols;
	/* ST_SQL: an INSERT without a column list (INSERT [INTO] t VALUES
	 * (…) or … SELECT): t as PostgreSQL names it, the number of values
	 * of its first row (-1: a SELECT), and whether IDENTITY_INSERT is ON
	 * for t. SQL Server refuses it (8101) when t has an IDENTITY column
	 * and either IDENTITY_INSERT is ON for t or the row has a value for
	 * every column: checked before it runs (pgexec.c). */
	char *nolist_table;
	int nolist_values, nolist_on;
	/* ST_EXECUTESQL: EXEC sp_executesql N'stmt' (in sql), N'decl',
	 * @name = value …: the statement run with its parameters, as the
	 * RPC runs it (rpc.c) */
	struct rpc_param *params;
	size_t nparams;
};

/* what the translation of TRUNCATE TABLE t ends with */
#define TRUNCATE_RESTART "RESTART IDENTITY"

struct batch {
	struct stmt *v;
	size_t n, cap;
	int has_commit;
};

/* A parameter of an RPC (sp_executesql) with its value: NULL, a number
 * (as its text), or a string (UTF-8). */
struct rpc_param {
	char name[130]; /* "@name" */
	int is_null, is_number;
	char *text;
};

struct xlate_ctx {
	int trancount;
	long long rowcount;
	int spid;
	/* The table SET IDENTITY_INSERT is ON for in the session, as
	 * PostgreSQL names it ("s"."t"), or "": INSERT and MERGE into it get
	 * OVERRIDING SYSTEM VALUE. */
	const char *identity_insert;
	/* Collation of a text column created without COLLATE: the database's,
	 * or the server's (tempdb's) for a #temp table. */
	const char *db_collation;
	/* An RPC's parameters: @name in the statement is its value, as a
	 * literal (a variable not among them is 137, as without). */
	const struct rpc_param *params;
	size_t nparams;
};

struct xlate_err {
	int number;
	char msg[512];
};

int tsql_translate(const char *sql, const struct xlate_ctx *ctx, struct batch *b,
		   struct xlate_err *e);
void batch_free(struct batch *b);

/* Column collations for tsql_collation_check: the collation of column col
 * of table (its PostgreSQL name) into coll and 1; 0 for a column that is
 * not a string; -1 when not known (no such table or column). */
struct coll_lookup {
	int (*column)(void *arg, const char *table, const char *col, char *coll, size_t cap);
	void *arg;
};

/* SQL Server's compile-time collation errors of one statement (468 for a
 * comparison across collations, 446 for a compared operand without one,
 * 451 for a select-list column without one): -1 with e set, or 0. */
int tsql_collation_check(const char *sql, const struct xlate_ctx *ctx, const struct coll_lookup *lk,
			 struct xlate_err *e);

/* ---- column descriptions (pgexec.c) ---- */
struct tcol {
	uint8_t type;
	uint32_t maxlen; /* type-info length; 0xFFFF for PLP nvarchar/varbinary */
	uint8_t prec, scale;
	int plp;
	int nullable;
	char *name;
};

int mstype_to_tcol(const char *mstype, struct tcol *tc);
void tds_put_colmeta(tds_conn *c, const struct tcol *cols, int n);

/* ---- bulk load values (bulk_value.c) ---- */

/* How a column's values go into a binary COPY (BE_NONE: no binary form). */
enum benc {
	BE_NONE, BE_BOOL, BE_INT2, BE_INT4, BE_INT8, BE_FLT4, BE_FLT8, BE_NUMERIC,
	BE_DATE, BE_TIME, BE_TS, BE_UUID, BE_BYTEA, BE_TEXT,
	BE_BINARY_N /* BE_BYTEA into binary(n): padded to pad_to */
};

/* A column of a BULK_LOAD, as its COLMETADATA describes it. */
struct bcol {
	uint8_t type;
	uint32_t maxlen;
	uint8_t prec, scale;
	int plp;
	enum benc enc;
	uint32_t pad_to; /* binary(n): a shorter value padded with zero bytes to n */
	char name[256];
};

/* The OID of tds_catalog.varbinary, the peer's varbinary and binary
 * (main.c makes it at startup; bytea's bytes, SQL Server's comparison). */
extern uint32_t peer_varbinary_oid;

enum benc bulk_binary_form(const struct bcol *bc, uint32_t pgtype);
int bulk_text_value(sbuf *o, const struct bcol *bc, const uint8_t *v, size_t n);
int bulk_binary_value(sbuf *o, const struct bcol *bc, const uint8_t *v, size_t n);
void bulk_binary_row(sbuf *o, int ncols);
extern const char bulk_binary_header[19];

/* ---- session (session.c, pgexec.c, bulk.c) ---- */

/* A column of a PostgreSQL table and its type (bulk.c: binary COPY). */
struct pg_attr {
	char name[64];
	uint32_t oid;
	int typmod;
};

typedef struct session {
	tds_conn *c;
	PGconn *pg;
	const struct peer_opts *o;
	int nocount, fmtonly, xact_abort;
	int trancount;
	long long rowcount;
	unsigned long temp_truncates; /* TRUNCATE TABLE #temp so far */
	char dbname[512];
	/* the PostgreSQL role of the login (a role of its name that is not a
	 * superuser: SET ROLE at login), or "" for the peer's own user: a
	 * test grants and revokes privileges on it as on a SQL Server login */
	char role[128];
	/* the statement PostgreSQL runs (its T-SQL, or PostgreSQL's text of
	 * DDL kept without it; "INSERT BULK" for a bulk load): what
	 * send_pg_error names an insufficient_privilege refusal after */
	const char *running;
	char *bulk_target; /* from "insert bulk X", consumed by the next BULK_LOAD */
	int bulk_keepidentity; /* its hints had KEEPIDENTITY */
	int bulk_check_constraints, bulk_fire_triggers; /* and these */
	char identity_insert[600]; /* SET IDENTITY_INSERT … ON: xlate_ctx */
	/* columns of the table FMTONLY described last, kept for the bulk load
	 * that follows (bulk_meta_keep); any other statement drops them */
	char *meta_table;
	struct pg_attr *meta;
	int meta_n;
	int in_rpc; /* answering an RPC: statements end in DONEINPROC */
	/* What the client did while a request ran (pg_result): an ATTENTION
	 * came (1; 2 once answered with DONE_ATTN), the running statement was
	 * sent a cancel, a message other than an ATTENTION came and waits for
	 * the request to end. Reset for each request. */
	int attention, cancelled, input_queued;
	int pending_drop; /* the drop-after fault fired in an EXEC sp_executesql */
	/* DONE of the previous statement, sent once we know whether more follows */
	int done_pending;
	uint16_t done_status, done_cmd;
	uint64_t done_rows;
} session;

/* Settings of every PostgreSQL session behind a TDS connection. */
#define PEER_SESSION_SETUP \
	"SET client_encoding TO 'UTF8'; SET DateStyle TO 'ISO, YMD'; " \
	"SET TimeZone TO 'UTC'; SET client_min_messages TO 'error'; " \
	"SET enable_hashjoin TO off; SET enable_mergejoin TO off"

void session_run(int fd, const struct peer_opts *o, PGconn *pg);
/* Reads a request message (a SQL batch or an RPC): the message, *off past
 * its ALL_HEADERS; NULL when the connection died or, answered with an
 * error naming what, it was too large. */
uint8_t *read_request(session *s, size_t *len, size_t *off, const char *what);
void handle_batch(session *s);
void handle_rpc(session *s);
void drop_connection(session *s);
int run_tsql(session *s, const char *sql, const struct rpc_param *params, size_t nparams, int *drop);
void handle_bulk(session *s);
void bulk_meta_keep(session *s, const char *table, const PGresult *r, int name_col, int oid_col, int typmod_col);
void bulk_meta_drop(session *s);
int reply_delay(session *s);
void send_pg_error(session *s, const PGresult *r, const char *fallback);
/* After sp_executesql ran without an error: 266 (answered, -1) when it
 * left another transaction count than it found (before), as SQL Server
 * checks on leaving any procedure; else 0. */
int executesql_trancount(session *s, int before);
void sess_error(session *s, int number, int cls, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void queue_done(session *s, uint16_t status, uint16_t cmd, uint64_t rows);
void flush_done(session *s, int more);
int pg_rollback_if_needed(session *s);
/* PostgreSQL's next result of the statement sent (PQgetResult), watching
 * the TDS client while PostgreSQL works: an ATTENTION (at a message
 * boundary) cancels the statement and sets s->attention; a connection
 * closed or broken cancels it and sets c->dead. */
PGresult *pg_result(session *s);
/* PQexec through pg_result: the first error, else the last result; stops
 * at COPY IN/OUT as PQexec does. */
PGresult *pg_exec(session *s, const char *sql);
/* After an ATTENTION cancelled the request (s->attention 1): the
 * transaction rolled back, what was queued dropped, DONE_ATTN sent. */
void attention_answer(session *s);

#endif
