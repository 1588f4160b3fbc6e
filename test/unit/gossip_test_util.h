/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tables and keys for the gossip unit tests. */
#ifndef TGTX_GOSSIP_TEST_UTIL_H
#define TGTX_GOSSIP_TEST_UTIL_H

#include <endian.h>
#include <stdio.h>
#include <string.h>

#include "core/crc32c.h"
#include "replicator/gossip/slt.h"

/* A k=2 n=3 table of volume number v, version ver. */
static inline void tu_table(struct slt *t, uint32_t v, uint64_t ver)
{
	memset(t, 0, sizeof(*t));
	t->version = ver;
	memcpy(t->uuid, &v, sizeof(v));
	t->uuid[15] = 0x5a;
	t->size = 64ULL << 20;
	t->block_size = 4096;
	t->k = 2;
	t->n = 3;
	t->signed_at_ms = 1700000000000ULL;
	snprintf(t->name, sizeof(t->name), "vol%u", v);
	for (int i = 0; i < 3; i++) {
		struct slt_share *s = &t->shares[i];

		s->transport = (uint8_t)(i % 3);
		s->lun = (uint16_t)(i + 1);
		memset(s->partner_id, 0x10 + i, SLT_ID_SIZE);
		snprintf(s->portal, sizeof(s->portal), "127.0.0.%d:326%d",
			 i + 2, i);
		snprintf(s->iqn, sizeof(s->iqn),
			 "iqn.2026-11.org.tgtx:partner%d.vol%u", i, v);
	}
}

/* Encoded and signed by key; returns the length. */
static inline size_t tu_encode(uint32_t v, uint64_t ver,
			       const struct nodekey *key, uint8_t *out)
{
	struct slt t;
	size_t len = 0;

	tu_table(&t, v, ver);
	if (slt_encode_sign(&t, key, out, SLT_MAX_SIZE, &len, NULL))
		return 0;
	return len;
}

/* After editing bytes of a table: a fresh signature by key and CRC. */
static inline void tu_resign(uint8_t *buf, size_t len,
			     const struct nodekey *key)
{
	uint32_t crc;

	memcpy(buf + 40, key->pub, SLT_PUB_SIZE);
	nodekey_sign(key, buf + 16, len - 16 - SLT_SIG_SIZE,
		     buf + len - SLT_SIG_SIZE);
	crc = htole32(crc32c(0, buf + 16, len - 16));
	memcpy(buf + 12, &crc, 4);
}

#endif
