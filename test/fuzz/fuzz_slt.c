// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the share-location table parsers: the table itself
 * (slt_parse: structure, CRC, signature) and the share-volume blob around
 * it (slt_blob_unwrap). Corpus: test/fuzz/corpus/fuzz_slt/.
 */
#include <stdint.h>
#include <string.h>

#include "replicator/gossip/slt.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const uint8_t *tbl;
	size_t tl;
	struct slt t;

	if (!slt_parse(d, n, &t, NULL)) {
		/* whatever passed obeys the format's own bounds */
		if (t.n < 1 || t.n > SLT_MAX_N || t.k > t.n ||
		    strlen(t.name) > SLT_MAX_NAME)
			__builtin_trap();
	}
	if (!slt_blob_unwrap(d, n, &tbl, &tl)) {
		if (tl > n - SLT_BLOB_HDR_SIZE)
			__builtin_trap();
		(void)slt_parse(tbl, tl, &t, NULL);
	}
	return 0;
}
