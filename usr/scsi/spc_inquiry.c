// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * INQUIRY (SPC-4 6.6): standard data and the vital product data pages a
 * thin-provisioned SBC-3 disk reports (SPC-4 7.8, SBC-3 6.6).
 */
#include <stdio.h>
#include <string.h>

#include "scsi_priv.h"

#define INQ_STD_LEN 96
#define VPD_MAX	    1024

/* Version descriptors (SPC-4 table 142) */
#define VD_SAM5	 0x00a0
#define VD_ISCSI 0x0960
#define VD_SPC4	 0x0460
#define VD_SBC3	 0x04c0

/* VPD page codes */
#define VPD_SUPPORTED	 0x00
#define VPD_SERIAL	 0x80
#define VPD_DEVID	 0x83
#define VPD_BLOCK_LIMITS 0xb0
#define VPD_BDC		 0xb1
#define VPD_LBP		 0xb2

static void pad_copy(uint8_t *dst, const char *src, size_t len)
{
	size_t n = strlen(src);

	memset(dst, ' ', len);
	memcpy(dst, src, n < len ? n : len);
}

static uint8_t periph(const struct scsi_lu *lu)
{
	if (!lu)
		return 0x7f; /* qualifier 011b: no LU at this LUN */
	return lu->controller ? 0x0c : 0x00;
}

static size_t inq_standard(const struct scsi_lu *lu, uint8_t *b)
{
	memset(b, 0, INQ_STD_LEN);
	b[0] = periph(lu);
	b[1] = lu && lu->removable ? 0x80 : 0;
	b[2] = 0x06; /* SPC-4 */
	b[3] = 0x12; /* HISUP, response data format 2 */
	b[4] = INQ_STD_LEN - 5;
	b[7] = 0x02; /* CMDQUE */
	pad_copy(b + 8, lu ? lu->vendor_id : "TGTX", 8);
	pad_copy(b + 16, lu ? lu->product_id : "", 16);
	pad_copy(b + 32, lu ? lu->product_rev : "", 4);
	put_be16(b + 58, VD_SAM5);
	put_be16(b + 60, VD_ISCSI);
	put_be16(b + 62, VD_SPC4);
	if (lu && !lu->controller)
		put_be16(b + 64, VD_SBC3);
	return INQ_STD_LEN;
}

static size_t vpd_supported(const struct scsi_lu *lu, uint8_t *b)
{
	size_t n = 4;

	b[n++] = VPD_SUPPORTED;
	b[n++] = VPD_SERIAL;
	b[n++] = VPD_DEVID;
	if (!lu->controller) {
		const struct bs_ops *ops = lu->dev.ops;

		b[n++] = VPD_BLOCK_LIMITS;
		b[n++] = VPD_BDC;
		b[n++] = VPD_LBP;
		if (lu->dev_open && ops->vpd_page)
			for (size_t i = 0; i < ops->nr_vpd_pages && n < 255;
			     i++)
				if (ops->vpd_pages[i] >= 0xc0)
					b[n++] = ops->vpd_pages[i];
	}
	put_be16(b + 2, (uint16_t)(n - 4));
	return n;
}

static size_t vpd_serial(const struct scsi_lu *lu, uint8_t *b)
{
	size_t len = strlen(lu->scsi_sn);

	memcpy(b + 4, lu->scsi_sn, len);
	put_be16(b + 2, (uint16_t)len);
	return 4 + len;
}

/* Appends a SCSI name string designator, NUL padded to 4-byte multiple. */
static size_t desig_name(uint8_t *d, uint8_t assoc, const char *name,
			 const char *suffix)
{
	size_t len = strlen(name) + strlen(suffix) + 1;

	len = (len + 3) & ~(size_t)3;
	if (len > 252)
		return 0;
	memset(d, 0, 4 + len);
	d[0] = 0x50 | 0x03; /* iSCSI, UTF-8 */
	d[1] = 0x80 | assoc | 0x08;
	d[3] = (uint8_t)len;
	memcpy(d + 4, name, strlen(name));
	memcpy(d + 4 + strlen(name), suffix, strlen(suffix));
	return 4 + len;
}

static size_t vpd_devid(const struct scsi_cmd *cmd, const struct scsi_lu *lu,
			uint8_t *b)
{
	uint8_t *d = b + 4;
	size_t idlen = strlen(lu->scsi_id);
	uint16_t rtpi = cmd->nexus && cmd->nexus->rel_tgt_port_id
				? cmd->nexus->rel_tgt_port_id
				: 1;
	char port_sfx[24];

	/*
	 * NAA Locally Assigned (NAA 3), binary, LU association: NAA 5/6 need
	 * an IEEE company id of our own, which tgtx does not have.
	 */
	d[0] = 0x01;
	d[1] = 0x03;
	d[3] = 8;
	put_be64(d + 4, lu->naa);
	d += 12;

	/* T10 vendor ID based, ASCII, LU association */
	if (idlen > 64)
		idlen = 64;
	d[0] = 0x02;
	d[1] = 0x01;
	d[3] = (uint8_t)(8 + idlen);
	pad_copy(d + 4, lu->vendor_id, 8);
	memcpy(d + 12, lu->scsi_id, idlen);
	d += 12 + idlen;

	/* Relative target port, target port association */
	d[0] = 0x51;
	d[1] = 0x94;
	d[3] = 4;
	put_be16(d + 6, rtpi);
	d += 8;

	if (lu->target) {
		snprintf(port_sfx, sizeof(port_sfx), ",t,0x%04x", rtpi);
		d += desig_name(d, 0x10, lu->target->name, port_sfx);
		d += desig_name(d, 0x20, lu->target->name, "");
	}
	put_be16(b + 2, (uint16_t)(d - b - 4));
	return (size_t)(d - b);
}

