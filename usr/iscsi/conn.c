// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Connection I/O on the event loop. Reads go straight into the data buffer
 * of the PDU being received when one is waiting (zero-copy Data-Out), the
 * rest through a staging buffer so small PDUs cost one read per batch.
 * Output is queued and written with one writev per batch from a deferred
 * call, so everything produced while handling a batch of input (or a batch
 * of disk completions) leaves in as few syscalls as possible.
 */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/tcp_drop.h"
#include "limits.h"

#define RXBUF_SIZE (64 * 1024)
#define TX_IOV_MAX 64
#define RX_BATCH   16
/* Reads smaller than this go through the staging buffer anyway. */
#define DIRECT_MIN 2048

/* What a connection costs before it does anything. */
#define CONN_FIXED (sizeof(struct iscsi_conn) + RXBUF_SIZE)

static LIST_HEAD(conns);
static LIST_HEAD(zombies); /* closed, waiting for the SCSI layer or free */
static int nr_conns;
static int nr_ffp; /* connections sharing the budget after login */

struct list_head *conn_list(void)
{
	return &conns;
}

int conn_count(void)
{
	return nr_conns;
}

uint32_t conn_exp_cmdsn(const struct iscsi_conn *c)
{
	return c->sess ? c->sess->exp_cmdsn : c->login_cmdsn;
}

uint32_t conn_max_cmdsn(const struct iscsi_conn *c)
{
	if (c->sess)
		return session_max_cmdsn(c->sess);
	return c->login_cmdsn + ISCSI_CMD_WINDOW - 1;
}

void conn_set_statsn(struct iscsi_conn *c, struct pdu_tx *t, bool advance)
{
	put_be32(t->hdr + 24, c->stat_sn);
	if (advance)
		c->stat_sn++;
}

static bool same_source(const struct sockaddr_storage *a,
			const struct sockaddr_storage *b)
{
	const uint8_t *pa, *pb;
	unsigned bits, i;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		pa = (const uint8_t *)&((const struct sockaddr_in *)a)
			     ->sin_addr;
		pb = (const uint8_t *)&((const struct sockaddr_in *)b)
			     ->sin_addr;
		bits = iscsi_limits.v4_prefix;
	} else if (a->ss_family == AF_INET6) {
		pa = ((const struct sockaddr_in6 *)a)->sin6_addr.s6_addr;
		pb = ((const struct sockaddr_in6 *)b)->sin6_addr.s6_addr;
		bits = iscsi_limits.v6_prefix;
		/* IPv4 clients of a dual-stack portal are IPv4 sources. */
		if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)pa) &&
		    IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)pb)) {
			pa += 12;
			pb += 12;
			bits = iscsi_limits.v4_prefix;
		}
	} else {
		return true;
	}
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (pa[i] != pb[i])
			return false;
	return !bits || !((pa[i] ^ pb[i]) & (0xff00u >> bits));
}

int conn_count_source(const struct sockaddr_storage *peer)
{
	struct iscsi_conn *c;
	int n = 0;

	list_for_each_entry (c, &conns, node)
		if (same_source(&c->peer, peer))
			n++;
	return n;
}

size_t conn_mem_share(const struct iscsi_conn *c)
{
	size_t share;
	int n = nr_ffp > 4 ? nr_ffp : 4;

	if (c->state == CONN_LOGIN || !c->sess)
		return CONN_FIXED + ISCSI_LOGIN_ALLOWANCE;
	if (c->sess->type == ISCSI_SESSION_DISCOVERY)
		return CONN_FIXED + 4 * ISCSI_LOGIN_ALLOWANCE;
	share = mb_budget() / (size_t)n;
	return share > ISCSI_CONN_MIN_SHARE ? share : ISCSI_CONN_MIN_SHARE;
}

/*
 * The last eighth of the budget is kept for connections holding little
 * (at most CONN_LIGHT), so those filling their shares cannot starve
 * sessions doing ordinary small I/O.
 */
#define CONN_LIGHT (CONN_FIXED + (1u << 20))

bool conn_mem_fits(const struct iscsi_conn *c, size_t n)
{
	size_t budget = mb_budget();

	if (!mb_fits(&c->mem, n, conn_mem_share(c)))
		return false;
	return mb_used() + n <= budget - budget / 8 ||
	       c->mem.used + n <= CONN_LIGHT;
}

static void update_events(struct iscsi_conn *c)
{
	uint32_t ev = 0;

	if (c->state == CONN_CLOSED)
		return;
	if (!c->rx_paused && !c->mem_paused &&
	    (c->state == CONN_LOGIN || c->state == CONN_FFP))
		ev |= EPOLLIN;
	if (c->want_out)
		ev |= EPOLLOUT;
	if (loop_mod_fd(&c->lfd, ev) < 0)
		log_warn("%s: epoll_ctl: %s", c->peer_str, strerror(errno));
}

static void stall_or_drain(struct loop_timer *t)
{
	struct iscsi_conn *c = container_of(t, struct iscsi_conn, drain_timer);

	if (c->finishing)
		conn_close(c, "our last bytes not acknowledged by the close "
			      "deadline");
	else if (c->close_after_tx)
		conn_close(c, "output not drained by the close deadline");
	else
		conn_close(c, "stalled: peer does not read its responses");
}

/*
 * Over its share (or everyone over the budget and c above the login
 * allowance), c is not read from until it is back under three quarters
 * of it; a connection that stays paused with no output leaving is dropped
 * after ISCSI_STALL_MS, so no peer holds memory by simply not reading.
 */
void conn_gate(struct iscsi_conn *c)
{
	size_t share, floor = CONN_FIXED + ISCSI_LOGIN_ALLOWANCE;
	bool pause;

	if (c->state == CONN_CLOSED)
		return;
	share = conn_mem_share(c);
	if (c->mem_paused)
		pause = c->mem.used > share - share / 4 ||
			(mb_over() && c->mem.used > floor);
	else
		pause = c->mem.used > share ||
			(mb_over() && c->mem.used > floor);
	if (pause != c->mem_paused) {
		c->mem_paused = pause;
		update_events(c);
	}
	if (c->close_after_tx)
		return; /* the drain deadline runs */
	if ((c->mem_paused || c->rx_paused) &&
	    (!list_empty(&c->txq) || c->mem.used > share)) {
		if (!c->drain_timer.armed)
			loop_timer_arm(&c->drain_timer, ISCSI_STALL_MS);
	} else {
		loop_timer_cancel(&c->drain_timer);
	}
}

void conn_mem_charge(struct iscsi_conn *c, size_t n)
{
	mb_charge(&c->mem, n);
	conn_gate(c);
}

/* Others may have been paused by the global total: look at them again. */
static void regate_all(struct loop_defer *d)
{
	struct iscsi_conn *c;

	list_for_each_entry (c, &conns, node)
		if (c->mem_paused)
			conn_gate(c);
}

static struct loop_defer regate_defer;

void conn_mem_uncharge(struct iscsi_conn *c, size_t n)
{
	bool was_over = mb_over();

	mb_uncharge(&c->mem, n);
	if (c->mem_paused)
		conn_gate(c);
	if (was_over && !mb_over()) {
		if (!regate_defer.cb)
			loop_defer_init(&regate_defer, regate_all);
		loop_defer_queue(&regate_defer);
	}
}

/* The growable buffers (receive, text, login) are charged by capacity. */
static void sync_bufs(struct iscsi_conn *c)
{
	size_t now = c->rx.buf_cap + c->text_in.cap + c->text_out.cap;

	if (c->login_started)
		now += c->login.pending_in.cap + c->login.pending_out.cap;
	if (now > c->mem_bufs)
		conn_mem_charge(c, now - c->mem_bufs);
	else if (now < c->mem_bufs)
		conn_mem_uncharge(c, c->mem_bufs - now);
	c->mem_bufs = now;
}

void conn_enter_ffp(struct iscsi_conn *c)
{
	if (!c->counted_ffp) {
		c->counted_ffp = true;
		nr_ffp++;
	}
	if (c->sess && c->sess->type == ISCSI_SESSION_DISCOVERY)
		loop_timer_arm(&c->login_timer, ISCSI_DISCOVERY_IDLE_MS);
	conn_gate(c);
}

static void tx_free(struct iscsi_conn *c, struct pdu_tx *t)
{
	size_t n = t->charged;

	pdu_tx_free(t);
	if (n)
		conn_mem_uncharge(c, n);
}

