#include "log.h"
#include "line_sink.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* Written once by main before threads exist, read-only afterwards; only
 * the drop counter changes later, atomically. */
static enum log_level log_threshold = LOG_INFO;
static const char *log_id = "anonymous";
static int log_sink = STDERR_FILENO;
static unsigned long log_drops;

/* Per thread by nature: only the thread that began a capture fills it. */
static __thread char *capture_buf;
static __thread size_t capture_len;

void log_set_level(enum log_level level)
{
	log_threshold = level;
}

void log_set_id(const char *id)
{
	log_id = id;
}

int log_open_file(const char *path, char *err, size_t errlen)
{
	int fd = line_sink_open(path, err, errlen);

	if (fd < 0)
		return fd;
	log_close();
	log_sink = fd;
	return 0;
}

void log_close(void)
{
	if (log_sink > STDERR_FILENO)
		close(log_sink);
	log_sink = STDERR_FILENO;
}

unsigned long log_dropped(void)
{
	return __atomic_load_n(&log_drops, __ATOMIC_RELAXED);
}

bool log_enabled(enum log_level level)
{
	return level <= log_threshold;
}

void log_capture_begin(char *buf, size_t len)
{
	capture_buf = len ? buf : NULL;
	capture_len = len;
	if (capture_buf)
		capture_buf[0] = '\0';
}

void log_capture_end(void)
{
	capture_buf = NULL;
	capture_len = 0;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "ERROR", "WARN", "INFO", "DEBUG" };
	struct timespec ts;
	struct tm tm;
	char line[1024];
	va_list ap;
	int n;

	if (level == LOG_ERROR && capture_buf && !capture_buf[0]) {
		va_start(ap, fmt);
		vsnprintf(capture_buf, capture_len, fmt, ap);
		va_end(ap);
	}
	if (level > log_threshold)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ cellvm[%s] %s: ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     ts.tv_nsec / 1000, log_id, names[level]);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(line))
		n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (line_sink_write(log_sink, line, (size_t)n) < 0)
		__atomic_fetch_add(&log_drops, 1, __ATOMIC_RELAXED);
}
