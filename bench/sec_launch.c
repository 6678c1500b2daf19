/* Section "launch": boot the probe with probe=hello (it prints a few lines
 * and ends the VM) and time, from just before fork() of the VMM:
 *   - the guest's first instruction (cellvm only: arrival of its boot-timer
 *     log line on stderr; the probe's first action is the boot-timer write);
 *   - the first byte of the probe's first serial line (both VMMs);
 *   - the start of the "PROBE ready" line (ring-0 setup done; both);
 *   - the VMM's exit (whole VM lifetime; both), and how much of that comes
 *     after the probe's last line "PROBE done" (debug-exit, VM teardown);
 * and the CPU time the VMM process used (wait4 rusage, user + system; it
 * includes the vCPU threads, so guest execution is charged to the VMM). */
#include "bench.h"

#include <stdio.h>

enum {
	M_BT_SPAWN, M_BT_MAIN, M_BT_CPU, M_FIRST, M_READY, M_EXIT, M_TEARDOWN, M_CPU, M_COUNT
};

struct launch {
	struct metric m[M_COUNT];
};

static bool record(struct run_ctx *rc, struct vm_run *r)
{
	struct launch *l = rc->section;
	unsigned int id = rc->col;

	if (!r->t_first_line) {
		snprintf(r->why, sizeof(r->why), "no probe line on the serial console");
		return false;
	}
	if (r->bt_seen) {
		series_add(&l->m[M_BT_MAIN].s[id], (double)r->bt_us / 1e3);
		series_add(&l->m[M_BT_CPU].s[id], (double)r->bt_cpu_us / 1e3);
		series_add(&l->m[M_BT_SPAWN].s[id], ns_to_ms(r->t_bt_line - r->t_spawn));
	}
	series_add(&l->m[M_FIRST].s[id], ns_to_ms(r->t_first_line - r->t_spawn));
	series_add(&l->m[M_READY].s[id], ns_to_ms(r->t_ready - r->t_spawn));
	series_add(&l->m[M_EXIT].s[id], ns_to_ms(r->t_exit - r->t_spawn));
	series_add(&l->m[M_TEARDOWN].s[id], ns_to_ms(r->t_exit - r->t_done));
	series_add(&l->m[M_CPU].s[id], rusage_cpu_ms(&r->ru));
	return true;
}

int section_launch(struct bench_cfg *cfg, struct section_result *res)
{
	static const char no_bt[] = "(no boot timer; see the serial-byte metric)";
	struct launch l = {
		.m = {
			[M_BT_SPAWN] = { .label = "spawn -> guest 1st instruction (boot-timer write)",
					 .unit = UNIT_MS, .in_summary = true },
			[M_BT_MAIN] = { .label = "  cellvm Guest-boot-time (from its main())",
					.unit = UNIT_MS },
			[M_BT_CPU] = { .label = "VMM CPU until guest 1st instruction",
				       .unit = UNIT_MS, .in_summary = true,
				       .target = "<= 8 CPU ms, process start -> API socket",
				       .target_max = 8 },
			[M_FIRST] = { .label = "spawn -> first serial byte", .unit = UNIT_MS,
				      .in_summary = true },
			[M_READY] = { .label = "spawn -> \"PROBE ready\"", .unit = UNIT_MS,
				      .in_summary = true,
				      .target = "<= 125 ms, InstanceStart -> guest /sbin/init",
				      .target_max = 125 },
			[M_EXIT] = { .label = "spawn -> VMM exit (probe=hello)", .unit = UNIT_MS,
				     .in_summary = true },
			[M_TEARDOWN] = { .label = "  \"PROBE done\" -> VMM exit (end + teardown)",
					 .unit = UNIT_MS },
			[M_CPU] = { .label = "VMM CPU per launch (user+sys, incl. vCPU)",
				    .unit = UNIT_MS, .in_summary = true },
		},
	};
	columns_default(cfg);
	for (int i = M_BT_SPAWN; i <= M_BT_CPU; i++)
		for (unsigned int c = 0; c < cfg->ncols; c++)
			if (!cfg->vmm[cfg->col[c].vmm].has_boot_timer)
				l.m[i].na[c] = no_bt;

	struct run_hooks h = { .scenarios = "hello", .record = record };
	report_section_header(cfg, "launch",
			      "launch latency and CPU, probe=hello, 1 vCPU; times from just "
			      "before fork() of the VMM",
			      cfg->runs);
	run_interleaved(cfg, &h, &l, res);
	for (int i = 0; i < M_COUNT; i++) {
		report_metric(cfg, &l.m[i]);
		metric_free(&l.m[i]);
	}
	return 0;
}
