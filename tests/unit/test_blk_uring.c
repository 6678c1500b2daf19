/* The io_uring wrapper: batched submission, completions through the
 * eventfd, and the restriction to disk operations. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "device-procs/blk/blk_uring.h"

struct seen {
	int n;
	int res[8];
	void *data[8];
};

static void record(void *ctx, void *data, int res)
{
	struct seen *s = ctx;

	cr_assert_lt(s->n, 8);
	s->data[s->n] = data;
	s->res[s->n++] = res;
}

static int readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms);
}

static char path[] = "/tmp/test-blk-uring-XXXXXX";

static void cleanup(void)
{
	unlink(path);
}

Test(blk_uring, batch_and_eventfd, .fini = cleanup)
{
	struct blk_uring u;
	struct seen s = { 0 };
	char out[8] = "abcdefgh", in[8] = { 0 };
	struct iovec w = { out, 8 }, r = { in, 8 };
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(blk_uring_init(&u, 8), 0);
	cr_assert_eq(readable(u.event_fd, 0), 0, "nothing yet");
	cr_assert_eq(blk_uring_writev(&u, fd, &w, 1, 512, (void *)1), 0);
	cr_assert_eq(blk_uring_fdatasync(&u, fd, (void *)2), 0);
	cr_assert_eq(blk_uring_fallocate(&u, fd, FALLOC_FL_KEEP_SIZE, 0, 4096, (void *)3), 0);
	cr_assert_eq(blk_uring_submit(&u), 0);
	while (s.n < 3) {
		cr_assert_eq(readable(u.event_fd, 5000), 1, "completion signalled");
		blk_uring_reap(&u, record, &s);
	}
	for (int i = 0; i < 3; i++)
		cr_assert_geq(s.res[i], 0, "op %p: %d", s.data[i], s.res[i]);
	cr_assert_eq(readable(u.event_fd, 0), 0, "reaping resets the eventfd");

	cr_assert_eq(blk_uring_readv(&u, fd, &r, 1, 512, (void *)4), 0);
	cr_assert_eq(blk_uring_wait(&u), 0);
	blk_uring_reap(&u, record, &s);
	cr_assert_eq(s.res[3], 8);
	cr_assert_eq(memcmp(in, out, 8), 0);

	blk_uring_poke(&u);
	cr_assert_eq(readable(u.event_fd, 0), 1, "a poke wakes the loop");
	cr_assert_eq(blk_uring_reap(&u, record, &s), 0, "without a completion");
	blk_uring_fini(&u);
	close(fd);
}

Test(blk_uring, only_disk_operations_are_allowed)
{
	struct blk_uring u;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;

	cr_assert_eq(blk_uring_init(&u, 4), 0);
	sqe = io_uring_get_sqe(&u.ring);
	io_uring_prep_openat(sqe, AT_FDCWD, "/etc/passwd", O_RDONLY, 0);
	cr_assert_eq(io_uring_submit_and_wait(&u.ring, 1), 1);
	cr_assert_eq(io_uring_peek_cqe(&u.ring, &cqe), 0);
	cr_assert_eq(cqe->res, -EACCES, "openat through the ring: %d", cqe->res);
	io_uring_cqe_seen(&u.ring, cqe);
	blk_uring_fini(&u);
}
