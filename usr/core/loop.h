/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's single event loop: epoll for file descriptors, a timer list and
 * a deferred-call queue. Everything in tgtxd runs on this thread; disk I/O
 * completes through an eventfd registered here, so nothing ever blocks it.
 */
#ifndef TGTX_LOOP_H
#define TGTX_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "list.h"

struct loop_fd;
typedef void (*loop_fd_cb)(struct loop_fd *lfd, uint32_t events);

/* Embed in the owner's object; the callback finds the owner with container_of.
 */
struct loop_fd {
	int fd;
	uint32_t events;
	loop_fd_cb cb;
};

struct loop_timer;
typedef void (*loop_timer_cb)(struct loop_timer *t);

struct loop_timer {
	struct list_head node;
	uint64_t due_ms; /* CLOCK_MONOTONIC milliseconds */
	loop_timer_cb cb;
	bool armed;
};

struct loop_defer;
typedef void (*loop_defer_cb)(struct loop_defer *d);

/*
 * A call queued to run after the current batch of events, outside any
 * caller's stack. Objects that own a loop_fd must be freed from a deferred
 * call (after loop_del_fd), never directly from an fd callback.
 */
struct loop_defer {
	struct list_head node;
	loop_defer_cb cb;
	bool queued;
};

int loop_init(void);
void loop_exit(void);
/* Runs until loop_stop(); returns 0, or -errno if epoll failed. */
int loop_run(void);
void loop_stop(void);
/*
 * Keeps the loop turning until busy() is false or timeout_ms passed (for a
 * clean shutdown: in-flight I/O completes). Returns true when idle.
 */
bool loop_drain(bool (*busy)(void), uint64_t timeout_ms);

int loop_add_fd(struct loop_fd *lfd, int fd, uint32_t events, loop_fd_cb cb);
int loop_mod_fd(struct loop_fd *lfd, uint32_t events);
void loop_del_fd(struct loop_fd *lfd);

uint64_t loop_now_ms(void);
/* CLOCK_MONOTONIC nanoseconds (latencies, rates, short deadlines). */
uint64_t loop_now_ns(void);
void loop_timer_init(struct loop_timer *t, loop_timer_cb cb);
void loop_timer_arm(struct loop_timer *t, uint64_t after_ms);
void loop_timer_cancel(struct loop_timer *t);

void loop_defer_init(struct loop_defer *d, loop_defer_cb cb);
void loop_defer_queue(struct loop_defer *d);
void loop_defer_cancel(struct loop_defer *d);

#endif
