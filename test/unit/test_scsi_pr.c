// SPDX-License-Identifier: GPL-2.0-or-later
/* Persistent reservations: registration, access rules, ownership, preempt. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "core/log.h"
#include "test_scsi_harness.h"

static uint8_t blk[512];

static int prout(struct scsi_it_nexus *nx, uint8_t sa, uint8_t type,
		 uint64_t key, uint64_t sark)
{
	uint8_t cdb[10] = {0x5f, sa, type, 0, 0, 0, 0, 0, 24, 0};
	uint8_t p[24];
	struct scsi_cmd *c;

	memset(p, 0, sizeof(p));
	put_be64(p, key);
	put_be64(p + 8, sark);
	c = h_run(nx, 1, cdb, 10, p, sizeof(p), 0);
	if (c->status == SAM_STAT_CHECK_CONDITION)
		return -(int)sense_asc(c);
	return c->status;
}

static struct scsi_cmd *prin(struct scsi_it_nexus *nx, uint8_t sa)
{
	uint8_t cdb[10] = {0x5e, sa, 0, 0, 0, 0, 0, 0x10, 0, 0};

	return h_run(nx, 1, cdb, 10, NULL, 0, 4096);
}

static int rd(struct scsi_it_nexus *nx)
{
	uint8_t cdb[10] = {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0};

	return h_run(nx, 1, cdb, 10, NULL, 0, 512)->status;
}

static int wr(struct scsi_it_nexus *nx)
{
	uint8_t cdb[10] = {0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0};

	return h_run(nx, 1, cdb, 10, blk, 512, 0)->status;
}

#define CONFLICT SAM_STAT_RESERVATION_CONFLICT

static void test_register_rules(void **state)
{
	struct scsi_cmd *c;

	/* Unregistered with a non-zero key: conflict */
	assert_int_equal(prout(&NX1, 0, 0, 5, 0x11), CONFLICT);
	assert_int_equal(prout(&NX1, 0, 0, 0, 0x11), 0);
	assert_int_equal(prout(&NX2, 6, 0, 999, 0x22), 0);
	/* Wrong key for a registered nexus */
	assert_int_equal(prout(&NX1, 0, 0, 0x99, 0x12), CONFLICT);
	c = prin(&NX1, 0);
	assert_int_equal(get_be32(C_in), 2); /* generation */
	assert_int_equal(get_be32(C_in + 4), 16);
	assert_true(get_be64(C_in + 8) == 0x11);
	assert_true(get_be64(C_in + 16) == 0x22);
	/* Truncated READ KEYS keeps the full length */
	{
		uint8_t cdb[10] = {0x5e, 0, 0, 0, 0, 0, 0, 0, 12, 0};

		c = h_run(&NX1, 1, cdb, 10, NULL, 0, 4096);
		assert_int_equal(c->data_in_len, 12);
		assert_int_equal(get_be32(C_in + 4), 16);
	}
	/* Unregister */
	assert_int_equal(prout(&NX1, 0, 0, 0x11, 0), 0);
	c = prin(&NX1, 0);
	assert_int_equal(get_be32(C_in + 4), 8);
	/* Service actions 4..31 of PR IN are invalid */
	c = prin(&NX1, 4);
	assert_int_equal(sense_asc(c), 0x2400);
}

static void test_access_we_and_ea(void **state)
{
	assert_int_equal(prout(&NX1, 6, 0, 0, 0xa), 0);
	assert_int_equal(prout(&NX1, 1, PR_TYPE_WE, 0xa, 0), 0);
	assert_int_equal(rd(&NX2), 0);
	assert_int_equal(wr(&NX2), CONFLICT);
	assert_int_equal(wr(&NX1), 0);
	/* Registering does not help under WE */
	assert_int_equal(prout(&NX2, 6, 0, 0, 0xb), 0);
	assert_int_equal(wr(&NX2), CONFLICT);
	/* Reserving again with another type conflicts */
	assert_int_equal(prout(&NX1, 1, PR_TYPE_EA, 0xa, 0), CONFLICT);
	assert_int_equal(prout(&NX2, 1, PR_TYPE_WE, 0xb, 0), CONFLICT);
	/* Release with the wrong type */
	assert_int_equal(prout(&NX1, 2, PR_TYPE_EA, 0xa, 0), -0x2604);
	assert_int_equal(prout(&NX1, 2, PR_TYPE_WE, 0xa, 0), 0);
	assert_int_equal(prout(&NX1, 1, PR_TYPE_EA, 0xa, 0), 0);
	assert_int_equal(rd(&NX2), CONFLICT);
	assert_int_equal(rd(&NX1), 0);
	{
		struct scsi_cmd *c = prin(&NX2, 1);

		assert_int_equal(get_be32(C_in + 4), 16);
		assert_true(get_be64(C_in + 8) == 0xa);
		assert_int_equal(C_in[21], PR_TYPE_EA);
		(void)c;
	}
}

