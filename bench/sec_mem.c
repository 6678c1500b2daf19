/* Section "mem": the VMM's memory overhead while the guest is alive and
 * idle. The probe's "serial" scenario prints "PROBE serial waiting" and
 * waits (up to ~10 s) for a line on COM1; once that line appears the bench
 * lets the VMM settle, samples /proc (pss.c), then sends a line so the
 * guest finishes. Overhead = PSS of the VMM (and descendants) minus the PSS
 * of its guest-RAM memfd mapping(s), as Firecracker's memory test counts it. */
#include "bench.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum {
	M_PSS, M_PSS_ANON, M_PSS_FILE, M_USS, M_RSS, M_HWM, M_GUEST, M_CPU, M_COUNT
};

struct mem {
	struct metric m[M_COUNT];
	/* this run's sample */
	bool sampled;
	int sample_ret;
	char err[256];
	struct mem_sample s;
};

static int on_line(struct vm_run *r, const struct vm_line *l, void *arg)
{
	struct run_ctx *rc = arg;
	struct mem *m = rc->section;

	if (l->stream != STREAM_OUT || m->sampled || strcmp(l->text, "PROBE serial waiting") != 0)
		return 0;
	m->sampled = true;
	struct timespec ts = { .tv_sec = rc->cfg->settle_ms / 1000,
			       .tv_nsec = (long)(rc->cfg->settle_ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
	m->sample_ret = mem_sample_tree(r->c.pid, rc->cfg->vmm[rc->id].ram_memfds, &m->s, m->err,
					sizeof(m->err));
	return vm_run_write(r, "bench\n") < 0 ? -1 : 0;
}

static void before(struct run_ctx *rc)
{
	struct mem *m = rc->section;
	m->sampled = false;
	m->sample_ret = 0;
	m->err[0] = '\0';
}

static double mib(long kib)
{
	return (double)kib / 1024.0;
}

static bool record(struct run_ctx *rc, struct vm_run *r)
{
	struct mem *m = rc->section;
	struct mem_sample *s = &m->s;
	unsigned int id = rc->col;

	if (!m->sampled) {
		snprintf(r->why, sizeof(r->why), "no \"PROBE serial waiting\" line");
		return false;
	}
	if (m->sample_ret < 0) {
		snprintf(r->why, sizeof(r->why), "%s", m->err);
		return false;
	}
	series_add(&m->m[M_PSS].s[id], mib(s->pss - s->guest_pss));
	series_add(&m->m[M_PSS_ANON].s[id], mib(s->pss_anon));
	series_add(&m->m[M_PSS_FILE].s[id], mib(s->pss_file));
	series_add(&m->m[M_USS].s[id], mib(s->uss - s->guest_uss));
	series_add(&m->m[M_RSS].s[id], mib(s->rss));
	series_add(&m->m[M_HWM].s[id], mib(s->hwm));
	series_add(&m->m[M_GUEST].s[id], mib(s->guest_pss));
	series_add(&m->m[M_CPU].s[id], ns_to_ms(s->cpu_ns));
	if (rc->cfg->verbose)
		fprintf(stderr,
			"bench: %s mem: %u process(es), %u thread(s), %u guest-RAM mapping(s), "
			"PSS %ld KiB (guest %ld), USS %ld KiB (guest %ld), RSS %ld KiB\n",
			rc->cfg->col[id].name, s->nproc, s->nthreads, s->guest_maps, s->pss,
			s->guest_pss, s->uss, s->guest_uss, s->rss);
	return true;
}

int section_mem(struct bench_cfg *cfg, struct section_result *res)
{
	struct mem m = {
		.m = {
			[M_PSS] = { .label = "VMM overhead: PSS - guest-RAM PSS", .unit = UNIT_MIB,
				    .in_summary = true,
				    .target = "<= 5 MiB VMM overhead", .target_max = 5 },
			[M_PSS_ANON] = { .label = "  of it anonymous (heap, stacks)",
					 .unit = UNIT_MIB },
			[M_PSS_FILE] = { .label = "  of it file-backed (binary, libraries)",
					 .unit = UNIT_MIB },
			[M_USS] = { .label = "VMM overhead: USS - guest-RAM USS", .unit = UNIT_MIB,
				    .in_summary = true },
			[M_RSS] = { .label = "RSS (incl. resident guest RAM)", .unit = UNIT_MIB },
			[M_HWM] = { .label = "VmHWM (peak RSS, incl. guest RAM)",
				    .unit = UNIT_MIB },
			[M_GUEST] = { .label = "guest RAM resident (memfd PSS)", .unit = UNIT_MIB },
			[M_CPU] = { .label = "VMM CPU until sampled (incl. vCPU)", .unit = UNIT_MS },
		},
	};
	char what[160];
	snprintf(what, sizeof(what),
		 "VMM memory while the guest idles, probe=serial, %u MiB guest RAM; sampled "
		 "%u ms after \"PROBE serial waiting\"",
		 cfg->mem_mib, cfg->settle_ms);

	struct run_hooks h = { .scenarios = "serial", .on_line = on_line, .record = record,
			       .before = before };
	columns_default(cfg);
	report_section_header(cfg, "mem", what, cfg->runs);
	run_interleaved(cfg, &h, &m, res);
	for (int i = 0; i < M_COUNT; i++) {
		report_metric(cfg, &m.m[i]);
		metric_free(&m.m[i]);
	}
	return 0;
}
