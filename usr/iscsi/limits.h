/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Connection limits of the iSCSI layer, set from tgtxd's command line. */
#ifndef TGTX_ISCSI_LIMITS_H
#define TGTX_ISCSI_LIMITS_H

struct iscsi_limits {
	unsigned max_conns;   /* all sources together */
	unsigned source_pct;  /* share of max_conns one source may hold */
	unsigned v4_prefix;   /* a "source" is this IPv4 subnet ... */
	unsigned v6_prefix;   /* ... or this IPv6 one */
	unsigned pr_max_regs; /* persistent reservation keys per LU */
};

extern struct iscsi_limits iscsi_limits;

/* Connections one source may hold (at least 1). */
unsigned iscsi_source_max(void);

#endif
