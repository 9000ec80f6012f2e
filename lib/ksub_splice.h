/* ksub_splice.h — ksub's fast path for JSON: a record that came as one
 * JSON object gets its top-level "pos" member's value replaced in place,
 * without decoding and encoding every value again.
 *
 * The caller must have decoded the same bytes as a record first (that is
 * the validation); this only finds where "pos" is. Whatever it is not sure
 * of — no "pos" member, a key written with escapes, a line break outside
 * strings, anything after the closing brace but blanks — makes it refuse,
 * and the caller encodes the decoded record instead. Everything else
 * (member order, blanks, members this version does not know) is kept as
 * it came, so the output decodes to the same record with the new pos. */
#ifndef DBREPL_KSUB_SPLICE_H
#define DBREPL_KSUB_SPLICE_H

#include "buf.h"

#include <stddef.h>

/* Appends raw with its "pos" value replaced by pos_json, and a '\n'.
 * Returns 0, or -1 with out unchanged (refused, or out of memory). */
int ksub_splice_pos(const char *raw, size_t len, const char *pos_json, size_t pos_len, buf *out);

#endif
