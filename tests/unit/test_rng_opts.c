/* cellvm-rng's command line: the vhost-user convention names and the
 * core's --metrics-fd, with what a bad value is told. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "device-procs/rng/rng_opts.h"

static struct rng_opts o;
static char msg[256];

static int parse(char **argv)
{
	int argc = 0;
	FILE *f;
	int r;

	memset(msg, 0, sizeof(msg));
	f = fmemopen(msg, sizeof(msg), "w");
	while (argv[argc])
		argc++;
	r = rng_opts_parse(&o, argc, argv, f);
	fclose(f);
	return r;
}

#define ARGV(...) ((char *[]){ "cellvm-rng", __VA_ARGS__, NULL })

Test(rng_opts, socket_path_and_fd)
{
	cr_assert_eq(parse(ARGV("--socket-path", "/s", "-v")), 0);
	cr_assert_str_eq(o.socket_path, "/s");
	cr_assert(o.verbose);
	cr_assert_eq(o.sock_fd, -1);
	cr_assert_eq(o.metrics_fd, -1);
	cr_assert_eq(parse(ARGV("--socket=/s")), 0);
	cr_assert_str_eq(o.socket_path, "/s");
	cr_assert_eq(parse(ARGV("--fd", "3", "--metrics-fd", "4")), 0);
	cr_assert_eq(o.sock_fd, 3);
	cr_assert_eq(o.metrics_fd, 4);
	cr_assert_null(o.socket_path);
	cr_assert_not(o.verbose);
}

Test(rng_opts, print_capabilities_and_help)
{
	cr_assert_eq(parse(ARGV("--bogus", "--print-capabilities", "junk")), 0);
	cr_assert(o.print_caps);
	cr_assert_eq(parse(ARGV("--help")), 0);
	cr_assert(o.help);
	cr_assert_eq(parse(ARGV("-h")), 0);
	cr_assert(o.help);
}

Test(rng_opts, refusals_say_why)
{
	static const char *const bad[] = { "", "x", "4x", "-4", "+4", " 4", "0", "2", "2000000" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse(ARGV("--fd", "3", "--metrics-fd", (char *)bad[i])), -EINVAL,
			     "'%s'", bad[i]);
		cr_assert(strstr(msg, "--metrics-fd wants a number from 3 to"), "'%s': %s", bad[i],
			  msg);
	}
	cr_assert_eq(parse(ARGV("--fd", "3", "--metrics-fd")), -EINVAL);
	cr_assert(strstr(msg, "--metrics-fd needs a value"), "%s", msg);
	cr_assert_eq(parse(ARGV("--fd", "3", "--metrics-fd", "3")), -EINVAL);
	cr_assert(strstr(msg, "--metrics-fd 3 is already the socket fd"), "%s", msg);
	cr_assert_eq(parse(ARGV("--fd", "-1")), -EINVAL);
	cr_assert(strstr(msg, "--fd wants a number from 0 to"), "%s", msg);
	cr_assert_eq(parse(ARGV("--metrics-fd", "4")), -EINVAL);
	cr_assert(strstr(msg, "exactly one of --socket-path and --fd"), "%s", msg);
	cr_assert_eq(parse(ARGV("--fd", "3", "--socket-path", "/s")), -EINVAL);
	cr_assert_eq(parse(ARGV("--fd", "3", "--bogus")), -EINVAL);
	cr_assert(strstr(msg, "unknown option --bogus"), "%s", msg);
	cr_assert_eq(parse(ARGV("--fd", "3", "-x")), -EINVAL);
	cr_assert(strstr(msg, "unknown option -x"), "%s", msg);
	cr_assert_eq(parse(ARGV("--fd", "3", "stray")), -EINVAL);
	cr_assert(strstr(msg, "unexpected argument stray"), "%s", msg);
}
