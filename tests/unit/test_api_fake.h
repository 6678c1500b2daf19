/* A fake VMM behind the API: the same state machine as vmm.c without a
 * VM, so the request handler, the connection code and the fuzzer can be
 * driven without KVM. */
#ifndef CELLVM_TEST_API_FAKE_H
#define CELLVM_TEST_API_FAKE_H

#include "api/api_backend.h"

struct fake_vmm {
	enum vmm_state state;
	bool configured;
	struct vm_config config;
	unsigned int calls;             /* ops called, of any kind */
	unsigned int last_shutdown_ms;
	bool fail_start;
	struct api_counters counters;
};

extern const struct api_backend_ops fake_vmm_ops;

/* Resets f and points b at it. */
void fake_vmm_init(struct fake_vmm *f, struct api_backend *b);

#endif
