/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xorshare: (k,n) threshold secret sharing using only XOR and cyclic index
 * shifts (Kurihara, Kiyomoto, Fukushima, Tanaka, ISC 2008). The scheme, its
 * security argument and the share format are in doc/xorshare.md.
 *
 * A context holds all workspace, the CSPRNG state and (for deterministic
 * splits) the volume key, so split, derive and combine allocate nothing.
 * Contexts are thread-compatible: use one per thread.
 * Every function returns 0 or a negative errno and never aborts:
 *   -EINVAL   bad arguments (k, n, sizes, too few distinct shares, no key)
 *   -EBADMSG  corrupt share, shares of different splits, failed check
 *   -ENOMEM   allocation failure (only in xs_ctx_new, xs_ctx_set_key)
 *   other     CSPRNG seeding failure (getrandom/OpenSSL)
 */
#ifndef TGTX_XORSHARE_H
#define TGTX_XORSHARE_H

#include <stddef.h>
#include <stdint.h>

#define XS_MIN_K 2
#define XS_MAX_N 16

/*
 * Share header, XS_HDR_SIZE bytes at the start of every share, all
 * multi-byte fields little-endian:
 *
 *   off size field
 *     0    4 magic      "XSHR"
 *     4    1 version    XS_VERSION
 *     5    1 k          threshold, XS_MIN_K..n
 *     6    1 n          number of shares, k..XS_MAX_N
 *     7    1 index      this share's index, 0..n-1
 *     8    1 check      integrity check of the secret (enum xs_check)
 *     9    3 reserved   zero
 *    12    4 secret_len length of the secret in bytes
 *    16    8 split_id   identical in all shares of one split: random
 *                       (xs_split) or the nonce (xs_split_nonce)
 *    24    4 reserved   zero
 *    28    4 hdr_crc    CRC32C of bytes 0..27
 *
 * The body follows: p-1 pieces of xs_piece_size() bytes (p = smallest
 * prime >= n), piece j of share i at body offset j * piece_size.
 */
#define XS_HDR_SIZE	     32
#define XS_MAGIC	     "XSHR"
#define XS_VERSION	     1
#define XS_HDR_OFF_VERSION   4
#define XS_HDR_OFF_K	     5
#define XS_HDR_OFF_N	     6
#define XS_HDR_OFF_INDEX     7
#define XS_HDR_OFF_CHECK     8
#define XS_HDR_OFF_SECRETLEN 12
#define XS_HDR_OFF_SPLITID   16
#define XS_HDR_OFF_CRC	     28

/* Bytes of integrity check appended to the secret before it is split. */
#define XS_CHECK_SIZE 16

/* Largest secret a share header can describe. */
#define XS_MAX_SECRET ((size_t)UINT32_MAX - 4096)

enum xs_check {
	/* four CRC32C lanes over the secret's quarters: 128 bits, fast */
	XS_CHECK_CRC4 = 1,
	/* SHA-256 truncated to 128 bits: slower, not linear */
	XS_CHECK_SHA256 = 2,
};

/* Decoded share header. */
struct xs_share_info {
	unsigned version;
	unsigned k;
	unsigned n;
	unsigned index;
	enum xs_check check;
	uint32_t secret_len;
	uint64_t split_id;
};

struct xs_ctx;

/* xs_ctx_new flags */
#define XS_F_CHECK_SHA256 0x1u /* use XS_CHECK_SHA256 for new splits */

/*
 * Creates a context for (k,n) splits of secrets up to max_secret bytes.
 * Returns 0 and sets *ctxp, or -EINVAL / -ENOMEM / a seeding error.
 */
int xs_ctx_new(struct xs_ctx **ctxp, unsigned k, unsigned n, size_t max_secret,
	       unsigned flags);
void xs_ctx_free(struct xs_ctx *ctx);

/* Size of every share (header included) for a secret of secret_len bytes
 * split into n shares; 0 if n or secret_len is out of range. */
size_t xs_share_size(unsigned n, size_t secret_len);

/*
 * Splits secret (len bytes, 1..max_secret) into the ctx's n shares.
 * shares[i] must hold xs_share_size(n, len) bytes; share i gets index i.
 * Fresh CSPRNG randomness and a fresh split id are used on every call.
 */
