// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Logical unit objects: creation with a backing store, the tgtadm-style
 * parameters, and their show/dump text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/node_id.h"
#include "core/strbuf.h"
#include "lu_ident.h"
#include "scsi_priv.h"

/* Flat space addressing reaches LUN 16383. */
#define LUN_MAX 16383

struct scsi_lu *scsi_lu_lookup(const struct target *t, uint64_t lun)
{
	struct scsi_lu *lu;

	list_for_each_entry (lu, &t->luns, node)
		if (lu->lun == lun)
			return lu;
	return NULL;
}

struct scsi_lu *scsi_lu_next(const struct target *t, const struct scsi_lu *prev)
{
	const struct list_head *pos = prev ? prev->node.next : t->luns.next;

	if (pos == &t->luns)
		return NULL;
	return list_entry(pos, struct scsi_lu, node);
}

bool scsi_target_busy(const struct target *t)
{
	const struct scsi_lu *lu;

	list_for_each_entry (lu, &t->luns, node)
		if (scsi_lu_busy(lu))
			return true;
	return false;
}

bool scsi_targets_busy(void)
{
	const struct target *t;

	list_for_each_entry (t, target_list(), node)
		if (scsi_target_busy(t))
			return true;
	return false;
}

uint64_t scsi_lu_number(const struct scsi_lu *lu)
{
	return lu->lun;
}

bool scsi_lu_is_controller(const struct scsi_lu *lu)
{
	return lu->controller;
}

bool scsi_lu_busy(const struct scsi_lu *lu)
{
	return lu->pending > 0;
}

uint32_t lu_block_size(const struct scsi_lu *lu)
{
	return lu->dev.block_size ? lu->dev.block_size : 512;
}

uint64_t lu_nr_blocks(const struct scsi_lu *lu)
{
	return lu->dev.size / lu_block_size(lu);
}

bool lu_can_unmap(const struct scsi_lu *lu)
{
	return lu->thin && lu->dev_open && lu->dev.ops->unmap;
}

bool lu_write_protected(const struct scsi_lu *lu)
{
	return lu->readonly || lu->swp || lu->dev.read_only;
}

/* The designator follows the SCSI ID, default or explicit (lu_ident.h). */
static void lu_derive_naa(struct scsi_lu *lu)
{
	lu->naa = lu_ident_naa(lu->scsi_id);
}

