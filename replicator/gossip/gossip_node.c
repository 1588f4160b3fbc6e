// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/tcp_listen.h"
#include "gossip_node.h"
#include "gossip_tls.h"

#define GN_MAX_PENDING	64
#define GN_ACCEPT_BURST 16 /* accepts per listener and wake-up */
#define GN_MAX_BACKOFF	32 /* rounds between dials of a silent node */

struct gn_addr {
	char host[64];
	uint16_t port;
	bool has_id;  /* id known (pin_id, or learned from a handshake) */
	bool has_pub; /* key known: a gossip peer the state machine picks */
	uint8_t id[SLT_ID_SIZE];
	uint32_t fails;
	uint64_t next_round; /* no dial before this round */
	bool busy;	     /* a conversation we dialled is open */
};

enum gn_phase { GN_HS, GN_WRITE, GN_READ };

struct gn_conn {
	struct gconn *c;
	bool client, authed;
	enum gn_phase phase;
	short events;
	uint64_t hs_deadline, deadline;
	char src[INET6_ADDRSTRLEN]; /* inbound: source address */
	int addr;		    /* outbound: index in addrs, else -1 */
	uint8_t *first;		    /* outbound: the round's HASH, or NULL */
	size_t first_len;
	uint8_t *out; /* frames of the turn being built or written */
	size_t out_len, out_cap, out_off;
	uint8_t hdr[4];
	size_t hdr_got;
	uint32_t msg_len;
	uint8_t *msg;
	size_t msg_got;
	unsigned got, turns;
};

struct gossip_node {
	struct gossip_node_cfg cfg;
	/* the caller's path may live on its stack: the node keeps its own */
	char *state_file;
	struct nodekey key;
	struct gossip *g;
	struct gtls *tls;
	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	int wake[2];
	bool stop;
	int lfd[GN_MAX_LISTEN];
	uint16_t lport[GN_MAX_LISTEN];
	unsigned nl;
	struct gn_conn **conns;
	unsigned nconns;
	struct gn_addr addrs[GN_MAX_ADDRS];
	unsigned naddrs, rr;
	struct gn_conn *cur; /* whose conversation the state machine feeds */
	struct {
		uint8_t to[SLT_ID_SIZE];
		uint8_t *msg;
		size_t len;
	} pend[GN_MAX_PENDING];
	unsigned npend;
	struct gossip_node_stats st;
	uint64_t next_round_ms;
	bool warned_busy;
};

void gossip_node_cfg_default(struct gossip_node_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	gossip_cfg_default(&cfg->gossip);
	cfg->interval_ms = 2000;
	cfg->max_conns = 32;
	cfg->max_per_source = 4;
	cfg->handshake_ms = 3000;
	cfg->conv_ms = 10000;
	cfg->dial_unknown = 2;
}

static void gn_log(struct gossip_node *n, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n->cfg.log)
		n->cfg.log(n->cfg.log_arg, buf);
	else
		fprintf(stderr, "gossip: %s\n", buf);
}

int gossip_parse_addr(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon = strrchr(s, ':'), *end;
	char *e;
	size_t len;

	*port = GOSSIP_DEFAULT_PORT;
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		len = (size_t)(end - s - 1);
		s++;
		colon = end[1] ? end + 1 : NULL;
	} else if (colon && strchr(s, ':') == colon) {
		len = (size_t)(colon - s);
	} else {
		len = strlen(s);
		colon = NULL; /* a bare IPv6 address or host */
	}
	if (!len || len >= hostlen)
		return -EINVAL;
	memcpy(host, s, len);
	host[len] = 0;
	if (colon) {
		long p = strtol(colon + 1, &e, 10);

		if (*e || e == colon + 1 || p < 0 || p > 65535)
			return -EINVAL;
		*port = (uint16_t)p;
	}
	return 0;
}

/* a numeric host:port into ss; 0 or -EINVAL */
static int gn_sockaddr(const char *host, uint16_t port,
		       struct sockaddr_storage *ss, socklen_t *sl)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*sl = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*sl = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

