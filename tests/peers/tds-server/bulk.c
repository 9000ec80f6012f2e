/* bulk.c — BULK_LOAD messages (what db-lib's bcp sends after "insert bulk")
 * decoded row by row into a PostgreSQL COPY, streamed to the target table
 * through libpq as the packets arrive: memory stays flat however many rows
 * come.
 *
 * SQL Server stores bulk-loaded values as the typed binary values they
 * arrive as; it parses no text. So when every column's pair (TDS type,
 * PostgreSQL type of the target column) has a binary form (bulk_value.c),
 * the rows go as binary COPY, each value converted straight from its wire
 * form, and PostgreSQL parses nothing either. Otherwise the whole load
 * goes as COPY text, PostgreSQL parsing each value (the fallback, and what
 * every pair did before).
 */
#include "peer.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Values that do not lie whole in the packet buffer, and PLP values, are
 * gathered here; it grows to the largest value of the load and is freed
 * when the load ends. */
static uint8_t *vbuf;
static size_t vcap;

/* Room for need bytes in vbuf, keeping its first keep bytes. */
static uint8_t *vreserve(size_t need, size_t keep)
{
	if (need > vcap) {
		size_t cap = vcap < 65536 ? 65536 : vcap;
		while (cap < need)
			cap *= 2;
		uint8_t *p = keep ? realloc(vbuf, cap) : malloc(cap);
		if (!p)
			_exit(70);
		if (!keep)
			free(vbuf);
		vbuf = p;
		vcap = cap;
	}
	return vbuf;
}

static uint8_t *vget(size_t n) { return vreserve(n ? n : 1, 0); }

/* Most reads are a few bytes from the buffered packet: copied here, the
 * general tds_read() only at packet and buffer edges. */
static inline int rd(tds_conn *c, void *p, size_t n)
{
	if (n <= c->pkt_left && c->rpos + n <= c->rlen) {
		memcpy(p, c->rbuf + c->rpos, n);
		c->rpos += n;
		c->pkt_left -= n;
		return 0;
	}
	return tds_read(c, p, n);
}

/* n bytes of input, in place when they lie whole in the packet buffer,
 * else copied to dst (vbuf when dst is NULL); valid until the next read.
 * NULL at the end of the message. */
static inline const uint8_t *rd_ptr(tds_conn *c, size_t n, uint8_t *dst)
{
	if (n <= c->pkt_left && c->rpos + n <= c->rlen) {
		const uint8_t *p = c->rbuf + c->rpos;
		c->rpos += n;
		c->pkt_left -= n;
		return p;
	}
	if (!dst)
		dst = vget(n);
	return tds_read(c, dst, n) ? NULL : dst;
}

static int rd_u8(tds_conn *c, uint8_t *v)
{
	if (c->pkt_left && c->rpos < c->rlen) {
		*v = c->rbuf[c->rpos++];
		c->pkt_left--;
		return 0;
	}
	return tds_read(c, v, 1);
}

static int rd_u16(tds_conn *c, uint16_t *v)
{
	uint8_t b[2];
	if (rd(c, b, 2))
		return -1;
	*v = (uint16_t)(b[0] | b[1] << 8);
	return 0;
}

static int rd_u32(tds_conn *c, uint32_t *v)
{
	uint8_t b[4];
	if (rd(c, b, 4))
		return -1;
	*v = le32(b);
	return 0;
}

static int rd_u64(tds_conn *c, uint64_t *v)
{
	uint8_t b[8];
	if (rd(c, b, 8))
		return -1;
	*v = le64(b);
	return 0;
}

