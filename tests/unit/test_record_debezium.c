/* Unit tests for the Debezium dialect: lib/record_debezium.c (envelope,
 * detection, decoding with the message key), lib/dbz_value.c (every type
 * mapping, both ways, exact or refused) and lib/jtree.c, and the readers'
 * per-record detection (record_io.c). The torture records below are
 * pgcdc-read's own output for tests/lib/torture.sh's changes (the big
 * text shortened). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "dbz_value.h"
#include "jtree.h"
#include "record.h"
#include "record_debezium.h"

static const char *const torture[] = {
"{\"v\":1,\"op\":\"c\",\"db\":\"postgres\",\"schema\":\"public\",\"table\":\"tor\",\"cols\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"c_small\",\"type\":\"smallint\"},{\"name\":\"c_int\",\"type\":\"integer\"},{\"name\":\"c_big\",\"type\":\"bigint\"},{\"name\":\"c_num\",\"type\":\"numeric\"},{\"name\":\"c_num2\",\"type\":\"numeric(12,3)\"},{\"name\":\"c_real\",\"type\":\"real\"},{\"name\":\"c_dbl\",\"type\":\"double precision\"},{\"name\":\"c_bool\",\"type\":\"boolean\"},{\"name\":\"c_text\",\"type\":\"text\"},{\"name\":\"c_vc\",\"type\":\"character varying(20)\"},{\"name\":\"c_ch\",\"type\":\"character(5)\"},{\"name\":\"c_bytea\",\"type\":\"bytea\"},{\"name\":\"c_date\",\"type\":\"date\"},{\"name\":\"c_time\",\"type\":\"time without time zone\"},{\"name\":\"c_timetz\",\"type\":\"time with time zone\"},{\"name\":\"c_ts\",\"type\":\"timestamp without time zone\"},{\"name\":\"c_ts3\",\"type\":\"timestamp(3) without time zone\"},{\"name\":\"c_tstz\",\"type\":\"timestamp with time zone\"},{\"name\":\"c_iv\",\"type\":\"interval\"},{\"name\":\"c_uuid\",\"type\":\"uuid\"},{\"name\":\"c_json\",\"type\":\"json\"},{\"name\":\"c_jsonb\",\"type\":\"jsonb\"},{\"name\":\"c_arr\",\"type\":\"integer[]\"},{\"name\":\"c_tarr\",\"type\":\"text[]\"},{\"name\":\"c_mood\",\"type\":\"mood\"},{\"name\":\"c_dom\",\"type\":\"integer\"},{\"name\":\"c_money\",\"type\":\"money\"},{\"name\":\"c_inet\",\"type\":\"inet\"},{\"name\":\"c_big_text\",\"type\":\"text\"}],\"key\":[\"id\"],\"after\":{\"id\":100,\"c_small\":null,\"c_int\":null,\"c_big\":null,\"c_num\":null,\"c_num2\":null,\"c_real\":null,\"c_dbl\":null,\"c_bool\":null,\"c_text\":\"gone with the truncate\",\"c_vc\":null,\"c_ch\":null,\"c_bytea\":null,\"c_date\":null,\"c_time\":null,\"c_timetz\":null,\"c_ts\":null,\"c_ts3\":null,\"c_tstz\":null,\"c_iv\":null,\"c_uuid\":null,\"c_json\":null,\"c_jsonb\":null,\"c_arr\":null,\"c_tarr\":null,\"c_mood\":null,\"c_dom\":null,\"c_money\":null,\"c_inet\":null,\"c_big_text\":null},\"src\":{\"lsn\":\"0/1509F50\",\"xid\":729,\"ts\":\"2026-12-05T08:22:28.470562Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/postgres/torture\",\"offset\":\"0/1509F50:1\"}}",
"{\"v\":1,\"op\":\"t\",\"db\":\"postgres\",\"schema\":\"public\",\"table\":\"tor\",\"cols\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"c_small\",\"type\":\"smallint\"},{\"name\":\"c_int\",\"type\":\"integer\"},{\"name\":\"c_big\",\"type\":\"bigint\"},{\"name\":\"c_num\",\"type\":\"numeric\"},{\"name\":\"c_num2\",\"type\":\"numeric(12,3)\"},{\"name\":\"c_real\",\"type\":\"real\"},{\"name\":\"c_dbl\",\"type\":\"double precision\"},{\"name\":\"c_bool\",\"type\":\"boolean\"},{\"name\":\"c_text\",\"type\":\"text\"},{\"name\":\"c_vc\",\"type\":\"character varying(20)\"},{\"name\":\"c_ch\",\"type\":\"character(5)\"},{\"name\":\"c_bytea\",\"type\":\"bytea\"},{\"name\":\"c_date\",\"type\":\"date\"},{\"name\":\"c_time\",\"type\":\"time without time zone\"},{\"name\":\"c_timetz\",\"type\":\"time with time zone\"},{\"name\":\"c_ts\",\"type\":\"timestamp without time zone\"},{\"name\":\"c_ts3\",\"type\":\"timestamp(3) without time zone\"},{\"name\":\"c_tstz\",\"type\":\"timestamp with time zone\"},{\"name\":\"c_iv\",\"type\":\"interval\"},{\"name\":\"c_uuid\",\"type\":\"uuid\"},{\"name\":\"c_json\",\"type\":\"json\"},{\"name\":\"c_jsonb\",\"type\":\"jsonb\"},{\"name\":\"c_arr\",\"type\":\"integer[]\"},{\"name\":\"c_tarr\",\"type\":\"text[]\"},{\"name\":\"c_mood\",\"type\":\"mood\"},{\"name\":\"c_dom\",\"type\":\"integer\"},{\"name\":\"c_money\",\"type\":\"money\"},{\"name\":\"c_inet\",\"type\":\"inet\"},{\"name\":\"c_big_text\",\"type\":\"text\"}],\"key\":[\"id\"],\"src\":{\"lsn\":\"0/150AB18\",\"xid\":730,\"ts\":\"2026-12-05T08:22:28.473677Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/postgres/torture\",\"offset\":\"0/150AB18:1\"}}",
"{\"v\":1,\"op\":\"c\",\"db\":\"postgres\",\"schema\":\"public\",\"table\":\"tor\",\"cols\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"c_small\",\"type\":\"smallint\"},{\"name\":\"c_int\",\"type\":\"integer\"},{\"name\":\"c_big\",\"type\":\"bigint\"},{\"name\":\"c_num\",\"type\":\"numeric\"},{\"name\":\"c_num2\",\"type\":\"numeric(12,3)\"},{\"name\":\"c_real\",\"type\":\"real\"},{\"name\":\"c_dbl\",\"type\":\"double precision\"},{\"name\":\"c_bool\",\"type\":\"boolean\"},{\"name\":\"c_text\",\"type\":\"text\"},{\"name\":\"c_vc\",\"type\":\"character varying(20)\"},{\"name\":\"c_ch\",\"type\":\"character(5)\"},{\"name\":\"c_bytea\",\"type\":\"bytea\"},{\"name\":\"c_date\",\"type\":\"date\"},{\"name\":\"c_time\",\"type\":\"time without time zone\"},{\"name\":\"c_timetz\",\"type\":\"time with time zone\"},{\"name\":\"c_ts\",\"type\":\"timestamp without time zone\"},{\"name\":\"c_ts3\",\"type\":\"timestamp(3) without time zone\"},{\"name\":\"c_tstz\",\"type\":\"timestamp with time zone\"},{\"name\":\"c_iv\",\"type\":\"interval\"},{\"name\":\"c_uuid\",\"type\":\"uuid\"},{\"name\":\"c_json\",\"type\":\"json\"},{\"name\":\"c_jsonb\",\"type\":\"jsonb\"},{\"name\":\"c_arr\",\"type\":\"integer[]\"},{\"name\":\"c_tarr\",\"type\":\"text[]\"},{\"name\":\"c_mood\",\"type\":\"mood\"},{\"name\":\"c_dom\",\"type\":\"integer\"},{\"name\":\"c_money\",\"type\":\"money\"},{\"name\":\"c_inet\",\"type\":\"inet\"},{\"name\":\"c_big_text\",\"type\":\"text\"}],\"key\":[\"id\"],\"after\":{\"id\":1,\"c_small\":1,\"c_int\":2,\"c_big\":3,\"c_num\":\"4.5\",\"c_num2\":\"6.789\",\"c_real\":\"1.5\",\"c_dbl\":\"2.25\",\"c_bool\":true,\"c_text\":\"plain\",\"c_vc\":\"vc\",\"c_ch\":\"ab   \",\"c_bytea\":\"\\\\x0001ff\",\"c_date\":\"2026-11-25\",\"c_time\":\"13:58:45.123456\",\"c_timetz\":\"13:58:45.500000+02:00\",\"c_ts\":\"2026-11-25T13:58:45.123456\",\"c_ts3\":\"2026-01-02T03:04:05.678000\",\"c_tstz\":\"2026-11-25T08:28:45.123456Z\",\"c_iv\":\"P1Y2M3DT4H5M6.5S\",\"c_uuid\":\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\",\"c_json\":\"{\\\"a\\\": [1, 2.50, \\\"x\\\"]}\",\"c_jsonb\":\"{\\\"b\\\": {\\\"c\\\": null}}\",\"c_arr\":\"{1,2,NULL,4}\",\"c_tarr\":\"{\\\"with space\\\",\\\"q\\\\\\\"uote\\\",NULL}\",\"c_mood\":\"happy ☺\",\"c_dom\":7,\"c_money\":\"$1,234.56\",\"c_inet\":\"192.168.0.1/24\",\"c_big_text\":\"69206c6971528ae2e0c32ddeb21653dfb84d0790\"},\"src\":{\"lsn\":\"0/150D750\",\"xid\":731,\"ts\":\"2026-12-05T08:22:28.485144Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/postgres/torture\",\"offset\":\"0/150D750:1\"}}",
"{\"v\":1,\"op\":\"c\",\"db\":\"postgres\",\"schema\":\"public\",\"table\":\"tor\",\"cols\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"c_small\",\"type\":\"smallint\"},{\"name\":\"c_int\",\"type\":\"integer\"},{\"name\":\"c_big\",\"type\":\"bigint\"},{\"name\":\"c_num\",\"type\":\"numeric\"},{\"name\":\"c_num2\",\"type\":\"numeric(12,3)\"},{\"name\":\"c_real\",\"type\":\"real\"},{\"name\":\"c_dbl\",\"type\":\"double precision\"},{\"name\":\"c_bool\",\"type\":\"boolean\"},{\"name\":\"c_text\",\"type\":\"text\"},{\"name\":\"c_vc\",\"type\":\"character varying(20)\"},{\"name\":\"c_ch\",\"type\":\"character(5)\"},{\"name\":\"c_bytea\",\"type\":\"bytea\"},{\"name\":\"c_date\",\"type\":\"date\"},{\"name\":\"c_time\",\"type\":\"time without time zone\"},{\"name\":\"c_timetz\",\"type\":\"time with time zone\"},{\"name\":\"c_ts\",\"type\":\"timestamp without time zone\"},{\"name\":\"c_ts3\",\"type\":\"timestamp(3) without time zone\"},{\"name\":\"c_tstz\",\"type\":\"timestamp with time zone\"},{\"name\":\"c_iv\",\"type\":\"interval\"},{\"name\":\"c_uuid\",\"type\":\"uuid\"},{\"name\":\"c_json\",\"type\":\"json\"},{\"name\":\"c_jsonb\",\"type\":\"jsonb\"},{\"name\":\"c_arr\",\"type\":\"integer[]\"},{\"name\":\"c_tarr\",\"type\":\"text[]\"},{\"name\":\"c_mood\",\"type\":\"mood\"},{\"name\":\"c_dom\",\"type\":\"integer\"},{\"name\":\"c_money\",\"type\":\"money\"},{\"name\":\"c_inet\",\"type\":\"inet\"},{\"name\":\"c_big_text\",\"type\":\"text\"}],\"key\":[\"id\"],\"after\":{\"id\":2,\"c_small\":null,\"c_int\":null,\"c_big\":null,\"c_num\":null,\"c_num2\":null,\"c_real\":null,\"c_dbl\":null,\"c_bool\":null,\"c_text\":null,\"c_vc\":null,\"c_ch\":null,\"c_bytea\":null,\"c_date\":null,\"c_time\":null,\"c_timetz\":null,\"c_ts\":null,\"c_ts3\":null,\"c_tstz\":null,\"c_iv\":null,\"c_uuid\":null,\"c_json\":null,\"c_jsonb\":null,\"c_arr\":null,\"c_tarr\":null,\"c_mood\":null,\"c_dom\":null,\"c_money\":null,\"c_inet\":null,\"c_big_text\":null},\"src\":{\"lsn\":\"0/150D808\",\"xid\":732,\"ts\":\"2026-12-05T08:22:28.485591Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/postgres/torture\",\"offset\":\"0/150D808:1\"}}",
"{\"v\":1,\"op\":\"c\",\"db\":\"postgres\",\"schema\":\"public\",\"table\":\"tor\",\"cols\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"c_small\",\"type\":\"smallint\"},{\"name\":\"c_int\",\"type\":\"integer\"},{\"name\":\"c_big\",\"type\":\"bigint\"},{\"name\":\"c_num\",\"type\":\"numeric\"},{\"name\":\"c_num2\",\"type\":\"numeric(12,3)\"},{\"name\":\"c_real\",\"type\":\"real\"},{\"name\":\"c_dbl\",\"type\":\"double precision\"},{\"name\":\"c_bool\",\"type\":\"boolean\"},{\"name\":\"c_text\",\"type\":\"text\"},{\"name\":\"c_vc\",\"type\":\"character varying(20)\"},{\"name\":\"c_ch\",\"type\":\"character(5)\"},{\"name\":\"c_bytea\",\"type\":\"bytea\"},{\"name\":\"c_date\",\"type\":\"date\"},{\"name\":\"c_time\",\"type\":\"time without time zone\"},{\"name\":\"c_timetz\",\"type\":\"time with time zone\"},{\"name\":\"c_ts\",\"type\":\"timestamp without time zone\"},{\"name\":\"c_ts3\",\"type\":\"timestamp(3) without time zone\"},{\"name\":\"c_tstz\",\"type\":\"timestamp with time zone\"},{\"name\":\"c_iv\",\"type\":\"interval\"},{\"name\":\"c_uuid\",\"type\":\"uuid\"},{\"name\":\"c_json\",\"type\":\"json\"},{\"name\":\"c_jsonb\",\"type\":\"jsonb\"},{\"name\":\"c_arr\",\"type\":\"integer[]\"},{\"name\":\"c_tarr\",\"type\":\"text[]\"},{\"name\":\"c_mood\",\"type\":\"mood\"},{\"name\":\"c_dom\",\"type\":\"integer\"},{\"name\":\"c_money\",\"type\":\"money\"},{\"name\":\"c_inet\",\"type\":\"inet\"},{\"name\":\"c_big_text\",\"type\":\"text\"}],\"key\":[\"id\"],\"after\":{\"id\":3,\"c_small\":-32768,\"c_int\":-2147483648,\"c_big\":9223372036854775807,\"c_num\":\"-123456789.0123456789\",\"c_num2\":\"-123456789.123\",\"c_real\":\"-3.4e+38\",\"c_dbl\":\"1e-300\",\"c_bool\":false,\"c_text\":\"Unicode 日本語 ☺ 😀, quote ' \\\" backslash \\\\ newline\\n tab\\t end\",\"c_vc\":\"ünïcödé\",\"c_ch\":\"x    \",\"c_bytea\":\"\\\\x00\",\"c_date\":\"0001-01-01\",\"c_time\":\"00:00:00.000000\",\"c_timetz\":\"23:59:59.999999-14:59\",\"c_ts\":\"-infinity\",\"c_ts3\":\"infinity\",\"c_tstz\":\"9999-12-31T23:59:59.999999Z\",\"c_iv\":\"P-1Y-2M3DT-4H-5M-6.000001S\",\"c_uuid\":\"00000000-0000-0000-0000-000000000000\",\"c_json\":\"[]\",\"c_jsonb\":\"\\\"s\\\"\",\"c_arr\":\"{}\",\"c_tarr\":\"{}\",\"c_mood\":\"sad\",\"c_dom\":2147483647,\"c_money\":\"-$92,233,720,368,547.58\",\"c_inet\":\"::1\",\"c_big_text\":\"short\"},\"src\":{\"lsn\":\"0/150D9F0\",\"xid\":733,\"ts\":\"2026-12-05T08:22:28.485825Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/postgres/torture\",\"offset\":\"0/150D9F0:1\"}}",
"{\"v\":1,\"op\":\"c\",\"db\":\"postgres\",\"schema\":\"public\",\"table\":\"tor\",\"cols\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"c_small\",\"type\":\"smallint\"},{\"name\":\"c_int\",\"type\":\"integer\"},{\"name\":\"c_big\",\"type\":\"bigint\"},{\"name\":\"c_num\",\"type\":\"numeric\"},{\"name\":\"c_num2\",\"type\":\"numeric(12,3)\"},{\"name\":\"c_real\",\"type\":\"real\"},{\"name\":\"c_dbl\",\"type\":\"double precision\"},{\"name\":\"c_bool\",\"type\":\"boolean\"},{\"name\":\"c_text\",\"type\":\"text\"},{\"name\":\"c_vc\",\"type\":\"character varying(20)\"},{\"name\":\"c_ch\",\"type\":\"character(5)\"},{\"name\":\"c_bytea\",\"type\":\"bytea\"},{\"name\":\"c_date\",\"type\":\"date\"},{\"name\":\"c_time\",\"type\":\"time without time zone\"},{\"name\":\"c_timetz\",\"type\":\"time with time zone\"},{\"name\":\"c_ts\",\"type\":\"timestamp without time zone\"},{\"name\":\"c_ts3\",\"type\":\"timestamp(3) without time zone\"},{\"name\":\"c_tstz\",\"type\":\"timestamp with time zone\"},{\"name\":\"c_iv\",\"type\":\"interval\"},{\"name\":\"c_uuid\",\"type\":\"uuid\"},{\"name\":\"c_json\",\"type\":\"json\"},{\"name\":\"c_jsonb\",\"type\":\"jsonb\"},{\"name\":\"c_arr\",\"type\":\"integer[]\"},{\"name\":\"c_tarr\",\"type\":\"text[]\"},{\"name\":\"c_mood\",\"type\":\"mood\"},{\"name\":\"c_dom\",\"type\":\"integer\"},{\"name\":\"c_money\",\"type\":\"money\"},{\"name\":\"c_inet\",\"type\":\"inet\"},{\"name\":\"c_big_text\",\"type\":\"text\"}],\"key\":[\"id\"],\"after\":{\"id\":4,\"c_small\":null,\"c_int\":null,\"c_big\":null,\"c_num\":\"0.0000000001\",\"c_num2\":null,\"c_real\":null,\"c_dbl\":null,\"c_bool\":null,\"c_text\":\"\",\"c_vc\":\"\",\"c_ch\":null,\"c_bytea\":\"\\\\x\",\"c_date\":\"1999-12-31\",\"c_time\":null,\"c_timetz\":null,\"c_ts\":null,\"c_ts3\":null,\"c_tstz\":\"1970-01-01T00:00:00.000000Z\",\"c_iv\":null,\"c_uuid\":null,\"c_json\":null,\"c_jsonb\":null,\"c_arr\":null,\"c_tarr\":null,\"c_mood\":null,\"c_dom\":null,\"c_money\":null,\"c_inet\":null,\"c_big_text\":\"94987d9d7f0ca95151668078c280b5b67a7b8615\"},\"src\":{\"lsn\":\"0/1510318\",\"xid\":734,\"ts\":\"2026-12-05T08:22:28.486549Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/postgres/torture\",\"offset\":\"0/1510318:1\"}}",
"{\"v\":1,\"op\":\"c\",\"db\":\"postgres\",\"schema\":\"public\",\"table\":\"tor\",\"cols\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"c_small\",\"type\":\"smallint\"},{\"name\":\"c_int\",\"type\":\"integer\"},{\"name\":\"c_big\",\"type\":\"bigint\"},{\"name\":\"c_num\",\"type\":\"numeric\"},{\"name\":\"c_num2\",\"type\":\"numeric(12,3)\"},{\"name\":\"c_real\",\"type\":\"real\"},{\"name\":\"c_dbl\",\"type\":\"double precision\"},{\"name\":\"c_bool\",\"type\":\"boolean\"},{\"name\":\"c_text\",\"type\":\"text\"},{\"name\":\"c_vc\",\"type\":\"character varying(20)\"},{\"name\":\"c_ch\",\"type\":\"character(5)\"},{\"name\":\"c_bytea\",\"type\":\"bytea\"},{\"name\":\"c_date\",\"type\":\"date\"},{\"name\":\"c_time\",\"type\":\"time without time zone\"},{\"name\":\"c_timetz\",\"type\":\"time with time zone\"},{\"name\":\"c_ts\",\"type\":\"timestamp without time zone\"},{\"name\":\"c_ts3\",\"type\":\"timestamp(3) without time zone\"},{\"name\":\"c_tstz\",\"type\":\"timestamp with time zone\"},{\"name\":\"c_iv\",\"type\":\"interval\"},{\"name\":\"c_uuid\",\"type\":\"uuid\"},{\"name\":\"c_json\",\"type\":\"json\"},{\"name\":\"c_jsonb\",\"type\":\"jsonb\"},{\"name\":\"c_arr\",\"type\":\"integer[]\"},{\"name\":\"c_tarr\",\"type\":\"text[]\"},{\"name\":\"c_mood\",\"type\":\"mood\"},{\"name\":\"c_dom\",\"type\":\"integer\"},{\"name\":\"c_money\",\"type\":\"money\"},{\"name\":\"c_inet\",\"type\":\"inet\"},{\"name\":\"c_big_text\",\"type\":\"text\"}],\"key\":[\"id\"],\"after\":{\"id\":5,\"c_small\":null,\"c_int\":null,\"c_big\":null,\"c_num\":null,\"c_num2\":null,\"c_real\":\"3.4028235e+38\",\"c_dbl\":\"1.7976931348623157e+308\",\"c_bool\":null,\"c_text\":null,\"c_vc\":null,\"c_ch\":null,\"c_bytea\":null,\"c_date\":null,\"c_time\":null,\"c_timetz\":null,\"c_ts\":\"2000-02-29T00:00:00.000001\",\"c_ts3\":null,\"c_tstz\":\"2026-07-01T06:59:59.999999Z\",\"c_iv\":null,\"c_uuid\":null,\"c_json\":null,\"c_jsonb\":null,\"c_arr\":null,\"c_tarr\":null,\"c_mood\":null,\"c_dom\":null,\"c_money\":null,\"c_inet\":null,\"c_big_text\":null},\"src\":{\"lsn\":\"0/15103E8\",\"xid\":735,\"ts\":\"2026-12-05T08:22:28.486736Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/postgres/torture\",\"offset\":\"0/15103E8:1\"}}",
"{\"v\":1,\"op\":\"u\",\"db\":\"postgres\",\"schema\":\"public\",\"table\":\"tor\",\"cols\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"c_small\",\"type\":\"smallint\"},{\"name\":\"c_int\",\"type\":\"integer\"},{\"name\":\"c_big\",\"type\":\"bigint\"},{\"name\":\"c_num\",\"type\":\"numeric\"},{\"name\":\"c_num2\",\"type\":\"numeric(12,3)\"},{\"name\":\"c_real\",\"type\":\"real\"},{\"name\":\"c_dbl\",\"type\":\"double precision\"},{\"name\":\"c_bool\",\"type\":\"boolean\"},{\"name\":\"c_text\",\"type\":\"text\"},{\"name\":\"c_vc\",\"type\":\"character varying(20)\"},{\"name\":\"c_ch\",\"type\":\"character(5)\"},{\"name\":\"c_bytea\",\"type\":\"bytea\"},{\"name\":\"c_date\",\"type\":\"date\"},{\"name\":\"c_time\",\"type\":\"time without time zone\"},{\"name\":\"c_timetz\",\"type\":\"time with time zone\"},{\"name\":\"c_ts\",\"type\":\"timestamp without time zone\"},{\"name\":\"c_ts3\",\"type\":\"timestamp(3) without time zone\"},{\"name\":\"c_tstz\",\"type\":\"timestamp with time zone\"},{\"name\":\"c_iv\",\"type\":\"interval\"},{\"name\":\"c_uuid\",\"type\":\"uuid\"},{\"name\":\"c_json\",\"type\":\"json\"},{\"name\":\"c_jsonb\",\"type\":\"jsonb\"},{\"name\":\"c_arr\",\"type\":\"integer[]\"},{\"name\":\"c_tarr\",\"type\":\"text[]\"},{\"name\":\"c_mood\",\"type\":\"mood\"},{\"name\":\"c_dom\",\"type\":\"integer\"},{\"name\":\"c_money\",\"type\":\"money\"},{\"name\":\"c_inet\",\"type\":\"inet\"},{\"name\":\"c_big_text\",\"type\":\"text\"}],\"key\":[\"id\"],\"before\":{\"id\":1},\"after\":{\"id\":1,\"c_small\":1,\"c_int\":3,\"c_big\":3,\"c_num\":\"4.5\",\"c_num2\":\"6.789\",\"c_real\":\"1.5\",\"c_dbl\":\"2.25\",\"c_bool\":true,\"c_text\":\"updated\",\"c_vc\":\"vc\",\"c_ch\":\"ab   \",\"c_bytea\":\"\\\\x0001ff\",\"c_date\":\"2026-11-25\",\"c_time\":\"13:58:45.123456\",\"c_timetz\":\"13:58:45.500000+02:00\",\"c_ts\":\"2026-11-25T13:58:45.123456\",\"c_ts3\":\"2026-01-02T03:04:05.678000\",\"c_tstz\":\"2026-11-25T08:28:45.123456Z\",\"c_iv\":\"P1Y2M3DT4H5M6.5S\",\"c_uuid\":\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\",\"c_json\":\"{\\\"a\\\": [1, 2.50, \\\"x\\\"]}\",\"c_jsonb\":\"{\\\"b\\\": {\\\"c\\\": null}}\",\"c_arr\":\"{1,2,NULL,4}\",\"c_tarr\":\"{\\\"with space\\\",\\\"q\\\\\\\"uote\\\",NULL}\",\"c_mood\":\"happy ☺\",\"c_dom\":7,\"c_money\":\"$1,234.56\",\"c_inet\":\"192.168.0.1/24\"},\"unchanged\":[\"c_big_text\"],\"src\":{\"lsn\":\"0/1510600\",\"xid\":736,\"ts\":\"2026-12-05T08:22:28.488104Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/postgres/torture\",\"offset\":\"0/1510600:1\"}}",
"{\"v\":1,\"op\":\"u\",\"db\":\"postgres\",\"schema\":\"public\",\"table\":\"tor\",\"cols\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"c_small\",\"type\":\"smallint\"},{\"name\":\"c_int\",\"type\":\"integer\"},{\"name\":\"c_big\",\"type\":\"bigint\"},{\"name\":\"c_num\",\"type\":\"numeric\"},{\"name\":\"c_num2\",\"type\":\"numeric(12,3)\"},{\"name\":\"c_real\",\"type\":\"real\"},{\"name\":\"c_dbl\",\"type\":\"double precision\"},{\"name\":\"c_bool\",\"type\":\"boolean\"},{\"name\":\"c_text\",\"type\":\"text\"},{\"name\":\"c_vc\",\"type\":\"character varying(20)\"},{\"name\":\"c_ch\",\"type\":\"character(5)\"},{\"name\":\"c_bytea\",\"type\":\"bytea\"},{\"name\":\"c_date\",\"type\":\"date\"},{\"name\":\"c_time\",\"type\":\"time without time zone\"},{\"name\":\"c_timetz\",\"type\":\"time with time zone\"},{\"name\":\"c_ts\",\"type\":\"timestamp without time zone\"},{\"name\":\"c_ts3\",\"type\":\"timestamp(3) without time zone\"},{\"name\":\"c_tstz\",\"type\":\"timestamp with time zone\"},{\"name\":\"c_iv\",\"type\":\"interval\"},{\"name\":\"c_uuid\",\"type\":\"uuid\"},{\"name\":\"c_json\",\"type\":\"json\"},{\"name\":\"c_jsonb\",\"type\":\"jsonb\"},{\"name\":\"c_arr\",\"type\":\"integer[]\"},{\"name\":\"c_tarr\",\"type\":\"text[]\"},{\"name\":\"c_mood\",\"type\":\"mood\"},{\"name\":\"c_dom\",\"type\":\"integer\"},{\"name\":\"c_money\",\"type\":\"money\"},{\"name\":\"c_inet\",\"type\":\"inet\"},{\"name\":\"c_big_text\",\"type\":\"text\"}],\"key\":[\"id\"],\"before\":{\"id\":4},\"after\":{\"id\":4,\"c_small\":null,\"c_int\":null,\"c_big\":null,\"c_num\":\"0.0000000001\",\"c_num2\":null,\"c_real\":null,\"c_dbl\":null,\"c_bool\":null,\"c_text\":\"\",\"c_vc\":\"\",\"c_ch\":null,\"c_bytea\":\"\\\\x\",\"c_date\":\"1999-12-31\",\"c_time\":null,\"c_timetz\":null,\"c_ts\":null,\"c_ts3\":null,\"c_tstz\":\"1970-01-01T00:00:00.000000Z\",\"c_iv\":null,\"c_uuid\":null,\"c_json\":null,\"c_jsonb\":null,\"c_arr\":null,\"c_tarr\":null,\"c_mood\":null,\"c_dom\":null,\"c_money\":null,\"c_inet\":null,\"c_big_text\":\"dbad88445feedc7a96dc0b8fd31b83c3f2a37fe6\"},\"src\":{\"lsn\":\"0/1513028\",\"xid\":737,\"ts\":\"2026-12-05T08:22:28.489112Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/postgres/torture\",\"offset\":\"0/1513028:1\"}}",
"{\"v\":1,\"op\":\"u\",\"db\":\"postgres\",\"schema\":\"public\",\"table\":\"tor\",\"cols\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"c_small\",\"type\":\"smallint\"},{\"name\":\"c_int\",\"type\":\"integer\"},{\"name\":\"c_big\",\"type\":\"bigint\"},{\"name\":\"c_num\",\"type\":\"numeric\"},{\"name\":\"c_num2\",\"type\":\"numeric(12,3)\"},{\"name\":\"c_real\",\"type\":\"real\"},{\"name\":\"c_dbl\",\"type\":\"double precision\"},{\"name\":\"c_bool\",\"type\":\"boolean\"},{\"name\":\"c_text\",\"type\":\"text\"},{\"name\":\"c_vc\",\"type\":\"character varying(20)\"},{\"name\":\"c_ch\",\"type\":\"character(5)\"},{\"name\":\"c_bytea\",\"type\":\"bytea\"},{\"name\":\"c_date\",\"type\":\"date\"},{\"name\":\"c_time\",\"type\":\"time without time zone\"},{\"name\":\"c_timetz\",\"type\":\"time with time zone\"},{\"name\":\"c_ts\",\"type\":\"timestamp without time zone\"},{\"name\":\"c_ts3\",\"type\":\"timestamp(3) without time zone\"},{\"name\":\"c_tstz\",\"type\":\"timestamp with time zone\"},{\"name\":\"c_iv\",\"type\":\"interval\"},{\"name\":\"c_uuid\",\"type\":\"uuid\"},{\"name\":\"c_json\",\"type\":\"json\"},{\"name\":\"c_jsonb\",\"type\":\"jsonb\"},{\"name\":\"c_arr\",\"type\":\"integer[]\"},{\"name\":\"c_tarr\",\"type\":\"text[]\"},{\"name\":\"c_mood\",\"type\":\"mood\"},{\"name\":\"c_dom\",\"type\":\"integer\"},{\"name\":\"c_money\",\"type\":\"money\"},{\"name\":\"c_inet\",\"type\":\"inet\"},{\"name\":\"c_big_text\",\"type\":\"text\"}],\"key\":[\"id\"],\"before\":{\"id\":2},\"after\":{\"id\":2,\"c_small\":null,\"c_int\":null,\"c_big\":null,\"c_num\":null,\"c_num2\":null,\"c_real\":null,\"c_dbl\":null,\"c_bool\":null,\"c_text\":\"toast absent before\",\"c_vc\":null,\"c_ch\":null,\"c_bytea\":null,\"c_date\":null,\"c_time\":null,\"c_timetz\":null,\"c_ts\":null,\"c_ts3\":null,\"c_tstz\":null,\"c_iv\":null,\"c_uuid\":null,\"c_json\":null,\"c_jsonb\":null,\"c_arr\":null,\"c_tarr\":null,\"c_mood\":null,\"c_dom\":null,\"c_money\":null,\"c_inet\":null,\"c_big_text\":null},\"src\":{\"lsn\":\"0/15130C0\",\"xid\":738,\"ts\":\"2026-12-05T08:22:28.489387Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/postgres/torture\",\"offset\":\"0/15130C0:1\"}}",
"{\"v\":1,\"op\":\"u\",\"db\":\"postgres\",\"schema\":\"public\",\"table\":\"tor\",\"cols\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"c_small\",\"type\":\"smallint\"},{\"name\":\"c_int\",\"type\":\"integer\"},{\"name\":\"c_big\",\"type\":\"bigint\"},{\"name\":\"c_num\",\"type\":\"numeric\"},{\"name\":\"c_num2\",\"type\":\"numeric(12,3)\"},{\"name\":\"c_real\",\"type\":\"real\"},{\"name\":\"c_dbl\",\"type\":\"double precision\"},{\"name\":\"c_bool\",\"type\":\"boolean\"},{\"name\":\"c_text\",\"type\":\"text\"},{\"name\":\"c_vc\",\"type\":\"character varying(20)\"},{\"name\":\"c_ch\",\"type\":\"character(5)\"},{\"name\":\"c_bytea\",\"type\":\"bytea\"},{\"name\":\"c_date\",\"type\":\"date\"},{\"name\":\"c_time\",\"type\":\"time without time zone\"},{\"name\":\"c_timetz\",\"type\":\"time with time zone\"},{\"name\":\"c_ts\",\"type\":\"timestamp without time zone\"},{\"name\":\"c_ts3\",\"type\":\"timestamp(3) without time zone\"},{\"name\":\"c_tstz\",\"type\":\"timestamp with time zone\"},{\"name\":\"c_iv\",\"type\":\"interval\"},{\"name\":\"c_uuid\",\"type\":\"uuid\"},{\"name\":\"c_json\",\"type\":\"json\"},{\"name\":\"c_jsonb\",\"type\":\"jsonb\"},{\"name\":\"c_arr\",\"type\":\"integer[]\"},{\"name\":\"c_tarr\",\"type\":\"text[]\"},{\"name\":\"c_mood\",\"type\":\"mood\"},{\"name\":\"c_dom\",\"type\":\"integer\"},{\"name\":\"c_money\",\"type\":\"money\"},{\"name\":\"c_inet\",\"type\":\"inet\"},{\"name\":\"c_big_text\",\"type\":\"text\"}],\"key\":[\"id\"],\"before\":{\"id\":3},\"after\":{\"id\":30,\"c_small\":-32768,\"c_int\":-2147483648,\"c_big\":9223372036854775807,\"c_num\":\"-123456789.0123456789\",\"c_num2\":\"-123456789.123\",\"c_real\":\"-3.4e+38\",\"c_dbl\":\"1e-300\",\"c_bool\":false,\"c_text\":\"Unicode 日本語 ☺ 😀, quote ' \\\" backslash \\\\ newline\\n tab\\t end\",\"c_vc\":\"ünïcödé\",\"c_ch\":\"x    \",\"c_bytea\":\"\\\\x00\",\"c_date\":\"0001-01-01\",\"c_time\":\"00:00:00.000000\",\"c_timetz\":\"23:59:59.999999-14:59\",\"c_ts\":\"-infinity\",\"c_ts3\":\"infinity\",\"c_tstz\":\"9999-12-31T23:59:59.999999Z\",\"c_iv\":\"P-1Y-2M3DT-4H-5M-6.000001S\",\"c_uuid\":\"00000000-0000-0000-0000-000000000000\",\"c_json\":\"[]\",\"c_jsonb\":\"\\\"s\\\"\",\"c_arr\":\"{}\",\"c_tarr\":\"{}\",\"c_mood\":\"sad\",\"c_dom\":2147483647,\"c_money\":\"-$92,233,720,368,547.58\",\"c_inet\":\"::1\",\"c_big_text\":\"short\"},\"src\":{\"lsn\":\"0/15132C8\",\"xid\":739,\"ts\":\"2026-12-05T08:22:28.489514Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/postgres/torture\",\"offset\":\"0/15132C8:1\"}}",
"{\"v\":1,\"op\":\"d\",\"db\":\"postgres\",\"schema\":\"public\",\"table\":\"tor\",\"cols\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"c_small\",\"type\":\"smallint\"},{\"name\":\"c_int\",\"type\":\"integer\"},{\"name\":\"c_big\",\"type\":\"bigint\"},{\"name\":\"c_num\",\"type\":\"numeric\"},{\"name\":\"c_num2\",\"type\":\"numeric(12,3)\"},{\"name\":\"c_real\",\"type\":\"real\"},{\"name\":\"c_dbl\",\"type\":\"double precision\"},{\"name\":\"c_bool\",\"type\":\"boolean\"},{\"name\":\"c_text\",\"type\":\"text\"},{\"name\":\"c_vc\",\"type\":\"character varying(20)\"},{\"name\":\"c_ch\",\"type\":\"character(5)\"},{\"name\":\"c_bytea\",\"type\":\"bytea\"},{\"name\":\"c_date\",\"type\":\"date\"},{\"name\":\"c_time\",\"type\":\"time without time zone\"},{\"name\":\"c_timetz\",\"type\":\"time with time zone\"},{\"name\":\"c_ts\",\"type\":\"timestamp without time zone\"},{\"name\":\"c_ts3\",\"type\":\"timestamp(3) without time zone\"},{\"name\":\"c_tstz\",\"type\":\"timestamp with time zone\"},{\"name\":\"c_iv\",\"type\":\"interval\"},{\"name\":\"c_uuid\",\"type\":\"uuid\"},{\"name\":\"c_json\",\"type\":\"json\"},{\"name\":\"c_jsonb\",\"type\":\"jsonb\"},{\"name\":\"c_arr\",\"type\":\"integer[]\"},{\"name\":\"c_tarr\",\"type\":\"text[]\"},{\"name\":\"c_mood\",\"type\":\"mood\"},{\"name\":\"c_dom\",\"type\":\"integer\"},{\"name\":\"c_money\",\"type\":\"money\"},{\"name\":\"c_inet\",\"type\":\"inet\"},{\"name\":\"c_big_text\",\"type\":\"text\"}],\"key\":[\"id\"],\"before\":{\"id\":5},\"src\":{\"lsn\":\"0/1513340\",\"xid\":740,\"ts\":\"2026-12-05T08:22:28.489588Z\",\"seq\":1},\"pos\":{\"stream\":\"pg/postgres/torture\",\"offset\":\"0/1513340:1\"}}",
};
#define NTORTURE (sizeof torture / sizeof torture[0])

/* ---- helpers ---- */

