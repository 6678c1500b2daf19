/* A minimal virtio driver for the cellvm-blk tests: guest RAM is a memfd
 * mapping, the split ring sits at its start, and request buffers are
 * carved from the rest. It writes what a guest would write (descriptors,
 * avail entries, headers) and reads what the device returns. */
#ifndef TEST_BLK_DRIVER_H
#define TEST_BLK_DRIVER_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_map.h"
#include "virtq.h"

#define TDRV_MEM_SIZE   (8u << 20)
#define TDRV_QSIZE      256u
#define TDRV_DESC_GPA   0x0000u
#define TDRV_AVAIL_GPA  0x1000u
#define TDRV_USED_GPA   0x2000u
#define TDRV_HEAP_GPA   0x4000u

struct tdrv {
	int memfd;
	uint8_t *mem;
	struct guest_map map;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t next_desc;   /* descriptors are never reused within a test */
	uint16_t used_seen;
	uint64_t heap;        /* next free gpa for buffers */
};

struct tdrv_seg {
	uint64_t gpa;
	uint32_t len;
	int write;            /* device-writable */
};

static inline void tdrv_init(struct tdrv *d)
{
	memset(d, 0, sizeof(*d));
	d->memfd = memfd_create("tdrv-ram", MFD_CLOEXEC);
	cr_assert_geq(d->memfd, 0);
	cr_assert_eq(ftruncate(d->memfd, TDRV_MEM_SIZE), 0);
	d->mem = mmap(NULL, TDRV_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, d->memfd, 0);
	cr_assert_neq(d->mem, MAP_FAILED);
	d->map.nr = 1;
	d->map.r[0] = (struct guest_map_region){
		.gpa = 0, .size = TDRV_MEM_SIZE, .user_addr = 0x7f0000000000ull,
		.mmap_offset = 0, .host = d->mem, .map_base = NULL, .map_len = 0,
	};
	d->desc = (struct virtq_desc *)(void *)(d->mem + TDRV_DESC_GPA);
	d->avail = (struct virtq_avail *)(void *)(d->mem + TDRV_AVAIL_GPA);
	d->used = (struct virtq_used *)(void *)(d->mem + TDRV_USED_GPA);
	d->heap = TDRV_HEAP_GPA;
}

static inline void tdrv_fini(struct tdrv *d)
{
	munmap(d->mem, TDRV_MEM_SIZE);
	close(d->memfd);
}

static inline uint64_t tdrv_alloc(struct tdrv *d, uint32_t len)
{
	uint64_t gpa = d->heap;

	d->heap = (d->heap + len + 63) & ~63ull;
	cr_assert_leq(d->heap, TDRV_MEM_SIZE, "test driver out of guest memory");
	return gpa;
}

static inline void *tdrv_ptr(struct tdrv *d, uint64_t gpa)
{
	return d->mem + gpa;
}

/* Chains segs as direct descriptors and makes the chain available. */
static inline uint16_t tdrv_add(struct tdrv *d, const struct tdrv_seg *segs, unsigned int n)
{
	uint16_t head = d->next_desc;

	cr_assert_leq(d->next_desc + n, TDRV_QSIZE, "test driver out of descriptors");
	for (unsigned int i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)(d->next_desc + i);
		struct virtq_desc *desc = &d->desc[idx];

		desc->addr = segs[i].gpa;
		desc->len = segs[i].len;
		desc->flags = (uint16_t)((segs[i].write ? VIRTQ_DESC_F_WRITE : 0) |
					 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		desc->next = (uint16_t)((idx + 1) % TDRV_QSIZE);
	}
	d->next_desc = (uint16_t)(d->next_desc + n);
	d->avail->ring[d->avail->idx % TDRV_QSIZE] = head;
	__atomic_store_n(&d->avail->idx, (uint16_t)(d->avail->idx + 1), __ATOMIC_RELEASE);
	return head;
}

/* Same chain, but behind one indirect descriptor. */
static inline uint16_t tdrv_add_indirect(struct tdrv *d, const struct tdrv_seg *segs,
					 unsigned int n)
{
	uint64_t table_gpa = tdrv_alloc(d, n * (uint32_t)sizeof(struct virtq_desc));
	struct virtq_desc *table = tdrv_ptr(d, table_gpa);
	uint16_t head = d->next_desc;

	cr_assert_lt(d->next_desc, TDRV_QSIZE, "test driver out of descriptors");
	for (unsigned int i = 0; i < n; i++) {
		table[i].addr = segs[i].gpa;
		table[i].len = segs[i].len;
		table[i].flags = (uint16_t)((segs[i].write ? VIRTQ_DESC_F_WRITE : 0) |
					    (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		table[i].next = (uint16_t)(i + 1);
	}
	d->desc[head].addr = table_gpa;
	d->desc[head].len = n * (uint32_t)sizeof(struct virtq_desc);
	d->desc[head].flags = VIRTQ_DESC_F_INDIRECT;
	d->next_desc = (uint16_t)(d->next_desc + 1);
	d->avail->ring[d->avail->idx % TDRV_QSIZE] = head;
	__atomic_store_n(&d->avail->idx, (uint16_t)(d->avail->idx + 1), __ATOMIC_RELEASE);
	return head;
}

static inline uint16_t tdrv_used_idx(struct tdrv *d)
{
	return __atomic_load_n(&d->used->idx, __ATOMIC_ACQUIRE);
}

#endif
