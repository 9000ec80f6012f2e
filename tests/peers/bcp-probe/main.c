/* bcp-probe — bulk-loads rows into a #temp table through FreeTDS db-lib's
 * bcp, exactly as mssql-apply stages its batches, then runs a statement that
 * moves them somewhere permanent. Writes the values it sent in PostgreSQL
 * COPY text form, so a test can compare them with what arrived.
 *
 *   bcp-probe --server HOST:PORT --database DB --rows N --expect FILE
 *             [--then "T-SQL"]
 *   bcp-probe --server HOST:PORT --cancel    (against a peer with delay-ms)
 *   bcp-probe --server HOST:PORT --cancel --cancel-sql "T-SQL" --cancel-after MS
 *             (sends the batch, cancels it MS ms later: one that waits on a
 *             lock)
 *   bcp-probe --server HOST:PORT --typed --then "T-SQL"   (three rows, many types)
 *   --text-copy with --typed: #typed gets an xml column too, which the
 *             peer loads by COPY text (no binary form for it), so the
 *             other columns, binary(4) among them, go that way as well
 *   bcp-probe --server HOST:PORT --rpc N   (one RPC of sp_executesql, N
 *             parameters in all: @stmt, @params and N - 2 of its own)
 *   --utf8 binds nchar/nvarchar values as UTF-8, which FreeTDS 1.3 sends
 *   unconverted: SQL Server (and the peer) must refuse or garble them.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <sybfront.h>
#include <sybdb.h>

static int err_handler(DBPROCESS *dbproc, int severity, int dberr, int oserr, char *dberrstr, char *oserrstr)
{
	(void)dbproc;
	(void)oserr;
	(void)oserrstr;

	fprintf(stderr, "bcp-probe: db-lib error %d (severity %d): %s\n", dberr, severity, dberrstr);
	return INT_CANCEL;
}

static int msg_handler(DBPROCESS *dbproc, DBINT msgno, int msgstate, int severity, char *msgtext,
		       char *srvname, char *procname, int line)
{
	(void)dbproc;
	(void)msgstate;
	(void)srvname;
	(void)procname;
	(void)line;
	if (severity > 10)
		fprintf(stderr, "bcp-probe: Msg %d (severity %d): %s\n", (int)msgno, severity, msgtext);
	return 0;
}

static int run(DBPROCESS *db, const char *sql)
{
	if (dbcmd(db, sql) == FAIL || dbsqlexec(db) == FAIL)
		return -1;
	RETCODE rc;
	while ((rc = dbresults(db)) != NO_MORE_RESULTS) {
		if (rc == FAIL)
			return -1;
		while (dbnextrow(db) != NO_MORE_ROWS)
			;
	}
	return 0;
}

/* --cancel: dbcancel() on a batch the server is still working on sends an
 * ATTENTION; the server must acknowledge it (DONE_ATTN) at once, and the
 * connection then answers the next batch. The batch is sql, cancelled
 * after_ms after it was sent. */
