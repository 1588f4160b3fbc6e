// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-replicd's gossip glue (rd_gossip.h): the owner's signed tables, their
 * versions across restarts, the share-volume header blob, the node service.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/fileio.h"
#include "replicator/gossip/gossip_node.h"
#include "replicator/gossip/gossip_tls.h"
#include "replicator/gossip/nodekey.h"
#include "replicator/gossip/slt.h"
#include "core/strbuf.h"
#include "peer.h"
#include "rd.h"
#include "rd_gossip.h"

#define RD_MAX_LUNS 1024 /* the gossip store's max_tables */

struct rd_lun {
	uint8_t uuid[SLT_UUID_SIZE];
	uint8_t *tbl; /* the table signed last (NULL: slot free) */
	size_t len;
};

struct rd_gossip {
	pthread_mutex_t mu;
	char dir[4096];		   /* STATE_DIR/gossip */
	const struct nodekey *key; /* borrowed: cfg->key */
	struct gossip_node *gn;	   /* NULL: no listener and no seed */
	struct rd_hold *hold;	   /* volumes whose shares we hold */
	struct rd_lun *luns;
	unsigned nluns;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void rd_gossip_cfg_init(struct rd_gossip_cfg *cfg, const char *state_dir)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->state_dir = state_dir;
	cfg->interval_ms = 2000;
	cfg->hold_max = RD_HOLD_MAX;
}

int rd_gossip_add_listen(struct rd_gossip_cfg *cfg, const char *addr)
{
	char host[64];
	uint16_t port;

	if (gossip_parse_addr(addr, host, sizeof(host), &port))
		return -EINVAL;
	if (cfg->nlisten >= RD_GOSSIP_MAX_LISTEN)
		return -ENOSPC;
	cfg->listen[cfg->nlisten++] = addr;
	return 0;
}

/* "[PIN@]HOST:PORT": *id set (and true returned in *has_id) with a pin */
static int parse_seed(const char *s, uint8_t id[SLT_ID_SIZE], bool *has_id,
		      const char **addr)
{
	const char *at = strchr(s, '@');
	char host[64], hex[65];
	uint16_t port;

	*has_id = false;
	*addr = s;
	if (at) {
		if (at - s != 64)
			return -EINVAL;
		memcpy(hex, s, 64);
		hex[64] = 0;
		if (hex_decode(hex, id, SLT_ID_SIZE))
			return -EINVAL;
		*has_id = true;
		*addr = at + 1;
	}
	return gossip_parse_addr(*addr, host, sizeof(host), &port);
}

int rd_gossip_add_seed(struct rd_gossip_cfg *cfg, const char *seed)
{
	uint8_t id[SLT_ID_SIZE];
	const char *addr;
	bool has_id;

	if (parse_seed(seed, id, &has_id, &addr))
		return -EINVAL;
	if (cfg->nseeds >= RD_GOSSIP_MAX_SEEDS)
		return -ENOSPC;
	cfg->seeds[cfg->nseeds++] = seed;
	return 0;
}

static uint64_t now_ms(void);

/* a held volume bound in gossip: its owner may connect, others' tables of
 * it are forged */
static void pin_held(void *arg, const uint8_t uuid[SLT_UUID_SIZE],
		     const uint8_t owner[SLT_ID_SIZE])
{
	struct rd_gossip *rg = arg;

	if (!rg->gn)
		return;
	gossip_node_pin_volume(rg->gn, uuid, owner);
	gossip_node_pin_id(rg->gn, owner, NULL);
}

static void rd_log(void *arg, const char *msg)
{
	fprintf(stderr, "tgtx-replicd: gossip: %s\n", msg);
}

void rd_gossip_stop(struct rd_gossip *rg)
{
	if (!rg)
		return;
	gossip_node_stop(rg->gn);
	rd_hold_free(rg->hold);
	for (unsigned i = 0; i < rg->nluns; i++)
		free(rg->luns[i].tbl);
	free(rg->luns);
	pthread_mutex_destroy(&rg->mu);
	free(rg);
}

