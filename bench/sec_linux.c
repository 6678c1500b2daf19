/* Sections "linux-boot" and "linux-blk": Debian's kernel (the bzImage of
 * `make linux`) and its busybox initramfs, one command line for every VMM.
 *
 * linux-boot (cellvm.test=boot): cellvm vs QEMU microvm, times from just
 * before fork() of the VMM to the arrival of
 *   - the kernel's first printk line (its console is up; the lines before
 *     it come out at once from the log buffer),
 *   - "cellvm-linux: init ok", the first line of the initramfs's sysinit,
 *   - the VMM's exit after the test script rebooted,
 * the guest's own clock at "Run /init" (how much of the wall time is the
 * kernel booting rather than the VMM), and the VMM's CPU time.
 *
 * linux-blk (cellvm.test=blkbench): tests/linux/blkcheck.c's bench on
 * /dev/vda (O_DIRECT in the guest: 1 MiB sequential write and read of the
 * whole disk, 4 KiB random reads and writes at depth 1 and 4 for
 * cellvm.bench-seconds each), the disk served by cellvm-blk, by QEMU's
 * virtio-blk-device and by qemu-storage-daemon over vhost-user: the
 * image, daemon and I/O settings of the blk section (blk_disk.c).
 *
 * Unlike blk, nothing is pinned or reniced: the guest has 2 vCPUs on a
 * host that may have 2 CPUs, and it is the kernel's own I/O path (a
 * virtio-blk driver sleeping on interrupts) that is compared. */
#include "linux.h"

#include <stdio.h>
#include <string.h>

enum { B_INIT, B_CONSOLE, B_GUEST_INIT, B_EXIT, B_CPU, B_COUNT };

static void before(struct run_ctx *rc)
{
	struct linux_sec *s = rc->section;
	s->lr = (struct linux_run){ .guest_init_ms = -1 };
}

static int on_line(struct vm_run *r, const struct vm_line *l, void *arg)
{
	struct run_ctx *rc = arg;
	struct linux_sec *s = rc->section;

	(void)r;
	linux_line(&s->lr, l);
	return 0;
}

static void hook_argv(struct run_ctx *rc, struct argv_buf *a)
{
	linux_argv(rc->cfg, rc->section, rc->col, a);
}

static bool passed(struct run_ctx *rc, struct vm_run *r)
{
	struct linux_sec *s = rc->section;
	return linux_run_passed(&s->lr, r);
}

static bool prepare(struct run_ctx *rc, char *why, size_t len)
{
	struct linux_sec *s = rc->section;
	return blk_disk_prepare(s->disk, rc->col, why, len);
}

static void finish(struct run_ctx *rc, struct vm_run *r)
{
	struct linux_sec *s = rc->section;
	blk_disk_finish(s->disk, r);
}

static bool record_boot(struct run_ctx *rc, struct vm_run *r)
{
	struct linux_sec *s = rc->section;
	const struct linux_run *lr = &s->lr;
	unsigned int c = rc->col;

	series_add(&s->m[B_INIT].s[c], ns_to_ms(lr->t_init - r->t_spawn));
	if (lr->t_console)
		series_add(&s->m[B_CONSOLE].s[c], ns_to_ms(lr->t_console - r->t_spawn));
	if (lr->guest_init_ms >= 0)
		series_add(&s->m[B_GUEST_INIT].s[c], lr->guest_init_ms);
	series_add(&s->m[B_EXIT].s[c], ns_to_ms(r->t_exit - r->t_spawn));
	series_add(&s->m[B_CPU].s[c], rusage_cpu_ms(&r->ru));
	return true;
}

static bool record_blk(struct run_ctx *rc, struct vm_run *r)
{
	struct linux_sec *s = rc->section;

	for (unsigned int i = 0; i < LB_COUNT; i++) {
		if (!s->lr.have[i]) {
			snprintf(r->why, sizeof(r->why), "no \"cellvm-linux: blkbench %s\" line",
				 linux_blk_phase(i));
			return false;
		}
	}
	for (unsigned int i = 0; i < LB_COUNT; i++)
		series_add(&s->m[i].s[rc->col], s->lr.res[i]);
	if (rc->cfg->verbose)
		fprintf(stderr, "bench: %s linux-blk: %.1f %.1f MB/s, %.0f %.0f %.0f %.0f IOPS\n",
			rc->cfg->col[rc->col].name, s->lr.res[0], s->lr.res[1], s->lr.res[2],
			s->lr.res[3], s->lr.res[4], s->lr.res[5]);
	return true;
}

/* The header (with the KVM host: nested figures are not native ones),
 * then the kernel's files; false (section skipped) when they are missing. */
static bool start(struct bench_cfg *cfg, struct linux_sec *s, const char *name,
		  const char *what, unsigned int runs, struct section_result *res)
{
	char head[320], err[300];

	snprintf(head, sizeof(head), "%s; KVM host: %s", what, kvm_host_kind());
	report_section_header(cfg, name, head, runs);
	if (linux_files_find(cfg, &s->f, err, sizeof(err)) < 0) {
		printf("   NOT RUN: %s\n", err);
		res->skipped = true;
		return false;
	}
	return true;
}

