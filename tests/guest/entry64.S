/* 64-bit entry (code32_start + 0x200, XLF_KERNEL_64) and the common
 * 64-bit start every path ends in. */
#include "defs.h"

	.section .head64, "ax"
	.code64
	.globl startup_64
startup_64:
	/* Boot-timer mark first, so the VMM can time the loader alone.
	 * RSI (boot_params) must survive. */
	movl	$ASM_BOOT_TIMER_ADDR, %eax
	movl	$ASM_BOOT_TIMER_MAGIC, (%rax)
	movq	%rsi, %rdi
	movl	$ENTRY_64, %esi
	jmp	common64

	.text
	.globl startup_64_from32
startup_64_from32:
	/* Upper register halves are undefined across the mode switch. */
	movl	%esi, %edi
	movl	%ebx, %esi
	/* fall through */

/* RDI = boot_params, ESI = ENTRY_xx. Nothing here may touch big ranges:
 * ring 0 is emulated instruction by instruction on this KVM. */
common64:
	lgdt	gdt_ptr(%rip)
	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	leaq	bsp_stack_top(%rip), %rsp
	pushq	$SEL_KCODE
	leaq	1f(%rip), %rax
	pushq	%rax
	lretq
1:
	xorl	%ebp, %ebp
	call	kmain
2:	cli
	hlt
	jmp	2b

/* enter_user(rip, rsp): drop to ring 3 with interrupts enabled. */
	.globl enter_user
enter_user:
	pushq	$(SEL_UDATA | 3)
	pushq	%rsi
	pushq	$0x202
	pushq	$(SEL_UCODE | 3)
	pushq	%rdi
	iretq

	.section .noinit, "aw", @nobits
	.balign 16
	.globl bsp_stack_top
bsp_stack:
	.skip	BSP_STACK_SIZE
bsp_stack_top:
