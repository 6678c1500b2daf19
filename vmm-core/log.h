/* Levelled logging: one line per message with a UTC timestamp, the VM id
 * and the level, to stderr or a file/FIFO. The sink, level and id are set
 * once by main before any thread starts and only read afterwards. */
#ifndef CELLVM_LOG_H
#define CELLVM_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
/* The id shown in every line; the string must outlive logging. */
void log_set_id(const char *id);
/* Sends logs to path (file or FIFO) instead of stderr. Writes the reason
 * to err on failure and returns -errno. */
int log_open_file(const char *path, char *err, size_t errlen);
void log_close(void);
/* Lines dropped because the sink (a full FIFO) would have blocked. */
unsigned long log_dropped(void);

bool log_enabled(enum log_level level);

/* While a capture is active on the calling thread, the text of the first
 * error it logs is also copied into buf: how a start request that fails
 * deep inside VM construction can tell the API client why. */
void log_capture_begin(char *buf, size_t len);
void log_capture_end(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
