/* CPUID facts ring 3 needs (ring 3 must not run CPUID itself: on this
 * KVM it runs natively and would see the host) and the kvmclock page
 * that gives the TSC frequency. */
#include "kernel.h"

#define KVM_FEATURE_CLOCKSOURCE  (1u << 0)
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define MSR_KVM_SYSTEM_TIME      0x12
#define MSR_KVM_SYSTEM_TIME_NEW  0x4b564d01

void cpu_probe(void)
{
	uint32_t r[4];

	cpuid(0x80000000, 0, r);
	if (r[0] >= 0x80000001) {
		cpuid(0x80000001, 0, r);
		kinfo.has_1g_pages = (r[3] >> 26) & 1;
	}

	cpuid(0, 0, r);
	uint32_t max_basic = r[0];
	if (max_basic >= 0x15) {
		cpuid(0x15, 0, r);
		kinfo.cpuid15[0] = r[0];
		kinfo.cpuid15[1] = r[1];
		kinfo.cpuid15[2] = r[2];
	}
	if (max_basic >= 0x16) {
		cpuid(0x16, 0, r);
		kinfo.cpuid16_mhz = r[0] & 0xffff;
	}

	cpuid(0x40000000, 0, r);
	if (r[1] == 0x4b4d564b && r[2] == 0x564b4d56 && r[3] == 0x4d) { /* "KVMKVMKVM\0\0\0" */
		kinfo.kvm_max_leaf = r[0] ? r[0] : 0x40000001;
		cpuid(0x40000001, 0, r);
		kinfo.kvm_features = r[0];
		if (kinfo.kvm_max_leaf >= 0x40000010) {
			cpuid(0x40000010, 0, r);
			kinfo.kvm_tsc_khz = r[0];
		}
	}
}

void kvmclock_init(void)
{
	uint32_t msr;

	if (kinfo.kvm_features & KVM_FEATURE_CLOCKSOURCE2)
		msr = MSR_KVM_SYSTEM_TIME_NEW;
	else if (kinfo.kvm_features & KVM_FEATURE_CLOCKSOURCE)
		msr = MSR_KVM_SYSTEM_TIME;
	else
		return;
	/* The host fills the page on the next VM entry. */
	wrmsr(msr, (uint64_t)&kinfo.pvclock | 1);
	kinfo.kvmclock = true;
}
