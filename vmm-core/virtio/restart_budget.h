/* How often a device may be brought back: at most RESTART_BUDGET_MAX
 * charged restarts within any RESTART_BUDGET_WINDOW_MS; the next charged
 * one after that leaves the device in NEEDS_RESET (a crash loop must end).
 * A restart is charged when the process it replaces completed no request
 * (it died before answering: the crash loop the budget is for, including
 * a request that kills every process it is replayed to) or when the
 * restore itself failed; a device that was doing its work when it was
 * killed is brought back whatever the count (dev_restart.c). */
#ifndef CELLVM_RESTART_BUDGET_H
#define CELLVM_RESTART_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#define RESTART_BUDGET_MAX       5
#define RESTART_BUDGET_WINDOW_MS 60000u

struct restart_budget {
	uint64_t at_ms[RESTART_BUDGET_MAX]; /* the last restarts, oldest first */
	unsigned int n;
};

/* true, and the restart counted, when fewer than RESTART_BUDGET_MAX
 * restarts happened in the window ending at now_ms (a monotonic clock);
 * false when the budget is spent. */
bool restart_budget_take(struct restart_budget *b, uint64_t now_ms);

#endif
