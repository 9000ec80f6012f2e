/* log.c — see log.h. */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef DBREPL_VERSION
#define DBREPL_VERSION "0.0.0"
#endif

const char *progname = "dbrepl";
int log_verbosity = 1;

void log_init(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
	progname = slash ? slash + 1 : (argv0 ? argv0 : "dbrepl");
}

static void vlog(const char *fmt, va_list ap)
{
	/* One fprintf per line so lines of concurrent stages do not interleave. */
	char line[4096];
	int n = vsnprintf(line, sizeof line, fmt, ap);
	if (n < 0)
		return;
	fprintf(stderr, "%s: %s\n", progname, line);
}

void log_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	if (log_verbosity < 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	if (log_verbosity < 2)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

_Noreturn void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	exit(code);
}

bool log_progress_default(void)
{
	return isatty(STDERR_FILENO);
}

void print_version(void)
{
	printf("%s %s\n", progname, DBREPL_VERSION);
}
