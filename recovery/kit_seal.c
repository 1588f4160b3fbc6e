// SPDX-License-Identifier: GPL-2.0-or-later
/* Sealing the kit: scrypt from the passphrase, AES-256-GCM, the file. */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "core/fileio.h"
#include "core/crc32c.h"
#include "kit.h"

#define FAIL(err, msg)                                                         \
	do {                                                                   \
		if (why)                                                       \
			*why = (msg);                                          \
		return (err);                                                  \
	} while (0)

static int kit_derive(const char *pass, const struct kit_hdr *h,
		      uint8_t key[32])
{
	uint64_t n = 1ULL << h->log2_n;
	uint32_t r = h->r, p = h->p;
	/* scrypt needs 128 r N bytes (+ 128 r p); a little slack */
	uint64_t maxmem = 128ULL * r * (n + p + 2) + (1U << 20);
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[7];
	int ok = 0;

	if (ctx) {
		params[0] = OSSL_PARAM_construct_octet_string(
			OSSL_KDF_PARAM_PASSWORD, (void *)pass, strlen(pass));
		params[1] = OSSL_PARAM_construct_octet_string(
			OSSL_KDF_PARAM_SALT, (void *)h->salt, sizeof(h->salt));
		params[2] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N,
							&n);
		params[3] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R,
							&r);
		params[4] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P,
							&p);
		params[5] = OSSL_PARAM_construct_uint64(
			OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
		params[6] = OSSL_PARAM_construct_end();
		ok = EVP_KDF_derive(ctx, key, 32, params) == 1;
	}
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -ENOMEM;
}

int kit_check_header(const uint8_t *buf, size_t len, struct kit_hdr *h,
		     const char **why)
{
	uint32_t ct;

	if (len < KIT_HDR_SIZE + KIT_TAG_SIZE)
		FAIL(-EBADMSG, "not a DR kit (too short)");
	memcpy(h, buf, sizeof(*h));
	if (le32toh(h->magic) != KIT_MAGIC)
		FAIL(-EBADMSG, "not a DR kit (magic)");
	if (le16toh(h->version) != KIT_VERSION)
		FAIL(-EBADMSG, "unknown DR kit version");
	if (le32toh(h->hdr_crc) !=
	    crc32c(0, buf, offsetof(struct kit_hdr, hdr_crc)))
		FAIL(-EBADMSG, "DR kit header damaged (CRC)");
	if (h->kdf != KIT_KDF_SCRYPT || h->cipher != KIT_CIPHER_AESGCM ||
	    h->reserved0)
		FAIL(-EBADMSG, "unknown KDF or cipher");
	if (h->log2_n < KIT_MIN_LOG2N || h->log2_n > KIT_MAX_LOG2N || !h->r ||
	    h->r > KIT_MAX_R || !h->p || h->p > KIT_MAX_P)
		FAIL(-EBADMSG, "KDF parameters out of range");
	ct = le32toh(h->ct_len);
	if (ct > KIT_MAX_PAYLOAD ||
	    (size_t)ct + KIT_HDR_SIZE + KIT_TAG_SIZE != len)
		FAIL(-EBADMSG, "DR kit length");
	return 0;
}

