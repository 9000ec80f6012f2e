/* tds-server — a TDS 7.4 server for the tests, in place of SQL Server.
 *
 * Listens on a loopback port, forks one process per TDS connection, and runs
 * the T-SQL subset of SUBSET.md on a PostgreSQL database (one PostgreSQL
 * connection per TDS connection). Prints "ready PORT" once listening; runs
 * until SIGTERM. Faults for reliability tests: drop-after=N, deadlock-at=N
 * (the Nth batch holding COMMIT TRANSACTION, counted across all
 * connections of this process), delay-ms=N.
 */
#include "peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHILDREN 1024

static volatile sig_atomic_t stop;
static pid_t children[MAX_CHILDREN];

static void on_term(int sig) { (void)sig; stop = 1; }
static void on_chld(int sig) { (void)sig; }

void peer_log(const struct peer_opts *o, const char *fmt, ...)
{
	if (!o->log)
		return;
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(o->log, "%ld.%03ld [%d] %s\n", (long)ts.tv_sec, ts.tv_nsec / 1000000, (int)getpid(), line);
	fflush(o->log);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tds-server --listen HOST:PORT --pg CONNINFO [options]\n"
		"A TDS 7.4 test server that runs a T-SQL subset on PostgreSQL.\n\n"
		"  -l, --listen HOST:PORT   address to listen on (PORT 0 picks a free one)\n"
		"  -p, --pg CONNINFO        libpq conninfo of the database behind it\n"
		"  -f, --fault SPEC         drop-after=N | deadlock-at=N | delay-ms=N |\n"
		"                           login-delay-ms=N (repeatable)\n"
		"      --log FILE           log batches, translations and errors to FILE\n"
		"      --collation NAME     the database's default collation (default\n"
		"                           " PEER_SERVER_COLLATION ", the server's)\n"
		"      --password PW        refuse a login with another password, as SQL\n"
		"                           Server does (18456); default: any\n"
		"      --language NAME      every session's language (its date order), whatever\n"
		"                           the login asks: as FreeTDS's locales.conf may make a\n"
		"                           client ask (us_english, British, Deutsch, ...); default:\n"
		"                           the login's\n"
		"  -h, --help               this help\n"
		"  -V, --version            print the version\n\n"
		"Prints \"ready PORT\" on stdout once listening; runs until SIGTERM.\n");
}

static int parse_fault(struct peer_opts *o, const char *spec)
{
	const char *eq = strchr(spec, '=');
	if (!eq)
		return -1;
	char *end;
	long v = strtol(eq + 1, &end, 10);
	if (*end || v < 0 || v > 1000000000)
		return -1;
	size_t k = (size_t)(eq - spec);
	if (k == 10 && !strncmp(spec, "drop-after", k))
		o->drop_after = (int)v;
	else if (k == 11 && !strncmp(spec, "deadlock-at", k))
		o->deadlock_at = (int)v;
	else if (k == 8 && !strncmp(spec, "delay-ms", k))
		o->delay_ms = (int)v;
	else if (k == 14 && !strncmp(spec, "login-delay-ms", k))
		o->login_delay_ms = (int)v;
	else
		return -1;
	return 0;
}

/* Objects the translation relies on: schema dbo, bit = int comparisons,
 * varbinary (SQL Server's binary comparison and padding), and
 * INFORMATION_SCHEMA.COLUMNS reporting SQL Server type names. */
