/* ELF vmlinux loader, both entries: 64-bit with a built zero page and
 * PVH with hvm_start_info; plus every malformed header and segment. */
#include <errno.h>

#include "test_boot_util.h"

#define RAM_64M (64 * MiB)

struct elf_run {
	struct guest_mem gm;
	struct boot_entry entry;
	char err[T_ERRLEN];
	int ret;
};

static void elf_load(struct elf_run *r, uint64_t ram, const uint8_t *k, size_t len,
		     const uint8_t *initrd, size_t initrd_len, const char *cmdline, int acpi)
{
	struct boot_args args = {
		.kernel = k, .kernel_len = len, .initrd = initrd, .initrd_len = initrd_len,
		.cmdline = cmdline, .have_acpi = acpi,
	};

	if (!r->gm.base)
		t_mem(&r->gm, ram);
	memset(&r->entry, 0, sizeof(r->entry));
	r->err[0] = '\0';
	r->ret = boot_load_kernel(&r->gm, &args, &r->entry, r->err, sizeof(r->err));
}

/* Loads an image (exact-size copy, so ASan sees any overread) and
 * expects the errno and a message containing needle. */
static void elf_expect_err(const uint8_t *k, size_t len, uint64_t ram, int err,
			   const char *needle)
{
	struct elf_run r;
	uint8_t *copy = malloc(len ? len : 1);

	memset(&r, 0, sizeof(r));
	memcpy(copy, k, len);
	elf_load(&r, ram, copy, len, NULL, 0, "", 0);
	cr_assert_eq(r.ret, -err, "ret %d (%s), expected %d", r.ret, r.err, -err);
	cr_assert_neq(r.err[0], '\0', "no error message");
	if (needle)
		cr_assert_not_null(strstr(r.err, needle), "'%s' lacks '%s'", r.err, needle);
	guest_mem_destroy(&r.gm);
	free(copy);
}

static void check_segments(const struct guest_mem *gm, const struct te_spec *s)
{
	for (unsigned int i = 0; i < s->nseg; i++) {
		const struct te_seg *g = &s->seg[i];
		const uint8_t *p = t_ptr(gm, g->paddr, g->memsz);
		for (size_t j = 0; j < g->filesz; j++)
			cr_assert_eq(p[j], t_pattern(j + i * 7), "seg %u byte %zu", i, j);
		for (size_t j = g->filesz; j < g->memsz; j++)
			cr_assert_eq(p[j], 0, "seg %u bss byte %zu not zeroed", i, j);
	}
}

