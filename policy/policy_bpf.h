/* The filters, as BPF generated at build time from the tables
 * (policy_gen.c writes BUILD/gen/policy_bpf.c). */
#ifndef CELLVM_POLICY_BPF_H
#define CELLVM_POLICY_BPF_H

#include <linux/filter.h>

#include "policy.h"

struct policy_bpf {
	const struct sock_filter *insns;
	unsigned short len;
};

/* [kind][mode] for POLICY_MODE_KILL and POLICY_MODE_LOG. */
extern const struct policy_bpf policy_bpf[POLICY_KIND_COUNT][POLICY_MODE_OFF];

#endif
