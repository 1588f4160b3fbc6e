// SPDX-License-Identifier: GPL-2.0-or-later
/* --mode target: create, delete, show, ACL binding and parameter updates. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "iscsi/iscsi.h"
#include "mgmt_priv.h"
#include "mgmt_target.h"
#include "scsi/scsi.h"

#define IND1 "    "
#define IND2 "        "

static void show_accounts(struct target *t, struct strbuf *out)
{
	struct kv *kv;

	strbuf_addf(out, IND1 "Account information:\n");
	list_for_each_entry (kv, &t->in_users, node)
		strbuf_addf(out, IND2 "%s\n", kv->key);
	if (t->out_user[0])
		strbuf_addf(out, IND2 "%s (outgoing)\n", t->out_user);
}

static void show_acls(struct target *t, struct strbuf *out)
{
	struct acl_entry *a;

	/* tgt lists addresses first, then initiator names */
	strbuf_addf(out, IND1 "ACL information:\n");
	list_for_each_entry (a, &t->acls, node)
		if (a->kind == ACL_ADDR)
			strbuf_addf(out, IND2 "%s\n", a->pattern);
	list_for_each_entry (a, &t->acls, node)
		if (a->kind == ACL_NAME)
			strbuf_addf(out, IND2 "%s\n", a->pattern);
}

void mgmt_show_target(struct target *t, struct strbuf *out)
{
	struct scsi_lu *lu;

	strbuf_addf(out, "Target %d: %s\n", t->tid, t->name);
	strbuf_addf(out, IND1 "System information:\n");
	strbuf_addf(out, IND2 "Driver: iscsi\n");
	strbuf_addf(out, IND2 "State: %s\n",
		    t->state == TARGET_READY ? "ready" : "offline");
	strbuf_addf(out, IND1 "I_T nexus information:\n");
	iscsi_target_show_sessions(t, out, IND2);
	strbuf_addf(out, IND1 "LUN information:\n");
	for (lu = scsi_lu_next(t, NULL); lu; lu = scsi_lu_next(t, lu))
		scsi_lu_show(lu, out, IND2);
	show_accounts(t, out);
	show_acls(t, out);
}

static int target_new(struct mgmt_op *m)
{
	const char *name = mgmt_arg(m, "targetname");
	int tid, ret;

	ret = mgmt_tid(m, &tid);
	if (ret)
		return ret;
	if (!name || !*name)
		return mgmt_fail(m, EINVAL,
				 "creating new target requires a name, use "
				 "--targetname");
	ret = target_create(tid, name, m->err, sizeof(m->err));
	if (ret == -EEXIST && target_find_tid(tid) == NULL)
		/* tgtadm says the same for a duplicate name */
		snprintf(m->err, sizeof(m->err), "this target already exists");
	if (ret)
		return ret;
	/* like tgt, every target starts with a controller LU 0 */
	ret = scsi_lu_create(target_find_tid(tid), 0, NULL, NULL, NULL, m->err,
			     sizeof(m->err));
	if (ret) {
		char ignored[64];

		target_destroy(tid, ignored, sizeof(ignored));
	}
	return ret;
}

/*
 * Deleting a target spans three layers, so it lives here, above all of them:
 * sessions (iSCSI), then LUs (SCSI), then the configuration (core).
 */
int mgmt_target_destroy(int tid, bool force, char *err, size_t errlen)
{
	struct target *t = target_find_tid(tid);

	if (!t) {
		snprintf(err, errlen, "can't find the target");
		return -ENOENT;
	}
	if (iscsi_target_nr_sessions(t) > 0) {
		if (!force) {
			snprintf(err, errlen, "this target is still active");
			return -EBUSY;
		}
		iscsi_target_close_sessions(t);
	}
	/*
	 * Commands still in flight hold their LU; freeing it under them would
	 * be a use-after-free once the backing store completes.
	 */
	if (scsi_target_busy(t)) {
		snprintf(err, errlen, "this logical unit is still active");
		return -EBUSY;
	}
	scsi_lu_destroy_all(t);
	return target_destroy(tid, err, errlen);
}

