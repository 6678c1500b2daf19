/* A token bucket: up to `burst` events at once, then `per_sec` a second.
 * The caller passes the time (CLOCK_MONOTONIC, ms), so the bucket itself
 * is plain arithmetic and tests can drive its clock. */
#ifndef CELLVM_RATE_LIMIT_H
#define CELLVM_RATE_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct rate_limit {
	uint64_t milli;     /* tokens, in thousandths so refills need no floats */
	uint64_t cap_milli; /* burst * 1000 */
	uint32_t per_sec;
	int64_t last_ms;    /* when milli was last brought up to date */
};

/* Starts full. per_sec must be at least 1. */
void rate_limit_init(struct rate_limit *r, uint32_t burst, uint32_t per_sec, int64_t now_ms);
/* Takes one token: false when none is left. */
bool rate_limit_take(struct rate_limit *r, int64_t now_ms);
/* ms until a token is there (0: now). */
int64_t rate_limit_wait_ms(struct rate_limit *r, int64_t now_ms);

#endif
