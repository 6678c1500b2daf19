/* Names of the kinds and modes, as the command lines spell them. */
#include <errno.h>
#include <string.h>

#include "policy.h"

static const char *const kind_names[POLICY_KIND_COUNT] = {
	[POLICY_CORE_MAIN] = "core-main",
	[POLICY_CORE_VCPU] = "core-vcpu",
	[POLICY_CORE_API] = "core-api",
	[POLICY_DEV_BLK] = "blk",
	[POLICY_DEV_RNG] = "rng",
	[POLICY_DEV_VSOCK] = "vsock",
	[POLICY_VSOCK_BROKER] = "vsock-broker",
	[POLICY_DEV_NET] = "net",
};

static const char *const mode_names[POLICY_MODE_COUNT] = {
	[POLICY_MODE_KILL] = "kill",
	[POLICY_MODE_LOG] = "log",
	[POLICY_MODE_OFF] = "off",
};


const char *policy_kind_name(enum policy_kind kind)
{
	return (unsigned int)kind < POLICY_KIND_COUNT ? kind_names[kind] : "?";
}

int policy_kind_parse(const char *name, enum policy_kind *kind)
{
	for (unsigned int i = 0; i < POLICY_KIND_COUNT; i++) {
		if (strcmp(name, kind_names[i]) == 0) {
			*kind = (enum policy_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *policy_mode_name(enum policy_mode mode)
{
	return (unsigned int)mode < POLICY_MODE_COUNT ? mode_names[mode] : "?";
}

int policy_mode_parse(const char *s, enum policy_mode *mode)
{
	for (unsigned int i = 0; i < POLICY_MODE_COUNT; i++) {
		if (strcmp(s, mode_names[i]) == 0) {
			*mode = (enum policy_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}