int rd_gossip_start(const struct rd_gossip_cfg *cfg, struct rd_gossip **out,
		    char *err, size_t errlen)
{
	struct rd_gossip *rg = calloc(1, sizeof(*rg));
	struct gossip_node_cfg ncfg;
	char path[4200], state[4200], msg[4400];
	int ret;

	if (!rg)
		return -ENOMEM;
	pthread_mutex_init(&rg->mu, NULL);
	rg->luns = calloc(RD_MAX_LUNS, sizeof(*rg->luns));
	if (!rg->luns) {
		ret = -ENOMEM;
		seterr(err, errlen, "gossip: %s", strerror(ENOMEM));
		goto fail;
	}
	if (!cfg->state_dir || !cfg->key) {
		ret = -EINVAL;
		seterr(err, errlen, "gossip: %s",
		       cfg->state_dir ? "no node key" : "no state directory");
		goto fail;
	}
	rg->key = cfg->key;
	snprintf(rg->dir, sizeof(rg->dir), "%s/gossip", cfg->state_dir);
	if (mkdir(rg->dir, 0700) < 0 && errno != EEXIST) {
		ret = -errno;
		seterr(err, errlen, "gossip: mkdir %s: %s", rg->dir,
		       strerror(-ret));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/held", rg->dir);
	rg->hold =
		rd_hold_new(cfg->hold_max ? cfg->hold_max : RD_HOLD_MAX, path);
	if (!rg->hold) {
		ret = -EINVAL;
		seterr(err, errlen, "gossip: held volumes: bad cap %u",
		       cfg->hold_max);
		goto fail;
	}
	ret = rd_hold_load(rg->hold, now_ms(), msg, sizeof(msg));
	if (ret && ret != -ENOENT)
		fprintf(stderr, "tgtx-replicd: gossip: held volumes: %s\n",
			msg);
	if (!cfg->nlisten && !cfg->nseeds) {
		*out = rg;
		return 0;
	}
	gossip_node_cfg_default(&ncfg);
	ncfg.key = rg->key;
	snprintf(state, sizeof(state), "%s/state", rg->dir);
	ncfg.state_file = state;
	for (unsigned i = 0; i < cfg->nlisten; i++)
		ncfg.listen[ncfg.nlisten++] = cfg->listen[i];
	if (cfg->interval_ms)
		ncfg.interval_ms = cfg->interval_ms;
	ncfg.log = rd_log;
	ret = gossip_node_start(&ncfg, &rg->gn, err, errlen);
	if (ret)
		goto fail;
	/* held volumes stay bound across restarts, before any seed is
	 * dialled: a forger among them finds the binding in place */
	rd_hold_each(rg->hold, pin_held, rg);
	for (unsigned i = 0; i < cfg->nseeds; i++) {
		uint8_t id[SLT_ID_SIZE];
		const char *addr;
		bool has_id;

		if (parse_seed(cfg->seeds[i], id, &has_id, &addr))
			continue; /* checked by rd_gossip_add_seed() */
		if (has_id)
			gossip_node_pin_id(rg->gn, id, addr);
		else
			gossip_node_add_seed(rg->gn, addr);
	}
	*out = rg;
	return 0;
fail:
	rd_gossip_stop(rg);
	return ret;
}

void rd_gossip_node_id(const struct rd_gossip *rg, char out[65])
{
	hex_encode(rg->key->id, SLT_ID_SIZE, out);
}

/*
 * iscsi://[user[%password]@]HOST[:PORT]/IQN/LUN -> portal "HOST:PORT"
 * (default 3260; "[v6]:PORT"), iqn, lun. The credentials are skipped: a
 * table is public.
 */
static int parse_url(const char *url, struct slt_share *s, const char **why)
{
	const char *p, *at, *slash, *slash2, *hend;
	char host[SLT_MAX_PORTAL - 5]; /* room for ":65535" */
	unsigned long lun;
	long port = 3260;
	size_t hl;
	char *e;

	if (strncmp(url, "iscsi://", 8)) {
		*why = "share-peer URL is not iscsi://";
		return -EINVAL;
	}
	p = url + 8;
	slash = strchr(p, '/');
	at = strchr(p, '@');
	if (at && (!slash || at < slash))
		p = at + 1;
	slash = strchr(p, '/');
	if (!slash) {
		*why = "share-peer URL without /IQN/LUN";
		return -EINVAL;
	}
	if (*p == '[') {
		hend = memchr(p, ']', (size_t)(slash - p));
		if (!hend) {
			*why = "share-peer URL: unclosed [";
			return -EINVAL;
		}
		hend++;
	} else {
		hend = memchr(p, ':', (size_t)(slash - p));
		if (!hend)
			hend = slash;
	}
	hl = (size_t)(hend - p);
	if (hend < slash) {
		if (*hend != ':') {
			*why = "share-peer URL: bad host";
			return -EINVAL;
		}
		port = strtol(hend + 1, &e, 10);
		if (e != slash || port <= 0 || port > 65535) {
			*why = "share-peer URL: bad port";
			return -EINVAL;
		}
	}
	if (!hl || hl >= sizeof(host)) {
		*why = "share-peer URL: bad host";
		return -EINVAL;
	}
	memcpy(host, p, hl);
	host[hl] = 0;
	snprintf(s->portal, sizeof(s->portal), "%s:%ld", host, port);
	slash2 = strchr(slash + 1, '/');
	if (!slash2 || slash2 == slash + 1 ||
	    (size_t)(slash2 - slash - 1) > SLT_MAX_IQN) {
		*why = "share-peer URL: bad IQN";
		return -EINVAL;
	}
	memcpy(s->iqn, slash + 1, (size_t)(slash2 - slash - 1));
	s->iqn[slash2 - slash - 1] = 0;
	lun = strtoul(slash2 + 1, &e, 10);
	if (*e || e == slash2 + 1 || lun > SLT_MAX_LUN) {
		*why = "share-peer URL: bad LUN";
		return -EINVAL;
	}
	s->lun = (uint16_t)lun;
	return 0;
}

static int build(const struct rd_gossip_lun *l, struct slt *t, const char **why)
{
	size_t nl;

	memset(t, 0, sizeof(*t));
	memcpy(t->uuid, l->uuid, SLT_UUID_SIZE);
	t->size = l->size;
	t->block_size = l->block_size;
	if (!l->n || l->n > SLT_MAX_N || !l->k || l->k > l->n || !l->name) {
		*why = "k, n or name out of range";
		return -EINVAL;
	}
	t->k = (uint8_t)l->k;
	t->n = (uint8_t)l->n;
	nl = strlen(l->name);
	if (nl > SLT_MAX_NAME)
		nl = SLT_MAX_NAME;
	for (size_t i = 0; i < nl; i++) {
		char c = l->name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			  c == ':' || c == '-';

		t->name[i] = ok ? c : '_';
	}
	for (unsigned i = 0; i < l->n; i++) {
		const struct rd_gossip_peer *p = &l->peers[i];
		struct slt_share *s = &t->shares[i];
		int ret;

		if (!p->url) {
			*why = "a share index without a share-peer";
			return -EINVAL;
		}
		ret = parse_url(p->url, s, why);
		if (ret)
			return ret;
		ret = peer_transport_to_slt(p->transport);
		if (ret < 0) {
			*why = "unknown transport";
			return -EINVAL;
		}
		s->transport = (uint8_t)ret;
		if (p->pin && hex_decode(p->pin, s->partner_id, SLT_ID_SIZE)) {
			*why = "pin is not 64 hex digits";
			return -EINVAL;
		}
	}
	return 0;
}

/* the same table but for version and signing time */
static bool same_content(const struct slt *a, const struct slt *b)
{
	if (memcmp(a->uuid, b->uuid, SLT_UUID_SIZE) || a->size != b->size ||
	    a->block_size != b->block_size || a->k != b->k || a->n != b->n ||
	    strcmp(a->name, b->name))
		return false;
	for (unsigned i = 0; i < a->n; i++) {
		const struct slt_share *x = &a->shares[i], *y = &b->shares[i];

		if (x->transport != y->transport || x->lun != y->lun ||
		    memcmp(x->partner_id, y->partner_id, SLT_ID_SIZE) ||
		    strcmp(x->portal, y->portal) || strcmp(x->iqn, y->iqn))
			return false;
	}
	return true;
}

static struct rd_lun *find_lun(struct rd_gossip *rg, const uint8_t *uuid,
			       bool add)
{
	struct rd_lun *free_slot = NULL;

	for (unsigned i = 0; i < rg->nluns; i++) {
		if (!rg->luns[i].tbl) {
			if (!free_slot)
				free_slot = &rg->luns[i];
			continue;
		}
		if (!memcmp(rg->luns[i].uuid, uuid, SLT_UUID_SIZE))
			return &rg->luns[i];
	}
	if (!add)
		return NULL;
	if (!free_slot && rg->nluns < RD_MAX_LUNS)
		free_slot = &rg->luns[rg->nluns++];
	if (free_slot) {
		memset(free_slot, 0, sizeof(*free_slot));
		memcpy(free_slot->uuid, uuid, SLT_UUID_SIZE);
	}
	return free_slot;
}

static void table_path(const struct rd_gossip *rg, const uint8_t *uuid,
		       char *out, size_t len)
{
	char u[37];

	slt_uuid_str(uuid, u);
	snprintf(out, len, "%s/%s.slt", rg->dir, u);
}

/* our table saved for uuid (ignored if damaged or not ours) */
static int load_saved(struct rd_gossip *rg, const uint8_t *uuid, uint8_t **tbl,
		      size_t *len, struct slt *t)
{
	char path[4200];
	void *buf;
	int ret;

	table_path(rg, uuid, path, sizeof(path));
	ret = read_file_max(path, SLT_MAX_SIZE, &buf, len, NULL);
	if (ret)
		return ret;
	if (slt_parse(buf, *len, t, NULL) ||
	    memcmp(t->owner_pub, rg->key->pub, SLT_PUB_SIZE) ||
	    memcmp(t->uuid, uuid, SLT_UUID_SIZE)) {
		free(buf);
		return -EBADMSG;
	}
	*tbl = buf;
	return 0;
}

/* partners: gossip peers at HOST:GOSSIP_DEFAULT_PORT of their portal */
static void pin_partners(struct rd_gossip *rg, const struct slt *t)
{
	static const uint8_t zero[SLT_ID_SIZE];

	if (!rg->gn)
		return;
	for (unsigned i = 0; i < t->n; i++) {
		const struct slt_share *s = &t->shares[i];
		char addr[SLT_MAX_PORTAL + 8];
		const char *colon = strrchr(s->portal, ':');

		if (!memcmp(s->partner_id, zero, SLT_ID_SIZE) || !colon)
			continue;
		snprintf(addr, sizeof(addr), "%.*s:%u",
			 (int)(colon - s->portal), s->portal,
			 GOSSIP_DEFAULT_PORT);
		gossip_node_pin_id(rg->gn, s->partner_id, addr);
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int rd_gossip_lun_update(struct rd_gossip *rg, const struct rd_gossip_lun *lun,
			 uint8_t *blob, size_t cap, size_t *blob_len,
			 uint64_t *version, bool *changed, char *err,
			 size_t errlen)
{
	const char *why = NULL;
	struct slt want, have;
	struct rd_lun *l;
	char path[4200], u[37];
	uint8_t *buf = NULL;
	size_t len;
	uint64_t v = 0;
	bool fresh = false;
	int ret;

	if (changed)
		*changed = false;
	slt_uuid_str(lun->uuid, u);
	ret = build(lun, &want, &why);
	if (ret) {
		seterr(err, errlen, "volume %s: %s", u, why);
		return ret;
	}
	pthread_mutex_lock(&rg->mu);
	l = find_lun(rg, lun->uuid, true);
	if (!l) {
		ret = -ENOSPC;
		seterr(err, errlen, "volume %s: more than %u volumes", u,
		       RD_MAX_LUNS);
		goto out;
	}
	if (!l->tbl && !load_saved(rg, lun->uuid, &buf, &len, &have)) {
		l->tbl = buf;
		l->len = len;
		fresh = true; /* first look since start: publish it again */
	}
	if (l->tbl && !slt_decode(l->tbl, l->len, &have, NULL) &&
	    same_content(&want, &have))
		goto ready;
	/* a new or changed configuration: a higher version than any seen */
	if (l->tbl)
		v = slt_peek_version(l->tbl);
	if (rg->gn && gossip_node_version_of(rg->gn, lun->uuid) > v)
		v = gossip_node_version_of(rg->gn, lun->uuid);
	want.version = v + 1;
	want.signed_at_ms = now_ms();
	buf = malloc(SLT_MAX_SIZE);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	ret = slt_encode_sign(&want, rg->key, buf, SLT_MAX_SIZE, &len, &why);
	if (ret) {
		free(buf);
		seterr(err, errlen, "volume %s: table: %s", u,
		       why ? why : strerror(-ret));
		goto out;
	}
	table_path(rg, lun->uuid, path, sizeof(path));
	ret = write_path_atomic(path, buf, len, 0600);
	if (ret) {
		free(buf);
		seterr(err, errlen, "volume %s: %s: %s", u, path,
		       strerror(-ret));
		goto out;
	}
	free(l->tbl);
	l->tbl = buf;
	l->len = len;
	fresh = true;
	if (changed)
		*changed = true;
ready:
	if (fresh && rg->gn) {
		gossip_node_publish(rg->gn, l->tbl, l->len);
		pin_partners(rg, &want);
	}
	ret = slt_blob_wrap(l->tbl, l->len, blob, cap, blob_len);
	if (ret)
		seterr(err, errlen, "volume %s: blob: %s", u, strerror(-ret));
	if (version)
		*version = slt_peek_version(l->tbl);
out:
	pthread_mutex_unlock(&rg->mu);
	return ret;
}

void rd_gossip_lun_remove(struct rd_gossip *rg,
			  const uint8_t uuid[SLT_UUID_SIZE])
{
	struct rd_lun *l;

	pthread_mutex_lock(&rg->mu);
	l = find_lun(rg, uuid, false);
	if (l) {
		free(l->tbl);
		l->tbl = NULL;
	}
	pthread_mutex_unlock(&rg->mu);
}

int rd_gossip_hold(struct rd_gossip *rg, const uint8_t uuid[SLT_UUID_SIZE],
		   const char *owner_pin)
{
	uint8_t id[SLT_ID_SIZE];
	int ret;

	if (hex_decode(owner_pin, id, SLT_ID_SIZE))
		return -EINVAL;
	pthread_mutex_lock(&rg->mu);
	ret = rd_hold_bind(rg->hold, uuid, id, now_ms());
	if (!ret)
		pin_held(rg, uuid, id);
	pthread_mutex_unlock(&rg->mu);
	return ret;
}

struct gossip_owner {
	const uint8_t *uuid;
	uint8_t owner[SLT_ID_SIZE];
	bool found;
};

static void find_owner(void *arg, const uint8_t *tbl, size_t len)
{
	struct gossip_owner *o = arg;
	struct slt t;

	if (!o->found && !memcmp(slt_peek_uuid(tbl), o->uuid, SLT_UUID_SIZE) &&
	    !slt_decode(tbl, len, &t, NULL)) {
		memcpy(o->owner, t.owner_id, SLT_ID_SIZE);
		o->found = true;
	}
}

enum rd_hold_verdict rd_gossip_hold_table(struct rd_gossip *rg, const char *lun,
					  const uint8_t *tbl, size_t len,
					  char *msg, size_t msglen)
{
	char u[37] = "?", signer[65] = "?", owner[65], prev[200];
	struct gossip_owner go = {0};
	struct rd_hold_stats hs;
	uint8_t bound[SLT_ID_SIZE];
	unsigned cap;
	enum rd_hold_verdict v;
	uint64_t seen = 0;
	struct slt *t = malloc(sizeof(*t));

	msg[0] = '\0';
	if (!t) {
		seterr(msg, msglen, "%s: no memory", lun);
		return RD_HOLD_FULL;
	}
	pthread_mutex_lock(&rg->mu);
	v = rd_hold_offer(rg->hold, tbl, len, now_ms(), t, bound, &seen);
	rd_hold_stats(rg->hold, &hs);
	cap = hs.cap;
	if (v != RD_HOLD_BAD || !slt_decode(tbl, len, t, NULL)) {
		slt_uuid_str(t->uuid, u);
		hex_encode(t->owner_id, SLT_ID_SIZE, signer);
	}
	if (v == RD_HOLD_BOUND && rg->gn) {
		/* a first-use binding gossip made to another key goes: the
		 * share we hold outranks what a relay told us */
		go.uuid = t->uuid;
		gossip_node_each(rg->gn, find_owner, &go);
	}
	if (rd_hold_usable(v) && rg->gn) {
		pin_held(rg, t->uuid, t->owner_id);
		gossip_node_publish(rg->gn, tbl, len);
	}
	pthread_mutex_unlock(&rg->mu);
	switch (v) {
	case RD_HOLD_BOUND:
		prev[0] = '\0';
		if (go.found && memcmp(go.owner, t->owner_id, SLT_ID_SIZE)) {
			hex_encode(go.owner, SLT_ID_SIZE, owner);
			snprintf(prev, sizeof(prev),
				 "; gossip had it from %.64s (first use): that "
				 "table is dropped",
				 owner);
		}
		seterr(msg, msglen,
		       "%s: volume %s (%s) version %" PRIu64
		       ": bound to owner %s on first sight%s",
		       lun, u, t->name, t->version, signer, prev);
		break;
	case RD_HOLD_NEWER:
		seterr(msg, msglen,
		       "%s: volume %s (%s): owner %s's table version %" PRIu64
		       " accepted (was %" PRIu64 ")",
		       lun, u, t->name, signer, t->version, seen);
		break;
	case RD_HOLD_OLDER:
		seterr(msg, msglen,
		       "%s: volume %s: refused table version %" PRIu64
		       " of owner %s: version %" PRIu64 " was seen already",
		       lun, u, t->version, signer, seen);
		break;
	case RD_HOLD_OTHER_KEY:
		hex_encode(bound, SLT_ID_SIZE, owner);
		seterr(msg, msglen,
		       "%s: REFUSED table of volume %s (%s) version %" PRIu64
		       ": signed by %s, but this node holds the volume for "
		       "owner %s; the binding is kept (doc/gossip.md, Held "
		       "volumes)",
		       lun, u, t->name, t->version, signer, owner);
		break;
	case RD_HOLD_BAD:
		seterr(msg, msglen,
		       "%s: refused table claiming volume %s, owner %s: "
		       "malformed or its signature does not verify",
		       lun, u, signer);
		break;
	case RD_HOLD_FULL:
		seterr(msg, msglen,
		       "%s: volume %s not bound: %u held volumes is the cap "
		       "and none is stale",
		       lun, u, cap);
		break;
	default:
		break;
	}
	free(t);
	return v;
}

static const char *hold_verdict(unsigned v)
{
	return rd_hold_verdict_name((enum rd_hold_verdict)v);
}

static const char *gossip_verdict(unsigned v)
{
	return gossip_verdict_name((enum gossip_verdict)v);
}

/* A counter family with one line per verdict. */
static void verdict_metric(struct strbuf *out, const char *name,
			   const char *help, const uint64_t *counts, unsigned n,
			   const char *(*label)(unsigned))
{
	rd_metric_family(out, name, "counter", help);
	for (unsigned v = 0; v < n; v++)
		strbuf_addf(out, "%s{verdict=\"%s\"} %" PRIu64 "\n", name,
			    label(v), counts[v]);
}

void rd_gossip_metrics(struct rd_gossip *rg, struct strbuf *out)
{
	struct rd_hold_stats hs;
	struct gossip_stats gs;

	if (!rg)
		return;
	pthread_mutex_lock(&rg->mu);
	rd_hold_stats(rg->hold, &hs);
	pthread_mutex_unlock(&rg->mu);
	rd_metric_family(out, "tgtx_replicd_held_volumes", "gauge",
			 "volumes bound to their owner from a share-volume "
			 "header (doc/gossip.md, Held volumes)");
	strbuf_addf(out, "tgtx_replicd_held_volumes %u\n", hs.count);
	rd_metric_family(out, "tgtx_replicd_held_volumes_cap", "gauge",
			 "most bindings held; at the cap a new volume is not "
			 "bound unless one is stale");
	strbuf_addf(out, "tgtx_replicd_held_volumes_cap %u\n", hs.cap);
	verdict_metric(out, "tgtx_replicd_held_tables_total",
		       "share-location tables read from headers, by verdict "
		       "(older, other-key, bad: refused)",
		       hs.verdicts, RD_HOLD_VERDICTS, hold_verdict);
	rd_metric_family(out, "tgtx_replicd_held_save_error", "gauge",
			 "0, or the errno of the last failed save of the "
			 "bindings file");
	strbuf_addf(out, "tgtx_replicd_held_save_error %d\n", -hs.save_error);
	if (!rg->gn)
		return;
	gossip_node_stats(rg->gn, NULL, &gs);
	verdict_metric(out, "tgtx_replicd_gossip_tables_total",
		       "tables received by gossip, by verdict (forged, "
		       "bad-signature: refused)",
		       gs.verdicts, GOSSIP_VERDICTS, gossip_verdict);
}
