/* The VMM's lifecycle: the state machine the control API drives
 * (not configured -> configured -> starting -> running <-> paused ->
 * stopping), run by the main thread.
 *
 * Threads: the main thread owns the VM. It waits for a start, builds the
 * VM, runs the event loop (signals, console, device deaths, shutdown
 * deadline, metrics file) and tears the VM down. The API thread calls the
 * ops (vmm_api_ops) under m->lock; a running VM is published to it through
 * m->mach only between "running" and "stopping", and the main thread
 * takes the lock before it stops publishing, so an op never sees a VM
 * being torn down. Lock order: m->lock, then the vCPU gate's lock. */
#ifndef CELLVM_VMM_H
#define CELLVM_VMM_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "api/api_backend.h"
#include "cli.h"
#include "metrics.h"
#include "vm_config.h"
#include "vmm_machine.h"

#define VMM_PAUSE_TIMEOUT_MS 5000

struct vmm {
	pthread_mutex_t lock;
	pthread_cond_t cond;        /* state changes, for a start waiting on its outcome */
	enum vmm_state state;
	bool configured;
	struct vm_config *config;   /* the machine to build; valid when configured */
	int wake_efd;               /* the API wakes the main thread through this */
	bool start_requested;
	bool kill_requested;
	char start_err[256];        /* why the last start failed */
	struct vmm_machine *mach;   /* the running VM, published under lock */
	bool shutdown_armed;
	struct timespec shutdown_deadline; /* CLOCK_MONOTONIC */

	const struct cli_opts *opts;
	struct timespec launch_wall, launch_cpu;
	struct api_counters api;
	int metrics_fd;             /* -1: no metrics file */
};

int vmm_init(struct vmm *m, const struct cli_opts *opts, const struct timespec *launch_wall,
	     const struct timespec *launch_cpu, int metrics_fd);
void vmm_destroy(struct vmm *m);

/* Sets the machine before the API is served (command line, config file). */
int vmm_set_config(struct vmm *m, const struct vm_config *cfg);

/* Main thread: unless autostart, waits until a start request (or a signal
 * or kill); builds and runs the VM until it stops. A start that fails in
 * API mode is reported to the client and the VMM waits again. Returns the
 * process exit code. */
int vmm_run(struct vmm *m, bool autostart);

/* The API's view of the VMM; ctx is the struct vmm. */
extern const struct api_backend_ops vmm_api_ops;

#endif
