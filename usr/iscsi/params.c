// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Operational key negotiation. Each key has a result function (RFC 7143
 * section 6.2.2): boolean AND/OR, numerical minimum/maximum, declarative,
 * or a list where the first value of the initiator's list that we accept
 * wins. Values we cannot parse or that are out of range are answered
 * "Reject" and the RFC default stays in force.
 */
#include "params.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "iscsi.h"
#include "text.h"

enum param_type {
	PT_DIGEST, /* list of None,CRC32C */
	PT_BOOL_AND,
	PT_BOOL_OR,
	PT_NUM_MIN,
	PT_NUM_MAX,
	PT_DECLARE,    /* declarative number (MaxRecvDataSegmentLength) */
	PT_IRRELEVANT, /* obsolete keys answered "Irrelevant" */
	PT_LIST,       /* other lists: first of ours that is offered */
};

struct param_def {
	const char *key;
	enum param_type type;
	uint32_t min, max;     /* valid range of offered numbers */
	uint32_t ours;	       /* our value when not overridden */
	uint32_t ovr_max;      /* largest override value; 0: no override */
	const char *ours_list; /* PT_DIGEST/PT_LIST: accepted values */
	bool session_only;     /* Irrelevant in discovery sessions */
};

#define YES 1
#define NO  0
/* What we accept for the burst lengths, within the RFC's range */
#define OUR_BURST_MAX                                                          \
	(ISCSI_MAX_BURST_LIMIT < ISCSI_LEN_MAX ? ISCSI_MAX_BURST_LIMIT         \
					       : ISCSI_LEN_MAX)

static const struct param_def defs[P_NR] = {
	[P_HEADER_DIGEST] = {"HeaderDigest", PT_DIGEST, 0, 0, 0, 1,
			     "None,CRC32C", false},
	[P_DATA_DIGEST] = {"DataDigest", PT_DIGEST, 0, 0, 0, 1, "None,CRC32C",
			   false},
	/* one connection per session: no multiple connections (MC/S) */
	[P_MAX_CONNECTIONS] = {"MaxConnections", PT_NUM_MIN, 1, 65535, 1, 1,
			       NULL, true},
	/* InitialR2T=Yes by default: no unsolicited Data-Out bursts */
	[P_INITIAL_R2T] = {"InitialR2T", PT_BOOL_OR, 0, 1, YES, 1, NULL, true},
	[P_IMMEDIATE_DATA] = {"ImmediateData", PT_BOOL_AND, 0, 1, YES, 1, NULL,
			      true},
	[P_MAX_RECV_DSL] = {"MaxRecvDataSegmentLength", PT_DECLARE,
			    ISCSI_DSL_MIN, ISCSI_LEN_MAX,
			    ISCSI_OUR_MAX_RECV_DSL, ISCSI_LEN_MAX, NULL, false},
	[P_MAX_BURST] = {"MaxBurstLength", PT_NUM_MIN, ISCSI_DSL_MIN,
			 ISCSI_LEN_MAX, OUR_BURST_MAX, ISCSI_LEN_MAX, NULL,
			 true},
	[P_FIRST_BURST] = {"FirstBurstLength", PT_NUM_MIN, ISCSI_DSL_MIN,
			   ISCSI_LEN_MAX, OUR_BURST_MAX, ISCSI_LEN_MAX, NULL,
			   true},
	[P_TIME2WAIT] = {"DefaultTime2Wait", PT_NUM_MAX, 0, 3600, 2, 3600, NULL,
			 false},
	[P_TIME2RETAIN] = {"DefaultTime2Retain", PT_NUM_MIN, 0, 3600, 20, 3600,
			   NULL, false},
	[P_MAX_R2T] = {"MaxOutstandingR2T", PT_NUM_MIN, 1, 65535, 1, 65535,
		       NULL, true},
	[P_DATA_PDU_IN_ORDER] = {"DataPDUInOrder", PT_BOOL_OR, 0, 1, YES, 1,
				 NULL, true},
	[P_DATA_SEQ_IN_ORDER] = {"DataSequenceInOrder", PT_BOOL_OR, 0, 1, YES,
				 1, NULL, true},
	/* only session recovery by reconnect (ERL 0) is implemented */
	[P_ERL] = {"ErrorRecoveryLevel", PT_NUM_MIN, 0, 2, 0, 0, NULL, false},
	/* markers are obsolete (RFC 7143 section 13.25) */
	[P_IFMARKER] = {"IFMarker", PT_BOOL_AND, 0, 1, NO, 0, NULL, false},
	[P_OFMARKER] = {"OFMarker", PT_BOOL_AND, 0, 1, NO, 0, NULL, false},
	[P_IFMARKINT] = {"IFMarkInt", PT_IRRELEVANT, 0, 0, 0, 0, NULL, false},
	[P_OFMARKINT] = {"OFMarkInt", PT_IRRELEVANT, 0, 0, 0, 0, NULL, false},
	/* RFC 7144 keys: we implement the RFC 3720 behaviour only */
	[P_TASK_REPORTING] = {"TaskReporting", PT_LIST, 0, 0, 0, 0, "RFC3720",
			      true},
	[P_PROTOCOL_LEVEL] = {"iSCSIProtocolLevel", PT_NUM_MIN, 0, 31, 1, 0,
			      NULL, false},
	[P_RDMA_EXTENSIONS] = {"RDMAExtensions", PT_BOOL_AND, 0, 1, NO, 0, NULL,
			       true},
};

