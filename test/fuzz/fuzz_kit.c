// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the DR kit parsers: the file header (kit_check_header,
 * what bounds the scrypt cost a file may ask for) and the decrypted payload
 * (kit_payload_decode). The first byte picks which; decryption itself is
 * AES-GCM and not fuzzed (scrypt per input would be too slow).
 * Corpus: test/fuzz/corpus/fuzz_kit/.
 */
#include <stdint.h>
#include <string.h>

#include "recovery/kit.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct kit k;
	struct kit_hdr h;

	if (!n)
		return 0;
	if (d[0] & 1) {
		if (!kit_check_header(d + 1, n - 1, &h, NULL) &&
		    (h.log2_n > KIT_MAX_LOG2N || h.r > KIT_MAX_R))
			__builtin_trap();
	} else if (!kit_payload_decode(d + 1, n - 1, &k, NULL)) {
		if (k.npeers > KIT_MAX_PEERS || k.nseeds > KIT_MAX_SEEDS ||
		    strlen(k.node_name) > KIT_MAX_NAME)
			__builtin_trap();
	}
	return 0;
}
