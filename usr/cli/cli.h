/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tgtxcli: targetcli's object tree on top of tgtxd.
 *
 * The configuration is held as a jansson tree in the layout of rtslib's
 * saveconfig.json (doc/tgtxcli.md): {"storage_objects": [...], "targets":
 * [...]}. Every command reads the running configuration into such a tree
 * (cli_read), edits a copy, and cli_apply turns the difference into
 * control-socket requests, undoing what it did when one fails, so a
 * command either happens completely or not at all.
 *
 * Keys starting with '_' are runtime figures (size, protection, lag)
 * shown by ls but never saved.
 */
#ifndef TGTX_CLI_H
#define TGTX_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/share_peer.h"

#define CLI_PATH_MAX	   1024
#define CLI_ARGS_MAX	   32
#define CLI_ERR_MAX	   1024
#define CLI_PEERS_MAX	   SHARE_PEERS_MAX /* share-peer.0 .. share-peer.15 */
#define CLI_NAME_MAX	   63		   /* backstore names */
#define CLI_BACKUPS	   10 /* saveconfig copies kept in the backup dir */
#define CLI_FILE_MAX	   (16u << 20)
#define CLI_DEFAULT_CONFIG "/etc/tgtx/saveconfig.json"
#define CLI_DEFAULT_BACKUP "/etc/tgtx/backup"

struct cli {
	const char *sock;	    /* control socket of tgtxd */
	const char *config;	    /* saveconfig default file */
	const char *backup_dir;	    /* older saveconfig copies */
	const char *state;	    /* backstores not yet mapped to a LUN */
	const char *default_portal; /* "" for none */
	char cwd[CLI_PATH_MAX];
	bool changed; /* a command changed the configuration */
	bool quit;
	FILE *out;
	char err[CLI_ERR_MAX];
};

