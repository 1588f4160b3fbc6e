// SPDX-License-Identifier: GPL-2.0-or-later
#include "loop.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOOP_MAX_EVENTS 64

static int epfd = -1;
static bool running;
static LIST_HEAD(timers); /* sorted by due_ms */
static LIST_HEAD(deferred);

int loop_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;
	return 0;
}

void loop_exit(void)
{
	if (epfd >= 0)
		close(epfd);
	epfd = -1;
}

uint64_t loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t loop_now_ms(void)
{
	return loop_now_ns() / 1000000;
}

int loop_add_fd(struct loop_fd *lfd, int fd, uint32_t events, loop_fd_cb cb)
{
	struct epoll_event ev = {.events = events, .data.ptr = lfd};

	lfd->fd = fd;
	lfd->events = events;
	lfd->cb = cb;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return 0;
}

int loop_mod_fd(struct loop_fd *lfd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = lfd};

	if (lfd->events == events)
		return 0;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, lfd->fd, &ev) < 0)
		return -errno;
	lfd->events = events;
	return 0;
}

void loop_del_fd(struct loop_fd *lfd)
{
	if (lfd->fd >= 0)
		epoll_ctl(epfd, EPOLL_CTL_DEL, lfd->fd, NULL);
	lfd->cb = NULL;
}

void loop_timer_init(struct loop_timer *t, loop_timer_cb cb)
{
	list_init(&t->node);
	t->cb = cb;
	t->armed = false;
}

void loop_timer_arm(struct loop_timer *t, uint64_t after_ms)
{
	struct loop_timer *pos;

	loop_timer_cancel(t);
	t->due_ms = loop_now_ms() + after_ms;
	t->armed = true;
	list_for_each_entry (pos, &timers, node) {
		if (pos->due_ms > t->due_ms) {
			list_add_tail(&t->node, &pos->node);
			return;
		}
	}
	list_add_tail(&t->node, &timers);
}

void loop_timer_cancel(struct loop_timer *t)
{
	if (!t->armed)
		return;
	list_del(&t->node);
	t->armed = false;
}

void loop_defer_init(struct loop_defer *d, loop_defer_cb cb)
{
	list_init(&d->node);
	d->cb = cb;
	d->queued = false;
}

void loop_defer_queue(struct loop_defer *d)
{
	if (d->queued)
		return;
	d->queued = true;
	list_add_tail(&d->node, &deferred);
}

void loop_defer_cancel(struct loop_defer *d)
{
	if (!d->queued)
		return;
	list_del(&d->node);
	d->queued = false;
}

static void run_deferred(void)
{
	/* Callbacks may queue more work; loop until the queue is drained. */
	while (!list_empty(&deferred)) {
		struct loop_defer *d =
			list_first_entry(&deferred, struct loop_defer, node);

		list_del(&d->node);
		d->queued = false;
		d->cb(d);
	}
}

static int run_timers(void)
{
	uint64_t now = loop_now_ms();

	while (!list_empty(&timers)) {
		struct loop_timer *t =
			list_first_entry(&timers, struct loop_timer, node);

		if (t->due_ms > now)
			return (int)(t->due_ms - now);
		list_del(&t->node);
		t->armed = false;
		t->cb(t);
		run_deferred();
	}
	return -1;
}

void loop_stop(void)
{
	running = false;
}

/*
 * One turn: deferred calls, due timers, then at most one epoll wait of up to
 * max_wait_ms (-1: until the next timer or event). Returns 0 or -errno.
 */
static int loop_turn(int max_wait_ms)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];
	int timeout, n, i;

	run_deferred();
	timeout = run_timers();
	if (!running)
		return 0;
	if (!list_empty(&deferred))
		timeout = 0;
	if (max_wait_ms >= 0 && (timeout < 0 || timeout > max_wait_ms))
		timeout = max_wait_ms;
	n = epoll_wait(epfd, evs, LOOP_MAX_EVENTS, timeout);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		log_err("epoll_wait: %s", strerror(errno));
		return -errno;
	}
	for (i = 0; i < n; i++) {
		struct loop_fd *lfd = evs[i].data.ptr;

		if (lfd->cb)
			lfd->cb(lfd, evs[i].events);
	}
	/*
	 * Deferred calls run only after the whole batch, so an object
	 * freed from a deferred call can never be the target of a later
	 * event in the same batch.
	 */
	run_deferred();
	return 0;
}

int loop_run(void)
{
	int ret = 0;

	running = true;
	while (running && !ret)
		ret = loop_turn(-1);
	return ret;
}

bool loop_drain(bool (*busy)(void), uint64_t timeout_ms)
{
	uint64_t end = loop_now_ms() + timeout_ms;

	running = true;
	while (busy() && loop_now_ms() < end)
		if (loop_turn(50))
			break;
	running = false;
	return !busy();
}
