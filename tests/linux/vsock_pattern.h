/* The stream contents vsock tests send, and the checksum both ends
 * compute: shared by the guest's vsockcheck and the host tests, so either
 * side can tell every byte it got is the byte that was sent. Only
 * <stdint.h> and <stddef.h>: built static for the initramfs and into the
 * integration tests. */
#ifndef TESTS_VSOCK_PATTERN_H
#define TESTS_VSOCK_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#include "../guest/blk_pattern.h"

/* Byte off of the stream with seed s. */
static inline uint8_t vsock_pattern_byte(uint64_t seed, uint64_t off)
{
	return (uint8_t)(blk_pattern(off & ~7ull, seed ^ 0x5653u) >> ((off & 7) * 8));
}

static inline void vsock_pattern_fill(uint8_t *buf, size_t n, uint64_t seed, uint64_t off)
{
	size_t i = 0;

	for (; i < n && ((off + i) & 7); i++)
		buf[i] = vsock_pattern_byte(seed, off + i);
	for (; i + 8 <= n; i += 8) {
		uint64_t w = blk_pattern(off + i, seed ^ 0x5653u);
		for (int k = 0; k < 8; k++)
			buf[i + (size_t)k] = (uint8_t)(w >> (8 * k));
	}
	for (; i < n; i++)
		buf[i] = vsock_pattern_byte(seed, off + i);
}

/* Index of the first byte of buf that is not the pattern at off, or n. */
static inline size_t vsock_pattern_check(const uint8_t *buf, size_t n, uint64_t seed, uint64_t off)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != vsock_pattern_byte(seed, off + i))
			return i;
	return n;
}

/* FNV-1a, 64 bits: start with VSOCK_SUM_INIT. */
#define VSOCK_SUM_INIT 0xcbf29ce484222325ull

static inline uint64_t vsock_sum(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

#endif
