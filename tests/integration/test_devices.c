/* virtio devices under cellvm, driven by the probe guest's virtio driver
 * (tests/guest: blk, blkro, rng, blkbench, needsreset scenarios). Needs
 * CELLVM, CELLVM_BIN_DIR (where cellvm-blk and cellvm-rng are) and PROBE,
 * as `make test` sets them; skipped without them.
 *
 * What the guest reports is checked against the host's view: after a blk
 * run the image file must hold exactly the pattern the guest wrote
 * (tests/guest/blk_pattern.h), a read-only image must be unchanged, and a
 * device process the test kills must show up in the core's log and as
 * NEEDS_RESET in the guest, with the VM running on. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/guest/blk_pattern.h"
#include "test_env.h"
#include "vmrun.h"

#define VM_TIMEOUT_MS 60000
#define SECTOR 512

/* What a test started, for the suite's fini: Criterion leaves the test
 * body at the first failed assertion, and the cleanup must still run. */
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

TestSuite(devices, .init = setup, .fini = teardown, .timeout = 180);

static struct env need_env(void)
{
	struct env e = test_env_need();
	int r = test_mkdtemp(tmpdir, sizeof(tmpdir));
	cr_assert_eq(r, 0, "mkdtemp: %s", strerror(-r));
	return e;
}

/* ---- images ---- */

static void tmp_path(char *out, size_t len, const char *name)
{
	cr_assert_lt((size_t)snprintf(out, len, "%s/%s", tmpdir, name), len, "path too long");
}

static void make_image(const char *path, uint64_t bytes)
{
	int r = test_make_image(path, bytes);
	cr_assert_eq(r, 0, "creating %s: %s", path, strerror(-r));
}

static uint8_t *read_file(const char *path, size_t *len)
{
	uint8_t *buf = test_read_file(path, len);
	cr_assert_not_null(buf, "reading %s: %s", path, strerror(errno));
	return buf;
}

/* The whole image must be what the guest's blk scenario wrote. */
static void expect_pattern(const char *path, uint64_t seed)
{
	char msg[512];
	cr_assert(test_check_pattern(path, seed, msg, sizeof(msg)), "%s", msg);
}

/* ---- running the VM ---- */

/* What the VM printed so far, never NULL. */
static const char *vm_out(void)
{
	return vm.out ? vm.out : "";
}

static const char *vm_err(void)
{
	return vm.err ? vm.err : "";
}

static const char *dump(void)
{
	static char buf[16384];
	const char *out = vm_out(), *err = vm_err();
	size_t ol = strlen(out), el = strlen(err);
	snprintf(buf, sizeof(buf), "\n--- guest serial ---\n%s\n--- cellvm stderr ---\n%s",
		 out + (ol > 10000 ? ol - 10000 : 0), err + (el > 4000 ? el - 4000 : 0));
	return buf;
}

/* cellvm run --kernel $PROBE --cmdline CMDLINE --mem 128 EXTRA... */
static void start_vm(const struct env *e, const char *cmdline, const char *const *extra)
{
	char *argv[32];
	int n = 0;
	argv[n++] = (char *)e->cellvm;
	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = (char *)e->probe;
	argv[n++] = "--cmdline";
	argv[n++] = (char *)cmdline;
	argv[n++] = "--mem";
	argv[n++] = "128";
	for (; extra && *extra && n < 31; extra++)
		argv[n++] = (char *)*extra;
	argv[n] = NULL;
	cr_assert_eq(vmrun_start(&vm, argv), 0, "starting %s", e->cellvm);
}

static int run_vm(const struct env *e, const char *cmdline, const char *const *extra)
{
	start_vm(e, cmdline, extra);
	return vmrun_wait_exit(&vm, VM_TIMEOUT_MS);
}

