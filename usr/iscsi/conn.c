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

#define RXBUF_SIZE (64 * 1024)
#define TX_IOV_MAX 64
#define RX_BATCH   16
/* Reads smaller than this go through the staging buffer anyway. */
#define DIRECT_MIN 2048

static LIST_HEAD(conns);
static LIST_HEAD(zombies); /* closed, waiting for the SCSI layer or free */
static int nr_conns;

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

static void update_events(struct iscsi_conn *c)
{
	uint32_t ev = 0;

	if (c->state == CONN_CLOSED)
		return;
	if (!c->rx_paused && (c->state == CONN_LOGIN || c->state == CONN_FFP))
		ev |= EPOLLIN;
	if (c->want_out)
		ev |= EPOLLOUT;
	if (loop_mod_fd(&c->lfd, ev) < 0)
		log_warn("%s: epoll_ctl: %s", c->peer_str, strerror(errno));
}

static void free_cb(struct loop_defer *d)
{
	struct iscsi_conn *c = container_of(d, struct iscsi_conn, free_defer);

	list_del(&c->node);
	pdu_rx_free(&c->rx);
	free(c->rxbuf);
	if (c->login_started)
		login_free(&c->login);
	strbuf_free(&c->text_in);
	strbuf_free(&c->text_out);
	if (c->sess)
		session_put(c->sess);
	free(c);
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

void conn_close(struct iscsi_conn *c, const char *why)
{
	struct iscsi_session *s = c->sess;

	if (c->state == CONN_CLOSED)
		return;
	log_info("%s: connection closed: %s", c->peer_str, why);
	c->state = CONN_CLOSED;
	loop_del_fd(&c->lfd);
	close(c->lfd.fd);
	c->lfd.fd = -1;
	loop_timer_cancel(&c->nop_timer);
	loop_timer_cancel(&c->login_timer);
	loop_defer_cancel(&c->flush_defer);
	while (!list_empty(&c->txq)) {
		struct pdu_tx *t =
			list_first_entry(&c->txq, struct pdu_tx, node);

		list_del(&t->node);
		pdu_tx_free(t);
	}
	c->tx_bytes = 0;
	task_abort_all(c);
	list_del(&c->node);
	list_add_tail(&c->node, &zombies);
	nr_conns--;
	if (s && s->conn == c) {
		s->conn = NULL;
		if (!s->reinstating)
			session_close(s);
	}
	conn_maybe_free(c);
}

void conn_fail(struct iscsi_conn *c)
{
	/* Answer what we can, then close: input after this is not trusted. */
	if (c->state == CONN_CLOSED)
		return;
	c->state = CONN_LOGOUT;
	c->close_after_tx = true;
	loop_defer_queue(&c->flush_defer);
	update_events(c);
}

static void flush(struct iscsi_conn *c)
{
	struct iovec iov[TX_IOV_MAX];

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
				return;
			}
			conn_close(c, strerror(errno));
			return;
		}
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
			pdu_tx_free(t);
		}
	}
	if (c->want_out) {
		c->want_out = false;
		update_events(c);
	}
	if (c->rx_paused && c->tx_bytes < ISCSI_TX_HIGH_WATER / 2) {
		c->rx_paused = false;
		update_events(c);
	}
	if (c->close_after_tx)
		conn_close(c,
			   c->state == CONN_LOGOUT ? "logged out" : "closing");
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
	loop_defer_queue(&c->flush_defer);
	if (!c->rx_paused && c->tx_bytes > ISCSI_TX_HIGH_WATER) {
		c->rx_paused = true;
		update_events(c);
	}
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
		if ((size_t)r < want)
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
		free(p->data);
		free(p);
	}
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
