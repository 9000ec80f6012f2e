/* mssql_conn.h — one connection to SQL Server through FreeTDS db-lib
 * (TDS 7.4): login, running a T-SQL batch and reading its rows, bulk copy
 * into a table (bcp), and the last error in a form the caller can act on.
 * Counts round trips (every batch sent and answered, every bcp step). */
#ifndef DBREPL_MSSQL_CONN_H
#define DBREPL_MSSQL_CONN_H

#include "mssql_typed.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mssql_login {
	const char *server;   /* "host", "host:port" or a freetds.conf name */
	const char *user;
	const char *password; /* NULL: freetds.conf's */
	const char *database;
	const char *appname;
	bool encrypt;         /* require TLS */
	int login_timeout_s;
	int query_timeout_s;  /* 0: none */
} mssql_login;

/* mssql_error.number of a login that cannot work as configured (--encrypt
 * with a -S that is not host[:port]): no point retrying. */
#define MSSQL_ERR_CONFIG (-2)

typedef struct mssql_error {
	int number;   /* SQL Server message number, or db-lib's (20000+) */
	int severity;
	bool dead;    /* the connection is gone */
	bool timeout;
	bool interrupted; /* the wait was cancelled (mssql_set_interrupt) */
	char msg[1024];
} mssql_error;

typedef struct mssql_conn mssql_conn;

/* Once per process (dbinit and the handlers). */
int mssql_global_init(void);
void mssql_global_exit(void);

/* check is asked about once a second while a call waits for the server
 * (its answer, or room to send); true gives the wait up: the connection is
 * closed and the call fails with mssql_error.interrupted. NULL: never. */
void mssql_set_interrupt(bool (*check)(void));

/* NULL on failure, with the reason in *err. A login is not started once
 * the check above says stop (err->interrupted). */
mssql_conn *mssql_connect(const mssql_login *l, mssql_error *err);

/* True while mssql_connect waits for a login: a wait no check can end
 * (db-lib asks it only of the DBPROCESS a login makes), which a signal
 * handler has to end some other way. Async-signal-safe. */
bool mssql_login_waiting(void);
/* Removes what a login leaves while it waits (--encrypt's private
 * freetds.conf), for a handler about to _exit. Async-signal-safe. */
void mssql_login_abandon(void);
void mssql_close(mssql_conn *c);

/* Runs one batch; for each row of each result set calls cb (when not NULL)
 * with the row's values as text (NULL for SQL NULL). Returns 0, or -1 with
 * the first error in mssql_last_error(). */
typedef int (*mssql_row_cb)(void *ctx, int ncols, char **vals);
int mssql_exec(mssql_conn *c, const char *sql, mssql_row_cb cb, void *ctx);

/* A parameter of mssql_exec_rpc: a bigint, or a string (UTF-8, not
 * empty: db-lib sends a zero length as NULL). */
typedef struct mssql_param {
	const char *name; /* "@s1" */
	bool is_int;
	int64_t i;
	const char *text;
	size_t len;
} mssql_param;

/* Runs sql (its text constant: SQL Server caches its plan by it) as an
 * RPC of sp_executesql, with the parameters declared by decl ("@s1
 * nvarchar(450), @n bigint"; NULL for none) and given in params. Rows and
 * errors as mssql_exec. */
int mssql_exec_rpc(mssql_conn *c, const char *sql, const char *decl, size_t nparams, const mssql_param *params,
		   mssql_row_cb cb, void *ctx);

/* Typed bulk copy into a table ("[s].[t]", "#dbrepl_s1") of ncols columns:
 * hosts[i] is the host type of the table's i-th column (the caller keeps
 * the array until mssql_bcp_end), hint one "insert bulk" hint or NULL
 * (FreeTDS 1.3 passes only the first of a list). Each row gives ncols
 * values in table column order; a string or varbinary value must not be
 * empty (db-lib sends a zero length as NULL). */
int mssql_bcp_begin_typed(mssql_conn *c, const char *table, size_t ncols, const mssql_host *hosts,
			  const char *hint);
int mssql_bcp_row_typed(mssql_conn *c, const mssql_typed *vals);
/* Ends a bulk copy: the number of rows copied, or -1. */
long mssql_bcp_end(mssql_conn *c);

const mssql_error *mssql_last_error(const mssql_conn *c);
bool mssql_dead(const mssql_conn *c);
uint64_t mssql_round_trips(const mssql_conn *c);

#endif
