// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Integrity checks: CRC32C (SSE4.2 when present) for share headers, and the
 * 128-bit check of the secret that is appended to it before splitting.
 *
 * XS_CHECK_CRC4 runs four independent CRC32C lanes over the secret's four
 * quarters: the crc32 instruction has a 3-cycle latency but 1-cycle
 * throughput, so four chains keep it busy (~8 bytes/cycle) and a SHA-256 pass
 * (~1.8 GB/s here) would otherwise halve split speed. It detects corruption,
 * not tampering; XS_CHECK_SHA256 is there for those who want a non-linear
 * check at that cost.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "xs_internal.h"

#define CRC32C_POLY 0x82f63b78u

static uint32_t crc_table[256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;
static int have_sse42 = -1;

static void crc_table_init(void)
{
	uint32_t i, b, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (b = 0; b < 8; b++)
			c = (c >> 1) ^ (c & 1 ? CRC32C_POLY : 0);
		crc_table[i] = c;
	}
}

static uint32_t crc_sw(uint32_t crc, const uint8_t *p, size_t len)
{
	pthread_once(&table_once, crc_table_init);
	while (len--)
		crc = (crc >> 8) ^ crc_table[(crc ^ *p++) & 0xff];
	return crc;
}

__attribute__((target("sse4.2"))) static uint32_t
crc_hw(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc, v;

	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
	}
	crc = (uint32_t)c;
	while (len--)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return crc;
}

__attribute__((target("sse4.2"))) static void
crc_hw4(uint32_t c[4], const uint8_t *const p[4], const size_t len[4])
{
	uint64_t c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3], v0, v1, v2, v3;
	size_t off, common = len[0];
	unsigned t;

	for (t = 1; t < 4; t++)
		common = len[t] < common ? len[t] : common;
	common &= ~(size_t)7;
	for (off = 0; off < common; off += 8) {
		memcpy(&v0, p[0] + off, 8);
		memcpy(&v1, p[1] + off, 8);
		memcpy(&v2, p[2] + off, 8);
		memcpy(&v3, p[3] + off, 8);
		c0 = __builtin_ia32_crc32di(c0, v0);
		c1 = __builtin_ia32_crc32di(c1, v1);
		c2 = __builtin_ia32_crc32di(c2, v2);
		c3 = __builtin_ia32_crc32di(c3, v3);
	}
	c[0] = crc_hw((uint32_t)c0, p[0] + off, len[0] - off);
	c[1] = crc_hw((uint32_t)c1, p[1] + off, len[1] - off);
	c[2] = crc_hw((uint32_t)c2, p[2] + off, len[2] - off);
	c[3] = crc_hw((uint32_t)c3, p[3] + off, len[3] - off);
}

static bool use_sse42(void)
{
	int h = __atomic_load_n(&have_sse42, __ATOMIC_RELAXED);

	if (h < 0) {
		__builtin_cpu_init();
		h = __builtin_cpu_supports("sse4.2") ? 1 : 0;
		__atomic_store_n(&have_sse42, h, __ATOMIC_RELAXED);
	}
	return h;
}

uint32_t xs_crc32c(uint32_t crc, const void *buf, size_t len)
{
	crc = ~crc;
	crc = use_sse42() ? crc_hw(crc, buf, len) : crc_sw(crc, buf, len);
	return ~crc;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void check_crc4(const uint8_t *data, size_t len,
		       uint8_t out[XS_CHECK_SIZE])
{
	const uint8_t *p[4];
	size_t l[4], q = len / 4;
	uint32_t c[4];
	unsigned t;

	for (t = 0; t < 4; t++) {
		p[t] = data + t * q;
		l[t] = t == 3 ? len - 3 * q : q;
		/* distinct seeds: equal quarters must not give equal lanes,
		 * and the length is bound in so truncation shows */
		c[t] = ~(0x9e3779b9u * (t + 1) ^ (uint32_t)len);
	}
	if (use_sse42()) {
		crc_hw4(c, p, l);
	} else {
		for (t = 0; t < 4; t++)
			c[t] = crc_sw(c[t], p[t], l[t]);
	}
	for (t = 0; t < 4; t++)
		put_le32(out + 4 * t, ~c[t]);
}

static int check_sha256(const uint8_t *data, size_t len,
			uint8_t out[XS_CHECK_SIZE])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen < XS_CHECK_SIZE)
		return -EIO;
	memcpy(out, md, XS_CHECK_SIZE);
	return 0;
}

int xs_check_compute(enum xs_check alg, const uint8_t *data, size_t len,
		     uint8_t out[XS_CHECK_SIZE])
{
	if (alg == XS_CHECK_SHA256)
		return check_sha256(data, len, out);
	check_crc4(data, len, out);
	return 0;
}
