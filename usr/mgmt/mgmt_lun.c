// SPDX-License-Identifier: GPL-2.0-or-later
/* --mode logicalunit: create, delete, update and show LUs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "scsi/scsi.h"
#include "mgmt_priv.h"

/* bsopts are "k=v;k=v" (bs.h); room for the flags appended to them */
#define BSOPTS_MAX 1024

/*
 * tgtadm's --bsoflags ("direct", "sync", "direct:sync") become options of
 * the backing store, which decides what they mean for it.
 */
static int merge_oflags(struct mgmt_op *m, const char *bsopts,
			const char *oflags, char *buf, size_t len)
{
	char copy[128], *save = NULL, *f;
	size_t used;

	used = (size_t)snprintf(buf, len, "%s", bsopts ? bsopts : "");
	if (!oflags || !*oflags)
		return used < len ? 0 : mgmt_fail(m, EINVAL, "bsopts too long");
	if (strlen(oflags) >= sizeof(copy))
		return mgmt_fail(m, EINVAL, "bsoflags too long");
	strcpy(copy, oflags);
	for (f = strtok_r(copy, ":,", &save); f;
	     f = strtok_r(NULL, ":,", &save)) {
		if (strcmp(f, "direct") && strcmp(f, "sync"))
			return mgmt_fail(m, EINVAL,
					 "invalid bsoflags '%s' (direct, sync)",
					 f);
		used += (size_t)snprintf(buf + used,
					 used < len ? len - used : 0, "%s%s=1",
					 used ? ";" : "", f);
		if (used >= len)
			return mgmt_fail(m, EINVAL, "bsopts too long");
	}
	return 0;
}

static int set_one(struct mgmt_op *m, const char *k, const char *v, void *arg)
{
	char err[256] = "";
	int ret = scsi_lu_set_param(arg, k, v, err, sizeof(err));

	if (ret)
		return mgmt_fail(m, -ret, "%s",
				 err[0] ? err : "invalid request");
	return 0;
}

/* The --tid and --lun every logical-unit operation names. */
static int target_and_lun(struct mgmt_op *m, struct target **t, uint64_t *lun)
{
	int ret = mgmt_target(m, t);

	return ret ? ret : mgmt_lun(m, lun);
}

static int lun_new(struct mgmt_op *m)
{
	const char *path = mgmt_arg(m, "backing-store");
	const char *bstype = mgmt_arg(m, "bstype");
	const char *params = mgmt_arg(m, "params");
	const char *devtype = mgmt_arg(m, "device-type");
	char bsopts[BSOPTS_MAX], err[256] = "";
	struct scsi_lu *lu;
	struct target *t;
	uint64_t lun;
	int ret;

	ret = target_and_lun(m, &t, &lun);
	if (ret)
		return ret;
	if (devtype && strcmp(devtype, "disk"))
		return mgmt_fail(m, EOPNOTSUPP,
				 "device type '%s' is not supported (disk)",
				 devtype);
	if (!path || !*path) {
		/* only the null store works without a path */
		if (!bstype || strcmp(bstype, "null"))
			return mgmt_fail(m, EINVAL,
					 "specify the backing store with "
					 "--backing-store");
	}
	if (!bstype || !*bstype)
		bstype = "rdwr";
	ret = merge_oflags(m, mgmt_arg(m, "bsopts"), mgmt_arg(m, "bsoflags"),
			   bsopts, sizeof(bsopts));
	if (ret)
		return ret;
	lu = scsi_lu_lookup(t, lun);
	if (lu && lun == 0 && scsi_lu_is_controller(lu) && !scsi_lu_busy(lu)) {
		/* LUN 0 is a placeholder controller until storage claims it */
		ret = scsi_lu_destroy(t, 0, err, sizeof(err));
		if (ret)
			return mgmt_fail(m, -ret, "%s", err);
	} else if (lu) {
		return mgmt_fail(m, EEXIST,
				 "this logical unit number already exists");
	}
	ret = scsi_lu_create(t, lun, bstype, path, bsopts, err, sizeof(err));
	if (ret)
		return mgmt_fail(m, -ret, "%s",
				 err[0] ? err
					: "can't create the logical unit");
	if (!params)
		return 0;
	lu = scsi_lu_lookup(t, lun);
	if (!lu)
		return mgmt_fail(m, EIO,
				 "logical unit vanished after creation");
	ret = mgmt_each_param(m, params, set_one, lu);
	if (ret)
		/* a half-configured LU would surprise initiators: undo */
		scsi_lu_destroy(t, lun, err, sizeof(err));
	return ret;
}

static int lun_delete(struct mgmt_op *m)
{
	struct target *t;
	char err[256] = "";
	uint64_t lun;
	int ret;

	ret = target_and_lun(m, &t, &lun);
	if (ret)
		return ret;
	if (!scsi_lu_lookup(t, lun))
		return mgmt_fail(m, ENOENT, "can't find the logical unit");
	ret = scsi_lu_destroy(t, lun, err, sizeof(err));
	if (ret)
		return mgmt_fail(m, -ret, "%s",
				 err[0] ? err
					: "this logical unit is still active");
	return 0;
}

static int lun_find(struct mgmt_op *m, struct scsi_lu **lu)
{
	struct target *t;
	uint64_t lun;
	int ret;

	ret = target_and_lun(m, &t, &lun);
	if (ret)
		return ret;
	*lu = scsi_lu_lookup(t, lun);
	if (!*lu)
		return mgmt_fail(m, ENOENT, "can't find the logical unit");
	return 0;
}

static int lun_update(struct mgmt_op *m)
{
	const char *params = mgmt_arg(m, "params");
	const char *name = mgmt_arg(m, "name");
	const char *value = mgmt_arg(m, "value");
	struct scsi_lu *lu;
	int ret = lun_find(m, &lu);

	if (ret)
		return ret;
	if (params)
		return mgmt_each_param(m, params, set_one, lu);
	if (name && value)
		return set_one(m, name, value, lu);
	return mgmt_fail(m, EINVAL, "specify --params key=value[,...]");
}

static int lun_show(struct mgmt_op *m)
{
	struct scsi_lu *lu;
	int ret = lun_find(m, &lu);

	if (ret)
		return ret;
	scsi_lu_show(lu, m->out, "");
	return 0;
}

int mgmt_mode_lun(struct mgmt_op *m)
{
	if (!strcmp(m->op, "new"))
		return lun_new(m);
	if (!strcmp(m->op, "delete"))
		return lun_delete(m);
	if (!strcmp(m->op, "update"))
		return lun_update(m);
	if (!strcmp(m->op, "show"))
		return lun_show(m);
	return mgmt_unsupported(m);
}
