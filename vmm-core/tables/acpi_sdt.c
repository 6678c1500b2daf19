/* Headers shared by every ACPI table, and the RSDP / XSDT that lead the
 * OS to them. */
#include "acpi_internal.h"
#include "board.h"
#include "bytes.h"

#include <errno.h>
#include <string.h>

void acpi_sdt_header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev)
{
	memset(t, 0, ACPI_SDT_HEADER_SIZE);
	memcpy(t, sig, 4);
	put_le32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, BOARD_OEM_ID, 6);
	memcpy(t + 16, BOARD_OEM_TABLE_ID, 8);
	put_le32(t + 24, BOARD_OEM_REVISION);
	memcpy(t + 28, BOARD_CREATOR_ID, 4);
	put_le32(t + 32, 1);    /* creator revision */
}

void acpi_sdt_finish(uint8_t *t)
{
	uint32_t len = (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 |
		       (uint32_t)t[7] << 24;

	t[9] = 0;
	t[9] = checksum_fix(t, len);
}

/* Revision 2 (ACPI 2.0+): the OS follows the 64-bit XSDT; no RSDT is
 * published, as the spec allows and Linux accepts. */
void acpi_rsdp_build(uint8_t *t, uint64_t xsdt_gpa)
{
	memset(t, 0, ACPI_RSDP_SIZE);
	memcpy(t, "RSD PTR ", 8);
	memcpy(t + 9, BOARD_OEM_ID, 6);
	t[15] = 2;
	put_le32(t + 20, ACPI_RSDP_SIZE);
	put_le64(t + 24, xsdt_gpa);
	t[8] = checksum_fix(t, 20);             /* ACPI 1.0 part */
	t[32] = checksum_fix(t, ACPI_RSDP_SIZE); /* whole structure */
}

long acpi_xsdt_build(uint8_t *t, size_t cap, const uint64_t *entries, unsigned int n)
{
	size_t len = ACPI_SDT_HEADER_SIZE + (size_t)n * 8;

	if (len > cap)
		return -E2BIG;
	acpi_sdt_header(t, "XSDT", (uint32_t)len, 1);
	for (unsigned int i = 0; i < n; i++)
		put_le64(t + ACPI_SDT_HEADER_SIZE + 8 * i, entries[i]);
	acpi_sdt_finish(t);
	return (long)len;
}
