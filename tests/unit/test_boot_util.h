/* Builders for crafted kernel images (a minimal bzImage and a minimal
 * ELF64 vmlinux) and guest-memory peeks shared by the test_boot_* files. */
#ifndef CELLVM_TEST_BOOT_UTIL_H
#define CELLVM_TEST_BOOT_UTIL_H

#include <criterion/criterion.h>
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "boot/boot_params.h"
#include "boot/bytes.h"
#include "boot/pvh.h"
#include "guest_mem.h"
#include "layout.h"

#define T_ERRLEN 256

static inline void t_mem(struct guest_mem *gm, uint64_t size)
{
	cr_assert_eq(guest_mem_create(gm, size), 0, "guest_mem_create(%llu)",
		     (unsigned long long)size);
}

static inline const uint8_t *t_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	const uint8_t *p = guest_mem_ptr(gm, gpa, len);
	cr_assert_not_null(p, "gpa 0x%llx not in RAM", (unsigned long long)gpa);
	return p;
}

static inline uint16_t g16(const struct guest_mem *gm, uint64_t gpa) { return le16_get(t_ptr(gm, gpa, 2)); }
static inline uint32_t g32(const struct guest_mem *gm, uint64_t gpa) { return le32_get(t_ptr(gm, gpa, 4)); }
static inline uint64_t g64(const struct guest_mem *gm, uint64_t gpa) { return le64_get(t_ptr(gm, gpa, 8)); }
static inline uint8_t g8(const struct guest_mem *gm, uint64_t gpa) { return *t_ptr(gm, gpa, 1); }

/* Zero-page field at offset off. */
static inline uint32_t zp32(const struct guest_mem *gm, unsigned off) { return g32(gm, LAYOUT_ZERO_PAGE_ADDR + off); }
static inline uint16_t zp16(const struct guest_mem *gm, unsigned off) { return g16(gm, LAYOUT_ZERO_PAGE_ADDR + off); }
static inline uint64_t zp64(const struct guest_mem *gm, unsigned off) { return g64(gm, LAYOUT_ZERO_PAGE_ADDR + off); }
static inline uint8_t zp8(const struct guest_mem *gm, unsigned off) { return g8(gm, LAYOUT_ZERO_PAGE_ADDR + off); }

static inline void t_zp_e820(const struct guest_mem *gm, unsigned i, uint64_t *addr,
			     uint64_t *size, uint32_t *type)
{
	uint64_t e = LAYOUT_ZERO_PAGE_ADDR + BP_E820_TABLE + (uint64_t)i * BP_E820_ENTRY_SIZE;
	*addr = g64(gm, e);
	*size = g64(gm, e + 8);
	*type = g32(gm, e + 16);
}

/* Expected map for a guest of `size` bytes of RAM. */
static inline void t_check_e820(const struct guest_mem *gm, uint64_t size)
{
	uint64_t low = size < LAYOUT_MMIO_HOLE_START ? size : LAYOUT_MMIO_HOLE_START;
	unsigned int n = size > low ? 4 : 3;
	uint64_t a, s;
	uint32_t t;

	cr_assert_eq(zp8(gm, BP_E820_ENTRIES), n);
	t_zp_e820(gm, 0, &a, &s, &t);
	cr_assert(a == 0 && s == LAYOUT_EBDA_START && t == E820_RAM);
	t_zp_e820(gm, 1, &a, &s, &t);
	cr_assert(a == LAYOUT_EBDA_START && a + s == 0x100000 && t == E820_RESERVED);
	t_zp_e820(gm, 2, &a, &s, &t);
	cr_assert(a == 0x100000 && a + s == low && t == E820_RAM);
	if (n == 4) {
		t_zp_e820(gm, 3, &a, &s, &t);
		cr_assert(a == LAYOUT_HIGH_RAM_START && s == size - low && t == E820_RAM);
	}
}

static inline uint8_t t_pattern(size_t i) { return (uint8_t)(i * 13 + 1); }

/* ---------- bzImage ---------- */

