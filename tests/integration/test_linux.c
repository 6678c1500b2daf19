/* Debian's stock kernel under cellvm, with the busybox init of tests/linux
 * (its lines start "cellvm-linux: "): the bzImage and the ELF vmlinux (PVH
 * entry) boot to init on 1 and 2 vCPUs and reboot ends cellvm with 0;
 * Linux's own virtio_mmio finds blk and rng through the ACPI DSDT and
 * uses them (the host checks the image byte for byte); the API pauses,
 * resumes and shuts Linux down through Ctrl-Alt-Del; a killed device
 * process leaves Linux running with the device in NEEDS_RESET. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux_guest.h"
#include "test_env.h"
#include "vmrun.h"

/* Linux reaches init in ~10 s in the nested host; these are for a host
 * far slower than that, not goals (those live in bench/). */
#define BOOT_MS (240 * 1000)
#define RUN_MS (300 * 1000)
#define DISK_BYTES (16u << 20)
#define VIRTIO_S_NEEDS_RESET 0x40u

static struct vmrun vm;
static char tmpdir[256];
static char sock[300];

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

TestSuite(linux_guest, .init = setup, .fini = teardown, .timeout = 600);

static const char *dump(void)
{
	static char buf[16384];
	const char *out = vm.out ? vm.out : "", *err = vm.err ? vm.err : "";
	size_t ol = strlen(out), el = strlen(err);
	snprintf(buf, sizeof(buf), "\n--- guest serial ---\n%s\n--- cellvm stderr ---\n%s",
		 out + (ol > 8000 ? ol - 8000 : 0), err + (el > 4000 ? el - 4000 : 0));
	return buf;
}

static void need(struct env *e, struct linux_guest *g)
{
	char msg[PATH_MAX + 64];

	*e = test_env_need();
	cr_assert_eq(linux_guest_find(g, msg, sizeof(msg)), 0, "%s", msg);
	int r = test_mkdtemp(tmpdir, sizeof(tmpdir));
	cr_assert_eq(r, 0, "mkdtemp: %s", strerror(-r));
	snprintf(sock, sizeof(sock), "%s/api.sock", tmpdir);
}

/* cellvm run KERNEL --initrd ... --cpus CPUS --cmdline "LINUX_CMDLINE EXTRA"
 * followed by the NULL-terminated extra arguments. */
static void start_linux(const struct env *e, const struct linux_guest *g, const char *kernel,
			int cpus, const char *extra_cmdline, const char *const *extra)
{
	static char cmdline[512], cpus_s[8];
	char *argv[40];
	int n = 0;

	snprintf(cmdline, sizeof(cmdline), LINUX_CMDLINE " %s", extra_cmdline);
	snprintf(cpus_s, sizeof(cpus_s), "%d", cpus);
	argv[n++] = (char *)e->cellvm;
	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = (char *)kernel;
	argv[n++] = "--initrd";
	argv[n++] = (char *)g->initrd;
	argv[n++] = "--mem";
	argv[n++] = "256";
	argv[n++] = "--cpus";
	argv[n++] = cpus_s;
	argv[n++] = "--cmdline";
	argv[n++] = cmdline;
	for (; extra && *extra && n < 38; extra++)
		argv[n++] = (char *)*extra;
	argv[n] = NULL;
	int r = vmrun_start(&vm, argv);
	cr_assert_eq(r, 0, "starting cellvm: %s", strerror(-r));
}

static void wait_line(const char *what, int timeout_ms)
{
	char needle[256];
	snprintf(needle, sizeof(needle), LINUX_SAYS "%s", what);
	cr_assert(vmrun_wait_for(&vm, needle, timeout_ms), "no '%s' line%s", needle, dump());
}

static void wait_tick_beyond(unsigned int n, int timeout_ms)
{
	for (int waited = 0; linux_last_tick(vm.out) <= n; waited += 100) {
		cr_assert_lt(waited, timeout_ms, "Linux made no progress beyond tick %u%s", n, dump());
		vmrun_wait_for(&vm, "\x01never\x01", 100);
	}
}

static void pump(int ms)
{
	vmrun_wait_for(&vm, "\x01never\x01", ms);
}

/* ---- boot ---- */

