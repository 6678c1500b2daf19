/* 32-bit entry at code32_start (0x100000): flat protected mode, paging
 * off, ESI = boot_params. Switches to long mode on the static identity
 * map (pagetables.S) and continues in entry64.S. Lives in .head32, which
 * the linker script keeps below +0x200 where the 64-bit entry starts. */
#include "defs.h"

	.section .head32, "ax"
	.code32
	.globl startup_32
startup_32:
	cli
	cld
	/* CS is flat per protocol; DS might not be ours yet. */
	lgdtl	%cs:gdt_ptr
	ljmpl	$SEL_KCODE32, $1f
1:
	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %fs
	movl	%eax, %gs
	movl	%eax, %ss

	/* EBX = which path we came by (rdmsr below clobbers EDX). */
	movl	$ENTRY_32, %ebx
	cmpl	$ENTRY16_MAGIC, %ebp
	jne	2f
	movl	$ENTRY_16, %ebx
2:
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$early_pml4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_PE), %eax
	movl	%eax, %cr0
	ljmpl	$SEL_KCODE, $startup_64_from32