struct tb_spec {
	uint16_t version;
	uint8_t setup_sects;       /* as stored; 0 means 4 */
	size_t pm_len;             /* protected-mode bytes */
	size_t trailer;            /* bytes after syssize (a signature) */
	uint64_t pref;
	uint32_t init_size;
	uint8_t relocatable;
	uint32_t alignment;
	uint16_t xloadflags;
	uint8_t loadflags;
	uint32_t cmdline_size;
	uint32_t initrd_addr_max;
};

static inline struct tb_spec tb_default(void)
{
	return (struct tb_spec){
		.version = 0x020f, .setup_sects = 4, .pm_len = 0x10000, .trailer = 0,
		.pref = 0x1000000, .init_size = 0x400000, .relocatable = 1,
		.alignment = 0x200000, .xloadflags = XLF_KERNEL_64, .loadflags = LF_LOADED_HIGH,
		.cmdline_size = 2047, .initrd_addr_max = 0x7fffffff,
	};
}

static inline size_t tb_setup_size(const struct tb_spec *s)
{
	return ((size_t)(s->setup_sects ? s->setup_sects : 4) + 1) * 512;
}

static inline uint8_t *tb_build(const struct tb_spec *s, size_t *len)
{
	size_t setup = tb_setup_size(s);
	size_t total = setup + s->pm_len + s->trailer;
	uint8_t *b = calloc(1, total);

	cr_assert_not_null(b);
	b[HDR_SETUP_SECTS] = s->setup_sects;
	le32_put(b + HDR_SYSSIZE, (uint32_t)((s->pm_len + 15) / 16));
	le16_put(b + HDR_VID_MODE, 0xffff);
	le16_put(b + HDR_BOOT_FLAG, BOOT_FLAG_MAGIC);
	b[HDR_JUMP] = 0xeb;
	b[HDR_JUMP + 1] = 0x6a;           /* header ends at 0x26c, like Linux 6.1 */
	le32_put(b + HDR_HEADER, HDRS_MAGIC);
	le16_put(b + HDR_VERSION, s->version);
	b[HDR_LOADFLAGS] = s->loadflags;
	le32_put(b + HDR_CODE32_START, 0x100000);
	le32_put(b + HDR_INITRD_ADDR_MAX, s->initrd_addr_max);
	le32_put(b + HDR_KERNEL_ALIGNMENT, s->alignment);
	b[HDR_RELOCATABLE] = s->relocatable;
	b[HDR_MIN_ALIGNMENT] = 21;
	le16_put(b + HDR_XLOADFLAGS, s->xloadflags);
	le32_put(b + HDR_CMDLINE_SIZE, s->cmdline_size);
	le64_put(b + HDR_SETUP_DATA, 0xdeadbeef);  /* junk the loader must clear */
	le64_put(b + HDR_PREF_ADDRESS, s->pref);
	le32_put(b + HDR_INIT_SIZE, s->init_size);
	for (size_t i = 0; i < s->pm_len; i++)
		b[setup + i] = t_pattern(i);
	memset(b + setup + s->pm_len, 0xee, s->trailer);
	*len = total;
	return b;
}

/* ---------- ELF ---------- */

#define TE_PHOFF    64
#define TE_NOTE_OFF 0x400
#define TE_SHOFF    0x800
#define TE_DATA_OFF 0x1000
#define TE_MAX_SEGS 4

struct te_seg {
	uint64_t vaddr, paddr, filesz, memsz;
};

struct te_spec {
	uint64_t entry;
	unsigned int nseg;
	struct te_seg seg[TE_MAX_SEGS];
	uint8_t notes[0x300];
	size_t notes_len;
	int notes_as_section;      /* SHT_NOTE section instead of PT_NOTE */
};

/* Appends one 4-byte-aligned note to spec->notes. */
static inline void te_add_note(struct te_spec *s, const char *name, uint32_t type,
			       const void *desc, uint32_t descsz)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	uint8_t *p = s->notes + s->notes_len;

	le32_put(p, namesz);
	le32_put(p + 4, descsz);
	le32_put(p + 8, type);
	memcpy(p + 12, name, namesz);
	size_t off = 12 + ((namesz + 3u) & ~3u);
	memcpy(p + off, desc, descsz);
	s->notes_len += off + ((descsz + 3u) & ~3u);
	cr_assert_leq(s->notes_len, sizeof(s->notes));
}

