// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/loop.h"
#include "kit_conf.h"
#include "replicator/gossip/gossip_tls.h"

/* the host of iscsi://[cred@]HOST[:PORT]/...; port 3260 when absent */
static int url_host(const char *url, char *host, size_t hl, unsigned *port)
{
	const char *p = strstr(url, "://"), *slash, *at, *end, *colon;
	size_t n;

	if (!p)
		return -EINVAL;
	p += 3;
	slash = strchr(p, '/');
	if (!slash)
		return -EINVAL;
	at = memchr(p, '@', (size_t)(slash - p));
	if (at)
		p = at + 1;
	*port = 3260;
	if (*p == '[') {
		end = memchr(p, ']', (size_t)(slash - p));
		if (!end)
			return -EINVAL;
		p++;
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(slash - p));
		end = colon ? colon : slash;
	}
	n = (size_t)(end - p);
	if (!n || n >= hl)
		return -EINVAL;
	memcpy(host, p, n);
	host[n] = 0;
	if (colon && sscanf(colon + 1, "%u", port) != 1)
		return -EINVAL;
	return 0;
}

/* the key of the node whose id is pin, from a TLS handshake at host:port */
static int learn_key(struct gtls *t, const uint8_t id[SLT_ID_SIZE],
		     const char *host, unsigned port, unsigned timeout_ms,
		     uint8_t pub[SLT_PUB_SIZE], char *err, size_t errlen)
{
	struct gconn *c;
	uint8_t got[SLT_ID_SIZE];
	int ret;

	ret = gtls_connect(t, host, (uint16_t)port, NULL,
			   loop_now_ms() + timeout_ms, &c, err, errlen);
	if (ret)
		return ret;
	/* t pins ids only: the key is the pinned node's, checked again */
	memcpy(pub, gconn_peer_pub(c), SLT_PUB_SIZE);
	gconn_close(c);
	nodekey_id_of(pub, got);
	return memcmp(got, id, SLT_ID_SIZE) ? -EACCES : 0;
}

int kit_peers_from_conf(struct kit *k, const struct rd_conf *c,
			const struct nodekey *key, unsigned timeout_ms,
			char *err, size_t errlen)
{
	struct gtls *t = gtls_new(key, err, errlen);
	int ret = 0;

	if (!t)
		return -ENOMEM;
	for (unsigned l = 0; l < c->count && !ret; l++) {
		const struct rd_lun_conf *lc = &c->luns[l];

		for (unsigned i = 0; i < lc->npeers && !ret; i++) {
			const struct rd_peer_conf *pc = &lc->peers[i];
			struct kit_peer *kp;
			uint8_t id[SLT_ID_SIZE];
			char host[KIT_MAX_ADDR], why[256] = "";
			unsigned port;
			bool dup = false;

			if (!pc->url)
				continue;
			for (unsigned j = 0; j < k->npeers; j++)
				dup |= !strcmp(k->peers[j].url, pc->url);
			if (dup)
				continue;
			if (k->npeers >= KIT_MAX_PEERS ||
			    strlen(pc->url) > KIT_MAX_URL ||
			    url_host(pc->url, host, sizeof(host) - 6, &port)) {
				snprintf(err, errlen,
					 "LUN %s share %u: URL unusable in a "
					 "kit (or more than %u peers)",
					 lc->name, i, KIT_MAX_PEERS);
				ret = -EINVAL;
				break;
			}
			kp = &k->peers[k->npeers];
			memset(kp, 0, sizeof(*kp));
			snprintf(kp->url, sizeof(kp->url), "%s", pc->url);
			snprintf(kp->addr, sizeof(kp->addr),
				 strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
				 GOSSIP_DEFAULT_PORT);
			if (pc->pin) {
				if (hex_decode(pc->pin, id, SLT_ID_SIZE)) {
					snprintf(err, errlen,
						 "LUN %s share %u: bad pin",
						 lc->name, i);
					ret = -EINVAL;
					break;
				}
				gtls_pin_id(t, id);
				ret = -ENOENT;
				if (pc->transport == RD_TRANSPORT_TLS)
					ret = learn_key(t, id, host, port,
							timeout_ms, kp->pub,
							why, sizeof(why));
				if (ret)
					ret = learn_key(t, id, host,
							GOSSIP_DEFAULT_PORT,
							timeout_ms, kp->pub,
							why, sizeof(why));
				if (ret) {
					snprintf(
						err, errlen,
						"LUN %s share %u: cannot learn "
						"the key of pin %.16s... from "
						"%s (%s); give it with --peer "
						"PUBHEX,ADDR,URL",
						lc->name, i, pc->pin, host,
						why);
					break;
				}
			}
			k->npeers++;
		}
	}
	gtls_free(t);
	return ret;
}
