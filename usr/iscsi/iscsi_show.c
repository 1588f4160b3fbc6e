// SPDX-License-Identifier: GPL-2.0-or-later
/* The sessions under "I_T nexus information:", as tgt prints them. */
#include <netinet/in.h>

#include "core/escape.h"
#include "core/membudget.h"
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
		/* Initiator-supplied: escaped, or it could forge lines. */
		char name[TGTX_NAME_MAX * 4],
			alias[sizeof(s->initiator_alias) * 4];

		if (s->target != t)
			continue;
		str_escape(s->initiator_name, name, sizeof(name));
		str_escape(s->initiator_alias, alias, sizeof(alias));
		strbuf_addf(out, "%sI_T nexus: %llu\n", indent,
			    (unsigned long long)s->nexus.id);
		strbuf_addf(out, "%s    Initiator: %s alias: %s\n", indent,
			    name, alias[0] ? alias : "none");
		if (!s->conn)
			continue;
		portal_addr_str(&s->conn->peer, ip, sizeof(ip), false);
		strbuf_addf(out, "%s    Connection: %u\n", indent,
			    s->conn->cid);
		strbuf_addf(out, "%s        IP Address: %s\n", indent, ip);
	}
}

static const char *state_name(const struct iscsi_conn *c)
{
	if (c->close_after_tx)
		return "closing";
	if (c->state == CONN_LOGIN)
		return "login";
	if (c->sess && c->sess->type == ISCSI_SESSION_DISCOVERY)
		return "discovery";
	return "full-feature";
}

void iscsi_mem_show(struct strbuf *out)
{
	struct iscsi_conn *c;

	strbuf_addf(out, "Memory:\n    Budget: %zu\n    Used: %zu\n",
		    mb_budget(), mb_used());
	strbuf_addf(out, "Connections: %d\n", conn_count());
	list_for_each_entry (c, conn_list(), node)
		strbuf_addf(out, "    %s: %s, memory %zu of %zu%s\n",
			    c->peer_str, state_name(c), c->mem.used,
			    conn_mem_share(c), c->mem_paused ? ", paused" : "");
}
