// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every command the layer implements, with the properties dispatch needs.
 * REPORT SUPPORTED OPERATION CODES is generated from this table, so a
 * command is advertised exactly when it is implemented.
 */
#include "scsi_priv.h"

#define NO_SA (-1)
/* Disk medium access: needs an LU with a backing store that is online. */
#define RD (OPF_SBC | OPF_MEDIUM | OPF_PR_READ)
#define WR (OPF_SBC | OPF_MEDIUM | OPF_PR_WRITE)
/* Harmless everywhere: identification and status commands. */
#define ID (OPF_NO_LU | OPF_CONTROLLER | OPF_NO_UA | OPF_RSV2_OK)

static const struct scsi_op ops[] = {
	{0x00, NO_SA, 6, DIR_NONE, OPF_CONTROLLER | OPF_MEDIUM,
	 "TEST UNIT READY", spc_test_unit_ready},
	{0x03, NO_SA, 6, DIR_IN, ID, "REQUEST SENSE", spc_request_sense},
	{0x08, NO_SA, 6, DIR_IN, RD, "READ(6)", sbc_read},
	{0x0a, NO_SA, 6, DIR_OUT, WR, "WRITE(6)", sbc_write},
	{0x12, NO_SA, 6, DIR_IN, ID, "INQUIRY", spc_inquiry},
	{0x15, NO_SA, 6, DIR_OUT, OPF_PR_WRITE | OPF_PR_READ, "MODE SELECT(6)",
	 spc_mode_select},
	{0x16, NO_SA, 6, DIR_NONE, OPF_PR_WRITE | OPF_PR_READ, "RESERVE(6)",
	 spc_reserve},
	{0x17, NO_SA, 6, DIR_NONE, OPF_RSV2_OK, "RELEASE(6)", spc_release},
	{0x1a, NO_SA, 6, DIR_IN, OPF_PR_READ, "MODE SENSE(6)", spc_mode_sense},
	{0x1b, NO_SA, 6, DIR_NONE, OPF_SBC | OPF_PR_WRITE, "START STOP UNIT",
	 spc_start_stop},
	{0x1d, NO_SA, 6, DIR_OUT, 0, "SEND DIAGNOSTIC", spc_send_diagnostic},
	{0x1e, NO_SA, 6, DIR_NONE, OPF_SBC | OPF_PR_READ,
	 "PREVENT ALLOW MEDIUM REMOVAL", spc_prevent_allow},
	{0x25, NO_SA, 10, DIR_IN, OPF_SBC | OPF_MEDIUM, "READ CAPACITY(10)",
	 sbc_read_capacity10},
	{0x28, NO_SA, 10, DIR_IN, RD, "READ(10)", sbc_read},
	{0x2a, NO_SA, 10, DIR_OUT, WR, "WRITE(10)", sbc_write},
	{0x2e, NO_SA, 10, DIR_OUT, WR, "WRITE AND VERIFY(10)", sbc_write},
	{0x2f, NO_SA, 10, DIR_OUT, RD, "VERIFY(10)", sbc_verify},
	{0x34, NO_SA, 10, DIR_NONE, RD, "PRE-FETCH(10)", sbc_prefetch},
	{0x35, NO_SA, 10, DIR_NONE, WR, "SYNCHRONIZE CACHE(10)",
	 sbc_sync_cache},
	{0x37, NO_SA, 10, DIR_IN, OPF_SBC | OPF_PR_READ, "READ DEFECT DATA(10)",
	 sbc_read_defect},
	{0x41, NO_SA, 10, DIR_OUT, WR, "WRITE SAME(10)", sbc_write_same},
	{0x42, NO_SA, 10, DIR_OUT, WR, "UNMAP", sbc_unmap},
	{0x55, NO_SA, 10, DIR_OUT, OPF_PR_WRITE | OPF_PR_READ,
	 "MODE SELECT(10)", spc_mode_select},
	{0x56, NO_SA, 10, DIR_NONE, OPF_PR_WRITE | OPF_PR_READ, "RESERVE(10)",
	 spc_reserve},
	{0x57, NO_SA, 10, DIR_NONE, OPF_RSV2_OK, "RELEASE(10)", spc_release},
	{0x5a, NO_SA, 10, DIR_IN, OPF_PR_READ, "MODE SENSE(10)",
	 spc_mode_sense},
	{0x5e, 0x00, 10, DIR_IN, 0, "PERSISTENT RESERVE IN/READ KEYS",
	 spc_pr_in},
	{0x5e, 0x01, 10, DIR_IN, 0, "PERSISTENT RESERVE IN/READ RESERVATION",
	 spc_pr_in},
	{0x5e, 0x02, 10, DIR_IN, 0, "PERSISTENT RESERVE IN/REPORT CAPABILITIES",
	 spc_pr_in},
	{0x5e, 0x03, 10, DIR_IN, 0, "PERSISTENT RESERVE IN/READ FULL STATUS",
	 spc_pr_in},
	{0x5f, 0x00, 10, DIR_OUT, 0, "PERSISTENT RESERVE OUT/REGISTER",
	 spc_pr_out},
	{0x5f, 0x01, 10, DIR_OUT, 0, "PERSISTENT RESERVE OUT/RESERVE",
	 spc_pr_out},
	{0x5f, 0x02, 10, DIR_OUT, 0, "PERSISTENT RESERVE OUT/RELEASE",
	 spc_pr_out},
	{0x5f, 0x03, 10, DIR_OUT, 0, "PERSISTENT RESERVE OUT/CLEAR",
	 spc_pr_out},
	{0x5f, 0x04, 10, DIR_OUT, 0, "PERSISTENT RESERVE OUT/PREEMPT",
	 spc_pr_out},
	{0x5f, 0x05, 10, DIR_OUT, 0, "PERSISTENT RESERVE OUT/PREEMPT AND ABORT",
	 spc_pr_out},
	{0x5f, 0x06, 10, DIR_OUT, 0,
	 "PERSISTENT RESERVE OUT/REGISTER AND IGNORE EXISTING KEY", spc_pr_out},
	{0x88, NO_SA, 16, DIR_IN, RD, "READ(16)", sbc_read},
	{0x89, NO_SA, 16, DIR_OUT, WR | OPF_PR_READ, "COMPARE AND WRITE",
	 sbc_caw},
	{0x8a, NO_SA, 16, DIR_OUT, WR, "WRITE(16)", sbc_write},
	{0x8b, NO_SA, 16, DIR_OUT, WR | OPF_PR_READ, "ORWRITE(16)",
	 sbc_orwrite},
	{0x8e, NO_SA, 16, DIR_OUT, WR, "WRITE AND VERIFY(16)", sbc_write},
	{0x8f, NO_SA, 16, DIR_OUT, RD, "VERIFY(16)", sbc_verify},
	{0x90, NO_SA, 16, DIR_NONE, RD, "PRE-FETCH(16)", sbc_prefetch},
	{0x91, NO_SA, 16, DIR_NONE, WR, "SYNCHRONIZE CACHE(16)",
	 sbc_sync_cache},
	{0x93, NO_SA, 16, DIR_OUT, WR, "WRITE SAME(16)", sbc_write_same},
	{0x9e, 0x10, 16, DIR_IN, OPF_SBC | OPF_MEDIUM, "READ CAPACITY(16)",
	 sbc_read_capacity16},
	{0x9e, 0x12, 16, DIR_IN, RD, "GET LBA STATUS", sbc_get_lba_status},
	{0xa0, NO_SA, 12, DIR_IN, ID, "REPORT LUNS", spc_report_luns},
	{0xa3, 0x0c, 12, DIR_IN, OPF_CONTROLLER | OPF_RSV2_OK,
	 "REPORT SUPPORTED OPERATION CODES", spc_report_opcodes},
	{0xa8, NO_SA, 12, DIR_IN, RD, "READ(12)", sbc_read},
	{0xaa, NO_SA, 12, DIR_OUT, WR, "WRITE(12)", sbc_write},
	{0xae, NO_SA, 12, DIR_OUT, WR, "WRITE AND VERIFY(12)", sbc_write},
	{0xaf, NO_SA, 12, DIR_OUT, RD, "VERIFY(12)", sbc_verify},
	{0xb7, NO_SA, 12, DIR_IN, OPF_SBC | OPF_PR_READ, "READ DEFECT DATA(12)",
	 sbc_read_defect},
};

#define NR_OPS (sizeof(ops) / sizeof(ops[0]))

bool scsi_op_has_sa(uint8_t opcode)
{
	for (size_t i = 0; i < NR_OPS; i++)
		if (ops[i].opcode == opcode)
			return ops[i].sa >= 0;
	return false;
}

const struct scsi_op *scsi_op_find(uint8_t opcode, uint8_t sa, bool *bad_sa)
{
	bool seen = false;

	*bad_sa = false;
	for (size_t i = 0; i < NR_OPS; i++) {
		if (ops[i].opcode != opcode)
			continue;
		if (ops[i].sa < 0 || ops[i].sa == (sa & 0x1f))
			return &ops[i];
		seen = true;
	}
	*bad_sa = seen;
	return NULL;
}

const struct scsi_op *scsi_op_table(size_t *nr)
{
	*nr = NR_OPS;
	return ops;
}
