// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SBC commands against the in-memory store: reads and writes with range,
 * residual and protection checks, VERIFY, UNMAP parameter lists, WRITE
 * SAME, COMPARE AND WRITE (including its atomicity) and capacity.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "core/log.h"
#include "test_scsi_harness.h"

static uint8_t buf[64 * 1024];

static void rw10(uint8_t *cdb, uint8_t op, uint32_t lba, uint16_t nr)
{
	memset(cdb, 0, 10);
	cdb[0] = op;
	put_be32(cdb + 2, lba);
	put_be16(cdb + 7, nr);
}

static void rw16(uint8_t *cdb, uint8_t op, uint64_t lba, uint32_t nr)
{
	memset(cdb, 0, 16);
	cdb[0] = op;
	put_be64(cdb + 2, lba);
	put_be32(cdb + 10, nr);
}

static void test_write_read_roundtrip(void **state)
{
	uint8_t cdb[16];
	struct scsi_cmd *c;

	for (int i = 0; i < 4 * 512; i++)
		buf[i] = (uint8_t)(i * 7);
	rw10(cdb, 0x2a, 10, 4);
	c = h_run(&NX1, 1, cdb, 10, buf, 4 * 512, 0);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(c->xfer_len, 2048);
	assert_memory_equal(mem_disk + 10 * 512, buf, 2048);

	rw16(cdb, 0x88, 10, 4);
	c = h_run(&NX1, 1, cdb, 16, NULL, 0, 2048);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(c->data_in_len, 2048);
	assert_memory_equal(C_in, buf, 2048);

	/* READ(6) of block 11 */
	memset(cdb, 0, 6);
	cdb[0] = 0x08;
	cdb[3] = 11;
	cdb[4] = 1;
	c = h_run(&NX1, 1, cdb, 6, NULL, 0, 512);
	assert_memory_equal(C_in, buf + 512, 512);

	/* WRITE(12) then READ(12) */
	memset(cdb, 0, 12);
	cdb[0] = 0xaa;
	put_be32(cdb + 2, 100);
	put_be32(cdb + 6, 1);
	c = h_run(&NX1, 1, cdb, 12, buf, 512, 0);
	assert_int_equal(c->status, 0);
	assert_memory_equal(mem_disk + 100 * 512, buf, 512);
}

static void test_read_residual_smaller_buffer(void **state)
{
	uint8_t cdb[10];
	struct scsi_cmd *c;

	memset(mem_disk, 0x5a, 4096);
	rw10(cdb, 0x28, 0, 4);
	c = h_run(&NX1, 1, cdb, 10, NULL, 0, 700);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(c->xfer_len, 2048);
	assert_int_equal(c->data_in_len, 700);
	assert_int_equal(C_in[699], 0x5a);
	assert_int_equal(C_in[700], 0xee);
}

static void test_range_checks(void **state)
{
	uint8_t cdb[16];
	struct scsi_cmd *c;

	rw10(cdb, 0x28, MEM_BLOCKS - 1, 2);
	c = h_run(&NX1, 1, cdb, 10, NULL, 0, 1024);
	assert_int_equal(sense_asc(c), 0x2100);
	rw16(cdb, 0x8a, 0xffffffffffffffffULL, 1);
	c = h_run(&NX1, 1, cdb, 16, buf, 512, 0);
	assert_int_equal(sense_asc(c), 0x2100);
	/* zero blocks at the last LBA + 1 is fine, + 2 is not */
	rw10(cdb, 0x28, MEM_BLOCKS, 0);
	assert_int_equal(h_run(&NX1, 1, cdb, 10, NULL, 0, 0)->status, 0);
	rw10(cdb, 0x28, MEM_BLOCKS + 1, 0);
	c = h_run(&NX1, 1, cdb, 10, NULL, 0, 0);
	assert_int_equal(sense_asc(c), 0x2100);
	/* RDPROTECT without protection information */
	rw10(cdb, 0x28, 0, 1);
	cdb[1] = 0x20;
	c = h_run(&NX1, 1, cdb, 10, NULL, 0, 512);
	assert_int_equal(sense_asc(c), 0x2400);
	assert_int_equal(c->sense[15], 0x80 | 0x40 | 0x08 | 7);
}

