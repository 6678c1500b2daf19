#include "boot_internal.h"
#include "bytes.h"

#include <errno.h>
#include <inttypes.h>

#define INITRD_ALIGN 0x1000ULL

int boot_initrd_place(const struct boot_args *args, uint64_t lo, uint64_t limit,
		      uint64_t *gpa, char *err, size_t errlen)
{
	uint64_t size = args->initrd_len;

	*gpa = 0;
	if (!boot_has_initrd(args))
		return 0;
	/* High is where Linux expects it (as far from the kernel's
	 * decompression and bss as possible); aligned so it can be reserved
	 * in whole pages. */
	lo = align_up64(lo, INITRD_ALIGN);
	if (limit < lo || size > limit - lo || align_down64(limit - size, INITRD_ALIGN) < lo)
		return boot_err(err, errlen, -ENOSPC, "initrd of %" PRIu64 " bytes does not fit"
				" between the kernel's end at 0x%" PRIx64 " and 0x%" PRIx64,
				size, lo, limit);
	*gpa = align_down64(limit - size, INITRD_ALIGN);
	return 0;
}
