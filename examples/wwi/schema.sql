-- WideWorldImporters, reshaped for PostgreSQL 15.
--
-- The tables, columns, keys and checks of Microsoft's WideWorldImporters
-- sample (sql-server-samples, wide-world-importers), with snake_case names:
-- nvarchar(n) -> varchar(n), nvarchar(max) -> text, bit -> boolean,
-- decimal -> numeric, datetime2(7) -> timestamp(6), varbinary -> bytea,
-- geography -> text (WKT; no PostGIS). Computed columns, temporal history
-- tables, sequences and row-level security are left out: wwi-gen assigns the
-- keys itself. Additions for replication tests: application.people.person_uuid
-- (uuid), sensor readings as timestamptz, jsonb custom fields, and REPLICA
-- IDENTITY FULL on two tables. One column per line: tests parse this file.
--
-- Load into an empty database: psql -v ON_ERROR_STOP=1 -f schema.sql
-- (or wwi-gen --schema-load). Every statement is safe to run twice.

SET client_min_messages = warning;

CREATE SCHEMA IF NOT EXISTS application;
CREATE SCHEMA IF NOT EXISTS purchasing;
CREATE SCHEMA IF NOT EXISTS sales;
CREATE SCHEMA IF NOT EXISTS warehouse;

-- ---------------------------------------------------------------- application

CREATE TABLE IF NOT EXISTS application.people (
    person_id int NOT NULL,
    full_name varchar(50) NOT NULL,
    preferred_name varchar(50) NOT NULL,
    is_permitted_to_logon boolean NOT NULL,
    logon_name varchar(50),
    is_external_logon_provider boolean NOT NULL,
    hashed_password bytea,
    is_system_user boolean NOT NULL,
    is_employee boolean NOT NULL,
    is_salesperson boolean NOT NULL,
    user_preferences text,
    phone_number varchar(20),
    fax_number varchar(20),
    email_address varchar(256),
    photo bytea,
    custom_fields jsonb,
    person_uuid uuid NOT NULL,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    valid_from timestamp(6) NOT NULL,
    valid_to timestamp(6) NOT NULL DEFAULT '9999-12-31 23:59:59.999999',
    PRIMARY KEY (person_id),
    UNIQUE (person_uuid)
);

CREATE TABLE IF NOT EXISTS application.countries (
    country_id int NOT NULL,
    country_name varchar(60) NOT NULL,
    formal_name varchar(60) NOT NULL,
    iso_alpha3_code varchar(3),
    iso_numeric_code int,
    country_type varchar(20),
    latest_recorded_population bigint,
    continent varchar(30) NOT NULL,
    region varchar(30) NOT NULL,
    subregion varchar(30) NOT NULL,
    border text,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    valid_from timestamp(6) NOT NULL,
    valid_to timestamp(6) NOT NULL DEFAULT '9999-12-31 23:59:59.999999',
    PRIMARY KEY (country_id),
    UNIQUE (country_name),
    UNIQUE (formal_name)
);

CREATE TABLE IF NOT EXISTS application.state_provinces (
    state_province_id int NOT NULL,
    state_province_code varchar(5) NOT NULL,
    state_province_name varchar(50) NOT NULL,
    country_id int NOT NULL REFERENCES application.countries (country_id),
    sales_territory varchar(50) NOT NULL,
    border text,
    latest_recorded_population bigint,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    valid_from timestamp(6) NOT NULL,
    valid_to timestamp(6) NOT NULL DEFAULT '9999-12-31 23:59:59.999999',
    PRIMARY KEY (state_province_id),
    UNIQUE (state_province_name)
);

CREATE TABLE IF NOT EXISTS application.cities (
    city_id int NOT NULL,
    city_name varchar(50) NOT NULL,
    state_province_id int NOT NULL REFERENCES application.state_provinces (state_province_id),
    location text,
    latest_recorded_population bigint,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    valid_from timestamp(6) NOT NULL,
    valid_to timestamp(6) NOT NULL DEFAULT '9999-12-31 23:59:59.999999',
    PRIMARY KEY (city_id)
);

CREATE TABLE IF NOT EXISTS application.delivery_methods (
    delivery_method_id int NOT NULL,
    delivery_method_name varchar(50) NOT NULL,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    valid_from timestamp(6) NOT NULL,
    valid_to timestamp(6) NOT NULL DEFAULT '9999-12-31 23:59:59.999999',
    PRIMARY KEY (delivery_method_id),
    UNIQUE (delivery_method_name)
);

