/* The columns of a section: what it runs side by side. Column 0 is the
 * reference of every ratio, so sections put cellvm there. */
#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void columns_reset(struct bench_cfg *cfg)
{
	cfg->ncols = 0;
}

struct column *column_add(struct bench_cfg *cfg, const char *name, enum vmm_id vmm)
{
	if (cfg->ncols == MAX_COLS) {
		fprintf(stderr, "bench: internal error: more than %d columns\n", MAX_COLS);
		abort();
	}
	struct column *c = &cfg->col[cfg->ncols++];
	*c = (struct column){ .name = name, .vmm = vmm };
	if (!vmm_available(cfg, vmm)) {
		const char *why = cfg->vmm[vmm].why_missing;
		size_t n = strnlen(why, sizeof(c->why_missing) - 1);
		memcpy(c->why_missing, why, n);
		c->why_missing[n] = '\0';
	}
	return c;
}

void column_missing(struct column *c, const char *fmt, ...)
{
	va_list ap;

	if (c->why_missing[0])
		return; /* the first reason stays */
	va_start(ap, fmt);
	vsnprintf(c->why_missing, sizeof(c->why_missing), fmt, ap);
	va_end(ap);
}

bool column_available(const struct bench_cfg *cfg, unsigned int col)
{
	return col < cfg->ncols && !cfg->col[col].why_missing[0];
}

void columns_default(struct bench_cfg *cfg)
{
	columns_reset(cfg);
	column_add(cfg, "cellvm", VMM_CELLVM);
	column_add(cfg, "qemu", VMM_QEMU);
}