static inline void te_add_pvh_note(struct te_spec *s, uint64_t entry, uint32_t descsz)
{
	uint8_t desc[8];
	le64_put(desc, entry);
	te_add_note(s, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, desc, descsz);
}

/* A vmlinux-like image: text at 16 MiB (high virtual), data + bss after. */
static inline struct te_spec te_default(void)
{
	struct te_spec s;
	memset(&s, 0, sizeof(s));
	s.entry = 0x1000000;
	s.nseg = 2;
	s.seg[0] = (struct te_seg){ 0xffffffff81000000ULL, 0x1000000, 0x3000, 0x3000 };
	s.seg[1] = (struct te_seg){ 0xffffffff81200000ULL, 0x1200000, 0x1800, 0x5000 };
	return s;
}

static inline size_t te_seg_off(const struct te_spec *s, unsigned int i)
{
	size_t off = TE_DATA_OFF;
	for (unsigned int j = 0; j < i; j++)
		off += (s->seg[j].filesz + 15) & ~(size_t)15;
	return off;
}

static inline uint8_t *te_build(const struct te_spec *s, size_t *len)
{
	size_t total = te_seg_off(s, s->nseg);
	uint8_t *b = calloc(1, total);
	Elf64_Ehdr eh;
	unsigned int nph = s->nseg;

	cr_assert_not_null(b);
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = s->entry;
	eh.e_phoff = TE_PHOFF;
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	for (unsigned int i = 0; i < s->nseg; i++) {
		Elf64_Phdr ph = {
			.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = te_seg_off(s, i),
			.p_vaddr = s->seg[i].vaddr, .p_paddr = s->seg[i].paddr,
			.p_filesz = s->seg[i].filesz, .p_memsz = s->seg[i].memsz, .p_align = 0x1000,
		};
		memcpy(b + TE_PHOFF + i * sizeof(ph), &ph, sizeof(ph));
		for (size_t j = 0; j < s->seg[i].filesz; j++)
			b[ph.p_offset + j] = t_pattern(j + i * 7);
	}
	memcpy(b + TE_NOTE_OFF, s->notes, s->notes_len);
	if (s->notes_len && !s->notes_as_section) {
		Elf64_Phdr ph = {
			.p_type = PT_NOTE, .p_offset = TE_NOTE_OFF, .p_filesz = s->notes_len,
			.p_memsz = s->notes_len, .p_align = 4,
		};
		memcpy(b + TE_PHOFF + nph * sizeof(ph), &ph, sizeof(ph));
		nph++;
	}
	if (s->notes_len && s->notes_as_section) {
		Elf64_Shdr sh[2];
		memset(sh, 0, sizeof(sh));
		sh[1].sh_type = SHT_NOTE;
		sh[1].sh_offset = TE_NOTE_OFF;
		sh[1].sh_size = s->notes_len;
		sh[1].sh_addralign = 4;
		memcpy(b + TE_SHOFF, sh, sizeof(sh));
		eh.e_shoff = TE_SHOFF;
		eh.e_shentsize = sizeof(Elf64_Shdr);
		eh.e_shnum = 2;
	}
	eh.e_phnum = (Elf64_Half)nph;
	memcpy(b, &eh, sizeof(eh));
	*len = total;
	return b;
}

static inline void te_get_ph(const uint8_t *b, unsigned int i, Elf64_Phdr *ph)
{
	memcpy(ph, b + TE_PHOFF + i * sizeof(*ph), sizeof(*ph));
}

static inline void te_put_ph(uint8_t *b, unsigned int i, const Elf64_Phdr *ph)
{
	memcpy(b + TE_PHOFF + i * sizeof(*ph), ph, sizeof(*ph));
}

static inline void te_get_eh(const uint8_t *b, Elf64_Ehdr *eh) { memcpy(eh, b, sizeof(*eh)); }
static inline void te_put_eh(uint8_t *b, const Elf64_Ehdr *eh) { memcpy(b, eh, sizeof(*eh)); }

#endif
