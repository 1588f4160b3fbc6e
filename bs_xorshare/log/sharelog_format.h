/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * On-disk formats of an xorshare log directory, defined here and nowhere
 * else. Every integer is little-endian with the size given; every header
 * carries a CRC32C (Castagnoli) so a torn or stale write is detected instead
 * of trusted, and a version. doc/sharelog.md explains the design.
 *
 * Log directory (bsopts log=DIR), every file mode 0600:
 *   seg-<16 hex digits>.sl   segments, named by their index (never reused)
 *   spare-<16 hex>.sl        freed segments kept for reuse
 *   state                    generation reservation, resync marks, baseline
 *   peer.<i>                 cursor of peer i (0..n-1): last confirmed seq,
 *                            resync handshake (written by the replicator)
 *   status.<i>               status of peer i (written by the replicator)
 *   progress                 the store's durable/applied/last seq (hint)
 *   meta                     the volume's identity (struct xs_meta_disk)
 *   key                      the volume's secret key (struct sl_key_disk):
 *                            never leaves this directory
 *   genmap                   generation of every volume block (struct
 *                            sl_genmap_hdr, then one chunk per extent)
 *   al.0, al.1               the store's activity log (struct sl_al_hdr)
 *
 * A segment = struct sl_seg_hdr, then records back to back, then zeroes or
 * stale records of a reused file. A record = struct sl_rec_hdr, then the
 * written data in the clear (nblocks * block_size bytes; none for UNMAP).
 * Block j of a WRITE record has generation first_gen + j: the nonce from
 * which, with the volume key, its n shares are derived when they are sent.
 * A record never spans two segments.
 *
 * Version 1 (n shares per record, no generations) is refused at open.
 */
#ifndef TGTX_SHARELOG_FORMAT_H
#define TGTX_SHARELOG_FORMAT_H

#include <stdint.h>

#define SL_VERSION     2
#define SL_OLD_VERSION 1 /* recognised only to refuse it with advice */
#define SL_MAX_N       16

/* ---- segment header: 64 bytes at offset 0 of each segment file ---- */
#define SL_SEG_MAGIC	0x474f4c5358544754ULL /* "TGTXSLOG" */
#define SL_SEG_HDR_SIZE 64

struct sl_seg_hdr {
	uint64_t magic;	     /*  0 SL_SEG_MAGIC */
	uint16_t version;    /*  8 SL_VERSION */
	uint16_t hdr_len;    /* 10 SL_SEG_HDR_SIZE */
	uint8_t k;	     /* 12 */
	uint8_t n;	     /* 13 */
	uint16_t reserved0;  /* 14 zero */
	uint64_t index;	     /* 16 segment number, monotonic */
	uint64_t first_seq;  /* 24 seq the first record of this segment gets */
	uint8_t uuid[16];    /* 32 volume UUID: a segment of another volume is
			      *    refused */
	uint64_t seg_size;   /* 48 capacity this segment was created with */
	uint32_t block_size; /* 56 volume block size (the unit of sharing) */
	uint32_t crc;	     /* 60 CRC32C of bytes 0..59 */
} __attribute__((packed));

/* ---- record header: 64 bytes ---- */
#define SL_REC_MAGIC	0x32525358U /* "XSR2" */
#define SL_REC_HDR_SIZE 64

enum sl_rec_type {
	SL_REC_WRITE = 1, /* blocks [lba, lba+nblocks) now hold the data that
			   * follows; block j has generation first_gen + j */
	SL_REC_UNMAP = 2, /* blocks [lba, lba+nblocks) now read as zeroes
			   * (generation 0: peers unmap them); no data */
	/*
	 * The volume grew: blocks [lba, lba+nblocks) were added at its end
	 * (lba = the size before, in blocks); they read as zeroes until
	 * written. No data, first_gen 0. Logged at the open that finds the
	 * volume larger than meta says, before meta records the new size
	 * (so a crash in between logs it again: a GROW to a size already
	 * reached is a no-op). A growth of more than 2^31 blocks is several
	 * records. Shrinking is refused at open, never logged.
	 */
	SL_REC_GROW = 3,
};

