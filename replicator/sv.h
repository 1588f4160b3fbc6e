/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Share volumes (share_volume_format.h): encoding and checking of every
 * on-peer structure, a reader that answers "share of block b as of seq S"
 * for one peer, and the choice of the newest seq k peers can all restore.
 * Used by the replicator's share writer (sv_writer.h) and by tgtx-recover.
 *
 * Nothing read from a peer is trusted: every decoder checks magic, version,
 * CRC, lengths and ranges before it uses a field, and names what is wrong
 * in a struct sv_status. Functions return 0 or a negative errno:
 *   -EBADMSG   corrupt / torn / inconsistent structure
 *   -ESTALE    valid but foreign (other volume, other share index) or
 *              superseded (stale epoch, resync in progress)
 *   -ERANGE    seq outside what this volume can restore
 *   -EIO       the read callback failed
 *   -ENOMEM, -EINVAL as usual
 */
#ifndef TGTX_SV_H
#define TGTX_SV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "share_volume_format.h"

/* What is wrong, by name; the message adds where and which values. */
enum sv_err {
	SV_OK = 0,
	SV_E_IO,       /* read failed */
	SV_E_SMALL,    /* LUN smaller than the format says */
	SV_E_MAGIC,    /* not a share-volume structure */
	SV_E_VERSION,  /* unknown format version */
	SV_E_CRC,      /* checksum mismatch (torn or corrupted) */
	SV_E_FIELD,    /* field out of range or inconsistent */
	SV_E_FOREIGN,  /* belongs to another volume */
	SV_E_INDEX,    /* holds another share index */
	SV_E_STALE,    /* superseded: old epoch, resync running */
	SV_E_JOURNAL,  /* journal chain broken before ckpt */
	SV_E_SLOT,     /* slot corrupt or of another block */
	SV_E_SHARE,    /* share header does not match entry */
	SV_E_RANGE,    /* seq outside [s_min, s_max] */
	SV_E_NOMEM,    /* allocation failed or limit exceeded */
	SV_E_NOCOMMON, /* no seq that k volumes can all restore */
	SV_E_TIMEOUT,  /* a peer operation missed its deadline */
	SV_E_REFUSED,  /* the peer LUN may not hold shares */
	SV_E_TLS,      /* TLS transport: key not pinned, peer not TLS */
	SV_E__COUNT,
};

struct sv_status {
	enum sv_err code;
	char msg[200];
};

