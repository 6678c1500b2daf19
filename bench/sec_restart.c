/* Section "restart": what a device restart costs (README.md, "Device
 * restart"). The probe writes its disk (probe=blkstorm: 4 KiB writes over
 * the whole disk, pass after pass) at queue depth 1 and at 32, one column
 * each, while the bench SIGKILLs cellvm-blk KILLS times per run: at the
 * first "PROBE blkstorm writing" and then 200 ms after each "device
 * restored" line of the core. Per kill, the core's own figure "restored
 * ... after T ms gone" (from its seeing the death to the new process
 * having the rings again, with the in-flight requests resubmitted);
 * per run, the guest's longest request (max_stall_us: the stall the guest
 * sees, death to the completion of a request it was waiting for). */
#include "bench.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KILLS       3
#define DISK_MIB    8
#define STORM_MS    6000
#define KILL_GAP_MS 200

enum { M_GONE, M_STALL, M_COUNT };

struct restart {
	struct metric m[M_COUNT];
	char img[4096];
	unsigned int kills;
	double gone_ms[KILLS + 4];
	unsigned int ngone;
	bool storm_ok;
	uint64_t stall_us;          /* from the guest's ok line */
};

/* cellvm's child that is the disk's device process (not the spawner). */
static pid_t find_blk(pid_t vmm)
{
	pid_t tree[16];
	size_t n = process_tree(vmm, tree, 16);

	for (size_t i = 1; i < n; i++) {
		char path[64], comm[32] = "";
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)tree[i]);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && strncmp(comm, "cellvm-blk", 10) == 0) {
			fclose(f);
			return tree[i];
		}
		fclose(f);
	}
	return 0;
}

static void kill_blk(struct restart *x, struct vm_run *r)
{
	pid_t blk = find_blk(r->pid);

	if (blk > 0 && kill(blk, SIGKILL) == 0)
		x->kills++;
}

static int on_line(struct vm_run *r, const struct vm_line *l, void *arg)
{
	struct run_ctx *rc = arg;
	struct restart *x = rc->section;
	const char *p;

	if (l->stream == STREAM_OUT && (p = strstr(l->text, "PROBE blkstorm ok "))) {
		x->storm_ok = line_key_u64(p, "max_stall_us", &x->stall_us);
	} else if (l->stream == STREAM_OUT && strstr(l->text, "PROBE blkstorm writing") &&
		   !x->kills) {
		kill_blk(x, r);
	} else if (l->stream == STREAM_ERR && (p = strstr(l->text, "device restored ("))) {
		const char *after = strstr(p, " after ");
		if (after && x->ngone < sizeof(x->gone_ms) / sizeof(x->gone_ms[0]))
			x->gone_ms[x->ngone++] = strtod(after + 7, NULL);
		if (x->kills < KILLS) {
			sleep_ms(KILL_GAP_MS);
			kill_blk(x, r);
		}
	}
	return 0;
}

static void before(struct run_ctx *rc)
{
	struct restart *x = rc->section;

	x->kills = 0;
	x->ngone = 0;
	x->storm_ok = false;
}

static bool prepare(struct run_ctx *rc, char *why, size_t len)
{
	struct restart *x = rc->section;

	return workdir_image(rc->cfg, "restart.img", DISK_MIB, x->img, sizeof(x->img), why,
			     len) == 0;
}

static void hook_argv(struct run_ctx *rc, struct argv_buf *a)
{
	struct restart *x = rc->section;
	char cmdline[128], disk[4200];

	snprintf(cmdline, sizeof(cmdline), "probe=blkstorm probe.storm.qd=%u probe.storm.ms=%u",
		 rc->col == 0 ? 1u : 32u, STORM_MS);
	vmm_argv(rc->cfg, VMM_CELLVM, cmdline, true, a);
	snprintf(disk, sizeof(disk), "path=%s", x->img);
	argv_add(a, "--disk");
	argv_add(a, disk);
}

static bool record(struct run_ctx *rc, struct vm_run *r)
{
	struct restart *x = rc->section;
	if (!x->storm_ok) {
		snprintf(r->why, sizeof(r->why), "no blkstorm ok line");
		return false;
	}
	if (x->ngone < KILLS) {
		snprintf(r->why, sizeof(r->why), "%u of %u kills came back before the guest ended",
			 x->ngone, KILLS);
		return false;
	}
	for (unsigned int i = 0; i < x->ngone; i++)
		series_add(&x->m[M_GONE].s[rc->col], x->gone_ms[i]);
	series_add(&x->m[M_STALL].s[rc->col], (double)x->stall_us / 1e3);
	return true;
}

int section_restart(struct bench_cfg *cfg, struct section_result *res)
{
	static struct restart x = {
		.m = {
			[M_GONE] = { .label = "blk death seen -> restored (core log), per kill",
				     .unit = UNIT_MS, .in_summary = true },
			[M_STALL] = { .label = "guest-visible stall (longest request), per run",
				      .unit = UNIT_MS, .in_summary = true },
		},
	};
	columns_reset(cfg);
	column_add(cfg, "cellvm qd1", VMM_CELLVM);
	column_add(cfg, "cellvm qd32", VMM_CELLVM);
	struct run_hooks h = { .scenarios = "blkstorm", .on_line = on_line, .record = record,
			       .before = before, .argv = hook_argv, .prepare = prepare,
			       .timeout_ms = 120000 };
	report_section_header(cfg, "restart",
			      "cellvm-blk SIGKILLed 3 times per run while the probe writes at "
			      "queue depth 1 / 32 (probe=blkstorm)",
			      cfg->runs);
	run_interleaved(cfg, &h, &x, res);
	report_table(cfg, x.m, M_COUNT);
	for (int i = 0; i < M_COUNT; i++) {
		report_metric(cfg, &x.m[i]);
		metric_free(&x.m[i]);
	}
	return 0;
}