struct sl_rec_hdr {
	uint32_t magic;	     /*  0 SL_REC_MAGIC */
	uint16_t version;    /*  4 SL_VERSION */
	uint8_t type;	     /*  6 enum sl_rec_type */
	uint8_t flags;	     /*  7 zero */
	uint32_t nblocks;    /*  8 blocks the record covers (>= 1) */
	uint32_t rec_len;    /* 12 header + data */
	uint64_t seq;	     /* 16 monotonic, starts at 1 */
	uint64_t time_ns;    /* 24 CLOCK_REALTIME when appended */
	uint64_t lba;	     /* 32 first block, in block_size units */
	uint64_t first_gen;  /* 40 generation of the first block (0: UNMAP) */
	uint32_t data_crc;   /* 48 CRC32C of the data (0 for UNMAP) */
	uint32_t block_size; /* 52 bytes per block (512..65536, power of 2) */
	uint32_t reserved;   /* 56 zero */
	uint32_t hdr_crc;    /* 60 CRC32C of bytes 0..59 */
} __attribute__((packed));

/*
 * ---- state file "state": written by the store ----
 * Version 3: SL_STATE_SIZE bytes (adds drop_epoch). Version 2 (the first
 * 192 bytes, no drop_epoch: read as all 0) is still read; the store always
 * writes version 3.
 */
#define SL_STATE_MAGIC	 0x54535358U /* "XSST" */
#define SL_STATE_VERSION 3
#define SL_STATE_V2_SIZE (64 + 8 * SL_MAX_N)
#define SL_STATE_SIZE	 (64 + 16 * SL_MAX_N)

struct sl_state {
	uint32_t magic;	   /*  0 SL_STATE_MAGIC */
	uint16_t version;  /*  4 SL_STATE_VERSION (2 still read) */
	uint8_t n;	   /*  6 */
	uint8_t reserved0; /*  7 zero */
	/*
	 * Every generation below this may have been handed out already: the
	 * next start hands out from here. Made durable BEFORE any generation
	 * at or above the previous value is used.
	 */
	uint64_t gen_reserved;	/*  8 */
	uint64_t next_seq;	/* 16 lower bound for the next seq */
	uint32_t resync_mask;	/* 24 bit i: peer i needs a full resync */
	uint32_t crc;		/* 28 CRC32C of the whole file (192 bytes in
				 *    version 2, SL_STATE_SIZE in 3), computed
				 *    with this field zero */
	uint64_t baseline_next; /* 32 next volume byte the baseline pass
				 *    logs; == baseline_size when complete */
	uint64_t baseline_size; /* 40 volume size the baseline covers; 0 = no
				 *    baseline ever started */
	uint64_t reserved2[2];	/* 48 zero */
	/* 64: seq from which peer i was dropped (valid when its bit is set) */
	uint64_t resync_seq[SL_MAX_N];
	/*
	 * 192 (version 3): +1 each time peer i is dropped (needs-resync). A
	 * resync answers one drop: the replicator's finish names the epoch it
	 * started from, and a peer dropped again meanwhile stays marked.
	 */
	uint64_t drop_epoch[SL_MAX_N];
} __attribute__((packed));

/*
 * ---- cursor file "peer.<i>": written by the replicator ----
 * Version 3: SL_CURSOR_SIZE (48) bytes, with the resync handshake (flags,
 * resync_from, epoch). Version 2 (32 bytes: magic, version, peer, 0, seq,
 * time_ns, 0, crc at 28 over bytes 0..27) is still read, as flags 0.
 *
 * Resync handshake (doc/sharelog.md): SL_CUR_RESYNC: the replicator is
 * resyncing the peer from the volume and will also send every record >=
 * resync_from: the store keeps those (the peer holds the log at
 * max(seq, resync_from - 1)) while the peer stays needs-resync, as long as
 * epoch is the peer's current drop_epoch. SL_CUR_RESYNC_DONE: the resync
 * that started at drop epoch `epoch` is complete up to seq: the store
 * clears needs-resync unless the peer was dropped again (drop_epoch moved).
 */
