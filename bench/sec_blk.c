/* Section "blk": the probe's blkbench scenario (4 KiB random reads and
 * writes at queue depth 1 and 32, 1 MiB sequential reads and writes, each
 * phase probe.bench.ms long, TSC-timed and polled in the guest) on one raw
 * image, under
 *   cellvm     --disk path=IMG: cellvm-blk, vhost-user, buffered io_uring
 *   qemu       QEMU microvm's built-in virtio-blk-device, cache=writeback
 *              (buffered, like cellvm-blk), aio=io_uring, in an iothread
 *   qemu+qsd   QEMU microvm's vhost-user-blk, served by qemu-storage-daemon
 *              (file driver, buffered, io_uring)
 * and the host CPU each process spends meanwhile: CPU clocks sampled when
 * "PROBE ready" arrives and again when the blkbench line does. The guest
 * then waits on its serial port (probe=...,serial) until the bench has
 * sampled, so no process is gone before its second sample.
 *
 * On a 2-CPU host a polling vCPU and the I/O threads fight for the CPUs,
 * and where the scheduler happens to wake the I/O thread (often on the
 * vCPU's CPU) decided more than the device did; so by default, at "PROBE
 * ready", the vCPU thread is pinned to the last CPU and everything else of
 * the VM to CPU 0, alike for every column. */
#include "blk.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const keys[NRESULTS] = {
	"rr_qd1_iops", "rr_qd32_iops", "rw_qd1_iops", "rw_qd32_iops", "seq_read_mbs",
	"seq_write_mbs",
};

static void hook_argv(struct run_ctx *rc, struct argv_buf *a)
{
	blk_argv(rc->cfg, rc->section, rc->col, a);
}

static void before(struct run_ctx *rc)
{
	struct blk *b = rc->section;
	b->started = b->ended = false;
	b->fail[0] = b->err[0] = '\0';
	b->ndev = 0;
}

static bool prepare(struct run_ctx *rc, char *why, size_t len)
{
	struct blk *b = rc->section;
	return blk_disk_prepare(&b->disk, rc->col, why, len);
}

static void finish(struct run_ctx *rc, struct vm_run *r)
{
	struct blk *b = rc->section;
	blk_disk_finish(&b->disk, r);
}

/* The processes whose CPU counts as "device": cellvm's children (its
 * cellvm-blk), or the storage daemon. */
static void find_devices(struct run_ctx *rc, struct vm_run *r)
{
	struct blk *b = rc->section;
	pid_t tree[MAX_DEV + 1];

	b->ndev = 0;
	if (rc->col == COL_QSD) {
		b->dev[b->ndev++] = b->disk.peer.c.pid;
	} else if (rc->col == COL_CELLVM) {
		size_t n = process_tree(r->c.pid, tree, MAX_DEV + 1);
		for (size_t i = 1; i < n; i++)
			b->dev[b->ndev++] = tree[i];
	}
}

/* Before the guest starts its device: the vCPU gets a CPU of its own, so
 * where the scheduler puts the I/O threads stops deciding the result. */
static int pin(struct run_ctx *rc, struct vm_run *r)
{
	struct blk *b = rc->section;
	int last = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
	int ret = cpu_pin(r->c.pid, last, 0);

	for (unsigned int i = 0; i < b->ndev && ret == 0; i++)
		ret = cpu_pin(b->dev[i], -1, 0);
	if (ret < 0)
		snprintf(b->err, sizeof(b->err), "cannot pin threads: %s", strerror(-ret));
	return ret;
}

static int sample(struct blk *b, pid_t vmm, struct cpu_sample *s, int64_t *dev, int64_t *t)
{
	*t = mono_ns();
	if (cpu_sample(vmm, s) < 0) {
		snprintf(b->err, sizeof(b->err), "cannot read the VMM's CPU time");
		return -1;
	}
	for (unsigned int i = 0; i < b->ndev; i++) {
		if ((dev[i] = cpu_process_ns(b->dev[i])) < 0) {
			snprintf(b->err, sizeof(b->err), "device process %d is gone", (int)b->dev[i]);
			return -1;
		}
	}
	return 0;
}

