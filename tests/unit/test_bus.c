#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "bus.h"

struct rec {
	uint64_t off;
	uint8_t val;
	int writes;
};

static void rec_read(void *o, uint64_t off, uint8_t *d, unsigned int len)
{
	(void)o;
	memset(d, 0, len);
	d[0] = (uint8_t)(0x40 + off);
}

static void rec_write(void *o, uint64_t off, const uint8_t *d, unsigned int len)
{
	struct rec *r = o;
	(void)len;
	r->off = off;
	r->val = d[0];
	r->writes++;
}

static const struct bus_ops rec_ops = { .read = rec_read, .write = rec_write };

Test(bus, dispatches_by_offset)
{
	struct bus bus = { 0 };
	struct rec r = { 0 };
	uint8_t v = 7;

	cr_assert_eq(bus_register(&bus, 0x3f8, 8, &rec_ops, &r, "a"), 0);
	cr_assert_eq(bus_write(&bus, 0x3fb, &v, 1), 0);
	cr_assert_eq(r.off, 3);
	cr_assert_eq(r.val, 7);
	cr_assert_eq(bus_read(&bus, 0x3fd, &v, 1), 0);
	cr_assert_eq(v, 0x45);
}

Test(bus, unclaimed_reads_all_ones)
{
	struct bus bus = { 0 };
	struct rec r = { 0 };
	uint8_t d[4] = { 0 };

	cr_assert_eq(bus_register(&bus, 0x1000, 0x10, &rec_ops, &r, "a"), 0);
	cr_assert_eq(bus_read(&bus, 0x2000, d, 4), -ENOENT);
	cr_assert_eq(d[0] & d[1] & d[2] & d[3], 0xff);
	/* an access straddling the end of a range belongs to nobody */
	cr_assert_eq(bus_read(&bus, 0x100e, d, 4), -ENOENT);
	cr_assert_eq(bus_write(&bus, 0x100e, d, 4), -ENOENT);
	cr_assert_eq(r.writes, 0);
}

Test(bus, rejects_overlap_empty_and_wrap)
{
	struct bus bus = { 0 };
	struct rec r = { 0 };

	cr_assert_eq(bus_register(&bus, 0x100, 0x10, &rec_ops, &r, "a"), 0);
	cr_assert_eq(bus_register(&bus, 0x10f, 0x10, &rec_ops, &r, "b"), -EEXIST);
	cr_assert_eq(bus_register(&bus, 0xf8, 0x10, &rec_ops, &r, "c"), -EEXIST);
	cr_assert_eq(bus_register(&bus, 0x200, 0, &rec_ops, &r, "d"), -EINVAL);
	cr_assert_eq(bus_register(&bus, UINT64_MAX - 4, 0x10, &rec_ops, &r, "e"), -EINVAL);
	cr_assert_eq(bus_register(&bus, 0x110, 0x10, &rec_ops, &r, "f"), 0);
}

Test(bus, fills_up)
{
	struct bus bus = { 0 };
	struct rec r = { 0 };

	for (unsigned int i = 0; i < BUS_MAX_DEVICES; i++)
		cr_assert_eq(bus_register(&bus, i * 0x10, 0x10, &rec_ops, &r, "x"), 0);
	cr_assert_eq(bus_register(&bus, 0x10000, 0x10, &rec_ops, &r, "y"), -ENOSPC);
}
