/* Linux bzImage, entered through the 64-bit boot protocol at load + 0x200:
 * only the protected-mode part is loaded; the real-mode setup code never
 * runs, so its header is copied into a fresh zero page instead. */
#include "boot_internal.h"
#include "bytes.h"
#include "layout.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define SECTOR             512u
#define ENTRY64_OFFSET     0x200u
#define MIN_VERSION        0x0206u
#define MAX_ALIGNMENT      (1ULL << 30)

struct bz_hdr {
	uint16_t version;
	size_t hdr_end;          /* end of the setup header in the file */
	uint64_t setup_size;     /* boot sector + setup code */
	uint64_t pm_len;         /* protected-mode bytes to load */
	int relocatable;
	uint64_t alignment;
	uint64_t pref_address;   /* 0 when the protocol has none */
	uint64_t init_size;      /* memory the kernel needs from its runtime start */
	uint64_t cmdline_size;
	uint64_t initrd_addr_max;
};

/* The setup header must be long enough to hold every field its version
 * promises; a shorter one is a truncated or forged header. */
static size_t hdr_min_end(uint16_t version)
{
	if (version >= 0x020a)
		return HDR_INIT_SIZE + 4;
	return HDR_CMDLINE_SIZE + 4;
}

static int bz_parse(const uint8_t *k, size_t len, struct bz_hdr *h, char *err, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	if (len < HDR_VERSION + 2)
		return boot_err(err, errlen, -ENOEXEC, "kernel image is %zu bytes, too small for a"
				" bzImage header", len);
	if (le16_get(k + HDR_BOOT_FLAG) != BOOT_FLAG_MAGIC)
		return boot_err(err, errlen, -ENOEXEC, "not a bzImage: boot_flag is 0x%04x,"
				" expected 0xaa55", le16_get(k + HDR_BOOT_FLAG));
	if (le32_get(k + HDR_HEADER) != HDRS_MAGIC)
		return boot_err(err, errlen, -ENOEXEC, "not a bzImage: no \"HdrS\" signature"
				" (boot protocol older than 2.00)");
	h->version = le16_get(k + HDR_VERSION);
	if (h->version < MIN_VERSION)
		return boot_err(err, errlen, -ENOEXEC, "boot protocol %u.%02u too old (need 2.06)",
				h->version >> 8, h->version & 0xff);

	h->hdr_end = 0x202 + (size_t)k[HDR_JUMP + 1];
	if (h->hdr_end > BP_HDR_END_MAX || h->hdr_end < hdr_min_end(h->version))
		return boot_err(err, errlen, -ENOEXEC, "setup header ends at 0x%zx, impossible"
				" for boot protocol %u.%02u", h->hdr_end, h->version >> 8,
				h->version & 0xff);
	if (h->hdr_end > len)
		return boot_err(err, errlen, -ENOEXEC, "setup header ends at 0x%zx, past the end"
				" of the %zu-byte file", h->hdr_end, len);

	unsigned int sects = k[HDR_SETUP_SECTS] ? k[HDR_SETUP_SECTS] : 4;
	h->setup_size = (uint64_t)(sects + 1) * SECTOR;
	if (h->setup_size < h->hdr_end || h->setup_size >= len)
		return boot_err(err, errlen, -ENOEXEC, "setup code (%u sectors) leaves no"
				" protected-mode kernel in the %zu-byte file", sects, len);

	if (!(k[HDR_LOADFLAGS] & LF_LOADED_HIGH))
		return boot_err(err, errlen, -ENOEXEC, "zImage kernels (loaded low) are not"
				" supported");
	if (h->version < 0x020c || !(le16_get(k + HDR_XLOADFLAGS) & XLF_KERNEL_64))
		return boot_err(err, errlen, -ENOEXEC, "kernel has no 64-bit entry point"
				" (XLF_KERNEL_64 clear); only 64-bit kernels are supported");

	/* syssize is rounded up to 16 bytes; a signed kernel carries its
	 * signature after it, so a longer file is fine, a shorter one is not. */
	uint64_t pm_file = len - h->setup_size;
	uint64_t sys_bytes = (uint64_t)le32_get(k + HDR_SYSSIZE) * 16;
	if (sys_bytes == 0 || sys_bytes > align_up64(pm_file, 16))
		return boot_err(err, errlen, -ENOEXEC, "syssize says %" PRIu64 " bytes of"
				" protected-mode kernel but the file holds %" PRIu64,
				sys_bytes, pm_file);
	h->pm_len = sys_bytes < pm_file ? sys_bytes : pm_file;

	h->relocatable = k[HDR_RELOCATABLE] != 0;
	h->alignment = le32_get(k + HDR_KERNEL_ALIGNMENT);
	if (h->relocatable && (h->alignment == 0 || (h->alignment & (h->alignment - 1)) ||
			       h->alignment > MAX_ALIGNMENT))
		return boot_err(err, errlen, -ENOEXEC, "kernel_alignment 0x%" PRIx64 " is not a"
				" power of two up to 1 GiB", h->alignment);
	h->cmdline_size = le32_get(k + HDR_CMDLINE_SIZE);
	h->initrd_addr_max = le32_get(k + HDR_INITRD_ADDR_MAX);
	if (h->version >= 0x020a) {
		h->pref_address = le64_get(k + HDR_PREF_ADDRESS);
		h->init_size = le32_get(k + HDR_INIT_SIZE);
	}
	return 0;
}

/* End of the memory the kernel uses when loaded at addr, or 0 when that
 * does not fit in low RAM above the loader's first MiB. */
