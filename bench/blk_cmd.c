/* The blk section's command lines: the probe with blkbench under each VMM,
 * the disk options of blk_disk.c appended; and the section's description
 * of what it measures. */
#include "blk.h"

#include <stdio.h>

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
	blk_disk_argv(cfg, &b->disk, col, a);
}

void blk_print_setup(const struct bench_cfg *cfg, const struct blk *b)
{
	struct argv_buf a;

	blk_disk_print(cfg, &b->disk);
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
			blk_disk_qsd_argv(&b->disk, &a);
			argv_print("  + daemon", &a);
		}
	}
}
