/* Where logs and metrics lines go when not to stderr: a regular file
 * (appended) or a FIFO someone reads. Writes never block: a vCPU thread
 * that logs must not stall because a log reader is slow, so a line that
 * does not fit in a full FIFO is dropped and counted. */
#ifndef CELLVM_LINE_SINK_H
#define CELLVM_LINE_SINK_H

#include <stddef.h>
#include <stdint.h>

/* Returns the fd or -errno; -ENXIO means a FIFO nobody has open for
 * reading (open it for reading first). err gets a one-line reason. */
int line_sink_open(const char *path, char *err, size_t errlen);

/* One write(2) per line, so lines from different threads never mix.
 * Returns 0, or -errno when the line was dropped. */
int line_sink_write(int fd, const char *line, size_t len);

/* For a single writer of long lines (metrics): waits up to timeout_ms for
 * a full FIFO to drain so a line is never cut in half. */
int line_sink_write_all(int fd, const char *line, size_t len, int timeout_ms);

#endif
