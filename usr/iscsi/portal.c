// SPDX-License-Identifier: GPL-2.0-or-later
/* Listening sockets (portals) and accepting connections on them. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/strbuf.h"
#include "core/tcp_listen.h"
#include "conn.h"
#include "iscsi.h"
#include "limits.h"
#include "portal.h"

/* Out of descriptors: stop accepting this long, then try again. */
#define ACCEPT_BACKOFF_MS 250
/* A refusal is logged at most once per interval, with a count. */
#define REFUSE_LOG_MS 10000

struct portal {
	struct list_head node;
	struct loop_fd lfd;
	struct sockaddr_storage want; /* as configured (port may be 0) */
	socklen_t want_len;
	struct loop_timer backoff;
};

static LIST_HEAD(portals);

struct refusal {
	const char *what;
	uint64_t last_ms;
	unsigned suppressed;
};

static struct refusal refuse_fds = {
	.what = "out of descriptors, accepting paused"};
static struct refusal refuse_total = {
	.what = "connection limit reached, refusing"};
static struct refusal refuse_source = {
	.what = "connection share of one source reached, refusing"};

static void refused(struct refusal *r, const char *peer)
{
	uint64_t now = loop_now_ms();

	if (r->last_ms && now - r->last_ms < REFUSE_LOG_MS) {
		r->suppressed++;
		return;
	}
	if (r->suppressed)
		log_warn("%s (%s; %u more since the last report)", r->what,
			 peer, r->suppressed);
	else
		log_warn("%s (%s)", r->what, peer);
	r->last_ms = now;
	r->suppressed = 0;
}

static void backoff_done(struct loop_timer *t)
{
	struct portal *p = container_of(t, struct portal, backoff);

	loop_mod_fd(&p->lfd, EPOLLIN);
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (!*s)
		return -EINVAL;
	v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* "ADDR", "ADDR:PORT", "[V6]:PORT", "[V6]", ":PORT" (any, both families) */
static int parse_spec(const char *spec, struct sockaddr_storage *ss,
		      socklen_t *len, bool *dual)
{
	char host[INET6_ADDRSTRLEN + 1] = "";
	const char *port_s = NULL, *colon;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	uint16_t port = ISCSI_DEFAULT_PORT;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	*dual = false;
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (!rb)
			return -EINVAL;
		hl = (size_t)(rb - spec - 1);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec + 1, hl);
		host[hl] = 0;
		if (rb[1] == ':')
			port_s = rb + 2;
		else if (rb[1])
			return -EINVAL;
	} else if (spec[0] == ':' && spec[1] != ':') {
		*dual = true;
		port_s = spec + 1;
	} else {
		colon = strrchr(spec, ':');
		if (colon && colon == strchr(spec, ':')) {
			hl = (size_t)(colon - spec);
			port_s = colon + 1;
		} else {
			hl = strlen(spec);
		}
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec, hl);
		host[hl] = 0;
	}
	if (port_s && parse_port(port_s, &port))
		return -EINVAL;
	if (*dual) {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

static void on_accept(struct loop_fd *lfd, uint32_t events)
{
	struct portal *p = container_of(lfd, struct portal, lfd);
	int i;

	for (i = 0; i < 64; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		char who[INET6_ADDRSTRLEN + 8];
		int fd = accept4(lfd->fd, (struct sockaddr *)&peer, &plen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* The listener stays readable: polling it
				 * now would spin. Come back later. */
				refused(&refuse_fds, strerror(errno));
				loop_mod_fd(lfd, 0);
				loop_timer_arm(&p->backoff, ACCEPT_BACKOFF_MS);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
				   errno != EINTR && errno != ECONNABORTED) {
				log_warn("accept: %s", strerror(errno));
			}
			return;
		}
		if (conn_count() >= (int)iscsi_limits.max_conns) {
			portal_addr_str(&peer, who, sizeof(who), false);
			refused(&refuse_total, who);
			close(fd);
			continue;
		}
		/*
		 * One address (or subnet) must not lock the others out: once
		 * half the slots are taken, no source gets more than its
		 * share, so the other half is always there for the others.
		 */
		if (conn_count() >= (int)iscsi_limits.max_conns / 2 &&
		    conn_count_source(&peer) >= (int)iscsi_source_max()) {
			portal_addr_str(&peer, who, sizeof(who), false);
			refused(&refuse_source, who);
			close(fd);
			continue;
		}
		if (!conn_create(fd, (struct sockaddr *)&peer, plen))
			close(fd);
	}
}

