// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TLS tunnel of a transport=tls peer. libiscsi only speaks TCP, so it
 * connects to a loopback listener of this peer; the tunnel dials the real
 * portal, does a TLS 1.3 handshake with our node key (the server must
 * present the key whose SHA-256 is the configured pin, and must accept
 * ours), and a pump thread (usr/tls/tls_pump.h, bounded buffers) moves the
 * bytes. The TLS handshake is done before libiscsi is started, so a wrong
 * pin or a peer that is no TLS server is a named error (SV_E_TLS), never a
 * byte of iSCSI in the clear.
 *
 * The listener accepts exactly one connection, the one whose source
 * address is libiscsi's socket: another local process racing to it is
 * turned away, so it cannot borrow our authenticated session.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "core/tcp_drop.h"
#include "peer_priv.h"
#include "tls/tls_ctx.h"
#include "tls/tls_pump.h"

/* once one side of the tunnel ended, the rest must flush within this */
#define TUNNEL_CLOSE_MS 5000

struct peer_tunnel {
	int net_fd, listen_fd, plain_fd, stop_fd;
	SSL *ssl;
	struct tls_auth auth;
	struct tls_pump pump;
	pthread_t thread;
	bool started;
	bool clean; /* the pump delivered everything: an orderly close */
	atomic_bool failed;
	char err[160]; /* written by the thread before it sets failed */
};

const char *peer_transport_name(int transport)
{
	switch (transport) {
	case PEER_TRANSPORT_PLAIN:
		return "plain";
	case PEER_TRANSPORT_IPSEC:
		return "ipsec";
	case PEER_TRANSPORT_TLS:
		return "tls";
	}
	return "?";
}

int peer_transport_parse(const char *s)
{
	/* unset is tls, as in targets.conf: never clear text by default */
	if (!s || !strcmp(s, "tls"))
		return PEER_TRANSPORT_TLS;
	if (!strcmp(s, "plain"))
		return PEER_TRANSPORT_PLAIN;
	if (!strcmp(s, "ipsec"))
		return PEER_TRANSPORT_IPSEC;
	return -EINVAL;
}

int peer_tls_setup(struct peer *p, struct sv_status *st)
{
	char err[200];

	if (!p->cfg.tls_pin || tls_pin_parse(p->cfg.tls_pin, p->tls_pin))
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "peer %s: transport=tls needs pin=<64 hex "
			       "digits> (the peer's `tgtxd --show-node-key`)",
			       p->name);
	if (!p->cfg.tls_key || !p->cfg.tls_key->pkey)
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "peer %s: transport=tls needs our node key",
			       p->name);
	p->tls_ctx = tls_ctx_new(p->cfg.tls_key, false, err, sizeof(err));
	if (!p->tls_ctx)
		return sv_fail(st, SV_E_TLS, -EIO, "peer %s: %s", p->name, err);
	return 0;
}

void peer_tls_teardown(struct peer *p)
{
	peer_tls_close(p);
	tls_ctx_free(p->tls_ctx);
	p->tls_ctx = NULL;
}

/* "HOST:PORT", "[V6]:PORT", "HOST" (libiscsi's portal) */
static int split_portal(const char *portal, char *host, size_t hl, char *port,
			size_t pl)
{
	const char *colon;

	if (portal[0] == '[') {
		const char *rb = strchr(portal, ']');

		if (!rb || (size_t)(rb - portal - 1) >= hl)
			return -EINVAL;
		snprintf(host, hl, "%.*s", (int)(rb - portal - 1), portal + 1);
		snprintf(port, pl, "%s", rb[1] == ':' ? rb + 2 : "3260");
		return 0;
	}
	colon = strrchr(portal, ':');
	if (colon && colon != strchr(portal, ':'))
		colon = NULL; /* a bare IPv6 address */
	if (colon) {
		if ((size_t)(colon - portal) >= hl)
			return -EINVAL;
		snprintf(host, hl, "%.*s", (int)(colon - portal), portal);
		snprintf(port, pl, "%s", colon + 1);
	} else {
		snprintf(host, hl, "%s", portal);
		snprintf(port, pl, "3260");
	}
	return 0;
}

static int ms_left(uint64_t deadline_ns)
{
	uint64_t now = loop_now_ns();

	return now >= deadline_ns ? 0
				  : (int)((deadline_ns - now) / 1000000) + 1;
}