static void free_pending(struct iscsi_conn *c, struct iscsi_session *s)
{
	while (!list_empty(&s->pending)) {
		struct iscsi_pending *p = list_first_entry(
			&s->pending, struct iscsi_pending, node);

		list_del(&p->node);
		s->nr_pending--;
		conn_mem_uncharge(c, sizeof(*p) + p->dlen);
		free(p->data);
		free(p);
	}
}

static void free_cb(struct loop_defer *d)
{
	struct iscsi_conn *c = container_of(d, struct iscsi_conn, free_defer);
	size_t held = c->mem.used;

	list_del(&c->node);
	pdu_rx_free(&c->rx);
	free(c->rxbuf);
	if (c->login_started)
		login_free(&c->login);
	strbuf_free(&c->text_in);
	strbuf_free(&c->text_out);
	if (c->sess)
		session_put(c->sess);
	mb_uncharge(&c->mem, held);
	free(c);
	mb_released(held);
}

void conn_maybe_free(struct iscsi_conn *c)
{
	if (c->state == CONN_CLOSED && !c->inflight)
		loop_defer_queue(&c->free_defer);
}

void conn_reap_all(void)
{
	struct iscsi_conn *c, *n;

	while (!list_empty(&conns))
		conn_close(list_first_entry(&conns, struct iscsi_conn, node),
			   "shutting down");
	list_for_each_entry_safe (c, n, &zombies, node) {
		if (c->inflight)
			continue;
		loop_defer_cancel(&c->free_defer);
		free_cb(&c->free_defer);
	}
}

/*
 * The connection's part in its session ends: its commands stop and, as the
 * only connection, the session and its I_T nexus end with it (reservations
 * and unit attentions of the nexus go). Parked commands of a lost
 * connection will never run.
 */
static void conn_leave_session(struct iscsi_conn *c)
{
	struct iscsi_session *s = c->sess;

	task_abort_all(c);
	if (!s || s->conn != c)
		return;
	free_pending(c, s);
	s->conn = NULL;
	if (!s->reinstating)
		session_close(s);
}

/*
 * Every close is a drop except the one conn_finish() makes once the peer
 * has acknowledged everything: tcp_drop() resets a connection whose peer
 * has not taken our bytes, so it learns now and the kernel frees them.
 */
void conn_close(struct iscsi_conn *c, const char *why)
{
	int left;

	if (c->state == CONN_CLOSED)
		return;
	c->state = CONN_CLOSED;
	loop_del_fd(&c->lfd);
	left = tcp_drop(c->lfd.fd);
	c->lfd.fd = -1;
	if (left)
		log_info("%s: connection closed: %s (reset: %d bytes not "
			 "acknowledged by the peer)",
			 c->peer_str, why, left);
	else
		log_info("%s: connection closed: %s", c->peer_str, why);
	loop_timer_cancel(&c->unacked_timer);
	loop_timer_cancel(&c->nop_timer);
	loop_timer_cancel(&c->login_timer);
	loop_timer_cancel(&c->drain_timer);
	loop_timer_cancel(&c->gap_timer);
	loop_defer_cancel(&c->flush_defer);
	while (!list_empty(&c->txq)) {
		struct pdu_tx *t =
			list_first_entry(&c->txq, struct pdu_tx, node);

		list_del(&t->node);
		tx_free(c, t);
	}
	c->tx_bytes = 0;
	list_del(&c->node);
	list_add_tail(&c->node, &zombies);
	nr_conns--;
	if (c->counted_ffp) {
		c->counted_ffp = false;
		nr_ffp--;
	}
	conn_leave_session(c);
	conn_maybe_free(c);
}

void conn_fail(struct iscsi_conn *c)
{
	/* Answer what we can, then close: input after this is not trusted. */
	if (c->state == CONN_CLOSED)
		return;
	c->state = CONN_LOGOUT;
	c->close_after_tx = true;
	/* Every state has a deadline: a peer that never reads must not keep
	 * a closing connection and its queued output forever. */
	loop_timer_arm(&c->drain_timer, ISCSI_CLOSE_DRAIN_MS);
	loop_defer_queue(&c->flush_defer);
	update_events(c);
}

/*
 * The last of our output is with the kernel. Handed is not delivered: the
 * FIN of a close now would queue behind bytes a peer that does not read
 * never takes. So the orderly close waits until the peer acknowledged
 * everything, looking again every TCP_UNACKED_POLL_MS; the drain deadline
 * conn_fail() armed ends the wait with a reset (conn_close), and a reset
 * or hang-up from the peer ends it early (on_event).
 */