static void decode_native(record *r, const char *json)
{
	char err[300];
	if (record_decode(r, json, strlen(json), err, sizeof err) < 0)
		fail_msg("fixture: %s", err);
}

/* One event of part of r: key and value appended; returns has_key. */
static bool encode(dbz_encoder *e, const record *r, enum dbz_part part, buf *k, buf *v)
{
	bool hk;
	char err[300];
	buf_reset(k);
	buf_reset(v);
	if (dbz_encode(e, r, part, 1700000000123456789LL, k, &hk, v, err, sizeof err) < 0)
		fail_msg("encode: %s", err);
	return hk;
}

static void decode_event(record *d, const buf *v, const buf *k, bool hk)
{
	char err[300];
	if (record_decode_debezium(d, v->data, v->len, hk ? k->data : NULL, hk ? k->len : 0, 5, err, sizeof err) != 0)
		fail_msg("decode: %s\nevent: %.*s", err, (int)v->len, v->data);
}

/* The record's JSON without its positions (src, pos), for comparing. */
static char *shape_and_values(const record *r)
{
	record c;
	record_init(&c);
	assert_int_equal(record_copy(&c, r), 0);
	c.lsn = 0;
	c.xid = 0;
	c.commit_us = 0;
	c.seq = 0;
	strcpy(c.stream, "x");
	c.offset = (pos_offset){0, 0, false};
	buf b;
	buf_init(&b, 0);
	assert_int_equal(record_encode(&c, RECORD_FORMAT_JSON, &b), 0);
	assert_int_equal(buf_terminate(&b), 0);
	record_free(&c);
	char *s = strdup(b.data);
	buf_free(&b);
	return s;
}

