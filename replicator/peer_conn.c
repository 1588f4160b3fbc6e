// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Peer sessions: URL, login, the checks a LUN must pass before it may hold
 * shares (a disk, not an xorshare LUN), its capacity, and the reconnect
 * backoff.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer_priv.h"
#include "bs_xorshare/store/bs_xorshare.h"

#define DEFAULT_INITIATOR "iqn.2026-11.org.tgtx:replicd"

const char *peer_scrub(struct peer *p, const char *msg, char *buf, size_t cap)
{
	const char *hit;
	size_t n = 0;

	if (!msg)
		msg = "";
	if (!p->password || !*p->password) {
		snprintf(buf, cap, "%s", msg);
		return buf;
	}
	buf[0] = '\0';
	while ((hit = strstr(msg, p->password)) && n < cap) {
		n += (size_t)snprintf(buf + n, cap - n, "%.*s***",
				      (int)(hit - msg), msg);
		msg = hit + strlen(p->password);
	}
	if (n < cap)
		snprintf(buf + n, cap - n, "%s", msg);
	return buf;
}

/* The password as written in the URL, to scrub it from messages. */
static char *url_password(const char *url)
{
	const char *auth = strstr(url, "://"), *at, *pct, *slash;

	auth = auth ? auth + 3 : url;
	slash = strchr(auth, '/');
	at = strchr(auth, '@');
	if (!at || (slash && at > slash))
		return NULL;
	pct = memchr(auth, '%', (size_t)(at - auth));
	if (!pct || pct + 1 == at)
		return NULL;
	return strndup(pct + 1, (size_t)(at - pct - 1));
}

int peer_new(struct peer **pp, const struct peer_cfg *cfg, struct sv_status *st)
{
	struct iscsi_context *ctx;
	struct iscsi_url *u;
	char name[512], why[256];
	struct peer *p;

	*pp = NULL;
	if (!cfg->url)
		return sv_fail(st, SV_E_FIELD, -EINVAL, "peer without URL");
	p = calloc(1, sizeof(*p));
	if (!p)
		return sv_fail(st, SV_E_NOMEM, -ENOMEM, "peer");
	p->cfg = *cfg;
	if (!p->cfg.initiator)
		p->cfg.initiator = DEFAULT_INITIATOR;
	if (p->cfg.op_timeout_ms <= 0)
		p->cfg.op_timeout_ms = 15000;
	if (p->cfg.connect_timeout_ms <= 0)
		p->cfg.connect_timeout_ms = 10000;
	if (!p->cfg.window)
		p->cfg.window = 32;
	if (p->cfg.backoff_min_ms <= 0)
		p->cfg.backoff_min_ms = 100;
	if (p->cfg.backoff_max_ms < p->cfg.backoff_min_ms)
		p->cfg.backoff_max_ms = 30000;
	peer_redact_url(cfg->url, name, sizeof(name));
	p->name = strdup(name);
	p->password = url_password(cfg->url);
	p->rng = (uint32_t)getpid() ^ (uint32_t)loop_now_ns();
	if (!p->name)
		goto nomem;
	ctx = iscsi_create_context(p->cfg.initiator);
	if (!ctx)
		goto nomem;
	u = iscsi_parse_full_url(ctx, cfg->url);
	if (!u) {
		peer_scrub(p, iscsi_get_error(ctx), why, sizeof(why));
		iscsi_destroy_context(ctx);
		sv_fail(st, SV_E_FIELD, -EINVAL, "peer %s: bad URL: %s",
			p->name, why);
		peer_free(p);
		return -EINVAL;
	}
	snprintf(p->portal, sizeof(p->portal), "%s", u->portal);
	snprintf(p->target, sizeof(p->target), "%s", u->target);
	snprintf(p->user, sizeof(p->user), "%s", u->user);
	p->lun = u->lun;
	/* libiscsi parsed the password itself; keep its spelling */
	free(p->password);
	p->password = u->passwd[0] ? strdup(u->passwd) : NULL;
	snprintf(p->tuser, sizeof(p->tuser), "%s",
		 cfg->target_user ? cfg->target_user : u->target_user);
	snprintf(p->tpassword, sizeof(p->tpassword), "%s",
		 cfg->target_password ? cfg->target_password
				      : u->target_passwd);
	iscsi_destroy_url(u);
	iscsi_destroy_context(ctx);
	if (p->cfg.transport < PEER_TRANSPORT_PLAIN ||
	    p->cfg.transport > PEER_TRANSPORT_TLS) {
		sv_fail(st, SV_E_FIELD, -EINVAL,
			"peer %s: unknown transport %d", p->name,
			p->cfg.transport);
		peer_free(p);
		return -EINVAL;
	}
	if (p->cfg.transport == PEER_TRANSPORT_TLS) {
		int ret = peer_tls_setup(p, st);

		if (ret) {
			peer_free(p);
			return ret;
		}
	}
	p->dev = (struct sv_dev){&peer_dev_ops, p, 0, 512};
	peer_bucket_init(&p->bucket, p->cfg.rate, loop_now_ns());
	*pp = p;
	return 0;
nomem:
	peer_free(p);
	return sv_fail(st, SV_E_NOMEM, -ENOMEM, "peer");
}

