/* Turning the tables into a libseccomp filter. Only the build-time
 * generator and the unit tests link libseccomp; the programs carry the
 * generated BPF. */
#ifndef CELLVM_POLICY_BUILD_H
#define CELLVM_POLICY_BUILD_H

#include <seccomp.h>

#include "policy.h"

/* A filter context for kind in mode (KILL or LOG) with every rule of its
 * tables. 0 or a negative errno; release with seccomp_release(). */
int policy_build(enum policy_kind kind, enum policy_mode mode, scmp_filter_ctx *out);

#endif
