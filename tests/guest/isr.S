/* Interrupt and exception entry stubs: one 16-byte stub per vector
 * (isr_stubs + 16 * vector) that makes the frame uniform (pushes a zero
 * error code when the CPU pushes none, then the vector) and calls
 * trap(struct frame *). */
#include "defs.h"

	.text
	.balign 4096	/* 4 KiB of stubs in one 4 KiB block: never crosses 64 KiB */
	.globl isr_stubs
isr_stubs:
	.set	vec, 0
	.rept	256
	.balign	16
	.if	!(vec == 8 || vec == 10 || vec == 11 || vec == 12 || vec == 13 || vec == 14 || vec == 17 || vec == 21 || vec == 29 || vec == 30)
	pushq	$0
	.endif
	pushq	$vec
	jmp	isr_common
	.set	vec, vec + 1
	.endr

isr_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	cld
	call	trap
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp
	iretq

/* The IDT, complete and static: a gate's handler address has to be split
 * in three, which only the linker can do (isr_stubs_lo/hi in probe.ld);
 * filling it at run time would cost ~60 emulated instructions a gate.
 * 64-bit interrupt gates (IF cleared), DPL 0, #DF on IST1. */
	.data
	.balign 16
	.globl idt
idt:
	.set	vec, 0
	.rept	256
	.word	isr_stubs_lo + 16 * vec
	.word	SEL_KCODE
	.if	vec == VEC_DF
	.byte	1
	.else
	.byte	0
	.endif
	.byte	0x8e
	.word	isr_stubs_hi
	.long	0
	.long	0
	.set	vec, vec + 1
	.endr
