// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The store's progress file DIR/progress (struct sl_progress): how far the
 * log is durable and how far the volume and the generation map have caught
 * up with it, for a replicator in another process. It is a hint rewritten
 * in place without fsync, so the write path pays no flush; the number of
 * writes is bounded by SL_PROGRESS_MIN_NS, not by the request rate.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/log.h"
#include "core/loop.h"
#include "sharelog_priv.h"

int sl_progress_open(struct sharelog *sl)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/progress", sl->dir);
	sl->prog_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sl->prog_fd < 0)
		return -errno;
	sl->run_id = sl_now_ns();
	sl->prog_min_ns = SL_PROGRESS_MIN_NS;
	atomic_store(&sl->pub_last, sl_last_seq(sl));
	atomic_store(&sl->pub_durable, sl->durable_seq);
	/* the store says what is applied once it knows (set_applied) */
	atomic_store(&sl->pub_applied, 0);
	atomic_store(&sl->pub_flags, 0);
	return sharelog_publish_progress(sl, true);
}

void sl_progress_close(struct sharelog *sl)
{
	if (sl->prog_fd < 0)
		return;
	atomic_store(&sl->pub_durable, sl->durable_seq);
	atomic_store(&sl->pub_last, sl_last_seq(sl));
	sharelog_publish_progress(sl, true);
	close(sl->prog_fd);
	sl->prog_fd = -1;
}

void sharelog_set_applied(struct sharelog *sl, uint64_t seq)
{
	uint64_t cur = atomic_load(&sl->pub_applied);

	while (seq > cur &&
	       !atomic_compare_exchange_weak(&sl->pub_applied, &cur, seq))
		;
}

void sharelog_set_progress_flags(struct sharelog *sl, uint16_t flags)
{
	atomic_store(&sl->pub_flags, flags);
}

bool sharelog_progress_pending(struct sharelog *sl)
{
	return atomic_load(&sl->prog_pending);
}

int sharelog_publish_progress(struct sharelog *sl, bool force)
{
	struct sl_progress_info p;
	struct sl_progress raw;
	uint64_t now;
	int ret;

	if (sl->prog_fd < 0)
		return 0;
	memset(&p, 0, sizeof(p));
	p.durable_seq = atomic_load(&sl->pub_durable);
	p.applied_seq = atomic_load(&sl->pub_applied);
	p.last_seq = atomic_load(&sl->pub_last);
	p.flags = (uint16_t)atomic_load(&sl->pub_flags);
	p.run_id = sl->run_id;
	p.pid = (uint32_t)getpid();
	pthread_mutex_lock(&sl->prog_mu);
	if (!force && p.durable_seq == sl->prog_written.durable_seq &&
	    p.applied_seq == sl->prog_written.applied_seq &&
	    p.last_seq == sl->prog_written.last_seq &&
	    p.flags == sl->prog_written.flags) {
		atomic_store(&sl->prog_pending, false);
		pthread_mutex_unlock(&sl->prog_mu);
		return 0;
	}
	now = loop_now_ns();
	if (!force && now - sl->prog_written_mono < sl->prog_min_ns) {
		atomic_store(&sl->prog_pending, true);
		pthread_mutex_unlock(&sl->prog_mu);
		return 0;
	}
	p.updated_ns = sl_now_ns();
	sl_progress_encode(&raw, &p);
	/* one 64-byte pwrite: a reader sees the old or new bytes, or a mix
	 * that fails the CRC and reads again */
	ret = pwrite_full(sl->prog_fd, &raw, sizeof(raw), 0);
	/* on error too: the next change tries again, no retry loop */
	sl->prog_written_mono = now;
	atomic_store(&sl->prog_pending, false);
	if (!ret)
		sl->prog_written = p;
	pthread_mutex_unlock(&sl->prog_mu);
	if (ret)
		log_warn("share log %s/progress: %s", sl->dir, strerror(-ret));
	return ret;
}

uint64_t sharelog_last_seq(const struct sharelog *sl)
{
	return sl_last_seq(sl);
}

const char *sl_peer_state_name(uint8_t state)
{
	static const char *const names[] = {
		[SL_PS_BASELINE] = "baseline",
		[SL_PS_RESYNC] = "resync",
		[SL_PS_IN_SYNC] = "in-sync",
		[SL_PS_LAGGING] = "lagging",
		[SL_PS_OFFLINE] = "offline",
		[SL_PS_NEEDS_RESYNC] = "needs-resync",
		[SL_PS_BLOCKED] = "blocked",
	};

	return state < sizeof(names) / sizeof(names[0]) && names[state]
		       ? names[state]
		       : "unknown";
}

const char *sl_transport_name(uint8_t transport)
{
	switch (transport) {
	case SL_PT_PLAIN:
		return "plain";
	case SL_PT_IPSEC:
		return "ipsec";
	case SL_PT_TLS:
		return "tls";
	}
	return "unknown";
}