static void test_access_registrants_only(void **state)
{
	assert_int_equal(prout(&NX1, 6, 0, 0, 0xa), 0);
	assert_int_equal(prout(&NX1, 1, PR_TYPE_EARO, 0xa, 0), 0);
	assert_int_equal(rd(&NX2), CONFLICT);
	assert_int_equal(prout(&NX2, 6, 0, 0, 0xb), 0);
	assert_int_equal(rd(&NX2), 0);
	assert_int_equal(wr(&NX2), 0);
	/* Holder unregisters: RO reservation released, UA to NX2 */
	assert_int_equal(prout(&NX1, 0, 0, 0xa, 0), 0);
	prin(&NX1, 1);
	assert_int_equal(get_be32(C_in + 4), 0);
	{
		uint8_t tur[6] = {0};
		struct scsi_cmd *c = h_run(&NX2, 1, tur, 6, NULL, 0, 0);

		assert_int_equal(sense_asc(c), 0x2a04);
	}
}

static void test_ownership_all_registrants(void **state)
{
	assert_int_equal(prout(&NX1, 6, 0, 0, 0xa), 0);
	assert_int_equal(prout(&NX2, 6, 0, 0, 0xb), 0);
	assert_int_equal(prout(&NX1, 1, PR_TYPE_WEAR, 0xa, 0), 0);
	prin(&NX1, 1);
	assert_true(get_be64(C_in + 8) == 0); /* key 0 for AR types */
	assert_int_equal(prout(&NX1, 0, 0, 0xa, 0), 0);
	/* Still reserved while NX2 is registered; NX2 may release it */
	prin(&NX1, 1);
	assert_int_equal(C_in[21], PR_TYPE_WEAR);
	assert_int_equal(wr(&NX1), CONFLICT);
	assert_int_equal(wr(&NX2), 0);
	assert_int_equal(prout(&NX2, 2, PR_TYPE_WEAR, 0xb, 0), 0);
	prin(&NX1, 1);
	assert_int_equal(get_be32(C_in + 4), 0);
}

static void test_preempt_and_clear(void **state)
{
	uint8_t tur[6] = {0};
	struct scsi_cmd *c;

	assert_int_equal(prout(&NX1, 6, 0, 0, 0xa), 0);
	assert_int_equal(prout(&NX2, 6, 0, 0, 0xb), 0);
	/* No reservation: removes NX2's registration */
	assert_int_equal(prout(&NX1, 4, 0, 0xa, 0xb), 0);
	c = h_run(&NX2, 1, tur, 6, NULL, 0, 0);
	assert_int_equal(sense_asc(c), 0x2a05);
	prin(&NX1, 0);
	assert_int_equal(get_be32(C_in + 4), 8);
	/* Preempting a key nobody holds */
	assert_int_equal(prout(&NX1, 4, 0, 0xa, 0x77), CONFLICT);
	/* Preempt the holder: reservation moves to the preempter */
	assert_int_equal(prout(&NX2, 6, 0, 0, 0xb), 0);
	assert_int_equal(prout(&NX2, 1, PR_TYPE_WE, 0xb, 0), 0);
	assert_int_equal(prout(&NX1, 4, PR_TYPE_EA, 0xa, 0xb), 0);
	prin(&NX1, 1);
	assert_true(get_be64(C_in + 8) == 0xa);
	assert_int_equal(C_in[21], PR_TYPE_EA);
	c = h_run(&NX2, 1, tur, 6, NULL, 0, 0);
	assert_int_equal(sense_asc(c), 0x2a05);
	assert_int_equal(rd(&NX2), CONFLICT);
	/* CLEAR drops everything */
	assert_int_equal(prout(&NX1, 3, 0, 0xa, 0), 0);
	prin(&NX1, 0);
	assert_int_equal(get_be32(C_in + 4), 0);
	h_clear_ua(&NX2, 1);
	assert_int_equal(rd(&NX2), 0);
}

static void test_capabilities_and_full_status(void **state)
{
	struct scsi_cmd *c;

	c = prin(&NX1, 2);
	assert_int_equal(c->status, 0);
	assert_int_equal(get_be16(C_in), 8);
	assert_int_equal(C_in[4], 0xea);
	assert_int_equal(C_in[5], 0x01);
	assert_int_equal(prout(&NX1, 6, 0, 0, 0xa), 0);
	assert_int_equal(prout(&NX1, 1, PR_TYPE_WE, 0xa, 0), 0);
	c = prin(&NX1, 3);
	assert_int_equal(c->status, 0);
	assert_true(get_be64(C_in + 8) == 0xa);
	assert_int_equal(C_in[8 + 12], 0x01);
	assert_int_equal(C_in[8 + 13], PR_TYPE_WE);
	assert_int_equal(C_in[8 + 24], 0x45);
	/* SPC-2 RESERVE conflicts with persistent reservations */
	{
		uint8_t rsv[6] = {0x16};

		c = h_run(&NX1, 1, rsv, 6, NULL, 0, 0);
		assert_int_equal(c->status, CONFLICT);
	}
	/* Wrong parameter list length */
	{
		uint8_t cdb[10] = {0x5f, 0, 0, 0, 0, 0, 0, 0, 20, 0};
		uint8_t p[24] = {0};

		c = h_run(&NX1, 1, cdb, 10, p, 24, 0);
		assert_int_equal(sense_asc(c), 0x1a00);
	}
}

static int setup(void **state)
{
	log_set_level(LOG_LVL_ERR);
	return h_setup(state);
}

#define T_(fn) cmocka_unit_test_setup_teardown(fn, setup, h_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T_(test_register_rules),
		T_(test_access_we_and_ea),
		T_(test_access_registrants_only),
		T_(test_ownership_all_registrants),
		T_(test_preempt_and_clear),
		T_(test_capabilities_and_full_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
