/* cli.h — parsing of the values programs take on their command line
 * (counts, milliseconds, ports: decimal only, the whole string, inside a
 * range; SQL names as PostgreSQL reads them), one way for all. The message
 * is each program's own. */
#ifndef DBREPL_CLI_H
#define DBREPL_CLI_H

/* 0 and *out = the value when s is a decimal integer in [min, max] with
 * nothing after it; -1 otherwise (*out untouched). */
int cli_parse_int(const char *s, long long min, long long max, long long *out);

/* One SQL identifier at *s, as PostgreSQL reads it: quoted with "" for a
 * quote inside, or unquoted and folded to lower case, up to the next '.'
 * or the end; at most 63 bytes. A malloc'd name with *s moved past it, or
 * NULL (bad syntax, or out of memory). */
char *cli_parse_ident(const char **s);

#endif