void params_init(struct iscsi_params *p)
{
	memset(p, 0, sizeof(*p));
	p->max_recv_dsl = ISCSI_LOGIN_DSL;
	p->max_xmit_dsl = ISCSI_LOGIN_DSL;
	p->max_burst = 262144;
	p->first_burst = 65536;
	p->max_outstanding_r2t = 1;
	p->max_connections = 1;
	p->default_time2wait = 2;
	p->default_time2retain = 20;
	p->erl = 0;
	p->immediate_data = true;
	p->initial_r2t = true;
	p->data_pdu_in_order = true;
	p->data_seq_in_order = true;
	p->header_digest = false;
	p->data_digest = false;
}

static const struct param_def *param_lookup(const char *key, bool icase)
{
	for (int i = 0; i < P_NR; i++)
		if (icase ? !strcasecmp(defs[i].key, key)
			  : !strcmp(defs[i].key, key))
			return &defs[i];
	return NULL;
}

static int def_id(const struct param_def *d)
{
	return (int)(d - defs);
}

/* An override, already validated by login_param_check when it was set. */
static const char * override(const struct target *t, const struct param_def *d)
{
	if (!t || !d->ovr_max)
		return NULL;
	return target_param_get(t, d->key);
}

static uint32_t our_number(const struct target *t, const struct param_def *d)
{
	const char *o = override(t, d);
	uint64_t v;
	bool b;

	if (o) {
		if ((d->type == PT_BOOL_AND || d->type == PT_BOOL_OR) &&
		    !text_parse_bool(o, &b))
			return b;
		if (!text_parse_u64(o, &v) && v >= d->min && v <= d->ovr_max)
			return (uint32_t)v;
	}
	return d->ours;
}

uint32_t params_our_max_recv_dsl(const struct target *t)
{
	return our_number(t, &defs[P_MAX_RECV_DSL]);
}

static void store(struct iscsi_params *p, int id, uint32_t v)
{
	switch (id) {
	case P_HEADER_DIGEST:
		p->header_digest = v;
		break;
	case P_DATA_DIGEST:
		p->data_digest = v;
		break;
	case P_MAX_CONNECTIONS:
		p->max_connections = v;
		break;
	case P_INITIAL_R2T:
		p->initial_r2t = v;
		break;
	case P_IMMEDIATE_DATA:
		p->immediate_data = v;
		break;
	case P_MAX_RECV_DSL:
		p->max_xmit_dsl = v;
		break;
	case P_MAX_BURST:
		p->max_burst = v;
		break;
	case P_FIRST_BURST:
		p->first_burst = v;
		break;
	case P_TIME2WAIT:
		p->default_time2wait = v;
		break;
	case P_TIME2RETAIN:
		p->default_time2retain = v;
		break;
	case P_MAX_R2T:
		p->max_outstanding_r2t = v;
		break;
	case P_DATA_PDU_IN_ORDER:
		p->data_pdu_in_order = v;
		break;
	case P_DATA_SEQ_IN_ORDER:
		p->data_seq_in_order = v;
		break;
	case P_ERL:
		p->erl = v;
		break;
	default:
		break;
	}
}

