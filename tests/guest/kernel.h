/* Ring-0 side of the probe. Everything here runs emulated on this KVM
 * (about a million instructions a second): keep it short, no big loops. */
#ifndef PROBE_KERNEL_H
#define PROBE_KERNEL_H

#include "probe.h"

/* Register frame built by isr.S, lowest address first. */
struct frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* entry64.S / isr.S / pagetables.S / trampoline.S */
void enter_user(void (*rip)(void), void *rsp) __attribute__((noreturn));
extern char isr_stubs[];
extern char bsp_stack_top[];
extern uint64_t early_pml4[512], early_pdpt[512], early_pd[4 * 512];

/* gdt.c */
extern uint64_t gdt[GDT_ENTRIES];
struct PACKED desc_ptr {
	uint16_t limit;
	uint64_t base;
};
extern struct desc_ptr gdt_ptr, idt_ptr;
void gdt_init_tss(void);

/* idt.c */
void idt_init(void);
void trap(struct frame *f);
__attribute__((noreturn)) void fatal_frame(const struct frame *f, const char *why);

/* syscall.c */
void syscall_dispatch(struct frame *f);

/* serial.c */
void serial_init(void);
void serial_write(const char *s, size_t n); /* takes the print lock */
void serial_puts(const char *s);
/* Prints a, n in decimal, b as one locked unit: a cheap kprintf. */
void serial_line_u(const char *a, uint64_t n, const char *b);
void serial_rx(bool on);
void serial_irq(void);
int serial_getc(void);
/* Slow under emulation (~50 instructions a character): for fatal paths. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void debug_exit(unsigned code);

/* paging.c */
void paging_init(void);

/* apic.c */
void pic_disable(void);
void lapic_init(void);
uint32_t lapic_id(void);
void lapic_eoi(void);
void lapic_timer(uint32_t count, bool periodic);
int lapic_ipi(uint32_t apic_id, uint32_t icr_lo);
void ioapic_route(unsigned pin, unsigned vector, uint32_t apic_id, bool masked);

/* virtio_irq.c */
long virtio_irq_route(uint64_t index, uint64_t base, uint64_t pin);
void virtio_isr(unsigned index);

/* smp.c: C side of an AP after trampoline.S. */
void ap_main(void);

/* cpu.c */
void cpu_probe(void);
void kvmclock_init(void);

/* user.c: ring-3 main, entered once with iretq. */
void user_main(void);

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint32_t mmio_read32(uint64_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uint64_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

#endif
