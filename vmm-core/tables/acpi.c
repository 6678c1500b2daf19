/* Places the ACPI tables in the BIOS area, where Linux looks for the RSDP
 * when the boot protocol does not hand it one:
 *   LAYOUT_ACPI_RSDP_ADDR  RSDP
 *   LAYOUT_ACPI_TABLES     XSDT, FADT, MADT, DSDT (8-byte aligned)
 * all of it below LAYOUT_BIOS_END. The tables are composed in a host
 * buffer first so a failure leaves guest memory untouched. */
#include "tables.h"
#include "acpi_internal.h"
#include "layout.h"

#include <errno.h>
#include <stdlib.h>

#define ACPI_XSDT_ENTRIES 2     /* FADT, MADT; the FADT points to the DSDT */
#define ACPI_MAX_DEVS     0x1000 /* DSDT device names V000..VFFF */

_Static_assert(LAYOUT_ACPI_RSDP_ADDR + ACPI_RSDP_SIZE <= LAYOUT_ACPI_TABLES,
	       "RSDP overlaps the tables");
_Static_assert(LAYOUT_BIOS_END <= 1ULL << 32, "ACPI tables must sit below 4 GiB");

static size_t align8(size_t v)
{
	return (v + 7) & ~(size_t)7;
}

static int acpi_check_devs(const struct mmio_dev_desc *devs, unsigned int ndevs)
{
	if (ndevs && !devs)
		return -EINVAL;
	if (ndevs > ACPI_MAX_DEVS)
		return -EINVAL;
	for (unsigned int i = 0; i < ndevs; i++) {
		const struct mmio_dev_desc *d = &devs[i];

		/* Memory32Fixed describes 32-bit windows, and the MADT only
		 * declares the IOAPIC's GSIs. */
		if (d->size == 0 || d->addr >= 1ULL << 32 || d->size > (1ULL << 32) - d->addr)
			return -EINVAL;
		if (d->irq >= IOAPIC_PINS)
			return -EINVAL;
	}
	return 0;
}

int acpi_write_tables(const struct guest_mem *gm, unsigned int ncpus,
		      const struct mmio_dev_desc *devs, unsigned int ndevs)
{
	const size_t area = LAYOUT_BIOS_END - LAYOUT_ACPI_RSDP_ADDR;
	const size_t tables = LAYOUT_ACPI_TABLES - LAYOUT_ACPI_RSDP_ADDR;
	uint64_t xsdt_entries[ACPI_XSDT_ENTRIES];
	size_t xsdt, fadt, madt, dsdt, end;
	uint8_t *buf = NULL;
	long n;
	int ret;

	if (ncpus == 0 || ncpus > MAX_VCPUS)
		return -EINVAL;
	ret = acpi_check_devs(devs, ndevs);
	if (ret)
		return ret;
	buf = calloc(1, area);
	if (!buf)
		return -ENOMEM;

	/* The XSDT's size is known up front; the others are built in place,
	 * each after the previous one, and the XSDT is filled in last. */
	xsdt = tables;
	fadt = align8(xsdt + ACPI_SDT_HEADER_SIZE + 8 * ACPI_XSDT_ENTRIES);

	madt = align8(fadt + ACPI_FADT_SIZE);
	if (madt > area) {
		ret = -E2BIG;
		goto out;
	}
	n = acpi_madt_build(buf + madt, area - madt, ncpus);
	if (n < 0) {
		ret = (int)n;
		goto out;
	}

	dsdt = align8(madt + (size_t)n);
	if (dsdt > area) {
		ret = -E2BIG;
		goto out;
	}
	n = acpi_dsdt_build(buf + dsdt, area - dsdt, devs, ndevs);
	if (n < 0) {
		ret = (int)n;
		goto out;
	}
	end = dsdt + (size_t)n;

	n = acpi_fadt_build(buf + fadt, madt - fadt, LAYOUT_ACPI_RSDP_ADDR + dsdt);
	if (n < 0) {
		ret = (int)n;
		goto out;
	}
	xsdt_entries[0] = LAYOUT_ACPI_RSDP_ADDR + fadt;
	xsdt_entries[1] = LAYOUT_ACPI_RSDP_ADDR + madt;
	n = acpi_xsdt_build(buf + xsdt, fadt - xsdt, xsdt_entries, ACPI_XSDT_ENTRIES);
	if (n < 0) {
		ret = (int)n;
		goto out;
	}
	acpi_rsdp_build(buf, LAYOUT_ACPI_RSDP_ADDR + xsdt);

	ret = guest_mem_write(gm, LAYOUT_ACPI_RSDP_ADDR, buf, end);
out:
	free(buf);
	return ret;
}