#define SL_CURSOR_MAGIC	     0x55435358U /* "XSCU" */
#define SL_CURSOR_VERSION    3
#define SL_CURSOR_V2_VERSION 2
#define SL_CURSOR_V2_SIZE    32
#define SL_CURSOR_SIZE	     48
#define SL_CUR_RESYNC	     0x01
#define SL_CUR_RESYNC_DONE   0x02

struct sl_cursor {
	uint32_t magic;	  /*  0 SL_CURSOR_MAGIC */
	uint16_t version; /*  4 SL_CURSOR_VERSION */
	uint8_t peer;	  /*  6 peer index */
	uint8_t flags;	  /*  7 SL_CUR_* */
	uint64_t seq;	  /*  8 every record with seq <= this is on peer i */
	uint64_t time_ns; /* 16 CLOCK_REALTIME of the confirmation */
	uint64_t resync_from; /* 24 SL_CUR_RESYNC: records >= this are needed */
	uint64_t epoch;	      /* 32 drop epoch the resync answers */
	uint32_t reserved1;   /* 40 zero */
	uint32_t crc;	      /* 44 CRC32C of bytes 0..43 */
} __attribute__((packed));

/*
 * ---- progress file "progress": 64 bytes, written by the store ----
 * Rewritten in place (one 64-byte pwrite, no fsync: a hint, valid while the
 * store runs) when its values advance, at most once per
 * SL_PROGRESS_MIN_NS (a pending change is written by the writer thread
 * within a few ms), at open and at a clean stop. A reader may catch a write
 * half done: the CRC fails and it reads again (sharelog_read_progress).
 */
#define SL_PROGRESS_MAGIC   0x47505358U /* "XSPG" */
#define SL_PROGRESS_VERSION 1
#define SL_PROGRESS_SIZE    64
/* re-log or map check after an unclean stop running: the volume and the
 * map may disagree, no resync read may trust them */
#define SL_PROG_RELOG 0x01
/* written at a clean stop: volume, map and log agree and are durable */
#define SL_PROG_CLEAN 0x02

struct sl_progress {
	uint32_t magic;	      /*  0 SL_PROGRESS_MAGIC */
	uint16_t version;     /*  4 SL_PROGRESS_VERSION */
	uint16_t flags;	      /*  6 SL_PROG_* */
	uint64_t durable_seq; /*  8 every record <= this is on stable storage */
	uint64_t applied_seq; /* 16 every record <= this is in the volume AND
			       *    the generation map (page cache) */
	uint64_t last_seq;    /* 24 newest record appended (when written) */
	uint64_t updated_ns;  /* 32 CLOCK_REALTIME of this write */
	uint64_t run_id;      /* 40 CLOCK_REALTIME at the store's open: a new
			       *    value = the store restarted */
	uint32_t pid;	      /* 48 the store's process */
	uint32_t reserved0;   /* 52 zero */
	uint32_t reserved1;   /* 56 zero */
	uint32_t crc;	      /* 60 CRC32C of bytes 0..59 */
} __attribute__((packed));

/*
 * ---- peer status file "status.<i>": 144 bytes, written by the replicator
 * (atomic replace, no fsync: a report, not state), read by the store for
 * show and metrics. Strings NUL-terminated and NUL-padded.
 */
#define SL_PSTATUS_MAGIC   0x53505358U /* "XSPS" */
#define SL_PSTATUS_VERSION 1
#define SL_PSTATUS_SIZE	   144

