/* cellvm's --seccomp option. */
#include <criterion/criterion.h>
#include <string.h>

#include "cli.h"

static struct cli_opts opts; /* big: not on the stack */

static int parse(char *err, const char *mode)
{
	char *argv[] = { "cellvm", "run", "--kernel", "k", mode ? "--seccomp" : NULL, (char *)mode, NULL };
	return cli_parse(mode ? 6 : 4, argv, &opts, err, 256);
}

Test(policy_cli, seccomp_modes)
{
	char err[256];

	cr_assert_eq(parse(err, NULL), 0, "%s", err);
	cr_assert_eq(opts.seccomp, POLICY_MODE_KILL, "kill is the default");
	cr_assert_eq(parse(err, "log"), 0, "%s", err);
	cr_assert_eq(opts.seccomp, POLICY_MODE_LOG);
	cr_assert_eq(parse(err, "off"), 0, "%s", err);
	cr_assert_eq(opts.seccomp, POLICY_MODE_OFF);
	cr_assert_eq(parse(err, "kill"), 0, "%s", err);
	cr_assert_eq(opts.seccomp, POLICY_MODE_KILL);
	cr_assert_lt(parse(err, "trap"), 0);
	cr_assert(strstr(err, "--seccomp"), "%s", err);
}
