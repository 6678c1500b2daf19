/* Kernel loaders and the CPU state a loaded kernel is entered with.
 * Every image is hostile: sizes and offsets are checked against the file
 * and against guest RAM before anything is copied. */
#ifndef CELLVM_BOOT_H
#define CELLVM_BOOT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "guest_mem.h"

enum boot_mode {
	BOOT_MODE_LINUX64, /* 64-bit boot protocol: long mode, RSI = boot_params */
	BOOT_MODE_PVH32,   /* PVH: 32-bit protected mode, paging off, EBX = hvm_start_info */
};

struct boot_entry {
	enum boot_mode mode;
	uint64_t entry;    /* guest-physical entry point */
	uint64_t info_gpa; /* boot_params (LINUX64) or hvm_start_info (PVH32) */
	/* Where things landed, for logs and tests. kernel_end covers what the
	 * kernel claims beyond the file (bzImage init_size, ELF bss). */
	uint64_t kernel_start, kernel_end;
	uint64_t initrd_gpa, initrd_size; /* 0, 0 when there is no initrd */
};

struct boot_args {
	const uint8_t *kernel;   /* whole kernel image file */
	size_t kernel_len;
	const uint8_t *initrd;   /* NULL (or initrd_len 0) when none */
	size_t initrd_len;
	const char *cmdline;     /* NUL-terminated, may be "" or NULL */
	int have_acpi;           /* ACPI tables were written at LAYOUT_ACPI_RSDP_ADDR */
};

/* Boot GDT at LAYOUT_GDT_ADDR. The code selector is the Linux boot
 * protocol's __BOOT_CS: 64-bit for LINUX64, 32-bit flat for PVH32. */
#define BOOT_SEL_CODE64  0x08
#define BOOT_SEL_CS      0x10
#define BOOT_SEL_DS      0x18
#define BOOT_SEL_TSS     0x20
#define BOOT_GDT_ENTRIES 6   /* the long-mode TSS descriptor takes two slots */

/* Detects the format (ELF by "\x7fELF", bzImage by 0xAA55 + "HdrS") and
 * loads it. On failure returns a negative errno and writes a one-line
 * reason into err (when err is not NULL):
 *   -ENOEXEC malformed or unsupported image, -ENOSPC does not fit in RAM,
 *   -EINVAL impossible placement (MMIO hole, loader area, overlap),
 *   -E2BIG command line too long. */
int boot_load_kernel(const struct guest_mem *gm, const struct boot_args *args,
		     struct boot_entry *entry, char *err, size_t errlen);

int boot_load_bzimage(const struct guest_mem *gm, const struct boot_args *args,
		      struct boot_entry *entry, char *err, size_t errlen);
int boot_load_elf(const struct guest_mem *gm, const struct boot_args *args,
		  struct boot_entry *entry, char *err, size_t errlen);

/* Writes the boot GDT (both modes) and, for LINUX64, the identity page
 * tables of the low 4 GiB. Returns 0 or a negative errno. */
int boot_setup_tables(const struct guest_mem *gm, const struct boot_entry *entry);

/* Register state of the boot vCPU for this entry. sregs must hold the
 * vCPU's current sregs (from KVM_GET_SREGS) and is modified in place;
 * regs is overwritten. */
void boot_vcpu_regs(const struct boot_entry *entry, struct kvm_regs *regs,
		    struct kvm_sregs *sregs);

#endif
