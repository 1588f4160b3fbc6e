/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Start-up that reports readiness: to systemd (Type=notify, sdnotify.h) and,
 * when tgtxd detaches itself, to the shell that started it, so that whoever
 * waits for tgtxd can use its portals and management socket at once.
 */
#ifndef TGTX_DAEMON_H
#define TGTX_DAEMON_H

#include "loop.h"

/*
 * Forks. The parent never returns: it waits until the child calls
 * daemon_ready() and exits 0 (telling systemd READY=1 with the child as
 * MAINPID), or until the child exits first, and then exits with the child's
 * status. The child returns 0 in a new session with "/" as its directory and
 * keeps the caller's stdin/stdout/stderr until daemon_ready(), so start-up
 * errors reach the terminal. -errno when fork or pipe fail.
 */
int daemon_detach(void);
/*
 * Start-up is complete. Detached: wakes the parent and points stdio at
 * /dev/null. Foreground: sends READY=1 to $NOTIFY_SOCKET. `status` becomes
 * systemd's STATUS= text.
 */
void daemon_ready(const char *status);
/*
 * Tests only: sleeps $TGTX_TEST_STARTUP_DELAY_MS (at most 10 s) so that a
 * readiness report sent too early would be seen before the portals exist.
 */
void daemon_test_delay(void);
/* Shutdown begins (STOPPING=1). */
void daemon_stopping(void);
/*
 * SIGTERM, SIGINT and SIGHUP are blocked and read from a signalfd on the
 * event loop (lfd), so cb handles them between events, never inside one.
 * 0 or -errno.
 */
int daemon_watch_signals(struct loop_fd *lfd, loop_fd_cb cb);

#endif
