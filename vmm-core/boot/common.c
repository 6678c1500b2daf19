#include "boot_internal.h"
#include "layout.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

int boot_err(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return ret;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

int boot_check_kernel_range(const struct guest_mem *gm, uint64_t gpa, uint64_t size,
			    const char *what, char *err, size_t errlen)
{
	if (size > UINT64_MAX - gpa)
		return boot_err(err, errlen, -EINVAL, "%s at 0x%" PRIx64 " with size 0x%" PRIx64
				" wraps around the address space", what, gpa, size);
	uint64_t end = gpa + size;

	/* Below 1 MiB live the zero page, GDT, page tables, cmdline, MP and
	 * ACPI tables: a kernel there would be overwritten or overwrite them. */
	if (gpa < LAYOUT_BIOS_END)
		return boot_err(err, errlen, -EINVAL, "%s [0x%" PRIx64 ", 0x%" PRIx64 ") overlaps"
				" the loader's area below 1 MiB", what, gpa, end);
	if (gpa >= LAYOUT_MMIO_HOLE_START && gpa < LAYOUT_MMIO_HOLE_END)
		return boot_err(err, errlen, -EINVAL, "%s [0x%" PRIx64 ", 0x%" PRIx64 ") starts in"
				" the MMIO hole at 3-4 GiB", what, gpa, end);
	if (!guest_mem_ptr(gm, gpa, size))
		return boot_err(err, errlen, -ENOSPC, "%s [0x%" PRIx64 ", 0x%" PRIx64 ") is outside"
				" guest RAM%s (%" PRIu64 " MiB, low RAM ends at 0x%" PRIx64 ")",
				what, gpa, end,
				gpa < LAYOUT_MMIO_HOLE_START && end > LAYOUT_MMIO_HOLE_START ?
				" and runs into the MMIO hole" : "",
				gm->size >> 20, guest_mem_low_end(gm));
	return 0;
}