CREATE TABLE IF NOT EXISTS application.payment_methods (
    payment_method_id int NOT NULL,
    payment_method_name varchar(50) NOT NULL,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    valid_from timestamp(6) NOT NULL,
    valid_to timestamp(6) NOT NULL DEFAULT '9999-12-31 23:59:59.999999',
    PRIMARY KEY (payment_method_id),
    UNIQUE (payment_method_name)
);

CREATE TABLE IF NOT EXISTS application.transaction_types (
    transaction_type_id int NOT NULL,
    transaction_type_name varchar(50) NOT NULL,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    valid_from timestamp(6) NOT NULL,
    valid_to timestamp(6) NOT NULL DEFAULT '9999-12-31 23:59:59.999999',
    PRIMARY KEY (transaction_type_id),
    UNIQUE (transaction_type_name)
);

CREATE TABLE IF NOT EXISTS application.system_parameters (
    system_parameter_id int NOT NULL,
    delivery_address_line1 varchar(60) NOT NULL,
    delivery_address_line2 varchar(60),
    delivery_city_id int NOT NULL REFERENCES application.cities (city_id),
    delivery_postal_code varchar(10) NOT NULL,
    delivery_location text NOT NULL,
    postal_address_line1 varchar(60) NOT NULL,
    postal_address_line2 varchar(60),
    postal_city_id int NOT NULL REFERENCES application.cities (city_id),
    postal_postal_code varchar(10) NOT NULL,
    application_settings text NOT NULL,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    last_edited_when timestamp(6) NOT NULL,
    PRIMARY KEY (system_parameter_id)
);

-- ----------------------------------------------------------------- purchasing

CREATE TABLE IF NOT EXISTS purchasing.supplier_categories (
    supplier_category_id int NOT NULL,
    supplier_category_name varchar(50) NOT NULL,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    valid_from timestamp(6) NOT NULL,
    valid_to timestamp(6) NOT NULL DEFAULT '9999-12-31 23:59:59.999999',
    PRIMARY KEY (supplier_category_id),
    UNIQUE (supplier_category_name)
);

CREATE TABLE IF NOT EXISTS purchasing.suppliers (
    supplier_id int NOT NULL,
    supplier_name varchar(100) NOT NULL,
    supplier_category_id int NOT NULL REFERENCES purchasing.supplier_categories (supplier_category_id),
    primary_contact_person_id int NOT NULL REFERENCES application.people (person_id),
    alternate_contact_person_id int NOT NULL REFERENCES application.people (person_id),
    delivery_method_id int REFERENCES application.delivery_methods (delivery_method_id),
    delivery_city_id int NOT NULL REFERENCES application.cities (city_id),
    postal_city_id int NOT NULL REFERENCES application.cities (city_id),
    supplier_reference varchar(20),
    bank_account_name varchar(50),
    bank_account_branch varchar(50),
    bank_account_code varchar(20),
    bank_account_number varchar(20),
    bank_international_code varchar(20),
    payment_days int NOT NULL,
    internal_comments text,
    phone_number varchar(20) NOT NULL,
    fax_number varchar(20) NOT NULL,
    website_url varchar(256) NOT NULL,
    delivery_address_line1 varchar(60) NOT NULL,
    delivery_address_line2 varchar(60),
    delivery_postal_code varchar(10) NOT NULL,
    delivery_location text,
    postal_address_line1 varchar(60) NOT NULL,
    postal_address_line2 varchar(60),
    postal_postal_code varchar(10) NOT NULL,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    valid_from timestamp(6) NOT NULL,
    valid_to timestamp(6) NOT NULL DEFAULT '9999-12-31 23:59:59.999999',
    PRIMARY KEY (supplier_id),
    UNIQUE (supplier_name),
    CHECK (payment_days >= 0)
);

-- ---------------------------------------------------------------------- sales

CREATE TABLE IF NOT EXISTS sales.customer_categories (
    customer_category_id int NOT NULL,
    customer_category_name varchar(50) NOT NULL,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    valid_from timestamp(6) NOT NULL,
    valid_to timestamp(6) NOT NULL DEFAULT '9999-12-31 23:59:59.999999',
    PRIMARY KEY (customer_category_id),
    UNIQUE (customer_category_name)
);