static void conn_finish(struct iscsi_conn *c)
{
	int left = tcp_unacked(c->lfd.fd);

	if (!left) {
		conn_close(c,
			   c->state == CONN_LOGOUT ? "logged out" : "closing");
		return;
	}
	if (!c->finishing) {
		/* The initiator may log in again the moment it reads our last
		 * response: what the session held is released now, not when
		 * its ACK comes (Reserve6.Logout in iscsi-test-cu). */
		conn_leave_session(c);
		c->finishing = true;
		log_dbg("%s: closing: %d bytes not acknowledged by the peer "
			"yet",
			c->peer_str, left);
	}
	loop_timer_arm(&c->unacked_timer, TCP_UNACKED_POLL_MS);
}

static void flush(struct iscsi_conn *c)
{
	struct iovec iov[TX_IOV_MAX];

	bool progress = false;

	while (!list_empty(&c->txq)) {
		struct pdu_tx *t;
		uint32_t off = c->tx_off;
		struct msghdr mh;
		ssize_t r;
		int n = 0;

		list_for_each_entry (t, &c->txq, node) {
			if (n + 3 > TX_IOV_MAX)
				break;
			n += pdu_tx_iov(t, off, iov + n);
			off = 0;
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)n;
		r = sendmsg(c->lfd.fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (!c->want_out) {
					c->want_out = true;
					update_events(c);
				}
				if (progress)
					conn_gate(c);
				return;
			}
			conn_close(c, strerror(errno));
			return;
		}
		if (r > 0)
			progress = true;
		while (r > 0) {
			size_t rem;

			t = list_first_entry(&c->txq, struct pdu_tx, node);
			rem = t->total - c->tx_off;
			if ((size_t)r < rem) {
				c->tx_off += (uint32_t)r;
				break;
			}
			r -= (ssize_t)rem;
			c->tx_off = 0;
			list_del(&t->node);
			c->tx_bytes -= t->total;
			tx_free(c, t);
			if (c->state == CONN_CLOSED)
				return;
		}
		/* Output moves: the stall deadline starts again. */
		if (progress && c->drain_timer.armed && !c->close_after_tx)
			loop_timer_cancel(&c->drain_timer);
	}
	if (c->want_out) {
		c->want_out = false;
		update_events(c);
	}
	if (c->rx_paused && c->tx_bytes < ISCSI_TX_HIGH_WATER / 2) {
		c->rx_paused = false;
		update_events(c);
	}
	if (progress)
		conn_gate(c);
	if (c->close_after_tx)
		conn_finish(c);
}

static void flush_cb(struct loop_defer *d)
{
	struct iscsi_conn *c = container_of(d, struct iscsi_conn, flush_defer);

	if (c->state != CONN_CLOSED)
		flush(c);
}

void conn_queue(struct iscsi_conn *c, struct pdu_tx *t)
{
	if (c->state == CONN_CLOSED) {
		pdu_tx_free(t);
		return;
	}
	list_add_tail(&t->node, &c->txq);
	c->tx_bytes += t->total;
	/* What the PDU holds, not what it puts on the wire. */
	t->charged = (uint32_t)sizeof(*t) + (t->owned ? t->dlen : 0);
	loop_defer_queue(&c->flush_defer);
	if (!c->rx_paused && c->tx_bytes > ISCSI_TX_HIGH_WATER) {
		c->rx_paused = true;
		update_events(c);
	}
	conn_mem_charge(c, t->charged);
}

void conn_send(struct iscsi_conn *c, struct pdu_tx *t, bool with_sn)
{
	bool ffp = c->state != CONN_LOGIN;

	if (with_sn) {
		put_be32(t->hdr + 28, conn_exp_cmdsn(c));
		put_be32(t->hdr + 32, conn_max_cmdsn(c));
	}
	pdu_tx_seal(t, ffp && c->params.header_digest,
		    ffp && c->params.data_digest);
	conn_queue(c, t);
}

static bool conn_active(const struct iscsi_conn *c)
{
	return c->state == CONN_LOGIN || c->state == CONN_FFP;
}

