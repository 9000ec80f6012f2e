/* pgcancel.h — cancelling, from a signal handler, what the process's
 * PostgreSQL connections wait for. A program registers each connection
 * (replconn_connect does); pgcancel_all() then has a thread of this module
 * send every one's backend a cancel request (PQcancel, a connection of its
 * own, which may take long: not in the handler). A statement waiting for a
 * lock or for a slot's snapshot then fails with SQLSTATE 57014 ("canceling
 * statement due to user request"), where libpq would wait on whatever the
 * signals. */
#ifndef DBREPL_PGCANCEL_H
#define DBREPL_PGCANCEL_H

#include <libpq-fe.h>
#include <stdbool.h>

/* Keeps c's cancel handle. It outlives c: a cancel request for a backend
 * that has gone does nothing (its key matches no other). The oldest of
 * many is let go. */
void pgcancel_register(PGconn *c);

/* Whether pgcancel_all() sends anything (default true). A program whose
 * replication connection streams clears it then: a cancel would end the
 * stream rather than a wait. */
void pgcancel_arm(bool on);

/* Async-signal-safe: asks for the cancel requests, when armed, and notes
 * it; the thread sends them. */
void pgcancel_all(void);

/* How long after a stop's first signal the waits are cancelled: a
 * statement still waiting then (a lock, a slot) is not a drain. */
#define PGCANCEL_GRACE_S 10

/* For a program's SIGINT/SIGTERM handler, at its nth stop signal: the
 * first sets an alarm that calls pgcancel_all() PGCANCEL_GRACE_S later, a
 * later one calls it now. Async-signal-safe. */
void pgcancel_on_stop_signal(int nth);

/* Installs the SIGALRM handler pgcancel_on_stop_signal relies on. */
void pgcancel_catch_alarm(void);

/* Whether pgcancel_all() asked for them: a failure since with SQLSTATE
 * 57014 is the cancel's. */
bool pgcancel_asked(void);

#endif
