/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration model shared by every layer: targets, their logical
 * units, initiator ACLs, CHAP accounts and per-target iSCSI parameters.
 * Mutated only by the management code, read by iSCSI login and SCSI.
 */
#ifndef TGTX_TARGET_H
#define TGTX_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "list.h"

struct strbuf;

#define TGTX_NAME_MAX	224 /* iSCSI names are at most 223 bytes (RFC 7143) */
#define TGTX_SECRET_MAX 256

enum acl_kind { ACL_ADDR, ACL_NAME };

struct acl_entry {
	struct list_head node;
	enum acl_kind kind;
	/* ACL_ADDR: "ALL", an IPv4/IPv6 address or a CIDR ("10.0.0.0/8");
	 * ACL_NAME: an initiator IQN (exact, case-insensitive match). */
	char pattern[TGTX_NAME_MAX];
};

struct account {
	struct list_head node;
	char user[TGTX_SECRET_MAX];
	char password[TGTX_SECRET_MAX];
};

struct kv {
	struct list_head node;
	char key[64];
	char value[256];
};

enum target_state { TARGET_READY, TARGET_OFFLINE };

struct target {
	struct list_head node;
	int tid;
	char name[TGTX_NAME_MAX];
	enum target_state state;
	struct list_head luns;		/* owned by the SCSI layer (scsi.h) */
	struct list_head acls;		/* struct acl_entry */
	struct list_head in_users;	/* struct kv: key = account user name */
	char out_user[TGTX_SECRET_MAX]; /* "" when no outgoing account */
	/* iSCSI key overrides (e.g. MaxRecvDataSegmentLength, HeaderDigest) */
	struct list_head params;  /* struct kv */
	struct list_head nexuses; /* struct scsi_it_nexus of live sessions */
};

/* ---- targets ---- */
struct list_head *target_list(void); /* sorted by tid */
struct target *target_find_tid(int tid);
struct target *target_find_name(const char *name);
int target_create(int tid, const char *name, char *err, size_t errlen);
/*
 * Frees the target's configuration. Its sessions and logical units are the
 * upper layers' to end first (mgmt_target_destroy); -EBUSY while t->luns is
 * not empty.
 */
int target_destroy(int tid, char *err, size_t errlen);
/* Every target without LUs (the others are logged), then every account. */
void target_destroy_all(void);

/* ---- ACLs ---- */
int target_acl_add(struct target *t, enum acl_kind kind, const char *pattern,
		   char *err, size_t errlen);
int target_acl_del(struct target *t, enum acl_kind kind, const char *pattern);
/*
 * An initiator may log in when the address list matches its address (empty
 * address list: nobody, as in tgt) and, if the name list is not empty, the
 * name list matches its name.
 */
bool target_acl_permits(const struct target *t, const struct sockaddr *peer,
			const char *initiator_name);
/* "ALL", exact address or CIDR match; IPv4-mapped IPv6 peers match IPv4. */
bool acl_addr_match(const char *pattern, const struct sockaddr *peer);
bool acl_pattern_valid(const char *pattern);

/* ---- CHAP accounts (global, bound to targets by user name) ---- */
struct list_head *account_list(void);
struct account *account_find(const char *user);
int account_create(const char *user, const char *password, char *err,
		   size_t errlen);
int account_delete(const char *user);
int target_account_bind(struct target *t, const char *user, bool outgoing,
			char *err, size_t errlen);
int target_account_unbind(struct target *t, const char *user, bool outgoing);
/* Incoming CHAP is required iff the target has at least one incoming user. */
bool target_needs_chap(const struct target *t);
/* Secret of an incoming user bound to t, NULL if the user is not bound. */
const char *target_in_secret(const struct target *t, const char *user);
/* Outgoing (mutual CHAP) account of t, NULL when none. */
const struct account *target_out_account(const struct target *t);

/*
 * ---- per-target iSCSI parameters ----
 * Core stores them as opaque key/value pairs; the iSCSI layer owns their
 * meaning, so management validates with iscsi_param_check() first.
 */
/* Only what storing needs: a key and a value that fit. */
int target_param_check(const char *key, const char *value, char *err,
		       size_t errlen);
int target_param_set(struct target *t, const char *key, const char *value,
		     char *err, size_t errlen);
const char *target_param_get(const struct target *t, const char *key);

#endif