struct sl_peer_status {
	uint32_t magic;		/*   0 SL_PSTATUS_MAGIC */
	uint16_t version;	/*   4 SL_PSTATUS_VERSION */
	uint16_t size;		/*   6 SL_PSTATUS_SIZE */
	uint8_t peer;		/*   8 peer index */
	uint8_t state;		/*   9 SL_PS_* (sharelog.h) */
	uint8_t transport;	/*  10 SL_PT_* */
	uint8_t reserved0;	/*  11 zero */
	uint32_t eta_s;		/*  12 resync: seconds left (estimate) */
	uint64_t acked_seq;	/*  16 newest seq the peer holds durably */
	uint64_t acked_time_ns; /*  24 CLOCK_REALTIME of that record */
	uint64_t updated_ns;	/*  32 CLOCK_REALTIME of this report */
	uint64_t rate_bps;	/*  40 bytes/s sent to the peer, recent */
	uint64_t resync_done;	/*  48 resync/baseline: bytes sent */
	uint64_t resync_total;	/*  56 resync/baseline: bytes to send */
	char error[64];		/*  64 last error, "" if none */
	uint8_t reserved1[12];	/* 128 zero */
	uint32_t crc;		/* 140 CRC32C of bytes 0..139 */
} __attribute__((packed));

/* ---- volume metadata file "meta": 64 bytes ---- */
#define XS_META_MAGIC 0x444d535858544754ULL /* "TGTXXSMD" */
#define XS_META_SIZE  64
/* 3: logged once + generations. 1 and 2 (n shares per record) refused. */
#define XS_META_VERSION	     3
#define XS_META_CHECK_CRC    1 /* = XS_CHECK_CRC4 of xorshare.h */
#define XS_META_CHECK_SHA256 2 /* = XS_CHECK_SHA256 */

struct xs_meta_disk {
	uint64_t magic;	     /*  0 XS_META_MAGIC */
	uint16_t version;    /*  8 XS_META_VERSION */
	uint16_t hdr_len;    /* 10 XS_META_SIZE */
	uint8_t k;	     /* 12 */
	uint8_t n;	     /* 13 */
	uint8_t check;	     /* 14 XS_META_CHECK_* of derived shares */
	uint8_t reserved0;   /* 15 zero */
	uint8_t uuid[16];    /* 16 volume identity, random (RFC 4122 v4) */
	uint32_t block_size; /* 32 logical block size = unit of sharing */
	uint32_t reserved1;  /* 36 zero */
	uint64_t size;	     /* 40 volume bytes protected so far */
	uint64_t created_ns; /* 48 CLOCK_REALTIME at creation */
	uint32_t reserved2;  /* 56 zero */
	uint32_t crc;	     /* 60 CRC32C of bytes 0..59 */
} __attribute__((packed));

/* ---- secret key file "key": 64 bytes, mode 0600, never sent ---- */
#define SL_KEY_MAGIC 0x59454b5358544754ULL /* "TGTXSKEY" */
#define SL_KEY_SIZE  64
#define SL_KEY_BYTES 16 /* = XS_KEY_SIZE of the codec */

struct sl_key_disk {
	uint64_t magic;		   /*  0 SL_KEY_MAGIC */
	uint16_t version;	   /*  8 SL_VERSION */
	uint16_t hdr_len;	   /* 10 SL_KEY_SIZE */
	uint32_t reserved0;	   /* 12 zero */
	uint8_t uuid[16];	   /* 16 volume the key belongs to */
	uint8_t key[SL_KEY_BYTES]; /* 32 */
	uint8_t reserved1[12];	   /* 48 zero */
	uint32_t crc;		   /* 60 CRC32C of bytes 0..59 */
} __attribute__((packed));

