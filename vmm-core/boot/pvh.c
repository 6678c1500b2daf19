#include "pvh.h"
#include "layout.h"

#include <errno.h>

int pvh_write_start_info(const struct guest_mem *gm, const struct boot_payload *pl)
{
	struct boot_e820 map[BOOT_PVH_MEMMAP_MAX];
	struct hvm_memmap_table_entry mm[BOOT_PVH_MEMMAP_MAX];
	int n = boot_e820_build(gm, map, BOOT_PVH_MEMMAP_MAX);
	int ret;

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_table_entry){
			.addr = map[i].addr, .size = map[i].size, .type = map[i].type,
		};

	/* Address fields of 0 mean "absent" to the guest, so a missing
	 * initrd or RSDP needs no flag. */
	struct hvm_start_info si = {
		.magic = XEN_HVM_START_MAGIC,
		.version = HVM_START_INFO_VERSION,
		.cmdline_paddr = pl->cmdline_gpa,
		.rsdp_paddr = pl->rsdp_gpa,
		.memmap_paddr = LAYOUT_PVH_MEMMAP_ADDR,
		.memmap_entries = (uint32_t)n,
	};
	if (pl->initrd_gpa) {
		struct hvm_modlist_entry mod = { .paddr = pl->initrd_gpa, .size = pl->initrd_size };

		if ((ret = guest_mem_write(gm, BOOT_PVH_MODLIST_ADDR, &mod, sizeof(mod))) < 0)
			return ret;
		si.nr_modules = 1;
		si.modlist_paddr = BOOT_PVH_MODLIST_ADDR;
	}
	if ((ret = guest_mem_write(gm, LAYOUT_PVH_MEMMAP_ADDR, mm, (uint64_t)n * sizeof(mm[0]))) < 0)
		return ret;
	return guest_mem_write(gm, LAYOUT_PVH_INFO_ADDR, &si, sizeof(si));
}
