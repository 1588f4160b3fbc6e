// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The login phase state machine (RFC 7143 sections 6.3, 11.12-11.13):
 * one Login Request in, one Login Response out. Stages: security (CHAP or
 * None) -> operational negotiation -> full feature phase; either of the
 * first two may be skipped when the target's policy allows it.
 *
 * Every failure answers with a status-only response (class 2 for the
 * initiator's mistakes, 3 for ours) and LOGIN_FAILED; the caller then
 * closes the connection. Nothing an initiator sends can make us crash or
 * leak: text is parsed into a private copy and all lengths are bounded.
 */
#include "login.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/crypto.h>

#include "core/log.h"
#include "chap.h"
#include "params.h"
#include "text.h"

static socklen_t sa_len(const struct sockaddr *sa)
{
	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET)
		return sizeof(struct sockaddr_in);
	if (sa->sa_family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	return 0;
}

void login_init(struct iscsi_login *lg, const struct sockaddr *peer,
		const struct sockaddr *local, uint16_t tpgt)
{
	memset(lg, 0, sizeof(*lg));
	if (sa_len(peer))
		memcpy(&lg->peer, peer, sa_len(peer));
	if (sa_len(local))
		memcpy(&lg->local, local, sa_len(local));
	lg->tpgt = tpgt;
	lg->csg = ISCSI_STAGE_SECURITY;
	lg->auth_state = AUTH_START;
	params_init(&lg->params);
}

void login_free(struct iscsi_login *lg)
{
	strbuf_free(&lg->pending_in);
	strbuf_free(&lg->pending_out);
	lg->pending_out_off = 0;
	OPENSSL_cleanse(lg->chap_challenge, sizeof(lg->chap_challenge));
}

static bool needs_chap(const struct iscsi_login *lg)
{
	return lg->type == ISCSI_SESSION_NORMAL && lg->target &&
	       target_needs_chap(lg->target);
}

static enum login_result fail(struct iscsi_login *lg,
			      struct iscsi_login_rsp *rsp, uint32_t *rsp_dlen,
			      uint16_t status, const char *why)
{
	char peer[INET6_ADDRSTRLEN + 16];

	iscsi_addr_str((const struct sockaddr *)&lg->peer, peer, sizeof(peer));
	log_warn("login from %s (%s) to %s refused (status 0x%04x): %s", peer,
		 lg->initiator_name[0] ? lg->initiator_name : "?",
		 lg->target_name[0] ? lg->target_name : "-", status, why);
	/* a failed login ends the connection: T=0, no text */
	rsp->flags = (uint8_t)(lg->csg << ISCSI_LOGIN_CSG_SHIFT);
	rsp->status_class = (uint8_t)(status >> 8);
	rsp->status_detail = (uint8_t)status;
	put_be24(rsp->dlength, 0);
	*rsp_dlen = 0;
	strbuf_reset(&lg->pending_in);
	strbuf_reset(&lg->pending_out);
	lg->pending_out_off = 0;
	return LOGIN_FAILED;
}

/* Sends the next piece of pending_out; the last piece carries the real
 * flags and applies the stage transition. */
static enum login_result send_chunk(struct iscsi_login *lg,
				    struct iscsi_login_rsp *rsp,
				    uint8_t *rsp_data, uint32_t max,
				    uint32_t *rsp_dlen)
{
	size_t left = lg->pending_out.len - lg->pending_out_off;
	size_t n = left < max ? left : max;

	if (n)
		memcpy(rsp_data, lg->pending_out.buf + lg->pending_out_off, n);
	lg->pending_out_off += n;
	put_be24(rsp->dlength, (uint32_t)n);
	*rsp_dlen = (uint32_t)n;
	if (lg->pending_out_off < lg->pending_out.len) {
		rsp->flags = (uint8_t)(ISCSI_FLAG_LOGIN_CONTINUE |
				       lg->csg << ISCSI_LOGIN_CSG_SHIFT);
		return LOGIN_CONTINUE;
	}
	rsp->flags = lg->final_flags;
	strbuf_reset(&lg->pending_out);
	lg->pending_out_off = 0;
	if (lg->final_flags & ISCSI_FLAG_LOGIN_TRANSIT)
		lg->csg = lg->final_flags & ISCSI_LOGIN_NSG_MASK;
	return (enum login_result)lg->final_result;
}

static enum login_result respond(struct iscsi_login *lg, struct strbuf *out,
				 uint8_t flags, enum login_result result,
				 struct iscsi_login_rsp *rsp, uint8_t *rsp_data,
				 uint32_t max, uint32_t *rsp_dlen)
{
	if (out->oom) {
		strbuf_free(out);
		return fail(lg, rsp, rsp_dlen, ISCSI_LOGIN_OUT_OF_RESOURCES,
			    "out of memory building the response");
	}
	if (out->len && (!max || !rsp_data)) {
		strbuf_free(out);
		return fail(lg, rsp, rsp_dlen, ISCSI_LOGIN_TARGET_ERROR,
			    "no room for the response text");
	}
	strbuf_free(&lg->pending_out);
	lg->pending_out = *out;
	lg->pending_out_off = 0;
	lg->final_flags = flags;
	lg->final_result = result;
	return send_chunk(lg, rsp, rsp_data, max, rsp_dlen);
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= TGTX_NAME_MAX)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/*
 * Who is logging in to what: the first complete text must name the
 * initiator (and the target for Normal sessions); later ones may repeat
 * the names (libiscsi does) but not change them.
 */
static uint16_t identify(struct iscsi_login *lg, const struct text_list *l,
			 const char **why)
{
	const char *in = text_get(l, "InitiatorName");
	const char *tn = text_get(l, "TargetName");
	const char *st = text_get(l, "SessionType");
	const char *ia = text_get(l, "InitiatorAlias");
	enum iscsi_session_type type = ISCSI_SESSION_NORMAL;
	struct target *t;

	if (st && !strcmp(st, "Discovery"))
		type = ISCSI_SESSION_DISCOVERY;
	else if (st && strcmp(st, "Normal")) {
		*why = "unsupported SessionType";
		return ISCSI_LOGIN_SESSION_TYPE_UNSUPP;
	}
	if (ia)
		snprintf(lg->initiator_alias, sizeof(lg->initiator_alias), "%s",
			 ia);

	if (lg->type != ISCSI_SESSION_NONE) {
		if ((in && strcasecmp(in, lg->initiator_name)) ||
		    (st && type != lg->type) ||
		    (tn && lg->type == ISCSI_SESSION_NORMAL &&
		     strcasecmp(tn, lg->target_name))) {
			*why = "InitiatorName, TargetName or SessionType "
			       "changed during login";
			return ISCSI_LOGIN_INIT_ERR;
		}
		return 0;
	}

	if (!in || !*in) {
		*why = "no InitiatorName";
		return ISCSI_LOGIN_MISSING_PARAM;
	}
	if (!name_ok(in)) {
		*why = "invalid InitiatorName";
		return ISCSI_LOGIN_INIT_ERR;
	}
	snprintf(lg->initiator_name, sizeof(lg->initiator_name), "%s", in);
	lg->type = type;
	if (type == ISCSI_SESSION_DISCOVERY)
		return 0;

	if (!tn || !*tn) {
		*why = "no TargetName in a Normal session";
		return ISCSI_LOGIN_MISSING_PARAM;
	}
	if (!name_ok(tn)) {
		*why = "invalid TargetName";
		return ISCSI_LOGIN_INIT_ERR;
	}
	snprintf(lg->target_name, sizeof(lg->target_name), "%s", tn);
	t = target_find_name(tn);
	if (!t) {
		*why = "no such target";
		return ISCSI_LOGIN_TARGET_NOT_FOUND;
	}
	if (t->state != TARGET_READY) {
		*why = "target offline";
		return ISCSI_LOGIN_SERVICE_UNAVAILABLE;
	}
	if (!target_acl_permits(t, (const struct sockaddr *)&lg->peer, in)) {
		*why = "initiator not allowed by the target's ACL";
		return ISCSI_LOGIN_AUTHZ_FAILED;
	}
	lg->target = t;
	return 0;
}

/* AuthMethod: CHAP when the target requires it, None otherwise. */
static uint16_t auth_method(struct iscsi_login *lg, const char *list,
			    struct strbuf *out, const char **why)
{
	const char *want = needs_chap(lg) ? "CHAP" : "None";
	char item[ISCSI_VALUE_MAX + 1];
	const char *cur = list;
	bool found = false;
	int r;

	if (lg->auth_state != AUTH_START) {
		*why = "AuthMethod negotiated twice";
		return ISCSI_LOGIN_INIT_ERR;
	}
	while ((r = text_list_next(&cur, item, sizeof(item))) == 1)
		if (!strcmp(item, want))
			found = true;
	if (r < 0) {
		*why = "malformed AuthMethod list";
		return ISCSI_LOGIN_INIT_ERR;
	}
	if (!found) {
		*why = needs_chap(lg) ? "target requires CHAP, not offered"
				      : "no acceptable AuthMethod (None)";
		text_add(out, "AuthMethod", "Reject");
		return ISCSI_LOGIN_AUTH_FAILED;
	}
	text_add(out, "AuthMethod", want);
	if (needs_chap(lg)) {
		lg->auth_state = AUTH_WAIT_ALG;
	} else {
		lg->auth_state = AUTH_OK;
		lg->auth_done = true;
	}
	return 0;
}

static bool is_identity_key(const char *k)
{
	return !strcmp(k, "InitiatorName") || !strcmp(k, "TargetName") ||
	       !strcmp(k, "SessionType") || !strcmp(k, "InitiatorAlias");
}

static bool is_security_key(const char *k)
{
	return !strcmp(k, "AuthMethod") || !strncmp(k, "CHAP_", 5);
}

/* Keys only a target may send (RFC 7143 section 13: "Senders: Target") */
static bool is_target_key(const char *k)
{
	return !strcmp(k, "TargetAlias") || !strcmp(k, "TargetAddress") ||
	       !strcmp(k, "TargetPortalGroupTag");
}

static void declare_ours(struct iscsi_login *lg, struct strbuf *out)
{
	uint32_t mrdsl = params_our_max_recv_dsl(lg->target);

	text_add_u32(out, "MaxRecvDataSegmentLength", mrdsl);
	lg->params.max_recv_dsl = mrdsl;
	lg->mrdsl_declared = true;
}

/* Answers every non-identity key in l; security keys are handled later. */
static uint16_t negotiate_keys(struct iscsi_login *lg, int csg,
			       const struct text_list *l, struct strbuf *out,
			       const char **why)
{
	bool disc = lg->type == ISCSI_SESSION_DISCOVERY;
	const char *mbl = text_get(l, "MaxBurstLength");

	/* FirstBurstLength is capped by MaxBurstLength wherever it appears */
	if (mbl) {
		struct strbuf scratch = STRBUF_INIT;

		params_negotiate(&lg->params, lg->target, disc,
				 "MaxBurstLength", mbl, &scratch,
				 &lg->keys_seen);
		strbuf_free(&scratch);
	}
	for (size_t i = 0; i < l->n; i++) {
		const char *k = l->pairs[i].key, *v = l->pairs[i].value;
		enum param_result r;

		if (is_identity_key(k))
			continue;
		if (is_security_key(k)) {
			if (csg != ISCSI_STAGE_SECURITY) {
				*why = "security key in operational stage";
				return ISCSI_LOGIN_INIT_ERR;
			}
			continue;
		}
		if (is_target_key(k)) {
			*why = "initiator sent a key only targets send";
			return ISCSI_LOGIN_INIT_ERR;
		}
		if (!strcmp(k, "SendTargets")) {
			/* only meaningful in a Text Request after login */
			text_add(out, k, "Irrelevant");
			continue;
		}
		r = params_negotiate(&lg->params, lg->target, disc, k, v, out,
				     &lg->keys_seen);
		if (r == PARAM_FAIL) {
			*why = "unacceptable operational parameter value";
			return ISCSI_LOGIN_INIT_ERR;
		}
		if (r == PARAM_UNKNOWN)
			text_add(out, k, "NotUnderstood");
	}
	return 0;
}

enum login_result login_handle(struct iscsi_login *lg,
			       const struct iscsi_login_req *req,
			       const uint8_t *data, uint32_t dlen,
			       struct iscsi_login_rsp *rsp, uint8_t *rsp_data,
			       uint32_t max_rsp_data, uint32_t *rsp_dlen)
{
	bool transit = req->flags & ISCSI_FLAG_LOGIN_TRANSIT;
	bool cont = req->flags & ISCSI_FLAG_LOGIN_CONTINUE;
	int csg = (req->flags & ISCSI_LOGIN_CSG_MASK) >> ISCSI_LOGIN_CSG_SHIFT;
	int nsg = req->flags & ISCSI_LOGIN_NSG_MASK;
	struct strbuf out = STRBUF_INIT;
	enum login_result result = LOGIN_CONTINUE;
	const char *why = "protocol error";
	bool first_text, grant = false;
	struct text_list l;
	enum text_error terr;
	uint16_t st;
	uint8_t flags;

	memset(rsp, 0, sizeof(*rsp));
	rsp->opcode = ISCSI_OP_LOGIN_RSP;
	rsp->version_max = 0;
	rsp->version_active = 0;
	memcpy(rsp->isid, req->isid, sizeof(rsp->isid));
	memcpy(rsp->tsih, req->tsih, sizeof(rsp->tsih));
	memcpy(rsp->itt, req->itt, sizeof(rsp->itt));
	*rsp_dlen = 0;

	if ((req->opcode & ISCSI_OPCODE_MASK) != ISCSI_OP_LOGIN_REQ)
		return fail(lg, rsp, rsp_dlen, ISCSI_LOGIN_INIT_ERR,
			    "not a Login Request");
	if (dlen && !data)
		return fail(lg, rsp, rsp_dlen, ISCSI_LOGIN_INIT_ERR,
			    "missing data segment");
	if (!lg->started) {
		/* we speak version 0 only (RFC 7143 keeps 0x00) */
		if (req->version_min != 0)
			return fail(lg, rsp, rsp_dlen,
				    ISCSI_LOGIN_UNSUPPORTED_VERSION,
				    "unsupported version");
		if (csg != ISCSI_STAGE_SECURITY &&
		    csg != ISCSI_STAGE_OPERATIONAL)
			return fail(lg, rsp, rsp_dlen, ISCSI_LOGIN_INIT_ERR,
				    "first request not in a login stage");
		lg->started = true;
		lg->csg = csg;
		memcpy(lg->isid, req->isid, sizeof(lg->isid));
		lg->tsih = (uint16_t)get_be16(req->tsih);
		lg->cid = (uint16_t)get_be16(req->cid);
		lg->version = 0;
	} else if (memcmp(lg->isid, req->isid, sizeof(lg->isid)) ||
		   lg->tsih != get_be16(req->tsih) ||
		   lg->cid != get_be16(req->cid)) {
		return fail(lg, rsp, rsp_dlen, ISCSI_LOGIN_INIT_ERR,
			    "ISID, TSIH or CID changed during login");
	}
	lg->itt = get_be32(req->itt);
	if (csg != lg->csg)
		return fail(lg, rsp, rsp_dlen, ISCSI_LOGIN_INIT_ERR,
			    "CSG does not match the current stage");
	if (transit && cont)
		return fail(lg, rsp, rsp_dlen, ISCSI_LOGIN_INIT_ERR,
			    "T and C bits both set");

	/* the initiator fetches the rest of a long response */
	if (lg->pending_out_off < lg->pending_out.len) {
		if (dlen || cont)
			return fail(lg, rsp, rsp_dlen, ISCSI_LOGIN_INIT_ERR,
				    "text sent while our response continues");
		return send_chunk(lg, rsp, rsp_data, max_rsp_data, rsp_dlen);
	}
	if (transit && (nsg == 2 || nsg <= csg))
		return fail(lg, rsp, rsp_dlen, ISCSI_LOGIN_INIT_ERR,
			    "invalid next stage");

	if (dlen) {
		if (lg->pending_in.len + dlen > ISCSI_LOGIN_TEXT_MAX)
			return fail(lg, rsp, rsp_dlen, ISCSI_LOGIN_INIT_ERR,
				    "login text too long");
		strbuf_add(&lg->pending_in, data, dlen);
		if (lg->pending_in.oom)
			return fail(lg, rsp, rsp_dlen,
				    ISCSI_LOGIN_OUT_OF_RESOURCES,
				    "out of memory for login text");
	}
	if (cont) {
		/* more text follows: acknowledge with an empty response */
		rsp->flags = (uint8_t)(csg << ISCSI_LOGIN_CSG_SHIFT);
		return LOGIN_CONTINUE;
	}

	terr = text_parse(lg->pending_in.buf, lg->pending_in.len, &l);
	strbuf_free(&lg->pending_in);
	if (terr)
		return fail(lg, rsp, rsp_dlen,
			    terr == TEXT_ENOMEM ? ISCSI_LOGIN_OUT_OF_RESOURCES
						: ISCSI_LOGIN_INIT_ERR,
			    text_strerror(terr));

	first_text = lg->type == ISCSI_SESSION_NONE;
	st = identify(lg, &l, &why);
	if (st)
		goto failed;

	if (csg == ISCSI_STAGE_OPERATIONAL && !lg->auth_done) {
		/* the initiator skipped the security stage */
		if (needs_chap(lg)) {
			st = ISCSI_LOGIN_AUTH_FAILED;
			why = "authentication required, security stage skipped";
			goto failed;
		}
		lg->auth_state = AUTH_OK;
		lg->auth_done = true;
	}

	/* RFC 7143 13.9: TPGT goes in the first response of a Normal login */
	if (first_text && lg->type == ISCSI_SESSION_NORMAL && !lg->tpgt_sent) {
		const char *alias = target_param_get(lg->target, "TargetAlias");

		text_add_u32(&out, "TargetPortalGroupTag", lg->tpgt);
		if (alias && *alias)
			text_add(&out, "TargetAlias", alias);
		lg->tpgt_sent = true;
	}

	st = negotiate_keys(lg, csg, &l, &out, &why);
	if (st)
		goto failed;

	if (csg == ISCSI_STAGE_SECURITY) {
		const char *am = text_get(&l, "AuthMethod");

		if (am) {
			st = auth_method(lg, am, &out, &why);
			if (st)
				goto failed;
		}
		st = chap_step(lg, lg->target, &l, &out);
		if (st) {
			why = "CHAP exchange failed";
			goto failed;
		}
	}

	if (transit) {
		grant = true;
		if (csg == ISCSI_STAGE_SECURITY && !lg->auth_done) {
			if (lg->auth_state != AUTH_START) {
				/* CHAP still running: stay in this stage */
				grant = false;
			} else if (needs_chap(lg)) {
				st = ISCSI_LOGIN_AUTH_FAILED;
				why = "authentication required, none done";
				goto failed;
			} else {
				lg->auth_state = AUTH_OK;
				lg->auth_done = true;
			}
		}
	}
	if (!lg->mrdsl_declared && (csg == ISCSI_STAGE_OPERATIONAL ||
				    (grant && nsg == ISCSI_STAGE_FULL_FEATURE)))
		declare_ours(lg, &out);

	flags = (uint8_t)(csg << ISCSI_LOGIN_CSG_SHIFT);
	if (grant) {
		flags |= (uint8_t)(ISCSI_FLAG_LOGIN_TRANSIT | nsg);
		if (nsg == ISCSI_STAGE_FULL_FEATURE) {
			params_finish(&lg->params);
			result = LOGIN_DONE;
		}
	}
	text_list_free(&l);
	return respond(lg, &out, flags, result, rsp, rsp_data, max_rsp_data,
		       rsp_dlen);

failed:
	text_list_free(&l);
	strbuf_free(&out);
	return fail(lg, rsp, rsp_dlen, st, why);
}
