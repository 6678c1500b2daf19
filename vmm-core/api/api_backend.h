/* What the control API asks of the VMM, as an ops table: the request
 * handler knows nothing else about the core, so unit tests and the fuzzer
 * drive it with a fake VMM, and the real one (vmm.c) can be reasoned about
 * on its own. Every op runs on the API thread and answers with a result
 * code and a message for people. */
#ifndef CELLVM_API_BACKEND_H
#define CELLVM_API_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "vm_config.h"

/* Values equal the protocol's VmState. */
enum vmm_state {
	VMM_NOT_CONFIGURED,
	VMM_CONFIGURED,
	VMM_STARTING,
	VMM_RUNNING,
	VMM_PAUSED,
	VMM_STOPPING,
};

enum api_rc {
	API_RC_OK,
	API_RC_INVALID,      /* the request's values are not acceptable */
	API_RC_WRONG_STATE,  /* not in the VM's current state */
	API_RC_FAILED,       /* allowed, but it did not work */
};

struct vmm_device_info {
	char name[32];
	uint32_t virtio_id;
	int pid;               /* 0 for an external backend */
	uint64_t mmio_base;
	unsigned int irq;
	bool alive;
	unsigned int restarts;     /* device process respawned this often */
	char last_exit[24];        /* "signal 9", "exit 1"; "" when it never ended */
};

struct vmm_info {
	const char *id;
	int pid;
	enum vmm_state state;
	bool configured;
	struct vm_config config;   /* valid when configured */
	unsigned int ndevs;
	struct vmm_device_info devs[VM_MAX_DEVICES];
	uint64_t uptime_ms;
};

#define API_SHUTDOWN_DEFAULT_MS 5000u
#define API_SHUTDOWN_MAX_MS     600000u

struct api_backend_ops {
	enum api_rc (*configure)(void *ctx, const struct vm_config *cfg, char *msg, size_t len);
	enum api_rc (*start)(void *ctx, char *msg, size_t len);
	enum api_rc (*pause)(void *ctx, char *msg, size_t len);
	enum api_rc (*resume)(void *ctx, char *msg, size_t len);
	enum api_rc (*shutdown)(void *ctx, unsigned int timeout_ms, char *msg, size_t len);
	enum api_rc (*kill)(void *ctx, char *msg, size_t len);
	enum api_rc (*info)(void *ctx, struct vmm_info *out);
	enum api_rc (*metrics)(void *ctx, struct metrics_snapshot *out);
};

struct api_backend {
	const struct api_backend_ops *ops;
	void *ctx;
	struct api_counters *counters;   /* may be NULL */
};

const char *vmm_state_name(enum vmm_state s);

#endif
