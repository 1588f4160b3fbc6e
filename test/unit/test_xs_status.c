// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the store says about peers and a filling log: the replicator's
 * status file round trip (CRC, version, truncated error text), the show
 * line (state, RPO rule, rate, resync progress, a silent replicator goes
 * offline), and the throttle= delay curve and option parsing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bs_xorshare/log/sharelog.h"
#include "bs_xorshare/store/xs_status.h"
#include "bs_xorshare/store/xs_throttle.h"
#include "core/strbuf.h"

#define SEC 1000000000ULL

static void test_status_round_trip(void **state)
{
	char dir[] = "/tmp/test-xsstatus.XXXXXX", path[96], cmd[256];
	struct sl_peer_status_info in, out;
	uint8_t raw[SL_PSTATUS_SIZE];
	int fd;

	assert_non_null(mkdtemp(dir));
	memset(&in, 0, sizeof(in));
	in.state = SL_PS_RESYNC;
	in.transport = SL_PT_TLS;
	in.acked_seq = 1234;
	in.acked_time_ns = 5 * SEC;
	in.updated_ns = 6 * SEC;
	in.rate_bps = 12300000;
	in.resync_done = 450;
	in.resync_total = 1000;
	in.eta_s = 30;
	/* the longest text that fits: 63 characters */
	memset(in.error, 'e', sizeof(in.error) - 1);
	memcpy(in.error, "peer 2: connection refused", 26);
	assert_int_equal(sharelog_read_peer_status(dir, 2, &out), -ENOENT);
	assert_int_equal(sharelog_write_peer_status(dir, 2, &in), 0);
	assert_int_equal(sharelog_read_peer_status(dir, 2, &out), 0);
	assert_int_equal(out.state, SL_PS_RESYNC);
	assert_int_equal(out.transport, SL_PT_TLS);
	assert_int_equal(out.acked_seq, 1234);
	assert_int_equal(out.acked_time_ns, 5 * SEC);
	assert_int_equal(out.updated_ns, 6 * SEC);
	assert_int_equal(out.rate_bps, 12300000);
	assert_int_equal(out.resync_done, 450);
	assert_int_equal(out.resync_total, 1000);
	assert_int_equal(out.eta_s, 30);
	assert_string_equal(out.error, in.error);
	/* another peer's file is not this one's */
	snprintf(path, sizeof(path), "%s/status.2", dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s/status.3", path, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(sharelog_read_peer_status(dir, 3, &out), -EBADMSG);
	/* one flipped bit is caught */
	fd = open(path, O_RDWR);
	assert_int_equal(pread(fd, raw, sizeof(raw), 0), sizeof(raw));
	raw[17] ^= 4;
	assert_int_equal(pwrite(fd, raw, sizeof(raw), 0), sizeof(raw));
	close(fd);
	assert_int_equal(sharelog_read_peer_status(dir, 2, &out), -EBADMSG);
	/* updated_ns 0: the writer stamps it */
	in.updated_ns = 0;
	assert_int_equal(sharelog_write_peer_status(dir, 2, &in), 0);
	assert_int_equal(sharelog_read_peer_status(dir, 2, &out), 0);
	assert_true(out.updated_ns > 0);
	assert_int_equal(sharelog_write_peer_status(dir, SL_MAX_N, &in),
			 -EINVAL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void line(const struct xs_peer_view *v, unsigned peer, uint64_t durable,
		 uint64_t now, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	xs_format_peer_line(&sb, "  ", peer, v, durable, now);
	assert_string_equal(strbuf_str(&sb), want);
	strbuf_free(&sb);
}

static void test_show_line(void **state)
{
	struct xs_peer_view v;
	uint64_t now = 1000 * SEC;

	memset(&v, 0, sizeof(v));
	v.have_status = true;
	v.st.state = SL_PS_IN_SYNC;
	v.st.transport = SL_PT_TLS;
	v.st.acked_seq = 1234;
	v.st.acked_time_ns = now - SEC / 2;
	v.st.updated_ns = now - SEC;
	v.st.rate_bps = 12345678;
	v.log.cursor = 1234;
	line(&v, 1, 1234, now,
	     "  Peer 1: state=in-sync acked_seq=1234 rpo=0.0s rate=12.3MB/s "
	     "transport=tls cursor=1234 lag=0 records 0 bytes 0.0 s\n");
	/* behind the durable point: now - the time of what it holds */
	line(&v, 1, 1300, now,
	     "  Peer 1: state=in-sync acked_seq=1234 rpo=0.5s rate=12.3MB/s "
	     "transport=tls cursor=1234 lag=0 records 0 bytes 0.0 s\n");

	/* a resync with progress, and an error (quotes made harmless) */
	v.st.state = SL_PS_RESYNC;
	v.st.transport = SL_PT_IPSEC;
	v.st.rate_bps = 999;
	v.st.resync_done = 45;
	v.st.resync_total = 100;
	v.st.eta_s = 30;
	snprintf(v.st.error, sizeof(v.st.error), "write \"timed out\"");
	v.log.needs_resync = true;
	v.log.cursor = 10;
	v.log.lag_records = 1224;
	line(&v, 0, 1234, now,
	     "  Peer 0: state=resync acked_seq=1234 rpo=0.0s rate=999B/s "
	     "transport=ipsec resync=45% eta=30s error=\"write ?timed out?\" "
	     "cursor=10 lag=1224 records 0 bytes 0.0 s needs-resync\n");
	/* the store dropped it and the report does not know yet */
	v.st.state = SL_PS_IN_SYNC;
	v.st.error[0] = '\0';
	v.st.rate_bps = 0;
	line(&v, 0, 1234, now,
	     "  Peer 0: state=needs-resync acked_seq=1234 rpo=0.0s rate=0B/s "
	     "transport=ipsec cursor=10 lag=1224 records 0 bytes 0.0 s "
	     "needs-resync\n");

	/* no report at all */
	memset(&v, 0, sizeof(v));
	v.log.cursor = 7;
	v.log.lag_records = 3;
	v.log.lag_seconds = 2.5;
	line(&v, 2, 10, now,
	     "  Peer 2: state=offline (no replicator status) acked_seq=7 "
	     "rpo=2.5s rate=0B/s transport=unknown cursor=7 lag=3 records 0 "
	     "bytes 2.5 s\n");
}

/* RPO is computed when asked: a replicator that stopped shows it grow. */
static void test_rpo_rule_and_silence(void **state)
{
	struct xs_peer_view v;
	uint64_t now = 5000 * SEC, silent;

	memset(&v, 0, sizeof(v));
	v.have_status = true;
	v.st.state = SL_PS_LAGGING;
	v.st.acked_seq = 100;
	v.st.acked_time_ns = now - 3 * SEC;
	v.st.updated_ns = now;
	assert_true(xs_peer_rpo(&v, 100, now) == 0.0);
	assert_true(xs_peer_rpo(&v, 99, now) == 0.0);
	assert_true(xs_peer_rpo(&v, 101, now) == 3.0);
	assert_true(xs_peer_rpo(&v, 101, now + 10 * SEC) == 13.0);
	/* the store's cursor counts as acked too */
	v.log.cursor = 101;
	assert_true(xs_peer_rpo(&v, 101, now + 10 * SEC) == 0.0);
	v.log.cursor = 0;
	assert_int_equal(xs_peer_state(&v, now + 30 * SEC, &silent),
			 SL_PS_LAGGING);
	assert_int_equal(silent, 0);
	assert_int_equal(xs_peer_state(&v, now + 45 * SEC, &silent),
			 SL_PS_OFFLINE);
	assert_int_equal(silent, 45);
	line(&v, 3, 150, now + 45 * SEC,
	     "  Peer 3: state=offline (replicator silent 45s) acked_seq=100 "
	     "rpo=48.0s rate=0B/s transport=plain cursor=0 lag=0 records 0 "
	     "bytes 0.0 s\n");
}

static void test_throttle_curve(void **state)
{
	const uint64_t size = 1000000;
	uint32_t prev = 0;

	assert_int_equal(xs_throttle_delay_us(0, size, 80), 0);
	assert_int_equal(xs_throttle_delay_us(800000, size, 80), 0);
	/* just past the limit: barely anything */
	assert_true(xs_throttle_delay_us(800100, size, 80) >=
		    XS_THROTTLE_MIN_US);
	assert_true(xs_throttle_delay_us(800100, size, 80) < 200);
	/* half way: a quarter of the cap */
	assert_int_equal(xs_throttle_delay_us(900000, size, 80),
			 XS_THROTTLE_MIN_US +
				 (XS_THROTTLE_MAX_US - XS_THROTTLE_MIN_US) / 4);
	assert_int_equal(xs_throttle_delay_us(size, size, 80),
			 XS_THROTTLE_MAX_US);
	assert_int_equal(xs_throttle_delay_us(2 * size, size, 80),
			 XS_THROTTLE_MAX_US);
	/* grows steadily: no step from nothing to the cap */
	for (uint64_t used = 800000; used <= size; used += 10000) {
		uint32_t d = xs_throttle_delay_us(used, size, 80);

		assert_true(d >= prev);
		assert_true(d - prev <= XS_THROTTLE_MAX_US / 9);
		prev = d;
	}
	/* off, and an empty size, never delay */
	assert_int_equal(xs_throttle_delay_us(size, size, 0), 0);
	assert_int_equal(xs_throttle_delay_us(10, 0, 80), 0);
}

static void test_throttle_parse(void **state)
{
	unsigned pct = 7;

	assert_int_equal(xs_throttle_parse("80%", &pct), 0);
	assert_int_equal(pct, 80);
	assert_int_equal(xs_throttle_parse("65", &pct), 0);
	assert_int_equal(pct, 65);
	assert_int_equal(xs_throttle_parse("off", &pct), 0);
	assert_int_equal(pct, 0);
	assert_int_equal(xs_throttle_parse("0", &pct), -EINVAL);
	assert_int_equal(xs_throttle_parse("100%", &pct), -EINVAL);
	assert_int_equal(xs_throttle_parse("80%%", &pct), -EINVAL);
	assert_int_equal(xs_throttle_parse("", &pct), -EINVAL);
	assert_int_equal(xs_throttle_parse("x", &pct), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_round_trip),
		cmocka_unit_test(test_show_line),
		cmocka_unit_test(test_rpo_rule_and_silence),
		cmocka_unit_test(test_throttle_curve),
		cmocka_unit_test(test_throttle_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