/*
 * ---- generation map "genmap" ----
 * A 4096-byte header page (struct sl_genmap_hdr, rest zero), then one chunk
 * per extent of extent_blocks blocks: extent e at
 *   SL_GENMAP_HDR_PAGE + e * (extent_blocks * 8 + SL_GENMAP_TRAILER_PAGE)
 * = extent_blocks little-endian u64 generations (0: the block reads as
 * zeroes and peers hold it unmapped), then a 4096-byte trailer page (struct
 * sl_genmap_trailer, rest zero). Chunks are page aligned, so writing the
 * generations of one extent never touches another's page. The trailer's CRC
 * is valid for a cold extent (not in the activity log); an all-zero chunk
 * (never written) is valid too.
 */
#define SL_GENMAP_MAGIC		0x504d475358544754ULL /* "TGTXSGMP" */
#define SL_GENMAP_HDR_PAGE	4096
#define SL_GENMAP_TRAILER_PAGE	4096
#define SL_GENMAP_TRAILER_MAGIC 0x54474d58U /* "XMGT" */

struct sl_genmap_hdr {
	uint64_t magic;		/*  0 SL_GENMAP_MAGIC */
	uint16_t version;	/*  8 SL_VERSION */
	uint16_t hdr_len;	/* 10 sizeof(struct sl_genmap_hdr) = 64 */
	uint32_t extent_blocks; /* 12 blocks per extent chunk */
	uint8_t uuid[16];	/* 16 */
	uint32_t block_size;	/* 32 */
	uint8_t reserved[24];	/* 36 zero */
	uint32_t crc;		/* 60 CRC32C of bytes 0..59 */
} __attribute__((packed));

struct sl_genmap_trailer {
	uint32_t magic;	      /*  0 SL_GENMAP_TRAILER_MAGIC */
	uint16_t version;     /*  4 SL_VERSION */
	uint16_t reserved0;   /*  6 zero */
	uint64_t extent;      /*  8 extent number */
	uint32_t entries_crc; /* 16 CRC32C of the extent's generations */
	uint32_t reserved1;   /* 20 zero */
	uint32_t reserved2;   /* 24 zero */
	uint32_t crc;	      /* 28 CRC32C of bytes 0..27 */
} __attribute__((packed));

/*
 * ---- activity log "al.0" and "al.1" (store-owned) ----
 * Two files written alternately (txn odd: al.1), each fdatasync'd before any
 * write touches an extent it adds: the valid one with the higher txn is
 * current. Content = struct sl_al_hdr, then count little-endian u32 extent
 * numbers (the hot set). A clean stop writes an empty set.
 */
#define SL_AL_MAGIC    0x4c415358U /* "XSAL" */
#define SL_AL_HDR_SIZE 64

struct sl_al_hdr {
	uint32_t magic;	       /*  0 SL_AL_MAGIC */
	uint16_t version;      /*  4 SL_VERSION */
	uint16_t hdr_len;      /*  6 SL_AL_HDR_SIZE */
	uint32_t count;	       /*  8 extents that follow */
	uint32_t capacity;     /* 12 largest count of this file */
	uint64_t txn;	       /* 16 transaction number, +1 per write */
	uint8_t uuid[16];      /* 24 volume */
	uint32_t extent_shift; /* 40 log2(extent bytes) */
	uint8_t reserved[16];  /* 44 zero */
	uint32_t crc;	       /* 60 CRC32C of bytes 0..59 and the entries */
} __attribute__((packed));

_Static_assert(sizeof(struct xs_meta_disk) == XS_META_SIZE, "meta");
_Static_assert(sizeof(struct sl_seg_hdr) == SL_SEG_HDR_SIZE, "seg hdr");
_Static_assert(sizeof(struct sl_rec_hdr) == SL_REC_HDR_SIZE, "rec hdr");
_Static_assert(sizeof(struct sl_state) == SL_STATE_SIZE, "state");
_Static_assert(sizeof(struct sl_cursor) == SL_CURSOR_SIZE, "cursor");
_Static_assert(sizeof(struct sl_progress) == SL_PROGRESS_SIZE, "progress");
_Static_assert(sizeof(struct sl_peer_status) == SL_PSTATUS_SIZE, "status");
_Static_assert(sizeof(struct sl_key_disk) == SL_KEY_SIZE, "key");
_Static_assert(sizeof(struct sl_genmap_hdr) == 64, "genmap hdr");
_Static_assert(sizeof(struct sl_genmap_trailer) == 32, "genmap trailer");
_Static_assert(sizeof(struct sl_al_hdr) == SL_AL_HDR_SIZE, "al hdr");