Test(boot_elf, vmlinux_without_pvh_note_uses_64bit_entry_and_zero_page)
{
	struct te_spec s = te_default();
	struct elf_run r;
	size_t len;
	uint8_t initrd[8192 + 3];
	const char *cmd = "console=ttyS0 earlyprintk=serial";

	memset(&r, 0, sizeof(r));
	memset(initrd, 0xab, sizeof(initrd));
	s.entry = 0xffffffff81000100ULL; /* virtual: must be translated */
	uint8_t *k = te_build(&s, &len);
	t_mem(&r.gm, RAM_64M);
	/* stale bytes where the bss goes: the loader must clear them */
	memset(guest_mem_ptr(&r.gm, 0x1200000, 0x5000), 0xcc, 0x5000);
	elf_load(&r, RAM_64M, k, len, initrd, sizeof(initrd), cmd, 1);
	cr_assert_eq(r.ret, 0, "%s", r.err);

	cr_assert_eq(r.entry.mode, BOOT_MODE_LINUX64);
	cr_assert_eq(r.entry.entry, 0x1000100);
	cr_assert_eq(r.entry.info_gpa, LAYOUT_ZERO_PAGE_ADDR);
	cr_assert_eq(r.entry.kernel_start, 0x1000000);
	cr_assert_eq(r.entry.kernel_end, 0x1205000);
	check_segments(&r.gm, &s);

	cr_assert_eq(zp16(&r.gm, HDR_BOOT_FLAG), 0xaa55);
	cr_assert_eq(zp32(&r.gm, HDR_HEADER), HDRS_MAGIC);
	cr_assert_eq(zp8(&r.gm, HDR_TYPE_OF_LOADER), 0xff);
	cr_assert_eq(zp32(&r.gm, HDR_KERNEL_ALIGNMENT), 0x1000000);
	cr_assert_eq(zp32(&r.gm, HDR_CMD_LINE_PTR), LAYOUT_CMDLINE_ADDR);
	cr_assert_eq(zp32(&r.gm, HDR_CMDLINE_SIZE), strlen(cmd));
	cr_assert_str_eq((const char *)t_ptr(&r.gm, LAYOUT_CMDLINE_ADDR, strlen(cmd) + 1), cmd);
	cr_assert_eq(zp64(&r.gm, BP_ACPI_RSDP_ADDR), LAYOUT_ACPI_RSDP_ADDR);
	t_check_e820(&r.gm, RAM_64M);

	uint32_t rd = zp32(&r.gm, HDR_RAMDISK_IMAGE);
	cr_assert_eq(rd, r.entry.initrd_gpa);
	cr_assert_eq(zp32(&r.gm, HDR_RAMDISK_SIZE), sizeof(initrd));
	cr_assert_eq(rd % 4096, 0);
	cr_assert_geq(rd, 0x1205000);
	cr_assert_leq(rd + sizeof(initrd), RAM_64M);
	cr_assert_eq(memcmp(t_ptr(&r.gm, rd, sizeof(initrd)), initrd, sizeof(initrd)), 0);
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_elf, physical_entry_is_used_as_is)
{
	struct te_spec s = te_default();
	struct elf_run r;
	size_t len;

	memset(&r, 0, sizeof(r));
	s.entry = 0x1200010; /* physical, inside the second segment */
	uint8_t *k = te_build(&s, &len);
	elf_load(&r, RAM_64M, k, len, NULL, 0, NULL, 0);
	cr_assert_eq(r.ret, 0, "%s", r.err);
	cr_assert_eq(r.entry.entry, 0x1200010);
	cr_assert_eq(zp64(&r.gm, BP_ACPI_RSDP_ADDR), 0);
	cr_assert_eq(zp32(&r.gm, HDR_RAMDISK_IMAGE), 0);
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_elf, initrd_below_2gib_with_high_ram)
{
	struct te_spec s = te_default();
	struct elf_run r;
	size_t len;
	uint64_t ram = 3 * GiB + 256 * MiB;
	uint8_t initrd[4096 * 3];

	memset(&r, 0, sizeof(r));
	memset(initrd, 1, sizeof(initrd));
	uint8_t *k = te_build(&s, &len);
	elf_load(&r, ram, k, len, initrd, sizeof(initrd), "", 0);
	cr_assert_eq(r.ret, 0, "%s", r.err);
	t_check_e820(&r.gm, ram);
	cr_assert_eq(r.entry.initrd_gpa, 0x80000000ULL - sizeof(initrd));
	guest_mem_destroy(&r.gm);
	free(k);
}

static void check_pvh_info(const struct guest_mem *gm, uint64_t ram, int acpi,
			   uint64_t initrd_gpa, uint64_t initrd_size)
{
	struct hvm_start_info si;
	struct hvm_memmap_table_entry mm[8];

	cr_assert_eq(guest_mem_read(gm, LAYOUT_PVH_INFO_ADDR, &si, sizeof(si)), 0);
	cr_assert_eq(si.magic, 0x336ec578);
	cr_assert_eq(si.version, 1);
	cr_assert_eq(si.flags, 0);
	cr_assert_eq(si.cmdline_paddr, LAYOUT_CMDLINE_ADDR);
	cr_assert_eq(si.rsdp_paddr, acpi ? LAYOUT_ACPI_RSDP_ADDR : 0);
	cr_assert_eq(si.memmap_paddr, LAYOUT_PVH_MEMMAP_ADDR);

	uint64_t low = ram < LAYOUT_MMIO_HOLE_START ? ram : LAYOUT_MMIO_HOLE_START;
	unsigned int n = ram > low ? 4 : 3;
	cr_assert_eq(si.memmap_entries, n);
	cr_assert_eq(guest_mem_read(gm, LAYOUT_PVH_MEMMAP_ADDR, mm, n * sizeof(mm[0])), 0);
	cr_assert(mm[0].addr == 0 && mm[0].size == LAYOUT_EBDA_START && mm[0].type == 1);
	cr_assert(mm[1].addr == LAYOUT_EBDA_START && mm[1].addr + mm[1].size == 0x100000 &&
		  mm[1].type == 2);
	cr_assert(mm[2].addr == 0x100000 && mm[2].addr + mm[2].size == low && mm[2].type == 1);
	if (n == 4)
		cr_assert(mm[3].addr == 4 * GiB && mm[3].size == ram - low && mm[3].type == 1);
	for (unsigned int i = 0; i < n; i++)
		cr_assert_eq(mm[i].reserved, 0);

	if (!initrd_gpa) {
		cr_assert_eq(si.nr_modules, 0);
		cr_assert_eq(si.modlist_paddr, 0);
		return;
	}
	struct hvm_modlist_entry mod;
	cr_assert_eq(si.nr_modules, 1);
	cr_assert_neq(si.modlist_paddr, 0);
	cr_assert_eq(guest_mem_read(gm, si.modlist_paddr, &mod, sizeof(mod)), 0);
	cr_assert_eq(mod.paddr, initrd_gpa);
	cr_assert_eq(mod.size, initrd_size);
	cr_assert_eq(mod.cmdline_paddr, 0);
	/* the module list must not overlap the start info or the memmap */
	cr_assert_geq(si.modlist_paddr, LAYOUT_PVH_MEMMAP_ADDR + n * sizeof(mm[0]));
}

