// SPDX-License-Identifier: GPL-2.0-or-later
/* The TLS <-> plain socket pump (tls_pump.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls_ctx.h"
#include "tls_pump.h"

int tls_pump_init(struct tls_pump *p, SSL *ssl, int net_fd, int plain_fd)
{
	memset(p, 0, sizeof(*p));
	p->ssl = ssl;
	p->net_fd = net_fd;
	p->plain_fd = plain_fd;
	p->up = malloc(TLS_PUMP_BUF);
	p->down = malloc(TLS_PUMP_BUF);
	if (!p->up || !p->down) {
		tls_pump_free(p);
		return -ENOMEM;
	}
	return 0;
}

void tls_pump_free(struct tls_pump *p)
{
	free(p->up);
	free(p->down);
	p->up = p->down = NULL;
}

bool tls_pump_ending(const struct tls_pump *p)
{
	return p->plain_eof || p->net_eof;
}

static void fail(struct tls_pump *p, const char *what, int e)
{
	char why[120];

	if (e)
		snprintf(p->err, sizeof(p->err), "%s: %s", what, strerror(e));
	else
		snprintf(p->err, sizeof(p->err), "%s: %s", what,
			 *tls_last_error(why, sizeof(why)) ? why
							   : "connection lost");
}

/* SSL_read into down; false on a fatal error */
static bool net_in(struct tls_pump *p, short *net_ev, bool *moved)
{
	int n, e;

	if (p->net_eof || p->down_tail == TLS_PUMP_BUF)
		return true;
	ERR_clear_error();
	n = SSL_read(p->ssl, p->down + p->down_tail,
		     (int)(TLS_PUMP_BUF - p->down_tail));
	if (n > 0) {
		p->down_tail += (size_t)n;
		p->bytes_down += (uint64_t)n;
		*moved = true;
		return true;
	}
	e = SSL_get_error(p->ssl, n);
	if (e == SSL_ERROR_WANT_READ) {
		*net_ev |= POLLIN;
	} else if (e == SSL_ERROR_WANT_WRITE) {
		*net_ev |= POLLOUT;
	} else if (e == SSL_ERROR_ZERO_RETURN) {
		p->net_eof = true;
		*moved = true;
	} else if (e == SSL_ERROR_SYSCALL && !ERR_peek_error() &&
		   (n == 0 || errno == ECONNRESET || errno == EPIPE)) {
		/* the peer hung up without close_notify: iSCSI frames its
		 * own PDUs, so a cut stream cannot pass for a whole one */
		p->net_eof = true;
		*moved = true;
	} else {
		fail(p, "TLS receive", e == SSL_ERROR_SYSCALL ? errno : 0);
		return false;
	}
	return true;
}

/* down -> plain fd */
static bool plain_out(struct tls_pump *p, short *plain_ev, bool *moved)
{
	ssize_t w;

	if (p->down_head == p->down_tail)
		return true;
	w = send(p->plain_fd, p->down + p->down_head,
		 p->down_tail - p->down_head, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			*plain_ev |= POLLOUT;
			return true;
		}
		fail(p, "local side", errno);
		return false;
	}
	p->down_head += (size_t)w;
	if (p->down_head == p->down_tail)
		p->down_head = p->down_tail = 0;
	*moved = w > 0;
	return true;
}

/* plain fd -> up */
static bool plain_in(struct tls_pump *p, short *plain_ev, bool *moved)
{
	ssize_t r;

	if (p->plain_eof)
		return true;
	if (p->up_tail == TLS_PUMP_BUF && p->up_head) {
		/* SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER allows the move */
		memmove(p->up, p->up + p->up_head, p->up_tail - p->up_head);
		p->up_tail -= p->up_head;
		p->up_head = 0;
	}
	if (p->up_tail == TLS_PUMP_BUF)
		return true;
	r = recv(p->plain_fd, p->up + p->up_tail, TLS_PUMP_BUF - p->up_tail,
		 MSG_DONTWAIT);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			*plain_ev |= POLLIN;
			return true;
		}
		if (errno != ECONNRESET) {
			fail(p, "local side", errno);
			return false;
		}
		r = 0;
	}
	if (!r) {
		p->plain_eof = true;
		*moved = true;
		return true;
	}
	p->up_tail += (size_t)r;
	p->bytes_up += (uint64_t)r;
	*moved = true;
	return true;
}

/* up -> SSL_write */
static bool net_out(struct tls_pump *p, short *net_ev, bool *moved)
{
	int n, e;

	if (p->up_head == p->up_tail)
		return true;
	ERR_clear_error();
	n = SSL_write(p->ssl, p->up + p->up_head,
		      (int)(p->up_tail - p->up_head));
	if (n > 0) {
		p->up_head += (size_t)n;
		if (p->up_head == p->up_tail)
			p->up_head = p->up_tail = 0;
		*moved = true;
		return true;
	}
	e = SSL_get_error(p->ssl, n);
	if (e == SSL_ERROR_WANT_WRITE) {
		*net_ev |= POLLOUT;
	} else if (e == SSL_ERROR_WANT_READ) {
		*net_ev |= POLLIN;
	} else {
		fail(p, "TLS send", e == SSL_ERROR_SYSCALL ? errno : 0);
		return false;
	}
	return true;
}

enum tls_pump_state tls_pump_run(struct tls_pump *p, short *net_ev,
				 short *plain_ev)
{
	bool moved;

	do {
		moved = false;
		*net_ev = *plain_ev = 0;
		if (!net_in(p, net_ev, &moved) ||
		    !plain_out(p, plain_ev, &moved) ||
		    !plain_in(p, plain_ev, &moved) ||
		    !net_out(p, net_ev, &moved))
			return TLS_PUMP_ERROR;
	} while (moved);
	/* the net side ended: done once its last bytes reached the plain one */
	if (p->net_eof && p->down_head == p->down_tail)
		return TLS_PUMP_DONE;
	/* the plain side ended: flush its bytes, then say goodbye in TLS */
	if (p->plain_eof && p->up_head == p->up_tail) {
		if (!p->closed_notify) {
			p->closed_notify = true;
			(void)SSL_shutdown(p->ssl); /* best effort */
		}
		return TLS_PUMP_DONE;
	}
	return TLS_PUMP_AGAIN;
}
