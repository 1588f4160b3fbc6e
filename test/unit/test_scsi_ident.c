// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Node id file (format, checksum, atomic creation, 0600) and the default
 * LU identities built from it: VPD 0x80 and 0x83 as an initiator reads
 * them, explicit scsi_id/scsi_sn precedence, and the per-LU counters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/node_id.h"
#include "scsi/lu_ident.h"
#include "test_scsi_harness.h"

static const uint8_t ID_A[NODE_ID_LEN] = {1, 2,	 3,  4,	 5,  6,	 7,  8,
					  9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t ID_B[NODE_ID_LEN] = {1, 2,	 3,  4,	 5,  6,	 7,  8,
					  9, 10, 11, 12, 13, 14, 15, 17};

static void test_node_id_format_parse(void **state)
{
	char line[NODE_ID_FILE_LEN + 1];
	uint8_t id[NODE_ID_LEN];

	assert_int_equal(node_id_format(ID_A, line), NODE_ID_FILE_LEN);
	assert_int_equal(strlen(line), NODE_ID_FILE_LEN);
	assert_memory_equal(
		line, "tgtx-node-id 1 0102030405060708090a0b0c0d0e0f10 ", 48);
	assert_int_equal(node_id_parse(line, NODE_ID_FILE_LEN, id), 0);
	assert_memory_equal(id, ID_A, NODE_ID_LEN);
	/* one flipped id digit: the checksum catches it */
	line[20] = line[20] == '0' ? '1' : '0';
	assert_int_equal(node_id_parse(line, NODE_ID_FILE_LEN, id), -EBADMSG);
	node_id_format(ID_A, line);
	/* truncated, wrong version, upper-case hex */
	assert_int_equal(node_id_parse(line, NODE_ID_FILE_LEN - 1, id),
			 -EINVAL);
	line[13] = '2';
	assert_int_equal(node_id_parse(line, NODE_ID_FILE_LEN, id), -EINVAL);
	node_id_format(ID_A, line);
	line[25] = 'A';
	assert_int_equal(node_id_parse(line, NODE_ID_FILE_LEN, id), -EINVAL);
}

static void test_node_id_load(void **state)
{
	char dir[] = "/tmp/tgtx-nodeid.XXXXXX", path[256], err[256];
	uint8_t first[NODE_ID_LEN];
	struct stat st;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, NODE_ID_FILE);
	/* made at the first load, mode 0600, the same at the next */
	assert_int_equal(node_id_load(dir, err, sizeof(err)), 0);
	memcpy(first, node_id_get(), NODE_ID_LEN);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, NODE_ID_FILE_LEN);
	node_id_set(ID_B);
	assert_int_equal(node_id_load(dir, err, sizeof(err)), 0);
	assert_memory_equal(node_id_get(), first, NODE_ID_LEN);
	/* a damaged file stops start-up rather than making a new id */
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	{
		char ch;

		assert_int_equal(pread(fd, &ch, 1, 20), 1);
		ch = ch == '0' ? '1' : '0';
		assert_int_equal(pwrite(fd, &ch, 1, 20), 1);
	}
	close(fd);
	assert_int_equal(node_id_load(dir, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "corrupt"));
	assert_non_null(strstr(err, path));
	unlink(path);
	rmdir(dir);
	/* a state directory that cannot be made names itself */
	assert_true(node_id_load("/proc/nonexistent/x", err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/proc/nonexistent/x"));
}

static void test_default_identity(void **state)
{
	char a[LU_IDENT_HEX_LEN + 1], b[LU_IDENT_HEX_LEN + 1];

	lu_ident_default(ID_A, "iqn.2026-11.org.tgtx:x", 1, a);
	assert_int_equal(strlen(a), LU_IDENT_HEX_LEN);
	lu_ident_default(ID_A, "iqn.2026-11.org.tgtx:x", 1, b);
	assert_string_equal(a, b); /* stable: no hidden state */
	lu_ident_default(ID_B, "iqn.2026-11.org.tgtx:x", 1, b);
	assert_string_not_equal(a, b); /* another node */
	lu_ident_default(ID_A, "iqn.2026-11.org.tgtx:x", 2, b);
	assert_string_not_equal(a, b); /* another LUN */
	lu_ident_default(ID_A, "iqn.2026-11.org.tgtx:y", 1, b);
	assert_string_not_equal(a, b); /* another target */
	/* NAA 3 (locally assigned) in the top nibble, follows the id */
	assert_int_equal(lu_ident_naa(a) >> 60, 3);
	assert_true(lu_ident_naa(a) != lu_ident_naa(b));
	assert_true(lu_ident_naa(a) == lu_ident_naa(a));
}

static int setup_node_a(void **state)
{
	node_id_set(ID_A);
	return h_setup(state);
}

/* The designators as an initiator reads them from LU 1. */
static void read_ids(char *sn, size_t snlen, uint64_t *naa, char *t10,
		     size_t t10len)
{
	uint8_t cdb[6] = {0x12, 1, 0x80, 0, 255, 0};
	struct scsi_cmd *c = h_run(&NX1, 1, cdb, 6, NULL, 0, 255);
	uint8_t *d;

	assert_int_equal(c->status, SAM_STAT_GOOD);
	snprintf(sn, snlen, "%.*s", C_in[3], (char *)C_in + 4);
	cdb[2] = 0x83;
	c = h_run(&NX1, 1, cdb, 6, NULL, 0, 255);
	assert_int_equal(c->status, SAM_STAT_GOOD);
	d = C_in + 4;
	assert_int_equal(d[1] & 0x0f, 3); /* NAA */
	assert_int_equal(d[3], 8);
	*naa = get_be64(d + 4);
	d += 12;
	assert_int_equal(d[1] & 0x0f, 1); /* T10 vendor id */
	snprintf(t10, t10len, "%.*s", d[3], (char *)d + 4);
}

static void test_vpd_uses_identity(void **state)
{
	char sn[80], t10[80], want[LU_IDENT_HEX_LEN + 1], w[96], err[128];
	uint64_t naa;

	lu_ident_default(ID_A, T.name, 1, want);
	read_ids(sn, sizeof(sn), &naa, t10, sizeof(t10));
	assert_string_equal(sn, want);
	snprintf(w, sizeof(w), "TGTX    %s", want);
	assert_string_equal(t10, w);
	assert_true(naa == lu_ident_naa(want));

	/* another node, same target and LUN: every designator differs */
	node_id_set(ID_B);
	assert_int_equal(scsi_lu_destroy(&T, 1, err, sizeof(err)), 0);
	assert_int_equal(scsi_lu_create(&T, 1, "memtest", "/mem", NULL, err,
					sizeof(err)),
			 0);
	h_clear_ua(&NX1, 1);
	{
		char sn2[80], t102[80];
		uint64_t naa2;

		read_ids(sn2, sizeof(sn2), &naa2, t102, sizeof(t102));
		assert_string_not_equal(sn, sn2);
		assert_string_not_equal(t10, t102);
		assert_true(naa != naa2);
	}

	/* explicit values win; the NAA follows an explicit scsi_id */
	assert_int_equal(scsi_lu_set_param(h_lu(1), "scsi_sn", "SN-EXPLICIT",
					   err, sizeof(err)),
			 0);
	assert_int_equal(scsi_lu_set_param(h_lu(1), "scsi_id", "cluster-lu-7",
					   err, sizeof(err)),
			 0);
	read_ids(sn, sizeof(sn), &naa, t10, sizeof(t10));
	assert_string_equal(sn, "SN-EXPLICIT");
	assert_string_equal(t10, "TGTX    cluster-lu-7");
	assert_true(naa == lu_ident_naa("cluster-lu-7"));
}

static void test_lu_counters(void **state)
{
	uint8_t wr[10] = {0x2a, 0, 0, 0, 0, 8, 0, 0, 4, 0};
	uint8_t rd[10] = {0x28, 0, 0, 0, 0, 8, 0, 0, 2, 0};
	uint8_t tur[6] = {0};
	static uint8_t data[4 * 512];
	const struct lu_stats *st = scsi_lu_stats(h_lu(1));
	struct lu_stats before = *st;
	uint64_t lat = 0;

	assert_int_equal(h_run(&NX1, 1, wr, 10, data, sizeof(data), 0)->status,
			 SAM_STAT_GOOD);
	assert_int_equal(h_run(&NX1, 1, rd, 10, NULL, 0, 1024)->status,
			 SAM_STAT_GOOD);
	assert_int_equal(h_run(&NX1, 1, rd, 10, NULL, 0, 1024)->status,
			 SAM_STAT_GOOD);
	/* beyond the end: an error, no bytes */
	put_be32(rd + 2, MEM_BLOCKS);
	assert_int_equal(h_run(&NX1, 1, rd, 10, NULL, 0, 1024)->status,
			 SAM_STAT_CHECK_CONDITION);
	assert_int_equal(st->op[LU_OP_WRITE].cmds - before.op[LU_OP_WRITE].cmds,
			 1);
	assert_int_equal(
		st->op[LU_OP_WRITE].bytes - before.op[LU_OP_WRITE].bytes, 2048);
	assert_int_equal(st->op[LU_OP_READ].cmds - before.op[LU_OP_READ].cmds,
			 3);
	assert_int_equal(st->op[LU_OP_READ].bytes - before.op[LU_OP_READ].bytes,
			 2048);
	assert_int_equal(
		st->op[LU_OP_READ].errors - before.op[LU_OP_READ].errors, 1);
	for (int i = 0; i <= LU_LAT_BUCKETS; i++)
		lat += st->op[LU_OP_READ].lat[i] - before.op[LU_OP_READ].lat[i];
	assert_int_equal(lat, 3);

	/* a unit attention is counted as such, not as a command or error */
	before = *st;
	ua_add(h_lu(1), NX1.id, ASC_POWER_ON_RESET);
	assert_int_equal(h_run(&NX1, 1, tur, 6, NULL, 0, 0)->status,
			 SAM_STAT_CHECK_CONDITION);
	assert_int_equal(st->unit_attentions - before.unit_attentions, 1);
	assert_int_equal(st->op[LU_OP_OTHER].cmds, before.op[LU_OP_OTHER].cmds);
	assert_int_equal(st->op[LU_OP_OTHER].errors,
			 before.op[LU_OP_OTHER].errors);
}

static void test_latency_buckets(void **state)
{
	struct lu_stats st;

	memset(&st, 0, sizeof(st));
	lu_stats_account(&st, LU_OP_READ, 512, false, 50000);	 /* 50 us */
	lu_stats_account(&st, LU_OP_READ, 512, false, 50001);	 /* 50.001 */
	lu_stats_account(&st, LU_OP_READ, 512, false, 51000);	 /* 51 us */
	lu_stats_account(&st, LU_OP_READ, 0, true, 20000000000); /* 20 s */
	assert_int_equal(st.op[LU_OP_READ].lat[0], 2);
	assert_int_equal(st.op[LU_OP_READ].lat[1], 1);
	assert_int_equal(st.op[LU_OP_READ].lat[LU_LAT_BUCKETS], 1);
	assert_int_equal(st.op[LU_OP_READ].bytes, 1536);
	assert_int_equal(st.op[LU_OP_READ].errors, 1);
	assert_int_equal(lu_stat_classify(0x88), LU_OP_READ);
	assert_int_equal(lu_stat_classify(0x8e), LU_OP_WRITE);
	assert_int_equal(lu_stat_classify(0x00), LU_OP_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_id_format_parse),
		cmocka_unit_test(test_node_id_load),
		cmocka_unit_test(test_default_identity),
		cmocka_unit_test_setup_teardown(test_vpd_uses_identity,
						setup_node_a, h_teardown),
		cmocka_unit_test_setup_teardown(test_lu_counters, setup_node_a,
						h_teardown),
		cmocka_unit_test(test_latency_buckets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
