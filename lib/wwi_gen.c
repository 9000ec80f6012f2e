/* wwi_gen.c — see wwi_gen.h. Every value is built as text here, in the form
 * PostgreSQL accepts both in COPY and as a text parameter. */
#include "wwi_gen.h"
#include "civil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ PRNG */

void wwi_rng_seed(wwi_rng *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t wwi_rng_next(wwi_rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

int64_t wwi_rng_range(wwi_rng *r, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	uint64_t span = (uint64_t)(hi - lo) + 1;
	return lo + (int64_t)(wwi_rng_next(r) % span);
}

bool wwi_rng_chance(wwi_rng *r, int permille)
{
	return (int)(wwi_rng_next(r) % 1000) < permille;
}

/* --------------------------------------------------------------- catalog */

const wwi_table_def wwi_tables[WWI_NTABLES] = {
	[WWI_PEOPLE] = {"application.people", "person_id", true, 20, {
		"person_id", "full_name", "preferred_name", "is_permitted_to_logon",
		"logon_name", "is_external_logon_provider", "hashed_password",
		"is_system_user", "is_employee", "is_salesperson", "user_preferences",
		"phone_number", "fax_number", "email_address", "photo", "custom_fields",
		"person_uuid", "last_edited_by", "valid_from", "valid_to"}},
	[WWI_COUNTRIES] = {"application.countries", "country_id", true, 14, {
		"country_id", "country_name", "formal_name", "iso_alpha3_code",
		"iso_numeric_code", "country_type", "latest_recorded_population",
		"continent", "region", "subregion", "border", "last_edited_by", "valid_from",
		"valid_to"}},
	[WWI_STATE_PROVINCES] = {"application.state_provinces", "state_province_id", true, 10, {
		"state_province_id", "state_province_code", "state_province_name",
		"country_id", "sales_territory", "border", "latest_recorded_population",
		"last_edited_by", "valid_from", "valid_to"}},
	[WWI_CITIES] = {"application.cities", "city_id", true, 8, {
		"city_id", "city_name", "state_province_id", "location",
		"latest_recorded_population", "last_edited_by", "valid_from", "valid_to"}},
	[WWI_DELIVERY_METHODS] = {"application.delivery_methods", "delivery_method_id", true, 5, {
		"delivery_method_id", "delivery_method_name", "last_edited_by", "valid_from",
		"valid_to"}},
	[WWI_PAYMENT_METHODS] = {"application.payment_methods", "payment_method_id", true, 5, {
		"payment_method_id", "payment_method_name", "last_edited_by", "valid_from",
		"valid_to"}},
	[WWI_TRANSACTION_TYPES] = {"application.transaction_types", "transaction_type_id", true, 5, {
		"transaction_type_id", "transaction_type_name", "last_edited_by",
		"valid_from", "valid_to"}},
	[WWI_SYSTEM_PARAMETERS] = {"application.system_parameters", "system_parameter_id", true, 13, {
		"system_parameter_id", "delivery_address_line1", "delivery_address_line2",
		"delivery_city_id", "delivery_postal_code", "delivery_location",
		"postal_address_line1", "postal_address_line2", "postal_city_id",
		"postal_postal_code", "application_settings", "last_edited_by",
		"last_edited_when"}},
	[WWI_SUPPLIER_CATEGORIES] = {"purchasing.supplier_categories", "supplier_category_id", true, 5, {
		"supplier_category_id", "supplier_category_name", "last_edited_by",
		"valid_from", "valid_to"}},
	[WWI_SUPPLIERS] = {"purchasing.suppliers", "supplier_id", true, 29, {
		"supplier_id", "supplier_name", "supplier_category_id",
		"primary_contact_person_id", "alternate_contact_person_id",
		"delivery_method_id", "delivery_city_id", "postal_city_id",
		"supplier_reference", "bank_account_name", "bank_account_branch",
		"bank_account_code", "bank_account_number", "bank_international_code",
		"payment_days", "internal_comments", "phone_number", "fax_number",
		"website_url", "delivery_address_line1", "delivery_address_line2",
		"delivery_postal_code", "delivery_location", "postal_address_line1",
		"postal_address_line2", "postal_postal_code", "last_edited_by", "valid_from",
		"valid_to"}},
	[WWI_CUSTOMER_CATEGORIES] = {"sales.customer_categories", "customer_category_id", true, 5, {
		"customer_category_id", "customer_category_name", "last_edited_by",
		"valid_from", "valid_to"}},
	[WWI_BUYING_GROUPS] = {"sales.buying_groups", "buying_group_id", true, 5, {
		"buying_group_id", "buying_group_name", "last_edited_by", "valid_from",
		"valid_to"}},
	[WWI_CUSTOMERS] = {"sales.customers", "customer_id", true, 31, {
		"customer_id", "customer_name", "bill_to_customer_id",
		"customer_category_id", "buying_group_id", "primary_contact_person_id",
		"alternate_contact_person_id", "delivery_method_id", "delivery_city_id",
		"postal_city_id", "credit_limit", "account_opened_date",
		"standard_discount_percentage", "is_statement_sent", "is_on_credit_hold",
		"payment_days", "phone_number", "fax_number", "delivery_run", "run_position",
		"website_url", "delivery_address_line1", "delivery_address_line2",
		"delivery_postal_code", "delivery_location", "postal_address_line1",
		"postal_address_line2", "postal_postal_code", "last_edited_by", "valid_from",
		"valid_to"}},
	[WWI_COLORS] = {"warehouse.colors", "color_id", true, 5, {
		"color_id", "color_name", "last_edited_by", "valid_from", "valid_to"}},
	[WWI_PACKAGE_TYPES] = {"warehouse.package_types", "package_type_id", true, 5, {
		"package_type_id", "package_type_name", "last_edited_by", "valid_from",
		"valid_to"}},
	[WWI_STOCK_GROUPS] = {"warehouse.stock_groups", "stock_group_id", true, 5, {
		"stock_group_id", "stock_group_name", "last_edited_by", "valid_from",
		"valid_to"}},
	[WWI_STOCK_ITEMS] = {"warehouse.stock_items", "stock_item_id", true, 23, {
		"stock_item_id", "stock_item_name", "supplier_id", "color_id",
		"unit_package_id", "outer_package_id", "brand", "size", "lead_time_days",
		"quantity_per_outer", "is_chiller_stock", "barcode", "tax_rate",
		"unit_price", "recommended_retail_price", "typical_weight_per_unit",
		"marketing_comments", "internal_comments", "photo", "custom_fields",
		"last_edited_by", "valid_from", "valid_to"}},
	[WWI_STOCK_ITEM_HOLDINGS] = {"warehouse.stock_item_holdings", "stock_item_id", true, 9, {
		"stock_item_id", "quantity_on_hand", "bin_location",
		"last_stocktake_quantity", "last_cost_price", "reorder_level",
		"target_stock_level", "last_edited_by", "last_edited_when"}},
	[WWI_STOCK_ITEM_STOCK_GROUPS] = {"warehouse.stock_item_stock_groups", "stock_item_stock_group_id", true, 5, {
		"stock_item_stock_group_id", "stock_item_id", "stock_group_id",
		"last_edited_by", "last_edited_when"}},
	[WWI_PURCHASE_ORDERS] = {"purchasing.purchase_orders", "purchase_order_id", false, 12, {
		"purchase_order_id", "supplier_id", "order_date", "delivery_method_id",
		"contact_person_id", "expected_delivery_date", "supplier_reference",
		"is_order_finalized", "comments", "internal_comments", "last_edited_by",
		"last_edited_when"}},
	[WWI_PURCHASE_ORDER_LINES] = {"purchasing.purchase_order_lines", "purchase_order_line_id", false, 12, {
		"purchase_order_line_id", "purchase_order_id", "stock_item_id",
		"ordered_outers", "description", "received_outers", "package_type_id",
		"expected_unit_price_per_outer", "last_receipt_date",
		"is_order_line_finalized", "last_edited_by", "last_edited_when"}},
	[WWI_SUPPLIER_TRANSACTIONS] = {"purchasing.supplier_transactions", "supplier_transaction_id", false, 14, {
		"supplier_transaction_id", "supplier_id", "transaction_type_id",
		"purchase_order_id", "payment_method_id", "supplier_invoice_number",
		"transaction_date", "amount_excluding_tax", "tax_amount",
		"transaction_amount", "outstanding_balance", "finalization_date",
		"last_edited_by", "last_edited_when"}},
	[WWI_SPECIAL_DEALS] = {"sales.special_deals", "special_deal_id", true, 14, {
		"special_deal_id", "stock_item_id", "customer_id", "buying_group_id",
		"customer_category_id", "stock_group_id", "deal_description", "start_date",
		"end_date", "discount_amount", "discount_percentage", "unit_price",
		"last_edited_by", "last_edited_when"}},
	[WWI_ORDERS] = {"sales.orders", "order_id", false, 16, {
		"order_id", "customer_id", "salesperson_person_id", "picked_by_person_id",
		"contact_person_id", "backorder_order_id", "order_date",
		"expected_delivery_date", "customer_purchase_order_number",
		"is_undersupply_backordered", "comments", "delivery_instructions",
		"internal_comments", "picking_completed_when", "last_edited_by",
		"last_edited_when"}},
	[WWI_ORDER_LINES] = {"sales.order_lines", "order_line_id", false, 12, {
		"order_line_id", "order_id", "stock_item_id", "description",
		"package_type_id", "quantity", "unit_price", "tax_rate", "picked_quantity",
		"picking_completed_when", "last_edited_by", "last_edited_when"}},
	[WWI_INVOICES] = {"sales.invoices", "invoice_id", false, 23, {
		"invoice_id", "customer_id", "bill_to_customer_id", "order_id",
		"delivery_method_id", "contact_person_id", "accounts_person_id",
		"salesperson_person_id", "packed_by_person_id", "invoice_date",
		"customer_purchase_order_number", "is_credit_note", "credit_note_reason",
		"comments", "delivery_instructions", "internal_comments", "total_dry_items",
		"total_chiller_items", "delivery_run", "run_position",
		"returned_delivery_data", "last_edited_by", "last_edited_when"}},
	[WWI_INVOICE_LINES] = {"sales.invoice_lines", "invoice_line_id", false, 13, {
		"invoice_line_id", "invoice_id", "stock_item_id", "description",
		"package_type_id", "quantity", "unit_price", "tax_rate", "tax_amount",
		"line_profit", "extended_price", "last_edited_by", "last_edited_when"}},
	[WWI_CUSTOMER_TRANSACTIONS] = {"sales.customer_transactions", "customer_transaction_id", false, 13, {
		"customer_transaction_id", "customer_id", "transaction_type_id",
		"invoice_id", "payment_method_id", "transaction_date",
		"amount_excluding_tax", "tax_amount", "transaction_amount",
		"outstanding_balance", "finalization_date", "last_edited_by",
		"last_edited_when"}},
	[WWI_STOCK_ITEM_TRANSACTIONS] = {"warehouse.stock_item_transactions", "stock_item_transaction_id", false, 11, {
		"stock_item_transaction_id", "stock_item_id", "transaction_type_id",
		"customer_id", "invoice_id", "supplier_id", "purchase_order_id",
		"transaction_occurred_when", "quantity", "last_edited_by",
		"last_edited_when"}},
	[WWI_VEHICLE_TEMPERATURES] = {"warehouse.vehicle_temperatures", "vehicle_temperature_id", false, 8, {
		"vehicle_temperature_id", "vehicle_registration", "chiller_sensor_number",
		"recorded_when", "temperature", "is_compressed", "full_sensor_data",
		"compressed_sensor_data"}},
	[WWI_COLD_ROOM_TEMPERATURES] = {"warehouse.cold_room_temperatures", "cold_room_temperature_id", false, 6, {
		"cold_room_temperature_id", "cold_room_sensor_number", "recorded_when",
		"temperature", "valid_from", "valid_to"}},
};

struct custom_stmt {
	int table;
	const char *sql;
	int nparams;
	const char *params[6];
};

static const struct custom_stmt custom[WWI_NSTMTS - WWI_NTABLES] = {
	[WWI_UPD_HOLDING - WWI_NTABLES] = {WWI_STOCK_ITEM_HOLDINGS,
		"UPDATE warehouse.stock_item_holdings SET quantity_on_hand = quantity_on_hand + $2, "
		"last_edited_by = $3, last_edited_when = $4 WHERE stock_item_id = $1",
		4, {"stock_item_id", "", "last_edited_by", "last_edited_when"}},
	[WWI_UPD_HOLDING_COST - WWI_NTABLES] = {WWI_STOCK_ITEM_HOLDINGS,
		"UPDATE warehouse.stock_item_holdings SET quantity_on_hand = quantity_on_hand + $2, "
		"last_cost_price = $3, last_edited_by = $4, last_edited_when = $5 WHERE stock_item_id = $1",
		5, {"stock_item_id", "", "last_cost_price", "last_edited_by", "last_edited_when"}},
	[WWI_PICK_ORDER - WWI_NTABLES] = {WWI_ORDERS,
		"UPDATE sales.orders SET picked_by_person_id = $2, picking_completed_when = $3, "
		"last_edited_by = $2, last_edited_when = $3 WHERE order_id = $1",
		3, {"order_id", "picked_by_person_id", "picking_completed_when"}},
	[WWI_PICK_ORDER_LINES - WWI_NTABLES] = {WWI_ORDER_LINES,
		"UPDATE sales.order_lines SET picked_quantity = quantity, picking_completed_when = $2, "
		"last_edited_by = $3, last_edited_when = $2 WHERE order_id = $1",
		3, {"order_id", "picking_completed_when", "last_edited_by"}},
	[WWI_DEL_ORDER_LINE - WWI_NTABLES] = {WWI_ORDER_LINES,
		"DELETE FROM sales.order_lines WHERE order_line_id = $1",
		1, {"order_line_id"}},
	[WWI_TOUCH_ORDER - WWI_NTABLES] = {WWI_ORDERS,
		"UPDATE sales.orders SET internal_comments = $2, last_edited_by = $3, "
		"last_edited_when = $4 WHERE order_id = $1",
		4, {"order_id", "internal_comments", "last_edited_by", "last_edited_when"}},
	[WWI_RECEIVE_PO_LINES - WWI_NTABLES] = {WWI_PURCHASE_ORDER_LINES,
		"UPDATE purchasing.purchase_order_lines SET received_outers = ordered_outers, "
		"last_receipt_date = $2, is_order_line_finalized = true, last_edited_by = $3, "
		"last_edited_when = $4 WHERE purchase_order_id = $1",
		4, {"purchase_order_id", "last_receipt_date", "last_edited_by", "last_edited_when"}},
	[WWI_FINALIZE_PO - WWI_NTABLES] = {WWI_PURCHASE_ORDERS,
		"UPDATE purchasing.purchase_orders SET is_order_finalized = true, last_edited_by = $2, "
		"last_edited_when = $3 WHERE purchase_order_id = $1",
		3, {"purchase_order_id", "last_edited_by", "last_edited_when"}},
	[WWI_FINALIZE_CT - WWI_NTABLES] = {WWI_CUSTOMER_TRANSACTIONS,
		"UPDATE sales.customer_transactions SET outstanding_balance = 0, finalization_date = $2, "
		"last_edited_by = $3, last_edited_when = $4 WHERE customer_transaction_id = $1",
		4, {"customer_transaction_id", "finalization_date", "last_edited_by", "last_edited_when"}},
	[WWI_CREDIT - WWI_NTABLES] = {WWI_CUSTOMERS,
		"UPDATE sales.customers SET credit_limit = $2, is_on_credit_hold = $3, "
		"last_edited_by = $4, valid_from = $5 WHERE customer_id = $1",
		5, {"customer_id", "credit_limit", "is_on_credit_hold", "last_edited_by", "valid_from"}},
	[WWI_DELIVERY_DATA - WWI_NTABLES] = {WWI_INVOICES,
		"UPDATE sales.invoices SET returned_delivery_data = $2, last_edited_by = $3, "
		"last_edited_when = $4 WHERE invoice_id = $1",
		4, {"invoice_id", "returned_delivery_data", "last_edited_by", "last_edited_when"}},
	[WWI_INVOICE_COMMENT - WWI_NTABLES] = {WWI_INVOICES,
		"UPDATE sales.invoices SET comments = $2, last_edited_by = $3, "
		"last_edited_when = $4 WHERE invoice_id = $1",
		4, {"invoice_id", "comments", "last_edited_by", "last_edited_when"}},
	[WWI_DEL_COLD - WWI_NTABLES] = {WWI_COLD_ROOM_TEMPERATURES,
		"DELETE FROM warehouse.cold_room_temperatures "
		"WHERE cold_room_temperature_id BETWEEN $1 AND $2",
		2, {"cold_room_temperature_id", "cold_room_temperature_id"}},
	[WWI_STOCKTAKE - WWI_NTABLES] = {WWI_STOCK_ITEM_HOLDINGS,
		"UPDATE warehouse.stock_item_holdings SET last_stocktake_quantity = quantity_on_hand, "
		"last_edited_by = $1, last_edited_when = $2",
		2, {"last_edited_by", "last_edited_when"}},
	/* A batch of readings made by the server, so that one statement inserts
	 * thousands of rows without thousands of round trips. */
	[WWI_COLD_BATCH - WWI_NTABLES] = {WWI_COLD_ROOM_TEMPERATURES,
		"INSERT INTO warehouse.cold_room_temperatures (cold_room_temperature_id, "
		"cold_room_sensor_number, recorded_when, temperature, valid_from) "
		"SELECT $1::bigint + g, 1 + g % 4, $2::timestamptz + g * interval '10 milliseconds', "
		"round(2.5 + ((g * 37) % 250) / 100.0, 2), $4::timestamp "
		"FROM generate_series(0, $3::int - 1) AS g",
		4, {"cold_room_temperature_id", "recorded_when", "", "valid_from"}},
};

int wwi_stmt_table(int kind)
{
	return kind < WWI_NTABLES ? kind : custom[kind - WWI_NTABLES].table;
}

int wwi_stmt_nparams(int kind)
{
	return kind < WWI_NTABLES ? wwi_tables[kind].ncols : custom[kind - WWI_NTABLES].nparams;
}

const char *wwi_stmt_param_col(int kind, int i)
{
	if (kind < WWI_NTABLES)
		return wwi_tables[kind].cols[i];
	return custom[kind - WWI_NTABLES].params[i];
}

int wwi_stmt_sql(int kind, buf *out)
{
	if (kind >= WWI_NTABLES)
		return buf_puts(out, custom[kind - WWI_NTABLES].sql);
	const wwi_table_def *t = &wwi_tables[kind];
	int rc = buf_printf(out, "INSERT INTO %s (", t->qname);
	for (int i = 0; i < t->ncols; i++)
		rc |= buf_printf(out, "%s%s", i ? ", " : "", t->cols[i]);
	rc |= buf_puts(out, ") VALUES (");
	for (int i = 0; i < t->ncols; i++)
		rc |= buf_printf(out, "%s$%d", i ? ", " : "", i + 1);
	rc |= buf_puts(out, ")");
	return rc ? -1 : 0;
}

void wwi_stmt_name(int kind, char out[16])
{
	snprintf(out, 16, "wwi_%d", kind);
}

/* ---------------------------------------------------------- transactions */

void wwi_tx_init(wwi_tx *tx)
{
	memset(tx, 0, sizeof *tx);
	buf_init(&tx->data, (size_t)64 << 20);
}

void wwi_tx_reset(wwi_tx *tx)
{
	tx->label = "";
	tx->nstmts = 0;
	tx->failed = false;
	buf_reset(&tx->data);
}

void wwi_tx_free(wwi_tx *tx)
{
	buf_free(&tx->data);
}

void wwi_tx_params(const wwi_tx *tx, int i, const char **vals, int *lens)
{
	const wwi_stmt *s = &tx->stmts[i];
	for (int k = 0; k < s->nparams; k++) {
		vals[k] = s->off[k] < 0 ? NULL : tx->data.data + s->off[k];
		if (lens)
			lens[k] = s->len[k];
	}
}

int wwi_tx_copy_line(const wwi_tx *tx, int i, buf *out)
{
	const wwi_stmt *s = &tx->stmts[i];
	for (int k = 0; k < s->nparams; k++) {
		if (k && buf_putc(out, '\t'))
			return -1;
		if (s->off[k] < 0) {
			if (buf_puts(out, "\\N"))
				return -1;
			continue;
		}
		const char *v = tx->data.data + s->off[k];
		if (buf_reserve(out, (size_t)s->len[k] * 2))
			return -1;
		for (int j = 0; j < s->len[k]; j++) {
			char c = v[j], esc = 0;
			switch (c) {
			case '\\': esc = '\\'; break;
			case '\t': esc = 't'; break;
			case '\n': esc = 'n'; break;
			case '\r': esc = 'r'; break;
			}
			if (esc) {
				out->data[out->len++] = '\\';
				out->data[out->len++] = esc;
			} else {
				out->data[out->len++] = c;
			}
		}
	}
	return buf_putc(out, '\n');
}

static void st_begin(wwi_tx *tx, int kind)
{
	if (tx->nstmts == WWI_MAX_STMTS) {
		tx->failed = true;
		tx->nstmts--; /* overwrite the last one; the tx is marked failed */
	}
	wwi_stmt *s = &tx->stmts[tx->nstmts++];
	s->kind = kind;
	s->nparams = 0;
}

static void p_raw(wwi_tx *tx, const char *v, size_t n)
{
	wwi_stmt *s = &tx->stmts[tx->nstmts - 1];
	if (s->nparams == WWI_MAX_COLS) {
		tx->failed = true;
		return;
	}
	int k = s->nparams++;
	if (!v) {
		s->off[k] = -1;
		s->len[k] = 0;
		return;
	}
	s->off[k] = (int)tx->data.len;
	s->len[k] = (int)n;
	if (buf_append(&tx->data, v, n) || buf_putc(&tx->data, '\0')) {
		tx->failed = true;
		s->off[k] = -1;
	}
}

static void p_null(wwi_tx *tx)
{
	p_raw(tx, NULL, 0);
}

static void p_str(wwi_tx *tx, const char *v)
{
	p_raw(tx, v, v ? strlen(v) : 0);
}

static void p_fmt(wwi_tx *tx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void p_fmt(wwi_tx *tx, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		tx->failed = true;
		n = 0;
	}
	p_raw(tx, tmp, (size_t)n);
}

static void p_int(wwi_tx *tx, int64_t v)
{
	p_fmt(tx, "%lld", (long long)v);
}

static void p_bool(wwi_tx *tx, bool v)
{
	p_str(tx, v ? "t" : "f");
}

/* Exact decimals from integers: never through a double. */
static void fmt_scaled(char *out, size_t n, int64_t v, int scale)
{
	int64_t div = scale == 3 ? 1000 : scale == 7 ? 10000000 : 100;
	uint64_t a = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
	snprintf(out, n, "%s%llu.%0*llu", v < 0 ? "-" : "", (unsigned long long)(a / (uint64_t)div),
	         scale, (unsigned long long)(a % (uint64_t)div));
}

static void p_money(wwi_tx *tx, int64_t cents)
{
	char s[48];
	fmt_scaled(s, sizeof s, cents, 2);
	p_str(tx, s);
}

static void p_dec3(wwi_tx *tx, int64_t milli)
{
	char s[48];
	fmt_scaled(s, sizeof s, milli, 3);
	p_str(tx, s);
}

#define DAY_US INT64_C(86400000000)

static void civil(int64_t days, int *y, int *m, int *d)
{
	int64_t cy;
	unsigned cm, cd;
	civil_date(days, &cy, &cm, &cd);
	*y = (int)cy;
	*m = (int)cm;
	*d = (int)cd;
}

static int64_t floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void fmt_date(char *out, size_t n, int64_t us)
{
	int y, m, d;
	civil(floordiv(us, DAY_US), &y, &m, &d);
	snprintf(out, n, "%04d-%02d-%02d", y, m, d);
}

static void fmt_ts(char *out, size_t n, int64_t us, const char *suffix)
{
	int64_t days = floordiv(us, DAY_US), rem = us - days * DAY_US;
	int y, m, d;
	civil(days, &y, &m, &d);
	int64_t secs = rem / 1000000;
	snprintf(out, n, "%04d-%02d-%02d %02d:%02d:%02d.%06lld%s", y, m, d, (int)(secs / 3600),
	         (int)(secs / 60 % 60), (int)(secs % 60), (long long)(rem % 1000000), suffix);
}

static void p_date(wwi_tx *tx, int64_t us)
{
	char s[32];
	fmt_date(s, sizeof s, us);
	p_str(tx, s);
}

static void p_ts(wwi_tx *tx, int64_t us)
{
	char s[48];
	fmt_ts(s, sizeof s, us, "");
	p_str(tx, s);
}

static void p_tstz(wwi_tx *tx, int64_t us)
{
	char s[48];
	fmt_ts(s, sizeof s, us, "+00");
	p_str(tx, s);
}

static void p_forever(wwi_tx *tx)
{
	p_str(tx, "9999-12-31 23:59:59.999999");
}

/* bytea in its text (hex) form: random bytes, zeros included. */
static void p_bytea_random(wwi_tx *tx, wwi_rng *r, size_t n, bool png)
{
	static const char hex[] = "0123456789abcdef";
	static const uint8_t magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	char tmp[2 + 2 * 4096];
	if (n > 4096)
		n = 4096;
	tmp[0] = '\\';
	tmp[1] = 'x';
	for (size_t i = 0; i < n; i++) {
		uint8_t b = png && i < 8 ? magic[i] : (uint8_t)wwi_rng_next(r);
		tmp[2 + 2 * i] = hex[b >> 4];
		tmp[3 + 2 * i] = hex[b & 15];
	}
	p_raw(tx, tmp, 2 + 2 * n);
}

/* A version 4 uuid whose last 48 bits are the row's id, so that it is unique
 * however the random stream was seeded. */
static void p_uuid(wwi_tx *tx, wwi_rng *r, int64_t id)
{
	uint64_t a = wwi_rng_next(r), b = wwi_rng_next(r);
	a = (a & ~UINT64_C(0xF000)) | UINT64_C(0x4000);                 /* version 4 */
	b = (b & ~(UINT64_C(3) << 62)) | (UINT64_C(2) << 62);           /* variant 1 */
	p_fmt(tx, "%08llx-%04llx-%04llx-%04llx-%012llx", (unsigned long long)(a >> 32),
	      (unsigned long long)((a >> 16) & 0xFFFF), (unsigned long long)(a & 0xFFFF),
	      (unsigned long long)(b >> 48), (unsigned long long)((uint64_t)id & UINT64_C(0xFFFFFFFFFFFF)));
}

/* WKT point from micro-degrees. */
static void p_point(wwi_tx *tx, wwi_rng *r)
{
	char lon[32], lat[32];
	fmt_scaled(lon, sizeof lon, wwi_rng_range(r, -1240000000, -700000000), 7);
	fmt_scaled(lat, sizeof lat, wwi_rng_range(r, 260000000, 480000000), 7);
	p_fmt(tx, "POINT(%s %s)", lon, lat);
}

static void st_end(wwi_tx *tx)
{
	const wwi_stmt *s = &tx->stmts[tx->nstmts - 1];
	if (s->nparams != wwi_stmt_nparams(s->kind))
		tx->failed = true;
}

/* ------------------------------------------------------------ word lists */

#define N(a) ((int64_t)(sizeof(a) / sizeof((a)[0])))
#define PICK(r, a) ((a)[wwi_rng_range((r), 0, N(a) - 1)])

static const char *const first_names[] = {
	"Kayla", "Hudson", "Isabella", "Eva", "Lily", "Alica", "Amy", "Anthony", "Archer", "Piotr",
	"Jack", "Sophia", "Taj", "Hubert", "Stella", "Aakriti", "Bhaargav", "Zoë", "Chloé", "José",
	"Søren", "Łukasz", "Émilie", "Mikhail", "Ngọc", "Jürgen", "Ana", "Wei", "Yuki", "Ravi"};
static const char *const last_names[] = {
	"Woodcock", "Onslow", "Lupo", "Edwards", "Fowler", "Fatnowna", "Trefl", "Grosse", "Mistry",
	"Abel", "Potter", "Hinton", "Shah", "Müller", "García", "Nováková", "O'Neil", "Ibáñez",
	"Kowalczyk", "Nguyễn", "Larsen", "Byrraju", "Rossi", "Dubois", "Tanaka", "Kumar"};
static const char *const city_pre[] = {
	"Spring", "Oak", "Green", "Fair", "River", "Mill", "Ash", "Glen", "Red", "Clear", "Lake",
	"Stone", "North", "West", "Bär", "Mön", "Øster", "São ", "Saint ", "Ñan"};
static const char *const city_post[] = {
	"field", "dale", "ville", "ton", "wood", "burg", "port", "view", "haven", "ford", "mont",
	"creek", "Paulo", "Louis", "bru", "gården"};
static const char *const streets[] = {
	"Main Street", "Wingtip Road", "Tailspin Avenue", "Harbor Way", "Chiller Lane",
	"Market Square", "Church Road", "Station Street", "Rue de l'Église", "Königsallee"};
static const char *const products[] = {
	"USB rocket launcher", "Developer joke mug", "Furry gorilla slippers", "Ride on toy sedan car",
	"Shipping carton", "Halloween zombie mask", "Airline seat belt buckle", "Chocolate beetles",
	"Superhero action jacket", "Packing knife", "DBA joke mug", "Bubblewrap dispenser",
	"Dinosaur battery-powered slippers", "Animal with big feet slippers", "Tape dispenser",
	"USB food flash drive", "Alien officer hoodie", "Void fill bag", "Large sized bubblewrap roll",
	"Plush shark slippers"};
static const char *const sizes[] = {"XS", "S", "M", "L", "XL", "XXL", "3XL", "10mm", "20mm",
                                    "50m", "1/12 scale", "250g", "500g"};
static const char *const colors[] = {
	"Azure", "Beige", "Black", "Blue", "Charcoal", "Chartreuse", "Cyan", "Dark Brown", "Dark Green",
	"Fuchsia", "Gold", "Steel Gray", "Hot Pink", "Indigo", "Ivory", "Khaki", "Lavender",
	"Light Brown", "Light Green", "Maroon", "Mauve", "Navy Blue", "Olive", "Orange", "Plum", "Puce",
	"Purple", "Red", "Royal Blue", "Salmon", "Silver", "Tan", "Teal", "Wheat", "White", "Yellow"};
static const char *const package_types[] = {
	"Bag", "Block", "Bottle", "Box", "Can", "Carton", "Each", "Kg", "Packet", "Pair", "Pallet",
	"Tray", "Tub", "Tube"};
static const char *const stock_groups[] = {
	"Novelty Items", "Clothing", "Mugs", "T-Shirts", "Airline Novelties", "Computing Novelties",
	"USB Novelties", "Furry Footwear", "Toys", "Packaging Materials"};
static const char *const delivery_methods[] = {
	"Post", "Courier", "Delivery Van", "Customer Collect", "Chilled Van", "Customer Courier to Collect",
	"Road Freight", "Air Freight", "Refrigerated Road Freight", "Refrigerated Air Freight"};
static const char *const payment_methods[] = {"Cash", "Check", "Credit-Card", "EFT"};
/* Indexes + 1 are the transaction type ids the generator uses. */
static const char *const transaction_types[] = {
	"Customer Invoice", "Customer Credit Note", "Customer Payment Received", "Customer Refund",
	"Supplier Invoice", "Supplier Credit Note", "Supplier Payment Issued", "Supplier Refund",
	"Stock Transfer", "Stock Issue", "Stock Receipt", "Stock Adjustment at Stocktake",
	"Customer Contra"};
enum { TT_CUSTOMER_INVOICE = 1, TT_CUSTOMER_PAYMENT = 3, TT_SUPPLIER_INVOICE = 5,
       TT_SUPPLIER_PAYMENT = 7, TT_STOCK_ISSUE = 10, TT_STOCK_RECEIPT = 11 };
static const char *const supplier_categories[] = {
	"Other Wholesaler", "Novelty Goods Supplier", "Toy Supplier", "Clothing Supplier",
	"Packaging Supplier", "Courier Services Supplier", "Financial Services Supplier",
	"Marketing Services Supplier", "Insurance Services Supplier"};
static const char *const customer_categories[] = {
	"Agent", "Wholesaler", "Novelty Shop", "Supermarket", "Computer Store", "Gift Store",
	"Corporate", "General Retailer"};
static const char *const buying_groups[] = {"Tailspin Toys", "Wingtip Toys"};
static const char *const suppliers[] = {
	"A Datum Corporation", "Contoso, Ltd.", "Consolidated Messenger", "Fabrikam, Inc.",
	"Graphic Design Institute", "Humongous Insurance", "Litware, Inc.", "Lucerne Publishing",
	"Nod Publishers", "Northwind Electric Cars", "Trey Research", "The Phone Company",
	"Woodgrove Bank"};
static const struct country {
	const char *name, *formal, *iso3;
	int isonum;
	const char *continent, *region, *subregion;
	int64_t population;
} countries[] = {
	{"United States", "United States of America", "USA", 840, "North America", "Americas", "Northern America", 313973000},
	{"Canada", "Canada", "CAN", 124, "North America", "Americas", "Northern America", 33487208},
	{"Mexico", "United Mexican States", "MEX", 484, "North America", "Americas", "Central America", 111211789},
	{"Brazil", "Federative Republic of Brazil", "BRA", 76, "South America", "Americas", "South America", 198739269},
	{"United Kingdom", "United Kingdom of Great Britain and Northern Ireland", "GBR", 826, "Europe", "Europe", "Northern Europe", 62348447},
	{"Germany", "Federal Republic of Germany", "DEU", 276, "Europe", "Europe", "Western Europe", 82329758},
	{"France", "French Republic", "FRA", 250, "Europe", "Europe", "Western Europe", 64057792},
	{"Poland", "Republic of Poland", "POL", 616, "Europe", "Europe", "Eastern Europe", 38482919},
	{"Denmark", "Kingdom of Denmark", "DNK", 208, "Europe", "Europe", "Northern Europe", 5500510},
	{"Switzerland", "Swiss Confederation", "CHE", 756, "Europe", "Europe", "Western Europe", 7604467},
	{"Japan", "Japan", "JPN", 392, "Asia", "Asia", "Eastern Asia", 127078679},
	{"China", "People's Republic of China", "CHN", 156, "Asia", "Asia", "Eastern Asia", 1338612968},
	{"India", "Republic of India", "IND", 356, "Asia", "Asia", "Southern Asia", 1166079217},
	{"Vietnam", "Socialist Republic of Vietnam", "VNM", 704, "Asia", "Asia", "South-Eastern Asia", 86967524},
	{"Australia", "Commonwealth of Australia", "AUS", 36, "Oceania", "Oceania", "Australia and New Zealand", 21262641},
	{"New Zealand", "New Zealand", "NZL", 554, "Oceania", "Oceania", "Australia and New Zealand", 4213418},
	{"South Africa", "Republic of South Africa", "ZAF", 710, "Africa", "Africa", "Southern Africa", 49052489},
	{"Côte d'Ivoire", "Republic of Côte d'Ivoire", "CIV", 384, "Africa", "Africa", "Western Africa", 20617068},
};
static const struct state {
	const char *code, *name, *territory;
} states[] = {
	{"AL", "Alabama", "Southeast"}, {"AK", "Alaska", "Far West"}, {"AZ", "Arizona", "Southwest"},
	{"CA", "California", "Far West"}, {"CO", "Colorado", "Rocky Mountain"},
	{"FL", "Florida", "Southeast"}, {"IL", "Illinois", "Great Lakes"}, {"IA", "Iowa", "Plains"},
	{"ME", "Maine", "New England"}, {"MA", "Massachusetts", "New England"},
	{"MI", "Michigan", "Great Lakes"}, {"MT", "Montana", "Rocky Mountain"},
	{"NY", "New York", "Mideast"}, {"NM", "New Mexico", "Southwest"},
	{"OH", "Ohio", "Great Lakes"}, {"PA", "Pennsylvania", "Mideast"}, {"TX", "Texas", "Southwest"},
	{"WA", "Washington", "Far West"}, {"WI", "Wisconsin", "Great Lakes"}, {"WY", "Wyoming", "Rocky Mountain"},
};

/* ------------------------------------------------------- reference rows */

void wwi_world_init(wwi_world *w, uint64_t seed, int scale)
{
	memset(w, 0, sizeof *w);
	w->seed = seed;
	w->scale = scale < 1 ? 1 : scale;
	for (int t = 0; t < WWI_NTABLES; t++)
		w->max_id[t] = wwi_tables[t].reference ? wwi_ref_count(w, t) : 0;
	w->min_cold = 1;
	wwi_rng_seed(&w->rng, seed ^ UINT64_C(0x5EED0F11FE5EED00));
}

void wwi_world_resume(wwi_world *w, uint64_t seed, int scale,
                      const int64_t max_id[WWI_NTABLES], int64_t min_cold)
{
	wwi_world_init(w, seed, scale);
	memcpy(w->max_id, max_id, sizeof w->max_id);
	w->min_cold = min_cold > 0 ? min_cold : max_id[WWI_COLD_ROOM_TEMPERATURES] + 1;
	/* A different live stream from the first run's, as its keys moved on. */
	wwi_rng_seed(&w->rng, seed ^ (uint64_t)max_id[WWI_ORDERS] * UINT64_C(0x9E3779B97F4A7C15));
}

int64_t wwi_ref_count(const wwi_world *w, int table)
{
	int64_t s = w->scale;
	switch (table) {
	case WWI_PEOPLE: return 1000 * s;
	case WWI_COUNTRIES: return N(countries);
	case WWI_STATE_PROVINCES: return N(states) + N(countries) - 1;
	case WWI_CITIES: return 1000 * s;
	case WWI_DELIVERY_METHODS: return N(delivery_methods);
	case WWI_PAYMENT_METHODS: return N(payment_methods);
	case WWI_TRANSACTION_TYPES: return N(transaction_types);
	case WWI_SYSTEM_PARAMETERS: return 1;
	case WWI_SUPPLIER_CATEGORIES: return N(supplier_categories);
	case WWI_SUPPLIERS: return N(suppliers) * s;
	case WWI_CUSTOMER_CATEGORIES: return N(customer_categories);
	case WWI_BUYING_GROUPS: return N(buying_groups);
	case WWI_CUSTOMERS: return 600 * s;
	case WWI_COLORS: return N(colors);
	case WWI_PACKAGE_TYPES: return N(package_types);
	case WWI_STOCK_GROUPS: return N(stock_groups);
	case WWI_STOCK_ITEMS: return 227 * s;
	case WWI_STOCK_ITEM_HOLDINGS: return 227 * s;
	case WWI_STOCK_ITEM_STOCK_GROUPS: return 2 * 227 * s;
	case WWI_SPECIAL_DEALS: return 2;
	default: return 0;
	}
}

int64_t wwi_history_count(const wwi_world *w)
{
	return 3000 * (int64_t)w->scale;
}

/* One stream per (table, row): a row does not depend on any other. */
static void row_rng(const wwi_world *w, int table, int64_t i, wwi_rng *r)
{
	wwi_rng_seed(r, w->seed ^ ((uint64_t)(table + 1) << 56) ^ (uint64_t)i * UINT64_C(0xD1B54A32D192ED03));
	wwi_rng_next(r);
}

static int64_t ref_valid_from(wwi_rng *r)
{
	return WWI_HISTORY_START_US - wwi_rng_range(r, 0, 365) * DAY_US - wwi_rng_range(r, 0, 86399) * 1000000;
}

static int64_t a_person(wwi_rng *r, const wwi_world *w)
{
	return wwi_rng_range(r, WWI_EMPLOYEES + 2, w->max_id[WWI_PEOPLE]);
}

static int64_t an_employee(wwi_rng *r)
{
	return wwi_rng_range(r, 2, WWI_EMPLOYEES + 1);
}

static void p_phone(wwi_tx *tx, wwi_rng *r)
{
	p_fmt(tx, "(%d) 555-%04d", (int)wwi_rng_range(r, 201, 989), (int)wwi_rng_range(r, 100, 9999));
}

static void lookup_row(wwi_tx *tx, wwi_rng *r, int table, int64_t id, const char *name)
{
	st_begin(tx, table);
	p_int(tx, id);
	p_str(tx, name);
	p_int(tx, 1);
	p_ts(tx, ref_valid_from(r));
	p_forever(tx);
	st_end(tx);
}

static void person_row(wwi_tx *tx, wwi_rng *r, int64_t id, int64_t valid_from, int64_t edited_by)
{
	bool employee = id >= 2 && id <= WWI_EMPLOYEES + 1;
	bool sales = id >= 2 && id <= WWI_SALESPEOPLE + 1;
	const char *first = PICK(r, first_names), *last = PICK(r, last_names);
	st_begin(tx, WWI_PEOPLE);
	p_int(tx, id);
	if (id == 1) {
		p_str(tx, "Data Conversion Only");
		p_str(tx, "Data Conversion Only");
	} else {
		p_fmt(tx, "%s %s", first, last);
		p_str(tx, first);
	}
	p_bool(tx, employee);
	if (employee)
		p_fmt(tx, "%s%lld@wideworldimporters.com", first, (long long)id);
	else
		p_str(tx, "NO LOGON");
	p_bool(tx, false);
	if (employee)
		p_bytea_random(tx, r, 32, false);
	else
		p_null(tx);
	p_bool(tx, employee);
	p_bool(tx, employee);
	p_bool(tx, sales);
	if (employee)
		p_str(tx, "{\"theme\":\"blitzer\",\"dateFormat\":\"yy-mm-dd\",\"timeZone\": \"PST\","
		          "\"table\":{\"pagingType\":\"full\",\"pageLength\": 50},\"favoritesOnDashboard\":true}");
	else
		p_null(tx);
	if (id == 1) {
		p_null(tx);
		p_null(tx);
		p_null(tx);
	} else {
		p_phone(tx, r);
		p_phone(tx, r);
		p_fmt(tx, "%s%lld@example.com", first, (long long)id);
	}
	if (employee && wwi_rng_chance(r, 500))
		p_bytea_random(tx, r, (size_t)wwi_rng_range(r, 64, 512), true);
	else
		p_null(tx);
	if (employee)
		p_fmt(tx, "{\"OtherLanguages\": [\"%s\"], \"HireDate\": \"20%02d-0%d-1%dT00:00:00\", "
		          "\"Title\": \"%s\", \"CommissionRate\": \"0.%02d\"}",
		      wwi_rng_chance(r, 500) ? "Polish" : "Español", (int)wwi_rng_range(r, 5, 12),
		      (int)wwi_rng_range(r, 1, 9), (int)wwi_rng_range(r, 0, 9),
		      sales ? "Salesperson" : "Team Member", (int)wwi_rng_range(r, 1, 15));
	else
		p_null(tx);
	p_uuid(tx, r, id);
	p_int(tx, edited_by);
	p_ts(tx, valid_from);
	p_forever(tx);
	st_end(tx);
}

static void customer_row(wwi_tx *tx, wwi_rng *r, const wwi_world *w, int64_t id,
                         int64_t contact, int64_t opened_us, int64_t edited_by)
{
	int64_t group = 0, bill_to = id;
	if (id <= 2) {
		group = id;
	} else if (wwi_rng_chance(r, 400)) {
		group = wwi_rng_range(r, 1, 2);
		bill_to = group;
	}
	const char *city = PICK(r, city_pre);
	st_begin(tx, WWI_CUSTOMERS);
	p_int(tx, id);
	if (id <= 2)
		p_fmt(tx, "%s (Head Office)", buying_groups[group - 1]);
	else if (group)
		p_fmt(tx, "%s (%s%s, #%lld)", buying_groups[group - 1], city, PICK(r, city_post), (long long)id);
	else
		p_fmt(tx, "%s %s #%lld", PICK(r, first_names), PICK(r, last_names), (long long)id);
	p_int(tx, bill_to);
	p_int(tx, wwi_rng_range(r, 1, N(customer_categories)));
	if (group)
		p_int(tx, group);
	else
		p_null(tx);
	p_int(tx, contact);
	if (wwi_rng_chance(r, 500))
		p_int(tx, a_person(r, w));
	else
		p_null(tx);
	p_int(tx, wwi_rng_range(r, 1, N(delivery_methods)));
	p_int(tx, wwi_rng_range(r, 1, w->max_id[WWI_CITIES]));
	p_int(tx, wwi_rng_range(r, 1, w->max_id[WWI_CITIES]));
	if (wwi_rng_chance(r, 300))
		p_null(tx);
	else
		p_money(tx, wwi_rng_range(r, 10, 500) * 10000);
	p_date(tx, opened_us);
	p_dec3(tx, wwi_rng_chance(r, 800) ? 0 : wwi_rng_range(r, 1, 15) * 500);
	p_bool(tx, wwi_rng_chance(r, 300));
	p_bool(tx, false);
	p_int(tx, wwi_rng_chance(r, 500) ? 7 : 30);
	p_phone(tx, r);
	p_phone(tx, r);
	p_null(tx);
	p_null(tx);
	p_fmt(tx, "http://www.%s.com/c%lld", group ? (group == 1 ? "tailspintoys" : "wingtiptoys") : "microsoft",
	      (long long)id);
	p_fmt(tx, "Shop %d", (int)wwi_rng_range(r, 1, 40));
	p_fmt(tx, "%d %s", (int)wwi_rng_range(r, 1, 9999), PICK(r, streets));
	p_fmt(tx, "9%04d", (int)wwi_rng_range(r, 0, 9999));
	p_point(tx, r);
	p_fmt(tx, "PO Box %d", (int)wwi_rng_range(r, 1, 9999));
	p_fmt(tx, "%sville", city);
	p_fmt(tx, "9%04d", (int)wwi_rng_range(r, 0, 9999));
	p_int(tx, edited_by);
	p_ts(tx, opened_us);
	p_forever(tx);
	st_end(tx);
}

static void stock_item_row(wwi_tx *tx, wwi_rng *r, const wwi_world *w, int64_t id,
                           int64_t valid_from, int64_t edited_by, bool photo)
{
	int64_t price = wwi_rng_range(r, 50, 50000);
	bool chiller = wwi_rng_chance(r, 50);
	st_begin(tx, WWI_STOCK_ITEMS);
	p_int(tx, id);
	p_fmt(tx, "%s (%s) %s #%lld", PICK(r, products), PICK(r, colors), PICK(r, sizes), (long long)id);
	p_int(tx, wwi_rng_range(r, 1, w->max_id[WWI_SUPPLIERS]));
	if (wwi_rng_chance(r, 400))
		p_null(tx);
	else
		p_int(tx, wwi_rng_range(r, 1, N(colors)));
	p_int(tx, wwi_rng_range(r, 1, N(package_types)));
	p_int(tx, wwi_rng_range(r, 1, N(package_types)));
	if (wwi_rng_chance(r, 300))
		p_str(tx, "Northwind");
	else
		p_null(tx);
	if (wwi_rng_chance(r, 300))
		p_null(tx);
	else
		p_str(tx, PICK(r, sizes));
	p_int(tx, wwi_rng_range(r, 2, 20));
	p_int(tx, wwi_rng_chance(r, 500) ? 1 : wwi_rng_range(r, 2, 24) * 5);
	p_bool(tx, chiller);
	if (wwi_rng_chance(r, 500))
		p_fmt(tx, "%013llu", (unsigned long long)(wwi_rng_next(r) % UINT64_C(10000000000000)));
	else
		p_null(tx);
	p_dec3(tx, wwi_rng_chance(r, 900) ? 15000 : 10000);
	p_money(tx, price);
	if (wwi_rng_chance(r, 100))
		p_null(tx);
	else
		p_money(tx, price + price / 2);
	p_dec3(tx, wwi_rng_range(r, 50, 25000));
	if (wwi_rng_chance(r, 400))
		p_str(tx, "Complete with care instructions for a long life. Perfect gift — «100% fun».");
	else
		p_null(tx);
	p_null(tx);
	if (photo)
		p_bytea_random(tx, r, (size_t)wwi_rng_range(r, 128, 2048), true);
	else
		p_null(tx);
	p_fmt(tx, "{\"CountryOfManufacture\": \"%s\", \"Tags\": [\"%s\"]%s}",
	      countries[wwi_rng_range(r, 0, N(countries) - 1)].name,
	      chiller ? "Chilled" : "USB Powered", chiller ? ", \"MinimumAge\": \"10\"" : "");
	p_int(tx, edited_by);
	p_ts(tx, valid_from);
	p_forever(tx);
	st_end(tx);
}

static void holding_row(wwi_tx *tx, wwi_rng *r, int64_t stock_item, int64_t when, int64_t edited_by)
{
	int64_t qoh = wwi_rng_range(r, 0, 50000);
	st_begin(tx, WWI_STOCK_ITEM_HOLDINGS);
	p_int(tx, stock_item);
	p_int(tx, qoh);
	p_fmt(tx, "%c-%d", (char)('A' + wwi_rng_range(r, 0, 11)), (int)wwi_rng_range(r, 1, 30));
	p_int(tx, qoh);
	p_money(tx, wwi_rng_range(r, 30, 30000));
	p_int(tx, wwi_rng_range(r, 10, 100));
	p_int(tx, wwi_rng_range(r, 100, 1000));
	p_int(tx, edited_by);
	p_ts(tx, when);
	st_end(tx);
}

/* The two stock groups of an item: distinct, from the item's id. */
static int64_t item_group(int64_t item, int which)
{
	int64_t g1 = 1 + item % N(stock_groups);
	if (!which)
		return g1;
	return 1 + (g1 - 1 + 1 + item % (N(stock_groups) - 1)) % N(stock_groups);
}

static void item_group_row(wwi_tx *tx, int64_t id, int64_t item, int which, int64_t when, int64_t by)
{
	st_begin(tx, WWI_STOCK_ITEM_STOCK_GROUPS);
	p_int(tx, id);
	p_int(tx, item);
	p_int(tx, item_group(item, which));
	p_int(tx, by);
	p_ts(tx, when);
	st_end(tx);
}

static void special_deal_row(wwi_tx *tx, wwi_rng *r, const wwi_world *w, int64_t id, int variant,
                             int64_t start_us, int64_t by)
{
	st_begin(tx, WWI_SPECIAL_DEALS);
	p_int(tx, id);
	if (variant == 1)
		p_int(tx, wwi_rng_range(r, 1, w->max_id[WWI_STOCK_ITEMS]));
	else
		p_null(tx);
	p_null(tx); /* customer */
	if (variant == 0)
		p_int(tx, wwi_rng_range(r, 1, N(buying_groups)));
	else
		p_null(tx);
	if (variant == 2)
		p_int(tx, wwi_rng_range(r, 1, N(customer_categories)));
	else
		p_null(tx);
	if (variant == 0)
		p_int(tx, wwi_rng_range(r, 1, N(stock_groups)));
	else
		p_null(tx);
	p_fmt(tx, "%s deal %lld", variant == 0 ? "10% off" : variant == 1 ? "Fixed price" : "$5 off",
	      (long long)id);
	p_date(tx, start_us);
	p_date(tx, start_us + wwi_rng_range(r, 0, 90) * DAY_US);
	if (variant == 2)
		p_money(tx, 500);
	else
		p_null(tx);
	if (variant == 0)
		p_dec3(tx, 10000);
	else
		p_null(tx);
	if (variant == 1)
		p_money(tx, wwi_rng_range(r, 100, 5000));
	else
		p_null(tx);
	p_int(tx, by);
	p_ts(tx, start_us);
	st_end(tx);
}

void wwi_ref_row(const wwi_world *w, int table, int64_t i, wwi_tx *tx)
{
	wwi_rng rr, *r = &rr;
	row_rng(w, table, i, r);
	switch (table) {
	case WWI_PEOPLE:
		person_row(tx, r, i, ref_valid_from(r), 1);
		break;
	case WWI_COUNTRIES: {
		const struct country *c = &countries[i - 1];
		st_begin(tx, table);
		p_int(tx, i);
		p_str(tx, c->name);
		p_str(tx, c->formal);
		p_str(tx, c->iso3);
		p_int(tx, c->isonum);
		p_str(tx, "UN Member State");
		p_int(tx, c->population);
		p_str(tx, c->continent);
		p_str(tx, c->region);
		p_str(tx, c->subregion);
		p_null(tx);
		p_int(tx, 1);
		p_ts(tx, ref_valid_from(r));
		p_forever(tx);
		st_end(tx);
		break;
	}
	case WWI_STATE_PROVINCES: {
		bool us = i <= N(states);
		int64_t country = us ? 1 : i - N(states) + 1;
		st_begin(tx, table);
		p_int(tx, i);
		if (us) {
			p_str(tx, states[i - 1].code);
			p_str(tx, states[i - 1].name);
		} else {
			p_fmt(tx, "C%lld", (long long)country);
			p_fmt(tx, "%s (all regions)", countries[country - 1].name);
		}
		p_int(tx, country);
		p_str(tx, us ? states[i - 1].territory : "External");
		if (wwi_rng_chance(r, 500))
			p_str(tx, "POLYGON((-104.05 41.0, -111.05 41.0, -111.05 45.0, -104.05 45.0, -104.05 41.0))");
		else
			p_null(tx);
		p_int(tx, wwi_rng_range(r, 500000, 30000000));
		p_int(tx, 1);
		p_ts(tx, ref_valid_from(r));
		p_forever(tx);
		st_end(tx);
		break;
	}
	case WWI_CITIES:
		st_begin(tx, table);
		p_int(tx, i);
		p_fmt(tx, "%s%s", PICK(r, city_pre), PICK(r, city_post));
		p_int(tx, wwi_rng_range(r, 1, wwi_ref_count(w, WWI_STATE_PROVINCES)));
		p_point(tx, r);
		if (wwi_rng_chance(r, 200))
			p_null(tx);
		else
			p_int(tx, wwi_rng_range(r, 100, 2000000));
		p_int(tx, 1);
		p_ts(tx, ref_valid_from(r));
		p_forever(tx);
		st_end(tx);
		break;
	case WWI_DELIVERY_METHODS:
		lookup_row(tx, r, table, i, delivery_methods[i - 1]);
		break;
	case WWI_PAYMENT_METHODS:
		lookup_row(tx, r, table, i, payment_methods[i - 1]);
		break;
	case WWI_TRANSACTION_TYPES:
		lookup_row(tx, r, table, i, transaction_types[i - 1]);
		break;
	case WWI_SUPPLIER_CATEGORIES:
		lookup_row(tx, r, table, i, supplier_categories[i - 1]);
		break;
	case WWI_CUSTOMER_CATEGORIES:
		lookup_row(tx, r, table, i, customer_categories[i - 1]);
		break;
	case WWI_BUYING_GROUPS:
		lookup_row(tx, r, table, i, buying_groups[i - 1]);
		break;
	case WWI_COLORS:
		lookup_row(tx, r, table, i, colors[i - 1]);
		break;
	case WWI_PACKAGE_TYPES:
		lookup_row(tx, r, table, i, package_types[i - 1]);
		break;
	case WWI_STOCK_GROUPS:
		lookup_row(tx, r, table, i, stock_groups[i - 1]);
		break;
	case WWI_SYSTEM_PARAMETERS:
		st_begin(tx, table);
		p_int(tx, i);
		p_str(tx, "Suite 14");
		p_str(tx, "1968 Scenic Road");
		p_int(tx, 1);
		p_str(tx, "90243");
		p_str(tx, "POINT(-122.4194155 37.7749295)");
		p_str(tx, "PO Box 201");
		p_null(tx);
		p_int(tx, 1);
		p_str(tx, "90243");
		p_str(tx, "{\"Site\": {\"Company\": \"Wide World Importers\", \"Locale\": \"en-US\"}}");
		p_int(tx, 1);
		p_ts(tx, WWI_HISTORY_START_US);
		st_end(tx);
		break;
	case WWI_SUPPLIERS: {
		int64_t base = (i - 1) % N(suppliers);
		st_begin(tx, table);
		p_int(tx, i);
		if (i <= N(suppliers))
			p_str(tx, suppliers[base]);
		else
			p_fmt(tx, "%s (branch %lld)", suppliers[base], (long long)i);
		p_int(tx, wwi_rng_range(r, 1, N(supplier_categories)));
		p_int(tx, a_person(r, w));
		p_int(tx, a_person(r, w));
		if (wwi_rng_chance(r, 300))
			p_null(tx);
		else
			p_int(tx, wwi_rng_range(r, 1, N(delivery_methods)));
		p_int(tx, wwi_rng_range(r, 1, w->max_id[WWI_CITIES]));
		p_int(tx, wwi_rng_range(r, 1, w->max_id[WWI_CITIES]));
		p_fmt(tx, "BC%07d", (int)wwi_rng_range(r, 0, 9999999));
		p_str(tx, suppliers[base]);
		p_str(tx, "Woodgrove Bank Zionsville");
		p_fmt(tx, "%06d", (int)wwi_rng_range(r, 0, 999999));
		p_fmt(tx, "%010lld", (long long)wwi_rng_range(r, 0, 9999999999LL));
		p_fmt(tx, "%05d", (int)wwi_rng_range(r, 0, 99999));
		p_int(tx, wwi_rng_chance(r, 500) ? 7 : 30);
		p_null(tx);
		p_phone(tx, r);
		p_phone(tx, r);
		p_fmt(tx, "http://www.supplier%lld.example.com", (long long)i);
		p_fmt(tx, "Level %d", (int)wwi_rng_range(r, 1, 9));
		p_fmt(tx, "%d %s", (int)wwi_rng_range(r, 1, 999), PICK(r, streets));
		p_fmt(tx, "4%04d", (int)wwi_rng_range(r, 0, 9999));
		p_point(tx, r);
		p_fmt(tx, "PO Box %d", (int)wwi_rng_range(r, 1, 9999));
		p_null(tx);
		p_fmt(tx, "4%04d", (int)wwi_rng_range(r, 0, 9999));
		p_int(tx, 1);
		p_ts(tx, ref_valid_from(r));
		p_forever(tx);
		st_end(tx);
		break;
	}
	case WWI_CUSTOMERS:
		customer_row(tx, r, w, i, a_person(r, w), ref_valid_from(r) - wwi_rng_range(r, 0, 1000) * DAY_US, 1);
		break;
	case WWI_STOCK_ITEMS:
		stock_item_row(tx, r, w, i, ref_valid_from(r), 1, wwi_rng_chance(r, 333));
		break;
	case WWI_STOCK_ITEM_HOLDINGS:
		holding_row(tx, r, i, ref_valid_from(r), 1);
		break;
	case WWI_STOCK_ITEM_STOCK_GROUPS:
		item_group_row(tx, i, (i + 1) / 2, (int)((i + 1) % 2), ref_valid_from(r), 1);
		break;
	case WWI_SPECIAL_DEALS:
		special_deal_row(tx, r, w, i, 0, WWI_HISTORY_START_US + 365 * 3 * DAY_US, 2);
		break;
	default:
		tx->failed = true;
	}
}

/* ---------------------------------------------------------- live events */

static void ring_push_line(wwi_world *w, int64_t line, int64_t order)
{
	int at = (w->del_head + w->ndel_lines) % WWI_RING;
	if (w->ndel_lines == WWI_RING)
		w->del_head = (w->del_head + 1) % WWI_RING;
	else
		w->ndel_lines++;
	w->del_lines[at][0] = line;
	w->del_lines[at][1] = order;
}

static void p_comment(wwi_tx *tx, wwi_rng *r)
{
	static const char *const c[] = {
		"Please deliver to the rear entrance.",
		"Call before delivery:\nthe dock closes at 4pm.",
		"Livrer à l'entrée — merci !",
		"配達は午前中にお願いします",
		"Fragile\tthis way up",
		"Back slash \\ and \"quotes\" are fine",
	};
	if (wwi_rng_chance(r, 700))
		p_null(tx);
	else
		p_str(tx, PICK(r, c));
}

static void new_order(wwi_world *w, wwi_rng *r, int64_t now, wwi_tx *tx)
{
	int64_t oid = ++w->max_id[WWI_ORDERS];
	int64_t cust = wwi_rng_range(r, 1, w->max_id[WWI_CUSTOMERS]);
	int64_t sp = wwi_rng_range(r, 2, WWI_SALESPEOPLE + 1);
	tx->label = "order";
	st_begin(tx, WWI_ORDERS);
	p_int(tx, oid);
	p_int(tx, cust);
	p_int(tx, sp);
	p_null(tx);
	p_int(tx, a_person(r, w));
	if (oid > 1 && wwi_rng_chance(r, 20))
		p_int(tx, wwi_rng_range(r, 1, oid - 1));
	else
		p_null(tx);
	p_date(tx, now);
	p_date(tx, now + wwi_rng_range(r, 1, 3) * DAY_US);
	if (wwi_rng_chance(r, 500))
		p_fmt(tx, "%05d", (int)wwi_rng_range(r, 10000, 99999));
	else
		p_null(tx);
	p_bool(tx, true);
	p_comment(tx, r);
	p_comment(tx, r);
	p_null(tx);
	p_null(tx);
	p_int(tx, sp);
	p_ts(tx, now);
	st_end(tx);

	struct wwi_open_order o = {.order_id = oid, .customer_id = cust};
	o.nlines = (int)wwi_rng_range(r, 1, 5);
	int64_t line = 0;
	for (int k = 0; k < o.nlines; k++) {
		line = ++w->max_id[WWI_ORDER_LINES];
		o.stock[k] = wwi_rng_range(r, 1, w->max_id[WWI_STOCK_ITEMS]);
		o.qty[k] = (int)wwi_rng_range(r, 1, 120);
		st_begin(tx, WWI_ORDER_LINES);
		p_int(tx, line);
		p_int(tx, oid);
		p_int(tx, o.stock[k]);
		p_fmt(tx, "%s (item %lld)", PICK(r, products), (long long)o.stock[k]);
		p_int(tx, wwi_rng_range(r, 1, N(package_types)));
		p_int(tx, o.qty[k]);
		p_money(tx, wwi_rng_range(r, 50, 50000));
		p_dec3(tx, 15000);
		p_int(tx, 0);
		p_null(tx);
		p_int(tx, sp);
		p_ts(tx, now);
		st_end(tx);
	}
	ring_push_line(w, line, oid);
	int at = (w->orders_head + w->norders) % WWI_RING;
	if (w->norders == WWI_RING)
		w->orders_head = (w->orders_head + 1) % WWI_RING;
	else
		w->norders++;
	w->orders[at] = o;
}

static void p_delivery_events(wwi_tx *tx, wwi_rng *r, int64_t now, int64_t invoice, size_t pad)
{
	char when[48];
	fmt_ts(when, sizeof when, now, "");
	when[10] = 'T';
	buf *b = &tx->data;
	size_t start = b->len;
	int rc = buf_printf(b, "{\"Events\": [{\"Event\": \"Ready for collection\", \"EventTime\": \"%s\", "
	                       "\"ConNote\": \"EAN-125-%lld\"}, {\"Event\": \"DeliveryAttempt\", "
	                       "\"EventTime\": \"%s\", \"ConNote\": \"EAN-125-%lld\", \"DriverID\": %d, "
	                       "\"Status\": \"Delivered\"}], \"DeliveredWhen\": \"%s\", \"ReceivedBy\": \"%s %s\"",
	                    when, (long long)invoice, when, (long long)invoice, (int)wwi_rng_range(r, 2, 21),
	                    when, PICK(r, first_names), PICK(r, last_names));
	if (pad) {
		/* Random alphanumerics barely compress, so the value goes out of line. */
		static const char an[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
		rc |= buf_puts(b, ", \"SignatureImage\": \"");
		if (!rc && !buf_reserve(b, pad))
			for (size_t k = 0; k < pad; k++)
				b->data[b->len++] = an[wwi_rng_next(r) % 62];
		rc |= buf_putc(b, '"');
	}
	rc |= buf_putc(b, '}');
	size_t n = b->len - start;
	/* p_raw appends again; record in place instead. */
	wwi_stmt *s = &tx->stmts[tx->nstmts - 1];
	if (rc || buf_putc(b, '\0') || s->nparams == WWI_MAX_COLS) {
		tx->failed = true;
		return;
	}
	s->off[s->nparams] = (int)start;
	s->len[s->nparams] = (int)n;
	s->nparams++;
}

static void invoice_order(wwi_world *w, wwi_rng *r, int64_t now, wwi_tx *tx)
{
	if (!w->norders) {
		new_order(w, r, now, tx);
		return;
	}
	struct wwi_open_order o = w->orders[w->orders_head];
	w->orders_head = (w->orders_head + 1) % WWI_RING;
	w->norders--;
	tx->label = "invoice";
	int64_t iid = ++w->max_id[WWI_INVOICES];
	int64_t packer = an_employee(r), sp = wwi_rng_range(r, 2, WWI_SALESPEOPLE + 1);
	st_begin(tx, WWI_INVOICES);
	p_int(tx, iid);
	p_int(tx, o.customer_id);
	p_int(tx, o.customer_id);
	p_int(tx, o.order_id);
	p_int(tx, wwi_rng_range(r, 1, N(delivery_methods)));
	p_int(tx, a_person(r, w));
	p_int(tx, a_person(r, w));
	p_int(tx, sp);
	p_int(tx, packer);
	p_date(tx, now);
	p_null(tx);
	p_bool(tx, false);
	p_null(tx);
	p_comment(tx, r);
	p_comment(tx, r);
	p_null(tx);
	p_int(tx, o.nlines);
	p_int(tx, 0);
	p_null(tx);
	p_null(tx);
	p_delivery_events(tx, r, now, iid, 0);
	p_int(tx, packer);
	p_ts(tx, now);
	st_end(tx);

	int64_t total_ex = 0, total_tax = 0;
	for (int k = 0; k < o.nlines; k++) {
		int64_t unit = wwi_rng_range(r, 50, 50000), ext = unit * o.qty[k], tax = ext * 15 / 100;
		total_ex += ext;
		total_tax += tax;
		st_begin(tx, WWI_INVOICE_LINES);
		p_int(tx, ++w->max_id[WWI_INVOICE_LINES]);
		p_int(tx, iid);
		p_int(tx, o.stock[k]);
		p_fmt(tx, "%s (item %lld)", PICK(r, products), (long long)o.stock[k]);
		p_int(tx, wwi_rng_range(r, 1, N(package_types)));
		p_int(tx, o.qty[k]);
		p_money(tx, unit);
		p_dec3(tx, 15000);
		p_money(tx, tax);
		p_money(tx, ext / 3);
		p_money(tx, ext + tax);
		p_int(tx, packer);
		p_ts(tx, now);
		st_end(tx);

		st_begin(tx, WWI_STOCK_ITEM_TRANSACTIONS);
		p_int(tx, ++w->max_id[WWI_STOCK_ITEM_TRANSACTIONS]);
		p_int(tx, o.stock[k]);
		p_int(tx, TT_STOCK_ISSUE);
		p_int(tx, o.customer_id);
		p_int(tx, iid);
		p_null(tx);
		p_null(tx);
		p_ts(tx, now);
		p_dec3(tx, -1000 * (int64_t)o.qty[k]);
		p_int(tx, packer);
		p_ts(tx, now);
		st_end(tx);

		st_begin(tx, WWI_UPD_HOLDING);
		p_int(tx, o.stock[k]);
		p_int(tx, -o.qty[k]);
		p_int(tx, packer);
		p_ts(tx, now);
		st_end(tx);
	}
	st_begin(tx, WWI_PICK_ORDER);
	p_int(tx, o.order_id);
	p_int(tx, packer);
	p_ts(tx, now);
	st_end(tx);
	st_begin(tx, WWI_PICK_ORDER_LINES);
	p_int(tx, o.order_id);
	p_ts(tx, now);
	p_int(tx, packer);
	st_end(tx);

	st_begin(tx, WWI_CUSTOMER_TRANSACTIONS);
	p_int(tx, ++w->max_id[WWI_CUSTOMER_TRANSACTIONS]);
	p_int(tx, o.customer_id);
	p_int(tx, TT_CUSTOMER_INVOICE);
	p_int(tx, iid);
	p_null(tx);
	p_date(tx, now);
	p_money(tx, total_ex);
	p_money(tx, total_tax);
	p_money(tx, total_ex + total_tax);
	p_money(tx, total_ex + total_tax);
	p_null(tx);
	p_int(tx, packer);
	p_ts(tx, now);
	st_end(tx);
}

static void payment(wwi_world *w, wwi_rng *r, int64_t now, wwi_tx *tx)
{
	int64_t amount = wwi_rng_range(r, 1000, 2000000), by = an_employee(r);
	tx->label = "payment";
	st_begin(tx, WWI_CUSTOMER_TRANSACTIONS);
	p_int(tx, ++w->max_id[WWI_CUSTOMER_TRANSACTIONS]);
	p_int(tx, wwi_rng_range(r, 1, w->max_id[WWI_CUSTOMERS]));
	p_int(tx, TT_CUSTOMER_PAYMENT);
	p_null(tx);
	p_int(tx, wwi_rng_range(r, 1, N(payment_methods)));
	p_date(tx, now);
	p_money(tx, -amount);
	p_money(tx, 0);
	p_money(tx, -amount);
	p_money(tx, 0);
	p_date(tx, now);
	p_int(tx, by);
	p_ts(tx, now);
	st_end(tx);
	if (w->max_id[WWI_CUSTOMER_TRANSACTIONS] > 1) {
		st_begin(tx, WWI_FINALIZE_CT);
		p_int(tx, wwi_rng_range(r, 1, w->max_id[WWI_CUSTOMER_TRANSACTIONS] - 1));
		p_date(tx, now);
		p_int(tx, by);
		p_ts(tx, now);
		st_end(tx);
	}
}

static void supplier_tx(wwi_world *w, wwi_rng *r, int64_t now, wwi_tx *tx, int64_t supplier,
                        int64_t po, int64_t amount, bool pay, int64_t by)
{
	st_begin(tx, WWI_SUPPLIER_TRANSACTIONS);
	p_int(tx, ++w->max_id[WWI_SUPPLIER_TRANSACTIONS]);
	p_int(tx, supplier);
	p_int(tx, pay ? TT_SUPPLIER_PAYMENT : TT_SUPPLIER_INVOICE);
	p_int(tx, po);
	if (pay)
		p_int(tx, wwi_rng_range(r, 1, N(payment_methods)));
	else
		p_null(tx);
	if (pay)
		p_null(tx);
	else
		p_fmt(tx, "%lld", (long long)(po * 7 + 1000));
	p_date(tx, now);
	int64_t tax = amount * 15 / 100;
	p_money(tx, pay ? -amount : amount);
	p_money(tx, pay ? -tax : tax);
	p_money(tx, pay ? -(amount + tax) : amount + tax);
	p_money(tx, pay ? 0 : amount + tax);
	if (pay)
		p_date(tx, now);
	else
		p_null(tx);
	p_int(tx, by);
	p_ts(tx, now);
	st_end(tx);
}

static void purchase_order(wwi_world *w, wwi_rng *r, int64_t now, wwi_tx *tx)
{
	struct wwi_open_po p = {.po_id = ++w->max_id[WWI_PURCHASE_ORDERS]};
	p.supplier_id = wwi_rng_range(r, 1, w->max_id[WWI_SUPPLIERS]);
	p.nlines = (int)wwi_rng_range(r, 1, 4);
	int64_t by = an_employee(r), total = 0;
	tx->label = "purchase-order";
	st_begin(tx, WWI_PURCHASE_ORDERS);
	p_int(tx, p.po_id);
	p_int(tx, p.supplier_id);
	p_date(tx, now);
	p_int(tx, wwi_rng_range(r, 1, N(delivery_methods)));
	p_int(tx, by);
	p_date(tx, now + wwi_rng_range(r, 7, 21) * DAY_US);
	p_fmt(tx, "B%07d", (int)wwi_rng_range(r, 0, 9999999));
	p_bool(tx, false);
	p_null(tx);
	p_null(tx);
	p_int(tx, by);
	p_ts(tx, now);
	st_end(tx);
	for (int k = 0; k < p.nlines; k++) {
		int64_t price = wwi_rng_range(r, 500, 200000);
		p.stock[k] = wwi_rng_range(r, 1, w->max_id[WWI_STOCK_ITEMS]);
		p.outers[k] = (int)wwi_rng_range(r, 1, 50);
		total += price * p.outers[k];
		st_begin(tx, WWI_PURCHASE_ORDER_LINES);
		p_int(tx, ++w->max_id[WWI_PURCHASE_ORDER_LINES]);
		p_int(tx, p.po_id);
		p_int(tx, p.stock[k]);
		p_int(tx, p.outers[k]);
		p_fmt(tx, "%s (item %lld)", PICK(r, products), (long long)p.stock[k]);
		p_int(tx, 0);
		p_int(tx, wwi_rng_range(r, 1, N(package_types)));
		p_money(tx, price);
		p_null(tx);
		p_bool(tx, false);
		p_int(tx, by);
		p_ts(tx, now);
		st_end(tx);
	}
	supplier_tx(w, r, now, tx, p.supplier_id, p.po_id, total, false, by);
	int at = (w->pos_head + w->npos) % WWI_RING;
	if (w->npos == WWI_RING)
		w->pos_head = (w->pos_head + 1) % WWI_RING;
	else
		w->npos++;
	w->pos[at] = p;
}

static void receive_po(wwi_world *w, wwi_rng *r, int64_t now, wwi_tx *tx)
{
	if (!w->npos) {
		purchase_order(w, r, now, tx);
		return;
	}
	struct wwi_open_po p = w->pos[w->pos_head];
	w->pos_head = (w->pos_head + 1) % WWI_RING;
	w->npos--;
	int64_t by = an_employee(r), total = 0;
	tx->label = "goods-received";
	st_begin(tx, WWI_RECEIVE_PO_LINES);
	p_int(tx, p.po_id);
	p_date(tx, now);
	p_int(tx, by);
	p_ts(tx, now);
	st_end(tx);
	st_begin(tx, WWI_FINALIZE_PO);
	p_int(tx, p.po_id);
	p_int(tx, by);
	p_ts(tx, now);
	st_end(tx);
	for (int k = 0; k < p.nlines; k++) {
		int64_t units = (int64_t)p.outers[k] * 10, cost = wwi_rng_range(r, 30, 30000);
		total += cost * units;
		st_begin(tx, WWI_STOCK_ITEM_TRANSACTIONS);
		p_int(tx, ++w->max_id[WWI_STOCK_ITEM_TRANSACTIONS]);
		p_int(tx, p.stock[k]);
		p_int(tx, TT_STOCK_RECEIPT);
		p_null(tx);
		p_null(tx);
		p_int(tx, p.supplier_id);
		p_int(tx, p.po_id);
		p_ts(tx, now);
		p_dec3(tx, units * 1000);
		p_int(tx, by);
		p_ts(tx, now);
		st_end(tx);
		st_begin(tx, WWI_UPD_HOLDING_COST);
		p_int(tx, p.stock[k]);
		p_int(tx, units);
		p_money(tx, cost);
		p_int(tx, by);
		p_ts(tx, now);
		st_end(tx);
	}
	supplier_tx(w, r, now, tx, p.supplier_id, p.po_id, total, true, by);
}

static void temperatures(wwi_world *w, wwi_rng *r, int64_t now, wwi_tx *tx)
{
	tx->label = "temperatures";
	int nv = (int)wwi_rng_range(r, 1, 3), nc = (int)wwi_rng_range(r, 1, 4);
	for (int k = 0; k < nv; k++) {
		int64_t when = now + k * 1000, temp = wwi_rng_range(r, 200, 550);
		int sensor = (int)wwi_rng_range(r, 1, 2);
		const char *rego = wwi_rng_chance(r, 500) ? "WWI-321-A" : "WWI-321-B";
		char t[32], ts[48];
		fmt_scaled(t, sizeof t, temp, 2);
		fmt_ts(ts, sizeof ts, when, "");
		ts[10] = 'T';
		bool compressed = wwi_rng_chance(r, 100);
		st_begin(tx, WWI_VEHICLE_TEMPERATURES);
		p_int(tx, ++w->max_id[WWI_VEHICLE_TEMPERATURES]);
		p_str(tx, rego);
		p_int(tx, sensor);
		p_tstz(tx, when);
		p_str(tx, t);
		p_bool(tx, compressed);
		if (compressed) {
			p_null(tx);
			p_bytea_random(tx, r, (size_t)wwi_rng_range(r, 40, 200), false);
		} else {
			p_fmt(tx, "{\"Recordings\": [{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", "
			          "\"coordinates\": [-89.7600464, 50.4742420]}, \"properties\": {\"rego\": \"%s\", "
			          "\"sensor\": %d, \"when\": \"%s\", \"temp\": %s}}]}",
			      rego, sensor, ts, t);
			p_null(tx);
		}
		st_end(tx);
	}
	for (int k = 0; k < nc; k++) {
		int64_t when = now + k * 1000;
		st_begin(tx, WWI_COLD_ROOM_TEMPERATURES);
		p_int(tx, ++w->max_id[WWI_COLD_ROOM_TEMPERATURES]);
		p_int(tx, wwi_rng_range(r, 1, 4));
		p_tstz(tx, when);
		p_money(tx, wwi_rng_range(r, 250, 500));
		p_ts(tx, when);
		p_forever(tx);
		st_end(tx);
	}
}

static void new_customer(wwi_world *w, wwi_rng *r, int64_t now, wwi_tx *tx)
{
	int64_t by = an_employee(r), person = ++w->max_id[WWI_PEOPLE];
	tx->label = "new-customer";
	person_row(tx, r, person, now, by);
	customer_row(tx, r, w, ++w->max_id[WWI_CUSTOMERS], person, now, by);
}

static void amend_order(wwi_world *w, wwi_rng *r, int64_t now, wwi_tx *tx)
{
	if (!w->ndel_lines) {
		temperatures(w, r, now, tx);
		return;
	}
	/* The newest first: an order amended soon after it was placed. */
	w->ndel_lines--;
	int at = (w->del_head + w->ndel_lines) % WWI_RING;
	int64_t line = w->del_lines[at][0], order = w->del_lines[at][1], by = an_employee(r);
	tx->label = "order-amended";
	st_begin(tx, WWI_DEL_ORDER_LINE);
	p_int(tx, line);
	st_end(tx);
	st_begin(tx, WWI_TOUCH_ORDER);
	p_int(tx, order);
	p_fmt(tx, "Line %lld removed at the customer's request", (long long)line);
	p_int(tx, by);
	p_ts(tx, now);
	st_end(tx);
}

static void purge_cold(wwi_world *w, wwi_rng *r, int64_t now, wwi_tx *tx)
{
	int64_t k = wwi_rng_range(r, 1, 5);
	if (w->max_id[WWI_COLD_ROOM_TEMPERATURES] - w->min_cold < 100 + k) {
		temperatures(w, r, now, tx);
		return;
	}
	tx->label = "readings-purged";
	st_begin(tx, WWI_DEL_COLD);
	p_int(tx, w->min_cold);
	p_int(tx, w->min_cold + k - 1);
	st_end(tx);
	w->min_cold += k;
}

static void new_deal(wwi_world *w, wwi_rng *r, int64_t now, wwi_tx *tx)
{
	tx->label = "special-deal";
	special_deal_row(tx, r, w, ++w->max_id[WWI_SPECIAL_DEALS], (int)wwi_rng_range(r, 0, 2), now,
	                 an_employee(r));
}

static void credit_review(wwi_world *w, wwi_rng *r, int64_t now, wwi_tx *tx)
{
	tx->label = "credit-review";
	st_begin(tx, WWI_CREDIT);
	p_int(tx, wwi_rng_range(r, 1, w->max_id[WWI_CUSTOMERS]));
	if (wwi_rng_chance(r, 200))
		p_null(tx);
	else
		p_money(tx, wwi_rng_range(r, 10, 500) * 10000);
	p_bool(tx, wwi_rng_chance(r, 100));
	p_int(tx, an_employee(r));
	p_ts(tx, now);
	st_end(tx);
}

static void invoice_comment(wwi_world *w, wwi_rng *r, int64_t now, wwi_tx *tx)
{
	if (!w->max_id[WWI_INVOICES]) {
		new_order(w, r, now, tx);
		return;
	}
	int64_t iid = w->toast_invoice && wwi_rng_chance(r, 500) ? w->toast_invoice
	                                                         : wwi_rng_range(r, 1, w->max_id[WWI_INVOICES]);
	tx->label = "invoice-comment";
	st_begin(tx, WWI_INVOICE_COMMENT);
	p_int(tx, iid);
	p_fmt(tx, "Customer called about invoice %lld", (long long)iid);
	p_int(tx, an_employee(r));
	p_ts(tx, now);
	st_end(tx);
}

static void new_stock_item(wwi_world *w, wwi_rng *r, int64_t now, wwi_tx *tx)
{
	int64_t by = an_employee(r), item = ++w->max_id[WWI_STOCK_ITEMS];
	tx->label = "new-stock-item";
	stock_item_row(tx, r, w, item, now, by, true);
	holding_row(tx, r, item, now, by);
	w->max_id[WWI_STOCK_ITEM_HOLDINGS]++;
	item_group_row(tx, ++w->max_id[WWI_STOCK_ITEM_STOCK_GROUPS], item, 0, now, by);
	item_group_row(tx, ++w->max_id[WWI_STOCK_ITEM_STOCK_GROUPS], item, 1, now, by);
}

static void bulk(wwi_world *w, wwi_rng *r, int64_t now, wwi_tx *tx)
{
	int64_t by = an_employee(r);
	tx->label = "stocktake";
	st_begin(tx, WWI_STOCKTAKE);
	p_int(tx, by);
	p_ts(tx, now);
	st_end(tx);
	st_begin(tx, WWI_COLD_BATCH);
	p_int(tx, w->max_id[WWI_COLD_ROOM_TEMPERATURES] + 1);
	p_tstz(tx, now);
	p_int(tx, WWI_BULK_READINGS);
	p_ts(tx, now);
	st_end(tx);
	w->max_id[WWI_COLD_ROOM_TEMPERATURES] += WWI_BULK_READINGS;
}

static void large_delivery(wwi_world *w, wwi_rng *r, int64_t now, wwi_tx *tx)
{
	if (!w->max_id[WWI_INVOICES]) {
		invoice_order(w, r, now, tx);
		return;
	}
	int64_t iid = wwi_rng_range(r, 1, w->max_id[WWI_INVOICES]);
	tx->label = "delivery-record";
	st_begin(tx, WWI_DELIVERY_DATA);
	p_int(tx, iid);
	p_delivery_events(tx, r, now, iid, (size_t)wwi_rng_range(r, 12000, 16000));
	p_int(tx, an_employee(r));
	p_ts(tx, now);
	st_end(tx);
	w->toast_invoice = iid;
}

int64_t wwi_tx_rows(const wwi_world *w, const wwi_tx *tx)
{
	int64_t rows = 0;
	for (int i = 0; i < tx->nstmts; i++) {
		const wwi_stmt *s = &tx->stmts[i];
		const char *a = s->off[0] >= 0 ? tx->data.data + s->off[0] : "0";
		switch (s->kind) {
		case WWI_PICK_ORDER_LINES: rows += 3; break;    /* lines per order, on average */
		case WWI_RECEIVE_PO_LINES: rows += 2; break;
		case WWI_STOCKTAKE: rows += w->max_id[WWI_STOCK_ITEM_HOLDINGS]; break;
		case WWI_COLD_BATCH: rows += strtoll(tx->data.data + s->off[2], NULL, 10); break;
		case WWI_DEL_COLD: rows += strtoll(tx->data.data + s->off[1], NULL, 10) - strtoll(a, NULL, 10) + 1; break;
		default: rows++;
		}
	}
	return rows;
}

typedef void (*event_fn)(wwi_world *, wwi_rng *, int64_t, wwi_tx *);

static const struct {
	int weight;
	event_fn fn;
} events[] = {
	{300, new_order}, {200, invoice_order}, {100, payment}, {60, purchase_order},
	{50, receive_po}, {150, temperatures}, {30, new_customer}, {40, amend_order},
	{30, purge_cold}, {10, new_deal}, {20, credit_review}, {10, invoice_comment},
	{5, new_stock_item},
};

void wwi_next_tx(wwi_world *w, int64_t now_us, wwi_tx *tx)
{
	wwi_tx_reset(tx);
	uint64_t n = w->ntx++;
	if (!w->history && n % WWI_BULK_EVERY == WWI_BULK_FIRST) {
		bulk(w, &w->rng, now_us, tx);
		return;
	}
	if (!w->history && n % WWI_LARGE_EVERY == WWI_LARGE_FIRST) {
		large_delivery(w, &w->rng, now_us, tx);
		return;
	}
	int total = 0;
	for (int64_t k = 0; k < N(events); k++)
		total += events[k].weight;
	int x = (int)wwi_rng_range(&w->rng, 0, total - 1);
	for (int64_t k = 0; k < N(events); k++) {
		if (x < events[k].weight) {
			events[k].fn(w, &w->rng, now_us, tx);
			return;
		}
		x -= events[k].weight;
	}
}
