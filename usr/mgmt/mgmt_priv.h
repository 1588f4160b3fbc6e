/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the daemon-side management files: one request being served and
 * the per-mode handlers (mgmt_target.c, mgmt_lun.c, ...).
 */
#ifndef TGTX_MGMT_PRIV_H
#define TGTX_MGMT_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "core/target.h"
#include "mgmt_proto.h"

struct mgmt_op {
	const struct mgmt_req *req;
	const char *op;	    /* new, delete, show, bind, unbind, update, stat */
	struct strbuf *out; /* text returned on success */
	char err[512];	    /* message returned on failure */
};

/* Runs one decoded request; returns the wire status (0 or errno). */
int mgmt_dispatch(const struct mgmt_req *req, struct strbuf *out);
/* Set by `--op delete --mode system`; the server then stops the loop. */
bool mgmt_shutdown_requested(void);
void mgmt_request_shutdown(void);

/* Handlers: 0, or -errno with m->err set. */
int mgmt_mode_target(struct mgmt_op *m);
int mgmt_mode_lun(struct mgmt_op *m);
int mgmt_mode_account(struct mgmt_op *m);
int mgmt_mode_system(struct mgmt_op *m);
int mgmt_mode_portal(struct mgmt_op *m);
int mgmt_mode_session(struct mgmt_op *m);

/* ---- helpers (mgmt_util.c) ---- */
const char *mgmt_arg(const struct mgmt_op *m, const char *key);
/* Sets m->err (printf-style) and returns -err. */
int mgmt_fail(struct mgmt_op *m, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A yes/no option: present and not "0"/"no"/"off"/"false". */
bool mgmt_flag(const struct mgmt_op *m, const char *key);
/* --tid, required: "target id is not set" when missing. */
int mgmt_tid(struct mgmt_op *m, int *tid);
/* --tid resolved to a target: "can't find the target". */
int mgmt_target(struct mgmt_op *m, struct target **t);
/* --lun, required. */
int mgmt_lun(struct mgmt_op *m, uint64_t *lun);
int mgmt_parse_u64(const char *s, uint64_t max, uint64_t *v);
/*
 * Calls fn for each "k=v" in a comma-separated list (tgtadm --params).
 * Stops at the first nonzero return.
 */
int mgmt_each_param(struct mgmt_op *m, const char *list,
		    int (*fn)(struct mgmt_op *m, const char *k, const char *v,
			      void *arg),
		    void *arg);
/* An unsupported op for a mode: tgtadm's wording. */
int mgmt_unsupported(struct mgmt_op *m);

/* Full target block of `--op show --mode target`. */
void mgmt_show_target(struct target *t, struct strbuf *out);
/* targets.conf text of the running configuration (mgmt_dump.c). */
void mgmt_dump_config(struct strbuf *out, bool internal);

#endif