/* sysinit prints the online CPUs, so "0-1" means the AP came up. */
static void boot_to_init_and_reboot(bool pvh, int cpus)
{
	struct env e;
	struct linux_guest g;
	char line[256], want[64];

	need(&e, &g);
	start_linux(&e, &g, pvh ? g.vmlinux : g.bzimage, cpus, "cellvm.test=boot cellvm.modules=0",
		    NULL);
	int code = vmrun_wait_exit(&vm, BOOT_MS);
	cr_assert_eq(code, 0, "exit %d (0 is Linux's reboot through the i8042)%s", code, dump());
	cr_assert(linux_line(vm.out, "init ok", line, sizeof(line)), "init never ran%s", dump());
	cr_assert(linux_line(vm.out, "kernel 6.", line, sizeof(line)), "%s", dump());
	snprintf(want, sizeof(want), "cpus online %s", cpus == 1 ? "0" : "0-1");
	cr_assert(linux_line(vm.out, "cpus online", line, sizeof(line)), "%s", dump());
	cr_assert_str_eq(line, want, "%s", dump());
	cr_assert(linux_line(vm.out, "done", line, sizeof(line)), "%s", dump());
	cr_assert_null(strstr(vm.out, "Kernel panic"), "%s", dump());
}

Test(linux_guest, bzimage_one_vcpu_boots_to_init_and_reboots)
{
	boot_to_init_and_reboot(false, 1);
}

/* In the nested host an L2 with 2 vCPUs hangs before its console or
 * triple-faults at SMP bring-up in about 1 boot in 6 (measured 2026-12-06:
 * 2 of 12 here; QEMU microvm -smp 2 with the same kernel 1 of 6): the
 * TCG-emulated SVM, not the VMM. These two tests run there all the same;
 * tests/run.sh gives a test that failed in the nested host another L1.
 * The other Linux tests use 1 vCPU there (linux_test_cpus) so that the
 * flake stays in the two tests that are about SMP. */
Test(linux_guest, bzimage_two_vcpus_boot_to_init_and_reboot)
{
	boot_to_init_and_reboot(false, 2);
}

Test(linux_guest, vmlinux_pvh_one_vcpu_boots_to_init_and_reboots)
{
	boot_to_init_and_reboot(true, 1);
}

Test(linux_guest, vmlinux_pvh_two_vcpus_boot_to_init_and_reboot)
{
	boot_to_init_and_reboot(true, 2);
}

/* ---- devices ---- */

static uint64_t seed_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)(ts.tv_nsec % 1000000) + 1;
}

static uint64_t key_of(const char *line, const char *key)
{
	char full[1100];
	uint64_t v = 0;
	/* probe_key_u64 looks for " key=": the line starts with a word. */
	snprintf(full, sizeof(full), " %s", line);
	cr_assert(probe_key_u64(full, key, &v), "no %s= in '%s'%s", key, line, dump());
	return v;
}

/* The IRQ count of /proc/interrupts' virtio line for device virtioN, as
 * the test script prints it: "interrupts  5: C0 C1 IO-APIC 5-edge virtioN". */
static uint64_t irq_count(const char *dev)
{
	char prefix[] = LINUX_SAYS "interrupts ";
	uint64_t total = 0;
	bool found = false;
	char line[512];

	for (int i = 0; probe_line_n(vm.out, prefix, i, line, sizeof(line)); i++) {
		size_t ll = strlen(line), dl = strlen(dev);
		if (ll < dl || strcmp(line + ll - dl, dev) != 0)
			continue;
		found = true;
		char *p = strchr(line + strlen(prefix), ':');
		for (p = p ? p + 1 : NULL; p && *p;) {
			char *end;
			unsigned long long v = strtoull(p, &end, 10);
			if (end == p)
				break;
			total += v;
			p = end;
		}
	}
	cr_assert(found, "no interrupts line for %s%s", dev, dump());
	return total;
}