static int cancel_probe(DBPROCESS *db, const char *sql, long after_ms)
{
	struct timespec t0, t1;
	if (dbcmd(db, sql) == FAIL || dbsqlsend(db) == FAIL)
		return -1;
	if (after_ms > 0)
		nanosleep(&(struct timespec){after_ms / 1000, after_ms % 1000 * 1000000}, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (dbcancel(db) == FAIL) {
		fprintf(stderr, "bcp-probe: dbcancel failed\n");
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (dbcmd(db, "SELECT 42") == FAIL || dbsqlexec(db) == FAIL || dbresults(db) != SUCCEED ||
	    dbnextrow(db) != REG_ROW) {
		fprintf(stderr, "bcp-probe: no answer after the cancel\n");
		return -1;
	}
	DBINT v = 0;
	dbconvert(db, dbcoltype(db, 1), dbdata(db, 1), dbdatlen(db, 1), SYBINT4, (BYTE *)&v, sizeof v);
	while (dbnextrow(db) != NO_MORE_ROWS)
		;
	while (dbresults(db) != NO_MORE_RESULTS)
		;
	printf("cancelled in %ld ms, then %d\n", ms, (int)v);
	return 0;
}

/* --rpc N: an RPC of sp_executesql with N parameters in all, as
 * mssql-apply sends its batches (SQL Server takes 2,100 at most, @stmt and
 * @params counted); the statement adds the first and the last of its own,
 * @p1 = 1 … @pK = K, and prints the sum. */
static int rpc_probe(DBPROCESS *db, long n)
{
	if (n < 3 || n > 100000)
		return -1;
	long k = n - 2;
	char stmt[64];
	snprintf(stmt, sizeof stmt, "SELECT @p1 + @p%ld", k);
	size_t cap = (size_t)k * 24 + 1, len = 0;
	char *decl = malloc(cap);
	DBBIGINT *vals = malloc((size_t)k * sizeof *vals);
	char(*names)[24] = malloc((size_t)k * sizeof *names);
	int rc = -1;
	if (!decl || !vals || !names)
		goto out;
	for (long i = 1; i <= k; i++) {
		len += (size_t)snprintf(decl + len, cap - len, "%s@p%ld bigint", i > 1 ? ", " : "", i);
		snprintf(names[i - 1], sizeof names[i - 1], "@p%ld", i);
		vals[i - 1] = i;
	}
	if (dbrpcinit(db, "sp_executesql", 0) == FAIL ||
	    dbrpcparam(db, "@stmt", 0, SYBNTEXT, -1, (DBINT)strlen(stmt), (BYTE *)stmt) == FAIL ||
	    dbrpcparam(db, "@params", 0, SYBNTEXT, -1, (DBINT)len, (BYTE *)decl) == FAIL)
		goto out;
	for (long i = 0; i < k; i++)
		if (dbrpcparam(db, names[i], 0, SYBINT8, -1, 8, (BYTE *)&vals[i]) == FAIL)
			goto out;
	if (dbrpcsend(db) == FAIL || dbsqlok(db) == FAIL)
		goto out;
	DBBIGINT sum = -1;
	RETCODE r;
	while ((r = dbresults(db)) != NO_MORE_RESULTS) {
		if (r == FAIL)
			goto out;
		while (dbnextrow(db) == REG_ROW)
			dbconvert(db, dbcoltype(db, 1), dbdata(db, 1), dbdatlen(db, 1), SYBINT8, (BYTE *)&sum,
				  sizeof sum);
	}
	if (dbretstatus(db) != 0)
		goto out;
	printf("rpc of %ld parameters: %lld\n", n, (long long)sum);
	rc = 0;
out:
	free(decl);
	free(vals);
	free(names);
	return rc;
}

/* --typed: one bcp of three fixed rows into #typed, every column bound as
 * text (db-lib converts to the server's types) except varbinary and
 * binary(4) (bytes: one, which the server pads to four, then four);
 * text_copy: a 13th column [x] xml, bound as UTF-16LE bytes. */
static const char *const typed_rows[3][10] = {
	{"1", "0", "0.0001", "0.1", "2024-02-29 13:14:15.123456", "2024-02-29",
	 "6F9619FF-8B86-D011-B42D-00C04FC964FF", "23:59:59.999", "2024-01-01 12:00:00.123",
	 "-9223372036854775808"},
	{"2", "255", "-12345678901234.5678", "-2.5", "1900-01-01 00:00:00.000001", "2000-02-29",
	 "00000000-0000-0000-0000-000000000001", "00:00:00.000", "9999-12-31 23:59:59.999",
	 "9223372036854775807"},
	{"3", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};

static int typed_probe(DBPROCESS *db, int text_copy)
{
	if (run(db, text_copy ? "CREATE TABLE #typed ([k] int NOT NULL, [t8] tinyint NULL, [d] decimal(18,4) NULL, "
				"[f] float NULL, [dt] datetime2(6) NULL, [dd] date NULL, [g] uniqueidentifier NULL, "
				"[tm] time(3) NULL, [dto] datetimeoffset(3) NULL, [big] bigint NULL, "
				"[vb] varbinary(max) NULL, [bn] binary(4) NULL, [x] xml NULL)"
			      : "CREATE TABLE #typed ([k] int NOT NULL, [t8] tinyint NULL, [d] decimal(18,4) NULL, "
				"[f] float NULL, [dt] datetime2(6) NULL, [dd] date NULL, [g] uniqueidentifier NULL, "
				"[tm] time(3) NULL, [dto] datetimeoffset(3) NULL, [big] bigint NULL, "
				"[vb] varbinary(max) NULL, [bn] binary(4) NULL)"))
		return -1;
	if (bcp_init(db, "#typed", NULL, NULL, DB_IN) == FAIL)
		return -1;
	static BYTE bytes[256];
	for (int i = 0; i < 256; i++)
		bytes[i] = (BYTE)i;
	for (int r = 0; r < 3; r++) {
		for (int c = 0; c < 10; c++) {
			const char *v = typed_rows[r][c];
			if (bcp_bind(db, (BYTE *)(v ? v : ""), 0, v ? (DBINT)strlen(v) : 0, NULL, 0, SYBCHAR, c + 1) == FAIL)
				return -1;
		}
		if (bcp_bind(db, bytes, 0, r == 2 ? 0 : (r == 0 ? 256 : 1), NULL, 0, SYBBINARY, 11) == FAIL)
			return -1;
		if (bcp_bind(db, bytes + 1, 0, r == 2 ? 0 : (r == 0 ? 1 : 4), NULL, 0, SYBBINARY, 12) == FAIL)
			return -1;
		/* "<a>1</a>" as UTF-16LE: FreeTDS 1.3 passes bound bytes as they
		 * are, and the server reads xml bulk data as UTF-16 */
		static const BYTE xml[] = {'<', 0, 'a', 0, '>', 0, '1', 0, '<', 0, '/', 0, 'a', 0, '>', 0};
		if (text_copy && bcp_bind(db, (BYTE *)xml, 0, r == 2 ? 0 : (DBINT)sizeof xml, NULL, 0, SYBCHAR, 13) == FAIL)
			return -1;
		if (bcp_sendrow(db) == FAIL)
			return -1;
	}
	DBINT n = bcp_done(db);
	printf("copied %ld\n", (long)n);
	return n == 3 ? 0 : -1;
}

/* FreeTDS 1.3's bcp sends the bytes bound to an nchar/nvarchar column as
 * they are, without converting them to UCS-2: the client binds UTF-16LE. */
static size_t to_utf16le(const char *s, unsigned char *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	while (*p) {
		unsigned long cp;
		int extra;
		if (*p < 0x80)
			cp = *p, extra = 0;
		else if ((*p & 0xE0) == 0xC0)
			cp = *p & 0x1F, extra = 1;
		else if ((*p & 0xF0) == 0xE0)
			cp = *p & 0x0F, extra = 2;
		else
			cp = *p & 0x07, extra = 3;
		p++;
		while (extra-- > 0 && (*p & 0xC0) == 0x80)
			cp = (cp << 6) | (*p++ & 0x3F);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			unsigned long hi = 0xD800 | (cp >> 10), lo = 0xDC00 | (cp & 0x3FF);
			out[o++] = (unsigned char)hi;
			out[o++] = (unsigned char)(hi >> 8);
			out[o++] = (unsigned char)lo;
			out[o++] = (unsigned char)(lo >> 8);
		} else {
			out[o++] = (unsigned char)cp;
			out[o++] = (unsigned char)(cp >> 8);
		}
	}
	return o;
}

/* PostgreSQL COPY text form of a string */
static void copy_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default: fputc(*s, f);
		}
	}
}

