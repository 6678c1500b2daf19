/* PVH (x86/HVM direct boot ABI): the start-of-day structure a PVH entry
 * receives in EBX. Layout from xen/include/public/arch-x86/hvm/start_info.h
 * (version 1, which adds the memory map); the C types below have no
 * padding, so they match the ABI byte for byte. */
#ifndef CELLVM_BOOT_PVH_H
#define CELLVM_BOOT_PVH_H

#include <stdint.h>

#include "boot_params.h"
#include "layout.h"
#include "guest_mem.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define XEN_HVM_START_MAGIC      0x336ec578u
#define HVM_START_INFO_VERSION   1

/* One module entry (the initrd) after the memory map's page slot. */
#define BOOT_PVH_MODLIST_ADDR    0x6800ULL
#define BOOT_PVH_MEMMAP_MAX      ((BOOT_PVH_MODLIST_ADDR - LAYOUT_PVH_MEMMAP_ADDR) / \
				  sizeof(struct hvm_memmap_table_entry))

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;    /* version >= 1 */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;            /* E820_RAM, E820_RESERVED */
	uint32_t reserved;
};

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info ABI");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry ABI");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "hvm_memmap_table_entry ABI");

/* Writes hvm_start_info at LAYOUT_PVH_INFO_ADDR, its memory map at
 * LAYOUT_PVH_MEMMAP_ADDR and the initrd module at BOOT_PVH_MODLIST_ADDR. */
int pvh_write_start_info(const struct guest_mem *gm, const struct boot_payload *pl);

#endif
