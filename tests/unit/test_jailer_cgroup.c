/* Finding the cgroup hierarchies in mountinfo text. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>

#include "jailer/jail_cgroup.h"

static const char mountinfo[] =
	"22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
	"34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
	"35 31 0:32 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
	"36 31 0:33 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"37 31 0:34 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static void expect(int version, const char *ctrl, const char *want)
{
	char out[PATH_MAX];
	int ret = jail_cgroup_find_mount(mountinfo, version, ctrl, out, sizeof(out));
	if (!want) {
		cr_expect_eq(ret, -ENOENT, "v%d %s", version, ctrl);
		return;
	}
	cr_expect_eq(ret, 0, "v%d %s", version, ctrl);
	if (ret == 0)
		cr_expect_str_eq(out, want);
}

Test(jailer_cgroup, v1_controllers_including_co_mounted_ones)
{
	expect(1, "pids", "/sys/fs/cgroup/pids");
	expect(1, "cpu", "/sys/fs/cgroup/cpu,cpuacct");
	expect(1, "cpuacct", "/sys/fs/cgroup/cpu,cpuacct");
	expect(1, "cpuset", "/sys/fs/cgroup/cpuset");
	expect(1, "memory", NULL);
	expect(1, "pid", NULL);
	expect(1, "systemd", NULL);
}

Test(jailer_cgroup, v2_hierarchy)
{
	expect(2, "", "/sys/fs/cgroup/unified");
	expect(2, "pids", "/sys/fs/cgroup/unified");
	cr_expect_eq(jail_cgroup_find_mount("22 1 0:21 / /proc rw - proc proc rw\n", 2, "", (char[8]){ 0 },
					    8),
		     -ENOENT);
}

Test(jailer_cgroup, garbage_lines_are_skipped)
{
	char out[64];
	cr_expect_eq(jail_cgroup_find_mount("junk\n - cgroup2\n\n", 2, "", out, sizeof(out)), -ENOENT);
	cr_expect_eq(jail_cgroup_find_mount("", 1, "pids", out, sizeof(out)), -ENOENT);
}
