// SPDX-License-Identifier: GPL-2.0-or-later
/* The restore progress file: what a rerun of the same command needs to
 * continue (and to refuse mixing two restore points in one target). */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "rc.h"
#include "rc_format.h"
#include "core/crc32c.h"

int rc_state_load(const char *path, struct rc_state *st, char *why, size_t wlen)
{
	struct rc_state_disk d;
	void *buf = NULL;
	size_t len = 0;
	int ret = read_file_max(path, RC_STATE_SIZE, &buf, &len, NULL);

	if (ret) {
		snprintf(why, wlen, "%s", strerror(-ret));
		return ret;
	}
	if (len != RC_STATE_SIZE) {
		free(buf);
		snprintf(why, wlen, "%zu bytes, not %d", len, RC_STATE_SIZE);
		return -EBADMSG;
	}
	memcpy(&d, buf, sizeof(d));
	free(buf);
	if (le64toh(d.magic) != RC_STATE_MAGIC ||
	    le32toh(d.version) != RC_STATE_VERSION) {
		snprintf(why, wlen, "not a tgtx-recover progress file");
		return -EBADMSG;
	}
	if (le32toh(d.crc) !=
	    crc32c(0, &d, offsetof(struct rc_state_disk, crc))) {
		snprintf(why, wlen, "checksum mismatch");
		return -EBADMSG;
	}
	memset(st, 0, sizeof(*st));
	memcpy(st->uuid, d.uuid, 16);
	st->seq = le64toh(d.seq);
	st->seq_ns = le64toh(d.seq_ns);
	st->nblocks = le64toh(d.nblocks);
	st->block_size = le32toh(d.block_size);
	st->target_crc = le32toh(d.target_crc);
	st->done_blocks = le64toh(d.done_blocks);
	st->started_ns = le64toh(d.started_ns);
	st->complete = le32toh(d.flags) & RC_STATE_COMPLETE;
	if (st->done_blocks > st->nblocks) {
		snprintf(why, wlen, "done %llu of %llu blocks",
			 (unsigned long long)st->done_blocks,
			 (unsigned long long)st->nblocks);
		return -EBADMSG;
	}
	return 0;
}

int rc_state_save(const char *path, const struct rc_state *st)
{
	struct rc_state_disk d;

	memset(&d, 0, sizeof(d));
	d.magic = htole64(RC_STATE_MAGIC);
	d.version = htole32(RC_STATE_VERSION);
	d.flags = htole32(st->complete ? RC_STATE_COMPLETE : 0);
	memcpy(d.uuid, st->uuid, 16);
	d.seq = htole64(st->seq);
	d.seq_ns = htole64(st->seq_ns);
	d.nblocks = htole64(st->nblocks);
	d.block_size = htole32(st->block_size);
	d.target_crc = htole32(st->target_crc);
	d.done_blocks = htole64(st->done_blocks);
	d.started_ns = htole64(st->started_ns);
	d.updated_ns = htole64(rc_now_ns());
	d.crc = htole32(crc32c(0, &d, offsetof(struct rc_state_disk, crc)));
	return write_path_atomic(path, &d, sizeof(d), 0600);
}
