// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * targets.conf parser (tgt-admin's format: Config::General style blocks).
 * The input may be anything an admin or an attacker wrote, so every size is
 * bounded and every error names FILE:LINE; nothing is applied from a file
 * that does not parse completely.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/share_peer.h"
#include "core/target.h"

#define MAX_ARGS 64

const char *const conf_lu_param_keys[] = {
	"vendor_id",   "product_id", "product_rev",  "scsi_id",
	"scsi_sn",     "removable",  "readonly",     "online",
	"write-cache", "block_size", "sense_format", "thin_provisioning",
	NULL,
};

/* Directives naming an LU parameter, and the parameter they set. */
static const struct {
	const char *directive;
	const char *param;
} lu_directives[] = {
	{"vendor_id", "vendor_id"},
	{"product_id", "product_id"},
	{"product_rev", "product_rev"},
	{"scsi_id", "scsi_id"},
	{"scsi_sn", "scsi_sn"},
	{"removable", "removable"},
	{"readonly", "readonly"},
	{"online", "online"},
	{"write-cache", "write-cache"},
	{"write_cache", "write-cache"},
	{"block-size", "block_size"},
	{"block_size", "block_size"},
	{"blocksize", "block_size"},
	{"sense-format", "sense_format"},
	{"sense_format", "sense_format"},
	{"thin-provisioning", "thin_provisioning"},
	{"thin_provisioning", "thin_provisioning"},
};

/* iSCSI keys tgt accepts directly in a target block. */
static const char *const iscsi_keys[] = {
	"MaxRecvDataSegmentLength",
	"MaxXmitDataSegmentLength",
	"HeaderDigest",
	"DataDigest",
	"InitialR2T",
	"MaxOutstandingR2T",
	"ImmediateData",
	"FirstBurstLength",
	"MaxBurstLength",
	"DataPDUInOrder",
	"DataSequenceInOrder",
	"ErrorRecoveryLevel",
	"IFMarker",
	"OFMarker",
	"DefaultTime2Wait",
	"DefaultTime2Retain",
	"OFMarkInt",
	"IFMarkInt",
	"MaxConnections",
	"TargetAlias",
	"MaxQueueCmd",
	"QueuedCommands",
	"nop_interval",
	"nop_count",
	"allow_target_reset",
};

struct parser {
	struct conf *c;
	struct conf_target *t; /* open <target>, NULL at top level */
	struct conf_lun *lu;   /* open <backing-store>, NULL outside */
	const char *file;
	int line;
	int depth;
	char *stack[CONF_INCLUDE_DEPTH + 1]; /* real paths being parsed */
	int ntargets;
	char *err;
	size_t errlen;
};

static int perr(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int perr(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->file, p->line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->file, msg);
	return -EINVAL;
}

static int oom(struct parser *p)
{
	snprintf(p->err, p->errlen, "%s: out of memory", p->file);
	return -ENOMEM;
}

/* ---- model helpers ---- */

static struct conf_kv *kv_find(const struct list_head *h, const char *key,
			       bool nocase)
{
	struct conf_kv *kv;

	list_for_each_entry (kv, h, node)
		if (nocase ? !strcasecmp(kv->key, key) : !strcmp(kv->key, key))
			return kv;
	return NULL;
}

/* Sets (replaces) key; a NULL value makes a list entry. */
static int kv_set(struct list_head *h, const char *key, const char *value,
		  bool nocase)
{
	struct conf_kv *kv = kv_find(h, key, nocase);
	char *v = NULL;

	if (value) {
		v = strdup(value);
		if (!v)
			return -ENOMEM;
	}
	if (kv) {
		free(kv->value);
		kv->value = v;
		return 0;
	}
	kv = calloc(1, sizeof(*kv));
	if (!kv || !(kv->key = strdup(key))) {
		free(kv);
		free(v);
		return -ENOMEM;
	}
	kv->value = v;
	list_add_tail(&kv->node, h);
	return 0;
}

static void kv_free_all(struct list_head *h)
{
	struct conf_kv *kv, *n;

	list_for_each_entry_safe (kv, n, h, node) {
		list_del(&kv->node);
		free(kv->key);
		free(kv->value);
		free(kv);
	}
}

static void lun_init(struct conf_lun *l)
{
	memset(l, 0, sizeof(*l));
	list_init(&l->node);
	list_init(&l->params);
	l->lun = -1;
	l->allow_in_use = -1;
}

/* The field of p holding option o (enum share_peer_opt). */
static char **peer_field(struct conf_peer *p, int o)
{
	switch (o) {
	case SP_URL:
		return &p->url;
	case SP_TRANSPORT:
		return &p->transport;
	case SP_PIN:
		return &p->pin;
	case SP_RATE:
		return &p->rate;
	default:
		return &p->retain;
	}
}

const char *conf_peer_opt(const struct conf_peer *p, int o)
{
	if (o < SP_URL || o >= SP_NOPTS)
		return NULL;
	return *peer_field((struct conf_peer *)p, o);
}