/* non-blocking connect to the first address that answers */
static int dial(struct peer *p, uint64_t deadline, struct sv_status *st)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV},
			*res, *ai;
	char host[256], port[16];
	int fd = -1, ret, one = 1;

	if (split_portal(p->portal, host, sizeof(host), port, sizeof(port)))
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "peer %s: bad portal '%s'", p->name, p->portal);
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret)
		return sv_fail(st, SV_E_IO, -EHOSTUNREACH, "peer %s: %s: %s",
			       p->name, p->portal, gai_strerror(ret));
	ret = -ECONNREFUSED;
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t sl = sizeof(ret);
		int soerr = 0;

		fd = socket(ai->ai_family,
			    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			ret = -errno;
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
		    errno != EINPROGRESS) {
			ret = -errno;
			close(fd);
			fd = -1;
			continue;
		}
		pfd = (struct pollfd){fd, POLLOUT, 0};
		if (poll(&pfd, 1, ms_left(deadline)) <= 0) {
			ret = -ETIMEDOUT;
		} else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) <
				   0 ||
			   soerr) {
			ret = soerr ? -soerr : -errno;
		} else {
			ret = 0;
			break;
		}
		close(fd);
		fd = -1;
		if (ret == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return sv_fail(st, ret == -ETIMEDOUT ? SV_E_TIMEOUT : SV_E_IO,
			       ret, "peer %s: connect %s: %s", p->name,
			       p->portal, strerror(-ret));
	return fd;
}

static void tunnel_free(struct peer_tunnel *t)
{
	if (!t)
		return;
	tls_pump_free(&t->pump);
	SSL_free(t->ssl);
	/* any other end drops tgtxd: a reset if it has bytes of ours */
	if (t->net_fd >= 0 && t->clean)
		close(t->net_fd);
	else if (t->net_fd >= 0)
		tcp_drop(t->net_fd);
	if (t->listen_fd >= 0)
		close(t->listen_fd);
	if (t->plain_fd >= 0)
		close(t->plain_fd);
	if (t->stop_fd >= 0)
		close(t->stop_fd);
	free(t);
}

static int handshake(struct peer *p, struct peer_tunnel *t, uint64_t deadline,
		     struct sv_status *st)
{
	enum tls_step s;
	char why[200];

	for (;;) {
		struct pollfd pfd = {t->net_fd, 0, 0};
		int left;

		s = tls_handshake_step(t->ssl);
		if (s == TLS_STEP_DONE)
			return 0;
		if (s == TLS_STEP_FAILED)
			break;
		pfd.events = s == TLS_STEP_READ ? POLLIN : POLLOUT;
		left = ms_left(deadline);
		if (!left || poll(&pfd, 1, left) == 0)
			break;
	}
	switch (tls_handshake_why(t->ssl, &t->auth, s != TLS_STEP_FAILED, why,
				  sizeof(why))) {
	case TLS_FAIL_NOT_TLS:
		return sv_fail(st, SV_E_TLS, -EPROTO,
			       "peer %s: %s: declare transport=ipsec "
			       "(protected link) or transport=plain",
			       p->name, why);
	case TLS_FAIL_PEER_KEY:
		return sv_fail(st, SV_E_TLS, -EACCES,
			       "peer %s: TLS refused: %s", p->name, why);
	case TLS_FAIL_REFUSED_US:
		return sv_fail(st, SV_E_TLS, -EACCES,
			       "peer %s: TLS refused by the peer (is our "
			       "node key's pin in its --tls-peers?): %s",
			       p->name, why);
	default:
		return sv_fail(st,
			       s != TLS_STEP_FAILED ? SV_E_TIMEOUT : SV_E_TLS,
			       s != TLS_STEP_FAILED ? -ETIMEDOUT : -EPROTO,
			       "peer %s: %s", p->name, why);
	}
}

int peer_tls_open(struct peer *p, uint64_t deadline, struct sv_status *st)
{
	struct sockaddr_in lo = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t ll = sizeof(lo);
	struct peer_tunnel *t;
	int ret;

	peer_tls_close(p);
	t = calloc(1, sizeof(*t));
	if (!t)
		return sv_fail(st, SV_E_NOMEM, -ENOMEM, "peer %s: tunnel",
			       p->name);
	t->net_fd = t->listen_fd = t->plain_fd = t->stop_fd = -1;
	t->auth.want = p->tls_pin;
	ret = dial(p, deadline, st);
	if (ret < 0)
		goto fail;
	t->net_fd = ret;
	t->ssl = tls_ssl_new(p->tls_ctx, t->net_fd, false, &t->auth);
	if (!t->ssl) {
		ret = sv_fail(st, SV_E_NOMEM, -ENOMEM, "peer %s: TLS session",
			      p->name);
		goto fail;
	}
	ret = handshake(p, t, deadline, st);
	if (ret)
		goto fail;
	t->listen_fd =
		socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	t->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->listen_fd < 0 || t->stop_fd < 0 ||
	    bind(t->listen_fd, (struct sockaddr *)&lo, sizeof(lo)) < 0 ||
	    listen(t->listen_fd, 4) < 0 ||
	    getsockname(t->listen_fd, (struct sockaddr *)&lo, &ll) < 0) {
		ret = sv_fail(st, SV_E_IO, -errno,
			      "peer %s: tunnel listener: %s", p->name,
			      strerror(errno));
		goto fail;
	}
	snprintf(p->tunnel_portal, sizeof(p->tunnel_portal), "127.0.0.1:%u",
		 ntohs(lo.sin_port));
	p->tunnel = t;
	return 0;
