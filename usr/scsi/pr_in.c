// SPDX-License-Identifier: GPL-2.0-or-later
/* PERSISTENT RESERVE IN (SPC-4 6.15): keys, reservation, capabilities. */
#include <stdlib.h>
#include <string.h>

#include "scsi_priv.h"

#define PRIN_READ_KEYS		 0
#define PRIN_READ_RESERVATION	 1
#define PRIN_REPORT_CAPABILITIES 2
#define PRIN_READ_FULL_STATUS	 3

static size_t nr_regs(const struct scsi_lu *lu)
{
	const struct pr_reg *r;
	size_t n = 0;

	list_for_each_entry (r, &lu->pr_regs, node)
		n++;
	return n;
}

static bool is_all_reg(uint8_t type)
{
	return type == PR_TYPE_WEAR || type == PR_TYPE_EAAR;
}

static size_t read_keys(struct scsi_lu *lu, uint8_t *b)
{
	struct pr_reg *r;
	size_t n = 8;

	list_for_each_entry (r, &lu->pr_regs, node) {
		put_be64(b + n, r->key);
		n += 8;
	}
	put_be32(b + 4, (uint32_t)(n - 8));
	return n;
}

static size_t read_reservation(struct scsi_lu *lu, uint8_t *b)
{
	if (lu->pr_type == PR_TYPE_NONE)
		return 8;
	put_be32(b + 4, 16);
	/* All-registrants reservations report key zero (SPC-4 6.15.3). */
	if (!is_all_reg(lu->pr_type) && lu->pr_holder)
		put_be64(b + 8, lu->pr_holder->key);
	b[21] = lu->pr_type; /* scope 0: logical unit */
	return 24;
}

static size_t report_capabilities(uint8_t *b)
{
	put_be16(b, 8);
	b[2] = 0x10; /* CRH: RESERVE/RELEASE handled as SPC-3 says */
	b[3] = 0x80; /* TMV: the type mask below is valid */
	b[4] = 0x80 | 0x40 | 0x20 | 0x08 | 0x02; /* WEAR EARO WERO EA WE */
	b[5] = 0x01;				 /* EAAR */
	return 8;
}

/* TransportID of a registration: iSCSI, format 01b (SPC-4 7.6.4.6). */
static size_t transport_id(const struct pr_reg *r, uint8_t *p)
{
	size_t len;

	if (r->transport_id_len) {
		memcpy(p, r->transport_id, r->transport_id_len);
		return r->transport_id_len;
	}
	len = strlen(r->initiator_port) + 1;
	len = (len + 3) & ~(size_t)3;
	memset(p, 0, 4 + len);
	p[0] = 0x45;
	put_be16(p + 2, (uint16_t)len);
	memcpy(p + 4, r->initiator_port, strlen(r->initiator_port));
	return 4 + len;
}

static size_t read_full_status(struct scsi_lu *lu, uint8_t *b)
{
	struct pr_reg *r;
	size_t n = 8;

	list_for_each_entry (r, &lu->pr_regs, node) {
		uint8_t *d = b + n;
		size_t tl;

		memset(d, 0, 24);
		put_be64(d, r->key);
		if (lu->pr_type != PR_TYPE_NONE &&
		    (is_all_reg(lu->pr_type) || lu->pr_holder == r)) {
			d[12] = 0x01; /* R_HOLDER */
			d[13] = lu->pr_type;
		}
		put_be16(d + 18, r->rel_tgt_port_id);
		tl = transport_id(r, d + 24);
		put_be32(d + 20, (uint32_t)tl);
		n += 24 + tl;
	}
	put_be32(b + 4, (uint32_t)(n - 8));
	return n;
}

int spc_pr_in(struct scsi_cmd *cmd)
{
	struct scsi_lu *lu = cmd->lu;
	uint16_t alloc = get_be16(cmd->cdb + 7);
	size_t cap = 8 + nr_regs(lu) * (24 + TGTX_NAME_MAX + 40) + 32, len;
	uint8_t *b = calloc(1, cap);

	if (!b) {
		scsi_set_sense(cmd, SK_HARDWARE_ERROR,
			       ASC_INTERNAL_TARGET_FAILURE);
		return SCSI_DONE;
	}
	put_be32(b, lu->pr_gen);
	switch (cmd->cdb[1] & 0x1f) {
	case PRIN_READ_KEYS:
		len = read_keys(lu, b);
		break;
	case PRIN_READ_RESERVATION:
		len = read_reservation(lu, b);
		break;
	case PRIN_REPORT_CAPABILITIES:
		memset(b, 0, 8);
		len = report_capabilities(b);
		break;
	case PRIN_READ_FULL_STATUS:
		len = read_full_status(lu, b);
		break;
	default:
		scsi_fail_cdb(cmd, 1, 4);
		free(b);
		return SCSI_DONE;
	}
	scsi_data_in(cmd, b, (uint32_t)len, alloc);
	free(b);
	return SCSI_DONE;
}
