/* The allowlist tables: one per process or thread kind, each entry a
 * syscall and at most two argument checks that must all hold. Several
 * entries for one syscall are alternatives. Shared by the build-time BPF
 * generator and the unit tests; nothing here needs libseccomp. */
#ifndef CELLVM_POLICY_RULES_H
#define CELLVM_POLICY_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "policy.h"

enum policy_cmp {
	POLICY_CMP_EQ,        /* (arg & mask) == value, mask 0 meaning all 64 bits */
	POLICY_CMP_MASKED_EQ, /* (arg & mask) == value */
};

struct policy_arg {
	uint8_t index;        /* syscall argument, 0..5 */
	uint8_t cmp;          /* enum policy_cmp */
	uint64_t mask;
	uint64_t value;
};

#define POLICY_MAX_ARGS 2

struct policy_rule {
	int nr;               /* __NR_* for x86_64 */
	unsigned int nargs;
	struct policy_arg args[POLICY_MAX_ARGS];
};

struct policy_table {
	const struct policy_rule *rules;
	size_t n;
};

/* Entries. The kernel reads ioctl and fcntl commands as 32-bit values, so
 * those compare the low 32 bits only, exactly what the kernel acts on. */
#define ALLOW(name) { .nr = __NR_##name }
#define ALLOW_IF(name, a0) { .nr = __NR_##name, .nargs = 1, .args = { a0 } }
#define ALLOW_IF2(name, a0, a1) { .nr = __NR_##name, .nargs = 2, .args = { a0, a1 } }
#define ARG_EQ(i, v) { .index = (i), .cmp = POLICY_CMP_EQ, .value = (uint64_t)(v) }
#define ARG_EQ32(i, v) \
	{ .index = (i), .cmp = POLICY_CMP_MASKED_EQ, .mask = 0xffffffffu, .value = (uint32_t)(v) }
#define ARG_BITS_CLEAR(i, bits) \
	{ .index = (i), .cmp = POLICY_CMP_MASKED_EQ, .mask = (uint64_t)(bits), .value = 0 }
#define ALLOW_IOCTL(req) ALLOW_IF(ioctl, ARG_EQ32(1, req))
#define ALLOW_FCNTL(cmd) ALLOW_IF(fcntl, ARG_EQ32(1, cmd))

#define POLICY_TABLE(arr) { .rules = (arr), .n = sizeof(arr) / sizeof((arr)[0]) }

/* What every kind needs to exist at all: memory management under malloc,
 * locks, signal return, time, logging to stderr, and exiting. */
extern const struct policy_table policy_base;
/* Test builds only (empty otherwise): what the sanitizer runtimes use to
 * report an error or check for leaks at exit. */
extern const struct policy_table policy_sanitizer;
/* One table per kind, on top of the base. */
extern const struct policy_table policy_core_main;
extern const struct policy_table policy_core_vcpu;
extern const struct policy_table policy_core_api;
extern const struct policy_table policy_dev_blk;
extern const struct policy_table policy_dev_rng;
extern const struct policy_table policy_dev_vsock;
extern const struct policy_table policy_vsock_broker;
extern const struct policy_table policy_dev_net;

/* The tables that make up `kind`, in order; returns how many (≤ max). */
size_t policy_tables_of(enum policy_kind kind, const struct policy_table **out, size_t max);

#endif
