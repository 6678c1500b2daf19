/* Constants shared by the probe's assembly and C. Only plain integer
 * #defines: GNU as rejects the ULL/u suffixes layout.h uses, so values
 * that layout.h also defines are repeated here and checked against it
 * with _Static_assert in layout_check.c. */
#ifndef PROBE_DEFS_H
#define PROBE_DEFS_H

/* GDT selectors (gdt.c). User selectors are used with RPL 3. */
#define SEL_KCODE   0x08 /* 64-bit ring 0 */
#define SEL_KDATA   0x10
#define SEL_UDATA   0x18 /* DPL 3 */
#define SEL_UCODE   0x20 /* 64-bit, DPL 3 */
#define SEL_KCODE32 0x28 /* 32-bit ring 0, for the 32-bit entry and AP trampoline */
#define SEL_TSS     0x30 /* 16 bytes */
#define GDT_ENTRIES 8

/* Where each path came from; kmain's second argument. */
#define ENTRY_16 16
#define ENTRY_32 32
#define ENTRY_64 64
/* The real-mode code leaves this in EBP so the 32-bit entry can tell the
 * two callers apart (a foreign 32-bit loader leaves EBP zero). */
#define ENTRY16_MAGIC 0x31364d52

/* Interrupt vectors. */
#define VEC_UD       6
#define VEC_DF       8
#define VEC_TIMER    0x20
#define VEC_SERIAL   0x24
/* One vector per virtio-mmio device, VEC_VIRTIO + device index. */
#define VEC_VIRTIO   0x30
#define VIRTIO_MAX   16
#define VEC_SPURIOUS 0xff

/* Requests ring 3 makes with ud2 (number in RAX, args RDI, RSI, RDX,
 * result in RAX). */
#define SYS_WRITE       1 /* (buf, len) */
#define SYS_EXIT        2 /* (code) never returns */
#define SYS_HLT         3 /* () sti; hlt: sleep until an interrupt */
#define SYS_TIMER       4 /* (initial count, periodic) count 0 stops it */
#define SYS_SERIAL_RX   5 /* (on) interrupt-driven UART receive on/off */
#define SYS_SERIAL_GETC 6 /* () next received byte or -1 */
#define SYS_IPI         7 /* (apic id, ICR low) 0 or -1 if never delivered */
#define SYS_NOP         8 /* () just a round trip through ring 0 */
#define SYS_VIRTIO_IRQ  9 /* (index, mmio base, ioapic pin) route a device's interrupt */
#define SYS_WAIT        10 /* (u64 *counter, seen, us) sleep at most us unless *counter != seen */

/* Stack sizes. */
#define BSP_STACK_SIZE  16384
#define DF_STACK_SIZE   4096
#define AP_STACK_SIZE   4096
#define USER_STACK_SIZE 32768

/* Copies of layout.h values, checked in layout_check.c. */
#define ASM_BOOT_TIMER_ADDR  0xc0000000
#define ASM_BOOT_TIMER_MAGIC 123
#define ASM_KERNEL_ADDR      0x100000
#define ASM_MAX_VCPUS        32

/* The AP trampoline page (SIPI vector = address >> 12). 0x1000-0x5fff is
 * unused by cellvm's low map and by the BIOS data area. */
#define TRAMPOLINE_ADDR 0x1000

/* Control registers and MSRs. */
#define CR0_PE   0x00000001
#define CR0_PG   0x80000000
#define CR4_PAE  0x00000020
#define CR4_SMEP 0x00100000
#define CR4_SMAP 0x00200000
#define CR4_PKE  0x00400000
#define MSR_EFER 0xc0000080
#define EFER_LME 0x00000100

#endif
