#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The options hold whole paths and a 64 KiB command line: one static
 * copy instead of a large stack frame per test. */
static struct cli_opts cfg;

static int parse(struct cli_opts *o, char *err, const char **args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = "cellvm";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	return cli_parse(argc, argv, o, err, 256);
}

#define ARGS(...) ((const char *[]){ __VA_ARGS__, NULL })

Test(cli, run_with_all_options)
{
	char err[256];

	cr_assert_eq(parse(&cfg, err, ARGS("run", "--kernel", "k", "--initrd", "i", "--cmdline",
					   "console=ttyS0", "--mem", "512", "--cpus", "4",
					   "--serial", "file:/tmp/x", "--boot-timer")), 0, "%s", err);
	cr_assert_eq(cfg.action, CLI_RUN);
	cr_assert(cfg.have_vm);
	cr_assert_str_eq(cfg.vm.kernel, "k");
	cr_assert_str_eq(cfg.vm.initrd, "i");
	cr_assert_str_eq(cfg.vm.cmdline, "console=ttyS0");
	cr_assert_eq(cfg.vm.mem_mib, 512);
	cr_assert_eq(cfg.vm.cpus, 4);
	cr_assert_eq(cfg.serial, SERIAL_FILE);
	cr_assert_str_eq(cfg.serial_path, "/tmp/x");
	cr_assert(cfg.boot_timer);
}

Test(cli, defaults)
{
	char err[256];

	cr_assert_eq(parse(&cfg, err, ARGS("run", "--kernel", "k")), 0);
	cr_assert_eq(cfg.vm.mem_mib, VM_DEFAULT_MEM_MIB);
	cr_assert_eq(cfg.vm.cpus, 1);
	cr_assert_eq(cfg.serial, SERIAL_STDIO);
	cr_assert_str_eq(cfg.vm.cmdline, "");
	cr_assert_not(cfg.boot_timer);
	cr_assert_eq(cfg.log_level, LOG_INFO);
	cr_assert_null(cfg.api_sock);
	cr_assert_null(cfg.config_file);
	cr_assert_eq(cfg.metrics_interval_ms, CLI_DEFAULT_METRICS_INTERVAL_MS);
}

Test(cli, help_and_version)
{
	char err[256];

	cr_assert_eq(parse(&cfg, err, ARGS("--help")), 0);
	cr_assert_eq(cfg.action, CLI_HELP);
	cr_assert_eq(parse(&cfg, err, ARGS("--version")), 0);
	cr_assert_eq(cfg.action, CLI_VERSION);
	cr_assert(strstr(cli_usage(), "--kernel") != NULL);
	cr_assert(strstr(cli_usage(), "--api-sock") != NULL);
}

Test(cli, api_socket_alone_waits_for_the_api)
{
	char err[256];

	cr_assert_eq(parse(&cfg, err, ARGS("--api-sock", "/tmp/s", "--id", "vm-1.a_b")), 0, "%s",
		     err);
	cr_assert_eq(cfg.action, CLI_SERVE);
	cr_assert_not(cfg.have_vm);
	cr_assert_str_eq(cfg.api_sock, "/tmp/s");
	cr_assert_str_eq(cfg.id, "vm-1.a_b");
}

Test(cli, config_file_boots_at_once_with_or_without_run)
{
	char err[256];

	cr_assert_eq(parse(&cfg, err, ARGS("--config-file", "vm.json")), 0, "%s", err);
	cr_assert_eq(cfg.action, CLI_RUN);
	cr_assert_str_eq(cfg.config_file, "vm.json");
	cr_assert_not(cfg.have_vm, "the machine comes from the file, loaded by main");
	cr_assert_eq(parse(&cfg, err, ARGS("run", "--config-file", "vm.json", "--api-sock", "s")), 0,
		     "%s", err);
	cr_assert_eq(cfg.action, CLI_RUN);
}

Test(cli, run_also_serves_the_api)
{
	char err[256];

	cr_assert_eq(parse(&cfg, err, ARGS("run", "--kernel", "k", "--api-sock", "s")), 0, "%s",
		     err);
	cr_assert_eq(cfg.action, CLI_RUN);
	cr_assert(cfg.have_vm);
	cr_assert_str_eq(cfg.api_sock, "s");
}

