/* The backend's view of guest memory: SET_MEM_TABLE regions mapped from
 * the fds the frontend sent. The table is untrusted: each region is
 * checked for overflow, overlap and against the size of its file (mapping
 * past the end of a file would turn a later access into SIGBUS). */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vu_backend_internal.h"

void vu_backend_unmap(struct guest_map *map)
{
	for (unsigned int i = 0; i < map->nr; i++)
		munmap(map->r[i].map_base, map->r[i].map_len);
	memset(map, 0, sizeof(*map));
}

static bool vu_ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static int vu_region_check(const struct vu_mem_region *r)
{
	if (r->size == 0)
		return -EINVAL;
	if (r->gpa > UINT64_MAX - r->size || r->user_addr > UINT64_MAX - r->size ||
	    r->mmap_offset > UINT64_MAX - r->size)
		return -EINVAL;
	return 0;
}

static int vu_table_check(const struct vu_mem_table *t)
{
	if (t->nregions == 0 || t->nregions > GUEST_MAP_MAX_REGIONS)
		return -EINVAL;
	for (unsigned int i = 0; i < t->nregions; i++) {
		const struct vu_mem_region *a = &t->regions[i];
		if (vu_region_check(a) < 0)
			return -EINVAL;
		for (unsigned int j = 0; j < i; j++) {
			const struct vu_mem_region *b = &t->regions[j];
			if (vu_ranges_overlap(a->gpa, a->size, b->gpa, b->size) ||
			    vu_ranges_overlap(a->user_addr, a->size, b->user_addr, b->size))
				return -EINVAL;
		}
	}
	return 0;
}

static int vu_region_map(struct guest_map_region *out, const struct vu_mem_region *r, int fd)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t map_off = r->mmap_offset & ~(page - 1);
	uint64_t delta = r->mmap_offset - map_off;
	struct stat st;
	void *p;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < r->mmap_offset + r->size)
		return -EINVAL;
	if (r->size > UINT64_MAX - delta || r->size + delta > SIZE_MAX)
		return -EINVAL;
	p = mmap(NULL, r->size + delta, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		 fd, (off_t)map_off);
	if (p == MAP_FAILED)
		return -errno;
	out->gpa = r->gpa;
	out->size = r->size;
	out->user_addr = r->user_addr;
	out->mmap_offset = r->mmap_offset;
	out->map_base = p;
	out->map_len = r->size + delta;
	out->host = (uint8_t *)p + delta;
	return 0;
}

/* Points an already configured ring at the new mapping, keeping its
 * indices; a ring whose addresses no longer map is stopped. */
static void vu_ring_retranslate(struct vu_backend *be, unsigned int i)
{
	struct vu_vring *vr = &be->vrings[i];
	struct virtq old = vr->vq;
	int r;

	if (!vr->addr_set)
		return;
	r = virtq_init_uva(&vr->vq, &be->map, vr->num, vr->desc_uva, vr->avail_uva,
			   vr->used_uva, old.event_idx);
	if (r < 0) {
		vu_log(be, "ring %u no longer inside the memory table: stopped", i);
		memset(&vr->vq, 0, sizeof(vr->vq));
		vr->addr_set = false;
		vr->started = false;
		return;
	}
	vr->vq.broken = old.broken;
	vr->vq.last_avail = old.last_avail;
	vr->vq.used_idx = old.used_idx;
	vr->vq.signalled_used = old.signalled_used;
	vr->vq.signalled_used_valid = old.signalled_used_valid;
	vr->vq.inflight = old.inflight;
	vr->vq.inflight_counter = old.inflight_counter;
	vr->vq.resubmit = old.resubmit;
	vr->vq.resubmit_n = old.resubmit_n;
	vr->vq.resubmit_pos = old.resubmit_pos;
}

int vu_backend_set_mem_table(struct vu_backend *be, const struct vu_mem_table *t,
			     const int *fds, unsigned int nfds)
{
	struct guest_map nm;
	int r;

	memset(&nm, 0, sizeof(nm));
	r = vu_table_check(t);
	if (r < 0)
		return r;
	if (nfds != t->nregions)
		return -EINVAL;
	for (unsigned int i = 0; i < t->nregions; i++) {
		r = vu_region_map(&nm.r[i], &t->regions[i], fds[i]);
		if (r < 0)
			goto fail;
		nm.nr = i + 1;
	}
	/* In-flight requests hold iovecs into the old mapping: let the device
	 * finish them before it goes away. A ring stopped on its own (e.g. an
	 * unusable kick fd) may still have requests in flight, so the device
	 * is asked to drain whether or not a ring is marked started. */
	bool running = vu_backend_any_started(be);
	vu_backend_drain_all(be);
	vu_backend_unmap(&be->map);
	be->map = nm;
	for (unsigned int i = 0; i < be->ops->num_queues; i++)
		vu_ring_retranslate(be, i);
	if (running)
		for (unsigned int i = 0; i < be->ops->num_queues; i++)
			vu_backend_run_ring(be, i);
	return 0;
fail:
	vu_backend_unmap(&nm);
	return r;
}
