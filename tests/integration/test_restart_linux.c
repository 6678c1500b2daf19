/* Device restart under Linux (README.md, "Device restart"): blkcheck
 * writes its checksummed pattern with O_DIRECT from several threads and
 * reads it back, pass after pass, while the test SIGKILLs cellvm-blk
 * about every 200 ms of its renewed life, 20 times. Linux must see no
 * I/O error and never NEEDS_RESET, and the image on the host must be the
 * last pass's pattern, byte for byte. */
#include <criterion/criterion.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux_guest.h"
#include "test_env.h"
#include "vmrun.h"

#define BOOT_MS 240000
#define RUN_MS  600000
#define DISK_BYTES (8u << 20)
#define KILLS 20

static struct vmrun vm;
static char tmpdir[256];

static void setup(void)
{
	vmrun_init(&vm);
	tmpdir[0] = '\0';
}

static void teardown(void)
{
	vmrun_free(&vm);
	test_rmtree(tmpdir);
	tmpdir[0] = '\0';
}

TestSuite(restart_linux, .init = setup, .fini = teardown, .timeout = 900);

static const char *dump(void)
{
	static char buf[16384];
	const char *out = vm.out ? vm.out : "", *err = vm.err ? vm.err : "";
	size_t ol = strlen(out), el = strlen(err);
	snprintf(buf, sizeof(buf), "\n--- guest serial ---\n%s\n--- cellvm stderr ---\n%s",
		 out + (ol > 6000 ? ol - 6000 : 0), err + (el > 8000 ? el - 8000 : 0));
	return buf;
}

static uint64_t key_of(const char *line, const char *k)
{
	uint64_t v = 0;
	cr_assert(probe_key_u64(line, k, &v), "no %s= in '%s'", k, line);
	return v;
}

Test(restart_linux, blkcheck_o_direct_writers_survive_twenty_sigkills_of_cellvm_blk)
{
	struct env e = test_env_need();
	struct linux_guest g;
	char msg[PATH_MAX + 64], disk[400], disk_arg[450], cmdline[600], line[1024];
	uint64_t seed = 4242, passes = 40;
	unsigned int kills = 0;
	pid_t last = 0;

	cr_assert_eq(linux_guest_find(&g, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(test_mkdtemp(tmpdir, sizeof(tmpdir)), 0);
	snprintf(disk, sizeof(disk), "%s/disk.img", tmpdir);
	cr_assert_eq(test_make_image(disk, DISK_BYTES), 0);
	snprintf(disk_arg, sizeof(disk_arg), "path=%s", disk);
	snprintf(cmdline, sizeof(cmdline), LINUX_CMDLINE " cellvm.test=blkstorm cellvm.seed=%" PRIu64
		 " cellvm.passes=%" PRIu64, seed, passes);
	char *argv[] = { (char *)e.cellvm, "run", "--kernel", g.bzimage, "--initrd", g.initrd,
			 "--mem", "256", "--cpus", (char *)linux_test_cpus_str(), "--cmdline", cmdline,
			 "--disk", disk_arg, NULL };
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	cr_assert(vmrun_wait_for(&vm, LINUX_SAYS "blkstorm start", BOOT_MS), "%s", dump());

	/* ~200 ms after each restore, until 20 kills or blkcheck is done. */
	for (int waited = 0; kills < KILLS && !strstr(vm.out, LINUX_SAYS "blkcheck ");
	     waited += 200) {
		cr_assert_lt(waited, RUN_MS, "blkcheck never finished%s", dump());
		vmrun_wait_for(&vm, LINUX_SAYS "blkcheck ", 200);
		if (test_count(vm.err, "blk0: device restored (") < kills)
			continue;
		pid_t blk = test_child_named(vm.pid, "cellvm-blk");
		if (blk > 0 && blk != last && kill(blk, SIGKILL) == 0) {
			last = blk;
			kills++;
		}
	}
	cr_log_info("cellvm-blk killed %u times", kills);
	int code = vmrun_wait_exit(&vm, RUN_MS);
	cr_assert_eq(code, 0, "exit %d%s", code, dump());
	cr_assert(linux_line(vm.out, "blkstorm end", line, sizeof(line)), "%s", dump());
	cr_assert(linux_line(vm.out, "blkcheck ok", line, sizeof(line)),
		  "blkcheck failed under the kills%s", dump());
	uint64_t final_seed = key_of(line, "final-seed");
	cr_assert_eq(final_seed, seed + passes - 1, "%s", line);
	cr_assert_eq(linux_count(vm.out, "dmesg: "), 0, "I/O trouble in the guest%s", dump());
	/* Every tick's status: DRIVER_OK and never NEEDS_RESET (0x40). */
	for (const char *p = vm.out; (p = strstr(p, " blk-status ")); p++) {
		unsigned int st = (unsigned int)strtoul(p + strlen(" blk-status "), NULL, 16);
		cr_assert_eq(st & 0x40, 0, "the guest saw NEEDS_RESET%s", dump());
	}
	cr_assert_geq(kills, 5, "too few kills landed before blkcheck finished%s", dump());
	cr_assert_geq(test_count(vm.err, "blk0: device restored ("), kills, "%s", dump());
	cr_assert(test_check_pattern(disk, final_seed, msg, sizeof(msg)), "%s%s", msg, dump());
}
