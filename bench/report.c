/* Printing: per-section metric blocks (one row per VMM with median, p10,
 * p90, min, max; the cellvm/QEMU ratio of medians; Firecracker's target
 * where one applies) and a final summary table of the key metrics. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SUMMARY 32

struct summary_row {
	char section[16];
	char label[64];
	enum unit unit;
	bool have[VMM_COUNT];
	double median[VMM_COUNT];
	const char *target;
	double target_max;
};

static struct summary_row rows[MAX_SUMMARY];
static size_t nrows;
static const char *cur_section = "";
static bool need_columns;

static const char *unit_name(enum unit u)
{
	return u == UNIT_MS ? "ms" : "MiB";
}

void report_section_header(const struct bench_cfg *cfg, const char *name, const char *what)
{
	cur_section = name;
	printf("\n== %s: %s\n", name, what);
	printf("   %u recorded run(s) per VMM after %u warm-up run(s), interleaved", cfg->runs,
	       cfg->warmup);
	for (int i = 0; i < VMM_COUNT; i++)
		if (vmm_available(cfg, (enum vmm_id)i))
			printf("%s%s", i ? ", " : " ", cfg->vmm[i].name);
	printf("\n");
	fflush(stdout);
	need_columns = true;
}

void report_metric(const struct bench_cfg *cfg, struct metric *m)
{
	struct summary sm[VMM_COUNT];
	bool have[VMM_COUNT];

	if (need_columns) {
		printf("\n   %-44s %4s %9s %9s %9s %9s %9s\n", "", "n", "median", "p10", "p90",
		       "min", "max");
		need_columns = false;
	}
	printf("   %s (%s)\n", m->label, unit_name(m->unit));
	for (int i = 0; i < VMM_COUNT; i++) {
		have[i] = series_summary(&m->s[i], &sm[i]);
		if (!vmm_available(cfg, (enum vmm_id)i))
			continue;
		printf("     %-42s", cfg->vmm[i].name);
		if (have[i])
			printf(" %4zu %9.2f %9.2f %9.2f %9.2f %9.2f\n", sm[i].n, sm[i].median,
			       sm[i].p10, sm[i].p90, sm[i].min, sm[i].max);
		else
			printf("    -  %s\n", m->na[i] ? m->na[i] : "(no successful run)");
	}
	if (have[VMM_CELLVM] && have[VMM_QEMU] && sm[VMM_QEMU].median != 0)
		printf("     %-42s      %9.3f\n", "ratio cellvm/qemu (medians)",
		       sm[VMM_CELLVM].median / sm[VMM_QEMU].median);
	if (m->target) {
		printf("     Firecracker target: %s", m->target);
		if (have[VMM_CELLVM] && m->target_max > 0)
			printf("; cellvm median %.2f %s: %s", sm[VMM_CELLVM].median,
			       unit_name(m->unit),
			       sm[VMM_CELLVM].median <= m->target_max ? "within" : "ABOVE");
		printf("\n");
	}
	printf("\n");

	if (m->in_summary && nrows < MAX_SUMMARY) {
		struct summary_row *r = &rows[nrows++];
		snprintf(r->section, sizeof(r->section), "%s", cur_section);
		snprintf(r->label, sizeof(r->label), "%s", m->label);
		r->unit = m->unit;
		r->target = m->target;
		r->target_max = m->target_max;
		for (int i = 0; i < VMM_COUNT; i++) {
			r->have[i] = have[i];
			r->median[i] = sm[i].median;
		}
	}
}

void report_failure(const struct bench_cfg *cfg, enum vmm_id id, unsigned int run,
		    const struct vm_run *r)
{
	printf("   ! %s run %u failed: %s\n", cfg->vmm[id].name, run, r->why);
	if (r->tail_len)
		printf("%.*s", (int)r->tail_len, r->tail);
}

void report_summary(const struct bench_cfg *cfg)
{
	if (nrows == 0)
		return;
	printf("\n== summary (medians; ratio = cellvm/qemu)\n\n");
	printf("   %-7s %-50s %11s %11s %8s   %s\n", "section", "metric", "cellvm", "qemu", "ratio",
	       "Firecracker target");
	for (size_t i = 0; i < nrows; i++) {
		struct summary_row *r = &rows[i];
		char c[32] = "-", q[32] = "-", ratio[16] = "-";
		if (r->have[VMM_CELLVM])
			snprintf(c, sizeof(c), "%.2f %s", r->median[VMM_CELLVM], unit_name(r->unit));
		if (r->have[VMM_QEMU])
			snprintf(q, sizeof(q), "%.2f %s", r->median[VMM_QEMU], unit_name(r->unit));
		else if (!vmm_available(cfg, VMM_QEMU))
			snprintf(q, sizeof(q), "n/a");
		if (r->have[VMM_CELLVM] && r->have[VMM_QEMU] && r->median[VMM_QEMU] != 0)
			snprintf(ratio, sizeof(ratio), "%.3f",
				 r->median[VMM_CELLVM] / r->median[VMM_QEMU]);
		printf("   %-7s %-50s %11s %11s %8s   %s%s\n", r->section, r->label, c, q, ratio,
		       r->target ? r->target : "",
		       r->target && r->target_max > 0 && r->have[VMM_CELLVM]
			       ? (r->median[VMM_CELLVM] <= r->target_max ? " (cellvm within)"
									 : " (cellvm ABOVE)")
			       : "");
	}
}

void metric_free(struct metric *m)
{
	for (int i = 0; i < VMM_COUNT; i++)
		series_free(&m->s[i]);
}