/* Row i's text: non-ASCII, a surrogate pair, control characters, and now
 * and then a long value that spans many packets (PLP chunks). */
static void make_text(long i, char *buf, size_t cap)
{
	if (i % 500 == 1) {
		size_t n = 0;
		while (n + 16 < cap && n < 20000)
			n += (size_t)snprintf(buf + n, cap - n, "%07ld-åß\\|", i);
		return;
	}
	snprintf(buf, cap, "row %ld: Grüße, 日本語 😀\ttab\nline 'q' \"dq\" \\bs", i);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"server", required_argument, NULL, 's'},
		{"database", required_argument, NULL, 'd'},
		{"rows", required_argument, NULL, 'n'},
		{"expect", required_argument, NULL, 'e'},
		{"then", required_argument, NULL, 't'},
		{"cancel", no_argument, NULL, 'c'},
		{"cancel-sql", required_argument, NULL, 'C'},
		{"cancel-after", required_argument, NULL, 'A'},
		{"utf8", no_argument, NULL, 'u'},
		{"typed", no_argument, NULL, 'y'},
		{"text-copy", no_argument, NULL, 'x'},
		{"rpc", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *server = NULL, *database = "target", *expect = NULL, *then = NULL;
	const char *cancel_sql = "SELECT 1";
	long rows = 10, rpc = 0, cancel_after = 0;
	int ch, cancel = 0, utf8 = 0, typed = 0, text_copy = 0;
	while ((ch = getopt_long(argc, argv, "s:d:n:e:t:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'd': database = optarg; break;
		case 'n': rows = atol(optarg); break;
		case 'e': expect = optarg; break;
		case 't': then = optarg; break;
		case 'c': cancel = 1; break;
		case 'C': cancel_sql = optarg; break;
		case 'A': cancel_after = atol(optarg); break;
		case 'u': utf8 = 1; break;
		case 'y': typed = 1; break;
		case 'x': text_copy = 1; break;
		case 'r': rpc = atol(optarg); break;
		case 'h':
			printf("Usage: bcp-probe --server HOST:PORT [--database DB] [--rows N] [--expect FILE] "
			       "[--then T-SQL] [--cancel [--cancel-sql T-SQL] [--cancel-after MS]] [--utf8] [--typed] [--rpc N]\n");
			return 0;
		case 'V': printf("bcp-probe %s\n", DBREPL_VERSION); return 0;
		default: return EX_USAGE;
		}
	}
	if (!server)
		return EX_USAGE;
	if (dbinit() == FAIL)
		return EX_SOFTWARE;
	dberrhandle(err_handler);
	dbmsghandle(msg_handler);
	LOGINREC *login = dblogin();
	DBSETLUSER(login, "sa");
	DBSETLPWD(login, "unused");
	DBSETLAPP(login, "bcp-probe");
	DBSETLCHARSET(login, "UTF-8");
	DBSETLDBNAME(login, database);
	dbsetlversion(login, DBVERSION_74);
	BCP_SETL(login, TRUE);
	DBPROCESS *db = dbopen(login, server);
	if (!db) {
		fprintf(stderr, "bcp-probe: cannot connect (%s)\n", server);
		return EX_UNAVAILABLE;
	}
	if (cancel) {
		int rc = cancel_probe(db, cancel_sql, cancel_after);
		dbclose(db);
		dbloginfree(login);
		dbexit();
		return rc ? EX_SOFTWARE : 0;
	}
	if (rpc) {
		int rc = rpc_probe(db, rpc);
		if (rc)
			fprintf(stderr, "bcp-probe: --rpc failed\n");
		dbclose(db);
		dbloginfree(login);
		dbexit();
		return rc ? EX_SOFTWARE : 0;
	}
	if (typed) {
		int rc = typed_probe(db, text_copy);
		if (rc == 0 && then && run(db, then))
			rc = -1;
		if (rc)
			fprintf(stderr, "bcp-probe: --typed failed\n");
		dbclose(db);
		dbloginfree(login);
		dbexit();
		return rc ? EX_SOFTWARE : 0;
	}
	FILE *ef = expect ? fopen(expect, "w") : NULL;
	if (expect && !ef)
		return EX_CANTCREAT;

	if (run(db, "CREATE TABLE #dbrepl_s1 ([__seq] bigint NOT NULL, [__op] nchar(1) NOT NULL, "
		    "[txt] nvarchar(max) NULL, [__u_txt] bit NULL, [n] int NULL, [code] nvarchar(20) NULL)")) {
		fprintf(stderr, "bcp-probe: CREATE TABLE failed\n");
		return EX_SOFTWARE;
	}
	if (bcp_init(db, "#dbrepl_s1", NULL, NULL, DB_IN) == FAIL) {
		fprintf(stderr, "bcp-probe: bcp_init failed\n");
		return EX_SOFTWARE;
	}
	DBBIGINT seq = 0;
	DBINT n = 0;
	DBBIT u = 0;
	static char op[2] = "i", txt[32768], code[32];
	static unsigned char op16[8], txt16[65536], code16[64];
	if (bcp_bind(db, (BYTE *)&seq, 0, -1, NULL, 0, SYBINT8, 1) == FAIL ||
	    bcp_bind(db, (BYTE *)op, 0, -1, (BYTE *)"", 1, SYBCHAR, 2) == FAIL ||
	    bcp_bind(db, (BYTE *)txt, 0, -1, (BYTE *)"", 1, SYBCHAR, 3) == FAIL ||
	    bcp_bind(db, (BYTE *)&u, 0, -1, NULL, 0, SYBBIT, 4) == FAIL ||
	    bcp_bind(db, (BYTE *)&n, 0, -1, NULL, 0, SYBINT4, 5) == FAIL ||
	    bcp_bind(db, (BYTE *)code, 0, -1, (BYTE *)"", 1, SYBCHAR, 6) == FAIL) {
		fprintf(stderr, "bcp-probe: bcp_bind failed\n");
		return EX_SOFTWARE;
	}
	for (long i = 1; i <= rows; i++) {
		seq = i;
		op[0] = i % 10 == 0 ? 'd' : 'i';
		make_text(i, txt, sizeof txt);
		u = (DBBIT)(i % 2);
		n = (DBINT)(i * 7 - 1000);
		snprintf(code, sizeof code, "C%ld", i % 97);
		int txt_null = i % 7 == 3, n_null = i % 11 == 5, u_null = i % 13 == 4;
		size_t op_len, txt_len, code_len;
		if (utf8) {
			/* as UTF-8, which FreeTDS passes on unconverted: wrong */
			op_len = strlen(op), txt_len = strlen(txt), code_len = strlen(code);
			memcpy(op16, op, op_len);
			memcpy(txt16, txt, txt_len);
			memcpy(code16, code, code_len);
		} else {
			op_len = to_utf16le(op, op16), txt_len = to_utf16le(txt, txt16);
			code_len = to_utf16le(code, code16);
		}
		if (bcp_bind(db, op16, 0, (DBINT)op_len, NULL, 0, SYBCHAR, 2) == FAIL ||
		    bcp_bind(db, txt16, 0, txt_null ? 0 : (DBINT)txt_len, NULL, 0, SYBCHAR, 3) == FAIL ||
		    bcp_bind(db, code16, 0, (DBINT)code_len, NULL, 0, SYBCHAR, 6) == FAIL) {
			fprintf(stderr, "bcp-probe: bcp_bind failed\n");
			return EX_SOFTWARE;
		}
		bcp_collen(db, u_null ? 0 : -1, 4);
		bcp_collen(db, n_null ? 0 : -1, 5);
		if (bcp_sendrow(db) == FAIL) {
			fprintf(stderr, "bcp-probe: bcp_sendrow failed at row %ld\n", i);
			return EX_SOFTWARE;
		}
		if (ef) {
			fprintf(ef, "%ld\t%c\t", i, op[0]);
			if (txt_null)
				fputs("\\N", ef);
			else
				copy_text(ef, txt);
			fprintf(ef, "\t%s\t", u_null ? "\\N" : u ? "t" : "f");
			if (n_null)
				fputs("\\N", ef);
			else
				fprintf(ef, "%d", (int)n);
			fprintf(ef, "\t%s\n", code);
		}
	}
	DBINT done = bcp_done(db);
	if (ef)
		fclose(ef);
	printf("copied %ld\n", (long)done);
	if (done != rows) {
		fprintf(stderr, "bcp-probe: bcp_done says %ld rows, sent %ld\n", (long)done, rows);
		return EX_SOFTWARE;
	}
	if (then && run(db, then)) {
		fprintf(stderr, "bcp-probe: the --then statement failed\n");
		return EX_SOFTWARE;
	}
	dbclose(db);
	dbloginfree(login);
	dbexit();
	return 0;
}
