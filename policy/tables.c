/* Which tables make up each kind. */
#include "rules.h"

static const struct policy_table *const kind_tables[POLICY_KIND_COUNT] = {
	[POLICY_CORE_MAIN] = &policy_core_main,
	[POLICY_CORE_VCPU] = &policy_core_vcpu,
	[POLICY_CORE_API] = &policy_core_api,
	[POLICY_DEV_BLK] = &policy_dev_blk,
	[POLICY_DEV_RNG] = &policy_dev_rng,
	[POLICY_DEV_VSOCK] = &policy_dev_vsock,
	[POLICY_VSOCK_BROKER] = &policy_vsock_broker,
	[POLICY_DEV_NET] = &policy_dev_net,
};

size_t policy_tables_of(enum policy_kind kind, const struct policy_table **out, size_t max)
{
	size_t n = 0;

	if ((unsigned int)kind >= POLICY_KIND_COUNT)
		return 0;
	if (n < max)
		out[n++] = &policy_base;
	if (n < max && policy_sanitizer.n)
		out[n++] = &policy_sanitizer;
	if (n < max)
		out[n++] = kind_tables[kind];
	return n;
}