static void peer_clear(struct conf_peer *p)
{
	int o;

	for (o = 0; o < SP_NOPTS; o++) {
		free(*peer_field(p, o));
		*peer_field(p, o) = NULL;
	}
}

static void lun_clear(struct conf_lun *l)
{
	int i;

	for (i = 0; i < CONF_PEERS_MAX; i++)
		peer_clear(&l->peers[i]);
	free(l->path);
	free(l->bstype);
	free(l->bsopts);
	free(l->bsoflags);
	kv_free_all(&l->params);
}

static void target_free(struct conf_target *t)
{
	struct conf_lun *l, *n;

	list_for_each_entry_safe (l, n, &t->luns, node) {
		list_del(&l->node);
		lun_clear(l);
		free(l);
	}
	kv_free_all(&t->addrs);
	kv_free_all(&t->names);
	kv_free_all(&t->in_users);
	kv_free_all(&t->out_users);
	kv_free_all(&t->iscsi);
	lun_clear(&t->defaults);
	free(t->name);
	free(t);
}

void conf_free(struct conf *c)
{
	struct conf_target *t, *n;

	if (!c)
		return;
	list_for_each_entry_safe (t, n, &c->targets, node) {
		list_del(&t->node);
		target_free(t);
	}
	kv_free_all(&c->accounts);
	kv_free_all(&c->strings);
	free(c);
}

struct conf_target *conf_find_target(const struct conf *c, const char *name)
{
	struct conf_target *t;

	list_for_each_entry (t, &c->targets, node)
		if (!strcasecmp(t->name, name))
			return t;
	return NULL;
}

struct conf_lun *conf_find_lun(const struct conf_target *t, long lun)
{
	struct conf_lun *l;

	list_for_each_entry (l, &t->luns, node)
		if (l->lun == lun)
			return l;
	return NULL;
}

const char *conf_lun_bstype(const struct conf_target *t,
			    const struct conf_lun *l)
{
	if (l->bstype)
		return l->bstype;
	return t->defaults.bstype ? t->defaults.bstype : "rdwr";
}

const char *conf_lun_bsopts(const struct conf_target *t,
			    const struct conf_lun *l)
{
	return l->bsopts ? l->bsopts : t->defaults.bsopts;
}

const char *conf_lun_bsoflags(const struct conf_target *t,
			      const struct conf_lun *l)
{
	return l->bsoflags ? l->bsoflags : t->defaults.bsoflags;
}

bool conf_lun_allow_in_use(const struct conf_target *t,
			   const struct conf_lun *l)
{
	if (l->allow_in_use >= 0)
		return l->allow_in_use;
	return t->defaults.allow_in_use > 0;
}

const char *conf_lun_param(const struct conf_target *t,
			   const struct conf_lun *l, const char *key)
{
	struct conf_kv *kv = kv_find(&l->params, key, false);

	if (!kv)
		kv = kv_find(&t->defaults.params, key, false);
	return kv ? kv->value : NULL;
}

/* ---- lexical helpers ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Splits s in place into words; "..." and '...' group (backslash escapes
 * the next character inside double quotes). Returns the count or -1.
 */
static int split_words(char *s, char **argv, int max)
{
	int argc = 0;
	char *w = s;

	while (*s) {
		char *start;

		while (is_space(*s))
			s++;
		if (!*s)
			break;
		if (argc == max)
			return -1;
		start = w;
		while (*s && !is_space(*s)) {
			if (*s == '"' || *s == '\'') {
				char q = *s++;

				while (*s && *s != q) {
					if (q == '"' && *s == '\\' && s[1])
						s++;
					*w++ = *s++;
				}
				if (*s != q)
					return -1;
				s++;
			} else {
				*w++ = *s++;
			}
		}
		if (*s)
			s++;
		*w++ = '\0';
		argv[argc++] = start;
	}
	return argc;
}

