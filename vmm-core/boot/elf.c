/* ELF64 vmlinux. With a Xen PHYS32_ENTRY note the kernel is entered
 * through PVH (32-bit, paging off, hvm_start_info); without it through
 * the 64-bit boot protocol at e_entry with a zero page built here, as a
 * bzImage's decompressor would have left it. */
#include "boot_internal.h"
#include "bytes.h"
#include "layout.h"
#include "log.h"
#include "pvh.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* A vmlinux has ~5; the caps bound the loops and the stack copy. */
#define ELF_MAX_PHDRS  64
#define ELF_MAX_SHDRS  4096
#define NOTE_HDR_SIZE  12

struct elf_image {
	Elf64_Ehdr eh;
	unsigned int nload;
	Elf64_Phdr load[ELF_MAX_PHDRS];
	uint64_t entry;          /* e_entry as a physical address */
	int has_pvh;
	uint64_t pvh_entry;
	uint64_t start, end;     /* physical extent of the loaded segments */
};

static int elf_check_ehdr(const uint8_t *k, size_t len, Elf64_Ehdr *eh, char *err, size_t errlen)
{
	if (len < sizeof(*eh))
		return boot_err(err, errlen, -ENOEXEC, "ELF file is %zu bytes, shorter than its"
				" 64-byte header", len);
	memcpy(eh, k, sizeof(*eh));
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return boot_err(err, errlen, -ENOEXEC, "not an ELF file (bad magic)");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return boot_err(err, errlen, -ENOEXEC, "ELF class %u is not ELF64",
				eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_ident[EI_VERSION] != EV_CURRENT)
		return boot_err(err, errlen, -ENOEXEC, "ELF is not little-endian version 1");
	if (eh->e_machine != EM_X86_64)
		return boot_err(err, errlen, -ENOEXEC, "ELF machine %u is not x86_64",
				eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return boot_err(err, errlen, -ENOEXEC, "ELF type %u is not an executable (ET_EXEC)",
				eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return boot_err(err, errlen, -ENOEXEC, "ELF program header size %u, expected %zu",
				eh->e_phentsize, sizeof(Elf64_Phdr));
	if (eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHDRS)
		return boot_err(err, errlen, -ENOEXEC, "ELF has %u program headers (1 to %u"
				" supported)", eh->e_phnum, ELF_MAX_PHDRS);
	uint64_t ph_bytes = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	if (eh->e_phoff > len || ph_bytes > len - eh->e_phoff)
		return boot_err(err, errlen, -ENOEXEC, "ELF program headers at offset 0x%" PRIx64
				" run past the end of the %zu-byte file", (uint64_t)eh->e_phoff, len);
	return 0;
}

static void elf_phdr(const uint8_t *k, const Elf64_Ehdr *eh, unsigned int i, Elf64_Phdr *ph)
{
	memcpy(ph, k + eh->e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

static int elf_check_load(const struct guest_mem *gm, size_t len, const Elf64_Phdr *ph,
			  unsigned int i, char *err, size_t errlen)
{
	char what[32];

	if (ph->p_filesz > ph->p_memsz)
		return boot_err(err, errlen, -ENOEXEC, "ELF segment %u has more file bytes (0x%"
				PRIx64 ") than memory bytes (0x%" PRIx64 ")", i,
				(uint64_t)ph->p_filesz, (uint64_t)ph->p_memsz);
	if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset)
		return boot_err(err, errlen, -ENOEXEC, "ELF segment %u: file range at 0x%" PRIx64
				" + 0x%" PRIx64 " runs past the end of the %zu-byte file", i,
				(uint64_t)ph->p_offset, (uint64_t)ph->p_filesz, len);
	snprintf(what, sizeof(what), "ELF segment %u", i);
	return boot_check_kernel_range(gm, ph->p_paddr, ph->p_memsz, what, err, errlen);
}

static int elf_collect_loads(const struct guest_mem *gm, const uint8_t *k, size_t len,
			     struct elf_image *img, char *err, size_t errlen)
{
	int ret;

	img->start = UINT64_MAX;
	img->end = 0;
	for (unsigned int i = 0; i < img->eh.e_phnum; i++) {
		Elf64_Phdr ph;

		elf_phdr(k, &img->eh, i, &ph);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if ((ret = elf_check_load(gm, len, &ph, i, err, errlen)) < 0)
			return ret;
		/* Overlapping segments would silently overwrite each other;
		 * ranges are known not to wrap after the RAM check. */
		for (unsigned int j = 0; j < img->nload; j++) {
			const Elf64_Phdr *o = &img->load[j];
			if (ph.p_paddr < o->p_paddr + o->p_memsz && o->p_paddr < ph.p_paddr + ph.p_memsz)
				return boot_err(err, errlen, -EINVAL, "ELF segment %u at 0x%" PRIx64
						" overlaps another loadable segment at 0x%" PRIx64,
						i, (uint64_t)ph.p_paddr, (uint64_t)o->p_paddr);
		}
		img->load[img->nload++] = ph;
		if (ph.p_paddr < img->start)
			img->start = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > img->end)
			img->end = ph.p_paddr + ph.p_memsz;
	}
	if (img->nload == 0)
		return boot_err(err, errlen, -ENOEXEC, "ELF has no non-empty PT_LOAD segment");
	return 0;
}

static const Elf64_Phdr *elf_load_at(const struct elf_image *img, uint64_t addr, int virt)
{
	for (unsigned int i = 0; i < img->nload; i++) {
		const Elf64_Phdr *ph = &img->load[i];
		uint64_t base = virt ? ph->p_vaddr : ph->p_paddr;
		if (addr >= base && addr - base < ph->p_memsz)
			return ph;
	}
	return NULL;
}

/* vmlinux's e_entry is physical; other kernels give a virtual one. A
 * physical match wins because Linux's per-CPU segment has a virtual
 * range starting at 0 that could shadow a low physical entry. */
static int elf_translate_entry(struct elf_image *img, char *err, size_t errlen)
{
	uint64_t e = img->eh.e_entry;
	const Elf64_Phdr *ph;

	if (elf_load_at(img, e, 0)) {
		img->entry = e;
		return 0;
	}
	if ((ph = elf_load_at(img, e, 1))) {
		img->entry = ph->p_paddr + (e - ph->p_vaddr);
		return 0;
	}
	return boot_err(err, errlen, -ENOEXEC, "ELF entry point 0x%" PRIx64 " is not inside any"
			" loadable segment", e);
}

/* Walks the notes in [p, p+len). Each note is a 12-byte header, then
 * name and descriptor padded to align; every length is checked against
 * what is left before it is used. */
static int elf_scan_notes(const uint8_t *p, uint64_t len, uint64_t align,
			  struct elf_image *img, char *err, size_t errlen)
{
	uint64_t off = 0;

	while (off < len) {
		if (len - off < NOTE_HDR_SIZE)
			return boot_err(err, errlen, -ENOEXEC, "ELF note header at note offset 0x%"
					PRIx64 " is truncated", off);
		uint32_t namesz = le32_get(p + off), descsz = le32_get(p + off + 4);
		uint32_t type = le32_get(p + off + 8);
		off += NOTE_HDR_SIZE;
		if (namesz > len - off)
			return boot_err(err, errlen, -ENOEXEC, "ELF note name (%" PRIu32 " bytes)"
					" overruns its note section", namesz);
		const uint8_t *name = p + off;
		uint64_t step = align_up64(namesz, align);
		off += step < len - off ? step : len - off;
		if (descsz > len - off)
			return boot_err(err, errlen, -ENOEXEC, "ELF note descriptor (%" PRIu32
					" bytes) overruns its note section", descsz);
		const uint8_t *desc = p + off;
		step = align_up64(descsz, align);
		off += step < len - off ? step : len - off;

		if (img->has_pvh || type != XEN_ELFNOTE_PHYS32_ENTRY || namesz != 4 ||
		    memcmp(name, "Xen", 4) != 0)
			continue;
		/* Xen numeric notes are 4 or 8 bytes; Linux emits 8. */
		if (descsz == 4)
			img->pvh_entry = le32_get(desc);
		else if (descsz == 8)
			img->pvh_entry = le64_get(desc);
		else
			return boot_err(err, errlen, -ENOEXEC, "Xen PHYS32_ENTRY note has a %" PRIu32
					"-byte value (expected 4 or 8)", descsz);
		if (img->pvh_entry > UINT32_MAX)
			return boot_err(err, errlen, -ENOEXEC, "PVH entry 0x%" PRIx64 " is not a"
					" 32-bit address", img->pvh_entry);
		img->has_pvh = 1;
	}
	return 0;
}

static uint64_t note_align(uint64_t a)
{
	return a == 8 ? 8 : 4;
}

/* Section headers are only a fallback for files without PT_NOTE; they
 * are as hostile as the rest and checked the same way. */
static int elf_scan_section_notes(const uint8_t *k, size_t len, struct elf_image *img,
				  char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = &img->eh;
	int ret;

	if (eh->e_shnum == 0 || eh->e_shoff == 0)
		return 0;
	if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shnum > ELF_MAX_SHDRS)
		return boot_err(err, errlen, -ENOEXEC, "ELF section header table is malformed"
				" (%u entries of %u bytes)", eh->e_shnum, eh->e_shentsize);
	uint64_t sh_bytes = (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr);
	if (eh->e_shoff > len || sh_bytes > len - eh->e_shoff)
		return boot_err(err, errlen, -ENOEXEC, "ELF section headers at offset 0x%" PRIx64
				" run past the end of the %zu-byte file", (uint64_t)eh->e_shoff, len);
	for (unsigned int i = 0; i < eh->e_shnum; i++) {
		Elf64_Shdr sh;

		memcpy(&sh, k + eh->e_shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
		if (sh.sh_type != SHT_NOTE)
			continue;
		if (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset)
			return boot_err(err, errlen, -ENOEXEC, "ELF note section %u runs past the"
					" end of the file", i);
		if ((ret = elf_scan_notes(k + sh.sh_offset, sh.sh_size, note_align(sh.sh_addralign),
					  img, err, errlen)) < 0)
			return ret;
	}
	return 0;
}

static int elf_find_pvh(const uint8_t *k, size_t len, struct elf_image *img,
			char *err, size_t errlen)
{
	int ret, have_pt_note = 0;

	for (unsigned int i = 0; i < img->eh.e_phnum; i++) {
		Elf64_Phdr ph;

		elf_phdr(k, &img->eh, i, &ph);
		if (ph.p_type != PT_NOTE)
			continue;
		have_pt_note = 1;
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			return boot_err(err, errlen, -ENOEXEC, "ELF note segment %u runs past the"
					" end of the file", i);
		if ((ret = elf_scan_notes(k + ph.p_offset, ph.p_filesz, note_align(ph.p_align),
					  img, err, errlen)) < 0)
			return ret;
	}
	if (!have_pt_note && (ret = elf_scan_section_notes(k, len, img, err, errlen)) < 0)
		return ret;
	if (img->has_pvh && !elf_load_at(img, img->pvh_entry, 0))
		return boot_err(err, errlen, -ENOEXEC, "PVH entry 0x%" PRIx64 " is not inside any"
				" loadable segment", img->pvh_entry);
	return 0;
}

static int elf_write_segments(const struct guest_mem *gm, const uint8_t *k,
			      const struct elf_image *img)
{
	for (unsigned int i = 0; i < img->nload; i++) {
		const Elf64_Phdr *ph = &img->load[i];
		uint8_t *dst = guest_mem_ptr(gm, ph->p_paddr, ph->p_memsz);

		if (!dst)
			return -EFAULT;
		memcpy(dst, k + ph->p_offset, ph->p_filesz);
		/* The bss tail: RAM may hold a previous boot's bytes. */
		memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	}
	return 0;
}

int boot_load_elf(const struct guest_mem *gm, const struct boot_args *args,
		  struct boot_entry *entry, char *err, size_t errlen)
{
	struct boot_payload pl = { .cmdline_gpa = LAYOUT_CMDLINE_ADDR };
	struct elf_image img;
	uint8_t zp[BP_SIZE];
	int ret;

	memset(&img, 0, sizeof(img));
	if ((ret = elf_check_ehdr(args->kernel, args->kernel_len, &img.eh, err, errlen)) < 0 ||
	    (ret = elf_collect_loads(gm, args->kernel, args->kernel_len, &img, err, errlen)) < 0 ||
	    (ret = elf_translate_entry(&img, err, errlen)) < 0 ||
	    (ret = elf_find_pvh(args->kernel, args->kernel_len, &img, err, errlen)) < 0)
		return ret;
	/* No header tells the limit; the buffer's size is the only bound. */
	if ((ret = boot_cmdline_check(args, LAYOUT_CMDLINE_MAX - 1, &pl.cmdline_len,
				      err, errlen)) < 0)
		return ret;
	uint64_t limit = guest_mem_low_end(gm);
	if (limit > BOOT_INITRD_ADDR_MAX_DEFAULT + 1)
		limit = BOOT_INITRD_ADDR_MAX_DEFAULT + 1;
	if ((ret = boot_initrd_place(args, img.end, limit, &pl.initrd_gpa, err, errlen)) < 0)
		return ret;
	if (pl.initrd_gpa)
		pl.initrd_size = args->initrd_len;
	if (args->have_acpi)
		pl.rsdp_gpa = LAYOUT_ACPI_RSDP_ADDR;

	if ((ret = elf_write_segments(gm, args->kernel, &img)) < 0 ||
	    (pl.initrd_gpa &&
	     (ret = guest_mem_write(gm, pl.initrd_gpa, args->initrd, pl.initrd_size)) < 0) ||
	    (ret = boot_cmdline_write(gm, args, pl.cmdline_len)) < 0)
		return boot_err(err, errlen, ret, "writing the kernel into guest RAM failed");

	struct boot_entry e = {
		.kernel_start = img.start, .kernel_end = img.end,
		.initrd_gpa = pl.initrd_gpa, .initrd_size = pl.initrd_size,
	};
	if (img.has_pvh) {
		if ((ret = pvh_write_start_info(gm, &pl)) < 0)
			return boot_err(err, errlen, ret, "writing the PVH start info failed");
		e.mode = BOOT_MODE_PVH32;
		e.entry = img.pvh_entry;
		e.info_gpa = LAYOUT_PVH_INFO_ADDR;
	} else {
		boot_params_init_vmlinux(zp);
		le32_put(zp + HDR_CMDLINE_SIZE, (uint32_t)pl.cmdline_len);
		if ((ret = boot_params_finish(gm, zp, &pl)) < 0)
			return boot_err(err, errlen, ret, "writing the zero page failed");
		e.mode = BOOT_MODE_LINUX64;
		e.entry = img.entry;
		e.info_gpa = LAYOUT_ZERO_PAGE_ADDR;
	}
	*entry = e;
	log_debug("ELF kernel [0x%" PRIx64 ", 0x%" PRIx64 ") %s entry 0x%" PRIx64,
		  img.start, img.end, img.has_pvh ? "PVH" : "64-bit", e.entry);
	return 0;
}
