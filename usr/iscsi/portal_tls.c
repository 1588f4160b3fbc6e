// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TLS portals (tgtxd --tls-portal): iSCSI inside TLS 1.3 with mutual
 * authentication by pinned node keys (usr/tls/tls_ctx.h). A connection is
 * accepted, counted against --max-conns and the per-source share like a
 * TCP one, and must finish its handshake within TLS_HANDSHAKE_MS. Then a
 * socketpair is made: one end becomes an ordinary iSCSI connection
 * (conn_create, with the initiator's real address for ACLs and logs and
 * the TLS portal's address for SendTargets), the other is pumped to and
 * from TLS on the event loop (usr/tls/tls_pump.h: bounded buffers, so a
 * peer that stops reading stalls its iSCSI connection, whose own deadlines
 * then close it). Once either side has ended, the rest must reach the
 * client (acknowledged by its kernel, not merely handed to ours) within
 * TLS_CLOSE_MS, or the connection is reset.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "core/log.h"
#include "core/membudget.h"
#include "core/strbuf.h"
#include "core/tcp_drop.h"
#include "core/tcp_listen.h"
#include "tls/tls_ctx.h"
#include "tls/tls_pump.h"
#include "conn.h"
#include "iscsi.h"
#include "limits.h"
#include "portal.h"

#define TLS_HANDSHAKE_MS   10000
#define TLS_CLOSE_MS	   5000
#define TLS_MAX_HANDSHAKES 64
#define TLS_BACKOFF_MS	   250
#define TLS_LOG_MS	   10000
#define TLS_LOG_BURST	   10
/* what one TLS connection holds besides its iSCSI connection: the pump's
 * buffers and OpenSSL's record buffers and state (an estimate) */
#define TLS_CONN_COST (2 * TLS_PUMP_BUF + (96u << 10))

struct tls_portal {
	struct list_head node;
	struct loop_fd lfd;
	struct sockaddr_storage want;
	struct loop_timer backoff;
};

struct tls_conn {
	struct list_head node;
	struct loop_fd net, plain;
	bool plain_watched, pumping, closed;
	bool finishing; /* pump done, waiting for the client to take the rest */
	uint64_t close_by; /* the close deadline, once one side has ended */
	SSL *ssl;
	struct tls_auth auth;
	struct tls_pump pump;
	struct loop_timer timer; /* handshake, then closing deadline */
	struct loop_defer free_defer;
	struct sockaddr_storage peer, local;
	char name[INET6_ADDRSTRLEN + 16];
	struct mb_account mem;
};

static struct {
	SSL_CTX *ctx;
	struct tls_pinset pins;
	const char *peers_file; /* re-read on SIGHUP */
	uint8_t pin[TLS_PIN_SIZE];
	bool have_key;
	int handshaking;
	uint64_t log_ms;
	unsigned logged, suppressed;
	uint64_t accepted, refused, failed;
} tls;

static LIST_HEAD(tls_portals);
static LIST_HEAD(tls_conns);

/*
 * Refusals and failed handshakes are what a flood produces: at most
 * TLS_LOG_BURST lines per TLS_LOG_MS, then a count.
 */
static void tls_log(const char *fmt, const char *who, const char *why)
{
	uint64_t now = loop_now_ms();

	if (!tls.log_ms || now - tls.log_ms >= TLS_LOG_MS) {
		if (tls.suppressed)
			log_warn("TLS: %u more refused or failed connections "
				 "not logged",
				 tls.suppressed);
		tls.log_ms = now;
		tls.logged = 0;
		tls.suppressed = 0;
	}
	if (tls.logged >= TLS_LOG_BURST) {
		tls.suppressed++;
		return;
	}
	tls.logged++;
	log_warn(fmt, who, why);
}

int iscsi_tls_init(const struct nodekey *key, const char *peers_file, char *err,
		   size_t errlen)
{
	tls_pin_of(key->pub, tls.pin);
	tls.have_key = true;
	if (!peers_file)
		return 0;
	if (tls_pins_load(peers_file, &tls.pins, err, errlen))
		return -EINVAL;
	tls.ctx = tls_ctx_new(key, true, err, errlen);
	if (!tls.ctx) {
		tls_pins_free(&tls.pins);
		return -EINVAL;
	}
	tls.peers_file = peers_file;
	log_info("TLS: %zu client key(s) pinned from %s", tls.pins.n,
		 peers_file);
	return 0;
}

/*
 * A partner added or withdrawn without a restart. A file that does not
 * parse changes nothing. Established connections stay (like a session
 * after an ACL change); handshakes still running are checked against the
 * new set from their next step on.
 */
int iscsi_tls_reload(char *err, size_t errlen)
{
	struct tls_pinset fresh = {0};
	struct tls_conn *c;

	if (!tls.ctx || !tls.peers_file)
		return 0;
	if (tls_pins_load(tls.peers_file, &fresh, err, errlen))
		return -EINVAL;
	/* their verify step may have pointed into the old set */
	list_for_each_entry (c, &tls_conns, node)
		if (c->auth.who)
			c->auth.who = tls_pins_find(&fresh, c->auth.pin);
	tls_pins_free(&tls.pins);
	tls.pins = fresh;
	log_info("TLS: %zu client key(s) pinned from %s (reloaded)", tls.pins.n,
		 tls.peers_file);
	return 0;
}

static void free_cb(struct loop_defer *d)
{
	struct tls_conn *c = container_of(d, struct tls_conn, free_defer);

	free(c);
}

/*
 * clean: the pump delivered everything (TLS_PUMP_DONE) and the client
 * acknowledged it (tls_finish). Otherwise the connection is dropped
 * (tcp_drop.h): a reset when the client has not taken all our bytes.
 */
static void tls_close_how(struct tls_conn *c, const char *why, bool clean)
{
	if (c->closed)
		return;
	c->closed = true;
	if (c->pumping)
		log_dbg("TLS %s: closed: %s (%llu bytes in, %llu out)", c->name,
			why, (unsigned long long)c->pump.bytes_down,
			(unsigned long long)c->pump.bytes_up);
	else
		tls.handshaking--;
	loop_timer_cancel(&c->timer);
	loop_del_fd(&c->net);
	if (clean)
		close(c->net.fd);
	else
		tcp_drop(c->net.fd);
	if (c->plain.fd >= 0) {
		if (c->plain_watched)
			loop_del_fd(&c->plain);
		/* the iSCSI connection sees its peer go */
		close(c->plain.fd);
	}
	SSL_free(c->ssl);
	c->ssl = NULL;
	tls_pump_free(&c->pump);
	mb_uncharge(&c->mem, c->mem.used);
	mb_released(TLS_CONN_COST);
	list_del(&c->node);
	loop_defer_queue(&c->free_defer);
}

static void tls_close(struct tls_conn *c, const char *why)
{
	tls_close_how(c, why, false);
}

/* Once one side has ended, the rest has TLS_CLOSE_MS to get through. */
static void arm_close_deadline(struct tls_conn *c)
{
	if (c->close_by)
		return;
	c->close_by = loop_now_ms() + TLS_CLOSE_MS;
	loop_timer_arm(&c->timer, TLS_CLOSE_MS);
}

/*
 * The pump is done: it handed its last bytes (and close_notify) to the
 * kernel. Handed is not delivered: a client that does not read leaves
 * them in our socket's send queue, and the FIN of a plain close() would
 * wait behind them for ever, so the client would never learn it was
 * dropped (and the kernel would keep the bytes). Close cleanly only once
 * the client has acknowledged everything; there is no epoll event for an
 * emptied send queue, so look again every TCP_UNACKED_POLL_MS until the
 * close deadline, then reset.
 */
static void tls_finish(struct tls_conn *c)
{
	uint64_t now = loop_now_ms();
	int left = tcp_unacked(c->net.fd);

	if (!left) {
		tls_close_how(c, "ended", true);
		return;
	}
	arm_close_deadline(c);
	if (now >= c->close_by) {
		log_info("TLS %s: %d bytes still not taken by the client at "
			 "the close deadline: reset",
			 c->name, left);
		tls_close(c, "client did not take our last bytes");
		return;
	}
	if (!c->finishing) {
		c->finishing = true;
		if (c->plain_watched) {
			loop_del_fd(&c->plain);
			c->plain_watched = false;
		}
		/* the iSCSI connection sees its peer go now */
		shutdown(c->plain.fd, SHUT_RDWR);
		/* nothing more to read or write: only a reset ends it early */
		loop_mod_fd(&c->net, 0);
		log_dbg("TLS %s: pump done, %d bytes not taken by the client "
			"yet",
			c->name, left);
	}
	loop_timer_arm(&c->timer, c->close_by - now < TCP_UNACKED_POLL_MS
					  ? c->close_by - now
					  : TCP_UNACKED_POLL_MS);
}

static void timer_cb(struct loop_timer *t)
{
	struct tls_conn *c = container_of(t, struct tls_conn, timer);

	if (!c->pumping) {
		tls.failed++;
		tls_log("TLS %s: handshake not finished in time, dropped%s",
			c->name, "");
		tls_close(c, "handshake deadline");
	} else if (c->finishing) {
		tls_finish(c);
	} else {
		tls_close(c, "not drained by the close deadline");
	}
}

static uint32_t to_epoll(short ev)
{
	return (ev & POLLIN ? EPOLLIN : 0) | (ev & POLLOUT ? EPOLLOUT : 0);
}

static void drive(struct tls_conn *c)
{
	short nev, pev;

	switch (tls_pump_run(&c->pump, &nev, &pev)) {
	case TLS_PUMP_DONE:
		tls_finish(c);
		return;
	case TLS_PUMP_ERROR:
		tls_close(c, c->pump.err);
		return;
	case TLS_PUMP_AGAIN:
		break;
	}
	loop_mod_fd(&c->net, to_epoll(nev));
	if (c->plain_watched)
		loop_mod_fd(&c->plain, to_epoll(pev));
	if (tls_pump_ending(&c->pump))
		arm_close_deadline(c);
}

static void on_plain(struct loop_fd *lfd, uint32_t events)
{
	struct tls_conn *c = container_of(lfd, struct tls_conn, plain);

	if (c->closed)
		return;
	drive(c);
	if (c->closed || c->finishing || !(events & (EPOLLHUP | EPOLLERR)))
		return;
	/*
	 * The iSCSI side is gone but its last bytes wait behind a full
	 * buffer: epoll would report the hang-up forever, so stop watching
	 * it; the net side drives the rest, under the close deadline.
	 */
	loop_del_fd(&c->plain);
	c->plain_watched = false;
	arm_close_deadline(c);
}

static void established(struct tls_conn *c)
{
	struct iscsi_conn *ic;
	char pin[TLS_PIN_HEX_LEN + 1];
	int sv[2];

	tls.handshaking--;
	c->pumping = true;
	loop_timer_cancel(&c->timer);
	tls_pin_hex(c->auth.pin, pin);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv) < 0) {
		tls_close(c, strerror(errno));
		return;
	}
	if (tls_pump_init(&c->pump, c->ssl, c->net.fd, sv[0])) {
		close(sv[0]);
		close(sv[1]);
		tls_close(c, "out of memory");
		return;
	}
	c->plain.fd = sv[0];
	if (loop_add_fd(&c->plain, sv[0], EPOLLIN, on_plain) < 0) {
		close(sv[1]);
		tls_close(c, "epoll");
		return;
	}
	c->plain_watched = true;
	ic = conn_create(sv[1], (const struct sockaddr *)&c->peer,
			 sizeof(c->peer));
	if (!ic) {
		close(sv[1]);
		tls_close(c, "cannot create the iSCSI connection");
		return;
	}
	/* SendTargets and the login see the TLS portal, not the socketpair */
	ic->local = c->local;
	tls.accepted++;
	log_info("TLS %s: client key %s%s%s accepted", c->name, pin,
		 c->auth.who && c->auth.who->name[0] ? " " : "",
		 c->auth.who ? c->auth.who->name : "");
	drive(c);
}

