/* Printing: per-section metric blocks (one row per column with median,
 * p10, p90, min, max; the ratio of column 0's median to each other
 * column's; Firecracker's target where one applies) and a final summary
 * table of the key metrics, grouped by section. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SUMMARY 48

struct summary_row {
	char section[16];
	char label[64];
	enum unit unit;
	unsigned int ncols;
	const char *col[MAX_COLS];   /* column names (string literals) */
	bool have[MAX_COLS];
	double median[MAX_COLS];
	const char *target;
	double target_max;
};

static struct summary_row rows[MAX_SUMMARY];
static size_t nrows;
static const char *cur_section = "";
static bool need_columns;

const char *unit_name(enum unit u)
{
	switch (u) {
	case UNIT_MS: return "ms";
	case UNIT_MIB: return "MiB";
	case UNIT_IOPS: return "IOPS";
	case UNIT_MBS: return "MB/s";
	case UNIT_US: return "us";
	case UNIT_NS: return "ns";
	case UNIT_PER_REQ: return "per request";
	case UNIT_PCT: return "%";
	}
	return "?";
}

/* Width 9, as many decimals as the magnitude deserves: IOPS need none,
 * a main thread's few microseconds of CPU (in ms) need four. */
static const char *fmt9(double v, char *buf, size_t len)
{
	double a = v < 0 ? -v : v;
	int prec = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 1 || a == 0 ? 2 : 4;
	snprintf(buf, len, "%9.*f", prec, v);
	return buf;
}

void report_section_header(const struct bench_cfg *cfg, const char *name, const char *what,
			   unsigned int runs)
{
	cur_section = name;
	printf("\n== %s: %s\n", name, what);
	printf("   %u recorded run(s) per column after %u warm-up run(s), interleaved:", runs,
	       cfg->warmup);
	for (unsigned int i = 0; i < cfg->ncols; i++)
		if (column_available(cfg, i))
			printf(" %s", cfg->col[i].name);
	printf("\n");
	for (unsigned int i = 0; i < cfg->ncols; i++)
		if (!column_available(cfg, i))
			printf("   %s NOT RUN: %s\n", cfg->col[i].name, cfg->col[i].why_missing);
	fflush(stdout);
	need_columns = true;
}

void report_metric(const struct bench_cfg *cfg, struct metric *m)
{
	struct summary sm[MAX_COLS];
	bool have[MAX_COLS];

	if (bench_interrupted)
		return; /* partial series would read as results */
	if (need_columns) {
		printf("\n   %-44s %4s %9s %9s %9s %9s %9s\n", "", "n", "median", "p10", "p90",
		       "min", "max");
		need_columns = false;
	}
	printf("   %s (%s)\n", m->label, unit_name(m->unit));
	for (unsigned int i = 0; i < cfg->ncols; i++) {
		have[i] = series_summary(&m->s[i], &sm[i]);
		if (!column_available(cfg, i))
			continue;
		printf("     %-42s", cfg->col[i].name);
		if (have[i]) {
			char b[5][32];
			printf(" %4zu %s %s %s %s %s\n", sm[i].n, fmt9(sm[i].median, b[0], 32),
			       fmt9(sm[i].p10, b[1], 32), fmt9(sm[i].p90, b[2], 32),
			       fmt9(sm[i].min, b[3], 32), fmt9(sm[i].max, b[4], 32));
		} else
			printf("    -  %s\n", m->na[i] ? m->na[i] : "(no successful run)");
	}
	for (unsigned int i = 1; i < cfg->ncols; i++) {
		char label[64];
		if (!have[0] || !have[i] || sm[i].median == 0)
			continue;
		snprintf(label, sizeof(label), "ratio %s/%s (medians)", cfg->col[0].name,
			 cfg->col[i].name);
		printf("     %-42s      %9.3f\n", label, sm[0].median / sm[i].median);
	}
	if (m->target) {
		printf("     Firecracker target: %s", m->target);
		if (have[0] && m->target_max > 0)
			printf("; %s median %.2f %s: %s", cfg->col[0].name, sm[0].median,
			       unit_name(m->unit), sm[0].median <= m->target_max ? "within" : "ABOVE");
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
		r->ncols = 0;
		for (unsigned int i = 0; i < cfg->ncols; i++) {
			if (!column_available(cfg, i))
				continue;
			r->col[r->ncols] = cfg->col[i].name;
			r->have[r->ncols] = have[i];
			r->median[r->ncols++] = sm[i].median;
		}
	}
}

