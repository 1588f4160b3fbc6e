// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Control socket listener: one nonblocking connection per request, all on
 * the event loop. A client is only trusted to be root (mode 0600 socket);
 * its bytes are still parsed defensively because a buggy tool must never
 * take the daemon and its sessions down.
 */
#include "mgmt_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/strbuf.h"
#include "mgmt_priv.h"
#include "mgmt_proto.h"

/* More simultaneous clients than any admin script needs. */
#define MGMT_MAX_CONNS 32

struct mgmt_conn {
	struct list_head node;
	struct loop_fd lfd;
	struct loop_timer timer;
	struct loop_defer release;
	char *in;
	size_t in_len;
	struct strbuf out;
	size_t out_off;
	bool closing;
};

static struct {
	bool running;
	struct loop_fd lfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct list_head conns;
	int nr_conns;
} srv = {.lfd = {.fd = -1}};

static void conn_release(struct loop_defer *d)
{
	struct mgmt_conn *c = container_of(d, struct mgmt_conn, release);

	free(c->in);
	strbuf_free(&c->out);
	free(c);
}

static void conn_close(struct mgmt_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	loop_timer_cancel(&c->timer);
	loop_del_fd(&c->lfd);
	close(c->lfd.fd);
	c->lfd.fd = -1;
	list_del(&c->node);
	srv.nr_conns--;
	/* we may be inside this connection's own callback */
	loop_defer_queue(&c->release);
}

static void conn_flush(struct mgmt_conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->lfd.fd, c->out.buf + c->out_off,
				 c->out.len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				loop_mod_fd(&c->lfd, EPOLLOUT);
				return;
			}
			log_dbg("mgmt: client went away: %s", strerror(errno));
			conn_close(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	conn_close(c);
}

static void conn_respond(struct mgmt_conn *c, int status, const char *text,
			 size_t len)
{
	mgmt_resp_encode(&c->out, status, text, len);
	if (c->out.oom) {
		strbuf_free(&c->out);
		mgmt_resp_encode(&c->out, ENOMEM, "out of memory\n", 14);
	}
	/* a slow reader gets the same deadline for the answer */
	loop_timer_arm(&c->timer, MGMT_IO_TIMEOUT_MS);
	conn_flush(c);
}

static void conn_process(struct mgmt_conn *c, size_t len)
{
	struct mgmt_req *req = malloc(sizeof(*req));
	struct strbuf text = STRBUF_INIT;
	char err[256];
	int status;

	if (!req) {
		conn_respond(c, ENOMEM, "out of memory\n", 14);
		return;
	}
	if (mgmt_req_decode(req, c->in, len, err, sizeof(err))) {
		log_warn("mgmt: %s", err);
		strbuf_addf(&text, "%s\n", err);
		status = EINVAL;
	} else {
		status = mgmt_dispatch(req, &text);
	}
	free(req);
	conn_respond(c, status, strbuf_str(&text), text.len);
	strbuf_free(&text);
	if (mgmt_shutdown_requested())
		loop_stop();
}

static void conn_read(struct mgmt_conn *c)
{
	for (;;) {
		ssize_t n;
		long done;

		if (c->in_len == MGMT_REQ_MAX) {
			conn_respond(c, E2BIG, "request too large\n", 18);
			return;
		}
		n = recv(c->lfd.fd, c->in + c->in_len, MGMT_REQ_MAX - c->in_len,
			 MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_close(c);
			return;
		}
		if (n == 0) {
			/* EOF before the empty line: nothing sensible to do */
			if (c->in_len)
				conn_respond(c, EINVAL,
					     "malformed request: truncated\n",
					     29);
			else
				conn_close(c);
			return;
		}
		c->in_len += (size_t)n;
		done = mgmt_req_complete(c->in, c->in_len);
		if (done > 0) {
			/* stop reading: one request per connection */
			loop_mod_fd(&c->lfd, 0);
			conn_process(c, (size_t)done);
			return;
		}
		if (done < 0) {
			conn_respond(c, E2BIG, "request too large\n", 18);
			return;
		}
	}
}