static void test_short_data_out_writes_whole_blocks_sent(void **state)
{
	uint8_t cdb[10];
	struct scsi_cmd *c;

	/* Two blocks asked, one sent: only the first block is written */
	memset(buf, 'b', 1024);
	rw10(cdb, 0x2a, 0, 2);
	c = h_run(&NX1, 1, cdb, 10, buf, 512, 0);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(c->xfer_len, 1024);
	assert_int_equal(mem_disk[511], 'b');
	assert_int_equal(mem_disk[512], 0);
	/* Less than one block sent: nothing is written, still GOOD */
	memset(buf, 'c', 1024);
	rw10(cdb, 0x2a, 4, 1);
	c = h_run(&NX1, 1, cdb, 10, buf, 200, 0);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(mem_disk[4 * 512], 0);
	memset(mem_disk, 0, 1024);
	/* More data than needed: only the CDB's blocks are written */
	rw10(cdb, 0x2a, 0, 1);
	c = h_run(&NX1, 1, cdb, 10, buf, 1024, 0);
	assert_int_equal(c->status, 0);
	assert_int_equal(mem_disk[511], 'c');
	assert_int_equal(mem_disk[512], 0);
}

static void test_write_protect(void **state)
{
	uint8_t cdb[10];
	char err[64];
	struct scsi_cmd *c;

	scsi_lu_set_param(h_lu(1), "readonly", "1", err, sizeof(err));
	rw10(cdb, 0x2a, 0, 1);
	c = h_run(&NX1, 1, cdb, 10, buf, 512, 0);
	assert_int_equal(sense_key(c), SK_DATA_PROTECT);
	assert_int_equal(sense_asc(c), 0x2700);
	/* MODE SENSE reports WP */
	memset(cdb, 0, 6);
	cdb[0] = 0x1a;
	cdb[2] = 0x3f;
	cdb[4] = 255;
	h_run(&NX1, 1, cdb, 6, NULL, 0, 255);
	assert_int_equal(C_in[2] & 0x80, 0x80);
}

static void test_verify_bytchk(void **state)
{
	uint8_t cdb[10];
	struct scsi_cmd *c;

	memset(mem_disk + 512 * 5, 0x11, 1024);
	memset(buf, 0x11, 1024);
	rw10(cdb, 0x2f, 5, 2);
	cdb[1] = 0x02;
	c = h_run(&NX1, 1, cdb, 10, buf, 1024, 0);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	buf[700] = 0x12;
	c = h_run(&NX1, 1, cdb, 10, buf, 1024, 0);
	assert_int_equal(sense_key(c), SK_MISCOMPARE);
	assert_int_equal(sense_asc(c), 0x1d00);
	assert_int_equal(c->sense[0] & 0x80, 0x80);
	assert_int_equal(get_be32(c->sense + 3), 700);
	/* BYTCHK 0 compares nothing */
	cdb[1] = 0;
	assert_int_equal(h_run(&NX1, 1, cdb, 10, NULL, 0, 0)->status, 0);
	/* BYTCHK 11b: one block against every block */
	cdb[1] = 0x06;
	buf[700] = 0x11;
	c = h_run(&NX1, 1, cdb, 10, buf, 512, 0);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(c->xfer_len, 512);
}

static size_t unmap_list(uint8_t *p, const uint64_t *lba, const uint32_t *nr,
			 int n)
{
	memset(p, 0, 8 + 16 * n);
	put_be16(p, (uint16_t)(6 + 16 * n));
	put_be16(p + 2, (uint16_t)(16 * n));
	for (int i = 0; i < n; i++) {
		put_be64(p + 8 + 16 * i, lba[i]);
		put_be32(p + 16 + 16 * i, nr[i]);
	}
	return 8 + 16 * (size_t)n;
}

