/* Copies what the loader handed over (command line, e820 map) into the
 * image, first thing in ring 3: after that the mem scenario may overwrite
 * any RAM outside the image, wherever the loader put boot_params. */
#include "user.h"
#include "bootparam.h"

char cmdline[4096];
struct e820 e820[128];
int e820_n;

void bootinfo_copy(void)
{
	const uint8_t *bp = (const uint8_t *)kinfo.boot_params;
	uint64_t ptr = *(const uint32_t *)(bp + BP_CMD_LINE_PTR) |
		       (uint64_t)*(const uint32_t *)(bp + BP_EXT_CMD_LINE_PTR) << 32;

	if (ptr && ptr < kinfo.map_top) {
		const char *s = (const char *)ptr;
		size_t i = 0;
		while (i < sizeof(cmdline) - 1 && s[i])
			cmdline[i] = s[i], i++;
		cmdline[i] = '\0';
	}

	int n = bp[BP_E820_ENTRIES];
	if (n > E820_MAX)
		n = E820_MAX;
	for (int i = 0; i < n; i++) {
		const uint8_t *e = bp + BP_E820_TABLE + i * E820_ENTRY_SZ;
		e820[i].addr = *(const uint64_t *)e;
		e820[i].size = *(const uint64_t *)(e + 8);
		e820[i].type = *(const uint32_t *)(e + 16);
	}
	e820_n = n;
}
