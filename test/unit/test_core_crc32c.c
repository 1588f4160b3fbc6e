// SPDX-License-Identifier: GPL-2.0-or-later
/* CRC32C: RFC 3720 appendix B.4 vectors, chaining, both implementations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <stdlib.h>

#include "core/crc32c.h"

/* RFC 3720 B.4 "iSCSI - SCSI Read (10) Command PDU" */
static const uint8_t read10_pdu[48] = {
	0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
	0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void check_vectors(void)
{
	uint8_t buf[32];

	memset(buf, 0, sizeof(buf));
	assert_int_equal(crc32c(0, buf, 32), 0x8a9136aa);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(crc32c(0, buf, 32), 0x62a8ab43);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	assert_int_equal(crc32c(0, buf, 32), 0x46dd794e);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	assert_int_equal(crc32c(0, buf, 32), 0x113fdb5c);
	assert_int_equal(crc32c(0, read10_pdu, 48), 0xd9963a56);
	/* the standard CRC-32C check value */
	assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283);
	assert_int_equal(crc32c(0, buf, 0), 0);
}

static void test_rfc3720_vectors_hw(void **state)
{
	crc32c_force_sw(false);
	check_vectors();
}

static void test_rfc3720_vectors_sw(void **state)
{
	crc32c_force_sw(true);
	check_vectors();
	crc32c_force_sw(false);
}

/* The wire carries the CRC little-endian: zeros -> aa 36 91 8a. */
static void test_wire_order(void **state)
{
	uint8_t buf[32] = {0}, wire[4];
	uint32_t c = crc32c(0, buf, sizeof(buf));

	for (int i = 0; i < 4; i++)
		wire[i] = (uint8_t)(c >> (8 * i));
	assert_int_equal(wire[0], 0xaa);
	assert_int_equal(wire[1], 0x36);
	assert_int_equal(wire[2], 0x91);
	assert_int_equal(wire[3], 0x8a);
}

static void check_chaining(void)
{
	uint8_t buf[1000];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	uint32_t whole = crc32c(0, buf, sizeof(buf));

	/* every split point, including unaligned ones and empty pieces */
	for (size_t cut = 0; cut <= sizeof(buf); cut += 37) {
		uint32_t c = crc32c(0, buf, cut);

		c = crc32c(c, buf + cut, sizeof(buf) - cut);
		assert_int_equal(c, whole);
	}
	/* unaligned start */
	assert_int_equal(crc32c(crc32c(0, buf, 1), buf + 1, 999), whole);
}

static void test_chaining(void **state)
{
	crc32c_force_sw(false);
	check_chaining();
	crc32c_force_sw(true);
	check_chaining();
	crc32c_force_sw(false);
}

static void test_hw_matches_sw(void **state)
{
	uint8_t buf[4099];
	uint32_t a, b;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + (i >> 5));
	for (size_t off = 0; off < 9; off++) {
		crc32c_force_sw(true);
		a = crc32c(0, buf + off, sizeof(buf) - off);
		crc32c_force_sw(false);
		b = crc32c(0, buf + off, sizeof(buf) - off);
		assert_int_equal(a, b);
	}
}

/*
 * Buffers of three 4 KiB blocks and more take the three-chain path whose
 * results are joined by the shift tables: check it against the table code
 * for many lengths and alignments around the block boundaries.
 */
static void test_three_chain_path(void **state)
{
	static const size_t lens[] = {12287, 12288, 12289,
				      24576, 65537, 3 << 20};
	size_t max = 3 << 20;
	uint8_t *buf = malloc(max + 16);
	uint32_t a, b;

	assert_non_null(buf);
	srandom(7);
	for (size_t i = 0; i < max + 16; i++)
		buf[i] = (uint8_t)random();
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		for (size_t off = 0; off < 16; off += 5) {
			crc32c_force_sw(true);
			a = crc32c(0x1234, buf + off, lens[l]);
			crc32c_force_sw(false);
			b = crc32c(0x1234, buf + off, lens[l]);
			assert_int_equal(a, b);
		}
	}
	for (int r = 0; r < 200; r++) {
		size_t len = (size_t)random() % (200 * 1024);
		size_t off = (size_t)random() % 16;

		crc32c_force_sw(true);
		a = crc32c(0, buf + off, len);
		crc32c_force_sw(false);
		b = crc32c(0, buf + off, len);
		assert_int_equal(a, b);
	}
	free(buf);
}

/*
 * Buffers of 768 bytes to 12 KiB take one three-chain stride of each
 * smaller block size (2048 down to 256 bytes) that fits: every length
 * from 700 to 13000 (all combinations of those strides and the tails) and
 * a few alignments against the table code.
 */
static void test_mid_size_strides(void **state)
{
	size_t max = 13000;
	uint8_t *buf = malloc(max + 8);
	uint32_t a, b;

	assert_non_null(buf);
	srandom(11);
	for (size_t i = 0; i < max + 8; i++)
		buf[i] = (uint8_t)random();
	for (size_t len = 700; len <= max; len++) {
		size_t off = len % 8;

		crc32c_force_sw(true);
		a = crc32c(0xabcd, buf + off, len);
		crc32c_force_sw(false);
		b = crc32c(0xabcd, buf + off, len);
		if (a != b)
			fail_msg("length %zu at offset %zu: hw %08x sw %08x",
				 len, off, b, a);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3720_vectors_hw),
		cmocka_unit_test(test_rfc3720_vectors_sw),
		cmocka_unit_test(test_wire_order),
		cmocka_unit_test(test_chaining),
		cmocka_unit_test(test_hw_matches_sw),
		cmocka_unit_test(test_three_chain_path),
		cmocka_unit_test(test_mid_size_strides),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
