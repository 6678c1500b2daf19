/* bzImage loader: placement, zero page contents and every malformed
 * header the loader must refuse. */
#include <errno.h>

#include "test_boot_util.h"

#define RAM_64M (64 * MiB)

struct bz_run {
	struct guest_mem gm;
	struct boot_entry entry;
	char err[T_ERRLEN];
	int ret;
};

static void bz_load(struct bz_run *r, uint64_t ram, const uint8_t *k, size_t len,
		    const uint8_t *initrd, size_t initrd_len, const char *cmdline, int acpi)
{
	struct boot_args args = {
		.kernel = k, .kernel_len = len, .initrd = initrd, .initrd_len = initrd_len,
		.cmdline = cmdline, .have_acpi = acpi,
	};

	t_mem(&r->gm, ram);
	memset(&r->entry, 0, sizeof(r->entry));
	r->err[0] = '\0';
	r->ret = boot_load_kernel(&r->gm, &args, &r->entry, r->err, sizeof(r->err));
}

static void bz_expect_err(const struct tb_spec *s, uint64_t ram, int err, const char *needle)
{
	struct bz_run r;
	size_t len;
	uint8_t *k = tb_build(s, &len);

	bz_load(&r, ram, k, len, NULL, 0, "console=ttyS0", 0);
	cr_assert_eq(r.ret, -err, "ret %d (%s), expected %d", r.ret, r.err, -err);
	cr_assert_neq(r.err[0], '\0', "no error message");
	if (needle)
		cr_assert_not_null(strstr(r.err, needle), "'%s' lacks '%s'", r.err, needle);
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_bzimage, loads_at_pref_address_with_full_zero_page)
{
	struct tb_spec s = tb_default();
	struct bz_run r;
	size_t len;
	uint8_t *k = tb_build(&s, &len);
	uint8_t initrd[10000];
	const char *cmd = "console=ttyS0 root=/dev/vda";

	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0x5a);
	bz_load(&r, RAM_64M, k, len, initrd, sizeof(initrd), cmd, 1);
	cr_assert_eq(r.ret, 0, "%s", r.err);

	cr_assert_eq(r.entry.mode, BOOT_MODE_LINUX64);
	cr_assert_eq(r.entry.entry, 0x1000000 + 0x200);
	cr_assert_eq(r.entry.info_gpa, LAYOUT_ZERO_PAGE_ADDR);
	cr_assert_eq(r.entry.kernel_start, 0x1000000);
	cr_assert_eq(r.entry.kernel_end, 0x1000000 + s.init_size);
	cr_assert_eq(memcmp(t_ptr(&r.gm, 0x1000000, s.pm_len), k + tb_setup_size(&s), s.pm_len), 0);

	/* header copied from the image, loader fields filled in */
	cr_assert_eq(zp16(&r.gm, HDR_BOOT_FLAG), 0xaa55);
	cr_assert_eq(zp32(&r.gm, HDR_HEADER), HDRS_MAGIC);
	cr_assert_eq(zp16(&r.gm, HDR_VERSION), 0x020f);
	cr_assert_eq(zp32(&r.gm, HDR_INIT_SIZE), s.init_size);
	cr_assert_eq(zp8(&r.gm, HDR_TYPE_OF_LOADER), 0xff);
	cr_assert_eq(zp8(&r.gm, HDR_LOADFLAGS), LF_LOADED_HIGH | LF_CAN_USE_HEAP);
	cr_assert_eq(zp16(&r.gm, HDR_HEAP_END_PTR), BOOT_HEAP_END_PTR);
	cr_assert_eq(zp32(&r.gm, HDR_CODE32_START), 0x1000000);
	cr_assert_eq(zp64(&r.gm, HDR_SETUP_DATA), 0);
	cr_assert_eq(zp8(&r.gm, BP_SENTINEL), 0);
	/* nothing past the header's end (0x26c) leaks from the image */
	cr_assert_eq(zp32(&r.gm, 0x26c), 0);

	cr_assert_eq(zp32(&r.gm, HDR_CMD_LINE_PTR), LAYOUT_CMDLINE_ADDR);
	cr_assert_eq(zp32(&r.gm, BP_EXT_CMD_LINE_PTR), 0);
	cr_assert_str_eq((const char *)t_ptr(&r.gm, LAYOUT_CMDLINE_ADDR, strlen(cmd) + 1), cmd);

	uint32_t rd = zp32(&r.gm, HDR_RAMDISK_IMAGE);
	cr_assert_eq(rd, r.entry.initrd_gpa);
	cr_assert_eq(zp32(&r.gm, HDR_RAMDISK_SIZE), sizeof(initrd));
	cr_assert_eq(zp32(&r.gm, BP_EXT_RAMDISK_IMAGE), 0);
	cr_assert_eq(rd % 4096, 0);
	cr_assert_geq(rd, 0x1000000 + s.init_size, "initrd overlaps init_size");
	cr_assert_leq(rd + sizeof(initrd), RAM_64M);
	cr_assert_gt(rd + sizeof(initrd) + 4096, RAM_64M, "initrd not placed as high as possible");
	cr_assert_eq(memcmp(t_ptr(&r.gm, rd, sizeof(initrd)), initrd, sizeof(initrd)), 0);

	cr_assert_eq(zp64(&r.gm, BP_ACPI_RSDP_ADDR), LAYOUT_ACPI_RSDP_ADDR);
	t_check_e820(&r.gm, RAM_64M);
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_bzimage, setup_sects_zero_means_four)
{
	struct tb_spec s = tb_default();
	struct bz_run r;
	size_t len;

	s.setup_sects = 0;
	uint8_t *k = tb_build(&s, &len);
	cr_assert_eq(len, 5 * 512 + s.pm_len);
	bz_load(&r, RAM_64M, k, len, NULL, 0, "", 0);
	cr_assert_eq(r.ret, 0, "%s", r.err);
	cr_assert_eq(g8(&r.gm, 0x1000000), t_pattern(0));
	cr_assert_eq(g8(&r.gm, 0x1000000 + 100), t_pattern(100));
	cr_assert_eq(zp32(&r.gm, HDR_RAMDISK_IMAGE), 0);
	cr_assert_eq(zp32(&r.gm, HDR_RAMDISK_SIZE), 0);
	cr_assert_eq(zp64(&r.gm, BP_ACPI_RSDP_ADDR), 0, "RSDP set without ACPI");
	cr_assert_eq(g8(&r.gm, LAYOUT_CMDLINE_ADDR), 0);
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_bzimage, trailing_signature_is_not_loaded)
{
	struct tb_spec s = tb_default();
	struct bz_run r;
	size_t len;

	s.trailer = 1500;
	uint8_t *k = tb_build(&s, &len);
	bz_load(&r, RAM_64M, k, len, NULL, 0, "", 0);
	cr_assert_eq(r.ret, 0, "%s", r.err);
	cr_assert_eq(g8(&r.gm, 0x1000000 + s.pm_len - 1), t_pattern(s.pm_len - 1));
	cr_assert_eq(g8(&r.gm, 0x1000000 + s.pm_len), 0);
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_bzimage, no_rsdp_before_protocol_2_14)
{
	struct tb_spec s = tb_default();
	struct bz_run r;
	size_t len;

	s.version = 0x020c;
	uint8_t *k = tb_build(&s, &len);
	bz_load(&r, RAM_64M, k, len, NULL, 0, "", 1);
	cr_assert_eq(r.ret, 0, "%s", r.err);
	cr_assert_eq(zp64(&r.gm, BP_ACPI_RSDP_ADDR), 0);
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_bzimage, relocatable_falls_back_to_1mib_when_pref_does_not_fit)
{
	struct tb_spec s = tb_default();
	struct bz_run r;
	size_t len;

	s.pref = 48 * MiB;
	s.init_size = 32 * MiB;
	uint8_t *k = tb_build(&s, &len);
	bz_load(&r, RAM_64M, k, len, NULL, 0, "", 0);
	cr_assert_eq(r.ret, 0, "%s", r.err);
	cr_assert_eq(r.entry.kernel_start, LAYOUT_KERNEL_DEFAULT);
	cr_assert_eq(r.entry.entry, LAYOUT_KERNEL_DEFAULT + 0x200);
	/* it realigns itself to 2 MiB and needs init_size from there */
	cr_assert_eq(r.entry.kernel_end, 2 * MiB + 32 * MiB);
	cr_assert_eq(zp32(&r.gm, HDR_CODE32_START), LAYOUT_KERNEL_DEFAULT);
	cr_assert_eq(g8(&r.gm, LAYOUT_KERNEL_DEFAULT + 5), t_pattern(5));
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_bzimage, non_relocatable_loads_at_pref)
{
	struct tb_spec s = tb_default();
	struct bz_run r;
	size_t len;

	s.relocatable = 0;
	s.pref = 0x2000000;
	uint8_t *k = tb_build(&s, &len);
	bz_load(&r, RAM_64M, k, len, NULL, 0, "", 0);
	cr_assert_eq(r.ret, 0, "%s", r.err);
	cr_assert_eq(r.entry.kernel_start, 0x2000000);
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_bzimage, high_ram_gets_e820_entry_and_initrd_stays_below_addr_max)
{
	struct tb_spec s = tb_default();
	struct bz_run r;
	size_t len;
	uint64_t ram = 3 * GiB + 512 * MiB;
	uint8_t initrd[5000];

	memset(initrd, 0x77, sizeof(initrd));
	uint8_t *k = tb_build(&s, &len);
	bz_load(&r, ram, k, len, initrd, sizeof(initrd), "x", 1);
	cr_assert_eq(r.ret, 0, "%s", r.err);
	t_check_e820(&r.gm, ram);
	uint32_t rd = zp32(&r.gm, HDR_RAMDISK_IMAGE);
	cr_assert_eq(rd % 4096, 0);
	cr_assert_leq((uint64_t)rd + sizeof(initrd) - 1, s.initrd_addr_max);
	cr_assert_gt((uint64_t)rd + sizeof(initrd) + 4096, (uint64_t)s.initrd_addr_max + 1);
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_bzimage, cmdline_at_the_limit_is_accepted)
{
	struct tb_spec s = tb_default();
	struct bz_run r;
	size_t len;

	s.cmdline_size = 10;
	uint8_t *k = tb_build(&s, &len);
	bz_load(&r, RAM_64M, k, len, NULL, 0, "0123456789", 0);
	cr_assert_eq(r.ret, 0, "%s", r.err);
	cr_assert_str_eq((const char *)t_ptr(&r.gm, LAYOUT_CMDLINE_ADDR, 11), "0123456789");
	guest_mem_destroy(&r.gm);
	free(k);
}

