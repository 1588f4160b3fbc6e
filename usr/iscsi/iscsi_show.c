// SPDX-License-Identifier: GPL-2.0-or-later
/* The sessions under "I_T nexus information:", as tgt prints them. */
#include <netinet/in.h>

#include "core/strbuf.h"
#include "conn.h"
#include "iscsi.h"
#include "portal.h"

void iscsi_target_show_sessions(struct target *t, struct strbuf *out,
				const char *indent)
{
	struct iscsi_session *s;

	list_for_each_entry (s, session_list(), node) {
		char ip[INET6_ADDRSTRLEN + 8];

		if (s->target != t)
			continue;
		strbuf_addf(out, "%sI_T nexus: %llu\n", indent,
			    (unsigned long long)s->nexus.id);
		strbuf_addf(out, "%s    Initiator: %s alias: %s\n", indent,
			    s->initiator_name,
			    s->initiator_alias[0] ? s->initiator_alias
						  : "none");
		if (!s->conn)
			continue;
		portal_addr_str(&s->conn->peer, ip, sizeof(ip), false);
		strbuf_addf(out, "%s    Connection: %u\n", indent,
			    s->conn->cid);
		strbuf_addf(out, "%s        IP Address: %s\n", indent, ip);
	}
}