static void test_unmap_good_list(void **state)
{
	uint8_t cdb[10] = {0x42}, p[64];
	uint64_t lba[3] = {0, 10, 20};
	uint32_t nr[3] = {2, 0, 3};
	size_t len = unmap_list(p, lba, nr, 3);
	struct scsi_cmd *c;

	memset(mem_disk, 0xaa, 30 * 512);
	put_be16(cdb + 7, (uint16_t)len);
	c = h_run(&NX1, 1, cdb, 10, p, (uint32_t)len, 0);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(mem_nr_unmaps, 2);
	assert_int_equal(mem_disk[0], 0);
	assert_int_equal(mem_disk[2 * 512], 0xaa);
	assert_int_equal(mem_disk[22 * 512], 0);
	assert_int_equal(mem_disk[23 * 512], 0xaa);
	/* Parameter list length 0: nothing to do */
	put_be16(cdb + 7, 0);
	assert_int_equal(h_run(&NX1, 1, cdb, 10, NULL, 0, 0)->status, 0);
}

static void test_unmap_hostile_lists(void **state)
{
	uint8_t cdb[10] = {0x42}, p[64];
	uint64_t lba[2] = {0, MEM_BLOCKS - 1};
	uint32_t nr[2] = {1, 2};
	size_t len = unmap_list(p, lba, nr, 2);
	struct scsi_cmd *c;

	memset(mem_disk, 0xaa, 512);
	/* Second descriptor beyond the end: nothing may be unmapped */
	put_be16(cdb + 7, (uint16_t)len);
	c = h_run(&NX1, 1, cdb, 10, p, (uint32_t)len, 0);
	assert_int_equal(sense_asc(c), 0x2100);
	assert_int_equal(mem_nr_unmaps, 0);
	assert_int_equal(mem_disk[0], 0xaa);
	/* Descriptor length claims more than the list holds */
	nr[1] = 1;
	lba[1] = 1;
	len = unmap_list(p, lba, nr, 2);
	put_be16(p + 2, 48);
	c = h_run(&NX1, 1, cdb, 10, p, (uint32_t)len, 0);
	assert_int_equal(sense_asc(c), 0x2600);
	/* Not a multiple of 16 */
	put_be16(p + 2, 20);
	c = h_run(&NX1, 1, cdb, 10, p, (uint32_t)len, 0);
	assert_int_equal(sense_asc(c), 0x2600);
	/* List length under 8 */
	put_be16(cdb + 7, 4);
	c = h_run(&NX1, 1, cdb, 10, p, 4, 0);
	assert_int_equal(sense_asc(c), 0x1a00);
	/* Fewer Data-Out bytes than the CDB claims */
	put_be16(cdb + 7, (uint16_t)len);
	c = h_run(&NX1, 1, cdb, 10, p, 10, 0);
	assert_int_equal(sense_asc(c), 0x0e03);
	/* ANCHOR */
	cdb[1] = 1;
	c = h_run(&NX1, 1, cdb, 10, p, (uint32_t)len, 0);
	assert_int_equal(sense_asc(c), 0x2400);
	assert_int_equal(mem_nr_unmaps, 0);
}