/* ---- the state machine's send(): into the conversation or a dial list */

static int out_reserve(struct gn_conn *c, size_t more)
{
	size_t cap = c->out_cap ? c->out_cap : 4096;
	uint8_t *b;

	if (c->out_len + more <= c->out_cap)
		return 0;
	if (c->out_len + more > GTLS_MAX_TURN + 4)
		return -ENOSPC;
	while (cap < c->out_len + more)
		cap *= 2;
	if (cap > GTLS_MAX_TURN + 4)
		cap = GTLS_MAX_TURN + 4;
	b = realloc(c->out, cap);
	if (!b)
		return -ENOMEM;
	c->out = b;
	c->out_cap = cap;
	return 0;
}

static void out_frame(struct gn_conn *c, const uint8_t *msg, size_t len)
{
	uint32_t l = htole32((uint32_t)len);

	if (out_reserve(c, 4 + len))
		return; /* a reply too large for one turn is dropped */
	memcpy(c->out + c->out_len, &l, 4);
	if (len)
		memcpy(c->out + c->out_len + 4, msg, len);
	c->out_len += 4 + len;
}

static void gn_send(void *ctx, const uint8_t to[SLT_ID_SIZE],
		    const uint8_t *msg, size_t len)
{
	struct gossip_node *n = ctx;

	if (n->cur) {
		/* replies go to the peer we talk to only */
		if (!memcmp(to, gconn_peer_id(n->cur->c), SLT_ID_SIZE))
			out_frame(n->cur, msg, len);
		return;
	}
	if (n->npend >= GN_MAX_PENDING)
		return;
	n->pend[n->npend].msg = malloc(len);
	if (!n->pend[n->npend].msg)
		return;
	memcpy(n->pend[n->npend].msg, msg, len);
	memcpy(n->pend[n->npend].to, to, SLT_ID_SIZE);
	n->pend[n->npend].len = len;
	n->npend++;
}

static uint64_t gn_now(void *ctx)
{
	return gtls_now_ms(ctx);
}

/* A forgery is worth a line naming the volume, the peer and both keys. */
static void gn_forged(void *ctx, const struct slt *t,
		      const uint8_t owner[SLT_ID_SIZE])
{
	struct gossip_node *n = ctx;
	char u[37], signer[2 * SLT_ID_SIZE + 1], own[2 * SLT_ID_SIZE + 1];

	slt_uuid_str(t->uuid, u);
	hex_encode(t->owner_id, SLT_ID_SIZE, signer);
	hex_encode(owner, SLT_ID_SIZE, own);
	gn_log(n,
	       "refused table of volume %s version %llu%s%s: signed by %s, "
	       "but the volume's owner is %s (forged)",
	       u, (unsigned long long)t->version, n->cur ? " from " : "",
	       n->cur ? gconn_name(n->cur->c) : "", signer, own);
}

/* ---- connections ---- */

static void conn_free(struct gossip_node *n, unsigned i, bool ok)
{
	struct gn_conn *c = n->conns[i];

	if (c->addr >= 0) {
		struct gn_addr *a = &n->addrs[c->addr];

		a->busy = false;
		if (ok) {
			a->fails = 0;
		} else {
			if (a->fails < 16)
				a->fails++;
			a->next_round =
				n->st.rounds + (a->fails > 5 ? GN_MAX_BACKOFF
							     : 1U << a->fails);
		}
	}
	n->st.conversations += ok;
	if (ok)
		gconn_close(c->c);
	else
		gconn_drop(c->c);
	free(c->first);
	free(c->out);
	free(c->msg);
	free(c);
	n->conns[i] = n->conns[--n->nconns];
	n->st.open_conns = n->nconns;
}