/* ---- malformed and impossible images ---- */

Test(boot_bzimage, too_old_protocol)
{
	struct tb_spec s = tb_default();
	s.version = 0x0205;
	bz_expect_err(&s, RAM_64M, ENOEXEC, "boot protocol 2.05 too old (need 2.06)");
}

Test(boot_bzimage, bad_boot_flag)
{
	struct bz_run r;
	size_t len;
	struct tb_spec s = tb_default();
	uint8_t *k = tb_build(&s, &len);

	k[HDR_BOOT_FLAG] = 0;
	t_mem(&r.gm, RAM_64M);
	struct boot_args a = { .kernel = k, .kernel_len = len, .cmdline = "" };
	r.ret = boot_load_bzimage(&r.gm, &a, &r.entry, r.err, sizeof(r.err));
	cr_assert_eq(r.ret, -ENOEXEC);
	cr_assert_not_null(strstr(r.err, "boot_flag"), "%s", r.err);
	/* and the format probe does not take it for a bzImage either */
	r.ret = boot_load_kernel(&r.gm, &a, &r.entry, r.err, sizeof(r.err));
	cr_assert_eq(r.ret, -ENOEXEC);
	cr_assert_not_null(strstr(r.err, "unrecognised"), "%s", r.err);
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_bzimage, missing_hdrs)
{
	struct bz_run r;
	size_t len;
	struct tb_spec s = tb_default();
	uint8_t *k = tb_build(&s, &len);

	memcpy(k + HDR_HEADER, "HdrX", 4);
	t_mem(&r.gm, RAM_64M);
	struct boot_args a = { .kernel = k, .kernel_len = len, .cmdline = "" };
	r.ret = boot_load_bzimage(&r.gm, &a, &r.entry, r.err, sizeof(r.err));
	cr_assert_eq(r.ret, -ENOEXEC);
	cr_assert_not_null(strstr(r.err, "HdrS"), "%s", r.err);
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_bzimage, truncated_files)
{
	struct tb_spec s = tb_default();
	size_t len;
	uint8_t *k = tb_build(&s, &len);
	/* every prefix short of a real protected-mode part must fail cleanly */
	size_t cuts[] = { 1, 0x1f0, 0x203, 0x207, 0x208, 0x26b, 0x300, tb_setup_size(&s) };

	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct bz_run r;
		uint8_t *copy = malloc(cuts[i]);   /* exact size: ASan catches overreads */
		memcpy(copy, k, cuts[i]);
		t_mem(&r.gm, RAM_64M);
		struct boot_args a = { .kernel = copy, .kernel_len = cuts[i], .cmdline = "" };
		r.err[0] = '\0';
		r.ret = boot_load_bzimage(&r.gm, &a, &r.entry, r.err, sizeof(r.err));
		cr_assert_eq(r.ret, -ENOEXEC, "cut %zu: %d", cuts[i], r.ret);
		cr_assert_neq(r.err[0], '\0');
		guest_mem_destroy(&r.gm);
		free(copy);
	}
	free(k);
}

