#include "boot_internal.h"
#include "layout.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

int boot_cmdline_check(const struct boot_args *args, uint64_t max_len, uint64_t *len,
		       char *err, size_t errlen)
{
	const char *s = args->cmdline ? args->cmdline : "";
	/* The string's end is only trusted as far as the buffer can hold. */
	uint64_t cap = LAYOUT_CMDLINE_MAX - 1;
	uint64_t limit = max_len < cap ? max_len : cap;
	size_t n = strnlen(s, (size_t)limit + 1);

	if (n > limit)
		return boot_err(err, errlen, -E2BIG, "kernel command line is longer than the"
				" %" PRIu64 " bytes the kernel accepts", limit);
	*len = n;
	return 0;
}

int boot_cmdline_write(const struct guest_mem *gm, const struct boot_args *args, uint64_t len)
{
	const char *s = args->cmdline ? args->cmdline : "";
	char *dst = guest_mem_ptr(gm, LAYOUT_CMDLINE_ADDR, len + 1);

	if (!dst)
		return -EFAULT;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}
