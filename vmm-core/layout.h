/* Guest-physical memory map and fixed resources of a cellvm x86_64 machine.
 * One place so the loaders, the core's devices, the tables it publishes
 * (MP, ACPI, e820) and the probe guest agree. */
#ifndef CELLVM_LAYOUT_H
#define CELLVM_LAYOUT_H

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* Low memory used by the loader for the 64-bit and PVH entries. */
#define LAYOUT_GDT_ADDR        0x500ULL     /* boot GDT: null, code64 0x08, code 0x10, data 0x18, tss 0x20 */
#define LAYOUT_PVH_INFO_ADDR   0x6000ULL    /* struct hvm_start_info */
#define LAYOUT_PVH_MEMMAP_ADDR 0x6040ULL    /* hvm_memmap_table_entry[] after it */
#define LAYOUT_ZERO_PAGE_ADDR  0x7000ULL    /* struct boot_params */
#define LAYOUT_BOOT_STACK      0x8ff0ULL
#define LAYOUT_PML4_ADDR       0x9000ULL    /* identity map of the first 4 GiB with 2 MiB pages */
#define LAYOUT_PDPT_ADDR       0xa000ULL
#define LAYOUT_PD_ADDR         0xb000ULL    /* 4 pages: 0xb000..0xefff */
#define LAYOUT_CMDLINE_ADDR    0x20000ULL
#define LAYOUT_CMDLINE_MAX     0x10000ULL   /* 64 KiB, larger than any kernel accepts */
#define LAYOUT_EBDA_START      0x9fc00ULL   /* MP floating pointer + table (Linux scans here) */
#define LAYOUT_LOW_RAM_END     0xa0000ULL   /* 640 KiB: below is RAM, above is the legacy hole */
#define LAYOUT_ACPI_RSDP_ADDR  0xe0000ULL   /* Linux scans 0xe0000..0xfffff for "RSD PTR " */
#define LAYOUT_ACPI_TABLES     0xe0100ULL   /* XSDT, FADT, MADT, DSDT follow the RSDP */
#define LAYOUT_BIOS_END        0x100000ULL
#define LAYOUT_KERNEL_DEFAULT  0x100000ULL  /* 1 MiB, used when the image has no usable pref_address */

/* The 32-bit hole: RAM above it is relocated to 4 GiB. */
#define LAYOUT_MMIO_HOLE_START 0xc0000000ULL  /* 3 GiB */
#define LAYOUT_MMIO_HOLE_END   0x100000000ULL /* 4 GiB */
#define LAYOUT_HIGH_RAM_START  0x100000000ULL

/* Device windows inside the hole. */
#define LAYOUT_BOOT_TIMER_ADDR 0xc0000000ULL  /* write BOOT_TIMER_MAGIC at offset 0 */
#define LAYOUT_BOOT_TIMER_SIZE 0x1000ULL
#define BOOT_TIMER_MAGIC       123u           /* same value Firecracker's boot timer uses */
#define LAYOUT_VIRTIO_MMIO_BASE 0xd0000000ULL
#define LAYOUT_VIRTIO_MMIO_SIZE 0x1000ULL     /* one 4 KiB window per device */
#define LAYOUT_VIRTIO_MMIO_MAX  16
#define LAYOUT_IOAPIC_ADDR     0xfec00000ULL
#define LAYOUT_LAPIC_ADDR      0xfee00000ULL

/* Interrupt lines (IOAPIC pins == ISA IRQs for 0..15). */
#define IRQ_I8042_KBD          1
#define IRQ_SERIAL_COM1        4
#define IRQ_VIRTIO_FIRST       5
#define IOAPIC_PINS            24

/* Legacy I/O ports. */
#define PORT_COM1              0x3f8
#define PORT_I8042_DATA        0x60
#define PORT_I8042_CMD         0x64
#define PORT_DEBUG_EXIT        0xf4         /* same port as QEMU's isa-debug-exit */

#define MAX_VCPUS              32

#endif
