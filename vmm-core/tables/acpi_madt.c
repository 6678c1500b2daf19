/* MADT: the LAPICs of the vCPUs, the one IOAPIC and the NMI wiring; the
 * ACPI twin of the MP table (board.h holds what both must agree on). */
#include "acpi_internal.h"
#include "board.h"
#include "bytes.h"
#include "layout.h"

#include <errno.h>

#define MADT_REVISION        5     /* ACPI 6.2 - 6.4 */
#define MADT_LOCAL_APIC      0
#define MADT_IO_APIC         1
#define MADT_LOCAL_APIC_NMI  4
#define MADT_LOCAL_X2APIC    9
#define MADT_ENABLED         1u
#define MADT_PCAT_COMPAT     1u
#define MADT_ALL_PROCESSORS  0xff

/* xAPIC entries hold 8-bit ids and 0xff means "all"; larger ids need the
 * x2APIC form (unreachable while MAX_VCPUS is small, kept so raising it
 * does not silently produce a wrong table). */
static size_t madt_cpu_size(unsigned int cpu)
{
	return cpu < 0xff ? 8 : 16;
}

long acpi_madt_build(uint8_t *t, size_t cap, unsigned int ncpus)
{
	size_t len = ACPI_SDT_HEADER_SIZE + 8;
	uint8_t *p;

	for (unsigned int cpu = 0; cpu < ncpus; cpu++)
		len += madt_cpu_size(cpu);
	len += 12 + 6;
	if (len > cap)
		return -E2BIG;

	acpi_sdt_header(t, "APIC", (uint32_t)len, MADT_REVISION);
	put_le32(t + 36, (uint32_t)LAYOUT_LAPIC_ADDR);
	/* PCAT_COMPAT: KVM's in-kernel irqchip does include the 8259 pair
	 * (wired to LINT0, as the MP table says). A hardware-reduced Linux
	 * leaves it alone either way. */
	put_le32(t + 40, MADT_PCAT_COMPAT);
	p = t + ACPI_SDT_HEADER_SIZE + 8;

	/* ACPI processor UID == APIC id == vCPU index. */
	for (unsigned int cpu = 0; cpu < ncpus; cpu++) {
		if (madt_cpu_size(cpu) == 8) {
			p[0] = MADT_LOCAL_APIC;
			p[1] = 8;
			p[2] = (uint8_t)cpu;
			p[3] = (uint8_t)cpu;
			put_le32(p + 4, MADT_ENABLED);
			p += 8;
		} else {
			p[0] = MADT_LOCAL_X2APIC;
			p[1] = 16;
			put_le16(p + 2, 0);
			put_le32(p + 4, cpu);
			put_le32(p + 8, MADT_ENABLED);
			put_le32(p + 12, cpu);
			p += 16;
		}
	}

	p[0] = MADT_IO_APIC;
	p[1] = 12;
	p[2] = (uint8_t)BOARD_IOAPIC_ID(ncpus);
	p[3] = 0;
	put_le32(p + 4, (uint32_t)LAYOUT_IOAPIC_ADDR);
	put_le32(p + 8, 0);     /* GSI base: pin n is GSI n */
	p += 12;

	/* LINT1 of every processor is NMI, as the MP table says. */
	p[0] = MADT_LOCAL_APIC_NMI;
	p[1] = 6;
	p[2] = MADT_ALL_PROCESSORS;
	put_le16(p + 3, 0);     /* polarity/trigger: bus default */
	p[5] = 1;

	acpi_sdt_finish(t);
	return (long)len;
}
