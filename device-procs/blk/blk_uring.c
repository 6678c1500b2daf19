#include "blk_uring.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "blk_log.h"

/* seccomp never sees what an io_uring does, so the ring itself is
 * limited to the operations a disk needs: a compromised process cannot
 * use it to open files or sockets behind the syscall filter's back. */
static int uring_restrict(struct io_uring *ring)
{
	static const uint8_t ops[] = {
		IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC, IORING_OP_FALLOCATE,
	};
	struct io_uring_restriction res[sizeof(ops) + 1];

	memset(res, 0, sizeof(res));
	for (unsigned int i = 0; i < sizeof(ops); i++) {
		res[i].opcode = IORING_RESTRICTION_SQE_OP;
		res[i].sqe_op = ops[i];
	}
	/* No SQE flags at all: no fixed files, links or async forcing. */
	res[sizeof(ops)].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	res[sizeof(ops)].sqe_flags = 0;
	/* Raw syscalls: Debian 12's liburing 2.3 declares
	 * io_uring_register_restrictions and io_uring_enable_rings but its
	 * shared library does not export them. */
	if (syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_RESTRICTIONS, res,
		    sizeof(ops) + 1) < 0)
		return -errno;
	if (syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0)
		return -errno;
	return 0;
}

int blk_uring_init(struct blk_uring *u, unsigned int entries)
{
	int r;

	u->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (u->event_fd < 0) {
		r = -errno;
		blk_log("eventfd: %s", strerror(-r));
		return r;
	}
	/* Disabled until the restrictions are in place (Linux 5.10+). */
	r = io_uring_queue_init(entries, &u->ring, IORING_SETUP_R_DISABLED);
	if (r < 0) {
		blk_log("io_uring setup (%u entries) failed: %s", entries, strerror(-r));
		goto err_efd;
	}
	r = io_uring_register_eventfd(&u->ring, u->event_fd);
	if (r < 0) {
		blk_log("io_uring eventfd registration failed: %s", strerror(-r));
		goto err_ring;
	}
	r = uring_restrict(&u->ring);
	if (r < 0) {
		blk_log("io_uring restriction failed: %s", strerror(-r));
		goto err_ring;
	}
	return 0;

err_ring:
	io_uring_queue_exit(&u->ring);
err_efd:
	close(u->event_fd);
	u->event_fd = -1;
	return r;
}

void blk_uring_fini(struct blk_uring *u)
{
	if (u->event_fd < 0)
		return;
	/* Closing the ring cancels what is still in flight; the kernel
	 * finishes that before the memory it targets can go away with us. */
	io_uring_queue_exit(&u->ring);
	close(u->event_fd);
	u->event_fd = -1;
}

static struct io_uring_sqe *uring_sqe(struct blk_uring *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe && blk_uring_submit(u) == 0)
		sqe = io_uring_get_sqe(&u->ring);
	return sqe;
}

int blk_uring_readv(struct blk_uring *u, int fd, const struct iovec *iov, unsigned int n,
		    uint64_t off, void *data)
{
	struct io_uring_sqe *sqe = uring_sqe(u);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_readv(sqe, fd, iov, n, off);
	io_uring_sqe_set_data(sqe, data);
	return 0;
}

int blk_uring_writev(struct blk_uring *u, int fd, const struct iovec *iov, unsigned int n,
		     uint64_t off, void *data)
{
	struct io_uring_sqe *sqe = uring_sqe(u);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_writev(sqe, fd, iov, n, off);
	io_uring_sqe_set_data(sqe, data);
	return 0;
}

int blk_uring_fdatasync(struct blk_uring *u, int fd, void *data)
{
	struct io_uring_sqe *sqe = uring_sqe(u);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data(sqe, data);
	return 0;
}

int blk_uring_fallocate(struct blk_uring *u, int fd, int mode, uint64_t off, uint64_t len,
			void *data)
{
	struct io_uring_sqe *sqe = uring_sqe(u);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_fallocate(sqe, fd, mode, (off_t)off, (off_t)len);
	io_uring_sqe_set_data(sqe, data);
	return 0;
}

int blk_uring_submit(struct blk_uring *u)
{
	while (io_uring_sq_ready(&u->ring) > 0) {
		int r = io_uring_submit(&u->ring);

		if (r == -EINTR)
			continue;
		if (r < 0)
			return r;
		if (r == 0)
			return -EAGAIN;
	}
	return 0;
}

int blk_uring_wait(struct blk_uring *u)
{
	struct io_uring_cqe *cqe;
	int r;

	r = blk_uring_submit(u);
	if (r < 0)
		return r;
	do
		r = io_uring_wait_cqe(&u->ring, &cqe);
	while (r == -EINTR);
	return r;
}

unsigned int blk_uring_reap(struct blk_uring *u, blk_uring_done_fn done, void *ctx)
{
	struct io_uring_cqe *cqe;
	unsigned int count = 0;
	uint64_t ticks;

	/* Reset the eventfd before looking at the ring: a completion that
	 * lands after our last look then leaves it readable again. */
	if (read(u->event_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		blk_log("reading the completion eventfd: %s", strerror(errno));
	while (io_uring_peek_cqe(&u->ring, &cqe) == 0) {
		void *data = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		/* Consumed before the callback, which may queue more work. */
		io_uring_cqe_seen(&u->ring, cqe);
		done(ctx, data, res);
		count++;
	}
	return count;
}

void blk_uring_poke(struct blk_uring *u)
{
	uint64_t one = 1;

	if (write(u->event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		blk_log("poking the completion eventfd: %s", strerror(errno));
}
