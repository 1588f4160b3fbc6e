/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tgtx-admin's engine: brings the running daemon in line with a parsed
 * targets.conf by issuing tgtxadm requests (or printing them with
 * --pretend). The daemon's state comes from its dump, parsed by conf.h.
 */
#ifndef TGTX_CONF_APPLY_H
#define TGTX_CONF_APPLY_H

#include <stdbool.h>

#include "conf.h"

struct strbuf;

struct admin_opts {
	const char *sock; /* control socket path */
	bool force;	  /* touch targets that have sessions */
	bool pretend;	  /* print tgtxadm commands instead of running them */
	bool verbose;	  /* print each command as it runs */
	bool ignore_errors;
};

enum apply_mode {
	/* -e: create what is missing, never remove anything */
	APPLY_EXECUTE,
	/* --update: also remove what the config no longer has */
	APPLY_UPDATE,
};

/*
 * Applies `want` to the daemon. select: NULL or "ALL" for every target,
 * "tid=N"/"N" or a target name for one. With APPLY_UPDATE and "ALL",
 * targets missing from the config are deleted (unless in use and not
 * forced). Returns 0, or -1 after printing errors to stderr.
 */
int conf_apply(const struct conf *want, const struct admin_opts *o,
	       enum apply_mode mode, const char *select);
/* tgt-admin --delete ALL|tid=N|IQN */
int conf_delete(const struct admin_opts *o, const char *select);
/* The daemon's configuration (tgtx extension lines when internal). */
int conf_dump_fetch(const struct admin_opts *o, bool internal,
		    struct strbuf *out, char *err, size_t errlen);
/* Sends one request built from key/value pairs (NULL-terminated). */
int admin_request(const struct admin_opts *o, const char *const *kv,
		  struct strbuf *out);

#endif
