/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One hex digit, either case: shared by the iSCSI text values (0x...) and
 * the gossip node keys, so both accept exactly the same digits.
 */
#ifndef TGTX_HEX_H
#define TGTX_HEX_H

/* hex_digit_val: 0..15, or -1 when C is not a hex digit. */
static inline int hex_digit_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