static void assert_same_record(const record *want, const record *got)
{
	char *a = shape_and_values(want), *b = shape_and_values(got);
	if (strcmp(a, b))
		fail_msg("records differ:\n want %s\n got  %s", a, b);
	free(a);
	free(b);
}

/* A record of one column of type pgtype holding text; c for 'c'. */
static void one_column(record *r, const char *pgtype, const char *text)
{
	record_clear(r);
	r->op = 'c';
	assert_int_equal(record_set_table(r, "db", "s", "t"), 0);
	assert_int_equal(record_set_shape(r, 2, false, true), 0);
	assert_int_equal(record_set_column(r, 0, "id", "integer"), 0);
	assert_int_equal(record_set_column(r, 1, "v", pgtype), 0);
	uint16_t k = 0;
	assert_int_equal(record_set_keys(r, &k, 1), 0);
	assert_int_equal(record_set_value(r, r->after, 0, VALUE_TEXT, "1", 1), 0);
	if (text)
		assert_int_equal(record_set_value(r, r->after, 1, VALUE_TEXT, text, strlen(text)), 0);
	else
		assert_int_equal(record_set_value(r, r->after, 1, VALUE_NULL, NULL, 0), 0);
	r->lsn = 0x16B3748;
	r->xid = 750;
	r->commit_us = 1764078000123456;
	r->seq = 3;
}

/* The JSON of value text of a column of pgtype, as the encoder writes it
 * (into out, NUL-terminated); -1 with err when refused. */
static int put_value(const char *pgtype, const char *text, buf *out, char *err, size_t errlen)
{
	dbz_type t;
	dbz_type_from_pg(pgtype, &t);
	buf_reset(out);
	int rc = dbz_value_put(out, &t, text, strlen(text), false, err, errlen);
	buf_terminate(out);
	return rc;
}

static void *tree_alloc(void *ctx, size_t n, size_t align)
{
	return arena_alloc(ctx, n, align);
}


/* The JSON value of a column of Connect schema schema_json as a record's
 * text (out), or -1 with err; DBZ_GOT_PLACEHOLDER. */
static int get_value(const char *schema_json, const char *value_json, char *pgtype, buf *out, char *err,
		     size_t errlen)
{
	arena a;
	arena_init(&a);
	char why[300];
	jt_node *sn = jt_parse(schema_json, strlen(schema_json), tree_alloc, &a, why, sizeof why);
	jt_node *vn = jt_parse(value_json, strlen(value_json), tree_alloc, &a, why, sizeof why);
	if (!sn || !vn)
		fail_msg("test JSON: %s", why);
	dbz_type t;
	char pg[300];
	int rc = dbz_type_from_schema(sn, &t, pg, sizeof pg, err, errlen);
	if (rc == 0)
		rc = dbz_value_get(&t, vn, out, err, errlen);
	if (pgtype)
		strcpy(pgtype, pg);
	arena_free(&a);
	return rc;
}

/* ---- round trips ---- */

/* Every torture record through an event in JsonConverter's form and back:
 * the same columns, types, key, images and values; the same source
 * position; a key change as a delete of the old key and a create of the
 * new; a truncate without columns (its event has no key). */