Test(boot_bzimage, setup_sects_past_eof)
{
	struct tb_spec s = tb_default();
	size_t len;
	uint8_t *k = tb_build(&s, &len);
	struct bz_run r;

	k[HDR_SETUP_SECTS] = 200; /* 100 KiB of setup in a 68 KiB file */
	t_mem(&r.gm, RAM_64M);
	struct boot_args a = { .kernel = k, .kernel_len = len, .cmdline = "" };
	r.ret = boot_load_kernel(&r.gm, &a, &r.entry, r.err, sizeof(r.err));
	cr_assert_eq(r.ret, -ENOEXEC);
	cr_assert_not_null(strstr(r.err, "setup code"), "%s", r.err);
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_bzimage, header_length_overruns)
{
	struct tb_spec s = tb_default();
	size_t len;
	uint8_t *k = tb_build(&s, &len);
	struct bz_run r;
	struct boot_args a = { .kernel = k, .kernel_len = len, .cmdline = "" };

	t_mem(&r.gm, RAM_64M);
	k[HDR_JUMP + 1] = 0xff; /* header would end at 0x301, past boot_params' hole */
	r.ret = boot_load_kernel(&r.gm, &a, &r.entry, r.err, sizeof(r.err));
	cr_assert_eq(r.ret, -ENOEXEC);
	cr_assert_not_null(strstr(r.err, "setup header"), "%s", r.err);
	k[HDR_JUMP + 1] = 0x30; /* too short to hold init_size for 2.15 */
	r.ret = boot_load_kernel(&r.gm, &a, &r.entry, r.err, sizeof(r.err));
	cr_assert_eq(r.ret, -ENOEXEC);
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_bzimage, no_64bit_entry)
{
	struct tb_spec s = tb_default();
	s.xloadflags = 0;
	bz_expect_err(&s, RAM_64M, ENOEXEC, "XLF_KERNEL_64");
}

