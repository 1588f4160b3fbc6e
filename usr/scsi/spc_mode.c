// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MODE SENSE / MODE SELECT (6 and 10), SPC-4 6.11-6.14 and SBC-3 6.5.
 * Changeable: caching WCE, control D_SENSE and SWP. Nothing is saved.
 */
#include <string.h>

#include "scsi_priv.h"

#define PG_RW_RECOVERY 0x01
#define PG_DISCONNECT  0x02
#define PG_CACHING     0x08
#define PG_CONTROL     0x0a
#define PG_IEC	       0x1c
#define PG_ALL	       0x3f

#define PC_CURRENT    0
#define PC_CHANGEABLE 1
#define PC_DEFAULT    2
#define PC_SAVED      3

static const uint8_t page_order[] = {PG_RW_RECOVERY, PG_DISCONNECT, PG_CACHING,
				     PG_CONTROL, PG_IEC};

size_t spc_mode_page(struct scsi_lu *lu, uint8_t page, int pc, uint8_t *buf,
		     size_t cap)
{
	uint8_t p[20];
	size_t len;
	bool chg = pc == PC_CHANGEABLE, cur = pc == PC_CURRENT;

	memset(p, 0, sizeof(p));
	switch (page) {
	case PG_RW_RECOVERY:
		len = 12;
		break;
	case PG_DISCONNECT:
		len = 16;
		break;
	case PG_CACHING:
		len = 20;
		if (chg)
			p[2] = 0x04;
		else if (cur ? lu->dev.wce : true)
			p[2] = 0x04; /* WCE */
		break;
	case PG_CONTROL:
		len = 12;
		if (chg) {
			p[2] = 0x04; /* D_SENSE */
			p[4] = 0x08; /* SWP */
		} else {
			if (cur && lu->sense_format)
				p[2] = 0x04;
			p[3] = 0x10; /* unrestricted reordering */
			if (cur && lu->swp)
				p[4] = 0x08;
			put_be16(p + 8, 0xffff); /* busy timeout: unlimited */
		}
		break;
	case PG_IEC:
		len = 12;
		break;
	default:
		return 0;
	}
	p[0] = page;
	p[1] = (uint8_t)(len - 2);
	if (len > cap)
		return 0;
	memcpy(buf, p, len);
	return len;
}

int spc_mode_sense(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	bool ten = cmd->cdb[0] == 0x5a;
	bool dbd = cmd->cdb[1] & 0x08;
	bool llbaa = ten && (cmd->cdb[1] & 0x10);
	int pc = cmd->cdb[2] >> 6;
	uint8_t page = cmd->cdb[2] & 0x3f, sub = cmd->cdb[3];
	uint32_t alloc = ten ? get_be16(cmd->cdb + 7) : cmd->cdb[4];
	uint8_t buf[256];
	size_t hdr = ten ? 8 : 4, bdl = 0, len;
	uint64_t nblocks = lu_nr_blocks(lu);

	if (pc == PC_SAVED) {
		scsi_set_sense(cmd, SK_ILLEGAL_REQUEST,
			       ASC_SAVING_NOT_SUPPORTED);
		return SCSI_DONE;
	}
	if (sub && !(sub == 0xff && page == PG_ALL)) {
		scsi_fail_cdb(cmd, 3, -1);
		return SCSI_DONE;
	}
	memset(buf, 0, sizeof(buf));
	if (!dbd)
		bdl = llbaa ? 16 : 8;
	len = hdr;
	if (bdl == 8) {
		put_be32(buf + len,
			 nblocks > 0xffffffff ? 0xffffffff : (uint32_t)nblocks);
		put_be32(buf + len + 4, lu_block_size(lu) & 0xffffff);
	} else if (bdl == 16) {
		put_be64(buf + len, nblocks);
		put_be32(buf + len + 12, lu_block_size(lu));
	}
	len += bdl;
	if (page == PG_ALL) {
		for (size_t i = 0; i < sizeof(page_order); i++)
			len += spc_mode_page(lu, page_order[i], pc, buf + len,
					     sizeof(buf) - len);
	} else {
		size_t n = spc_mode_page(lu, page, pc, buf + len,
					 sizeof(buf) - len);

		if (!n) {
			scsi_fail_cdb(cmd, 2, 5);
			return SCSI_DONE;
		}
		len += n;
	}
	/* Device-specific parameter: WP and DPOFUA (SBC-3 6.5.1) */
	buf[ten ? 3 : 2] = (lu_write_protected(lu) ? 0x80 : 0) | 0x10;
	if (ten) {
		put_be16(buf, (uint16_t)(len - 2));
		buf[4] = llbaa && bdl ? 0x01 : 0;
		put_be16(buf + 6, (uint16_t)bdl);
	} else {
		buf[0] = (uint8_t)(len - 1);
		buf[3] = (uint8_t)bdl;
	}
	scsi_data_in(cmd, buf, (uint32_t)len, alloc);
	return SCSI_DONE;
}