static void test_round_trip_torture_schema(void **state)
{
	(void)state;
	dbz_encoder_opts o = {.schema = true};
	dbz_encoder *e = dbz_encoder_new(&o);
	record r, d, want;
	record_init(&r);
	record_init(&d);
	record_init(&want);
	buf k, v;
	buf_init(&k, 0);
	buf_init(&v, 0);
	int splits = 0, unchanged = 0;
	for (size_t i = 0; i < NTORTURE; i++) {
		decode_native(&r, torture[i]);
		bool split = dbz_key_changes(&r);
		for (int part = split ? DBZ_PART_OLD : DBZ_PART_WHOLE; part <= (split ? DBZ_PART_NEW : DBZ_PART_WHOLE);
		     part++) {
			bool hk = encode(e, &r, part, &k, &v);
			assert_int_equal(hk, r.op != 't');
			decode_event(&d, &v, &k, hk);
			assert_int_equal(record_copy(&want, &r), 0);
			if (part == DBZ_PART_OLD) {
				want.op = 'd';
				want.has_after = false;
				want.after = NULL;
			} else if (part == DBZ_PART_NEW) {
				want.op = 'c';
				want.has_before = false;
				want.before = NULL;
			} else if (r.op == 't') {
				want.ncols = 0;
				want.nkeys = 0;
			}
			assert_same_record(&want, &d);
			/* the source position survives the event */
			assert_int_equal(d.lsn, r.lsn);
			assert_int_equal(d.xid, r.xid);
			assert_int_equal(d.commit_us, r.commit_us);
			assert_int_equal(d.seq, r.op == 'r' ? 0 : r.seq);
			assert_string_equal(d.stream, "debezium/postgres");
			assert_int_equal(d.offset.major, r.lsn);
			assert_int_equal(d.offset.minor, 5);
			splits += part == DBZ_PART_NEW;
			for (size_t c = 0; r.has_after && c < r.ncols; c++)
				unchanged += r.after[c].kind == VALUE_UNCHANGED && part == DBZ_PART_WHOLE;
		}
	}
	assert_int_equal(splits, 1);    /* the key change 3 -> 30 */
	assert_int_equal(unchanged, 1); /* c_big_text left out, read back as unchanged */
	buf_free(&k);
	buf_free(&v);
	record_free(&r);
	record_free(&d);
	record_free(&want);
	dbz_encoder_free(e);
}

/* The same records as plain events: the values as JSON has them, every
 * type but boolean "unknown" (nothing in a plain event says more), the key
 * from the message key. */
static void test_round_trip_torture_plain(void **state)
{
	(void)state;
	dbz_encoder_opts o = {.schema = false};
	dbz_encoder *e = dbz_encoder_new(&o);
	record r, d;
	record_init(&r);
	record_init(&d);
	buf k, v;
	buf_init(&k, 0);
	buf_init(&v, 0);
	decode_native(&r, torture[2]); /* row 1 */
	bool hk = encode(e, &r, DBZ_PART_WHOLE, &k, &v);
	assert_string_equal((k.data[k.len] = 0, k.data), "{\"id\":1}");
	assert_non_null(strstr(v.data, "\"c_num2\":\"GoU=\""));
	decode_event(&d, &v, &k, hk);
	assert_int_equal(d.nkeys, 1);
	assert_string_equal(d.cols[d.keys[0]].name, "id");
	static const struct {
		const char *col, *type, *text;
	} want[] = {
		{"id", "unknown", "1"}, {"c_num2", "unknown", "GoU="}, {"c_num", "numeric", "4.5"},
		{"c_bool", "boolean", "t"}, {"c_text", "unknown", "plain"}, {"c_date", "unknown", "20782"},
		{"c_real", "unknown", "1.5"}, {"c_arr", "unknown", "{1,2,NULL,4}"},
		{"c_tarr", "unknown", "{\"with space\",\"q\\\"uote\",NULL}"},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		int c = record_column_index(&d, want[i].col);
		assert_true(c >= 0);
		assert_string_equal(d.cols[c].type, want[i].type);
		assert_int_equal(d.after[c].kind, VALUE_TEXT);
		assert_string_equal(d.after[c].data, want[i].text);
	}
	buf_free(&k);
	buf_free(&v);
	record_free(&r);
	record_free(&d);
	dbz_encoder_free(e);
}

/* The exact bytes of an event, plain and in JsonConverter's form: the
 * envelope's and the source block's fields in the connector's order. */
static void test_exact_layout(void **state)
{
	(void)state;
	record r;
	record_init(&r);
	one_column(&r, "text", "x");
	buf k, v;
	buf_init(&k, 0);
	buf_init(&v, 0);
	dbz_encoder_opts plain = {.schema = false, .prefix = "srv"};
	dbz_encoder *e = dbz_encoder_new(&plain);
	encode(e, &r, DBZ_PART_WHOLE, &k, &v);
	buf_terminate(&k);
	buf_terminate(&v);
	assert_string_equal(k.data, "{\"id\":1}");
	assert_string_equal(v.data,
		"{\"before\":null,\"after\":{\"id\":1,\"v\":\"x\"},\"source\":{\"version\":\"dbrepl-" DBREPL_VERSION "\","
		"\"connector\":\"postgresql\",\"name\":\"srv\",\"ts_ms\":1764078000123,\"snapshot\":\"false\",\"db\":\"db\","
		"\"sequence\":\"[\\\"23803720\\\",\\\"23803720\\\"]\",\"ts_us\":1764078000123456,\"ts_ns\":1764078000123456000,"
		"\"schema\":\"s\",\"table\":\"t\",\"txId\":750,\"lsn\":23803720,\"xmin\":null,\"origin\":null,\"origin_lsn\":null},"
		"\"transaction\":{\"id\":\"750\",\"total_order\":3,\"data_collection_order\":1},\"op\":\"c\","
		"\"ts_ms\":1700000000123,\"ts_us\":1700000000123456,\"ts_ns\":1700000000123456789}");
	/* the next record of the same transaction and table counts on */
	r.seq = 4;
	encode(e, &r, DBZ_PART_WHOLE, &k, &v);
	buf_terminate(&v);
	assert_non_null(strstr(v.data, "{\"id\":\"750\",\"total_order\":4,\"data_collection_order\":2}"));
	/* commit times before 1970 and near it: ts_ms floored, ts_ns exact */
	static const struct {
		int64_t us;
		const char *want;
	} times[] = {
		{-1, "\"ts_ms\":-1,\"snapshot\":\"false\",\"db\":\"db\",\"sequence\":\"[\\\"23803720\\\",\\\"23803720\\\"]\","
		     "\"ts_us\":-1,\"ts_ns\":-1000,"},
		{0, "\"ts_ms\":0,\"snapshot\":\"false\",\"db\":\"db\",\"sequence\":\"[\\\"23803720\\\",\\\"23803720\\\"]\","
		    "\"ts_us\":0,\"ts_ns\":0,"},
		{999, "\"ts_ms\":0,\"snapshot\":\"false\",\"db\":\"db\",\"sequence\":\"[\\\"23803720\\\",\\\"23803720\\\"]\","
		      "\"ts_us\":999,\"ts_ns\":999000,"},
		{1000000, "\"ts_ms\":1000,\"snapshot\":\"false\",\"db\":\"db\",\"sequence\":\"[\\\"23803720\\\",\\\"23803720\\\"]\","
			  "\"ts_us\":1000000,\"ts_ns\":1000000000,"},
	};
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		r.commit_us = times[i].us;
		encode(e, &r, DBZ_PART_WHOLE, &k, &v);
		buf_terminate(&v);
		if (!strstr(v.data, times[i].want))
			fail_msg("commit time %lld: %s", (long long)times[i].us, v.data);
	}
	r.commit_us = 1764078000123456;
	/* the processing time: the envelope's three times */
	bool hk;
	char err[200];
	buf_reset(&k);
	buf_reset(&v);
	assert_int_equal(dbz_encode(e, &r, DBZ_PART_WHOLE, 999999999, &k, &hk, &v, err, sizeof err), 0);
	buf_terminate(&v);
	assert_non_null(strstr(v.data, "\"ts_ms\":999,\"ts_us\":999999,\"ts_ns\":999999999}"));
	buf_reset(&k);
	buf_reset(&v);
	assert_int_equal(dbz_encode(e, &r, DBZ_PART_WHOLE, 1000000000000000007LL, &k, &hk, &v, err, sizeof err), 0);
	buf_terminate(&v);
	assert_non_null(strstr(v.data, "\"ts_ms\":1000000000000,\"ts_us\":1000000000000000,\"ts_ns\":1000000000000000007}"));
	dbz_encoder_free(e);

	dbz_encoder_opts wrapped = {.schema = true, .prefix = "srv"};
	e = dbz_encoder_new(&wrapped);
	encode(e, &r, DBZ_PART_WHOLE, &k, &v);
	buf_terminate(&k);
	buf_terminate(&v);
	assert_string_equal(k.data,
		"{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"optional\":false,"
		"\"parameters\":{\"__dbrepl.type\":\"integer\"},\"field\":\"id\"}],\"optional\":false,"
		"\"name\":\"srv.s.t.Key\"},\"payload\":{\"id\":1}}");
	const char *value_schema =
		"{\"schema\":{\"type\":\"struct\",\"fields\":["
		"{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"optional\":false,\"parameters\":{\"__dbrepl.type\":\"integer\"},\"field\":\"id\"},"
		"{\"type\":\"string\",\"optional\":true,\"parameters\":{\"__dbrepl.type\":\"text\"},\"field\":\"v\"}],"
		"\"optional\":true,\"name\":\"srv.s.t.Value\",\"field\":\"before\"},"
		"{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"optional\":false,\"parameters\":{\"__dbrepl.type\":\"integer\"},\"field\":\"id\"},"
		"{\"type\":\"string\",\"optional\":true,\"parameters\":{\"__dbrepl.type\":\"text\"},\"field\":\"v\"}],"
		"\"optional\":true,\"name\":\"srv.s.t.Value\",\"field\":\"after\"},"
		"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":\"version\"},"
		"{\"type\":\"string\",\"optional\":false,\"field\":\"connector\"},{\"type\":\"string\",\"optional\":false,\"field\":\"name\"},"
		"{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"},"
		"{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.data.Enum\",\"version\":1,\"parameters\":"
		"{\"allowed\":\"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental\"},"
		"\"default\":\"false\",\"field\":\"snapshot\"},{\"type\":\"string\",\"optional\":false,\"field\":\"db\"},"
		"{\"type\":\"string\",\"optional\":true,\"field\":\"sequence\"},{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_us\"},"
		"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ns\"},{\"type\":\"string\",\"optional\":false,\"field\":\"schema\"},"
		"{\"type\":\"string\",\"optional\":false,\"field\":\"table\"},{\"type\":\"int64\",\"optional\":true,\"field\":\"txId\"},"
		"{\"type\":\"int64\",\"optional\":true,\"field\":\"lsn\"},{\"type\":\"int64\",\"optional\":true,\"field\":\"xmin\"},"
		"{\"type\":\"string\",\"optional\":true,\"field\":\"origin\"},{\"type\":\"int64\",\"optional\":true,\"field\":\"origin_lsn\"}],"
		"\"optional\":false,\"name\":\"io.debezium.connector.postgresql.Source\",\"version\":1,\"field\":\"source\"},"
		"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":\"id\"},"
		"{\"type\":\"int64\",\"optional\":false,\"field\":\"total_order\"},"
		"{\"type\":\"int64\",\"optional\":false,\"field\":\"data_collection_order\"}],\"optional\":true,\"name\":\"event.block\","
		"\"version\":1,\"field\":\"transaction\"},"
		"{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"},"
		"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_us\"},{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ns\"}],"
		"\"optional\":false,\"name\":\"srv.s.t.Envelope\",\"version\":2},\"payload\":{\"before\":null,";
	assert_int_equal(strncmp(v.data, value_schema, strlen(value_schema)), 0);
	assert_string_equal(v.data + v.len - 2, "}}");
	/* a snapshot read: snapshot "true", no transaction block; a truncate: no key */
	r.op = 'r';
	encode(e, &r, DBZ_PART_WHOLE, &k, &v);
	buf_terminate(&v);
	assert_non_null(strstr(v.data, "\"snapshot\":\"true\""));
	assert_non_null(strstr(v.data, "\"transaction\":null,\"op\":\"r\""));
	r.op = 't';
	r.has_after = false;
	assert_false(encode(e, &r, DBZ_PART_WHOLE, &k, &v));
	buf_terminate(&v);
	assert_non_null(strstr(v.data, "\"payload\":{\"before\":null,\"after\":null,\"source\":"));
	dbz_encoder_free(e);
	buf_free(&k);
	buf_free(&v);
	record_free(&r);
}

/* The create event of Debezium's documentation (connectors/postgresql.adoc,
 * "create events"), its key as the documentation writes it. */
