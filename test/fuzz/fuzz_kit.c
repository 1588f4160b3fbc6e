// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the DR kit parsers: the file header (kit_check_header,
 * what bounds the scrypt cost a file may ask for) and the decrypted payload
 * (kit_payload_decode). The first byte picks which; decryption itself is
 * AES-GCM and not fuzzed (scrypt per input would be too slow).
 * Corpus: test/fuzz/corpus/fuzz_kit/ (test/tools/tgtx-gossip-seeds).
 */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/crc32c.h"
#include "recovery/kit.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct kit k;
	struct kit_hdr h;

	if (!n)
		return 0;
	if (d[0] & 1) {
		uint8_t *c;

		if (!kit_check_header(d + 1, n - 1, &h, NULL) &&
		    (h.log2_n > KIT_MAX_LOG2N || h.r > KIT_MAX_R))
			__builtin_trap();
		if (n - 1 < KIT_HDR_SIZE)
			return 0;
		/* header CRC right, to reach the field checks */
		c = malloc(n - 1);
		if (!c)
			return 0;
		memcpy(c, d + 1, n - 1);
		{
			uint32_t v = htole32(crc32c(0, c, 44));

			memcpy(c + 44, &v, 4);
		}
		if (!kit_check_header(c, n - 1, &h, NULL) &&
		    (h.log2_n > KIT_MAX_LOG2N || h.r > KIT_MAX_R))
			__builtin_trap();
		free(c);
	} else if (!kit_payload_decode(d + 1, n - 1, &k, NULL)) {
		if (k.npeers > KIT_MAX_PEERS || k.nseeds > KIT_MAX_SEEDS ||
		    strlen(k.node_name) > KIT_MAX_NAME)
			__builtin_trap();
	}
	return 0;
}
