/* Inflight tracking region: allocation, checks of one handed to us, and
 * the spec's bookkeeping steps. The stores that record progress are
 * ordered (release) so that a process killed between any two of them
 * leaves a region the next one can recover: see vu_inflight_recover. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vu_inflight.h"

_Static_assert(sizeof(struct vu_inflight_payload) == VU_INFLIGHT_PAYLOAD_SIZE, "wire size");
_Static_assert(sizeof(struct vu_inflight_desc) == 16, "spec DescStateSplit");
_Static_assert(sizeof(struct vu_inflight_queue) == 16, "spec QueueRegionSplit header");

#define VU_INFLIGHT_MAX_QSIZE 32768u

uint64_t vu_inflight_queue_bytes(uint16_t queue_size)
{
	uint64_t raw = sizeof(struct vu_inflight_queue) +
		       (uint64_t)queue_size * sizeof(struct vu_inflight_desc);

	return (raw + VU_INFLIGHT_ALIGN - 1) & ~(uint64_t)(VU_INFLIGHT_ALIGN - 1);
}

uint64_t vu_inflight_max_bytes(unsigned int num_queues)
{
	return vu_inflight_queue_bytes(VU_INFLIGHT_MAX_QSIZE) * num_queues;
}

int vu_inflight_check_geometry(uint16_t num_queues, uint16_t queue_size, unsigned int max_queues)
{
	if (num_queues == 0 || num_queues > max_queues)
		return -EINVAL;
	if (queue_size == 0 || queue_size > VU_INFLIGHT_MAX_QSIZE || (queue_size & (queue_size - 1)))
		return -EINVAL;
	return 0;
}

static void vu_inflight_init_queues(struct vu_inflight_region *r)
{
	for (unsigned int i = 0; i < r->num_queues; i++) {
		struct vu_inflight_queue *q = vu_inflight_queue(r, i);
		q->desc_num = r->queue_size;
		q->version = VU_INFLIGHT_VERSION;
	}
}

int vu_inflight_alloc(struct vu_inflight_region *r, uint16_t num_queues, uint16_t queue_size,
		      unsigned int max_queues)
{
	uint64_t size;
	void *base;
	int fd, ret;

	*r = (struct vu_inflight_region){ .fd = -1 };
	if ((ret = vu_inflight_check_geometry(num_queues, queue_size, max_queues)) < 0)
		return ret;
	size = vu_inflight_queue_bytes(queue_size) * num_queues;
	fd = memfd_create("cellvm-inflight", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*r = (struct vu_inflight_region){ .fd = fd, .base = base, .mmap_size = size,
					  .num_queues = num_queues, .queue_size = queue_size };
	vu_inflight_init_queues(r);
	return 0;
}

static int vu_inflight_refuse(char *why, size_t len, int err, const char *msg)
{
	if (why && len)
		snprintf(why, len, "%s", msg);
	return err;
}

int vu_inflight_map(struct vu_inflight_region *r, int fd, const struct vu_inflight_payload *p,
		    unsigned int max_queues, char *why, size_t whylen)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t need, off = p->mmap_offset, size = p->mmap_size;
	struct vu_inflight_region n;
	struct stat st;
	void *base;

	*r = (struct vu_inflight_region){ .fd = -1 };
	if (vu_inflight_check_geometry(p->num_queues, p->queue_size, max_queues) < 0)
		return vu_inflight_refuse(why, whylen, -EINVAL, "bad queue count or queue size");
	need = vu_inflight_queue_bytes(p->queue_size) * p->num_queues;
	if (size != need)
		return vu_inflight_refuse(why, whylen, -EINVAL,
					  "region size does not match its queue geometry");
	if (page <= 0 || off % (uint64_t)page)
		return vu_inflight_refuse(why, whylen, -EINVAL, "region offset not page-aligned");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return vu_inflight_refuse(why, whylen, -EINVAL, "region fd is not a regular file");
	/* Mapping past the end of the file would turn a later access into
	 * SIGBUS. */
	if (off > (uint64_t)st.st_size || (uint64_t)st.st_size - off < size)
		return vu_inflight_refuse(why, whylen, -EINVAL, "region fd is too small");
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
	if (base == MAP_FAILED)
		return vu_inflight_refuse(why, whylen, -errno, "region cannot be mapped");
	n = (struct vu_inflight_region){ .fd = fd, .base = base, .mmap_size = size,
					 .mmap_offset = off, .num_queues = p->num_queues,
					 .queue_size = p->queue_size };
	for (unsigned int i = 0; i < n.num_queues; i++) {
		const struct vu_inflight_queue *q = vu_inflight_queue(&n, i);
		const char *bad = NULL;

		if (q->version == 0)
			continue; /* never used: initialised below */
		if (q->version != VU_INFLIGHT_VERSION)
			bad = "queue region has an unknown version";
		else if (q->features != 0)
			bad = "queue region has unknown feature flags";
		else if (q->desc_num != p->queue_size)
			bad = "queue region's desc_num differs from the queue size";
		if (bad) {
			munmap(base, size);
			return vu_inflight_refuse(why, whylen, -EBADMSG, bad);
		}
	}
	for (unsigned int i = 0; i < n.num_queues; i++) {
		struct vu_inflight_queue *q = vu_inflight_queue(&n, i);
		if (q->version == 0) {
			memset(q, 0, vu_inflight_queue_bytes(n.queue_size));
			q->desc_num = n.queue_size;
			q->version = VU_INFLIGHT_VERSION;
		}
	}
	*r = n;
	return 0;
}

