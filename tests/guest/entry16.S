/* Real-mode entry (what QEMU's -kernel option ROM jumps to): CS = seg+0x20,
 * IP = 0, DS = ES = SS = seg, the protected-mode part already at
 * code32_start. Builds a boot_params from our own (loader-patched) header
 * and the BIOS e820 map, then enters 32-bit protected mode and joins the
 * 32-bit entry with ESI = boot_params, as the 32-bit boot protocol asks. */
#include "defs.h"
#include "bootparam.h"

	.section .setup.text, "ax"
	.code16
	.globl start16
start16:
	cli
	cld
	/* Normalise to CS = DS = ES = SS = seg so every label is a plain
	 * offset from the start of the setup (its link address is 0). */
	movw	%cs, %ax
	subw	$0x20, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$setup_stack_top, %sp
	pushw	%ax
	pushw	$1f
	lretw
1:
	/* boot_params.hdr = the header as the loader left it (cmd_line_ptr,
	 * type_of_loader, ... are the loader's). */
	movw	$BP_HDR, %si
	movw	$(boot_params16 + BP_HDR), %di
	movw	$(HDR_END - BP_HDR), %cx
	rep movsb

	call	e820_probe

	/* Linear addresses need the segment base: seg * 16. */
	xorl	%eax, %eax
	movw	%ds, %ax
	shll	$4, %eax
	movl	%eax, %esi
	addl	$boot_params16, %esi
	addl	%eax, gdt16_base
	movl	boot_params16 + BP_CODE32_START, %edx
	movl	%edx, far32_off

	lgdtl	gdt16_desc
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	/* Protected mode with CS still real-mode cached: load the flat data
	 * selectors the 32-bit protocol expects, then far-jump through a
	 * CS-relative pointer (DS is flat now). */
	movw	$0x18, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %fs
	movw	%ax, %gs
	movw	%ax, %ss
	movl	$ENTRY16_MAGIC, %ebp
	xorl	%ebx, %ebx
	xorl	%edi, %edi
	ljmpl	*%cs:far32_off

/* Fills boot_params16.e820_table with BIOS INT 15h/E820 until the BIOS
 * says it is done or the table is full. Zero-length entries are dropped. */
e820_probe:
	xorl	%ebx, %ebx
	movw	$(boot_params16 + BP_E820_TABLE), %di
2:
	movl	$0xe820, %eax
	movl	$0x534d4150, %edx		/* "SMAP" */
	movl	$E820_ENTRY_SZ, %ecx
	int	$0x15
	jc	4f
	cmpl	$0x534d4150, %eax
	jne	4f
	movl	8(%di), %eax
	orl	12(%di), %eax
	jz	3f
	incb	boot_params16 + BP_E820_ENTRIES
	addw	$E820_ENTRY_SZ, %di
	cmpb	$E820_MAX, boot_params16 + BP_E820_ENTRIES
	jae	4f
3:
	testl	%ebx, %ebx
	jnz	2b
4:
	ret

	.section .setup.data, "aw"
	.balign 8
/* Selectors 0x10 / 0x18 as the 32-bit boot protocol names them
 * (__BOOT_CS / __BOOT_DS). */
gdt16:
	.quad	0
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x10: flat 32-bit code */
	.quad	0x00cf92000000ffff	/* 0x18: flat data */
gdt16_end:
gdt16_desc:
	.word	gdt16_end - gdt16 - 1
gdt16_base:
	.long	gdt16			/* + seg * 16 at run time */
far32_off:
	.long	0
	.word	0x10

	.balign 16
setup_stack:
	.fill	1024, 1, 0
setup_stack_top:

	/* Inside the setup image, so it is loaded as zeros with the rest and
	 * lies within the memory every real-mode loader gives the setup. */
	.balign 16
	.globl boot_params16
boot_params16:
	.fill	BP_SIZE, 1, 0