const char *sv_err_name(enum sv_err e);
/* Sets st (if not NULL) and returns ret. printf-style message. */
int sv_fail(struct sv_status *st, enum sv_err e, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Decoded superblock plus the layout derived from it. */
struct sv_info {
	uint8_t uuid[16];
	unsigned k, n, index, flags;
	uint64_t gen;
	uint32_t block_size, align, share_size, slot_size;
	uint64_t nblocks;
	uint64_t journal_off, journal_len, data_off;
	uint64_t format_ns, write_ns;
	uint64_t ckpt_seq, ckpt_ns, apply_seq, apply_ns;
	uint64_t jtail_pos;
	uint64_t epoch;
	uint32_t live_mask, retain_s;
	uint64_t base_nblocks; /* size as of ckpt_seq if it grew since, or 0 */
};

/* What a new share volume is made of. */
struct sv_params {
	uint8_t uuid[16];
	unsigned k, n, index;
	uint32_t block_size; /* volume block: 512 or 4096 */
	uint64_t nblocks;
	uint32_t align;	      /* peer LUN block size: 512 .. 4096, pow2 */
	uint64_t journal_len; /* rounded up to align */
	uint32_t retain_s;
	uint64_t start_seq; /* seq the (zeroed) data area represents */
	uint64_t start_ns;
	uint64_t epoch;
	uint32_t live_mask;
};

/* ---- layout ---- */
/* Fills the layout of info (sizes, offsets, seqs) from p; -EINVAL if out
 * of range. */
int sv_layout_init(struct sv_info *info, const struct sv_params *p,
		   uint64_t now_ns, struct sv_status *st);
/* Bytes the LUN must have for this layout. */
uint64_t sv_layout_end(const struct sv_info *info);
static inline uint64_t sv_slot_off(const struct sv_info *info, uint64_t lba)
{
	return info->data_off + lba * info->slot_size;
}
/* Physical offset of ring position pos. */
static inline uint64_t sv_ring_off(const struct sv_info *info, uint64_t pos)
{
	return info->journal_off + pos % info->journal_len;
}
/* Bytes from pos to the end of the ring's lap. */
static inline uint64_t sv_ring_room(const struct sv_info *info, uint64_t pos)
{
	return info->journal_len - pos % info->journal_len;
}

/* ---- superblock ---- */
void sv_super_encode(const struct sv_info *info, void *buf /* 512 */);
/*
 * Decodes one copy. With len < SV_SUPER_SIZE or anything wrong: -EBADMSG,
 * st names it. capacity (0 = unknown) is checked against the layout.
 */
int sv_super_decode(const void *buf, size_t len, uint64_t capacity,
		    struct sv_info *info, struct sv_status *st);
/*
 * Picks the valid copy with the higher gen (copies of different volumes or
 * indexes: -EBADMSG). *which = 0 or 1. st tells why a copy was ignored if
 * neither is valid.
 */
int sv_super_pick(const void *c0, const void *c1, uint64_t capacity,
		  struct sv_info *info, int *which, struct sv_status *st);

/* ---- blob ---- */
static inline uint64_t sv_blob_off(unsigned type, unsigned copy)
{
	return SV_BLOB_OFF + ((uint64_t)(type - 1) * 2 + copy) * SV_BLOB_AREA;
}
/* Encodes header + payload into buf (SV_BLOB_HDR_SIZE + len, rounded up to
 * align by the caller). */
int sv_blob_encode(const struct sv_info *info, void *buf, size_t cap,
		   unsigned type, uint64_t gen, const void *data, uint32_t len);
struct sv_blob {
	uint64_t gen;
	uint32_t len;
	const uint8_t *data; /* points into the decoded buffer */
};
int sv_blob_decode(const struct sv_info *info, const void *buf, size_t len,
		   unsigned type, struct sv_blob *out, struct sv_status *st);

/* ---- journal records ---- */
struct sv_rec {
	unsigned type, index;
	uint32_t rec_len, nent;
	uint64_t pos, seq, prev_seq, time_ns;
	uint64_t grow_nblocks; /* SV_REC_GROW: the size from seq on */
};
struct sv_ent {
	uint64_t lba, gen;
	unsigned flags;
	uint32_t crc;
	uint32_t share_off; /* offset of the share in the record (0 if ZERO) */
};
/* One block of a share batch: its share, or NULL for a zero block. */
struct sv_share_ent {
	uint64_t lba, gen;
	const uint8_t *share; /* info->share_size bytes */
};

/* Record bytes for nent entries of which nzero are zero blocks (0 if too
 * large). */
uint32_t sv_rec_size(const struct sv_info *info, unsigned nent, unsigned nzero);
/* Encodes a SHARES record (or a WRAP record with nent 0) into buf, which
 * has sv_rec_size() bytes. */
int sv_rec_encode(const struct sv_info *info, void *buf, size_t cap,
		  unsigned type, uint64_t pos, uint64_t seq, uint64_t prev_seq,
		  uint64_t time_ns, const struct sv_share_ent *ents,
		  unsigned nent);
/* Bytes of a record's header + entry table given its first align unit
 * (0 if the header is not even plausible). */
uint32_t sv_rec_meta_len(const struct sv_info *info, const void *first,
			 size_t len);
/*
 * Checks the header and entry table (buf holds at least the meta length;
 * rec_len bytes before sv_rec_check_shares())
 * against the volume and the expected ring position. -EBADMSG for anything
 * that is not the record expected at pos (stale lap, torn, foreign).
 */
int sv_rec_decode(const struct sv_info *info, const void *buf, size_t len,
		  uint64_t pos, struct sv_rec *rec, struct sv_status *st);
/* Entry j of a record decode() accepted; call for j = 0, 1, ... in order
 * (*next_share is the running share offset, set at j = 0). */
void sv_rec_entry(const struct sv_info *info, const void *buf,
		  const struct sv_rec *rec, unsigned j, uint32_t *next_share,
		  struct sv_ent *ent);
/* Checks every share of a whole record (buf holds rec_len bytes): CRC
 * and codec header (index, split id = gen). */
int sv_rec_check_shares(const struct sv_info *info, const void *buf,
			const struct sv_rec *rec, struct sv_status *st);
/* Checks one share's codec header against the entry. */
int sv_share_check(const struct sv_info *info, const uint8_t *share,
		   uint64_t gen, struct sv_status *st);

/* ---- slots ---- */
enum sv_slot_kind {
	SV_SLOT_EMPTY, /* never written: the block is zero */
	SV_SLOT_ZERO,  /* written as a zero block */
	SV_SLOT_SHARE, /* holds a share */
};
struct sv_slot {
	enum sv_slot_kind kind;
	uint64_t gen, seq;
};
/* Encodes the slot of lba into buf (slot_size bytes). share NULL = zero. */
void sv_slot_encode(const struct sv_info *info, void *buf, uint64_t lba,
		    uint64_t gen, uint64_t seq, const uint8_t *share);
/* buf holds slot_size bytes read from the slot of lba. The share is at
 * buf + SV_SLOT_HDR_SIZE. */
int sv_slot_decode(const struct sv_info *info, const void *buf, uint64_t lba,
		   struct sv_slot *out, struct sv_status *st);

/* ---- reader ---- */
/* Synchronous positioned read of len bytes; 0 or a negative errno. */
struct sv_read_io {
	int (*read)(void *arg, uint64_t off, void *buf, size_t len);
	void *arg;
	uint64_t capacity; /* LUN bytes */
};
/* What the caller expects; NULL uuid / index < 0: anything. */
struct sv_expect {
	const uint8_t *uuid;
	int index;
};
/* The seqs one share volume can restore, for sv_common_seq(). */
struct sv_range {
	unsigned index;
	bool usable; /* false: resync flag set */
	uint64_t s_min, s_max;
	uint64_t t_max_ns; /* time of s_max */
	uint64_t epoch;
	uint32_t live_mask;
};
/* One journal record the scan accepted. */
struct sv_jrec {
	uint64_t pos, seq, time_ns;
	uint32_t rec_len, nent;
	uint64_t grow_nblocks; /* SV_REC_GROW: the size from seq on, else 0 */
};

struct sv_reader;
/*
 * Reads the superblocks, blobs' headers and the whole journal (every share
 * CRC is checked, so a torn tail ends the journal). Memory is bounded by
 * the journal size (an index entry per journal block entry, at most
 * SV_READER_MAX_ENTRIES).
 */
#define SV_READER_MAX_ENTRIES (4U << 20)
int sv_reader_open(struct sv_reader **rp, const struct sv_read_io *io,
		   const struct sv_expect *exp, struct sv_status *st);
void sv_reader_free(struct sv_reader *r);
const struct sv_info *sv_reader_info(const struct sv_reader *r);
void sv_reader_range(const struct sv_reader *r, struct sv_range *out);
/* Journal records after the checkpoint, oldest first; *head_pos is where
 * the next record goes. */
const struct sv_jrec *sv_reader_journal(const struct sv_reader *r,
					unsigned *count, uint64_t *head_pos);
/* Calls fn for every journal entry the scan accepted (reprotect: the
 * blocks written after a point and the generations already used). */
void sv_reader_entries(const struct sv_reader *r,
		       void (*fn)(void *arg, uint64_t lba, uint64_t seq,
				  uint64_t gen),
		       void *arg);
/* The volume's size in blocks as of seq (a volume that grew after seq
 * gives its old size; SV_REC_GROW). */
uint64_t sv_reader_nblocks_at(const struct sv_reader *r, uint64_t seq);
/* Newest restorable seq whose record time is <= time_ns (-ERANGE if the
 * volume cannot go back that far). */
int sv_reader_seq_before(const struct sv_reader *r, uint64_t time_ns,
			 uint64_t *seq);
/*
 * Share of block lba as of seq: *kind SV_SLOT_EMPTY/ZERO (out untouched)
 * or SV_SLOT_SHARE (out gets share_size bytes, checked). *gen = 0 for
 * EMPTY.
 */
int sv_reader_block(struct sv_reader *r, uint64_t lba, uint64_t seq,
		    uint8_t *out, enum sv_slot_kind *kind, uint64_t *gen,
		    struct sv_status *st);
/*
 * The same, with the slot of lba already read into slot_buf (slot_size
 * bytes, e.g. from one large read of many slots: a restore streams the
 * data area); only a journal share is read. slot_buf NULL: read it.
 * out may be slot_buf + SV_SLOT_HDR_SIZE: the share is decoded in place.
 */
int sv_reader_block_slot(struct sv_reader *r, uint64_t lba, uint64_t seq,
			 const uint8_t *slot_buf, uint8_t *out,
			 enum sv_slot_kind *kind, uint64_t *gen,
			 struct sv_status *st);
/* Newest valid copy of a blob into buf (cap >= SV_BLOB_MAX); -ENOENT if
 * none was ever written. */
int sv_reader_blob(struct sv_reader *r, unsigned type, void *buf, size_t cap,
		   uint32_t *len, struct sv_status *st);

/*
 * Newest seq <= limit (0 = none) that at least k of the count volumes can
 * all restore. Volumes whose index is not in the live_mask of the newest
 * epoch among them, unusable ones and duplicate indexes are left out.
 * *mask gets the array positions that can serve it. -ENOENT (st:
 * SV_E_NOCOMMON, naming the blocking volume) if there is none.
 */
int sv_common_seq(const struct sv_range *r, unsigned count, unsigned k,
		  uint64_t limit, uint64_t *seq, uint32_t *mask,
		  struct sv_status *st);

#endif
