#include <criterion/criterion.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>

#include "guest_mem.h"
#include "layout.h"

Test(guest_mem, small_ram_is_one_region)
{
	struct guest_mem gm;

	cr_assert_eq(guest_mem_create(&gm, 64 * MiB), 0);
	cr_assert_eq(gm.nr_regions, 1);
	cr_assert_eq(guest_mem_low_end(&gm), 64 * MiB);
	cr_assert_not_null(guest_mem_ptr(&gm, 64 * MiB - 8, 8));
	cr_assert_null(guest_mem_ptr(&gm, 64 * MiB - 8, 9));
	cr_assert_null(guest_mem_ptr(&gm, UINT64_MAX, 2));
	cr_assert_null(guest_mem_ptr(&gm, 8, UINT64_MAX));
	guest_mem_destroy(&gm);
}

Test(guest_mem, large_ram_splits_around_the_hole)
{
	struct guest_mem gm;
	uint32_t v = 0xdeadbeef, back = 0;

	cr_assert_eq(guest_mem_create(&gm, 4 * GiB), 0);
	cr_assert_eq(gm.nr_regions, 2);
	cr_assert_eq(guest_mem_low_end(&gm), LAYOUT_MMIO_HOLE_START);
	cr_assert_eq(gm.regions[1].gpa, LAYOUT_HIGH_RAM_START);
	cr_assert_eq(gm.regions[1].size, 4 * GiB - LAYOUT_MMIO_HOLE_START);
	cr_assert_eq(gm.regions[1].fd_offset, LAYOUT_MMIO_HOLE_START);
	/* the hole is not RAM, and no access may straddle into it */
	cr_assert_null(guest_mem_ptr(&gm, LAYOUT_MMIO_HOLE_START, 1));
	cr_assert_eq(guest_mem_write(&gm, LAYOUT_MMIO_HOLE_START - 2, &v, 4), -EFAULT);
	cr_assert_eq(guest_mem_write(&gm, LAYOUT_HIGH_RAM_START + 16, &v, 4), 0);
	cr_assert_eq(guest_mem_read(&gm, LAYOUT_HIGH_RAM_START + 16, &back, 4), 0);
	cr_assert_eq(back, v);
	/* the high region sits right after the low one in the memfd */
	cr_assert_eq(memcmp(gm.base + LAYOUT_MMIO_HOLE_START + 16, &v, 4), 0);
	guest_mem_destroy(&gm);
}

Test(guest_mem, memfd_is_sealed)
{
	struct guest_mem gm;

	cr_assert_eq(guest_mem_create(&gm, 16 * MiB), 0);
	int seals = fcntl(gm.fd, F_GET_SEALS);
	cr_assert(seals & F_SEAL_SHRINK);
	cr_assert(seals & F_SEAL_GROW);
	cr_assert_neq(ftruncate(gm.fd, 4096), 0);
	guest_mem_destroy(&gm);
}

Test(guest_mem, rejects_bad_sizes)
{
	struct guest_mem gm;

	cr_assert_eq(guest_mem_create(&gm, 4096), -EINVAL);
	cr_assert_eq(guest_mem_create(&gm, 16 * MiB + 1), -EINVAL);
	cr_assert_eq(guest_mem_create(&gm, UINT64_MAX & ~0xfffULL), -EINVAL);
	cr_assert_eq(gm.fd, -1);
}