static void expect_pass(int code, unsigned passed)
{
	char line[256], want[64];
	cr_assert_neq(code, -1, "cellvm did not exit within %d s%s", VM_TIMEOUT_MS / 1000, dump());
	cr_assert(!strstr(vm_out(), "PROBE fatal"), "the guest died%s", dump());
	snprintf(want, sizeof(want), "PROBE done passed=%u failed=0", passed);
	cr_assert(probe_line(vm_out(), "PROBE done ", line, sizeof(line)), "no summary line%s", dump());
	cr_assert_str_eq(line, want, "summary%s", dump());
	cr_assert_eq(code, 0, "exit status %d%s", code, dump());
}

static void ok_line(const char *prefix, int n, char *line, size_t size)
{
	cr_assert(probe_line_n(vm_out(), prefix, n, line, size), "no line %d starting with \"%s\"%s", n,
		  prefix, dump());
}

static uint64_t key(const char *line, const char *k)
{
	uint64_t v = 0;
	cr_assert(probe_key_u64(line, k, &v), "no %s= in \"%s\"%s", k, line, dump());
	return v;
}

static void expect_key(const char *line, const char *k, uint64_t want)
{
	uint64_t v = key(line, k);
	cr_assert_eq(v, want, "%s=%" PRIu64 ", expected %" PRIu64 " in \"%s\"%s", k, v, want, line,
		     dump());
}

static void expect_str(const char *line, const char *k, const char *want)
{
	char v[128];
	cr_assert(probe_key_str(line, k, v, sizeof(v)), "no %s=\"...\" in \"%s\"%s", k, line, dump());
	cr_assert_str_eq(v, want, "%s in \"%s\"%s", k, line, dump());
}

/* A blk ok line for a disk of `sectors` and the checks every one gets. */
static void expect_blk_line(int n, uint64_t sectors, uint64_t seed, const char *id)
{
	char line[1024];
	ok_line("PROBE blk ok ", n, line, sizeof(line));
	expect_key(line, "sectors", sectors);
	expect_key(line, "seed", seed);
	cr_assert_geq(key(line, "qd"), 8, "fewer than 8 requests in flight: %s%s", line, dump());
	cr_assert(strstr(line, " flush=ok ") && strstr(line, " eod=ioerr "), "%s%s", line, dump());
	/* Interrupt-driven: completions raised interrupts, and a guest that
	 * went to sleep waiting was woken by one. Whether it slept at all
	 * depends on how fast the host completed, so that is not asserted. */
	if (strstr(line, " mode=irq ")) {
		cr_assert_geq(key(line, "irqs"), 1, "no completion interrupt: %s%s", line, dump());
		if (key(line, "sleeps") > 0)
			cr_assert_geq(key(line, "irq_wakeups"), 1,
				      "slept but no interrupt woke it: %s%s", line, dump());
	}
	if (id)
		expect_str(line, "id", id);
}

static uint64_t test_seed(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_nsec ^ (uint64_t)getpid()) % 1000000;
}

/* ---- tests ---- */

Test(devices, blk_whole_disk_pattern_on_the_host)
{
	struct env e = need_env();
	char img[512], disk[600], cmdline[128];
	/* Not a multiple of the guest's 64 KiB requests: the last is short. */
	uint64_t bytes = 8 * 1024 * 1024 + 7 * SECTOR, seed = test_seed();

	tmp_path(img, sizeof(img), "disk.img");
	make_image(img, bytes);
	snprintf(disk, sizeof(disk), "path=%s,id=cellvm-disk-0", img);
	snprintf(cmdline, sizeof(cmdline), "probe=blk probe.blk.seed=%" PRIu64, seed);
	int code = run_vm(&e, cmdline, (const char *[]){ "--disk", disk, NULL });

	expect_pass(code, 1);
	expect_blk_line(0, bytes / SECTOR, seed, "cellvm-disk-0");
	char line[1024];
	ok_line("PROBE blk ok ", 0, line, sizeof(line));
	/* cellvm-blk offers both ring features; the probe takes them. */
	expect_key(line, "event_idx", 1);
	expect_key(line, "indirect", 1);
	cr_assert_gt(key(line, "indirect_requests"), 0, "%s", line);
	expect_pattern(img, seed);
}

