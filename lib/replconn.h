/* replconn.h — the client side of PostgreSQL's streaming replication
 * protocol for logical slots: connecting (replication=database, with the
 * session options producers need), slot commands, START_REPLICATION with
 * pgoutput, parsing the CopyData messages the walsender sends (XLogData,
 * primary keepalive) and sending standby status updates. No decoding of the
 * plugin's output (pgoutput.h does that) and no policy about positions. */
#ifndef DBREPL_REPLCONN_H
#define DBREPL_REPLCONN_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Connects with the user's conninfo (may be NULL: libpq defaults and
 * environment) plus options=PGVALUE_SESSION_OPTIONS (appended to any options
 * the user gave) and, when replication is true, replication=database.
 * Returns the connection (check PQstatus; PQfinish it either way), which
 * pgcancel_all() can then cancel. */
PGconn *replconn_connect(const char *conninfo, bool replication, const char *appname);

/* A slot name is what PostgreSQL accepts: [a-z0-9_], 1..63 bytes. */
bool replconn_slot_name_valid(const char *slot);

/* The SQLSTATE of a failed result ("" when the connection broke). */
const char *replconn_sqlstate(const PGresult *res);

/* Runs a replication command that returns rows or nothing. 0 on success,
 * -1 with err set (sqlstate, if given, receives the SQLSTATE or ""). */
int replconn_command(PGconn *c, const char *cmd, char *err, size_t errlen, char sqlstate[6]);

/* START_REPLICATION SLOT slot LOGICAL startpos with pgoutput protocol 1 and
 * the comma-separated publication list; with messages, pgoutput also sends
 * the messages of pg_logical_emit_message (PostgreSQL 14 and later).
 * 0 when in COPY BOTH mode. */
int replconn_start(PGconn *c, const char *slot, const char *publications, uint64_t startpos,
		   bool messages, char *err, size_t errlen, char sqlstate[6]);

typedef struct repl_msg {
	char kind;            /* 'w' XLogData, 'k' keepalive */
	uint64_t data_start;  /* w */
	uint64_t wal_end;     /* w, k */
	int64_t send_time;    /* µs since 2000-01-01 */
	bool reply_requested; /* k */
	const char *data;     /* w: the plugin's message */
	size_t len;
} repl_msg;

/* Parses one CopyData payload. 0, or -1 when malformed or unknown. */
int replconn_parse(const char *buf, size_t len, repl_msg *m);

/* Sends a standby status update: written = flushed = applied = lsn. 0 or -1. */
int replconn_send_status(PGconn *c, uint64_t lsn, bool reply_requested);

/* Sends CopyDone: the end of the client's side of START_REPLICATION's
 * COPY. 0 or -1. */
int replconn_copy_done(PGconn *c);

/* Waits until c (any libpq connection with a command out) has input, then
 * reads it (PQconsumeInput): 1; 0 when deadline (CLOCK_MONOTONIC, in ms)
 * passed or stop() (when given; asked at least every 100 ms) said so; -1
 * when the connection broke. */
int replconn_wait_input(PGconn *c, int64_t deadline, bool (*stop)(void));

/* After replconn_copy_done: reads and drops what the walsender still
 * sends until its CopyDone and the end of the command, for timeout_ms at
 * most, or until stop() (when given; asked at least every 100 ms) says
 * so. The walsender reads our messages in order, so its CopyDone means it
 * has taken every status update sent before ours. 1 once the command has
 * ended (closing then resets nothing); 0 when the time ran out or stop()
 * said so; -1 when the connection broke. A walsender in the middle of a
 * transaction reads nothing until that ends or its socket is full, which
 * this reading prevents: see pgcdc-read's settle(). */
int replconn_drain(PGconn *c, int timeout_ms, bool (*stop)(void));

/* Now, in µs since 2000-01-01 (the protocol's clock). */
int64_t replconn_now(void);

/* The connection's error message without its trailing newline. */
const char *replconn_error(PGconn *c, char *buf, size_t len);

#endif
