/* pgcancel.h — cancelling, from a signal handler, what the process's
 * PostgreSQL connections wait for. A program registers each connection
 * (replconn_connect does); pgcancel_all() then sends every one's backend a
 * cancel request (PQcancel, which a handler may call). A statement waiting
 * for a lock or for a slot's snapshot then fails ("canceling statement due
 * to user request"), where libpq would wait on whatever the signals. */
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

/* Async-signal-safe: sends the cancel requests, when armed, and notes it. */
void pgcancel_all(void);

/* Whether pgcancel_all() sent the requests: a failure since may be the
 * cancel's. */
bool pgcancel_sent(void);

#endif
