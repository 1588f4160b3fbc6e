/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Formats of the gossip layer besides the tables themselves (slt_format.h):
 * the node key file, the gossip state file and the gossip messages. Defined
 * here and nowhere else; doc/gossip.md explains them. Every integer is
 * little-endian with the size given; every record carries a magic, a
 * version and a CRC32C.
 */
#ifndef TGTX_GOSSIP_FORMAT_H
#define TGTX_GOSSIP_FORMAT_H

#include <stdint.h>

#include "slt_format.h"
#include "tls/nodekey_format.h"

/* ---- node key file (0600): tls/nodekey_format.h (shared with tgtxd) ---- */

/*
 * ---- gossip state file: what a node learned, reloaded at start ----
 * struct gstate_hdr, then count x { u32 len, len bytes of table }. crc
 * covers everything after the header's crc field. Tables are re-verified
 * on load: the file is a cache, never a source of trust.
 */
#define GSTATE_MAGIC	0x54534754U /* "TGST" */
#define GSTATE_VERSION	1
#define GSTATE_HDR_SIZE 24

struct gstate_hdr {
	uint32_t magic;	    /*  0 GSTATE_MAGIC */
	uint16_t version;   /*  4 GSTATE_VERSION */
	uint16_t reserved0; /*  6 zero */
	uint64_t file_len;  /*  8 whole file */
	uint32_t count;	    /* 16 tables */
	uint32_t crc;	    /* 20 CRC32C of bytes 0..19 and 24..file_len */
} __attribute__((packed));

/*
 * ---- gossip messages ----
 * struct gmsg_hdr then a body by type. A message is at most the receiver's
 * max_msg bytes (GOSSIP_MAX_MSG at most); the TLS binding frames each one
 * with a u32 length.
 */
#define GMSG_MAGIC     0x31505347U /* "GSP1" */
#define GMSG_VERSION   1
#define GMSG_HDR_SIZE  16
#define GOSSIP_MAX_MSG (1U << 20)

enum gmsg_type {
	/* body: u8 hash[32] (SHA-256 of the digest entries), u32 count */
	GMSG_HASH = 1,
	/*
	 * body: u8 want_reply, u8 reserved[3], u32 count, then count x
	 * struct gmsg_digest_ent sorted by uuid, strictly ascending
	 */
	GMSG_DIGEST = 2,
	/* body: u32 count, then count x u8 uuid[16] */
	GMSG_REQUEST = 3,
	/* body: u32 count, then count x { u32 len, len bytes of table } */
	GMSG_TABLES = 4,
};

struct gmsg_hdr {
	uint32_t magic;	    /*  0 GMSG_MAGIC */
	uint8_t type;	    /*  4 enum gmsg_type */
	uint8_t version;    /*  5 GMSG_VERSION */
	uint16_t reserved0; /*  6 zero */
	uint32_t len;	    /*  8 whole message */
	uint32_t crc;	    /* 12 CRC32C of bytes 0..11 and the body */
} __attribute__((packed));

#define GMSG_DIGEST_ENT_SIZE 24
struct gmsg_digest_ent {
	uint8_t uuid[SLT_UUID_SIZE]; /*  0 */
	uint64_t version;	     /* 16 */
} __attribute__((packed));

_Static_assert(sizeof(struct gstate_hdr) == GSTATE_HDR_SIZE, "gstate");
_Static_assert(sizeof(struct gmsg_hdr) == GMSG_HDR_SIZE, "gmsg");
_Static_assert(sizeof(struct gmsg_digest_ent) == GMSG_DIGEST_ENT_SIZE, "ent");

#endif
