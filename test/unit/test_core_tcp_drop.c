// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tcp_drop(): a loopback TCP pair; bytes the peer has not taken make the
 * close a reset (the peer reads them, then ECONNRESET), none keep the
 * orderly FIN (EOF).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/tcp_drop.h"

/* *srv: the accepted end (ours), *cli: the peer with a tiny window. */
static void tcp_pair(int *srv, int *cli)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int lfd, one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, len), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
	*cli = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(*cli >= 0);
	/* before connect(): the window is set by the handshake */
	setsockopt(*cli, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
	assert_int_equal(connect(*cli, (struct sockaddr *)&a, len), 0);
	*srv = accept(lfd, NULL, NULL);
	assert_true(*srv >= 0);
	close(lfd);
}

/* Reads until EOF or an error: 0 on EOF, else -errno. */
static int read_to_end(int fd)
{
	char buf[4096];

	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		assert_int_equal(poll(&p, 1, 10000), 1);
		n = read(fd, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0)
			return -errno;
	}
}

static void test_unread_bytes_reset(void **state)
{
	static char data[64 << 10];
	int srv, cli, left;
	ssize_t n;

	(void)state;
	tcp_pair(&srv, &cli);
	n = send(srv, data, sizeof(data), MSG_DONTWAIT);
	assert_true(n > 0);
	assert_true(tcp_unacked(srv) > 0);
	left = tcp_drop(srv);
	assert_true(left > 0);
	assert_int_equal(read_to_end(cli), -ECONNRESET);
	close(cli);
}

static void test_taken_bytes_fin(void **state)
{
	char buf[16];
	int srv, cli;

	(void)state;
	tcp_pair(&srv, &cli);
	assert_int_equal(send(srv, "bye", 3, 0), 3);
	assert_int_equal(read(cli, buf, sizeof(buf)), 3);
	/* the peer's ACK may lag the read by a moment */
	for (int i = 0; i < 200 && tcp_unacked(srv); i++)
		usleep(10000);
	assert_int_equal(tcp_unacked(srv), 0);
	assert_int_equal(tcp_drop(srv), 0);
	assert_int_equal(read_to_end(cli), 0);
	close(cli);
}

static void test_not_a_socket(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(tcp_unacked(p[0]), 0);
	assert_int_equal(tcp_drop(p[0]), 0);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unread_bytes_reset),
		cmocka_unit_test(test_taken_bytes_fin),
		cmocka_unit_test(test_not_a_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
