/* mem: writes an address-dependent pattern over all e820 RAM the probe
 * does not occupy (below 1 MiB and the image itself are skipped), then
 * reads it back. Ring 3, so it runs at native speed. */
#include "user.h"

static inline uint64_t pattern(uint64_t a)
{
	/* Different in every bit position for neighbouring words and for
	 * addresses that alias modulo a power of two. */
	return (a * 0x9e3779b97f4a7c15ULL) ^ (a >> 3) ^ 0xa5a5a5a55a5a5a5aULL;
}

/* The part of e820[i] to test, 8-byte aligned; false if none. */
static bool range(int i, uint64_t *start, uint64_t *end)
{
	uint64_t skip = ((uint64_t)_end + 4095) & ~4095ULL;
	if (skip < MiB)
		skip = MiB;
	uint64_t s = e820[i].addr, e = e820[i].addr + e820[i].size;
	if (e820[i].type != 1 || e < s)
		return false;
	if (s < skip)
		s = skip;
	if (e > kinfo.map_top)
		e = kinfo.map_top;
	s = (s + 7) & ~7ULL;
	e &= ~7ULL;
	*start = s;
	*end = e;
	return s < e;
}

bool scenario_mem(void)
{
	uint64_t t0 = rdtsc(), bytes = 0, s, e;

	for (int i = 0; i < e820_n; i++) {
		if (!range(i, &s, &e))
			continue;
		for (volatile uint64_t *p = (uint64_t *)s; p < (uint64_t *)e; p++)
			*p = pattern((uint64_t)p);
		bytes += e - s;
	}
	for (int i = 0; i < e820_n; i++) {
		if (!range(i, &s, &e))
			continue;
		for (volatile uint64_t *p = (uint64_t *)s; p < (uint64_t *)e; p++) {
			uint64_t want = pattern((uint64_t)p), got = *p;
			if (got != want) {
				uprintf("PROBE mem fail reason=mismatch addr=0x%lx expected=0x%lx got=0x%lx\n",
					(uint64_t)p, want, got);
				return false;
			}
		}
	}
	if (!bytes) {
		uprintf("PROBE mem fail reason=no-ram e820_entries=%d\n", e820_n);
		return false;
	}
	uprintf("PROBE mem ok bytes=%lu ms=%lu\n", bytes, tsc_us(rdtsc() - t0) / 1000);
	return true;
}
