/* fuzz_record.h — the body both record-decoder fuzz targets share: whatever
 * the bytes, decoding must not crash or leak, every refusal must say why, and
 * a record the decoder accepts must encode again and decode to the same
 * encoding (in both formats). Decoding into a record that decoded every
 * earlier input (its shape cache full of their tables) must give what
 * decoding into a fresh one gives, refusals word for word. Each target
 * passes its decoder. */
#ifndef DBREPL_FUZZ_RECORD_H
#define DBREPL_FUZZ_RECORD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reencode(const record *r)
{
	buf a, b;
	buf_init(&a, 0);
	buf_init(&b, 0);
	record d;
	record_init(&d);
	char err[256];
	for (int f = 0; f < 2; f++) {
		buf_reset(&a);
		buf_reset(&b);
		if (record_encode(r, (record_format)f, &a) != 0)
			abort();
		if (record_decode(&d, a.data, a.len, err, sizeof err) != 0)
			abort();
		if (record_encode(&d, (record_format)f, &b) != 0)
			abort();
		if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
			abort();
		buf_reset(&a);
		if (record_encode_key(r, (record_format)f, &a) != 0)
			abort();
	}
	record_free(&d);
	buf_free(&a);
	buf_free(&b);
}

/* Both records encode the same, and have the same keys. */
static void same_record(const record *a, const record *b)
{
	buf x, y;
	buf_init(&x, 0);
	buf_init(&y, 0);
	for (int f = 0; f < 2; f++) {
		buf_reset(&x);
		buf_reset(&y);
		if (record_encode(a, (record_format)f, &x) != 0 || record_encode(b, (record_format)f, &y) != 0 ||
		    x.len != y.len || memcmp(x.data, y.data, x.len) != 0)
			abort();
		buf_reset(&x);
		buf_reset(&y);
		if (record_encode_key(a, (record_format)f, &x) != 0 ||
		    record_encode_key(b, (record_format)f, &y) != 0 || x.len != y.len ||
		    memcmp(x.data, y.data, x.len) != 0)
			abort();
	}
	buf_free(&x);
	buf_free(&y);
}

typedef int (*fuzz_decoder)(record *r, const void *data, size_t len, char *err, size_t errlen);

static record warm;
static int warm_ready;

static int fuzz_record(fuzz_decoder decode, const uint8_t *data, size_t size)
{
	if (!warm_ready) {
		record_init(&warm);
		warm_ready = 1;
	}
	record r;
	record_init(&r);
	char err[512], werr[512];
	int rc = decode(&r, data, size, err, sizeof err);
	int wrc = decode(&warm, data, size, werr, sizeof werr);
	if (rc != wrc || (rc != 0 && strcmp(err, werr) != 0))
		abort(); /* the shape cache changed the outcome */
	if (rc == 0) {
		same_record(&r, &warm);
		reencode(&r);
	} else if (err[0] == '\0') {
		abort(); /* every refusal says why */
	}
	record_free(&r);
	return 0;
}

#endif
