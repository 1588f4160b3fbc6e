// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the share-location table parsers: the table itself
 * (slt_parse: structure, CRC, signature) and the share-volume blob around
 * it (slt_blob_unwrap). Each input also runs with its length and CRC
 * fields made right, so the fuzzer gets past the checksums to the fields.
 * Corpus: test/fuzz/corpus/fuzz_slt/ (written by test/tools/tgtx-gossip-seeds).
 */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/crc32c.h"
#include "replicator/gossip/slt.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void check(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	uint8_t *c;
	uint32_t v;

	check(d, n);
	if (n < SLT_BLOB_HDR_SIZE || n > 2 * SLT_MAX_SIZE)
		return 0;
	c = malloc(n);
	if (!c)
		return 0;
	/* as a table: total_len and CRC right */
	memcpy(c, d, n);
	v = htole32((uint32_t)n);
	memcpy(c + 8, &v, 4);
	v = htole32(crc32c(0, c + 16, n - 16));
	memcpy(c + 12, &v, 4);
	check(c, n);
	/* as a blob: len and CRC right */
	memcpy(c, d, n);
	v = htole32((uint32_t)(n - SLT_BLOB_HDR_SIZE));
	memcpy(c + 8, &v, 4);
	v = htole32(crc32c(crc32c(0, c, 12), c + SLT_BLOB_HDR_SIZE,
			   n - SLT_BLOB_HDR_SIZE));
	memcpy(c + 12, &v, 4);
	check(c, n);
	free(c);
	return 0;
}

static void check(const uint8_t *d, size_t n)
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
}
