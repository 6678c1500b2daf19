/* vCPU threads: one per vCPU, each running KVM_RUN and dispatching exits. */
#ifndef CELLVM_VCPU_H
#define CELLVM_VCPU_H

#include <linux/kvm.h>
#include "vm.h"

/* Signal used to knock a vCPU thread out of KVM_RUN. */
#define VCPU_KICK_SIGNAL SIGUSR1

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned int id);
void vcpu_destroy(struct vcpu *v);
/* CPUID, boot MSRs, FPU and LAPIC LINT0/LINT1 as a real board sets them. */
int vcpu_configure(struct vcpu *v, const struct kvm_cpuid2 *supported, unsigned int ncpus);
int vcpu_start(struct vcpu *v);
/* Makes the thread leave KVM_RUN soon; it then sees the stop request. */
void vcpu_kick(struct vcpu *v);
void vcpu_join(struct vcpu *v);
/* Installs the no-op handler for VCPU_KICK_SIGNAL (once, from main). */
int vcpu_signals_init(void);

#endif
