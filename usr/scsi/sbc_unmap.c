// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * UNMAP and WRITE SAME (10/16), SBC-3 5.28 and 5.41-5.43. Every UNMAP
 * descriptor is validated before any block is deallocated, so a hostile
 * list either runs completely or not at all.
 */
#include <stdlib.h>
#include <string.h>

#include "scsi_priv.h"

#define UNMAP_MAX_DESC	 1024
#define UNMAP_MAX_LBAS	 (1024 * 1024)
#define WS_CHUNK_BYTES	 (1024 * 1024)
#define STAGE_INDEX_MASK 0xffff

/* ---- UNMAP ---- */

static void unmap_next(struct scsi_cmd *cmd);

static void unmap_done(struct bs_req *req)
{
	struct scsi_cmd *cmd = req->priv;

	if (req->result < 0) {
		sbc_io_error(cmd, BS_WRITE, req->result);
		scsi_finish(cmd);
		return;
	}
	cmd->stage++;
	unmap_next(cmd);
}

/* Issues the next non-empty descriptor, or finishes the command. */
static void unmap_next(struct scsi_cmd *cmd)
{
	uint32_t bs = lu_block_size(cmd->lu);
	unsigned int n = get_be16(cmd->data_out + 2) / 16;
	unsigned int i;

	for (i = (unsigned int)cmd->stage & STAGE_INDEX_MASK; i < n; i++) {
		const uint8_t *d = cmd->data_out + 8 + 16 * i;
		uint64_t lba = get_be64(d);
		uint32_t nr = get_be32(d + 8);

		if (!nr)
			continue;
		cmd->stage = (cmd->stage & ~STAGE_INDEX_MASK) | (int)i;
		sbc_submit(cmd, BS_UNMAP, lba * bs, (uint64_t)nr * bs, NULL,
			   false, unmap_done);
		return;
	}
	scsi_finish(cmd);
}

/* Returns false (sense set) when the parameter list is not acceptable. */
static bool unmap_validate(struct scsi_cmd *cmd, uint32_t plen)
{
	const uint8_t *d = cmd->data_out;
	uint32_t bddl, n;

	if (plen < 8) {
		scsi_set_sense(cmd, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH);
		return false;
	}
	if (!sbc_have_data(cmd, plen))
		return false;
	bddl = get_be16(d + 2);
	if (get_be16(d) < 6 || bddl > plen - 8 || bddl % 16) {
		scsi_fail_param(cmd, get_be16(d) < 6 ? 0 : 2, -1);
		return false;
	}
	n = bddl / 16;
	if (n > UNMAP_MAX_DESC) {
		scsi_fail_param(cmd, 2, -1);
		return false;
	}
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = d + 8 + 16 * i;
		uint32_t nr = get_be32(e + 8);

		if (nr > UNMAP_MAX_LBAS) {
			scsi_fail_param(cmd, (uint16_t)(8 + 16 * i + 8), -1);
			return false;
		}
		if (!sbc_range_ok(cmd, get_be64(e), nr))
			return false;
	}
	return true;
}

