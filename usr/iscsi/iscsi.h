/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The iSCSI layer as seen by the daemon main and by management. */
#ifndef TGTX_ISCSI_H
#define TGTX_ISCSI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct target;
struct strbuf;
struct nodekey;

int iscsi_init(void);
/*
 * Daemon options for resource limits (name without "--"): mem-budget SIZE,
 * max-conns N, conn-share PCT, conn-subnet V4LEN/V6LEN,
 * pr-max-registrations N. Returns 0 or -EINVAL with a message.
 */
int iscsi_limit_option(const char *name, const char *value, char *err,
		       size_t errlen);
/* Raises the descriptor limit; called by iscsi_init. */
void iscsi_limits_init(void);
/* "Memory:" and "Connections:" of `tgtxadm --op show --mode system`. */
void iscsi_mem_show(struct strbuf *out);
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
/* One "Portal: ADDR:PORT,TPGT" line per portal (then the TLS lines). */
void iscsi_portal_show(struct strbuf *out);

/*
 * TLS portals (portal_tls.c, doc/transport.md). iscsi_tls_init: the node
 * key (its pin is shown) and, when peers_file is given, the pins of the
 * clients allowed and the TLS context; 0 or -errno with a message
 * ("FILE:LINE: ..."). iscsi_tls_portal_add takes the portal specs of
 * iscsi_portal_add and needs a peers file. iscsi_tls_show: "Node key pin:",
 * "TLS portal: ADDR:PORT,TPGT" lines and counters. iscsi_exit closes them.
 * iscsi_tls_reload re-reads the peers file (SIGHUP); on an error the pins
 * in force stay.
 */
int iscsi_tls_init(const struct nodekey *key, const char *peers_file, char *err,
		   size_t errlen);
int iscsi_tls_reload(char *err, size_t errlen);
int iscsi_tls_portal_add(const char *spec, char *err, size_t errlen);
void iscsi_tls_show(struct strbuf *out);
void iscsi_tls_exit(void);

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
