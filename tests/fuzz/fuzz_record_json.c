/* libFuzzer target: the JSON record decoder (checks in fuzz_record.h). */
#include "fuzz_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_record(record_decode_json, data, size);
}