static void report_all(const struct bench_cfg *cfg, struct metric *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		report_metric(cfg, &m[i]);
	report_table(cfg, m, n);
	for (size_t i = 0; i < n; i++)
		metric_free(&m[i]);
}

int section_linux_boot(struct bench_cfg *cfg, struct section_result *res)
{
	struct metric m[B_COUNT] = {
		[B_INIT] = { .label = "spawn -> \"cellvm-linux: init ok\"", .unit = UNIT_MS,
			     .in_summary = true },
		[B_CONSOLE] = { .label = "spawn -> kernel's first console line", .unit = UNIT_MS,
				.in_summary = true },
		[B_GUEST_INIT] = { .label = "guest clock at \"Run /init\" (printk time)",
				   .unit = UNIT_MS, .in_summary = true },
		[B_EXIT] = { .label = "spawn -> VMM exit (test script's reboot)", .unit = UNIT_MS,
			     .in_summary = true },
		[B_CPU] = { .label = "VMM CPU per launch (user+sys, incl. vCPUs)", .unit = UNIT_MS,
			    .in_summary = true },
	};
	struct linux_sec s = { .m = m };
	char what[160];

	/* Firecracker's figure is for hardware KVM; in the nested host every
	 * guest instruction of the boot is emulated, so it does not apply. */
	if (!kvm_host_nested()) {
		m[B_INIT].target = "<= 125 ms, InstanceStart -> guest /sbin/init";
		m[B_INIT].target_max = 125;
	}
	columns_default(cfg);
	snprintf(what, sizeof(what), "Linux boot to init (cellvm.test=boot), %u vCPUs, %u MiB",
		 linux_cpus(), LINUX_MEM_MIB);
	if (!start(cfg, &s, "linux-boot", what, cfg->linux_runs, res))
		return 0;
	linux_cmdline(cfg, "boot", s.cmdline, sizeof(s.cmdline));
	linux_print_setup(cfg, &s);

	struct run_hooks h = { .on_line = on_line, .record = record_boot, .before = before,
			       .argv = hook_argv, .passed = passed, .runs = cfg->linux_runs,
			       .timeout_ms = cfg->linux_timeout_ms };
	run_interleaved(cfg, &h, &s, res);
	report_all(cfg, m, B_COUNT);
	return 0;
}

int section_linux_blk(struct bench_cfg *cfg, struct section_result *res)
{
	struct metric m[LB_COUNT] = {
		[LB_SEQW] = { .label = "1 MiB sequential write, whole disk", .unit = UNIT_MBS,
			      .in_summary = true },
		[LB_SEQR] = { .label = "1 MiB sequential read, whole disk", .unit = UNIT_MBS,
			      .in_summary = true },
		[LB_RR1] = { .label = "4 KiB random read, QD 1", .unit = UNIT_IOPS,
			     .in_summary = true },
		[LB_RR4] = { .label = "4 KiB random read, QD 4 (4 threads)", .unit = UNIT_IOPS,
			     .in_summary = true },
		[LB_RW1] = { .label = "4 KiB random write, QD 1", .unit = UNIT_IOPS,
			     .in_summary = true },
		[LB_RW4] = { .label = "4 KiB random write, QD 4 (4 threads)", .unit = UNIT_IOPS,
			     .in_summary = true },
	};
	struct blk_disk disk = { .peer_up = false };
	struct linux_sec s = { .m = m, .disk = &disk };
	char what[200], err[256];

	blk_disk_columns(cfg, &disk);
	snprintf(what, sizeof(what), "Linux virtio-blk (cellvm.test=blkbench, %u s random "
		 "phases), cellvm-blk vs QEMU virtio-blk vs QEMU + qemu-storage-daemon",
		 cfg->linux_seconds);
	if (!start(cfg, &s, "linux-blk", what, cfg->linux_blk_runs, res))
		return 0;
	if (blk_disk_files(cfg, &disk, err, sizeof(err)) < 0) {
		printf("   NOT RUN: %s\n", err);
		return -1;
	}
	linux_cmdline(cfg, "blkbench", s.cmdline, sizeof(s.cmdline));
	blk_disk_print(cfg, &disk);
	printf("   guest: blkcheck bench /dev/vda %u: O_DIRECT, the kernel's virtio-blk driver "
	       "(interrupts, not polling)\n", cfg->linux_seconds);
	linux_print_setup(cfg, &s);

	struct run_hooks h = { .on_line = on_line, .record = record_blk, .before = before,
			       .argv = hook_argv, .prepare = prepare, .finish = finish,
			       .passed = passed, .runs = cfg->linux_blk_runs,
			       .timeout_ms = cfg->linux_timeout_ms };
	run_interleaved(cfg, &h, &s, res);
	report_all(cfg, m, LB_COUNT);
	return 0;
}
