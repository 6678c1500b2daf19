/* Relaying a device's output into the core's log: lines get the core's
 * prefix and the device's name, its last partial line is kept, EOF is
 * just EOF, and a flood is cut down to the rate limit. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "virtio/dev_log.h"

static char path[64];
static int wr = -1;
static struct dev_log dl;

static void setup(void)
{
	char err[256];
	int p[2];

	snprintf(path, sizeof(path), "/tmp/cellvm-devlog-%d", (int)getpid());
	unlink(path);
	cr_assert_eq(log_open_file(path, err, sizeof(err)), 0, "%s", err);
	log_set_id("devlogtest");
	cr_assert_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	wr = p[1];
	dev_log_init(&dl, "blk0", "cellvm-blk", p[0]);
}

static void teardown(void)
{
	dev_log_close(&dl);
	if (wr >= 0)
		close(wr);
	log_close();
	unlink(path);
}

TestSuite(dev_log, .init = setup, .fini = teardown);

static void put(const char *s)
{
	cr_assert_eq(write(wr, s, strlen(s)), (ssize_t)strlen(s));
}

static char *read_log(void)
{
	static char buf[1 << 20];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	cr_assert_geq(n, 0);
	buf[n] = '\0';
	return buf;
}

static unsigned int count(const char *hay, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* What the main loop does once poll says the pipe is readable. */
static void poll_once(void)
{
	struct pollfd p = { .fd = dev_log_pollfd(&dl), .events = POLLIN };

	cr_assert_geq(p.fd, 0);
	cr_assert_eq(poll(&p, 1, 1000), 1);
	dev_log_poll_result(&dl, p.revents);
}

Test(dev_log, lines_get_the_core_prefix_and_the_device_name)
{
	put("cellvm-blk: serving 2048 sectors\nsecond line\ndevice process exited with status 0\n");
	poll_once();
	char *log = read_log();
	cr_assert(strstr(log, "cellvm[devlogtest] INFO: blk0: cellvm-blk: serving 2048 sectors\n"),
		  "%s", log);
	/* Not what the core itself says about the device. */
	cr_assert(strstr(log, "INFO: blk0: cellvm-blk: device process exited with status 0\n"),
		  "%s", log);
	cr_assert_eq(count(log, "cellvm-blk: cellvm-blk:"), 0, "%s", log);
	cr_assert(strstr(log, "cellvm[devlogtest] INFO: blk0: cellvm-blk: second line\n"), "%s", log);
}

Test(dev_log, eof_flushes_the_partial_line_and_stops_polling)
{
	put("served 37 requests (2 failed)\nno newline at the end");
	close(wr);
	wr = -1;
	poll_once(); /* the data */
	poll_once(); /* EOF */
	cr_assert_eq(dev_log_pollfd(&dl), -1, "a pipe at EOF is still polled");
	cr_assert_eq(dev_log_wait_ms(&dl), -1);
	char *log = read_log();
	cr_assert(strstr(log, "INFO: blk0: cellvm-blk: served 37 requests (2 failed)\n"), "%s", log);
	cr_assert(strstr(log, "INFO: blk0: cellvm-blk: no newline at the end\n"), "%s", log);
}

Test(dev_log, close_drains_what_is_left)
{
	put("last words\nand a partial one");
	dev_log_close(&dl); /* the writer is still open: drain, flush, close */
	char *log = read_log();
	cr_assert(strstr(log, "INFO: blk0: cellvm-blk: last words\n"), "%s", log);
	cr_assert(strstr(log, "INFO: blk0: cellvm-blk: and a partial one\n"), "%s", log);
}

Test(dev_log, long_line_is_cut_and_marked)
{
	static char line[4000];

	memset(line, 'x', sizeof(line) - 2);
	line[sizeof(line) - 2] = '\n';
	put(line);
	put("\x1b]0;pwned\x07\n");
	dev_log_drain(&dl);
	char *log = read_log();
	const char *cut = strstr(log, "INFO: blk0: cellvm-blk: xxxx");
	cr_assert(cut, "%s", log);
	const char *eol = strchr(cut, '\n');
	cr_assert(eol && eol - strlen(" [cut]") > cut &&
		  strncmp(eol - strlen(" [cut]"), " [cut]", 6) == 0, "%s", log);
	cr_assert_eq(count(log, "xxxxxxxx\n"), 0, "the tail of the cut line was logged");
	cr_assert(strstr(log, "INFO: blk0: cellvm-blk: \\x1b]0;pwned\\x07\n"), "%s", log);
}

Test(dev_log, a_flood_is_held_to_the_rate)
{
	static char flood[300 * 8 + 1];

	for (int i = 0; i < 300; i++)
		memcpy(flood + 8 * i, "flood!!\n", 8);
	put(flood);
	poll_once();
	/* One read of 4 KiB holds all 300 lines: the burst is logged, the
	 * rest dropped, and the pipe is left alone until the rate allows. */
	cr_assert_eq(dev_log_pollfd(&dl), -1, "a device over its rate is still read");
	int wait = dev_log_wait_ms(&dl);
	cr_assert(wait >= 0 && wait <= 1000 / DEV_LOG_PER_SEC, "wait %d ms", wait);
	put("after the flood\n");
	dev_log_drain(&dl);
	char *log = read_log();
	unsigned int logged = count(log, "INFO: blk0: cellvm-blk: flood!!\n");
	cr_assert(logged >= DEV_LOG_BURST && logged <= DEV_LOG_BURST + 5, "%u lines logged", logged);
	cr_assert(strstr(log, "WARN: blk0: "), "the drops were not reported: %s", log);
	cr_assert(strstr(log, "lines of the device dropped: it logs more than 20 lines a second"),
		  "%s", log);
}