Test(devices, blk_direct_descriptors_without_event_idx_twice)
{
	struct env e = need_env();
	char img[512], disk[600], cmdline[256];
	uint64_t bytes = 4 * 1024 * 1024, seed = test_seed();

	tmp_path(img, sizeof(img), "disk.img");
	make_image(img, bytes);
	snprintf(disk, sizeof(disk), "path=%s", img);
	/* Flags instead of event indices, plain chains, a small ring; twice,
	 * so the device is reset and started again in between. */
	snprintf(cmdline, sizeof(cmdline),
		 "probe=blk,blk probe.blk.seed=%" PRIu64
		 " probe.virtio.event_idx=0 probe.virtio.indirect=0 probe.virtio.qsize=64",
		 seed);
	int code = run_vm(&e, cmdline, (const char *[]){ "--disk", disk, NULL });

	expect_pass(code, 2);
	for (int i = 0; i < 2; i++) {
		char line[1024];
		expect_blk_line(i, bytes / SECTOR, seed, "");
		ok_line("PROBE blk ok ", i, line, sizeof(line));
		expect_key(line, "event_idx", 0);
		expect_key(line, "indirect", 0);
		expect_key(line, "indirect_requests", 0);
	}
	expect_pattern(img, seed);
}

Test(devices, blk_polled_with_no_interrupt_flag)
{
	struct env e = need_env();
	char img[512], disk[600], cmdline[256], line[1024];
	uint64_t bytes = 2 * 1024 * 1024, seed = test_seed();

	tmp_path(img, sizeof(img), "disk.img");
	make_image(img, bytes);
	snprintf(disk, sizeof(disk), "path=%s", img);
	snprintf(cmdline, sizeof(cmdline),
		 "probe=blk probe.blk.mode=poll probe.virtio.event_idx=0 probe.blk.seed=%" PRIu64, seed);
	int code = run_vm(&e, cmdline, (const char *[]){ "--disk", disk, NULL });

	expect_pass(code, 1);
	expect_blk_line(0, bytes / SECTOR, seed, "");
	ok_line("PROBE blk ok ", 0, line, sizeof(line));
	cr_assert(strstr(line, " mode=poll "), "%s", line);
	/* VIRTQ_AVAIL_F_NO_INTERRUPT set from the start: the device must
	 * not have interrupted once. */
	expect_key(line, "irqs", 0);
	expect_pattern(img, seed);
}