static void on_net(struct loop_fd *lfd, uint32_t events)
{
	struct tls_conn *c = container_of(lfd, struct tls_conn, net);
	char why[200];

	if (c->closed)
		return;
	if (c->finishing) {
		if (events & (EPOLLHUP | EPOLLERR))
			tls_close(c, "connection reset");
		return;
	}
	if (c->pumping) {
		drive(c);
		/* reset or both directions shut: nothing more can pass */
		if (!c->closed && (events & (EPOLLHUP | EPOLLERR)))
			tls_close(c, "connection reset");
		return;
	}
	switch (tls_handshake_step(c->ssl)) {
	case TLS_STEP_DONE:
		established(c);
		return;
	case TLS_STEP_READ:
		loop_mod_fd(&c->net, EPOLLIN);
		return;
	case TLS_STEP_WRITE:
		loop_mod_fd(&c->net, EPOLLOUT);
		return;
	case TLS_STEP_FAILED:
		break;
	}
	tls.failed++;
	tls_handshake_why(c->ssl, &c->auth, false, why, sizeof(why));
	tls_log("TLS %s: handshake refused: %s", c->name, why);
	tls_close(c, why);
}

static bool same_host(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
}

static int handshaking_host(const struct sockaddr_storage *peer)
{
	struct tls_conn *c;
	int n = 0;

	list_for_each_entry (c, &tls_conns, node)
		if (!c->pumping && same_host(&c->peer, peer))
			n++;
	return n;
}

