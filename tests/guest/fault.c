/* fault: dies on purpose with a page fault from ring 3, to show that an
 * unexpected exception is reported ("PROBE fatal vector=14 ...") and ends
 * the run with debug-exit 1. Not part of demo. */
#include "user.h"

bool scenario_fault(void)
{
	/* Past the identity map (one PDPT covers at most 512 GiB). */
	volatile uint64_t *p = phys(512ULL << 30);
	uprintf("probe: fault: reading 0x%lx\n", (uint64_t)p);
	(void)*p;
	uprintf("PROBE fault fail reason=no-exception\n");
	return false;
}