static int read_colmeta(tds_conn *c, struct bcol **out, int *nout)
{
	uint8_t tok;
	uint16_t n;
	if (rd_u8(c, &tok) || tok != TOK_COLMETA || rd_u16(c, &n) || n == 0 || n == 0xFFFF)
		return -1;
	struct bcol *cols = calloc(n, sizeof *cols);
	for (int i = 0; i < n; i++) {
		struct bcol *bc = &cols[i];
		uint32_t usertype;
		uint16_t flags, u16;
		uint8_t u8, coll[5];
		if (rd_u32(c, &usertype) || rd_u16(c, &flags) || rd_u8(c, &bc->type))
			goto bad;
		switch (bc->type) {
		case TT_INT1: case TT_BIT: case TT_INT2: case TT_INT4: case TT_INT8:
		case TT_FLT4: case TT_FLT8: case TT_DATE:
			break;
		case TT_INTN: case TT_BITN: case TT_FLTN: case TT_GUID: case TT_MONEYN:
			if (rd_u8(c, &u8))
				goto bad;
			bc->maxlen = u8;
			break;
		case TT_MONEY: case TT_MONEY4:
			break;
		case TT_DECIMALN: case TT_NUMERICN:
			if (rd_u8(c, &u8) || rd_u8(c, &bc->prec) || rd_u8(c, &bc->scale))
				goto bad;
			bc->maxlen = u8;
			break;
		case TT_TIME: case TT_DATETIME2: case TT_DTOFFSET:
			if (rd_u8(c, &bc->scale))
				goto bad;
			break;
		case TT_NVARCHAR: case TT_NCHAR: case TT_BIGVARCHR: case TT_BIGCHAR:
			if (rd_u16(c, &u16) || rd(c, coll, 5))
				goto bad;
			bc->maxlen = u16;
			bc->plp = u16 == 0xFFFF;
			break;
		case TT_BIGVARBIN: case TT_BIGBINARY:
			if (rd_u16(c, &u16))
				goto bad;
			bc->maxlen = u16;
			bc->plp = u16 == 0xFFFF;
			break;
		case TT_TEXT: case TT_NTEXT: case TT_IMAGE: {
			uint32_t ml;
			if (rd_u32(c, &ml))
				goto bad;
			if (bc->type != TT_IMAGE && rd(c, coll, 5))
				goto bad;
			/* table name, as FreeTDS writes it: US_VARCHAR */
			if (rd_u16(c, &u16) || (u16 && rd(c, vget(2u * u16), 2u * u16)))
				goto bad;
			bc->maxlen = ml;
			break;
		}
		default:
			goto bad;
		}
		if (rd_u8(c, &u8))
			goto bad;
		uint8_t nm[510];
		if (rd(c, nm, 2u * u8))
			goto bad;
		char name8[800];
		size_t k = utf16le_to_utf8(nm, 2u * u8, name8);
		snprintf(bc->name, sizeof bc->name, "%.*s", (int)k, name8);
	}
	*out = cols;
	*nout = n;
	return 0;
bad:
	free(cols);
	return -1;
}

/* The bytes of one column value of a ROW token: *v (NULL for a NULL) and
 * *n, valid until the next read. 0, or -1 on a malformed row. */