static void test_documentation_event(void **state)
{
	(void)state;
	const char *value =
		"{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"struct\",\"fields\":["
		"{\"type\":\"int32\",\"optional\":false,\"field\":\"id\"},{\"type\":\"string\",\"optional\":false,\"field\":\"first_name\"},"
		"{\"type\":\"string\",\"optional\":false,\"field\":\"last_name\"},{\"type\":\"string\",\"optional\":false,\"field\":\"email\"}],"
		"\"optional\":true,\"name\":\"PostgreSQL_server.inventory.customers.Value\",\"field\":\"before\"},"
		"{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"optional\":false,\"field\":\"id\"},"
		"{\"type\":\"string\",\"optional\":false,\"field\":\"first_name\"},{\"type\":\"string\",\"optional\":false,\"field\":\"last_name\"},"
		"{\"type\":\"string\",\"optional\":false,\"field\":\"email\"}],\"optional\":true,"
		"\"name\":\"PostgreSQL_server.inventory.customers.Value\",\"field\":\"after\"},"
		"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":\"version\"},"
		"{\"type\":\"string\",\"optional\":false,\"field\":\"connector\"},{\"type\":\"string\",\"optional\":false,\"field\":\"name\"},"
		"{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"},{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_us\"},"
		"{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ns\"},{\"type\":\"boolean\",\"optional\":true,\"default\":false,\"field\":\"snapshot\"},"
		"{\"type\":\"string\",\"optional\":false,\"field\":\"db\"},{\"type\":\"string\",\"optional\":false,\"field\":\"schema\"},"
		"{\"type\":\"string\",\"optional\":false,\"field\":\"table\"},{\"type\":\"int64\",\"optional\":true,\"field\":\"txId\"},"
		"{\"type\":\"int64\",\"optional\":true,\"field\":\"lsn\"},{\"type\":\"int64\",\"optional\":true,\"field\":\"xmin\"}],"
		"\"optional\":false,\"name\":\"io.debezium.connector.postgresql.Source\",\"field\":\"source\"},"
		"{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"},"
		"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_us\"},{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ns\"}],"
		"\"optional\":false,\"name\":\"PostgreSQL_server.inventory.customers.Envelope\"},"
		"\"payload\":{\"before\":null,\"after\":{\"id\":1,\"first_name\":\"Anne\",\"last_name\":\"Kretchmar\",\"email\":\"annek@noanswer.org\"},"
		"\"source\":{\"version\":\"3.6.1.Final\",\"connector\":\"postgresql\",\"name\":\"PostgreSQL_server\",\"ts_ms\":1559033904863,"
		"\"ts_us\":1559033904863123,\"ts_ns\":1559033904863123000,\"snapshot\":true,\"db\":\"postgres\","
		"\"sequence\":\"[\\\"24023119\\\",\\\"24023128\\\"]\",\"schema\":\"public\",\"table\":\"customers\",\"txId\":555,"
		"\"lsn\":24023128,\"xmin\":null},\"op\":\"c\",\"ts_ms\":1559033904863,\"ts_us\":1559033904863841,"
		"\"ts_ns\":1559033904863841257}}";
	const char *key = "{\"schema\":{\"type\":\"struct\",\"name\":\"PostgreSQL_server.public.customers.Key\",\"optional\":false,"
			  "\"fields\":[{\"name\":\"id\",\"index\":\"0\",\"schema\":{\"type\":\"INT32\",\"optional\":\"false\"}}]},"
			  "\"payload\":{\"id\":\"1\"},}";
	/* the documentation's key ends in ",}": not JSON, refused by name */
	record r;
	record_init(&r);
	char err[300];
	assert_int_equal(record_decode_debezium(&r, value, strlen(value), key, strlen(key), 9, err, sizeof err), -1);
	assert_non_null(strstr(err, "message key"));
	key = "{\"schema\":{\"type\":\"struct\",\"name\":\"PostgreSQL_server.public.customers.Key\",\"optional\":false,"
	      "\"fields\":[{\"name\":\"id\",\"index\":\"0\",\"schema\":{\"type\":\"INT32\",\"optional\":\"false\"}}]},"
	      "\"payload\":{\"id\":1}}";
	if (record_decode_debezium(&r, value, strlen(value), key, strlen(key), 9, err, sizeof err) != 0)
		fail_msg("%s", err);
	char *got = shape_and_values(&r);
	assert_string_equal(got,
		"{\"v\":1,\"op\":\"c\",\"db\":\"postgres\",\"schema\":\"public\",\"table\":\"customers\","
		"\"cols\":[{\"name\":\"id\",\"type\":\"integer\"},{\"name\":\"first_name\",\"type\":\"text\"},"
		"{\"name\":\"last_name\",\"type\":\"text\"},{\"name\":\"email\",\"type\":\"text\"}],\"key\":[\"id\"],"
		"\"after\":{\"id\":1,\"first_name\":\"Anne\",\"last_name\":\"Kretchmar\",\"email\":\"annek@noanswer.org\"},"
		"\"src\":{\"lsn\":\"0/0\",\"xid\":0,\"ts\":\"1970-01-01T00:00:00.000000Z\",\"seq\":0},"
		"\"pos\":{\"stream\":\"x\",\"offset\":\"0\"}}\n");
	free(got);
	assert_int_equal(r.lsn, 24023128);
	assert_int_equal(r.xid, 555);
	assert_int_equal(r.commit_us, 1559033904863123);
	assert_string_equal(r.stream, "debezium/PostgreSQL_server");
	/* the offset: the last commit LSN of source.sequence, then the ordinal */
	assert_int_equal(r.offset.major, 24023119);
	assert_int_equal(r.offset.minor, 9);
	assert_true(r.offset.lsn);
	/* the same event plain (schemas.enable=false): the key from the message key */
	const char *payload = strstr(value, "\"payload\":") + 10;
	assert_int_equal(record_decode_debezium(&r, payload, strlen(payload) - 1, "{\"id\":1}", 8, 1, err, sizeof err), 0);
	assert_int_equal(r.nkeys, 1);
	assert_string_equal(r.cols[r.keys[0]].name, "id");
	assert_string_equal(r.cols[1].type, "unknown");
	record_free(&r);
}

/* Debezium's unavailable-value placeholder, in each form the connector
 * writes it: an update's after gets the column unchanged (the target keeps
 * its value), a before image leaves it out, an insert too. */
static void test_placeholder(void **state)
{
	(void)state;
	static const struct {
		const char *schema, *value;
	} forms[] = {
		{"{\"type\":\"string\",\"optional\":true,\"field\":\"c\"}", "\"__debezium_unavailable_value\""},
		{"{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.data.Json\",\"version\":1,\"field\":\"c\"}",
		 "\"__debezium_unavailable_value\""},
		{"{\"type\":\"bytes\",\"optional\":true,\"field\":\"c\"}", "\"X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==\""},
		{"{\"type\":\"array\",\"items\":{\"type\":\"string\",\"optional\":true},\"optional\":true,\"field\":\"c\"}",
		 "[\"__debezium_unavailable_value\"]"},
		{"{\"type\":\"array\",\"items\":{\"type\":\"int32\",\"optional\":true},\"optional\":true,\"field\":\"c\"}",
		 "[95,95,100,101,98,101,122,105,117,109,95,117,110,97,118,97,105,108,97,98,108,101,95,118,97,108,117,101]"},
		{"{\"type\":\"array\",\"items\":{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.data.Uuid\",\"version\":1},"
		 "\"optional\":true,\"field\":\"c\"}",
		 "[\"b68a35a7-17ad-35b3-af2a-ae46edb4545a\"]"},
	};
	record r;
	record_init(&r);
	char ev[2000], err[300];
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		for (int op = 0; op < 3; op++) {
			const char *opname = op == 0 ? "u" : op == 1 ? "d" : "c";
			const char *img = op == 1 ? "before" : "after";
			snprintf(ev, sizeof ev,
				 "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"struct\",\"fields\":["
				 "{\"type\":\"int32\",\"optional\":false,\"field\":\"id\"},%s],\"optional\":true,\"field\":\"%s\"}],"
				 "\"optional\":false},\"payload\":{\"%s\":{\"id\":7,\"c\":%s},\"source\":{\"db\":\"d\",\"schema\":\"s\","
				 "\"table\":\"t\"},\"op\":\"%s\"}}",
				 forms[i].schema, img, img, forms[i].value, opname);
			if (record_decode_debezium(&r, ev, strlen(ev), "{\"id\":7}", 8, 1, err, sizeof err) != 0)
				fail_msg("form %zu op %s: %s", i, opname, err);
			const record_value *v = op == 1 ? &r.before[1] : &r.after[1];
			assert_int_equal(v->kind, op == 0 ? VALUE_UNCHANGED : VALUE_ABSENT);
		}
	}
	/* not the placeholder: a value */
	snprintf(ev, sizeof ev,
		 "{\"payload\":{\"after\":{\"id\":7,\"c\":\"__debezium_unavailable_valu\"},\"source\":{\"db\":\"d\",\"schema\":\"s\","
		 "\"table\":\"t\"},\"op\":\"u\"},\"schema\":null}");
	assert_int_equal(record_decode_debezium(&r, ev, strlen(ev), NULL, 0, 1, err, sizeof err), 0);
	assert_int_equal(r.after[1].kind, VALUE_TEXT);
	record_free(&r);
}

/* What the round-trip fuzz target (tests/fuzz/fuzz_debezium.c) found, each
 * refused or carried exactly now. */
static void test_fuzz_findings(void **state)
{
	(void)state;
	dbz_encoder_opts o = {.schema = true};
	dbz_encoder *e = dbz_encoder_new(&o);
	record r, d;
	record_init(&r);
	record_init(&d);
	buf k, v;
	buf_init(&k, 0);
	buf_init(&v, 0);
	char err[300];
	bool hk;
	/* a value whose Debezium form is the placeholder: refused by name, as
	 * text, bytea, a text array, a uuid array, an integer array of its
	 * character codes (a reader would keep the target's value, or write
	 * NULL); a near miss is a value */
	static const char *const ph[][2] = {
		{"text", "__debezium_unavailable_value"},
		{"character varying(40)", "__debezium_unavailable_value"},
		{"bytea", "\\x5f5f646562657a69756d5f756e617661696c61626c655f76616c7565"},
		{"bytea", "\\x5F5F646562657A69756D5F756E617661696C61626C655F76616C7565"},
		{"text[]", "{__debezium_unavailable_value}"},
		{"text[]", "{__debezium_unavailable_value,x}"},
		{"uuid[]", "{b68a35a7-17ad-35b3-af2a-ae46edb4545a}"},
		{"integer[]", "{95,95,100,101,98,101,122,105,117,109,95,117,110,97,118,97,105,108,97,98,108,101,95,118,97,108,117,101}"},
	};
	for (size_t i = 0; i < sizeof ph / sizeof ph[0]; i++) {
		for (int schema = 0; schema < 2; schema++) {
			dbz_encoder_opts oo = {.schema = schema};
			dbz_encoder *ee = dbz_encoder_new(&oo);
			one_column(&r, ph[i][0], ph[i][1]);
			buf_reset(&v);
			if (dbz_encode(ee, &r, DBZ_PART_WHOLE, 0, &k, &hk, &v, err, sizeof err) == 0)
				fail_msg("%s %s written: %.*s", ph[i][0], ph[i][1], (int)v.len, v.data);
			if (!strstr(err, "column \"v\"") || !strstr(err, "placeholder"))
				fail_msg("%s %s: %s", ph[i][0], ph[i][1], err);
			dbz_encoder_free(ee);
		}
	}
	one_column(&r, "text", "__debezium_unavailable_valu");
	encode(e, &r, DBZ_PART_WHOLE, &k, &v);

	/* an oid is looked at, in a record a decoder checked too (which
	 * checks integer classes, and an oid is text): no JSON of its own in
	 * the event */
	decode_native(&r, "{\"v\":1,\"op\":\"c\",\"db\":\"db\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[{\"name\":\"id\","
			  "\"type\":\"integer\"},{\"name\":\"v\",\"type\":\"oid\"}],\"key\":[\"id\"],\"after\":{\"id\":1,"
			  "\"v\":\"1,\\\"x\\\":2\"},\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2026-11-25T10:00:00.000000Z\","
			  "\"seq\":1},\"pos\":{\"stream\":\"pg/d/s\",\"offset\":\"0/1:1\"}}");
	assert_true(r.checked);
	assert_int_equal(dbz_encode(e, &r, DBZ_PART_WHOLE, 0, &k, &hk, &v, err, sizeof err), -1);
	assert_non_null(strstr(err, "not an integer"));
	one_column(&r, "oid", "4294967295");
	encode(e, &r, DBZ_PART_WHOLE, &k, &v);

	/* a negative zero keeps its sign: -0.0 (JSON -0 is the integer 0) */
	one_column(&r, "double precision", "-0");
	encode(e, &r, DBZ_PART_WHOLE, &k, &v);
	buf_terminate(&v);
	assert_non_null(strstr(v.data, "\"v\":-0.0}"));

	/* without a schema, an update's after leaving out a column its before
	 * has (REPLICA IDENTITY FULL, an unchanged TOAST value): unchanged,
	 * not NULL */
	const char *upd = "{\"before\":{\"id\":7,\"bio\":\"long\"},\"after\":{\"id\":7},\"source\":{\"db\":\"d\","
			  "\"schema\":\"s\",\"table\":\"t\"},\"op\":\"u\"}";
	if (record_decode_debezium(&d, upd, strlen(upd), "{\"id\":7}", 8, 1, err, sizeof err) != 0)
		fail_msg("plain update: %s", err);
	assert_int_equal(d.ncols, 2);
	assert_int_equal(d.after[1].kind, VALUE_UNCHANGED);

	/* an Interval beyond int64 microseconds: refused, without overflow */
	char pg[300];
	buf out;
	buf_init(&out, 0);
	assert_int_not_equal(get_value("{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.time.Interval\","
				       "\"version\":1,\"field\":\"x\"}",
				       "\"P0Y0M0DT0H900000000000000000M0S\"", pg, &out, err, sizeof err),
			     0);

	/* a truncate, a record without columns */
	decode_native(&r, "{\"v\":1,\"op\":\"t\",\"db\":\"db\",\"schema\":\"s\",\"table\":\"t\",\"cols\":[],\"key\":[],"
			  "\"src\":{\"lsn\":\"0/1\",\"xid\":1,\"ts\":\"2026-11-25T10:00:00.000000Z\",\"seq\":1},"
			  "\"pos\":{\"stream\":\"pg/d/s\",\"offset\":\"0/1:1\"}}");
	encode(e, &r, DBZ_PART_WHOLE, &k, &v);

	buf_free(&out);
	buf_free(&k);
	buf_free(&v);
	record_free(&r);
	record_free(&d);
	dbz_encoder_free(e);
}

/* Decimal bytes: big-endian two's complement of the unscaled value, the
 * scale from the schema; both ways, at the byte boundaries, negative,
 * beyond 64 bits; a VariableScaleDecimal carries its own scale. */
static void test_decimal_bytes(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int scale;
		const char *b64;
	} cases[] = {
		{"0", 0, "AA=="}, {"1", 0, "AQ=="}, {"-1", 0, "/w=="}, {"127", 0, "fw=="}, {"128", 0, "AIA="},
		{"-128", 0, "gA=="}, {"-129", 0, "/38="}, {"255", 0, "AP8="}, {"-256", 0, "/wA="},
		{"12345.67", 2, "EtaH"}, {"-0.05", 2, "+w=="}, {"0.0000000001", 10, "AQ=="}, {"0.00", 2, "AA=="},
		{"-123456789.0123456789", 10, "7t3vC4IWfus="},
		{"99999999999999999999999999999999999999", 0, "SztMqFqGxHoJiiI//////w=="},
		{"-99999999999999999999999999999999999999999999999999999.99999999999999999999999999999999999999999999993", 47,
		 "7bZS2ms8gxT02Hs7MfQMdTG/cd7lg1VNvPdX0XDwAAAAAAAAAAAAAAAH"},
	};
	buf out;
	buf_init(&out, 0);
	char err[300], type[64], schema[200], value[400];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(type, sizeof type, "numeric(%d,%d)", 120, cases[i].scale);
		assert_int_equal(put_value(type, cases[i].text, &out, err, sizeof err), 0);
		snprintf(value, sizeof value, "\"%s\"", cases[i].b64);
		assert_string_equal(out.data, value);
		snprintf(schema, sizeof schema,
			 "{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,"
			 "\"parameters\":{\"scale\":\"%d\"},\"field\":\"x\"}", cases[i].scale);
		if (get_value(schema, value, NULL, &out, err, sizeof err) != 0)
			fail_msg("%s: %s", cases[i].text, err);
		assert_string_equal(out.data, cases[i].text);
		/* the same as a VariableScaleDecimal */
		snprintf(value, sizeof value, "{\"scale\":%d,\"value\":\"%s\"}", cases[i].scale, cases[i].b64);
		assert_int_equal(get_value("{\"type\":\"struct\",\"name\":\"io.debezium.data.VariableScaleDecimal\"}", value,
					   NULL, &out, err, sizeof err), 0);
		assert_string_equal(out.data, cases[i].text);
		assert_int_equal(put_value("numeric", cases[i].text, &out, err, sizeof err), 0);
		assert_string_equal(out.data, value);
	}
	/* trailing zeros beyond the scale go; other digits refuse */
	assert_int_equal(put_value("numeric(10,1)", "1.500", &out, err, sizeof err), 0);
	assert_string_equal(out.data, "\"Dw==\"");
	assert_int_equal(put_value("numeric(10,1)", "1.55", &out, err, sizeof err), -1);
	assert_non_null(strstr(err, "more than 1 decimal places"));
	/* precise mode holds no NaN or Infinity */
	assert_int_equal(put_value("numeric", "NaN", &out, err, sizeof err), -1);
	assert_non_null(strstr(err, "NaN"));
	assert_int_equal(put_value("numeric(5,2)", "Infinity", &out, err, sizeof err), -1);
	/* a Decimal's scale is in its schema, or there is no value */
	assert_int_equal(get_value("{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\"}", "\"AQ==\"",
				   NULL, &out, err, sizeof err), -1);
	assert_non_null(strstr(err, "scale"));
	assert_int_equal(get_value("{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\","
				   "\"parameters\":{\"scale\":\"2\"}}", "\"A*==\"", NULL, &out, err, sizeof err), -1);
	assert_non_null(strstr(err, "base64"));
	/* JsonConverter's decimal.format=NUMERIC: a JSON number, exact */
	assert_int_equal(get_value("{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\","
				   "\"parameters\":{\"scale\":\"3\"}}", "-1.5E+2", NULL, &out, err, sizeof err), 0);
	assert_string_equal(out.data, "-150.000");
	/* money: a Decimal of scale 2, its text as lc_monetary C prints it */
	assert_int_equal(put_value("money", "-$92,233,720,368,547.58", &out, err, sizeof err), 0);
	char pg[64];
	char mv[80];
	snprintf(mv, sizeof mv, "%s", out.data);
	assert_int_equal(get_value("{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\","
				   "\"parameters\":{\"scale\":\"2\",\"__dbrepl.type\":\"money\"}}", mv, pg, &out, err, sizeof err), 0);
	assert_string_equal(out.data, "-$92,233,720,368,547.58");
	assert_string_equal(pg, "money");
	buf_free(&out);
}