Test(linux_guest, virtio_blk_and_rng_through_acpi_with_the_image_checked_on_the_host)
{
	struct env e;
	struct linux_guest g;
	char disk[400], disk_arg[450], cmdline[128], line[1024];
	uint64_t seed = seed_now();

	need(&e, &g);
	snprintf(disk, sizeof(disk), "%s/disk.img", tmpdir);
	cr_assert_eq(test_make_image(disk, DISK_BYTES), 0);
	snprintf(disk_arg, sizeof(disk_arg), "path=%s", disk);
	snprintf(cmdline, sizeof(cmdline), "cellvm.test=devices cellvm.seed=%" PRIu64
		 " cellvm.passes=4", seed);
	start_linux(&e, &g, g.bzimage, linux_test_cpus(), cmdline,
		    (const char *[]){ "--disk", disk_arg, "--rng", NULL });
	int code = vmrun_wait_exit(&vm, RUN_MS);
	cr_assert_eq(code, 0, "exit %d%s", code, dump());
	wait_line("done", 1);

	/* Found through the DSDT alone: the platform devices are ACPI's
	 * LNRO0005 (the kernel lacks virtio_mmio.device=). */
	cr_assert(linux_line(vm.out, "virtio virtio0 device-id 0x0002 on LNRO0005:", line,
			     sizeof(line)), "blk not found through ACPI%s", dump());
	cr_assert(linux_line(vm.out, "virtio virtio1 device-id 0x0004 on LNRO0005:", line,
			     sizeof(line)), "rng not found through ACPI%s", dump());

	cr_assert(linux_line(vm.out, "blkcheck ok", line, sizeof(line)), "%s", dump());
	uint64_t writes = key_of(line, "writes"), reads = key_of(line, "reads");
	cr_assert_eq(key_of(line, "bytes"), DISK_BYTES, "%s", line);
	uint64_t final_seed = key_of(line, "final-seed");
	cr_assert_eq(final_seed, seed + 3, "%s", line);
	cr_assert_geq(writes + reads, 2000, "a few thousand requests, not %" PRIu64, writes + reads);
	cr_assert(linux_line(vm.out, "blkcheck mark", line, sizeof(line)), "%s", dump());
	cr_assert_eq(key_of(line, "offset"), DISK_BYTES - 4096);
	uint64_t mark_seed = key_of(line, "seed");

	char msg[600];
	cr_assert(linux_check_image(disk, final_seed, mark_seed, msg, sizeof(msg)), "%s%s", msg,
		  dump());

	cr_assert(linux_line(vm.out, "hwrng virtio_rng", line, sizeof(line)), "%s", dump());
	cr_assert(strstr(line, " bytes 65536"), "%s", line);

	/* Every completion came by interrupt and none was spurious. */
	cr_assert_geq(irq_count("virtio0"), 500, "%s", dump());
	cr_assert_gt(irq_count("virtio1"), 0, "%s", dump());
	cr_assert_eq(linux_count(vm.out, "dmesg:"), 0, "Linux logged trouble%s", dump());
}

/* ---- the API ---- */