static int conn_add(struct gossip_node *n, struct gn_conn *c)
{
	uint64_t now = loop_now_ms();

	c->hs_deadline = now + n->cfg.handshake_ms;
	c->deadline = now + n->cfg.conv_ms;
	c->phase = GN_HS;
	n->conns[n->nconns++] = c;
	n->st.open_conns = n->nconns;
	if (n->nconns > n->st.max_open)
		n->st.max_open = n->nconns;
	return 0;
}

static struct gn_addr *addr_by_id(struct gossip_node *n, const uint8_t *id)
{
	for (unsigned i = 0; i < n->naddrs; i++)
		if (n->addrs[i].has_id &&
		    !memcmp(n->addrs[i].id, id, SLT_ID_SIZE))
			return &n->addrs[i];
	return NULL;
}

static void dial(struct gossip_node *n, unsigned ai, const uint8_t *first,
		 size_t first_len)
{
	struct gn_addr *a = &n->addrs[ai];
	struct sockaddr_storage ss;
	struct gn_conn *c;
	char name[80];
	socklen_t sl;
	int fd, one = 1;

	if (a->busy || n->nconns >= n->cfg.max_conns ||
	    gn_sockaddr(a->host, a->port, &ss, &sl))
		return;
	n->st.dialled++;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		goto fail;
	}
	snprintf(name, sizeof(name),
		 ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", a->host,
		 a->port);
	c = calloc(1, sizeof(*c));
	if (c)
		c->c = gtls_conn_new(n->tls, fd, true, a->has_id ? a->id : NULL,
				     name);
	if (!c || !c->c) {
		free(c);
		close(fd);
		goto fail;
	}
	c->client = true;
	c->addr = (int)ai;
	c->events = POLLOUT;
	if (first) {
		c->first = malloc(first_len);
		if (c->first) {
			memcpy(c->first, first, first_len);
			c->first_len = first_len;
		}
	}
	a->busy = true;
	conn_add(n, c);
	return;
fail:
	n->st.dial_failed++;
	if (a->fails < 16)
		a->fails++;
	a->next_round =
		n->st.rounds + (a->fails > 5 ? GN_MAX_BACKOFF : 1U << a->fails);
}

/* the peer proved its key: make sure the state machine knows it */
static int on_authed(struct gossip_node *n, struct gn_conn *c)
{
	const uint8_t *id = gconn_peer_id(c->c), *pub = gconn_peer_pub(c->c);
	struct gn_addr *a = c->addr >= 0 ? &n->addrs[c->addr] : NULL;
	int ret;

	if (a && !a->has_id) { /* a seed: now we know who it is */
		struct gn_addr *dup = addr_by_id(n, id);

		if (dup && dup != a && !dup->has_pub) {
			/* the same node under another address: keep this one */
			dup->has_id = false;
		}
		a->has_id = true;
		memcpy(a->id, id, SLT_ID_SIZE);
	}
	if (!a)
		a = addr_by_id(n, id);
	ret = gossip_pin(n->g, pub, a != NULL);
	if (ret && ret != -EEXIST) {
		gn_log(n, "%s: cannot gossip with it: %s", gconn_name(c->c),
		       strerror(-ret));
		return ret;
	}
	if (a)
		a->has_pub = true;
	c->authed = true;
	return 0;
}

/* starts writing the turn built in c->out (closing frame added) */
static void start_write(struct gn_conn *c)
{
	out_frame(c, NULL, 0);
	c->out_off = 0;
	c->phase = GN_WRITE;
}

