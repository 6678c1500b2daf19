#include "guest_mem.h"
#include "layout.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Maps the memfd at a 2 MiB-aligned address, so huge pages can back it. */
static int guest_mem_map_aligned(struct guest_mem *gm, uint64_t size)
{
	const uint64_t align = 2 * MiB;
	uint8_t *res = mmap(NULL, size + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			    -1, 0);

	if (res == MAP_FAILED)
		return -errno;
	uint8_t *aligned = (uint8_t *)(((uintptr_t)res + align - 1) & ~(uintptr_t)(align - 1));
	void *p = mmap(aligned, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE | MAP_FIXED,
		       gm->fd, 0);
	if (p == MAP_FAILED) {
		int ret = -errno;
		munmap(res, size + align);
		return ret;
	}
	/* Give back the unused head and tail of the reservation. */
	if (aligned > res)
		munmap(res, (size_t)(aligned - res));
	uint8_t *tail = aligned + size, *end = res + size + align;
	if (end > tail)
		munmap(tail, (size_t)(end - tail));
	gm->base = aligned;
	return 0;
}

int guest_mem_create(struct guest_mem *gm, uint64_t size)
{
	int ret;

	memset(gm, 0, sizeof(*gm));
	gm->fd = -1;
	if (size < MiB || (size & 0xfff) || size > (1ULL << 46))
		return -EINVAL;

	gm->fd = memfd_create("cellvm-guest-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (gm->fd < 0)
		return -errno;
	if (ftruncate(gm->fd, (off_t)size) < 0)
		goto fail_errno;
	/* Device processes map this fd; a seal keeps any of them (or us) from
	 * shrinking it under the others' mappings, which would turn guest
	 * accesses into SIGBUS in every process. */
	if (fcntl(gm->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto fail_errno;
	if ((ret = guest_mem_map_aligned(gm, size)) < 0)
		goto fail;
	gm->size = size;
	/* Lets the host back guest RAM with 2 MiB pages where shmem THP is
	 * set to "advise": first touches then fault 512x fewer times. */
	madvise(gm->base, size, MADV_HUGEPAGE);

	uint64_t low = size < LAYOUT_MMIO_HOLE_START ? size : LAYOUT_MMIO_HOLE_START;
	gm->regions[0] = (struct guest_region){ .gpa = 0, .size = low, .fd_offset = 0, .host = gm->base };
	gm->nr_regions = 1;
	if (size > low) {
		gm->regions[1] = (struct guest_region){
			.gpa = LAYOUT_HIGH_RAM_START, .size = size - low,
			.fd_offset = low, .host = gm->base + low,
		};
		gm->nr_regions = 2;
	}
	return 0;

fail_errno:
	ret = -errno;
fail:
	guest_mem_destroy(gm);
	return ret;
}

void guest_mem_destroy(struct guest_mem *gm)
{
	if (gm->base)
		munmap(gm->base, gm->size);
	if (gm->fd >= 0)
		close(gm->fd);
	memset(gm, 0, sizeof(*gm));
	gm->fd = -1;
}

void *guest_mem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	if (len == 0)
		len = 1;
	for (unsigned int i = 0; i < gm->nr_regions; i++) {
		const struct guest_region *r = &gm->regions[i];
		if (gpa < r->gpa)
			continue;
		uint64_t off = gpa - r->gpa;
		if (off >= r->size || len > r->size - off)
			continue;
		return r->host + off;
	}
	return NULL;
}

int guest_mem_write(const struct guest_mem *gm, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = guest_mem_ptr(gm, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

int guest_mem_read(const struct guest_mem *gm, uint64_t gpa, void *dst, uint64_t len)
{
	const void *p = guest_mem_ptr(gm, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

uint64_t guest_mem_low_end(const struct guest_mem *gm)
{
	return gm->nr_regions ? gm->regions[0].size : 0;
}
