/* civil.h — proleptic Gregorian calendar arithmetic (Howard Hinnant's
 * civil-date algorithms), shared by every module that turns dates into day
 * counts and back: the record's timestamps, PostgreSQL values, the typed
 * bulk copy's date types, the load generator. Astronomical years: 1 BC is
 * year 0. */
#ifndef DBREPL_CIVIL_H
#define DBREPL_CIVIL_H

#include <stdint.h>

/* Days since 1970-01-01 of year y, month m (1-12), day d (1-31). */
int64_t civil_days(int64_t y, unsigned m, unsigned d);
/* The date of a day count since 1970-01-01. */
void civil_date(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
