/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging for all daemons: stderr in foreground, syslog otherwise. */
#ifndef TGTX_LOG_H
#define TGTX_LOG_H

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_open(const char *ident, int use_syslog, enum log_level level);
/* With syslog: errors and warnings go to stderr as well (start-up). */
void log_errors_to_stderr(int on);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)  log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_dbg(...)                                                           \
	do {                                                                   \
		if (log_get_level() >= LOG_LVL_DEBUG)                          \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__);                   \
	} while (0)

#endif
