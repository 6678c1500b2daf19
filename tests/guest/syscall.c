/* Ring-0 services ring 3 asks for with ud2 (numbers in defs.h). Ring 3
 * cannot do port I/O, touch the APIC safely, or halt, so it asks. */
#include "kernel.h"

static void sleep_until_interrupt(void)
{
	/* sti's one-instruction shadow covers hlt, so an interrupt already
	 * pending wakes it instead of being lost. */
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

/* A one-shot LAPIC timer bounds the sleep (62.5 ticks a microsecond
 * after divide-by-16 on KVM's 1 GHz APIC clock). */
static void sleep_bounded(uint64_t us)
{
	if (us > 1000000)
		us = 1000000;
	lapic_timer((uint32_t)(us * 125 / 2) + 1, false);
	sleep_until_interrupt();
	lapic_timer(0, false);
}

void syscall_dispatch(struct frame *f)
{
	long ret = 0;

	switch (f->rax) {
	case SYS_WRITE:
		if (f->rsi > 65536)
			fatal_frame(f, "write-too-long");
		serial_write((const char *)f->rdi, f->rsi);
		break;
	case SYS_EXIT:
		debug_exit((unsigned)f->rdi);
	case SYS_HLT:
		sleep_until_interrupt();
		break;
	case SYS_TIMER:
		lapic_timer((uint32_t)f->rdi, f->rsi != 0);
		break;
	case SYS_SERIAL_RX:
		serial_rx(f->rdi != 0);
		break;
	case SYS_SERIAL_GETC:
		ret = serial_getc();
		break;
	case SYS_NOP:
		break;
	case SYS_IPI:
		ret = lapic_ipi((uint32_t)f->rdi, (uint32_t)f->rsi);
		break;
	case SYS_VIRTIO_IRQ:
		ret = virtio_irq_route(f->rdi, f->rsi, f->rdx);
		break;
	case SYS_WAIT:
		/* The check runs with interrupts off, so an interrupt that bumps
		 * the counter after ring 3 last looked either shows here or
		 * ends the hlt: it can never be slept through. */
		if ((f->rdi & 7) || f->rdi >= kinfo.map_top - 8)
			fatal_frame(f, "bad-wait-address");
		if (*(volatile uint64_t *)f->rdi == f->rsi)
			sleep_bounded(f->rdx);
		break;
	default:
		fatal_frame(f, "bad-request");
	}
	f->rax = (uint64_t)ret;
}
