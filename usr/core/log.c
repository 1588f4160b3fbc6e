// SPDX-License-Identifier: GPL-2.0-or-later
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

static int log_syslog;
static int log_stderr_too;
static enum log_level log_level = LOG_LVL_INFO;
static const char *log_ident = "tgtx";

void log_open(const char *ident, int use_syslog, enum log_level level)
{
	log_ident = ident;
	log_syslog = use_syslog;
	log_level = level;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_errors_to_stderr(int on)
{
	log_stderr_too = on;
}

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	static const char *const tag[] = {"error", "warning", "info", "debug"};
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	if (log_syslog && log_stderr_too && level <= LOG_LVL_WARN) {
		va_list ap2;

		va_copy(ap2, ap);
		fprintf(stderr, "%s: %s: ", log_ident, tag[level]);
		vfprintf(stderr, fmt, ap2);
		fputc('\n', stderr);
		va_end(ap2);
	}
	if (log_syslog) {
		vsyslog(prio[level], fmt, ap);
	} else {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s: %s: ", when, ts.tv_nsec / 1000000,
			log_ident, tag[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
