/* The probe's GDT and the BSP's TSS. The GDT is static so the 32-bit
 * entry and the AP trampoline can load it before any C runs; only the
 * TSS descriptor (whose base has to be split) is written at run time. */
#include "kernel.h"

struct PACKED tss {
	uint32_t rsvd0;
	uint64_t rsp[3];
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3;
	uint16_t iomap_base;
};

uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16))) = {
	[SEL_KCODE / 8] = 0x00af9a000000ffff,   /* L=1, DPL 0 */
	[SEL_KDATA / 8] = 0x00cf92000000ffff,
	[SEL_UDATA / 8] = 0x00cff2000000ffff,   /* DPL 3 */
	[SEL_UCODE / 8] = 0x00affa000000ffff,   /* L=1, DPL 3 */
	[SEL_KCODE32 / 8] = 0x00cf9a000000ffff, /* D=1, flat */
};

/* Read by lgdt in 32-bit code too, which takes the low 4 bytes of base. */
struct desc_ptr gdt_ptr = { sizeof(gdt) - 1, (uint64_t)gdt };

static struct tss tss;
static char df_stack[DF_STACK_SIZE] NOINIT __attribute__((aligned(16)));

void gdt_init_tss(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;

	/* Interrupts and ud2 requests from ring 3 land on the boot stack:
	 * kmain never returns, so it is free once we are in ring 3. */
	tss.rsp[0] = (uint64_t)bsp_stack_top;
	/* A double fault gets a known-good stack (IST1). */
	tss.ist[0] = (uint64_t)df_stack + sizeof(df_stack);
	tss.iomap_base = sizeof(tss); /* no I/O bitmap: ring 3 gets no ports */

	gdt[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
			   (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[SEL_TSS / 8 + 1] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
}
