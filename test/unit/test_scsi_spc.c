// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SPC commands through scsi_exec: INQUIRY, REPORT LUNS, MODE SENSE/SELECT,
 * unit attentions, REQUEST SENSE, REPORT SUPPORTED OPERATION CODES, LUN
 * addressing and SPC-2 reservations with LUN reset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "core/log.h"
#include "test_scsi_harness.h"

static void test_inquiry_standard(void **state)
{
	uint8_t cdb[6] = {0x12, 0, 0, 0, 255, 0};
	struct scsi_cmd *c = h_run(&NX1, 1, cdb, 6, NULL, 0, 255);

	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(c->xfer_len, 255);
	assert_int_equal(c->data_in_len, 96);
	assert_int_equal(C_in[0], 0x00);
	assert_int_equal(C_in[2], 0x06);
	assert_int_equal(C_in[4], 91);
	assert_memory_equal(C_in + 8, "TGTX    ", 8);
	assert_int_equal(get_be16(C_in + 62), 0x0460); /* SPC-4 */
	assert_int_equal(get_be16(C_in + 64), 0x04c0); /* SBC-3 */
}

static void test_inquiry_truncation(void **state)
{
	uint8_t cdb[6] = {0x12, 0, 0, 0, 10, 0};
	struct scsi_cmd *c;

	/* Allocation length 10, initiator buffer 64: 10 bytes move */
	c = h_run(&NX1, 1, cdb, 6, NULL, 0, 64);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(c->xfer_len, 10);
	assert_int_equal(c->data_in_len, 10);
	assert_int_equal(C_in[10], 0xee);
	/* Allocation length 255, initiator buffer 5 */
	cdb[4] = 255;
	c = h_run(&NX1, 1, cdb, 6, NULL, 0, 5);
	assert_int_equal(c->xfer_len, 255);
	assert_int_equal(c->data_in_len, 5);
}

static void test_inquiry_vpd_pages(void **state)
{
	uint8_t cdb[6] = {0x12, 1, 0x00, 0, 255, 0};
	struct scsi_cmd *c = h_run(&NX1, 1, cdb, 6, NULL, 0, 255);
	static const uint8_t want[] = {0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2};

	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(get_be16(C_in + 2), sizeof(want));
	assert_memory_equal(C_in + 4, want, sizeof(want));

	/* Block limits: SBC-3 length, unmap limits since memtest unmaps */
	cdb[2] = 0xb0;
	c = h_run(&NX1, 1, cdb, 6, NULL, 0, 255);
	assert_int_equal(c->data_in_len, 64);
	assert_int_equal(C_in[3], 0x3c);
	assert_int_equal(C_in[5], 0xff);
	assert_true(get_be32(C_in + 20) > 0);
	assert_true(get_be32(C_in + 24) > 0);

	/* Logical block provisioning: LBPU LBPWS LBPWS10 LBPRZ */
	cdb[2] = 0xb2;
	c = h_run(&NX1, 1, cdb, 6, NULL, 0, 255);
	assert_int_equal(C_in[5], 0xe4);

	/* Device identification starts with an NAA 3 (local) designator */
	cdb[2] = 0x83;
	c = h_run(&NX1, 1, cdb, 6, NULL, 0, 255);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(C_in[5] & 0x0f, 3);
	assert_int_equal(C_in[7], 8);
	assert_int_equal(C_in[8] >> 4, 3);
	assert_int_equal(c->data_in_len, 4 + get_be16(C_in + 2));

	/* Serial number */
	cdb[2] = 0x80;
	c = h_run(&NX1, 1, cdb, 6, NULL, 0, 255);
	assert_memory_equal(C_in + 4, h_lu(1)->scsi_sn, C_in[3]);

	/* Unknown page: INVALID FIELD IN CDB pointing at byte 2 */
	cdb[2] = 0x99;
	c = h_run(&NX1, 1, cdb, 6, NULL, 0, 255);
	assert_int_equal(c->status, SAM_STAT_CHECK_CONDITION);
	assert_int_equal(sense_asc(c), 0x2400);
	assert_int_equal(get_be16(c->sense + 16), 2);
}

static void test_unknown_lun(void **state)
{
	uint8_t inq[6] = {0x12, 0, 0, 0, 36, 0};
	uint8_t rd[10] = {0x28};
	struct scsi_cmd *c;

	c = h_run(&NX1, 7, inq, 6, NULL, 0, 36);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(C_in[0], 0x7f);
	c = h_run(&NX1, 7, rd, 10, NULL, 0, 512);
	assert_int_equal(c->status, SAM_STAT_CHECK_CONDITION);
	assert_int_equal(sense_key(c), SK_ILLEGAL_REQUEST);
	assert_int_equal(sense_asc(c), 0x2500);
}

