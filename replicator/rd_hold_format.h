/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * STATE_DIR/gossip/held: the volumes whose shares this node holds, bound to
 * their owners (doc/gossip.md "Held volumes"). Little-endian, written
 * atomically (temporary file, fsync, rename), mode 0600:
 *
 *   struct rd_held_hdr, then count x struct rd_held_rec
 *
 * The CRC32C covers the header (crc field zero) and every record. The file
 * is at most RD_HELD_HDR_SIZE + cap x RD_HELD_REC_SIZE bytes, and is read
 * with that bound before anything in it is believed.
 */
#ifndef TGTX_RD_HOLD_FORMAT_H
#define TGTX_RD_HOLD_FORMAT_H

#include <stdint.h>

#define RD_HELD_MAGIC	 0x44484754U /* "TGHD" */
#define RD_HELD_VERSION	 1
#define RD_HELD_HDR_SIZE 16
#define RD_HELD_REC_SIZE 72

struct rd_held_hdr {
	uint32_t magic;	   /*  0 RD_HELD_MAGIC */
	uint16_t version;  /*  4 RD_HELD_VERSION */
	uint16_t reserved; /*  6 zero */
	uint32_t count;	   /*  8 records that follow */
	uint32_t crc;	   /* 12 CRC32C of header (this field 0) + records */
};

struct rd_held_rec {
	uint8_t uuid[16];  /*  0 volume UUID */
	uint8_t owner[32]; /* 16 owner node id: SHA-256 of its key */
	uint64_t version;  /* 48 highest table version read from a header */
	uint64_t bound_ms; /* 56 when the binding was made (wall clock) */
	uint32_t flags;	   /* 64 RD_HELD_F_* */
	uint32_t reserved; /* 68 zero */
};

/* bound by configuration (rd_gossip_hold), not by a header read */
#define RD_HELD_F_PINNED 1U

_Static_assert(sizeof(struct rd_held_hdr) == RD_HELD_HDR_SIZE, "held hdr");
_Static_assert(sizeof(struct rd_held_rec) == RD_HELD_REC_SIZE, "held rec");

#endif
