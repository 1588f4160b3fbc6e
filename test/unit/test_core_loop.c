// SPDX-License-Identifier: GPL-2.0-or-later
/* Event loop: fd readiness, timer order, deferred calls, strbuf growth. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/strbuf.h"

static int order[8];
static int nr_order;

struct tmr {
	struct loop_timer t;
	int id;
	bool stop;
};

static void tmr_cb(struct loop_timer *t)
{
	struct tmr *x = container_of(t, struct tmr, t);

	order[nr_order++] = x->id;
	if (x->stop)
		loop_stop();
}

static void test_timers_fire_in_due_order(void **state)
{
	struct tmr a = {.id = 1}, b = {.id = 2}, c = {.id = 3, .stop = true};
	struct tmr never = {.id = 9};

	assert_int_equal(loop_init(), 0);
	nr_order = 0;
	loop_timer_init(&a.t, tmr_cb);
	loop_timer_init(&b.t, tmr_cb);
	loop_timer_init(&c.t, tmr_cb);
	loop_timer_init(&never.t, tmr_cb);
	loop_timer_arm(&c.t, 30);
	loop_timer_arm(&a.t, 5);
	loop_timer_arm(&b.t, 15);
	loop_timer_arm(&never.t, 20);
	loop_timer_cancel(&never.t);
	assert_int_equal(loop_run(), 0);
	assert_int_equal(nr_order, 3);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 3);
	loop_exit();
}

struct pipe_watch {
	struct loop_fd lfd;
	char got[16];
	struct loop_defer d;
	int deferred;
};

static void defer_cb(struct loop_defer *d)
{
	struct pipe_watch *pw = container_of(d, struct pipe_watch, d);

	pw->deferred++;
	loop_stop();
}

static void pipe_cb(struct loop_fd *lfd, uint32_t events)
{
	struct pipe_watch *pw = container_of(lfd, struct pipe_watch, lfd);
	ssize_t n = read(lfd->fd, pw->got, sizeof(pw->got) - 1);

	assert_true(n > 0);
	assert_true(events & EPOLLIN);
	/* queued twice: must still run once */
	loop_defer_queue(&pw->d);
	loop_defer_queue(&pw->d);
}

static void test_fd_event_and_defer(void **state)
{
	struct pipe_watch pw;
	int p[2];

	memset(&pw, 0, sizeof(pw));
	assert_int_equal(loop_init(), 0);
	assert_int_equal(pipe(p), 0);
	loop_defer_init(&pw.d, defer_cb);
	assert_int_equal(loop_add_fd(&pw.lfd, p[0], EPOLLIN, pipe_cb), 0);
	assert_int_equal(write(p[1], "ping", 4), 4);
	assert_int_equal(loop_run(), 0);
	assert_string_equal(pw.got, "ping");
	assert_int_equal(pw.deferred, 1);
	loop_del_fd(&pw.lfd);
	close(p[0]);
	close(p[1]);
	loop_exit();
}

static void test_strbuf_grows(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	assert_string_equal(strbuf_str(&sb), "");
	for (i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%04d", i);
	assert_int_equal(sb.len, 4000);
	assert_memory_equal(sb.buf + 3996, "0999", 4);
	strbuf_add(&sb, "xy", 2);
	assert_int_equal(sb.len, 4002);
	strbuf_reset(&sb);
	assert_string_equal(strbuf_str(&sb), "");
	strbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_fire_in_due_order),
		cmocka_unit_test(test_fd_event_and_defer),
		cmocka_unit_test(test_strbuf_grows),
	};

	return cmocka_run_group_tests_name("core_loop", tests, NULL, NULL);
}
