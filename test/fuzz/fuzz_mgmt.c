// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the control-socket format (usr/mgmt/mgmt_proto.c).
 * The first input byte picks the side: even, the daemon's request framing
 * and decoding; odd, the client's response decoding. Whatever decodes must
 * encode back to something that decodes to the same fields (the format is
 * defined once, in mgmt_proto.h, for both directions).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "mgmt/mgmt_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static struct mgmt_req req, again;

static void check_request(const char *buf, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	char err[160];
	long whole;
	unsigned int i;

	whole = mgmt_req_complete(buf, len);
	if (whole < 0 || (size_t)whole > len)
		return;
	if (whole == 0)
		whole = (long)len; /* decode must refuse what is not whole */
	if (mgmt_req_decode(&req, buf, (size_t)whole, err, sizeof(err)))
		return;
	if (!req.nr || req.nr > MGMT_FIELDS_MAX)
		abort();
	for (i = 0; i < req.nr; i++) {
		if (mgmt_req_get(&req, req.key[i]) != req.val[i])
			abort(); /* keys are unique: the first is the only one
				  */
		if (mgmt_req_add(&sb, req.key[i], req.val[i]))
			abort(); /* decoded, so it follows the encoding rules */
	}
	if (mgmt_req_end(&sb) ||
	    mgmt_req_complete(strbuf_str(&sb), sb.len) != (long)sb.len ||
	    mgmt_req_decode(&again, strbuf_str(&sb), sb.len, err,
			    sizeof(err)) ||
	    again.nr != req.nr)
		abort();
	for (i = 0; i < req.nr; i++)
		if (strcmp(again.key[i], req.key[i]) ||
		    strcmp(again.val[i], req.val[i]))
			abort();
	strbuf_free(&sb);
}

static void check_response(const char *buf, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	const char *text, *text2;
	size_t tlen, tlen2;
	int status, status2;

	if (mgmt_resp_decode(buf, len, &status, &text, &tlen))
		return;
	if (status < 0 || text < buf || text + tlen != buf + len)
		abort();
	mgmt_resp_encode(&sb, status, text, tlen);
	if (sb.oom ||
	    mgmt_resp_decode(strbuf_str(&sb), sb.len, &status2, &text2,
			     &tlen2) ||
	    status2 != status || tlen2 != tlen || memcmp(text, text2, tlen))
		abort();
	strbuf_free(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char *copy;

	if (n < 1)
		return 0;
	/* exact-size copy: ASan sees any read past the end */
	copy = malloc(n - 1 ? n - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, d + 1, n - 1);
	if (d[0] & 1)
		check_response(copy, n - 1);
	else
		check_request(copy, n - 1);
	free(copy);
	return 0;
}
