// SPDX-License-Identifier: GPL-2.0-or-later
/* Named errors of the share-volume code. */
#include <stdarg.h>
#include <stdio.h>

#include "sv.h"

static const char *const names[SV_E__COUNT] = {
	[SV_OK] = "ok",
	[SV_E_IO] = "io-error",
	[SV_E_SMALL] = "lun-too-small",
	[SV_E_MAGIC] = "bad-magic",
	[SV_E_VERSION] = "bad-version",
	[SV_E_CRC] = "bad-crc",
	[SV_E_FIELD] = "bad-field",
	[SV_E_FOREIGN] = "foreign-volume",
	[SV_E_INDEX] = "wrong-index",
	[SV_E_STALE] = "stale",
	[SV_E_JOURNAL] = "journal-broken",
	[SV_E_SLOT] = "bad-slot",
	[SV_E_SHARE] = "bad-share",
	[SV_E_RANGE] = "seq-out-of-range",
	[SV_E_NOMEM] = "no-memory",
	[SV_E_NOCOMMON] = "no-common-seq",
	[SV_E_TIMEOUT] = "timeout",
	[SV_E_REFUSED] = "refused",
	[SV_E_TLS] = "tls",
};

const char *sv_err_name(enum sv_err e)
{
	return (unsigned)e < SV_E__COUNT && names[e] ? names[e] : "unknown";
}

int sv_fail(struct sv_status *st, enum sv_err e, int ret, const char *fmt, ...)
{
	va_list ap;

	if (!st)
		return ret;
	st->code = e;
	va_start(ap, fmt);
	vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
	va_end(ap);
	return ret;
}
