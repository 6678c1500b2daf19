/* FADT for a hardware-reduced ACPI machine (ACPI 6.4 layout, 276 bytes).
 * Hardware-reduced means no PM timer, no GPE blocks, no SCI and no
 * fixed-feature registers, which a microVM does not emulate; Linux then
 * also drops the legacy PIC and PIT timer set-up and relies on the LAPIC
 * and kvmclock. */
#include "acpi_internal.h"
#include "bytes.h"

#include <errno.h>
#include <string.h>

#define FADT_REVISION        6
#define FADT_MINOR_REVISION  4

/* Offsets of the fields we fill in (ACPI 6.4 table 5.9). */
#define FADT_DSDT            40
#define FADT_IAPC_BOOT_ARCH  109
#define FADT_FLAGS           112
#define FADT_MINOR_VERSION   131
#define FADT_X_DSDT          140
#define FADT_HYPERVISOR_ID   268

/* IAPC_BOOT_ARCH: an 8042 is present (bit 1). The core's i8042 has a
 * keyboard so a graceful shutdown can press Ctrl-Alt-Del; without the
 * flag Linux treats the controller as absent and never binds atkbd. No
 * VGA, and no CMOS RTC (the core emulates neither; the wall clock comes
 * from kvmclock). */
#define IAPC_8042                 (1u << 1)
#define IAPC_VGA_NOT_PRESENT      (1u << 2)
#define IAPC_CMOS_RTC_NOT_PRESENT (1u << 5)

/* Flags: the power and sleep buttons, if any, would be control-method
 * devices, not fixed-feature ones. */
#define FADT_F_PWR_BUTTON         (1u << 4)
#define FADT_F_SLP_BUTTON         (1u << 5)
#define FADT_F_HW_REDUCED_ACPI    (1u << 20)

long acpi_fadt_build(uint8_t *t, size_t cap, uint64_t dsdt_gpa)
{
	if (cap < ACPI_FADT_SIZE)
		return -E2BIG;
	if (dsdt_gpa > UINT32_MAX)
		return -EINVAL;
	acpi_sdt_header(t, "FACP", ACPI_FADT_SIZE, FADT_REVISION);
	memset(t + ACPI_SDT_HEADER_SIZE, 0, ACPI_FADT_SIZE - ACPI_SDT_HEADER_SIZE);
	/* Both DSDT pointers, equal: ACPICA accepts that and warns only when
	 * they differ, and OSes that read only the 32-bit one still work. */
	put_le32(t + FADT_DSDT, (uint32_t)dsdt_gpa);
	put_le64(t + FADT_X_DSDT, dsdt_gpa);
	put_le16(t + FADT_IAPC_BOOT_ARCH, IAPC_8042 | IAPC_VGA_NOT_PRESENT | IAPC_CMOS_RTC_NOT_PRESENT);
	put_le32(t + FADT_FLAGS, FADT_F_HW_REDUCED_ACPI | FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON);
	t[FADT_MINOR_VERSION] = FADT_MINOR_REVISION;
	memcpy(t + FADT_HYPERVISOR_ID, "CELLVM  ", 8);
	acpi_sdt_finish(t);
	return ACPI_FADT_SIZE;
}
