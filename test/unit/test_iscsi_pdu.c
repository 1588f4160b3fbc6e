// SPDX-License-Identifier: GPL-2.0-or-later
/* PDU receive parser and transmit builder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "iscsi/login.h"
#include "iscsi/pdu.h"

/* Serialises a PDU built with the tx builder into buf; returns its size. */
static size_t build(uint8_t *buf, uint8_t op, const void *data, uint32_t len,
		    bool hd, bool dd)
{
	struct pdu_tx *t = pdu_tx_new(op);
	struct iovec iov[3];
	size_t n = 0;
	int i, cnt;

	assert_non_null(t);
	put_be32(pdu_tx_bhs(t)->itt, 0x11223344);
	assert_int_equal(pdu_tx_copy_data(t, data, len), 0);
	pdu_tx_seal(t, hd, dd);
	cnt = pdu_tx_iov(t, 0, iov);
	for (i = 0; i < cnt; i++) {
		memcpy(buf + n, iov[i].iov_base, iov[i].iov_len);
		n += iov[i].iov_len;
	}
	assert_int_equal(n, t->total);
	pdu_tx_free(t);
	return n;
}

/* Feeds buf in chunks of step bytes; returns the number of PDUs seen. */
static int feed_all(struct pdu_rx *p, const uint8_t *buf, size_t len,
		    size_t step, const char *want, uint32_t want_len)
{
	size_t off = 0;
	int pdus = 0;

	while (off < len) {
		size_t n = len - off < step ? len - off : step, used;
		size_t pos = 0;
		int ev;

		do {
			ev = pdu_rx_feed(p, buf + off + pos, n - pos, &used);
			pos += used;
			assert_true(ev >= 0);
			if (ev == PDU_RX_DONE) {
				pdus++;
				assert_int_equal(p->dlen, want_len);
				if (want_len)
					assert_memory_equal(p->data, want,
							    want_len);
				assert_int_equal(get_be32(p->bhs + 16),
						 0x11223344);
			}
		} while (ev != PDU_RX_MORE);
		assert_int_equal(pos, n);
		off += n;
	}
	return pdus;
}

static void test_crc32c_vector(void **state)
{
	assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283);
	/* chaining must equal one pass: the parser digests data + padding */
	assert_int_equal(crc32c(crc32c(0, "1234", 4), "56789", 5), 0xe3069283);
}

static void roundtrip(bool hd, bool dd)
{
	static const size_t steps[] = {1, 2, 3, 7, 48, 49, 100, 4096};
	const char *msg = "hello, iSCSI"; /* 12 bytes: no padding */
	const char *odd = "abcde";	  /* 5 bytes: 3 of padding */
	uint8_t buf[512];
	size_t n, i;
	struct pdu_rx p;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		pdu_rx_init(&p, 8192);
		p.hdigest = hd;
		p.ddigest = dd;
		n = build(buf, ISCSI_OP_NOP_IN, msg, 12, hd, dd);
		n += build(buf + n, ISCSI_OP_NOP_IN, msg, 12, hd, dd);
		assert_int_equal(feed_all(&p, buf, n, steps[i], msg, 12), 2);
		n = build(buf, ISCSI_OP_NOP_IN, odd, 5, hd, dd);
		assert_int_equal(n, 48 + (hd ? 4 : 0) + 8 + (dd ? 4 : 0));
		assert_int_equal(feed_all(&p, buf, n, steps[i], odd, 5), 1);
		n = build(buf, ISCSI_OP_NOP_IN, NULL, 0, hd, dd);
		assert_int_equal(n, 48 + (hd ? 4 : 0));
		assert_int_equal(feed_all(&p, buf, n, steps[i], NULL, 0), 1);
		pdu_rx_free(&p);
	}
}

static void test_roundtrip_plain(void **state)
{
	roundtrip(false, false);
}

static void test_roundtrip_digests(void **state)
{
	roundtrip(true, true);
	roundtrip(true, false);
	roundtrip(false, true);
}

static void test_ahs(void **state)
{
	uint8_t buf[48 + 8 + 4 + 4];
	struct pdu_rx p;
	size_t used;
	uint32_t crc;

	memset(buf, 0, sizeof(buf));
	buf[0] = ISCSI_OP_SCSI_CMD;
	buf[4] = 2; /* 8 bytes of AHS */
	buf[7] = 4;
	memcpy(buf + 48, "AHSAHS!!", 8);
	crc = crc32c(crc32c(0, buf, 48), buf + 48, 8);
	buf[56] = (uint8_t)crc;
	buf[57] = (uint8_t)(crc >> 8);
	buf[58] = (uint8_t)(crc >> 16);
	buf[59] = (uint8_t)(crc >> 24);
	memcpy(buf + 60, "DATA", 4);
	pdu_rx_init(&p, 8192);
	p.hdigest = true;
	assert_int_equal(pdu_rx_feed(&p, buf, sizeof(buf), &used),
			 PDU_RX_HEADER);
	assert_int_equal(used, 60);
	assert_int_equal(p.ahs_len, 8);
	assert_memory_equal(p.ahs, "AHSAHS!!", 8);
	assert_int_equal(pdu_rx_feed(&p, buf + 60, 4, &used), PDU_RX_DONE);
	assert_memory_equal(p.data, "DATA", 4);
	/* corrupt the header digest */
	buf[56] ^= 1;
	assert_int_equal(pdu_rx_feed(&p, buf, sizeof(buf), &used),
			 PDU_RX_ERR_HDIGEST);
	pdu_rx_free(&p);
}

