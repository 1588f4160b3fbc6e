// SPDX-License-Identifier: GPL-2.0-or-later
/* --mode system: daemon-wide state, debug level, shutdown and dumps. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bs/bs.h"
#include "core/log.h"
#include "iscsi/iscsi.h"
#include "mgmt_priv.h"

static bool system_offline;
static enum log_level level_before_debug = LOG_LVL_INFO;

static void show_bs(const struct bs_ops *ops, void *arg)
{
	strbuf_addf(arg, "    %s\n", ops->name);
}

static int system_show(struct mgmt_op *m)
{
	const char *name = mgmt_arg(m, "name");

	if (name && !strcmp(name, "dump")) {
		const char *v = mgmt_arg(m, "value");

		mgmt_dump_config(m->out, v && !strcmp(v, "state"));
		return 0;
	}
	if (name)
		return mgmt_fail(m, EINVAL, "unknown parameter");
	strbuf_addf(m->out, "System:\n");
	strbuf_addf(m->out, "    State: %s\n",
		    system_offline ? "offline" : "ready");
	strbuf_addf(m->out, "    debug: %s\n",
		    log_get_level() >= LOG_LVL_DEBUG ? "on" : "off");
	strbuf_addf(m->out, "LLDs:\n    iscsi: ready\n");
	strbuf_addf(m->out, "Backing stores:\n");
	bs_for_each(show_bs, m->out);
	strbuf_addf(m->out, "Device types:\n    disk\n    controller\n");
	strbuf_addf(m->out, "Portals:\n");
	iscsi_portal_show(m->out);
	return 0;
}

static int system_update(struct mgmt_op *m)
{
	const char *name = mgmt_arg(m, "name");
	const char *value = mgmt_arg(m, "value");

	if (!name || !value)
		return mgmt_fail(m, EINVAL, "specify --name and --value");
	if (!strcasecmp(name, "debug")) {
		if (!strcasecmp(value, "on")) {
			if (log_get_level() < LOG_LVL_DEBUG)
				level_before_debug = log_get_level();
			log_set_level(LOG_LVL_DEBUG);
		} else if (!strcasecmp(value, "off")) {
			if (log_get_level() >= LOG_LVL_DEBUG)
				log_set_level(level_before_debug);
		} else {
			return mgmt_fail(m, EINVAL, "debug is on or off");
		}
		return 0;
	}
	if (!strcasecmp(name, "state")) {
		if (!strcasecmp(value, "ready"))
			system_offline = false;
		else if (!strcasecmp(value, "offline"))
			system_offline = true;
		else
			return mgmt_fail(m, EINVAL,
					 "state is ready or offline");
		return 0;
	}
	return mgmt_fail(m, EINVAL, "unknown parameter");
}

int mgmt_mode_system(struct mgmt_op *m)
{
	if (!strcmp(m->op, "show"))
		return system_show(m);
	if (!strcmp(m->op, "update"))
		return system_update(m);
	if (!strcmp(m->op, "delete")) {
		log_info("shutdown requested over the control socket");
		mgmt_request_shutdown();
		return 0;
	}
	return mgmt_unsupported(m);
}