void mgmt_target_destroy_all(void)
{
	struct target *t, *n;
	char err[128];

	list_for_each_entry_safe (t, n, target_list(), node)
		if (mgmt_target_destroy(t->tid, true, err, sizeof(err)))
			log_warn("target %d not destroyed: %s", t->tid, err);
	/* the accounts; targets left busy above stay (and were logged) */
	target_destroy_all();
}

static int target_delete(struct mgmt_op *m)
{
	int tid, ret = mgmt_tid(m, &tid);

	if (ret)
		return ret;
	return mgmt_target_destroy(tid, mgmt_flag(m, "force"), m->err,
				   sizeof(m->err));
}

static int target_show(struct mgmt_op *m)
{
	struct target *t;
	int ret;

	if (!mgmt_arg(m, "tid")) {
		list_for_each_entry (t, target_list(), node)
			mgmt_show_target(t, m->out);
		return 0;
	}
	ret = mgmt_target(m, &t);
	if (ret)
		return ret;
	mgmt_show_target(t, m->out);
	strbuf_addf(m->out, IND1 "iSCSI parameters:\n");
	iscsi_param_show(t, m->out, IND2);
	return 0;
}

static int target_bind(struct mgmt_op *m, bool bind)
{
	const char *addr = mgmt_arg(m, "initiator-address");
	const char *name = mgmt_arg(m, "initiator-name");
	struct target *t;
	int ret = mgmt_target(m, &t);

	if (ret)
		return ret;
	if (!addr && !name)
		return mgmt_fail(m, EINVAL,
				 "specify --initiator-address or "
				 "--initiator-name");
	if (bind) {
		if (addr) {
			ret = target_acl_add(t, ACL_ADDR, addr, m->err,
					     sizeof(m->err));
			if (ret)
				return ret;
		}
		if (name) {
			ret = target_acl_add(t, ACL_NAME, name, m->err,
					     sizeof(m->err));
			/* all or nothing */
			if (ret && addr)
				target_acl_del(t, ACL_ADDR, addr);
		}
		return ret;
	}
	if (addr && target_acl_del(t, ACL_ADDR, addr))
		return mgmt_fail(m, ENOENT,
				 "this access control rule does not exist");
	if (name && target_acl_del(t, ACL_NAME, name))
		return mgmt_fail(m, ENOENT,
				 "this access control rule does not exist");
	return 0;
}

static int set_state(struct mgmt_op *m, struct target *t, const char *value)
{
	if (!strcasecmp(value, "ready")) {
		t->state = TARGET_READY;
		return 0;
	}
	if (!strcasecmp(value, "offline")) {
		t->state = TARGET_OFFLINE;
		return 0;
	}
	return mgmt_fail(m, EINVAL, "invalid state '%s' (ready or offline)",
			 value);
}

static int update_one(struct mgmt_op *m, const char *k, const char *v,
		      void *arg)
{
	struct target *t = arg;

	int ret;

	if (!strcasecmp(k, "state"))
		return set_state(m, t, v);
	/* core stores any key; which keys mean something is iSCSI's to say */
	ret = target_param_check(k, v, m->err, sizeof(m->err));
	if (!ret)
		ret = iscsi_param_check(k, v, m->err, sizeof(m->err));
	if (ret)
		return ret < 0 ? ret : -EINVAL;
	return target_param_set(t, k, v, m->err, sizeof(m->err));
}

static int target_update(struct mgmt_op *m)
{
	const char *name = mgmt_arg(m, "name");
	const char *value = mgmt_arg(m, "value");
	const char *params = mgmt_arg(m, "params");
	struct target *t;
	int ret = mgmt_target(m, &t);

	if (ret)
		return ret;
	if (params)
		return mgmt_each_param(m, params, update_one, t);
	if (!name || !value)
		return mgmt_fail(m, EINVAL, "specify --name and --value");
	return update_one(m, name, value, t);
}

int mgmt_mode_target(struct mgmt_op *m)
{
	if (!strcmp(m->op, "new"))
		return target_new(m);
	if (!strcmp(m->op, "delete"))
		return target_delete(m);
	if (!strcmp(m->op, "show"))
		return target_show(m);
	if (!strcmp(m->op, "bind"))
		return target_bind(m, true);
	if (!strcmp(m->op, "unbind"))
		return target_bind(m, false);
	if (!strcmp(m->op, "update"))
		return target_update(m);
	return mgmt_unsupported(m);
}
