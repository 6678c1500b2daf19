/* cellvm-vsock's command line: what cellvm passes, what a person running
 * it next to QEMU passes, and what is refused. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "device-procs/vsock/vsock_opts.h"

static struct vsock_opts o;
static char msg[512];

static int parse(char **argv)
{
	int argc = 0;
	FILE *f;
	int r;

	memset(msg, 0, sizeof(msg));
	f = fmemopen(msg, sizeof(msg), "w");
	while (argv[argc])
		argc++;
	r = vsock_opts_parse(&o, argc, argv, f);
	fclose(f);
	return r;
}

#define ARGV(...) ((char *[]){ "cellvm-vsock", __VA_ARGS__, NULL })

Test(vsock_opts, as_cellvm_starts_it)
{
	cr_assert_eq(parse(ARGV("--fd", "3", "--guest-cid", "3", "--listen-fd", "4",
				"--connector-fd", "5", "--metrics-fd", "6")), 0, "%s", msg);
	cr_assert_eq(o.sock_fd, 3);
	cr_assert_eq(o.guest_cid, 3);
	cr_assert_eq(o.listen_fd, 4);
	cr_assert_eq(o.connector_fd, 5);
	cr_assert_eq(o.metrics_fd, 6);
	cr_assert_null(o.uds_path);
}

Test(vsock_opts, by_hand_next_to_qemu)
{
	cr_assert_eq(parse(ARGV("--socket-path", "/tmp/vu.sock", "--cid", "4294967294", "--uds",
				"/tmp/v.sock", "--max-conns", "16", "--buf-alloc", "65536", "-v")), 0,
		     "%s", msg);
	cr_assert_str_eq(o.socket_path, "/tmp/vu.sock");
	cr_assert_eq(o.guest_cid, 4294967294u);
	cr_assert_str_eq(o.uds_path, "/tmp/v.sock");
	cr_assert_eq(o.max_conns, 16);
	cr_assert_eq(o.buf_alloc, 65536);
	cr_assert(o.verbose);
	cr_assert_eq(parse(ARGV("--junk", "--print-capabilities")), 0);
	cr_assert(o.print_caps);
}

Test(vsock_opts, refusals_say_why)
{
	struct {
		char **argv;
		const char *says;
	} bad[] = {
		{ ARGV("--fd", "3", "--listen-fd", "4", "--connector-fd", "5"), "--guest-cid is required" },
		{ ARGV("--fd", "3", "--cid", "2", "--uds", "/v"), "--guest-cid wants a number from 3" },
		{ ARGV("--fd", "3", "--cid", "4294967295", "--uds", "/v"), "to 4294967294" },
		{ ARGV("--fd", "3", "--cid", "3"), "either --uds-path or both" },
		{ ARGV("--fd", "3", "--cid", "3", "--listen-fd", "4"), "either --uds-path or both" },
		{ ARGV("--fd", "3", "--cid", "3", "--uds", "/v", "--listen-fd", "4", "--connector-fd", "5"),
		  "either --uds-path or both" },
		{ ARGV("--cid", "3", "--uds", "/v"), "exactly one of --socket-path and --fd" },
		{ ARGV("--fd", "3", "--cid", "3", "--listen-fd", "3", "--connector-fd", "5"), "fd 3 is given twice" },
		{ ARGV("--fd", "3", "--cid", "3", "--listen-fd", "2", "--connector-fd", "5"), "--listen-fd wants" },
		{ ARGV("--fd", "3", "--cid", "3", "--uds", ""), "--uds-path takes 1 to 96 bytes" },
		{ ARGV("--fd", "3", "--cid", "3", "--uds", "/v", "--max-conns", "0"), "--max-conns wants" },
		{ ARGV("--fd", "3", "--cid", "3", "--uds", "/v", "--buf-alloc", "100"), "--buf-alloc wants" },
		{ ARGV("--fd", "3", "--cid", "3x", "--uds", "/v"), "--guest-cid wants" },
		{ ARGV("--fd", "3", "--cid", "3", "--uds", "/v", "extra"), "unexpected argument extra" },
		{ ARGV("--fd", "3", "--cid", "3", "--uds", "/v", "--nope"), "unknown option --nope" },
	};
	char longpath[120];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse(bad[i].argv), -EINVAL, "case %zu", i);
		cr_assert(strstr(msg, bad[i].says), "case %zu: '%s' lacks '%s'", i, msg, bad[i].says);
	}
	memset(longpath, 'a', 97);
	longpath[0] = '/';
	longpath[97] = '\0';
	cr_assert_eq(parse(ARGV("--fd", "3", "--cid", "3", "--uds", longpath)), -EINVAL);
	longpath[96] = '\0';
	cr_assert_eq(parse(ARGV("--fd", "3", "--cid", "3", "--uds", longpath)), 0, "%s", msg);
}
