// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What to replicate: tgtxd's running configuration (the dump op of its
 * control socket, the text `tgtx-admin --dump` prints), parsed with the
 * admin tools' targets.conf parser; every LUN with bs-type xorshare and at
 * least one share peer becomes a struct rd_lun_conf.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/conf.h"
#include "core/share_peer.h"
#include "core/strbuf.h"
#include "mgmt/mgmt_client.h"
#include "mgmt/mgmt_proto.h"
#include "rd.h"

int rd_parse_duration(const char *s, uint32_t *secs)
{
	uint64_t v;

	if (share_peer_parse_retain(s, &v) || v > UINT32_MAX)
		return -EINVAL;
	*secs = (uint32_t)v;
	return 0;
}

int rd_parse_bytes(const char *s, uint64_t *out)
{
	return share_peer_parse_rate(s, out) ? -EINVAL : 0;
}

static void peer_conf_free(struct rd_peer_conf *p)
{
	free(p->url);
	free(p->pin);
	memset(p, 0, sizeof(*p));
}

bool rd_peer_conf_equal(const struct rd_peer_conf *a,
			const struct rd_peer_conf *b)
{
	return !strcmp(a->url ? a->url : "", b->url ? b->url : "") &&
	       a->transport == b->transport &&
	       !strcmp(a->pin ? a->pin : "", b->pin ? b->pin : "") &&
	       a->rate == b->rate && a->retain == b->retain;
}

static void lun_conf_free(struct rd_lun_conf *l)
{
	free(l->name);
	free(l->path);
	free(l->log_dir);
	for (unsigned j = 0; j < RD_PEERS_MAX; j++)
		peer_conf_free(&l->peers[j]);
}

void rd_conf_free(struct rd_conf *c)
{
	for (unsigned i = 0; i < c->count; i++)
		lun_conf_free(&c->luns[i]);
	free(c->luns);
	c->luns = NULL;
	c->count = 0;
}

/* The value of key in "k=v;k=v" (malloc'd), NULL when absent. */
static char *bsopt(const char *opts, const char *key)
{
	size_t klen = strlen(key);
	const char *p = opts;

	while (p && *p) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > klen && !strncmp(p, key, klen) && p[klen] == '=')
			return strndup(p + klen + 1, len - klen - 1);
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

static int set_transport(struct rd_peer_conf *p, const char *v)
{
	if (!v || !strcmp(v, "tls"))
		p->transport = RD_TRANSPORT_TLS;
	else if (!strcmp(v, "ipsec"))
		p->transport = RD_TRANSPORT_IPSEC;
	else if (!strcmp(v, "plain"))
		p->transport = RD_TRANSPORT_PLAIN;
	else
		return -EINVAL;
	return 0;
}

/* One share peer option by its note/param suffix ("" = the URL). */
static int peer_opt(struct rd_peer_conf *p, const char *opt, const char *v,
		    char *err, size_t errlen)
{
	int ret = 0;

	if (!*opt) {
		free(p->url);
		p->url = strdup(v);
		ret = p->url ? 0 : -ENOMEM;
	} else if (!strcmp(opt, "transport")) {
		ret = set_transport(p, v);
	} else if (!strcmp(opt, "pin")) {
		free(p->pin);
		p->pin = strdup(v);
		ret = p->pin ? 0 : -ENOMEM;
	} else if (!strcmp(opt, "rate")) {
		ret = rd_parse_bytes(v, &p->rate);
	} else if (!strcmp(opt, "retain")) {
		ret = rd_parse_duration(v, &p->retain);
	}
	if (ret == -EINVAL)
		snprintf(err, errlen, "bad share-peer %s '%s'", opt, v);
	return ret;
}

