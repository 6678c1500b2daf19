/* The run schedule shared by all sections: warm-up runs, then recorded runs
 * alternating between the columns (cellvm, qemu, cellvm, qemu, ...), so slow
 * drifts of the host (other load, page cache, frequency) hit all alike. */
#include "bench.h"

#include <stdio.h>

#define NESTED_REPEATS 2

static void one_run(struct bench_cfg *cfg, const struct run_hooks *h, struct run_ctx *rc,
		    struct section_result *res)
{
	struct argv_buf a;
	struct vm_run r = { .c.pid = -1 };
	bool ok = false;

	if (h->before)
		h->before(rc);
	char why[256] = "";
	if (h->prepare && !h->prepare(rc, why, sizeof(why))) {
		snprintf(r.why, sizeof(r.why), "%s", why[0] ? why : "setup failed");
	} else {
		/* After prepare: the command line may name what it made. */
		if (h->argv) {
			h->argv(rc, &a);
		} else {
			char cmdline[256];
			snprintf(cmdline, sizeof(cmdline), "probe=%s", h->scenarios);
			vmm_argv(cfg, rc->id, cmdline, false, &a);
		}
		vm_run(&r, a.argv, h->timeout_ms ? h->timeout_ms : cfg->timeout_ms, h->on_line, rc);
		if (h->finish)
			h->finish(rc, &r);
		ok = h->passed ? h->passed(rc, &r) : vm_run_passed(&r, &cfg->vmm[rc->id]);
		if (ok && !rc->warmup)
			ok = h->record(rc, &r);
	}
	if (bench_interrupted)
		return; /* its failure is ours, not the VMM's */
	if (ok && rc->discard) {
		if (cfg->verbose)
			fprintf(stderr, "bench: %s run %u discarded (%s), repeated\n",
				cfg->col[rc->col].name, rc->run, r.why);
		res->discarded[rc->col]++;
		return;
	}
	if (cfg->verbose)
		fprintf(stderr, "bench: %s %s run %u: %s (exit %.1f ms, status 0x%x)\n",
			cfg->col[rc->col].name, rc->warmup ? "warm-up" : "recorded", rc->run,
			ok ? "ok" : r.why, r.t_exit ? ns_to_ms(r.t_exit - r.t_spawn) : 0.0,
			(unsigned int)r.status);
	if (!ok)
		report_failure(cfg, rc->col, rc->run, &r);
	/* In the nested host an L2 sometimes hangs or triple-faults whatever
	 * the VMM (QEMU's alike): such a run gets NESTED_REPEATS more tries,
	 * each counted and reported, before it counts as failed. */
	if (!ok && kvm_host_nested() && rc->nested_try < NESTED_REPEATS) {
		res->nested_repeats[rc->col]++;
		rc->repeat = true;
		return;
	}
	if (rc->warmup)
		return;
	if (ok)
		res->runs_ok[rc->col]++;
	else
		res->runs_failed[rc->col]++;
}

void run_interleaved(struct bench_cfg *cfg, const struct run_hooks *h, void *section,
		     struct section_result *res)
{
	unsigned int runs = h->runs ? h->runs : cfg->runs;

	for (unsigned int i = 0; i < cfg->warmup + runs && !bench_interrupted; i++) {
		bool warm = i < cfg->warmup;
		for (unsigned int col = 0; col < cfg->ncols && !bench_interrupted; col++) {
			if (!column_available(cfg, col))
				continue;
			unsigned int nested_try = 0;
			for (unsigned int a = 0; a <= h->retries && !bench_interrupted;) {
				struct run_ctx rc = {
					.cfg = cfg, .col = col, .id = cfg->col[col].vmm,
					.run = warm ? i + 1 : i - cfg->warmup + 1, .warmup = warm,
					.last_attempt = a == h->retries, .section = section,
					.nested_try = nested_try,
				};
				one_run(cfg, h, &rc, res);
				if (rc.repeat) {
					nested_try++;
					continue;
				}
				if (!rc.discard)
					break;
				a++;
			}
		}
	}
}
