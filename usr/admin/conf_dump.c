// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Client half of tgtx-admin --dump (the daemon half is mgmt_dump.c), and
 * the one-shot request helper the admin code shares.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/strbuf.h"
#include "mgmt/mgmt_client.h"
#include "mgmt/mgmt_proto.h"
#include "conf_apply.h"

int admin_request(const struct admin_opts *o, const char *const *kv,
		  struct strbuf *out)
{
	struct strbuf req = STRBUF_INIT;
	char err[512];
	int status = 0, ret = 0;

	for (; kv[0]; kv += 2) {
		if (mgmt_req_add(&req, kv[0], kv[1])) {
			fprintf(stderr, "tgtx-admin: invalid value for --%s\n",
				kv[0]);
			ret = -EINVAL;
			goto out;
		}
	}
	if (mgmt_req_end(&req)) {
		fprintf(stderr, "tgtx-admin: request too large\n");
		ret = -E2BIG;
		goto out;
	}
	ret = mgmt_call(o->sock, &req, &status, out, err, sizeof(err));
	if (ret) {
		/* --pretend works without a daemon: stay quiet there */
		if (!o->pretend)
			fprintf(stderr, "tgtx-admin: %s\n", err);
		goto out;
	}
	ret = status ? -status : 0;
out:
	strbuf_free(&req);
	return ret;
}

int conf_dump_fetch(const struct admin_opts *o, bool internal,
		    struct strbuf *out, char *err, size_t errlen)
{
	const char *kv[] = {
		"op",	"show", "mode",	 "system",
		"name", "dump", "value", internal ? "state" : "conf",
		NULL};
	int ret = admin_request(o, kv, out);

	if (ret > -1000 && ret < 0 && out->len)
		snprintf(err, errlen, "%s", strbuf_str(out));
	else if (ret)
		snprintf(err, errlen, "cannot read the daemon's configuration");
	return ret;
}
