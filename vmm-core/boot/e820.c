#include "boot_params.h"
#include "layout.h"

#include <errno.h>

static int e820_add(struct boot_e820 *map, unsigned int max, unsigned int *n,
		    uint64_t addr, uint64_t end, uint32_t type)
{
	if (end <= addr)
		return 0;
	if (*n >= max)
		return -ENOSPC;
	map[(*n)++] = (struct boot_e820){ .addr = addr, .size = end - addr, .type = type };
	return 0;
}

int boot_e820_build(const struct guest_mem *gm, struct boot_e820 *map, unsigned int max)
{
	unsigned int n = 0;
	int ret;

	for (unsigned int i = 0; i < gm->nr_regions; i++) {
		uint64_t start = gm->regions[i].gpa, end = start + gm->regions[i].size;

		if (start >= LAYOUT_BIOS_END) {
			if ((ret = e820_add(map, max, &n, start, end, E820_RAM)) < 0)
				return ret;
			continue;
		}
		/* The first MiB is memfd-backed, but the EBDA (MP table), the
		 * legacy hole and the BIOS area (ACPI tables) must not become
		 * allocatable RAM. */
		uint64_t ram_low_end = end < LAYOUT_EBDA_START ? end : LAYOUT_EBDA_START;
		if ((ret = e820_add(map, max, &n, start, ram_low_end, E820_RAM)) < 0 ||
		    (ret = e820_add(map, max, &n, LAYOUT_EBDA_START, LAYOUT_BIOS_END,
				    E820_RESERVED)) < 0 ||
		    (ret = e820_add(map, max, &n, LAYOUT_BIOS_END, end, E820_RAM)) < 0)
			return ret;
	}
	return (int)n;
}