static size_t vpd_block_limits(const struct scsi_lu *lu, uint8_t *b)
{
	uint32_t max = sbc_max_xfer_blocks(lu);

	memset(b + 4, 0, 0x3c);
	put_be16(b + 2, 0x3c);
	b[5] = 0xff; /* MAXIMUM COMPARE AND WRITE LENGTH */
	put_be16(b + 6, 1);
	put_be32(b + 8, max);
	put_be32(b + 12, max);
	if (lu_can_unmap(lu)) {
		put_be32(b + 20, 1024 * 1024); /* MAXIMUM UNMAP LBA COUNT */
		put_be32(b + 24, 1024);	       /* ... BLOCK DESCRIPTOR COUNT */
		put_be32(b + 28, 1);	       /* OPTIMAL UNMAP GRANULARITY */
	}
	/*
	 * WRITE SAME is executed in chunks and could go further, but
	 * initiators size other commands from this too; one limit for all.
	 */
	put_be64(b + 36, max); /* MAXIMUM WRITE SAME LENGTH */
	return 64;
}

static size_t vpd_bdc(uint8_t *b)
{
	memset(b + 4, 0, 0x3c);
	put_be16(b + 2, 0x3c);
	put_be16(b + 4, 1); /* non-rotating medium */
	return 64;
}

static size_t vpd_lbp(const struct scsi_lu *lu, uint8_t *b)
{
	memset(b + 4, 0, 4);
	put_be16(b + 2, 4);
	if (lu_can_unmap(lu)) {
		/* LBPU, LBPWS, LBPWS10, LBPRZ: unmapped blocks read zero */
		b[5] = 0x80 | 0x40 | 0x20 | 0x04;
		b[6] = 0x02; /* thin provisioned */
	}
	return 8;
}

static size_t inq_vpd(struct scsi_cmd *cmd, uint8_t page, uint8_t *b)
{
	struct scsi_lu *lu = cmd->lu;

	memset(b, 0, 8);
	b[0] = periph(lu);
	b[1] = page;
	switch (page) {
	case VPD_SUPPORTED:
		return vpd_supported(lu, b);
	case VPD_SERIAL:
		return vpd_serial(lu, b);
	case VPD_DEVID:
		return vpd_devid(cmd, lu, b);
	}
	if (lu->controller)
		return 0;
	switch (page) {
	case VPD_BLOCK_LIMITS:
		return vpd_block_limits(lu, b);
	case VPD_BDC:
		return vpd_bdc(b);
	case VPD_LBP:
		return vpd_lbp(lu, b);
	}
	if (page >= 0xc0 && lu->dev_open && lu->dev.ops->vpd_page) {
		size_t n = lu->dev.ops->vpd_page(&lu->dev, page, b, VPD_MAX);

		if (n > VPD_MAX)
			n = 0;
		if (n >= 4) {
			/* The store writes the whole page; byte 0 is ours. */
			b[0] = periph(lu);
			b[1] = page;
		}
		return n;
	}
	return 0;
}

int spc_inquiry(struct scsi_cmd *cmd)
{
	uint16_t alloc = get_be16(cmd->cdb + 3);
	bool evpd = cmd->cdb[1] & 0x01;
	uint8_t page = cmd->cdb[2];
	uint8_t buf[VPD_MAX];
	size_t len;

	if (cmd->cdb[1] & 0x02) { /* CMDDT is obsolete */
		scsi_fail_cdb(cmd, 1, 1);
		return SCSI_DONE;
	}
	if (!evpd) {
		if (page) {
			scsi_fail_cdb(cmd, 2, -1);
			return SCSI_DONE;
		}
		len = inq_standard(cmd->lu, buf);
	} else {
		if (!cmd->lu) {
			scsi_set_sense(cmd, SK_ILLEGAL_REQUEST,
				       ASC_LUN_NOT_SUPPORTED);
			return SCSI_DONE;
		}
		len = inq_vpd(cmd, page, buf);
		if (!len) {
			scsi_fail_cdb(cmd, 2, -1);
			return SCSI_DONE;
		}
	}
	scsi_data_in(cmd, buf, (uint32_t)len, alloc);
	return SCSI_DONE;
}
