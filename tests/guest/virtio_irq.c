/* Ring-0 half of the virtio driver: each device's IOAPIC pin goes to a
 * vector of its own, and the handler does what Linux's vm_interrupt does
 * first -- read InterruptStatus and acknowledge exactly those bits --
 * then leaves the used rings to ring 3. Emulated here, so it stays tiny. */
#include "kernel.h"

#define MMIO_INTERRUPT_STATUS 0x060
#define MMIO_INTERRUPT_ACK    0x064
#define INT_CONFIG            0x2

struct virtio_irq virtio_irqs[VIRTIO_MAX];
volatile uint64_t virtio_irq_total;

long virtio_irq_route(uint64_t index, uint64_t base, uint64_t pin)
{
	/* Ring 3 found these on the command line: check before the handler
	 * dereferences base on every interrupt. */
	if (index >= VIRTIO_MAX || pin >= IOAPIC_PINS || pin == IRQ_SERIAL_COM1 || !base ||
	    (base & 3) || base >= kinfo.map_top - 0x100)
		return -1;
	virtio_irqs[index].base = base;
	/* Edge: cellvm's irqfds pulse the pin; QEMU holds the line until the
	 * ack below, which also gives one edge per interrupt. */
	ioapic_route((unsigned)pin, VEC_VIRTIO + (unsigned)index, kinfo.bsp_apic_id, false);
	return 0;
}

void virtio_isr(unsigned index)
{
	struct virtio_irq *v = &virtio_irqs[index];

	if (v->base) {
		uint32_t isr = mmio_read32(v->base + MMIO_INTERRUPT_STATUS);
		if (isr)
			mmio_write32(v->base + MMIO_INTERRUPT_ACK, isr);
		v->isr |= isr;
		if (isr & INT_CONFIG)
			v->config++;
	}
	v->count++;
	virtio_irq_total++;
}
