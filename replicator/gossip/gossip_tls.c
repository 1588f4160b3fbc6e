// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/tcp_drop.h"
#include "core/loop.h"
#include "gossip_tls.h"
#include "tls/tls_ctx.h"

/* node keys and table keys are one kind: the certificate helpers serve both */
_Static_assert(SLT_PUB_SIZE == NODEKEY_PUB_SIZE &&
		       SLT_ID_SIZE == NODEKEY_ID_SIZE,
	       "slt and node key sizes");

struct gtls {
	SSL_CTX *ctx;
	uint8_t (*pins)[SLT_PUB_SIZE];
	size_t npins;
	uint8_t (*id_pins)[SLT_ID_SIZE]; /* keys known by their id only */
	size_t nid_pins;
};

struct gconn {
	int fd;
	bool client;
	SSL *ssl;
	const struct gtls *t;
	const uint8_t *want; /* client side: the one key expected, or NULL */
	bool want_by_id;     /* ... or the one node id expected (want_id) */
	uint8_t want_id[SLT_ID_SIZE];
	bool key_ok;
	uint8_t peer_pub[SLT_PUB_SIZE];
	uint8_t peer_id[SLT_ID_SIZE];
	char name[64]; /* host:port, for messages */
};

/* the turn being collected by gtls_gossip_send() in this thread */
struct gtls_turn {
	const uint8_t *peer_id;
	uint8_t *buf;
	size_t len, cap;
	bool overflow;
};
static _Thread_local struct gtls_turn *cur_turn;
static int conn_idx = -1;

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