static int read_raw(tds_conn *c, const struct bcol *bc, uint8_t fixed[32], const uint8_t **v, size_t *n)
{
	uint8_t u8;
	uint16_t u16;
	size_t k;
	*v = NULL;
	*n = 0;
	switch (bc->type) {
	case TT_INT1: case TT_BIT: k = 1; break;
	case TT_INT2: k = 2; break;
	case TT_INT4: case TT_FLT4: case TT_MONEY4: k = 4; break;
	case TT_INT8: case TT_FLT8: case TT_MONEY: k = 8; break;
	default: k = 0;
	}
	if (k) {
		*n = k;
		return (*v = rd_ptr(c, k, fixed)) ? 0 : -1;
	}
	if (bc->plp) {
		uint64_t total;
		if (rd_u64(c, &total))
			return -1;
		if (total == ~(uint64_t)0)
			return 0;
		/* one chunk and the terminator, whole in the packet buffer (the
		 * usual value): read in place */
		size_t lim = c->pkt_left < c->rlen - c->rpos ? c->pkt_left : c->rlen - c->rpos;
		if (lim >= 4) {
			const uint8_t *p = c->rbuf + c->rpos;
			uint32_t cl = le32(p);
			if (cl == 0) { /* the terminator: an empty value */
				c->rpos += 4;
				c->pkt_left -= 4;
				*v = p;
				return 0;
			}
			if (lim >= 8 && cl <= lim - 8 && le32(p + 4 + cl) == 0) {
				c->rpos += 8 + (size_t)cl;
				c->pkt_left -= 8 + (size_t)cl;
				*v = p + 4;
				*n = cl;
				return 0;
			}
		}
		/* the announced length sizes the buffer, up to 1 MiB; it grows
		 * with the chunks that really come */
		size_t have = 0;
		if (total != ~(uint64_t)1 && total < ((uint64_t)1 << 20))
			vreserve((size_t)total, 0);
		for (;;) {
			uint32_t cl;
			if (rd_u32(c, &cl))
				return -1;
			if (cl == 0)
				break;
			vreserve(have + cl, have);
			if (rd(c, vbuf + have, cl))
				return -1;
			have += cl;
		}
		*v = have ? vbuf : fixed;
		*n = have;
		return 0;
	}
	switch (bc->type) {
	case TT_NVARCHAR: case TT_NCHAR: case TT_BIGVARCHR: case TT_BIGCHAR: case TT_BIGVARBIN: case TT_BIGBINARY:
		if (rd_u16(c, &u16))
			return -1;
		if (u16 == 0xFFFF)
			return 0;
		*n = u16;
		return (*v = rd_ptr(c, u16, NULL)) ? 0 : -1;
	case TT_TEXT: case TT_NTEXT: case TT_IMAGE: {
		uint8_t skip[24];
		uint32_t len;
		if (rd_u8(c, &u8))
			return -1;
		if (u8 == 0)
			return 0;
		if (u8 > 16 || rd(c, skip, u8) || rd(c, skip, 8) || rd_u32(c, &len))
			return -1;
		*n = len;
		return (*v = rd_ptr(c, len, NULL)) ? 0 : -1;
	}
	default:
		/* 1-byte length prefix; 0 is NULL */
		if (rd_u8(c, &u8))
			return -1;
		if (u8 == 0)
			return 0;
		if (u8 > 32)
			return -1;
		*n = u8;
		return (*v = rd_ptr(c, u8, fixed)) ? 0 : -1;
	}
}

/* ---- the target's column types ---- */

void bulk_meta_drop(session *s)
{
	free(s->meta_table);
	free(s->meta);
	s->meta_table = NULL;
	s->meta = NULL;
	s->meta_n = 0;
}

/* Keeps the PostgreSQL types of table's columns (rows of r: name in
 * column name_col, type OID in oid_col) for the bulk load that follows:
 * FreeTDS's bcp asks for the table's metadata (FMTONLY) just before
 * "insert bulk", and that query gives them without another round trip.
 * The metadata the client formats its rows by is as old: a table altered
 * by another session in between fails SQL Server's load too. */
void bulk_meta_keep(session *s, const char *table, const PGresult *r, int name_col, int oid_col, int typmod_col)
{
	bulk_meta_drop(s);
	int n = PQntuples(r);
	s->meta = calloc((size_t)(n ? n : 1), sizeof *s->meta);
	s->meta_table = strdup(table);
	if (!s->meta || !s->meta_table)
		_exit(70);
	for (int i = 0; i < n; i++) {
		snprintf(s->meta[i].name, sizeof s->meta[i].name, "%s", PQgetvalue(r, i, name_col));
		s->meta[i].oid = (uint32_t)strtoul(PQgetvalue(r, i, oid_col), NULL, 10);
		s->meta[i].typmod = atoi(PQgetvalue(r, i, typmod_col));
	}
	s->meta_n = n;
}

/* Chooses each column's binary form from the types of the target's
 * columns kept from the metadata query; 1 when every column has one (the
 * load goes binary), else 0 (COPY text; also for a client that sent no
 * metadata query for this table). A binary(n) column (tds_catalog.varbinary
 * with n + 65536 as its modifier) gets pad_to n: COPY does not apply the
 * type's length coercion, and SQL Server pads (SET ANSI_PADDING ON). */
static int choose_binary(session *s, struct bcol *cols, int ncols)
{
	if (!s->meta_table || strcmp(s->meta_table, s->bulk_target) != 0)
		return 0;
	int all = 1;
	for (int i = 0; i < ncols; i++) {
		cols[i].enc = BE_NONE;
		cols[i].pad_to = 0;
		for (int k = 0; k < s->meta_n; k++) {
			if (!strcmp(s->meta[k].name, cols[i].name)) {
				cols[i].enc = bulk_binary_form(&cols[i], s->meta[k].oid);
				if (s->meta[k].oid == peer_varbinary_oid && s->meta[k].typmod >= 65536) {
					cols[i].pad_to = (uint32_t)(s->meta[k].typmod & 65535);
					if (cols[i].enc == BE_BYTEA)
						cols[i].enc = BE_BINARY_N;
				}
				break;
			}
		}
		if (cols[i].enc == BE_NONE)
			all = 0;
	}
	return all;
}

