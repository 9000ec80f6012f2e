/* copytext.h — rows of PostgreSQL's COPY text format (COPY … TO STDOUT
 * without options): fields separated by a tab, "\N" for NULL, and backslash
 * escapes \b \f \n \r \t \v \\, \ooo (octal, 1 to 3 digits), \xhh (hex,
 * 1 or 2 digits), and a backslash before any other byte standing for that
 * byte. Owns splitting one row into fields and decoding the escapes.
 *
 * Decoding happens in place: a decoded field is never longer than its
 * encoded form, so each field is rewritten over its own bytes and
 * NUL-terminated where its delimiter was. No memory is allocated. */
#ifndef DBREPL_COPYTEXT_H
#define DBREPL_COPYTEXT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct copytext_field {
	char *data; /* NUL-terminated, inside the row; "" for NULL */
	size_t len;
	bool null;
} copytext_field;

/* Splits row[0..len) — one row, with or without its trailing '\n' — into at
 * most max fields. row[len] must be writable (libpq's PQgetCopyData buffers
 * are NUL-terminated, so it is). Returns the number of fields, or -1 when the
 * row holds more than max fields or ends in a lone backslash. An empty row is
 * one empty field, as PostgreSQL reads it (a table without columns prints
 * empty rows; the caller knows that case). */
int copytext_split(char *row, size_t len, copytext_field *f, size_t max);

#endif