static const char setup_sql[] =
	"SET client_min_messages TO warning;"
	"CREATE SCHEMA IF NOT EXISTS dbo;"
	"CREATE SCHEMA IF NOT EXISTS tds_catalog;"
	"CREATE OR REPLACE FUNCTION tds_catalog.bool_eq_int(boolean, integer) RETURNS boolean "
	"  LANGUAGE sql IMMUTABLE AS 'SELECT $1 = ($2 <> 0)';"
	"CREATE OR REPLACE FUNCTION tds_catalog.bool_ne_int(boolean, integer) RETURNS boolean "
	"  LANGUAGE sql IMMUTABLE AS 'SELECT $1 <> ($2 <> 0)';"
	"DO $$ BEGIN "
	"  IF NOT EXISTS (SELECT 1 FROM pg_operator WHERE oprname = '=' "
	"      AND oprleft = 'boolean'::regtype AND oprright = 'integer'::regtype) THEN "
	"    CREATE OPERATOR public.= (LEFTARG = boolean, RIGHTARG = integer, "
	"      FUNCTION = tds_catalog.bool_eq_int, NEGATOR = OPERATOR(public.<>));"
	"  END IF;"
	"  IF NOT EXISTS (SELECT 1 FROM pg_operator WHERE oprname = '<>' "
	"      AND oprleft = 'boolean'::regtype AND oprright = 'integer'::regtype) THEN "
	"    CREATE OPERATOR public.<> (LEFTARG = boolean, RIGHTARG = integer, "
	"      FUNCTION = tds_catalog.bool_ne_int, NEGATOR = OPERATOR(public.=));"
	"  END IF;"
	"END $$;"
	/* SQL Server converts int to bit implicitly: INSERT ... VALUES (1) */
	"DO $$ BEGIN "
	"  UPDATE pg_cast SET castcontext = 'a' WHERE castsource = 'integer'::regtype "
	"    AND casttarget = 'boolean'::regtype AND castcontext = 'e';"
	"EXCEPTION WHEN insufficient_privilege THEN NULL;"
	"END $$;"
	/* The UTF-16 code units of a text, as nvarchar(n) counts them (CHECKs
	 * of nvarchar(n) columns and of long keys: tsql_translate.c). */
	"CREATE OR REPLACE FUNCTION tds_catalog.utf16_units(text) RETURNS integer LANGUAGE sql IMMUTABLE STRICT AS "
	"  $$SELECT char_length($1) + char_length(regexp_replace($1 COLLATE \"C\", "
	"    '[^\\U00010000-\\U0010FFFF]', '', 'g'))$$;"
	/* varbinary, binary and image columns, CASTs and 0x… literals are
	 * tds_catalog.varbinary: bytea's bytes and I/O (bytea's own C
	 * functions, so text and binary COPY, DATALENGTH and the functions of
	 * bytea take it as they are), but compared as SQL Server compares
	 * binary values, the shorter padded with zero bytes (0x01 = 0x0100),
	 * in =, <, … and in PRIMARY KEY, UNIQUE and indexes (the default btree
	 * and hash operator classes), as bpchar stands for nvarchar because
	 * it ignores trailing blanks. Trimmed of its trailing zero bytes, a
	 * value compares as bytea compares (a proper prefix is smaller, and
	 * what it is a prefix of has a nonzero byte further on). The type
	 * modifier is the length n of varbinary(n), plus 65536 for binary(n),
	 * which pads a shorter value to n bytes (SET ANSI_PADDING ON); a
	 * longer value is 22001 (2628) when assigned, cut by a CAST, as for
	 * nvarchar(n). The comparisons are plpgsql: PostgreSQL would inline a
	 * SQL function into the query and lose the operator, so the index,
	 * and calls a SQL function it does not inline five times slower. */
	"DO $$ BEGIN "
	"  IF to_regtype('tds_catalog.varbinary') IS NULL THEN "
	"    CREATE TYPE tds_catalog.varbinary; "
	"    CREATE FUNCTION tds_catalog.varbinary_in(cstring) RETURNS tds_catalog.varbinary "
	"      LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'byteain'; "
	"    CREATE FUNCTION tds_catalog.varbinary_out(tds_catalog.varbinary) RETURNS cstring "
	"      LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'byteaout'; "
	"    CREATE FUNCTION tds_catalog.varbinary_recv(internal) RETURNS tds_catalog.varbinary "
	"      LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'bytearecv'; "
	"    CREATE FUNCTION tds_catalog.varbinary_send(tds_catalog.varbinary) RETURNS bytea "
	"      LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'byteasend'; "
	/* (n) of varbinary(n), (n, fixed) of binary(n) */
	"    CREATE FUNCTION tds_catalog.varbinary_typmod_in(cstring[]) RETURNS integer "
	"      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS "
	"      'SELECT pg_catalog.int4in($1[1]) + CASE WHEN pg_catalog.array_length($1, 1) > 1 THEN 65536 ELSE 0 END'; "
	"    CREATE TYPE tds_catalog.varbinary (INPUT = tds_catalog.varbinary_in, "
	"      OUTPUT = tds_catalog.varbinary_out, RECEIVE = tds_catalog.varbinary_recv, "
	"      SEND = tds_catalog.varbinary_send, TYPMOD_IN = tds_catalog.varbinary_typmod_in, LIKE = bytea); "
	/* both ways implicit: bytea's functions take it, and a bytea
	 * (decode, a table made in PostgreSQL) goes into its columns; the
	 * mixed comparisons below keep = from being ambiguous */
	"    CREATE CAST (tds_catalog.varbinary AS bytea) WITHOUT FUNCTION AS IMPLICIT; "
	"    CREATE CAST (bytea AS tds_catalog.varbinary) WITHOUT FUNCTION AS IMPLICIT; "
	/* bytea's hash of the bytes as they are (hashvarlena reads any varlena) */
	"    CREATE FUNCTION tds_catalog.varbinary_hash_bytes(tds_catalog.varbinary) RETURNS integer "
	"      LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'hashvarlena'; "
	"  END IF; "
	"END $$;"
	"CREATE OR REPLACE FUNCTION tds_catalog.varbinary(v tds_catalog.varbinary, typmod integer, explicit boolean) "
	"  RETURNS tds_catalog.varbinary LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$"
	"DECLARE n constant integer := typmod & 65535; len constant integer := octet_length(v); "
	"BEGIN "
	"  IF typmod < 0 OR len = n OR (len < n AND typmod < 65536) THEN RETURN v; END IF; "
	"  IF len < n THEN RETURN v::bytea || decode(repeat('00', n - len), 'hex'); END IF; "
	"  IF explicit THEN RETURN substring(v::bytea FROM 1 FOR n); END IF; "
	"  RAISE EXCEPTION USING ERRCODE = '22001', MESSAGE = format('value too long for type %s(%s)', "
	"    CASE WHEN typmod < 65536 THEN 'varbinary' ELSE 'binary' END, n); "
	"END$$;"
	"DO $$ BEGIN "
	"  IF NOT EXISTS (SELECT 1 FROM pg_cast WHERE castsource = 'tds_catalog.varbinary'::regtype "
	"      AND casttarget = 'tds_catalog.varbinary'::regtype) THEN "
	"    CREATE CAST (tds_catalog.varbinary AS tds_catalog.varbinary) "
	"      WITH FUNCTION tds_catalog.varbinary(tds_catalog.varbinary, integer, boolean) AS IMPLICIT; "
	"  END IF; "
	"END $$;"
	"CREATE OR REPLACE FUNCTION tds_catalog.varbinary_cmp(tds_catalog.varbinary, tds_catalog.varbinary) "
	"  RETURNS integer LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS "
	"  $$BEGIN RETURN byteacmp(rtrim($1::bytea, '\\x00'::bytea), rtrim($2::bytea, '\\x00'::bytea)); END$$;"
	"CREATE OR REPLACE FUNCTION tds_catalog.varbinary_hash(tds_catalog.varbinary) "
	"  RETURNS integer LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS "
	"  $$BEGIN RETURN tds_catalog.varbinary_hash_bytes(rtrim($1::bytea, '\\x00'::bytea)); END$$;"
	"DO $$ "
	"DECLARE fn text; "
	"  ops constant text[] := ARRAY['=', '<>', '<', '<=', '>', '>=']; "
	"  fns constant text[] := ARRAY['eq', 'ne', 'lt', 'le', 'gt', 'ge']; "
	"  com constant text[] := ARRAY['=', '<>', '>', '>=', '<', '<=']; "
	"  neg constant text[] := ARRAY['<>', '=', '>=', '>', '<=', '<']; "
	"  sel constant text[] := ARRAY['eqsel', 'neqsel', 'scalarltsel', 'scalarlesel', 'scalargtsel', 'scalargesel']; "
	"  jsel constant text[] := ARRAY['eqjoinsel', 'neqjoinsel', 'scalarltjoinsel', 'scalarlejoinsel', "
	"    'scalargtjoinsel', 'scalargejoinsel']; "
	"  pair text; l text; r text; "
	"BEGIN "
	"  IF EXISTS (SELECT 1 FROM pg_operator WHERE oprname = '=' "
	"      AND oprleft = 'tds_catalog.varbinary'::regtype AND oprright = 'tds_catalog.varbinary'::regtype) THEN "
	"    RETURN; END IF; "
	/* varbinary with varbinary (indexed); with a PostgreSQL bytea (a
	 * table or a query of a test's own) either side as bytea compares,
	 * exactly: a test's check of the bytes stored means those bytes */
	"  FOREACH pair IN ARRAY ARRAY['tds_catalog.varbinary,tds_catalog.varbinary', "
	"      'tds_catalog.varbinary,bytea', 'bytea,tds_catalog.varbinary'] LOOP "
	"    l := split_part(pair, ',', 1); r := split_part(pair, ',', 2); "
	"    FOR i IN 1 .. 6 LOOP "
	"      fn := format('tds_catalog.varbinary_%s(%s, %s)', fns[i], l, r); "
	"      IF l = r THEN "
	"        EXECUTE format('CREATE FUNCTION %s RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE "
	"          AS $f$BEGIN RETURN rtrim($1::bytea, ''\\x00''::bytea) %s rtrim($2::bytea, ''\\x00''::bytea); END$f$', "
	"          fn, ops[i]); "
	"      ELSE "
	"        EXECUTE format('CREATE FUNCTION %s RETURNS boolean LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE "
	"          AS %L', fn, 'bytea' || fns[i]); "
	"      END IF; "
	"      EXECUTE format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = "
	"        tds_catalog.varbinary_%s, COMMUTATOR = OPERATOR(public.%s), NEGATOR = OPERATOR(public.%s), "
	"        RESTRICT = %s, JOIN = %s%s)', ops[i], l, r, fns[i], com[i], neg[i], sel[i], jsel[i], "
	"        CASE WHEN i = 1 AND l = r THEN ', HASHES, MERGES' ELSE '' END); "
	"    END LOOP; "
	"  END LOOP; "
	"  CREATE OPERATOR CLASS tds_catalog.varbinary_ops DEFAULT FOR TYPE tds_catalog.varbinary USING btree AS "
	"    OPERATOR 1 public.< (tds_catalog.varbinary, tds_catalog.varbinary), "
	"    OPERATOR 2 public.<= (tds_catalog.varbinary, tds_catalog.varbinary), "
	"    OPERATOR 3 public.= (tds_catalog.varbinary, tds_catalog.varbinary), "
	"    OPERATOR 4 public.>= (tds_catalog.varbinary, tds_catalog.varbinary), "
	"    OPERATOR 5 public.> (tds_catalog.varbinary, tds_catalog.varbinary), "
	"    FUNCTION 1 tds_catalog.varbinary_cmp(tds_catalog.varbinary, tds_catalog.varbinary); "
	"  CREATE OPERATOR CLASS tds_catalog.varbinary_ops DEFAULT FOR TYPE tds_catalog.varbinary USING hash AS "
	"    OPERATOR 1 public.= (tds_catalog.varbinary, tds_catalog.varbinary), "
	"    FUNCTION 1 tds_catalog.varbinary_hash(tds_catalog.varbinary); "
	"END $$;"
	/* CHARINDEX, binary → bigint, OBJECT_ID and sys.foreign_keys, for the
	 * checkpoint's offset comparison and the foreign keys of truncated
	 * tables. OBJECT_ID knows the bracketed two-part form only. */
	/* byte-wise: PostgreSQL searches no nondeterministic collation */
	"CREATE OR REPLACE FUNCTION tds_catalog.charindex(text, text) RETURNS integer "
	"  LANGUAGE sql IMMUTABLE AS 'SELECT strpos($2 COLLATE \"C\", $1 COLLATE \"C\")';"
	/* CONVERT(nvarchar(max), x, 1): a binary as 0x and hex digits */
	"CREATE OR REPLACE FUNCTION tds_catalog.binary_style1(bytea) RETURNS text LANGUAGE sql IMMUTABLE AS "
	"  $$SELECT '0x' || encode($1, 'hex')$$;"
	"CREATE OR REPLACE FUNCTION tds_catalog.binary_style1(text) RETURNS text LANGUAGE sql IMMUTABLE AS "
	"  $$SELECT $1$$;"
	"CREATE OR REPLACE FUNCTION tds_catalog.bytes_to_bigint(bytea) RETURNS bigint "
	"  LANGUAGE sql IMMUTABLE AS "
	"  $$SELECT ('x' || right(lpad(encode($1, 'hex'), 16, '0'), 16))::bit(64)::bigint$$;"
	"CREATE OR REPLACE FUNCTION tds_catalog.object_id(text) RETURNS integer LANGUAGE sql STABLE AS "
	"  $$SELECT c.oid::integer FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	"    WHERE '[' || replace(n.nspname, ']', ']]') || '].[' || replace(c.relname, ']', ']]') || ']' = $1$$;"
	/* COLUMNPROPERTY(id, column, 'IsIdentity'): 1 for an identity column
	 * (CREATE TABLE's IDENTITY), 0 for another, NULL for no such column or
	 * another property. */
	"CREATE OR REPLACE FUNCTION tds_catalog.columnproperty(integer, text, text) RETURNS integer "
	"  LANGUAGE sql STABLE AS "
	"  $$SELECT CASE WHEN lower($3) = 'isidentity' THEN (SELECT (a.attidentity <> '')::integer "
	"    FROM pg_attribute a WHERE a.attrelid = $1::oid AND a.attname = $2 AND a.attnum > 0 "
	"    AND NOT a.attisdropped) END$$;"
	/* A value assigned to a column (MERGE's UPDATE SET and INSERT VALUES,
	 * INSERT … SELECT: tsql_translate.c wraps each) converts to the
	 * column's type as SQL Server converts it. The same type (or one of
	 * its family) passes as it is, inlined; a string into another type
	 * converts by SQL Server's rules for a character string
	 * (https://learn.microsoft.com/en-us/sql/t-sql/functions/cast-and-convert-transact-sql):
	 * blanks around it ignored, '' is 0 for the integers, bit, float, real,
	 * money, 1900-01-01 (midnight) for the date and date-and-time types and
	 * 00:00:00 for time, an error for decimal; money takes $ and commas,
	 * rounds to 4 decimals; datetime rounds to 1/300 s, smalldatetime to
	 * the minute, and both read at most 3 fractional-second digits;
	 * TRUE/FALSE are bit's; uniqueidentifier takes the first 36
 * characters of a longer string; anything else is SQL Server's
	 * error (SQLSTATE TDS02, the number before the '|', pgexec.c). The
	 * SQL Server type comes from the column's comment (money is
	 * numeric(19,4) here, datetime timestamp(3)). */
	"CREATE OR REPLACE FUNCTION tds_catalog.assign(v anycompatible, l anycompatible, tbl text, col text) "
	"  RETURNS anycompatible LANGUAGE sql IMMUTABLE AS 'SELECT $1';"
	"CREATE OR REPLACE FUNCTION tds_catalog.assign(v bpchar, l bpchar, tbl text, col text) "
	"  RETURNS bpchar LANGUAGE sql IMMUTABLE AS 'SELECT $1';"
	"CREATE OR REPLACE FUNCTION tds_catalog.assign(v text, l bpchar, tbl text, col text) "
	"  RETURNS bpchar LANGUAGE sql IMMUTABLE AS 'SELECT $1::bpchar';"
	/* a text or varchar column of a table made in PostgreSQL (tests make
	 * some): without these a string into it matches the polymorphic
	 * ones equally, and PostgreSQL cannot choose (42725) */
	"CREATE OR REPLACE FUNCTION tds_catalog.assign(v text, l text, tbl text, col text) "
	"  RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT $1';"
	"CREATE OR REPLACE FUNCTION tds_catalog.assign(v text, l varchar, tbl text, col text) "
	"  RETURNS varchar LANGUAGE sql IMMUTABLE AS 'SELECT $1::varchar';"
	/* a string from a staging column (bpchar, so that = ignores trailing
	 * blanks) keeps its trailing blanks in such a column, as nvarchar
	 * keeps them at SQL Server: bpchar's cast to text drops them, its
	 * output function does not */
	"CREATE OR REPLACE FUNCTION tds_catalog.assign(v bpchar, l text, tbl text, col text) "
	"  RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT pg_catalog.textin(pg_catalog.bpcharout($1))';"
	"CREATE OR REPLACE FUNCTION tds_catalog.assign(v bpchar, l varchar, tbl text, col text) "
	"  RETURNS varchar LANGUAGE sql IMMUTABLE AS 'SELECT pg_catalog.textin(pg_catalog.bpcharout($1))::varchar';"
	"CREATE OR REPLACE FUNCTION tds_catalog.assign(v anynonarray, l bpchar, tbl text, col text) "
	"  RETURNS bpchar LANGUAGE sql IMMUTABLE AS 'SELECT $1::text::bpchar';"
	"CREATE OR REPLACE FUNCTION tds_catalog.assign(v integer, l boolean, tbl text, col text) "
	"  RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 <> 0';"
	"CREATE OR REPLACE FUNCTION tds_catalog.conv_error(number integer, msg text) RETURNS void "
	"  LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION USING ERRCODE = 'TDS02', MESSAGE = number || '|' || msg; END$$;"
	/* The bytes a column of SQL Server type ms (as column_def keeps it
	 * in the column's comment: "int", "nchar(10)", "decimal(18,2)")
	 * takes in every row: a fixed-length type its storage size (the
	 * types' pages), a variable-length one none (SQL Server's minimum
	 * row has it empty), bit none (counted apart: eight to a byte). */
	"CREATE OR REPLACE FUNCTION tds_catalog.fixed_bytes(ms text) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$"
	"DECLARE b text := lower(btrim(split_part(ms, '(', 1))); "
	"  n integer := substring(ms FROM '\\(\\s*([0-9]+)')::integer; "
	"BEGIN "
	"  RETURN CASE "
	"    WHEN b = 'tinyint' THEN 1 WHEN b = 'smallint' THEN 2 "
	"    WHEN b IN ('int', 'integer', 'real', 'smallmoney', 'smalldatetime') THEN 4 "
	"    WHEN b IN ('bigint', 'money', 'datetime', 'timestamp', 'rowversion') THEN 8 "
	"    WHEN b = 'float' THEN CASE WHEN n BETWEEN 1 AND 24 THEN 4 ELSE 8 END "
	"    WHEN b = 'date' THEN 3 "
	"    WHEN b = 'time' THEN CASE WHEN n <= 2 THEN 3 WHEN n <= 4 THEN 4 ELSE 5 END "
	"    WHEN b = 'datetime2' THEN CASE WHEN n <= 2 THEN 6 WHEN n <= 4 THEN 7 ELSE 8 END "
	"    WHEN b = 'datetimeoffset' THEN CASE WHEN n <= 2 THEN 8 WHEN n <= 4 THEN 9 ELSE 10 END "
	"    WHEN b = 'uniqueidentifier' THEN 16 "
	"    WHEN b IN ('decimal', 'numeric', 'dec') THEN CASE WHEN coalesce(n, 18) <= 9 THEN 5 "
	"      WHEN coalesce(n, 18) <= 19 THEN 9 WHEN coalesce(n, 18) <= 28 THEN 13 ELSE 17 END "
	"    WHEN b = 'nchar' THEN 2 * coalesce(n, 1) "
	"    WHEN b IN ('char', 'binary') THEN coalesce(n, 1) "
	"    ELSE 0 END; "
	"END$$;"
	/* the SQL Server type of a column without a comment (a table made
	 * in PostgreSQL by a test), as the bulk metadata maps it back */
	"CREATE OR REPLACE FUNCTION tds_catalog.ms_of(ty text) RETURNS text LANGUAGE sql IMMUTABLE AS $$"
	"SELECT CASE WHEN ty = 'boolean' THEN 'bit' WHEN ty IN ('smallint', 'bigint', 'real', 'date') THEN ty "
	"  WHEN ty = 'integer' THEN 'int' WHEN ty = 'double precision' THEN 'float' "
	"  WHEN ty = 'uuid' THEN 'uniqueidentifier' WHEN ty LIKE 'numeric(%' THEN 'decimal' || substr(ty, 8) "
	"  WHEN ty LIKE 'character(%' THEN 'nchar' || substr(ty, 10) "
	"  WHEN ty LIKE 'timestamp%with time zone' AND ty NOT LIKE '%without%' THEN 'datetimeoffset' "
	"  WHEN ty LIKE 'timestamp%' THEN 'datetime2' WHEN ty LIKE 'time%' AND ty NOT LIKE '%with time zone' "
	"  THEN 'time' ELSE 'nvarchar(max)' END$$;"
	/* What SQL Server refuses of a table's columns and name that
	 * PostgreSQL takes, checked after CREATE TABLE and ALTER TABLE ADD
	 * (tsql_translate.c): a 1,025th column (1702; CREATE TABLE counts
	 * its own first, as PostgreSQL stops at 1,600); under a
	 * case-insensitive collation, which names follow, two columns whose
	 * names differ only in case (2705) and another table of such a name
	 * (2714); and a minimum row size over 8,060 bytes (1701: the
	 * fixed-length columns, bit columns eight to a byte, the row header
	 * of 4 and the null bitmap of 2 + (columns + 7) / 8 bytes, a
	 * variable-length column empty; uniq is 1 for a non-unique
	 * clustered index, whose hidden uniqueifier is one more column,
	 * "Estimate the size of a clustered index"). One message text per
	 * number, as sys.messages has. */
	"CREATE OR REPLACE PROCEDURE tds_catalog.check_table(tbl text, ci boolean, uniq integer) LANGUAGE plpgsql AS $$"
	"DECLARE rel oid := tbl::regclass; c text; n integer; f integer; nb integer; ov integer; nv integer; "
	"  vmax integer; ex text; "
	"BEGIN "
	"  SELECT attname INTO c FROM pg_attribute WHERE attrelid = rel AND attnum > 0 "
	"    AND NOT attisdropped ORDER BY attnum OFFSET 1024 LIMIT 1; "
	"  IF c IS NOT NULL THEN PERFORM tds_catalog.conv_error(1702, format('CREATE TABLE failed because column "
	"''%s'' in table ''%s'' exceeds the maximum of 1024 columns.', c, tbl)); END IF; "
	"  IF ci THEN "
	"    SELECT b.attname INTO c FROM pg_attribute a JOIN pg_attribute b ON b.attrelid = a.attrelid "
	"      AND b.attnum > a.attnum AND NOT b.attisdropped "
	"      AND lower(b.attname::text COLLATE \"und-x-icu\") = lower(a.attname::text COLLATE \"und-x-icu\") "
	"      WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped ORDER BY b.attnum LIMIT 1; "
	"    IF c IS NOT NULL THEN PERFORM tds_catalog.conv_error(2705, format('Column names in each table must be "
	"unique. Column name ''%s'' in table ''%s'' is specified more than once.', c, tbl)); END IF; "
	"    SELECT t.relname INTO c FROM pg_class t JOIN pg_class o ON o.relnamespace = t.relnamespace "
	"      AND o.oid <> t.oid AND o.relkind IN ('r', 'p', 'v', 'm', 'f') "
	"      AND lower(o.relname::text COLLATE \"und-x-icu\") = lower(t.relname::text COLLATE \"und-x-icu\") "
	"      WHERE t.oid = rel LIMIT 1; "
	"    IF c IS NOT NULL THEN PERFORM tds_catalog.conv_error(2714, format('There is already an object named "
	"''%s'' in the database.', c)); END IF; "
	"  END IF; "
	"  SELECT count(*), coalesce(sum(tds_catalog.fixed_bytes(ms)), 0), count(*) FILTER (WHERE ms = 'bit') "
	"    INTO n, f, nb FROM (SELECT lower(coalesce(col_description(rel, attnum), "
	"      tds_catalog.ms_of(format_type(atttypid, atttypmod)))) AS ms "
	"      FROM pg_attribute WHERE attrelid = rel AND attnum > 0 AND NOT attisdropped) s; "
	"  ov := 4 + 2 + (n + uniq + 7) / 8; "
	"  IF f + (nb + 7) / 8 + ov > 8060 THEN "
	"    SELECT relname INTO c FROM pg_class WHERE oid = rel; "
	"    PERFORM tds_catalog.conv_error(1701, format('Creating or altering table ''%s'' failed because the "
	"minimum row size would be %s, including %s bytes of internal overhead. This exceeds the maximum "
	"allowable table row size of 8060 bytes.', c, f + (nb + 7) / 8 + ov, ov)); END IF; "
	/* 511 at a row's write (tds_catalog.row_size_error): the trigger only on a
	 * table whose largest lower bound of a row's bytes can exceed 8,060,
	 * each variable-length column at most its declared bytes, or the
	 * pointer it leaves in the row when pushed off it (24, 16 for a
	 * (max), text, ntext, image or xml one) when that is less */
	"  SELECT count(*), coalesce(sum(2 + least(mx, cap)), 0), "
	"      string_agg(format('CASE WHEN NEW.%I IS NULL THEN 0 ELSE 2 + least(%s, %s) END', attname, e, cap), ' + ') "
	"    INTO nv, vmax, ex FROM (SELECT CASE WHEN ms LIKE '%(max)%' OR b IN ('text', 'ntext', 'image', 'xml') "
	"        THEN 16 ELSE 24 END AS cap, "
	"      CASE WHEN ms LIKE '%(max)%' OR b IN ('text', 'ntext', 'image') THEN 24 "
	"        WHEN b = 'nvarchar' THEN 2 * coalesce(ln, 1) WHEN b = 'sysname' THEN 256 "
	"        WHEN b IN ('varchar', 'varbinary') THEN coalesce(ln, 1) ELSE 0 END AS mx, "
	"      attname, CASE WHEN b IN ('nvarchar', 'ntext', 'sysname') "
	"          THEN format('2 * char_length(NEW.%I::text)', attname) "
	"        WHEN b IN ('varchar', 'text') THEN format('char_length(NEW.%I::text)', attname) "
	"        WHEN b IN ('varbinary', 'image') THEN format('octet_length(NEW.%I::bytea)', attname) "
	"        ELSE '0' END AS e "
	"      FROM (SELECT attname, ms, lower(btrim(split_part(ms, '(', 1))) AS b, "
	"          substring(ms FROM '\\(\\s*([0-9]+)')::integer AS ln "
	"        FROM (SELECT attname, lower(coalesce(col_description(rel, attnum), "
	"          tds_catalog.ms_of(format_type(atttypid, atttypmod)))) AS ms "
	"          FROM pg_attribute WHERE attrelid = rel AND attnum > 0 AND NOT attisdropped) s0 "
	"        WHERE ms <> 'bit' AND tds_catalog.fixed_bytes(ms) = 0) s1) s2; "
	"  EXECUTE format('DROP TRIGGER IF EXISTS tds_row_size ON %s', rel::regclass); "
	"  IF nv > 0 AND f + (nb + 7) / 8 + 4 + 2 + (n + 7) / 8 + 2 + vmax > 8060 THEN "
	"    SELECT format('%I.%I', CASE WHEN relpersistence = 't' THEN 'pg_temp' ELSE nspname::text END, "
	"        'tds_row_size_' || rel::bigint) INTO c "
	"      FROM pg_class JOIN pg_namespace ON pg_namespace.oid = relnamespace WHERE pg_class.oid = rel; "
	"    EXECUTE format('CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS %L', c, "
	"      format('DECLARE s integer := %s; BEGIN IF s > 0 THEN s := s + 2; END IF; s := s + %s; "
	"IF s > 8060 THEN PERFORM tds_catalog.row_size_error(s); END IF; RETURN NEW; END', "
	"        ex, f + (nb + 7) / 8 + 4 + 2 + (n + 7) / 8)); "
	"    EXECUTE format('CREATE TRIGGER tds_row_size BEFORE INSERT OR UPDATE ON %s FOR EACH ROW "
	"      EXECUTE FUNCTION %s()', rel::regclass, c); "
	"    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER tds_row_size', rel::regclass); "
	"  END IF; "
	/* a table with an IDENTITY column: its current value follows the
	 * values written explicitly (tds_catalog.identity_follow) */
	"  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = rel AND attidentity <> '' AND attnum > 0 "
	"      AND NOT attisdropped) "
	"    AND NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = rel AND tgname = 'tds_identity_follow') THEN "
	"    EXECUTE format('CREATE TRIGGER tds_identity_follow AFTER INSERT ON %s FOR EACH STATEMENT "
	"      EXECUTE FUNCTION tds_catalog.identity_follow()', rel::regclass); "
	"    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER tds_identity_follow', rel::regclass); "
	"  END IF; "
	"END$$;"
	"CREATE OR REPLACE FUNCTION tds_catalog.assign_string(v text, l anyelement, tbl text, col text) "
	"  RETURNS anyelement LANGUAGE plpgsql STABLE AS $$"
	"DECLARE ty text COLLATE \"C\" := pg_typeof(l)::text; ms text COLLATE \"C\"; s text COLLATE \"C\"; n numeric; hi numeric; ts timestamp; "
	"  df text COLLATE \"C\" := coalesce(current_setting('tds.dateformat', true), 'mdy'); "
	"  num constant text COLLATE \"C\" := '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)$'; "
	"BEGIN "
	"  IF v IS NULL OR ty IN ('text', 'character', 'character varying', 'xml', 'bytea', 'tds_catalog.varbinary') THEN "
	"    RETURN v; END IF; "
	/* uniqueidentifier reads the first 36 characters and drops the rest */
	"  IF ty = 'uuid' THEN RETURN left(v, 36); END IF; "
	"  SELECT lower(split_part(col_description(a.attrelid, a.attnum), '(', 1)) INTO ms FROM pg_attribute a "
	"    WHERE a.attrelid = tbl::regclass AND a.attname = col COLLATE \"C\"; "
	"  ms := coalesce(ms, ty); s := btrim(v COLLATE \"C\", ' '); "
	"  IF ty IN ('smallint', 'integer', 'bigint') THEN "
	"    IF s = '' THEN RETURN 0; END IF; "
	"    IF s !~ '^[+-]?[0-9]+$' THEN PERFORM tds_catalog.conv_error(245, format("
	"      'Conversion failed when converting the nvarchar value ''%s'' to data type %s.', v, ms)); END IF; "
	"    n := s::numeric; "
	"    hi := CASE ms WHEN 'tinyint' THEN 255 WHEN 'smallint' THEN 32767 WHEN 'int' THEN 2147483647 "
	"      ELSE 9223372036854775807 END; "
	"    IF n > hi OR n < -hi - 1 OR (ms = 'tinyint' AND n < 0) THEN "
	"      PERFORM tds_catalog.conv_error(248, format('The conversion of the nvarchar value ''%s'' overflowed "
	"        an %s column. Use a larger integer column.', v, ms)); END IF; "
	"    RETURN n; "
	"  ELSIF ty = 'boolean' THEN "
	"    IF s = '' THEN RETURN false; END IF; "
	"    IF upper(s) IN ('TRUE', 'FALSE') THEN RETURN upper(s) = 'TRUE'; END IF; "
	"    IF s !~ '^[+-]?[0-9]+$' THEN PERFORM tds_catalog.conv_error(245, format("
	"      'Conversion failed when converting the nvarchar value ''%s'' to data type bit.', v)); END IF; "
	"    RETURN s::numeric <> 0; "
	"  ELSIF ty = 'numeric' AND ms IN ('money', 'smallmoney') THEN "
	"    IF s = '' THEN RETURN 0; END IF; "
	"    s := regexp_replace(replace(s, ',', ''), '^([+-]?)[$]', '\\1'); "
	"    IF s !~ num THEN PERFORM tds_catalog.conv_error(235, "
	"      'Cannot convert a char value to money. The char value has incorrect syntax.'); END IF; "
	"    RETURN round(s::numeric, 4); "
	"  ELSIF ty = 'numeric' THEN "
	"    IF s !~ num THEN PERFORM tds_catalog.conv_error(8114, 'Error converting data type nvarchar to numeric.'); "
	"    END IF; "
	"    RETURN s::numeric; "
	"  ELSIF ty IN ('real', 'double precision') THEN "
	"    IF s = '' THEN RETURN 0; END IF; "
	"    IF s !~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$' THEN "
	"      PERFORM tds_catalog.conv_error(8114, format('Error converting data type nvarchar to %s.', ms)); END IF; "
	"    BEGIN RETURN s::double precision; "
	"    EXCEPTION WHEN numeric_value_out_of_range THEN "
	"      PERFORM tds_catalog.conv_error(8114, format('Error converting data type nvarchar to %s.', ms)); END; "
	"  ELSIF ty IN ('timestamp without time zone', 'timestamp with time zone', 'date', "
	"      'time without time zone') THEN "
	"    IF s = '' AND ty = 'time without time zone' THEN RETURN '00:00:00'::time; END IF; "
	"    IF s = '' AND ty = 'timestamp with time zone' THEN RETURN '1900-01-01 00:00:00+00'::timestamptz; END IF; "
	"    IF s = '' THEN RETURN '1900-01-01'::timestamp; END IF; "
	/* datetime and smalldatetime read 'yyyy-mm-dd[ hh:mm:ss]' (not the
	 * ISO 8601 'T' form) in the session's date order: under dmy or ydm
	 * (SET DATEFORMAT, or a language such as British) as year, day,
	 * month; date, datetime2 and datetimeoffset always as year, month,
	 * day (SET DATEFORMAT's page) */
	"    IF ms IN ('datetime', 'smalldatetime') AND df IN ('dmy', 'ydm') "
	"        AND s ~ '^[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}( |$)' THEN "
	"      s := regexp_replace(s, '^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})', '\\1-\\3-\\2'); END IF; "
	"    BEGIN "
	"      IF s = '' OR s ~* '^[+-]?infinity$|^epoch$|^now$|^today$|^tomorrow$|^yesterday$|^allballs$' THEN "
	"        RAISE invalid_datetime_format; END IF; "
	/* datetime reads zero to three fractional-second digits from a
	 * string ("n* is zero to three digits", 23 characters at most:
	 * datetime's page); a fourth, even a zero, is 241. smalldatetime's
	 * page shows three (12:59:59.998) and says nothing of more: taken as
	 * datetime, the stricter reading */
	"      IF ms IN ('datetime', 'smalldatetime') AND s ~ ':[0-9]{1,2}[.][0-9]{4}' THEN "
	"        RAISE invalid_datetime_format; END IF; "
	"      IF ty = 'date' THEN RETURN s::date; END IF; "
	"      IF ty = 'time without time zone' THEN RETURN s::time; END IF; "
	"      IF ty = 'timestamp with time zone' THEN RETURN s::timestamptz; END IF; "
	"      ts := s::timestamp; "
	"    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR invalid_text_representation "
	"        OR syntax_error THEN "
	/* a date of the right form but no such day (Feb 30, month 25 after
	 * the date order swapped it): datetime and smalldatetime say "out of
	 * range" (242), the others "conversion failed" (241) */
	"      IF SQLSTATE = '22008' AND ms IN ('datetime', 'smalldatetime') THEN "
	"        PERFORM tds_catalog.conv_error(242, format('The conversion of a nvarchar data type to a %s "
	"data type resulted in an out-of-range value.', ms)); END IF; "
	"      PERFORM tds_catalog.conv_error(241, "
	"        'Conversion failed when converting date and/or time from character string.'); END; "
	"    IF ms = 'datetime' THEN "
	"      ts := date_trunc('second', ts) + round(extract(microseconds FROM ts - date_trunc('minute', ts)) "
	"        % 1000000 * 300 / 1000000) * interval '1 second' / 300; "
	"    ELSIF ms = 'smalldatetime' THEN "
	"      ts := date_trunc('minute', ts + interval '30.001 seconds'); "
	"    END IF; "
	"    IF (ms = 'datetime' AND (ts < '1753-01-01' OR ts >= '10000-01-01')) OR (ms = 'smalldatetime' AND "
	"        (ts < '1900-01-01' OR ts > '2079-06-06 23:59')) THEN "
	"      PERFORM tds_catalog.conv_error(242, format('The conversion of a nvarchar data type to a %s data type "
	"        resulted in an out-of-range value.', ms)); END IF; "
	"    RETURN ts; "
	"  END IF; "
	"  RETURN v; "
	"END$$;"
	/* a string into any other type, and into bit: a string literal
	 * ('' included) must not take the integer one above, which would
	 * read it as an integer when the statement is parsed */
	"CREATE OR REPLACE FUNCTION tds_catalog.assign(v text, l anyelement, tbl text, col text) "
	"  RETURNS anyelement LANGUAGE sql STABLE AS 'SELECT tds_catalog.assign_string($1, $2, $3, $4)';"
	"CREATE OR REPLACE FUNCTION tds_catalog.assign(v text, l boolean, tbl text, col text) "
	"  RETURNS boolean LANGUAGE sql STABLE AS 'SELECT tds_catalog.assign_string($1, $2, $3, $4)';"
	/* Tests mark a table whose TRUNCATE SQL Server refuses for a reason
	 * PostgreSQL has not (4711: CDC or replication; 13545: system-versioned
	 * temporal; 3729: in an indexed view, named by referenced_by; 1088: the
	 * login lacks the ALTER permission TRUNCATE needs, the peer's sa not):
	 * SELECT tds_catalog.refuse_truncate('s.t', 4711). Answered by that
	 * number (SQLSTATE TDS01, pgexec.c). */
	"CREATE OR REPLACE FUNCTION tds_catalog.truncate_refused() RETURNS trigger LANGUAGE plpgsql AS "
	"  $$BEGIN RAISE EXCEPTION USING ERRCODE = 'TDS01', MESSAGE = TG_ARGV[0], DETAIL = TG_ARGV[1], "
	"    SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME; END$$;"
	"CREATE OR REPLACE FUNCTION tds_catalog.refuse_truncate(tbl regclass, number integer, "
	"  referenced_by text DEFAULT '') RETURNS void LANGUAGE plpgsql AS "
	"  $$BEGIN EXECUTE format('CREATE TRIGGER tds_refuse_truncate BEFORE TRUNCATE ON %s FOR EACH STATEMENT "
	"    EXECUTE FUNCTION tds_catalog.truncate_refused(%L, %L)', tbl, number, referenced_by); END$$;"
	/* SQL Server: "If the value inserted is larger than the current
	 * identity value for the table, SQL Server automatically uses the new
	 * inserted value as the current identity value" (SET IDENTITY_INSERT),
	 * and a bulk load with KEEPIDENTITY moves it as well. PostgreSQL's
	 * OVERRIDING SYSTEM VALUE and COPY leave the sequence alone, so every
	 * INSERT, MERGE and COPY into a table with an IDENTITY column ends
	 * with this (a statement trigger check_table creates, ALWAYS so that a
	 * bulk load in replica mode runs it): the sequence moved to the
	 * column's largest value (smallest, for a negative increment) when
	 * that is beyond its current value. The table's, not the statement's
	 * values: the same while nothing else writes the column (RESEED is
	 * not emulated). setval is not undone by a rollback, as SQL Server's
	 * identity values are not. As the peer's own user: a login's role
	 * may not update the sequence. */
	"CREATE OR REPLACE FUNCTION tds_catalog.identity_follow() RETURNS trigger LANGUAGE plpgsql "
	"  SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS "
	"  $$DECLARE c text; q text; inc bigint; cur bigint; called boolean; m bigint; BEGIN "
	"    SELECT attname INTO c FROM pg_attribute WHERE attrelid = TG_RELID AND attidentity <> '' "
	"      AND attnum > 0 AND NOT attisdropped; "
	"    IF c IS NULL THEN RETURN NULL; END IF; "
	"    q := pg_get_serial_sequence(format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME), c); "
	"    SELECT seqincrement INTO inc FROM pg_sequence WHERE seqrelid = q::regclass; "
	"    EXECUTE 'SELECT last_value, is_called FROM ' || q INTO cur, called; "
	"    IF NOT called THEN cur := cur - inc; END IF; "
	"    EXECUTE format('SELECT %s(%I) FROM %I.%I', CASE WHEN inc > 0 THEN 'max' ELSE 'min' END, c, "
	"      TG_TABLE_SCHEMA, TG_TABLE_NAME) INTO m; "
	"    IF m IS NOT NULL AND ((inc > 0 AND m > cur) OR (inc < 0 AND m < cur)) THEN "
	"      PERFORM setval(q, m, true); END IF; "
	"    RETURN NULL; END$$;"
	/* SQL Server's 511 when a row is written (Msg 511, "MSSQLSERVER_511";
	 * "Row-Overflow Data Exceeding 8 KB"; "Estimate the size of a heap"):
	 * its bytes in the row, after every variable-length value that can go
	 * was pushed off it, over 8,060. The peer refuses a row only when a
	 * lower bound of them is over, so that it refuses only what SQL Server
	 * surely does: the row header, fixed-length columns and null bitmap;
	 * when a variable-length value is not NULL, 2 for their count and per
	 * such value an offset of 2 and its bytes or the pointer it would
	 * leave, whichever is less (an nvarchar two bytes a character, fewer
	 * than its UTF-16 units where there are surrogate pairs). Offsets are
	 * counted for the non-null values only: SQL Server's array reaches the
	 * last non-null one, at least as many. A BEFORE ROW trigger of the
	 * table's own (check_table writes its function, one expression of the
	 * columns, its plan kept), ALWAYS: INSERT, UPDATE, MERGE and a bulk
	 * load (COPY, replica mode) all run it. */
	"CREATE OR REPLACE FUNCTION tds_catalog.row_size_error(s integer) RETURNS void LANGUAGE plpgsql AS "
	"  $$BEGIN PERFORM tds_catalog.conv_error(511, format('Cannot create a row of size %s which is greater "
	"than the allowable maximum of 8060.', s)); END$$;"
	/* A bulk load without KEEPIDENTITY (bulk.c): new identity values */
	"CREATE OR REPLACE FUNCTION tds_catalog.bulk_renumber() RETURNS trigger LANGUAGE plpgsql AS "
	"  $$DECLARE c text; BEGIN "
	"    FOR c IN SELECT attname FROM pg_attribute WHERE attrelid = TG_RELID AND attidentity <> '' "
	"      AND attnum > 0 AND NOT attisdropped LOOP "
	"      NEW := jsonb_populate_record(NEW, jsonb_build_object(c, nextval(pg_get_serial_sequence("
	"        format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME), c)))); "
	"    END LOOP; RETURN NEW; END$$;"
	/* sys.check_constraints, sys.triggers: the peer's own CHECKs (lengths,
	 * key lengths, tds_…) and triggers (tds_…) are SQL Server's column
	 * types and index limits, not constraints of the table */
	"CREATE OR REPLACE VIEW tds_catalog.check_constraints AS "
	"SELECT conname::text AS name, oid::integer AS object_id, conrelid::integer AS parent_object_id, "
	"  (NOT convalidated)::integer AS is_not_trusted FROM pg_constraint WHERE contype = 'c' "
	"  AND conname NOT LIKE 'tds\\_%';"
	"CREATE OR REPLACE VIEW tds_catalog.triggers AS "
	"SELECT tgname::text AS name, oid::integer AS object_id, tgrelid::integer AS parent_id, "
	"  (tgenabled = 'D')::integer AS is_disabled FROM pg_trigger WHERE NOT tgisinternal "
	"  AND tgname NOT LIKE 'tds\\_%';"
	"CREATE OR REPLACE VIEW tds_catalog.foreign_keys AS "
	"SELECT conname::text AS name, oid::integer AS object_id, conrelid::integer AS parent_object_id, "
	"  confrelid::integer AS referenced_object_id FROM pg_constraint WHERE contype = 'f';"
	/* Names compare as the database's collation compares them: a search
	 * for table 'orders' finds [Orders] where that ignores case
	 * (setup_pg puts its COLLATE for each @COLL@) */
	"DROP VIEW IF EXISTS tds_catalog.columns;"
	"CREATE VIEW tds_catalog.columns AS "
	"SELECT current_database()::text AS table_catalog, n.nspname::text@COLL@ AS table_schema, "
	"  c.relname::text@COLL@ AS table_name, a.attname::text AS column_name, "
	"  a.attnum::int AS ordinal_position, "
	"  CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END AS is_nullable, "
	"  COALESCE(split_part(d.description, '(', 1), CASE t.typname "
	"    WHEN 'int2' THEN 'smallint' WHEN 'int4' THEN 'int' WHEN 'int8' THEN 'bigint' "
	"    WHEN 'bool' THEN 'bit' WHEN 'float4' THEN 'real' WHEN 'float8' THEN 'float' "
	"    WHEN 'numeric' THEN 'decimal' WHEN 'text' THEN 'nvarchar' WHEN 'varchar' THEN 'nvarchar' "
	"    WHEN 'bpchar' THEN 'nchar' WHEN 'timestamp' THEN 'datetime2' "
	"    WHEN 'timestamptz' THEN 'datetimeoffset' WHEN 'bytea' THEN 'varbinary' "
	"    WHEN 'uuid' THEN 'uniqueidentifier' ELSE t.typname::text END) AS data_type, "
	"  CASE WHEN d.description LIKE '%(max)' OR t.typname = 'text' THEN -1 "
	"    WHEN t.typname IN ('varchar', 'bpchar') AND d.description ~ '\\(\\d+\\)$' "
	"      THEN substring(d.description from '\\((\\d+)\\)$')::int "
	"    WHEN t.typname = 'bpchar' AND a.atttypmod < 0 THEN -1 "
	"    WHEN t.typname IN ('varchar', 'bpchar') THEN a.atttypmod - 4 "
	"    WHEN t.typname IN ('bytea', 'varbinary') THEN COALESCE(substring(d.description from '\\((\\d+)\\)$')::int, -1) "
	"  END AS character_maximum_length, "
	"  CASE WHEN t.typname = 'numeric' AND a.atttypmod >= 4 THEN ((a.atttypmod - 4) >> 16) & 65535 END "
	"    AS numeric_precision, "
	"  CASE WHEN t.typname = 'numeric' AND a.atttypmod >= 4 THEN (a.atttypmod - 4) & 65535 END "
	"    AS numeric_scale, "
	/* fractional-second digits as the type was declared (datetime2(7) is
	 * PostgreSQL's timestamp(6)); datetime 3, smalldatetime 0 */
	"  CASE WHEN t.typname IN ('time', 'timestamp', 'timestamptz') THEN COALESCE("
	"    substring(d.description from '\\((\\d+)\\)$')::int, CASE WHEN a.atttypmod >= 0 THEN a.atttypmod "
	"    ELSE 6 END) WHEN t.typname = 'date' THEN 0 END AS datetime_precision, "
	"  CASE WHEN a.attcollation NOT IN (0, 100) THEN (SELECT collname::text FROM pg_collation "
	"    WHERE oid = a.attcollation) END AS collation_name "
	"FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
	"JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid "
	"LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass "
	"  AND d.objsubid = a.attnum "
	"WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v') "
	"  AND (n.nspname NOT LIKE 'pg_temp%' OR n.oid = pg_my_temp_schema());";

