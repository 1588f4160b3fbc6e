// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-delay-relay: a TCP relay on loopback that holds every byte for a
 * fixed one-way delay in each direction, the round trip of a WAN link for
 * the benchmarks (this kernel has no sch_netem). Each direction is a
 * bounded byte ring plus a ring of segments (end offset, time read); a
 * byte leaves when its segment is DELAY old. A full ring stops the
 * reading, so the sender sees TCP backpressure, as behind a real link
 * whose buffers are full. One thread, epoll (edge-triggered), a timerfd
 * for the next release, large reads and writes: well over 1 Gbit/s at a
 * fraction of a CPU.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define NSEG	 8192
#define MAX_IO	 (1u << 20)
#define MAX_CONN 256

static const char usage_text[] =
	"usage: tgtx-delay-relay --listen PORT --upstream PORT --delay-ms MS\n"
	"              [--buffer BYTES]\n"
	"Accepts TCP connections on 127.0.0.1:PORT and relays each to\n"
	"127.0.0.1:UPSTREAM; every byte is released MS milliseconds (one\n"
	"way; the round trip is twice MS) after it was read, in both\n"
	"directions. --buffer: bytes held per direction and connection\n"
	"(default 32 MiB, keep above rate x MS); a full buffer stops the\n"
	"reading (TCP backpressure). Loopback only. Runs until killed.\n";

struct seg {
	uint64_t end; /* ring offset after the segment's last byte */
	uint64_t t;   /* CLOCK_MONOTONIC ns when read */
};

struct dir {
	int in, out; /* read from in, write to out */
	uint8_t *buf;
	uint64_t rd, wr, rel; /* totals: read, written, released */
	struct seg seg[NSEG];
	unsigned shead, stail;
	bool can_read, can_write, eof, shut;
};

struct side {
	struct conn *c;
	int fd;
};

struct conn {
	struct dir d[2]; /* 0: client to upstream, 1: upstream to client */
	struct side s[2];
	bool dead;
};

static uint64_t delay_ns;
static size_t bufsz = 32u << 20;
static struct conn *conns[MAX_CONN];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int nonblock_nodelay(int fd)
{
	int one = 1;

	/* iSCSI's small requests must not wait for Nagle on top of the
	 * delay */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void conn_free(struct conn *c)
{
	for (int i = 0; i < 2; i++) {
		close(c->s[i].fd);
		free(c->d[i].buf);
	}
	free(c);
}

/* Reads while there is room; returns -1 on an error of the socket. */
static int dir_read(struct dir *d, uint64_t now)
{
	while (d->can_read && !d->eof) {
		size_t used = (size_t)(d->rd - d->wr), off = d->rd % bufsz;
		size_t len = bufsz - used;
		ssize_t n;

		if (!len || d->stail - d->shead == NSEG)
			return 0; /* full: the sender waits (backpressure) */
		if (len > bufsz - off)
			len = bufsz - off;
		if (len > MAX_IO)
			len = MAX_IO;
		n = read(d->in, d->buf + off, len);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			d->can_read = false;
			return 0;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			d->eof = true;
			return 0;
		}
		d->rd += (uint64_t)n;
		d->seg[d->stail++ % NSEG] = (struct seg){d->rd, now};
	}
	return 0;
}

/* Writes what is due; returns -1 on an error of the socket. */
static int dir_write(struct dir *d, uint64_t now)
{
	while (d->shead != d->stail &&
	       d->seg[d->shead % NSEG].t + delay_ns <= now)
		d->rel = d->seg[d->shead++ % NSEG].end;
	while (d->can_write && d->wr < d->rel) {
		size_t off = d->wr % bufsz, len = (size_t)(d->rel - d->wr);
		ssize_t n;

		if (len > bufsz - off)
			len = bufsz - off;
		n = write(d->out, d->buf + off, len);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			d->can_write = false;
			return 0;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		d->wr += (uint64_t)n;
	}
	if (d->eof && d->wr == d->rd && !d->shut) {
		/* the sender closed: pass the FIN on once its data left */
		shutdown(d->out, SHUT_WR);
		d->shut = true;
	}
	return 0;
}

static void conn_run(struct conn *c, uint64_t now)
{
	/* read again once the write made room: a full ring left data in
	 * the socket, and no new edge comes for it */
	for (int i = 0; i < 2 && !c->dead; i++)
		if (dir_read(&c->d[i], now) || dir_write(&c->d[i], now) ||
		    dir_read(&c->d[i], now))
			c->dead = true;
	if (c->d[0].shut && c->d[1].shut)
		c->dead = true;
}

/* The earliest release still pending, 0 if none. */
static uint64_t next_due(void)
{
	uint64_t due = 0;

	for (int k = 0; k < MAX_CONN; k++)
		for (int i = 0; conns[k] && i < 2; i++) {
			const struct dir *d = &conns[k]->d[i];
			uint64_t t;

			if (d->shead == d->stail)
				continue;
			t = d->seg[d->shead % NSEG].t + delay_ns;
			if (!due || t < due)
				due = t;
		}
	return due;
}

