/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The iSCSI layer as seen by the daemon main and by management. */
#ifndef TGTX_ISCSI_H
#define TGTX_ISCSI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct target;
struct strbuf;

int iscsi_init(void);
/* Closes portals and every connection (daemon shutdown). */
void iscsi_exit(void);

/*
 * Adds a listening portal. spec: "ADDR", "ADDR:PORT", "[V6ADDR]:PORT",
 * ":PORT" (all IPv4 and IPv6 addresses). Port 0 binds a free port (tests read
 * it back with iscsi_portal_show). Returns 0 or -errno with a message.
 */
int iscsi_portal_add(const char *spec, char *err, size_t errlen);
int iscsi_portal_del(const char *spec, char *err, size_t errlen);
/*
 * Parses an address as portals take it (":PORT" is the IPv6 any address,
 * which also takes IPv4); the port defaults to 3260. 0 or -EINVAL.
 */
int iscsi_addr_parse(const char *spec, struct sockaddr_storage *ss,
		     socklen_t *len);
/* One "Portal: ADDR:PORT,TPGT" line per portal. */
void iscsi_portal_show(struct strbuf *out);

/* "I_T nexus information:" block of `tgtxadm --op show --mode target`. */
void iscsi_target_show_sessions(struct target *t, struct strbuf *out,
				const char *indent);
/* Drops every session of t (target deleted or taken offline). */
void iscsi_target_close_sessions(struct target *t);
/* Number of sessions logged in to t. */
int iscsi_target_nr_sessions(const struct target *t);

/*
 * Validates a per-target key override (tgtxadm --op update --name K
 * --value V). Only negotiable operational keys and TargetAlias are accepted.
 */
int iscsi_param_check(const char *key, const char *value, char *err,
		      size_t errlen);
/* "  key=value" lines of every negotiable key with the target's value. */
void iscsi_param_show(const struct target *t, struct strbuf *out,
		      const char *indent);

#endif
