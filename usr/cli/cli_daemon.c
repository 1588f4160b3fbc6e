// SPDX-License-Identifier: GPL-2.0-or-later
/* tgtxcli's requests to tgtxd: a json object of fields -> one request. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "mgmt/mgmt_client.h"
#include "mgmt/mgmt_proto.h"
#include "cli.h"

int cli_fail(struct cli *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -1;
}

json_t *cli_req(const char *key, ...)
{
	json_t *o = json_object();
	va_list ap;
	const char *k = key;

	va_start(ap, key);
	while (k) {
		const char *v = va_arg(ap, const char *);

		json_object_set_new(o, k, json_string(v ? v : ""));
		k = va_arg(ap, const char *);
	}
	va_end(ap);
	return o;
}

int cli_call(struct cli *c, json_t *req, char **text)
{
	struct strbuf rq = STRBUF_INIT, out = STRBUF_INIT;
	const char *k;
	json_t *v;
	char err[512];
	int status = 0, ret;

	if (text)
		*text = NULL;
	json_object_foreach (req, k, v) {
		if (mgmt_req_add(&rq, k, json_string_value(v) ?: "")) {
			strbuf_free(&rq);
			return cli_fail(c,
					"invalid value for %s: too long or "
					"holds a line break",
					k);
		}
	}
	if (mgmt_req_end(&rq)) {
		strbuf_free(&rq);
		return cli_fail(c, "request too large");
	}
	ret = mgmt_call(c->sock, &rq, &status, &out, err, sizeof(err));
	strbuf_free(&rq);
	if (ret) {
		strbuf_free(&out);
		return cli_fail(c, "%s", err);
	}
	if (status) {
		size_t n = out.len;

		while (n && out.buf[n - 1] == '\n')
			n--;
		cli_fail(c, "tgtxd: %.*s", (int)n, strbuf_str(&out));
		strbuf_free(&out);
		return -1;
	}
	if (text)
		*text = strdup(strbuf_str(&out));
	strbuf_free(&out);
	return 0;
}