uint32_t peer_varbinary_oid;

static int setup_pg(const char *conninfo, const char *db_collation)
{
	PGconn *pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "tds-server: cannot connect to PostgreSQL (%s)\n", PQerrorMessage(pg));
		PQfinish(pg);
		return -1;
	}
	sbuf q;
	sb_init(&q);
	peer_collations_sql(&q);
	char coll[200] = "";
	if (strstr(db_collation, "_CI"))
		snprintf(coll, sizeof coll, " COLLATE public.\"%s\"", db_collation);
	for (const char *p = setup_sql, *at; *p; p = at + 6) {
		if (!(at = strstr(p, "@COLL@"))) {
			sb_puts(&q, p);
			break;
		}
		sb_printf(&q, "%.*s%s", (int)(at - p), p, coll);
	}
	/* sys.databases: the database's collation, which names follow (the
	 * name of a peer_collation, letters, digits and '_') */
	sb_printf(&q, "CREATE OR REPLACE VIEW tds_catalog.databases AS SELECT current_database()::text AS name, "
		  "'%s'::text AS collation_name;", db_collation);
	/* SQL Server's catalog views, and the names of dbo, are every
	 * login's; what a login may do to a table is the table's own
	 * permission (the login's role, session.c) */
	sb_puts(&q, "GRANT USAGE ON SCHEMA dbo, tds_catalog TO PUBLIC;"
		    "GRANT SELECT ON ALL TABLES IN SCHEMA tds_catalog TO PUBLIC;");
	PGresult *r = PQexec(pg, q.p);
	sb_free(&q);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "tds-server: setting up the database failed (%s)\n", PQerrorMessage(pg));
	PQclear(r);
	if (ok) {
		/* made by the setup above: its OID is the database's own */
		r = PQexec(pg, "SELECT 'tds_catalog.varbinary'::regtype::oid");
		ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
		if (ok)
			peer_varbinary_oid = (uint32_t)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
		else
			fprintf(stderr, "tds-server: no type tds_catalog.varbinary (%s)\n", PQerrorMessage(pg));
		PQclear(r);
	}
	PQfinish(pg);
	return ok ? 0 : -1;
}

