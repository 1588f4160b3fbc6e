// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PDU framing. The receive side is a byte-driven state machine: it never
 * trusts a length before checking it against the negotiated limits, and it
 * never needs more than one PDU of lookahead, so a fuzzer can feed it any
 * split of any input.
 */
#include "pdu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "login.h"

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

void pdu_rx_init(struct pdu_rx *p, uint32_t max_dlen)
{
	memset(p, 0, sizeof(*p));
	p->state = RX_BHS;
	p->max_dlen = max_dlen;
}

void pdu_rx_free(struct pdu_rx *p)
{
	free(p->buf);
	p->buf = NULL;
	p->buf_cap = 0;
	p->data = NULL;
}

static void rx_reset(struct pdu_rx *p)
{
	p->state = RX_BHS;
	p->got = 0;
	p->ahs_len = 0;
	p->dlen = 0;
	p->pad = 0;
	p->data = NULL;
}

/* Copies up to want-got bytes of in into dst+got; returns bytes taken. */
static size_t take(uint8_t *dst, uint32_t want, uint32_t *got,
		   const uint8_t *in, size_t len)
{
	size_t n = want - *got;

	if (n > len)
		n = len;
	if (n)
		memcpy(dst + *got, in, n);
	*got += (uint32_t)n;
	return n;
}

static int header_parsed(struct pdu_rx *p)
{
	p->got = 0;
	p->state = RX_HEADER_READY;
	return PDU_RX_HEADER;
}

/* Called with the whole BHS in p->bhs: validates lengths. */
static int bhs_parsed(struct pdu_rx *p)
{
	const struct iscsi_bhs *h = (const struct iscsi_bhs *)p->bhs;

	p->ahs_len = (uint32_t)h->ahslen * 4;
	p->dlen = get_be24(h->dlength);
	p->pad = (4 - (p->dlen & 3)) & 3;
	p->got = 0;
	if (p->dlen > p->max_dlen)
		return PDU_RX_ERR_TOO_BIG;
	if (p->ahs_len) {
		p->state = RX_AHS;
		return PDU_RX_MORE;
	}
	if (p->hdigest) {
		p->state = RX_HDIGEST;
		return PDU_RX_MORE;
	}
	return header_parsed(p);
}

static int hdigest_check(struct pdu_rx *p)
{
	uint32_t crc = crc32c(0, p->bhs, ISCSI_BHS_LEN);

	if (p->ahs_len)
		crc = crc32c(crc, p->ahs, p->ahs_len);
	if (crc != get_le32(p->digest))
		return PDU_RX_ERR_HDIGEST;
	return header_parsed(p);
}

static int ensure_buf(struct pdu_rx *p)
{
	uint8_t *nb;

	if (p->data)
		return 0;
	if (p->buf_cap < p->dlen) {
		nb = realloc(p->buf, p->dlen);
		if (!nb)
			return PDU_RX_ERR_NOMEM;
		p->buf = nb;
		p->buf_cap = p->dlen;
	}
	p->data = p->buf;
	return 0;
}

/* Leaves RX_HEADER_READY: next part is data, padding, digest or the end. */
static int start_data(struct pdu_rx *p)
{
	p->got = 0;
	if (!p->dlen) {
		p->state = RX_DONE;
		return PDU_RX_DONE;
	}
	if (ensure_buf(p))
		return PDU_RX_ERR_NOMEM;
	p->state = RX_DATA;
	return PDU_RX_MORE;
}

static int data_finished(struct pdu_rx *p)
{
	p->got = 0;
	if (p->pad) {
		p->state = RX_PAD;
		return PDU_RX_MORE;
	}
	if (p->ddigest) {
		p->state = RX_DDIGEST;
		return PDU_RX_MORE;
	}
	p->state = RX_DONE;
	return PDU_RX_DONE;
}

static int pad_finished(struct pdu_rx *p)
{
	p->got = 0;
	if (p->ddigest) {
		p->state = RX_DDIGEST;
		return PDU_RX_MORE;
	}
	p->state = RX_DONE;
	return PDU_RX_DONE;
}

static int ddigest_check(struct pdu_rx *p)
{
	uint32_t crc = crc32c(0, p->data, p->dlen);

	if (p->pad)
		crc = crc32c(crc, p->padbuf, p->pad);
	p->state = RX_DONE;
	if (crc != get_le32(p->digest))
		return PDU_RX_ERR_DDIGEST;
	return PDU_RX_DONE;
}