static void copy_ident(sbuf *o, const char *name)
{
	sb_putc(o, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			sb_putc(o, '"');
		sb_putc(o, *p);
	}
	sb_putc(o, '"');
}

/* Without KEEPIDENTITY, SQL Server drops the values sent for an IDENTITY
 * column and numbers the rows anew; COPY would keep them. So, for such a
 * table, a trigger gives each row the column's next value for the time of
 * the COPY (tds_catalog.bulk_renumber, main.c). Whether it was created.
 * to_regclass: a missing table must not abort the transaction here (the
 * COPY answers it with 208). */
static int renumber_begin(session *s)
{
	const char *params[1] = {s->bulk_target};
	PGresult *r = PQexecParams(s->pg, "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) "
				   "AND attidentity <> '' AND attnum > 0 AND NOT attisdropped",
				   1, NULL, params, NULL, NULL, 0);
	int has = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;
	PQclear(r);
	if (!has)
		return 0;
	sbuf q;
	sb_init(&q);
	/* ALWAYS: it fires in replica mode too (unchecked, below) */
	sb_printf(&q, "CREATE TRIGGER tds_bulk_renumber BEFORE INSERT ON %s FOR EACH ROW "
		      "EXECUTE FUNCTION tds_catalog.bulk_renumber(); ALTER TABLE %s ENABLE ALWAYS TRIGGER tds_bulk_renumber",
		      s->bulk_target, s->bulk_target);
	r = pg_exec(s, q.p);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	sb_free(&q);
	peer_log(s->o, "bulk: no KEEPIDENTITY, identity values of %s renumbered", s->bulk_target);
	return ok;
}

/* Drops the trigger (in a failed transaction, the rollback does). */
static void renumber_end(session *s)
{
	sbuf q;
	sb_init(&q);
	sb_printf(&q, "DROP TRIGGER IF EXISTS tds_bulk_renumber ON %s", s->bulk_target);
	PQclear(PQexec(s->pg, q.p));
	sb_free(&q);
}


/* A bulk load without the CHECK_CONSTRAINTS and FIRE_TRIGGERS hints, as
 * bcp sends it by default: SQL Server fires no trigger and checks no
 * FOREIGN KEY or CHECK constraint, and marks those constraints not
 * trusted. The peer runs such a COPY into a table (not a #temp one) with
 * session_replication_role = replica, so PostgreSQL fires neither the
 * table's triggers nor the ones that check its foreign keys; and, as
 * PostgreSQL checks a CHECK constraint whatever the role, drops the
 * table's CHECK constraints (not the peer's own tds_ ones) for the COPY and
 * adds them back NOT VALID after it: sys.check_constraints then says
 * is_not_trusted, as SQL Server's does. All in one transaction (the
 * session's, or one of its own when none is open), so a failed load leaves
 * the constraints as they were. 1 when set. */
struct unchecked {
	int on, own_txn;
	sbuf restore; /* ALTER TABLE … ADD CONSTRAINT … NOT VALID; … */
};