static int connect_upstream(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void accept_one(int ep, int lfd, int up_port)
{
	int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), k, ufd;
	struct conn *c;

	if (cfd < 0)
		return;
	for (k = 0; k < MAX_CONN && conns[k]; k++)
		;
	ufd = k < MAX_CONN ? connect_upstream(up_port) : -1;
	c = ufd >= 0 ? calloc(1, sizeof(*c)) : NULL;
	if (c) {
		c->d[0].buf = malloc(bufsz);
		c->d[1].buf = malloc(bufsz);
	}
	if (!c || !c->d[0].buf || !c->d[1].buf) {
		fprintf(stderr, "tgtx-delay-relay: connection dropped: %s\n",
			ufd < 0 ? "upstream connect failed or too many"
				: "no memory");
		if (c) {
			free(c->d[0].buf);
			free(c->d[1].buf);
			free(c);
		}
		if (ufd >= 0)
			close(ufd);
		close(cfd);
		return;
	}
	nonblock_nodelay(cfd);
	nonblock_nodelay(ufd);
	c->s[0] = (struct side){c, cfd};
	c->s[1] = (struct side){c, ufd};
	c->d[0].in = cfd;
	c->d[0].out = ufd;
	c->d[1].in = ufd;
	c->d[1].out = cfd;
	for (int i = 0; i < 2; i++) {
		struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT |
						   EPOLLRDHUP | EPOLLET,
					 .data.ptr = &c->s[i]};

		c->d[i].can_write = true;
		epoll_ctl(ep, EPOLL_CTL_ADD, c->s[i].fd, &ev);
	}
	conns[k] = c;
}

static int listen_on(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64) ||
	    fcntl(fd, F_SETFL, O_NONBLOCK)) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"listen", 1, 0, 'l'},	 {"upstream", 1, 0, 'u'},
		{"delay-ms", 1, 0, 'd'}, {"buffer", 1, 0, 'b'},
		{"help", 0, 0, 'h'},	 {0, 0, 0, 0}};
	int lport = 0, uport = 0, ep, lfd, tfd, c;
	double ms = -1;
	struct epoll_event ev;
	char *end;

	while ((c = getopt_long(argc, argv, "l:u:d:b:h", lo, NULL)) != -1) {
		switch (c) {
		case 'l':
			lport = atoi(optarg);
			break;
		case 'u':
			uport = atoi(optarg);
			break;
		case 'd':
			ms = strtod(optarg, &end);
			if (*end || ms < 0 || ms > 10000)
				ms = -1;
			break;
		case 'b':
			bufsz = (size_t)strtoull(optarg, &end, 0);
			if (*end || bufsz < 65536 || bufsz > (1u << 30))
				bufsz = 0;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 1;
		}
	}
	if (optind != argc || lport <= 0 || lport > 65535 || uport <= 0 ||
	    uport > 65535 || ms < 0 || !bufsz) {
		fputs(usage_text, stderr);
		return 1;
	}
	delay_ns = (uint64_t)(ms * 1e6);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(lport);
	ep = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (lfd < 0 || ep < 0 || tfd < 0) {
		fprintf(stderr,
			"tgtx-delay-relay: listen on 127.0.0.1:%d: %s\n", lport,
			strerror(errno));
		return 2;
	}
	ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = NULL};
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = &tfd};
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, -1);
		uint64_t now, due, exp;

		if (n < 0 && errno != EINTR)
			return 2;
		for (int i = 0; i < n; i++) {
			struct side *s = evs[i].data.ptr;

			if (!s) {
				accept_one(ep, lfd, uport);
				continue;
			}
			if ((void *)s == (void *)&tfd) {
				if (read(tfd, &exp, sizeof(exp)) < 0)
					exp = 0;
				continue;
			}
			/* side i reads for direction i, writes for 1 - i */
			int k = s == &s->c->s[0] ? 0 : 1;

			if (evs[i].events &
			    (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				s->c->d[k].can_read = true;
			if (evs[i].events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
				s->c->d[1 - k].can_write = true;
		}
		/* every connection: few of them, and the timer's releases */
		now = now_ns();
		for (int k = 0; k < MAX_CONN; k++) {
			if (!conns[k])
				continue;
			conn_run(conns[k], now);
			if (conns[k]->dead) {
				conn_free(conns[k]);
				conns[k] = NULL;
			}
		}
		due = next_due();
		if (due) {
			struct itimerspec it = {
				.it_value = {
					.tv_sec = (time_t)(due / 1000000000ull),
					.tv_nsec =
						(long)(due % 1000000000ull)}};

			timerfd_settime(tfd, TFD_TIMER_ABSTIME, &it, NULL);
		}
	}
}
