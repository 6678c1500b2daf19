/* The token bucket that bounds how many lines a device gets logged. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "rate_limit.h"

Test(rate_limit, burst_then_rate)
{
	struct rate_limit r;
	int64_t t = 1000;

	rate_limit_init(&r, 5, 10, t);
	for (int i = 0; i < 5; i++)
		cr_assert(rate_limit_take(&r, t), "token %d of the burst", i);
	cr_assert_not(rate_limit_take(&r, t));
	cr_assert_eq(rate_limit_wait_ms(&r, t), 100, "10 a second: one per 100 ms");
	cr_assert_eq(rate_limit_wait_ms(&r, t + 60), 40);
	cr_assert_not(rate_limit_take(&r, t + 99));
	cr_assert(rate_limit_take(&r, t + 100));
	cr_assert_not(rate_limit_take(&r, t + 100));
}

Test(rate_limit, refill_stops_at_the_burst)
{
	struct rate_limit r;

	rate_limit_init(&r, 3, 1000, 0);
	for (int i = 0; i < 3; i++)
		cr_assert(rate_limit_take(&r, 0));
	/* A year of quiet (and a huge per-second rate) gives back 3, no more. */
	int64_t later = 365LL * 24 * 3600 * 1000;
	for (int i = 0; i < 3; i++)
		cr_assert(rate_limit_take(&r, later));
	cr_assert_not(rate_limit_take(&r, later));
	cr_assert_eq(rate_limit_wait_ms(&r, later), 1);
}

Test(rate_limit, a_clock_going_back_gives_nothing)
{
	struct rate_limit r;

	rate_limit_init(&r, 1, 1, 5000);
	cr_assert(rate_limit_take(&r, 5000));
	cr_assert_not(rate_limit_take(&r, 1000));
	cr_assert_eq(rate_limit_wait_ms(&r, 5000), 1000);
	cr_assert(rate_limit_take(&r, 6000));
}
