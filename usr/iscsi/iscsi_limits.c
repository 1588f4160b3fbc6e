// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Resource limits a peer must not be able to exhaust: the memory budget,
 * the connection limit and its per-source share, the descriptor limit and
 * the persistent reservation keys of a LU. Defaults are safe; tgtxd's
 * options tune them (iscsi_limit_option).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/log.h"
#include "core/membudget.h"
#include "scsi/scsi.h"
#include "iscsi.h"
#include "limits.h"

/* Descriptors kept for LUN files, the management socket and logs. */
#define FD_RESERVE 64

struct iscsi_limits iscsi_limits = {
	.max_conns = 1024,
	.source_pct = 10,
	.v4_prefix = 32,
	.v6_prefix = 128,
	.pr_max_regs = SCSI_PR_MAX_REGS_DEFAULT,
};

unsigned iscsi_source_max(void)
{
	unsigned n = iscsi_limits.max_conns * iscsi_limits.source_pct / 100;

	return n ? n : 1;
}

static int parse_uint(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long n;

	if (!v || *v < '0' || *v > '9')
		return -EINVAL;
	n = strtoul(v, &end, 10);
	if (*end || n < lo || n > hi)
		return -EINVAL;
	*out = (unsigned)n;
	return 0;
}

int iscsi_limit_option(const char *name, const char *value, char *err,
		       size_t errlen)
{
	size_t bytes;

	if (!strcmp(name, "mem-budget")) {
		if (mb_parse_size(value, &bytes) || bytes < (16u << 20)) {
			snprintf(err, errlen,
				 "--mem-budget is a size of at least 16M, "
				 "not '%s'",
				 value);
			return -EINVAL;
		}
		mb_set_budget(bytes);
		return 0;
	}
	if (!strcmp(name, "max-conns")) {
		if (parse_uint(value, 1, 65536, &iscsi_limits.max_conns))
			goto bad;
		return 0;
	}
	if (!strcmp(name, "conn-share")) {
		if (parse_uint(value, 1, 100, &iscsi_limits.source_pct))
			goto bad;
		return 0;
	}
	if (!strcmp(name, "conn-subnet")) {
		const char *slash = value ? strchr(value, '/') : NULL;
		char v4[8];

		if (!slash || (size_t)(slash - value) >= sizeof(v4))
			goto bad;
		memcpy(v4, value, (size_t)(slash - value));
		v4[slash - value] = 0;
		if (parse_uint(v4, 0, 32, &iscsi_limits.v4_prefix) ||
		    parse_uint(slash + 1, 0, 128, &iscsi_limits.v6_prefix))
			goto bad;
		return 0;
	}
	if (!strcmp(name, "pr-max-registrations")) {
		if (parse_uint(value, 1, 1u << 20, &iscsi_limits.pr_max_regs))
			goto bad;
		scsi_pr_set_max_regs(iscsi_limits.pr_max_regs);
		return 0;
	}
	snprintf(err, errlen, "unknown limit '%s'", name);
	return -EINVAL;
bad:
	snprintf(err, errlen, "bad value '%s' for --%s", value ? value : "",
		 name);
	return -EINVAL;
}

/*
 * Raises the soft descriptor limit to the hard one (the usual soft 1024
 * is far below what a target needs) and keeps the connection limit below
 * it, so accepting never runs the daemon out of descriptors.
 */
void iscsi_limits_init(void)
{
	struct rlimit rl;
	unsigned cap;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t was = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			rl.rlim_cur = was;
		else
			log_info("descriptor limit raised from %llu to %llu",
				 (unsigned long long)was,
				 (unsigned long long)rl.rlim_cur);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1u << 20)
		return;
	cap = rl.rlim_cur > 2 * FD_RESERVE ? (unsigned)rl.rlim_cur - FD_RESERVE
					   : (unsigned)rl.rlim_cur / 2;
	if (iscsi_limits.max_conns > cap) {
		log_warn("descriptor limit %llu: at most %u connections",
			 (unsigned long long)rl.rlim_cur, cap);
		iscsi_limits.max_conns = cap ? cap : 1;
	}
	log_info("memory budget %zu MiB, %u connections, %u per source",
		 mb_budget() >> 20, iscsi_limits.max_conns, iscsi_source_max());
}
