// SPDX-License-Identifier: GPL-2.0-or-later
#include "lu_ident.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "core/byteorder.h"

#define NAA_LOCAL 0x3

/* SHA-256 over the parts in order; each part is (pointer, length). */
static void sha256_parts(uint8_t out[32], const void *const *part,
			 const size_t *len, int nr)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int olen = 0;

	/* Only allocation can fail here; an all-zero digest is then used. */
	memset(out, 0, 32);
	if (!ctx)
		return;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
		for (int i = 0; i < nr; i++)
			EVP_DigestUpdate(ctx, part[i], len[i]);
		EVP_DigestFinal_ex(ctx, out, &olen);
	}
	EVP_MD_CTX_free(ctx);
}

void lu_ident_default(const uint8_t node_id[16], const char *iqn, uint64_t lun,
		      char out[LU_IDENT_HEX_LEN + 1])
{
	static const char dom[] = "tgtx-lu-ident-1";
	uint8_t be_lun[8], h[32];
	const void *part[] = {dom, node_id, iqn, be_lun};
	const size_t len[] = {sizeof(dom), 16, strlen(iqn) + 1, 8};

	put_be64(be_lun, lun);
	sha256_parts(h, part, len, 4);
	for (int i = 0; i < LU_IDENT_HEX_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

uint64_t lu_ident_naa(const char *scsi_id)
{
	static const char dom[] = "tgtx-naa-1";
	const void *part[] = {dom, scsi_id};
	const size_t len[] = {sizeof(dom), strlen(scsi_id)};
	uint8_t h[32];

	sha256_parts(h, part, len, 2);
	return (uint64_t)NAA_LOCAL << 60 | (get_be64(h) >> 4);
}