/*
 * ---- reprotect seed: a file anywhere (not in a log directory), written by
 * `tgtx-recover restore --reprotect FILE`, read ONCE by the store when a
 * LUN is created with bsopts reprotect=FILE over the restored volume
 * (doc/dr-runbook.md "Step 4"). Mode 0600: it holds the volume key.
 *   struct sl_seed_hdr (SL_SEED_HDR_SIZE bytes)
 *   nblocks little-endian u64: the generation of every block's content as
 *     of the restored point (0: zero block), as the share volumes hold it
 *   nrevert struct sl_seed_range: blocks written after the restored point
 *     (seqs point_seq+1 .. next_seq-1 held by some share volume's journal):
 *     the store re-logs them from the restored volume with new generations
 * body_crc covers everything after the header. A consumed seed (flag set
 * and key zeroed by the store before it creates the log) is refused.
 */
#define SL_SEED_MAGIC	 0x44535052584754ULL /* "TGXRPSD\0" */
#define SL_SEED_VERSION	 1
#define SL_SEED_HDR_SIZE 128
#define SL_SEED_CONSUMED 0x01 /* flags: already used by a store */
/* The new owner's generations start this far above the newest seen. */
#define SL_SEED_GEN_GAP (1ULL << 40)

struct sl_seed_hdr {
	uint64_t magic;	      /*   0 SL_SEED_MAGIC */
	uint16_t version;     /*   8 SL_SEED_VERSION */
	uint16_t hdr_len;     /*  10 SL_SEED_HDR_SIZE */
	uint8_t k;	      /*  12 */
	uint8_t n;	      /*  13 */
	uint8_t check;	      /*  14 XS_META_CHECK_* of the shares, 0 unknown */
	uint8_t flags;	      /*  15 SL_SEED_* */
	uint8_t uuid[16];     /*  16 volume identity (the share volumes') */
	uint32_t block_size;  /*  32 */
	uint32_t nrevert;     /*  36 ranges after the generations */
	uint64_t size;	      /*  40 volume bytes = nblocks * block_size */
	uint64_t nblocks;     /*  48 generations that follow */
	uint64_t point_seq;   /*  56 the restored point S */
	uint64_t next_seq;    /*  64 M + 1: M = newest seq any share volume
			       *     read holds; the new log starts here */
	uint64_t gen_floor;   /*  72 first generation the new owner hands out
			       *     (newest seen + SL_SEED_GEN_GAP) */
	uint64_t created_ns;  /*  80 CLOCK_REALTIME */
	uint8_t key[16];      /*  88 volume key (zero once consumed) */
	uint32_t held_mask;   /* 104 bit i: share volume i holds every seq up
			       *     to next_seq - 1 and can be streamed to;
			       *     the others are marked needs-resync */
	uint32_t body_crc;    /* 108 CRC32C of everything after the header */
	uint8_t reserved[12]; /* 112 zero */
	uint32_t crc;	      /* 124 CRC32C of bytes 0..123 */
} __attribute__((packed));

struct sl_seed_range {
	uint64_t lba;	  /* 0 */
	uint64_t nblocks; /* 8 */
} __attribute__((packed));

_Static_assert(sizeof(struct sl_seed_hdr) == SL_SEED_HDR_SIZE, "seed hdr");
_Static_assert(sizeof(struct sl_seed_range) == 16, "seed range");

#endif