Test(cli, logging_and_metrics_options)
{
	char err[256];

	cr_assert_eq(parse(&cfg, err, ARGS("run", "--kernel", "k", "--log-file", "/tmp/log",
					   "--log-level", "warn", "--metrics-file", "/tmp/m",
					   "--metrics-interval", "250")), 0, "%s", err);
	cr_assert_str_eq(cfg.log_file, "/tmp/log");
	cr_assert_eq(cfg.log_level, LOG_WARN);
	cr_assert_str_eq(cfg.metrics_file, "/tmp/m");
	cr_assert_eq(cfg.metrics_interval_ms, 250);
	cr_assert_eq(parse(&cfg, err, ARGS("run", "--kernel", "k", "--verbose")), 0);
	cr_assert_eq(cfg.log_level, LOG_DEBUG);
}

Test(cli, devices)
{
	char err[256];

	cr_assert_eq(parse(&cfg, err, ARGS("run", "--kernel", "k", "--disk", "path=/d,ro,id=x",
					   "--rng", "--vhost-user", "blk,socket=/s")), 0, "%s", err);
	cr_assert_eq(cfg.vm.ndevs, 3);
	cr_assert_eq(cfg.vm.devs[0].kind, DEV_DISK);
	cr_assert_str_eq(cfg.vm.devs[0].path, "/d");
	cr_assert(cfg.vm.devs[0].read_only);
	cr_assert_str_eq(cfg.vm.devs[0].id, "x");
	cr_assert_eq(cfg.vm.devs[1].kind, DEV_RNG);
	cr_assert_eq(cfg.vm.devs[2].kind, DEV_VHOST_USER);
	cr_assert_eq(cfg.vm.devs[2].virtio_id, 2);
}

/* Each hostile command line gets -EINVAL and a reason naming the problem. */
static void expect_reject(const char **args, const char *needle)
{
	char err[256] = "";

	cr_assert_eq(parse(&cfg, err, args), -EINVAL, "accepted, expected '%s'", needle);
	cr_assert(strstr(err, needle) != NULL, "error '%s' does not mention '%s'", err, needle);
}

Test(cli, rejects_bad_input)
{
	expect_reject(ARGS("bogus"), "unknown command");
	expect_reject(ARGS("run"), "--kernel is required");
	expect_reject(ARGS("run", "--kernel", "k", "--mem", "0"), "--mem");
	expect_reject(ARGS("run", "--kernel", "k", "--mem", "-5"), "--mem");
	expect_reject(ARGS("run", "--kernel", "k", "--mem", "12x"), "--mem");
	expect_reject(ARGS("run", "--kernel", "k", "--mem", "99999999999999999999999"), "--mem");
	expect_reject(ARGS("run", "--kernel", "k", "--mem", "1048577"), "--mem");
	expect_reject(ARGS("run", "--kernel", "k", "--cpus", "0"), "--cpus");
	expect_reject(ARGS("run", "--kernel", "k", "--cpus", "33"), "--cpus");
	expect_reject(ARGS("run", "--kernel", "k", "--serial", "tcp:1"), "--serial");
	expect_reject(ARGS("run", "--kernel", "k", "--serial", "file:"), "--serial");
	expect_reject(ARGS("run", "--kernel", "k", "--frobnicate"), "unknown option");
	expect_reject(ARGS("run", "--kernel"), "needs a value");
	expect_reject(ARGS("run", "--kernel", "k", "stray"), "unexpected argument");
}

Test(cli, rejects_bad_api_and_log_options)
{
	expect_reject(ARGS("--verbose"), "nothing to do");
	expect_reject(ARGS("--api-sock", "s", "--kernel", "k"), "needs the run command");
	expect_reject(ARGS("run", "--config-file", "f", "--mem", "64"), "cannot be combined");
	expect_reject(ARGS("--api-sock", ""), "--api-sock");
	expect_reject(ARGS("--api-sock",
			   "/a/very/long/path/that/does/not/fit/in/the/sun_path/of/a/unix/socket/"
			   "address/which/is/one/hundred/and/eight/bytes/long"),
		      "--api-sock");
	expect_reject(ARGS("--api-sock", "s", "--id", "bad id"), "--id");
	expect_reject(ARGS("--api-sock", "s", "--id", "a\nb"), "--id");
	expect_reject(ARGS("--api-sock", "s", "--id", ""), "--id");
	expect_reject(ARGS("--api-sock", "s", "--log-level", "loud"), "--log-level");
	expect_reject(ARGS("--api-sock", "s", "--metrics-interval", "10"), "--metrics-interval");
	expect_reject(ARGS("--api-sock", "s", "--log-file", ""), "--log-file");
}

Test(cli, rejects_overlong_cmdline)
{
	static char big[70000];
	char err[256];

	memset(big, 'a', sizeof(big) - 1);
	cr_assert_eq(parse(&cfg, err, ARGS("run", "--kernel", "k", "--cmdline", big)), -EINVAL);
	cr_assert(strstr(err, "--cmdline") != NULL);
}
