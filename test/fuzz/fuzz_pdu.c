// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the PDU receive parser. The first input byte picks
 * the digest settings, the limit and how the rest is split into reads, so
 * the fuzzer also explores framing across arbitrary chunk boundaries and
 * the zero-copy placement path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iscsi/pdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static uint8_t ext[65536];
	struct pdu_rx p;
	size_t off = 1, step;
	uint8_t cfg;

	if (!n)
		return 0;
	cfg = d[0];
	pdu_rx_init(&p, (cfg & 0x10) ? 65536 : 8192);
	p.hdigest = cfg & 1;
	p.ddigest = cfg & 2;
	step = ((cfg >> 5) + 1) * 7;
	while (off < n) {
		size_t len = n - off < step ? n - off : step, pos = 0, used;
		int ev;

		do {
			ev = pdu_rx_feed(&p, d + off + pos, len - pos, &used);
			pos += used;
			if (ev == PDU_RX_HEADER && (cfg & 4) &&
			    p.dlen <= sizeof(ext))
				pdu_rx_set_data(&p, ext);
			if (ev == PDU_RX_DONE && p.dlen)
				ext[0] ^= p.data[p.dlen - 1];
			if (ev < 0 && ev != PDU_RX_ERR_DDIGEST)
				goto out;
		} while (ev != PDU_RX_MORE);
		off += len;
	}
out:
	pdu_rx_free(&p);
	return 0;
}
