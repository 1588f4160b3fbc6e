// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Backstores that no LUN uses yet exist only for tgtxcli (tgtxd knows a
 * backing store only as part of a LUN), so they are kept in a small state
 * file next to the control socket (/run: gone at reboot, like configfs).
 * Mapped ones live in tgtxd as the LUN's `backstore` parameter.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

json_t *cli_state_load(struct cli *c)
{
	json_error_t je;
	json_t *root, *objs;

	root = json_load_file(c->state, 0, &je);
	if (!root) {
		FILE *f = fopen(c->state, "r");

		if (!f)
			return json_array(); /* nothing kept yet */
		fclose(f);
		/* a broken state file must not block administration */
		fprintf(stderr,
			"tgtxcli: ignoring unreadable state %s: %s (line "
			"%d)\n",
			c->state, je.text, je.line);
		return json_array();
	}
	objs = json_object_get(root, "storage_objects");
	objs = json_is_array(objs) ? json_incref(objs) : json_array();
	json_decref(root);
	return objs;
}

int cli_state_save(struct cli *c, json_t *objs)
{
	json_t *root = json_pack("{s:O}", "storage_objects", objs);
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	int ret;

	json_decref(root);
	if (!text)
		return cli_fail(c, "out of memory");
	ret = cli_write_atomic(c, c->state, text);
	free(text);
	return ret;
}