static void on_header(struct iscsi_conn *c)
{
	uint8_t op = c->rx.bhs[0] & ISCSI_OPCODE_MASK;

	if (c->state == CONN_FFP && op == ISCSI_OP_DATA_OUT)
		task_data_out_header(c);
}

/* Feeds staged bytes to the parser and dispatches complete PDUs. */
static void process(struct iscsi_conn *c, const uint8_t *buf, size_t len)
{
	size_t off = 0, used;
	int ev;

	while (conn_active(c)) {
		ev = pdu_rx_feed(&c->rx, buf + off, len - off, &used);
		off += used;
		switch (ev) {
		case PDU_RX_MORE:
			return;
		case PDU_RX_HEADER:
			on_header(c);
			break;
		case PDU_RX_DONE:
			conn_dispatch(c);
			break;
		case PDU_RX_ERR_DDIGEST:
			log_warn("%s: data digest error", c->peer_str);
			c->rx_task = NULL;
			if (c->state == CONN_FFP)
				reject_send(c, c->rx.bhs,
					    ISCSI_REJECT_DATA_DIGEST);
			conn_fail(c);
			return;
		case PDU_RX_ERR_TOO_BIG:
			log_warn("%s: data segment of %u bytes exceeds %u",
				 c->peer_str, c->rx.dlen, c->rx.max_dlen);
			if (c->state == CONN_FFP)
				reject_send(c, c->rx.bhs,
					    ISCSI_REJECT_PROTOCOL_ERROR);
			conn_fail(c);
			return;
		case PDU_RX_ERR_HDIGEST:
			conn_close(c, "header digest error");
			return;
		default:
			conn_close(c, "out of memory");
			return;
		}
	}
}

static void do_read(struct iscsi_conn *c)
{
	int i;

	for (i = 0; i < RX_BATCH && conn_active(c) && !c->rx_paused; i++) {
		struct iovec iov[2];
		uint8_t *dst = NULL;
		uint32_t room = pdu_rx_direct(&c->rx, &dst);
		size_t want, direct;
		ssize_t r;
		int n = 0;

		if (room >= DIRECT_MIN) {
			iov[n].iov_base = dst;
			iov[n++].iov_len = room;
		} else {
			room = 0;
		}
		iov[n].iov_base = c->rxbuf;
		iov[n++].iov_len = RXBUF_SIZE;
		want = room + RXBUF_SIZE;
		r = readv(c->lfd.fd, iov, n);
		if (r == 0) {
			conn_close(c, "closed by peer");
			return;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_close(c, strerror(errno));
			return;
		}
		c->rx_activity = true;
		direct = (size_t)r < room ? (size_t)r : room;
		if (direct &&
		    pdu_rx_direct_done(&c->rx, (uint32_t)direct) == PDU_RX_DONE)
			conn_dispatch(c);
		if ((size_t)r > direct)
			process(c, c->rxbuf, (size_t)r - direct);
		if (c->state != CONN_CLOSED)
			sync_bufs(c);
		if ((size_t)r < want || c->mem_paused)
			return;
	}
}

static void on_event(struct loop_fd *lfd, uint32_t events)
{
	struct iscsi_conn *c = container_of(lfd, struct iscsi_conn, lfd);

	if (events & EPOLLOUT)
		flush(c);
	if (c->state == CONN_CLOSED)
		return;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		if (conn_active(c) && !c->rx_paused)
			do_read(c);
		else if (events & (EPOLLHUP | EPOLLERR))
			conn_close(c, "connection reset");
	}
}

static void login_timeout(struct loop_timer *t)
{
	struct iscsi_conn *c = container_of(t, struct iscsi_conn, login_timer);

	if (c->state == CONN_LOGIN)
		conn_close(c, "login timed out");
	else if (c->state == CONN_FFP)
		conn_close(c, "discovery session idle");
}

static void unacked_poll(struct loop_timer *t)
{
	struct iscsi_conn *c =
		container_of(t, struct iscsi_conn, unacked_timer);

	/* output queued meanwhile goes first; flush() comes back here */
	flush(c);
}

static void gap_timeout(struct loop_timer *t)
{
	struct iscsi_conn *c = container_of(t, struct iscsi_conn, gap_timer);

	conn_close(c, "CmdSN gap not filled in time");
}