Test(boot_bzimage, zimage_refused)
{
	struct tb_spec s = tb_default();
	s.loadflags = 0;
	bz_expect_err(&s, RAM_64M, ENOEXEC, "zImage");
}

Test(boot_bzimage, syssize_larger_than_file)
{
	struct tb_spec s = tb_default();
	size_t len;
	uint8_t *k = tb_build(&s, &len);
	struct bz_run r;
	struct boot_args a = { .kernel = k, .kernel_len = len, .cmdline = "" };

	t_mem(&r.gm, RAM_64M);
	le32_put(k + HDR_SYSSIZE, (uint32_t)(s.pm_len / 16 + 2));
	r.ret = boot_load_kernel(&r.gm, &a, &r.entry, r.err, sizeof(r.err));
	cr_assert_eq(r.ret, -ENOEXEC);
	cr_assert_not_null(strstr(r.err, "syssize"), "%s", r.err);
	le32_put(k + HDR_SYSSIZE, 0xffffffff);
	r.ret = boot_load_kernel(&r.gm, &a, &r.entry, r.err, sizeof(r.err));
	cr_assert_eq(r.ret, -ENOEXEC);
	le32_put(k + HDR_SYSSIZE, 0);
	r.ret = boot_load_kernel(&r.gm, &a, &r.entry, r.err, sizeof(r.err));
	cr_assert_eq(r.ret, -ENOEXEC);
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_bzimage, bad_alignment)
{
	struct tb_spec s = tb_default();
	s.alignment = 0x300000;
	bz_expect_err(&s, RAM_64M, ENOEXEC, "kernel_alignment");
	s.alignment = 0;
	bz_expect_err(&s, RAM_64M, ENOEXEC, "kernel_alignment");
}

