/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The DR kit file (tgtx-recover kit export), defined here and nowhere else;
 * doc/gossip.md "DR kit" explains it. Integers little-endian.
 *
 *   struct kit_hdr      KIT_HDR_SIZE bytes, authenticated as GCM AAD
 *   ciphertext          ct_len bytes: AES-256-GCM of the payload below
 *   tag                 KIT_TAG_SIZE bytes
 *
 * key = scrypt(passphrase, salt, N = 2^log2_n, r, p), 32 bytes. A wrong
 * passphrase and a tampered file look the same (the tag fails); hdr_crc
 * only tells a damaged header apart early.
 *
 * Payload (plaintext): struct kit_payload_hdr, the node's Ed25519 private
 * key (32 bytes), node name (name_len), then npeers x { struct
 * kit_peer_hdr, name, addr, url }, then nseeds x { u8 len, addr }.
 */
#ifndef TGTX_KIT_FORMAT_H
#define TGTX_KIT_FORMAT_H

#include <stdint.h>

#define KIT_MAGIC	  0x544b4754U /* "TGKT" */
#define KIT_VERSION	  1
#define KIT_HDR_SIZE	  48
#define KIT_TAG_SIZE	  16
#define KIT_KDF_SCRYPT	  1
#define KIT_CIPHER_AESGCM 1
#define KIT_MIN_LOG2N	  14 /* 16 MiB with r = 8 */
#define KIT_MAX_LOG2N	  20 /* 1 GiB: a hostile file cannot ask more */
#define KIT_DEF_LOG2N	  17 /* 128 MiB */
#define KIT_MAX_R	  16
#define KIT_MAX_P	  4

struct kit_hdr {
	uint32_t magic;	   /*  0 KIT_MAGIC */
	uint16_t version;  /*  4 KIT_VERSION */
	uint8_t kdf;	   /*  6 KIT_KDF_SCRYPT */
	uint8_t cipher;	   /*  7 KIT_CIPHER_AESGCM */
	uint8_t log2_n;	   /*  8 KIT_MIN_LOG2N..KIT_MAX_LOG2N */
	uint8_t r;	   /*  9 1..KIT_MAX_R */
	uint8_t p;	   /* 10 1..KIT_MAX_P */
	uint8_t reserved0; /* 11 zero */
	uint32_t ct_len;   /* 12 ciphertext bytes, <= KIT_MAX_PAYLOAD */
	uint8_t salt[16];  /* 16 random */
	uint8_t nonce[12]; /* 32 random, GCM IV */
	uint32_t hdr_crc;  /* 44 CRC32C of bytes 0..43 */
} __attribute__((packed));

#define KIT_PL_MAGIC	  0x4c504b54U /* "TKPL" */
#define KIT_PL_VERSION	  1
#define KIT_PL_HDR_SIZE	  16
#define KIT_MAX_PEERS	  64
#define KIT_MAX_SEEDS	  64
#define KIT_MAX_NAME	  64
#define KIT_MAX_ADDR	  64  /* gossip HOST:PORT */
#define KIT_MAX_URL	  512 /* iscsi:// URL, CHAP credentials included */
#define KIT_PEER_HDR_SIZE 36
#define KIT_MAX_PAYLOAD                                                        \
	(KIT_PL_HDR_SIZE + 32 + KIT_MAX_NAME +                                 \
	 KIT_MAX_PEERS * (KIT_PEER_HDR_SIZE + KIT_MAX_NAME + KIT_MAX_ADDR +    \
			  KIT_MAX_URL) +                                       \
	 KIT_MAX_SEEDS * (1 + KIT_MAX_ADDR))

struct kit_payload_hdr {
	uint32_t magic;	    /*  0 KIT_PL_MAGIC */
	uint16_t version;   /*  4 KIT_PL_VERSION */
	uint16_t npeers;    /*  6 <= KIT_MAX_PEERS */
	uint16_t nseeds;    /*  8 <= KIT_MAX_SEEDS */
	uint8_t name_len;   /* 10 1..KIT_MAX_NAME */
	uint8_t reserved0;  /* 11 zero */
	uint32_t reserved1; /* 12 zero */
} __attribute__((packed));

struct kit_peer_hdr {
	uint8_t pub[32];  /*  0 the peer's Ed25519 public key (pinned) */
	uint8_t name_len; /* 32 0..KIT_MAX_NAME */
	uint8_t addr_len; /* 33 0..KIT_MAX_ADDR (gossip address) */
	uint16_t url_len; /* 34 0..KIT_MAX_URL (share LUN URL) */
} __attribute__((packed));

_Static_assert(sizeof(struct kit_hdr) == KIT_HDR_SIZE, "kit_hdr");
_Static_assert(sizeof(struct kit_payload_hdr) == KIT_PL_HDR_SIZE, "pl");
_Static_assert(sizeof(struct kit_peer_hdr) == KIT_PEER_HDR_SIZE, "peer");

#endif