static void test_data_digest_error_resyncs(void **state)
{
	uint8_t buf[256];
	struct pdu_rx p;
	size_t n, m, used;
	int ev;

	n = build(buf, ISCSI_OP_NOP_IN, "abcdefgh", 8, false, true);
	buf[50] ^= 0x40; /* flip a data bit */
	m = build(buf + n, ISCSI_OP_NOP_IN, "abcdefgh", 8, false, true);
	pdu_rx_init(&p, 8192);
	p.ddigest = true;
	ev = pdu_rx_feed(&p, buf, n + m, &used);
	assert_int_equal(ev, PDU_RX_HEADER);
	ev = pdu_rx_feed(&p, buf + used, n + m - used, &used);
	assert_int_equal(ev, PDU_RX_ERR_DDIGEST);
	/* the stream is still framed: the next PDU parses */
	assert_int_equal(feed_all(&p, buf + n, m, 5, "abcdefgh", 8), 1);
	pdu_rx_free(&p);
}

static void test_too_big_and_truncated(void **state)
{
	uint8_t bhs[48] = {ISCSI_OP_SCSI_CMD};
	struct pdu_rx p;
	size_t used;

	pdu_rx_init(&p, 8192);
	put_be24(bhs + 5, 8193);
	assert_int_equal(pdu_rx_feed(&p, bhs, 48, &used), PDU_RX_ERR_TOO_BIG);
	pdu_rx_free(&p);

	pdu_rx_init(&p, 8192);
	put_be24(bhs + 5, 0xffffff);
	p.max_dlen = ISCSI_DSL_MAX;
	/* a huge declared segment must not be allocated before it arrives */
	assert_int_equal(pdu_rx_feed(&p, bhs, 47, &used), PDU_RX_MORE);
	assert_int_equal(used, 47);
	assert_int_equal(p.state, RX_BHS);
	pdu_rx_free(&p);
}

static void test_zero_copy(void **state)
{
	uint8_t buf[9000], dst[8192], *d;
	char data[8192];
	struct pdu_rx p;
	size_t n, used;
	uint32_t room;

	memset(data, 'z', sizeof(data));
	n = build(buf, ISCSI_OP_DATA_OUT, data, sizeof(data), false, false);
	pdu_rx_init(&p, 8192);
	assert_int_equal(pdu_rx_feed(&p, buf, 100, &used), PDU_RX_HEADER);
	assert_int_equal(used, 48);
	pdu_rx_set_data(&p, dst);
	assert_int_equal(pdu_rx_feed(&p, buf + 48, 52, &used), PDU_RX_MORE);
	room = pdu_rx_direct(&p, &d);
	assert_ptr_equal(d, dst + 52);
	assert_int_equal(room, 8192 - 52);
	memcpy(d, buf + 100, room);
	assert_int_equal(pdu_rx_direct_done(&p, room), PDU_RX_DONE);
	assert_memory_equal(dst, data, sizeof(data));
	assert_ptr_equal(p.data, dst);
	assert_null(p.buf); /* the parser's own buffer was never needed */
	assert_int_equal(n, 48 + 8192);
	pdu_rx_free(&p);
}

static void test_redirect(void **state)
{
	uint8_t buf[48 + 1024], *dst = malloc(1024);
	char data[1024];
	struct pdu_rx p;
	size_t used;

	memset(data, 'q', sizeof(data));
	build(buf, ISCSI_OP_DATA_OUT, data, sizeof(data), false, false);
	pdu_rx_init(&p, 8192);
	assert_int_equal(pdu_rx_feed(&p, buf, 48, &used), PDU_RX_HEADER);
	pdu_rx_set_data(&p, dst);
	assert_int_equal(pdu_rx_feed(&p, buf + 48, 10, &used), PDU_RX_MORE);
	assert_int_equal(pdu_rx_redirect(&p), 0);
	free(dst); /* the parser must not touch it any more */
	assert_int_equal(pdu_rx_feed(&p, buf + 58, 1014, &used), PDU_RX_DONE);
	pdu_rx_free(&p);
}

static void test_tx_iov_offsets(void **state)
{
	struct pdu_tx *t = pdu_tx_new(ISCSI_OP_SCSI_RSP);
	struct iovec iov[3];
	static const uint8_t d[6] = "sense";

	t->data = d;
	t->dlen = 6;
	pdu_tx_seal(t, true, true);
	assert_int_equal(t->total, 52 + 6 + 2 + 4);
	assert_int_equal(get_be24(t->hdr + 5), 6);
	assert_int_equal(pdu_tx_iov(t, 0, iov), 3);
	assert_int_equal(pdu_tx_iov(t, 51, iov), 3);
	assert_int_equal(iov[0].iov_len, 1);
	assert_int_equal(pdu_tx_iov(t, 52, iov), 2);
	assert_ptr_equal(iov[0].iov_base, d);
	assert_int_equal(pdu_tx_iov(t, 60, iov), 1);
	assert_int_equal(iov[0].iov_len, 4);
	pdu_tx_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_vector),
		cmocka_unit_test(test_roundtrip_plain),
		cmocka_unit_test(test_roundtrip_digests),
		cmocka_unit_test(test_ahs),
		cmocka_unit_test(test_data_digest_error_resyncs),
		cmocka_unit_test(test_too_big_and_truncated),
		cmocka_unit_test(test_zero_copy),
		cmocka_unit_test(test_redirect),
		cmocka_unit_test(test_tx_iov_offsets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
