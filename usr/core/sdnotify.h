/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd's readiness protocol (sd_notify(3), "NOTIFY_SOCKET"): one datagram
 * of newline-separated KEY=VALUE assignments ("READY=1", "STATUS=...",
 * "STOPPING=1", "MAINPID=N") to the AF_UNIX socket named by $NOTIFY_SOCKET
 * (a path, or an abstract name written with a leading '@'). Written here
 * rather than linking libsystemd: the protocol is one sendto().
 */
#ifndef TGTX_SDNOTIFY_H
#define TGTX_SDNOTIFY_H

/*
 * Sends `state` to $NOTIFY_SOCKET. Returns 1 when sent, 0 when the variable
 * is unset (not started by systemd), -errno on failure.
 */
int sd_notify_send(const char *state);
/* printf-style wrapper around sd_notify_send(). */
int sd_notify_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
