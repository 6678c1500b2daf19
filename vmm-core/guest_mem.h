/* Guest RAM: one memfd, sealed against resize, mapped MAP_SHARED once and
 * split into the regions below and above the 32-bit MMIO hole. Device
 * processes map the same memfd; the offsets here are what they are sent. */
#ifndef CELLVM_GUEST_MEM_H
#define CELLVM_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_MAX_REGIONS 2

struct guest_region {
	uint64_t gpa;       /* guest-physical start */
	uint64_t size;      /* bytes */
	uint64_t fd_offset; /* offset of this region in the memfd */
	uint8_t *host;      /* host address of gpa */
};

struct guest_mem {
	int fd;             /* the memfd, -1 when not created */
	uint8_t *base;      /* mapping of the whole memfd */
	uint64_t size;      /* total RAM bytes */
	unsigned int nr_regions;
	struct guest_region regions[GUEST_MEM_MAX_REGIONS];
};

/* Creates size bytes of RAM (a multiple of 2 MiB... any multiple of 4 KiB,
 * at least 1 MiB). Returns 0 or a negative errno. */
int guest_mem_create(struct guest_mem *gm, uint64_t size);
void guest_mem_destroy(struct guest_mem *gm);

/* Host pointer for [gpa, gpa+len) when the whole range lies in one RAM
 * region, otherwise NULL. Overflow-safe; len 0 is treated as 1. */
void *guest_mem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/* Copy into / out of guest RAM. -EFAULT when the range is not RAM. */
int guest_mem_write(const struct guest_mem *gm, uint64_t gpa, const void *src, uint64_t len);
int guest_mem_read(const struct guest_mem *gm, uint64_t gpa, void *dst, uint64_t len);

/* End (exclusive) of RAM below the MMIO hole. */
uint64_t guest_mem_low_end(const struct guest_mem *gm);

#endif