static void conn_event(struct loop_fd *lfd, uint32_t events)
{
	struct mgmt_conn *c = container_of(lfd, struct mgmt_conn, lfd);

	if (c->out.len) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			conn_flush(c);
		return;
	}
	if (events & EPOLLIN)
		conn_read(c);
	else if (events & (EPOLLERR | EPOLLHUP))
		conn_close(c);
}

static void conn_timeout(struct loop_timer *t)
{
	struct mgmt_conn *c = container_of(t, struct mgmt_conn, timer);

	log_warn("mgmt: dropping a client idle for %u ms", MGMT_IO_TIMEOUT_MS);
	conn_close(c);
}

static void accept_one(int fd)
{
	struct mgmt_conn *c;

	if (srv.nr_conns >= MGMT_MAX_CONNS) {
		log_warn("mgmt: too many clients, refusing one");
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->in = malloc(MGMT_REQ_MAX);
	if (!c || !c->in) {
		free(c);
		close(fd);
		return;
	}
	loop_timer_init(&c->timer, conn_timeout);
	loop_defer_init(&c->release, conn_release);
	if (loop_add_fd(&c->lfd, fd, EPOLLIN, conn_event)) {
		free(c->in);
		free(c);
		close(fd);
		return;
	}
	list_add_tail(&c->node, &srv.conns);
	srv.nr_conns++;
	loop_timer_arm(&c->timer, MGMT_IO_TIMEOUT_MS);
}

static void listener_event(struct loop_fd *lfd, uint32_t events)
{
	for (;;) {
		int fd = accept4(lfd->fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("mgmt: accept: %s", strerror(errno));
			return;
		}
		accept_one(fd);
	}
}

static int make_parent_dir(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(srv.path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		/* one level of missing parents covers /run/tgtx */
		int ret = -errno;

		snprintf(err, errlen, "cannot create %s: %s", dir,
			 strerror(errno));
		return ret;
	}
	return 0;
}

/*
 * A socket file left by a crashed daemon would make bind() fail; one still
 * answered by a live daemon must not be stolen from it.
 */
static int remove_stale(const struct sockaddr_un *sun, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (lstat(sun->sun_path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket",
			 sun->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) ==
		    0) {
			close(fd);
			snprintf(err, errlen,
				 "another daemon already listens on %s",
				 sun->sun_path);
			return -EADDRINUSE;
		}
		close(fd);
	}
	unlink(sun->sun_path);
	return 0;
}

int mgmt_server_start(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	mode_t old_mask;
	int fd, ret;

	if (srv.running) {
		snprintf(err, errlen, "management server already running");
		return -EALREADY;
	}
	if (!path || !*path || strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "invalid control socket path");
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	ret = make_parent_dir(path, err, errlen);
	if (ret)
		return ret;
	ret = remove_stale(&sun, err, errlen);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return ret;
	}
	/* no window in which the socket is reachable by others */
	old_mask = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_mask);
	if (ret < 0 || chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", path,
			 strerror(errno));
		close(fd);
		return ret;
	}
	ret = loop_add_fd(&srv.lfd, fd, EPOLLIN, listener_event);
	if (ret) {
		snprintf(err, errlen, "event loop: %s", strerror(-ret));
		close(fd);
		unlink(path);
		return ret;
	}
	snprintf(srv.path, sizeof(srv.path), "%s", path);
	list_init(&srv.conns);
	srv.nr_conns = 0;
	srv.running = true;
	return 0;
}

void mgmt_server_stop(void)
{
	struct mgmt_conn *c, *n;

	if (!srv.running)
		return;
	list_for_each_entry_safe (c, n, &srv.conns, node) {
		conn_close(c);
		/* the loop is no longer running deferred calls for us */
		loop_defer_cancel(&c->release);
		conn_release(&c->release);
	}
	loop_del_fd(&srv.lfd);
	close(srv.lfd.fd);
	srv.lfd.fd = -1;
	unlink(srv.path);
	srv.running = false;
}
