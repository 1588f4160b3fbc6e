// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pure policies of the peer layer, kept apart so they are tested without
 * a network: the byte-rate bucket, the reconnect backoff and the URL
 * redaction.
 */
#include <stdio.h>
#include <string.h>

#include "peer.h"

void peer_bucket_init(struct peer_bucket *b, uint64_t rate, uint64_t now_ns)
{
	b->rate = rate;
	/* A tenth of a second of traffic (at least 256 KiB) may go at once:
	 * bursts keep the pipeline full without exceeding the rate on
	 * average. */
	b->burst = rate / 10 > (256u << 10) ? rate / 10 : (256u << 10);
	b->tokens = (double)b->burst;
	b->last_ns = now_ns;
}

int peer_bucket_take(struct peer_bucket *b, uint64_t len, uint64_t now_ns)
{
	double need;

	if (!b->rate)
		return 0;
	if (now_ns > b->last_ns) {
		b->tokens +=
			(double)(now_ns - b->last_ns) * (double)b->rate / 1e9;
		if (b->tokens > (double)b->burst)
			b->tokens = (double)b->burst;
		b->last_ns = now_ns;
	}
	/* A command larger than the burst waits for a full bucket. */
	need = (double)len < (double)b->burst ? (double)len : (double)b->burst;
	if (b->tokens >= need) {
		b->tokens -= (double)len;
		return 0;
	}
	return (int)((need - b->tokens) * 1000.0 / (double)b->rate) + 1;
}

int peer_backoff_delay(int min_ms, int max_ms, unsigned fails, uint32_t r)
{
	uint64_t d = (uint64_t)min_ms;

	while (fails-- && d < (uint64_t)max_ms)
		d *= 2;
	if (d > (uint64_t)max_ms)
		d = (uint64_t)max_ms;
	/* Jitter in [0.5, 1): peers that failed together do not retry in
	 * lockstep. */
	return (int)(d / 2 + (d / 2) * (r % 1000) / 1000);
}

/*
 * Mutual CHAP travels as libiscsi's ?target_password=P argument: its value
 * becomes *** in place. The result is never longer than the input, so it
 * fits the caller's buffer (a value of 1-3 characters keeps its length).
 */
static void redact_arg(char *s, const char *key)
{
	char *v = strstr(s, key), *end;

	if (!v)
		return;
	v += strlen(key);
	end = v + strcspn(v, "&#");
	if (end - v <= 3) {
		memset(v, '*', (size_t)(end - v));
		return;
	}
	memcpy(v, "***", 3);
	memmove(v + 3, end, strlen(end) + 1);
}

void peer_redact_url(const char *url, char *out, size_t cap)
{
	const char *auth = strstr(url, "://");
	const char *at, *pct, *slash;
	size_t n;

	if (!cap)
		return;
	auth = auth ? auth + 3 : url;
	slash = strchr(auth, '/');
	at = strchr(auth, '@');
	if (at && slash && at > slash)
		at = NULL;
	pct = at ? memchr(auth, '%', (size_t)(at - auth)) : NULL;
	if (!pct) {
		snprintf(out, cap, "%s", url);
	} else {
		n = (size_t)(pct - url);
		snprintf(out, cap, "%.*s%%***%s", (int)n, url, at);
	}
	redact_arg(out, "target_password=");
}
