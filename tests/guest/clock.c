/* TSC frequency for bounded waits. Best source first: KVM's TSC leaf,
 * kvmclock's scale factors, CPUID 0x15/0x16; else a guess (timeouts then
 * stretch or shrink, nothing worse). rdtsc is allowed in ring 3. */
#include "user.h"

uint64_t tsc_hz;
const char *tsc_source;

static uint64_t from_kvmclock(void)
{
	const volatile struct pvclock *p = &kinfo.pvclock;

	/* Filled in on a VM entry after the MSR write; ring 3 has made
	 * requests since, but allow it a few more. */
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t v = p->version;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		uint32_t mul = p->tsc_to_system_mul;
		int8_t shift = p->tsc_shift;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (v && !(v & 1) && v == p->version && mul) {
			/* ns = ((tsc << shift) * mul) >> 32, so Hz = 1e9 * 2^32 / mul / 2^shift */
			uint64_t hz = (1000000000ULL << 32) / mul;
			return shift >= 0 ? hz >> shift : hz << -shift;
		}
		ucall(SYS_NOP, 0, 0, 0); /* a trip through ring 0: a VM entry */
	}
	return 0;
}

void clock_init(void)
{
	if (kinfo.kvm_tsc_khz) {
		tsc_hz = kinfo.kvm_tsc_khz * 1000ULL;
		tsc_source = "cpuid-40000010";
	} else if (kinfo.kvmclock && (tsc_hz = from_kvmclock())) {
		tsc_source = "kvmclock";
	} else if (kinfo.cpuid15[0] && kinfo.cpuid15[1] && kinfo.cpuid15[2]) {
		tsc_hz = (uint64_t)kinfo.cpuid15[2] * kinfo.cpuid15[1] / kinfo.cpuid15[0];
		tsc_source = "cpuid-15";
	} else if (kinfo.cpuid16_mhz) {
		tsc_hz = kinfo.cpuid16_mhz * 1000000ULL;
		tsc_source = "cpuid-16";
	}
	/* tsc_us() divides by MHz: anything below 1 MHz is nonsense anyway. */
	if (tsc_hz < 1000000) {
		tsc_hz = 2000000000ULL;
		tsc_source = "guess";
	}
}

uint64_t tsc_us(uint64_t ticks)
{
	return ticks / (tsc_hz / 1000000);
}

uint64_t us_tsc(uint64_t us)
{
	return us * (tsc_hz / 1000000);
}

void udelay(uint64_t us)
{
	uint64_t end = rdtsc() + us_tsc(us);
	while ((int64_t)(rdtsc() - end) < 0)
		cpu_relax();
}