/* Checks one page against the changeable mask and applies it. */
static bool select_page(struct scsi_cmd *cmd, const uint8_t *p, size_t plen,
			size_t off)
{
	struct scsi_lu *lu = cmd->lu;
	uint8_t cur[20], mask[20];
	size_t len =
		spc_mode_page(lu, p[0] & 0x3f, PC_CURRENT, cur, sizeof(cur));

	if (p[0] & 0x40) { /* sub-page format: none are supported */
		scsi_fail_param(cmd, (uint16_t)off, 6);
		return false;
	}
	if (!len) {
		scsi_fail_param(cmd, (uint16_t)off, 5);
		return false;
	}
	if (plen != len) {
		scsi_fail_param(cmd, (uint16_t)(off + 1), -1);
		return false;
	}
	spc_mode_page(lu, p[0] & 0x3f, PC_CHANGEABLE, mask, sizeof(mask));
	for (size_t i = 2; i < len; i++) {
		if ((p[i] ^ cur[i]) & ~mask[i]) {
			scsi_fail_param(cmd, (uint16_t)(off + i), -1);
			return false;
		}
	}
	return true;
}

static bool apply_page(struct scsi_lu *lu, const uint8_t *p)
{
	bool changed = false;

	switch (p[0] & 0x3f) {
	case PG_CACHING:
		changed = lu->dev.wce != !!(p[2] & 0x04);
		lu->dev.wce = p[2] & 0x04;
		break;
	case PG_CONTROL:
		changed = lu->sense_format != !!(p[2] & 0x04) ||
			  lu->swp != !!(p[4] & 0x08);
		lu->sense_format = !!(p[2] & 0x04);
		lu->swp = p[4] & 0x08;
		break;
	}
	return changed;
}

int spc_mode_select(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	bool ten = cmd->cdb[0] == 0x55;
	uint32_t plen = ten ? get_be16(cmd->cdb + 7) : cmd->cdb[4];
	size_t hdr = ten ? 8 : 4, bdl, off;
	const uint8_t *d = cmd->data_out;
	bool changed = false;

	cmd->xfer_len = plen;
	if (cmd->cdb[1] & 0x01) { /* SP: nothing can be saved */
		scsi_fail_cdb(cmd, 1, 0);
		return SCSI_DONE;
	}
	if (!plen)
		return SCSI_DONE;
	if (plen > cmd->data_out_len || plen < hdr) {
		scsi_set_sense(cmd, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH);
		return SCSI_DONE;
	}
	bdl = ten ? get_be16(d + 6) : d[3];
	if (bdl && bdl != 8 && bdl != 16) {
		scsi_fail_param(cmd, ten ? 6 : 3, -1);
		return SCSI_DONE;
	}
	if (hdr + bdl > plen) {
		scsi_set_sense(cmd, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH);
		return SCSI_DONE;
	}
	if (bdl) {
		const uint8_t *b = d + hdr;
		uint32_t bl = bdl == 8 ? get_be24(b + 5) : get_be32(b + 12);

		/* The block size is set by management, not by MODE SELECT. */
		if (bl && bl != lu_block_size(lu)) {
			scsi_fail_param(cmd, (uint16_t)(hdr + bdl - 3), -1);
			return SCSI_DONE;
		}
	}
	/* Validate every page before applying any (all or nothing). */
	for (off = hdr + bdl; off < plen;) {
		size_t pl;

		if (off + 2 > plen) {
			scsi_set_sense(cmd, SK_ILLEGAL_REQUEST,
				       ASC_PARAM_LIST_LENGTH);
			return SCSI_DONE;
		}
		pl = 2 + (size_t)d[off + 1];
		if (off + pl > plen) {
			scsi_set_sense(cmd, SK_ILLEGAL_REQUEST,
				       ASC_PARAM_LIST_LENGTH);
			return SCSI_DONE;
		}
		if (!select_page(cmd, d + off, pl, off))
			return SCSI_DONE;
		off += pl;
	}
	for (off = hdr + bdl; off < plen; off += 2 + (size_t)d[off + 1])
		changed |= apply_page(lu, d + off);
	if (changed)
		ua_add_all(lu, cmd->nexus ? cmd->nexus->id : 0,
			   ASC_PARAMS_CHANGED);
	return SCSI_DONE;
}