static bool same_addr(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return !memcmp(a, b, sizeof(struct sockaddr_in));
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, 16) &&
	       ((const struct sockaddr_in6 *)a)->sin6_port ==
		       ((const struct sockaddr_in6 *)b)->sin6_port;
}

int iscsi_portal_add(const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct portal *p;
	socklen_t len;
	bool dual;
	int ret;

	if (parse_spec(spec, &ss, &len, &dual)) {
		snprintf(err, errlen, "bad portal '%s' (ADDR[:PORT])", spec);
		return -EINVAL;
	}
	list_for_each_entry (p, &portals, node) {
		if (same_addr(&p->want, &ss) &&
		    ((struct sockaddr_in *)&ss)->sin_port) {
			snprintf(err, errlen, "portal %s exists", spec);
			return -EEXIST;
		}
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		ret = -ENOMEM;
		goto fail;
	}
	p->want = ss;
	p->want_len = len;
	loop_timer_init(&p->backoff, backoff_done);
	/* Explicit [::] leaves 0.0.0.0 to its own portal. */
	ret = portal_listen(&ss, len, !dual, &p->lfd, on_accept);
	if (ret) {
		free(p);
		goto fail;
	}
	list_add_tail(&p->node, &portals);
	log_info("listening on %s", spec);
	return 0;
fail:
	snprintf(err, errlen, "portal %s: %s", spec, strerror(-ret));
	return ret;
}

int portal_listen(const struct sockaddr_storage *ss, socklen_t len, bool v6only,
		  struct loop_fd *lfd, loop_fd_cb cb)
{
	int fd = tcp_listen(ss, len, v6only, 128), ret;

	if (fd < 0)
		return fd;
	ret = loop_add_fd(lfd, fd, EPOLLIN, cb);
	if (ret)
		close(fd);
	return ret;
}

static void portal_free(struct portal *p)
{
	loop_timer_cancel(&p->backoff);
	loop_del_fd(&p->lfd);
	close(p->lfd.fd);
	list_del(&p->node);
	free(p);
}

int iscsi_portal_del(const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct portal *p;
	socklen_t len;
	bool dual;

	if (parse_spec(spec, &ss, &len, &dual)) {
		snprintf(err, errlen, "bad portal '%s' (ADDR[:PORT])", spec);
		return -EINVAL;
	}
	list_for_each_entry (p, &portals, node) {
		struct sockaddr_storage bound;
		socklen_t bl = sizeof(bound);

		if (getsockname(p->lfd.fd, (struct sockaddr *)&bound, &bl) < 0)
			bound = p->want;
		if (same_addr(&p->want, &ss) || same_addr(&bound, &ss)) {
			portal_free(p);
			return 0;
		}
	}
	snprintf(err, errlen, "no portal %s", spec);
	return -ENOENT;
}

void portal_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len,
		     bool with_port)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		if (with_port)
			snprintf(buf, len, "%s:%u", host, ntohs(a->sin_port));
		else
			snprintf(buf, len, "%s", host);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) && !with_port)
			inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], host,
				  sizeof(host));
		if (with_port)
			snprintf(buf, len, "[%s]:%u", host,
				 ntohs(a->sin6_port));
		else
			snprintf(buf, len, "%s", host);
	} else {
		snprintf(buf, len, "?");
	}
}

void iscsi_portal_show(struct strbuf *out)
{
	struct portal *p;

	list_for_each_entry (p, &portals, node) {
		struct sockaddr_storage bound;
		socklen_t bl = sizeof(bound);
		char a[INET6_ADDRSTRLEN + 16];

		if (getsockname(p->lfd.fd, (struct sockaddr *)&bound, &bl) < 0)
			bound = p->want;
		portal_addr_str(&bound, a, sizeof(a), true);
		strbuf_addf(out, "Portal: %s,%d\n", a, ISCSI_TPGT);
	}
	iscsi_tls_show(out);
}

void portal_close_all(void)
{
	while (!list_empty(&portals))
		portal_free(list_first_entry(&portals, struct portal, node));
}

int iscsi_addr_parse(const char *spec, struct sockaddr_storage *ss,
		     socklen_t *len)
{
	bool dual;

	return parse_spec(spec, ss, len, &dual);
}
