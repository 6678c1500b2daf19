/* The assembly cannot include layout.h's suffixed constants (defs.h
 * repeats them); make sure the copies agree. */
#include "probe.h"
#include "bootparam.h"

_Static_assert(ASM_BOOT_TIMER_ADDR == LAYOUT_BOOT_TIMER_ADDR, "boot timer address");
_Static_assert(ASM_BOOT_TIMER_MAGIC == BOOT_TIMER_MAGIC, "boot timer magic");
_Static_assert(ASM_KERNEL_ADDR == LAYOUT_KERNEL_DEFAULT, "kernel load address");
_Static_assert(ASM_MAX_VCPUS == MAX_VCPUS, "vCPU limit");
_Static_assert((ASM_MAX_VCPUS & (ASM_MAX_VCPUS - 1)) == 0, "trampoline.S wraps the AP ticket with a mask");
_Static_assert(TRAMPOLINE_ADDR + 0x1000 <= LAYOUT_PVH_INFO_ADDR && TRAMPOLINE_ADDR >= 0x1000,
	       "trampoline page must stay in the free low area of the layout");
_Static_assert(PORT_DEBUG_EXIT == 0xf4 && PORT_COM1 == 0x3f8, "ports");