int pdu_rx_feed(struct pdu_rx *p, const uint8_t *in, size_t len, size_t *used)
{
	size_t off = 0;
	int ev = PDU_RX_MORE;

	if (p->state == RX_DONE)
		rx_reset(p);
	while (ev == PDU_RX_MORE) {
		switch (p->state) {
		case RX_BHS:
			off += take(p->bhs, ISCSI_BHS_LEN, &p->got, in + off,
				    len - off);
			if (p->got < ISCSI_BHS_LEN)
				goto out;
			ev = bhs_parsed(p);
			break;
		case RX_AHS:
			off += take(p->ahs, p->ahs_len, &p->got, in + off,
				    len - off);
			if (p->got < p->ahs_len)
				goto out;
			p->got = 0;
			if (p->hdigest)
				p->state = RX_HDIGEST;
			else
				ev = header_parsed(p);
			break;
		case RX_HDIGEST:
			off += take(p->digest, 4, &p->got, in + off, len - off);
			if (p->got < 4)
				goto out;
			ev = hdigest_check(p);
			break;
		case RX_HEADER_READY:
			ev = start_data(p);
			break;
		case RX_DATA:
			off += take(p->data, p->dlen, &p->got, in + off,
				    len - off);
			if (p->got < p->dlen)
				goto out;
			ev = data_finished(p);
			break;
		case RX_PAD:
			off += take(p->padbuf, p->pad, &p->got, in + off,
				    len - off);
			if (p->got < p->pad)
				goto out;
			ev = pad_finished(p);
			break;
		case RX_DDIGEST:
			off += take(p->digest, 4, &p->got, in + off, len - off);
			if (p->got < 4)
				goto out;
			ev = ddigest_check(p);
			break;
		case RX_DONE:
			ev = PDU_RX_DONE;
			break;
		}
	}
out:
	*used = off;
	return ev;
}

void pdu_rx_set_data(struct pdu_rx *p, uint8_t *dst)
{
	if (p->state == RX_HEADER_READY)
		p->data = dst;
}

int pdu_rx_redirect(struct pdu_rx *p)
{
	if (p->state == RX_HEADER_READY) {
		p->data = NULL;
		return 0;
	}
	if ((p->state != RX_DATA && p->state != RX_PAD &&
	     p->state != RX_DDIGEST) ||
	    !p->data || p->data == p->buf)
		return 0;
	p->data = NULL;
	return ensure_buf(p) ? -ENOMEM : 0;
}

uint32_t pdu_rx_direct(struct pdu_rx *p, uint8_t **dst)
{
	if (p->state != RX_DATA)
		return 0;
	*dst = p->data + p->got;
	return p->dlen - p->got;
}

int pdu_rx_direct_done(struct pdu_rx *p, uint32_t n)
{
	if (p->state != RX_DATA || n > p->dlen - p->got)
		return PDU_RX_MORE;
	p->got += n;
	if (p->got < p->dlen)
		return PDU_RX_MORE;
	return data_finished(p);
}

struct pdu_tx *pdu_tx_new(uint8_t opcode)
{
	struct pdu_tx *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	list_init(&t->node);
	t->hdr[0] = opcode;
	return t;
}

int pdu_tx_copy_data(struct pdu_tx *t, const void *data, uint32_t len)
{
	void *m;

	if (!len)
		return 0;
	m = malloc(len);
	if (!m)
		return -ENOMEM;
	memcpy(m, data, len);
	free(t->owned);
	t->owned = m;
	t->data = m;
	t->dlen = len;
	return 0;
}

void pdu_tx_seal(struct pdu_tx *t, bool hdigest, bool ddigest)
{
	uint32_t pad = (4 - (t->dlen & 3)) & 3;

	put_be24(pdu_tx_bhs(t)->dlength, t->dlen);
	t->hdr_len = ISCSI_BHS_LEN;
	if (hdigest) {
		put_le32(t->hdr + ISCSI_BHS_LEN,
			 crc32c(0, t->hdr, ISCSI_BHS_LEN));
		t->hdr_len += ISCSI_DIGEST_LEN;
	}
	memset(t->tail, 0, sizeof(t->tail));
	t->tail_len = (uint8_t)pad;
	if (t->dlen && ddigest) {
		uint32_t crc = crc32c(0, t->data, t->dlen);

		if (pad)
			crc = crc32c(crc, t->tail, pad);
		put_le32(t->tail + pad, crc);
		t->tail_len += ISCSI_DIGEST_LEN;
	}
	t->total = t->hdr_len + t->dlen + t->tail_len;
}

int pdu_tx_iov(const struct pdu_tx *t, uint32_t off, struct iovec *iov)
{
	int n = 0;

	if (off < t->hdr_len) {
		iov[n].iov_base = (void *)(t->hdr + off);
		iov[n++].iov_len = t->hdr_len - off;
		off = 0;
	} else {
		off -= t->hdr_len;
	}
	if (off < t->dlen) {
		iov[n].iov_base = (void *)(t->data + off);
		iov[n++].iov_len = t->dlen - off;
		off = 0;
	} else {
		off -= t->dlen;
	}
	if (off < t->tail_len) {
		iov[n].iov_base = (void *)(t->tail + off);
		iov[n++].iov_len = t->tail_len - off;
	}
	return n;
}

void pdu_tx_free(struct pdu_tx *t)
{
	if (!t)
		return;
	if (t->release)
		t->release(t);
	free(t->owned);
	free(t);
}
