// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The running configuration as targets.conf text (tgtx-admin --dump), and
 * the same with tgtx's own state lines for tgtx-admin's diffing: `tid`,
 * `active-sessions` and top-level `account` (see doc/management.md).
 */
#include <stdio.h>

#include "iscsi/iscsi.h"
#include "scsi/scsi.h"
#include "mgmt_priv.h"

static void dump_target(struct target *t, struct strbuf *out, bool internal)
{
	const struct account *acc;
	struct acl_entry *a;
	struct scsi_lu *lu;
	struct kv *kv;

	strbuf_addf(out, "<target %s>\n", t->name);
	if (internal) {
		strbuf_addf(out, "\ttid %d\n", t->tid);
		strbuf_addf(out, "\tactive-sessions %d\n",
			    iscsi_target_nr_sessions(t));
	}
	for (lu = scsi_lu_next(t, NULL); lu; lu = scsi_lu_next(t, lu))
		scsi_lu_dump(lu, out);
	list_for_each_entry (a, &t->acls, node)
		strbuf_addf(out, "\t%s %s\n",
			    a->kind == ACL_ADDR ? "initiator-address"
						: "initiator-name",
			    a->pattern);
	list_for_each_entry (kv, &t->in_users, node) {
		acc = account_find(kv->key);
		if (acc)
			strbuf_addf(out, "\tincominguser %s %s\n", acc->user,
				    acc->password);
	}
	acc = target_out_account(t);
	if (acc)
		strbuf_addf(out, "\toutgoinguser %s %s\n", acc->user,
			    acc->password);
	list_for_each_entry (kv, &t->params, node)
		strbuf_addf(out, "\t%s %s\n", kv->key, kv->value);
	strbuf_addf(out, "</target>\n\n");
}

void mgmt_dump_config(struct strbuf *out, bool internal)
{
	struct account *acc;
	struct target *t;

	strbuf_addf(out, "default-driver iscsi\n\n");
	if (internal)
		list_for_each_entry (acc, account_list(), node)
			strbuf_addf(out, "account %s %s\n", acc->user,
				    acc->password);
	if (internal && !list_empty(account_list()))
		strbuf_addf(out, "\n");
	list_for_each_entry (t, target_list(), node)
		dump_target(t, out, internal);
}
