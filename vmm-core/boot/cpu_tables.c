/* The boot GDT, identity page tables and register state a kernel is
 * entered with. Segment registers are derived from the very descriptors
 * written to the GDT, so the hidden parts KVM loads agree with what the
 * guest would read back from memory. */
#include "boot.h"
#include "bytes.h"
#include "layout.h"

#include <errno.h>
#include <string.h>

#define X86_CR0_PE   (1ULL << 0)
#define X86_CR0_ET   (1ULL << 4)
#define X86_CR0_NE   (1ULL << 5)
#define X86_CR0_PG   (1ULL << 31)
#define X86_CR4_PAE  (1ULL << 5)
#define EFER_LME     (1ULL << 8)
#define EFER_LMA     (1ULL << 10)

#define PTE_P        (1ULL << 0)
#define PTE_RW       (1ULL << 1)
#define PTE_PS       (1ULL << 7)
#define PT_ENTRIES   512
#define IDENT_GIB    4

/* flags: bits 0-7 are the access byte (P, DPL, S, type), bits 12-15
 * G, D/B, L, AVL; the same packing Linux's GDT_ENTRY() uses. */
static uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
	return ((uint64_t)(base & 0xff000000u) << 32) | ((uint64_t)(base & 0x00ffffffu) << 16) |
	       (limit & 0xffffu) | ((uint64_t)(limit & 0xf0000u) << 32) |
	       ((uint64_t)(flags & 0xf0ffu) << 40);
}

#define FLAGS_CODE64 0xa09b   /* G, L, present, code exec/read accessed */
#define FLAGS_CODE32 0xc09b   /* G, D */
#define FLAGS_DATA   0xc093   /* G, B, data read/write accessed */
#define FLAGS_TSS    0x008b   /* present, busy 32/64-bit TSS */
#define TSS_LIMIT    0x67

static void boot_gdt(enum boot_mode mode, uint64_t gdt[BOOT_GDT_ENTRIES])
{
	memset(gdt, 0, BOOT_GDT_ENTRIES * sizeof(gdt[0]));
	gdt[BOOT_SEL_CODE64 / 8] = gdt_entry(FLAGS_CODE64, 0, 0xfffff);
	gdt[BOOT_SEL_CS / 8] = gdt_entry(mode == BOOT_MODE_PVH32 ? FLAGS_CODE32 : FLAGS_CODE64,
					 0, 0xfffff);
	gdt[BOOT_SEL_DS / 8] = gdt_entry(FLAGS_DATA, 0, 0xfffff);
	/* Base 0, limit 0x67 as the PVH ABI asks; in long mode the next
	 * slot is the descriptor's upper half (base 63:32 = 0). */
	gdt[BOOT_SEL_TSS / 8] = gdt_entry(FLAGS_TSS, 0, TSS_LIMIT);
}

static struct kvm_segment seg_from_desc(uint64_t d, uint16_t selector)
{
	struct kvm_segment s = {
		.base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000),
		.limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000)),
		.selector = selector,
		.type = (d >> 40) & 0xf,
		.s = (d >> 44) & 1,
		.dpl = (d >> 45) & 3,
		.present = (d >> 47) & 1,
		.avl = (d >> 52) & 1,
		.l = (d >> 53) & 1,
		.db = (d >> 54) & 1,
		.g = (d >> 55) & 1,
	};
	if (s.g)
		s.limit = (s.limit << 12) | 0xfff;
	return s;
}

static int write_page_tables(const struct guest_mem *gm)
{
	uint64_t page[PT_ENTRIES];
	int ret;

	memset(page, 0, sizeof(page));
	page[0] = LAYOUT_PDPT_ADDR | PTE_P | PTE_RW;
	if ((ret = guest_mem_write(gm, LAYOUT_PML4_ADDR, page, sizeof(page))) < 0)
		return ret;
	memset(page, 0, sizeof(page));
	for (unsigned int i = 0; i < IDENT_GIB; i++)
		page[i] = (LAYOUT_PD_ADDR + i * 0x1000ULL) | PTE_P | PTE_RW;
	if ((ret = guest_mem_write(gm, LAYOUT_PDPT_ADDR, page, sizeof(page))) < 0)
		return ret;
	for (unsigned int i = 0; i < IDENT_GIB; i++) {
		for (unsigned int j = 0; j < PT_ENTRIES; j++)
			page[j] = ((uint64_t)(i * PT_ENTRIES + j) << 21) | PTE_P | PTE_RW | PTE_PS;
		if ((ret = guest_mem_write(gm, LAYOUT_PD_ADDR + i * 0x1000ULL, page,
					   sizeof(page))) < 0)
			return ret;
	}
	return 0;
}

int boot_setup_tables(const struct guest_mem *gm, const struct boot_entry *entry)
{
	uint64_t gdt[BOOT_GDT_ENTRIES];
	int ret;

	if (entry->mode != BOOT_MODE_LINUX64 && entry->mode != BOOT_MODE_PVH32)
		return -EINVAL;
	boot_gdt(entry->mode, gdt);
	if ((ret = guest_mem_write(gm, LAYOUT_GDT_ADDR, gdt, sizeof(gdt))) < 0)
		return ret;
	/* PVH starts with paging off and builds its own tables. */
	if (entry->mode == BOOT_MODE_LINUX64)
		return write_page_tables(gm);
	return 0;
}

void boot_vcpu_regs(const struct boot_entry *entry, struct kvm_regs *regs,
		    struct kvm_sregs *sregs)
{
	uint64_t gdt[BOOT_GDT_ENTRIES];

	boot_gdt(entry->mode, gdt);
	memset(regs, 0, sizeof(*regs));
	regs->rflags = 0x2; /* reserved bit 1; IF, TF, VM clear */
	regs->rip = entry->entry;

	sregs->gdt.base = LAYOUT_GDT_ADDR;
	sregs->gdt.limit = sizeof(gdt) - 1;
	/* No IDT until the kernel installs one: an early fault becomes a
	 * triple fault the VMM sees as a shutdown, not a jump to garbage. */
	sregs->idt.base = 0;
	sregs->idt.limit = 0;
	sregs->cs = seg_from_desc(gdt[BOOT_SEL_CS / 8], BOOT_SEL_CS);
	sregs->ds = seg_from_desc(gdt[BOOT_SEL_DS / 8], BOOT_SEL_DS);
	sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
	sregs->tr = seg_from_desc(gdt[BOOT_SEL_TSS / 8], BOOT_SEL_TSS);
	memset(&sregs->ldt, 0, sizeof(sregs->ldt));
	sregs->ldt.type = 2; /* LDT, marked unusable: there is none */
	sregs->ldt.unusable = 1;

	if (entry->mode == BOOT_MODE_PVH32) {
		regs->rbx = entry->info_gpa;
		sregs->cr0 = X86_CR0_PE;
		sregs->cr3 = 0;
		sregs->cr4 = 0;
		sregs->efer = 0;
		return;
	}
	regs->rsi = entry->info_gpa;
	regs->rsp = LAYOUT_BOOT_STACK;
	regs->rbp = LAYOUT_BOOT_STACK;
	sregs->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
	sregs->cr3 = LAYOUT_PML4_ADDR;
	sregs->cr4 = X86_CR4_PAE;
	sregs->efer = EFER_LME | EFER_LMA;
}
