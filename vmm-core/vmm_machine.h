/* One VM's worth of runtime objects: the KVM VM, its virtio devices and
 * its console. Built and torn down by the main thread (vmm.c); the API
 * thread reaches it only while vmm.c publishes it as running. */
#ifndef CELLVM_VMM_MACHINE_H
#define CELLVM_VMM_MACHINE_H

#include <stdbool.h>
#include <time.h>

#include "cli.h"
#include "term.h"
#include "virtio/devices.h"
#include "vm.h"
#include "vm_config.h"

struct vmm_machine {
	struct vm vm;
	struct virtio_devices vdevs;
	struct term_state term;
	int serial_fd;
	bool console_in;       /* stdin feeds the UART */
	bool vcpus_started;
};

/* Builds the VM and loads the guest; vCPUs are created, not started.
 * Errors are logged; on failure everything built is released. */
int vmm_machine_build(struct vmm_machine *mach, const struct vm_config *cfg,
		      const struct cli_opts *opts, const struct timespec *launch_wall,
		      const struct timespec *launch_cpu);
/* Starts the vCPU threads (and raw mode on a terminal console). */
int vmm_machine_start(struct vmm_machine *mach);
/* Releases paused vCPUs, kicks them all out of KVM_RUN and joins them. */
void vmm_machine_stop(struct vmm_machine *mach);
void vmm_machine_destroy(struct vmm_machine *mach);

#endif
