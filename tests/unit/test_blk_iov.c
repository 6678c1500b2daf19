/* Byte-offset views of iovec arrays, which the blk request code builds on. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "device-procs/blk/blk_iov.h"

static char a[4] = "abcd", b[1] = "e", c[3] = "fgh";

#define IOV(p, l) ((struct iovec){ .iov_base = (p), .iov_len = (l) })

Test(blk_iov, size_and_copy_across_segments)
{
	struct iovec v[] = { IOV(a, 4), IOV(b, 0), IOV(b, 1), IOV(c, 3) };
	char out[8] = { 0 };

	cr_assert_eq(blk_iov_size(v, 4), 8);
	cr_assert_eq(blk_iov_to_buf(v, 4, 3, out, 4), 4);
	cr_assert_str_eq(out, "defg");
	cr_assert_eq(blk_iov_to_buf(v, 4, 6, out, 8), 2, "stops at the end");
	cr_assert_eq(blk_iov_to_buf(v, 4, 100, out, 8), 0);
}

Test(blk_iov, size_saturates)
{
	struct iovec v[] = { IOV(a, SIZE_MAX), IOV(a, SIZE_MAX) };

	cr_assert_eq(blk_iov_size(v, 2), UINT64_MAX);
}

Test(blk_iov, from_buf)
{
	char x[3] = { 0 }, y[3] = { 0 };
	struct iovec v[] = { IOV(x, 3), IOV(y, 3) };

	cr_assert_eq(blk_iov_from_buf(v, 2, 2, "1234", 4), 4);
	cr_assert_eq(memcmp(x, "\0\0" "1", 3), 0);
	cr_assert_eq(memcmp(y, "234", 3), 0);
}

Test(blk_iov, slice)
{
	struct iovec v[] = { IOV(a, 4), IOV(b, 0), IOV(b, 1), IOV(c, 3) };
	struct iovec out[4];

	cr_assert_eq(blk_iov_slice(v, 4, 2, 5, out, 4), 3);
	cr_assert_eq(out[0].iov_base, a + 2);
	cr_assert_eq(out[0].iov_len, 2);
	cr_assert_eq(out[1].iov_base, b, "the empty segment is skipped");
	cr_assert_eq(out[2].iov_base, c);
	cr_assert_eq(out[2].iov_len, 2);
	cr_assert_eq(blk_iov_slice(v, 4, 2, 5, out, 2), -E2BIG);
	cr_assert_eq(blk_iov_slice(v, 4, 2, 7, out, 4), -EINVAL, "past the end");
	cr_assert_eq(blk_iov_slice(v, 4, 8, 0, out, 4), 0);
}

Test(blk_iov, byte)
{
	struct iovec v[] = { IOV(a, 4), IOV(b, 0), IOV(b, 1) };

	cr_assert_eq(blk_iov_byte(v, 3, 0), (uint8_t *)a);
	cr_assert_eq(blk_iov_byte(v, 3, 4), (uint8_t *)b);
	cr_assert_null(blk_iov_byte(v, 3, 5));
}

Test(blk_iov, advance)
{
	struct iovec v[] = { IOV(a, 4), IOV(b, 1), IOV(c, 3) };
	struct iovec *p = v;
	unsigned int n = 3;

	cr_assert_eq(blk_iov_advance(&p, &n, 2), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(p->iov_base, a + 2);
	cr_assert_eq(p->iov_len, 2);
	cr_assert_eq(blk_iov_advance(&p, &n, 3), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(p->iov_base, c);
	cr_assert_eq(blk_iov_advance(&p, &n, 3), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(blk_iov_advance(&p, &n, 5), 5, "nothing left to consume");
}