static void format_peer(struct iscsi_conn *c)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (c->peer.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&c->peer;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
		snprintf(c->peer_str, sizeof(c->peer_str), "%s:%u", host, port);
	} else if (c->peer.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&c->peer;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
		snprintf(c->peer_str, sizeof(c->peer_str), "[%s]:%u", host,
			 port);
	} else {
		snprintf(c->peer_str, sizeof(c->peer_str), "unknown peer");
	}
}

struct iscsi_conn *conn_create(int fd, const struct sockaddr *peer,
			       socklen_t plen)
{
	struct iscsi_conn *c;
	socklen_t llen = sizeof(c->local);
	int one = 1;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->rxbuf = malloc(RXBUF_SIZE);
	if (!c->rxbuf) {
		free(c);
		return NULL;
	}
	if (plen > sizeof(c->peer))
		plen = sizeof(c->peer);
	memcpy(&c->peer, peer, plen);
	if (getsockname(fd, (struct sockaddr *)&c->local, &llen) < 0)
		log_warn("getsockname: %s", strerror(errno));
	format_peer(c);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->state = CONN_LOGIN;
	list_init(&c->txq);
	list_init(&c->tasks);
	pdu_rx_init(&c->rx, ISCSI_LOGIN_MAX_DSL);
	loop_defer_init(&c->flush_defer, flush_cb);
	loop_defer_init(&c->free_defer, free_cb);
	loop_timer_init(&c->nop_timer, NULL);
	loop_timer_init(&c->login_timer, login_timeout);
	loop_timer_init(&c->drain_timer, stall_or_drain);
	loop_timer_init(&c->gap_timer, gap_timeout);
	loop_timer_init(&c->unacked_timer, unacked_poll);
	c->next_ttt = 1;
	if (loop_add_fd(&c->lfd, fd, EPOLLIN, on_event) < 0) {
		log_err("%s: epoll_ctl: %s", c->peer_str, strerror(errno));
		pdu_rx_free(&c->rx);
		free(c->rxbuf);
		free(c);
		return NULL;
	}
	list_add_tail(&c->node, &conns);
	nr_conns++;
	conn_mem_charge(c, CONN_FIXED);
	loop_timer_arm(&c->login_timer, ISCSI_LOGIN_TIMEOUT_MS);
	log_dbg("%s: connection accepted", c->peer_str);
	return c;
}

/* ---- full feature phase dispatch ---- */

static void exec_pdu(struct iscsi_conn *c, const uint8_t *bhs,
		     const uint8_t *data, uint32_t dlen)
{
	uint8_t op = bhs[0] & ISCSI_OPCODE_MASK;
	bool discovery = c->sess->type == ISCSI_SESSION_DISCOVERY;

	switch (op) {
	case ISCSI_OP_NOP_OUT:
		nop_out_handle(c, bhs, data, dlen);
		break;
	case ISCSI_OP_SCSI_CMD:
		if (discovery)
			reject_send(c, bhs, ISCSI_REJECT_PROTOCOL_ERROR);
		else
			task_scsi_cmd(c, bhs, data, dlen);
		break;
	case ISCSI_OP_TMF_REQ:
		if (discovery)
			reject_send(c, bhs, ISCSI_REJECT_PROTOCOL_ERROR);
		else
			tmf_handle(c, bhs);
		break;
	case ISCSI_OP_TEXT_REQ:
		text_handle(c, bhs, data, dlen);
		break;
	case ISCSI_OP_LOGOUT_REQ:
		logout_handle(c, bhs);
		break;
	default:
		reject_send(c, bhs, ISCSI_REJECT_CMD_NOT_SUPPORTED);
		break;
	}
}

static void drain_pending(struct iscsi_conn *c)
{
	struct iscsi_session *s = c->sess;

	while (c->state == CONN_FFP && !list_empty(&s->pending)) {
		struct iscsi_pending *p = list_first_entry(
			&s->pending, struct iscsi_pending, node);

		if (p->cmdsn != s->exp_cmdsn)
			return;
		list_del(&p->node);
		s->nr_pending--;
		s->exp_cmdsn++;
		exec_pdu(c, p->bhs, p->data, p->dlen);
		conn_mem_uncharge(c, sizeof(*p) + p->dlen);
		free(p->data);
		free(p);
	}
	if (list_empty(&s->pending))
		loop_timer_cancel(&c->gap_timer);
}

