/* CPUID the guest sees: what KVM supports, with the topology of this VM
 * (one thread per core, ncpus cores in one package) and the hypervisor bit. */
#ifndef CELLVM_CPUID_H
#define CELLVM_CPUID_H

#include <linux/kvm.h>

/* Returns a malloc'd table from KVM_GET_SUPPORTED_CPUID, or NULL with errno. */
struct kvm_cpuid2 *cpuid_get_supported(int kvm_fd);

/* Patches a copy of the supported table for vCPU `id` of `ncpus`. */
void cpuid_patch_for_vcpu(struct kvm_cpuid2 *c, unsigned int id, unsigned int ncpus);

#endif