Test(boot_pvh, pvh_note_selects_pvh_entry_and_start_info)
{
	struct te_spec s = te_default();
	struct elf_run r;
	size_t len;
	uint8_t initrd[3000];
	uint8_t gnu[20] = { 1, 2, 3 };

	memset(&r, 0, sizeof(r));
	memset(initrd, 0x42, sizeof(initrd));
	te_add_note(&s, "GNU", 3, gnu, sizeof(gnu));       /* a note to skip first */
	te_add_note(&s, "Xen", 6, "linux", 6);              /* Xen, wrong type */
	te_add_pvh_note(&s, 0x1000850, 8);                  /* Linux emits 8 bytes */
	uint8_t *k = te_build(&s, &len);
	elf_load(&r, RAM_64M, k, len, initrd, sizeof(initrd), "console=hvc0", 1);
	cr_assert_eq(r.ret, 0, "%s", r.err);

	cr_assert_eq(r.entry.mode, BOOT_MODE_PVH32);
	cr_assert_eq(r.entry.entry, 0x1000850);
	cr_assert_eq(r.entry.info_gpa, LAYOUT_PVH_INFO_ADDR);
	check_segments(&r.gm, &s);
	cr_assert_str_eq((const char *)t_ptr(&r.gm, LAYOUT_CMDLINE_ADDR, 13), "console=hvc0");
	cr_assert_eq(r.entry.initrd_gpa % 4096, 0);
	cr_assert_geq(r.entry.initrd_gpa, r.entry.kernel_end);
	cr_assert_eq(memcmp(t_ptr(&r.gm, r.entry.initrd_gpa, sizeof(initrd)), initrd,
			    sizeof(initrd)), 0);
	check_pvh_info(&r.gm, RAM_64M, 1, r.entry.initrd_gpa, sizeof(initrd));
	/* PVH gets no zero page */
	cr_assert_eq(zp16(&r.gm, HDR_BOOT_FLAG), 0);
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_pvh, four_byte_note_no_initrd_no_acpi_high_ram)
{
	struct te_spec s = te_default();
	struct elf_run r;
	size_t len;
	uint64_t ram = 3 * GiB + 128 * MiB;

	memset(&r, 0, sizeof(r));
	te_add_pvh_note(&s, 0x1000040, 4);
	uint8_t *k = te_build(&s, &len);
	elf_load(&r, ram, k, len, NULL, 0, "", 0);
	cr_assert_eq(r.ret, 0, "%s", r.err);
	cr_assert_eq(r.entry.mode, BOOT_MODE_PVH32);
	cr_assert_eq(r.entry.entry, 0x1000040);
	check_pvh_info(&r.gm, ram, 0, 0, 0);
	guest_mem_destroy(&r.gm);
	free(k);
}

Test(boot_pvh, note_found_in_sht_note_section)
{
	struct te_spec s = te_default();
	struct elf_run r;
	size_t len;

	memset(&r, 0, sizeof(r));
	te_add_pvh_note(&s, 0x1000020, 8);
	s.notes_as_section = 1;
	uint8_t *k = te_build(&s, &len);
	elf_load(&r, RAM_64M, k, len, NULL, 0, "", 0);
	cr_assert_eq(r.ret, 0, "%s", r.err);
	cr_assert_eq(r.entry.mode, BOOT_MODE_PVH32);
	cr_assert_eq(r.entry.entry, 0x1000020);
	guest_mem_destroy(&r.gm);
	free(k);
}