/*
 * List keys: with an override, its order is our preference (the first of
 * our values the initiator offered); otherwise the initiator's order wins.
 */
static int negotiate_list(const char *ours, bool ours_first, const char *offer,
			  char *res, size_t ressz)
{
	const char *primary = ours_first ? ours : offer;
	const char *secondary = ours_first ? offer : ours;
	char item[ISCSI_VALUE_MAX + 1];
	const char *cur = offer;
	int r;

	/* the offer must be a well-formed list even if we use only part */
	while ((r = text_list_next(&cur, item, sizeof(item))) == 1)
		;
	if (r < 0)
		return -1;
	cur = primary;
	while (text_list_next(&cur, item, sizeof(item)) == 1) {
		if (text_list_has(secondary, item)) {
			snprintf(res, ressz, "%s", item);
			return 1;
		}
	}
	return 0;
}

enum param_result params_negotiate(struct iscsi_params *p,
				   const struct target *t, bool discovery,
				   const char *key, const char *value,
				   struct strbuf *out, uint64_t *negotiated)
{
	const struct param_def *d = param_lookup(key, false);
	char res[ISCSI_VALUE_MAX + 1];
	uint32_t ours, r;
	uint64_t v;
	bool b;
	int id;

	if (!d)
		return PARAM_UNKNOWN;
	id = def_id(d);
	*negotiated |= 1ull << id;
	if (discovery && d->session_only) {
		text_add(out, key, "Irrelevant");
		return PARAM_ANSWERED;
	}
	switch (d->type) {
	case PT_IRRELEVANT:
		text_add(out, key, "Irrelevant");
		return PARAM_ANSWERED;
	case PT_DIGEST:
	case PT_LIST: {
		const char *o = override(t, d);
		int n = negotiate_list(o ? o : d->ours_list, o != NULL, value,
				       res, sizeof(res));

		if (n <= 0) {
			/*
			 * None is the RFC default, so a rejected digest leaves
			 * digests off; an admin who forces CRC32C must not get
			 * an unprotected session silently.
			 */
			text_add(out, key, "Reject");
			if (d->type == PT_DIGEST && o &&
			    !text_list_has(o, "None"))
				return PARAM_FAIL;
			return PARAM_ANSWERED;
		}
		if (d->type == PT_DIGEST)
			store(p, id, !strcmp(res, "CRC32C"));
		text_add(out, key, res);
		return PARAM_ANSWERED;
	}
	case PT_BOOL_AND:
	case PT_BOOL_OR:
		if (text_parse_bool(value, &b)) {
			text_add(out, key, "Reject");
			return PARAM_ANSWERED;
		}
		ours = our_number(t, d);
		r = d->type == PT_BOOL_AND ? (b && ours) : (b || ours);
		store(p, id, r);
		text_add(out, key, r ? "Yes" : "No");
		return PARAM_ANSWERED;
	case PT_DECLARE:
		/* declarative: nothing to answer, but it must be sane */
		if (text_parse_u64(value, &v) || v < d->min || v > d->max)
			return PARAM_FAIL;
		store(p, id, (uint32_t)v);
		return PARAM_ANSWERED;
	case PT_NUM_MIN:
	case PT_NUM_MAX:
		if (text_parse_u64(value, &v) || v < d->min || v > d->max) {
			text_add(out, key, "Reject");
			return PARAM_ANSWERED;
		}
		ours = our_number(t, d);
		if (d->type == PT_NUM_MIN)
			r = (uint32_t)(v < ours ? v : ours);
		else
			r = (uint32_t)(v > ours ? v : ours);
		/* FirstBurstLength must not exceed MaxBurstLength */
		if (id == P_FIRST_BURST && r > p->max_burst)
			r = p->max_burst;
		store(p, id, r);
		text_add_u32(out, key, r);
		return PARAM_ANSWERED;
	}
	return PARAM_UNKNOWN;
}