/* one conversation step; 1 done, 0 waiting, -errno failed */
static int conn_step(struct gossip_node *n, struct gn_conn *c, char *err,
		     size_t errlen)
{
	for (;;) {
		ssize_t r;
		int ret;

		switch (c->phase) {
		case GN_HS:
			ret = gconn_handshake(c->c, &c->events, err, errlen);
			if (ret == -EAGAIN)
				return 0;
			if (ret) {
				n->st.handshake_failed++;
				return ret;
			}
			ret = on_authed(n, c);
			if (ret)
				return ret;
			if (!c->client) {
				c->phase = GN_READ;
				break;
			}
			if (c->first) {
				out_frame(c, c->first, c->first_len);
			} else {
				n->cur = c;
				gossip_contact(n->g, gconn_peer_id(c->c));
				n->cur = NULL;
			}
			start_write(c);
			break;
		case GN_WRITE:
			r = gconn_io(c->c, true, c->out + c->out_off,
				     c->out_len - c->out_off, &c->events);
			if (r == -EAGAIN)
				return 0;
			if (r < 0)
				return (int)r;
			c->out_off += (size_t)r;
			if (c->out_off < c->out_len)
				break;
			/* an empty turn (closing frame only) ends it */
			if (c->out_len == 4)
				return 1;
			c->out_len = 0;
			c->got = 0;
			c->phase = GN_READ;
			break;
		case GN_READ:
			if (c->hdr_got < 4) {
				r = gconn_io(c->c, false, c->hdr + c->hdr_got,
					     4 - c->hdr_got, &c->events);
				if (r == -EAGAIN)
					return 0;
				if (r < 0)
					return (int)r;
				c->hdr_got += (size_t)r;
				if (c->hdr_got < 4)
					break;
				memcpy(&c->msg_len, c->hdr, 4);
				c->msg_len = le32toh(c->msg_len);
				if (!c->msg_len) { /* end of the peer's turn */
					c->hdr_got = 0;
					if (!c->got)
						return 1;
					if (++c->turns > GTLS_MAX_TURNS) {
						snprintf(err, errlen,
							 "%s: too many turns",
							 gconn_name(c->c));
						return -EPROTO;
					}
					start_write(c);
					break;
				}
				if (c->msg_len > n->cfg.gossip.max_msg) {
					snprintf(err, errlen,
						 "%s: %u-byte message over the "
						 "%u limit",
						 gconn_name(c->c), c->msg_len,
						 n->cfg.gossip.max_msg);
					return -EMSGSIZE;
				}
				c->msg = malloc(c->msg_len);
				if (!c->msg)
					return -ENOMEM;
				c->msg_got = 0;
			}
			r = gconn_io(c->c, false, c->msg + c->msg_got,
				     c->msg_len - c->msg_got, &c->events);
			if (r == -EAGAIN)
				return 0;
			if (r < 0)
				return (int)r;
			c->msg_got += (size_t)r;
			if (c->msg_got < c->msg_len)
				break;
			n->cur = c;
			gossip_receive(n->g, gconn_peer_id(c->c), c->msg,
				       c->msg_len);
			n->cur = NULL;
			free(c->msg);
			c->msg = NULL;
			c->hdr_got = 0;
			c->got++;
			break;
		}
	}
}

static void conn_run(struct gossip_node *n, unsigned i)
{
	struct gn_conn *c = n->conns[i];
	char err[256] = "";
	int ret = conn_step(n, c, err, sizeof(err));

	if (!ret)
		return;
	if (ret < 0) {
		if (!err[0])
			snprintf(err, sizeof(err), "%s: %s", gconn_name(c->c),
				 ret == -EPIPE ? "closed by the peer"
					       : "connection lost or refused "
						 "by the peer (is our key "
						 "pinned there?)");
		gn_log(n, "%s%s",
		       c->authed || c->client ? "" : "refused: ", err);
	}
	conn_free(n, i, ret > 0);
}

static unsigned count_source(const struct gossip_node *n, const char *src)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n->nconns; i++)
		k += !n->conns[i]->client && !strcmp(n->conns[i]->src, src);
	return k;
}

