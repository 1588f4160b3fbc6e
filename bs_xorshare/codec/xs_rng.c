// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CSPRNG for the shares: AES-128-CTR (VAES, else OpenSSL EVP) keyed from
 * getrandom(), rekeyed every XS_RNG_REKEY_BYTES and in a forked child (which
 * would otherwise replay its parent's stream). The output is the keystream
 * itself (a zero block encrypted straight into the caller's buffer), so the
 * buffer's old content never matters and no zeroing pass is needed.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "xs_internal.h"

#define XS_RNG_REKEY_BYTES (256ull << 20)
#define XS_RNG_ZERO_BLOCK  (16u << 10)

static const uint8_t zero_block[XS_RNG_ZERO_BLOCK];

static unsigned fork_gen;
static bool force_openssl;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void rng_child(void)
{
	__atomic_add_fetch(&fork_gen, 1, __ATOMIC_RELAXED);
}

static void rng_register_atfork(void)
{
	pthread_atfork(NULL, NULL, rng_child);
}

int xs_entropy(void *dst, size_t len)
{
	uint8_t *buf = dst;

	while (len) {
		ssize_t got = getrandom(buf, len, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += got;
		len -= (size_t)got;
	}
	return 0;
}

/* iv: 8 bytes of nonce; the other 8 are the block counter, from 0 */
static int rng_key(struct xs_rng *r, const uint8_t key[16],
		   const uint8_t nonce[8])
{
	uint8_t iv[16] = {0};
	unsigned i;

	memcpy(iv, nonce, 8);
	if (EVP_EncryptInit_ex(r->evp, EVP_aes_128_ctr(), NULL, key, iv) != 1)
		return -EIO;
	r->vaes = !__atomic_load_n(&force_openssl, __ATOMIC_RELAXED) &&
		  xs_aes_vaes_usable();
	if (r->vaes)
		xs_aes128_expand(key, r->rk);
	r->nonce = 0;
	for (i = 0; i < 8; i++)
		r->nonce = r->nonce << 8 | nonce[i];
	r->ctr = 0;
	r->since_key = 0;
	return 0;
}

bool xs_rng_force_openssl(bool on)
{
	return __atomic_exchange_n(&force_openssl, on, __ATOMIC_RELAXED);
}

bool xs_rng_force_openssl_get(void)
{
	return __atomic_load_n(&force_openssl, __ATOMIC_RELAXED);
}

static int rng_rekey(struct xs_rng *r)
{
	uint8_t kiv[24];
	int ret;

	ret = xs_entropy(kiv, sizeof(kiv));
	if (!ret)
		ret = rng_key(r, kiv, kiv + 16);
	OPENSSL_cleanse(kiv, sizeof(kiv));
	r->fork_gen = __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
	return ret;
}

int xs_rng_init(struct xs_rng *r)
{
	int ret;

	memset(r, 0, sizeof(*r));
	pthread_once(&atfork_once, rng_register_atfork);
	r->evp = EVP_CIPHER_CTX_new();
	if (!r->evp)
		return -ENOMEM;
	ret = rng_rekey(r);
	if (ret)
		xs_rng_fini(r);
	return ret;
}

int xs_rng_init_fixed(struct xs_rng *r, const uint8_t key[16])
{
	static const uint8_t iv[8];
	int ret;

	memset(r, 0, sizeof(*r));
	r->evp = EVP_CIPHER_CTX_new();
	if (!r->evp)
		return -ENOMEM;
	r->fixed = true;
	ret = rng_key(r, key, iv);
	if (ret)
		xs_rng_fini(r);
	return ret;
}

void xs_rng_fini(struct xs_rng *r)
{
	if (r->evp)
		EVP_CIPHER_CTX_free(r->evp);
	r->evp = NULL;
	OPENSSL_cleanse(r->rk, sizeof(r->rk));
}

int xs_rng_fill(struct xs_rng *r, void *buf, size_t len)
{
	uint8_t *p = buf;
	int ret, outl;

	if (!r->evp)
		return -EINVAL;
	if (!r->fixed &&
	    (r->since_key >= XS_RNG_REKEY_BYTES ||
	     r->fork_gen != __atomic_load_n(&fork_gen, __ATOMIC_RELAXED))) {
		ret = rng_rekey(r);
		if (ret)
			return ret;
	}
	if (r->vaes) {
		xs_aes128_ctr_vaes(r->rk, r->nonce, &r->ctr, NULL, p, len);
		r->since_key += len;
		return 0;
	}
	while (len) {
		size_t chunk =
			len > XS_RNG_ZERO_BLOCK ? XS_RNG_ZERO_BLOCK : len;

		if (EVP_EncryptUpdate(r->evp, p, &outl, zero_block,
				      (int)chunk) != 1 ||
		    (size_t)outl != chunk)
			return -EIO;
		p += chunk;
		len -= chunk;
		r->since_key += chunk;
	}
	return 0;
}