/* The same limits as a TCP portal, counting handshakes in progress. */
static const char *refuse(const struct sockaddr_storage *peer)
{
	int total = conn_count() + tls.handshaking;
	struct mb_account none = {0};

	if (total >= (int)iscsi_limits.max_conns)
		return "connection limit reached";
	if (tls.handshaking >= TLS_MAX_HANDSHAKES)
		return "too many TLS handshakes in progress";
	if (total >= (int)iscsi_limits.max_conns / 2 &&
	    conn_count_source(peer) + handshaking_host(peer) >=
		    (int)iscsi_source_max())
		return "connection share of one source reached";
	if (!mb_fits(&none, TLS_CONN_COST, TLS_CONN_COST))
		return "memory budget exhausted";
	return NULL;
}

static void backoff_done(struct loop_timer *t)
{
	struct tls_portal *p = container_of(t, struct tls_portal, backoff);

	loop_mod_fd(&p->lfd, EPOLLIN);
}

static void tls_accept_one(struct tls_portal *p, int fd,
			   const struct sockaddr_storage *peer)
{
	socklen_t ll = sizeof(struct sockaddr_storage);
	const char *why = refuse(peer);
	struct tls_conn *c;
	char who[INET6_ADDRSTRLEN + 16];

	portal_addr_str(peer, who, sizeof(who), true);
	if (why) {
		tls.refused++;
		tls_log("TLS %s: refused: %s", who, why);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->peer = *peer;
	if (getsockname(fd, (struct sockaddr *)&c->local, &ll) < 0)
		c->local = p->want;
	snprintf(c->name, sizeof(c->name), "%s", who);
	c->plain.fd = -1;
	c->auth.allowed = &tls.pins;
	loop_timer_init(&c->timer, timer_cb);
	loop_defer_init(&c->free_defer, free_cb);
	c->ssl = tls_ssl_new(tls.ctx, fd, true, &c->auth);
	if (!c->ssl || loop_add_fd(&c->net, fd, EPOLLIN, on_net) < 0) {
		SSL_free(c->ssl);
		close(fd);
		free(c);
		return;
	}
	mb_charge(&c->mem, TLS_CONN_COST);
	list_add_tail(&c->node, &tls_conns);
	tls.handshaking++;
	loop_timer_arm(&c->timer, TLS_HANDSHAKE_MS);
}

static void on_accept(struct loop_fd *lfd, uint32_t events)
{
	struct tls_portal *p = container_of(lfd, struct tls_portal, lfd);

	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(lfd->fd, (struct sockaddr *)&peer, &plen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				loop_mod_fd(lfd, 0);
				loop_timer_arm(&p->backoff, TLS_BACKOFF_MS);
			}
			return;
		}
		tls_accept_one(p, fd, &peer);
	}
}