static int on_line(struct vm_run *r, const struct vm_line *l, void *arg)
{
	struct run_ctx *rc = arg;
	struct blk *b = rc->section;
	const char *t = l->text;

	if (l->stream != STREAM_OUT)
		return 0;
	if (!b->started && strcmp(t, "PROBE ready") == 0) {
		find_devices(rc, r);
		if (rc->cfg->blk_pin && pin(rc, r) < 0)
			return -1;
		b->started = sample(b, r->c.pid, &b->vmm0, b->dev0, &b->t0) == 0;
	} else if (b->started && !b->ended && strncmp(t, "PROBE blkbench ok ", 18) == 0) {
		uint64_t bs = 0;
		b->ended = sample(b, r->c.pid, &b->vmm1, b->dev1, &b->t1) == 0;
		for (int i = 0; i < NRESULTS && b->ended; i++) {
			if (!line_key_u64(t, keys[i], &b->res[i])) {
				snprintf(b->err, sizeof(b->err), "no %s= in the blkbench line", keys[i]);
				b->ended = false;
			}
		}
		b->bs = line_key_u64(t, "seq_bs", &bs) ? (unsigned int)bs : 0;
		if (!line_key_u64(t, "kicks", &b->kicks) || !line_key_u64(t, "requests", &b->requests))
			b->kicks = b->requests = 0;
	} else if (strncmp(t, "PROBE blkbench fail", 19) == 0) {
		snprintf(b->fail, sizeof(b->fail), "%s", t);
	} else if (strcmp(t, "PROBE serial waiting") == 0) {
		return vm_run_write(r, "bench\n") < 0 ? -1 : 0;
	}
	return 0;
}

static bool record(struct run_ctx *rc, struct vm_run *r)
{
	struct blk *b = rc->section;
	unsigned int c = rc->col;

	if (!b->ended) {
		snprintf(r->why, sizeof(r->why), "%s",
			 b->fail[0] ? b->fail : b->err[0] ? b->err : "no \"PROBE blkbench ok\" line");
		return false;
	}
	int64_t main_ns = b->vmm1.main_ns - b->vmm0.main_ns;
	int64_t vcpu_ns = b->vmm1.vcpu_ns - b->vmm0.vcpu_ns;
	double window = (double)(b->t1 - b->t0);
	double share = 100.0 * (double)vcpu_ns / window;
	double wait = 100.0 * (double)(b->vmm1.vcpu_wait_ns - b->vmm0.vcpu_wait_ns) / window;
	/* A polling guest whose vCPU waited for its CPU measured whoever else
	 * ran there, not the device: such a run is repeated while attempts
	 * last. Waiting, not the on-CPU share: a VMM whose vCPU thread blocks
	 * (on a lock, in a userspace exit) is slow by itself, not disturbed. */
	if (rc->cfg->blk_max_wait && wait > rc->cfg->blk_max_wait) {
		if (!rc->last_attempt) {
			rc->discard = true;
			snprintf(r->why, sizeof(r->why), "vCPU waited for a CPU %.1f %% of the window",
				 wait);
			return true;
		}
		b->contended[c]++;
	}
	if (b->vmm1.vcpus != 1) {
		snprintf(r->why, sizeof(r->why), "found %u vCPU threads by name, expected 1",
			 b->vmm1.vcpus);
		return false;
	}
	if (c != COL_QEMU && b->ndev == 0) {
		snprintf(r->why, sizeof(r->why), "no device process found");
		return false;
	}
	for (int i = 0; i < NRESULTS; i++)
		series_add(&b->m[M_RR1 + i].s[c], (double)b->res[i]);
	b->seq_bs[c] = b->bs;
	if (b->requests)
		series_add(&b->m[M_KICKS].s[c], (double)b->kicks / (double)b->requests);

	int64_t other_ns = b->vmm1.total_ns - b->vmm0.total_ns - main_ns - vcpu_ns;
	int64_t dev_ns = 0;
	for (unsigned int i = 0; i < b->ndev; i++)
		dev_ns += b->dev1[i] - b->dev0[i];
	series_add(&b->m[M_WINDOW].s[c], ns_to_ms(b->t1 - b->t0));
	series_add(&b->m[M_SHARE].s[c], share);
	series_add(&b->m[M_WAIT].s[c], wait);
	series_add(&b->m[M_MAIN].s[c], ns_to_ms(main_ns));
	series_add(&b->m[M_OTHER].s[c], ns_to_ms(other_ns));
	series_add(&b->m[M_VCPU].s[c], ns_to_ms(vcpu_ns));
	if (c != COL_QEMU)
		series_add(&b->m[M_DEV].s[c], ns_to_ms(dev_ns));
	series_add(&b->m[M_PATH].s[c], ns_to_ms(main_ns + other_ns + dev_ns));
	if (b->requests)
		series_add(&b->m[M_PER_REQ].s[c],
			   (double)(main_ns + other_ns + dev_ns) / 1e3 / (double)b->requests);
	if (rc->cfg->verbose)
		fprintf(stderr, "bench: %s blk: %u vCPU thread(s), %u thread(s), %u device "
			"process(es); %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " IOPS, %" PRIu64
			" %" PRIu64 " MB/s\n", rc->cfg->col[c].name, b->vmm1.vcpus, b->vmm1.threads,
			b->ndev, b->res[0], b->res[1], b->res[2], b->res[3], b->res[4], b->res[5]);
	return true;
}

