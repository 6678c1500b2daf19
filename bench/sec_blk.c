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
 * sampled, so no process is gone before its second sample. */
#include "bench.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { COL_CELLVM, COL_QEMU, COL_QSD };

enum {
	M_RR1, M_RR32, M_RW1, M_RW32, M_SEQR, M_SEQW,
	M_KICKS, M_WINDOW, M_MAIN, M_OTHER, M_VCPU, M_DEV, M_PATH, M_COUNT
};
#define NRESULTS 6 /* M_RR1 .. M_SEQW, in the order of the probe's keys */

static const char *const keys[NRESULTS] = {
	"rr_qd1_iops", "rr_qd32_iops", "rw_qd1_iops", "rw_qd32_iops", "seq_read_mbs",
	"seq_write_mbs",
};

#define MAX_DEV  8
#define PEER_MS  10000

struct blk {
	struct metric m[M_COUNT];
	char image[256], sock[256], qsd[4096], cellvm_blk[4096];
	unsigned int seq_bs[MAX_COLS];  /* what the probe used, per column */
	/* this run */
	struct peer peer;
	bool peer_up;
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

static bool key_u64(const char *line, const char *key, uint64_t *v)
{
	char pat[48];
	snprintf(pat, sizeof(pat), " %s=", key);
	const char *p = strstr(line, pat);
	char *end;
	if (!p)
		return false;
	p += strlen(pat);
	*v = strtoull(p, &end, 10);
	return end != p;
}

static void cmdline(const struct bench_cfg *cfg, char *out, size_t len)
{
	snprintf(out, len, "probe=blkbench,serial probe.bench.ms=%u%s", cfg->blk_ms,
		 cfg->blk_irq ? " probe.bench.mode=irq" : "");
}

static void build_argv(const struct bench_cfg *cfg, const struct blk *b, unsigned int col,
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

static void qsd_argv(const struct blk *b, struct argv_buf *a)
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

static void hook_argv(struct run_ctx *rc, struct argv_buf *a)
{
	build_argv(rc->cfg, rc->section, rc->col, a);
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
	struct argv_buf a;

	b->peer_up = false;
	if (rc->col != COL_QSD)
		return true;
	qsd_argv(b, &a);
	if (peer_start(&b->peer, a.argv, b->sock, PEER_MS, why, len) < 0)
		return false;
	b->peer_up = true;
	return true;
}

static void finish(struct run_ctx *rc, struct vm_run *r)
{
	struct blk *b = rc->section;

	if (b->peer_up) {
		peer_stop(&b->peer, 3000);
		unlink(b->sock);
		b->peer_up = false;
	}
	/* The next run opens the same image: its lock holders must be gone. */
	if (r->pid > 0 && !group_wait_gone(r->pid, 3000) && !r->why[0])
		snprintf(r->why, sizeof(r->why), "processes of the VMM's group still alive 3 s "
			 "after it exited");
}

/* The processes whose CPU counts as "device": cellvm's children (its
 * cellvm-blk), or the storage daemon. */
static void find_devices(struct run_ctx *rc, struct vm_run *r)
{
	struct blk *b = rc->section;
	pid_t tree[MAX_DEV + 1];

	b->ndev = 0;
	if (rc->col == COL_QSD) {
		b->dev[b->ndev++] = b->peer.c.pid;
	} else if (rc->col == COL_CELLVM) {
		size_t n = process_tree(r->c.pid, tree, MAX_DEV + 1);
		for (size_t i = 1; i < n; i++)
			b->dev[b->ndev++] = tree[i];
	}
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
		b->started = sample(b, r->c.pid, &b->vmm0, b->dev0, &b->t0) == 0;
	} else if (b->started && !b->ended && strncmp(t, "PROBE blkbench ok ", 18) == 0) {
		uint64_t bs = 0;
		b->ended = sample(b, r->c.pid, &b->vmm1, b->dev1, &b->t1) == 0;
		for (int i = 0; i < NRESULTS && b->ended; i++)
			if (!key_u64(t, keys[i], &b->res[i])) {
				snprintf(b->err, sizeof(b->err), "no %s= in the blkbench line", keys[i]);
				b->ended = false;
			}
		b->bs = key_u64(t, "seq_bs", &bs) ? (unsigned int)bs : 0;
		if (!key_u64(t, "kicks", &b->kicks) || !key_u64(t, "requests", &b->requests))
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
	for (int i = 0; i < NRESULTS; i++)
		series_add(&b->m[M_RR1 + i].s[c], (double)b->res[i]);
	b->seq_bs[c] = b->bs;
	if (b->requests)
		series_add(&b->m[M_KICKS].s[c], (double)b->kicks / (double)b->requests);

	int64_t main_ns = b->vmm1.main_ns - b->vmm0.main_ns;
	int64_t vcpu_ns = b->vmm1.vcpu_ns - b->vmm0.vcpu_ns;
	int64_t other_ns = b->vmm1.total_ns - b->vmm0.total_ns - main_ns - vcpu_ns;
	int64_t dev_ns = 0;
	for (unsigned int i = 0; i < b->ndev; i++)
		dev_ns += b->dev1[i] - b->dev0[i];
	series_add(&b->m[M_WINDOW].s[c], ns_to_ms(b->t1 - b->t0));
	series_add(&b->m[M_MAIN].s[c], ns_to_ms(main_ns));
	series_add(&b->m[M_OTHER].s[c], ns_to_ms(other_ns));
	series_add(&b->m[M_VCPU].s[c], ns_to_ms(vcpu_ns));
	if (c != COL_QEMU)
		series_add(&b->m[M_DEV].s[c], ns_to_ms(dev_ns));
	series_add(&b->m[M_PATH].s[c], ns_to_ms(main_ns + other_ns + dev_ns));
	if (rc->cfg->verbose)
		fprintf(stderr, "bench: %s blk: %u vCPU thread(s), %u thread(s), %u device "
			"process(es); %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " IOPS, %" PRIu64
			" %" PRIu64 " MB/s\n", rc->cfg->col[c].name, b->vmm1.vcpus, b->vmm1.threads,
			b->ndev, b->res[0], b->res[1], b->res[2], b->res[3], b->res[4], b->res[5]);
	if (b->vmm1.vcpus != 1) {
		snprintf(r->why, sizeof(r->why), "found %u vCPU threads by name, expected 1",
			 b->vmm1.vcpus);
		return false;
	}
	if (c != COL_QEMU && b->ndev == 0) {
		snprintf(r->why, sizeof(r->why), "no device process found");
		return false;
	}
	return true;
}

static void check_columns(struct bench_cfg *cfg, struct blk *b)
{
	snprintf(b->cellvm_blk, sizeof(b->cellvm_blk), "%s/cellvm-blk", cfg->bin_dir);
	if (access(b->cellvm_blk, X_OK) != 0)
		column_missing(&cfg->col[COL_CELLVM], "%s is missing (make all)", b->cellvm_blk);
	if (!find_in_path("qemu-storage-daemon", b->qsd, sizeof(b->qsd)))
		column_missing(&cfg->col[COL_QSD], "qemu-storage-daemon not found in PATH "
			       "(apt-get install qemu-system-x86 / qemu-utils)");
}

static void print_setup(const struct bench_cfg *cfg, const struct blk *b)
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
	printf("   CPU: process CPU clocks between the arrival of \"PROBE ready\" and of the "
	       "blkbench line (device\n   setup + 6 phases); vCPU threads by name, the main "
	       "thread by TID, \"other\" = the rest of the\n   process (cellvm: API thread; "
	       "QEMU: iothread, RCU, workers). Kernel work done outside these\n   processes "
	       "(KVM irqfd injection in kworkers, page-cache writeback) is not counted.\n");
	printf("   commands:\n");
	for (unsigned int c = 0; c < cfg->ncols; c++) {
		if (!column_available(cfg, c))
			continue;
		build_argv(cfg, b, c, &a);
		argv_print(cfg->col[c].name, &a);
		if (c == COL_QSD) {
			qsd_argv(b, &a);
			argv_print("  + daemon", &a);
		}
	}
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
		},
	};
	char what[200], err[256];

	columns_reset(cfg);
	column_add(cfg, "cellvm", VMM_CELLVM);
	column_add(cfg, "qemu", VMM_QEMU);
	column_add(cfg, "qemu+qsd", VMM_QEMU);
	check_columns(cfg, &b);
	b.m[M_DEV].na[COL_QEMU] = cfg->blk_iothread ? "(none: in the VMM, its iothread is "
						      "in \"other\")"
						    : "(none: in the VMM's main loop)";
	snprintf(what, sizeof(what), "guest block I/O (probe=blkbench), %u ms phases, "
		 "cellvm-blk vs QEMU virtio-blk vs QEMU + qemu-storage-daemon", cfg->blk_ms);
	report_section_header(cfg, "blk", what, cfg->blk_runs);
	if (workdir_image(cfg, "blk.img", cfg->blk_mib, b.image, sizeof(b.image), err,
			  sizeof(err)) < 0 ||
	    workdir_path(cfg, b.sock, sizeof(b.sock), "qsd.sock") < 0) {
		printf("   NOT RUN: %s\n", err);
		return -1;
	}
	print_setup(cfg, &b);

	struct run_hooks h = { .on_line = on_line, .record = record, .before = before,
			       .argv = hook_argv, .prepare = prepare, .finish = finish,
			       .runs = cfg->blk_runs };
	run_interleaved(cfg, &h, &b, res);
	for (int i = 0; i < M_COUNT; i++) {
		report_metric(cfg, &b.m[i]);
		metric_free(&b.m[i]);
	}
	for (unsigned int c = 0; c < cfg->ncols; c++)
		if (b.seq_bs[c] && b.seq_bs[c] != 1024 * 1024)
			printf("   NOTE: %s limited the sequential requests to %u bytes\n",
			       cfg->col[c].name, b.seq_bs[c]);
	return 0;
}
