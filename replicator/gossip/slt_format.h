/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Wire and on-disk format of a share-location table (SLT), defined here and
 * nowhere else; doc/gossip.md explains it. One table says where the n shares
 * of one protected volume live. It is signed by the volume's owner node and
 * travels by gossip, in the gossip state file and in every share volume's
 * header area (wrapped in a struct slt_blob_hdr). It names places, never
 * data: no key, no share content, no block map.
 *
 * Every integer is little-endian with the size given. A table is:
 *
 *   struct slt_hdr                    SLT_HDR_SIZE bytes
 *   name                              hdr.name_len bytes (no NUL)
 *   n x { struct slt_share_hdr,       SLT_SHARE_HDR_SIZE bytes
 *         portal, iqn }               portal_len + iqn_len bytes
 *   Ed25519 signature                 SLT_SIG_SIZE bytes
 *
 * The signature covers bytes [16, total_len - SLT_SIG_SIZE) (bytes 0..15
 * are constants, the length and the CRC, all checked structurally) and is
 * made with the private key whose public half is owner_pub; the owner's
 * node id is SHA-256(owner_pub). crc covers bytes [16, total_len): it
 * catches torn or rotten copies cheaply, before any signature work; the
 * signature is what makes a table trusted.
 */
#ifndef TGTX_SLT_FORMAT_H
#define TGTX_SLT_FORMAT_H

#include <stdint.h>

#define SLT_MAGIC	   0x31544c53U /* "SLT1" */
#define SLT_VERSION	   1
#define SLT_HDR_SIZE	   96
#define SLT_SHARE_HDR_SIZE 48
#define SLT_SIG_SIZE	   64
#define SLT_PUB_SIZE	   32
#define SLT_ID_SIZE	   32
#define SLT_UUID_SIZE	   16

#define SLT_MAX_N      16
#define SLT_MAX_NAME   64
#define SLT_MAX_PORTAL 64  /* "[v6 address]:port" fits */
#define SLT_MAX_IQN    223 /* RFC 3720 3.2.6.1 */
#define SLT_MIN_BLOCK  512
#define SLT_MAX_BLOCK  (1U << 20)
#define SLT_MAX_LUN    16383
/* the largest table the rules above allow, rounded up */
#define SLT_MAX_SIZE 8192

enum slt_transport {
	SLT_TRANSPORT_TLS = 0,
	SLT_TRANSPORT_IPSEC = 1,
	SLT_TRANSPORT_PLAIN = 2,
	SLT_TRANSPORT_MAX = 2,
};

struct slt_hdr {
	uint32_t magic;		     /*  0 SLT_MAGIC */
	uint16_t version;	     /*  4 SLT_VERSION */
	uint16_t flags;		     /*  6 zero */
	uint32_t total_len;	     /*  8 whole table, signature included */
	uint32_t crc;		     /* 12 CRC32C of bytes 16..total_len */
	uint64_t table_version;	     /* 16 monotonic per volume, >= 1 */
	uint8_t uuid[SLT_UUID_SIZE]; /* 24 volume UUID */
	uint8_t owner_pub[SLT_PUB_SIZE]; /* 40 owner's Ed25519 public key */
	uint64_t size;	       /* 72 volume bytes, multiple of block */
	uint32_t block_size;   /* 80 power of two, 512..1 MiB */
	uint8_t k;	       /* 84 1 <= k <= n */
	uint8_t n;	       /* 85 1 <= n <= SLT_MAX_N */
	uint8_t name_len;      /* 86 1..SLT_MAX_NAME */
	uint8_t reserved0;     /* 87 zero */
	uint64_t signed_at_ms; /* 88 owner's wall clock, info only */
} __attribute__((packed));

/* one per share index 0..n-1, in order, each followed by portal and iqn */
struct slt_share_hdr {
	uint8_t index;			 /*  0 share index, == position */
	uint8_t transport;		 /*  1 enum slt_transport */
	uint8_t portal_len;		 /*  2 1..SLT_MAX_PORTAL */
	uint8_t iqn_len;		 /*  3 1..SLT_MAX_IQN */
	uint16_t lun;			 /*  4 0..SLT_MAX_LUN */
	uint16_t reserved0;		 /*  6 zero */
	uint8_t partner_id[SLT_ID_SIZE]; /*  8 partner node id */
	uint64_t reserved1;		 /* 40 zero */
} __attribute__((packed));

/*
 * A table stored in a share volume's header area (the blob slot the
 * share-volume format reserves for it): this header, then the table. The
 * share-volume layer treats the whole thing as opaque bytes.
 */
#define SLT_BLOB_MAGIC	  0x42544c53U /* "SLTB" */
#define SLT_BLOB_VERSION  1
#define SLT_BLOB_HDR_SIZE 16

struct slt_blob_hdr {
	uint32_t magic;	  /*  0 SLT_BLOB_MAGIC */
	uint16_t version; /*  4 SLT_BLOB_VERSION */
	uint16_t flags;	  /*  6 zero */
	uint32_t len;	  /*  8 table bytes that follow */
	uint32_t crc;	  /* 12 CRC32C of bytes 0..11 and the table */
} __attribute__((packed));

_Static_assert(sizeof(struct slt_hdr) == SLT_HDR_SIZE, "slt_hdr");
_Static_assert(sizeof(struct slt_share_hdr) == SLT_SHARE_HDR_SIZE, "share");
_Static_assert(sizeof(struct slt_blob_hdr) == SLT_BLOB_HDR_SIZE, "blob");
_Static_assert(SLT_HDR_SIZE + SLT_MAX_NAME +
			       SLT_MAX_N * (SLT_SHARE_HDR_SIZE +
					    SLT_MAX_PORTAL + SLT_MAX_IQN) +
			       SLT_SIG_SIZE <=
		       SLT_MAX_SIZE,
	       "SLT_MAX_SIZE");

#endif
