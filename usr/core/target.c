// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The configuration model: targets, ACLs, CHAP accounts and per-target iSCSI
 * key overrides. Only management mutates it, always from the loop thread, so
 * no locking. Error strings follow tgtadm's wording so admins recognise them.
 */
#include "target.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

static LIST_HEAD(targets);
static LIST_HEAD(accounts);

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

static bool str_fits(const char *s, size_t max)
{
	return s && strnlen(s, max) < max;
}

/*
 * Names and user names end up in text PDUs, show output and targets.conf
 * dumps: refuse anything that would break those line-oriented formats.
 */
static bool printable_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

struct list_head *target_list(void)
{
	return &targets;
}

struct target *target_find_tid(int tid)
{
	struct target *t;

	list_for_each_entry (t, &targets, node)
		if (t->tid == tid)
			return t;
	return NULL;
}

struct target *target_find_name(const char *name)
{
	struct target *t;

	if (!name)
		return NULL;
	/* iSCSI names compare case-insensitively (RFC 3722 normalises case) */
	list_for_each_entry (t, &targets, node)
		if (!strcasecmp(t->name, name))
			return t;
	return NULL;
}

int target_create(int tid, const char *name, char *err, size_t errlen)
{
	struct target *t, *pos;

	if (tid <= 0) {
		set_err(err, errlen, "target id must be a positive number");
		return -EINVAL;
	}
	if (!name || !str_fits(name, TGTX_NAME_MAX) || !printable_token(name)) {
		set_err(err, errlen, "invalid target name");
		return -EINVAL;
	}
	if (target_find_tid(tid)) {
		set_err(err, errlen, "this target already exists");
		return -EEXIST;
	}
	if (target_find_name(name)) {
		set_err(err, errlen, "this target name already exists");
		return -EEXIST;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->tid = tid;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->state = TARGET_READY;
	list_init(&t->luns);
	list_init(&t->acls);
	list_init(&t->in_users);
	list_init(&t->params);
	list_init(&t->nexuses);

	/* keep the list sorted by tid: show output and dumps rely on it */
	list_for_each_entry (pos, &targets, node)
		if (pos->tid > tid)
			break;
	list_add_tail(&t->node, &pos->node);
	log_info("target %d %s created", tid, t->name);
	return 0;
}

static void free_list_kv(struct list_head *head)
{
	struct kv *kv, *n;

	list_for_each_entry_safe (kv, n, head, node) {
		list_del(&kv->node);
		free(kv);
	}
}

/*
 * Frees the configuration of a target. Its sessions and logical units belong
 * to the layers above, which end them first (mgmt_target_destroy): core only
 * refuses to free a target that still links LUs it cannot free itself.
 */
int target_destroy(int tid, char *err, size_t errlen)
{
	struct target *t = target_find_tid(tid);
	struct acl_entry *a, *an;

	if (!t) {
		set_err(err, errlen, "can't find the target");
		return -ENOENT;
	}
	if (!list_empty(&t->luns)) {
		set_err(err, errlen, "this target still has logical units");
		return -EBUSY;
	}
	list_for_each_entry_safe (a, an, &t->acls, node) {
		list_del(&a->node);
		free(a);
	}
	free_list_kv(&t->in_users);
	free_list_kv(&t->params);
	list_del(&t->node);
	log_info("target %d %s destroyed", t->tid, t->name);
	free(t);
	return 0;
}

void target_destroy_all(void)
{
	struct target *t, *n;
	struct account *acc, *an;
	char err[128];

	list_for_each_entry_safe (t, n, &targets, node)
		if (target_destroy(t->tid, err, sizeof(err)))
			log_warn("target %d not destroyed: %s", t->tid, err);
	list_for_each_entry_safe (acc, an, &accounts, node) {
		list_del(&acc->node);
		free(acc);
	}
}

/* ---- ACLs ---- */

static struct acl_entry *acl_find(const struct target *t, enum acl_kind kind,
				  const char *pattern)
{
	struct acl_entry *a;

	list_for_each_entry (a, &t->acls, node)
		if (a->kind == kind && !strcasecmp(a->pattern, pattern))
			return a;
	return NULL;
}

int target_acl_add(struct target *t, enum acl_kind kind, const char *pattern,
		   char *err, size_t errlen)
{
	struct acl_entry *a;

	if (!pattern || !str_fits(pattern, TGTX_NAME_MAX)) {
		set_err(err, errlen, "invalid access control pattern");
		return -EINVAL;
	}
	if (kind == ACL_ADDR && !acl_pattern_valid(pattern)) {
		set_err(err, errlen,
			"invalid initiator address (use ALL, an IPv4/IPv6 "
			"address or a CIDR such as 10.0.0.0/8)");
		return -EINVAL;
	}
	if (kind == ACL_NAME && !printable_token(pattern)) {
		set_err(err, errlen, "invalid initiator name");
		return -EINVAL;
	}
	if (acl_find(t, kind, pattern)) {
		set_err(err, errlen, "this access control rule already exists");
		return -EEXIST;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	a->kind = kind;
	snprintf(a->pattern, sizeof(a->pattern), "%s", pattern);
	list_add_tail(&a->node, &t->acls);
	return 0;
}

int target_acl_del(struct target *t, enum acl_kind kind, const char *pattern)
{
	struct acl_entry *a;

	if (!pattern)
		return -EINVAL;
	a = acl_find(t, kind, pattern);
	if (!a)
		return -ENOENT;
	list_del(&a->node);
	free(a);
	return 0;
}

bool target_acl_permits(const struct target *t, const struct sockaddr *peer,
			const char *initiator_name)
{
	const struct acl_entry *a;
	bool addr_ok = false, have_names = false, name_ok = false;

	list_for_each_entry (a, &t->acls, node) {
		if (a->kind == ACL_ADDR) {
			if (!addr_ok && acl_addr_match(a->pattern, peer))
				addr_ok = true;
		} else {
			have_names = true;
			if (initiator_name &&
			    !strcasecmp(a->pattern, initiator_name))
				name_ok = true;
		}
	}
	return addr_ok && (!have_names || name_ok);
}

/* ---- accounts ---- */

struct list_head *account_list(void)
{
	return &accounts;
}

struct account *account_find(const char *user)
{
	struct account *acc;

	if (!user)
		return NULL;
	list_for_each_entry (acc, &accounts, node)
		if (!strcmp(acc->user, user))
			return acc;
	return NULL;
}

int account_create(const char *user, const char *password, char *err,
		   size_t errlen)
{
	struct account *acc, *pos;

	if (!user || !str_fits(user, TGTX_SECRET_MAX) ||
	    !printable_token(user)) {
		set_err(err, errlen, "invalid user name");
		return -EINVAL;
	}
	if (!password || !str_fits(password, TGTX_SECRET_MAX) ||
	    !printable_token(password)) {
		set_err(err, errlen,
			"invalid password (1..255 printable characters, "
			"no spaces)");
		return -EINVAL;
	}
	if (account_find(user)) {
		set_err(err, errlen, "this account already exists");
		return -EEXIST;
	}
	acc = calloc(1, sizeof(*acc));
	if (!acc) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(acc->user, sizeof(acc->user), "%s", user);
	snprintf(acc->password, sizeof(acc->password), "%s", password);
	/* sorted by name so show/dump output is stable */
	list_for_each_entry (pos, &accounts, node)
		if (strcmp(pos->user, user) > 0)
			break;
	list_add_tail(&acc->node, &pos->node);
	return 0;
}

static struct kv *in_user_find(const struct target *t, const char *user)
{
	struct kv *kv;

	list_for_each_entry (kv, &t->in_users, node)
		if (!strcmp(kv->key, user))
			return kv;
	return NULL;
}

int account_delete(const char *user)
{
	struct account *acc = account_find(user);
	struct target *t;

	if (!acc)
		return -ENOENT;
	/* a binding to a vanished account would silently lock initiators out */
	list_for_each_entry (t, &targets, node) {
		struct kv *kv = in_user_find(t, user);

		if (kv) {
			list_del(&kv->node);
			free(kv);
		}
		if (!strcmp(t->out_user, user))
			t->out_user[0] = '\0';
	}
	list_del(&acc->node);
	/* the secret must not linger in freed heap memory */
	explicit_bzero(acc->password, sizeof(acc->password));
	free(acc);
	return 0;
}

int target_account_bind(struct target *t, const char *user, bool outgoing,
			char *err, size_t errlen)
{
	struct kv *kv;

	if (!account_find(user)) {
		set_err(err, errlen, "can't find the account");
		return -ENOENT;
	}
	if (outgoing) {
		if (!strcmp(t->out_user, user)) {
			set_err(err, errlen, "this binding already exists");
			return -EEXIST;
		}
		if (t->out_user[0]) {
			set_err(err, errlen,
				"this target already has an outgoing account");
			return -EEXIST;
		}
		snprintf(t->out_user, sizeof(t->out_user), "%s", user);
		return 0;
	}
	if (in_user_find(t, user)) {
		set_err(err, errlen, "this binding already exists");
		return -EEXIST;
	}
	/* kv.key is shorter than a user name may be */
	if (strlen(user) >= sizeof(kv->key)) {
		set_err(err, errlen, "user name too long to bind (max 63)");
		return -ENAMETOOLONG;
	}
	kv = calloc(1, sizeof(*kv));
	if (!kv) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(kv->key, sizeof(kv->key), "%s", user);
	list_add_tail(&kv->node, &t->in_users);
	return 0;
}

int target_account_unbind(struct target *t, const char *user, bool outgoing)
{
	struct kv *kv;

	if (!user)
		return -EINVAL;
	if (outgoing) {
		if (strcmp(t->out_user, user))
			return -ENOENT;
		t->out_user[0] = '\0';
		return 0;
	}
	kv = in_user_find(t, user);
	if (!kv)
		return -ENOENT;
	list_del(&kv->node);
	free(kv);
	return 0;
}

bool target_needs_chap(const struct target *t)
{
	return !list_empty(&t->in_users);
}

const char *target_in_secret(const struct target *t, const char *user)
{
	const struct account *acc;

	if (!user || !in_user_find(t, user))
		return NULL;
	acc = account_find(user);
	return acc ? acc->password : NULL;
}

const struct account *target_out_account(const struct target *t)
{
	if (!t->out_user[0])
		return NULL;
	return account_find(t->out_user);
}

/* ---- per-target iSCSI parameters ---- */

static struct kv *param_find(const struct target *t, const char *key)
{
	struct kv *kv;

	list_for_each_entry (kv, &t->params, node)
		if (!strcasecmp(kv->key, key))
			return kv;
	return NULL;
}

int target_param_check(const char *key, const char *value, char *err,
		       size_t errlen)
{
	if (!key || !value || !*key) {
		set_err(err, errlen, "invalid request");
		return -EINVAL;
	}
	if (strlen(key) >= sizeof(((struct kv *)0)->key) ||
	    strlen(value) >= sizeof(((struct kv *)0)->value)) {
		set_err(err, errlen, "parameter name or value too long");
		return -EINVAL;
	}
	return 0;
}

int target_param_set(struct target *t, const char *key, const char *value,
		     char *err, size_t errlen)
{
	struct kv *kv;
	int ret = target_param_check(key, value, err, errlen);

	if (ret)
		return ret;
	kv = param_find(t, key);
	if (!kv) {
		kv = calloc(1, sizeof(*kv));
		if (!kv) {
			set_err(err, errlen, "out of memory");
			return -ENOMEM;
		}
		snprintf(kv->key, sizeof(kv->key), "%s", key);
		list_add_tail(&kv->node, &t->params);
	}
	snprintf(kv->value, sizeof(kv->value), "%s", value);
	return 0;
}

const char *target_param_get(const struct target *t, const char *key)
{
	const struct kv *kv;

	if (!key)
		return NULL;
	kv = param_find(t, key);
	return kv ? kv->value : NULL;
}
