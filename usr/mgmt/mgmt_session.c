// SPDX-License-Identifier: GPL-2.0-or-later
/* --mode session/conn: read-only view of a target's I_T nexuses. */
#include <errno.h>
#include <string.h>

#include "iscsi/iscsi.h"
#include "mgmt_priv.h"

int mgmt_mode_session(struct mgmt_op *m)
{
	struct target *t;
	int ret;

	if (strcmp(m->op, "show"))
		return mgmt_unsupported(m);
	ret = mgmt_target(m, &t);
	if (ret)
		return ret;
	iscsi_target_show_sessions(t, m->out, "");
	return 0;
}
