#include "line_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int line_sink_open(const char *path, char *err, size_t errlen)
{
	/* O_NONBLOCK makes opening a FIFO without a reader fail at once
	 * (ENXIO) instead of hanging startup, and later writes to a full
	 * FIFO fail instead of blocking; it changes nothing for files. */
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC, 0640);

	if (fd >= 0)
		return fd;
	int ret = -errno;
	if (ret == -ENXIO)
		snprintf(err, errlen, "'%s' is a FIFO no process has open for reading", path);
	else
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
	return ret;
}

int line_sink_write(int fd, const char *line, size_t len)
{
	for (;;) {
		ssize_t n = write(fd, line, len);
		if (n == (ssize_t)len)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		/* A short write to a pipe only happens above PIPE_BUF; a line
		 * that long is already cut by the callers. */
		return n < 0 ? -errno : -EIO;
	}
}

int line_sink_write_all(int fd, const char *line, size_t len, int timeout_ms)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, line + off, len - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		/* Before the first byte the line can still be dropped whole. */
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, off ? timeout_ms : 0) <= 0)
			return -EAGAIN;
	}
	return 0;
}
