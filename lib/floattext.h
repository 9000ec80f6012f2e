/* floattext.h — a number's text read as binary floating point (float or
 * double), and whether it is within its type's range. Owns reading the
 * whole of a text that is not NUL-terminated with strtod/strtof (any
 * length), and telling a zero from a number that underflowed to 0.
 * Shared by the Debezium dialect (dbz_value.c: no real or double that a
 * reader takes as Infinity or 0) and the T-SQL staging (tsql.c: no value
 * SQL Server would round); each keeps its own rules on top (denormals,
 * NaN, the smallest normal number). */
#ifndef DBREPL_FLOATTEXT_H
#define DBREPL_FLOATTEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Reads all of s[0..n) with strtod, or with strtof when f32 (rounded once,
 * to float, then widened to double): true and the value in *d, or false
 * when n is 0, when strtod stops before the end (a NUL inside, trailing
 * bytes) or memory runs out. strtod's grammar: leading white space, '+',
 * hex, "inf" and "nan" are read too, and an overflow reads as ±HUGE_VAL,
 * an underflow as 0 or a denormal; callers check their own grammar. */
bool floattext_read(const char *s, size_t n, bool f32, double *d);

/* Whether a number's text has a digit other than 0 before its exponent
 * ('e' or 'E'; 'p' or 'P' after strtod's "0x", where 'e' is a digit): one
 * that reads as 0 then underflowed; without, it is a zero ("-0", "0.000",
 * "0e999999", "0x0p9"). */
bool floattext_nonzero_mantissa(const char *s, size_t n);

/* Whether the number text s[0..n) reads (floattext_read) as a finite
 * float (f32) or double that is 0 only when its text is a zero: false for
 * 1e39 or 1e-46 as a float, 1e309 or 1e-400 as a double, for infinities,
 * NaN and a text not read. A denormal is in range. A text of fewer than
 * 39 bytes of only digits, signs and points is taken as in range without
 * being read (no decimal that short without an exponent is beyond either
 * type): that it is a number at all is the caller's to check. */
bool floattext_in_range(const char *s, size_t n, bool f32);

#endif
