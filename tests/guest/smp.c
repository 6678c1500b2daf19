/* smp: starts every AP the firmware tables list with INIT/SIPI/SIPI. The
 * BSP's side (ring 3) copies the trampoline, asks ring 0 for each IPI and
 * does the waiting; each AP (ring 0, trampoline.S then ap_main) reports
 * itself and parks. */
#include "kernel.h"
#include "user.h"

#define ICR_INIT     0x00000500
#define ICR_STARTUP  0x00000600
#define ICR_ASSERT   0x00004000

volatile uint32_t ap_up;
volatile uint32_t ap_ticket; /* trampoline.S: picks the AP's stack */

/* Ring 0 on the AP, interrupts off. Reports before counting itself, so
 * every AP line precedes the BSP's verdict. */
void ap_main(void)
{
	uint32_t id = lapic_id();
	serial_line_u("PROBE smp cpu=", id, " up\n");
	__atomic_fetch_add(&ap_up, 1, __ATOMIC_SEQ_CST);
}

static bool start_ap(uint32_t id)
{
	uint32_t vector = TRAMPOLINE_ADDR >> 12;

	/* The MP spec's sequence: INIT, 10 ms, SIPI, 200 us, SIPI. The second
	 * SIPI is ignored by a CPU the first one already started. */
	if (ucall(SYS_IPI, id, ICR_INIT | ICR_ASSERT, 0))
		return false;
	udelay(10000);
	for (int i = 0; i < 2; i++) {
		if (ucall(SYS_IPI, id, ICR_STARTUP | ICR_ASSERT | vector, 0))
			return false;
		udelay(200);
	}
	return true;
}

bool scenario_smp(void)
{
	if (!cpus.n) {
		uprintf("PROBE smp fail reason=no-mp-table-or-madt\n");
		return false;
	}

	uint64_t t0 = rdtsc();
	uint32_t before = ap_up, want = 0;
	memcpy(phys(TRAMPOLINE_ADDR), tramp_start, (size_t)(tramp_end - tramp_start));
	for (int i = 0; i < cpus.n; i++) {
		if (cpus.apic_id[i] == kinfo.bsp_apic_id)
			continue;
		want++;
		if (!start_ap(cpus.apic_id[i])) {
			uprintf("PROBE smp fail reason=ipi-not-delivered apic=%u\n", cpus.apic_id[i]);
			return false;
		}
	}

	/* Each AP needs a few hundred emulated instructions and one line of
	 * output; two seconds is generous. */
	uint64_t deadline = rdtsc() + us_tsc(2000000);
	while (ap_up - before < want && (int64_t)(rdtsc() - deadline) < 0)
		cpu_relax();

	uint32_t up = 1 + (ap_up - before);
	uint64_t ms = tsc_us(rdtsc() - t0) / 1000;
	if (up < (uint32_t)cpus.n) {
		uprintf("PROBE smp fail reason=timeout cpus=%u listed=%d source=%s ms=%lu\n", up, cpus.n,
			cpus.source, ms);
		return false;
	}
	uprintf("PROBE smp ok cpus=%u listed=%d source=%s ms=%lu\n", up, cpus.n, cpus.source, ms);
	return true;
}