static void test_controller_lun(void **state)
{
	uint8_t inq[6] = {0x12, 0, 0, 0, 36, 0};
	uint8_t rc[10] = {0x25};
	struct scsi_cmd *c;

	c = h_run(&NX1, 0, inq, 6, NULL, 0, 36);
	assert_int_equal(C_in[0], 0x0c);
	c = h_run(&NX1, 0, rc, 10, NULL, 0, 8);
	assert_int_equal(c->status, SAM_STAT_CHECK_CONDITION);
	assert_int_equal(sense_asc(c), 0x2000);
}

static void test_report_luns(void **state)
{
	uint8_t cdb[12] = {0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 255};
	char err[64];
	struct scsi_cmd *c;

	assert_int_equal(
		scsi_lu_create(&T, 300, NULL, NULL, NULL, err, sizeof(err)), 0);
	c = h_run(&NX1, 5, cdb, 12, NULL, 0, 255);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(get_be32(C_in), 24);
	assert_int_equal(c->data_in_len, 32);
	assert_int_equal(C_in[8 + 1], 0);
	assert_int_equal(C_in[16 + 1], 1);
	assert_int_equal(C_in[24], 0x41); /* flat addressing for 300 */
	assert_int_equal(C_in[25], 300 & 0xff);
	/* Truncated to 16 bytes: the list length still says 24 */
	cdb[9] = 16;
	c = h_run(&NX1, 1, cdb, 12, NULL, 0, 255);
	assert_int_equal(c->data_in_len, 16);
	assert_int_equal(get_be32(C_in), 24);
	/* Allocation length under 16 is invalid */
	cdb[9] = 8;
	c = h_run(&NX1, 1, cdb, 12, NULL, 0, 255);
	assert_int_equal(c->status, SAM_STAT_CHECK_CONDITION);
}

static void test_mode_select_wce_raises_ua(void **state)
{
	uint8_t sense[6] = {0x1a, 0x08, 0x08, 0, 255, 0};
	uint8_t sel[6] = {0x15, 0x10, 0, 0, 0, 0};
	uint8_t tur[6] = {0};
	uint8_t param[4 + 20];
	struct scsi_cmd *c;

	c = h_run(&NX1, 1, sense, 6, NULL, 0, 255);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(C_in[3], 0); /* DBD */
	assert_int_equal(C_in[4], 0x08);
	assert_int_equal(C_in[6] & 0x04, 0x04); /* WCE on by default */

	memset(param, 0, sizeof(param));
	memcpy(param + 4, C_in + 4, 20);
	param[6] &= ~0x04;
	sel[4] = sizeof(param);
	c = h_run(&NX1, 1, sel, 6, param, sizeof(param), 0);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_false(h_lu(1)->dev.wce);

	/* The other nexus sees PARAMETERS CHANGED once, the setter not */
	c = h_run(&NX2, 1, tur, 6, NULL, 0, 0);
	assert_int_equal(c->status, SAM_STAT_CHECK_CONDITION);
	assert_int_equal(sense_key(c), SK_UNIT_ATTENTION);
	assert_int_equal(sense_asc(c), 0x2a01);
	assert_int_equal(h_run(&NX2, 1, tur, 6, NULL, 0, 0)->status, 0);
	assert_int_equal(h_run(&NX1, 1, tur, 6, NULL, 0, 0)->status, 0);

	/* Changing a non-changeable bit is refused, nothing applied */
	param[6] |= 0x04;
	param[7] = 0x01; /* a bit outside the changeable mask */
	c = h_run(&NX1, 1, sel, 6, param, sizeof(param), 0);
	assert_int_equal(c->status, SAM_STAT_CHECK_CONDITION);
	assert_int_equal(sense_asc(c), 0x2600);
	assert_false(h_lu(1)->dev.wce);
}

