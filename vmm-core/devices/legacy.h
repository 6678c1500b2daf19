/* Small legacy devices of the core: the i8042 controller (enough for the
 * 0xFE reset command Linux uses with reboot=k), the debug-exit port the
 * probe guest ends the VM with, and Firecracker-style boot timer. */
#ifndef CELLVM_LEGACY_H
#define CELLVM_LEGACY_H

#include <stdint.h>
#include <time.h>

#include "bus.h"
#include "vm_stop.h"

struct i8042 {
	struct vm_stop *stop;
	uint8_t cmd_byte;     /* controller configuration byte */
	uint8_t pending_cmd;  /* command waiting for its data byte on port 0x60 */
};

struct debug_exit {
	struct vm_stop *stop;
};

struct boot_timer {
	struct timespec launch_wall;  /* CLOCK_MONOTONIC when cellvm started */
	struct timespec launch_cpu;   /* CLOCK_PROCESS_CPUTIME_ID then */
};

extern const struct bus_ops i8042_bus_ops;      /* register at 0x60, size 5 */
extern const struct bus_ops debug_exit_bus_ops; /* register at PORT_DEBUG_EXIT, size 4 */
extern const struct bus_ops boot_timer_bus_ops; /* register at LAYOUT_BOOT_TIMER_ADDR */

/* Microseconds between two CLOCK_* readings. */
int64_t timespec_us_between(const struct timespec *from, const struct timespec *to);

#endif