static int exec_ok(session *s, const char *sql)
{
	PGresult *r = pg_exec(s, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		peer_log(s->o, "bulk: %s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	return ok;
}

/* The login's role again, after a RESET ROLE for what needs the peer's
 * own user (a transaction rolled back puts it back too). */
static int role_back(session *s)
{
	if (!s->role[0])
		return 1;
	char q[160];
	snprintf(q, sizeof q, "SET ROLE %s", s->role);
	return exec_ok(s, q);
}

static int unchecked_begin(session *s, struct unchecked *u)
{
	memset(u, 0, sizeof *u);
	sb_init(&u->restore);
	if (s->bulk_check_constraints || s->bulk_fire_triggers || s->bulk_target[0] != '"' || s->bulk_target[1] == '#')
		return 0;
	if (s->role[0]) {
		/* A login's role (session.c): SQL Server wants ALTER on the
		 * table for a load that skips its constraints and triggers
		 * (bcp utility, Permissions). The owner's load skips them,
		 * the peer's own user doing what needs a superuser; another
		 * login's is checked (and refused, without INSERT, by the
		 * COPY as the login's role). */
		const char *params[1] = {s->bulk_target};
		PGresult *r = PQexecParams(s->pg, "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class "
					   "WHERE oid = to_regclass($1)", 1, NULL, params, NULL, NULL, 0);
		int owner = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
		PQclear(r);
		if (!owner)
			return 0;
	}
	if (PQtransactionStatus(s->pg) == PQTRANS_IDLE) {
		if (!exec_ok(s, "BEGIN"))
			return 0;
		u->own_txn = 1;
	}
	if (s->role[0] && !exec_ok(s, "RESET ROLE"))
		goto undo;
	if (!exec_ok(s, "SET LOCAL session_replication_role = replica")) {
		peer_log(s->o, "bulk: session_replication_role refused (not a superuser?): constraints checked");
		goto undo;
	}
	/* to_regclass: a missing table must not abort the transaction here
	 * (the COPY answers it with 208) */
	const char *params[1] = {s->bulk_target};
	PGresult *r = PQexecParams(s->pg, "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
				   "WHERE conrelid = to_regclass($1) AND contype = 'c' AND conname NOT LIKE 'tds\\_%' "
				   "ORDER BY conname",
				   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		peer_log(s->o, "bulk: reading CHECK constraints: %s", PQresultErrorMessage(r));
		PQclear(r);
		goto undo;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		sbuf d;
		sb_init(&d);
		sb_printf(&d, "ALTER TABLE %s DROP CONSTRAINT %s", s->bulk_target, PQgetvalue(r, i, 0));
		int ok = exec_ok(s, d.p);
		sb_free(&d);
		if (!ok) {
			PQclear(r);
			goto undo;
		}
		sb_printf(&u->restore, "ALTER TABLE %s ADD CONSTRAINT %s %s NOT VALID;", s->bulk_target,
			  PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
	}
	PQclear(r);
	if (!role_back(s))
		goto undo;
	u->on = 1;
	return 1;
undo:
	role_back(s);
	if (u->own_txn)
		exec_ok(s, "ROLLBACK");
	u->own_txn = 0;
	sb_free(&u->restore);
	return 0;
}

/* After the COPY: the CHECK constraints back, not trusted, and the role
 * back; the transaction of its own committed when the load went in. */
static void unchecked_end(session *s, struct unchecked *u, int loaded)
{
	if (u->on && loaded && PQtransactionStatus(s->pg) == PQTRANS_INTRANS) {
		if (s->role[0] && !exec_ok(s, "RESET ROLE"))
			loaded = 0;
		if (loaded && u->restore.n && !exec_ok(s, u->restore.p))
			loaded = 0;
		if (loaded && !u->own_txn)
			exec_ok(s, "SET LOCAL session_replication_role = origin");
		role_back(s);
	}
	if (u->own_txn)
		exec_ok(s, loaded && PQtransactionStatus(s->pg) == PQTRANS_INTRANS ? "COMMIT" : "ROLLBACK");
	sb_free(&u->restore);
	memset(u, 0, sizeof *u);
}

void handle_bulk(session *s)
{
	tds_conn *c = s->c;
	struct bcol *cols = NULL;
	int ncols = 0, copying = 0, proto_err = 0, binary = 0, renumber = 0;
	struct unchecked unchecked = {0};
	PGresult *err = NULL;
	uint64_t rows = 0;
	sbuf line;
	sb_init(&line);

	if (!s->bulk_target) {
		tds_skip_message(c);
		reply_delay(s);
		sess_error(s, 4804, 16, "While reading current row from host, a premature end-of-message was "
			   "encountered (BULK_LOAD without insert bulk).");
		goto reply;
	}
	if (read_colmeta(c, &cols, &ncols)) {
		proto_err = 1;
		goto drain;
	}
	binary = choose_binary(s, cols, ncols);
	/* first: a transaction of its own (unchecked_begin) holds the
	 * renumbering trigger's creation and drop as well */
	unchecked_begin(s, &unchecked);
	renumber = !s->bulk_keepidentity && renumber_begin(s);
	sb_printf(&line, "COPY %s (", s->bulk_target);
	for (int i = 0; i < ncols; i++) {
		if (i)
			sb_puts(&line, ", ");
		copy_ident(&line, cols[i].name);
	}
	sb_puts(&line, binary ? ") FROM STDIN WITH (FORMAT binary)" : ") FROM STDIN");
	peer_log(s->o, "bulk: %s", line.p);
	PGresult *r = pg_exec(s, line.p);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		err = r;
		goto drain;
	}
	PQclear(r);
	copying = 1;
	sb_reset(&line);
	if (binary)
		sb_putn(&line, bulk_binary_header, sizeof bulk_binary_header);
	for (;;) {
		uint8_t tok;
		if (rd_u8(c, &tok)) {
			if (!tds_msg_end(c) || c->dead)
				proto_err = 1;
			break;
		}
		if (tok == TOK_DONE) {
			uint8_t d[12];
			if (rd(c, d, 12))
				proto_err = 1;
			break;
		}
		if (tok != TOK_ROW) {
			proto_err = 1;
			break;
		}
		if (binary)
			bulk_binary_row(&line, ncols);
		for (int i = 0; i < ncols; i++) {
			uint8_t fixed[32]; /* up to NUMERIC(38): 17 bytes */
			const uint8_t *v;
			size_t n;
			if (read_raw(c, &cols[i], fixed, &v, &n)) {
				proto_err = 1;
				break;
			}
			if (!binary && i)
				sb_putc(&line, '\t');
			if (binary ? bulk_binary_value(&line, &cols[i], v, n) : bulk_text_value(&line, &cols[i], v, n)) {
				proto_err = 1;
				break;
			}
		}
		if (proto_err)
			break;
		if (!binary)
			sb_putc(&line, '\n');
		rows++;
		/* Small pieces, so PostgreSQL loads while the client is still
		 * sending (with 256 KiB it waited for each piece, and the client
		 * then waited for it). */
		if (line.n >= 32 * 1024) {
			if (PQputCopyData(s->pg, line.p, (int)line.n) != 1)
				break;
			sb_reset(&line);
		}
	}
drain:
	tds_skip_message(c);
	if (copying) {
		if (!proto_err) {
			if (binary)
				sb_putn(&line, "\377\377", 2); /* trailer: field count -1 */
			if (line.n)
				PQputCopyData(s->pg, line.p, (int)line.n);
		}
		PQputCopyEnd(s->pg, proto_err ? "bad BULK_LOAD row from the TDS client" : NULL);
		PGresult *r2;
		while ((r2 = pg_result(s)) != NULL) {
			if (PQresultStatus(r2) == PGRES_COMMAND_OK) {
				const char *ct = PQcmdTuples(r2);
				if (ct[0])
					rows = strtoull(ct, NULL, 10);
				PQclear(r2);
			} else if (!err) {
				err = r2;
			} else {
				PQclear(r2);
			}
		}
	}
	if (renumber)
		renumber_end(s);
	unchecked_end(s, &unchecked, copying && !proto_err && !err);
	if (!s->attention)
		reply_delay(s);
	/* an ATTENTION while the COPY ended (pg_result): answered instead
	 * of the row count, the load rolled back */
	if (s->attention) {
		if (err)
			PQclear(err);
		err = NULL;
		attention_answer(s);
	} else if (proto_err) {
		if (err)
			PQclear(err);
		err = NULL;
		pg_rollback_if_needed(s);
		sess_error(s, 4815, 16, "Received an invalid column length from the bcp client.");
	} else if (err) {
		s->running = "INSERT BULK";
		send_pg_error(s, err, NULL);
		s->running = NULL;
	} else {
		s->rowcount = (long long)rows;
		queue_done(s, DONE_COUNT, 0, rows);
		peer_log(s->o, "bulk: %llu rows", (unsigned long long)rows);
	}
	if (err)
		PQclear(err);
	free(s->bulk_target);
	s->bulk_target = NULL;
	/* the next bcp_init asks for the metadata again */
	bulk_meta_drop(s);
reply:
	if (!s->attention) {
		flush_done(s, 0);
		tds_reply_end(c);
	}
	free(cols);
	sb_free(&line);
	free(vbuf);
	vbuf = NULL;
	vcap = 0;
}

