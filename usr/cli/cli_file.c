// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * saveconfig files: written whole or not at all (temporary file, fsync,
 * rename, directory fsync), mode 0600 since they hold CHAP secrets, the
 * previous version copied to the backup directory first.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fileio.h"
#include "cli.h"

static int dir_of(const char *path, char *dir, size_t len)
{
	char tmp[CLI_PATH_MAX];

	if (strlen(path) >= sizeof(tmp))
		return -1;
	strcpy(tmp, path);
	snprintf(dir, len, "%s", dirname(tmp));
	return 0;
}

int cli_write_atomic(struct cli *c, const char *path, const char *text)
{
	char dir[CLI_PATH_MAX], tmp[CLI_PATH_MAX + 16];
	int fd, ret;

	if (dir_of(path, dir, sizeof(dir)) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >=
		    (int)sizeof(tmp))
		return cli_fail(c, "path too long: %s", path);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return cli_fail(c, "cannot create %s: %s", dir,
				strerror(errno));
	fd = mkstemp(tmp);
	if (fd < 0)
		return cli_fail(c, "cannot write in %s: %s", dir,
				strerror(errno));
	ret = fchmod(fd, 0600) ? -errno : 0;
	if (!ret)
		ret = pwrite_full(fd, text, strlen(text), 0);
	if (!ret && fsync(fd))
		ret = -errno;
	close(fd);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return cli_fail(c, "cannot write %s: %s", path, strerror(-ret));
	}
	ret = fsync_dir(dir);
	if (ret)
		return cli_fail(c, "cannot sync %s: %s", dir, strerror(-ret));
	return 0;
}

static void strip(json_t *v)
{
	const char *k;
	json_t *x;
	void *tmp;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach_safe (v, tmp, k, x) {
			if (k[0] == '_')
				json_object_del(v, k);
			else
				strip(x);
		}
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, x)
			strip(x);
	}
}

json_t *cli_strip(json_t *m)
{
	json_t *c = json_deep_copy(m);

	strip(c);
	return c;
}

/* rtslib lists the LUNs each ACL sees; in tgtxd an ACL sees them all. */
static void add_mapped_luns(json_t *m)
{
	json_t *t, *a, *l;
	size_t i, j, k;

	json_array_foreach (json_object_get(m, "targets"), i, t) {
		json_t *tpg = cli_tpg(t);

		json_array_foreach (json_object_get(tpg, "node_acls"), j, a) {
			json_t *ml = json_array();

			json_array_foreach (json_object_get(tpg, "luns"), k, l)
				json_array_append_new(
					ml, json_pack("{s:I,s:I,s:b}", "index",
						      (json_int_t)cli_int(
							      l, "index", 0),
						      "tpg_lun",
						      (json_int_t)cli_int(
							      l, "index", 0),
						      "write_protect", 0));
			json_object_set_new(a, "mapped_luns", ml);
		}
	}
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int backup(struct cli *c, const char *path, const char *text)
{
	char *old = NULL, name[CLI_PATH_MAX + 64], stamp[32];
	struct dirent **ents;
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;
	long n;
	int i, cnt, ret;

	f = fopen(path, "r");
	if (!f)
		return 0;
	old = malloc(CLI_FILE_MAX + 1);
	n = old ? (long)fread(old, 1, CLI_FILE_MAX, f) : -1;
	fclose(f);
	if (n < 0) {
		free(old);
		return 0;
	}
	old[n] = 0;
	if (!strcmp(old, text)) {
		free(old);
		return 0;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(name, sizeof(name), "%s/saveconfig-%s.json", c->backup_dir,
		 stamp);
	if (mkdir(c->backup_dir, 0700) && errno != EEXIST) {
		free(old);
		return cli_fail(c, "cannot create %s: %s", c->backup_dir,
				strerror(errno));
	}
	ret = cli_write_atomic(c, name, old);
	free(old);
	if (ret)
		return ret;
	cnt = scandir(c->backup_dir, &ents, NULL, by_name);
	for (i = 0; i < cnt; i++) {
		if (!strncmp(ents[i]->d_name, "saveconfig-", 11) &&
		    cnt - i > CLI_BACKUPS) {
			snprintf(name, sizeof(name), "%s/%s", c->backup_dir,
				 ents[i]->d_name);
			unlink(name);
		}
		free(ents[i]);
	}
	if (cnt >= 0)
		free(ents);
	return 0;
}

int cli_save(struct cli *c, json_t *m, const char *path)
{
	json_t *s = cli_strip(m);
	char *text;
	int ret;

	add_mapped_luns(s);
	json_object_set_new(s, "fabric_modules", json_array());
	text = json_dumps(s, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(s);
	if (!text)
		return cli_fail(c, "out of memory");
	ret = backup(c, path, text);
	if (!ret)
		ret = cli_write_atomic(c, path, text);
	free(text);
	return ret;
}
