/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * On-peer share-volume format, defined here and nowhere else. A share volume
 * is a plain LUN on a partner's target that holds share `index` of one
 * xorshare volume; only the replicator writes it and only tgtx-recover (and
 * the replicator) read it. The peer's target understands none of it.
 *
 * Every integer is little-endian with the size given; every header, record
 * and slot carries a CRC32C (Castagnoli) so a torn, stale or corrupted write
 * is detected and named instead of trusted. doc/share-volume-format.md gives
 * the checkpoint protocol and the argument for write order.
 *
 * Byte layout of the LUN (offsets fixed or stored in the superblock; nothing
 * depends on the LUN's capacity, so a block-for-block copy or a LUN grown
 * with zeros reads the same):
 *
 *   0        superblock copy 0 (SV_SUPER_SIZE bytes used of SV_SUPER_AREA)
 *   4096     superblock copy 1
 *   8192     blob area: SV_BLOB_TYPES x 2 copies x SV_BLOB_AREA bytes
 *   1 MiB    journal ring, journal_len bytes (multiple of align)
 *   data_off data area: nblocks slots of slot_size bytes, slot b at
 *            data_off + b * slot_size (data_off = journal end rounded up
 *            to 1 MiB)
 *
 * align is the peer LUN's logical block size when the volume was formatted
 * (512 or 4096): every write the replicator issues is a whole number of
 * align units at an align-aligned offset.
 */
#ifndef TGTX_SHARE_VOLUME_FORMAT_H
#define TGTX_SHARE_VOLUME_FORMAT_H

#include <stdint.h>

#define SV_VERSION 1
#define SV_MAX_N   16 /* = XS_MAX_N */

#define SV_SUPER_AREA  4096
#define SV_BLOB_OFF    8192
#define SV_BLOB_AREA   65536 /* one copy of one blob, header included */
#define SV_BLOB_TYPES  2
#define SV_JOURNAL_OFF (1ULL << 20)
#define SV_DATA_ALIGN  (1ULL << 20)
#define SV_MIN_JOURNAL (1ULL << 20)
#define SV_MAX_JOURNAL (1ULL << 40)
#define SV_MAX_REC_LEN (16U << 20) /* largest journal record */
#define SV_MAX_ENTRIES 65536	   /* blocks per journal record */
#define SV_MAX_NBLOCKS (1ULL << 40)

/* ---- superblock: 512 bytes, two copies (double-buffered by gen) ---- */
#define SV_SUPER_MAGIC 0x4c56485358544754ULL /* "TGTXSHVL" */
#define SV_SUPER_SIZE  512

enum sv_super_flags {
	/*
	 * The data area is being (re)filled from the owner's volume (baseline,
	 * resync): slots are a mix of versions and this share volume must not
	 * be used for a restore until a superblock without the flag is written.
	 */
	SV_SF_RESYNC = 0x01,
};