void peer_free(struct peer *p)
{
	if (!p)
		return;
	peer_disconnect(p, -ECANCELED);
	peer_tls_teardown(p);
	if (p->password)
		memset(p->password, 0, strlen(p->password));
	memset(p->tpassword, 0, sizeof(p->tpassword));
	free(p->password);
	free(p->name);
	free(p);
}

const char *peer_name(const struct peer *p)
{
	return p->name;
}

bool peer_connected(const struct peer *p)
{
	return p->connected;
}

int peer_backoff_ms(const struct peer *p)
{
	uint64_t now = loop_now_ns();

	return p->next_attempt_ns > now
		       ? (int)((p->next_attempt_ns - now) / 1000000) + 1
		       : 0;
}

struct wait {
	int done, status;
	struct scsi_task *task;
};

static void wait_cb(struct iscsi_context *iscsi, int status, void *data,
		    void *priv)
{
	struct wait *w = priv;

	(void)iscsi;
	w->done = 1;
	w->status = status;
	w->task = data;
}

/* Runs the session until w is done; -ETIMEDOUT at the deadline (the
 * caller then destroys the context, which forgets w). */
static int run_until(struct peer *p, struct iscsi_context *iscsi,
		     struct wait *w, uint64_t deadline)
{
	while (!w->done) {
		struct pollfd pfd = {iscsi_get_fd(iscsi),
				     (short)iscsi_which_events(iscsi), 0};
		uint64_t now = loop_now_ns();
		int r;

		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)((deadline - now) / 1000000) + 1);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (iscsi_service(iscsi, r > 0 ? pfd.revents : 0) < 0)
			return -ECONNRESET;
	}
	return 0;
}

/* One command during connect; the task is returned GOOD or freed. */
static int command(struct peer *p, struct scsi_task *t, struct wait *w,
		   uint64_t deadline, const char *what, struct sv_status *st)
{
	char why[256];
	int ret;

	if (!t)
		return sv_fail(st, SV_E_IO, -ENOMEM, "peer %s: %s: no task",
			       p->name, what);
	ret = run_until(p, p->iscsi, w, deadline);
	if (ret) {
		/* cancels t (its callback runs now), so w is not used later */
		iscsi_scsi_cancel_all_tasks(p->iscsi);
		if (w->task)
			scsi_free_scsi_task(w->task);
		w->task = NULL;
		return sv_fail(st, ret == -ETIMEDOUT ? SV_E_TIMEOUT : SV_E_IO,
			       ret, "peer %s: %s: %s", p->name, what,
			       ret == -ETIMEDOUT ? "timed out"
						 : "connection lost");
	}
	if (w->status != SCSI_STATUS_GOOD) {
		peer_scrub(p, iscsi_get_error(p->iscsi), why, sizeof(why));
		if (w->task)
			scsi_free_scsi_task(w->task);
		w->task = NULL;
		return sv_fail(st, SV_E_IO, -EIO, "peer %s: %s failed: %s",
			       p->name, what, why);
	}
	return 0;
}

static int read_capacity(struct peer *p, uint64_t deadline,
			 struct sv_status *st)
{
	struct wait w = {0};
	struct scsi_readcapacity16 *rc;
	int ret;

