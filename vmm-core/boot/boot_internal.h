/* Helpers shared by the loaders in this directory; not part of the
 * core's interface. */
#ifndef CELLVM_BOOT_INTERNAL_H
#define CELLVM_BOOT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "boot.h"
#include "boot_params.h"

/* Formats the reason into err (if any) and returns ret, so error paths
 * read `return boot_err(err, errlen, -ENOEXEC, "...")`. */
int boot_err(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Checks that the kernel range [gpa, gpa+size) lies in one RAM region,
 * above the loader's low-memory area and outside the MMIO hole.
 * 0, -EINVAL (starts in the hole, below 1 MiB, wraps) or -ENOSPC (not
 * inside RAM, including a range running from RAM into the hole). */
int boot_check_kernel_range(const struct guest_mem *gm, uint64_t gpa, uint64_t size,
			    const char *what, char *err, size_t errlen);

/* Length of args->cmdline if it is at most max_len bytes, else -E2BIG. */
int boot_cmdline_check(const struct boot_args *args, uint64_t max_len, uint64_t *len,
		       char *err, size_t errlen);
/* Copies the command line and its NUL to LAYOUT_CMDLINE_ADDR. */
int boot_cmdline_write(const struct guest_mem *gm, const struct boot_args *args, uint64_t len);

/* Highest 4 KiB-aligned address for the initrd such that it starts at or
 * above lo and ends at or below limit (both guest-physical). *gpa = 0
 * when there is no initrd. -ENOSPC when it does not fit. */
int boot_initrd_place(const struct boot_args *args, uint64_t lo, uint64_t limit,
		      uint64_t *gpa, char *err, size_t errlen);

static inline int boot_has_initrd(const struct boot_args *args)
{
	return args->initrd && args->initrd_len;
}

#endif