/* Cuts a '#' comment that starts a word (outside quotes). */
static void strip_comment(char *s)
{
	char q = 0;
	char *p;

	for (p = s; *p; p++) {
		if (q) {
			if (*p == '\\' && q == '"' && p[1])
				p++;
			else if (*p == q)
				q = 0;
		} else if (*p == '"' || *p == '\'') {
			q = *p;
		} else if (*p == '#' && (p == s || is_space(p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

static char *trim(char *s)
{
	size_t n;

	while (is_space(*s))
		s++;
	n = strlen(s);
	while (n && (is_space(s[n - 1]) || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static int parse_long(const char *s, long min, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (!*s || *end || errno || *v < min || *v > max)
		return -1;
	return 0;
}

static int parse_yesno(const char *s)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "on") || !strcmp(s, "1") ||
	    !strcasecmp(s, "true"))
		return 1;
	if (!strcasecmp(s, "no") || !strcasecmp(s, "off") || !strcmp(s, "0") ||
	    !strcasecmp(s, "false"))
		return 0;
	return -1;
}

/* ---- directives ---- */

static struct conf_lun *lu_target(struct parser *p)
{
	return p->lu ? p->lu : &p->t->defaults;
}

static int set_str(struct parser *p, char **dst, const char *v)
{
	char *n = strdup(v);

	if (!n)
		return oom(p);
	free(*dst);
	*dst = n;
	return 0;
}

static int append_bsopts(struct parser *p, struct conf_lun *l, const char *more)
{
	size_t a = l->bsopts ? strlen(l->bsopts) : 0, b = strlen(more);
	char *n;

	if (!b)
		return 0;
	if (a + b + 2 > 4000)
		return perr(p, "bsopts too long");
	n = malloc(a + b + 2);
	if (!n)
		return oom(p);
	snprintf(n, a + b + 2, "%s%s%s", a ? l->bsopts : "", a ? ";" : "",
		 more);
	free(l->bsopts);
	l->bsopts = n;
	return 0;
}

static int new_lun(struct parser *p, const char *path)
{
	struct conf_lun *l;
	int n = 0;

	list_for_each_entry (l, &p->t->luns, node)
		n++;
	if (n >= CONF_LUNS_MAX)
		return perr(p, "too many LUNs in target %s (max %d)",
			    p->t->name, CONF_LUNS_MAX);
	if (!*path)
		return perr(p, "empty backing-store path");
	l = malloc(sizeof(*l));
	if (!l)
		return oom(p);
	lun_init(l);
	l->path = strdup(path);
	if (!l->path) {
		free(l);
		return oom(p);
	}
	l->file = p->file;
	l->line = p->line;
	list_add_tail(&l->node, &p->t->luns);
	return 0;
}

static int lu_param(struct parser *p, const char *key, const char *value)
{
	size_t i;

	for (i = 0; conf_lu_param_keys[i]; i++)
		if (!strcmp(conf_lu_param_keys[i], key))
			break;
	if (!conf_lu_param_keys[i])
		return perr(p, "unknown LU parameter '%s'", key);
	if (strlen(value) > 255 || strchr(value, ','))
		return perr(p, "bad value for %s", key);
	if (kv_set(&lu_target(p)->params, key, value, false))
		return oom(p);
	return 0;
}

/* `params k=v,k=v` */
static int lu_params(struct parser *p, char *list)
{
	char *save = NULL, *item;

	for (item = strtok_r(list, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		int ret;

		item = trim(item);
		eq = strchr(item, '=');
		if (!eq || eq == item)
			return perr(p, "params: '%s' is not key=value", item);
		*eq = '\0';
		ret = lu_param(p, trim(item), trim(eq + 1));
		if (ret)
			return ret;
	}
	return 0;
}

/* Sets option o of peer i, refusing a second value and a bad one. */
static int peer_set(struct parser *p, struct conf_lun *l, unsigned i, int o,
		    const char *v)
{
	struct conf_peer *pe = &l->peers[i];
	char **f = peer_field(pe, o);
	char msg[256];

	if (*f) {
		if (o == SP_URL && pe->line)
			return perr(p,
				    "share-peer %u given twice (also at %s:%d)",
				    i, pe->file, pe->line);
		return perr(p, "share-peer %u: %s given twice", i,
			    share_peer_opt_names[o]);
	}
	if (!*v)
		return perr(p, "share-peer %u: empty %s", i,
			    share_peer_opt_names[o]);
	if (share_peer_check(o, v, msg, sizeof(msg)))
		return perr(p, "share-peer %u: %s", i, msg);
	if (set_str(p, f, v))
		return -ENOMEM;
	if (o == SP_URL) {
		pe->file = p->file;
		pe->line = p->line;
	}
	return 0;
}

/* `share-peer I URL [transport=W] [pin=HEX] [rate=N[KMG]] [retain=D]` */
static int share_peer_line(struct parser *p, struct conf_lun *l, int argc,
			   char **argv)
{
	unsigned i;
	long v;
	int a, o, ret;

	if (argc < 2)
		return perr(p, "share-peer takes an index, a URL and options "
			       "(share-peer I iscsi://HOST/IQN/LUN "
			       "[transport=tls|ipsec|plain] [pin=HEX64] "
			       "[rate=N[K|M|G]] [retain=DURATION])");
	if (parse_long(argv[0], 0, CONF_PEERS_MAX - 1, &v) ||
	    (argv[0][0] == '0' && argv[0][1]))
		return perr(p, "bad share-peer index '%.20s' (0..%d)", argv[0],
			    CONF_PEERS_MAX - 1);
	i = (unsigned)v;
	if (l->peers[i].url)
		return peer_set(p, l, i, SP_URL, argv[1]);
	for (a = 2; a < argc; a++) {
		char *eq = strchr(argv[a], '=');

		if (eq)
			*eq = '\0';
		o = eq ? share_peer_opt_find(argv[a]) : -1;
		if (o < 0)
			return perr(p,
				    "share-peer %u: unknown option '%.40s' "
				    "(transport=, pin=, rate=, retain=)",
				    i, argv[a]);
		ret = peer_set(p, l, i, o, eq + 1);
		if (ret)
			return ret;
	}
	return peer_set(p, l, i, SP_URL, argv[1]);
}

/* tgtxd's note form: `share-peer.I "URL"`, `share-peer.I.OPT VALUE` */
static int share_peer_note(struct parser *p, struct conf_lun *l, const char *d,
			   const char *value)
{
	enum share_peer_opt o;
	char msg[256];
	unsigned i;

	if (share_peer_key_parse(d, &i, &o, msg, sizeof(msg)))
		return perr(p, "%s", msg);
	return peer_set(p, l, i, o, value);
}

/*
 * Handles the LU settings valid both at target level and inside a
 * <backing-store> block. Returns 1 when the directive is not one of them.
 */
static int lu_directive(struct parser *p, const char *d, int argc, char **argv,
			const char *value)
{
	struct conf_lun *l = lu_target(p);
	size_t i;
	int yn;

	/* tgtxcli's backstore note in daemon dumps: not managed here */
	if (!strcasecmp(d, "backstore"))
		return 0;
	if (!strcasecmp(d, "share-peer"))
		return share_peer_line(p, l, argc, argv);
	if (!strncasecmp(d, "share-peer.", 11))
		return share_peer_note(p, l, d, value);
	for (i = 0; i < sizeof(lu_directives) / sizeof(lu_directives[0]); i++)
		if (!strcasecmp(d, lu_directives[i].directive))
			return lu_param(p, lu_directives[i].param, value);
	if (!strcasecmp(d, "bs-type") || !strcasecmp(d, "bstype")) {
		if (strlen(value) > 31 || strchr(value, ' '))
			return perr(p, "bad bs-type '%s'", value);
		return set_str(p, &l->bstype, value);
	}
	if (!strcasecmp(d, "bsopts"))
		return append_bsopts(p, l, value);
	if (!strcasecmp(d, "bsoflags")) {
		char tmp[64], *save = NULL, *f;

		if (strlen(value) >= sizeof(tmp))
			return perr(p, "bad bsoflags '%s'", value);
		strcpy(tmp, value);
		for (f = strtok_r(tmp, ":, ", &save); f;
		     f = strtok_r(NULL, ":, ", &save))
			if (strcmp(f, "direct") && strcmp(f, "sync"))
				return perr(p,
					    "bad bsoflags '%s' (direct, sync)",
					    f);
		return set_str(p, &l->bsoflags, value);
	}
	if (!strcasecmp(d, "params")) {
		char *copy = strdup(value);
		int ret;

		if (!copy)
			return oom(p);
		ret = lu_params(p, copy);
		free(copy);
		return ret;
	}
	if (!strcasecmp(d, "allow-in-use")) {
		yn = parse_yesno(value);
		if (yn < 0)
			return perr(p, "allow-in-use takes yes or no");
		l->allow_in_use = yn;
		return 0;
	}
	if (!strcasecmp(d, "device-type")) {
		if (strcasecmp(value, "disk"))
			return perr(p,
				    "device-type '%s' is not supported "
				    "(only disk)",
				    value);
		return 0;
	}
	if (!strcasecmp(d, "xorshare")) {
		/* tgtx extension: `xorshare k=2 n=3 log=/path ...` */
		int ret;

		if (argc < 1)
			return perr(p, "xorshare needs k=V n=V ... options");
		for (i = 0; i < (size_t)argc; i++) {
			if (!strchr(argv[i], '=') || strchr(argv[i], ';'))
				return perr(p, "xorshare: bad option '%s'",
					    argv[i]);
			ret = append_bsopts(p, l, argv[i]);
			if (ret)
				return ret;
		}
		if (!l->bstype)
			return set_str(p, &l->bstype, "xorshare");
		return 0;
	}
	return 1;
}

static int add_user(struct parser *p, struct list_head *h, int argc,
		    char **argv, const char *d, bool single)
{
	if (argc != 2)
		return perr(p, "%s takes a user name and a password", d);
	if (strlen(argv[0]) >= TGTX_SECRET_MAX ||
	    strlen(argv[1]) >= TGTX_SECRET_MAX)
		return perr(p, "%s: user name or password too long", d);
	if (single && !list_empty(h) && !kv_find(h, argv[0], false))
		return perr(p, "only one outgoinguser is allowed per target");
	if (kv_set(h, argv[0], argv[1], false))
		return oom(p);
	return 0;
}

static int target_directive(struct parser *p, const char *d, int argc,
			    char **argv, const char *value)
{
	struct conf_target *t = p->t;
	size_t i;
	long v;
	int ret;

	ret = lu_directive(p, d, argc, argv, value);
	if (ret <= 0)
		return ret;
	if (p->lu) {
		if (!strcasecmp(d, "lun")) {
			if (parse_long(value, 0, CONF_LUN_NUMBER_MAX, &v))
				return perr(p, "bad lun '%s' (0..%d)", value,
					    CONF_LUN_NUMBER_MAX);
			p->lu->lun = v;
			return 0;
		}
		return perr(p, "'%s' is not allowed inside <backing-store>", d);
	}
	if (!strcasecmp(d, "backing-store") || !strcasecmp(d, "direct-store"))
		return new_lun(p, value);
	if (!strcasecmp(d, "lun"))
		return perr(p, "lun must be inside a <backing-store PATH> "
			       "block");
	if (!strcasecmp(d, "initiator-address") ||
	    !strcasecmp(d, "initiator-name")) {
		bool addr = d[10] == 'a' || d[10] == 'A';

		if (argc < 1)
			return perr(p, "%s needs a value", d);
		for (i = 0; i < (size_t)argc; i++) {
			if (addr && !acl_pattern_valid(argv[i]))
				return perr(p, "bad initiator-address '%s'",
					    argv[i]);
			if (strlen(argv[i]) >= TGTX_NAME_MAX)
				return perr(p, "%s too long", d);
			if (kv_set(addr ? &t->addrs : &t->names, argv[i], NULL,
				   true))
				return oom(p);
		}
		return 0;
	}
	if (!strcasecmp(d, "incominguser"))
		return add_user(p, &t->in_users, argc, argv, d, false);
	if (!strcasecmp(d, "outgoinguser"))
		return add_user(p, &t->out_users, argc, argv, d, true);
	if (!strcasecmp(d, "driver")) {
		if (strcasecmp(value, "iscsi"))
			return perr(p, "driver '%s' is not supported (iscsi)",
				    value);
		return 0;
	}
	if (!strcasecmp(d, "tid")) {
		if (parse_long(value, 1, INT_MAX, &v))
			return perr(p, "bad tid '%s'", value);
		t->tid = (int)v;
		return 0;
	}
	if (!strcasecmp(d, "active-sessions")) {
		if (parse_long(value, 0, INT_MAX, &v))
			return perr(p, "bad active-sessions '%s'", value);
		t->sessions = (int)v;
		return 0;
	}
	for (i = 0; i < sizeof(iscsi_keys) / sizeof(iscsi_keys[0]); i++) {
		if (strcasecmp(d, iscsi_keys[i]))
			continue;
		if (!*value || strlen(value) > 255)
			return perr(p, "bad value for %s", iscsi_keys[i]);
		if (kv_set(&t->iscsi, iscsi_keys[i], value, true))
			return oom(p);
		return 0;
	}
	return perr(p, "unknown directive '%s' in <target %s>", d, t->name);
}

static int parse_file(struct parser *p, const char *path);

static int do_include(struct parser *p, const char *pattern)
{
	char full[PATH_MAX];
	glob_t g;
	size_t i;
	int ret = 0;

	if (pattern[0] != '/' && strchr(p->file, '/')) {
		/* relative to the including file, not to our cwd */
		int dirlen = (int)(strrchr(p->file, '/') - p->file);

		if (snprintf(full, sizeof(full), "%.*s/%s", dirlen, p->file,
			     pattern) >= (int)sizeof(full))
			return perr(p, "include path too long");
	} else {
		if (snprintf(full, sizeof(full), "%s", pattern) >=
		    (int)sizeof(full))
			return perr(p, "include path too long");
	}
	ret = glob(full, 0, NULL, &g);
	if (ret == GLOB_NOMATCH)
		return 0; /* an empty conf.d is normal */
	if (ret)
		return perr(p, "include %s: glob failed", pattern);
	for (i = 0; i < g.gl_pathc && !ret; i++) {
		const char *saved_file = p->file;
		int saved_line = p->line;

		ret = parse_file(p, g.gl_pathv[i]);
		p->file = saved_file;
		p->line = saved_line;
	}
	globfree(&g);
	return ret;
}

static int top_directive(struct parser *p, const char *d, int argc, char **argv,
			 const char *value)
{
	long v;
	int yn;

	if (!strcasecmp(d, "include")) {
		if (argc != 1)
			return perr(p, "include takes one file or pattern");
		return do_include(p, argv[0]);
	}
	if (!strcasecmp(d, "default-driver")) {
		if (strcasecmp(value, "iscsi"))
			return perr(p, "driver '%s' is not supported (iscsi)",
				    value);
		return 0;
	}
	if (!strcasecmp(d, "ignore-errors")) {
		yn = parse_yesno(value);
		if (yn < 0)
			return perr(p, "ignore-errors takes yes or no");
		p->c->ignore_errors = yn;
		return 0;
	}
	if (!strcasecmp(d, "control-port")) {
		if (parse_long(value, 0, 65535, &v))
			return perr(p, "bad control-port '%s'", value);
		p->c->control_port = (int)v;
		return 0;
	}
	if (!strcasecmp(d, "account")) {
		if (argc != 2)
			return perr(p, "account takes a user and a password");
		if (kv_set(&p->c->accounts, argv[0], argv[1], false))
			return oom(p);
		return 0;
	}
	if (!strncasecmp(d, "isns", 4))
		return perr(p, "iSNS is not supported by tgtx");
	return perr(p, "unknown directive '%s' outside <target>", d);
}

static int open_block(struct parser *p, char *inner)
{
	char *argv[2];
	char *sp = inner;
	char *tag, *arg;
	int argc;

	while (*sp && !is_space(*sp))
		sp++;
	if (*sp)
		*sp++ = '\0';
	tag = inner;
	arg = trim(sp);
	argc = split_words(arg, argv, 2);
	if (argc != 1)
		return perr(p, "<%s> needs exactly one argument", tag);
	if (!strcasecmp(tag, "target")) {
		struct conf_target *t, *dup;

		if (p->t)
			return perr(p, "<target> blocks cannot nest");
		if (strlen(argv[0]) >= TGTX_NAME_MAX)
			return perr(p, "target name too long");
		dup = conf_find_target(p->c, argv[0]);
		if (dup)
			return perr(p, "target %s already defined at %s:%d",
				    argv[0], dup->file, dup->line);
		if (p->ntargets >= CONF_TARGETS_MAX)
			return perr(p, "too many targets (max %d)",
				    CONF_TARGETS_MAX);
		t = calloc(1, sizeof(*t));
		if (!t || !(t->name = strdup(argv[0]))) {
			free(t);
			return oom(p);
		}
		list_init(&t->luns);
		list_init(&t->addrs);
		list_init(&t->names);
		list_init(&t->in_users);
		list_init(&t->out_users);
		list_init(&t->iscsi);
		lun_init(&t->defaults);
		t->file = p->file;
		t->line = p->line;
		list_add_tail(&t->node, &p->c->targets);
		p->ntargets++;
		p->t = t;
		return 0;
	}
	if (!strcasecmp(tag, "backing-store") ||
	    !strcasecmp(tag, "direct-store")) {
		int ret;

		if (!p->t)
			return perr(p, "<%s> outside <target>", tag);
		if (p->lu)
			return perr(p, "<%s> blocks cannot nest", tag);
		ret = new_lun(p, argv[0]);
		if (ret)
			return ret;
		p->lu = list_entry(p->t->luns.prev, struct conf_lun, node);
		return 0;
	}
	return perr(p, "unknown block <%s>", tag);
}

static int close_block(struct parser *p, const char *tag)
{
	if (!strcasecmp(tag, "target")) {
		if (!p->t || p->lu)
			return perr(p, "unexpected </target>");
		p->t = NULL;
		return 0;
	}
	if (!strcasecmp(tag, "backing-store") ||
	    !strcasecmp(tag, "direct-store")) {
		if (!p->lu)
			return perr(p, "unexpected </%s>", tag);
		p->lu = NULL;
		return 0;
	}
	return perr(p, "unknown block </%s>", tag);
}

static int parse_line(struct parser *p, char *s)
{
	char *argv[MAX_ARGS];
	char *d, *rest, *value;
	int argc;

	strip_comment(s);
	s = trim(s);
	if (!*s)
		return 0;
	if (*s == '<') {
		size_t n = strlen(s);

		if (s[n - 1] != '>')
			return perr(p, "unterminated block tag");
		s[n - 1] = '\0';
		s = trim(s + 1);
		if (*s == '/')
			return close_block(p, trim(s + 1));
		return open_block(p, s);
	}
	/* "key value", "key = value" and "key=value" are all accepted */
	d = s;
	while (*s && !is_space(*s) && *s != '=')
		s++;
	rest = s;
	if (*rest)
		*rest++ = '\0';
	rest = trim(rest);
	if (*rest == '=')
		rest = trim(rest + 1);
	if (!*d)
		return perr(p, "missing directive name");
	value = strdup(rest);
	if (!value)
		return oom(p);
	argc = split_words(rest, argv, MAX_ARGS);
	if (argc < 0) {
		free(value);
		return perr(p, "unbalanced quotes or too many words");
	}
	if (argc == 0) {
		free(value);
		return perr(p, "'%s' needs a value", d);
	}
	if (argc == 1) {
		/* the unquoted single word */
		free(value);
		value = strdup(argv[0]);
		if (!value)
			return oom(p);
	}
	argc = p->t ? target_directive(p, d, argc, argv, value)
		    : top_directive(p, d, argc, argv, value);
	free(value);
	return argc;
}

static int read_file(struct parser *p, const char *path, char **buf,
		     size_t *len)
{
	struct stat st;
	size_t got = 0, cap = 4096;
	char *b = NULL;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(p->err, p->errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	/* /dev/null is tgt-admin's idiom for "no targets": allow devices */
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		close(fd);
		snprintf(p->err, p->errlen, "%s: is a directory", path);
		return -EISDIR;
	}
	for (;;) {
		ssize_t n;

		if (got == cap || !b) {
			char *nb;

			if (b)
				cap *= 2;
			if (cap > CONF_FILE_MAX + 1)
				cap = CONF_FILE_MAX + 1;
			nb = realloc(b, cap + 1);
			if (!nb) {
				free(b);
				close(fd);
				return oom(p);
			}
			b = nb;
		}
		if (got > CONF_FILE_MAX) {
			free(b);
			close(fd);
			snprintf(p->err, p->errlen, "%s: larger than %u bytes",
				 path, CONF_FILE_MAX);
			return -EFBIG;
		}
		n = read(fd, b + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(b);
			close(fd);
			snprintf(p->err, p->errlen, "%s: %s", path,
				 strerror(e));
			return -e;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}

static const char *keep_string(struct parser *p, const char *s)
{
	struct conf_kv *kv;

	/* targets and LUNs point at their file name: it lives with the conf */
	list_for_each_entry (kv, &p->c->strings, node)
		if (!strcmp(kv->key, s))
			return kv->key;
	if (kv_set(&p->c->strings, s, NULL, false))
		return NULL;
	return list_entry(p->c->strings.prev, struct conf_kv, node)->key;
}

static int parse_text(struct parser *p, char *text, size_t len)
{
	struct conf_target *open_t = p->t;
	char *line = malloc(CONF_LINE_MAX + 1);
	size_t pos = 0, ll = 0;
	int ret = 0, start_line = 0, lineno = 0;

	if (!line)
		return oom(p);
	if (memchr(text, '\0', len)) {
		p->line = 0;
		free(line);
		return perr(p, "NUL byte in file (binary file?)");
	}
	while (pos < len && !ret) {
		char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		bool cont;

		lineno++;
		if (!ll)
			start_line = lineno;
		if (n && text[pos + n - 1] == '\r')
			n--;
		cont = n && text[pos + n - 1] == '\\';
		if (cont)
			n--;
		if (ll + n > CONF_LINE_MAX) {
			p->line = start_line;
			ret = perr(p, "line longer than %d bytes",
				   CONF_LINE_MAX);
			break;
		}
		memcpy(line + ll, text + pos, n);
		ll += n;
		pos += (nl ? (size_t)(nl - (text + pos)) + 1 : len - pos);
		if (cont && pos < len)
			continue;
		line[ll] = '\0';
		ll = 0;
		p->line = start_line;
		ret = parse_line(p, line);
	}
	free(line);
	if (ret)
		return ret;
	p->line = lineno;
	if (p->lu && p->t != open_t)
		return perr(p, "<backing-store %s> not closed", p->lu->path);
	if (p->t != open_t)
		return perr(p, "<target %s> opened at line %d not closed",
			    p->t->name, p->t->line);
	return 0;
}

static int parse_file(struct parser *p, const char *path)
{
	char real[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	int i, ret;

	if (p->depth >= CONF_INCLUDE_DEPTH)
		return perr(p, "includes nested deeper than %d",
			    CONF_INCLUDE_DEPTH);
	if (!realpath(path, real)) {
		ret = -errno;
		if (p->depth)
			return perr(p, "include %s: %s", path, strerror(errno));
		snprintf(p->err, p->errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	for (i = 0; i < p->depth; i++)
		if (!strcmp(p->stack[i], real))
			return perr(p, "include loop: %s includes itself",
				    path);
	ret = read_file(p, path, &text, &len);
	if (ret)
		return ret;
	p->file = keep_string(p, path);
	if (!p->file) {
		free(text);
		p->file = path;
		return oom(p);
	}
	p->stack[p->depth] = real;
	p->depth++;
	p->line = 0;
	ret = parse_text(p, text, len);
	p->depth--;
	free(text);
	return ret;
}

static int lun_cmp_insert(struct conf_target *t)
{
	struct conf_lun *l, *n, *pos;
	LIST_HEAD(sorted);

	list_for_each_entry_safe (l, n, &t->luns, node) {
		list_del(&l->node);
		list_for_each_entry (pos, &sorted, node)
			if (pos->lun > l->lun)
				break;
		list_add_tail(&l->node, &pos->node);
	}
	/* move back */
	list_for_each_entry_safe (l, n, &sorted, node) {
		list_del(&l->node);
		list_add_tail(&l->node, &t->luns);
	}
	return 0;
}

/* tgt-admin numbers LUNs without a `lun` line from 1, skipping used ones. */
static int number_luns(struct parser *p)
{
	struct conf_target *t;
	struct conf_lun *l, *o;

	list_for_each_entry (t, &p->c->targets, node) {
		long next = 1;

		list_for_each_entry (l, &t->luns, node) {
			if (l->lun < 0)
				continue;
			list_for_each_entry (o, &t->luns, node) {
				if (o != l && o->lun == l->lun) {
					p->file = o->file;
					p->line = o->line;
					return perr(p,
						    "LUN %ld of %s defined "
						    "twice (also at %s:%d)",
						    l->lun, t->name, l->file,
						    l->line);
				}
				if (o == l)
					break;
			}
		}
		list_for_each_entry (l, &t->luns, node) {
			if (l->lun >= 0)
				continue;
			while (conf_find_lun(t, next))
				next++;
			if (next > CONF_LUN_NUMBER_MAX) {
				p->file = l->file;
				p->line = l->line;
				return perr(p, "no free LUN number left");
			}
			l->lun = next++;
		}
		lun_cmp_insert(t);
	}
	return 0;
}

/* n= of "k=v;k=v" bsopts, or -1. */
static long bsopts_n(const char *opts)
{
	const char *o = opts;
	long n;

	while (o && *o) {
		size_t len = strcspn(o, ";");

		if (!strncmp(o, "n=", 2) && len > 2 && len < 12) {
			char tmp[12];

			snprintf(tmp, sizeof(tmp), "%.*s", (int)len - 2, o + 2);
			if (!parse_long(tmp, 1, 1000, &n))
				return n;
		}
		o += len;
		if (*o)
			o++;
	}
	return -1;
}

static int peers_complete(struct parser *p, const struct conf_lun *l,
			  const char *file, int line)
{
	int i, o;

	for (i = 0; i < CONF_PEERS_MAX; i++) {
		if (l->peers[i].url)
			continue;
		for (o = SP_TRANSPORT; o < SP_NOPTS; o++) {
			if (!conf_peer_opt(&l->peers[i], o))
				continue;
			p->file = file;
			p->line = line;
			return perr(p, "share-peer.%d.%s without share-peer.%d",
				    i, share_peer_opt_names[o], i);
		}
	}
	return 0;
}

static int peer_copy(struct parser *p, struct conf_peer *dst,
		     const struct conf_peer *src)
{
	int o;

	for (o = 0; o < SP_NOPTS; o++) {
		const char *v = conf_peer_opt(src, o);

		if (v && set_str(p, peer_field(dst, o), v))
			return -ENOMEM;
	}
	dst->file = src->file;
	dst->line = src->line;
	return 0;
}

/*
 * Share peers: complete, inherited from the target, only on xorshare LUNs
 * and within the LUN's n shares.
 */
static int resolve_peers(struct parser *p)
{
	struct conf_target *t;
	struct conf_lun *l;
	int i, ret;

	list_for_each_entry (t, &p->c->targets, node) {
		ret = peers_complete(p, &t->defaults, t->file, t->line);
		if (ret)
			return ret;
		list_for_each_entry (l, &t->luns, node) {
			const char *bs = conf_lun_bstype(t, l);
			long n = bsopts_n(conf_lun_bsopts(t, l));

			ret = peers_complete(p, l, l->file, l->line);
			if (ret)
				return ret;
			for (i = 0; i < CONF_PEERS_MAX; i++) {
				struct conf_peer *pe = &l->peers[i];

				if (!pe->url && t->defaults.peers[i].url &&
				    peer_copy(p, pe, &t->defaults.peers[i]))
					return -ENOMEM;
				if (!pe->url)
					continue;
				p->file = pe->file;
				p->line = pe->line;
				if (strcmp(bs, "xorshare"))
					return perr(
						p,
						"share-peer %d: LUN %ld of "
						"%s is not xorshare (bs-type "
						"%s)",
						i, l->lun, t->name, bs);
				if (n > 0 && i >= n)
					return perr(p,
						    "share-peer %d: LUN %ld of "
						    "%s has n=%ld shares "
						    "(0..%ld)",
						    i, l->lun, t->name, n,
						    n - 1);
			}
		}
	}
	return 0;
}

static struct conf *conf_new(void)
{
	struct conf *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	list_init(&c->targets);
	list_init(&c->accounts);
	list_init(&c->strings);
	c->control_port = -1;
	return c;
}

static int finish(struct parser *p, int ret, struct conf **out)
{
	if (!ret)
		ret = number_luns(p);
	if (!ret)
		ret = resolve_peers(p);
	if (ret) {
		conf_free(p->c);
		return ret;
	}
	*out = p->c;
	return 0;
}

int conf_parse_file(const char *path, struct conf **out, char *err,
		    size_t errlen)
{
	struct parser p = {.err = err, .errlen = errlen, .file = path};

	*out = NULL;
	p.c = conf_new();
	if (!p.c)
		return oom(&p);
	return finish(&p, parse_file(&p, path), out);
}

int conf_parse_string(const char *text, size_t len, const char *name,
		      struct conf **out, char *err, size_t errlen)
{
	struct parser p = {.err = err, .errlen = errlen, .file = name};
	char *copy;
	int ret;

	*out = NULL;
	p.c = conf_new();
	if (!p.c)
		return oom(&p);
	p.file = keep_string(&p, name);
	copy = malloc(len + 1);
	if (!copy || !p.file) {
		free(copy);
		p.file = name;
		conf_free(p.c);
		return oom(&p);
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	p.depth = 0;
	ret = parse_text(&p, copy, len);
	free(copy);
	return finish(&p, ret, out);
}