fail:
	tunnel_free(t);
	return ret;
}

static bool same_peer(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	const struct sockaddr_in *x = (const struct sockaddr_in *)a,
				 *y = (const struct sockaddr_in *)b;

	return a->ss_family == AF_INET && b->ss_family == AF_INET &&
	       x->sin_port == y->sin_port &&
	       x->sin_addr.s_addr == y->sin_addr.s_addr;
}

static void *pump_main(void *arg)
{
	struct peer_tunnel *t = arg;
	uint64_t end = 0;
	bool plain_hup = false;

	for (;;) {
		struct pollfd pfd[3];
		short nev, pev;
		enum tls_pump_state s = tls_pump_run(&t->pump, &nev, &pev);
		int timeout = -1;

		if (s == TLS_PUMP_ERROR) {
			snprintf(t->err, sizeof(t->err), "%s", t->pump.err);
			atomic_store(&t->failed, true);
			break;
		}
		if (s == TLS_PUMP_DONE) {
			t->clean = true;
			break;
		}
		if (tls_pump_ending(&t->pump)) {
			if (!end)
				end = loop_now_ns() +
				      (uint64_t)TUNNEL_CLOSE_MS * 1000000ULL;
			timeout = ms_left(end);
			if (!timeout)
				break;
		}
		pfd[0] = (struct pollfd){t->net_fd, nev, 0};
		/* a hung-up local side that we do not read would spin */
		pfd[1] = (struct pollfd){plain_hup ? -1 : t->plain_fd, pev, 0};
		pfd[2] = (struct pollfd){t->stop_fd, POLLIN, 0};
		if (poll(pfd, 3, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[2].revents) {
			/* our side closes: say so, best effort */
			(void)SSL_shutdown(t->ssl);
			break;
		}
		if ((pfd[1].revents & (POLLHUP | POLLERR)) && !pev)
			plain_hup = true;
		if ((pfd[0].revents & (POLLHUP | POLLERR)) && !nev) {
			snprintf(t->err, sizeof(t->err),
				 "TLS connection reset by the peer");
			atomic_store(&t->failed, true);
			break;
		}
	}
	/* libiscsi must see the end now, not at its next timeout */
	shutdown(t->plain_fd, SHUT_RDWR);
	return NULL;
}

int peer_tls_start(struct peer *p, uint64_t deadline, struct sv_status *st)
{
	struct peer_tunnel *t = p->tunnel;
	struct sockaddr_storage want, got;
	socklen_t wl = sizeof(want);
	int ret;

	if (!t)
		return sv_fail(st, SV_E_IO, -EINVAL, "peer %s: no tunnel",
			       p->name);
	if (getsockname(iscsi_get_fd(p->iscsi), (struct sockaddr *)&want, &wl) <
	    0)
		return sv_fail(st, SV_E_IO, -errno, "peer %s: tunnel: %s",
			       p->name, strerror(errno));
	while (t->plain_fd < 0) {
		struct pollfd pfd = {t->listen_fd, POLLIN, 0};
		socklen_t gl = sizeof(got);
		int fd, left = ms_left(deadline);

		if (!left || poll(&pfd, 1, left) == 0)
			return sv_fail(st, SV_E_TIMEOUT, -ETIMEDOUT,
				       "peer %s: tunnel: libiscsi did not "
				       "connect",
				       p->name);
		fd = accept4(t->listen_fd, (struct sockaddr *)&got, &gl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (!same_peer(&want, &got)) {
			close(fd); /* someone else on this host */
			continue;
		}
		t->plain_fd = fd;
	}
	close(t->listen_fd);
	t->listen_fd = -1;
	ret = tls_pump_init(&t->pump, t->ssl, t->net_fd, t->plain_fd);
	if (ret)
		return sv_fail(st, SV_E_NOMEM, ret, "peer %s: tunnel buffers",
			       p->name);
	ret = pthread_create(&t->thread, NULL, pump_main, t);
	if (ret)
		return sv_fail(st, SV_E_IO, -ret, "peer %s: tunnel thread: %s",
			       p->name, strerror(ret));
	t->started = true;
	return 0;
}

void peer_tls_close(struct peer *p)
{
	struct peer_tunnel *t = p->tunnel;
	uint64_t one = 1;

	if (!t)
		return;
	if (t->started) {
		if (write(t->stop_fd, &one, sizeof(one)) < 0) {
			/* an eventfd write fails only on overflow: ignore */
		}
		pthread_join(t->thread, NULL);
	}
	p->tunnel = NULL;
	tunnel_free(t);
}

bool peer_tls_failed(struct peer *p, char *buf, size_t len)
{
	struct peer_tunnel *t = p->tunnel;

	if (!t || !atomic_load(&t->failed))
		return false;
	snprintf(buf, len, "%s", t->err);
	return true;
}
