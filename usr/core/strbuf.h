/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Growable text buffer for management output and text PDUs. */
#ifndef TGTX_STRBUF_H
#define TGTX_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *buf; /* always NUL terminated once anything was added */
	size_t len;
	size_t cap;
	int oom; /* set when an allocation failed; content is then truncated */
};

#define STRBUF_INIT                                                            \
	{                                                                      \
		NULL, 0, 0, 0                                                  \
	}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_reset(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
/* Returns the text (never NULL) */
const char *strbuf_str(const struct strbuf *sb);

#endif
