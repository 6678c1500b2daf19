#include "dev_log.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A pipe holds 64 KiB unless its writer grows it (to 1 MiB unprivileged):
 * a drain reads no more than that, even from a writer that keeps going. */
#define DEV_LOG_DRAIN_MAX (1024 * 1024)

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void dev_log_line(void *ctx, const char *line, bool cut)
{
	struct dev_log *l = ctx;
	size_t plen = strlen(l->program);

	if (!rate_limit_take(&l->rate, now_ms())) {
		l->dropped++;
		return;
	}
	/* Our programs start their lines with their name already: not twice. */
	if (plen && strncmp(line, l->program, plen) == 0 && line[plen] == ':')
		line += plen + 1 + (line[plen + 1] == ' ');
	log_info("%s: %s: %s%s", l->name, l->program, line, cut ? " [cut]" : "");
}

void dev_log_init(struct dev_log *l, const char *name, const char *program, int fd)
{
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->program, sizeof(l->program), "%s", program);
	l->fd = fd;
	line_split_init(&l->split, dev_log_line, l);
	rate_limit_init(&l->rate, DEV_LOG_BURST, DEV_LOG_PER_SEC, now_ms());
	l->dropped = 0;
	/* So the first drop is reported at once. */
	l->reported_ms = now_ms() - DEV_LOG_REPORT_MS;
}

static void dev_log_report(struct dev_log *l, bool now)
{
	int64_t t = now_ms();

	if (!l->dropped || (!now && t - l->reported_ms < DEV_LOG_REPORT_MS))
		return;
	log_warn("%s: %lu line%s of the device dropped: it logs more than %u lines a second "
		 "(more may be lost)", l->name, l->dropped, l->dropped == 1 ? "" : "s",
		 DEV_LOG_PER_SEC);
	l->dropped = 0;
	l->reported_ms = t;
}

/* One read: > 0 bytes read, 0 at EOF or on an error (the fd is closed
 * then), < 0 when the pipe is empty for now. */
static ssize_t dev_log_read_once(struct dev_log *l)
{
	char buf[4096];
	ssize_t n;

	do {
		n = read(l->fd, buf, sizeof(buf));
	} while (n < 0 && errno == EINTR);
	if (n > 0) {
		line_split_feed(&l->split, buf, (size_t)n);
		return n;
	}
	if (n < 0 && errno == EAGAIN)
		return -1;
	/* EOF: every copy of the write end is closed, which is not the
	 * device's death (that is the pidfd's and the socket's to say). */
	line_split_finish(&l->split);
	close(l->fd);
	l->fd = -1;
	return 0;
}

int dev_log_pollfd(struct dev_log *l)
{
	if (l->fd < 0 || rate_limit_wait_ms(&l->rate, now_ms()) > 0)
		return -1;
	return l->fd;
}

int dev_log_wait_ms(struct dev_log *l)
{
	int64_t t = now_ms(), wait = -1;

	if (l->fd >= 0) {
		int64_t w = rate_limit_wait_ms(&l->rate, t);
		if (w > 0)
			wait = w;
	}
	if (l->dropped) {
		int64_t due = l->reported_ms + DEV_LOG_REPORT_MS - t;
		if (due < 0)
			due = 0;
		if (wait < 0 || due < wait)
			wait = due;
	}
	return (int)wait;
}

void dev_log_poll_result(struct dev_log *l, short revents)
{
	if (l->fd >= 0 && (revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
		dev_log_read_once(l);
	dev_log_report(l, false);
}

void dev_log_drain(struct dev_log *l)
{
	size_t total = 0;
	ssize_t n;

	while (l->fd >= 0 && total < DEV_LOG_DRAIN_MAX && (n = dev_log_read_once(l)) > 0)
		total += (size_t)n;
	dev_log_report(l, true);
}

void dev_log_close(struct dev_log *l)
{
	dev_log_drain(l);
	/* The device may have ended without a newline, or be gone without
	 * closing its write end (a descendant holds it): its partial line is
	 * still worth logging. */
	line_split_finish(&l->split);
	dev_log_report(l, true);
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}
