/* Ring-0 services ring 3 asks for with ud2 (numbers in defs.h). Ring 3
 * cannot do port I/O, touch the APIC safely, or halt, so it asks. */
#include "kernel.h"

static void sleep_until_interrupt(void)
{
	/* sti's one-instruction shadow covers hlt, so an interrupt already
	 * pending wakes it instead of being lost. */
	__asm__ volatile("sti; hlt; cli" ::: "memory");
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
	default:
		fatal_frame(f, "bad-request");
	}
	f->rax = (uint64_t)ret;
}