/* Sets c->err (printf-style) and returns -1. */
int cli_fail(struct cli *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- control socket (cli_daemon.c) ---- */
/*
 * One request: obj holds the fields (string values). On success the text
 * goes to *text (malloc'd, may be NULL). Returns 0, or -1 with c->err set.
 */
int cli_call(struct cli *c, json_t *req, char **text);
/* Builds a request from "key", "value", ... pairs ending with NULL. */
json_t *cli_req(const char *key, ...) __attribute__((sentinel));

/* ---- running configuration (cli_read.c) ---- */
/* The daemon's configuration plus unmapped backstores; NULL on error. */
json_t *cli_read(struct cli *c);

/* ---- unmapped backstores (cli_state.c) ---- */
json_t *cli_state_load(struct cli *c);
int cli_state_save(struct cli *c, json_t *objs);

/* ---- applying a changed tree (cli_apply.c) ---- */
struct cli_apply_opts {
	bool delete_portals; /* portals missing from `to` are closed */
};
int cli_apply(struct cli *c, json_t *from, json_t *to,
	      const struct cli_apply_opts *o);

/* ---- model helpers (cli_model.c) ---- */
json_t *cli_model_new(void);
json_t *cli_so_find(json_t *m, const char *plugin, const char *name);
json_t *cli_target_find(json_t *m, const char *wwn);
json_t *cli_tpg(json_t *target); /* tpg1 */
json_t *cli_lun_find(json_t *tpg, long idx);
json_t *cli_acl_find(json_t *tpg, const char *wwn);
/* "/backstores/fileio/disk1" of a storage object */
void cli_so_path(json_t *so, char *buf, size_t len);
json_t *cli_so_by_path(json_t *m, const char *path);
/* LUNs (target wwn, lun index) using a storage object: array of [wwn,idx] */
json_t *cli_so_users(json_t *m, json_t *so);
const char *cli_str(json_t *o, const char *key); /* "" when absent */
long long cli_int(json_t *o, const char *key, long long def);
bool cli_valid_plugin(const char *p);
/* generate_node_acls / authentication attributes as tgtxd behaves */
void cli_tpg_derive(json_t *tpg);
/* initiator-address rules tgtxd needs for the tpg's ACL settings */
void cli_tpg_addresses(json_t *tpg);
bool cli_valid_wwn(const char *s);
bool cli_valid_name(const char *s);
/* a peer URL with any user:password@ replaced by "***@" */
void cli_mask_url(const char *url, char *buf, size_t len);
/* "64.0MiB" */
void cli_human(uint64_t bytes, char *buf, size_t len);
int cli_parse_size(const char *s, uint64_t *out);

/* ---- paths (cli_path.c) ---- */
enum cli_kind {
	N_ROOT,
	N_BACKSTORES,
	N_BSTYPE,
	N_BS,
	N_PEERS,
	N_PEER,
	N_ISCSI,
	N_TARGET,
	N_TPG,
	N_LUNS,
	N_LUN,
	N_ACLS,
	N_ACL,
	N_MLUN,
	N_PORTALS,
	N_PORTAL,
};

struct cli_node {
	enum cli_kind kind;
	char path[CLI_PATH_MAX]; /* canonical absolute path */
	json_t *obj;		 /* storage object, target, tpg, lun, acl,
				    portal or peer; borrowed from the model */
	json_t *parent;		 /* target for tpg-level nodes, so for peers */
	char plugin[16];	 /* N_BSTYPE, N_BS, N_PEERS, N_PEER */
};

/* Joins cwd and path and removes ".", ".." and duplicate slashes. */
int cli_path_normalize(const char *cwd, const char *path, char *out,
		       size_t len);
/* Resolves path against the model; -1 with c->err when it names nothing. */
int cli_resolve(struct cli *c, json_t *m, const char *path, struct cli_node *n);
/* Names of the children of a node (json array of strings). */
json_t *cli_children(json_t *m, const struct cli_node *n);

/* ---- commands (cli_cmd.c, cli_verbs_*.c) ---- */
struct cli_args {
	int npos;
	const char *pos[CLI_ARGS_MAX];
	int nkv;
	const char *key[CLI_ARGS_MAX];
	const char *val[CLI_ARGS_MAX];
	char buf[8192];
};

/* Splits a command line into words (quotes, backslashes). */
int cli_split(const char *line, int *argc, char **argv, int max, char *buf,
	      size_t buflen);
int cli_parse_args(struct cli *c, int argc, char **argv, struct cli_args *a);
const char *cli_arg(const struct cli_args *a, const char *key);
/* Fails on any key=value not in the NULL-terminated list. */
int cli_only_keys(struct cli *c, const struct cli_args *a,
		  const char *const *known);

/* Runs one command line (words); 0 or -1 with c->err set. */
int cli_exec(struct cli *c, int argc, char **argv);
int cli_exec_line(struct cli *c, const char *line);
/* The verbs a node kind accepts (NULL-terminated). */
const char *const *cli_verbs(enum cli_kind k);
/* Parameter names a verb takes at a node kind (NULL-terminated). */
const char *const *cli_verb_params(enum cli_kind k, const char *verb);

struct cli_cmd {
	struct cli *c;
	json_t *m;	       /* running configuration */
	json_t *nm;	       /* copy being edited */
	struct cli_node node;  /* in m */
	struct cli_node nnode; /* the same path in nm */
	struct cli_args *a;
	struct cli_apply_opts ao;
};

/* Verbs: 1 when nm changed and must be applied, 0 when done, -1 error. */
int cli_bind(struct cli *c, const struct cli_args *a, const char *const *params,
	     const char **vals);
int cli_bool(struct cli *c, const char *name, const char *v, bool *out);
int cli_verb_bs(struct cli_cmd *x, const char *verb);
int cli_verb_iscsi(struct cli_cmd *x, const char *verb);
int cli_verb_setget(struct cli_cmd *x, const char *verb);
int cli_verb_config(struct cli_cmd *x, const char *verb);
void cli_ls(struct cli *c, json_t *m, const struct cli_node *n, int depth);
void cli_info(struct cli *c, const struct cli_node *n);

/* ---- saveconfig files (cli_file.c, cli_import.c) ---- */
/* Writes the tree (runtime keys stripped) atomically, 0600, with backup. */
int cli_save(struct cli *c, json_t *m, const char *path);
/* Reads a saveconfig.json (tgtx's or LIO's) into a model; what cannot be
 * represented is appended to report (one line each). NULL on error. */
json_t *cli_load_file(struct cli *c, const char *path, json_t *report);
json_t *cli_import(const char *text, size_t len, json_t *report, char *err,
		   size_t errlen);
/* tmp file, fsync, rename, dir fsync; mode 0600 */
int cli_write_atomic(struct cli *c, const char *path, const char *text);
/* The saved form: runtime keys dropped. */
json_t *cli_strip(json_t *m);

/* ---- completion (cli_complete.c) ---- */
/* Candidates for the word being typed in line[0..point). */
json_t *cli_complete(struct cli *c, json_t *m, const char *line, size_t point);
int cli_shell(struct cli *c);

#endif