void params_finish(struct iscsi_params *p)
{
	if (p->first_burst > p->max_burst)
		p->first_burst = p->max_burst;
}

/* ---- per-target overrides ---- */

static void set_err(char *err, size_t errlen, const char *fmt, const char *a,
		    const char *b)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, a, b);
}

int login_param_check(const char *key, const char *value, char *err,
		      size_t errlen)
{
	const struct param_def *d;
	char item[ISCSI_VALUE_MAX + 1];
	const char *cur;
	uint64_t v;
	bool b;
	int r;

	if (!key || !value) {
		set_err(err, errlen, "missing parameter name or value%s%s", "",
			"");
		return -EINVAL;
	}
	if (!strcasecmp(key, "TargetAlias")) {
		if (strlen(value) > ISCSI_VALUE_MAX) {
			set_err(err, errlen, "TargetAlias too long%s%s", "",
				"");
			return -EINVAL;
		}
		for (const char *s = value; *s; s++)
			if ((unsigned char)*s < ' ' || *s == 0x7f) {
				set_err(err, errlen,
					"TargetAlias: control characters are "
					"not allowed%s%s",
					"", "");
				return -EINVAL;
			}
		return 0;
	}
	d = param_lookup(key, true);
	if (!d || !d->ovr_max) {
		set_err(err, errlen,
			"unknown or non-configurable iSCSI parameter '%s'%s",
			key, "");
		return -EINVAL;
	}
	switch (d->type) {
	case PT_DIGEST:
		cur = value;
		if (!*value)
			goto bad;
		while ((r = text_list_next(&cur, item, sizeof(item))) == 1)
			if (strcmp(item, "None") && strcmp(item, "CRC32C"))
				goto bad;
		if (r < 0)
			goto bad;
		return 0;
	case PT_BOOL_AND:
	case PT_BOOL_OR:
		if (text_parse_bool(value, &b))
			goto bad;
		return 0;
	case PT_NUM_MIN:
	case PT_NUM_MAX:
	case PT_DECLARE:
		if (text_parse_u64(value, &v) || v < d->min || v > d->ovr_max) {
			if (err && errlen)
				snprintf(err, errlen,
					 "invalid value '%s' for %s (allowed "
					 "%u to %u)",
					 value, d->key, d->min, d->ovr_max);
			return -EINVAL;
		}
		return 0;
	default:
		break;
	}
bad:
	set_err(err, errlen, "invalid value '%s' for %s", value, d->key);
	return -EINVAL;
}

int iscsi_param_check(const char *key, const char *value, char *err,
		      size_t errlen)
{
	/* Not a login key: the target's keepalive period (nop.c). */
	if (key && value && !strcasecmp(key, "nop_interval")) {
		char *end;
		long n = strtol(value, &end, 10);

		if (*value && !*end && n >= 0 && n <= 3600)
			return 0;
		snprintf(err, errlen,
			 "nop_interval is 0 (off) to 3600 seconds, not '%s'",
			 value);
		return -EINVAL;
	}
	return login_param_check(key, value, err, errlen);
}

void iscsi_param_show(const struct target *t, struct strbuf *out,
		      const char *indent)
{
	const char *alias = t ? target_param_get(t, "TargetAlias") : NULL;

	if (!indent)
		indent = "";
	for (int i = 0; i < P_NR; i++) {
		const struct param_def *d = &defs[i];
		const char *o;

		if (!d->ovr_max)
			continue;
		o = override(t, d);
		if (o)
			strbuf_addf(out, "%s%s=%s\n", indent, d->key, o);
		else if (d->type == PT_DIGEST)
			strbuf_addf(out, "%s%s=%s\n", indent, d->key,
				    d->ours_list);
		else if (d->type == PT_BOOL_AND || d->type == PT_BOOL_OR)
			strbuf_addf(out, "%s%s=%s\n", indent, d->key,
				    d->ours ? "Yes" : "No");
		else
			strbuf_addf(out, "%s%s=%u\n", indent, d->key, d->ours);
	}
	if (alias)
		strbuf_addf(out, "%sTargetAlias=%s\n", indent, alias);
}