int xs_split(struct xs_ctx *ctx, const void *secret, size_t len,
	     uint8_t *const shares[]);

/*
 * Rebuilds a secret from count shares (any order, at least k distinct
 * indices; extra ones are ignored after their headers are checked).
 * lens[i] is the size of shares[i]. The shares must be of the ctx's k and n.
 * On success writes the secret to out (capacity out_cap) and its length to
 * *out_len. On failure out holds no secret data (it is zeroed).
 */
int xs_combine(struct xs_ctx *ctx, const uint8_t *const shares[],
	       const size_t lens[], unsigned count, void *out, size_t out_cap,
	       size_t *out_len);

/* Parses and verifies a share header (magic, version, CRC, ranges, and
 * that len matches the size implied by n and secret_len). */
int xs_share_parse(const void *share, size_t len, struct xs_share_info *info);

/*
 * ---- Deterministic splitting (doc/xorshare.md, section 5) ----
 *
 * With a per-volume key set, the randomness of a split is fixed by
 * (key, nonce): random piece r^h_m (P = piece size bytes) is the first P
 * bytes of the AES-128-CTR keystream with IV = nonce (64 bits, big-endian)
 * || counter (64 bits, big-endian) starting at counter (h*p + m) *
 * ceil(P/16). The split id in the share header is the nonce.
 *
 * The caller must never use one (key, nonce) pair for two different
 * secrets (nor for two (k,n) or lengths): shares of two secrets made with
 * the same randomness give any single share holder the XOR of the secrets
 * (a two-time pad). Splitting the same secret again with the same nonce is
 * harmless (same shares, bit for bit).
 */
#define XS_KEY_SIZE 16 /* per-volume randomness key (AES-128), secret */

/* Fresh random key from getrandom(2). 0 or a negative errno. */
int xs_key_generate(uint8_t key[XS_KEY_SIZE]);

/* Sets (or replaces) the ctx's key for xs_split_nonce / xs_share_derive /
 * xs_derive_blocks. 0, -EINVAL, -ENOMEM or -EIO (OpenSSL). */
int xs_ctx_set_key(struct xs_ctx *ctx, const uint8_t key[XS_KEY_SIZE]);

/*
 * All n shares of secret with the randomness fixed by (key, nonce): same
 * inputs -> same shares, bit for bit, whatever the CPU (VAES or OpenSSL).
 * Buffers as for xs_split. -EINVAL if no key is set.
 */
int xs_split_nonce(struct xs_ctx *ctx, uint64_t nonce, const void *secret,
		   size_t len, uint8_t *const shares[]);

/*
 * Share `index` (0..n-1) alone into share (xs_share_size(n, len) bytes):
 * bit-for-bit equal to shares[index] of xs_split_nonce with the same
 * inputs, computing only the keystream that share needs ((k-1)(p-1) of the
 * (k-1)p random pieces). -EINVAL if no key is set.
 */
int xs_share_derive(struct xs_ctx *ctx, uint64_t nonce, const void *secret,
		    size_t len, unsigned index, uint8_t *share);

/*
 * Share `index` of each of nblocks consecutive blocks: block b is
 * data + b * block_len (block_len bytes), its nonce first_nonce + b, and its
 * share goes to out + b * xs_share_size(n, block_len). Equal to nblocks
 * calls of xs_share_derive, with the checks and geometry done once.
 * The nonces must not wrap (first_nonce + nblocks - 1 <= UINT64_MAX).
 */
int xs_derive_blocks(struct xs_ctx *ctx, unsigned index, uint64_t first_nonce,
		     const void *data, size_t nblocks, size_t block_len,
		     uint8_t *out);

/*
 * All n shares of each of nblocks consecutive blocks (as xs_derive_blocks):
 * share i of block b goes to out[i] + b * xs_share_size(n, block_len).
 * Equal to nblocks calls of xs_split_nonce; for all n shares it costs less
 * than n xs_derive_blocks calls (the random pieces are computed once).
 */
int xs_split_blocks(struct xs_ctx *ctx, uint64_t first_nonce, const void *data,
		    size_t nblocks, size_t block_len, uint8_t *const out[]);

/* Which XOR kernel the dispatcher chose ("avx2" or "portable"). */
const char *xs_kernel_name(void);

#endif
