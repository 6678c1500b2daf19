/* Log and metrics sinks: files are appended to, a FIFO needs a reader,
 * and a full FIFO drops lines instead of blocking the writer. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "line_sink.h"

static char path[64];

static void setup(void)
{
	snprintf(path, sizeof(path), "/tmp/cellvm-sink-%d", (int)getpid());
	unlink(path);
}

static void teardown(void)
{
	unlink(path);
}

TestSuite(line_sink, .init = setup, .fini = teardown);

Test(line_sink, file_is_appended)
{
	char err[256], buf[64] = "";

	int fd = line_sink_open(path, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	cr_assert_eq(line_sink_write(fd, "one\n", 4), 0);
	close(fd);
	fd = line_sink_open(path, err, sizeof(err));
	cr_assert_eq(line_sink_write(fd, "two\n", 4), 0);
	close(fd);
	FILE *f = fopen(path, "r");
	cr_assert_eq(fread(buf, 1, sizeof(buf) - 1, f), 8);
	fclose(f);
	cr_assert_str_eq(buf, "one\ntwo\n");
}

Test(line_sink, fifo_without_reader_is_refused)
{
	char err[256];

	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(line_sink_open(path, err, sizeof(err)), -ENXIO);
	cr_assert(strstr(err, "no process has open for reading"), "%s", err);
}

Test(line_sink, full_fifo_drops_instead_of_blocking)
{
	char err[256], line[200];

	cr_assert_eq(mkfifo(path, 0600), 0);
	int rd = open(path, O_RDONLY | O_NONBLOCK);
	int fd = line_sink_open(path, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	int dropped = 0;
	for (int i = 0; i < 2000; i++)
		if (line_sink_write(fd, line, sizeof(line)) < 0)
			dropped++;
	cr_assert_gt(dropped, 0, "a 64 KiB pipe cannot hold 400 KB");
	cr_assert_eq(line_sink_write_all(fd, line, sizeof(line), 10), -EAGAIN,
		     "a whole line is dropped, not half of one");
	/* The reader sees whole lines only. */
	char buf[4096];
	size_t total = 0;
	ssize_t n;
	while ((n = read(rd, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	cr_assert_gt(total, 0);
	cr_assert_eq(total % sizeof(line), 0, "%zu bytes: a cut line", total);
	close(fd);
	close(rd);
}
