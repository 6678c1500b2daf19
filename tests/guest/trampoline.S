/* AP start-up. The 16-bit part (tramp_start..tramp_end) is copied by the
 * BSP to TRAMPOLINE_ADDR and runs there from the SIPI (CS = addr >> 4,
 * IP = 0); it only loads the shared GDT and enters protected mode. The
 * rest runs in place in the image: long mode on the shared page tables,
 * the shared IDT, a stack of its own, then ap_main() in smp.c. */
#include "defs.h"

	.text
	.code16
	.globl tramp_start, tramp_end
tramp_start:
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	tramp_gdtr - tramp_start
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	$SEL_KCODE32, $ap_entry32
	.balign 4
tramp_gdtr:
	.word	GDT_ENTRIES * 8 - 1
	.long	gdt
tramp_end:

	.code32
ap_entry32:
	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$early_pml4, %eax	/* the BSP's final tables (paging.c) */
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_PE), %eax
	movl	%eax, %cr0
	ljmpl	$SEL_KCODE, $ap_entry64

	.code64
ap_entry64:
	lidt	idt_ptr(%rip)
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	/* A stack slot per start: INIT can restart an AP, so wrap around. */
	movl	$1, %eax
	lock xaddl %eax, ap_ticket(%rip)
	andl	$(ASM_MAX_VCPUS - 1), %eax
	incl	%eax
	imull	$AP_STACK_SIZE, %eax
	leaq	ap_stacks(%rip), %rsp
	addq	%rax, %rsp
	xorl	%ebp, %ebp
	call	ap_main
1:	cli
	hlt
	jmp	1b

	.section .noinit, "aw", @nobits
	.balign 16
ap_stacks:
	.skip	AP_STACK_SIZE * ASM_MAX_VCPUS
