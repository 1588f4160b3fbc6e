/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The admin tools' end of the control socket. */
#ifndef TGTX_MGMT_CLIENT_H
#define TGTX_MGMT_CLIENT_H

#include <stddef.h>

struct strbuf;

/*
 * Sends an encoded request (mgmt_req_add/mgmt_req_end) to the daemon at
 * sock_path and waits for its answer. On success returns 0 with the
 * daemon's status in *status and its text appended to out; returns -errno
 * with a message when the daemon cannot be reached or answers garbage.
 */
int mgmt_call(const char *sock_path, const struct strbuf *req, int *status,
	      struct strbuf *out, char *err, size_t errlen);
/*
 * The same with the whole exchange (connect, send, answer) bounded by
 * timeout_ms: -ETIMEDOUT when the daemon does not answer in time,
 * -EAGAIN when its listen queue is full (a stopped or hung daemon).
 * mgmt_call waits 60 s, for the admin tools.
 */
int mgmt_call_timeout(const char *sock_path, const struct strbuf *req,
		      int timeout_ms, int *status, struct strbuf *out,
		      char *err, size_t errlen);

#endif
