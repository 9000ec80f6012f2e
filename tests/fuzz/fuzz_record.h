/* fuzz_record.h — the body both record-decoder fuzz targets share: whatever
 * the bytes, decoding must not crash or leak, every refusal must say why, and
 * a record the decoder accepts must encode again and decode to the same
 * encoding (in both formats). Each target passes its decoder. */
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

typedef int (*fuzz_decoder)(record *r, const void *data, size_t len, char *err, size_t errlen);

static int fuzz_record(fuzz_decoder decode, const uint8_t *data, size_t size)
{
	record r;
	record_init(&r);
	char err[512];
	if (decode(&r, data, size, err, sizeof err) == 0)
		reencode(&r);
	else if (err[0] == '\0')
		abort(); /* every refusal says why */
	record_free(&r);
	return 0;
}

#endif