/* One value of pgtype both ways: text -> json -> text. */
static void both_ways(const char *pgtype, const char *text, const char *json)
{
	char err[300];
	buf out;
	buf_init(&out, 0);
	if (put_value(pgtype, text, &out, err, sizeof err) < 0)
		fail_msg("%s %s: %s", pgtype, text, err);
	if (strcmp(out.data, json))
		fail_msg("%s %s: wrote %s, not %s", pgtype, text, out.data, json);
	/* read back through the schema the encoder writes for it */
	dbz_type t;
	dbz_type_from_pg(pgtype, &t);
	buf sch;
	buf_init(&sch, 0);
	assert_int_equal(dbz_schema_put(&sch, &t, pgtype, true, "x"), 0);
	buf_terminate(&sch);
	char pg[300];
	if (get_value(sch.data, json, pg, &out, err, sizeof err) != 0)
		fail_msg("%s %s: read back: %s", pgtype, json, err);
	if (strcmp(out.data, text))
		fail_msg("%s %s: read back as %s", pgtype, json, out.data);
	assert_string_equal(pg, pgtype);
	buf_free(&sch);
	buf_free(&out);
}

static void refused(const char *pgtype, const char *text, const char *why)
{
	char err[300];
	buf out;
	buf_init(&out, 0);
	if (put_value(pgtype, text, &out, err, sizeof err) == 0)
		fail_msg("%s %s written as %s", pgtype, text, out.data);
	if (!strstr(err, why))
		fail_msg("%s %s: \"%s\" does not say \"%s\"", pgtype, text, err, why);
	buf_free(&out);
}

/* One update of two columns (id integer, v of pgtype) from before to
 * after (value texts, NULL for NULL) through a schemaless event and back:
 * v must come back as the texts want_before and want_after (the JSON
 * text, man/dbrepl-debezium.5 READING). */
static void plain_update(const char *pgtype, const char *before, const char *after, const char *want_before,
			 const char *want_after)
{
	record r, d;
	record_init(&r);
	record_init(&d);
	one_column(&r, pgtype, after);
	r.op = 'u';
	r.has_before = true;
	assert_int_equal(record_set_shape(&r, 2, true, true), 0);
	assert_int_equal(record_set_column(&r, 0, "id", "integer"), 0);
	assert_int_equal(record_set_column(&r, 1, "v", pgtype), 0);
	const char *vals[2] = {before, after};
	for (int img = 0; img < 2; img++) {
		record_value *im = img ? r.after : r.before;
		assert_int_equal(record_set_value(&r, im, 0, VALUE_TEXT, "1", 1), 0);
		if (vals[img])
			assert_int_equal(record_set_value(&r, im, 1, VALUE_TEXT, vals[img], strlen(vals[img])), 0);
		else
			assert_int_equal(record_set_value(&r, im, 1, VALUE_NULL, NULL, 0), 0);
	}
	dbz_encoder_opts o = {.schema = false};
	dbz_encoder *e = dbz_encoder_new(&o);
	buf k, v;
	buf_init(&k, 0);
	buf_init(&v, 0);
	bool hk = encode(e, &r, DBZ_PART_WHOLE, &k, &v);
	decode_event(&d, &v, &k, hk);
	const char *want[2] = {want_before, want_after};
	for (int img = 0; img < 2; img++) {
		const record_value *got = img ? &d.after[1] : &d.before[1];
		if (!want[img]) {
			assert_int_equal(got->kind, VALUE_NULL);
			continue;
		}
		if (got->kind != VALUE_TEXT || strcmp(got->data, want[img]))
			fail_msg("%s %s: %s %s, not %s (event %.*s)", pgtype, img ? "after" : "before",
				 got->kind == VALUE_TEXT ? "read back" : "kind", got->kind == VALUE_TEXT ? got->data : "not text",
				 want[img], (int)v.len, v.data);
	}
	buf_free(&k);
	buf_free(&v);
	record_free(&r);
	record_free(&d);
	dbz_encoder_free(e);
}

/* Schemaless events that kpub writes are read back as the man page says
 * (a column "unknown", its value the JSON text, an array as PostgreSQL's
 * array text), where each image shows what the other does not (found by
 * tests/fuzz/fuzz_debezium.c, finding 4); only what no value can be
 * (booleans among numbers, an array and a scalar) is refused. */
