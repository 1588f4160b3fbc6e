// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The gossip node service (replicator/gossip/gossip_node.c) on loopback:
 * a client that connects and says nothing is dropped at the handshake
 * deadline, one that completes TLS and then stays silent at the
 * conversation deadline; a flood of connections from one source holds at
 * most max_per_source slots while another source still gets in; the total
 * is bounded by max_conns; two nodes (one over IPv6) converge, and a
 * relay carries a table to a node that never talks to its owner. Waits
 * are bounded polls, never speed assumptions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/loop.h"
#include "gossip_test_util.h"
#include "replicator/gossip/gossip_node.h"
#include "replicator/gossip/gossip_tls.h"

static void quiet(void *arg, const char *msg)
{
}

static struct gossip_node *start(const struct nodekey *key, const char *addr,
				 unsigned max_conns, unsigned per_source,
				 unsigned hs_ms, unsigned conv_ms)
{
	struct gossip_node_cfg cfg;
	struct gossip_node *n = NULL;
	char err[256];

	gossip_node_cfg_default(&cfg);
	cfg.key = key;
	cfg.listen[cfg.nlisten++] = addr;
	cfg.interval_ms = 100;
	cfg.max_conns = max_conns;
	cfg.max_per_source = per_source;
	cfg.handshake_ms = hs_ms;
	cfg.conv_ms = conv_ms;
	cfg.log = quiet;
	if (gossip_node_start(&cfg, &n, err, sizeof(err)))
		fail_msg("gossip_node_start: %s", err);
	return n;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* a plain TCP connection to 127.0.0.1:port from source address src */
static int tcp_from(const char *src, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(port)};
	struct sockaddr_in me = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, src, &me.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* does the peer close fd within ms? (EOF or reset) */
static bool closed_within(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char b[4096];

	for (;;) {
		ssize_t r;

		if (poll(&p, 1, ms) <= 0)
			return false;
		r = read(fd, b, sizeof(b));
		if (r <= 0)
			return true;
	}
}

static struct gossip_node_stats stats(struct gossip_node *n)
{
	struct gossip_node_stats st;

	gossip_node_stats(n, &st, NULL);
	return st;
}

/* waits (bounded) until accepted + refused reach want */
static void wait_taken(struct gossip_node *n, uint64_t want)
{
	for (int i = 0; i < 1000; i++) {
		struct gossip_node_stats st = stats(n);

		if (st.accepted + st.refused_busy + st.refused_source >= want)
			return;
		sleep_ms(10);
	}
	fail_msg("the node never took %llu connections",
		 (unsigned long long)want);
}

static void test_silent_client_dropped(void **state)
{
	struct nodekey key;
	struct gossip_node *n;
	int fd;

	assert_int_equal(nodekey_generate(&key), 0);
	n = start(&key, "127.0.0.1:0", 8, 4, 300, 2000);
	fd = tcp_from("127.0.0.1", gossip_node_port(n, 0));
	/* 300 ms handshake deadline; 20 s is only a bound on the test */
	assert_true(closed_within(fd, 20000));
	close(fd);
	assert_true(stats(n).timeouts >= 1);
	assert_int_equal(stats(n).open_conns, 0);
	gossip_node_stop(n);
	nodekey_free(&key);
}

/* completes TLS (pinned), then says nothing: the conversation deadline */
static void test_silent_after_handshake_dropped(void **state)
{
	struct nodekey skey, ckey;
	struct gossip_node *n;
	struct gtls *t;
	struct gconn *c;
	char err[256];

	assert_int_equal(nodekey_generate(&skey), 0);
	assert_int_equal(nodekey_generate(&ckey), 0);
	n = start(&skey, "127.0.0.1:0", 8, 4, 5000, 500);
	assert_int_equal(gossip_node_pin(n, ckey.pub, NULL), 0);
	t = gtls_new(&ckey, err, sizeof(err));
	assert_non_null(t);
	gtls_pin(t, skey.pub);
	assert_int_equal(gtls_connect(t, "127.0.0.1", gossip_node_port(n, 0),
				      skey.pub, loop_now_ms() + 20000, &c, err,
				      sizeof(err)),
			 0);
	for (int i = 0; i < 2000 && !stats(n).timeouts; i++)
		sleep_ms(10);
	assert_int_equal(stats(n).timeouts, 1);
	assert_int_equal(stats(n).handshake_failed, 0);
	assert_int_equal(stats(n).open_conns, 0);
	gconn_close(c);
	gtls_free(t);
	gossip_node_stop(n);
	nodekey_free(&skey);
	nodekey_free(&ckey);
}

#define FLOOD 20

static void test_flood_one_source_bounded(void **state)
{
	struct nodekey key;
	struct gossip_node *n;
	struct gossip_node_stats st;
	int fds[FLOOD], other;

	assert_int_equal(nodekey_generate(&key), 0);
	/* long deadlines: the flood stays open while we look */
	n = start(&key, "127.0.0.1:0", 16, 3, 20000, 20000);
	for (int i = 0; i < FLOOD; i++)
		fds[i] = tcp_from("127.0.0.1", gossip_node_port(n, 0));
	wait_taken(n, FLOOD);
	st = stats(n);
	assert_int_equal(st.accepted, 3);
	assert_int_equal(st.refused_source, FLOOD - 3);
	assert_int_equal(st.open_conns, 3);
	/* another source still gets a slot */
	other = tcp_from("127.0.0.2", gossip_node_port(n, 0));
	wait_taken(n, FLOOD + 1);
	st = stats(n);
	assert_int_equal(st.accepted, 4);
	assert_int_equal(st.open_conns, 4);
	assert_true(st.max_open <= 4);
	close(other);
	for (int i = 0; i < FLOOD; i++)
		close(fds[i]);
	gossip_node_stop(n);
	nodekey_free(&key);
}

static void test_max_conns_bounded(void **state)
{
	struct nodekey key;
	struct gossip_node *n;
	struct gossip_node_stats st;
	int fds[12];
	char src[32];

	assert_int_equal(nodekey_generate(&key), 0);
	n = start(&key, "127.0.0.1:0", 5, 4, 20000, 20000);
	/* 12 sources, one connection each: only the total bound applies */
	for (int i = 0; i < 12; i++) {
		snprintf(src, sizeof(src), "127.0.1.%d", i + 1);
		fds[i] = tcp_from(src, gossip_node_port(n, 0));
		wait_taken(n, (uint64_t)i + 1);
	}
	st = stats(n);
	assert_int_equal(st.accepted, 5);
	assert_int_equal(st.refused_busy, 7);
	assert_int_equal(st.max_open, 5);
	for (int i = 0; i < 12; i++)
		close(fds[i]);
	gossip_node_stop(n);
	nodekey_free(&key);
}

static bool wait_version(struct gossip_node *n, uint32_t vol, uint64_t ver)
{
	struct slt t;

	tu_table(&t, vol, 1);
	for (int i = 0; i < 3000; i++) {
		if (gossip_node_version_of(n, t.uuid) == ver)
			return true;
		sleep_ms(10);
	}
	return false;
}

/* A (IPv6 listener) - B - C: C learns A's table through B only */
static void test_relay_converges(void **state)
{
	struct nodekey ka, kb, kc;
	struct gossip_node *a, *b, *c;
	uint8_t tbl[SLT_MAX_SIZE];
	char addr[64];
	size_t len;

	assert_int_equal(nodekey_generate(&ka), 0);
	assert_int_equal(nodekey_generate(&kb), 0);
	assert_int_equal(nodekey_generate(&kc), 0);
	a = start(&ka, "[::1]:0", 8, 4, 5000, 10000);
	b = start(&kb, "127.0.0.1:0", 8, 4, 5000, 10000);
	c = start(&kc, "127.0.0.1:0", 8, 4, 5000, 10000);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", gossip_node_port(b, 0));
	assert_int_equal(gossip_node_pin(a, kb.pub, addr), 0);
	assert_int_equal(gossip_node_pin(c, kb.pub, addr), 0);
	snprintf(addr, sizeof(addr), "[::1]:%u", gossip_node_port(a, 0));
	/* B knows A by its id only (a share-peer pin=), C by a seed */
	assert_int_equal(gossip_node_pin_id(b, ka.id, addr), 0);
	assert_int_equal(gossip_node_pin(b, kc.pub, NULL), 0);
	len = tu_encode(7, 1, &ka, tbl);
	assert_int_equal(gossip_node_publish(a, tbl, len), GOSSIP_ACCEPTED);
	assert_true(wait_version(b, 7, 1));
	assert_true(wait_version(c, 7, 1));
	/* a new version spreads the same way */
	len = tu_encode(7, 2, &ka, tbl);
	assert_int_equal(gossip_node_publish(a, tbl, len), GOSSIP_ACCEPTED);
	assert_true(wait_version(c, 7, 2));
	assert_int_equal(stats(b).handshake_failed, 0);
	gossip_node_stop(c);
	gossip_node_stop(b);
	gossip_node_stop(a);
	nodekey_free(&ka);
	nodekey_free(&kb);
	nodekey_free(&kc);
}

/* a node whose key is not pinned gets nothing */
static void test_unpinned_refused(void **state)
{
	struct nodekey ka, kx;
	struct gossip_node *a, *x;
	uint8_t tbl[SLT_MAX_SIZE];
	char addr[64];
	size_t len;

	assert_int_equal(nodekey_generate(&ka), 0);
	assert_int_equal(nodekey_generate(&kx), 0);
	a = start(&ka, "127.0.0.1:0", 8, 4, 5000, 10000);
	x = start(&kx, "127.0.0.1:0", 8, 4, 5000, 10000);
	len = tu_encode(9, 1, &ka, tbl);
	gossip_node_publish(a, tbl, len);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", gossip_node_port(a, 0));
	/* X pins A and dials it; A does not pin X */
	gossip_node_pin(x, ka.pub, addr);
	for (int i = 0; i < 3000 && !stats(a).handshake_failed; i++)
		sleep_ms(10);
	assert_true(stats(a).handshake_failed >= 1);
	assert_int_equal(gossip_node_version_of(x, tbl + 24), 0);
	gossip_node_stop(x);
	gossip_node_stop(a);
	nodekey_free(&ka);
	nodekey_free(&kx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_silent_client_dropped),
		cmocka_unit_test(test_silent_after_handshake_dropped),
		cmocka_unit_test(test_flood_one_source_bounded),
		cmocka_unit_test(test_max_conns_bounded),
		cmocka_unit_test(test_relay_converges),
		cmocka_unit_test(test_unpinned_refused),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