Test(devices, blk_read_only_refuses_writes)
{
	struct env e = need_env();
	char img[512], disk[600];
	size_t len, len2;

	tmp_path(img, sizeof(img), "ro.img");
	make_image(img, 1024 * 1024);
	/* Known, non-zero content to compare against afterwards. */
	int fd = open(img, O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	for (uint64_t off = 0; off < 1024 * 1024; off += 8) {
		uint64_t w = blk_pattern(off, 424242);
		cr_assert_eq(pwrite(fd, &w, 8, (off_t)off), 8);
	}
	close(fd);
	uint8_t *before = read_file(img, &len);

	snprintf(disk, sizeof(disk), "path=%s,ro", img);
	int code = run_vm(&e, "probe=blkro", (const char *[]){ "--disk", disk, NULL });

	expect_pass(code, 1);
	char line[512];
	ok_line("PROBE blkro ok ", 0, line, sizeof(line));
	expect_key(line, "sectors", 2048);
	expect_key(line, "write_status", 1); /* VIRTIO_BLK_S_IOERR */
	/* VIRTIO_BLK_F_RO is bit 5 of the negotiated features. */
	cr_assert(key(line, "features") & (1u << 5), "RO not negotiated: %s", line);
	uint8_t *after = read_file(img, &len2);
	bool same = len == len2 && !memcmp(before, after, len);
	free(before);
	free(after);
	cr_assert(same, "the read-only image changed%s", dump());
}

Test(devices, rng_bytes_arrive)
{
	struct env e = need_env();
	int code = run_vm(&e, "probe=rng", (const char *[]){ "--rng", NULL });

	expect_pass(code, 1);
	char line[512];
	ok_line("PROBE rng ok ", 0, line, sizeof(line));
	/* 2 rounds of 1+16+64+256+512+1024+4096+8192 bytes, all filled:
	 * cellvm-rng fills whole buffers up to 64 KiB. */
	expect_key(line, "bytes", 28322);
	expect_key(line, "requests", 16);
}

Test(devices, two_disks_and_rng_at_once)
{
	struct env e = need_env();
	char img0[512], img1[512], d0[600], d1[600], cmdline[128];
	uint64_t b0 = 2 * 1024 * 1024, b1 = 3 * 1024 * 1024 + SECTOR, seed = test_seed();

	tmp_path(img0, sizeof(img0), "a.img");
	tmp_path(img1, sizeof(img1), "b.img");
	make_image(img0, b0);
	make_image(img1, b1);
	snprintf(d0, sizeof(d0), "path=%s,id=first", img0);
	snprintf(d1, sizeof(d1), "path=%s,id=second", img1);
	snprintf(cmdline, sizeof(cmdline), "probe=blk,rng probe.blk.seed=%" PRIu64, seed);
	int code = run_vm(&e, cmdline,
			  (const char *[]){ "--disk", d0, "--rng", "--disk", d1, NULL });

	expect_pass(code, 2);
	/* Disks are numbered in command-line order, each with its own seed. */
	expect_blk_line(0, b0 / SECTOR, seed, "first");
	expect_blk_line(1, b1 / SECTOR, seed + 1, "second");
	char line[512];
	ok_line("PROBE rng ok ", 0, line, sizeof(line));
	expect_key(line, "bytes", 28322);
	/* Windows and IRQs in command-line order, announced to the guest. */
	cr_assert(strstr(vm_out(), "probe: virtio 2 at 0xd0002000 irq 7: blk (id 2) version 2"),
		  "the third device is not where it should be%s", dump());
	expect_pattern(img0, seed);
	expect_pattern(img1, seed + 1);
}

Test(devices, image_size_not_a_multiple_of_512_is_refused)
{
	struct env e = need_env();
	char img[512], disk[600];

	tmp_path(img, sizeof(img), "odd.img");
	make_image(img, 1000);
	snprintf(disk, sizeof(disk), "path=%s", img);
	int code = run_vm(&e, "probe=blk", (const char *[]){ "--disk", disk, NULL });

	cr_assert_neq(code, -1, "cellvm did not exit%s", dump());
	cr_assert_neq(code, 0, "cellvm accepted a 1000-byte disk%s", dump());
	cr_assert_eq(code, 1, "exit status %d, expected 1 (VMM error)%s", code, dump());
	cr_assert(strstr(vm_err(), "cellvm-blk: ") && strstr(vm_err(), "1000 bytes, not a multiple of 512"),
		  "no clear message from cellvm-blk%s", dump());
	cr_assert(!strstr(vm_out(), "PROBE ready"), "the guest ran anyway%s", dump());
}

Test(devices, killed_device_process_means_needs_reset)
{
	struct env e = need_env();
	char img[512], disk[600];

	tmp_path(img, sizeof(img), "disk.img");
	make_image(img, 1024 * 1024);
	snprintf(disk, sizeof(disk), "path=%s,restart=never", img);
	start_vm(&e, "probe=needsreset,rng probe.needsreset.ms=30000",
		 (const char *[]){ "--disk", disk, "--rng", NULL });
	cr_assert(vmrun_wait_for(&vm, "PROBE needsreset waiting devices=2", VM_TIMEOUT_MS),
		  "the guest never started waiting%s", dump());

	pid_t blk = test_child_named(vm.pid, "cellvm-blk");
	cr_assert_gt(blk, 0, "no cellvm-blk child of cellvm (pid %d)%s", (int)vm.pid, dump());
	cr_assert_eq(kill(blk, SIGKILL), 0, "kill %d: %s", (int)blk, strerror(errno));
	int code = vmrun_wait_exit(&vm, VM_TIMEOUT_MS);

	/* The guest saw the blk device (number 0) need a reset, the rng went
	 * on working (the rng scenario after it), and the VM ended normally. */
	expect_pass(code, 2);
	char line[512];
	ok_line("PROBE needsreset ok ", 0, line, sizeof(line));
	cr_assert(strstr(line, " dev=0 type=blk "), "the wrong device broke: %s%s", line, dump());
	cr_assert(key(line, "status") & 0x40, "status without NEEDS_RESET: %s", line);
	cr_assert_geq(key(line, "config_irqs"), 1, "%s", line);
	ok_line("PROBE rng ok ", 0, line, sizeof(line));
	cr_assert(strstr(vm_err(), "blk0: device backend ") &&
		  strstr(vm_err(), "the guest sees NEEDS_RESET, the VM keeps running"),
		  "the core did not log the device's death%s", dump());
}

/* The state letter of /proc/PID/stat ('Z' for a zombie), or 0. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

Test(devices, killed_device_process_is_reaped_while_the_vm_runs)
{
	struct env e = need_env();
	char img[512], disk[600];

	tmp_path(img, sizeof(img), "disk.img");
	make_image(img, 1024 * 1024);
	snprintf(disk, sizeof(disk), "path=%s,restart=never", img);
	/* serial keeps the VM running until the test sends it a line. */
	start_vm(&e, "probe=needsreset,serial", (const char *[]){ "--disk", disk, NULL });
	cr_assert(vmrun_wait_for(&vm, "PROBE needsreset waiting", VM_TIMEOUT_MS), "%s", dump());
	pid_t blk = test_child_named(vm.pid, "cellvm-blk");
	cr_assert_gt(blk, 0, "no cellvm-blk child%s", dump());
	cr_assert_eq(kill(blk, SIGKILL), 0);
	cr_assert(vmrun_wait_for(&vm, "PROBE serial waiting", VM_TIMEOUT_MS), "%s", dump());

	/* A process the core does not wait for stays a zombie as long as
	 * the VM runs: one per device death, for the VM's whole life. */
	char state = 'Z';
	for (int i = 0; i < 100 && (state = proc_state(blk)) == 'Z'; i++)
		usleep(20000);
	vmrun_write(&vm, "done\n");
	int code = vmrun_wait_exit(&vm, VM_TIMEOUT_MS);
	cr_assert_neq(state, 'Z', "the killed cellvm-blk (pid %d) is still a zombie 2 s after the "
		      "core logged its death%s", (int)blk, dump());
	expect_pass(code, 2);
}

