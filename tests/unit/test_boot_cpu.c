/* Boot GDT, identity page tables and the vCPU register state for both
 * entry modes. */
#include <errno.h>

#include "test_boot_util.h"

#define RAM_64M (64 * MiB)

static uint64_t gdt_at(const struct guest_mem *gm, unsigned int sel)
{
	return g64(gm, LAYOUT_GDT_ADDR + sel);
}

Test(boot_cpu, linux64_gdt_and_identity_page_tables)
{
	struct guest_mem gm;
	struct boot_entry e = { .mode = BOOT_MODE_LINUX64, .entry = 0x1000200,
				.info_gpa = LAYOUT_ZERO_PAGE_ADDR };

	t_mem(&gm, RAM_64M);
	cr_assert_eq(boot_setup_tables(&gm, &e), 0);
	cr_assert_eq(gdt_at(&gm, 0), 0);
	cr_assert_eq(gdt_at(&gm, BOOT_SEL_CODE64), 0x00af9b000000ffffULL);
	cr_assert_eq(gdt_at(&gm, BOOT_SEL_CS), 0x00af9b000000ffffULL);
	cr_assert_eq(gdt_at(&gm, BOOT_SEL_DS), 0x00cf93000000ffffULL);
	cr_assert_eq(gdt_at(&gm, BOOT_SEL_TSS), 0x00008b0000000067ULL);
	cr_assert_eq(gdt_at(&gm, BOOT_SEL_TSS + 8), 0);

	cr_assert_eq(g64(&gm, LAYOUT_PML4_ADDR), LAYOUT_PDPT_ADDR | 3);
	cr_assert_eq(g64(&gm, LAYOUT_PML4_ADDR + 8), 0);
	for (unsigned int i = 0; i < 4; i++)
		cr_assert_eq(g64(&gm, LAYOUT_PDPT_ADDR + i * 8), (LAYOUT_PD_ADDR + i * 0x1000) | 3);
	cr_assert_eq(g64(&gm, LAYOUT_PDPT_ADDR + 4 * 8), 0);
	for (uint64_t j = 0; j < 2048; j++)
		cr_assert_eq(g64(&gm, LAYOUT_PD_ADDR + j * 8), (j << 21) | 0x83, "PD entry %lu", j);
	/* the tables stay inside their slots below the zero page... */
	cr_assert_leq(LAYOUT_GDT_ADDR + BOOT_GDT_ENTRIES * 8, LAYOUT_PVH_INFO_ADDR);
	/* ...and the last PD page ends where the layout says */
	cr_assert_eq(LAYOUT_PD_ADDR + 4 * 0x1000, 0xf000);
	guest_mem_destroy(&gm);
}

Test(boot_cpu, linux64_registers)
{
	struct boot_entry e = { .mode = BOOT_MODE_LINUX64, .entry = 0x1000200,
				.info_gpa = LAYOUT_ZERO_PAGE_ADDR };
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	memset(&regs, 0x5a, sizeof(regs));
	memset(&sregs, 0, sizeof(sregs));
	sregs.apic_base = 0xfee00900;
	sregs.cr0 = 0x60000010; /* reset value: CD|NW|ET, must not survive */
	boot_vcpu_regs(&e, &regs, &sregs);

	cr_assert_eq(regs.rip, 0x1000200);
	cr_assert_eq(regs.rsi, LAYOUT_ZERO_PAGE_ADDR);
	cr_assert_eq(regs.rsp, LAYOUT_BOOT_STACK);
	cr_assert_eq(regs.rflags, 2);
	cr_assert_eq(regs.rax | regs.rbx | regs.rcx | regs.rdx | regs.rdi, 0);

	cr_assert_eq(sregs.cr0 & 0x80000001ULL, 0x80000001ULL, "PE|PG");
	cr_assert_eq(sregs.cr0 & 0x60000000ULL, 0, "CD/NW cleared");
	cr_assert_eq(sregs.cr3, LAYOUT_PML4_ADDR);
	cr_assert_eq(sregs.cr4, 1 << 5);
	cr_assert_eq(sregs.efer, (1 << 8) | (1 << 10));
	cr_assert_eq(sregs.apic_base, 0xfee00900, "unrelated sregs preserved");
	cr_assert_eq(sregs.gdt.base, LAYOUT_GDT_ADDR);
	cr_assert_eq(sregs.gdt.limit, BOOT_GDT_ENTRIES * 8 - 1);

	cr_assert_eq(sregs.cs.selector, BOOT_SEL_CS);
	cr_assert_eq(sregs.cs.l, 1);
	cr_assert_eq(sregs.cs.db, 0);
	cr_assert_eq(sregs.cs.type, 0xb);
	cr_assert_eq(sregs.cs.s, 1);
	cr_assert_eq(sregs.cs.present, 1);
	cr_assert_eq(sregs.cs.dpl, 0);
	cr_assert_eq(sregs.cs.base, 0);
	cr_assert_eq(sregs.cs.limit, 0xffffffff);
	cr_assert_eq(sregs.cs.g, 1);
	const struct kvm_segment *data[] = { &sregs.ds, &sregs.es, &sregs.fs, &sregs.gs, &sregs.ss };
	for (unsigned int i = 0; i < 5; i++) {
		cr_assert_eq(data[i]->selector, BOOT_SEL_DS);
		cr_assert_eq(data[i]->type, 0x3);
		cr_assert_eq(data[i]->db, 1);
		cr_assert_eq(data[i]->limit, 0xffffffff);
		cr_assert_eq(data[i]->base, 0);
		cr_assert_eq(data[i]->present, 1);
	}
	cr_assert_eq(sregs.tr.selector, BOOT_SEL_TSS);
	cr_assert_eq(sregs.tr.type, 0xb);
	cr_assert_eq(sregs.tr.s, 0);
	cr_assert_eq(sregs.tr.present, 1);
	cr_assert_eq(sregs.tr.limit, 0x67);
	cr_assert_eq(sregs.ldt.unusable, 1);
}