int iscsi_tls_portal_add(const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct tls_portal *p;
	socklen_t len;
	int ret;

	if (!tls.ctx) {
		snprintf(err, errlen,
			 "a TLS portal needs --tls-peers FILE "
			 "(the pins of the clients allowed)");
		return -EINVAL;
	}
	if (iscsi_addr_parse(spec, &ss, &len)) {
		snprintf(err, errlen, "bad TLS portal '%s' (ADDR:PORT)", spec);
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		ret = -ENOMEM;
		goto fail;
	}
	p->want = ss;
	loop_timer_init(&p->backoff, backoff_done);
	/* ":PORT" (the any address) takes IPv4 too */
	ret = portal_listen(&ss, len, spec[0] != ':', &p->lfd, on_accept);
	if (ret) {
		free(p);
		goto fail;
	}
	list_add_tail(&p->node, &tls_portals);
	log_info("listening on %s (TLS)", spec);
	return 0;
fail:
	snprintf(err, errlen, "TLS portal %s: %s", spec, strerror(-ret));
	return ret;
}

void iscsi_tls_show(struct strbuf *out)
{
	struct tls_portal *p;
	char pin[TLS_PIN_HEX_LEN + 1];

	if (!tls.have_key)
		return;
	tls_pin_hex(tls.pin, pin);
	strbuf_addf(out, "Node key pin: %s\n", pin);
	list_for_each_entry (p, &tls_portals, node) {
		struct sockaddr_storage bound;
		socklen_t bl = sizeof(bound);
		char a[INET6_ADDRSTRLEN + 16];

		if (getsockname(p->lfd.fd, (struct sockaddr *)&bound, &bl) < 0)
			bound = p->want;
		portal_addr_str(&bound, a, sizeof(a), true);
		strbuf_addf(out, "TLS portal: %s,%d\n", a, ISCSI_TPGT);
	}
	if (tls.ctx)
		strbuf_addf(out,
			    "TLS: %zu pinned client key(s), %d handshaking, "
			    "%llu accepted, %llu refused, %llu failed\n",
			    tls.pins.n, tls.handshaking,
			    (unsigned long long)tls.accepted,
			    (unsigned long long)tls.refused,
			    (unsigned long long)tls.failed);
}

void iscsi_tls_exit(void)
{
	while (!list_empty(&tls_portals)) {
		struct tls_portal *p =
			list_first_entry(&tls_portals, struct tls_portal, node);

		loop_timer_cancel(&p->backoff);
		loop_del_fd(&p->lfd);
		close(p->lfd.fd);
		list_del(&p->node);
		free(p);
	}
	while (!list_empty(&tls_conns)) {
		struct tls_conn *c =
			list_first_entry(&tls_conns, struct tls_conn, node);

		tls_close(c, "shutting down");
		loop_defer_cancel(&c->free_defer);
		free(c);
	}
	tls_ctx_free(tls.ctx);
	tls.ctx = NULL;
	tls_pins_free(&tls.pins);
}
