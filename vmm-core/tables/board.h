/* Identity strings and interrupt-controller choices that the MP table and
 * the ACPI MADT must agree on. */
#ifndef CELLVM_TABLES_BOARD_H
#define CELLVM_TABLES_BOARD_H

/* APIC ids 0..ncpus-1 belong to the vCPUs; the IOAPIC takes the next one
 * so the ids stay unique on the (historical) APIC bus namespace the MP
 * spec assumes. */
#define BOARD_IOAPIC_ID(ncpus) (ncpus)

/* Version of KVM's in-kernel LAPIC (its version register reads 0x50014:
 * integrated xAPIC) and IOAPIC (version register 0x11). */
#define BOARD_LAPIC_VERSION  0x14
#define BOARD_IOAPIC_VERSION 0x11

/* ISA IRQ n arrives on IOAPIC pin n, IRQ 0 included. KVM's default GSI
 * routing (no KVM_SET_GSI_ROUTING) sends GSI n to IOAPIC pin n, and its
 * in-kernel PIT raises GSI 0, so the board-style IRQ0 -> pin 2 override
 * (which QEMU needs because it installs its own GSI 0 -> pin 2 route)
 * would point Linux at a pin nothing drives. Neither table therefore
 * carries an override. */

#define BOARD_OEM_ID       "CELLVM"   /* 6 bytes in ACPI headers */
#define BOARD_OEM_TABLE_ID "CELLVM  " /* 8 bytes */
#define BOARD_CREATOR_ID   "CVMM"
#define BOARD_OEM_REVISION 1u

#endif