static void test_mode_sense_all_and_changeable(void **state)
{
	uint8_t cdb[10] = {0x5a, 0, 0x3f, 0, 0, 0, 0, 0x10, 0, 0};
	struct scsi_cmd *c = h_run(&NX1, 1, cdb, 10, NULL, 0, 4096);
	size_t len;

	assert_int_equal(c->status, SAM_STAT_GOOD);
	len = get_be16(C_in) + 2;
	assert_int_equal(c->data_in_len, len);
	assert_int_equal(get_be16(C_in + 6), 8); /* block descriptor */
	assert_int_equal(get_be32(C_in + 8), MEM_BLOCKS);
	assert_int_equal(len, 8 + 8 + 12 + 16 + 20 + 12 + 12);

	/* Changeable values of the control page: D_SENSE and SWP */
	cdb[1] = 0x08;
	cdb[2] = 0x40 | 0x0a;
	c = h_run(&NX1, 1, cdb, 10, NULL, 0, 4096);
	assert_int_equal(C_in[8], 0x0a);
	assert_int_equal(C_in[10], 0x04);
	assert_int_equal(C_in[12], 0x08);

	/* Saved values are not supported */
	cdb[2] = 0xc0 | 0x0a;
	c = h_run(&NX1, 1, cdb, 10, NULL, 0, 4096);
	assert_int_equal(sense_asc(c), 0x3900);
}

static void test_d_sense_switches_format(void **state)
{
	uint8_t sel[10] = {0x55, 0x10, 0, 0, 0, 0, 0, 0, 8 + 12, 0};
	uint8_t rd[10] = {0x28, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 1, 0};
	uint8_t p[8 + 12];
	struct scsi_cmd *c;

	memset(p, 0, sizeof(p));
	spc_mode_page(h_lu(1), 0x0a, 0, p + 8, 12);
	p[10] |= 0x04;
	c = h_run(&NX1, 1, sel, 10, p, sizeof(p), 0);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	c = h_run(&NX1, 1, rd, 10, NULL, 0, 512);
	assert_int_equal(c->sense[0], 0x72);
	assert_int_equal(sense_asc(c), 0x2100);
}

static void test_ua_order_and_request_sense(void **state)
{
	uint8_t tur[6] = {0};
	uint8_t rs[6] = {0x03, 0, 0, 0, 252, 0};
	uint8_t inq[6] = {0x12, 0, 0, 0, 36, 0};
	struct scsi_lu *lu = h_lu(1);
	struct scsi_cmd *c;

	ua_add(lu, NX1.id, ASC_PARAMS_CHANGED);
	ua_add(lu, NX1.id, ASC_CAPACITY_CHANGED);
	ua_add(lu, NX1.id, ASC_PARAMS_CHANGED); /* duplicate: ignored */

	/* INQUIRY neither reports nor clears a UA */
	c = h_run(&NX1, 1, inq, 6, NULL, 0, 36);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	/* Oldest first */
	c = h_run(&NX1, 1, tur, 6, NULL, 0, 0);
	assert_int_equal(sense_asc(c), 0x2a01);
	/* REQUEST SENSE returns the next one as data and clears it */
	c = h_run(&NX1, 1, rs, 6, NULL, 0, 252);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(c->data_in_len, 18);
	assert_int_equal(C_in[2], SK_UNIT_ATTENTION);
	assert_int_equal(C_in[12], 0x2a);
	assert_int_equal(C_in[13], 0x09);
	assert_int_equal(h_run(&NX1, 1, tur, 6, NULL, 0, 0)->status, 0);

	/* A reset supersedes queued conditions */
	ua_add(lu, NX1.id, ASC_PARAMS_CHANGED);
	ua_add(lu, NX1.id, ASC_POWER_ON_RESET);
	c = h_run(&NX1, 1, tur, 6, NULL, 0, 0);
	assert_int_equal(sense_asc(c), 0x2900);
	assert_int_equal(h_run(&NX1, 1, tur, 6, NULL, 0, 0)->status, 0);
}

static void test_rsoc(void **state)
{
	uint8_t all[12] = {0xa3, 0x0c, 0x00, 0, 0, 0, 0, 0, 0xff, 0xff};
	uint8_t one[12] = {0xa3, 0x0c, 0x01, 0x28, 0, 0, 0, 0, 0xff, 0xff};
	struct scsi_cmd *c;
	size_t nr;

	scsi_op_table(&nr);
	c = h_run(&NX1, 1, all, 12, NULL, 0, 65535);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(get_be32(C_in), nr * 8);
	/* With timeouts descriptors */
	all[2] = 0x80;
	c = h_run(&NX1, 1, all, 12, NULL, 0, 65535);
	assert_int_equal(get_be32(C_in), nr * 20);

	c = h_run(&NX1, 1, one, 12, NULL, 0, 65535);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(C_in[1] & 0x07, 3);
	assert_int_equal(get_be16(C_in + 2), 10);
	assert_int_equal(C_in[4], 0x28);
	/* Opcode with service actions under option 1: invalid */
	one[3] = 0x9e;
	c = h_run(&NX1, 1, one, 12, NULL, 0, 65535);
	assert_int_equal(sense_asc(c), 0x2400);
	/* ... and valid under option 2 */
	one[2] = 0x02;
	one[5] = 0x10;
	c = h_run(&NX1, 1, one, 12, NULL, 0, 65535);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(C_in[4], 0x9e);
	assert_int_equal(C_in[5] & 0x1f, 0x10);
}