static int cellctl(const struct env *e, char *out, size_t outlen, const char *const *args)
{
	char tool[PATH_MAX], *argv[12];
	int n = 0, po[2];

	snprintf(tool, sizeof(tool), "%s/cellctl", e->bin_dir);
	argv[n++] = tool;
	argv[n++] = "--sock";
	argv[n++] = sock;
	for (; *args && n < 11; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	cr_assert_eq(pipe(po), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(po[1], 2);
		execv(tool, argv);
		_exit(127);
	}
	close(po[1]);
	size_t ol = 0;
	ssize_t k;
	while ((k = read(po[0], out + ol, outlen - 1 - ol)) > 0 && ol + 1 < outlen)
		ol += (size_t)k;
	out[ol] = '\0';
	close(po[0]);
	int ws;
	waitpid(pid, &ws, 0);
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

static void cellctl_ok(const struct env *e, const char *const *args, const char *want)
{
	char out[8192];
	int code = cellctl(e, out, sizeof(out), args);
	cr_assert_eq(code, 0, "cellctl %s: exit %d: %s%s", args[0], code, out, dump());
	if (want)
		cr_assert(strstr(out, want), "cellctl %s: '%s' lacks '%s'", args[0], out, want);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define ARGS(...) ((const char *[]){ __VA_ARGS__, NULL })

Test(linux_guest, cellctl_pauses_resumes_and_shuts_linux_down_through_ctrl_alt_del)
{
	struct env e;
	struct linux_guest g;

	need(&e, &g);
	start_linux(&e, &g, g.bzimage, linux_test_cpus(), "cellvm.test=idle cellvm.modules=0",
		    ARGS("--api-sock", sock));
	wait_line("tick 3", BOOT_MS);
	cellctl_ok(&e, ARGS("status"), "state:     running");

	cellctl_ok(&e, ARGS("pause"), NULL);
	pump(500); /* what was already in flight */
	unsigned int paused_at = linux_last_tick(vm.out);
	pump(1500);
	cr_assert_eq(linux_last_tick(vm.out), paused_at, "Linux ran while paused%s", dump());
	cellctl_ok(&e, ARGS("status"), "state:     paused");
	cellctl_ok(&e, ARGS("resume"), NULL);
	wait_tick_beyond(paused_at + 3, 60000);

	/* The timeout is far beyond what Linux needs: cellvm must end because
	 * init rebooted (exit 0), not because the timeout ran out (exit 5). */
	double t0 = now_s();
	cellctl_ok(&e, ARGS("shutdown", "120000"), "Ctrl-Alt-Del");
	int code = vmrun_wait_exit(&vm, 150000);
	double took = now_s() - t0;
	cr_assert_eq(code, 0, "exit %d after %.1f s%s", code, took, dump());
	wait_line("ctrl-alt-del", 1);
	cr_assert_lt(took, 60.0, "shutdown took %.1f s%s", took, dump());
	cr_assert_null(strstr(vm.err, "did not shut down in time"), "%s", dump());
	cr_log_info("shutdown through Ctrl-Alt-Del took %.2f s", took);
}

/* ---- a device process dies under Linux ---- */

/* The blk-status the tick lines carry, from the last one. */
static unsigned int last_blk_status(void)
{
	const char *key = " blk-status ";
	unsigned int st = 0;
	for (const char *p = vm.out; p && (p = strstr(p, key)); p++)
		st = (unsigned int)strtoul(p + strlen(key), NULL, 16);
	return st;
}

Test(linux_guest, killed_blk_process_leaves_linux_running_with_needs_reset)
{
	struct env e;
	struct linux_guest g;
	char disk[400], disk_arg[450];

	need(&e, &g);
	snprintf(disk, sizeof(disk), "%s/disk.img", tmpdir);
	cr_assert_eq(test_make_image(disk, DISK_BYTES), 0);
	snprintf(disk_arg, sizeof(disk_arg), "path=%s,restart=never", disk);
	start_linux(&e, &g, g.bzimage, linux_test_cpus(), "cellvm.test=blkloop", ARGS("--disk", disk_arg));
	wait_line("tick 5 blk-status", BOOT_MS);
	unsigned int st = last_blk_status();
	cr_assert_eq(st & 0x0f, 0x0f, "driver not ready: status 0x%x%s", st, dump());
	cr_assert_eq(st & VIRTIO_S_NEEDS_RESET, 0, "%s", dump());

	pid_t blk = test_child_named(vm.pid, "cellvm-blk");
	cr_assert_gt(blk, 0, "no cellvm-blk%s", dump());
	cr_assert_eq(kill(blk, SIGKILL), 0);
	unsigned int killed_at = linux_last_tick(vm.out);

	/* Linux reads the status at every tick; NEEDS_RESET shows within a
	 * few, and the guest goes on ticking. */
	for (int waited = 0; !(last_blk_status() & VIRTIO_S_NEEDS_RESET); waited += 100) {
		cr_assert_lt(waited, 60000, "no NEEDS_RESET in the guest%s", dump());
		pump(100);
	}
	unsigned int seen_at = linux_last_tick(vm.out);
	wait_tick_beyond(seen_at + 10, 60000);
	cr_assert(strstr(vm.err, "blk0"), "the core logged nothing about the device%s", dump());
	cr_log_info("NEEDS_RESET seen %u ticks after the kill; blkloop %s", seen_at - killed_at,
		    linux_count(vm.out, "blkloop error") ? "got an I/O error" :
		    "is blocked (Linux does not reset the device)");

	vmrun_signal(&vm, SIGTERM);
	int code = vmrun_wait_exit(&vm, 30000);
	cr_assert_eq(code, 128 + SIGTERM, "exit %d%s", code, dump());
}
