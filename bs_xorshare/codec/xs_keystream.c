// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Keyed AES-128-CTR for deterministic splits: the volume key is fixed, the
 * IV is nonce || block counter, and every call seeks to its own counter so
 * that any random piece (or any part of it) can be computed alone. VAES when
 * the CPU has it, else OpenSSL EVP with the IV reset per call; both give
 * the same stream (checked by a unit test).
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "xs_internal.h"

#define XS_KS_ZERO (4u << 10)

static const uint8_t ks_zero[XS_KS_ZERO];

int xs_key_generate(uint8_t key[XS_KEY_SIZE])
{
	if (!key)
		return -EINVAL;
	return xs_entropy(key, XS_KEY_SIZE);
}

int xs_ks_set_key(struct xs_ks *ks, const uint8_t key[XS_KEY_SIZE])
{
	if (!ks->evp) {
		ks->evp = EVP_CIPHER_CTX_new();
		if (!ks->evp)
			return -ENOMEM;
	}
	ks->set = false;
	if (EVP_EncryptInit_ex(ks->evp, EVP_aes_128_ctr(), NULL, key, NULL) !=
	    1)
		return -EIO;
	ks->vaes = !xs_rng_force_openssl_get() && xs_aes_vaes_usable();
	if (ks->vaes)
		xs_aes128_expand(key, ks->rk);
	ks->set = true;
	return 0;
}

void xs_ks_fini(struct xs_ks *ks)
{
	if (ks->evp)
		EVP_CIPHER_CTX_free(ks->evp);
	ks->evp = NULL;
	ks->set = false;
	OPENSSL_cleanse(ks->rk, sizeof(ks->rk));
}

static void be64(uint8_t *p, uint64_t v)
{
	unsigned i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

int xs_ks_xor(struct xs_ks *ks, uint64_t nonce, uint64_t ctr, const uint8_t *in,
	      uint8_t *out, size_t len)
{
	uint8_t iv[16];
	int outl;

	if (!ks->set)
		return -EINVAL;
	if (ks->vaes) {
		xs_aes128_ctr_vaes(ks->rk, nonce, &ctr, in, out, len);
		return 0;
	}
	be64(iv, nonce);
	be64(iv + 8, ctr);
	/* NULL cipher and key: keep the key schedule, reset the IV */
	if (EVP_EncryptInit_ex(ks->evp, NULL, NULL, NULL, iv) != 1)
		return -EIO;
	while (len) {
		size_t c = len > XS_KS_ZERO ? XS_KS_ZERO : len;

		if (EVP_EncryptUpdate(ks->evp, out, &outl, in ? in : ks_zero,
				      (int)c) != 1 ||
		    (size_t)outl != c)
			return -EIO;
		out += c;
		if (in)
			in += c;
		len -= c;
	}
	return 0;
}
