/* The C side of every trap: ud2 requests from ring 3, the device
 * interrupts, and a loud death for anything unexpected. */
#include "kernel.h"

/* isr.S: 256 static gates. */
extern char idt[256 * 16];
struct desc_ptr idt_ptr = { sizeof(idt) - 1, (uint64_t)idt };

void idt_init(void)
{
	__asm__ volatile("lidt %0" : : "m"(idt_ptr));
}

void fatal_frame(const struct frame *f, const char *why)
{
	uint64_t cr2;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	kprintf("PROBE fatal vector=%lu rip=0x%lx err=0x%lx cs=0x%lx rsp=0x%lx cr2=0x%lx rax=0x%lx what=%s\n",
		f->vector, f->rip, f->error, f->cs, f->rsp, cr2, f->rax, why);
	debug_exit(1);
}

static bool is_request(const struct frame *f)
{
	return (f->cs & 3) == 3 && *(const uint16_t *)f->rip == 0x0b0f; /* ud2 */
}

void trap(struct frame *f)
{
	switch (f->vector) {
	case VEC_UD:
		if (!is_request(f))
			break;
		syscall_dispatch(f);
		f->rip += 2;
		return;
	case VEC_TIMER:
		timer_ticks++;
		lapic_eoi();
		return;
	case VEC_SERIAL:
		serial_irq();
		lapic_eoi();
		return;
	case VEC_SPURIOUS:
		return; /* no EOI for spurious interrupts */
	}
	if (f->vector >= VEC_VIRTIO && f->vector < VEC_VIRTIO + VIRTIO_MAX) {
		virtio_isr((unsigned)(f->vector - VEC_VIRTIO));
		lapic_eoi();
		return;
	}
	fatal_frame(f, f->vector < 32 ? "exception" : "unexpected-interrupt");
}