/* The effective share peers of the LUN (target-level ones included). */
static int lun_peers(const struct conf_lun *l, struct rd_lun_conf *out,
		     char *err, size_t errlen)
{
	for (unsigned i = 0; i < CONF_PEERS_MAX && i < RD_PEERS_MAX; i++) {
		const struct conf_peer *cp = &l->peers[i];
		struct rd_peer_conf *p = &out->peers[i];
		int ret = 0;

		if (!cp->url)
			continue;
		p->transport = RD_TRANSPORT_TLS;
		ret = peer_opt(p, "", cp->url, err, errlen);
		if (!ret && cp->transport)
			ret = peer_opt(p, "transport", cp->transport, err,
				       errlen);
		if (!ret && cp->pin)
			ret = peer_opt(p, "pin", cp->pin, err, errlen);
		if (!ret && cp->rate)
			ret = peer_opt(p, "rate", cp->rate, err, errlen);
		if (!ret && cp->retain)
			ret = peer_opt(p, "retain", cp->retain, err, errlen);
		if (ret)
			return ret;
		out->npeers = i + 1;
	}
	return 0;
}

static int add_lun(struct rd_conf *c, const struct conf_target *t,
		   const struct conf_lun *l, char *err, size_t errlen)
{
	const char *bstype = conf_lun_bstype(t, l);
	const char *opts = conf_lun_bsopts(t, l);
	struct rd_lun_conf lc = {0}, *n;
	char name[512];
	int ret;

	if (!bstype || strcmp(bstype, "xorshare") || !l->path)
		return 0;
	ret = lun_peers(l, &lc, err, errlen);
	if (!ret && !lc.npeers)
		return 0;
	snprintf(name, sizeof(name), "%s/%ld", t->name, l->lun);
	lc.name = strdup(name);
	lc.path = strdup(l->path);
	lc.log_dir = opts ? bsopt(opts, "log") : NULL;
	if (!ret && !lc.log_dir) {
		snprintf(err, errlen, "%s: xorshare LUN without log=", name);
		ret = -EINVAL;
	}
	if (!ret && (!lc.name || !lc.path))
		ret = -ENOMEM;
	if (!ret) {
		n = realloc(c->luns, (c->count + 1) * sizeof(*n));
		if (!n)
			ret = -ENOMEM;
		else {
			c->luns = n;
			c->luns[c->count++] = lc;
			return 0;
		}
	}
	lun_conf_free(&lc);
	return ret;
}

int rd_conf_from_text(const char *text, size_t len, struct rd_conf *out,
		      char *err, size_t errlen)
{
	struct conf_target *t;
	struct conf_lun *l;
	struct conf *cf;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = conf_parse_string(text, len, "tgtxd", &cf, err, errlen);
	if (ret)
		return ret;
	list_for_each_entry (t, &cf->targets, node) {
		list_for_each_entry (l, &t->luns, node) {
			ret = add_lun(out, t, l, err, errlen);
			if (ret)
				break;
		}
		if (ret)
			break;
	}
	conf_free(cf);
	if (ret)
		rd_conf_free(out);
	return ret;
}

int rd_conf_dump(const char *sock, struct strbuf *resp, char *err,
		 size_t errlen)
{
	struct strbuf req = STRBUF_INIT;
	const char *kv[] = {"op",   "show", "mode",  "system",
			    "name", "dump", "value", "conf"};
	int status = 0, ret = 0;

	for (unsigned i = 0; i < 8 && !ret; i += 2)
		ret = mgmt_req_add(&req, kv[i], kv[i + 1]);
	if (!ret)
		ret = mgmt_req_end(&req);
	if (!ret)
		ret = mgmt_call_timeout(sock, &req, rd_opts.ctl_timeout_ms,
					&status, resp, err, errlen);
	if (!ret && status) {
		snprintf(err, errlen, "tgtxd refused the dump (status %d)",
			 status);
		ret = -EPROTO;
	}
	strbuf_free(&req);
	return ret;
}

int rd_conf_fetch(const char *sock, struct rd_conf *out, char *err,
		  size_t errlen)
{
	struct strbuf resp = STRBUF_INIT;
	int ret = rd_conf_dump(sock, &resp, err, errlen);

	if (!ret)
		ret = rd_conf_from_text(strbuf_str(&resp), resp.len, out, err,
					errlen);
	strbuf_free(&resp);
	return ret;
}