int section_blk(struct bench_cfg *cfg, struct section_result *res)
{
	static struct blk b = {
		.m = {
			[M_RR1] = { .label = "4 KiB random read, QD 1", .unit = UNIT_IOPS,
				    .in_summary = true },
			[M_RR32] = { .label = "4 KiB random read, QD 32", .unit = UNIT_IOPS,
				     .in_summary = true },
			[M_RW1] = { .label = "4 KiB random write, QD 1", .unit = UNIT_IOPS,
				    .in_summary = true },
			[M_RW32] = { .label = "4 KiB random write, QD 32", .unit = UNIT_IOPS,
				     .in_summary = true },
			[M_SEQR] = { .label = "1 MiB sequential read, QD 4", .unit = UNIT_MBS,
				     .in_summary = true },
			[M_SEQW] = { .label = "1 MiB sequential write, QD 4", .unit = UNIT_MBS,
				     .in_summary = true },
			[M_KICKS] = { .label = "guest notifications (kicks) per request",
				      .unit = UNIT_PER_REQ },
			[M_WINDOW] = { .label = "window: \"PROBE ready\" -> blkbench line (wall)",
				       .unit = UNIT_MS },
			[M_WAIT] = { .label = "vCPU thread waiting for a CPU, share of the window",
				     .unit = UNIT_PCT, .in_summary = true },
			[M_SHARE] = { .label = "vCPU thread on CPU, share of the window",
				      .unit = UNIT_PCT, .in_summary = true },
			[M_MAIN] = { .label = "CPU in window: VMM main thread", .unit = UNIT_MS,
				     .in_summary = true },
			[M_OTHER] = { .label = "CPU in window: VMM other non-vCPU threads",
				      .unit = UNIT_MS, .in_summary = true },
			[M_VCPU] = { .label = "CPU in window: VMM vCPU thread (guest, polling)",
				     .unit = UNIT_MS },
			[M_DEV] = { .label = "CPU in window: device process", .unit = UNIT_MS,
				    .in_summary = true },
			[M_PATH] = { .label = "CPU in window: all but the vCPU (I/O path)",
				     .unit = UNIT_MS, .in_summary = true },
			[M_PER_REQ] = { .label = "I/O-path CPU per request (all phases' requests)",
					.unit = UNIT_US, .in_summary = true },
		},
	};
	char what[200], err[256];

	blk_disk_columns(cfg, &b.disk);
	b.m[M_DEV].na[COL_QEMU] = cfg->blk_iothread ? "(none: in the VMM, its iothread is "
						      "in \"other\")"
						    : "(none: in the VMM's main loop)";
	snprintf(what, sizeof(what), "guest block I/O (probe=blkbench), %u ms phases, "
		 "cellvm-blk vs QEMU virtio-blk vs QEMU + qemu-storage-daemon", cfg->blk_ms);
	report_section_header(cfg, "blk", what, cfg->blk_runs);
	if (blk_disk_files(cfg, &b.disk, err, sizeof(err)) < 0) {
		printf("   NOT RUN: %s\n", err);
		return -1;
	}
	if (cfg->blk_nice < 0 && geteuid() != 0) {
		printf("   not root: the runs cannot get nice %d, they run at the bench's\n",
		       cfg->blk_nice);
		cfg->blk_nice = 0;
	}
	blk_print_setup(cfg, &b);

	struct run_hooks h = { .on_line = on_line, .record = record, .before = before,
			       .argv = hook_argv, .prepare = prepare, .finish = finish,
			       .runs = cfg->blk_runs, .retries = cfg->blk_max_wait ? RETRIES : 0 };
	spawn_set_nice(cfg->blk_nice);
	run_interleaved(cfg, &h, &b, res);
	spawn_set_nice(0);
	for (int i = 0; i < M_COUNT; i++) {
		report_metric(cfg, &b.m[i]);
		metric_free(&b.m[i]);
	}
	if (cfg->blk_max_wait && !bench_interrupted) {
		printf("   runs repeated because the vCPU waited for a CPU > %u %% of the window:",
		       cfg->blk_max_wait);
		for (unsigned int c = 0; c < cfg->ncols; c++)
			if (column_available(cfg, c))
				printf(" %s %u", cfg->col[c].name, res->discarded[c]);
		printf("\n   kept anyway after %d attempts:", RETRIES + 1);
		for (unsigned int c = 0; c < cfg->ncols; c++)
			if (column_available(cfg, c))
				printf(" %s %u", cfg->col[c].name, b.contended[c]);
		printf("\n");
	}
	for (unsigned int c = 0; c < cfg->ncols; c++)
		if (b.seq_bs[c] && b.seq_bs[c] != 1024 * 1024)
			printf("   NOTE: %s limited the sequential requests to %u bytes\n",
			       cfg->col[c].name, b.seq_bs[c]);
	return 0;
}
