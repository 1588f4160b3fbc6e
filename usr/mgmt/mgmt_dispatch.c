// SPDX-License-Identifier: GPL-2.0-or-later
/* Routes a decoded request to the handler of its --mode. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "mgmt_priv.h"

static bool shutdown_requested;

bool mgmt_shutdown_requested(void)
{
	return shutdown_requested;
}

void mgmt_request_shutdown(void)
{
	shutdown_requested = true;
}

static const struct {
	const char *name;
	int (*fn)(struct mgmt_op *m);
} modes[] = {
	{"target", mgmt_mode_target},	{"tgt", mgmt_mode_target},
	{"logicalunit", mgmt_mode_lun}, {"lu", mgmt_mode_lun},
	{"account", mgmt_mode_account}, {"system", mgmt_mode_system},
	{"sys", mgmt_mode_system},	{"portal", mgmt_mode_portal},
	{"session", mgmt_mode_session}, {"sess", mgmt_mode_session},
	{"conn", mgmt_mode_session},	{"connection", mgmt_mode_session},
};

static const char *const ops[] = {"new",    "delete", "show", "bind",
				  "unbind", "update", "stat"};

static int dispatch(struct mgmt_op *m)
{
	const char *mode = mgmt_arg(m, "mode");
	const char *lld = mgmt_arg(m, "lld");
	size_t i;

	if (!m->op)
		return mgmt_fail(m, EINVAL, "specify the operation type");
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(m->op, ops[i]))
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return mgmt_fail(m, EINVAL, "unknown operation: %s", m->op);
	if (!mode)
		return mgmt_fail(m, EINVAL, "specify the mode");
	if (lld && *lld && strcmp(lld, "iscsi"))
		return mgmt_fail(m, ENOENT, "can't find the driver");
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(mode, modes[i].name))
			return modes[i].fn(m);
	return mgmt_fail(m, EINVAL, "unknown mode: %s", mode);
}

int mgmt_dispatch(const struct mgmt_req *req, struct strbuf *out)
{
	struct mgmt_op m = {.req = req, .out = out};
	int ret;

	m.op = mgmt_req_get(req, "op");
	ret = dispatch(&m);
	if (ret == 0) {
		if (out->oom) {
			strbuf_reset(out);
			out->oom = 0;
			strbuf_free(out);
			strbuf_addf(out, "out of memory\n");
			return ENOMEM;
		}
		return 0;
	}
	/* errors replace any partial output: the client prints one line */
	strbuf_free(out);
	strbuf_addf(out, "%s\n", m.err[0] ? m.err : strerror(-ret));
	log_dbg("mgmt: op=%s mode=%s failed: %s", m.op ? m.op : "-",
		mgmt_req_get(req, "mode") ?: "-", m.err);
	return ret < 0 ? -ret : EINVAL;
}
