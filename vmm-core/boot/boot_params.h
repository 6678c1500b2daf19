/* The Linux x86 "zero page" (struct boot_params) and the setup header
 * inside it, as byte offsets: the structure is packed and full of
 * unaligned fields, so it is built in a byte buffer rather than a C
 * struct. Offsets are the same in the bzImage file and the zero page.
 * Reference: Documentation/arch/x86/boot.rst and zero-page.rst. */
#ifndef CELLVM_BOOT_PARAMS_H
#define CELLVM_BOOT_PARAMS_H

#include <stdint.h>

#include "guest_mem.h"

#define BP_SIZE               4096

/* boot_params outside the setup header */
#define BP_ACPI_RSDP_ADDR     0x070   /* u64, read by the kernel since protocol 2.14 */
#define BP_EXT_RAMDISK_IMAGE  0x0c0   /* u32, high half of ramdisk_image */
#define BP_EXT_RAMDISK_SIZE   0x0c4
#define BP_EXT_CMD_LINE_PTR   0x0c8
#define BP_E820_ENTRIES       0x1e8   /* u8 */
#define BP_SENTINEL           0x1ef
#define BP_HDR                0x1f1   /* setup header start */
#define BP_HDR_END_MAX        0x290   /* the header may not grow past this */
#define BP_E820_TABLE         0x2d0
#define BP_E820_ENTRY_SIZE    20      /* packed {u64 addr, u64 size, u32 type} */
#define BP_E820_MAX           128

/* setup header fields */
#define HDR_SETUP_SECTS       0x1f1   /* u8, 0 means 4 */
#define HDR_SYSSIZE           0x1f4   /* u32, protected-mode size in 16-byte units */
#define HDR_VID_MODE          0x1fa
#define HDR_BOOT_FLAG         0x1fe   /* u16 0xAA55 */
#define HDR_JUMP              0x200   /* 0xEB, len: header ends at 0x202 + byte 0x201 */
#define HDR_HEADER            0x202   /* "HdrS" */
#define HDR_VERSION           0x206   /* u16 */
#define HDR_TYPE_OF_LOADER    0x210
#define HDR_LOADFLAGS         0x211
#define HDR_CODE32_START      0x214
#define HDR_RAMDISK_IMAGE     0x218
#define HDR_RAMDISK_SIZE      0x21c
#define HDR_HEAP_END_PTR      0x224   /* u16 */
#define HDR_CMD_LINE_PTR      0x228
#define HDR_INITRD_ADDR_MAX   0x22c
#define HDR_KERNEL_ALIGNMENT  0x230
#define HDR_RELOCATABLE       0x234   /* u8 */
#define HDR_MIN_ALIGNMENT     0x235   /* u8 */
#define HDR_XLOADFLAGS        0x236   /* u16 */
#define HDR_CMDLINE_SIZE      0x238
#define HDR_HARDWARE_SUBARCH  0x23c
#define HDR_SETUP_DATA        0x250   /* u64 */
#define HDR_PREF_ADDRESS      0x258   /* u64 */
#define HDR_INIT_SIZE         0x260   /* u32 */

#define BOOT_FLAG_MAGIC       0xaa55
#define HDRS_MAGIC            0x53726448u  /* "HdrS" little-endian */
#define LOADER_TYPE_UNDEFINED 0xff

/* loadflags / xloadflags */
#define LF_LOADED_HIGH        0x01
#define LF_CAN_USE_HEAP       0x80
#define XLF_KERNEL_64         0x0001

/* Where the setup heap would end if the real-mode code had run; the
 * protocol's sample value (heap_end 0xe000, minus 0x200). */
#define BOOT_HEAP_END_PTR     0xde00

/* Linux's own initrd_addr_max on x86_64; used when the image has no
 * header to say so (ELF vmlinux, PVH). */
#define BOOT_INITRD_ADDR_MAX_DEFAULT 0x7fffffffULL

/* e820 types, shared with the PVH memory map */
#define E820_RAM              1
#define E820_RESERVED         2

struct boot_e820 {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* Guest memory map seen by the kernel: RAM [0, EBDA), reserved [EBDA,
 * 1 MiB) (MP table, ACPI tables, legacy hole), RAM [1 MiB, low end), RAM
 * above 4 GiB when present. Returns the number of entries or -ENOSPC. */
int boot_e820_build(const struct guest_mem *gm, struct boot_e820 *map, unsigned int max);

/* What the loader placed in guest memory besides the kernel. */
struct boot_payload {
	uint64_t cmdline_gpa;
	uint64_t cmdline_len;   /* without the NUL */
	uint64_t initrd_gpa;    /* 0 when none */
	uint64_t initrd_size;
	uint64_t rsdp_gpa;      /* 0 when there are no ACPI tables */
};

/* Starts a zero page for an ELF vmlinux, which has no setup header of its
 * own: the fields Linux checks on the 64-bit entry path. */
void boot_params_init_vmlinux(uint8_t zp[BP_SIZE]);

/* Fills the loader-written fields (cmdline, ramdisk, e820, RSDP) into zp
 * and copies it to LAYOUT_ZERO_PAGE_ADDR. */
int boot_params_finish(const struct guest_mem *gm, uint8_t zp[BP_SIZE],
		       const struct boot_payload *pl);

#endif
