/* SPDX-License-Identifier: BSD-3-Clause
 * Logging of p2sgw-control: five levels (the config's control.log_level),
 * to stderr or to syslog (control.syslog). Lines are short, one event each;
 * key material is never logged.
 */
#ifndef CP_LOG_H
#define CP_LOG_H

#include <stdbool.h>

enum cp_log_level {
	CP_LOG_SILENT = -1,		/* nothing (tests, fuzzing) */
	CP_LOG_ERROR = 0,
	CP_LOG_WARNING,
	CP_LOG_NOTICE,
	CP_LOG_INFO,
	CP_LOG_DEBUG,
};

#define CP_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Set the level and the destination; may be called again (reload). */
void cp_log_setup(int level, bool use_syslog);
bool cp_log_enabled(int level);
void cp_log(int level, const char *fmt, ...) CP_PRINTF(2, 3);

#define log_error(...) cp_log(CP_LOG_ERROR, __VA_ARGS__)
#define log_warning(...) cp_log(CP_LOG_WARNING, __VA_ARGS__)
#define log_notice(...) cp_log(CP_LOG_NOTICE, __VA_ARGS__)
#define log_info(...) cp_log(CP_LOG_INFO, __VA_ARGS__)
#define log_debug(...) cp_log(CP_LOG_DEBUG, __VA_ARGS__)

/* A condition reported once until it clears: log_once() logs only when
 * the text differs from the last one logged through ONCE; log_once_clear()
 * forgets it (the next occurrence is logged again). */
struct log_once {
	char last[256];
};

void log_once(struct log_once *once, int level, const char *fmt, ...)
	CP_PRINTF(3, 4);
void log_once_clear(struct log_once *once);

#endif /* CP_LOG_H */
