// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SendTargets (RFC 7143 appendix C): the discovery answer listing the
 * targets an initiator may log in to, each with the portal it reached us
 * on, so it never learns of targets its ACLs hide.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "login.h"
#include "text.h"

void iscsi_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!len)
		return;
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(in->sin_port));
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
			(const struct sockaddr_in6 *)sa;

		/* v4 clients of a dual-stack socket reached an IPv4 portal */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], a,
				  sizeof(a));
			snprintf(buf, len, "%s:%u", a, ntohs(in6->sin6_port));
		} else {
			inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
			snprintf(buf, len, "[%s]:%u", a, ntohs(in6->sin6_port));
		}
	} else {
		snprintf(buf, len, "?");
	}
}

void login_sendtargets(const char *value, const char *initiator_name,
		       const struct sockaddr *peer,
		       const struct sockaddr *local, uint16_t tpgt,
		       struct strbuf *out)
{
	char addr[INET6_ADDRSTRLEN + 16], ta[INET6_ADDRSTRLEN + 32];
	bool all = value && !strcmp(value, "All");
	bool have_addr = local && (local->sa_family == AF_INET ||
				   local->sa_family == AF_INET6);
	struct target *t;

	if (!value || !*value)
		return;
	iscsi_addr_str(local, addr, sizeof(addr));
	snprintf(ta, sizeof(ta), "%s,%u", addr, tpgt);
	list_for_each_entry (t, target_list(), node) {
		if (!all && strcasecmp(value, t->name))
			continue;
		if (!peer || !target_acl_permits(t, peer, initiator_name))
			continue;
		text_add(out, "TargetName", t->name);
		if (have_addr)
			text_add(out, "TargetAddress", ta);
	}
}
