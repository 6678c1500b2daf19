/* cellvm-jailer's command line: Firecracker's flags, hostile values. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "jailer/jail_args.h"

static struct jail_cfg cfg;
static char err[512];

static int parse(const char **args)
{
	static char *argv[64]; /* cfg points into it */
	int argc = 0;

	argv[argc++] = "cellvm-jailer";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	return jail_args_parse(argc, argv, &cfg, err, sizeof(err));
}

#define ARGS(...) ((const char *[]){ __VA_ARGS__, NULL })
#define BASE "--id", "vm-1", "--exec-file", "/opt/cellvm/cellvm", "--uid", "123", "--gid", "456"

Test(jailer_args, firecracker_flags)
{
	char cg1[] = "pids.max=10", cg2[] = "cpuset.cpus=0";
	cr_assert_eq(parse(ARGS(BASE, "--chroot-base-dir", "/srv/j", "--netns", "/var/run/netns/a",
				"--cgroup-version", "2", "--cgroup", cg1, "--cgroup", cg2,
				"--parent-cgroup", "vms/fast", "--resource-limit", "fsize=1000",
				"--resource-limit", "no-file=64", "--daemonize", "--new-pid-ns", "--",
				"run", "--kernel", "/k")),
		     0, "%s", err);
	cr_assert_str_eq(cfg.id, "vm-1");
	cr_assert_str_eq(cfg.exec_name, "cellvm");
	cr_assert_eq(cfg.uid, 123);
	cr_assert_eq(cfg.gid, 456);
	cr_assert_str_eq(cfg.base_dir, "/srv/j");
	cr_assert_str_eq(cfg.netns, "/var/run/netns/a");
	cr_assert_eq(cfg.cgroup_version, 2);
	cr_assert_eq(cfg.ncgroups, 2);
	cr_assert_str_eq(cfg.cgroups[0].file, "pids.max");
	cr_assert_str_eq(cfg.cgroups[0].value, "10");
	cr_assert_str_eq(cfg.parent_cgroup, "vms/fast");
	cr_assert_eq(cfg.nrlimits, 2);
	cr_assert_eq(cfg.rlimits[0].resource, RLIMIT_FSIZE);
	cr_assert_eq(cfg.rlimits[0].value, 1000);
	cr_assert_eq(cfg.rlimits[1].resource, RLIMIT_NOFILE);
	cr_assert(cfg.daemonize && cfg.new_pid_ns && !cfg.cleanup);
	cr_assert_eq(cfg.nexec_args, 3);
	cr_assert_str_eq(cfg.exec_args[0], "run");
}

Test(jailer_args, defaults)
{
	cr_assert_eq(parse(ARGS(BASE)), 0, "%s", err);
	cr_assert_str_eq(cfg.base_dir, JAIL_DEFAULT_BASE);
	cr_assert_eq(cfg.cgroup_version, 1);
	cr_assert_str_eq(cfg.parent_cgroup, "cellvm");
	cr_assert_eq(cfg.nexec_args, 0);
	cr_assert_null(cfg.netns);
}

Test(jailer_args, ids)
{
	char max[JAIL_ID_MAX + 2];
	memset(max, 'a', JAIL_ID_MAX);
	max[JAIL_ID_MAX] = '\0';
	cr_assert_eq(jail_id_valid(max), 0);
	cr_assert_eq(jail_id_valid("A-9-z"), 0);
	max[JAIL_ID_MAX] = 'a';
	max[JAIL_ID_MAX + 1] = '\0';
	cr_assert_eq(jail_id_valid(max), -EINVAL);
	static const char *const bad[] = { "", "a/b", "..", ".", "a.b", "a b", "a_b", "../x",
					   "a\nb", "é" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(jail_id_valid(bad[i]), -EINVAL, "'%s'", bad[i]);
	cr_assert_eq(parse(ARGS("--id", "../etc", "--exec-file", "/x/cellvm", "--uid", "1", "--gid",
				"1")),
		     -EINVAL);
	cr_assert(strstr(err, "--id"), "%s", err);
}

Test(jailer_args, bad_values_say_which)
{
	static const struct { const char *args[12]; const char *mention; } cases[] = {
		{ { "--exec-file", "/x/cellvm", "--uid", "1", "--gid", "1" }, "--id" },
		{ { "--id", "a", "--uid", "1", "--gid", "1" }, "--exec-file" },
		{ { "--id", "a", "--exec-file", "/x/cellvm", "--gid", "1" }, "--uid" },
		{ { "--id", "a", "--exec-file", "/x/", "--uid", "1", "--gid", "1" }, "names no file" },
		{ { BASE, "--uid", "-1" }, "--uid" },
		{ { BASE, "--gid", "4294967295" }, "--gid" },
		{ { BASE, "--cgroup-version", "3" }, "--cgroup-version" },
		{ { BASE, "--cgroup", "pidsmax=3" }, "--cgroup" },
		{ { BASE, "--cgroup", "../pids.max=3" }, "--cgroup" },
		{ { BASE, "--cgroup", "=3" }, "--cgroup" },
		{ { BASE, "--parent-cgroup", "../x" }, "--parent-cgroup" },
		{ { BASE, "--parent-cgroup", "/abs" }, "--parent-cgroup" },
		{ { BASE, "--resource-limit", "stack=1" }, "--resource-limit" },
		{ { BASE, "--resource-limit", "fsize=-1" }, "--resource-limit" },
		{ { BASE, "--chroot-base-dir", "rel" }, "--chroot-base-dir" },
		{ { BASE, "--copy", "../../etc/shadow" }, "--copy" },
		{ { BASE, "--bogus" }, "--bogus" },
		{ { BASE, "stray" }, "stray" },
		{ { BASE, "--netns" }, "--netns" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[20] = { "cellvm-jailer" };
		char copy[12][64];
		int argc = 1;
		for (size_t a = 0; a < 12 && cases[i].args[a]; a++) {
			snprintf(copy[a], sizeof(copy[a]), "%s", cases[i].args[a]);
			argv[argc++] = copy[a];
		}
		cr_expect_eq(jail_args_parse(argc, argv, &cfg, err, sizeof(err)), -EINVAL, "case %zu",
			     i);
		cr_expect(strstr(err, cases[i].mention), "case %zu: '%s' lacks '%s'", i, err,
			  cases[i].mention);
	}
}

Test(jailer_args, cleanup_needs_no_ids)
{
	cr_assert_eq(parse(ARGS("--cleanup", "--id", "vm-1", "--exec-file", "/x/cellvm")), 0, "%s",
		     err);
	cr_assert(cfg.cleanup);
}
