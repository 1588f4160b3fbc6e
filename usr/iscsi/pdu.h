/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iSCSI PDU framing: an incremental receive parser that can be fed any byte
 * stream (a socket, a fuzzer) and a transmit builder producing iovecs, so
 * data segments are never copied on the way out.
 */
#ifndef TGTX_ISCSI_PDU_H
#define TGTX_ISCSI_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/list.h"
#include "iscsi_proto.h"

/* TotalAHSLength is one byte of 4-byte words. */
#define ISCSI_AHS_MAX (255 * 4)

enum pdu_rx_state {
	RX_BHS,
	RX_AHS,
	RX_HDIGEST,
	RX_HEADER_READY, /* header reported; data placement may be chosen */
	RX_DATA,
	RX_PAD,
	RX_DDIGEST,
	RX_DONE,
};

enum pdu_rx_event {
	PDU_RX_MORE = 0, /* input exhausted, PDU not complete */
	PDU_RX_HEADER,	 /* BHS+AHS (digest checked): choose data placement */
	PDU_RX_DONE,	 /* one whole PDU is available */
	/* Errors. After DDIGEST the stream is still in sync; after the others
	 * it is not and the connection must be dropped. */
	PDU_RX_ERR_HDIGEST = -1,
	PDU_RX_ERR_DDIGEST = -2,
	PDU_RX_ERR_TOO_BIG = -3,
	PDU_RX_ERR_NOMEM = -4,
};

struct pdu_rx {
	enum pdu_rx_state state;
	uint32_t got; /* bytes received of the current part */
	uint8_t bhs[ISCSI_BHS_LEN];
	uint8_t ahs[ISCSI_AHS_MAX];
	uint32_t ahs_len;
	uint32_t dlen; /* DataSegmentLength, without padding */
	uint32_t pad;
	uint8_t *data; /* destination of the data segment */
	uint8_t *buf;  /* parser-owned data buffer */
	uint32_t buf_cap;
	uint8_t padbuf[4];
	uint8_t digest[4];
	uint32_t max_dlen; /* larger data segments are refused */
	bool hdigest;
	bool ddigest;
};

void pdu_rx_init(struct pdu_rx *p, uint32_t max_dlen);
void pdu_rx_free(struct pdu_rx *p);
/*
 * Consumes bytes from in until an event: *used tells how many. Call again
 * (even with len 0) after PDU_RX_HEADER. After PDU_RX_DONE the PDU stays
 * readable until the next call.
 */
int pdu_rx_feed(struct pdu_rx *p, const uint8_t *in, size_t len, size_t *used);
/*
 * After PDU_RX_HEADER: receive the data segment into dst (>= dlen bytes)
 * instead of the parser's buffer (zero-copy Data-Out).
 */
void pdu_rx_set_data(struct pdu_rx *p, uint8_t *dst);
/*
 * In RX_DATA: where the rest of the data segment goes, so the caller can
 * read(2) straight into it. Returns the room (0 when not in RX_DATA).
 */
/*
 * The external data buffer is going away: receive the rest of the segment
 * into the parser's own buffer (contents then undefined). 0 or -ENOMEM.
 */
int pdu_rx_redirect(struct pdu_rx *p);
uint32_t pdu_rx_direct(struct pdu_rx *p, uint8_t **dst);
/* Accounts n bytes written there; PDU_RX_DONE when that ended the PDU. */
int pdu_rx_direct_done(struct pdu_rx *p, uint32_t n);

struct pdu_tx;
typedef void (*pdu_tx_release_fn)(struct pdu_tx *t);

/* One PDU to send: header (+digest), data by reference, pad (+digest). */
struct pdu_tx {
	struct list_head node;
	uint8_t hdr[ISCSI_BHS_LEN + ISCSI_DIGEST_LEN];
	uint8_t tail[3 + ISCSI_DIGEST_LEN];
	uint8_t hdr_len;
	uint8_t tail_len;
	const uint8_t *data;
	uint32_t dlen;
	uint32_t total;		   /* bytes on the wire */
	void *owned;		   /* freed with the PDU (copied data) */
	pdu_tx_release_fn release; /* called when sent or discarded */
	void *priv;
};

/* Zeroed PDU with opcode set; NULL on allocation failure. */
struct pdu_tx *pdu_tx_new(uint8_t opcode);
/* Copies data into memory owned by the PDU. Returns 0 or -ENOMEM. */
int pdu_tx_copy_data(struct pdu_tx *t, const void *data, uint32_t len);
/* Sets DataSegmentLength, padding and digests; call once, last. */
void pdu_tx_seal(struct pdu_tx *t, bool hdigest, bool ddigest);
/* Fills up to 3 iovecs for the bytes from offset off on; returns count. */
int pdu_tx_iov(const struct pdu_tx *t, uint32_t off, struct iovec *iov);
void pdu_tx_free(struct pdu_tx *t);

static inline struct iscsi_bhs *pdu_tx_bhs(struct pdu_tx *t)
{
	return (struct iscsi_bhs *)t->hdr;
}

#endif