int sbc_unmap(struct scsi_cmd *cmd)
{
	uint32_t plen = get_be16(cmd->cdb + 7);

	cmd->xfer_len = plen;
	if (!lu_can_unmap(cmd->lu)) {
		scsi_set_sense(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return SCSI_DONE;
	}
	if (cmd->cdb[1] & 0x01) { /* ANCHOR: no anchored state here */
		scsi_fail_cdb(cmd, 1, 0);
		return SCSI_DONE;
	}
	if (!sbc_writable(cmd) || !plen)
		return SCSI_DONE;
	if (!unmap_validate(cmd, plen))
		return SCSI_DONE;
	if (!lu_lock(cmd, false))
		return SCSI_ASYNC;
	cmd->stage &= ~STAGE_INDEX_MASK;
	unmap_next(cmd);
	return SCSI_ASYNC;
}

/* ---- WRITE SAME ---- */

/* Lives in cmd->scratch: "up to the last LBA" can exceed 32 bits. */
struct ws_state {
	uint64_t next;
	uint64_t end;
	uint8_t pattern[]; /* a chunk's worth of repeated blocks */
};

static void ws_next(struct scsi_cmd *cmd);

static void ws_done(struct bs_req *req)
{
	struct scsi_cmd *cmd = req->priv;
	struct ws_state *ws = (struct ws_state *)cmd->scratch;

	if (req->result < 0) {
		sbc_io_error(cmd, req->op, req->result);
		scsi_finish(cmd);
		return;
	}
	if (req->op == BS_UNMAP) {
		scsi_finish(cmd);
		return;
	}
	ws->next += req->len / lu_block_size(cmd->lu);
	ws_next(cmd);
}

static void ws_next(struct scsi_cmd *cmd)
{
	struct ws_state *ws = (struct ws_state *)cmd->scratch;
	uint32_t bs = lu_block_size(cmd->lu);
	uint64_t chunk = WS_CHUNK_BYTES / bs;

	if (ws->next >= ws->end) {
		scsi_finish(cmd);
		return;
	}
	if (chunk > ws->end - ws->next)
		chunk = ws->end - ws->next;
	sbc_submit(cmd, BS_WRITE, ws->next * bs, chunk * bs, ws->pattern, false,
		   ws_done);
}

int sbc_write_same(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	uint32_t bs = lu_block_size(lu);
	bool sixteen = cmd->cdb[0] == 0x93;
	uint8_t flags = cmd->cdb[1];
	bool unmap = flags & 0x08, ndob = sixteen && (flags & 0x01);
	uint64_t lba, nr, cap = lu_nr_blocks(lu), chunk;
	struct ws_state *ws;

	lba = sixteen ? get_be64(cmd->cdb + 2) : get_be32(cmd->cdb + 2);
	nr = sixteen ? get_be32(cmd->cdb + 10) : get_be16(cmd->cdb + 7);
	cmd->xfer_len = ndob ? 0 : bs;
	if (flags >> 5) {
		scsi_fail_cdb(cmd, 1, 7);
		return SCSI_DONE;
	}
	if (flags & 0x10) { /* ANCHOR */
		scsi_fail_cdb(cmd, 1, 4);
		return SCSI_DONE;
	}
	if (flags & 0x06) { /* PBDATA/LBDATA are obsolete and unsupported */
		scsi_fail_cdb(cmd, 1, flags & 0x04 ? 2 : 1);
		return SCSI_DONE;
	}
	if (unmap && !lu_can_unmap(lu)) {
		scsi_fail_cdb(cmd, 1, 3);
		return SCSI_DONE;
	}
	/* WSNZ is 0: zero blocks means up to the last LBA. */
	if (!nr && lba <= cap)
		nr = cap - lba;
	if (!sbc_range_ok(cmd, lba, nr))
		return SCSI_DONE;
	/* The limit advertised in VPD B0 (MAXIMUM WRITE SAME LENGTH) */
	if (nr > sbc_max_xfer_blocks(lu)) {
		scsi_fail_cdb(cmd, sixteen ? 10 : 7, -1);
		return SCSI_DONE;
	}
	if (!sbc_writable(cmd))
		return SCSI_DONE;
	if (!ndob && cmd->data_out_len != bs) {
		scsi_set_sense(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IU);
		return SCSI_DONE;
	}
	if (!nr)
		return SCSI_DONE;
	if (!lu_lock(cmd, false))
		return SCSI_ASYNC;
	if (unmap) {
		sbc_submit(cmd, BS_UNMAP, lba * bs, nr * bs, NULL, false,
			   ws_done);
		return SCSI_ASYNC;
	}
	chunk = WS_CHUNK_BYTES / bs;
	if (chunk > nr)
		chunk = nr;
	ws = malloc(sizeof(*ws) + chunk * bs);
	if (!ws) {
		scsi_set_sense(cmd, SK_HARDWARE_ERROR,
			       ASC_INTERNAL_TARGET_FAILURE);
		return SCSI_DONE;
	}
	cmd->scratch = (uint8_t *)ws;
	for (uint64_t i = 0; i < chunk; i++) {
		if (ndob)
			memset(ws->pattern + i * bs, 0, bs);
		else
			memcpy(ws->pattern + i * bs, cmd->data_out, bs);
	}
	ws->next = lba;
	ws->end = lba + nr;
	ws_next(cmd);
	return SCSI_ASYNC;
}