static void test_write_same(void **state)
{
	uint8_t cdb[16];
	struct scsi_cmd *c;

	memset(buf, 0x3c, 512);
	memset(cdb, 0, 10);
	cdb[0] = 0x41;
	put_be32(cdb + 2, 4);
	put_be16(cdb + 7, 3);
	c = h_run(&NX1, 1, cdb, 10, buf, 512, 0);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(mem_disk[4 * 512], 0x3c);
	assert_int_equal(mem_disk[7 * 512 - 1], 0x3c);
	assert_int_equal(mem_disk[7 * 512], 0);
	/* UNMAP bit deallocates whatever the pattern is */
	cdb[1] = 0x08;
	c = h_run(&NX1, 1, cdb, 10, buf, 512, 0);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(mem_nr_unmaps, 1);
	assert_int_equal(mem_disk[4 * 512], 0);
	/* Wrong Data-Out size */
	cdb[1] = 0;
	c = h_run(&NX1, 1, cdb, 10, buf, 1024, 0);
	assert_int_equal(c->status, SAM_STAT_CHECK_CONDITION);
	/* WRITE SAME(16), zero blocks: up to the end of the LU */
	rw16(cdb, 0x93, MEM_BLOCKS - 600, 0);
	c = h_run(&NX1, 1, cdb, 16, buf, 512, 0);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(mem_disk[(uint64_t)MEM_BLOCKS * 512 - 1], 0x3c);
	assert_int_equal(mem_disk[(MEM_BLOCKS - 601) * 512], 0);
	/* NDOB writes zeroes without Data-Out */
	rw16(cdb, 0x93, MEM_BLOCKS - 1, 1);
	cdb[1] = 0x01;
	c = h_run(&NX1, 1, cdb, 16, NULL, 0, 0);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(mem_disk[(uint64_t)MEM_BLOCKS * 512 - 1], 0);
	/* Beyond the end */
	rw16(cdb, 0x93, MEM_BLOCKS, 1);
	c = h_run(&NX1, 1, cdb, 16, buf, 512, 0);
	assert_int_equal(sense_asc(c), 0x2100);
}

static void caw_cdb(uint8_t *cdb, uint64_t lba, uint8_t nr)
{
	memset(cdb, 0, 16);
	cdb[0] = 0x89;
	put_be64(cdb + 2, lba);
	cdb[13] = nr;
}

static void test_caw(void **state)
{
	uint8_t cdb[16];
	struct scsi_cmd *c;

	memset(mem_disk + 512 * 3, 'A', 1024);
	memset(buf, 'A', 1024);
	memset(buf + 1024, 'B', 1024);
	caw_cdb(cdb, 3, 2);
	c = h_run(&NX1, 1, cdb, 16, buf, 2048, 0);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	assert_int_equal(c->xfer_len, 2048);
	assert_int_equal(mem_disk[512 * 3], 'B');
	assert_int_equal(mem_disk[512 * 5 - 1], 'B');
	/* Now the compare half no longer matches at byte 0 */
	c = h_run(&NX1, 1, cdb, 16, buf, 2048, 0);
	assert_int_equal(sense_key(c), SK_MISCOMPARE);
	assert_int_equal(sense_asc(c), 0x1d00);
	assert_int_equal(get_be32(c->sense + 3), 0);
	/* Miscompare in the middle reports that offset */
	memset(buf, 'B', 1024);
	buf[555] = 'X';
	c = h_run(&NX1, 1, cdb, 16, buf, 2048, 0);
	assert_int_equal(get_be32(c->sense + 3), 555);
	assert_int_equal(mem_disk[512 * 3], 'B');
	/* Data-Out of the wrong size */
	c = h_run(&NX1, 1, cdb, 16, buf, 4 * 512, 0);
	caw_cdb(cdb, 3, 1);
	c = h_run(&NX1, 1, cdb, 16, buf, 4 * 512, 0);
	assert_int_equal(c->status, SAM_STAT_CHECK_CONDITION);
	caw_cdb(cdb, 3, 3);
	c = h_run(&NX1, 1, cdb, 16, buf, 4 * 512, 0);
	assert_int_equal(c->status, SAM_STAT_CHECK_CONDITION);
}

static int nr_done;
static void count_done(struct scsi_cmd *cmd)
{
	if (++nr_done == 2)
		loop_stop();
}

