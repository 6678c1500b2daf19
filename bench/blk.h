/* The blk section's state, shared by its run hooks (sec_blk.c) and its
 * command lines and setup report (blk_cmd.c). */
#ifndef CELLVM_BENCH_BLK_H
#define CELLVM_BENCH_BLK_H

#include "blk_disk.h"

enum {
	M_RR1, M_RR32, M_RW1, M_RW32, M_SEQR, M_SEQW,
	M_KICKS, M_WINDOW, M_SHARE, M_WAIT, M_MAIN, M_OTHER, M_VCPU, M_DEV, M_PATH, M_PER_REQ, M_COUNT
};
#define NRESULTS 6  /* M_RR1 .. M_SEQW, in the order of the probe's keys */
#define MAX_DEV  8  /* device processes followed per run */
#define RETRIES  2  /* extra attempts for a contended run */

struct blk {
	struct metric m[M_COUNT];
	struct blk_disk disk;
	unsigned int seq_bs[MAX_COLS];  /* what the probe used, per column */
	unsigned int contended[MAX_COLS]; /* kept although above --blk-max-wait */
	/* this run */
	bool started, ended;
	char fail[200];                 /* the probe's "blkbench fail" line */
	uint64_t res[NRESULTS];
	uint64_t kicks, requests;
	unsigned int bs;
	int64_t t0, t1;
	struct cpu_sample vmm0, vmm1;
	pid_t dev[MAX_DEV];
	int64_t dev0[MAX_DEV], dev1[MAX_DEV];
	unsigned int ndev;
	char err[256];
};

/* The VMM's command line for column col (COL_*). */
void blk_argv(const struct bench_cfg *cfg, const struct blk *b, unsigned int col,
	      struct argv_buf *a);
/* What the section runs and how it measures, commands included. */
void blk_print_setup(const struct bench_cfg *cfg, const struct blk *b);

#endif
