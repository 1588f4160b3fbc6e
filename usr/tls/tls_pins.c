// SPDX-License-Identifier: GPL-2.0-or-later
/* Pin computation and the pin file parser (tls_pins.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/hex.h"
#include "tls_pins.h"

void tls_pin_of(const uint8_t pub[NODEKEY_PUB_SIZE], uint8_t pin[TLS_PIN_SIZE])
{
	nodekey_id_of(pub, pin);
}

void tls_pin_hex(const uint8_t pin[TLS_PIN_SIZE], char out[TLS_PIN_HEX_LEN + 1])
{
	hex_encode(pin, TLS_PIN_SIZE, out);
}

int tls_pin_parse(const char *hex, uint8_t pin[TLS_PIN_SIZE])
{
	return hex_decode(hex, pin, TLS_PIN_SIZE);
}

const struct tls_pin *tls_pins_find(const struct tls_pinset *set,
				    const uint8_t pin[TLS_PIN_SIZE])
{
	for (size_t i = 0; set && i < set->n; i++)
		if (!memcmp(set->pins[i].pin, pin, TLS_PIN_SIZE))
			return &set->pins[i];
	return NULL;
}

void tls_pins_free(struct tls_pinset *set)
{
	free(set->pins);
	set->pins = NULL;
	set->n = 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One line (no '\n'): a pin and an optional name, or nothing. */
static int parse_line(const char *l, size_t len, struct tls_pin *out,
		      bool *empty, const char **why)
{
	char hex[TLS_PIN_HEX_LEN + 1];
	size_t i = 0, j, n;

	*empty = false;
	while (i < len && is_blank(l[i]))
		i++;
	if (i == len || l[i] == '#') {
		*empty = true;
		return 0;
	}
	for (j = i; j < len && !is_blank(l[j]); j++)
		;
	if (j - i != TLS_PIN_HEX_LEN) {
		*why = "a pin is 64 hex digits (SHA-256 of the node's public "
		       "key: tgtxd --show-node-key)";
		return -EINVAL;
	}
	memcpy(hex, l + i, TLS_PIN_HEX_LEN);
	hex[TLS_PIN_HEX_LEN] = 0;
	if (tls_pin_parse(hex, out->pin)) {
		*why = "the pin is not hex";
		return -EINVAL;
	}
	for (i = j; i < len && is_blank(l[i]); i++)
		;
	for (j = i; j < len && !is_blank(l[j]); j++)
		if ((unsigned char)l[j] < 0x21 || (unsigned char)l[j] > 0x7e) {
			*why = "the name must be printable ASCII";
			return -EINVAL;
		}
	n = j - i;
	if (n >= TLS_PIN_NAME_MAX) {
		*why = "the name is too long";
		return -EINVAL;
	}
	memcpy(out->name, l + i, n);
	out->name[n] = 0;
	for (; j < len; j++)
		if (!is_blank(l[j])) {
			*why = "text after the name (a name has no spaces; "
			       "comments start a line with '#')";
			return -EINVAL;
		}
	return 0;
}

int tls_pins_parse(const char *text, size_t len, const char *what,
		   struct tls_pinset *set, char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	unsigned line = 0;

	tls_pins_free(set);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *why = NULL;
		struct tls_pin pin;
		bool empty;
		int ret;

		line++;
		memset(&pin, 0, sizeof(pin));
		if (memchr(p, 0, ll)) {
			why = "NUL byte";
			ret = -EINVAL;
		} else {
			ret = parse_line(p, ll, &pin, &empty, &why);
		}
		if (!ret && !empty && tls_pins_find(set, pin.pin)) {
			why = "pin listed twice";
			ret = -EINVAL;
		}
		if (!ret && !empty && set->n >= TLS_MAX_PINS) {
			why = "too many pins";
			ret = -E2BIG;
		}
		if (ret) {
			snprintf(err, errlen, "%s:%u: %s", what, line, why);
			tls_pins_free(set);
			return ret;
		}
		if (!empty) {
			struct tls_pin *np;

			np = realloc(set->pins, (set->n + 1) * sizeof(*np));
			if (!np) {
				snprintf(err, errlen, "%s: out of memory",
					 what);
				tls_pins_free(set);
				return -ENOMEM;
			}
			set->pins = np;
			set->pins[set->n++] = pin;
		}
		p += ll + (nl ? 1 : 0);
	}
	return 0;
}

int tls_pins_load(const char *path, struct tls_pinset *set, char *err,
		  size_t errlen)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) < 0 || st.st_size > TLS_PINS_FILE_MAX) {
		ret = st.st_size > TLS_PINS_FILE_MAX ? -EFBIG : -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	n = pread_upto(fd, buf, (size_t)st.st_size, 0);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror((int)-n));
		free(buf);
		return (int)n;
	}
	ret = tls_pins_parse(buf, (size_t)n, path, set, err, errlen);
	free(buf);
	return ret;
}