struct sv_super_disk {
	uint64_t magic;	      /*   0 SV_SUPER_MAGIC */
	uint16_t version;     /*   8 SV_VERSION */
	uint16_t hdr_len;     /*  10 SV_SUPER_SIZE */
	uint8_t k;	      /*  12 threshold */
	uint8_t n;	      /*  13 number of shares */
	uint8_t index;	      /*  14 which share this volume holds, 0..n-1 */
	uint8_t flags;	      /*  15 enum sv_super_flags */
	uint8_t uuid[16];     /*  16 protected volume's UUID (xs meta) */
	uint64_t gen;	      /*  32 superblock generation; copy = gen % 2 */
	uint32_t block_size;  /*  40 volume block size (512 or 4096) */
	uint32_t align;	      /*  44 LUN block size at format (512..4096) */
	uint32_t share_size;  /*  48 xs_share_size(n, block_size) */
	uint32_t slot_size;   /*  52 roundup(SV_SLOT_HDR_SIZE + share, align) */
	uint64_t nblocks;     /*  56 volume blocks (volume size / block_size) */
	uint64_t journal_off; /*  64 SV_JOURNAL_OFF */
	uint64_t journal_len; /*  72 ring bytes, multiple of align */
	uint64_t data_off;    /*  80 roundup(journal end, SV_DATA_ALIGN) */
	uint64_t format_ns;   /*  88 CLOCK_REALTIME of the format */
	uint64_t write_ns;    /*  96 CLOCK_REALTIME of this superblock write */
	/* every record with seq <= ckpt_seq is in the slots */
	uint64_t ckpt_seq; /* 104 */
	uint64_t ckpt_ns;  /* 112 time of record ckpt_seq */
	/*
	 * An apply of the journal up to apply_seq into the slots started
	 * (apply_seq >= ckpt_seq): slots may hold versions up to apply_seq,
	 * so no state before apply_seq can be restored from this volume.
	 */
	uint64_t apply_seq; /* 120 */
	uint64_t apply_ns;  /* 128 time of record apply_seq */
	uint64_t jtail_pos; /* 136 logical ring position of the first
			     *     record after ckpt_seq (or where it goes) */
	uint64_t epoch;	    /* 144 membership epoch of live_mask */
	uint32_t live_mask; /* 152 bit i: share volume i was in sync at
			     *     epoch (the others need a resync) */
	uint32_t retain_s;  /* 156 history kept before a checkpoint */
	/*
	 * Volume blocks as of ckpt_seq when the volume grew since (0: equal
	 * to nblocks; zero before grown volumes existed, so older readers
	 * refuse a grown volume's superblock instead of misreading it).
	 * nblocks is the newest size, raised BEFORE the journal holds a GROW
	 * record or a block beyond the old end; the size as of a seq S is the
	 * newest GROW record <= S in the journal, else this.
	 */
	uint64_t base_nblocks; /* 160 */
	uint8_t reserved[340]; /* 168 zero */
	uint32_t crc;	       /* 508 CRC32C of bytes 0..507 */
} __attribute__((packed));

/* ---- blob: SV_BLOB_AREA bytes per copy, two copies per type ---- */
#define SV_BLOB_MAGIC	 0x4c424753U /* "SGBL" */
#define SV_BLOB_HDR_SIZE 64
#define SV_BLOB_MAX	 (SV_BLOB_AREA - SV_BLOB_HDR_SIZE)

enum sv_blob_type {
	/* share index of the volume's randomness key, split (k,n) like the
	 * data: k volumes give the key back, k-1 learn nothing (issue 11 #6) */
	SV_BLOB_KEY = 1,
	/* the volume's signed share-location table (issue 12), opaque here */
	SV_BLOB_LOCATIONS = 2,
};

struct sv_blob_disk {
	uint32_t magic;	      /*  0 SV_BLOB_MAGIC */
	uint16_t version;     /*  4 SV_VERSION */
	uint8_t type;	      /*  6 enum sv_blob_type */
	uint8_t index;	      /*  7 share index of the volume */
	uint64_t gen;	      /*  8 newer copy wins */
	uint8_t uuid[16];     /* 16 volume UUID */
	uint32_t len;	      /* 32 payload bytes, <= SV_BLOB_MAX */
	uint32_t payload_crc; /* 36 CRC32C of the payload */
	uint8_t reserved[20]; /* 40 zero */
	uint32_t hdr_crc;     /* 60 CRC32C of bytes 0..59 */
} __attribute__((packed));

/* ---- journal record: header, entry table, shares, zero pad to align ---- */
#define SV_REC_MAGIC	0x524a5653U /* "SVJR" */
#define SV_REC_HDR_SIZE 64
#define SV_ENT_SIZE	24

enum sv_rec_type {
	SV_REC_SHARES = 1, /* the blocks of one log record (one seq) */
	/*
	 * The rest of the ring up to its end is unused; the next record is at
	 * the start of the next lap. One align unit, no entries, seq =
	 * prev_seq (it does not advance the chain).
	 */
	SV_REC_WRAP = 2,
	/*
	 * The protected volume grew at this seq (the share log's
	 * SL_REC_GROW): one entry, flags, gen and crc 0, no share; its lba is
	 * the volume's size in blocks from this seq on (<= the superblock's
	 * nblocks, > the size before). A restore at a seq before it gets the
	 * old size.
	 */
	SV_REC_GROW = 3,
};

