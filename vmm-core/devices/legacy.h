/* Small legacy devices of the core: the i8042 controller with a keyboard
 * (the reset command Linux uses with reboot=k, and Ctrl-Alt-Del for a
 * graceful shutdown), the debug-exit port the probe guest ends the VM
 * with, and Firecracker-style boot timer. */
#ifndef CELLVM_LEGACY_H
#define CELLVM_LEGACY_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "bus.h"
#include "vm_stop.h"

#define I8042_QUEUE_LEN 32

/* Touched by vCPU threads (port I/O) and the API thread (key presses). */
struct i8042 {
	pthread_mutex_t lock;
	struct vm_stop *stop;
	int irq_fd;             /* irqfd of IRQ 1, -1 for none */
	uint8_t ctr;            /* controller configuration byte */
	uint8_t pending_cmd;    /* command waiting for its data byte on port 0x60 */
	uint8_t kbd_arg_for;    /* keyboard command waiting for its argument */
	uint8_t last_write_cmd; /* STS_CMD when the last write went to port 0x64 */
	uint8_t last_out;       /* what reading an empty output buffer returns */
	uint8_t queue[I8042_QUEUE_LEN]; /* output buffer and the bytes behind it */
	unsigned int head, len;
};

struct debug_exit {
	struct vm_stop *stop;
};

struct boot_timer {
	struct timespec launch_wall;  /* CLOCK_MONOTONIC when cellvm started */
	struct timespec launch_cpu;   /* CLOCK_PROCESS_CPUTIME_ID then */
};

extern const struct bus_ops i8042_bus_ops;      /* register at 0x60, size 5 */

void i8042_init(struct i8042 *k, struct vm_stop *stop, int irq_fd);
void i8042_destroy(struct i8042 *k);
/* Presses and releases Ctrl-Alt-Del on the keyboard: how a graceful
 * shutdown asks the guest. -ENOSPC when the guest left earlier bytes
 * unread. Safe from any thread. */
int i8042_send_ctrl_alt_del(struct i8042 *k);
extern const struct bus_ops debug_exit_bus_ops; /* register at PORT_DEBUG_EXIT, size 4 */
extern const struct bus_ops boot_timer_bus_ops; /* register at LAYOUT_BOOT_TIMER_ADDR */

/* Microseconds between two CLOCK_* readings. */
int64_t timespec_us_between(const struct timespec *from, const struct timespec *to);

#endif