static void copy_field(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

static void lu_defaults(struct scsi_lu *lu, const struct target *t)
{
	char ident[LU_IDENT_HEX_LEN + 1];

	copy_field(lu->vendor_id, sizeof(lu->vendor_id), "TGTX");
	copy_field(lu->product_id, sizeof(lu->product_id),
		   lu->controller ? "Controller" : "VIRTUAL-DISK");
	copy_field(lu->product_rev, sizeof(lu->product_rev), "0001");
	/* unique across hosts, stable for this IQN and LUN (lu_ident.h) */
	lu_ident_default(node_id_get(), t->name, lu->lun, ident);
	copy_field(lu->scsi_id, sizeof(lu->scsi_id), ident);
	copy_field(lu->scsi_sn, sizeof(lu->scsi_sn), ident);
	lu_derive_naa(lu);
	lu->online = true;
	lu->dev.wce = true;
	lu->dev.block_size = 512;
}

static void lu_free(struct scsi_lu *lu)
{
	if (lu->dev_open && lu->dev.ops->close)
		lu->dev.ops->close(&lu->dev);
	ua_free_all(lu);
	pr_free_all(lu);
	lu_notes_free(lu);
	free(lu);
}

static void lu_insert_sorted(struct target *t, struct scsi_lu *lu)
{
	struct scsi_lu *pos;

	list_for_each_entry (pos, &t->luns, node) {
		if (pos->lun > lu->lun) {
			list_insert_between(&lu->node, pos->node.prev,
					    &pos->node);
			return;
		}
	}
	list_add_tail(&lu->node, &t->luns);
}

int scsi_lu_create(struct target *t, uint64_t lun, const char *bstype,
		   const char *path, const char *bsopts, char *err,
		   size_t errlen)
{
	const struct bs_ops *ops = NULL;
	struct scsi_it_nexus *nx;
	struct scsi_lu *lu;
	int ret;

	if (lun > LUN_MAX) {
		snprintf(err, errlen, "LUN %llu out of range (0..%d)",
			 (unsigned long long)lun, LUN_MAX);
		return -EINVAL;
	}
	if (scsi_lu_lookup(t, lun)) {
		snprintf(err, errlen, "target %d already has LUN %llu", t->tid,
			 (unsigned long long)lun);
		return -EEXIST;
	}
	if (bstype && *bstype) {
		ops = bs_find(bstype);
		if (!ops) {
			snprintf(err, errlen, "unknown backing store type '%s'",
				 bstype);
			return -EINVAL;
		}
	} else if (path && *path) {
		ops = bs_find("rdwr");
		if (!ops) {
			snprintf(err, errlen, "no default backing store");
			return -EINVAL;
		}
	}
	lu = calloc(1, sizeof(*lu));
	if (!lu) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	lu->target = t;
	lu->lun = lun;
	lu->controller = !ops;
	list_init(&lu->node);
	list_init(&lu->ua);
	list_init(&lu->pr_regs);
	list_init(&lu->wait);
	list_init(&lu->notes);
	lu_defaults(lu, t);
	snprintf(lu->dev.label, sizeof(lu->dev.label), "tid %d lun %llu",
		 t->tid, (unsigned long long)lun);
	if (bsopts)
		copy_field(lu->bsopts, sizeof(lu->bsopts), bsopts);
	if (ops) {
		copy_field(lu->bstype, sizeof(lu->bstype), ops->name);
		lu->dev.ops = ops;
		copy_field(lu->dev.path, sizeof(lu->dev.path),
			   path ? path : "");
		ret = ops->open(&lu->dev, path ? path : "", bsopts, err,
				errlen);
		if (ret < 0) {
			free(lu);
			return ret;
		}
		lu->dev_open = true;
		lu->thin = ops->unmap != NULL;
	}
	lu_insert_sorted(t, lu);
	list_for_each_entry (nx, &t->nexuses, node)
		ua_add(lu, nx->id, ASC_POWER_ON_RESET);
	log_info("target %d: created LUN %llu (%s%s%s)", t->tid,
		 (unsigned long long)lun, ops ? ops->name : "controller",
		 ops ? " " : "", ops ? lu->dev.path : "");
	return 0;
}

int scsi_lu_destroy(struct target *t, uint64_t lun, char *err, size_t errlen)
{
	struct scsi_lu *lu = scsi_lu_lookup(t, lun);

	if (!lu) {
		snprintf(err, errlen, "target %d has no LUN %llu", t->tid,
			 (unsigned long long)lun);
		return -ENOENT;
	}
	if (scsi_lu_busy(lu)) {
		snprintf(err, errlen, "LUN %llu has commands in progress",
			 (unsigned long long)lun);
		return -EBUSY;
	}
	list_del(&lu->node);
	lu_free(lu);
	return 0;
}

void scsi_lu_destroy_all(struct target *t)
{
	struct scsi_lu *lu, *n;

	list_for_each_entry_safe (lu, n, &t->luns, node) {
		list_del(&lu->node);
		lu_free(lu);
	}
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"on", "1", "yes", "true", "y"};
	static const char *const no[] = {"off", "0", "no", "false", "n"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int set_text(char *dst, size_t cap, const char *key, const char *v,
		    char *err, size_t errlen)
{
	if (strlen(v) >= cap || !*v) {
		snprintf(err, errlen, "%s must be 1..%zu characters", key,
			 cap - 1);
		return -EINVAL;
	}
	for (const char *p = v; *p; p++) {
		if (*p < 0x20 || *p > 0x7e) {
			snprintf(err, errlen, "%s must be printable ASCII",
				 key);
			return -EINVAL;
		}
	}
	copy_field(dst, cap, v);
	return 0;
}

static int set_block_size(struct scsi_lu *lu, const char *v, char *err,
			  size_t errlen)
{
	char *end;
	unsigned long bs = strtoul(v, &end, 10);

	if (*end || (bs != 512 && bs != 1024 && bs != 2048 && bs != 4096)) {
		snprintf(err, errlen,
			 "block_size must be 512, 1024, 2048 or "
			 "4096");
		return -EINVAL;
	}
	if (lu->controller) {
		snprintf(err, errlen, "the controller LU has no blocks");
		return -EINVAL;
	}
	if (scsi_lu_busy(lu)) {
		snprintf(err, errlen, "LUN %llu is busy",
			 (unsigned long long)lu->lun);
		return -EBUSY;
	}
	if (lu->dev.block_size != bs) {
		lu->dev.block_size = (uint32_t)bs;
		ua_add_all(lu, 0, ASC_CAPACITY_CHANGED);
	}
	return 0;
}

int scsi_lu_set_param(struct scsi_lu *lu, const char *key, const char *value,
		      char *err, size_t errlen)
{
	bool b;

	if (lu_note_key(key))
		return lu_note_set(lu, key, value, err, errlen);
	if (!strcmp(key, "vendor_id"))
		return set_text(lu->vendor_id, sizeof(lu->vendor_id), key,
				value, err, errlen);
	if (!strcmp(key, "product_id"))
		return set_text(lu->product_id, sizeof(lu->product_id), key,
				value, err, errlen);
	if (!strcmp(key, "product_rev"))
		return set_text(lu->product_rev, sizeof(lu->product_rev), key,
				value, err, errlen);
	if (!strcmp(key, "scsi_id")) {
		int ret = set_text(lu->scsi_id, sizeof(lu->scsi_id), key, value,
				   err, errlen);
		if (!ret)
			lu_derive_naa(lu);
		return ret;
	}
	if (!strcmp(key, "scsi_sn"))
		return set_text(lu->scsi_sn, sizeof(lu->scsi_sn), key, value,
				err, errlen);
	if (!strcmp(key, "block_size"))
		return set_block_size(lu, value, err, errlen);
	if (!strcmp(key, "sense_format")) {
		if (strcmp(value, "0") && strcmp(value, "1")) {
			snprintf(err, errlen, "sense_format must be 0 or 1");
			return -EINVAL;
		}
		lu->sense_format = value[0] == '1';
		return 0;
	}
	if (parse_bool(value, &b) < 0) {
		snprintf(err, errlen, "bad value '%s' for %s", value, key);
		return -EINVAL;
	}
	if (!strcmp(key, "removable")) {
		lu->removable = b;
	} else if (!strcmp(key, "readonly")) {
		lu->readonly = b;
	} else if (!strcmp(key, "online")) {
		lu->online = b;
	} else if (!strcmp(key, "write-cache") || !strcmp(key, "write_cache")) {
		if (lu->dev.wce != b)
			ua_add_all(lu, 0, ASC_PARAMS_CHANGED);
		lu->dev.wce = b;
	} else if (!strcmp(key, "thin_provisioning")) {
		if (b && !(lu->dev_open && lu->dev.ops->unmap)) {
			snprintf(err, errlen, "backing store '%s' cannot unmap",
				 lu->bstype);
			return -EINVAL;
		}
		lu->thin = b;
	} else {
		snprintf(err, errlen, "unknown LU parameter '%s'", key);
		return -EINVAL;
	}
	return 0;
}

static const char *yn(bool b)
{
	return b ? "Yes" : "No";
}

void scsi_lu_show(struct scsi_lu *lu, struct strbuf *out, const char *indent)
{
	uint64_t mb = lu->dev.size / 1000000;

	strbuf_addf(out, "%sLUN: %llu\n", indent, (unsigned long long)lu->lun);
	strbuf_addf(out, "%s    Type: %s\n", indent,
		    lu->controller ? "controller" : "disk");
	strbuf_addf(out, "%s    SCSI ID: %s\n", indent, lu->scsi_id);
	strbuf_addf(out, "%s    SCSI SN: %s\n", indent, lu->scsi_sn);
	strbuf_addf(out, "%s    Size: %llu MB, Block size: %u\n", indent,
		    (unsigned long long)mb, lu_block_size(lu));
	strbuf_addf(out, "%s    Online: %s\n", indent, yn(lu->online));
	strbuf_addf(out, "%s    Removable media: %s\n", indent,
		    yn(lu->removable));
	strbuf_addf(out, "%s    Prevent removal: %s\n", indent,
		    yn(lu->prevent));
	strbuf_addf(out, "%s    Readonly: %s\n", indent, yn(lu->readonly));
	strbuf_addf(out, "%s    SWP: %s\n", indent, yn(lu->swp));
	strbuf_addf(out, "%s    Thin-provisioning: %s\n", indent, yn(lu->thin));
	strbuf_addf(out, "%s    Write cache: %s\n", indent, yn(lu->dev.wce));
	strbuf_addf(out, "%s    Backing store type: %s\n", indent,
		    lu->controller ? "null" : lu->bstype);
	strbuf_addf(out, "%s    Backing store path: %s\n", indent,
		    lu->controller ? "None" : lu->dev.path);
	strbuf_addf(out, "%s    Backing store flags: %s\n", indent, lu->bsopts);
	if (lu->dev_open && lu->dev.ops->show) {
		char sub[64];

		snprintf(sub, sizeof(sub), "%s    ", indent);
		lu->dev.ops->show(&lu->dev, out, sub);
	}
	lu_notes_show(lu, out, indent);
}

void scsi_lu_dump(struct scsi_lu *lu, struct strbuf *out)
{
	if (lu->controller)
		return;
	strbuf_addf(out, "\t<backing-store %s>\n", lu->dev.path);
	strbuf_addf(out, "\t\tlun %llu\n", (unsigned long long)lu->lun);
	strbuf_addf(out, "\t\tbs-type %s\n", lu->bstype);
	if (lu->bsopts[0])
		strbuf_addf(out, "\t\tbsopts \"%s\"\n", lu->bsopts);
	strbuf_addf(out, "\t\tvendor_id \"%s\"\n", lu->vendor_id);
	strbuf_addf(out, "\t\tproduct_id \"%s\"\n", lu->product_id);
	strbuf_addf(out, "\t\tproduct_rev \"%s\"\n", lu->product_rev);
	strbuf_addf(out, "\t\tscsi_id \"%s\"\n", lu->scsi_id);
	strbuf_addf(out, "\t\tscsi_sn \"%s\"\n", lu->scsi_sn);
	strbuf_addf(out, "\t\tblock-size %u\n", lu_block_size(lu));
	strbuf_addf(out, "\t\tremovable %d\n", lu->removable);
	strbuf_addf(out, "\t\treadonly %d\n", lu->readonly);
	strbuf_addf(out, "\t\tonline %d\n", lu->online);
	strbuf_addf(out, "\t\tsense-format %d\n", lu->sense_format);
	strbuf_addf(out, "\t\twrite-cache %s\n", lu->dev.wce ? "on" : "off");
	strbuf_addf(out, "\t\tthin-provisioning %s\n", lu->thin ? "on" : "off");
	lu_notes_dump(lu, out);
	strbuf_addf(out, "\t</backing-store>\n");
}
