// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * READ, WRITE, WRITE AND VERIFY, VERIFY (6/10/12/16), PRE-FETCH and
 * SYNCHRONIZE CACHE (SBC-3 5.x). No protection information is supported,
 * so any RDPROTECT/WRPROTECT/VRPROTECT value but zero is rejected.
 */
#include <stdlib.h>
#include <string.h>

#include "scsi_priv.h"

bool sbc_decode(struct scsi_cmd *cmd, struct sbc_cdb *c)
{
	const uint8_t *cdb = cmd->cdb;

	memset(c, 0, sizeof(*c));
	switch (cdb[0] >> 5) {
	case 0: /* 6-byte: a transfer length of 0 means 256 blocks */
		c->lba = get_be24(cdb + 1) & 0x1fffff;
		c->nr = cdb[4] ? cdb[4] : 256;
		return true;
	case 1:
	case 2: /* 10-byte */
		c->lba = get_be32(cdb + 2);
		c->nr = get_be16(cdb + 7);
		break;
	case 4: /* 16-byte */
		c->lba = get_be64(cdb + 2);
		c->nr = get_be32(cdb + 10);
		break;
	case 5: /* 12-byte */
		c->lba = get_be32(cdb + 2);
		c->nr = get_be32(cdb + 6);
		break;
	default:
		scsi_set_sense(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return false;
	}
	c->protect = cdb[1] >> 5;
	c->dpo = cdb[1] & 0x10;
	c->fua = cdb[1] & 0x08;
	c->bytchk = (cdb[1] >> 1) & 0x03;
	return true;
}

/* Offset of the transfer length field, for the sense field pointer. */
static uint16_t tl_byte(const struct scsi_cmd *cmd)
{
	switch (cmd->cdb[0] >> 5) {
	case 0:
		return 4;
	case 4:
		return 10;
	case 5:
		return 6;
	default:
		return 7;
	}
}

/* Bytes the CDB asks for, clamped: the transport's residual source. */
static uint32_t cdb_bytes(const struct scsi_cmd *cmd, const struct sbc_cdb *c)
{
	uint64_t n = (uint64_t)c->nr * lu_block_size(cmd->lu);

	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

static bool common_checks(struct scsi_cmd *cmd, const struct sbc_cdb *c)
{
	if (c->protect) {
		scsi_fail_cdb(cmd, 1, 7);
		return false;
	}
	if (!sbc_range_ok(cmd, c->lba, c->nr))
		return false;
	if (c->nr > sbc_max_xfer_blocks(cmd->lu)) {
		scsi_fail_cdb(cmd, tl_byte(cmd), -1);
		return false;
	}
	return true;
}

static void simple_done(struct bs_req *req)
{
	struct scsi_cmd *cmd = req->priv;

	if (req->result < 0)
		sbc_io_error(cmd, req->op, req->result);
	scsi_finish(cmd);
}

static void read_done(struct bs_req *req)
{
	struct scsi_cmd *cmd = req->priv;
	uint32_t n = cmd->data_in_cap < cmd->xfer_len ? cmd->data_in_cap
						      : cmd->xfer_len;

	if (req->result < 0) {
		sbc_io_error(cmd, BS_READ, req->result);
	} else {
		if (cmd->scratch)
			memcpy(cmd->data_in, cmd->scratch, n);
		cmd->data_in_len = n;
	}
	scsi_finish(cmd);
}

int sbc_read(struct scsi_cmd *cmd)
{
	uint32_t bs = lu_block_size(cmd->lu);
	struct sbc_cdb c;
	uint64_t n, rl;
	void *buf;

	if (!sbc_decode(cmd, &c))
		return SCSI_DONE;
	cmd->xfer_len = cdb_bytes(cmd, &c);
	if (!common_checks(cmd, &c))
		return SCSI_DONE;
	n = cmd->data_in ? cmd->data_in_cap : 0;
	if (n > cmd->xfer_len)
		n = cmd->xfer_len;
	if (!n)
		return SCSI_DONE;
	/* Only what the initiator can take is read, whole blocks at a time. */
	rl = (n + bs - 1) / bs * bs;
	if (rl <= cmd->data_in_cap) {
		buf = cmd->data_in;
	} else {
		cmd->scratch = malloc(rl);
		if (!cmd->scratch) {
			scsi_set_sense(cmd, SK_HARDWARE_ERROR,
				       ASC_INTERNAL_TARGET_FAILURE);
			return SCSI_DONE;
		}
		buf = cmd->scratch;
	}
	sbc_submit(cmd, BS_READ, c.lba * bs, rl, buf, false, read_done);
	return SCSI_ASYNC;
}

int sbc_write(struct scsi_cmd *cmd)
{
	uint32_t bs = lu_block_size(cmd->lu);
	bool verify = (cmd->cdb[0] & 0x0f) == 0x0e;
	struct sbc_cdb c;
	uint32_t len;

	if (!sbc_decode(cmd, &c))
		return SCSI_DONE;
	cmd->xfer_len = cdb_bytes(cmd, &c);
	if (!common_checks(cmd, &c))
		return SCSI_DONE;
	if (!sbc_writable(cmd) || !c.nr)
		return SCSI_DONE;
	/*
	 * When the initiator sent less than the CDB asks for (iSCSI EDTL <
	 * SCSI transfer length), only the whole blocks that arrived are
	 * written and the status is GOOD; the transport reports the overflow
	 * residual (RFC 7143 11.4.5.2, as libiscsi's residual tests expect).
	 */
	len = cmd->xfer_len;
	if (cmd->data_out_len < len)
		len = cmd->data_out_len / bs * bs;
	if (!len)
		return SCSI_DONE;
	if (!lu_lock(cmd, false))
		return SCSI_ASYNC;
	/* WRITE AND VERIFY: the data must be on the medium when we say so. */
	sbc_submit(cmd, BS_WRITE, c.lba * bs, len, (void *)cmd->data_out,
		   c.fua || verify, simple_done);
	return SCSI_ASYNC;
}

static void verify_done(struct bs_req *req)
{
	struct scsi_cmd *cmd = req->priv;
	uint32_t bs = lu_block_size(cmd->lu);
	uint64_t len = req->len;

	if (req->result < 0) {
		sbc_io_error(cmd, BS_READ, req->result);
		scsi_finish(cmd);
		return;
	}
	for (uint64_t i = 0; i < len; i++) {
		uint8_t want = cmd->stage & 0x01 ? cmd->data_out[i % bs]
						 : cmd->data_out[i];

		if (cmd->scratch[i] != want) {
			scsi_set_sense_info(cmd, SK_MISCOMPARE,
					    ASC_MISCOMPARE_VERIFY, i);
			break;
		}
	}
	scsi_finish(cmd);
}

int sbc_verify(struct scsi_cmd *cmd)
{
	uint32_t bs = lu_block_size(cmd->lu);
	struct sbc_cdb c;
	uint64_t len;

	if (!sbc_decode(cmd, &c))
		return SCSI_DONE;
	if (c.bytchk == 2) {
		scsi_fail_cdb(cmd, 1, 2);
		return SCSI_DONE;
	}
	if (!common_checks(cmd, &c))
		return SCSI_DONE;
	len = (uint64_t)c.nr * bs;
	if (c.bytchk == 1)
		cmd->xfer_len = (uint32_t)len;
	else if (c.bytchk == 3)
		cmd->xfer_len = c.nr ? bs : 0;
	/* BYTCHK 0: the medium is always readable, nothing to compare. */
	if (!c.nr || !c.bytchk)
		return SCSI_DONE;
	if (!sbc_have_data(cmd, cmd->xfer_len))
		return SCSI_DONE;
	cmd->scratch = malloc(len);
	if (!cmd->scratch) {
		scsi_set_sense(cmd, SK_HARDWARE_ERROR,
			       ASC_INTERNAL_TARGET_FAILURE);
		return SCSI_DONE;
	}
	cmd->stage = (cmd->stage & STAGE_LOCKED) | (c.bytchk == 3);
	sbc_submit(cmd, BS_READ, c.lba * bs, len, cmd->scratch, false,
		   verify_done);
	return SCSI_ASYNC;
}

int sbc_prefetch(struct scsi_cmd *cmd)
{
	struct sbc_cdb c;

	/* There is no cache to load: GOOD once the range is valid. */
	if (!sbc_decode(cmd, &c))
		return SCSI_DONE;
	sbc_range_ok(cmd, c.lba, c.nr);
	return SCSI_DONE;
}

int sbc_sync_cache(struct scsi_cmd *cmd)
{
	struct sbc_cdb c;

	if (!sbc_decode(cmd, &c) || !sbc_range_ok(cmd, c.lba, c.nr))
		return SCSI_DONE;
	sbc_submit(cmd, BS_FLUSH, 0, 0, NULL, false, simple_done);
	return SCSI_ASYNC;
}
