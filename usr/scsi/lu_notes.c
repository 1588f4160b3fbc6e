// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LU parameters tgtxd only stores for its administrators and for
 * tgtx-replicd: the backstore name (`backstore` = TYPE/NAME, tgtxcli) and
 * the xorshare share peers (`share-peer.I` = URL, `share-peer.I.OPT` with
 * OPT transport, pin, rate, retain; rules in core/share_peer.h). Shown with
 * any secret in a URL masked; dumped whole as targets.conf's
 * `share-peer I "URL" OPT=V...` line (the dump is root-only and already
 * holds CHAP secrets). An empty value removes a note; removing a peer's URL
 * removes its options, which cannot exist without it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs/bs.h"
#include "core/share_peer.h"
#include "core/strbuf.h"
#include "scsi_priv.h"

#define NOTE_VALUE_MAX 1024

struct lu_note {
	struct list_head node;
	char key[32];
	char value[];
};

bool lu_note_key(const char *key)
{
	return !strcmp(key, "backstore") || !strncmp(key, "share-peer.", 11);
}

static struct lu_note *note_find(struct scsi_lu *lu, const char *key)
{
	struct lu_note *n;

	list_for_each_entry (n, &lu->notes, node)
		if (!strcmp(n->key, key))
			return n;
	return NULL;
}

static void note_del(struct scsi_lu *lu, const char *key)
{
	struct lu_note *n = note_find(lu, key);

	if (n) {
		list_del(&n->node);
		free(n);
	}
}

static void peer_key(char *buf, size_t len, unsigned i, int opt)
{
	if (opt == SP_URL)
		snprintf(buf, len, "share-peer.%u", i);
	else
		snprintf(buf, len, "share-peer.%u.%s", i,
			 share_peer_opt_names[opt]);
}

/* A share peer belongs to an xorshare LU and one of its n shares. */
static int check_peer(struct scsi_lu *lu, const char *key, const char *value,
		      char *err, size_t errlen)
{
	enum share_peer_opt opt;
	char nbuf[16], k[32];
	unsigned i;
	int ret;

	ret = share_peer_key_parse(key, &i, &opt, err, errlen);
	if (ret || !*value)
		return ret;
	if (strcmp(lu->bstype, "xorshare")) {
		snprintf(err, errlen, "%s: LUN %llu is not xorshare (%s)", key,
			 (unsigned long long)lu->lun, lu->bstype);
		return -EINVAL;
	}
	if (bs_opt_get(lu->bsopts, "n", nbuf, sizeof(nbuf)) &&
	    i >= (unsigned)atoi(nbuf)) {
		snprintf(err, errlen, "%s: LUN %llu has n=%s shares", key,
			 (unsigned long long)lu->lun, nbuf);
		return -EINVAL;
	}
	peer_key(k, sizeof(k), i, SP_URL);
	if (opt != SP_URL && !note_find(lu, k)) {
		snprintf(err, errlen, "%s: set %s (the peer's URL) first", key,
			 k);
		return -EINVAL;
	}
	return share_peer_check(opt, value, err, errlen);
}

static int check(struct scsi_lu *lu, const char *key, const char *value,
		 char *err, size_t errlen)
{
	if (strlen(value) > NOTE_VALUE_MAX || strpbrk(value, "\"\r\n\t")) {
		snprintf(err, errlen, "bad value for %s", key);
		return -EINVAL;
	}
	if (!strcmp(key, "backstore")) {
		if (*value && (strlen(value) > 80 || strchr(value, ' ') ||
			       !strchr(value, '/'))) {
			snprintf(err, errlen, "backstore must be TYPE/NAME");
			return -EINVAL;
		}
		return 0;
	}
	return check_peer(lu, key, value, err, errlen);
}

int lu_note_set(struct scsi_lu *lu, const char *key, const char *value,
		char *err, size_t errlen)
{
	enum share_peer_opt opt;
	struct lu_note *n, *pos;
	unsigned i;
	int ret = check(lu, key, value, err, errlen);

	if (ret)
		return ret;
	note_del(lu, key);
	if (!*value) {
		if (!share_peer_key_parse(key, &i, &opt, err, errlen) &&
		    opt == SP_URL) {
			char k[32];
			int o;

			for (o = SP_TRANSPORT; o < SP_NOPTS; o++) {
				peer_key(k, sizeof(k), i, o);
				note_del(lu, k);
			}
		}
		err[0] = '\0';
		return 0;
	}
	n = malloc(sizeof(*n) + strlen(value) + 1);
	if (!n) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(n->key, sizeof(n->key), "%s", key);
	strcpy(n->value, value);
	list_for_each_entry (pos, &lu->notes, node) {
		if (strcmp(pos->key, key) > 0) {
			list_insert_between(&n->node, pos->node.prev,
					    &pos->node);
			return 0;
		}
	}
	list_add_tail(&n->node, &lu->notes);
	return 0;
}

void lu_notes_free(struct scsi_lu *lu)
{
	while (!list_empty(&lu->notes)) {
		struct lu_note *n =
			list_first_entry(&lu->notes, struct lu_note, node);

		list_del(&n->node);
		free(n);
	}
}

/* " transport=tls pin=... rate=... retain=..." of peer i */
static void peer_opts(struct scsi_lu *lu, unsigned i, struct strbuf *out)
{
	struct lu_note *n;
	char k[32];
	int o;

	for (o = SP_TRANSPORT; o < SP_NOPTS; o++) {
		peer_key(k, sizeof(k), i, o);
		n = note_find(lu, k);
		if (n)
			strbuf_addf(out, " %s=%s", share_peer_opt_names[o],
				    n->value);
	}
}

void lu_notes_show(struct scsi_lu *lu, struct strbuf *out, const char *ind)
{
	char k[32], masked[NOTE_VALUE_MAX + 16];
	struct lu_note *n = note_find(lu, "backstore");
	unsigned i;

	if (n)
		strbuf_addf(out, "%s    Backstore: %s\n", ind, n->value);
	for (i = 0; i < SHARE_PEERS_MAX; i++) {
		peer_key(k, sizeof(k), i, SP_URL);
		n = note_find(lu, k);
		if (!n)
			continue;
		share_peer_mask_url(n->value, masked, sizeof(masked));
		strbuf_addf(out, "%s    Share peer %u: %s", ind, i, masked);
		peer_opts(lu, i, out);
		strbuf_addf(out, "\n");
	}
}

void lu_notes_dump(struct scsi_lu *lu, struct strbuf *out)
{
	struct lu_note *n = note_find(lu, "backstore");
	char k[32];
	unsigned i;

	if (n)
		strbuf_addf(out, "\t\tbackstore \"%s\"\n", n->value);
	for (i = 0; i < SHARE_PEERS_MAX; i++) {
		peer_key(k, sizeof(k), i, SP_URL);
		n = note_find(lu, k);
		if (!n)
			continue;
		strbuf_addf(out, "\t\tshare-peer %u \"%s\"", i, n->value);
		peer_opts(lu, i, out);
		strbuf_addf(out, "\n");
	}
}
