// SPDX-License-Identifier: GPL-2.0-or-later
/* TLS 1.3 contexts and handshakes with pinned node keys (tls_ctx.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls_ctx.h"

static int auth_idx = -1;
static pthread_once_t auth_once = PTHREAD_ONCE_INIT;

static void auth_idx_init(void)
{
	auth_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

const char *tls_last_error(char *buf, size_t len)
{
	unsigned long e = ERR_get_error(), next;

	/* the newest is the most specific */
	while ((next = ERR_get_error()))
		e = next;
	if (!e)
		snprintf(buf, len, "%s", "");
	else
		ERR_error_string_n(e, buf, len);
	return buf;
}

bool tls_cert_pub(struct x509_st *x, uint8_t pub[NODEKEY_PUB_SIZE])
{
	EVP_PKEY *k = x ? X509_get0_pubkey(x) : NULL;
	size_t len = NODEKEY_PUB_SIZE;

	return k && EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 &&
	       EVP_PKEY_get_raw_public_key(k, pub, &len) == 1 &&
	       len == NODEKEY_PUB_SIZE;
}

/*
 * No CA: the chain's own verdict (a self-signed leaf fails it) is
 * ignored; the leaf's key must be the pinned one, nothing else.
 */
static int verify_cb(int preverify, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
		xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_auth *a = ssl ? SSL_get_ex_data(ssl, auth_idx) : NULL;
	uint8_t pub[NODEKEY_PUB_SIZE];

	(void)preverify;
	if (!a)
		return 0;
	if (X509_STORE_CTX_get_error_depth(xs) > 0)
		return 1; /* intermediates mean nothing here */
	if (!tls_cert_pub(X509_STORE_CTX_get_current_cert(xs), pub))
		return 0;
	a->saw_cert = true;
	tls_pin_of(pub, a->pin);
	a->who = tls_pins_find(a->allowed, a->pin);
	a->ok = a->want ? !memcmp(a->pin, a->want, TLS_PIN_SIZE)
			: a->who != NULL;
	if (a->ok)
		X509_STORE_CTX_set_error(xs, X509_V_OK);
	return a->ok;
}

struct x509_st *tls_self_cert(struct evp_pkey_st *pkey,
			      const uint8_t id[NODEKEY_ID_SIZE])
{
	X509 *x = X509_new();
	X509_NAME *nm;
	char cn[24];

	if (!x)
		return NULL;
	hex_encode(id, 8, cn);
	nm = X509_get_subject_name(x);
	if (X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -86400) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 100L * 365 * 86400) ||
	    X509_set_pubkey(x, pkey) != 1 ||
	    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
				       (const unsigned char *)cn, -1, -1,
				       0) != 1 ||
	    X509_set_issuer_name(x, nm) != 1 || !X509_sign(x, pkey, NULL)) {
		X509_free(x);
		return NULL;
	}
	return x;
}

SSL_CTX *tls_ctx_new(const struct nodekey *key, bool server, char *err,
		     size_t errlen)
{
	SSL_CTX *ctx;
	X509 *x = NULL;
	char why[160];

	pthread_once(&auth_once, auth_idx_init);
	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!ctx || auth_idx < 0 || !key->pkey)
		goto fail;
	x = tls_self_cert(key->pkey, key->id);
	if (!x || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_use_certificate(ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key->pkey) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto fail;
	X509_free(x);
	SSL_CTX_set_verify(ctx,
			   SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
			   verify_cb);
	/* resumption would skip verify_cb: every connection proves its key */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* iSCSI frames its own PDUs: a cut stream cannot pass for a whole
	 * one, so a hang-up without close_notify is an ordinary end */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_num_tickets(ctx, 0);
	/* the pumps write from buffers that move and fill in pieces */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
	return ctx;
fail:
	snprintf(err, errlen, "TLS context: %s",
		 *tls_last_error(why, sizeof(why)) ? why : "setup failed");
	X509_free(x);
	SSL_CTX_free(ctx);
	return NULL;
}

void tls_ctx_free(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}

SSL *tls_ssl_new(SSL_CTX *ctx, int fd, bool server, struct tls_auth *auth)
{
	SSL *ssl = SSL_new(ctx);

	if (!ssl)
		return NULL;
	if (SSL_set_fd(ssl, fd) != 1 ||
	    SSL_set_ex_data(ssl, auth_idx, auth) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	if (server)
		SSL_set_accept_state(ssl);
	else
		SSL_set_connect_state(ssl);
	return ssl;
}

enum tls_step tls_handshake_step(SSL *ssl)
{
	struct tls_auth *a = SSL_get_ex_data(ssl, auth_idx);
	uint8_t pub[NODEKEY_PUB_SIZE], pin[TLS_PIN_SIZE];
	int ret = SSL_do_handshake(ssl);

	if (ret != 1) {
		switch (SSL_get_error(ssl, ret)) {
		case SSL_ERROR_WANT_READ:
			return TLS_STEP_READ;
		case SSL_ERROR_WANT_WRITE:
			return TLS_STEP_WRITE;
		default:
			return TLS_STEP_FAILED;
		}
	}
	/* the key verify_cb accepted is the one the session is bound to */
	if (!a || !a->ok || SSL_version(ssl) != TLS1_3_VERSION ||
	    !tls_cert_pub(SSL_get0_peer_certificate(ssl), pub))
		return TLS_STEP_FAILED;
	tls_pin_of(pub, pin);
	if (memcmp(pin, a->pin, TLS_PIN_SIZE))
		return TLS_STEP_FAILED;
	return TLS_STEP_DONE;
}

enum tls_fail tls_handshake_why(SSL *ssl, const struct tls_auth *a,
				bool timed_out, char *buf, size_t len)
{
	OSSL_HANDSHAKE_STATE hs = SSL_get_state(ssl);
	char pin[TLS_PIN_HEX_LEN + 1], why[160];

	tls_last_error(why, sizeof(why));
	if (a->saw_cert && !a->ok) {
		tls_pin_hex(a->pin, pin);
		snprintf(buf, len, "peer key %s is not pinned%s", pin,
			 a->want ? " (wrong pin= for this peer?)"
				 : " (not in --tls-peers)");
		return TLS_FAIL_PEER_KEY;
	}
	/* a client that got no ServerHello: the other end is no TLS server */
	if (SSL_is_server(ssl) == 0 &&
	    (hs == TLS_ST_BEFORE || hs == TLS_ST_CW_CLNT_HELLO)) {
		snprintf(buf, len, "peer does not speak TLS (%s)",
			 timed_out ? "no answer to the TLS hello"
			 : *why	   ? why
				   : "it closed the connection");
		return TLS_FAIL_NOT_TLS;
	}
	if (SSL_is_server(ssl) && hs == TLS_ST_BEFORE && !timed_out) {
		snprintf(buf, len, "client does not speak TLS%s%s",
			 *why ? ": " : "", why);
		return TLS_FAIL_NOT_TLS;
	}
	if (strstr(why, "alert")) {
		snprintf(buf, len, "the peer refused the handshake (%s)", why);
		return TLS_FAIL_REFUSED_US;
	}
	snprintf(buf, len, "TLS handshake %s%s%s",
		 timed_out ? "timed out" : "failed", *why ? ": " : "", why);
	return TLS_FAIL_OTHER;
}
