/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Share-location tables (format: slt_format.h). A decoded table is plain
 * data; slt_decode() checks structure and CRC only, slt_parse() also the
 * owner's signature: nothing from a table may be used before slt_parse()
 * (or slt_decode() + slt_verify()) said yes.
 */
#ifndef TGTX_SLT_H
#define TGTX_SLT_H

#include <stddef.h>
#include <stdint.h>

#include "nodekey.h"
#include "slt_format.h"

struct slt_share {
	uint8_t transport; /* enum slt_transport */
	uint16_t lun;
	uint8_t partner_id[SLT_ID_SIZE];
	char portal[SLT_MAX_PORTAL + 1];
	char iqn[SLT_MAX_IQN + 1];
};

struct slt {
	uint64_t version;
	uint8_t uuid[SLT_UUID_SIZE];
	uint8_t owner_pub[SLT_PUB_SIZE];
	uint8_t owner_id[SLT_ID_SIZE]; /* SHA-256(owner_pub), filled by decode
					*/
	uint64_t size;
	uint32_t block_size;
	uint8_t k, n;
	uint64_t signed_at_ms;
	char name[SLT_MAX_NAME + 1];
	struct slt_share shares[SLT_MAX_N];
};

/*
 * Encodes t (its owner_pub is taken from key) and signs it with key into
 * out[cap]; *len gets the table's size. 0, -EINVAL (a field outside the
 * format's rules, *why says which) or -ENOSPC.
 */
int slt_encode_sign(const struct slt *t, const struct nodekey *key,
		    uint8_t *out, size_t cap, size_t *len, const char **why);
/*
 * Checks every structural rule and the CRC, fills t; no signature check.
 * 0 or -EBADMSG with *why naming the first rule broken.
 */
int slt_decode(const uint8_t *buf, size_t len, struct slt *t, const char **why);
/* The owner signature of a decoded table: 0 or -EKEYREJECTED. */
int slt_verify(const uint8_t *buf, size_t len);
/* slt_decode() + slt_verify() */
int slt_parse(const uint8_t *buf, size_t len, struct slt *t, const char **why);
/* Cheap peeks at a table that slt_decode() accepted. */
uint64_t slt_peek_version(const uint8_t *buf);
const uint8_t *slt_peek_uuid(const uint8_t *buf);

/*
 * The share-volume header blob: struct slt_blob_hdr + the table. wrap: 0 or
 * -ENOSPC/-EINVAL; unwrap points *tbl into blob after checking the blob
 * header and CRC (the table still needs slt_parse()): 0 or -EBADMSG.
 */
int slt_blob_wrap(const uint8_t *tbl, size_t tlen, uint8_t *out, size_t cap,
		  size_t *len);
int slt_blob_unwrap(const uint8_t *blob, size_t len, const uint8_t **tbl,
		    size_t *tlen);

const char *slt_transport_name(uint8_t transport);
/* "xxxxxxxx-xxxx-..." (37 bytes) */
void slt_uuid_str(const uint8_t uuid[SLT_UUID_SIZE], char out[37]);
/* parses the 36-character form or 32 hex digits; 0 or -EINVAL */
int slt_uuid_parse(const char *s, uint8_t uuid[SLT_UUID_SIZE]);

#endif
