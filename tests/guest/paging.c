/* The probe's final identity map: the static low-4-GiB tables from
 * pagetables.S, switched to 1 GiB pages when the CPU has them, plus every
 * e820 RAM range above 4 GiB. Every page is user-accessible so ring 3 can
 * test memory and read firmware tables. */
#include "kernel.h"
#include "bootparam.h"

#define PTE_P  0x001ULL
#define PTE_W  0x002ULL
#define PTE_U  0x004ULL
#define PTE_PS 0x080ULL
#define PTE_LEAF  (PTE_P | PTE_W | PTE_U | PTE_PS)
#define PTE_TABLE (PTE_P | PTE_W | PTE_U)

/* Page directories for RAM above 4 GiB when 1 GiB pages are missing:
 * one per GiB, zeroed only when used. */
#define HIGH_PDS 8
static uint64_t high_pd[HIGH_PDS][512] NOINIT __attribute__((aligned(4096)));
static unsigned high_pd_used;

/* Maps [4 GiB, top) and returns how far it got. One PDPT covers 512 GiB,
 * far more than a probe VM gets. */
static uint64_t map_high(uint64_t top)
{
	uint64_t end = top < 512 * GiB ? top : 512 * GiB;
	uint64_t a = 4 * GiB;

	if (kinfo.has_1g_pages) {
		for (; a < end; a += GiB)
			early_pdpt[a / GiB] = a | PTE_LEAF;
		return a;
	}
	for (; a < end && high_pd_used < HIGH_PDS; a += GiB) {
		uint64_t *pd = high_pd[high_pd_used++];
		for (unsigned i = 0; i < 512; i++)
			pd[i] = (a + i * 2 * MiB) | PTE_LEAF;
		early_pdpt[a / GiB] = (uint64_t)pd | PTE_TABLE;
	}
	return a;
}

void paging_init(void)
{
	const uint8_t *bp = (const uint8_t *)kinfo.boot_params;
	unsigned n = bp[BP_E820_ENTRIES];
	uint64_t ram_top = 0;

	if (n > E820_MAX)
		n = E820_MAX;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = bp + BP_E820_TABLE + i * E820_ENTRY_SZ;
		uint64_t addr = *(const uint64_t *)e, size = *(const uint64_t *)(e + 8);
		if (*(const uint32_t *)(e + 16) == E820_RAM && addr + size > ram_top)
			ram_top = addr + size;
	}

	/* Low 4 GiB: 4 entries instead of the 2048 2 MiB ones. The mapping
	 * stays the same, so switching it under our own feet is harmless. */
	if (kinfo.has_1g_pages)
		for (uint64_t i = 0; i < 4; i++)
			early_pdpt[i] = (i * GiB) | PTE_LEAF;
	kinfo.map_top = ram_top > 4 * GiB ? map_high(ram_top) : 4 * GiB;

	/* Ring-0 code runs on user pages, so SMEP/SMAP must be off whatever
	 * the loader left in CR4. */
	uint64_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 = (cr4 | CR4_PAE) & ~(uint64_t)(CR4_SMEP | CR4_SMAP | CR4_PKE);
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
	__asm__ volatile("mov %0, %%cr3" : : "r"((uint64_t)early_pml4) : "memory");
}