static uint64_t bz_fit(const struct bz_hdr *h, uint64_t addr, uint64_t low_end)
{
	if (addr < LAYOUT_BIOS_END || addr >= low_end)
		return 0;
	/* A relocatable kernel first moves itself to the next aligned
	 * address and needs init_size from there. */
	uint64_t runtime = h->relocatable ? align_up64(addr, h->alignment) : addr;
	if (runtime > low_end || h->init_size > low_end - runtime ||
	    h->pm_len > low_end - addr)
		return 0;
	uint64_t end = runtime + h->init_size;
	return end > addr + h->pm_len ? end : addr + h->pm_len;
}

static int bz_place(const struct guest_mem *gm, const struct bz_hdr *h, uint64_t *load,
		    uint64_t *end, char *err, size_t errlen)
{
	uint64_t low_end = guest_mem_low_end(gm);
	uint64_t need = h->init_size > h->pm_len ? h->init_size : h->pm_len;

	if (!h->relocatable) {
		/* It will run at pref_address whatever we do, so it must be
		 * loaded there. */
		*load = h->pref_address ? h->pref_address : LAYOUT_KERNEL_DEFAULT;
		if (!(*end = bz_fit(h, *load, low_end)))
			return boot_err(err, errlen, -ENOSPC, "non-relocatable kernel must be"
					" loaded at 0x%" PRIx64 " and needs %" PRIu64 " bytes there;"
					" usable low RAM is [1 MiB, 0x%" PRIx64 ")",
					*load, need, low_end);
		return 0;
	}
	*load = h->pref_address;
	if (h->pref_address && (*end = bz_fit(h, *load, low_end)))
		return 0;
	*load = LAYOUT_KERNEL_DEFAULT;
	if ((*end = bz_fit(h, *load, low_end)))
		return 0;
	return boot_err(err, errlen, -ENOSPC, "kernel needs %" PRIu64 " bytes (init_size) at"
			" %" PRIu64 "-byte alignment above 1 MiB, but low RAM ends at 0x%" PRIx64,
			need, h->alignment, low_end);
}

int boot_load_bzimage(const struct guest_mem *gm, const struct boot_args *args,
		      struct boot_entry *entry, char *err, size_t errlen)
{
	uint8_t zp[BP_SIZE];
	struct boot_payload pl = { .cmdline_gpa = LAYOUT_CMDLINE_ADDR };
	struct bz_hdr h;
	uint64_t load, end;
	int ret;

	if ((ret = bz_parse(args->kernel, args->kernel_len, &h, err, errlen)) < 0)
		return ret;
	if ((ret = boot_cmdline_check(args, h.cmdline_size, &pl.cmdline_len, err, errlen)) < 0)
		return ret;
	if ((ret = bz_place(gm, &h, &load, &end, err, errlen)) < 0)
		return ret;

	/* initrd_addr_max is the highest byte the initrd may occupy. */
	uint64_t limit = guest_mem_low_end(gm);
	if (h.initrd_addr_max + 1 < limit)
		limit = h.initrd_addr_max + 1;
	if ((ret = boot_initrd_place(args, end, limit, &pl.initrd_gpa, err, errlen)) < 0)
		return ret;
	if (pl.initrd_gpa)
		pl.initrd_size = args->initrd_len;
	if (args->have_acpi && h.version >= 0x020e)
		pl.rsdp_gpa = LAYOUT_ACPI_RSDP_ADDR;

	/* Everything is validated: from here on only writes into RAM that
	 * the checks above proved to exist. */
	memset(zp, 0, sizeof(zp));
	memcpy(zp + BP_HDR, args->kernel + BP_HDR, h.hdr_end - BP_HDR);
	zp[HDR_TYPE_OF_LOADER] = LOADER_TYPE_UNDEFINED;
	zp[HDR_LOADFLAGS] |= LF_CAN_USE_HEAP;
	le16_put(zp + HDR_HEAP_END_PTR, BOOT_HEAP_END_PTR);
	le32_put(zp + HDR_CODE32_START, (uint32_t)load);
	le32_put(zp + HDR_HARDWARE_SUBARCH, 0);
	le64_put(zp + HDR_SETUP_DATA, 0); /* no setup_data list; the image's value is junk */

	if ((ret = guest_mem_write(gm, load, args->kernel + h.setup_size, h.pm_len)) < 0 ||
	    (pl.initrd_gpa &&
	     (ret = guest_mem_write(gm, pl.initrd_gpa, args->initrd, pl.initrd_size)) < 0) ||
	    (ret = boot_cmdline_write(gm, args, pl.cmdline_len)) < 0 ||
	    (ret = boot_params_finish(gm, zp, &pl)) < 0)
		return boot_err(err, errlen, ret, "writing the kernel into guest RAM failed");

	*entry = (struct boot_entry){
		.mode = BOOT_MODE_LINUX64,
		.entry = load + ENTRY64_OFFSET,
		.info_gpa = LAYOUT_ZERO_PAGE_ADDR,
		.kernel_start = load, .kernel_end = end,
		.initrd_gpa = pl.initrd_gpa, .initrd_size = pl.initrd_size,
	};
	log_debug("bzImage protocol %u.%02u: %" PRIu64 " bytes at 0x%" PRIx64 ", init_size %"
		  PRIu64 ", initrd at 0x%" PRIx64, h.version >> 8, h.version & 0xff, h.pm_len,
		  load, h.init_size, pl.initrd_gpa);
	return 0;
}