static void test_reserve6_and_lun_reset(void **state)
{
	uint8_t rsv[6] = {0x16}, rel[6] = {0x17}, tur[6] = {0};
	uint8_t ms[6] = {0x1a, 0, 0x3f, 0, 255, 0};
	struct scsi_cmd *c;

	assert_int_equal(h_run(&NX1, 1, rsv, 6, NULL, 0, 0)->status, 0);
	assert_int_equal(h_run(&NX1, 1, rsv, 6, NULL, 0, 0)->status, 0);
	c = h_run(&NX2, 1, rsv, 6, NULL, 0, 0);
	assert_int_equal(c->status, SAM_STAT_RESERVATION_CONFLICT);
	/* RELEASE by a non-holder is a no-op */
	assert_int_equal(h_run(&NX2, 1, rel, 6, NULL, 0, 0)->status, 0);
	assert_int_equal(h_run(&NX1, 1, ms, 6, NULL, 0, 255)->status, 0);
	c = h_run(&NX2, 1, ms, 6, NULL, 0, 255);
	assert_int_equal(c->status, SAM_STAT_RESERVATION_CONFLICT);

	assert_int_equal(scsi_tmf(&T, &NX2, SCSI_TMF_LUN_RESET, 1), 0);
	assert_int_equal(scsi_tmf(&T, &NX2, SCSI_TMF_LUN_RESET, 9), -2);
	/* The nexus that sent the reset gets no unit attention ... */
	c = h_run(&NX2, 1, tur, 6, NULL, 0, 0);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	/* ... every other nexus does, once */
	c = h_run(&NX1, 1, tur, 6, NULL, 0, 0);
	assert_int_equal(sense_asc(c), 0x2903);
	assert_int_equal(h_run(&NX1, 1, tur, 6, NULL, 0, 0)->status, 0);
	/* and the SPC-2 reservation is gone */
	assert_int_equal(h_run(&NX2, 1, ms, 6, NULL, 0, 255)->status, 0);

	/* Nexus loss releases a SPC-2 reservation */
	assert_int_equal(h_run(&NX2, 1, rsv, 6, NULL, 0, 0)->status, 0);
	scsi_nexus_del(&NX2);
	assert_int_equal(h_run(&NX1, 1, ms, 6, NULL, 0, 255)->status, 0);
	scsi_nexus_add(&T, &NX2);
}

static void test_lu_params(void **state)
{
	struct scsi_lu *lu = h_lu(1);
	char err[128];
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(
		scsi_lu_set_param(lu, "vendor_id", "ACME", err, sizeof(err)),
		0);
	assert_string_equal(lu->vendor_id, "ACME");
	assert_true(scsi_lu_set_param(lu, "vendor_id", "TOOLONGVENDOR", err,
				      sizeof(err)) < 0);
	assert_int_equal(
		scsi_lu_set_param(lu, "readonly", "on", err, sizeof(err)), 0);
	assert_true(lu->readonly);
	assert_true(scsi_lu_set_param(lu, "bogus", "1", err, sizeof(err)) < 0);
	assert_true(scsi_lu_create(&T, 1, "memtest", "/x", NULL, err,
				   sizeof(err)) == -17);
	assert_true(scsi_lu_create(&T, 2, "nosuch", "/x", NULL, err,
				   sizeof(err)) < 0);
	scsi_lu_show(lu, &sb, "    ");
	assert_non_null(strstr(strbuf_str(&sb), "Readonly: Yes"));
	strbuf_free(&sb);
}

int main(void)
{
	log_set_level(LOG_LVL_ERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_inquiry_standard, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_inquiry_truncation,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_inquiry_vpd_pages, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_lun, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_controller_lun, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_report_luns, h_setup,
						h_teardown),
		cmocka_unit_test_setup_teardown(test_mode_select_wce_raises_ua,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(
			test_mode_sense_all_and_changeable, h_setup,
			h_teardown),
		cmocka_unit_test_setup_teardown(test_d_sense_switches_format,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_ua_order_and_request_sense,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_rsoc, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_reserve6_and_lun_reset,
						h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_lu_params, h_setup,
						h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
