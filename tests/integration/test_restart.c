/* Device restart (README.md, "Device restart"), with the probe guest: a
 * cellvm-blk killed again and again (SIGKILL, or its own seccomp filter)
 * while the guest writes its disk at queue depth 32 comes back each time
 * and loses nothing — the image is exactly the last pass's pattern, every
 * request completed OK, the guest never saw NEEDS_RESET — and a device
 * that keeps dying before it answers anything uses up its budget and
 * ends in NEEDS_RESET while the VM runs on. */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_env.h"
#include "vmrun.h"

#define VM_TIMEOUT_MS 180000
#define DISK_BYTES (4u << 20)

static struct vmrun vm;
static char tmpdir[256], img[512], disk[600];

static void setup(void)
{
	vmrun_init(&vm);
	tmpdir[0] = '\0';
	unsetenv("CELLVM_TEST_SYSCALL");
}

static void teardown(void)
{
	vmrun_free(&vm);
	test_rmtree(tmpdir);
	tmpdir[0] = '\0';
	unsetenv("CELLVM_TEST_SYSCALL");
}

TestSuite(restart, .init = setup, .fini = teardown, .timeout = 400);

static const char *dump(void)
{
	static char buf[16384];
	const char *out = vm.out ? vm.out : "", *err = vm.err ? vm.err : "";
	size_t ol = strlen(out), el = strlen(err);
	snprintf(buf, sizeof(buf), "\n--- guest serial ---\n%s\n--- cellvm stderr ---\n%s",
		 out + (ol > 6000 ? ol - 6000 : 0), err + (el > 8000 ? el - 8000 : 0));
	return buf;
}

static struct env start(const char *cmdline, const char *disk_opts, const char *const *extra)
{
	struct env e = test_env_need();
	char *argv[24];
	int n = 0;

	cr_assert_eq(test_mkdtemp(tmpdir, sizeof(tmpdir)), 0);
	snprintf(img, sizeof(img), "%s/disk.img", tmpdir);
	cr_assert_eq(test_make_image(img, DISK_BYTES), 0);
	snprintf(disk, sizeof(disk), "path=%s%s", img, disk_opts);
	argv[n++] = (char *)e.cellvm;
	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = (char *)e.probe;
	argv[n++] = "--cmdline";
	argv[n++] = (char *)cmdline;
	argv[n++] = "--mem";
	argv[n++] = "128";
	argv[n++] = "--disk";
	argv[n++] = disk;
	for (; extra && *extra && n < 23; extra++)
		argv[n++] = (char *)*extra;
	argv[n] = NULL;
	cr_assert_eq(vmrun_start(&vm, argv), 0, "starting %s", e.cellvm);
	return e;
}

/* Waits for a line of the core's log (stderr), reading both streams. */
static bool wait_err(const char *needle, int timeout_ms)
{
	for (int waited = 0; !(vm.err && strstr(vm.err, needle)); waited += 200) {
		if (waited >= timeout_ms)
			return false;
		vmrun_wait_for(&vm, "\x01 never printed", 200);
	}
	return true;
}

/* The blkstorm ok line, its image check, and no reset anywhere. */
static void expect_storm_survived(unsigned int min_restarts)
{
	char line[512], msg[512];
	uint64_t seed = 0, passes = 0;

	int code = vmrun_wait_exit(&vm, VM_TIMEOUT_MS);
	cr_assert_neq(code, -1, "cellvm did not exit%s", dump());
	cr_assert(probe_line(vm.out, "PROBE blkstorm ok ", line, sizeof(line)),
		  "the guest's writes did not all succeed%s", dump());
	cr_assert(probe_key_u64(line, "seed", &seed) && probe_key_u64(line, "passes", &passes),
		  "%s", line);
	cr_assert_geq(passes, 1, "%s", line);
	cr_assert(strstr(line, " config_irqs=0") && strstr(line, " status=0xf "),
		  "the guest saw the device change: %s%s", line, dump());
	cr_assert_eq(code, 0, "exit status %d%s", code, dump());
	/* The host's view of the image: every byte the last pass wrote. */
	cr_assert(test_check_pattern(img, seed, msg, sizeof(msg)), "%s%s", msg, dump());
	cr_assert(!strstr(vm.err, "NEEDS_RESET"), "%s", dump());
	cr_assert_geq(test_count(vm.err, "blk0: device restored ("), min_restarts, "%s", dump());
}

Test(restart, blk_sigkilled_again_and_again_at_qd32_loses_nothing)
{
	pid_t last = 0;
	unsigned int kills = 0;

	start("probe=blkstorm probe.storm.ms=12000", "", NULL);
	cr_assert(vmrun_wait_for(&vm, "PROBE blkstorm writing", VM_TIMEOUT_MS), "%s", dump());
	/* A kill ~300 ms after the device came back from the last one: a
	 * process killed before the core restored it would be a crash loop,
	 * which the budget ends (the test below). */
	for (int waited = 0; !vmrun_wait_for(&vm, "PROBE blkstorm verifying", 300); waited += 300) {
		cr_assert_lt(waited, VM_TIMEOUT_MS, "the guest never finished writing%s", dump());
		if (test_count(vm.err, "blk0: device restored (") < kills)
			continue;
		pid_t blk = test_child_named(vm.pid, "cellvm-blk");
		if (blk > 0 && blk != last && kill(blk, SIGKILL) == 0) {
			last = blk;
			kills++;
		}
	}
	cr_log_info("cellvm-blk killed %u times", kills);
	cr_assert_geq(kills, 3, "too few kills landed%s", dump());
	expect_storm_survived(kills > 1 ? kills - 1 : 1);
	cr_assert(strstr(vm.err, "signal 9; restarting it"), "%s", dump());
}