CREATE TABLE IF NOT EXISTS sales.buying_groups (
    buying_group_id int NOT NULL,
    buying_group_name varchar(50) NOT NULL,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    valid_from timestamp(6) NOT NULL,
    valid_to timestamp(6) NOT NULL DEFAULT '9999-12-31 23:59:59.999999',
    PRIMARY KEY (buying_group_id),
    UNIQUE (buying_group_name)
);

CREATE TABLE IF NOT EXISTS sales.customers (
    customer_id int NOT NULL,
    customer_name varchar(100) NOT NULL,
    bill_to_customer_id int NOT NULL REFERENCES sales.customers (customer_id),
    customer_category_id int NOT NULL REFERENCES sales.customer_categories (customer_category_id),
    buying_group_id int REFERENCES sales.buying_groups (buying_group_id),
    primary_contact_person_id int NOT NULL REFERENCES application.people (person_id),
    alternate_contact_person_id int REFERENCES application.people (person_id),
    delivery_method_id int NOT NULL REFERENCES application.delivery_methods (delivery_method_id),
    delivery_city_id int NOT NULL REFERENCES application.cities (city_id),
    postal_city_id int NOT NULL REFERENCES application.cities (city_id),
    credit_limit numeric(18,2),
    account_opened_date date NOT NULL,
    standard_discount_percentage numeric(18,3) NOT NULL,
    is_statement_sent boolean NOT NULL,
    is_on_credit_hold boolean NOT NULL,
    payment_days int NOT NULL,
    phone_number varchar(20) NOT NULL,
    fax_number varchar(20) NOT NULL,
    delivery_run varchar(5),
    run_position varchar(5),
    website_url varchar(256) NOT NULL,
    delivery_address_line1 varchar(60) NOT NULL,
    delivery_address_line2 varchar(60),
    delivery_postal_code varchar(10) NOT NULL,
    delivery_location text,
    postal_address_line1 varchar(60) NOT NULL,
    postal_address_line2 varchar(60),
    postal_postal_code varchar(10) NOT NULL,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    valid_from timestamp(6) NOT NULL,
    valid_to timestamp(6) NOT NULL DEFAULT '9999-12-31 23:59:59.999999',
    PRIMARY KEY (customer_id),
    UNIQUE (customer_name),
    CHECK (payment_days >= 0),
    CHECK (standard_discount_percentage BETWEEN 0 AND 100)
);

-- ------------------------------------------------------------------ warehouse

CREATE TABLE IF NOT EXISTS warehouse.colors (
    color_id int NOT NULL,
    color_name varchar(20) NOT NULL,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    valid_from timestamp(6) NOT NULL,
    valid_to timestamp(6) NOT NULL DEFAULT '9999-12-31 23:59:59.999999',
    PRIMARY KEY (color_id),
    UNIQUE (color_name)
);

CREATE TABLE IF NOT EXISTS warehouse.package_types (
    package_type_id int NOT NULL,
    package_type_name varchar(50) NOT NULL,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    valid_from timestamp(6) NOT NULL,
    valid_to timestamp(6) NOT NULL DEFAULT '9999-12-31 23:59:59.999999',
    PRIMARY KEY (package_type_id),
    UNIQUE (package_type_name)
);

CREATE TABLE IF NOT EXISTS warehouse.stock_groups (
    stock_group_id int NOT NULL,
    stock_group_name varchar(50) NOT NULL,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    valid_from timestamp(6) NOT NULL,
    valid_to timestamp(6) NOT NULL DEFAULT '9999-12-31 23:59:59.999999',
    PRIMARY KEY (stock_group_id),
    UNIQUE (stock_group_name)
);

CREATE TABLE IF NOT EXISTS warehouse.stock_items (
    stock_item_id int NOT NULL,
    stock_item_name varchar(100) NOT NULL,
    supplier_id int NOT NULL REFERENCES purchasing.suppliers (supplier_id),
    color_id int REFERENCES warehouse.colors (color_id),
    unit_package_id int NOT NULL REFERENCES warehouse.package_types (package_type_id),
    outer_package_id int NOT NULL REFERENCES warehouse.package_types (package_type_id),
    brand varchar(50),
    size varchar(20),
    lead_time_days int NOT NULL,
    quantity_per_outer int NOT NULL,
    is_chiller_stock boolean NOT NULL,
    barcode varchar(50),
    tax_rate numeric(18,3) NOT NULL,
    unit_price numeric(18,2) NOT NULL,
    recommended_retail_price numeric(18,2),
    typical_weight_per_unit numeric(18,3) NOT NULL,
    marketing_comments text,
    internal_comments text,
    photo bytea,
    custom_fields jsonb,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    valid_from timestamp(6) NOT NULL,
    valid_to timestamp(6) NOT NULL DEFAULT '9999-12-31 23:59:59.999999',
    PRIMARY KEY (stock_item_id),
    UNIQUE (stock_item_name),
    CHECK (quantity_per_outer > 0),
    CHECK (unit_price >= 0)
);

