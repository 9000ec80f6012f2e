/* log.h — diagnostics on stderr in the one shape every dbrepl program uses:
 * "program: what failed (context)". Owns the program name and the
 * --progress decision (on by default when stderr is a terminal). */
#ifndef DBREPL_LOG_H
#define DBREPL_LOG_H

#include <stdarg.h>
#include <stdbool.h>

extern const char *progname;

void log_init(const char *argv0);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints like log_error, then exits with a sysexits.h code. */
_Noreturn void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Verbosity: 0 quiet, 1 normal (errors, warnings), 2+ debug (-v). */
extern int log_verbosity;
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* True when progress lines should be printed by default (stderr is a tty). */
bool log_progress_default(void);

/* Prints "NAME VERSION" as --version does. */
void print_version(void);

#endif