struct sv_rec_disk {
	uint32_t magic;	  /*  0 SV_REC_MAGIC */
	uint16_t version; /*  4 SV_VERSION */
	uint8_t type;	  /*  6 enum sv_rec_type */
	uint8_t index;	  /*  7 share index */
	uint32_t rec_len; /*  8 header + entries + shares + pad, multiple
			   *    of align, <= SV_MAX_REC_LEN */
	uint32_t nent;	  /* 12 entries, <= SV_MAX_ENTRIES */
	/*
	 * Logical ring position: physical offset = journal_off + pos %
	 * journal_len. Positions only grow, so a record left from an earlier
	 * lap (or an earlier life of the ring) has the wrong pos and ends the
	 * scan instead of being replayed.
	 */
	uint64_t pos;	   /* 16 */
	uint64_t seq;	   /* 24 log sequence number of these blocks */
	uint64_t prev_seq; /* 32 seq of the previous record (chain) */
	uint64_t time_ns;  /* 40 CLOCK_REALTIME of the log record */
	uint8_t uuid8[8];  /* 48 first 8 bytes of the volume UUID */
	uint32_t reserved; /* 56 zero */
	uint32_t hdr_crc;  /* 60 CRC32C of bytes 0..59 and the entry table */
} __attribute__((packed));

enum sv_ent_flags {
	/* the block reads as zeroes (UNMAP/WRITE SAME of zeroes): no share */
	SV_EF_ZERO = 0x0001,
};

/*
 * Entry j describes block lba; the shares of the entries without
 * SV_EF_ZERO follow the table in entry order, share_size bytes each.
 */
struct sv_ent_disk {
	uint64_t lba;	   /*  0 volume block number < nblocks */
	uint64_t gen;	   /*  8 block-write generation (= share split_id) */
	uint16_t flags;	   /* 16 enum sv_ent_flags */
	uint16_t reserved; /* 18 zero */
	uint32_t crc;	   /* 20 CRC32C of this entry's share (0 if ZERO) */
} __attribute__((packed));

/* ---- slot: one per volume block in the data area ---- */
#define SV_SLOT_MAGIC	 0x4c535653U /* "SVSL" */
#define SV_SLOT_HDR_SIZE 48

/*
 * A slot whose header is all zero was never written: the block reads as
 * zeroes (a freshly formatted volume on a zeroed LUN, or a LUN grown with
 * zeroes). Anything else must be a valid slot of this block.
 */
struct sv_slot_disk {
	uint32_t magic;	   /*  0 SV_SLOT_MAGIC */
	uint8_t version;   /*  4 SV_VERSION */
	uint8_t flags;	   /*  5 enum sv_ent_flags */
	uint8_t index;	   /*  6 share index */
	uint8_t reserved0; /*  7 zero */
	uint64_t lba;	   /*  8 must equal the slot's position */
	uint64_t gen;	   /* 16 */
	uint64_t seq;	   /* 24 record the version came from */
	uint8_t uuid8[8];  /* 32 first 8 bytes of the volume UUID */
	uint32_t reserved; /* 40 zero */
	uint32_t crc;	   /* 44 CRC32C of bytes 0..43 and the share */
} __attribute__((packed));

_Static_assert(sizeof(struct sv_super_disk) == SV_SUPER_SIZE, "super");
_Static_assert(sizeof(struct sv_blob_disk) == SV_BLOB_HDR_SIZE, "blob");
_Static_assert(sizeof(struct sv_rec_disk) == SV_REC_HDR_SIZE, "rec");
_Static_assert(sizeof(struct sv_ent_disk) == SV_ENT_SIZE, "ent");
_Static_assert(sizeof(struct sv_slot_disk) == SV_SLOT_HDR_SIZE, "slot");
_Static_assert(SV_BLOB_OFF + 2 * SV_BLOB_TYPES * SV_BLOB_AREA <= SV_JOURNAL_OFF,
	       "header area");
_Static_assert(2 * SV_SUPER_AREA <= SV_BLOB_OFF, "superblocks");

#endif
