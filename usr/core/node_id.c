// SPDX-License-Identifier: GPL-2.0-or-later
#include "node_id.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "fileio.h"
#include "log.h"

#define MAGIC "tgtx-node-id 1 "

static uint8_t node_id[NODE_ID_LEN];

const uint8_t *node_id_get(void)
{
	return node_id;
}

void node_id_set(const uint8_t id[NODE_ID_LEN])
{
	memcpy(node_id, id, NODE_ID_LEN);
}

void node_id_hex(const uint8_t id[NODE_ID_LEN], char out[2 * NODE_ID_LEN + 1])
{
	for (int i = 0; i < NODE_ID_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

size_t node_id_format(const uint8_t id[NODE_ID_LEN],
		      char out[NODE_ID_FILE_LEN + 1])
{
	char hex[2 * NODE_ID_LEN + 1];
	size_t body;

	node_id_hex(id, hex);
	body = (size_t)snprintf(out, NODE_ID_FILE_LEN + 1, "%s%s", MAGIC, hex);
	snprintf(out + body, NODE_ID_FILE_LEN + 1 - body, " %08x\n",
		 crc32c(0, out, body));
	return NODE_ID_FILE_LEN;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int node_id_parse(const char *buf, size_t len, uint8_t id[NODE_ID_LEN])
{
	const size_t body = strlen(MAGIC) + 2 * NODE_ID_LEN;
	uint32_t crc = 0;

	if (len != NODE_ID_FILE_LEN || memcmp(buf, MAGIC, strlen(MAGIC)) ||
	    buf[body] != ' ' || buf[len - 1] != '\n')
		return -EINVAL;
	for (size_t i = 0; i < 8; i++) {
		int v = hexval(buf[body + 1 + i]);

		if (v < 0)
			return -EINVAL;
		crc = crc << 4 | (uint32_t)v;
	}
	for (size_t i = 0; i < NODE_ID_LEN; i++) {
		int hi = hexval(buf[strlen(MAGIC) + 2 * i]);
		int lo = hexval(buf[strlen(MAGIC) + 2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		id[i] = (uint8_t)(hi << 4 | lo);
	}
	if (crc32c(0, buf, body) != crc)
		return -EBADMSG;
	return 0;
}

static int read_id(const char *path, uint8_t id[NODE_ID_LEN])
{
	char buf[NODE_ID_FILE_LEN + 1];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = pread_upto(fd, buf, sizeof(buf), 0);
	close(fd);
	if (n < 0)
		return (int)n;
	return node_id_parse(buf, (size_t)n, id);
}

static int make_id(const char *dir, uint8_t id[NODE_ID_LEN])
{
	char line[NODE_ID_FILE_LEN + 1];
	size_t got = 0;

	while (got < NODE_ID_LEN) {
		ssize_t n = getrandom(id + got, NODE_ID_LEN - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	node_id_format(id, line);
	return write_file_atomic(dir, NODE_ID_FILE, line, NODE_ID_FILE_LEN,
				 0600, true);
}

int node_id_load(const char *dir, char *err, size_t errlen)
{
	char path[4096], hex[2 * NODE_ID_LEN + 1];
	uint8_t id[NODE_ID_LEN];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, NODE_ID_FILE);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "cannot create state directory %s: %s",
			 dir, strerror(-ret));
		return ret;
	}
	ret = read_id(path, id);
	if (ret == -ENOENT) {
		ret = make_id(dir, id);
		/* another tgtxd made it first: use theirs */
		if (ret == -EEXIST)
			ret = read_id(path, id);
		else if (!ret)
			log_info("created node id in %s", path);
	}
	if (ret) {
		snprintf(err, errlen, "node id %s: %s%s", path,
			 ret == -EBADMSG || ret == -EINVAL ? "corrupt"
							   : strerror(-ret),
			 ret == -EBADMSG || ret == -EINVAL
				 ? " (restore it from a backup; removing it "
				   "gives every default LUN identity a new "
				   "value)"
				 : "");
		return ret;
	}
	node_id_set(id);
	node_id_hex(id, hex);
	log_info("node id %s", hex);
	return 0;
}
