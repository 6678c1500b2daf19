/* Firmware tables the core publishes so guests find CPUs, interrupt
 * controllers and virtio-mmio devices: the Intel MP table, and ACPI
 * (RSDP, XSDT, FADT, MADT, DSDT), as a board's firmware would. */
#ifndef CELLVM_TABLES_H
#define CELLVM_TABLES_H

#include <stdint.h>
#include "guest_mem.h"

struct mmio_dev_desc {
	uint64_t addr;
	uint32_t size;
	uint32_t irq;   /* IOAPIC pin, edge-triggered, active high */
};

/* MP floating pointer + configuration table at LAYOUT_EBDA_START:
 * ncpus processors (APIC ids 0..ncpus-1, 0 is the BSP), one IOAPIC at
 * LAYOUT_IOAPIC_ADDR with id ncpus, ISA bus, ISA IRQ n routed to IOAPIC
 * pin n for 0..IOAPIC_PINS-1 (no IRQ0 -> pin 2 override: KVM's default
 * GSI routing and its PIT use pin 0), LINT0 ExtINT / LINT1 NMI local
 * entries. Returns 0, -EINVAL (ncpus 0 or > MAX_VCPUS), -E2BIG (would
 * cross LAYOUT_LOW_RAM_END) or -EFAULT (not RAM). */
int mptable_write(const struct guest_mem *gm, unsigned int ncpus);

/* RSDP at LAYOUT_ACPI_RSDP_ADDR, other tables after LAYOUT_ACPI_TABLES.
 * FADT is hardware-reduced; MADT lists the CPUs and the IOAPIC (same id
 * and routing as the MP table); DSDT holds the COM1 UART (\_SB.COM1) and
 * one "LNRO0005" device per virtio-mmio window (\_SB.V000, V001, ... in
 * devs order, _UID = index). Each window must lie below 4 GiB with a
 * non-zero size and irq < IOAPIC_PINS. Returns 0, -EINVAL (bad ncpus or
 * device), -E2BIG (tables would cross LAYOUT_BIOS_END, about 1900
 * devices) or -EFAULT; guest memory is untouched on error. */
int acpi_write_tables(const struct guest_mem *gm, unsigned int ncpus,
		      const struct mmio_dev_desc *devs, unsigned int ndevs);

#endif