int kit_seal(const struct kit *k, const char *pass, const struct kit_kdf *kdf,
	     uint8_t **out, size_t *len, const char **why)
{
	uint8_t *pl = NULL, *file = NULL, key[32];
	EVP_CIPHER_CTX *c = NULL;
	struct kit_hdr h;
	size_t pl_len = 0;
	int ret, outl;

	if (!pass || strlen(pass) < 8)
		FAIL(-EINVAL, "passphrase shorter than 8 characters");
	if (kdf->log2_n < KIT_MIN_LOG2N || kdf->log2_n > KIT_MAX_LOG2N ||
	    !kdf->r || kdf->r > KIT_MAX_R || !kdf->p || kdf->p > KIT_MAX_P)
		FAIL(-EINVAL, "KDF parameters out of range");
	pl = malloc(KIT_MAX_PAYLOAD);
	if (!pl)
		return -ENOMEM;
	ret = kit_payload_encode(k, pl, KIT_MAX_PAYLOAD, &pl_len, why);
	if (ret)
		goto out;
	memset(&h, 0, sizeof(h));
	h.magic = htole32(KIT_MAGIC);
	h.version = htole16(KIT_VERSION);
	h.kdf = KIT_KDF_SCRYPT;
	h.cipher = KIT_CIPHER_AESGCM;
	h.log2_n = kdf->log2_n;
	h.r = kdf->r;
	h.p = kdf->p;
	h.ct_len = htole32((uint32_t)pl_len);
	ret = -EIO;
	if (RAND_bytes(h.salt, sizeof(h.salt)) != 1 ||
	    RAND_bytes(h.nonce, sizeof(h.nonce)) != 1)
		goto out;
	h.hdr_crc = htole32(crc32c(0, &h, offsetof(struct kit_hdr, hdr_crc)));
	ret = kit_derive(pass, &h, key);
	if (ret)
		goto out;
	file = malloc(KIT_HDR_SIZE + pl_len + KIT_TAG_SIZE);
	c = EVP_CIPHER_CTX_new();
	ret = -EIO;
	if (!file || !c)
		goto out;
	memcpy(file, &h, sizeof(h));
	if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, h.nonce) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &outl, file, KIT_HDR_SIZE) != 1 ||
	    EVP_EncryptUpdate(c, file + KIT_HDR_SIZE, &outl, pl, (int)pl_len) !=
		    1 ||
	    EVP_EncryptFinal_ex(c, file + KIT_HDR_SIZE + outl, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, KIT_TAG_SIZE,
				file + KIT_HDR_SIZE + pl_len) != 1)
		goto out;
	*out = file;
	*len = KIT_HDR_SIZE + pl_len + KIT_TAG_SIZE;
	file = NULL;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(c);
	OPENSSL_cleanse(key, sizeof(key));
	if (pl)
		OPENSSL_cleanse(pl, KIT_MAX_PAYLOAD);
	free(pl);
	free(file);
	return ret;
}

int kit_open(const uint8_t *buf, size_t len, const char *pass, struct kit *k,
	     const char **why)
{
	EVP_CIPHER_CTX *c = NULL;
	uint8_t key[32], *pl = NULL, tag[KIT_TAG_SIZE];
	struct kit_hdr h;
	size_t ct;
	int ret, outl;

	ret = kit_check_header(buf, len, &h, why);
	if (ret)
		return ret;
	ct = le32toh(h.ct_len);
	ret = kit_derive(pass, &h, key);
	if (ret)
		FAIL(ret, "scrypt failed (memory?)");
	pl = malloc(ct ? ct : 1);
	c = EVP_CIPHER_CTX_new();
	ret = -ENOMEM;
	if (!pl || !c)
		goto out;
	memcpy(tag, buf + KIT_HDR_SIZE + ct, KIT_TAG_SIZE);
	ret = -EKEYREJECTED;
	if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, h.nonce) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &outl, buf, KIT_HDR_SIZE) != 1 ||
	    EVP_DecryptUpdate(c, pl, &outl, buf + KIT_HDR_SIZE, (int)ct) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, KIT_TAG_SIZE, tag) !=
		    1 ||
	    EVP_DecryptFinal_ex(c, pl + outl, &outl) != 1) {
		if (why)
			*why = "wrong passphrase or tampered kit";
		goto out;
	}
	ret = kit_payload_decode(pl, ct, k, why);
out:
	EVP_CIPHER_CTX_free(c);
	OPENSSL_cleanse(key, sizeof(key));
	if (pl)
		OPENSSL_cleanse(pl, ct);
	free(pl);
	if (ret)
		kit_wipe(k);
	return ret;
}

int kit_write_file(const char *path, const struct kit *k, const char *pass,
		   const struct kit_kdf *kdf, const char **why)
{
	uint8_t *buf;
	size_t len;
	int ret = kit_seal(k, pass, kdf, &buf, &len, why);

	if (ret)
		return ret;
	ret = write_path_atomic(path, buf, len, 0600);
	free(buf);
	return ret;
}

int kit_read_file(const char *path, const char *pass, struct kit *k,
		  const char **why)
{
	void *buf;
	size_t len;
	int ret = read_file_max(path,
				KIT_HDR_SIZE + KIT_MAX_PAYLOAD + KIT_TAG_SIZE,
				&buf, &len, NULL);

	if (ret)
		return ret;
	ret = kit_open(buf, len, pass, k, why);
	free(buf);
	return ret;
}