-- Non-temporal stock attributes, updated all the time: REPLICA IDENTITY FULL
-- so that updates and deletes carry the whole old row.
CREATE TABLE IF NOT EXISTS warehouse.stock_item_holdings (
    stock_item_id int NOT NULL REFERENCES warehouse.stock_items (stock_item_id),
    quantity_on_hand int NOT NULL,
    bin_location varchar(20) NOT NULL,
    last_stocktake_quantity int NOT NULL,
    last_cost_price numeric(18,2) NOT NULL,
    reorder_level int NOT NULL,
    target_stock_level int NOT NULL,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    last_edited_when timestamp(6) NOT NULL,
    PRIMARY KEY (stock_item_id)
);
ALTER TABLE warehouse.stock_item_holdings REPLICA IDENTITY FULL;

CREATE TABLE IF NOT EXISTS warehouse.stock_item_stock_groups (
    stock_item_stock_group_id int NOT NULL,
    stock_item_id int NOT NULL REFERENCES warehouse.stock_items (stock_item_id),
    stock_group_id int NOT NULL REFERENCES warehouse.stock_groups (stock_group_id),
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    last_edited_when timestamp(6) NOT NULL,
    PRIMARY KEY (stock_item_stock_group_id),
    UNIQUE (stock_item_id, stock_group_id)
);

-- ------------------------------------------------------- purchasing (orders)

CREATE TABLE IF NOT EXISTS purchasing.purchase_orders (
    purchase_order_id int NOT NULL,
    supplier_id int NOT NULL REFERENCES purchasing.suppliers (supplier_id),
    order_date date NOT NULL,
    delivery_method_id int NOT NULL REFERENCES application.delivery_methods (delivery_method_id),
    contact_person_id int NOT NULL REFERENCES application.people (person_id),
    expected_delivery_date date,
    supplier_reference varchar(20),
    is_order_finalized boolean NOT NULL,
    comments text,
    internal_comments text,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    last_edited_when timestamp(6) NOT NULL,
    PRIMARY KEY (purchase_order_id)
);

CREATE TABLE IF NOT EXISTS purchasing.purchase_order_lines (
    purchase_order_line_id int NOT NULL,
    purchase_order_id int NOT NULL REFERENCES purchasing.purchase_orders (purchase_order_id),
    stock_item_id int NOT NULL REFERENCES warehouse.stock_items (stock_item_id),
    ordered_outers int NOT NULL,
    description varchar(100) NOT NULL,
    received_outers int NOT NULL,
    package_type_id int NOT NULL REFERENCES warehouse.package_types (package_type_id),
    expected_unit_price_per_outer numeric(18,2),
    last_receipt_date date,
    is_order_line_finalized boolean NOT NULL,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    last_edited_when timestamp(6) NOT NULL,
    PRIMARY KEY (purchase_order_line_id),
    CHECK (ordered_outers > 0),
    CHECK (received_outers >= 0)
);

CREATE TABLE IF NOT EXISTS purchasing.supplier_transactions (
    supplier_transaction_id int NOT NULL,
    supplier_id int NOT NULL REFERENCES purchasing.suppliers (supplier_id),
    transaction_type_id int NOT NULL REFERENCES application.transaction_types (transaction_type_id),
    purchase_order_id int REFERENCES purchasing.purchase_orders (purchase_order_id),
    payment_method_id int REFERENCES application.payment_methods (payment_method_id),
    supplier_invoice_number varchar(20),
    transaction_date date NOT NULL,
    amount_excluding_tax numeric(18,2) NOT NULL,
    tax_amount numeric(18,2) NOT NULL,
    transaction_amount numeric(18,2) NOT NULL,
    outstanding_balance numeric(18,2) NOT NULL,
    finalization_date date,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    last_edited_when timestamp(6) NOT NULL,
    PRIMARY KEY (supplier_transaction_id)
);

-- ------------------------------------------------------------ sales (orders)

