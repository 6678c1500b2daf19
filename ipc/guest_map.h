/* Guest memory as a device process sees it: the regions of the vhost-user
 * memory table, each mapped from the fd the frontend sent. Every guest
 * address a ring or a descriptor names goes through guest_map_translate,
 * which is the one bounds check between the guest and the host. */
#ifndef CELLVM_GUEST_MAP_H
#define CELLVM_GUEST_MAP_H

#include <stdint.h>

#define GUEST_MAP_MAX_REGIONS 8

struct guest_map_region {
	uint64_t gpa;        /* guest_phys_addr */
	uint64_t size;       /* memory_size */
	uint64_t user_addr;  /* frontend's virtual address (ring addresses use it) */
	uint64_t mmap_offset;
	uint8_t *host;       /* our mapping of gpa (after mmap_offset) */
	void *map_base;      /* what to munmap */
	uint64_t map_len;
};

struct guest_map {
	unsigned int nr;
	struct guest_map_region r[GUEST_MAP_MAX_REGIONS];
};

/* Host pointer for [gpa, gpa+len) if it lies inside one region, else NULL.
 * Overflow-safe. */
static inline void *guest_map_translate(const struct guest_map *m, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < m->nr; i++) {
		const struct guest_map_region *r = &m->r[i];
		if (gpa < r->gpa)
			continue;
		uint64_t off = gpa - r->gpa;
		if (off >= r->size || len > r->size - off)
			continue;
		return r->host + off;
	}
	return 0;
}

/* Same for a frontend virtual address (vring addresses in SET_VRING_ADDR). */
static inline void *guest_map_translate_uva(const struct guest_map *m, uint64_t uva, uint64_t len)
{
	for (unsigned int i = 0; i < m->nr; i++) {
		const struct guest_map_region *r = &m->r[i];
		if (uva < r->user_addr)
			continue;
		uint64_t off = uva - r->user_addr;
		if (off >= r->size || len > r->size - off)
			continue;
		return r->host + off;
	}
	return 0;
}

#endif
