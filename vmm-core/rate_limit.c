#include "rate_limit.h"

void rate_limit_init(struct rate_limit *r, uint32_t burst, uint32_t per_sec, int64_t now_ms)
{
	r->cap_milli = (uint64_t)burst * 1000;
	r->milli = r->cap_milli;
	r->per_sec = per_sec ? per_sec : 1;
	r->last_ms = now_ms;
}

/* per_sec tokens a second are per_sec thousandths a millisecond. */
static void rate_limit_refill(struct rate_limit *r, int64_t now_ms)
{
	if (now_ms <= r->last_ms)
		return; /* a clock that did not move, or a caller's older reading */
	uint64_t elapsed = (uint64_t)(now_ms - r->last_ms);
	uint64_t room = r->cap_milli - r->milli;
	/* Compared before multiplying: a long quiet spell cannot overflow. */
	if (elapsed >= room / r->per_sec + 1)
		r->milli = r->cap_milli;
	else
		r->milli += elapsed * r->per_sec;
	r->last_ms = now_ms;
}

bool rate_limit_take(struct rate_limit *r, int64_t now_ms)
{
	rate_limit_refill(r, now_ms);
	if (r->milli < 1000)
		return false;
	r->milli -= 1000;
	return true;
}

int64_t rate_limit_wait_ms(struct rate_limit *r, int64_t now_ms)
{
	rate_limit_refill(r, now_ms);
	if (r->milli >= 1000)
		return 0;
	return (int64_t)((1000 - r->milli + r->per_sec - 1) / r->per_sec);
}
