// SPDX-License-Identifier: GPL-2.0-or-later
/* Sense data building and SBC CDB decoding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "scsi/scsi_priv.h"

static void test_fixed_sense_layout(void **state)
{
	uint8_t b[64];
	size_t n = scsi_build_sense(b, sizeof(b), 0, SK_MISCOMPARE, 0x1d00,
				    true, 0x1234, NULL);

	assert_int_equal(n, 18);
	assert_int_equal(b[0], 0xf0); /* VALID, current, fixed */
	assert_int_equal(b[2], SK_MISCOMPARE);
	assert_int_equal(get_be32(b + 3), 0x1234);
	assert_int_equal(b[7], 10);
	assert_int_equal(b[12], 0x1d);
	assert_int_equal(b[13], 0x00);
}

static void test_descriptor_sense_layout(void **state)
{
	uint8_t b[64], sks[3] = {0xc8 | 3, 0x00, 0x02};
	size_t n = scsi_build_sense(b, sizeof(b), 1, SK_ILLEGAL_REQUEST, 0x2400,
				    true, 0x1122334455ULL, sks);

	assert_int_equal(b[0], 0x72);
	assert_int_equal(b[1], SK_ILLEGAL_REQUEST);
	assert_int_equal(b[2], 0x24);
	assert_int_equal(n, 8 + 12 + 8);
	assert_int_equal(b[7], n - 8);
	/* information descriptor */
	assert_int_equal(b[8], 0x00);
	assert_int_equal(b[9], 0x0a);
	assert_int_equal(b[10], 0x80);
	assert_true(get_be64(b + 12) == 0x1122334455ULL);
	/* sense key specific descriptor */
	assert_int_equal(b[20], 0x02);
	assert_int_equal(b[21], 0x06);
	assert_memory_equal(b + 24, sks, 3);
}

static void test_sense_truncated_to_cap(void **state)
{
	uint8_t b[8];

	assert_int_equal(scsi_build_sense(b, sizeof(b), 0, SK_NO_SENSE, 0,
					  false, 0, NULL),
			 8);
}

static void test_field_pointer(void **state)
{
	struct scsi_cmd c;

	memset(&c, 0, sizeof(c));
	scsi_fail_cdb(&c, 1, 7);
	assert_int_equal(c.status, SAM_STAT_CHECK_CONDITION);
	assert_int_equal(c.sense[2], SK_ILLEGAL_REQUEST);
	assert_int_equal(c.sense[12], 0x24);
	/* SKSV | C/D | BPV | bit 7, field byte 1 */
	assert_int_equal(c.sense[15], 0x80 | 0x40 | 0x08 | 7);
	assert_int_equal(get_be16(c.sense + 16), 1);

	memset(&c, 0, sizeof(c));
	scsi_fail_param(&c, 300, -1);
	assert_int_equal(c.sense[12], 0x26);
	assert_int_equal(c.sense[15], 0x80); /* parameter list, no bit */
	assert_int_equal(get_be16(c.sense + 16), 300);
}

struct decode_case {
	uint8_t cdb[16];
	uint64_t lba;
	uint32_t nr;
	uint8_t protect;
	bool fua;
};

static void test_decode_variants(void **state)
{
	static const struct decode_case cases[] = {
		/* READ(6): 21-bit LBA, length 0 means 256 */
		{{0x08, 0xff, 0x12, 0x34, 0x00}, 0x1f1234, 256, 0, false},
		{{0x0a, 0x00, 0x00, 0x05, 0x07}, 5, 7, 0, false},
		/* READ(10) with RDPROTECT 3 and FUA */
		{{0x28, 0x68, 0xde, 0xad, 0xbe, 0xef, 0, 0x01, 0x02},
		 0xdeadbeef,
		 0x102,
		 3,
		 true},
		{{0x2a, 0, 0, 0, 0, 1, 0, 0, 0}, 1, 0, 0, false},
		/* READ(12) */
		{{0xa8, 0, 0, 0, 0x10, 0, 0x00, 0x01, 0x00, 0x00},
		 0x1000,
		 0x10000,
		 0,
		 false},
		/* WRITE(16) with a 64-bit LBA */
		{{0x8a, 0x08, 0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9},
		 0x8000000000000001ULL,
		 9,
		 0,
		 true},
		/* VERIFY(16) */
		{{0x8f, 0x02, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1},
		 2,
		 1,
		 0,
		 false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct scsi_cmd c;
		struct sbc_cdb d;

		memset(&c, 0, sizeof(c));
		memcpy(c.cdb, cases[i].cdb, 16);
		assert_true(sbc_decode(&c, &d));
		assert_true(d.lba == cases[i].lba);
		assert_int_equal(d.nr, cases[i].nr);
		assert_int_equal(d.protect, cases[i].protect);
		assert_int_equal(d.fua, cases[i].fua);
	}
}

static void test_decode_bytchk(void **state)
{
	struct scsi_cmd c;
	struct sbc_cdb d;

	memset(&c, 0, sizeof(c));
	c.cdb[0] = 0x2f;
	c.cdb[1] = 0x06;
	assert_true(sbc_decode(&c, &d));
	assert_int_equal(d.bytchk, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_sense_layout),
		cmocka_unit_test(test_descriptor_sense_layout),
		cmocka_unit_test(test_sense_truncated_to_cap),
		cmocka_unit_test(test_field_pointer),
		cmocka_unit_test(test_decode_variants),
		cmocka_unit_test(test_decode_bytchk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
