#include "boot_internal.h"
#include "bytes.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

int boot_load_kernel(const struct guest_mem *gm, const struct boot_args *args,
		     struct boot_entry *entry, char *err, size_t errlen)
{
	const uint8_t *k = args ? args->kernel : NULL;
	size_t len = args ? args->kernel_len : 0;

	if (err && errlen)
		err[0] = '\0';
	if (!gm || !entry || !k || len == 0)
		return boot_err(err, errlen, -EINVAL, "no kernel image given");
	if (args->initrd_len && !args->initrd)
		return boot_err(err, errlen, -EINVAL, "initrd length given without data");
	if (len >= SELFMAG && memcmp(k, ELFMAG, SELFMAG) == 0)
		return boot_load_elf(gm, args, entry, err, errlen);
	if (len >= HDR_HEADER + 4 && le16_get(k + HDR_BOOT_FLAG) == BOOT_FLAG_MAGIC &&
	    le32_get(k + HDR_HEADER) == HDRS_MAGIC)
		return boot_load_bzimage(gm, args, entry, err, errlen);
	return boot_err(err, errlen, -ENOEXEC, "unrecognised kernel format: neither ELF nor a"
			" bzImage (no 0xAA55 + \"HdrS\" setup header)");
}
