// SPDX-License-Identifier: GPL-2.0-or-later
#include "http_min.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "list.h"
#include "log.h"
#include "loop.h"
#include "strbuf.h"
#include "tcp_drop.h"

enum hstate { H_READ, H_WRITE, H_DRAIN };

struct hconn {
	struct list_head node; /* in conns, oldest first */
	struct loop_fd lfd;
	struct loop_timer deadline;
	struct loop_defer free_defer;
	enum hstate st;
	size_t req_len;
	struct strbuf out;
	size_t out_off;
	size_t discarded;
	char req[HTTP_MAX_REQ + 1];
};

static struct loop_fd listener = {.fd = -1};
static http_handler handler;
static LIST_HEAD(conns);
static unsigned nr_conns;
static struct http_stats stats;

const struct http_stats *http_min_stats(void)
{
	return &stats;
}

unsigned http_min_nr_conns(void)
{
	return nr_conns;
}

static void free_conn(struct loop_defer *d)
{
	struct hconn *c = container_of(d, struct hconn, free_defer);

	strbuf_free(&c->out);
	free(c);
}

/*
 * Safe from the connection's own callbacks: the memory goes later. Only
 * the close after the client's own close (drain) is orderly; every other
 * close drops the client (tcp_drop.h: a reset if it has not taken our
 * bytes, so a client that does not read cannot leave them queued).
 */
static void close_how(struct hconn *c, bool orderly)
{
	loop_del_fd(&c->lfd);
	if (orderly)
		close(c->lfd.fd);
	else
		tcp_drop(c->lfd.fd);
	c->lfd.fd = -1;
	loop_timer_cancel(&c->deadline);
	list_del(&c->node);
	nr_conns--;
	loop_defer_init(&c->free_defer, free_conn);
	loop_defer_queue(&c->free_defer);
}

static void close_conn(struct hconn *c)
{
	close_how(c, false);
}

static void on_deadline(struct loop_timer *t)
{
	struct hconn *c = container_of(t, struct hconn, deadline);

	stats.timeouts++;
	close_conn(c);
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Internal Server Error";
	}
}

static void send_more(struct hconn *c);

static void respond(struct hconn *c, int status, const char *ctype,
		    const struct strbuf *body, bool head)
{
	size_t blen = body ? body->len : 0;

	stats.requests++;
	strbuf_addf(&c->out,
		    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n%s\r\n",
		    status, reason(status), ctype, blen,
		    status == 405   ? "Allow: GET, HEAD\r\n"
		    : status == 503 ? "Retry-After: 1\r\n"
				    : "");
	if (blen && !head)
		strbuf_add(&c->out, body->buf, blen);
	if (c->out.oom) {
		close_conn(c);
		return;
	}
	c->st = H_WRITE;
	send_more(c);
}

static void respond_error(struct hconn *c, int status)
{
	struct strbuf body = STRBUF_INIT;

	strbuf_addf(&body, "%d %s\n", status, reason(status));
	respond(c, status, "text/plain; charset=utf-8", &body, false);
	strbuf_free(&body);
}

static bool is_token_char(char ch)
{
	return ch > 0x20 && ch < 0x7f;
}

/* The request line is "METHOD SP TARGET SP HTTP/1.x", nothing else. */
static void handle_request(struct hconn *c)
{
	char *line = c->req, *sp1, *sp2, *eol, *q;
	struct strbuf body = STRBUF_INIT;
	const char *ctype = "text/plain; charset=utf-8";
	bool head;
	int status;

	eol = strpbrk(line, "\r\n");
	if (!eol) {
		stats.bad++;
		respond_error(c, 400);
		return;
	}
	*eol = 0;
	sp1 = strchr(line, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strchr(sp2 + 1, ' ')) {
		stats.bad++;
		respond_error(c, 400);
		return;
	}
	*sp1 = 0;
	*sp2 = 0;
	for (char *p = sp1 + 1; *p; p++) {
		if (!is_token_char(*p)) {
			stats.bad++;
			respond_error(c, 400);
			return;
		}
	}
	if (strcmp(sp2 + 1, "HTTP/1.1") && strcmp(sp2 + 1, "HTTP/1.0")) {
		stats.bad++;
		respond_error(c, strncmp(sp2 + 1, "HTTP/", 5) ? 400 : 505);
		return;
	}
	head = !strcmp(line, "HEAD");
	if (!head && strcmp(line, "GET")) {
		stats.bad++;
		respond_error(c, 405);
		return;
	}
	q = strchr(sp1 + 1, '?');
	if (q)
		*q = 0;
	status = handler(sp1 + 1, &body, &ctype);
	respond(c, status, ctype, &body, head);
	strbuf_free(&body);
}

