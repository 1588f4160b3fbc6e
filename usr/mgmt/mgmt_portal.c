// SPDX-License-Identifier: GPL-2.0-or-later
/* --mode portal: listening addresses, as tgtadm --param portal=ADDR:PORT. */
#include <errno.h>
#include <string.h>

#include "iscsi/iscsi.h"
#include "mgmt_priv.h"

static const char *portal_spec(struct mgmt_op *m)
{
	const char *p = mgmt_arg(m, "params");

	if (p && !strncmp(p, "portal=", 7))
		return p + 7;
	p = mgmt_arg(m, "portal");
	if (p)
		return p;
	mgmt_fail(m, EINVAL,
		  "specify the portal with --param portal=ADDR:PORT");
	return NULL;
}

int mgmt_mode_portal(struct mgmt_op *m)
{
	const char *spec;

	if (!strcmp(m->op, "show")) {
		iscsi_portal_show(m->out);
		return 0;
	}
	if (strcmp(m->op, "new") && strcmp(m->op, "delete"))
		return mgmt_unsupported(m);
	spec = portal_spec(m);
	if (!spec)
		return -EINVAL;
	if (!strcmp(m->op, "new"))
		return iscsi_portal_add(spec, m->err, sizeof(m->err));
	return iscsi_portal_del(spec, m->err, sizeof(m->err));
}