Test(boot_bzimage, init_size_larger_than_ram)
{
	struct tb_spec s = tb_default();
	s.init_size = 0xf0000000;
	bz_expect_err(&s, RAM_64M, ENOSPC, "init_size");
}

Test(boot_bzimage, non_relocatable_pref_outside_ram)
{
	struct tb_spec s = tb_default();
	s.relocatable = 0;
	s.pref = 0x8000000; /* 128 MiB in a 64 MiB guest */
	bz_expect_err(&s, RAM_64M, ENOSPC, "non-relocatable");
	s.pref = 0xffffffffffff0000ULL; /* overflow bait */
	bz_expect_err(&s, RAM_64M, ENOSPC, "non-relocatable");
	s.pref = 0x10000; /* over the loader's tables */
	bz_expect_err(&s, RAM_64M, ENOSPC, "non-relocatable");
}

Test(boot_bzimage, hostile_pref_address_on_relocatable_kernel_falls_back)
{
	struct tb_spec s = tb_default();
	struct bz_run r;
	size_t len;

	s.pref = 0xfffffffffffff000ULL;
	uint8_t *k = tb_build(&s, &len);
	bz_load(&r, RAM_64M, k, len, NULL, 0, "", 0);
	cr_assert_eq(r.ret, 0, "%s", r.err);
	cr_assert_eq(r.entry.kernel_start, LAYOUT_KERNEL_DEFAULT);
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_bzimage, cmdline_too_long)
{
	struct tb_spec s = tb_default();
	struct bz_run r;
	size_t len;

	s.cmdline_size = 10;
	uint8_t *k = tb_build(&s, &len);
	bz_load(&r, RAM_64M, k, len, NULL, 0, "01234567890", 0);
	cr_assert_eq(r.ret, -E2BIG);
	cr_assert_not_null(strstr(r.err, "command line"), "%s", r.err);
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_bzimage, initrd_does_not_fit)
{
	struct tb_spec s = tb_default();
	struct bz_run r;
	size_t len;
	size_t big = 60 * MiB;
	uint8_t *initrd = calloc(1, big);

	uint8_t *k = tb_build(&s, &len);
	bz_load(&r, RAM_64M, k, len, initrd, big, "", 0);
	cr_assert_eq(r.ret, -ENOSPC);
	cr_assert_not_null(strstr(r.err, "initrd"), "%s", r.err);
	/* nothing was written before the refusal */
	cr_assert_eq(g8(&r.gm, 0x1000000), 0);
	guest_mem_destroy(&r.gm);
	free(initrd);
	free(k);
}

Test(boot_bzimage, initrd_above_addr_max_region_refused)
{
	struct tb_spec s = tb_default();
	/* initrd_addr_max below the kernel's end leaves no room */
	s.initrd_addr_max = 0x00ffffff;
	struct bz_run r;
	size_t len;
	uint8_t initrd[100] = { 0 };
	uint8_t *k = tb_build(&s, &len);

	bz_load(&r, RAM_64M, k, len, initrd, sizeof(initrd), "", 0);
	cr_assert_eq(r.ret, -ENOSPC, "%s", r.err);
	guest_mem_destroy(&r.gm);
	free(k);
}
