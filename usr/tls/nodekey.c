// SPDX-License-Identifier: GPL-2.0-or-later
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/crc32c.h"
#include "core/fileio.h"
#include "core/hex.h"
#include "nodekey.h"
#include "nodekey_format.h"

static int nodekey_fill(struct nodekey *k, EVP_PKEY *pkey)
{
	size_t len = NODEKEY_PUB_SIZE;

	if (EVP_PKEY_get_raw_public_key(pkey, k->pub, &len) != 1 ||
	    len != NODEKEY_PUB_SIZE) {
		EVP_PKEY_free(pkey);
		return -EINVAL;
	}
	k->pkey = pkey;
	nodekey_id_of(k->pub, k->id);
	return 0;
}

int nodekey_generate(struct nodekey *k)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	memset(k, 0, sizeof(*k));
	if (!pkey)
		return -ENOMEM;
	return nodekey_fill(k, pkey);
}

int nodekey_from_private(struct nodekey *k, const uint8_t priv[32])
{
	EVP_PKEY *pkey;

	memset(k, 0, sizeof(*k));
	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, 32);
	if (!pkey)
		return -EINVAL;
	return nodekey_fill(k, pkey);
}

int nodekey_private(const struct nodekey *k, uint8_t priv[32])
{
	size_t len = 32;

	if (!k->pkey ||
	    EVP_PKEY_get_raw_private_key(k->pkey, priv, &len) != 1 || len != 32)
		return -EINVAL;
	return 0;
}

void nodekey_free(struct nodekey *k)
{
	EVP_PKEY_free(k->pkey);
	memset(k, 0, sizeof(*k));
}

const char *nodekey_strerror(int err)
{
	if (err == -EBADMSG)
		return "corrupt";
	if (err == -EPERM)
		return "readable by group or others (chmod 600)";
	return strerror(-err);
}

/* path split into directory and name for write_file_atomic() */
static int key_write(const char *path, const struct nodekey_disk *d,
		     bool exclusive)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (!slash)
		return write_file_atomic(".", path, d, sizeof(*d), 0600,
					 exclusive);
	if ((size_t)(slash - path) >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = 0;
	return write_file_atomic(slash == path ? "/" : dir, slash + 1, d,
				 sizeof(*d), 0600, exclusive);
}

/* the whole (small) file and its mode; 0 or -errno */
static int key_read(const char *path, struct nodekey_disk *d, mode_t *mode)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		n = -errno;
	} else if (!S_ISREG(st.st_mode) || st.st_size != sizeof(*d)) {
		n = -EBADMSG;
	} else {
		*mode = st.st_mode;
		n = pread_upto(fd, d, sizeof(*d), 0);
		if (n >= 0)
			n = n == sizeof(*d) ? 0 : -EBADMSG;
	}
	close(fd);
	return (int)n;
}

static int key_save(const struct nodekey *k, const char *path, bool exclusive)
{
	struct nodekey_disk d;
	int ret;

	memset(&d, 0, sizeof(d));
	d.magic = htole32(NODEKEY_MAGIC);
	d.version = htole16(NODEKEY_VERSION);
	ret = nodekey_private(k, d.priv);
	if (ret)
		return ret;
	memcpy(d.pub, k->pub, sizeof(d.pub));
	d.crc = htole32(crc32c(0, &d, offsetof(struct nodekey_disk, crc)));
	ret = key_write(path, &d, exclusive);
	OPENSSL_cleanse(&d, sizeof(d));
	return ret;
}

int nodekey_save(const struct nodekey *k, const char *path)
{
	return key_save(k, path, false);
}

int nodekey_load(const char *path, struct nodekey *k)
{
	struct nodekey_disk d;
	mode_t mode = 0;
	int ret;

	memset(k, 0, sizeof(*k));
	ret = key_read(path, &d, &mode);
	if (ret) {
		OPENSSL_cleanse(&d, sizeof(d));
		return ret;
	}
	if (mode & 077)
		ret = -EPERM;
	else if (le32toh(d.magic) != NODEKEY_MAGIC ||
		 le16toh(d.version) != NODEKEY_VERSION ||
		 le32toh(d.crc) !=
			 crc32c(0, &d, offsetof(struct nodekey_disk, crc)))
		ret = -EBADMSG;
	else
		ret = nodekey_from_private(k, d.priv);
	if (!ret && memcmp(k->pub, d.pub, sizeof(d.pub))) {
		nodekey_free(k);
		ret = -EBADMSG;
	}
	OPENSSL_cleanse(&d, sizeof(d));
	return ret;
}

int nodekey_load_or_create(const char *path, struct nodekey *k, bool *created)
{
	int ret = nodekey_load(path, k);

	*created = false;
	if (ret != -ENOENT)
		return ret;
	ret = nodekey_generate(k);
	if (ret)
		return ret;
	/* exclusive: a racing creator's key wins, and both use it */
	ret = key_save(k, path, true);
	nodekey_free(k);
	if (ret == -EEXIST)
		return nodekey_load(path, k);
	if (ret)
		return ret;
	ret = nodekey_load(path, k);
	*created = !ret;
	return ret;
}

int nodekey_sign(const struct nodekey *k, const uint8_t *msg, size_t len,
		 uint8_t sig[NODEKEY_SIG_SIZE])
{
	EVP_MD_CTX *ctx;
	size_t siglen = NODEKEY_SIG_SIZE;
	int ok;

	if (!k->pkey)
		return -EINVAL;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
	     EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 &&
	     siglen == NODEKEY_SIG_SIZE;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

bool nodekey_verify(const uint8_t pub[NODEKEY_PUB_SIZE], const uint8_t *msg,
		    size_t len, const uint8_t sig[NODEKEY_SIG_SIZE])
{
	EVP_PKEY *pkey;
	EVP_MD_CTX *ctx;
	bool ok = false;

	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
					   NODEKEY_PUB_SIZE);
	if (!pkey)
		return false;
	ctx = EVP_MD_CTX_new();
	if (ctx)
		ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
		     EVP_DigestVerify(ctx, sig, NODEKEY_SIG_SIZE, msg, len) ==
			     1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return ok;
}

void gossip_sha256(const void *buf, size_t len, uint8_t out[32])
{
	unsigned int olen = 32;

	if (EVP_Digest(buf, len, out, &olen, EVP_sha256(), NULL) != 1)
		abort(); /* only fails without memory or a broken libcrypto */
}

void nodekey_id_of(const uint8_t pub[NODEKEY_PUB_SIZE],
		   uint8_t id[NODEKEY_ID_SIZE])
{
	gossip_sha256(pub, NODEKEY_PUB_SIZE, id);
}

void hex_encode(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = 0;
}

int hex_decode(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int h = hex_digit_val(s[2 * i]),
		    l = hex_digit_val(s[2 * i + 1]);

		if (h < 0 || l < 0)
			return -EINVAL;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return 0;
}