/* Keeps a command that arrived ahead of ExpCmdSN, sorted by CmdSN. */
static void queue_pending(struct iscsi_conn *c, uint32_t cmdsn,
			  const uint8_t *bhs, const uint8_t *data,
			  uint32_t dlen)
{
	struct iscsi_session *s = c->sess;
	struct iscsi_pending *p, *pos;

	list_for_each_entry (pos, &s->pending, node)
		if (pos->cmdsn == cmdsn)
			return; /* duplicate: the first copy wins */
	if (s->nr_pending >= ISCSI_CMD_WINDOW)
		return;
	/* Parked commands count like queued ones; past the share, drop
	 * (the initiator retries after its timeout, as for a lost PDU). */
	if (!conn_mem_fits(c, sizeof(*p) + dlen)) {
		log_dbg("%s: CmdSN %u parked over the memory share, dropped",
			c->peer_str, cmdsn);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return;
	if (dlen) {
		p->data = malloc(dlen);
		if (!p->data) {
			free(p);
			return;
		}
		memcpy(p->data, data, dlen);
	}
	p->dlen = dlen;
	p->cmdsn = cmdsn;
	memcpy(p->bhs, bhs, ISCSI_BHS_LEN);
	conn_mem_charge(c, sizeof(*p) + dlen);
	/* A gap that never fills must not hold them forever. */
	if (!c->gap_timer.armed)
		loop_timer_arm(&c->gap_timer, ISCSI_CMDSN_GAP_MS);
	list_for_each_entry (pos, &s->pending, node) {
		if (sn_lt(cmdsn, pos->cmdsn)) {
			list_add_tail(&p->node, &pos->node);
			s->nr_pending++;
			return;
		}
	}
	list_add_tail(&p->node, &s->pending);
	s->nr_pending++;
}

static void ffp_pdu(struct iscsi_conn *c)
{
	const uint8_t *bhs = c->rx.bhs;
	uint8_t op = bhs[0] & ISCSI_OPCODE_MASK;
	struct iscsi_session *s = c->sess;
	uint32_t cmdsn;

	switch (op) {
	case ISCSI_OP_DATA_OUT:
		task_data_out_done(c);
		return;
	case ISCSI_OP_SNACK:
		reject_send(c, bhs, ISCSI_REJECT_SNACK);
		return;
	case ISCSI_OP_LOGIN_REQ:
		reject_send(c, bhs, ISCSI_REJECT_PROTOCOL_ERROR);
		return;
	case ISCSI_OP_NOP_OUT:
	case ISCSI_OP_SCSI_CMD:
	case ISCSI_OP_TMF_REQ:
	case ISCSI_OP_TEXT_REQ:
	case ISCSI_OP_LOGOUT_REQ:
		break;
	default:
		reject_send(c, bhs, ISCSI_REJECT_CMD_NOT_SUPPORTED);
		return;
	}
	/* Discovery: idle means no request of the initiator's own. */
	if (s->type == ISCSI_SESSION_DISCOVERY &&
	    !(op == ISCSI_OP_NOP_OUT &&
	      get_be32(bhs + 16) == ISCSI_RESERVED_TAG))
		loop_timer_arm(&c->login_timer, ISCSI_DISCOVERY_IDLE_MS);
	if (bhs[0] & ISCSI_OP_IMMEDIATE) {
		exec_pdu(c, bhs, c->rx.data, c->rx.dlen);
		return;
	}
	cmdsn = get_be32(bhs + 24);
	if (cmdsn == s->exp_cmdsn) {
		s->exp_cmdsn++;
		exec_pdu(c, bhs, c->rx.data, c->rx.dlen);
		drain_pending(c);
	} else if (sn_lt(s->exp_cmdsn, cmdsn) &&
		   sn_le(cmdsn, session_max_cmdsn(s))) {
		queue_pending(c, cmdsn, bhs, c->rx.data, c->rx.dlen);
	} else {
		/* RFC 7143 3.2.2.1: silently ignore out-of-window commands */
		log_dbg("%s: CmdSN %u outside [%u, %u], ignored", c->peer_str,
			cmdsn, s->exp_cmdsn, session_max_cmdsn(s));
	}
}

void conn_dispatch(struct iscsi_conn *c)
{
	if (c->state == CONN_LOGIN)
		conn_login_pdu(c);
	else if (c->state == CONN_FFP)
		ffp_pdu(c);
}