uint64_t gtls_now_ms(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool gtls_pinned(const struct gtls *t, const uint8_t *pub)
{
	uint8_t id[SLT_ID_SIZE];

	for (size_t i = 0; i < t->npins; i++)
		if (!memcmp(t->pins[i], pub, SLT_PUB_SIZE))
			return true;
	if (!t->nid_pins)
		return false;
	nodekey_id_of(pub, id);
	for (size_t i = 0; i < t->nid_pins; i++)
		if (!memcmp(t->id_pins[i], id, SLT_ID_SIZE))
			return true;
	return false;
}

/* the key a client connection expects, by key, by id, or any pinned one */
static bool conn_key_wanted(const struct gconn *c, const uint8_t *pub)
{
	uint8_t id[SLT_ID_SIZE];

	if (c->want)
		return !memcmp(pub, c->want, SLT_PUB_SIZE);
	if (c->want_by_id) {
		nodekey_id_of(pub, id);
		return !memcmp(id, c->want_id, SLT_ID_SIZE);
	}
	return gtls_pinned(c->t, pub);
}

/*
 * No CA: the chain's own verdict (a self-signed leaf fails it) is
 * ignored; the leaf's public key must be the pinned one, nothing else.
 */
static int verify_cb(int preverify, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
		xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct gconn *c = ssl ? SSL_get_ex_data(ssl, conn_idx) : NULL;
	uint8_t pub[SLT_PUB_SIZE];

	if (!c)
		return 0;
	if (X509_STORE_CTX_get_error_depth(xs) > 0)
		return 1; /* intermediates mean nothing here */
	if (!tls_cert_pub(X509_STORE_CTX_get_current_cert(xs), pub))
		return 0;
	if (!conn_key_wanted(c, pub))
		return 0;
	memcpy(c->peer_pub, pub, SLT_PUB_SIZE);
	c->key_ok = true;
	return 1;
}

struct gtls *gtls_new(const struct nodekey *key, char *err, size_t errlen)
{
	struct gtls *t = calloc(1, sizeof(*t));
	X509 *x = NULL;

	if (conn_idx < 0)
		conn_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (!t)
		return NULL;
	t->pins = calloc(GTLS_MAX_PINS, sizeof(*t->pins));
	t->ctx = SSL_CTX_new(TLS_method());
	if (!t->pins || !t->ctx || conn_idx < 0)
		goto fail;
	x = tls_self_cert(key->pkey, key->id);
	if (!x || SSL_CTX_set_min_proto_version(t->ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_use_certificate(t->ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(t->ctx, key->pkey) != 1 ||
	    SSL_CTX_check_private_key(t->ctx) != 1)
		goto fail;
	X509_free(x);
	SSL_CTX_set_verify(t->ctx,
			   SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
			   verify_cb);
	/* resumption would skip verify_cb: every connection proves its key */
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(t->ctx, 0);
	return t;
fail:
	seterr(err, errlen, "TLS context: %s",
	       ERR_reason_error_string(ERR_get_error()));
	X509_free(x);
	gtls_free(t);
	return NULL;
}

void gtls_free(struct gtls *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->ctx);
	free(t->pins);
	free(t->id_pins);
	free(t);
}

int gtls_pin(struct gtls *t, const uint8_t pub[SLT_PUB_SIZE])
{
	if (gtls_pinned(t, pub))
		return -EEXIST;
	if (t->npins >= GTLS_MAX_PINS)
		return -ENOSPC;
	memcpy(t->pins[t->npins++], pub, SLT_PUB_SIZE);
	return 0;
}

int gtls_pin_id(struct gtls *t, const uint8_t id[SLT_ID_SIZE])
{
	for (size_t i = 0; i < t->nid_pins; i++)
		if (!memcmp(t->id_pins[i], id, SLT_ID_SIZE))
			return -EEXIST;
	if (t->nid_pins >= GTLS_MAX_PINS)
		return -ENOSPC;
	if (!t->id_pins) {
		t->id_pins = calloc(GTLS_MAX_PINS, sizeof(*t->id_pins));
		if (!t->id_pins)
			return -ENOMEM;
	}
	memcpy(t->id_pins[t->nid_pins++], id, SLT_ID_SIZE);
	return 0;
}

/* waits for what SSL wants; 0, or -ETIMEDOUT / -EIO */
static int conn_wait(struct gconn *c, int ret, uint64_t deadline)
{
	int e = SSL_get_error(c->ssl, ret);
	struct pollfd p = {.fd = c->fd};
	uint64_t now = loop_now_ms();

	if (e == SSL_ERROR_WANT_READ)
		p.events = POLLIN;
	else if (e == SSL_ERROR_WANT_WRITE)
		p.events = POLLOUT;
	else
		return -EIO;
	if (now >= deadline)
		return -ETIMEDOUT;
	if (poll(&p, 1, (int)(deadline - now)) == 0)
		return -ETIMEDOUT;
	return 0;
}

static struct gconn *conn_new(const struct gtls *t, int fd, const char *name)
{
	struct gconn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	c->t = t;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->ssl = SSL_new(t->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1 ||
	    SSL_set_ex_data(c->ssl, conn_idx, c) != 1) {
		SSL_free(c->ssl);
		free(c);
		return NULL;
	}
	return c;
}

void gconn_close(struct gconn *c)
{
	if (!c)
		return;
	(void)SSL_shutdown(c->ssl); /* best effort, non-blocking */
	SSL_free(c->ssl);
	close(c->fd);
	free(c);
}

void gconn_drop(struct gconn *c)
{
	if (!c)
		return;
	SSL_free(c->ssl);
	tcp_drop(c->fd);
	free(c);
}

/* after the handshake: the key verify_cb saw is the session's key */
static int handshake_check(struct gconn *c, char *err, size_t errlen)
{
	uint8_t pub[SLT_PUB_SIZE];

	if (SSL_version(c->ssl) != TLS1_3_VERSION || !c->key_ok ||
	    !tls_cert_pub(SSL_get0_peer_certificate(c->ssl), pub) ||
	    memcmp(pub, c->peer_pub, SLT_PUB_SIZE)) {
		seterr(err, errlen, "TLS with %s: peer not authenticated",
		       c->name);
		return -EACCES;
	}
	nodekey_id_of(c->peer_pub, c->peer_id);
	return 0;
}

static const char *handshake_why(const struct gconn *c, int ret)
{
	return ret == -ETIMEDOUT ? "timed out"
	       : !c->key_ok	 ? "peer key not pinned or handshake refused"
				 : "failed";
}

static int handshake(struct gconn *c, bool client, uint64_t deadline, char *err,
		     size_t errlen)
{
	int ret;

	for (;;) {
		ret = client ? SSL_connect(c->ssl) : SSL_accept(c->ssl);
		if (ret == 1)
			break;
		ret = conn_wait(c, ret, deadline);
		if (ret) {
			seterr(err, errlen, "TLS handshake with %s: %s",
			       c->name, handshake_why(c, ret));
			return ret == -ETIMEDOUT ? ret : -EACCES;
		}
	}
	return handshake_check(c, err, errlen);
}

int gtls_connect(struct gtls *t, const char *host, uint16_t port,
		 const uint8_t *want, uint64_t deadline_ms, struct gconn **out,
		 char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct gconn *c;
	char name[64];
	int fd, ret, one = 1;

	snprintf(name, sizeof(name), "%s:%u", host, port);
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) ==
	    1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, host,
			     &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		seterr(err, errlen, "%s: not a numeric address", host);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 &&
	    errno != EINPROGRESS) {
		ret = -errno;
		seterr(err, errlen, "connect %s: %s", name, strerror(-ret));
		close(fd);
		return ret;
	}
	c = conn_new(t, fd, name);
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->want = want;
	ret = handshake(c, true, deadline_ms, err, errlen);
	if (ret) {
		gconn_drop(c);
		return ret;
	}
	*out = c;
	return 0;
}

