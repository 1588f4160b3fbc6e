/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the xorshare codec, shared by its files, the unit tests and
 * the benchmark. Not an API for other layers: use xorshare.h.
 */
#ifndef TGTX_XS_INTERNAL_H
#define TGTX_XS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xorshare.h"

/* Largest prime any n <= XS_MAX_N needs (n = 14..16 -> 17). */
#define XS_MAX_P 17
/* Share pieces a decoder sees: k * (p - 1). */
#define XS_MAX_WPIECES (XS_MAX_N * (XS_MAX_P - 1))
/* Unknowns of the decoding system: p-1 secret + (k-1)*p random pieces. */
#define XS_MAX_UNKNOWNS ((XS_MAX_P - 1) + (XS_MAX_N - 1) * XS_MAX_P)

/* Piece sizes are multiples of this so the 64-bit fallback has no tail. */
#define XS_PIECE_ALIGN 8

/*
 * The scheme, in one place: share i (0..n-1), piece j (0..p-2) is
 *   w(i,j) = s[(j - i) mod p]  XOR  XOR_{h=0}^{k-2} r[h][(j + h*i) mod p]
 * where s[0] is the all-zero dummy piece and s[1..p-1] the secret pieces.
 * Split, the reference and the plan builder all use these two functions.
 */
static inline unsigned xs_s_index(unsigned p, unsigned i, unsigned j)
{
	return (j + p - i % p) % p;
}

static inline unsigned xs_r_index(unsigned p, unsigned h, unsigned i,
				  unsigned j)
{
	return (j + h * i) % p;
}

unsigned xs_prime_for(unsigned n);
/* Piece size for a secret of len bytes and n shares (0 if out of range). */
size_t xs_piece_size(unsigned n, size_t len);

/* ---- decode plans (xs_plan.c) ---- */

/*
 * Rebuilds secret piece `out` (1..p-1) as the XOR of an already rebuilt
 * secret piece `base` (0 = none) and `nterm` share pieces from terms[first..].
 * A share piece is numbered t * (p-1) + j for the t-th chosen share (shares
 * sorted by index) and its piece j.
 */
struct xs_op {
	uint8_t out;
	uint8_t base;
	uint16_t first;
	uint16_t nterm;
};

struct xs_plan {
	unsigned k;
	unsigned p;
	uint32_t key; /* bit i set: share index i used */
	unsigned nops;
	struct xs_op op[XS_MAX_P - 1];
	unsigned nterms;
	uint16_t terms[(XS_MAX_P - 1) * XS_MAX_WPIECES];
};

/* idx: k distinct share indices in increasing order. -EINVAL if they
 * cannot rebuild the secret (never happens for valid k,n). */
int xs_plan_build(struct xs_plan *pl, unsigned k, unsigned p,
		  const unsigned idx[]);
/* Linear-algebra check: true if the shares idx[0..cnt-1] (increasing) give
 * any information about the secret, i.e. some XOR of their pieces is free
 * of randomness and not identically zero on the secret. */
bool xs_scheme_leaks(unsigned k, unsigned p, const unsigned idx[],
		     unsigned cnt);

/* ---- data path cores (xs_core.c), all pieces len bytes ---- */

/* spiece[1..p-1]: secret pieces (spiece[0] unused, the dummy is zero);
 * rpiece[h*p + m]: random piece r[h][m]; wpiece[i*(p-1) + j]: outputs. */
void xs_split_core(unsigned k, unsigned n, unsigned p,
		   const uint8_t *const spiece[], const uint8_t *const rpiece[],
		   uint8_t *const wpiece[], size_t len);
/* wpiece[t*(p-1) + j]: pieces of the plan's shares; spiece[1..p-1] out. */
void xs_combine_core(const struct xs_plan *pl, const uint8_t *const wpiece[],
		     uint8_t *const spiece[], size_t len);

/* ---- XOR kernels (xs_xor.c, xs_xor_avx2.c) ---- */

