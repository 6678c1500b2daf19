/* Dispatch of guest PIO and MMIO exits to the device that owns the address.
 * Devices are registered before any vCPU runs and the table is read-only
 * afterwards, so lookups need no lock; each device locks its own state. */
#ifndef CELLVM_BUS_H
#define CELLVM_BUS_H

#include <stdint.h>

#define BUS_MAX_DEVICES 32

struct bus_ops {
	/* offset is relative to the registered base; len is 1, 2, 4 or 8. */
	void (*read)(void *opaque, uint64_t offset, uint8_t *data, unsigned int len);
	void (*write)(void *opaque, uint64_t offset, const uint8_t *data, unsigned int len);
};

struct bus_range {
	uint64_t base;
	uint64_t size;
	const struct bus_ops *ops;
	void *opaque;
	const char *name;
};

struct bus {
	unsigned int nr;
	struct bus_range ranges[BUS_MAX_DEVICES];
};

/* -EEXIST on overlap, -ENOSPC when full, -EINVAL on an empty range. */
int bus_register(struct bus *bus, uint64_t base, uint64_t size, const struct bus_ops *ops,
		 void *opaque, const char *name);

/* Returns 0 when a device took the access, -ENOENT when none did (a read
 * then yields all-ones, as an unclaimed bus does on real hardware). */
int bus_read(const struct bus *bus, uint64_t addr, uint8_t *data, unsigned int len);
int bus_write(const struct bus *bus, uint64_t addr, const uint8_t *data, unsigned int len);

#endif
