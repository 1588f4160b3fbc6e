/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A pump between a TLS connection (net side) and a plain stream socket
 * (plain side: the iSCSI code's end of a socketpair in tgtxd, libiscsi's
 * loopback connection in the replicator), so that code above sees an
 * ordinary connection.
 *
 * Two fixed buffers of TLS_PUMP_BUF bytes, one per direction: a side whose
 * buffer is full is not read from until the other side takes the bytes
 * (backpressure), so a peer that stops reading makes the pump hold at most
 * 2 x TLS_PUMP_BUF plus OpenSSL's record buffers, never more.
 *
 * Non-blocking and driver-agnostic: tls_pump_run() moves what it can and
 * says which events of which fd it waits for; tgtxd drives it from its
 * event loop, the replicator from a thread with poll(). The driver owns
 * the deadlines (an established pump has none of its own: the iSCSI code
 * above keeps its own, and once one side has ended the driver bounds the
 * flush of the other).
 */
#ifndef TGTX_TLS_PUMP_H
#define TGTX_TLS_PUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ssl_st;

#define TLS_PUMP_BUF (64U << 10)

struct tls_pump {
	struct ssl_st *ssl;
	int net_fd, plain_fd;
	uint8_t *up;   /* plain -> net */
	uint8_t *down; /* net -> plain */
	size_t up_head, up_tail, down_head, down_tail;
	bool plain_eof, net_eof, closed_notify;
	uint64_t bytes_up, bytes_down;
	char err[160]; /* why it failed, for logs */
};

/* 0 or -ENOMEM. Takes no ownership of ssl or the fds. */
int tls_pump_init(struct tls_pump *p, struct ssl_st *ssl, int net_fd,
		  int plain_fd);
void tls_pump_free(struct tls_pump *p);

enum tls_pump_state {
	TLS_PUMP_AGAIN, /* wait for *net_ev on net_fd, *plain_ev on plain_fd */
	TLS_PUMP_DONE,	/* one side ended and what it sent was delivered */
	TLS_PUMP_ERROR, /* p->err says why */
};
/* net_ev / plain_ev: POLLIN|POLLOUT bits (the same values as EPOLLIN|OUT) */
enum tls_pump_state tls_pump_run(struct tls_pump *p, short *net_ev,
				 short *plain_ev);
/* Has one side ended (the driver then bounds the rest with a deadline)? */
bool tls_pump_ending(const struct tls_pump *p);

#endif