static void do_accept(struct gossip_node *n, int lfd)
{
	for (int burst = 0; burst < GN_ACCEPT_BURST; burst++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char src[INET6_ADDRSTRLEN] = "?", name[80];
		struct gn_conn *c;
		uint16_t port = 0;
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &s4->sin_addr, src, sizeof(src));
			port = ntohs(s4->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, src, sizeof(src));
			port = ntohs(s6->sin6_port);
		}
		/* bounds first: a flood costs an accept and a close */
		if (n->nconns >= n->cfg.max_conns) {
			n->st.refused_busy++;
			if (!n->warned_busy)
				gn_log(n,
				       "busy: %u conversations, closing "
				       "new ones",
				       n->nconns);
			n->warned_busy = true;
			close(fd);
			continue;
		}
		if (count_source(n, src) >= n->cfg.max_per_source) {
			n->st.refused_source++;
			close(fd);
			continue;
		}
		snprintf(name, sizeof(name),
			 ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", src,
			 port);
		c = calloc(1, sizeof(*c));
		if (c)
			c->c = gtls_conn_new(n->tls, fd, false, NULL, name);
		if (!c || !c->c) {
			free(c);
			close(fd);
			continue;
		}
		snprintf(c->src, sizeof(c->src), "%s", src);
		c->addr = -1;
		c->events = POLLIN;
		n->st.accepted++;
		conn_add(n, c);
	}
}

static void save_state(struct gossip_node *n)
{
	int ret;

	if (!n->cfg.state_file || !gossip_dirty(n->g))
		return;
	ret = gossip_save(n->g, n->cfg.state_file);
	if (ret) {
		n->st.save_errors++;
		gn_log(n, "save %s: %s", n->cfg.state_file, strerror(-ret));
	} else {
		n->st.saves++;
	}
}

static void do_round(struct gossip_node *n)
{
	unsigned unknown = 0;

	gossip_tick(n->g);
	n->st.rounds++;
	n->warned_busy = false;
	for (unsigned i = 0; i < n->npend; i++) {
		struct gn_addr *a = addr_by_id(n, n->pend[i].to);

		if (a && a->next_round <= n->st.rounds)
			dial(n, (unsigned)(a - n->addrs), n->pend[i].msg,
			     n->pend[i].len);
		free(n->pend[i].msg);
	}
	n->npend = 0;
	/* nodes whose key we have not seen yet: a few per round, backing off */
	for (unsigned k = 0; k < n->naddrs && unknown < n->cfg.dial_unknown;
	     k++) {
		unsigned i = (n->rr + k) % n->naddrs;
		struct gn_addr *a = &n->addrs[i];

		if (a->has_pub || a->busy || a->next_round > n->st.rounds)
			continue;
		dial(n, i, NULL, 0);
		unknown++;
		n->rr = i + 1;
	}
	save_state(n);
}

static void expire(struct gossip_node *n, uint64_t now)
{
	for (unsigned i = 0; i < n->nconns;) {
		struct gn_conn *c = n->conns[i];

		if (now < c->deadline &&
		    (c->phase != GN_HS || now < c->hs_deadline)) {
			i++;
			continue;
		}
		n->st.timeouts++;
		gn_log(n, "%s: %s timed out", gconn_name(c->c),
		       c->phase == GN_HS ? "TLS handshake" : "conversation");
		conn_free(n, i, false);
	}
}

