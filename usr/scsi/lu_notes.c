// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LU parameters tgtxd only stores for its administrators (tgtxcli): the
 * backstore name (`backstore` = TYPE/NAME) and the xorshare share peers
 * (`share-peer.I` = URL, `share-peer.I.transport` = WORD). Shown with any
 * user:password in a URL masked; dumped whole (the dump is root-only and
 * already holds CHAP secrets). An empty value removes a note.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "scsi_priv.h"

#define NOTE_VALUE_MAX 1024
#define NOTE_PEERS_MAX 16

struct lu_note {
	struct list_head node;
	char key[32];
	char value[];
};

bool lu_note_key(const char *key)
{
	return !strcmp(key, "backstore") || !strncmp(key, "share-peer.", 11);
}

static int check(const char *key, const char *value, char *err, size_t errlen)
{
	const char *p = key + 11;
	char *end;
	long i;

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
	i = strtol(p, &end, 10);
	if (end == p || i < 0 || i >= NOTE_PEERS_MAX ||
	    (*end && strcmp(end, ".transport"))) {
		snprintf(err, errlen,
			 "unknown LU parameter '%s' "
			 "(share-peer.0..%d[.transport])",
			 key, NOTE_PEERS_MAX - 1);
		return -EINVAL;
	}
	if (*value &&
	    (strchr(value, ' ') || (!*end && !strstr(value, "://")))) {
		snprintf(err, errlen, "bad %s '%s'", *end ? "transport" : "URL",
			 value);
		return -EINVAL;
	}
	return 0;
}

int lu_note_set(struct scsi_lu *lu, const char *key, const char *value,
		char *err, size_t errlen)
{
	struct lu_note *n, *pos;
	int ret = check(key, value, err, errlen);

	if (ret)
		return ret;
	list_for_each_entry (n, &lu->notes, node) {
		if (!strcmp(n->key, key)) {
			list_del(&n->node);
			free(n);
			break;
		}
	}
	if (!*value)
		return 0;
	n = malloc(sizeof(*n) + strlen(value) + 1);
	if (!n) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(n->key, sizeof(n->key), "%s", key);
	strcpy(n->value, value);
	/* sorted, so show and dump list peers in order */
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

void lu_notes_show(struct scsi_lu *lu, struct strbuf *out, const char *ind)
{
	struct lu_note *n;

	list_for_each_entry (n, &lu->notes, node) {
		const char *at = strrchr(n->value, '@');
		const char *scheme = strstr(n->value, "://");

		if (!strcmp(n->key, "backstore"))
			strbuf_addf(out, "%s    Backstore: %s\n", ind,
				    n->value);
		else if (at && scheme && at > scheme &&
			 !memchr(scheme + 3, '/', (size_t)(at - scheme - 3)))
			strbuf_addf(out, "%s    Share peer %s: %.*s***%s\n",
				    ind, n->key + 11,
				    (int)(scheme + 3 - n->value), n->value, at);
		else
			strbuf_addf(out, "%s    Share peer %s: %s\n", ind,
				    n->key + 11, n->value);
	}
}

void lu_notes_dump(struct scsi_lu *lu, struct strbuf *out)
{
	struct lu_note *n;

	list_for_each_entry (n, &lu->notes, node)
		strbuf_addf(out, "\t\t%s \"%s\"\n", n->key, n->value);
}
