#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "cli.h"

static int parse(struct vm_config *cfg, char *err, const char **args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = "cellvm";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	return cli_parse(argc, argv, cfg, err, 256);
}

#define ARGS(...) ((const char *[]){ __VA_ARGS__, NULL })

Test(cli, run_with_all_options)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(parse(&cfg, err, ARGS("run", "--kernel", "k", "--initrd", "i", "--cmdline",
					   "console=ttyS0", "--mem", "512", "--cpus", "4",
					   "--serial", "file:/tmp/x", "--boot-timer")), 0, "%s", err);
	cr_assert_eq(cfg.action, CLI_RUN);
	cr_assert_str_eq(cfg.kernel, "k");
	cr_assert_str_eq(cfg.initrd, "i");
	cr_assert_str_eq(cfg.cmdline, "console=ttyS0");
	cr_assert_eq(cfg.mem_mib, 512);
	cr_assert_eq(cfg.cpus, 4);
	cr_assert_eq(cfg.serial, SERIAL_FILE);
	cr_assert_str_eq(cfg.serial_path, "/tmp/x");
	cr_assert(cfg.boot_timer);
}

Test(cli, defaults)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(parse(&cfg, err, ARGS("run", "--kernel", "k")), 0);
	cr_assert_eq(cfg.mem_mib, CLI_DEFAULT_MEM_MIB);
	cr_assert_eq(cfg.cpus, 1);
	cr_assert_eq(cfg.serial, SERIAL_STDIO);
	cr_assert_null(cfg.cmdline);
	cr_assert_not(cfg.boot_timer);
}

Test(cli, help_and_version)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(parse(&cfg, err, ARGS("--help")), 0);
	cr_assert_eq(cfg.action, CLI_HELP);
	cr_assert_eq(parse(&cfg, err, ARGS("--version")), 0);
	cr_assert_eq(cfg.action, CLI_VERSION);
	cr_assert(strstr(cli_usage(), "--kernel") != NULL);
}

/* Each hostile command line gets -EINVAL and a reason naming the problem. */
static void expect_reject(const char **args, const char *needle)
{
	struct vm_config cfg;
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

Test(cli, rejects_overlong_cmdline)
{
	static char big[70000];
	struct vm_config cfg;
	char err[256];

	memset(big, 'a', sizeof(big) - 1);
	cr_assert_eq(parse(&cfg, err, ARGS("run", "--kernel", "k", "--cmdline", big)), -EINVAL);
	cr_assert(strstr(err, "--cmdline") != NULL);
}
