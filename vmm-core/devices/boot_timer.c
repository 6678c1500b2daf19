#include "legacy.h"
#include "layout.h"
#include "log.h"

#include <string.h>

int64_t timespec_us_between(const struct timespec *from, const struct timespec *to)
{
	return (int64_t)(to->tv_sec - from->tv_sec) * 1000000 +
	       (to->tv_nsec - from->tv_nsec) / 1000;
}

/* Same contract as Firecracker's boot timer: a guest write of the magic
 * value at offset 0 logs the wall and CPU time since the VMM started. */
static void boot_timer_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int len)
{
	struct boot_timer *t = opaque;
	struct timespec wall, cpu;
	uint32_t v = 0;

	if (off != 0 || len < 1)
		return;
	memcpy(&v, data, len < sizeof(v) ? len : sizeof(v));
	if (v != BOOT_TIMER_MAGIC)
		return;
	clock_gettime(CLOCK_MONOTONIC, &wall);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	int64_t us = timespec_us_between(&t->launch_wall, &wall);
	int64_t cpu_us = timespec_us_between(&t->launch_cpu, &cpu);
	log_info("Guest-boot-time = %6lld us %lld ms, %6lld CPU us %lld CPU ms", (long long)us,
		 (long long)(us / 1000), (long long)cpu_us, (long long)(cpu_us / 1000));
}

static void boot_timer_read(void *opaque, uint64_t off, uint8_t *data, unsigned int len)
{
	(void)opaque;
	(void)off;
	memset(data, 0, len);
}

const struct bus_ops boot_timer_bus_ops = {
	.read = boot_timer_read,
	.write = boot_timer_write,
};