static void test_plain_reading(void **state)
{
	(void)state;
	/* numeric[]: VariableScaleDecimal elements */
	plain_update("numeric[]", "{1.5,-2,NULL}", "{0.001}", "{1.5,-2,NULL}", "{0.001}");
	/* NaN and the infinities among a real's numbers, in an array or
	 * in the other image */
	plain_update("double precision[]", "{1.5,NaN}", "{-Infinity,2}", "{1.5,NaN}", "{-Infinity,2}");
	plain_update("double precision", "1.5", "NaN", "1.5", "NaN");
	plain_update("real", "Infinity", "-0", "Infinity", "-0.0");
	/* an array empty or of NULLs in one image */
	plain_update("integer[]", "{}", "{1,2}", "{}", "{1,2}");
	plain_update("boolean[]", "{NULL}", "{t,f}", "{NULL}", "{t,f}");
	plain_update("numeric[]", "{NULL,NULL}", "{2.50}", "{NULL,NULL}", "{2.50}");
	plain_update("boolean[]", "{t}", "{}", "{t}", "{}");
	plain_update("text[]", "{}", NULL, "{}", NULL);

	record d;
	record_init(&d);
	char err[300];
	/* Debezium's own update with an unchanged TOAST value and no before:
	 * the placeholder is the only value of the column */
	const char *toast = "{\"before\":null,\"after\":{\"id\":7,\"bio\":\"__debezium_unavailable_value\"},"
			    "\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\"},\"op\":\"u\"}";
	if (record_decode_debezium(&d, toast, strlen(toast), "{\"id\":7}", 8, 1, err, sizeof err) != 0)
		fail_msg("placeholder alone: %s", err);
	assert_int_equal(d.after[1].kind, VALUE_UNCHANGED);
	/* what no column's values are: refused by name */
	static const char *const bad[][2] = {
		{"{\"before\":{\"id\":7,\"v\":[1]},\"after\":{\"id\":7,\"v\":5},", "an array in one image and not in another"},
		{"{\"before\":{\"id\":7,\"v\":true},\"after\":{\"id\":7,\"v\":5},", "different kinds"},
		{"{\"before\":{\"id\":7,\"v\":[true]},\"after\":{\"id\":7,\"v\":[{\"scale\":1,\"value\":\"Dw==\"}]},",
		 "different kinds"},
		{"{\"before\":null,\"after\":{\"id\":7,\"v\":[1,true]},", "different kinds"},
		{"{\"before\":null,\"after\":{\"id\":7,\"v\":[[1]]},", "an array of arrays"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char ev[600];
		snprintf(ev, sizeof ev, "%s\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\"},\"op\":\"u\"}", bad[i][0]);
		if (record_decode_debezium(&d, ev, strlen(ev), NULL, 0, 1, err, sizeof err) == 0)
			fail_msg("read: %s", ev);
		if (!strstr(err, bad[i][1]) || !strstr(err, "column \"v\""))
			fail_msg("%s: \"%s\" does not say \"%s\"", ev, err, bad[i][1]);
	}
	record_free(&d);
}

/* real and double values beyond their type's range: a JSON reader takes
 * 1e9308 for Infinity (Jackson) or refuses the event (jansson), 1e-9999 for
 * 0; refused when written (found by tests/fuzz/fuzz_debezium.c, in a
 * double[]). What is in range goes as it is. */
static void test_float_range(void **state)
{
	(void)state;
	refused("double precision", "1e9308", "beyond the range of double precision");
	refused("double precision", "-1e9308", "beyond the range of double precision");
	refused("double precision", "1e-9999", "beyond the range of double precision");
	refused("double precision[]", "{-0,-1e9308}", "beyond the range of double precision");
	refused("real", "1e39", "beyond the range of real");
	refused("real", "1e-50", "beyond the range of real");
	both_ways("double precision", "1.7976931348623157e+308", "1.7976931348623157e+308");
	both_ways("double precision", "5e-324", "5e-324");
	both_ways("double precision", "0e-9999", "0e-9999");
	both_ways("real", "3.4028235e+38", "3.4028235e+38");
	both_ways("double precision[]", "{1.5,-2e300}", "[1.5,-2e300]");
	/* without an exponent: 39 digits can be beyond a real, and a
	 * long fraction below it; a denormal and a zero are in range */
	refused("real", "340282366920938463463374607431768211456", "beyond the range of real");
	refused("real", "0.0000000000000000000000000000000000000000000001", "beyond the range of real");
	both_ways("double precision", "340282366920938463463374607431768211456",
		  "340282366920938463463374607431768211456");
	both_ways("real", "1e-45", "1e-45");
	both_ways("double precision", "-0e999999", "-0e999999");
}

/* An oid: int64 in the event, and of type oid again when read with the
 * schema (its __dbrepl.type, or Debezium's column.propagate.source.type
 * OID), though records class oid values as text and bigint's as integers;
 * only 0 to 4294967295 (found by tests/fuzz/fuzz_debezium.c). */
static void test_oid(void **state)
{
	(void)state;
	both_ways("oid", "4294967295", "4294967295");
	both_ways("oid", "0", "0");
	both_ways("oid[]", "{1,NULL,4294967295}", "[1,null,4294967295]");
	refused("oid", "4294967296", "not an integer of its type");
	refused("oid", "-1", "not an integer of its type");
	char err[300], pg[64];
	buf out;
	buf_init(&out, 0);
	assert_int_equal(get_value("{\"type\":\"int64\",\"optional\":true,\"parameters\":"
				   "{\"__debezium.source.column.type\":\"OID\"},\"field\":\"x\"}",
				   "7", pg, &out, err, sizeof err), 0);
	assert_string_equal(pg, "oid");
	assert_string_equal(out.data, "7");
	assert_int_equal(get_value("{\"type\":\"int64\",\"optional\":true,\"parameters\":{\"__dbrepl.type\":\"oid\"},"
				   "\"field\":\"x\"}", "4294967296", pg, &out, err, sizeof err), -1);
	assert_non_null(strstr(err, "expected an oid"));
	/* bigint stays bigint */
	both_ways("bigint", "-9223372036854775808", "-9223372036854775808");
	buf_free(&out);
}

/* money's text as cash_out prints it with lc_monetary C, and nothing else:
 * a text with commas misplaced would be read as the same value and
 * written back otherwise (found by tests/fuzz/fuzz_debezium.c). */
static void test_money_text(void **state)
{
	(void)state;
	both_ways("money", "$0.00", "\"AA==\"");
	both_ways("money", "$1,234.56", "\"AeJA\"");
	both_ways("money", "-$0.05", "\"+w==\"");
	both_ways("money", "$1,000,000.00", "\"BfXhAA==\"");
	static const char *const bad[] = {
		"$92,23327,0.00", "$1234.56", "$1,23.45", "$1,2345.00", "$,123.00", "$1,.00", "$01.00", "$0,123.00",
		"$1.5", "$1,234.567", "$1,234", "1.00", "$-1.00", "-$1,234.56 ", "$1,234,.00",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		refused("money", bad[i], "is not money as PostgreSQL prints it");
}

/* An interval beyond PostgreSQL's (months or days beyond int32, the time
 * beyond int64 µs) has no text PostgreSQL prints and every reader refuses
 * its Interval: refused when written (found by tests/fuzz/fuzz_debezium.c,
 * the rest of finding 9). */
static void test_interval_range(void **state)
{
	(void)state;
	refused("interval", "PT900000000000000000M", "beyond PostgreSQL's interval range");
	refused("interval", "P178956970Y8M", "beyond PostgreSQL's interval range");
	refused("interval", "P2147483648D", "beyond PostgreSQL's interval range");
	both_ways("interval", "P178956970Y7M", "\"P178956970Y7M0DT0H0M0S\"");
	both_ways("interval", "P-178956970Y-8M-2147483648D", "\"P-178956970Y-8M-2147483648DT0H0M0S\"");
	both_ways("interval", "PT2562047788H54.775807S", "\"P0Y0M0DT2562047788H0M54.775807S\"");
}

/* source.ts_ns of a commit time whose nanoseconds are beyond int64 (the
 * records' years 0000 to 9999 reach further): null, which the Source
 * schema allows (an optional int64), the time exact in ts_us and ts_ms;
 * never an integer no int64 holds (found by tests/fuzz/fuzz_debezium.c,
 * finding 7). */
static void test_ts_ns_range(void **state)
{
	(void)state;
	static const struct {
		int64_t us;
		const char *ns;
	} cases[] = {
		{INT64_C(-9223372036854775), "\"ts_ns\":-9223372036854775000,"}, /* 1677-09-21T00:12:43.145225Z */
		{INT64_C(-9223372036854776), "\"ts_ns\":null,"},
		{INT64_C(9223372036854775), "\"ts_ns\":9223372036854775000,"},  /* 2262-04-11T23:47:16.854775Z */
		{INT64_C(9223372036854776), "\"ts_ns\":null,"},
		{INT64_C(-62167219200000000), "\"ts_ns\":null,"}, /* 0000-01-01 */
		{INT64_C(253402300799999999), "\"ts_ns\":null,"}, /* 9999-12-31T23:59:59.999999Z */
	};
	record r, d;
	record_init(&r);
	record_init(&d);
	buf k, v;
	buf_init(&k, 0);
	buf_init(&v, 0);
	for (int schema = 0; schema < 2; schema++) {
		dbz_encoder_opts o = {.schema = schema};
		dbz_encoder *e = dbz_encoder_new(&o);
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			one_column(&r, "integer", "5");
			r.commit_us = cases[i].us;
			r.xid = (uint32_t)(800 + i); /* a transaction of its own */
			assert_true(encode(e, &r, DBZ_PART_WHOLE, &k, &v));
			buf_terminate(&v);
			if (!strstr(v.data, cases[i].ns))
				fail_msg("%" PRId64 " µs: no %s in %s", cases[i].us, cases[i].ns, v.data);
			decode_event(&d, &v, &k, true);
			assert_true(d.commit_us == cases[i].us);
		}
		dbz_encoder_free(e);
	}
	buf_free(&k);
	buf_free(&v);
	record_free(&r);
	record_free(&d);
}

/* numeric(p,s) with a negative scale (PostgreSQL 15): a Decimal of that
 * scale, as the documentation maps NUMERIC(M,D) and Kafka Connect's
 * Decimal allows (value = unscaled * 10^-scale); the unscaled value is the
 * value / 10^-s exactly, and a value that is no multiple of 10^-s has no
 * such Decimal (found by tests/fuzz/fuzz_debezium.c, finding 11). */
static void test_negative_scale(void **state)
{
	(void)state;
	both_ways("numeric(5,-2)", "12300", "\"ew==\"");
	both_ways("numeric(5,-2)", "-100", "\"/w==\"");
	both_ways("numeric(5,-2)", "0", "\"AA==\"");
	both_ways("numeric(2,-3)[]", "{99000,NULL,-1000}", "[\"Yw==\",null,\"/w==\"]");
	refused("numeric(5,-2)", "12345", "not a multiple of 100");
	refused("numeric(5,-2)", "12300.5", "not a multiple of 100");
	refused("numeric(5,-2)", "50", "not a multiple of 100");
	char err[300], pg[64];
	buf out;
	buf_init(&out, 0);
	/* zeros after the point are no digits of the value */
	assert_int_equal(put_value("numeric(5,-2)", "12300.00", &out, err, sizeof err), 0);
	assert_string_equal(out.data, "\"ew==\"");
	/* the schema says the scale */
	dbz_type t;
	dbz_type_from_pg("numeric(5,-2)", &t);
	buf_reset(&out);
	assert_int_equal(dbz_schema_put(&out, &t, "numeric(5,-2)", true, "x"), 0);
	buf_terminate(&out);
	assert_non_null(strstr(out.data, "\"name\":\"org.apache.kafka.connect.data.Decimal\""));
	assert_non_null(strstr(out.data, "\"scale\":\"-2\",\"connect.decimal.precision\":\"5\""));
	/* Debezium's own schema of such a column (no type parameter) */
	assert_int_equal(get_value("{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\","
				   "\"parameters\":{\"scale\":\"-2\",\"connect.decimal.precision\":\"5\"}}",
				   "\"ew==\"", pg, &out, err, sizeof err), 0);
	assert_string_equal(out.data, "12300");
	assert_string_equal(pg, "numeric");
	buf_free(&out);
}

/* Finite timestamps that would read back as something else (found by
 * tests/fuzz/fuzz_debezium.c): the value Debezium gives +infinity (its
 * -infinity is before PostgreSQL's range), a zoned one finer than its
 * type's digits. */
static void test_fuzz_timestamps(void **state)
{
	(void)state;
	refused("timestamp without time zone", "294247-01-10T04:00:25.200000", "the value Debezium writes for infinity");
	refused("timestamp(3) without time zone", "294247-01-10T04:00:25.200", "the value Debezium writes for infinity");
	refused("timestamp(3) with time zone", "2026-01-01T00:00:00.123456Z",
		"more fractional digits than timestamp(3) with time zone holds");
	both_ways("timestamp without time zone", "294247-01-10T04:00:25.200001", "9223372036825200001");
	both_ways("timestamp(3) with time zone", "2026-01-01T00:00:00.123000Z", "\"2026-01-01T00:00:00.123Z\"");
}

/* Dates, times and timestamps in time.precision.mode=adaptive, zoned ones
 * as ISO strings, intervals in interval.handling.mode=string: exact both
 * ways, PostgreSQL's infinity and BC years included. */
static void test_temporal(void **state)
{
	(void)state;
	both_ways("date", "2026-11-25", "20782");
	both_ways("date", "1970-01-01", "0");
	both_ways("date", "0044-03-15 BC", "-735160");
	both_ways("date", "294276-12-31", "106762939");
	refused("date", "infinity", "io.debezium.time.Date");
	both_ways("time without time zone", "13:58:45.123456", "50325123456");
	both_ways("time without time zone", "24:00:00.000000", "86400000000");
	both_ways("time(3) without time zone", "13:58:45.123000", "50325123");
	refused("time(3) without time zone", "13:58:45.123400", "milliseconds");
	both_ways("timestamp without time zone", "2026-11-25T13:58:45.123456", "1795615125123456");
	both_ways("timestamp without time zone", "1969-12-31T23:59:59.999999", "-1");
	both_ways("timestamp without time zone", "0044-03-15T12:00:00.000000 BC", "-63517780800000000");
	both_ways("timestamp without time zone", "infinity", "9223372036825200000");
	both_ways("timestamp without time zone", "-infinity", "-9223372036832400000");
	both_ways("timestamp(3) without time zone", "2026-01-02T03:04:05.678000", "1767323045678");
	both_ways("timestamp(3) without time zone", "infinity", "9223372036825200");
	refused("timestamp(3) without time zone", "2026-01-02T03:04:05.678900", "milliseconds");
	both_ways("timestamp with time zone", "2026-11-25T08:28:45.123456Z", "\"2026-11-25T08:28:45.123456Z\"");
	both_ways("timestamp with time zone", "1970-01-01T00:00:00.000000Z", "\"1970-01-01T00:00:00.000000Z\"");
	both_ways("timestamp(3) with time zone", "2026-11-25T08:28:45.120000Z", "\"2026-11-25T08:28:45.120Z\"");
	both_ways("timestamp(0) with time zone", "2026-11-25T08:28:45.000000Z", "\"2026-11-25T08:28:45Z\"");
	both_ways("timestamp with time zone", "0044-03-15T12:00:00.000000Z BC", "\"-0043-03-15T12:00:00.000000Z\"");
	both_ways("timestamp with time zone", "12345-01-01T00:00:00.000000Z", "\"+12345-01-01T00:00:00.000000Z\"");
	both_ways("timestamp with time zone", "infinity", "\"infinity\"");
	both_ways("time with time zone", "13:58:45.500000+02:00", "\"13:58:45.5+02:00\"");
	both_ways("time with time zone", "23:59:59.999999-14:59", "\"23:59:59.999999-14:59\"");
	both_ways("time with time zone", "00:00:00.000000+00:00", "\"00:00:00Z\"");
	both_ways("time with time zone", "10:00:00.000000+05:30:15", "\"10:00:00+05:30:15\"");
	/* other writers' forms read exactly: offsets to UTC, nanoseconds that
	 * are whole microseconds, connect's logical types */
	char err[300];
	buf out;
	buf_init(&out, 0);
	const char *zts = "{\"type\":\"string\",\"name\":\"io.debezium.time.ZonedTimestamp\"}";
	assert_int_equal(get_value(zts, "\"2026-11-25T13:58:45.123456789+05:30\"", NULL, &out, err, sizeof err), -1);
	assert_int_equal(get_value(zts, "\"2026-11-25T13:58:45.123456000+05:30\"", NULL, &out, err, sizeof err), 0);
	assert_string_equal(out.data, "2026-11-25T08:28:45.123456Z");
	assert_int_equal(get_value(zts, "\"2026-11-25T13:58+01:00\"", NULL, &out, err, sizeof err), 0);
	assert_string_equal(out.data, "2026-11-25T12:58:00.000000Z");
	const char *nts = "{\"type\":\"int64\",\"name\":\"io.debezium.time.NanoTimestamp\"}";
	assert_int_equal(get_value(nts, "1795615125123456001", NULL, &out, err, sizeof err), -1);
	assert_non_null(strstr(err, "finer than a microsecond"));
	assert_int_equal(get_value(nts, "1795615125123456000", NULL, &out, err, sizeof err), 0);
	assert_string_equal(out.data, "2026-11-25T13:58:45.123456");
	char pg[300];
	assert_int_equal(get_value("{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Date\"}", "-1", pg, &out,
				   err, sizeof err), 0);
	assert_string_equal(out.data, "1969-12-31");
	assert_string_equal(pg, "date");
	/* MicroDuration approximates months: refused, by name */
	assert_int_equal(get_value("{\"type\":\"int64\",\"name\":\"io.debezium.time.MicroDuration\"}", "1000", NULL, &out,
				   err, sizeof err), -1);
	assert_non_null(strstr(err, "io.debezium.time.MicroDuration"));
	/* intervals: Debezium's every-part form, PostgreSQL's iso_8601 */
	both_ways("interval", "P1Y2M3DT4H5M6.5S", "\"P1Y2M3DT4H5M6.5S\"");
	both_ways("interval", "P-1Y-2M3DT-4H-5M-6.000001S", "\"P-1Y-2M3DT-4H-5M-6.000001S\"");
	both_ways("interval", "PT0S", "\"P0Y0M0DT0H0M0S\"");
	both_ways("interval", "PT100H", "\"P0Y0M0DT100H0M0S\"");
	both_ways("interval", "P1D", "\"P0Y0M1DT0H0M0S\"");
	both_ways("interval", "PT-0.5S", "\"P0Y0M0DT0H0M-0.5S\"");
	const char *iv = "{\"type\":\"string\",\"name\":\"io.debezium.time.Interval\"}";
	assert_int_equal(get_value(iv, "\"P0Y14M0DT0H90M0S\"", NULL, &out, err, sizeof err), 0);
	assert_string_equal(out.data, "P1Y2MT1H30M");
	buf_free(&out);
}

/* Numbers, booleans, bytes, text kinds and arrays. */
static void test_scalars_and_arrays(void **state)
{
	(void)state;
	both_ways("smallint", "-32768", "-32768");
	both_ways("integer", "2147483647", "2147483647");
	both_ways("bigint", "9223372036854775807", "9223372036854775807");
	both_ways("real", "-3.4e+38", "-3.4e+38");
	both_ways("double precision", "1.7976931348623157e+308", "1.7976931348623157e+308");
	both_ways("double precision", "NaN", "\"NaN\"");
	both_ways("real", "-Infinity", "\"-Infinity\"");
	both_ways("boolean", "t", "true");
	both_ways("bytea", "\\x0001ff", "\"AAH/\"");
	both_ways("bytea", "\\x", "\"\"");
	both_ways("uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
	both_ways("jsonb", "{\"b\": {\"c\": null}}", "\"{\\\"b\\\": {\\\"c\\\": null}}\"");
	both_ways("character(5)", "ab   ", "\"ab   \"");
	both_ways("mood", "happy ☺", "\"happy ☺\"");
	both_ways("text", "Unicode 日本語 😀\n\t\"\\", "\"Unicode 日本語 😀\\u000a\\u0009\\\"\\\\\"");
	both_ways("integer[]", "{1,2,NULL,4}", "[1,2,null,4]");
	both_ways("integer[]", "{}", "[]");
	both_ways("text[]", "{\"with space\",\"q\\\"uote\",NULL,\"\",\"NULL\",\"a,b\",\"{x}\",\"back\\\\slash\",plain}",
		  "[\"with space\",\"q\\\"uote\",null,\"\",\"NULL\",\"a,b\",\"{x}\",\"back\\\\slash\",\"plain\"]");
	both_ways("numeric[]", "{1.5,-2,NULL}", "[{\"scale\":1,\"value\":\"Dw==\"},{\"scale\":0,\"value\":\"/g==\"},null]");
	both_ways("numeric(4,2)[]", "{1.50,-2.00}", "[\"AJY=\",\"/zg=\"]");
	both_ways("boolean[]", "{t,f}", "[true,false]");
	both_ways("bytea[]", "{\"\\\\x00ff\"}", "[\"AP8=\"]");
	both_ways("date[]", "{2026-11-25,\"0044-03-15 BC\"}", "[20782,-735160]");
	/* arrays of types whose elements PostgreSQL prints in its own way: text */
	both_ways("timestamp without time zone[]", "{\"2026-11-25 13:58:45.1\"}", "\"{\\\"2026-11-25 13:58:45.1\\\"}\"");
	refused("integer[]", "{{1,2},{3,4}}", "one-dimensional");
	refused("integer[]", "[0:1]={1,2}", "one-dimensional");
	refused("integer", "1.5", "not an integer");
	refused("smallint", "40000", "not an integer");
}

/* Events that are not: clear messages, nothing half decoded. */
static void test_bad_events(void **state)
{
	(void)state;
	static const struct {
		const char *event, *why;
	} bad[] = {
		{"{\"op\":\"c\",\"source\":", "truncated"},
		{"{\"op\":\"c\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\"},\"after\":{\"a\":1},\"after\":{}}",
		 "duplicate key \"after\""},
		{"{\"op\":\"c\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"db\":\"e\"},\"after\":{}}",
		 "duplicate key \"db\""},
		{"{\"op\":\"c\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\"},\"after\":{\"a\":1,\"a\":2}}",
		 "names column \"a\" twice"},
		{"{\"op\":\"x\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\"}}", "op \"x\" is not a change"},
		{"{\"op\":\"m\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\"}}", "op \"m\""},
		{"{\"op\":\"c\",\"source\":{\"db\":\"d\",\"table\":\"t\"},\"after\":{}}", "\"source\" has no string \"schema\""},
		{"{\"op\":\"d\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\"},\"before\":null}", "without its \"before\""},
		{"{\"op\":\"c\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\"},\"after\":{\"g\":{\"x\":1}}}",
		 "column \"g\": an object"},
		{"{\"op\":\"c\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\"},\"after\":{\"a\":\"\\u0000\"}}", "U+0000"},
		{"{\"op\":\"c\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\"},\"after\":{\"a\":\"\xff\"}}", "UTF-8"},
		{"{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"struct\",\"field\":\"after\",\"fields\":["
		 "{\"type\":\"int64\",\"name\":\"io.debezium.time.MicroDuration\",\"field\":\"iv\"}]}]},"
		 "\"payload\":{\"op\":\"c\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\"},\"after\":{\"iv\":5}}}",
		 "after: column \"iv\" (text): io.debezium.time.MicroDuration has no exact PostgreSQL value"},
		{"{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"struct\",\"field\":\"after\",\"fields\":["
		 "{\"type\":\"int32\",\"field\":\"n\"}]}]},"
		 "\"payload\":{\"op\":\"c\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\"},\"after\":{\"n\":3000000000}}}",
		 "column \"n\" (integer): expected an integer of 32 bits"},
		{"{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"struct\",\"field\":\"after\",\"fields\":["
		 "{\"type\":\"int32\",\"field\":\"n\"}]}]},"
		 "\"payload\":{\"op\":\"c\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\"},\"after\":{\"m\":3}}}",
		 "names column \"m\" that the schema does not"},
		/* commit times the record format cannot write: µs where ms
		 * belong (year 58897), beyond year 9999 in µs, before year 0,
		 * and ms whose µs overflow */
		{"{\"op\":\"c\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"ts_ms\":1796458948488104},"
		 "\"after\":{\"a\":1}}",
		 "\"source.ts_ms\": 1796458948488104 is no time of the years 0000 to 9999"},
		{"{\"op\":\"c\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"ts_ms\":1,"
		 "\"ts_us\":253402300800000000},\"after\":{\"a\":1}}",
		 "\"source.ts_us\": 253402300800000000 is no time"},
		{"{\"op\":\"c\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"ts_us\":-62167219200000001},"
		 "\"after\":{\"a\":1}}",
		 "\"source.ts_us\": -62167219200000001 is no time"},
		{"{\"op\":\"c\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"ts_ms\":9223372036854775},"
		 "\"after\":{\"a\":1}}",
		 "\"source.ts_ms\": 9223372036854775 is no time"},
		/* a time that is no int64 is refused, not replaced by the
		 * other field or left out */
		{"{\"op\":\"c\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"ts_ms\":1,"
		 "\"ts_us\":99999999999999999999},\"after\":{\"a\":1}}",
		 "\"source.ts_us\" is not an integer of 64 bits"},
		{"{\"op\":\"c\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"ts_ms\":2.5e20},"
		 "\"after\":{\"a\":1}}",
		 "\"source.ts_ms\" is not an integer of 64 bits"},
		{"{\"op\":\"c\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"ts_ms\":true,"
		 "\"ts_us\":1000},\"after\":{\"a\":1}}",
		 "\"source.ts_ms\" is not an integer of 64 bits"},
		/* a stream name there and unusable is refused, not replaced by
		 * the database's */
		{"{\"op\":\"c\",\"source\":{\"name\":\"\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\"},"
		 "\"after\":{\"a\":1}}",
		 "source.name is empty or longer than"},
		{"{\"op\":\"c\",\"source\":{\"name\":5,\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\"},"
		 "\"after\":{\"a\":1}}",
		 "\"source\" has no string \"name\""},
	};
	record r;
	record_init(&r);
	char err[300];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = record_decode_debezium(&r, bad[i].event, strlen(bad[i].event), NULL, 0, 1, err, sizeof err);
		if (rc != -1 || !strstr(err, bad[i].why))
			fail_msg("event %zu: rc %d, \"%s\" (wanted \"%s\")", i, rc, err, bad[i].why);
		assert_int_equal(r.ncols, 0);
	}
	/* the ends of that range are commit times, written and read back */
	static const struct {
		const char *ts, *text;
	} ends[] = {
		{"\"ts_us\":253402300799999999", "\"ts\":\"9999-12-31T23:59:59.999999Z\""},
		{"\"ts_us\":-62167219200000000", "\"ts\":\"0000-01-01T00:00:00.000000Z\""},
		{"\"ts_ms\":253402300799999", "\"ts\":\"9999-12-31T23:59:59.999000Z\""},
		{"\"ts_ms\":1000,\"ts_us\":null", "\"ts\":\"1970-01-01T00:00:01.000000Z\""},
	};
	for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
		char ev[256];
		snprintf(ev, sizeof ev,
			 "{\"op\":\"c\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",%s},\"after\":{\"a\":1}}",
			 ends[i].ts);
		if (record_decode_debezium(&r, ev, strlen(ev), NULL, 0, 1, err, sizeof err) != 0)
			fail_msg("%s: %s", ends[i].ts, err);
		buf out;
		buf_init(&out, 0);
		assert_int_equal(record_encode(&r, RECORD_FORMAT_JSON, &out), 0);
		buf_terminate(&out);
		if (!strstr(out.data, ends[i].text))
			fail_msg("%s: wrote %s", ends[i].ts, out.data);
		record back;
		record_init(&back);
		if (record_decode(&back, out.data, out.len, err, sizeof err) != 0)
			fail_msg("%s: %s", ends[i].ts, err);
		assert_true(back.commit_us == r.commit_us);
		record_free(&back);
		buf_free(&out);
	}
	/* a transaction boundary is no change, and says so */
	const char *tx = "{\"status\":\"BEGIN\",\"id\":\"571\",\"ts_ms\":1486500577125,\"event_count\":null,"
			 "\"data_collections\":null}";
	assert_true(record_is_debezium(tx, strlen(tx)));
	assert_int_equal(record_decode_debezium(&r, tx, strlen(tx), NULL, 0, 1, err, sizeof err), DBZ_NOT_A_CHANGE);
	assert_non_null(strstr(err, "BEGIN"));
	/* the public decoder calls it bad: it is no record */
	assert_int_equal(record_decode(&r, tx, strlen(tx), err, sizeof err), -1);
	/* an encoder that meets a value without a Debezium form names it */
	dbz_encoder_opts o = {.schema = true};
	dbz_encoder *e = dbz_encoder_new(&o);
	one_column(&r, "numeric", "NaN");
	buf k, v;
	buf_init(&k, 0);
	buf_init(&v, 0);
	bool hk;
	assert_int_equal(dbz_encode(e, &r, DBZ_PART_WHOLE, 0, &k, &hk, &v, err, sizeof err), -1);
	assert_non_null(strstr(err, "column \"v\": \"NaN\" has no VariableScaleDecimal form"));
	buf_free(&k);
	buf_free(&v);
	dbz_encoder_free(e);
	record_free(&r);
}

