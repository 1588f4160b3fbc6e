// SPDX-License-Identifier: GPL-2.0-or-later
/* Argument helpers shared by the management handlers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mgmt_priv.h"

const char *mgmt_arg(const struct mgmt_op *m, const char *key)
{
	return mgmt_req_get(m->req, key);
}

int mgmt_fail(struct mgmt_op *m, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	return -err;
}

bool mgmt_flag(const struct mgmt_op *m, const char *key)
{
	const char *v = mgmt_arg(m, key);

	if (!v)
		return false;
	return strcmp(v, "0") && strcasecmp(v, "no") && strcasecmp(v, "off") &&
	       strcasecmp(v, "false");
}

int mgmt_parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t r = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (r > (max - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		r = r * 10 + (uint64_t)(*s - '0');
	}
	*v = r;
	return 0;
}

int mgmt_tid(struct mgmt_op *m, int *tid)
{
	const char *s = mgmt_arg(m, "tid");
	uint64_t v;

	if (!s)
		return mgmt_fail(m, EINVAL, "target id is not set");
	if (mgmt_parse_u64(s, 0x7fffffff, &v))
		return mgmt_fail(m, EINVAL, "invalid target id '%s'", s);
	*tid = (int)v;
	return 0;
}

int mgmt_target(struct mgmt_op *m, struct target **t)
{
	int tid, ret = mgmt_tid(m, &tid);

	if (ret)
		return ret;
	*t = target_find_tid(tid);
	if (!*t)
		return mgmt_fail(m, ENOENT, "can't find the target");
	return 0;
}

int mgmt_lun(struct mgmt_op *m, uint64_t *lun)
{
	const char *s = mgmt_arg(m, "lun");

	if (!s)
		return mgmt_fail(m, EINVAL, "logical unit number is not set");
	/* tgt's flat space: 14-bit LUNs */
	if (mgmt_parse_u64(s, 16383, lun))
		return mgmt_fail(m, EINVAL,
				 "invalid logical unit number '%s' (0..16383)",
				 s);
	return 0;
}

int mgmt_each_param(struct mgmt_op *m, const char *list,
		    int (*fn)(struct mgmt_op *m, const char *k, const char *v,
			      void *arg),
		    void *arg)
{
	char *copy = strdup(list), *save = NULL, *item;
	int ret = 0;

	if (!copy)
		return mgmt_fail(m, ENOMEM, "out of memory");
	for (item = strtok_r(copy, ",", &save); item && !ret;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		if (!eq || eq == item) {
			/* a share-peer URL split at a comma: its tail may be
			 * a password, and failures reach the debug log */
			if (strstr(list, "://"))
				ret = mgmt_fail(m, EINVAL,
						"bad parameter (want "
						"key=value, no commas in "
						"values)");
			else
				ret = mgmt_fail(m, EINVAL,
						"bad parameter '%s' (want "
						"key=value)",
						item);
			break;
		}
		*eq = '\0';
		ret = fn(m, item, eq + 1, arg);
	}
	free(copy);
	return ret;
}

int mgmt_unsupported(struct mgmt_op *m)
{
	return mgmt_fail(m, EOPNOTSUPP, "this operation isn't supported");
}
