// SPDX-License-Identifier: GPL-2.0-or-later
/* iSCSI layer entry points for the daemon and management (iscsi.h). */
#include "iscsi.h"

#include "core/log.h"
#include "conn.h"
#include "portal.h"

int iscsi_init(void)
{
	iscsi_limits_init();
	return 0;
}

void iscsi_exit(void)
{
	portal_close_all();
	iscsi_tls_exit();
	conn_reap_all();
}

void iscsi_target_close_sessions(struct target *t)
{
	struct iscsi_session *s, *n;

	list_for_each_entry_safe (s, n, session_list(), node)
		if (s->target == t)
			session_close(s);
}

int iscsi_target_nr_sessions(const struct target *t)
{
	struct iscsi_session *s;
	int n = 0;

	list_for_each_entry (s, session_list(), node)
		if (s->target == t)
			n++;
	return n;
}