/* dst = src[0] ^ src[1] ^ ... ^ src[nsrc-1]; nsrc >= 1; dst may be src[0]. */
void xs_xor_sources(uint8_t *dst, const uint8_t *const src[], unsigned nsrc,
		    size_t len);
void xs_xor_sources_portable(uint8_t *dst, const uint8_t *const src[],
			     unsigned nsrc, size_t len);
void xs_xor_sources_avx2(uint8_t *dst, const uint8_t *const src[],
			 unsigned nsrc, size_t len);
/* Forces the portable kernel (tests); returns the previous setting. */
bool xs_xor_force_portable(bool on);

/* ---- CSPRNG (xs_rng.c) ---- */

struct xs_rng {
	void *evp;	 /* EVP_CIPHER_CTX, used without VAES */
	uint8_t rk[176]; /* AES-128 round keys for the VAES path */
	uint64_t nonce;	 /* IV bytes 0..7, big-endian */
	uint64_t ctr;	 /* next block number (IV bytes 8..15) */
	uint64_t since_key;
	unsigned fork_gen;
	bool fixed;
	bool vaes;
};

int xs_rng_init(struct xs_rng *r);
/* getrandom(2) until len bytes are filled. 0 or a negative errno. */
int xs_entropy(void *buf, size_t len);
/* Deterministic stream for tests only: never reseeds. */
int xs_rng_init_fixed(struct xs_rng *r, const uint8_t key[16]);
void xs_rng_fini(struct xs_rng *r);
/* Overwrites buf with fresh random bytes. */
int xs_rng_fill(struct xs_rng *r, void *buf, size_t len);

/* ---- keyed keystream for deterministic splits (xs_keystream.c) ---- */

struct xs_ks {
	void *evp;	 /* EVP_CIPHER_CTX keyed once, used without VAES */
	uint8_t rk[176]; /* AES-128 round keys for the VAES path */
	bool vaes;
	bool set;
};

int xs_ks_set_key(struct xs_ks *ks, const uint8_t key[XS_KEY_SIZE]);
void xs_ks_fini(struct xs_ks *ks);
/* out = in XOR keystream from IV = nonce || ctr (in NULL: keystream only;
 * in == out allowed). */
int xs_ks_xor(struct xs_ks *ks, uint64_t nonce, uint64_t ctr, const uint8_t *in,
	      uint8_t *out, size_t len);

/* ---- where a split's random pieces come from (xs_source.c) ---- */

/*
 * Test-only random source: fills buf with bytes [off, off+len) of random
 * piece rp (= h*p + m) of the split with this nonce (the split id for
 * xs_split). When set, xs_split, xs_split_nonce, xs_share_derive and
 * xs_derive_blocks draw every random byte from it, through the same code
 * as in production, so the exhaustive perfectness tests cover that code.
 */
typedef int (*xs_rng_hook_fn)(void *arg, uint64_t nonce, unsigned rp,
			      size_t off, uint8_t *buf, size_t len);
void xs_ctx_set_rng_hook(struct xs_ctx *ctx, xs_rng_hook_fn fn, void *arg);

struct xs_src {
	bool keyed;	       /* (key, nonce) stream, else the CSPRNG */
	uint64_t nonce;	       /* keyed nonce, or split id */
	uint64_t piece_blocks; /* keyed: AES blocks per random piece */
};

/*
 * out = in XOR bytes [off, off+len) of random piece rp (in NULL: the
 * random bytes alone; in == out allowed). off is a multiple of 16 so a
 * keyed stream seeks to a whole block. The CSPRNG source ignores rp/off:
 * each call takes the next fresh bytes.
 */
int xs_src_piece(struct xs_ctx *ctx, const struct xs_src *src, unsigned rp,
		 size_t off, const uint8_t *in, uint8_t *out, size_t len);

/* ---- context (xs_ctx.c) ---- */

#define XS_PLAN_CACHE 4

