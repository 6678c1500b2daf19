/* The run schedule shared by all sections: warm-up runs, then recorded runs
 * alternating between the VMMs (cellvm, qemu, cellvm, qemu, ...), so slow
 * drifts of the host (other load, page cache, frequency) hit both alike. */
#include "bench.h"

#include <stdio.h>

static void one_run(struct bench_cfg *cfg, const struct run_hooks *h, struct run_ctx *rc,
		    struct section_result *res)
{
	char *argv[48];
	char storage[1024];
	struct vm_run r;

	vmm_argv(cfg, rc->id, h->scenarios, argv, 48, storage, sizeof(storage));
	if (h->before)
		h->before(rc);
	vm_run(&r, argv, cfg->timeout_ms, h->on_line, rc);
	bool ok = vm_run_passed(&r, &cfg->vmm[rc->id]);
	if (ok && !rc->warmup)
		ok = h->record(rc, &r);
	if (cfg->verbose)
		fprintf(stderr, "bench: %s %s run %u: %s (exit %.1f ms, status 0x%x)\n",
			cfg->vmm[rc->id].name, rc->warmup ? "warm-up" : "recorded", rc->run,
			ok ? "ok" : r.why, ns_to_ms(r.t_exit - r.t_spawn), (unsigned int)r.status);
	if (!ok)
		report_failure(cfg, rc->id, rc->run, &r);
	if (rc->warmup)
		return;
	if (ok)
		res->runs_ok[rc->id]++;
	else
		res->runs_failed[rc->id]++;
}

void run_interleaved(struct bench_cfg *cfg, const struct run_hooks *h, void *section,
		     struct section_result *res)
{
	for (unsigned int i = 0; i < cfg->warmup + cfg->runs; i++) {
		bool warm = i < cfg->warmup;
		for (int id = 0; id < VMM_COUNT; id++) {
			if (!vmm_available(cfg, (enum vmm_id)id))
				continue;
			struct run_ctx rc = { .cfg = cfg, .id = (enum vmm_id)id,
					      .run = warm ? i + 1 : i - cfg->warmup + 1,
					      .warmup = warm, .section = section };
			one_run(cfg, h, &rc, res);
		}
	}
}