void vu_inflight_unmap(struct vu_inflight_region *r)
{
	if (r->base)
		munmap(r->base, r->mmap_size);
	if (r->fd >= 0)
		close(r->fd);
	*r = (struct vu_inflight_region){ .fd = -1 };
}

struct vu_inflight_queue *vu_inflight_queue(const struct vu_inflight_region *r, unsigned int qidx)
{
	if (!r->base || qidx >= r->num_queues)
		return NULL;
	return (struct vu_inflight_queue *)(void *)((uint8_t *)r->base +
						     qidx * vu_inflight_queue_bytes(r->queue_size));
}

struct vu_inflight_entry {
	uint64_t counter;
	uint16_t head;
};

static int vu_inflight_by_counter(const void *a, const void *b)
{
	const struct vu_inflight_entry *x = a, *y = b;

	if (x->counter != y->counter)
		return x->counter < y->counter ? -1 : 1;
	return x->head < y->head ? -1 : x->head > y->head;
}

int vu_inflight_recover(struct vu_inflight_queue *q, uint16_t queue_size, uint16_t ring_num,
			uint16_t used_ring_idx, uint16_t *heads, struct vu_inflight_resume *out)
{
	uint16_t batch = (uint16_t)(used_ring_idx - q->used_idx);
	struct vu_inflight_entry *e;
	uint64_t next_counter = 0;
	uint16_t h, n = 0;

	*out = (struct vu_inflight_resume){ 0 };
	if (ring_num == 0 || ring_num > queue_size || q->desc_num != queue_size)
		return -EBADMSG;
	/* Check everything before changing anything. */
	if (batch > ring_num)
		return -EBADMSG;
	h = q->last_batch_head;
	for (uint16_t i = 0; i < batch; i++) {
		if (h >= ring_num)
			return -EBADMSG;
		h = q->desc[h].next;
	}
	for (uint32_t i = 0; i < queue_size; i++) {
		uint8_t f = q->desc[i].inflight;
		if (f > 1 || (f && i >= ring_num))
			return -EBADMSG;
	}
	e = malloc(ring_num * sizeof(*e));
	if (!e)
		return -ENOMEM;
	/* The frontend shares this memory: every index is checked again as
	 * it is followed, and the counters are copied before sorting. */
	h = q->last_batch_head;
	for (uint16_t i = 0; i < batch && h < ring_num; i++) {
		q->desc[h].inflight = 0;
		h = q->desc[h].next;
	}
	q->used_idx = used_ring_idx;
	for (uint16_t i = 0; i < ring_num; i++) {
		if (!q->desc[i].inflight)
			continue;
		e[n] = (struct vu_inflight_entry){ .counter = q->desc[i].counter, .head = i };
		if (e[n].counter >= next_counter)
			next_counter = e[n].counter + 1;
		n++;
	}
	qsort(e, n, sizeof(*e), vu_inflight_by_counter);
	for (uint16_t i = 0; i < n; i++)
		heads[i] = e[i].head;
	free(e);
	out->n = n;
	out->last_avail = (uint16_t)(used_ring_idx + n);
	out->counter = next_counter;
	return 0;
}

void vu_inflight_mark(struct vu_inflight_queue *q, uint16_t head, uint64_t counter)
{
	__atomic_store_n(&q->desc[head].counter, counter, __ATOMIC_RELAXED);
	__atomic_store_n(&q->desc[head].inflight, 1, __ATOMIC_RELEASE);
}

void vu_inflight_pre_push(struct vu_inflight_queue *q, uint16_t head)
{
	__atomic_store_n(&q->desc[head].next, q->last_batch_head, __ATOMIC_RELAXED);
	__atomic_store_n(&q->last_batch_head, head, __ATOMIC_RELEASE);
}

void vu_inflight_post_push(struct vu_inflight_queue *q, uint16_t head, uint16_t used_idx)
{
	__atomic_store_n(&q->desc[head].inflight, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&q->used_idx, used_idx, __ATOMIC_RELEASE);
}
