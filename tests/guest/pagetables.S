/* Static identity map of the low 4 GiB with 2 MiB user-accessible pages.
 * Built by the assembler, not at run time: ring 0 is emulated here and
 * filling 2048 entries would cost milliseconds. The 32-bit entry and the
 * APs use it as is; paging.c extends it (1 GiB pages, RAM above 4 GiB). */
#define PTE_P  0x001
#define PTE_W  0x002
#define PTE_U  0x004
#define PTE_PS 0x080
#define PTE_TABLE (PTE_P | PTE_W | PTE_U)

	.section .data.pagetables, "aw"
	.balign 4096
	.globl early_pml4, early_pdpt, early_pd
early_pml4:
	.quad	early_pdpt + PTE_TABLE
	.fill	511, 8, 0
early_pdpt:
	.quad	early_pd + 0x0000 + PTE_TABLE
	.quad	early_pd + 0x1000 + PTE_TABLE
	.quad	early_pd + 0x2000 + PTE_TABLE
	.quad	early_pd + 0x3000 + PTE_TABLE
	.fill	508, 8, 0
early_pd:
	.set	addr, 0
	.rept	2048
	.quad	addr + (PTE_TABLE | PTE_PS)
	.set	addr, addr + 0x200000
	.endr