/* Queries over the catalogs a session reads first (the collation checks,
 * INFORMATION_SCHEMA.COLUMNS, sys.databases, the constraint views), run on
 * the spare while no client waits: a new backend loads each catalog's
 * cache entries on first use, which made a client's first queries take
 * 11-22 ms each (SQL Server's metadata cache is warm). They match nothing
 * and change nothing. */
static const char warm_sql[] =
	"SELECT a.attname, CASE WHEN a.attcollation NOT IN (0, 100) THEN c.collname END, "
	"a.attcollation <> 0, a.attidentity <> '', k.relname FROM pg_attribute a "
	"JOIN pg_class k ON k.oid = a.attrelid LEFT JOIN pg_collation c ON c.oid = a.attcollation "
	"WHERE a.attrelid = to_regclass('tds_catalog.\"no such table\"') AND a.attnum > 0;"
	"SELECT collation_name FROM tds_catalog.databases WHERE name = current_database();"
	"SELECT * FROM tds_catalog.columns WHERE table_schema = '' AND table_name = '';"
	"SELECT count(*) FROM tds_catalog.check_constraints WHERE parent_object_id = 0;"
	"SELECT count(*) FROM tds_catalog.foreign_keys WHERE parent_object_id = 0";

/* A PostgreSQL connection made before the next TDS client arrives, so the
 * login answer does not wait for a backend to start, nor the first queries
 * for its catalog caches (warm_sql). The child that gets it owns it; the
 * parent drops its copy without a Terminate message. */
