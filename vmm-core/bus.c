#include "bus.h"

#include <errno.h>
#include <string.h>

int bus_register(struct bus *bus, uint64_t base, uint64_t size, const struct bus_ops *ops,
		 void *opaque, const char *name)
{
	if (size == 0 || base + size < base || !ops)
		return -EINVAL;
	for (unsigned int i = 0; i < bus->nr; i++) {
		const struct bus_range *r = &bus->ranges[i];
		if (base < r->base + r->size && r->base < base + size)
			return -EEXIST;
	}
	if (bus->nr == BUS_MAX_DEVICES)
		return -ENOSPC;
	bus->ranges[bus->nr++] = (struct bus_range){
		.base = base, .size = size, .ops = ops, .opaque = opaque, .name = name,
	};
	return 0;
}

static const struct bus_range *bus_find(const struct bus *bus, uint64_t addr, unsigned int len)
{
	for (unsigned int i = 0; i < bus->nr; i++) {
		const struct bus_range *r = &bus->ranges[i];
		if (addr >= r->base && addr - r->base < r->size && len <= r->size - (addr - r->base))
			return r;
	}
	return NULL;
}

int bus_read(const struct bus *bus, uint64_t addr, uint8_t *data, unsigned int len)
{
	const struct bus_range *r = bus_find(bus, addr, len);

	if (!r || !r->ops->read) {
		memset(data, 0xff, len);
		return -ENOENT;
	}
	r->ops->read(r->opaque, addr - r->base, data, len);
	return 0;
}

int bus_write(const struct bus *bus, uint64_t addr, const uint8_t *data, unsigned int len)
{
	const struct bus_range *r = bus_find(bus, addr, len);

	if (!r || !r->ops->write)
		return -ENOENT;
	r->ops->write(r->opaque, addr - r->base, data, len);
	return 0;
}
