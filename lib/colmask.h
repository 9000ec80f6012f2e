/* colmask.h — the column masks of the producers (pgcdc-read, snapshot):
 * --exclude-column, --mask-column and --hash-column TABLE.COLUMN, so that
 * personal data never leaves PostgreSQL in a record. Owns the rules, their
 * check against the catalog, the salt, and what a masked value becomes:
 *   excluded: no value in any image; the column stays in "cols";
 *   fixed:    every non-null value is the --mask-text (default "****"),
 *             type "text";
 *   sha256:   the lowercase hex SHA-256 of the salt's bytes followed by the
 *             value's text as the record would carry it (pgcdc-record(5)),
 *             type "character(64)": equal values hash equal, in a snapshot
 *             and in the stream alike, so a hashed key stays a key.
 * A null stays null, and an unchanged TOASTed value stays unchanged.
 *
 * TABLE.COLUMN follows SQL's rules for names (unquoted parts fold to lower
 * case, "Quoted" ones keep theirs); TABLE may be SCHEMA.TABLE, and an
 * unqualified TABLE matches the table of that name in every schema. The
 * salt comes from the environment (DBREPL_HASH_SALT) or --hash-salt-file,
 * never from the command line. */
#ifndef DBREPL_COLMASK_H
#define DBREPL_COLMASK_H

#include "record.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COLMASK_SALT_ENV "DBREPL_HASH_SALT"
#define COLMASK_DEFAULT_TEXT "****"
#define COLMASK_HASH_TYPE "character(64)"
#define COLMASK_FIXED_TYPE "text"
#define COLMASK_HEX_LEN 64

/* The options, for every producer's getopt_long table and --help:
 * COLMASK_LONGOPTS(O) uses the option values O .. O+4. */
#define COLMASK_LONGOPTS(base)                                       \
	{"exclude-column", required_argument, NULL, (base)},         \
	{"mask-column", required_argument, NULL, (base) + 1},        \
	{"hash-column", required_argument, NULL, (base) + 2},        \
	{"mask-text", required_argument, NULL, (base) + 3},          \
	{"hash-salt-file", required_argument, NULL, (base) + 4}
#define COLMASK_HELP                                                                          \
	"      --exclude-column=[SCHEMA.]TABLE.COLUMN  never send this column's values\n"      \
	"      --mask-column=[SCHEMA.]TABLE.COLUMN     send a fixed text instead (--mask-text)\n" \
	"      --hash-column=[SCHEMA.]TABLE.COLUMN     send the SHA-256 of salt and value\n"    \
	"      --mask-text=TEXT       the text of --mask-column (default \"" COLMASK_DEFAULT_TEXT "\")\n" \
	"      --hash-salt-file=FILE  the salt of --hash-column (default: $" COLMASK_SALT_ENV ")\n"

typedef struct colmask colmask;

colmask *colmask_new(void);
void colmask_free(colmask *m); /* also wipes the salt */

/* Takes option which (0 exclude, 1 mask, 2 hash, 3 mask text, 4 salt
 * file) with its argument. 0, or -1 with a message (a usage error). */
int colmask_option(colmask *m, int which, const char *arg, char *err, size_t errlen);
/* After the options: reads the salt when a column is to be hashed (the
 * file, else the environment). 0, or -1 with a message: no salt, an empty
 * one, an unreadable file (a configuration error, exit 78). */
int colmask_finish(colmask *m, char *err, size_t errlen);
bool colmask_any(const colmask *m);

/* Every rule names at least one column of a table that exists (a typo
 * must not let data through). 0; -1 with a message: the rule is wrong (78)
 * or, with *unavailable set, the query failed. */
int colmask_check_catalog(const colmask *m, PGconn *conn, bool *unavailable, char *err, size_t errlen);

/* A relation's live columns as the catalog has them now, in attnum order:
 * an attnum stays with its column through a RENAME. */
typedef struct colmask_relcols {
	char *schema, *table;
	size_t n;
	char **names;
	int16_t *attnums;
} colmask_relcols;
/* 0; 1 when the relation has no live column (dropped since); -1 with a
 * message when the query failed. */
int colmask_relcols_get(PGconn *conn, uint32_t oid, colmask_relcols *out, char *err, size_t errlen);
void colmask_relcols_free(colmask_relcols *c);

/* What to do with a column (RECORD_MASK_NONE: nothing). */
record_mask colmask_lookup(const colmask *m, const char *schema, const char *table, const char *column);

/* The tables a relation is a partition of or inherits from (pg_inherits,
 * any depth), nearest first: a rule naming a partitioned table holds for
 * its partitions, whose rows pgoutput and snapshot send under their own
 * names. 2 * *n names (schema, table, schema, table …) in one malloc'd
 * block for free(), NULL when none. 0, or -1 with a message (the query
 * failed). */
int colmask_parents(PGconn *conn, uint32_t oid, char ***names, size_t *n, char *err, size_t errlen);
/* A table's plan: the mask of each of its ncols columns into plan[], by
 * the table's own rules, else those of the nearest of its nparents
 * parents (colmask_parents) that has one for the column.
 * false when no column is masked (plan all NONE). -1 with a message when
 * a key column would be excluded or masked with a fixed text: a key must
 * stay a key (hash it, or leave it). */
int colmask_plan(const colmask *m, const char *schema, const char *table, char *const *parents, size_t nparents,
		 const record_column *cols, size_t ncols, const uint16_t *keys, size_t nkeys, unsigned char *plan,
		 char *err, size_t errlen);
/* The type a column of type type has under mask m. */
const char *colmask_type(record_mask m, const char *type);
/* The text of a fixed mask. */
const char *colmask_text(const colmask *m, size_t *len);
/* The hash of a value's text: COLMASK_HEX_LEN lowercase hex digits and a
 * NUL into out. 0, or -1 (the digest failed). */
int colmask_hash(const colmask *m, const char *data, size_t len, char out[COLMASK_HEX_LEN + 1]);

#endif
