/* Ring-0 start shared by all entry paths: a handful of steps, then ring
 * 3. Every instruction here is emulated, which is why the page tables,
 * GDT and IDT are static and nothing formats text. */
#include "kernel.h"

struct kinfo kinfo;
volatile uint64_t timer_ticks;

static char user_stack[USER_STACK_SIZE] NOINIT __attribute__((aligned(16)));

/* Fixed strings: formatting in ring 0 costs ~50 emulated instructions
 * a character. */
static const char *banner(int entry)
{
	switch (entry) {
	case ENTRY_16:
		return "probe: booting via real-mode (16-bit) entry\n";
	case ENTRY_32:
		return "probe: booting via 32-bit entry\n";
	default:
		return "probe: booting via 64-bit entry\n";
	}
}

void kmain(uint64_t boot_params, int entry)
{
	kinfo.tsc_kmain = rdtsc();
	kinfo.boot_params = boot_params;
	kinfo.entry = entry;

	serial_init();
	serial_puts(banner(entry));

	cpu_probe();
	paging_init();
	gdt_init_tss();
	idt_init();
	pic_disable();
	lapic_init();
	kvmclock_init();

	enter_user(user_main, user_stack + sizeof(user_stack));
}
