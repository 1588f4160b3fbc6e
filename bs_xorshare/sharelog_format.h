/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * On-disk formats of the xorshare share log, defined here and nowhere else.
 * Every integer is little-endian with the size given; every header carries a
 * CRC32C (Castagnoli) of its own bytes so a torn or stale write is detected
 * instead of trusted. doc/sharelog.md explains the design.
 *
 * Log directory (bsopts log=DIR):
 *   seg-<16 hex digits>.sl   segments, named by their index (never reused)
 *   state                    store-owned: volume checkpoint, resync marks
 *   peer.<i>                 cursor of peer i (0..n-1): last confirmed seq
 *   meta                     the volume's identity (struct xs_meta_disk)
 *
 * A segment = struct sl_seg_hdr, then records back to back. A record =
 * struct sl_rec_hdr, then n shares of share_len bytes each (share i at
 * SL_REC_HDR_SIZE + i * share_len), then zero padding up to rec_len (a
 * multiple of 8). A record never spans two segments.
 */
#ifndef TGTX_SHARELOG_FORMAT_H
#define TGTX_SHARELOG_FORMAT_H

#include <stdint.h>

#define SL_VERSION 1
#define SL_MAX_N   16

/* ---- segment header: 64 bytes at offset 0 of each segment file ---- */
#define SL_SEG_MAGIC	0x474f4c5358544754ULL /* "TGTXSLOG" */
#define SL_SEG_HDR_SIZE 64

struct sl_seg_hdr {
	uint64_t magic;	    /*  0 SL_SEG_MAGIC */
	uint16_t version;   /*  8 SL_VERSION */
	uint16_t hdr_len;   /* 10 SL_SEG_HDR_SIZE */
	uint8_t k;	    /* 12 */
	uint8_t n;	    /* 13 */
	uint16_t reserved0; /* 14 zero */
	uint64_t index;	    /* 16 segment number, monotonic */
	uint64_t first_seq; /* 24 seq the first record of this segment gets */
	uint8_t uuid[16];   /* 32 volume UUID: a segment of another volume is
			     *    refused */
	uint64_t seg_size;  /* 48 capacity this segment was created with */
	uint32_t reserved1; /* 56 zero */
	uint32_t crc;	    /* 60 CRC32C of bytes 0..59 */
} __attribute__((packed));

/* ---- record header: 64 bytes ---- */
#define SL_REC_MAGIC	0x31525358U /* "XSR1" */
#define SL_REC_HDR_SIZE 64
#define SL_REC_ALIGN	8

enum sl_rec_type {
	SL_REC_WRITE = 1, /* [offset, offset+length) now holds the data whose
			   * n shares follow */
	SL_REC_UNMAP = 2, /* [offset, offset+length) now reads as zeroes; no
			   * shares: zero shares combine to zero */
};

struct sl_rec_hdr {
	uint32_t magic;	      /*  0 SL_REC_MAGIC */
	uint16_t version;     /*  4 SL_VERSION */
	uint8_t type;	      /*  6 enum sl_rec_type */
	uint8_t flags;	      /*  7 zero */
	uint8_t k;	      /*  8 */
	uint8_t n;	      /*  9 */
	uint16_t hdr_len;     /* 10 SL_REC_HDR_SIZE */
	uint32_t rec_len;     /* 12 header + shares + padding */
	uint64_t seq;	      /* 16 monotonic, never reused, starts at 1 */
	uint64_t time_ns;     /* 24 CLOCK_REALTIME when appended */
	uint64_t offset;      /* 32 byte offset in the volume */
	uint64_t length;      /* 40 bytes of volume the record covers */
	uint32_t share_len;   /* 48 bytes per share (0 for UNMAP) */
	uint32_t payload_crc; /* 52 CRC32C of the n * share_len share bytes */
	uint32_t reserved;    /* 56 zero */
	uint32_t hdr_crc;     /* 60 CRC32C of bytes 0..59 */
} __attribute__((packed));

/* ---- state file "state": 64 + 8 * SL_MAX_N bytes, written by the store --- */
#define SL_STATE_MAGIC 0x54535358U /* "XSST" */
#define SL_STATE_SIZE  (64 + 8 * SL_MAX_N)

