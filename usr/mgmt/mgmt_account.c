// SPDX-License-Identifier: GPL-2.0-or-later
/* --mode account: CHAP accounts and their binding to targets. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mgmt_priv.h"

static const char *need_user(struct mgmt_op *m)
{
	const char *user = mgmt_arg(m, "user");

	if (!user || !*user)
		mgmt_fail(m, EINVAL, "user name is not set, use --user");
	return user && *user ? user : NULL;
}

static int account_new(struct mgmt_op *m)
{
	const char *user = need_user(m);
	const char *password = mgmt_arg(m, "password");

	if (!user)
		return -EINVAL;
	if (!password)
		return mgmt_fail(m, EINVAL,
				 "password is not set, use --password");
	return account_create(user, password, m->err, sizeof(m->err));
}

/* tgtx extension: change a password without unbinding the account. */
static int account_update(struct mgmt_op *m)
{
	const char *user = need_user(m);
	const char *password = mgmt_arg(m, "password");
	struct account *acc;

	if (!user)
		return -EINVAL;
	if (!password || !*password ||
	    strlen(password) >= sizeof(acc->password) || strchr(password, ' '))
		return mgmt_fail(m, EINVAL, "invalid password");
	acc = account_find(user);
	if (!acc)
		return mgmt_fail(m, ENOENT, "can't find the account");
	snprintf(acc->password, sizeof(acc->password), "%s", password);
	return 0;
}

static int account_del(struct mgmt_op *m)
{
	const char *user = need_user(m);

	if (!user)
		return -EINVAL;
	if (account_delete(user))
		return mgmt_fail(m, ENOENT, "can't find the account");
	return 0;
}

static int account_bind(struct mgmt_op *m, bool bind)
{
	const char *user = need_user(m);
	bool outgoing = mgmt_flag(m, "outgoing");
	struct target *t;
	int ret;

	if (!user)
		return -EINVAL;
	ret = mgmt_target(m, &t);
	if (ret)
		return ret;
	if (bind)
		return target_account_bind(t, user, outgoing, m->err,
					   sizeof(m->err));
	if (!account_find(user))
		return mgmt_fail(m, ENOENT, "can't find the account");
	if (target_account_unbind(t, user, outgoing))
		return mgmt_fail(m, ENOENT, "can't find the binding");
	return 0;
}

static int account_show(struct mgmt_op *m)
{
	struct account *acc;

	strbuf_addf(m->out, "Account list:\n");
	list_for_each_entry (acc, account_list(), node)
		strbuf_addf(m->out, "    %s\n", acc->user);
	return 0;
}

int mgmt_mode_account(struct mgmt_op *m)
{
	if (!strcmp(m->op, "new"))
		return account_new(m);
	if (!strcmp(m->op, "delete"))
		return account_del(m);
	if (!strcmp(m->op, "bind"))
		return account_bind(m, true);
	if (!strcmp(m->op, "unbind"))
		return account_bind(m, false);
	if (!strcmp(m->op, "show"))
		return account_show(m);
	if (!strcmp(m->op, "update"))
		return account_update(m);
	return mgmt_unsupported(m);
}
