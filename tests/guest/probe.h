/* Declarations shared by ring-0 and ring-3 code of the probe guest. */
#ifndef PROBE_H
#define PROBE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defs.h"
#include "layout.h"

/* Scratch that needs no zeroing; see probe.ld. */
#define NOINIT __attribute__((section(".noinit")))
#define PACKED __attribute__((packed))

/* kvmclock's per-vCPU time page (the host writes it). */
struct pvclock {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} PACKED;

/* What ring 0 learned and set up, for ring 3 to read (all memory is
 * user-accessible in the probe). */
struct kinfo {
	uint64_t boot_params;  /* guest-physical */
	int entry;             /* ENTRY_16/32/64 */
	uint32_t bsp_apic_id;
	uint64_t lapic_base;   /* from IA32_APIC_BASE */
	bool has_1g_pages;
	uint64_t map_top;      /* [0, map_top) is identity-mapped */
	uint64_t tsc_kmain;    /* TSC at kmain() */
	uint32_t kvm_max_leaf; /* 0 if no KVM signature */
	uint32_t kvm_features;
	uint32_t kvm_tsc_khz;  /* CPUID 0x40000010 EAX, 0 if absent */
	uint32_t cpuid15[3];   /* EAX EBX ECX of leaf 0x15, zeros if absent */
	uint32_t cpuid16_mhz;
	bool kvmclock;         /* pvclock below is being filled in */
	volatile struct pvclock pvclock __attribute__((aligned(64)));
};
extern struct kinfo kinfo;

/* Counters the interrupt handlers and APs update and ring 3 reads. */
extern volatile uint64_t timer_ticks;
extern volatile uint32_t ap_up;

/* What the virtio interrupt handler (ring 0, virtio_irq.c) saw for each
 * device, for the ring-3 driver to read. */
struct virtio_irq {
	uint64_t base;            /* MMIO window the handler reads; 0: not routed */
	volatile uint64_t count;  /* interrupts taken */
	volatile uint64_t config; /* ...whose InterruptStatus had the config bit */
	volatile uint32_t isr;    /* every InterruptStatus bit seen, OR-ed */
};
extern struct virtio_irq virtio_irqs[VIRTIO_MAX];
/* Bumped by every virtio interrupt: what ring 3 sleeps on (SYS_WAIT). */
extern volatile uint64_t virtio_irq_total;

/* Linker symbols. */
extern char _pm_start[], _end[];
extern char tramp_start[], tramp_end[];

/* fmt.c: a small vsnprintf: %s %c %d %u %x %p %%, l/ll/z, 0 and width. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* string.c (the compiler may also call these). */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* A pointer to identity-mapped physical memory. The empty asm hides the
 * constant from gcc, which takes small constant addresses for null
 * pointer arithmetic and warns about every access. */
static inline void *phys(uint64_t addr)
{
	__asm__("" : "+r"(addr));
	return (void *)addr;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

#endif
