/* SPDX-License-Identifier: BSD-3-Clause
 * Logging to stderr ("HH:MM:SS.mmm level: text") or syslog.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static struct {
	int level;
	bool use_syslog;
	bool opened;
} lg = { .level = CP_LOG_INFO };

static const char *const level_names[] = {
	[CP_LOG_ERROR] = "error",
	[CP_LOG_WARNING] = "warning",
	[CP_LOG_NOTICE] = "notice",
	[CP_LOG_INFO] = "info",
	[CP_LOG_DEBUG] = "debug",
};

static const int syslog_prio[] = {
	[CP_LOG_ERROR] = LOG_ERR,
	[CP_LOG_WARNING] = LOG_WARNING,
	[CP_LOG_NOTICE] = LOG_NOTICE,
	[CP_LOG_INFO] = LOG_INFO,
	[CP_LOG_DEBUG] = LOG_DEBUG,
};

void
cp_log_setup(int level, bool use_syslog)
{
	if (level < CP_LOG_SILENT)
		level = CP_LOG_SILENT;
	if (level > CP_LOG_DEBUG)
		level = CP_LOG_DEBUG;
	lg.level = level;
	if (use_syslog && !lg.opened) {
		openlog("p2sgw-control", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		lg.opened = true;
	}
	lg.use_syslog = use_syslog;
}

bool
cp_log_enabled(int level)
{
	return level <= lg.level;
}

static void
vlog(int level, const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;

	if (lg.use_syslog) {
		vsyslog(syslog_prio[level], fmt, ap);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%02d:%02d:%02d.%03ld %s: ", tm.tm_hour, tm.tm_min,
		tm.tm_sec, ts.tv_nsec / 1000000, level_names[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
cp_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level < CP_LOG_ERROR || level > lg.level)
		return;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

void
log_once(struct log_once *once, int level, const char *fmt, ...)
{
	char text[sizeof(once->last)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (strcmp(text, once->last) == 0)
		return;
	memcpy(once->last, text, sizeof(text));
	cp_log(level, "%s", text);
}

void
log_once_clear(struct log_once *once)
{
	once->last[0] = '\0';
}
