#include "cpuid.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>

struct kvm_cpuid2 *cpuid_get_supported(int kvm_fd)
{
	/* KVM says E2BIG until the buffer is large enough; start at a size
	 * that fits current CPUs and grow. */
	for (unsigned int nent = 64; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c)
			return NULL;
		c->nent = nent;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		int err = errno;
		free(c);
		if (err != E2BIG) {
			errno = err;
			return NULL;
		}
	}
	errno = E2BIG;
	return NULL;
}

static unsigned int bits_for(unsigned int n)
{
	unsigned int b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

void cpuid_patch_for_vcpu(struct kvm_cpuid2 *c, unsigned int id, unsigned int ncpus)
{
	unsigned int core_bits = bits_for(ncpus);

	for (unsigned int i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 0x1:
			/* APIC id, logical processors per package, CLFLUSH line 64 B. */
			e->ebx = (id << 24) | ((ncpus & 0xff) << 16) | (8 << 8) | (e->ebx & 0xff);
			e->ecx |= 1u << 31; /* running under a hypervisor */
			if (ncpus > 1)
				e->edx |= 1u << 28; /* HTT: the package has several logical CPUs */
			else
				e->edx &= ~(1u << 28);
			break;
		case 0x4:
			/* Deterministic cache params: cores per package - 1 in 31:26,
			 * threads sharing this cache - 1 in 25:14 (all for L3, one for
			 * the per-core levels). */
			if ((e->eax & 0x1f) == 0)
				break;
			e->eax &= 0x3fff;
			e->eax |= (ncpus - 1) << 26;
			if (((e->eax >> 5) & 7) >= 3)
				e->eax |= (ncpus - 1) << 14;
			break;
		case 0xb:
		case 0x1f:
			/* Extended topology: level 0 = SMT (1 thread per core), level
			 * 1 = core (ncpus cores); EDX is the x2APIC id everywhere. */
			e->edx = id;
			if (e->index == 0) {
				e->eax = 0;
				e->ebx = 1;
				e->ecx = (1u << 8) | 0;
			} else if (e->index == 1) {
				e->eax = core_bits;
				e->ebx = ncpus;
				e->ecx = (2u << 8) | 1;
			} else {
				e->eax = 0;
				e->ebx = 0;
				e->ecx = e->index;
			}
			break;
		case 0x80000008:
			/* AMD: number of cores - 1 and the APIC id bits they use. */
			e->ecx = (e->ecx & ~0xf0ffu) | (core_bits << 12) | ((ncpus - 1) & 0xff);
			break;
		case 0x8000001e:
			/* AMD: extended APIC id, core id, one thread per core, node 0. */
			e->eax = id;
			e->ebx = id & 0xff;
			e->ecx = 0;
			break;
		default:
			break;
		}
	}
}