Test(devices, blk_without_a_disk_fails_cleanly)
{
	struct env e = need_env();
	int code = run_vm(&e, "probe=blk,blkro,rng", NULL);

	char line[256];
	cr_assert_neq(code, -1, "cellvm did not exit%s", dump());
	ok_line("PROBE blk fail reason=no-writable-disk", 0, line, sizeof(line));
	ok_line("PROBE blkro fail reason=no-read-only-disk", 0, line, sizeof(line));
	ok_line("PROBE rng fail reason=no-device", 0, line, sizeof(line));
	cr_assert_eq(code, 65, "exit status %d, expected 64 + 1%s", code, dump());
}

Test(devices, blkbench_reports_every_number)
{
	struct env e = need_env();
	char img[512], disk[600];
	static const char *const keys[] = { "rr_qd1_iops", "rr_qd32_iops", "rw_qd1_iops",
					    "rw_qd32_iops", "seq_read_mbs", "seq_write_mbs" };

	tmp_path(img, sizeof(img), "bench.img");
	make_image(img, 16 * 1024 * 1024);
	snprintf(disk, sizeof(disk), "path=%s", img);
	int code = run_vm(&e, "probe=blkbench probe.bench.ms=100",
			  (const char *[]){ "--disk", disk, NULL });

	expect_pass(code, 1);
	char line[1024];
	ok_line("PROBE blkbench ok ", 0, line, sizeof(line));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		cr_assert_gt(key(line, keys[i]), 0, "%s is 0: %s", keys[i], line);
	expect_key(line, "ms", 100);
}
