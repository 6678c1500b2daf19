/* Local APIC (xAPIC MMIO), IOAPIC and legacy PIC handling. */
#include "kernel.h"

#define LAPIC_ID        0x020
#define LAPIC_TPR       0x080
#define LAPIC_EOI       0x0b0
#define LAPIC_SVR       0x0f0
#define LAPIC_ICR_LO    0x300
#define LAPIC_ICR_HI    0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_ICR 0x380
#define LAPIC_TIMER_DCR 0x3e0
#define LVT_MASKED      0x10000
#define LVT_PERIODIC    0x20000
#define ICR_PENDING     0x1000
#define SVR_ENABLE      0x100

static uint32_t lapic_read(unsigned reg)
{
	return mmio_read32(LAYOUT_LAPIC_ADDR + reg);
}

static void lapic_write(unsigned reg, uint32_t v)
{
	mmio_write32(LAYOUT_LAPIC_ADDR + reg, v);
}

void pic_disable(void)
{
	/* Firmware may have left the 8259s unmasked with the PIT on IRQ 0,
	 * which would arrive as vector 8 through LINT0's ExtINT. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

void lapic_init(void)
{
	kinfo.lapic_base = rdmsr(0x1b) & ~0xfffULL;
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	kinfo.bsp_apic_id = lapic_id();
}

uint32_t lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

void lapic_timer(uint32_t count, bool periodic)
{
	if (!count) {
		lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
		lapic_write(LAPIC_TIMER_ICR, 0);
		return;
	}
	lapic_write(LAPIC_TIMER_DCR, 0x3); /* divide by 16 */
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER | (periodic ? LVT_PERIODIC : 0));
	lapic_write(LAPIC_TIMER_ICR, count);
}

int lapic_ipi(uint32_t apic_id, uint32_t icr_lo)
{
	lapic_write(LAPIC_ICR_HI, apic_id << 24);
	lapic_write(LAPIC_ICR_LO, icr_lo);
	/* KVM's APIC delivers at once; a real one takes a few microseconds. */
	for (int i = 0; i < 1000; i++)
		if (!(lapic_read(LAPIC_ICR_LO) & ICR_PENDING))
			return 0;
	return -1;
}

void ioapic_route(unsigned pin, unsigned vector, uint32_t apic_id, bool masked)
{
	volatile uint32_t *sel = (volatile uint32_t *)LAYOUT_IOAPIC_ADDR;
	volatile uint32_t *win = (volatile uint32_t *)(LAYOUT_IOAPIC_ADDR + 0x10);

	/* Fixed delivery, physical destination, active high, edge: how ISA
	 * IRQs are wired. High half first so the entry is never live with a
	 * stale destination. */
	*sel = 0x10 + 2 * pin + 1;
	*win = apic_id << 24;
	*sel = 0x10 + 2 * pin;
	*win = vector | (masked ? LVT_MASKED : 0);
}
