#include <string.h>

#include "restart_budget.h"

bool restart_budget_take(struct restart_budget *b, uint64_t now_ms)
{
	unsigned int keep = 0;

	/* Forget restarts that left the window. */
	for (unsigned int i = 0; i < b->n; i++) {
		if (now_ms - b->at_ms[i] < RESTART_BUDGET_WINDOW_MS)
			b->at_ms[keep++] = b->at_ms[i];
	}
	b->n = keep;
	if (b->n == RESTART_BUDGET_MAX)
		return false;
	b->at_ms[b->n++] = now_ms;
	return true;
}