struct xs_ctx {
	unsigned k, n, p;
	enum xs_check check;
	size_t max_secret;
	size_t max_piece;
	size_t stripe; /* bytes of each piece handled per pass */
	struct xs_rng rng;
	uint8_t *rnd;  /* (k-1)*p random pieces of one stripe */
	uint8_t *tail; /* payload pieces that reach past the secret */
	size_t tail_cap;
	struct xs_plan *plans;
	unsigned nplans, next_plan;
	struct xs_ks ks;
	xs_rng_hook_fn hook;
	void *hook_arg;
};

/* Plan for k increasing share indices, from the cache or built into it. */
const struct xs_plan *xs_ctx_plan(struct xs_ctx *ctx, const unsigned idx[]);

/*
 * Payload geometry for a secret of len bytes: pieces 1..full lie inside the
 * secret; the rest (tail_len bytes from payload offset full*piece) live in
 * ctx->tail with the check and zero padding.
 */
struct xs_geom {
	size_t piece;
	unsigned full;
	size_t tail_start;
	size_t tail_len;
};

int xs_geom(const struct xs_ctx *ctx, size_t len, struct xs_geom *g);

/*
 * Prepares the payload of secret for a split (xs_split.c): builds the tail
 * (secret end, check, padding) in ctx->tail and points spiece[1..p-1] at
 * the payload pieces (spiece[0] = NULL, the zero dummy).
 */
int xs_payload(struct xs_ctx *ctx, const uint8_t *secret, size_t len,
	       const struct xs_geom *g, const uint8_t *spiece[]);

/* ---- AES-128-CTR with VAES (xs_aes_vaes.c) ---- */

bool xs_aes_vaes_usable(void);
void xs_aes128_expand(const uint8_t key[16], uint8_t out[176]);
/* Keystream of IV = nonce || ctr (big-endian), XORed with in unless in is
 * NULL, into out (in == out allowed); advances *ctr. */
void xs_aes128_ctr_vaes(const uint8_t rk[176], uint64_t nonce, uint64_t *ctr,
			const uint8_t *in, uint8_t *out, size_t len);
/* Forces the OpenSSL path (tests); returns the previous setting. */
bool xs_rng_force_openssl(bool on);
bool xs_rng_force_openssl_get(void);

/* ---- checks and header (xs_check.c, xs_format.c) ---- */

uint32_t xs_crc32c(uint32_t crc, const void *buf, size_t len);
int xs_check_compute(enum xs_check alg, const uint8_t *data, size_t len,
		     uint8_t out[XS_CHECK_SIZE]);
void xs_hdr_write(uint8_t *hdr, const struct xs_share_info *info);

/* ---- Shamir over GF(2^8), benchmark reference (xs_shamir_ref.c) ---- */

/* Share i is the polynomial evaluated at x = i + 1; coef: (k-1)*len bytes
 * of workspace. */
int xs_shamir_split(struct xs_rng *rng, unsigned k, unsigned n,
		    const uint8_t *secret, size_t len, uint8_t *const shares[],
		    uint8_t *coef);
/* idx: k distinct share indices (x = idx + 1). */
int xs_shamir_combine(unsigned k, const unsigned idx[],
		      const uint8_t *const shares[], size_t len, uint8_t *out);

/* ---- reference on abstract pieces (xs_ref.c) ---- */

/*
 * One value per piece (e.g. 1- or 2-bit pieces held in bytes): s[0..p-1]
 * (s[0] ignored, treated as 0), r[h*p + m], w[i*(p-1) + j] out.
 */
void xs_ref_split(unsigned k, unsigned n, unsigned p, const uint8_t *s,
		  const uint8_t *r, uint8_t *w);
/* w[t*(p-1) + j] for the plan's shares; writes s[1..p-1], s[0] = 0. */
void xs_ref_combine(const struct xs_plan *pl, const uint8_t *w, uint8_t *s);

#endif