static void *gn_thread(void *arg)
{
	struct gossip_node *n = arg;
	struct pollfd *p;
	unsigned cap = 1 + GN_MAX_LISTEN + n->cfg.max_conns;
	struct gn_conn **snap;

	p = calloc(cap, sizeof(*p));
	snap = calloc(n->cfg.max_conns, sizeof(*snap));
	if (!p || !snap) {
		gn_log(n, "no memory for the gossip thread");
		free(p);
		free(snap);
		return NULL;
	}
	pthread_mutex_lock(&n->mu);
	n->next_round_ms = loop_now_ms();
	while (!n->stop) {
		uint64_t now = loop_now_ms(), wake = n->next_round_ms;
		unsigned np = 0, nc;
		int timeout;

		if (now >= n->next_round_ms) {
			do_round(n);
			n->next_round_ms = now + n->cfg.interval_ms;
			wake = n->next_round_ms;
		}
		p[np++] = (struct pollfd){.fd = n->wake[0], .events = POLLIN};
		for (unsigned i = 0; i < n->nl; i++)
			p[np++] = (struct pollfd){.fd = n->lfd[i],
						  .events = POLLIN};
		nc = n->nconns;
		for (unsigned i = 0; i < nc; i++) {
			struct gn_conn *c = n->conns[i];
			uint64_t d = c->phase == GN_HS && c->hs_deadline <
								  c->deadline
					     ? c->hs_deadline
					     : c->deadline;

			snap[i] = c;
			p[np++] = (struct pollfd){.fd = gconn_fd(c->c),
						  .events = c->events};
			if (d < wake)
				wake = d;
		}
		timeout = wake > now ? (int)(wake - now) : 0;
		pthread_mutex_unlock(&n->mu);
		poll(p, np, timeout);
		pthread_mutex_lock(&n->mu);
		if (p[0].revents) {
			char b[64];

			while (read(n->wake[0], b, sizeof(b)) > 0)
				;
		}
		/* conversations first: they were polled, new ones were not */
		for (unsigned i = 0; i < nc; i++) {
			if (!p[1 + n->nl + i].revents)
				continue;
			for (unsigned j = 0; j < n->nconns; j++)
				if (n->conns[j] == snap[i]) {
					conn_run(n, j);
					break;
				}
		}
		for (unsigned i = 0; i < n->nl; i++)
			if (p[1 + i].revents)
				do_accept(n, n->lfd[i]);
		expire(n, loop_now_ms());
	}
	while (n->nconns)
		conn_free(n, 0, false);
	save_state(n);
	pthread_mutex_unlock(&n->mu);
	free(p);
	free(snap);
	return NULL;
}

static int listen_on(struct gossip_node *n, const char *addr, char *err,
		     size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[64];
	uint16_t port;
	int fd, ret;

	if (gossip_parse_addr(addr, host, sizeof(host), &port) ||
	    gn_sockaddr(host, port, &ss, &sl)) {
		snprintf(err, errlen, "listen %s: not a numeric ADDR:PORT",
			 addr);
		return -EINVAL;
	}
	fd = tcp_listen(&ss, sl, true, 64);
	if (fd < 0) {
		ret = fd;
		goto fail;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		ret = -errno;
		goto fail;
	}
	n->lport[n->nl] =
		ntohs(ss.ss_family == AF_INET6
			      ? ((struct sockaddr_in6 *)&ss)->sin6_port
			      : ((struct sockaddr_in *)&ss)->sin_port);
	n->lfd[n->nl++] = fd;
	return 0;
fail:
	snprintf(err, errlen, "listen %s: %s", addr, strerror(-ret));
	if (fd >= 0)
		close(fd);
	return ret;
}

static void gn_free(struct gossip_node *n)
{
	for (unsigned i = 0; i < n->nl; i++)
		close(n->lfd[i]);
	for (unsigned i = 0; i < n->npend; i++)
		free(n->pend[i].msg);
	if (n->wake[0] >= 0) {
		close(n->wake[0]);
		close(n->wake[1]);
	}
	gtls_free(n->tls);
	gossip_free(n->g);
	nodekey_free(&n->key);
	free(n->conns);
	free(n->state_file);
	pthread_mutex_destroy(&n->mu);
	free(n);
}

int gossip_node_start(const struct gossip_node_cfg *cfg,
		      struct gossip_node **out, char *err, size_t errlen)
{
	struct gossip_node *n = calloc(1, sizeof(*n));
	struct gossip_io io = {
		.send = gn_send, .now_ms = gn_now, .forged = gn_forged};
	sigset_t all, old;
	uint8_t priv[32];
	uint64_t seed;
	int ret;