CREATE TABLE IF NOT EXISTS sales.special_deals (
    special_deal_id int NOT NULL,
    stock_item_id int REFERENCES warehouse.stock_items (stock_item_id),
    customer_id int REFERENCES sales.customers (customer_id),
    buying_group_id int REFERENCES sales.buying_groups (buying_group_id),
    customer_category_id int REFERENCES sales.customer_categories (customer_category_id),
    stock_group_id int REFERENCES warehouse.stock_groups (stock_group_id),
    deal_description varchar(30) NOT NULL,
    start_date date NOT NULL,
    end_date date NOT NULL,
    discount_amount numeric(18,2),
    discount_percentage numeric(18,3),
    unit_price numeric(18,2),
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    last_edited_when timestamp(6) NOT NULL,
    PRIMARY KEY (special_deal_id),
    CHECK ((discount_amount IS NOT NULL)::int + (discount_percentage IS NOT NULL)::int + (unit_price IS NOT NULL)::int = 1),
    CHECK (unit_price IS NULL OR stock_item_id IS NOT NULL),
    CHECK (end_date >= start_date)
);

CREATE TABLE IF NOT EXISTS sales.orders (
    order_id int NOT NULL,
    customer_id int NOT NULL REFERENCES sales.customers (customer_id),
    salesperson_person_id int NOT NULL REFERENCES application.people (person_id),
    picked_by_person_id int REFERENCES application.people (person_id),
    contact_person_id int NOT NULL REFERENCES application.people (person_id),
    backorder_order_id int REFERENCES sales.orders (order_id),
    order_date date NOT NULL,
    expected_delivery_date date NOT NULL,
    customer_purchase_order_number varchar(20),
    is_undersupply_backordered boolean NOT NULL,
    comments text,
    delivery_instructions text,
    internal_comments text,
    picking_completed_when timestamp(6),
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    last_edited_when timestamp(6) NOT NULL,
    PRIMARY KEY (order_id),
    CHECK (expected_delivery_date >= order_date)
);

CREATE TABLE IF NOT EXISTS sales.order_lines (
    order_line_id int NOT NULL,
    order_id int NOT NULL REFERENCES sales.orders (order_id),
    stock_item_id int NOT NULL REFERENCES warehouse.stock_items (stock_item_id),
    description varchar(100) NOT NULL,
    package_type_id int NOT NULL REFERENCES warehouse.package_types (package_type_id),
    quantity int NOT NULL,
    unit_price numeric(18,2),
    tax_rate numeric(18,3) NOT NULL,
    picked_quantity int NOT NULL,
    picking_completed_when timestamp(6),
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    last_edited_when timestamp(6) NOT NULL,
    PRIMARY KEY (order_line_id),
    CHECK (quantity > 0),
    CHECK (picked_quantity >= 0)
);

-- returned_delivery_data holds JSON from the delivery devices; wwi-gen now and
-- then writes a value well over 8 kB so that it is stored out of line (TOAST).
CREATE TABLE IF NOT EXISTS sales.invoices (
    invoice_id int NOT NULL,
    customer_id int NOT NULL REFERENCES sales.customers (customer_id),
    bill_to_customer_id int NOT NULL REFERENCES sales.customers (customer_id),
    order_id int REFERENCES sales.orders (order_id),
    delivery_method_id int NOT NULL REFERENCES application.delivery_methods (delivery_method_id),
    contact_person_id int NOT NULL REFERENCES application.people (person_id),
    accounts_person_id int NOT NULL REFERENCES application.people (person_id),
    salesperson_person_id int NOT NULL REFERENCES application.people (person_id),
    packed_by_person_id int NOT NULL REFERENCES application.people (person_id),
    invoice_date date NOT NULL,
    customer_purchase_order_number varchar(20),
    is_credit_note boolean NOT NULL,
    credit_note_reason text,
    comments text,
    delivery_instructions text,
    internal_comments text,
    total_dry_items int NOT NULL,
    total_chiller_items int NOT NULL,
    delivery_run varchar(5),
    run_position varchar(5),
    returned_delivery_data text,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    last_edited_when timestamp(6) NOT NULL,
    PRIMARY KEY (invoice_id),
    CHECK (returned_delivery_data IS NULL OR returned_delivery_data::jsonb IS NOT NULL)
);

