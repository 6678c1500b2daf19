/* Ring-3 side of the probe: scenario workloads and their helpers. Ring 3
 * runs natively here, so this is where loops belong. */
#ifndef PROBE_USER_H
#define PROBE_USER_H

#include "probe.h"

static inline long ucall(long nr, long a, long b, long c)
{
	long ret;
	/* ud2 traps to ring 0 (see syscall.c), which skips it on return. */
	__asm__ volatile("ud2" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "memory");
	return ret;
}

/* ulib.c */
void uprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void uwrite(const char *s, size_t n);
__attribute__((noreturn)) void uexit(unsigned code);

/* clock.c: TSC-based time in ring 3. */
void clock_init(void);
extern uint64_t tsc_hz;
extern const char *tsc_source;
uint64_t tsc_us(uint64_t ticks);
uint64_t us_tsc(uint64_t us);
void udelay(uint64_t us);

/* bootinfo.c: what the loader handed over, copied once. */
struct e820 {
	uint64_t addr, size;
	uint32_t type;
};
extern char cmdline[4096];
extern struct e820 e820[128];
extern int e820_n;
void bootinfo_copy(void);

/* cmdline.c: the value of the last word starting with key (e.g.
 * "probe="), or NULL; a number (decimal or 0x hex) or dflt. */
const char *cmdline_word(const char *key, size_t *len);
uint64_t cmdline_u64(const char *key, uint64_t dflt);
/* Parses a number like Linux's memparse: decimal/0x hex, optional K/M/G.
 * Returns the first character after it; *ok false if there was none. */
const char *parse_num(const char *s, const char *end, uint64_t *v, bool suffix, bool *ok);

/* mptable.c / madt.c: processors the firmware tables list. */
struct cpu_list {
	int n;
	uint32_t apic_id[ASM_MAX_VCPUS];
	const char *source; /* "mptable", "madt" or NULL */
};
extern struct cpu_list cpus;
bool mptable_find_cpus(struct cpu_list *out);
bool madt_find_cpus(struct cpu_list *out);

/* Scenarios: each prints its own PROBE line and says whether it passed. */
bool scenario_hello(void);
bool scenario_mem(void);
bool scenario_smp(void);
bool scenario_timer(void);
bool scenario_serial(void);
bool scenario_fault(void);
bool scenario_progress(void);
bool scenario_blk(void);
bool scenario_blkro(void);
bool scenario_blkbench(void);
bool scenario_blkstorm(void);
bool scenario_rngstorm(void);
bool scenario_rng(void);
bool scenario_needsreset(void);
bool scenario_vsock(void);
bool scenario_net(void);

#endif