	if (!n)
		return -ENOMEM;
	n->wake[0] = n->wake[1] = -1;
	pthread_mutex_init(&n->mu, NULL);
	n->cfg = *cfg;
	if (cfg->state_file) {
		n->state_file = strdup(cfg->state_file);
		if (!n->state_file) {
			gn_free(n);
			return -ENOMEM;
		}
		n->cfg.state_file = n->state_file;
	}
	if (!cfg->key || !cfg->max_conns || !cfg->max_per_source ||
	    !cfg->interval_ms || !cfg->handshake_ms || !cfg->conv_ms ||
	    cfg->nlisten > GN_MAX_LISTEN) {
		snprintf(err, errlen, "gossip node: bad configuration");
		gn_free(n);
		return -EINVAL;
	}
	ret = nodekey_private(cfg->key, priv);
	if (!ret)
		ret = nodekey_from_private(&n->key, priv);
	memset(priv, 0, sizeof(priv));
	if (ret) {
		snprintf(err, errlen, "gossip node: node key: %s",
			 strerror(-ret));
		gn_free(n);
		return ret;
	}
	io.ctx = n;
	memcpy(&seed, n->key.id, sizeof(seed));
	seed = cfg->seed ? cfg->seed : seed ^ (uint64_t)getpid();
	n->g = gossip_new(&cfg->gossip, &io, n->key.id, seed);
	n->tls = gtls_new(&n->key, err, errlen);
	n->conns = calloc(cfg->max_conns, sizeof(*n->conns));
	if (!n->g || !n->tls || !n->conns ||
	    pipe2(n->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		if (!n->tls)
			; /* err already says why */
		else
			snprintf(err, errlen, "gossip node: %s",
				 n->g ? strerror(errno)
				      : "bad gossip bounds or no memory");
		gn_free(n);
		return -ENOMEM;
	}
	/* our own tables carry our key: pinned_only must accept them */
	gossip_pin(n->g, n->key.pub, false);
	if (cfg->state_file) {
		ret = gossip_load(n->g, cfg->state_file);
		if (ret && ret != -ENOENT)
			gn_log(n, "state %s: %s (starting empty)",
			       cfg->state_file, strerror(-ret));
	}
	for (unsigned i = 0; i < cfg->nlisten; i++) {
		ret = listen_on(n, cfg->listen[i], err, errlen);
		if (ret) {
			gn_free(n);
			return ret;
		}
	}
	/* the daemon's signals are its main loop's (signalfd): the thread
	 * starts with all of them blocked, or a SIGTERM landing on it would
	 * kill the process instead of stopping it cleanly */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = pthread_create(&n->th, NULL, gn_thread, n);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		snprintf(err, errlen, "gossip thread: %s", strerror(ret));
		gn_free(n);
		return -ret;
	}
	n->started = true;
	*out = n;
	return 0;
}

static void gn_wake(struct gossip_node *n)
{
	char c = 1;

	if (write(n->wake[1], &c, 1) < 0) {
		/* the pipe is full: the thread wakes anyway */
	}
}

void gossip_node_stop(struct gossip_node *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	n->stop = true;
	pthread_mutex_unlock(&n->mu);
	gn_wake(n);
	if (n->started)
		pthread_join(n->th, NULL);
	gn_free(n);
}

/* finds or adds the address entry of a node; NULL when full or bad */
static struct gn_addr *addr_set(struct gossip_node *n, const uint8_t *id,
				const char *addr, int *ret)
{
	struct gn_addr *a = id ? addr_by_id(n, id) : NULL;
	char host[64];
	uint16_t port;

	*ret = 0;
	if (gossip_parse_addr(addr, host, sizeof(host), &port)) {
		*ret = -EINVAL;
		return NULL;
	}
	if (!a) {
		for (unsigned i = 0; i < n->naddrs && !id; i++)
			if (!strcmp(n->addrs[i].host, host) &&
			    n->addrs[i].port == port) {
				*ret = -EEXIST;
				return &n->addrs[i];
			}
		if (n->naddrs >= GN_MAX_ADDRS) {
			*ret = -ENOSPC;
			return NULL;
		}
		a = &n->addrs[n->naddrs++];
		memset(a, 0, sizeof(*a));
		if (id) {
			a->has_id = true;
			memcpy(a->id, id, SLT_ID_SIZE);
		}
	} else {
		*ret = -EEXIST;
	}
	snprintf(a->host, sizeof(a->host), "%s", host);
	a->port = port;
	a->next_round = 0;
	return a;
}

