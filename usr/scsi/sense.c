// SPDX-License-Identifier: GPL-2.0-or-later
/* Sense data (fixed and descriptor format, SPC-4 4.5) and command completion.
 */
#include <stdlib.h>
#include <string.h>

#include "scsi_priv.h"

#define FIXED_SENSE_LEN 18

size_t scsi_build_sense(uint8_t *buf, size_t cap, int fmt, uint8_t key,
			uint16_t asc, bool info_valid, uint64_t info,
			const uint8_t *sks)
{
	uint8_t tmp[64];
	size_t len;

	memset(tmp, 0, sizeof(tmp));
	if (fmt == 0) {
		tmp[0] = 0x70 | (info_valid ? 0x80 : 0);
		tmp[2] = key & 0x0f;
		/* The fixed INFORMATION field holds only 32 bits. */
		if (info_valid)
			put_be32(tmp + 3, (uint32_t)info);
		tmp[7] = FIXED_SENSE_LEN - 8;
		tmp[12] = (uint8_t)(asc >> 8);
		tmp[13] = (uint8_t)asc;
		if (sks)
			memcpy(tmp + 15, sks, 3);
		len = FIXED_SENSE_LEN;
	} else {
		uint8_t *d = tmp + 8;

		tmp[0] = 0x72;
		tmp[1] = key & 0x0f;
		tmp[2] = (uint8_t)(asc >> 8);
		tmp[3] = (uint8_t)asc;
		if (info_valid) {
			d[0] = 0x00; /* information descriptor */
			d[1] = 0x0a;
			d[2] = 0x80; /* VALID */
			put_be64(d + 4, info);
			d += 12;
		}
		if (sks) {
			d[0] = 0x02; /* sense key specific descriptor */
			d[1] = 0x06;
			memcpy(d + 4, sks, 3);
			d += 8;
		}
		len = (size_t)(d - tmp);
		tmp[7] = (uint8_t)(len - 8);
	}
	if (len > cap)
		len = cap;
	memcpy(buf, tmp, len);
	return len;
}

static int lu_sense_fmt(const struct scsi_cmd *cmd)
{
	return cmd->lu ? cmd->lu->sense_format : 0;
}

static void set_sense(struct scsi_cmd *cmd, uint8_t key, uint16_t asc,
		      bool info_valid, uint64_t info, const uint8_t *sks)
{
	cmd->status = SAM_STAT_CHECK_CONDITION;
	cmd->sense_len = (uint8_t)scsi_build_sense(
		cmd->sense, sizeof(cmd->sense), lu_sense_fmt(cmd), key, asc,
		info_valid, info, sks);
}

void scsi_set_sense(struct scsi_cmd *cmd, uint8_t key, uint16_t asc)
{
	set_sense(cmd, key, asc, false, 0, NULL);
}

void scsi_set_sense_info(struct scsi_cmd *cmd, uint8_t key, uint16_t asc,
			 uint64_t info)
{
	set_sense(cmd, key, asc, true, info, NULL);
}

static void fail_field(struct scsi_cmd *cmd, bool in_cdb, uint16_t byte,
		       int bit)
{
	uint8_t sks[3];

	/* SKSV, C/D, BPV + bit pointer, then the field pointer */
	sks[0] = 0x80 | (in_cdb ? 0x40 : 0);
	if (bit >= 0 && bit <= 7)
		sks[0] |= 0x08 | (uint8_t)bit;
	put_be16(sks + 1, byte);
	set_sense(cmd, SK_ILLEGAL_REQUEST,
		  in_cdb ? ASC_INVALID_FIELD_CDB : ASC_INVALID_FIELD_PARAM,
		  false, 0, sks);
}

void scsi_fail_cdb(struct scsi_cmd *cmd, uint16_t byte, int bit)
{
	fail_field(cmd, true, byte, bit);
}

void scsi_fail_param(struct scsi_cmd *cmd, uint16_t byte, int bit)
{
	fail_field(cmd, false, byte, bit);
}

void scsi_data_in(struct scsi_cmd *cmd, const void *buf, uint32_t len,
		  uint32_t alloc)
{
	uint32_t n = len < alloc ? len : alloc;

	cmd->xfer_len = alloc;
	if (!cmd->data_in)
		n = 0;
	if (n > cmd->data_in_cap)
		n = cmd->data_in_cap;
	if (n)
		memcpy(cmd->data_in, buf, n);
	cmd->data_in_len = n;
}

/* Per-LU counters (lu_stats.h) for the metrics exporter. */
static void account(const struct scsi_cmd *cmd, struct scsi_lu *lu)
{
	enum lu_stat_op op = lu_stat_classify(cmd->cdb[0]);
	bool ok = cmd->status == SAM_STAT_GOOD ||
		  cmd->status == SAM_STAT_CONDITION_MET;
	uint64_t bytes = 0;
	uint64_t now = loop_now_ns();

	if (op == LU_OP_READ)
		bytes = cmd->data_in_len;
	else if (op == LU_OP_WRITE)
		bytes = cmd->data_out_len < cmd->xfer_len ? cmd->data_out_len
							  : cmd->xfer_len;
	/*
	 * A unit attention is a notice to the initiator, not a failure, and
	 * the command did not run: it is retried and counted then.
	 */
	if (!ok && cmd->sense_len > 2 &&
	    ((cmd->sense[0] & 0x7f) >= 0x72
		     ? cmd->sense[1] & 0x0f
		     : cmd->sense[2] & 0x0f) == SK_UNIT_ATTENTION) {
		lu->stats.unit_attentions++;
		return;
	}
	lu_stats_account(&lu->stats, op, bytes, !ok,
			 now > cmd->start_ns ? now - cmd->start_ns : 0);
}

void scsi_finish(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	bool wake = false;

	free(cmd->scratch);
	cmd->scratch = NULL;
	/* A failed command moves no Data-In; its sense says why. */
	if (cmd->status != SAM_STAT_GOOD &&
	    cmd->status != SAM_STAT_CONDITION_MET)
		cmd->data_in_len = 0;
	if (lu) {
		account(cmd, lu);
		if (cmd->stage & STAGE_LOCKED) {
			lu_unlock(cmd);
			wake = true;
		}
		if (lu->pending)
			lu->pending--;
	}
	cmd->done(cmd);
	/* Waiters run after done() so a long chain never nests in it. */
	if (wake)
		lu_wake(lu);
}
