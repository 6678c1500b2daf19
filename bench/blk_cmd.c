/* The blk section's command lines: cellvm with --disk, QEMU microvm with
 * its own virtio-blk-device (cache=writeback: buffered like cellvm-blk;
 * aio=io_uring like cellvm-blk; optionally in an iothread, as cellvm-blk
 * has a process of its own), QEMU microvm with vhost-user-blk and
 * qemu-storage-daemon exporting the same image the same way; and the
 * section's description of what it measures. */
#include "blk.h"

#include <stdio.h>
#include <unistd.h>

static void cmdline(const struct bench_cfg *cfg, char *out, size_t len)
{
	snprintf(out, len, "probe=blkbench,serial probe.bench.ms=%u%s", cfg->blk_ms,
		 cfg->blk_irq ? " probe.bench.mode=irq" : "");
}

void blk_argv(const struct bench_cfg *cfg, const struct blk *b, unsigned int col,
	      struct argv_buf *a)
{
	char line[128];

	cmdline(cfg, line, sizeof(line));
	vmm_argv(cfg, cfg->col[col].vmm, line, true, a);
	switch (col) {
	case COL_CELLVM:
		argv_add(a, "--disk");
		argv_addf(a, "path=%s", b->image);
		break;
	case COL_QEMU:
		if (cfg->blk_iothread) {
			argv_add(a, "-object");
			argv_add(a, "iothread,id=io0");
		}
		argv_add(a, "-drive");
		argv_addf(a, "file=%s,format=raw,if=none,id=d0,cache=writeback,aio=io_uring",
			  b->image);
		argv_add(a, "-device");
		argv_addf(a, "virtio-blk-device,drive=d0%s", cfg->blk_iothread ? ",iothread=io0" : "");
		break;
	case COL_QSD:
		argv_add(a, "-chardev");
		argv_addf(a, "socket,id=c0,path=%s", b->sock);
		argv_add(a, "-device");
		argv_add(a, "vhost-user-blk,chardev=c0");
		break;
	}
}

void blk_qsd_argv(const struct blk *b, struct argv_buf *a)
{
	argv_init(a);
	argv_add(a, b->qsd);
	argv_add(a, "--blockdev");
	argv_addf(a, "driver=file,node-name=file0,filename=%s,aio=io_uring,cache.direct=off",
		  b->image);
	argv_add(a, "--export");
	argv_addf(a, "type=vhost-user-blk,id=exp0,node-name=file0,addr.type=unix,addr.path=%s,"
		  "writable=on", b->sock);
}

void blk_check_columns(struct bench_cfg *cfg, struct blk *b)
{
	snprintf(b->cellvm_blk, sizeof(b->cellvm_blk), "%s/cellvm-blk", cfg->bin_dir);
	if (access(b->cellvm_blk, X_OK) != 0)
		column_missing(&cfg->col[COL_CELLVM], "%s is missing (make all)", b->cellvm_blk);
	if (!find_in_path("qemu-storage-daemon", b->qsd, sizeof(b->qsd)))
		column_missing(&cfg->col[COL_QSD], "qemu-storage-daemon not found in PATH "
			       "(apt-get install qemu-system-x86 / qemu-utils)");
}

void blk_print_setup(const struct bench_cfg *cfg, const struct blk *b)
{
	char fs[128];
	struct argv_buf a;

	fs_describe(b->image, fs, sizeof(fs));
	printf("   image: %s, %u MiB raw, every block written once (allocated) when the bench "
	       "starts,\n   %s, reused by every run; all three open it buffered (page cache), "
	       "io_uring, flushes honoured\n", b->image, cfg->blk_mib, fs);
	printf("   guest: blkbench phases of %u ms each (sequential: 1 MiB requests unless the "
	       "device limits them, depth 4),\n   polling its used ring; 1 vCPU, %u MiB\n",
	       cfg->blk_ms, cfg->mem_mib);
	if (cfg->blk_nice)
		printf("   priority: the VMs and the storage daemon run in sessions of their own at "
		       "nice %d (autogroup\n   and threads), the host's other work at 0\n",
		       cfg->blk_nice);
	if (cfg->blk_max_wait)
		printf("   contention: a run whose vCPU thread waited for a CPU (runqueue) more than "
		       "%u %% of the\n   window is run again (at most %d more times; then kept and "
		       "counted below)\n", cfg->blk_max_wait, RETRIES);
	if (cfg->blk_pin)
		printf("   placement: at \"PROBE ready\" the vCPU thread is pinned to the last CPU, "
		       "every other thread of\n   the VMM and the device process to CPU 0, for "
		       "every column (--blk-pin off: the scheduler decides)\n");
	printf("   CPU: process CPU clocks between the arrival of \"PROBE ready\" and of the "
	       "blkbench line (device\n   setup + 6 phases); vCPU threads by name, the main "
	       "thread by TID, \"other\" = the rest of the\n   process (cellvm: API thread; "
	       "QEMU: iothread, RCU, workers). Kernel work done outside these\n   processes "
	       "(KVM irqfd injection in kworkers, page-cache writeback) is not counted. A "
	       "thread that\n   runs while sampled is accounted up to one scheduler tick late: "
	       "\"other\" may be a few ms off,\n   even below 0; an idle thread's time is "
	       "exact.\n");
	printf("   commands:\n");
	for (unsigned int c = 0; c < cfg->ncols; c++) {
		if (!column_available(cfg, c))
			continue;
		blk_argv(cfg, b, c, &a);
		argv_print(cfg->col[c].name, &a);
		if (c == COL_QSD) {
			blk_qsd_argv(b, &a);
			argv_print("  + daemon", &a);
		}
	}
}
