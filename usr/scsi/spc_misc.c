// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Small SPC commands: TEST UNIT READY, REQUEST SENSE, START STOP UNIT,
 * PREVENT ALLOW MEDIUM REMOVAL, SEND DIAGNOSTIC and REPORT SUPPORTED
 * OPERATION CODES (generated from the opcode table).
 */
#include <stdlib.h>
#include <string.h>

#include "scsi_priv.h"

#define ASC_MEDIUM_REMOVAL_PREVENTED 0x5302
#define CMD_TIMEOUT_SECS	     60

int spc_test_unit_ready(struct scsi_cmd *cmd)
{
	return SCSI_DONE;
}

int spc_request_sense(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	int fmt = cmd->cdb[1] & 0x01;
	uint8_t key = SK_NO_SENSE, buf[SCSI_SENSE_MAX];
	uint16_t asc = ASC_NO_ADDITIONAL;
	size_t len;

	if (!lu) {
		key = SK_ILLEGAL_REQUEST;
		asc = ASC_LUN_NOT_SUPPORTED;
	} else if (cmd->nexus && ua_take(lu, cmd->nexus->id, &asc)) {
		/* Reporting a UA here clears it (SAM-5 5.14, SPC-4 6.39). */
		key = SK_UNIT_ATTENTION;
	} else if (!lu->controller && (!lu->online || !lu->dev_open)) {
		key = SK_NOT_READY;
		asc = ASC_LUN_NOT_READY_MANUAL;
	} else if (lu->ejected) {
		key = SK_NOT_READY;
		asc = ASC_MEDIUM_NOT_PRESENT;
	}
	len = scsi_build_sense(buf, sizeof(buf), fmt, key, asc, false, 0, NULL);
	scsi_data_in(cmd, buf, (uint32_t)len, cmd->cdb[4]);
	return SCSI_DONE;
}

int spc_start_stop(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	uint8_t b4 = cmd->cdb[4];
	bool loej = b4 & 0x02, start = b4 & 0x01;

	/* A power condition makes START and LOEJ irrelevant (SBC-3 5.25). */
	if (b4 >> 4)
		return SCSI_DONE;
	if (!loej || !lu->removable)
		return SCSI_DONE;
	if (!start) {
		if (lu->prevent) {
			scsi_set_sense(cmd, SK_ILLEGAL_REQUEST,
				       ASC_MEDIUM_REMOVAL_PREVENTED);
			return SCSI_DONE;
		}
		lu->ejected = true;
	} else {
		lu->ejected = false;
	}
	return SCSI_DONE;
}

int spc_prevent_allow(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	uint8_t prevent = cmd->cdb[4] & 0x03;

	if (prevent > 1) {
		scsi_fail_cdb(cmd, 4, 1);
		return SCSI_DONE;
	}
	if (lu->removable)
		lu->prevent = prevent;
	return SCSI_DONE;
}

int spc_send_diagnostic(struct scsi_cmd *cmd)
{
	/* Only the default self-test exists; it always passes. */
	if (!(cmd->cdb[1] & 0x04) && get_be16(cmd->cdb + 3)) {
		scsi_fail_cdb(cmd, 1, 2);
		return SCSI_DONE;
	}
	return SCSI_DONE;
}

static bool op_visible(const struct scsi_lu *lu, const struct scsi_op *op)
{
	return !lu->controller || (op->flags & OPF_CONTROLLER);
}

static size_t put_timeouts(uint8_t *p)
{
	memset(p, 0, 12);
	put_be16(p, 0x0a);
	put_be32(p + 8, CMD_TIMEOUT_SECS);
	return 12;
}

static size_t one_command(const struct scsi_lu *lu, uint8_t opcode, uint16_t sa,
			  bool use_sa, bool rctd, uint8_t *buf)
{
	const struct scsi_op *op = NULL;
	bool bad_sa;
	size_t n;

	memset(buf, 0, 4);
	if (!use_sa || sa <= 0x1f)
		op = scsi_op_find(opcode, (uint8_t)sa, &bad_sa);
	if (op && !op_visible(lu, op))
		op = NULL;
	if (!op) {
		buf[1] = 0x01; /* not supported */
		return 4;
	}
	buf[1] = 0x03 | (rctd ? 0x80 : 0); /* supported per standard */
	put_be16(buf + 2, op->cdb_len);
	memset(buf + 4, 0xff, op->cdb_len);
	buf[4] = op->opcode;
	if (op->sa >= 0)
		buf[5] = 0xe0 | (uint8_t)op->sa;
	buf[4 + op->cdb_len - 1] = 0x00; /* control byte: no NACA */
	n = 4 + op->cdb_len;
	if (rctd)
		n += put_timeouts(buf + n);
	return n;
}

int spc_report_opcodes(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	uint8_t opts = cmd->cdb[2] & 0x07, opcode = cmd->cdb[3];
	bool rctd = cmd->cdb[2] & 0x80;
	uint16_t sa = get_be16(cmd->cdb + 4);
	uint32_t alloc = get_be32(cmd->cdb + 6);
	size_t nr, len = 0;
	const struct scsi_op *ops = scsi_op_table(&nr);
	uint8_t *buf;

	buf = calloc(1, 4 + nr * 20 + 64);
	if (!buf) {
		scsi_set_sense(cmd, SK_HARDWARE_ERROR,
			       ASC_INTERNAL_TARGET_FAILURE);
		return SCSI_DONE;
	}
	switch (opts) {
	case 0:
		len = 4;
		for (size_t i = 0; i < nr; i++) {
			uint8_t *d = buf + len;

			if (!op_visible(lu, &ops[i]))
				continue;
			d[0] = ops[i].opcode;
			put_be16(d + 2,
				 ops[i].sa >= 0 ? (uint16_t)ops[i].sa : 0);
			d[5] = (ops[i].sa >= 0 ? 0x01 : 0) | (rctd ? 0x02 : 0);
			put_be16(d + 6, ops[i].cdb_len);
			len += 8;
			if (rctd)
				len += put_timeouts(buf + len);
		}
		put_be32(buf, (uint32_t)(len - 4));
		break;
	case 1:
		if (scsi_op_has_sa(opcode)) {
			scsi_fail_cdb(cmd, 2, 2);
			goto out;
		}
		len = one_command(lu, opcode, 0, false, rctd, buf);
		break;
	case 2:
		if (!scsi_op_has_sa(opcode)) {
			scsi_fail_cdb(cmd, 2, 2);
			goto out;
		}
		len = one_command(lu, opcode, sa, true, rctd, buf);
		break;
	case 3:
		len = one_command(lu, opcode, sa, scsi_op_has_sa(opcode), rctd,
				  buf);
		break;
	default:
		scsi_fail_cdb(cmd, 2, 2);
		goto out;
	}
	scsi_data_in(cmd, buf, (uint32_t)len, alloc);
out:
	free(buf);
	return SCSI_DONE;
}