static bool have_headers(const struct hconn *c)
{
	/* bare LF line ends are accepted too, as many clients send them */
	return strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n");
}

static void read_request(struct hconn *c)
{
	for (;;) {
		ssize_t n = read(c->lfd.fd, c->req + c->req_len,
				 HTTP_MAX_REQ - c->req_len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				close_conn(c);
			return;
		}
		if (n == 0) {
			close_conn(c);
			return;
		}
		/* a NUL would hide the rest from the string functions */
		if (memchr(c->req + c->req_len, 0, (size_t)n)) {
			stats.bad++;
			c->req_len = 0;
			c->req[0] = 0;
			respond_error(c, 400);
			return;
		}
		c->req_len += (size_t)n;
		c->req[c->req_len] = 0;
		if (have_headers(c)) {
			handle_request(c);
			return;
		}
		if (c->req_len == HTTP_MAX_REQ) {
			stats.too_large++;
			respond_error(c, 431);
			return;
		}
	}
}

static void drain(struct hconn *c)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(c->lfd.fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		c->discarded += n > 0 ? (size_t)n : 0;
		if (n <= 0 || c->discarded > HTTP_MAX_DISCARD) {
			close_how(c, n == 0);
			return;
		}
	}
}

static void send_more(struct hconn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->lfd.fd, c->out.buf + c->out_off,
				 c->out.len - c->out_off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				loop_mod_fd(&c->lfd, EPOLLOUT);
				return;
			}
			close_conn(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	/*
	 * All sent: half-close and wait for the client's close, so unread
	 * request bytes do not turn our close into a reset that could
	 * destroy the answer in flight.
	 */
	shutdown(c->lfd.fd, SHUT_WR);
	strbuf_free(&c->out);
	c->st = H_DRAIN;
	loop_mod_fd(&c->lfd, EPOLLIN | EPOLLRDHUP);
	drain(c);
}

static void on_conn(struct loop_fd *lfd, uint32_t events)
{
	struct hconn *c = container_of(lfd, struct hconn, lfd);

	if (events & EPOLLERR) {
		close_conn(c);
		return;
	}
	switch (c->st) {
	case H_READ:
		read_request(c);
		break;
	case H_WRITE:
		send_more(c);
		break;
	case H_DRAIN:
		drain(c);
		break;
	}
}

static void add_conn(int fd)
{
	struct hconn *c;

	if (nr_conns >= HTTP_MAX_CONNS) {
		/*
		 * The oldest still sending its request is the likeliest to be
		 * stalled on purpose; else the oldest of all.
		 */
		struct hconn *old =
			list_first_entry(&conns, struct hconn, node);
		struct hconn *pos;

		list_for_each_entry (pos, &conns, node) {
			if (pos->st == H_READ) {
				old = pos;
				break;
			}
		}
		stats.evicted++;
		close_conn(old);
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	if (loop_add_fd(&c->lfd, fd, EPOLLIN | EPOLLRDHUP, on_conn)) {
		close(fd);
		free(c);
		return;
	}
	stats.accepted++;
	loop_timer_init(&c->deadline, on_deadline);
	loop_timer_arm(&c->deadline, HTTP_DEADLINE_MS);
	list_add_tail(&c->node, &conns);
	nr_conns++;
}

static void on_accept(struct loop_fd *lfd, uint32_t events)
{
	/* bounded per wake-up so a connect flood cannot starve iSCSI */
	for (int i = 0; i < 32; i++) {
		int fd = accept4(lfd->fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("metrics: accept: %s",
					 strerror(errno));
			return;
		}
		add_conn(fd);
	}
}

int http_min_start(const struct sockaddr *sa, socklen_t len, http_handler h,
		   char *err, size_t errlen)
{
	int fd, one = 1, ret;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-ret));
		return ret;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, sa, len) < 0 || listen(fd, 64) < 0) {
		ret = -errno;
		snprintf(err, errlen, "bind/listen: %s", strerror(-ret));
		close(fd);
		return ret;
	}
	ret = loop_add_fd(&listener, fd, EPOLLIN, on_accept);
	if (ret) {
		snprintf(err, errlen, "event loop: %s", strerror(-ret));
		close(fd);
		listener.fd = -1;
		return ret;
	}
	handler = h;
	return 0;
}

void http_min_stop(void)
{
	/* the loop may not turn again: free at once, not deferred */
	while (!list_empty(&conns)) {
		struct hconn *c = list_first_entry(&conns, struct hconn, node);

		close_conn(c);
		loop_defer_cancel(&c->free_defer);
		free_conn(&c->free_defer);
	}
	if (listener.fd >= 0) {
		loop_del_fd(&listener);
		close(listener.fd);
		listener.fd = -1;
	}
}