Test(boot_cpu, pvh32_gdt_and_registers)
{
	struct guest_mem gm;
	struct boot_entry e = { .mode = BOOT_MODE_PVH32, .entry = 0x1000850,
				.info_gpa = LAYOUT_PVH_INFO_ADDR };
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	t_mem(&gm, RAM_64M);
	cr_assert_eq(boot_setup_tables(&gm, &e), 0);
	cr_assert_eq(gdt_at(&gm, BOOT_SEL_CS), 0x00cf9b000000ffffULL);
	cr_assert_eq(gdt_at(&gm, BOOT_SEL_DS), 0x00cf93000000ffffULL);
	cr_assert_eq(gdt_at(&gm, BOOT_SEL_TSS), 0x00008b0000000067ULL);
	cr_assert_eq(g64(&gm, LAYOUT_PML4_ADDR), 0, "PVH needs no page tables");

	memset(&sregs, 0, sizeof(sregs));
	sregs.cr0 = 0x60000010;
	sregs.efer = 0x500;
	sregs.cr4 = 0x20;
	boot_vcpu_regs(&e, &regs, &sregs);
	cr_assert_eq(regs.rip, 0x1000850);
	cr_assert_eq(regs.rbx, LAYOUT_PVH_INFO_ADDR);
	cr_assert_eq(regs.rsi, 0);
	cr_assert_eq(regs.rflags, 2);
	cr_assert_eq(sregs.cr0, 1, "PE only, paging off");
	cr_assert_eq(sregs.cr4, 0);
	cr_assert_eq(sregs.efer, 0);
	cr_assert_eq(sregs.cs.selector, BOOT_SEL_CS);
	cr_assert_eq(sregs.cs.db, 1);
	cr_assert_eq(sregs.cs.l, 0);
	cr_assert_eq(sregs.cs.type, 0xb);
	cr_assert_eq(sregs.cs.base, 0);
	cr_assert_eq(sregs.cs.limit, 0xffffffff);
	cr_assert_eq(sregs.ds.db, 1);
	cr_assert_eq(sregs.ds.limit, 0xffffffff);
	cr_assert_eq(sregs.es.selector, BOOT_SEL_DS);
	cr_assert_eq(sregs.ss.selector, BOOT_SEL_DS);
	/* a 32-bit busy TSS, base 0, limit 0x67, as the PVH ABI asks */
	cr_assert_eq(sregs.tr.type, 0xb);
	cr_assert_eq(sregs.tr.base, 0);
	cr_assert_eq(sregs.tr.limit, 0x67);
	cr_assert_eq(sregs.tr.present, 1);
	cr_assert_eq(sregs.tr.g, 0);
	guest_mem_destroy(&gm);
}

Test(boot_cpu, unknown_mode_rejected)
{
	struct guest_mem gm;
	struct boot_entry e = { .mode = (enum boot_mode)7 };

	t_mem(&gm, RAM_64M);
	cr_assert_eq(boot_setup_tables(&gm, &e), -EINVAL);
	guest_mem_destroy(&gm);
}
