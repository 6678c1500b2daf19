/* The disk content the probe's blk scenario writes, shared with the host
 * tests that recompute it (tests/integration): only <stdint.h> here, so
 * both the freestanding guest and the hosted tests can include it. */
#ifndef PROBE_BLK_PATTERN_H
#define PROBE_BLK_PATTERN_H

#include <stdint.h>

/* The little-endian 64-bit word at byte offset off (a multiple of 8) of a
 * disk written with seed s: a splitmix64 finaliser of off + s * phi, so
 * every word of a disk differs and every seed gives another disk. The
 * blk scenario uses seed probe.blk.seed= plus the disk's number. */
static inline uint64_t blk_pattern(uint64_t off, uint64_t seed)
{
	uint64_t x = off + seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

#endif