int gossip_node_pin(struct gossip_node *n, const uint8_t pub[SLT_PUB_SIZE],
		    const char *addr)
{
	uint8_t id[SLT_ID_SIZE];
	struct gn_addr *a = NULL;
	int ret = 0, r;

	nodekey_id_of(pub, id);
	pthread_mutex_lock(&n->mu);
	if (addr) {
		a = addr_set(n, id, addr, &ret);
		if (!a)
			goto out;
	}
	r = gossip_pin(n->g, pub, addr != NULL);
	if (r && r != -EEXIST) {
		ret = r;
		goto out;
	}
	if (a)
		a->has_pub = true;
	r = gtls_pin(n->tls, pub);
	if (r == -EEXIST && !ret)
		ret = r;
	else if (r && r != -EEXIST)
		ret = r;
out:
	pthread_mutex_unlock(&n->mu);
	gn_wake(n);
	return ret;
}

int gossip_node_pin_id(struct gossip_node *n, const uint8_t id[SLT_ID_SIZE],
		       const char *addr)
{
	int ret = 0, r;

	pthread_mutex_lock(&n->mu);
	if (addr && !addr_set(n, id, addr, &ret))
		goto out;
	r = gtls_pin_id(n->tls, id);
	if (r && r != -EEXIST)
		ret = r;
out:
	pthread_mutex_unlock(&n->mu);
	gn_wake(n);
	return ret;
}

int gossip_node_add_seed(struct gossip_node *n, const char *addr)
{
	int ret;

	pthread_mutex_lock(&n->mu);
	addr_set(n, NULL, addr, &ret);
	pthread_mutex_unlock(&n->mu);
	gn_wake(n);
	return ret;
}

int gossip_node_pin_volume(struct gossip_node *n,
			   const uint8_t uuid[SLT_UUID_SIZE],
			   const uint8_t owner_id[SLT_ID_SIZE])
{
	int ret;

	pthread_mutex_lock(&n->mu);
	ret = gossip_pin_volume(n->g, uuid, owner_id);
	pthread_mutex_unlock(&n->mu);
	return ret;
}

enum gossip_verdict gossip_node_publish(struct gossip_node *n,
					const uint8_t *tbl, size_t len)
{
	enum gossip_verdict v;

	pthread_mutex_lock(&n->mu);
	v = gossip_offer(n->g, tbl, len);
	pthread_mutex_unlock(&n->mu);
	return v;
}

uint64_t gossip_node_version_of(struct gossip_node *n,
				const uint8_t uuid[SLT_UUID_SIZE])
{
	uint64_t v;

	pthread_mutex_lock(&n->mu);
	v = gossip_version_of(n->g, uuid);
	pthread_mutex_unlock(&n->mu);
	return v;
}

void gossip_node_each(struct gossip_node *n,
		      void (*fn)(void *arg, const uint8_t *tbl, size_t len),
		      void *arg)
{
	pthread_mutex_lock(&n->mu);
	for (size_t i = 0; i < gossip_count(n->g); i++) {
		size_t len;
		const uint8_t *t = gossip_table(n->g, i, &len);

		fn(arg, t, len);
	}
	pthread_mutex_unlock(&n->mu);
}

void gossip_node_stats(struct gossip_node *n, struct gossip_node_stats *st,
		       struct gossip_stats *gst)
{
	pthread_mutex_lock(&n->mu);
	if (st)
		*st = n->st;
	if (gst)
		*gst = *gossip_stats(n->g);
	pthread_mutex_unlock(&n->mu);
}

uint16_t gossip_node_port(const struct gossip_node *n, unsigned i)
{
	return i < n->nl ? n->lport[i] : 0;
}
