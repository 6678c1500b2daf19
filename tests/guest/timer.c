/* timer: the LAPIC timer, periodic with divide-by-16, must interrupt at
 * least ten times within a TSC-bounded wait. Ring 3 spins rather than
 * halts, so a timer that never fires cannot hang the probe. */
#include "user.h"

/* 62.5 MHz after the divider on KVM's 1 GHz APIC clock: 10 ms a tick. */
#define TIMER_COUNT 625000
#define WANT_TICKS  10

bool scenario_timer(void)
{
	uint64_t t0 = rdtsc(), deadline = t0 + us_tsc(5000000);
	uint64_t start = timer_ticks;

	ucall(SYS_TIMER, TIMER_COUNT, 1, 0);
	while (timer_ticks - start < WANT_TICKS && (int64_t)(rdtsc() - deadline) < 0)
		cpu_relax();
	uint64_t n = timer_ticks - start, us = tsc_us(rdtsc() - t0);
	ucall(SYS_TIMER, 0, 0, 0);

	if (n < WANT_TICKS) {
		uprintf("PROBE timer fail reason=timeout ticks=%lu ms=%lu\n", n, us / 1000);
		return false;
	}
	uprintf("PROBE timer ok ticks=%lu period_us=%lu\n", n, us / n);
	return true;
}
