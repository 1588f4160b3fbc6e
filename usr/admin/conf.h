/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tgt-compatible targets.conf, parsed into a model tgtx-admin compares with
 * the running daemon. The running daemon's state is read back through the
 * same parser (its dump adds the tgtx lines `tid`, `active-sessions` and a
 * top-level `account`), so both sides of a diff have one shape.
 */
#ifndef TGTX_CONF_H
#define TGTX_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "core/list.h"

/* Hostile-input bounds: anything larger is refused with an error. */
#define CONF_LINE_MAX	    65536 /* one logical line, continuations joined */
#define CONF_FILE_MAX	    (16u << 20) /* one file */
#define CONF_INCLUDE_DEPTH  8
#define CONF_TARGETS_MAX    4096
#define CONF_LUNS_MAX	    1024 /* per target */
#define CONF_LUN_NUMBER_MAX 16383
#define CONF_PEERS_MAX	    16 /* share-peer 0..15 (core/share_peer.h) */

struct conf_kv {
	struct list_head node;
	char *key;
	char *value; /* may be NULL for plain lists (ACLs) */
};

/*
 * `share-peer I URL [transport=] [pin=] [rate=] [retain=]` of an xorshare
 * LUN (doc/management.md), every value checked by core/share_peer.h at
 * parse time. NULL = unset; a peer is configured when url is set. The
 * daemon dump writes the same line, so tgtx-replicd reads both through
 * this struct.
 */
struct conf_peer {
	char *url; /* may hold USER%PASSWORD: never log it unmasked */
	char *transport;
	char *pin;
	char *rate;
	char *retain;
	/* tgtx-admin's own: where the url was set (error messages) */
	const char *file;
	int line;
};

/*
 * LU settings. In a target's `defaults`, those written at target level,
 * inherited by each of its LUNs that does not set them itself.
 */
struct conf_lun {
	struct list_head node;
	char *path;		 /* backing-store / direct-store argument */
	long lun;		 /* -1: numbered automatically from 1 */
	char *bstype;		 /* NULL: inherit (then rdwr) */
	char *bsopts;		 /* "k=v;k=v" */
	char *bsoflags;		 /* "direct", "sync", "direct:sync" */
	int allow_in_use;	 /* -1 inherit, 0, 1 */
	struct list_head params; /* conf_kv: scsi_lu_set_param key -> value */
	/*
	 * By share index. After parsing, a LUN's array is effective: a peer
	 * set at target level is copied into each LUN that does not set
	 * that index itself.
	 */
	struct conf_peer peers[CONF_PEERS_MAX];
	const char *file; /* where it was defined (owned by the conf) */
	int line;
};

struct conf_target {
	struct list_head node;
	char *name;
	int tid;		    /* 0: none given */
	int sessions;		    /* active-sessions (daemon dumps only) */
	struct list_head luns;	    /* conf_lun, sorted by lun after parsing */
	struct list_head addrs;	    /* conf_kv key: initiator-address */
	struct list_head names;	    /* conf_kv key: initiator-name */
	struct list_head in_users;  /* conf_kv user -> password */
	struct list_head out_users; /* at most one */
	struct list_head iscsi;	    /* conf_kv iSCSI key -> value */
	struct conf_lun defaults;
	const char *file;
	int line;
};

struct conf {
	struct list_head targets;
	struct list_head accounts; /* top-level `account U P` (daemon dumps) */
	bool ignore_errors;
	int control_port;	  /* -1 when not set */
	struct list_head strings; /* file names, freed with the conf */
};

/* 0, or -errno with "FILE:LINE: message" in err. */
int conf_parse_file(const char *path, struct conf **out, char *err,
		    size_t errlen);
int conf_parse_string(const char *text, size_t len, const char *name,
		      struct conf **out, char *err, size_t errlen);
void conf_free(struct conf *c);

struct conf_target *conf_find_target(const struct conf *c, const char *name);
struct conf_lun *conf_find_lun(const struct conf_target *t, long lun);
/* Effective LU settings (the LUN's own, else the target's). */
const char *conf_lun_bstype(const struct conf_target *t,
			    const struct conf_lun *l);
const char *conf_lun_bsopts(const struct conf_target *t,
			    const struct conf_lun *l);
const char *conf_lun_bsoflags(const struct conf_target *t,
			      const struct conf_lun *l);
bool conf_lun_allow_in_use(const struct conf_target *t,
			   const struct conf_lun *l);
/* Value of LU parameter key, LUN first then target; NULL when unset. */
const char *conf_lun_param(const struct conf_target *t,
			   const struct conf_lun *l, const char *key);
/* The peer's option o (enum share_peer_opt: 0 url .. 4 retain); NULL unset. */
const char *conf_peer_opt(const struct conf_peer *p, int o);
/* The LU parameter keys understood (NULL-terminated). */
extern const char *const conf_lu_param_keys[];

#endif
