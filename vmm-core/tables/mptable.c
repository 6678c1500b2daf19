/* Intel MultiProcessor Specification 1.4 tables. Linux reads them when
 * ACPI is off or absent (acpi=off, or a guest that never looks for an
 * RSDP); with ACPI it uses the MADT instead, so both must describe the
 * same machine (see board.h). */
#include "tables.h"
#include "bytes.h"
#include "board.h"
#include "layout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MPF_SIZE          16
#define MPC_HEADER_SIZE   44
#define MPC_CPU_SIZE      20
#define MPC_BUS_SIZE      8
#define MPC_IOAPIC_SIZE   8
#define MPC_INTSRC_SIZE   8
#define MPC_LINTSRC_SIZE  8

enum { MP_PROCESSOR = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_INTSRC = 3, MP_LINTSRC = 4 };
enum { MP_IRQ_INT = 0, MP_IRQ_NMI = 1, MP_IRQ_EXTINT = 3 };

#define MP_SPEC_REV       4      /* 1.4 */
#define MP_CPU_ENABLED    0x01
#define MP_CPU_BSP        0x02
#define MP_IOAPIC_ENABLED 0x01
#define MP_ISA_BUS_ID     0
#define MP_ALL_LAPICS     0xff

/* Family 6 with FPU and on-chip APIC: what Linux's MP parser expects of a
 * modern CPU. It takes the real values from CPUID anyway. */
#define MP_CPU_SIGNATURE  (6u << 8)
#define MP_CPU_FEATURES   ((1u << 0) | (1u << 9))

/* I/O interrupt entries: ISA IRQs 0..15, then the pins above 15 that
 * virtio-mmio devices may be given (IRQ_VIRTIO_FIRST..IOAPIC_PINS-1). */
static unsigned int mp_irq_count(void)
{
	unsigned int first_high = IRQ_VIRTIO_FIRST > 16 ? IRQ_VIRTIO_FIRST : 16;

	return 16 + (IOAPIC_PINS > first_high ? IOAPIC_PINS - first_high : 0);
}

static unsigned int mp_irq_at(unsigned int i)
{
	unsigned int first_high = IRQ_VIRTIO_FIRST > 16 ? IRQ_VIRTIO_FIRST : 16;

	return i < 16 ? i : first_high + (i - 16);
}

static size_t mpc_size(unsigned int ncpus)
{
	return MPC_HEADER_SIZE + (size_t)ncpus * MPC_CPU_SIZE + MPC_BUS_SIZE +
	       MPC_IOAPIC_SIZE + mp_irq_count() * MPC_INTSRC_SIZE + 2 * MPC_LINTSRC_SIZE;
}

static uint8_t *mpc_put_intsrc(uint8_t *p, uint8_t type, uint8_t irqtype, uint8_t src_irq,
			       uint8_t dst_apic, uint8_t dst_pin)
{
	p[0] = type;
	p[1] = irqtype;
	put_le16(p + 2, 0);     /* polarity/trigger conform to the bus: ISA is edge, high */
	p[4] = MP_ISA_BUS_ID;
	p[5] = src_irq;
	p[6] = dst_apic;
	p[7] = dst_pin;
	return p + MPC_INTSRC_SIZE;
}

static void mpc_fill(uint8_t *t, size_t size, unsigned int ncpus, uint32_t table_gpa)
{
	uint8_t ioapic_id = (uint8_t)BOARD_IOAPIC_ID(ncpus);
	unsigned int nirq = mp_irq_count();
	uint8_t *mpf = t, *hdr = t + MPF_SIZE, *p = hdr + MPC_HEADER_SIZE;

	memcpy(mpf, "_MP_", 4);
	put_le32(mpf + 4, table_gpa);
	mpf[8] = 1;             /* length in 16-byte units */
	mpf[9] = MP_SPEC_REV;
	/* Feature byte 1 = 0: a configuration table is present (no default
	 * configuration); byte 2 bit 7 = 0: no IMCR, virtual wire mode. */

	for (unsigned int cpu = 0; cpu < ncpus; cpu++, p += MPC_CPU_SIZE) {
		p[0] = MP_PROCESSOR;
		p[1] = (uint8_t)cpu;
		p[2] = BOARD_LAPIC_VERSION;
		p[3] = MP_CPU_ENABLED | (cpu == 0 ? MP_CPU_BSP : 0);
		put_le32(p + 4, MP_CPU_SIGNATURE);
		put_le32(p + 8, MP_CPU_FEATURES);
	}

	p[0] = MP_BUS;
	p[1] = MP_ISA_BUS_ID;
	memcpy(p + 2, "ISA   ", 6);
	p += MPC_BUS_SIZE;

	p[0] = MP_IOAPIC;
	p[1] = ioapic_id;
	p[2] = BOARD_IOAPIC_VERSION;
	p[3] = MP_IOAPIC_ENABLED;
	put_le32(p + 4, (uint32_t)LAYOUT_IOAPIC_ADDR);
	p += MPC_IOAPIC_SIZE;

	for (unsigned int i = 0; i < nirq; i++) {
		uint8_t irq = (uint8_t)mp_irq_at(i);
		p = mpc_put_intsrc(p, MP_INTSRC, MP_IRQ_INT, irq, ioapic_id, irq);
	}
	/* The PIC's output on LINT0 of every LAPIC (virtual wire) and NMI on
	 * LINT1, as on a PC. */
	p = mpc_put_intsrc(p, MP_LINTSRC, MP_IRQ_EXTINT, 0, MP_ALL_LAPICS, 0);
	p = mpc_put_intsrc(p, MP_LINTSRC, MP_IRQ_NMI, 0, MP_ALL_LAPICS, 1);

	memcpy(hdr, "PCMP", 4);
	put_le16(hdr + 4, (uint16_t)(size - MPF_SIZE));
	hdr[6] = MP_SPEC_REV;
	memcpy(hdr + 8, "CELLVM  ", 8);       /* OEM id */
	memcpy(hdr + 16, "CELLVM      ", 12); /* product id */
	put_le16(hdr + 34, (uint16_t)(ncpus + 1 + 1 + nirq + 2));
	put_le32(hdr + 36, (uint32_t)LAYOUT_LAPIC_ADDR);
	hdr[7] = checksum_fix(hdr, size - MPF_SIZE);
	mpf[10] = checksum_fix(mpf, MPF_SIZE);
}

int mptable_write(const struct guest_mem *gm, unsigned int ncpus)
{
	uint8_t *buf = NULL;
	size_t size;
	int ret;

	if (ncpus == 0 || ncpus > MAX_VCPUS || ncpus >= MP_ALL_LAPICS)
		return -EINVAL;
	size = MPF_SIZE + mpc_size(ncpus);
	if (size > LAYOUT_LOW_RAM_END - LAYOUT_EBDA_START)
		return -E2BIG;

	buf = calloc(1, size);
	if (!buf)
		return -ENOMEM;
	mpc_fill(buf, size, ncpus, (uint32_t)(LAYOUT_EBDA_START + MPF_SIZE));
	ret = guest_mem_write(gm, LAYOUT_EBDA_START, buf, size);
	free(buf);
	return ret;
}