/* ---- malformed ELF headers ---- */

Test(boot_elf, truncated_header)
{
	struct te_spec s = te_default();
	size_t len;
	uint8_t *k = te_build(&s, &len);

	elf_expect_err(k, 40, RAM_64M, ENOEXEC, "header");
	elf_expect_err(k, 4, RAM_64M, ENOEXEC, NULL);
	free(k);
}

Test(boot_elf, bad_ident_class_machine_type)
{
	struct te_spec s = te_default();
	size_t len;
	uint8_t *k = te_build(&s, &len);
	Elf64_Ehdr eh, orig;

	te_get_eh(k, &orig);
	struct boot_args a = { .kernel = k, .kernel_len = len };
	struct guest_mem gm;
	struct boot_entry e;
	char err[T_ERRLEN];
	t_mem(&gm, RAM_64M);
	k[1] = 'X';
	cr_assert_eq(boot_load_elf(&gm, &a, &e, err, sizeof(err)), -ENOEXEC);
	cr_assert_not_null(strstr(err, "magic"), "%s", err);
	guest_mem_destroy(&gm);
	te_put_eh(k, &orig);

	eh = orig; eh.e_ident[EI_CLASS] = ELFCLASS32; te_put_eh(k, &eh);
	elf_expect_err(k, len, RAM_64M, ENOEXEC, "ELF64");
	eh = orig; eh.e_ident[EI_DATA] = ELFDATA2MSB; te_put_eh(k, &eh);
	elf_expect_err(k, len, RAM_64M, ENOEXEC, "little-endian");
	eh = orig; eh.e_machine = EM_AARCH64; te_put_eh(k, &eh);
	elf_expect_err(k, len, RAM_64M, ENOEXEC, "x86_64");
	eh = orig; eh.e_type = ET_DYN; te_put_eh(k, &eh);
	elf_expect_err(k, len, RAM_64M, ENOEXEC, "ET_EXEC");
	eh = orig; eh.e_phentsize = 32; te_put_eh(k, &eh);
	elf_expect_err(k, len, RAM_64M, ENOEXEC, "program header size");
	eh = orig; eh.e_phnum = 0; te_put_eh(k, &eh);
	elf_expect_err(k, len, RAM_64M, ENOEXEC, "program headers");
	eh = orig; eh.e_phnum = 0xffff; te_put_eh(k, &eh);
	elf_expect_err(k, len, RAM_64M, ENOEXEC, "program headers");
	eh = orig; eh.e_phoff = len - 10; te_put_eh(k, &eh);
	elf_expect_err(k, len, RAM_64M, ENOEXEC, "past the end");
	eh = orig; eh.e_phoff = UINT64_MAX - 8; te_put_eh(k, &eh);
	elf_expect_err(k, len, RAM_64M, ENOEXEC, "past the end");
	free(k);
}

/* ---- malformed segments ---- */

static void seg_case(void (*edit)(Elf64_Phdr *), uint64_t ram, int err, const char *needle)
{
	struct te_spec s = te_default();
	size_t len;
	uint8_t *k = te_build(&s, &len);
	Elf64_Phdr ph;

	te_get_ph(k, 1, &ph);
	edit(&ph);
	te_put_ph(k, 1, &ph);
	elf_expect_err(k, len, ram, err, needle);
	free(k);
}

static void e_off_past_eof(Elf64_Phdr *p) { p->p_offset = 0x100000; }
static void e_off_huge(Elf64_Phdr *p) { p->p_offset = UINT64_MAX - 0x10; }
static void e_filesz_past_eof(Elf64_Phdr *p) { p->p_filesz = 0x100000; p->p_memsz = 0x100000; }
static void e_filesz_gt_memsz(Elf64_Phdr *p) { p->p_memsz = p->p_filesz - 1; }
static void e_memsz_huge(Elf64_Phdr *p) { p->p_memsz = 0xffffffffffffULL; }
static void e_memsz_wraps(Elf64_Phdr *p) { p->p_memsz = UINT64_MAX - 0x1000; }
static void e_past_ram(Elf64_Phdr *p) { p->p_paddr = RAM_64M - 0x1000; }
static void e_in_hole(Elf64_Phdr *p) { p->p_paddr = 0xd0000000; }
static void e_below_1mib(Elf64_Phdr *p) { p->p_paddr = 0x8000; }
static void e_overlap(Elf64_Phdr *p) { p->p_paddr = 0x1002000; }
static void e_straddles_hole(Elf64_Phdr *p) { p->p_paddr = 0xbffff000; }