/* "median / p90" of one column, trimmed, or "-". */
static void median_p90(const struct metric *m, unsigned int col, char *out, size_t len,
		       struct summary *sm)
{
	char a[32], b[32];

	if (!series_summary(&m->s[col], sm)) {
		snprintf(out, len, "-");
		return;
	}
	fmt9(sm->median, a, sizeof(a));
	fmt9(sm->p90, b, sizeof(b));
	snprintf(out, len, "%s / %s", a + strspn(a, " "), b + strspn(b, " "));
}

void report_table(const struct bench_cfg *cfg, struct metric *m, size_t n)
{
	if (bench_interrupted || n == 0)
		return;
	printf("   side by side: median / p90 per column; ratio = %s / that column (medians)\n",
	       cfg->col[0].name);
	printf("   %-46s", "");
	for (unsigned int c = 0; c < cfg->ncols; c++)
		if (column_available(cfg, c))
			printf(c ? " %19s %7s" : " %19s", cfg->col[c].name, c ? "ratio" : "");
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		struct summary first = { 0 };
		char label[96];
		snprintf(label, sizeof(label), "%s (%s)", m[i].label, unit_name(m[i].unit));
		printf("   %-46.46s", label);
		for (unsigned int c = 0; c < cfg->ncols; c++) {
			struct summary sm;
			char v[48], ratio[16] = "-";
			if (!column_available(cfg, c))
				continue;
			median_p90(&m[i], c, v, sizeof(v), &sm);
			if (c == 0) {
				first = sm;
				printf(" %19s", v);
				continue;
			}
			if (first.n && sm.n && sm.median != 0)
				snprintf(ratio, sizeof(ratio), "%.3f", first.median / sm.median);
			printf(" %19s %7s", v, ratio);
		}
		printf("\n");
	}
	printf("\n");
}

void report_failure(const struct bench_cfg *cfg, unsigned int col, unsigned int run,
		    const struct vm_run *r)
{
	printf("   ! %s run %u failed: %s\n", cfg->col[col].name, run, r->why);
	if (r->tail_len)
		printf("%.*s", (int)r->tail_len, r->tail);
}

static bool same_columns(const struct summary_row *a, const struct summary_row *b)
{
	if (strcmp(a->section, b->section) != 0 || a->ncols != b->ncols)
		return false;
	for (unsigned int i = 0; i < a->ncols; i++)
		if (strcmp(a->col[i], b->col[i]) != 0)
			return false;
	return true;
}

static void print_value(const struct summary_row *r, unsigned int i)
{
	char v[48] = "-", num[32];
	if (r->have[i])
		snprintf(v, sizeof(v), "%s %s", fmt9(r->median[i], num, sizeof(num)) + strspn(num, " "),
			 unit_name(r->unit));
	printf(" %13s", v);
	if (i == 0)
		return;
	char ratio[16] = "-";
	if (r->have[0] && r->have[i] && r->median[i] != 0)
		snprintf(ratio, sizeof(ratio), "%.3f", r->median[0] / r->median[i]);
	printf(" %7s", ratio);
}

void report_summary(void)
{
	if (nrows == 0)
		return;
	printf("\n== summary (medians; each ratio = first column / that column)\n");
	for (size_t i = 0; i < nrows; i++) {
		struct summary_row *r = &rows[i];
		if (i == 0 || !same_columns(r, &rows[i - 1])) {
			printf("\n   %-50s", r->section);
			for (unsigned int c = 0; c < r->ncols; c++)
				printf(c ? " %13s %7s" : " %13s", r->col[c], c ? "ratio" : "");
			printf("\n");
		}
		printf("   %-50.50s", r->label);
		for (unsigned int c = 0; c < r->ncols; c++)
			print_value(r, c);
		if (r->target)
			printf("   FC target %s%s", r->target,
			       r->target_max > 0 && r->have[0]
				       ? (r->median[0] <= r->target_max ? " (within)" : " (ABOVE)")
				       : "");
		printf("\n");
	}
}

void metric_free(struct metric *m)
{
	for (int i = 0; i < MAX_COLS; i++)
		series_free(&m->s[i]);
}