/* Per-record detection: our records (as written, reordered by jq -S)
 * are records; events plain, wrapped and transaction boundaries are not. */
static void test_detection(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		bool dbz;
	} cases[] = {
		{"{\"v\":1,\"op\":\"c\"}", false},
		{"{\"after\":{},\"cols\":[],\"db\":\"d\",\"key\":[],\"op\":\"c\",\"pos\":{},\"schema\":\"s\",\"src\":{},\"table\":\"t\",\"v\":1}",
		 false},
		{"{\"op\":\"c\",\"schema\":\"s\",\"source\":{}}", true},
		{" {\"before\":null,\"after\":{},\"source\":{\"x\":\"}\"},\"op\":\"c\"}", true},
		{"{\"schema\":{\"a\":[1,{\"b\":\"\\\"\"}]},\"payload\":{}}", true},
		{"{\"schema\":null,\"payload\":null}", true},
		{"{\"op\":\"c\",\"source\":{},\"v\":1}", false},
		{"{\"schema\":\"s\",\"table\":\"t\"}", false},
		{"[1]", false},
		{"", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (record_is_debezium(cases[i].json, strlen(cases[i].json)) != cases[i].dbz)
			fail_msg("case %zu: %s", i, cases[i].json);
}

/* A stream of records and events through the reader: each decoded by its
 * dialect, an event's offset its line, a transaction boundary skipped. */
static void test_reader_mixed(void **state)
{
	(void)state;
	char in[4096];
	snprintf(in, sizeof in, "%s\n"
		 "{\"op\":\"c\",\"source\":{\"name\":\"srv\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"lsn\":100},\"after\":{\"a\":1}}\n"
		 "{\"status\":\"END\",\"id\":\"5\",\"event_count\":1,\"data_collections\":[]}\n"
		 "\n"
		 "{\"op\":\"c\",\"source\":{\"name\":\"s r v\",\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\",\"lsn\":100,"
		 "\"sequence\":\"[\\\"90\\\",\\\"100\\\"]\"},\"after\":{\"a\":2}}\n"
		 "{\"op\":\"c\",\"source\":{\"db\":\"d\",\"schema\":\"s\",\"table\":\"t\"},\"after\":{\"a\":[1,true]}}\n",
		 torture[0]);
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], in, strlen(in)), (ssize_t)strlen(in));
	close(p[1]);
	record_reader *rd = record_reader_new(p[0]);
	record r;
	record_init(&r);
	char err[300];
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
	assert_string_equal(r.stream, "pg/postgres/torture");
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
	assert_string_equal(r.stream, "debezium/srv");
	assert_int_equal(r.offset.major, 100);
	assert_int_equal(r.offset.minor, 2);
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), 1);
	assert_string_equal(r.stream, "debezium/s_r_v");
	assert_int_equal(r.offset.major, 90);
	assert_int_equal(r.offset.minor, 5);
	assert_string_equal(r.after[0].data, "2");
	assert_int_equal(record_reader_next(rd, &r, err, sizeof err), -1);
	assert_string_equal(err, "line 6: column \"a\": an array of values of different kinds (the event carries no schema)");
	record_reader_free(rd);
	record_free(&r);
	close(p[0]);
}

/* The tree parser: number texts kept, escapes and UTF-8 checked, nesting
 * bounded, trailing data refused. */
static void test_jtree(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	char err[200];
	const char *j = " {\"n\": -1.50e+3, \"s\": \"a\\u00e9\\ud83d\\ude00\", \"t\": [true, false, null]} ";
	jt_node *n = jt_parse(j, strlen(j), tree_alloc, &a, err, sizeof err);
	assert_non_null(n);
	const jt_node *x = jt_get(n, "n");
	assert_int_equal(x->type, JT_NUMBER);
	assert_false(x->is_int);
	assert_int_equal(x->len, 8);
	assert_memory_equal(x->s, "-1.50e+3", 8);
	x = jt_get(n, "s");
	assert_int_equal(x->len, 7);
	assert_memory_equal(x->s, "a\xc3\xa9\xf0\x9f\x98\x80", 7);
	assert_int_equal(jt_get(n, "t")->len, 3);
	static const struct {
		const char *json, *why;
	} bad[] = {
		{"{\"a\":1} x", "trailing data"}, {"{\"a\":01}", "expected ',' or '}'"}, {"{\"a\":\"\\q\"}", "bad escape"},
		{"{\"a\":\"\\ud83d\"}", "lone surrogate"}, {"{\"a\":\"x\ny\"}", "control character"},
		{"{\"a\":[1,]}", "invalid token"}, {"{\"a\" 1}", "expected ':'"}, {"{\"a\":tru}", "invalid token"}, {"{\"a\":tr", "truncated"},
		{"{\"a\":\"\xc3\"}", "UTF-8"}, {"{a:1}", "expected an object key"}, {"{\"a\":-}", "invalid token"}, {"{\"a\":-", "truncated"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (jt_parse(bad[i].json, strlen(bad[i].json), tree_alloc, &a, err, sizeof err))
			fail_msg("parsed: %s", bad[i].json);
		if (!strstr(err, bad[i].why))
			fail_msg("%s: \"%s\" does not say \"%s\"", bad[i].json, err, bad[i].why);
	}
	char deep[200];
	memset(deep, '[', 70);
	memset(deep + 70, ']', 70);
	deep[140] = '\0';
	assert_null(jt_parse(deep, 140, tree_alloc, &a, err, sizeof err));
	assert_non_null(strstr(err, "nesting deeper than 64"));
	arena_free(&a);
}

/* Columns a producer kept back (record.h masks): an excluded one is not in
 * the events at all, as with Debezium's column.exclude.list; a hashed one
 * is a string of its type. */
static void test_masks(void **state)
{
	(void)state;
	record r, d;
	record_init(&r);
	record_init(&d);
	r.op = 'c';
	assert_int_equal(record_set_table(&r, "db", "s", "t"), 0);
	assert_int_equal(record_set_shape(&r, 3, false, true), 0);
	assert_int_equal(record_set_column(&r, 0, "id", "integer"), 0);
	assert_int_equal(record_set_column(&r, 1, "secret", "text"), 0);
	assert_int_equal(record_set_column(&r, 2, "mail", "character(64)"), 0);
	assert_int_equal(record_set_column_mask(&r, 1, RECORD_MASK_EXCLUDED), 0);
	assert_int_equal(record_set_column_mask(&r, 2, RECORD_MASK_SHA256), 0);
	uint16_t k = 0;
	assert_int_equal(record_set_keys(&r, &k, 1), 0);
	assert_int_equal(record_set_value(&r, r.after, 0, VALUE_TEXT, "1", 1), 0);
	const char *h = "ab54d286f8fd2b7b3da07e1a2ac0a9d3ba42e8e8d8d0c1f3e3e0d0b2b1a09876";
	assert_int_equal(record_set_value(&r, r.after, 2, VALUE_TEXT, h, strlen(h)), 0);
	dbz_encoder_opts o = {.schema = true};
	dbz_encoder *e = dbz_encoder_new(&o);
	buf kb, v;
	buf_init(&kb, 0);
	buf_init(&v, 0);
	bool hk = encode(e, &r, DBZ_PART_WHOLE, &kb, &v);
	buf_terminate(&v);
	assert_null(strstr(v.data, "secret"));
	decode_event(&d, &v, &kb, hk);
	assert_int_equal(d.ncols, 2);
	assert_string_equal(d.cols[1].name, "mail");
	assert_string_equal(d.cols[1].type, "character(64)");
	assert_string_equal(d.after[1].data, h);
	buf_free(&kb);
	buf_free(&v);
	dbz_encoder_free(e);
	record_free(&r);
	record_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_torture_schema),
		cmocka_unit_test(test_round_trip_torture_plain),
		cmocka_unit_test(test_exact_layout),
		cmocka_unit_test(test_documentation_event),
		cmocka_unit_test(test_placeholder),
		cmocka_unit_test(test_decimal_bytes),
		cmocka_unit_test(test_temporal),
		cmocka_unit_test(test_scalars_and_arrays),
		cmocka_unit_test(test_bad_events),
		cmocka_unit_test(test_detection),
		cmocka_unit_test(test_reader_mixed),
		cmocka_unit_test(test_jtree),
		cmocka_unit_test(test_masks),
		cmocka_unit_test(test_fuzz_findings),
		cmocka_unit_test(test_fuzz_timestamps),
		cmocka_unit_test(test_negative_scale),
		cmocka_unit_test(test_ts_ns_range),
		cmocka_unit_test(test_plain_reading),
		cmocka_unit_test(test_float_range),
		cmocka_unit_test(test_oid),
		cmocka_unit_test(test_money_text),
		cmocka_unit_test(test_interval_range),
	};
	return cmocka_run_group_tests_name("record_debezium", tests, NULL, NULL);
}