/* Every cellvm-blk makes a forbidden syscall 700 ms after it starts: its
 * own seccomp filter kills it, over and over; each one did work before
 * it died, so the budget (for processes that die before answering) is
 * not touched. */
Test(restart, blk_killed_by_its_seccomp_filter_again_and_again_loses_nothing)
{
	setenv("CELLVM_TEST_SYSCALL", "blk@700", 1);
	start("probe=blkstorm probe.storm.ms=8000", "", NULL);
	expect_storm_survived(3);
	cr_assert(strstr(vm.err, "signal 31; restarting it"), "%s", dump());
}

/* A cellvm-blk that dies before it ever answers the guest (the guest does
 * not use the disk here) is restarted 5 times, then the core gives up:
 * NEEDS_RESET, and the VM goes on to finish normally. */
Test(restart, crash_loop_uses_up_the_budget_and_the_vm_runs_on)
{
	setenv("CELLVM_TEST_SYSCALL", "blk@300", 1);
	start("probe=serial", "", NULL);
	cr_assert(vmrun_wait_for(&vm, "PROBE serial waiting", VM_TIMEOUT_MS), "%s", dump());
	cr_assert(wait_err("blk0: 5 restarts within 60 s: giving up", 60000),
		  "the core did not give up%s", dump());
	cr_assert(wait_err("the guest sees NEEDS_RESET, the VM keeps running", 5000),
		  "%s", dump());
	cr_assert_eq(test_count(vm.err, "blk0: device restored ("), 5, "%s", dump());
	vmrun_write(&vm, "done\n");
	int code = vmrun_wait_exit(&vm, VM_TIMEOUT_MS);
	cr_assert_eq(code, 0, "exit status %d%s", code, dump());
}

/* cellvm-rng killed again and again with 8 requests always in flight:
 * every request answered exactly once (the guest's ring breaks on a used
 * element for a buffer it does not have in flight), never a reset. */
Test(restart, rng_sigkilled_again_and_again_answers_every_request_once)
{
	pid_t last = 0;
	unsigned int kills = 0;
	char line[512];

	start("probe=rngstorm probe.storm.ms=8000", "", (const char *[]){ "--rng", NULL });
	cr_assert(vmrun_wait_for(&vm, "PROBE rngstorm running", VM_TIMEOUT_MS), "%s", dump());
	for (int waited = 0; !strstr(vm.out, "PROBE rngstorm ok") &&
			     !strstr(vm.out, "PROBE rngstorm fail");
	     waited += 300) {
		vmrun_wait_for(&vm, "PROBE rngstorm ok", 300);
		cr_assert_lt(waited, VM_TIMEOUT_MS, "the guest never finished%s", dump());
		if (test_count(vm.err, "rng0: device restored (") < kills)
			continue;
		pid_t rng = test_child_named(vm.pid, "cellvm-rng");
		if (rng > 0 && rng != last && kill(rng, SIGKILL) == 0) {
			last = rng;
			kills++;
		}
	}
	cr_log_info("cellvm-rng killed %u times", kills);
	int code = vmrun_wait_exit(&vm, VM_TIMEOUT_MS);
	cr_assert(probe_line(vm.out, "PROBE rngstorm ok ", line, sizeof(line)), "%s", dump());
	cr_assert(strstr(line, " config_irqs=0") && strstr(line, " status=0xf "), "%s", line);
	cr_assert_eq(code, 0, "exit status %d%s", code, dump());
	cr_assert_geq(kills, 3, "%s", dump());
	cr_assert_geq(test_count(vm.err, "rng0: device restored ("), kills - 1, "%s", dump());
	cr_assert(!strstr(vm.err, "NEEDS_RESET"), "%s", dump());
}

/* restart=never: the old behaviour, at once. */
Test(restart, restart_never_leaves_the_device_in_needs_reset)
{
	start("probe=serial", ",restart=never", NULL);
	cr_assert(vmrun_wait_for(&vm, "PROBE serial waiting", VM_TIMEOUT_MS), "%s", dump());
	pid_t blk = test_child_named(vm.pid, "cellvm-blk");
	cr_assert_gt(blk, 0, "%s", dump());
	cr_assert_eq(kill(blk, SIGKILL), 0);
	cr_assert(wait_err("the guest sees NEEDS_RESET, the VM keeps running", 30000),
		  "%s", dump());
	cr_assert(!strstr(vm.err, "device restored ("), "%s", dump());
	vmrun_write(&vm, "done\n");
	cr_assert_eq(vmrun_wait_exit(&vm, VM_TIMEOUT_MS), 0, "%s", dump());
}