Test(boot_elf, segment_offset_past_eof) { seg_case(e_off_past_eof, RAM_64M, ENOEXEC, "past the end"); }
Test(boot_elf, segment_offset_overflow) { seg_case(e_off_huge, RAM_64M, ENOEXEC, "past the end"); }
Test(boot_elf, segment_filesz_past_eof) { seg_case(e_filesz_past_eof, RAM_64M, ENOEXEC, "past the end"); }
Test(boot_elf, segment_filesz_gt_memsz) { seg_case(e_filesz_gt_memsz, RAM_64M, ENOEXEC, "more file bytes"); }
Test(boot_elf, segment_huge_memsz) { seg_case(e_memsz_huge, RAM_64M, ENOSPC, "outside guest RAM"); }
Test(boot_elf, segment_memsz_wraps) { seg_case(e_memsz_wraps, RAM_64M, EINVAL, "wraps"); }
Test(boot_elf, segment_past_ram_end) { seg_case(e_past_ram, RAM_64M, ENOSPC, "outside guest RAM"); }
Test(boot_elf, segment_in_mmio_hole) { seg_case(e_in_hole, 3 * GiB + 64 * MiB, EINVAL, "MMIO hole"); }
Test(boot_elf, segment_straddles_mmio_hole) { seg_case(e_straddles_hole, 3 * GiB + 64 * MiB, ENOSPC, "MMIO hole"); }
Test(boot_elf, segment_below_1mib) { seg_case(e_below_1mib, RAM_64M, EINVAL, "below 1 MiB"); }
Test(boot_elf, segments_overlap) { seg_case(e_overlap, RAM_64M, EINVAL, "overlaps"); }

Test(boot_elf, only_empty_segments)
{
	struct te_spec s = te_default();
	size_t len;

	s.seg[0].filesz = s.seg[0].memsz = 0;
	s.seg[1].filesz = s.seg[1].memsz = 0;
	uint8_t *k = te_build(&s, &len);
	elf_expect_err(k, len, RAM_64M, ENOEXEC, "PT_LOAD");
	free(k);
}

Test(boot_elf, entry_outside_segments)
{
	struct te_spec s = te_default();
	size_t len;

	s.entry = 0xffffffff90000000ULL;
	uint8_t *k = te_build(&s, &len);
	elf_expect_err(k, len, RAM_64M, ENOEXEC, "entry point");
	free(k);
}

Test(boot_elf, cmdline_longer_than_buffer)
{
	struct te_spec s = te_default();
	struct elf_run r;
	size_t len;
	char *cmd = malloc(LAYOUT_CMDLINE_MAX + 1);

	memset(&r, 0, sizeof(r));
	memset(cmd, 'a', LAYOUT_CMDLINE_MAX);
	cmd[LAYOUT_CMDLINE_MAX] = '\0';
	uint8_t *k = te_build(&s, &len);
	elf_load(&r, RAM_64M, k, len, NULL, 0, cmd, 0);
	cr_assert_eq(r.ret, -E2BIG, "%s", r.err);
	guest_mem_destroy(&r.gm);
	free(cmd);
	free(k);
}

Test(boot_elf, initrd_too_big)
{
	struct te_spec s = te_default();
	struct elf_run r;
	size_t len;
	size_t big = 50 * MiB;
	uint8_t *initrd = calloc(1, big);

	memset(&r, 0, sizeof(r));
	uint8_t *k = te_build(&s, &len);
	elf_load(&r, RAM_64M, k, len, initrd, big, "", 0);
	cr_assert_eq(r.ret, -ENOSPC, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "initrd"));
	guest_mem_destroy(&r.gm);
	free(initrd);
	free(k);
}

/* ---- malformed notes ---- */

