// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Peer layer without a peer: rate bucket, reconnect backoff, URL parsing
 * and password redaction, and a refused connection on loopback that sets
 * a backoff instead of hanging.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "replicator/peer_priv.h"

#define SEC 1000000000ULL

static void test_bucket(void **state)
{
	struct peer_bucket b;
	uint64_t t = 5 * SEC, sent = 0;
	int i, wait;

	peer_bucket_init(&b, 0, t);
	assert_int_equal(peer_bucket_take(&b, 1 << 30, t), 0);
	/* 10 MB/s: the first burst goes at once, then 10 MB per second */
	peer_bucket_init(&b, 10000000, t);
	assert_int_equal(peer_bucket_take(&b, 1000000, t), 0);
	wait = peer_bucket_take(&b, 1000000, t);
	assert_true(wait >= 100 && wait <= 101);
	for (i = 0; i < 1000; i++) {
		t += SEC / 100;
		while (!peer_bucket_take(&b, 65536, t))
			sent += 65536;
	}
	/* 10 s at 10 MB/s, give or take one burst */
	assert_true(sent >= 100000000 - 65536 && sent <= 100000000);
	/* a command larger than the burst still goes, with a full bucket */
	peer_bucket_init(&b, 1000000, t);
	assert_int_equal(peer_bucket_take(&b, 16 << 20, t), 0);
	assert_true(peer_bucket_take(&b, 16 << 20, t) > 0);
	assert_int_equal(peer_bucket_take(&b, 16 << 20, t + 30 * SEC), 0);
}

static void test_backoff(void **state)
{
	unsigned f;
	int d, prev = 0;

	for (f = 0; f < 20; f++) {
		d = peer_backoff_delay(100, 30000, f, 999);
		assert_true(d >= prev);
		assert_true(d <= 30000);
		prev = d;
	}
	assert_true(prev >= 29000);
	assert_int_equal(peer_backoff_delay(100, 30000, 0, 0), 50);
	assert_int_equal(peer_backoff_delay(100, 30000, 3, 0), 400);
	/* jitter spreads retries over [d/2, d) */
	assert_int_equal(peer_backoff_delay(100, 30000, 3, 500), 600);
	assert_int_equal(peer_backoff_delay(100, 30000, 1000, 0), 15000);
}

static void test_redact(void **state)
{
	char b[256];

	peer_redact_url("iscsi://bob%s3cr3t@127.0.0.1:3260/iqn.x:y/1", b,
			sizeof(b));
	assert_string_equal(b, "iscsi://bob%***@127.0.0.1:3260/iqn.x:y/1");
	peer_redact_url("iscsi://127.0.0.1:3260/iqn.x:y/1", b, sizeof(b));
	assert_string_equal(b, "iscsi://127.0.0.1:3260/iqn.x:y/1");
	peer_redact_url("iscsi://bob@127.0.0.1/iqn.x:y%41/1", b, sizeof(b));
	assert_string_equal(b, "iscsi://bob@127.0.0.1/iqn.x:y%41/1");
	/* mutual CHAP: libiscsi's target_password argument */
	peer_redact_url("iscsi://u%p@h/iqn.x:y/1?target_user=t&"
			"target_password=mutualsecret&header_digest=none",
			b, sizeof(b));
	assert_string_equal(b, "iscsi://u%***@h/iqn.x:y/1?target_user=t&"
			       "target_password=***&header_digest=none");
	peer_redact_url("iscsi://h/iqn.x:y/1?target_password=ab", b, sizeof(b));
	assert_string_equal(b, "iscsi://h/iqn.x:y/1?target_password=**");
}

static void test_url_and_secret(void **state)
{
	struct peer_cfg cfg = {.url = "iscsi://alice%pa55w0rd@127.0.0.1:3260/"
				      "iqn.2026-11.x:t/3"};
	struct sv_status st = {0};
	struct peer *p;
	char buf[128];

	assert_int_equal(peer_new(&p, &cfg, &st), 0);
	assert_null(strstr(peer_name(p), "pa55w0rd"));
	assert_non_null(strstr(peer_name(p), "alice"));
	assert_int_equal(p->lun, 3);
	assert_string_equal(p->target, "iqn.2026-11.x:t");
	peer_scrub(p, "login as alice/pa55w0rd failed (pa55w0rd)", buf,
		   sizeof(buf));
	assert_string_equal(buf, "login as alice/*** failed (***)");
	peer_free(p);
	cfg.url = "iscsi://alice%pa55w0rd@127.0.0.1:3260/no-lun";
	assert_int_equal(peer_new(&p, &cfg, &st), -EINVAL);
	assert_int_equal(st.code, SV_E_FIELD);
	assert_null(strstr(st.msg, "pa55w0rd"));
}

static void test_refused_connect_backs_off(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	struct peer_cfg cfg = {0};
	struct sv_status st = {0};
	struct peer *p;
	char url[128];
	int fd, port;

	/* a port nobody listens on: bind, learn it, close */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	port = ntohs(a.sin_port);
	close(fd);
	snprintf(url, sizeof(url),
		 "iscsi://u%%topsecret@127.0.0.1:%d/iqn.2026-11.x:t/1", port);
	cfg.url = url;
	cfg.connect_timeout_ms = 3000;
	cfg.backoff_min_ms = 200;
	assert_int_equal(peer_new(&p, &cfg, &st), 0);
	assert_true(peer_connect(p, &st) < 0);
	assert_false(peer_connected(p));
	assert_null(strstr(st.msg, "topsecret"));
	assert_true(peer_backoff_ms(p) > 0 && peer_backoff_ms(p) <= 200);
	/* commands on a dead session fail at once, nothing hangs */
	assert_int_equal(peer_dev(p)->ops->sync(p, NULL, NULL), -ENOTCONN);
	assert_true(peer_dev(p)->ops->poll(p, 1000) < 0);
	assert_true(peer_connect(p, &st) < 0);
	assert_true(peer_backoff_ms(p) > 100);
	peer_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_url_and_secret),
		cmocka_unit_test(test_refused_connect_backs_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
