/* cli.h — parsing of the numeric values programs take on their command line
 * (counts, milliseconds, ports), one way for all: decimal only, the whole
 * string, inside a range. The message is each program's own. */
#ifndef DBREPL_CLI_H
#define DBREPL_CLI_H

/* 0 and *out = the value when s is a decimal integer in [min, max] with
 * nothing after it; -1 otherwise (*out untouched). */
int cli_parse_int(const char *s, long long min, long long max, long long *out);

#endif