	ret = command(p,
		      iscsi_readcapacity16_task(p->iscsi, p->lun, wait_cb, &w),
		      &w, deadline, "READ CAPACITY(16)", st);
	if (ret)
		return ret;
	rc = scsi_datain_unmarshall(w.task);
	if (!rc || rc->block_length < 512 || rc->block_length > 4096 ||
	    (rc->block_length & (rc->block_length - 1)) ||
	    rc->returned_lba >= UINT64_MAX / 4096) {
		scsi_free_scsi_task(w.task);
		return sv_fail(st, SV_E_FIELD, -EIO,
			       "peer %s: unusable READ CAPACITY(16) answer",
			       p->name);
	}
	p->block_size = rc->block_length;
	p->capacity = (rc->returned_lba + 1) * rc->block_length;
	p->dev.capacity = p->capacity;
	p->dev.block_size = p->block_size;
	scsi_free_scsi_task(w.task);
	return 0;
}

/* A new session starts with a unit attention (power on / reset) that
 * would fail the first command: TEST UNIT READY takes it. */
static int clear_unit_attention(struct peer *p, uint64_t deadline,
				struct sv_status *st)
{
	int i, ret = 0;

	for (i = 0; i < 4; i++) {
		struct wait w = {0};

		ret = command(
			p,
			iscsi_testunitready_task(p->iscsi, p->lun, wait_cb, &w),
			&w, deadline, "TEST UNIT READY", st);
		if (!ret)
			scsi_free_scsi_task(w.task);
		if (ret != -EIO)
			break;
	}
	return ret;
}

/*
 * The page layout is bs_xorshare.h's (the xorshare store answers it); the
 * test is here because the replicator links no store code.
 */
static bool vpd_is_xorshare(const uint8_t *page, size_t len)
{
	size_t mlen = strlen(XS_VPD_MARKER);

	return page && len >= 4 + mlen && page[1] == XS_VPD_PAGE &&
	       !memcmp(page + 4, XS_VPD_MARKER, mlen);
}

/* A disk, and not an xorshare LUN: shares of shares would chain one
 * site's protection onto another's. */
static int check_lun(struct peer *p, uint64_t deadline, struct sv_status *st)
{
	struct wait w = {0};
	int ret;

	ret = clear_unit_attention(p, deadline, st);
	if (ret)
		return ret;

	ret = command(
		p, iscsi_inquiry_task(p->iscsi, p->lun, 0, 0, 96, wait_cb, &w),
		&w, deadline, "INQUIRY", st);
	if (ret)
		return ret;
	if (w.task->datain.size < 1 || (w.task->datain.data[0] & 0x1f)) {
		scsi_free_scsi_task(w.task);
		return sv_fail(st, SV_E_REFUSED, -EMEDIUMTYPE,
			       "peer %s: LUN %d is not a disk", p->name,
			       p->lun);
	}
	scsi_free_scsi_task(w.task);
	memset(&w, 0, sizeof(w));
	ret = command(p,
		      iscsi_inquiry_task(p->iscsi, p->lun, 1, XS_VPD_PAGE, 255,
					 wait_cb, &w),
		      &w, deadline, "INQUIRY VPD 0xC0", st);
	if (ret == -EIO)
		return 0; /* no such page: a plain LUN */
	if (ret)
		return ret;
	ret = vpd_is_xorshare(
		w.task->datain.data,
		(size_t)(w.task->datain.size > 0 ? w.task->datain.size : 0));
	scsi_free_scsi_task(w.task);
	if (ret)
		return sv_fail(st, SV_E_REFUSED, -EMEDIUMTYPE,
			       "peer %s: LUN %d is an xorshare LUN (VPD "
			       "0xC0): shares are never stored on shares",
			       p->name, p->lun);
	return 0;
}

static void connect_cb(struct iscsi_context *iscsi, int status, void *data,
		       void *priv)
{
	struct wait *w = priv;

	(void)iscsi;
	(void)data;
	if (w->done)
		return; /* the second call, at teardown */
	w->done = 1;
	w->status = status;
}

static int connect_fail(struct peer *p, int ret)
{
	if (p->iscsi) {
		iscsi_scsi_cancel_all_tasks(p->iscsi);
		iscsi_destroy_context(p->iscsi);
		p->iscsi = NULL;
	}
	peer_tls_close(p);
	p->connected = false;
	p->stats.connect_failures++;
	p->next_attempt_ns =
		loop_now_ns() +
		(uint64_t)peer_backoff_delay(p->cfg.backoff_min_ms,
					     p->cfg.backoff_max_ms, p->fails++,
					     rand_r(&p->rng)) *
			1000000ULL;
	return ret;
}

