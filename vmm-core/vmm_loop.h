/* The main thread's event loop while a VM runs (part of vmm.c's
 * lifecycle, kept apart because it is the one piece that grows with every
 * new event source). */
#ifndef CELLVM_VMM_LOOP_H
#define CELLVM_VMM_LOOP_H

#include "vmm.h"

/* Runs until the VM is asked to stop; returns the stop's exit code. sfd is
 * the signalfd for SIGINT/SIGTERM. */
int vmm_loop(struct vmm *m, struct vmm_machine *mach, int sfd);

/* Appends one metrics line for the current state (no-op without a
 * metrics file). mach may be NULL before a VM exists. */
void vmm_write_metrics(struct vmm *m, struct vmm_machine *mach);

#endif