static PGconn *make_spare(const char *conninfo)
{
	PGconn *pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		PQfinish(pg);
		return NULL;
	}
	PQclear(PQexec(pg, PEER_SESSION_SETUP));
	PQclear(PQexec(pg, warm_sql));
	return pg;
}

static void reap(void)
{
	pid_t p;
	while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
		for (int i = 0; i < MAX_CHILDREN; i++)
			if (children[i] == p)
				children[i] = 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"pg", required_argument, NULL, 'p'},
		{"fault", required_argument, NULL, 'f'},
		{"log", required_argument, NULL, 'L'},
		{"collation", required_argument, NULL, 'C'},
		{"password", required_argument, NULL, 'P'},
		{"language", required_argument, NULL, 'G'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct peer_opts o = {0};
	const char *listen_at = NULL, *logfile = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "l:p:f:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l': listen_at = optarg; break;
		case 'p': o.pg = optarg; break;
		case 'f':
			if (parse_fault(&o, optarg)) {
				fprintf(stderr, "tds-server: bad --fault (%s)\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'L': logfile = optarg; break;
		case 'C':
			if (!(o.db_collation = peer_collation(optarg))) {
				fprintf(stderr, "tds-server: unknown collation (%s)\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'P': o.password = optarg; break;
		case 'G':
			if (!peer_language_dateformat(optarg)) {
				fprintf(stderr, "tds-server: unknown language (%s)\n", optarg);
				return EX_USAGE;
			}
			o.language = optarg;
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("tds-server %s\n", DBREPL_VERSION); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (!o.db_collation)
		o.db_collation = PEER_SERVER_COLLATION;
	if (!listen_at || !o.pg || optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	char host[256];
	const char *colon = strrchr(listen_at, ':');
	if (!colon || (size_t)(colon - listen_at) >= sizeof host) {
		fprintf(stderr, "tds-server: bad --listen, want HOST:PORT (%s)\n", listen_at);
		return EX_USAGE;
	}
	snprintf(host, sizeof host, "%.*s", (int)(colon - listen_at), listen_at);
	char *end;
	long port = strtol(colon + 1, &end, 10);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (*end || port < 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "tds-server: bad --listen, want IPv4:PORT (%s)\n", listen_at);
		return EX_USAGE;
	}
	if (logfile) {
		o.log = fopen(logfile, "a");
		if (!o.log) {
			fprintf(stderr, "tds-server: cannot open log (%s)\n", logfile);
			return EX_CANTCREAT;
		}
	}
	o.commit_batches = mmap(NULL, sizeof(long), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (o.commit_batches == MAP_FAILED) {
		fprintf(stderr, "tds-server: mmap failed\n");
		return EX_OSERR;
	}
	*o.commit_batches = 0;
	if (setup_pg(o.pg, o.db_collation))
		return EX_UNAVAILABLE;

	int ls = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) || listen(ls, 64)) {
		fprintf(stderr, "tds-server: cannot listen (%s: %s)\n", listen_at, strerror(errno));
		return EX_UNAVAILABLE;
	}
	socklen_t sl = sizeof sa;
	getsockname(ls, (struct sockaddr *)&sa, &sl);

	struct sigaction act = {0};
	act.sa_handler = on_term;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	act.sa_handler = on_chld;
	sigaction(SIGCHLD, &act, NULL);
	signal(SIGPIPE, SIG_IGN);

	printf("ready %d\n", ntohs(sa.sin_port));
	fflush(stdout);
	peer_log(&o, "listening on %s:%d", host, ntohs(sa.sin_port));

	PGconn *spare = NULL;
	while (!stop) {
		if (!spare)
			spare = make_spare(o.pg);
		/* poll, so a SIGTERM that lands outside accept() is seen soon */
		struct pollfd pfd = {.fd = ls, .events = POLLIN};
		int ready = poll(&pfd, 1, 500);
		reap();
		if (ready <= 0 || stop)
			continue;
		int fd = accept(ls, NULL, NULL);
		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
		pid_t pid = fork();
		if (pid == 0) {
			close(ls);
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			signal(SIGCHLD, SIG_DFL);
			session_run(fd, &o, spare);
			if (o.log)
				fclose(o.log);
			exit(0);
		}
		close(fd);
		if (spare && pid >= 0) {
			/* the child has it now: close our copy of the socket first, so
			 * PQfinish cannot tell the server to end the session */
			close(PQsocket(spare));
			PQfinish(spare);
			spare = NULL;
		}
		if (pid > 0) {
			for (int i = 0; i < MAX_CHILDREN; i++)
				if (children[i] == 0) {
					children[i] = pid;
					break;
				}
		}
	}
	close(ls);
	if (spare)
		PQfinish(spare);
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] > 0)
			kill(children[i], SIGTERM);
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] > 0)
			waitpid(children[i], NULL, 0);
	if (o.log)
		fclose(o.log);
	munmap(o.commit_batches, sizeof(long));
	return 0;
}