int gtls_accept(struct gtls *t, int listen_fd, uint64_t deadline_ms,
		struct gconn **out, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char name[64] = "?", addr[INET6_ADDRSTRLEN] = "?";
	struct gconn *c;
	int fd, ret;

	fd = accept4(listen_fd, (struct sockaddr *)&ss, &sl,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr,
			  sizeof(addr));
		snprintf(name, sizeof(name), "%s:%u", addr,
			 ntohs(((struct sockaddr_in *)&ss)->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
			  addr, sizeof(addr));
		snprintf(name, sizeof(name), "[%s]:%u", addr,
			 ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	}
	c = conn_new(t, fd, name);
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	ret = handshake(c, false, deadline_ms, err, errlen);
	if (ret) {
		gconn_drop(c);
		return ret;
	}
	*out = c;
	return 0;
}

const uint8_t *gconn_peer_id(const struct gconn *c)
{
	return c->peer_id;
}

const uint8_t *gconn_peer_pub(const struct gconn *c)
{
	return c->peer_pub;
}

/* conn_xfer: moves all LEN bytes through SSL_write (wr) or SSL_read, waiting
 * (up to DEADLINE) whenever TLS wants the socket. */
static int conn_xfer(struct gconn *c, bool wr, void *buf, size_t len,
		     uint64_t deadline)
{
	uint8_t *p = buf;

	while (len) {
		int n = wr ? SSL_write(c->ssl, p, (int)len)
			   : SSL_read(c->ssl, p, (int)len);
		int ret;

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		ret = conn_wait(c, n, deadline);
		if (ret)
			return ret;
	}
	return 0;
}

static int conn_write(struct gconn *c, const void *buf, size_t len,
		      uint64_t deadline)
{
	/* SSL_write only reads the buffer: the cast drops no real const */
	return conn_xfer(c, true, (void *)buf, len, deadline);
}

static int conn_read(struct gconn *c, void *buf, size_t len, uint64_t deadline)
{
	return conn_xfer(c, false, buf, len, deadline);
}

void gtls_gossip_send(void *ctx, const uint8_t to[SLT_ID_SIZE],
		      const uint8_t *msg, size_t len)
{
	struct gtls_turn *t = cur_turn;
	struct gtls_pending *p = ctx;
	uint32_t l = htole32((uint32_t)len);

	if (t) {
		if (memcmp(to, t->peer_id, SLT_ID_SIZE))
			return; /* replies go to the peer we talk to only */
		if (t->len + 4 + len > t->cap) {
			t->overflow = true;
			return;
		}
		memcpy(t->buf + t->len, &l, 4);
		memcpy(t->buf + t->len + 4, msg, len);
		t->len += 4 + len;
		return;
	}
	if (!p || p->count >= sizeof(p->c) / sizeof(p->c[0]))
		return;
	p->c[p->count].msg = malloc(len);
	if (!p->c[p->count].msg)
		return;
	memcpy(p->c[p->count].msg, msg, len);
	memcpy(p->c[p->count].to, to, SLT_ID_SIZE);
	p->c[p->count].len = len;
	p->count++;
}

void gtls_pending_clear(struct gtls_pending *p)
{
	for (size_t i = 0; i < p->count; i++)
		free(p->c[i].msg);
	p->count = 0;
}

static int send_turn(struct gconn *c, const struct gtls_turn *t,
		     uint64_t deadline)
{
	uint32_t zero = 0;
	int ret = t->len ? conn_write(c, t->buf, t->len, deadline) : 0;

	return ret ? ret : conn_write(c, &zero, 4, deadline);
}

int gtls_dialog(struct gossip *g, struct gconn *c, bool initiator,
		const uint8_t *first, size_t first_len, uint32_t max_msg,
		uint64_t deadline_ms, void (*lock)(void *),
		void (*unlock)(void *), void *lock_arg, char *err,
		size_t errlen)
{
	struct gtls_turn out = {.peer_id = c->peer_id};
	uint8_t *msg = malloc(max_msg);
	int ret = 0, turns = 0;

	out.cap = GTLS_MAX_TURN;
	out.buf = malloc(out.cap);
	if (!msg || !out.buf) {
		ret = -ENOMEM;
		goto done;
	}
	if (initiator) {
		if (first) {
			uint32_t l = htole32((uint32_t)first_len);

			memcpy(out.buf, &l, 4);
			memcpy(out.buf + 4, first, first_len);
			out.len = 4 + first_len;
		} else {
			if (lock)
				lock(lock_arg);
			cur_turn = &out;
			gossip_contact(g, c->peer_id);
			cur_turn = NULL;
			if (unlock)
				unlock(lock_arg);
		}
		ret = send_turn(c, &out, deadline_ms);
		if (ret)
			goto io;
		if (!out.len)
			goto done;
	}
	for (;;) {
		size_t got = 0;

		if (++turns > GTLS_MAX_TURNS) {
			ret = -EPROTO;
			seterr(err, errlen, "%s: too many turns", c->name);
			goto done;
		}
		out.len = 0;
		out.overflow = false;
		for (;;) {
			uint32_t l;

			ret = conn_read(c, &l, 4, deadline_ms);
			if (ret)
				goto io;
			l = le32toh(l);
			if (!l)
				break;
			if (l > max_msg) {
				ret = -EMSGSIZE;
				seterr(err, errlen,
				       "%s: %u-byte message over the %u limit",
				       c->name, l, max_msg);
				goto done;
			}
			ret = conn_read(c, msg, l, deadline_ms);
			if (ret)
				goto io;
			if (lock)
				lock(lock_arg);
			cur_turn = &out;
			gossip_receive(g, c->peer_id, msg, l);
			cur_turn = NULL;
			if (unlock)
				unlock(lock_arg);
			got++;
		}
		if (!got) /* the other side had nothing to say: done */
			goto done;
		ret = send_turn(c, &out, deadline_ms);
		if (ret)
			goto io;
		if (!out.len)
			goto done;
	}
io:
	seterr(err, errlen, "%s: %s", c->name,
	       ret == -ETIMEDOUT ? "timed out"
				 : "connection lost or refused by the peer "
				   "(is our key pinned there?)");
done:
	free(msg);
	free(out.buf);
	return ret;
}

/* ---- non-blocking use ---- */

struct gconn *gtls_conn_new(struct gtls *t, int fd, bool client,
			    const uint8_t *want_id, const char *name)
{
	struct gconn *c = conn_new(t, fd, name);

	if (!c)
		return NULL;
	c->client = client;
	if (want_id) {
		c->want_by_id = true;
		memcpy(c->want_id, want_id, SLT_ID_SIZE);
	}
	return c;
}

int gconn_fd(const struct gconn *c)
{
	return c->fd;
}

const char *gconn_name(const struct gconn *c)
{
	return c->name;
}

/* what SSL waits for after a call that returned n; -EAGAIN with *events */
static int conn_want(struct gconn *c, int n, short *events)
{
	switch (SSL_get_error(c->ssl, n)) {
	case SSL_ERROR_WANT_READ:
		*events = POLLIN;
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		*events = POLLOUT;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return -EPIPE;
	default:
		/* one thread serves many connections: leave no stale error */
		ERR_clear_error();
		return -EIO;
	}
}

int gconn_handshake(struct gconn *c, short *events, char *err, size_t errlen)
{
	int ret;

	ERR_clear_error();
	ret = c->client ? SSL_connect(c->ssl) : SSL_accept(c->ssl);
	if (ret == 1)
		return handshake_check(c, err, errlen);
	ret = conn_want(c, ret, events);
	if (ret == -EAGAIN)
		return ret;
	seterr(err, errlen, "TLS handshake with %s: %s", c->name,
	       handshake_why(c, ret));
	return -EACCES;
}

ssize_t gconn_io(struct gconn *c, bool wr, void *buf, size_t len, short *events)
{
	int n;

	if (!len)
		return 0;
	if (len > INT32_MAX)
		len = INT32_MAX;
	ERR_clear_error();
	n = wr ? SSL_write(c->ssl, buf, (int)len)
	       : SSL_read(c->ssl, buf, (int)len);
	if (n > 0)
		return n;
	return conn_want(c, n, events);
}