CREATE TABLE IF NOT EXISTS sales.invoice_lines (
    invoice_line_id int NOT NULL,
    invoice_id int NOT NULL REFERENCES sales.invoices (invoice_id),
    stock_item_id int NOT NULL REFERENCES warehouse.stock_items (stock_item_id),
    description varchar(100) NOT NULL,
    package_type_id int NOT NULL REFERENCES warehouse.package_types (package_type_id),
    quantity int NOT NULL,
    unit_price numeric(18,2),
    tax_rate numeric(18,3) NOT NULL,
    tax_amount numeric(18,2) NOT NULL,
    line_profit numeric(18,2) NOT NULL,
    extended_price numeric(18,2) NOT NULL,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    last_edited_when timestamp(6) NOT NULL,
    PRIMARY KEY (invoice_line_id),
    CHECK (quantity > 0)
);

CREATE TABLE IF NOT EXISTS sales.customer_transactions (
    customer_transaction_id int NOT NULL,
    customer_id int NOT NULL REFERENCES sales.customers (customer_id),
    transaction_type_id int NOT NULL REFERENCES application.transaction_types (transaction_type_id),
    invoice_id int REFERENCES sales.invoices (invoice_id),
    payment_method_id int REFERENCES application.payment_methods (payment_method_id),
    transaction_date date NOT NULL,
    amount_excluding_tax numeric(18,2) NOT NULL,
    tax_amount numeric(18,2) NOT NULL,
    transaction_amount numeric(18,2) NOT NULL,
    outstanding_balance numeric(18,2) NOT NULL,
    finalization_date date,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    last_edited_when timestamp(6) NOT NULL,
    PRIMARY KEY (customer_transaction_id)
);

-- --------------------------------------------------------- warehouse (moves)

CREATE TABLE IF NOT EXISTS warehouse.stock_item_transactions (
    stock_item_transaction_id int NOT NULL,
    stock_item_id int NOT NULL REFERENCES warehouse.stock_items (stock_item_id),
    transaction_type_id int NOT NULL REFERENCES application.transaction_types (transaction_type_id),
    customer_id int REFERENCES sales.customers (customer_id),
    invoice_id int REFERENCES sales.invoices (invoice_id),
    supplier_id int REFERENCES purchasing.suppliers (supplier_id),
    purchase_order_id int REFERENCES purchasing.purchase_orders (purchase_order_id),
    transaction_occurred_when timestamp(6) NOT NULL,
    quantity numeric(18,3) NOT NULL,
    last_edited_by int NOT NULL REFERENCES application.people (person_id),
    last_edited_when timestamp(6) NOT NULL,
    PRIMARY KEY (stock_item_transaction_id)
);

CREATE TABLE IF NOT EXISTS warehouse.vehicle_temperatures (
    vehicle_temperature_id bigint NOT NULL,
    vehicle_registration varchar(20) NOT NULL,
    chiller_sensor_number int NOT NULL,
    recorded_when timestamptz NOT NULL,
    temperature numeric(10,2) NOT NULL,
    is_compressed boolean NOT NULL,
    full_sensor_data varchar(1000),
    compressed_sensor_data bytea,
    PRIMARY KEY (vehicle_temperature_id)
);

-- Old readings are deleted as new ones arrive; REPLICA IDENTITY FULL so the
-- deletes carry the whole row.
CREATE TABLE IF NOT EXISTS warehouse.cold_room_temperatures (
    cold_room_temperature_id bigint NOT NULL,
    cold_room_sensor_number int NOT NULL,
    recorded_when timestamptz NOT NULL,
    temperature numeric(10,2) NOT NULL,
    valid_from timestamp(6) NOT NULL,
    valid_to timestamp(6) NOT NULL DEFAULT '9999-12-31 23:59:59.999999',
    PRIMARY KEY (cold_room_temperature_id),
    CHECK (temperature BETWEEN -50 AND 50)
);
ALTER TABLE warehouse.cold_room_temperatures REPLICA IDENTITY FULL;

-- Indexes on the foreign keys the live load deletes or joins through.
CREATE INDEX IF NOT EXISTS order_lines_order_id_idx ON sales.order_lines (order_id);
CREATE INDEX IF NOT EXISTS invoice_lines_invoice_id_idx ON sales.invoice_lines (invoice_id);
CREATE INDEX IF NOT EXISTS purchase_order_lines_purchase_order_id_idx ON purchasing.purchase_order_lines (purchase_order_id);
CREATE INDEX IF NOT EXISTS customer_transactions_customer_id_idx ON sales.customer_transactions (customer_id);
CREATE INDEX IF NOT EXISTS stock_item_transactions_stock_item_id_idx ON warehouse.stock_item_transactions (stock_item_id);
