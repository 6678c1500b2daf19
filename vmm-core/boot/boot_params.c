#include "boot_params.h"
#include "bytes.h"
#include "layout.h"

#include <errno.h>
#include <string.h>

void boot_params_init_vmlinux(uint8_t zp[BP_SIZE])
{
	memset(zp, 0, BP_SIZE);
	le16_put(zp + HDR_BOOT_FLAG, BOOT_FLAG_MAGIC);
	le32_put(zp + HDR_HEADER, HDRS_MAGIC);
	zp[HDR_TYPE_OF_LOADER] = LOADER_TYPE_UNDEFINED;
	/* What a bzImage of the same kernel would advertise; the kernel
	 * rounds its physical start to this. */
	le32_put(zp + HDR_KERNEL_ALIGNMENT, 0x1000000);
}

int boot_params_finish(const struct guest_mem *gm, uint8_t zp[BP_SIZE],
		       const struct boot_payload *pl)
{
	struct boot_e820 map[8];
	int n = boot_e820_build(gm, map, 8);

	if (n < 0)
		return n;
	le32_put(zp + HDR_CMD_LINE_PTR, (uint32_t)pl->cmdline_gpa);
	le32_put(zp + BP_EXT_CMD_LINE_PTR, (uint32_t)(pl->cmdline_gpa >> 32));
	le32_put(zp + HDR_RAMDISK_IMAGE, (uint32_t)pl->initrd_gpa);
	le32_put(zp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(pl->initrd_gpa >> 32));
	le32_put(zp + HDR_RAMDISK_SIZE, (uint32_t)pl->initrd_size);
	le32_put(zp + BP_EXT_RAMDISK_SIZE, (uint32_t)(pl->initrd_size >> 32));
	le64_put(zp + BP_ACPI_RSDP_ADDR, pl->rsdp_gpa);

	zp[BP_E820_ENTRIES] = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		uint8_t *e = zp + BP_E820_TABLE + (size_t)i * BP_E820_ENTRY_SIZE;
		le64_put(e, map[i].addr);
		le64_put(e + 8, map[i].size);
		le32_put(e + 16, map[i].type);
	}
	return guest_mem_write(gm, LAYOUT_ZERO_PAGE_ADDR, zp, BP_SIZE);
}
