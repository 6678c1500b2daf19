/* cellvm-blk's command line, including the vhost-user convention names. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "device-procs/blk/blk_opts.h"

static struct blk_opts o;

static int parse(char **argv)
{
	int argc = 0;
	FILE *devnull = fopen("/dev/null", "w");
	int r;

	while (argv[argc])
		argc++;
	r = blk_opts_parse(&o, argc, argv, devnull);
	fclose(devnull);
	return r;
}

#define ARGV(...) ((char *[]){ "cellvm-blk", __VA_ARGS__, NULL })

Test(blk_opts, cellvm_spelling)
{
	cr_assert_eq(parse(ARGV("--image", "/d.img", "--socket", "/s", "--ro", "--id", "disk0",
				"--queues", "4", "--queue-depth", "32")), 0);
	cr_assert_str_eq(o.image, "/d.img");
	cr_assert_str_eq(o.socket_path, "/s");
	cr_assert(o.read_only);
	cr_assert_str_eq(o.id, "disk0");
	cr_assert_eq(o.queues, 4);
	cr_assert_eq(o.queue_depth, 32);
	cr_assert_eq(o.image_fd, -1);
	cr_assert_eq(o.sock_fd, -1);
}

Test(blk_opts, convention_spelling)
{
	cr_assert_eq(parse(ARGV("--blk-file=/d.img", "--socket-path=/s", "--read-only")), 0);
	cr_assert_str_eq(o.image, "/d.img");
	cr_assert_str_eq(o.socket_path, "/s");
	cr_assert(o.read_only);
	cr_assert_eq(o.queues, 1);
}

Test(blk_opts, fds)
{
	cr_assert_eq(parse(ARGV("--image-fd", "5", "--fd=7")), 0);
	cr_assert_eq(o.image_fd, 5);
	cr_assert_eq(o.sock_fd, 7);
	cr_assert_null(o.image);
}

Test(blk_opts, print_capabilities_ignores_everything_else)
{
	cr_assert_eq(parse(ARGV("--bogus", "--print-capabilities", "junk")), 0);
	cr_assert(o.print_caps);
}

Test(blk_opts, capabilities_json)
{
	char buf[256] = { 0 };
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	blk_opts_print_caps(f);
	fclose(f);
	cr_assert(strstr(buf, "\"type\": \"block\""));
	cr_assert(strstr(buf, "\"read-only\""));
	cr_assert(strstr(buf, "\"blk-file\""));
}

Test(blk_opts, refusals)
{
	cr_assert_eq(parse(ARGV("--socket", "/s")), -EINVAL, "no image");
	cr_assert_eq(parse(ARGV("--image", "/d", "--image-fd", "3", "--fd", "4")), -EINVAL);
	cr_assert_eq(parse(ARGV("--image", "/d")), -EINVAL, "no socket");
	cr_assert_eq(parse(ARGV("--image", "/d", "--socket", "/s", "--fd", "4")), -EINVAL);
	cr_assert_eq(parse(ARGV("--image", "/d", "--fd", "4", "--queues", "0")), -EINVAL);
	cr_assert_eq(parse(ARGV("--image", "/d", "--fd", "4", "--queues", "17")), -EINVAL);
	cr_assert_eq(parse(ARGV("--image", "/d", "--fd", "4", "--queues", "2x")), -EINVAL);
	cr_assert_eq(parse(ARGV("--image", "/d", "--fd", "4", "--queue-depth", "-1")), -EINVAL);
	cr_assert_eq(parse(ARGV("--image", "/d", "--fd", "4", "--queue-depth", "1025")), -EINVAL);
	cr_assert_eq(parse(ARGV("--image", "/d", "--fd", "-4")), -EINVAL);
	cr_assert_eq(parse(ARGV("--image", "/d", "--fd", "4", "--id", "123456789012345678901")),
		     -EINVAL, "id longer than 20 bytes");
	cr_assert_eq(parse(ARGV("--image", "/d", "--fd", "4", "--id", "tab\there")), -EINVAL);
	cr_assert_eq(parse(ARGV("--image", "/d", "--fd", "4", "--bogus")), -EINVAL);
	cr_assert_eq(parse(ARGV("--image", "/d", "--fd", "4", "stray")), -EINVAL);
	cr_assert_eq(parse(ARGV("--image", "/d", "--fd")), -EINVAL, "missing value");
	cr_assert_eq(parse(ARGV("--image", "/d", "--fd", "4", "--id", "12345678901234567890")),
		     0, "exactly 20 bytes is fine");
}

/* Parses with the error text kept, to check what the user is told. */
static int parse_err(char **argv, char *msg, size_t len)
{
	int argc = 0;
	FILE *f = fmemopen(msg, len, "w");
	int r;

	while (argv[argc])
		argc++;
	r = blk_opts_parse(&o, argc, argv, f);
	fclose(f);
	return r;
}

Test(blk_opts, metrics_fd)
{
	cr_assert_eq(parse(ARGV("--image-fd", "4", "--fd", "3", "--metrics-fd", "5")), 0);
	cr_assert_eq(o.metrics_fd, 5);
	cr_assert_eq(parse(ARGV("--image-fd", "4", "--fd", "3")), 0);
	cr_assert_eq(o.metrics_fd, -1, "no page unless given");
}

Test(blk_opts, metrics_fd_refusals_say_why)
{
	static const char *const bad[] = { "", "x", "5x", "-5", "+5", " 5", "2", "99999999999" };
	char msg[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(msg, 0, sizeof(msg));
		cr_assert_eq(parse_err(ARGV("--image-fd", "4", "--fd", "3", "--metrics-fd",
					    (char *)bad[i]), msg, sizeof(msg)), -EINVAL, "'%s'", bad[i]);
		cr_assert(strstr(msg, "--metrics-fd wants a number from 3 to"), "'%s': %s", bad[i],
			  msg);
	}
	memset(msg, 0, sizeof(msg));
	cr_assert_eq(parse_err(ARGV("--image-fd", "4", "--fd", "3", "--metrics-fd"), msg,
			       sizeof(msg)), -EINVAL);
	cr_assert(strstr(msg, "--metrics-fd needs a value"), "%s", msg);
	memset(msg, 0, sizeof(msg));
	cr_assert_eq(parse_err(ARGV("--image-fd", "4", "--fd", "3", "--metrics-fd", "3"), msg,
			       sizeof(msg)), -EINVAL);
	cr_assert(strstr(msg, "--metrics-fd 3 is already the socket fd"), "%s", msg);
	memset(msg, 0, sizeof(msg));
	cr_assert_eq(parse_err(ARGV("--image-fd", "4", "--fd", "3", "--metrics-fd", "4"), msg,
			       sizeof(msg)), -EINVAL);
	cr_assert(strstr(msg, "--metrics-fd 4 is already the image fd"), "%s", msg);
}
