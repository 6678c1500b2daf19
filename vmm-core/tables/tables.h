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
 * LAYOUT_IOAPIC_ADDR with id ncpus, ISA bus, IRQ 0..15 routed to the same
 * IOAPIC pins and LINT0 ExtINT / LINT1 NMI local entries. */
int mptable_write(const struct guest_mem *gm, unsigned int ncpus);

/* RSDP at LAYOUT_ACPI_RSDP_ADDR, other tables after LAYOUT_ACPI_TABLES.
 * FADT is hardware-reduced; MADT lists the CPUs and the IOAPIC; DSDT
 * holds the COM1 UART and one "LNRO0005" device per virtio-mmio window. */
int acpi_write_tables(const struct guest_mem *gm, unsigned int ncpus,
		      const struct mmio_dev_desc *devs, unsigned int ndevs);

#endif