static void note_case(const uint8_t *notes, size_t notes_len, int as_section, const char *needle)
{
	struct te_spec s = te_default();
	size_t len;

	memcpy(s.notes, notes, notes_len);
	s.notes_len = notes_len;
	s.notes_as_section = as_section;
	uint8_t *k = te_build(&s, &len);
	elf_expect_err(k, len, RAM_64M, ENOEXEC, needle);
	free(k);
}

Test(boot_pvh, note_name_overruns)
{
	uint8_t n[16] = { 0 };
	le32_put(n, 0x1000);      /* namesz far past the 16 bytes */
	le32_put(n + 8, 18);
	note_case(n, sizeof(n), 0, "name");
	note_case(n, sizeof(n), 1, "name");
	le32_put(n, 0xffffffff);
	note_case(n, sizeof(n), 0, "name");
}

Test(boot_pvh, note_desc_overruns)
{
	uint8_t n[20] = { 0 };
	le32_put(n, 4);
	le32_put(n + 4, 0xfffffff0);
	le32_put(n + 8, 18);
	memcpy(n + 12, "Xen", 4);
	note_case(n, sizeof(n), 0, "descriptor");
}

Test(boot_pvh, note_header_truncated)
{
	struct te_spec s = te_default();
	te_add_pvh_note(&s, 0x1000000, 4);
	uint8_t n[sizeof(s.notes)];
	memcpy(n, s.notes, s.notes_len);
	memset(n + s.notes_len, 0, 8);
	note_case(n, s.notes_len + 8, 0, "truncated");
}

Test(boot_pvh, pvh_note_bad_desc_size)
{
	struct te_spec s = te_default();
	te_add_pvh_note(&s, 0x1000000, 3);
	note_case(s.notes, s.notes_len, 0, "expected 4 or 8");
}

Test(boot_pvh, pvh_entry_not_32bit)
{
	struct te_spec s = te_default();
	te_add_pvh_note(&s, 0x101000000ULL, 8);
	note_case(s.notes, s.notes_len, 0, "32-bit");
}

Test(boot_pvh, pvh_entry_outside_segments)
{
	struct te_spec s = te_default();
	te_add_pvh_note(&s, 0x3000000, 4);
	note_case(s.notes, s.notes_len, 0, "PVH entry");
}

Test(boot_pvh, note_segment_past_eof)
{
	struct te_spec s = te_default();
	size_t len;

	te_add_pvh_note(&s, 0x1000000, 4);
	uint8_t *k = te_build(&s, &len);
	Elf64_Phdr ph;
	te_get_ph(k, 2, &ph);
	cr_assert_eq(ph.p_type, PT_NOTE);
	ph.p_filesz = len;
	te_put_ph(k, 2, &ph);
	elf_expect_err(k, len, RAM_64M, ENOEXEC, "note segment");
	free(k);
}

Test(boot_pvh, section_table_past_eof)
{
	struct te_spec s = te_default();
	size_t len;

	te_add_pvh_note(&s, 0x1000000, 4);
	s.notes_as_section = 1;
	uint8_t *k = te_build(&s, &len);
	Elf64_Ehdr eh;
	te_get_eh(k, &eh);
	eh.e_shnum = 2000;
	te_put_eh(k, &eh);
	elf_expect_err(k, len, RAM_64M, ENOEXEC, "section headers");
	free(k);
}

Test(boot_detect, rejects_unknown_and_empty)
{
	struct guest_mem gm;
	struct boot_entry e;
	char err[T_ERRLEN];
	uint8_t junk[4096];
	struct boot_args a = { .kernel = junk, .kernel_len = sizeof(junk) };

	memset(junk, 0x90, sizeof(junk));
	t_mem(&gm, RAM_64M);
	cr_assert_eq(boot_load_kernel(&gm, &a, &e, err, sizeof(err)), -ENOEXEC);
	cr_assert_not_null(strstr(err, "unrecognised"), "%s", err);
	a.kernel_len = 0;
	cr_assert_eq(boot_load_kernel(&gm, &a, &e, err, sizeof(err)), -EINVAL);
	cr_assert_neq(err[0], '\0');
	a.kernel = NULL;
	a.kernel_len = 10;
	cr_assert_eq(boot_load_kernel(&gm, &a, &e, NULL, 0), -EINVAL);
	cr_assert_eq(boot_load_kernel(&gm, NULL, &e, err, sizeof(err)), -EINVAL);
	guest_mem_destroy(&gm);
}