struct sl_state {
	uint32_t magic;	   /*  0 SL_STATE_MAGIC */
	uint16_t version;  /*  4 SL_VERSION */
	uint8_t n;	   /*  6 */
	uint8_t reserved0; /*  7 zero */
	/*
	 * Every record with seq <= checkpoint is durable in the local volume:
	 * start-up replays only what follows.
	 */
	uint64_t checkpoint;	/*  8 */
	uint64_t next_seq;	/* 16 lower bound for the next seq */
	uint32_t resync_mask;	/* 24 bit i: peer i needs a full resync */
	uint32_t crc;		/* 28 CRC32C of all SL_STATE_SIZE bytes,
				 *    computed with this field zero */
	uint64_t baseline_next; /* 32 next volume byte the baseline pass
				 *    shares; == volume size when complete */
	uint64_t baseline_size; /* 40 volume size the baseline covers; 0 = no
				 *    baseline ever started */
	uint64_t reserved2[2];	/* 48 zero */
	/* 64: seq from which peer i was dropped (valid when its bit is set) */
	uint64_t resync_seq[SL_MAX_N];
} __attribute__((packed));

/* ---- cursor file "peer.<i>": 32 bytes, written by the replicator ---- */
#define SL_CURSOR_MAGIC 0x55435358U /* "XSCU" */
#define SL_CURSOR_SIZE	32

struct sl_cursor {
	uint32_t magic;	    /*  0 SL_CURSOR_MAGIC */
	uint16_t version;   /*  4 SL_VERSION */
	uint8_t peer;	    /*  6 peer index */
	uint8_t reserved0;  /*  7 zero */
	uint64_t seq;	    /*  8 every record with seq <= this is on peer i */
	uint64_t time_ns;   /* 16 CLOCK_REALTIME of the confirmation */
	uint32_t reserved1; /* 24 zero */
	uint32_t crc;	    /* 28 CRC32C of bytes 0..27 */
} __attribute__((packed));

/* ---- volume metadata file "meta" in the log directory: 64 bytes ---- */
#define XS_META_MAGIC 0x444d535858544754ULL /* "TGTXXSMD" */
#define XS_META_SIZE  64
/*
 * Version 2 adds the check byte; version 1 (SL_VERSION) files have zero
 * there and read as XS_META_CHECK_CRC. Both are read, 2 is written.
 */
#define XS_META_VERSION	     2
#define XS_META_CHECK_CRC    1 /* = XS_CHECK_CRC4 of xorshare.h */
#define XS_META_CHECK_SHA256 2 /* = XS_CHECK_SHA256 */

struct xs_meta_disk {
	uint64_t magic;	     /*  0 XS_META_MAGIC */
	uint16_t version;    /*  8 XS_META_VERSION (1 still read) */
	uint16_t hdr_len;    /* 10 XS_META_SIZE */
	uint8_t k;	     /* 12 */
	uint8_t n;	     /* 13 */
	uint8_t check;	     /* 14 v2: XS_META_CHECK_* of new splits */
	uint8_t reserved0;   /* 15 zero */
	uint8_t uuid[16];    /* 16 volume identity, random (RFC 4122 v4) */
	uint32_t block_size; /* 32 logical block size exported */
	uint32_t reserved1;  /* 36 zero */
	uint64_t size;	     /* 40 volume bytes when protected */
	uint64_t created_ns; /* 48 CLOCK_REALTIME at creation */
	uint32_t reserved2;  /* 56 zero */
	uint32_t crc;	     /* 60 CRC32C of bytes 0..59 */
} __attribute__((packed));

_Static_assert(sizeof(struct xs_meta_disk) == XS_META_SIZE, "meta");
_Static_assert(sizeof(struct sl_seg_hdr) == SL_SEG_HDR_SIZE, "seg hdr");
_Static_assert(sizeof(struct sl_rec_hdr) == SL_REC_HDR_SIZE, "rec hdr");
_Static_assert(sizeof(struct sl_state) == SL_STATE_SIZE, "state");
_Static_assert(sizeof(struct sl_cursor) == SL_CURSOR_SIZE, "cursor");

#endif