int peer_connect(struct peer *p, struct sv_status *st)
{
	uint64_t deadline = loop_now_ns() +
			    (uint64_t)p->cfg.connect_timeout_ms * 1000000ULL;
	struct wait w = {0};
	char why[256];
	int ret;

	if (p->connected)
		return 0;
	p->iscsi = iscsi_create_context(p->cfg.initiator);
	if (!p->iscsi)
		return connect_fail(p, sv_fail(st, SV_E_NOMEM, -ENOMEM,
					       "peer %s: no iSCSI context",
					       p->name));
	iscsi_set_targetname(p->iscsi, p->target);
	iscsi_set_session_type(p->iscsi, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(p->iscsi, ISCSI_HEADER_DIGEST_NONE);
	/* We reconnect ourselves, with backoff, and resume the writer. */
	iscsi_set_noautoreconnect(p->iscsi, 1);
	if (p->user[0] &&
	    iscsi_set_initiator_username_pwd(p->iscsi, p->user,
					     p->password ? p->password : ""))
		return connect_fail(p, sv_fail(st, SV_E_FIELD, -EINVAL,
					       "peer %s: CHAP setup failed",
					       p->name));
	if (p->tuser[0] &&
	    iscsi_set_target_username_pwd(p->iscsi, p->tuser, p->tpassword))
		return connect_fail(p, sv_fail(st, SV_E_FIELD, -EINVAL,
					       "peer %s: mutual CHAP setup "
					       "failed",
					       p->name));
	/* TLS first: nothing of iSCSI leaves before the peer proved its key */
	if (p->cfg.transport == PEER_TRANSPORT_TLS) {
		ret = peer_tls_open(p, deadline, st);
		if (ret)
			return connect_fail(p, ret);
	}
	/*
	 * TCP connect, then login, as two steps: libiscsi's combined call
	 * keeps state that leaks when a stalled login is abandoned.
	 */
	if (iscsi_connect_async(p->iscsi,
				p->tunnel ? p->tunnel_portal : p->portal,
				connect_cb, &w))
		return connect_fail(p, sv_fail(st, SV_E_IO, -EIO,
					       "peer %s: connect failed",
					       p->name));
	if (p->tunnel) {
		ret = peer_tls_start(p, deadline, st);
		if (ret)
			return connect_fail(p, ret);
	}
	ret = run_until(p, p->iscsi, &w, deadline);
	if (!ret && w.status == SCSI_STATUS_GOOD) {
		memset(&w, 0, sizeof(w));
		if (iscsi_login_async(p->iscsi, connect_cb, &w))
			return connect_fail(p, sv_fail(st, SV_E_IO, -EIO,
						       "peer %s: login failed",
						       p->name));
		ret = run_until(p, p->iscsi, &w, deadline);
	}
	if ((ret || w.status != SCSI_STATUS_GOOD) &&
	    peer_tls_failed(p, why, sizeof(why)))
		/* the server takes our key or not after its handshake ends */
		return connect_fail(
			p, sv_fail(st, SV_E_TLS, -EACCES,
				   "peer %s: TLS session refused (is our node "
				   "key's pin in the peer's --tls-peers?): %s",
				   p->name, why));
	if (ret || w.status != SCSI_STATUS_GOOD) {
		peer_scrub(p, iscsi_get_error(p->iscsi), why, sizeof(why));
		return connect_fail(
			p,
			sv_fail(st, ret == -ETIMEDOUT ? SV_E_TIMEOUT : SV_E_IO,
				ret ? ret : -ECONNREFUSED,
				"peer %s: login %s: %s", p->name,
				ret == -ETIMEDOUT ? "timed out" : "failed",
				why));
	}
	ret = check_lun(p, deadline, st);
	if (!ret)
		ret = read_capacity(p, deadline, st);
	if (ret)
		return connect_fail(p, ret);
	p->connected = true;
	p->fails = 0;
	p->next_attempt_ns = 0;
	p->stats.connects++;
	return 0;
}

int peer_refresh_capacity(struct peer *p, struct sv_status *st)
{
	uint64_t deadline =
		loop_now_ns() + (uint64_t)p->cfg.op_timeout_ms * 1000000ULL;
	int ret;

	if (!p->connected)
		return sv_fail(st, SV_E_IO, -ENOTCONN, "peer %s: not connected",
			       p->name);
	/* Only between commands: the blocking command shares the session. */
	if (p->nflight || p->queue_head)
		return sv_fail(st, SV_E_IO, -EBUSY, "peer %s: busy", p->name);
	ret = read_capacity(p, deadline, st);
	if (ret)
		peer_disconnect(p, ret);
	return ret;
}