static void test_caw_is_atomic_against_writes(void **state)
{
	static struct scsi_cmd a, w;
	static uint8_t adata[1024], wdata[512];

	memset(mem_disk, 'A', 512);
	memset(adata, 'A', 512);
	memset(adata + 512, 'B', 512);
	memset(wdata, 'C', 512);

	memset(&a, 0, sizeof(a));
	a.target = &T;
	a.nexus = &NX1;
	a.lun_raw[1] = 1;
	caw_cdb(a.cdb, 0, 1);
	a.data_out = adata;
	a.data_out_len = sizeof(adata);
	a.done = count_done;
	w = a;
	w.nexus = &NX2;
	rw10(w.cdb, 0x2a, 0, 1);
	w.data_out = wdata;
	w.data_out_len = sizeof(wdata);
	nr_done = 0;
	scsi_exec(&a);
	scsi_exec(&w);
	assert_true(scsi_lu_busy(h_lu(1)));
	loop_run();
	assert_int_equal(a.status, SAM_STAT_GOOD);
	assert_int_equal(w.status, SAM_STAT_GOOD);
	/* The WRITE waited for the CAW's write: its data is last */
	assert_int_equal(mem_disk[0], 'C');
	assert_false(scsi_lu_busy(h_lu(1)));
}

static void test_capacity(void **state)
{
	uint8_t cdb[16] = {0x25};
	struct scsi_cmd *c;

	c = h_run(&NX1, 1, cdb, 10, NULL, 0, 8);
	assert_int_equal(get_be32(C_in), MEM_BLOCKS - 1);
	assert_int_equal(get_be32(C_in + 4), 512);
	memset(cdb, 0, 16);
	cdb[0] = 0x9e;
	cdb[1] = 0x10;
	put_be32(cdb + 10, 32);
	c = h_run(&NX1, 1, cdb, 16, NULL, 0, 32);
	assert_int_equal(c->data_in_len, 32);
	assert_true(get_be64(C_in) == MEM_BLOCKS - 1);
	assert_int_equal(C_in[14] & 0xc0, 0xc0); /* LBPME, LBPRZ */
	/* GET LBA STATUS beyond the end */
	cdb[1] = 0x12;
	put_be64(cdb + 2, MEM_BLOCKS);
	put_be32(cdb + 10, 24);
	c = h_run(&NX1, 1, cdb, 16, NULL, 0, 24);
	assert_int_equal(sense_asc(c), 0x2100);
	put_be64(cdb + 2, 5);
	c = h_run(&NX1, 1, cdb, 16, NULL, 0, 24);
	assert_int_equal(c->status, 0);
	assert_int_equal(get_be32(C_in), 20);
	assert_true(get_be64(C_in + 8) == 5);
	assert_int_equal(get_be32(C_in + 16), MEM_BLOCKS - 5);
}

static void test_sync_and_prefetch(void **state)
{
	uint8_t cdb[10];

	rw10(cdb, 0x35, 0, 0);
	assert_int_equal(h_run(&NX1, 1, cdb, 10, NULL, 0, 0)->status, 0);
	rw10(cdb, 0x34, 0, 8);
	assert_int_equal(h_run(&NX1, 1, cdb, 10, NULL, 0, 0)->status, 0);
	rw10(cdb, 0x34, MEM_BLOCKS, 1);
	assert_int_equal(sense_asc(h_run(&NX1, 1, cdb, 10, NULL, 0, 0)),
			 0x2100);
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
		T_(test_write_read_roundtrip),
		T_(test_read_residual_smaller_buffer),
		T_(test_range_checks),
		T_(test_short_data_out_writes_whole_blocks_sent),
		T_(test_write_protect),
		T_(test_verify_bytchk),
		T_(test_unmap_good_list),
		T_(test_unmap_hostile_lists),
		T_(test_write_same),
		T_(test_caw),
		T_(test_caw_is_atomic_against_writes),
		T_(test_capacity),
		T_(test_sync_and_prefetch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
